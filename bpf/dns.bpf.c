// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* dns.bpf.c: DNS queries and answers of the pod parsed from its packets (cgroup_skb, UDP and TCP port 53, IPv4 and IPv6), and getaddrinfo() as the application saw it (uprobe). */
/* The skb programs parse on a stack of nearly 512 bytes: no room for hist_slot's own frame. */
#define PT_HIST_SLOT_INLINE
#include "common.bpf.h"
#include "activity.bpf.h"
#include "dns.h"
#include "sock_owner.bpf.h"

#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 slow_threshold_ns = 10 * 1000 * 1000;
/* cgroup_skb programs may call bpf_get_current_pid_tgid since Linux 6.10 (a base helper since
 * "bpf: Allow helper bpf_get_[ns_]current_pid_tgid() for all prog types") and
 * bpf_get_current_comm only after 6.12 ("bpf: streamline allowed helpers between tracing and
 * base sets"). The loader clears these where the kernel refuses the call; the verifier then
 * drops it as dead code, and the sender is the socket's creator (sock_owner.bpf.h). */
const volatile bool have_current_pid = true;
const volatile bool have_current_comm = true;

#define EEXIST 17
#define PT_IPPROTO_TCP 6
#define PT_IPPROTO_UDP 17

/* Queries sent and not yet answered. The answer deletes its entry, user space expires the
 * unanswered ones after --dns-timeout (DnsProbe::expire_queries()), and an update the full map
 * refuses is counted. A plain hash, allocated on demand where the kernel allows it
 * (tracer/probes/skeleton_loader.h): an LRU map preallocates all of it at start-up. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DNS_MAX_INFLIGHT);
	__type(key, struct dns_query_key);
	__type(value, struct dns_inflight);
} dns_inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DNS_MAX_NAMES);
	__type(key, struct dns_name_key);
	__type(value, struct dns_name_stats);
} dns_names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DNS_MAX_HIST_KEYS);
	__type(key, struct dns_hist_key);
	__type(value, __u64);
} dns_name_hist SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DNS_HIST_ROWS *PT_HIST_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} dns_hist SEC(".maps");

struct gai_call {
	__u64 ts_ns;
	__u64 queries;
	struct gai_host_key host;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, GAI_MAX_INFLIGHT);
	__type(key, __u32); /* tid */
	__type(value, struct gai_call);
} gai_inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GAI_MAX_HOSTS);
	__type(key, struct gai_host_key);
	__type(value, struct gai_stats);
} gai_hosts SEC(".maps");

/* 256 KiB: ~700 events; only slow, failed and unanswered queries stream. User space maps the
 * data pages twice, so the ring costs the tracer twice its size in RSS. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} events SEC(".maps");

/* dns_inflight values are too big for the BPF stack next to the parser's locals. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_inflight);
} scratch SEC(".maps");

struct dns_header {
	__u16 id;
	__u16 flags;
	__u16 qdcount;
	__u16 ancount;
	__u16 nscount;
	__u16 arcount;
};

struct packet {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 dns_off;
	__u16 sport;
	__u16 dport;
	__u8 family;
	__u8 transport;
};

/* Fills ports, addresses and where the DNS message starts (after TCP's 2-byte length prefix).
 * cgroup_skb sees the packet from its network header. Returns false for anything that is not
 * UDP/TCP over IPv4/IPv6, or a non-first IPv4 fragment. */
