/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* dns.h: DNS query/answer aggregates, in-flight queries and getaddrinfo() records shared by dns.bpf.c and tracer/probes/dns_probe.cpp. */
#pragma once

#include "podtrace_common.h"

/* Question names are kept in wire format (length-prefixed labels), lower-cased, zero padded.
 * 128 bytes hold any name a pod normally resolves, search-list suffixes included; longer ones
 * are kept truncated and flagged. */
#define DNS_NAME_LEN 128
#define DNS_MAX_INFLIGHT 16384
#define DNS_MAX_NAMES 8192
#define DNS_MAX_HIST_KEYS 65536
#define DNS_RCODES 16
#define DNS_PORT 53
/* getaddrinfo() hosts as the application passed them (C string). */
#define GAI_HOST_LEN 128
#define GAI_MAX_INFLIGHT 4096
#define GAI_MAX_HOSTS 4096
/* EAI_* codes are small negative numbers (glibc -1..-11, -100..-105; musl -1..-11). */
#define GAI_ERROR_SLOTS 16

#define DNS_AF_INET 2
#define DNS_AF_INET6 10

enum dns_transport {
	DNS_TRANSPORT_UDP = 1,
	DNS_TRANSPORT_TCP = 2,
};

enum dns_event_kind {
	DNS_EVENT_SLOW = 1,    /* answered after slow_threshold_ns */
	DNS_EVENT_ERROR = 2,   /* answered with SERVFAIL, REFUSED... (NXDOMAIN is aggregated only) */
	DNS_EVENT_TIMEOUT = 3, /* no answer: the resolver sent the same query again */
	DNS_EVENT_GAI_FAILED = 4,
};

enum dns_hist_row {
	DNS_HIST_ANSWER = 0, /* query -> answer on the wire */
	DNS_HIST_GAI = 1,    /* getaddrinfo() call -> return */
	DNS_HIST_ROWS = 2,
};

struct dns_name_key {
	__u8 qname[DNS_NAME_LEN];
	__u16 qtype;
	__u8 truncated; /* the name did not fit in qname */
	__u8 pad[5];
};

struct dns_name_stats {
	__u64 queries;
	__u64 answers;
	__u64 timeouts; /* superseded by a retry of the same query; user space adds expired ones */
	__u64 rcodes[DNS_RCODES];
	__u64 latency_ns_total;
	__u64 latency_ns_max;
	__u8 server[16]; /* last server that answered */
	__u16 server_port;
	__u8 server_family;
	__u8 transports; /* enum dns_transport bits */
	__u32 pad;
};

/* What matches an answer to its query: the server, the client's port and the transaction id. */
struct dns_query_key {
	__u8 server[16];
	__u16 client_port;
	__u16 txid;
	__u8 family;
	__u8 transport;
	__u16 pad;
};

struct dns_inflight {
	__u64 ts_ns;
	__u64 cgroup_id;
	__u32 pid;
	__u32 tid;
	char comm[PT_COMM_LEN];
	struct dns_name_key name;
};

struct dns_hist_key {
	struct dns_name_key name;
	__u32 slot;
	__u32 pad;
};

struct gai_host_key {
	char host[GAI_HOST_LEN];
};

struct gai_stats {
	__u64 calls;
	__u64 failures;
	__u64 errors[GAI_ERROR_SLOTS]; /* index: -EAI_x for -1..-15, 0 for others */
	__u64 queries; /* DNS queries the calling thread sent during the calls */
	__u64 latency_ns_total;
	__u64 latency_ns_max;
};

struct dns_event {
	struct pt_event_header hdr;
	struct dns_name_key name;
	__u8 server[16];
	__u16 server_port;
	__u8 server_family;
	__u8 transport;
	__u32 rcode;
	__u64 latency_ns;
	char host[GAI_HOST_LEN]; /* getaddrinfo() events */
	__s32 gai_error;
	__u32 gai_queries;
};
