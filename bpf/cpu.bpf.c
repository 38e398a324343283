// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cpu.bpf.c: run-queue latency, on-CPU time and off-CPU time by reason, and the time breakdown
 * (every ns of each target thread in one state), from sched tracepoints. */
#include "common.bpf.h"
#include "cpu.h"
#include "wait_state.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TASK_RUNNING 0
#define TASK_UNINTERRUPTIBLE 0x2
#define TASK_DEAD 0x80

/* CLOCK_MONOTONIC when the trace started: threads that existed before it begin their wall time
 * here. */
const volatile __u64 trace_start_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCHED_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct sched_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCHED_ROW_MAX);
	__type(key, __u32);
	__type(value, struct pt_op_stats);
} row_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCHED_ROW_MAX *PT_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} row_hist SEC(".maps");

/* Linux 5.14 renamed task_struct::state to __state. */
struct task_struct___pre514 {
	long state;
} __attribute__((preserve_access_index));

static __always_inline long task_state(struct task_struct *t)
{
	if (bpf_core_field_exists(t->__state))
		return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___pre514 *)t, state);
}

static __always_inline void record(__u32 row, __u64 ns)
{
	op_stats_add(&row_stats, row, ns, 0, false);
	hist_add(&row_hist, row, ns);
}

/* Closes the current state's interval at `now` and opens `state`. */
static __always_inline void state_to(struct sched_thread *st, __u32 state, __u64 now)
{
	__u32 cur = st->cur_state;
	if (cur < PT_STATE_MAX && now > st->state_since)
		st->state_ns[cur] += now - st->state_since;
	st->cur_state = state;
	st->state_since = now;
}

/* The thread's entry, created on first sight. A new entry's time from the trace's start (or the
 * thread's, when later) until now is in `first_state`, which the caller computes: what the
 * thread was doing before the event that revealed it. */
static __always_inline struct sched_thread *thread_of(struct task_struct *t, __u64 cgid,
						      __u32 tid, __u32 first_state)
{
	struct sched_thread fresh = {};
	fresh.cgroup_id = cgid;
	fresh.pid = BPF_CORE_READ(t, tgid);
	bpf_probe_read_kernel_str(fresh.comm, sizeof(fresh.comm), t->comm);
	__u64 start = BPF_CORE_READ(t, start_time);
	fresh.first_ns = start > trace_start_ns ? start : trace_start_ns;
	fresh.state_since = fresh.first_ns;
	fresh.cur_state = first_state;
	if (count_insert_lost(bpf_map_update_elem(&threads, &tid, &fresh, BPF_NOEXIST)))
		return NULL;
	return bpf_map_lookup_elem(&threads, &tid);
}

/* Runnable but not running: the CFS quota holds it back when its group (or an ancestor) is
 * throttled. */
static __always_inline __u32 runnable_state(struct task_struct *t)
{
	if (!bpf_core_field_exists(((struct cfs_rq *)0)->throttle_count))
		return PT_STATE_RUNQUEUE;
	struct cfs_rq *rq = BPF_CORE_READ(t, se.cfs_rq);
	if (rq && BPF_CORE_READ(rq, throttle_count) > 0)
		return PT_STATE_THROTTLED;
	return PT_STATE_RUNQUEUE;
}

/* `btf`: p is a trusted BTF pointer (tp_btf), so its saved registers can name what a thread
 * first seen at its wake-up was waiting for; raw_tp calls it a sleep. */
static __always_inline void on_wakeup(struct task_struct *p, __u64 cgid, bool btf, bool is_new)
{
	if (!is_target_cgroup(cgid))
		return;
	__u64 now = bpf_ktime_get_ns();
	__u32 tid = BPF_CORE_READ(p, pid);
	struct sched_thread *st = bpf_map_lookup_elem(&threads, &tid);
	if (!st) {
		__u32 first = PT_STATE_RUNQUEUE;
		if (!is_new)
			first = btf ? wait_state(p, task_state(p), false) : PT_STATE_SLEEP;
		st = thread_of(p, cgid, tid, first);
		if (!st)
			return;
	}
	if (st->off_since) {
		__u64 d = now - st->off_since;
		__u32 row = st->off_reason == SCHED_OFF_IO ? SCHED_ROW_OFF_IO : SCHED_ROW_OFF_SLEEP;
		record(row, d);
		st->ns[row] += d;
		st->off_since = 0;
	}
	if (!st->runq_since)
		st->runq_since = now;
	/* Wake-ups also reach threads still on their way off the CPU, or already queued. */
	__u32 cur = st->cur_state;
	if (!st->end_ns && cur != PT_STATE_ON_CPU && cur != PT_STATE_RUNQUEUE &&
	    cur != PT_STATE_THROTTLED)
		state_to(st, runnable_state(p), now);
}

