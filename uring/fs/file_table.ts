/**
 * The ring's registered file table from inside the ring: `filesUpdate` puts descriptors into slots (or free slots
 * the kernel picks), `fixedFdInstall` turns a slot back into a normal descriptor. Slots are used as direct
 * descriptors with `{ fixed: true }`; the table itself is made with `registerFiles` or `registerFilesSparse`.
 *
 * @example
 * ```ts
 * import { Loop, registerFilesSparse } from "ringside-uring";
 * import { close, open, read } from "ringside-uring/fs";
 * const loop = new Loop();
 * registerFilesSparse(loop.ring, 8);
 * const fd = await open(loop, "/etc/hostname");
 * const [slot] = await filesUpdateAlloc(loop, [fd]); // one slot per descriptor given
 * await close(loop, fd); // the slot keeps the file open
 * console.log(await read(loop, slot!, new Uint8Array(64), 0, { fixed: true }) > 0);
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { OpOptions } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { refuse } from "../core/errors.ts";
import { checkSlot, checkU32, MAX_FIXED_FILES } from "../core/_validate.ts";
import { IORING_FILE_INDEX_ALLOC } from "../abi/uapi.ts";
import { prepFilesUpdate, prepFixedFdInstall } from "../prep/files.ts";
import { FsOp } from "./_fs_op.ts";

/**
 * Turns direct descriptor `slot` into a normal file descriptor (the slot stays registered). The new descriptor is
 * O_CLOEXEC unless `flags` has `IORING_FIXED_FD_NO_CLOEXEC`. Resolves to the descriptor.
 * IORING_OP_FIXED_FD_INSTALL, Linux 6.8.
 *
 * @param loop The loop.
 * @param slot The slot.
 * @param flags 0 or `IORING_FIXED_FD_NO_CLOEXEC`.
 * @param options `signal`, `timeoutMs`.
 * @returns The file descriptor.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, slot: number;
 * const fd = await fixedFdInstall(loop, slot);
 * ```
 */
export function fixedFdInstall(loop: Loop, slot: number, flags = 0, options?: OpOptions): Promise<number> {
  return run(loop, () => {
    const what = "install a direct descriptor";
    checkSlot(what, slot, false, IORING_FILE_INDEX_ALLOC);
    checkU32(what, flags, "flags");
    return new FsOp(what, (sqe) => prepFixedFdInstall(sqe, slot, flags));
  }, options);
}

/**
 * Replaces slots `offset ..` of the registered file table with `fds` (-1 empties a slot), from inside the ring.
 * Resolves to how many slots were updated. IORING_OP_FILES_UPDATE, Linux 5.6.
 *
 * @param loop The loop.
 * @param offset The first slot.
 * @param fds The descriptors, -1 for "empty this slot".
 * @param options `signal`, `timeoutMs`.
 * @returns How many slots were updated.
 *
 * @example
 * ```ts
 * import { Loop, registerFilesSparse } from "ringside-uring";
 * declare const loop: Loop, fdA: number, fdB: number;
 * registerFilesSparse(loop.ring, 8);
 * await filesUpdate(loop, 2, [fdA, fdB]); // 2: slots 2 and 3
 * ```
 */
export function filesUpdate(loop: Loop, offset: number, fds: readonly number[], options?: OpOptions): Promise<number> {
  return run(loop, () => {
    checkSlot("update registered files", offset, false, IORING_FILE_INDEX_ALLOC);
    return filesUpdateOp(loop, offset, fds, (n) => n);
  }, options);
}

/**
 * Puts `fds` into free slots of the registered file table, from inside the ring (IORING_FILE_INDEX_ALLOC).
 * Resolves to the slots chosen, one per descriptor. IORING_OP_FILES_UPDATE, Linux 5.19.
 *
 * @param loop The loop.
 * @param fds The descriptors.
 * @param options `signal`, `timeoutMs`.
 * @returns The slots, in the order of `fds`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, fd: number;
 * const [slot] = await filesUpdateAlloc(loop, [fd]);
 * ```
 */
export function filesUpdateAlloc(loop: Loop, fds: readonly number[], options?: OpOptions): Promise<number[]> {
  return run(loop, () => filesUpdateOp(loop, IORING_FILE_INDEX_ALLOC, fds, (n, c) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(c.view.getInt32(i * 4, true));
    return out;
  }), options);
}

function filesUpdateOp<T>(
  loop: Loop, offset: number, fds: readonly number[],
  result: (n: number, c: { view: DataView }) => T,
): FsOp<T> {
  const what = "update registered files";
  if (!Array.isArray(fds) || fds.length === 0) refuse(what, "fds must be a non-empty array");
  // What was checked is what the kernel gets, even if the caller's array changes while the request waits for room.
  fds = fds.slice();
  if (fds.length > MAX_FIXED_FILES) refuse(what, `${fds.length} descriptors is more than a table holds`);
  fds.forEach((fd, i) => {
    if (!Number.isInteger(fd) || fd < -1 || fd > 0x7fffffff) {
      refuse(what, `fds[${i}] must be a file descriptor or -1, got ${fd}`);
    }
  });
  let arr: { view: DataView } | undefined;
  return new FsOp<T>(what, (sqe, op) => {
    const c = op.chunk(loop, fds.length * 4);
    fds.forEach((fd, i) => c.view.setInt32(i * 4, fd, true));
    arr = c;
    prepFilesUpdate(sqe, c.address, fds.length, offset);
  }, (res) => result(res, arr!)); // map runs before the chunk is released
}
