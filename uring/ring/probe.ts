/**
 * Probe, don't guess: which opcodes, setup flags and features this kernel has, asked of the kernel itself
 * (`IORING_REGISTER_PROBE`, a tiny ring per setup flag, `io_uring_params.features`). Names are the kernel's full
 * names (`"IORING_OP_NOP"`, `"IORING_SETUP_SQPOLL"`, `"IORING_FEAT_NODROP"`). When no ring can be set up at all,
 * `diagnoseSetupFailure` says why; `queryOpcodes` asks a 6.18 kernel without a ring.
 *
 * @example
 * ```ts
 * import { IORING_OP_PIPE, IORING_SETUP_DEFER_TASKRUN } from "ringside-uring/abi";
 *
 * console.log(probeOpcodes().isSupported(IORING_OP_PIPE)); // true on 6.16 and later
 * console.log(setupFlagSupported(IORING_SETUP_DEFER_TASKRUN)); // true on 6.1 and later
 * ```
 *
 * @module
 */
import { check, UringError } from "../core/errors.ts";
import { checkCount } from "../core/_validate.ts";
import {
  FEATURES,
  IO_URING_OP_SUPPORTED,
  io_uring_probe,
  io_uring_probe_op,
  IORING_REGISTER_PROBE,
  IORING_SETUP_ATTACH_WQ,
  IORING_SETUP_COOP_TASKRUN,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_HYBRID_IOPOLL,
  IORING_SETUP_IOPOLL,
  IORING_SETUP_NO_MMAP,
  IORING_SETUP_NO_SQARRAY,
  IORING_SETUP_REGISTERED_FD_ONLY,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_SETUP_SQ_AFF,
  IORING_SETUP_SQ_REWIND,
  IORING_SETUP_SQE_MIXED,
  IORING_SETUP_SQPOLL,
  IORING_SETUP_TASKRUN_FLAG,
  OPCODES,
  type UapiConstant,
} from "../abi/uapi.ts";
import { live } from "./_register.ts";
import { firstAllowedCpu } from "./_proc.ts";
import { Ring, type RingOptions } from "./ring.ts";

/** What IORING_REGISTER_PROBE reports. */
export interface ProbeResult {
  /** The highest opcode this kernel knows. */
  lastOp: number;
  /** How many entries of `opFlags` the kernel filled. */
  opsLen: number;
  /** `io_uring_probe_op.flags` by opcode: `opFlags[op] & IO_URING_OP_SUPPORTED` when supported. */
  opFlags: number[];
}

/**
 * Asks the kernel which opcodes it supports (IORING_REGISTER_PROBE): the raw struct io_uring_probe, decoded.
 * {@link probeOpcodes} gives the same answer by name and cached. Matches liburing's
 * `io_uring_register_probe` (Linux 5.6).
 *
 * @param nrOps How many opcodes to ask about (at most 256).
 * @example
 * ```ts
 * import { IO_URING_OP_SUPPORTED, IORING_OP_PIPE } from "ringside-uring/abi";
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * const p = registerProbe(ring);
 * const hasPipe = ((p.opFlags[IORING_OP_PIPE] ?? 0) & IO_URING_OP_SUPPORTED) !== 0; // older kernels list fewer ops
 * ```
 */
export function registerProbe(ring: Ring, nrOps = 256): ProbeResult {
  const op = "probe opcodes (IORING_REGISTER_PROBE)";
  live(ring, op);
  checkCount(op, nrOps, 256, "nrOps");
  // The kernel wants the whole buffer zeroed (it EINVALs on non-zero input) and fills nr_args entries, capped at
  // IORING_OP_LAST, entry i for opcode i (io_uring/register.c io_probe).
  const arg = new Uint8Array(io_uring_probe.SIZE + nrOps * io_uring_probe_op.SIZE);
  check(ring.register(IORING_REGISTER_PROBE, arg, nrOps), op, { EINVAL: "IORING_REGISTER_PROBE needs Linux 5.6" });
  const v = new DataView(arg.buffer);
  const opsLen = v.getUint8(io_uring_probe.ops_len);
  const opFlags: number[] = [];
  for (let i = 0; i < opsLen; i++) {
    opFlags.push(v.getUint16(io_uring_probe.ops + i * io_uring_probe_op.SIZE + io_uring_probe_op.flags, true));
  }
  return { lastOp: v.getUint8(io_uring_probe.last_op), opsLen, opFlags };
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
 * import { diagnoseSetupFailure } from "ringside-uring/ring";
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
  [IORING_SETUP_SQ_REWIND, IORING_SETUP_NO_SQARRAY],
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
  readonly code?: string | undefined;
}

const flagCache = new Map<number, SetupFlagResult>();

/**
 * Probes `flags` (one `IORING_SETUP_*` flag or several) by setting up and closing a one-entry ring with them,
 * adding the partner flags the kernel demands (DEFER_TASKRUN needs SINGLE_ISSUER, TASKRUN_FLAG needs COOP_TASKRUN,
 * REGISTERED_FD_ONLY needs NO_MMAP, SQ_AFF needs SQPOLL, HYBRID_IOPOLL needs IOPOLL, SQ_REWIND needs NO_SQARRAY) and
 * the parameters some flags read (a CQ size for CQSIZE, a CPU for SQ_AFF, a short idle for SQPOLL, a ring to share
 * for ATTACH_WQ); SQE_MIXED gets two entries, since a 128-byte SQE takes two slots.
 * Results are cached per `flags`.
 *
 * Throws the setup error when io_uring cannot be set up even without flags: then no flag can be probed
 * ({@link trySetup} and {@link diagnoseSetupFailure} say why).
 *
 * @param flags `IORING_SETUP_*` bits.
 * @returns What the kernel said; see {@link SetupFlagResult.code}.
 * @example
 * ```ts
 * import { IORING_SETUP_CQE_MIXED } from "ringside-uring/abi";
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
    // A mixed SQ needs room for a 128-byte SQE, two slots: one entry is EOVERFLOW (io_uring/io_uring.c rings_size).
    const r = attempt(tried & IORING_SETUP_SQE_MIXED ? 2 : 1, options);
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
 * import { IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER } from "ringside-uring/abi";
 * import { Ring } from "ringside-uring/ring";
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
  let probe: ProbeResult;
  try {
    probe = registerProbe(own);
  } finally {
    if (!ring) own.close();
  }
  const { lastOp, opsLen } = probe;
  const supported = new Set<number>();
  probe.opFlags.forEach((flags, op) => {
    if (flags & IO_URING_OP_SUPPORTED) supported.add(op);
  });
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
 * import { SETUP_FLAGS } from "ringside-uring/abi";
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
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
 * if (!probeFeatures().names.includes("IORING_FEAT_EXT_ARG")) console.log("timed waits go through a TIMEOUT SQE");
 * ```
 */
export function probeFeatures(ring?: Ring): DecodedFlags {
  if (ring) return decodeFlags(ring.features, FEATURES);
  const r = trySetup();
  if (!r.ok) throw r.error;
  return decodeFlags(r.features, FEATURES);
}