static __always_inline bool parse_packet(struct __sk_buff *skb, struct packet *p)
{
	__u8 vb;
	__u32 l4;
	__u8 proto;
	if (bpf_skb_load_bytes(skb, 0, &vb, 1))
		return false;
	if ((vb >> 4) == 4) {
		struct iphdr ip;
		if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)))
			return false;
		if (ip.frag_off & bpf_htons(0x1fff))
			return false;
		proto = ip.protocol;
		l4 = ip.ihl * 4;
		p->family = DNS_AF_INET;
		__builtin_memset(p->saddr, 0, 16);
		__builtin_memset(p->daddr, 0, 16);
		__builtin_memcpy(p->saddr, &ip.saddr, 4);
		__builtin_memcpy(p->daddr, &ip.daddr, 4);
	} else if ((vb >> 4) == 6) {
		struct ipv6hdr ip6;
		if (bpf_skb_load_bytes(skb, 0, &ip6, sizeof(ip6)))
			return false;
		/* Extension headers before UDP/TCP are rare for DNS; such packets are not parsed. */
		proto = ip6.nexthdr;
		l4 = sizeof(ip6);
		p->family = DNS_AF_INET6;
		__builtin_memcpy(p->saddr, &ip6.saddr, 16);
		__builtin_memcpy(p->daddr, &ip6.daddr, 16);
	} else {
		return false;
	}
	if (proto != PT_IPPROTO_UDP && proto != PT_IPPROTO_TCP)
		return false;
	/* Most packets are not DNS: load only the ports before anything else. */
	__u16 ports[2];
	if (bpf_skb_load_bytes(skb, l4, ports, sizeof(ports)))
		return false;
	if (ports[0] != bpf_htons(DNS_PORT) && ports[1] != bpf_htons(DNS_PORT))
		return false;
	if (proto == PT_IPPROTO_UDP) {
		struct udphdr uh;
		if (bpf_skb_load_bytes(skb, l4, &uh, sizeof(uh)))
			return false;
		p->sport = bpf_ntohs(uh.source);
		p->dport = bpf_ntohs(uh.dest);
		p->dns_off = l4 + sizeof(uh);
		p->transport = DNS_TRANSPORT_UDP;
		return true;
	}
	if (proto == PT_IPPROTO_TCP) {
		struct tcphdr th;
		if (bpf_skb_load_bytes(skb, l4, &th, sizeof(th)))
			return false;
		p->sport = bpf_ntohs(th.source);
		p->dport = bpf_ntohs(th.dest);
		/* DNS over TCP: a 2-byte length, then the message. Only a segment that starts a
		 * message is parsed: SYNs, pure ACKs and continuation segments fail the checks below. */
		p->dns_off = l4 + th.doff * 4 + 2;
		p->transport = DNS_TRANSPORT_TCP;
		return true;
	}
	return false;
}

struct walk_ctx {
	struct dns_name_key *key;
	__u32 pos;
	__u32 avail;
	__u32 end;
	__u32 bad;
};

/* One label per call. Run by bpf_loop() so the verifier checks the body once instead of once
 * per possible name length (which exceeded its 1M-instruction budget). */
static long walk_label(__u32 i, void *data)
{
	struct walk_ctx *c = data;
	__u32 pos = c->pos;
	if (pos >= c->avail || pos >= DNS_NAME_LEN)
		return 1;
	__u32 idx = pos;
	/* The compiler drops a mask it can prove redundant; the verifier needs it. */
	asm volatile("%0 &= 127" : "+r"(idx));
	__u8 l = c->key->qname[idx];
	if (l == 0) {
		c->end = pos + 1;
		return 1;
	}
	if (l > 63) { /* a compression pointer has no place in a question */
		c->bad = 1;
		return 1;
	}
	c->pos = pos + l + 1;
	return 0;
}

/* Copies the question name into key, zero padded, with qtype. A name longer than DNS_NAME_LEN
 * is kept truncated and flagged. Case is left as sent: stub resolvers do not randomize it, and
 * user space merges names case-insensitively. */
