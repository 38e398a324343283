// SPDX-License-Identifier: Apache-2.0
// memcg_state.h: the memory cgroup's limit, usage, limit hits, OOM kills and pressure, from the
// v2 files (memory.max, memory.current, memory.peak, memory.events, memory.pressure) or, on
// hybrid and v1 hosts, from the v1 memory controller (memory.limit_in_bytes,
// memory.usage_in_bytes, memory.max_usage_in_bytes, memory.failcnt, memory.oom_control).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cgroup.h"
#include "result.h"
#include "sections/memory.h"

namespace podtrace::tracer {

// One reading of a memory controller directory; counters are cumulative.
struct MemcgReading {
  bool v2 = false;
  int64_t limit_bytes = -1;  // -1: no limit
  uint64_t usage_bytes = 0;
  std::optional<uint64_t> peak_bytes;
  uint64_t limit_hits = 0;  // memory.events max / memory.failcnt
  uint64_t oom_kills = 0;   // memory.events oom_kill / memory.oom_control oom_kill
  std::optional<uint64_t> high_events;
  std::optional<uint64_t> oom_events;
  std::optional<bool> under_oom;
};

// memory.pressure: "some avg10=1.23 avg60=… total=<us>" and the same for "full".
struct PsiReading {
  double some_avg10 = 0;
  double full_avg10 = 0;
  uint64_t some_total_us = 0;
  uint64_t full_total_us = 0;
};

// `dir` is the memory controller directory; `v2` selects the file format.
Result<MemcgReading> read_memcg(const std::filesystem::path& dir, bool v2);
// The file is in every v2 cgroup when PSI is on, whatever the memory controller's version.
std::optional<PsiReading> read_memory_pressure(const std::filesystem::path& v2_dir);

// What changed between two readings, as the report shows it.
MemcgState memcg_delta(const std::string& cgroup, const MemcgReading& start,
                       const MemcgReading& now, const std::optional<PsiReading>& psi_start,
                       const std::optional<PsiReading>& psi_now);

// Remembers a baseline per memory cgroup so the report shows what happened during the trace.
class MemcgMonitor {
 public:
  // Starts watching the memory cgroups of these v2 directories. Known ones keep their
  // baseline; one whose v1 directory cannot be found yet (a hybrid cgroup with no process to
  // ask) is tried again on the next call.
  void watch(const CgroupFs& cgroups, const std::vector<std::filesystem::path>& v2_dirs);
  // A cgroup that went away keeps its last reading.
  std::vector<MemcgState> since_start();

 private:
  struct Watched {
    std::filesystem::path v2_dir;
    std::filesystem::path dir;  // memory controller directory
    bool v2 = false;
    MemcgReading start, last;
    std::optional<PsiReading> psi_start, psi_last;
  };
  std::vector<Watched> watched_;
  std::set<std::filesystem::path> resolved_;  // v2 directories already matched to a memcg
};

}  // namespace podtrace::tracer
