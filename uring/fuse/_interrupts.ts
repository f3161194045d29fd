/**
 * FUSE_INTERRUPT bookkeeping. The kernel sends an INTERRUPT (through /dev/fuse, over either transport) when the
 * task waiting for a request gets a signal (fs/fuse/dev.c request_wait_answer, queue_interrupt); the request
 * itself still waits for its own reply, which the filesystem may give early with EINTR.
 *
 * Only a request whose handler is still running can be interrupted: those are tracked by unique ID. An INTERRUPT
 * may be read before the request it names (another read took it and its completion is handled later): it is kept,
 * and applied when that request arrives. Kept INTERRUPTs that still match nothing when the next request arrives
 * are answered EAGAIN, which makes the kernel queue them again if the request is still waiting
 * (fs/fuse/dev.c fuse_dev_do_write; libfuse does the same, lib/fuse_lowlevel.c check_interrupt). A reply for a
 * request that has ended meanwhile fails with ENOENT, and that INTERRUPT is gone.
 *
 * @module
 */
import { TWO_32 } from "../abi/_u64.ts";

/** A request that can be told it was interrupted. */
export interface Interruptible {
  readonly uniqueLo: number;
  readonly uniqueHi: number;
  /** Marks the request interrupted and aborts its signal. */
  interrupt(): void;
}

/** Answers a kept INTERRUPT (its own unique ID, FUSE_INT_REQ_BIT set) with EAGAIN, so the kernel sends it again. */
export type ResendInterrupt = (uniqueLo: number, uniqueHi: number) => void;

/** INTERRUPTs kept at most: the kernel sends one per signalled waiter, a few at a time. */
const MAX_KEPT = 256;

/** A kept INTERRUPT: the request it names, and its own unique ID for the EAGAIN reply. */
interface Kept {
  target: number;
  lo: number;
  hi: number;
}

function keyOf(lo: number, hi: number): number {
  return hi * TWO_32 + lo;
}

/** The requests whose handlers run, and the INTERRUPTs that came before their request. */
export class Interrupts {
  private readonly running = new Map<number, Interruptible>();
  private kept: Kept[] = [];
  /** How kept INTERRUPTs are answered EAGAIN (the transport's /dev/fuse write), if at all. */
  resend: ResendInterrupt | undefined;

  /** A request arrived (not an INTERRUPT, FORGET or BATCH_FORGET): applies or resends kept INTERRUPTs. */
  arrived(req: Interruptible): void {
    if (this.kept.length === 0) return;
    const key = keyOf(req.uniqueLo, req.uniqueHi);
    const stale = this.kept;
    this.kept = [];
    for (const k of stale) {
      if (k.target === key) req.interrupt();
      else this.resend?.(k.lo, k.hi);
    }
  }

  /** The request's handler went asynchronous: it can be interrupted until `finished`. Returns its key. */
  started(req: Interruptible): number {
    const key = keyOf(req.uniqueLo, req.uniqueHi);
    this.running.set(key, req);
    return key;
  }

  /** The handler of the request `started` gave `key` for has settled. */
  finished(key: number): void {
    this.running.delete(key);
  }

  /**
   * An INTERRUPT (its own unique ID `lo`/`hi`) for the request `targetLo`/`targetHi`: interrupts it when its
   * handler runs, else keeps the INTERRUPT for when it arrives.
   */
  interrupt(targetLo: number, targetHi: number, lo: number, hi: number): void {
    const target = keyOf(targetLo, targetHi);
    const req = this.running.get(target);
    if (req) return req.interrupt();
    if (this.kept.length >= MAX_KEPT) this.kept.shift();
    this.kept.push({ target, lo, hi });
  }

  /**
   * Interrupts every running handler: the session is ending (unmount), and a handler that waits for something only
   * the filesystem's users can bring (a lock held by a process that is going away, a SETLKW) would hold the session
   * open until the force-close.
   */
  interruptAll(): void {
    for (const req of this.running.values()) req.interrupt();
  }

  /** How many handlers are running (for tests and diagnostics). */
  get runningCount(): number {
    return this.running.size;
  }
}
