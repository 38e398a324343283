// SPDX-License-Identifier: Apache-2.0
// generic_section.cpp: scalars as "key value", latency objects as one percentile row, arrays of
// objects as tables whose columns are the rows' scalar members.
#include "generic_section.h"

#include <fmt/format.h>

#include "json_read.h"
#include "terminal_safe.h"
#include "units.h"

namespace podtrace {

namespace {

constexpr int kMaxDepth = 4;

bool is_latency(const nlohmann::json& v) {
  return v.is_object() && v.contains("count") && (v.contains("p50_ns") || v.contains("histogram"));
}

bool ends_with_ns(std::string_view key) { return key.size() > 3 && key.ends_with("_ns"); }

std::string scalar_text(std::string_view key, const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_unsigned() && ends_with_ns(key)) return format_ns(v.get<uint64_t>());
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void render_value(TextWriter& out, const nlohmann::json& value, const std::string& prefix,
                  int depth) {
  if (depth > kMaxDepth || !value.is_object()) return;
  std::string scalars;
  for (const auto& [k, v] : value.items())
    if (v.is_primitive() && !v.is_null())
      scalars += fmt::format("{}{} {}", scalars.empty() ? "" : " · ", k, scalar_text(k, v));
  if (!scalars.empty()) out.line(prefix + scalars);
  for (const auto& [k, v] : value.items()) {
    if (is_latency(v)) {
      LatencySummary s;
      from_json(v, s);
      out.line(fmt::format("{}{}: n={} p50 {} p90 {} p99 {} max {}", prefix, k, s.count,
                           format_ns(s.p50_ns), format_ns(s.p90_ns), format_ns(s.p99_ns),
                           format_ns(s.max_ns)));
    } else if (v.is_object()) {
      render_value(out, v, prefix + k + ".", depth + 1);
    } else if (v.is_array() && !v.empty()) {
      // Columns: the union of the rows' scalar members, in first-seen order.
      std::vector<std::string> keys;
      for (const auto& row : v)
        if (row.is_object())
          for (const auto& [rk, rv] : row.items())
            if (rv.is_primitive() && !rv.is_null() &&
                std::find(keys.begin(), keys.end(), rk) == keys.end())
              keys.push_back(rk);
      out.line(prefix + k, Tone::kDim);
      if (keys.empty()) {
        for (const auto& row : v)
          if (row.is_primitive()) out.line("  " + scalar_text("", row));
        continue;
      }
      std::vector<Table::Column> columns;
      for (const auto& key : keys) columns.push_back({key, Table::Align::kLeft});
      Table table(columns);
      for (const auto& row : v) {
        if (!row.is_object()) continue;
        std::vector<Cell> cells;
        for (const auto& key : keys) {
          const auto* cell = json_member(row, key);
          cells.push_back(
              {cell && cell->is_primitive() && !cell->is_null() ? scalar_text(key, *cell) : ""});
        }
        table.add_row(std::move(cells));
      }
      out.table(table);
    }
  }
}

}  // namespace

void GenericSection::render(TextWriter& out) const {
  out.section(key_);
  render_value(out, value_, "", 0);
}

}  // namespace podtrace
