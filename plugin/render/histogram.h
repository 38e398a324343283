// SPDX-License-Identifier: Apache-2.0
// Latency histograms drawn with eighth-block characters (▏▎▍▌▋▊▉█).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace podtrace {

struct HistogramBucket {
	uint64_t le_ns = 0;
	uint64_t count = 0;
};

// Reads latency.histogram; malformed buckets are skipped; sorted by le_ns.
std::vector<HistogramBucket> read_histogram(const nlohmann::json &latency);

// A bar `width` cells wide at most, proportional to count/max, with 1/8-cell resolution.
// A non-zero count always gets at least "▏".
std::string histogram_bar(uint64_t count, uint64_t max, int width);

// One line per bucket: "  ≤ 2.10ms │████▍ 150".
std::vector<std::string> render_histogram(const std::vector<HistogramBucket> &buckets, int width = 40);

} // namespace podtrace
