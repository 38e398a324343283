// SPDX-License-Identifier: Apache-2.0
// Renders the tracer Job for one node from the embedded manifests/job.yaml template.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace podtrace::plugin {

inline constexpr const char* default_tracer_image = "ghcr.io/podtrace/podtrace-tracer:0.1.0";
inline constexpr const char* session_label = "podtrace.io/session";
inline constexpr const char* target_pod_label = "podtrace.io/target-pod";
inline constexpr const char* targets_annotation = "podtrace.io/targets";

// One traced pod: becomes container trace-<i> of the Job's pod.
struct TraceTarget {
  std::string pod_name;
  std::string pod_namespace;
  std::vector<std::string> container_ids;  // "containerd://<64 hex>"…
  bool restarts = false;  // the pod restarts its containers: the tracer follows the new ones
  std::vector<std::string> container_names;  // for the tracer's metric labels
};

struct JobParams {
  std::string name;
  std::string namespace_;
  std::string session;
  std::string node;
  std::string image = default_tracer_image;
  bool privileged = true;
  std::chrono::milliseconds duration{30'000};
  std::chrono::seconds start_timeout{60};
  std::chrono::milliseconds interval{0};  // the tracer's summary period; 0: its default
  std::vector<std::string> thresholds;    // NAME=VALUE, validated, passed as --threshold
  std::vector<TraceTarget> targets;
};

// The container that traces targets[i].
std::string trace_container_name(size_t i);

// The Job as JSON, ready to POST. `template_yaml` defaults to the embedded template.
Result<nlohmann::json> render_job(const JobParams& params, std::string_view template_yaml = {});

}  // namespace podtrace::plugin
