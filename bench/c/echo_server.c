/*
 * The C reference of bench/echo.ts (variant `c-uring`): the TCP echo server of examples/echo_server.ts written with
 * liburing, on the machinery of uring_server.h (multishot accept, multishot recv over one shared buffer ring). Each
 * chunk is sent back straight from the buffer the kernel filled, in order, one send in flight per connection;
 * a buffer goes back to the ring once its bytes are sent. Single-threaded.
 *
 *   echo_server [PORT] [--host ADDRESS]
 *
 * Prints the port it listens on, alone on one line, once it accepts connections, and serves until it is killed
 * (SIGTERM's default action; a benchmark server has nothing to flush).
 */
#include "uring_server.h"

static const char *NAME = "echo_server";

/* A chunk received and not yet sent back in full. */
struct chunk {
	unsigned short bid;
	int len;
	int off;
};

struct conn {
	uint32_t gen;
	int open;
	int recv_armed;
	int sending;
	int ended; /* EOF or an error: close once nothing is in flight */
	int starved; /* its recv ran out of buffers (ENOBUFS) and waits for one to come back */
	struct chunk *q;
	int qhead, qlen, qcap;
};

static struct io_uring ring;
static struct srv_buffers bufs;
static struct conn *conns;
static int *starved;
static int nstarved;

static void send_head(int fd) {
	struct conn *c = &conns[fd];
	struct chunk *k = &c->q[c->qhead];
	c->sending = 1;
	srv_send(NAME, &ring, fd, c->gen, srv_buffer(&bufs, k->bid) + k->off, (size_t)(k->len - k->off));
}

static void give_back(unsigned bid) {
	srv_buffer_return(&bufs, bid);
	/* A connection whose recv found the ring empty gets it re-armed now that a buffer is back. */
	while (nstarved > 0) {
		int fd = starved[--nstarved];
		struct conn *c = &conns[fd];
		if (!c->open || !c->starved) continue;
		c->starved = 0;
		c->recv_armed = 1;
		srv_arm_recv(NAME, &ring, fd, c->gen);
		break;
	}
}

/* Closes the connection once nothing is in flight; a recv still armed is ended by shutdown first. */
static void finish(int fd) {
	struct conn *c = &conns[fd];
	if (c->sending) return;
	if (c->recv_armed) {
		shutdown(fd, SHUT_RDWR); /* the multishot recv completes (0, no F_MORE): its CQE brings us back */
		return;
	}
	while (c->qlen > 0) {
		give_back(c->q[c->qhead].bid);
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
	}
	close(fd);
	c->open = 0;
	c->starved = 0;
	c->gen++;
}

static void on_recv(int fd, int res, unsigned flags) {
	struct conn *c = &conns[fd];
	int more = flags & IORING_CQE_F_MORE;
	if (!more) c->recv_armed = 0;
	if (res > 0) {
		unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
		if (c->ended) {
			give_back(bid);
		} else {
			if (c->qlen == c->qcap) {
				int cap = c->qcap ? 2 * c->qcap : 8;
				struct chunk *q = malloc((size_t)cap * sizeof *q);
				if (!q) srv_die(NAME, "malloc", ENOMEM);
				for (int i = 0; i < c->qlen; i++) q[i] = c->q[(c->qhead + i) % c->qcap];
				free(c->q);
				c->q = q;
				c->qhead = 0;
				c->qcap = cap;
			}
			c->q[(c->qhead + c->qlen) % c->qcap] = (struct chunk){ .bid = (unsigned short)bid, .len = res, .off = 0 };
			c->qlen++;
			if (!c->sending) send_head(fd);
		}
		if (!more && !c->ended) {
			c->recv_armed = 1;
			srv_arm_recv(NAME, &ring, fd, c->gen);
		}
		return;
	}
	if (res == -ENOBUFS && !c->ended) {
		if (!more) {
			c->starved = 1;
			starved[nstarved++] = fd;
		}
		return;
	}
	c->ended = 1; /* EOF, a reset, or the end of the recv that finish() asked for */
	if (!c->recv_armed) finish(fd);
}

static void on_send(int fd, int res) {
	struct conn *c = &conns[fd];
	c->sending = 0;
	if (res < 0) {
		c->ended = 1;
		finish(fd);
		return;
	}
	struct chunk *k = &c->q[c->qhead];
	k->off += res;
	if (k->off < k->len) {
		send_head(fd);
		return;
	}
	give_back(k->bid);
	c->qhead = (c->qhead + 1) % c->qcap;
	c->qlen--;
	if (c->qlen > 0) send_head(fd);
	else if (c->ended) finish(fd);
}

int main(int argc, char **argv) {
	int lfd;
	conns = srv_start(NAME, argc, argv, &ring, &bufs, sizeof *conns, &starved, &lfd);
	for (;;) {
		int r = io_uring_submit_and_wait(&ring, 1);
		if (r < 0 && r != -EINTR) srv_die(NAME, "io_uring_submit_and_wait", -r);
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe) {
			seen++;
			uint64_t ud = cqe->user_data;
			int fd = ud_fd(ud);
			switch (ud_kind(ud)) {
			case UD_ACCEPT:
				if (cqe->res >= 0 && cqe->res < SRV_MAX_FD) {
					struct conn *c = &conns[cqe->res];
					uint32_t gen = c->gen;
					free(c->q);
					*c = (struct conn){ .gen = gen, .open = 1, .recv_armed = 1 };
					srv_arm_recv(NAME, &ring, cqe->res, gen);
				} else if (cqe->res >= 0) {
					close(cqe->res);
				}
				if (!(cqe->flags & IORING_CQE_F_MORE)) srv_arm_accept(NAME, &ring, lfd);
				break;
			case UD_RECV:
				if (conns[fd].open && conns[fd].gen == ud_gen(ud)) on_recv(fd, cqe->res, cqe->flags);
				else if (cqe->flags & IORING_CQE_F_BUFFER) give_back(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
				break;
			case UD_SEND:
				if (conns[fd].open && conns[fd].gen == ud_gen(ud)) on_send(fd, cqe->res);
				break;
			}
		}
		io_uring_cq_advance(&ring, seen);
	}
}
