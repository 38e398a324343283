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
};

}  // namespace podtrace
