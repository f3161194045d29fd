/**
 * Extended attributes of one inode: named values, names as bytes (see names.ts), stored bytes charged to the
 * filesystem's {@link Space}.
 *
 * What the kernel checks before FUSE sees a request, and so is not checked again here (fs/xattr.c): a name of more
 * than XATTR_NAME_MAX (255) bytes or an empty one is ERANGE (import_xattr_name), a value of more than XATTR_SIZE_MAX
 * (64 KiB) E2BIG (setxattr_copy), flags other than XATTR_CREATE / XATTR_REPLACE EINVAL; `user.` attributes only on
 * regular files and directories, `trusted.` only for CAP_SYS_ADMIN (xattr_permission); `system.posix_acl_*` go to
 * the ACL code, which answers EOPNOTSUPP for a FUSE filesystem that did not ask for FUSE_POSIX_ACL. What is left
 * is the filesystem's: which namespaces it keeps, and the flags' EEXIST / ENODATA.
 *
 * @module
 */
import { FuseError, XATTR_CREATE, XATTR_REPLACE } from "ringside-uring/fuse";
import { bytesOf, keyOf } from "./names.ts";
import type { Space } from "./pages.ts";

/** The namespaces memfs keeps, as ext4 and tmpfs do; another prefix is EOPNOTSUPP. */
const NAMESPACES = ["user.", "trusted.", "security."];

/**
 * The extended attributes of one inode.
 *
 * @example
 * ```ts
 * import { XATTR_CREATE } from "ringside-uring/fuse";
 * import { Space } from "./pages.ts";
 *
 * const enc = new TextEncoder();
 * const x = new Xattrs();
 * x.set(enc.encode("user.mime"), enc.encode("text/plain"), XATTR_CREATE, new Space(1 << 20));
 * console.log(new TextDecoder().decode(x.get(enc.encode("user.mime")))); // "text/plain"
 * ```
 */
export class Xattrs {
  private readonly values = new Map<string, Uint8Array>();
  /** Bytes of names and values held (charged to the space). */
  stored = 0;

  /** Sets `name` to a copy of `value`; XATTR_CREATE: EEXIST if present, XATTR_REPLACE: ENODATA if absent. */
  set(name: Uint8Array, value: Uint8Array, flags: number, space: Space): void {
    const key = keyOf(name);
    if (!NAMESPACES.some((p) => key.startsWith(p))) throw new FuseError("EOPNOTSUPP", `no namespace for ${key}`);
    const old = this.values.get(key);
    if (old && flags & XATTR_CREATE) throw new FuseError("EEXIST");
    if (!old && flags & XATTR_REPLACE) throw new FuseError("ENODATA");
    const delta = value.byteLength - (old ? old.byteLength : -key.length);
    if (delta > 0) space.charge(delta);
    else space.credit(-delta);
    this.stored += delta;
    this.values.set(key, value.slice());
  }

  /** The value of `name`; ENODATA when it has none. */
  get(name: Uint8Array): Uint8Array {
    const v = this.values.get(keyOf(name));
    if (!v) throw new FuseError("ENODATA");
    return v;
  }

  /** The names, in the order they were first set. */
  list(): Uint8Array[] {
    return [...this.values.keys()].map(bytesOf);
  }

  /** Removes `name`; ENODATA when it has none. */
  remove(name: Uint8Array, space: Space): void {
    if (!this.drop(keyOf(name), space)) throw new FuseError("ENODATA");
  }

  /** Removes the attribute of key `key` (names.ts keyOf) if there is one; says whether there was. */
  drop(key: string, space: Space): boolean {
    const v = this.values.get(key);
    if (!v) return false;
    this.values.delete(key);
    this.stored -= key.length + v.byteLength;
    space.credit(key.length + v.byteLength);
    return true;
  }

  /** Gives all storage back (the inode is gone). */
  clear(space: Space): void {
    space.credit(this.stored);
    this.stored = 0;
    this.values.clear();
  }
}
