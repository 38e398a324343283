// SPDX-License-Identifier: Apache-2.0
// timeline_svg.cpp: small multiples on one time axis, so a burst in one family lines up with
// what the others did in the same seconds.
#include "timeline_svg.h"

#include <fmt/format.h>

#include <algorithm>

#include "text_writer.h"
#include "units.h"

namespace podtrace {

namespace {

constexpr double kWidth = 1180, kLabel = 210, kRight = 170, kLane = 34, kBarArea = 26;
constexpr size_t kMaxLanes = 16, kMaxProcessLanes = 16;

bool in_burst(const TimelineReport& t, const TimelineSeries& s, uint64_t point, bool p99) {
  const uint64_t ps = std::max<uint64_t>(1, t.interval_ns / 1'000'000'000);
  return std::any_of(t.bursts.begin(), t.bursts.end(), [&](const TimelineBurst& b) {
    return b.family == s.family && b.series == s.name && (b.metric == "p99") == p99 &&
           point * ps >= b.start_s && point * ps < b.end_s;
  });
}

std::string value_text(const std::string& unit, uint64_t v) {
  return unit == "ns" ? format_ns(v) : std::to_string(v);
}

// One lane: bars scaled to the lane's peak.
std::string lane(const TimelineReport& t, const TimelineSeries& s, bool p99, double y,
                 double step) {
  const auto& values = p99 ? s.p99_values : s.values;
  const std::string unit = p99 ? "ns" : s.unit;
  const uint64_t peak = p99 ? s.peak_p99_ns : s.peak;
  const std::string label = s.family + " " + s.name + (p99 ? " p99" : "");
  std::string g = fmt::format(
      "<g class=\"series\" data-family=\"{}\" data-name=\"{}\" data-metric=\"{}\" "
      "data-total=\"{}\" data-peak=\"{}\">",
      html_escape(s.family), html_escape(s.name), p99 ? "p99" : "values", p99 ? 0 : s.total, peak);
  g += fmt::format("<text class=\"label\" x=\"0\" y=\"{:.0f}\">{}</text>", y + kBarArea - 8,
                   html_escape(label));
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] == 0 || peak == 0) continue;
    const double h = std::max(1.5, kBarArea * static_cast<double>(values[i]) / peak);
    const uint64_t from = i * t.interval_ns / 1'000'000'000,
                   to = (i + 1) * t.interval_ns / 1'000'000'000;
    g += fmt::format(
        "<rect class=\"bar{}\" data-point=\"{}\" data-value=\"{}\" x=\"{:.1f}\" y=\"{:.1f}\" "
        "width=\"{:.1f}\" height=\"{:.1f}\"><title>{}: {}{} at {}–{} s</title></rect>",
        in_burst(t, s, i, p99) ? " burst" : "", i, values[i], kLabel + i * step, y + kBarArea - h,
        std::max(1.0, step - 1), h, html_escape(label), value_text(unit, values[i]),
        unit == "ns" || p99 ? "" : " ops", from, to);
  }
  const std::string summary =
      p99 ? fmt::format("peak {} · median {}", format_ns(s.peak_p99_ns), format_ns(s.median_p99_ns))
          : fmt::format("total {} · peak {}", value_text(unit, s.total), value_text(unit, s.peak));
  g += fmt::format("<text class=\"sum\" x=\"{:.0f}\" y=\"{:.0f}\">{}</text></g>",
                   kWidth - kRight + 8, y + kBarArea - 8, summary);
  return g;
}

}  // namespace

