// SPDX-License-Identifier: Apache-2.0
// podtrace-cluster: parse flags, start the harness, wait for SIGTERM/SIGINT, clean up.
#include <signal.h>
#include <sys/prctl.h>

#include <cstdio>

#include "cluster.h"
#include "options.h"

int main(int argc, char** argv) {
  using namespace podtrace::cluster;
  int exit_code = 0;
  auto options = parse_options(argc, argv, exit_code);
  if (!options) return exit_code;

  // Block the shutdown signals before any thread exists so only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Container processes that daemonize are reparented to us and reaped, not to init.
  prctl(PR_SET_CHILD_SUBREAPER, 1);

  try {
    Cluster cluster(*options);
    if (auto error = cluster.start(); !error.empty()) {
      std::fprintf(stderr, "podtrace-cluster: error: %s\n", error.c_str());
      cluster.stop();
      return 1;
    }
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "podtrace-cluster: signal %d, shutting down\n", sig);
    cluster.stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "podtrace-cluster: fatal: %s\n", e.what());
    return 1;
  }
  return 0;
}
