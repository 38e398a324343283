// SPDX-License-Identifier: Apache-2.0
// Command-line options of podtrace-cluster.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace podtrace::cluster {

struct Options {
  std::string dir;
  int port = 0;
  std::vector<std::string> nodes = {"node-a"};
  std::vector<std::string> pod_files;
  std::string tracer_bin;
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_self_cgroup = "/proc/self/cgroup";
};

// Parses argv. On --help prints usage and sets exit_code 0; on a bad flag prints one
// "podtrace-cluster: error: ..." line and sets exit_code 2. nullopt in both cases.
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

}  // namespace podtrace::cluster
