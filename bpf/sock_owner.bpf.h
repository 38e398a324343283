/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* sock_owner.bpf.h: the process that created each of the pod's sockets, kept in the socket's
 * own storage, for the socket programs (sockops, cgroup_skb) of kernels that do not let them
 * ask for `current`.
 *
 * Sockops and cgroup_skb programs may call bpf_get_current_pid_tgid only since Linux 6.10 and
 * bpf_get_current_comm only after 6.12 (see tcp.bpf.c). cgroup/sock_create programs may call
 * both since 6.0 ("bpf: Use cgroup_{common,current}_func_proto in more hooks"), and socket()
 * runs in the creating process: that program records the creator here, and the socket
 * programs read it back with bpf_sk_storage_get. The loader attaches it only where it is
 * needed. A socket created before the trace started has no record: its owner stays unknown. */
#pragma once

#include "common.bpf.h"

struct sock_owner {
	__u32 pid;
	__u32 tid;
	char comm[PT_COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sock_owner);
} sock_owners SEC(".maps");

/* Attached to the pod's cgroups, like the socket programs: runs only for the pod's sockets. */
SEC("cgroup/sock_create")
int sock_owner_create(struct bpf_sock *sk)
{
	struct sock_owner *o = bpf_sk_storage_get(&sock_owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o) {
		__u64 id = bpf_get_current_pid_tgid();
		o->pid = id >> 32;
		o->tid = (__u32)id;
		bpf_get_current_comm(o->comm, sizeof(o->comm));
	}
	return 1; /* never refuses the socket */
}

/* The record of a full socket (sockops' skops->sk, or cgroup_skb's after bpf_sk_fullsock). */
static __always_inline struct sock_owner *sock_owner_of(struct bpf_sock *sk)
{
	if (!sk)
		return NULL;
	return bpf_sk_storage_get(&sock_owners, sk, 0, 0);
}

/* The record of the socket a packet belongs to. */
static __always_inline struct sock_owner *skb_sock_owner(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	if (!sk)
		return NULL;
	return sock_owner_of(bpf_sk_fullsock(sk));
}
