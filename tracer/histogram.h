// SPDX-License-Identifier: Apache-2.0
// histogram.h: the log-linear latency buckets the BPF side fills, and the one function that turns
// them into a LatencySummary (percentiles and non-empty buckets), which every renderer reads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "latency.h"
#include "podtrace_common.h"

namespace podtrace::tracer {

inline constexpr uint32_t kHistSlots = PT_HIST_SLOTS;

// Same mapping as hist_slot() in bpf/common.bpf.h.
uint32_t hist_slot(uint64_t value);
// Half-open range [lower, upper) of values that land in `slot`.
uint64_t slot_lower(uint32_t slot);
uint64_t slot_upper(uint32_t slot);

// Percentile q in (0,1], interpolated inside its bucket and clamped to the exact max.
uint64_t percentile(std::span<const uint64_t> slots, double q, uint64_t max_ns);

LatencySummary summarize(std::span<const uint64_t> slots, uint64_t total_ns, uint64_t max_ns);

}  // namespace podtrace::tracer
