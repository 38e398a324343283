// SPDX-License-Identifier: Apache-2.0
// pause.c: the pod sandbox's process. It holds the pod's namespaces and waits; SIGTERM or
// SIGINT end it. Built static, so the pause image is this one file.
#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

int main(void) {
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);
  while (!stop) pause();
  return 0;
}
