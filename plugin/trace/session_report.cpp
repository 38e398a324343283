// SPDX-License-Identifier: Apache-2.0
// session_report.cpp: decodes the tracer's lines into a pod's trace.
#include "trace/session_report.h"

#include <fmt/format.h>

#include "json_read.h"

namespace podtrace::plugin {

std::optional<Event> apply_tracer_line(PodTrace& trace, TracerLine&& line) {
  if (line.type == LineType::unknown) return std::nullopt;
  int64_t version = -1;
  read_field(line.data, "schema_version", version);
  if (version != kSchemaVersion) {
    if (trace.unsupported_lines++ == 0)
      trace.errors.push_back(fmt::format(
          "the tracer writes schema_version {}, this plugin reads {}: use a matching "
          "plugin and tracer image",
          version < 0 ? std::string("(none)") : std::to_string(version), kSchemaVersion));
    return std::nullopt;
  }
  switch (line.type) {
    case LineType::start:
      trace.start = std::move(line.data);
      break;
    case LineType::event: {
      trace.events++;
      Event e;
      from_json(line.data, e);
      return e;
    }
    case LineType::summary:
      trace.last_summary = report_from_json(line.data);
      break;
    case LineType::report:
      trace.report = report_from_json(line.data);
      break;
    case LineType::error: {
      std::string message = "tracer error";
      read_field(line.data, "message", message);
      trace.errors.push_back(std::move(message));
      break;
    }
    case LineType::unknown:
      break;
  }
  return std::nullopt;
}

}  // namespace podtrace::plugin
