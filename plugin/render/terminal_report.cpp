// SPDX-License-Identifier: Apache-2.0
// terminal_report.cpp: one block per traced pod: which pod, what went wrong with the trace
// itself, then the shared report body (report/render_text), exactly as the tracer prints it.
#include "render/terminal_report.h"

#include <fmt/format.h>

#include "render_text.h"
#include "terminal_safe.h"
#include "text_writer.h"

namespace podtrace::plugin {

void render_pod(TextWriter& out, const PodTrace& pod) {
  // A saved tracer stream names no pod: the heading names the file instead.
  std::string heading = pod.namespace_.empty() ? "saved trace " + pod.pod
                                               : fmt::format("pod {}/{}", pod.namespace_, pod.pod);
  if (!pod.node.empty()) heading += " on node " + pod.node;
  if (!pod.traced_containers.empty()) {
    std::string names;
    for (const auto& c : pod.traced_containers) names += (names.empty() ? "" : ", ") + c;
    heading += " · containers " + names;
  }
  out.heading(heading);
  for (const auto& e : pod.errors)
    out.raw_line(out.paint("error: ", Tone::kRed) + sanitize_for_terminal(e));
  const Report* report = pod.report         ? &*pod.report
                         : pod.last_summary ? &*pod.last_summary
                                            : nullptr;
  if (!report) {
    out.line("no report from the tracer", Tone::kYellow);
    return;
  }
  if (!pod.report) out.line("no final report: showing the last summary", Tone::kYellow);
  render_report_body(out, *report);
  if (pod.garbage_lines)
    out.line(fmt::format("{} non-JSON line(s) from the tracer were skipped (stderr output or "
                         "damaged lines)",
                         pod.garbage_lines),
             Tone::kDim);
}

void render_terminal_report(const SessionReport& report, const Style& style, std::ostream& out,
                            const RenderOptions& options) {
  TextWriter text(style, options);
  bool first = true;
  for (const auto& pod : report.pods) {
    if (!first) {
      text.raw_line("");
      text.raw_line(text.paint(std::string(60, '-'), Tone::kDim));
    }
    first = false;
    render_pod(text, pod);
  }
  out << text.str();
}

}  // namespace podtrace::plugin
