/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* fileio.h: file I/O records shared by fileio.bpf.c and tracer/probes/fileio.cpp. */
#pragma once

#include "podtrace_common.h"

#define FILEIO_PATH_LEN 256
#define FILEIO_MAX_FILES 16384

enum fileio_op {
	FILEIO_OP_OPEN = 0,
	FILEIO_OP_READ = 1,
	FILEIO_OP_WRITE = 2,
	FILEIO_OP_FSYNC = 3,
	FILEIO_OP_FDATASYNC = 4,
	FILEIO_OP_MAX = 5,
};

/* The slots of the per-syscall stubs' prog array (bpf/fileio.bpf.c). */
enum fileio_handler {
	FILEIO_HANDLER_ENTER = 0,
	FILEIO_HANDLER_EXIT = 1,
};

enum fileio_event_kind {
	FILEIO_EVENT_SLOW = 1,
	FILEIO_EVENT_ERROR = 2,
};

/* Per (process, file, op) aggregate. dev+ino identify the file even after close. */
struct fileio_file_key {
	__u32 pid;
	__u32 op;
	__u64 dev;
	__u64 ino;
};

struct fileio_file_id {
	__u64 dev;
	__u64 ino;
};

/* Path of a file: as given to open(2) when we saw the open, else the dentry name. */
struct fileio_file_info {
	__u32 from_open; /* 1: full path from open(2); 0: only the last component */
	__u32 pad;
	char path[FILEIO_PATH_LEN];
};

struct fileio_event {
	struct pt_event_header hdr;
	__u32 op;
	__s32 err; /* positive errno, 0 on success */
	__u64 latency_ns;
	__u64 bytes;
	__u64 dev;
	__u64 ino;
	char path[FILEIO_PATH_LEN];
};

/* An event with no path ends where the path would start: an error on an fd whose open the
 * tracer never saw (a flood of EBADF reads) is 88 bytes instead of 344, so the ring holds four
 * times as many. */
#define FILEIO_EVENT_HEAD_SIZE __builtin_offsetof(struct fileio_event, path)
