/**
 * Reading and writing files on a {@link Loop}: `read`/`write` (pread(2)/pwrite(2)), the vectored `readv`/`writev`,
 * and `readFixed`/`writeFixed` through a registered buffer. Each resolves to the byte count.
 *
 * Memory the kernel reads or writes is given as TypedArrays, DataViews or views of `NativeMemory`; the address and
 * length the kernel sees are derived from the view, so no call can reach past a buffer. Views of native memory are
 * used in place (pinned until completion, so `free()` refuses meanwhile); garbage-collected memory is copied
 * through native bounce memory that lives until the completion (an arena chunk up to 1 MiB, a dedicated mapping
 * above that) and what the kernel wrote is copied back before the promise resolves. Do not change a buffer while
 * an operation on it is pending.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { close, open } from "ringside-uring/fs";
 * const loop = new Loop();
 * const fd = await open(loop, "/tmp/read-write-example.txt", "w+");
 * await write(loop, fd, new TextEncoder().encode("hello"), 0);
 * const buf = new Uint8Array(5);
 * const n = await read(loop, fd, buf, 0);
 * console.log(n, new TextDecoder().decode(buf)); // 5 hello
 * await close(loop, fd);
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { run } from "../loop/start.ts";
import { NativeMemory } from "../core/memory.ts";
import { refuse } from "../core/errors.ts";
import { checkBytes, checkFd, checkInt, checkOffset } from "../core/_validate.ts";
import { IOVEC_SIZE, putIovec, UIO_MAXIOV } from "../abi/structs.ts";
import { registrations } from "../ring/registrations.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepRead, prepReadFixed, prepReadv, prepWrite, prepWriteFixed, prepWritev } from "../prep/rw.ts";
import { FsOp, setFixed } from "./_fs_op.ts";
import type { BufferLike, FdOptions } from "./types.ts";

/** Options of `read` and `write`. */
export interface RwOptions extends FdOptions {
  /** How many bytes to transfer, from the start of the buffer (default: all of it). At most the buffer's length. */
  length?: number | undefined;
}

/**
 * Reads into `buf` from file offset `offset` (-1: the file's current position, advancing it), like pread(2).
 * Resolves to the number of bytes read (0 at end of file). IORING_OP_READ, Linux 5.6.
 *
 * @param loop The loop.
 * @param fd The file descriptor (a direct descriptor with `{ fixed: true }`).
 * @param buf Where the data goes: a TypedArray, DataView or view of NativeMemory.
 * @param offset The file offset, or -1 (the default) for the current position.
 * @param options `length` (at most `buf`'s length), `fixed`, `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * const buf = new Uint8Array(4096);
 * const n = await read(loop, fd, buf, 0);
 * console.log(new TextDecoder().decode(buf.subarray(0, n)));
 * ```
 */
export function read(loop: Loop, fd: number, buf: BufferLike, offset = -1, options?: RwOptions): Promise<number> {
  return run(loop, () => {
    checkFd("read", fd);
    checkOffset("read", offset);
    const bytes = checkBytes("read", buf, options?.length);
    return new FsOp("read", (sqe, op) => {
      prepRead(sqe, fd, op.address(loop, bytes, true), bytes.byteLength, offset);
      setFixed(sqe, options?.fixed);
    });
  }, options);
}

/**
 * Writes `buf` at file offset `offset` (-1: the current position, advancing it; files opened with O_APPEND always
 * append), like pwrite(2). Resolves to the number of bytes written. IORING_OP_WRITE, Linux 5.6.
 *
 * @param loop The loop.
 * @param fd The file descriptor (a direct descriptor with `{ fixed: true }`).
 * @param buf The data.
 * @param offset The file offset, or -1 (the default) for the current position.
 * @param options `length` (at most `buf`'s length), `fixed`, `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * await write(loop, fd, new TextEncoder().encode("hello\n"), 0);
 * ```
 */
export function write(loop: Loop, fd: number, buf: BufferLike, offset = -1, options?: RwOptions): Promise<number> {
  return run(loop, () => {
    checkFd("write", fd);
    checkOffset("write", offset);
    const bytes = checkBytes("write", buf, options?.length);
    return new FsOp("write", (sqe, op) => {
      prepWrite(sqe, fd, op.address(loop, bytes, false), bytes.byteLength, offset);
      setFixed(sqe, options?.fixed);
    });
  }, options);
}

/** An operation on an iovec array over `bufs`, written into an arena chunk when the SQE is. */
function iovecOp(name: string, loop: Loop, bufs: readonly BufferLike[], kernelWrites: boolean,
  prep: (sqe: Sqe, iov: number, n: number) => void): FsOp {
  if (!Array.isArray(bufs)) refuse(name, "the buffers must be an array of TypedArrays");
  if (bufs.length > UIO_MAXIOV) refuse(name, `${bufs.length} buffers is more than ${UIO_MAXIOV} (IOV_MAX)`);
  const all = bufs.map((b, i) => checkBytes(name, b, undefined, `buffers[${i}]`));
  return new FsOp(name, (sqe, op) => {
    const n = all.length;
    if (n === 0) return prep(sqe, 0, 0);
    const iov = op.chunk(loop, n * IOVEC_SIZE);
    for (let i = 0; i < n; i++) {
      const b = all[i]!;
      // Both halves of iov_len are written: a reused chunk may hold anything.
      putIovec(iov.view, i * IOVEC_SIZE, op.address(loop, b, kernelWrites), b.byteLength);
    }
    prep(sqe, iov.address, n);
  });
}

