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
  // The pod restarts its containers (restartPolicy Always/OnFailure) and every one of its
  // containers is traced: a container that ends is replaced by the next new container cgroup
  // in the same pod cgroup (a new id), and the trace follows it.
  bool follow_restarts = false;
};

struct TargetCgroup {
  std::filesystem::path path;
  uint64_t id = 0;
};

// A traced container and how to recognise its replacement after a restart.
struct ContainerWatch {
  std::filesystem::path pod_dir;  // the pod cgroup the container's cgroup sits in
  // Siblings that are not the container: the sandbox and the pod's other containers at start,
  // and every container this trace already followed.
  std::vector<std::filesystem::path> not_it;
  bool ended = false;  // ended and not (yet) replaced
  // The current container has run a process. A replacement is taken when its cgroup appears,
  // before the runtime starts its process: until then it is awaited, not ended.
  bool started = false;
};

struct ContainerRestart {
  std::string old_id;  // cgroup directory names, as the runtime named them
  std::string new_id;
  double at_s = 0;  // seconds into the trace when the new container was found
};

struct Target {
  std::string kind;  // "pid", "cgroup", "container-id"
  std::string spec;  // as the user gave it
  // Roots the user named; their descendants are added by refresh().
  std::vector<std::filesystem::path> roots;
  std::vector<TargetCgroup> cgroups;
  // container-id with follow_restarts: one per root, in the same order.
  std::vector<ContainerWatch> watches;
  std::vector<ContainerRestart> restarts;
  std::filesystem::path proc_root = "/proc";
};

// Input validation, independent of the host.
Status validate_pid(long long pid);
// Returns the bare 64-hex id; accepts containerd://, cri-o://, docker:// prefixes.
Result<std::string> parse_container_id(const std::string& id);

Result<Target> resolve_target(const TargetSpec& spec, const CgroupFs& cgroups);

// Why the trace ended early, for the report: a container whose pod is still there was
// restarted or replaced, and this trace was not told to follow restarts.
Finding target_exit_finding(const Target& target);

// What happened to followed containers: each restart, and each one that ended unreplaced.
std::vector<Finding> restart_findings(const Target& target);

// Re-reads the roots' subtrees: containers restart, --cgroup subtrees grow children. A followed
// container that ended is replaced by the pod's next new container.
// `now_s` (seconds into the trace) dates restarts. Returns false when every root is gone and no
// replacement can come (the target exited).
bool refresh_target(Target& target, double now_s = 0);

// True while a followed container has ended, or its replacement has not started its first
// process yet, and its pod is still there: the trace waits.
bool awaiting_restart(const Target& target);

}  // namespace podtrace::tracer
