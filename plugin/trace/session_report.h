// SPDX-License-Identifier: Apache-2.0
// session_report.h: what one podtrace run learned: per traced pod, the tracer's lines decoded
// into the shared report model. Live sessions and `view FILE` fill it the same way.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "event.h"
#include "report.h"
#include "stream/jsonl_parser.h"

namespace podtrace::plugin {

struct PodTrace {
  std::string pod;
  std::string namespace_;
  std::string node;
  std::string job;
  std::string container;                       // trace-<i> in the Job's pod
  std::vector<std::string> traced_containers;  // names in the target pod

  std::optional<nlohmann::json> start;
  std::optional<Report> last_summary;
  std::optional<Report> report;
  std::vector<std::string>
      errors;  // `error` lines and stream problems, raw (sanitized when printed)
  size_t events = 0;
  size_t garbage_lines = 0;
  size_t unsupported_lines = 0;  // lines of a schema_version this plugin does not read
};

struct SessionReport {
  std::vector<PodTrace> pods;
};

// Applies one tracer line to `trace`. Returns the decoded event for event lines, so the caller
// can show it live. A line whose schema_version is not the one this build reads is counted and
// reported once as an error, never half-decoded.
std::optional<Event> apply_tracer_line(PodTrace& trace, TracerLine&& line);

}  // namespace podtrace::plugin
