import { test } from "node:test";
import assert from "node:assert/strict";
import { libc } from "../../ffi/mod.ts";
import { UringError } from "../core/errors.ts";
import { NativeMemory } from "../core/memory.ts";
import { Ring } from "./ring.ts";
import { prepNop } from "../prep/nop.ts";
import { prepRw } from "../prep/base.ts";
import { prepRead, prepReadFixed } from "../prep/rw.ts";
import { sqeSetBufGroup, sqeSetData, sqeSetFlags } from "./sqe.ts";
import type { Sqe } from "./sqe.ts";
import { bufRingHead, registerBufRing, unregisterBufRing } from "./registered_buf_rings.ts";
import { CLOCK_BOOTTIME, CLOCK_MONOTONIC } from "../abi/timespec.ts";
import {
  cloneBuffers,
  cloneBuffersOffset,
  registerBuffers,
  registerBuffersSparse,
  registerBuffersTags,
  registerBuffersUpdate,
  registerBuffersUpdateTag,
  unregisterBuffers,
} from "./registered_buffers.ts";
import { registerClock } from "./clock.ts";
import { registerEventfd, registerEventfdAsync, unregisterEventfd } from "./eventfd.ts";
import {
  registerFileAllocRange,
  registerFiles,
  registerFilesSparse,
  registerFilesTags,
  registerFilesUpdate,
  registerFilesUpdateTag,
  unregisterFiles,
} from "./registered_files.ts";
import { registerIowqAff, registerIowqMaxWorkers, unregisterIowqAff } from "./iowq.ts";
import { registerNapi, unregisterNapi } from "./napi.ts";
import { registerPersonality, unregisterPersonality } from "./personality.ts";
import { registerProbe } from "./probe.ts";
import { registerRestrictions } from "./restrictions.ts";
import { registerSyncCancel } from "./sync_cancel.ts";
import { registerSyncMsg } from "./sync_msg.ts";
import { registrations, releaseRegistrations } from "./registrations.ts";
import {
  IO_URING_NAPI_STATIC_ADD_ID,
  IO_URING_NAPI_TRACKING_INACTIVE,
  IO_URING_NAPI_TRACKING_STATIC,
  IO_URING_OP_SUPPORTED,
  IORING_CQE_BUFFER_SHIFT,
  IORING_CQE_F_BUFFER,
  IORING_FILE_INDEX_ALLOC,
  IORING_OP_FILES_UPDATE,
  IORING_OP_NOP,
  IORING_OP_PIPE,
  IORING_OP_TIMEOUT,
  IORING_OP_READ,
  IORING_REGISTER_BUFFERS_UPDATE,
  IORING_REGISTER_CLOCK,
  IORING_REGISTER_CLONE_BUFFERS,
  IORING_REGISTER_DST_REPLACE,
  IORING_REGISTER_FILE_ALLOC_RANGE,
  IORING_REGISTER_FILES2,
  IORING_REGISTER_FILES_SKIP,
  IORING_REGISTER_NAPI,
  IORING_REGISTER_PBUF_RING,
  IORING_REGISTER_PBUF_STATUS,
  IORING_REGISTER_PROBE,
  IORING_REGISTER_SEND_MSG_RING,
  IORING_REGISTER_SYNC_CANCEL,
  IORING_RESTRICTION_REGISTER_OP,
  IORING_RESTRICTION_SQE_OP,
  IORING_SETUP_R_DISABLED,
  IOSQE_ASYNC,
  IOSQE_BUFFER_SELECT,
  IOSQE_FIXED_FILE,
  IOU_PBUF_RING_MMAP,
} from "../abi/uapi.ts";
import { pipePair as pipe, skipIf, writeText } from "../../testing/mod.ts";
import { kernelVersionAtLeast } from "./kernel_version.ts";
import { checkRegister, ioUringOlderThan, needs, REGISTER_OPCODES, registerOpMissing } from "./_since.ts";
import { EACCES, EBADF, ECANCELED, EINVAL } from "../abi/errno.ts";

const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;

interface Cqe {
  userData: number;
  res: number;
  flags: number;
}

/** Submits what is pending and reaps until `n` CQEs arrived (or 3 s passed). */
function reap(ring: Ring, n: number): Cqe[] {
  const out: Cqe[] = [];
  const deadline = Date.now() + 3000;
  while (out.length < n && Date.now() < deadline) {
    ring.submitAndWait(n - out.length, { timeoutNs: 500e6 });
    ring.forEachCqe((userData, res, flags) => out.push({ userData, res, flags }));
  }
  assert.equal(out.length, n, `expected ${n} CQE(s)`);
  return out;
}

/** Submits what is pending and reaps the one CQE expected. */
function reapOne(ring: Ring): Cqe {
  const [cqe] = reap(ring, 1);
  assert.ok(cqe, "expected 1 CQE");
  return cqe;
}

function sqeOf(ring: Ring, userData: number): Sqe {
  const sqe = ring.getSqe();
  assert.ok(sqe, "the SQ has room");
  sqeSetData(sqe, userData);
  return sqe;
}

