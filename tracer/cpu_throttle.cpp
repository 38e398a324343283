// SPDX-License-Identifier: Apache-2.0
// cpu_throttle.cpp: parses cpu.stat and the quota files of both cgroup versions.
#include "cpu_throttle.h"

#include <charconv>
#include <chrono>
#include <optional>
#include <sstream>
#include <string_view>

#include "cgroup_files.h"

namespace podtrace::tracer {

namespace fs = std::filesystem;

namespace {

// A number as the kernel writes it (leading blanks allowed), or nullopt: a file that holds
// something else must not end the trace (std::stoll threw on it; found by tests/fuzz).
template <typename T>
std::optional<T> parse_number(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return std::nullopt;
  text.remove_prefix(first);
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  return value;
}

uint64_t monotonic_now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

Result<Throttling> read_throttling(const fs::path& dir, bool v2) {
  Throttling t;
  t.cgroup = dir.string();
  t.source = v2 ? "cgroup-v2" : "cgroup-v1";
  std::error_code ec;
  if (!fs::exists(dir / "cpu.stat", ec)) return make_error("no cpu.stat in " + dir.string());
  auto stat = read_keyed(dir / "cpu.stat");
  t.nr_periods = stat["nr_periods"];
  t.nr_throttled = stat["nr_throttled"];
  if (v2) {
    t.throttled_ns = stat["throttled_usec"] * 1000;
    // cpu.max: "<quota|max> <period>"
    if (auto line = read_first_line(dir / "cpu.max")) {
      std::istringstream ss(*line);
      std::string quota;
      ss >> quota >> t.period_us;
      if (quota == "max")
        t.quota_us = -1;
      else if (auto q = parse_number<int64_t>(quota))
        t.quota_us = *q;
    }
  } else {
    t.throttled_ns = stat["throttled_time"];
    if (auto line = read_first_line(dir / "cpu.cfs_quota_us"))
      if (auto q = parse_number<int64_t>(*line)) t.quota_us = *q;
    if (auto line = read_first_line(dir / "cpu.cfs_period_us"))
      if (auto p = parse_number<uint64_t>(*line)) t.period_us = *p;
  }
  return t;
}

void ThrottleMonitor::start(const CgroupFs& cgroups, const std::vector<fs::path>& v2_dirs) {
  watched_.clear();
  const bool v2 = cgroups.layout() == CgroupLayout::kUnified;
  for (const auto& d : v2_dirs) {
    auto dir = cgroups.cpu_controller_dir(d);
    if (!dir) continue;
    if (auto t = read_throttling(*dir, v2)) watched_.push_back({*dir, v2, *t, monotonic_now_ns()});
  }
}

std::vector<Throttling> ThrottleMonitor::since_start() const {
  std::vector<Throttling> out;
  for (const auto& w : watched_) {
    auto now = read_throttling(w.dir, w.v2);
    if (!now) continue;  // the cgroup went away with the target; keep what we had
    Throttling t = *now;
    t.nr_periods -= w.baseline.nr_periods;
    t.nr_throttled -= w.baseline.nr_throttled;
    t.throttled_ns -= w.baseline.throttled_ns;
    t.window_ns = monotonic_now_ns() - w.baseline_ns;
    out.push_back(t);
  }
  return out;
}

}  // namespace podtrace::tracer
