// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* empty_hooks.bpf.c: programs that do nothing at fileio's hooks, to measure what the hook itself
 * costs. Three sets; syscall_bench.cpp loads one at a time (bpf_program__set_autoload). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Same attach type and tracepoints as fileio_enter_btf/fileio_exit_btf (fileio's second
 * choice): they run for every syscall on the node. */
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

/* Same per-syscall tracepoints as fileio's FILEIO_SYSCALL_TP programs (fileio's first choice):
 * the kernel runs them only for these 16 syscalls. They read nothing, so even fsync/fdatasync
 * (one argument) stay within their context. */
#define EMPTY_SYSCALL_TP(name)                                                                     \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int empty_enter_##name##_tp(void *ctx)                                                     \
	{                                                                                          \
		return 0;                                                                          \
	}                                                                                          \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int empty_exit_##name##_tp(void *ctx)                                                      \
	{                                                                                          \
		return 0;                                                                          \
	}

EMPTY_SYSCALL_TP(open)
EMPTY_SYSCALL_TP(creat)
EMPTY_SYSCALL_TP(openat)
EMPTY_SYSCALL_TP(openat2)
EMPTY_SYSCALL_TP(read)
EMPTY_SYSCALL_TP(pread64)
EMPTY_SYSCALL_TP(readv)
EMPTY_SYSCALL_TP(preadv)
EMPTY_SYSCALL_TP(preadv2)
EMPTY_SYSCALL_TP(write)
EMPTY_SYSCALL_TP(pwrite64)
EMPTY_SYSCALL_TP(writev)
EMPTY_SYSCALL_TP(pwritev)
EMPTY_SYSCALL_TP(pwritev2)
EMPTY_SYSCALL_TP(fsync)
EMPTY_SYSCALL_TP(fdatasync)

/* fentry/fexit on the same 16 syscalls' functions (fileio's first choice where the kernel
 * allows fentry; this repository's host refuses it, the 6.1 and 6.12 VMs do not). */
#define EMPTY_SYSCALL_FENTRY(name)                                                                 \
	SEC("fentry/__x64_sys_" #name)                                                             \
	int empty_enter_##name##_fentry(void *ctx)                                                 \
	{                                                                                          \
		return 0;                                                                          \
	}                                                                                          \
	SEC("fexit/__x64_sys_" #name)                                                              \
	int empty_exit_##name##_fentry(void *ctx)                                                  \
	{                                                                                          \
		return 0;                                                                          \
	}

EMPTY_SYSCALL_FENTRY(open)
EMPTY_SYSCALL_FENTRY(creat)
EMPTY_SYSCALL_FENTRY(openat)
EMPTY_SYSCALL_FENTRY(openat2)
EMPTY_SYSCALL_FENTRY(read)
EMPTY_SYSCALL_FENTRY(pread64)
EMPTY_SYSCALL_FENTRY(readv)
EMPTY_SYSCALL_FENTRY(preadv)
EMPTY_SYSCALL_FENTRY(preadv2)
EMPTY_SYSCALL_FENTRY(write)
EMPTY_SYSCALL_FENTRY(pwrite64)
EMPTY_SYSCALL_FENTRY(writev)
EMPTY_SYSCALL_FENTRY(pwritev)
EMPTY_SYSCALL_FENTRY(pwritev2)
EMPTY_SYSCALL_FENTRY(fsync)
EMPTY_SYSCALL_FENTRY(fdatasync)
