/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* udp.h: per-endpoint UDP aggregates, per-reason packet drops and drop/error records shared by udp.bpf.c and tracer/probes/udp_probe.cpp. */
#pragma once

#include "podtrace_common.h"

#define UDP_MAX_ENDPOINTS 4096
/* (reason, protocol) pairs; the kernel has ~120 drop reasons. */
#define UDP_MAX_DROP_KEYS 1024
/* At most one drop event per (reason, protocol) per this long: a flood is counted, not streamed. */
#define UDP_DROP_EVENT_INTERVAL_NS 1000000000ULL

#define UDP_AF_INET 2
#define UDP_AF_INET6 10

#define UDP_PROTO_OTHER 0
#define UDP_PROTO_TCP 6
#define UDP_PROTO_UDP 17

enum udp_event_kind {
	PT_UDP_EVENT_DROP = 1,         /* a packet of the pod's sockets was dropped */
	PT_UDP_EVENT_SOCKET_ERROR = 2, /* a UDP socket got an error (ICMP unreachable...) */
};

/* Remote address and port of the pod's UDP traffic. */
struct udp_endpoint {
	__u8 addr[16]; /* IPv4 in the first 4 bytes */
	__u16 port;    /* host order */
	__u8 family;   /* UDP_AF_INET, UDP_AF_INET6 */
	__u8 pad[5];
};

struct udp_endpoint_stats {
	__u64 packets_sent;
	__u64 bytes_sent; /* UDP payload bytes */
	__u64 packets_received;
	__u64 bytes_received;
	__u64 errors;         /* socket errors reported (ECONNREFUSED from ICMP port unreachable...) */
	__u64 receive_errors; /* datagrams the receive queue refused (udp_fail_queue_rcv_skb) */
	__u64 last_errno;
};

struct udp_drop_key {
	__u32 reason;   /* enum skb_drop_reason */
	__u32 protocol; /* UDP_PROTO_* */
};

struct udp_drop_stats {
	__u64 count;
	__u64 last_event_ns; /* when a drop event of this key was last streamed */
};

struct udp_event {
	struct pt_event_header hdr; /* cgroup_id: the socket's cgroup; pid 0 (softirq context) */
	struct udp_endpoint ep;     /* the socket's remote address, when connected */
	__u32 reason;               /* drops: enum skb_drop_reason */
	__u32 protocol;
	__u32 err; /* socket errors: errno */
	__u16 local_port;
	__u16 pad;
	__u64 count; /* drops: total of this (reason, protocol) so far */
};
