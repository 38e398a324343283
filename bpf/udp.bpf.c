// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* udp.bpf.c: UDP packets and bytes per remote endpoint (cgroup_skb), UDP socket and receive-queue errors, and drops of the pod's packets with the kernel's drop reason (skb:kfree_skb). */
#include "common.bpf.h"
#include "udp.h"

#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PT_IPPROTO_UDP 17
#define PT_IPPROTO_UDPLITE 136
/* Socket states that are not a full struct sock (include/net/tcp_states.h). */
#define PT_TCP_TIME_WAIT 6
#define PT_TCP_NEW_SYN_RECV 12

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UDP_MAX_ENDPOINTS);
	__type(key, struct udp_endpoint);
	__type(value, struct udp_endpoint_stats);
} udp_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, UDP_MAX_DROP_KEYS);
	__type(key, struct udp_drop_key);
	__type(value, struct udp_drop_stats);
} udp_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} events SEC(".maps");

static __always_inline struct udp_endpoint_stats *endpoint_stats(struct udp_endpoint *ep)
{
	struct udp_endpoint_stats *s = bpf_map_lookup_elem(&udp_endpoints, ep);
	if (s)
		return s;
	struct udp_endpoint_stats zero = {};
	/* EEXIST from a racing CPU is fine; the lookup finds its entry. */
	bpf_map_update_elem(&udp_endpoints, ep, &zero, BPF_NOEXIST);
	s = bpf_map_lookup_elem(&udp_endpoints, ep);
	if (!s)
		count_lost(PT_LOST_MAP_FULL);
	return s;
}

/* --- Bytes and packets: cgroup_skb runs only for the pod's sockets, so it needs no filter. --- */

/* cgroup_skb sees the packet from its network header, once per datagram (egress before
 * fragmentation, ingress after reassembly). */
static __always_inline int count_skb(struct __sk_buff *skb, bool egress)
{
	struct udp_endpoint ep = {};
	__u8 vb;
	__u32 l4;
	if (bpf_skb_load_bytes(skb, 0, &vb, 1))
		return 1;
	if ((vb >> 4) == 4) {
		struct iphdr ip;
		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
			return 1;
		if (ip.protocol != PT_IPPROTO_UDP || (ip.frag_off & bpf_htons(0x1fff)))
			return 1;
		l4 = ip.ihl * 4;
		ep.family = UDP_AF_INET;
		__builtin_memcpy(ep.addr, egress ? &ip.daddr : &ip.saddr, 4);
	} else if ((vb >> 4) == 6) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return 1;
		/* Extension headers before UDP are rare; such packets are not counted. */
		if (ip6.nexthdr != PT_IPPROTO_UDP)
			return 1;
		l4 = sizeof(ip6);
		ep.family = UDP_AF_INET6;
		__builtin_memcpy(ep.addr, egress ? &ip6.daddr : &ip6.saddr, 16);
	} else {
		return 1;
	}
	struct udphdr uh;
	if (bpf_skb_load_bytes(skb, l4, &uh, sizeof(uh)))
		return 1;
	ep.port = bpf_ntohs(egress ? uh.dest : uh.source);
	__u16 len = bpf_ntohs(uh.len);
	__u64 payload = len >= sizeof(uh) ? len - sizeof(uh) : 0;
	struct udp_endpoint_stats *s = endpoint_stats(&ep);
	if (!s)
		return 1;
	if (egress) {
		__sync_fetch_and_add(&s->packets_sent, 1);
		__sync_fetch_and_add(&s->bytes_sent, payload);
	} else {
		__sync_fetch_and_add(&s->packets_received, 1);
		__sync_fetch_and_add(&s->bytes_received, payload);
	}
	return 1;
}

SEC("cgroup_skb/egress")
int udp_egress_skb(struct __sk_buff *skb)
{
	return count_skb(skb, true);
}

SEC("cgroup_skb/ingress")
int udp_ingress_skb(struct __sk_buff *skb)
{
	return count_skb(skb, false);
}

/* --- Tracepoints: they fire for every socket on the node, often in softirq context where
 * `current` is whoever was interrupted. The socket's own v2 cgroup (set when the socket was
 * created) is the filter, checked before anything else. --- */

static __always_inline __u64 sock_cgroup_id(struct sock *sk)
{
	if (!sk)
		return 0;
	__u8 state = BPF_CORE_READ(sk, __sk_common.skc_state);
	/* Request and timewait socks are smaller than struct sock and have no cgroup data. */
	if (state == PT_TCP_TIME_WAIT || state == PT_TCP_NEW_SYN_RECV)
		return 0;
	return BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
}

