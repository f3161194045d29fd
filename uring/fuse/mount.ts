/**
 * Mounting and unmounting FUSE filesystems, and what the machine says about FUSE over io_uring: the
 * `enable_uring` module parameter, the possible CPUs (one ring queue each), the mount table and the fusectl
 * connection directory.
 *
 * Nothing here touches a mounted FUSE filesystem's files: a call that makes the kernel send a request to the
 * server (stat, open, ... of the mount point) must never come from the thread that serves it, or it waits for
 * itself. `unmountFuse` runs the `umount` program in a child process for the same reason (unmounting waits for
 * the ring entries the serving thread must release).
 *
 * @module
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { encodeCString, libc } from "../../ffi/mod.ts";
import { UringError } from "../core/errors.ts";
import { EACCES, EBUSY, EIO, ENOENT, EPERM, EROFS } from "../abi/errno.ts";

/** Where the kernel exposes FUSE over io_uring's switch (Linux 6.14, CONFIG_FUSE_IO_URING). */
export const ENABLE_URING_PATH = "/sys/module/fuse/parameters/enable_uring";
/** The FUSE device. */
export const FUSE_DEVICE = "/dev/fuse";
/** Where fusectl shows one directory per connection (when it is mounted). */
export const FUSECTL_DIR = "/sys/fs/fuse/connections";

/** mount(2) flag: ignore suid and sgid bits. */
export const MS_NOSUID = 2;
/** mount(2) flag: no device files. */
export const MS_NODEV = 4;
/** umount2(2) flag: detach now, clean up when no longer busy. */
export const MNT_DETACH = 2;

/**
 * Whether FUSE over io_uring can be used: `{ ok: true }`, or `{ ok: false, reason }` saying what is missing.
 *
 * @example
 * ```ts
 * const u = fuseUringStatus();
 * if (!u.ok) console.log(u.reason);
 * ```
 */
export function fuseUringStatus(): { ok: true } | { ok: false; reason: string } {
  if (!existsSync(FUSE_DEVICE)) return { ok: false, reason: `${FUSE_DEVICE} is missing (modprobe fuse)` };
  let v: string;
  try {
    v = readFileSync(ENABLE_URING_PATH, "utf8").trim();
  } catch {
    return {
      ok: false,
      reason: `${ENABLE_URING_PATH} is missing: the kernel has no FUSE over io_uring (Linux 6.14 with ` +
        "CONFIG_FUSE_IO_URING=y)",
    };
  }
  if (v !== "Y") return { ok: false, reason: `${ENABLE_URING_PATH} is ${v} (as root: echo Y > ${ENABLE_URING_PATH})` };
  return { ok: true };
}

/**
 * Sets `/sys/module/fuse/parameters/enable_uring` (root only) and returns what it was, so a caller can put it back.
 * Applies to connections made afterwards. Throws a {@link UringError} (ENOENT, EACCES ...) when it cannot.
 *
 * @example
 * ```ts
 * const before = setFuseUringEnabled(true);
 * try {
 *   // mount and serve: new connections are offered FUSE over io_uring
 * } finally {
 *   setFuseUringEnabled(before);
 * }
 * ```
 */
export function setFuseUringEnabled(on: boolean): boolean {
  let before: string;
  try {
    before = readFileSync(ENABLE_URING_PATH, "utf8").trim();
    writeFileSync(ENABLE_URING_PATH, on ? "Y" : "N");
  } catch (e) {
    const code = (e as { code?: string }).code ?? "EIO";
    throw new UringError("set " + ENABLE_URING_PATH, errnoFromCode(code), (e as Error).message, { cause: e });
  }
  return before === "Y";
}

function errnoFromCode(code: string): number {
  return ({ ENOENT, EACCES, EPERM, EROFS } as Record<string, number>)[code] ?? EIO;
}

/**
 * The number of possible CPUs (`/sys/devices/system/cpu/possible`): FUSE over io_uring has one queue per possible
 * CPU and starts using the ring only once every queue has an entry.
 *
 * @example
 * ```ts
 * console.log(possibleCpus()); // 2 for "0-1"
 * ```
 */
