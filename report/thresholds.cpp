// SPDX-License-Identifier: Apache-2.0
#include "thresholds.h"

#include <fmt/format.h>

#include <charconv>

#include "units.h"

namespace podtrace {

namespace {

// Where each named threshold lives in DiagnoseThresholds.
struct Field {
  uint64_t DiagnoseThresholds::*duration = nullptr;
  double DiagnoseThresholds::*number = nullptr;
};

Field field_of(std::string_view name) {
  if (name == "slow_io_p99") return {&DiagnoseThresholds::slow_io_p99_ns, nullptr};
  if (name == "runq_p99") return {&DiagnoseThresholds::runq_p99_ns, nullptr};
  if (name == "throttled_ratio") return {nullptr, &DiagnoseThresholds::throttled_ratio};
  if (name == "major_faults_per_s") return {nullptr, &DiagnoseThresholds::major_faults_per_s};
  if (name == "runq_share") return {nullptr, &DiagnoseThresholds::runq_share};
  if (name == "lock_wait_share") return {nullptr, &DiagnoseThresholds::lock_wait_share};
  if (name == "lock_min_wait") return {&DiagnoseThresholds::lock_min_wait_ns, nullptr};
  if (name == "kernel_lock_share") return {nullptr, &DiagnoseThresholds::kernel_lock_share};
  if (name == "hot_function_share") return {nullptr, &DiagnoseThresholds::hot_function_share};
  if (name == "profile_min_samples") return {nullptr, &DiagnoseThresholds::profile_min_samples};
  if (name == "slow_query_p99") return {&DiagnoseThresholds::slow_query_p99_ns, nullptr};
  return {};
}

Result<double> parse_number(std::string_view text, bool percent_allowed) {
  std::string s(text);
  double scale = 1;
  if (percent_allowed && !s.empty() && s.back() == '%') {
    s.pop_back();
    scale = 0.01;
  }
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty() || v < 0)
    return make_error("not a non-negative number");
  return v * scale;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

const std::vector<ThresholdInfo>& threshold_catalogue() {
  static const std::vector<ThresholdInfo> all = {
      {"slow_io_p99", "duration", "a file operation whose p99 latency reaches this is slow"},
      {"runq_p99", "duration", "threads waiting this long for a CPU (p99) is CPU contention"},
      {"throttled_ratio", "ratio", "share of CFS periods throttled that makes a finding"},
      {"major_faults_per_s", "rate", "a process's major page faults per second that is high"},
      {"runq_share", "ratio",
       "CPU contention also needs the threads to have waited this share of their time for a CPU"},
      {"lock_wait_share", "ratio",
       "a lock whose waiters were blocked this share of the time is contended"},
      {"lock_min_wait", "duration", "less total wait on one lock than this is never a finding"},
      {"kernel_lock_share", "ratio",
       "kernel lock waits of the target's threads, as a share of the trace, that make a finding"},
      {"hot_function_share", "ratio",
       "a function holding this share of a process's CPU samples is a hot spot"},
      {"profile_min_samples", "count", "fewer CPU samples than this prove nothing about a process"},
      {"slow_query_p99", "duration", "a database statement whose p99 latency reaches this is slow"},
  };
  return all;
}

Status set_threshold(DiagnoseThresholds& t, std::string_view assignment) {
  const auto eq = assignment.find('=');
  const std::string_view name = trim(assignment.substr(0, eq));
  const Field f = field_of(name);
  if (eq == std::string_view::npos || (!f.duration && !f.number)) {
    std::string names;
    for (const auto& i : threshold_catalogue())
      names += fmt::format("{}{}", names.empty() ? "" : ", ", i.name);
    return make_error(fmt::format("invalid threshold \"{}\": want NAME=VALUE with NAME one of {}",
                                  assignment, names));
  }
  const std::string_view value = trim(assignment.substr(eq + 1));
  if (f.duration) {
    auto ns = parse_duration_ns(std::string(value));
    if (!ns) return make_error(fmt::format("threshold {}: {}", name, ns.error()));
    t.*f.duration = *ns;
    return ok_status();
  }
  bool ratio = false;
  for (const auto& i : threshold_catalogue())
    if (i.name == name) ratio = i.kind == "ratio";
  auto v = parse_number(value, ratio);
  if (!v || (ratio && *v > 1))
    return make_error(
        fmt::format("threshold {}: \"{}\" is not {}", name, value,
                    ratio ? "a ratio between 0 and 1 (or 0% to 100%)" : "a non-negative number"));
  t.*f.number = *v;
  return ok_status();
}

Status set_thresholds_from_text(DiagnoseThresholds& t, std::string_view text) {
  size_t line_no = 0;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    ++line_no;
    if (line.empty() || line.front() == '#') continue;
    if (auto ok = set_threshold(t, line); !ok)
      return make_error(fmt::format("line {}: {}", line_no, ok.error()));
  }
  return ok_status();
}

std::string threshold_value(const DiagnoseThresholds& t, std::string_view name) {
  const Field f = field_of(name);
  if (f.duration) return fmt::format("{}us", t.*f.duration / 1000);
  if (f.number) return fmt::format("{:g}", t.*f.number);
  return {};
}

}  // namespace podtrace
