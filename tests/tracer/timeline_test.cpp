// SPDX-License-Identifier: Apache-2.0
// timeline_test.cpp: the burst detector and the connection-pattern classifier on synthetic
// series, and the recorder on synthetic cumulative reports and process events: exact values in,
// exact points, bursts, patterns and process histories out.
#include "sections/timeline.h"

#include <gtest/gtest.h>

#include "burst_detector.h"
#include "connection_pattern.h"
#include "histogram.h"
#include "render_text.h"
#include "sections/fileio.h"
#include "sections/tcp.h"
#include "timeline_recorder.h"
#include "timeline_svg.h"

namespace podtrace::tracer {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

TEST(BurstDetector, MedianIsTheLowerMiddleValue) {
  EXPECT_EQ(median_of(std::vector<uint64_t>{}), 0u);
  EXPECT_EQ(median_of(std::vector<uint64_t>{7}), 7u);
  EXPECT_EQ(median_of(std::vector<uint64_t>{9, 1, 5, 3}), 3u);
  EXPECT_EQ(median_of(std::vector<uint64_t>{40, 840, 40, 840, 40}), 40u);
}

TEST(BurstDetector, AdjacentHotPointsMergeIntoOneBurst) {
  const std::vector<uint64_t> v = {40, 41, 39, 840, 900, 40, 40, 400, 40};
  const auto spans = detect_bursts(v, median_of(v), {4.0, 20});
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[0], (BurstSpan{3, 4, 900, 1740}));
  // 400 is ten times the median 40: a burst of its own, one point long.
  EXPECT_EQ(spans[1], (BurstSpan{7, 7, 400, 400}));
}

TEST(BurstDetector, NeedsTheFactorAndTheMinimumLevel) {
  // 5 against a median of 1 is five times, but below the minimum level of 20.
  const std::vector<uint64_t> quiet = {1, 1, 5, 1, 1};
  EXPECT_TRUE(detect_bursts(quiet, 1, {4.0, 20}).empty());
  // 150 against 40 is above the minimum but not four times the median.
  const std::vector<uint64_t> busy = {40, 40, 150, 40, 40};
  EXPECT_TRUE(detect_bursts(busy, 40, {4.0, 20}).empty());
  EXPECT_EQ(detect_bursts(busy, 40, {3.0, 20}).size(), 1u);
  // From quiet seconds (median 0), the minimum level decides alone.
  const std::vector<uint64_t> from_zero = {0, 0, 500, 0, 0};
  EXPECT_EQ(detect_bursts(from_zero, 0, {4.0, 20}), (std::vector<BurstSpan>{{2, 2, 500, 500}}));
}

TEST(BurstDetector, ShortSeriesAndAbsentPointsHaveNoBursts) {
  const std::vector<uint64_t> two = {0, 500};
  EXPECT_TRUE(detect_bursts(two, 0, {4.0, 20}).empty());
  // A latency point without operations is never hot, whatever its value says.
  const std::vector<uint64_t> p99 = {1'000'000, 1'000'000, 90'000'000, 1'000'000};
  const bool present[] = {true, true, false, true};
  EXPECT_TRUE(detect_bursts(p99, 1'000'000, {4.0, 1'000'000}, present).empty());
  const bool all[] = {true, true, true, true};
  EXPECT_EQ(detect_bursts(p99, 1'000'000, {4.0, 1'000'000}, all).size(), 1u);
}