static __always_inline bool read_question(struct __sk_buff *skb, __u32 off, struct dns_name_key *key)
{
	__u32 len = skb->len;
	if (len <= off)
		return false;
	__u32 avail = len - off;
	if (avail > DNS_NAME_LEN)
		avail = DNS_NAME_LEN;
	if (avail < 1)
		return false;
	__builtin_memset(key, 0, sizeof(*key));
	__u32 first = avail - 1;
	asm volatile("%0 &= 0x7f" : "+r"(first)); /* 1..DNS_NAME_LEN bytes, provably */
	if (bpf_skb_load_bytes(skb, off, key->qname, first + 1))
		return false;

	struct walk_ctx c = {.key = key, .avail = avail};
	bpf_loop(DNS_NAME_LEN / 2, walk_label, &c, 0);
	if (c.bad)
		return false;
	__u32 end = c.end;
	if (end == 0) {
		key->truncated = 1; /* no root label within DNS_NAME_LEN bytes */
		return true;
	}
	if (end > DNS_NAME_LEN)
		end = DNS_NAME_LEN;
	if (end < avail) {
		/* Drop the qtype/qclass bytes that followed the name: the key must be canonical. */
		__builtin_memset(key->qname, 0, sizeof(key->qname));
		__u32 n = end - 1;
		/* A size the verifier can bound: 1..DNS_NAME_LEN (end >= 1 here). */
		asm volatile("%0 &= 0x7f" : "+r"(n));
		if (bpf_skb_load_bytes(skb, off, key->qname, n + 1))
			return false;
	}
	__u16 qtype;
	if (bpf_skb_load_bytes(skb, off + end, &qtype, 2) == 0)
		key->qtype = bpf_ntohs(qtype);
	return true;
}

static __always_inline struct dns_name_stats *name_stats(struct dns_name_key *name)
{
	struct dns_name_stats *s = bpf_map_lookup_elem(&dns_names, name);
	if (s)
		return s;
	struct dns_name_stats zero = {};
	if (count_insert_lost(bpf_map_update_elem(&dns_names, name, &zero, BPF_NOEXIST)))
		return NULL;
	return bpf_map_lookup_elem(&dns_names, name);
}

static __always_inline void name_hist_add(struct dns_name_key *name, __u64 latency)
{
	struct dns_hist_key k = {};
	__builtin_memcpy(&k.name, name, sizeof(k.name));
	k.slot = hist_slot(latency);
	__u64 *n = bpf_map_lookup_elem(&dns_name_hist, &k);
	if (n) {
		__sync_fetch_and_add(n, 1);
		return;
	}
	__u64 one = 1;
	long err = bpf_map_update_elem(&dns_name_hist, &k, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		n = bpf_map_lookup_elem(&dns_name_hist, &k);
		if (n)
			__sync_fetch_and_add(n, 1);
	} else if (err) {
		count_lost(PT_LOST_MAP_FULL);
	}
}

static __always_inline void emit(struct dns_inflight *q, __u32 kind, struct packet *p, bool answer,
				 __u32 rcode, __u64 latency)
{
	struct dns_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_lost(PT_LOST_RINGBUF);
		return;
	}
	e->hdr.family = PT_FAMILY_DNS;
	e->hdr.kind = kind;
	e->hdr.ts_ns = bpf_ktime_get_ns();
	e->hdr.cgroup_id = q->cgroup_id;
	/* The process that sent the query: answers arrive in softirq context. */
	e->hdr.pid = q->pid;
	e->hdr.tid = q->tid;
	__builtin_memcpy(e->hdr.comm, q->comm, sizeof(e->hdr.comm));
	__builtin_memcpy(&e->name, &q->name, sizeof(e->name));
	__builtin_memcpy(e->server, answer ? p->saddr : p->daddr, 16);
	e->server_port = answer ? p->sport : p->dport;
	e->server_family = p->family;
	e->transport = p->transport;
	e->rcode = rcode;
	e->latency_ns = latency;
	e->host[0] = 0;
	e->gai_error = 0;
	e->gai_queries = 0;
	bpf_ringbuf_submit(e, ringbuf_wakeup(&events));
}

