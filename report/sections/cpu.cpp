// SPDX-License-Identifier: Apache-2.0
// sections/cpu.cpp: JSON, text, metrics and findings of the CPU section.
#include "sections/cpu.h"

#include <fmt/format.h>

#include "json_read.h"
#include "section_util.h"
#include "units.h"

namespace podtrace {

void to_json(nlohmann::json& j, const ThreadCpu& t) {
  j = {{"pid", t.pid},
       {"tid", t.tid},
       {"comm", t.comm},
       {"on_cpu_ns", t.on_cpu_ns},
       {"run_queue_ns", t.run_queue_ns},
       {"io_ns", t.io_ns},
       {"sleep_ns", t.sleep_ns},
       {"preempted_ns", t.preempted_ns},
       {"switches", t.switches},
       {"involuntary_switches", t.involuntary}};
  if (t.folded) j["folded"] = t.folded;
}

void from_json(const nlohmann::json& j, ThreadCpu& t) {
  read_field(j, "pid", t.pid);
  read_field(j, "tid", t.tid);
  read_field(j, "comm", t.comm);
  read_field(j, "on_cpu_ns", t.on_cpu_ns);
  read_field(j, "run_queue_ns", t.run_queue_ns);
  read_field(j, "io_ns", t.io_ns);
  read_field(j, "sleep_ns", t.sleep_ns);
  read_field(j, "preempted_ns", t.preempted_ns);
  read_field(j, "switches", t.switches);
  read_field(j, "involuntary_switches", t.involuntary);
  read_field(j, "folded", t.folded);
}

void to_json(nlohmann::json& j, const Throttling& t) {
  j = {{"cgroup", t.cgroup},
       {"source", t.source},
       {"quota_us", t.quota_us},
       {"period_us", t.period_us},
       {"nr_periods", t.nr_periods},
       {"nr_throttled", t.nr_throttled},
       {"throttled_ns", t.throttled_ns},
       {"window_ns", t.window_ns}};
}

void from_json(const nlohmann::json& j, Throttling& t) {
  read_field(j, "cgroup", t.cgroup);
  read_field(j, "source", t.source);
  read_field(j, "quota_us", t.quota_us);
  read_field(j, "period_us", t.period_us);
  read_field(j, "nr_periods", t.nr_periods);
  read_field(j, "nr_throttled", t.nr_throttled);
  read_field(j, "throttled_ns", t.throttled_ns);
  read_field(j, "window_ns", t.window_ns);
}

void to_json(nlohmann::json& j, const CpuReport& c) {
  j = {{"run_queue", c.run_queue},
       {"on_cpu", c.on_cpu},
       {"on_cpu_ns", c.on_cpu_ns},
       {"run_queue_ns", c.run_queue_ns},
       {"off_cpu_ns", {{"io", c.io_ns}, {"sleep", c.sleep_ns}, {"preempted", c.preempted_ns}}},
       {"off_cpu", {{"io", c.off_io}, {"sleep", c.off_sleep}, {"preempted", c.preempted}}},
       {"throttling", c.throttling},
       {"threads", c.threads}};
}

void from_json(const nlohmann::json& j, CpuReport& c) {
  read_object(j, "run_queue", c.run_queue);
  read_object(j, "on_cpu", c.on_cpu);
  read_field(j, "on_cpu_ns", c.on_cpu_ns);
  read_field(j, "run_queue_ns", c.run_queue_ns);
  if (const auto* off = json_member(j, "off_cpu_ns")) {
    read_field(*off, "io", c.io_ns);
    read_field(*off, "sleep", c.sleep_ns);
    read_field(*off, "preempted", c.preempted_ns);
  }
  if (const auto* off = json_member(j, "off_cpu")) {
    read_object(*off, "io", c.off_io);
    read_object(*off, "sleep", c.off_sleep);
    read_object(*off, "preempted", c.preempted);
  }
  read_array(j, "throttling", c.throttling);
  read_array(j, "threads", c.threads);
}

namespace {

std::string percent(uint64_t part, uint64_t whole) {
  if (whole == 0) return "-";
  return fmt::format("{:.0f}%", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

// "1.80 CPUs": throttled CPU time per second of wall time.
std::string cpus_held_back(const Throttling& t) {
  if (t.window_ns == 0) return "-";
  return fmt::format("{:.2f} CPUs",
                     static_cast<double>(t.throttled_ns) / static_cast<double>(t.window_ns));
}

}  // namespace

void render_section(TextWriter& out, const CpuReport& c) {
  out.section(CpuReport::kTitle);
  out.line(
      fmt::format("on CPU {} · waiting for a CPU {} · blocked in I/O {} · sleeping {} · "
                  "preempted {}",
                  format_ns(c.on_cpu_ns), format_ns(c.run_queue_ns), format_ns(c.io_ns),
                  format_ns(c.sleep_ns), format_ns(c.preempted_ns)));
  Table latencies = latency_table("latency", "samples", {});
  const std::pair<const char*, const LatencySummary*> rows[] = {
      {"run queue", &c.run_queue},
      {"on CPU", &c.on_cpu},
      {"off CPU: I/O", &c.off_io},
      {"off CPU: sleep", &c.off_sleep},
      {"off CPU: preempted", &c.preempted}};
  for (const auto& [name, s] : rows) {
    if (s->count == 0) continue;
    latencies.add_row(latency_row(name, s->count, *s, {}));
    latencies.add_detail(out.histogram_lines(*s));
  }
  if (latencies.rows()) out.table(latencies);
  if (!c.throttling.empty()) {
    // Throttled time is CPU time (summed over CPUs): shown with the window it was read over and
    // as the average number of CPUs held back, never as if it were wall time.
    Table throttling({{"throttling", Table::Align::kLeft},
                      {"periods"},
                      {"throttled"},
                      {"CPU time held back"},
                      {"over"},
                      {"avg CPUs held", Table::Align::kLeft},
                      {"quota/period", Table::Align::kLeft}});
    for (const auto& t : c.throttling)
      throttling.add_row(
          {{t.source},
           {std::to_string(t.nr_periods)},
           {fmt::format("{} ({})", t.nr_throttled, percent(t.nr_throttled, t.nr_periods)),
            t.nr_throttled ? Tone::kYellow : Tone::kPlain},
           {format_ns(t.throttled_ns)},
           {format_ns(t.window_ns)},
           {cpus_held_back(t)},
           {t.quota_us < 0
                ? std::string("unlimited")
                : fmt::format("{}us/{}us ({:.2f} CPUs)", t.quota_us, t.period_us,
                              static_cast<double>(t.quota_us) /
                                  static_cast<double>(std::max<uint64_t>(1, t.period_us)))}});
    out.table(throttling);
    // Paths are long: below the table, not in a column.
    for (const auto& t : c.throttling) out.line("cgroup " + t.cgroup, Tone::kDim);
  }
  if (!c.threads.empty()) {
    Table threads({{"thread", Table::Align::kLeft},
                   {"pid"},
                   {"tid"},
                   {"on CPU"},
                   {"run queue"},
                   {"I/O"},
                   {"sleep"},
                   {"preempted"},
                   {"switches"},
                   {"involuntary"}});
    for (const auto& t : c.threads)
      threads.add_row({{t.comm},
                       {std::to_string(t.pid)},
                       {std::to_string(t.tid)},
                       {format_ns(t.on_cpu_ns)},
                       {format_ns(t.run_queue_ns)},
                       {format_ns(t.io_ns)},
                       {format_ns(t.sleep_ns)},
                       {format_ns(t.preempted_ns)},
                       {std::to_string(t.switches)},
                       {std::to_string(t.involuntary)}});
    out.table(threads);
  }
}

void write_section_metrics(MetricsWriter& out, const CpuReport& c) {
  out.family("podtrace_cpu_runqueue_latency_seconds", "histogram",
             "Time the pod's threads waited runnable for a CPU.");
  out.histogram("podtrace_cpu_runqueue_latency_seconds", {{"scope", "target"}}, c.run_queue,
                c.run_queue_ns);
  out.family("podtrace_cpu_seconds_total", "counter",
             "Time the pod's threads spent on and off CPU, by state.");
  for (auto [state, ns] : {std::pair{"on_cpu", c.on_cpu_ns},
                           {"io", c.io_ns},
                           {"sleep", c.sleep_ns},
                           {"preempted", c.preempted_ns}})
    out.sample("podtrace_cpu_seconds_total", {{"state", state}}, static_cast<double>(ns) / 1e9);
  out.family("podtrace_cpu_throttled_periods_total", "counter",
             "CFS periods in which the pod's cgroup was throttled.");
  for (const auto& t : c.throttling)
    out.sample("podtrace_cpu_throttled_periods_total", {{"cgroup", t.cgroup}}, t.nr_throttled);
}

void diagnose_section(const CpuReport& c, const DiagnoseThresholds& t, std::vector<Finding>& out) {
  for (const auto& th : c.throttling) {
    if (th.nr_periods == 0) continue;
    const double ratio = static_cast<double>(th.nr_throttled) / static_cast<double>(th.nr_periods);
    if (ratio >= t.throttled_ratio)
      out.push_back(
          {ratio >= 0.5 ? "critical" : "warning", "cpu",
           fmt::format("CPU throttled in {:.0f}% of periods", ratio * 100),
           fmt::format("{} of {} periods hit the quota of {} us per {} us; on average {} of "
                       "runnable work was held back ({} of CPU time over {}: the kernel sums it "
                       "over CPUs): raise the CPU limit",
                       th.nr_throttled, th.nr_periods, th.quota_us, th.period_us,
                       cpus_held_back(th), format_ns(th.throttled_ns), format_ns(th.window_ns)),
           "throttled"});
  }
  // A throttled thread waits runnable, so throttling shows up as run-queue time (once per
  // thread): when throttling was reported, it is the explanation, not contention.
  bool explained_by_throttling = false;
  for (const auto& th : c.throttling)
    if (th.nr_periods && th.nr_throttled >= t.throttled_ratio * static_cast<double>(th.nr_periods))
      explained_by_throttling = true;
  // A high p99 over a handful of waits is not contention worth a finding: the threads must also
  // have spent a real share of their time waiting for a CPU.
  const uint64_t lived_ns = c.on_cpu_ns + c.run_queue_ns + c.io_ns + c.sleep_ns;
  const bool runq_matters =
      static_cast<double>(c.run_queue_ns) >= t.runq_share * static_cast<double>(lived_ns);
  if (c.run_queue.count && c.run_queue.p99_ns >= t.runq_p99_ns && runq_matters &&
      !explained_by_throttling)
    out.push_back(
        {"warning", "cpu",
         fmt::format("CPU contention: run-queue p99 {}", format_ns(c.run_queue.p99_ns)),
         fmt::format("threads waited {} in total for a CPU; {} of it after involuntary preemption",
                     format_ns(c.run_queue_ns), format_ns(c.preempted_ns)),
         "runqueue"});
  if (c.io_ns > c.on_cpu_ns && c.io_ns > 100'000'000)
    out.push_back(
        {"info", "cpu", fmt::format("blocked in uninterruptible I/O for {}", format_ns(c.io_ns)),
         fmt::format("more than the {} spent on CPU", format_ns(c.on_cpu_ns)), "file_io"});
}

}  // namespace podtrace
