// SPDX-License-Identifier: Apache-2.0
// connection_pattern.h: how a pod connects to one remote endpoint over a trace, from its
// per-point connection attempts: steady, bursty, sporadic, or a reconnect storm. Pure.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace podtrace {

// The rules, in the order they are tried (per point of one second; docs/jsonl-schema.md):
//   reconnect storm: in some point, at least kStormMinFailures attempts failed and they were at
//                    least half of that point's attempts;
//   bursty:          the busiest point has at least kBurstyMinAttempts attempts and at least
//                    kBurstyFactor times the median point (3 points or more);
//   steady:          attempts in at least kSteadyMinActive of the points;
//   sporadic:        the rest: a few attempts, here and there.
inline constexpr uint64_t kStormMinFailures = 10;
inline constexpr uint64_t kBurstyMinAttempts = 5;
inline constexpr double kBurstyFactor = 4.0;
inline constexpr double kSteadyMinActive = 0.6;

struct ConnectionClass {
  std::string pattern;  // "steady", "bursty", "sporadic", "reconnect storm"; "" without attempts
  std::string reason;   // the numbers that decided it, one line
  uint64_t peak = 0;    // most attempts in one point
  size_t peak_point = 0;
  size_t active_points = 0;  // points with an attempt
};

// `connects` (reached ESTABLISHED) and `failures` (refused, timed out, unreachable, other) per
// point, of equal length; `point_s` is the width of a point in seconds, for the reason text.
ConnectionClass classify_connections(std::span<const uint64_t> connects,
                                     std::span<const uint64_t> failures, uint64_t point_s = 1);

}  // namespace podtrace
