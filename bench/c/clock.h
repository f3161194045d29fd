/*
 * Time for the C baselines: the monotonic clock and getrusage's timevals in nanoseconds.
 */
#ifndef RINGSIDE_BENCH_CLOCK_H
#define RINGSIDE_BENCH_CLOCK_H

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

static inline uint64_t now_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t tv_ns(struct timeval tv) {
	return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

#endif
