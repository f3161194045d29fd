/**
 * Which kernel an `io_uring_register(2)` opcode (or a flag of one) needs, and whether this kernel has it, so a
 * register call the kernel refuses with EINVAL for being too new says "IORING_REGISTER_CLOCK needs Linux 6.12"
 * instead of blaming its argument. Internal to the ring layer.
 *
 * The kernel answers an unknown register opcode with EINVAL, the same errno as a bad argument, and before
 * IORING_REGISTER_QUERY (Linux 6.18) nothing lists the register opcodes it knows. So: QUERY's count where the kernel
 * has it; otherwise the version of this kernel's io_uring, which is the newer of `uname -r` and the newest request
 * opcode IORING_REGISTER_PROBE reports (a distribution kernel may carry newer opcodes than its version says), except
 * for the few register opcodes stable kernels backported on their own.
 *
 * @module
 */
import { check, UringError } from "../core/errors.ts";
import { EINVAL } from "../abi/errno.ts";
import { OPCODES, type UapiConstant } from "../abi/uapi.ts";
import { type KernelVersion, kernelRelease, parseKernelVersion } from "./kernel_version.ts";
import { probeOpcodes } from "./probe.ts";
import { queryOpcodes } from "./query.ts";

/** Every `io_uring_register(2)` opcode, in opcode order, with the kernel that added it (from uapi.ts's comments). */
export const REGISTER_OPCODES: readonly UapiConstant[] = Object.freeze(([
  ["IORING_REGISTER_BUFFERS", "5.1"],
  ["IORING_UNREGISTER_BUFFERS", "5.1"],
  ["IORING_REGISTER_FILES", "5.1"],
  ["IORING_UNREGISTER_FILES", "5.1"],
  ["IORING_REGISTER_EVENTFD", "5.2"],
  ["IORING_UNREGISTER_EVENTFD", "5.2"],
  ["IORING_REGISTER_FILES_UPDATE", "5.5"],
  ["IORING_REGISTER_EVENTFD_ASYNC", "5.6"],
  ["IORING_REGISTER_PROBE", "5.6"],
  ["IORING_REGISTER_PERSONALITY", "5.6"],
  ["IORING_UNREGISTER_PERSONALITY", "5.6"],
  ["IORING_REGISTER_RESTRICTIONS", "5.10"],
  ["IORING_REGISTER_ENABLE_RINGS", "5.10"],
  ["IORING_REGISTER_FILES2", "5.13"],
  ["IORING_REGISTER_FILES_UPDATE2", "5.13"],
  ["IORING_REGISTER_BUFFERS2", "5.13"],
  ["IORING_REGISTER_BUFFERS_UPDATE", "5.13"],
  ["IORING_REGISTER_IOWQ_AFF", "5.14"],
  ["IORING_UNREGISTER_IOWQ_AFF", "5.14"],
  ["IORING_REGISTER_IOWQ_MAX_WORKERS", "5.15"],
  ["IORING_REGISTER_RING_FDS", "5.18"],
  ["IORING_UNREGISTER_RING_FDS", "5.18"],
  ["IORING_REGISTER_PBUF_RING", "5.19"],
  ["IORING_UNREGISTER_PBUF_RING", "5.19"],
  ["IORING_REGISTER_SYNC_CANCEL", "6.0"],
  ["IORING_REGISTER_FILE_ALLOC_RANGE", "6.0"],
  ["IORING_REGISTER_PBUF_STATUS", "6.8"],
  ["IORING_REGISTER_NAPI", "6.9"],
  ["IORING_UNREGISTER_NAPI", "6.9"],
  ["IORING_REGISTER_CLOCK", "6.12"],
  ["IORING_REGISTER_CLONE_BUFFERS", "6.12"],
  ["IORING_REGISTER_SEND_MSG_RING", "6.13"],
  ["IORING_REGISTER_ZCRX_IFQ", "6.15"],
  ["IORING_REGISTER_RESIZE_RINGS", "6.13"],
  ["IORING_REGISTER_MEM_REGION", "6.13"],
  ["IORING_REGISTER_QUERY", "6.18"],
  ["IORING_REGISTER_ZCRX_CTRL", "6.19"],
  ["IORING_REGISTER_BPF_FILTER", "7.0"],
] as const).map(([name, since], value) => Object.freeze({ name, value, since })));

