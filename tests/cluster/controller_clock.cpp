// SPDX-License-Identifier: Apache-2.0
// A process-wide offset: the control loop and the API server's harness endpoint share it.
#include "controller_clock.h"

#include <atomic>

namespace podtrace::cluster {
namespace {

std::atomic<long long> g_offset_s{0};

}  // namespace

Clock::time_point controller_now() {
  return Clock::now() + std::chrono::seconds(g_offset_s.load());
}

void advance_controller_clock(std::chrono::seconds by) { g_offset_s.fetch_add(by.count()); }

}  // namespace podtrace::cluster
