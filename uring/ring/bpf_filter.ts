/**
 * io_uring BPF filters: `io_uring_register(2)` with IORING_REGISTER_BPF_FILTER (Linux 7.0). A classic BPF program
 * (the instruction set of seccomp filters; `bpfStmt`/`bpfJump` in the abi layer write it, no compiler needed) is
 * attached to one opcode of a ring and runs on every request of that opcode when it is submitted, reading
 * `struct io_uring_bpf_ctx` (user_data, opcode, SQE flags, and for SOCKET, OPENAT/OPENAT2 and CONNECT the opcode's
 * arguments); a request it answers 0 completes with -EACCES instead of running. Filters stack: a request runs only
 * if every filter of its opcode allows it. A registered filter cannot be removed.
 *
 * @example
 * ```ts
 * import { BPF_K, BPF_RET, bpfStmt, IORING_OP_SOCKET } from "ringside-uring/abi";
 * import { Ring } from "ringside-uring/ring";
 *
 * const ring = new Ring(8);
 * registerBpfFilter(ring, IORING_OP_SOCKET, [bpfStmt(BPF_RET | BPF_K, 0)]); // SOCKET requests now fail with EACCES
 * ring.close();
 * ```
 *
 * @module
 */
import { refuse, UringError } from "../core/errors.ts";
import { checkInt, checkU32 } from "../core/_validate.ts";
import { putU64 } from "../abi/_u64.ts";
import { EMSGSIZE } from "../abi/errno.ts";
import { BPF_ABS, BPF_LD, BPF_MAXINSNS, BPF_W, type BpfInstruction, sock_filter } from "../abi/bpf.ts";
import {
  io_uring_bpf,
  io_uring_bpf_ctx,
  io_uring_bpf_filter,
  IO_URING_BPF_CMD_FILTER,
  IO_URING_BPF_FILTER_DENY_REST,
  IO_URING_BPF_FILTER_SZ_STRICT,
  IORING_OP_LAST,
  IORING_REGISTER_BPF_FILTER,
  opcodeName,
} from "../abi/uapi.ts";
import { live, withScratch } from "./_register.ts";
import { checkRegister } from "./_since.ts";
import type { Ring } from "./ring.ts";

/** How {@link registerBpfFilter} attaches the program. */
export interface BpfFilterOptions {
  /**
   * Also attach a filter that denies everything to every opcode that has none yet (IO_URING_BPF_FILTER_DENY_REST):
   * the ring then runs only opcodes given a filter. That includes the requests the loop makes for itself
   * (ASYNC_CANCEL to abort, LINK_TIMEOUT for `timeoutMs`).
   */
  denyRest?: boolean | undefined;
  /**
   * The size of the opcode's payload in `io_uring_bpf_ctx` the program expects (`pdu_size`, 0 to 255; default 0):
   * the kernel refuses a larger size than its own with EMSGSIZE, and a different one with `strictPduSize`.
   */
  pduSize?: number | undefined;
  /** Refuse unless `pduSize` is exactly the kernel's (IO_URING_BPF_FILTER_SZ_STRICT). */
  strictPduSize?: boolean | undefined;
}

/** What the kernel answered a registration with. */
export interface BpfFilterRegistration {
  /** The size of the opcode's payload in `io_uring_bpf_ctx` on this kernel (the kernel writes it back). */
  readonly pduSize: number;
}

/**
 * Attaches classic BPF program `program` to opcode `opcode` of `ring` (IORING_REGISTER_BPF_FILTER, Linux 7.0):
 * from then on every request of that opcode runs only if the program returns non-zero for it, and completes with
 * -EACCES otherwise (the kernel runs filters when the SQE is submitted, so a denied SQE ends its batch as an SQE
 * that fails to prepare does, unless the ring has IORING_SETUP_SUBMIT_ALL). Filters of one opcode stack; none can
 * be removed. Returns the opcode's payload size on this kernel.
 *
 * The program is copied by the kernel during the call. What ringside checks first, as the kernel's
 * `io_bpf_filter_import()` and `io_uring_check_cbpf_filter()` would refuse it: 1 to 4096 instructions, each field
 * in range, 32-bit loads (`BPF_LD | BPF_W | BPF_ABS`) at 4-byte aligned offsets inside `io_uring_bpf_ctx`. The kernel
 * also refuses instructions outside its small set (no packet loads, no indirect loads) with EINVAL.
 *
 * @param ring The ring.
 * @param opcode The `IORING_OP_*` to filter.
 * @param program The instructions (`bpfStmt`, `bpfJump`).
 * @param options `denyRest`, `pduSize`, `strictPduSize`.
 * @returns The opcode's payload size as the kernel reports it.
 *
 * @example
 * ```ts
 * import { BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, bpfJump, bpfStmt } from "ringside-uring/abi";
 * import { AF_UNIX, io_uring_bpf_ctx, IORING_OP_SOCKET } from "ringside-uring/abi";
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 *
 * // SOCKET requests may create Unix sockets only: socket.family is the first u32 of the payload.
 * registerBpfFilter(ring, IORING_OP_SOCKET, [
 *   bpfStmt(BPF_LD | BPF_W | BPF_ABS, io_uring_bpf_ctx.socket),
 *   bpfJump(BPF_JMP | BPF_JEQ | BPF_K, AF_UNIX, 0, 1),
 *   bpfStmt(BPF_RET | BPF_K, 1),
 *   bpfStmt(BPF_RET | BPF_K, 0),
 * ], { pduSize: 12, strictPduSize: true });
 * ```
 */
