// SPDX-License-Identifier: Apache-2.0
// Turns Kubernetes `Status` error responses into one clear message, with RBAC hints.
#pragma once

#include <string>

namespace podtrace::plugin::kube {

// What the request was about, so that "NotFound" can become `pod "x" not found in namespace "y"`.
struct RequestTarget {
  std::string verb;      // get, list, watch, create, delete
  std::string resource;  // pods, jobs, pods/log
  std::string group;     // "" for core, "batch"
  std::string namespace_;
  std::string name;  // empty for list/create
};

inline constexpr const char* rbac_hint =
    "hint: ask a cluster admin to apply manifests/rbac.yaml from podtrace "
    "(it grants exactly what kubectl-podtrace needs) and bind it to you";

// `body` is the raw response body (a Status object, or anything else); `http_status` the code.
std::string describe_api_error(int http_status, const std::string& body,
                               const RequestTarget& target);

}  // namespace podtrace::plugin::kube
