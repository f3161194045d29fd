/**
 * Typed wrappers over `io_uring_register(2)`: registered files and buffers, eventfd, probe, personalities,
 * restrictions, io-wq limits, synchronous cancellation, NAPI busy polling, the wait clock, provided-buffer rings,
 * buffer cloning and ring-less MSG_RING. Each function is named after liburing's (`io_uring_register_files` is
 * {@link registerFiles}) and throws a `UringError` (errors.ts) naming the errno and the register opcode.
 *
 * Memory the kernel keeps after the call (registered buffers, buffer rings) can only be given as
 * {@link NativeMemory}, never a garbage-collected TypedArray, and is pinned while registered: `free()` refuses
 * until it is unregistered, replaced, or the ring is closed and {@link releaseRegistrations} has run. (The kernel
 * pins the pages itself, so an unmapped registered buffer cannot corrupt memory; but I/O into it would go to pages
 * the process no longer sees, which is the bug the pin prevents.) Arrays the kernel reads only during the call
 * (fds, tags, iovecs) are copied into native scratch memory for the call.
 *
 * Not wrapped here: IORING_REGISTER_RING_FDS, ENABLE_RINGS and RESIZE_RINGS (methods of {@link Ring}),
 * IORING_REGISTER_QUERY (see `probe.ts`), ZCRX_IFQ/ZCRX_CTRL (need a NIC with header split), MEM_REGION (a region
 * for registered wait arguments, which the waits here do not use yet).
 *
 * @example
 * ```ts
 * import { Ring } from "./ring.ts";
 * import { NativeMemory } from "../core/memory.ts";
 * import { registerBuffers, unregisterBuffers } from "./register.ts";
 *
 * const ring = new Ring(8);
 * const mem = NativeMemory.allocate(65536);
 * registerBuffers(ring, [mem]);          // buffer index 0, pinned
 * // ... READ_FIXED / WRITE_FIXED with buf_index 0 ...
 * unregisterBuffers(ring);               // unpinned
 * mem.free();
 * ring.close();
 * ```
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { cpus as osCpus } from "node:os";
import { liburing } from "../../ffi/mod.ts";
import { check, refuse } from "../core/errors.ts";
import { checkMessageUserData } from "../loop/inbox.ts";
import { writeTimespecNs } from "../abi/timespec.ts";
import { NativeMemory, pageAlign, pageSize } from "../core/memory.ts";
import type { Ring } from "./ring.ts";
import {
  __kernel_timespec,
  io_uring_buf_reg,
  io_uring_buf_status,
  io_uring_clock_register,
  io_uring_clone_buffers,
  io_uring_file_index_range,
  io_uring_files_update,
  io_uring_napi,
  io_uring_probe,
  io_uring_probe_op,
  io_uring_restriction,
  io_uring_rsrc_register,
  io_uring_rsrc_update2,
  io_uring_sqe,
  io_uring_sync_cancel_reg,
  IO_URING_NAPI_REGISTER_OP,
  IO_URING_NAPI_STATIC_ADD_ID,
  IO_URING_NAPI_STATIC_DEL_ID,
  IO_URING_NAPI_TRACKING_DYNAMIC,
  IO_URING_NAPI_TRACKING_STATIC,
  IORING_ASYNC_CANCEL_ALL,
  IORING_ASYNC_CANCEL_ANY,
  IORING_ASYNC_CANCEL_FD,
  IORING_ASYNC_CANCEL_FD_FIXED,
  IORING_ASYNC_CANCEL_OP,
  IORING_ASYNC_CANCEL_USERDATA,
  IORING_MSG_DATA,
  IORING_MSG_RING_FLAGS_PASS,
  IORING_OFF_PBUF_RING,
  IORING_OFF_PBUF_SHIFT,
  IORING_OP_MSG_RING,
  IORING_REGISTER_BUFFERS,
  IORING_REGISTER_BUFFERS2,
  IORING_REGISTER_BUFFERS_UPDATE,
  IORING_REGISTER_CLOCK,
  IORING_REGISTER_CLONE_BUFFERS,
  IORING_REGISTER_DST_REPLACE,
  IORING_REGISTER_EVENTFD,
  IORING_REGISTER_EVENTFD_ASYNC,
  IORING_REGISTER_FILE_ALLOC_RANGE,
  IORING_REGISTER_FILES,
  IORING_REGISTER_FILES2,
  IORING_REGISTER_FILES_SKIP,
  IORING_REGISTER_FILES_UPDATE,
  IORING_REGISTER_FILES_UPDATE2,
  IORING_REGISTER_IOWQ_AFF,
  IORING_REGISTER_IOWQ_MAX_WORKERS,
  IORING_REGISTER_LAST,
  IORING_REGISTER_NAPI,
  IORING_REGISTER_PBUF_RING,
  IORING_REGISTER_PBUF_STATUS,
  IORING_REGISTER_PERSONALITY,
  IORING_REGISTER_PROBE,
  IORING_REGISTER_RESTRICTIONS,
  IORING_REGISTER_SEND_MSG_RING,
  IORING_REGISTER_SRC_REGISTERED,
  IORING_REGISTER_SYNC_CANCEL,
  IORING_RESTRICTION_REGISTER_OP,
  IORING_RESTRICTION_SQE_FLAGS_ALLOWED,
  IORING_RESTRICTION_SQE_FLAGS_REQUIRED,
  IORING_RESTRICTION_SQE_OP,
  IORING_RSRC_REGISTER_SPARSE,
  IORING_SETUP_R_DISABLED,
  IORING_UNREGISTER_BUFFERS,
  IORING_UNREGISTER_EVENTFD,
  IORING_UNREGISTER_FILES,
  IORING_UNREGISTER_IOWQ_AFF,
  IORING_UNREGISTER_NAPI,
  IORING_UNREGISTER_PBUF_RING,
  IORING_UNREGISTER_PERSONALITY,
  IOU_PBUF_RING_INC,
  IOU_PBUF_RING_MMAP,
} from "../abi/uapi.ts";

// ---- Limits the kernel enforces (io_uring/rsrc.c, io_uring/kbuf.c), checked here to fail with a reason ---------

/** Most registered files (IORING_MAX_FIXED_FILES, io_uring/rsrc.c). */
export const IORING_MAX_FIXED_FILES = 1 << 20;
/** Most registered buffers (IORING_MAX_REG_BUFFERS, io_uring/rsrc.c). */
export const IORING_MAX_REG_BUFFERS = 1 << 14;
/** Largest registered buffer: 1 GiB (io_validate_user_buf_range, io_uring/rsrc.c). */
export const IORING_MAX_REG_BUFFER_SIZE = 1 << 30;
/** Most entries of a provided-buffer ring (liburing and the kernel's u16 head/tail; 32768 keeps full != empty). */
export const IORING_MAX_BUF_RING_ENTRIES = 32768;

/** `CLOCK_MONOTONIC` (linux/time.h), the default clock of a ring's waits. */
export const CLOCK_MONOTONIC = 1;
/** `CLOCK_BOOTTIME` (linux/time.h): like MONOTONIC but counts time suspended. */
export const CLOCK_BOOTTIME = 7;

const TWO_32 = 4294967296;
const IOVEC_SIZE = 16; // struct iovec { void *iov_base; size_t iov_len; } on 64-bit

// ---- Per-ring bookkeeping of the memory the kernel holds --------------------------------------------------------

/** A provided-buffer ring as registered through {@link registerBufRing}. */
export interface BufRingRegistration {
  /** The buffer group ID (sqe->buf_group with IOSQE_BUFFER_SELECT). */
  readonly bgid: number;
  /** Entries in the ring (a power of two). */
  readonly entries: number;
  /** The `IOU_PBUF_RING_*` flags it was registered with. */
  readonly flags: number;
  /**
   * The ring's memory: `entries` 16-byte `struct io_uring_buf` entries, the u16 tail at byte 14. The caller's
   * memory, or with IOU_PBUF_RING_MMAP the kernel's ring mapped by ringside (freed on unregister).
   */
  readonly memory: NativeMemory;
}

interface BufRingState extends BufRingRegistration {
  /** Whether ringside mapped the memory (IOU_PBUF_RING_MMAP) and so frees it on unregister. */
  readonly owned: boolean;
}

interface RingState {
  /** The registered buffer table as ringside knows it: the memory behind each slot, null for an empty slot. */
  buffers: (NativeMemory | null)[];
  /** Provided-buffer rings by bgid. */
  bufRings: Map<number, BufRingState>;
}

