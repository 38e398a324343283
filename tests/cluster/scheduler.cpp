// SPDX-License-Identifier: Apache-2.0
// A single-pass scheduler: first fitting Ready node, in name order.
#include "scheduler.h"

#include <fmt/format.h>

#include <algorithm>

#include "time_format.h"

namespace podtrace::cluster {

using nlohmann::json;

namespace {

bool node_ready(const json& node) {
  for (const auto& c : node["status"].value("conditions", json::array()))
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  return false;
}

std::string label_of(const json& node, const std::string& key, bool& present) {
  const json& labels = node["metadata"].value("labels", json::object());
  present = labels.contains(key);
  return present ? labels[key].get<std::string>() : "";
}

bool expression_matches(const json& expr, const json& node, bool is_field) {
  std::string key = expr.value("key", "");
  bool present = true;
  std::string value =
      is_field ? (key == "metadata.name" ? node["metadata"]["name"].get<std::string>() : "")
               : label_of(node, key, present);
  std::string op = expr.value("operator", "");
  json values = expr.value("values", json::array());
  bool in = std::find(values.begin(), values.end(), json(value)) != values.end();
  if (op == "In") return present && in;
  if (op == "NotIn") return !present || !in;
  if (op == "Exists") return present;
  if (op == "DoesNotExist") return !present;
  return false;  // Gt/Lt are not needed by anything podtrace does
}

bool affinity_fits(const json& spec, const json& node) {
  if (!spec.contains("affinity")) return true;
  const json& required =
      spec["affinity"]
          .value("nodeAffinity", json::object())
          .value("requiredDuringSchedulingIgnoredDuringExecution", json::object());
  if (!required.contains("nodeSelectorTerms")) return true;
  // Terms are ORed; expressions within a term are ANDed.
  for (const auto& term : required["nodeSelectorTerms"]) {
    bool ok = true;
    for (const auto& e : term.value("matchExpressions", json::array()))
      ok = ok && expression_matches(e, node, false);
    for (const auto& e : term.value("matchFields", json::array()))
      ok = ok && expression_matches(e, node, true);
    if (ok) return true;
  }
  return false;
}

json scheduled_condition(bool ok, const std::string& message) {
  json c = {{"type", "PodScheduled"},
            {"status", ok ? "True" : "False"},
            {"lastProbeTime", nullptr},
            {"lastTransitionTime", rfc3339(Clock::now())}};
  if (!ok) {
    c["reason"] = "Unschedulable";
    c["message"] = message;
  }
  return c;
}

void set_condition(json& pod, const json& condition) {
  json& conditions = pod["status"]["conditions"];
  if (!conditions.is_array()) conditions = json::array();
  for (auto& c : conditions)
    if (c["type"] == condition["type"]) {
      c = condition;
      return;
    }
  conditions.push_back(condition);
}

bool has_unschedulable(const json& pod, const std::string& message) {
  for (const auto& c : pod["status"].value("conditions", json::array()))
    if (c.value("type", "") == "PodScheduled" && c.value("message", "") == message) return true;
  return false;
}

bool is_scheduled(const json& pod) {
  for (const auto& c : pod["status"].value("conditions", json::array()))
    if (c.value("type", "") == "PodScheduled" && c.value("status", "") == "True") return true;
  return false;
}

}  // namespace

bool node_fits(const json& spec, const json& node) {
  std::string name = node["metadata"]["name"];
  std::string wanted = spec.value("nodeName", "");
  if (!wanted.empty() && wanted != name) return false;
  json selector = spec.value("nodeSelector", json::object());
  for (auto& [k, v] : selector.items()) {
    bool present = false;
    if (label_of(node, k, present) != v.get<std::string>() || !present) return false;
  }
  return affinity_fits(spec, node);
}

void schedule_pending_pods(Store& store) {
  auto nodes = store.list("nodes", "");
  for (const auto& pod : store.list("pods", "")) {
    const json& status = pod.value("status", json::object());
    if (status.value("phase", "") != "Pending" || status.contains("startTime") ||
        pod["metadata"].contains("deletionTimestamp"))
      continue;
    const json& spec = pod["spec"];
    std::string chosen;
    for (const auto& node : nodes)
      if (node_ready(node) && node_fits(spec, node)) {
        chosen = node["metadata"]["name"];
        break;
      }
    std::string ns = pod["metadata"].value("namespace", ""), name = pod["metadata"]["name"];
    if (!chosen.empty()) {
      if (spec.value("nodeName", "") == chosen && is_scheduled(pod)) continue;
      store.update("pods", ns, name, [&](json& p) {
        p["spec"]["nodeName"] = chosen;
        set_condition(p, scheduled_condition(true, ""));
        return true;
      });
      continue;
    }
    size_t ready = static_cast<size_t>(std::count_if(nodes.begin(), nodes.end(), node_ready));
    std::string message = nodes.empty()
                              ? "0/0 nodes are available: no nodes available to schedule pods."
                              : fmt::format(
                                    "0/{} nodes are available: {} node(s) didn't match Pod's node "
                                    "affinity/selector.",
                                    nodes.size(), ready);
    if (ready < nodes.size())
      message = fmt::format(
          "0/{} nodes are available: {}{} node(s) had untolerated taint "
          "{{node.kubernetes.io/not-ready: }}.",
          nodes.size(),
          ready ? fmt::format("{} node(s) didn't match Pod's node affinity/selector, ", ready) : "",
          nodes.size() - ready);
    if (has_unschedulable(pod, message)) continue;
    store.update("pods", ns, name, [&](json& p) {
      set_condition(p, scheduled_condition(false, message));
      return true;
    });
  }
}

}  // namespace podtrace::cluster
