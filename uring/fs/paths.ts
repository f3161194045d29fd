/**
 * Names in directories on a {@link Loop}: making directories (`mkdir`, `mkdirat`), symbolic and hard links
 * (`symlink`, `symlinkat`, `link`, `linkat`), renaming (`rename`, `renameat` with `RENAME_*`) and removing
 * (`unlink`, `unlinkat`, `rmdir`). The `*at` forms take a directory descriptor, or `AT_FDCWD`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * const loop = new Loop();
 * const dir = `/tmp/paths-example-${Date.now()}`;
 * await mkdir(loop, dir);
 * await symlink(loop, "/etc/hostname", `${dir}/hostname`);
 * await rename(loop, `${dir}/hostname`, `${dir}/name`);
 * await unlink(loop, `${dir}/name`);
 * await rmdir(loop, dir);
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { OpOptions } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import type { Sqe } from "../ring/sqe.ts";
import { checkDirFd, checkPath, checkU32 } from "../core/_validate.ts";
import { prepLinkat, prepMkdirat, prepRenameat, prepSymlinkat, prepUnlinkat } from "../prep/fs.ts";
import { AT_FDCWD } from "../core/_validate.ts";
import { FsOp, show, toVoid } from "./_fs_op.ts";
import { AT_REMOVEDIR } from "./constants.ts";
import type { PathLike } from "./types.ts";

/**
 * Removes a name (or with AT_REMOVEDIR an empty directory), like unlinkat(2). IORING_OP_UNLINKAT, Linux 5.11.
 *
 * @param loop The loop.
 * @param dirfd A directory descriptor, or `AT_FDCWD`.
 * @param path The path.
 * @param flags 0 or `AT_REMOVEDIR`.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { AT_FDCWD, AT_REMOVEDIR } from "ringside-uring/fs";
 * declare const loop: Loop;
 * await unlinkat(loop, AT_FDCWD, "old.log");
 * await unlinkat(loop, AT_FDCWD, "emptydir", AT_REMOVEDIR);
 * ```
 */
export function unlinkat(loop: Loop, dirfd: number, path: PathLike, flags = 0, options?: OpOptions): Promise<void> {
  return run(loop, () => {
    const name = `${flags & AT_REMOVEDIR ? "rmdir" : "unlink"} ${show(path)}`;
    checkDirFd(name, dirfd);
    checkU32(name, flags, "flags");
    const p = checkPath(name, path);
    return new FsOp<void>(name, (sqe, op) => prepUnlinkat(sqe, dirfd, op.cstring(loop, p), flags), toVoid);
  }, options);
}

/**
 * Removes a file name, like unlink(2). IORING_OP_UNLINKAT, Linux 5.11.
 *
 * @param loop The loop.
 * @param path The path.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * await unlink(loop, "/tmp/old.log");
 * ```
 */
export function unlink(loop: Loop, path: PathLike, options?: OpOptions): Promise<void> {
  return unlinkat(loop, AT_FDCWD, path, 0, options);
}

/**
 * Removes an empty directory, like rmdir(2). IORING_OP_UNLINKAT with AT_REMOVEDIR, Linux 5.11.
 *
 * @param loop The loop.
 * @param path The directory.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * await rmdir(loop, "/tmp/empty");
 * ```
 */
export function rmdir(loop: Loop, path: PathLike, options?: OpOptions): Promise<void> {
  return unlinkat(loop, AT_FDCWD, path, AT_REMOVEDIR, options);
}

/**
 * Renames `oldPath` to `newPath`, like renameat2(2). IORING_OP_RENAMEAT, Linux 5.11.
 *
 * @param loop The loop.
 * @param oldDirfd The directory `oldPath` is relative to, or `AT_FDCWD`.
 * @param oldPath The path to rename.
 * @param newDirfd The directory `newPath` is relative to, or `AT_FDCWD`.
 * @param newPath The new path.
 * @param flags `RENAME_NOREPLACE`, `RENAME_EXCHANGE`, `RENAME_WHITEOUT`, or 0.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { AT_FDCWD, RENAME_NOREPLACE } from "ringside-uring/fs";
 * declare const loop: Loop;
 * await renameat(loop, AT_FDCWD, "a.tmp", AT_FDCWD, "a.json", RENAME_NOREPLACE);
 * ```
 */
export function renameat(
  loop: Loop, oldDirfd: number, oldPath: PathLike, newDirfd: number, newPath: PathLike, flags = 0,
  options?: OpOptions,
): Promise<void> {
  const name = `rename ${show(oldPath)} to ${show(newPath)}`;
  return twoPaths(loop, name, prepRenameat, oldDirfd, oldPath, newDirfd, newPath, flags, options);
}

/**
 * Renames a path, like rename(2). IORING_OP_RENAMEAT, Linux 5.11.
 *
 * @param loop The loop.
 * @param oldPath The path to rename.
 * @param newPath The new path.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * await rename(loop, "/tmp/a", "/tmp/b");
 * ```
 */
export function rename(loop: Loop, oldPath: PathLike, newPath: PathLike, options?: OpOptions): Promise<void> {
  return renameat(loop, AT_FDCWD, oldPath, AT_FDCWD, newPath, 0, options);
}

/**
 * Creates a directory, like mkdirat(2). IORING_OP_MKDIRAT, Linux 5.15.
 *
 * @param loop The loop.
 * @param dirfd A directory descriptor, or `AT_FDCWD`.
 * @param path The new directory.
 * @param mode Its permission bits (default 0o777, less the umask).
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { AT_FDCWD } from "ringside-uring/fs";
 * declare const loop: Loop;
 * await mkdirat(loop, AT_FDCWD, "out", 0o755);
 * ```
 */
