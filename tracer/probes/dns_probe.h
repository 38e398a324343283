// SPDX-License-Identifier: Apache-2.0
// dns_probe.h: the dns family: every query and answer of the pod parsed from its packets
// (cgroup_skb), and getaddrinfo() in the pod's own libc (uprobe).
#pragma once

#include <map>
#include <set>
#include <span>
#include <utility>

#include "libbpf_util.h"
#include "probes/cgroup_links.h"
#include "probes/link_reaper.h"
#include "probes/probe.h"
#include "target_libraries.h"

struct dns_bpf;

namespace podtrace::tracer {

class DnsProbe : public Probe {
 public:
  // The family's BPF object as the tracer embeds it (tracer/core_btf_cache.h).
  static std::span<const unsigned char> bpf_object();
  std::string_view name() const override { return "dns"; }
  Result<AttachType> start(const ProbeConfig& config) override;
  void all_started() override;
  void set_targets(const std::vector<uint64_t>& cgroup_ids) override;
  void set_target_cgroups(const std::vector<std::filesystem::path>& paths) override;
  int ringbuf_fd() const override;
  void flush(EventSink& sink) override;
  void on_record(const void* data, size_t size, EventSink& sink) override;
  void fill(Report& report) override;
  LostCounts lost() const override;

 private:
  // Finds the libc of every process in the target and puts the getaddrinfo probes on the ones
  // not yet probed (by device and inode, so one host libc is probed once).
  void attach_libcs();
  // The same with one uprobe_multi link per program (Linux 6.9+, attach type kUprobeMulti).
  void attach_libc_multi(const std::filesystem::path& path, const std::string& lib);
  void expire_queries(EventSink& sink);

  SkeletonPtr<dns_bpf> skel_{nullptr, nullptr};
  CgroupLinks egress_, ingress_;
  CgroupLinks owners_;  // sock_owner.bpf.h, on kernels whose cgroup_skb cannot ask for `current`
  std::vector<OwnedLink> uprobe_links_;
  std::set<FileId> probed_libcs_;
  std::vector<std::filesystem::path> cgroup_paths_;
  std::filesystem::path proc_root_ = "/proc";
  bool uprobes_ = false;
  bool multi_ = false;  // getaddrinfo on uprobe_multi links
  std::string lookup_status_;
  uint64_t timeout_ns_ = 5'000'000'000;
  uint64_t last_libc_scan_ns_ = 0;
  // Queries user space expired, by the raw name key.
  std::map<std::vector<uint8_t>, uint64_t> expired_;
};

}  // namespace podtrace::tracer
