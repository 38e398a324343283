// SPDX-License-Identifier: Apache-2.0
// pod_status.h: pieces of a pod's status and spec both kubelets (process and CRI) need.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace podtrace::cluster {

nlohmann::json condition(const char* type, bool ok, const std::string& now,
                         const char* reason = nullptr);
// Replaces the condition of the same type, or adds it.
void set_condition(nlohmann::json& status, const nlohmann::json& c);
// hostPath volumes of one container, as (mountPath, hostPath, readOnly).
struct HostMount {
  std::string mount_path;
  std::string host_path;
  bool read_only = false;
};
std::vector<HostMount> host_mounts(const nlohmann::json& pod, const nlohmann::json& spec);

}  // namespace podtrace::cluster