static __always_inline void sock_remote(struct sock *sk, struct udp_endpoint *ep, __u16 *local_port)
{
	__builtin_memset(ep, 0, sizeof(*ep));
	ep->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (ep->family == UDP_AF_INET6) {
		struct in6_addr a6 = BPF_CORE_READ(sk, __sk_common.skc_v6_daddr);
		__builtin_memcpy(ep->addr, &a6, 16);
	} else {
		__be32 a4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(ep->addr, &a4, 4);
	}
	ep->port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	*local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
}

static __always_inline void fill_socket_header(struct pt_event_header *h, __u32 kind, __u64 cgroup_id)
{
	/* pid and comm are left empty: `current` is not the socket's owner in softirq context. */
	__builtin_memset(h, 0, sizeof(*h));
	h->family = PT_FAMILY_UDP;
	h->kind = kind;
	h->ts_ns = bpf_ktime_get_ns();
	h->cgroup_id = cgroup_id;
}

/* The remote end of a packet from its headers: the source of a received packet, the
 * destination of a sent one. Only on rate-limited or error paths. Returns false when the
 * headers are not IPv4/IPv6 with a transport header. */
static __always_inline bool skb_remote(struct sk_buff *skb, bool received, struct udp_endpoint *ep)
{
	__builtin_memset(ep, 0, sizeof(*ep));
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	__u8 vb = 0;
	if (bpf_probe_read_kernel(&vb, 1, head + nh))
		return false;
	if ((vb >> 4) == 4) {
		ep->family = UDP_AF_INET;
		/* Wire format, not kernel layout: saddr at 12, daddr at 16. */
		bpf_probe_read_kernel(ep->addr, 4, head + nh + (received ? 12 : 16));
	} else if ((vb >> 4) == 6) {
		ep->family = UDP_AF_INET6;
		/* saddr at 8, daddr at 24. */
		bpf_probe_read_kernel(ep->addr, 16, head + nh + (received ? 8 : 24));
	} else {
		return false;
	}
	/* TCP and UDP both start with source and destination ports. */
	__u16 ports[2] = {};
	bpf_probe_read_kernel(ports, sizeof(ports), head + th);
	ep->port = bpf_ntohs(received ? ports[0] : ports[1]);
	return true;
}

/* --- Drops (skb:kfree_skb) and the receive queue's refusals (udp:udp_fail_queue_rcv_skb) --- */

/* udp_fail_queue_rcv_skb(rc, sk[, skb]): Linux 6.10 ("net: udp: add IP/port data to the
 * tracepoint udp/udp_fail_queue_rcv_skb") added the packet, and with it the record's saddr
 * field: CO-RE keeps the read of the third argument where it exists, and the verifier never
 * sees it where it does not (a program reading it is refused there). */
static __always_inline bool fail_queue_has_skb(void)
{
	return bpf_core_field_exists(struct trace_event_raw_udp_fail_queue_rcv_skb, saddr);
}

/* Before Linux 6.10 a datagram the receive queue refused reaches kfree_skb with no socket (no
 * rx_sk before 6.11, and skb->sk is not set on the way in), then udp_fail_queue_rcv_skb with
 * the socket but not the packet: __udp_queue_rcv_skb() calls kfree_skb_reason(skb, reason)
 * and right after it trace_udp_fail_queue_rcv_skb(rc, sk), on the same CPU in softirq. So
 * kfree_skb leaves the drop here and fail_queue attributes it to its socket. Each refusal's own
 * kfree_skb comes just before it, so a drop left here by another path is always overwritten
 * before a refusal reads it. */
struct pending_rx_drop {
	struct udp_endpoint ep; /* the sender, from the packet's headers */
	__u32 reason;
	__u32 valid;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending_rx_drop);
} pending_rx_drops SEC(".maps");

/* The two reasons __udp_queue_rcv_skb() drops with (both 5.19 and later). */
static __always_inline bool is_queue_refusal(__u32 reason)
{
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_SOCKET_RCVBUFF) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_SOCKET_RCVBUFF))
		return true;
	return bpf_core_enum_value_exists(enum skb_drop_reason, SKB_DROP_REASON_PROTO_MEM) &&
	       reason == bpf_core_enum_value(enum skb_drop_reason, SKB_DROP_REASON_PROTO_MEM);
}

