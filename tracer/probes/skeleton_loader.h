// SPDX-License-Identifier: Apache-2.0
// skeleton_loader.h: open -> configure -> load -> attach for one family's skeleton, trying the
// attach types it supports in order of preference. Programs are named <handler>_<suffix>, where
// the suffix names the attach type (_btf, _raw); only the chosen suffix is loaded.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "activity_map.h"
#include "kernel_features.h"
#include "libbpf_util.h"
#include "podtrace_common.h"
#include "probes/probe.h"
#include "resident_pages.h"
#include "vmlinux_btf_share.h"

namespace podtrace::tracer {

std::string_view program_suffix(AttachType type);

// Enables exactly the programs whose name ends in the suffix of `type` (none for nullopt).
void select_programs(bpf_object* obj, std::optional<AttachType> type);

// Makes every hash map the object creates (not one it reuses) allocate its entries on update
// (BPF_F_NO_PREALLOC). Call only where the kernel allows it (AttachType::kHashOnDemand): a
// preallocated map costs the node its whole size in kernel memory for the whole trace, and
// creating it fills that memory at start-up (docs/performance.md, "Kernel memory").
// LRU maps keep their preallocation: the kernel has no other kind. A family's configure step,
// which runs after this, may keep a map preallocated (memory: the maps written in reclaim).
void allocate_hashes_on_demand(bpf_object* obj);

// How many threads' calls in flight a slot map holds where it is an LRU hash keyed by tid.
inline constexpr uint32_t kThreadSlotsInHash = 16384;

// Where tracing programs may not use task storage (AttachType::kTaskStorage): every per-thread
// slot map of the object (bpf/thread_slots.bpf.h) becomes an LRU hash keyed by tid, created
// with all its entries. Its programs must then run with `thread_slots_in_task` false.
void keep_thread_slots_in_lru_hash(bpf_object* obj);

// Sets the object's `thread_slots_in_task` (objects that include bpf/thread_slots.bpf.h) to
// what the kernel allows, and converts its slot maps where it allows no task storage.
template <typename Skel>
void place_thread_slots(Skel* skel, const KernelFeatures& features) {
  if constexpr (requires { skel->rodata->thread_slots_in_task; }) {
    const bool in_task = features.has(AttachType::kTaskStorage);
    skel->rodata->thread_slots_in_task = in_task;
    if (!in_task) keep_thread_slots_in_lru_hash(skel->obj);
  }
}

// Sets the object's `task_reads_cast` (objects that include bpf/task_reads.bpf.h) to what the
// kernel allows: where true, the programs read the current task through bpf_rdonly_cast(), to
// the kernel's task_struct id (`task_struct_btf_id`).
template <typename Skel>
void choose_task_reads(Skel* skel, const KernelFeatures& features) {
  if constexpr (requires { skel->rodata->task_reads_cast; }) {
    const uint32_t id =
        features.has(AttachType::kTaskCast) ? kernel_struct_btf_id("task_struct") : 0;
    skel->rodata->task_reads_cast = id != 0;
    skel->rodata->task_struct_btf_id = id;
  }
}

// Attaches every loaded program whose name ends in the suffix of `type` and whose section names
// a hook (a tail-call target, a bare SEC("tracepoint") or one with autoattach off, is loaded with
// its rung, not attached).
// On error, `links` is cleared. Programs of other types (cgroup, uprobe) are the family's to
// attach.
Status attach_selected(bpf_object* obj, AttachType type, std::vector<LinkPtr>& links);

template <typename Skel>
struct LoadedSkeleton {
  SkeletonPtr<Skel> skel{nullptr, nullptr};
  std::vector<LinkPtr> links;
  AttachType attach{};
};

template <typename Skel>
struct SkeletonOps {
  Skel* (*open)(const bpf_object_open_opts*);
  int (*load)(Skel*);
  void (*destroy)(Skel*);
};

// How one family loads: the skeleton life cycle (open -> configure -> load -> fill maps ->
// attach) with the family's attach-type ladder. Every probe loads through load_skeleton().
template <typename Skel>
struct LoadPlan {
  SkeletonOps<Skel> ops;
  // Types of the programs chosen by name suffix (<handler>_btf, _raw, _tp...), best first.
  std::vector<AttachType> ladder;
  // Set when the family's core is outside the ladder (cgroup sockops, cgroup_skb): the ladder
  // then only adds extras, a family with no working rung still loads once without them, and
  // `core` is the attach type reported.
  std::optional<AttachType> core;
  // Before load: rodata, and autoload of the programs outside the ladder.
  std::function<void(Skel*)> configure = [](Skel*) {};
  // After load, before anything attaches: fill maps (targets), so programs never run unfiltered.
  std::function<void(Skel*)> after_load = [](Skel*) {};
  // After the ladder's programs attached: cgroup links, uprobes. A failure ends the family.
  std::function<Status(Skel*)> attach_extra = [](Skel*) { return ok_status(); };
  // ProbeConfig::activity_map_fd: objects that declare the activity map share the trace's.
  int activity_map_fd = -1;
};

template <typename Skel>
Result<LoadedSkeleton<Skel>> load_skeleton(const LoadPlan<Skel>& plan,
                                           const KernelFeatures& features) {
  std::string why;
  auto note = [&](std::string_view rung, const std::string& reason) {
    why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", rung, reason);
  };
  // One open, configure and load, relocated against `core_btf` (nullptr: the kernel's BTF).
  auto open_and_load = [&](std::optional<AttachType> type,
                           const char* core_btf) -> Result<SkeletonPtr<Skel>> {
    LIBBPF_OPTS(bpf_object_open_opts, open_opts, .btf_custom_path = core_btf);
    SkeletonPtr<Skel> skel(plan.ops.open(&open_opts), plan.ops.destroy);
    if (!skel) return make_error("cannot open BPF object: " + libbpf_error(-errno));
    select_programs(skel->obj, type);
    if (auto shared = share_activity_map(skel->obj, plan.activity_map_fd); !shared)
      return shared.take_error();
    if (features.has(AttachType::kHashOnDemand)) allocate_hashes_on_demand(skel->obj);
    place_thread_slots(skel.get(), features);
    choose_task_reads(skel.get(), features);
    plan.configure(skel.get());
    if (int err = plan.ops.load(skel.get()); err) return make_error("load: " + libbpf_error(err));
    return skel;
  };
  // One attempt; nullopt type: no ladder program. Returns nullopt to try the next rung.
  auto attempt =
      [&](std::optional<AttachType> type) -> std::optional<Result<LoadedSkeleton<Skel>>> {
    const std::string rung = type ? std::string(attach_type_name(*type)) : "without extras";
    LoadedSkeleton<Skel> loaded;
    const char* core_btf = shared_core_btf_path();
    auto skel = open_and_load(type, core_btf);
    // The cached copy is bpftool's work: where a load fails with it, the kernel's BTF decides.
    if (!skel && core_btf) {
      skel = open_and_load(type, nullptr);
      if (skel) count_core_btf_fallback();
    }
    if (!skel) {
      if (skel.error().rfind("load: ", 0) != 0) return skel.take_error();
      note(rung, skel.error());
      return std::nullopt;
    }
    loaded.skel = std::move(*skel);
    plan.after_load(loaded.skel.get());
    if (type) {
      if (auto ok = attach_selected(loaded.skel->obj, *type, loaded.links); !ok) {
        note(rung, ok.error());
        return std::nullopt;
      }
    }
    if (auto ok = plan.attach_extra(loaded.skel.get()); !ok) return ok.take_error();
    loaded.attach = plan.core ? *plan.core : *type;
    // Loaded for good: the object's embedded bytes (the binary's constants) are not read again.
    release_read_only_pages(loaded.skel->skeleton->data, loaded.skel->skeleton->data_sz);
    return loaded;
  };
  for (AttachType type : plan.ladder) {
    auto feature = features.probe(type);
    if (!feature.works) {
      note(attach_type_name(type), feature.reason);
      continue;
    }
    if (auto done = attempt(type)) return std::move(*done);
  }
  if (plan.core) {
    if (auto done = attempt(std::nullopt)) return std::move(*done);
  }
  return make_error(why.empty() ? "no supported attach type" : why);
}

// The simple case: programs chosen by suffix from `preferred`, rodata set by `configure`,
// targets written by `after_load`.
template <typename Skel>
Result<LoadedSkeleton<Skel>> load_first_working(const SkeletonOps<Skel>& ops,
                                                const ProbeConfig& config,
                                                std::vector<AttachType> preferred,
                                                const std::function<void(Skel*)>& configure,
                                                const std::function<void(Skel*)>& after_load) {
  LoadPlan<Skel> plan{ops, std::move(preferred), std::nullopt, configure, after_load};
  plan.activity_map_fd = config.activity_map_fd;
  return load_skeleton(plan, *config.features);
}

// Makes the hash of target ids past the inline ones hold exactly `more`: new ids are inserted
// first, stale ones deleted last, so a concurrent program never misses a target (it may match a
// departing id for a moment). Returns false when the map refused an id.
bool write_more_targets(int map_fd, std::span<const uint64_t> more);

// Writes the target cgroup ids into a skeleton: the first PT_INLINE_TARGET_CGROUPS into .bss,
// the rest into its more_target_cgroups hash. Inline ids are written before the count, so a
// program running concurrently sees either the old prefix or the new set. Ids past
// PT_MAX_TARGET_CGROUPS are not traced (the session says so once).
template <typename Skel>
void write_targets(Skel* skel, const std::vector<uint64_t>& ids) {
  auto* bss = skel->bss;
  const size_t n = std::min(ids.size(), size_t{PT_MAX_TARGET_CGROUPS});
  const size_t inline_n = std::min(n, size_t{PT_INLINE_TARGET_CGROUPS});
  const std::span<const uint64_t> all(ids.data(), n);
  (void)write_more_targets(bpf_map__fd(skel->maps.more_target_cgroups), all.subspan(inline_n));
  if (n < bss->target_cgroup_count)
    __atomic_store_n(&bss->target_cgroup_count, n, __ATOMIC_RELEASE);
  for (size_t i = 0; i < inline_n; ++i) bss->target_cgroup_ids[i] = ids[i];
  __atomic_store_n(&bss->target_cgroup_count, n, __ATOMIC_RELEASE);
}

LostCounts read_lost(int lost_map_fd);

}  // namespace podtrace::tracer