export function possibleCpus(): number {
  let text: string;
  try {
    text = readFileSync("/sys/devices/system/cpu/possible", "utf8").trim();
  } catch {
    return 1;
  }
  return countCpuList(text);
}

/**
 * Counts the CPUs in a kernel CPU list such as `0-3,5,7-8`.
 *
 * @example
 * ```ts
 * console.log(countCpuList("0-3,5")); // 5
 * ```
 */
export function countCpuList(text: string): number {
  let n = 0;
  for (const part of text.split(",")) {
    if (!part) continue;
    const [a, b] = part.split("-").map(Number);
    n += a === undefined || b === undefined ? 1 : b - a + 1;
  }
  return Math.max(n, 1);
}

/**
 * One line of /proc/self/mountinfo, the parts FUSE cares about.
 *
 * @example
 * ```ts
 * const dev = findMount("/mnt/x")?.dev; // "0:52"
 * ```
 */
export interface MountInfo {
  /** The device number "major:minor"; for FUSE the minor is the fusectl connection number. */
  dev: string;
  /** Where it is mounted. */
  mountpoint: string;
  /** The filesystem type (`fuse`, `fuse.memfs` ...). */
  fstype: string;
  /** The source (the `fsname`). */
  source: string;
}

/**
 * The mount at `mountpoint` from /proc/self/mountinfo (the last one, when mounts are stacked), or undefined.
 * Reads only the mount table, never the filesystem.
 *
 * @example
 * ```ts
 * console.log(findMount("/mnt/memfs")?.fstype); // "fuse.memfs"
 * ```
 */
export function findMount(mountpoint: string): MountInfo | undefined {
  let found: MountInfo | undefined;
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    // "36 35 98:0 /root /mountpoint options [optional fields...] - fstype source super-options" (proc(5)).
    const f = line.split(" ");
    if (f.length < 10) continue;
    const sep = f.indexOf("-", 6);
    const [, , dev, , mountField] = f;
    const fstype = f[sep + 1];
    const source = f[sep + 2];
    if (sep < 0 || dev === undefined || mountField === undefined || fstype === undefined || source === undefined) {
      continue;
    }
    const mp = unescapeMount(mountField);
    if (mp !== mountpoint) continue;
    found = { dev, mountpoint: mp, fstype, source: unescapeMount(source) };
  }
  return found;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * What {@link mountFuse} takes beside the device and the mount point.
 *
 * @example
 * ```ts
 * import { openSync } from "node:fs";
 *
 * mountFuse(openSync("/dev/fuse", "r+"), "/mnt/x", { fsname: "memfs", subtype: "memfs", allowOther: true });
 * ```
 */
export interface MountOptions {
  /** The source shown in the mount table (default "ringside"). */
  fsname?: string | undefined;
  /** A subtype: the type becomes `fuse.<subtype>`. */
  subtype?: string | undefined;
  /** Let the kernel check permissions from the mode bits (`default_permissions`). */
  defaultPermissions?: boolean | undefined;
  /** Let other users than the mounting one in (`allow_other`). */
  allowOther?: boolean | undefined;
  /** Extra comma-separated options for the FUSE mount data. */
  extra?: string | undefined;
  /** mount(2) flags (default MS_NOSUID | MS_NODEV). */
  flags?: number | undefined;
}

/**
 * Mounts the FUSE connection of `fd` (an open /dev/fuse) at `mountpoint`: `mount("fsname", mountpoint, "fuse",
 * flags, "fd=N,rootmode=40000,user_id=U,group_id=G,...")`. The kernel then queues INIT on `fd`. Needs
 * CAP_SYS_ADMIN. Throws a {@link UringError} with the errno (EPERM, ENOENT, ENODEV ...).
 *
 * @example
 * ```ts
 * import { openSync } from "node:fs";
 *
 * const fd = openSync("/dev/fuse", "r+");
 * mountFuse(fd, "/mnt/x", { subtype: "memfs", defaultPermissions: true }); // then serve INIT on fd
 * ```
 */
