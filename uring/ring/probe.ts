/**
 * Probe, don't guess: which opcodes, setup flags and features this kernel has, asked of the kernel itself
 * (`IORING_REGISTER_PROBE`, a tiny ring per setup flag, `io_uring_params.features`, `IORING_REGISTER_QUERY`), and
 * the diagnostics a user needs when io_uring cannot be set up at all.
 *
 * Names are the kernel's full names (`"IORING_OP_NOP"`, `"IORING_SETUP_SQPOLL"`, `"IORING_FEAT_NODROP"`).
 *
 * @example
 * ```ts
 * import { kernelRelease, probeOpcodes, setupFlagSupported } from "./probe.ts";
 * import { IORING_OP_PIPE, IORING_SETUP_DEFER_TASKRUN } from "../abi/uapi.ts";
 *
 * console.log(kernelRelease());                               // "6.18.44"
 * console.log(probeOpcodes().isSupported(IORING_OP_PIPE));    // true on 6.16 and later
 * console.log(setupFlagSupported(IORING_SETUP_DEFER_TASKRUN)); // true on 6.1 and later
 * ```
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { errnoName, liburing } from "../../ffi/mod.ts";
import { UringError } from "../core/errors.ts";
import { NativeMemory } from "../core/memory.ts";
import { Ring, type RingOptions } from "./ring.ts";
import {
  ENTER_FLAGS,
  FEATURES,
  IO_URING_OP_SUPPORTED,
  IO_URING_QUERY_OPCODES,
  io_uring_probe,
  io_uring_probe_op,
  io_uring_query_hdr,
  io_uring_query_opcode,
  IORING_REGISTER_PROBE,
  IORING_REGISTER_QUERY,
  IORING_SETUP_ATTACH_WQ,
  IORING_SETUP_COOP_TASKRUN,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_HYBRID_IOPOLL,
  IORING_SETUP_IOPOLL,
  IORING_SETUP_NO_MMAP,
  IORING_SETUP_REGISTERED_FD_ONLY,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_SETUP_SQ_AFF,
  IORING_SETUP_SQPOLL,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_TASKRUN_FLAG,
  IOSQE_ASYNC,
  IOSQE_BUFFER_SELECT,
  IOSQE_CQE_SKIP_SUCCESS,
  IOSQE_FIXED_FILE,
  IOSQE_IO_DRAIN,
  IOSQE_IO_HARDLINK,
  IOSQE_IO_LINK,
  OPCODES,
  SETUP_FLAGS,
  type UapiConstant,
} from "../abi/uapi.ts";

const TWO_32 = 4294967296;

// ---- Kernel version ------------------------------------------------------------------------------------------

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
 * kernelAtLeastSince(OPCODES[IORING_OP_PIPE].since); // true on 6.16 and later
 * ```
 */
export function kernelAtLeastSince(since: string): boolean {
  const v = parseKernelVersion(since);
  return kernelVersionAtLeast(v.major, v.minor);
}

// ---- /proc --------------------------------------------------------------------------------------------------

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function readProcInt(path: string): number | undefined {
  const text = readProc(path);
  if (text === undefined) return undefined;
  const n = Number.parseInt(text.trim(), 10);
  return Number.isNaN(n) ? undefined : n;
}

/**
 * The `/proc/sys/kernel/io_uring_disabled` sysctl (Linux 6.6): 0 lets every process create rings, 1 only
 * processes with CAP_SYS_ADMIN or in the group `/proc/sys/kernel/io_uring_group`, 2 none.
 *
 * @returns 0, 1 or 2, or `undefined` when the kernel has no such sysctl (before 6.6, or no io_uring).
 * @example
 * ```ts
 * if (ioUringDisabled() === 2) console.log("io_uring is disabled on this machine");
 * ```
 */
export function ioUringDisabled(): number | undefined {
  return readProcInt("/proc/sys/kernel/io_uring_disabled");
}

/** `Field:\tvalue` lines of /proc/self/status. */
function procStatus(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of (readProc("/proc/self/status") ?? "").split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}

/** The first CPU this process may run on (for IORING_SETUP_SQ_AFF), from `Cpus_allowed_list`. */
function firstAllowedCpu(): number {
  const m = /^(\d+)/.exec(procStatus().get("Cpus_allowed_list") ?? "");
  return m ? Number(m[1]) : 0;
}

// ---- Setup --------------------------------------------------------------------------------------------------

/** The outcome of setting up one tiny ring. */
export type SetupAttempt =
  | { readonly ok: true; readonly flags: number; readonly features: number }
  | { readonly ok: false; readonly error: Error; readonly code: string };

