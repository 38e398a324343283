// SPDX-License-Identifier: Apache-2.0
// Async-signal-safe stop flag: a lock-free atomic counter is all the handler touches.
#include "session/signals.h"

#include <atomic>
#include <csignal>

namespace podtrace::plugin {
namespace {

std::atomic<int> g_stop_requests{0};
static_assert(std::atomic<int>::is_always_lock_free);

void on_signal(int) { g_stop_requests.fetch_add(1); }

}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  // No SA_RESTART: a blocking poll/read returns EINTR and loops notice the flag sooner.
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A closed pipe (e.g. `| head`) must be an error return, not a silent death before cleanup.
  std::signal(SIGPIPE, SIG_IGN);
}

int stop_requests() { return g_stop_requests.load(); }

void request_stop() { g_stop_requests.fetch_add(1); }

void reset_stop_requests() { g_stop_requests.store(0); }

}  // namespace podtrace::plugin
