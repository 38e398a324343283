/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* wait_state.bpf.h: names what an off-CPU thread is waiting for, at the moment it leaves the
 * CPU, from the activity its uprobes set (DB, DNS, pthread lock) or else from the syscall it is
 * blocked in and the file behind that syscall's fd. No hook on the syscall path is needed: the
 * scheduler hook reads the thread's saved user registers. x86-64 syscall numbers. */
#pragma once

#include "activity.bpf.h"

#define PT_S_IFMT 00170000
#define PT_S_IFSOCK 0140000
#define PT_S_IFREG 0100000
#define PT_S_IFBLK 0060000
#define PT_S_IFDIR 0040000
#define PT_ENOSYS 38
#define PT_TASK_UNINTERRUPTIBLE 0x2

/* State of a wait on fd `fd` of task `t`: a socket is the network, a file or block device is
 * file I/O, anything else (pipes, eventfd, timerfd, ttys) is an idle wait. */
static __always_inline __u32 fd_wait_state(struct task_struct *t, __u64 fd)
{
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	if (!fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return PT_STATE_SLEEP;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return PT_STATE_SLEEP;
	umode_t mode = BPF_CORE_READ(f, f_inode, i_mode) & PT_S_IFMT;
	if (mode == PT_S_IFSOCK)
		return PT_STATE_NETWORK;
	if (mode == PT_S_IFREG || mode == PT_S_IFBLK || mode == PT_S_IFDIR)
		return PT_STATE_FILE_IO;
	return PT_STATE_SLEEP;
}

/* poll()/ppoll() on the current task: a network wait when any of the first few fds is a socket
 * (an event loop's wake-up pipe usually comes first). */
static __always_inline __u32 poll_wait_state(struct task_struct *t, __u64 fds_uptr, __u64 nfds)
{
	if (nfds == 0)
		return PT_STATE_SLEEP;
	for (int i = 0; i < 4; i++) {
		if (i >= nfds)
			break;
		int fd = -1;
		/* struct pollfd { int fd; short events; short revents; } */
		if (bpf_probe_read_user(&fd, sizeof(fd), (void *)(fds_uptr + i * 8)))
			return PT_STATE_NETWORK;
		if (fd >= 0 && fd_wait_state(t, fd) == PT_STATE_NETWORK)
			return PT_STATE_NETWORK;
	}
	return PT_STATE_SLEEP;
}

/* The state of a thread blocked in syscall `nr` with arguments a0, a1. `current` says whether
 * `t` is the running task, whose user memory may be read. */
static __always_inline __u32 syscall_wait_state(struct task_struct *t, long nr, __u64 a0,
						__u64 a1, long tstate, bool current)
{
	switch (nr) {
	case 0: case 1: case 17: case 18: case 19: case 20: /* read write pread64 pwrite64 readv writev */
	case 295: case 296: case 327: case 328:             /* preadv pwritev preadv2 pwritev2 */
	case 40: case 275: case 326:                         /* sendfile splice copy_file_range */
	case 77: case 285: case 78: case 217:                /* ftruncate fallocate getdents(64) */
		return fd_wait_state(t, a0);
	case 74: case 75: case 277: case 306: case 162:     /* fsync fdatasync sync_file_range syncfs sync */
	case 2: case 85: case 257: case 437:                 /* open creat openat openat2 */
	case 4: case 6: case 262: case 332: case 21: case 269: /* stat lstat newfstatat statx access faccessat */
	case 76: case 82: case 264: case 316:                /* truncate rename renameat renameat2 */
	case 83: case 258: case 84: case 87: case 263: case 86: /* mkdir(at) rmdir unlink(at) link */
	case 26:                                             /* msync */
	case 208: case 333: case 426:                        /* io_getevents io_pgetevents io_uring_enter */
		return PT_STATE_FILE_IO;
	case 42: case 43: case 288: case 44: case 45:        /* connect accept accept4 sendto recvfrom */
	case 46: case 47: case 299: case 307: case 48:       /* sendmsg recvmsg recvmmsg sendmmsg shutdown */
		return PT_STATE_NETWORK;
	case 7: case 271:                                    /* poll ppoll */
		return current ? poll_wait_state(t, a0, a1) : PT_STATE_NETWORK;
	case 23: case 270:                                   /* select pselect6 */
		return a0 ? PT_STATE_NETWORK : PT_STATE_SLEEP;
	case 232: case 281: case 441:                        /* epoll_wait epoll_pwait epoll_pwait2 */
		return PT_STATE_NETWORK;
	case 202: {                                          /* futex */
		/* FUTEX_WAIT (pthread mutexes), LOCK_PI, WAIT_REQUEUE_PI, LOCK_PI2 are lock waits;
		 * WAIT_BITSET is what condition variables and semaphores use: waiting for work. */
		__u32 cmd = a1 & ~(128u | 256u);
		if (cmd == 0 || cmd == 6 || cmd == 11 || cmd == 13)
			return PT_STATE_LOCK;
		return PT_STATE_SLEEP;
	}
	case 449: case 73:                                   /* futex_waitv flock */
		return PT_STATE_LOCK;
	case 72:                                             /* fcntl: F_SETLKW, F_OFD_SETLKW */
		return (a1 == 7 || a1 == 38) ? PT_STATE_LOCK : fd_wait_state(t, a0);
	}
	/* A sleep, a wait for a child, a signal, or an unknown syscall. Uninterruptible waits in
	 * unknown syscalls are nearly always I/O (the kernel's own D state). */
	return (tstate & PT_TASK_UNINTERRUPTIBLE) ? PT_STATE_FILE_IO : PT_STATE_SLEEP;
}

static __always_inline __u32 activity_wait_state(__u32 tid)
{
	struct pt_thread_activity *a = bpf_map_lookup_elem(&pt_activity, &tid);
	if (!a)
		return PT_STATE_MAX;
	/* The call that gives the wait its meaning wins over the mechanism inside it: a query's
	 * socket read is time spent on the database. */
	if (a->depth[PT_ACT_DB])
		return PT_STATE_DB;
	if (a->depth[PT_ACT_DNS])
		return PT_STATE_DNS;
	if (a->depth[PT_ACT_LOCK] || a->depth[PT_ACT_KLOCK])
		return PT_STATE_LOCK;
	return PT_STATE_MAX;
}

/* What task `t` (a BTF pointer) waits for while it sleeps in state `tstate`. */
static __always_inline __u32 wait_state(struct task_struct *t, long tstate, bool current)
{
	__u32 s = activity_wait_state(BPF_CORE_READ(t, pid));
	if (s != PT_STATE_MAX)
		return s;
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (!regs)
		return PT_STATE_SLEEP;
	long nr = BPF_CORE_READ(regs, orig_ax);
	/* Inside a syscall, the entry code left ax at -ENOSYS until the syscall returns; an
	 * exception (a page fault) leaves the user's ax and its error code in orig_ax. */
	if (nr < 0 || BPF_CORE_READ(regs, ax) != (unsigned long)-PT_ENOSYS)
		return (tstate & PT_TASK_UNINTERRUPTIBLE) ? PT_STATE_FILE_IO : PT_STATE_SLEEP;
	return syscall_wait_state(t, nr, BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, si), tstate,
				  current);
}
