// SPDX-License-Identifier: Apache-2.0
// sections/tcp.h: the TCP section: connects, failures, RTT, retransmits and resets per endpoint.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "latency.h"
#include "section.h"

namespace podtrace {

// One remote endpoint: addr:port the pod connected to (outbound), or a client address and the
// pod's local port (inbound).
struct TcpEndpointReport {
  std::string direction;  // "outbound", "inbound"
  std::string address;
  uint16_t port = 0;
  uint64_t connects = 0;  // reached ESTABLISHED
  uint64_t refused = 0;
  uint64_t timed_out = 0;
  uint64_t unreachable = 0;
  uint64_t other_failures = 0;  // aborted by the application before an answer, other errors
  LatencySummary connect_latency;
  LatencySummary rtt;  // smoothed RTT at each RTT sample
  uint64_t rtt_min_us = 0;
  uint64_t retransmits = 0;
  uint64_t rto_events = 0;
  uint64_t resets_sent = 0;
  uint64_t resets_received = 0;
  uint64_t closed = 0;
  uint64_t bytes_sent = 0;      // of closed connections
  uint64_t bytes_received = 0;  // of closed connections
  LatencySummary lifetime;
  bool operator==(const TcpEndpointReport&) const = default;
};

struct TcpReport {
  static constexpr std::string_view kKey = "tcp";
  static constexpr std::string_view kTitle = "TCP";
  LatencySummary connect_latency;  // pod-wide
  LatencySummary rtt;
  LatencySummary lifetime;
  uint64_t connects = 0;
  uint64_t failures = 0;
  uint64_t retransmits = 0;
  uint64_t resets = 0;
  std::vector<TcpEndpointReport> endpoints;  // most time-consuming first
  bool operator==(const TcpReport&) const = default;
};

void to_json(nlohmann::json& j, const TcpEndpointReport& e);
void from_json(const nlohmann::json& j, TcpEndpointReport& e);
void to_json(nlohmann::json& j, const TcpReport& t);
void from_json(const nlohmann::json& j, TcpReport& t);
void render_section(TextWriter& out, const TcpReport& t);
void write_section_metrics(MetricsWriter& out, const TcpReport& t);
void diagnose_section(const TcpReport& t, const DiagnoseThresholds& th, std::vector<Finding>& out);
// Nothing of the pod seen: the text report folds the section into one line.
bool section_quiet(const TcpReport& t);

}  // namespace podtrace
