/*
 * The metadata client of bench/fuse.ts: creates, stats and unlinks files on a FUSE mount, one system call at a
 * time, so that each is a few FUSE round trips through the server (memfs, mounted with `--timeout 0`: the kernel
 * caches no name and no attribute, so even a stat reaches the server). The same program drives the io_uring and
 * the classic server, so the difference is the transport.
 *
 *   fuse_meta <dir> create <files>    times creating <files> empty files (open O_CREAT|O_EXCL, close)
 *   fuse_meta <dir> stat <files>      times fstatat of each (they are created first, untimed)
 *   fuse_meta <dir> unlink <files>    times unlinking each (they are created first, untimed)
 *   fuse_meta <dir> tree <dirs> <files>   makes <dir>/tree: <dirs> x <dirs> directories of <files> files each
 *
 * Files live in a fresh directory <dir>/run-<pid>, reached through a descriptor of it (openat, fstatat, unlinkat)
 * so that no other path component is looked up; the directory and whatever is left in it are removed afterwards,
 * untimed. It prints one JSON line for the timed part: {"ops":N,"ns":N,"user_ns":N,"sys_ns":N} (CPU times from
 * getrusage). Exit status 1 on any failed call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "clock.h"

static int fail(const char *what, const char *name) {
	fprintf(stderr, "fuse_meta: %s %s: %s\n", what, name, strerror(errno));
	return 1;
}

static void name_of(char *buf, long i) {
	snprintf(buf, 32, "file-%06ld", i);
}

static int create_all(int dfd, long files) {
	char name[32];
	for (long i = 0; i < files; i++) {
		name_of(name, i);
		int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || close(fd) != 0) return fail("create", name);
	}
	return 0;
}

static int stat_all(int dfd, long files) {
	char name[32];
	struct stat st;
	for (long i = 0; i < files; i++) {
		name_of(name, i);
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return fail("stat", name);
		if (!S_ISREG(st.st_mode)) {
			errno = EINVAL;
			return fail("stat (not a regular file)", name);
		}
	}
	return 0;
}

static int unlink_all(int dfd, long files) {
	char name[32];
	for (long i = 0; i < files; i++) {
		name_of(name, i);
		if (unlinkat(dfd, name, 0) != 0) return fail("unlink", name);
	}
	return 0;
}

/* <dir>/tree/dD/dE/file-N: dirs x dirs leaf directories of files files each. */
static int tree(const char *dir, long dirs, long files) {
	char path[4096];
	snprintf(path, sizeof path, "%s/tree", dir);
	if (mkdir(path, 0755) != 0) return fail("mkdir", path);
	for (long d = 0; d < dirs; d++) {
		snprintf(path, sizeof path, "%s/tree/d%ld", dir, d);
		if (mkdir(path, 0755) != 0) return fail("mkdir", path);
		for (long e = 0; e < dirs; e++) {
			snprintf(path, sizeof path, "%s/tree/d%ld/d%ld", dir, d, e);
			if (mkdir(path, 0755) != 0) return fail("mkdir", path);
			int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd < 0) return fail("open", path);
			if (create_all(dfd, files)) return 1;
			close(dfd);
		}
	}
	return 0;
}

int main(int argc, char **argv) {
	if (argc == 5 && strcmp(argv[2], "tree") == 0) return tree(argv[1], atol(argv[3]), atol(argv[4]));
	if (argc != 4) {
		fprintf(stderr, "usage: fuse_meta <dir> create|stat|unlink <files> | fuse_meta <dir> tree <dirs> <files>\n");
		return 2;
	}
	const char *mode = argv[2];
	long files = atol(argv[3]);
	char run[4096];
	snprintf(run, sizeof run, "%s/run-%d", argv[1], (int)getpid());
	if (mkdir(run, 0755) != 0) return fail("mkdir", run);
	int dfd = open(run, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) return fail("open", run);
	int create = strcmp(mode, "create") == 0;
	if (!create && create_all(dfd, files)) return 1;

	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	uint64_t t0 = now_ns();
	int failed;
	if (create) failed = create_all(dfd, files);
	else if (strcmp(mode, "stat") == 0) failed = stat_all(dfd, files);
	else if (strcmp(mode, "unlink") == 0) failed = unlink_all(dfd, files);
	else {
		fprintf(stderr, "fuse_meta: unknown mode %s\n", mode);
		return 2;
	}
	uint64_t took = now_ns() - t0;
	getrusage(RUSAGE_SELF, &r1);
	if (failed) return 1;
	if (strcmp(mode, "unlink") != 0 && unlink_all(dfd, files)) return 1;
	close(dfd);
	if (rmdir(run) != 0) return fail("rmdir", run);
	printf("{\"ops\":%ld,\"ns\":%llu,\"user_ns\":%llu,\"sys_ns\":%llu}\n", files, (unsigned long long)took,
		(unsigned long long)(tv_ns(r1.ru_utime) - tv_ns(r0.ru_utime)),
		(unsigned long long)(tv_ns(r1.ru_stime) - tv_ns(r0.ru_stime)));
	return 0;
}
