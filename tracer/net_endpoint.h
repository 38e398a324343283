// SPDX-License-Identifier: Apache-2.0
// net_endpoint.h: pure network logic: addresses as text, which cgroups to attach to, and the
// kernel's per-endpoint TCP tables turned into the report. Needs no root; unit-tested.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "sections/tcp.h"
#include "tcp.h"

namespace podtrace::tracer {

// "10.0.0.1", "2001:db8::1"; IPv4 in the first 4 bytes, network order.
std::string format_address(uint8_t family, const uint8_t addr[16]);
// "10.0.0.1:53", "[2001:db8::1]:53".
std::string format_endpoint(uint8_t family, const uint8_t addr[16], uint16_t port);

// Programs attached to a cgroup also run for its descendants. Attaching to a target cgroup and
// to its child would run them twice for the child's sockets, so attach only to the target
// cgroups that have no ancestor in the set. Sorted, without duplicates.
std::vector<std::filesystem::path> covering_cgroups(std::vector<std::filesystem::path> paths);

// Collects the tcp_endpoints and tcp_ep_hist maps of tcp.bpf.c (or anything shaped like them)
// and builds the TCP report section.
class TcpAggregator {
 public:
  void add_stats(const tcp_endpoint& ep, const tcp_endpoint_stats& stats);
  void add_hist(const tcp_hist_key& key, uint64_t count);
  // Pod-wide histogram slots per metric (PT_HIST_SLOTS each).
  void set_global_hist(uint32_t metric, std::vector<uint64_t> slots);
  // Endpoints sorted by the time they cost: connect time plus failures first.
  TcpReport build() const;

 private:
  struct Key {
    uint8_t family, direction;
    uint16_t port;
    std::array<uint8_t, 16> addr;
    auto operator<=>(const Key&) const = default;
  };
  static Key key_of(const tcp_endpoint& ep);
  struct Entry {
    tcp_endpoint ep{};
    tcp_endpoint_stats stats{};
    std::map<uint32_t, std::vector<uint64_t>> hist;  // metric -> slots
  };
  std::map<Key, Entry> entries_;
  std::map<uint32_t, std::vector<uint64_t>> global_;
};

}  // namespace podtrace::tracer