export function mkdirat(loop: Loop, dirfd: number, path: PathLike, mode = 0o777, options?: OpOptions): Promise<void> {
  return run(loop, () => {
    const name = `mkdir ${show(path)}`;
    checkDirFd(name, dirfd);
    checkU32(name, mode, "mode", 0o7777);
    const p = checkPath(name, path);
    return new FsOp<void>(name, (sqe, op) => prepMkdirat(sqe, dirfd, op.cstring(loop, p), mode), toVoid);
  }, options);
}

/**
 * Creates a directory, like mkdir(2). IORING_OP_MKDIRAT, Linux 5.15.
 *
 * @param loop The loop.
 * @param path The new directory.
 * @param mode Its permission bits (default 0o777, less the umask).
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * await mkdir(loop, "/tmp/out");
 * ```
 */
export function mkdir(loop: Loop, path: PathLike, mode = 0o777, options?: OpOptions): Promise<void> {
  return mkdirat(loop, AT_FDCWD, path, mode, options);
}

/**
 * Creates a symbolic link `linkPath` (relative to `dirfd`) whose content is `target`, like symlinkat(2).
 * IORING_OP_SYMLINKAT, Linux 5.15.
 *
 * @param loop The loop.
 * @param target What the link points to (not checked: it may not exist).
 * @param dirfd The directory `linkPath` is relative to, or `AT_FDCWD`.
 * @param linkPath The link to create.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { AT_FDCWD } from "ringside-uring/fs";
 * declare const loop: Loop;
 * await symlinkat(loop, "data-v2.bin", AT_FDCWD, "data.bin");
 * ```
 */
export function symlinkat(
  loop: Loop, target: PathLike, dirfd: number, linkPath: PathLike, options?: OpOptions,
): Promise<void> {
  return run(loop, () => {
    const name = `symlink ${show(linkPath)} -> ${show(target)}`;
    checkDirFd(name, dirfd);
    const t = checkPath(name, target, "target");
    const l = checkPath(name, linkPath, "link path");
    return new FsOp<void>(name, (sqe, op) =>
      prepSymlinkat(sqe, op.cstring(loop, t), dirfd, op.cstring(loop, l)), toVoid);
  }, options);
}

/**
 * Creates a symbolic link, like symlink(2). IORING_OP_SYMLINKAT, Linux 5.15.
 *
 * @param loop The loop.
 * @param target What the link points to.
 * @param linkPath The link to create.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * await symlink(loop, "/etc/hostname", "/tmp/hostname-link");
 * ```
 */
export function symlink(loop: Loop, target: PathLike, linkPath: PathLike, options?: OpOptions): Promise<void> {
  return symlinkat(loop, target, AT_FDCWD, linkPath, options);
}

/**
 * Creates a hard link `newPath` to `oldPath`, like linkat(2). IORING_OP_LINKAT, Linux 5.15.
 *
 * @param loop The loop.
 * @param oldDirfd The directory `oldPath` is relative to, or `AT_FDCWD`.
 * @param oldPath The existing file.
 * @param newDirfd The directory `newPath` is relative to, or `AT_FDCWD`.
 * @param newPath The new name.
 * @param flags AT_SYMLINK_FOLLOW, AT_EMPTY_PATH, or 0.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * import { AT_FDCWD } from "ringside-uring/fs";
 * declare const loop: Loop;
 * await linkat(loop, AT_FDCWD, "a", AT_FDCWD, "b");
 * ```
 */
export function linkat(
  loop: Loop, oldDirfd: number, oldPath: PathLike, newDirfd: number, newPath: PathLike, flags = 0,
  options?: OpOptions,
): Promise<void> {
  const name = `link ${show(newPath)} to ${show(oldPath)}`;
  return twoPaths(loop, name, prepLinkat, oldDirfd, oldPath, newDirfd, newPath, flags, options);
}

/**
 * Creates a hard link, like link(2). IORING_OP_LINKAT, Linux 5.15.
 *
 * @param loop The loop.
 * @param oldPath The existing file.
 * @param newPath The new name.
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * await link(loop, "/tmp/a", "/tmp/b");
 * ```
 */
export function link(loop: Loop, oldPath: PathLike, newPath: PathLike, options?: OpOptions): Promise<void> {
  return linkat(loop, AT_FDCWD, oldPath, AT_FDCWD, newPath, 0, options);
}

/** renameat and linkat: two directory descriptors, two paths and flags, checked the same way. */
function twoPaths(
  loop: Loop,
  name: string,
  prep: (sqe: Sqe, oldDirfd: number, oldPath: number, newDirfd: number, newPath: number, flags: number) => void,
  oldDirfd: number,
  oldPath: PathLike,
  newDirfd: number,
  newPath: PathLike,
  flags: number,
  options: OpOptions | undefined,
): Promise<void> {
  return run(loop, () => {
    checkDirFd(name, oldDirfd);
    checkDirFd(name, newDirfd);
    checkU32(name, flags, "flags");
    const a = checkPath(name, oldPath, "old path");
    const b = checkPath(name, newPath, "new path");
    return new FsOp<void>(name, (sqe, op) => prep(sqe, oldDirfd, op.cstring(loop, a), newDirfd, op.cstring(loop, b), flags), toVoid);
  }, options);
}
