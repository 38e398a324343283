// SPDX-License-Identifier: Apache-2.0
// row_fold.h: bounded per-process tables. A pod of short-lived processes (probes, scripts, a
// shell loop) adds a row per process to each per-process table; past kProcessRowsKept the rest
// are summed into one row (pid 0, comm "other", `folded` = how many rows it sums), so totals stay
// exact and a summary line stays small (1.2 MB after 30 s of a demo run before, mostly such rows).
#pragma once

#include <algorithm>
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

// rows: heaviest first. Sums the rows past the first `keep` into `other` (which may already hold
// rows folded earlier) and drops them.
template <typename Row, typename Add>
void fold_into(std::vector<Row>& rows, size_t keep, Row& other, Add add) {
  for (size_t i = keep; i < rows.size(); ++i) {
    add(other, rows[i]);
    other.folded += rows_in(rows[i]);
  }
  if (rows.size() > keep) rows.resize(keep);
}

// A store of final rows kept between collects (their processes have exited; the kernel's map
// gave them up): past `max` rows, sorts them heaviest first and sums the lighter half into
// `other`, so the store stays bounded and its totals exact.
template <typename Row, typename Heavier, typename Add>
void bound_rows(std::vector<Row>& rows, size_t max, Row& other, Heavier heavier, Add add) {
  if (rows.size() <= max) return;
  std::stable_sort(rows.begin(), rows.end(), heavier);
  fold_into(rows, max / 2, other, add);
}

// rows: heaviest first. Keeps the first `keep` and sums the rest into `other` with add(other,
// row); `other` goes last whatever its weight (it is many small rows, not one heavy one). `other`
// may come in holding rows folded before (a bounded store's): it is then appended even when
// `rows` is short. A table at most one row over the bound is left whole: folding one row into
// "other" saves nothing.
template <typename Row, typename Add>
void fold_rows(std::vector<Row>& rows, size_t keep, Row other, Add add) {
  if (rows.size() > keep + 1) fold_into(rows, keep, other, add);
  if (other.folded) {
    other.pid = 0;
    other.comm = kFoldedComm;
    rows.push_back(std::move(other));
  }
  // The table lives on in the tracer's report between collects: without this it would keep a
  // buffer sized for every row it ever held (16 384 threads of a busy pod).
  rows.shrink_to_fit();
}

}  // namespace podtrace
