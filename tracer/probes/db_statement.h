// SPDX-License-Identifier: Apache-2.0
// db_statement.h: SQL statement text as the db family shows it: normalised (one line per kind of
// statement, whatever its literals) and printable (one execution, shortened, no control
// characters). The text comes from the traced process's memory, possibly cut at 256 bytes or
// not SQL at all: every function here accepts any bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace podtrace::tracer {

enum class SqlDialect {
  kPostgres,  // '' in strings, E'\n' escapes, "quoted identifiers", $tag$dollar quotes$tag$
  kMySql,     // backslash escapes, "strings" as well as 'strings', `quoted identifiers`, # comments
};

// The statement with its literals replaced by `?`: quoted strings (escaped quotes included, and
// E'', N'', B'', X'' prefixes), dollar-quoted strings, numbers (integers, decimals, exponents,
// 0x hex); lists of literals after IN collapsed to `(?)`; comments dropped; whitespace and
// control characters squeezed to one space; leading and trailing space trimmed. Parameters
// (`?`, `$1`) and identifiers, quoted or not, are kept as written. An unterminated string or
// comment (a truncated statement) ends the statement with `?` or nothing.
std::string normalise_statement(std::string_view sql, SqlDialect dialect);

// One execution's statement for display: whitespace squeezed, control characters removed,
// invalid UTF-8 replaced, cut to at most `max_bytes` bytes on a character boundary with "…"
// appended when cut (or when the captured text was already cut, `truncated`).
std::string printable_statement(std::string_view sql, bool truncated, size_t max_bytes);

}  // namespace podtrace::tracer
