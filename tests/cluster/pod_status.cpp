// SPDX-License-Identifier: Apache-2.0
// pod_status.cpp: pod conditions and hostPath mounts.
#include "pod_status.h"

#include <map>

namespace podtrace::cluster {

using nlohmann::json;

json condition(const char* type, bool ok, const std::string& now, const char* reason) {
  json c = {{"type", type},
            {"status", ok ? "True" : "False"},
            {"lastProbeTime", nullptr},
            {"lastTransitionTime", now}};
  if (reason) c["reason"] = reason;
  return c;
}

void set_condition(json& status, const json& c) {
  json& conditions = status["conditions"];
  if (!conditions.is_array()) conditions = json::array();
  for (auto& existing : conditions)
    if (existing["type"] == c["type"]) {
      existing = c;
      return;
    }
  conditions.push_back(c);
}

std::vector<HostMount> host_mounts(const json& pod, const json& spec) {
  std::map<std::string, std::string> volumes;
  for (const auto& v : pod["spec"].value("volumes", json::array()))
    if (v.contains("hostPath")) volumes[v.value("name", "")] = v["hostPath"].value("path", "");
  std::vector<HostMount> out;
  for (const auto& m : spec.value("volumeMounts", json::array())) {
    auto it = volumes.find(m.value("name", ""));
    if (it != volumes.end())
      out.push_back({m.value("mountPath", ""), it->second, m.value("readOnly", false)});
  }
  return out;
}

}  // namespace podtrace::cluster
