// SPDX-License-Identifier: Apache-2.0
// sections/db.cpp: JSON, text, metrics and findings of the database section.
#include "sections/db.h"

#include <fmt/format.h>

#include "json_read.h"
#include "metrics_top.h"
#include "section_util.h"
#include "units.h"

namespace podtrace {

namespace {

// Statements in finding titles are cut: the table has them whole.
constexpr size_t kTitleStatementBytes = 80;

std::string shorten(const std::string& s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n) + "…";
}

std::string error_text(const std::vector<DbErrorCount>& errors, size_t n) {
  std::string out;
  for (size_t i = 0; i < errors.size() && i < n; ++i)
    out += fmt::format("{}{} x{}", out.empty() ? "" : ", ", errors[i].error, errors[i].count);
  if (errors.size() > n) out += fmt::format(", {} more", errors.size() - n);
  return out;
}

}  // namespace

void to_json(nlohmann::json& j, const DbSystemReport& s) {
  j = {{"system", s.system},
       {"queries", s.queries},
       {"errors", s.errors},
       {"not_streamed", s.not_streamed},
       {"latency", s.latency}};
}

void from_json(const nlohmann::json& j, DbSystemReport& s) {
  read_field(j, "system", s.system);
  read_field(j, "queries", s.queries);
  read_field(j, "errors", s.errors);
  read_field(j, "not_streamed", s.not_streamed);
  read_object(j, "latency", s.latency);
}

void to_json(nlohmann::json& j, const DbErrorCount& e) {
  j = {{"error", e.error}, {"count", e.count}};
}

void from_json(const nlohmann::json& j, DbErrorCount& e) {
  read_field(j, "error", e.error);
  read_field(j, "count", e.count);
}

void to_json(nlohmann::json& j, const DbStatementReport& s) {
  j = {{"system", s.system},     {"op", s.op},          {"statement", s.statement},
       {"count", s.count},       {"errors", s.errors},  {"error_codes", s.error_codes},
       {"total_ns", s.total_ns}, {"latency", s.latency}};
}

void from_json(const nlohmann::json& j, DbStatementReport& s) {
  read_field(j, "system", s.system);
  read_field(j, "op", s.op);
  read_field(j, "statement", s.statement);
  read_field(j, "count", s.count);
  read_field(j, "errors", s.errors);
  read_array(j, "error_codes", s.error_codes);
  read_field(j, "total_ns", s.total_ns);
  read_object(j, "latency", s.latency);
}

void to_json(nlohmann::json& j, const DbExecutionReport& e) {
  j = {{"system", e.system},         {"op", e.op},   {"statement", e.statement},
       {"latency_ns", e.latency_ns}, {"pid", e.pid}, {"comm", e.comm}};
  if (!e.error.empty()) j["error"] = e.error;
}

void from_json(const nlohmann::json& j, DbExecutionReport& e) {
  read_field(j, "system", e.system);
  read_field(j, "op", e.op);
  read_field(j, "statement", e.statement);
  read_field(j, "latency_ns", e.latency_ns);
  read_field(j, "pid", e.pid);
  read_field(j, "comm", e.comm);
  read_field(j, "error", e.error);
}

void to_json(nlohmann::json& j, const DbLibraryReport& l) {
  j = {{"library", l.library}, {"path", l.path}, {"pid", l.pid}};
}

void from_json(const nlohmann::json& j, DbLibraryReport& l) {
  read_field(j, "library", l.library);
  read_field(j, "path", l.path);
  read_field(j, "pid", l.pid);
}

void to_json(nlohmann::json& j, const DbReport& d) {
  j = {{"systems", d.systems},
       {"statements", d.statements},
       {"slowest", d.slowest},
       {"libraries", d.libraries}};
  if (!d.status.empty()) j["status"] = d.status;
}

void from_json(const nlohmann::json& j, DbReport& d) {
  read_array(j, "systems", d.systems);
  read_array(j, "statements", d.statements);
  read_array(j, "slowest", d.slowest);
  read_array(j, "libraries", d.libraries);
  read_field(j, "status", d.status);
}

