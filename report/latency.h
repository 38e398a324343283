// SPDX-License-Identifier: Apache-2.0
// latency.h: a latency distribution as the report carries it: percentiles and the non-empty
// histogram buckets. The tracer computes it from the kernel's slots (tracer/histogram.h).
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <vector>

namespace podtrace {

struct Bucket {
  uint64_t le_ns = 0;  // inclusive upper bound
  uint64_t count = 0;
  bool operator==(const Bucket&) const = default;
};

struct LatencySummary {
  uint64_t count = 0;
  uint64_t p50_ns = 0;
  uint64_t p90_ns = 0;
  uint64_t p99_ns = 0;
  uint64_t max_ns = 0;
  uint64_t mean_ns = 0;
  std::vector<Bucket> buckets;  // non-empty only, ascending
  bool operator==(const LatencySummary&) const = default;
};

void to_json(nlohmann::json& j, const LatencySummary& s);
// Lenient: wrong types read as absent, malformed buckets are skipped, buckets come out sorted.
void from_json(const nlohmann::json& j, LatencySummary& s);

}  // namespace podtrace
