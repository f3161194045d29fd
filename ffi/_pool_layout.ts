/**
 * The shared memory a {@link BlockingPool} and its threads talk through (one SharedArrayBuffer each way of
 * reading): a queue of slot numbers the JavaScript thread produces and the pool threads consume, and per slot the
 * call, its arguments, its result and its state. Read by both ffi/blocking_pool.ts and ffi/_blocking_worker.js.
 *
 * @module
 */

/** Slots: calls that can be outstanding at once (more wait in the pool's own list). */
export const SLOTS = 1024;
/**
 * The queue of slot numbers. A withdrawn call leaves its slot number in the queue (a thread skips it: the slot is no
 * longer PENDING), and the slot may be queued again meanwhile, so the queue has room for more than the slots.
 */
export const QUEUE_SIZE = SLOTS * 4;
/** Positions wrap with this mask. */
export const QUEUE_MASK = QUEUE_SIZE - 1;

// Header words (Int32Array over `control`). ffi/_blocking_worker.js receives these as `layout` (POOL_LAYOUT).
/** The next queue position a thread takes (threads advance it by compare-and-exchange). */
export const H_HEAD = 0;
/** The next queue position the JavaScript thread fills; threads wait on this word while the queue is empty. */
export const H_TAIL = 1;
/** Set when the threads must exit. */
export const H_STOP = 2;
/** Threads between publishing a result and writing its eventfd (see BlockingPool.quiesce). */
export const H_SIGNALLING = 3;
/** Threads that have bound their calls and wait for work (each adds 1 once, when it is up). */
export const H_READY = 5;
/** Where the queue starts, in Int32 words. */
export const H_QUEUE = 8;
/** The control buffer's size in bytes. */
export const CONTROL_BYTES = (H_QUEUE + QUEUE_SIZE) * 4;

// Per slot: 16 Float64 words (128 bytes). Int32 words 0-3 of a slot: state, call index, errno, the eventfd to
// signal; Float64 words 2-7: the arguments; Float64 word 8: the result.
/** Float64 words per slot. */
export const SLOT_F64 = 16;
/** Int32 words per slot. */
export const SLOT_I32 = SLOT_F64 * 2;
export const S_STATE = 0;
export const S_CALL = 1;
export const S_ERRNO = 2;
export const S_SIGNAL = 3;
/** The first argument, in Float64 words from the slot's start. */
export const S_ARGS = 2;
/** The most arguments a call takes. */
export const MAX_ARGS = 6;
/** The result, in Float64 words from the slot's start. */
export const S_RESULT = 8;
/** The slots buffer's size in bytes. */
export const SLOTS_BYTES = SLOTS * SLOT_F64 * 8;

// Slot states.
export const FREE = 0;
/** Queued, not taken by a thread yet: it can still be withdrawn. */
export const PENDING = 1;
/** A thread is making the call. */
export const RUNNING = 2;
/** The result is in the slot. */
export const DONE = 3;

/** What a pool thread (ffi/_blocking_worker.js, plain JavaScript) is told of this layout. */
export const POOL_LAYOUT = Object.freeze({
  H_HEAD,
  H_TAIL,
  H_STOP,
  H_SIGNALLING,
  H_READY,
  H_QUEUE,
  QUEUE_MASK,
  SLOT_I32,
  SLOT_F64,
  S_STATE,
  S_CALL,
  S_ERRNO,
  S_SIGNAL,
  S_ARGS,
  S_RESULT,
  PENDING,
  RUNNING,
  DONE,
});