const states = new WeakMap<Ring, RingState>();

function stateOf(ring: Ring): RingState {
  let s = states.get(ring);
  if (!s) {
    states.set(ring, s = { buffers: [], bufRings: new Map() });
    ring.onClose(() => releaseRegistrations(ring));
  }
  return s;
}

/**
 * Refuses a closed ring, releasing first the pins of what was registered with it (closing the ring made the
 * kernel drop those registrations).
 */
function live(ring: Ring, op: string): void {
  if (!ring.isClosed) return;
  releaseRegistrations(ring);
  refuse(op, "the ring is closed");
}

/**
 * Releases the pins ringside holds for buffers and buffer rings registered with `ring`, after the ring was closed:
 * each registered {@link NativeMemory} can then be freed, and buffer rings that ringside mapped
 * (IOU_PBUF_RING_MMAP) are unmapped. Idempotent. Refuses while the ring is open: unregister instead, since the
 * kernel still uses that memory.
 *
 * Closing the ring's fd is what makes the kernel drop its registrations (its teardown may finish a little later,
 * but it holds its own references to the pages meanwhile, so unmapping now cannot corrupt memory). Call this right
 * after `ring.close()`; every function of this module given a closed ring also calls it before refusing. (A ring's
 * registered fd holds a reference of its own: `close()` unregisters it first, so that reference is gone too.)
 *
 * @example
 * ```ts
 * registerBuffers(ring, [mem]);
 * ring.close();
 * releaseRegistrations(ring);
 * mem.free();
 * ```
 */
export function releaseRegistrations(ring: Ring): void {
  if (!ring.isClosed) {
    refuse("release registrations", "the ring is open: unregister the buffers and buffer rings instead");
  }
  const s = states.get(ring);
  if (!s) return;
  states.delete(ring);
  for (const m of s.buffers) m?.unpin();
  for (const br of s.bufRings.values()) {
    br.memory.unpin();
    if (br.owned) br.memory.free();
  }
}

/**
 * What ringside holds registered with `ring`: the memory behind each registered-buffer slot (null for an empty
 * slot, or one registered behind ringside's back with `Ring.register`) and the provided-buffer rings by bgid.
 * Empty once the ring is closed (the pins are released then).
 *
 * @example
 * ```ts
 * registerBuffers(ring, [mem]);
 * registrations(ring).buffers[0] === mem; // true
 * ```
 */
export function registrations(ring: Ring): {
  buffers: readonly (NativeMemory | null)[];
  bufRings: ReadonlyMap<number, BufRingRegistration>;
} {
  if (ring.isClosed) releaseRegistrations(ring);
  const s = states.get(ring);
  return { buffers: s ? [...s.buffers] : [], bufRings: new Map(s?.bufRings ?? []) };
}

// ---- Native scratch for the arrays a register argument points at ------------------------------------------------

let scratch: NativeMemory | undefined;
const SCRATCH_KEEP = 64 * 1024;

/**
 * Runs `fill` over `bytes` zeroed bytes of native memory, for an argument whose fields point at further arrays
 * (the kernel reads them during the call only; native memory keeps their addresses valid for the whole call on
 * both runtimes). One small scratch mapping is reused; larger ones are made and freed per call.
 */
function withScratch<T>(bytes: number, fill: (mem: NativeMemory, view: DataView) => T): T {
  let mem = scratch;
  if (!mem || mem.byteLength < bytes) {
    mem = NativeMemory.allocate(pageAlign(Math.max(bytes, 1)));
    if (mem.byteLength <= SCRATCH_KEEP) {
      scratch?.free();
      scratch = mem;
    }
  }
  mem.bytes.fill(0, 0, bytes);
  try {
    return fill(mem, new DataView(mem.buffer));
  } finally {
    if (mem !== scratch) mem.free();
  }
}

function putU64(view: DataView, at: number, value: number | bigint): void {
  if (typeof value === "bigint") {
    view.setBigUint64(at, BigInt.asUintN(64, value), true);
    return;
  }
  const lo = value >>> 0;
  view.setUint32(at, lo, true);
  view.setUint32(at + 4, (value - lo) / TWO_32, true);
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

// ---- Validation -------------------------------------------------------------------------------------------------

function isU32(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 0xffffffff;
}

function needU32(op: string, what: string, n: number, max = 0xffffffff): void {
  if (!isU32(n) || n > max) refuse(op, `${what} must be an integer from 0 to ${max}, got ${n}`);
}

function needCount(op: string, what: string, n: number, max: number): void {
  if (!Number.isInteger(n) || n < 1 || n > max) refuse(op, `${what} must be from 1 to ${max}, got ${n}`);
}

/** A tag or user_data: a non-negative safe integer or a bigint that fits in 64 bits. */
function needU64(op: string, what: string, v: number | bigint): void {
  const ok = typeof v === "bigint" ? v >= 0n && v < 1n << 64n : Number.isSafeInteger(v) && v >= 0;
  if (!ok) refuse(op, `${what} must be a non-negative integer below 2^53 (or a bigint below 2^64), got ${v}`);
}

function isZero(v: number | bigint): boolean {
  return typeof v === "bigint" ? v === 0n : v === 0;
}

/** fds for a file table: -1 leaves a slot empty; with `allowSkip`, IORING_REGISTER_FILES_SKIP (-2) keeps it. */
function checkFds(op: string, fds: readonly number[], allowSkip: boolean, tags?: readonly (number | bigint)[]): void {
  if (!Array.isArray(fds)) refuse(op, "fds must be an array of file descriptors");
  if (tags) checkTags(op, tags, fds.length);
  const min = allowSkip ? IORING_REGISTER_FILES_SKIP : -1;
  for (let i = 0; i < fds.length; i++) {
    const fd = fds[i];
    if (!Number.isInteger(fd) || fd < min || fd > 0x7fffffff) {
      refuse(op, `fds[${i}] must be a file descriptor${allowSkip ? ", -1 (empty) or -2 (skip)" : " or -1 (empty)"}` +
        `, got ${fd}`);
    }
    if (tags && fd < 0 && !isZero(tags[i])) {
      refuse(op, `tags[${i}] must be 0 for an empty or skipped slot (fds[${i}] is ${fd})`);
    }
  }
}

function checkTags(op: string, tags: readonly (number | bigint)[], n: number): void {
  if (!Array.isArray(tags) || tags.length !== n) {
    refuse(op, `tags must be an array of the same length as the resources (${n}), got ${tags?.length}`);
  }
  for (let i = 0; i < n; i++) needU64(op, `tags[${i}]`, tags[i]);
}

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
    if (!b) continue; // { NULL, 0 }: an empty slot
    putU64(view, at + i * IOVEC_SIZE, b.address);
    putU64(view, at + i * IOVEC_SIZE + 8, b.length);
  }
}

/**
 * Records that slots `offset .. offset + n - 1` now hold `mems` (already pinned by the caller), unpinning what they
 * held before.
 */
function setSlots(s: RingState, offset: number, mems: readonly (NativeMemory | null)[], n: number): void {
  while (s.buffers.length < offset + n) s.buffers.push(null);
  for (let i = 0; i < n; i++) {
    s.buffers[offset + i]?.unpin();
    s.buffers[offset + i] = mems[i] ?? null;
  }
}

const FILE_HINTS: Readonly<Record<string, string>> = {
  EBUSY: "files are already registered with this ring: unregister them first, or update them",
  EMFILE: "more files than RLIMIT_NOFILE (`ulimit -n`) or the kernel's 1048576",
  EBADF: "a descriptor is not open, or is an io_uring (rings cannot be registered as files)",
  ENXIO: "no files are registered with this ring",
  EINVAL: "the offset and count go past the end of the registered table, or a tag was given for an empty slot",
};

const BUFFER_HINTS: Readonly<Record<string, string>> = {
  EBUSY: "buffers are already registered with this ring: unregister them first, or update them",
  ENOMEM: "the buffers exceed the locked-memory limit (RLIMIT_MEMLOCK, `ulimit -l`) or memory is short",
  EFAULT: "the kernel could not pin a buffer's pages",
  ENXIO: "no buffers are registered with this ring",
  EINVAL: "the offset and count go past the end of the registered table, or a tag was given for an empty slot",
};

// ---- Files ------------------------------------------------------------------------------------------------------

