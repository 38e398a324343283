// SPDX-License-Identifier: Apache-2.0
// event_line_budget.cpp: one token bucket per family, refilled on the poll tick.
#include "event_line_budget.h"

#include <algorithm>

namespace podtrace::tracer {

void EventLineBudget::refill(uint64_t now_ns) {
  if (!per_second_) return;
  const double seconds = last_refill_ns_ ? static_cast<double>(now_ns - last_refill_ns_) / 1e9 : 0;
  last_refill_ns_ = now_ns;
  const auto cap = static_cast<double>(per_second_);
  for (auto& [family, bucket] : buckets_)
    bucket.tokens = std::min(cap, bucket.tokens + seconds * cap);
}

EventLineBudget::Bucket& EventLineBudget::bucket(std::string_view family) {
  auto it = buckets_.find(family);
  // A family's first line finds a full second's worth.
  if (it == buckets_.end())
    it = buckets_.emplace(std::string(family), Bucket{static_cast<double>(per_second_), 0}).first;
  return it->second;
}

EventLineBudget::Bucket* EventLineBudget::admitting(std::string_view family) {
  Bucket& b = bucket(family);
  if (b.tokens >= 1) return &b;
  ++b.not_streamed;
  return nullptr;
}

bool EventLineBudget::admits(std::string_view family) { return !per_second_ || admitting(family); }

bool EventLineBudget::take(std::string_view family) {
  if (!per_second_) return true;
  Bucket* b = admitting(family);
  if (b) b->tokens -= 1;
  return b != nullptr;
}

std::map<std::string, uint64_t> EventLineBudget::not_streamed() const {
  std::map<std::string, uint64_t> out;
  for (const auto& [family, bucket] : buckets_)
    if (bucket.not_streamed) out.emplace(family, bucket.not_streamed);
  return out;
}

}  // namespace podtrace::tracer
