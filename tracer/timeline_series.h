// SPDX-License-Identifier: Apache-2.0
// timeline_series.h: which of a report's cumulative numbers the timeline follows second by
// second: each family's operation counts (with their latency histograms, for a p99 per point),
// errors, CPU and throttled time, and the TCP attempts per remote endpoint. Pure: a report in,
// cumulative counters out; the recorder differences them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "report.h"

namespace podtrace::tracer {

struct CumulativeCounter {
  std::string family;
  std::string name;
  std::string unit;  // "ops" or "ns"
  uint64_t value = 0;
  bool has_latency = false;
  std::vector<uint64_t> slots;  // the latency histogram, kHistSlots long (has_latency)
  uint64_t max_ns = 0;
};

struct CumulativeEndpoint {
  std::string direction;
  std::string address;
  uint16_t port = 0;
  uint64_t connects = 0;
  uint64_t failures = 0;
};

// In family (section) order; counters of a family that is absent are absent.
std::vector<CumulativeCounter> timeline_counters(const Report& r);
std::vector<CumulativeEndpoint> timeline_endpoints(const Report& r);

// The kernel's slots back from a summary's non-empty buckets (each bucket's le_ns is its slot's
// upper bound - 1).
std::vector<uint64_t> slots_of(const LatencySummary& s);

}  // namespace podtrace::tracer
