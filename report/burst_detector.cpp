// SPDX-License-Identifier: Apache-2.0
// burst_detector.cpp: median and hot-point spans of a per-second series.
#include "burst_detector.h"

#include <algorithm>

namespace podtrace {

uint64_t median_of(std::span<const uint64_t> values) {
  if (values.empty()) return 0;
  std::vector<uint64_t> sorted(values.begin(), values.end());
  const auto mid = sorted.begin() + static_cast<std::ptrdiff_t>((sorted.size() - 1) / 2);
  std::nth_element(sorted.begin(), mid, sorted.end());
  return *mid;
}

std::vector<BurstSpan> detect_bursts(std::span<const uint64_t> values, uint64_t median,
                                     const BurstRule& rule, std::span<const bool> present) {
  std::vector<BurstSpan> spans;
  if (values.size() < rule.min_points) return spans;
  const double threshold =
      std::max(rule.factor * static_cast<double>(median), static_cast<double>(rule.min_value));
  auto hot = [&](size_t i) {
    if (!present.empty() && (i >= present.size() || !present[i])) return false;
    return values[i] > median && static_cast<double>(values[i]) >= threshold;
  };
  for (size_t i = 0; i < values.size(); ++i) {
    if (!hot(i)) continue;
    if (!spans.empty() && spans.back().last + 1 == i) {
      spans.back().last = i;
    } else {
      spans.push_back({i, i, 0, 0});
    }
    spans.back().peak = std::max(spans.back().peak, values[i]);
    spans.back().sum += values[i];
  }
  return spans;
}

}  // namespace podtrace