function text(mem: NativeMemory, n: number, at = 0): string {
  return new TextDecoder().decode(mem.bytes.subarray(at, at + n));
}

function closeAll(...fds: number[]): void {
  for (const fd of fds) libc().close(fd);
}

const isCode = (code: string) => (e: unknown) => e instanceof UringError && e.code === code;
const refused = isCode("ERINGSIDE");

/** Reads a fixed file slot with IOSQE_FIXED_FILE and returns the CQE. */
function readFixedFile(ring: Ring, slot: number, buf: NativeMemory): Cqe {
  const sqe = sqeOf(ring, 500 + slot);
  prepRead(sqe, slot, buf.address, buf.byteLength, -1);
  sqeSetFlags(sqe, IOSQE_FIXED_FILE);
  return reapOne(ring);
}

// Machine capabilities are asked once, at load, of the kernel (IORING_REGISTER_QUERY where it has it, else the
// version of its io_uring: see _since.ts), so tests that need more skip with the reason.
const noNapi = registerOpMissing(IORING_REGISTER_NAPI);
const noNapiStatic = noNapi ||
  (ioUringOlderThan("6.13") && needs("static NAPI tracking (IO_URING_NAPI_TRACKING_STATIC, static IDs)", "6.13"));
const noSyncMsg = registerOpMissing(IORING_REGISTER_SEND_MSG_RING);
const noClone = registerOpMissing(IORING_REGISTER_CLONE_BUFFERS);
const noCloneRange = noClone ||
  (ioUringOlderThan("6.13") && needs("cloneBuffersOffset (src_off, dst_off, nr)", "6.13"));
const noTags = registerOpMissing(IORING_REGISTER_FILES2);
const noBufferTags = registerOpMissing(IORING_REGISTER_BUFFERS_UPDATE);
// Before 6.13 only a removal through an update posts its tag; unregistering the table drops the tags silently
// (6.13 made each table entry a node that posts its tag when freed, io_uring/rsrc.c io_free_rsrc_node).
const noUnregisterTags = noTags ||
  (ioUringOlderThan("6.13") && needs("a tag CQE for each entry of a table being unregistered", "6.13"));
const noAllocRange = registerOpMissing(IORING_REGISTER_FILE_ALLOC_RANGE);
const noSyncCancel = registerOpMissing(IORING_REGISTER_SYNC_CANCEL);
const noCancelOp = noSyncCancel || (ioUringOlderThan("6.6") && needs("IORING_ASYNC_CANCEL_OP", "6.6"));
const noClock = registerOpMissing(IORING_REGISTER_CLOCK);
const noBufRing = registerOpMissing(IORING_REGISTER_PBUF_RING);
const noBufRingMmap = noBufRing || (ioUringOlderThan("6.4") && needs("IOU_PBUF_RING_MMAP", "6.4"));
const noBufStatus = noBufRing || registerOpMissing(IORING_REGISTER_PBUF_STATUS);

// ---- Files ------------------------------------------------------------------------------------------------------

test("registerFiles: a READ with IOSQE_FIXED_FILE reads the pipe behind slot 0", () => {
  const ring = new Ring(8);
  const [r, w] = pipe();
  const buf = NativeMemory.allocate(64);
  try {
    registerFiles(ring, [r, -1]);
    writeText(w, "fixed file");
    const cqe = readFixedFile(ring, 0, buf);
    assert.equal(cqe.res, 10);
    assert.equal(text(buf, 10), "fixed file");
    assert.equal(readFixedFile(ring, 1, buf).res, -EBADF, "slot 1 is empty");
    unregisterFiles(ring);
    assert.equal(readFixedFile(ring, 0, buf).res, -EBADF, "no table after unregister");
    assert.throws(() => unregisterFiles(ring), isCode("ENXIO"));
  } finally {
    ring.close();
    buf.free();
    closeAll(r, w);
  }
});

test("registerFilesUpdate replaces a slot, keeps one with IORING_REGISTER_FILES_SKIP and empties one with -1", () => {
  const ring = new Ring(8);
  const [r1, w1] = pipe();
  const [r2, w2] = pipe();
  const [r3, w3] = pipe();
  const buf = NativeMemory.allocate(64);
  try {
    registerFiles(ring, [r1, r2, r3]);
    assert.equal(registerFilesUpdate(ring, 0, [IORING_REGISTER_FILES_SKIP, r3, -1]), 3);
    writeText(w1, "one");
    writeText(w3, "three");
    assert.equal(readFixedFile(ring, 0, buf).res, 3, "slot 0 kept");
    assert.equal(text(buf, 3), "one");
    assert.equal(readFixedFile(ring, 1, buf).res, 5, "slot 1 now reads the third pipe");
    assert.equal(text(buf, 5), "three");
    assert.equal(readFixedFile(ring, 2, buf).res, -EBADF, "slot 2 emptied");
    assert.throws(() => registerFilesUpdate(ring, 2, [r1, r1]), isCode("EINVAL"), "past the end of the table");
    assert.throws(() => registerFilesUpdate(ring, 0, [-3]), refused);
    assert.throws(() => registerFiles(ring, [r1]), isCode("EBUSY"));
  } finally {
    ring.close();
    buf.free();
    closeAll(r1, w1, r2, w2, r3, w3);
  }
});