let plainSetup: SetupAttempt | undefined;

/**
 * Sets up (and closes at once) a one-entry ring without flags: whether this process can use io_uring at all.
 * The result is cached. On failure, {@link diagnoseSetupFailure} explains `error`.
 *
 * @returns `{ ok: true, flags, features }`, or `{ ok: false, error, code }` where `code` is the errno name
 *   (`"EPERM"`), or `"ELIBURING"` when liburing itself could not be loaded.
 * @example
 * ```ts
 * const r = trySetup();
 * if (!r.ok) console.log(diagnoseSetupFailure(r.error).reason);
 * ```
 */
export function trySetup(): SetupAttempt {
  plainSetup ??= attempt(1, {});
  return plainSetup;
}

function attempt(entries: number, options: RingOptions): SetupAttempt {
  let ring: Ring | undefined;
  try {
    ring = new Ring(entries, options);
    return { ok: true, flags: ring.flags, features: ring.features };
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    return { ok: false, error, code: e instanceof UringError ? e.code : "ELIBURING" };
  } finally {
    try {
      ring?.close();
    } catch {
      // The ring was set up, which is all a probe asks; a failure to tear it down is not the kernel's answer.
    }
  }
}

/**
 * Flags that the kernel only accepts together with a partner (io_uring/io_uring.c io_uring_sanitise_params and
 * io_uring_create): probing one alone would report EINVAL for a flag the kernel has.
 */
const PARTNERS: readonly (readonly [flag: number, partner: number])[] = [
  [IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER],
  [IORING_SETUP_TASKRUN_FLAG, IORING_SETUP_COOP_TASKRUN],
  [IORING_SETUP_REGISTERED_FD_ONLY, IORING_SETUP_NO_MMAP],
  [IORING_SETUP_SQ_AFF, IORING_SETUP_SQPOLL],
  [IORING_SETUP_HYBRID_IOPOLL, IORING_SETUP_IOPOLL],
];

/** The result of probing one setup flag (or combination) with a tiny ring. */
export interface SetupFlagResult {
  /** The flags asked about. */
  readonly flags: number;
  /** The flags the probe ring was set up with: `flags` plus the partners they need. */
  readonly tried: number;
  /** Whether a ring with these flags could be set up. */
  readonly supported: boolean;
  /**
   * Why not, as an errno name: `"EINVAL"` means the kernel does not know the flag (or refuses the combination);
   * anything else means it knows it but refused it here (`"EPERM"` for SQPOLL without privileges before 5.11).
   */
  readonly code?: string;
}

const flagCache = new Map<number, SetupFlagResult>();

/**
 * Probes `flags` (one `IORING_SETUP_*` flag or several) by setting up and closing a one-entry ring with them,
 * adding the partner flags the kernel demands (DEFER_TASKRUN needs SINGLE_ISSUER, TASKRUN_FLAG needs COOP_TASKRUN,
 * REGISTERED_FD_ONLY needs NO_MMAP, SQ_AFF needs SQPOLL, HYBRID_IOPOLL needs IOPOLL) and the parameters some flags
 * read (a CQ size for CQSIZE, a CPU for SQ_AFF, a short idle for SQPOLL, a ring to share for ATTACH_WQ).
 * Results are cached per `flags`.
 *
 * Throws the setup error when io_uring cannot be set up even without flags: then no flag can be probed
 * ({@link trySetup} and {@link diagnoseSetupFailure} say why).
 *
 * @param flags `IORING_SETUP_*` bits.
 * @returns What the kernel said; see {@link SetupFlagResult.code}.
 * @example
 * ```ts
 * const r = probeSetupFlag(IORING_SETUP_CQE_MIXED);
 * console.log(r.supported ? "CQE_MIXED works" : `CQE_MIXED refused: ${r.code}`);
 * ```
 */
