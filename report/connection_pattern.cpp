// SPDX-License-Identifier: Apache-2.0
// connection_pattern.cpp: the four connection patterns, tried in order.
#include "connection_pattern.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "burst_detector.h"

namespace podtrace {

ConnectionClass classify_connections(std::span<const uint64_t> connects,
                                     std::span<const uint64_t> failures, uint64_t point_s) {
  ConnectionClass c;
  const size_t n = std::min(connects.size(), failures.size());
  std::vector<uint64_t> attempts(n);
  uint64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    attempts[i] = connects[i] + failures[i];
    total += attempts[i];
    if (attempts[i]) ++c.active_points;
    if (attempts[i] > c.peak) {
      c.peak = attempts[i];
      c.peak_point = i;
    }
  }
  if (total == 0) return c;
  const auto at = [&](size_t i) { return fmt::format("{} s", i * point_s); };
  const std::string per = point_s == 1 ? "s" : fmt::format("{} s", point_s);

  // The worst point for failures decides a storm: many failed attempts, most of that point's.
  size_t storm = n;
  for (size_t i = 0; i < n; ++i)
    if (failures[i] >= kStormMinFailures * point_s && failures[i] * 2 >= attempts[i] &&
        (storm == n || failures[i] > failures[storm]))
      storm = i;
  if (storm != n) {
    c.pattern = "reconnect storm";
    c.reason = fmt::format("{} of {} attempts failed in one point, at {}", failures[storm],
                           attempts[storm], at(storm));
    return c;
  }
  const uint64_t median = median_of(attempts);
  if (n >= 3 && c.peak >= kBurstyMinAttempts * point_s &&
      static_cast<double>(c.peak) >= kBurstyFactor * static_cast<double>(median)) {
    c.pattern = "bursty";
    c.reason =
        fmt::format("peak {} per {} at {} vs median {}", c.peak, per, at(c.peak_point), median);
    return c;
  }
  if (static_cast<double>(c.active_points) >= kSteadyMinActive * static_cast<double>(n)) {
    c.pattern = "steady";
    c.reason = fmt::format("attempts in {} of {} points, median {} per {}", c.active_points, n,
                           median, per);
    return c;
  }
  c.pattern = "sporadic";
  c.reason = fmt::format("{} attempts in {} of {} points", total, c.active_points, n);
  return c;
}

}  // namespace podtrace