test("registerFilesTags and registerFilesUpdateTag: removing a tagged file posts a CQE with its tag",
  skipIf(noTags, "registerFilesTags"), () => {
  const ring = new Ring(8);
  const [r, w] = pipe();
  try {
    registerFilesTags(ring, [r, -1], [77, 0]);
    assert.equal(registerFilesUpdate(ring, 0, [-1]), 1);
    assert.deepEqual(reap(ring, 1), [{ userData: 77, res: 0, flags: 0 }]);
    unregisterFiles(ring);

    // Empty slots with -1 rather than registerFilesSparse (IORING_RSRC_REGISTER_SPARSE, 5.19): tags are 5.13.
    registerFilesTags(ring, [-1, -1, -1, -1], [0, 0, 0, 0]);
    assert.equal(registerFilesUpdateTag(ring, 1, [r], [88]), 1);
    assert.equal(ring.cqReady(), 0, "installing posts nothing");
    assert.equal(registerFilesUpdateTag(ring, 1, [-1], [0]), 1);
    assert.deepEqual(reap(ring, 1), [{ userData: 88, res: 0, flags: 0 }]);
    assert.throws(() => registerFilesUpdateTag(ring, 0, [-1], [5]), refused, "a tag on an empty slot");
    assert.throws(() => registerFilesTags(ring, [r], [1, 2]), refused, "one tag per file");
  } finally {
    ring.close();
    closeAll(r, w);
  }
});

test("unregistering a tagged file or buffer table posts a CQE with the tag of each entry it held",
  skipIf(noUnregisterTags, "unregister tags"), () => {
  const ring = new Ring(8);
  const [r, w] = pipe();
  const mem = NativeMemory.allocate(4096);
  try {
    registerFilesTags(ring, [r, -1], [77, 0]);
    unregisterFiles(ring);
    assert.deepEqual(reap(ring, 1), [{ userData: 77, res: 0, flags: 0 }]);
    registerBuffersTags(ring, [mem, null], [66, 0]);
    unregisterBuffers(ring);
    assert.deepEqual(reap(ring, 1), [{ userData: 66, res: 0, flags: 0 }]);
    assert.ok(!mem.isPinned);
  } finally {
    ring.close();
    releaseRegistrations(ring);
    mem.free();
    closeAll(r, w);
  }
});

test("registerFileAllocRange: IORING_FILE_INDEX_ALLOC picks a slot inside the range",
  skipIf(noAllocRange, "registerFileAllocRange"), () => {
  const ring = new Ring(8);
  const [r, w] = pipe();
  const fds = NativeMemory.allocate(4);
  try {
    registerFilesSparse(ring, 8);
    registerFileAllocRange(ring, 5, 2);
    const slot = new Int32Array(fds.buffer);
    slot[0] = r;
    // IORING_OP_FILES_UPDATE with off = IORING_FILE_INDEX_ALLOC writes the allocated slot back into the array.
    prepRw(IORING_OP_FILES_UPDATE, sqeOf(ring, 1), -1, fds.address, 1, IORING_FILE_INDEX_ALLOC);
    assert.equal(reapOne(ring).res, 1);
    assert.equal(slot[0], 5);
    assert.throws(() => registerFileAllocRange(ring, 7, 4), isCode("EINVAL"), "past the table");
  } finally {
    ring.close();
    fds.free();
    closeAll(r, w);
  }
});

// ---- Buffers ----------------------------------------------------------------------------------------------------

test("registerBuffers: READ_FIXED fills the registered NativeMemory, which refuses free() until unregistered", () => {
  const ring = new Ring(8);
  const [r, w] = pipe();
  const mem = NativeMemory.allocate(8192);
  try {
    registerBuffers(ring, [mem, { memory: mem, offset: 4096, length: 100 }]);
    assert.ok(mem.isPinned);
    assert.throws(() => mem.free(), refused, "free() refuses while the kernel holds it");
    writeText(w, "registered");
    prepReadFixed(sqeOf(ring, 1), r, mem.address + 4096, 100, -1, 1);
    assert.equal(reapOne(ring).res, 10);
    assert.equal(text(mem, 10, 4096), "registered");
    writeText(w, "outside");
    prepReadFixed(sqeOf(ring, 2), r, mem.address, 100, -1, 1);
    assert.equal(reapOne(ring).res, -14, "EFAULT: the address is outside buffer 1");
    assert.throws(() => registerBuffers(ring, [mem]), isCode("EBUSY"));
    unregisterBuffers(ring);
    assert.ok(!mem.isPinned);
    assert.deepEqual(registrations(ring).buffers, []);
  } finally {
    ring.close();
    mem.free();
    closeAll(r, w);
  }
  assert.ok(mem.isFreed);
});

