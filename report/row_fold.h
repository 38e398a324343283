// SPDX-License-Identifier: Apache-2.0
// row_fold.h: bounded per-process tables. A pod of short-lived processes (probes, scripts, a
// shell loop) adds a row per process to each per-process table; past kProcessRowsKept the rest
// are summed into one row (pid 0, comm "other", `folded` = how many rows it sums), so totals stay
// exact and a summary line stays small (1.2 MB after 30 s of a demo run before, mostly such rows).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace podtrace {

inline constexpr size_t kProcessRowsKept = 256;
inline constexpr std::string_view kFoldedComm = "other";

// How many processes (or threads) a row stands for: 1, or what a folded row sums.
template <typename Row>
uint32_t rows_in(const Row& row) {
  return row.folded ? row.folded : 1;
}

// rows: heaviest first. Keeps the first `keep` and sums the rest into `other` with add(other,
// row); `other` goes last whatever its weight (it is many small rows, not one heavy one). A table
// at most one row over the bound is left whole: folding one row into "other" saves nothing.
template <typename Row, typename Add>
void fold_rows(std::vector<Row>& rows, size_t keep, Row other, Add add) {
  if (rows.size() <= keep + 1) return;
  other.pid = 0;
  other.comm = kFoldedComm;
  other.folded = 0;
  for (size_t i = keep; i < rows.size(); ++i) {
    add(other, rows[i]);
    other.folded += rows_in(rows[i]);
  }
  rows.resize(keep);
  rows.push_back(std::move(other));
  // The table lives on in the tracer's report between collects: without this it would keep a
  // buffer sized for every row it ever held (16 384 threads of a busy pod).
  rows.shrink_to_fit();
}

}  // namespace podtrace
