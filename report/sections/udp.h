// SPDX-License-Identifier: Apache-2.0
// sections/udp.h: the UDP section: traffic and errors per endpoint, and the pod's dropped
// packets by kernel drop reason.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "section.h"

namespace podtrace {

struct UdpEndpointReport {
  std::string address;
  uint16_t port = 0;
  uint64_t packets_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t packets_received = 0;
  uint64_t bytes_received = 0;
  uint64_t errors = 0;          // socket errors: ICMP unreachable on a connected socket...
  uint64_t receive_errors = 0;  // datagrams from this sender the receive queue refused
  std::string last_error;       // e.g. "ECONNREFUSED"
  bool operator==(const UdpEndpointReport&) const = default;
};

struct DropReport {
  std::string reason;    // the kernel's skb drop reason, e.g. "NETFILTER_DROP"
  std::string protocol;  // "tcp", "udp", "other"
  uint64_t count = 0;
  bool operator==(const DropReport&) const = default;
};

struct UdpReport {
  static constexpr std::string_view kKey = "udp";
  static constexpr std::string_view kTitle = "UDP and packet drops";
  std::vector<UdpEndpointReport> endpoints;
  std::vector<DropReport> drops;
  bool operator==(const UdpReport&) const = default;
};

void to_json(nlohmann::json& j, const UdpEndpointReport& e);
void from_json(const nlohmann::json& j, UdpEndpointReport& e);
void to_json(nlohmann::json& j, const DropReport& d);
void from_json(const nlohmann::json& j, DropReport& d);
void to_json(nlohmann::json& j, const UdpReport& u);
void from_json(const nlohmann::json& j, UdpReport& u);
void render_section(TextWriter& out, const UdpReport& u);
void write_section_metrics(MetricsWriter& out, const UdpReport& u);
void diagnose_section(const UdpReport& u, const DiagnoseThresholds& t, std::vector<Finding>& out);
// Nothing of the pod seen: the text report folds the section into one line.
bool section_quiet(const UdpReport& u);

}  // namespace podtrace