test("registerBuffers refuses garbage-collected memory and ranges outside the NativeMemory before the kernel", () => {
  const ring = new Ring(4);
  const mem = NativeMemory.allocate(4096);
  const gone = NativeMemory.allocate(4096);
  gone.free();
  try {
    const bad: unknown[] = [
      new Uint8Array(4096),
      new ArrayBuffer(4096),
      { memory: new Uint8Array(16) },
      { memory: mem, offset: 4000, length: 200 },
      { memory: mem, offset: -1 },
      { memory: mem, length: 0 },
      gone,
    ];
    for (const b of bad) {
      assert.throws(() => registerBuffers(ring, [b as NativeMemory]), refused, String(b));
    }
    assert.throws(() => registerBuffers(ring, []), refused);
    assert.ok(!mem.isPinned, "a refused registration pins nothing");
  } finally {
    ring.close();
    mem.free();
  }
});

test("registerBuffersUpdateTag replaces a slot: the old memory is unpinned and its tag CQE posted",
  skipIf(noBufferTags, "registerBuffersUpdateTag"), () => {
  const ring = new Ring(8);
  const [r, w] = pipe();
  const a = NativeMemory.allocate(4096);
  const b = NativeMemory.allocate(4096);
  try {
    // Empty slots with null rather than registerBuffersSparse (IORING_RSRC_REGISTER_SPARSE, 5.19): tags are 5.13.
    registerBuffersTags(ring, [null, null], [0, 0]);
    assert.equal(registerBuffersUpdateTag(ring, 1, [a], [55]), 1);
    assert.ok(a.isPinned);
    assert.equal(registrations(ring).buffers[1], a);
    assert.equal(registerBuffersUpdate(ring, 1, [b]), 1);
    assert.ok(!a.isPinned && b.isPinned);
    assert.deepEqual(reap(ring, 1), [{ userData: 55, res: 0, flags: 0 }]);
    a.free();
    writeText(w, "slot one");
    prepReadFixed(sqeOf(ring, 1), r, b.address, 4096, -1, 1);
    assert.equal(reapOne(ring).res, 8);
    assert.equal(text(b, 8), "slot one");
    assert.equal(registerBuffersUpdate(ring, 1, [null]), 1, "null empties the slot");
    assert.ok(!b.isPinned);
    assert.throws(() => registerBuffersUpdate(ring, 2, [b]), isCode("EINVAL"), "past the table");
    assert.ok(!b.isPinned, "a refused update pins nothing");

    unregisterBuffers(ring);
    registerBuffersTags(ring, [b, null], [66, 0]);
    assert.ok(b.isPinned);
    assert.equal(registerBuffersUpdate(ring, 0, [null]), 1);
    assert.deepEqual(reap(ring, 1), [{ userData: 66, res: 0, flags: 0 }]);
    assert.ok(!b.isPinned);
    unregisterBuffers(ring);
  } finally {
    ring.close();
    releaseRegistrations(ring);
    a.free();
    b.free();
    closeAll(r, w);
  }
});

/** Two rings, a pipe and two native buffers for the cloning tests, all released after `body`. */
function withCloneSetup(
  body: (src: Ring, dst: Ring, r: number, w: number, mem: NativeMemory, other: NativeMemory) => void,
): void {
  const src = new Ring(4);
  const dst = new Ring(4);
  const [r, w] = pipe();
  const mem = NativeMemory.allocate(4096);
  const other = NativeMemory.allocate(4096);
  try {
    body(src, dst, r, w, mem, other);
  } finally {
    src.close();
    dst.close();
    releaseRegistrations(src);
    releaseRegistrations(dst);
    mem.free();
    other.free();
    closeAll(r, w);
  }
}

test("cloneBuffers shares the registered buffers with a second ring and pins the memory for each",
  skipIf(noClone, "cloneBuffers"), () =>
    withCloneSetup((src, dst, r, w, mem) => {
      registerBuffers(src, [mem]);
      cloneBuffers(dst, src);
      assert.equal(registrations(dst).buffers[0], mem);
      writeText(w, "cloned");
      prepReadFixed(sqeOf(dst, 1), r, mem.address, 4096, -1, 0);
      assert.equal(reapOne(dst).res, 6);
      assert.equal(text(mem, 6), "cloned");
      unregisterBuffers(src);
      assert.ok(mem.isPinned, "still registered with dst");
      assert.throws(() => mem.free(), refused);
      unregisterBuffers(dst);
      assert.ok(!mem.isPinned);
    }));

test("cloneBuffersOffset clones a range into a table that has one, with IORING_REGISTER_DST_REPLACE",
  skipIf(noCloneRange, "cloneBuffersOffset"), () =>
    withCloneSetup((src, dst, r, w, mem, other) => {
      registerBuffers(src, [mem]);
      cloneBuffers(dst, src);
      unregisterBuffers(src);
      registerBuffers(src, [other]);
      cloneBuffersOffset(dst, src, 1, 0, 1, IORING_REGISTER_DST_REPLACE);
      assert.deepEqual(registrations(dst).buffers, [mem, other]);
      writeText(w, "range");
      prepReadFixed(sqeOf(dst, 1), r, other.address, 4096, -1, 1);
      assert.equal(reapOne(dst).res, 5);
      assert.equal(text(other, 5), "range");
      unregisterBuffers(dst);
      unregisterBuffers(src);
      assert.ok(!mem.isPinned && !other.isPinned);
    }));

