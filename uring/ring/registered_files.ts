/**
 * The ring's registered (fixed) file table: `io_uring_register(2)` with IORING_REGISTER_FILES, FILES2,
 * FILES_UPDATE, FILES_UPDATE2, UNREGISTER_FILES and FILE_ALLOC_RANGE. A request names a registered file by its slot
 * (IOSQE_FIXED_FILE and sqe->fd = slot), which spares the kernel a file-table lookup per request; direct
 * descriptors (openat/accept/socket with a file_index) land in the same table. Each function is named after
 * liburing's (`io_uring_register_files` is {@link registerFiles}) and throws a `UringError` naming the errno and
 * the register opcode.
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const fd: number;
 *
 * const ring = new Ring(8);
 * registerFiles(ring, [fd, -1]);  // slot 0 holds fd, slot 1 is empty
 * registerFilesUpdate(ring, 1, [fd]); // now slot 1 holds it too
 * unregisterFiles(ring);
 * ring.close();
 * ```
 *
 * @module
 */
import { refuse } from "../core/errors.ts";
import { checkCount, checkFd, checkU32 } from "../core/_validate.ts";
import { putU64 } from "../abi/_u64.ts";
import {
  io_uring_file_index_range,
  io_uring_files_update,
  io_uring_rsrc_register,
  io_uring_rsrc_update2,
  IORING_REGISTER_FILE_ALLOC_RANGE,
  IORING_REGISTER_FILES,
  IORING_REGISTER_FILES2,
  IORING_REGISTER_FILES_SKIP,
  IORING_REGISTER_FILES_UPDATE,
  IORING_REGISTER_FILES_UPDATE2,
  IORING_RSRC_REGISTER_SPARSE,
  IORING_UNREGISTER_FILES,
} from "../abi/uapi.ts";
import { align8, checkTags, isZero, live, withScratch } from "./_register.ts";
import { checkRegister } from "./_since.ts";
import { IORING_MAX_FIXED_FILES } from "./limits.ts";
import type { Ring } from "./ring.ts";

const FILE_HINTS: Readonly<Record<string, string>> = {
  EBUSY: "files are already registered with this ring: unregister them first, or update them",
  EMFILE: "more files than RLIMIT_NOFILE (`ulimit -n`) or the kernel's 1048576",
  EBADF: "a descriptor is not open, or is an io_uring (rings cannot be registered as files)",
  ENXIO: "no files are registered with this ring",
  EINVAL: "the offset and count go past the end of the registered table, or a tag was given for an empty slot",
};

/** fds for a file table: -1 leaves a slot empty; with `allowSkip`, IORING_REGISTER_FILES_SKIP (-2) keeps it. */
function checkFds(op: string, fds: readonly number[], allowSkip: boolean, tags?: readonly (number | bigint)[]): void {
  if (!Array.isArray(fds)) refuse(op, "fds must be an array of file descriptors");
  if (tags) checkTags(op, tags, fds.length);
  for (let i = 0; i < fds.length; i++) {
    const fd = fds[i];
    if (fd !== -1 && !(allowSkip && fd === IORING_REGISTER_FILES_SKIP)) {
      checkFd(op, fd, `fds[${i}] (-1 for an empty slot${allowSkip ? ", IORING_REGISTER_FILES_SKIP to keep one" : ""})`);
    }
    if (tags && fd < 0 && !isZero(tags[i]!)) { // checkTags: one valid tag per fd
      refuse(op, `tags[${i}] must be 0 for an empty or skipped slot (fds[${i}] is ${fd})`);
    }
  }
}
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
 * import { IORING_OP_READ, IOSQE_FIXED_FILE } from "ringside-uring/abi";
 * import { NativeMemory } from "ringside-uring/core";
 * import { prepRw } from "ringside-uring/prep";
 * import { Ring, type Sqe, sqeSetFlags } from "ringside-uring/ring";
 * declare const buf: NativeMemory;
 * declare const fd: number;
 * declare const ring: Ring;
 * declare const sqe: Sqe;
 * registerFiles(ring, [fd]);
 * prepRw(IORING_OP_READ, sqe, 0, buf.address, 4096, -1);
 * sqeSetFlags(sqe, IOSQE_FIXED_FILE); // reads fd through slot 0
 * ```
 */
export function registerFiles(ring: Ring, fds: readonly number[]): void {
  const op = "register files (IORING_REGISTER_FILES)";
  live(ring, op);
  checkFds(op, fds, false);
  checkCount(op, fds.length, IORING_MAX_FIXED_FILES, "the number of files");
  const res = ring.register(IORING_REGISTER_FILES, Int32Array.from(fds), fds.length);
  checkRegister(res, IORING_REGISTER_FILES, op, FILE_HINTS);
}

/**
 * Registers `fds` with a tag each: when a tagged file leaves the table (update or unregister), the kernel posts a
 * CQE with user_data = its tag, res 0, once no request uses it any more. Tag 0 posts nothing; empty slots (-1)
 * must have tag 0. Matches liburing's `io_uring_register_files_tags` (Linux 5.13).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const fd: number;
 * declare const ring: Ring;
 * registerFilesTags(ring, [fd], [77]);
 * unregisterFiles(ring); // a CQE with user_data 77 follows
 * ```
 */
