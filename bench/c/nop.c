/*
 * NOP throughput with liburing: the C baseline of bench/nop.ts.
 *
 * The loop is the one bench/nop.ts runs in TypeScript, step for step:
 *   ring of ENTRIES SQEs (CQ twice that, the kernel's default) with its fd registered (io_uring_register_ring_fd,
 *   as ringside's Ring does at setup), then for each batch:
 *     get `batch` SQEs, io_uring_prep_nop, user_data = a running sequence number;
 *     io_uring_submit_and_wait(batch): one io_uring_enter(to_submit=batch, min_complete=batch, GETEVENTS);
 *     io_uring_for_each_cqe: check res == 0 and user_data == the next expected number; io_uring_cq_advance once.
 *   The clock is read once per CHUNK operations (4096, a multiple of every batch size), as in the TS loop.
 *
 * It warms up for a tenth of the requested time (page faults on the rings, caches), then measures for `ms`
 * milliseconds and prints one JSON line: {"ops":N,"ns":N,"user_ns":N,"sys_ns":N} (CPU times from getrusage over
 * the measured part only). Exit status 1 on any failed or out-of-order completion.
 *
 *   usage: nop <batch> <ms> [entries]
 */
#include <errno.h>
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "clock.h"

#define CHUNK 4096

struct result {
	uint64_t ops;
	uint64_t ns;
};

/* Runs whole chunks until `ms` have passed; returns the operations done and the time taken. */
static struct result run(struct io_uring *ring, unsigned batch, uint64_t ms) {
	uint64_t seq = 0, expected = 0, ops = 0, bad = 0;
	uint64_t start = now_ns(), deadline = start + ms * 1000000ull, t;
	do {
		for (unsigned done = 0; done < CHUNK; done += batch) {
			for (unsigned i = 0; i < batch; i++) {
				struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
				if (!sqe) {
					fprintf(stderr, "nop: the SQ is full\n");
					exit(1);
				}
				io_uring_prep_nop(sqe);
				io_uring_sqe_set_data64(sqe, seq++);
			}
			int r = io_uring_submit_and_wait(ring, batch);
			if (r != (int)batch) {
				fprintf(stderr, "nop: io_uring_submit_and_wait returned %d, expected %u\n", r, batch);
				exit(1);
			}
			struct io_uring_cqe *cqe;
			unsigned head, n = 0;
			io_uring_for_each_cqe(ring, head, cqe) {
				if (cqe->res != 0 || cqe->user_data != expected) bad++;
				expected++;
				n++;
			}
			io_uring_cq_advance(ring, n);
			if (n != batch) bad++;
		}
		ops += CHUNK;
		t = now_ns();
	} while (t < deadline);
	if (bad) {
		fprintf(stderr, "nop: %llu bad completions\n", (unsigned long long)bad);
		exit(1);
	}
	return (struct result){ops, t - start};
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: nop <batch> <ms> [entries]\n");
		return 2;
	}
	unsigned batch = (unsigned)strtoul(argv[1], NULL, 10);
	uint64_t ms = strtoull(argv[2], NULL, 10);
	unsigned entries = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 128;
	if (batch == 0 || batch > entries || CHUNK % batch != 0 || ms == 0) {
		fprintf(stderr, "nop: batch must divide %d and be at most entries (%u); ms must be positive\n", CHUNK,
			entries);
		return 2;
	}

	struct io_uring ring;
	int r = io_uring_queue_init(entries, &ring, 0);
	if (r < 0) {
		fprintf(stderr, "nop: io_uring_queue_init: %s\n", strerror(-r));
		return 1;
	}
	/* Registered where the kernel allows it (5.18), like a ringside Ring; 1 is success. */
	r = io_uring_register_ring_fd(&ring);
	if (r != 1 && r != -EINVAL) {
		fprintf(stderr, "nop: io_uring_register_ring_fd: %s\n", strerror(-r));
		return 1;
	}

	run(&ring, batch, ms / 10 > 0 ? ms / 10 : 1);

	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	struct result res = run(&ring, batch, ms);
	getrusage(RUSAGE_SELF, &ru1);

	printf("{\"ops\":%llu,\"ns\":%llu,\"user_ns\":%llu,\"sys_ns\":%llu}\n", (unsigned long long)res.ops,
	       (unsigned long long)res.ns, (unsigned long long)(tv_ns(ru1.ru_utime) - tv_ns(ru0.ru_utime)),
	       (unsigned long long)(tv_ns(ru1.ru_stime) - tv_ns(ru0.ru_stime)));
	io_uring_queue_exit(&ring);
	return 0;
}
