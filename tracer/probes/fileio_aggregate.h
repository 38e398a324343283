// SPDX-License-Identifier: Apache-2.0
// fileio_aggregate.h: turns what the fileio family read from its maps and events into the file
// I/O section. Pure: the probe reads the kernel, this decides what the user sees, and unit tests
// run it without root.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "fileio.h"
#include "sections/fileio.h"

namespace podtrace::tracer {

// One row of the per-op maps: totals and the latency slots of one operation.
struct FileioOpRow {
  uint32_t op = 0;  // FILEIO_OP_*
  pt_op_stats stats{};
  std::vector<uint64_t> slots;
};

// One entry of the per-(pid, file, op) map with the path found for its inode ("" if none).
struct FileioFileRow {
  fileio_file_key key{};
  pt_op_stats stats{};
  std::string path;
};

std::string_view fileio_op_name(uint32_t op);

// The report's file rows: at most this many (pid, path, op) rows of their own, the rest folded
// (fold_file_rows). A pod of short-lived processes (probes, scripts) makes a row per process
// per file: unbounded, every summary and /metrics scrape would be built from all of them.
inline constexpr size_t kFileioMaxRows = 256;
// Rows kept in user space between summaries: past this many, they are folded to a quarter of it.
inline constexpr size_t kKeptFileRowsMax = 2048;

// Bounds `rows` (any order), sorted most time first: the `limit` rows of most time stay as they
// are; the others merge per (path, op) with pid 0 (several processes), and of those, past
// `limit`, the least time merges per op into path "other". Per op, the sums of count, bytes,
// errors, total_ns and errnos, and the largest max_ns, stay as they were.
void fold_file_rows(std::vector<FileReport>& rows, size_t limit);

// File rows merged per (pid, path, op).
using FileRowsByKey = std::map<std::tuple<uint32_t, std::string, std::string>, FileReport>;

// The file rows only user space holds, merged per (pid, path, op): failed opens (no inode to
// count them by in the kernel: their error events are the count) and the rows of processes that
// have exited (taken out of the kernel's per-file map, which would otherwise fill with a pod's
// short-lived processes and refuse the files of later ones). Bounded: past kKeptFileRowsMax rows
// they are folded (fold_file_rows), totals kept.
class KeptFileRows {
 public:
  void add_failed_open(uint32_t pid, const std::string& path, const std::string& error,
                       uint64_t latency_ns);
  void add_row(const FileioFileRow& row);
  const FileRowsByKey& files() const { return files_; }

 private:
  void fold_if_full();

  FileRowsByKey files_;
};

// Ops with no calls are left out; files are merged per (pid, path, op), sorted by total time and
// bounded to kFileioMaxRows rows of their own (fold_file_rows).
FileioReport aggregate_fileio(const std::vector<FileioOpRow>& ops,
                              const std::vector<FileioFileRow>& files, const KeptFileRows& kept);

}  // namespace podtrace::tracer
