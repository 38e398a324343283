// SPDX-License-Identifier: Apache-2.0
// pod_status.h: pieces of a pod's status and spec both kubelets (process and CRI) need.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace podtrace::cluster {

nlohmann::json condition(const char* type, bool ok, const std::string& now,
                         const char* reason = nullptr);
// Replaces the condition of the same type, or adds it.
void set_condition(nlohmann::json& status, const nlohmann::json& c);
// hostPath volumes of one container, as (mountPath, hostPath, readOnly, type).
struct HostMount {
  std::string mount_path;
  std::string host_path;
  bool read_only = false;
  std::string type;  // "Directory", "DirectoryOrCreate", ... or empty
};
std::vector<HostMount> host_mounts(const nlohmann::json& pod, const nlohmann::json& spec);
// What kubelet does before a container starts: a DirectoryOrCreate host path that is missing is
// created (0755, as kubelet's); false with `error` set when it cannot be.
bool prepare_host_path(const HostMount& m, std::string& error);

// A downward-API fieldRef of the pod (metadata.name, spec.nodeName, status.podIP...).
std::string field_ref(const nlohmann::json& pod, const std::string& path, const std::string& pod_ip,
                      const std::string& host_ip);

// A container's CPU and memory as kubelet reads them; an unparsable quantity reads as 0.
struct ContainerResources {
  std::optional<long long> cpu_limit_milli;
  std::optional<long long> cpu_request_milli;  // the request, else the limit (kubelet's default)
  std::optional<long long> memory_limit_bytes;
};
ContainerResources container_resources(const nlohmann::json& spec);

// The pod's container spec named `name`, or nullptr.
const nlohmann::json* container_spec(const nlohmann::json& pod, const std::string& name);

}  // namespace podtrace::cluster
