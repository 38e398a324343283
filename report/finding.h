// SPDX-License-Identifier: Apache-2.0
// finding.h: one diagnosis a user can act on, and the thresholds the rules use.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace podtrace {

struct Finding {
  std::string severity;  // "critical", "warning", "info"
  std::string family;
  std::string title;
  std::string detail;
  // The time-breakdown state the finding is about ("network", "throttled"…; diagnose() takes the
  // family's when a rule leaves it empty), and the pod's thread-time in that state: what fixing
  // it can give back. Findings are ranked by it within a severity.
  std::string state = {};
  uint64_t time_ns = 0;
  double time_share = 0;  // of the pod's thread-time
  bool operator==(const Finding&) const = default;
};

void to_json(nlohmann::json& j, const Finding& f);
void from_json(const nlohmann::json& j, Finding& f);

// 0 for critical, 1 for warning, 2 for anything else: findings are sorted by it.
int severity_rank(std::string_view severity);

struct DiagnoseThresholds {
  uint64_t slow_io_p99_ns = 10'000'000;  // 10 ms
  uint64_t runq_p99_ns = 5'000'000;      // 5 ms waiting for a CPU
  double throttled_ratio = 0.10;         // of CFS periods
  double major_faults_per_s = 100;       // a process's major page faults, each a disk read
  // docs/usage.md lists each with its name (report/thresholds.cpp).
  double runq_share = 0.05;                  // of the threads' time spent waiting for a CPU
  double lock_wait_share = 0.10;             // of a lock's waiters' time spent blocked on it
  uint64_t lock_min_wait_ns = 1'000'000;     // less wait on a lock is never a finding
  double kernel_lock_share = 0.10;           // of the trace, summed over the target's threads
  double hot_function_share = 0.5;           // of a process's CPU samples in one function
  double profile_min_samples = 50;           // fewer samples prove nothing about a process
  uint64_t slow_query_p99_ns = 100'000'000;  // 100 ms for a database statement
};

}  // namespace podtrace