export function probeSetupFlag(flags: number): SetupFlagResult {
  flags >>>= 0;
  const cached = flagCache.get(flags);
  if (cached) return cached;
  const base = trySetup();
  if (!base.ok) throw base.error;

  let tried = flags;
  for (const [flag, partner] of PARTNERS) if (tried & flag) tried |= partner;
  const options: RingOptions = { flags: tried >>> 0 };
  // Parameters are given through options; Ring adds CQSIZE, SQ_AFF and ATTACH_WQ itself when they are present.
  if (tried & IORING_SETUP_CQSIZE) options.cqEntries = 4;
  if (tried & IORING_SETUP_SQPOLL) options.sqThreadIdle = 1;
  if (tried & IORING_SETUP_SQ_AFF) options.sqThreadCpu = firstAllowedCpu();
  let wq: Ring | undefined;
  try {
    if (tried & IORING_SETUP_ATTACH_WQ) {
      wq = new Ring(1);
      options.attachWq = wq;
    }
    const r = attempt(1, options);
    const result: SetupFlagResult = r.ok
      ? { flags, tried, supported: true }
      : { flags, tried, supported: false, code: r.code };
    flagCache.set(flags, result);
    return result;
  } finally {
    wq?.close();
  }
}

/**
 * Whether a ring can be set up with `flags` on this kernel: {@link probeSetupFlag} reduced to a boolean (EINVAL
 * and any other refusal both mean "no"). Cached.
 *
 * @param flags One `IORING_SETUP_*` flag or several.
 * @returns `true` when a tiny ring with these flags (and their partners) could be set up.
 * @example
 * ```ts
 * const flags = setupFlagSupported(IORING_SETUP_DEFER_TASKRUN)
 *   ? IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN
 *   : 0;
 * const ring = new Ring(256, { flags });
 * ```
 */
export function setupFlagSupported(flags: number): boolean {
  return probeSetupFlag(flags).supported;
}

// ---- Opcodes ------------------------------------------------------------------------------------------------

/** What IORING_REGISTER_PROBE (Linux 5.6) says about opcodes. */
export interface OpcodeProbe {
  /** The kernel's highest opcode number (`IORING_OP_LAST - 1`), supported or not. */
  readonly lastOp: number;
  /** How many `io_uring_probe_op` entries the kernel filled. */
  readonly opsLen: number;
  /** The supported opcode numbers. */
  readonly supported: ReadonlySet<number>;
  /** The kernel's names of the supported opcodes this project knows, in opcode order (`"IORING_OP_NOP"`, ...). */
  readonly names: readonly string[];
  /** Supported opcode numbers this project has no name for (a kernel newer than `uapi.ts`). */
  readonly unknown: readonly number[];
  /** Known opcodes the kernel does not support, in opcode order, with the kernel version that added each. */
  readonly missing: readonly UapiConstant[];
  /** Whether opcode `op` is supported (false for anything beyond `lastOp`). */
  isSupported(op: number): boolean;
}

let opcodeCache: OpcodeProbe | undefined;

/**
 * Asks the kernel which opcodes it supports, with `IORING_REGISTER_PROBE` (Linux 5.6; matches liburing's
 * `io_uring_get_probe_ring`). Without `ring`, a one-entry ring is set up for the purpose and the result cached.
 *
 * Throws a {@link UringError} when the kernel refuses (EINVAL before 5.6, or io_uring unavailable).
 *
 * @param ring The ring to ask; any ring of this kernel gives the same answer.
 * @returns The supported opcodes as numbers and names.
 * @example
 * ```ts
 * import { IORING_OP_RECV_ZC } from "../abi/uapi.ts";
 * const probe = probeOpcodes();
 * console.log(probe.lastOp, probe.isSupported(IORING_OP_RECV_ZC), probe.missing.map((o) => o.name));
 * ```
 */
export function probeOpcodes(ring?: Ring): OpcodeProbe {
  if (!ring && opcodeCache) return opcodeCache;
  const own = ring ?? new Ring(1);
  // The kernel wants the whole buffer zeroed (it EINVALs on non-zero input) and fills nr_args entries, capped at
  // IORING_OP_LAST (io_uring/register.c io_probe). 256 entries cover every opcode an u8 can name.
  const entries = 256;
  const buf = new Uint8Array(io_uring_probe.SIZE + entries * io_uring_probe_op.SIZE);
  let r: number;
  try {
    r = own.register(IORING_REGISTER_PROBE, buf, entries);
  } finally {
    if (!ring) own.close();
  }
  if (r < 0) {
    throw new UringError("probe io_uring opcodes", -r, r === -22 ? "IORING_REGISTER_PROBE needs Linux 5.6" : undefined);
  }
  const view = new DataView(buf.buffer);
  const lastOp = buf[io_uring_probe.last_op];
  const opsLen = buf[io_uring_probe.ops_len];
  const supported = new Set<number>();
  for (let i = 0; i < opsLen; i++) {
    const at = io_uring_probe.ops + i * io_uring_probe_op.SIZE;
    const flags = view.getUint16(at + io_uring_probe_op.flags, true);
    if (flags & IO_URING_OP_SUPPORTED) supported.add(buf[at + io_uring_probe_op.op]);
  }
  const known = new Map(OPCODES.map((o) => [o.value, o]));
  const result: OpcodeProbe = {
    lastOp,
    opsLen,
    supported,
    names: OPCODES.filter((o) => supported.has(o.value)).map((o) => o.name),
    unknown: [...supported].filter((op) => !known.has(op)).sort((a, b) => a - b),
    missing: OPCODES.filter((o) => !supported.has(o.value)),
    isSupported: (op: number) => supported.has(op),
  };
  if (!ring) opcodeCache = result;
  return result;
}

