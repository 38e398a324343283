/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* memory.h: page-fault and reclaim aggregates shared by memory.bpf.c and
 * tracer/probes/memory_probe.cpp. */
#pragma once

#include "podtrace_common.h"

#define MEMORY_MAX_THREADS 16384
#define MEMORY_MAX_PROCS 8192

/* Kinds of reclaim a thread can be stalled in. */
enum memory_reclaim_kind {
	MEMORY_RECLAIM_DIRECT = 0, /* the page allocator ran out: the node is short of memory */
	MEMORY_RECLAIM_MEMCG = 1,  /* a charge hit the cgroup's limit (or memory.high) */
	MEMORY_RECLAIM_MAX = 2,
};

/* A live thread that took a user-mode page fault during the trace, keyed by tid. The kernel
 * counts minor and major faults per task (task_struct::min_flt, maj_flt); these are its counters
 * when the thread was first seen and at its latest fault. The tracepoint fires before the fault
 * is handled, so `base_*` excludes the first fault and `last_*` may lag by one: the exit hook, or
 * user space from /proc/PID/task/TID/stat, supplies the final values. */
struct memory_thread {
	__u32 pid;
	__u32 pad;
	__u64 base_min;
	__u64 base_maj;
	__u64 last_min;
	__u64 last_maj;
};

/* Per process (tgid): user-mode fault events, and the minor/major deltas of its threads that
 * already exited (folded in by the exit hook). */
struct memory_proc {
	__u64 user_faults;
	__u64 minor;
	__u64 major;
	char comm[PT_COMM_LEN];
};

struct memory_reclaim_key {
	__u32 pid;
	__u32 kind; /* MEMORY_RECLAIM_* */
};

struct memory_reclaim_inflight_key {
	__u32 tid;
	__u32 kind;
};

/* Totals of one reclaim kind, per process or (per-CPU) for the whole target. */
struct memory_reclaim_stats {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u64 pages; /* nr_reclaimed reported by the _end tracepoint */
	char comm[PT_COMM_LEN];
};
