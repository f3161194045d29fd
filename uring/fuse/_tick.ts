/**
 * A repeating timeout that bounds how long an owning loop blocks in the kernel, so a FUSE server's timers and
 * signal handlers run while it waits for requests.
 *
 * @module
 */
import type { NativeMemory } from "../core/memory.ts";
import { Operation } from "../loop/operation.ts";
import { prepTimeout } from "../prep/timeout.ts";
import type { Sqe } from "../ring/sqe.ts";

/** A timeout on `ts` (a `__kernel_timespec`) that calls `onDone` in a microtask each time it ends. */
export class Tick extends Operation {
  private readonly ts: NativeMemory;
  private readonly onDone: (tick: Tick) => void;

  constructor(ts: NativeMemory, onDone: (tick: Tick) => void) {
    super();
    this.ts = ts;
    this.onDone = onDone;
  }

  prep(sqe: Sqe): void {
    prepTimeout(sqe, this.ts.address, 0, 0);
  }

  complete(_res: number, _flags: number, more: boolean): void {
    if (!more) queueMicrotask(() => this.onDone(this));
  }

  drop(): void {}
}
