/**
 * Setting a ring up and resizing it: the checks on what is asked, `struct io_uring_params`, the caller memory of an
 * IORING_SETUP_NO_MMAP ring, the `io_uring_setup(2)` call and what its failures mean. Internal to the ring layer:
 * `new Ring()` and `Ring.resize()` are the way in.
 *
 * @module
 */
import { errnoName, liburing } from "../../ffi/mod.ts";
import { refuse, UringError } from "../core/errors.ts";
import { NativeMemory, pageAlign } from "../core/memory.ts";
import { U32_MAX } from "../core/_validate.ts";
import { putU64 } from "../abi/_u64.ts";
import {
  io_cqring_offsets,
  io_sqring_offsets,
  io_uring_params,
  IORING_SETUP_ATTACH_WQ,
  IORING_SETUP_CLAMP,
  IORING_SETUP_COOP_TASKRUN,
  IORING_SETUP_CQE32,
  IORING_SETUP_CQE_MIXED,
  IORING_SETUP_CQSIZE,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_NO_MMAP,
  IORING_SETUP_NO_SQARRAY,
  IORING_SETUP_REGISTERED_FD_ONLY,
  IORING_SETUP_SINGLE_ISSUER,
  IORING_SETUP_SQ_AFF,
  IORING_SETUP_SQ_REWIND,
  IORING_SETUP_SQE128,
  IORING_SETUP_SQE_MIXED,
  IORING_SETUP_SQPOLL,
  IORING_SETUP_TASKRUN_FLAG,
} from "../abi/uapi.ts";
import { IORING_MAX_CQ_ENTRIES, IORING_MAX_ENTRIES } from "./limits.ts";
import { diagnoseSetupErrno } from "./setup_diagnosis.ts";

/** The fields of `RingOptions` setup reads (a Ring is a valid `attachWq`). */
export interface SetupOptions {
  flags?: number | undefined;
  cqEntries?: number | undefined;
  sqThreadCpu?: number | undefined;
  sqThreadIdle?: number | undefined;
  attachWq?: { readonly fd: number; readonly isClosed: boolean } | number | undefined;
}

/** What `io_uring_setup` gave: the ring's fd (or registered index), the params as the kernel filled them in. */
export interface SetupResult {
  /** The setup call's result: a file descriptor, or a registered index with IORING_SETUP_REGISTERED_FD_ONLY. */
  readonly fd: number;
  /** The flags asked for, with those the options imply (CQSIZE, SQ_AFF, ATTACH_WQ). */
  readonly flags: number;
  /** A view of `struct io_uring_params` as the kernel filled it in (offsets, sizes, features). */
  readonly params: DataView;
  /** The caller memory of a NO_MMAP ring: the SQ and CQ rings, and the SQEs. */
  readonly ringsMem: NativeMemory | undefined;
  readonly sqesMem: NativeMemory | undefined;
}

/** What to do when IORING_REGISTER_RESIZE_RINGS fails, by errno name. */
export const RESIZE_HINTS: Readonly<Record<string, string>> = {
  EINVAL: "the kernel resizes only rings set up with IORING_SETUP_DEFER_TASKRUN (Linux 6.13), to sizes it accepts",
  EEXIST: "a SINGLE_ISSUER ring is resized only by the thread that set it up",
  EOVERFLOW: "the new sizes are too large, or too small for the SQEs and CQEs waiting (clamp caps large sizes)",
  EBUSY: "completions are held in the kernel's overflow list: reap them first",
};

/**
 * Sets a ring up: checks what is asked, fills `struct io_uring_params`, provides the ring memory of a NO_MMAP ring,
 * and calls `io_uring_setup`. Throws a {@link UringError} naming the errno, its cause and what to do
 * ({@link diagnoseSetupErrno}); the caller memory is freed then.
 */
export function setupRing(entries: number, options: SetupOptions): SetupResult {
  let flags = options.flags ?? 0;
  validateSetup(entries, options, flags);
  if (options.cqEntries !== undefined) flags |= IORING_SETUP_CQSIZE;
  if (options.sqThreadCpu !== undefined) flags |= IORING_SETUP_SQ_AFF;
  if (options.attachWq !== undefined) flags |= IORING_SETUP_ATTACH_WQ;

  const bytes = new Uint8Array(io_uring_params.SIZE);
  const params = new DataView(bytes.buffer);
  params.setUint32(io_uring_params.flags, flags >>> 0, true);
  if (options.cqEntries !== undefined) params.setUint32(io_uring_params.cq_entries, options.cqEntries, true);
  if (options.sqThreadCpu !== undefined) params.setUint32(io_uring_params.sq_thread_cpu, options.sqThreadCpu, true);
  if (options.sqThreadIdle !== undefined) params.setUint32(io_uring_params.sq_thread_idle, options.sqThreadIdle, true);
  if (options.attachWq !== undefined) {
    const wq = typeof options.attachWq === "number" ? options.attachWq : options.attachWq.fd;
    params.setUint32(io_uring_params.wq_fd, wq, true);
  }

  let ringsMem: NativeMemory | undefined;
  let sqesMem: NativeMemory | undefined;
  if (flags & IORING_SETUP_NO_MMAP) {
    const sq = Math.min(nextPow2(entries), IORING_MAX_ENTRIES);
    const cq = options.cqEntries !== undefined ? Math.min(nextPow2(options.cqEntries), IORING_MAX_CQ_ENTRIES) : 2 * sq;
    ({ ringsMem, sqesMem } = allocateCallerRings(params, sq, cq, flags));
  }

  const fd = liburing().fn.io_uring_setup(entries, bytes);
  if (fd < 0) {
    ringsMem?.free();
    sqesMem?.free();
    throw new UringError("set up io_uring", -fd, setupFailureText(errnoName(-fd), entries, flags));
  }
  return { fd, flags, params, ringsMem, sqesMem };
}

