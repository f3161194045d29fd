/**
 * Names and symlink targets between the kernel's bytes and the handlers' names: the NUL-terminated strings of a
 * request read as bytes or as strict UTF-8, and the checks on what handlers send back (the kernel refuses a
 * directory entry or an xattr list with a name it could never have sent).
 *
 * @module
 */
import { refuse } from "../core/errors.ts";

/** Strict UTF-8, keeping a leading U+FEFF (a name may start with the bytes EF BB BF like with any others). */
const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

/** The longest name the kernel takes in a directory entry (fs/fuse/fuse_i.h FUSE_NAME_MAX). */
export const FUSE_NAME_MAX = 1024;

/**
 * `bytes` decoded as strict UTF-8, or undefined when they are not valid UTF-8.
 *
 * @param bytes A name without its NUL.
 * @returns The string, or undefined.
 */
export function decodeName(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A handler's name or target as bytes: a string encoded as UTF-8, bytes as they are.
 *
 * @param name The name.
 * @returns Its bytes (the same array for bytes).
 */
export function nameBytes(name: string | Uint8Array): Uint8Array {
  return typeof name === "string" ? encoder.encode(name) : name;
}

/**
 * Writes a string as UTF-8 into `dst`; returns the bytes written, or -1 when it does not fit.
 *
 * @param name The string.
 * @param dst Where to write it.
 * @returns The length written, or -1.
 */
export function encodeNameInto(name: string | Uint8Array, dst: Uint8Array): number {
  if (typeof name !== "string") {
    if (name.byteLength > dst.byteLength) return -1;
    dst.set(name);
    return name.byteLength;
  }
  const { read, written } = encoder.encodeInto(name, dst);
  return read! < name.length ? -1 : written!;
}

/**
 * Refuses (a `UringError`, which the request answers with EIO) a name the kernel would refuse: empty, longer than
 * `max` bytes, or holding NUL, or `/` when `slash` is forbidden (directory entries; fs/fuse/readdir.c
 * fuse_parse_dirfile, fs/fuse/xattr.c fuse_verify_xattr_list).
 *
 * @param bytes The encoded name.
 * @param what What the name is, for the message.
 * @param slash Whether `/` is refused too.
 * @param max The longest allowed.
 */
export function checkName(bytes: Uint8Array, what: string, slash: boolean, max = FUSE_NAME_MAX): void {
  const n = bytes.byteLength;
  if (n === 0) refuse(`send ${what}`, "the name is empty");
  if (n > max) refuse(`send ${what}`, `the name is ${n} bytes long (at most ${max})`);
  for (let i = 0; i < n; i++) {
    const b = bytes[i];
    if (b === 0 || (slash && b === 0x2f)) {
      refuse(`send ${what}`, `the name holds ${b === 0 ? "NUL" : "'/'"} at byte ${i}`);
    }
  }
}
