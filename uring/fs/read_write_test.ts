/**
 * read, write, readv, writev, readFixed and writeFixed on the real kernel, checked by their effect: the bytes in the
 * file (read back with node:fs), the bytes in the caller's buffers, the errno names, input refused before the
 * kernel, and AbortError/TimeoutError on a pipe that never delivers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";
import { backend, libc } from "../../ffi/mod.ts";
import { Loop } from "../loop/loop.ts";
import { NativeMemory } from "../core/memory.ts";
import { UringError } from "../core/errors.ts";
import { registerBuffers } from "../ring/registered_buffers.ts";
import { pipePair as makePipe, tempDir, withLoop } from "../../testing/mod.ts";
import {
  close,
  O_CREAT,
  O_RDONLY,
  O_RDWR,
  O_WRONLY,
  open,
  read,
  readFixed,
  readv,
  write,
  writeFixed,
  writev,
} from "./mod.ts";

const { file: tmpPath } = tempDir("ringside-rw-");

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A refusal by ringside before the kernel. */
const refused = { name: "UringError", code: "ERINGSIDE" };

test("write puts the bytes at the offsets given and read returns them from there", () =>
  withLoop(async (loop) => {
    const path = tmpPath();
    const fd = await open(loop, path, O_RDWR | O_CREAT, 0o644);
    try {
      assert.equal(await write(loop, fd, enc.encode("hello"), 0), 5);
      assert.equal(await write(loop, fd, enc.encode("world"), 10), 5);
      const file = readFileSync(path);
      assert.deepEqual([...file], [...enc.encode("hello"), 0, 0, 0, 0, 0, ...enc.encode("world")]);
      const buf = new Uint8Array(8).fill(0xee);
      assert.equal(await read(loop, fd, buf, 10), 5);
      assert.equal(dec.decode(buf.subarray(0, 5)), "world");
      assert.deepEqual([...buf.subarray(5)], [0xee, 0xee, 0xee], "bytes past the count are untouched");
      assert.equal(await read(loop, fd, buf, 15), 0, "end of file reads 0");
      // `length` transfers a prefix of the buffer.
      assert.equal(await write(loop, fd, enc.encode("ABCDEF"), 0, { length: 2 }), 2);
      assert.equal(readFileSync(path, "latin1").slice(0, 5), "ABllo");
    } finally {
      await close(loop, fd);
    }
  }));

test("offset -1 reads and writes at the file position and advances it; explicit offsets leave it alone", () =>
  withLoop(async (loop) => {
    const path = tmpPath();
    const w = await open(loop, path, O_WRONLY | O_CREAT, 0o644);
    assert.equal(await write(loop, w, enc.encode("abc"), -1), 3);
    assert.equal(await write(loop, w, enc.encode("XY"), 0), 2, "positional write");
    assert.equal(await write(loop, w, enc.encode("def")), 3, "the default offset is -1");
    await close(loop, w);
    assert.equal(readFileSync(path, "utf8"), "XYcdef");

    const r = await open(loop, path, O_RDONLY);
    const buf = new Uint8Array(2);
    const next = async (offset: number) => {
      const n = await read(loop, r, buf, offset);
      return dec.decode(buf.subarray(0, n));
    };
    assert.equal(await next(-1), "XY");
    assert.equal(await next(-1), "cd");
    assert.equal(await next(0), "XY", "pread does not move the position");
    assert.equal(await next(-1), "ef");
    assert.equal(await next(-1), "");
    await close(loop, r);
  }));

test("writev gathers and readv scatters in order across garbage-collected and native buffers", () =>
  withLoop(async (loop) => {
    const path = tmpPath();
    const fd = await open(loop, path, "w+");
    const mem = NativeMemory.allocate(64);
    try {
      const native = mem.bytes.subarray(8, 13);
      native.set(enc.encode("12345"));
      const n = await writev(loop, fd, [enc.encode("abc"), native, new Uint16Array([0x6968])], 0);
      assert.equal(n, 10);
      assert.equal(readFileSync(path, "utf8"), "abc12345hi");

      // 10 bytes into 4 + 4 + 10: the third buffer gets only 2, and its remaining bytes must not be touched.
      const a = new Uint8Array(4);
      const b = mem.bytes.subarray(32, 36);
      const c = new Uint8Array(10).fill(0xee);
      assert.equal(await readv(loop, fd, [a, b, c], 0), 10);
      assert.equal(dec.decode(a), "abc1");
      assert.equal(dec.decode(b), "2345");
      assert.equal(dec.decode(c.subarray(0, 2)), "hi");
      assert.deepEqual([...c.subarray(2)], new Array(8).fill(0xee));
      // A short read that ends inside the first buffer leaves the others alone too.
      const d = new Uint8Array(8).fill(1);
      const e = new Uint8Array(4).fill(2);
      assert.equal(await readv(loop, fd, [d, e], 7), 3);
      assert.equal(dec.decode(d.subarray(0, 3)), "5hi");
      assert.deepEqual([...d.subarray(3)], [1, 1, 1, 1, 1]);
      assert.deepEqual([...e], [2, 2, 2, 2]);
    } finally {
      await close(loop, fd);
      mem.free();
    }
  }));

