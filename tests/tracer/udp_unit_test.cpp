// SPDX-License-Identifier: Apache-2.0
// udp_unit_test.cpp: layout of the udp structs shared with udp.bpf.c, and drop-reason names
// from the running kernel's BTF (no root needed: /sys/kernel/btf/vmlinux is world-readable).
#include <gtest/gtest.h>

#include <cstddef>

#include "probes/udp_probe.h"
#include "udp.h"

namespace podtrace::tracer {
namespace {

static_assert(sizeof(udp_endpoint) == 24);
static_assert(offsetof(udp_endpoint, port) == 16);
static_assert(sizeof(udp_endpoint_stats) == 7 * 8);
static_assert(sizeof(udp_drop_key) == 8);
static_assert(sizeof(udp_drop_stats) == 16);
static_assert(offsetof(udp_event, ep) == sizeof(pt_event_header));
static_assert(sizeof(udp_event) == sizeof(pt_event_header) + 24 + 16 + 8);

TEST(UdpDropReasons, NamesComeFromKernelBtf) {
  const auto names = load_drop_reason_names();
  if (names.empty()) GTEST_SKIP() << "no vmlinux BTF";
  // Stable since the enum appeared (5.17): the first values never moved.
  EXPECT_EQ(drop_reason_name(names, 1), "SKB_CONSUMED");
  EXPECT_EQ(drop_reason_name(names, 2), "NOT_SPECIFIED");
  bool rcvbuff = false, netfilter = false;
  for (const auto& [v, n] : names) {
    rcvbuff |= n == "SOCKET_RCVBUFF";
    netfilter |= n == "NETFILTER_DROP";
  }
  EXPECT_TRUE(rcvbuff);
  EXPECT_TRUE(netfilter);
}

TEST(UdpDropReasons, UnknownReasonKeepsItsNumber) {
  EXPECT_EQ(drop_reason_name({{6, "SOCKET_RCVBUFF"}}, 6), "SOCKET_RCVBUFF");
  EXPECT_EQ(drop_reason_name({}, 0x10001), "reason 65537");
}

}  // namespace
}  // namespace podtrace::tracer
