// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* locks.bpf.c: futex waits per lock word and thread (futex, futex_waitv, futex_wait syscalls), pthread mutex/rwlock waits (uprobes in the target's libc) and kernel lock contention (lock:contention_begin/end). */
#include "common.bpf.h"
#include "thread_slots.bpf.h"
#include "activity.bpf.h"
#include "locks.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 slow_threshold_ns = 10 * 1000 * 1000;
/* A pthread lock call waited when it slept in a futex wait (the flag below), or, without
 * sleeping (spinning, preempted), when it took at least this long. Duration alone cannot tell:
 * the uprobe pair adds ~10 us to every call on a VM (docs/performance.md). Calls that did not
 * wait cost a per-kind counter, never a per-lock entry. */
const volatile __u64 mutex_min_wait_ns = 1000 * 1000;

#define EAGAIN 11
#define EINTR 4
#define ETIMEDOUT 110
#define EEXIST 17
/* Kernel-internal restart codes a sleeping futex wait can exit with at sys_exit. */
#define ERESTARTSYS 512
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

/* x86_64 syscall numbers, for the sys_enter/sys_exit fallbacks. */
#define NR_futex 202
#define NR_futex_waitv 449
#define NR_futex_wait 455

enum wait_outcome {
	WAITED = 0,
	NOT_BLOCKED = 1,
	TIMED_OUT = 2, /* waited, then gave up */
	FAILED = 3,
};

struct futex_call {
	__u64 start_ns;
	__u64 uaddr;   /* the futex word; futex_waitv: the first entry's */
	__u64 waiters; /* futex_waitv: user pointer to the entries */
	__u32 op;      /* LOCKS_FUTEX_* or LOCKS_OP_* */
	__u32 flags;   /* LOCKS_F_SHARED */
	__u32 nr;      /* futex_waitv: number of entries */
	__u32 pad;
};

struct pthread_call {
	__u64 start_ns;
	__u64 addr;
	__u64 caller;
	__u64 sp;      /* stack pointer at entry: which return ends this call */
	__u32 kind;
	__u32 blocked; /* the call slept in a futex wait */
};

struct klock_call {
	__u64 start_ns;
	__u64 addr;
	__u32 flags;
	__u32 kclass;
};

/* In-flight calls per thread. */
THREAD_SLOTS(futex_inflight, struct futex_call);
THREAD_SLOTS(pthread_inflight, struct pthread_call);

/* The kernel lock a thread waits for. Not a thread slot: contention_begin fires inside lock slow
 * paths (the allocator's own locks included), where creating task storage would allocate. An LRU
 * hash allocates nothing after creation, and a thread killed in a wait is evicted. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LOCKS_MAX_INFLIGHT);
	__type(key, __u32);
	__type(value, struct klock_call);
} klock_inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LOCKS_MAX_LOCKS);
	__type(key, struct locks_lock_key);
	__type(value, struct locks_lock_stats);
} lock_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LOCKS_MAX_WAITERS);
	__type(key, struct locks_waiter_key);
	__type(value, struct locks_waiter_stats);
} waiter_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LOCKS_MAX_HIST_KEYS);
	__type(key, struct locks_hist_key);
	__type(value, __u64);
} lock_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LOCKS_KIND_MAX);
	__type(key, __u32);
	__type(value, struct locks_kind_stats);
} kind_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LOCKS_KIND_MAX *PT_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} kind_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LOCKS_MAX_KLOCKS);
	__type(key, struct locks_klock_key);
	__type(value, struct locks_klock_stats);
} klock_stats SEC(".maps");

/* Totals per lock type (flags): exact even when klock_stats is full. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LOCKS_KFLAG_ROWS);
	__type(key, __u32);
	__type(value, struct pt_op_stats);
} klock_type_stats SEC(".maps");

/* Key: flags << 8 | slot. A hash, not a per-CPU array: 64 flag rows x 160 slots per CPU would
 * cost megabytes on large nodes, and only a handful of (flags, slot) pairs ever occur. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} klock_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} events SEC(".maps");

static __always_inline __u32 current_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

/* Adds 1 to a u64 counter in a hash map, creating it; false when the map is full. */
static __always_inline void hash_counter_add(void *map, void *key)
{
	__u64 *n = bpf_map_lookup_elem(map, key);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	__u64 one = 1;
	long err = bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		n = bpf_map_lookup_elem(map, key);
		if (n)
			__sync_fetch_and_add(n, 1);
	} else if (err) {
		count_lost(PT_LOST_MAP_FULL);
	}
}