static __always_inline void leave_rx_drop(struct sk_buff *skb, __u32 reason)
{
	if (!is_queue_refusal(reason))
		return;
	__u32 zero = 0;
	struct pending_rx_drop *d = bpf_map_lookup_elem(&pending_rx_drops, &zero);
	if (!d)
		return;
	d->valid = skb_remote(skb, true, &d->ep);
	d->reason = reason;
}

/* Counts a drop of the pod's socket `sk` and streams it (rate-limited). The remote end: the
 * socket's when connected, else `pkt_remote` when given, else the packet's headers. */
static __always_inline int count_drop(struct sk_buff *skb, bool received, __u64 cgid,
				      struct sock *sk, __u32 reason,
				      const struct udp_endpoint *pkt_remote)
{
	__u16 proto = BPF_CORE_READ(sk, sk_protocol);
	struct udp_drop_key key = {
		.reason = reason,
		.protocol = proto == UDP_PROTO_TCP || proto == UDP_PROTO_UDP ? proto : UDP_PROTO_OTHER,
	};
	struct udp_drop_stats *s = bpf_map_lookup_elem(&udp_drops, &key);
	if (!s) {
		struct udp_drop_stats zero = {};
		bpf_map_update_elem(&udp_drops, &key, &zero, BPF_NOEXIST);
		s = bpf_map_lookup_elem(&udp_drops, &key);
		if (!s) {
			count_lost(PT_LOST_MAP_FULL);
			return 0;
		}
	}
	__u64 n = __sync_fetch_and_add(&s->count, 1) + 1;
	/* Rate limit per (reason, protocol): racing CPUs may both emit, which is harmless. */
	__u64 now = bpf_ktime_get_ns();
	__u64 last = s->last_event_ns;
	if (last && now - last < UDP_DROP_EVENT_INTERVAL_NS)
		return 0;
	s->last_event_ns = now;
	struct udp_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(PT_LOST_RINGBUF);
		return 0;
	}
	fill_socket_header(&e->hdr, PT_UDP_EVENT_DROP, cgid);
	sock_remote(sk, &e->ep, &e->local_port);
	/* An unconnected socket has no remote of its own: take it from the packet. */
	if (!e->ep.port) {
		if (pkt_remote)
			e->ep = *pkt_remote;
		else
			skb_remote(skb, received, &e->ep);
	}
	e->reason = reason;
	e->protocol = key.protocol;
	e->err = 0;
	e->pad = 0;
	e->count = n;
	bpf_ringbuf_submit(e, ringbuf_wakeup(&events));
	return 0;
}

static __always_inline int on_kfree_skb(struct sk_buff *skb, __u32 reason, struct sock *rx_sk)
{
	/* consume_skb() never reaches this tracepoint, but SKB_CONSUMED is not a drop either. It
	 * arrived in Linux 6.3 ("net: add SKB_CONSUMED drop reason"); before it 0
	 * (SKB_NOT_DROPPED_YET) is the only value that is not a drop: the enum's numbers moved. */
	__u32 consumed = 0;
	if (bpf_core_enum_value_exists(enum skb_drop_reason, SKB_CONSUMED))
		consumed = bpf_core_enum_value(enum skb_drop_reason, SKB_CONSUMED);
	if (reason <= consumed)
		return 0;
	/* rx_sk: the receiving socket (set for drops on the way in, before the skb is owned);
	 * skb->sk: the sending socket on the way out. */
	struct sock *sk = rx_sk ? rx_sk : BPF_CORE_READ(skb, sk);
	if (!sk) {
		if (!fail_queue_has_skb())
			leave_rx_drop(skb, reason);
		return 0;
	}
	__u64 cgid = sock_cgroup_id(sk);
	if (!cgid || !is_target_cgroup(cgid))
		return 0;
	return count_drop(skb, rx_sk != NULL, cgid, sk, reason, NULL);
}

/* kfree_skb(skb, location, reason[, rx_sk]): Linux 6.11 ("net: add rx_sk to trace_kfree_skb")
 * added the receiving socket; before it a program that reads a 4th argument is refused. The
 * tracepoint's record has the field exactly when the argument exists, so CO-RE picks the read
 * and the verifier never sees it where it is missing. The drop then falls back to skb->sk. */
static __always_inline struct sock *kfree_skb_rx_sk(__u64 *ctx)
{
	if (bpf_core_field_exists(struct trace_event_raw_kfree_skb, rx_sk))
		return (struct sock *)ctx[3];
	return NULL;
}

