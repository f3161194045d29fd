/**
 * The echo servers bench/echo.ts measures, one per process:
 *
 *   bun bench/echo_servers.ts --variant NAME [--port 0] [--host 127.0.0.1]
 *   deno run -A bench/echo_servers.ts --variant NAME ...
 *
 * It prints the port it listens on, alone on one line, once it accepts connections, and serves until it is killed:
 * no variant installs a signal listener, so SIGTERM's default action ends every one of them at once (a benchmark
 * server has nothing to flush). Variants:
 * - `ringside-owning`: {@link serveEcho} (examples/echo_server.ts) on a Loop in owning mode, inside `loop.run()`
 *   (blocks in io_uring_enter; SINGLE_ISSUER + DEFER_TASKRUN where the kernel has them).
 * - `ringside-integrated`: serveEcho on a Loop in integrated mode (the ring's eventfd wakes the runtime's loop).
 * - `ringside-epoll`: the same code as `ringside-integrated` (integrated mode, same serveEcho) on the epoll backend
 *   (uring/epoll/): the io_uring/epoll pair compares the two backends under one application. The backend comes
 *   from RINGSIDE_BACKEND, as a user would pick it; echo.ts sets it for every ringside variant (`io_uring` for the
 *   first two), and each checks `loop.backend` before it listens, so no variant runs on what it is not named for.
 * - `epoll-ffi`: the classic readiness loop through ringside's libc bindings: nonblocking sockets, one
 *   level-triggered epoll set, `epoll_wait` then `recv` and `send` (MSG_NOSIGNAL) of what was read, per ready
 *   socket, each an FFI call. It owns the thread (blocks in epoll_wait).
 * - `node-net`: node:net `createServer` with `noDelay`, writing back each `data` chunk.
 * - `bun-listen` (Bun only, echo_server_bun.ts) and `deno-listen` (Deno only, echo_server_deno.ts).
 *
 * TCP_NODELAY is set on accepted sockets where the API allows it: epoll-ffi (setsockopt), node-net, bun-listen,
 * deno-listen. serve() does not set it and offers no hook before the first recv, so the ringside variants run
 * with Nagle on; with one 64-byte message in flight per connection nothing is ever unacknowledged when a reply is
 * sent, so Nagle never holds one back here.
 *
 * Runtime-neutral: the runtime-specific servers are loaded by a computed import, so neither type checker follows
 * the other runtime's file.
 *
 * @module
 */
import { createServer } from "node:net";
import process from "node:process";
import { backend, libc } from "../ffi/mod.ts";
import { serveEcho } from "../examples/echo_server.ts";
import { Loop } from "ringside-uring/loop";
import {
  AF_INET,
  decodeSockaddr,
  encodeSockaddr,
  IPPROTO_TCP,
  SO_REUSEADDR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOCKADDR_STORAGE_SIZE,
  SOL_SOCKET,
  SOMAXCONN,
  TCP_NODELAY,
} from "ringside-uring/abi";

/** Every variant name, in the order echo.ts runs them. */
export const SERVER_VARIANTS = [
  "ringside-owning",
  "ringside-integrated",
  "ringside-epoll",
  "epoll-ffi",
  "bun-listen",
  "deno-listen",
  "node-net",
] as const;

/** A variant's name. */
export type ServerVariant = (typeof SERVER_VARIANTS)[number];

/** Whether `variant` can run under the current runtime. */
export function variantRuns(variant: ServerVariant): boolean {
  if (variant === "bun-listen") return backend.runtime === "bun";
  if (variant === "deno-listen") return backend.runtime === "deno";
  return true;
}

/** What echo_server_bun.ts and echo_server_deno.ts export. */
export interface NativeEchoServer {
  /** Listens on `host:port`, resolves to the port once it accepts, and serves until the process ends. */
  listen(host: string, port: number): Promise<number>;
}

/** Bytes one recv takes at most (the size of ringside's provided buffers). */
const RECV_SIZE = 4096;

// ---- ringside -----------------------------------------------------------------------------------------------