std::string timeline_svg(const TimelineReport& t) {
  const size_t points = t.point_ends_ns.size();
  if (points == 0) return {};
  const double step = (kWidth - kLabel - kRight) / static_cast<double>(points);
  // Lanes: each series' values, then its p99 when it has one, bursty series first.
  std::vector<std::pair<const TimelineSeries*, bool>> lanes;
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& s : t.series) {
      const bool bursty = std::any_of(t.bursts.begin(), t.bursts.end(), [&](const auto& b) {
        return b.family == s.family && b.series == s.name;
      });
      if (bursty != (pass == 0)) continue;
      lanes.push_back({&s, false});
      if (!s.p99_values.empty()) lanes.push_back({&s, true});
    }
  if (lanes.size() > kMaxLanes) lanes.resize(kMaxLanes);
  // Failures first, then the processes that started others, as in the text's table.
  std::vector<const TimelineProcess*> procs;
  for (const auto& p : t.processes) procs.push_back(&p);
  const auto failed_exit = [](const TimelineProcess& p) {
    return p.exited && (p.exit_code || p.signal || p.oom_killed);
  };
  std::stable_sort(procs.begin(), procs.end(), [&](const auto* a, const auto* b) {
    if (failed_exit(*a) != failed_exit(*b)) return failed_exit(*a);
    return a->children > b->children;
  });
  if (procs.size() > kMaxProcessLanes) procs.resize(kMaxProcessLanes);
  const double axis_y = lanes.size() * kLane + 6;
  const double height = axis_y + 22 + (procs.empty() ? 0 : 14 + procs.size() * 16.0);
  std::string svg = fmt::format(
      "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{:.0f}\" "
      "height=\"{:.0f}\" role=\"img\" aria-label=\"timeline\">",
      kWidth, height);
  // The page's CSP allows inline styles: the chart carries its own, so the page frame needs none.
  svg +=
      "<style>svg.timeline text{font:11px \"DejaVu Sans\",sans-serif;fill:#3d475c}"
      "svg.timeline text.sum,svg.timeline text.tick{fill:#7a8499;font-size:10px}"
      "svg.timeline rect.bar{fill:#5b8def}svg.timeline rect.bar.burst{fill:#c0262d}"
      "svg.timeline rect.life{fill:#8fb8a0}svg.timeline rect.life.failed{fill:#c0262d}"
      "svg.timeline line.axis{stroke:#b8c0d0}</style>";
  for (size_t i = 0; i < lanes.size(); ++i)
    svg += lane(t, *lanes[i].first, lanes[i].second, i * kLane, step);
  // The time axis: a tick every few points, labelled in seconds from the start.
  svg +=
      fmt::format("<line class=\"axis\" x1=\"{:.0f}\" y1=\"{:.0f}\" x2=\"{:.0f}\" y2=\"{:.0f}\"/>",
                  kLabel, axis_y, kWidth - kRight, axis_y);
  const size_t every = std::max<size_t>(1, points / 12);
  for (size_t i = 0; i <= points; i += every)
    svg += fmt::format("<text class=\"tick\" x=\"{:.1f}\" y=\"{:.0f}\">{} s</text>",
                       kLabel + i * step, axis_y + 14, i * t.interval_ns / 1'000'000'000);
  // Processes: a bar from start (or the trace's start) to exit (or its end).
  const double span_ns = static_cast<double>(t.point_ends_ns.back());
  double y = axis_y + 30;
  for (const auto* p : procs) {
    const auto x_of = [&](uint64_t ns) {
      return kLabel + (kWidth - kLabel - kRight) * std::min(1.0, ns / std::max(1.0, span_ns));
    };
    const double x0 = x_of(p->started_before ? 0 : p->start_ns);
    const double x1 = std::max(x0 + 2, x_of(p->exited ? p->end_ns : t.point_ends_ns.back()));
    const bool failed = failed_exit(*p);
    svg += fmt::format(
        "<g class=\"process\" data-pid=\"{}\"><text class=\"label\" x=\"0\" y=\"{:.0f}\">{} "
        "({})</text><rect class=\"life{}\" x=\"{:.1f}\" y=\"{:.0f}\" width=\"{:.1f}\" "
        "height=\"10\"><title>{} pid {}: {} children</title></rect></g>",
        p->pid, y + 9, html_escape(p->comm), p->pid, failed ? " failed" : "", x0, y, x1 - x0,
        html_escape(p->comm), p->pid, p->children);
    y += 16;
  }
  return svg + "</svg>";
}

}  // namespace podtrace
