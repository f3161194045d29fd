/**
 * What the uring_cmd families share: an operation that also reads the second half of a 32-byte CQE, checks of
 * the ring a command needs, and the command area of an SQE. Which driver sits behind a descriptor is in
 * `driver.ts`.
 *
 * A uring_cmd (IORING_OP_URING_CMD, Linux 5.19) hands `cmd_op` and the SQE to the `->uring_cmd()` hook of the
 * file's driver (io_uring/uring_cmd.c). What a `cmd_op` means, which SQE fields it reads and whether it can stream
 * CQEs depends entirely on that driver, so ringside classifies the file before it lets certain requests through
 * (see `multishot.ts`).
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import type { Ring } from "../ring/ring.ts";
import { type OpHost, PromiseOp } from "../loop/operation.ts";
import type { Sqe } from "../ring/sqe.ts";
import { refuse } from "../core/errors.ts";
import {
  IORING_CQE_F_32,
  IORING_SETUP_CQE32,
  IORING_SETUP_CQE_MIXED,
  IORING_SETUP_SQE128,
  io_uring_sqe,
} from "../abi/uapi.ts";

/** Byte offset of the command area in an SQE (`sqe->cmd`): 16 bytes in a 64-byte SQE, 80 in a 128-byte one. */
export const URING_CMD_AREA: number = io_uring_sqe.cmd;

/**
 * A single-shot promise operation that keeps the second 16 bytes of its CQE when the CQE is 32 bytes long
 * (IORING_SETUP_CQE32, or IORING_CQE_F_32 on an IORING_SETUP_CQE_MIXED ring): `big_cqe[0]` and `big_cqe[1]`,
 * where drivers put a second result (NVMe's completion dwords, `io_uring_cmd_done()`'s `res2`).
 *
 * @example
 * ```ts
 * import { IORING_SETUP_CQE32, IORING_SETUP_SQE128, Loop } from "ringside-uring";
 * import { NVME_URING_CMD_ADMIN, nvmeIdentifyCommand, prepNvmeUringCmd } from "ringside-uring/cmd";
 * declare const ctrl: number; // an open /dev/nvme0
 * declare const page: { address: number }; // 4096 bytes of native memory
 *
 * const loop = new Loop({ ring: { flags: IORING_SETUP_SQE128 | IORING_SETUP_CQE32 } });
 * const cmd = nvmeIdentifyCommand(1, 0, page.address);
 * const op: CmdOp<bigint> = new CmdOp("identify", (sqe) => prepNvmeUringCmd(sqe, ctrl, NVME_URING_CMD_ADMIN, cmd), {
 *   map: () => op.extra1(), // completion dwords 0 and 1
 * });
 * console.log(await loop.submit(op).promise);
 * ```
 */
export class CmdOp<T = number> extends PromiseOp<T> {
  /** Whether the final CQE was 32 bytes long (so `extra1`/`extra2` are the kernel's, not zeros). */
  big = false;
  private w0 = 0;
  private w1 = 0;
  private w2 = 0;
  private w3 = 0;

  override complete(res: number, flags: number, more: boolean, host?: OpHost, cqeWord = 0): void {
    // The loop always passes itself as the host, and `cqeWord` (PromiseOp declares only the first three).
    const ring = (host as Loop | undefined)?.ring;
    if (!more && ring && isBigCqe(ring, flags)) {
      // Read while the CQE is still ours: the loop stores the CQ head only after the batch.
      const c = ring.cqes32;
      this.big = true;
      this.w0 = c[cqeWord + 4]!;
      this.w1 = c[cqeWord + 5]!;
      this.w2 = c[cqeWord + 6]!;
      this.w3 = c[cqeWord + 7]!;
    }
    super.complete(res, flags, more);
  }

  /** `big_cqe[0]` as an unsigned 64-bit BigInt (0n without a 32-byte CQE). */
  extra1(): bigint {
    return (BigInt(this.w1) << 32n) | BigInt(this.w0);
  }

  /** `big_cqe[1]` as an unsigned 64-bit BigInt (0n without a 32-byte CQE). */
  extra2(): bigint {
    return (BigInt(this.w3) << 32n) | BigInt(this.w2);
  }
}

/**
 * Whether a CQE with these flags is 32 bytes long on `ring`: every CQE of an IORING_SETUP_CQE32 ring, or one
 * flagged IORING_CQE_F_32 on an IORING_SETUP_CQE_MIXED ring (Linux 6.18).
 *
 * @param ring The ring the CQE came from.
 * @param flags The CQE's flags.
 *
 * @example
 * ```ts
 * import { IORING_SETUP_CQE_MIXED, Ring } from "ringside-uring";
 *
 * const ring = new Ring(8, { flags: IORING_SETUP_CQE_MIXED });
 * ring.forEachCqe((_ud, _res, flags, w) => {
 *   if (isBigCqe(ring, flags)) console.log(ring.cqes32[w + 4]); // big_cqe[0], low half
 * });
 * ```
 */
export function isBigCqe(ring: Ring, flags: number): boolean {
  return ring.cqeSize === 32 || (flags & IORING_CQE_F_32) !== 0;
}

/**
 * Whether the kernel hands this ring's uring_cmds 32-byte CQEs (`IO_URING_F_CQE32`: IORING_SETUP_CQE32, Linux
 * 5.19, or IORING_SETUP_CQE_MIXED, Linux 6.18).
 *
 * @param ring The ring.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 *
 * const loop = new Loop();
 * if (!hasBigCqes(loop.ring)) console.log("TX timestamps need new Loop({ ring: { flags: IORING_SETUP_CQE32 } })");
 * ```
 */
export function hasBigCqes(ring: Ring): boolean {
  return (ring.flags & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED)) !== 0;
}

/**
 * Whether every SQE of this ring is 128 bytes (IORING_SETUP_SQE128, Linux 5.19): 80 bytes of command area.
 *
 * @param ring The ring.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 *
 * const loop = new Loop();
 * if (!hasBigSqes(loop.ring)) console.log("NVMe passthrough needs IORING_SETUP_SQE128");
 * ```
 */
export function hasBigSqes(ring: Ring): boolean {
  return (ring.flags & IORING_SETUP_SQE128) !== 0;
}

/**
 * Copies `command` into the SQE's command area (byte 48 on): at most 16 bytes in a 64-byte SQE, 80 in a 128-byte
 * one. The rest of the area stays as it was (zero in a fresh SQE).
 *
 * @param sqe The SQE.
 * @param command The command's bytes (UNSAFE when they hold addresses: the kernel dereferences them).
 * @param operation What is being done, for the error.
 *
 * @example
 * ```ts
 * import { prepUringCmd, Ring } from "ringside-uring";
 * declare const fd: number;
 * declare const cmdOp: number;
 *
 * const ring = new Ring(8);
 * const sqe = ring.getSqe()!;
 * prepUringCmd(sqe, cmdOp, fd);
 * writeCommandArea(sqe, new Uint8Array([1, 2, 3]), "send a command");
 * ```
 */
export function writeCommandArea(sqe: Sqe, command: ArrayBufferView, operation: string): void {
  const room = sqe.words * 4 - URING_CMD_AREA;
  if (command.byteLength > room) {
    refuse(operation, `the command is ${command.byteLength} bytes but this SQE has ${room} bytes of command area` +
      (room === 16 ? " (128-byte SQEs need IORING_SETUP_SQE128)" : ""));
  }
  const bytes = new Uint8Array(command.buffer, command.byteOffset, command.byteLength);
  sqe.u8.set(bytes, URING_CMD_AREA);
}
