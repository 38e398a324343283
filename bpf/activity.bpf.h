/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* activity.bpf.h: the map of per-thread activities shared by every BPF object that includes
 * this header. User space creates it once per trace and hands the same fd to each object
 * (bpf_map__reuse_fd), so the dns, db and locks uprobes write what cpu.bpf.c's scheduler hook
 * reads. Only target threads ever get an entry; cpu.bpf.c deletes it when the thread exits. */
#pragma once

#include "common.bpf.h"
#include "activity.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PT_ACTIVITY_MAX_THREADS);
	__type(key, __u32);
	__type(value, struct pt_thread_activity);
} pt_activity SEC(".maps");

static __always_inline void activity_enter(__u32 kind)
{
	if (kind >= PT_ACT_MAX)
		return;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pt_thread_activity *a = bpf_map_lookup_elem(&pt_activity, &tid);
	if (!a) {
		struct pt_thread_activity fresh = {};
		bpf_map_update_elem(&pt_activity, &tid, &fresh, BPF_NOEXIST);
		/* Still none: the map is full, and the thread's waits fall back to what its
		 * syscall says. */
		a = bpf_map_lookup_elem(&pt_activity, &tid);
		if (!a)
			return;
	}
	if (a->depth[kind] < 255)
		a->depth[kind]++;
}

/* For activities whose family tracks one call in flight per thread (and replaces a call whose
 * return was lost): the activity follows that call instead of counting. */
static __always_inline void activity_set(__u32 kind, bool on)
{
	if (on) {
		activity_enter(kind);
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		struct pt_thread_activity *a = bpf_map_lookup_elem(&pt_activity, &tid);
		if (a && kind < PT_ACT_MAX)
			a->depth[kind] = 1;
		return;
	}
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pt_thread_activity *a = bpf_map_lookup_elem(&pt_activity, &tid);
	if (a && kind < PT_ACT_MAX)
		a->depth[kind] = 0;
}

/* A return whose entry was not seen (the probe attached mid-call) leaves the depth at 0. */
static __always_inline void activity_exit(__u32 kind)
{
	if (kind >= PT_ACT_MAX)
		return;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pt_thread_activity *a = bpf_map_lookup_elem(&pt_activity, &tid);
	if (a && a->depth[kind])
		a->depth[kind]--;
}
