// SPDX-License-Identifier: Apache-2.0
// db_aggregate.cpp: the database section from query records and the kernel's totals.
#include "probes/db_aggregate.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

#include "histogram.h"
#include "probes/db_statement.h"
#include "terminal_safe.h"
#include "text.h"

namespace podtrace::tracer {

std::string_view db_system_name(uint32_t system) {
  return system == DB_SYSTEM_MYSQL ? "mysql" : "postgresql";
}

std::string_view db_op_name(uint32_t op) {
  switch (op) {
    case DB_OP_PREPARE:
      return "prepare";
    case DB_OP_EXECUTE:
      return "execute";
  }
  return "query";
}

std::string_view db_function_name(uint32_t fn) {
  static constexpr std::array<std::string_view, 13> kNames = {
      "unknown",           "PQexec",           "PQexecParams",
      "PQprepare",         "PQexecPrepared",   "PQsendQuery",
      "PQsendQueryParams", "PQsendPrepare",    "PQsendQueryPrepared",
      "mysql_real_query",  "mysql_send_query", "mysql_stmt_prepare",
      "mysql_stmt_execute"};
  return fn < kNames.size() ? kNames[fn] : kNames[0];
}

std::string_view db_library_name(uint32_t library) {
  switch (library) {
    case DB_LIB_LIBPQ:
      return "libpq";
    case DB_LIB_MARIADB:
      return "libmariadb";
    case DB_LIB_MYSQLCLIENT:
      return "libmysqlclient";
  }
  return "unknown";
}

uint32_t db_library_kind(std::string_view base) {
  if (base.starts_with("libpq.so")) return DB_LIB_LIBPQ;
  if (base.starts_with("libmariadb.so")) return DB_LIB_MARIADB;
  // Oracle's client, and the MariaDB 10.1 era client whose NET layout is not libmariadb's.
  if (base.starts_with("libmysqlclient.so") || base.starts_with("libmariadbclient.so"))
    return DB_LIB_MYSQLCLIENT;
  return 0;
}

std::string pg_status_name(int32_t status) {
  static constexpr std::array<std::string_view, 13> kNames = {
      "PGRES_EMPTY_QUERY", "PGRES_COMMAND_OK",   "PGRES_TUPLES_OK",      "PGRES_COPY_OUT",
      "PGRES_COPY_IN",     "PGRES_BAD_RESPONSE", "PGRES_NONFATAL_ERROR", "PGRES_FATAL_ERROR",
      "PGRES_COPY_BOTH",   "PGRES_SINGLE_TUPLE", "PGRES_PIPELINE_SYNC",  "PGRES_PIPELINE_ABORTED",
      "PGRES_TUPLES_CHUNK"};
  if (status >= 0 && static_cast<size_t>(status) < kNames.size())
    return std::string(kNames[static_cast<size_t>(status)]);
  return "status " + std::to_string(status);
}

std::string_view sqlstate_name(std::string_view code) {
  static constexpr std::pair<std::string_view, std::string_view> kNames[] = {
      {"08006", "connection_failure"},
      {"22012", "division_by_zero"},
      {"22P02", "invalid_text_representation"},
      {"23502", "not_null_violation"},
      {"23503", "foreign_key_violation"},
      {"23505", "unique_violation"},
      {"25P02", "in_failed_sql_transaction"},
      {"40001", "serialization_failure"},
      {"40P01", "deadlock_detected"},
      {"42501", "insufficient_privilege"},
      {"42601", "syntax_error"},
      {"42703", "undefined_column"},
      {"42883", "undefined_function"},
      {"42P01", "undefined_table"},
      {"53100", "disk_full"},
      {"53200", "out_of_memory"},
      {"53300", "too_many_connections"},
      {"55P03", "lock_not_available"},
      {"57014", "query_canceled"},
      {"57P01", "admin_shutdown"},
  };
  for (const auto& [c, name] : kNames)
    if (c == code) return name;
  return "";
}

std::string_view mysql_error_name(uint32_t code) {
  static constexpr std::pair<uint32_t, std::string_view> kNames[] = {
      {1040, "ER_CON_COUNT_ERROR"},      {1045, "ER_ACCESS_DENIED_ERROR"},
      {1048, "ER_BAD_NULL_ERROR"},       {1049, "ER_BAD_DB_ERROR"},
      {1050, "ER_TABLE_EXISTS_ERROR"},   {1051, "ER_BAD_TABLE_ERROR"},
      {1054, "ER_BAD_FIELD_ERROR"},      {1062, "ER_DUP_ENTRY"},
      {1064, "ER_PARSE_ERROR"},          {1142, "ER_TABLEACCESS_DENIED_ERROR"},
      {1146, "ER_NO_SUCH_TABLE"},        {1205, "ER_LOCK_WAIT_TIMEOUT"},
      {1213, "ER_LOCK_DEADLOCK"},        {1317, "ER_QUERY_INTERRUPTED"},
      {1406, "ER_DATA_TOO_LONG"},        {1451, "ER_ROW_IS_REFERENCED_2"},
      {1452, "ER_NO_REFERENCED_ROW_2"},  {1969, "ER_STATEMENT_TIMEOUT"},
      {2006, "CR_SERVER_GONE_ERROR"},    {2013, "CR_SERVER_LOST"},
      {2014, "CR_COMMANDS_OUT_OF_SYNC"}, {3024, "ER_QUERY_TIMEOUT"},
  };
  for (const auto& [c, name] : kNames)
    if (c == code) return name;
  return "";
}

namespace {

// Five characters of [0-9A-Z], as every SQLSTATE is; anything else was not one.
bool valid_sqlstate(const char* s) {
  for (int i = 0; i < 5; ++i)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'Z'))) return false;
  return true;
}

