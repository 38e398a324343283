// SPDX-License-Identifier: Apache-2.0
// sections/memory.h: the memory section: page faults per process, reclaim stalls, the memory
// cgroups' limits and events, RSS at the start and the end, and the OOM kills.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "latency.h"
#include "section.h"

namespace podtrace {

// Faults of one process since its threads were first seen faulting in the trace.
struct ProcessFaults {
  uint32_t pid = 0;
  std::string comm;
  uint64_t user_faults = 0;  // page_fault_user events: faults taken in user mode
  uint64_t minor = 0;        // the kernel's per-thread counters (min_flt, maj_flt), summed
  uint64_t major = 0;
  uint32_t folded = 0;  // > 0: the "other" row (pid 0), summing this many rows (row_fold.h)
  bool operator==(const ProcessFaults&) const = default;
};

// Stalls of one reclaim kind ("direct": the node ran short; "memcg": the cgroup's limit).
struct ReclaimStall {
  std::string kind;
  uint64_t count = 0;
  uint64_t total_ns = 0;
  uint64_t reclaimed_pages = 0;
  LatencySummary latency;
  bool operator==(const ReclaimStall&) const = default;
};

struct ProcessReclaim {
  uint32_t pid = 0;
  std::string comm;
  std::string kind;
  uint64_t count = 0;
  uint64_t total_ns = 0;
  uint64_t max_ns = 0;
  uint64_t reclaimed_pages = 0;
  bool operator==(const ProcessReclaim&) const = default;
};

// memory.pressure (PSI) of the cgroup's v2 directory: averages at the end, stall time during the
// trace.
struct MemoryPressure {
  double some_avg10 = 0;  // percent
  double full_avg10 = 0;
  uint64_t some_ns = 0;
  uint64_t full_ns = 0;
  bool operator==(const MemoryPressure&) const = default;
};

// One memory cgroup: counters are deltas over the trace, sizes are readings.
struct MemcgState {
  std::string cgroup;              // the memory controller directory read
  std::string source;              // "cgroup-v2" or "cgroup-v1"
  int64_t limit_bytes = -1;        // memory.max / memory.limit_in_bytes; -1: no limit
  uint64_t usage_start_bytes = 0;  // memory.current / memory.usage_in_bytes
  uint64_t usage_end_bytes = 0;
  std::optional<uint64_t> peak_bytes;      // memory.peak (v2, 5.19+) / memory.max_usage_in_bytes
  uint64_t limit_hits = 0;                 // memory.events max / memory.failcnt
  uint64_t oom_kills = 0;                  // memory.events oom_kill / memory.oom_control oom_kill
  std::optional<uint64_t> high_events;     // v2 only: memory.events high (throttled at memory.high)
  std::optional<uint64_t> oom_events;      // v2 only: memory.events oom
  std::optional<bool> under_oom;           // v1 only: memory.oom_control under_oom at the end
  std::optional<MemoryPressure> pressure;  // absent without PSI
  bool operator==(const MemcgState&) const = default;
};

struct ProcessRss {
  uint32_t pid = 0;
  std::string comm;
  uint64_t start_bytes =
      0;                   // VmRSS when first seen (the trace's start for processes already there)
  uint64_t end_bytes = 0;  // VmRSS at the end, or when last seen if it exited
  bool running = true;     // still running at the last reading (a folded row: all of them)
  uint32_t folded = 0;     // > 0: the "other" row (pid 0), summing this many rows (row_fold.h)
  bool operator==(const ProcessRss&) const = default;
};

struct OomVictim {
  uint32_t pid = 0;
  std::string comm;
  bool operator==(const OomVictim&) const = default;
};

struct MemoryReport {
  static constexpr std::string_view kKey = "memory";
  static constexpr std::string_view kTitle = "Memory";
  uint64_t window_ns = 0;             // how long the fault and reclaim counters cover
  std::vector<ProcessFaults> faults;  // most major faults first, then most minor
  std::vector<ReclaimStall> reclaim;
  std::vector<ProcessReclaim> reclaim_processes;  // most time first
  std::vector<MemcgState> cgroups;
  std::vector<ProcessRss> rss;
  // The target's OOM-killed processes, as the process family counted them.
  uint64_t oom_kills = 0;
  std::vector<OomVictim> oom_killed;
  bool operator==(const MemoryReport&) const = default;
};

void to_json(nlohmann::json& j, const ProcessFaults& f);
void from_json(const nlohmann::json& j, ProcessFaults& f);
void to_json(nlohmann::json& j, const ReclaimStall& r);
void from_json(const nlohmann::json& j, ReclaimStall& r);
void to_json(nlohmann::json& j, const ProcessReclaim& r);
void from_json(const nlohmann::json& j, ProcessReclaim& r);
void to_json(nlohmann::json& j, const MemoryPressure& p);
void from_json(const nlohmann::json& j, MemoryPressure& p);
void to_json(nlohmann::json& j, const MemcgState& c);
void from_json(const nlohmann::json& j, MemcgState& c);
void to_json(nlohmann::json& j, const ProcessRss& r);
void from_json(const nlohmann::json& j, ProcessRss& r);
void to_json(nlohmann::json& j, const OomVictim& v);
void from_json(const nlohmann::json& j, OomVictim& v);
void to_json(nlohmann::json& j, const MemoryReport& m);
void from_json(const nlohmann::json& j, MemoryReport& m);
void render_section(TextWriter& out, const MemoryReport& m);
void write_section_metrics(MetricsWriter& out, const MemoryReport& m);
void diagnose_section(const MemoryReport& m, const DiagnoseThresholds& t,
                      std::vector<Finding>& out);

}  // namespace podtrace
