// SPDX-License-Identifier: Apache-2.0
// CRUD semantics of the API server's generic registry, specialised where Kubernetes differs
// (graceful pod deletion, Job propagation policies, namespace teardown).
#include "resource_api.h"

#include "job_controller.h"
#include "object_defaults.h"
#include "pod_security.h"
#include "tables.h"
#include "time_format.h"

namespace podtrace::cluster {

using nlohmann::json;

namespace {

std::string api_version_of(const ResourceType& type) {
  return type.group.empty() ? type.version : type.group + "/" + type.version;
}

json namespace_labels(const Store& store, const std::string& ns) {
  auto obj = store.get("namespaces", "", ns);
  return obj ? (*obj)["metadata"].value("labels", json::object()) : json::object();
}

json with_type(json obj, const ResourceType& type) {
  obj["apiVersion"] = api_version_of(type);
  obj["kind"] = type.kind;
  return obj;
}

std::optional<json> parse_body(const std::string& body) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return std::nullopt;
  return parsed;
}

bool dry_run(const httplib::Request& req) {
  return req.has_param("dryRun") && req.get_param_value("dryRun") == "All";
}

// A query parameter or, for DELETE, the same field of a DeleteOptions body.
std::string delete_option(const httplib::Request& req, const std::string& name) {
  if (req.has_param(name)) return req.get_param_value(name);
  if (auto body = parse_body(req.body); body && body->contains(name)) {
    const json& v = (*body)[name];
    return v.is_string() ? v.get<std::string>() : v.dump();
  }
  return "";
}

// Admission of an update: PodSecurity rejects Namespace labels that do not parse.
std::optional<ApiReply> admit_update(const ResourceType& type, const json& next) {
  if (type.resource != "namespaces") return std::nullopt;
  const json meta = next.value("metadata", json::object());
  return validate_namespace_labels(meta.value("name", ""), meta.value("labels", json::object()));
}

}  // namespace

bool wants_table(const httplib::Request& req) {
  return req.get_header_value("Accept").find("as=Table") != std::string::npos;
}

bool ListFilter::matches(const json& obj) const {
  return matches_labels(labels, obj["metadata"].value("labels", json::object())) &&
         matches_fields(fields, resource, obj);
}

std::variant<ListFilter, ApiReply> parse_list_filter(const std::string& resource,
                                                     const httplib::Request& req) {
  ListFilter filter;
  filter.resource = resource;
  auto labels = parse_label_selector(req.get_param_value("labelSelector"));
  if (auto* err = std::get_if<std::string>(&labels))
    return bad_request("unable to parse requirement: " + *err);
  filter.labels = std::get<Selector>(labels);
  auto fields = parse_field_selector(req.get_param_value("fieldSelector"));
  if (auto* err = std::get_if<std::string>(&fields)) return bad_request(*err);
  filter.fields = std::get<Selector>(fields);
  for (const auto& r : filter.fields.requirements)
    if (!field_supported(resource, r.key))
      return bad_request("field label not supported: " + r.key);
  return filter;
}

ApiReply ResourceApi::handle(const RequestInfo& info, const ResourceType& type,
                             const httplib::Request& req) {
  if (!info.subresource.empty() && info.subresource != "status")
    return status_failure(404, "NotFound", "the server could not find the requested resource",
                          json::object());
  if (info.verb == "get") return get(info, type, req);
  if (info.verb == "list") return list(info, type, req);
  if (info.verb == "create") return create(info, type, req);
  if (info.verb == "update") return update(info, type, req);
  if (info.verb == "patch") return patch(info, type, req);
  if (info.verb == "delete") return remove(info, type, req);
  return method_not_supported("the server does not allow this method on the requested resource");
}

ApiReply ResourceApi::get(const RequestInfo& info, const ResourceType& type,
                          const httplib::Request& req) {
  auto obj = store_.get(type.resource, info.ns, info.name);
  if (!obj) return not_found(type.resource, type.group, info.name);
  if (wants_table(req))
    return {200,
            make_table(type.resource, {*obj}, (*obj)["metadata"]["resourceVersion"],
                       req.get_param_value("includeObject"), Clock::now()),
            ""};
  return {200, with_type(*obj, type), ""};
}

ApiReply ResourceApi::list(const RequestInfo& info, const ResourceType& type,
                           const httplib::Request& req) {
  auto parsed = parse_list_filter(type.resource, req);
  if (auto* reply = std::get_if<ApiReply>(&parsed)) return *reply;
  const auto& filter = std::get<ListFilter>(parsed);
  int64_t rv = 0;
  std::vector<json> items;
  for (auto& obj : store_.list(type.resource, info.ns, &rv))
    if (filter.matches(obj)) items.push_back(std::move(obj));
  if (wants_table(req))
    return {200,
            make_table(type.resource, items, std::to_string(rv),
                       req.get_param_value("includeObject"), Clock::now()),
            ""};
  // Items of typed lists carry no kind/apiVersion on the wire, as from a real API server.
  for (auto& item : items) {
    item.erase("kind");
    item.erase("apiVersion");
  }
  return {200,
          {{"kind", type.kind + "List"},
           {"apiVersion", api_version_of(type)},
           {"metadata", {{"resourceVersion", std::to_string(rv)}}},
           {"items", items}},
          ""};
}

