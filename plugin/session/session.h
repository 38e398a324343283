// SPDX-License-Identifier: Apache-2.0
// One podtrace run: resolve targets, start a tracer Job per node, stream, render, clean up.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "kube/rest_client.h"
#include "trace/session_report.h"

namespace podtrace::plugin {

enum class OutputFormat { text, json };

struct SessionOptions {
  std::string pod;            // one pod by name, or
  std::string selector;       // several pods by label selector
  std::string namespace_;     // already resolved (flag, context, "default")
  std::string job_namespace;  // where the Jobs go; defaults to namespace_
  std::string container;      // empty: all containers
  std::string image;
  bool privileged = true;
  std::chrono::milliseconds duration{30'000};
  bool follow = false;      // print live events
  bool report = true;       // print the final report
  bool histograms = false;  // full latency histograms in the text report
  bool live = false;        // redraw a compact screen every second (plain lines off a terminal)
  bool stdout_is_tty = false;
  std::string html_path;    // also write the report as one HTML page here
  std::vector<std::string> thresholds;  // NAME=VALUE for the tracer's findings, validated
  OutputFormat output = OutputFormat::text;
  bool keep = false;
  std::chrono::milliseconds start_timeout{60'000};
  std::chrono::milliseconds stop_grace{15'000};  // after Ctrl-C, time for the final report
  // Polled every 100 ms while tracing: true ends the trace as Ctrl-C does (the tracers print
  // their reports), but as a normal end, not an interruption. The smoke check ends when its
  // canary is done.
  std::function<bool()> done;
};

// Exit codes: 0 success, 1 failure, 130 interrupted. Messages go to `err`, results to `out`.
int run_session(const SessionOptions& options, kube::RestClient& client, std::ostream& out,
                std::ostream& err, bool stderr_is_tty, bool stdout_color);

// The same run without rendering: the per-pod reports go to `result`; progress and errors to
// `err`. Same exit codes.
int trace_session(const SessionOptions& options, kube::RestClient& client, std::ostream& err,
                  bool stderr_is_tty, SessionReport& result);

}  // namespace podtrace::plugin
