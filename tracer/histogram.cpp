// SPDX-License-Identifier: Apache-2.0
// histogram.cpp: slot bounds, percentiles and summaries of the kernel's log-linear histograms.
#include "histogram.h"

#include <algorithm>
#include <bit>
#include <numeric>

namespace podtrace::tracer {

uint32_t hist_slot(uint64_t value) {
  if (value < 4) return static_cast<uint32_t>(value);
  const uint32_t lg = 63 - std::countl_zero(value);
  const uint32_t sub = (value >> (lg - PT_HIST_SUB_BITS)) & 3;
  const uint32_t slot = (lg - 1) * 4 + sub;
  return std::min(slot, kHistSlots - 1);
}

uint64_t slot_lower(uint32_t slot) {
  if (slot < 4) return slot;
  const uint32_t lg = slot / 4 + 1;
  const uint64_t sub = slot % 4;
  return (4 + sub) << (lg - PT_HIST_SUB_BITS);
}

uint64_t slot_upper(uint32_t slot) {
  if (slot >= kHistSlots - 1) return UINT64_MAX;
  return slot_lower(slot + 1);
}

uint64_t percentile(std::span<const uint64_t> slots, double q, uint64_t max_ns) {
  const uint64_t total = std::accumulate(slots.begin(), slots.end(), uint64_t{0});
  if (total == 0) return 0;
  // Rank of the q-th value, 1-based, as in "nearest rank".
  uint64_t rank = static_cast<uint64_t>(q * static_cast<double>(total) + 0.999999);
  rank = std::clamp<uint64_t>(rank, 1, total);
  uint64_t seen = 0;
  for (uint32_t s = 0; s < slots.size(); ++s) {
    if (slots[s] == 0) continue;
    if (seen + slots[s] >= rank) {
      const double lo = static_cast<double>(slot_lower(s));
      const double hi = static_cast<double>(std::min(slot_upper(s), max_ns + 1));
      const double frac = static_cast<double>(rank - seen) / static_cast<double>(slots[s]);
      const uint64_t v = static_cast<uint64_t>(lo + (std::max(hi, lo + 1) - lo) * frac);
      return std::min(std::max(v, slot_lower(s)), max_ns);
    }
    seen += slots[s];
  }
  return max_ns;
}

LatencySummary summarize(std::span<const uint64_t> slots, uint64_t total_ns, uint64_t max_ns) {
  LatencySummary out;
  out.count = std::accumulate(slots.begin(), slots.end(), uint64_t{0});
  out.max_ns = max_ns;
  if (out.count == 0) return out;
  out.mean_ns = total_ns / out.count;
  out.p50_ns = percentile(slots, 0.50, max_ns);
  out.p90_ns = percentile(slots, 0.90, max_ns);
  out.p99_ns = percentile(slots, 0.99, max_ns);
  for (uint32_t s = 0; s < slots.size(); ++s) {
    if (slots[s])
      out.buckets.push_back(
          {slot_upper(s) == UINT64_MAX ? UINT64_MAX : slot_upper(s) - 1, slots[s]});
  }
  return out;
}

}  // namespace podtrace::tracer
