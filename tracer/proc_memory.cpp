// SPDX-License-Identifier: Apache-2.0
// proc_memory.cpp: parses /proc/PID/status and /proc/PID/task/TID/stat, and tells whether /proc
// still lists a pid.
#include "proc_memory.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <set>
#include <sstream>

namespace podtrace::tracer {

namespace fs = std::filesystem;

bool process_listed(const fs::path& proc_root, uint32_t pid) {
  // Only a definite "no such process" is gone: a /proc that cannot be read keeps the process.
  return access((proc_root / std::to_string(pid)).c_str(), F_OK) == 0 || errno != ENOENT;
}

std::optional<ProcStatus> read_proc_status(const fs::path& proc_root, int pid) {
  std::ifstream in(proc_root / std::to_string(pid) / "status");
  if (!in) return std::nullopt;
  ProcStatus s;
  bool any = false;
  std::string line;
  while (std::getline(in, line)) {
    any = true;
    if (line.rfind("Name:", 0) == 0) {
      s.comm = line.substr(5);
      s.comm.erase(0, s.comm.find_first_not_of(" \t"));
    } else if (line.rfind("VmRSS:", 0) == 0) {
      std::istringstream words(line.substr(6));
      uint64_t kib = 0;
      words >> kib;  // always in kB
      s.rss_bytes = kib * 1024;
    }
  }
  if (!any) return std::nullopt;
  return s;
}

std::optional<FaultCounters> parse_stat_faults(const std::string& stat_line) {
  const auto close = stat_line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  // After "pid (comm)": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt.
  std::istringstream fields(stat_line.substr(close + 1));
  std::string skip;
  for (int i = 0; i < 7; ++i)
    if (!(fields >> skip)) return std::nullopt;
  FaultCounters c;
  uint64_t cminflt = 0;
  if (!(fields >> c.minor >> cminflt >> c.major)) return std::nullopt;
  return c;
}

std::optional<FaultCounters> read_thread_faults(const fs::path& proc_root, int pid, int tid) {
  std::ifstream in(proc_root / std::to_string(pid) / "task" / std::to_string(tid) / "stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  return parse_stat_faults(line);
}

void RssTracker::observe(const std::vector<int>& pids) {
  const std::set<int> now(pids.begin(), pids.end());
  for (auto& [pid, row] : seen_)
    if (!now.count(pid)) row.running = false;
  for (int pid : pids) {
    auto status = read_proc_status(proc_root_, pid);
    auto it = seen_.find(pid);
    if (!status) {
      if (it != seen_.end()) it->second.running = false;
      continue;
    }
    if (it == seen_.end()) {
      ProcessRss row;
      row.pid = static_cast<uint32_t>(pid);
      row.comm = status->comm;
      row.start_bytes = status->rss_bytes;
      it = seen_.emplace(pid, row).first;
    }
    it->second.end_bytes = status->rss_bytes;
    it->second.comm = status->comm;
    it->second.running = true;
  }
}

std::vector<ProcessRss> RssTracker::report() const {
  std::vector<ProcessRss> out;
  for (const auto& [pid, row] : seen_) out.push_back(row);
  // Most growth first: the process that grew is the one to look at.
  std::stable_sort(out.begin(), out.end(), [](const ProcessRss& a, const ProcessRss& b) {
    return static_cast<int64_t>(a.end_bytes - a.start_bytes) >
           static_cast<int64_t>(b.end_bytes - b.start_bytes);
  });
  return out;
}

}  // namespace podtrace::tracer
