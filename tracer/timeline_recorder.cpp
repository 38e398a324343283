// SPDX-License-Identifier: Apache-2.0
// timeline_recorder.cpp: cumulative numbers in, per-point differences out.
#include "timeline_recorder.h"

#include <algorithm>

#include "burst_detector.h"
#include "connection_pattern.h"
#include "histogram.h"

namespace podtrace::tracer {

namespace {

uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }

// The p99 of the operations between two cumulative histograms. The window's max is exact when
// the cumulative max grew in it; otherwise the top bucket's bound (never above the old max).
uint64_t window_p99(const CumulativeCounter& base, const CumulativeCounter& last) {
  if (!last.has_latency || last.slots.empty()) return 0;
  std::vector<uint64_t> delta(last.slots.size());
  int top = -1;
  for (size_t s = 0; s < delta.size(); ++s) {
    delta[s] = minus(last.slots[s], s < base.slots.size() ? base.slots[s] : 0);
    if (delta[s]) top = static_cast<int>(s);
  }
  if (top < 0) return 0;
  uint64_t max = last.max_ns;
  if (last.max_ns <= base.max_ns) {
    const uint64_t bound = slot_upper(static_cast<uint32_t>(top));
    max = std::min(bound == UINT64_MAX ? bound : bound - 1, last.max_ns);
  }
  return percentile(delta, 0.99, max);
}

}  // namespace

void TimelineRecorder::start(uint64_t monotonic_ns) { start_ns_ = monotonic_ns; }

uint64_t TimelineRecorder::offset(uint64_t monotonic_ns) const {
  return minus(monotonic_ns, start_ns_);
}

void TimelineRecorder::begin_point() {
  ends_.push_back(0);
  for (auto& t : tracks_) {
    t.base = t.last;
    t.values.push_back(0);
    t.p99.push_back(0);
  }
  for (auto& e : endpoints_) {
    e.base = e.last;
    e.connects.push_back(0);
    e.failures.push_back(0);
  }
}

void TimelineRecorder::sample(const Report& cumulative, uint64_t monotonic_ns) {
  if (samples_in_point_ == 0) begin_point();
  const size_t points = ends_.size();
  for (auto& c : timeline_counters(cumulative)) {
    auto [it, added] = track_index_.try_emplace({c.family, c.name}, tracks_.size());
    if (added) {
      // New in this point: it counted from zero (a family's numbers start with the trace).
      Track t;
      t.base = {c.family, c.name, c.unit, 0, c.has_latency, {}, 0};
      t.values.assign(points, 0);
      t.p99.assign(points, 0);
      tracks_.push_back(std::move(t));
    }
    tracks_[it->second].last = std::move(c);
  }
  for (auto& t : tracks_) {
    t.values.back() = minus(t.last.value, t.base.value);
    t.p99.back() = window_p99(t.base, t.last);
  }
  for (auto& e : timeline_endpoints(cumulative)) {
    auto key = std::make_tuple(e.direction, e.address, e.port);
    auto it = endpoint_index_.find(key);
    if (it == endpoint_index_.end()) {
      if (endpoints_.size() >= limits_.max_endpoints) {
        endpoints_dropped_.insert(key);
        continue;
      }
      it = endpoint_index_.emplace(key, endpoints_.size()).first;
      EndpointTrack t;
      t.base = {e.direction, e.address, e.port, 0, 0};
      t.connects.assign(points, 0);
      t.failures.assign(points, 0);
      endpoints_.push_back(std::move(t));
    }
    endpoints_[it->second].last = std::move(e);
  }
  // An endpoint dropped from a later report keeps its last numbers.
  for (auto& e : endpoints_) {
    e.connects.back() = minus(e.last.connects, e.base.connects);
    e.failures.back() = minus(e.last.failures, e.base.failures);
  }
  ends_.back() = offset(monotonic_ns);
  if (++samples_in_point_ == samples_per_point_) {
    samples_in_point_ = 0;
    if (ends_.size() >= limits_.max_points) fold();
  }
}

void TimelineRecorder::fold() {
  auto halve = [](std::vector<uint64_t>& v, bool max) {
    std::vector<uint64_t> out;
    for (size_t i = 0; i < v.size(); i += 2) {
      const uint64_t b = i + 1 < v.size() ? v[i + 1] : 0;
      out.push_back(max ? std::max(v[i], b) : v[i] + b);
    }
    v = std::move(out);
  };
  std::vector<uint64_t> ends;
  for (size_t i = 0; i < ends_.size(); i += 2)
    ends.push_back(ends_[std::min(i + 1, ends_.size() - 1)]);
  ends_ = std::move(ends);
  for (auto& t : tracks_) {
    halve(t.values, false);
    halve(t.p99, true);
  }
  for (auto& e : endpoints_) {
    halve(e.connects, false);
    halve(e.failures, false);
  }
  samples_per_point_ *= 2;
}

