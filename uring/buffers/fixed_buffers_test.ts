import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UringError } from "../core/errors.ts";
import { EFAULT } from "../abi/errno.ts";
import { pageSize } from "../core/memory.ts";
import { Ring } from "../ring/ring.ts";
import { RegisteredBufferPool } from "./fixed_buffers.ts";
import { registerBuffersSparse, unregisterBuffers } from "../ring/registered_buffers.ts";
import { registrations } from "../ring/registrations.ts";
import { prepReadFixed, prepWriteFixed } from "../prep/rw.ts";
import { sqeSetData } from "../ring/sqe.ts";
import type { Sqe } from "../ring/sqe.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { skipIf } from "../../testing/mod.ts";

const isCode = (code: string) => (e: unknown) => e instanceof UringError && e.code === code;
const refused = isCode("ERINGSIDE");

// A register flag no probe reports: the kernel version tells (Debian's 5.10 carries 5.15's io_uring, without it).
const noSparse = !kernelVersionAtLeast(5, 19) &&
  "a sparse buffer table (IORING_RSRC_REGISTER_SPARSE) needs Linux 5.19";

/** Writes the SQEs `preps` fill (user_data = their index), submits, and returns each CQE's res by user_data. */
function runAll(ring: Ring, preps: ((sqe: Sqe) => void)[]): number[] {
  preps.forEach((prep, i) => {
    const sqe = ring.getSqe();
    assert.ok(sqe, "the SQ has room");
    prep(sqe);
    sqeSetData(sqe, i);
  });
  const res = new Array<number>(preps.length).fill(NaN);
  let got = 0;
  const deadline = Date.now() + 3000;
  while (got < preps.length && Date.now() < deadline) {
    ring.submitAndWait(preps.length - got, { timeoutNs: 500e6 });
    got += ring.forEachCqe((ud, r) => {
      res[ud] = r;
    });
  }
  assert.equal(got, preps.length, `${preps.length} CQE(s)`);
  return res;
}

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 7 + (i >> 8)) & 0xff;
  return b;
}

