// SPDX-License-Identifier: Apache-2.0
// render_text.cpp: the terminal report's frame around the sections.
#include "render_text.h"

#include <fmt/format.h>

#include "terminal_safe.h"

namespace podtrace {

namespace {

void render_findings(TextWriter& out, const std::vector<Finding>& findings) {
  out.section("Findings");
  if (findings.empty()) {
    out.line("no problems found", Tone::kGreen);
    return;
  }
  for (const auto& f : findings) out.finding(f.severity, f.family, f.title, f.detail);
}

void render_health(TextWriter& out, const Report& r) {
  out.raw_line("");
  if (r.lost_ringbuf || r.lost_map_full || r.lost_userspace) {
    out.line(fmt::format("lost events: {} (ring buffer full), {} (kernel map full), {} (tracer "
                         "queue full)",
                         r.lost_ringbuf, r.lost_map_full, r.lost_userspace),
             Tone::kYellow);
  }
  std::string on, off;
  for (const auto& d : r.diagnostics) {
    if (d.enabled)
      on += fmt::format("{}{} ({})", on.empty() ? "" : ", ", d.name, d.attach);
    else
      off += fmt::format("{}{} ({})", off.empty() ? "" : ", ", d.name, d.reason);
  }
  if (!on.empty()) out.line("diagnostics: " + on, Tone::kDim);
  if (!off.empty()) out.line("disabled diagnostics: " + off, Tone::kDim);
}

}  // namespace

void render_report_body(TextWriter& out, const Report& r) {
  std::string ended;
  if (r.final_report)
    ended =
        fmt::format(" · ended by {}{}", r.end_reason, r.target_exited ? " (target exited)" : "");
  out.line(fmt::format("traced {:.1f} s{}", r.duration_s, ended), Tone::kDim);
  if (r.final_report) render_findings(out, r.findings);
  for (const auto& s : r.sections) s->render(out);
  render_health(out, r);
}

}  // namespace podtrace
