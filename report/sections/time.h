// SPDX-License-Identifier: Apache-2.0
// sections/time.h: where the pod's time went. Every nanosecond of each traced thread's wall time
// is in one state (measured in the kernel at each context switch); a process row sums its
// threads, so its states add up to its thread-time.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "section.h"

namespace podtrace {

// In the order of bpf/activity.h's pt_thread_state (a unit test pins both).
enum class TimeState : size_t {
  kOnCpu,
  kRunqueue,
  kThrottled,
  kFileIo,
  kNetwork,
  kDns,
  kLock,
  kDb,
  kSleep,
};
inline constexpr size_t kTimeStates = 9;

// The JSON key of each state ("on_cpu"), and what the report calls it ("on CPU").
std::string_view time_state_key(size_t state);
std::string_view time_state_label(size_t state);

struct TimeShare {
  uint32_t pid = 0;
  uint32_t tid = 0;  // 0 on a process row
  std::string comm;
  uint32_t threads = 1;  // threads summed into the row
  uint64_t wall_ns = 0;  // their wall time during the trace, summed: the states add up to it
  std::array<uint64_t, kTimeStates> ns{};
  uint32_t folded = 0;  // > 0: the "other" row (pid 0), summing this many rows (row_fold.h)
  uint64_t at(TimeState s) const { return ns[static_cast<size_t>(s)]; }
  bool operator==(const TimeShare&) const = default;
};

struct TimeReport {
  static constexpr std::string_view kKey = "time";
  static constexpr std::string_view kTitle = "Where the time went";
  std::vector<TimeShare> processes;  // most thread-time first
  std::vector<TimeShare> threads;    // only with --time-per-thread
  // The pod's total per state over every process.
  TimeShare total() const;
  bool operator==(const TimeReport&) const = default;
};

void to_json(nlohmann::json& j, const TimeShare& t);
void from_json(const nlohmann::json& j, TimeShare& t);
void to_json(nlohmann::json& j, const TimeReport& r);
void from_json(const nlohmann::json& j, TimeReport& r);
void render_section(TextWriter& out, const TimeReport& r);
void write_section_metrics(MetricsWriter& out, const TimeReport& r);
void diagnose_section(const TimeReport& r, const DiagnoseThresholds& t, std::vector<Finding>& out);
bool section_quiet(const TimeReport& r);

// The breakdown as a bar `width` cells wide, one letter per state (C on CPU, R run queue…) with
// each state's share of the cells; and the legend of those letters.
std::string time_bar(const TimeShare& t, size_t width);
std::string time_bar_legend();

}  // namespace podtrace
