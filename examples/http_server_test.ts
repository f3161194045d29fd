import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { Buffer } from "node:buffer";
import { skipIf } from "../testing/mod.ts";
import { Client, startServer, stopServer, withTimeout } from "../testing/server_client.ts";
import { kernelVersionAtLeast } from "../uring/ring/kernel_version.ts";
import { Loop } from "ringside-uring/loop";
import { serveHttp } from "./http_server.ts";

// Multishot recv over a buffer ring (6.0) is the newest thing the server needs.
const oldKernel = !kernelVersionAtLeast(6, 0) && "the server needs Linux 6.0 (multishot recv over a buffer ring)";
const noCurl = !existsSync("/usr/bin/curl") && "curl is not installed (/usr/bin/curl)";

const OK = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\nHello, World!\n";
const NOT_FOUND =
  "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\nNot Found\n";
const NOT_ALLOWED = "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\n" +
  "Content-Length: 19\r\nAllow: GET, HEAD\r\n\r\nMethod Not Allowed\n";
const HEAD_OK = OK.slice(0, OK.indexOf("Hello"));
const OK_CLOSE = OK.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n");
const GET = (path: string) => `GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`;

/** The error response the server sends for `status` (always with Connection: close). */
function errorResponse(status: number, reason: string): string {
  const body = `${reason}\n`;
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
    `Connection: close\r\n\r\n${body}`;
}

