/**
 * NAPI busy polling: `io_uring_register(2)` with IORING_REGISTER_NAPI and UNREGISTER_NAPI. While a ring waits for
 * completions, the kernel polls the network devices of its sockets instead of sleeping until an interrupt, which
 * trades CPU time for latency.
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 *
 * const ring = new Ring(8);
 * try {
 *   registerNapi(ring, { busyPollTimeoutUs: 50, preferBusyPoll: true });
 *   unregisterNapi(ring);
 * } catch (e) {
 *   console.log(e); // EOPNOTSUPP: a kernel without CONFIG_NET_RX_BUSY_POLL
 * }
 * ring.close();
 * ```
 *
 * @module
 */
import { refuse } from "../core/errors.ts";
import { checkU32 } from "../core/_validate.ts";
import {
  io_uring_napi,
  IO_URING_NAPI_REGISTER_OP,
  IO_URING_NAPI_STATIC_ADD_ID,
  IO_URING_NAPI_STATIC_DEL_ID,
  IO_URING_NAPI_TRACKING_DYNAMIC,
  IO_URING_NAPI_TRACKING_STATIC,
  IORING_REGISTER_NAPI,
  IORING_UNREGISTER_NAPI,
} from "../abi/uapi.ts";
import { live } from "./_register.ts";
import { checkRegister } from "./_since.ts";
import type { Ring } from "./ring.ts";

/** NAPI busy-poll settings, as the kernel reports the previous ones. */
export interface NapiSettings {
  /** Busy-poll timeout in microseconds (the kernel caps it at 10000). */
  busyPollTimeoutUs: number;
  /** Whether SO_PREFER_BUSY_POLL behaviour is on. */
  preferBusyPoll: boolean;
  /** `IO_URING_NAPI_TRACKING_*`: DYNAMIC, STATIC or INACTIVE (255) (reported by registerNapi only). */
  tracking: number;
}

/** What {@link registerNapi} sets. */
export interface NapiOptions {
  /** `IO_URING_NAPI_REGISTER_OP` (default), `IO_URING_NAPI_STATIC_ADD_ID` or `IO_URING_NAPI_STATIC_DEL_ID`. */
  opcode?: number | undefined;
  /** REGISTER_OP: busy-poll timeout in microseconds. */
  busyPollTimeoutUs?: number | undefined;
  /** REGISTER_OP: prefer busy polling over interrupts. */
  preferBusyPoll?: boolean | undefined;
  /** REGISTER_OP: IO_URING_NAPI_TRACKING_DYNAMIC (default: NAPI IDs of polled sockets) or _STATIC. */
  tracking?: number | undefined;
  /** STATIC_ADD_ID / STATIC_DEL_ID: the NAPI ID (SO_INCOMING_NAPI_ID of a socket). */
  napiId?: number | undefined;
}

/**
 * Turns on NAPI busy polling while waiting for completions, or adds/removes a NAPI ID with static tracking, and
 * returns the settings that were in force before. Needs CONFIG_NET_RX_BUSY_POLL (EOPNOTSUPP otherwise); not for
 * IOPOLL rings. Matches liburing's `io_uring_register_napi` (Linux 6.9; opcode and static tracking 6.13).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * const before = registerNapi(ring, { busyPollTimeoutUs: 50, preferBusyPoll: true });
 * ```
 */
export function registerNapi(ring: Ring, options: NapiOptions): NapiSettings {
  const op = "register NAPI busy polling (IORING_REGISTER_NAPI)";
  live(ring, op);
  const o = options ?? {};
  const opcode = o.opcode ?? IO_URING_NAPI_REGISTER_OP;
  const arg = new Uint8Array(io_uring_napi.SIZE);
  const v = new DataView(arg.buffer);
  if (opcode === IO_URING_NAPI_REGISTER_OP) {
    const us = o.busyPollTimeoutUs ?? 0;
    checkU32(op, us, "busyPollTimeoutUs");
    const tracking = o.tracking ?? IO_URING_NAPI_TRACKING_DYNAMIC;
    if (tracking !== IO_URING_NAPI_TRACKING_DYNAMIC && tracking !== IO_URING_NAPI_TRACKING_STATIC) {
      refuse(op, `tracking must be IO_URING_NAPI_TRACKING_DYNAMIC or _STATIC, got ${tracking}`);
    }
    v.setUint32(io_uring_napi.busy_poll_to, us, true);
    arg[io_uring_napi.prefer_busy_poll] = o.preferBusyPoll ? 1 : 0;
    v.setUint32(io_uring_napi.op_param, tracking, true);
  } else if (opcode === IO_URING_NAPI_STATIC_ADD_ID || opcode === IO_URING_NAPI_STATIC_DEL_ID) {
    if (o.napiId === undefined) refuse(op, "STATIC_ADD_ID and STATIC_DEL_ID need napiId");
    checkU32(op, o.napiId, "napiId");
    v.setUint32(io_uring_napi.op_param, o.napiId, true);
  } else {
    refuse(op, `opcode must be an IO_URING_NAPI_* operation, got ${opcode}`);
  }
  arg[io_uring_napi.opcode] = opcode;
  checkRegister(ring.register(IORING_REGISTER_NAPI, arg, 1), IORING_REGISTER_NAPI, op, {
    EOPNOTSUPP: "this kernel lacks NAPI busy polling (CONFIG_NET_RX_BUSY_POLL)",
    EINVAL: "not on IOPOLL rings; static IDs need static tracking registered first, and a NAPI ID that exists",
    ENOENT: "that NAPI ID is not in the static list",
  }, [{
    used: opcode !== IO_URING_NAPI_REGISTER_OP ||
      (o.tracking ?? IO_URING_NAPI_TRACKING_DYNAMIC) !== IO_URING_NAPI_TRACKING_DYNAMIC,
    what: "static NAPI tracking (io_uring_napi.opcode and op_param)",
    since: "6.13",
  }]);
  return napiFrom(arg);
}

/**
 * Turns NAPI busy polling off and returns the settings that were in force (tracking is not reported here).
 * Matches liburing's `io_uring_unregister_napi` (Linux 6.9).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * const { busyPollTimeoutUs } = unregisterNapi(ring);
 * ```
 */
export function unregisterNapi(ring: Ring): Omit<NapiSettings, "tracking"> {
  const op = "unregister NAPI busy polling (IORING_UNREGISTER_NAPI)";
  live(ring, op);
  const arg = new Uint8Array(io_uring_napi.SIZE);
  checkRegister(ring.register(IORING_UNREGISTER_NAPI, arg, 1), IORING_UNREGISTER_NAPI, op, {
    EOPNOTSUPP: "this kernel lacks NAPI busy polling (CONFIG_NET_RX_BUSY_POLL)",
  });
  const { busyPollTimeoutUs, preferBusyPoll } = napiFrom(arg);
  return { busyPollTimeoutUs, preferBusyPoll };
}

function napiFrom(arg: Uint8Array): NapiSettings {
  const v = new DataView(arg.buffer, arg.byteOffset, arg.byteLength);
  return {
    busyPollTimeoutUs: v.getUint32(io_uring_napi.busy_poll_to, true),
    preferBusyPoll: arg[io_uring_napi.prefer_busy_poll] !== 0,
    tracking: v.getUint32(io_uring_napi.op_param, true),
  };
}
