// SPDX-License-Identifier: Apache-2.0
// library_watch.h: the libraries of interest the target's processes map, each file reported
// once, as they appear: at start, in processes started later, and after a dlopen(). Cheap to call
// on every poll tick: a process's maps are read when it is new, and again only when its mapped
// size (/proc/PID/statm) changed, which a dlopen() always does. Built on target_libraries.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "target_libraries.h"

namespace podtrace::tracer {

struct FoundLibrary {
  int pid = 0;                      // a process that maps it
  std::string path;                 // as that process sees it
  std::filesystem::path host_path;  // where the tracer opens it (through /proc/PID/root)
  FileId id;
};

class LibraryWatch {
 public:
  LibraryWatch(std::filesystem::path proc_root, bool (*want)(std::string_view base))
      : proc_root_(std::move(proc_root)), want_(want) {}

  // Libraries in the processes of `cgroups` that no earlier call returned.
  std::vector<FoundLibrary> scan(const std::vector<std::filesystem::path>& cgroups);

  // Processes whose maps were read, over the watch's life (for tests and cost accounting).
  uint64_t maps_reads() const { return maps_reads_; }

 private:
  std::filesystem::path proc_root_;
  bool (*want_)(std::string_view base);
  std::map<int, uint64_t> sizes_;  // pid -> VmSize (pages) when its maps were last read
  std::set<FileId> seen_;
  uint64_t maps_reads_ = 0;
};

}  // namespace podtrace::tracer
