// SPDX-License-Identifier: Apache-2.0
// cri_kubelet.cpp: pods as containerd containers through the CRI.
#include "cri_kubelet.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "kubelet.h"
#include "pod_status.h"
#include "qos.h"

namespace podtrace::cluster {

namespace fs = std::filesystem;
namespace rt = runtime::v1;
using nlohmann::json;

namespace {

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string rfc3339_ns(int64_t ns) {
  return rfc3339(
      Clock::time_point(std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ns))));
}

bool host_namespace(const json& pod, const char* field) { return pod["spec"].value(field, false); }

bool privileged(const json& spec) {
  return spec.value("securityContext", json::object()).value("privileged", false);
}

}  // namespace

std::string cgroupfs_pod_parent(const std::string& qos_class, const std::string& uid) {
  if (qos_class == "Guaranteed") return "/kubepods/pod" + uid;
  return fmt::format("/kubepods/{}/pod{}", qos_class == "BestEffort" ? "besteffort" : "burstable",
                     uid);
}

rt::PodSandboxConfig sandbox_config(const json& pod, const CriKubeletConfig& c) {
  const json& meta = pod["metadata"];
  const std::string ns = meta.value("namespace", "default");
  const std::string name = meta["name"];
  const std::string uid = meta["uid"];
  rt::PodSandboxConfig s;
  s.mutable_metadata()->set_name(name);
  s.mutable_metadata()->set_namespace_(ns);
  s.mutable_metadata()->set_uid(uid);
  s.mutable_metadata()->set_attempt(0);
  s.set_hostname(pod["spec"].value("hostname", name));
  s.set_log_directory(fmt::format("{}/pods/{}_{}_{}", c.state_dir, ns, name, uid));
  // ClusterFirst, as on a real cluster: the node's DNS, the namespace's search list, ndots:5.
  if (!host_namespace(pod, "hostNetwork") ||
      pod["spec"].value("dnsPolicy", "") == "ClusterFirstWithHostNet") {
    auto* dns = s.mutable_dns_config();
    dns->add_servers(c.dns_server);
    for (const auto& search : {ns + ".svc.cluster.local", std::string("svc.cluster.local"),
                               std::string("cluster.local")})
      dns->add_searches(search);
    dns->add_options("ndots:5");
  }
  const json labels = meta.value("labels", json::object());
  for (const auto& [k, v] : labels.items())
    if (v.is_string()) (*s.mutable_labels())[k] = v.get<std::string>();
  (*s.mutable_labels())["io.kubernetes.pod.name"] = name;
  (*s.mutable_labels())["io.kubernetes.pod.namespace"] = ns;
  (*s.mutable_labels())["io.kubernetes.pod.uid"] = uid;
  auto* linux = s.mutable_linux();
  linux->set_cgroup_parent(cgroupfs_pod_parent(compute_qos_class(pod["spec"]), uid));
  auto* sec = linux->mutable_security_context();
  auto* nso = sec->mutable_namespace_options();
  nso->set_network(host_namespace(pod, "hostNetwork") ? rt::NODE : rt::POD);
  nso->set_pid(host_namespace(pod, "hostPID") ? rt::NODE : rt::CONTAINER);
  nso->set_ipc(host_namespace(pod, "hostIPC") ? rt::NODE : rt::POD);
  bool any_privileged = false;
  for (const auto& spec : pod["spec"].value("containers", json::array()))
    any_privileged = any_privileged || privileged(spec);
  sec->set_privileged(any_privileged);
  return s;
}

