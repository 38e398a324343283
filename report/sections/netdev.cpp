// SPDX-License-Identifier: Apache-2.0
// sections/netdev.cpp: JSON, text, metrics and findings of the device transmit errors section.
#include "sections/netdev.h"

#include <fmt/format.h>

#include <map>

#include "json_read.h"
#include "section_util.h"
#include "units.h"

namespace podtrace {

void to_json(nlohmann::json& j, const XmitErrors& x) {
  j = {{"device", x.device}, {"ifindex", x.ifindex}, {"netns", x.netns}, {"rc", x.rc},
       {"result", x.result}, {"packets", x.packets}, {"bytes", x.bytes}};
  // Node-wide rows are not attributed to a cgroup.
  if (!x.cgroup.empty()) j["cgroup"] = x.cgroup;
}

void from_json(const nlohmann::json& j, XmitErrors& x) {
  read_field(j, "device", x.device);
  read_field(j, "ifindex", x.ifindex);
  read_field(j, "netns", x.netns);
  read_field(j, "rc", x.rc);
  read_field(j, "result", x.result);
  read_field(j, "packets", x.packets);
  read_field(j, "bytes", x.bytes);
  read_field(j, "cgroup", x.cgroup);
}

void to_json(nlohmann::json& j, const NetdevReport& n) {
  j = {{"target", n.target}, {"node_wide", n.node_wide}};
}

void from_json(const nlohmann::json& j, NetdevReport& n) {
  read_array(j, "target", n.target);
  read_array(j, "node_wide", n.node_wide);
}

namespace {

Table errors_table(bool with_cgroup) {
  std::vector<Table::Column> columns = {{"device", Table::Align::kLeft},
                                        {"ifindex"},
                                        {"netns"},
                                        {"result", Table::Align::kLeft},
                                        {"rc"},
                                        {"packets"},
                                        {"bytes"}};
  if (with_cgroup) columns.push_back({"cgroup", Table::Align::kLeft});
  return Table(std::move(columns));
}

std::vector<Cell> errors_row(const XmitErrors& x, bool with_cgroup) {
  std::vector<Cell> row = {{x.device},
                           {std::to_string(x.ifindex)},
                           {std::to_string(x.netns)},
                           {x.result, Tone::kRed},
                           {std::to_string(x.rc)},
                           {std::to_string(x.packets)},
                           {format_bytes(x.bytes)}};
  if (with_cgroup) row.push_back({x.cgroup});
  return row;
}

}  // namespace

void render_section(TextWriter& out, const NetdevReport& n) {
  out.section(NetdevReport::kTitle);
  if (n.target.empty() && n.node_wide.empty()) {
    out.line("no failed transmits", Tone::kDim);
    return;
  }
  if (n.target.empty()) {
    out.line("none of the pod's sockets' packets failed to transmit", Tone::kDim);
  } else {
    out.line("the pod's packets (by the cgroup of the socket that sent them)", Tone::kDim);
    Table t = errors_table(true);
    for (const auto& x : n.target) t.add_row(errors_row(x, true));
    out.table(t);
  }
  if (!n.node_wide.empty()) {
    out.line("node-wide: every failed transmit on the node, not only the pod's", Tone::kDim);
    Table t = errors_table(false);
    for (const auto& x : n.node_wide) t.add_row(errors_row(x, false));
    out.table(t);
  }
}

void write_section_metrics(MetricsWriter& out, const NetdevReport& n) {
  out.family("podtrace_netdev_xmit_errors_total", "counter",
             "Packets a network device's driver refused, by device and result; scope \"target\" "
             "is the pod's own, \"node\" every sender on the node.");
  for (const auto* rows : {&n.target, &n.node_wide}) {
    const std::string scope = rows == &n.target ? "target" : "node";
    // The pod's rows are per cgroup; the metric is per device and result.
    std::map<std::pair<std::string, std::string>, uint64_t> sums;
    for (const auto& x : *rows) sums[{x.device, x.result}] += x.packets;
    for (const auto& [key, packets] : sums)
      out.sample("podtrace_netdev_xmit_errors_total",
                 {{"scope", scope}, {"device", key.first}, {"result", key.second}}, packets);
  }
}

void diagnose_section(const NetdevReport& n, const DiagnoseThresholds&, std::vector<Finding>& out) {
  std::map<std::string, std::map<std::string, uint64_t>> pod, node;
  for (const auto& x : n.target) pod[x.device][x.result] += x.packets;
  for (const auto& x : n.node_wide) node[x.device][x.result] += x.packets;
  for (const auto& [device, results] : pod) {
    uint64_t total = 0;
    for (const auto& [result, packets] : results) total += packets;
    out.push_back({"warning", "netdev",
                   fmt::format("{} of the pod's packets were refused by {}", total, device),
                   fmt::format("{}: the device's driver dropped them (a full queue, a down peer "
                               "or an oversized packet); senders saw ENOBUFS or lost the packet",
                               top_counts(results, 3))});
  }
  for (const auto& [device, results] : node) {
    if (pod.count(device)) continue;
    uint64_t total = 0;
    for (const auto& [result, packets] : results) total += packets;
    out.push_back({"info", "netdev",
                   fmt::format("{} packets refused by {} node-wide", total, device),
                   fmt::format("{}; not sent by the pod's tasks, but the node's network path may "
                               "be affected",
                               top_counts(results, 3))});
  }
}

bool section_quiet(const NetdevReport& n) { return n.target.empty() && n.node_wide.empty(); }

}  // namespace podtrace
