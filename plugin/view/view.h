// SPDX-License-Identifier: Apache-2.0
// view.h: `kubectl podtrace view FILE`: renders a saved trace (the tracer's JSON lines, or the
// plugin's own `-o json` output) exactly as a live run would have.
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "result.h"
#include "trace/session_report.h"

namespace podtrace::plugin {

struct ViewOptions {
  std::string file;             // "-" for standard input
  std::string output = "text";  // "text" or "json"
  bool events = false;          // print the saved events before the report, as --follow does live
  bool histograms = false;
  std::string html;  // also write the report as one HTML page here
};

struct SavedTrace {
  SessionReport report;
  std::vector<Event> events;  // a saved tracer stream's events (one pod)
};

// Registers `view FILE` with its options.
CLI::App* register_view_command(CLI::App& app, ViewOptions& options);

// Decodes a saved trace. Fails, with one line, when the text holds neither a report nor a
// tracer line.
Result<SavedTrace> parse_saved_trace(std::string_view contents, const std::string& name);

// Exit codes as a live run: 0 when every pod has a final report, 1 otherwise or on bad input.
int run_view(const ViewOptions& options, std::ostream& out, std::ostream& err, bool color);

}  // namespace podtrace::plugin
