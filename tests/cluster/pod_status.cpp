// SPDX-License-Identifier: Apache-2.0
// pod_status.cpp: pod conditions and hostPath mounts.
#include "pod_status.h"

#include <filesystem>
#include <map>

#include "quantity.h"

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
  std::map<std::string, json> volumes;
  for (const auto& v : pod["spec"].value("volumes", json::array()))
    if (v.contains("hostPath")) volumes[v.value("name", "")] = v["hostPath"];
  std::vector<HostMount> out;
  for (const auto& m : spec.value("volumeMounts", json::array())) {
    auto it = volumes.find(m.value("name", ""));
    if (it != volumes.end())
      out.push_back({m.value("mountPath", ""), it->second.value("path", ""),
                     m.value("readOnly", false), it->second.value("type", "")});
  }
  return out;
}

bool prepare_host_path(const HostMount& m, std::string& error) {
  if (m.type != "DirectoryOrCreate") return true;
  std::error_code ec;
  std::filesystem::create_directories(m.host_path, ec);
  if (ec) {
    error = "hostPath " + m.host_path + ": " + ec.message();
    return false;
  }
  return true;
}

std::string field_ref(const json& pod, const std::string& path, const std::string& pod_ip,
                      const std::string& host_ip) {
  if (path == "metadata.name") return pod["metadata"]["name"];
  if (path == "metadata.namespace") return pod["metadata"].value("namespace", "");
  if (path == "metadata.uid") return pod["metadata"]["uid"];
  if (path == "spec.nodeName") return pod["spec"].value("nodeName", "");
  if (path == "spec.serviceAccountName") return pod["spec"].value("serviceAccountName", "");
  if (path == "status.podIP") return pod_ip;
  if (path == "status.hostIP") return host_ip;
  return "";
}

ContainerResources container_resources(const json& spec) {
  const json resources = spec.value("resources", json::object());
  const json limits = resources.value("limits", json::object());
  const json requests = resources.value("requests", json::object());
  auto text = [](const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); };
  ContainerResources r;
  if (limits.contains("cpu"))
    r.cpu_limit_milli = parse_quantity_milli(text(limits["cpu"])).value_or(0);
  if (requests.contains("cpu"))
    r.cpu_request_milli = parse_quantity_milli(text(requests["cpu"])).value_or(0);
  else
    r.cpu_request_milli = r.cpu_limit_milli;
  if (limits.contains("memory"))
    r.memory_limit_bytes = parse_quantity(text(limits["memory"])).value_or(0);
  return r;
}

const json* container_spec(const json& pod, const std::string& name) {
  for (const auto& s : pod["spec"]["containers"])
    if (s["name"] == name) return &s;
  return nullptr;
}

}  // namespace podtrace::cluster
