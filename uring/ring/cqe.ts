/**
 * Reading a CQE's flags: the buffer id of a provided-buffer completion, and what each `IORING_CQE_F_*` bit says.
 *
 * Each takes the CQE's `flags` word as a number (what `forEachCqe` hands its visitor), so reading costs no
 * allocation. liburing has no helpers for these beyond `io_uring_cqe_nr`; the set follows tokio-rs/io-uring's
 * `cqueue` module. `io_uring_cqe_get_data`/`_data64` have no counterpart: user_data already arrives as a number.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * declare function recycle(bufferId: number): void;
 * declare function rearm(userData: number): void;
 * ring.forEachCqe((userData, res, flags) => {
 *   if (cqeHasBuffer(flags)) recycle(cqeBufferId(flags));
 *   if (!cqeHasMore(flags)) rearm(userData);
 * });
 * ```
 *
 * @module
 */
import {
  IORING_CQE_BUFFER_SHIFT,
  IORING_CQE_F_32,
  IORING_CQE_F_BUF_MORE,
  IORING_CQE_F_BUFFER,
  IORING_CQE_F_MORE,
  IORING_CQE_F_NOTIF,
  IORING_CQE_F_SKIP,
  IORING_CQE_F_SOCK_NONEMPTY,
  IORING_CQE_F_TSTAMP_HW,
  IORING_NOTIF_USAGE_ZC_COPIED,
  IORING_TIMESTAMP_TYPE_SHIFT,
} from "../abi/uapi.ts";

/**
 * The provided buffer a completion used: the upper 16 bits of the flags. Meaningful only when
 * {@link cqeHasBuffer} is true (Linux 5.7).
 *
 * @param flags The CQE's flags.
 * @returns The buffer id, 0 to 65535.
 *
 * @example
 * ```ts
 * import { IORING_CQE_F_BUFFER } from "ringside-uring/abi";
 * cqeBufferId((7 << 16) | IORING_CQE_F_BUFFER); // 7
 * ```
 */
export function cqeBufferId(flags: number): number {
  return flags >>> IORING_CQE_BUFFER_SHIFT;
}

/**
 * Whether the completion used a provided buffer, whose id {@link cqeBufferId} gives (IORING_CQE_F_BUFFER,
 * Linux 5.7). A final multishot CQE can carry one too: consume and recycle it.
 *
 * @param flags The CQE's flags.
 *
 * @example
 * ```ts
 * declare const flags: number;
 * declare function recycle(bufferId: number): void;
 * if (cqeHasBuffer(flags)) recycle(cqeBufferId(flags));
 * ```
 */
export function cqeHasBuffer(flags: number): boolean {
  return (flags & IORING_CQE_F_BUFFER) !== 0;
}

/**
 * Whether more CQEs will follow for the same request (IORING_CQE_F_MORE, Linux 5.13): a multishot request is still
 * armed, or a zero-copy send's notification is still to come. A multishot CQE without it is the last one.
 *
 * @param flags The CQE's flags.
 *
 * @example
 * ```ts
 * declare const userData: number, flags: number;
 * declare function rearm(userData: number): void;
 * if (!cqeHasMore(flags)) rearm(userData); // the multishot request ended
 * ```
 */
export function cqeHasMore(flags: number): boolean {
  return (flags & IORING_CQE_F_MORE) !== 0;
}

/**
 * Whether the socket still had data to read after this receive (IORING_CQE_F_SOCK_NONEMPTY, Linux 5.19).
 *
 * @param flags The CQE's flags.
 *
 * @example
 * ```ts
 * declare const flags: number;
 * declare function receiveAgain(): void;
 * if (cqeSockNonEmpty(flags)) receiveAgain();
 * ```
 */
export function cqeSockNonEmpty(flags: number): boolean {
  return (flags & IORING_CQE_F_SOCK_NONEMPTY) !== 0;
}

/**
 * Whether this is a zero-copy send's notification CQE: the kernel no longer reads the buffer (IORING_CQE_F_NOTIF,
 * Linux 6.0).
 *
 * @param flags The CQE's flags.
 *
 * @example
 * ```ts
 * declare const userData: number, flags: number;
 * declare function release(userData: number): void;
 * if (cqeIsNotif(flags)) release(userData); // the kernel is done with the zero-copy send's buffer
 * ```
 */
export function cqeIsNotif(flags: number): boolean {
  return (flags & IORING_CQE_F_NOTIF) !== 0;
}