ApiReply ResourceApi::create(const RequestInfo& info, const ResourceType& type,
                             const httplib::Request& req) {
  auto body = parse_body(req.body);
  if (!body)
    return bad_request(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml");
  json obj = *body;
  if (!info.name.empty() || !info.subresource.empty())
    return method_not_supported("the server does not allow this method on the requested resource");
  std::string body_ns = obj["metadata"].is_object() ? obj["metadata"].value("namespace", "") : "";
  if (type.namespaced && !body_ns.empty() && body_ns != info.ns)
    return bad_request(
        "the namespace of the provided object does not match the namespace sent on the request");
  if (type.namespaced && !store_.get("namespaces", "", info.ns))
    return not_found("namespaces", "", info.ns);
  if (obj.value("kind", type.kind) != type.kind)
    return bad_request("the API version in the data (" + obj.value("apiVersion", "") +
                       ") does not match the expected API version (" + api_version_of(type) + ")");
  auto now = Clock::now();
  fill_metadata(obj, type.namespaced ? info.ns : "", now);
  std::string name = obj["metadata"].value("name", "");
  std::optional<ApiReply> problem;
  if (type.resource == "pods")
    problem = default_and_validate_pod(obj);
  else if (type.resource == "jobs")
    problem = default_and_validate_job(obj);
  else if (name.empty())
    problem = invalid(type.kind, type.group, name, "metadata.name",
                      "Required value: name or generateName is required");
  else if (type.resource == "namespaces") {
    obj["status"] = {{"phase", "Active"}};
    problem = validate_namespace_labels(name, obj["metadata"].value("labels", json::object()));
  } else if (type.resource == "nodes") {
    json node = make_node(name, now);
    if (obj["metadata"].contains("labels"))
      node["metadata"]["labels"].update(obj["metadata"]["labels"]);
    node["metadata"]["uid"] = obj["metadata"]["uid"];
    obj = node;
  }
  if (problem) return *problem;
  // Validating admission (PodSecurity) runs after validation, on the generated name, and also
  // for dry runs. Pods are enforced; for Jobs the API server only warns.
  std::string warning;
  if (type.resource == "pods") {
    auto admission = admit_pod(namespace_labels(store_, info.ns), obj);
    if (admission.refusal) return *admission.refusal;
    warning = admission.warning;
  } else if (type.resource == "jobs") {
    warning = workload_warning(namespace_labels(store_, info.ns), obj["spec"]["template"]["spec"]);
  }
  obj = with_type(obj, type);
  if (dry_run(req)) {
    if (store_.get(type.resource, info.ns, name))
      return already_exists(type.resource, type.group, name);
    return {201, obj, warning};
  }
  auto stored = store_.create(type.resource, obj);
  if (!stored) return already_exists(type.resource, type.group, name);
  return {201, *stored, warning};
}

ApiReply ResourceApi::update(const RequestInfo& info, const ResourceType& type,
                             const httplib::Request& req) {
  auto body = parse_body(req.body);
  if (!body) return bad_request("the body of the request was in an unknown format");
  std::string wanted_rv =
      (*body)["metadata"].is_object() ? (*body)["metadata"].value("resourceVersion", "") : "";
  bool conflict_seen = false;
  std::optional<ApiReply> rejected;
  auto updated = store_.update(type.resource, info.ns, info.name, [&](json& obj) {
    if (!wanted_rv.empty() && wanted_rv != obj["metadata"].value("resourceVersion", "")) {
      conflict_seen = true;
      return false;
    }
    json next = *body;
    // Identity and system fields stay; status only changes through /status and vice versa.
    for (const char* f : {"uid", "creationTimestamp", "namespace", "name", "deletionTimestamp"})
      if (obj["metadata"].contains(f)) next["metadata"][f] = obj["metadata"][f];
    if (info.subresource == "status")
      next["spec"] = obj["spec"];
    else if (obj.contains("status"))
      next["status"] = obj["status"];
    if ((rejected = admit_update(type, next))) return false;
    obj = with_type(next, type);
    return true;
  });
  if (!updated) return not_found(type.resource, type.group, info.name);
  if (rejected) return *rejected;
  if (conflict_seen)
    return conflict(type.resource, type.group, info.name,
                    "the object has been modified; please apply your changes to the latest version "
                    "and try again");
  return {200, *updated, ""};
}

ApiReply ResourceApi::patch(const RequestInfo& info, const ResourceType& type,
                            const httplib::Request& req) {
  std::string content_type = req.get_header_value("Content-Type");
  auto body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return bad_request("the body of the request was in an unknown format");
  if (content_type.find("apply-patch") != std::string::npos)
    return status_failure(
        415, "UnsupportedMediaType",
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, "
        "application/strategic-merge-patch+json");
  std::string error;
  std::optional<ApiReply> rejected;
  auto updated = store_.update(type.resource, info.ns, info.name, [&](json& obj) {
    json next;
    try {
      // Strategic merge patches are applied as JSON merge patches: the same for the
      // maps (labels, annotations) that clients patch here.
      if (content_type.find("json-patch") != std::string::npos)
        next = obj.patch(body);
      else {
        next = obj;
        next.merge_patch(body);
      }
    } catch (const json::exception& e) {
      error = e.what();
      return false;
    }
    for (const char* f : {"uid", "creationTimestamp", "namespace", "name", "resourceVersion"})
      if (obj["metadata"].contains(f)) next["metadata"][f] = obj["metadata"][f];
    if (next == obj) return false;
    if ((rejected = admit_update(type, next))) return false;
    obj = next;
    return true;
  });
  if (!updated) return not_found(type.resource, type.group, info.name);
  if (!error.empty()) return status_failure(422, "Invalid", error);
  if (rejected) return *rejected;
  return {200, *updated, ""};
}

ApiReply ResourceApi::remove(const RequestInfo& info, const ResourceType& type,
                             const httplib::Request& req) {
  auto obj = store_.get(type.resource, info.ns, info.name);
  if (!obj) return not_found(type.resource, type.group, info.name);
  if (dry_run(req)) return {200, *obj, ""};

  if (type.resource == "pods") {
    std::string grace_text = delete_option(req, "gracePeriodSeconds");
    std::optional<long long> grace;
    if (!grace_text.empty()) grace = std::stoll(grace_text);
    std::string phase = (*obj)["status"].value("phase", "");
    bool ran = (*obj)["status"].contains("startTime");
    // Pods that never ran or already ended, and grace 0, vanish at once; the kubelet
    // kills whatever still runs.
    if (!ran || phase == "Succeeded" || phase == "Failed" || (grace && *grace == 0)) {
      auto removed = store_.remove("pods", info.ns, info.name);
      return {200, removed ? with_type(*removed, type) : *obj, ""};
    }
    begin_pod_deletion(store_, info.ns, info.name, grace);
    auto now = store_.get("pods", info.ns, info.name);
    return {200, with_type(now ? *now : *obj, type), ""};
  }

  if (type.resource == "jobs") {
    std::string policy = delete_option(req, "propagationPolicy");
    if (delete_option(req, "orphanDependents") == "false" && policy.empty()) policy = "Background";
    std::string warning;
    if (policy.empty()) {
      // batch/v1 Jobs still default to orphaning their pods.
      policy = "Orphan";
      warning =
          "child pods are preserved by default when jobs are deleted; set "
          "propagationPolicy=Background to remove them or set propagationPolicy=Orphan to "
          "suppress this warning";
    }
    std::string uid = (*obj)["metadata"]["uid"];
    if (policy == "Foreground") {
      auto marked = store_.update("jobs", info.ns, info.name, [&](json& j) {
        if (j["metadata"].contains("deletionTimestamp")) return false;
        j["metadata"]["deletionTimestamp"] = rfc3339(Clock::now());
        j["metadata"]["deletionGracePeriodSeconds"] = 0;
        j["metadata"]["finalizers"] = {"foregroundDeletion"};
        return true;
      });
      return {200, with_type(marked ? *marked : *obj, type), warning};
    }
    if (policy == "Orphan") {
      for (const auto& p : store_.list("pods", info.ns))
        store_.update("pods", info.ns, p["metadata"]["name"], [&](json& pod) {
          json& refs = pod["metadata"]["ownerReferences"];
          if (!refs.is_array()) return false;
          json kept = json::array();
          for (const auto& r : refs)
            if (r.value("uid", "") != uid) kept.push_back(r);
          if (kept.size() == refs.size()) return false;
          if (kept.empty())
            pod["metadata"].erase("ownerReferences");
          else
            refs = kept;
          return true;
        });
    }
    // Background: the garbage collector (job controller pass) deletes the pods next.
    auto removed = store_.remove("jobs", info.ns, info.name);
    return {200, with_type(removed ? *removed : *obj, type), warning};
  }

  if (type.resource == "namespaces") {
    for (const auto& res : {"jobs", "pods", "events"})
      for (const auto& o : store_.list(res, info.name))
        store_.remove(res, info.name, o["metadata"]["name"]);
  }
  auto removed = store_.remove(type.resource, info.ns, info.name);
  return {200, with_type(removed ? *removed : *obj, type), ""};
}

}  // namespace podtrace::cluster
