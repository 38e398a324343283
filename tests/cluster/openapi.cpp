// SPDX-License-Identifier: Apache-2.0
// kubectl's QueryParamVerifierV3 looks for a PATCH operation tagged with the object's
// x-kubernetes-group-version-kind that lists the fieldValidation query parameter; when it is
// found kubectl sends fieldValidation=Strict instead of downloading schemas. No schemas are
// served, so client-side validation is never attempted.
#include "openapi.h"

#include <vector>

namespace podtrace::cluster {

using nlohmann::json;

namespace {

struct Served {
  const char* group;
  const char* version;
  const char* kind;
  const char* item_path;  // PATCH target
};

const std::vector<Served>& served() {
  static const std::vector<Served> items = {
      {"", "v1", "Namespace", "/api/v1/namespaces/{name}"},
      {"", "v1", "Node", "/api/v1/nodes/{name}"},
      {"", "v1", "Pod", "/api/v1/namespaces/{namespace}/pods/{name}"},
      {"", "v1", "Event", "/api/v1/namespaces/{namespace}/events/{name}"},
      {"batch", "v1", "Job", "/apis/batch/v1/namespaces/{namespace}/jobs/{name}"},
  };
  return items;
}

json group_version_document(const std::string& group, const std::string& version) {
  json paths = json::object();
  for (const auto& s : served()) {
    if (group != s.group || version != s.version) continue;
    json param = {{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}}};
    paths[s.item_path] = {{"patch",
                           {{"operationId", std::string("patch") + s.kind},
                            {"x-kubernetes-action", "patch"},
                            {"x-kubernetes-group-version-kind",
                             {{"group", s.group}, {"version", s.version}, {"kind", s.kind}}},
                            {"parameters", {param}},
                            {"responses", {{"200", {{"description", "OK"}}}}}}}};
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.30.0"}}},
          {"paths", paths},
          {"components", {{"schemas", json::object()}}}};
}

}  // namespace

std::string openapi_v2_protobuf() {
  // openapi_v2.Document field 1 (swagger), wire type 2 (length-delimited): tag 0x0a.
  return std::string(
      "\x0a\x03"
      "2.0",
      5);
}

std::optional<json> openapi_v3_document(const std::string& raw_path) {
  std::string path = raw_path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  // Every served group version is listed, as by the API server; authorization.k8s.io has no
  // PATCH operation (reviews are create-only), so its document has no paths.
  const std::vector<std::pair<std::string, std::string>> group_versions = {
      {"", "v1"}, {"authorization.k8s.io", "v1"}, {"batch", "v1"}};
  if (path == "/openapi/v3") {
    json paths = json::object();
    for (const auto& [group, version] : group_versions) {
      std::string rel = group.empty() ? "api/" + version : "apis/" + group + "/" + version;
      paths[rel] = {{"serverRelativeURL", "/openapi/v3/" + rel + "?hash=podtrace1"}};
    }
    return json{{"paths", paths}};
  }
  for (const auto& [group, version] : group_versions) {
    std::string rel = group.empty() ? "api/" + version : "apis/" + group + "/" + version;
    if (path == "/openapi/v3/" + rel) return group_version_document(group, version);
  }
  return std::nullopt;
}

}  // namespace podtrace::cluster
