/*
 * The C reference of bench/http.ts (variant `c-uring`): the hello-world HTTP/1.1 server of examples/http_server.ts
 * written with liburing, on the machinery of uring_server.h (multishot accept, multishot recv over one shared
 * buffer ring), single-threaded. It sends the same bytes for the same requests: `GET /` and `HEAD /` 200
 * `Hello, World!`, other paths 404, other methods 405, the same headers (examples/http/responses.ts), and all the
 * responses to the requests of one read in one send (one send in flight per connection; responses made meanwhile
 * wait in a second buffer and go out together).
 *
 * The parser checks what examples/http/parser.ts checks in a request head (request line, field lines, Host,
 * Connection, Content-Length, the limits: 414, 431, 505, 400), with one difference: a request with
 * Transfer-Encoding gets 501 here (ringside skips chunked bodies). It looks for the end of a head before parsing it,
 * so a head that arrives in pieces is parsed once, whole. Content-Length bodies are skipped. After the response that
 * ends a connection (an error, Connection: close, HTTP/1.0) it sends FIN and reads until the client's EOF, 2 s at
 * most, as serveHttp does.
 *
 *   http_server [PORT] [--host ADDRESS]
 *
 * Prints the port it listens on, alone on one line, once it accepts connections, and serves until it is killed.
 */
#include "uring_server.h"

static const char *NAME = "http_server";

#define REQUEST_LINE_LIMIT 8192
#define HEAD_LIMIT 16384
#define MAX_HEADERS 100
#define LINGER_S 2

/* ---- Responses (the bytes of examples/http/responses.ts) -------------------------------------------------- */

enum { S200, S404, S405, NSTATUS };
enum { C_NONE, C_KEEP_ALIVE, C_CLOSE };
static const int STATUS[] = { 200, 404, 405 };
static const char *REASON[] = { "OK", "Not Found", "Method Not Allowed" };

struct text {
	char *p;
	size_t len;
};
static struct text responses[NSTATUS][2][3]; /* [status][head][connection] */
static struct text errors[600];

static struct text make(int status, const char *reason, const char *body, int head, int conn) {
	char buf[512];
	int n = snprintf(buf, sizeof buf,
		"HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n%s%s\r\n%s", status,
		reason, strlen(body), status == 405 ? "Allow: GET, HEAD\r\n" : "",
		conn == C_CLOSE ? "Connection: close\r\n" : conn == C_KEEP_ALIVE ? "Connection: keep-alive\r\n" : "",
		head ? "" : body);
	struct text t = { strdup(buf), (size_t)n };
	return t;
}

static void make_responses(void) {
	for (int s = 0; s < NSTATUS; s++) {
		char body[64];
		if (s == S200) snprintf(body, sizeof body, "Hello, World!\n");
		else snprintf(body, sizeof body, "%s\n", REASON[s]);
		for (int h = 0; h < 2; h++) {
			for (int c = 0; c < 3; c++) responses[s][h][c] = make(STATUS[s], REASON[s], body, h, c);
		}
	}
	const struct { int status; const char *reason; } errs[] = {
		{ 400, "Bad Request" }, { 414, "URI Too Long" }, { 431, "Request Header Fields Too Large" },
		{ 501, "Not Implemented" }, { 505, "HTTP Version Not Supported" },
	};
	for (unsigned i = 0; i < sizeof errs / sizeof errs[0]; i++) {
		char body[64];
		snprintf(body, sizeof body, "%s\n", errs[i].reason);
		errors[errs[i].status] = make(errs[i].status, errs[i].reason, body, 0, C_CLOSE);
	}
}

/* ---- Parsing ------------------------------------------------------------------------------------------------ */

static unsigned char TCHAR[256];

static void make_tchar(void) {
	const char *s = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
	for (; *s; s++) TCHAR[(unsigned char)*s] = 1;
}

struct request {
	int error; /* 0, or the status to answer */
	int status; /* S200, S404, S405 */
	int head;
	int minor;
	int keep_alive;
	uint64_t content_length;
};

static int name_is(const char *p, size_t n, const char *lower) {
	if (n != strlen(lower)) return 0;
	for (size_t i = 0; i < n; i++) {
		if ((p[i] | 0x20) != lower[i]) return 0;
	}
	return 1;
}

