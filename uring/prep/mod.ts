/**
 * Every prep helper, one small pure function per liburing `io_uring_prep_*`, writing into an SQE slot.
 *
 * Each takes an SQE fresh from `ring.getSqe()` (zeroed) and writes the fields liburing writes; nothing is allocated
 * and no BigInt is made. Addresses are plain numbers and the raw helpers are UNSAFE: the kernel dereferences them
 * after the call returns. 64-bit values are numbers up to 2^53 (negative ones are written as two's complement).
 * Set SQE flags (`sqeSetFlags`) after preparing: like liburing 2.3's `io_uring_prep_rw`, preparing clears them.
 *
 * @example
 * ```ts
 * import { prepRecvMultishot } from "./prep/mod.ts";
 * import { sqeSetBufGroup, sqeSetData, sqeSetFlags } from "./sqe.ts";
 * import { IOSQE_BUFFER_SELECT } from "./uapi.ts";
 *
 * const sqe = ring.getSqe()!;
 * prepRecvMultishot(sqe, sock, 0, 0, 0);
 * sqeSetFlags(sqe, IOSQE_BUFFER_SELECT);
 * sqeSetBufGroup(sqe, 1);
 * sqeSetData(sqe, 7);
 * ```
 *
 * @module
 */
export { prepRw, setDirectTarget, setTargetFixedFile, setU64 } from "./base.ts";
export { prepNop, prepNop128 } from "./nop.ts";
export * from "./rw.ts";
export * from "./fs.ts";
export * from "./net.ts";
export * from "./poll.ts";
export * from "./timeout.ts";
export * from "./cancel.ts";
export * from "./msg_ring.ts";
export * from "./buffers.ts";
export * from "./splice.ts";
export * from "./futex.ts";
export * from "./waitid.ts";
export * from "./cmd.ts";
export * from "./epoll.ts";
export * from "./pipe.ts";
export * from "./files.ts";
