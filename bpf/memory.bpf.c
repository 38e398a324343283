// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* memory.bpf.c: minor/major page faults per process and direct/memcg reclaim stalls of the
 * target, from the page_fault_user, vmscan and sched_process_exit tracepoints. */
#include "common.bpf.h"
#include "memory.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";


struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMORY_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct memory_thread);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMORY_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct memory_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMORY_MAX_THREADS);
	__type(key, struct memory_reclaim_inflight_key);
	__type(value, __u64);
} reclaim_inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MEMORY_MAX_PROCS);
	__type(key, struct memory_reclaim_key);
	__type(value, struct memory_reclaim_stats);
} reclaim_procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MEMORY_RECLAIM_MAX);
	__type(key, __u32);
	__type(value, struct memory_reclaim_stats);
} reclaim_totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MEMORY_RECLAIM_MAX *PT_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} reclaim_hist SEC(".maps");

static __always_inline struct memory_proc *proc_of(__u32 pid)
{
	struct memory_proc *p = bpf_map_lookup_elem(&procs, &pid);
	if (p)
		return p;
	struct memory_proc fresh = {};
	bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
	if (count_insert_lost(bpf_map_update_elem(&procs, &pid, &fresh, BPF_NOEXIST)))
		return NULL;
	return bpf_map_lookup_elem(&procs, &pid);
}

/* The page_fault_user tracepoint has no major/minor flag (it fires before the fault is
 * handled), so the kernel's own per-task counters are read instead: exact, and the same numbers
 * /proc/PID/stat shows. */
static __always_inline void on_user_fault(void)
{
	if (!current_is_target())
		return;
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 min = task->min_flt, maj = task->maj_flt;
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, pid = id >> 32;

	struct memory_proc *p = proc_of(pid);
	if (p)
		__sync_fetch_and_add(&p->user_faults, 1);

	struct memory_thread *t = bpf_map_lookup_elem(&threads, &tid);
	/* A different pid under the same tid: a non-leader thread exec'd and took the leader's
	 * tid; its old entry can no longer be settled, so it starts over. */
	if (t && t->pid == pid) {
		t->last_min = min;
		t->last_maj = maj;
		return;
	}
	struct memory_thread fresh = {
		.pid = pid,
		.base_min = min,
		.base_maj = maj,
		.last_min = min,
		.last_maj = maj,
	};
	count_insert_lost(bpf_map_update_elem(&threads, &tid, &fresh, BPF_ANY));
}

/* A thread's counters die with it: fold what it did into its process. Runs in the exiting
 * thread's context, and only threads with an entry (target threads that faulted) cost more than
 * one lookup. */
static __always_inline void on_thread_exit(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct memory_thread *t = bpf_map_lookup_elem(&threads, &tid);
	if (!t)
		return;
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 min = task->min_flt, maj = task->maj_flt;
	__u32 pid = t->pid;
	struct memory_proc *p = bpf_map_lookup_elem(&procs, &pid);
	if (p) {
		__sync_fetch_and_add(&p->minor, min - t->base_min);
		__sync_fetch_and_add(&p->major, maj - t->base_maj);
	}
	bpf_map_delete_elem(&threads, &tid);
}

static __always_inline void reclaim_begin(__u32 kind)
{
	if (!current_is_target())
		return;
	struct memory_reclaim_inflight_key key = {
		.tid = (__u32)bpf_get_current_pid_tgid(),
		.kind = kind,
	};
	__u64 now = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&reclaim_inflight, &key, &now, BPF_ANY))
		count_lost(PT_LOST_MAP_FULL);
}

static __always_inline void stats_add(struct memory_reclaim_stats *s, __u64 ns, __u64 pages)
{
	__sync_fetch_and_add(&s->count, 1);
	__sync_fetch_and_add(&s->total_ns, ns);
	__sync_fetch_and_add(&s->pages, pages);
	if (ns > s->max_ns)
		s->max_ns = ns;
}

