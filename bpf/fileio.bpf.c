// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* fileio.bpf.c: latency, bytes and errors of open/read/write/fsync per file, from sys_enter/sys_exit. */
#include "common.bpf.h"
#include "fileio.h"
#include "thread_slots.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 slow_threshold_ns = 10 * 1000 * 1000;

#define S_IFMT 00170000
#define S_IFREG 0100000

struct inflight {
	__u64 start_ns; /* 0: no call in flight */
	__u64 arg0; /* fd, or the user pointer to the path for open */
	__u64 arg1; /* path pointer for openat/openat2 */
	__u32 op;
	__u32 pad;
};

/* The call in flight of each target thread (task storage measured cheaper than a hash: no
 * hashing, no bucket lock, no delete; docs/performance.md, file I/O syscalls). */
THREAD_SLOTS(inflight, struct inflight);

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

/* Where a path is assembled right to left: components are copied at a variable offset below
 * FILEIO_PATH_LEN, each at most FILEIO_PATH_LEN - 1 bytes, so twice the size keeps every copy in
 * bounds for the verifier. */
struct path_buf {
	char buf[2 * FILEIO_PATH_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_buf);
} path_scratch SEC(".maps");

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

static __always_inline void fill_inflight(struct inflight *in, __u32 op, int path_arg, __u64 arg0,
					  __u64 arg1)
{
	in->start_ns = bpf_ktime_get_ns();
	in->op = op;
	in->arg0 = path_arg == 1 ? arg1 : arg0;
	in->arg1 = arg1;
}

/* Only the target's calls get here. */
static __always_inline void record_enter(__u32 op, int path_arg, __u64 arg0, __u64 arg1)
{
	struct inflight *in = thread_slot_begin(&inflight);
	if (in)
		fill_inflight(in, op, path_arg, arg0, arg1);
}

