// SPDX-License-Identifier: Apache-2.0
// process_probe.h: the process family: exec with argv, fork, exit code or signal, OOM kills.
#pragma once

#include <map>
#include <span>
#include <string>
#include <tuple>

#include "probes/probe.h"
#include "probes/skeleton_loader.h"
#include "sections/process.h"

struct process_bpf;

namespace podtrace::tracer {

class ProcessProbe : public Probe {
 public:
  // The family's BPF object as the tracer embeds it (tracer/core_btf_cache.h).
  static std::span<const unsigned char> bpf_object();
  std::string_view name() const override { return "process"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  int ringbuf_fd() const override;
  void on_record(const void* data, size_t size, EventSink& sink) override;
  void fill(Report& report) override;
  LostCounts lost() const override;

 private:
  // The report keeps every failed exit up to kMaxExits, and the first kMaxCleanExits clean ones:
  // a pod's shell loop exits cleanly hundreds of times a second, and its first 1000 clean exits
  // used to fill the list before the failure anyone looks for.
  // Past kListedPerOutcome exits of one program and outcome (a crash-looping script), the last
  // listed one counts the rest (ProcessExit::count).
  static constexpr size_t kMaxExits = 1000;
  static constexpr size_t kMaxCleanExits = 100;
  static constexpr size_t kListedPerOutcome = 10;
  size_t clean_exits_kept_ = 0;
  struct Listed {
    size_t rows = 0;
    size_t last = 0;  // index in exited_
  };
  std::map<std::tuple<std::string, int, int, bool, bool>, Listed> listed_;
  LoadedSkeleton<process_bpf> loaded_;
  std::vector<ProcessExit> exited_;
};

}  // namespace podtrace::tracer
