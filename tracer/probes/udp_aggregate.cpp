// SPDX-License-Identifier: Apache-2.0
// udp_aggregate.cpp: the UDP section from map entries.
#include "probes/udp_aggregate.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "net_endpoint.h"
#include "text.h"

namespace podtrace::tracer {

std::string drop_reason_name(const DropReasonNames& names, uint32_t reason) {
  if (auto it = names.find(reason); it != names.end()) return it->second;
  // Subsystem reasons (the high 16 bits name a subsystem) are not in the core enum.
  return fmt::format("reason {}", reason);
}

std::string_view udp_protocol_name(uint32_t p) {
  switch (p) {
    case UDP_PROTO_TCP:
      return "tcp";
    case UDP_PROTO_UDP:
      return "udp";
  }
  return "other";
}

UdpReport aggregate_udp(const std::vector<std::pair<udp_endpoint, udp_endpoint_stats>>& endpoints,
                        const std::vector<std::pair<udp_drop_key, udp_drop_stats>>& drops,
                        const DropReasonNames& reasons) {
  UdpReport u;
  for (const auto& [key, s] : endpoints) {
    UdpEndpointReport r;
    r.address = format_address(key.family, key.addr);
    r.port = key.port;
    r.packets_sent = s.packets_sent;
    r.bytes_sent = s.bytes_sent;
    r.packets_received = s.packets_received;
    r.bytes_received = s.bytes_received;
    r.errors = s.errors;
    r.receive_errors = s.receive_errors;
    if (s.last_errno) r.last_error = errno_name(static_cast<int>(s.last_errno));
    u.endpoints.push_back(std::move(r));
  }
  std::sort(u.endpoints.begin(), u.endpoints.end(), [](const auto& a, const auto& b) {
    const uint64_t x = a.bytes_sent + a.bytes_received, y = b.bytes_sent + b.bytes_received;
    if (x != y) return x > y;
    return std::tie(a.address, a.port) < std::tie(b.address, b.port);
  });
  for (const auto& [key, s] : drops)
    if (s.count)
      u.drops.push_back({drop_reason_name(reasons, key.reason),
                         std::string(udp_protocol_name(key.protocol)), s.count});
  std::sort(u.drops.begin(), u.drops.end(), [](const auto& a, const auto& b) {
    if (a.count != b.count) return a.count > b.count;
    return std::tie(a.reason, a.protocol) < std::tie(b.reason, b.protocol);
  });
  return u;
}

}  // namespace podtrace::tracer
