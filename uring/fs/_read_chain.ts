/**
 * The linked chain that reads a small file in one trip to the kernel: OPENAT into a direct descriptor slot, READ
 * from that slot into native memory, CLOSE the slot. Three SQEs, one operation, one `io_uring_enter` shared with
 * the chains of other files; no entry in the process's file table is ever made.
 *
 * Links: open -> read is IOSQE_IO_LINK (a failed open cancels the read: -ECANCELED); read -> close is
 * IOSQE_IO_HARDLINK, because a read shorter than asked (the end of a file smaller than the buffer, the common
 * case) counts as a failure that would sever a plain link and leave the slot open (io_uring/rw.c,
 * `__io_complete_rw_common`). So every member posts exactly one CQE, in chain order: the operation ends with
 * the third (`cqesLeft`).
 *
 * The direct descriptor slots come from a sparse file table the chain registers on the loop's ring the first time
 * (IORING_REGISTER_FILES with IORING_RSRC_REGISTER_SPARSE), keeping the first {@link CHAIN_SLOTS} for itself and
 * leaving the rest to opens that ask the kernel for a free slot (IORING_REGISTER_FILE_ALLOC_RANGE). A ring that
 * already has a file table (the program registered its own), or a kernel before 6.0, is not touched: the caller
 * falls back to plain descriptors.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { type OpHost, PromiseOp } from "../loop/operation.ts";
import { NativeMemory } from "../core/memory.ts";
import { AT_FDCWD } from "../core/_validate.ts";
import { type Sqe, sqeAddFlags } from "../ring/sqe.ts";
import {
  fileTableUnregistrations,
  registerFileAllocRange,
  registerFilesSparse,
  unregisterFiles,
} from "../ring/registered_files.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { prepCloseDirect, prepOpenatDirect } from "../prep/fs.ts";
import { prepRead } from "../prep/rw.ts";
import { IOSQE_FIXED_FILE, IOSQE_IO_HARDLINK, IOSQE_IO_LINK } from "../abi/uapi.ts";
import { O_RDONLY } from "./constants.ts";
import { ECANCELED } from "../abi/errno.ts";

/** Slots of the file table kept for read chains: the most chains in flight on one loop. */
export const CHAIN_SLOTS = 1024;
/** The sparse table's size: the slots above CHAIN_SLOTS are the kernel's to allocate. */
const TABLE_SIZE = 4096;

/** Per loop: the free chain slots, or null where the ring has a file table of the program's own. */
const pools = new WeakMap<Loop, { slots: number[] | null; unregistrations: number }>();

/**
 * The free slot pool of `loop`'s ring, registering the sparse table on first use; null when the ring already had
 * a file table (or cannot have one), so that chains are not used there.
 */
export function chainSlots(loop: Loop): number[] | null {
  const known = pools.get(loop);
  if (known !== undefined) {
    // The program unregistered the table since (to register its own, say): its slots are no longer ours to use.
    if (known.slots !== null && fileTableUnregistrations(loop.ring) !== known.unregistrations) known.slots = null;
    return known.slots;
  }
  let pool: number[] | null = null;
  if (chainsSupported()) {
    try {
      registerFilesSparse(loop.ring, TABLE_SIZE);
      try {
        registerFileAllocRange(loop.ring, CHAIN_SLOTS, TABLE_SIZE - CHAIN_SLOTS);
      } catch (e) {
        unregisterFiles(loop.ring); // the table is the chains', and they will not be used: the program may want one
        throw e;
      }
      pool = Array.from({ length: CHAIN_SLOTS }, (_, i) => CHAIN_SLOTS - 1 - i);
    } catch {
      // EBUSY: the program registered files itself; plain descriptors then.
    }
  }
  pools.set(loop, { slots: pool, unregistrations: fileTableUnregistrations(loop.ring) });
  return pool;
}

let supported: boolean | undefined;

/**
 * Whether this kernel has what chains need: sparse file tables (IORING_RSRC_REGISTER_SPARSE, Linux 5.19), opens
 * into a direct descriptor slot (5.15) and IORING_REGISTER_FILE_ALLOC_RANGE (6.0). No probe tells; older kernels
 * (and Debian's 5.10 with its io_uring backport) read files with plain descriptors.
 */
export function chainsSupported(): boolean {
  return supported ??= kernelVersionAtLeast(6, 0);
}

/** SQEs (and CQEs) of one chain. */
export const CHAIN_SQES = 3;

/** What each member of the chain returned (CQE res). */
export interface ChainResult {
  /** OPENAT: 0, or -errno. */
  open: number;
  /** READ: the bytes read, or -errno (-ECANCELED when the open failed). */
  read: number;
  /** CLOSE: 0, or -errno (-ECANCELED when the open had failed: the failed link cancels the rest). */
  close: number;
}

/**
 * OPENAT(direct) -> READ(fixed) -> CLOSE(direct) as one operation that resolves with the three results (it
 * rejects only when it never reached the kernel). Started through `start()`, so an AbortSignal cancels it.
 */
export class ReadChain extends PromiseOp<ChainResult> {
  override sqeCount = CHAIN_SQES;
  override cqesLeft = CHAIN_SQES;
  readonly results: number[] = [0, 0, 0];
  private seen = 0;
  private readonly path: Uint8Array;
  private readonly fileSlot: number;
  private readonly into: Uint8Array;

  /**
   * @param path The path, NUL-terminated.
   * @param slot A free chain slot (from {@link chainSlots}), returned to the pool by the caller once settled.
   * @param into Native memory to read into (pinned while the kernel holds it).
   */
  constructor(path: Uint8Array, slot: number, into: Uint8Array) {
    super("read a file", () => {}, {
      map: (_res, _flags, op) => {
        const r = (op as unknown as ReadChain).results;
        return { open: r[0]!, read: r[1]!, close: r[2]! };
      },
    });
    if (!NativeMemory.of(into)) throw new TypeError("ReadChain reads into native memory only");
    this.path = path;
    this.fileSlot = slot;
    this.into = into;
  }

  override prep(sqe: Sqe, loop?: OpHost): void {
    const host = loop!; // the loop always passes itself
    const c = this.chunk(host, this.path.byteLength);
    c.bytes.set(this.path);
    prepOpenatDirect(sqe, AT_FDCWD, c.address, O_RDONLY, 0, this.fileSlot);
    sqeAddFlags(sqe, IOSQE_IO_LINK);
  }

  override prepLinked(index: number, sqe: Sqe, loop: OpHost): void {
    if (index === 1) {
      prepRead(sqe, this.fileSlot, this.kernelAddress(loop, this.into, true), this.into.byteLength, 0);
      sqeAddFlags(sqe, IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK);
    } else {
      prepCloseDirect(sqe, this.fileSlot);
    }
  }

  override complete(res: number, flags: number, more: boolean): void {
    if (this.seen < 3) this.results[this.seen++] = res;
    if (more) return;
    // Every member's result is in `results`; the promise resolves with them (the close's own res is among them),
    // unless the chain was cancelled on request (an AbortSignal): then it rejects with an AbortError as any
    // cancelled operation does.
    const aborted = this.cancelRequested && this.results.includes(-ECANCELED);
    super.complete(aborted ? -ECANCELED : 0, flags, false);
  }
}
