/**
 * The ring's registered (fixed) buffer table: `io_uring_register(2)` with IORING_REGISTER_BUFFERS, BUFFERS2,
 * BUFFERS_UPDATE, UNREGISTER_BUFFERS and CLONE_BUFFERS. READ_FIXED, WRITE_FIXED, SEND_ZC with
 * IORING_RECVSEND_FIXED_BUF and the like name a buffer by its index, and the kernel skips pinning its pages per
 * request. Each function is named after liburing's and throws a `UringError` naming the errno and the opcode.
 *
 * The kernel keeps a registered buffer's address after the call, so only {@link NativeMemory} is accepted, never
 * a garbage-collected TypedArray, and it is pinned while registered: `free()` refuses until it is unregistered,
 * replaced, or the ring is closed and `releaseRegistrations` has run. (The kernel pins the pages itself, so an
 * unmapped registered buffer cannot corrupt memory; but I/O into it would go to pages the process no longer sees,
 * which is the bug the pin prevents.)
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 *
 * const ring = new Ring(8);
 * const mem = NativeMemory.allocate(65536);
 * registerBuffers(ring, [mem]); // buffer index 0, pinned
 * // ... READ_FIXED / WRITE_FIXED with buf_index 0 ...
 * unregisterBuffers(ring); // unpinned
 * mem.free();
 * ring.close();
 * ```
 *
 * @module
 */
import { check, refuse } from "../core/errors.ts";
import { NativeMemory } from "../core/memory.ts";
import { checkCount, checkU32 } from "../core/_validate.ts";
import { putU64 } from "../abi/_u64.ts";
import { IOVEC_SIZE, putIovec } from "../abi/structs.ts";
import {
  io_uring_clone_buffers,
  io_uring_rsrc_register,
  io_uring_rsrc_update2,
  IORING_REGISTER_BUFFERS,
  IORING_REGISTER_BUFFERS2,
  IORING_REGISTER_BUFFERS_UPDATE,
  IORING_REGISTER_CLONE_BUFFERS,
  IORING_REGISTER_DST_REPLACE,
  IORING_REGISTER_SRC_REGISTERED,
  IORING_RSRC_REGISTER_SPARSE,
  IORING_UNREGISTER_BUFFERS,
} from "../abi/uapi.ts";
import { ENXIO } from "../abi/errno.ts";
import { align8, checkTags, isZero, live, setSlots, stateOf, states, withScratch } from "./_register.ts";
import { checkRegister } from "./_since.ts";
import { IORING_MAX_REG_BUFFER_SIZE, IORING_MAX_REG_BUFFERS } from "./limits.ts";
import type { Ring } from "./ring.ts";

/**
 * One buffer to register: a whole {@link NativeMemory}, or a range of one. Only native memory is accepted: the
 * kernel keeps the address after the call, and a garbage-collected ArrayBuffer may be freed or reused meanwhile.
 */
export type BufferSpec = NativeMemory | {
  /** The native memory the buffer lies in. */
  memory: NativeMemory;
  /** Byte offset of the buffer within `memory` (default 0). */
  offset?: number;
  /** Length in bytes (default: the rest of `memory`). */
  length?: number;
};

interface ResolvedBuffer {
  memory: NativeMemory;
  address: number;
  length: number;
}

function resolveBuffer(op: string, spec: BufferSpec, i: number): ResolvedBuffer {
  const memory = spec instanceof NativeMemory ? spec : spec?.memory;
  if (!(memory instanceof NativeMemory)) {
    refuse(op, `buffers[${i}] must be a NativeMemory or { memory: NativeMemory, offset, length }: the kernel keeps ` +
      "the address, so garbage-collected memory (a TypedArray or ArrayBuffer) cannot be registered");
  }
  if (memory.isFreed) refuse(op, `buffers[${i}] was freed`);
  const offset = spec instanceof NativeMemory ? 0 : spec.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0 || offset >= memory.byteLength) {
    refuse(op, `buffers[${i}].offset must be from 0 to ${memory.byteLength - 1}, got ${offset}`);
  }
  const length = spec instanceof NativeMemory ? memory.byteLength : spec.length ?? memory.byteLength - offset;
  if (!Number.isInteger(length) || length < 1 || offset + length > memory.byteLength) {
    refuse(op, `buffers[${i}]: ${offset} + ${length} bytes do not fit in its ${memory.byteLength}-byte memory`);
  }
  if (length > IORING_MAX_REG_BUFFER_SIZE) {
    refuse(op, `buffers[${i}] is ${length} bytes; the kernel registers at most 1 GiB per buffer`);
  }
  return { memory, address: memory.address + offset, length };
}