// ---- Feature and flag names ---------------------------------------------------------------------------------

/** A bit mask decoded against a table of named bits. */
export interface DecodedFlags {
  /** The mask as given. */
  readonly bits: number;
  /** The names of the set bits the table knows, in bit order. */
  readonly names: readonly string[];
  /** Set bits the table has no name for (a kernel newer than `uapi.ts`), as a mask of the low 32 bits. */
  readonly unknownBits: number;
}

/**
 * Decodes a mask against one of uapi's tables ({@link FEATURES}, {@link SETUP_FLAGS}, {@link ENTER_FLAGS}, or
 * {@link SQE_FLAGS}). Only the low 32 bits are looked at: every flag defined so far lives there.
 *
 * @param bits The mask.
 * @param table The named bits.
 * @returns The names of the set bits and what is left over.
 * @example
 * ```ts
 * decodeFlags(ring.flags, SETUP_FLAGS).names; // ["IORING_SETUP_SINGLE_ISSUER", "IORING_SETUP_DEFER_TASKRUN"]
 * ```
 */
export function decodeFlags(bits: number, table: readonly UapiConstant[]): DecodedFlags {
  let rest = bits >>> 0;
  const names: string[] = [];
  for (const t of table) {
    if (t.value !== 0 && (rest & t.value) >>> 0 === t.value >>> 0) {
      names.push(t.name);
      rest = (rest & ~t.value) >>> 0;
    }
  }
  return { bits, names, unknownBits: rest };
}

/** The `sqe->flags` bits (`IOSQE_*`), with the kernel that added each, for {@link decodeFlags}. */
export const SQE_FLAGS: readonly UapiConstant[] = Object.freeze([
  { name: "IOSQE_FIXED_FILE", value: IOSQE_FIXED_FILE, since: "5.1" },
  { name: "IOSQE_IO_DRAIN", value: IOSQE_IO_DRAIN, since: "5.2" },
  { name: "IOSQE_IO_LINK", value: IOSQE_IO_LINK, since: "5.3" },
  { name: "IOSQE_IO_HARDLINK", value: IOSQE_IO_HARDLINK, since: "5.5" },
  { name: "IOSQE_ASYNC", value: IOSQE_ASYNC, since: "5.6" },
  { name: "IOSQE_BUFFER_SELECT", value: IOSQE_BUFFER_SELECT, since: "5.7" },
  { name: "IOSQE_CQE_SKIP_SUCCESS", value: IOSQE_CQE_SKIP_SUCCESS, since: "5.17" },
].map((o) => Object.freeze(o)));

/**
 * The `IORING_FEAT_*` bits the kernel reports in `io_uring_params.features` at setup, by name. Without `ring`,
 * those of the tiny ring {@link trySetup} made.
 *
 * Throws the setup error when no ring can be set up.
 *
 * @param ring A ring whose `features` to decode.
 * @returns The feature bits and their names.
 * @example
 * ```ts
 * if (!probeFeatures().names.includes("IORING_FEAT_EXT_ARG")) console.log("no wait timeouts before 5.11");
 * ```
 */
export function probeFeatures(ring?: Ring): DecodedFlags {
  if (ring) return decodeFlags(ring.features, FEATURES);
  const r = trySetup();
  if (!r.ok) throw r.error;
  return decodeFlags(r.features, FEATURES);
}

// ---- IORING_REGISTER_QUERY ----------------------------------------------------------------------------------

/** The raw answer to one IORING_REGISTER_QUERY entry. */
export interface QueryAnswer {
  /** The entry's `result`: 0, or `-errno` (`-EOPNOTSUPP` for a query op this kernel lacks). */
  readonly result: number;
  /** How many bytes of the answer the kernel filled (it never writes more than asked, nor more than it knows). */
  readonly size: number;
  /** The answer's bytes (a copy, `size` long). */
  readonly data: DataView;
}

