// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* process.bpf.c: exec (with argv), fork, exit (code or signal) and OOM kills of the target. */
#include "common.bpf.h"
#include "process.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROCESS_COUNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Victims chosen by the OOM killer; consumed when they exit. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} oom_victims SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 19);
} events SEC(".maps");

static __always_inline void bump(__u32 counter)
{
	__u64 *n = bpf_map_lookup_elem(&counters, &counter);
	if (n)
		(*n)++;
}

/* size: sizeof(struct process_event), or PROCESS_EVENT_HEAD_SIZE for a record without argv. */
static __always_inline struct process_event *reserve(__u32 kind, __u64 cgid, __u32 size)
{
	struct process_event *e = bpf_ringbuf_reserve(&events, size, 0);
	if (!e) {
		count_lost(PT_LOST_RINGBUF);
		return NULL;
	}
	fill_header(&e->hdr, PT_FAMILY_PROCESS, kind, cgid);
	e->ppid = 0;
	e->child_pid = 0;
	e->exit_code = 0;
	e->signal = 0;
	e->core_dumped = 0;
	e->oom_killed = 0;
	e->argv_len = 0;
	return e;
}

static __always_inline void on_exec(void)
{
	__u64 cgid = current_cgroup_id();
	if (!is_target_cgroup(cgid))
		return;
	bump(PROCESS_COUNT_EXEC);
	struct process_event *e = reserve(PROCESS_EVENT_EXEC, cgid, sizeof(*e));
	if (!e)
		return;
	struct task_struct *task = bpf_get_current_task_btf();
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	unsigned long start = BPF_CORE_READ(task, mm, arg_start);
	unsigned long end = BPF_CORE_READ(task, mm, arg_end);
	unsigned long len = end - start;
	if (len > PROCESS_ARGV_LEN)
		len = PROCESS_ARGV_LEN;
	if (len && bpf_probe_read_user(e->argv, len & (PROCESS_ARGV_LEN - 1) ?: PROCESS_ARGV_LEN,
				       (const void *)start) == 0)
		e->argv_len = len;
	bpf_ringbuf_submit(e, ringbuf_wakeup(&events));
}

static __always_inline void on_fork(struct task_struct *child)
{
	__u64 cgid = current_cgroup_id();
	if (!is_target_cgroup(cgid))
		return;
	struct task_struct *parent = bpf_get_current_task_btf();
	bool thread = BPF_CORE_READ(child, tgid) == parent->tgid;
	if (thread) {
		bump(PROCESS_COUNT_THREAD);
		return;
	}
	bump(PROCESS_COUNT_FORK);
	struct process_event *e = reserve(PROCESS_EVENT_FORK, cgid, PROCESS_EVENT_HEAD_SIZE);
	if (!e)
		return;
	e->child_pid = BPF_CORE_READ(child, pid);
	bpf_ringbuf_submit(e, ringbuf_wakeup(&events));
}

static __always_inline void on_exit(void)
{
	__u64 cgid = current_cgroup_id();
	if (!is_target_cgroup(cgid))
		return;
	struct task_struct *task = bpf_get_current_task_btf();
	/* Only the thread-group leader's exit is the process's exit. */
	if (task->pid != task->tgid)
		return;
	bump(PROCESS_COUNT_EXIT);
	__u32 pid = task->tgid;
	__u8 *victim = bpf_map_lookup_elem(&oom_victims, &pid);
	struct process_event *e = reserve(PROCESS_EVENT_EXIT, cgid, PROCESS_EVENT_HEAD_SIZE);
	if (!e)
		return;
	int code = task->exit_code;
	e->exit_code = (code >> 8) & 0xff;
	e->signal = code & 0x7f;
	e->core_dumped = (code & 0x80) ? 1 : 0;
	e->ppid = task->real_parent->tgid;
	if (victim) {
		e->oom_killed = 1;
		bpf_map_delete_elem(&oom_victims, &pid);
	}
	bpf_ringbuf_submit(e, ringbuf_wakeup(&events));
}

/* The OOM killer runs in the allocating task's context, so filter on the victim. */
static __always_inline void on_oom_victim(__u32 pid, __u64 victim_cgid)
{
	if (!is_target_cgroup(victim_cgid))
		return;
	bump(PROCESS_COUNT_OOM_KILL);
	__u8 one = 1;
	bpf_map_update_elem(&oom_victims, &pid, &one, BPF_ANY);
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(process_exec_btf)
{
	on_exec();
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(process_fork_btf, struct task_struct *parent, struct task_struct *child)
{
	on_fork(child);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(process_exit_btf)
{
	on_exit();
	return 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(process_oom_btf, struct task_struct *victim)
{
	on_oom_victim(victim->tgid, victim->cgroups->dfl_cgrp->kn->id);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(process_exec_raw)
{
	on_exec();
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(process_fork_raw, struct task_struct *parent, struct task_struct *child)
{
	on_fork(child);
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(process_exit_raw)
{
	on_exit();
	return 0;
}

SEC("raw_tp/mark_victim")
int BPF_PROG(process_oom_raw, struct task_struct *victim)
{
	on_oom_victim(BPF_CORE_READ(victim, tgid), task_cgroup_id_core(victim));
	return 0;
}
