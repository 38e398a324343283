// SPDX-License-Identifier: Apache-2.0
// cgroup.h: reads the cgroup trees (v2, v1, hybrid) under injectable roots, so unit tests run
// on fixture trees without root.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "result.h"

namespace podtrace::tracer {

struct HostRoots {
  std::filesystem::path cgroup = "/sys/fs/cgroup";
  std::filesystem::path proc = "/proc";
};

enum class CgroupLayout {
  kUnified,  // pure v2 at /sys/fs/cgroup
  kHybrid,   // v1 controllers, v2 at /sys/fs/cgroup/unified
  kLegacy,   // v1 only: no cgroup ids for in-kernel filtering
};

class CgroupFs {
 public:
  explicit CgroupFs(HostRoots roots);

  CgroupLayout layout() const { return layout_; }
  const HostRoots& roots() const { return roots_; }
  // Root of the v2 tree: where cgroup ids for BPF filtering come from.
  std::filesystem::path v2_root() const;
  // Root of a v1 controller hierarchy ("cpu", "memory"), e.g. /sys/fs/cgroup/cpu.
  std::optional<std::filesystem::path> v1_root(const std::string& controller) const;

  // The process's cgroup in the v2 tree, as an absolute path under v2_root().
  Result<std::filesystem::path> v2_cgroup_of(int pid) const;
  // The process's cgroup in a v1 hierarchy, absolute.
  Result<std::filesystem::path> v1_cgroup_of(int pid, const std::string& controller) const;

  // Every v2 cgroup directory whose name belongs to this container id (containerd, CRI-O,
  // Docker; systemd and cgroupfs drivers). `id` is the bare 64-hex id.
  std::vector<std::filesystem::path> find_container(const std::string& id) const;

  // Where the cpu controller files of a v2 cgroup live: the same directory on pure v2, the
  // matching v1 cpu directory on hybrid hosts.
  std::optional<std::filesystem::path> cpu_controller_dir(
      const std::filesystem::path& v2_dir) const;
  std::optional<std::filesystem::path> memory_controller_dir(
      const std::filesystem::path& v2_dir) const;

  static std::vector<int> pids_in(const std::filesystem::path& dir);

 private:
  std::optional<std::filesystem::path> v1_dir_for(const std::filesystem::path& v2_dir,
                                                  const std::string& controller) const;

  HostRoots roots_;
  CgroupLayout layout_;
};

// The cgroup id the kernel reports for a v2 directory (its kernfs inode number).
Result<uint64_t> cgroup_id_of(const std::filesystem::path& dir);

// The directory and its descendants; empty when it does not exist.
std::vector<std::filesystem::path> cgroup_subtree(const std::filesystem::path& dir);

// True when a directory name is the cgroup of container `id` (bare hex) for a known runtime.
bool is_container_cgroup_name(const std::string& name, const std::string& id);

}  // namespace podtrace::tracer
