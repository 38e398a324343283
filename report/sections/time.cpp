// SPDX-License-Identifier: Apache-2.0
// sections/time.cpp: JSON, text bars and metrics of the time breakdown.
#include "sections/time.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

#include "json_read.h"
#include "row_fold.h"
#include "units.h"

namespace podtrace {

namespace {

struct StateName {
  std::string_view key;
  std::string_view label;
  char letter;             // in the terminal bar
  std::string_view color;  // in the HTML chart
};

constexpr std::array<StateName, kTimeStates> kStates = {{
    {"on_cpu", "on CPU", 'C', "#2e7d32"},
    {"runqueue", "waiting for a CPU", 'R', "#f9a825"},
    {"throttled", "throttled", 'T', "#c62828"},
    {"file_io", "file I/O", 'F', "#6a1b9a"},
    {"network", "network", 'N', "#1565c0"},
    {"dns", "DNS", 'D', "#00838f"},
    {"lock", "locks", 'L', "#ef6c00"},
    {"db", "database", 'Q', "#ad1457"},
    {"sleep", "sleeping/idle", '.', "#bdbdbd"},
}};

// One stacked bar per process, each state a segment as long as its share, with its duration in
// a <title>; a legend under the bars.
std::string breakdown_svg(const std::vector<TimeShare>& rows) {
  constexpr int kLabel = 220, kBar = 520, kRow = 26, kLegend = 40, kWidth = 1000;
  const int height = static_cast<int>(rows.size()) * kRow + kLegend;
  std::string svg = fmt::format(
      "<svg class=\"time\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "role=\"img\" aria-label=\"time breakdown\">",
      kWidth, height);
  int y = 4;
  for (const auto& r : rows) {
    svg += fmt::format("<text class=\"who\" x=\"0\" y=\"{}\">{} {}</text>", y + 15, r.pid,
                       html_escape(r.comm));
    const uint64_t total = std::accumulate(r.ns.begin(), r.ns.end(), uint64_t{0});
    double x = kLabel;
    for (size_t s = 0; s < kTimeStates && total; ++s) {
      if (!r.ns[s]) continue;
      const double w = static_cast<double>(kBar) * static_cast<double>(r.ns[s]) / total;
      svg += fmt::format(
          "<rect class=\"state {}\" data-ns=\"{}\" x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" "
          "height=\"20\" fill=\"{}\"><title>{} {}: {}</title></rect>",
          kStates[s].key, r.ns[s], x, y, w, kStates[s].color, r.pid, kStates[s].label,
          format_ns(r.ns[s]));
      x += w;
    }
    svg += fmt::format("<text class=\"wall\" x=\"{}\" y=\"{}\">{}</text>", kLabel + kBar + 6,
                       y + 15, format_ns(r.wall_ns));
    y += kRow;
  }
  int x = 0;
  for (const auto& s : kStates) {
    svg += fmt::format(
        "<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\"/>"
        "<text class=\"legend\" x=\"{}\" y=\"{}\">{}</text>",
        x, y + 8, s.color, x + 16, y + 18, s.label);
    x += 16 + static_cast<int>(s.label.size()) * 7 + 14;
  }
  return svg + "</svg>";
}

// Cells per state by largest remainder, so the cells add up to `width` exactly.
std::array<size_t, kTimeStates> cells_per_state(const TimeShare& t, size_t width) {
  std::array<size_t, kTimeStates> cells{};
  const uint64_t total = std::accumulate(t.ns.begin(), t.ns.end(), uint64_t{0});
  if (total == 0) return cells;
  std::array<double, kTimeStates> remainder{};
  size_t used = 0;
  for (size_t s = 0; s < kTimeStates; ++s) {
    const double exact = static_cast<double>(t.ns[s]) * static_cast<double>(width) / total;
    cells[s] = static_cast<size_t>(exact);
    remainder[s] = exact - cells[s];
    used += cells[s];
  }
  while (used < width) {
    const size_t s = std::max_element(remainder.begin(), remainder.end()) - remainder.begin();
    ++cells[s];
    remainder[s] = -1;
    ++used;
  }
  return cells;
}

std::string percent(uint64_t part, uint64_t whole) {
  if (!whole) return "0%";
  const double p = 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  return p > 0 && p < 1 ? "<1%" : fmt::format("{:.0f}%", p);
}

// "database 4.7 s 47% · on CPU 2.0 s 20% · network 1.0 s 10%": the `n` largest states, those
// with any time, largest first.
std::string top_states(const TimeShare& t, size_t n) {
  std::vector<size_t> order(kTimeStates);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return t.ns[a] > t.ns[b]; });
  const uint64_t total = std::accumulate(t.ns.begin(), t.ns.end(), uint64_t{0});
  std::string out;
  for (size_t i = 0, shown = 0; i < kTimeStates && shown < n; ++i) {
    const size_t s = order[i];
    if (!t.ns[s]) break;
    out += fmt::format("{}{} {} {}", shown ? " · " : "", kStates[s].label, format_ns(t.ns[s]),
                       percent(t.ns[s], total));
    ++shown;
  }
  return out;
}

