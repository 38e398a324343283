// SPDX-License-Identifier: Apache-2.0
// dns_probe.cpp: loads dns.bpf.c, links its cgroup_skb programs to the target cgroups, probes
// getaddrinfo() in the target's libc, expires unanswered queries and builds the DNS report.
#include "probes/dns_probe.h"

#include <fmt/format.h>
#include <time.h>

#include <cstdlib>
#include <cstring>

#include "clock.h"
#include "dns.h"
#include "dns.skel.h"
#include "dns_message.h"
#include "elf_functions.h"
#include "histogram.h"
#include "net_endpoint.h"
#include "probes/helper_support.h"
#include "probes/skeleton_loader.h"
#include "probes/uprobe_multi.h"
#include "target_libraries.h"
#include "text.h"

namespace podtrace::tracer {

namespace {

std::string_view transport_name(uint8_t t) { return t == DNS_TRANSPORT_TCP ? "tcp" : "udp"; }

}  // namespace

Result<AttachType> DnsProbe::start(const ProbeConfig& config) {
  if (auto f = config.features->probe(AttachType::kCgroupSkb); !f.works)
    return make_error("cgroup_skb: " + f.reason);
  uprobes_ = config.features->has(AttachType::kUprobe);
  if (!uprobes_)
    lookup_status_ = "uprobes unavailable: " + config.features->probe(AttachType::kUprobe).reason;
  // uprobe_multi links detach without the perf-event path: no grace period under the kernel's
  // event_mutex, where the per-syscall tracepoints of fileio and locks wait in line at stop.
  multi_ = uprobes_ && config.features->has(AttachType::kUprobeMulti);
  if (const char* m = std::getenv("PODTRACE_UPROBE_MULTI"); m && std::string_view(m) == "off")
    multi_ = false;
  // No ladder: the cgroup_skb programs are the family, the getaddrinfo uprobes attach per libc.
  LoadPlan<dns_bpf> plan{
      {dns_bpf__open_opts, dns_bpf__load, dns_bpf__destroy}, {}, AttachType::kCgroupSkb};
  plan.activity_map_fd = config.activity_map_fd;
  const CurrentHelpers current = current_helpers(BPF_PROG_TYPE_CGROUP_SKB);
  plan.configure = [&](dns_bpf* s) {
    bpf_program__set_autoload(s->progs.dns_egress_skb, true);
    bpf_program__set_autoload(s->progs.dns_ingress_skb, true);
    bpf_program__set_autoload(s->progs.gai_enter_uprobe, uprobes_);
    bpf_program__set_autoload(s->progs.gai_exit_uprobe, uprobes_);
    if (multi_)
      for (bpf_program* p : {s->progs.gai_enter_uprobe, s->progs.gai_exit_uprobe})
        bpf_program__set_expected_attach_type(p,
                                              static_cast<bpf_attach_type>(kBpfTraceUprobeMulti));
    s->rodata->slow_threshold_ns = config.slow_threshold_ns;
    s->rodata->have_current_pid = current.pid;
    s->rodata->have_current_comm = current.comm;
    bpf_program__set_autoload(s->progs.sock_owner_create, current.need_sock_owner());
  };
  plan.after_load = [&](dns_bpf* s) { write_targets(s, config.cgroup_ids); };
  plan.attach_extra = [&](dns_bpf* s) -> Status {
    if (current.need_sock_owner()) {
      // Before the packet programs, so that every socket they see was created with a record.
      if (auto ok = owners_.update(s->progs.sock_owner_create, config.cgroup_paths); !ok) return ok;
    }
    if (auto ok = egress_.update(s->progs.dns_egress_skb, config.cgroup_paths); !ok) return ok;
    return ingress_.update(s->progs.dns_ingress_skb, config.cgroup_paths);
  };
  auto loaded = load_skeleton(plan, *config.features);
  if (!loaded) return loaded.take_error();
  skel_ = std::move(loaded->skel);
  cgroup_paths_ = config.cgroup_paths;
  proc_root_ = config.proc_root;
  if (config.dns_timeout_ns) timeout_ns_ = config.dns_timeout_ns;
  return loaded->attach;
}

// The getaddrinfo uprobes wait for the other families (probe.h, all_started).
void DnsProbe::all_started() { attach_libcs(); }

void DnsProbe::set_targets(const std::vector<uint64_t>& ids) {
  if (skel_) write_targets(skel_.get(), ids);
}

void DnsProbe::set_target_cgroups(const std::vector<std::filesystem::path>& paths) {
  if (!skel_) return;
  cgroup_paths_ = paths;
  // Loaded only where needed (start()).
  if (bpf_program__fd(skel_->progs.sock_owner_create) >= 0)
    (void)owners_.update(skel_->progs.sock_owner_create, paths);
  (void)egress_.update(skel_->progs.dns_egress_skb, paths);
  (void)ingress_.update(skel_->progs.dns_ingress_skb, paths);
  attach_libcs();
}

void DnsProbe::attach_libcs() {
  if (!uprobes_ || !skel_) return;
  last_libc_scan_ns_ = monotonic_ns();
  for (const auto& process : read_target_processes(proc_root_, cgroup_paths_)) {
    for (const auto& lib : library_paths(process.maps, is_libc_name)) {
      const auto path = host_path(proc_root_, process.pid, lib);
      FileId id;
      if (!file_id(path, id)) continue;
      if (!probed_libcs_.insert(id).second) continue;
      if (multi_) {
        attach_libc_multi(path, lib);
        continue;
      }
      LIBBPF_OPTS(bpf_uprobe_opts, enter, .func_name = "getaddrinfo");
      LIBBPF_OPTS(bpf_uprobe_opts, exit, .retprobe = true, .func_name = "getaddrinfo");
      // The return probe first: a call caught between the two attaches then has a return and
      // no entry (ignored), never an entry without a return (its thread would stay "in DNS").
      LinkPtr b(bpf_program__attach_uprobe_opts(skel_->progs.gai_exit_uprobe, -1, path.c_str(), 0,
                                                &exit));
      LinkPtr a(b ? bpf_program__attach_uprobe_opts(skel_->progs.gai_enter_uprobe, -1, path.c_str(),
                                                    0, &enter)
                  : nullptr);
      if (!a || !b) {
        lookup_status_ = fmt::format("getaddrinfo uprobe on {}: {}", lib, libbpf_error(-errno));
        continue;
      }
      uprobe_links_.emplace_back(std::move(a));
      uprobe_links_.emplace_back(std::move(b));
    }
  }
}

void DnsProbe::attach_libc_multi(const std::filesystem::path& path, const std::string& lib) {
  auto offsets = function_file_offsets(path, {"getaddrinfo"});
  if (!offsets || !offsets->count("getaddrinfo")) {
    lookup_status_ = fmt::format("no getaddrinfo in {}", lib);
    return;
  }
  const std::vector<uint64_t> at = {offsets->at("getaddrinfo")};
  // The return first, as above. pid 0: every process that maps this file.
  const int ret =
      attach_uprobe_multi(bpf_program__fd(skel_->progs.gai_exit_uprobe), path, at, true, 0);
  if (ret < 0) {
    lookup_status_ = fmt::format("getaddrinfo uprobe_multi on {}: {}", lib, libbpf_error(ret));
    return;
  }
  OwnedLink exit_link = OwnedLink::from_fd(ret);
  const int entry =
      attach_uprobe_multi(bpf_program__fd(skel_->progs.gai_enter_uprobe), path, at, false, 0);
  if (entry < 0) {
    lookup_status_ = fmt::format("getaddrinfo uprobe_multi on {}: {}", lib, libbpf_error(entry));
    return;
  }
  uprobe_links_.push_back(OwnedLink::from_fd(entry));
  uprobe_links_.push_back(std::move(exit_link));
}

int DnsProbe::ringbuf_fd() const { return skel_ ? bpf_map__fd(skel_->maps.events) : -1; }

void DnsProbe::expire_queries(EventSink& sink) {
  const uint64_t now = monotonic_ns();
  const int fd = bpf_map__fd(skel_->maps.dns_inflight);
  std::vector<dns_query_key> old;
  for_each_map_entry<dns_query_key, dns_inflight>(
      fd, [&](const dns_query_key& key, const dns_inflight& q) {
        if (q.ts_ns + timeout_ns_ > now) return;
        old.push_back(key);
        const auto* raw = reinterpret_cast<const uint8_t*>(&q.name);
        expired_[std::vector<uint8_t>(raw, raw + sizeof(q.name))]++;
        pt_event_header h{};
        h.family = PT_FAMILY_DNS;
        h.ts_ns = now;
        h.cgroup_id = q.cgroup_id;
        h.pid = q.pid;
        h.tid = q.tid;
        std::memcpy(h.comm, q.comm, sizeof(h.comm));
        auto j = event_json(h, "dns", "timeout");
        j["name"] = decode_key_name({q.name.qname, sizeof(q.name.qname)}, q.name.truncated);
        j["qtype"] = qtype_name(q.name.qtype);
        j["server"] = format_endpoint(key.family, key.server, DNS_PORT);
        j["transport"] = transport_name(key.transport);
        j["waited_ns"] = now - q.ts_ns;
        sink.event(std::move(j));
      });
  for (const auto& k : old) bpf_map_delete_elem(fd, &k);
}

void DnsProbe::on_record(const void* data, size_t size, EventSink& sink) {
  decode<dns_event>(data, size, [&](const dns_event& e) {
    if (!sink.streams("dns")) return;
    const std::string host = c_string(e.host, sizeof(e.host));
    if (!host.empty() || e.hdr.kind == DNS_EVENT_GAI_FAILED) {
      auto j = event_json(
          e.hdr, "dns", e.hdr.kind == DNS_EVENT_GAI_FAILED ? "getaddrinfo_failed" : "slow_lookup");
      j["host"] = host;
      j["latency_ns"] = e.latency_ns;
      j["queries"] = e.gai_queries;
      if (e.gai_error) j["error"] = gai_error_name(e.gai_error);
      sink.event(std::move(j));
      return;
    }
    const char* kind = e.hdr.kind == DNS_EVENT_ERROR     ? "error"
                       : e.hdr.kind == DNS_EVENT_TIMEOUT ? "timeout"
                                                         : "slow";
    auto j = event_json(e.hdr, "dns", kind);
    j["name"] = decode_key_name({e.name.qname, sizeof(e.name.qname)}, e.name.truncated);
    j["qtype"] = qtype_name(e.name.qtype);
    j["server"] = format_endpoint(e.server_family, e.server, e.server_port);
    j["transport"] = transport_name(e.transport);
    if (e.hdr.kind == DNS_EVENT_TIMEOUT) {
      j["waited_ns"] = e.latency_ns;
      j["retried"] = true;
    } else {
      j["latency_ns"] = e.latency_ns;
      j["rcode"] = rcode_name(e.rcode);
    }
    sink.event(std::move(j));
  });
}

void DnsProbe::flush(EventSink& sink) {
  if (!skel_) return;
  expire_queries(sink);
  // Processes that start later may map a libc we have not probed yet.
  if (uprobes_ && monotonic_ns() - last_libc_scan_ns_ > 2'000'000'000ull) attach_libcs();
}

void DnsProbe::fill(Report& report) {
  if (!skel_) return;
  DnsAggregator agg;
  const int names_fd = bpf_map__fd(skel_->maps.dns_names);
  for_each_map_entry<dns_name_key, dns_name_stats>(
      names_fd, [&](const auto& key, const auto& s) { agg.add_name(key, s); });
  for_each_map_entry<dns_hist_key, uint64_t>(
      bpf_map__fd(skel_->maps.dns_name_hist),
      [&](const auto& key, uint64_t n) { agg.add_hist(key, n); });
  for (const auto& [raw, n] : expired_) {
    dns_name_key k{};
    std::memcpy(&k, raw.data(), std::min(raw.size(), sizeof(k)));
    agg.add_timeouts(k, n);
  }
  for_each_map_entry<dns_query_key, dns_inflight>(
      bpf_map__fd(skel_->maps.dns_inflight),
      [&](const dns_query_key&, const dns_inflight& q) { agg.add_unanswered(q.name, 1); });
  for_each_map_entry<gai_host_key, gai_stats>(
      bpf_map__fd(skel_->maps.gai_hosts),
      [&](const auto& key, const auto& s) { agg.add_lookup(key, s); });
  const int global_fd = bpf_map__fd(skel_->maps.dns_hist);
  agg.set_global_hist(read_hist_row(global_fd, DNS_HIST_ANSWER));
  DnsReport dns = agg.build();
  if (uprobe_links_.empty() && lookup_status_.empty())
    lookup_status_ = "no libc with getaddrinfo found in the target";
  if (uprobe_links_.empty()) dns.lookup_status = lookup_status_;
  report.set(std::move(dns));
}

LostCounts DnsProbe::lost() const {
  if (!skel_) return {};
  return read_lost(bpf_map__fd(skel_->maps.lost));
}

std::span<const unsigned char> DnsProbe::bpf_object() {
  return embedded_object(dns_bpf__elf_bytes);
}

}  // namespace podtrace::tracer