TimelineProcess& TimelineRecorder::process(uint32_t pid, uint64_t at_ns, const std::string& comm) {
  static TimelineProcess overflow;
  if (auto it = process_index_.find(pid); it != process_index_.end()) return processes_[it->second];
  if (processes_.size() >= limits_.max_processes) {
    ++processes_dropped_;
    overflow = {};
    return overflow;
  }
  TimelineProcess p;
  p.pid = pid;
  p.comm = comm;
  p.started_before = true;  // until a fork says otherwise
  p.start_ns = at_ns;
  process_index_[pid] = processes_.size();
  processes_.push_back(std::move(p));
  return processes_.back();
}

void TimelineRecorder::event(const Event& e) {
  if (e.family != "process") return;
  const uint64_t at = offset(e.ktime_ns);
  if (e.kind == "fork") {
    const auto child = e.find("child_pid") ? e.find("child_pid")->as_u64() : std::nullopt;
    process(e.pid, at, e.comm).children++;
    if (!child) return;
    const uint32_t pid = static_cast<uint32_t>(*child);
    // A reused pid is a new process.
    if (auto it = process_index_.find(pid);
        it != process_index_.end() && processes_[it->second].exited)
      process_index_.erase(it);
    TimelineProcess& p = process(pid, at, e.comm);
    p.ppid = e.pid;
    p.started_before = false;
    p.start_ns = at;
  } else if (e.kind == "exec") {
    TimelineProcess& p = process(e.pid, at, e.comm);
    p.comm = e.comm;
    if (const auto* ppid = e.find("ppid"); ppid && ppid->as_u64())
      p.ppid = static_cast<uint32_t>(*ppid->as_u64());
    TimelineExec x{at, {}};
    if (const auto* argv = e.find("argv"))
      if (const auto* list = std::get_if<std::vector<std::string>>(&argv->get())) x.argv = *list;
    if (p.execs.size() < limits_.max_execs) p.execs.push_back(std::move(x));
  } else if (e.kind == "exit") {
    TimelineProcess& p = process(e.pid, at, e.comm);
    p.comm = e.comm;
    p.exited = true;
    p.end_ns = at;
    auto number = [&](const char* key) {
      const auto* v = e.find(key);
      if (!v) return int64_t{0};
      if (const auto* i = std::get_if<int64_t>(&v->get())) return *i;
      return static_cast<int64_t>(v->as_u64().value_or(0));
    };
    p.exit_code = static_cast<int>(number("exit_code"));
    p.signal = static_cast<int>(number("signal"));
    if (const auto* oom = e.find("oom_killed"))
      if (const auto* b = std::get_if<bool>(&oom->get())) p.oom_killed = *b;
    if (const auto* ppid = e.find("ppid"); ppid && ppid->as_u64())
      p.ppid = static_cast<uint32_t>(*ppid->as_u64());
  }
}

TimelineReport TimelineRecorder::build() const {
  TimelineReport t;
  t.monotonic_start_ns = start_ns_;
  t.interval_ns = samples_per_point_ * 1'000'000'000ull;
  t.point_ends_ns = ends_;
  for (const auto& track : tracks_) {
    TimelineSeries s;
    s.family = track.last.family;
    s.name = track.last.name;
    s.unit = track.last.unit;
    s.values = track.values;
    for (uint64_t v : s.values) {
      s.total += v;
      s.peak = std::max(s.peak, v);
    }
    // A series that never moved says nothing: the report stays short.
    if (s.total == 0) continue;
    s.median = median_of(s.values);
    if (track.last.has_latency) {
      s.p99_values = track.p99;
      std::vector<uint64_t> measured;
      for (size_t i = 0; i < s.values.size(); ++i)
        if (s.values[i]) measured.push_back(s.p99_values[i]);
      for (uint64_t v : measured) s.peak_p99_ns = std::max(s.peak_p99_ns, v);
      s.median_p99_ns = median_of(measured);
    }
    t.series.push_back(std::move(s));
  }
  t.bursts = find_bursts(t);
  const uint64_t point_s = samples_per_point_;
  for (const auto& e : endpoints_) {
    const ConnectionClass c = classify_connections(e.connects, e.failures, point_s);
    if (c.pattern.empty()) continue;  // connected before the trace: no attempt to classify
    TimelineConnection x{e.last.direction, e.last.address, e.last.port, c.pattern, c.reason, 0, 0,
                         c.active_points,  c.peak,         e.connects,  e.failures};
    for (uint64_t v : e.connects) x.connects += v;
    for (uint64_t v : e.failures) x.failures += v;
    t.connections.push_back(std::move(x));
  }
  std::stable_sort(t.connections.begin(), t.connections.end(), [](const auto& a, const auto& b) {
    return a.connects + a.failures > b.connects + b.failures;
  });
  if (t.connections.size() > limits_.shown_endpoints) {
    t.connections_dropped = t.connections.size() - limits_.shown_endpoints;
    t.connections.resize(limits_.shown_endpoints);
  }
  t.connections_dropped += endpoints_dropped_.size();
  t.processes = processes_;
  t.processes_dropped = processes_dropped_;
  return t;
}

}  // namespace podtrace::tracer
