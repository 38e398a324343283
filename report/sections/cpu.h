// SPDX-License-Identifier: Apache-2.0
// sections/cpu.h: the CPU section: run-queue latency, on/off-CPU time per thread, CFS throttling.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "latency.h"
#include "section.h"

namespace podtrace {

struct ThreadCpu {
  uint32_t pid = 0;
  uint32_t tid = 0;
  std::string comm;
  uint64_t on_cpu_ns = 0;
  uint64_t run_queue_ns = 0;
  uint64_t io_ns = 0;
  uint64_t sleep_ns = 0;
  uint64_t preempted_ns = 0;
  uint64_t switches = 0;
  uint64_t involuntary = 0;
  uint32_t folded = 0;  // > 0: the "other" row (pid 0), summing this many rows (row_fold.h)
  bool operator==(const ThreadCpu&) const = default;
};

struct Throttling {
  std::string cgroup;     // controller directory read
  std::string source;     // "cgroup-v1" or "cgroup-v2"
  int64_t quota_us = -1;  // -1: unlimited
  uint64_t period_us = 0;
  uint64_t nr_periods = 0;
  uint64_t nr_throttled = 0;
  // The kernel sums throttled time over the cgroup's CPUs, so it can exceed the wall time it was
  // read over: throttled_ns / window_ns is how many CPUs' worth of runnable work was held back.
  uint64_t throttled_ns = 0;
  uint64_t window_ns = 0;  // wall time between the two readings
  bool operator==(const Throttling&) const = default;
};

struct CpuReport {
  static constexpr std::string_view kKey = "cpu";
  static constexpr std::string_view kTitle = "CPU";
  LatencySummary run_queue;
  LatencySummary on_cpu;
  LatencySummary off_io;
  LatencySummary off_sleep;
  LatencySummary preempted;
  uint64_t on_cpu_ns = 0;
  uint64_t run_queue_ns = 0;
  uint64_t io_ns = 0;
  uint64_t sleep_ns = 0;
  uint64_t preempted_ns = 0;
  std::vector<Throttling> throttling;
  std::vector<ThreadCpu> threads;
  bool operator==(const CpuReport&) const = default;
};

void to_json(nlohmann::json& j, const ThreadCpu& t);
void from_json(const nlohmann::json& j, ThreadCpu& t);
void to_json(nlohmann::json& j, const Throttling& t);
void from_json(const nlohmann::json& j, Throttling& t);
void to_json(nlohmann::json& j, const CpuReport& c);
void from_json(const nlohmann::json& j, CpuReport& c);
void render_section(TextWriter& out, const CpuReport& c);
void write_section_metrics(MetricsWriter& out, const CpuReport& c);
void diagnose_section(const CpuReport& c, const DiagnoseThresholds& t, std::vector<Finding>& out);

}  // namespace podtrace
