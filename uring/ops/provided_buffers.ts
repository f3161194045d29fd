/**
 * Legacy provided buffers on a {@link Loop}: `provideBuffers` (IORING_OP_PROVIDE_BUFFERS) hands a group of
 * buffers in native memory to the kernel for IOSQE_BUFFER_SELECT requests to pick from; `removeBuffers` takes the
 * unused ones back. The memory stays pinned while the kernel may write it. Buffer rings (`BufferRing`,
 * `registerBufRing`) are the faster successor.
 *
 * @example
 * ```ts
 * import { Loop, NativeMemory } from "ringside-uring";
 * const loop = new Loop();
 * const pool = NativeMemory.allocate(16 * 4096);
 * await provideBuffers(loop, pool.bytes, { size: 4096, group: 1 });
 * console.log(await removeBuffers(loop, 1)); // 16
 * await loop.close();
 * ```
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { type OpOptions, PromiseOp } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import { NativeMemory } from "../core/memory.ts";
import { refuse } from "../core/errors.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepProvideBuffers, prepRemoveBuffers } from "../prep/buffers.ts";

/** The most buffers one group holds (MAX_BIDS_PER_BGID, io_uring/kbuf.h). */
const MAX_BIDS = 1 << 16;
/**
 * The most buffers one REMOVE_BUFFERS may ask for on every kernel: before MAX_BIDS_PER_BGID (kbuf.c; backported to
 * some stable series, not to Debian's 5.10) the kernel refuses more than USHRT_MAX with EINVAL, and a group there
 * never holds more than that.
 */
const REMOVE_ALL = 0xffff;

// Memory handed to the kernel as provided buffers stays pinned until the group is emptied by removeBuffers or the
// ring closes: the kernel may write into any of it whenever a request picks a buffer.
const providedPins = new WeakMap<Loop, Map<number, NativeMemory[]>>();

function pinsOf(loop: Loop): Map<number, NativeMemory[]> {
  let m = providedPins.get(loop);
  if (!m) {
    const groups = new Map<number, NativeMemory[]>();
    m = groups;
    providedPins.set(loop, groups);
    loop.ring.onClose(() => {
      // A request the loop gave up on (uncancellable at close) may still pick a buffer: keep the memory for good.
      if (loop.leakedOperations > 0) return;
      for (const list of groups.values()) for (const mem of list) mem.unpin();
      groups.clear();
    });
  }
  return m;
}

/** Options of {@link provideBuffers}. */
export interface ProvideBuffersOptions extends OpOptions {
  /** The size of each buffer in bytes. */
  size: number;
  /** How many buffers (default: as many as fit in the view). */
  count?: number | undefined;
  /** The buffer group id (0-65535). */
  group: number;
  /** The id of the first buffer (default 0); the others follow. */
  startId?: number | undefined;
}

/**
 * Hands `count` buffers of `size` bytes, back to back in `memory`, to buffer group `group` with ids `startId`,
 * `startId + 1`, ... (IORING_OP_PROVIDE_BUFFERS, Linux 5.7). A request with IOSQE_BUFFER_SELECT and this group then
 * picks one and reports its id in the CQE flags (`cqeBufferId`). The memory must be NativeMemory; it stays pinned
 * until {@link removeBuffers} empties the group or the ring closes. Buffer rings (`registerBufRing`) are faster.
 *
 * @param loop The loop.
 * @param memory A view of NativeMemory holding the buffers.
 * @param options `size`, `count`, `group`, `startId`, `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { Loop, NativeMemory } from "ringside-uring";
 * declare const loop: Loop;
 * const pool = NativeMemory.allocate(16 * 4096);
 * await provideBuffers(loop, pool.bytes, { size: 4096, group: 1 });
 * ```
 */
export function provideBuffers(loop: Loop, memory: ArrayBufferView, options: ProvideBuffersOptions): Promise<void> {
  const mem = ArrayBuffer.isView(memory) ? NativeMemory.of(memory) : undefined;
  return run(loop, new PromiseOp<void>("provide_buffers", (sqe: Sqe, o) => {
    if (!mem) refuse("provide_buffers", "the buffers must lie in NativeMemory: the kernel writes them at any time");
    const { size, group } = options ?? {};
    if (!Number.isInteger(size) || size < 1 || size > 0x7fffffff) refuse("provide_buffers", "size must be >= 1");
    const count = options.count ?? Math.floor(memory.byteLength / size);
    const startId = options.startId ?? 0;
    if (!Number.isInteger(group) || group < 0 || group > 0xffff) refuse("provide_buffers", "group must be a u16");
    if (!Number.isInteger(count) || count < 1 || count > MAX_BIDS) {
      refuse("provide_buffers", `count must be 1-${MAX_BIDS}, got ${count}`);
    }
    if (!Number.isInteger(startId) || startId < 0 || startId + count > MAX_BIDS) {
      refuse("provide_buffers", `buffer ids must stay below ${MAX_BIDS}`);
    }
    if (count * size > memory.byteLength) {
      refuse("provide_buffers", `${count} buffers of ${size} bytes do not fit in ${memory.byteLength} bytes`);
    }
    prepProvideBuffers(sqe, o.kernelAddress(loop, memory, true), size, count, group, startId);
  }, {
    map: () => {
      // The kernel now holds the memory beyond this request: pin it for the group's lifetime.
      mem!.pin();
      const groups = pinsOf(loop);
      const list = groups.get(options.group) ?? [];
      list.push(mem!);
      groups.set(options.group, list);
    },
  }), options);
}

/**
 * Takes up to `count` unused buffers back from group `group` (IORING_OP_REMOVE_BUFFERS, Linux 5.7) and resolves to
 * how many were removed; rejects with ENOENT when the group has none (and, before Linux 5.19, once it was emptied).
 * When fewer than `count` come back the group is empty and the memory given to it is unpinned.
 *
 * @param loop The loop.
 * @param group The buffer group id.
 * @param count The most to remove (default 65535, the most every kernel accepts: all of a group, but for the last
 *   one of a group of 65536, which a second call takes).
 * @param options `signal`, `timeoutMs`.
 * @returns How many were removed.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * const n = await removeBuffers(loop, 1);
 * ```
 */
export function removeBuffers(loop: Loop, group: number, count = REMOVE_ALL, options: OpOptions = {}): Promise<number> {
  const release = () => {
    const groups = pinsOf(loop);
    const list = groups.get(group) ?? [];
    groups.delete(group);
    // The group is empty, but a request may have picked a buffer before and still fill it (a read blocking in
    // io-wq): the memory is let go once no BUFFER_SELECT request of this group is in flight.
    loop.whenGroupIdle(group, () => {
      for (const mem of list) mem.unpin();
    });
  };
  const removed = run(loop, new PromiseOp("remove_buffers", (sqe: Sqe) => {
    if (!Number.isInteger(group) || group < 0 || group > 0xffff) refuse("remove_buffers", "group must be a u16");
    if (!Number.isInteger(count) || count < 1 || count > MAX_BIDS) {
      refuse("remove_buffers", `count must be 1-${MAX_BIDS}`);
    }
    prepRemoveBuffers(sqe, count, group);
  }, {
    map: (res) => {
      if (res < count) release();
      return res;
    },
  }), options);
  // ENOENT: the group holds no buffer at all, so none of its memory is in the kernel's hands either.
  return removed.catch((e) => {
    if ((e as { code?: string }).code === "ENOENT") release();
    throw e;
  });
}
