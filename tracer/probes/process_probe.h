// SPDX-License-Identifier: Apache-2.0
// process_probe.h: the process family: exec with argv, fork, exit code or signal, OOM kills.
#pragma once

#include "probes/probe.h"
#include "probes/skeleton_loader.h"
#include "sections/process.h"

struct process_bpf;

namespace podtrace::tracer {

class ProcessProbe : public Probe {
 public:
  std::string_view name() const override { return "process"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  int ringbuf_fd() const override;
  void on_record(const void* data, size_t size, EventSink& sink) override;
  void fill(Report& report) override;
  LostCounts lost() const override;

 private:
  static constexpr size_t kMaxExits = 1000;
  LoadedSkeleton<process_bpf> loaded_;
  std::vector<ProcessExit> exited_;
};

}  // namespace podtrace::tracer
