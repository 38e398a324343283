// SPDX-License-Identifier: Apache-2.0
// net_endpoint.cpp: address formatting, covering cgroups and TCP per-endpoint aggregation.
#include "net_endpoint.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "histogram.h"

namespace podtrace::tracer {

std::string format_address(uint8_t family, const uint8_t addr[16]) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family == PT_AF_INET6) {
    inet_ntop(AF_INET6, addr, buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET, addr, buf, sizeof(buf));
  }
  return buf;
}

std::string format_endpoint(uint8_t family, const uint8_t addr[16], uint16_t port) {
  const std::string a = format_address(family, addr);
  return (family == PT_AF_INET6 ? "[" + a + "]" : a) + ":" + std::to_string(port);
}

std::vector<std::filesystem::path> covering_cgroups(std::vector<std::filesystem::path> paths) {
  for (auto& p : paths) p = p.lexically_normal();
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  std::vector<std::filesystem::path> out;
  for (const auto& p : paths) {
    bool covered = false;
    for (const auto& kept : out) {
      // `kept` is an ancestor when p starts with all of its components.
      auto [k, q] = std::mismatch(kept.begin(), kept.end(), p.begin(), p.end());
      if (k == kept.end() && q != p.end()) covered = true;
    }
    if (!covered) out.push_back(p);
  }
  return out;
}

TcpAggregator::Key TcpAggregator::key_of(const tcp_endpoint& ep) {
  Key k{ep.family, ep.direction, ep.port, {}};
  std::memcpy(k.addr.data(), ep.addr, 16);
  return k;
}

void TcpAggregator::add_stats(const tcp_endpoint& ep, const tcp_endpoint_stats& s) {
  auto& e = entries_[key_of(ep)];
  e.ep = ep;
  auto& t = e.stats;
  const bool first = t.connects == 0 && t.rtt_samples == 0 && t.closed == 0;
  t.connects += s.connects;
  t.connect_ns_total += s.connect_ns_total;
  t.connect_ns_max = std::max(t.connect_ns_max, s.connect_ns_max);
  for (int i = 0; i < PT_TCP_FAIL_MAX; ++i) t.failures[i] += s.failures[i];
  t.rtt_samples += s.rtt_samples;
  t.rtt_us_total += s.rtt_us_total;
  t.rtt_us_max = std::max(t.rtt_us_max, s.rtt_us_max);
  t.rtt_us_min = first ? s.rtt_us_min : std::min(t.rtt_us_min, s.rtt_us_min);
  t.retransmits += s.retransmits;
  t.rto_events += s.rto_events;
  t.resets_sent += s.resets_sent;
  t.resets_received += s.resets_received;
  t.closed += s.closed;
  t.bytes_sent += s.bytes_sent;
  t.bytes_received += s.bytes_received;
  t.lifetime_ns_total += s.lifetime_ns_total;
  t.lifetime_ns_max = std::max(t.lifetime_ns_max, s.lifetime_ns_max);
}

void TcpAggregator::add_hist(const tcp_hist_key& key, uint64_t count) {
  if (key.metric >= PT_TCP_METRIC_MAX || key.slot >= PT_HIST_SLOTS) return;
  auto& e = entries_[key_of(key.ep)];
  e.ep = key.ep;
  auto& slots = e.hist[key.metric];
  slots.resize(PT_HIST_SLOTS);
  slots[key.slot] += count;
}

void TcpAggregator::set_global_hist(uint32_t metric, std::vector<uint64_t> slots) {
  global_[metric] = std::move(slots);
}

TcpReport TcpAggregator::build() const {
  TcpReport r;
  auto summary = [](const std::map<uint32_t, std::vector<uint64_t>>& h, uint32_t metric,
                    uint64_t total, uint64_t max) {
    auto it = h.find(metric);
    if (it == h.end()) return LatencySummary{};
    return summarize(it->second, total, max);
  };
  for (const auto& [key, e] : entries_) {
    const auto& s = e.stats;
    TcpEndpointReport x;
    x.direction = e.ep.direction == PT_TCP_DIR_INBOUND ? "inbound" : "outbound";
    x.address = format_address(e.ep.family, e.ep.addr);
    x.port = e.ep.port;
    x.connects = s.connects;
    x.refused = s.failures[PT_TCP_FAIL_REFUSED];
    x.timed_out = s.failures[PT_TCP_FAIL_TIMEOUT];
    x.unreachable = s.failures[PT_TCP_FAIL_UNREACHABLE];
    x.other_failures = s.failures[PT_TCP_FAIL_OTHER];
    x.connect_latency =
        summary(e.hist, PT_TCP_METRIC_CONNECT, s.connect_ns_total, s.connect_ns_max);
    x.rtt = summary(e.hist, PT_TCP_METRIC_RTT, s.rtt_us_total * 1000, s.rtt_us_max * 1000);
    x.rtt_min_us = s.rtt_samples ? s.rtt_us_min : 0;
    x.retransmits = s.retransmits;
    x.rto_events = s.rto_events;
    x.resets_sent = s.resets_sent;
    x.resets_received = s.resets_received;
    x.closed = s.closed;
    x.bytes_sent = s.bytes_sent;
    x.bytes_received = s.bytes_received;
    x.lifetime = summary(e.hist, PT_TCP_METRIC_LIFETIME, s.lifetime_ns_total, s.lifetime_ns_max);
    r.connects += x.connects;
    r.failures += x.refused + x.timed_out + x.unreachable + x.other_failures;
    r.retransmits += x.retransmits;
    r.resets += x.resets_sent + x.resets_received;
    r.endpoints.push_back(std::move(x));
  }
  // The global histograms carry no exact sums; means come from the endpoints.
  uint64_t connect_total = 0, connect_max = 0, rtt_total = 0, rtt_max = 0, life_total = 0,
           life_max = 0;
  for (const auto& [key, e] : entries_) {
    connect_total += e.stats.connect_ns_total;
    connect_max = std::max<uint64_t>(connect_max, e.stats.connect_ns_max);
    rtt_total += e.stats.rtt_us_total * 1000;
    rtt_max = std::max<uint64_t>(rtt_max, e.stats.rtt_us_max * 1000);
    life_total += e.stats.lifetime_ns_total;
    life_max = std::max<uint64_t>(life_max, e.stats.lifetime_ns_max);
  }
  r.connect_latency = summary(global_, PT_TCP_METRIC_CONNECT, connect_total, connect_max);
  r.rtt = summary(global_, PT_TCP_METRIC_RTT, rtt_total, rtt_max);
  r.lifetime = summary(global_, PT_TCP_METRIC_LIFETIME, life_total, life_max);
  auto failures = [](const TcpEndpointReport& x) {
    return x.refused + x.timed_out + x.unreachable + x.other_failures + x.retransmits +
           x.resets_received;
  };
  std::sort(r.endpoints.begin(), r.endpoints.end(), [&](const auto& a, const auto& b) {
    if (failures(a) != failures(b)) return failures(a) > failures(b);
    return a.connect_latency.mean_ns * a.connect_latency.count >
           b.connect_latency.mean_ns * b.connect_latency.count;
  });
  return r;
}

}  // namespace podtrace::tracer
