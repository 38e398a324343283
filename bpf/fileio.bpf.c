// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* fileio.bpf.c: latency, bytes and errors of open/read/write/fsync per file, from sys_enter/sys_exit. */
#include "common.bpf.h"
#include "fileio.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 slow_threshold_ns = 10 * 1000 * 1000;

#define S_IFMT 00170000
#define S_IFREG 0100000
#define E2BIG 7

struct inflight {
	__u64 start_ns;
	__u64 arg0; /* fd, or the user pointer to the path for open */
	__u64 arg1; /* path pointer for openat/openat2 */
	__u32 op;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILEIO_MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct inflight);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FILEIO_OP_MAX);
	__type(key, __u32);
	__type(value, struct pt_op_stats);
} op_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, FILEIO_OP_MAX *PT_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} op_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILEIO_MAX_FILES);
	__type(key, struct fileio_file_key);
	__type(value, struct pt_op_stats);
} file_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FILEIO_MAX_FILES);
	__type(key, struct fileio_file_id);
	__type(value, struct fileio_file_info);
} file_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* Scratch space: fileio_file_info is too big for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fileio_file_info);
} scratch SEC(".maps");

/* x86_64 syscall numbers. A switch on them runs before anything else, so syscalls that are
 * not file I/O cost one compare chain. */
static __always_inline int classify(long id, __u32 *op, int *path_arg)
{
	*path_arg = -1;
	switch (id) {
	case 2:   /* open */
	case 85:  /* creat */
		*op = FILEIO_OP_OPEN;
		*path_arg = 0;
		return 1;
	case 257: /* openat */
	case 437: /* openat2 */
		*op = FILEIO_OP_OPEN;
		*path_arg = 1;
		return 1;
	case 0:   /* read */
	case 17:  /* pread64 */
	case 19:  /* readv */
	case 295: /* preadv */
	case 327: /* preadv2 */
		*op = FILEIO_OP_READ;
		return 1;
	case 1:   /* write */
	case 18:  /* pwrite64 */
	case 20:  /* writev */
	case 296: /* pwritev */
	case 328: /* pwritev2 */
		*op = FILEIO_OP_WRITE;
		return 1;
	case 74:
		*op = FILEIO_OP_FSYNC;
		return 1;
	case 75:
		*op = FILEIO_OP_FDATASYNC;
		return 1;
	}
	return 0;
}

static __always_inline bool enter_wanted(long id, __u32 *op, int *path_arg)
{
	return classify(id, op, path_arg) && current_is_target();
}

static __always_inline void record_enter(__u32 op, int path_arg, __u64 arg0, __u64 arg1)
{
	struct inflight in = {};
	in.start_ns = bpf_ktime_get_ns();
	in.op = op;
	in.arg0 = path_arg == 1 ? arg1 : arg0;
	in.arg1 = arg1;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&inflight, &tid, &in, BPF_ANY))
		count_lost(PT_LOST_MAP_FULL);
}

static __always_inline int on_sys_enter(struct pt_regs *regs, long id)
{
	__u32 op;
	int path_arg;
	if (!enter_wanted(id, &op, &path_arg))
		return 0;
	/* The arguments are read only for the target: they cost probe reads. */
	record_enter(op, path_arg, PT_REGS_PARM1_CORE_SYSCALL(regs), PT_REGS_PARM2_CORE_SYSCALL(regs));
	return 0;
}

/* fd -> struct file of the current task; NULL when the fd is not open. */
static __always_inline struct file *fd_to_file(__u64 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt)
		return NULL;
	unsigned int max_fds = BPF_CORE_READ(fdt, max_fds);
	if (fd >= max_fds)
		return NULL;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* Returns false when fd is not a regular file: socket and pipe reads belong to other families. */
static __always_inline bool regular_file_id(struct file *f, struct fileio_file_id *id)
{
	if (!f)
		return false;
	struct inode *inode = BPF_CORE_READ(f, f_inode);
	if (!inode)
		return false;
	umode_t mode = BPF_CORE_READ(inode, i_mode);
	if ((mode & S_IFMT) != S_IFREG)
		return false;
	id->dev = BPF_CORE_READ(inode, i_sb, s_dev);
	id->ino = BPF_CORE_READ(inode, i_ino);
	return true;
}

