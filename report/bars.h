// SPDX-License-Identifier: Apache-2.0
// bars.h: latency histograms drawn with block characters: full bars (▏▎▍▌▋▊▉█) for --histograms,
// and a one-cell-per-bucket sparkline (▁▂▃▄▅▆▇█) for the compact report.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "latency.h"

namespace podtrace {

// A bar `width` cells wide at most, proportional to count/max, with 1/8-cell resolution.
// A non-zero count always gets at least "▏".
std::string histogram_bar(uint64_t count, uint64_t max, int width);

// One line per bucket: "≤   2.10ms │████▍ 150".
std::vector<std::string> render_histogram(const std::vector<Bucket>& buckets, int width = 40);

// The shape of a distribution in at most `cells` characters: each cell covers a run of
// non-empty buckets, smallest latencies first; the tallest cell is the mode.
std::string sparkline(const std::vector<Bucket>& buckets, size_t cells = 12);

}  // namespace podtrace
