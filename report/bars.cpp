// SPDX-License-Identifier: Apache-2.0
// bars.cpp: block-character histograms.
#include "bars.h"

#include <fmt/format.h>

#include <algorithm>

#include "units.h"

namespace podtrace {

std::string histogram_bar(uint64_t count, uint64_t max, int width) {
  static const char* partial[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
  if (count == 0 || max == 0 || width <= 0) return {};
  uint64_t eighths = static_cast<uint64_t>(static_cast<long double>(count) * width * 8 / max);
  eighths = std::max<uint64_t>(eighths, 1);
  std::string bar;
  for (uint64_t i = 0; i < eighths / 8; i++) bar += "█";
  bar += partial[eighths % 8];
  return bar;
}

std::vector<std::string> render_histogram(const std::vector<Bucket>& buckets, int width) {
  std::vector<std::string> lines;
  uint64_t max = 0;
  for (const auto& b : buckets) max = std::max(max, b.count);
  for (const auto& b : buckets)
    lines.push_back(fmt::format("≤ {:>8} │{} {}", format_ns(b.le_ns),
                                histogram_bar(b.count, max, width), b.count));
  return lines;
}

std::string sparkline(const std::vector<Bucket>& buckets, size_t cells) {
  static const char* levels[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  std::vector<Bucket> filled;
  for (const auto& b : buckets)
    if (b.count) filled.push_back(b);
  if (filled.empty() || cells == 0) return {};
  // Buckets are log-linear: adjacent ones are close in value, so merging runs keeps the shape.
  const size_t per_cell = (filled.size() + cells - 1) / cells;
  std::vector<uint64_t> sums;
  for (size_t i = 0; i < filled.size(); i += per_cell) {
    uint64_t sum = 0;
    for (size_t k = i; k < std::min(filled.size(), i + per_cell); ++k) sum += filled[k].count;
    sums.push_back(sum);
  }
  const uint64_t max = *std::max_element(sums.begin(), sums.end());
  std::string out;
  for (uint64_t s : sums) out += levels[std::min<uint64_t>(7, s * 8 / (max + 1))];
  return out;
}

}  // namespace podtrace