static __always_inline void atomic_max(__u64 *slot, __u64 v)
{
	/* A lost race leaves a slightly smaller max; a CAS loop is not worth it here. */
	if (v > *slot)
		*slot = v;
}

/* Atomic even in per-CPU slots: uprobe programs run with migration, not preemption, disabled,
 * so another thread on this CPU can run the same program halfway through an update (plain
 * increments lost ~3% of the calls of 4 threads contending on 2 CPUs). */
static __always_inline void kind_add(__u32 kind, __u64 wait, enum wait_outcome outcome)
{
	struct locks_kind_stats *k = bpf_map_lookup_elem(&kind_stats, &kind);
	if (!k)
		return;
	__sync_fetch_and_add(&k->calls, 1);
	if (outcome == WAITED || outcome == TIMED_OUT) {
		__sync_fetch_and_add(&k->waits, 1);
		__sync_fetch_and_add(&k->total_ns, wait);
		atomic_max(&k->max_ns, wait);
		__u32 idx = kind * PT_HIST_SLOTS + hist_slot(wait);
		__u64 *slot = bpf_map_lookup_elem(&kind_hist, &idx);
		if (slot)
			__sync_fetch_and_add(slot, 1);
	} else if (outcome == NOT_BLOCKED) {
		__sync_fetch_and_add(&k->not_blocked, 1);
	}
}

/* A pthread lock's first wait: user space reads the process's binaries at once, while the
 * process still runs, to name the callers. One small record per contended lock, so it wakes
 * the tracer now rather than at its next tick (a short-lived process may be gone by then). */
static __always_inline void announce_lock(struct locks_lock_key *key, __u64 caller)
{
	struct locks_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(PT_LOST_RINGBUF);
		return;
	}
	fill_header(&e->hdr, PT_FAMILY_LOCKS, LOCKS_EVENT_NEW_LOCK, current_cgroup_id());
	e->addr = key->addr;
	e->wait_ns = 0;
	e->caller = caller;
	e->kind = key->kind;
	e->flags = 0;
	e->kclass = 0;
	e->ret = 0;
	bpf_ringbuf_submit(e, BPF_RB_FORCE_WAKEUP);
}

static __always_inline struct locks_lock_stats *lock_entry(struct locks_lock_key *key, __u64 caller)
{
	struct locks_lock_stats *s = bpf_map_lookup_elem(&lock_stats, key);
	if (s)
		return s;
	struct locks_lock_stats zero = {};
	zero.caller = caller;
	long err = bpf_map_update_elem(&lock_stats, key, &zero, BPF_NOEXIST);
	if (count_insert_lost(err))
		return NULL;
	if (!err && key->kind != LOCKS_KIND_FUTEX)
		announce_lock(key, caller);
	return bpf_map_lookup_elem(&lock_stats, key);
}

static __always_inline void waiter_add(struct locks_lock_key *lock, __u64 wait)
{
	struct locks_waiter_key key = {.lock = *lock, .tid = current_tid()};
	struct locks_waiter_stats *w = bpf_map_lookup_elem(&waiter_stats, &key);
	if (!w) {
		struct locks_waiter_stats zero = {};
		bpf_get_current_comm(zero.comm, sizeof(zero.comm));
		if (count_insert_lost(bpf_map_update_elem(&waiter_stats, &key, &zero, BPF_NOEXIST)))
			return;
		w = bpf_map_lookup_elem(&waiter_stats, &key);
		if (!w)
			return;
	}
	/* One thread updates its own entry: no other writer. */
	w->waits++;
	w->total_ns += wait;
	if (wait > w->max_ns)
		w->max_ns = wait;
}

