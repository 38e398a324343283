// SPDX-License-Identifier: Apache-2.0
// metrics_writer.cpp: Prometheus text exposition.
#include "metrics_writer.h"

#include <fmt/format.h>

namespace podtrace {

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void MetricsWriter::family(std::string_view name, std::string_view type, std::string_view help) {
  if (!announced_.emplace(name).second) return;
  out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void MetricsWriter::line(std::string_view name, const Labels& labels, std::string_view value) {
  out_ += name;
  if (!labels.empty() || !constant_.empty()) {
    out_ += '{';
    bool first = true;
    for (const Labels* set : {static_cast<const Labels*>(&constant_), &labels})
      for (const auto& [key, v] : *set) {
        out_ += fmt::format("{}{}=\"{}\"", first ? "" : ",", key, escape_label_value(v));
        first = false;
      }
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void MetricsWriter::sample(std::string_view name, const Labels& labels, uint64_t value) {
  line(name, labels, std::to_string(value));
}

void MetricsWriter::sample(std::string_view name, const Labels& labels, double value) {
  line(name, labels, fmt::format("{:.9f}", value));
}

void MetricsWriter::histogram(std::string_view name, const Labels& labels,
                              const LatencySummary& s) {
  histogram(name, labels, s, s.mean_ns * s.count);
}

void MetricsWriter::histogram(std::string_view name, const Labels& labels, const LatencySummary& s,
                              uint64_t total_ns) {
  const std::string bucket = std::string(name) + "_bucket";
  uint64_t cumulative = 0;
  for (const auto& b : s.buckets) {
    cumulative += b.count;
    if (b.le_ns == UINT64_MAX) continue;
    Labels with_le = labels;
    // Bucket bounds are inclusive in ns; `le` is inclusive too, so the bound is (le_ns + 1) ns.
    with_le.emplace_back("le", fmt::format("{:.9g}", static_cast<double>(b.le_ns + 1) / 1e9));
    line(bucket, with_le, std::to_string(cumulative));
  }
  Labels inf = labels;
  inf.emplace_back("le", "+Inf");
  line(bucket, inf, std::to_string(s.count));
  line(std::string(name) + "_sum", labels,
       fmt::format("{:.9f}", static_cast<double>(total_ns) / 1e9));
  line(std::string(name) + "_count", labels, std::to_string(s.count));
}

}  // namespace podtrace
