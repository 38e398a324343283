// SPDX-License-Identifier: Apache-2.0
/* slow_fsync_fs.c: a FUSE filesystem with one file, /data, whose fsync takes a fixed time: a
 * slow disk whose latency the accuracy test knows exactly (this kernel has no dm-delay, and a
 * blkio throttle on a loop device spreads one fsync over several I/Os of unknown cost).
 * Writes are kept in memory; every other operation answers at once.
 *
 * Usage: slow_fsync_fs MOUNTPOINT DELAY_MS. Prints "ready" once mounted; runs until killed (the
 * caller unmounts). Root mounts directly, without fusermount3. */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char kName[] = "/data";
static long delay_ms;
static off_t size;

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, kName) != 0)
		return -ENOENT;
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_size = size;
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	(void)fi;
	return strcmp(path, kName) == 0 ? 0 : -ENOENT;
}

static int fs_write(const char *path, const char *buf, size_t n, off_t off,
		    struct fuse_file_info *fi)
{
	(void)path;
	(void)buf;
	(void)fi;
	if (off + (off_t)n > size)
		size = off + (off_t)n;
	return (int)n;
}

static int fs_truncate(const char *path, off_t len, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	size = len;
	return 0;
}

/* The injected fault: every fsync waits delay_ms before it succeeds. */
static int fs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	(void)fi;
	struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
	return 0;
}

static const struct fuse_operations ops = {
	.getattr = fs_getattr,
	.open = fs_open,
	.write = fs_write,
	.truncate = fs_truncate,
	.fsync = fs_fsync,
};

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s MOUNTPOINT DELAY_MS\n", argv[0]);
		return 2;
	}
	delay_ms = atol(argv[2]);
	char *fuse_argv[] = {argv[0], NULL};
	struct fuse_args args = FUSE_ARGS_INIT(1, fuse_argv);
	struct fuse *f = fuse_new(&args, &ops, sizeof(ops), NULL);
	if (!f || fuse_mount(f, argv[1]) != 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	return fuse_loop(f) == 0 ? 0 : 1;
}