/**
 * The detail of a failed setup's error: the diagnosis (the same one `doctor` prints) naming the cause and the fix,
 * then what was asked.
 */
function setupFailureText(code: string, entries: number, flags: number): string {
  const d = diagnoseSetupErrno(code);
  const asked = `${entries} ${entries === 1 ? "entry" : "entries"}, flags 0x${(flags >>> 0).toString(16)}`;
  if (!d) return asked;
  const fix = d.fix.length ? [`What to do: ${d.fix.join("; ")}`] : [];
  return [d.reason, ...fix, `Asked for ${asked}.`].join(". ");
}

/** Refuses sizes IORING_REGISTER_RESIZE_RINGS would reject, with the reason. */
export function validateResize(op: string, sqEntries: number, options: { cqEntries?: number; clamp?: boolean }): void {
  const cq = options.cqEntries;
  if (!Number.isInteger(sqEntries) || sqEntries < 1 || (sqEntries > IORING_MAX_ENTRIES && !options.clamp)) {
    refuse(op, `sqEntries must be an integer from 1 to ${IORING_MAX_ENTRIES}, got ${sqEntries}`);
  }
  if (cq !== undefined && (!Number.isInteger(cq) || cq < 1 || (cq > IORING_MAX_CQ_ENTRIES && !options.clamp))) {
    refuse(op, `cqEntries must be an integer from 1 to ${IORING_MAX_CQ_ENTRIES}, got ${cq}`);
  }
}

/**
 * The argument of IORING_REGISTER_RESIZE_RINGS (a `struct io_uring_params` with the new sizes, checked by
 * {@link validateResize}), and for a NO_MMAP ring (`ringFlags`) the new caller memory, sized for them.
 */
export function resizeParams(
  sqEntries: number, options: { cqEntries?: number; clamp?: boolean }, ringFlags: number,
): { bytes: Uint8Array; params: DataView; ringsMem: NativeMemory | undefined; sqesMem: NativeMemory | undefined } {
  const cq = options.cqEntries;
  const bytes = new Uint8Array(io_uring_params.SIZE);
  const params = new DataView(bytes.buffer);
  params.setUint32(io_uring_params.sq_entries, sqEntries, true);
  params.setUint32(io_uring_params.cq_entries, cq ?? 0, true);
  const flags = (cq !== undefined ? IORING_SETUP_CQSIZE : 0) | (options.clamp ? IORING_SETUP_CLAMP : 0);
  params.setUint32(io_uring_params.flags, flags, true);
  let ringsMem: NativeMemory | undefined;
  let sqesMem: NativeMemory | undefined;
  if (ringFlags & IORING_SETUP_NO_MMAP) {
    const sq = Math.min(nextPow2(sqEntries), IORING_MAX_ENTRIES);
    const cqSize = cq !== undefined ? Math.min(nextPow2(cq), IORING_MAX_CQ_ENTRIES) : 2 * sq;
    ({ ringsMem, sqesMem } = allocateCallerRings(params, sq, cqSize, ringFlags));
  }
  return { bytes, params, ringsMem, sqesMem };
}

/**
 * NO_MMAP: the caller (we) provides the ring memory, which must exist before setup (or a resize), so its size is an
 * upper bound of what the kernel lays out there (io_uring/io_uring.c rings_size()). Writes the two addresses into
 * the io_uring_params in `pv` (cq_off.user_addr for the rings, sq_off.user_addr for the SQEs).
 */
