/**
 * A connected socket pair for tests, made on a private ring (the runtimes' own sockets do not expose their fds, and
 * the test's own Loop is left alone).
 *
 * @module
 */
import { libc } from "../ffi/mod.ts";
import { Ring } from "../uring/ring/ring.ts";
import { NativeMemory } from "../uring/core/memory.ts";
import { prepAccept, prepBind, prepConnect, prepListen, prepSocket } from "../uring/prep/net.ts";
import type { Sqe } from "../uring/ring/sqe.ts";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0x80000;

/** Runs one SQE on `ring` and returns its result. */
function run(ring: Ring, prep: (sqe: Sqe) => void): number {
  const sqe = ring.getSqe()!;
  prep(sqe);
  ring.submitAndWait(1);
  let res = 0;
  ring.forEachCqe((_ud, r) => (res = r), 1);
  return res;
}

/**
 * A connected AF_UNIX stream pair on an abstract address, made with SOCKET, BIND, LISTEN (Linux 6.11), CONNECT and
 * ACCEPT on a private ring. Returns `[client, server]` file descriptors; close them with `libc().close`, or hand
 * them to `track` (testing/fixtures.ts) inside `withLoop`.
 *
 * @example
 * ```ts
 * import { test } from "node:test";
 * import { send } from "ringside-uring/net";
 * import { readText, track, withLoop } from "./mod.ts";
 *
 * test("send writes to a connected socket", () =>
 *   withLoop(async (loop) => {
 *     const [client, server] = socketPair();
 *     track(client);
 *     track(server);
 *     await send(loop, client, new TextEncoder().encode("ping"));
 *     console.log(readText(server));
 *   }));
 * ```
 */
export function socketPair(): [number, number] {
  const ring = new Ring(4);
  const addr = NativeMemory.allocate(110);
  const fds: number[] = [];
  const must = (what: string, res: number) => {
    if (res < 0) throw new Error(`socketPair: ${what} failed with ${res}`);
    return res;
  };
  try {
    const name = `ringside-test-${libc().getpid()}-${Math.random().toString(36).slice(2)}`;
    new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
    addr.bytes.set(new TextEncoder().encode(name), 3); // sun_path[0] = 0: the abstract namespace
    const len = 3 + name.length;
    const socket = () => {
      const fd = must("socket", run(ring, (s) => prepSocket(s, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, 0)));
      fds.push(fd);
      return fd;
    };
    const lfd = socket();
    must("bind", run(ring, (s) => prepBind(s, lfd, addr.address, len)));
    must("listen", run(ring, (s) => prepListen(s, lfd, 1)));
    const cfd = socket();
    must("connect", run(ring, (s) => prepConnect(s, cfd, addr.address, len)));
    const sfd = must("accept", run(ring, (s) => prepAccept(s, lfd, 0, 0, SOCK_CLOEXEC)));
    libc().close(lfd);
    return [cfd, sfd];
  } catch (e) {
    for (const fd of fds) libc().close(fd);
    throw e;
  } finally {
    addr.free();
    ring.close();
  }
}
