// SPDX-License-Identifier: Apache-2.0
// memory_probe.cpp: loads memory.bpf.c; folds its fault and reclaim maps, the threads' /proc
// counters, the memory cgroups' files and the processes' RSS into the memory section.
#include "probes/memory_probe.h"

#include <time.h>

#include <algorithm>
#include <set>

#include "clock.h"
#include "memory.h"
#include "memory.skel.h"
#include "probes/memory_aggregate.h"
#include "sections/process.h"

namespace podtrace::tracer {

namespace {

memory_reclaim_stats sum_reclaim(int map_fd, uint32_t kind) {
  memory_reclaim_stats total{};
  for (const auto& s : lookup_percpu<memory_reclaim_stats>(map_fd, kind)) {
    total.count += s.count;
    total.total_ns += s.total_ns;
    total.pages += s.pages;
    total.max_ns = std::max(total.max_ns, s.max_ns);
  }
  return total;
}

}  // namespace

Result<AttachType> MemoryProbe::start(const ProbeConfig& config) {
  const SkeletonOps<memory_bpf> ops{memory_bpf__open_opts, memory_bpf__load, memory_bpf__destroy};
  auto loaded = load_first_working<memory_bpf>(
      ops, config, {AttachType::kTpBtf, AttachType::kRawTp, AttachType::kTracepoint},
      [](memory_bpf* s) {
        // Written when a reclaim starts and ends: under memory pressure, when a map that
        // allocates on update is likeliest to find no memory. These two stay preallocated
        // (2.3 MB of the node's kernel memory) so reclaims are counted when they matter most.
        for (bpf_map* map : {s->maps.reclaim_inflight, s->maps.reclaim_procs})
          bpf_map__set_map_flags(map, bpf_map__map_flags(map) & ~BPF_F_NO_PREALLOC);
      },
      [&](memory_bpf* s) { write_targets(s, config.cgroup_ids); });
  if (!loaded) return make_error(loaded.error());
  loaded_ = std::move(*loaded);
  started_ns_ = monotonic_ns();
  proc_root_ = config.proc_root;
  cgroup_paths_ = config.cgroup_paths;
  cgroups_.emplace(HostRoots{config.cgroup_root, config.proc_root});
  // The baselines: cgroup counters and RSS as they are when the trace starts.
  memcg_.watch(*cgroups_, cgroup_paths_);
  rss_.emplace(proc_root_);
  rss_->observe(target_pids());
  return loaded_.attach;
}

void MemoryProbe::set_targets(const std::vector<uint64_t>& ids) {
  if (loaded_.skel) write_targets(loaded_.skel.get(), ids);
}

void MemoryProbe::set_target_cgroups(const std::vector<std::filesystem::path>& paths) {
  cgroup_paths_ = paths;
  // New cgroups (a restarted container) get their baseline now.
  if (cgroups_) memcg_.watch(*cgroups_, cgroup_paths_);
}

std::vector<int> MemoryProbe::target_pids() const {
  std::vector<int> pids;
  for (const auto& dir : cgroup_paths_)
    for (int pid : CgroupFs::pids_in(dir)) pids.push_back(pid);
  return pids;
}

void MemoryProbe::take_exited_procs(MemoryInputs& in) {
  std::set<uint32_t> with_threads;
  for (const auto& t : in.threads) with_threads.insert(t.thread.pid);
  const int fd = bpf_map__fd(loaded_.skel->maps.procs);
  // A process gone from /proc has been reaped: each of its threads folded its counters into the
  // entry as it exited, so the entry is final.
  std::vector<std::pair<uint32_t, memory_proc>> gone;
  std::erase_if(in.procs, [&](const MemoryProcRow& row) {
    if (with_threads.count(row.pid) || process_listed(proc_root_, row.pid)) return false;
    gone.emplace_back(row.pid, row.proc);
    return true;
  });
  take_map_entries(
      fd, gone, [&](uint32_t pid, const memory_proc& p) { exited_.add(pid, p); },
      [&](uint32_t pid, const memory_proc& p) {
        in.procs.push_back({pid, p});
      });
}

void MemoryProbe::fill(Report& report) {
  if (!loaded_.skel) return;
  MemoryInputs in;
  in.window_ns = monotonic_ns() - started_ns_;
  // Processes before threads: a thread that exits in between is missed for this tick rather
  // than counted twice; the next tick finds it folded into its process.
  for_each_map_entry<uint32_t, memory_proc>(bpf_map__fd(loaded_.skel->maps.procs),
                                            [&](uint32_t pid, const memory_proc& p) {
                                              in.procs.push_back({pid, p});
                                            });
  for_each_map_entry<uint32_t, memory_thread>(
      bpf_map__fd(loaded_.skel->maps.threads), [&](uint32_t tid, const memory_thread& t) {
        in.threads.push_back(
            {tid, t,
             read_thread_faults(proc_root_, static_cast<int>(t.pid), static_cast<int>(tid))});
      });
  take_exited_procs(in);
  in.exited = &exited_;
  const int totals_fd = bpf_map__fd(loaded_.skel->maps.reclaim_totals);
  const int hist_fd = bpf_map__fd(loaded_.skel->maps.reclaim_hist);
  for (uint32_t kind = 0; kind < MEMORY_RECLAIM_MAX; ++kind)
    in.reclaim_kinds.push_back({kind, sum_reclaim(totals_fd, kind), read_hist_row(hist_fd, kind)});
  for_each_map_entry<memory_reclaim_key, memory_reclaim_stats>(
      bpf_map__fd(loaded_.skel->maps.reclaim_procs),
      [&](const memory_reclaim_key& k, const memory_reclaim_stats& s) {
        in.reclaim_procs.push_back({k, s});
      });
  // A hybrid cgroup that was empty at the start can be matched to its v1 directory now.
  memcg_.watch(*cgroups_, cgroup_paths_);
  in.cgroups = memcg_.since_start();
  rss_->observe(target_pids());
  in.rss = rss_->report();
  // The process family fills before this one (registry order), so this tick's count is in.
  in.process = report.find<ProcessReport>();
  report.set(aggregate_memory(in));
}

size_t MemoryProbe::kernel_procs() const {
  size_t n = 0;
  for_each_map_entry<uint32_t, memory_proc>(bpf_map__fd(loaded_.skel->maps.procs),
                                            [&](uint32_t, const memory_proc&) { ++n; });
  return n;
}

LostCounts MemoryProbe::lost() const {
  if (!loaded_.skel) return {};
  return read_lost(bpf_map__fd(loaded_.skel->maps.lost));
}

std::span<const unsigned char> MemoryProbe::bpf_object() {
  return embedded_object(memory_bpf__elf_bytes);
}

}  // namespace podtrace::tracer
