/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* cpu.h: CPU scheduling aggregates shared by cpu.bpf.c and tracer/probes/cpu_probe.cpp. */
#pragma once

#include "activity.h"
#include "podtrace_common.h"

#define SCHED_MAX_THREADS 16384

/* Rows of the latency histogram and totals. */
enum sched_row {
	SCHED_ROW_RUNQ = 0,      /* runnable, waiting for a CPU */
	SCHED_ROW_ONCPU = 1,     /* one stint on a CPU */
	SCHED_ROW_OFF_IO = 2,    /* blocked uninterruptibly (D state, usually I/O) */
	SCHED_ROW_OFF_SLEEP = 3, /* sleeping interruptibly (S state: futex, poll, nanosleep) */
	SCHED_ROW_PREEMPTED = 4, /* involuntarily switched out while runnable, until it ran again */
	SCHED_ROW_MAX = 5,
};

enum sched_off_reason {
	SCHED_OFF_NONE = 0,
	SCHED_OFF_IO = 1,
	SCHED_OFF_SLEEP = 2,
	SCHED_OFF_PREEMPTED = 3,
};

/* Per-thread state and totals, keyed by tid. */
struct sched_thread {
	__u64 cgroup_id;
	__u32 pid;
	__u32 off_reason;
	__u64 on_since;
	__u64 off_since;
	__u64 runq_since;
	__u64 ns[SCHED_ROW_MAX]; /* cumulative time per row */
	__u64 switches;
	__u64 involuntary;
	char comm[PT_COMM_LEN];
	/* The time breakdown: every ns from first_ns on is in exactly one pt_thread_state. The
	 * current state has run since state_since; user space adds that open interval when it
	 * reads a live thread. */
	__u64 first_ns; /* trace start, or the thread's start when it began later */
	__u64 state_since;
	__u64 end_ns; /* when the thread exited; 0 while it lives */
	__u32 cur_state;
	__u32 pad;
	__u64 state_ns[PT_STATE_MAX];
};
