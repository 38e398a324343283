// SPDX-License-Identifier: Apache-2.0
// sections/netdev.h: the device transmit errors section: packets a network driver refused, the
// pod's own (those of its sockets) and every one on the node.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "section.h"

namespace podtrace {

struct XmitErrors {
  std::string device;
  uint32_t ifindex = 0;  // 0: unknown (a packet whose start_xmit the probe missed)
  uint32_t netns = 0;    // inode of the device's network namespace; 0: unknown
  int rc = 0;            // the driver's return code
  std::string result;    // its name: NET_XMIT_DROP, NET_XMIT_CN, NETDEV_TX_BUSY, an errno name
  uint64_t packets = 0;
  uint64_t bytes = 0;
  std::string cgroup;  // the pod's rows only: the cgroup of the socket that sent them
  bool operator==(const XmitErrors&) const = default;
};

struct NetdevReport {
  static constexpr std::string_view kKey = "netdev";
  static constexpr std::string_view kTitle = "Device transmit errors";
  std::vector<XmitErrors> target;     // of the pod's sockets, per cgroup, most packets first
  std::vector<XmitErrors> node_wide;  // every failed transmit on the node, the pod's included
  bool operator==(const NetdevReport&) const = default;
};

void to_json(nlohmann::json& j, const XmitErrors& x);
void from_json(const nlohmann::json& j, XmitErrors& x);
void to_json(nlohmann::json& j, const NetdevReport& n);
void from_json(const nlohmann::json& j, NetdevReport& n);
void render_section(TextWriter& out, const NetdevReport& n);
void write_section_metrics(MetricsWriter& out, const NetdevReport& n);
void diagnose_section(const NetdevReport& n, const DiagnoseThresholds& t,
                      std::vector<Finding>& out);
// Nothing of the pod seen: the text report folds the section into one line.
bool section_quiet(const NetdevReport& n);

}  // namespace podtrace
