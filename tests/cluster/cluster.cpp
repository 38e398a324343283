// SPDX-License-Identifier: Apache-2.0
// Start-up order: state dir → cgroups → PKI → objects → listen → kubeconfig → ready file.
#include "cluster.h"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "cri_kubelet.h"
#include "job_controller.h"
#include "kubeconfig.h"
#include "kubelet.h"
#include "manifests.h"
#include "object_defaults.h"
#include "scheduler.h"

namespace podtrace::cluster {

using nlohmann::json;

namespace {

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  return static_cast<bool>(f);
}

}  // namespace

Cluster::~Cluster() { stop(); }

std::string Cluster::create_from_manifest(const std::string& file) {
  std::vector<json> objects;
  try {
    objects = load_manifests(file);
  } catch (const std::exception& e) {
    return fmt::format("{}: {}", file, e.what());
  }
  ResourceApi api(store_);
  auto now = Clock::now();
  for (const auto& obj : objects) {
    std::string kind = obj.value("kind", "");
    std::string name = obj.value("metadata", json::object()).value("name", "");
    std::string ns = obj.value("metadata", json::object()).value("namespace", "default");
    RequestInfo info;
    info.is_resource = true;
    info.verb = "create";
    info.version = "v1";
    if (kind == "Namespace") {
      info.resource = "namespaces";
    } else if (kind == "Pod") {
      info.resource = "pods";
      info.ns = ns;
    } else if (kind == "Job") {
      info.group = "batch";
      info.resource = "jobs";
      info.ns = ns;
    } else {
      return fmt::format("{}: {} {}: only Namespace, Pod and Job are supported", file, kind, name);
    }
    if (!info.ns.empty() && !store_.get("namespaces", "", info.ns))
      store_.create("namespaces", make_namespace(info.ns, now));
    httplib::Request req;
    req.body = obj.dump();
    auto reply = api.handle(info, *find_resource(info.group, info.version, info.resource), req);
    if (reply.code >= 300 && !(kind == "Namespace" && reply.code == 409))
      return fmt::format("{}: {}", file, reply.body.value("message", "create failed"));
  }
  return "";
}

std::string Cluster::start() {
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) return "cannot create " + options_.dir + ": " + ec.message();
  options_.dir = std::filesystem::absolute(options_.dir).string();
  std::filesystem::remove(options_.dir + "/ready", ec);

  std::string error;
  auto layout = CgroupLayout::detect(options_.cgroup_root, options_.proc_self_cgroup, error);
  if (!layout) return error;
  cgroups_ = std::make_unique<CgroupTree>(*layout);

  PkiFiles pki;
  if (auto e = generate_pki(options_.dir, pki); !e.empty()) return e;
  Tokens tokens{random_token(), random_token()};

  auto now = Clock::now();
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"})
    store_.create("namespaces", make_namespace(ns, now));
  for (const auto& node : options_.nodes)
    if (!store_.create("nodes", make_node(node, now))) return "duplicate node name " + node;
  for (const auto& file : options_.pod_files)
    if (auto e = create_from_manifest(file); !e.empty()) return e;

  server_ = std::make_unique<ApiServer>(store_, pki, tokens, options_.dir);
  int port = server_->listen(options_.port, error);
  if (port < 0) return error;
  std::string url = fmt::format("https://127.0.0.1:{}", port);
  if (options_.runtime == "cri") {
    node_ = std::make_unique<ContainerdNode>();
    ContainerdNodeConfig node;
    node.dir = options_.dir;
    node.images = options_.images;
    node.dns_records = options_.dns_records;
    node.image_aliases = options_.image_aliases;
    node.runc = options_.runc;
    if (auto e = node_->start(node); !e.empty()) return e;
    cri_ = std::make_unique<CriClient>(node_->socket());
    kubelet_ =
        std::make_unique<CriKubelet>(store_, *cri_,
                                     CriKubeletConfig{options_.dir, node_->dns_server(),
                                                      node_->node_ip(), options_.cgroup_root});
  } else {
    kubelet_ = std::make_unique<Kubelet>(
        store_, *cgroups_, KubeletConfig{options_.dir, options_.tracer_bin, "127.0.0.1", port});
  }
  if (auto e = write_kubeconfig(options_.dir + "/kubeconfig", url, pki, tokens); !e.empty())
    return e;
  if (!write_text(options_.dir + "/port", std::to_string(port) + "\n") ||
      !write_text(options_.dir + "/token", tokens.admin + "\n") ||
      !write_text(options_.dir + "/restricted-token", tokens.restricted + "\n"))
    return "cannot write into " + options_.dir;

  server_->start();
  controllers_ = std::thread(&Cluster::control_loop, this);
  // Written last: whoever waits for it can use the kubeconfig at once.
  if (!write_text(options_.dir + "/ready", url + "\n"))
    return "cannot write " + options_.dir + "/ready";
  fmt::print(stderr, "podtrace-cluster: serving {} (nodes: {}); KUBECONFIG={}/kubeconfig\n", url,
             fmt::join(options_.nodes, ","), options_.dir);
  return "";
}

void Cluster::control_loop() {
  // One thread runs every controller, so they never race each other.
  while (!stopping_.load()) {
    schedule_pending_pods(store_);
    sync_jobs(store_);
    kubelet_->sync();
    store_.wait_for_change(store_.resource_version(), std::chrono::milliseconds(50));
  }
}

void Cluster::stop() {
  if (stopped_) return;
  stopped_ = true;
  std::error_code ec;
  std::filesystem::remove(options_.dir + "/ready", ec);
  if (server_) server_->stop();
  stopping_.store(true);
  store_.wake_all();
  if (controllers_.joinable()) controllers_.join();
  if (kubelet_) kubelet_->shutdown();
  kubelet_.reset();
  cri_.reset();
  if (node_) node_->stop();
  if (cgroups_) cgroups_->remove_all();
}

}  // namespace podtrace::cluster
