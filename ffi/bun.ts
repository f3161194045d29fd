/**
 * The facade over `bun:ffi`. Only this file and `mod.ts` may know they run on Bun.
 *
 * @module
 */
import { dlopen, type FFIFunction, FFIType, ptr, toArrayBuffer } from "bun:ffi";
import { read } from "node:fs";
import type { Backend, NativeFunction, NativeLibrary, NativeType, SymbolTable } from "./types.ts";
import { numberResult } from "./wide.ts";

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
};

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