/**
 * Runs one `IORING_REGISTER_QUERY` (Linux 6.18) entry: `io_uring_register(-1, IORING_REGISTER_QUERY, hdr, 0)`,
 * which needs no ring. The header travels as a TypedArray for the call; the answer buffer it points at
 * (`query_data`, an address) is native memory.
 *
 * The call takes `nr_args` 0: the kernel EINVALs anything else (io_uring/query.c io_query), and walks the chain of
 * headers through `next_entry` instead.
 *
 * @param queryOp An `IO_URING_QUERY_*` op.
 * @param size The size of the answer struct to offer (the kernel fills at most this much).
 * @returns The answer, or `undefined` when the kernel has no IORING_REGISTER_QUERY (EINVAL from 6.13's "blind"
 *   register calls, EBADF before 6.13 when fd -1 is no file at all). Other failures throw a {@link UringError}.
 * @example
 * ```ts
 * import { IO_URING_QUERY_OPCODES, io_uring_query_opcode } from "../abi/uapi.ts";
 * const a = query(IO_URING_QUERY_OPCODES, io_uring_query_opcode.SIZE);
 * if (a && a.result === 0) console.log(a.data.getUint32(io_uring_query_opcode.nr_request_opcodes, true));
 * ```
 */
export function query(queryOp: number, size: number): QueryAnswer | undefined {
  if (!Number.isInteger(size) || size <= 0 || size > 4096) {
    throw new UringError("run IORING_REGISTER_QUERY", 0, `the answer size must be 1 to 4096 bytes, got ${size}`);
  }
  const data = NativeMemory.allocate(size);
  try {
    const hdr = new Uint8Array(io_uring_query_hdr.SIZE);
    const hv = new DataView(hdr.buffer);
    hv.setUint32(io_uring_query_hdr.query_data, data.address % TWO_32, true);
    hv.setUint32(io_uring_query_hdr.query_data + 4, Math.floor(data.address / TWO_32), true);
    hv.setUint32(io_uring_query_hdr.query_op, queryOp, true);
    hv.setUint32(io_uring_query_hdr.size, size, true);
    // fd is an unsigned int in liburing's prototype: -1 as u32.
    const r = liburing().fn.io_uring_register(0xffffffff, IORING_REGISTER_QUERY, hdr, 0);
    if (r < 0) {
      const code = errnoName(-r);
      if (code === "EINVAL" || code === "EBADF") return undefined;
      throw new UringError("run IORING_REGISTER_QUERY", -r);
    }
    const filled = Math.min(hv.getUint32(io_uring_query_hdr.size, true), size);
    return {
      result: hv.getInt32(io_uring_query_hdr.result, true),
      size: filled,
      data: new DataView(data.bytes.slice(0, filled).buffer),
    };
  } finally {
    data.free();
  }
}

/** What IO_URING_QUERY_OPCODES reports: the kernel's own masks of everything it supports. */
export interface QueryOpcodes {
  /** How many `IORING_OP_*` opcodes exist (`IORING_OP_LAST`): opcodes 0 to this minus 1. */
  readonly nrRequestOpcodes: number;
  /** How many `IORING_[UN]REGISTER_*` opcodes exist (`IORING_REGISTER_LAST`). */
  readonly nrRegisterOpcodes: number;
  /** Every `IORING_FEAT_*` bit, decoded. */
  readonly features: DecodedFlags;
  /** Every `IORING_SETUP_*` bit the kernel accepts, decoded. */
  readonly setupFlags: DecodedFlags;
  /** Every `IORING_ENTER_*` bit, decoded. */
  readonly enterFlags: DecodedFlags;
  /** Every `IOSQE_*` bit, decoded. */
  readonly sqeFlags: DecodedFlags;
  /** How many `IO_URING_QUERY_*` ops exist, when the kernel reports it (it is the last field of the struct). */
  readonly nrQueryOpcodes?: number;
  /** How many bytes of `struct io_uring_query_opcode` the kernel filled. */
  readonly size: number;
}

/**
 * The kernel's opcode and flag masks from `IORING_REGISTER_QUERY` / `IO_URING_QUERY_OPCODES` (Linux 6.18), which
 * needs no ring: it works even where setup is refused for other reasons.
 *
 * The 64-bit masks are read as numbers: every flag defined so far sits in the low 32 bits.
 *
 * @returns The masks decoded by name, or `undefined` when the kernel lacks IORING_REGISTER_QUERY.
 * @example
 * ```ts
 * const q = queryOpcodes();
 * if (q) console.log(q.nrRequestOpcodes, q.setupFlags.names);
 * ```
 */
