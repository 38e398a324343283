// SPDX-License-Identifier: Apache-2.0
// sections/db.h: the database section: queries as the pod's client library (libpq, libmariadb)
// saw them, per normalised statement, with errors and the slowest executions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "latency.h"
#include "section.h"

namespace podtrace {

// Exact totals of one database system, counted in the kernel.
struct DbSystemReport {
  std::string system;  // "postgresql", "mysql"
  uint64_t queries = 0;
  uint64_t errors = 0;
  uint64_t not_streamed = 0;  // counted here, but their text was not streamed (rate bound)
  LatencySummary latency;
  bool operator==(const DbSystemReport&) const = default;
};

struct DbErrorCount {
  std::string error;  // "42P01 undefined_table", "1146 ER_NO_SUCH_TABLE", "PGRES_FATAL_ERROR"
  uint64_t count = 0;
  bool operator==(const DbErrorCount&) const = default;
};

// One normalised statement: literals as ?, IN lists as (?).
struct DbStatementReport {
  std::string system;
  std::string op;         // "query", "prepare", "execute"
  std::string statement;  // "(other statements)" gathers those past the tracer's limit
  uint64_t count = 0;
  uint64_t errors = 0;
  std::vector<DbErrorCount> error_codes;  // most frequent first
  uint64_t total_ns = 0;
  LatencySummary latency;
  bool operator==(const DbStatementReport&) const = default;
};

// One of the slowest executions, with its own text.
struct DbExecutionReport {
  std::string system;
  std::string op;
  std::string statement;  // as sent, shortened, control characters removed
  uint64_t latency_ns = 0;
  uint32_t pid = 0;
  std::string comm;
  std::string error;  // "" when it succeeded
  bool operator==(const DbExecutionReport&) const = default;
};

// A client library the family probes.
struct DbLibraryReport {
  std::string library;  // "libpq", "libmariadb", "libmysqlclient"
  std::string path;     // as the process sees it
  uint32_t pid = 0;     // the process it was first found in
  bool operator==(const DbLibraryReport&) const = default;
};

struct DbReport {
  static constexpr std::string_view kKey = "db";
  static constexpr std::string_view kTitle = "Database queries";
  std::vector<DbSystemReport> systems;
  std::vector<DbStatementReport> statements;  // most total time first
  std::vector<DbExecutionReport> slowest;     // slowest first
  std::vector<DbLibraryReport> libraries;
  std::string status;  // why queries may be missing (no client library found, probe failures)
  bool operator==(const DbReport&) const = default;
};

void to_json(nlohmann::json& j, const DbSystemReport& s);
void from_json(const nlohmann::json& j, DbSystemReport& s);
void to_json(nlohmann::json& j, const DbErrorCount& e);
void from_json(const nlohmann::json& j, DbErrorCount& e);
void to_json(nlohmann::json& j, const DbStatementReport& s);
void from_json(const nlohmann::json& j, DbStatementReport& s);
void to_json(nlohmann::json& j, const DbExecutionReport& e);
void from_json(const nlohmann::json& j, DbExecutionReport& e);
void to_json(nlohmann::json& j, const DbLibraryReport& l);
void from_json(const nlohmann::json& j, DbLibraryReport& l);
void to_json(nlohmann::json& j, const DbReport& d);
void from_json(const nlohmann::json& j, DbReport& d);
void render_section(TextWriter& out, const DbReport& d);
void write_section_metrics(MetricsWriter& out, const DbReport& d);
void diagnose_section(const DbReport& d, const DiagnoseThresholds& t, std::vector<Finding>& out);
// Nothing of the pod seen: the text report folds the section into one line.
bool section_quiet(const DbReport& d);

}  // namespace podtrace
