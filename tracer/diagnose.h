// SPDX-License-Identifier: Apache-2.0
// diagnose.h: turns a report into findings a user can act on, most severe first.
#pragma once

#include "report.h"

namespace podtrace {

struct DiagnoseThresholds {
  uint64_t slow_io_p99_ns = 10'000'000;     // 10 ms
  uint64_t runq_p99_ns = 5'000'000;         // 5 ms waiting for a CPU
  double throttled_ratio = 0.10;            // of CFS periods
};

std::vector<Finding> diagnose(const Report& report, const DiagnoseThresholds& t = {});

}  // namespace podtrace
