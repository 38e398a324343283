// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* empty_hooks.bpf.c: programs that do nothing at fileio's hooks, to measure what the hook itself costs. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Same attach type and tracepoints as fileio_enter_btf/fileio_exit_btf, so the difference
 * between this and podtrace is exactly the work fileio.bpf.c does. */
SEC("tp_btf/sys_enter")
int BPF_PROG(empty_enter, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(empty_exit, struct pt_regs *regs, long ret)
{
	return 0;
}
