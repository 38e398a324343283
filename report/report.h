// SPDX-License-Identifier: Apache-2.0
// report.h: the data model of a trace, shared by the tracer (which fills it from its probes) and
// the plugin (which decodes it from the tracer's JSON lines). The envelope is fixed; each
// family's data is a Section, kept in the registry's order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "finding.h"
#include "section.h"

namespace podtrace {

inline constexpr int kSchemaVersion = 1;

struct DiagnosticStatus {
  std::string name;
  bool enabled = false;
  std::string attach;  // attach type in use
  std::string reason;  // why disabled
  bool operator==(const DiagnosticStatus&) const = default;
};

void to_json(nlohmann::json& j, const DiagnosticStatus& d);
void from_json(const nlohmann::json& j, DiagnosticStatus& d);

// Which attach types work on the node's kernel: what the families could choose from.
struct KernelFeature {
  std::string attach;
  bool works = false;
  std::string reason;  // why not
  bool operator==(const KernelFeature&) const = default;
};

struct NodeKernel {
  std::string release;  // uname -r
  std::vector<KernelFeature> features;
  bool operator==(const NodeKernel&) const = default;
};

void to_json(nlohmann::json& j, const KernelFeature& f);
void from_json(const nlohmann::json& j, KernelFeature& f);

// Event lines the tracer did not stream because their family was over its line budget
// (--event-lines-per-second): each such event is in every count, only its line is missing.
struct EventLines {
  uint64_t limit_per_s = 0;                      // per family; 0: no limit
  std::map<std::string, uint64_t> not_streamed;  // by family, only those that held some back
  uint64_t total_not_streamed() const;
  bool operator==(const EventLines&) const = default;
};

struct Report {
  double duration_s = 0;
  std::string end_reason;  // "duration", "signal", "target_exited"; empty for summaries
  bool target_exited = false;
  bool final_report = false;  // a `report` line (findings and diagnostics are set), not a summary
  uint64_t lost_ringbuf = 0;
  uint64_t lost_map_full = 0;
  EventLines event_lines;
  std::vector<DiagnosticStatus> diagnostics;
  NodeKernel kernel;  // final reports only
  std::vector<Finding> findings;
  std::vector<std::unique_ptr<Section>> sections;  // registry order; unknown keys last

  Report() = default;
  Report(const Report& other);
  Report& operator=(const Report& other);
  Report(Report&&) = default;
  Report& operator=(Report&&) = default;

  // The section of family type T, or nullptr.
  template <typename T>
  T* find() {
    for (auto& s : sections)
      if (auto* typed = dynamic_cast<SectionOf<T>*>(s.get())) return &typed->value;
    return nullptr;
  }
  template <typename T>
  const T* find() const {
    return const_cast<Report*>(this)->find<T>();
  }
  // The section of family type T, added empty when missing.
  template <typename T>
  T& get() {
    if (T* existing = find<T>()) return *existing;
    auto section = std::make_unique<SectionOf<T>>();
    T& value = section->value;
    add(std::move(section));
    return value;
  }
  template <typename T>
  void set(T value) {
    get<T>() = std::move(value);
  }
  const Section* find(std::string_view key) const;
  // Adds or replaces the section with the same key, keeping the registry's order.
  void add(std::unique_ptr<Section> section);
};

// The `summary` (final_report false) or `report` object, without the line envelope
// (schema_version, type, ts_ns), which the JSON-lines writer adds.
nlohmann::json report_to_json(const Report& r);
// Decodes a `summary` or `report` object. Lenient: wrong types read as absent, and members that
// are no known section become generic sections that keep their JSON.
Report report_from_json(const nlohmann::json& j);

}  // namespace podtrace