function resolveBuffers(op: string, buffers: readonly (BufferSpec | null)[], allowEmpty: boolean) {
  if (!Array.isArray(buffers)) refuse(op, "buffers must be an array");
  return buffers.map((b, i) => {
    if (b === null || b === undefined) {
      if (!allowEmpty) refuse(op, `buffers[${i}] is ${b}; use registerBuffersSparse for empty slots`);
      return null;
    }
    return resolveBuffer(op, b, i);
  });
}

/** Pins each buffer's memory once per slot (undone by {@link unpinAll} when the kernel refuses). */
function pinAll(bufs: readonly (ResolvedBuffer | null)[]): void {
  for (const b of bufs) b?.memory.pin();
}

function unpinAll(bufs: readonly (ResolvedBuffer | null)[]): void {
  for (const b of bufs) b?.memory.unpin();
}

function writeIovecs(view: DataView, at: number, bufs: readonly (ResolvedBuffer | null)[]): void {
  for (let i = 0; i < bufs.length; i++) {
    const b = bufs[i];
    if (b) putIovec(view, at + i * IOVEC_SIZE, b.address, b.length); // an empty slot stays { NULL, 0 }
  }
}

const BUFFER_HINTS: Readonly<Record<string, string>> = {
  EBUSY: "buffers are already registered with this ring: unregister them first, or update them",
  ENOMEM: "the buffers exceed the locked-memory limit (RLIMIT_MEMLOCK, `ulimit -l`) or memory is short",
  EFAULT: "the kernel could not pin a buffer's pages",
  ENXIO: "no buffers are registered with this ring",
  EINVAL: "the offset and count go past the end of the registered table, or a tag was given for an empty slot",
};

/**
 * Registers `buffers` as the ring's fixed buffers (buffer index i is buffers[i]) for READ_FIXED, WRITE_FIXED,
 * SEND_ZC with IORING_RECVSEND_FIXED_BUF and the like. The kernel pins the pages and keeps the addresses, so only
 * {@link NativeMemory} is accepted, and each is pinned (its `free()` refuses) until {@link unregisterBuffers}, a
 * replacing update, or {@link releaseRegistrations} after the ring is closed. Each buffer is 1 byte to 1 GiB;
 * together they count against RLIMIT_MEMLOCK. Matches liburing's `io_uring_register_buffers` (Linux 5.1).
 *
 * @param buffers 1 to 16384 buffers: whole NativeMemory, or `{ memory, offset, length }` ranges of one.
 * @example
 * ```ts
 * import { NativeMemory } from "ringside-uring/core";
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * const mem = NativeMemory.allocate(1 << 20);
 * registerBuffers(ring, [{ memory: mem, offset: 0, length: 65536 }, { memory: mem, offset: 65536 }]);
 * ```
 */
export function registerBuffers(ring: Ring, buffers: readonly BufferSpec[]): void {
  const op = "register buffers (IORING_REGISTER_BUFFERS)";
  live(ring, op);
  const bufs = resolveBuffers(op, buffers, false);
  checkCount(op, bufs.length, IORING_MAX_REG_BUFFERS, "the number of buffers");
  registerBufferTable(ring, op, bufs, undefined);
}

/**
 * Registers fixed buffers with a tag each: when a tagged buffer leaves the table (update or unregister), the kernel
 * posts a CQE with user_data = its tag, res 0, once no request uses it any more. A null entry leaves its slot
 * empty (tag 0). Pins as {@link registerBuffers} does. Matches liburing's `io_uring_register_buffers_tags`
 * (IORING_REGISTER_BUFFERS2, Linux 5.13).
 *
 * @example
 * ```ts
 * import { NativeMemory } from "ringside-uring/core";
 * import { Ring } from "ringside-uring/ring";
 * declare const mem: NativeMemory;
 * declare const ring: Ring;
 * registerBuffersTags(ring, [mem, null], [5, 0]);
 * ```
 */
export function registerBuffersTags(
  ring: Ring, buffers: readonly (BufferSpec | null)[], tags: readonly (number | bigint)[],
): void {
  const op = "register buffers with tags (IORING_REGISTER_BUFFERS2)";
  live(ring, op);
  const bufs = resolveBuffers(op, buffers, true);
  checkCount(op, bufs.length, IORING_MAX_REG_BUFFERS, "the number of buffers");
  checkTags(op, tags, bufs.length);
  bufs.forEach((b, i) => {
    if (!b && !isZero(tags[i]!)) refuse(op, `tags[${i}] must be 0 for an empty slot`); // checkTags: one per buffer
  });
  registerBufferTable(ring, op, bufs, tags);
}

