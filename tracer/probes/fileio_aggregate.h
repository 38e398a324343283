// SPDX-License-Identifier: Apache-2.0
// fileio_aggregate.h: turns what the fileio family read from its maps and events into the file
// I/O section. Pure: the probe reads the kernel, this decides what the user sees, and unit tests
// run it without root.
#pragma once

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

// Failed opens have no inode, so they are counted from their error events instead.
class FailedOpens {
 public:
  void add(uint32_t pid, const std::string& path, const std::string& error, uint64_t latency_ns);
  const std::map<std::tuple<uint32_t, std::string, std::string>, FileReport>& files() const {
    return files_;
  }

 private:
  std::map<std::tuple<uint32_t, std::string, std::string>, FileReport> files_;  // pid, path, op
};

// Ops with no calls are left out; files are merged per (pid, path, op) and sorted by total time.
FileioReport aggregate_fileio(const std::vector<FileioOpRow>& ops,
                              const std::vector<FileioFileRow>& files,
                              const FailedOpens& failed_opens);

}  // namespace podtrace::tracer
