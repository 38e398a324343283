// SPDX-License-Identifier: Apache-2.0
// podtrace-canary: the known workload of `kubectl podtrace smoke`, shipped in the tracer image.
//
// It waits until the tracer has attached to it, then does exactly what the smoke check expects
// to find in the report: N writes each followed by fsync on one file, and M getaddrinfo() calls
// for one name. It then prints one line saying what it did, and sleeps until the pod is deleted.
//
// "The tracer has attached" is read from the process's own memory: a uprobe replaces the first
// instruction of getaddrinfo() in this process's copy of libc with a breakpoint (int3, 0xcc).
// The dns family attaches that uprobe once every family has started (Probe::all_started), so
// once the byte reads 0xcc every counted probe is live. No sleep decides when to start; a timeout only bounds
// the wait when the dns family cannot attach (then the report says why, and the check fails).
//
// Usage: podtrace-canary [--writes N] [--lookups M] [--name HOST] [--file PATH] [--wait-s S]
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int uprobe_attached(const volatile unsigned char* entry) { return entry[0] == 0xcc; }

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int number(const char* text, const char* flag) {
  char* end = NULL;
  long v = strtol(text, &end, 10);
  if (!*text || *end || v < 0 || v > 100000) {
    fprintf(stderr, "podtrace-canary: invalid %s \"%s\"\n", flag, text);
    exit(2);
  }
  return (int)v;
}

int main(int argc, char** argv) {
  int writes = 20, lookups = 3, wait_s = 120;
  const char* name = "kubernetes.default.svc.cluster.local.";
  const char* path = "/tmp/podtrace-canary.dat";
  for (int i = 1; i < argc; i++) {
    const char* flag = argv[i];
    if (i + 1 >= argc) {
      fprintf(stderr, "podtrace-canary: %s needs a value\n", flag);
      return 2;
    }
    const char* value = argv[++i];
    if (!strcmp(flag, "--writes"))
      writes = number(value, flag);
    else if (!strcmp(flag, "--lookups"))
      lookups = number(value, flag);
    else if (!strcmp(flag, "--wait-s"))
      wait_s = number(value, flag);
    else if (!strcmp(flag, "--name"))
      name = value;
    else if (!strcmp(flag, "--file"))
      path = value;
    else {
      fprintf(stderr, "podtrace-canary: unknown option %s\n", flag);
      return 2;
    }
  }

  const volatile unsigned char* entry =
      (const volatile unsigned char*)dlsym(RTLD_DEFAULT, "getaddrinfo");
  if (!entry) {
    fprintf(stderr, "podtrace-canary: getaddrinfo not found in libc\n");
    return 1;
  }
  printf("podtrace-canary: waiting for the tracer\n");
  fflush(stdout);
  int traced = 0;
  for (long waited = 0; waited < wait_s * 1000L; waited += 20) {
    if ((traced = uprobe_attached(entry))) break;
    sleep_ms(20);
  }

  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    fprintf(stderr, "podtrace-canary: open %s: %s\n", path, strerror(errno));
    return 1;
  }
  char block[4096];
  memset(block, 'c', sizeof block);
  for (int i = 0; i < writes; i++) {
    if (write(fd, block, sizeof block) != (ssize_t)sizeof block || fsync(fd) != 0) {
      fprintf(stderr, "podtrace-canary: write %s: %s\n", path, strerror(errno));
      return 1;
    }
  }
  close(fd);

  int resolved = 0;
  const struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
  for (int i = 0; i < lookups; i++) {
    struct addrinfo* result = NULL;
    if (getaddrinfo(name, NULL, &hints, &result) == 0) {
      resolved++;
      freeaddrinfo(result);
    }
  }

  printf(
      "podtrace-canary: done: traced=%s writes=%d fsyncs=%d bytes=%d file=%s lookups=%d "
      "resolved=%d name=%s\n",
      traced ? "yes" : "no", writes, writes, writes * (int)sizeof block, path, lookups, resolved,
      name);
  fflush(stdout);
  // Stay until the pod is deleted: the report and the pod's status are read after this line.
  for (;;) pause();
}
