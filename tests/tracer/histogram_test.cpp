// SPDX-License-Identifier: Apache-2.0
// histogram_test.cpp: bucket bounds, percentiles and summaries of the log-linear histogram.
#include "histogram.h"

#include <gtest/gtest.h>

namespace podtrace::tracer {
namespace {

TEST(HistogramTest, SlotsAreContiguousAndMonotonic) {
  for (uint32_t s = 0; s + 1 < kHistSlots; ++s) {
    EXPECT_EQ(slot_upper(s), slot_lower(s + 1));
    EXPECT_LT(slot_lower(s), slot_upper(s));
    EXPECT_EQ(hist_slot(slot_lower(s)), s);
    EXPECT_EQ(hist_slot(slot_upper(s) - 1), s);
  }
}

TEST(HistogramTest, KnownValuesLandInTheirSlots) {
  EXPECT_EQ(hist_slot(0), 0u);
  EXPECT_EQ(hist_slot(3), 3u);
  EXPECT_EQ(hist_slot(4), 4u);
  EXPECT_EQ(hist_slot(7), 7u);
  EXPECT_EQ(hist_slot(8), 8u);
  EXPECT_EQ(hist_slot(1000), 35u);  // 2^9 <= 1000: (9-1)*4 + ((1000>>7) & 3 = 3)
  EXPECT_EQ(hist_slot(UINT64_MAX), kHistSlots - 1);
}

TEST(HistogramTest, BucketsAreWithinQuarterOfAPowerOfTwo) {
  for (uint32_t s = 8; s + 1 < kHistSlots; ++s) {
    const double width = static_cast<double>(slot_upper(s) - slot_lower(s));
    EXPECT_LE(width / static_cast<double>(slot_lower(s)), 0.25 + 1e-9);
  }
}

std::vector<uint64_t> fill(const std::vector<uint64_t>& values) {
  std::vector<uint64_t> slots(kHistSlots);
  for (uint64_t v : values) slots[hist_slot(v)]++;
  return slots;
}

TEST(HistogramTest, PercentilesOfAUniformRun) {
  std::vector<uint64_t> values;
  for (uint64_t v = 1; v <= 1000; ++v) values.push_back(v * 1000);  // 1 us .. 1 ms
  const auto s = summarize(fill(values), 500500 * 1000, 1000000);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_EQ(s.max_ns, 1000000u);
  EXPECT_EQ(s.mean_ns, 500500u);
  // Within one bucket (<= 25%) of the true value.
  EXPECT_NEAR(static_cast<double>(s.p50_ns), 500000, 500000 * 0.25);
  EXPECT_NEAR(static_cast<double>(s.p90_ns), 900000, 900000 * 0.25);
  EXPECT_NEAR(static_cast<double>(s.p99_ns), 990000, 990000 * 0.25);
  EXPECT_LE(s.p99_ns, s.max_ns);
  uint64_t total = 0;
  for (const auto& b : s.buckets) total += b.count;
  EXPECT_EQ(total, 1000u);
}

TEST(HistogramTest, ASingleOutlierIsTheMaxAndP99OfFew) {
  std::vector<uint64_t> values(99, 2000);
  values.push_back(50'000'000);
  const auto s = summarize(fill(values), 99 * 2000 + 50'000'000, 50'000'000);
  // 2000 lies in [1792, 2048): the percentile stays inside that bucket.
  EXPECT_GE(s.p50_ns, 1792u);
  EXPECT_LT(s.p50_ns, 2048u);
  EXPECT_LT(s.p90_ns, 2048u);
  EXPECT_EQ(percentile(fill(values), 1.0, 50'000'000), 50'000'000u);
  ASSERT_EQ(s.buckets.size(), 2u);
  EXPECT_EQ(s.buckets[0].count, 99u);
  EXPECT_EQ(s.buckets[1].count, 1u);
}

TEST(HistogramTest, EmptyHistogramIsAllZero) {
  const auto s = summarize(std::vector<uint64_t>(kHistSlots), 0, 0);
  EXPECT_EQ(s.count, 0u);
  EXPECT_EQ(s.p99_ns, 0u);
  EXPECT_TRUE(s.buckets.empty());
}

}  // namespace
}  // namespace podtrace::tracer
