// SPDX-License-Identifier: Apache-2.0
// Histogram bars: eight sub-steps per cell make small differences visible in narrow space.
#include "render/histogram.h"

#include <fmt/format.h>

#include <algorithm>

#include "render/json_access.h"
#include "render/units.h"

namespace podtrace {

std::vector<HistogramBucket> read_histogram(const nlohmann::json &latency)
{
	std::vector<HistogramBucket> out;
	const nlohmann::json *h = member(latency, "histogram");
	if (!h || !h->is_array())
		return out;
	for (const auto &b : *h) {
		auto le = get_u64(b, "le_ns");
		auto count = get_u64(b, "count");
		if (le && count)
			out.push_back({*le, *count});
		if (out.size() >= 256)
			break;
	}
	std::sort(out.begin(), out.end(), [](const auto &a, const auto &b) { return a.le_ns < b.le_ns; });
	return out;
}

std::string histogram_bar(uint64_t count, uint64_t max, int width)
{
	static const char *partial[] = {"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"};
	if (count == 0 || max == 0 || width <= 0)
		return {};
	uint64_t eighths = static_cast<uint64_t>(static_cast<long double>(count) * width * 8 / max);
	eighths = std::max<uint64_t>(eighths, 1);
	std::string bar;
	for (uint64_t i = 0; i < eighths / 8; i++)
		bar += "█";
	bar += partial[eighths % 8];
	return bar;
}

std::vector<std::string> render_histogram(const std::vector<HistogramBucket> &buckets, int width)
{
	std::vector<std::string> lines;
	uint64_t max = 0;
	for (const auto &b : buckets)
		max = std::max(max, b.count);
	for (const auto &b : buckets)
		lines.push_back(fmt::format("≤ {:>8} │{} {}", format_ns(b.le_ns), histogram_bar(b.count, max, width), b.count));
	return lines;
}

} // namespace podtrace