export function queryOpcodes(): QueryOpcodes | undefined {
  const a = query(IO_URING_QUERY_OPCODES, io_uring_query_opcode.SIZE);
  if (!a) return undefined;
  if (a.result < 0) throw new UringError("run IO_URING_QUERY_OPCODES", -a.result);
  const o = io_uring_query_opcode;
  const has = (at: number, len: number) => a.size >= at + len;
  const u32 = (at: number) => (has(at, 4) ? a.data.getUint32(at, true) : 0);
  const u64 = (at: number) => (has(at, 8) ? a.data.getUint32(at, true) + a.data.getUint32(at + 4, true) * TWO_32 : 0);
  return {
    nrRequestOpcodes: u32(o.nr_request_opcodes),
    nrRegisterOpcodes: u32(o.nr_register_opcodes),
    features: decodeFlags(u64(o.feature_flags), FEATURES),
    setupFlags: decodeFlags(u64(o.ring_setup_flags), SETUP_FLAGS),
    enterFlags: decodeFlags(u64(o.enter_flags), ENTER_FLAGS),
    sqeFlags: decodeFlags(u64(o.sqe_flags), SQE_FLAGS),
    ...(has(o.nr_query_opcodes, 4) ? { nrQueryOpcodes: u32(o.nr_query_opcodes) } : {}),
    size: a.size,
  };
}

// ---- Diagnosis ----------------------------------------------------------------------------------------------

/** What decides whether this process may set up io_uring, as read from /proc. */
export interface SetupEnvironment {
  /** The kernel release (`uname -r`). */
  kernelRelease: string;
  /** `/proc/sys/kernel/io_uring_disabled`, or undefined when absent (before 6.6). */
  ioUringDisabled: number | undefined;
  /** `/proc/sys/kernel/io_uring_group` (-1: none), or undefined when absent. */
  ioUringGroup: number | undefined;
  /** The process's filesystem gid and supplementary groups (what the kernel's `in_group_p` checks). */
  groups: readonly number[];
  /** Whether CAP_SYS_ADMIN is in the effective capability set, or undefined when unknown. */
  capSysAdmin: boolean | undefined;
  /** Whether CAP_IPC_LOCK is in the effective capability set (exempt from RLIMIT_MEMLOCK), or undefined. */
  capIpcLock: boolean | undefined;
  /** The `Seccomp` field of /proc/self/status: 0 none, 1 strict, 2 filter; undefined when unknown. */
  seccomp: number | undefined;
  /** RLIMIT_MEMLOCK from /proc/self/limits in bytes (`Infinity` for unlimited), or undefined when unknown. */
  memlock: { readonly soft: number; readonly hard: number } | undefined;
}

const CAP_IPC_LOCK = 14;
const CAP_SYS_ADMIN = 21;

/**
 * Reads everything {@link diagnoseSetupFailure} weighs from /proc: the io_uring sysctls, the process's groups,
 * capabilities, seccomp mode and locked-memory limit.
 *
 * @returns The environment; fields that cannot be read are undefined.
 * @example
 * ```ts
 * const env = setupEnvironment();
 * console.log(env.ioUringDisabled, env.seccomp, env.memlock?.soft);
 * ```
 */
export function setupEnvironment(): SetupEnvironment {
  const status = procStatus();
  const num = (s: string | undefined) => (s === undefined || s === "" ? undefined : Number(s));
  const gid = (status.get("Gid") ?? "").split(/\s+/).filter(Boolean).map(Number);
  const groups = (status.get("Groups") ?? "").split(/\s+/).filter(Boolean).map(Number);
  const capEff = status.get("CapEff");
  let capSysAdmin: boolean | undefined;
  let capIpcLock: boolean | undefined;
  if (capEff && /^[0-9a-f]+$/i.test(capEff)) {
    // Both capabilities sit in the low 32 bits: the last 8 hex digits.
    const low = Number.parseInt(capEff.slice(-8), 16);
    capSysAdmin = ((low >>> CAP_SYS_ADMIN) & 1) === 1;
    capIpcLock = ((low >>> CAP_IPC_LOCK) & 1) === 1;
  }
  return {
    kernelRelease: kernelRelease(),
    ioUringDisabled: ioUringDisabled(),
    ioUringGroup: readProcInt("/proc/sys/kernel/io_uring_group"),
    // Gid: real, effective, saved, filesystem.
    groups: [...new Set([...(gid.length >= 4 ? [gid[3]] : gid.slice(0, 1)), ...groups])],
    capSysAdmin,
    capIpcLock,
    seccomp: num(status.get("Seccomp")),
    memlock: readMemlock(),
  };
}

