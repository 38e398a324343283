// SPDX-License-Identifier: Apache-2.0
// section_util.cpp: shared table shapes and cell formats.
#include "section_util.h"

#include <fmt/format.h>

#include <algorithm>

#include "bars.h"
#include "units.h"

namespace podtrace {

Table latency_table(std::string name_header, std::string count_header,
                    std::vector<std::string> extra_headers) {
  std::vector<Table::Column> columns = {{std::move(name_header), Table::Align::kLeft},
                                        {std::move(count_header)}};
  for (auto& h : extra_headers) columns.push_back({std::move(h)});
  for (const char* p : {"p50", "p90", "p99", "max"}) columns.push_back({p});
  columns.push_back({"distribution", Table::Align::kLeft});
  return Table(std::move(columns));
}

std::vector<Cell> latency_row(std::string name, uint64_t count, const LatencySummary& latency,
                              std::vector<Cell> extra) {
  std::vector<Cell> row = {{std::move(name)}, {std::to_string(count)}};
  for (auto& c : extra) row.push_back(std::move(c));
  // Without buckets (getaddrinfo keeps totals only) percentiles are unknown, not zero.
  const bool percentiles = latency.count && !latency.buckets.empty();
  for (uint64_t v : {latency.p50_ns, latency.p90_ns, latency.p99_ns})
    row.push_back({percentiles ? format_ns(v) : "-"});
  row.push_back({latency.count ? format_ns(latency.max_ns) : "-"});
  row.push_back({sparkline(latency.buckets), Tone::kCyan});
  return row;
}

Cell error_cell(uint64_t errors, const std::string& note) {
  std::string text = std::to_string(errors);
  if (errors && !note.empty()) text += " (" + note + ")";
  return {std::move(text), errors ? Tone::kRed : Tone::kPlain};
}

std::string top_counts(const std::map<std::string, uint64_t>& counts, size_t n) {
  std::vector<std::pair<std::string, uint64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::string out;
  for (size_t i = 0; i < std::min(n, sorted.size()); ++i)
    out += fmt::format("{}{} x{}", i ? ", " : "", sorted[i].first, sorted[i].second);
  if (sorted.size() > n) out += fmt::format(" (+{} more)", sorted.size() - n);
  return out;
}

std::string endpoint_text(std::string_view address, uint16_t port) {
  const bool v6 = address.find(':') != std::string_view::npos;
  return fmt::format("{}{}{}:{}", v6 ? "[" : "", address, v6 ? "]" : "", port);
}

}  // namespace podtrace