void render_rows(TextWriter& out, const std::vector<TimeShare>& rows, bool per_thread) {
  Table t({{per_thread ? "thread" : "process", Table::Align::kLeft},
           {"threads"},
           {"time"},
           {"breakdown", Table::Align::kLeft},
           {"states", Table::Align::kLeft}});
  const size_t shown = std::min(rows.size(), out.options().max_rows);
  for (size_t i = 0; i < shown; ++i) {
    const auto& r = rows[i];
    const std::string who = per_thread ? fmt::format("{}/{} {}", r.pid, r.tid, r.comm)
                                       : fmt::format("{} {}", r.pid, r.comm);
    t.add_row({{who},
               {std::to_string(r.threads)},
               {format_ns(r.wall_ns)},
               {time_bar(r, 30)},
               {top_states(r, kTimeStates)}});
  }
  out.table(t);
  if (rows.size() > shown) out.line(fmt::format("… {} more", rows.size() - shown), Tone::kDim);
}

}  // namespace

std::string_view time_state_key(size_t state) {
  return state < kTimeStates ? kStates[state].key : "unknown";
}

std::string_view time_state_label(size_t state) {
  return state < kTimeStates ? kStates[state].label : "unknown";
}

std::string time_bar(const TimeShare& t, size_t width) {
  const auto cells = cells_per_state(t, width);
  std::string bar;
  for (size_t s = 0; s < kTimeStates; ++s) bar.append(cells[s], kStates[s].letter);
  return bar;
}

std::string time_bar_legend() {
  std::string out;
  for (size_t s = 0; s < kTimeStates; ++s)
    out += fmt::format("{}{} {}", s ? " · " : "", kStates[s].letter, kStates[s].label);
  return out;
}

TimeShare TimeReport::total() const {
  TimeShare sum;
  sum.threads = 0;
  sum.comm = "pod";
  for (const auto& p : processes) {
    sum.threads += p.threads;
    sum.wall_ns += p.wall_ns;
    for (size_t s = 0; s < kTimeStates; ++s) sum.ns[s] += p.ns[s];
  }
  return sum;
}

void to_json(nlohmann::json& j, const TimeShare& t) {
  // States without time are left out: a reader takes a missing state as 0.
  nlohmann::json states = nlohmann::json::object();
  for (size_t s = 0; s < kTimeStates; ++s)
    if (t.ns[s]) states[std::string(kStates[s].key)] = t.ns[s];
  j = {{"pid", t.pid},
       {"comm", t.comm},
       {"threads", t.threads},
       {"wall_ns", t.wall_ns},
       {"state_ns", states}};
  if (t.tid) j["tid"] = t.tid;
  if (t.folded) j["folded"] = t.folded;
}

void from_json(const nlohmann::json& j, TimeShare& t) {
  read_field(j, "pid", t.pid);
  read_field(j, "tid", t.tid);
  read_field(j, "comm", t.comm);
  read_field(j, "threads", t.threads);
  read_field(j, "wall_ns", t.wall_ns);
  read_field(j, "folded", t.folded);
  if (auto it = j.find("state_ns"); it != j.end() && it->is_object())
    for (size_t s = 0; s < kTimeStates; ++s) read_field(*it, kStates[s].key, t.ns[s]);
}

void to_json(nlohmann::json& j, const TimeReport& r) {
  j = {{"processes", r.processes}};
  if (!r.threads.empty()) j["threads"] = r.threads;
}

void from_json(const nlohmann::json& j, TimeReport& r) {
  read_array(j, "processes", r.processes);
  read_array(j, "threads", r.threads);
}

void render_section(TextWriter& out, const TimeReport& r) {
  out.section(TimeReport::kTitle);
  if (r.processes.empty()) {
    out.line("no thread of the pod ran or woke during the trace", Tone::kDim);
    return;
  }
  const TimeShare total = r.total();
  uint64_t processes = 0;
  for (const auto& p : r.processes) processes += rows_in(p);
  out.line(fmt::format("{} of thread-time in {} process{}: {}", format_ns(total.wall_ns), processes,
                       processes == 1 ? "" : "es", top_states(total, 4)));
  out.raw_html(breakdown_svg(std::vector<TimeShare>(
      r.processes.begin(),
      r.processes.begin() + std::min(r.processes.size(), out.options().max_rows))));
  if (!out.options().html) out.line(time_bar_legend(), Tone::kDim);
  render_rows(out, r.processes, false);
  if (!r.threads.empty()) render_rows(out, r.threads, true);
}

void write_section_metrics(MetricsWriter& out, const TimeReport& r) {
  out.family("podtrace_thread_time_seconds_total", "counter",
             "Thread-time of the pod's processes during the trace, by state (on_cpu, runqueue, "
             "throttled, file_io, network, dns, lock, db, sleep); the states add up to the "
             "threads' wall time.");
  const TimeShare total = r.total();
  for (size_t s = 0; s < kTimeStates; ++s)
    out.sample("podtrace_thread_time_seconds_total", {{"state", std::string(kStates[s].key)}},
               static_cast<double>(total.ns[s]) / 1e9);
}

bool section_quiet(const TimeReport& r) { return r.processes.empty(); }

// The breakdown explains findings (diagnose.cpp ranks them by it); it is not one itself.
void diagnose_section(const TimeReport&, const DiagnoseThresholds&, std::vector<Finding>&) {}

}  // namespace podtrace
