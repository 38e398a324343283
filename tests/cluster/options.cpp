// SPDX-License-Identifier: Apache-2.0
// CLI11 definitions; validation errors are reported on a single line.
#include "options.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <regex>

namespace podtrace::cluster {

std::optional<Options> parse_options(int argc, char** argv, int& exit_code) {
  Options opts;
  CLI::App app{
      "podtrace-cluster: a local Kubernetes API server whose nodes run pods as real processes"};
  app.add_option("--dir", opts.dir, "state directory (certificates, kubeconfig, logs, ready file)")
      ->required();
  app.add_option("--port", opts.port,
                 "HTTPS port on 127.0.0.1 (0: pick a free one, written to DIR/port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--nodes", opts.nodes, "simulated node names")->delimiter(',');
  app.add_option("--pods", opts.pod_files,
                 "manifest files (Namespace, Pod, Job) to create at start-up")
      ->check(CLI::ExistingFile);
  app.add_option("--tracer-bin", opts.tracer_bin,
                 "binary run in place of any podtrace-tracer command")
      ->check(CLI::ExistingFile);
  app.add_option("--cgroup-root", opts.cgroup_root, "cgroup mount root")
      ->check(CLI::ExistingDirectory);
  app.add_option("--proc-self-cgroup", opts.proc_self_cgroup,
                 "where to read this process's cgroups")
      ->check(CLI::ExistingFile);
  app.set_version_flag("--version", std::string(PODTRACE_VERSION));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    exit_code = app.exit(e);
    return std::nullopt;
  } catch (const CLI::CallForVersion& e) {
    exit_code = app.exit(e);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    std::cerr << "podtrace-cluster: error: " << e.what() << "\n";
    exit_code = 2;
    return std::nullopt;
  }
  static const std::regex dns1123("[a-z0-9]([-a-z0-9.]*[a-z0-9])?");
  if (opts.nodes.empty()) {
    std::cerr << "podtrace-cluster: error: --nodes needs at least one node name\n";
    exit_code = 2;
    return std::nullopt;
  }
  for (const auto& n : opts.nodes)
    if (!std::regex_match(n, dns1123) || n.size() > 253) {
      std::cerr << "podtrace-cluster: error: --nodes: \"" << n << "\" is not a valid node name\n";
      exit_code = 2;
      return std::nullopt;
    }
  if (!opts.tracer_bin.empty() && ::access(opts.tracer_bin.c_str(), X_OK) != 0) {
    std::cerr << "podtrace-cluster: error: --tracer-bin: " << opts.tracer_bin
              << " is not executable\n";
    exit_code = 2;
    return std::nullopt;
  }
  return opts;
}

}  // namespace podtrace::cluster
