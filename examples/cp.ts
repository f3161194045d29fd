/**
 * Copies a file with linked reads and writes over registered buffers.
 *
 *   bun examples/cp.ts SRC DST
 *   deno run -A examples/cp.ts SRC DST
 *
 * Each block of the file gets one registered buffer and two SQEs: a READ_FIXED into the buffer, linked
 * (IOSQE_IO_LINK) to a WRITE_FIXED of the same buffer at the same offset, so the kernel starts the write only
 * once the read has filled the buffer; no round trip through JavaScript between the two. Several blocks are in
 * flight at once, one per buffer.
 *
 * A read that returns fewer bytes than asked breaks the link: the kernel fails the write with ECANCELED
 * (io_uring/rw.c: a short result marks the request failed, and a failed request cancels the rest of its chain).
 * That happens at least once per copy, at the end of the file. The bytes that did arrive are then written on
 * their own and the rest of the block is read again; a read of 0 is the end of the file.
 *
 * This uses the raw layer (Ring + prep helpers) to show the SQEs themselves; `uring/fs/` has the same
 * operations as promises on a Loop.
 *
 * @module
 */
import { closeSync, fstatSync, openSync } from "node:fs";
import process from "node:process";
import { Ring } from "ringside-uring/ring";
import { NativeMemory } from "ringside-uring/core";
import { registerBuffers, unregisterBuffers } from "ringside-uring/ring";
import { prepReadFixed, prepWriteFixed } from "ringside-uring/prep";
import { sqeSetData, sqeSetFlags } from "ringside-uring/ring";
import { IOSQE_IO_LINK } from "ringside-uring/abi";
import { errnoName } from "../ffi/mod.ts";

/** Bytes per block (and per registered buffer). */
const BLOCK = 256 * 1024;
/** Blocks in flight at once (and registered buffers). */
const DEPTH = 8;
const ECANCELED = 125;

/** One block in flight: which bytes of the file it covers and what its buffer is doing. */
interface Slot {
  /** The buffer index (the registered buffer, and the slot in `slots`). */
  readonly index: number;
  /** The file offset of the buffer's first byte. */
  offset: number;
  /** Bytes of the block being read. */
  length: number;
  /** A lone write: where in the buffer it starts, and how long it is. */
  wStart: number;
  wLength: number;
  /** "pair": a linked read + write is in flight; "write": a lone write of `length` bytes; "idle". */
  state: "pair" | "write" | "idle";
  /** CQEs still expected for the current state. */
  waiting: number;
  readRes: number;
  writeRes: number;
  /** After a lone write: the part of the block still to read (a short read's remainder). */
  rest: { offset: number; length: number } | null;
}

// user_data: buffer index * 2, + 1 for the write.
const READ = 0;
const WRITE = 1;

/**
 * Copies `src` to `dst` (created or truncated) and returns the bytes written.
 *
 * @example
 * ```ts
 * const n = copyFile("/tmp/a", "/tmp/b");
 * ```
 */
