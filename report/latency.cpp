// SPDX-License-Identifier: Apache-2.0
// latency.cpp: JSON form of a latency distribution.
#include "latency.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "json_read.h"

namespace podtrace {

void to_json(nlohmann::json& j, const LatencySummary& s) {
  nlohmann::json buckets = nlohmann::json::array();
  for (const auto& b : s.buckets) buckets.push_back({{"le_ns", b.le_ns}, {"count", b.count}});
  j = {{"count", s.count},   {"p50_ns", s.p50_ns},   {"p90_ns", s.p90_ns},  {"p99_ns", s.p99_ns},
       {"max_ns", s.max_ns}, {"mean_ns", s.mean_ns}, {"histogram", buckets}};
}

void from_json(const nlohmann::json& j, LatencySummary& s) {
  read_field(j, "count", s.count);
  read_field(j, "p50_ns", s.p50_ns);
  read_field(j, "p90_ns", s.p90_ns);
  read_field(j, "p99_ns", s.p99_ns);
  read_field(j, "max_ns", s.max_ns);
  read_field(j, "mean_ns", s.mean_ns);
  s.buckets.clear();
  const auto* h = json_member(j, "histogram");
  if (!h || !h->is_array()) return;
  for (const auto& b : *h) {
    Bucket bucket;
    if (!read_field(b, "le_ns", bucket.le_ns) || !read_field(b, "count", bucket.count)) continue;
    s.buckets.push_back(bucket);
    // The kernel has PT_HIST_SLOTS buckets; a longer list is not from a tracer.
    if (s.buckets.size() >= 512) break;
  }
  std::sort(s.buckets.begin(), s.buckets.end(),
            [](const Bucket& a, const Bucket& b) { return a.le_ns < b.le_ns; });
}

}  // namespace podtrace
