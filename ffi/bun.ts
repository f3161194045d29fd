/**
 * The facade over `bun:ffi`. Only this file and `mod.ts` may know they run on Bun.
 *
 * @module
 */
import { dlopen, type FFIFunction, FFIType, ptr, toArrayBuffer } from "bun:ffi";
import { read } from "node:fs";
import type { Backend, NativeFunction, NativeLibrary, NativeType, SymbolTable } from "./types.ts";
import { numberResult } from "./wide.ts";
import { BlockingPool } from "./blocking_pool.ts";

// `ptr` accepts both a number and a TypedArray in Bun, so `buffer` and `ptr` share it; 64-bit results come back as
// bigints for u64/i64 and as numbers for ptr, and are normalised to numbers below.
const TYPES: Record<NativeType, FFIType> = {
  i32: FFIType.i32,
  u32: FFIType.u32,
  i64: FFIType.i64,
  u64: FFIType.u64,
  usize: FFIType.u64,
  ptr: FFIType.ptr,
  buffer: FFIType.ptr,
  void: FFIType.void,
};

function open<T extends SymbolTable>(path: string, table: T): NativeLibrary<T> {
  const defs: Record<string, FFIFunction> = {};
  for (const [name, spec] of Object.entries(table)) {
    defs[name] = { args: spec.args.map((t) => TYPES[t]), returns: TYPES[spec.returns] };
  }
  const lib = dlopen(path, defs);
  const symbols: Record<string, NativeFunction> = {};
  for (const [name, spec] of Object.entries(table)) {
    const fn = lib.symbols[name] as unknown as NativeFunction;
    symbols[name] = numberResult(spec.returns, fn);
  }
  return { symbols: symbols as NativeLibrary<T>["symbols"], close: () => lib.close() };
}

/** The Bun backend. */
export const backend: Backend = {
  runtime: "bun",
  version: (globalThis as unknown as { Bun: { version: string } }).Bun.version,
  plainRingOrder: false,
  open,
  addressOf: (view) => (view.byteLength === 0 ? 0 : ptr(view as DataView)),
  viewAt: (address, byteLength) => toArrayBuffer(address, 0, byteLength),
  gc: () => (globalThis as unknown as { Bun: { gc(sync: boolean): void } }).Bun.gc(true),
  waitEventfd,
  waitReadable,
  prepareWaitReadable: () => void (waitPool ??= new BlockingPool({ maxThreads: 64, prestart: 1 })),
};

let mallocFn: ((n: number) => number) | undefined;

/** `n` bytes of malloc'd memory that is never freed: a pool thread may still use it after this thread is gone. */
function lasting(n: number): Uint8Array {
  mallocFn ??= dlopen("libc.so.6", { malloc: { args: [FFIType.u64], returns: FFIType.ptr } }).symbols
    .malloc as unknown as (n: number) => number;
  const block = mallocFn(n);
  if (!block) throw new Error(`Cannot wait on a descriptor: malloc(${n}) failed`);
  return new Uint8Array(toArrayBuffer(block, 0, n));
}

// The 8 bytes the read fills live in malloc'd memory that is never freed, not in this thread's heap: if a Worker
// ends with a loop still open, the pool thread's read may still complete after the Worker is gone.
let counter: Uint8Array | undefined;

function eventfdCounter(): Uint8Array {
  if (counter) return counter;
  const block = dlopen("libc.so.6", { malloc: { args: [FFIType.u64], returns: FFIType.ptr } }).symbols.malloc(8);
  if (!block) throw new Error("Cannot wait on an eventfd: malloc(8) failed");
  return counter = new Uint8Array(toArrayBuffer(block as number, 0, 8));
}

// Bun's node:fs read runs on its thread pool and accepts any fd; the callback lands on the JS thread.
function waitEventfd(fd: number): Promise<void> {
  const buf = eventfdCounter();
  return new Promise((resolve, reject) => {
    read(fd, buf, 0, 8, null, (err) => (err ? reject(err) : resolve()));
  });
}

// Bun has no FFI call that runs on its thread pool, and none of its node:fs calls waits for readiness: a wait is a
// poll(2) made by a thread of a pool of its own (so that file operations queued on the shared pool cannot delay a
// loop's wake-up). Each wait uses a pollfd of its own, kept for the next wait once this one returned.
let waitPool: BlockingPool | undefined;
const pollfds: Uint8Array[] = [];
let waiting = 0;
let keepAlive: ReturnType<typeof setInterval> | undefined;
const POLLIN = 1;
const EINTR = 4;

async function waitReadable(fd: number): Promise<void> {
  waitPool ??= new BlockingPool({ maxThreads: 64, prestart: 1 });
  const pfd = pollfds.pop() ?? lasting(8);
  const v = new DataView(pfd.buffer, pfd.byteOffset, 8);
  v.setInt32(0, fd, true);
  v.setInt16(4, POLLIN, true);
  v.setInt16(6, 0, true);
  // A pending Atomics.waitAsync keeps no process alive; a pending wait must (as waitEventfd's read does).
  if (waiting++ === 0) keepAlive = setInterval(() => {}, 1 << 30);
  try {
    for (;;) {
      const { res, errno } = await waitPool.call("poll", [ptr(pfd), 1, -1]);
      if (res >= 0) return;
      if (errno !== EINTR) throw new Error(`Cannot wait on descriptor ${fd}: poll failed with errno ${errno}`);
    }
  } finally {
    pollfds.push(pfd);
    if (--waiting === 0) clearInterval(keepAlive);
  }
}