/* Whether the comma-separated list at [v, e) has `token` (ASCII case ignored). */
static int has_token(const char *v, const char *e, const char *token) {
	while (v < e) {
		const char *comma = memchr(v, ',', (size_t)(e - v));
		const char *end = comma ? comma : e;
		const char *a = v, *b = end;
		while (a < b && (*a == ' ' || *a == '\t')) a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t')) b--;
		if (name_is(a, (size_t)(b - a), token)) return 1;
		v = end + 1;
	}
	return 0;
}

/* Parses the complete head at [h, h + len) (it ends with its empty line). */
static void parse_head(const char *h, size_t len, struct request *r) {
	*r = (struct request){ 0 };
	const char *end = h + len;
	const char *lf = memchr(h, '\n', len);
	const char *e = lf > h && lf[-1] == '\r' ? lf - 1 : lf;
	const char *p = h;
	while (p < e && TCHAR[(unsigned char)*p]) p++;
	if (p == h || p == e || *p != ' ') goto bad;
	const char *method = h;
	size_t method_len = (size_t)(p - h);
	const char *target = ++p;
	while (p < e && (unsigned char)*p > ' ' && (unsigned char)*p < 0x7f) p++;
	if (p == target || p == e || *p != ' ') goto bad;
	const char *target_end = p++;
	if (e - p != 8 || memcmp(p, "HTTP/", 5) != 0 || p[6] != '.' || p[5] < '0' || p[5] > '9' || p[7] < '0' ||
		p[7] > '9') goto bad;
	if (p[5] != '1') {
		r->error = 505;
		return;
	}
	r->minor = p[7] == '0' ? 0 : 1;
	int close = 0, keep = 0, hosts = 0, fields = 0, has_length = 0, has_coding = 0;
	for (const char *s = lf + 1; s < end;) {
		lf = memchr(s, '\n', (size_t)(end - s));
		e = lf > s && lf[-1] == '\r' ? lf - 1 : lf;
		if (e == s) break;
		if (++fields > MAX_HEADERS) {
			r->error = 431;
			return;
		}
		p = s;
		while (p < e && TCHAR[(unsigned char)*p]) p++;
		if (p == s || p == e || *p != ':') goto bad;
		const char *colon = p;
		for (const char *q = colon + 1; q < e; q++) {
			unsigned char c = (unsigned char)*q;
			if ((c < ' ' && c != '\t') || c == 0x7f) goto bad;
		}
		const char *v = colon + 1, *ve = e;
		while (v < ve && (*v == ' ' || *v == '\t')) v++;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t')) ve--;
		size_t n = (size_t)(colon - s);
		if (name_is(s, n, "host")) {
			hosts++;
		} else if (name_is(s, n, "connection")) {
			close |= has_token(v, ve, "close");
			keep |= has_token(v, ve, "keep-alive");
		} else if (name_is(s, n, "content-length")) {
			if (has_length || v == ve) goto bad;
			has_length = 1;
			uint64_t x = 0;
			for (const char *q = v; q < ve; q++) {
				if (*q < '0' || *q > '9') goto bad;
				x = x * 10 + (uint64_t)(*q - '0');
				if (x > 9007199254740991ull) goto bad;
			}
			r->content_length = x;
		} else if (name_is(s, n, "transfer-encoding")) {
			has_coding = 1;
		}
		s = lf + 1;
	}
	if (hosts > 1 || (r->minor == 1 && hosts == 0)) goto bad;
	if (has_coding) {
		r->error = 501;
		return;
	}
	r->keep_alive = !close && (r->minor == 1 || keep);
	size_t path_len = (size_t)(target_end - target);
	const char *q = memchr(target, '?', path_len);
	if (q) path_len = (size_t)(q - target);
	int get = method_len == 3 && memcmp(method, "GET", 3) == 0;
	r->head = method_len == 4 && memcmp(method, "HEAD", 4) == 0;
	r->status = !get && !r->head ? S405 : path_len == 1 && target[0] == '/' ? S200 : S404;
	return;
bad:
	r->error = 400;
}

