// SPDX-License-Identifier: Apache-2.0
// Status decoding: the reason field decides the phrasing, the message is kept as detail.
#include "kube/status.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "terminal_safe.h"

namespace podtrace::plugin::kube {
namespace {

std::string singular(const std::string& resource) {
  std::string base = resource.substr(0, resource.find('/'));
  if (base.size() > 1 && base.back() == 's') base.pop_back();
  return base;
}

std::string where(const RequestTarget& t) {
  return t.namespace_.empty()
             ? std::string()
             : fmt::format(" in namespace \"{}\"", sanitize_for_terminal(t.namespace_));
}

}  // namespace

std::string describe_api_error(int http_status, const std::string& body,
                               const RequestTarget& target) {
  using json = nlohmann::json;
  std::string reason, message;
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_discarded() && doc.is_object() && doc.value("kind", json()).is_string() &&
      doc["kind"] == "Status") {
    if (auto it = doc.find("reason"); it != doc.end() && it->is_string())
      reason = it->get<std::string>();
    if (auto it = doc.find("message"); it != doc.end() && it->is_string())
      message = sanitize_for_terminal(it->get<std::string>());
  } else {
    message = sanitize_for_terminal(body.substr(0, 200));
  }

  std::string name = sanitize_for_terminal(target.name);
  if (reason == "NotFound" || (reason.empty() && http_status == 404)) {
    if (!target.name.empty())
      return fmt::format("{} \"{}\" not found{}", singular(target.resource), name, where(target));
    return fmt::format("not found: {}", message.empty() ? target.resource : message);
  }
  if (reason == "Forbidden" || (reason.empty() && http_status == 403)) {
    return fmt::format("forbidden: you need \"{}\" on \"{}\"{}\n  server said: {}\n{}", target.verb,
                       target.resource, where(target), message, rbac_hint);
  }
  if (reason == "Unauthorized" || (reason.empty() && http_status == 401))
    return "unauthorized: the API server rejected your credentials (expired token or "
           "certificate?); "
           "check that `kubectl get pods` works with the same kubeconfig";
  if (reason == "AlreadyExists")
    return fmt::format("{} \"{}\" already exists{}", singular(target.resource), name,
                       where(target));
  if (http_status == 429)
    return "the API server is overloaded (429 Too Many Requests); try again later";
  if (!message.empty())
    return fmt::format("{} {} failed ({} {}): {}", target.verb, target.resource, http_status,
                       reason.empty() ? "error" : reason, message);
  return fmt::format("{} {} failed: HTTP {}", target.verb, target.resource, http_status);
}

}  // namespace podtrace::plugin::kube
