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

static __always_inline int on_kfree_skb(struct sk_buff *skb, __u32 reason, struct sock *rx_sk)
{
	/* consume_skb() never reaches this tracepoint, but SKB_CONSUMED is not a drop either. */
	if (reason <= SKB_CONSUMED)
		return 0;
	/* rx_sk: the receiving socket (set for drops on the way in, before the skb is owned);
	 * skb->sk: the sending socket on the way out. */
	struct sock *sk = rx_sk ? rx_sk : BPF_CORE_READ(skb, sk);
	__u64 cgid = sock_cgroup_id(sk);
	if (!cgid || !is_target_cgroup(cgid))
		return 0;
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
	if (!e->ep.port)
		skb_remote(skb, rx_sk != NULL, &e->ep);
	e->reason = reason;
	e->protocol = key.protocol;
	e->err = 0;
	e->pad = 0;
	e->count = n;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb_btf, struct sk_buff *skb, void *location, enum skb_drop_reason reason,
	     struct sock *rx_sk)
{
	return on_kfree_skb(skb, reason, rx_sk);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(kfree_skb_raw, struct sk_buff *skb, void *location, enum skb_drop_reason reason,
	     struct sock *rx_sk)
{
	return on_kfree_skb(skb, reason, rx_sk);
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
	struct udp_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	struct udp_event local;
	struct udp_event *ev = e ? e : &local;
	fill_socket_header(&ev->hdr, PT_UDP_EVENT_SOCKET_ERROR, cgid);
	sock_remote(sk, &ev->ep, &ev->local_port);
	ev->reason = 0;
	ev->protocol = UDP_PROTO_UDP;
	ev->err = BPF_CORE_READ(sk, sk_err);
	ev->pad = 0;
	ev->count = 0;
	struct udp_endpoint_stats *s = endpoint_stats(&ev->ep);
	if (s) {
		__sync_fetch_and_add(&s->errors, 1);
		s->last_errno = ev->err;
	}
	if (e)
		bpf_ringbuf_submit(e, 0);
	else
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
 * read from the packet's headers. The datagram itself also shows as a kfree_skb drop. */
static __always_inline int on_fail_queue(struct sock *sk, struct sk_buff *skb)
{
	__u64 cgid = sock_cgroup_id(sk);
	if (!cgid || !is_target_cgroup(cgid))
		return 0;
	struct udp_endpoint ep;
	if (!skb_remote(skb, true, &ep))
		return 0;
	struct udp_endpoint_stats *s = endpoint_stats(&ep);
	if (s)
		__sync_fetch_and_add(&s->receive_errors, 1);
	return 0;
}

SEC("tp_btf/udp_fail_queue_rcv_skb")
int BPF_PROG(udp_fail_queue_btf, int rc, struct sock *sk, struct sk_buff *skb)
{
	return on_fail_queue(sk, skb);
}

SEC("raw_tp/udp_fail_queue_rcv_skb")
int BPF_PROG(udp_fail_queue_raw, int rc, struct sock *sk, struct sk_buff *skb)
{
	return on_fail_queue(sk, skb);
}
