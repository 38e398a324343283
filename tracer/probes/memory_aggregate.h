// SPDX-License-Identifier: Apache-2.0
// memory_aggregate.h: turns what the memory family read from its maps, /proc and the cgroup files
// into the memory section. Pure: unit tests run it without root.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "memory.h"
#include "proc_memory.h"
#include "sections/memory.h"
#include "sections/process.h"

namespace podtrace::tracer {

// A live thread's entry, with its counters from /proc now (nullopt when /proc had none: its
// last fault's reading stands in).
struct MemoryThreadRow {
  uint32_t tid = 0;
  memory_thread thread{};
  std::optional<FaultCounters> now;
};

struct MemoryProcRow {
  uint32_t pid = 0;
  memory_proc proc{};
};

// Totals and latency slots of one reclaim kind.
struct MemoryReclaimKindRow {
  uint32_t kind = 0;  // MEMORY_RECLAIM_*
  memory_reclaim_stats stats{};
  std::vector<uint64_t> slots;
};

struct MemoryReclaimRow {
  memory_reclaim_key key{};
  memory_reclaim_stats stats{};
};

// The fault rows of processes that have exited, taken out of the kernel's per-process map, which
// holds MEMORY_MAX_PROCS processes (a pod's shell loop of short-lived processes filled it in under
// a minute, and later processes' faults went uncounted). Final; past kExitedFaultsKept rows the
// lightest half is summed into one "other" row, totals exact.
class ExitedFaults {
 public:
  static constexpr size_t kExitedFaultsKept = 2048;
  void add(uint32_t pid, const memory_proc& proc);
  const std::vector<ProcessFaults>& rows() const { return rows_; }
  const ProcessFaults& other() const { return other_; }

 private:
  std::vector<ProcessFaults> rows_;
  ProcessFaults other_;
};

struct MemoryInputs {
  uint64_t window_ns = 0;
  std::vector<MemoryProcRow> procs;
  std::vector<MemoryThreadRow> threads;
  std::vector<MemoryReclaimKindRow> reclaim_kinds;
  std::vector<MemoryReclaimRow> reclaim_procs;
  std::vector<MemcgState> cgroups;
  std::vector<ProcessRss> rss;
  // The process family's section, when it runs: the one count of OOM kills.
  const ProcessReport* process = nullptr;
  const ExitedFaults* exited = nullptr;
};

std::string_view reclaim_kind_name(uint32_t kind);

// Per process: exited threads' deltas (folded in by the kernel) plus each live thread's counters
// now minus its first reading, and the exited processes' rows. Most major faults first, then most
// minor.
std::vector<ProcessFaults> aggregate_faults(const std::vector<MemoryProcRow>& procs,
                                            const std::vector<MemoryThreadRow>& threads,
                                            const ExitedFaults* exited = nullptr);

MemoryReport aggregate_memory(const MemoryInputs& in);

}  // namespace podtrace::tracer
