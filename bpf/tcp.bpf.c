// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* tcp.bpf.c: connect latency, failures, RTT, retransmits, resets, bytes and lifetimes per remote endpoint, from cgroup sockops. */
#include "common.bpf.h"
#include "sock_owner.bpf.h"
#include "tcp.h"

#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 slow_threshold_ns = 10 * 1000 * 1000;
/* Sockops programs may call bpf_get_current_pid_tgid since Linux 6.10 (a base helper since
 * "bpf: Allow helper bpf_get_[ns_]current_pid_tgid() for all prog types") and
 * bpf_get_current_comm only after 6.12 ("bpf: streamline allowed helpers between tracing and
 * base sets"). The loader clears these where the kernel refuses the call; the verifier then
 * drops it as dead code, and the owner comes from the socket's creator (sock_owner.bpf.h). */
const volatile bool have_current_pid = true;
const volatile bool have_current_comm = true;

#define EEXIST 17
#define EPIPE 32
#define ENETUNREACH 101
#define ECONNRESET 104
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define EHOSTUNREACH 113

/* TCP states (include/net/tcp_states.h); vmlinux.h has them only as anonymous enum values. */
#define PT_TCP_SYN_SENT 2
#define PT_TCP_CLOSE 7

#define RTT_SAMPLE_NS (10 * 1000 * 1000)

/* tcp_socks: one entry per socket of the pod (struct tcp_sock_state, tcp.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCP_MAX_SOCKS);
	__type(key, __u64);
	__type(value, struct tcp_sock_state);
} tcp_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCP_MAX_ENDPOINTS);
	__type(key, struct tcp_endpoint);
	__type(value, struct tcp_endpoint_stats);
} tcp_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, TCP_MAX_HIST_KEYS);
	__type(key, struct tcp_hist_key);
	__type(value, __u64);
} tcp_ep_hist SEC(".maps");

/* Pod-wide histograms per metric, exact even when the per-endpoint tables are full. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PT_TCP_METRIC_MAX *PT_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} tcp_hist SEC(".maps");

/* Sockets of the pod that just moved to TCP_CLOSE, with their entries: a close that resets
 * (SO_LINGER 0 through tcp_disconnect(), unread data in __tcp_close()) moves the socket to
 * TCP_CLOSE, which deletes its tcp_socks entry, and only then sends the reset, in the same call
 * (it may be preempted, or move to another CPU, in between: hence a map keyed by socket, not a
 * per-CPU slot). A small LRU map: a close that sent no reset leaves its entry to be evicted. */
struct just_closed {
	__u64 closed_ns;
	struct tcp_sock_state st;
};

/* A reset is its close's within this time, and to the same peer: the freed socket's address
 * may serve a new socket at once, perhaps not the pod's. */
#define JUST_CLOSED_NS (100 * 1000 * 1000)

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct just_closed);
} just_closed SEC(".maps");

/* 256 KiB: ~2000 events; only slow and failed connects, retransmits and resets stream. User
 * space maps the data pages twice, so the ring costs the tracer twice its size in RSS. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} events SEC(".maps");

static __always_inline void fill_endpoint(struct bpf_sock_ops *skops, struct tcp_endpoint *ep,
					  __u8 direction)
{
	__builtin_memset(ep, 0, sizeof(*ep));
	ep->direction = direction;
	ep->port = direction == PT_TCP_DIR_INBOUND ? (__u16)skops->local_port
						 : (__u16)bpf_ntohl(skops->remote_port);
	if (skops->family == PT_AF_INET6) {
		__u32 a0 = skops->remote_ip6[0], a1 = skops->remote_ip6[1];
		__u32 a2 = skops->remote_ip6[2], a3 = skops->remote_ip6[3];
		/* A dual-stack socket talking to an IPv4 peer: key it as IPv4 so both merge. */
		if (a0 == 0 && a1 == 0 && a2 == bpf_htonl(0x0000ffff)) {
			ep->family = PT_AF_INET;
			__builtin_memcpy(ep->addr, &a3, 4);
			return;
		}
		ep->family = PT_AF_INET6;
		__builtin_memcpy(ep->addr, &a0, 4);
		__builtin_memcpy(ep->addr + 4, &a1, 4);
		__builtin_memcpy(ep->addr + 8, &a2, 4);
		__builtin_memcpy(ep->addr + 12, &a3, 4);
	} else {
		__u32 a = skops->remote_ip4;
		ep->family = PT_AF_INET;
		__builtin_memcpy(ep->addr, &a, 4);
	}
}

