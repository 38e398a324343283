// SPDX-License-Identifier: Apache-2.0
// sections/timeline.h: the trace second by second: per-point series of the key rates, times and
// p99 latencies of every family, the bursts found in them, how the pod connected to each remote
// endpoint, and which processes ran, what they exec'd, how they ended and how many children
// they had. The tracer fills it (tracer/timeline_recorder.h); final reports only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "section.h"

namespace podtrace {

// One series: a value per point (operations, or time in ns), with the p99 latency of the
// point's operations when the family measures one.
struct TimelineSeries {
  std::string family;  // "fileio"
  std::string name;    // "fsync", "connects", "on-CPU"
  std::string unit;    // "ops": values count operations per point; "ns": time per point
  std::vector<uint64_t> values;
  uint64_t total = 0;
  uint64_t peak = 0;
  uint64_t median = 0;               // of all points
  std::vector<uint64_t> p99_values;  // ns per point, 0 where it had no operations; or empty
  uint64_t peak_p99_ns = 0;
  uint64_t median_p99_ns = 0;  // of the points with operations
  bool operator==(const TimelineSeries&) const = default;
};

// Adjacent hot points of one series (report/burst_detector.h).
struct TimelineBurst {
  std::string family;
  std::string series;
  std::string metric;    // "rate" (ops per point), "time" (ns per point), "p99" (ns)
  uint64_t start_s = 0;  // the first hot point's start, seconds from the trace's start
  uint64_t end_s = 0;    // the last hot point's end
  uint64_t peak = 0;     // in the metric's unit
  uint64_t median = 0;   // the series' median, the level it stood out from
  uint64_t total = 0;    // operations (rate, p99) or ns (time) in the burst's points
  std::string title;     // "fileio fsync burst at 12–14 s: 840 ops/s vs 40 median"
  bool operator==(const TimelineBurst&) const = default;
};

// The pod's connection attempts to one remote endpoint (report/connection_pattern.h).
struct TimelineConnection {
  std::string direction;  // "outbound", "inbound" (address is then the client's, port the pod's)
  std::string address;
  uint16_t port = 0;
  std::string pattern;  // "steady", "bursty", "sporadic", "reconnect storm"
  std::string reason;
  uint64_t connects = 0;  // during the trace
  uint64_t failures = 0;
  uint64_t active_points = 0;
  uint64_t peak = 0;                     // most attempts in one point
  std::vector<uint64_t> connect_values;  // per point
  std::vector<uint64_t> failure_values;
  bool operator==(const TimelineConnection&) const = default;
};

struct TimelineExec {
  uint64_t at_ns = 0;  // from the trace's start
  std::vector<std::string> argv;
  bool operator==(const TimelineExec&) const = default;
};

struct TimelineProcess {
  uint32_t pid = 0;
  uint32_t ppid = 0;
  std::string comm;             // the latest
  bool started_before = false;  // no fork seen: it ran when the trace began
  uint64_t start_ns = 0;        // its fork, or its first event, from the trace's start
  bool exited = false;
  uint64_t end_ns = 0;
  int exit_code = 0;
  int signal = 0;
  bool oom_killed = false;
  uint64_t children = 0;  // processes it forked during the trace
  std::vector<TimelineExec> execs;
  bool operator==(const TimelineProcess&) const = default;
};

struct TimelineReport {
  static constexpr std::string_view kKey = "timeline";
  static constexpr std::string_view kTitle = "Timeline";
  uint64_t monotonic_start_ns = 0;      // CLOCK_MONOTONIC at the start: events' ktime_ns - this
  uint64_t interval_ns = 0;             // width of a point
  std::vector<uint64_t> point_ends_ns;  // when each point was read, from the start
  std::vector<TimelineSeries> series;   // non-zero ones, in family order
  std::vector<TimelineBurst> bursts;    // in time order
  std::vector<TimelineConnection> connections;  // most attempts first
  uint64_t connections_dropped = 0;
  std::vector<TimelineProcess> processes;  // in order of appearance
  uint64_t processes_dropped = 0;
  bool operator==(const TimelineReport&) const = default;
};

void to_json(nlohmann::json& j, const TimelineSeries& s);
void from_json(const nlohmann::json& j, TimelineSeries& s);
void to_json(nlohmann::json& j, const TimelineBurst& b);
void from_json(const nlohmann::json& j, TimelineBurst& b);
void to_json(nlohmann::json& j, const TimelineConnection& c);
void from_json(const nlohmann::json& j, TimelineConnection& c);
void to_json(nlohmann::json& j, const TimelineExec& e);
void from_json(const nlohmann::json& j, TimelineExec& e);
void to_json(nlohmann::json& j, const TimelineProcess& p);
void from_json(const nlohmann::json& j, TimelineProcess& p);
void to_json(nlohmann::json& j, const TimelineReport& t);
void from_json(const nlohmann::json& j, TimelineReport& t);
void render_section(TextWriter& out, const TimelineReport& t);
void write_section_metrics(MetricsWriter& out, const TimelineReport& t);
void diagnose_section(const TimelineReport& t, const DiagnoseThresholds& th,
                      std::vector<Finding>& out);

// The bursts of every series, named (report/burst_detector.h has the rule).
std::vector<TimelineBurst> find_bursts(const TimelineReport& t);

}  // namespace podtrace