rt::ContainerConfig container_config(const json& pod, const json& spec, uint32_t attempt,
                                     const std::string& pod_ip) {
  const json& meta = pod["metadata"];
  rt::ContainerConfig c;
  const std::string name = spec["name"];
  c.mutable_metadata()->set_name(name);
  c.mutable_metadata()->set_attempt(attempt);
  c.mutable_image()->set_image(spec.value("image", ""));
  // Environment with downward-API field references, then $(VAR) expansion in the command.
  std::map<std::string, std::string> env;
  for (const auto& e : spec.value("env", json::array())) {
    const std::string key = e.value("name", "");
    std::string value;
    if (e.contains("value")) {
      value = expand_env_refs(e["value"].get<std::string>(), env);
    } else if (e.contains("valueFrom") && e["valueFrom"].contains("fieldRef")) {
      // status.hostIP is not known when the container config is built: empty, as before.
      value = field_ref(pod, e["valueFrom"]["fieldRef"].value("fieldPath", ""), pod_ip, "");
    }
    env[key] = value;
    auto* kv = c.add_envs();
    kv->set_key(key);
    kv->set_value(value);
  }
  for (const auto& a : spec.value("command", json::array()))
    c.add_command(expand_env_refs(a.get<std::string>(), env));
  for (const auto& a : spec.value("args", json::array()))
    c.add_args(expand_env_refs(a.get<std::string>(), env));
  c.set_working_dir(spec.value("workingDir", ""));
  for (const auto& m : host_mounts(pod, spec)) {
    auto* mount = c.add_mounts();
    mount->set_container_path(m.mount_path);
    mount->set_host_path(m.host_path);
    mount->set_readonly(m.read_only);
  }
  // kubelet's naming: <container>/<restart count>.log under the sandbox's log directory.
  c.set_log_path(fmt::format("{}/{}.log", name, attempt));
  (*c.mutable_labels())["io.kubernetes.container.name"] = name;
  (*c.mutable_labels())["io.kubernetes.pod.name"] = meta["name"].get<std::string>();
  (*c.mutable_labels())["io.kubernetes.pod.namespace"] = meta.value("namespace", "");
  (*c.mutable_labels())["io.kubernetes.pod.uid"] = meta["uid"].get<std::string>();

  auto* linux = c.mutable_linux();
  auto* res = linux->mutable_resources();
  const ContainerResources resources = container_resources(spec);
  if (resources.cpu_limit_milli) {
    res->set_cpu_period(100'000);
    res->set_cpu_quota(std::max<long long>(1'000, *resources.cpu_limit_milli * 100));
  }
  // BestEffort gets the minimum of 2 shares, as kubelet sets it.
  res->set_cpu_shares(resources.cpu_request_milli
                          ? std::max<long long>(2, *resources.cpu_request_milli * 1024 / 1000)
                          : 2);
  if (resources.memory_limit_bytes) res->set_memory_limit_in_bytes(*resources.memory_limit_bytes);
  auto* sec = linux->mutable_security_context();
  const json sc = spec.value("securityContext", json::object());
  sec->set_privileged(sc.value("privileged", false));
  for (const auto& cap : sc.value("capabilities", json::object()).value("add", json::array()))
    sec->mutable_capabilities()->add_add_capabilities(cap.get<std::string>());
  for (const auto& cap : sc.value("capabilities", json::object()).value("drop", json::array()))
    sec->mutable_capabilities()->add_drop_capabilities(cap.get<std::string>());
  // The user and group as kubelet passes them; allowPrivilegeEscalation=false is no_new_privs.
  const json pod_sc = pod["spec"].value("securityContext", json::object());
  for (const json* from : {&sc, &pod_sc}) {
    if (from->contains("runAsUser") && !sec->has_run_as_user())
      sec->mutable_run_as_user()->set_value((*from)["runAsUser"].get<int64_t>());
    if (from->contains("runAsGroup") && !sec->has_run_as_group())
      sec->mutable_run_as_group()->set_value((*from)["runAsGroup"].get<int64_t>());
  }
  sec->set_no_new_privs(!sc.value("allowPrivilegeEscalation", true) && !sec->privileged());
  auto* nso = sec->mutable_namespace_options();
  nso->set_network(host_namespace(pod, "hostNetwork") ? rt::NODE : rt::POD);
  nso->set_pid(host_namespace(pod, "hostPID") ? rt::NODE : rt::CONTAINER);
  nso->set_ipc(host_namespace(pod, "hostIPC") ? rt::NODE : rt::POD);
  return c;
}

CriKubelet::CriKubelet(Store& store, CriClient& cri, CriKubeletConfig config)
    : store_(store), cri_(cri), config_(std::move(config)) {}

CriKubelet::~CriKubelet() { shutdown(); }

void CriKubelet::start_pod(const json& pod) {
  PodRuntime r;
  r.ns = pod["metadata"].value("namespace", "");
  r.name = pod["metadata"]["name"];
  r.uid = pod["metadata"]["uid"];
  r.qos = compute_qos_class(pod["spec"]);
  for (const auto& spec : pod["spec"]["containers"]) {
    Container c;
    c.name = spec["name"];
    r.containers.push_back(std::move(c));
  }
  r.sandbox = sandbox_config(pod, config_);
  fs::create_directories(r.sandbox.log_directory());
  auto sandbox = cri_.run_pod_sandbox(r.sandbox);
  if (!sandbox) {
    for (auto& c : r.containers) {
      c.reason = "CreatePodSandboxError";
      c.message = sandbox.error;
    }
  } else {
    r.sandbox_id = *sandbox.value;
    if (auto status = cri_.pod_sandbox_status(r.sandbox_id)) r.ip = status.value->network().ip();
    start_containers(r, pod);
  }
  auto it = pods_.emplace(r.uid, std::move(r)).first;
  write_status(it->second, pod);
}

// Starts every container that has none yet; false while an image is missing.
bool CriKubelet::start_containers(PodRuntime& r, const json& pod) {
  bool all = true;
  for (auto& c : r.containers)
    if (c.id.empty() && !start_container(r, pod, c)) all = false;
  r.waiting_for_image = !all;
  // kubelet backs off 10 s after a failed pull; ErrImagePull shows until the next attempt.
  if (!all) r.next_image_check = Clock::now() + std::chrono::seconds(10);
  return all;
}

bool CriKubelet::start_container(PodRuntime& r, const json& pod, Container& c) {
  const json* spec = container_spec(pod, c.name);
  if (!spec) return false;
  const std::string image = spec->value("image", "");
  // Nothing is pulled from a registry here: an image the node lacks cannot be pulled.
  auto id = cri_.image_id(image);
  if (!id || id.value->empty()) {
    const bool again = c.reason == "ErrImagePull" || c.reason == "ImagePullBackOff";
    c.reason = again ? "ImagePullBackOff" : "ErrImagePull";
    c.message = again ? fmt::format("Back-off pulling image \"{}\"", image)
                      : fmt::format(
                            "failed to pull and unpack image \"{}\": not found in the node's image "
                            "store and no registry is reachable",
                            image);
    return false;
  }
  c.image_ref = *id.value;
  for (const auto& m : host_mounts(pod, *spec)) {
    if (std::string error; !prepare_host_path(m, error)) {
      c.reason = "CreateContainerError";
      c.message = error;
      c.exited = true;
      c.exit_code = 128;
      return true;
    }
  }
  auto created =
      cri_.create_container(r.sandbox_id, container_config(pod, *spec, c.attempt, r.ip), r.sandbox);
  if (!created) {
    c.reason = "CreateContainerError";
    c.message = created.error;
    c.exited = true;
    c.exit_code = 128;
    return true;
  }
  c.id = *created.value;
  if (auto started = cri_.start_container(c.id); !started) {
    c.reason = "StartError";
    c.message = started.error;
    c.exited = true;
    c.exit_code = 128;
    return true;
  }
  c.exited = false;
  c.reason.clear();
  c.message.clear();
  c.started_at = now_ns();
  return true;
}

// Reads each running container's state; restarts per restartPolicy.
void CriKubelet::observe(PodRuntime& r, const json& pod) {
  bool changed = false;
  if (r.waiting_for_image && Clock::now() >= r.next_image_check) {
    start_containers(r, pod);
    changed = true;
  }
  const std::string policy = pod["spec"].value("restartPolicy", "Always");
  for (auto& c : r.containers) {
    if (c.id.empty() || c.exited) continue;
    auto status = cri_.container_status(c.id);
    if (!status || status.value->state() != rt::CONTAINER_EXITED) continue;
    c.exited = true;
    c.exit_code = status.value->exit_code();
    c.reason = status.value->reason().empty() ? (c.exit_code == 0 ? "Completed" : "Error")
                                              : status.value->reason();
    c.message = status.value->message();
    if (status.value->started_at()) c.started_at = status.value->started_at();
    c.finished_at = status.value->finished_at() ? status.value->finished_at() : now_ns();
    changed = true;
    const bool restart =
        !r.stopping && (policy == "Always" || (policy == "OnFailure" && c.exit_code != 0));
    if (restart) {
      // A new container (new id) for the next attempt, as kubelet does; the old one is removed.
      c.last_state = {{"terminated",
                       {{"exitCode", c.exit_code},
                        {"reason", c.reason},
                        {"startedAt", rfc3339_ns(c.started_at)},
                        {"finishedAt", rfc3339_ns(c.finished_at)},
                        {"containerID", "containerd://" + c.id}}}};
      (void)cri_.remove_container(c.id);
      c.id.clear();
      c.attempt++;
      c.restarts++;
      start_container(r, pod, c);
    }
  }
  if (changed) write_status(r, pod);
}

void CriKubelet::write_status(PodRuntime& r, const json& pod) {
  const std::string now = rfc3339(Clock::now());
  const std::string policy = pod["spec"].value("restartPolicy", "Always");
  json statuses = json::array();
  bool all_running = true, all_exited = true, all_ok = true;
  for (const auto& c : r.containers) {
    const json* spec = container_spec(pod, c.name);
    json cs = {{"name", c.name},
               {"image", spec ? spec->value("image", "") : ""},
               {"imageID", c.image_ref},
               {"restartCount", c.restarts},
               {"lastState", c.last_state}};
    if (!c.id.empty()) cs["containerID"] = "containerd://" + c.id;
    if (c.id.empty() && !c.exited) {
      cs["state"] = {{"waiting",
                      {{"reason", c.reason.empty() ? "ContainerCreating" : c.reason},
                       {"message", c.message}}}};
      cs["ready"] = false;
      cs["started"] = false;
      all_running = false;
      all_exited = false;
    } else if (c.exited) {
      json t = {{"exitCode", c.exit_code},
                {"reason", c.reason},
                {"startedAt", rfc3339_ns(c.started_at ? c.started_at : now_ns())},
                {"finishedAt", rfc3339_ns(c.finished_at ? c.finished_at : now_ns())}};
      if (!c.message.empty()) t["message"] = c.message;
      if (!c.id.empty()) t["containerID"] = "containerd://" + c.id;
      cs["state"] = {{"terminated", t}};
      cs["ready"] = false;
      cs["started"] = false;
      all_running = false;
      all_ok = all_ok && c.exit_code == 0;
    } else {
      cs["state"] = {{"running", {{"startedAt", rfc3339_ns(c.started_at)}}}};
      cs["ready"] = true;
      cs["started"] = true;
      all_exited = false;
    }
    statuses.push_back(cs);
  }
  store_.update("pods", r.ns, r.name, [&](json& p) {
    json& s = p["status"];
    s["hostIP"] = config_.node_ip;
    s["hostIPs"] = {{{"ip", config_.node_ip}}};
    if (!r.ip.empty()) {
      s["podIP"] = r.ip;
      s["podIPs"] = {{{"ip", r.ip}}};
    }
    if (!s.contains("startTime")) s["startTime"] = now;
    s["containerStatuses"] = statuses;
    const bool sandbox = !r.sandbox_id.empty();
    const bool waiting = !all_running && !all_exited && r.waiting_for_image;
    if (all_exited && policy != "Always")
      s["phase"] = all_ok ? "Succeeded" : "Failed";
    else if (sandbox && !waiting && !all_exited)
      s["phase"] = "Running";
    else if (!s.contains("phase") || s["phase"] == "")
      s["phase"] = "Pending";
    set_condition(s, condition("PodReadyToStartContainers", sandbox, now));
    set_condition(s, condition("Initialized", true, now));
    set_condition(
        s, condition("Ready", all_running, now, all_running ? nullptr : "ContainersNotReady"));
    set_condition(s, condition("ContainersReady", all_running, now,
                               all_running ? nullptr : "ContainersNotReady"));
    set_condition(s, condition("PodScheduled", true, now));
    return true;
  });
}

// Stops the pod's containers with the grace period on a worker, so a container that ignores
// SIGTERM does not hold up the control loop.
void CriKubelet::begin_stop(PodRuntime& r, int64_t grace_s) {
  if (r.stopping) return;
  r.stopping = true;
  std::vector<std::string> ids;
  for (const auto& c : r.containers)
    if (!c.id.empty() && !c.exited) ids.push_back(c.id);
  r.stopped = std::async(std::launch::async, [this, ids, grace_s] {
    for (const auto& id : ids) (void)cri_.stop_container(id, grace_s);
  });
}

// Removes `relative` (e.g. /kubepods/burstable/pod<uid>) in every hierarchy under the cgroup
// root: each v1 controller and v2's unified/ on hybrid hosts, the root itself on pure v2. rmdir
// leaves a directory that still has children or processes, and fails where there is none.
void CriKubelet::remove_cgroup_everywhere(const std::string& relative) const {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(config_.cgroup_root, ec))
    rmdir((entry.path().string() + relative).c_str());
  rmdir((config_.cgroup_root + relative).c_str());
}

void CriKubelet::remove_pod_cgroups(const PodRuntime& r) {
  // runc removes the containers' cgroups; the pod level is kubelet's.
  remove_cgroup_everywhere(cgroupfs_pod_parent(r.qos, r.uid));
}

void CriKubelet::release(PodRuntime& r) {
  for (auto& c : r.containers)
    if (!c.id.empty()) (void)cri_.remove_container(c.id);
  if (!r.sandbox_id.empty()) {
    (void)cri_.stop_pod_sandbox(r.sandbox_id);
    (void)cri_.remove_pod_sandbox(r.sandbox_id);
  }
  remove_pod_cgroups(r);
}

void CriKubelet::sync() {
  std::set<std::string> nodes;
  for (const auto& n : store_.list("nodes", ""))
    nodes.insert(n["metadata"]["name"].get<std::string>());
  std::set<std::string> present;
  for (const auto& pod : store_.list("pods", "")) {
    const json& meta = pod["metadata"];
    const std::string uid = meta["uid"];
    present.insert(uid);
    const bool deleting = meta.contains("deletionTimestamp");
    auto it = pods_.find(uid);
    if (it == pods_.end()) {
      if (deleting) {
        store_.remove("pods", meta.value("namespace", ""), meta["name"]);
        continue;
      }
      const json& status = pod["status"];
      if (status.value("phase", "") == "Pending" && !status.contains("startTime") &&
          nodes.count(pod["spec"].value("nodeName", "")))
        start_pod(pod);
      continue;
    }
    PodRuntime& r = it->second;
    if (deleting) begin_stop(r, meta.value("deletionGracePeriodSeconds", 30));
    observe(r, pod);
    if (r.stopping && r.stopped.valid() &&
        r.stopped.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
      observe(r, pod);
      release(r);
      store_.remove("pods", r.ns, r.name);
      pods_.erase(it);
    }
  }
  // Pods removed from the API without a grace period.
  for (auto it = pods_.begin(); it != pods_.end();) {
    if (present.count(it->first)) {
      ++it;
      continue;
    }
    begin_stop(it->second, 0);
    it->second.stopped.wait();
    release(it->second);
    it = pods_.erase(it);
  }
}

void CriKubelet::shutdown() {
  for (auto& [uid, r] : pods_) begin_stop(r, 0);
  for (auto& [uid, r] : pods_) {
    if (r.stopped.valid()) r.stopped.wait();
    release(r);
  }
  pods_.clear();
  // The QoS levels kubelet keeps, when nothing else uses them.
  for (const char* level : {"/kubepods/besteffort", "/kubepods/burstable", "/kubepods"})
    remove_cgroup_everywhere(level);
}

}  // namespace podtrace::cluster
