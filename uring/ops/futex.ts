/**
 * Futexes on a {@link Loop} (futex2, Linux 6.7): `futexWait` until a 32-bit word in native memory changes and is
 * woken, `futexWake` its waiters, `futexWaitv` on several words at once.
 *
 * @example
 * ```ts
 * import { Loop, NativeMemory } from "ringside-uring";
 * const loop = new Loop();
 * const mem = NativeMemory.allocate(4);
 * const word = new Uint32Array(mem.buffer, 0, 1);
 * const waiting = futexWait(loop, word, 0);
 * word[0] = 1;
 * console.log(await futexWake(loop, word)); // 1
 * await waiting;
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { type Operation, type OpOptions, PromiseOp } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { NativeMemory } from "../core/memory.ts";
import { refuse } from "../core/errors.ts";
import { checkU32 } from "../core/_validate.ts";
import { putU64 } from "../abi/_u64.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepFutexWait, prepFutexWaitv, prepFutexWake } from "../prep/futex.ts";

/** futex2 flag: the futex word is 8 bits. */
export const FUTEX2_SIZE_U8 = 0x00;
/** futex2 flag: the futex word is 16 bits. */
export const FUTEX2_SIZE_U16 = 0x01;
/** futex2 flag: the futex word is 32 bits. */
export const FUTEX2_SIZE_U32 = 0x02;
/** futex2 flag: the futex word is 64 bits. */
export const FUTEX2_SIZE_U64 = 0x03;
/** futex2 flag: process-private futex (no cross-process sharing; faster). */
export const FUTEX2_PRIVATE = 128;
/** A wake bitset matching every waiter. */
export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

/** Options of the futex calls. */
export interface FutexOptions extends OpOptions {
  /** The bitset: a wake reaches waiters whose mask shares a bit (default FUTEX_BITSET_MATCH_ANY). */
  mask?: number | undefined;
  /** Shared with other processes (the memory is MAP_SHARED): drop FUTEX2_PRIVATE. Default false. */
  shared?: boolean | undefined;
}

/** A 32-bit futex word: element 0 of a Uint32Array or Int32Array over NativeMemory. */
export type FutexWord = Uint32Array | Int32Array;

function futexAddress(operation: string, op: Operation, loop: Loop, word: FutexWord): number {
  if (!(word instanceof Uint32Array || word instanceof Int32Array) || word.length < 1) {
    refuse(operation, "the futex word must be a Uint32Array or Int32Array of at least one element");
  }
  if (!NativeMemory.of(word)) {
    refuse(operation, "the futex word must lie in NativeMemory: the kernel watches its address until woken");
  }
  // Pinned until the completion; a u32 view is 4-aligned by construction.
  return op.kernelAddress(loop, word.subarray(0, 1), false);
}

function futexValue(operation: string, v: number): number {
  if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
    refuse(operation, `the expected value must be a 32-bit integer, got ${v}`);
  }
  return v >>> 0;
}

function futexFlags(options: FutexOptions): number {
  return FUTEX2_SIZE_U32 | (options.shared ? 0 : FUTEX2_PRIVATE);
}

/**
 * Waits on a futex (IORING_OP_FUTEX_WAIT, Linux 6.7) while `word[0]` holds `expected`; resolves when woken
 * ({@link futexWake}, FUTEX_WAKE from another thread). Rejects at once with EAGAIN when the word differs.
 *
 * @param loop The loop.
 * @param word The futex word (in NativeMemory; pinned while waiting).
 * @param expected The value to wait on.
 * @param options `mask`, `shared`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop, NativeMemory } from "ringside-uring";
 * declare const loop: Loop;
 * const mem = NativeMemory.allocate(4);
 * const word = new Uint32Array(mem.buffer, 0, 1);
 * const waiting = futexWait(loop, word, 0);
 * word[0] = 1;
 * await futexWake(loop, word); // 1
 * await waiting;
 * ```
 */
export function futexWait(loop: Loop, word: FutexWord, expected: number, options: FutexOptions = {}): Promise<void> {
  return run(loop, new PromiseOp<void>("futex_wait", (sqe: Sqe, o) => {
    const addr = futexAddress("futex_wait", o, loop, word);
    prepFutexWait(sqe, addr, futexValue("futex_wait", expected),
      checkU32("futex_wait", options.mask ?? FUTEX_BITSET_MATCH_ANY, "mask"), futexFlags(options), 0);
  }, { keep: word, map: () => undefined }), options);
}

/**
 * Wakes up to `count` waiters of a futex (IORING_OP_FUTEX_WAKE, Linux 6.7) and resolves to how many woke.
 *
 * @param loop The loop.
 * @param word The futex word (in NativeMemory).
 * @param count How many to wake at most (default 1; Infinity: all).
 * @param options `mask`, `shared`, `signal`, `timeoutMs`.
 * @returns How many woke.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, word: Uint32Array;
 * await futexWake(loop, word, Infinity); // wake all
 * ```
 */
export function futexWake(loop: Loop, word: FutexWord, count = 1, options: FutexOptions = {}): Promise<number> {
  return run(loop, new PromiseOp("futex_wake", (sqe: Sqe, o) => {
    const addr = futexAddress("futex_wake", o, loop, word);
    const n = count === Infinity ? 0x7fffffff : count;
    if (!Number.isInteger(n) || n < 1) refuse("futex_wake", `count must be a positive integer, got ${count}`);
    prepFutexWake(sqe, addr, n, checkU32("futex_wake", options.mask ?? FUTEX_BITSET_MATCH_ANY, "mask"),
      futexFlags(options), 0);
  }, { keep: word }), options);
}

/** One futex of {@link futexWaitv}. */
export interface FutexWaiter {
  /** The futex word (in NativeMemory). */
  word: FutexWord;
  /** The value to wait on. */
  expected: number;
}

/** sizeof(struct futex_waitv): u64 val, u64 uaddr, u32 flags, u32 __reserved (include/uapi/linux/futex.h). */
const FUTEX_WAITV_SIZE = 24;

/**
 * Waits on several futexes at once (IORING_OP_FUTEX_WAITV, Linux 6.7) and resolves to the index of the one woken.
 * Rejects with EAGAIN when one of them does not hold its expected value.
 *
 * @param loop The loop.
 * @param waiters Up to 128 futexes and their expected values.
 * @param options `shared`, `signal`, `timeoutMs`.
 * @returns The index of the futex woken.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop, a: Uint32Array, b: Uint32Array;
 * const which = await futexWaitv(loop, [{ word: a, expected: 0 }, { word: b, expected: 0 }]);
 * ```
 */
export function futexWaitv(loop: Loop, waiters: readonly FutexWaiter[], options: FutexOptions = {}): Promise<number> {
  return run(loop, new PromiseOp("futex_waitv", (sqe: Sqe, o) => {
    if (!Array.isArray(waiters) || waiters.length < 1 || waiters.length > 128) {
      refuse("futex_waitv", "give 1 to 128 futexes");
    }
    const c = o.chunk(loop, waiters.length * FUTEX_WAITV_SIZE);
    waiters.forEach((w, i) => {
      const at = i * FUTEX_WAITV_SIZE;
      putU64(c.view, at, futexValue("futex_waitv", w.expected));
      putU64(c.view, at + 8, futexAddress("futex_waitv", o, loop, w.word));
      c.view.setUint32(at + 16, futexFlags(options), true);
    });
    prepFutexWaitv(sqe, c.address, waiters.length, 0);
  }, { keep: waiters }), options);
}
