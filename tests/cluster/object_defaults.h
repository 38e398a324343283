// SPDX-License-Identifier: Apache-2.0
// What the API server fills in on create (uid, timestamps, defaults) and the validation it does.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "api_status.h"
#include "time_format.h"

namespace podtrace::cluster {

std::string random_uid();
// Five characters from the alphabet Kubernetes uses for generated names
// ("bcdfghjklmnpqrstvwxz2456789").
std::string random_suffix();

// uid, creationTimestamp, name from generateName, namespace (for namespaced kinds).
void fill_metadata(nlohmann::json& obj, const std::string& ns, Clock::time_point now);

// Pod defaults (restartPolicy, terminationGracePeriodSeconds, requests from limits, qosClass,
// status Pending) and the minimal validation the harness enforces; nullopt when valid.
std::optional<ApiReply> default_and_validate_pod(nlohmann::json& pod);
// Job defaults (selector/labels with controller-uid, completions, backoffLimit) and validation.
std::optional<ApiReply> default_and_validate_job(nlohmann::json& job);

nlohmann::json make_namespace(const std::string& name, Clock::time_point now);
nlohmann::json make_node(const std::string& name, Clock::time_point now);

}  // namespace podtrace::cluster
