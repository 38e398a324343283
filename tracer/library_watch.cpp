// SPDX-License-Identifier: Apache-2.0
// library_watch.cpp: new processes and changed mappings, read through /proc.
#include "library_watch.h"

#include <fstream>
#include <sstream>

#include "cgroup.h"

namespace podtrace::tracer {

namespace {

// The first field of /proc/PID/statm: the process's mapped size in pages; 0 when it is gone.
uint64_t mapped_pages(const std::filesystem::path& proc_pid) {
  std::ifstream in(proc_pid / "statm");
  uint64_t pages = 0;
  in >> pages;
  return pages;
}

}  // namespace

std::vector<FoundLibrary> LibraryWatch::scan(const std::vector<std::filesystem::path>& cgroups) {
  std::vector<FoundLibrary> out;
  std::map<int, uint64_t> alive;
  for (const auto& cg : cgroups) {
    for (int pid : CgroupFs::pids_in(cg)) {
      const auto proc = proc_root_ / std::to_string(pid);
      const uint64_t pages = mapped_pages(proc);
      if (pages == 0) continue;  // exited, or a kernel thread
      alive[pid] = pages;
      auto it = sizes_.find(pid);
      if (it != sizes_.end() && it->second == pages) continue;
      std::ifstream in(proc / "maps");
      if (!in) continue;
      std::stringstream text;
      text << in.rdbuf();
      ++maps_reads_;
      for (const auto& lib : library_paths(parse_executable_mappings(text.str()), want_)) {
        const auto path = host_path(proc_root_, pid, lib);
        FileId id;
        if (!file_id(path, id) || !seen_.insert(id).second) continue;
        out.push_back({pid, lib, path, id});
      }
    }
  }
  // Forget processes that are gone, so a reused pid is read again.
  sizes_ = std::move(alive);
  return out;
}

}  // namespace podtrace::tracer
