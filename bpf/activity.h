/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* activity.h: the time breakdown's states, and the per-thread activities that families set from
 * their uprobes so the scheduler hook can name what an off-CPU thread was waiting for. */
#pragma once

#include "podtrace_common.h"

/* Every nanosecond of a thread's wall time during the trace is in exactly one state. */
enum pt_thread_state {
	PT_STATE_ON_CPU = 0,
	PT_STATE_RUNQUEUE = 1,  /* runnable, waiting for a CPU */
	PT_STATE_THROTTLED = 2, /* runnable, held back by the CFS quota */
	PT_STATE_FILE_IO = 3,   /* blocked in a file syscall or a page-in */
	PT_STATE_NETWORK = 4,   /* blocked in a socket syscall or poll/select/epoll */
	PT_STATE_DNS = 5,       /* inside getaddrinfo() */
	PT_STATE_LOCK = 6,      /* futex wait, pthread lock, contended kernel lock */
	PT_STATE_DB = 7,        /* inside a libpq / MySQL client call */
	PT_STATE_SLEEP = 8,     /* everything else off CPU: sleep, idle waits, pipes */
	PT_STATE_MAX = 9,
};

/* Activities that only user-space probes can see. Nesting depth per activity: a call that
 * nests (PQexec calls PQgetResult) keeps its activity until the outermost return. */
enum pt_activity_kind {
	PT_ACT_DB = 0,
	PT_ACT_DNS = 1,
	PT_ACT_LOCK = 2,  /* a pthread lock call */
	PT_ACT_KLOCK = 3, /* a contended kernel lock (lock:contention_begin..end) */
	PT_ACT_MAX = 4,
};

#define PT_ACTIVITY_MAX_THREADS 16384

struct pt_thread_activity {
	__u8 depth[PT_ACT_MAX];
	__u8 pad[8 - PT_ACT_MAX];
};
