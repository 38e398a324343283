// SPDX-License-Identifier: Apache-2.0
#include "metrics_top.h"

#include <algorithm>
#include <numeric>

namespace podtrace {

std::vector<bool> top_entities(const std::vector<uint64_t>& weights, size_t top) {
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return weights[a] > weights[b]; });
  std::vector<bool> keep(weights.size(), false);
  for (size_t i = 0; i < std::min(top, order.size()); ++i) keep[order[i]] = true;
  return keep;
}

SummedSeries::Row& SummedSeries::row(const Labels& labels) {
  for (auto& r : rows_)
    if (r.labels == labels) return r;
  Row r;
  r.labels = labels;
  rows_.push_back(std::move(r));
  return rows_.back();
}

void SummedSeries::add(const Labels& labels, uint64_t value) { row(labels).u += value; }

void SummedSeries::add(const Labels& labels, double value) {
  Row& r = row(labels);
  r.is_double = true;
  r.d += value;
}

void SummedSeries::add_histogram(const Labels& labels, const LatencySummary& s, uint64_t total_ns) {
  Row& r = row(labels);
  r.histogram = true;
  r.total_ns += total_ns;
  r.latency.count += s.count;
  r.latency.max_ns = std::max(r.latency.max_ns, s.max_ns);
  for (const auto& b : s.buckets) {
    auto it = std::lower_bound(r.latency.buckets.begin(), r.latency.buckets.end(), b.le_ns,
                               [](const Bucket& x, uint64_t le) { return x.le_ns < le; });
    if (it != r.latency.buckets.end() && it->le_ns == b.le_ns)
      it->count += b.count;
    else
      r.latency.buckets.insert(it, b);
  }
}

void SummedSeries::write(MetricsWriter& out, std::string_view name) const {
  for (const auto& r : rows_) {
    if (r.histogram)
      out.histogram(name, r.labels, r.latency, r.total_ns);
    else if (r.is_double)
      out.sample(name, r.labels, r.d);
    else
      out.sample(name, r.labels, r.u);
  }
}

Labels fold_labels(const Labels& labels, std::initializer_list<std::string_view> kept_keys) {
  Labels out = labels;
  for (auto& [key, value] : out)
    if (std::find(kept_keys.begin(), kept_keys.end(), key) == kept_keys.end())
      value = std::string(kOtherLabelValue);
  return out;
}

}  // namespace podtrace