export function copyFile(src: string, dst: string): number {
  const inFd = openSync(src, "r");
  const outFd = openSync(dst, "w", fstatSync(inFd).mode & 0o7777);
  const ring = new Ring(DEPTH * 2);
  const mem = NativeMemory.allocate(BLOCK * DEPTH);
  let copied = 0;
  try {
    registerBuffers(ring, Array.from({ length: DEPTH }, (_, i) => ({ memory: mem, offset: i * BLOCK, length: BLOCK })));
    // Blocks are read until a read returns 0, not up to the size fstat reports: the last block of a regular file
    // comes back short (the link then breaks, see above), and files whose size says nothing (/proc) copy too.
    let eof = false;
    let next = 0; // the next offset not yet handed to a slot
    const slots: Slot[] = Array.from({ length: DEPTH }, (_, index) => ({
      index, offset: 0, length: 0, wStart: 0, wLength: 0, state: "idle", waiting: 0, readRes: 0, writeRes: 0, rest: null,
    }));
    const bufAddr = (s: Slot) => mem.address + s.index * BLOCK;

    const submitPair = (s: Slot, offset: number, length: number) => {
      s.offset = offset;
      s.length = length;
      s.state = "pair";
      s.waiting = 2;
      const r = ring.getSqe()!; // DEPTH slots * 2 SQEs = the SQ size: there is always room
      prepReadFixed(r, inFd, bufAddr(s), length, offset, s.index);
      sqeSetFlags(r, IOSQE_IO_LINK);
      sqeSetData(r, s.index * 2 + READ);
      const w = ring.getSqe()!;
      prepWriteFixed(w, outFd, bufAddr(s), length, offset, s.index);
      sqeSetData(w, s.index * 2 + WRITE);
    };
    const submitWrite = (s: Slot, start: number, length: number) => {
      s.state = "write";
      s.waiting = 1;
      s.wStart = start;
      s.wLength = length;
      const w = ring.getSqe()!;
      prepWriteFixed(w, outFd, bufAddr(s) + start, length, s.offset + start, s.index);
      sqeSetData(w, s.index * 2 + WRITE);
    };
    /** A write of `length` bytes from `start` in the buffer returned `res`. */
    const wrote = (s: Slot, start: number, length: number, res: number) => {
      if (res <= 0) fail("write", res === 0 ? -5 /* EIO: no progress */ : res, s);
      copied += res;
      if (res < length) submitWrite(s, start + res, length - res); // a short write: write the rest
      else startNext(s);
    };
    const startNext = (s: Slot) => {
      if (s.rest) {
        const { offset, length } = s.rest;
        s.rest = null;
        submitPair(s, offset, length);
      } else if (!eof) {
        submitPair(s, next, BLOCK);
        next += BLOCK;
      } else {
        s.state = "idle";
      }
    };
    const fail = (what: string, res: number, s: Slot): never => {
      throw new Error(`Cannot copy ${src}: ${what} at offset ${s.offset} failed: ${errnoName(-res)}`);
    };

    /** Both CQEs of a linked pair arrived: decide what the block needs next. */
    const pairDone = (s: Slot) => {
      const r = s.readRes, w = s.writeRes;
      if (r < 0) fail("read", r, s);
      if (w !== -ECANCELED) return wrote(s, 0, s.length, w);
      // A short read broke the link: the write never ran.
      if (r === 0) {
        // End of file: no more blocks. (Blocks already in flight past it read 0 too.)
        eof = true;
        s.state = "idle";
        return;
      }
      s.rest = { offset: s.offset + r, length: s.length - r };
      submitWrite(s, 0, r);
    };

    const cqes: [number, number][] = [];
    for (const s of slots) startNext(s);
    while (slots.some((s) => s.state !== "idle")) {
      ring.submitAndWait(1);
      cqes.length = 0;
      ring.forEachCqe((ud, res) => void cqes.push([ud, res])); // handled after reaping, never inside it
      for (const [ud, res] of cqes) {
        const s = slots[ud >> 1]!; // every user_data is ours: slot << 1 | READ or WRITE
        if ((ud & 1) === READ) s.readRes = res;
        else s.writeRes = res;
        if (--s.waiting > 0) continue;
        if (s.state === "pair") pairDone(s);
        else wrote(s, s.wStart, s.wLength, res);
      }
    }
    unregisterBuffers(ring);
  } finally {
    ring.close();
    mem.free();
    closeSync(inFd);
    closeSync(outFd);
  }
  return copied;
}

if (import.meta.main) {
  const [src, dst] = process.argv.slice(2);
  if (!src || !dst) {
    console.error("usage: cp.ts SRC DST");
    process.exit(2);
  }
  try {
    const n = copyFile(src, dst);
    console.log(`copied ${n} bytes from ${src} to ${dst}`);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
}