/* One finished wait call on a user-space lock of the current process. */
static __always_inline void account_user_wait(__u64 addr, __u32 kind, __u32 op, __u32 flags,
					      __u64 wait, enum wait_outcome outcome, __u64 caller)
{
	kind_add(kind, wait, outcome);
	bool waited = outcome == WAITED || outcome == TIMED_OUT;
	/* pthread calls that did not wait stay in the per-kind counters: an application with a
	 * million uncontended mutexes must not fill the per-lock map. */
	if (kind != LOCKS_KIND_FUTEX && !waited)
		return;
	struct locks_lock_key key = {
		.addr = addr,
		.tgid = bpf_get_current_pid_tgid() >> 32,
		.kind = kind,
	};
	struct locks_lock_stats *s = lock_entry(&key, caller);
	if (!s)
		return;
	__u64 op_bit = 1ULL << (op & 63);
	if (!(s->ops & op_bit))
		__sync_fetch_and_or(&s->ops, op_bit);
	if (flags && !(s->flags & flags))
		__sync_fetch_and_or(&s->flags, (__u64)flags);
	if (outcome == NOT_BLOCKED) {
		__sync_fetch_and_add(&s->not_blocked, 1);
		return;
	}
	if (outcome == FAILED) {
		__sync_fetch_and_add(&s->errors, 1);
		return;
	}
	if (outcome == TIMED_OUT)
		__sync_fetch_and_add(&s->timeouts, 1);
	__sync_fetch_and_add(&s->waits, 1);
	__sync_fetch_and_add(&s->total_ns, wait);
	atomic_max(&s->max_ns, wait);
	waiter_add(&key, wait);
	struct locks_hist_key hk = {.lock = key, .slot = hist_slot(wait)};
	hash_counter_add(&lock_hist, &hk);
}

/* ---- futex ---- */

static __always_inline bool futex_cmd_waits(__u32 cmd)
{
	return cmd == LOCKS_FUTEX_WAIT || cmd == LOCKS_FUTEX_WAIT_BITSET ||
	       cmd == LOCKS_FUTEX_LOCK_PI || cmd == LOCKS_FUTEX_LOCK_PI2 ||
	       cmd == LOCKS_FUTEX_WAIT_REQUEUE_PI;
}

static __always_inline void futex_record(__u64 uaddr, __u32 op, __u32 flags, __u64 waiters,
					 __u32 nr)
{
	struct futex_call *call = thread_slot_begin(&futex_inflight);
	if (!call)
		return;
	*call = (struct futex_call){
		.start_ns = bpf_ktime_get_ns(),
		.uaddr = uaddr,
		.waiters = waiters,
		.op = op,
		.flags = flags,
		.nr = nr,
	};
}

/* futex(uaddr, op, ...): wakes, requeues and the rest are not waits; the command check comes
 * first, so they cost one mask and compare. */
static __always_inline int on_futex_enter(__u64 uaddr, __u64 op)
{
	__u32 cmd = op & ~(LOCKS_FUTEX_PRIVATE_FLAG | LOCKS_FUTEX_CLOCK_REALTIME);
	if (!futex_cmd_waits(cmd) || !current_is_target())
		return 0;
	futex_record(uaddr, cmd, (op & LOCKS_FUTEX_PRIVATE_FLAG) ? 0 : LOCKS_F_SHARED, 0, 0);
	return 0;
}

/* futex_waitv(waiters, nr, ...): one wait on up to 128 words. */
static __always_inline int on_futex_waitv_enter(__u64 waiters, __u64 nr)
{
	if (!current_is_target())
		return 0;
	struct futex_waitv first = {};
	bpf_probe_read_user(&first, sizeof(first), (void *)waiters);
	futex_record(first.uaddr, LOCKS_OP_FUTEX_WAITV,
		     (first.flags & LOCKS_FUTEX2_PRIVATE) ? 0 : LOCKS_F_SHARED, waiters, (__u32)nr);
	return 0;
}

/* futex_wait(uaddr, val, mask, flags, ...): the futex2 single wait. */
static __always_inline int on_futex2_wait_enter(__u64 uaddr, __u64 flags)
{
	if (!current_is_target())
		return 0;
	futex_record(uaddr, LOCKS_OP_FUTEX2_WAIT, (flags & LOCKS_FUTEX2_PRIVATE) ? 0 : LOCKS_F_SHARED,
		     0, 0);
	return 0;
}

static __always_inline enum wait_outcome futex_outcome(long ret)
{
	if (ret >= 0 || ret == -EINTR || ret == -ERESTARTSYS || ret == -ERESTARTNOHAND ||
	    ret == -ERESTART_RESTARTBLOCK)
		return WAITED;
	if (ret == -EAGAIN)
		return NOT_BLOCKED;
	if (ret == -ETIMEDOUT)
		return TIMED_OUT;
	return FAILED;
}

