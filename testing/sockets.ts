/**
 * A connected socket pair for tests, made with libc through ffi (the runtimes' own sockets do not expose their fds,
 * and the pair must not depend on io_uring opcodes the kernel may lack: SOCKET is Linux 5.19, BIND and LISTEN 6.11).
 *
 * @module
 */
import { libc } from "../ffi/mod.ts";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0x80000;

/**
 * A connected AF_UNIX stream pair on an abstract address, made with socket(2), bind(2), listen(2), connect(2) and
 * accept4(2) through libc, so it works on every kernel. Returns `[client, server]` file descriptors; close them with
 * `libc().close`, or hand them to `track` (testing/fixtures.ts) inside `withLoop`.
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
  const c = libc();
  const fds: number[] = [];
  const must = (what: string, res: number) => {
    if (res < 0) throw new Error(`socketPair: ${what} failed with errno ${c.errno()}`);
    return res;
  };
  try {
    const name = `ringside-test-${c.getpid()}-${Math.random().toString(36).slice(2)}`;
    const addr = new Uint8Array(110);
    new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
    addr.set(new TextEncoder().encode(name), 3); // sun_path[0] = 0: the abstract namespace
    const len = 3 + name.length;
    const socket = () => {
      const fd = must("socket", c.socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      fds.push(fd);
      return fd;
    };
    const lfd = socket();
    must("bind", c.bind(lfd, addr, len));
    must("listen", c.listen(lfd, 1));
    const cfd = socket();
    must("connect", c.connect(cfd, addr, len)); // completes at once: the listener's backlog has room
    const sfd = must("accept", c.accept4(lfd, null, null, SOCK_CLOEXEC));
    fds.push(sfd);
    c.close(lfd);
    return [cfd, sfd];
  } catch (e) {
    for (const fd of fds) c.close(fd);
    throw e;
  }
}