function allocateCallerRings(
  pv: DataView, sq: number, cq: number, flags: number,
): { ringsMem: NativeMemory; sqesMem: NativeMemory } {
  const cqe = flags & IORING_SETUP_CQE32 ? 32 : 16;
  const sqe = flags & IORING_SETUP_SQE128 ? 128 : 64;
  const ringsMem = NativeMemory.allocate(pageAlign(256 + cq * cqe + 64 + sq * 4), { populate: true });
  const sqesMem = NativeMemory.allocate(pageAlign(sq * sqe), { populate: true });
  putU64(pv, io_uring_params.cq_off + io_cqring_offsets.user_addr, ringsMem.address);
  putU64(pv, io_uring_params.sq_off + io_sqring_offsets.user_addr, sqesMem.address);
  return { ringsMem, sqesMem };
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** Refuses setup parameters the kernel would reject, with the reason, before the kernel sees them. */
function validateSetup(entries: number, o: SetupOptions, flags: number): void {
  const op = "set up io_uring";
  if (!Number.isInteger(entries) || entries < 1) refuse(op, `entries must be a positive integer, got ${entries}`);
  const clamp = (flags & IORING_SETUP_CLAMP) !== 0;
  if (entries > IORING_MAX_ENTRIES && !clamp) {
    refuse(op, `entries must be at most ${IORING_MAX_ENTRIES}, got ${entries} (IORING_SETUP_CLAMP caps it instead)`);
  }
  if (!Number.isInteger(flags) || flags < 0 || flags > U32_MAX) refuse(op, `flags must be a u32, got ${flags}`);
  if (o.cqEntries !== undefined) {
    if (!Number.isInteger(o.cqEntries) || o.cqEntries < 1) refuse(op, `cqEntries must be a positive integer`);
    if (o.cqEntries > IORING_MAX_CQ_ENTRIES && !clamp) {
      refuse(op, `cqEntries must be at most ${IORING_MAX_CQ_ENTRIES}, got ${o.cqEntries} (or use IORING_SETUP_CLAMP)`);
    }
    if (o.cqEntries < Math.min(entries, IORING_MAX_ENTRIES)) {
      refuse(op, `cqEntries (${o.cqEntries}) must be at least entries (${entries})`);
    }
  }
  const sqpoll = (flags & IORING_SETUP_SQPOLL) !== 0;
  if ((o.sqThreadCpu !== undefined || o.sqThreadIdle !== undefined || flags & IORING_SETUP_SQ_AFF) && !sqpoll) {
    refuse(op, "sqThreadCpu, sqThreadIdle and IORING_SETUP_SQ_AFF need IORING_SETUP_SQPOLL");
  }
  if (flags & IORING_SETUP_DEFER_TASKRUN && !(flags & IORING_SETUP_SINGLE_ISSUER)) {
    refuse(op, "IORING_SETUP_DEFER_TASKRUN needs IORING_SETUP_SINGLE_ISSUER");
  }
  if (flags & IORING_SETUP_DEFER_TASKRUN && sqpoll) {
    refuse(op, "IORING_SETUP_DEFER_TASKRUN cannot be combined with IORING_SETUP_SQPOLL");
  }
  if (flags & IORING_SETUP_TASKRUN_FLAG && !(flags & (IORING_SETUP_COOP_TASKRUN | IORING_SETUP_DEFER_TASKRUN))) {
    refuse(op, "IORING_SETUP_TASKRUN_FLAG needs IORING_SETUP_COOP_TASKRUN or IORING_SETUP_DEFER_TASKRUN");
  }
  if (flags & IORING_SETUP_REGISTERED_FD_ONLY && !(flags & IORING_SETUP_NO_MMAP)) {
    refuse(op, "IORING_SETUP_REGISTERED_FD_ONLY needs IORING_SETUP_NO_MMAP (there is no fd to map the rings from)");
  }
  if (flags & IORING_SETUP_CQE32 && flags & IORING_SETUP_CQE_MIXED) {
    refuse(op, "IORING_SETUP_CQE32 and IORING_SETUP_CQE_MIXED exclude each other");
  }
  if (flags & IORING_SETUP_SQE128 && flags & IORING_SETUP_SQE_MIXED) {
    refuse(op, "IORING_SETUP_SQE128 and IORING_SETUP_SQE_MIXED exclude each other");
  }
  // io_uring_sanitise_params() (io_uring/io_uring.c): a rewinding SQ indexes slots directly, and an SQPOLL thread
  // reading slot 0 on would race the application writing the next batch there.
  if (flags & IORING_SETUP_SQ_REWIND && !(flags & IORING_SETUP_NO_SQARRAY)) {
    refuse(op, "IORING_SETUP_SQ_REWIND needs IORING_SETUP_NO_SQARRAY (the kernel reads SQEs from slot 0, not " +
      "through the index array)");
  }
  if (flags & IORING_SETUP_SQ_REWIND && sqpoll) {
    refuse(op, "IORING_SETUP_SQ_REWIND cannot be combined with IORING_SETUP_SQPOLL");
  }
  if (o.attachWq !== undefined && typeof o.attachWq !== "number" && o.attachWq.isClosed) {
    refuse(op, "the ring given to attachWq is closed");
  }
}
