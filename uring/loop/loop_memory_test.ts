import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { createServer } from "node:http";
import { Loop } from "./loop.ts";
import { PromiseOp } from "./operation.ts";
import { prepNop } from "../prep/nop.ts";
import { prepRead, prepWrite } from "../prep/rw.ts";
import { prepRecv } from "../prep/net.ts";
import { NativeMemory } from "../core/memory.ts";
import { backend, libc } from "../../ffi/mod.ts";
import { socketPair } from "../../testing/mod.ts";
import type { Sqe } from "../ring/sqe.ts";

function heapMiB(): number {
  backend.gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

// Its own time limit: 10 M operations take 6-7 s on this 2-core VM, past `bun test`'s default of 5 s, and 100-150 s
// in a guest emulated by QEMU without KVM (scripts/kernels.mjs).
test("ten million operations leave the heap bounded", { timeout: 600_000 }, async () => {
  const loop = new Loop({ entries: 1024 });
  try {
    const prep = (sqe: Sqe) => prepNop(sqe);
    const batch = async (n: number) => {
      const ps: Promise<number>[] = new Array(n);
      for (let i = 0; i < n; i++) ps[i] = loop.submit(new PromiseOp("nop", prep)).promise;
      await Promise.all(ps);
    };
    for (let i = 0; i < 100; i++) await batch(10_000); // warm up: 1 million
    const before = heapMiB();
    for (let i = 0; i < 900; i++) await batch(10_000); // 9 million more
    const after = heapMiB();
    const s = loop.stats;
    assert.equal(s.completed, 10_000_000);
    assert.equal(s.inFlight, 0);
    assert.ok(after - before < 32, `heap grew ${(after - before).toFixed(1)} MiB over 9 million operations`);
  } finally {
    await loop.close();
  }
});

test("forced garbage collection while reads are in flight loses no data", async () => {
  const loop = new Loop();
  const fds = new Int32Array(2);
  assert.equal(libc().pipe2(fds, 0x80000), 0);
  const r = fds[0]!, w = fds[1]!; // an Int32Array(2) that pipe2 filled
  try {
    // Reads into garbage-collected arrays wait on an empty pipe; nothing references the arrays but the operations.
    const results: Promise<string>[] = [];
    for (let i = 0; i < 16; i++) {
      const op = new PromiseOp<string>("read", (sqe: Sqe, o) => {
        const view = new Uint8Array(8);
        prepRead(sqe, r, o.kernelAddress(loop, view, true), 8, -1);
        o.keep = view;
      }, { map: (n) => n.toString() });
      loop.submit(op);
      results.push(op.promise.then((n) => `${n}:${new TextDecoder().decode(op.keep as Uint8Array)}`));
    }
    await new Promise((res) => setTimeout(res, 5));
    for (let i = 0; i < 5; i++) {
      backend.gc();
      await new Promise((res) => setTimeout(res, 1));
    }
    // Garbage in between: if the kernel wrote into memory the engine reused, these checks would see it.
    const junk = Array.from({ length: 1000 }, (_, i) => new Uint8Array(64).fill(i & 0xff));
    const src = NativeMemory.allocate(16 * 8);
    for (let i = 0; i < 16; i++) src.bytes.set(new TextEncoder().encode(`msg-${String(i).padStart(4, "0")}`), i * 8);
    await loop.submit(new PromiseOp("write", (sqe) => prepWrite(sqe, w, src.address, 128, -1))).promise;
    const got = (await Promise.all(results)).sort();
    assert.deepEqual(got, Array.from({ length: 16 }, (_, i) => `8:msg-${String(i).padStart(4, "0")}`).sort());
    assert.ok(junk.every((a, i) => a.every((b) => b === (i & 0xff))), "unrelated memory untouched");
    src.free();
  } finally {
    await loop.close();
    libc().close(r);
    libc().close(w);
  }
});

test("integrated mode: a timer and a fetch to a local server make progress while a recv is pending", async () => {
  const loop = new Loop();
  const [client, server] = socketPair();
  const http = createServer((_req, res) => res.end("pong"));
  await new Promise<void>((res) => http.listen(0, "127.0.0.1", () => res()));
  try {
    // A plain single-shot recv (Linux 5.6): multishot streams and buffer rings are not what this is about.
    const buf = new Uint8Array(256);
    const pending = loop.submit(new PromiseOp("recv", (sqe, o) => {
      prepRecv(sqe, server, o.kernelAddress(loop, buf, true), buf.byteLength, 0);
    })).promise;
    // The 10 ms timer must fire promptly while the recv waits in the kernel (a held JS thread would delay it).
    const t0 = performance.now();
    await new Promise((res) => setTimeout(res, 10));
    const ms = performance.now() - t0;
    assert.ok(ms < 150, `the timer fired after ${ms} ms`);
    const port = (http.address() as { port: number }).port;
    const body = await (await fetch(`http://127.0.0.1:${port}/`)).text();
    assert.equal(body, "pong");
    assert.equal(loop.stats.inFlight, 1, "the recv is still pending");
    libc().write(client, new TextEncoder().encode("late"), 4);
    const n = await pending;
    assert.equal(new TextDecoder().decode(buf.subarray(0, n)), "late");
  } finally {
    await new Promise((res) => http.close(() => res(undefined)));
    await loop.close();
    libc().close(client);
    libc().close(server);
  }
});
