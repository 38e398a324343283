/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* common.bpf.h: the target filter, loss counters and histogram helpers every family uses. */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "podtrace_common.h"
#include "task_reads.bpf.h"

/* Set by user space through the mmapped .bss; rewritten when the target's cgroups change.
 * A short array beats a hash lookup for a handful of ids and costs non-targets only a few
 * compares. target_cgroup_count counts every id, inline or not. */
__u64 target_cgroup_ids[PT_INLINE_TARGET_CGROUPS];
__u32 target_cgroup_count;

/* The ids past the inline ones. Allocated on update where the kernel lets perf_event programs
 * (profile) use such maps (hash_on_demand); only user space inserts ids. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_MAX_TARGET_CGROUPS);
	__type(key, __u64);
	__type(value, __u8);
} more_target_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_LOST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline void count_lost(__u32 kind)
{
	__u64 *n = bpf_map_lookup_elem(&lost, &kind);
	if (n)
		(*n)++;
}

/* Counts a new key that a map did not take: it is full (-E2BIG) or, allocating its entries on
 * update (hash_on_demand), it had no memory for one then (-ENOMEM). -EEXIST, another CPU
 * inserting the same key first, is no loss. True when the key was lost. */
static __always_inline bool count_insert_lost(long err)
{
	if (!err || err == -17 /* EEXIST */)
		return false;
	count_lost(PT_LOST_MAP_FULL);
	return true;
}

/* The submit flags of a streamed record: the tracer is woken only once its ring holds a batch
 * (an eighth of the ring). A wake-up per record cost the tracer a context switch per record in a
 * flood; a record below the mark waits at most for the tracer's 100 ms tick, which is when
 * event lines are written anyway. */
static __always_inline __u64 ringbuf_wakeup(void *ringbuf)
{
	__u64 queued = bpf_ringbuf_query(ringbuf, BPF_RB_AVAIL_DATA);

	return queued >= bpf_ringbuf_query(ringbuf, BPF_RB_RING_SIZE) / 8 ? BPF_RB_FORCE_WAKEUP :
									     BPF_RB_NO_WAKEUP;
}

/* The inline loop is short on purpose: the verifier walks every iteration of it in every
 * program (~90 load), and 64 inline slots were ~780 verified instructions per program, about
 * half of all start-up verification (docs/performance.md, start-up and tear-down). */
static __always_inline bool is_target_cgroup(__u64 id)
{
	__u32 n = target_cgroup_count;
	for (__u32 i = 0; i < PT_INLINE_TARGET_CGROUPS; i++) {
		if (i >= n)
			return false;
		if (target_cgroup_ids[i] == id)
			return true;
	}
	return n > PT_INLINE_TARGET_CGROUPS && bpf_map_lookup_elem(&more_target_cgroups, &id);
}

/* Reading the v2 cgroup id through BTF pointers is several times cheaper than
 * bpf_get_current_cgroup_id() (measured: ~3% vs 10-20% over an empty hook). */
static __always_inline __u64 current_cgroup_id(void)
{
	return current_task_to_read()->cgroups->dfl_cgrp->kn->id;
}

static __always_inline bool current_is_target(void)
{
	return is_target_cgroup(current_cgroup_id());
}

/* For task pointers that arrive as plain scalars (raw_tp arguments). */
static __always_inline __u64 task_cgroup_id_core(struct task_struct *task)
{
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

/* Must match podtrace::hist_slot() in tracer/histogram.cpp (a unit test pins both).
 * A global function, not inlined: the verifier checks it once, and its caller sees an unknown
 * result. Inlined, each of log2's six branches forked the caller's state (the slot goes into a
 * map key), so everything after a histogram add was verified many times over: 11 149 of
 * locks' lock_exit's verified instructions became 2 285 (docs/performance.md, start-up and
 * tear-down). At run time it is one BPF-to-BPF call.
 * An object whose programs use nearly all of the 512-byte stack defines PT_HIST_SLOT_INLINE
 * first: a call's frame counts towards the combined stack limit (6.1 refused dns's skb
 * programs: "combined stack size of 2 calls is 544"). */
#ifdef PT_HIST_SLOT_INLINE
static __always_inline
#else
__noinline
#endif
__u32 hist_slot(__u64 v)
{
	if (v < 4)
		return (__u32)v;
	__u32 lg = log2_u64(v);
	__u32 sub = (v >> (lg - PT_HIST_SUB_BITS)) & 3;
	__u32 slot = (lg - 1) * 4 + sub;
	return slot < PT_HIST_SLOTS ? slot : PT_HIST_SLOTS - 1;
}

static __always_inline void hist_add(void *hist_map, __u32 row, __u64 value)
{
	__u32 idx = row * PT_HIST_SLOTS + hist_slot(value);
	__u64 *slot = bpf_map_lookup_elem(hist_map, &idx);
	if (slot)
		(*slot)++;
}

static __always_inline void op_stats_add(void *stats_map, __u32 op, __u64 latency, __u64 bytes,
					 bool error)
{
	struct pt_op_stats *s = bpf_map_lookup_elem(stats_map, &op);
	if (!s)
		return;
	s->count++;
	s->bytes += bytes;
	s->errors += error;
	s->total_ns += latency;
	if (latency > s->max_ns)
		s->max_ns = latency;
}

static __always_inline void fill_header(struct pt_event_header *h, __u32 family, __u32 kind,
					__u64 cgroup_id)
{
	__u64 id = bpf_get_current_pid_tgid();
	h->family = family;
	h->kind = kind;
	h->ts_ns = bpf_ktime_get_ns();
	h->cgroup_id = cgroup_id;
	h->pid = id >> 32;
	h->tid = (__u32)id;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}