function readMemlock(): { soft: number; hard: number } | undefined {
  const line = (readProc("/proc/self/limits") ?? "").split("\n").find((l) => l.startsWith("Max locked memory"));
  if (!line) return undefined;
  const [soft, hard] = line.slice("Max locked memory".length).trim().split(/\s+/);
  const parse = (s: string | undefined) => (s === "unlimited" ? Infinity : Number(s));
  const out = { soft: parse(soft), hard: parse(hard) };
  return Number.isNaN(out.soft) ? undefined : out;
}

/** Why io_uring cannot be set up, and what to do about it. */
export interface SetupDiagnosis {
  /** The errno name of the failure (`"EPERM"`), `"ELIBURING"` when liburing is missing, or `"UNKNOWN"`. */
  readonly code: string;
  /** What is wrong, in one sentence. */
  readonly reason: string;
  /** What to do, most likely remedy first. */
  readonly fix: readonly string[];
}

function bytes(n: number): string {
  if (n === Infinity) return "unlimited";
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

const SECCOMP_FIX = "if this runs in a container, allow the io_uring_setup, io_uring_enter and io_uring_register " +
  "system calls in its seccomp profile (Docker and Podman block them by default: `docker run --security-opt " +
  "seccomp=<profile allowing io_uring>`, or `seccomp=unconfined` to test); under systemd, check SystemCallFilter=";

/**
 * Explains why io_uring could not be set up, from the error a {@link Ring} constructor (or {@link trySetup}) gave
 * and the process's environment: ENOSYS (no io_uring in the kernel, or a seccomp filter), EPERM (the
 * io_uring_disabled sysctl, the io_uring_group, or a seccomp filter), ENOMEM (RLIMIT_MEMLOCK), and the rest.
 *
 * @param err The error thrown by setup (a {@link UringError}, or liburing's load error).
 * @param env Facts to use instead of reading them from /proc (for tests, or to explain another machine's error).
 * @returns The cause and the remedies.
 * @example
 * ```ts
 * try {
 *   new Ring(8);
 * } catch (e) {
 *   const d = diagnoseSetupFailure(e);
 *   console.error(`${d.reason}\n  - ${d.fix.join("\n  - ")}`);
 * }
 * ```
 */
export function diagnoseSetupFailure(err: unknown, env: Partial<SetupEnvironment> = {}): SetupDiagnosis {
  if (!(err instanceof UringError)) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof Error && err.name === "LiburingNotFoundError") {
      return {
        code: "ELIBURING",
        reason: `liburing (liburing.so.2, version 2.3 or later) could not be loaded: ${message.split(". ")[0]}`,
        fix: [
          "install it: `apt-get install liburing2` (Debian, Ubuntu), `dnf install liburing` (Fedora), " +
          "`apk add liburing` (Alpine)",
          "or set LIBURING_PATH to the library's file",
        ],
      };
    }
    return { code: "UNKNOWN", reason: `setup failed in an unexpected way: ${message}`, fix: [] };
  }
  const e = { ...setupEnvironment(), ...env };
  const v = parseKernelVersion(e.kernelRelease);
  const atLeast = (major: number, minor: number) => v.major > major || (v.major === major && v.minor >= minor);
  const filtered = e.seccomp === 2;

  switch (err.code) {
    case "ENOSYS": {
      if (!atLeast(5, 1)) {
        return {
          code: "ENOSYS",
          reason: `Linux ${e.kernelRelease} has no io_uring: it arrived in Linux 5.1`,
          fix: ["run on Linux 5.1 or later; ringside is tested on 6.x and many features need 5.19 or 6.1+"],
        };
      }
      const fix = ["use a kernel built with CONFIG_IO_URING=y (most distribution kernels are)"];
      if (filtered) fix.unshift(SECCOMP_FIX);
      return {
        code: "ENOSYS",
        reason: filtered
          ? "io_uring_setup does not exist for this process: a seccomp filter is active (Seccomp: 2 in " +
            "/proc/self/status) and probably answers ENOSYS, or the kernel was built without CONFIG_IO_URING"
          : `io_uring_setup does not exist: this Linux ${e.kernelRelease} was built without CONFIG_IO_URING`,
        fix,
      };
    }
    case "EPERM": {
      if (e.ioUringDisabled === 2) {
        return {
          code: "EPERM",
          reason: "io_uring is disabled for every process by /proc/sys/kernel/io_uring_disabled (2)",
          fix: [
            "as root: `sysctl -w kernel.io_uring_disabled=0` (everyone) or `=1` (CAP_SYS_ADMIN and the group in " +
            "kernel.io_uring_group); persist it in /etc/sysctl.d/",
          ],
        };
      }
      if (e.ioUringDisabled === 1) {
        const group = e.ioUringGroup ?? -1;
        const inGroup = group >= 0 && e.groups?.includes(group);
        if (!inGroup && e.capSysAdmin !== true) {
          return {
            code: "EPERM",
            reason: "io_uring is restricted by /proc/sys/kernel/io_uring_disabled (1) to processes with " +
              "CAP_SYS_ADMIN or in the group kernel.io_uring_group " +
              (group >= 0 ? `(gid ${group}), and this process has neither` : "(unset, -1), and this process " +
                "lacks CAP_SYS_ADMIN"),
            fix: [
              group >= 0
                ? `add the user to gid ${group} (\`usermod -aG <group> $USER\`, then log in again)`
                : "as root: `sysctl -w kernel.io_uring_group=<gid>` and add the user to that group",
              "or as root: `sysctl -w kernel.io_uring_disabled=0`",
            ],
          };
        }
      }
      if (filtered) {
        return {
          code: "EPERM",
          reason: "a seccomp filter is active (Seccomp: 2 in /proc/self/status) and most likely blocks io_uring, " +
            "as container runtimes do by default",
          fix: [SECCOMP_FIX],
        };
      }
      const fix = ["check for a security module that denies io_uring (SELinux `io_uring` class, AppArmor, " +
        "a BPF LSM): look for denials in `dmesg` or the audit log"];
      if (!atLeast(5, 11)) fix.unshift("IORING_SETUP_SQPOLL needs CAP_SYS_ADMIN before Linux 5.11");
      return {
        code: "EPERM",
        reason: "io_uring setup was refused although io_uring_disabled " +
          (e.ioUringDisabled === undefined ? "does not exist" : `is ${e.ioUringDisabled}`) +
          " and no seccomp filter is active",
        fix,
      };
    }
    case "ENOMEM": {
      const limit = e.memlock ? `RLIMIT_MEMLOCK is ${bytes(e.memlock.soft)} (hard limit ${bytes(e.memlock.hard)})` :
        "RLIMIT_MEMLOCK is unknown";
      if (e.capIpcLock === true) {
        return {
          code: "ENOMEM",
          reason: "the kernel could not allocate the rings; this process has CAP_IPC_LOCK, so the locked-memory " +
            "limit is not the cause",
          fix: [
            "use fewer ring entries",
            "check the memory cgroup's limit (memory.max) of this process and the machine's free memory",
          ],
        };
      }
      // Ring memory is charged to RLIMIT_MEMLOCK for processes without CAP_IPC_LOCK before 5.12, and again since
      // the rings became io_uring memory regions (io_uring/memmap.c io_create_region); registered buffers always.
      // Checked on 6.18: a one-entry ring needs more than 4 KiB of the limit.
      const ringsLocked = !atLeast(5, 12) || atLeast(6, 15);
      return {
        code: "ENOMEM",
        reason: ringsLocked
          ? `on Linux ${e.kernelRelease} the rings count against the locked-memory limit of processes without ` +
            `CAP_IPC_LOCK, and it is too low: ${limit}`
          : `the kernel could not allocate the rings or the memory to register (${limit})`,
        fix: [
          "raise the locked-memory limit: `ulimit -l unlimited` (or a number of KiB) in the shell, `LimitMEMLOCK=` " +
          "for a systemd service, `docker run --ulimit memlock=-1`, or `memlock` in /etc/security/limits.conf",
          "use fewer ring entries or smaller registered buffers",
          ...(ringsLocked ? [] : ["check the memory cgroup's limit (memory.max) of this process"]),
        ],
      };
    }
    case "EINVAL":
      return {
        code: "EINVAL",
        reason: `the kernel refused the entries or flags (Linux ${e.kernelRelease}): a flag newer than the ` +
          "kernel, a combination it refuses, or an entry count out of range",
        fix: ["drop flags the kernel lacks: `npm run doctor` lists those it accepts"],
      };
    case "EMFILE":
    case "ENFILE":
      return {
        code: err.code,
        reason: "no file descriptor is left for the ring",
        fix: ["close unused descriptors or raise the limit (`ulimit -n`)"],
      };
    default:
      return { code: err.code, reason: err.message, fix: [] };
  }
}
