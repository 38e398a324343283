/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* podtrace_common.h: layout shared by every BPF family and by user space. */
#pragma once

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* A pod is a handful of containers plus the pause container: the first
 * PT_INLINE_TARGET_CGROUPS ids are compared inline, the rest (--cgroup on a subtree with many
 * children) are looked up in a hash of up to PT_MAX_TARGET_CGROUPS. */
#define PT_INLINE_TARGET_CGROUPS 8
#define PT_MAX_TARGET_CGROUPS 1024
#define PT_COMM_LEN 16

/* Log-linear latency histogram: 4 sub-buckets per power of two, values in ns.
 * Slot 159 holds everything from ~2^40 ns (18 min) up. */
#define PT_HIST_SUB_BITS 2
#define PT_HIST_SLOTS 160

enum pt_family {
	PT_FAMILY_FILEIO = 1,
	PT_FAMILY_SCHED = 2,
	PT_FAMILY_PROCESS = 3,
	PT_FAMILY_TCP = 4,
	PT_FAMILY_DNS = 5,
	PT_FAMILY_UDP = 6,
	PT_FAMILY_MEMORY = 7,
	PT_FAMILY_LOCKS = 8,
	PT_FAMILY_PROFILE = 9,
	PT_FAMILY_DB = 10,
	PT_FAMILY_NETDEV = 11,
};

/* Index into each object's per-CPU `lost` array. */
enum pt_lost_kind {
	PT_LOST_RINGBUF = 0,  /* ring buffer full: event not streamed */
	PT_LOST_MAP_FULL = 1, /* aggregate map full: per-key stats incomplete */
	PT_LOST_MAX = 2,
};

/* First bytes of every ring-buffer record, so one callback can dispatch. */
struct pt_event_header {
	__u32 family;
	__u32 kind;
	__u64 ts_ns; /* bpf_ktime_get_ns() */
	__u64 cgroup_id;
	__u32 pid; /* tgid */
	__u32 tid;
	char comm[PT_COMM_LEN];
};

/* Totals per operation; summed over CPUs by user space. */
struct pt_op_stats {
	__u64 count;
	__u64 bytes;
	__u64 errors;
	__u64 total_ns;
	__u64 max_ns;
};
