// SPDX-License-Identifier: Apache-2.0
// db_aggregate.h: turns the db family's query records and kernel totals into the database
// section. Pure: the probe reads the kernel, this decides what the user sees, and unit tests run
// it without root. Statements are aggregated by their normalised text only, in a bounded table.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "db.h"
#include "sections/db.h"

namespace podtrace::tracer {

std::string_view db_system_name(uint32_t system);    // "postgresql", "mysql"
std::string_view db_op_name(uint32_t op);            // "query", "prepare", "execute"
std::string_view db_function_name(uint32_t fn);      // "PQexec", "mysql_real_query"...
std::string_view db_library_name(uint32_t library);  // "libpq", "libmariadb", "libmysqlclient"
// The client library a mapped file's base name is (enum db_library), 0 for anything else:
// libpq.so.5, libmariadb.so.3, libmysqlclient.so.N (and MariaDB's old libmariadbclient.so).
uint32_t db_library_kind(std::string_view base);
inline bool is_db_client_name(std::string_view base) { return db_library_kind(base) != 0; }
// libpq's ExecStatusType names; "status N" for a value libpq does not define.
std::string pg_status_name(int32_t status);
// The condition name of a few common SQLSTATEs ("42P01" -> "undefined_table"), else "".
std::string_view sqlstate_name(std::string_view code);
// The symbol of a few common MySQL/MariaDB error codes (1146 -> "ER_NO_SUCH_TABLE"), else "".
std::string_view mysql_error_name(uint32_t code);
// Why a failed query failed, as the report names it: "42P01 undefined_table",
// "PGRES_FATAL_ERROR", "1064 ER_PARSE_ERROR", "no result", "send failed", "error".
std::string db_error_text(const db_query& q);

// The statement text a record carries (at most its text_len bytes).
std::string_view db_text(const db_query& q);

// Kernel totals of one system.
struct DbSystemRow {
  uint32_t system = 0;
  pt_op_stats stats{};
  std::vector<uint64_t> slots;
  uint64_t dropped = 0;
};

class DbAggregator {
 public:
  // Distinct statements kept; later new ones are counted under "(other statements)".
  static constexpr size_t kMaxStatements = 1000;
  static constexpr size_t kSlowest = 10;
  // Bytes of an execution's text kept for display.
  static constexpr size_t kShownBytes = 200;

  // Adds one completed query; returns its normalised statement.
  std::string add(const db_event& e);
  void add_library(DbLibraryReport library) { libraries_.push_back(std::move(library)); }
  DbReport build(const std::vector<DbSystemRow>& systems, std::string status) const;

 private:
  struct Entry {
    uint64_t count = 0;
    uint64_t errors = 0;
    uint64_t total_ns = 0;
    uint64_t max_ns = 0;
    std::map<std::string, uint64_t> error_codes;
    std::vector<uint64_t> slots;
  };
  using Key = std::tuple<uint32_t, uint32_t, std::string>;  // system, op, normalised
  std::map<Key, Entry> statements_;
  std::vector<DbExecutionReport> slowest_;  // slowest first, at most kSlowest
  std::vector<DbLibraryReport> libraries_;
};

}  // namespace podtrace::tracer