export function registerFilesTags(ring: Ring, fds: readonly number[], tags: readonly (number | bigint)[]): void {
  const op = "register files with tags (IORING_REGISTER_FILES2)";
  live(ring, op);
  checkFds(op, fds, false, tags);
  checkCount(op, fds.length, IORING_MAX_FIXED_FILES, "the number of files");
  const n = fds.length;
  const fdsAt = align8(io_uring_rsrc_register.SIZE);
  const tagsAt = align8(fdsAt + n * 4);
  withScratch(tagsAt + n * 8, (mem, v) => {
    v.setUint32(io_uring_rsrc_register.nr, n, true);
    putU64(v, io_uring_rsrc_register.data, mem.address + fdsAt);
    putU64(v, io_uring_rsrc_register.tags, mem.address + tagsAt);
    for (const [i, fd] of fds.entries()) {
      v.setInt32(fdsAt + i * 4, fd, true);
      putU64(v, tagsAt + i * 8, tags[i]!); // checkFds: one valid tag per fd
    }
    checkRegister(ring.register(IORING_REGISTER_FILES2, mem.bytes.subarray(0, io_uring_rsrc_register.SIZE),
      io_uring_rsrc_register.SIZE), IORING_REGISTER_FILES2, op, FILE_HINTS);
  });
}

/**
 * Registers an empty fixed-file table of `n` slots, to be filled by {@link registerFilesUpdate}, by direct
 * descriptors (openat/accept/socket with a file_index) or IORING_FILE_INDEX_ALLOC. Matches liburing's
 * `io_uring_register_files_sparse` (Linux 5.19).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * registerFilesSparse(ring, 64);
 * ```
 */
export function registerFilesSparse(ring: Ring, n: number): void {
  const op = "register a sparse file table (IORING_REGISTER_FILES2)";
  live(ring, op);
  checkCount(op, n, IORING_MAX_FIXED_FILES, "the number of slots");
  const arg = new Uint8Array(io_uring_rsrc_register.SIZE);
  const v = new DataView(arg.buffer);
  v.setUint32(io_uring_rsrc_register.nr, n, true);
  v.setUint32(io_uring_rsrc_register.flags, IORING_RSRC_REGISTER_SPARSE, true);
  checkRegister(ring.register(IORING_REGISTER_FILES2, arg, io_uring_rsrc_register.SIZE), IORING_REGISTER_FILES2, op,
    FILE_HINTS, [{ used: true, what: "IORING_RSRC_REGISTER_SPARSE", since: "5.19" }]);
}

/**
 * Replaces slots `offset .. offset + fds.length - 1` of the fixed-file table: a descriptor installs it, -1 empties
 * the slot, IORING_REGISTER_FILES_SKIP (-2) leaves it as it is. Returns how many slots were processed (fewer than
 * asked when the kernel stopped at a bad descriptor after updating some). Matches liburing's
 * `io_uring_register_files_update` (IORING_REGISTER_FILES_UPDATE, Linux 5.5; FILES_SKIP 5.12).
 *
 * @example
 * ```ts
 * import { IORING_REGISTER_FILES_SKIP } from "ringside-uring/abi";
 * import { Ring } from "ringside-uring/ring";
 * declare const fd: number;
 * declare const ring: Ring;
 * registerFilesUpdate(ring, 3, [fd, IORING_REGISTER_FILES_SKIP, -1]); // 3
 * ```
 */
export function registerFilesUpdate(ring: Ring, offset: number, fds: readonly number[]): number {
  const op = "update registered files (IORING_REGISTER_FILES_UPDATE)";
  live(ring, op);
  checkU32(op, offset, "offset", IORING_MAX_FIXED_FILES - 1);
  checkFds(op, fds, true);
  checkCount(op, fds.length, IORING_MAX_FIXED_FILES, "the number of files");
  const fdsAt = align8(io_uring_files_update.SIZE);
  return withScratch(fdsAt + fds.length * 4, (mem, v) => {
    v.setUint32(io_uring_files_update.offset, offset, true);
    putU64(v, io_uring_files_update.fds, mem.address + fdsAt);
    for (const [i, fd] of fds.entries()) v.setInt32(fdsAt + i * 4, fd, true);
    return checkRegister(ring.register(IORING_REGISTER_FILES_UPDATE, mem.bytes.subarray(0, io_uring_files_update.SIZE),
      fds.length), IORING_REGISTER_FILES_UPDATE, op, FILE_HINTS);
  });
}

