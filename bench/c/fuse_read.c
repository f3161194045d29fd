/*
 * The client of bench/fuse.ts: reads a file on a FUSE mount with pread(2), one read at a time, so every read is
 * one FUSE_READ round trip through the server (memfs serves with FOPEN_DIRECT_IO: no page cache in between).
 * The same program drives the io_uring and the classic server, so the difference is the transport.
 *
 *   fuse_read <path> rand <block> <ms> <seed> [threads]   random block-aligned reads of <block> bytes
 *   fuse_read <path> seq <block> <ms> <seed> [threads]    sequential reads of <block> bytes, wrapping at the end
 *   fuse_read --create <path> <mib>             writes the bench file: every 32-bit word of page p holds p
 *
 * With [threads] > 1, that many threads read at once, each on its own descriptor (thread i seeds its xorshift with
 * <seed> + i, and starts its sequential reads i/threads into the file): the server then has up to [threads]
 * requests to answer at a time. Each read is checked: the full <block> came back and its first word is the number
 * of the page it starts at. The random offsets are block numbers from a 32-bit xorshift (13, 17, 5) seeded with
 * <seed>, modulo the number of blocks. It warms up for a tenth of <ms> (at least 20 ms), then measures for <ms> milliseconds and prints one
 * JSON line: {"ops":N,"ns":N,"user_ns":N,"sys_ns":N,"bytes":N} (CPU times from getrusage over the measured part).
 * Exit status 1 on any failed or wrong read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"

#define PAGE 4096
#define CHUNK 64

static int create(const char *path, long mib) {
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fprintf(stderr, "fuse_read: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	size_t chunk = 1 << 20;
	uint32_t *buf = malloc(chunk);
	uint64_t pages = (uint64_t)mib * (1 << 20) / PAGE;
	for (uint64_t p = 0; p < pages; p += chunk / PAGE) {
		for (size_t i = 0; i < chunk / 4; i++) buf[i] = (uint32_t)(p + i * 4 / PAGE);
		ssize_t w = pwrite(fd, buf, chunk, (off_t)(p * PAGE));
		if (w != (ssize_t)chunk) {
			fprintf(stderr, "fuse_read: write at page %llu: %s\n", (unsigned long long)p,
				w < 0 ? strerror(errno) : "short write");
			return 1;
		}
	}
	if (close(fd) != 0) {
		fprintf(stderr, "fuse_read: close: %s\n", strerror(errno));
		return 1;
	}
	free(buf);
	return 0;
}

struct state {
	pthread_t thread;
	uint64_t ns;
	uint64_t ops;
	int failed;
	int fd;
	int random;
	size_t block;
	uint64_t blocks;
	uint32_t x;
	uint64_t next;
	unsigned char *buf;
};

/* One read at the next offset, checked. Returns 0, or 1 after printing what went wrong. */
static int one(struct state *s) {
	uint64_t b;
	if (s->random) {
		s->x ^= s->x << 13;
		s->x ^= s->x >> 17;
		s->x ^= s->x << 5;
		b = s->x % s->blocks;
	} else {
		b = s->next++;
		if (s->next == s->blocks) s->next = 0;
	}
	off_t off = (off_t)(b * s->block);
	ssize_t r = pread(s->fd, s->buf, s->block, off);
	if (r != (ssize_t)s->block) {
		fprintf(stderr, "fuse_read: pread at %lld: %s\n", (long long)off, r < 0 ? strerror(errno) : "short read");
		return 1;
	}
	uint32_t first;
	memcpy(&first, s->buf, 4);
	if (first != (uint32_t)(off / PAGE)) {
		fprintf(stderr, "fuse_read: wrong data at %lld: %u\n", (long long)off, first);
		return 1;
	}
	return 0;
}

static int run(struct state *s, uint64_t ns, uint64_t *ops, uint64_t *took) {
	uint64_t t0 = now_ns();
	uint64_t n = 0;
	do {
		for (int i = 0; i < CHUNK; i++)
			if (one(s)) return 1;
		n += CHUNK;
	} while (now_ns() - t0 < ns);
	*ops = n;
	*took = now_ns() - t0;
	return 0;
}

static pthread_barrier_t start;

/* One thread: a warm-up run, then, after every thread is warm, the measured run. */
static void *worker(void *arg) {
	struct state *s = arg;
	uint64_t ops, took;
	uint64_t warm = s->ns / 10;
	if (warm < 20000000ull) warm = 20000000ull;
	s->failed = run(s, warm, &ops, &took);
	pthread_barrier_wait(&start);
	if (!s->failed) s->failed = run(s, s->ns, &s->ops, &took);
	return NULL;
}

int main(int argc, char **argv) {
	if (argc == 4 && strcmp(argv[1], "--create") == 0) return create(argv[2], atol(argv[3]));
	if (argc < 5) {
		fprintf(stderr, "usage: fuse_read <path> rand|seq <block> <ms> [seed] | fuse_read --create <path> <mib>\n");
		return 2;
	}
	int random = strcmp(argv[2], "rand") == 0;
	size_t block = (size_t)atol(argv[3]);
	long ms = atol(argv[4]);
	uint32_t seed = argc > 5 ? (uint32_t)strtoul(argv[5], NULL, 0) : 0x2545F491u;
	int nthreads = argc > 6 ? atoi(argv[6]) : 1;
	if (nthreads < 1 || nthreads > 64) nthreads = 1;
	struct state *s = calloc((size_t)nthreads, sizeof *s);
	struct stat st;
	for (int i = 0; i < nthreads; i++) {
		s[i].random = random;
		s[i].block = block;
		s[i].ns = (uint64_t)ms * 1000000ull;
		s[i].x = seed + (uint32_t)i;
		if (s[i].x == 0) s[i].x = 1;
		s[i].fd = open(argv[1], O_RDONLY);
		if (s[i].fd < 0) {
			fprintf(stderr, "fuse_read: open %s: %s\n", argv[1], strerror(errno));
			return 1;
		}
		if (fstat(s[i].fd, &st) != 0 || st.st_size < (off_t)block || block % PAGE != 0) {
			fprintf(stderr, "fuse_read: %s is smaller than a block, or the block is not a multiple of 4096\n",
				argv[1]);
			return 1;
		}
		s[i].blocks = (uint64_t)st.st_size / block;
		s[i].next = s[i].blocks * (uint64_t)i / (uint64_t)nthreads;
		if (posix_memalign((void **)&s[i].buf, PAGE, block) != 0) return 1;
	}
	pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++) pthread_create(&s[i].thread, NULL, worker, &s[i]);
	pthread_barrier_wait(&start);
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	uint64_t t0 = now_ns();
	uint64_t ops = 0;
	int failed = 0;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(s[i].thread, NULL);
		ops += s[i].ops;
		failed |= s[i].failed;
	}
	uint64_t took = now_ns() - t0;
	getrusage(RUSAGE_SELF, &r1);
	if (failed) return 1;
	printf("{\"ops\":%llu,\"ns\":%llu,\"user_ns\":%llu,\"sys_ns\":%llu,\"bytes\":%llu}\n", (unsigned long long)ops,
		(unsigned long long)took, (unsigned long long)(tv_ns(r1.ru_utime) - tv_ns(r0.ru_utime)),
		(unsigned long long)(tv_ns(r1.ru_stime) - tv_ns(r0.ru_stime)), (unsigned long long)(ops * block));
	for (int i = 0; i < nthreads; i++) close(s[i].fd);
	return 0;
}