export function registerBpfFilter(
  ring: Ring, opcode: number, program: readonly BpfInstruction[], options: BpfFilterOptions = {},
): BpfFilterRegistration {
  const op = `register a BPF filter for ${opcodeName(opcode)} (IORING_REGISTER_BPF_FILTER)`;
  live(ring, op);
  checkInt(op, opcode, 0, IORING_OP_LAST - 1, "opcode");
  if (!Array.isArray(program) || program.length === 0 || program.length > BPF_MAXINSNS) {
    refuse(op, `program must be an array of 1 to ${BPF_MAXINSNS} instructions (the kernel answers EINVAL), ` +
      `got ${Array.isArray(program) ? `${program.length}` : typeof program}`);
  }
  program.forEach((ins, i) => checkInstruction(op, ins, i));
  const pduSize = options.pduSize ?? 0;
  checkInt(op, pduSize, 0, 0xff, "pduSize");
  const flags = (options.denyRest ? IO_URING_BPF_FILTER_DENY_REST : 0) |
    (options.strictPduSize ? IO_URING_BPF_FILTER_SZ_STRICT : 0);

  const arg = new Uint8Array(io_uring_bpf.SIZE);
  const v = new DataView(arg.buffer);
  const f = io_uring_bpf.filter;
  v.setUint16(io_uring_bpf.cmd_type, IO_URING_BPF_CMD_FILTER, true);
  v.setUint32(f + io_uring_bpf_filter.opcode, opcode, true);
  v.setUint32(f + io_uring_bpf_filter.flags, flags, true);
  v.setUint32(f + io_uring_bpf_filter.filter_len, program.length, true);
  arg[f + io_uring_bpf_filter.pdu_size] = pduSize;
  // The kernel copies the program during the call (bpf_prog_create_from_user): native scratch holds it meanwhile.
  const res = withScratch(program.length * sock_filter.SIZE, (mem, pv) => {
    program.forEach((ins, i) => {
      const at = i * sock_filter.SIZE;
      pv.setUint16(at + sock_filter.code, ins.code, true);
      pv.setUint8(at + sock_filter.jt, ins.jt);
      pv.setUint8(at + sock_filter.jf, ins.jf);
      pv.setUint32(at + sock_filter.k, ins.k, true);
    });
    putU64(v, f + io_uring_bpf_filter.filter_ptr, mem.address);
    return ring.register(IORING_REGISTER_BPF_FILTER, arg, 1);
  });
  // The kernel writes its payload size back whether it accepts the size or not (io_bpf_filter_import()).
  const kernelPdu = arg[f + io_uring_bpf_filter.pdu_size]!;
  if (res === -EMSGSIZE) {
    throw new UringError(op, EMSGSIZE, `the payload of ${opcodeName(opcode)} is ${kernelPdu} bytes on this kernel, ` +
      `the filter expects ${pduSize}` + (options.strictPduSize ? " (strictPduSize wants them equal)" : ""));
  }
  checkRegister(res, IORING_REGISTER_BPF_FILTER, op, {
    EINVAL: "the kernel refused the program (its cBPF check allows 32-bit loads of io_uring_bpf_ctx, ALU, jumps and " +
      "returns only), or this kernel does not know the opcode, or it was built without CONFIG_IO_URING_BPF",
    EACCES: "the ring's restrictions do not allow IORING_REGISTER_BPF_FILTER",
  });
  return { pduSize: kernelPdu };
}

function checkInstruction(op: string, ins: BpfInstruction, i: number): void {
  if (typeof ins !== "object" || ins === null) refuse(op, `program[${i}] must be an instruction (bpfStmt, bpfJump)`);
  checkU32(op, ins.code, `program[${i}].code`, 0xffff);
  checkU32(op, ins.jt, `program[${i}].jt`, 0xff);
  checkU32(op, ins.jf, `program[${i}].jf`, 0xff);
  checkU32(op, ins.k, `program[${i}].k`);
  // io_uring_check_cbpf_filter(): "32-bit aligned and not out of bounds".
  if (ins.code === (BPF_LD | BPF_W | BPF_ABS) && (ins.k >= io_uring_bpf_ctx.SIZE || ins.k % 4 !== 0)) {
    refuse(op, `program[${i}] loads offset ${ins.k}: loads must be 4-byte aligned and inside io_uring_bpf_ctx ` +
      `(${io_uring_bpf_ctx.SIZE} bytes); the kernel answers EINVAL`);
  }
}