function curl(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile("/usr/bin/curl", ["-sS", "--max-time", "5", ...args], (err, stdout, stderr) => {
      if (err) reject(new Error(`curl ${args.join(" ")}: ${err.message}\n${stderr}`));
      else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const curlName = "examples/http_server.ts answers curl on one kept-alive connection, and HTTP/1.0 with a close";
test(curlName, { ...skipIf(oldKernel || noCurl, curlName), timeout: 30_000 }, async () => {
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
    assert.equal(head.stdout, HEAD_OK);
    const post = await curl(["-i", "--data-binary", "x".repeat(100_000), `${url}/`]);
    assert.match(post.stdout, /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    await stopServer(server, "http_server");
  } finally {
    server.child.kill("SIGKILL");
  }
});

const rawName = "examples/http_server.ts answers pipelined, split and bodied requests in order, over a real socket";
test(rawName, { ...skipIf(oldKernel, rawName), timeout: 30_000 }, async () => {
  const { server, port } = await startServer("http_server.ts", ["--owning"]);
  const clients: Client[] = [];
  try {
    const c = await Client.connect(port);
    clients.push(c);
    c.socket.setNoDelay(true);
    // 16 pipelined requests in one write: 16 responses, in order.
    const paths = Array.from({ length: 16 }, (_, i) => (i % 3 === 1 ? `/missing${i}` : "/"));
    c.write(paths.map(GET).join(""));
    const want = paths.map((p) => (p === "/" ? OK : NOT_FOUND)).join("");
    assert.equal(String(await c.read(want.length)), want);
    // A head split at every byte: each byte its own segment (TCP_NODELAY, a pause between writes).
    const one = "GET /?split HTTP/1.1\r\nHost: a\r\nX-Long: 0123456789\r\n\r\n";
    for (const byte of one) {
      c.write(byte);
      await sleep(2);
    }
    assert.equal(String(await c.read(OK.length)), OK);
    // A head cut in the middle of a field name, the rest after a pause.
    c.write(GET("/").repeat(2) + "GET / HTTP/1.1\r\nHo");
    assert.equal(String(await c.read(2 * OK.length)), OK + OK);
    await sleep(50);
    c.write("st: a\r\n\r\n");
    assert.equal(String(await c.read(OK.length)), OK);
    // Bodies are skipped, however they arrive: a Content-Length body in pieces, then a chunked one.
    const body = "b".repeat(20_000);
    c.write(`POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 7000)}`);
    assert.equal(String(await c.read(NOT_ALLOWED.length)), NOT_ALLOWED, "answered before its body is all here");
    c.write(body.slice(7000) + GET("/after-length"));
    assert.equal(String(await c.read(NOT_FOUND.length)), NOT_FOUND);
    c.write("PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nab");
    await sleep(20);
    c.write("cd\r\n1000\r\n" + "c".repeat(4096) + "\r\n0\r\nTrailer: yes\r\n");
    await sleep(20);
    c.write("\r\n" + GET("/"));
    assert.equal(String(await c.read(NOT_ALLOWED.length + OK.length)), NOT_ALLOWED + OK);
    // A Connection: close is the last request answered: what follows it is not.
    c.write(GET("/").replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n") + GET("/"));
    assert.equal(String(await c.read(Infinity)), OK_CLOSE);
    assert.ok(c.ended);
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

const errorsName = "examples/http_server.ts answers 400, 414, 431, 501 and 505 and closes the connection";
test(errorsName, { ...skipIf(oldKernel, errorsName), timeout: 30_000 }, async () => {
  const { server, port } = await startServer("http_server.ts");
  const clients: Client[] = [];
  try {
    const cases: [string, number, string][] = [
      ["BAD\r\n\r\n", 400, "Bad Request"],
      ["GET / HTTP/1.1\r\n\r\n", 400, "Bad Request"], // no Host
      ["GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 400, "Bad Request"],
      ["GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400, "Bad Request"],
      [`GET /${"u".repeat(9000)} HTTP/1.1\r\n`, 414, "URI Too Long"],
      [`GET / HTTP/1.1\r\nHost: a\r\nX: ${"h".repeat(17000)}`, 431, "Request Header Fields Too Large"],
      ["GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br, chunked\r\n\r\n", 501, "Not Implemented"],
      ["GET / HTTP/2.0\r\n\r\n", 505, "HTTP Version Not Supported"],
    ];
    await Promise.all(cases.map(async ([request, status, reason]) => {
      const c = await Client.connect(port);
      clients.push(c);
      // A valid request first: it is answered, then the bad one ends the connection.
      c.write(GET("/") + request);
      assert.equal(String(await c.read(Infinity)), OK + errorResponse(status, reason), JSON.stringify(request));
      assert.ok(c.ended, "the server closed the connection");
    }));
    // Unread input after the error (a megabyte the server never parses) does not cost the client the response.
    const c = await Client.connect(port);
    clients.push(c);
    c.write("BAD\r\n\r\n" + "z".repeat(1 << 20));
    assert.equal(String(await c.read(Infinity)), errorResponse(400, "Bad Request"));
    await stopServer(server, "http_server");
  } finally {
    for (const c of clients) c.close();
    server.child.kill("SIGKILL");
  }
});

const inProcessName = "serveHttp answers all the requests of one read with one send, and lingers at most lingerMs";
test(inProcessName, { ...skipIf(oldKernel, inProcessName), timeout: 30_000 }, async () => {
  const loop = new Loop();
  const stop = new AbortController();
  let served: Promise<void> = Promise.resolve();
  const clients: Client[] = [];
  const sockets: net.Socket[] = [];
  const stats = { accepted: 0, active: 0 };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      served = serveHttp(loop, {
        stats,
        port: 0,
        host: "127.0.0.1",
        signal: stop.signal,
        lingerMs: 150,
        onListen: (a) => resolve(a.port),
      });
      served.catch(reject);
    });
    const c = await Client.connect(port);
    clients.push(c);
    c.write(GET("/"));
    assert.equal(String(await c.read(OK.length)), OK); // the connection is served and its recv armed
    await sleep(20);
    // 16 different requests in one write: the one multishot recv delivers them in one read, and the one SEND
    // started for them is the only operation started.
    const paths = Array.from({ length: 16 }, (_, i) => (i % 2 ? "/" : `/x${i}`));
    const heads = paths.map((p, i) => (i === 5 ? `HEAD ${p} HTTP/1.1\r\nHost: a\r\n\r\n` : GET(p))).join("");
    const before = loop.stats.started;
    c.write(heads);
    const want = paths.map((p, i) => (i === 5 ? HEAD_OK : p === "/" ? OK : NOT_FOUND)).join("");
    assert.equal(String(await c.read(want.length)), want);
    assert.equal(loop.stats.started - before, 1, "one operation (the send) for 16 pipelined requests");
    // After an error the server sends FIN and waits for the client's; a client that keeps its side open (half
    // open) is closed after lingerMs anyway.
    const mute = net.connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    sockets.push(mute);
    let got = "";
    mute.on("data", (d: Buffer) => (got += String(d)));
    const fin = new Promise<void>((r) => mute.once("end", r));
    await new Promise<void>((r) => mute.once("connect", r));
    mute.write("BAD\r\n\r\n");
    await withTimeout(fin, 3000, "the server's FIN");
    assert.equal(got, errorResponse(400, "Bad Request"));
    assert.equal(stats.active, 2, "the server waits for the client's FIN");
    const t0 = Date.now();
    while (stats.active > 1 && Date.now() - t0 < 3000) await sleep(10);
    assert.equal(stats.active, 1, "closed after lingerMs, the client's side still open");
  } finally {
    for (const c of clients) c.close();
    for (const s of sockets) s.destroy();
    stop.abort();
    await served;
    await loop.close();
  }
});
