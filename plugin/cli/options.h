// SPDX-License-Identifier: Apache-2.0
// Command-line options of kubectl-podtrace and their translation into a SessionOptions.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "result.h"
#include "session/session.h"

namespace podtrace::plugin {

struct CliOptions {
  std::string pod;
  std::string namespace_;
  std::string selector;
  std::string container;
  std::string kubeconfig;
  std::string context;
  std::string diagnose;
  bool follow = false;
  bool live = false;
  bool histograms = false;
  std::string html;
  std::vector<std::string> thresholds;
  std::string thresholds_file;
  std::string output = "text";
  std::string image;
  bool privileged = true;
  bool keep = false;
  std::string start_timeout = "60s";
  std::string job_namespace;
};

void register_options(CLI::App& app, CliOptions& options);

// Validates names and durations (nothing is sent before this passes). `context_namespace` is the
// kubeconfig context's namespace, used when -n is absent.
Result<SessionOptions> make_session_options(const CliOptions& cli,
                                            const std::string& context_namespace);

}  // namespace podtrace::plugin
