// SPDX-License-Identifier: Apache-2.0
// Kubelet-style cgroups for container processes, on hybrid (v1 cpu/memory + v2 unified) or pure v2.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace podtrace::cluster {

// Where the hierarchies this process lives in are mounted, and its own place in each.
struct CgroupLayout {
  bool pure_v2 = false;
  std::string v2_base;      // e.g. /sys/fs/cgroup/unified (+ own v2 path)
  std::string cpu_base;     // v1 only: /sys/fs/cgroup/cpu/<own path>
  std::string memory_base;  // v1 only: /sys/fs/cgroup/memory/<own path>

  // Reads proc_self_cgroup (/proc/self/cgroup) and looks under sys_root (/sys/fs/cgroup).
  static std::optional<CgroupLayout> detect(const std::string& sys_root,
                                            const std::string& proc_self_cgroup,
                                            std::string& error);
};

struct CgroupLimits {
  long long cpu_millis = 0;    // 0: unlimited
  long long memory_bytes = 0;  // 0: unlimited
};

// Creates cgroups only beneath the harness's own cgroup in each hierarchy and remembers
// every directory it made, so cleanup removes exactly those (leaf first).
class CgroupTree {
 public:
  explicit CgroupTree(CgroupLayout layout) : layout_(std::move(layout)) {}
  ~CgroupTree() { remove_all(); }

  // Makes relative path (e.g. kubepods.slice/.../cri-containerd-ID.scope) in every hierarchy
  // and applies limits to the leaf. Returns the cgroup.procs files a process must be written
  // to; empty and error set on failure.
  std::vector<std::string> create(const std::string& relative, const CgroupLimits& limits,
                                  std::string& error);
  // The v2 directory for a relative path (what BPF filters by id).
  std::string v2_path(const std::string& relative) const {
    return layout_.v2_base + "/" + relative;
  }
  // Pids currently in the v2 cgroup.
  std::vector<int> pids(const std::string& relative) const;
  // Removes the directories created for relative and its now-empty parents we created.
  void remove(const std::string& relative);
  void remove_all();

 private:
  std::vector<std::string> bases() const;
  bool make_dirs(const std::string& base, const std::string& relative, std::string& error);
  bool try_remove(const std::string& dir);

  CgroupLayout layout_;
  std::mutex mutex_;
  std::vector<std::string> created_;  // in creation order: parents before children
};

}  // namespace podtrace::cluster