static __always_inline int on_futex_exit(long ret)
{
	if (!current_is_target())
		return 0;
	struct futex_call *in = thread_slot(&futex_inflight);
	if (!in || !in->start_ns)
		return 0;
	struct futex_call call = *in;
	thread_slot_end(&futex_inflight, &in->start_ns);
	__u64 wait = bpf_ktime_get_ns() - call.start_ns;
	enum wait_outcome outcome = futex_outcome(ret);
	if (outcome == WAITED || outcome == TIMED_OUT) {
		/* The pthread lock call this thread is in (if any) really waited. */
		struct pthread_call *p = thread_slot(&pthread_inflight);
		if (p && p->start_ns)
			p->blocked = 1;
	}
	/* futex_waitv returns the index of the word that woke it: the wait is charged to that
	 * word, the one whose waker ended it. Failures and timeouts go to the first word. */
	if (call.op == LOCKS_OP_FUTEX_WAITV && ret >= 0 && ret < call.nr &&
	    ret < LOCKS_FUTEX_WAITV_MAX) {
		struct futex_waitv woke = {};
		if (bpf_probe_read_user(&woke, sizeof(woke),
					(void *)(call.waiters + ret * sizeof(struct futex_waitv))) == 0) {
			call.uaddr = woke.uaddr;
			call.flags = (woke.flags & LOCKS_FUTEX2_PRIVATE) ? 0 : LOCKS_F_SHARED;
		}
	}
	account_user_wait(call.uaddr, LOCKS_KIND_FUTEX, call.op, call.flags, wait, outcome, 0);
	return 0;
}

/* Per-syscall tracepoints: preferred, the kernel runs them only for these three syscalls. The
 * kernel refuses a program that reads past a tracepoint's own arguments. */
