/**
 * uring_cmd families on a {@link Loop}: socket commands and transmit timestamps, block device discard, NVMe
 * passthrough, multishot uring_cmd streams, and any driver's command as a promise.
 *
 * @example
 * ```ts
 * import { Loop } from "../loop/loop.ts";
 * import { siocinq } from "./mod.ts";
 *
 * const loop = new Loop();
 * console.log(await siocinq(loop, sock));
 * ```
 *
 * @module
 */
export * from "./common.ts";
export * from "./socket.ts";
export * from "./block.ts";
export * from "./nvme.ts";
export * from "./multishot.ts";
export * from "./uring_cmd.ts";
