// SPDX-License-Identifier: Apache-2.0
// target.h: what to trace (--pid, --cgroup, --container-id), validated and resolved to the set of
// v2 cgroup ids the BPF programs filter on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cgroup.h"
#include "finding.h"
#include "result.h"

namespace podtrace::tracer {

struct TargetSpec {
  int pid = 0;
  std::string cgroup;                      // absolute, or relative to the v2 root
  std::vector<std::string> container_ids;  // "containerd://<64hex>" or bare hex
};

struct TargetCgroup {
  std::filesystem::path path;
  uint64_t id = 0;
};

struct Target {
  std::string kind;  // "pid", "cgroup", "container-id"
  std::string spec;  // as the user gave it
  // Roots the user named; their descendants are added by refresh().
  std::vector<std::filesystem::path> roots;
  std::vector<TargetCgroup> cgroups;
};

// Input validation, independent of the host.
Status validate_pid(long long pid);
// Returns the bare 64-hex id; accepts containerd://, cri-o://, docker:// prefixes.
Result<std::string> parse_container_id(const std::string& id);

Result<Target> resolve_target(const TargetSpec& spec, const CgroupFs& cgroups);

// Why the trace ended early, for the report: a container whose pod is still there was
// restarted or replaced (a new container has a new id, which this trace does not follow).
Finding target_exit_finding(const Target& target);

// Re-reads the roots' subtrees: containers restart, --cgroup subtrees grow children.
// Returns false when every root is gone (the target exited).
bool refresh_target(Target& target);

}  // namespace podtrace::tracer