/**
 * Whether a zero-copy notification reports that the data was copied after all (IORING_NOTIF_USAGE_ZC_COPIED in the
 * notification's `res`, with IORING_SEND_ZC_REPORT_USAGE; Linux 6.2).
 *
 * @param res The notification CQE's res.
 *
 * @example
 * ```ts
 * declare const res: number, flags: number;
 * const stats = { copied: 0 };
 * if (cqeIsNotif(flags) && cqeZcCopied(res)) stats.copied++;
 * ```
 */
export function cqeZcCopied(res: number): boolean {
  return (res & IORING_NOTIF_USAGE_ZC_COPIED) !== 0;
}

/**
 * Whether the incrementally consumed provided buffer this CQE used will receive more data, so it must not be
 * recycled yet (IORING_CQE_F_BUF_MORE, buffer rings registered with IOU_PBUF_RING_INC, Linux 6.12).
 *
 * @param flags The CQE's flags.
 *
 * @example
 * ```ts
 * declare const flags: number;
 * declare function recycle(bufferId: number): void;
 * if (cqeHasBuffer(flags) && !cqeHasBufMore(flags)) recycle(cqeBufferId(flags));
 * ```
 */
export function cqeHasBufMore(flags: number): boolean {
  return (flags & IORING_CQE_F_BUF_MORE) !== 0;
}

/**
 * Whether this is a filler CQE on an IORING_SETUP_CQE_MIXED ring, to be skipped (IORING_CQE_F_SKIP, Linux 6.18).
 *
 * @param flags The CQE's flags.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * ring.forEachCqe((userData, res, flags) => {
 *   if (cqeIsSkip(flags)) return; // padding, not a completion
 *   console.log(userData, res);
 * });
 * ```
 */
export function cqeIsSkip(flags: number): boolean {
  return (flags & IORING_CQE_F_SKIP) !== 0;
}

/**
 * Whether this CQE is 32 bytes on an IORING_SETUP_CQE_MIXED ring (IORING_CQE_F_32, Linux 6.18).
 *
 * @param flags The CQE's flags.
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * ring.forEachCqe((userData, res, flags, word) => {
 *   // The second 16 bytes of a 32-byte CQE (big_cqe[]) follow its first four words.
 *   if (cqeIs32(flags)) console.log(ring.cqes32[word + 4], ring.cqes32[word + 5]);
 * });
 * ```
 */
export function cqeIs32(flags: number): boolean {
  return (flags & IORING_CQE_F_32) !== 0;
}

/**
 * How many 16-byte CQ slots this CQE takes on a mixed ring: 2 with IORING_CQE_F_32, else 1. Matches liburing's
 * `io_uring_cqe_nr` (Linux 6.18).
 *
 * @param flags The CQE's flags.
 * @returns 1 or 2.
 *
 * @example
 * ```ts
 * declare const flags: number;
 * let head = 0;
 * head += cqeNr(flags);
 * ```
 */
export function cqeNr(flags: number): number {
  return (flags & IORING_CQE_F_32) !== 0 ? 2 : 1;
}

/**
 * Whether a SOCKET_URING_OP_TX_TIMESTAMP CQE carries a hardware timestamp (IORING_CQE_F_TSTAMP_HW, Linux 6.17).
 *
 * @param flags The CQE's flags.
 *
 * @example
 * ```ts
 * declare const flags: number;
 * const source = cqeTimestampHw(flags) ? "hardware" : "software";
 * ```
 */
export function cqeTimestampHw(flags: number): boolean {
  return (flags & IORING_CQE_F_TSTAMP_HW) !== 0;
}

/**
 * The timestamp type (`SCM_TSTAMP_SND` 0, `SCM_TSTAMP_SCHED` 1, `SCM_TSTAMP_ACK` 2, ...) of a
 * SOCKET_URING_OP_TX_TIMESTAMP CQE: the flags from bit IORING_TIMESTAMP_TYPE_SHIFT up (Linux 6.17).
 *
 * @param flags The CQE's flags.
 *
 * @example
 * ```ts
 * declare const res: number, flags: number;
 * declare function acked(res: number): void;
 * const SCM_TSTAMP_ACK = 2;
 * if (cqeTimestampType(flags) === SCM_TSTAMP_ACK) acked(res);
 * ```
 */
export function cqeTimestampType(flags: number): number {
  return flags >>> IORING_TIMESTAMP_TYPE_SHIFT;
}