function registerBufferTable(
  ring: Ring, op: string, bufs: readonly (ResolvedBuffer | null)[], tags: readonly (number | bigint)[] | undefined,
): void {
  const n = bufs.length;
  pinAll(bufs);
  try {
    if (!tags) {
      withScratch(n * IOVEC_SIZE, (mem, v) => {
        writeIovecs(v, 0, bufs);
        const res = ring.register(IORING_REGISTER_BUFFERS, mem.bytes.subarray(0, n * IOVEC_SIZE), n);
        checkRegister(res, IORING_REGISTER_BUFFERS, op, BUFFER_HINTS);
      });
    } else {
      const iovAt = align8(io_uring_rsrc_register.SIZE);
      const tagsAt = iovAt + n * IOVEC_SIZE;
      withScratch(tagsAt + n * 8, (mem, v) => {
        v.setUint32(io_uring_rsrc_register.nr, n, true);
        putU64(v, io_uring_rsrc_register.data, mem.address + iovAt);
        putU64(v, io_uring_rsrc_register.tags, mem.address + tagsAt);
        writeIovecs(v, iovAt, bufs);
        for (const [i, tag] of tags.entries()) putU64(v, tagsAt + i * 8, tag);
        checkRegister(ring.register(IORING_REGISTER_BUFFERS2, mem.bytes.subarray(0, io_uring_rsrc_register.SIZE),
          io_uring_rsrc_register.SIZE), IORING_REGISTER_BUFFERS2, op, BUFFER_HINTS);
      });
    }
  } catch (e) {
    unpinAll(bufs);
    throw e;
  }
  const s = stateOf(ring);
  setSlots(s, 0, [], s.buffers.length); // a successful registration means the kernel's table was empty
  s.buffers = bufs.map((b) => b?.memory ?? null);
}

/**
 * Registers an empty fixed-buffer table of `n` slots, to be filled by {@link registerBuffersUpdate} or
 * {@link cloneBuffersOffset}. Matches liburing's `io_uring_register_buffers_sparse` (Linux 5.19).
 *
 * @example
 * ```ts
 * import { NativeMemory } from "ringside-uring/core";
 * import { Ring } from "ringside-uring/ring";
 * declare const mem: NativeMemory;
 * declare const ring: Ring;
 * registerBuffersSparse(ring, 16);
 * registerBuffersUpdate(ring, 3, [mem]); // slot 3
 * ```
 */
export function registerBuffersSparse(ring: Ring, n: number): void {
  const op = "register a sparse buffer table (IORING_REGISTER_BUFFERS2)";
  live(ring, op);
  checkCount(op, n, IORING_MAX_REG_BUFFERS, "the number of slots");
  const arg = new Uint8Array(io_uring_rsrc_register.SIZE);
  const v = new DataView(arg.buffer);
  v.setUint32(io_uring_rsrc_register.nr, n, true);
  v.setUint32(io_uring_rsrc_register.flags, IORING_RSRC_REGISTER_SPARSE, true);
  checkRegister(ring.register(IORING_REGISTER_BUFFERS2, arg, io_uring_rsrc_register.SIZE), IORING_REGISTER_BUFFERS2, op,
    BUFFER_HINTS, [{ used: true, what: "IORING_RSRC_REGISTER_SPARSE", since: "5.19" }]);
  const s = stateOf(ring);
  setSlots(s, 0, [], s.buffers.length);
  s.buffers = new Array<NativeMemory | null>(n).fill(null);
}

/**
 * Replaces fixed-buffer slots `offset .. offset + buffers.length - 1`: a buffer installs it (pinned), null empties
 * the slot; the memory that was there is unpinned. A tag (optional, 0 for none and for empty slots) asks for a CQE
 * when that buffer later leaves the table. Returns how many slots were updated (fewer than asked when the kernel
 * stopped at a buffer it could not register after updating some; only those are re-pinned). Requests already
 * using a replaced buffer keep it until they complete. Matches liburing's `io_uring_register_buffers_update_tag`
 * (IORING_REGISTER_BUFFERS_UPDATE, Linux 5.13).
 *
 * @example
 * ```ts
 * import { NativeMemory } from "ringside-uring/core";
 * import { Ring } from "ringside-uring/ring";
 * declare const mem: NativeMemory;
 * declare const ring: Ring;
 * registerBuffersSparse(ring, 4);
 * registerBuffersUpdateTag(ring, 1, [mem], [55]); // 1
 * ```
 */