static __always_inline void on_query(struct __sk_buff *skb, struct packet *p, struct dns_header *h)
{
	__u32 zero = 0;
	struct dns_inflight *q = bpf_map_lookup_elem(&scratch, &zero);
	if (!q)
		return;
	if (!read_question(skb, p->dns_off + sizeof(*h), &q->name))
		return;
	__u64 id = have_current_pid ? bpf_get_current_pid_tgid() : 0;
	q->ts_ns = bpf_ktime_get_ns();
	q->cgroup_id = bpf_skb_cgroup_id(skb);
	q->pid = id >> 32;
	q->tid = (__u32)id;
	if (have_current_comm)
		bpf_get_current_comm(q->comm, sizeof(q->comm));
	else
		q->comm[0] = 0;
	if (!have_current_pid || !have_current_comm) {
		/* Kernels before 6.10 (pid) or 6.13 (comm): the thread that created the socket; a
		 * resolver creates its socket in the thread that asks (getaddrinfo below). */
		struct sock_owner *o = skb_sock_owner(skb);
		if (o && !have_current_pid)
			id = (__u64)o->pid << 32 | o->tid;
		if (o && !have_current_comm)
			__builtin_memcpy(q->comm, o->comm, sizeof(q->comm));
		q->pid = id >> 32;
		q->tid = (__u32)id;
	}

	struct dns_query_key key = {};
	__builtin_memcpy(key.server, p->daddr, 16);
	key.client_port = p->sport;
	key.txid = bpf_ntohs(h->id);
	key.family = p->family;
	key.transport = p->transport;

	/* The same query again (same server, port and id) means the first got no answer. */
	struct dns_inflight *prev = bpf_map_lookup_elem(&dns_inflight, &key);
	if (prev) {
		struct dns_name_stats *ps = name_stats(&prev->name);
		if (ps)
			__sync_fetch_and_add(&ps->timeouts, 1);
		emit(prev, DNS_EVENT_TIMEOUT, p, false, 0, q->ts_ns - prev->ts_ns);
	}
	if (bpf_map_update_elem(&dns_inflight, &key, q, BPF_ANY))
		count_lost(PT_LOST_MAP_FULL);
	struct dns_name_stats *s = name_stats(&q->name);
	if (s) {
		__sync_fetch_and_add(&s->queries, 1);
		s->transports |= p->transport;
	}
	/* Queries sent from inside getaddrinfo() by the calling thread belong to that lookup. */
	__u32 tid = (__u32)id;
	struct gai_call *call = bpf_map_lookup_elem(&gai_inflight, &tid);
	if (call)
		__sync_fetch_and_add(&call->queries, 1);
}

static __always_inline void on_answer(struct packet *p, struct dns_header *h)
{
	struct dns_query_key key = {};
	__builtin_memcpy(key.server, p->saddr, 16);
	key.client_port = p->dport;
	key.txid = bpf_ntohs(h->id);
	key.family = p->family;
	key.transport = p->transport;
	struct dns_inflight *q = bpf_map_lookup_elem(&dns_inflight, &key);
	if (!q)
		return; /* asked before the trace started, or a duplicate answer */
	__u64 latency = bpf_ktime_get_ns() - q->ts_ns;
	__u32 rcode = bpf_ntohs(h->flags) & 0xf;
	struct dns_name_stats *s = name_stats(&q->name);
	if (s) {
		__sync_fetch_and_add(&s->answers, 1);
		__sync_fetch_and_add(&s->rcodes[rcode & (DNS_RCODES - 1)], 1);
		__sync_fetch_and_add(&s->latency_ns_total, latency);
		if (latency > s->latency_ns_max)
			s->latency_ns_max = latency;
		__builtin_memcpy(s->server, p->saddr, 16);
		s->server_port = p->sport;
		s->server_family = p->family;
	}
	hist_add(&dns_hist, DNS_HIST_ANSWER, latency);
	name_hist_add(&q->name, latency);
	/* NXDOMAIN is what the search list produces all day: aggregated, not streamed. */
	if (rcode != 0 && rcode != 3)
		emit(q, DNS_EVENT_ERROR, p, true, rcode, latency);
	else if (latency >= slow_threshold_ns)
		emit(q, DNS_EVENT_SLOW, p, true, rcode, latency);
	bpf_map_delete_elem(&dns_inflight, &key);
}

