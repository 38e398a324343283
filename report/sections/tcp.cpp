// SPDX-License-Identifier: Apache-2.0
// sections/tcp.cpp: JSON, text, metrics and findings of the TCP section.
#include "sections/tcp.h"

#include <fmt/format.h>

#include "json_read.h"
#include "metrics_top.h"
#include "section_util.h"
#include "units.h"

namespace podtrace {

void to_json(nlohmann::json& j, const TcpEndpointReport& e) {
  j = {{"direction", e.direction},
       {"address", e.address},
       {"port", e.port},
       {"connects", e.connects},
       {"failures",
        {{"refused", e.refused},
         {"timeout", e.timed_out},
         {"unreachable", e.unreachable},
         {"other", e.other_failures}}},
       {"connect_latency", e.connect_latency},
       {"rtt", e.rtt},
       {"rtt_min_us", e.rtt_min_us},
       {"retransmits", e.retransmits},
       {"rto_events", e.rto_events},
       {"resets_sent", e.resets_sent},
       {"resets_received", e.resets_received},
       {"closed", e.closed},
       {"bytes_sent", e.bytes_sent},
       {"bytes_received", e.bytes_received},
       {"lifetime", e.lifetime}};
}

void from_json(const nlohmann::json& j, TcpEndpointReport& e) {
  read_field(j, "direction", e.direction);
  read_field(j, "address", e.address);
  read_field(j, "port", e.port);
  read_field(j, "connects", e.connects);
  if (const auto* f = json_member(j, "failures")) {
    read_field(*f, "refused", e.refused);
    read_field(*f, "timeout", e.timed_out);
    read_field(*f, "unreachable", e.unreachable);
    read_field(*f, "other", e.other_failures);
  }
  read_object(j, "connect_latency", e.connect_latency);
  read_object(j, "rtt", e.rtt);
  read_field(j, "rtt_min_us", e.rtt_min_us);
  read_field(j, "retransmits", e.retransmits);
  read_field(j, "rto_events", e.rto_events);
  read_field(j, "resets_sent", e.resets_sent);
  read_field(j, "resets_received", e.resets_received);
  read_field(j, "closed", e.closed);
  read_field(j, "bytes_sent", e.bytes_sent);
  read_field(j, "bytes_received", e.bytes_received);
  read_object(j, "lifetime", e.lifetime);
}

void to_json(nlohmann::json& j, const TcpReport& t) {
  j = {{"connects", t.connects},
       {"failures", t.failures},
       {"retransmits", t.retransmits},
       {"resets", t.resets},
       {"connect_latency", t.connect_latency},
       {"rtt", t.rtt},
       {"lifetime", t.lifetime},
       {"endpoints", t.endpoints}};
}

void from_json(const nlohmann::json& j, TcpReport& t) {
  read_field(j, "connects", t.connects);
  read_field(j, "failures", t.failures);
  read_field(j, "retransmits", t.retransmits);
  read_field(j, "resets", t.resets);
  read_object(j, "connect_latency", t.connect_latency);
  read_object(j, "rtt", t.rtt);
  read_object(j, "lifetime", t.lifetime);
  read_array(j, "endpoints", t.endpoints);
}

void render_section(TextWriter& out, const TcpReport& t) {
  out.section(TcpReport::kTitle);
  out.line(fmt::format("{} connects · {} failed · {} retransmits · {} resets", t.connects,
                       t.failures, t.retransmits, t.resets));
  Table latencies = latency_table("latency", "samples", {});
  for (const auto& [name, s] : {std::pair{"connect", &t.connect_latency},
                                {"smoothed RTT", &t.rtt},
                                {"connection lifetime", &t.lifetime}}) {
    if (s->count == 0) continue;
    latencies.add_row(latency_row(name, s->count, *s, {}));
    latencies.add_detail(out.histogram_lines(*s));
  }
  if (latencies.rows()) out.table(latencies);
  if (t.endpoints.empty()) return;
  Table endpoints({{"direction", Table::Align::kLeft},
                   {"endpoint", Table::Align::kLeft},
                   {"connects"},
                   {"failed (refused/timeout/unreach/other)", Table::Align::kLeft},
                   {"connect p50"},
                   {"connect p99"},
                   {"rtt p50"},
                   {"rtt min"},
                   {"retrans/rto"},
                   {"rst sent/recv"},
                   {"closed"},
                   {"sent"},
                   {"received"}});
  for (const auto& e : t.endpoints) {
    const uint64_t failed = e.refused + e.timed_out + e.unreachable + e.other_failures;
    endpoints.add_row({{e.direction},
                       {endpoint_text(e.address, e.port)},
                       {std::to_string(e.connects)},
                       {fmt::format("{} ({}/{}/{}/{})", failed, e.refused, e.timed_out,
                                    e.unreachable, e.other_failures),
                        failed ? Tone::kRed : Tone::kPlain},
                       {e.connect_latency.count ? format_ns(e.connect_latency.p50_ns) : "-"},
                       {e.connect_latency.count ? format_ns(e.connect_latency.p99_ns) : "-"},
                       {e.rtt.count ? format_ns(e.rtt.p50_ns) : "-"},
                       {e.rtt.count ? format_ns(e.rtt_min_us * 1000) : "-"},
                       {fmt::format("{}/{}", e.retransmits, e.rto_events)},
                       {fmt::format("{}/{}", e.resets_sent, e.resets_received)},
                       {std::to_string(e.closed)},
                       {format_bytes(e.bytes_sent)},
                       {format_bytes(e.bytes_received)}});
  }
  out.table(endpoints);
}

void write_section_metrics(MetricsWriter& out, const TcpReport& t) {
  // The busiest endpoints keep their address and port; the rest are remote="other".
  std::vector<uint64_t> weights;
  for (const auto& e : t.endpoints)
    weights.push_back(e.connects + e.refused + e.timed_out + e.unreachable + e.other_failures +
                      e.retransmits + e.resets_sent + e.resets_received + e.rtt.count);
  const std::vector<bool> keep = top_entities(weights, out.top());
  auto labels = [&](size_t i) -> Labels {
    const auto& e = t.endpoints[i];
    Labels l = {
        {"direction", e.direction}, {"remote", e.address}, {"port", std::to_string(e.port)}};
    return keep[i] ? l : fold_labels(l, {"direction"});
  };
  SummedSeries connect, srtt, failures, retransmits, resets, bytes;
  for (size_t i = 0; i < t.endpoints.size(); ++i) {
    const auto& e = t.endpoints[i];
    const Labels l = labels(i);
    if (e.connect_latency.count)
      connect.add_histogram(l, e.connect_latency,
                            e.connect_latency.mean_ns * e.connect_latency.count);
    if (e.rtt.count) srtt.add_histogram(l, e.rtt, e.rtt.mean_ns * e.rtt.count);
    for (auto [reason, n] : {std::pair{"refused", e.refused},
                             {"timeout", e.timed_out},
                             {"unreachable", e.unreachable},
                             {"other", e.other_failures}}) {
      Labels with = l;
      with.emplace_back("reason", reason);
      failures.add(with, n);
    }
    retransmits.add(l, e.retransmits);
    for (auto [side, n] : {std::pair{"sent", e.resets_sent}, {"received", e.resets_received}}) {
      Labels with = l;
      with.emplace_back("side", side);
      resets.add(with, n);
    }
    for (auto [dir, n] : {std::pair{"sent", e.bytes_sent}, {"received", e.bytes_received}}) {
      Labels with = l;
      with.emplace_back("dir", dir);
      bytes.add(with, n);
    }
  }
  out.family("podtrace_tcp_connect_latency_seconds", "histogram",
             "TCP connect latency, by remote endpoint.");
  connect.write(out, "podtrace_tcp_connect_latency_seconds");
  out.family("podtrace_tcp_srtt_seconds", "histogram",
             "Smoothed round-trip time of the pod's TCP connections, by remote endpoint.");
  srtt.write(out, "podtrace_tcp_srtt_seconds");
  out.family("podtrace_tcp_connect_failures_total", "counter",
             "Failed TCP connects, by remote endpoint and reason.");
  failures.write(out, "podtrace_tcp_connect_failures_total");
  out.family("podtrace_tcp_retransmits_total", "counter",
             "TCP segments retransmitted, by remote endpoint.");
  retransmits.write(out, "podtrace_tcp_retransmits_total");
  out.family("podtrace_tcp_resets_total", "counter", "TCP resets, by remote endpoint and side.");
  resets.write(out, "podtrace_tcp_resets_total");
  out.family("podtrace_tcp_bytes_total", "counter",
             "Bytes of closed TCP connections, by remote endpoint and direction.");
  bytes.write(out, "podtrace_tcp_bytes_total");
}

void diagnose_section(const TcpReport& t, const DiagnoseThresholds&, std::vector<Finding>& out) {
  for (const auto& e : t.endpoints) {
    const std::string where =
        fmt::format("{} {}:{}", e.direction == "inbound" ? "from" : "to", e.address, e.port);
    const uint64_t failed = e.refused + e.timed_out + e.unreachable;
    if (failed)
      out.push_back(
          {e.connects ? "warning" : "critical", "tcp",
           fmt::format("{} of {} connects {} failed", failed, failed + e.connects, where),
           fmt::format("{} refused (nothing listening), {} timed out (SYNs unanswered), {} "
                       "unreachable",
                       e.refused, e.timed_out, e.unreachable)});
    if (e.connect_latency.count && e.connect_latency.p99_ns >= 100'000'000)
      out.push_back(
          {"warning", "tcp",
           fmt::format("slow TCP connects {}: p99 {}", where, format_ns(e.connect_latency.p99_ns)),
           fmt::format("p50 {}, smoothed RTT p50 {}: {}", format_ns(e.connect_latency.p50_ns),
                       format_ns(e.rtt.p50_ns),
                       e.rtt.p50_ns * 2 < e.connect_latency.p50_ns
                           ? "connects are slower than the RTT: SYN loss or an overloaded accept "
                             "queue"
                           : "the network path is slow")});
    if (e.retransmits + e.rto_events >= 10)
      out.push_back({"warning", "tcp", fmt::format("{} retransmits {}", e.retransmits, where),
                     fmt::format("{} retransmission timeouts; packets are being lost on the path",
                                 e.rto_events)});
    if (e.resets_received)
      out.push_back({"warning", "tcp",
                     fmt::format("{} connections {} reset by the peer", e.resets_received, where),
                     "the remote side aborted: crashed, restarted, or closed with unread data"});
  }
}

bool section_quiet(const TcpReport& t) {
  return t.endpoints.empty() && t.connects == 0 && t.failures == 0 && t.retransmits == 0 &&
         t.resets == 0;
}

}  // namespace podtrace
