/**
 * What the server example tests share: starting an example server on port 0 and reading its port, stopping it
 * with SIGTERM and checking the clean exit, and a TCP client whose incoming bytes are read by count or to EOF.
 *
 * @module
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import net from "node:net";
import { startExample } from "./examples.ts";

/** A started example server (see {@link startServer}). */
export type Server = ReturnType<typeof startExample>;

/** Starts a server example on port 0 (run by `prefix`, if given: see `startExample`) and reads the port from its one line. */
export async function startServer(
  name: string, args: string[] = [], prefix: readonly string[] = [],
): Promise<{ server: Server; port: number }> {
  const server = startExample(name, ["0", ...args], 30_000, prefix);
  await server.waitFor("\n");
  const m = /^listening on 127\.0\.0\.1:(\d+)\n$/.exec(server.stdout);
  assert.ok(m, `one "listening on" line, got ${JSON.stringify(server.stdout)}`);
  return { server, port: Number(m[1]) };
}

/** Sends SIGTERM and checks the clean exit: the closing line on stderr, status 0 (see examples_test.ts for Deno). */
export async function stopServer(server: Server, name: string): Promise<void> {
  server.child.kill("SIGTERM");
  const { code, signal } = await withTimeout(server.exited, 5000, `${name} to exit`);
  assert.match(server.stderr, new RegExp(`${name}: stopped`), server.stderr);
  assert.ok(code === 0 || signal === "SIGTERM", `exit ${code} ${signal}: ${server.stderr}`);
}

/** `p`, or a rejection naming `what` after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A client socket whose incoming bytes are collected, to be read by count or until EOF. */
export class Client {
  readonly socket: net.Socket;
  private chunks: Buffer[] = [];
  private length = 0;
  private ended_ = false;
  private wake: (() => void) | null = null;
  private error: Error | null = null;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      this.chunks.push(d);
      this.length += d.length;
      this.wake?.();
    });
    socket.on("end", () => {
      this.ended_ = true;
      this.wake?.();
    });
    socket.on("error", (e) => {
      this.error = e;
      this.wake?.();
    });
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1", () => resolve(new Client(s)));
      s.once("error", reject);
    });
  }

  /** Resolves with exactly `n` bytes (or everything up to EOF with `n` = Infinity). */
  read(n: number, ms = 5000): Promise<Buffer> {
    return withTimeout(
      (async () => {
        while (this.length < n && !this.ended_ && !this.error) await new Promise<void>((r) => (this.wake = r));
        this.wake = null;
        if (this.error) throw this.error;
        const all = Buffer.concat(this.chunks);
        const take = Math.min(n, all.length);
        this.chunks = [all.subarray(take)];
        this.length = all.length - take;
        return all.subarray(0, take);
      })(),
      ms,
      `${n} bytes`,
    );
  }

  /** Whether the server's FIN has arrived. */
  get ended(): boolean {
    return this.ended_;
  }

  write(data: Uint8Array | string): void {
    this.socket.write(data);
  }

  close(): void {
    this.socket.destroy();
  }
}
