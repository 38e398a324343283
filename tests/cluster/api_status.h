// SPDX-License-Identifier: Apache-2.0
// Kubernetes `Status` objects for API errors, and the reply type handlers return.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace podtrace::cluster {

// What a handler answers: an HTTP code and a JSON body (object, list, table or Status).
struct ApiReply {
  int code = 200;
  nlohmann::json body;
  std::string warning;  // Warning: header (299), as the API server sends for deprecated use
};

// A failure Status: {"kind":"Status",...,"status":"Failure","message":..,"reason":..,"code":..}.
ApiReply status_failure(int code, const std::string& reason, const std::string& message,
                        nlohmann::json details = nullptr);

// "pods" + "" → "pods"; "jobs" + "batch" → "jobs.batch" (how messages name a resource).
std::string qualified_resource(const std::string& resource, const std::string& group);

ApiReply not_found(const std::string& resource, const std::string& group, const std::string& name);
ApiReply already_exists(const std::string& resource, const std::string& group,
                        const std::string& name);
ApiReply bad_request(const std::string& message);
ApiReply invalid(const std::string& kind, const std::string& group, const std::string& name,
                 const std::string& field, const std::string& message);
ApiReply unauthorized();
ApiReply gone(const std::string& message);
ApiReply method_not_supported(const std::string& message);
ApiReply conflict(const std::string& resource, const std::string& group, const std::string& name,
                  const std::string& message);

}  // namespace podtrace::cluster
