// SPDX-License-Identifier: Apache-2.0
// burst_detector.h: finds the points of a per-second series that stand out from the run's
// typical level, and merges adjacent ones into bursts. Pure: a series in, spans out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace podtrace {

// A point is hot when its value is at least `factor` times the series' median AND at least
// `min_value` (so a quiet series that goes from 1 to 5 is no burst), and above the median.
// Series of fewer than `min_points` points have no typical level and no bursts.
struct BurstRule {
  double factor = 4.0;
  uint64_t min_value = 0;
  size_t min_points = 3;
};

// The thresholds the timeline uses, per kind of series (docs/jsonl-schema.md, `timeline`).
// Per point of one second; a point of N seconds scales `min_value` of rates and times by N.
inline constexpr uint64_t kBurstMinOps = 20;              // operations per second
inline constexpr uint64_t kBurstMinTimeNs = 100'000'000;  // 0.1 s per second (CPU, throttled)
inline constexpr uint64_t kBurstMinP99Ns = 1'000'000;     // a p99 of 1 ms
inline constexpr double kBurstFactor = 4.0;

struct BurstSpan {
  size_t first = 0;  // index of the first hot point
  size_t last = 0;   // index of the last hot point (inclusive)
  uint64_t peak = 0;
  uint64_t sum = 0;  // of the span's values
  bool operator==(const BurstSpan&) const = default;
};

// The lower median: the value at (n-1)/2 of the sorted values; 0 for none.
uint64_t median_of(std::span<const uint64_t> values);

// Hot points merged into spans, in time order, against `median` (the caller chooses which
// points it is taken over: all of them for rates, those with operations for latencies).
// `present`, when not empty, marks the points that count: a latency point without operations
// is never hot.
std::vector<BurstSpan> detect_bursts(std::span<const uint64_t> values, uint64_t median,
                                     const BurstRule& rule, std::span<const bool> present = {});

}  // namespace podtrace