test("a readv of many buffers tells the kernel exactly their lengths, whatever its iovec array's memory held", () =>
  withLoop(async (loop) => {
    const path = tmpPath();
    const fd = await open(loop, path, "w+");
    const mem = NativeMemory.allocate(65536);
    try {
      await write(loop, fd, new Uint8Array(8192).fill(0x5a), 0);
      // A 10000-byte write from garbage-collected memory is bounced through a 16 KiB arena chunk, which keeps its
      // bytes; with 1 in byte 12 of every 16, a reused chunk read as iovecs has iov_len's high half set.
      const junk = new Uint8Array(10000);
      for (let i = 12; i + 4 <= junk.length; i += 16) junk[i] = 1;
      await write(loop, fd, junk, 100000);
      // 300 iovecs (4800 bytes) come from that same size class.
      const bufs = [mem.bytes.subarray(0, 16)];
      for (let i = 1; i < 300; i++) bufs.push(new Uint8Array(1));
      assert.equal(await readv(loop, fd, bufs, 0), 16 + 299);
      assert.ok(mem.bytes.subarray(16).every((b) => b === 0), "nothing written past the 16-byte view");
    } finally {
      await close(loop, fd);
      mem.free();
    }
  }));

test("a readv whose first buffer was detached meanwhile gives the next one only what the kernel put there", () =>
  withLoop(async (loop) => {
    const [r, w] = makePipe();
    try {
      const a = new Uint8Array(new ArrayBuffer(8));
      const b = new Uint8Array(8).fill(0xee);
      const reading = readv(loop, r, [a, b], -1);
      await new Promise((resolve) => setTimeout(resolve, 10)); // the read waits on the empty pipe
      a.buffer.transfer(); // detaches `a`: the kernel still fills its bounce buffer, which now goes nowhere
      assert.equal(Number(libc().write(w, enc.encode("0123456789"), 10)), 10);
      assert.equal(await reading, 10);
      // The kernel put 8 bytes in a's part and 2 in b's: b gets those 2, and the rest of it stays as it was.
      assert.equal(dec.decode(b.subarray(0, 2)), "89");
      assert.deepEqual([...b.subarray(2)], new Array(6).fill(0xee));
    } finally {
      libc().close(r);
      libc().close(w);
    }
  }));

test("read_fixed and write_fixed move data through a registered buffer", () =>
  withLoop(async (loop) => {
    const mem = NativeMemory.allocate(8192);
    registerBuffers(loop.ring, [mem]);
    const path = tmpPath();
    const fd = await open(loop, path, "w+");
    try {
      const data = randomBytes(3000);
      mem.bytes.set(data, 100);
      assert.equal(await writeFixed(loop, fd, mem.bytes.subarray(100, 3100), 0, 0), 3000);
      assert.deepEqual(readFileSync(path), data);
      const into = mem.bytes.subarray(4096, 8192);
      assert.equal(await readFixed(loop, fd, into, 1000, 0), 2000);
      assert.deepEqual(Buffer.from(into.subarray(0, 2000)), data.subarray(1000));
      assert.equal(await readFixed(loop, fd, into, 0, 0, { length: 10 }), 10);
      assert.deepEqual(Buffer.from(into.subarray(0, 10)), data.subarray(0, 10));
    } finally {
      await close(loop, fd);
    }
  }));

test("registered-buffer operations refuse memory that is not the registered buffer, before the kernel", () =>
  withLoop(async (loop) => {
    const mem = NativeMemory.allocate(4096);
    const other = NativeMemory.allocate(4096);
    registerBuffers(loop.ring, [mem]);
    const started = loop.stats.started;
    const refused = (code: string, re: RegExp) => (e: unknown) => {
      assert.ok(e instanceof UringError, String(e));
      assert.equal(e.code, code);
      assert.match(e.message, re);
      return true;
    };
    await assert.rejects(readFixed(loop, 0, new Uint8Array(16), 0, 0), refused("ERINGSIDE", /garbage-collected/));
    await assert.rejects(readFixed(loop, 0, other.bytes, 0, 0), refused("ERINGSIDE", /registered as buffer 0/));
    await assert.rejects(writeFixed(loop, 0, mem.bytes, 0, 1), refused("ERINGSIDE", /nothing is registered/));
    await assert.rejects(readFixed(loop, 0, mem.bytes, 0, 0, { length: 4097 }), refused("ERINGSIDE", /length must be an integer from 0/));
    assert.equal(loop.stats.started, started, "nothing reached the loop");
    other.free();
  }));

