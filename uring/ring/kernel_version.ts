/**
 * The running kernel's version: its release string and comparisons against it. A probe (`probeOpcodes`,
 * `setupFlagSupported`) says more than a version: distributions backport io_uring features, and a kernel may be
 * built without some of them. A version is for what no probe can tell, and to word a skip.
 *
 * @example
 * ```ts
 * console.log(`Linux ${kernelRelease()}`); // "Linux 6.18.44-fc"
 * if (!kernelVersionAtLeast(6, 1)) console.log("IORING_SETUP_DEFER_TASKRUN needs Linux 6.1");
 * ```
 *
 * @module
 */
import { release } from "node:os";
import { readProc } from "./_proc.ts";

/** A kernel version as numbers: `6.18.44-fc` is `{ major: 6, minor: 18, patch: 44 }`. */
export interface KernelVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

let releaseCache: string | undefined;

/**
 * The running kernel's release string, as `uname -r` prints it: read from `/proc/sys/kernel/osrelease`, else
 * from `os.release()`.
 *
 * @returns The release, such as `"6.18.44-fc-v595"`.
 * @example
 * ```ts
 * console.log(`Linux ${kernelRelease()}`);
 * ```
 */
export function kernelRelease(): string {
  if (releaseCache !== undefined) return releaseCache;
  releaseCache = readProc("/proc/sys/kernel/osrelease")?.trim() || release();
  return releaseCache;
}

/**
 * Parses a release string (`"6.18.44-fc"`, `"5.15"`, `"6.7?"`) into numbers; missing parts are 0.
 *
 * @param text A release string; the running kernel's by default.
 * @returns The version, or `{ major: 0, minor: 0, patch: 0 }` when `text` does not start with a number.
 * @example
 * ```ts
 * parseKernelVersion("6.18.44-fc"); // { major: 6, minor: 18, patch: 44 }
 * ```
 */
export function parseKernelVersion(text: string = kernelRelease()): KernelVersion {
  const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(text.trim());
  if (!m) return { major: 0, minor: 0, patch: 0 };
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0) };
}

/**
 * Whether the running kernel is at least `major.minor`. Prefer a probe ({@link probeOpcodes},
 * {@link setupFlagSupported}) when one exists: distributions backport io_uring features, and a kernel may be built
 * without some of them. Use this for what no probe can tell, and to word a skip.
 *
 * @param major The major version, `6` for Linux 6.18.
 * @param minor The minor version, `18` for Linux 6.18.
 * @returns `true` when the running kernel's version is `major.minor` or later.
 * @example
 * ```ts
 * if (!kernelVersionAtLeast(6, 1)) console.log("IORING_SETUP_DEFER_TASKRUN needs Linux 6.1");
 * ```
 */
export function kernelVersionAtLeast(major: number, minor: number): boolean {
  const v = parseKernelVersion();
  return v.major > major || (v.major === major && v.minor >= minor);
}

/**
 * Whether the running kernel is at least the version in a uapi table's `since` (`"6.7"`; an unconfirmed `"6.7?"`
 * counts as 6.7).
 *
 * @param since A version string from {@link OPCODES}, {@link SETUP_FLAGS} or {@link FEATURES}.
 * @returns `true` when the running kernel is that version or later.
 * @example
 * ```ts
 * import { OPCODES, IORING_OP_PIPE } from "../abi/uapi.ts";
 * kernelAtLeastSince(OPCODES[IORING_OP_PIPE]!.since); // OPCODES is indexed by opcode; true on 6.16 and later
 * ```
 */
export function kernelAtLeastSince(since: string): boolean {
  const v = parseKernelVersion(since);
  return kernelVersionAtLeast(v.major, v.minor);
}

