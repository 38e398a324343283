// SPDX-License-Identifier: Apache-2.0
// timeline_recorder.h: builds the timeline section during a trace. Once a second the session
// hands it the cumulative report it just collected; the recorder keeps the differences as one
// point per second (a point's p99 from the difference of the latency histograms), and the
// process life-cycle events as they stream. No libbpf: unit tests feed it synthetic reports.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "event.h"
#include "report.h"
#include "sections/timeline.h"
#include "timeline_series.h"

namespace podtrace::tracer {

struct TimelineLimits {
  // Past this many points, pairs of points merge and a point covers twice the time (a p99 of
  // merged points is the larger of the two: an upper bound).
  size_t max_points = 600;
  size_t max_endpoints = 256;  // followed; the rest are counted in connections_dropped
  size_t shown_endpoints = 50;
  size_t max_processes = 500;
  size_t max_execs = 8;  // per process
};

class TimelineRecorder {
 public:
  explicit TimelineRecorder(const TimelineLimits& limits = {}) : limits_(limits) {}

  // The trace's start on CLOCK_MONOTONIC (the clock of events' ktime_ns).
  void start(uint64_t monotonic_ns);
  // The cumulative report collected at `monotonic_ns`: ends the current second.
  void sample(const Report& cumulative, uint64_t monotonic_ns);
  // A streamed event; process life cycles are kept, the rest is ignored.
  void event(const Event& e);
  TimelineReport build() const;

 private:
  struct Track {
    CumulativeCounter base;  // at the current point's start
    CumulativeCounter last;
    std::vector<uint64_t> values;
    std::vector<uint64_t> p99;
  };
  struct EndpointTrack {
    CumulativeEndpoint base, last;
    std::vector<uint64_t> connects, failures;
  };
  void begin_point();
  void fold();
  uint64_t offset(uint64_t monotonic_ns) const;
  TimelineProcess& process(uint32_t pid, uint64_t at_ns, const std::string& comm);

  TimelineLimits limits_;
  uint64_t start_ns_ = 0;
  uint64_t samples_per_point_ = 1;
  uint64_t samples_in_point_ = 0;
  std::vector<uint64_t> ends_;
  std::vector<Track> tracks_;
  std::map<std::pair<std::string, std::string>, size_t> track_index_;
  std::vector<EndpointTrack> endpoints_;
  std::map<std::tuple<std::string, std::string, uint16_t>, size_t> endpoint_index_;
  std::set<std::tuple<std::string, std::string, uint16_t>> endpoints_dropped_;
  std::vector<TimelineProcess> processes_;
  std::map<uint32_t, size_t> process_index_;  // pid -> its latest entry
  uint64_t processes_dropped_ = 0;
};

}  // namespace podtrace::tracer