static __always_inline void remember_dentry_name(struct file *f, struct fileio_file_id *id)
{
	if (bpf_map_lookup_elem(&file_info, id))
		return;
	__u32 zero = 0;
	struct fileio_file_info *info = bpf_map_lookup_elem(&scratch, &zero);
	if (!info)
		return;
	info->from_open = 0;
	const unsigned char *name = BPF_CORE_READ(f, f_path.dentry, d_name.name);
	bpf_probe_read_kernel_str(info->path, sizeof(info->path), name);
	if (bpf_map_update_elem(&file_info, id, info, BPF_NOEXIST) == -E2BIG)
		count_lost(PT_LOST_MAP_FULL);
}

static __always_inline void remember_open_path(struct fileio_file_id *id, __u64 upath)
{
	__u32 zero = 0;
	struct fileio_file_info *info = bpf_map_lookup_elem(&scratch, &zero);
	if (!info)
		return;
	info->from_open = 1;
	bpf_probe_read_user_str(info->path, sizeof(info->path), (const void *)upath);
	if (bpf_map_update_elem(&file_info, id, info, BPF_ANY))
		count_lost(PT_LOST_MAP_FULL);
}

/* Returns true when this (pid, op, file) was seen for the first time. */
static __always_inline bool file_stats_add(struct fileio_file_key *key, __u64 latency, __u64 bytes,
					   bool error)
{
	bool created = false;
	struct pt_op_stats *s = bpf_map_lookup_elem(&file_stats, key);
	if (!s) {
		struct pt_op_stats zero = {};
		if (bpf_map_update_elem(&file_stats, key, &zero, BPF_NOEXIST) == -E2BIG) {
			count_lost(PT_LOST_MAP_FULL);
			return false;
		}
		created = true;
		s = bpf_map_lookup_elem(&file_stats, key);
		if (!s)
			return created;
	}
	__sync_fetch_and_add(&s->count, 1);
	__sync_fetch_and_add(&s->bytes, bytes);
	__sync_fetch_and_add(&s->errors, error);
	__sync_fetch_and_add(&s->total_ns, latency);
	if (latency > s->max_ns)
		s->max_ns = latency;
	return created;
}

static __always_inline void emit(struct inflight *in, __u32 kind, __s32 err, __u64 latency,
				 __u64 bytes, struct fileio_file_id *id, __u64 upath)
{
	struct fileio_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(PT_LOST_RINGBUF);
		return;
	}
	fill_header(&e->hdr, PT_FAMILY_FILEIO, kind, current_cgroup_id());
	e->op = in->op;
	e->err = err;
	e->latency_ns = latency;
	e->bytes = bytes;
	e->dev = id->dev;
	e->ino = id->ino;
	e->path[0] = 0;
	if (upath) {
		bpf_probe_read_user_str(e->path, sizeof(e->path), (const void *)upath);
	} else if (id->ino) {
		struct fileio_file_info *info = bpf_map_lookup_elem(&file_info, id);
		if (info)
			bpf_probe_read_kernel_str(e->path, sizeof(e->path), info->path);
	}
	bpf_ringbuf_submit(e, 0);
}