/** The backend each ringside variant runs on (RINGSIDE_BACKEND, set by echo.ts, must agree). */
export const RINGSIDE_BACKENDS: Readonly<Record<string, "io_uring" | "epoll">> = {
  "ringside-owning": "io_uring",
  "ringside-integrated": "io_uring",
  "ringside-epoll": "epoll",
};

async function ringside(variant: ServerVariant, owning: boolean, host: string, port: number): Promise<void> {
  const loop = new Loop({ mode: owning ? "owning" : "integrated" });
  const want = RINGSIDE_BACKENDS[variant];
  if (loop.backend !== want) {
    await loop.close();
    throw new Error(`${variant} runs on ${want}, but the loop chose ${loop.backend} ` +
      `(RINGSIDE_BACKEND=${process.env.RINGSIDE_BACKEND ?? "unset"})`);
  }
  const options = { port, host, onListen: (a: { port: number }) => console.log(a.port) };
  // No signal listener (SIGTERM's default action ends the process, as for every variant), so owning mode needs no
  // tick to let one run, and nothing but the echo runs on the ring.
  if (owning) await loop.run(() => serveEcho(loop, options));
  else await serveEcho(loop, options);
}

// ---- epoll through FFI --------------------------------------------------------------------------------------

const EPOLL_CLOEXEC = 0x80000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_MOD = 3;
const EPOLLIN = 0x1;
const EPOLLOUT = 0x4;
const EPOLLERR = 0x8;
const EPOLLHUP = 0x10;
const MSG_NOSIGNAL = 0x4000;
const EAGAIN = 11;
const EINTR = 4;
/** struct epoll_event is packed on x86-64 (12 bytes), naturally aligned elsewhere (16, data at offset 8). */
const EVENT_SIZE = process.arch === "x64" ? 12 : 16;
const EVENT_DATA = process.arch === "x64" ? 4 : 8;
const MAX_EVENTS = 256;

function epollFfi(host: string, port: number): void {
  const c = libc();
  const fail = (what: string): never => {
    throw new Error(`epoll-ffi: ${what} failed: errno ${c.errno()}`);
  };
  const int = new Uint8Array(4);
  new DataView(int.buffer).setInt32(0, 1, true);

  const sa = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  const saLen = encodeSockaddr({ address: host, port }, sa);
  const lfd = c.socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) fail("socket");
  if (c.setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, int, 4) < 0) fail("setsockopt SO_REUSEADDR");
  if (c.bind(lfd, sa, saLen) < 0) fail("bind");
  if (c.listen(lfd, SOMAXCONN) < 0) fail("listen");
  const lenBox = new Uint8Array(4);
  new DataView(lenBox.buffer).setUint32(0, SOCKADDR_STORAGE_SIZE, true);
  if (c.getsockname(lfd, sa, lenBox) < 0) fail("getsockname");
  const bound = decodeSockaddr(sa, new DataView(lenBox.buffer).getUint32(0, true)) as { port: number };

  const ep = c.epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) fail("epoll_create1");
  const ev = new Uint8Array(EVENT_SIZE);
  const evView = new DataView(ev.buffer);
  const ctl = (op: number, fd: number, events: number): number => {
    evView.setUint32(0, events, true);
    evView.setUint32(EVENT_DATA, fd, true);
    evView.setUint32(EVENT_DATA + 4, 0, true);
    return c.epoll_ctl(ep, op, fd, ev);
  };
  if (ctl(EPOLL_CTL_ADD, lfd, EPOLLIN) < 0) fail("epoll_ctl");

  const events = new Uint8Array(EVENT_SIZE * MAX_EVENTS);
  const eventsView = new DataView(events.buffer);
  const buf = new Uint8Array(RECV_SIZE);
  /** Bytes a short send left over, per socket (the socket then waits for EPOLLOUT only). */
  const pending = new Map<number, Uint8Array>();

  const closeConn = (fd: number) => {
    pending.delete(fd);
    c.close(fd); // also takes it out of the epoll set
  };
  /**
   * Sends the first `length` bytes of `data`; keeps what the socket did not take and waits for EPOLLOUT. False when
   * the connection broke.
   */
  const sendOrKeep = (fd: number, data: Uint8Array, length: number): boolean => {
    let at = 0;
    while (at < length) {
      const n = c.send(fd, at === 0 ? data : data.subarray(at), length - at, MSG_NOSIGNAL);
      if (n >= 0) {
        at += n;
        continue;
      }
      const e = c.errno();
      if (e === EINTR) continue;
      if (e !== EAGAIN) return false;
      pending.set(fd, data.slice(at, length));
      ctl(EPOLL_CTL_MOD, fd, EPOLLOUT);
      return true;
    }
    return true;
  };

  console.log(bound.port);
  for (;;) {
    const n = c.epoll_wait(ep, events, MAX_EVENTS, -1);
    if (n < 0) {
      if (c.errno() === EINTR) continue;
      fail("epoll_wait");
    }
    for (let i = 0; i < n; i++) {
      const flags = eventsView.getUint32(i * EVENT_SIZE, true);
      const fd = eventsView.getUint32(i * EVENT_SIZE + EVENT_DATA, true);
      if (fd === lfd) {
        for (;;) {
          const cfd = c.accept4(lfd, null, null, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break; // EAGAIN: accepted them all (or a transient failure: level-triggered, comes back)
          c.setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, int, 4);
          if (ctl(EPOLL_CTL_ADD, cfd, EPOLLIN) < 0) c.close(cfd);
        }
        continue;
      }
      const rest = pending.get(fd);
      if (rest !== undefined) {
        if (flags & (EPOLLERR | EPOLLHUP) && !(flags & EPOLLOUT)) {
          closeConn(fd);
          continue;
        }
        pending.delete(fd);
        if (!sendOrKeep(fd, rest, rest.length)) closeConn(fd);
        else if (!pending.has(fd)) ctl(EPOLL_CTL_MOD, fd, EPOLLIN);
        continue;
      }
      const got = c.recv(fd, buf, RECV_SIZE, 0);
      if (got > 0) {
        if (!sendOrKeep(fd, buf, got)) closeConn(fd);
      } else if (got === 0 || (c.errno() !== EAGAIN && c.errno() !== EINTR)) {
        closeConn(fd);
      }
    }
  }
}

