// SPDX-License-Identifier: Apache-2.0
// Status bodies worded like k8s.io/apimachinery/pkg/api/errors so clients parse them as usual.
#include "api_status.h"

namespace podtrace::cluster {

using nlohmann::json;

ApiReply status_failure(int code, const std::string& reason, const std::string& message,
                        json details) {
  json body = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
               {"status", "Failure"}, {"message", message}, {"reason", reason}};
  if (!details.is_null()) body["details"] = details;
  body["code"] = code;
  return {code, body, ""};
}

std::string qualified_resource(const std::string& resource, const std::string& group) {
  return group.empty() ? resource : resource + "." + group;
}

ApiReply not_found(const std::string& resource, const std::string& group, const std::string& name) {
  return status_failure(404, "NotFound",
                        qualified_resource(resource, group) + " \"" + name + "\" not found",
                        {{"name", name}, {"group", group}, {"kind", resource}});
}

ApiReply already_exists(const std::string& resource, const std::string& group,
                        const std::string& name) {
  return status_failure(409, "AlreadyExists",
                        qualified_resource(resource, group) + " \"" + name + "\" already exists",
                        {{"name", name}, {"group", group}, {"kind", resource}});
}

ApiReply bad_request(const std::string& message) {
  return status_failure(400, "BadRequest", message);
}

ApiReply invalid(const std::string& kind, const std::string& group, const std::string& name,
                 const std::string& field, const std::string& message) {
  std::string qualified = group.empty() ? kind : kind + "." + group;
  return status_failure(
      422, "Invalid", qualified + " \"" + name + "\" is invalid: " + field + ": " + message,
      {{"name", name},
       {"group", group},
       {"kind", kind},
       {"causes",
        json::array({{{"reason", "FieldValueInvalid"}, {"message", message}, {"field", field}}})}});
}

ApiReply unauthorized() { return status_failure(401, "Unauthorized", "Unauthorized"); }

ApiReply gone(const std::string& message) { return status_failure(410, "Expired", message); }

ApiReply method_not_supported(const std::string& message) {
  return status_failure(405, "MethodNotAllowed", message);
}

ApiReply conflict(const std::string& resource, const std::string& group, const std::string& name,
                  const std::string& message) {
  return status_failure(409, "Conflict",
                        "Operation cannot be fulfilled on " + qualified_resource(resource, group) +
                            " \"" + name + "\": " + message,
                        {{"name", name}, {"group", group}, {"kind", resource}});
}

}  // namespace podtrace::cluster