static __always_inline struct tcp_endpoint_stats *endpoint_stats(struct tcp_endpoint *ep)
{
	struct tcp_endpoint_stats *s = bpf_map_lookup_elem(&tcp_endpoints, ep);
	if (s)
		return s;
	struct tcp_endpoint_stats zero = {};
	zero.rtt_us_min = ~0ULL;
	if (count_insert_lost(bpf_map_update_elem(&tcp_endpoints, ep, &zero, BPF_NOEXIST)))
		return NULL;
	return bpf_map_lookup_elem(&tcp_endpoints, ep);
}

static __always_inline void hist_record(struct tcp_endpoint *ep, __u32 metric, __u64 value)
{
	hist_add(&tcp_hist, metric, value);
	struct tcp_hist_key k = {};
	k.ep = *ep;
	k.metric = metric;
	k.slot = hist_slot(value);
	__u64 *n = bpf_map_lookup_elem(&tcp_ep_hist, &k);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	__u64 one = 1;
	long err = bpf_map_update_elem(&tcp_ep_hist, &k, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		n = bpf_map_lookup_elem(&tcp_ep_hist, &k);
		if (n)
			__sync_fetch_and_add(n, 1);
	} else if (err) {
		count_lost(PT_LOST_MAP_FULL);
	}
}

static __always_inline void set_max(__u64 *slot, __u64 v)
{
	if (v > *slot)
		*slot = v;
}

static __always_inline struct tcp_sock *tcp_of(struct bpf_sock_ops *skops)
{
	struct bpf_sock *sk = skops->sk;
	if (!sk)
		return NULL;
	return bpf_skc_to_tcp_sock(sk);
}

static __always_inline void emit(struct tcp_sock_state *st, struct bpf_sock_ops *skops, __u32 kind,
				 __u32 failure, __s32 err, __u64 latency)
{
	struct tcp_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(PT_LOST_RINGBUF);
		return;
	}
	e->hdr.family = PT_FAMILY_TCP;
	e->hdr.kind = kind;
	e->hdr.ts_ns = bpf_ktime_get_ns();
	e->hdr.cgroup_id = st->cgroup_id;
	/* The owner recorded at connect: these callbacks mostly run in softirq context. */
	e->hdr.pid = st->pid;
	e->hdr.tid = st->pid;
	__builtin_memcpy(e->hdr.comm, st->comm, sizeof(e->hdr.comm));
	e->ep = st->ep;
	e->failure = failure;
	e->err = err;
	e->latency_ns = latency;
	e->local_port = st->local_port;
	e->pad = 0;
	if (skops) {
		e->srtt_us = skops->srtt_us >> 3;
		e->total_retrans = skops->total_retrans;
		e->bytes_sent = skops->bytes_acked;
		e->bytes_received = skops->bytes_received;
		e->state = (__u16)skops->state;
	} else {
		e->srtt_us = 0;
		e->total_retrans = 0;
		e->bytes_sent = 0;
		e->bytes_received = 0;
		e->state = 0;
	}
	bpf_ringbuf_submit(e, ringbuf_wakeup(&events));
}

