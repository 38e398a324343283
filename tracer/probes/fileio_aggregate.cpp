// SPDX-License-Identifier: Apache-2.0
// fileio_aggregate.cpp: the file I/O section from map rows and error events.
#include "probes/fileio_aggregate.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "histogram.h"

namespace podtrace::tracer {

std::string_view fileio_op_name(uint32_t op) {
  switch (op) {
    case FILEIO_OP_OPEN:
      return "open";
    case FILEIO_OP_READ:
      return "read";
    case FILEIO_OP_WRITE:
      return "write";
    case FILEIO_OP_FSYNC:
      return "fsync";
    case FILEIO_OP_FDATASYNC:
      return "fdatasync";
  }
  return "unknown";
}

namespace {

void add_into(FileReport& into, const FileReport& row) {
  into.count += row.count;
  into.bytes += row.bytes;
  into.errors += row.errors;
  into.total_ns += row.total_ns;
  into.max_ns = std::max(into.max_ns, row.max_ns);
  for (const auto& [name, n] : row.errnos) into.errnos[name] += n;
}

void sort_by_time(std::vector<FileReport>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const FileReport& a, const FileReport& b) {
    return a.total_ns > b.total_ns;
  });
}

// Merges rows[from..] per `key` into rows of `pid` and the key's path; rows[from..] are replaced
// by the merged rows, most time first.
template <typename Key>
void merge_tail(std::vector<FileReport>& rows, size_t from, uint32_t pid, Key key) {
  std::map<std::pair<std::string, std::string>, FileReport> merged;  // path, op
  for (size_t i = from; i < rows.size(); ++i) {
    const std::pair<std::string, std::string> k = key(rows[i]);
    FileReport& m = merged[k];
    m.path = k.first;
    m.op = k.second;
    m.pid = pid;
    add_into(m, rows[i]);
  }
  rows.resize(from);
  std::vector<FileReport> tail;
  tail.reserve(merged.size());
  for (auto& [k, m] : merged) tail.push_back(std::move(m));
  sort_by_time(tail);
  for (auto& m : tail) rows.push_back(std::move(m));
}

}  // namespace

void fold_file_rows(std::vector<FileReport>& rows, size_t limit) {
  sort_by_time(rows);
  if (rows.size() <= limit) return;
  // The rest per path, whichever processes: a path every short-lived process misses is one row.
  merge_tail(rows, limit, 0, [](const FileReport& r) { return std::pair(r.path, r.op); });
  if (rows.size() > 2 * limit)
    merge_tail(rows, 2 * limit, 0,
               [](const FileReport& r) { return std::pair(std::string("other"), r.op); });
  // A merged row may meet a kept one of the same key (pid 0 from an earlier fold): one row.
  std::map<std::tuple<uint32_t, std::string, std::string>, size_t> seen;
  std::vector<FileReport> out;
  out.reserve(rows.size());
  for (auto& r : rows) {
    auto [it, added] = seen.emplace(std::tuple(r.pid, r.path, r.op), out.size());
    if (added)
      out.push_back(std::move(r));
    else
      add_into(out[it->second], r);
  }
  sort_by_time(out);
  rows = std::move(out);
}

namespace {

// A map row's path: the one the kernel found for its inode, else the inode number.
std::string row_path(const FileioFileRow& row) {
  return row.path.empty() ? "inode:" + std::to_string(row.key.ino) : row.path;
}

// The row of (pid, path, op) in `rows`, created empty the first time.
FileReport& row_of(FileRowsByKey& rows, uint32_t pid, const std::string& path,
                   std::string_view op) {
  auto& f = rows[{pid, path, std::string(op)}];
  f.path = path;
  f.pid = pid;
  f.op = op;
  return f;
}

// Adds one kernel map row's totals into a report row.
void add_map_row(FileReport& f, const FileioFileRow& row) {
  f.count += row.stats.count;
  f.bytes += row.stats.bytes;
  f.errors += row.stats.errors;
  f.total_ns += row.stats.total_ns;
  f.max_ns = std::max<uint64_t>(f.max_ns, row.stats.max_ns);
}

FileReport& row_of(FileRowsByKey& rows, const FileioFileRow& row) {
  return row_of(rows, row.key.pid, row_path(row), fileio_op_name(row.key.op));
}

}  // namespace

void KeptFileRows::fold_if_full() {
  if (files_.size() <= kKeptFileRowsMax) return;
  std::vector<FileReport> rows;
  rows.reserve(files_.size());
  for (auto& [key, f] : files_) rows.push_back(std::move(f));
  files_.clear();
  fold_file_rows(rows, kKeptFileRowsMax / 4);
  for (auto& f : rows) files_.emplace(std::tuple(f.pid, f.path, f.op), std::move(f));
}

void KeptFileRows::add_failed_open(uint32_t pid, const std::string& path, const std::string& error,
                                   uint64_t latency_ns) {
  FileReport& f = row_of(files_, pid, path, fileio_op_name(FILEIO_OP_OPEN));
  f.count++;
  f.errors++;
  f.total_ns += latency_ns;
  f.max_ns = std::max(f.max_ns, latency_ns);
  f.errnos[error]++;
  fold_if_full();
}

void KeptFileRows::add_row(const FileioFileRow& row) {
  add_map_row(row_of(files_, row), row);
  fold_if_full();
}

FileioReport aggregate_fileio(const std::vector<FileioOpRow>& ops,
                              const std::vector<FileioFileRow>& files, const KeptFileRows& kept) {
  FileioReport out;
  for (const auto& row : ops) {
    if (row.stats.count == 0) continue;
    OpReport r;
    r.op = fileio_op_name(row.op);
    r.count = row.stats.count;
    r.bytes = row.stats.bytes;
    r.errors = row.stats.errors;
    r.latency = summarize(row.slots, row.stats.total_ns, row.stats.max_ns);
    out.ops.push_back(std::move(r));
  }
  FileRowsByKey merged = kept.files();
  for (const auto& row : files) add_map_row(row_of(merged, row), row);
  for (auto& [key, f] : merged) out.files.push_back(std::move(f));
  fold_file_rows(out.files, kFileioMaxRows);
  return out;
}

}  // namespace podtrace::tracer
