/*
 * What the C reference servers (http_server.c, echo_server.c) share, the machinery of ringside's serve()
 * (uring/server/server.ts) in C with liburing: a listening TCP socket, a ring set up as an owning ringside Loop sets
 * up its own (SINGLE_ISSUER | DEFER_TASKRUN where the kernel has them, else COOP_TASKRUN | TASKRUN_FLAG, else
 * nothing; 256 SQEs, 1024 CQEs), one multishot accept (io_uring_prep_multishot_accept, Linux 5.19), and per
 * connection one multishot recv (io_uring_prep_recv_multishot, Linux 6.0) over one provided-buffer ring shared by
 * every connection (1024 buffers of 4 KiB, as serve() by default; io_uring_register_buf_ring, Linux 5.19).
 *
 * Single-threaded: one loop of io_uring_submit_and_wait(1), io_uring_for_each_cqe, io_uring_cq_advance. Each
 * request's user_data carries its kind, the connection's generation and its fd, so a completion for a connection
 * already closed (and its fd reused) is recognised and ignored.
 */
#ifndef RINGSIDE_BENCH_URING_SERVER_H
#define RINGSIDE_BENCH_URING_SERVER_H

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define SRV_SQ_ENTRIES 256
#define SRV_CQ_ENTRIES 1024
#define SRV_BUFFERS 1024
#define SRV_BUFFER_SIZE 4096
#define SRV_BGID 1
#define SRV_MAX_FD 65536

/* user_data: kind (8 bits), generation (24 bits), fd (32 bits). */
enum { UD_ACCEPT = 1, UD_RECV, UD_SEND, UD_TIMEOUT, UD_IGNORE };

static inline uint64_t ud_make(unsigned kind, uint32_t gen, int fd) {
	return ((uint64_t)kind << 56) | ((uint64_t)(gen & 0xffffff) << 32) | (uint32_t)fd;
}
static inline unsigned ud_kind(uint64_t ud) { return (unsigned)(ud >> 56); }
static inline uint32_t ud_gen(uint64_t ud) { return (uint32_t)(ud >> 32) & 0xffffff; }
static inline int ud_fd(uint64_t ud) { return (int)(uint32_t)ud; }

static void srv_die(const char *name, const char *what, int err) {
	fprintf(stderr, "%s: %s: %s\n", name, what, strerror(err));
	exit(1);
}

/* A listening socket on host:port (port 0: the kernel picks); *bound gets the port. */
static int srv_listen(const char *name, const char *host, int port, int *bound) {
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) srv_die(name, "socket", errno);
	int one = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) srv_die(name, "setsockopt", errno);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) srv_die(name, "inet_pton", EINVAL);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) srv_die(name, "bind", errno);
	if (listen(fd, SOMAXCONN) < 0) srv_die(name, "listen", errno);
	socklen_t len = sizeof sa;
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0) srv_die(name, "getsockname", errno);
	*bound = ntohs(sa.sin_port);
	return fd;
}

/* The ring, with the flags an owning ringside Loop asks for, dropping what the kernel refuses (EINVAL). */
static void srv_ring(const char *name, struct io_uring *ring) {
	const unsigned tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
		0,
	};
	int r = -EINVAL;
	for (unsigned i = 0; i < sizeof tries / sizeof tries[0] && r == -EINVAL; i++) {
		struct io_uring_params p = { .flags = tries[i] | IORING_SETUP_CQSIZE, .cq_entries = SRV_CQ_ENTRIES };
		r = io_uring_queue_init_params(SRV_SQ_ENTRIES, ring, &p);
	}
	if (r < 0) srv_die(name, "io_uring_queue_init_params", -r);
}

/* The shared provided-buffer ring. */
struct srv_buffers {
	struct io_uring_buf_ring *br;
	char *base;
	unsigned mask;
};