// ---- node:net -----------------------------------------------------------------------------------------------

function nodeNet(host: string, port: number): void {
  const server = createServer({ noDelay: true }, (socket) => {
    socket.setNoDelay(true);
    socket.on("data", (chunk) => socket.write(chunk));
    socket.on("error", () => socket.destroy());
  });
  server.on("error", (e) => {
    console.error(`node-net: ${e.message}`);
    process.exit(1);
  });
  server.listen(port, host, () => {
    const a = server.address();
    console.log(typeof a === "object" && a !== null ? a.port : port);
  });
}

// ---- Command line -------------------------------------------------------------------------------------------

function parseArgs(argv: readonly string[]): { variant: ServerVariant; host: string; port: number } {
  let variant: string | undefined;
  let host = "127.0.0.1";
  let port = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--variant") variant = argv[++i];
    else if (a === "--host") {
      const h = argv[++i];
      if (h === undefined) throw new Error("echo_servers: --host needs an address");
      host = h;
    }
    else if (a === "--port") port = Number(argv[++i]);
    else throw new Error(`echo_servers: unknown argument ${a}`);
  }
  if (!SERVER_VARIANTS.includes(variant as ServerVariant)) {
    throw new Error(`echo_servers: --variant must be one of ${SERVER_VARIANTS.join(", ")}, got ${variant}`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`echo_servers: bad --port ${port}`);
  return { variant: variant as ServerVariant, host, port };
}

async function main(): Promise<void> {
  const { variant, host, port } = parseArgs(process.argv.slice(2));
  if (!variantRuns(variant)) throw new Error(`echo_servers: ${variant} does not run under ${backend.runtime}`);
  switch (variant) {
    case "ringside-owning":
      return await ringside(variant, true, host, port);
    case "ringside-integrated":
    case "ringside-epoll":
      return await ringside(variant, false, host, port);
    case "epoll-ffi":
      return epollFfi(host, port);
    case "node-net":
      return nodeNet(host, port);
    default: {
      const file = `./echo_server_${backend.runtime}.ts`; // computed: neither type checker follows the other's file
      const native = (await import(file)) as NativeEchoServer;
      console.log(await native.listen(host, port));
    }
  }
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
