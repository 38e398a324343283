// SPDX-License-Identifier: Apache-2.0
// netdev_aggregate_test.cpp: the device transmit errors section from map rows, without root.
#include "probes/netdev_aggregate.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>

namespace podtrace::tracer {
namespace {

static_assert(sizeof(netdev_xmit_key) == 40);
static_assert(offsetof(netdev_xmit_key, cgroup_id) == 16);
static_assert(offsetof(netdev_xmit_key, name) == 24);
static_assert(sizeof(netdev_xmit_stats) == 16);

NetdevRow row(const char* dev, uint32_t ifindex, int rc, uint32_t scope, uint64_t cgroup_id,
              uint64_t packets) {
  NetdevRow r{};
  std::strncpy(r.key.name, dev, sizeof(r.key.name) - 1);
  r.key.ifindex = ifindex;
  r.key.netns = 4026531840u;
  r.key.rc = rc;
  r.key.scope = scope;
  r.key.cgroup_id = cgroup_id;
  r.stats.packets = packets;
  r.stats.bytes = packets * 1400;
  return r;
}

TEST(NetdevAggregate, NamesResultsAndSplitsThePodsRowsFromNodeWide) {
  EXPECT_EQ(xmit_result_name(1), "NET_XMIT_DROP");
  EXPECT_EQ(xmit_result_name(2), "NET_XMIT_CN");
  EXPECT_EQ(xmit_result_name(0x10), "NETDEV_TX_BUSY");
  EXPECT_EQ(xmit_result_name(-105), "ENOBUFS");
  EXPECT_EQ(xmit_result_name(7), "rc 7");

  const NetdevReport n = aggregate_netdev(
      {row("eth0", 2, 1, NETDEV_SCOPE_NODE, 0, 12), row("veth1", 9, 1, NETDEV_SCOPE_NODE, 0, 30),
       row("veth1", 9, 1, NETDEV_SCOPE_TARGET, 77, 25),
       row("veth1", 9, 0x10, NETDEV_SCOPE_TARGET, 78, 2)},
      {{77, "/sys/fs/cgroup/kubepods/pod1/app"}});
  ASSERT_EQ(n.target.size(), 2u);
  EXPECT_EQ(n.target[0].device, "veth1");
  EXPECT_EQ(n.target[0].ifindex, 9u);
  EXPECT_EQ(n.target[0].netns, 4026531840u);
  EXPECT_EQ(n.target[0].result, "NET_XMIT_DROP");
  EXPECT_EQ(n.target[0].packets, 25u);
  EXPECT_EQ(n.target[0].bytes, 25u * 1400);
  EXPECT_EQ(n.target[0].cgroup, "/sys/fs/cgroup/kubepods/pod1/app");
  EXPECT_EQ(n.target[1].result, "NETDEV_TX_BUSY");
  EXPECT_EQ(n.target[1].cgroup, "cgroup id 78");  // not a cgroup the trace knows by name
  ASSERT_EQ(n.node_wide.size(), 2u);
  EXPECT_EQ(n.node_wide[0].device, "veth1");  // most packets first
  EXPECT_EQ(n.node_wide[0].cgroup, "");
  EXPECT_EQ(n.node_wide[1].device, "eth0");

  std::vector<Finding> out;
  diagnose_section(n, DiagnoseThresholds{}, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].severity, "warning");
  EXPECT_EQ(out[0].title, "27 of the pod's packets were refused by veth1");
  EXPECT_NE(out[0].detail.find("NET_XMIT_DROP x25"), std::string::npos) << out[0].detail;
  EXPECT_EQ(out[1].severity, "info");  // eth0: not the pod's
  EXPECT_EQ(out[1].title, "12 packets refused by eth0 node-wide");

  // Node-wide rows carry no cgroup; the pod's rows do, and both survive JSON.
  nlohmann::json j = n;
  EXPECT_FALSE(j["node_wide"][0].contains("cgroup"));
  EXPECT_EQ(j["target"][0]["cgroup"], "/sys/fs/cgroup/kubepods/pod1/app");
  EXPECT_EQ(j.get<NetdevReport>(), n);
}

}  // namespace
}  // namespace podtrace::tracer
