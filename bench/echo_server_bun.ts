/**
 * The Bun-native echo server of bench/echo.ts (variant `bun-listen`): `Bun.listen` with a `data` handler that
 * writes each chunk back, TCP_NODELAY on every accepted socket, and what a short write left over sent from
 * `drain`. Loaded by echo_servers.ts under Bun only.
 *
 * @module
 */
import type { NativeEchoServer } from "./echo_servers.ts";

/** What a short write left over, per socket. */
interface Pending {
  rest: Uint8Array | null;
}

/** Listens with Bun.listen; resolves to the port. */
export const listen: NativeEchoServer["listen"] = (host, port) => {
  const server = Bun.listen<Pending>({
    hostname: host,
    port,
    socket: {
      open(socket) {
        socket.data = { rest: null };
        socket.setNoDelay(true);
      },
      data(socket, chunk) {
        const p = socket.data;
        if (p.rest !== null) {
          // Still sending an earlier chunk: queue behind it, in order.
          const both = new Uint8Array(p.rest.length + chunk.length);
          both.set(p.rest);
          both.set(chunk, p.rest.length);
          p.rest = both;
          return;
        }
        const n = socket.write(chunk);
        if (n < chunk.length) p.rest = chunk.slice(Math.max(n, 0));
      },
      drain(socket) {
        const p = socket.data;
        if (p.rest === null) return;
        const n = socket.write(p.rest);
        p.rest = n < p.rest.length ? p.rest.slice(Math.max(n, 0)) : null;
      },
      error() {},
    },
  });
  return Promise.resolve(server.port);
};
