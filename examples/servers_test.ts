import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { skipIf, startExample } from "../testing/mod.ts";
import { kernelVersionAtLeast } from "../uring/ring/kernel_version.ts";
import { type HttpRequest, RequestParser } from "./http_server.ts";

// Multishot recv over a buffer ring (6.0) is the newest thing the servers need.
const oldKernel = !kernelVersionAtLeast(6, 0) && "the servers need Linux 6.0 (multishot recv over a buffer ring)";
const noCurl = !existsSync("/usr/bin/curl") && "curl is not installed (/usr/bin/curl)";

type Server = ReturnType<typeof startExample>;

/** Starts a server example on port 0 and reads the port from its one line. */
async function startServer(name: string, args: string[] = []): Promise<{ server: Server; port: number }> {
  const server = startExample(name, ["0", ...args]);
  await server.waitFor("\n");
  const m = /^listening on 127\.0\.0\.1:(\d+)\n$/.exec(server.stdout);
  assert.ok(m, `one "listening on" line, got ${JSON.stringify(server.stdout)}`);
  return { server, port: Number(m[1]) };
}

/** Sends SIGTERM and checks the clean exit: the closing line on stderr, status 0 (see examples_test.ts for Deno). */
async function stopServer(server: Server, name: string): Promise<void> {
  server.child.kill("SIGTERM");
  const { code, signal } = await withTimeout(server.exited, 5000, `${name} to exit`);
  assert.match(server.stderr, new RegExp(`${name}: stopped`), server.stderr);
  assert.ok(code === 0 || signal === "SIGTERM", `exit ${code} ${signal}: ${server.stderr}`);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A client socket whose incoming bytes are collected, to be read by count or until EOF. */
class Client {
  readonly socket: net.Socket;
  private chunks: Buffer[] = [];
  private length = 0;
  private ended = false;
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
      this.ended = true;
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
        while (this.length < n && !this.ended && !this.error) await new Promise<void>((r) => (this.wake = r));
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

  write(data: Uint8Array | string): void {
    this.socket.write(data);
  }

  close(): void {
    this.socket.destroy();
  }
}

function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7 + (i >> 11)) & 0xff;
  return b;
}

/** Sends `data` and checks that the same bytes come back. */
async function echoes(c: Client, data: Buffer): Promise<void> {
  c.write(data);
  const back = await c.read(data.length, 8000);
  assert.ok(back.equals(data), `${data.length} bytes echoed unchanged`);
}

