// SPDX-License-Identifier: Apache-2.0
// tcp_probe.h: the tcp family: connect latency and failures, RTT, retransmits, resets, bytes and
// lifetimes per remote endpoint, from sockops attached to the pod's cgroups.
#pragma once

#include <span>

#include "libbpf_util.h"
#include "probes/cgroup_links.h"
#include "probes/probe.h"

struct tcp_bpf;

namespace podtrace::tracer {

class TcpProbe : public Probe {
 public:
  // The family's BPF object as the tracer embeds it (tracer/core_btf_cache.h).
  static std::span<const unsigned char> bpf_object();
  std::string_view name() const override { return "tcp"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  void set_target_cgroups(const std::vector<std::filesystem::path>& paths) override;
  int ringbuf_fd() const override;
  void on_record(const void* data, size_t size, EventSink& sink) override;
  void fill(Report& report) override;
  LostCounts lost() const override;

 private:
  SkeletonPtr<tcp_bpf> skel_{nullptr, nullptr};
  std::vector<LinkPtr> tracepoint_links_;
  CgroupLinks sockops_;
  CgroupLinks owners_;  // sock_owner.bpf.h, on kernels whose sockops cannot ask for `current`
  std::vector<uint64_t> traced_ids_;  // the cgroup ids of the last start() or set_targets()
};

std::string_view tcp_failure_name(uint32_t failure);

}  // namespace podtrace::tracer