export function mountFuse(fd: number, mountpoint: string, options: MountOptions = {}): void {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  let data = `fd=${fd},rootmode=40000,user_id=${uid},group_id=${gid}`;
  if (options.defaultPermissions) data += ",default_permissions";
  if (options.allowOther) data += ",allow_other";
  if (options.extra) data += `,${options.extra}`;
  const type = options.subtype ? `fuse.${options.subtype}` : "fuse";
  const c = libc();
  const r = c.mount(encodeCString(options.fsname ?? "ringside"), encodeCString(mountpoint), encodeCString(type),
    options.flags ?? (MS_NOSUID | MS_NODEV), encodeCString(data));
  if (r !== 0) {
    const errno = c.errno();
    const hint = errno === EPERM ? "mounting FUSE needs CAP_SYS_ADMIN (run as root)" : `type ${type}, data ${data}`;
    throw new UringError(`mount FUSE at ${mountpoint}`, errno, hint);
  }
}

/**
 * UNSAFE from a thread that serves the mount (see the module doc): `umount2(mountpoint, flags)`. Returns 0 or the
 * positive errno. Tests use it with MNT_DETACH to clean up after a server that died.
 *
 * @example
 * ```ts
 * umount2Sync("/mnt/x", MNT_DETACH);
 * ```
 */
export function umount2Sync(mountpoint: string, flags = 0): number {
  const c = libc();
  return c.umount2(encodeCString(mountpoint), flags) === 0 ? 0 : c.errno();
}

/** Runs `umount [args] mountpoint` in a child process; resolves to its exit code and stderr. */
function runUmount(args: string[]): Promise<{ code: number; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile("umount", args, { timeout: 30_000 }, (err, _stdout, stderr) => {
      const e = err as (Error & { code?: number | string }) | null;
      resolve({
        code: e ? (typeof e.code === "number" ? e.code : 1) : 0,
        stderr: String(stderr ?? "").trim() || (e?.message ?? ""),
        missing: e?.code === "ENOENT",
      });
    });
  });
}

/**
 * Unmounts `mountpoint` from a child process (`umount`, then `umount -l` when it is busy), so the calling thread
 * stays free to serve the requests unmounting causes. Resolves once the mount is gone from the mount table (or
 * detached); rejects with a {@link UringError} when it cannot be unmounted.
 *
 * @example
 * ```ts
 * await unmountFuse("/mnt/x");
 * ```
 */
export async function unmountFuse(mountpoint: string): Promise<void> {
  if (!findMount(mountpoint)) return;
  const first = await runUmount([mountpoint]);
  if (first.missing) {
    // No umount program: a lazy detach from this thread is the least likely to wait on the server.
    const err = umount2Sync(mountpoint, MNT_DETACH);
    if (err !== 0 && findMount(mountpoint)) throw new UringError(`unmount ${mountpoint}`, err);
    return;
  }
  if (first.code === 0 || !findMount(mountpoint)) return;
  const lazy = await runUmount(["-l", mountpoint]);
  if (lazy.code !== 0 && findMount(mountpoint)) {
    throw new UringError(`unmount ${mountpoint}`, EBUSY, `umount: ${first.stderr}; umount -l: ${lazy.stderr}`);
  }
}

/**
 * Aborts a FUSE connection through fusectl (`/sys/fs/fuse/connections/<minor>/abort`): every pending request fails
 * with ECONNABORTED and the server's reads and ring entries end. Returns false when fusectl is not mounted or the
 * connection is unknown.
 *
 * @example
 * ```ts
 * const mount = findMount("/mnt/x");
 * if (mount) abortFuseConnection(mount.dev);
 * ```
 */
export function abortFuseConnection(dev: string): boolean {
  const minor = dev.split(":")[1];
  const path = `${FUSECTL_DIR}/${minor}/abort`;
  if (!minor || !existsSync(path)) return false;
  try {
    writeFileSync(path, "1");
    return true;
  } catch {
    return false;
  }
}
