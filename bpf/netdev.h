/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* netdev.h: device transmit errors shared by netdev.bpf.c and tracer/probes/netdev_probe.cpp. */
#pragma once

#include "podtrace_common.h"

#define NETDEV_MAX_KEYS 4096
#define NETDEV_NAME_LEN 16
/* Transmits nest when a virtual device's driver sends through another device (a tunnel over
 * the NIC); the kernel stops recursing at 8 (XMIT_RECURSION_LIMIT). */
#define NETDEV_MAX_NESTING 8

enum netdev_scope {
	NETDEV_SCOPE_TARGET = 0, /* the packet belonged to a socket of a target cgroup */
	NETDEV_SCOPE_NODE = 1,   /* every failed transmit on the node, whoever sent it */
};

/* One (device, driver return code) pair, per target cgroup for the target scope. Zeroed
 * before it is filled, so the name's tail is part of the key. */
struct netdev_xmit_key {
	__u32 netns;   /* inode of the device's network namespace; 0 when unknown */
	__u32 ifindex; /* 0 when unknown (a packet whose start_xmit the program missed) */
	__s32 rc;      /* NET_XMIT_DROP (1), NET_XMIT_CN (2), NETDEV_TX_BUSY (0x10) or -errno */
	__u32 scope;   /* NETDEV_SCOPE_* */
	__u64 cgroup_id; /* the sending socket's v2 cgroup for NETDEV_SCOPE_TARGET; 0 otherwise */
	char name[NETDEV_NAME_LEN];
};

struct netdev_xmit_stats {
	__u64 packets;
	__u64 bytes; /* skb->len as the driver got it */
};
