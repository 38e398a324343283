// SPDX-License-Identifier: Apache-2.0
// time_breakdown.h: turns the kernel's per-thread state totals into the report's time section.
// Pure: no BPF, so the arithmetic is unit-tested.
#pragma once

#include <array>
#include <cstdint>
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

// Closes each live thread's open interval at `now_ns`, sums threads into processes (most
// thread-time first), and keeps per-thread rows when `per_thread`.
TimeReport time_breakdown(const std::vector<ThreadTimes>& threads, uint64_t now_ns,
                          bool per_thread);

}  // namespace podtrace::tracer