static __always_inline void on_switch(bool preempt, struct task_struct *prev, __u64 prev_cgid,
				      struct task_struct *next, __u64 next_cgid)
{
	__u64 now = bpf_ktime_get_ns();
	if (is_target_cgroup(prev_cgid)) {
		__u32 tid = BPF_CORE_READ(prev, pid);
		struct sched_thread *st = bpf_map_lookup_elem(&threads, &tid);
		if (!st)
			st = thread_of(prev, prev_cgid, tid, PT_STATE_ON_CPU);
		if (st) {
			if (st->on_since) {
				__u64 d = now - st->on_since;
				record(SCHED_ROW_ONCPU, d);
				st->ns[SCHED_ROW_ONCPU] += d;
				st->on_since = 0;
			}
			st->switches++;
			/* prev is the task leaving this CPU: the current task, as a BTF pointer. */
			struct task_struct *cur = bpf_get_current_task_btf();
			long state = task_state(prev);
			if (state & TASK_DEAD) {
				state_to(st, PT_STATE_ON_CPU, now);
				st->end_ns = now;
				st->runq_since = 0;
				bpf_map_delete_elem(&pt_activity, &tid);
			} else if (preempt || state == TASK_RUNNING) {
				st->off_reason = SCHED_OFF_PREEMPTED;
				st->involuntary++;
				st->runq_since = now;
				state_to(st, runnable_state(cur), now);
			} else {
				st->off_reason = (state & TASK_UNINTERRUPTIBLE) ? SCHED_OFF_IO
										: SCHED_OFF_SLEEP;
				st->off_since = now;
				st->runq_since = 0;
				state_to(st, wait_state(cur, state, true), now);
			}
		}
	}
	if (is_target_cgroup(next_cgid)) {
		__u32 tid = BPF_CORE_READ(next, pid);
		struct sched_thread *st = bpf_map_lookup_elem(&threads, &tid);
		if (!st)
			st = thread_of(next, next_cgid, tid, PT_STATE_RUNQUEUE);
		if (st) {
			if (st->runq_since) {
				__u64 d = now - st->runq_since;
				record(SCHED_ROW_RUNQ, d);
				st->ns[SCHED_ROW_RUNQ] += d;
				if (st->off_reason == SCHED_OFF_PREEMPTED) {
					record(SCHED_ROW_PREEMPTED, d);
					st->ns[SCHED_ROW_PREEMPTED] += d;
				}
				st->runq_since = 0;
			}
			st->off_reason = SCHED_OFF_NONE;
			st->on_since = now;
			if (!st->end_ns)
				state_to(st, PT_STATE_ON_CPU, now);
		}
	}
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup_btf, struct task_struct *p)
{
	on_wakeup(p, p->cgroups->dfl_cgrp->kn->id, true, false);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_btf, struct task_struct *p)
{
	on_wakeup(p, p->cgroups->dfl_cgrp->kn->id, true, true);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch_btf, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(preempt, prev, prev->cgroups->dfl_cgrp->kn->id, next,
		  next->cgroups->dfl_cgrp->kn->id);
	return 0;
}

SEC("raw_tp/sched_wakeup")
int BPF_PROG(sched_wakeup_raw, struct task_struct *p)
{
	on_wakeup(p, task_cgroup_id_core(p), false, false);
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_raw, struct task_struct *p)
{
	on_wakeup(p, task_cgroup_id_core(p), false, true);
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(preempt, prev, task_cgroup_id_core(prev), next, task_cgroup_id_core(next));
	return 0;
}
