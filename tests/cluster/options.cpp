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
  app.add_option("--runtime", opts.runtime,
                 "process: pods run as host processes; cri: pods run as containers under a "
                 "containerd of the harness's own, through its CRI API")
      ->check(CLI::IsMember({"process", "cri"}));
  app.add_option("--images", opts.images, "cri: OCI archives to import into the node")
      ->check(CLI::ExistingFile);
  app.add_option("--dns-record", opts.dns_records,
                 "cri: a record of the node's DNS server, NAME,IP (repeatable)");
  app.add_option("--image-alias", opts.image_aliases,
                 "cri: IMAGE=ALIAS, another name for an imported image (repeatable)");
  app.add_option("--runc", opts.runc, "cri: the OCI runtime binary (e.g. a wrapper that logs)");
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
