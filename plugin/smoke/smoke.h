// SPDX-License-Identifier: Apache-2.0
// smoke.h: `kubectl podtrace smoke`: a CI check that podtrace works on a cluster. It checks the
// user's RBAC and the namespace's Pod Security level, starts a canary pod with a known
// workload, traces it, checks that the report has exactly the canary's counts, and cleans up.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <ostream>
#include <string>

#include "kube/rest_client.h"
#include "session/session.h"
#include "smoke/canary.h"

namespace podtrace::plugin {

struct SmokeOptions {
  CanaryWorkload workload;
  std::string canary_timeout = "2m";  // canary start plus trace
};

CLI::App* register_smoke_command(CLI::App& app, SmokeOptions& options);

// `session` carries the namespace, job namespace, image, output format and start timeout; its
// pod is the canary's name. Exit 0 when every check passes, 1 otherwise, 130 on Ctrl-C.
int run_smoke(const SessionOptions& session, const SmokeOptions& smoke, kube::RestClient& client,
              std::ostream& out, std::ostream& err, bool color);

}  // namespace podtrace::plugin
