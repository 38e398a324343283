// SPDX-License-Identifier: Apache-2.0
// cpu_probe.h: the CPU family: run-queue latency, on-CPU time, off-CPU time by reason.
#pragma once

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "cpu.h"
#include "probes/probe.h"
#include "probes/skeleton_loader.h"
#include "probes/time_breakdown.h"
#include "sections/cpu.h"

struct cpu_bpf;

namespace podtrace::tracer {

class CpuProbe : public Probe {
 public:
  // The family's BPF object as the tracer embeds it (tracer/core_btf_cache.h).
  static std::span<const unsigned char> bpf_object();
  std::string_view name() const override { return "cpu"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  void flush(EventSink&) override {}
  void fill(Report& report) override;
  LostCounts lost() const override;
  // Entries in the kernel's per-thread map; for tests.
  size_t kernel_threads() const;

 private:
  // Reads the kernel's per-thread map once: the threads that have exited leave it for
  // exited_cpu_ and exited_times_; the live ones are returned.
  std::vector<std::pair<uint32_t, sched_thread>> take_live_threads();

  LoadedSkeleton<cpu_bpf> loaded_;
  // Exited threads' final rows. The kernel's map holds SCHED_MAX_THREADS threads: a pod's shell
  // loop of short-lived processes filled it in under two minutes, and each collect read it whole.
  // Past kExitedThreadsKept rows, the lightest half is summed into the "other" row.
  static constexpr size_t kExitedThreadsKept = 2048;
  std::vector<ThreadCpu> exited_cpu_;
  ThreadCpu exited_cpu_other_;
  TimeTables exited_times_{false};
};

}  // namespace podtrace::tracer