test("ring.close() releases the pins of registered memory; releaseRegistrations refuses an open ring", () => {
  const ring = new Ring(4);
  const mem = NativeMemory.allocate(4096);
  registerBuffers(ring, [mem]);
  assert.throws(() => releaseRegistrations(ring), refused);
  assert.throws(() => mem.free(), refused, "pinned while registered");
  ring.close();
  releaseRegistrations(ring); // idempotent after close
  mem.free();

  // Any register call on a closed ring releases the pins as it refuses.
  const ring2 = new Ring(4);
  const mem2 = NativeMemory.allocate(4096);
  registerBuffers(ring2, [mem2]);
  ring2.close();
  assert.throws(() => unregisterBuffers(ring2), refused);
  mem2.free();
});

test("ring.close() releases the pin of a registered buffer ring's memory", skipIf(noBufRing, "registerBufRing"), () => {
  const ring = new Ring(4);
  const ringMem = NativeMemory.allocate(4096);
  registerBufRing(ring, { memory: ringMem, entries: 8, bgid: 3 });
  assert.throws(() => releaseRegistrations(ring), refused);
  assert.throws(() => ringMem.free(), refused, "pinned while registered");
  ring.close();
  releaseRegistrations(ring);
  ringMem.free();
  assert.ok(ringMem.isFreed);
});

// ---- Eventfd ----------------------------------------------------------------------------------------------------

function eventfdCount(efd: number): number {
  const b = new Uint8Array(8);
  const n = libc().read(efd, b, 8);
  return n === 8 ? Number(new DataView(b.buffer).getBigUint64(0, true)) : 0; // -1 (EAGAIN): nothing signalled
}

test("registerEventfd: the eventfd counts a NOP's completion; unregistering stops it", () => {
  const ring = new Ring(4);
  const efd = libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  try {
    registerEventfd(ring, efd);
    assert.throws(() => registerEventfd(ring, efd), isCode("EBUSY"));
    prepNop(sqeOf(ring, 1));
    reap(ring, 1);
    assert.ok(eventfdCount(efd) >= 1);
    unregisterEventfd(ring);
    prepNop(sqeOf(ring, 2));
    reap(ring, 1);
    assert.equal(eventfdCount(efd), 0);
    assert.throws(() => unregisterEventfd(ring), isCode("ENXIO"));
  } finally {
    ring.close();
    libc().close(efd);
  }
});

test("registerEventfdAsync: an inline NOP does not signal, a NOP punted to io-wq does", () => {
  const ring = new Ring(4);
  const efd = libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  try {
    registerEventfdAsync(ring, efd);
    prepNop(sqeOf(ring, 1));
    reap(ring, 1);
    assert.equal(eventfdCount(efd), 0, "completed inline");
    const sqe = sqeOf(ring, 2);
    prepNop(sqe);
    sqeSetFlags(sqe, IOSQE_ASYNC);
    reap(ring, 1);
    assert.ok(eventfdCount(efd) >= 1, "completed by an io-wq worker");
  } finally {
    ring.close();
    libc().close(efd);
  }
});

// ---- Probe, personality -----------------------------------------------------------------------------------------

test("registerProbe reports NOP and READ as supported, and PIPE where the kernel is 6.16 or later", () => {
  const ring = new Ring(4);
  try {
    const p = registerProbe(ring);
    assert.ok(p.lastOp >= IORING_OP_READ, `last_op ${p.lastOp}`);
    assert.equal(p.opsLen, p.lastOp + 1);
    assert.ok((p.opFlags[IORING_OP_NOP] ?? 0) & IO_URING_OP_SUPPORTED);
    assert.ok((p.opFlags[IORING_OP_READ] ?? 0) & IO_URING_OP_SUPPORTED);
    const pipe = ((p.opFlags[IORING_OP_PIPE] ?? 0) & IO_URING_OP_SUPPORTED) !== 0;
    assert.equal(pipe, kernelVersionAtLeast(6, 16), `IORING_OP_PIPE supported: ${pipe}`);
  } finally {
    ring.close();
  }
});

test("registerPersonality: an SQE naming the id runs; after unregistering it fails with EINVAL", () => {
  const ring = new Ring(4);
  try {
    const id = registerPersonality(ring);
    assert.ok(id > 0 && id <= 0xffff, `id ${id}`);
    const nopAs = (ud: number) => {
      const sqe = sqeOf(ring, ud);
      prepNop(sqe);
      sqe.u16[21] = id; // personality, u16 at byte 42
      return reapOne(ring).res;
    };
    assert.equal(nopAs(1), 0);
    unregisterPersonality(ring, id);
    assert.equal(nopAs(2), -EINVAL);
    assert.throws(() => unregisterPersonality(ring, id), isCode("EINVAL"));
  } finally {
    ring.close();
  }
});

// ---- Restrictions -----------------------------------------------------------------------------------------------

