// SPDX-License-Identifier: Apache-2.0
// memory_aggregate.cpp: the memory section from map rows, /proc readings and cgroup deltas.
#include "probes/memory_aggregate.h"

#include <algorithm>
#include <map>

#include "histogram.h"
#include "row_fold.h"
#include "text.h"

namespace podtrace::tracer {

std::string_view reclaim_kind_name(uint32_t kind) {
  switch (kind) {
    case MEMORY_RECLAIM_DIRECT:
      return "direct";
    case MEMORY_RECLAIM_MEMCG:
      return "memcg";
  }
  return "unknown";
}

namespace {

uint64_t delta(uint64_t now, uint64_t base) { return now >= base ? now - base : 0; }

// Running processes first (their RSS is the pod's now), then the rows RssTracker ordered.
void fold_rss(std::vector<ProcessRss>& rows) {
  std::stable_partition(rows.begin(), rows.end(), [](const ProcessRss& r) { return r.running; });
  ProcessRss other;
  other.running = true;
  fold_rows(rows, kProcessRowsKept, other, [](ProcessRss& o, const ProcessRss& r) {
    o.start_bytes += r.start_bytes;
    o.end_bytes += r.end_bytes;
    o.running = o.running && r.running;
  });
}

void add_proc(ProcessFaults& f, uint32_t pid, const memory_proc& proc) {
  f.pid = pid;
  f.comm = c_string(proc.comm, sizeof(proc.comm));
  f.user_faults += proc.user_faults;
  f.minor += proc.minor;
  f.major += proc.major;
}

bool more_faults(const ProcessFaults& a, const ProcessFaults& b) {
  return a.major != b.major ? a.major > b.major : a.minor > b.minor;
}

void add_faults(ProcessFaults& o, const ProcessFaults& f) {
  o.user_faults += f.user_faults;
  o.minor += f.minor;
  o.major += f.major;
}

}  // namespace

void ExitedFaults::add(uint32_t pid, const memory_proc& proc) {
  add_proc(rows_.emplace_back(), pid, proc);
  bound_rows(rows_, kExitedFaultsKept, other_, more_faults, add_faults);
}

std::vector<ProcessFaults> aggregate_faults(const std::vector<MemoryProcRow>& procs,
                                            const std::vector<MemoryThreadRow>& threads,
                                            const ExitedFaults* exited) {
  std::map<uint32_t, ProcessFaults> by_pid;
  for (const auto& row : procs) add_proc(by_pid[row.pid], row.pid, row.proc);
  for (const auto& row : threads) {
    auto& f = by_pid[row.thread.pid];
    f.pid = row.thread.pid;
    // /proc is read after the map, so it is never behind the last fault; it can only be missing.
    const uint64_t min =
        row.now ? std::max<uint64_t>(row.now->minor, row.thread.last_min) : row.thread.last_min;
    const uint64_t maj =
        row.now ? std::max<uint64_t>(row.now->major, row.thread.last_maj) : row.thread.last_maj;
    f.minor += delta(min, row.thread.base_min);
    f.major += delta(maj, row.thread.base_maj);
  }
  std::vector<ProcessFaults> out;
  for (auto& [pid, f] : by_pid) out.push_back(std::move(f));
  if (exited) out.insert(out.end(), exited->rows().begin(), exited->rows().end());
  std::stable_sort(out.begin(), out.end(), more_faults);
  fold_rows(out, kProcessRowsKept, exited ? exited->other() : ProcessFaults{}, add_faults);
  return out;
}

MemoryReport aggregate_memory(const MemoryInputs& in) {
  MemoryReport m;
  m.window_ns = in.window_ns;
  m.faults = aggregate_faults(in.procs, in.threads, in.exited);
  for (const auto& row : in.reclaim_kinds) {
    if (row.stats.count == 0) continue;
    ReclaimStall r;
    r.kind = reclaim_kind_name(row.kind);
    r.count = row.stats.count;
    r.total_ns = row.stats.total_ns;
    r.reclaimed_pages = row.stats.pages;
    r.latency = summarize(row.slots, row.stats.total_ns, row.stats.max_ns);
    m.reclaim.push_back(std::move(r));
  }
  for (const auto& row : in.reclaim_procs) {
    ProcessReclaim r;
    r.pid = row.key.pid;
    r.comm = c_string(row.stats.comm, sizeof(row.stats.comm));
    r.kind = reclaim_kind_name(row.key.kind);
    r.count = row.stats.count;
    r.total_ns = row.stats.total_ns;
    r.max_ns = row.stats.max_ns;
    r.reclaimed_pages = row.stats.pages;
    m.reclaim_processes.push_back(std::move(r));
  }
  std::stable_sort(
      m.reclaim_processes.begin(), m.reclaim_processes.end(),
      [](const ProcessReclaim& a, const ProcessReclaim& b) { return a.total_ns > b.total_ns; });
  m.cgroups = in.cgroups;
  m.rss = in.rss;
  fold_rss(m.rss);
  if (in.process) {
    m.oom_kills = in.process->oom_kills;
    for (const auto& x : in.process->exited)
      if (x.oom_killed) m.oom_killed.push_back({x.pid, x.comm});
  }
  return m;
}

}  // namespace podtrace::tracer
