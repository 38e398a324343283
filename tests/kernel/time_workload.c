// SPDX-License-Identifier: Apache-2.0
// time_workload.c: the time breakdown's known workload. One thread, created after the tracer
// attached, spends about 1 s in each of five states one after the other: on CPU (1 s of its own
// CPU time), sleeping (nanosleep), waiting on a pthread mutex another thread holds for 1 s, in a
// libpq query (pg_sleep(1)), and reading a socket whose reply a delay line holds for 1 s. It
// writes "<tid> <its own wall time in ns>" to the result file.
//
// usage: time-workload PG_PORT NETNS SERVER_IP SERVER_PORT RESULT_FILE
// Waits for a line on stdin (the test's go, once the tracer probed libpq) before it starts.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static PGconn *conn;
static int sock = -1;
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static int to_holder[2], from_holder[2];
static uint64_t wall_ns;
static pid_t phases_tid;

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(2);
}

/* Takes the mutex when told to, says so, and keeps it for 1 s. */
static void *holder(void *arg)
{
	(void)arg;
	char c;
	if (read(to_holder[0], &c, 1) != 1)
		die("holder read");
	pthread_mutex_lock(&mutex);
	if (write(from_holder[1], "h", 1) != 1)
		die("holder write");
	struct timespec second = {1, 0};
	nanosleep(&second, NULL);
	pthread_mutex_unlock(&mutex);
	return NULL;
}

static void *phases(void *arg)
{
	(void)arg;
	const uint64_t start = now_ns(CLOCK_MONOTONIC);
	phases_tid = gettid();

	/* 1 s on a CPU: the thread's own CPU time, however long the run queue makes it take. */
	const uint64_t cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	volatile uint64_t spins = 0;
	while (now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0 < 1000000000ull)
		spins++;

	struct timespec second = {1, 0};
	nanosleep(&second, NULL);

	char c;
	if (write(to_holder[1], "g", 1) != 1 || read(from_holder[0], &c, 1) != 1)
		die("handshake");
	pthread_mutex_lock(&mutex);
	pthread_mutex_unlock(&mutex);

	PGresult *res = PQexec(conn, "SELECT pg_sleep(1)");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fprintf(stderr, "pg_sleep: %s\n", PQerrorMessage(conn));
		exit(3);
	}
	PQclear(res);

	if (write(sock, "x", 1) != 1 || read(sock, &c, 1) != 1)
		die("echo");

	wall_ns = now_ns(CLOCK_MONOTONIC) - start;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s PG_PORT NETNS SERVER_IP SERVER_PORT RESULT_FILE\n", argv[0]);
		return 2;
	}
	char go[8];
	if (read(0, go, sizeof(go)) <= 0)
		die("go");

	char conninfo[128];
	snprintf(conninfo, sizeof(conninfo), "host=127.0.0.1 port=%s user=podtrace dbname=postgres",
		 argv[1]);
	conn = PQconnectdb(conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "connect: %s\n", PQerrorMessage(conn));
		return 3;
	}

	/* PostgreSQL's socket stays in this namespace; the echo connection is made from the test's
	 * client namespace, behind the delay line. */
	char ns_path[256];
	snprintf(ns_path, sizeof(ns_path), "/run/netns/%s", argv[2]);
	int ns = open(ns_path, O_RDONLY | O_CLOEXEC);
	if (ns < 0 || setns(ns, CLONE_NEWNET) != 0)
		die("setns");
	sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[4]))};
	inet_pton(AF_INET, argv[3], &addr.sin_addr);
	if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		die("connect");

	if (pipe(to_holder) || pipe(from_holder))
		die("pipe");
	pthread_t h, p;
	if (pthread_create(&h, NULL, holder, NULL) || pthread_create(&p, NULL, phases, NULL))
		die("pthread_create");
	pthread_join(p, NULL);
	pthread_join(h, NULL);
	PQfinish(conn);

	FILE *out = fopen(argv[5], "w");
	if (!out)
		die("result");
	fprintf(out, "%d %llu\n", (int)phases_tid, (unsigned long long)wall_ns);
	return fclose(out) ? 4 : 0;
}
