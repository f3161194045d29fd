// The load client of bench/echo.ts, the same for every server: N TCP connections to 127.0.0.1:PORT, each sending
// 64 bytes, waiting for their 64-byte echo, and sending again (one message in flight per connection), driven by
// one level-triggered epoll loop. A warm-up, then a measured window; the server's CPU time (utime + stime of every
// thread, from /proc/PID/stat) and this process's own (getrusage) are read at the window's two edges, so neither
// process start-up nor the warm-up is counted.
//
//   echo_client PORT CONNECTIONS WARMUP_MS MEASURE_MS [SERVER_PID]
//
// Prints one JSON line:
//   {"connections":N,"messages":N,"seconds":S,"msgs_per_s":R,"client_user_us":U,"client_sys_us":U,
//    "server_cpu_us":U,"server_user_us":U,"server_sys_us":U,"clk_tck":100}
// (the server's times are -1 without SERVER_PID or when /proc cannot be read). Every echo is checked byte for byte (each message carries its
// connection number and a sequence number). Exits 1 with a message on stderr when a connection fails, an echo
// differs, or no echo arrives for 5 s; a watchdog alarm bounds the whole run.
//
// Plain C with epoll: no liburing, so the client's cost is the same whatever the server is.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define MSG 64
#define MAX_EVENTS 512

struct conn {
  int fd;
  uint32_t seq;
  int sent;  // bytes of the current message sent
  int got;   // bytes of its echo received
  unsigned char out[MSG];
  unsigned char in[MSG];
};

