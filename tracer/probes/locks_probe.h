// SPDX-License-Identifier: Apache-2.0
// locks_probe.h: the locks family: futex waits per lock word and thread, pthread mutex/rwlock
// waits in the target's own libc (uprobes per target process), kernel lock contention. Each part
// runs or not on its own, and the section says which.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libbpf_util.h"
#include "probes/link_reaper.h"
#include "probes/probe.h"
#include "probes/profile_symbolizer.h"
#include "probes/skeleton_loader.h"
#include "target_libraries.h"

struct locks_bpf;

namespace podtrace::tracer {

class LocksProbe : public Probe {
 public:
  // The family's BPF object as the tracer embeds it (tracer/core_btf_cache.h).
  static std::span<const unsigned char> bpf_object();
  ~LocksProbe() override;
  std::string_view name() const override { return "locks"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  void set_target_cgroups(const std::vector<std::filesystem::path>& paths) override;
  int ringbuf_fd() const override;
  void flush(EventSink&) override;
  void on_record(const void* data, size_t size, EventSink& sink) override;
  void fill(Report& report) override;
  LostCounts lost() const override;

 private:
  // The kernel-lock programs the kernel can run, best first (none: the part is off).
  enum class KlockHook { kNone, kTpBtf, kRawTp, kTracepoint };
  void choose_klock_hook(const KernelFeatures& features);
  void configure(locks_bpf* s);
  void attach_kernel_locks(locks_bpf* s);
  // Probes the pthread functions in the processes of the target not probed yet, and reads
  // their mappings and binaries for naming callers (also after they exit).
  void attach_processes();
  void attach_process(const TargetProcess& process);
  // 0, or -errno of the first link the kernel refused.
  int attach_multi(int pid, const std::filesystem::path& path,
                   const std::map<std::string, uint64_t>& offsets, std::vector<OwnedLink>& links);
  bool attach_per_function(int pid, const std::filesystem::path& path, const std::string& lib,
                           const std::map<std::string, uint64_t>& offsets,
                           std::vector<OwnedLink>& links);
  // The pthread functions' file offsets in `path` (read once per file), or null with
  // uprobe_reason_ set.
  const std::map<std::string, uint64_t>* pthread_offsets(const std::filesystem::path& path,
                                                         const std::string& lib);
  std::string describe_caller(uint32_t pid, uint64_t addr);
  std::string mutex_status() const;

  struct ProbedProcess {
    std::vector<OwnedLink> links;
    bool attached = false;
  };

  LoadedSkeleton<locks_bpf> loaded_;
  std::vector<LinkPtr> klock_links_;
  std::map<int, ProbedProcess> processes_;
  std::map<FileId, std::map<std::string, uint64_t>> offsets_;
  // The profile family's symbolizer: pthread callers become function names.
  std::optional<UserSymbolizer> symbolizer_;
  std::vector<std::filesystem::path> cgroup_paths_;
  std::filesystem::path proc_root_ = "/proc";
  bool uprobes_ = false;
  // uprobe_multi links (Linux 6.6): 4 per process, one grace period each to detach; else two
  // perf-event uprobes per function. Chosen by the uprobe_multi attach-type probe.
  enum class Multi { kYes, kNo };
  Multi multi_ = Multi::kNo;
  std::string uprobe_reason_;  // why uprobes are off, or the last attach failure
  KlockHook klock_hook_ = KlockHook::kNone;
  std::string futex_status_;
  std::string kernel_status_;
  uint64_t started_ns_ = 0;
  uint64_t last_scan_ns_ = 0;
  LinkReaper reaper_;  // closes the probes of exited processes
};

}  // namespace podtrace::tracer
