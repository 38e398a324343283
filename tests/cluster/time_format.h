// SPDX-License-Identifier: Apache-2.0
// Time formatting shared by the API objects: RFC 3339 timestamps and kubectl-style ages.
#pragma once

#include <chrono>
#include <string>

namespace podtrace::cluster {

using Clock = std::chrono::system_clock;

// "2024-05-01T10:00:00Z": what Kubernetes puts in metadata.creationTimestamp.
std::string rfc3339(Clock::time_point t);
// "2024-05-01T10:00:00.123456789Z": what CRI log lines and `kubectl logs --timestamps` use.
std::string rfc3339_nano(Clock::time_point t);
// Parses both of the above (and "+00:00" offsets); false when malformed.
bool parse_rfc3339(const std::string& text, Clock::time_point& out);
// The AGE column: same rounding as k8s.io/apimachinery duration.HumanDuration.
std::string human_duration(std::chrono::seconds d);

}  // namespace podtrace::cluster
