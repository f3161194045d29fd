/**
 * Where a ring's SQ ring, CQ ring and SQE array live once set up: mapped from the ring's fd at the offsets the
 * kernel gives in `struct io_uring_params` (one mapping for both rings with IORING_FEAT_SINGLE_MMAP), or in the
 * caller memory of an IORING_SETUP_NO_MMAP ring; the views over them and one {@link Sqe} per slot. Internal to the
 * ring layer: the Ring keeps what this returns in its own fields, read on every SQE and CQE.
 *
 * @module
 */
import { NativeMemory } from "../core/memory.ts";
import {
  io_cqring_offsets,
  io_sqring_offsets,
  io_uring_params,
  IORING_FEAT_SINGLE_MMAP,
  IORING_OFF_CQ_RING,
  IORING_OFF_SQ_RING,
  IORING_OFF_SQES,
  IORING_SETUP_NO_SQARRAY,
  IORING_SETUP_SQE_MIXED,
} from "../abi/uapi.ts";
import { Sqe } from "./sqe.ts";

/** The mapped rings: views, word indexes of the head, tail and flag words, masks, and the SQE objects. */
export interface RingMaps {
  /** Every mapping (or pinned caller memory) made, for the ring to detach and free at close or resize. */
  readonly memory: NativeMemory[];
  readonly sqRing: Uint32Array;
  readonly cqRing: Uint32Array;
  readonly cqI32: Int32Array;
  readonly sqHeadIdx: number;
  readonly sqTailIdx: number;
  readonly sqFlagsIdx: number;
  readonly sqDroppedIdx: number;
  readonly sqMask: number;
  readonly cqHeadIdx: number;
  readonly cqTailIdx: number;
  readonly cqOverflowIdx: number;
  readonly cqFlagsIdx: number;
  readonly cqMask: number;
  /** The word index of the first CQE in `cqRing`. */
  readonly cqesWord: number;
  /** A 64-bit view over the whole SQE array, for zeroing runs of SQEs. */
  readonly sqeF64: Float64Array;
  /** One SQE per slot. */
  readonly sqes: Sqe[];
  /** On an SQE_MIXED ring, a 128-byte SQE starting at each slot (the last slot's is 64 bytes); empty otherwise. */
  readonly sqes128: Sqe[];
}

/** The ring's shape, as set up (or resized): flags, features, sizes. */
export interface RingShape {
  readonly flags: number;
  readonly features: number;
  readonly sqCount: number;
  readonly cqCount: number;
  readonly sqeSize: number;
  readonly cqeSize: number;
}

/**
 * Maps the rings from the offsets in `pv` (io_uring_params as the kernel filled it) and makes the views and SQE
 * objects over them: at setup (`fresh`: the SQEs are zeroed), and again after a resize (the pending SQEs the kernel
 * copied stay). With `ringsMem`/`sqesMem` (NO_MMAP) the rings are in that caller memory, pinned here. On failure
 * nothing stays mapped.
 */
