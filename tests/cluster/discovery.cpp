// SPDX-License-Identifier: Apache-2.0
// Legacy (unaggregated) discovery: kubectl falls back to it when the aggregated media type is
// not answered, so one format serves every kubectl version.
#include "discovery.h"

#include <sys/utsname.h>

#include <vector>

namespace podtrace::cluster {

using nlohmann::json;

namespace {

struct Entry {
  ResourceType type;
  std::string singular;
  std::vector<std::string> short_names;
  bool in_all_category = false;
  std::vector<std::string> subresources;  // "log", "status"
  std::vector<std::string> verbs;         // empty: the full CRUD set
};

const std::vector<Entry>& catalogue() {
  static const std::vector<Entry> entries = {
      {{"", "v1", "namespaces", "Namespace", false}, "namespace", {"ns"}, false, {"status"}, {}},
      {{"", "v1", "nodes", "Node", false}, "node", {"no"}, false, {"status"}, {}},
      {{"", "v1", "pods", "Pod", true}, "pod", {"po"}, true, {"log", "status"}, {}},
      {{"", "v1", "events", "Event", true}, "event", {"ev"}, false, {}, {}},
      {{"batch", "v1", "jobs", "Job", true}, "job", {}, true, {"status"}, {}},
      // Create-only: a review is answered, never stored.
      {{"authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false},
       "selfsubjectaccessreview",
       {},
       false,
       {},
       {"create"}},
  };
  return entries;
}

json resource_list(const std::string& group, const std::string& version) {
  const std::vector<std::string> verbs = {"create", "delete", "deletecollection", "get",
                                          "list",   "patch",  "update",           "watch"};
  json resources = json::array();
  for (const auto& e : catalogue()) {
    if (e.type.group != group || e.type.version != version) continue;
    json r = {{"name", e.type.resource},
              {"singularName", e.singular},
              {"namespaced", e.type.namespaced},
              {"kind", e.type.kind},
              {"verbs", e.verbs.empty() ? verbs : e.verbs}};
    if (!e.short_names.empty()) r["shortNames"] = e.short_names;
    if (e.in_all_category) r["categories"] = {"all"};
    resources.push_back(r);
    for (const auto& sub : e.subresources) {
      json s = {{"name", e.type.resource + "/" + sub},
                {"singularName", ""},
                {"namespaced", e.type.namespaced},
                {"kind", e.type.kind}};
      s["verbs"] = sub == "log" ? json{"get"} : json{"get", "patch", "update"};
      resources.push_back(s);
    }
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", resources}};
}

// The named groups served, each at v1 only.
const std::vector<const char*>& served_groups() {
  static const std::vector<const char*> groups = {"authorization.k8s.io", "batch"};
  return groups;
}

json api_group(const std::string& name) {
  json gv = {{"groupVersion", name + "/v1"}, {"version", "v1"}};
  return {{"name", name}, {"versions", {gv}}, {"preferredVersion", gv}};
}

json version_info() {
  utsname u{};
  uname(&u);
  return {{"major", "1"},
          {"minor", "30"},
          {"gitVersion", "v1.30.0-podtrace"},
          {"gitCommit", "0000000000000000000000000000000000000000"},
          {"gitTreeState", "clean"},
          {"buildDate", "2024-04-17T00:00:00Z"},
          {"goVersion", "go1.22.2"},
          {"compiler", "gc"},
          {"platform",
           std::string("linux/") + (std::string(u.machine) == "aarch64" ? "arm64" : "amd64")}};
}

}  // namespace

std::optional<ResourceType> find_resource(const std::string& group, const std::string& version,
                                          const std::string& resource) {
  for (const auto& e : catalogue())
    if (e.type.group == group && e.type.version == version && e.type.resource == resource)
      return e.type;
  return std::nullopt;
}

std::optional<json> discovery_document(const std::string& raw_path,
                                       const std::string& server_address) {
  std::string path = raw_path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path == "/version") return version_info();
  if (path == "/api")
    return json{{"kind", "APIVersions"},
                {"versions", {"v1"}},
                {"serverAddressByClientCIDRs",
                 {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
  if (path == "/apis") {
    // In the API server's priority order: authorization.k8s.io before batch.
    json groups = json::array();
    for (const char* name : served_groups()) groups.push_back(api_group(name));
    return json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
  }
  for (const char* name : served_groups()) {
    if (path == std::string("/apis/") + name) {
      json group = api_group(name);
      group["kind"] = "APIGroup";
      group["apiVersion"] = "v1";
      return group;
    }
    if (path == std::string("/apis/") + name + "/v1") return resource_list(name, "v1");
  }
  if (path == "/api/v1") return resource_list("", "v1");
  return std::nullopt;
}

}  // namespace podtrace::cluster
