/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* profile.h: CPU profile samples shared by profile.bpf.c and tracer/probes/profile_probe.cpp. */
#pragma once

#include "podtrace_common.h"

/* 99 Hz, not 100: a round rate samples in lockstep with timers that fire every 10 ms and
 * over- or under-counts whatever they wake (the convention of perf and bcc's profile). */
#define PROFILE_SAMPLE_HZ 99
/* PERF_MAX_STACK_DEPTH, kernel.perf_event_max_stack's default: the kernel walks no deeper. */
#define PROFILE_STACK_DEPTH 127
/* Distinct stacks stored, user and kernel together. */
#define PROFILE_MAX_STACKS 16384
#define PROFILE_MAX_KEYS 16384
#define PROFILE_MAX_PROCS 4096

/* A stored stack's id is a 64-bit hash of its frames, never one of these. */
#define PROFILE_STACK_LOST 0ULL /* not collected or not stored: counted in stack_errors */
#define PROFILE_STACK_NONE 1ULL /* the sample was in user mode: no kernel stack */
#define PROFILE_STACK_STORED_MIN 2ULL

enum profile_stack_kind {
	PROFILE_STACK_USER = 0,
	PROFILE_STACK_KERNEL = 1,
	PROFILE_STACK_KINDS = 2,
};

/* Why a stack was lost; index kind * PROFILE_ERR_MAX + error of stack_errors. */
enum profile_stack_error {
	PROFILE_ERR_EFAULT = 0, /* nothing to walk (no user memory, no frames) */
	PROFILE_ERR_EEXIST = 1, /* the kernel stack map's bucket collisions: none since stacks are
				 * keyed by a 64-bit hash of their frames (kept for the schema) */
	PROFILE_ERR_ENOMEM = 2, /* the stack store full (or out of memory) */
	PROFILE_ERR_OTHER = 3,
	PROFILE_ERR_MAX = 4,
};

/* Index into the per-CPU totals array. */
enum profile_total {
	PROFILE_TOTAL_SAMPLES = 0, /* samples of the target, counted or not */
	PROFILE_TOTAL_MAX = 1,
};

/* The in-kernel aggregate: samples per (process, user stack, kernel stack). */
struct profile_key {
	__u32 pid; /* tgid */
	__u32 pad;
	__u64 user_stack_id;
	__u64 kernel_stack_id;
};

/* First seen name of each sampled process: user space reads its mappings when one appears. */
struct profile_proc {
	char comm[PT_COMM_LEN];
};
