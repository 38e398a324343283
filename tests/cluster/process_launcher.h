// SPDX-License-Identifier: Apache-2.0
// Starts a container's command as a real process inside its cgroups, output into a pipe.
#pragma once

#include <sys/types.h>

#include <string>
#include <variant>
#include <vector>

namespace podtrace::cluster {

struct LaunchRequest {
  std::string executable;  // resolved path
  std::vector<std::string> argv;
  std::vector<std::string> env;  // "NAME=value"
  std::string working_dir;
  std::vector<std::string> cgroup_procs;  // cgroup.procs files the process joins before exec
};

struct LaunchedProcess {
  pid_t pid = -1;
  int output_fd = -1;  // read end: the process's stdout and stderr
};

// The process is a session leader (so its group can be signalled) and joins its cgroups
// between fork and exec, so not one instruction of the command runs outside them.
// On failure returns the error text (e.g. exec: "...": No such file or directory).
std::variant<LaunchedProcess, std::string> launch_process(const LaunchRequest& request);

// argv[0] looked up in the container's PATH like a runtime does; "" when not found.
std::string resolve_executable(const std::string& command, const std::string& path_env);

}  // namespace podtrace::cluster
