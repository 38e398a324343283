// SPDX-License-Identifier: Apache-2.0
// access_review.h: "may I?" questions to the API server (SelfSubjectAccessReview), as
// `kubectl auth can-i` asks them: the answer is the cluster's own RBAC decision.
#pragma once

#include <string>

#include "kube/rest_client.h"
#include "result.h"

namespace podtrace::plugin::kube {

struct AccessCheck {
  std::string verb;         // create, get, list, delete
  std::string resource;     // pods, jobs
  std::string subresource;  // log
  std::string group;        // "" (core), "batch"
  std::string namespace_;
};

// "create jobs.batch in namespace shop", "get pods/log in namespace shop".
std::string describe_access(const AccessCheck& check);

// The SelfSubjectAccessReview body for one check.
nlohmann::json access_review_body(const AccessCheck& check);

// Whether the API server allows the current user `check`.
Result<bool> can_i(RestClient& client, const AccessCheck& check);

}  // namespace podtrace::plugin::kube
