// SPDX-License-Identifier: Apache-2.0
// QoS classification (pkg/apis/core/v1/helper/qos) and the systemd-driver cgroup naming.
#include "qos.h"

#include <algorithm>
#include <map>

#include "quantity.h"

namespace podtrace::cluster {

using nlohmann::json;

namespace {

// Only cpu and memory decide the QoS class.
bool is_qos_resource(const std::string& name) { return name == "cpu" || name == "memory"; }

long long quantity_of(const json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  return parse_quantity_milli(text).value_or(0);
}

}  // namespace

std::string compute_qos_class(const json& pod_spec) {
  std::map<std::string, long long> requests;
  std::map<std::string, long long> limits;
  bool guaranteed = true;
  for (const char* list : {"initContainers", "containers"}) {
    if (!pod_spec.contains(list)) continue;
    for (const auto& container : pod_spec[list]) {
      json resources = container.value("resources", json::object());
      json container_requests = resources.value("requests", json::object());
      json container_limits = resources.value("limits", json::object());
      // API defaulting: a limit without a request is also the request.
      for (auto& [name, value] : container_limits.items())
        if (!container_requests.contains(name)) container_requests[name] = value;
      for (auto& [name, value] : container_requests.items()) {
        long long q = quantity_of(value);
        if (is_qos_resource(name) && q != 0) requests[name] += q;
      }
      int limits_found = 0;
      for (auto& [name, value] : container_limits.items()) {
        long long q = quantity_of(value);
        if (is_qos_resource(name) && q != 0) {
          limits[name] += q;
          ++limits_found;
        }
      }
      if (limits_found != 2) guaranteed = false;
    }
  }
  if (requests.empty() && limits.empty()) return "BestEffort";
  if (guaranteed) {
    for (const auto& [name, q] : requests)
      if (limits.count(name) == 0 || limits[name] != q) guaranteed = false;
  }
  if (guaranteed && requests.size() == limits.size()) return "Guaranteed";
  return "Burstable";
}

std::string pod_cgroup_path(const std::string& qos_class, const std::string& pod_uid) {
  std::string uid = pod_uid;
  std::replace(uid.begin(), uid.end(), '-', '_');
  if (qos_class == "Guaranteed") return "kubepods.slice/kubepods-pod" + uid + ".slice";
  std::string qos = qos_class == "BestEffort" ? "besteffort" : "burstable";
  return "kubepods.slice/kubepods-" + qos + ".slice/kubepods-" + qos + "-pod" + uid + ".slice";
}

}  // namespace podtrace::cluster
