// SPDX-License-Identifier: Apache-2.0
// authorization.k8s.io/v1 SelfSubjectAccessReview: "may I do this?", answered by decide().
#pragma once

#include <string>

#include "api_status.h"
#include "auth.h"

namespace podtrace::cluster {

// POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews with body: 201 and the review
// with its status ({allowed, reason?}), or the 400/422 the API server answers. Nothing is
// stored: like the real registry, the review exists only in the reply.
ApiReply review_access(const User& user, const std::string& body);

}  // namespace podtrace::cluster
