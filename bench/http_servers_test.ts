// The C reference servers answer as the ringside examples do: bench/c/http_server.c sends the bytes
// examples/http_server.ts sends for the same requests (pipelined, split, with bodies, bad), and bench/c/echo_server.c
// echoes. Correctness only: no timing here (bench/http.ts and bench/echo.ts measure).
import { test } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { Buffer } from "node:buffer";
import { skipIf } from "../testing/mod.ts";
import { startServer, stopServer } from "../testing/server_client.ts";
import { kernelVersionAtLeast } from "../uring/ring/kernel_version.ts";
import { buildC } from "./harness.ts";

const oldKernel = !kernelVersionAtLeast(6, 0) && "the servers need Linux 6.0 (multishot recv over a buffer ring)";
const gcc = spawnSync("gcc", ["--version"]);
const noBuild = (gcc.error || gcc.status !== 0 ? "gcc is not installed" : "") ||
  (!existsSync("/usr/include/liburing.h") && "liburing.h is missing (apt-get install liburing-dev)");

/** Starts a C server on port 0 and reads the port it prints. */
async function startC(name: string): Promise<{ child: ChildProcess; port: number }> {
  const exe = buildC(name);
  if (!exe.path) throw new Error(`cannot build bench/c/${name}.c: ${exe.reason}`);
  const child = spawn(exe.path, ["0"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} printed no port: ${err}`));
    }, 10_000);
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("\n")) {
        clearTimeout(t);
        resolve(Number(out.trim()));
      }
    });
    child.once("exit", (code) => reject(new Error(`${name} exited (${code}): ${err}`)));
  });
  return { child, port };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Plays `writes` on a new connection (a pause between them, TCP_NODELAY) and returns every byte received until
 * the server closes or nothing comes for `idleMs` (generous: under emulation a cold server takes hundreds of ms to
 * answer its first requests, and an answer that comes late would read as none).
 */
async function play(port: number, writes: readonly string[], idleMs = 1500): Promise<string> {
  const s = net.connect(port, "127.0.0.1");
  s.setNoDelay(true);
  const chunks: Buffer[] = [];
  let last = Date.now();
  let ended = false;
  s.on("data", (d: Buffer) => {
    chunks.push(d);
    last = Date.now();
  });
  s.on("end", () => (ended = true));
  s.on("close", () => (ended = true));
  s.on("error", () => (ended = true));
  await new Promise<void>((r) => s.once("connect", r));
  for (const w of writes) {
    s.write(Buffer.from(w, "latin1"));
    await sleep(15);
  }
  last = Date.now();
  while (!ended && Date.now() - last < idleMs) await sleep(10);
  s.destroy();
  return Buffer.concat(chunks).toString("latin1") + (ended ? "<EOF>" : "<open>");
}

const GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const SCRIPTS: readonly (readonly string[])[] = [
  [GET],
  [GET.repeat(16)],
  ["GET /a HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\n\r\n" + GET],
  [...GET], // one byte per segment
  ["GET / HT", "TP/1.1\r\nHo", "st: a\r\n", "\r\n", GET.repeat(3)],
  ["POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234", "56789" + GET],
  ["\r\n\r\n" + GET],
  ["GET / HTTP/1.0\r\n\r\n"],
  ["GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + GET],
  ["GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" + GET],
  [GET + "BAD\r\n\r\n"],
  ["GET / HTTP/1.1\r\n\r\n"],
  ["GET / HTTP/2.0\r\n\r\n"],
  ["GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n"],
  ["GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n"],
  ["GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"],
  [`GET /${"a".repeat(9000)} HTTP/1.1\r\n\r\n`],
  [`GET / HTTP/1.1\r\nHost: a\r\nX: ${"b".repeat(17000)}\r\n\r\n`],
  [`GET / HTTP/1.1\r\n${"X: 1\r\n".repeat(101)}Host: a\r\n\r\n`],
];

const httpName = "bench/c/http_server.c sends the bytes examples/http_server.ts sends, pipelined, split and bad";
test(httpName, { ...skipIf(oldKernel || noBuild, httpName), timeout: 30_000 }, async () => {
  const c = await startC("http_server");
  const { server, port } = await startServer("http_server.ts");
  try {
    // One request each first, so that the comparison does not also measure who starts up faster.
    await Promise.all([play(c.port, [GET]), play(port, [GET])]);
    const results = await Promise.all(SCRIPTS.map((script) => Promise.all([play(c.port, script), play(port, script)])));
    SCRIPTS.forEach((script, i) => {
      const [fromC, fromTs] = results[i]!;
      assert.equal(fromC, fromTs, JSON.stringify(script).slice(0, 200));
    });
    await stopServer(server, "http_server");
  } finally {
    c.child.kill("SIGKILL");
    server.child.kill("SIGKILL");
  }
});

const echoName = "bench/c/echo_server.c echoes every byte, on many connections at once";
test(echoName, { ...skipIf(oldKernel || noBuild, echoName), timeout: 30_000 }, async () => {
  const c = await startC("echo_server");
  try {
    await Promise.all(Array.from({ length: 8 }, async (_, i) => {
      const s = net.connect(c.port, "127.0.0.1");
      const data = Buffer.alloc(300_000 + i * 1000, i + 1);
      const got: Buffer[] = [];
      let length = 0;
      const done = new Promise<void>((resolve) => {
        s.on("data", (d: Buffer) => {
          got.push(d);
          length += d.length;
          if (length >= data.length) resolve();
        });
      });
      s.write(data);
      await done;
      s.destroy();
      assert.ok(Buffer.concat(got).equals(data), `connection ${i}`);
    }));
  } finally {
    c.child.kill("SIGKILL");
  }
});
