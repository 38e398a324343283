// SPDX-License-Identifier: Apache-2.0
// sections/udp.cpp: JSON, text, metrics and findings of the UDP section.
#include "sections/udp.h"

#include <fmt/format.h>

#include <set>

#include "json_read.h"
#include "section_util.h"
#include "units.h"

namespace podtrace {

void to_json(nlohmann::json& j, const UdpEndpointReport& e) {
  j = {{"address", e.address},
       {"port", e.port},
       {"packets_sent", e.packets_sent},
       {"bytes_sent", e.bytes_sent},
       {"packets_received", e.packets_received},
       {"bytes_received", e.bytes_received},
       {"errors", e.errors},
       {"receive_errors", e.receive_errors},
       {"last_error", e.last_error}};
}

void from_json(const nlohmann::json& j, UdpEndpointReport& e) {
  read_field(j, "address", e.address);
  read_field(j, "port", e.port);
  read_field(j, "packets_sent", e.packets_sent);
  read_field(j, "bytes_sent", e.bytes_sent);
  read_field(j, "packets_received", e.packets_received);
  read_field(j, "bytes_received", e.bytes_received);
  read_field(j, "errors", e.errors);
  read_field(j, "receive_errors", e.receive_errors);
  read_field(j, "last_error", e.last_error);
}

void to_json(nlohmann::json& j, const DropReport& d) {
  j = {{"reason", d.reason}, {"protocol", d.protocol}, {"count", d.count}};
}

void from_json(const nlohmann::json& j, DropReport& d) {
  read_field(j, "reason", d.reason);
  read_field(j, "protocol", d.protocol);
  read_field(j, "count", d.count);
}

void to_json(nlohmann::json& j, const UdpReport& u) {
  j = {{"endpoints", u.endpoints}, {"drops", u.drops}};
}

void from_json(const nlohmann::json& j, UdpReport& u) {
  read_array(j, "endpoints", u.endpoints);
  read_array(j, "drops", u.drops);
}

void render_section(TextWriter& out, const UdpReport& u) {
  // An idle UDP family is the common case: no section rather than an empty one.
  if (u.endpoints.empty() && u.drops.empty()) return;
  out.section(UdpReport::kTitle);
  if (!u.endpoints.empty()) {
    Table endpoints({{"endpoint", Table::Align::kLeft},
                     {"pkts sent"},
                     {"bytes sent"},
                     {"pkts recv"},
                     {"bytes recv"},
                     {"errors"},
                     {"refused on receive"}});
    for (const auto& e : u.endpoints)
      endpoints.add_row({{endpoint_text(e.address, e.port)},
                         {std::to_string(e.packets_sent)},
                         {format_bytes(e.bytes_sent)},
                         {std::to_string(e.packets_received)},
                         {format_bytes(e.bytes_received)},
                         error_cell(e.errors, e.last_error),
                         error_cell(e.receive_errors)});
    out.table(endpoints);
  }
  if (!u.drops.empty()) {
    Table drops({{"dropped", Table::Align::kLeft}, {"protocol", Table::Align::kLeft}, {"packets"}});
    for (const auto& d : u.drops)
      drops.add_row({{d.reason}, {d.protocol}, {std::to_string(d.count), Tone::kYellow}});
    out.table(drops);
  }
}

void write_section_metrics(MetricsWriter& out, const UdpReport& u) {
  out.family("podtrace_packet_drops_total", "counter",
             "Packets of the pod's sockets the kernel dropped, by drop reason and protocol.");
  for (const auto& d : u.drops)
    out.sample("podtrace_packet_drops_total", {{"reason", d.reason}, {"protocol", d.protocol}},
               d.count);
  out.family("podtrace_udp_packets_total", "counter",
             "UDP datagrams, by remote endpoint and direction.");
  for (const auto& e : u.endpoints)
    for (auto [dir, n] : {std::pair{"sent", e.packets_sent}, {"received", e.packets_received}})
      out.sample("podtrace_udp_packets_total",
                 {{"remote", e.address}, {"port", std::to_string(e.port)}, {"dir", dir}}, n);
  out.family("podtrace_udp_errors_total", "counter",
             "UDP socket errors and datagrams refused on receive, by remote endpoint.");
  for (const auto& e : u.endpoints)
    for (auto [kind, n] : {std::pair{"socket", e.errors}, {"receive_queue", e.receive_errors}})
      out.sample("podtrace_udp_errors_total",
                 {{"remote", e.address}, {"port", std::to_string(e.port)}, {"kind", kind}}, n);
}

namespace {

// Drop reasons of normal operation: data a closing socket never read, duplicates TCP already
// had. They cost the application nothing.
bool benign_drop(const std::string& reason) {
  static const std::set<std::string> benign = {"QUEUE_PURGE", "SOCKET_CLOSE", "TCP_OLD_DATA",
                                               "TCP_OLD_ACK", "DUP_FRAG"};
  return benign.count(reason) != 0;
}

}  // namespace

void diagnose_section(const UdpReport& u, const DiagnoseThresholds&, std::vector<Finding>& out) {
  for (const auto& d : u.drops) {
    if (!d.count) continue;
    if (benign_drop(d.reason))
      out.push_back({"info", "net",
                     fmt::format("{} {} packets discarded in normal operation: {}", d.count,
                                 d.protocol, d.reason),
                     d.reason == "QUEUE_PURGE"
                         ? "a socket closed with data it had not read; nothing was lost in flight"
                         : "duplicates or data of a closing socket; nothing was lost in flight"});
    else
      out.push_back(
          {"warning", "net",
           fmt::format("{} {} packets of the pod dropped: {}", d.count, d.protocol, d.reason), ""});
  }
  for (const auto& e : u.endpoints) {
    const std::string ep = e.address + ":" + std::to_string(e.port);
    if (e.errors)
      out.push_back(
          {"warning", "udp", fmt::format("{} UDP errors with {}: {}", e.errors, ep, e.last_error),
           e.last_error == "ECONNREFUSED" ? "ICMP port unreachable: nothing listens on that port"
                                          : ""});
    if (e.receive_errors)
      out.push_back({"warning", "udp",
                     fmt::format("{} datagrams from {} refused by the pod's receive queue",
                                 e.receive_errors, ep),
                     "the application reads too slowly or its SO_RCVBUF is too small"});
  }
}

bool section_quiet(const UdpReport& u) { return u.endpoints.empty() && u.drops.empty(); }

}  // namespace podtrace
