// SPDX-License-Identifier: Apache-2.0
// kubectl-podtrace entry point: parse flags, load the kubeconfig, run the session.
// Fatal exceptions end here; everything else is a Result with a message.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/options.h"
#include "kube/client_config.h"
#include "kube/client_factory.h"
#include "render/style.h"
#include "session/session.h"
#include "session/signals.h"

namespace {

std::string env(const char *name)
{
	const char *v = std::getenv(name);
	return v ? v : "";
}

int run(int argc, char **argv)
{
	CLI::App app{"podtrace: eBPF diagnostics for a Kubernetes pod (kubectl plugin)", "kubectl podtrace"};
	app.set_version_flag("--version", std::string("kubectl-podtrace ") + PODTRACE_VERSION);
	app.footer("Examples:\n"
		   "  kubectl podtrace web-7d9f -n shop                  # 30 s diagnosis, report at the end\n"
		   "  kubectl podtrace web-7d9f -n shop --diagnose 2m -o json\n"
		   "  kubectl podtrace web-7d9f -n shop --follow         # live slow/failed operations\n"
		   "  kubectl podtrace -l app=web -n shop --diagnose 20s # several pods, one report each");
	podtrace::CliOptions cli;
	podtrace::register_options(app, cli);
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return app.exit(e);
	}

	podtrace::kube::ConfigRequest request;
	request.sources.explicit_path = cli.kubeconfig;
	if (const char *k = std::getenv("KUBECONFIG"))
		request.sources.env_list = std::string(k);
	request.sources.home = env("HOME");
	request.in_cluster.service_host = env("KUBERNETES_SERVICE_HOST");
	request.in_cluster.service_port = env("KUBERNETES_SERVICE_PORT");
	request.context_override = cli.context;

	// Names are checked before the kubeconfig is even read: bad input costs no request.
	auto early = podtrace::make_session_options(cli, "default");
	if (!early) {
		std::cerr << "error: " << early.error() << "\n";
		return 1;
	}
	auto config = podtrace::kube::load_client_config(request);
	if (!config) {
		std::cerr << "error: " << config.error() << "\n";
		return 1;
	}
	auto options = podtrace::make_session_options(cli, config->namespace_);
	if (!options) {
		std::cerr << "error: " << options.error() << "\n";
		return 1;
	}

	podtrace::install_stop_handlers();
	auto client = podtrace::kube::make_rest_client(*config, {}, isatty(STDIN_FILENO) == 1);
	if (!client) {
		std::cerr << "error: " << client.error() << "\n";
		return 1;
	}
	return podtrace::run_session(*options, **client, std::cout, std::cerr, isatty(STDERR_FILENO) == 1,
				     podtrace::Style::colors_wanted(STDOUT_FILENO));
}

} // namespace

int main(int argc, char **argv)
{
	try {
		return run(argc, argv);
	} catch (const std::exception &e) {
		std::cerr << "error: internal: " << e.what() << "\n";
		return 1;
	}
}