/**
 * Reads into several buffers in order, like preadv(2): the first is filled before the next. Resolves to the total
 * byte count. IORING_OP_READV, Linux 5.1.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param bufs Up to 1024 buffers.
 * @param offset The file offset, or -1 (the default) for the current position.
 * @param options `fixed`, `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * const head = new Uint8Array(16), body = new Uint8Array(4096);
 * const n = await readv(loop, fd, [head, body], 0);
 * ```
 */
export function readv(loop: Loop, fd: number, bufs: readonly BufferLike[], offset = -1, options?: FdOptions): Promise<number> {
  return run(loop, () => {
    checkFd("readv", fd);
    checkOffset("readv", offset);
    return iovecOp("readv", loop, bufs, true, (sqe, iov, n) => {
      prepReadv(sqe, fd, iov, n, offset);
      setFixed(sqe, options?.fixed);
    });
  }, options);
}

/**
 * Writes several buffers in order, like pwritev(2). Resolves to the total byte count. IORING_OP_WRITEV, Linux 5.1.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param bufs Up to 1024 buffers.
 * @param offset The file offset, or -1 (the default) for the current position.
 * @param options `fixed`, `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * const enc = new TextEncoder();
 * await writev(loop, fd, [enc.encode("head "), enc.encode("body")], 0);
 * ```
 */
export function writev(loop: Loop, fd: number, bufs: readonly BufferLike[], offset = -1, options?: FdOptions): Promise<number> {
  return run(loop, () => {
    checkFd("writev", fd);
    checkOffset("writev", offset);
    return iovecOp("writev", loop, bufs, false, (sqe, iov, n) => {
      prepWritev(sqe, fd, iov, n, offset);
      setFixed(sqe, options?.fixed);
    });
  }, options);
}

/** Checks that `bytes` lies in the NativeMemory registered as buffer `bufIndex` of the loop's ring. */
function checkRegistered(what: string, loop: Loop, bytes: Uint8Array, bufIndex: number): void {
  checkInt(what, bufIndex, 0, 0xffff, "bufIndex");
  const mem = NativeMemory.of(bytes);
  if (!mem) {
    refuse(what, "the buffer must be a view of NativeMemory registered with registerBuffers (got garbage-collected memory)");
  }
  const registered = registrations(loop.ring).buffers[bufIndex];
  if (registered !== mem) {
    refuse(what, `the buffer does not lie in the memory registered as buffer ${bufIndex}` +
      (registered ? "" : " (nothing is registered there)"));
  }
}

/**
 * Reads into a registered buffer (see `registerBuffers`): `buf` must be a view of the NativeMemory registered as
 * buffer `bufIndex`; the kernel skips pinning pages per request. Resolves to the byte count. (When only a range of
 * that memory was registered, a view outside the range fails with EFAULT.) IORING_OP_READ_FIXED, Linux 5.1.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param buf A view of the registered memory.
 * @param offset The file offset, or -1 for the current position.
 * @param bufIndex The index of the registered buffer.
 * @param options `length`, `fixed`, `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * import { Loop, NativeMemory, registerBuffers } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * const mem = NativeMemory.allocate(65536);
 * registerBuffers(loop.ring, [mem]);
 * const n = await readFixed(loop, fd, mem.bytes, 0, 0);
 * ```
 */
export function readFixed(
  loop: Loop, fd: number, buf: BufferLike, offset: number, bufIndex: number, options?: RwOptions,
): Promise<number> {
  return run(loop, () => {
    checkFd("read_fixed", fd);
    checkOffset("read_fixed", offset);
    const bytes = checkBytes("read_fixed", buf, options?.length);
    checkRegistered("read_fixed", loop, bytes, bufIndex);
    return new FsOp("read_fixed", (sqe, op) => {
      // Again when the SQE is written: the registration may have changed while the request waited for room.
      checkRegistered("read_fixed", loop, bytes, bufIndex);
      prepReadFixed(sqe, fd, op.address(loop, bytes, true), bytes.byteLength, offset, bufIndex);
      setFixed(sqe, options?.fixed);
    });
  }, options);
}

/**
 * Writes from a registered buffer: `buf` must be a view of the NativeMemory registered as buffer `bufIndex`.
 * Resolves to the byte count. IORING_OP_WRITE_FIXED, Linux 5.1.
 *
 * @param loop The loop.
 * @param fd The file descriptor.
 * @param buf A view of the registered memory.
 * @param offset The file offset, or -1 for the current position.
 * @param bufIndex The index of the registered buffer.
 * @param options `length`, `fixed`, `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * import { Loop, NativeMemory } from "ringside-uring";
 * declare const loop: Loop, fd: number, mem: NativeMemory, data: Uint8Array;
 * mem.bytes.set(data);
 * await writeFixed(loop, fd, mem.bytes.subarray(0, data.length), 0, 0);
 * ```
 */
export function writeFixed(
  loop: Loop, fd: number, buf: BufferLike, offset: number, bufIndex: number, options?: RwOptions,
): Promise<number> {
  return run(loop, () => {
    checkFd("write_fixed", fd);
    checkOffset("write_fixed", offset);
    const bytes = checkBytes("write_fixed", buf, options?.length);
    checkRegistered("write_fixed", loop, bytes, bufIndex);
    return new FsOp("write_fixed", (sqe, op) => {
      checkRegistered("write_fixed", loop, bytes, bufIndex);
      prepWriteFixed(sqe, fd, op.address(loop, bytes, false), bytes.byteLength, offset, bufIndex);
      setFixed(sqe, options?.fixed);
    });
  }, options);
}
