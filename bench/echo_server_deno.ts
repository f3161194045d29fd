/**
 * The Deno-native echo server of bench/echo.ts (variant `deno-listen`): `Deno.listen`, and per connection
 * `conn.read` into a 4 KiB buffer then `conn.write` until every byte read went back, with TCP_NODELAY on. Loaded
 * by echo_servers.ts under Deno only.
 *
 * @module
 */
import type { NativeEchoServer } from "./echo_servers.ts";

/** Bytes one read takes at most (the size of ringside's provided buffers). */
const READ_SIZE = 4096;

async function echo(conn: Deno.TcpConn): Promise<void> {
  const buf = new Uint8Array(READ_SIZE);
  try {
    conn.setNoDelay(true);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      for (let at = 0; at < n;) at += await conn.write(at === 0 && n === READ_SIZE ? buf : buf.subarray(at, n));
    }
  } catch {
    // A reset or broken pipe ends the connection.
  } finally {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
}

/** Listens with Deno.listen; resolves to the port and accepts connections in the background. */
export const listen: NativeEchoServer["listen"] = (host, port) => {
  const listener = Deno.listen({ hostname: host, port, transport: "tcp" });
  (async () => {
    for await (const conn of listener) void echo(conn);
  })().catch((e) => {
    console.error(`deno-listen: ${e instanceof Error ? e.message : String(e)}`);
    Deno.exit(1);
  });
  return Promise.resolve((listener.addr as Deno.NetAddr).port);
};
