// SPDX-License-Identifier: Apache-2.0
// URL paths of the few API endpoints the plugin uses; names are validated before they get here.
#pragma once

#include <string>

namespace podtrace::plugin::kube {

std::string pod_path(const std::string& ns, const std::string& name);
std::string pods_path(const std::string& ns, const std::string& label_selector);
std::string jobs_path(const std::string& ns);
std::string job_path(const std::string& ns, const std::string& name);
// The core/v1 events about one Job (FailedCreate tells why its pod does not exist).
std::string job_events_path(const std::string& ns, const std::string& job);
std::string pod_log_path(const std::string& ns, const std::string& pod,
                         const std::string& container, bool follow);

}  // namespace podtrace::plugin::kube
