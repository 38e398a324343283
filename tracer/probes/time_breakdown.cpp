// SPDX-License-Identifier: Apache-2.0
// time_breakdown.cpp: closes open intervals and sums threads into processes.
#include "probes/time_breakdown.h"

#include <algorithm>
#include <map>

#include "row_fold.h"

namespace podtrace::tracer {

namespace {

TimeShare closed(const ThreadTimes& t, uint64_t now_ns) {
  TimeShare row;
  row.pid = t.pid;
  row.tid = t.tid;
  row.comm = t.comm;
  row.ns = t.ns;
  const uint64_t end = t.end_ns ? t.end_ns : now_ns;
  row.wall_ns = end > t.first_ns ? end - t.first_ns : 0;
  if (!t.end_ns && t.cur_state < kTimeStates && now_ns > t.state_since)
    row.ns[t.cur_state] += now_ns - t.state_since;
  return row;
}

bool more_time(const TimeShare& a, const TimeShare& b) {
  if (a.wall_ns != b.wall_ns) return a.wall_ns > b.wall_ns;
  return a.pid != b.pid ? a.pid < b.pid : a.tid < b.tid;
}

}  // namespace

TimeReport time_breakdown(const std::vector<ThreadTimes>& threads, uint64_t now_ns,
                          bool per_thread) {
  TimeReport report;
  std::map<uint32_t, TimeShare> processes;
  for (const auto& t : threads) {
    const TimeShare row = closed(t, now_ns);
    auto [it, fresh] = processes.try_emplace(t.pid);
    TimeShare& p = it->second;
    if (fresh) {
      p.pid = t.pid;
      p.threads = 0;
    }
    // The process is named after its main thread when that thread was seen.
    if (fresh || t.tid == t.pid) p.comm = t.comm;
    ++p.threads;
    p.wall_ns += row.wall_ns;
    for (size_t s = 0; s < kTimeStates; ++s) p.ns[s] += row.ns[s];
    if (per_thread) report.threads.push_back(row);
  }
  for (auto& [pid, p] : processes) report.processes.push_back(std::move(p));
  std::sort(report.processes.begin(), report.processes.end(), more_time);
  std::sort(report.threads.begin(), report.threads.end(), more_time);
  TimeShare other;
  other.threads = 0;
  const auto add = [](TimeShare& o, const TimeShare& t) {
    o.threads += t.threads;
    o.wall_ns += t.wall_ns;
    for (size_t s = 0; s < kTimeStates; ++s) o.ns[s] += t.ns[s];
  };
  fold_rows(report.processes, kProcessRowsKept, other, add);
  fold_rows(report.threads, kProcessRowsKept, other, add);
  return report;
}

}  // namespace podtrace::tracer
