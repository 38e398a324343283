// SPDX-License-Identifier: Apache-2.0
// sections/timeline.cpp: JSON and text of the timeline, and the naming of its bursts. The HTML
// chart is timeline_svg.cpp; the timeline raises no findings of its own (the families' findings
// already cover failing connects and slow operations) and has no metrics (Prometheus keeps its
// own time series).
#include "sections/timeline.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <memory>

#include "burst_detector.h"
#include "json_read.h"
#include "section_util.h"
#include "timeline_svg.h"
#include "units.h"

namespace podtrace {

namespace {

bool in_ns(const TimelineSeries& s) { return s.unit == "ns"; }

// Members whose unit the series or burst names: counts bare, times suffixed _ns.
void put(nlohmann::json& j, bool ns, std::string_view name, uint64_t v) {
  j[ns ? std::string(name) + "_ns" : std::string(name)] = v;
}
void get(const nlohmann::json& j, bool ns, std::string_view name, uint64_t& v) {
  read_field(j, ns ? std::string(name) + "_ns" : std::string(name), v);
}

void read_u64s(const nlohmann::json& j, std::string_view key, std::vector<uint64_t>& out) {
  out.clear();
  const auto* v = json_member(j, key);
  if (!v || !v->is_array()) return;
  for (const auto& x : *v) out.push_back(x.is_number_unsigned() ? x.get<uint64_t>() : 0);
}

constexpr size_t kShownBursts = 5;

uint64_t point_s(const TimelineReport& t) {
  return std::max<uint64_t>(1, t.interval_ns / 1'000'000'000);
}

}  // namespace

void to_json(nlohmann::json& j, const TimelineSeries& s) {
  j = {{"family", s.family}, {"name", s.name}, {"unit", s.unit}, {"values", s.values}};
  put(j, in_ns(s), "total", s.total);
  put(j, in_ns(s), "peak", s.peak);
  put(j, in_ns(s), "median", s.median);
  if (!s.p99_values.empty()) {
    j["p99_values"] = s.p99_values;
    j["peak_p99_ns"] = s.peak_p99_ns;
    j["median_p99_ns"] = s.median_p99_ns;
  }
}

void from_json(const nlohmann::json& j, TimelineSeries& s) {
  read_field(j, "family", s.family);
  read_field(j, "name", s.name);
  read_field(j, "unit", s.unit);
  read_u64s(j, "values", s.values);
  get(j, in_ns(s), "total", s.total);
  get(j, in_ns(s), "peak", s.peak);
  get(j, in_ns(s), "median", s.median);
  read_u64s(j, "p99_values", s.p99_values);
  read_field(j, "peak_p99_ns", s.peak_p99_ns);
  read_field(j, "median_p99_ns", s.median_p99_ns);
}

void to_json(nlohmann::json& j, const TimelineBurst& b) {
  j = {{"family", b.family},   {"series", b.series}, {"metric", b.metric},
       {"start_s", b.start_s}, {"end_s", b.end_s},   {"title", b.title}};
  put(j, b.metric != "rate", "peak", b.peak);
  put(j, b.metric != "rate", "median", b.median);
  put(j, b.metric == "time", "total", b.total);
}

void from_json(const nlohmann::json& j, TimelineBurst& b) {
  read_field(j, "family", b.family);
  read_field(j, "series", b.series);
  read_field(j, "metric", b.metric);
  read_field(j, "start_s", b.start_s);
  read_field(j, "end_s", b.end_s);
  read_field(j, "title", b.title);
  get(j, b.metric != "rate", "peak", b.peak);
  get(j, b.metric != "rate", "median", b.median);
  get(j, b.metric == "time", "total", b.total);
}

void to_json(nlohmann::json& j, const TimelineConnection& c) {
  j = {{"direction", c.direction},
       {"address", c.address},
       {"port", c.port},
       {"pattern", c.pattern},
       {"reason", c.reason},
       {"connects", c.connects},
       {"failures", c.failures},
       {"active_points", c.active_points},
       {"peak", c.peak},
       {"connect_values", c.connect_values},
       {"failure_values", c.failure_values}};
}

void from_json(const nlohmann::json& j, TimelineConnection& c) {
  read_field(j, "direction", c.direction);
  read_field(j, "address", c.address);
  read_field(j, "port", c.port);
  read_field(j, "pattern", c.pattern);
  read_field(j, "reason", c.reason);
  read_field(j, "connects", c.connects);
  read_field(j, "failures", c.failures);
  read_field(j, "active_points", c.active_points);
  read_field(j, "peak", c.peak);
  read_u64s(j, "connect_values", c.connect_values);
  read_u64s(j, "failure_values", c.failure_values);
}

void to_json(nlohmann::json& j, const TimelineExec& e) {
  j = {{"at_ns", e.at_ns}, {"argv", e.argv}};
}

void from_json(const nlohmann::json& j, TimelineExec& e) {
  read_field(j, "at_ns", e.at_ns);
  e.argv.clear();
  if (const auto* v = json_member(j, "argv"); v && v->is_array())
    for (const auto& a : *v)
      if (a.is_string()) e.argv.push_back(a.get<std::string>());
}

void to_json(nlohmann::json& j, const TimelineProcess& p) {
  j = {{"pid", p.pid},           {"ppid", p.ppid},
       {"comm", p.comm},         {"started_before", p.started_before},
       {"start_ns", p.start_ns}, {"exited", p.exited},
       {"end_ns", p.end_ns},     {"exit_code", p.exit_code},
       {"signal", p.signal},     {"oom_killed", p.oom_killed},
       {"children", p.children}, {"execs", p.execs}};
}

void from_json(const nlohmann::json& j, TimelineProcess& p) {
  read_field(j, "pid", p.pid);
  read_field(j, "ppid", p.ppid);
  read_field(j, "comm", p.comm);
  read_field(j, "started_before", p.started_before);
  read_field(j, "start_ns", p.start_ns);
  read_field(j, "exited", p.exited);
  read_field(j, "end_ns", p.end_ns);
  read_field(j, "exit_code", p.exit_code);
  read_field(j, "signal", p.signal);
  read_field(j, "oom_killed", p.oom_killed);
  read_field(j, "children", p.children);
  read_array(j, "execs", p.execs);
}

void to_json(nlohmann::json& j, const TimelineReport& t) {
  j = {{"monotonic_start_ns", t.monotonic_start_ns},
       {"interval_ns", t.interval_ns},
       {"point_ends_ns", t.point_ends_ns},
       {"series", t.series},
       {"bursts", t.bursts},
       {"connections", t.connections},
       {"connections_dropped", t.connections_dropped},
       {"processes", t.processes},
       {"processes_dropped", t.processes_dropped}};
}

void from_json(const nlohmann::json& j, TimelineReport& t) {
  read_field(j, "monotonic_start_ns", t.monotonic_start_ns);
  read_field(j, "interval_ns", t.interval_ns);
  read_u64s(j, "point_ends_ns", t.point_ends_ns);
  read_array(j, "series", t.series);
  read_array(j, "bursts", t.bursts);
  read_array(j, "connections", t.connections);
  read_field(j, "connections_dropped", t.connections_dropped);
  read_array(j, "processes", t.processes);
  read_field(j, "processes_dropped", t.processes_dropped);
}

namespace {

std::string value_text(const TimelineSeries& s, uint64_t v) {
  return in_ns(s) ? format_ns(v) : std::to_string(v);
}

// At most `cells` characters, each the largest value of the points it covers, ▁ for zero.
std::string series_sparkline(const std::vector<uint64_t>& values, size_t cells) {
  static const char* kLevels[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  if (values.empty() || cells == 0) return {};
  const size_t n = std::min(cells, values.size());
  const uint64_t peak = *std::max_element(values.begin(), values.end());
  std::string out;
  for (size_t c = 0; c < n; ++c) {
    const size_t from = c * values.size() / n, to = std::max(from + 1, (c + 1) * values.size() / n);
    const uint64_t v = *std::max_element(values.begin() + static_cast<std::ptrdiff_t>(from),
                                         values.begin() + static_cast<std::ptrdiff_t>(to));
    // Any non-zero value shows above the floor, so a single operation is visible.
    const size_t level = peak == 0 || v == 0 ? 0 : std::max<size_t>(1, v * 7 / peak);
    out += kLevels[level];
  }
  return out;
}

std::string how_it_ended(const TimelineProcess& p) {
  if (!p.exited) return "running";
  if (p.oom_killed) return "OOM-killed";
  if (p.signal) return fmt::format("signal {}", p.signal);
  return fmt::format("exit {}", p.exit_code);
}

void render_series(TextWriter& out, const TimelineReport& t) {
  // Series with a burst first: they are what the timeline is for.
  std::vector<const TimelineSeries*> rows;
  auto bursty = [&](const TimelineSeries& s) {
    return std::any_of(t.bursts.begin(), t.bursts.end(), [&](const TimelineBurst& b) {
      return b.family == s.family && b.series == s.name;
    });
  };
  for (const auto& s : t.series)
    if (bursty(s)) rows.push_back(&s);
  for (const auto& s : t.series)
    if (!bursty(s)) rows.push_back(&s);
  Table table({{"series", Table::Align::kLeft},
               {"per point", Table::Align::kLeft},
               {"total"},
               {"peak"},
               {"median"},
               {"p99 per point", Table::Align::kLeft},
               {"p99 peak"},
               {"p99 median"}});
  for (const auto* s : rows) {
    const bool latency = !s->p99_values.empty();
    table.add_row({{s->family + " " + s->name},
                   {series_sparkline(s->values, 40), Tone::kCyan},
                   {value_text(*s, s->total)},
                   {value_text(*s, s->peak)},
                   {value_text(*s, s->median)},
                   {latency ? series_sparkline(s->p99_values, 20) : "", Tone::kCyan},
                   {latency ? format_ns(s->peak_p99_ns) : "-"},
                   {latency ? format_ns(s->median_p99_ns) : "-"}});
  }
  out.table(table);
}

void render_connections(TextWriter& out, const TimelineReport& t) {
  Table table({{"endpoint", Table::Align::kLeft},
               {"direction", Table::Align::kLeft},
               {"pattern", Table::Align::kLeft},
               {"connects"},
               {"failures"},
               {"active points"},
               {"peak"},
               {"why", Table::Align::kLeft}});
  for (const auto& c : t.connections)
    table.add_row({{endpoint_text(c.address, c.port)},
                   {c.direction},
                   {c.pattern, c.pattern == "reconnect storm" ? Tone::kRed : Tone::kPlain},
                   {std::to_string(c.connects)},
                   error_cell(c.failures),
                   {std::to_string(c.active_points)},
                   {std::to_string(c.peak)},
                   {c.reason, Tone::kDim}});
  out.table(table);
  if (t.connections_dropped)
    out.line(fmt::format("{} more endpoints not shown", t.connections_dropped), Tone::kDim);
}

void render_processes(TextWriter& out, const TimelineReport& t) {
  Table table({{"pid"},
               {"ppid"},
               {"process", Table::Align::kLeft},
               {"from"},
               {"to"},
               {"ended", Table::Align::kLeft},
               {"children"},
               {"exec'd", Table::Align::kLeft}});
  // Failures first, then the processes that started others: fifty identical children of one
  // shell fill the table otherwise.
  std::vector<const TimelineProcess*> rows;
  for (const auto& p : t.processes) rows.push_back(&p);
  const auto failed_exit = [](const TimelineProcess& p) {
    return p.exited && (p.exit_code || p.signal || p.oom_killed);
  };
  std::stable_sort(rows.begin(), rows.end(), [&](const auto* a, const auto* b) {
    if (failed_exit(*a) != failed_exit(*b)) return failed_exit(*a);
    return a->children > b->children;
  });
  for (const auto* pp : rows) {
    const TimelineProcess& p = *pp;
    std::vector<std::string> execs;
    for (const auto& e : p.execs)
      execs.push_back(fmt::format("{} ({})", fmt::join(e.argv, " "), format_ns(e.at_ns)));
    const bool failed = failed_exit(p);
    table.add_row({{std::to_string(p.pid)},
                   {std::to_string(p.ppid)},
                   {p.comm},
                   // Running before the trace: "≤" the time it was first seen.
                   {(p.started_before ? "≤" : "") + format_ns(p.start_ns)},
                   {p.exited ? format_ns(p.end_ns) : "end"},
                   {how_it_ended(p), failed ? Tone::kRed : Tone::kPlain},
                   {std::to_string(p.children)},
                   {fmt::format("{}", fmt::join(execs, " → "))}});
  }
  out.table(table);
  if (t.processes_dropped)
    out.line(fmt::format("{} more processes not tracked", t.processes_dropped), Tone::kDim);
}

}  // namespace

void render_section(TextWriter& out, const TimelineReport& t) {
  if (t.point_ends_ns.empty()) return;
  out.section(TimelineReport::kTitle);
  out.line(fmt::format("{} point{} of {} · {} burst{}", t.point_ends_ns.size(),
                       t.point_ends_ns.size() == 1 ? "" : "s", format_ns(t.interval_ns),
                       t.bursts.size(), t.bursts.size() == 1 ? "" : "s"),
           Tone::kDim);
  out.raw_html(timeline_svg(t));
  // The bursts that stand out most, in time order: one second of process start-up already
  // moves several series, and the text must stay short (the JSON has them all).
  std::vector<const TimelineBurst*> bursts;
  for (const auto& b : t.bursts) bursts.push_back(&b);
  const auto ratio = [](const TimelineBurst* b) {
    return static_cast<double>(b->peak) / static_cast<double>(b->median + 1);
  };
  std::stable_sort(bursts.begin(), bursts.end(),
                   [&](const auto* a, const auto* b) { return ratio(a) > ratio(b); });
  const size_t shown = std::min<size_t>({bursts.size(), kShownBursts, out.options().max_rows});
  bursts.resize(shown);
  std::stable_sort(bursts.begin(), bursts.end(),
                   [](const auto* a, const auto* b) { return a->start_s < b->start_s; });
  for (const auto* b : bursts) {
    const std::string total = b->metric == "time"  ? format_ns(b->total)
                              : b->metric == "p99" ? fmt::format("over {} ops", b->total)
                                                   : fmt::format("{} ops", b->total);
    out.line(fmt::format("{} ({})", b->title, total), Tone::kYellow);
  }
  if (t.bursts.size() > shown)
    out.line(fmt::format("… {} more bursts in the JSON report", t.bursts.size() - shown),
             Tone::kDim);
  if (!t.series.empty()) render_series(out, t);
  if (!t.connections.empty()) render_connections(out, t);
  if (!t.processes.empty()) render_processes(out, t);
}

void write_section_metrics(MetricsWriter&, const TimelineReport&) {}

void diagnose_section(const TimelineReport&, const DiagnoseThresholds&, std::vector<Finding>&) {}

std::vector<TimelineBurst> find_bursts(const TimelineReport& t) {
  std::vector<TimelineBurst> bursts;
  const uint64_t ps = point_s(t);
  const std::string per_point = ps == 1 ? "/s" : fmt::format(" per {} s", ps);
  auto add = [&](const TimelineSeries& s, const std::string& metric, const BurstSpan& span,
                 uint64_t median, uint64_t total) {
    TimelineBurst b{s.family, s.name, metric, span.first * ps, (span.last + 1) * ps, span.peak,
                    median,   total,  ""};
    const std::string when = fmt::format("{}–{} s", b.start_s, b.end_s);
    if (metric == "rate")
      b.title = fmt::format("{} {} burst at {}: {} ops{} vs {} median", s.family, s.name, when,
                            b.peak, per_point, b.median);
    else if (metric == "time")
      b.title = fmt::format("{} {} burst at {}: {}{} vs {} median", s.family, s.name, when,
                            format_ns(b.peak), per_point, format_ns(b.median));
    else
      b.title = fmt::format("{} {} p99 burst at {}: {} vs {} median", s.family, s.name, when,
                            format_ns(b.peak), format_ns(b.median));
    bursts.push_back(std::move(b));
  };
  for (const auto& s : t.series) {
    const BurstRule rate{kBurstFactor, (in_ns(s) ? kBurstMinTimeNs : kBurstMinOps) * ps};
    for (const auto& span : detect_bursts(s.values, s.median, rate))
      add(s, in_ns(s) ? "time" : "rate", span, s.median, span.sum);
    if (s.p99_values.size() != s.values.size()) continue;
    // Only points with operations have a latency: a quiet point is not a fast one.
    const size_t n = s.values.size();
    const auto present = std::make_unique<bool[]>(n);
    size_t measured = 0;
    for (size_t i = 0; i < n; ++i) measured += (present[i] = s.values[i] > 0);
    // A latency needs enough points with operations to have a typical level.
    const BurstRule p99{kBurstFactor, kBurstMinP99Ns, 3};
    if (measured < p99.min_points) continue;
    for (const auto& span : detect_bursts(s.p99_values, s.median_p99_ns, p99,
                                          std::span<const bool>(present.get(), n))) {
      uint64_t ops = 0;
      for (size_t i = span.first; i <= span.last; ++i) ops += s.values[i];
      add(s, "p99", span, s.median_p99_ns, ops);
    }
  }
  std::stable_sort(bursts.begin(), bursts.end(),
                   [](const auto& a, const auto& b) { return a.start_s < b.start_s; });
  return bursts;
}

}  // namespace podtrace
