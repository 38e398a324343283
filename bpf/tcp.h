/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* tcp.h: per-endpoint TCP aggregates and abnormal-event records shared by tcp.bpf.c and tracer/probes/tcp_probe.cpp. */
#pragma once

#include "podtrace_common.h"

/* Sockets of the pod that are open at once; a pod with more loses per-socket detail
 * (counted in lost[PT_LOST_MAP_FULL]) but never the per-endpoint totals of the others. */
#define TCP_MAX_SOCKS 65536
#define TCP_MAX_ENDPOINTS 4096
/* (endpoint, metric, slot) triples: a few dozen non-empty slots per endpoint and metric. */
#define TCP_MAX_HIST_KEYS 65536

#define PT_AF_INET 2
#define PT_AF_INET6 10

enum tcp_direction {
	PT_TCP_DIR_OUTBOUND = 0, /* the pod connected: key is remote addr:port */
	PT_TCP_DIR_INBOUND = 1,  /* the pod accepted: key is remote addr + the pod's local port */
};

enum tcp_metric {
	PT_TCP_METRIC_CONNECT = 0,  /* SYN sent -> established, ns */
	PT_TCP_METRIC_RTT = 1,      /* smoothed RTT at each RTT sample, ns */
	PT_TCP_METRIC_LIFETIME = 2, /* established -> closed, ns */
	PT_TCP_METRIC_MAX = 3,
};

enum tcp_event_kind {
	PT_TCP_EVENT_SLOW_CONNECT = 1,
	PT_TCP_EVENT_CONNECT_FAILED = 2,
	PT_TCP_EVENT_RETRANSMIT = 3,
	PT_TCP_EVENT_RTO = 4,
	PT_TCP_EVENT_RESET_SENT = 5,
	PT_TCP_EVENT_RESET_RECEIVED = 6,
};

/* Why a connect never reached ESTABLISHED, from sk_err when the socket left SYN_SENT. */
enum tcp_connect_failure {
	PT_TCP_FAIL_REFUSED = 0,     /* ECONNREFUSED: RST in answer to the SYN */
	PT_TCP_FAIL_TIMEOUT = 1,     /* ETIMEDOUT: SYN retransmits exhausted */
	PT_TCP_FAIL_UNREACHABLE = 2, /* EHOSTUNREACH/ENETUNREACH: ICMP error */
	PT_TCP_FAIL_OTHER = 3,       /* closed by the application before an answer, other errors */
	PT_TCP_FAIL_MAX = 4,
};

/* Addresses in network byte order; IPv4 in addr[0..3]. Port in host order. */
struct tcp_endpoint {
	__u8 addr[16];
	__u16 port;
	__u8 family;
	__u8 direction;
	__u32 pad;
};

/* One entry per socket of the pod, from connect/accept to close. The sock pointer is the key so
 * that tracepoints firing in softirq context, where `current` is whoever was interrupted, can
 * find the socket's owner. Only the pod's sockets ever get an entry, so for everyone else the
 * lookup is the (failing) filter. The move to TCP_CLOSE deletes the entry (every path that frees
 * a socket takes it there), after copying it to just_closed for a reset that follows,
 * and a new socket at a freed one's address overwrites it. A plain hash, allocated on demand
 * where the kernel allows it (tracer/probes/skeleton_loader.h): an LRU map preallocates all of it
 * at start-up (10 MB), and would evict a live socket when full, where this one refuses the new
 * socket and counts it (map_full). A socket whose cgroup stops being traced (a restarted
 * container's) loses its close callback with its sockops link: user space deletes the entries of
 * cgroups it no longer traces (TcpProbe::set_targets()). */
struct tcp_sock_state {
	__u64 connect_start_ns;
	__u64 established_ns;
	__u64 last_rtt_ns; /* when an RTT sample was last recorded */
	__u64 cgroup_id;
	__u32 pid;
	__u16 local_port;
	__u16 remote_port; /* host order; ep.port is the local one for inbound sockets */
	char comm[PT_COMM_LEN];
	struct tcp_endpoint ep;
};

struct tcp_endpoint_stats {
	__u64 connects; /* reached ESTABLISHED (accepted, for inbound) */
	__u64 connect_ns_total;
	__u64 connect_ns_max;
	__u64 failures[PT_TCP_FAIL_MAX];
	__u64 rtt_samples;
	__u64 rtt_us_total;
	__u64 rtt_us_max;
	__u64 rtt_us_min;
	__u64 retransmits;
	__u64 rto_events;
	__u64 resets_sent;
	__u64 resets_received;
	__u64 closed; /* established connections that have closed */
	__u64 bytes_sent;     /* acked by the peer, of closed connections */
	__u64 bytes_received; /* of closed connections */
	__u64 lifetime_ns_total;
	__u64 lifetime_ns_max;
};

struct tcp_hist_key {
	struct tcp_endpoint ep;
	__u32 metric;
	__u32 slot;
};

struct tcp_event {
	struct pt_event_header hdr;
	struct tcp_endpoint ep;
	__u32 failure; /* enum tcp_connect_failure, for CONNECT_FAILED */
	__s32 err;     /* sk_err, positive errno */
	__u64 latency_ns; /* connect latency; for resets, time since established */
	__u32 srtt_us;
	__u32 total_retrans;
	__u64 bytes_sent;
	__u64 bytes_received;
	__u16 local_port;
	__u16 state; /* TCP state when it happened */
	__u32 pad;
};