/* Socket -> its cgroup v2 id: the cgroup the sockops program ran for, also in softirq. */
static __always_inline __u64 sock_cgroup_id(struct tcp_sock *tp)
{
	if (!tp)
		return 0;
	struct cgroup *cg = tp->inet_conn.icsk_inet.sk.sk_cgrp_data.cgroup;
	if (!cg)
		return 0;
	return cg->kn->id;
}

static __always_inline void track_socket(struct bpf_sock_ops *skops, __u8 direction, __u64 now)
{
	__u64 key = (__u64)skops->sk;
	if (!key)
		return;
	struct tcp_sock_state st = {};
	fill_endpoint(skops, &st.ep, direction);
	st.local_port = (__u16)skops->local_port;
	st.remote_port = (__u16)bpf_ntohl(skops->remote_port);
	st.cgroup_id = sock_cgroup_id(tcp_of(skops));
	if (direction == PT_TCP_DIR_OUTBOUND) {
		/* connect() runs in the caller's context: that is the owner. An accepted socket has
		 * no caller yet; its owner stays 0 ("the listener's process"). */
		st.connect_start_ns = now;
		if (have_current_pid)
			st.pid = bpf_get_current_pid_tgid() >> 32;
		if (have_current_comm)
			bpf_get_current_comm(st.comm, sizeof(st.comm));
		if (!have_current_pid || !have_current_comm) {
			/* Kernels before 6.10 (pid) or 6.13 (comm): the process that created the socket,
			 * which is the caller of connect() unless it handed the socket on. */
			struct sock_owner *o = sock_owner_of(skops->sk);
			if (o && !have_current_pid)
				st.pid = o->pid;
			if (o && !have_current_comm)
				__builtin_memcpy(st.comm, o->comm, sizeof(st.comm));
		}
	} else {
		st.established_ns = now;
	}
	if (bpf_map_update_elem(&tcp_socks, &key, &st, BPF_ANY))
		count_lost(PT_LOST_MAP_FULL);
	/* Ask for the callbacks that cost something only on this pod's sockets. */
	bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_STATE_CB_FLAG | BPF_SOCK_OPS_RTT_CB_FLAG |
						 BPF_SOCK_OPS_RETRANS_CB_FLAG |
						 BPF_SOCK_OPS_RTO_CB_FLAG);
}

static __always_inline void on_active_established(struct bpf_sock_ops *skops, __u64 now)
{
	__u64 key = (__u64)skops->sk;
	struct tcp_sock_state *st = bpf_map_lookup_elem(&tcp_socks, &key);
	if (!st)
		return;
	st->established_ns = now;
	__u64 latency = st->connect_start_ns ? now - st->connect_start_ns : 0;
	struct tcp_endpoint_stats *s = endpoint_stats(&st->ep);
	if (s) {
		__sync_fetch_and_add(&s->connects, 1);
		__sync_fetch_and_add(&s->connect_ns_total, latency);
		set_max(&s->connect_ns_max, latency);
	}
	hist_record(&st->ep, PT_TCP_METRIC_CONNECT, latency);
	if (latency >= slow_threshold_ns)
		emit(st, skops, PT_TCP_EVENT_SLOW_CONNECT, 0, 0, latency);
}

static __always_inline void on_passive_established(struct bpf_sock_ops *skops, __u64 now)
{
	track_socket(skops, PT_TCP_DIR_INBOUND, now);
	struct tcp_endpoint ep;
	fill_endpoint(skops, &ep, PT_TCP_DIR_INBOUND);
	struct tcp_endpoint_stats *s = endpoint_stats(&ep);
	if (s)
		__sync_fetch_and_add(&s->connects, 1);
}

