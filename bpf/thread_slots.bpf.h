/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* thread_slots.bpf.h: each thread's call in flight (a syscall, a lock call, a database call)
 * between its entry and its return.
 *
 * Task storage where tracing programs may use it (Linux 5.12; the tracer's kernel feature
 * "task_storage"): the slot lives in the task_struct, so there is no hashing, no bucket lock,
 * nothing allocated before a thread's first call, and the slot goes away with its thread (a
 * reused tid never finds a dead thread's call). An LRU hash of the same use preallocates every
 * entry it may ever hold, for the whole trace (docs/performance.md, "Kernel memory").
 *
 * Elsewhere user space turns each slot map into an LRU hash keyed by tid (before load: the
 * tracer's keep_thread_slots_in_lru_hash), where a thread killed inside a call is evicted
 * rather than blocking the others.
 *
 * A slot is in use while a word of it is not zero (the call's start time, or a value that is
 * never zero): thread_slot_end() clears that word, and removes the hash entry where there is
 * one. */
#pragma once

#include "common.bpf.h"

/* Set by user space before load: false turns every THREAD_SLOTS map into an LRU hash. The
 * verifier drops the branch not taken. */
const volatile bool thread_slots_in_task = true;

#define PT_THREAD_SLOT_MAX_SIZE 512

/* What a new hash entry starts as: read-only data, so a fallback costs the task-storage path no
 * zeroing on the stack. */
static const char thread_slot_zero[PT_THREAD_SLOT_MAX_SIZE];

#define THREAD_SLOTS(name, value_type)                                                       \
	_Static_assert(sizeof(value_type) <= PT_THREAD_SLOT_MAX_SIZE, #value_type " too big"); \
	struct {                                                                             \
		__uint(type, BPF_MAP_TYPE_TASK_STORAGE);                                     \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                        \
		__type(key, int);                                                            \
		__type(value, value_type);                                                   \
	} name SEC(".maps")

/* The current thread's slot, used or not; NULL when it has none. */
static __always_inline void *thread_slot(void *map)
{
	if (thread_slots_in_task)
		return bpf_task_storage_get(map, bpf_get_current_task_btf(), NULL, 0);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	return bpf_map_lookup_elem(map, &tid);
}

/* The current thread's slot, made (zeroed) when it has none; NULL, counted as lost, when the map
 * cannot take it (no memory, or the recursion guard of task storage). The caller fills it. */
static __always_inline void *thread_slot_begin(void *map)
{
	void *slot;

	if (thread_slots_in_task) {
		slot = bpf_task_storage_get(map, bpf_get_current_task_btf(), NULL,
					    BPF_LOCAL_STORAGE_GET_F_CREATE);
	} else {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		slot = bpf_map_lookup_elem(map, &tid);
		if (!slot) {
			bpf_map_update_elem(map, &tid, thread_slot_zero, BPF_NOEXIST);
			slot = bpf_map_lookup_elem(map, &tid);
		}
	}
	if (!slot)
		count_lost(PT_LOST_MAP_FULL);
	return slot;
}

/* The current thread's call is over: its slot (from thread_slot()) is free again. `in_use` is the
 * slot's word that marks it used. */
static __always_inline void thread_slot_end(void *map, __u64 *in_use)
{
	*in_use = 0;
	if (thread_slots_in_task)
		return;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	bpf_map_delete_elem(map, &tid);
}