void render_section(TextWriter& out, const DbReport& d) {
  out.section(DbReport::kTitle);
  if (d.systems.empty() && d.statements.empty()) {
    out.line(d.libraries.empty() ? "no database client library probed" : "no queries seen",
             Tone::kDim);
  }
  if (!d.systems.empty()) {
    Table systems = latency_table("system", "queries", {"errors", "not streamed"});
    for (const auto& s : d.systems) {
      systems.add_row(latency_row(s.system, s.queries, s.latency,
                                  {error_cell(s.errors), {std::to_string(s.not_streamed)}}));
      systems.add_detail(out.histogram_lines(s.latency));
    }
    out.table(systems);
  }
  if (!d.statements.empty()) {
    out.line("statements, most time first (literals as ?)", Tone::kDim);
    Table statements = latency_table("statement", "calls", {"system", "op", "errors", "total"});
    for (const auto& s : d.statements) {
      statements.add_row(latency_row(s.statement, s.count, s.latency,
                                     {{s.system},
                                      {s.op},
                                      error_cell(s.errors, error_text(s.error_codes, 3)),
                                      {format_ns(s.total_ns)}}));
      statements.add_detail(out.histogram_lines(s.latency));
    }
    out.table(statements);
  }
  if (!d.slowest.empty()) {
    out.line("slowest executions", Tone::kDim);
    Table slowest({{"latency"},
                   {"system", Table::Align::kLeft},
                   {"op", Table::Align::kLeft},
                   {"pid"},
                   {"comm", Table::Align::kLeft},
                   {"error", Table::Align::kLeft},
                   {"statement", Table::Align::kLeft}});
    for (const auto& e : d.slowest)
      slowest.add_row({{format_ns(e.latency_ns)},
                       {e.system},
                       {e.op},
                       {std::to_string(e.pid)},
                       {e.comm},
                       {e.error, e.error.empty() ? Tone::kPlain : Tone::kRed},
                       {e.statement}});
    out.table(slowest);
  }
  for (const auto& l : d.libraries)
    out.line(fmt::format("probed {} {} (found in pid {})", l.library, l.path, l.pid), Tone::kDim);
  if (!d.status.empty()) out.line(d.status, Tone::kDim);
}

void write_section_metrics(MetricsWriter& out, const DbReport& d) {
  out.family("podtrace_db_query_latency_seconds", "histogram",
             "Latency of the pod's database queries as its client library saw them, by system.");
  for (const auto& s : d.systems)
    out.histogram("podtrace_db_query_latency_seconds", {{"system", s.system}}, s.latency);
  out.family("podtrace_db_query_errors_total", "counter", "Failed database queries, by system.");
  for (const auto& s : d.systems)
    out.sample("podtrace_db_query_errors_total", {{"system", s.system}}, s.errors);
  // Per statement, bounded: the (normalised) statements that took the most time keep their
  // text, the rest are statement="other".
  std::vector<uint64_t> weights;
  for (const auto& s : d.statements) weights.push_back(s.total_ns);
  const std::vector<bool> keep = top_entities(weights, out.top());
  SummedSeries latency, errors;
  for (size_t i = 0; i < d.statements.size(); ++i) {
    const auto& s = d.statements[i];
    const Labels l = {{"system", s.system},
                      {"op", s.op},
                      {"statement", keep[i] ? s.statement : std::string(kOtherLabelValue)}};
    latency.add_histogram(l, s.latency, s.total_ns);
    errors.add(l, s.errors);
  }
  out.family(
      "podtrace_db_statement_latency_seconds", "histogram",
      "Latency of the pod's database statements, by system, operation and normalised "
      "statement (the statements that took the most time; the rest as statement=\"other\").");
  latency.write(out, "podtrace_db_statement_latency_seconds");
  out.family("podtrace_db_statement_errors_total", "counter",
             "Failed database statements, by system, operation and normalised statement.");
  errors.write(out, "podtrace_db_statement_errors_total");
}

void diagnose_section(const DbReport& d, const DiagnoseThresholds& t, std::vector<Finding>& out) {
  for (const auto& s : d.statements) {
    if (s.errors == 0) continue;
    out.push_back({"warning", "db",
                   fmt::format("{} of {} {} {} failed: {}", s.errors, s.count, s.system, s.op,
                               shorten(s.statement, kTitleStatementBytes)),
                   error_text(s.error_codes, 3)});
  }
  for (const auto& s : d.statements) {
    if (s.latency.count == 0 || s.latency.p99_ns < t.slow_query_p99_ns) continue;
    out.push_back(
        {"warning", "db",
         fmt::format("slow {} {}: p99 {}: {}", s.system, s.op, format_ns(s.latency.p99_ns),
                     shorten(s.statement, kTitleStatementBytes)),
         fmt::format("{} calls, max {}, {} in total", s.count, format_ns(s.latency.max_ns),
                     format_ns(s.total_ns))});
  }
  for (const auto& s : d.systems)
    if (s.not_streamed)
      out.push_back({"info", "db",
                     fmt::format("{} of {} {} queries are counted but not itemised", s.not_streamed,
                                 s.queries, s.system),
                     "more queries per second than the tracer streams: the statement table is "
                     "a sample, the totals are exact"});
}

bool section_quiet(const DbReport& d) {
  for (const auto& s : d.systems)
    if (s.queries) return false;
  return d.statements.empty();
}

}  // namespace podtrace
