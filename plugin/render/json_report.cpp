// SPDX-License-Identifier: Apache-2.0
// json_report.cpp: `-o json`, rendered from the report model: machine-readable and byte-safe
// (ensure_ascii) output.
#include "render/json_report.h"

#include <nlohmann/json.hpp>

namespace podtrace::plugin {

namespace {

using json = nlohmann::json;

// A report as the tracer's `report` line carries it, with its schema version.
json report_line(const Report& r) {
  json j = report_to_json(r);
  j["schema_version"] = kSchemaVersion;
  j["type"] = r.final_report ? "report" : "summary";
  return j;
}

}  // namespace

json event_line(const Event& e) {
  json j = e;
  j["schema_version"] = kSchemaVersion;
  j["type"] = "event";
  j["ts_ns"] = e.ts_ns;
  return j;
}

std::string render_json_report(const SessionReport& report) {
  json out;
  if (report.pods.size() == 1 && report.pods[0].report && report.pods[0].errors.empty()) {
    out = report_line(*report.pods[0].report);
  } else {
    out = {{"schema_version", kSchemaVersion}, {"pods", json::object()}};
    for (const auto& pod : report.pods) {
      json section = {{"namespace", pod.namespace_},
                      {"pod", pod.pod},
                      {"node", pod.node},
                      {"containers", pod.traced_containers}};
      section["report"] = pod.report ? report_line(*pod.report) : json(nullptr);
      if (!pod.report && pod.last_summary) section["last_summary"] = report_line(*pod.last_summary);
      if (!pod.errors.empty()) section["errors"] = pod.errors;
      if (pod.garbage_lines) section["skipped_lines"] = pod.garbage_lines;
      out["pods"][pod.namespace_ + "/" + pod.pod] = std::move(section);
    }
  }
  return out.dump(2, ' ', true, json::error_handler_t::replace);
}

}  // namespace podtrace::plugin
