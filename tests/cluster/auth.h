// SPDX-License-Identifier: Apache-2.0
// Who is calling (client certificate or bearer token) and what they may do (RBAC-like rules).
#pragma once

#include <openssl/ssl.h>

#include <optional>
#include <string>
#include <vector>

#include "api_status.h"
#include "request_info.h"

namespace podtrace::cluster {

struct User {
  std::string name;
  std::vector<std::string> groups;
};

// Bearer tokens the harness hands out through its kubeconfig.
struct Tokens {
  std::string admin;       // user "podtrace-token", group system:masters
  std::string restricted;  // user "restricted": pods get/list/watch and pods/log get only
};

class Authenticator {
 public:
  explicit Authenticator(Tokens tokens) : tokens_(std::move(tokens)) {}

  // A verified client certificate wins over a token, as in the API server's union
  // authenticator. nullopt → 401.
  std::optional<User> authenticate(const SSL* ssl, const std::string& authorization_header) const;

 private:
  Tokens tokens_;
};

// What the authorizer chain answers for one action: allowed, and the reason a
// SubjectAccessReview reports (RBAC names the binding that allowed; a denial has none).
struct Decision {
  bool allowed = false;
  std::string reason;
};

// The one rule set, for requests (authorize) and access reviews alike: system:masters may do
// everything; every authenticated user may read discovery and create
// SelfSubjectAccessReviews; user "restricted" may get/list/watch pods and get pods/log.
// path is used for non-resource requests (info.is_resource false).
Decision decide(const User& user, const RequestInfo& info, const std::string& path);

// nullopt when allowed, else the 403 Forbidden reply with the API server's wording.
std::optional<ApiReply> authorize(const User& user, const RequestInfo& info,
                                  const std::string& path);

}  // namespace podtrace::cluster
