// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* profile.bpf.c: timed CPU samples of the target with user and kernel stacks, counted per
 * (process, user stack, kernel stack). Attached by user space to one cpu-clock perf event per
 * online CPU. */
#include "common.bpf.h"
#include "profile.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define EFAULT 14
#define ENOMEM 12
#define EEXIST 17
#define E2BIG 7

/* The frames of each distinct stack, keyed by a hash of them. A plain hash map rather than a
 * BPF_MAP_TYPE_STACK_TRACE: the kernel preallocates a stack map whole (17 MB for these sizes, a
 * fifth of the tracer's start-up on a guest with dear page faults), and a stack map loses a
 * stack whose bucket another stack took (EEXIST). This one is allocated as stacks come, where
 * the kernel allows it (tracer/probes/skeleton_loader.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROFILE_MAX_STACKS);
	__type(key, __u64);
	__type(value, __u64[PROFILE_STACK_DEPTH]);
} stacks SEC(".maps");

/* Where bpf_get_stack() writes: a stack is larger than a BPF program's stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[PROFILE_STACK_DEPTH]);
} stack_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROFILE_MAX_KEYS);
	__type(key, struct profile_key);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PROFILE_MAX_PROCS);
	__type(key, __u32);
	__type(value, struct profile_proc);
} procs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROFILE_STACK_KINDS *PROFILE_ERR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stack_errors SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PROFILE_TOTAL_MAX);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

static __always_inline void bump(void *percpu_array, __u32 idx)
{
	__u64 *n = bpf_map_lookup_elem(percpu_array, &idx);
	if (n)
		(*n)++;
}

static __always_inline __u32 error_index(long err)
{
	switch (err) {
	case -EFAULT:
		return PROFILE_ERR_EFAULT;
	case -EEXIST:
		return PROFILE_ERR_EEXIST;
	case -ENOMEM:
	case -E2BIG: /* a full hash map */
		return PROFILE_ERR_ENOMEM;
	}
	return PROFILE_ERR_OTHER;
}

/* A 64-bit hash of the first `words` frames (the walk zeroes the rest): distinct stacks share
 * an id with odds of about n^2 / 2^65, so no frames are compared. */
static __always_inline __u64 frames_hash(const __u64 *ips, long words, __u32 kind)
{
	__u64 h = 0xcbf29ce484222325ULL ^ kind;
	for (int i = 0; i < PROFILE_STACK_DEPTH; i++) {
		if (i >= words)
			break;
		h = (h ^ ips[i]) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 29;
	}
	return h < PROFILE_STACK_STORED_MIN ? h + PROFILE_STACK_STORED_MIN : h;
}

static __always_inline __u64 stack_lost(__u32 kind, long err)
{
	bump(&stack_errors, kind * PROFILE_ERR_MAX + error_index(err));
	return PROFILE_STACK_LOST;
}

/* A failed walk is still a sample: it is counted under PROFILE_STACK_LOST, and why it failed
 * goes to stack_errors, so a profile with lost stacks says so. */
static __always_inline __u64 stack_id(struct bpf_perf_event_data *ctx, __u64 flags, __u32 kind)
{
	__u32 zero = 0;
	__u64 *ips = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (!ips)
		return stack_lost(kind, 0);
	long len = bpf_get_stack(ctx, ips, PROFILE_STACK_DEPTH * sizeof(__u64), flags);
	if (len <= 0) /* 0: no frames, nothing to walk */
		return stack_lost(kind, len < 0 ? len : -EFAULT);
	__u64 id = frames_hash(ips, len / sizeof(__u64), kind);
	if (bpf_map_lookup_elem(&stacks, &id))
		return id;
	long err = bpf_map_update_elem(&stacks, &id, ips, BPF_NOEXIST);
	if (err && err != -EEXIST) /* EEXIST: another CPU stored the same stack meanwhile */
		return stack_lost(kind, err);
	return id;
}

static __always_inline void remember_process(__u32 tgid)
{
	if (bpf_map_lookup_elem(&procs, &tgid))
		return;
	struct profile_proc p = {};
	bpf_get_current_comm(p.comm, sizeof(p.comm));
	count_insert_lost(bpf_map_update_elem(&procs, &tgid, &p, BPF_NOEXIST));
}

static __always_inline void count_sample(struct profile_key *key)
{
	__u64 *n = bpf_map_lookup_elem(&counts, key);
	if (!n) {
		__u64 one = 1;
		if (!bpf_map_update_elem(&counts, key, &one, BPF_NOEXIST))
			return;
		/* Another CPU may have added the key since the lookup. */
		n = bpf_map_lookup_elem(&counts, key);
		if (!n) {
			count_lost(PT_LOST_MAP_FULL);
			return;
		}
	}
	__sync_fetch_and_add(n, 1);
}

/* Run by user space on each online CPU (BPF_PROG_TEST_RUN, BPF_F_TEST_RUN_ON_CPU) before any
 * sample, never attached: one store and delete in `stacks` there. Where the store allocates on
 * demand, a sample takes its entries from the BPF allocator's per-CPU cache, which a new map
 * fills with one entry per CPU and refills only after the sample's interrupt: the first sample
 * on a CPU that brought a new user and a new kernel stack lost the second (ENOMEM). The store
 * here has the cache refilled beforehand. PROFILE_STACK_LOST is never a stored stack's id. */
SEC("raw_tp")
int warm_stack_store(void *ctx)
{
	__u32 zero = 0;
	__u64 key = PROFILE_STACK_LOST;
	__u64 *ips = bpf_map_lookup_elem(&stack_scratch, &zero);
	if (ips && !bpf_map_update_elem(&stacks, &key, ips, BPF_ANY))
		bpf_map_delete_elem(&stacks, &key);
	return 0;
}

SEC("perf_event")
int profile_sample_perf(struct bpf_perf_event_data *ctx)
{
	if (!current_is_target())
		return 0;
	bump(&totals, PROFILE_TOTAL_SAMPLES);
	struct profile_key key = {};
	key.pid = bpf_get_current_pid_tgid() >> 32;
	key.user_stack_id = stack_id(ctx, BPF_F_USER_STACK, PROFILE_STACK_USER);
	/* Kernel addresses are in the upper half on x86_64: a user-mode sample has no kernel
	 * stack, and asking for one would count a -EFAULT that is no loss. */
	if ((__s64)ctx->regs.ip < 0)
		key.kernel_stack_id = stack_id(ctx, 0, PROFILE_STACK_KERNEL);
	else
		key.kernel_stack_id = PROFILE_STACK_NONE;
	remember_process(key.pid);
	count_sample(&key);
	return 0;
}
