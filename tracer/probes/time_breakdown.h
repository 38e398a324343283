// SPDX-License-Identifier: Apache-2.0
// time_breakdown.h: turns the kernel's per-thread state totals into the report's time section.
// Pure: no BPF, so the arithmetic is unit-tested.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sections/time.h"

namespace podtrace::tracer {

// One thread as the cpu object left it: totals per state up to state_since, and the state it
// has been in since then.
struct ThreadTimes {
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::string comm;
  uint64_t first_ns = 0;     // CLOCK_MONOTONIC: start of its wall time in the trace
  uint64_t state_since = 0;  // when its current state began
  uint64_t end_ns = 0;       // when it exited; 0 while it lives
  uint32_t cur_state = 0;
  std::array<uint64_t, kTimeStates> ns{};
};

// Threads summed into processes (and kept as thread rows when `per_thread`). The cpu probe keeps
// one for the threads that have exited, whose rows are final, and starts each collect's breakdown
// from a copy of it.
class TimeTables {
 public:
  explicit TimeTables(bool per_thread) : per_thread_(per_thread) {}
  // Closes a live thread's open interval at `now_ns` and adds the thread to its process.
  void add(const ThreadTimes& t, uint64_t now_ns);
  // Past `max` rows, a table's least thread-time half is summed into its "other" row: exact
  // totals in bounded memory. A process folded here and seen again later is a second row.
  void bound(size_t max);
  // Sorted most thread-time first, kProcessRowsKept rows of their own and "other" last.
  TimeReport report() &&;

 private:
  bool per_thread_;
  std::map<uint32_t, TimeShare> processes_;
  std::vector<TimeShare> threads_;
  TimeShare process_other_ = folded_row();
  TimeShare thread_other_ = folded_row();
  static TimeShare folded_row();
};

// Closes each live thread's open interval at `now_ns`, sums threads into processes (most
// thread-time first), and keeps per-thread rows when `per_thread`.
TimeReport time_breakdown(const std::vector<ThreadTimes>& threads, uint64_t now_ns,
                          bool per_thread);

}  // namespace podtrace::tracer
