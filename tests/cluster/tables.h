// SPDX-License-Identifier: Apache-2.0
// meta.k8s.io/v1 Table rendering of objects (what `kubectl get` prints as columns).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "time_format.h"

namespace podtrace::cluster {

// include_object: "None", "Metadata" (default) or "Object", from ?includeObject=.
nlohmann::json make_table(const std::string& resource, const std::vector<nlohmann::json>& objects,
                          const std::string& resource_version, const std::string& include_object,
                          Clock::time_point now);

// The STATUS column of `kubectl get pods` (printers.go printPod), exposed for tests.
std::string pod_status_reason(const nlohmann::json& pod);

}  // namespace podtrace::cluster
