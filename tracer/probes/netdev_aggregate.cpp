// SPDX-License-Identifier: Apache-2.0
// netdev_aggregate.cpp: the device transmit errors section from map rows.
#include "probes/netdev_aggregate.h"

#include <algorithm>

#include "text.h"

namespace podtrace::tracer {

std::string xmit_result_name(int rc) {
  // include/linux/netdevice.h
  switch (rc) {
    case 0x01:
      return "NET_XMIT_DROP";
    case 0x02:
      return "NET_XMIT_CN";
    case 0x10:
      return "NETDEV_TX_BUSY";
  }
  if (rc < 0) return errno_name(-rc);
  return "rc " + std::to_string(rc);
}

NetdevReport aggregate_netdev(const std::vector<NetdevRow>& rows,
                              const std::map<uint64_t, std::string>& cgroups) {
  NetdevReport n;
  for (const auto& row : rows) {
    XmitErrors x;
    x.device = c_string(row.key.name, sizeof(row.key.name));
    x.ifindex = row.key.ifindex;
    x.netns = row.key.netns;
    x.rc = row.key.rc;
    x.result = xmit_result_name(row.key.rc);
    x.packets = row.stats.packets;
    x.bytes = row.stats.bytes;
    if (row.key.scope == NETDEV_SCOPE_TARGET) {
      auto it = cgroups.find(row.key.cgroup_id);
      x.cgroup =
          it != cgroups.end() ? it->second : "cgroup id " + std::to_string(row.key.cgroup_id);
      n.target.push_back(std::move(x));
    } else {
      n.node_wide.push_back(std::move(x));
    }
  }
  // Map order is arbitrary: most packets first, then by device, so reports are stable.
  auto order = [](const XmitErrors& a, const XmitErrors& b) {
    if (a.packets != b.packets) return a.packets > b.packets;
    if (a.device != b.device) return a.device < b.device;
    if (a.rc != b.rc) return a.rc < b.rc;
    return a.cgroup < b.cgroup;
  };
  std::sort(n.target.begin(), n.target.end(), order);
  std::sort(n.node_wide.begin(), n.node_wide.end(), order);
  return n;
}

}  // namespace podtrace::tracer