static __always_inline int on_packet(struct __sk_buff *skb, bool egress)
{
	struct packet p;
	if (!parse_packet(skb, &p))
		return 1;
	if ((egress ? p.dport : p.sport) != DNS_PORT)
		return 1;
	struct dns_header h;
	if (bpf_skb_load_bytes(skb, p.dns_off, &h, sizeof(h)))
		return 1;
	bool is_answer = bpf_ntohs(h.flags) & 0x8000;
	if (is_answer != !egress || bpf_ntohs(h.qdcount) == 0)
		return 1;
	if (egress)
		on_query(skb, &p, &h);
	else
		on_answer(&p, &h);
	return 1;
}

/* Attached to the pod's cgroups: they see only the pod's packets. Always 1: observe, never drop. */
SEC("cgroup_skb/egress")
int dns_egress_skb(struct __sk_buff *skb)
{
	return on_packet(skb, true);
}

SEC("cgroup_skb/ingress")
int dns_ingress_skb(struct __sk_buff *skb)
{
	return on_packet(skb, false);
}

/* getaddrinfo(node, service, hints, res) in the target's own libc. The uprobe is on the libc
 * file, so every process mapping that file hits it: the cgroup filter comes first. */
SEC("uprobe")
int BPF_KPROBE(gai_enter_uprobe, const char *node)
{
	if (!current_is_target())
		return 0;
	activity_enter(PT_ACT_DNS);
	struct gai_call call = {};
	call.ts_ns = bpf_ktime_get_ns();
	if (node)
		bpf_probe_read_user_str(call.host.host, sizeof(call.host.host), node);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	if (bpf_map_update_elem(&gai_inflight, &tid, &call, BPF_ANY))
		count_lost(PT_LOST_MAP_FULL);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(gai_exit_uprobe, int ret)
{
	if (!current_is_target())
		return 0;
	activity_exit(PT_ACT_DNS);
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct gai_call *call = bpf_map_lookup_elem(&gai_inflight, &tid);
	if (!call)
		return 0;
	__u64 latency = bpf_ktime_get_ns() - call->ts_ns;
	struct gai_stats *s = bpf_map_lookup_elem(&gai_hosts, &call->host);
	if (!s) {
		struct gai_stats zero = {};
		count_insert_lost(bpf_map_update_elem(&gai_hosts, &call->host, &zero, BPF_NOEXIST));
		s = bpf_map_lookup_elem(&gai_hosts, &call->host);
	}
	if (s) {
		__sync_fetch_and_add(&s->calls, 1);
		__sync_fetch_and_add(&s->queries, call->queries);
		__sync_fetch_and_add(&s->latency_ns_total, latency);
		if (latency > s->latency_ns_max)
			s->latency_ns_max = latency;
		if (ret != 0) {
			__sync_fetch_and_add(&s->failures, 1);
			__u32 slot = ret < 0 && ret > -GAI_ERROR_SLOTS ? (__u32)-ret : 0;
			__sync_fetch_and_add(&s->errors[slot & (GAI_ERROR_SLOTS - 1)], 1);
		}
	}
	hist_add(&dns_hist, DNS_HIST_GAI, latency);
	if (ret != 0 || latency >= slow_threshold_ns) {
		struct dns_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (e) {
			__builtin_memset(e, 0, sizeof(*e));
			fill_header(&e->hdr, PT_FAMILY_DNS, ret != 0 ? DNS_EVENT_GAI_FAILED : DNS_EVENT_SLOW,
				    current_cgroup_id());
			__builtin_memcpy(e->host, call->host.host, sizeof(e->host));
			e->gai_error = ret;
			e->gai_queries = call->queries;
			e->latency_ns = latency;
			bpf_ringbuf_submit(e, ringbuf_wakeup(&events));
		} else {
			count_lost(PT_LOST_RINGBUF);
		}
	}
	bpf_map_delete_elem(&gai_inflight, &tid);
	return 0;
}