static void die(const char *what) {
  fprintf(stderr, "echo_client: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// utime and stime of the whole process (all threads) in clock ticks; false when unknown.
static int server_ticks(int pid, long long *user, long long *sys) {
  *user = *sys = -1;
  if (pid <= 0) return 0;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'. Field 3 is the state;
  // utime and stime are fields 14 and 15.
  char *p = strrchr(buf, ')');
  if (!p) return 0;
  p += 2;
  unsigned long long utime = 0, stime = 0;
  if (sscanf(p, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2) return 0;
  *user = (long long)utime;
  *sys = (long long)stime;
  return 1;
}

static int64_t rusage_us(const struct timeval *tv) {
  return (int64_t)tv->tv_sec * 1000000 + tv->tv_usec;
}

static void fill(struct conn *c, int index) {
  // Every byte depends on the connection and the sequence number, so a misrouted or stale echo is caught.
  c->seq++;
  for (int i = 0; i < MSG; i++) c->out[i] = (unsigned char)(index * 31 + c->seq * 7 + i);
  c->sent = 0;
  c->got = 0;
}

static int ep = -1;

// Sends what is left of the current message; returns -1 on a broken connection. A send the socket cannot take
// whole (never seen with 64 bytes into an empty socket buffer, but handled) waits for EPOLLOUT.
static int pump_send(struct conn *c, int index) {
  while (c->sent < MSG) {
    ssize_t n = send(c->fd, c->out + c->sent, MSG - c->sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return -1;
      struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)index };
      return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
    c->sent += (int)n;
    if (c->sent == MSG && n != MSG) {
      struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)index };
      return epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: echo_client PORT CONNECTIONS WARMUP_MS MEASURE_MS [SERVER_PID]\n");
    return 2;
  }
  int port = atoi(argv[1]);
  int nconn = atoi(argv[2]);
  int warmup_ms = atoi(argv[3]);
  int measure_ms = atoi(argv[4]);
  int server_pid = argc > 5 ? atoi(argv[5]) : 0;
  if (port <= 0 || port > 65535 || nconn <= 0 || nconn > 65536 || warmup_ms < 0 || measure_ms <= 0) {
    fprintf(stderr, "echo_client: bad arguments\n");
    return 2;
  }
  // Watchdog: the run can never outlive its own schedule by more than 30 s (SIGALRM's default action ends it).
  alarm((unsigned)((warmup_ms + measure_ms) / 1000 + 30));

  struct sockaddr_in sa;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  struct conn *conns = calloc((size_t)nconn, sizeof *conns);
  if (!conns) die("calloc");
  for (int i = 0; i < nconn; i++) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) die("socket");
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("setsockopt TCP_NODELAY");
    // A blocking connect: on loopback it returns once the handshake is done (the server need not accept yet).
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect");
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) die("fcntl O_NONBLOCK");
    conns[i].fd = fd;
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
  }

  for (int i = 0; i < nconn; i++) {
    fill(&conns[i], i);
    if (pump_send(&conns[i], i) < 0) die("send");
  }

  struct epoll_event events[MAX_EVENTS];
  uint64_t messages = 0;
  int64_t t0 = now_ns();
  int64_t warm_end = t0 + (int64_t)warmup_ms * 1000000;
  int64_t deadline = warm_end + (int64_t)measure_ms * 1000000;
  int64_t last_progress = t0;
  int measuring = warmup_ms == 0 ? 1 : 0;
  uint64_t m0 = 0;
  int64_t w0 = t0;
  long long su0, ss0, su1, ss1;
  server_ticks(server_pid, &su0, &ss0);
  struct rusage r0, r1;
  getrusage(RUSAGE_SELF, &r0);

  for (;;) {
    int n = epoll_wait(ep, events, MAX_EVENTS, 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    uint64_t before = messages;
    for (int e = 0; e < n; e++) {
      int i = (int)events[e].data.u32;
      struct conn *c = &conns[i];
      if (c->sent < MSG && pump_send(c, i) < 0) die("send");
      ssize_t r = recv(c->fd, c->in + c->got, (size_t)(MSG - c->got), 0);
      if (r < 0) {
        if (errno == EAGAIN || errno == EINTR) continue;
        die("recv");
      }
      if (r == 0) {
        fprintf(stderr, "echo_client: the server closed connection %d\n", i);
        return 1;
      }
      c->got += (int)r;
      if (c->got < MSG) continue;
      if (memcmp(c->in, c->out, MSG) != 0) {
        fprintf(stderr, "echo_client: connection %d: the echo of message %u differs\n", i, c->seq);
        return 1;
      }
      messages++;
      fill(c, i);
      if (pump_send(c, i) < 0) die("send");
    }
    int64_t t = now_ns();
    if (messages != before) last_progress = t;
    else if (t - last_progress > 5000000000LL) {
      fprintf(stderr, "echo_client: no echo for 5 s (%llu messages so far)\n", (unsigned long long)messages);
      return 1;
    }
    if (!measuring && t >= warm_end) {
      // The measured window starts: read both processes' CPU time and the message count here.
      measuring = 1;
      m0 = messages;
      w0 = t;
      server_ticks(server_pid, &su0, &ss0);
      getrusage(RUSAGE_SELF, &r0);
    } else if (measuring && t >= deadline) {
      int known = server_ticks(server_pid, &su1, &ss1) && su0 >= 0;
      getrusage(RUSAGE_SELF, &r1);
      double seconds = (double)(t - w0) / 1e9;
      uint64_t m = messages - m0;
      long tck = sysconf(_SC_CLK_TCK);
      long long server_user_us = known ? (su1 - su0) * 1000000LL / tck : -1;
      long long server_sys_us = known ? (ss1 - ss0) * 1000000LL / tck : -1;
      printf("{\"connections\":%d,\"messages\":%llu,\"seconds\":%.6f,\"msgs_per_s\":%.1f,"
             "\"client_user_us\":%lld,\"client_sys_us\":%lld,\"server_cpu_us\":%lld,\"server_user_us\":%lld,"
             "\"server_sys_us\":%lld,\"clk_tck\":%ld}\n",
             nconn, (unsigned long long)m, seconds, (double)m / seconds,
             (long long)(rusage_us(&r1.ru_utime) - rusage_us(&r0.ru_utime)),
             (long long)(rusage_us(&r1.ru_stime) - rusage_us(&r0.ru_stime)),
             known ? server_user_us + server_sys_us : -1, server_user_us, server_sys_us, tck);
      break;
    }
  }
  for (int i = 0; i < nconn; i++) close(conns[i].fd);
  close(ep);
  free(conns);
  return 0;
}
