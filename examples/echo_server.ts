/**
 * A TCP echo server: one multishot accept for every connection, and per connection one multishot recv over a
 * provided-buffer ring shared by all connections. Each chunk is sent back straight from the buffer the kernel filled
 * (no copy), with the connection core's callbacks (`serveCallbacks`): no promise and no allocation per message, the
 * chunks one connection receives in a turn go back as one send, and the buffer returns to the ring once its send
 * completes.
 *
 *   bun examples/echo_server.ts 9000            # then: nc 127.0.0.1 9000
 *   deno run -A examples/echo_server.ts 9000
 *   bun examples/echo_server.ts 0 --owning      # port 0: the kernel picks one; --owning: loop.run() owns the thread
 *
 * Arguments: `[PORT] [--host ADDRESS] [--owning]` (port 9000 and host 127.0.0.1 by default). Prints one line,
 * `listening on 127.0.0.1:9000`, once it listens; SIGINT or SIGTERM close the listener and every connection, then
 * the loop, and print `echo_server: stopped` on stderr.
 *
 * Other programs (the benchmarks) import {@link serveEcho}.
 *
 * @module
 */
import process from "node:process";
import { Loop } from "ringside-uring/loop";
import { TickStream } from "ringside-uring/streams";
import { type CallbackHandlers, formatAddress, serveCallbacks, type ServeOptions } from "ringside-uring/server";

/** Where and how {@link serveEcho} listens: `port` (0 picks one), `host`, `signal` to stop, `onListen`, and more. */
export type EchoOptions = ServeOptions;

/** Echo: each chunk goes back from the buffer it arrived in; the peer's EOF closes after what is queued is sent. */
const ECHO: CallbackHandlers = {
  onData: (conn, bytes, start, end) => conn.send(bytes, start, end),
};

/**
 * Serves TCP echo on `loop` until `options.signal` aborts: every byte received on a connection is sent back on it.
 * In owning mode call it inside `loop.run()`.
 *
 * @param loop The loop (the caller closes it afterwards).
 * @param options `port`, `host` (default 127.0.0.1), `signal`, `onListen(address)`, `bufferCount`, `bufferSize` ...
 * @returns Resolves once the server has stopped and every connection is closed; rejects when it cannot listen.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * const loop = new Loop();
 * const stop = new AbortController();
 * const served = serveEcho(loop, { port: 0, signal: stop.signal, onListen: (a) => console.log(a.port) });
 * // ... later
 * stop.abort();
 * await served;
 * await loop.close();
 * ```
 */
export function serveEcho(loop: Loop, options: EchoOptions): Promise<void> {
  return serveCallbacks(loop, options, ECHO);
}

/** The command line shared by the server examples: `[PORT] [--host ADDRESS] [--owning]`. */
export function parseServerArgs(
  name: string, args: readonly string[], defaultPort: number,
): { port: number; host: string; owning: boolean } {
  let port = defaultPort;
  let host = "127.0.0.1";
  let owning = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--owning") owning = true;
    else if (a === "--host" && i + 1 < args.length) host = args[++i]!;
    else if (a.startsWith("--host=")) host = a.slice(7);
    else if (/^\d+$/.test(a) && Number(a) <= 65535) port = Number(a);
    else {
      console.error(`usage: ${name} [PORT] [--host ADDRESS] [--owning]`);
      process.exit(2);
    }
  }
  return { port, host, owning };
}

/**
 * Runs a server example: listens, prints the one line, stops cleanly on SIGINT and SIGTERM, prints the closing
 * line on stderr (Deno's child_process reports a child that exited 0 after handling a signal as killed by it).
 */
export async function runServerExample(
  name: string, defaultPort: number, serveFn: (loop: Loop, options: ServeOptions) => Promise<void>,
): Promise<void> {
  const { port, host, owning } = parseServerArgs(`${name}.ts`, process.argv.slice(2), defaultPort);
  const loop = new Loop({ mode: owning ? "owning" : "integrated" });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let failure: unknown = null;
  try {
    const options: ServeOptions = {
      port,
      host,
      signal: stop.signal,
      onListen: (address) => console.log(`listening on ${formatAddress(address)}`),
    };
    if (owning) {
      // loop.run() blocks in io_uring_enter while the server waits. Deno may take a signal on another thread (the
      // wait goes on) and runs its listener only in a full turn of its event loop, which run() gives rarely: a tick
      // from the ring every 10 ms wakes run() until the listener gets its turn (about 100 ms after the signal).
      const ticks = new TickStream(loop, 10, { signal: stop.signal });
      const ticking = (async () => {
        for await (const _ of ticks);
      })().catch(() => {});
      await loop.run(async () => {
        try {
          await serveFn(loop, options);
        } finally {
          ticks.cancel();
          await ticking;
        }
      });
    } else {
      await serveFn(loop, options);
    }
  } catch (e) {
    failure = e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await loop.close();
  }
  if (failure) {
    console.error(`${name}: ${failure instanceof Error ? failure.message : String(failure)}`);
    process.exitCode = 1;
  } else {
    console.error(`${name}: stopped`);
  }
}

if (import.meta.main) await runServerExample("echo_server", 9000, serveEcho);
