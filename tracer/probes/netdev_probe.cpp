// SPDX-License-Identifier: Apache-2.0
// netdev_probe.cpp: loads netdev.bpf.c and turns its per-device map into the report.
#include "probes/netdev_probe.h"

#include "cgroup.h"
#include "netdev.h"
#include "netdev.skel.h"
#include "probes/netdev_aggregate.h"

namespace podtrace::tracer {

Result<AttachType> NetdevProbe::start(const ProbeConfig& config) {
  const SkeletonOps<netdev_bpf> ops{netdev_bpf__open_opts, netdev_bpf__load, netdev_bpf__destroy};
  auto loaded = load_first_working<netdev_bpf>(
      ops, config, {AttachType::kTpBtf, AttachType::kRawTp, AttachType::kTracepoint},
      [](netdev_bpf*) {}, [&](netdev_bpf* s) { write_targets(s, config.cgroup_ids); });
  if (!loaded) return make_error(loaded.error());
  loaded_ = std::move(*loaded);
  set_target_cgroups(config.cgroup_paths);
  return loaded_.attach;
}

void NetdevProbe::set_targets(const std::vector<uint64_t>& ids) {
  if (loaded_.skel) write_targets(loaded_.skel.get(), ids);
}

void NetdevProbe::set_target_cgroups(const std::vector<std::filesystem::path>& paths) {
  for (const auto& path : paths)
    if (auto id = cgroup_id_of(path)) cgroup_names_[*id] = path.string();
}

void NetdevProbe::fill(Report& report) {
  if (!loaded_.skel) return;
  std::vector<NetdevRow> rows;
  for_each_map_entry<netdev_xmit_key, netdev_xmit_stats>(
      bpf_map__fd(loaded_.skel->maps.xmit_errors),
      [&](const netdev_xmit_key& k, const netdev_xmit_stats& s) {
        rows.push_back({k, s});
      });
  report.set(aggregate_netdev(rows, cgroup_names_));
}

LostCounts NetdevProbe::lost() const {
  if (!loaded_.skel) return {};
  return read_lost(bpf_map__fd(loaded_.skel->maps.lost));
}

std::span<const unsigned char> NetdevProbe::bpf_object() {
  return embedded_object(netdev_bpf__elf_bytes);
}

}  // namespace podtrace::tracer