TEST(BurstDetector, NamesBurstsWithFamilySeriesSecondsAndLevels) {
  TimelineReport t;
  t.interval_ns = kSecond;
  t.point_ends_ns.resize(16);
  TimelineSeries fsync;
  fsync.family = "fileio";
  fsync.name = "fsync";
  fsync.unit = "ops";
  fsync.values.assign(16, 40);
  fsync.values[12] = 840;
  fsync.values[13] = 800;
  fsync.median = 40;
  fsync.p99_values = std::vector<uint64_t>(16, 2'000'000);
  fsync.p99_values[5] = 48'000'000;
  fsync.median_p99_ns = 2'000'000;
  TimelineSeries cpu;
  cpu.family = "cpu";
  cpu.name = "on-CPU";
  cpu.unit = "ns";
  cpu.values.assign(16, 10'000'000);
  cpu.values[2] = 950'000'000;
  cpu.median = 10'000'000;
  t.series = {fsync, cpu};
  const auto bursts = find_bursts(t);
  ASSERT_EQ(bursts.size(), 3u);
  EXPECT_EQ(bursts[0].title, "cpu on-CPU burst at 2–3 s: 950ms/s vs 10.0ms median");
  EXPECT_EQ(bursts[0].metric, "time");
  EXPECT_EQ(bursts[0].total, 950'000'000u);
  EXPECT_EQ(bursts[1].title, "fileio fsync p99 burst at 5–6 s: 48.0ms vs 2.00ms median");
  EXPECT_EQ(bursts[1].total, 40u);  // the operations the p99 is of
  EXPECT_EQ(bursts[2].title, "fileio fsync burst at 12–14 s: 840 ops/s vs 40 median");
  EXPECT_EQ(bursts[2].start_s, 12u);
  EXPECT_EQ(bursts[2].end_s, 14u);
  EXPECT_EQ(bursts[2].peak, 840u);
  EXPECT_EQ(bursts[2].total, 1640u);
}

TEST(ConnectionPattern, SteadyBurstySporadicAndStorm) {
  const std::vector<uint64_t> none(10, 0);
  const std::vector<uint64_t> steady = {3, 2, 3, 3, 0, 2, 3, 3, 2, 3};
  auto c = classify_connections(steady, none);
  EXPECT_EQ(c.pattern, "steady");
  EXPECT_EQ(c.active_points, 9u);
  EXPECT_EQ(c.reason, "attempts in 9 of 10 points, median 3 per s");

  const std::vector<uint64_t> bursty = {0, 1, 0, 40, 35, 0, 1, 0, 0, 0};
  c = classify_connections(bursty, none);
  EXPECT_EQ(c.pattern, "bursty");
  EXPECT_EQ(c.peak, 40u);
  EXPECT_EQ(c.reason, "peak 40 per s at 3 s vs median 0");

  const std::vector<uint64_t> sporadic = {1, 0, 0, 0, 0, 0, 2, 0, 0, 0};
  c = classify_connections(sporadic, none);
  EXPECT_EQ(c.pattern, "sporadic");
  EXPECT_EQ(c.reason, "3 attempts in 2 of 10 points");

  // 30 refused attempts in one second, a few successful ones before: a reconnect storm, even
  // though the successes alone would read as steady.
  const std::vector<uint64_t> storm_failures = {0, 0, 0, 0, 30, 0, 0, 0, 0, 0};
  c = classify_connections(steady, storm_failures);
  EXPECT_EQ(c.pattern, "reconnect storm");
  EXPECT_EQ(c.reason, "30 of 30 attempts failed in one point, at 4 s");

  // Failures that are not most of their point's attempts are no storm.
  const std::vector<uint64_t> busy = {0, 0, 0, 0, 40, 0, 0, 0, 0, 0};
  const std::vector<uint64_t> some_fail = {0, 0, 0, 0, 12, 0, 0, 0, 0, 0};
  EXPECT_EQ(classify_connections(busy, some_fail).pattern, "bursty");
  // Without attempts there is nothing to classify.
  EXPECT_EQ(classify_connections(none, none).pattern, "");
}

// A fileio section with `n` fsyncs of latency `ns` on top of `base`.
FileioReport with_fsyncs(FileioReport base, uint64_t n, uint64_t ns) {
  if (base.ops.empty()) base.ops.push_back({"fsync", 0, 0, 0, {}});
  auto& op = base.ops[0];
  std::vector<uint64_t> slots = slots_of(op.latency);
  slots[hist_slot(ns)] += n;
  op.count += n;
  op.latency = summarize(slots, 0, std::max(op.latency.max_ns, n ? ns : 0));
  return base;
}

