/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* locks.h: futex waits, pthread mutex/rwlock waits and kernel lock contention, shared by locks.bpf.c and tracer/probes/locks_probe.cpp. */
#pragma once

#include "podtrace_common.h"

#define LOCKS_MAX_INFLIGHT 16384 /* threads waiting for a kernel lock */
#define LOCKS_MAX_LOCKS 16384	  /* (process, lock) entries */
#define LOCKS_MAX_WAITERS 32768	  /* (process, lock, thread) entries */
#define LOCKS_MAX_HIST_KEYS 65536 /* non-empty (process, lock, slot) buckets */
#define LOCKS_MAX_KLOCKS 4096	  /* kernel lock addresses */
/* Rows of the kernel-lock histogram: one per value of the 6 LCB_F_* flag bits. */
#define LOCKS_KFLAG_ROWS 64

/* futex(2) commands that wait (include/uapi/linux/futex.h), after masking off
 * FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME. */
#define LOCKS_FUTEX_WAIT 0
#define LOCKS_FUTEX_LOCK_PI 6
#define LOCKS_FUTEX_WAIT_BITSET 9
#define LOCKS_FUTEX_WAIT_REQUEUE_PI 11
#define LOCKS_FUTEX_LOCK_PI2 13
#define LOCKS_FUTEX_PRIVATE_FLAG 128
#define LOCKS_FUTEX_CLOCK_REALTIME 256
/* Operations that are not futex(2) commands get their own bits in locks_lock_stats.ops. */
#define LOCKS_OP_FUTEX_WAITV 16 /* futex_waitv(2), 5.16 */
#define LOCKS_OP_FUTEX2_WAIT 17 /* futex_wait(2), the futex2 single wait, 6.7 */
#define LOCKS_OP_MAX 18
/* futex2 flags (futex_waitv entries, futex_wait): FUTEX2_PRIVATE is FUTEX_PRIVATE_FLAG. */
#define LOCKS_FUTEX2_PRIVATE 128
#define LOCKS_FUTEX_WAITV_MAX 128

/* lock:contention_begin flags (include/trace/events/lock.h). */
#define LOCKS_LCB_F_SPIN (1U << 0)
#define LOCKS_LCB_F_READ (1U << 1)
#define LOCKS_LCB_F_WRITE (1U << 2)
#define LOCKS_LCB_F_RT (1U << 3)
#define LOCKS_LCB_F_PERCPU (1U << 4)
#define LOCKS_LCB_F_MUTEX (1U << 5)

/* What the waiting thread called. */
enum locks_kind {
	LOCKS_KIND_FUTEX = 0,	     /* futex(2) waits, futex_waitv(2), futex_wait(2) */
	LOCKS_KIND_MUTEX = 1,	     /* pthread_mutex_lock/timedlock/clocklock */
	LOCKS_KIND_RWLOCK_READ = 2,  /* pthread_rwlock_rdlock/timedrdlock/clockrdlock */
	LOCKS_KIND_RWLOCK_WRITE = 3, /* pthread_rwlock_wrlock/timedwrlock/clockwrlock */
	LOCKS_KIND_MAX = 4,
};

/* Kernel locks we can name: the lock address equals a field of the waiting task. */
enum locks_kclass {
	LOCKS_KCLASS_NONE = 0,
	LOCKS_KCLASS_MMAP_LOCK = 1, /* current->mm->mmap_lock */
	LOCKS_KCLASS_SIGLOCK = 2,   /* current->sighand->siglock */
};

enum locks_event_kind {
	LOCKS_EVENT_SLOW_USER = 1,   /* a pthread lock call waited >= slow_threshold_ns */
	LOCKS_EVENT_SLOW_KERNEL = 2, /* a kernel lock contention lasted >= slow_threshold_ns */
	LOCKS_EVENT_NEW_LOCK = 3,    /* a pthread lock's first wait (not streamed: names callers) */
};

/* LOCKS_F_* in locks_lock_stats.flags */
#define LOCKS_F_SHARED 1 /* a futex waited on without FUTEX_PRIVATE_FLAG / FUTEX2_PRIVATE */

/* One lock of one process. The address is in that process's address space; private futexes
 * are per process anyway, and a shared futex is shown per process that waited on it. */
struct locks_lock_key {
	__u64 addr;
	__u32 tgid;
	__u32 kind; /* enum locks_kind */
};

struct locks_lock_stats {
	__u64 waits;	   /* calls that slept (futex), pthread calls that slept in one (or took
			    * >= mutex_min_wait_ns) */
	__u64 total_ns;	   /* time in those waits */
	__u64 max_ns;
	__u64 not_blocked; /* futex: EAGAIN, the value had changed and the call did not sleep */
	__u64 timeouts;	   /* ETIMEDOUT */
	__u64 errors;	   /* other failures that did not wait (EINVAL, EDEADLK, EFAULT...) */
	__u64 caller;	   /* pthread: return address of the first call that waited */
	__u64 ops;	   /* futex: 1 << command (LOCKS_FUTEX_*, LOCKS_OP_*) of the calls seen */
	__u64 flags;	   /* LOCKS_F_* (64 bits: the BPF atomic OR is 64-bit only) */
};

/* One thread waiting on one lock. */
struct locks_waiter_key {
	struct locks_lock_key lock;
	__u32 tid;
	__u32 pad;
};

struct locks_waiter_stats {
	__u64 waits;
	__u64 total_ns;
	__u64 max_ns;
	char comm[PT_COMM_LEN];
};

struct locks_hist_key {
	struct locks_lock_key lock;
	__u32 slot;
	__u32 pad;
};

/* Totals per kind, per CPU. */
struct locks_kind_stats {
	__u64 calls;	   /* every wait call (futex) or lock call (pthread) of the target */
	__u64 waits;	   /* those that slept, as in locks_lock_stats.waits */
	__u64 not_blocked; /* futex EAGAIN; pthread calls that took the lock without waiting */
	__u64 total_ns;	   /* time in waits */
	__u64 max_ns;
};

struct locks_klock_key {
	__u64 addr; /* kernel address of the lock */
	__u32 flags; /* LCB_F_* of its first contention_begin */
	__u32 pad;
};

struct locks_klock_stats {
	__u64 count;
	__u64 total_ns;
	__u64 max_ns;
	__u32 kclass; /* enum locks_kclass */
	__u32 tgid;   /* last target process that waited on it */
	char comm[PT_COMM_LEN];
};

struct locks_event {
	struct pt_event_header hdr;
	__u64 addr;    /* user lock address, or kernel lock address */
	__u64 wait_ns;
	__u64 caller;  /* pthread: return address */
	__u32 kind;    /* enum locks_kind for LOCKS_EVENT_SLOW_USER */
	__u32 flags;   /* LCB_F_* for LOCKS_EVENT_SLOW_KERNEL */
	__u32 kclass;  /* enum locks_kclass */
	__s32 ret;     /* pthread return value (0, ETIMEDOUT...) */
};
