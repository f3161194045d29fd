/**
 * Names as Linux has them: bytes, any but '/' and NUL, not text in any encoding. memfs keeps a name as the bytes
 * the kernel sent, and keys directories by a "binary string" of them (one UTF-16 code unit per byte, as latin1
 * decodes), so that a JavaScript Map finds a name by its exact bytes and two names that differ in any byte (say
 * é in UTF-8 and é in latin1) stay two entries.
 *
 * @module
 */
import { FuseError } from "ringside-uring/fuse";

/** The longest name, in bytes (linux/limits.h NAME_MAX; what statfs reports as `namelen`). */
export const NAME_MAX = 255;
/** The longest path, in bytes with its NUL (linux/limits.h PATH_MAX): a symbolic link's target is shorter. */
export const PATH_MAX = 4096;

/**
 * The Map key of a name: one code unit per byte.
 *
 * @example
 * ```ts
 * keyOf(new Uint8Array([0x63, 0xe9])); // "c\u00e9", the latin1 reading of the bytes
 * ```
 */
export function keyOf(name: Uint8Array): string {
  let s = "";
  for (let i = 0; i < name.length; i++) s += String.fromCharCode(name[i]!);
  return s;
}

/**
 * The bytes a key stands for ({@link keyOf} undone).
 *
 * @example
 * ```ts
 * bytesOf("c\u00e9"); // Uint8Array [0x63, 0xe9]
 * ```
 */
export function bytesOf(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i);
  return out;
}

/**
 * Refuses a name longer than {@link NAME_MAX} with ENAMETOOLONG, as a disk filesystem's lookup does (ext4_lookup,
 * shmem's simple_lookup): the VFS does not check component lengths, and FUSE only refuses names longer than its own
 * limit (fs/fuse/dir.c fuse_lookup_name), which is larger.
 *
 * @example
 * ```ts
 * checkName(new Uint8Array(255)); // fine
 * ```
 */
export function checkName(name: Uint8Array): void {
  if (name.length > NAME_MAX) throw new FuseError("ENAMETOOLONG", `a name of ${name.length} bytes`);
}

/**
 * Refuses a symbolic link target that is not shorter than {@link PATH_MAX} with ENAMETOOLONG. The kernel copies a
 * target from the caller with getname (PATH_MAX with its NUL), so a longer one never arrives through a syscall;
 * this holds memfs to the same limit whatever drives it.
 *
 * @example
 * ```ts
 * checkTarget(new TextEncoder().encode("../elsewhere")); // fine
 * ```
 */
export function checkTarget(target: Uint8Array): void {
  if (target.length >= PATH_MAX) throw new FuseError("ENAMETOOLONG", `a link target of ${target.length} bytes`);
}
