// SPDX-License-Identifier: Apache-2.0
// time_breakdown.cpp: closes open intervals and sums threads into processes.
#include "probes/time_breakdown.h"

#include <algorithm>

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

void add_time(TimeShare& o, const TimeShare& t) {
  o.threads += t.threads;
  o.wall_ns += t.wall_ns;
  for (size_t s = 0; s < kTimeStates; ++s) o.ns[s] += t.ns[s];
}

std::vector<TimeShare> sorted_processes(std::map<uint32_t, TimeShare> processes) {
  std::vector<TimeShare> rows;
  rows.reserve(processes.size());
  for (auto& [pid, p] : processes) rows.push_back(std::move(p));
  std::sort(rows.begin(), rows.end(), more_time);
  return rows;
}

}  // namespace

TimeShare TimeTables::folded_row() {
  TimeShare other;
  other.threads = 0;
  return other;
}

void TimeTables::add(const ThreadTimes& t, uint64_t now_ns) {
  TimeShare row = closed(t, now_ns);
  auto [it, fresh] = processes_.try_emplace(t.pid);
  TimeShare& p = it->second;
  if (fresh) {
    p.pid = t.pid;
    p.threads = 0;
  }
  // The process is named after its main thread when that thread was seen.
  if (fresh || t.tid == t.pid) p.comm = t.comm;
  add_time(p, row);
  if (per_thread_) threads_.push_back(std::move(row));
}

void TimeTables::bound(size_t max) {
  bound_rows(threads_, max, thread_other_, more_time, add_time);
  if (processes_.size() <= max) return;
  std::vector<TimeShare> rows = sorted_processes(std::move(processes_));
  processes_.clear();
  fold_into(rows, max / 2, process_other_, add_time);
  for (auto& p : rows) processes_.emplace(p.pid, std::move(p));
}

TimeReport TimeTables::report() && {
  TimeReport report;
  report.processes = sorted_processes(std::move(processes_));
  report.threads = std::move(threads_);
  std::sort(report.threads.begin(), report.threads.end(), more_time);
  fold_rows(report.processes, kProcessRowsKept, std::move(process_other_), add_time);
  fold_rows(report.threads, kProcessRowsKept, std::move(thread_other_), add_time);
  return report;
}

TimeReport time_breakdown(const std::vector<ThreadTimes>& threads, uint64_t now_ns,
                          bool per_thread) {
  TimeTables tables(per_thread);
  for (const auto& t : threads) tables.add(t, now_ns);
  return std::move(tables).report();
}

}  // namespace podtrace::tracer
