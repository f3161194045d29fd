/**
 * The plumbing every file operation shares: {@link FsOp}, a {@link PromiseOp} that hands the kernel a caller's
 * views and strings, and the small helpers the operation files use. Internal to the fs layer.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { PromiseOp } from "../loop/operation.ts";
import { type Sqe, sqeAddFlags } from "../ring/sqe.ts";
import { IOSQE_FIXED_FILE } from "../abi/uapi.ts";
import type { PathLike } from "./types.ts";

/**
 * A file operation: a {@link PromiseOp} that knows how to hand the kernel a caller's view. Native views are pinned
 * in place; garbage-collected ones are bounced through an arena chunk, or a dedicated `NativeMemory` when larger
 * than the arena's largest chunk (1 MiB), freed in `finish()` once the kernel is done. What the kernel wrote goes
 * back in iovec order: the count `n` of a CQE fills the first buffer, then the next.
 */
export class FsOp<T = number> extends PromiseOp<T> {
  constructor(
    name: string,
    prep: (sqe: Sqe, op: FsOp<T>) => void,
    map?: (res: number, flags: number) => T,
  ) {
    super(name, (sqe, op) => prep(sqe, op as FsOp<T>), map ? { map } : {});
  }

  /** The kernel-visible address of `bytes` until this operation finishes (pinned in place, or bounced). */
  address(loop: Loop, bytes: Uint8Array, kernelWrites: boolean): number {
    return this.kernelAddress(loop, bytes, kernelWrites);
  }

  /** The address of a NUL-terminated copy of `s` (arena memory, live until completion). */
  cstring(loop: Loop, s: Uint8Array): number {
    const c = this.chunk(loop, s.byteLength);
    c.bytes.set(s);
    return c.address;
  }
}

/** The map of an operation whose promise resolves to nothing. */
export const toVoid = (): void => undefined;

/** Marks the SQE's descriptor as a direct descriptor (IOSQE_FIXED_FILE) when `fixed`. */
export function setFixed(sqe: Sqe, fixed: boolean | undefined): void {
  if (fixed) sqeAddFlags(sqe, IOSQE_FIXED_FILE);
}

/** A path as an error message shows it: the string quoted, or the byte count of raw bytes. */
export function show(path: PathLike): string {
  return typeof path === "string" ? JSON.stringify(path) : `<${path.byteLength} bytes>`;
}