/* ---- Connections -------------------------------------------------------------------------------------------- */

struct obuf {
	char *p;
	size_t len, cap;
};

struct conn {
	uint32_t gen;
	int open;
	int recv_armed;
	int starved;
	int ended; /* EOF, an error, or the linger ran out: close once nothing is in flight */
	int done; /* the response that ends the connection is queued: what arrives now is dropped */
	int shut; /* FIN sent */
	int sending;
	struct obuf out[2]; /* out[fill] collects responses; the other one is in flight while sending */
	int fill;
	size_t sent;
	char *carry; /* an incomplete head */
	size_t carry_len, carry_cap;
	uint64_t body_left;
};

static struct io_uring ring;
static struct srv_buffers bufs;
static struct conn *conns;
static int *starved;
static int nstarved;
static struct __kernel_timespec linger = { .tv_sec = LINGER_S };

static void append(struct obuf *o, const char *p, size_t n) {
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->len + n) cap *= 2;
		o->p = realloc(o->p, cap);
		if (!o->p) srv_die(NAME, "realloc", ENOMEM);
		o->cap = cap;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
}

static void send_rest(int fd) {
	struct conn *c = &conns[fd];
	struct obuf *o = &c->out[c->fill ^ 1];
	srv_send(NAME, &ring, fd, c->gen, o->p + c->sent, o->len - c->sent);
}

/* Sends what was collected, unless a send is in flight (its completion comes back here). */
static void flush(int fd) {
	struct conn *c = &conns[fd];
	if (c->sending || c->out[c->fill].len == 0) return;
	c->fill ^= 1;
	c->out[c->fill].len = 0;
	c->sent = 0;
	c->sending = 1;
	send_rest(fd);
}

