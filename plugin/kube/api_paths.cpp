// SPDX-License-Identifier: Apache-2.0
// API paths; query values are percent-encoded by cpp-httplib.
#include "kube/api_paths.h"

#include <httplib.h>

namespace podtrace::plugin::kube {

std::string pod_path(const std::string& ns, const std::string& name) {
  return "/api/v1/namespaces/" + ns + "/pods/" + name;
}

std::string pods_path(const std::string& ns, const std::string& label_selector) {
  std::string base = "/api/v1/namespaces/" + ns + "/pods";
  if (label_selector.empty()) return base;
  return httplib::append_query_params(base, {{"labelSelector", label_selector}});
}

std::string jobs_path(const std::string& ns) { return "/apis/batch/v1/namespaces/" + ns + "/jobs"; }

std::string job_path(const std::string& ns, const std::string& name) {
  return jobs_path(ns) + "/" + name;
}

std::string job_events_path(const std::string& ns, const std::string& job) {
  return httplib::append_query_params(
      "/api/v1/namespaces/" + ns + "/events",
      {{"fieldSelector", "involvedObject.kind=Job,involvedObject.name=" + job}});
}

std::string pod_log_path(const std::string& ns, const std::string& pod,
                         const std::string& container, bool follow) {
  httplib::Params params{{"container", container}};
  if (follow) params.emplace("follow", "true");
  return httplib::append_query_params(pod_path(ns, pod) + "/log", params);
}

}  // namespace podtrace::plugin::kube
