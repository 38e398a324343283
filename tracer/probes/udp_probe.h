// SPDX-License-Identifier: Apache-2.0
// udp_probe.h: the udp family: UDP packets, bytes and errors per remote endpoint (cgroup_skb and
// socket tracepoints), and drops of the pod's packets with the kernel's reason (skb:kfree_skb).
#pragma once

#include <map>
#include <span>
#include <string>

#include "libbpf_util.h"
#include "probes/cgroup_links.h"
#include "probes/probe.h"
#include "probes/udp_aggregate.h"

struct udp_bpf;

namespace podtrace::tracer {

// `enum skb_drop_reason` of the running kernel from its BTF, without the SKB_DROP_REASON_
// prefix: {2: "NOT_SPECIFIED", 6: "SOCKET_RCVBUFF", ...}. Empty when there is no BTF.
DropReasonNames load_drop_reason_names();

class UdpProbe : public Probe {
 public:
  // The family's BPF object as the tracer embeds it (tracer/core_btf_cache.h).
  static std::span<const unsigned char> bpf_object();
  std::string_view name() const override { return "udp"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  void set_target_cgroups(const std::vector<std::filesystem::path>& paths) override;
  int ringbuf_fd() const override;
  void on_record(const void* data, size_t size, EventSink& sink) override;
  void fill(Report& report) override;
  LostCounts lost() const override;

 private:
  SkeletonPtr<udp_bpf> skel_{nullptr, nullptr};
  std::vector<LinkPtr> tracepoint_links_;
  CgroupLinks egress_, ingress_;
  DropReasonNames reasons_;
};

}  // namespace podtrace::tracer