/* Takes the current thread's call in flight into *call; false when there is none. */
static __always_inline bool take_inflight(struct inflight *call)
{
	struct inflight *in = thread_slot(&inflight);
	if (!in || !in->start_ns)
		return false;
	*call = *in;
	thread_slot_end(&inflight, &in->start_ns);
	return true;
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

/* fd -> struct file of the current task; NULL when the fd is not open. From the BTF task pointer
 * the loads are direct (CO-RE relocated, no helper call); the fd array's slot is a pointer to a
 * pointer, which BTF does not type, so that one is a probe read. */
static __always_inline struct file *fd_to_file(__u64 fd)
{
	struct task_struct *task = current_task_to_read();
	struct files_struct *files = task->files;
	if (!files)
		return NULL;
	struct fdtable *fdt = files->fdt;
	if (!fdt)
		return NULL;
	if (fd >= fdt->max_fds)
		return NULL;
	struct file **fds = fdt->fd;
	struct file *f = NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

/* i_mode, i_sb and i_ino lie in the first bytes of struct inode (0, 40, 64 on 6.x): one probe
 * read of that span instead of three, at offsets relocated for the running kernel. A kernel
 * whose fields lie further apart takes the three reads. */
#define FILEIO_INODE_SPAN 128

/* Returns false when fd is not a regular file: socket and pipe reads belong to other families. */
static __always_inline bool regular_file_id(struct file *f, struct fileio_file_id *id)
{
	if (!f)
		return false;
	struct inode *inode = BPF_CORE_READ(f, f_inode);
	if (!inode)
		return false;
	__u32 mode_off = bpf_core_field_offset(struct inode, i_mode);
	__u32 sb_off = bpf_core_field_offset(struct inode, i_sb);
	__u32 ino_off = bpf_core_field_offset(struct inode, i_ino);
	umode_t mode;
	struct super_block *sb;
	unsigned long ino;
	if (mode_off + sizeof(mode) <= FILEIO_INODE_SPAN && sb_off + sizeof(sb) <= FILEIO_INODE_SPAN &&
	    ino_off + sizeof(ino) <= FILEIO_INODE_SPAN) {
		__u8 head[FILEIO_INODE_SPAN];
		__u32 len = ino_off + sizeof(ino);
		if (sb_off + sizeof(sb) > len)
			len = sb_off + sizeof(sb);
		if (mode_off + sizeof(mode) > len)
			len = mode_off + sizeof(mode);
		if (bpf_probe_read_kernel(head, len, inode))
			return false;
		__builtin_memcpy(&mode, &head[mode_off], sizeof(mode));
		__builtin_memcpy(&sb, &head[sb_off], sizeof(sb));
		__builtin_memcpy(&ino, &head[ino_off], sizeof(ino));
	} else {
		mode = BPF_CORE_READ(inode, i_mode);
		sb = BPF_CORE_READ(inode, i_sb);
		ino = BPF_CORE_READ(inode, i_ino);
	}
	if ((mode & S_IFMT) != S_IFREG)
		return false;
	id->dev = BPF_CORE_READ(sb, s_dev);
	id->ino = ino;
	return true;
}

#define FILEIO_PATH_DEPTH 24
#define FILEIO_PATH_MASK (FILEIO_PATH_LEN - 1)

/* The state of one path walk, carried between bpf_loop() steps. */
struct path_walk {
	struct path_buf *pb;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	struct dentry *d;
	struct vfsmount *vmnt;
	struct mount *mnt;
	__u32 off; /* where the path assembled so far starts in pb->buf */
	bool complete;
};

/* One step up the dentry chain: a component, or a jump from a mount's root to its mountpoint.
 * Returns 1 to stop. */
static long path_walk_step(__u32 index, struct path_walk *w)
{
	/* Plain locals: CO-RE reads relocate kernel types, not this struct's fields. */
	struct dentry *d = w->d;
	struct vfsmount *vmnt = w->vmnt;
	struct mount *mnt = w->mnt;
	if (d == w->root_dentry && vmnt == w->root_mnt) {
		w->complete = true;
		return 1;
	}
	if (d == BPF_CORE_READ(vmnt, mnt_root)) {
		struct mount *parent = BPF_CORE_READ(mnt, mnt_parent);
		if (parent == mnt) {
			w->complete = true; /* the namespace's root mount */
			return 1;
		}
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = parent;
		w->vmnt = (void *)parent + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	struct dentry *up = BPF_CORE_READ(d, d_parent);
	if (up == d) {
		w->complete = true;
		return 1;
	}
	__u32 len = BPF_CORE_READ(d, d_name.len);
	__u32 off = w->off;
	if (len + 1 > off || off > FILEIO_PATH_MASK)
		return 1;
	off -= len;
	struct path_buf *pb = w->pb;
	bpf_probe_read_kernel(&pb->buf[off & FILEIO_PATH_MASK], len & FILEIO_PATH_MASK,
			      BPF_CORE_READ(d, d_name.name));
	off -= 1;
	pb->buf[off & FILEIO_PATH_MASK] = '/';
	w->off = off;
	w->d = up;
	return 0;
}

/* The file's absolute path as the opening task sees it (its root, its mounts), from the dentry
 * chain: what d_path() does, which tracepoint programs may not call. Crossing a mount goes on
 * from its mountpoint in the parent mount; the walk stops at the task's root, so a container's
 * file reads as the container names it. A path deeper than FILEIO_PATH_DEPTH steps or longer
 * than the buffer keeps its last components, behind a leading "...". The walk is a bpf_loop()
 * callback, verified once: unrolled into every exit handler it made them too big to load.
 * Returns where the path starts in path_scratch, or -1. */
static __always_inline int fileio_dentry_path(struct file *f)
{
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (!pb || !f)
		return -1;
	struct task_struct *task = bpf_get_current_task_btf();
	struct vfsmount *vmnt = BPF_CORE_READ(f, f_path.mnt);
	struct path_walk w = {
		.pb = pb,
		.root_dentry = BPF_CORE_READ(task, fs, root.dentry),
		.root_mnt = BPF_CORE_READ(task, fs, root.mnt),
		.d = BPF_CORE_READ(f, f_path.dentry),
		.vmnt = vmnt,
		/* container_of, with the offset relocated for the running kernel. */
		.mnt = (void *)vmnt - bpf_core_field_offset(struct mount, mnt),
		.off = FILEIO_PATH_MASK,
		.complete = false,
	};
	pb->buf[FILEIO_PATH_MASK] = 0;
	bpf_loop(FILEIO_PATH_DEPTH, path_walk_step, &w, 0);
	__u32 off = w.off;
	if (!w.complete && off >= 3 && off <= FILEIO_PATH_MASK) {
		off -= 3;
		pb->buf[off & FILEIO_PATH_MASK] = '.';
		pb->buf[(off + 1) & FILEIO_PATH_MASK] = '.';
		pb->buf[(off + 2) & FILEIO_PATH_MASK] = '.';
	}
	if (off == FILEIO_PATH_MASK) {
		/* The root itself. */
		off -= 1;
		pb->buf[off & FILEIO_PATH_MASK] = '/';
	}
	return off & FILEIO_PATH_MASK;
}

static __always_inline void dentry_path(struct file *f, char *out)
{
	out[0] = 0;
	int off = fileio_dentry_path(f);
	__u32 zero = 0;
	struct path_buf *pb = bpf_map_lookup_elem(&path_scratch, &zero);
	if (off < 0 || !pb)
		return;
	bpf_probe_read_kernel_str(out, FILEIO_PATH_LEN, &pb->buf[off & FILEIO_PATH_MASK]);
}

/* A file first seen by read/write (opened before the trace): its path from the dentry chain. */
static __always_inline void remember_dentry_name(struct file *f, struct fileio_file_id *id)
{
	if (bpf_map_lookup_elem(&file_info, id))
		return;
	__u32 zero = 0;
	struct fileio_file_info *info = bpf_map_lookup_elem(&scratch, &zero);
	if (!info)
		return;
	info->from_open = 0;
	dentry_path(f, info->path);
	count_insert_lost(bpf_map_update_elem(&file_info, id, info, BPF_NOEXIST));
}

/* An absolute path is kept as the program gave it (symlinks and all); a relative one, against
 * the working directory or a directory fd, is resolved from the opened file's dentries. */
static __always_inline void remember_open_path(struct file *f, struct fileio_file_id *id,
					       __u64 upath)
{
	__u32 zero = 0;
	struct fileio_file_info *info = bpf_map_lookup_elem(&scratch, &zero);
	if (!info)
		return;
	info->from_open = 1;
	char first = 0;
	bpf_probe_read_user(&first, 1, (const void *)upath);
	if (first == '/')
		bpf_probe_read_user_str(info->path, sizeof(info->path), (const void *)upath);
	else
		dentry_path(f, info->path);
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
		if (count_insert_lost(bpf_map_update_elem(&file_stats, key, &zero, BPF_NOEXIST)))
			return false;
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

/* Everything of an event before its path (FILEIO_EVENT_HEAD_SIZE bytes). */
static __always_inline void fill_head(struct fileio_event *e, struct inflight *in, __u32 kind,
				      __s32 err, __u64 latency, __u64 bytes,
				      struct fileio_file_id *id)
{
	fill_header(&e->hdr, PT_FAMILY_FILEIO, kind, current_cgroup_id());
	e->op = in->op;
	e->err = err;
	e->latency_ns = latency;
	e->bytes = bytes;
	e->dev = id->dev;
	e->ino = id->ino;
}

static __always_inline void emit(struct inflight *in, __u32 kind, __s32 err, __u64 latency,
				 __u64 bytes, struct fileio_file_id *id, __u64 upath)
{
	/* A file that was opened has its resolved path; a failed open only the one it was given. */
	struct fileio_file_info *info = id->ino ? bpf_map_lookup_elem(&file_info, id) : NULL;
	struct fileio_event *e;

	if (!info && !upath) {
		e = bpf_ringbuf_reserve(&events, FILEIO_EVENT_HEAD_SIZE, 0);
		if (!e) {
			count_lost(PT_LOST_RINGBUF);
			return;
		}
		fill_head(e, in, kind, err, latency, bytes, id);
		bpf_ringbuf_submit(e, ringbuf_wakeup(&events));
		return;
	}
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(PT_LOST_RINGBUF);
		return;
	}
	fill_head(e, in, kind, err, latency, bytes, id);
	e->path[0] = 0;
	if (info)
		bpf_probe_read_kernel_str(e->path, sizeof(e->path), info->path);
	else
		bpf_probe_read_user_str(e->path, sizeof(e->path), (const void *)upath);
	bpf_ringbuf_submit(e, ringbuf_wakeup(&events));
}

/* The exit of a target's file syscall of operation `op`. */
static __always_inline int fileio_exit_target(__u32 op, long ret)
{
	struct inflight call;
	if (!take_inflight(&call))
		return 0;
	/* An entry left by a call whose exit was not seen (the trace attached mid-call; with the
	 * tid hash, a thread that died inside a call and a reused tid). */
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
				remember_open_path(f, &id, upath);
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

/* The exit of a file syscall of operation `op`, for every task: non-targets return at once. */
static __always_inline int fileio_exit(__u32 op, long ret)
{
	if (!current_is_target())
		return 0;
	return fileio_exit_target(op, ret);
}

/* sys_exit programs see every syscall: the number says whether it is file I/O. */
static __always_inline int on_sys_exit(long syscall_nr, long ret)
{
	__u32 op;
	int path_arg;
	if (!classify(syscall_nr, &op, &path_arg))
		return 0;
	return fileio_exit(op, ret);
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

/* The 32 per-syscall programs below are stubs that tail-call one of two handlers, so the
 * verifier checks each handler once instead of 16 times. Even the target check is the
 * handlers': its cgroup id walk through BTF pointers costs the verifier ~1.6 ms per program on
 * 6.18 (a linear search of the kernel's BTF per pointer step), and the stubs were 32 of the
 * tracer's ~90 programs (docs/performance.md, start-up and tear-down). A tail call with a
 * constant slot is a direct jump once the handler is in place. User space fills the slots after
 * load, before attach. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} handlers SEC(".maps");

/* A tail call's target must be of its callers' type: a classic tracepoint program, hooked to no
 * tracepoint of its own (libbpf does not attach a bare SEC("tracepoint")). The syscall number
 * in the context says which operation this is, as the stub knew. A tail call's target is not
 * held to the tracepoint's own size (only attached programs are), so the handler must not read
 * arguments the syscall does not have: fsync and fdatasync have one. */
SEC("tracepoint")
int fileio_enter_handler_tp(struct syscall_trace_enter *ctx)
{
	__u32 op;
	int path_arg;
	if (!current_is_target() || !classify(ctx->nr, &op, &path_arg))
		return 0;
	__u64 second = op == FILEIO_OP_FSYNC || op == FILEIO_OP_FDATASYNC ? 0 : ctx->args[1];
	record_enter(op, path_arg, ctx->args[0], second);
	return 0;
}

SEC("tracepoint")
int fileio_exit_handler_tp(struct syscall_trace_exit *ctx)
{
	__u32 op;
	int path_arg;
	if (!current_is_target() || !classify(ctx->nr, &op, &path_arg))
		return 0;
	return fileio_exit_target(op, ctx->ret);
}

/* The fentry rung's prog arrays, one per hook kind: 6.12 refused to load a fexit stub that
 * tail-calls through the array the fentry stubs use (EINVAL after verification: the kernel
 * checks that a prog array's programs are compatible with the first one's). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fentry_handler SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fexit_handler SEC(".maps");

/* The fentry rung's handlers: loaded at one syscall function, tail-called from every stub of
 * theirs and never attached themselves (user space turns autoattach off). Every `__x64_sys_*`
 * takes the syscall's saved registers, so the context is the same whichever stub called:
 * regs->orig_ax says which syscall this is, regs->di and regs->si hold its first arguments
 * (direct loads: regs is a BTF-typed argument). */
SEC("fentry/__x64_sys_read")
int BPF_PROG(fileio_enter_handler_fentry, struct pt_regs *regs)
{
	__u32 op;
	int path_arg;
	if (!current_is_target() || !classify(regs->orig_ax, &op, &path_arg))
		return 0;
	record_enter(op, path_arg, regs->di, regs->si);
	return 0;
}

SEC("fexit/__x64_sys_read")
int BPF_PROG(fileio_exit_handler_fentry, struct pt_regs *regs, long ret)
{
	__u32 op;
	int path_arg;
	if (!current_is_target() || !classify(regs->orig_ax, &op, &path_arg))
		return 0;
	return fileio_exit_target(op, ret);
}

/* fentry/fexit on the syscall functions, the first rung where the kernel allows them (not
 * under lockdown): a trampoline call per file syscall instead of the perf tracepoint path, which
 * copies the arguments into a buffer first, and nothing at all for other syscalls
 * (docs/performance.md, the fentry rung). Detaching is no faster: each function's ftrace direct
 * call waits out grace periods as it goes. x86_64 names; a 32-bit process's syscalls enter
 * through __ia32_sys_* and are not seen on this rung. */
#define FILEIO_SYSCALL_FENTRY(name)                                                                \
	SEC("fentry/__x64_sys_" #name)                                                             \
	int fileio_enter_##name##_fentry(unsigned long long *ctx)                                  \
	{                                                                                          \
		bpf_tail_call(ctx, &fentry_handler, 0);                                            \
		return 0;                                                                          \
	}                                                                                          \
	SEC("fexit/__x64_sys_" #name)                                                              \
	int fileio_exit_##name##_fentry(unsigned long long *ctx)                                   \
	{                                                                                          \
		bpf_tail_call(ctx, &fexit_handler, 0);                                             \
		return 0;                                                                          \
	}

/* Per-syscall tracepoints: the kernel runs these only for the file syscalls, so every other
 * syscall on the node pays nothing (measured: +9 ns vs +40 ns for sys_enter/sys_exit programs
 * on a non-file syscall, same cost on the file path; docs/performance.md). */
#define FILEIO_SYSCALL_TP(name)                                                                    \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int fileio_enter_##name##_tp(struct syscall_trace_enter *ctx)                              \
	{                                                                                          \
		bpf_tail_call(ctx, &handlers, FILEIO_HANDLER_ENTER);                               \
		return 0;                                                                          \
	}                                                                                          \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int fileio_exit_##name##_tp(struct syscall_trace_exit *ctx)                                \
	{                                                                                          \
		bpf_tail_call(ctx, &handlers, FILEIO_HANDLER_EXIT);                                \
		return 0;                                                                          \
	}

/* Keep in step with classify() (the sys_enter/sys_exit rungs). */
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
FILEIO_SYSCALL_TP(fsync)
FILEIO_SYSCALL_TP(fdatasync)

/* The same syscalls, on the fentry rung. */
FILEIO_SYSCALL_FENTRY(open)
FILEIO_SYSCALL_FENTRY(creat)
FILEIO_SYSCALL_FENTRY(openat)
FILEIO_SYSCALL_FENTRY(openat2)
FILEIO_SYSCALL_FENTRY(read)
FILEIO_SYSCALL_FENTRY(pread64)
FILEIO_SYSCALL_FENTRY(readv)
FILEIO_SYSCALL_FENTRY(preadv)
FILEIO_SYSCALL_FENTRY(preadv2)
FILEIO_SYSCALL_FENTRY(write)
FILEIO_SYSCALL_FENTRY(pwrite64)
FILEIO_SYSCALL_FENTRY(writev)
FILEIO_SYSCALL_FENTRY(pwritev)
FILEIO_SYSCALL_FENTRY(pwritev2)
FILEIO_SYSCALL_FENTRY(fsync)
FILEIO_SYSCALL_FENTRY(fdatasync)
