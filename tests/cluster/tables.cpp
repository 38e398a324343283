// SPDX-License-Identifier: Apache-2.0
// Column sets and cell values follow pkg/printers/internalversion/printers.go.
#include "tables.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace podtrace::cluster {

using nlohmann::json;

namespace {

json column(const std::string& name, const std::string& type, int priority,
            const std::string& format = "") {
  return {{"name", name},
          {"type", type},
          {"format", format},
          {"description", name},
          {"priority", priority}};
}

std::string age_of(const json& obj, const std::string& field, Clock::time_point now) {
  Clock::time_point t;
  const json& meta = obj["metadata"];
  std::string text = meta.value(field, "");
  if (text.empty() || !parse_rfc3339(text, t)) return "<unknown>";
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - t));
}

std::string or_none(const std::string& s) { return s.empty() ? "<none>" : s; }

json pod_row(const json& pod, Clock::time_point now) {
  const json& status = pod.value("status", json::object());
  int total = static_cast<int>(pod["spec"].value("containers", json::array()).size());
  int ready = 0, restarts = 0;
  for (const auto& cs : status.value("containerStatuses", json::array())) {
    if (cs.value("ready", false)) ++ready;
    restarts += cs.value("restartCount", 0);
  }
  return {pod["metadata"]["name"],
          fmt::format("{}/{}", ready, total),
          pod_status_reason(pod),
          std::to_string(restarts),
          age_of(pod, "creationTimestamp", now),
          or_none(status.value("podIP", "")),
          or_none(pod["spec"].value("nodeName", "")),
          "<none>",
          "<none>"};
}

std::string job_status(const json& job) {
  const json& status = job.value("status", json::object());
  for (const auto& c : status.value("conditions", json::array())) {
    if (c.value("status", "") != "True") continue;
    std::string type = c.value("type", "");
    if (type == "Complete" || type == "Failed" || type == "Suspended") return type;
  }
  if (job.contains("metadata") && job["metadata"].contains("deletionTimestamp"))
    return "Terminating";
  return "Running";
}

json job_row(const json& job, Clock::time_point now) {
  const json& status = job.value("status", json::object());
  const json& spec = job["spec"];
  std::string duration;
  std::string start = status.value("startTime", "");
  if (!start.empty()) {
    Clock::time_point s, e = now;
    parse_rfc3339(start, s);
    std::string done = status.value("completionTime", "");
    if (!done.empty()) parse_rfc3339(done, e);
    duration = human_duration(std::chrono::duration_cast<std::chrono::seconds>(e - s));
  }
  std::string names, images;
  for (const auto& c : spec["template"]["spec"].value("containers", json::array())) {
    names += (names.empty() ? "" : ",") + c.value("name", "");
    images += (images.empty() ? "" : ",") + c.value("image", "");
  }
  std::string selector;
  // Bound to a local: items() of a temporary would dangle inside the loop.
  json match_labels = spec.value("selector", json::object()).value("matchLabels", json::object());
  for (auto& [k, v] : match_labels.items())
    selector += (selector.empty() ? "" : ",") + k + "=" + v.get<std::string>();
  return {job["metadata"]["name"],
          job_status(job),
          fmt::format("{}/{}", status.value("succeeded", 0), spec.value("completions", 1)),
          duration,
          age_of(job, "creationTimestamp", now),
          names,
          images,
          or_none(selector)};
}

json node_row(const json& node, Clock::time_point now) {
  std::string ready = "NotReady";
  for (const auto& c : node["status"].value("conditions", json::array()))
    if (c.value("type", "") == "Ready" && c.value("status", "") == "True") ready = "Ready";
  const json& info = node["status"].value("nodeInfo", json::object());
  std::string ip;
  for (const auto& a : node["status"].value("addresses", json::array()))
    if (a.value("type", "") == "InternalIP") ip = a.value("address", "");
  return {node["metadata"]["name"],
          ready,
          "<none>",
          age_of(node, "creationTimestamp", now),
          info.value("kubeletVersion", ""),
          or_none(ip),
          "<none>",
          info.value("osImage", ""),
          info.value("kernelVersion", ""),
          info.value("containerRuntimeVersion", "")};
}

json namespace_row(const json& ns, Clock::time_point now) {
  return {ns["metadata"]["name"], ns.value("status", json::object()).value("phase", "Active"),
          age_of(ns, "creationTimestamp", now)};
}

// A string field of an object that clients may also leave null or out.
std::string text_of(const json& obj, const char* field) {
  auto it = obj.is_object() ? obj.find(field) : obj.end();
  return obj.is_object() && it != obj.end() && it->is_string() ? it->get<std::string>() : "";
}

// translateTimestampSince of a top-level timestamp field; "<unknown>" when unset.
std::string since(const json& obj, const char* field, Clock::time_point now) {
  Clock::time_point t;
  std::string text = text_of(obj, field);
  if (text.empty() || !parse_rfc3339(text, t)) return "<unknown>";
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - t));
}