static void give_back(unsigned bid) {
	srv_buffer_return(&bufs, bid);
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

static void finish(int fd) {
	struct conn *c = &conns[fd];
	if (c->sending) return;
	if (c->recv_armed) {
		shutdown(fd, SHUT_RDWR); /* ends the multishot recv: its last CQE brings us back */
		return;
	}
	close(fd);
	c->open = 0;
	c->starved = 0;
	c->gen++;
}

/* After the last response is sent: FIN, then wait for the client's EOF, LINGER_S at most. */
static void linger_start(int fd) {
	struct conn *c = &conns[fd];
	c->shut = 1;
	shutdown(fd, SHUT_WR);
	struct io_uring_sqe *sqe = srv_sqe(NAME, &ring);
	io_uring_prep_timeout(sqe, &linger, 0, 0);
	io_uring_sqe_set_data64(sqe, ud_make(UD_TIMEOUT, c->gen, fd));
}

static void respond(struct conn *c, const struct request *r) {
	const struct text *t = r->error ? &errors[r->error]
		: &responses[r->status][r->head][!r->keep_alive ? C_CLOSE : r->minor == 0 ? C_KEEP_ALIVE : C_NONE];
	append(&c->out[c->fill], t->p, t->len);
	if (r->error || !r->keep_alive) c->done = 1;
}

/* Parses the bytes of one read (after the incomplete head kept from before) and collects the responses. */
static void parse(int fd, const char *chunk, size_t n) {
	struct conn *c = &conns[fd];
	const char *data = chunk;
	if (c->carry_len > 0) {
		if (c->carry_len + n > c->carry_cap) {
			c->carry_cap = c->carry_len + n;
			c->carry = realloc(c->carry, c->carry_cap);
			if (!c->carry) srv_die(NAME, "realloc", ENOMEM);
		}
		memcpy(c->carry + c->carry_len, chunk, n);
		n += c->carry_len;
		c->carry_len = 0;
		data = c->carry;
	}
	size_t pos = 0;
	struct request r;
	while (pos < n && !c->done) {
		if (c->body_left > 0) {
			size_t skip = n - pos < c->body_left ? n - pos : (size_t)c->body_left;
			pos += skip;
			c->body_left -= skip;
			continue;
		}
		if (data[pos] == '\n') { /* empty lines before a request line */
			pos++;
			continue;
		}
		if (data[pos] == '\r') {
			if (pos + 1 == n) break;
			if (data[pos + 1] == '\n') {
				pos += 2;
				continue;
			}
		}
		const char *lf = memchr(data + pos, '\n', n - pos);
		size_t line = lf ? (size_t)(lf - (data + pos)) : n - pos;
		if (line > REQUEST_LINE_LIMIT) {
			r.error = 414;
			respond(c, &r);
			break;
		}
		if (!lf) break;
		/* The end of the head: an LF followed by an empty line. */
		size_t end = 0;
		for (const char *p = lf; p;) {
			size_t at = (size_t)(p - data);
			if (at + 1 < n && data[at + 1] == '\n') end = at + 2;
			else if (at + 2 < n && data[at + 1] == '\r' && data[at + 2] == '\n') end = at + 3;
			else if (at + 2 >= n) break;
			if (end) break;
			p = memchr(p + 1, '\n', n - at - 1);
		}
		if ((end ? end : n + 1) - pos > HEAD_LIMIT) {
			r.error = 431;
			respond(c, &r);
			break;
		}
		if (!end) break;
		parse_head(data + pos, end - pos, &r);
		respond(c, &r);
		pos = end;
		if (!r.error) c->body_left = r.content_length;
	}
	if (c->done || pos == n) return;
	size_t rest = n - pos;
	if (data == c->carry) {
		memmove(c->carry, c->carry + pos, rest);
	} else {
		if (rest > c->carry_cap) {
			c->carry = realloc(c->carry, rest);
			if (!c->carry) srv_die(NAME, "realloc", ENOMEM);
			c->carry_cap = rest;
		}
		memcpy(c->carry, data + pos, rest);
	}
	c->carry_len = rest;
}

static void on_recv(int fd, int res, unsigned flags) {
	struct conn *c = &conns[fd];
	int more = flags & IORING_CQE_F_MORE;
	if (!more) c->recv_armed = 0;
	if (res > 0) {
		unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;
		if (!c->done) parse(fd, srv_buffer(&bufs, bid), (size_t)res);
		give_back(bid);
		flush(fd);
		if (c->done && !c->sending && !c->shut) linger_start(fd);
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
	c->ended = 1;
	if (!c->recv_armed) finish(fd);
}

static void on_send(int fd, int res) {
	struct conn *c = &conns[fd];
	if (res < 0) {
		c->sending = 0;
		c->ended = 1;
		finish(fd);
		return;
	}
	c->sent += (size_t)res;
	if (c->sent < c->out[c->fill ^ 1].len) {
		send_rest(fd);
		return;
	}
	c->sending = 0;
	flush(fd);
	if (c->sending) return;
	if (c->ended) finish(fd);
	else if (c->done && !c->shut) linger_start(fd);
}

int main(int argc, char **argv) {
	make_responses();
	make_tchar();
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
			int live = fd >= 0 && fd < SRV_MAX_FD && conns[fd].open && conns[fd].gen == ud_gen(ud);
			switch (ud_kind(ud)) {
			case UD_ACCEPT:
				if (cqe->res >= 0 && cqe->res < SRV_MAX_FD) {
					struct conn *c = &conns[cqe->res];
					*c = (struct conn){ .gen = c->gen, .open = 1, .recv_armed = 1, .out = { c->out[0], c->out[1] },
						.carry = c->carry, .carry_cap = c->carry_cap };
					c->out[0].len = c->out[1].len = 0;
					srv_arm_recv(NAME, &ring, cqe->res, c->gen);
				} else if (cqe->res >= 0) {
					close(cqe->res);
				}
				if (!(cqe->flags & IORING_CQE_F_MORE)) srv_arm_accept(NAME, &ring, lfd);
				break;
			case UD_RECV:
				if (live) on_recv(fd, cqe->res, cqe->flags);
				else if (cqe->flags & IORING_CQE_F_BUFFER) give_back(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
				break;
			case UD_SEND:
				if (live) on_send(fd, cqe->res);
				break;
			case UD_TIMEOUT:
				if (live && conns[fd].shut) {
					conns[fd].ended = 1;
					finish(fd);
				}
				break;
			}
		}
		io_uring_cq_advance(&ring, seen);
	}
}