static __always_inline void on_rtt(struct bpf_sock_ops *skops, __u64 now)
{
	__u64 key = (__u64)skops->sk;
	struct tcp_sock_state *st = bpf_map_lookup_elem(&tcp_socks, &key);
	if (!st)
		return;
	/* RTT_CB fires on every ACK. The smoothed RTT moves slowly, so one sample per socket per
	 * RTT_SAMPLE_NS describes it as well and keeps a busy connection's per-ACK cost to one
	 * lookup (the loopback benchmark lost 6% with every ACK recorded). */
	if (now - st->last_rtt_ns < RTT_SAMPLE_NS)
		return;
	st->last_rtt_ns = now;
	/* Newer kernels pass (mrtt_us, new srtt << 3) and call us before storing the new srtt in the
	 * socket, so skops->srtt_us is still the previous value (0 on the first sample). Kernels
	 * whose RTT_CB has no arguments leave args zero: fall back to the socket's value. */
	__u32 new_srtt8 = skops->args[1], old_srtt8 = skops->srtt_us;
	/* Keep both context loads: a select between two ctx addresses fails verification. */
	asm volatile("" : "+r"(new_srtt8), "+r"(old_srtt8));
	__u32 srtt8 = new_srtt8 ? new_srtt8 : old_srtt8;
	if (!srtt8)
		return;
	__u64 srtt_us = srtt8 >> 3; /* the kernel keeps srtt << 3 */
	struct tcp_endpoint_stats *s = endpoint_stats(&st->ep);
	if (s) {
		__sync_fetch_and_add(&s->rtt_samples, 1);
		__sync_fetch_and_add(&s->rtt_us_total, srtt_us);
		set_max(&s->rtt_us_max, srtt_us);
		if (srtt_us < s->rtt_us_min)
			s->rtt_us_min = srtt_us;
	}
	hist_record(&st->ep, PT_TCP_METRIC_RTT, srtt_us * 1000);
}

static __always_inline void on_retransmit(struct bpf_sock_ops *skops, __u32 kind)
{
	__u64 key = (__u64)skops->sk;
	struct tcp_sock_state *st = bpf_map_lookup_elem(&tcp_socks, &key);
	if (!st)
		return;
	struct tcp_endpoint_stats *s = endpoint_stats(&st->ep);
	if (s) {
		if (kind == PT_TCP_EVENT_RTO)
			__sync_fetch_and_add(&s->rto_events, 1);
		else
			__sync_fetch_and_add(&s->retransmits, 1);
	}
	emit(st, skops, kind, 0, 0, 0);
}

static __always_inline __u32 classify_failure(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return PT_TCP_FAIL_REFUSED;
	case ETIMEDOUT:
		return PT_TCP_FAIL_TIMEOUT;
	case EHOSTUNREACH:
	case ENETUNREACH:
		return PT_TCP_FAIL_UNREACHABLE;
	}
	return PT_TCP_FAIL_OTHER;
}

static __always_inline void on_state(struct bpf_sock_ops *skops, __u64 now)
{
	__u32 old_state = skops->args[0], new_state = skops->args[1];
	if (new_state != PT_TCP_CLOSE)
		return;
	__u64 key = (__u64)skops->sk;
	struct tcp_sock_state *st = bpf_map_lookup_elem(&tcp_socks, &key);
	if (!st)
		return;
	struct tcp_sock *tp = tcp_of(skops);
	/* tcp_done_with_error() stores sk_err before moving the socket to TCP_CLOSE. */
	int err = tp ? tp->inet_conn.icsk_inet.sk.sk_err : 0;
	struct tcp_endpoint_stats *s = endpoint_stats(&st->ep);

	if (old_state == PT_TCP_SYN_SENT || !st->established_ns) {
		__u32 failure = classify_failure(err);
		if (s && failure < PT_TCP_FAIL_MAX)
			__sync_fetch_and_add(&s->failures[failure], 1);
		emit(st, skops, PT_TCP_EVENT_CONNECT_FAILED, failure, err,
		     st->connect_start_ns ? now - st->connect_start_ns : 0);
	} else {
		__u64 lifetime = now - st->established_ns;
		if (s) {
			__sync_fetch_and_add(&s->closed, 1);
			__sync_fetch_and_add(&s->bytes_sent, skops->bytes_acked);
			__sync_fetch_and_add(&s->bytes_received, skops->bytes_received);
			__sync_fetch_and_add(&s->lifetime_ns_total, lifetime);
			set_max(&s->lifetime_ns_max, lifetime);
		}
		hist_record(&st->ep, PT_TCP_METRIC_LIFETIME, lifetime);
		/* tcp_reset(): ECONNRESET when established, EPIPE in CLOSE_WAIT. */
		if (err == ECONNRESET || err == EPIPE) {
			if (s)
				__sync_fetch_and_add(&s->resets_received, 1);
			emit(st, skops, PT_TCP_EVENT_RESET_RECEIVED, 0, err, lifetime);
		}
	}
	struct just_closed jc = {.closed_ns = now, .st = *st};
	bpf_map_update_elem(&just_closed, &key, &jc, BPF_ANY);
	bpf_map_delete_elem(&tcp_socks, &key);
}

