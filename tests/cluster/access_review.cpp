// SPDX-License-Identifier: Apache-2.0
// The REST handler of pkg/registry/authorization/selfsubjectaccessreview: validate the spec,
// turn its attributes into the authorizer's, and echo the review with a status.
#include "access_review.h"

#include <vector>

namespace podtrace::cluster {

using nlohmann::json;

namespace {

const char* review_kind = "SelfSubjectAccessReview";
const char* review_group = "authorization.k8s.io";

// Copies the known string fields of `from`, dropping empty ones as Go's omitempty does when
// the typed object is encoded again; false when one is not a string (the decoder's 400).
bool copy_fields(const json& from, const std::vector<const char*>& names, json& to) {
  to = json::object();
  for (const char* name : names) {
    if (!from.contains(name) || from[name].is_null()) continue;
    if (!from[name].is_string()) return false;
    if (!from[name].get<std::string>().empty()) to[name] = from[name];
  }
  return true;
}

// NewInvalid(SelfSubjectAccessReview.authorization.k8s.io, "", [field.Invalid(...)]).
ApiReply invalid_spec(const std::string& field, const std::string& body) {
  std::string qualified = std::string(review_kind) + "." + review_group;
  return status_failure(
      422, "Invalid", qualified + " \"\" is invalid: " + field + ": " + body,
      {{"group", review_group},
       {"kind", review_kind},
       {"causes",
        json::array({{{"reason", "FieldValueInvalid"}, {"message", body}, {"field", field}}})}});
}

// How field.Invalid prints a non-nil *NonResourceAttributes (Go's %#v of the internal type).
std::string go_value(const json& non_resource) {
  return "authorization.NonResourceAttributes{Path:\"" + non_resource.value("path", "") +
         "\", Verb:\"" + non_resource.value("verb", "") + "\"}";
}

}  // namespace

ApiReply review_access(const User& user, const std::string& body_text) {
  json body = json::parse(body_text, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return bad_request(
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml");
  json spec = body.value("spec", json::object());
  if (!spec.is_object()) return bad_request("spec: expected an object");
  bool has_resource = spec.contains("resourceAttributes") && !spec["resourceAttributes"].is_null();
  bool has_non_resource =
      spec.contains("nonResourceAttributes") && !spec["nonResourceAttributes"].is_null();
  if (has_resource && has_non_resource)
    return invalid_spec("spec.nonResourceAttributes",
                        "Invalid value: " + go_value(spec["nonResourceAttributes"]) +
                            ": cannot be specified in combination with resourceAttributes");
  if (!has_resource && !has_non_resource)
    return invalid_spec(
        "spec.resourceAttributes",
        "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes "
        "must be specified");

  json echoed_spec = json::object();
  RequestInfo info;
  std::string path;
  if (has_resource) {
    json attrs;
    if (!spec["resourceAttributes"].is_object() ||
        !copy_fields(spec["resourceAttributes"],
                     {"namespace", "verb", "group", "version", "resource", "subresource", "name"},
                     attrs))
      return bad_request("spec.resourceAttributes: expected an object of strings");
    echoed_spec["resourceAttributes"] = attrs;
    info.is_resource = true;
    info.ns = attrs.value("namespace", "");
    info.verb = attrs.value("verb", "");
    info.group = attrs.value("group", "");
    info.version = attrs.value("version", "");
    info.resource = attrs.value("resource", "");
    info.subresource = attrs.value("subresource", "");
    info.name = attrs.value("name", "");
  } else {
    json attrs;
    if (!spec["nonResourceAttributes"].is_object() ||
        !copy_fields(spec["nonResourceAttributes"], {"path", "verb"}, attrs))
      return bad_request("spec.nonResourceAttributes: expected an object of strings");
    echoed_spec["nonResourceAttributes"] = attrs;
    info.verb = attrs.value("verb", "");
    path = attrs.value("path", "");
  }

  Decision decision = decide(user, info, path);
  json status = {{"allowed", decision.allowed}};
  if (!decision.reason.empty()) status["reason"] = decision.reason;
  return {201,
          {{"kind", review_kind},
           {"apiVersion", std::string(review_group) + "/v1"},
           {"metadata", {{"creationTimestamp", nullptr}}},
           {"spec", echoed_spec},
           {"status", status}},
          ""};
}

}  // namespace podtrace::cluster