export function mapRings(
  pv: DataView,
  fd: number,
  shape: RingShape,
  ringsMem: NativeMemory | undefined,
  sqesMem: NativeMemory | undefined,
  fresh: boolean,
): RingMaps {
  const so = (k: keyof typeof io_sqring_offsets) => pv.getUint32(io_uring_params.sq_off + io_sqring_offsets[k], true);
  const co = (k: keyof typeof io_cqring_offsets) => pv.getUint32(io_uring_params.cq_off + io_cqring_offsets[k], true);
  const { sqCount, sqeSize } = shape;

  const noSqArray = (shape.flags & IORING_SETUP_NO_SQARRAY) !== 0;
  const cqRingBytes = co("cqes") + shape.cqCount * shape.cqeSize;
  let arrayAt = so("array");
  if (!noSqArray && arrayAt === 0) {
    // RESIZE_RINGS (checked on 6.18) reports every offset but sq_off.array; liburing never notices, as it sets up
    // rings with NO_SQARRAY. The kernel puts the array where setup does (io_uring.c rings_size()): after the
    // CQEs, aligned to the cache line.
    arrayAt = (cqRingBytes + 63) & ~63;
  }
  const sqRingBytes = noSqArray ? so("tail") + 4 : arrayAt + sqCount * 4;
  const memory: NativeMemory[] = [];
  let sqMap: NativeMemory;
  let cqMap: NativeMemory;
  let sqesMap: NativeMemory;
  try {
    if (ringsMem && sqesMem) {
      sqMap = cqMap = ringsMem;
      sqesMap = sqesMem;
      ringsMem.pin();
      sqesMem.pin();
      memory.push(ringsMem, sqesMem);
    } else if (shape.features & IORING_FEAT_SINGLE_MMAP) {
      sqMap = cqMap = NativeMemory.mapShared(fd, IORING_OFF_SQ_RING, Math.max(sqRingBytes, cqRingBytes),
        "map the io_uring rings");
      memory.push(sqMap);
      sqesMap = NativeMemory.mapShared(fd, IORING_OFF_SQES, sqCount * sqeSize, "map the io_uring SQEs");
      memory.push(sqesMap);
    } else {
      sqMap = NativeMemory.mapShared(fd, IORING_OFF_SQ_RING, sqRingBytes, "map the io_uring SQ ring");
      memory.push(sqMap);
      cqMap = NativeMemory.mapShared(fd, IORING_OFF_CQ_RING, cqRingBytes, "map the io_uring CQ ring");
      memory.push(cqMap);
      sqesMap = NativeMemory.mapShared(fd, IORING_OFF_SQES, sqCount * sqeSize, "map the io_uring SQEs");
      memory.push(sqesMap);
    }
  } catch (e) {
    release(memory);
    throw e;
  }

  const sqRing = new Uint32Array(sqMap.buffer);
  const cqRing = new Uint32Array(cqMap.buffer);
  const sqMask = sqRing[so("ring_mask") >> 2];
  const cqMask = cqRing[co("ring_mask") >> 2];
  if (sqMask === undefined || cqMask === undefined) {
    release(memory);
    throw new RangeError("the io_uring ring_mask offsets lie outside the mapped rings");
  }
  // Without NO_SQARRAY the kernel reads SQE indices through the SQ array: map slot i to SQE i once, for good.
  if (!noSqArray) {
    const array = arrayAt >> 2;
    for (let i = 0; i < sqCount; i++) sqRing[array + i] = i;
  }

  const sqesBuf = sqesMap.buffer;
  const sqeF64 = new Float64Array(sqesBuf);
  // getSqe() hands out slots as they are: start them zeroed whatever the memory held (the kernel's pages and
  // fresh anonymous memory already are), and reclaimSqes() clears each again when the kernel has read it. After a
  // resize the kernel's new pages are zeroed but for the pending SQEs it copied, which must stay.
  if (fresh) sqeF64.fill(0);
  const sqes: Sqe[] = [];
  const sqes128: Sqe[] = [];
  for (let i = 0; i < sqCount; i++) sqes.push(new Sqe(sqesBuf, i * sqeSize, sqeSize, i));
  if (shape.flags & IORING_SETUP_SQE_MIXED) {
    // A 128-byte SQE takes slots i and i + 1; the last slot never starts one (getSqe128 pads it).
    for (let i = 0; i < sqCount; i++) sqes128.push(new Sqe(sqesBuf, i * sqeSize, i + 1 < sqCount ? 128 : 64, i));
  }

  return {
    memory,
    sqRing,
    cqRing,
    cqI32: new Int32Array(cqMap.buffer),
    sqHeadIdx: so("head") >> 2,
    sqTailIdx: so("tail") >> 2,
    sqFlagsIdx: so("flags") >> 2,
    sqDroppedIdx: so("dropped") >> 2,
    sqMask,
    cqHeadIdx: co("head") >> 2,
    cqTailIdx: co("tail") >> 2,
    cqOverflowIdx: co("overflow") >> 2,
    cqFlagsIdx: co("flags") >> 2,
    cqMask,
    cqesWord: co("cqes") >> 2,
    sqeF64,
    sqes,
    sqes128,
  };
}

/** Unpins and frees what mapRings mapped or pinned, when it fails part way. */
function release(memory: NativeMemory[]): void {
  for (const m of memory) {
    m.unpin();
    m.free();
  }
}
