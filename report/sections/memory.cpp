// SPDX-License-Identifier: Apache-2.0
// sections/memory.cpp: JSON, text, metrics and findings of the memory section.
#include "sections/memory.h"

#include <fmt/format.h>

#include <algorithm>

#include "json_read.h"
#include "metrics_top.h"
#include "section_util.h"
#include "units.h"

namespace podtrace {

namespace {

// Members that exist only on one cgroup layout (or kernel) are written only when read.
template <typename T>
void read_optional(const nlohmann::json& j, std::string_view key, std::optional<T>& out) {
  T value{};
  if (read_field(j, key, value)) out = value;
}

std::string limit_text(int64_t limit_bytes) {
  return limit_bytes < 0 ? std::string("no limit")
                         : format_bytes(static_cast<uint64_t>(limit_bytes));
}

std::string signed_bytes(uint64_t from, uint64_t to) {
  return to >= from ? "+" + format_bytes(to - from) : "-" + format_bytes(from - to);
}

double per_second(uint64_t n, uint64_t window_ns) {
  return window_ns ? static_cast<double>(n) * 1e9 / static_cast<double>(window_ns) : 0;
}

}  // namespace

void to_json(nlohmann::json& j, const ProcessFaults& f) {
  j = {{"pid", f.pid},
       {"comm", f.comm},
       {"user_faults", f.user_faults},
       {"minor_faults", f.minor},
       {"major_faults", f.major}};
  if (f.folded) j["folded"] = f.folded;
}

void from_json(const nlohmann::json& j, ProcessFaults& f) {
  read_field(j, "pid", f.pid);
  read_field(j, "comm", f.comm);
  read_field(j, "user_faults", f.user_faults);
  read_field(j, "minor_faults", f.minor);
  read_field(j, "major_faults", f.major);
  read_field(j, "folded", f.folded);
}

void to_json(nlohmann::json& j, const ReclaimStall& r) {
  j = {{"kind", r.kind},
       {"count", r.count},
       {"total_ns", r.total_ns},
       {"reclaimed_pages", r.reclaimed_pages},
       {"latency", r.latency}};
}

void from_json(const nlohmann::json& j, ReclaimStall& r) {
  read_field(j, "kind", r.kind);
  read_field(j, "count", r.count);
  read_field(j, "total_ns", r.total_ns);
  read_field(j, "reclaimed_pages", r.reclaimed_pages);
  read_object(j, "latency", r.latency);
}

void to_json(nlohmann::json& j, const ProcessReclaim& r) {
  j = {{"pid", r.pid},
       {"comm", r.comm},
       {"kind", r.kind},
       {"count", r.count},
       {"total_ns", r.total_ns},
       {"max_ns", r.max_ns},
       {"reclaimed_pages", r.reclaimed_pages}};
}

void from_json(const nlohmann::json& j, ProcessReclaim& r) {
  read_field(j, "pid", r.pid);
  read_field(j, "comm", r.comm);
  read_field(j, "kind", r.kind);
  read_field(j, "count", r.count);
  read_field(j, "total_ns", r.total_ns);
  read_field(j, "max_ns", r.max_ns);
  read_field(j, "reclaimed_pages", r.reclaimed_pages);
}

void to_json(nlohmann::json& j, const MemoryPressure& p) {
  j = {{"some_avg10", p.some_avg10},
       {"full_avg10", p.full_avg10},
       {"some_stall_ns", p.some_ns},
       {"full_stall_ns", p.full_ns}};
}

void from_json(const nlohmann::json& j, MemoryPressure& p) {
  read_field(j, "some_avg10", p.some_avg10);
  read_field(j, "full_avg10", p.full_avg10);
  read_field(j, "some_stall_ns", p.some_ns);
  read_field(j, "full_stall_ns", p.full_ns);
}

void to_json(nlohmann::json& j, const MemcgState& c) {
  j = {{"cgroup", c.cgroup},
       {"source", c.source},
       {"limit_bytes", c.limit_bytes},
       {"usage_start_bytes", c.usage_start_bytes},
       {"usage_end_bytes", c.usage_end_bytes},
       {"limit_hits", c.limit_hits},
       {"oom_kills", c.oom_kills}};
  if (c.peak_bytes) j["peak_bytes"] = *c.peak_bytes;
  if (c.high_events) j["high_events"] = *c.high_events;
  if (c.oom_events) j["oom_events"] = *c.oom_events;
  if (c.under_oom) j["under_oom"] = *c.under_oom;
  if (c.pressure) j["pressure"] = *c.pressure;
}

void from_json(const nlohmann::json& j, MemcgState& c) {
  read_field(j, "cgroup", c.cgroup);
  read_field(j, "source", c.source);
  read_field(j, "limit_bytes", c.limit_bytes);
  read_field(j, "usage_start_bytes", c.usage_start_bytes);
  read_field(j, "usage_end_bytes", c.usage_end_bytes);
  read_field(j, "limit_hits", c.limit_hits);
  read_field(j, "oom_kills", c.oom_kills);
  read_optional(j, "peak_bytes", c.peak_bytes);
  read_optional(j, "high_events", c.high_events);
  read_optional(j, "oom_events", c.oom_events);
  read_optional(j, "under_oom", c.under_oom);
  MemoryPressure p;
  if (read_object(j, "pressure", p)) c.pressure = p;
}

void to_json(nlohmann::json& j, const ProcessRss& r) {
  j = {{"pid", r.pid},
       {"comm", r.comm},
       {"rss_start_bytes", r.start_bytes},
       {"rss_end_bytes", r.end_bytes},
       {"running", r.running}};
  if (r.folded) j["folded"] = r.folded;
}

void from_json(const nlohmann::json& j, ProcessRss& r) {
  read_field(j, "pid", r.pid);
  read_field(j, "comm", r.comm);
  read_field(j, "rss_start_bytes", r.start_bytes);
  read_field(j, "rss_end_bytes", r.end_bytes);
  read_field(j, "running", r.running);
  read_field(j, "folded", r.folded);
}

void to_json(nlohmann::json& j, const OomVictim& v) { j = {{"pid", v.pid}, {"comm", v.comm}}; }

void from_json(const nlohmann::json& j, OomVictim& v) {
  read_field(j, "pid", v.pid);
  read_field(j, "comm", v.comm);
}

void to_json(nlohmann::json& j, const MemoryReport& m) {
  j = {{"window_ns", m.window_ns}, {"faults", m.faults},
       {"reclaim", m.reclaim},     {"reclaim_processes", m.reclaim_processes},
       {"cgroups", m.cgroups},     {"rss", m.rss},
       {"oom_kills", m.oom_kills}, {"oom_killed", m.oom_killed}};
}

void from_json(const nlohmann::json& j, MemoryReport& m) {
  read_field(j, "window_ns", m.window_ns);
  read_array(j, "faults", m.faults);
  read_array(j, "reclaim", m.reclaim);
  read_array(j, "reclaim_processes", m.reclaim_processes);
  read_array(j, "cgroups", m.cgroups);
  read_array(j, "rss", m.rss);
  read_field(j, "oom_kills", m.oom_kills);
  read_array(j, "oom_killed", m.oom_killed);
}

namespace {

void render_cgroup(TextWriter& out, const MemcgState& c) {
  out.line(fmt::format("cgroup {} ({})", c.cgroup, c.source), Tone::kBold);
  out.line(fmt::format("  limit {} · usage {} → {}{}", limit_text(c.limit_bytes),
                       format_bytes(c.usage_start_bytes), format_bytes(c.usage_end_bytes),
                       c.peak_bytes ? " · peak " + format_bytes(*c.peak_bytes) : ""));
  std::string events =
      out.paint(fmt::format("limit hits {}", c.limit_hits),
                c.limit_hits ? Tone::kYellow : Tone::kPlain) +
      " · " +
      out.paint(fmt::format("OOM kills {}", c.oom_kills), c.oom_kills ? Tone::kRed : Tone::kPlain);
  if (c.high_events) events += fmt::format(" · over memory.high {}", *c.high_events);
  if (c.oom_events) events += fmt::format(" · OOM events {}", *c.oom_events);
  if (c.under_oom && *c.under_oom) events += " · " + out.paint("under OOM now", Tone::kRed);
  out.raw_line("  " + events + " (during the trace)");
  if (c.pressure)
    out.line(
        fmt::format("  pressure: some {:.2f}% full {:.2f}% (avg10) · stalled {} some, {} "
                    "full during the trace",
                    c.pressure->some_avg10, c.pressure->full_avg10, format_ns(c.pressure->some_ns),
                    format_ns(c.pressure->full_ns)));
}

}  // namespace

void render_section(TextWriter& out, const MemoryReport& m) {
  out.section(MemoryReport::kTitle);
  if (m.oom_kills) {
    std::string victims;
    for (const auto& v : m.oom_killed)
      victims += fmt::format("{}{} (pid {})", victims.empty() ? ": " : ", ", v.comm, v.pid);
    out.line(fmt::format("{} of the pod's processes OOM-killed{}", m.oom_kills, victims),
             Tone::kRed);
  }
  for (const auto& c : m.cgroups) render_cgroup(out, c);

  if (!m.reclaim.empty()) {
    Table reclaim = latency_table("reclaim", "stalls", {"total", "pages"});
    for (const auto& r : m.reclaim) {
      reclaim.add_row(
          latency_row(r.kind, r.count, r.latency,
                      {{format_ns(r.total_ns), r.total_ns ? Tone::kYellow : Tone::kPlain},
                       {std::to_string(r.reclaimed_pages)}}));
      reclaim.add_detail(out.histogram_lines(r.latency));
    }
    out.table(reclaim);
  }
  if (!m.reclaim_processes.empty()) {
    Table procs({{"reclaiming", Table::Align::kLeft},
                 {"pid"},
                 {"kind", Table::Align::kLeft},
                 {"stalls"},
                 {"total"},
                 {"max"},
                 {"pages"}});
    for (const auto& r : m.reclaim_processes)
      procs.add_row({{r.comm},
                     {std::to_string(r.pid)},
                     {r.kind},
                     {std::to_string(r.count)},
                     {format_ns(r.total_ns)},
                     {format_ns(r.max_ns)},
                     {std::to_string(r.reclaimed_pages)}});
    out.table(procs);
  }

  if (m.faults.empty()) {
    out.line("no page faults seen", Tone::kDim);
  } else {
    out.line(fmt::format("page faults over {}, most major first", format_ns(m.window_ns)),
             Tone::kDim);
    Table faults({{"process", Table::Align::kLeft},
                  {"pid"},
                  {"user faults"},
                  {"minor"},
                  {"major"},
                  {"major/s"}});
    for (const auto& f : m.faults)
      faults.add_row({{f.comm},
                      {std::to_string(f.pid)},
                      {std::to_string(f.user_faults)},
                      {std::to_string(f.minor)},
                      {std::to_string(f.major), f.major ? Tone::kYellow : Tone::kPlain},
                      {fmt::format("{:.1f}", per_second(f.major, m.window_ns))}});
    out.table(faults);
  }

  if (!m.rss.empty()) {
    Table rss({{"resident", Table::Align::kLeft},
               {"pid"},
               {"start"},
               {"end"},
               {"change"},
               {"", Table::Align::kLeft}});
    for (const auto& r : m.rss)
      rss.add_row({{r.comm},
                   {std::to_string(r.pid)},
                   {format_bytes(r.start_bytes)},
                   {format_bytes(r.end_bytes)},
                   {signed_bytes(r.start_bytes, r.end_bytes)},
                   {r.running ? "" : "exited (last seen)", Tone::kDim}});
    out.table(rss);
  }
}

void write_section_metrics(MetricsWriter& out, const MemoryReport& m) {
  out.family("podtrace_memory_page_faults_total", "counter",
             "Page faults of the pod's processes during the trace, by type.");
  uint64_t minor = 0, major = 0, user = 0;
  for (const auto& f : m.faults) {
    minor += f.minor;
    major += f.major;
    user += f.user_faults;
  }
  out.sample("podtrace_memory_page_faults_total", {{"type", "minor"}}, minor);
  out.sample("podtrace_memory_page_faults_total", {{"type", "major"}}, major);
  out.sample("podtrace_memory_page_faults_total", {{"type", "user_mode"}}, user);
  out.family("podtrace_memory_reclaim_stall_seconds", "histogram",
             "Time the pod's threads spent reclaiming memory, by kind (direct, memcg).");
  for (const auto& r : m.reclaim)
    out.histogram("podtrace_memory_reclaim_stall_seconds", {{"kind", r.kind}}, r.latency,
                  r.total_ns);
  out.family("podtrace_memory_cgroup_usage_bytes", "gauge", "Memory charged to the cgroup.");
  for (const auto& c : m.cgroups)
    out.sample("podtrace_memory_cgroup_usage_bytes", {{"cgroup", c.cgroup}}, c.usage_end_bytes);
  out.family("podtrace_memory_cgroup_limit_bytes", "gauge",
             "The cgroup's memory limit (absent when unlimited).");
  for (const auto& c : m.cgroups)
    if (c.limit_bytes >= 0)
      out.sample("podtrace_memory_cgroup_limit_bytes", {{"cgroup", c.cgroup}},
                 static_cast<uint64_t>(c.limit_bytes));
  out.family("podtrace_memory_cgroup_limit_hits_total", "counter",
             "Charges that hit the cgroup's limit during the trace (memory.events max or "
             "memory.failcnt).");
  for (const auto& c : m.cgroups)
    out.sample("podtrace_memory_cgroup_limit_hits_total", {{"cgroup", c.cgroup}}, c.limit_hits);
  out.family("podtrace_memory_cgroup_oom_kills_total", "counter",
             "OOM kills in the cgroup during the trace, as the cgroup counts them.");
  for (const auto& c : m.cgroups)
    out.sample("podtrace_memory_cgroup_oom_kills_total", {{"cgroup", c.cgroup}}, c.oom_kills);
  out.family("podtrace_memory_pressure_stall_seconds_total", "counter",
             "Memory pressure stall time (PSI) of the cgroup during the trace.");
  for (const auto& c : m.cgroups) {
    if (!c.pressure) continue;
    out.sample("podtrace_memory_pressure_stall_seconds_total",
               {{"cgroup", c.cgroup}, {"kind", "some"}},
               static_cast<double>(c.pressure->some_ns) / 1e9);
    out.sample("podtrace_memory_pressure_stall_seconds_total",
               {{"cgroup", c.cgroup}, {"kind", "full"}},
               static_cast<double>(c.pressure->full_ns) / 1e9);
  }
  out.family("podtrace_memory_rss_bytes", "gauge", "Resident set size of the pod's processes.");
  // Bounded: the largest processes keep their pid, the rest are summed as pid="other".
  std::vector<uint64_t> weights;
  for (const auto& r : m.rss) weights.push_back(r.running ? r.end_bytes : 0);
  const std::vector<bool> keep = top_entities(weights, out.top());
  SummedSeries rss;
  for (size_t i = 0; i < m.rss.size(); ++i)
    if (m.rss[i].running)
      rss.add({{"pid", keep[i] ? std::to_string(m.rss[i].pid) : std::string(kOtherLabelValue)}},
              m.rss[i].end_bytes);
  rss.write(out, "podtrace_memory_rss_bytes");
  out.family("podtrace_memory_oom_kills_total", "counter",
             "The pod's processes OOM-killed during the trace.");
  out.sample("podtrace_memory_oom_kills_total", {}, m.oom_kills);
}

void diagnose_section(const MemoryReport& m, const DiagnoseThresholds& t,
                      std::vector<Finding>& out) {
  // Stalls first: they are time the pod's threads lost, the answer to "why is it slow".
  for (const auto& r : m.reclaim) {
    if (r.total_ns == 0) continue;
    const ProcessReclaim* worst = nullptr;
    for (const auto& p : m.reclaim_processes)
      if (p.kind == r.kind && (!worst || p.total_ns > worst->total_ns)) worst = &p;
    const bool memcg = r.kind == "memcg";
    out.push_back(
        {r.total_ns >= 1'000'000'000 ? "critical" : "warning", "memory",
         fmt::format("threads stalled {} in {} reclaim", format_ns(r.total_ns),
                     memcg ? "memory-cgroup" : "direct"),
         fmt::format("{} reclaims, max {}, {} pages reclaimed{}; {}", r.count,
                     format_ns(r.latency.max_ns), r.reclaimed_pages,
                     worst ? fmt::format(", mostly {} (pid {})", worst->comm, worst->pid) : "",
                     memcg ? "the cgroup is at its memory limit: raise the limit or shrink the "
                             "working set"
                           : "the node is short of free memory, whatever the pod's limit")});
  }
  for (const auto& c : m.cgroups) {
    if (c.limit_hits == 0) continue;
    out.push_back({"warning", "memory", fmt::format("memory limit hit {} times", c.limit_hits),
                   fmt::format("{}: limit {}, usage {} → {}{}", c.cgroup, limit_text(c.limit_bytes),
                               format_bytes(c.usage_start_bytes), format_bytes(c.usage_end_bytes),
                               c.pressure ? fmt::format(", memory pressure stalled {}",
                                                        format_ns(c.pressure->some_ns))
                                          : "")});
  }
  // The process family counts the kills (one source of truth); this finding adds the limit
  // that caused them.
  uint64_t cgroup_kills = 0;
  const MemcgState* limited = nullptr;
  for (const auto& c : m.cgroups) {
    cgroup_kills += c.oom_kills;
    if (c.oom_kills && (!limited || c.limit_bytes >= 0)) limited = &c;
  }
  if (m.oom_kills || cgroup_kills) {
    std::string victims;
    for (const auto& v : m.oom_killed)
      victims += fmt::format("{}{} (pid {})", victims.empty() ? "" : ", ", v.comm, v.pid);
    const uint64_t n = m.oom_kills ? m.oom_kills : cgroup_kills;
    out.push_back(
        {"critical", "memory", fmt::format("{} process{} OOM-killed", n, n == 1 ? "" : "es"),
         fmt::format("{}{}", victims.empty() ? "" : victims + "; ",
                     limited ? fmt::format("the memory cgroup {} hit its limit of {}",
                                           limited->cgroup, limit_text(limited->limit_bytes))
                             : "see the process section")});
  }
  for (const auto& f : m.faults) {
    // A folded row is many processes: no one of them is known to have faulted this much.
    if (f.folded) continue;
    const double rate = per_second(f.major, m.window_ns);
    if (f.major < 100 || rate < t.major_faults_per_s) continue;
    out.push_back({"warning", "memory",
                   fmt::format("{} (pid {}) took {} major page faults ({:.0f}/s)", f.comm, f.pid,
                               f.major, rate),
                   "each waited for a disk read: its memory-mapped files or swapped-out pages are "
                   "not in memory; more memory (or a smaller working set) avoids them"});
  }
}

}  // namespace podtrace