static __always_inline void reclaim_end(__u32 kind, __u64 nr_reclaimed)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct memory_reclaim_inflight_key key = {.tid = (__u32)id, .kind = kind};
	/* Only a target thread's _begin left an entry: the filter already ran. */
	__u64 *start = bpf_map_lookup_elem(&reclaim_inflight, &key);
	if (!start)
		return;
	__u64 ns = bpf_ktime_get_ns() - *start;
	bpf_map_delete_elem(&reclaim_inflight, &key);

	struct memory_reclaim_stats *total = bpf_map_lookup_elem(&reclaim_totals, &kind);
	if (total)
		stats_add(total, ns, nr_reclaimed);
	hist_add(&reclaim_hist, kind, ns);

	struct memory_reclaim_key pk = {.pid = id >> 32, .kind = kind};
	struct memory_reclaim_stats *s = bpf_map_lookup_elem(&reclaim_procs, &pk);
	if (!s) {
		struct memory_reclaim_stats fresh = {};
		bpf_get_current_comm(fresh.comm, sizeof(fresh.comm));
		if (count_insert_lost(bpf_map_update_elem(&reclaim_procs, &pk, &fresh, BPF_NOEXIST)))
			return;
		s = bpf_map_lookup_elem(&reclaim_procs, &pk);
		if (!s)
			return;
	}
	stats_add(s, ns, nr_reclaimed);
}

/* tp_btf: typed arguments, no trace record is built. */
SEC("tp_btf/page_fault_user")
int BPF_PROG(memory_fault_btf)
{
	on_user_fault();
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(memory_exit_btf)
{
	on_thread_exit();
	return 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(memory_direct_begin_btf)
{
	reclaim_begin(MEMORY_RECLAIM_DIRECT);
	return 0;
}

SEC("tp_btf/mm_vmscan_direct_reclaim_end")
int BPF_PROG(memory_direct_end_btf, unsigned long nr_reclaimed)
{
	reclaim_end(MEMORY_RECLAIM_DIRECT, nr_reclaimed);
	return 0;
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(memory_memcg_begin_btf)
{
	reclaim_begin(MEMORY_RECLAIM_MEMCG);
	return 0;
}

SEC("tp_btf/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(memory_memcg_end_btf, unsigned long nr_reclaimed)
{
	reclaim_end(MEMORY_RECLAIM_MEMCG, nr_reclaimed);
	return 0;
}

/* raw_tp: kernels without BTF-typed tracepoints. */
SEC("raw_tp/page_fault_user")
int BPF_PROG(memory_fault_raw)
{
	on_user_fault();
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(memory_exit_raw)
{
	on_thread_exit();
	return 0;
}

SEC("raw_tp/mm_vmscan_direct_reclaim_begin")
int BPF_PROG(memory_direct_begin_raw)
{
	reclaim_begin(MEMORY_RECLAIM_DIRECT);
	return 0;
}

SEC("raw_tp/mm_vmscan_direct_reclaim_end")
int BPF_PROG(memory_direct_end_raw, unsigned long nr_reclaimed)
{
	reclaim_end(MEMORY_RECLAIM_DIRECT, nr_reclaimed);
	return 0;
}

SEC("raw_tp/mm_vmscan_memcg_reclaim_begin")
int BPF_PROG(memory_memcg_begin_raw)
{
	reclaim_begin(MEMORY_RECLAIM_MEMCG);
	return 0;
}

SEC("raw_tp/mm_vmscan_memcg_reclaim_end")
int BPF_PROG(memory_memcg_end_raw, unsigned long nr_reclaimed)
{
	reclaim_end(MEMORY_RECLAIM_MEMCG, nr_reclaimed);
	return 0;
}

/* Classic tracepoints: the last resort, where raw tracepoints are refused. */
SEC("tracepoint/exceptions/page_fault_user")
int memory_fault_tp(void *ctx)
{
	on_user_fault();
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int memory_exit_tp(void *ctx)
{
	on_thread_exit();
	return 0;
}

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_begin")
int memory_direct_begin_tp(void *ctx)
{
	reclaim_begin(MEMORY_RECLAIM_DIRECT);
	return 0;
}

SEC("tracepoint/vmscan/mm_vmscan_direct_reclaim_end")
int memory_direct_end_tp(struct trace_event_raw_mm_vmscan_direct_reclaim_end_template *ctx)
{
	reclaim_end(MEMORY_RECLAIM_DIRECT, ctx->nr_reclaimed);
	return 0;
}

SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_begin")
int memory_memcg_begin_tp(void *ctx)
{
	reclaim_begin(MEMORY_RECLAIM_MEMCG);
	return 0;
}

SEC("tracepoint/vmscan/mm_vmscan_memcg_reclaim_end")
int memory_memcg_end_tp(struct trace_event_raw_mm_vmscan_direct_reclaim_end_template *ctx)
{
	reclaim_end(MEMORY_RECLAIM_MEMCG, ctx->nr_reclaimed);
	return 0;
}
