// SPDX-License-Identifier: Apache-2.0
// report.cpp: the report envelope, its sections and its JSON form.
#include "report.h"

#include <algorithm>

#include "json_read.h"
#include "section_registry.h"

namespace podtrace {

void to_json(nlohmann::json& j, const DiagnosticStatus& d) {
  j = {{"name", d.name}, {"enabled", d.enabled}, {"attach", d.attach}};
  if (!d.reason.empty()) j["reason"] = d.reason;
}

void from_json(const nlohmann::json& j, DiagnosticStatus& d) {
  read_field(j, "name", d.name);
  read_field(j, "enabled", d.enabled);
  read_field(j, "attach", d.attach);
  read_field(j, "reason", d.reason);
}

void to_json(nlohmann::json& j, const KernelFeature& f) {
  j = {{"attach", f.attach}, {"works", f.works}};
  if (!f.reason.empty()) j["reason"] = f.reason;
}

void from_json(const nlohmann::json& j, KernelFeature& f) {
  read_field(j, "attach", f.attach);
  read_field(j, "works", f.works);
  read_field(j, "reason", f.reason);
}

void to_json(nlohmann::json& j, const Finding& f) {
  j = {{"severity", f.severity}, {"family", f.family}, {"title", f.title}, {"detail", f.detail}};
  if (f.state.empty()) return;
  j["explains"] = {{"state", f.state}};
  if (f.time_ns) {
    j["explains"]["time_ns"] = f.time_ns;
    j["explains"]["time_share"] = f.time_share;
  }
}

void from_json(const nlohmann::json& j, Finding& f) {
  read_field(j, "severity", f.severity);
  read_field(j, "family", f.family);
  read_field(j, "title", f.title);
  read_field(j, "detail", f.detail);
  if (auto it = j.find("explains"); it != j.end() && it->is_object()) {
    read_field(*it, "state", f.state);
    read_field(*it, "time_ns", f.time_ns);
    read_field(*it, "time_share", f.time_share);
  }
}

int severity_rank(std::string_view severity) {
  return severity == "critical" ? 0 : severity == "warning" ? 1 : 2;
}

uint64_t EventLines::total_not_streamed() const {
  uint64_t total = 0;
  for (const auto& [family, n] : not_streamed) total += n;
  return total;
}

Report::Report(const Report& other)
    : duration_s(other.duration_s),
      end_reason(other.end_reason),
      target_exited(other.target_exited),
      final_report(other.final_report),
      lost_ringbuf(other.lost_ringbuf),
      lost_map_full(other.lost_map_full),
      event_lines(other.event_lines),
      diagnostics(other.diagnostics),
      kernel(other.kernel),
      findings(other.findings) {
  for (const auto& s : other.sections) sections.push_back(s->clone());
}

Report& Report::operator=(const Report& other) {
  if (this != &other) *this = Report(other);
  return *this;
}

const Section* Report::find(std::string_view key) const {
  for (const auto& s : sections)
    if (s->key() == key) return s.get();
  return nullptr;
}

void Report::add(std::unique_ptr<Section> section) {
  for (auto& s : sections) {
    if (s->key() == section->key()) {
      s = std::move(section);
      return;
    }
  }
  const auto order = [](const Section& s) { return std::pair{section_order(s.key()), s.key()}; };
  auto at = std::upper_bound(sections.begin(), sections.end(), section,
                             [&](const auto& a, const auto& b) { return order(*a) < order(*b); });
  sections.insert(at, std::move(section));
}

nlohmann::json report_to_json(const Report& r) {
  nlohmann::json j = {{"duration_s", r.duration_s},
                      {"lost_events", {{"ringbuf", r.lost_ringbuf}, {"map_full", r.lost_map_full}}},
                      {"event_lines",
                       {{"limit_per_s", r.event_lines.limit_per_s},
                        {"not_streamed", r.event_lines.total_not_streamed()},
                        {"not_streamed_by_family", r.event_lines.not_streamed}}}};
  if (r.final_report) {
    j["end_reason"] = r.end_reason;
    j["target_exited"] = r.target_exited;
    j["diagnostics"] = r.diagnostics;
    if (!r.kernel.release.empty() || !r.kernel.features.empty())
      j["kernel"] = {{"release", r.kernel.release}, {"features", r.kernel.features}};
    j["findings"] = r.findings;
  }
  for (const auto& s : r.sections) j[std::string(s->key())] = s->to_json();
  return j;
}

Report report_from_json(const nlohmann::json& j) {
  Report r;
  read_field(j, "duration_s", r.duration_s);
  read_field(j, "end_reason", r.end_reason);
  read_field(j, "target_exited", r.target_exited);
  if (const auto* lost = json_member(j, "lost_events")) {
    read_field(*lost, "ringbuf", r.lost_ringbuf);
    read_field(*lost, "map_full", r.lost_map_full);
  }
  if (const auto* lines = json_member(j, "event_lines")) {
    read_field(*lines, "limit_per_s", r.event_lines.limit_per_s);
    if (const auto* by_family = json_member(*lines, "not_streamed_by_family");
        by_family && by_family->is_object())
      for (const auto& [family, n] : by_family->items())
        if (n.is_number_unsigned()) r.event_lines.not_streamed[family] = n.get<uint64_t>();
  }
  const bool has_findings = read_array(j, "findings", r.findings);
  const bool has_diagnostics = read_array(j, "diagnostics", r.diagnostics);
  if (const auto* kernel = json_member(j, "kernel")) {
    read_field(*kernel, "release", r.kernel.release);
    read_array(*kernel, "features", r.kernel.features);
  }
  std::string type;
  read_field(j, "type", type);
  r.final_report = type == "report" || has_findings || has_diagnostics;
  for (const auto& [key, value] : j.items()) {
    if (is_envelope_member(key) || !value.is_object()) continue;
    r.add(decode_section(key, value));
  }
  return r;
}

}  // namespace podtrace