SEC("tp_btf/kfree_skb")
int kfree_skb_btf(__u64 *ctx)
{
	return on_kfree_skb((struct sk_buff *)ctx[0], (__u32)ctx[2], kfree_skb_rx_sk(ctx));
}

SEC("raw_tp/kfree_skb")
int kfree_skb_raw(__u64 *ctx)
{
	return on_kfree_skb((struct sk_buff *)ctx[0], (__u32)ctx[2], kfree_skb_rx_sk(ctx));
}

/* sk_error_report() on a UDP socket: for a connected socket, an ICMP error (port or host
 * unreachable) sets sk_err, which the next send or receive returns (ECONNREFUSED...). */
static __always_inline int on_error_report(struct sock *sk)
{
	__u64 cgid = sock_cgroup_id(sk);
	if (!cgid || !is_target_cgroup(cgid))
		return 0;
	__u16 proto = BPF_CORE_READ(sk, sk_protocol);
	if (proto != PT_IPPROTO_UDP && proto != PT_IPPROTO_UDPLITE)
		return 0;
	/* The event is built on the stack and copied out (bpf_ringbuf_output): the stats are
	 * counted even when the ring buffer is full, and a map key in ring buffer memory is refused
	 * before Linux 6.2 ("bpf: Allow ringbuf memory to be used as map key"). Reserving and
	 * choosing between the reservation and a stack copy (`e ? e : &local`) is refused by 6.1's
	 * verifier, which does not know a reservation checked once is not NULL in its copy
	 * ("Unreleased reference"). */
	struct udp_event ev;
	fill_socket_header(&ev.hdr, PT_UDP_EVENT_SOCKET_ERROR, cgid);
	sock_remote(sk, &ev.ep, &ev.local_port);
	ev.reason = 0;
	ev.protocol = UDP_PROTO_UDP;
	ev.err = BPF_CORE_READ(sk, sk_err);
	ev.pad = 0;
	ev.count = 0;
	struct udp_endpoint_stats *s = endpoint_stats(&ev.ep);
	if (s) {
		__sync_fetch_and_add(&s->errors, 1);
		/* sk_error_report() wakes the socket's waiters before this tracepoint runs: a reader
		 * already blocked on another CPU can take the error first (sock_error() clears sk_err),
		 * and then it reads 0 here. The error still counts; its errno is not known. */
		if (ev.err)
			s->last_errno = ev.err;
	}
	if (bpf_ringbuf_output(&events, &ev, sizeof(ev), ringbuf_wakeup(&events)))
		count_lost(PT_LOST_RINGBUF);
	return 0;
}

SEC("tp_btf/inet_sk_error_report")
int BPF_PROG(udp_error_report_btf, const struct sock *sk)
{
	return on_error_report((struct sock *)sk);
}

SEC("raw_tp/inet_sk_error_report")
int BPF_PROG(udp_error_report_raw, const struct sock *sk)
{
	return on_error_report((struct sock *)sk);
}

/* The receive queue refused a datagram (buffer full, memory pressure): counted per sender,
 * read from the packet's headers. The datagram itself also shows as a kfree_skb drop, which
 * before Linux 6.10 only this tracepoint can attribute (pending_rx_drops). */
static __always_inline int on_fail_queue(__u64 *ctx)
{
	struct sock *sk = (struct sock *)ctx[1];
	struct udp_endpoint ep;
	__u32 reason = 0;
	if (fail_queue_has_skb()) {
		if (!skb_remote((struct sk_buff *)ctx[2], true, &ep))
			return 0;
	} else {
		__u32 zero = 0;
		struct pending_rx_drop *d = bpf_map_lookup_elem(&pending_rx_drops, &zero);
		if (!d || !d->valid)
			return 0;
		d->valid = 0;
		ep = d->ep;
		reason = d->reason;
	}
	__u64 cgid = sock_cgroup_id(sk);
	if (!cgid || !is_target_cgroup(cgid))
		return 0;
	struct udp_endpoint_stats *s = endpoint_stats(&ep);
	if (s)
		__sync_fetch_and_add(&s->receive_errors, 1);
	if (reason)
		count_drop(NULL, true, cgid, sk, reason, &ep);
	return 0;
}

SEC("tp_btf/udp_fail_queue_rcv_skb")
int udp_fail_queue_btf(__u64 *ctx)
{
	return on_fail_queue(ctx);
}

SEC("raw_tp/udp_fail_queue_rcv_skb")
int udp_fail_queue_raw(__u64 *ctx)
{
	return on_fail_queue(ctx);
}