/**
 * Registers `fds` as the ring's fixed-file table: slot i holds fds[i] (-1 leaves a slot empty), used with
 * IOSQE_FIXED_FILE and sqe->fd = i. The kernel takes its own reference: closing the fd afterwards does not
 * unregister it. Matches liburing's `io_uring_register_files` (Linux 5.1); unlike liburing it does not raise
 * RLIMIT_NOFILE on EMFILE.
 *
 * @param ring The ring.
 * @param fds File descriptors, or -1 for an empty slot; 1 to 1048576 of them.
 * @example
 * ```ts
 * registerFiles(ring, [fd]);
 * prepRw(IORING_OP_READ, sqe, 0, buf.address, 4096, -1);
 * sqeSetFlags(sqe, IOSQE_FIXED_FILE); // reads fd through slot 0
 * ```
 */
export function registerFiles(ring: Ring, fds: readonly number[]): void {
  const op = "register files (IORING_REGISTER_FILES)";
  live(ring, op);
  checkFds(op, fds, false);
  needCount(op, "the number of files", fds.length, IORING_MAX_FIXED_FILES);
  check(ring.register(IORING_REGISTER_FILES, Int32Array.from(fds), fds.length), op, FILE_HINTS);
}

/**
 * Registers `fds` with a tag each: when a tagged file leaves the table (update or unregister), the kernel posts a
 * CQE with user_data = its tag, res 0, once no request uses it any more. Tag 0 posts nothing; empty slots (-1)
 * must have tag 0. Matches liburing's `io_uring_register_files_tags` (Linux 5.13).
 *
 * @example
 * ```ts
 * registerFilesTags(ring, [fd], [77]);
 * unregisterFiles(ring); // a CQE with user_data 77 follows
 * ```
 */
export function registerFilesTags(ring: Ring, fds: readonly number[], tags: readonly (number | bigint)[]): void {
  const op = "register files with tags (IORING_REGISTER_FILES2)";
  live(ring, op);
  checkFds(op, fds, false, tags);
  needCount(op, "the number of files", fds.length, IORING_MAX_FIXED_FILES);
  const n = fds.length;
  const fdsAt = align8(io_uring_rsrc_register.SIZE);
  const tagsAt = align8(fdsAt + n * 4);
  withScratch(tagsAt + n * 8, (mem, v) => {
    v.setUint32(io_uring_rsrc_register.nr, n, true);
    putU64(v, io_uring_rsrc_register.data, mem.address + fdsAt);
    putU64(v, io_uring_rsrc_register.tags, mem.address + tagsAt);
    for (let i = 0; i < n; i++) {
      v.setInt32(fdsAt + i * 4, fds[i], true);
      putU64(v, tagsAt + i * 8, tags[i]);
    }
    check(ring.register(IORING_REGISTER_FILES2, mem.bytes.subarray(0, io_uring_rsrc_register.SIZE),
      io_uring_rsrc_register.SIZE), op, FILE_HINTS);
  });
}

/**
 * Registers an empty fixed-file table of `n` slots, to be filled by {@link registerFilesUpdate}, by direct
 * descriptors (openat/accept/socket with a file_index) or IORING_FILE_INDEX_ALLOC. Matches liburing's
 * `io_uring_register_files_sparse` (Linux 5.19).
 *
 * @example
 * ```ts
 * registerFilesSparse(ring, 64);
 * ```
 */
export function registerFilesSparse(ring: Ring, n: number): void {
  const op = "register a sparse file table (IORING_REGISTER_FILES2)";
  live(ring, op);
  needCount(op, "the number of slots", n, IORING_MAX_FIXED_FILES);
  const arg = new Uint8Array(io_uring_rsrc_register.SIZE);
  const v = new DataView(arg.buffer);
  v.setUint32(io_uring_rsrc_register.nr, n, true);
  v.setUint32(io_uring_rsrc_register.flags, IORING_RSRC_REGISTER_SPARSE, true);
  check(ring.register(IORING_REGISTER_FILES2, arg, io_uring_rsrc_register.SIZE), op, FILE_HINTS);
}

/**
 * Replaces slots `offset .. offset + fds.length - 1` of the fixed-file table: a descriptor installs it, -1 empties
 * the slot, IORING_REGISTER_FILES_SKIP (-2) leaves it as it is. Returns how many slots were processed (fewer than
 * asked when the kernel stopped at a bad descriptor after updating some). Matches liburing's
 * `io_uring_register_files_update` (IORING_REGISTER_FILES_UPDATE, Linux 5.5; FILES_SKIP 5.12).
 *
 * @example
 * ```ts
 * registerFilesUpdate(ring, 3, [fd, IORING_REGISTER_FILES_SKIP, -1]); // 3
 * ```
 */
export function registerFilesUpdate(ring: Ring, offset: number, fds: readonly number[]): number {
  const op = "update registered files (IORING_REGISTER_FILES_UPDATE)";
  live(ring, op);
  needU32(op, "offset", offset, IORING_MAX_FIXED_FILES - 1);
  checkFds(op, fds, true);
  needCount(op, "the number of files", fds.length, IORING_MAX_FIXED_FILES);
  const fdsAt = align8(io_uring_files_update.SIZE);
  return withScratch(fdsAt + fds.length * 4, (mem, v) => {
    v.setUint32(io_uring_files_update.offset, offset, true);
    putU64(v, io_uring_files_update.fds, mem.address + fdsAt);
    for (let i = 0; i < fds.length; i++) v.setInt32(fdsAt + i * 4, fds[i], true);
    return check(ring.register(IORING_REGISTER_FILES_UPDATE, mem.bytes.subarray(0, io_uring_files_update.SIZE),
      fds.length), op, FILE_HINTS);
  });
}

/**
 * {@link registerFilesUpdate} with a tag for each new file (see {@link registerFilesTags}); skipped and emptied
 * slots need tag 0. Returns how many slots were processed. Matches liburing's `io_uring_register_files_update_tag`
 * (IORING_REGISTER_FILES_UPDATE2, Linux 5.13).
 *
 * @example
 * ```ts
 * registerFilesUpdateTag(ring, 0, [fd], [88]); // 1
 * ```
 */
export function registerFilesUpdateTag(
  ring: Ring, offset: number, fds: readonly number[], tags: readonly (number | bigint)[],
): number {
  const op = "update registered files with tags (IORING_REGISTER_FILES_UPDATE2)";
  live(ring, op);
  needU32(op, "offset", offset, IORING_MAX_FIXED_FILES - 1);
  checkFds(op, fds, true, tags);
  needCount(op, "the number of files", fds.length, IORING_MAX_FIXED_FILES);
  const n = fds.length;
  const fdsAt = align8(io_uring_rsrc_update2.SIZE);
  const tagsAt = align8(fdsAt + n * 4);
  return withScratch(tagsAt + n * 8, (mem, v) => {
    v.setUint32(io_uring_rsrc_update2.offset, offset, true);
    putU64(v, io_uring_rsrc_update2.data, mem.address + fdsAt);
    putU64(v, io_uring_rsrc_update2.tags, mem.address + tagsAt);
    v.setUint32(io_uring_rsrc_update2.nr, n, true);
    for (let i = 0; i < n; i++) {
      v.setInt32(fdsAt + i * 4, fds[i], true);
      putU64(v, tagsAt + i * 8, tags[i]);
    }
    return check(ring.register(IORING_REGISTER_FILES_UPDATE2, mem.bytes.subarray(0, io_uring_rsrc_update2.SIZE),
      io_uring_rsrc_update2.SIZE), op, FILE_HINTS);
  });
}

/**
 * Unregisters the whole fixed-file table (and resets the allocation range). Throws ENXIO when none is registered.
 * Matches liburing's `io_uring_unregister_files` (Linux 5.1).
 *
 * @example
 * ```ts
 * unregisterFiles(ring);
 * ```
 */
export function unregisterFiles(ring: Ring): void {
  const op = "unregister files (IORING_UNREGISTER_FILES)";
  live(ring, op);
  check(ring.register(IORING_UNREGISTER_FILES, null, 0), op, FILE_HINTS);
}

/**
 * Limits the slots the kernel picks from for IORING_FILE_INDEX_ALLOC (direct openat/accept/socket/FILES_UPDATE)
 * to `[off, off + len)`. Matches liburing's `io_uring_register_file_alloc_range` (Linux 6.0).
 *
 * @example
 * ```ts
 * registerFilesSparse(ring, 64);
 * registerFileAllocRange(ring, 32, 32); // allocations land in slots 32..63
 * ```
 */
