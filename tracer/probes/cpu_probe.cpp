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
  const SkeletonOps<cpu_bpf> ops{cpu_bpf__open, cpu_bpf__load, cpu_bpf__destroy};
  auto loaded = load_first_working<cpu_bpf>(
      ops, config, {AttachType::kTpBtf, AttachType::kRawTp},
      // Threads already there start their breakdown when the trace does.
      [](cpu_bpf* s) { s->rodata->trace_start_ns = monotonic_ns(); },
      [&](cpu_bpf* s) { write_targets(s, config.cgroup_ids); });
  if (!loaded) return make_error(loaded.error());
  loaded_ = std::move(*loaded);
  per_thread_ = config.time_per_thread;
  return loaded_.attach;
}

void CpuProbe::set_targets(const std::vector<uint64_t>& ids) {
  if (loaded_.skel) write_targets(loaded_.skel.get(), ids);
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

  cpu.threads.clear();
  const int threads_fd = bpf_map__fd(loaded_.skel->maps.threads);
  for_each_map_entry<uint32_t, sched_thread>(threads_fd, [&](uint32_t tid, const sched_thread& t) {
    cpu.threads.push_back({t.pid, tid, c_string(t.comm, sizeof(t.comm)), t.ns[SCHED_ROW_ONCPU],
                           t.ns[SCHED_ROW_RUNQ], t.ns[SCHED_ROW_OFF_IO], t.ns[SCHED_ROW_OFF_SLEEP],
                           t.ns[SCHED_ROW_PREEMPTED], t.switches, t.involuntary});
  });
  std::sort(cpu.threads.begin(), cpu.threads.end(), [](const ThreadCpu& a, const ThreadCpu& b) {
    return a.on_cpu_ns + a.run_queue_ns > b.on_cpu_ns + b.run_queue_ns;
  });
  fold_rows(cpu.threads, kProcessRowsKept, ThreadCpu{}, [](ThreadCpu& o, const ThreadCpu& t) {
    o.on_cpu_ns += t.on_cpu_ns;
    o.run_queue_ns += t.run_queue_ns;
    o.io_ns += t.io_ns;
    o.sleep_ns += t.sleep_ns;
    o.preempted_ns += t.preempted_ns;
    o.switches += t.switches;
    o.involuntary += t.involuntary;
  });
  fill_time(report, threads_fd);
}

void CpuProbe::fill_time(Report& report, int threads_fd) const {
  std::vector<ThreadTimes> threads;
  for_each_map_entry<uint32_t, sched_thread>(threads_fd, [&](uint32_t tid, const sched_thread& t) {
    ThreadTimes row{
        t.pid,       tid, c_string(t.comm, sizeof(t.comm)), t.first_ns, t.state_since, t.end_ns,
        t.cur_state, {}};
    std::copy(std::begin(t.state_ns), std::end(t.state_ns), row.ns.begin());
    threads.push_back(std::move(row));
  });
  report.set(time_breakdown(threads, monotonic_ns(), per_thread_));
}

LostCounts CpuProbe::lost() const {
  if (!loaded_.skel) return {};
  return read_lost(bpf_map__fd(loaded_.skel->maps.lost));
}

}  // namespace podtrace::tracer