export function registerBuffersUpdateTag(
  ring: Ring, offset: number, buffers: readonly (BufferSpec | null)[], tags?: readonly (number | bigint)[],
): number {
  const op = "update registered buffers (IORING_REGISTER_BUFFERS_UPDATE)";
  live(ring, op);
  checkU32(op, offset, "offset", IORING_MAX_REG_BUFFERS - 1);
  const bufs = resolveBuffers(op, buffers, true);
  checkCount(op, bufs.length, IORING_MAX_REG_BUFFERS, "the number of buffers");
  if (tags) {
    checkTags(op, tags, bufs.length);
    bufs.forEach((b, i) => {
      if (!b && !isZero(tags[i]!)) refuse(op, `tags[${i}] must be 0 for an empty slot`); // checkTags: one per buffer
    });
  }
  const n = bufs.length;
  const iovAt = align8(io_uring_rsrc_update2.SIZE);
  const tagsAt = iovAt + n * IOVEC_SIZE;
  pinAll(bufs);
  let done: number;
  try {
    done = withScratch(tagsAt + n * 8, (mem, v) => {
      v.setUint32(io_uring_rsrc_update2.offset, offset, true);
      putU64(v, io_uring_rsrc_update2.data, mem.address + iovAt);
      if (tags) putU64(v, io_uring_rsrc_update2.tags, mem.address + tagsAt);
      v.setUint32(io_uring_rsrc_update2.nr, n, true);
      writeIovecs(v, iovAt, bufs);
      if (tags) for (const [i, tag] of tags.entries()) putU64(v, tagsAt + i * 8, tag);
      const res = ring.register(IORING_REGISTER_BUFFERS_UPDATE, mem.bytes.subarray(0, io_uring_rsrc_update2.SIZE),
        io_uring_rsrc_update2.SIZE);
      return checkRegister(res, IORING_REGISTER_BUFFERS_UPDATE, op, BUFFER_HINTS);
    });
  } catch (e) {
    unpinAll(bufs);
    throw e;
  }
  unpinAll(bufs.slice(done)); // the kernel stopped before these
  setSlots(stateOf(ring), offset, bufs.map((b) => b?.memory ?? null), done);
  return done;
}

/**
 * {@link registerBuffersUpdateTag} without tags. liburing has only the `_tag` form (passing NULL tags); this is
 * that call. IORING_REGISTER_BUFFERS_UPDATE, Linux 5.13.
 *
 * @example
 * ```ts
 * import { NativeMemory } from "ringside-uring/core";
 * import { Ring } from "ringside-uring/ring";
 * declare const newMem: NativeMemory;
 * declare const ring: Ring;
 * registerBuffersUpdate(ring, 0, [newMem]); // old slot-0 memory is unpinned
 * ```
 */
export function registerBuffersUpdate(ring: Ring, offset: number, buffers: readonly (BufferSpec | null)[]): number {
  return registerBuffersUpdateTag(ring, offset, buffers);
}

/**
 * Unregisters every fixed buffer and unpins their memory. Requests still using one keep it until they complete
 * (the kernel holds the pages meanwhile). Throws ENXIO when none are registered. Matches liburing's
 * `io_uring_unregister_buffers` (Linux 5.1).
 *
 * @example
 * ```ts
 * import { NativeMemory } from "ringside-uring/core";
 * import { Ring } from "ringside-uring/ring";
 * declare const mem: NativeMemory;
 * declare const ring: Ring;
 * unregisterBuffers(ring);
 * mem.free();
 * ```
 */
export function unregisterBuffers(ring: Ring): void {
  const op = "unregister buffers (IORING_UNREGISTER_BUFFERS)";
  live(ring, op);
  const res = ring.register(IORING_UNREGISTER_BUFFERS, null, 0);
  const s = states.get(ring);
  // ENXIO: the kernel holds no table, so whatever ringside recorded is stale.
  if (s && (res >= 0 || res === -ENXIO)) {
    setSlots(s, 0, [], s.buffers.length);
    s.buffers = [];
  }
  check(res, op, BUFFER_HINTS);
}

/**
 * Copies all of `src`'s registered buffers into `dst`, which must have none: both rings then use the same pinned
 * pages (no new accounting). The memory is pinned once more for `dst`. Both rings must belong to the same user
 * and, when `src` is SINGLE_ISSUER, to this thread. Matches liburing's `io_uring_clone_buffers` (Linux 6.12).
 *
 * @example
 * ```ts
 * import { NativeMemory } from "ringside-uring/core";
 * import { Ring } from "ringside-uring/ring";
 * declare const dst: Ring;
 * declare const mem: NativeMemory;
 * declare const src: Ring;
 * registerBuffers(src, [mem]);
 * cloneBuffers(dst, src); // dst's buffer 0 is mem as well
 * ```
 */
