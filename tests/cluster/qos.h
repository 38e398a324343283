// SPDX-License-Identifier: Apache-2.0
// Pod QoS class, computed from container resources the way the kubelet does.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace podtrace::cluster {

// "Guaranteed", "Burstable" or "BestEffort" for a PodSpec (limits without requests count as
// requests, as API defaulting makes them).
std::string compute_qos_class(const nlohmann::json& pod_spec);

// The kubelet's cgroup for a pod, relative to the kubepods root:
// "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice".
std::string pod_cgroup_path(const std::string& qos_class, const std::string& pod_uid);

}  // namespace podtrace::cluster
