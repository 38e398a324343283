// SPDX-License-Identifier: Apache-2.0
// proc_memory.h: what /proc says about a process's memory: VmRSS from /proc/PID/status, and a
// thread's minor/major fault counters from /proc/PID/task/TID/stat. The /proc root is injected,
// so unit tests read fixture trees.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sections/memory.h"

namespace podtrace::tracer {

struct ProcStatus {
  std::string comm;        // Name:
  uint64_t rss_bytes = 0;  // VmRSS: (0 for kernel threads and zombies, which have none)
};

// Whether /proc still lists the process: a zombie is listed until its parent reaps it. Only
// ENOENT says it is not; any other failure to look counts as listed.
bool process_listed(const std::filesystem::path& proc_root, uint32_t pid);

// process_listed, asked of /proc once per pid: one collect's view of which processes remain.
class ListedPids {
 public:
  explicit ListedPids(std::filesystem::path proc_root) : proc_root_(std::move(proc_root)) {}
  bool operator()(uint32_t pid) {
    auto [it, added] = listed_.try_emplace(pid);
    if (added) it->second = process_listed(proc_root_, pid);
    return it->second;
  }

 private:
  std::filesystem::path proc_root_;
  std::map<uint32_t, bool> listed_;
};

// Nullopt when the process is gone.
std::optional<ProcStatus> read_proc_status(const std::filesystem::path& proc_root, int pid);

struct FaultCounters {
  uint64_t minor = 0;
  uint64_t major = 0;
};

// The thread's own counters (task_struct min_flt, maj_flt): fields 10 and 12 of its stat line.
std::optional<FaultCounters> read_thread_faults(const std::filesystem::path& proc_root, int pid,
                                                int tid);
// The same fields of one stat line; the comm in parentheses may hold spaces and parentheses.
std::optional<FaultCounters> parse_stat_faults(const std::string& stat_line);

// RSS of the target's processes: the first reading is the start, the latest the end.
class RssTracker {
 public:
  explicit RssTracker(std::filesystem::path proc_root) : proc_root_(std::move(proc_root)) {}
  // Reads every pid given; a known pid that is not given (or cannot be read) stops running.
  void observe(const std::vector<int>& pids);
  std::vector<ProcessRss> report() const;

 private:
  std::filesystem::path proc_root_;
  std::map<int, ProcessRss> seen_;
};

}  // namespace podtrace::tracer