static __always_inline int on_sys_exit(long syscall_nr, long ret)
{
	__u32 op;
	int path_arg;
	if (!classify(syscall_nr, &op, &path_arg))
		return 0;
	if (!current_is_target())
		return 0;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct inflight *in = bpf_map_lookup_elem(&inflight, &tid);
	if (!in)
		return 0;
	struct inflight call = *in;
	bpf_map_delete_elem(&inflight, &tid);
	/* A thread that died inside a call leaves a stale entry for its reused tid. */
	if (call.op != op)
		return 0;

	__u64 latency = bpf_ktime_get_ns() - call.start_ns;
	bool failed = ret < 0;
	__s32 err = failed ? (__s32)-ret : 0;
	struct fileio_file_id id = {};
	__u64 upath = 0;
	__u64 bytes = 0;
	struct file *f = NULL;

	if (call.op == FILEIO_OP_OPEN) {
		upath = call.arg0;
		if (!failed) {
			f = fd_to_file((__u64)ret);
			if (regular_file_id(f, &id))
				remember_open_path(&id, upath);
		}
	} else {
		f = fd_to_file(call.arg0);
		/* A failed call on a bad fd is still a file I/O error worth showing. */
		if (!regular_file_id(f, &id) && !(failed && err == 9 /* EBADF */))
			return 0;
		if (!failed && call.op != FILEIO_OP_FSYNC && call.op != FILEIO_OP_FDATASYNC)
			bytes = (__u64)ret;
	}

	op_stats_add(&op_stats, call.op, latency, bytes, failed);
	hist_add(&op_hist, call.op, latency);
	if (id.ino) {
		struct fileio_file_key key = {
			.pid = bpf_get_current_pid_tgid() >> 32,
			.op = call.op,
			.dev = id.dev,
			.ino = id.ino,
		};
		/* A file's name is looked up once per (pid, op, file), not on every read. */
		if (file_stats_add(&key, latency, bytes, failed) && call.op != FILEIO_OP_OPEN)
			remember_dentry_name(f, &id);
	}

	if (failed)
		emit(&call, FILEIO_EVENT_ERROR, err, latency, bytes, &id, upath);
	else if (latency >= slow_threshold_ns)
		emit(&call, FILEIO_EVENT_SLOW, 0, latency, bytes, &id, upath);
	return 0;
}

/* Two entry points per hook share one handler: tp_btf is preferred (typed pointers, cheaper
 * loads), raw_tp is the fallback for kernels without BTF-typed tracepoints. User space turns
 * off the loser with bpf_program__set_autoload(). */
SEC("tp_btf/sys_enter")
int BPF_PROG(fileio_enter_btf, struct pt_regs *regs, long id)
{
	return on_sys_enter(regs, id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(fileio_exit_btf, struct pt_regs *regs, long ret)
{
	return on_sys_exit(regs->orig_ax, ret);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(fileio_enter_raw, struct pt_regs *regs, long id)
{
	return on_sys_enter(regs, id);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(fileio_exit_raw, struct pt_regs *regs, long ret)
{
	return on_sys_exit(BPF_CORE_READ(regs, orig_ax), ret);
}

/* Per-syscall tracepoints: the kernel runs these only for the file syscalls, so every other
 * syscall on the node pays nothing (measured: +9 ns vs +40 ns for sys_enter/sys_exit programs
 * on a non-file syscall, same cost on the file path; docs/performance.md). */
/* The kernel refuses (EACCES) a program that reads past the tracepoint's own arguments, so
 * one-argument syscalls (fsync, fdatasync) must not touch args[1]. */
#define FILEIO_SYSCALL_TP_ARGS(name, second_arg)                                                   \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int fileio_enter_##name##_tp(struct syscall_trace_enter *ctx)                              \
	{                                                                                          \
		__u32 op;                                                                          \
		int path_arg;                                                                      \
		if (enter_wanted(ctx->nr, &op, &path_arg))                                         \
			record_enter(op, path_arg, ctx->args[0], second_arg);                      \
		return 0;                                                                          \
	}                                                                                          \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int fileio_exit_##name##_tp(struct syscall_trace_exit *ctx)                                \
	{                                                                                          \
		return on_sys_exit(ctx->nr, ctx->ret);                                             \
	}
#define FILEIO_SYSCALL_TP(name) FILEIO_SYSCALL_TP_ARGS(name, ctx->args[1])

FILEIO_SYSCALL_TP(open)
FILEIO_SYSCALL_TP(creat)
FILEIO_SYSCALL_TP(openat)
FILEIO_SYSCALL_TP(openat2)
FILEIO_SYSCALL_TP(read)
FILEIO_SYSCALL_TP(pread64)
FILEIO_SYSCALL_TP(readv)
FILEIO_SYSCALL_TP(preadv)
FILEIO_SYSCALL_TP(preadv2)
FILEIO_SYSCALL_TP(write)
FILEIO_SYSCALL_TP(pwrite64)
FILEIO_SYSCALL_TP(writev)
FILEIO_SYSCALL_TP(pwritev)
FILEIO_SYSCALL_TP(pwritev2)
FILEIO_SYSCALL_TP_ARGS(fsync, 0)
FILEIO_SYSCALL_TP_ARGS(fdatasync, 0)