/* Attached to the pod's cgroups: runs only for the pod's TCP sockets, no filter needed. */
SEC("sockops")
int tcp_sockops(struct bpf_sock_ops *skops)
{
	__u64 now = bpf_ktime_get_ns();
	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		track_socket(skops, PT_TCP_DIR_OUTBOUND, now);
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		on_active_established(skops, now);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		on_passive_established(skops, now);
		break;
	case BPF_SOCK_OPS_RTT_CB:
		on_rtt(skops, now);
		break;
	case BPF_SOCK_OPS_RETRANS_CB:
		on_retransmit(skops, PT_TCP_EVENT_RETRANSMIT);
		break;
	case BPF_SOCK_OPS_RTO_CB:
		on_retransmit(skops, PT_TCP_EVENT_RTO);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		on_state(skops, now);
		break;
	}
	return 1;
}

/* Resets the pod sends (close with unread data, SO_LINGER 0, aborts) have no sockops callback.
 * tcp:tcp_send_reset fires for every socket on the node; the owner-map lookup is the filter,
 * since `current` is meaningless in softirq context. A reset that a close sends comes after the
 * close deleted the socket's entry: just_closed has it. */
static __always_inline int on_send_reset(__u64 sk)
{
	if (!sk)
		return 0;
	struct tcp_sock_state *st = bpf_map_lookup_elem(&tcp_socks, &sk);
	bool from_close = false;
	if (!st) {
		struct just_closed *jc = bpf_map_lookup_elem(&just_closed, &sk);
		if (!jc || bpf_ktime_get_ns() - jc->closed_ns > JUST_CLOSED_NS)
			return 0;
		/* The same peer. (The move to TCP_CLOSE already released the local port.) */
		const struct sock *sock = (const struct sock *)sk;
		if (bpf_ntohs(BPF_CORE_READ(sock, __sk_common.skc_dport)) != jc->st.remote_port)
			return 0;
		__u32 daddr = BPF_CORE_READ(sock, __sk_common.skc_daddr);
		if (jc->st.ep.family == PT_AF_INET && __builtin_memcmp(&daddr, jc->st.ep.addr, 4))
			return 0;
		st = &jc->st;
		from_close = true;
	}
	struct tcp_endpoint_stats *s = endpoint_stats(&st->ep);
	if (s)
		__sync_fetch_and_add(&s->resets_sent, 1);
	emit(st, NULL, PT_TCP_EVENT_RESET_SENT, 0, 0,
	     st->established_ns ? bpf_ktime_get_ns() - st->established_ns : 0);
	if (from_close)
		bpf_map_delete_elem(&just_closed, &sk); /* one close, one reset; after its last read */
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(tcp_send_reset_btf, const struct sock *sk)
{
	return on_send_reset((__u64)sk);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(tcp_send_reset_raw, const struct sock *sk)
{
	return on_send_reset((__u64)sk);
}
