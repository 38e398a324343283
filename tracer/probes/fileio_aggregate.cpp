// SPDX-License-Identifier: Apache-2.0
// fileio_aggregate.cpp: the file I/O section from map rows and error events.
#include "probes/fileio_aggregate.h"

#include <algorithm>

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

void FailedOpens::add(uint32_t pid, const std::string& path, const std::string& error,
                      uint64_t latency_ns) {
  const std::string op(fileio_op_name(FILEIO_OP_OPEN));
  auto& f = files_[{pid, path, op}];
  f.path = path;
  f.pid = pid;
  f.op = op;
  f.count++;
  f.errors++;
  f.total_ns += latency_ns;
  f.max_ns = std::max(f.max_ns, latency_ns);
  f.errnos[error]++;
}

FileioReport aggregate_fileio(const std::vector<FileioOpRow>& ops,
                              const std::vector<FileioFileRow>& files,
                              const FailedOpens& failed_opens) {
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
  auto merged = failed_opens.files();
  for (const auto& row : files) {
    const std::string path = row.path.empty() ? "inode:" + std::to_string(row.key.ino) : row.path;
    const std::string op(fileio_op_name(row.key.op));
    auto& f = merged[{row.key.pid, path, op}];
    f.path = path;
    f.pid = row.key.pid;
    f.op = op;
    f.count += row.stats.count;
    f.bytes += row.stats.bytes;
    f.errors += row.stats.errors;
    f.total_ns += row.stats.total_ns;
    f.max_ns = std::max<uint64_t>(f.max_ns, row.stats.max_ns);
  }
  for (auto& [key, f] : merged) out.files.push_back(std::move(f));
  std::stable_sort(
      out.files.begin(), out.files.end(),
      [](const FileReport& a, const FileReport& b) { return a.total_ns > b.total_ns; });
  return out;
}

}  // namespace podtrace::tracer
