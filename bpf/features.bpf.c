// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* features.bpf.c: one empty program per attach type; KernelFeatures loads and attaches each to
 * learn what this kernel allows. Never version checks: lockdown, config and LSMs decide. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "task_reads.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} probe_ringbuf SEC(".maps");

SEC("fentry/do_nanosleep")
int BPF_PROG(probe_fentry)
{
	return 0;
}

SEC("kprobe/do_nanosleep")
int BPF_KPROBE(probe_kprobe)
{
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(probe_tp_btf)
{
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(probe_raw_tp)
{
	return 0;
}

SEC("tracepoint/sched/sched_switch")
int probe_tracepoint(void *ctx)
{
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(probe_uprobe)
{
	return 0;
}

/* Loaded with expected attach type BPF_TRACE_UPROBE_MULTI (libbpf 1.1 has no section name for
 * it); never attached, only link_create's answers matter (kernel_features.cpp). */
SEC("uprobe")
int BPF_KPROBE(probe_uprobe_multi)
{
	return 0;
}

SEC("sockops")
int probe_sockops(struct bpf_sock_ops *skops)
{
	return 1;
}

SEC("cgroup_skb/egress")
int probe_cgroup_skb(struct __sk_buff *skb)
{
	return 1;
}

SEC("perf_event")
int probe_perf_event(void *ctx)
{
	return 0;
}

SEC("raw_tp/sched_switch")
int BPF_PROG(probe_ringbuf_output)
{
	long v = 0;
	bpf_ringbuf_output(&probe_ringbuf, &v, sizeof(v), 0);
	return 0;
}

/* A hash map whose elements are allocated on update (BPF_F_NO_PREALLOC), updated from the
 * strictest tracing context, a perf event (NMI): Linux 6.1's BPF memory allocator lets every
 * tracing program do that. Before it, perf_event programs were refused such a map at load and
 * other tracing programs loaded with a kernel warning, so the families preallocate there. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} probe_hash SEC(".maps");

SEC("perf_event")
int probe_hash_on_demand(void *ctx)
{
	__u32 key = 0;
	__u64 one = 1;

	bpf_map_update_elem(&probe_hash, &key, &one, BPF_ANY);
	return 0;
}

/* Task storage from a tracing program of the kprobe type (uprobes are: the db family and the
 * locks family's pthread hooks), on the BTF task pointer (Linux 5.12). Where it loads, the
 * families keep each thread's call in flight in the task (thread_slots.bpf.h). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} probe_task_slots SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(probe_task_storage)
{
	__u64 *slot = bpf_task_storage_get(&probe_task_slots, bpf_get_current_task_btf(), NULL,
					   BPF_LOCAL_STORAGE_GET_F_CREATE);

	if (slot)
		*slot = 1;
	return 0;
}

/* Reading the current task through bpf_rdonly_cast() (Linux 6.2), from a program of the kprobe
 * type. Where it loads, the families read the task through that cast (task_reads.bpf.h). Where
 * the kernel lacks the kfunc, libbpf leaves the call unresolved and the verifier refuses it. */
SEC("uprobe")
int BPF_KPROBE(probe_task_cast)
{
	struct task_struct *task = bpf_rdonly_cast((void *)bpf_get_current_task(),
						   bpf_core_type_id_kernel(struct task_struct));

	return task->cgroups->dfl_cgrp->kn->id == 0;
}