SEC("tracepoint/syscalls/sys_enter_futex")
int futex_enter_tp(struct syscall_trace_enter *ctx)
{
	return on_futex_enter(ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_futex")
int futex_exit_tp(struct syscall_trace_exit *ctx)
{
	return on_futex_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_futex_waitv")
int futex_waitv_enter_tp(struct syscall_trace_enter *ctx)
{
	return on_futex_waitv_enter(ctx->args[0], ctx->args[1]);
}

SEC("tracepoint/syscalls/sys_exit_futex_waitv")
int futex_waitv_exit_tp(struct syscall_trace_exit *ctx)
{
	return on_futex_exit(ctx->ret);
}

SEC("tracepoint/syscalls/sys_enter_futex_wait")
int futex2_wait_enter_tp(struct syscall_trace_enter *ctx)
{
	return on_futex2_wait_enter(ctx->args[0], ctx->args[3]);
}

SEC("tracepoint/syscalls/sys_exit_futex_wait")
int futex2_wait_exit_tp(struct syscall_trace_exit *ctx)
{
	return on_futex_exit(ctx->ret);
}

/* fentry/fexit on the syscall functions: first where the kernel allows them (not under
 * lockdown). Measured cheaper than the per-syscall tracepoints for both the target and every
 * other futex caller on the node (docs/performance.md, the fentry rung). regs is a BTF-typed
 * argument: its loads are direct. x86_64 names; 32-bit callers enter through __ia32_sys_*. */
SEC("fentry/__x64_sys_futex")
int BPF_PROG(futex_enter_fentry, struct pt_regs *regs)
{
	return on_futex_enter(regs->di, regs->si);
}

SEC("fexit/__x64_sys_futex")
int BPF_PROG(futex_exit_fentry, struct pt_regs *regs, long ret)
{
	return on_futex_exit(ret);
}

SEC("fentry/__x64_sys_futex_waitv")
int BPF_PROG(futex_waitv_enter_fentry, struct pt_regs *regs)
{
	return on_futex_waitv_enter(regs->di, regs->si);
}

SEC("fexit/__x64_sys_futex_waitv")
int BPF_PROG(futex_waitv_exit_fentry, struct pt_regs *regs, long ret)
{
	return on_futex_exit(ret);
}

/* futex_wait's flags are its fourth argument: r10 in the syscall ABI. */
SEC("fentry/__x64_sys_futex_wait")
int BPF_PROG(futex2_wait_enter_fentry, struct pt_regs *regs)
{
	return on_futex2_wait_enter(regs->di, regs->r10);
}

SEC("fexit/__x64_sys_futex_wait")
int BPF_PROG(futex2_wait_exit_fentry, struct pt_regs *regs, long ret)
{
	return on_futex_exit(ret);
}

/* Fallbacks for kernels without syscall tracepoints: every syscall of the node runs these, so
 * the syscall number is checked before anything else. */
static __always_inline int on_sys_enter(struct pt_regs *regs, long id)
{
	if (id == NR_futex)
		return on_futex_enter(PT_REGS_PARM1_CORE_SYSCALL(regs),
				      PT_REGS_PARM2_CORE_SYSCALL(regs));
	if (id == NR_futex_waitv)
		return on_futex_waitv_enter(PT_REGS_PARM1_CORE_SYSCALL(regs),
					    PT_REGS_PARM2_CORE_SYSCALL(regs));
	if (id == NR_futex_wait)
		return on_futex2_wait_enter(PT_REGS_PARM1_CORE_SYSCALL(regs),
					    PT_REGS_PARM4_CORE_SYSCALL(regs));
	return 0;
}

static __always_inline int on_sys_exit(long id, long ret)
{
	if (id != NR_futex && id != NR_futex_waitv && id != NR_futex_wait)
		return 0;
	return on_futex_exit(ret);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(futex_sys_enter_btf, struct pt_regs *regs, long id)
{
	return on_sys_enter(regs, id);
}

SEC("tp_btf/sys_exit")
int BPF_PROG(futex_sys_exit_btf, struct pt_regs *regs, long ret)
{
	return on_sys_exit(regs->orig_ax, ret);
}

SEC("raw_tp/sys_enter")
int BPF_PROG(futex_sys_enter_raw, struct pt_regs *regs, long id)
{
	return on_sys_enter(regs, id);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(futex_sys_exit_raw, struct pt_regs *regs, long ret)
{
	return on_sys_exit(BPF_CORE_READ(regs, orig_ax), ret);
}

/* ---- pthread mutex and rwlock (uprobes, attached per target process) ---- */

static __always_inline int on_lock_enter(struct pt_regs *ctx, __u32 kind)
{
	if (!current_is_target())
		return 0;
	__u64 addr = PT_REGS_PARM1(ctx);
	__u64 sp = PT_REGS_SP(ctx);
	/* A call on the same lock from deeper in the stack runs inside the one in flight (musl's
	 * pthread_mutex_lock calls pthread_mutex_timedlock): one wait, not two. The stack pointer,
	 * not a depth counter, decides: an entry whose return was never seen (a thread killed in
	 * the call) is replaced by the next call from its depth or above instead of swallowing
	 * every later call of the thread. */
	struct pthread_call *in = thread_slot(&pthread_inflight);
	if (in && in->start_ns && in->addr == addr && in->sp > sp)
		return 0;
	in = thread_slot_begin(&pthread_inflight);
	if (!in)
		return 0;
	*in = (struct pthread_call){
		.start_ns = bpf_ktime_get_ns(),
		.addr = addr,
		.sp = sp,
		.kind = kind,
	};
	/* At the first instruction the return address is on top of the stack. */
	bpf_probe_read_user(&in->caller, sizeof(in->caller), (void *)sp);
	activity_set(PT_ACT_LOCK, true);
	return 0;
}

SEC("uprobe")
int BPF_KPROBE(mutex_enter_uprobe)
{
	return on_lock_enter(ctx, LOCKS_KIND_MUTEX);
}

SEC("uprobe")
int BPF_KPROBE(rdlock_enter_uprobe)
{
	return on_lock_enter(ctx, LOCKS_KIND_RWLOCK_READ);
}

SEC("uprobe")
int BPF_KPROBE(wrlock_enter_uprobe)
{
	return on_lock_enter(ctx, LOCKS_KIND_RWLOCK_WRITE);
}

/* The same handlers for uprobe_multi links (Linux 6.6): user space loads these with expected
 * attach type BPF_TRACE_UPROBE_MULTI and attaches each to all its functions of one process with
 * one link. The _uprobe programs above stay for per-function perf-event uprobes on older
 * kernels; user space uses one set or the other. */
SEC("uprobe")
int BPF_KPROBE(mutex_enter_umulti)
{
	return on_lock_enter(ctx, LOCKS_KIND_MUTEX);
}

SEC("uprobe")
int BPF_KPROBE(rdlock_enter_umulti)
{
	return on_lock_enter(ctx, LOCKS_KIND_RWLOCK_READ);
}

SEC("uprobe")
int BPF_KPROBE(wrlock_enter_umulti)
{
	return on_lock_enter(ctx, LOCKS_KIND_RWLOCK_WRITE);
}

#define EOWNERDEAD 130

static __always_inline int on_lock_exit(struct pt_regs *ctx, int ret)
{
	if (!current_is_target())
		return 0;
	struct pthread_call *in = thread_slot(&pthread_inflight);
	/* The return pops the return address: the stack pointer is the entry's plus 8. Another
	 * value is the return of a call nested inside this one. */
	if (!in || !in->start_ns || PT_REGS_SP(ctx) != in->sp + 8)
		return 0;
	struct pthread_call call = *in;
	thread_slot_end(&pthread_inflight, &in->start_ns);
	activity_set(PT_ACT_LOCK, false);
	__u64 wait = bpf_ktime_get_ns() - call.start_ns;
	enum wait_outcome outcome =
		call.blocked || wait >= mutex_min_wait_ns ? WAITED : NOT_BLOCKED;
	if (ret == ETIMEDOUT)
		outcome = TIMED_OUT;
	/* EOWNERDEAD: a robust mutex was acquired from a dead owner, still an acquisition. */
	else if (ret != 0 && ret != EOWNERDEAD && outcome != WAITED)
		outcome = FAILED;
	account_user_wait(call.addr, call.kind, 0, 0, wait, outcome, call.caller);
	if (wait < slow_threshold_ns)
		return 0;
	struct locks_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(PT_LOST_RINGBUF);
		return 0;
	}
	fill_header(&e->hdr, PT_FAMILY_LOCKS, LOCKS_EVENT_SLOW_USER, current_cgroup_id());
	e->addr = call.addr;
	e->wait_ns = wait;
	e->caller = call.caller;
	e->kind = call.kind;
	e->flags = 0;
	e->kclass = 0;
	e->ret = ret;
	bpf_ringbuf_submit(e, ringbuf_wakeup(&events));
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(lock_exit_uprobe, int ret)
{
	return on_lock_exit(ctx, ret);
}

SEC("uretprobe")
int BPF_KRETPROBE(lock_exit_umulti, int ret)
{
	return on_lock_exit(ctx, ret);
}

/* ---- kernel lock contention ---- */

/* Names the two kernel locks a process most often fights itself over. */
static __always_inline __u32 kernel_lock_class(__u64 lock, __u32 flags)
{
	struct task_struct *task = current_task_to_read();
	__u32 kind = flags & (LOCKS_LCB_F_SPIN | LOCKS_LCB_F_RT | LOCKS_LCB_F_PERCPU |
			      LOCKS_LCB_F_MUTEX);
	if (kind == 0 && (flags & (LOCKS_LCB_F_READ | LOCKS_LCB_F_WRITE))) { /* an rwsem */
		struct mm_struct *mm = task->mm;
		if (mm && (__u64)&mm->mmap_lock == lock)
			return LOCKS_KCLASS_MMAP_LOCK;
	} else if (flags == LOCKS_LCB_F_SPIN) {
		struct sighand_struct *sighand = task->sighand;
		if (sighand && (__u64)&sighand->siglock == lock)
			return LOCKS_KCLASS_SIGLOCK;
	}
	return LOCKS_KCLASS_NONE;
}

static __always_inline int on_contention_begin(__u64 lock, __u32 flags)
{
	if (!current_is_target())
		return 0;
	__u32 tid = current_tid();
	struct klock_call *in = bpf_map_lookup_elem(&klock_inflight, &tid);
	if (in) {
		/* A mutex reports its optimistic spin (MUTEX|SPIN), then its sleep (MUTEX): keep the
		 * start, take the later flags. Another lock inside this contention (the wait_lock
		 * spinlock of a mutex) is part of it, not a contention of its own. */
		if (in->addr == lock)
			in->flags = flags;
		return 0;
	}
	struct klock_call call = {
		.start_ns = bpf_ktime_get_ns(),
		.addr = lock,
		.flags = flags,
		.kclass = kernel_lock_class(lock, flags),
	};
	if (bpf_map_update_elem(&klock_inflight, &tid, &call, BPF_ANY))
		count_lost(PT_LOST_MAP_FULL);
	activity_set(PT_ACT_KLOCK, true);
	return 0;
}

static __always_inline int on_contention_end(__u64 lock)
{
	if (!current_is_target())
		return 0;
	__u32 tid = current_tid();
	struct klock_call *in = bpf_map_lookup_elem(&klock_inflight, &tid);
	if (!in || in->addr != lock)
		return 0;
	struct klock_call call = *in;
	bpf_map_delete_elem(&klock_inflight, &tid);
	activity_set(PT_ACT_KLOCK, false);
	__u64 wait = bpf_ktime_get_ns() - call.start_ns;
	__u32 flags = call.flags & (LOCKS_KFLAG_ROWS - 1);

	struct locks_klock_key key = {.addr = lock, .flags = flags};
	struct locks_klock_stats *s = bpf_map_lookup_elem(&klock_stats, &key);
	if (!s) {
		struct locks_klock_stats zero = {.kclass = call.kclass};
		count_insert_lost(bpf_map_update_elem(&klock_stats, &key, &zero, BPF_NOEXIST));
		s = bpf_map_lookup_elem(&klock_stats, &key);
	}
	if (s) {
		__sync_fetch_and_add(&s->count, 1);
		__sync_fetch_and_add(&s->total_ns, wait);
		atomic_max(&s->max_ns, wait);
		s->tgid = bpf_get_current_pid_tgid() >> 32;
		bpf_get_current_comm(s->comm, sizeof(s->comm));
	}
	struct pt_op_stats *t = bpf_map_lookup_elem(&klock_type_stats, &flags);
	if (!t) {
		struct pt_op_stats zero = {};
		bpf_map_update_elem(&klock_type_stats, &flags, &zero, BPF_NOEXIST);
		t = bpf_map_lookup_elem(&klock_type_stats, &flags);
	}
	if (t) {
		__sync_fetch_and_add(&t->count, 1);
		__sync_fetch_and_add(&t->total_ns, wait);
		atomic_max(&t->max_ns, wait);
	}
	__u32 hk = flags << 8 | hist_slot(wait);
	hash_counter_add(&klock_hist, &hk);

	if (wait < slow_threshold_ns)
		return 0;
	struct locks_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(PT_LOST_RINGBUF);
		return 0;
	}
	fill_header(&e->hdr, PT_FAMILY_LOCKS, LOCKS_EVENT_SLOW_KERNEL, current_cgroup_id());
	e->addr = lock;
	e->wait_ns = wait;
	e->caller = 0;
	e->kind = 0;
	e->flags = flags;
	e->kclass = call.kclass;
	e->ret = 0;
	bpf_ringbuf_submit(e, ringbuf_wakeup(&events));
	return 0;
}

/* Outside the family's ladder (suffixes _kbtf, _kraw, _ktp, which attach_selected ignores):
 * user space loads the best one the kernel has and attaches it on its own, so a kernel without
 * lock tracepoints loses only this part. tp_btf first: these fire node-wide on every slow-path
 * lock acquisition, and a BTF tracepoint skips the perf buffer copy of a classic one. */
SEC("tp_btf/contention_begin")
int BPF_PROG(klock_begin_kbtf, void *lock, unsigned int flags)
{
	return on_contention_begin((__u64)lock, flags);
}

SEC("tp_btf/contention_end")
int BPF_PROG(klock_end_kbtf, void *lock, int ret)
{
	return on_contention_end((__u64)lock);
}

SEC("raw_tp/contention_begin")
int BPF_PROG(klock_begin_kraw, void *lock, unsigned int flags)
{
	return on_contention_begin((__u64)lock, flags);
}

SEC("raw_tp/contention_end")
int BPF_PROG(klock_end_kraw, void *lock, int ret)
{
	return on_contention_end((__u64)lock);
}

SEC("tracepoint/lock/contention_begin")
int klock_begin_ktp(struct trace_event_raw_contention_begin *ctx)
{
	return on_contention_begin((__u64)ctx->lock_addr, ctx->flags);
}

SEC("tracepoint/lock/contention_end")
int klock_end_ktp(struct trace_event_raw_contention_end *ctx)
{
	return on_contention_end((__u64)ctx->lock_addr);
}