test("registerRestrictions: a ring restricted to NOP refuses READ with -EACCES and unlisted register ops", () => {
  const ring = new Ring(4, { flags: IORING_SETUP_R_DISABLED });
  const [r, w] = pipe();
  const buf = NativeMemory.allocate(64);
  try {
    registerRestrictions(ring, [
      { opcode: IORING_RESTRICTION_SQE_OP, sqeOp: IORING_OP_NOP },
      { opcode: IORING_RESTRICTION_REGISTER_OP, registerOp: IORING_REGISTER_PROBE },
    ]);
    assert.throws(() => registerRestrictions(ring, [{ opcode: IORING_RESTRICTION_SQE_OP, sqeOp: 1 }]),
      isCode("EBUSY"), "only once");
    ring.enable();
    assert.equal(ring.ringIndex, -1, "a restricted ring keeps its plain fd (unregistering could be refused)");
    prepNop(sqeOf(ring, 1));
    assert.equal(reapOne(ring).res, 0);
    writeText(w, "x");
    prepRead(sqeOf(ring, 2), r, buf.address, 64, -1);
    assert.equal(reapOne(ring).res, -EACCES);
    assert.ok(registerProbe(ring).lastOp > 0, "PROBE is allowed");
    assert.throws(() => registerPersonality(ring), isCode("EACCES"));
  } finally {
    ring.close();
    buf.free();
    closeAll(r, w);
  }
  const open = new Ring(4);
  try {
    assert.throws(() => registerRestrictions(open, [{ opcode: IORING_RESTRICTION_SQE_OP, sqeOp: 0 }]), refused,
      "needs IORING_SETUP_R_DISABLED");
    const disabled = new Ring(4, { flags: IORING_SETUP_R_DISABLED });
    try {
      assert.throws(() => registerRestrictions(disabled, [{ opcode: IORING_RESTRICTION_SQE_OP }]), refused);
      assert.throws(() => registerRestrictions(disabled, [{ opcode: 9, sqeOp: 0 }]), refused);
    } finally {
      disabled.close();
    }
  } finally {
    open.close();
  }
});

// ---- io-wq ------------------------------------------------------------------------------------------------------

test("registerIowqMaxWorkers returns the previous limits; registerIowqAff round-trips", () => {
  const ring = new Ring(4);
  try {
    const before = registerIowqMaxWorkers(ring, [0, 0]);
    try {
      registerIowqMaxWorkers(ring, [2, 3]);
      assert.deepEqual(registerIowqMaxWorkers(ring, [0, 0]), [2, 3]);
    } finally {
      // The limits belong to this thread's io-wq, shared with every other ring of the test run: put them back.
      registerIowqMaxWorkers(ring, before);
    }
    registerIowqAff(ring, [0]);
    unregisterIowqAff(ring);
    assert.throws(() => registerIowqAff(ring, []), refused);
    // The kernel keeps only the bits of CPUs that can exist: CPU 8191 would have vanished from the mask silently.
    assert.throws(() => registerIowqAff(ring, [0, 8191]), /CPU 8191 does not exist/);
  } finally {
    ring.close();
  }
});

// ---- Sync cancel ------------------------------------------------------------------------------------------------

test("registerSyncCancel cancels a pending TIMEOUT by user_data; its CQE carries -ECANCELED",
  skipIf(noSyncCancel, "registerSyncCancel"), () => {
  const ring = new Ring(4);
  const ts = NativeMemory.allocate(16);
  try {
    new BigInt64Array(ts.buffer)[0] = 10n; // { tv_sec 10, tv_nsec 0 }
    prepRw(IORING_OP_TIMEOUT, sqeOf(ring, 42), -1, ts.address, 1, 0);
    assert.equal(ring.submit(), 1);
    assert.equal(registerSyncCancel(ring, { userData: 42 }), 1);
    assert.deepEqual(reap(ring, 1), [{ userData: 42, res: -ECANCELED, flags: 0 }]);
    assert.throws(() => registerSyncCancel(ring, { userData: 42 }), isCode("ENOENT"));
    assert.throws(() => registerSyncCancel(ring, {}), refused, "nothing to match");
    // IORING_ASYNC_CANCEL_FD (1 << 1) without an fd would match fd 0.
    assert.throws(() => registerSyncCancel(ring, { flags: 1 << 1 }), /need fd/);
  } finally {
    ring.close();
    ts.free();
  }
});

test("registerSyncCancel by opcode with IORING_ASYNC_CANCEL_ALL cancels every pending TIMEOUT",
  skipIf(noCancelOp, "registerSyncCancel by opcode"), () => {
  const ring = new Ring(4);
  const ts = NativeMemory.allocate(16);
  try {
    new BigInt64Array(ts.buffer)[0] = 10n; // { tv_sec 10, tv_nsec 0 }
    prepRw(IORING_OP_TIMEOUT, sqeOf(ring, 43), -1, ts.address, 1, 0);
    prepRw(IORING_OP_TIMEOUT, sqeOf(ring, 44), -1, ts.address, 1, 0);
    ring.submit();
    assert.equal(registerSyncCancel(ring, { opcode: IORING_OP_TIMEOUT, flags: 1 /* CANCEL_ALL */ }), 2);
    assert.deepEqual(reap(ring, 2).map((c) => c.res), [-ECANCELED, -ECANCELED]);
  } finally {
    ring.close();
    ts.free();
  }
});