static void srv_buffers_init(const char *name, struct io_uring *ring, struct srv_buffers *b) {
	size_t ring_size = SRV_BUFFERS * sizeof(struct io_uring_buf);
	void *mem = mmap(NULL, ring_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) srv_die(name, "mmap", errno);
	b->br = mem;
	io_uring_buf_ring_init(b->br);
	struct io_uring_buf_reg reg = { .ring_addr = (uintptr_t)mem, .ring_entries = SRV_BUFFERS, .bgid = SRV_BGID };
	int r = io_uring_register_buf_ring(ring, &reg, 0);
	if (r < 0) srv_die(name, "io_uring_register_buf_ring", -r);
	b->base = malloc((size_t)SRV_BUFFERS * SRV_BUFFER_SIZE);
	if (!b->base) srv_die(name, "malloc", ENOMEM);
	b->mask = io_uring_buf_ring_mask(SRV_BUFFERS);
	for (unsigned i = 0; i < SRV_BUFFERS; i++) {
		io_uring_buf_ring_add(b->br, b->base + (size_t)i * SRV_BUFFER_SIZE, SRV_BUFFER_SIZE, (unsigned short)i, b->mask,
			(int)i);
	}
	io_uring_buf_ring_advance(b->br, SRV_BUFFERS);
}

static inline char *srv_buffer(struct srv_buffers *b, unsigned bid) {
	return b->base + (size_t)bid * SRV_BUFFER_SIZE;
}

/* Gives buffer `bid` back to the kernel. */
static inline void srv_buffer_return(struct srv_buffers *b, unsigned bid) {
	io_uring_buf_ring_add(b->br, srv_buffer(b, bid), SRV_BUFFER_SIZE, (unsigned short)bid, b->mask, 0);
	io_uring_buf_ring_advance(b->br, 1);
}

/* An SQE, submitting what is queued first when the SQ is full. */
static struct io_uring_sqe *srv_sqe(const char *name, struct io_uring *ring) {
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	if (!sqe) {
		int r = io_uring_submit(ring);
		if (r < 0) srv_die(name, "io_uring_submit", -r);
		sqe = io_uring_get_sqe(ring);
		if (!sqe) srv_die(name, "io_uring_get_sqe", EBUSY);
	}
	return sqe;
}

static void srv_arm_accept(const char *name, struct io_uring *ring, int lfd) {
	struct io_uring_sqe *sqe = srv_sqe(name, ring);
	io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, ud_make(UD_ACCEPT, 0, lfd));
}

static void srv_arm_recv(const char *name, struct io_uring *ring, int fd, uint32_t gen) {
	struct io_uring_sqe *sqe = srv_sqe(name, ring);
	io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = SRV_BGID;
	io_uring_sqe_set_data64(sqe, ud_make(UD_RECV, gen, fd));
}

/* One send of `len` bytes at `data` with MSG_WAITALL (the kernel retries short sends, io_net_retry, 5.19). */
static void srv_send(const char *name, struct io_uring *ring, int fd, uint32_t gen, const void *data, size_t len) {
	struct io_uring_sqe *sqe = srv_sqe(name, ring);
	io_uring_prep_send(sqe, fd, data, len, MSG_WAITALL | MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, ud_make(UD_SEND, gen, fd));
}

/* Parses `[PORT] [--host ADDRESS]` (port 0 and 127.0.0.1 by default). */
static void srv_args(const char *name, int argc, char **argv, int *port, const char **host) {
	*port = 0;
	*host = "127.0.0.1";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) *host = argv[++i];
		else if (argv[i][0] >= '0' && argv[i][0] <= '9') *port = atoi(argv[i]);
		else {
			fprintf(stderr, "usage: %s [PORT] [--host ADDRESS]\n", name);
			exit(2);
		}
	}
}

/*
 * What each server's main does first: parses the arguments, listens, sets up the ring and its buffers, allocates
 * the table of SRV_MAX_FD connections of `conn_size` bytes (zeroed) and the list of starved ones, arms the accept,
 * and prints the port alone on one line. Returns the connection table; *lfd gets the listening socket.
 */
static void *srv_start(const char *name, int argc, char **argv, struct io_uring *ring, struct srv_buffers *b,
	size_t conn_size, int **starved, int *lfd) {
	int port;
	const char *host;
	srv_args(name, argc, argv, &port, &host);
	int bound;
	*lfd = srv_listen(name, host, port, &bound);
	srv_ring(name, ring);
	srv_buffers_init(name, ring, b);
	void *conns = calloc(SRV_MAX_FD, conn_size);
	*starved = malloc(SRV_MAX_FD * sizeof **starved);
	if (!conns || !*starved) srv_die(name, "calloc", ENOMEM);
	srv_arm_accept(name, ring, *lfd);
	printf("%d\n", bound);
	fflush(stdout);
	return conns;
}

#endif
