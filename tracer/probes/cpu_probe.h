// SPDX-License-Identifier: Apache-2.0
// cpu_probe.h: the CPU family: run-queue latency, on-CPU time, off-CPU time by reason.
#pragma once

#include "probes/probe.h"
#include "probes/skeleton_loader.h"

struct cpu_bpf;

namespace podtrace::tracer {

class CpuProbe : public Probe {
 public:
  std::string_view name() const override { return "cpu"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  void flush(EventSink&) override {}
  void fill(Report& report) override;
  LostCounts lost() const override;

 private:
  // The time breakdown, from the same per-thread map.
  void fill_time(Report& report, int threads_fd) const;
  LoadedSkeleton<cpu_bpf> loaded_;
  bool per_thread_ = false;
};

}  // namespace podtrace::tracer
