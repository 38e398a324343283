// SPDX-License-Identifier: Apache-2.0
// cgroup directory management. Never moves anything but the container processes it starts.
#include "cgroups.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace podtrace::cluster {

namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

bool write_file(const std::string& path, const std::string& value) {
  std::ofstream f(path);
  f << value;
  f.flush();
  return static_cast<bool>(f);
}

}  // namespace

std::optional<CgroupLayout> CgroupLayout::detect(const std::string& sys_root,
                                                 const std::string& proc_self_cgroup,
                                                 std::string& error) {
  std::ifstream in(proc_self_cgroup);
  if (!in) {
    error = "cannot read " + proc_self_cgroup;
    return std::nullopt;
  }
  std::string v2_own, cpu_own, memory_own;
  bool have_cpu = false, have_memory = false;
  for (std::string line; std::getline(in, line);) {
    // hierarchy-id:controller-list:path
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    if (path == "/") path.clear();
    if (line.compare(0, a, "0") == 0 && controllers.empty()) {
      v2_own = path;
      continue;
    }
    std::stringstream list(controllers);
    for (std::string c; std::getline(list, c, ',');) {
      if (c == "cpu") {
        cpu_own = path;
        have_cpu = true;
      } else if (c == "memory") {
        memory_own = path;
        have_memory = true;
      }
    }
  }
  CgroupLayout layout;
  if (exists(sys_root + "/cgroup.controllers")) {
    layout.pure_v2 = true;
    layout.v2_base = sys_root + v2_own;
    return layout;
  }
  if (!exists(sys_root + "/unified/cgroup.procs")) {
    error = "no cgroup v2 hierarchy at " + sys_root + " or " + sys_root + "/unified";
    return std::nullopt;
  }
  if (!have_cpu || !have_memory) {
    error = "hybrid cgroups without v1 cpu and memory controllers in " + proc_self_cgroup;
    return std::nullopt;
  }
  layout.v2_base = sys_root + "/unified" + v2_own;
  layout.cpu_base = sys_root + "/cpu" + cpu_own;
  layout.memory_base = sys_root + "/memory" + memory_own;
  return layout;
}

std::vector<std::string> CgroupTree::bases() const {
  if (layout_.pure_v2) return {layout_.v2_base};
  return {layout_.v2_base, layout_.cpu_base, layout_.memory_base};
}

bool CgroupTree::make_dirs(const std::string& base, const std::string& relative,
                           std::string& error) {
  std::string dir = base;
  size_t start = 0;
  while (start < relative.size()) {
    size_t slash = relative.find('/', start);
    if (slash == std::string::npos) slash = relative.size();
    std::string parent = dir;
    dir += "/" + relative.substr(start, slash - start);
    start = slash + 1;
    if (layout_.pure_v2)
      // Controllers must be enabled on the parent for cpu.max/memory.max to appear.
      // Fails (harmlessly) where the parent holds processes.
      write_file(parent + "/cgroup.subtree_control", "+cpu +memory");
    if (::mkdir(dir.c_str(), 0755) == 0) {
      created_.push_back(dir);
    } else if (errno != EEXIST) {
      error = "mkdir " + dir + ": " + std::strerror(errno);
      return false;
    }
  }
  return true;
}

std::vector<std::string> CgroupTree::create(const std::string& relative, const CgroupLimits& limits,
                                            std::string& error) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> procs;
  for (const auto& base : bases()) {
    if (!make_dirs(base, relative, error)) return {};
    procs.push_back(base + "/" + relative + "/cgroup.procs");
  }
  std::string v2 = layout_.v2_base + "/" + relative;
  if (layout_.pure_v2) {
    if (limits.cpu_millis > 0 && exists(v2 + "/cpu.max"))
      write_file(v2 + "/cpu.max", std::to_string(limits.cpu_millis * 100) + " 100000");
    if (limits.memory_bytes > 0 && exists(v2 + "/memory.max"))
      write_file(v2 + "/memory.max", std::to_string(limits.memory_bytes));
  } else {
    std::string cpu = layout_.cpu_base + "/" + relative;
    std::string mem = layout_.memory_base + "/" + relative;
    if (limits.cpu_millis > 0) {
      write_file(cpu + "/cpu.cfs_period_us", "100000");
      if (!write_file(cpu + "/cpu.cfs_quota_us", std::to_string(limits.cpu_millis * 100))) {
        error = "cannot set cpu.cfs_quota_us in " + cpu;
        return {};
      }
    }
    if (limits.memory_bytes > 0 &&
        !write_file(mem + "/memory.limit_in_bytes", std::to_string(limits.memory_bytes))) {
      error = "cannot set memory.limit_in_bytes in " + mem;
      return {};
    }
  }
  return procs;
}

std::vector<int> CgroupTree::pids(const std::string& relative) const {
  std::vector<int> out;
  std::ifstream in(layout_.v2_base + "/" + relative + "/cgroup.procs");
  for (int pid; in >> pid;) out.push_back(pid);
  return out;
}

bool CgroupTree::try_remove(const std::string& dir) {
  // A just-killed process can linger for a moment until it is reaped: retry briefly.
  for (int attempt = 0; attempt < 50; ++attempt) {
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return true;
    if (errno != EBUSY) return false;
    // EBUSY also means another harness still uses a shared parent such as kubepods.slice.
    if (exists(dir + "/cgroup.procs")) {
      std::ifstream in(dir + "/cgroup.procs");
      int pid;
      if (!(in >> pid))
        return false;  // no processes: busy because of child cgroups, not ours to wait for
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void CgroupTree::remove(const std::string& relative) {
  std::lock_guard lock(mutex_);
  for (const auto& base : bases()) {
    std::string prefix = base + "/" + relative;
    // Remove the leaf, then parents we created that are now empty.
    std::string dir = prefix;
    while (dir.size() > base.size()) {
      auto it = std::find(created_.begin(), created_.end(), dir);
      if (it == created_.end()) break;
      if (!try_remove(dir)) break;
      created_.erase(it);
      dir = dir.substr(0, dir.rfind('/'));
    }
  }
}

void CgroupTree::remove_all() {
  std::lock_guard lock(mutex_);
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) try_remove(*it);
  created_.clear();
}

}  // namespace podtrace::cluster