function curl(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile("/usr/bin/curl", ["-sS", "--max-time", "5", ...args], (err, stdout, stderr) => {
      if (err) reject(new Error(`curl ${args.join(" ")}: ${err.message}\n${stderr}`));
      else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const echoName = "examples/echo_server.ts echoes messages up to 1 MiB on concurrent connections, then exits on SIGTERM";
test(echoName, skipIf(oldKernel, echoName), async () => {
  const { server, port } = await startServer("echo_server.ts");
  const clients: Client[] = [];
  try {
    const first = await Client.connect(port);
    clients.push(first);
    await echoes(first, Buffer.from("hello\n"));
    await echoes(first, pattern(1 << 20, 1)); // many times the buffer ring's 4 KiB buffers, and short writes
    await echoes(first, Buffer.from("bye\n"));
    // Several connections at once, all drawing on the one buffer ring: 6 x 512 KiB exceed its 1 MiB.
    const more = await Promise.all(Array.from({ length: 6 }, () => Client.connect(port)));
    clients.push(...more);
    await Promise.all(more.map(async (c, i) => {
      await echoes(c, Buffer.from(`client ${i}\n`));
      await echoes(c, pattern(512 << 10, i + 2));
      await echoes(c, Buffer.from(`client ${i} again\n`));
    }));
    // A connection still open at SIGTERM is closed by the server.
    await stopServer(server, "echo_server");
    await first.read(Infinity, 2000);
  } finally {
    for (const c of clients) c.close();
    server.child.kill("SIGKILL");
  }
});

const owningName = "examples/echo_server.ts --owning serves from loop.run() and exits on SIGTERM";
test(owningName, skipIf(oldKernel, owningName), async () => {
  const { server, port } = await startServer("echo_server.ts", ["--owning"]);
  try {
    const clients = await Promise.all(Array.from({ length: 3 }, () => Client.connect(port)));
    await Promise.all(clients.map((c, i) => echoes(c, pattern(256 << 10, i + 10))));
    for (const c of clients) c.close();
    await stopServer(server, "echo_server");
  } finally {
    server.child.kill("SIGKILL");
  }
});

const OK = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\nHello, World!\n";
const NOT_FOUND =
  "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\nNot Found\n";
const OK_CLOSE = OK.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n");

const curlName = "examples/http_server.ts answers curl on one kept-alive connection, and HTTP/1.0 with a close";
test(curlName, skipIf(oldKernel || noCurl, curlName), async () => {
  const { server, port } = await startServer("http_server.ts");
  try {
    const url = `http://127.0.0.1:${port}`;
    const two = await curl(["-v", `${url}/`, `${url}/`, `${url}/nope`]);
    assert.equal(two.stdout, "Hello, World!\nHello, World!\nNot Found\n");
    assert.match(two.stderr, /Re-using existing connection/);
    assert.equal(two.stderr.match(/< HTTP\/1\.1 200 OK/g)?.length, 2, two.stderr);
    assert.match(two.stderr, /< HTTP\/1\.1 404 Not Found/);
    const old = await curl(["-0", "-i", `${url}/`]);
    assert.equal(old.stdout, OK_CLOSE);
    const head = await curl(["-I", `${url}/`]);
    assert.equal(head.stdout, OK.slice(0, OK.indexOf("Hello")));
    await stopServer(server, "http_server");
  } finally {
    server.child.kill("SIGKILL");
  }
});

const rawName = "examples/http_server.ts answers pipelined and split requests in order and closes after a close";
test(rawName, skipIf(oldKernel, rawName), async () => {
  const { server, port } = await startServer("http_server.ts", ["--owning"]);
  const clients: Client[] = [];
  try {
    const c = await Client.connect(port);
    clients.push(c);
    // Three requests in one segment, the third cut in the middle of a header line.
    c.write("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /missing HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHo");
    assert.equal(String(await c.read(OK.length + NOT_FOUND.length)), OK + NOT_FOUND);
    await new Promise((r) => setTimeout(r, 50)); // the server has seen the half request alone
    c.write("st: a\r\n\r\n");
    assert.equal(String(await c.read(OK.length)), OK);
    // A POST's body is skipped, and anything after a Connection: close is not answered.
    c.write("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" +
      "GET / HTTP/1.1\r\nConnection: close\r\n\r\n" + "GET / HTTP/1.1\r\n\r\n");
    const rest = String(await c.read(Infinity));
    assert.ok(rest.startsWith("HTTP/1.1 405 Method Not Allowed\r\n"), rest);
    assert.ok(rest.endsWith(OK_CLOSE), rest);
    assert.equal(rest.split("HTTP/1.1 ").length, 3, `two responses: ${rest}`);
    // HTTP/1.0 without keep-alive: one answer, then EOF.
    const old = await Client.connect(port);
    clients.push(old);
    old.write("GET / HTTP/1.0\r\n\r\n");
    assert.equal(String(await old.read(Infinity)), OK_CLOSE);
    await stopServer(server, "http_server");
  } finally {
    for (const c of clients) c.close();
    server.child.kill("SIGKILL");
  }
});

// ---- The parser alone -------------------------------------------------------------------------------------------

const PIPELINE = "GET / HTTP/1.1\r\nHost: a\r\n\r\n" +
  "\r\nPOST /form HTTP/1.1\r\ncontent-LENGTH: 3\r\n\r\nabc" +
  "HEAD /x?y=1 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n" +
  "GET /last HTTP/1.1\nConnection: keep-alive, close\n\n" +
  "GET /ignored HTTP/1.1\r\n\r\n";

function parseAll(chunks: string[]): HttpRequest[] {
  const p = new RequestParser();
  const out: HttpRequest[] = [];
  for (const c of chunks) p.push(new TextEncoder().encode(c), out);
  return out;
}

test("RequestParser finds the same requests however the bytes are split", () => {
  const whole = parseAll([PIPELINE]);
  assert.deepEqual(whole.map((r) => [r.method, r.target, r.minor, r.keepAlive, r.error]), [
    ["GET", "/", 1, true, 0],
    ["POST", "/form", 1, true, 0],
    ["HEAD", "/x?y=1", 0, true, 0],
    ["GET", "/last", 1, false, 0],
  ]);
  for (let i = 1; i < PIPELINE.length; i++) {
    assert.deepEqual(parseAll([PIPELINE.slice(0, i), PIPELINE.slice(i)]), whole, `split at ${i}`);
  }
  assert.deepEqual(parseAll([...PIPELINE]), whole, "one byte at a time");
});

test("RequestParser answers what it cannot parse with an error status and stops", () => {
  const status = (text: string) => parseAll([text]).map((r) => r.error);
  assert.deepEqual(status("NONSENSE\r\n\r\n"), [400]);
  assert.deepEqual(status("GET / HTTP/2.0\r\n\r\n"), [505]);
  assert.deepEqual(status("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), [501]);
  assert.deepEqual(status("GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n"), [400]);
  assert.deepEqual(status("GET / HTTP/1.1\r\n folded\r\n\r\n"), [400]);
  assert.deepEqual(status(`GET / HTTP/1.1\r\nX: ${"a".repeat(20000)}`), [431]);
  assert.deepEqual(status("GET / HTTP/1.1\r\n\r\nBAD\r\n\r\nGET / HTTP/1.1\r\n\r\n"), [0, 400]);
});
