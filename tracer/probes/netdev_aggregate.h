// SPDX-License-Identifier: Apache-2.0
// netdev_aggregate.h: turns the netdev family's map rows into the device transmit errors
// section. Pure: unit tests run it without root.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "netdev.h"
#include "sections/netdev.h"

namespace podtrace::tracer {

struct NetdevRow {
  netdev_xmit_key key{};
  netdev_xmit_stats stats{};
};

// The driver's return code by name: NET_XMIT_DROP, NET_XMIT_CN, NETDEV_TX_BUSY, or the errno
// name of a negative code.
std::string xmit_result_name(int rc);

// Rows split by scope, most packets first. `cgroups` names the target's cgroup ids (their
// paths); an id not in it reads "cgroup id N" (a cgroup gone since).
NetdevReport aggregate_netdev(const std::vector<NetdevRow>& rows,
                              const std::map<uint64_t, std::string>& cgroups);

}  // namespace podtrace::tracer
