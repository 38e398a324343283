// SPDX-License-Identifier: Apache-2.0
// Pod lookups and container selection, with errors a user can act on.
#include "kube/pods.h"

#include <fmt/format.h>

#include <regex>

#include "kube/api_paths.h"
#include "terminal_safe.h"

namespace podtrace::plugin::kube {
namespace {

using json = nlohmann::json;

std::string str(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const json& sub(const json& obj, const char* key) {
  static const json empty = json::object();
  if (!obj.is_object()) return empty;
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? *it : empty;
}

std::string pod_ref(const PodInfo& pod) {
  return fmt::format("pod \"{}\" in namespace \"{}\"", sanitize_for_terminal(pod.name),
                     sanitize_for_terminal(pod.namespace_));
}

// Why a pod is not running: the first waiting/terminated reason, or a condition message.
std::string pending_reason(const json& pod) {
  const json& status = sub(pod, "status");
  auto statuses = status.find("containerStatuses");
  if (statuses != status.end() && statuses->is_array()) {
    for (const auto& cs : *statuses) {
      const json& state = sub(cs, "state");
      for (const char* s : {"waiting", "terminated"}) {
        std::string reason = str(sub(state, s), "reason");
        if (!reason.empty()) return fmt::format("container \"{}\" is {}", str(cs, "name"), reason);
      }
    }
  }
  std::string reason = str(status, "reason");
  std::string message = str(status, "message");
  if (!reason.empty() || !message.empty()) return reason + (message.empty() ? "" : ": " + message);
  return {};
}

}  // namespace

Result<PodInfo> parse_pod(const json& pod) {
  if (!pod.is_object()) return make_error("the API server returned a pod that is not an object");
  PodInfo info;
  const json& meta = sub(pod, "metadata");
  const json& spec = sub(pod, "spec");
  const json& status = sub(pod, "status");
  info.name = str(meta, "name");
  info.namespace_ = str(meta, "namespace");
  info.uid = str(meta, "uid");
  info.node = str(spec, "nodeName");
  info.restart_policy = str(spec, "restartPolicy");
  if (info.restart_policy.empty()) info.restart_policy = "Always";
  info.phase = str(status, "phase");
  info.qos_class = str(status, "qosClass");

  static const std::regex id_re("(containerd|cri-o|docker)://([0-9a-f]{64})");
  auto containers = spec.find("containers");
  if (containers == spec.end() || !containers->is_array()) return info;
  for (const auto& c : *containers) {
    ContainerInfo ci;
    ci.name = str(c, "name");
    auto statuses = status.find("containerStatuses");
    if (statuses != status.end() && statuses->is_array()) {
      for (const auto& cs : *statuses) {
        if (str(cs, "name") != ci.name) continue;
        std::string id = str(cs, "containerID");
        std::smatch m;
        if (std::regex_match(id, m, id_re)) {
          ci.id = id;
          ci.runtime = m[1];
        } else if (!id.empty()) {
          ci.runtime = id.substr(0, id.find(':'));
          ci.id = id;  // rejected by select_containers with a clear message
        }
        auto ready = cs.find("ready");
        ci.ready = ready != cs.end() && ready->is_boolean() && ready->get<bool>();
      }
    }
    info.containers.push_back(std::move(ci));
    info.pod_containers++;
  }
  return info;
}

Result<PodInfo> select_containers(const PodInfo& pod, const std::string& container) {
  if (pod.node.empty())
    return make_error(fmt::format("{} is not scheduled to a node yet (phase {})", pod_ref(pod),
                                  pod.phase.empty() ? "unknown" : pod.phase));
  if (pod.phase != "Running")
    return make_error(
        fmt::format("{} is {}, not Running: nothing to trace", pod_ref(pod),
                    sanitize_for_terminal(pod.phase.empty() ? "in an unknown phase" : pod.phase)));
  PodInfo out = pod;
  out.containers.clear();
  for (const auto& c : pod.containers) {
    if (!container.empty() && c.name != container) continue;
    static const std::regex id_re("(containerd|cri-o|docker)://[0-9a-f]{64}");
    if (c.id.empty()) {
      if (!container.empty())
        return make_error(
            fmt::format("container \"{}\" of {} has not started", c.name, pod_ref(pod)));
      continue;  // e.g. restarting; the others can still be traced
    }
    if (!std::regex_match(c.id, id_re))
      return make_error(
          fmt::format("container \"{}\" of {} has id \"{}\": unsupported container runtime "
                      "(supported: containerd, cri-o, docker)",
                      c.name, pod_ref(pod), sanitize_for_terminal(c.id)));
    out.containers.push_back(c);
  }
  if (out.containers.empty()) {
    if (!container.empty()) {
      std::string names;
      for (const auto& c : pod.containers)
        names += (names.empty() ? "" : ", ") + sanitize_for_terminal(c.name);
      return make_error(fmt::format("container \"{}\" not found in {} (containers: {})", container,
                                    pod_ref(pod), names));
    }
    return make_error(fmt::format("{} has no running container", pod_ref(pod)));
  }
  return out;
}

Result<PodInfo> get_pod(RestClient& client, const std::string& ns, const std::string& name) {
  auto doc = client.get(pod_path(ns, name), {"get", "pods", "", ns, name});
  if (!doc) return doc.take_error();
  auto pod = parse_pod(*doc);
  if (pod && pod->phase == "Pending") {
    std::string why = pending_reason(*doc);
    if (!why.empty())
      return make_error(
          fmt::format("{} is Pending, not Running: {}", pod_ref(*pod), sanitize_for_terminal(why)));
  }
  return pod;
}

Result<std::vector<PodInfo>> list_pods(RestClient& client, const std::string& ns,
                                       const std::string& selector,
                                       std::vector<std::string>& skipped) {
  auto doc = client.get(pods_path(ns, selector), {"list", "pods", "", ns, ""});
  if (!doc) return doc.take_error();
  std::vector<PodInfo> pods;
  auto items = doc->find("items");
  if (items == doc->end() || !items->is_array()) return pods;
  for (const auto& item : *items) {
    auto pod = parse_pod(item);
    if (!pod) continue;
    if (pod->phase != "Running" || pod->node.empty()) {
      skipped.push_back(
          fmt::format("skipping {}: {}", pod_ref(*pod),
                      pod->phase.empty() ? "unknown phase" : sanitize_for_terminal(pod->phase)));
      continue;
    }
    pods.push_back(std::move(*pod));
  }
  return pods;
}

}  // namespace podtrace::plugin::kube
