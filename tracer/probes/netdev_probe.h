// SPDX-License-Identifier: Apache-2.0
// netdev_probe.h: the netdev family: packets a network device's driver refused (net_dev_xmit
// with a non-zero rc), the pod's own (by the sending socket's cgroup) and node-wide.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>

#include "probes/probe.h"
#include "probes/skeleton_loader.h"

struct netdev_bpf;

namespace podtrace::tracer {

class NetdevProbe : public Probe {
 public:
  // The family's BPF object as the tracer embeds it (tracer/core_btf_cache.h).
  static std::span<const unsigned char> bpf_object();
  std::string_view name() const override { return "netdev"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  void set_target_cgroups(const std::vector<std::filesystem::path>& paths) override;
  void flush(EventSink&) override {}
  void fill(Report& report) override;
  LostCounts lost() const override;

 private:
  LoadedSkeleton<netdev_bpf> loaded_;
  // Every target cgroup seen during the trace, by id: rows keep their name after a restart.
  std::map<uint64_t, std::string> cgroup_names_;
};

}  // namespace podtrace::tracer
