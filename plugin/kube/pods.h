// SPDX-License-Identifier: Apache-2.0
// Target pods: parsing Pod objects and picking the containers to trace.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kube/rest_client.h"
#include "result.h"

namespace podtrace::plugin::kube {

struct ContainerInfo {
  std::string name;
  std::string id;  // "containerd://<64 hex>", "cri-o://…", "docker://…"; empty if not started
  std::string runtime;  // "containerd", "cri-o", "docker"
  bool ready = false;
};

struct PodInfo {
  std::string name;
  std::string namespace_;
  std::string uid;
  std::string node;
  std::string phase;
  std::string qos_class;
  std::string restart_policy;  // "Always" (the API's default), "OnFailure", "Never"
  std::vector<ContainerInfo> containers;
  size_t pod_containers = 0;  // how many the pod has, whatever select_containers() kept
};

Result<PodInfo> parse_pod(const nlohmann::json& pod);

// A pod must be scheduled and Running, and each chosen container must have a runtime id.
// `container` picks one by name; empty picks all. Returns the pod with only chosen containers.
Result<PodInfo> select_containers(const PodInfo& pod, const std::string& container);

// Gets one pod by name.
Result<PodInfo> get_pod(RestClient& client, const std::string& ns, const std::string& name);

// Lists pods by selector. Pods that are not Running are skipped, with a note in `skipped`.
Result<std::vector<PodInfo>> list_pods(RestClient& client, const std::string& ns,
                                       const std::string& selector,
                                       std::vector<std::string>& skipped);

}  // namespace podtrace::plugin::kube
