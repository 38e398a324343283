// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cpu.bpf.c: run-queue latency, on-CPU time and off-CPU time by reason, from sched tracepoints. */
#include "common.bpf.h"
#include "cpu.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define TASK_RUNNING 0
#define TASK_UNINTERRUPTIBLE 0x2

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

static __always_inline struct sched_thread *thread_of(struct task_struct *t, __u64 cgid)
{
	__u32 tid = BPF_CORE_READ(t, pid);
	struct sched_thread *st = bpf_map_lookup_elem(&threads, &tid);
	if (st)
		return st;
	struct sched_thread fresh = {};
	fresh.cgroup_id = cgid;
	fresh.pid = BPF_CORE_READ(t, tgid);
	bpf_probe_read_kernel_str(fresh.comm, sizeof(fresh.comm), t->comm);
	if (bpf_map_update_elem(&threads, &tid, &fresh, BPF_NOEXIST) == -7 /* E2BIG */) {
		count_lost(PT_LOST_MAP_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&threads, &tid);
}

static __always_inline void on_wakeup(struct task_struct *p, __u64 cgid)
{
	if (!is_target_cgroup(cgid))
		return;
	struct sched_thread *st = thread_of(p, cgid);
	if (!st)
		return;
	__u64 now = bpf_ktime_get_ns();
	if (st->off_since) {
		__u64 d = now - st->off_since;
		__u32 row = st->off_reason == SCHED_OFF_IO ? SCHED_ROW_OFF_IO : SCHED_ROW_OFF_SLEEP;
		record(row, d);
		st->ns[row] += d;
		st->off_since = 0;
	}
	if (!st->runq_since)
		st->runq_since = now;
}

static __always_inline void on_switch(bool preempt, struct task_struct *prev, __u64 prev_cgid,
				      struct task_struct *next, __u64 next_cgid)
{
	__u64 now = bpf_ktime_get_ns();
	if (is_target_cgroup(prev_cgid)) {
		struct sched_thread *st = thread_of(prev, prev_cgid);
		if (st) {
			if (st->on_since) {
				__u64 d = now - st->on_since;
				record(SCHED_ROW_ONCPU, d);
				st->ns[SCHED_ROW_ONCPU] += d;
				st->on_since = 0;
			}
			st->switches++;
			long state = task_state(prev);
			if (preempt || state == TASK_RUNNING) {
				st->off_reason = SCHED_OFF_PREEMPTED;
				st->involuntary++;
				st->runq_since = now;
			} else {
				st->off_reason = (state & TASK_UNINTERRUPTIBLE) ? SCHED_OFF_IO
										: SCHED_OFF_SLEEP;
				st->off_since = now;
				st->runq_since = 0;
			}
		}
	}
	if (is_target_cgroup(next_cgid)) {
		struct sched_thread *st = thread_of(next, next_cgid);
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
		}
	}
}

SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup_btf, struct task_struct *p)
{
	on_wakeup(p, p->cgroups->dfl_cgrp->kn->id);
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_btf, struct task_struct *p)
{
	on_wakeup(p, p->cgroups->dfl_cgrp->kn->id);
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
	on_wakeup(p, task_cgroup_id_core(p));
	return 0;
}

SEC("raw_tp/sched_wakeup_new")
int BPF_PROG(sched_wakeup_new_raw, struct task_struct *p)
{
	on_wakeup(p, task_cgroup_id_core(p));
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(sched_switch_raw, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	on_switch(preempt, prev, task_cgroup_id_core(prev), next, task_cgroup_id_core(next));
	return 0;
}
