// SPDX-License-Identifier: Apache-2.0
// Minimal OpenAPI v3 documents: just enough for kubectl to see that the server validates
// fields itself (so `kubectl create -f` / `apply -f` need no client-side schema).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace podtrace::cluster {

// Body for /openapi/v3 and /openapi/v3/{api/v1,apis/batch/v1}; nullopt for anything else.
std::optional<nlohmann::json> openapi_v3_document(const std::string& path);

// /openapi/v2 as gnostic protobuf: {swagger: "2.0"} and nothing else.
std::string openapi_v2_protobuf();

}  // namespace podtrace::cluster