// printEvent, wide (the server fills every column; kubectl hides those of priority 1).
json event_row(const json& ev, Clock::time_point now) {
  json involved = ev.contains("involvedObject") ? ev["involvedObject"] : json::object();
  json source = ev.contains("source") ? ev["source"] : json::object();
  std::string kind = text_of(involved, "kind");
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string name = text_of(involved, "name");
  std::string first = since(ev, "firstTimestamp", now);
  std::string last = text_of(ev, "lastTimestamp").empty() ? first : since(ev, "lastTimestamp", now);
  std::string component = text_of(source, "component");
  if (component.empty()) component = text_of(ev, "reportingComponent");
  std::string host = text_of(source, "host");
  if (host.empty()) host = text_of(ev, "reportingInstance");
  std::string message = text_of(ev, "message");
  size_t b = message.find_first_not_of(" \t\n"), e = message.find_last_not_of(" \t\n");
  message = b == std::string::npos ? "" : message.substr(b, e - b + 1);
  int count = ev.contains("count") && ev["count"].is_number_integer() ? ev["count"].get<int>() : 0;
  return {last,
          text_of(ev, "type"),
          text_of(ev, "reason"),
          name.empty() ? kind : kind + "/" + name,
          text_of(involved, "fieldPath"),
          host.empty() ? component : component + ", " + host,
          message,
          first,
          count == 0 ? 1 : count,
          text_of(ev["metadata"], "name")};
}

json generic_row(const json& obj, Clock::time_point now) {
  return {obj["metadata"]["name"], age_of(obj, "creationTimestamp", now)};
}

json columns_for(const std::string& resource) {
  if (resource == "pods")
    return {column("Name", "string", 0, "name"),
            column("Ready", "string", 0),
            column("Status", "string", 0),
            column("Restarts", "string", 0),
            column("Age", "string", 0),
            column("IP", "string", 1),
            column("Node", "string", 1),
            column("Nominated Node", "string", 1),
            column("Readiness Gates", "string", 1)};
  if (resource == "jobs")
    return {column("Name", "string", 0, "name"), column("Status", "string", 0),
            column("Completions", "string", 0),  column("Duration", "string", 0),
            column("Age", "string", 0),          column("Containers", "string", 1),
            column("Images", "string", 1),       column("Selector", "string", 1)};
  if (resource == "nodes")
    return {column("Name", "string", 0, "name"),   column("Status", "string", 0),
            column("Roles", "string", 0),          column("Age", "string", 0),
            column("Version", "string", 0),        column("Internal-IP", "string", 1),
            column("External-IP", "string", 1),    column("OS-Image", "string", 1),
            column("Kernel-Version", "string", 1), column("Container-Runtime", "string", 1)};
  if (resource == "namespaces")
    return {column("Name", "string", 0, "name"), column("Status", "string", 0),
            column("Age", "string", 0)};
  if (resource == "events")
    return {column("Last Seen", "string", 0), column("Type", "string", 0),
            column("Reason", "string", 0),    column("Object", "string", 0),
            column("Subobject", "string", 1), column("Source", "string", 1),
            column("Message", "string", 0),   column("First Seen", "string", 1),
            column("Count", "string", 1),     column("Name", "string", 1, "name")};
  return {column("Name", "string", 0, "name"), column("Age", "string", 0)};
}

json row_for(const std::string& resource, const json& obj, Clock::time_point now) {
  if (resource == "pods") return pod_row(obj, now);
  if (resource == "jobs") return job_row(obj, now);
  if (resource == "nodes") return node_row(obj, now);
  if (resource == "namespaces") return namespace_row(obj, now);
  if (resource == "events") return event_row(obj, now);
  return generic_row(obj, now);
}

}  // namespace

std::string pod_status_reason(const json& pod) {
  const json& status = pod.value("status", json::object());
  std::string reason = status.value("phase", "Pending");
  if (status.contains("reason")) reason = status["reason"].get<std::string>();
  bool running = false;
  for (const auto& cs : status.value("containerStatuses", json::array())) {
    const json& state = cs.value("state", json::object());
    if (state.contains("waiting") && state["waiting"].contains("reason"))
      reason = state["waiting"]["reason"];
    else if (state.contains("terminated")) {
      const json& t = state["terminated"];
      if (t.contains("reason"))
        reason = t["reason"];
      else if (t.value("signal", 0) != 0)
        reason = fmt::format("Signal:{}", t.value("signal", 0));
      else
        reason = fmt::format("ExitCode:{}", t.value("exitCode", 0));
    } else if (state.contains("running") && cs.value("ready", false))
      running = true;
  }
  if (reason == "Completed" && running) reason = "Running";
  if (pod["metadata"].contains("deletionTimestamp")) reason = "Terminating";
  return reason;
}

json make_table(const std::string& resource, const std::vector<json>& objects,
                const std::string& resource_version, const std::string& include_object,
                Clock::time_point now) {
  json rows = json::array();
  std::vector<json> ordered = objects;
  // printEventList sorts by lastTimestamp (RFC 3339 in UTC sorts as text).
  if (resource == "events")
    std::stable_sort(ordered.begin(), ordered.end(), [](const json& a, const json& b) {
      return text_of(a, "lastTimestamp") < text_of(b, "lastTimestamp");
    });
  for (const auto& obj : ordered) {
    json row = {{"cells", row_for(resource, obj, now)}};
    if (include_object == "Object")
      row["object"] = obj;
    else if (include_object != "None")
      row["object"] = {{"kind", "PartialObjectMetadata"},
                       {"apiVersion", "meta.k8s.io/v1"},
                       {"metadata", obj["metadata"]}};
    rows.push_back(row);
  }
  return {{"kind", "Table"},
          {"apiVersion", "meta.k8s.io/v1"},
          {"metadata", {{"resourceVersion", resource_version}}},
          {"columnDefinitions", columns_for(resource)},
          {"rows", rows}};
}

}  // namespace podtrace::cluster
