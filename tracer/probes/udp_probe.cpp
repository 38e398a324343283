// SPDX-License-Identifier: Apache-2.0
// udp_probe.cpp: loads udp.bpf.c, links its cgroup_skb programs to the target cgroups, attaches
// the drop and error tracepoints (tp_btf, else raw_tp), streams drops and errors and reads the
// per-endpoint and per-reason tables into the report.
#include "probes/udp_probe.h"

#include <bpf/btf.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "net_endpoint.h"
#include "probes/skeleton_loader.h"
#include "text.h"
#include "udp.h"
#include "udp.skel.h"

namespace podtrace::tracer {

std::map<uint32_t, std::string> load_drop_reason_names() {
  std::map<uint32_t, std::string> names;
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return names;
  const int id = btf__find_by_name_kind(vmlinux, "skb_drop_reason", BTF_KIND_ENUM);
  if (id > 0) {
    const btf_type* t = btf__type_by_id(vmlinux, id);
    const struct btf_enum* e = btf_enum(t);
    for (uint16_t i = 0; i < btf_vlen(t); ++i, ++e) {
      std::string_view name = btf__name_by_offset(vmlinux, e->name_off);
      constexpr std::string_view kPrefix = "SKB_DROP_REASON_";
      if (name.starts_with(kPrefix)) name.remove_prefix(kPrefix.size());
      names[static_cast<uint32_t>(e->val)] = std::string(name);
    }
  }
  btf__free(vmlinux);
  return names;
}

Result<AttachType> UdpProbe::start(const ProbeConfig& config) {
  if (auto f = config.features->probe(AttachType::kCgroupSkb); !f.works)
    return make_error("cgroup_skb: " + f.reason);
  // The cgroup_skb counters are the family; drops and errors need tp_btf or raw_tp.
  LoadPlan<udp_bpf> plan{{udp_bpf__open_opts, udp_bpf__load, udp_bpf__destroy},
                         {AttachType::kTpBtf, AttachType::kRawTp},
                         std::nullopt};
  plan.configure = [](udp_bpf* s) {
    bpf_program__set_autoload(s->progs.udp_egress_skb, true);
    bpf_program__set_autoload(s->progs.udp_ingress_skb, true);
  };
  // Targets before attach: the tracepoints never run unfiltered.
  plan.after_load = [&](udp_bpf* s) { write_targets(s, config.cgroup_ids); };
  plan.attach_extra = [&](udp_bpf* s) -> Status {
    if (auto r = egress_.update(s->progs.udp_egress_skb, config.cgroup_paths); !r) return r;
    return ingress_.update(s->progs.udp_ingress_skb, config.cgroup_paths);
  };
  auto loaded = load_skeleton(plan, *config.features);
  if (!loaded) return loaded.take_error();
  skel_ = std::move(loaded->skel);
  tracepoint_links_ = std::move(loaded->links);
  reasons_ = load_drop_reason_names();
  return loaded->attach;
}

void UdpProbe::set_targets(const std::vector<uint64_t>& ids) {
  if (skel_) write_targets(skel_.get(), ids);
}

void UdpProbe::set_target_cgroups(const std::vector<std::filesystem::path>& paths) {
  if (!skel_) return;
  (void)egress_.update(skel_->progs.udp_egress_skb, paths);
  (void)ingress_.update(skel_->progs.udp_ingress_skb, paths);
}

int UdpProbe::ringbuf_fd() const { return skel_ ? bpf_map__fd(skel_->maps.events) : -1; }

void UdpProbe::on_record(const void* data, size_t size, EventSink& sink) {
  decode<udp_event>(data, size, [&](const udp_event& e) {
    if (!sink.streams("udp")) return;
    const bool drop = e.hdr.kind == PT_UDP_EVENT_DROP;
    auto j = event_json(e.hdr, "udp", drop ? "drop" : "socket_error");
    j["protocol"] = udp_protocol_name(e.protocol);
    if (e.ep.family == UDP_AF_INET || e.ep.family == UDP_AF_INET6) {
      j["remote"] = format_endpoint(e.ep.family, e.ep.addr, e.ep.port);
      j["address"] = format_address(e.ep.family, e.ep.addr);
      j["port"] = e.ep.port;
    }
    j["local_port"] = e.local_port;
    if (drop) {
      j["reason"] = drop_reason_name(reasons_, e.reason);
      j["reason_code"] = e.reason;
      j["count"] = e.count;  // drops of this reason and protocol so far (events are rate-limited)
    } else {
      j["errno"] = e.err;
      if (e.err) j["error"] = errno_name(static_cast<int>(e.err));
    }
    sink.event(std::move(j));
  });
}

void UdpProbe::fill(Report& report) {
  if (!skel_) return;
  std::vector<std::pair<udp_endpoint, udp_endpoint_stats>> endpoints;
  for_each_map_entry<udp_endpoint, udp_endpoint_stats>(
      bpf_map__fd(skel_->maps.udp_endpoints),
      [&](const auto& key, const auto& s) { endpoints.emplace_back(key, s); });
  std::vector<std::pair<udp_drop_key, udp_drop_stats>> drops;
  for_each_map_entry<udp_drop_key, udp_drop_stats>(
      bpf_map__fd(skel_->maps.udp_drops),
      [&](const auto& key, const auto& s) { drops.emplace_back(key, s); });
  report.set(aggregate_udp(endpoints, drops, reasons_));
}

LostCounts UdpProbe::lost() const {
  if (!skel_) return {};
  return read_lost(bpf_map__fd(skel_->maps.lost));
}

std::span<const unsigned char> UdpProbe::bpf_object() {
  return embedded_object(udp_bpf__elf_bytes);
}

}  // namespace podtrace::tracer
