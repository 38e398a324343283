// SPDX-License-Identifier: Apache-2.0
// options.h: the tracer's command line, parsed into SessionOptions.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "cgroup.h"
#include "finding.h"
#include "kernel_features.h"
#include "probes/syscall_hooks.h"
#include "result.h"
#include "target.h"
#include "units.h"

namespace podtrace::tracer {

enum class OutputFormat { kJsonl, kText };

struct SessionOptions {
  TargetSpec target;
  HostRoots roots;
  uint64_t duration_ns = 0;  // 0: until SIGINT/SIGTERM or the target exits
  uint64_t interval_ns = 5'000'000'000;
  uint64_t slow_threshold_ns = 10'000'000;
  uint64_t dns_timeout_ns =
      5'000'000'000;  // network: unanswered DNS queries count as timeouts after this
  OutputFormat output = OutputFormat::kJsonl;
  // Event lines each family may stream per second (0: all); the rest are counted, not written.
  uint64_t event_lines_per_s = 1000;
  std::string metrics_addr;
  size_t metrics_top = 20;  // --metrics-top: label values kept per family (kDefaultMetricsTop)
  std::string html_path;
  DiagnoseThresholds thresholds;  // --threshold NAME=VALUE, --thresholds-file FILE  // --html FILE:
                                  // the final report as one self-contained page
  // The traced pod as Kubernetes names it: constant labels of every metric (the plugin sets them).
  std::string k8s_namespace;
  std::string k8s_pod;
  std::string k8s_container;
  std::set<std::string> disabled;  // diagnostic names
  std::set<AttachType> no_attach;  // --no-attach: attach types treated as unavailable
  SyscallHooks syscall_hooks = SyscallHooks::kShared;  // --syscall-hooks
  bool histograms = false;                             // --output text: full histograms
  bool time_per_thread = false;  // --time-per-thread: the time breakdown per thread too
  bool check = false;
  bool verbose = false;
};

// The duration syntax of every flag (one parser, shared with the plugin).
using podtrace::parse_duration_ns;

// Parses argv. Returns nullopt with exit_code set when the program should exit (help, errors).
struct ParseOutcome {
  std::optional<SessionOptions> options;
  int exit_code = 0;
};
ParseOutcome parse_options(int argc, char** argv);

}  // namespace podtrace::tracer
