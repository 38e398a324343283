// SPDX-License-Identifier: Apache-2.0
// profile_workload.c: CPU-bound programs of a known shape for the profile kernel tests. Built
// twice: with frame pointers (-O1 -fno-omit-frame-pointer), so its stacks unwind, and without
// (-O2 -fomit-frame-pointer), so they do not.
//   profile-workload burn MS NAME [OUT]       75% of the time in burn_three_quarters, 25% in
//                                             burn_one_quarter, alternating 3 ms and 1 ms slices
//   profile-workload read-zero MS NAME [OUT]  reads /dev/zero in 1 MiB chunks: kernel time
// MS is CPU time, not wall time: on a busy machine the program runs longer, and a test still
// gets the samples it needs. NAME becomes the process's comm, so a test can tell its processes
// apart by name too. OUT, when given, receives the CPU time the process used, in ns: what a
// test compares the number of samples with.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static volatile uint64_t sink;

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* CLOCK_MONOTONIC, read in the vDSO: no syscall, so no kernel time inside the named functions. */
static uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

/* Once per 4 ms round: a syscall, outside both named functions. Rare on hardware; under qemu's
 * emulation it and the timer interrupts took 12% of the samples in one run (profile_test.cpp). */
static uint64_t cpu_ns(void)
{
	return clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

/* Each slice is a count of blocks of 65536 arithmetic steps, not a span of wall time: a slice
 * timed on the clock is cut short whenever the process waits for a CPU (other jobs, or qemu's
 * vCPUs taking turns on one host thread), which skewed the 3:1 shares. Counted work keeps the
 * two functions' CPU time 3:1 however the process is scheduled. Blocks are large because
 * reading the clock is not cheap everywhere (under qemu's TCG it took 7% of the samples with
 * 4096-step blocks). The clock is still read after
 * each block (in the vDSO: no kernel time) so that the functions keep calling out, as they did
 * when it timed them: the frame-pointer tests rely on that shape. The constants differ so the
 * compiler cannot fold the two functions into one symbol. */
static volatile uint64_t last_ns;

__attribute__((noinline, noclone)) void burn_three_quarters(uint64_t blocks)
{
	do {
		for (int i = 0; i < 65536; i++)
			sink = sink * 6364136223846793005ull + 1442695040888963407ull;
		last_ns = now_ns();
	} while (--blocks);
}

__attribute__((noinline, noclone)) void burn_one_quarter(uint64_t blocks)
{
	do {
		for (int i = 0; i < 65536; i++)
			sink = sink * 2862933555777941757ull + 3037000493ull;
		last_ns = now_ns();
	} while (--blocks);
}

/* Blocks in about 1 ms of this machine's CPU, measured once, outside the named functions. */
static uint64_t blocks_per_ms(void)
{
	const uint64_t start = now_ns();
	uint64_t blocks = 0;
	while (now_ns() - start < 20000000ull) {
		for (int i = 0; i < 65536; i++)
			sink = sink * 6364136223846793005ull + 1442695040888963407ull;
		blocks++;
	}
	return blocks / 20 ? blocks / 20 : 1;
}

static int burn(uint64_t total_ns)
{
	const uint64_t ms = blocks_per_ms();
	while (cpu_ns() < total_ns) {
		burn_three_quarters(3 * ms);
		burn_one_quarter(ms);
	}
	return 0;
}

static int read_zero(uint64_t total_ns)
{
	static char buf[1 << 20];
	const int fd = open("/dev/zero", O_RDONLY);
	if (fd < 0)
		return 2;
	while (cpu_ns() < total_ns)
		if (read(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return 3;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: %s burn|read-zero MS NAME [OUT]\n", argv[0]);
		return 64;
	}
	prctl(PR_SET_NAME, argv[3]);
	const uint64_t ns = strtoull(argv[2], NULL, 10) * 1000000ull;
	int rc = 64;
	if (strcmp(argv[1], "burn") == 0)
		rc = burn(ns);
	else if (strcmp(argv[1], "read-zero") == 0)
		rc = read_zero(ns);
	if (rc == 0 && argc == 5) {
		FILE *out = fopen(argv[4], "w");
		if (!out)
			return 4;
		fprintf(out, "%llu\n", (unsigned long long)cpu_ns());
		fclose(out);
	}
	return rc;
}
