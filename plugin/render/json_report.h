// SPDX-License-Identifier: Apache-2.0
// `-o json`: the tracer's report as-is for one pod, or an object with a section per pod.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "event.h"
#include "trace/session_report.h"

namespace podtrace::plugin {

// One event as the tracer's `event` line carries it (envelope included), for --follow -o json
// and `view --events -o json`.
nlohmann::json event_line(const Event& e);

// One pod: its report object. Several:
// {"schema_version":1,"pods":{"ns/name":{"node":…,"report":…}}}. Non-ASCII is \u-escaped and
// invalid UTF-8 replaced, so the output is safe on any terminal.
std::string render_json_report(const SessionReport& report);

}  // namespace podtrace::plugin
