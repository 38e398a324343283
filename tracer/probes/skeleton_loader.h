// SPDX-License-Identifier: Apache-2.0
// skeleton_loader.h: open -> configure -> load -> attach for one family's skeleton, trying the
// attach types it supports in order of preference. Programs are named <handler>_<suffix>, where
// the suffix names the attach type (_btf, _raw); only the chosen suffix is loaded.
#pragma once

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kernel_features.h"
#include "libbpf_util.h"
#include "podtrace_common.h"
#include "probes/probe.h"

namespace podtrace::tracer {

std::string_view program_suffix(AttachType type);

// Enables exactly the programs whose name ends in the suffix of `type`.
void select_programs(bpf_object* obj, AttachType type);

// Attaches every program that is set to load. On error, `links` is cleared.
Status attach_selected(bpf_object* obj, std::vector<LinkPtr>& links);

template <typename Skel>
struct LoadedSkeleton {
  SkeletonPtr<Skel> skel{nullptr, nullptr};
  std::vector<LinkPtr> links;
  AttachType attach{};
};

template <typename Skel>
struct SkeletonOps {
  Skel* (*open)();
  int (*load)(Skel*);
  void (*destroy)(Skel*);
};

// Tries each preferred attach type the kernel supports; returns the first that loads and attaches.
// `configure` sets rodata before load; `after_load` fills maps (targets) before attach, so the
// programs never run unfiltered.
template <typename Skel>
Result<LoadedSkeleton<Skel>> load_first_working(
    const SkeletonOps<Skel>& ops, const ProbeConfig& config, std::vector<AttachType> preferred,
    const std::function<void(Skel*)>& configure, const std::function<void(Skel*)>& after_load) {
  std::string why;
  for (AttachType type : preferred) {
    auto feature = config.features->probe(type);
    if (!feature.works) {
      why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", attach_type_name(type), feature.reason);
      continue;
    }
    LoadedSkeleton<Skel> loaded;
    loaded.skel = SkeletonPtr<Skel>(ops.open(), ops.destroy);
    if (!loaded.skel) return make_error("cannot open BPF object: " + libbpf_error(-errno));
    select_programs(loaded.skel->obj, type);
    configure(loaded.skel.get());
    if (int err = ops.load(loaded.skel.get()); err) {
      why += fmt::format("{}{}: load: {}", why.empty() ? "" : "; ", attach_type_name(type),
                         libbpf_error(err));
      continue;
    }
    after_load(loaded.skel.get());
    if (auto ok = attach_selected(loaded.skel->obj, loaded.links); !ok) {
      why += fmt::format("{}{}: {}", why.empty() ? "" : "; ", attach_type_name(type), ok.error());
      continue;
    }
    loaded.attach = type;
    return loaded;
  }
  return make_error(why.empty() ? "no supported attach type" : why);
}

// Writes the target cgroup ids into a skeleton's .bss. Ids are written before the count, so a
// program running concurrently sees either the old prefix or the new set.
template <typename Bss>
void write_targets(Bss* bss, const std::vector<uint64_t>& ids) {
  const size_t n = std::min(ids.size(), size_t{PT_MAX_TARGET_CGROUPS});
  if (n < bss->target_cgroup_count) __atomic_store_n(&bss->target_cgroup_count, n, __ATOMIC_RELEASE);
  for (size_t i = 0; i < n; ++i) bss->target_cgroup_ids[i] = ids[i];
  __atomic_store_n(&bss->target_cgroup_count, n, __ATOMIC_RELEASE);
}

LostCounts read_lost(int lost_map_fd);

}  // namespace podtrace::tracer