export function registerFileAllocRange(ring: Ring, off: number, len: number): void {
  const op = "set the file allocation range (IORING_REGISTER_FILE_ALLOC_RANGE)";
  live(ring, op);
  needU32(op, "off", off);
  needU32(op, "len", len);
  const arg = new Uint32Array(io_uring_file_index_range.SIZE / 4);
  arg[io_uring_file_index_range.off / 4] = off;
  arg[io_uring_file_index_range.len / 4] = len;
  check(ring.register(IORING_REGISTER_FILE_ALLOC_RANGE, arg, 0), op, {
    EINVAL: "the range goes past the end of the registered file table",
    ENXIO: "no file table is registered",
  });
}

// ---- Buffers ----------------------------------------------------------------------------------------------------

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
 * const mem = NativeMemory.allocate(1 << 20);
 * registerBuffers(ring, [{ memory: mem, offset: 0, length: 65536 }, { memory: mem, offset: 65536 }]);
 * ```
 */
export function registerBuffers(ring: Ring, buffers: readonly BufferSpec[]): void {
  const op = "register buffers (IORING_REGISTER_BUFFERS)";
  live(ring, op);
  const bufs = resolveBuffers(op, buffers, false);
  needCount(op, "the number of buffers", bufs.length, IORING_MAX_REG_BUFFERS);
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
 * registerBuffersTags(ring, [mem, null], [5, 0]);
 * ```
 */