/**
 * {@link registerFilesUpdate} with a tag for each new file (see {@link registerFilesTags}); skipped and emptied
 * slots need tag 0. Returns how many slots were processed. Matches liburing's `io_uring_register_files_update_tag`
 * (IORING_REGISTER_FILES_UPDATE2, Linux 5.13).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const fd: number;
 * declare const ring: Ring;
 * registerFilesUpdateTag(ring, 0, [fd], [88]); // 1
 * ```
 */
export function registerFilesUpdateTag(
  ring: Ring, offset: number, fds: readonly number[], tags: readonly (number | bigint)[],
): number {
  const op = "update registered files with tags (IORING_REGISTER_FILES_UPDATE2)";
  live(ring, op);
  checkU32(op, offset, "offset", IORING_MAX_FIXED_FILES - 1);
  checkFds(op, fds, true, tags);
  checkCount(op, fds.length, IORING_MAX_FIXED_FILES, "the number of files");
  const n = fds.length;
  const fdsAt = align8(io_uring_rsrc_update2.SIZE);
  const tagsAt = align8(fdsAt + n * 4);
  return withScratch(tagsAt + n * 8, (mem, v) => {
    v.setUint32(io_uring_rsrc_update2.offset, offset, true);
    putU64(v, io_uring_rsrc_update2.data, mem.address + fdsAt);
    putU64(v, io_uring_rsrc_update2.tags, mem.address + tagsAt);
    v.setUint32(io_uring_rsrc_update2.nr, n, true);
    for (const [i, fd] of fds.entries()) {
      v.setInt32(fdsAt + i * 4, fd, true);
      putU64(v, tagsAt + i * 8, tags[i]!); // checkFds: one valid tag per fd
    }
    return checkRegister(ring.register(IORING_REGISTER_FILES_UPDATE2, mem.bytes.subarray(0, io_uring_rsrc_update2.SIZE),
      io_uring_rsrc_update2.SIZE), IORING_REGISTER_FILES_UPDATE2, op, FILE_HINTS);
  });
}

/**
 * Unregisters the whole fixed-file table (and resets the allocation range). Throws ENXIO when none is registered.
 * Matches liburing's `io_uring_unregister_files` (Linux 5.1).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * unregisterFiles(ring);
 * ```
 */
export function unregisterFiles(ring: Ring): void {
  const op = "unregister files (IORING_UNREGISTER_FILES)";
  live(ring, op);
  checkRegister(ring.register(IORING_UNREGISTER_FILES, null, 0), IORING_UNREGISTER_FILES, op, FILE_HINTS);
  unregistered.set(ring, fileTableUnregistrations(ring) + 1);
}

const unregistered = new WeakMap<Ring, number>();

/**
 * How many times `ring`'s file table was unregistered: a layer that registered a table for itself (readFiles)
 * compares it with what it saw then, and leaves the table alone once the program replaced it.
 *
 * @param ring The ring.
 * @returns The count.
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * const ring = new Ring(4);
 * console.log(fileTableUnregistrations(ring)); // 0
 * ring.close();
 * ```
 */
export function fileTableUnregistrations(ring: Ring): number {
  return unregistered.get(ring) ?? 0;
}

/**
 * Limits the slots the kernel picks from for IORING_FILE_INDEX_ALLOC (direct openat/accept/socket/FILES_UPDATE)
 * to `[off, off + len)`. Matches liburing's `io_uring_register_file_alloc_range` (Linux 6.0).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * registerFilesSparse(ring, 64);
 * registerFileAllocRange(ring, 32, 32); // allocations land in slots 32..63
 * ```
 */
export function registerFileAllocRange(ring: Ring, off: number, len: number): void {
  const op = "set the file allocation range (IORING_REGISTER_FILE_ALLOC_RANGE)";
  live(ring, op);
  checkU32(op, off, "off");
  checkU32(op, len, "len");
  const arg = new Uint32Array(io_uring_file_index_range.SIZE / 4);
  arg[io_uring_file_index_range.off / 4] = off;
  arg[io_uring_file_index_range.len / 4] = len;
  checkRegister(ring.register(IORING_REGISTER_FILE_ALLOC_RANGE, arg, 0), IORING_REGISTER_FILE_ALLOC_RANGE, op, {
    EINVAL: "the range goes past the end of the registered file table",
    ENXIO: "no file table is registered",
  });
}