test("explicit lengths, offsets and descriptors out of range are refused (ERINGSIDE) before the kernel", () =>
  withLoop(async (loop) => {
    const started = loop.stats.started;
    const buf = new Uint8Array(4);
    await assert.rejects(read(loop, 0, buf, 0, { length: 5 }), /length must be an integer from 0 to the buffer's 4/);
    await assert.rejects(write(loop, 0, buf, 0, { length: -1 }), refused);
    await assert.rejects(read(loop, 0, buf, -2), refused);
    await assert.rejects(read(loop, -1, buf), refused);
    await assert.rejects(read(loop, 0, "nope" as unknown as Uint8Array), refused);
    await assert.rejects(read(loop, 0, new Uint32Array(2), 0, { length: 9 }), refused, "length counts bytes");
    await assert.rejects(read(loop, 0, buf, 0, { timeoutMs: 0 }), refused);
    await assert.rejects(open(loop, "a\0b"), /NUL/);
    // Only permission bits: the kernel would drop the rest without a word (openat2 refuses them itself).
    await assert.rejects(open(loop, "/nonexistent/x", "w", 0o100644), /mode must be an integer from 0 to 4095/);
    assert.equal(loop.stats.started, started, "nothing reached the loop");
  }));

test("garbage-collected and native buffers carry the same bytes both ways", () =>
  withLoop(async (loop) => {
    const data = randomBytes(5000);
    const path = tmpPath(data);
    const fd = await open(loop, path, O_RDWR);
    const mem = NativeMemory.allocate(16384);
    try {
      const gc = new Uint8Array(5000);
      assert.equal(await read(loop, fd, gc, 0), 5000);
      const native = mem.bytes.subarray(1234, 1234 + 5000);
      assert.equal(await read(loop, fd, native, 0), 5000);
      assert.deepEqual(Buffer.from(gc), data);
      assert.deepEqual(Buffer.from(native), data);
      assert.ok(!mem.isPinned, "the pin is released at completion");
      // A DataView and a Float64Array over part of a larger buffer work the same.
      const big = new ArrayBuffer(64);
      const dv = new DataView(big, 8, 16);
      assert.equal(await read(loop, fd, dv, 100), 16);
      assert.deepEqual(Buffer.from(new Uint8Array(big, 8, 16)), data.subarray(100, 116));
      assert.ok(new Uint8Array(big, 0, 8).every((b) => b === 0) && new Uint8Array(big, 24).every((b) => b === 0));

      native.reverse();
      gc.reverse();
      assert.equal(await write(loop, fd, native, 0), 5000);
      assert.equal(await write(loop, fd, gc, 5000), 5000);
      const back = readFileSync(path);
      const rev = Buffer.from(data).reverse();
      assert.deepEqual(back.subarray(0, 5000), rev);
      assert.deepEqual(back.subarray(5000), rev);
    } finally {
      await close(loop, fd);
      mem.free();
    }
  }));

test("a garbage-collected buffer larger than the arena's largest chunk (1 MiB) is bounced through its own mapping", () =>
  withLoop(async (loop) => {
    const size = 3 * 1024 * 1024 + 17;
    const data = randomBytes(size);
    const path = tmpPath();
    const fd = await open(loop, path, "w+");
    try {
      assert.equal(await write(loop, fd, data, 0), size);
      assert.deepEqual(readFileSync(path), data);
      const back = new Uint8Array(size + 100).fill(0xee);
      assert.equal(await read(loop, fd, back, 0), size);
      assert.deepEqual(Buffer.from(back.subarray(0, size)), data);
      assert.ok(back.subarray(size).every((b) => b === 0xee));
      // Vectored, with one large and one small buffer.
      const x = new Uint8Array(2 * 1024 * 1024), y = new Uint8Array(10);
      assert.equal(await readv(loop, fd, [x, y], 5), x.length + y.length);
      assert.deepEqual(Buffer.from(x), data.subarray(5, 5 + x.length));
      assert.deepEqual(Buffer.from(y), data.subarray(5 + x.length, 15 + x.length));
    } finally {
      await close(loop, fd);
    }
  }));

test("aborting a read blocked on an empty pipe rejects with an AbortError and leaves the pipe usable", () =>
  withLoop(async (loop) => {
    const [r, w] = makePipe();
    try {
      const ac = new AbortController();
      const buf = new Uint8Array(16);
      const p = read(loop, r, buf, -1, { signal: ac.signal });
      await new Promise((res) => setTimeout(res, 20));
      assert.equal(loop.stats.inFlight, 1, "the read is blocked in the kernel");
      ac.abort(new Error("stop"));
      await assert.rejects(p, (e: Error) => e.name === "AbortError" && (e.cause as Error).message === "stop");
      assert.equal(loop.stats.inFlight, 0);
      // The cancelled read consumed nothing: data written now goes to the next read.
      const p2 = read(loop, r, buf, -1);
      await write(loop, w, enc.encode("after"), -1);
      assert.equal(await p2, 5);
      assert.equal(dec.decode(buf.subarray(0, 5)), "after");
      // An already-aborted signal rejects without reaching the kernel.
      const started = loop.stats.started;
      await assert.rejects(read(loop, r, buf, -1, { signal: AbortSignal.abort() }), { name: "AbortError" });
      assert.equal(loop.stats.started, started);
    } finally {
      libc().close(r);
      libc().close(w);
    }
  }));

test("timeoutMs on a read blocked on an empty pipe rejects with a TimeoutError after about that long", () =>
  withLoop(async (loop) => {
    const [r, w] = makePipe();
    try {
      const t0 = performance.now();
      await assert.rejects(read(loop, r, new Uint8Array(8), -1, { timeoutMs: 30 }), { name: "TimeoutError" });
      const ms = performance.now() - t0;
      assert.ok(ms >= 25 && ms < 3000, `timed out after ${ms} ms`);
      // A read that gets its data in time resolves normally.
      libc().write(w, enc.encode("ok"), 2);
      const buf = new Uint8Array(8);
      assert.equal(await read(loop, r, buf, -1, { timeoutMs: 5000 }), 2);
      assert.equal(dec.decode(buf.subarray(0, 2)), "ok");
    } finally {
      libc().close(r);
      libc().close(w);
    }
  }));

test("reads in flight survive forced garbage collections: the data lands in the caller's buffers", () =>
  withLoop(async (loop) => {
    const N = 12;
    const pipes = Array.from({ length: N }, makePipe);
    const mem = NativeMemory.allocate(N * 256);
    try {
      // Half garbage-collected (only the operation references them until completion), half native.
      const bufs = pipes.map((_, i) => i % 2 ? mem.bytes.subarray(i * 256, i * 256 + 200) : new Uint8Array(200));
      const pending = pipes.map(([r], i) => read(loop, r, bufs[i]!, -1));
      for (let round = 0; round < 3; round++) {
        // Churn the heap so a collected-and-reused bounce target would show.
        let junk: Uint8Array[] = [];
        for (let j = 0; j < 200; j++) junk.push(new Uint8Array(4096).fill(j));
        junk = [];
        backend.gc();
        await new Promise((res) => setTimeout(res, 2));
      }
      assert.equal(loop.stats.inFlight, N);
      const payloads = pipes.map((_, i) => randomBytes(100 + i));
      pipes.forEach(([, w], i) => {
        const p = payloads[i]!;
        assert.equal(libc().write(w, p, p.length), p.length);
      });
      const counts = await Promise.all(pending);
      backend.gc();
      counts.forEach((n, i) => {
        assert.equal(n, payloads[i]!.length);
        assert.deepEqual(Buffer.from(bufs[i]!.subarray(0, n)), payloads[i]);
      });
    } finally {
      for (const [r, w] of pipes) {
        libc().close(r);
        libc().close(w);
      }
      mem.free();
    }
  }));

test("native memory under a pending read stays pinned: free() refuses until the read completes", () =>
  withLoop(async (loop) => {
    const [r, w] = makePipe();
    const mem = NativeMemory.allocate(4096);
    try {
      const p = read(loop, r, mem.bytes.subarray(10, 20));
      await new Promise((res) => setTimeout(res, 5));
      assert.ok(mem.isPinned);
      assert.throws(() => mem.free(), /the kernel may still use it/);
      libc().write(w, enc.encode("pinned"), 6);
      assert.equal(await p, 6);
      assert.equal(dec.decode(mem.bytes.subarray(10, 16)), "pinned");
      assert.ok(!mem.isPinned);
    } finally {
      mem.free();
      libc().close(r);
      libc().close(w);
    }
  }));

test("the same calls work on an owning-mode loop inside run()", async () => {
  const loop = new Loop({ mode: "owning" });
  try {
    const path = tmpPath();
    const text = await loop.run(async () => {
      const fd = await open(loop, path, "w+");
      await writev(loop, fd, [enc.encode("own"), enc.encode("ing")], 0);
      const buf = new Uint8Array(6);
      await read(loop, fd, buf, 0);
      await close(loop, fd);
      return dec.decode(buf);
    });
    assert.equal(text, "owning");
    assert.equal(readFileSync(path, "utf8"), "owning");
  } finally {
    await loop.close();
  }
});

test("a closed loop rejects the promise instead of throwing", async () => {
  const loop = new Loop();
  await loop.close();
  const p = read(loop, 0, new Uint8Array(1));
  assert.ok(p instanceof Promise);
  await assert.rejects(p, /the loop is closed/);
});
