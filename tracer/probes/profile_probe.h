// SPDX-License-Identifier: Apache-2.0
// profile_probe.h: the CPU profile family: a cpu-clock perf event per online CPU at 99 Hz runs
// profile.bpf.c, which counts the target's samples per (process, user stack, kernel stack);
// user space resolves the stacks to function names and builds the profile section.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

#include "libbpf_util.h"
#include "probes/probe.h"
#include "probes/profile_aggregate.h"
#include "probes/profile_kallsyms.h"
#include "probes/profile_symbolizer.h"
#include "probes/skeleton_loader.h"

struct profile_bpf;
struct profile_key;

namespace podtrace::tracer {

// "0-3,6,8-9" (as in /sys/devices/system/cpu/online) -> {0,1,2,3,6,8,9}; nullopt when it does
// not parse.
std::optional<std::vector<int>> parse_cpu_list(std::string_view text);

class ProfileProbe : public Probe {
 public:
  // The family's BPF object as the tracer embeds it (tracer/core_btf_cache.h).
  static std::span<const unsigned char> bpf_object();
  std::string_view name() const override { return "profile"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  // Reads the mappings of processes that appeared in the samples since the last tick, while
  // they still run.
  void flush(EventSink& sink) override;
  void fill(Report& report) override;
  LostCounts lost() const override;
  // Perf events attached (one per online CPU); for tests.
  size_t perf_events() const { return perf_links_.size(); }
  // Samples per process in the kernel's map (not yet taken out); for tests.
  std::map<uint32_t, uint64_t> kernel_samples_by_pid() const;
  // Stacks in the kernel's stack store; for tests.
  size_t kernel_stacks() const;

 private:
  Status open_perf_events(profile_bpf* skel);
  void discover_processes();
  void refresh_names(bool all);
  // The stored stack, read once; null when it has been released.
  const std::vector<uint64_t>* stack(uint64_t id);
  std::vector<ProfileFrame> user_frames(uint32_t pid, const std::vector<uint64_t>& ips);
  std::vector<ProfileFrame> kernel_frames(const std::vector<uint64_t>& ips);
  // Samples whose stack was released before they were read: counted as lost ("other").
  struct Released {
    uint64_t user = 0;
    uint64_t kernel = 0;
  };
  ProfileStack resolve(const profile_key& key, uint64_t samples, Released& missing);
  // Frees the stored stacks (and cached copies) that only `gone`'s entries referred to.
  void release_stacks(const std::vector<std::pair<profile_key, uint64_t>>& gone,
                      const std::set<uint64_t>& live);
  // Drops what is kept per process once it has exited and its stacks are in exited_.
  void forget(uint32_t pid);

  SkeletonPtr<profile_bpf> skel_{nullptr, nullptr};
  // After skel_: destroyed first, each closing its perf event fd.
  std::vector<LinkPtr> perf_links_;
  std::filesystem::path proc_root_ = "/proc";
  std::optional<UserSymbolizer> symbolizer_;
  std::optional<KernelSymbols> kallsyms_;  // read on first need
  std::set<uint32_t> discovered_;
  std::map<uint32_t, std::string> comms_;
  // Processes first seen in the last kRenameTicks poll ticks: their names are re-read each tick.
  static constexpr int kRenameTicks = 10;
  std::map<uint32_t, int> renaming_;
  // A stored stack never changes (its id is a hash of its frames): read each once, until
  // release_stacks() frees it.
  std::map<uint64_t, std::vector<uint64_t>> stacks_;
  std::map<std::pair<uint32_t, uint64_t>, ProfileFrame> user_cache_;
  static constexpr size_t kKernelFramesKept = 8192;
  std::map<uint64_t, ProfileFrame> kernel_cache_;
  Released exited_missing_;  // those of exited_'s stacks
  // Exited processes' stacks, resolved. Bounded: a pod's shell loop of short-lived processes
  // kept a name, mappings and frames per sampled process, and filled the kernel's maps.
  static constexpr size_t kExitedProcessesKept = 64;
  static constexpr size_t kExitedLinesKept = 1024;
  ProfileTables exited_;
};

}  // namespace podtrace::tracer