TEST(TimelineRecorder, PointsAreTheDifferencesOfCumulativeReports) {
  TimelineRecorder rec;
  rec.start(100 * kSecond);
  Report r;
  FileioReport f = with_fsyncs({}, 40, 1'000'000);
  r.set(f);
  rec.sample(r, 101 * kSecond + 5'000'000);
  f = with_fsyncs(f, 500, 1'000'000);
  f = with_fsyncs(f, 10, 50'000'000);
  r.set(f);
  rec.sample(r, 102 * kSecond);
  r.set(with_fsyncs(f, 40, 1'000'000));
  rec.sample(r, 103 * kSecond);
  rec.sample(r, 103 * kSecond + 400'000'000);  // the last, partial point: nothing new
  const TimelineReport t = rec.build();
  EXPECT_EQ(t.monotonic_start_ns, 100 * kSecond);
  EXPECT_EQ(t.interval_ns, kSecond);
  EXPECT_EQ(t.point_ends_ns, (std::vector<uint64_t>{kSecond + 5'000'000, 2 * kSecond, 3 * kSecond,
                                                    3 * kSecond + 400'000'000}));
  ASSERT_EQ(t.series.size(), 1u);  // no errors: the errors series never moved and is left out
  const auto& s = t.series[0];
  EXPECT_EQ(s.family, "fileio");
  EXPECT_EQ(s.name, "fsync");
  EXPECT_EQ(s.values, (std::vector<uint64_t>{40, 510, 40, 0}));
  EXPECT_EQ(s.total, 590u);
  EXPECT_EQ(s.peak, 510u);
  EXPECT_EQ(s.median, 40u);
  ASSERT_EQ(s.p99_values.size(), 4u);
  // 10 of 510 at 50 ms: the second point's p99 is in the slow ones' bucket, interpolated below
  // the new max, which is exact.
  EXPECT_GE(s.p99_values[1], slot_lower(hist_slot(50'000'000)));
  EXPECT_LE(s.p99_values[1], 50'000'000u);
  EXPECT_GE(s.p99_values[0], 1'000'000u);
  EXPECT_LT(s.p99_values[0], 1'250'000u);
  EXPECT_LT(s.p99_values[2], 1'250'000u);
  EXPECT_EQ(s.p99_values[3], 0u);
  ASSERT_EQ(t.bursts.size(), 2u);
  EXPECT_EQ(t.bursts[0].title, "fileio fsync burst at 1–2 s: 510 ops/s vs 40 median");
  EXPECT_EQ(t.bursts[1].metric, "p99");
}

TEST(TimelineRecorder, LongTracesFoldPairsOfPoints) {
  TimelineRecorder rec({.max_points = 4});
  rec.start(0);
  Report r;
  FileioReport f;
  for (uint64_t i = 1; i <= 6; ++i) {
    f = with_fsyncs(f, i, 1'000'000);
    r.set(f);
    rec.sample(r, i * kSecond);
  }
  const auto t = rec.build();
  // Four points of one second became two of two; two more samples made a third.
  EXPECT_EQ(t.interval_ns, 2 * kSecond);
  EXPECT_EQ(t.point_ends_ns, (std::vector<uint64_t>{2 * kSecond, 4 * kSecond, 6 * kSecond}));
  ASSERT_EQ(t.series.size(), 1u);
  EXPECT_EQ(t.series[0].values, (std::vector<uint64_t>{1 + 2, 3 + 4, 5 + 6}));
}

TcpReport tcp_with(uint64_t connects, uint64_t refused) {
  TcpReport t;
  TcpEndpointReport e;
  e.direction = "outbound";
  e.address = "127.0.0.1";
  e.port = 5432;
  e.connects = connects;
  e.refused = refused;
  t.endpoints.push_back(e);
  TcpEndpointReport old;  // connected before the trace: no attempt, no pattern
  old.direction = "outbound";
  old.address = "10.0.0.9";
  old.port = 443;
  t.endpoints.push_back(old);
  return t;
}

TEST(TimelineRecorder, ClassifiesEachEndpointsAttemptsPerPoint) {
  TimelineRecorder rec;
  rec.start(0);
  Report r;
  const uint64_t cumulative_refused[] = {0, 0, 25, 25, 25};
  for (uint64_t i = 0; i < 5; ++i) {
    r.set(tcp_with(i + 1, cumulative_refused[i]));
    rec.sample(r, (i + 1) * kSecond);
  }
  const auto t = rec.build();
  ASSERT_EQ(t.connections.size(), 1u);
  const auto& c = t.connections[0];
  EXPECT_EQ(c.address, "127.0.0.1");
  EXPECT_EQ(c.port, 5432);
  EXPECT_EQ(c.pattern, "reconnect storm");
  EXPECT_EQ(c.connect_values, (std::vector<uint64_t>{1, 1, 1, 1, 1}));
  EXPECT_EQ(c.failure_values, (std::vector<uint64_t>{0, 0, 25, 0, 0}));
  EXPECT_EQ(c.connects, 5u);
  EXPECT_EQ(c.failures, 25u);
  EXPECT_EQ(c.peak, 26u);
  EXPECT_EQ(c.active_points, 5u);
}

