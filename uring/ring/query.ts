/**
 * `IORING_REGISTER_QUERY` (Linux 6.18): what the kernel supports, asked without a ring, so it answers even where
 * setup is refused for other reasons.
 *
 * @example
 * ```ts
 * const q = queryOpcodes();
 * if (q) console.log(q.nrRequestOpcodes, q.setupFlags.names);
 * ```
 *
 * @module
 */
import { liburing } from "../../ffi/mod.ts";
import { UringError } from "../core/errors.ts";
import { NativeMemory } from "../core/memory.ts";
import { U32_MAX } from "../core/_validate.ts";
import { getU64, putU64 } from "../abi/_u64.ts";
import { EBADF, EINVAL } from "../abi/errno.ts";
import {
  ENTER_FLAGS,
  FEATURES,
  IO_URING_QUERY_OPCODES,
  io_uring_query_hdr,
  io_uring_query_opcode,
  IORING_REGISTER_QUERY,
  SETUP_FLAGS,
  SQE_FLAGS,
} from "../abi/uapi.ts";
import { type DecodedFlags, decodeFlags } from "./probe.ts";

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
    putU64(hv, io_uring_query_hdr.query_data, data.address);
    hv.setUint32(io_uring_query_hdr.query_op, queryOp, true);
    hv.setUint32(io_uring_query_hdr.size, size, true);
    // fd is an unsigned int in liburing's prototype: -1 as u32.
    const r = liburing().fn.io_uring_register(U32_MAX, IORING_REGISTER_QUERY, hdr, 0);
    if (r < 0) {
      if (r === -EINVAL || r === -EBADF) return undefined;
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
  readonly nrQueryOpcodes?: number | undefined;
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
  const u64 = (at: number) => (has(at, 8) ? getU64(a.data, at) : 0);
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

