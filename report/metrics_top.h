// SPDX-License-Identifier: Apache-2.0
// metrics_top.h: bounded label cardinality for /metrics. Families labelled by something a pod
// can have without limit (endpoints, DNS names, paths, statements, locks, functions, processes)
// keep the label values of their `top` heaviest entities; the rest are summed into one series
// whose values are "other". A pod that opens a million files still exposes top + 1 series.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "latency.h"
#include "metrics_writer.h"

namespace podtrace {

inline constexpr std::string_view kOtherLabelValue = "other";

// keep[i]: whether entity i (of weight weights[i]) is among the `top` heaviest; ties keep the
// earlier entity, so the choice is stable for a stable input.
std::vector<bool> top_entities(const std::vector<uint64_t>& weights, size_t top);

// Samples of one family, summed per label set in first-seen order: the entities folded into
// "other" add up to one series.
class SummedSeries {
 public:
  void add(const Labels& labels, uint64_t value);
  void add(const Labels& labels, double value);
  // Buckets, counts and the exact sum (total_ns) add up; percentiles are not exposed.
  void add_histogram(const Labels& labels, const LatencySummary& s, uint64_t total_ns);
  void write(MetricsWriter& out, std::string_view name) const;

 private:
  struct Row {
    Labels labels;
    bool is_double = false;
    uint64_t u = 0;
    double d = 0;
    bool histogram = false;
    LatencySummary latency;
    uint64_t total_ns = 0;
  };
  Row& row(const Labels& labels);
  std::vector<Row> rows_;
};

// `labels` with every value but those of `kept_keys` replaced by "other".
Labels fold_labels(const Labels& labels, std::initializer_list<std::string_view> kept_keys);

}  // namespace podtrace
