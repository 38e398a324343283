// SPDX-License-Identifier: Apache-2.0
// sections/fileio.h: the file I/O section: per-op latency and per-(pid, file, op) totals.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "latency.h"
#include "section.h"

namespace podtrace {

struct OpReport {
  std::string op;
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  LatencySummary latency;
  bool operator==(const OpReport&) const = default;
};

struct FileReport {
  std::string path;
  uint32_t pid = 0;
  std::string op;
  uint64_t count = 0;
  uint64_t bytes = 0;
  uint64_t errors = 0;
  uint64_t total_ns = 0;
  uint64_t max_ns = 0;
  std::map<std::string, uint64_t> errnos;  // filled from error events, e.g. {"ENOENT": 50}
  bool operator==(const FileReport&) const = default;
};

struct FileioReport {
  static constexpr std::string_view kKey = "fileio";
  static constexpr std::string_view kTitle = "File I/O";
  std::vector<OpReport> ops;
  std::vector<FileReport> files;  // most time first
  bool operator==(const FileioReport&) const = default;
};

void to_json(nlohmann::json& j, const OpReport& o);
void from_json(const nlohmann::json& j, OpReport& o);
void to_json(nlohmann::json& j, const FileReport& f);
void from_json(const nlohmann::json& j, FileReport& f);
void to_json(nlohmann::json& j, const FileioReport& f);
void from_json(const nlohmann::json& j, FileioReport& f);
void render_section(TextWriter& out, const FileioReport& f);
void write_section_metrics(MetricsWriter& out, const FileioReport& f);
void diagnose_section(const FileioReport& f, const DiagnoseThresholds& t,
                      std::vector<Finding>& out);
// Nothing of the pod seen: the text report folds the section into one line.
bool section_quiet(const FileioReport& f);

}  // namespace podtrace
