/**
 * Provided-buffer rings: `io_uring_register(2)` with IORING_REGISTER_PBUF_RING, UNREGISTER_PBUF_RING and
 * PBUF_STATUS. A request with IOSQE_BUFFER_SELECT and a buffer group takes a buffer from the group's ring when it
 * has data, instead of naming one up front. These are the raw registrations; `BufferRing` (ringside-uring/buffers)
 * fills and recycles the ring's entries.
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * import { NativeMemory } from "ringside-uring/core";
 *
 * const ring = new Ring(8);
 * const ringMem = NativeMemory.allocate(8 * 16);
 * registerBufRing(ring, { memory: ringMem, entries: 8, bgid: 1 });
 * console.log(bufRingHead(ring, 1)); // 0: nothing consumed yet
 * unregisterBufRing(ring, 1);
 * ringMem.free();
 * ring.close();
 * ```
 *
 * @module
 */
import { refuse } from "../core/errors.ts";
import { NativeMemory, pageSize } from "../core/memory.ts";
import { checkCount, checkU32 } from "../core/_validate.ts";
import { putU64 } from "../abi/_u64.ts";
import {
  io_uring_buf_reg,
  io_uring_buf_status,
  IORING_OFF_PBUF_RING,
  IORING_OFF_PBUF_SHIFT,
  IORING_REGISTER_PBUF_RING,
  IORING_REGISTER_PBUF_STATUS,
  IORING_UNREGISTER_PBUF_RING,
  IOU_PBUF_RING_INC,
  IOU_PBUF_RING_MMAP,
} from "../abi/uapi.ts";
import { ENOENT } from "../abi/errno.ts";
import { type BufRingRegistration, type BufRingState, live, stateOf, states } from "./_register.ts";
import { checkRegister } from "./_since.ts";
import { IORING_MAX_BUF_RING_ENTRIES } from "./limits.ts";
import type { Ring } from "./ring.ts";

export type { BufRingRegistration };

/** What {@link registerBufRing} registers. */
export interface BufRingOptions {
  /**
   * The ring's memory: page-aligned (every NativeMemory is) and at least `entries * 16` bytes. Omit it with
   * IOU_PBUF_RING_MMAP, where the kernel allocates the ring and ringside maps it.
   */
  memory?: NativeMemory | undefined;
  /** Ring entries: a power of two, 1 to 32768. */
  entries: number;
  /** The buffer group ID, 0 to 65535. */
  bgid: number;
  /** `IOU_PBUF_RING_MMAP` (Linux 6.4) and/or `IOU_PBUF_RING_INC` (incremental consumption, Linux 6.12). */
  flags?: number | undefined;
}

/**
 * Registers a provided-buffer ring for buffer group `bgid`: requests with IOSQE_BUFFER_SELECT and that
 * buf_group take a buffer from it and report its ID in the CQE flags (IORING_CQE_F_BUFFER, bid << 16). The ring
 * starts empty: write `struct io_uring_buf` entries (addr u64, len u32, bid u16) and store-release the u16 tail at
 * byte 14. The addresses in the entries must be native memory too; managing them is the caller's job (the
 * scheduler's buffer pools). The ring memory is pinned until {@link unregisterBufRing}. Returns the registration,
 * whose `memory` is the caller's, or with IOU_PBUF_RING_MMAP the kernel's ring mapped at
 * IORING_OFF_PBUF_RING | bgid << IORING_OFF_PBUF_SHIFT (unmapped on unregister). Matches liburing's
 * `io_uring_register_buf_ring` (Linux 5.19).
 *
 * @example
 * ```ts
 * import { NativeMemory } from "ringside-uring/core";
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * const ringMem = NativeMemory.allocate(8 * 16);
 * const br = registerBufRing(ring, { memory: ringMem, entries: 8, bgid: 1 });
 * // add buffers, then prepRead(...) + IOSQE_BUFFER_SELECT + sqeSetBufGroup(sqe, 1)
 * unregisterBufRing(ring, 1);
 * ```
 */