// ---- Clock, NAPI, MSG_RING --------------------------------------------------------------------------------------

test("registerClock accepts CLOCK_BOOTTIME and CLOCK_MONOTONIC and refuses CLOCK_REALTIME",
  skipIf(noClock, "registerClock"), () => {
  const ring = new Ring(4);
  try {
    registerClock(ring, CLOCK_BOOTTIME);
    ring.submitAndWait(0, { timeoutNs: 1e6 }); // a wait on the new clock still works
    registerClock(ring, CLOCK_MONOTONIC);
    assert.throws(() => registerClock(ring, 0), isCode("EINVAL"));
  } finally {
    ring.close();
  }
});

test("registerClock on a kernel without IORING_REGISTER_CLOCK says the version it needs, not that the clock is wrong",
  skipIf(!noClock && "this kernel has IORING_REGISTER_CLOCK", "registerClock needs"), () => {
  const ring = new Ring(4);
  try {
    assert.throws(() => registerClock(ring, CLOCK_MONOTONIC),
      (e: unknown) => isCode("EINVAL")(e) && /IORING_REGISTER_CLOCK needs Linux 6\.12/.test((e as Error).message));
  } finally {
    ring.close();
  }
});

test("a register opcode the kernel lacks fails with EINVAL naming the opcode and the Linux version it needs", {
  ...skipIf(REGISTER_OPCODES.every((o) => !registerOpMissing(o.value)) &&
    "this kernel has every register opcode ringside knows", "register opcode needs"),
}, () => {
  const missing = REGISTER_OPCODES.filter((o) => registerOpMissing(o.value));
  const ring = new Ring(4);
  try {
    for (const o of missing) {
      const res = ring.register(o.value, null, 0);
      assert.equal(res, -EINVAL, `${o.name}: the kernel answers an unknown register opcode with EINVAL`);
      assert.throws(() => checkRegister(res, o.value, "try it"),
        (e: unknown) => isCode("EINVAL")(e) && (e as Error).message.includes(`${o.name} needs Linux ${o.since}`));
    }
    // A kernel that has the opcode gets the call's own hints.
    assert.throws(() => checkRegister(-EINVAL, IORING_REGISTER_PROBE, "probe", { EINVAL: "own hint" }), /own hint/);
  } finally {
    ring.close();
  }
});

test("registerNapi with dynamic tracking returns the previous settings and unregisterNapi the last ones",
  skipIf(noNapi, "NAPI"), () => {
  const ring = new Ring(4);
  try {
    const first = registerNapi(ring, { busyPollTimeoutUs: 100, preferBusyPoll: true });
    assert.deepEqual([first.busyPollTimeoutUs, first.preferBusyPoll], [0, false]);
    const second = registerNapi(ring, { busyPollTimeoutUs: 20 });
    assert.deepEqual([second.busyPollTimeoutUs, second.preferBusyPoll], [100, true]);
    assert.deepEqual(unregisterNapi(ring), { busyPollTimeoutUs: 20, preferBusyPoll: false });
  } finally {
    ring.close();
  }
});

test("registerNapi returns the previous settings and unregisterNapi the last ones",
  skipIf(noNapiStatic, "NAPI"), () => {
  const ring = new Ring(4);
  try {
    const first = registerNapi(ring, { busyPollTimeoutUs: 100, preferBusyPoll: true,
      tracking: IO_URING_NAPI_TRACKING_STATIC });
    assert.deepEqual(first, { busyPollTimeoutUs: 0, preferBusyPoll: false, tracking: IO_URING_NAPI_TRACKING_INACTIVE });
    const second = registerNapi(ring, { busyPollTimeoutUs: 20 });
    assert.deepEqual(second, { busyPollTimeoutUs: 100, preferBusyPoll: true, tracking: IO_URING_NAPI_TRACKING_STATIC });
    assert.deepEqual(unregisterNapi(ring), { busyPollTimeoutUs: 20, preferBusyPoll: false });
    assert.throws(() => registerNapi(ring, { opcode: IO_URING_NAPI_STATIC_ADD_ID, napiId: 1 }), isCode("EINVAL"),
      "static IDs need static tracking");
    assert.throws(() => registerNapi(ring, { opcode: IO_URING_NAPI_STATIC_ADD_ID }), refused);
  } finally {
    ring.close();
  }
});

test("registerSyncMsg posts a CQE on a ring without a source ring", skipIf(noSyncMsg, "registerSyncMsg"), () => {
  const ring = new Ring(4);
  try {
    registerSyncMsg(ring, { userData: 9, res: 123 });
    assert.deepEqual(reap(ring, 1), [{ userData: 9, res: 123, flags: 0 }]);
  } finally {
    ring.close();
  }
});

// ---- Provided-buffer rings --------------------------------------------------------------------------------------

