// SPDX-License-Identifier: Apache-2.0
// cpu_throttle.h: CFS quota throttling of the target's cgroups, from v2 cpu.stat/cpu.max or, on
// hybrid and v1 hosts, from the v1 cpu controller's cpu.stat/cpu.cfs_quota_us.
#pragma once

#include <filesystem>
#include <vector>

#include "cgroup.h"
#include "result.h"
#include "sections/cpu.h"

namespace podtrace::tracer {

// One reading of a cpu controller directory. `v2` selects the file format.
Result<Throttling> read_throttling(const std::filesystem::path& dir, bool v2);

// Remembers a baseline at start so the report shows what happened during the trace.
class ThrottleMonitor {
 public:
  void start(const CgroupFs& cgroups, const std::vector<std::filesystem::path>& v2_dirs);
  std::vector<Throttling> since_start() const;

 private:
  struct Watched {
    std::filesystem::path dir;
    bool v2;
    Throttling baseline;
    uint64_t baseline_ns;  // CLOCK_MONOTONIC at the baseline reading
  };
  std::vector<Watched> watched_;
};

}  // namespace podtrace::tracer
