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
  std::string runtime = "process";         // "process": pods as host processes; "cri": containerd
  std::vector<std::string> images;         // cri: OCI archives to import (make image)
  std::vector<std::string> dns_records;    // cri: node DNS records, "name,ip"
  std::vector<std::string> image_aliases;  // cri: "existing=alias" tags after the import
  std::string runc = "runc";               // cri: the OCI runtime binary
  std::string cgroup_root = "/sys/fs/cgroup";
  std::string proc_self_cgroup = "/proc/self/cgroup";
};

// Parses argv. On --help prints usage and sets exit_code 0; on a bad flag prints one
// "podtrace-cluster: error: ..." line and sets exit_code 2. nullopt in both cases.
std::optional<Options> parse_options(int argc, char** argv, int& exit_code);

}  // namespace podtrace::cluster