export function registerBuffersTags(
  ring: Ring, buffers: readonly (BufferSpec | null)[], tags: readonly (number | bigint)[],
): void {
  const op = "register buffers with tags (IORING_REGISTER_BUFFERS2)";
  live(ring, op);
  const bufs = resolveBuffers(op, buffers, true);
  needCount(op, "the number of buffers", bufs.length, IORING_MAX_REG_BUFFERS);
  checkTags(op, tags, bufs.length);
  bufs.forEach((b, i) => {
    if (!b && !isZero(tags[i])) refuse(op, `tags[${i}] must be 0 for an empty slot`);
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
        check(ring.register(IORING_REGISTER_BUFFERS, mem.bytes.subarray(0, n * IOVEC_SIZE), n), op, BUFFER_HINTS);
      });
    } else {
      const iovAt = align8(io_uring_rsrc_register.SIZE);
      const tagsAt = iovAt + n * IOVEC_SIZE;
      withScratch(tagsAt + n * 8, (mem, v) => {
        v.setUint32(io_uring_rsrc_register.nr, n, true);
        putU64(v, io_uring_rsrc_register.data, mem.address + iovAt);
        putU64(v, io_uring_rsrc_register.tags, mem.address + tagsAt);
        writeIovecs(v, iovAt, bufs);
        for (let i = 0; i < n; i++) putU64(v, tagsAt + i * 8, tags[i]);
        check(ring.register(IORING_REGISTER_BUFFERS2, mem.bytes.subarray(0, io_uring_rsrc_register.SIZE),
          io_uring_rsrc_register.SIZE), op, BUFFER_HINTS);
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
 * registerBuffersSparse(ring, 16);
 * registerBuffersUpdate(ring, 3, [mem]); // slot 3
 * ```
 */
export function registerBuffersSparse(ring: Ring, n: number): void {
  const op = "register a sparse buffer table (IORING_REGISTER_BUFFERS2)";
  live(ring, op);
  needCount(op, "the number of slots", n, IORING_MAX_REG_BUFFERS);
  const arg = new Uint8Array(io_uring_rsrc_register.SIZE);
  const v = new DataView(arg.buffer);
  v.setUint32(io_uring_rsrc_register.nr, n, true);
  v.setUint32(io_uring_rsrc_register.flags, IORING_RSRC_REGISTER_SPARSE, true);
  check(ring.register(IORING_REGISTER_BUFFERS2, arg, io_uring_rsrc_register.SIZE), op, BUFFER_HINTS);
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
 * registerBuffersSparse(ring, 4);
 * registerBuffersUpdateTag(ring, 1, [mem], [55]); // 1
 * ```
 */
export function registerBuffersUpdateTag(
  ring: Ring, offset: number, buffers: readonly (BufferSpec | null)[], tags?: readonly (number | bigint)[],
): number {
  const op = "update registered buffers (IORING_REGISTER_BUFFERS_UPDATE)";
  live(ring, op);
  needU32(op, "offset", offset, IORING_MAX_REG_BUFFERS - 1);
  const bufs = resolveBuffers(op, buffers, true);
  needCount(op, "the number of buffers", bufs.length, IORING_MAX_REG_BUFFERS);
  if (tags) {
    checkTags(op, tags, bufs.length);
    bufs.forEach((b, i) => {
      if (!b && !isZero(tags[i])) refuse(op, `tags[${i}] must be 0 for an empty slot`);
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
      if (tags) for (let i = 0; i < n; i++) putU64(v, tagsAt + i * 8, tags[i]);
      return check(ring.register(IORING_REGISTER_BUFFERS_UPDATE, mem.bytes.subarray(0, io_uring_rsrc_update2.SIZE),
        io_uring_rsrc_update2.SIZE), op, BUFFER_HINTS);
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
  if (s && (res >= 0 || res === -6)) {
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
  needU32(op, "dstOff", dstOff, IORING_MAX_REG_BUFFERS);
  needU32(op, "srcOff", srcOff, IORING_MAX_REG_BUFFERS);
  needU32(op, "nr", nr, IORING_MAX_REG_BUFFERS);
  needU32(op, "flags", flags); // NaN or 1.5 would pass the mask test below
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
    check(dst.register(IORING_REGISTER_CLONE_BUFFERS, arg, 1), op, {
      EBUSY: "the destination already has registered buffers (pass IORING_REGISTER_DST_REPLACE to replace them)",
      ENXIO: "the source ring has no registered buffers",
      EINVAL: "the range goes past the source's table, or the rings belong to different users",
      EEXIST: "the source ring is SINGLE_ISSUER and owned by another thread",
    });
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

// ---- Eventfd ----------------------------------------------------------------------------------------------------

/**
 * Makes the kernel signal the eventfd `fd` (add 1) whenever CQEs are posted, so an event loop can wait on it.
 * Throws EBUSY when one is registered already. Matches liburing's `io_uring_register_eventfd` (Linux 5.2).
 *
 * @example
 * ```ts
 * const efd = libc().eventfd(0, 0);
 * registerEventfd(ring, efd);
 * ```
 */
export function registerEventfd(ring: Ring, fd: number): void {
  eventfd(ring, fd, IORING_REGISTER_EVENTFD, "register an eventfd (IORING_REGISTER_EVENTFD)");
}

/**
 * Like {@link registerEventfd}, but signals only for completions that happened asynchronously (not inline in
 * `io_uring_enter`). Matches liburing's `io_uring_register_eventfd_async` (Linux 5.6).
 *
 * @example
 * ```ts
 * registerEventfdAsync(ring, efd);
 * ```
 */
export function registerEventfdAsync(ring: Ring, fd: number): void {
  eventfd(ring, fd, IORING_REGISTER_EVENTFD_ASYNC, "register an async eventfd (IORING_REGISTER_EVENTFD_ASYNC)");
}

function eventfd(ring: Ring, fd: number, opcode: number, op: string): void {
  live(ring, op);
  needU32(op, "fd", fd, 0x7fffffff);
  check(ring.register(opcode, Int32Array.of(fd), 1), op, {
    EBUSY: "an eventfd is registered already: unregister it first",
    EBADF: "the fd is not an eventfd",
  });
}

/**
 * Stops signalling the registered eventfd. Throws ENXIO when none is registered. Matches liburing's
 * `io_uring_unregister_eventfd` (Linux 5.2).
 *
 * @example
 * ```ts
 * unregisterEventfd(ring);
 * ```
 */
export function unregisterEventfd(ring: Ring): void {
  const op = "unregister the eventfd (IORING_UNREGISTER_EVENTFD)";
  live(ring, op);
  check(ring.register(IORING_UNREGISTER_EVENTFD, null, 0), op, { ENXIO: "no eventfd is registered" });
}

// ---- Probe ------------------------------------------------------------------------------------------------------

/** What IORING_REGISTER_PROBE reports. */
export interface ProbeResult {
  /** The highest opcode this kernel knows. */
  lastOp: number;
  /** How many entries of `opFlags` the kernel filled. */
  opsLen: number;
  /** `io_uring_probe_op.flags` by opcode: `opFlags[op] & IO_URING_OP_SUPPORTED` when supported. */
  opFlags: number[];
}

/**
 * Asks the kernel which opcodes it supports (IORING_REGISTER_PROBE): the raw struct io_uring_probe, decoded.
 * For names, versions and IORING_REGISTER_QUERY, use `probeOpcodes` of `probe.ts`. Matches liburing's
 * `io_uring_register_probe` (Linux 5.6).
 *
 * @param nrOps How many opcodes to ask about (at most 256).
 * @example
 * ```ts
 * const p = registerProbe(ring);
 * const hasPipe = (p.opFlags[IORING_OP_PIPE] & IO_URING_OP_SUPPORTED) !== 0;
 * ```
 */
export function registerProbe(ring: Ring, nrOps = 256): ProbeResult {
  const op = "probe opcodes (IORING_REGISTER_PROBE)";
  live(ring, op);
  needCount(op, "nrOps", nrOps, 256);
  const arg = new Uint8Array(io_uring_probe.SIZE + nrOps * io_uring_probe_op.SIZE);
  check(ring.register(IORING_REGISTER_PROBE, arg, nrOps), op);
  const v = new DataView(arg.buffer);
  const opsLen = arg[io_uring_probe.ops_len];
  const opFlags: number[] = [];
  for (let i = 0; i < opsLen; i++) {
    opFlags.push(v.getUint16(io_uring_probe.ops + i * io_uring_probe_op.SIZE + io_uring_probe_op.flags, true));
  }
  return { lastOp: arg[io_uring_probe.last_op], opsLen, opFlags };
}

// ---- Personalities ----------------------------------------------------------------------------------------------

/**
 * Registers the calling thread's current credentials with the ring and returns their ID (1..65535), which an SQE
 * can name in its personality field (u16 at byte 42) to run with these credentials. Matches liburing's
 * `io_uring_register_personality` (Linux 5.6).
 *
 * @example
 * ```ts
 * const id = registerPersonality(ring);
 * sqe.u16[21] = id;
 * ```
 */
export function registerPersonality(ring: Ring): number {
  const op = "register a personality (IORING_REGISTER_PERSONALITY)";
  live(ring, op);
  return check(ring.register(IORING_REGISTER_PERSONALITY, null, 0), op);
}

/**
 * Unregisters the personality `id`. Throws EINVAL for an unknown ID. Matches liburing's
 * `io_uring_unregister_personality` (Linux 5.6).
 *
 * @example
 * ```ts
 * unregisterPersonality(ring, id);
 * ```
 */
export function unregisterPersonality(ring: Ring, id: number): void {
  const op = "unregister a personality (IORING_UNREGISTER_PERSONALITY)";
  live(ring, op);
  needU32(op, "id", id, 0xffff);
  check(ring.register(IORING_UNREGISTER_PERSONALITY, null, id), op, { EINVAL: `no personality ${id} is registered` });
}

// ---- Restrictions -----------------------------------------------------------------------------------------------

/**
 * One entry of struct io_uring_restriction. `opcode` says which other field applies:
 * IORING_RESTRICTION_REGISTER_OP takes `registerOp` (an allowed IORING_REGISTER_* opcode),
 * IORING_RESTRICTION_SQE_OP takes `sqeOp` (an allowed IORING_OP_*), IORING_RESTRICTION_SQE_FLAGS_ALLOWED and
 * IORING_RESTRICTION_SQE_FLAGS_REQUIRED take `sqeFlags` (IOSQE_* bits).
 */
export interface Restriction {
  /** An `IORING_RESTRICTION_*` value. */
  opcode: number;
  /** With IORING_RESTRICTION_REGISTER_OP: the register opcode allowed. */
  registerOp?: number;
  /** With IORING_RESTRICTION_SQE_OP: the SQE opcode allowed. */
  sqeOp?: number;
  /** With IORING_RESTRICTION_SQE_FLAGS_ALLOWED / _REQUIRED: the IOSQE_* flags allowed or required. */
  sqeFlags?: number;
}

/**
 * Restricts what the ring may do once enabled: only the listed SQE opcodes and register opcodes, only the allowed
 * SQE flags, and the required flags on every SQE. The ring must have been set up with IORING_SETUP_R_DISABLED and
 * not enabled yet; restrictions can be registered once, and take effect at `ring.enable()`. A refused SQE
 * completes with -EACCES; a refused register call throws EACCES. Matches liburing's
 * `io_uring_register_restrictions` (Linux 5.10).
 *
 * @example
 * ```ts
 * const ring = new Ring(8, { flags: IORING_SETUP_R_DISABLED });
 * registerRestrictions(ring, [{ opcode: IORING_RESTRICTION_SQE_OP, sqeOp: IORING_OP_NOP }]);
 * ring.enable(); // from now on only NOPs run
 * ```
 */
export function registerRestrictions(ring: Ring, restrictions: readonly Restriction[]): void {
  const op = "register restrictions (IORING_REGISTER_RESTRICTIONS)";
  live(ring, op);
  if (!(ring.flags & IORING_SETUP_R_DISABLED)) {
    refuse(op, "the ring must be set up with IORING_SETUP_R_DISABLED (restrictions apply when it is enabled)");
  }
  if (!Array.isArray(restrictions) || restrictions.length === 0) refuse(op, "give at least one restriction");
  const size = io_uring_restriction.SIZE;
  const arg = new Uint8Array(restrictions.length * size);
  restrictions.forEach((r, i) => {
    const at = i * size;
    let value: number | undefined;
    let field: string;
    switch (r?.opcode) {
      case IORING_RESTRICTION_REGISTER_OP:
        field = "registerOp";
        value = r.registerOp;
        if (value !== undefined && (!isU32(value) || value >= IORING_REGISTER_LAST)) {
          refuse(op, `restrictions[${i}].registerOp must be an IORING_REGISTER_* opcode, got ${value}`);
        }
        break;
      case IORING_RESTRICTION_SQE_OP:
        field = "sqeOp";
        value = r.sqeOp;
        break;
      case IORING_RESTRICTION_SQE_FLAGS_ALLOWED:
      case IORING_RESTRICTION_SQE_FLAGS_REQUIRED:
        field = "sqeFlags";
        value = r.sqeFlags;
        break;
      default:
        refuse(op, `restrictions[${i}].opcode must be an IORING_RESTRICTION_* value, got ${r?.opcode}`);
    }
    if (value === undefined || !isU32(value) || value > 0xff) {
      refuse(op, `restrictions[${i}].${field} must be a u8, got ${value}`);
    }
    arg[at + io_uring_restriction.opcode] = r.opcode; // u16, little-endian: the high byte stays 0
    arg[at + io_uring_restriction.register_op] = value; // the union of register_op, sqe_op and sqe_flags
  });
  check(ring.register(IORING_REGISTER_RESTRICTIONS, arg, restrictions.length), op, {
    EBADFD: "the ring is already enabled: restrictions must come before ring.enable()",
    EBUSY: "restrictions were registered already (only once per ring)",
    EINVAL: "an opcode is beyond what this kernel knows",
  });
}

// ---- io-wq ------------------------------------------------------------------------------------------------------

/**
 * Pins the ring's async worker threads (io-wq, or the SQPOLL thread's workers) to `cpus`. The workers are per
 * thread and shared by every ring of the calling thread. Matches liburing's `io_uring_register_iowq_aff`
 * (Linux 5.14).
 *
 * @param cpus CPU numbers (at least one), as in a cpu_set_t.
 * @example
 * ```ts
 * registerIowqAff(ring, [0, 1]);
 * ```
 */
export function registerIowqAff(ring: Ring, cpus: readonly number[]): void {
  const op = "set io-wq CPU affinity (IORING_REGISTER_IOWQ_AFF)";
  live(ring, op);
  if (!Array.isArray(cpus) || cpus.length === 0) refuse(op, "give at least one CPU");
  const possible = possibleCpus();
  for (const c of cpus) {
    needU32(op, "a CPU number", c, 8191);
    // The kernel reads only the mask's bits for CPUs that can exist: a larger number would silently drop out.
    if (c >= possible) refuse(op, `CPU ${c} does not exist on this machine (CPUs 0 to ${possible - 1})`);
  }
  const words = Math.floor(Math.max(...cpus) / 64) + 1;
  const mask = new Uint8Array(words * 8);
  for (const c of cpus) mask[c >> 3] |= 1 << (c & 7);
  check(ring.register(IORING_REGISTER_IOWQ_AFF, mask, mask.length), op, {
    EINVAL: "a CPU is not in this thread's allowed set, or this thread has no io-wq yet",
  });
}

/** How many CPUs this machine can have (nr_cpu_ids): the last number of /sys/devices/system/cpu/possible, plus 1. */
function possibleCpus(): number {
  try {
    const text = readFileSync("/sys/devices/system/cpu/possible", "utf8").trim(); // "0-1", "0-3,8-11", "0"
    const last = Number(text.split(/[,-]/).at(-1));
    if (Number.isInteger(last) && last >= 0) return last + 1;
  } catch {
    // no sysfs: fall back to the CPUs the runtime sees
  }
  return Math.max(1, osCpus().length);
}

/**
 * Lets the ring's async workers run on any CPU again. Matches liburing's `io_uring_unregister_iowq_aff`
 * (Linux 5.14).
 *
 * @example
 * ```ts
 * unregisterIowqAff(ring);
 * ```
 */
export function unregisterIowqAff(ring: Ring): void {
  const op = "clear io-wq CPU affinity (IORING_UNREGISTER_IOWQ_AFF)";
  live(ring, op);
  check(ring.register(IORING_UNREGISTER_IOWQ_AFF, null, 0), op);
}

/**
 * Sets the most io-wq workers for bounded work (regular files, block devices) and unbounded work (sockets, pipes)
 * and returns the previous limits as `[bounded, unbounded]`; 0 leaves a limit unchanged, so `[0, 0]` only reads
 * them. The limits apply to every ring of the calling thread. Matches liburing's
 * `io_uring_register_iowq_max_workers` (Linux 5.15).
 *
 * @example
 * ```ts
 * const [bounded, unbounded] = registerIowqMaxWorkers(ring, [0, 0]); // read only
 * registerIowqMaxWorkers(ring, [4, 16]);
 * ```
 */
export function registerIowqMaxWorkers(ring: Ring, values: readonly [number, number]): [number, number] {
  const op = "set io-wq max workers (IORING_REGISTER_IOWQ_MAX_WORKERS)";
  live(ring, op);
  if (!Array.isArray(values) || values.length !== 2) refuse(op, "give [bounded, unbounded]");
  needU32(op, "the bounded limit", values[0], 0x7fffffff);
  needU32(op, "the unbounded limit", values[1], 0x7fffffff);
  const arg = Uint32Array.of(values[0], values[1]);
  check(ring.register(IORING_REGISTER_IOWQ_MAX_WORKERS, arg, 2), op);
  return [arg[0], arg[1]];
}

// ---- Synchronous cancel -----------------------------------------------------------------------------------------

/** What {@link registerSyncCancel} matches and how long it waits. */
export interface SyncCancelOptions {
  /** Match requests with this user_data (the default key when neither `fd` nor `opcode` is given). */
  userData?: number | bigint;
  /** Match requests on this file descriptor (IORING_ASYNC_CANCEL_FD). */
  fd?: number;
  /** `fd` is a registered file index (IORING_ASYNC_CANCEL_FD_FIXED). */
  fixedFile?: boolean;
  /** Match requests with this opcode (IORING_ASYNC_CANCEL_OP, Linux 6.6). */
  opcode?: number;
  /** Further `IORING_ASYNC_CANCEL_*` flags: ALL (every match, not the first) or ANY (every request). */
  flags?: number;
  /** Give up waiting for the cancelled requests to finish after this many nanoseconds (-ETIME). Default: wait. */
  timeoutNs?: number;
}

/**
 * Cancels in-flight requests and waits until they have completed (their CQEs, usually with -ECANCELED, are in
 * the CQ when this returns). Keys combine: `userData`, `fd` and `opcode` must all match when given (USERDATA is
 * added to the flags when user_data is combined with another key). Returns how many requests were cancelled: 1
 * without IORING_ASYNC_CANCEL_ALL/ANY, the count with them. Throws ENOENT when nothing matched, EALREADY/ETIME
 * when a request could not be cancelled in time. Matches liburing's `io_uring_register_sync_cancel` (Linux 6.0).
 *
 * @example
 * ```ts
 * registerSyncCancel(ring, { userData: 42 }); // 1; the CQE for 42 carries -ECANCELED
 * registerSyncCancel(ring, { fd: sock, flags: IORING_ASYNC_CANCEL_ALL }); // every request on sock
 * ```
 */
export function registerSyncCancel(ring: Ring, options: SyncCancelOptions): number {
  const op = "cancel synchronously (IORING_REGISTER_SYNC_CANCEL)";
  live(ring, op);
  const o = options ?? {};
  let flags = o.flags ?? 0;
  const known = IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_FD |
    IORING_ASYNC_CANCEL_FD_FIXED | IORING_ASYNC_CANCEL_USERDATA | IORING_ASYNC_CANCEL_OP;
  if (!isU32(flags) || (flags & ~known) !== 0) refuse(op, `flags must be IORING_ASYNC_CANCEL_* bits, got ${flags}`);
  if (flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_FD_FIXED) && o.fd === undefined) {
    refuse(op, "IORING_ASYNC_CANCEL_FD and _FD_FIXED need fd");
  }
  if (o.userData !== undefined) needU64(op, "userData", o.userData);
  if (o.fd !== undefined) {
    needU32(op, "fd", o.fd, 0x7fffffff);
    flags |= IORING_ASYNC_CANCEL_FD | (o.fixedFile ? IORING_ASYNC_CANCEL_FD_FIXED : 0);
  } else if (o.fixedFile) refuse(op, "fixedFile needs fd");
  if (o.opcode !== undefined) {
    needU32(op, "opcode", o.opcode, 0xff);
    flags |= IORING_ASYNC_CANCEL_OP;
  }
  if (o.userData !== undefined && flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP)) {
    flags |= IORING_ASYNC_CANCEL_USERDATA;
  }
  if (o.userData === undefined && !(flags & (IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_OP |
    IORING_ASYNC_CANCEL_ANY))) {
    refuse(op, "say what to cancel: userData, fd, opcode, or IORING_ASYNC_CANCEL_ANY");
  }
  const arg = new Uint8Array(io_uring_sync_cancel_reg.SIZE);
  const v = new DataView(arg.buffer);
  putU64(v, io_uring_sync_cancel_reg.addr, o.userData ?? 0);
  v.setInt32(io_uring_sync_cancel_reg.fd, o.fd ?? -1, true);
  v.setUint32(io_uring_sync_cancel_reg.flags, flags, true);
  const ts = io_uring_sync_cancel_reg.timeout;
  if (o.timeoutNs === undefined) {
    // { -1, -1 }: no timeout (io_uring/cancel.c io_sync_cancel).
    v.setBigInt64(ts + __kernel_timespec.tv_sec, -1n, true);
    v.setBigInt64(ts + __kernel_timespec.tv_nsec, -1n, true);
  } else {
    if (!Number.isFinite(o.timeoutNs) || o.timeoutNs < 0) refuse(op, `timeoutNs must be >= 0, got ${o.timeoutNs}`);
    writeTimespecNs(v, ts, o.timeoutNs);
  }
  arg[io_uring_sync_cancel_reg.opcode] = o.opcode ?? 0;
  const res = check(ring.register(IORING_REGISTER_SYNC_CANCEL, arg, 1), op, {
    ENOENT: "no in-flight request matched",
    EALREADY: "a matching request is running and could not be interrupted before the timeout",
    ETIME: "the timeout passed before the cancelled requests completed",
  });
  return flags & (IORING_ASYNC_CANCEL_ALL | IORING_ASYNC_CANCEL_ANY) ? res : 1;
}

// ---- NAPI busy polling ------------------------------------------------------------------------------------------

/** NAPI busy-poll settings, as the kernel reports the previous ones. */
export interface NapiSettings {
  /** Busy-poll timeout in microseconds (the kernel caps it at 10000). */
  busyPollTimeoutUs: number;
  /** Whether SO_PREFER_BUSY_POLL behaviour is on. */
  preferBusyPoll: boolean;
  /** `IO_URING_NAPI_TRACKING_*`: DYNAMIC, STATIC or INACTIVE (255) (reported by registerNapi only). */
  tracking: number;
}

/** What {@link registerNapi} sets. */
export interface NapiOptions {
  /** `IO_URING_NAPI_REGISTER_OP` (default), `IO_URING_NAPI_STATIC_ADD_ID` or `IO_URING_NAPI_STATIC_DEL_ID`. */
  opcode?: number;
  /** REGISTER_OP: busy-poll timeout in microseconds. */
  busyPollTimeoutUs?: number;
  /** REGISTER_OP: prefer busy polling over interrupts. */
  preferBusyPoll?: boolean;
  /** REGISTER_OP: IO_URING_NAPI_TRACKING_DYNAMIC (default: NAPI IDs of polled sockets) or _STATIC. */
  tracking?: number;
  /** STATIC_ADD_ID / STATIC_DEL_ID: the NAPI ID (SO_INCOMING_NAPI_ID of a socket). */
  napiId?: number;
}

/**
 * Turns on NAPI busy polling while waiting for completions, or adds/removes a NAPI ID with static tracking, and
 * returns the settings that were in force before. Needs CONFIG_NET_RX_BUSY_POLL (EOPNOTSUPP otherwise); not for
 * IOPOLL rings. Matches liburing's `io_uring_register_napi` (Linux 6.9; opcode and static tracking 6.13).
 *
 * @example
 * ```ts
 * const before = registerNapi(ring, { busyPollTimeoutUs: 50, preferBusyPoll: true });
 * ```
 */
export function registerNapi(ring: Ring, options: NapiOptions): NapiSettings {
  const op = "register NAPI busy polling (IORING_REGISTER_NAPI)";
  live(ring, op);
  const o = options ?? {};
  const opcode = o.opcode ?? IO_URING_NAPI_REGISTER_OP;
  const arg = new Uint8Array(io_uring_napi.SIZE);
  const v = new DataView(arg.buffer);
  if (opcode === IO_URING_NAPI_REGISTER_OP) {
    const us = o.busyPollTimeoutUs ?? 0;
    needU32(op, "busyPollTimeoutUs", us);
    const tracking = o.tracking ?? IO_URING_NAPI_TRACKING_DYNAMIC;
    if (tracking !== IO_URING_NAPI_TRACKING_DYNAMIC && tracking !== IO_URING_NAPI_TRACKING_STATIC) {
      refuse(op, `tracking must be IO_URING_NAPI_TRACKING_DYNAMIC or _STATIC, got ${tracking}`);
    }
    v.setUint32(io_uring_napi.busy_poll_to, us, true);
    arg[io_uring_napi.prefer_busy_poll] = o.preferBusyPoll ? 1 : 0;
    v.setUint32(io_uring_napi.op_param, tracking, true);
  } else if (opcode === IO_URING_NAPI_STATIC_ADD_ID || opcode === IO_URING_NAPI_STATIC_DEL_ID) {
    if (o.napiId === undefined) refuse(op, "STATIC_ADD_ID and STATIC_DEL_ID need napiId");
    needU32(op, "napiId", o.napiId);
    v.setUint32(io_uring_napi.op_param, o.napiId, true);
  } else {
    refuse(op, `opcode must be an IO_URING_NAPI_* operation, got ${opcode}`);
  }
  arg[io_uring_napi.opcode] = opcode;
  check(ring.register(IORING_REGISTER_NAPI, arg, 1), op, {
    EOPNOTSUPP: "this kernel lacks NAPI busy polling (CONFIG_NET_RX_BUSY_POLL)",
    EINVAL: "not on IOPOLL rings; static IDs need static tracking registered first, and a NAPI ID that exists",
    ENOENT: "that NAPI ID is not in the static list",
  });
  return napiFrom(arg);
}

/**
 * Turns NAPI busy polling off and returns the settings that were in force (tracking is not reported here).
 * Matches liburing's `io_uring_unregister_napi` (Linux 6.9).
 *
 * @example
 * ```ts
 * const { busyPollTimeoutUs } = unregisterNapi(ring);
 * ```
 */
export function unregisterNapi(ring: Ring): Omit<NapiSettings, "tracking"> {
  const op = "unregister NAPI busy polling (IORING_UNREGISTER_NAPI)";
  live(ring, op);
  const arg = new Uint8Array(io_uring_napi.SIZE);
  check(ring.register(IORING_UNREGISTER_NAPI, arg, 1), op, {
    EOPNOTSUPP: "this kernel lacks NAPI busy polling (CONFIG_NET_RX_BUSY_POLL)",
  });
  const { busyPollTimeoutUs, preferBusyPoll } = napiFrom(arg);
  return { busyPollTimeoutUs, preferBusyPoll };
}

function napiFrom(arg: Uint8Array): NapiSettings {
  const v = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
  return {
    busyPollTimeoutUs: v.getUint32(io_uring_napi.busy_poll_to, true),
    preferBusyPoll: arg[io_uring_napi.prefer_busy_poll] !== 0,
    tracking: v.getUint32(io_uring_napi.op_param, true),
  };
}

// ---- Clock ------------------------------------------------------------------------------------------------------

/**
 * Chooses the clock of the ring's wait timeouts (io_uring_enter with EXT_ARG, absolute with
 * IORING_ENTER_ABS_TIMER): {@link CLOCK_MONOTONIC} (the default) or {@link CLOCK_BOOTTIME}; others are EINVAL.
 * Matches liburing's `io_uring_register_clock` (Linux 6.12).
 *
 * @example
 * ```ts
 * registerClock(ring, CLOCK_BOOTTIME);
 * ```
 */
export function registerClock(ring: Ring, clockid: number): void {
  const op = "set the wait clock (IORING_REGISTER_CLOCK)";
  live(ring, op);
  needU32(op, "clockid", clockid, 0x7fffffff);
  const arg = new Uint32Array(io_uring_clock_register.SIZE / 4);
  arg[io_uring_clock_register.clockid / 4] = clockid;
  check(ring.register(IORING_REGISTER_CLOCK, arg, 0), op, {
    EINVAL: "only CLOCK_MONOTONIC (1) and CLOCK_BOOTTIME (7) are accepted",
  });
}

// ---- Provided-buffer rings --------------------------------------------------------------------------------------

/** What {@link registerBufRing} registers. */
export interface BufRingOptions {
  /**
   * The ring's memory: page-aligned (every NativeMemory is) and at least `entries * 16` bytes. Omit it with
   * IOU_PBUF_RING_MMAP, where the kernel allocates the ring and ringside maps it.
   */
  memory?: NativeMemory;
  /** Ring entries: a power of two, 1 to 32768. */
  entries: number;
  /** The buffer group ID, 0 to 65535. */
  bgid: number;
  /** `IOU_PBUF_RING_MMAP` (Linux 6.4) and/or `IOU_PBUF_RING_INC` (incremental consumption, Linux 6.12). */
  flags?: number;
}

/**
 * Registers a provided-buffer ring for buffer group `bgid`: requests with IOSQE_BUFFER_SELECT and that
 * buf_group take a buffer from it and report its ID in the CQE flags (IORING_CQE_F_BUFFER, bid << 16). The ring
 * starts empty: write `struct io_uring_buf` entries (addr u64, len u32, bid u16) and store-release the u16 tail at
 * byte 14. The addresses in the entries must be native memory too; managing them is the caller's job (the
 * scheduler's buffer pools). The ring memory is pinned until {@link unregisterBufRing}. Returns the registration,
 * whose `memory` is the caller's, or with IOU_PBUF_RING_MMAP the kernel's ring mapped at
 * IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT (unmapped on unregister). Matches liburing's
 * `io_uring_register_buf_ring` (Linux 5.19).
 *
 * @example
 * ```ts
 * const ringMem = NativeMemory.allocate(8 * 16);
 * const br = registerBufRing(ring, { memory: ringMem, entries: 8, bgid: 1 });
 * // add buffers, then prepRead(...) + IOSQE_BUFFER_SELECT + sqeSetBufGroup(sqe, 1)
 * unregisterBufRing(ring, 1);
 * ```
 */
export function registerBufRing(ring: Ring, options: BufRingOptions): BufRingRegistration {
  const op = "register a buffer ring (IORING_REGISTER_PBUF_RING)";
  live(ring, op);
  const { memory, entries, bgid } = options ?? {} as BufRingOptions;
  const flags = options?.flags ?? 0;
  if (!isU32(flags) || (flags & ~(IOU_PBUF_RING_MMAP | IOU_PBUF_RING_INC)) !== 0) {
    refuse(op, `flags may only hold IOU_PBUF_RING_MMAP and IOU_PBUF_RING_INC, got ${flags}`);
  }
  if (!Number.isInteger(entries) || entries < 1 || entries > IORING_MAX_BUF_RING_ENTRIES ||
    (entries & (entries - 1)) !== 0) {
    refuse(op, `entries must be a power of two from 1 to ${IORING_MAX_BUF_RING_ENTRIES}, got ${entries}`);
  }
  needU32(op, "bgid", bgid, 0xffff);
  const bytes = entries * 16;
  const mmap = (flags & IOU_PBUF_RING_MMAP) !== 0;
  if (mmap) {
    if (memory !== undefined) refuse(op, "with IOU_PBUF_RING_MMAP the kernel allocates the ring: omit memory");
    if (ring.fd < 0) refuse(op, "IOU_PBUF_RING_MMAP needs the ring's fd to map the buffer ring");
  } else {
    if (!(memory instanceof NativeMemory)) {
      refuse(op, "memory must be a NativeMemory (the kernel keeps its address), or pass IOU_PBUF_RING_MMAP");
    }
    if (memory.isFreed) refuse(op, "the memory was freed");
    if (memory.address % pageSize() !== 0) refuse(op, "the memory must be page-aligned");
    if (memory.byteLength < bytes) {
      refuse(op, `${entries} entries need ${bytes} bytes, the memory has ${memory.byteLength}`);
    }
  }
  const s = stateOf(ring);
  if (s.bufRings.has(bgid)) refuse(op, `buffer group ${bgid} already has a ring: unregister it first`);

  const arg = new Uint8Array(io_uring_buf_reg.SIZE);
  const v = new DataView(arg.buffer);
  if (!mmap) putU64(v, io_uring_buf_reg.ring_addr, memory!.address);
  v.setUint32(io_uring_buf_reg.ring_entries, entries, true);
  v.setUint16(io_uring_buf_reg.bgid, bgid, true);
  v.setUint16(io_uring_buf_reg.flags, flags, true);
  memory?.pin();
  const res = ring.register(IORING_REGISTER_PBUF_RING, arg, 1);
  if (res < 0) {
    memory?.unpin();
    check(res, op, {
      EEXIST: `buffer group ${bgid} already has a ring or classic provided buffers`,
      EINVAL: "a flag, the entry count or the alignment was refused by this kernel",
      ENOMEM: "the ring exceeds the locked-memory limit (RLIMIT_MEMLOCK, `ulimit -l`)",
    });
  }
  let mem = memory;
  if (mmap) {
    try {
      // IORING_OFF_PBUF_RING is bit 31: add, not or, so the offset stays positive.
      mem = NativeMemory.mapShared(ring.fd, IORING_OFF_PBUF_RING + bgid * 2 ** IORING_OFF_PBUF_SHIFT, bytes,
        "map the buffer ring (IORING_OFF_PBUF_RING)");
    } catch (e) {
      unregisterBufRingRaw(ring, bgid);
      throw e;
    }
    mem.pin();
  }
  const reg: BufRingState = { bgid, entries, flags, memory: mem!, owned: mmap };
  s.bufRings.set(bgid, reg);
  return { bgid, entries, flags, memory: mem! };
}

function unregisterBufRingRaw(ring: Ring, bgid: number): number {
  const arg = new Uint8Array(io_uring_buf_reg.SIZE);
  new DataView(arg.buffer).setUint16(io_uring_buf_reg.bgid, bgid, true);
  return ring.register(IORING_UNREGISTER_PBUF_RING, arg, 1);
}

/**
 * Unregisters the buffer ring of group `bgid` and unpins its memory (unmapping it when ringside mapped it for
 * IOU_PBUF_RING_MMAP). Throws ENOENT when the group has no ring. Matches liburing's `io_uring_unregister_buf_ring`
 * (Linux 5.19).
 *
 * @example
 * ```ts
 * unregisterBufRing(ring, 1);
 * ringMem.free();
 * ```
 */
export function unregisterBufRing(ring: Ring, bgid: number): void {
  const op = "unregister a buffer ring (IORING_UNREGISTER_PBUF_RING)";
  live(ring, op);
  needU32(op, "bgid", bgid, 0xffff);
  const res = unregisterBufRingRaw(ring, bgid);
  const s = states.get(ring);
  const br = s?.bufRings.get(bgid);
  if (br && (res >= 0 || res === -2)) { // -ENOENT: the kernel has no such ring, so the record is stale
    s!.bufRings.delete(bgid);
    br.memory.unpin();
    if (br.owned) br.memory.free();
  }
  check(res, op, {
    ENOENT: `buffer group ${bgid} has no ring`,
    EINVAL: `buffer group ${bgid} holds classic provided buffers, not a ring`,
  });
}

/**
 * The kernel's head of the buffer ring of group `bgid`: how many entries it has consumed (mod 65536). Entries
 * between the head and the tail are still available. Matches liburing's `io_uring_buf_ring_head`
 * (IORING_REGISTER_PBUF_STATUS, Linux 6.8).
 *
 * @example
 * ```ts
 * const head = bufRingHead(ring, 1);
 * ```
 */
export function bufRingHead(ring: Ring, bgid: number): number {
  const op = "read a buffer ring's head (IORING_REGISTER_PBUF_STATUS)";
  live(ring, op);
  needU32(op, "bgid", bgid, 0xffff);
  const arg = new Uint32Array(io_uring_buf_status.SIZE / 4);
  arg[io_uring_buf_status.buf_group / 4] = bgid;
  check(ring.register(IORING_REGISTER_PBUF_STATUS, arg, 1), op, {
    ENOENT: `buffer group ${bgid} has no ring`,
    EINVAL: `buffer group ${bgid} is not a buffer ring`,
  });
  return arg[io_uring_buf_status.head / 4];
}

// ---- MSG_RING without a source ring -----------------------------------------------------------------------------

/** The CQE {@link registerSyncMsg} posts on the target ring. */
export interface SyncMsgOptions {
  /** user_data of the posted CQE. */
  userData: number | bigint;
  /** res of the posted CQE (an i32). */
  res: number;
  /** flags of the posted CQE (IORING_MSG_RING_FLAGS_PASS); default 0. */
  flags?: number;
}

/**
 * Posts a CQE on `target` from any thread, without a ring of one's own: IORING_REGISTER_SEND_MSG_RING with fd -1
 * and a MSG_RING (IORING_MSG_DATA) SQE. The target must be enabled and have a file descriptor. Matches liburing's
 * `io_uring_register_sync_msg` (Linux 6.13).
 *
 * @example
 * ```ts
 * registerSyncMsg(ring, { userData: 9, res: 123 }); // ring gets a CQE { user_data 9, res 123 }
 * ```
 */
export function registerSyncMsg(target: Ring, options: SyncMsgOptions): void {
  const op = "send a message to a ring (IORING_REGISTER_SEND_MSG_RING)";
  live(target, op);
  if (target.fd < 0) refuse(op, "the target ring has no file descriptor (REGISTERED_FD_ONLY)");
  const { userData, res } = options ?? {} as SyncMsgOptions;
  needU64(op, "userData", userData);
  checkMessageUserData(op, target, userData);
  if (!Number.isInteger(res) || res < -0x80000000 || res > 0x7fffffff) refuse(op, `res must be an i32, got ${res}`);
  const flags = options.flags ?? 0;
  needU32(op, "flags", flags);
  const sqe = new Uint8Array(io_uring_sqe.SIZE);
  const v = new DataView(sqe.buffer);
  sqe[io_uring_sqe.opcode] = IORING_OP_MSG_RING;
  v.setInt32(io_uring_sqe.fd, target.fd, true);
  putU64(v, io_uring_sqe.addr, IORING_MSG_DATA);
  v.setInt32(io_uring_sqe.len, res, true);
  putU64(v, io_uring_sqe.off, userData);
  if (flags) {
    v.setUint32(io_uring_sqe.msg_ring_flags, IORING_MSG_RING_FLAGS_PASS, true);
    v.setUint32(io_uring_sqe.file_index, flags, true);
  }
  // fd -1 (as u32): a "blind" register opcode that needs no ring (io_uring/register.c io_uring_register_blind).
  const r = liburing().fn.io_uring_register(0xffffffff, IORING_REGISTER_SEND_MSG_RING, sqe, 1);
  check(r, op, {
    EBADFD: "the target ring is disabled (R_DISABLED) or not an io_uring",
    EOVERFLOW: "the target's CQ is full",
    EINVAL: "this kernel lacks IORING_REGISTER_SEND_MSG_RING (Linux 6.13)",
  });
}