Event process_event(std::string kind, uint32_t pid, std::string comm, uint64_t at) {
  Event e;
  e.family = "process";
  e.kind = std::move(kind);
  e.pid = e.tid = pid;
  e.comm = std::move(comm);
  e.ktime_ns = at;
  return e;
}

TEST(TimelineRecorder, ProcessesWithTheirExecsExitsAndChildren) {
  TimelineRecorder rec;
  rec.start(10 * kSecond);
  for (uint32_t child : {201u, 202u}) {
    Event fork = process_event("fork", 100, "sh", 11 * kSecond);
    fork["child_pid"] = child;
    rec.event(fork);
  }
  Event exec = process_event("exec", 201, "true", 11 * kSecond + 1'000);
  exec["ppid"] = 100u;
  exec["argv"] = std::vector<std::string>{"/bin/true"};
  rec.event(exec);
  Event exit = process_event("exit", 202, "sh", 12 * kSecond);
  exit["ppid"] = 100u;
  exit["exit_code"] = 3;
  exit["signal"] = 0;
  exit["oom_killed"] = false;
  rec.event(exit);
  Event killed = process_event("exit", 201, "true", 13 * kSecond);
  killed["exit_code"] = 0;
  killed["signal"] = 9;
  rec.event(killed);
  rec.event(process_event("slow", 100, "sh", 13 * kSecond));  // not a life-cycle event
  const auto t = rec.build();
  ASSERT_EQ(t.processes.size(), 3u);
  const auto& sh = t.processes[0];
  EXPECT_EQ(sh.pid, 100u);
  EXPECT_TRUE(sh.started_before);
  EXPECT_EQ(sh.children, 2u);
  EXPECT_FALSE(sh.exited);
  const auto& tr = t.processes[1];
  EXPECT_EQ(tr.pid, 201u);
  EXPECT_EQ(tr.ppid, 100u);
  EXPECT_FALSE(tr.started_before);
  EXPECT_EQ(tr.start_ns, kSecond);
  EXPECT_EQ(tr.comm, "true");
  ASSERT_EQ(tr.execs.size(), 1u);
  EXPECT_EQ(tr.execs[0].argv, std::vector<std::string>{"/bin/true"});
  EXPECT_EQ(tr.execs[0].at_ns, kSecond + 1'000);
  EXPECT_TRUE(tr.exited);
  EXPECT_EQ(tr.signal, 9);
  EXPECT_EQ(tr.end_ns, 3 * kSecond);
  const auto& failed = t.processes[2];
  EXPECT_EQ(failed.pid, 202u);
  EXPECT_EQ(failed.comm, "sh");  // forked, never exec'd: its parent's program
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_EQ(failed.end_ns, 2 * kSecond);
}

TEST(TimelineRender, TextIsCompactAndHtmlHoldsTheChart) {
  TimelineRecorder rec;
  rec.start(0);
  Report r;
  FileioReport f;
  const uint64_t per_second[] = {2, 3, 500, 2, 3, 2};
  for (uint64_t i = 0; i < 6; ++i) {
    f = with_fsyncs(f, per_second[i], 1'000'000);
    r.set(f);
    rec.sample(r, (i + 1) * kSecond);
  }
  Report out;
  out.set(rec.build());
  TextWriter text(Style(false), {});
  render_report_body(text, out);
  EXPECT_NE(text.str().find("fileio fsync burst at 2–3 s: 500 ops/s vs 2 median (500 ops)"),
            std::string::npos)
      << text.str();
  // Every second with an operation stands above the floor, however small beside the peak.
  EXPECT_NE(text.str().find("▂▂█▂▂▂"), std::string::npos) << text.str();
  EXPECT_EQ(text.str().find("<svg"), std::string::npos);
  const std::string svg = timeline_svg(*out.find<TimelineReport>());
  EXPECT_NE(svg.find("data-family=\"fileio\" data-name=\"fsync\" data-metric=\"values\" "
                     "data-total=\"512\""),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find("class=\"bar burst\" data-point=\"2\" data-value=\"500\""), std::string::npos);
  EXPECT_EQ(svg.find("<script"), std::string::npos);
}

}  // namespace
}  // namespace podtrace::tracer
