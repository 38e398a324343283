// SPDX-License-Identifier: Apache-2.0
#include "kube/access_review.h"

#include <fmt/format.h>

#include "kube/json_access.h"

namespace podtrace::plugin::kube {

using plugin::member;

std::string describe_access(const AccessCheck& c) {
  std::string what = c.resource;
  if (!c.group.empty()) what += "." + c.group;
  if (!c.subresource.empty()) what += "/" + c.subresource;
  return fmt::format("{} {} in namespace {}", c.verb, what, c.namespace_);
}

nlohmann::json access_review_body(const AccessCheck& c) {
  nlohmann::json attributes = {
      {"namespace", c.namespace_}, {"verb", c.verb}, {"group", c.group}, {"resource", c.resource}};
  if (!c.subresource.empty()) attributes["subresource"] = c.subresource;
  return {{"apiVersion", "authorization.k8s.io/v1"},
          {"kind", "SelfSubjectAccessReview"},
          {"spec", {{"resourceAttributes", attributes}}}};
}

Result<bool> can_i(RestClient& client, const AccessCheck& c) {
  auto reply =
      client.post("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", access_review_body(c),
                  {"create", "selfsubjectaccessreviews", "authorization.k8s.io", "", ""});
  if (!reply) return reply.take_error();
  const nlohmann::json* status = member(*reply, "status");
  const nlohmann::json* allowed = status ? member(*status, "allowed") : nullptr;
  if (!allowed || !allowed->is_boolean())
    return make_error("the API server's SelfSubjectAccessReview has no status.allowed");
  return allowed->get<bool>();
}

}  // namespace podtrace::plugin::kube
