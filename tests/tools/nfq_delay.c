// SPDX-License-Identifier: Apache-2.0
/* nfq_delay.c: a delay line for tests on kernels without netem: holds every packet of an NFQUEUE
 * for a fixed time, then accepts it, in arrival order.
 *
 * Usage: nfq_delay QUEUE_NUM DELAY_MS. Prints "ready" once bound. Pair the iptables rule with
 * --queue-bypass so traffic flows (undelayed) if this helper dies. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define MAX_HELD 65536

struct held {
	uint32_t id;
	uint64_t due_ns;
};

static struct held ring[MAX_HELD];
static size_t head, tail; /* FIFO: every packet waits the same time, so due times are sorted */
static uint64_t delay_ns;
static volatile sig_atomic_t stop;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data)
{
	(void)msg;
	(void)data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	if (!ph)
		return 0;
	uint32_t id = ntohl(ph->packet_id);
	if (tail - head >= MAX_HELD) /* full: let it through now rather than stall the flow */
		return nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
	ring[tail % MAX_HELD] = (struct held){id, now_ns() + delay_ns};
	tail++;
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s QUEUE_NUM DELAY_MS\n", argv[0]);
		return 2;
	}
	const uint16_t queue = (uint16_t)atoi(argv[1]);
	delay_ns = (uint64_t)atoll(argv[2]) * 1000000ull;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	struct nfq_handle *h = nfq_open();
	if (!h) {
		perror("nfq_open");
		return 1;
	}
	struct nfq_q_handle *qh = nfq_create_queue(h, queue, on_packet, NULL);
	if (!qh) {
		perror("nfq_create_queue");
		return 1;
	}
	/* Only the verdict matters: copy no payload. */
	if (nfq_set_mode(qh, NFQNL_COPY_META, 0) < 0) {
		perror("nfq_set_mode");
		return 1;
	}
	nfq_set_queue_maxlen(qh, MAX_HELD);
	const int fd = nfq_fd(h);
	printf("ready\n");
	fflush(stdout);

	char buf[65536];
	while (!stop) {
		int timeout_ms = -1;
		if (head != tail) {
			uint64_t due = ring[head % MAX_HELD].due_ns, now = now_ns();
			timeout_ms = due > now ? (int)((due - now + 999999) / 1000000) : 0;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n = poll(&p, 1, timeout_ms < 0 ? 200 : timeout_ms);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0 && (p.revents & POLLIN)) {
			ssize_t len = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (len > 0)
				nfq_handle_packet(h, buf, (int)len);
		}
		const uint64_t now = now_ns();
		while (head != tail && ring[head % MAX_HELD].due_ns <= now) {
			nfq_set_verdict(qh, ring[head % MAX_HELD].id, NF_ACCEPT, 0, NULL);
			head++;
		}
	}
	/* Release what we still hold so nothing is lost on shutdown. */
	while (head != tail) {
		nfq_set_verdict(qh, ring[head % MAX_HELD].id, NF_ACCEPT, 0, NULL);
		head++;
	}
	nfq_destroy_queue(qh);
	nfq_close(h);
	return 0;
}
