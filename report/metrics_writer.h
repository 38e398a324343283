// SPDX-License-Identifier: Apache-2.0
// metrics_writer.h: Prometheus text exposition (format 0.0.4). Each metric family is announced
// once with HELP and TYPE, label values are escaped, histograms get cumulative `le` buckets in
// seconds. Sections write their metrics through it and never format exposition lines themselves.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "latency.h"

namespace podtrace {

using Labels = std::vector<std::pair<std::string_view, std::string>>;

// The default of the tracer's --metrics-top.
inline constexpr size_t kDefaultMetricsTop = 20;

class MetricsWriter {
 public:
  // `constant` labels come first on every sample (the traced pod's identity). `top`: how many
  // endpoints, names, paths, statements, locks… keep their own label values (metrics_top.h).
  explicit MetricsWriter(Labels constant = {}, size_t top = kDefaultMetricsTop)
      : constant_(std::move(constant)), top_(top) {}
  size_t top() const { return top_; }
  // Announces a family; its samples must follow before the next family starts.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, uint64_t value);
  void sample(std::string_view name, const Labels& labels, double value);
  // `name`_bucket/_sum/_count from a latency summary; the sum is mean × count.
  void histogram(std::string_view name, const Labels& labels, const LatencySummary& s);
  // As above with an exact sum when the section knows it.
  void histogram(std::string_view name, const Labels& labels, const LatencySummary& s,
                 uint64_t total_ns);
  const std::string& str() const { return out_; }

 private:
  void line(std::string_view name, const Labels& labels, std::string_view value);
  Labels constant_;
  size_t top_;
  std::string out_;
  std::set<std::string, std::less<>> announced_;
};

// Escapes a label value: backslash, double quote and newline.
std::string escape_label_value(std::string_view value);

}  // namespace podtrace