/** A temp directory for the test, removed afterwards. */
function withTempDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "ringside-bufpool-"));
  try {
    body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("RegisteredBufferPool: READ_FIXED from a file into pooled buffers gives the file's bytes", () => {
  withTempDir((dir) => {
    const size = 8192;
    const file = join(dir, "data");
    const content = pattern(3 * size + 100, 1);
    writeFileSync(file, content);
    const fd = openSync(file, "r"); // a real OS descriptor in both Bun and Deno
    const ring = new Ring(8);
    const pool = RegisteredBufferPool.create(ring, { count: 4, size });
    try {
      assert.equal(pool.available, 4);
      const bufs = [pool.acquire()!, pool.acquire()!, pool.acquire()!, pool.acquire()!] as const;
      assert.deepEqual(bufs.map((b) => b.index), [0, 1, 2, 3]);
      assert.equal(pool.acquire(), undefined, "all four are acquired");
      for (const b of bufs) {
        assert.equal(b.address % pageSize(), 0, "each buffer starts on a page");
        assert.equal(b.bytes.length, size);
      }
      const res = runAll(ring, bufs.map((b, i) => (sqe: Sqe) =>
        prepReadFixed(sqe, fd, b.address, b.length, i * size, b.index)));
      assert.deepEqual(res, [size, size, size, 100]);
      bufs.forEach((b, i) => {
        const n = res[i]!; // res has one result per buffer (checked above)
        assert.deepEqual(b.bytes.subarray(0, n), content.subarray(i * size, i * size + n), `buffer ${i}`);
      });
      // Part of a buffer works too: the address only has to lie inside buffer `index`.
      const [part] = runAll(ring, [(sqe) => prepReadFixed(sqe, fd, bufs[2].address + 4096, 100, 50, 2)]);
      assert.equal(part, 100);
      assert.deepEqual(bufs[2].bytes.subarray(4096, 4196), content.subarray(50, 150));
      // An address outside the named buffer is refused by the kernel.
      const [outside] = runAll(ring, [(sqe) => prepReadFixed(sqe, fd, bufs[1].address, 16, 0, 0)]);
      assert.equal(outside, -EFAULT);
      for (const b of bufs) pool.release(b.index);
      assert.equal(pool.available, 4);
    } finally {
      pool.close();
      ring.close();
      closeSync(fd);
    }
  });
});

test("RegisteredBufferPool: WRITE_FIXED from a pooled buffer lands in the file", () => {
  withTempDir((dir) => {
    const file = join(dir, "out");
    writeFileSync(file, new Uint8Array(0));
    const fd = openSync(file, "r+");
    const ring = new Ring(4);
    const pool = RegisteredBufferPool.create(ring, { count: 2, size: 5000 });
    try {
      const b = pool.acquire()!;
      const data = pattern(5000, 9);
      b.bytes.set(data);
      const [res] = runAll(ring, [(sqe) => prepWriteFixed(sqe, fd, b.address, b.length, 0, b.index)]);
      assert.equal(res, 5000);
      pool.release(b.index);
      assert.deepEqual(new Uint8Array(readFileSync(file)), data);
    } finally {
      pool.close();
      ring.close();
      closeSync(fd);
    }
  });
});

test("RegisteredBufferPool: acquire and release are a stack; releasing twice or a foreign index throws", () => {
  const ring = new Ring(2);
  const pool = RegisteredBufferPool.create(ring, { count: 3, size: 100 });
  try {
    const a = pool.acquire()!;
    const b = pool.acquire()!;
    pool.release(a.index);
    assert.equal(pool.acquire(), a, "the same record comes back: nothing is allocated");
    assert.throws(() => pool.release(7), refused);
    assert.throws(() => pool.release(-1), refused);
    assert.throws(() => pool.release(1.5), refused);
    pool.release(b.index);
    assert.throws(() => pool.release(b.index), refused, "released twice");
    assert.equal(pool.get(2).index, 2);
    assert.equal(pool.get(1), b);
    assert.throws(() => pool.get(3), refused);
    pool.release(a.index);
    assert.equal(pool.stride, pageSize());
    assert.equal(pool.memory.byteLength, 3 * pageSize());
  } finally {
    pool.close();
    ring.close();
  }
});

test("a pool whose ring was closed hands out no buffer: the registration went with the ring", () => {
  const ring = new Ring(2);
  const pool = RegisteredBufferPool.create(ring, { count: 2, size: 4096 });
  ring.close();
  assert.throws(() => pool.acquire(), /the pool's ring is closed/);
  pool.close();
});

test("RegisteredBufferPool.close unregisters and frees; refuses while a buffer is acquired; memory is pinned", () => {
  const ring = new Ring(2);
  const pool = RegisteredBufferPool.create(ring, { count: 2, size: 4096 });
  try {
    assert.ok(pool.memory.isPinned);
    assert.throws(() => pool.memory.free(), refused, "registered memory cannot be freed early");
    assert.equal(registrations(ring).buffers.length, 2);
    assert.throws(() => RegisteredBufferPool.create(ring, { count: 1, size: 10 }), isCode("EBUSY"),
      "the ring already has a buffer table");
    const b = pool.acquire()!;
    assert.throws(() => pool.close(), refused, "a request may still use the buffer");
    pool.release(b.index);
    pool.close();
    assert.ok(pool.isClosed);
    assert.ok(pool.memory.isFreed);
    assert.equal(b.bytes.length, 0, "views detach");
    assert.equal(registrations(ring).buffers.length, 0);
    assert.throws(() => unregisterBuffers(ring), isCode("ENXIO"), "the table is gone");
    pool.close(); // idempotent
    assert.throws(() => pool.acquire(), refused);
    // The table is free again.
    RegisteredBufferPool.create(ring, { count: 1, size: 10 }).close();
  } finally {
    pool.close();
    ring.close();
  }
});

test("RegisteredBufferPool with tableOffset fills slots of a sparse table and empties only those on close",
  skipIf(noSparse), () => {
  withTempDir((dir) => {
    const file = join(dir, "data");
    const content = pattern(300, 4);
    writeFileSync(file, content);
    const fd = openSync(file, "r");
    const ring = new Ring(4);
    registerBuffersSparse(ring, 16);
    const a = RegisteredBufferPool.create(ring, { count: 2, size: 256, tableOffset: 4 });
    const b = RegisteredBufferPool.create(ring, { count: 3, size: 512, tableOffset: 8 });
    try {
      assert.equal(a.baseIndex, 4);
      const x = a.acquire()!;
      const y = b.acquire()!;
      assert.deepEqual([x.index, y.index], [4, 8]);
      const res = runAll(ring, [
        (sqe) => prepReadFixed(sqe, fd, x.address, x.length, 0, x.index),
        (sqe) => prepReadFixed(sqe, fd, y.address, y.length, 0, y.index),
      ]);
      assert.deepEqual(res, [256, 300]);
      assert.deepEqual(x.bytes, content.subarray(0, 256));
      assert.deepEqual(y.bytes.subarray(0, 300), content);
      a.release(x.index);
      a.close();
      const slots = registrations(ring).buffers;
      assert.equal(slots[4], null);
      assert.equal(slots[8], b.memory, "the other pool keeps its slots");
      assert.equal(runAll(ring, [(sqe) => prepReadFixed(sqe, fd, x.address, 16, 0, 4)])[0], -EFAULT, "slot 4 is empty");
      b.release(y.index);
    } finally {
      a.close();
      b.close();
      ring.close();
      closeSync(fd);
    }
  });
});

test("RegisteredBufferPool.create validates before the kernel; close works after the ring was closed", () => {
  const ring = new Ring(2);
  const cases: unknown[] = [
    { count: 0, size: 10 },
    { count: 16385, size: 10 },
    { count: 1, size: 0 },
    { count: 1, size: 2 ** 30 + 1 },
    { count: 2, size: 10, tableOffset: 16383 },
    { count: 1, size: 10, tableOffset: -1 },
  ];
  for (const c of cases) {
    assert.throws(() => RegisteredBufferPool.create(ring, c as Parameters<typeof RegisteredBufferPool.create>[1]),
      refused, JSON.stringify(c));
  }
  const pool = RegisteredBufferPool.create(ring, { count: 1, size: 10 });
  ring.close();
  pool.close();
  assert.ok(pool.memory.isFreed);
});
