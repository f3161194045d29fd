/**
 * Restrictions: `io_uring_register(2)` with IORING_REGISTER_RESTRICTIONS, which limits a ring to the SQE opcodes,
 * SQE flags and register opcodes listed, for a ring handed to less trusted code. They are registered while the ring
 * is disabled (IORING_SETUP_R_DISABLED) and take effect at `ring.enable()`.
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * import { IORING_OP_NOP, IORING_RESTRICTION_SQE_OP, IORING_SETUP_R_DISABLED } from "ringside-uring/abi";
 *
 * const ring = new Ring(8, { flags: IORING_SETUP_R_DISABLED });
 * registerRestrictions(ring, [{ opcode: IORING_RESTRICTION_SQE_OP, sqeOp: IORING_OP_NOP }]);
 * ring.enable(); // from now on only NOPs run
 * ring.close();
 * ```
 *
 * @module
 */
import { refuse } from "../core/errors.ts";
import { checkU32 } from "../core/_validate.ts";
import {
  io_uring_restriction,
  IORING_REGISTER_LAST,
  IORING_REGISTER_RESTRICTIONS,
  IORING_RESTRICTION_REGISTER_OP,
  IORING_RESTRICTION_SQE_FLAGS_ALLOWED,
  IORING_RESTRICTION_SQE_FLAGS_REQUIRED,
  IORING_RESTRICTION_SQE_OP,
  IORING_SETUP_R_DISABLED,
} from "../abi/uapi.ts";
import { live } from "./_register.ts";
import { checkRegister } from "./_since.ts";
import type { Ring } from "./ring.ts";

/**
 * One entry of struct io_uring_restriction. `opcode` says which other field applies:
 * IORING_RESTRICTION_REGISTER_OP takes `registerOp` (an allowed IORING_REGISTER_* opcode),
 * IORING_RESTRICTION_SQE_OP takes `sqeOp` (an allowed IORING_OP_*), IORING_RESTRICTION_SQE_FLAGS_ALLOWED and
 * IORING_RESTRICTION_SQE_FLAGS_REQUIRED take `sqeFlags` (IOSQE_* bits).
 */
export interface Restriction {
  /** An `IORING_RESTRICTION_*` value. */
  opcode: number;
  /** With IORING_RESTRICTION_REGISTER_OP: the register opcode allowed. */
  registerOp?: number | undefined;
  /** With IORING_RESTRICTION_SQE_OP: the SQE opcode allowed. */
  sqeOp?: number | undefined;
  /** With IORING_RESTRICTION_SQE_FLAGS_ALLOWED / _REQUIRED: the IOSQE_* flags allowed or required. */
  sqeFlags?: number | undefined;
}

/**
 * Restricts what the ring may do once enabled: only the listed SQE opcodes and register opcodes, only the allowed
 * SQE flags, and the required flags on every SQE. The ring must have been set up with IORING_SETUP_R_DISABLED and
 * not enabled yet; restrictions can be registered once, and take effect at `ring.enable()`. A refused SQE
 * completes with -EACCES; a refused register call throws EACCES. Matches liburing's
 * `io_uring_register_restrictions` (Linux 5.10).
 *
 * @example
 * ```ts
 * import { IORING_OP_NOP, IORING_RESTRICTION_SQE_OP, IORING_SETUP_R_DISABLED } from "ringside-uring/abi";
 * import { Ring } from "ringside-uring/ring";
 * const ring = new Ring(8, { flags: IORING_SETUP_R_DISABLED });
 * registerRestrictions(ring, [{ opcode: IORING_RESTRICTION_SQE_OP, sqeOp: IORING_OP_NOP }]);
 * ring.enable(); // from now on only NOPs run
 * ```
 */
export function registerRestrictions(ring: Ring, restrictions: readonly Restriction[]): void {
  const op = "register restrictions (IORING_REGISTER_RESTRICTIONS)";
  live(ring, op);
  if (!(ring.flags & IORING_SETUP_R_DISABLED)) {
    refuse(op, "the ring must be set up with IORING_SETUP_R_DISABLED (restrictions apply when it is enabled)");
  }
  if (!Array.isArray(restrictions) || restrictions.length === 0) refuse(op, "give at least one restriction");
  const size = io_uring_restriction.SIZE;
  const arg = new Uint8Array(restrictions.length * size);
  restrictions.forEach((r, i) => {
    const at = i * size;
    let value: number | undefined;
    let field: string;
    switch (r?.opcode) {
      case IORING_RESTRICTION_REGISTER_OP:
        field = "registerOp";
        value = r.registerOp;
        if (value !== undefined) checkU32(op, value, `restrictions[${i}].registerOp`, IORING_REGISTER_LAST - 1);
        break;
      case IORING_RESTRICTION_SQE_OP:
        field = "sqeOp";
        value = r.sqeOp;
        break;
      case IORING_RESTRICTION_SQE_FLAGS_ALLOWED:
      case IORING_RESTRICTION_SQE_FLAGS_REQUIRED:
        field = "sqeFlags";
        value = r.sqeFlags;
        break;
      default:
        refuse(op, `restrictions[${i}].opcode must be an IORING_RESTRICTION_* value, got ${r?.opcode}`);
    }
    if (value === undefined) refuse(op, `restrictions[${i}] needs ${field}`);
    checkU32(op, value, `restrictions[${i}].${field}`, 0xff);
    arg[at + io_uring_restriction.opcode] = r.opcode; // u16, little-endian: the high byte stays 0
    arg[at + io_uring_restriction.register_op] = value; // the union of register_op, sqe_op and sqe_flags
  });
  const res = ring.register(IORING_REGISTER_RESTRICTIONS, arg, restrictions.length);
  checkRegister(res, IORING_REGISTER_RESTRICTIONS, op, {
    EBADFD: "the ring is already enabled: restrictions must come before ring.enable()",
    EBUSY: "restrictions were registered already (only once per ring)",
    EINVAL: "an opcode is beyond what this kernel knows",
  });
}
