/**
 * Classic BPF (cBPF), as `linux/filter.h` and `linux/bpf_common.h` define it: the instruction (`struct sock_filter`),
 * the opcode fields, and `BPF_STMT`/`BPF_JUMP` as {@link bpfStmt}/{@link bpfJump}. The program of an io_uring BPF
 * filter (IORING_REGISTER_BPF_FILTER, Linux 7.0) is written in it, as a seccomp filter is: no compiler is needed.
 *
 * A filter reads `struct io_uring_bpf_ctx` (uapi.ts) with 32-bit loads (`BPF_LD | BPF_W | BPF_ABS`, offsets 4-byte
 * aligned and inside the struct) in the machine's byte order, and returns non-zero to let the request run, 0 to
 * fail it with EACCES.
 *
 * @example
 * ```ts
 * import { BPF_ABS, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_RET, BPF_W, bpfJump, bpfStmt } from "ringside-uring/abi";
 * import { io_uring_bpf_ctx } from "ringside-uring/abi";
 *
 * // Allow the request only when the low 32 bits of its user_data are 7 (little-endian: the word at offset 0).
 * const program = [
 *   bpfStmt(BPF_LD | BPF_W | BPF_ABS, io_uring_bpf_ctx.user_data),
 *   bpfJump(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1),
 *   bpfStmt(BPF_RET | BPF_K, 1),
 *   bpfStmt(BPF_RET | BPF_K, 0),
 * ];
 * console.log(program.length); // 4
 * ```
 *
 * @module
 */

/** One classic BPF instruction: `struct sock_filter` (linux/filter.h). */
export interface BpfInstruction {
  /** The opcode: class | size | mode, or class | op | source (u16). */
  readonly code: number;
  /** Instructions to skip when a conditional jump is taken (u8). */
  readonly jt: number;
  /** Instructions to skip when it is not (u8). */
  readonly jf: number;
  /** The constant: an offset, an immediate, a jump target or a return value (u32). */
  readonly k: number;
}

/** struct sock_filter (linux/filter.h): one instruction, 8 bytes. */
export const sock_filter = Object.freeze({
  SIZE: 8,
  code: 0,
  jt: 2,
  jf: 3,
  k: 4,
} as const);

/** Most instructions a classic BPF program may have (linux/bpf_common.h). */
export const BPF_MAXINSNS = 4096;

/** Instruction class: load into the accumulator. */
export const BPF_LD = 0x00;
/** Instruction class: load into the index register. */
export const BPF_LDX = 0x01;
/** Instruction class: store the accumulator into scratch memory. */
export const BPF_ST = 0x02;
/** Instruction class: store the index register into scratch memory. */
export const BPF_STX = 0x03;
/** Instruction class: arithmetic on the accumulator. */
export const BPF_ALU = 0x04;
/** Instruction class: jumps. */
export const BPF_JMP = 0x05;
/** Instruction class: return. */
export const BPF_RET = 0x06;
/** Instruction class: register moves (BPF_TAX, BPF_TXA). */
export const BPF_MISC = 0x07;

/** Load size: 32 bits (the only one io_uring filters may load). */
export const BPF_W = 0x00;
/** Load size: 16 bits. */
export const BPF_H = 0x08;
/** Load size: 8 bits. */
export const BPF_B = 0x10;

/** Load mode: the constant k. */
export const BPF_IMM = 0x00;
/** Load mode: the context word at offset k. */
export const BPF_ABS = 0x20;
/** Load mode: the context at X + k. */
export const BPF_IND = 0x40;
/** Load mode: scratch memory word k. */
export const BPF_MEM = 0x60;
/** Load mode: the context's length. */
export const BPF_LEN = 0x80;
/** Load mode: 4 * (the byte at k & 0xf) (IP header length). */
export const BPF_MSH = 0xa0;

/** ALU operation: A + operand. */
export const BPF_ADD = 0x00;
/** ALU operation: A - operand. */
export const BPF_SUB = 0x10;
/** ALU operation: A * operand. */
export const BPF_MUL = 0x20;
/** ALU operation: A / operand. */
export const BPF_DIV = 0x30;
/** ALU operation: A | operand. */
export const BPF_OR = 0x40;
/** ALU operation: A & operand. */
export const BPF_AND = 0x50;
/** ALU operation: A << operand. */
export const BPF_LSH = 0x60;
/** ALU operation: A >> operand. */
export const BPF_RSH = 0x70;
/** ALU operation: -A. */
export const BPF_NEG = 0x80;
/** ALU operation: A % operand. */
export const BPF_MOD = 0x90;
/** ALU operation: A ^ operand. */
export const BPF_XOR = 0xa0;

/** Jump: always, k instructions ahead. */
export const BPF_JA = 0x00;
/** Jump: A == operand. */
export const BPF_JEQ = 0x10;
/** Jump: A > operand. */
export const BPF_JGT = 0x20;
/** Jump: A >= operand. */
export const BPF_JGE = 0x30;
/** Jump: A & operand is non-zero. */
export const BPF_JSET = 0x40;

/** Operand: the constant k. */
export const BPF_K = 0x00;
/** Operand: the index register X. */
export const BPF_X = 0x08;
/** Return value: the accumulator (with BPF_RET; BPF_K returns k). */
export const BPF_A = 0x10;

/** BPF_MISC operation: X = A. */
export const BPF_TAX = 0x00;
/** BPF_MISC operation: A = X. */
export const BPF_TXA = 0x80;

/**
 * An instruction without jump offsets: linux/filter.h's `BPF_STMT(code, k)`.
 *
 * @param code The opcode (`BPF_RET | BPF_K`, `BPF_LD | BPF_W | BPF_ABS` ...).
 * @param k The constant.
 * @returns The instruction.
 * @example
 * ```ts
 * const allow = bpfStmt(BPF_RET | BPF_K, 1);
 * ```
 */
export function bpfStmt(code: number, k: number): BpfInstruction {
  return Object.freeze({ code, jt: 0, jf: 0, k });
}

/**
 * A conditional jump: linux/filter.h's `BPF_JUMP(code, k, jt, jf)`: compare the accumulator with k, skip `jt`
 * instructions when true, `jf` when false.
 *
 * @param code The opcode (`BPF_JMP | BPF_JEQ | BPF_K` ...).
 * @param k The constant compared with.
 * @param jt Instructions to skip when true.
 * @param jf Instructions to skip when false.
 * @returns The instruction.
 * @example
 * ```ts
 * const isSeven = bpfJump(BPF_JMP | BPF_JEQ | BPF_K, 7, 0, 1);
 * ```
 */
export function bpfJump(code: number, k: number, jt: number, jf: number): BpfInstruction {
  return Object.freeze({ code, jt, jf, k });
}
