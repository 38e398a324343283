/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* process.h: process life-cycle events shared by process.bpf.c and tracer/probes/process.cpp. */
#pragma once

#include "podtrace_common.h"

#define PROCESS_ARGV_LEN 512

enum process_event_kind {
	PROCESS_EVENT_EXEC = 1,
	PROCESS_EVENT_FORK = 2,
	PROCESS_EVENT_EXIT = 3,
};

enum process_counter {
	PROCESS_COUNT_EXEC = 0,
	PROCESS_COUNT_FORK = 1,   /* new processes */
	PROCESS_COUNT_THREAD = 2, /* new threads (clone with CLONE_THREAD) */
	PROCESS_COUNT_EXIT = 3,
	PROCESS_COUNT_OOM_KILL = 4,
	PROCESS_COUNT_MAX = 5,
};

struct process_event {
	struct pt_event_header hdr;
	__u32 ppid;
	__u32 child_pid;
	__s32 exit_code;  /* status passed to exit(), valid when signal == 0 */
	__u32 signal;     /* killing signal, 0 for a normal exit */
	__u32 core_dumped;
	__u32 oom_killed;
	__u32 argv_len;   /* bytes of argv, NUL-separated */
	__u32 pad;
	char argv[PROCESS_ARGV_LEN];
};

/* Fork and exit records are reserved without argv: ~10 times as many fit in the ring, so a burst
 * of short-lived processes (a shell loop, 2000 forks a second) is not dropped. */
#define PROCESS_EVENT_HEAD_SIZE __builtin_offsetof(struct process_event, argv)