/** Adds one buffer at ring index `idx` and publishes tail `idx + 1`, as io_uring_buf_ring_add + advance do. */
function addBuffer(ringMem: NativeMemory, idx: number, buf: NativeMemory, bid: number): void {
  const v = new DataView(ringMem.buffer);
  v.setBigUint64(idx * 16, BigInt(buf.address), true);
  v.setUint32(idx * 16 + 8, buf.byteLength, true);
  v.setUint16(idx * 16 + 12, bid, true);
  Atomics.store(new Uint16Array(ringMem.buffer), 7, idx + 1); // the u16 tail at byte 14
}

// A group without a ring is ENOENT; before 6.10 groups below 64 lived in a fixed array, so the kernel found an
// empty list there and answered EINVAL (io_uring/kbuf.c io_buffer_get_list, io_unregister_pbuf_ring).
const noRingCode = (e: unknown) => isCode("ENOENT")(e) || (!kernelVersionAtLeast(6, 10) && isCode("EINVAL")(e));

function readSelecting(ring: Ring, fd: number, bgid: number): Cqe {
  const sqe = sqeOf(ring, 700);
  prepRead(sqe, fd, 0, 4096, -1);
  sqeSetFlags(sqe, IOSQE_BUFFER_SELECT);
  sqeSetBufGroup(sqe, bgid);
  return reapOne(ring);
}

test("registerBufRing: a READ with IOSQE_BUFFER_SELECT fills the ring's buffer and the head advances",
  skipIf(noBufRing, "registerBufRing"), () => {
  const ring = new Ring(4);
  const [r, w] = pipe();
  const ringMem = NativeMemory.allocate(8 * 16);
  const data = NativeMemory.allocate(4096);
  try {
    const br = registerBufRing(ring, { memory: ringMem, entries: 8, bgid: 7 });
    assert.equal(br.memory, ringMem);
    assert.ok(ringMem.isPinned);
    assert.throws(() => ringMem.free(), refused);
    if (!noBufStatus) assert.equal(bufRingHead(ring, 7), 0); // the head through PBUF_STATUS: Linux 6.8
    addBuffer(ringMem, 0, data, 3);
    writeText(w, "ring data");
    const cqe = readSelecting(ring, r, 7);
    assert.equal(cqe.res, 9);
    assert.ok(cqe.flags & IORING_CQE_F_BUFFER);
    assert.equal(cqe.flags >>> IORING_CQE_BUFFER_SHIFT, 3);
    assert.equal(text(data, 9), "ring data");
    if (!noBufStatus) assert.equal(bufRingHead(ring, 7), 1);
    writeText(w, "more");
    assert.equal(readSelecting(ring, r, 7).res, -105, "ENOBUFS: the ring is empty");
    assert.throws(() => registerBufRing(ring, { memory: ringMem, entries: 8, bgid: 7 }), refused, "bgid taken");
    unregisterBufRing(ring, 7);
    assert.ok(!ringMem.isPinned);
    if (!noBufStatus) assert.throws(() => bufRingHead(ring, 7), noRingCode);
    assert.throws(() => unregisterBufRing(ring, 7), noRingCode);
  } finally {
    ring.close();
    ringMem.free();
    data.free();
    closeAll(r, w);
  }
});

test("registerBufRing with IOU_PBUF_RING_MMAP maps the kernel's ring and unmaps it on unregister",
  skipIf(noBufRingMmap, "registerBufRing with IOU_PBUF_RING_MMAP"), () => {
  const ring = new Ring(4);
  const [r, w] = pipe();
  const data = NativeMemory.allocate(4096);
  try {
    const br = registerBufRing(ring, { entries: 16, bgid: 300, flags: IOU_PBUF_RING_MMAP });
    assert.ok(br.memory.byteLength >= 16 * 16);
    addBuffer(br.memory, 0, data, 11);
    writeText(w, "mapped");
    const cqe = readSelecting(ring, r, 300);
    assert.equal(cqe.res, 6);
    assert.equal(cqe.flags >>> IORING_CQE_BUFFER_SHIFT, 11);
    assert.equal(text(data, 6), "mapped");
    if (!noBufStatus) assert.equal(bufRingHead(ring, 300), 1); // PBUF_STATUS: Linux 6.8
    unregisterBufRing(ring, 300);
    assert.ok(br.memory.isFreed);
  } finally {
    ring.close();
    data.free();
    closeAll(r, w);
  }
});

test("registerBufRing validates entries, memory size and kind before the kernel", () => {
  const ring = new Ring(4);
  const small = NativeMemory.allocate(100);
  try {
    const cases: unknown[] = [
      { memory: small, entries: 3, bgid: 1 },
      { memory: small, entries: 65536, bgid: 1 },
      { memory: small, entries: 8, bgid: 1 }, // 128 bytes needed
      { memory: new Uint8Array(4096), entries: 8, bgid: 1 },
      { memory: small, entries: 4, bgid: 70000 },
      { memory: small, entries: 4, bgid: 1, flags: IOU_PBUF_RING_MMAP },
      { memory: small, entries: 4, bgid: 1, flags: 4 },
    ];
    for (const c of cases) {
      assert.throws(() => registerBufRing(ring, c as Parameters<typeof registerBufRing>[1]), refused, JSON.stringify(c));
    }
    assert.ok(!small.isPinned);
  } finally {
    ring.close();
    small.free();
  }
});