std::string code_and_name(const std::string& code, std::string_view name) {
  return name.empty() ? code : code + " " + std::string(name);
}

void keep_slowest(std::vector<DbExecutionReport>& slowest, DbExecutionReport e, size_t n) {
  if (slowest.size() == n && slowest.back().latency_ns >= e.latency_ns) return;
  auto at = std::upper_bound(
      slowest.begin(), slowest.end(), e.latency_ns,
      [](uint64_t latency, const DbExecutionReport& x) { return latency > x.latency_ns; });
  slowest.insert(at, std::move(e));
  if (slowest.size() > n) slowest.pop_back();
}

}  // namespace

std::string db_error_text(const db_query& q) {
  if (q.status == DB_STATUS_SEND_FAILED) return "send failed";
  if (q.system == DB_SYSTEM_POSTGRES) {
    if (q.status == DB_STATUS_NONE) return "no result";
    if (valid_sqlstate(q.sqlstate)) {
      std::string code(q.sqlstate, 5);
      return code_and_name(code, sqlstate_name(code));
    }
    return pg_status_name(q.status);
  }
  if (q.error_code)
    return code_and_name(std::to_string(q.error_code), mysql_error_name(q.error_code));
  return "error";  // libmysqlclient: its layout is not known, its code not read
}

std::string_view db_text(const db_query& q) {
  const size_t n = std::min<size_t>(q.text_len, sizeof(q.text));
  return {q.text, n};
}

std::string DbAggregator::add(const db_event& e) {
  const db_query& q = e.q;
  const uint32_t system = q.system == DB_SYSTEM_MYSQL ? DB_SYSTEM_MYSQL : DB_SYSTEM_POSTGRES;
  const SqlDialect dialect = system == DB_SYSTEM_MYSQL ? SqlDialect::kMySql : SqlDialect::kPostgres;
  std::string statement = sanitize_for_terminal(normalise_statement(db_text(q), dialect));
  if (statement.empty())
    statement = q.op == DB_OP_EXECUTE ? "(statement prepared before the trace)" : "(empty)";
  else if (q.truncated)
    statement += " …";

  Key key{system, q.op, statement};
  auto it = statements_.find(key);
  if (it == statements_.end() && statements_.size() >= kMaxStatements)
    it = statements_.try_emplace({system, q.op, "(other statements)"}).first;
  else if (it == statements_.end())
    it = statements_.try_emplace(key).first;
  Entry& s = it->second;
  if (s.slots.empty()) s.slots.assign(kHistSlots, 0);
  s.count++;
  s.total_ns += e.latency_ns;
  s.max_ns = std::max<uint64_t>(s.max_ns, e.latency_ns);
  s.slots[hist_slot(e.latency_ns)]++;
  std::string error;
  if (q.failed) {
    error = db_error_text(q);
    s.errors++;
    s.error_codes[error]++;
  }

  // Display text is made only for an execution that enters the slowest few.
  if (slowest_.size() < kSlowest || e.latency_ns > slowest_.back().latency_ns) {
    DbExecutionReport x;
    x.system = db_system_name(system);
    x.op = db_op_name(q.op);
    x.statement =
        q.text_len ? printable_statement(db_text(q), q.truncated, kShownBytes) : statement;
    x.latency_ns = e.latency_ns;
    x.pid = e.hdr.pid;
    x.comm = c_string(e.hdr.comm, sizeof(e.hdr.comm));
    x.error = error;
    keep_slowest(slowest_, std::move(x), kSlowest);
  }
  return statement;
}

DbReport DbAggregator::build(const std::vector<DbSystemRow>& systems, std::string status) const {
  DbReport r;
  for (const auto& row : systems) {
    if (row.stats.count == 0 && row.dropped == 0) continue;
    DbSystemReport s;
    s.system = db_system_name(row.system);
    s.queries = row.stats.count;
    s.errors = row.stats.errors;
    s.not_streamed = row.dropped;
    s.latency = summarize(row.slots, row.stats.total_ns, row.stats.max_ns);
    r.systems.push_back(std::move(s));
  }
  for (const auto& [key, e] : statements_) {
    DbStatementReport s;
    s.system = db_system_name(std::get<0>(key));
    s.op = db_op_name(std::get<1>(key));
    s.statement = std::get<2>(key);
    s.count = e.count;
    s.errors = e.errors;
    for (const auto& [error, n] : e.error_codes) s.error_codes.push_back({error, n});
    std::stable_sort(
        s.error_codes.begin(), s.error_codes.end(),
        [](const DbErrorCount& a, const DbErrorCount& b) { return a.count > b.count; });
    s.total_ns = e.total_ns;
    s.latency = summarize(e.slots, e.total_ns, e.max_ns);
    r.statements.push_back(std::move(s));
  }
  std::stable_sort(r.statements.begin(), r.statements.end(),
                   [](const DbStatementReport& a, const DbStatementReport& b) {
                     return a.total_ns > b.total_ns;
                   });
  r.slowest = slowest_;
  r.libraries = libraries_;
  r.status = std::move(status);
  return r;
}

}  // namespace podtrace::tracer
