// SPDX-License-Identifier: Apache-2.0
// memory_probe.h: the memory family: minor/major page faults per process, direct and memcg
// reclaim stalls, the memory cgroups' limits and events, RSS, and the OOM kills.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <vector>

#include "cgroup.h"
#include "memcg_state.h"
#include "probes/memory_aggregate.h"
#include "probes/probe.h"
#include "probes/skeleton_loader.h"
#include "proc_memory.h"

struct memory_bpf;

namespace podtrace::tracer {

class MemoryProbe : public Probe {
 public:
  // The family's BPF object as the tracer embeds it (tracer/core_btf_cache.h).
  static std::span<const unsigned char> bpf_object();
  std::string_view name() const override { return "memory"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  void set_target_cgroups(const std::vector<std::filesystem::path>& paths) override;
  void flush(EventSink&) override {}
  void fill(Report& report) override;
  LostCounts lost() const override;
  // Entries in the kernel's per-process map; for tests.
  size_t kernel_procs() const;

 private:
  std::vector<int> target_pids() const;
  // Moves the rows of processes that have exited from the kernel's map (and `in`) to exited_.
  void take_exited_procs(MemoryInputs& in);

  LoadedSkeleton<memory_bpf> loaded_;
  std::optional<CgroupFs> cgroups_;
  std::vector<std::filesystem::path> cgroup_paths_;
  std::filesystem::path proc_root_;
  MemcgMonitor memcg_;
  std::optional<RssTracker> rss_;
  uint64_t started_ns_ = 0;
  ExitedFaults exited_;
};

}  // namespace podtrace::tracer