export function cloneBuffers(dst: Ring, src: Ring): void {
  cloneBuffersOffset(dst, src, 0, 0, 0, 0);
}

/**
 * Clones `nr` of `src`'s registered buffers starting at `srcOff` into `dst` at `dstOff` (nr 0: all of them, with
 * both offsets 0). Without IORING_REGISTER_DST_REPLACE `dst` must have no buffers; with it, the slots in the range
 * are replaced (their memory unpinned) and the others kept. Matches liburing's `io_uring_clone_buffers_offset`
 * (Linux 6.13; whole-table cloning 6.12).
 *
 * @param flags 0 or IORING_REGISTER_DST_REPLACE; IORING_REGISTER_SRC_REGISTERED is added when `src` exists only as
 *   a registered ring index.
 * @example
 * ```ts
 * import { IORING_REGISTER_DST_REPLACE } from "ringside-uring/abi";
 * import { Ring } from "ringside-uring/ring";
 * declare const dst: Ring;
 * declare const src: Ring;
 * cloneBuffersOffset(dst, src, 4, 0, 2, IORING_REGISTER_DST_REPLACE); // src 0..1 -> dst 4..5
 * ```
 */
export function cloneBuffersOffset(
  dst: Ring, src: Ring, dstOff: number, srcOff: number, nr: number, flags: number,
): void {
  const op = "clone registered buffers (IORING_REGISTER_CLONE_BUFFERS)";
  live(dst, op);
  live(src, op);
  if (dst === src) refuse(op, "the source and destination rings are the same");
  checkU32(op, dstOff, "dstOff", IORING_MAX_REG_BUFFERS);
  checkU32(op, srcOff, "srcOff", IORING_MAX_REG_BUFFERS);
  checkU32(op, nr, "nr", IORING_MAX_REG_BUFFERS);
  checkU32(op, flags, "flags"); // NaN or 1.5 would pass the mask test below
  if ((flags & ~(IORING_REGISTER_DST_REPLACE | IORING_REGISTER_SRC_REGISTERED)) !== 0) {
    refuse(op, `flags may only hold IORING_REGISTER_DST_REPLACE and IORING_REGISTER_SRC_REGISTERED, got ${flags}`);
  }
  if (nr === 0 && (dstOff !== 0 || srcOff !== 0)) refuse(op, "offsets need a count (nr)");
  const arg = new Uint32Array(io_uring_clone_buffers.SIZE / 4);
  if (src.fd >= 0) {
    arg[io_uring_clone_buffers.src_fd / 4] = src.fd;
    flags &= ~IORING_REGISTER_SRC_REGISTERED;
  } else {
    arg[io_uring_clone_buffers.src_fd / 4] = src.ringIndex;
    flags |= IORING_REGISTER_SRC_REGISTERED;
  }
  arg[io_uring_clone_buffers.flags / 4] = flags;
  arg[io_uring_clone_buffers.src_off / 4] = srcOff;
  arg[io_uring_clone_buffers.dst_off / 4] = dstOff;
  arg[io_uring_clone_buffers.nr / 4] = nr;
  const srcSlots = states.get(src)?.buffers ?? [];
  const count = nr === 0 ? srcSlots.length : nr;
  const cloned = srcSlots.slice(srcOff, srcOff + count);
  while (cloned.length < count) cloned.push(null);
  for (const m of cloned) m?.pin();
  try {
    checkRegister(dst.register(IORING_REGISTER_CLONE_BUFFERS, arg, 1), IORING_REGISTER_CLONE_BUFFERS, op, {
      EBUSY: "the destination already has registered buffers (pass IORING_REGISTER_DST_REPLACE to replace them)",
      ENXIO: "the source ring has no registered buffers",
      EINVAL: "the range goes past the source's table, or the rings belong to different users",
      EEXIST: "the source ring is SINGLE_ISSUER and owned by another thread",
    }, [{ used: nr !== 0 || srcOff !== 0 || dstOff !== 0, what: "cloning a range (src_off, dst_off, nr)",
      since: "6.13" }]);
  } catch (e) {
    for (const m of cloned) m?.unpin();
    throw e;
  }
  const d = stateOf(dst);
  if (!(flags & IORING_REGISTER_DST_REPLACE)) {
    setSlots(d, 0, [], d.buffers.length); // the kernel accepted, so dst had no table: older records are stale
    d.buffers = [];
  }
  setSlots(d, dstOff, cloned, count);
}
