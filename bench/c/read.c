/*
 * 4 KiB random reads from a file in the page cache with liburing: the C baseline of bench/read.ts.
 *
 * The loop is the one bench/read.ts runs in TypeScript (ReadLoop), step for step:
 *   file opened O_RDONLY (buffered: the page cache serves every read); a ring of `qd` SQEs (CQ twice that) with
 *   its fd registered (io_uring_register_ring_fd, as ringside's Ring does at setup);
 *   `qd` buffers of 4096 bytes in one page-aligned allocation, registered with the ring in `fixed` mode;
 *   the offsets: SEQ page numbers from a 32-bit xorshift (13, 17, 5) seeded with `seed`, each taken modulo
 *   `pages`, used in order from the first one in every measured run (wrapping after SEQ).
 *   Prime: `qd` reads (io_uring_prep_read, or io_uring_prep_read_fixed with buf_index = slot), user_data = slot.
 *   Then until the deadline: io_uring_submit_and_wait(1) (one io_uring_enter that submits the refills and waits);
 *   io_uring_for_each_cqe: check res == 4096 and that the buffer's first word is the page number read (the bench
 *   file holds its page number in every word), note the slot; io_uring_cq_advance once; then one new read per
 *   completion into the same slot's buffer at the next offset. The clock is read once per CHUNK completions; after
 *   the deadline no more reads are queued and the ones in flight are reaped (and counted).
 *
 * It warms up for a tenth of the requested time, then measures for `ms` milliseconds and prints one JSON line:
 * {"ops":N,"ns":N,"user_ns":N,"sys_ns":N} (CPU times from getrusage over the measured part only). Exit status 1
 * on any failed or wrong read.
 *
 *   usage: read <path> <pages> <seed> <qd> <ms> [read|fixed]
 *          read --checksum <pages> <seed>     prints the sum (mod 2^32) of the SEQ page numbers
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "clock.h"

#define BLOCK 4096
#define CHUNK 4096
#define SEQ (1u << 20)
#define MAX_QD 1024

/* The page numbers of bench/read.ts's pageSequence(): xorshift32 (Marsaglia's 13, 17, 5), modulo `pages`. */
static uint32_t *page_sequence(uint32_t pages, uint32_t seed) {
	uint32_t *seq = malloc(SEQ * sizeof *seq);
	if (!seq) {
		fprintf(stderr, "read: out of memory\n");
		exit(1);
	}
	uint32_t x = seed;
	for (uint32_t i = 0; i < SEQ; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		seq[i] = x % pages;
	}
	return seq;
}

struct bench {
	struct io_uring ring;
	int fd;
	unsigned qd;
	int fixed;
	unsigned char *bufs;
	const uint32_t *seq;
	uint32_t slot_page[MAX_QD];
	unsigned done[MAX_QD];
};

struct result {
	uint64_t ops;
	uint64_t ns;
};

/* Queues a read of the page seq[*idx] into `slot`'s buffer and advances *idx. */
static void queue_read(struct bench *b, unsigned slot, uint32_t *idx) {
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
	if (!sqe) {
		fprintf(stderr, "read: the SQ is full\n");
		exit(1);
	}
	uint32_t page = b->seq[*idx];
	*idx = (*idx + 1) & (SEQ - 1);
	void *buf = b->bufs + (size_t)slot * BLOCK;
	if (b->fixed)
		io_uring_prep_read_fixed(sqe, b->fd, buf, BLOCK, (uint64_t)page * BLOCK, (int)slot);
	else
		io_uring_prep_read(sqe, b->fd, buf, BLOCK, (uint64_t)page * BLOCK);
	io_uring_sqe_set_data64(sqe, slot);
	b->slot_page[slot] = page;
}

