// SPDX-License-Identifier: Apache-2.0
// tcp_probe.cpp: loads tcp.bpf.c, links its sockops program to the target cgroups, streams
// abnormal events and reads the per-endpoint tables into the report.
#include "probes/tcp_probe.h"

#include <fmt/format.h>

#include <cstring>
#include <set>

#include "histogram.h"
#include "net_endpoint.h"
#include "probes/helper_support.h"
#include "probes/skeleton_loader.h"
#include "tcp.h"
#include "tcp.skel.h"
#include "text.h"

namespace podtrace::tracer {

std::string_view tcp_failure_name(uint32_t failure) {
  switch (failure) {
    case PT_TCP_FAIL_REFUSED:
      return "refused";
    case PT_TCP_FAIL_TIMEOUT:
      return "timeout";
    case PT_TCP_FAIL_UNREACHABLE:
      return "unreachable";
    case PT_TCP_FAIL_OTHER:
      return "other";
  }
  return "unknown";
}

namespace {

std::string_view event_kind_name(uint32_t kind) {
  switch (kind) {
    case PT_TCP_EVENT_SLOW_CONNECT:
      return "slow_connect";
    case PT_TCP_EVENT_CONNECT_FAILED:
      return "connect_failed";
    case PT_TCP_EVENT_RETRANSMIT:
      return "retransmit";
    case PT_TCP_EVENT_RTO:
      return "rto";
    case PT_TCP_EVENT_RESET_SENT:
      return "reset_sent";
    case PT_TCP_EVENT_RESET_RECEIVED:
      return "reset_received";
  }
  return "unknown";
}

}  // namespace

Result<AttachType> TcpProbe::start(const ProbeConfig& config) {
  if (auto f = config.features->probe(AttachType::kCgroupSockops); !f.works)
    return make_error("cgroup sockops: " + f.reason);
  // The sockops program is the family; tcp_send_reset (resets the pod sends) is an extra that
  // uses tp_btf, else raw_tp, else is left out.
  LoadPlan<tcp_bpf> plan{{tcp_bpf__open_opts, tcp_bpf__load, tcp_bpf__destroy},
                         {AttachType::kTpBtf, AttachType::kRawTp},
                         AttachType::kCgroupSockops};
  const CurrentHelpers current = current_helpers(BPF_PROG_TYPE_SOCK_OPS);
  plan.configure = [&](tcp_bpf* s) {
    bpf_program__set_autoload(s->progs.tcp_sockops, true);
    s->rodata->slow_threshold_ns = config.slow_threshold_ns;
    s->rodata->have_current_pid = current.pid;
    s->rodata->have_current_comm = current.comm;
    bpf_program__set_autoload(s->progs.sock_owner_create, current.need_sock_owner());
  };
  plan.attach_extra = [&](tcp_bpf* s) -> Status {
    if (current.need_sock_owner()) {
      // Before sockops, so that every socket sockops sees was created with a record.
      if (auto ok = owners_.update(s->progs.sock_owner_create, config.cgroup_paths); !ok) return ok;
    }
    return sockops_.update(s->progs.tcp_sockops, config.cgroup_paths);
  };
  auto loaded = load_skeleton(plan, *config.features);
  if (!loaded) return loaded.take_error();
  skel_ = std::move(loaded->skel);
  tracepoint_links_ = std::move(loaded->links);
  traced_ids_ = config.cgroup_ids;
  return loaded->attach;
}

void TcpProbe::set_targets(const std::vector<uint64_t>& cgroup_ids) {
  // sockops runs only where it is linked, and the reset hooks filter through the per-socket map:
  // no filter to write. But a cgroup that leaves the target (a restarted container's) takes its
  // sockops link with it, and its sockets still open then would never see the close that deletes
  // their entry: delete them now. Only the entries of cgroups that were traced and are no longer,
  // not of one too new to have been listed yet. (A socket of a removed child cgroup under a root
  // still linked would have seen its close: it loses its lifetime figures, the price of never
  // keeping a stale entry that a reset at a reused address would match.)
  if (!skel_) return;
  const std::set<uint64_t> now(cgroup_ids.begin(), cgroup_ids.end());
  std::set<uint64_t> left;
  for (uint64_t id : traced_ids_)
    if (!now.count(id)) left.insert(id);
  traced_ids_ = cgroup_ids;
  if (left.empty()) return;
  const int fd = bpf_map__fd(skel_->maps.tcp_socks);
  std::vector<uint64_t> gone;
  for_each_map_entry<uint64_t, tcp_sock_state>(fd,
                                               [&](const uint64_t& sock, const tcp_sock_state& st) {
                                                 if (left.count(st.cgroup_id)) gone.push_back(sock);
                                               });
  for (uint64_t sock : gone) bpf_map_delete_elem(fd, &sock);
}

void TcpProbe::set_target_cgroups(const std::vector<std::filesystem::path>& paths) {
  if (!skel_) return;
  // Loaded only where needed (start()).
  if (bpf_program__fd(skel_->progs.sock_owner_create) >= 0)
    (void)owners_.update(skel_->progs.sock_owner_create, paths);
  (void)sockops_.update(skel_->progs.tcp_sockops, paths);
}

int TcpProbe::ringbuf_fd() const { return skel_ ? bpf_map__fd(skel_->maps.events) : -1; }

void TcpProbe::on_record(const void* data, size_t size, EventSink& sink) {
  decode<tcp_event>(data, size, [&](const tcp_event& e) {
    if (!sink.streams("tcp")) return;
    auto j = event_json(e.hdr, "tcp", event_kind_name(e.hdr.kind));
    j["direction"] = e.ep.direction == PT_TCP_DIR_INBOUND ? "inbound" : "outbound";
    j["remote"] = format_endpoint(e.ep.family, e.ep.addr, e.ep.port);
    j["address"] = format_address(e.ep.family, e.ep.addr);
    j["port"] = e.ep.port;
    j["local_port"] = e.local_port;
    switch (e.hdr.kind) {
      case PT_TCP_EVENT_SLOW_CONNECT:
        j["latency_ns"] = e.latency_ns;
        j["srtt_us"] = e.srtt_us;
        break;
      case PT_TCP_EVENT_CONNECT_FAILED:
        j["latency_ns"] = e.latency_ns;
        j["failure"] = tcp_failure_name(e.failure);
        j["errno"] = e.err;
        if (e.err) j["error"] = errno_name(e.err);
        j["syn_retransmits"] = e.total_retrans;
        break;
      case PT_TCP_EVENT_RETRANSMIT:
      case PT_TCP_EVENT_RTO:
        j["srtt_us"] = e.srtt_us;
        j["total_retrans"] = e.total_retrans;
        j["state"] = e.state;
        break;
      case PT_TCP_EVENT_RESET_SENT:
      case PT_TCP_EVENT_RESET_RECEIVED:
        j["connection_age_ns"] = e.latency_ns;
        if (e.err) j["error"] = errno_name(e.err);
        j["bytes_sent"] = e.bytes_sent;
        j["bytes_received"] = e.bytes_received;
        break;
    }
    sink.event(std::move(j));
  });
}

void TcpProbe::fill(Report& report) {
  if (!skel_) return;
  TcpAggregator agg;
  const int ep_fd = bpf_map__fd(skel_->maps.tcp_endpoints);
  for_each_map_entry<tcp_endpoint, tcp_endpoint_stats>(
      ep_fd, [&](const auto& key, const auto& s) { agg.add_stats(key, s); });
  for_each_map_entry<tcp_hist_key, uint64_t>(
      bpf_map__fd(skel_->maps.tcp_ep_hist),
      [&](const auto& key, uint64_t n) { agg.add_hist(key, n); });
  const int global_fd = bpf_map__fd(skel_->maps.tcp_hist);
  for (uint32_t m = 0; m < PT_TCP_METRIC_MAX; ++m)
    agg.set_global_hist(m, read_hist_row(global_fd, m));
  report.set(agg.build());
}

LostCounts TcpProbe::lost() const {
  if (!skel_) return {};
  return read_lost(bpf_map__fd(skel_->maps.lost));
}

std::span<const unsigned char> TcpProbe::bpf_object() {
  return embedded_object(tcp_bpf__elf_bytes);
}

}  // namespace podtrace::tracer