export function registerBufRing(ring: Ring, options: BufRingOptions): BufRingRegistration {
  const op = "register a buffer ring (IORING_REGISTER_PBUF_RING)";
  live(ring, op);
  const { memory, entries, bgid } = options ?? {} as BufRingOptions;
  const flags = options?.flags ?? 0;
  checkU32(op, flags, "flags");
  if ((flags & ~(IOU_PBUF_RING_MMAP | IOU_PBUF_RING_INC)) !== 0) {
    refuse(op, `flags may only hold IOU_PBUF_RING_MMAP and IOU_PBUF_RING_INC, got ${flags}`);
  }
  checkCount(op, entries, IORING_MAX_BUF_RING_ENTRIES, "entries");
  if ((entries & (entries - 1)) !== 0) refuse(op, `entries must be a power of two, got ${entries}`);
  checkU32(op, bgid, "bgid", 0xffff);
  const bytes = entries * 16;
  const mmap = (flags & IOU_PBUF_RING_MMAP) !== 0;
  if (mmap) {
    if (memory !== undefined) refuse(op, "with IOU_PBUF_RING_MMAP the kernel allocates the ring: omit memory");
    if (ring.fd < 0) refuse(op, "IOU_PBUF_RING_MMAP needs the ring's fd to map the buffer ring");
  } else {
    if (!(memory instanceof NativeMemory)) {
      refuse(op, "memory must be a NativeMemory (the kernel keeps its address), or pass IOU_PBUF_RING_MMAP");
    }
    if (memory.isFreed) refuse(op, "the memory was freed");
    if (memory.address % pageSize() !== 0) refuse(op, "the memory must be page-aligned");
    if (memory.byteLength < bytes) {
      refuse(op, `${entries} entries need ${bytes} bytes, the memory has ${memory.byteLength}`);
    }
  }
  const s = stateOf(ring);
  if (s.bufRings.has(bgid)) refuse(op, `buffer group ${bgid} already has a ring: unregister it first`);

  const arg = new Uint8Array(io_uring_buf_reg.SIZE);
  const v = new DataView(arg.buffer);
  if (!mmap) putU64(v, io_uring_buf_reg.ring_addr, memory!.address);
  v.setUint32(io_uring_buf_reg.ring_entries, entries, true);
  v.setUint16(io_uring_buf_reg.bgid, bgid, true);
  v.setUint16(io_uring_buf_reg.flags, flags, true);
  memory?.pin();
  const res = ring.register(IORING_REGISTER_PBUF_RING, arg, 1);
  if (res < 0) {
    memory?.unpin();
    checkRegister(res, IORING_REGISTER_PBUF_RING, op, {
      EEXIST: `buffer group ${bgid} already has a ring or classic provided buffers`,
      EINVAL: "a flag, the entry count or the alignment was refused by this kernel",
      ENOMEM: "the ring exceeds the locked-memory limit (RLIMIT_MEMLOCK, `ulimit -l`)",
    }, [
      { used: mmap, what: "IOU_PBUF_RING_MMAP", since: "6.4" },
      { used: (flags & IOU_PBUF_RING_INC) !== 0, what: "IOU_PBUF_RING_INC", since: "6.12" },
    ]);
  }
  let mem = memory;
  if (mmap) {
    try {
      // IORING_OFF_PBUF_RING is bit 31: add, not or, so the offset stays positive.
      mem = NativeMemory.mapShared(ring.fd, IORING_OFF_PBUF_RING + bgid * 2 ** IORING_OFF_PBUF_SHIFT, bytes,
        "map the buffer ring (IORING_OFF_PBUF_RING)");
    } catch (e) {
      unregisterBufRingRaw(ring, bgid);
      throw e;
    }
    mem.pin();
  }
  const reg: BufRingState = { bgid, entries, flags, memory: mem!, owned: mmap };
  s.bufRings.set(bgid, reg);
  return { bgid, entries, flags, memory: mem! };
}

function unregisterBufRingRaw(ring: Ring, bgid: number): number {
  const arg = new Uint8Array(io_uring_buf_reg.SIZE);
  new DataView(arg.buffer).setUint16(io_uring_buf_reg.bgid, bgid, true);
  return ring.register(IORING_UNREGISTER_PBUF_RING, arg, 1);
}

/**
 * Unregisters the buffer ring of group `bgid` and unpins its memory (unmapping it when ringside mapped it for
 * IOU_PBUF_RING_MMAP). Throws ENOENT when the group has no ring. Matches liburing's `io_uring_unregister_buf_ring`
 * (Linux 5.19).
 *
 * @example
 * ```ts
 * import { NativeMemory } from "ringside-uring/core";
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * declare const ringMem: NativeMemory;
 * unregisterBufRing(ring, 1);
 * ringMem.free();
 * ```
 */
export function unregisterBufRing(ring: Ring, bgid: number): void {
  const op = "unregister a buffer ring (IORING_UNREGISTER_PBUF_RING)";
  live(ring, op);
  checkU32(op, bgid, "bgid", 0xffff);
  const res = unregisterBufRingRaw(ring, bgid);
  const s = states.get(ring);
  const br = s?.bufRings.get(bgid);
  if (br && (res >= 0 || res === -ENOENT)) { // the kernel has no such ring, so the record is stale
    s!.bufRings.delete(bgid);
    br.memory.unpin();
    if (br.owned) br.memory.free();
  }
  checkRegister(res, IORING_UNREGISTER_PBUF_RING, op, {
    ENOENT: `buffer group ${bgid} has no ring`,
    EINVAL: `buffer group ${bgid} holds classic provided buffers, not a ring (or, before Linux 6.10, a group below ` +
      "64 that has no ring at all)",
  });
}

/**
 * The kernel's head of the buffer ring of group `bgid`: how many entries it has consumed (mod 65536). Entries
 * between the head and the tail are still available. Matches liburing's `io_uring_buf_ring_head`
 * (IORING_REGISTER_PBUF_STATUS, Linux 6.8).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * const head = bufRingHead(ring, 1);
 * ```
 */
export function bufRingHead(ring: Ring, bgid: number): number {
  const op = "read a buffer ring's head (IORING_REGISTER_PBUF_STATUS)";
  live(ring, op);
  checkU32(op, bgid, "bgid", 0xffff);
  const arg = new Uint32Array(io_uring_buf_status.SIZE / 4);
  arg[io_uring_buf_status.buf_group / 4] = bgid;
  checkRegister(ring.register(IORING_REGISTER_PBUF_STATUS, arg, 1), IORING_REGISTER_PBUF_STATUS, op, {
    ENOENT: `buffer group ${bgid} has no ring`,
    EINVAL: `buffer group ${bgid} is not a buffer ring`,
  });
  return arg[io_uring_buf_status.head / 4]!; // in bounds: arg is a whole io_uring_buf_status
}