/* Keeps `qd` reads in flight until `ms` have passed, then reaps the rest; returns the reads done and the time. */
static struct result run(struct bench *b, uint64_t ms) {
	uint64_t ops = 0, bad = 0, next_check = CHUNK;
	uint32_t idx = 0;
	unsigned inflight = 0;
	int stopping = 0;
	uint64_t start = now_ns(), deadline = start + ms * 1000000ull;
	for (unsigned s = 0; s < b->qd; s++) queue_read(b, s, &idx);
	inflight = b->qd;
	while (inflight > 0) {
		int r = io_uring_submit_and_wait(&b->ring, 1);
		if (r < 0 && r != -EINTR) {
			fprintf(stderr, "read: io_uring_submit_and_wait: %s\n", strerror(-r));
			exit(1);
		}
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		io_uring_for_each_cqe(&b->ring, head, cqe) {
			unsigned slot = (unsigned)cqe->user_data;
			const uint32_t *word = (const uint32_t *)(b->bufs + (size_t)slot * BLOCK);
			if (cqe->res != BLOCK || *word != b->slot_page[slot]) bad++;
			b->done[n++] = slot;
		}
		io_uring_cq_advance(&b->ring, n);
		inflight -= n;
		ops += n;
		if (ops >= next_check) {
			next_check += CHUNK;
			if (now_ns() >= deadline) stopping = 1;
		}
		if (!stopping) {
			for (unsigned k = 0; k < n; k++) queue_read(b, b->done[k], &idx);
			inflight += n;
		}
	}
	uint64_t end = now_ns();
	if (bad) {
		fprintf(stderr, "read: %llu failed or wrong reads\n", (unsigned long long)bad);
		exit(1);
	}
	return (struct result){ops, end - start};
}

int main(int argc, char **argv) {
	if (argc == 4 && strcmp(argv[1], "--checksum") == 0) {
		uint32_t pages = (uint32_t)strtoul(argv[2], NULL, 10);
		uint32_t seed = (uint32_t)strtoul(argv[3], NULL, 10);
		if (pages == 0) return 2;
		uint32_t *seq = page_sequence(pages, seed), sum = 0;
		for (uint32_t i = 0; i < SEQ; i++) sum += seq[i];
		printf("%u\n", sum);
		return 0;
	}
	if (argc < 6) {
		fprintf(stderr, "usage: read <path> <pages> <seed> <qd> <ms> [read|fixed]\n"
				"       read --checksum <pages> <seed>\n");
		return 2;
	}
	struct bench *b = calloc(1, sizeof *b);
	uint32_t pages = (uint32_t)strtoul(argv[2], NULL, 10);
	uint32_t seed = (uint32_t)strtoul(argv[3], NULL, 10);
	b->qd = (unsigned)strtoul(argv[4], NULL, 10);
	uint64_t ms = strtoull(argv[5], NULL, 10);
	b->fixed = argc > 6 && strcmp(argv[6], "fixed") == 0;
	if (pages == 0 || seed == 0 || b->qd == 0 || b->qd > MAX_QD || ms == 0) {
		fprintf(stderr, "read: pages, seed and ms must be positive, qd 1 to %d\n", MAX_QD);
		return 2;
	}
	b->fd = open(argv[1], O_RDONLY);
	if (b->fd < 0) {
		perror("read: open");
		return 1;
	}
	b->seq = page_sequence(pages, seed);
	if (posix_memalign((void **)&b->bufs, BLOCK, (size_t)b->qd * BLOCK)) {
		fprintf(stderr, "read: out of memory\n");
		return 1;
	}
	memset(b->bufs, 0, (size_t)b->qd * BLOCK);

	int r = io_uring_queue_init(b->qd, &b->ring, 0);
	if (r < 0) {
		fprintf(stderr, "read: io_uring_queue_init: %s\n", strerror(-r));
		return 1;
	}
	/* Registered where the kernel allows it (5.18), like a ringside Ring; 1 is success. */
	r = io_uring_register_ring_fd(&b->ring);
	if (r != 1 && r != -EINVAL) {
		fprintf(stderr, "read: io_uring_register_ring_fd: %s\n", strerror(-r));
		return 1;
	}
	if (b->fixed) {
		struct iovec iov[MAX_QD];
		for (unsigned s = 0; s < b->qd; s++) {
			iov[s].iov_base = b->bufs + (size_t)s * BLOCK;
			iov[s].iov_len = BLOCK;
		}
		r = io_uring_register_buffers(&b->ring, iov, b->qd);
		if (r < 0) {
			fprintf(stderr, "read: io_uring_register_buffers: %s\n", strerror(-r));
			return 1;
		}
	}

	run(b, ms / 10 > 0 ? ms / 10 : 1);

	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	struct result res = run(b, ms);
	getrusage(RUSAGE_SELF, &ru1);

	printf("{\"ops\":%llu,\"ns\":%llu,\"user_ns\":%llu,\"sys_ns\":%llu}\n", (unsigned long long)res.ops,
	       (unsigned long long)res.ns, (unsigned long long)(tv_ns(ru1.ru_utime) - tv_ns(ru0.ru_utime)),
	       (unsigned long long)(tv_ns(ru1.ru_stime) - tv_ns(ru0.ru_stime)));
	io_uring_queue_exit(&b->ring);
	close(b->fd);
	return 0;
}