/**
 * Register opcodes that stable kernels carry from an older version than the one that added them: the io-wq limits
 * of 5.14/5.15 are in 5.10.y (Debian's 5.10 answers them although its request opcodes stop at 5.11's UNLINKAT).
 */
const BACKPORTED: ReadonlyMap<number, string> = new Map(([
  ["IORING_REGISTER_IOWQ_AFF", "5.10"],
  ["IORING_UNREGISTER_IOWQ_AFF", "5.10"],
  ["IORING_REGISTER_IOWQ_MAX_WORKERS", "5.10"],
] as const).map(([name, from]) => [REGISTER_OPCODES.findIndex((o) => o.name === name), from]));

let level: KernelVersion | undefined;

function newer(a: KernelVersion, b: KernelVersion): KernelVersion {
  return a.major > b.major || (a.major === b.major && a.minor >= b.minor) ? a : b;
}

/**
 * The version of this kernel's io_uring: the newer of `uname -r` and the newest request opcode the probe reports
 * as supported (a distribution kernel may carry a newer io_uring than its version says). Cached.
 *
 * @returns The version, patch level 0 when it comes from the probe.
 */
export function ioUringLevel(): KernelVersion {
  if (level) return level;
  let v = parseKernelVersion();
  try {
    const p = probeOpcodes();
    for (const o of OPCODES) if (p.isSupported(o.value)) v = newer(v, parseKernelVersion(o.since));
  } catch {
    // No probe (no ring, or a kernel before 5.6): the release is all there is.
  }
  level = v;
  return v;
}

/**
 * Whether this kernel's io_uring ({@link ioUringLevel}) is older than `since` (`"6.12"`).
 *
 * @param since A kernel version as uapi's tables write it.
 * @returns `true` when the kernel is older.
 */
export function ioUringOlderThan(since: string): boolean {
  const want = parseKernelVersion(since);
  const have = ioUringLevel();
  return have.major < want.major || (have.major === want.major && have.minor < want.minor);
}

/**
 * Why register opcode `opcode` is missing from this kernel, as `"IORING_REGISTER_CLOCK needs Linux 6.12 (this kernel
 * is 6.1.0-57-amd64)"`, or `undefined` when the kernel has it (or the opcode is not one ringside knows). Asks
 * IORING_REGISTER_QUERY where the kernel has it, else compares {@link ioUringLevel}.
 *
 * @param opcode An `IORING_(UN)REGISTER_*` opcode.
 * @returns The reason, or `undefined`.
 */
export function registerOpMissing(opcode: number): string | undefined {
  const known = REGISTER_OPCODES[opcode];
  if (!known) return undefined;
  let count: number | undefined;
  try {
    count = queryOpcodes()?.nrRegisterOpcodes;
  } catch {
    count = undefined;
  }
  const missing = count !== undefined && count > 0
    ? opcode >= count
    : ioUringOlderThan(BACKPORTED.get(opcode) ?? known.since);
  return missing ? needs(known.name, known.since) : undefined;
}

/** `"<what> needs Linux <since> (this kernel is <release>)"`. */
export function needs(what: string, since: string): string {
  return `${what} needs Linux ${since} (this kernel is ${kernelRelease()})`;
}

/** A part of a register call newer than the opcode: named, with its version, when the call uses it. */
export interface NewerPart {
  /** Whether this call uses it. */
  readonly used: boolean;
  /** Its name (`"IORING_RSRC_REGISTER_SPARSE"`). */
  readonly what: string;
  /** The kernel that added it. */
  readonly since: string;
}

/**
 * {@link check} for a register call: on EINVAL from a kernel that lacks the opcode, or lacks a newer part of it the
 * call uses, the error says which and the version needed; otherwise `hints` explain the errno as usual.
 *
 * @param res The register call's result.
 * @param opcode The register opcode.
 * @param operation What the call does, for the message.
 * @param hints Errno name to explanation, for a kernel that has everything the call uses.
 * @param parts Newer parts of the call (flags, fields) and whether it uses them.
 * @returns `res` when it is not negative.
 */
export function checkRegister(
  res: number,
  opcode: number,
  operation: string,
  hints?: Readonly<Record<string, string>>,
  parts: readonly NewerPart[] = [],
): number {
  if (res === -EINVAL) {
    const why = registerOpMissing(opcode) ??
      parts.filter((p) => p.used && ioUringOlderThan(p.since)).map((p) => needs(p.what, p.since))[0];
    if (why) throw new UringError(operation, EINVAL, why);
  }
  return check(res, operation, hints);
}
