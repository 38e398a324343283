// SPDX-License-Identifier: Apache-2.0
// Waiting for the tracer Job's pod: found by label job-name=<job>, judged by its status.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "kube/rest_client.h"
#include "result.h"
#include "session/progress.h"

namespace podtrace::plugin {

struct JobPodState {
  enum class Kind { waiting, ready, failed } kind = Kind::waiting;
  std::string pod;      // the pod's name, once there is one
  std::string message;  // progress text (waiting) or the error (failed)
};

// Pure: judges a PodList answer for `job_name`. Ready means the logs can be read (Running or
// already finished). Unschedulable, image pull errors and the like are failures.
JobPodState evaluate_job_pods(const nlohmann::json& pod_list, const std::string& job_name);

// Why the Job controller could not create the pod, from the Job's events (FailedCreate).
std::optional<std::string> job_create_failure(const nlohmann::json& event_list);

// Polls until ready, failure, timeout or a stop request (`should_stop`).
Result<std::string> wait_for_job_pod(kube::RestClient& client, const std::string& ns,
                                     const std::string& job_name, std::chrono::milliseconds timeout,
                                     Progress& progress, const std::function<bool()>& should_stop);

// "exit code 1 (Error)" for container `container` of `pod`, or "" if unknown.
std::string describe_container_end(kube::RestClient& client, const std::string& ns,
                                   const std::string& pod, const std::string& container);

}  // namespace podtrace::plugin
