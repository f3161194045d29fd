/**
 * A ring's registered wait region (IORING_REGISTER_MEM_REGION with IORING_MEM_REGION_REG_WAIT_ARG, Linux 6.13):
 * memory of ours, pinned by the kernel for the ring's life, holding `struct io_uring_reg_wait` slots that a wait
 * names by offset instead of copying an argument in. Internal to the ring layer: `Ring.registerWaitRegion` is the way
 * in.
 *
 * @module
 */
import { UringError } from "../core/errors.ts";
import { NativeMemory, pageAlign } from "../core/memory.ts";
import { putU64 } from "../abi/_u64.ts";
import { EINVAL } from "../abi/errno.ts";
import {
  io_uring_mem_region_reg,
  io_uring_reg_wait,
  io_uring_region_desc,
  IORING_MEM_REGION_REG_WAIT_ARG,
  IORING_MEM_REGION_TYPE_USER,
  IORING_REGISTER_MEM_REGION,
} from "../abi/uapi.ts";

/**
 * Allocates and registers a wait region of `slots` slots through `register` (the ring's raw register call), and
 * returns its memory, pinned. Throws a {@link UringError} when the kernel refuses; nothing is left allocated then.
 */
export function registerWaitRegionMemory(
  register: (opcode: number, arg: ArrayBufferView, nrArgs: number) => number, slots: number, op: string,
): NativeMemory {
  // Page-aligned memory of our own (IORING_MEM_REGION_TYPE_USER): the kernel pins its pages for the ring's life.
  // One slot more than asked: Linux 6.18 clamps a slot's offset with array_index_nospec(offset, size - 64)
  // (io_uring/io_uring.c io_get_ext_arg_reg), which maps the offset of a slot ending exactly at the region's end to
  // 0, so a wait on that last slot would silently use slot 0's argument (wait_region_test.ts shows it); a region one
  // slot larger keeps every usable slot inside.
  const mem = NativeMemory.allocate(pageAlign((slots + 1) * io_uring_reg_wait.SIZE));
  const arg = NativeMemory.allocate(io_uring_region_desc.SIZE + io_uring_mem_region_reg.SIZE);
  try {
    const v = new DataView(arg.buffer);
    const reg = io_uring_region_desc.SIZE;
    putU64(v, io_uring_region_desc.user_addr, mem.address);
    putU64(v, io_uring_region_desc.size, mem.byteLength);
    v.setUint32(io_uring_region_desc.flags, IORING_MEM_REGION_TYPE_USER, true);
    putU64(v, reg + io_uring_mem_region_reg.region_uptr, arg.address);
    putU64(v, reg + io_uring_mem_region_reg.flags, IORING_MEM_REGION_REG_WAIT_ARG);
    const r = register(IORING_REGISTER_MEM_REGION, new Uint8Array(arg.buffer, reg, io_uring_mem_region_reg.SIZE), 1);
    if (r < 0) {
      throw new UringError(op, -r, r === -EINVAL ? "this kernel has no wait regions (Linux 6.13) or refused the region" : undefined);
    }
  } catch (e) {
    mem.free();
    throw e;
  } finally {
    arg.free();
  }
  mem.pin();
  return mem;
}
