/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* task_reads.bpf.h: the current task, as a pointer for reading its fields.
 *
 * Loads through the BTF task pointer (bpf_get_current_task_btf()) are direct, but that pointer
 * is trusted, and from Linux 6.3 the verifier checks every pointer loaded from a trusted one
 * against the kernel's lists of fields that keep trust: for each such load, each time it walks
 * it, up to four linear searches of the kernel's BTF by name. Those searches were 11.6% of a
 * start's samples in perf (docs/performance.md, start-up). The same task cast with
 * bpf_rdonly_cast() (Linux 6.2) is untrusted: the loads are the same direct loads, and the
 * verifier searches nothing. Where the kernel has no such cast (AttachType::kTaskCast false),
 * the programs take the BTF pointer; those kernels have no such searches either. The flag is
 * read-only data, so the verifier removes the other branch, kfunc call included (a weak kfunc
 * the kernel lacks may stay in dead code from Linux 5.18, where the BPF JIT is on; libbpf 1.1
 * then looks for it in the modules' BTF, which the tracer tells it to skip:
 * tracer/vmlinux_btf_share.h). Pass the task to helpers that want a trusted pointer (task
 * storage) with bpf_get_current_task_btf(), not this. */
#pragma once

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym __weak;

/* Set by user space before load (tracer/probes/skeleton_loader.h). The type id is the kernel's,
 * looked up by user space: a CO-RE type id relocation would give the id in the BTF libbpf
 * relocates against, which may be the tracer's cached minimal copy (tracer/core_btf_cache.h). */
const volatile bool task_reads_cast = false;
const volatile __u32 task_struct_btf_id = 0;

static __always_inline struct task_struct *current_task_to_read(void)
{
	if (task_reads_cast)
		return bpf_rdonly_cast((void *)bpf_get_current_task(), task_struct_btf_id);
	return bpf_get_current_task_btf();
}
