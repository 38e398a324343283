// SPDX-License-Identifier: Apache-2.0
// cpu_probe.cpp: loads cpu.bpf.c and folds its per-row histograms and per-thread totals into the
// report.
#include "probes/cpu_probe.h"

#include <algorithm>

#include "clock.h"
#include "cpu.h"
#include "cpu.skel.h"
#include "histogram.h"
#include "probes/time_breakdown.h"
#include "row_fold.h"
#include "sections/cpu.h"
#include "sections/time.h"
#include "text.h"

namespace podtrace::tracer {

static_assert(kTimeStates == PT_STATE_MAX, "report/sections/time.h follows bpf/activity.h");

Result<AttachType> CpuProbe::start(const ProbeConfig& config) {
  const SkeletonOps<cpu_bpf> ops{cpu_bpf__open_opts, cpu_bpf__load, cpu_bpf__destroy};
  auto loaded = load_first_working<cpu_bpf>(
      ops, config, {AttachType::kTpBtf, AttachType::kRawTp},
      // Threads already there start their breakdown when the trace does.
      [](cpu_bpf* s) { s->rodata->trace_start_ns = monotonic_ns(); },
      [&](cpu_bpf* s) { write_targets(s, config.cgroup_ids); });
  if (!loaded) return make_error(loaded.error());
  loaded_ = std::move(*loaded);
  exited_times_ = TimeTables(config.time_per_thread);
  return loaded_.attach;
}

void CpuProbe::set_targets(const std::vector<uint64_t>& ids) {
  if (loaded_.skel) write_targets(loaded_.skel.get(), ids);
}

namespace {

ThreadCpu cpu_row(uint32_t tid, const sched_thread& t) {
  return {t.pid,
          tid,
          c_string(t.comm, sizeof(t.comm)),
          t.ns[SCHED_ROW_ONCPU],
          t.ns[SCHED_ROW_RUNQ],
          t.ns[SCHED_ROW_OFF_IO],
          t.ns[SCHED_ROW_OFF_SLEEP],
          t.ns[SCHED_ROW_PREEMPTED],
          t.switches,
          t.involuntary};
}

ThreadTimes times_row(uint32_t tid, const sched_thread& t) {
  ThreadTimes row{
      t.pid,       tid, c_string(t.comm, sizeof(t.comm)), t.first_ns, t.state_since, t.end_ns,
      t.cur_state, {}};
  std::copy(std::begin(t.state_ns), std::end(t.state_ns), row.ns.begin());
  return row;
}

bool more_cpu(const ThreadCpu& a, const ThreadCpu& b) {
  return a.on_cpu_ns + a.run_queue_ns > b.on_cpu_ns + b.run_queue_ns;
}

void add_cpu(ThreadCpu& o, const ThreadCpu& t) {
  o.on_cpu_ns += t.on_cpu_ns;
  o.run_queue_ns += t.run_queue_ns;
  o.io_ns += t.io_ns;
  o.sleep_ns += t.sleep_ns;
  o.preempted_ns += t.preempted_ns;
  o.switches += t.switches;
  o.involuntary += t.involuntary;
}

}  // namespace

std::vector<std::pair<uint32_t, sched_thread>> CpuProbe::take_live_threads() {
  const int fd = bpf_map__fd(loaded_.skel->maps.threads);
  std::vector<std::pair<uint32_t, sched_thread>> live, exited;
  // A thread's entry is final once it has switched out dead (end_ns): nothing updates it again.
  for_each_map_entry<uint32_t, sched_thread>(fd, [&](uint32_t tid, const sched_thread& t) {
    (t.end_ns ? exited : live).emplace_back(tid, t);
  });
  take_map_entries(
      fd, exited,
      [&](uint32_t tid, const sched_thread& t) {
        if (!t.end_ns) {
          // The tid was reused by a new thread in between: it is live, and goes back.
          bpf_map_update_elem(fd, &tid, &t, BPF_NOEXIST);
          live.emplace_back(tid, t);
          return;
        }
        exited_cpu_.push_back(cpu_row(tid, t));
        exited_times_.add(times_row(tid, t), t.end_ns);
      },
      [&](uint32_t tid, const sched_thread& t) { live.emplace_back(tid, t); });
  bound_rows(exited_cpu_, kExitedThreadsKept, exited_cpu_other_, more_cpu, add_cpu);
  exited_times_.bound(kExitedThreadsKept);
  return live;
}

size_t CpuProbe::kernel_threads() const {
  size_t n = 0;
  for_each_map_entry<uint32_t, sched_thread>(bpf_map__fd(loaded_.skel->maps.threads),
                                             [&](uint32_t, const sched_thread&) { ++n; });
  return n;
}

void CpuProbe::fill(Report& report) {
  if (!loaded_.skel) return;
  CpuReport& cpu = report.get<CpuReport>();
  const int stats_fd = bpf_map__fd(loaded_.skel->maps.row_stats);
  const int hist_fd = bpf_map__fd(loaded_.skel->maps.row_hist);
  auto row = [&](uint32_t r, uint64_t& total_out) {
    const pt_op_stats stats = sum_op_stats(stats_fd, r);
    total_out = stats.total_ns;
    return summarize(read_hist_row(hist_fd, r), stats.total_ns, stats.max_ns);
  };
  cpu.run_queue = row(SCHED_ROW_RUNQ, cpu.run_queue_ns);
  cpu.on_cpu = row(SCHED_ROW_ONCPU, cpu.on_cpu_ns);
  cpu.off_io = row(SCHED_ROW_OFF_IO, cpu.io_ns);
  cpu.off_sleep = row(SCHED_ROW_OFF_SLEEP, cpu.sleep_ns);
  cpu.preempted = row(SCHED_ROW_PREEMPTED, cpu.preempted_ns);

  const auto live = take_live_threads();
  cpu.threads = exited_cpu_;
  for (const auto& [tid, t] : live) cpu.threads.push_back(cpu_row(tid, t));
  std::sort(cpu.threads.begin(), cpu.threads.end(), more_cpu);
  fold_rows(cpu.threads, kProcessRowsKept, exited_cpu_other_, add_cpu);

  // The time breakdown, from the same threads.
  TimeTables times = exited_times_;
  const uint64_t now = monotonic_ns();
  for (const auto& [tid, t] : live) times.add(times_row(tid, t), now);
  report.set(std::move(times).report());
}

LostCounts CpuProbe::lost() const {
  if (!loaded_.skel) return {};
  return read_lost(bpf_map__fd(loaded_.skel->maps.lost));
}

std::span<const unsigned char> CpuProbe::bpf_object() {
  return embedded_object(cpu_bpf__elf_bytes);
}

}  // namespace podtrace::tracer
