// SPDX-License-Identifier: Apache-2.0
// kubectl-podtrace entry point: parse flags, load the kubeconfig, run the session.
// Fatal exceptions end here; everything else is a Result with a message.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/options.h"
#include "kube/client_config.h"
#include "kube/client_factory.h"
#include "session/session.h"
#include "session/signals.h"
#include "smoke/smoke.h"
#include "style.h"
#include "util/random_id.h"
#include "view/view.h"

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

int run(int argc, char** argv) {
  CLI::App app{"podtrace: eBPF diagnostics for a Kubernetes pod (kubectl plugin)",
               "kubectl podtrace"};
  app.set_version_flag("--version", std::string("kubectl-podtrace ") + PODTRACE_VERSION);
  app.footer(
      "Examples:\n"
      "  kubectl podtrace web-7d9f -n shop                  # 30 s diagnosis, report at the end\n"
      "  kubectl podtrace web-7d9f -n shop --diagnose 2m -o json\n"
      "  kubectl podtrace web-7d9f -n shop --follow         # live slow/failed operations\n"
      "  kubectl podtrace -l app=web -n shop --diagnose 20s # several pods, one report each\n"
      "  kubectl podtrace view trace.json                    # a saved trace, as a live run shows "
      "it\n"
      "  kubectl podtrace smoke -n staging -o json           # CI: does podtrace work here?");
  podtrace::plugin::CliOptions cli;
  podtrace::plugin::register_options(app, cli);
  podtrace::plugin::ViewOptions view_options;
  CLI::App* view = podtrace::plugin::register_view_command(app, view_options);
  podtrace::plugin::SmokeOptions smoke_options;
  CLI::App* smoke = podtrace::plugin::register_smoke_command(app, smoke_options);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (view->parsed())
    return podtrace::plugin::run_view(view_options, std::cout, std::cerr,
                                      podtrace::Style::colors_wanted(STDOUT_FILENO));
  if (smoke->parsed()) {
    if (!cli.pod.empty() || !cli.selector.empty()) {
      std::cerr << "error: smoke traces its own canary pod: give no pod name or selector\n";
      return 1;
    }
    cli.pod = "podtrace-canary-" + podtrace::plugin::random_id(6);
  }

  podtrace::plugin::kube::ConfigRequest request;
  request.sources.explicit_path = cli.kubeconfig;
  if (const char* k = std::getenv("KUBECONFIG")) request.sources.env_list = std::string(k);
  request.sources.home = env("HOME");
  request.in_cluster.service_host = env("KUBERNETES_SERVICE_HOST");
  request.in_cluster.service_port = env("KUBERNETES_SERVICE_PORT");
  request.context_override = cli.context;

  // Names are checked before the kubeconfig is even read: bad input costs no request.
  auto early = podtrace::plugin::make_session_options(cli, "default");
  if (!early) {
    std::cerr << "error: " << early.error() << "\n";
    return 1;
  }
  auto config = podtrace::plugin::kube::load_client_config(request);
  if (!config) {
    std::cerr << "error: " << config.error() << "\n";
    return 1;
  }
  auto options = podtrace::plugin::make_session_options(cli, config->namespace_);
  if (!options) {
    std::cerr << "error: " << options.error() << "\n";
    return 1;
  }

  options->stdout_is_tty = isatty(STDOUT_FILENO) == 1;
  podtrace::plugin::install_stop_handlers();
  auto client = podtrace::plugin::kube::make_rest_client(*config, {}, isatty(STDIN_FILENO) == 1);
  if (!client) {
    std::cerr << "error: " << client.error() << "\n";
    return 1;
  }
  if (smoke->parsed())
    return podtrace::plugin::run_smoke(*options, smoke_options, **client, std::cout, std::cerr,
                                       podtrace::Style::colors_wanted(STDOUT_FILENO));
  return podtrace::plugin::run_session(*options, **client, std::cout, std::cerr,
                                       isatty(STDERR_FILENO) == 1,
                                       podtrace::Style::colors_wanted(STDOUT_FILENO));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error: internal: " << e.what() << "\n";
    return 1;
  }
}
