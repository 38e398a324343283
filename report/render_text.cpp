// SPDX-License-Identifier: Apache-2.0
// render_text.cpp: the terminal report's frame around the sections.
#include "render_text.h"

#include <fmt/format.h>

#include "terminal_safe.h"
#include "units.h"

namespace podtrace {

namespace {

void render_findings(TextWriter& out, const std::vector<Finding>& findings) {
  out.section("Findings");
  if (findings.empty()) {
    out.line("no problems found", Tone::kGreen);
    return;
  }
  for (const auto& f : findings) {
    if (!f.time_ns) {
      out.finding(f.severity, f.family, f.title, f.detail);
      continue;
    }
    const std::string share = fmt::format("the pod spent {} in {} ({:.1f}% of its thread-time)",
                                          format_ns(f.time_ns), f.state, f.time_share * 100);
    out.finding(f.severity, f.family, f.title,
                f.detail.empty() ? share : fmt::format("{}; {}", f.detail, share));
  }
}

void render_health(TextWriter& out, const Report& r) {
  out.raw_line("");
  if (r.lost_ringbuf || r.lost_map_full) {
    out.line(fmt::format("lost events: {} (ring buffer full), {} (kernel map full)", r.lost_ringbuf,
                         r.lost_map_full),
             Tone::kYellow);
  }
  if (const uint64_t held = r.event_lines.total_not_streamed()) {
    std::string by_family;
    for (const auto& [family, n] : r.event_lines.not_streamed)
      by_family += fmt::format("{}{} {}", by_family.empty() ? "" : ", ", n, family);
    out.line(fmt::format("event lines not streamed: {} ({}), over the limit of {} a second per "
                         "family; every count includes them",
                         held, by_family, r.event_lines.limit_per_s),
             Tone::kDim);
  }
  // How far the numbers above can be trusted, from what was lost on the way.
  if (r.final_report) {
    if (r.lost_map_full)
      out.line(
          "confidence: lowered: per-key tables (files, endpoints, threads) are incomplete; "
          "per-operation totals are exact",
          Tone::kYellow);
    else if (r.lost_ringbuf || !r.event_lines.not_streamed.empty())
      out.line(
          "confidence: counts, times and histograms are exact; some individual event lines "
          "are missing",
          Tone::kDim);
    else
      out.line("confidence: complete: no event was lost", Tone::kDim);
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
  // Families that saw nothing take one line between them, so the report fits a screen.
  std::string quiet;
  for (const auto& s : r.sections) {
    if (s->quiet())
      quiet += fmt::format("{}{}", quiet.empty() ? "" : ", ", s->title());
    else
      s->render(out);
  }
  if (!quiet.empty()) {
    out.raw_line("");
    out.line(quiet + ": no activity", Tone::kDim);
  }
  render_health(out, r);
}

}  // namespace podtrace
