/**
 * The facade over `Deno.dlopen`. Only this file and `mod.ts` may know they run on Deno.
 *
 * @module
 */
import { type Backend, FfiPermissionError, type NativeFunction, type NativeLibrary, type NativeType, type SymbolTable } from "./types.ts";
import { numberResult } from "./wide.ts";

// Addresses cross as `usize` numbers rather than pointer objects: no object per call, and the same numbers Bun
// uses. `buffer` is Deno's fast path for a TypedArray the call reads or writes.
const TYPES: Record<NativeType, Deno.NativeType | "void"> = {
  i32: "i32",
  u32: "u32",
  i64: "i64",
  u64: "u64",
  usize: "usize",
  ptr: "usize",
  buffer: "buffer",
  void: "void",
};

function open<T extends SymbolTable>(path: string, table: T): NativeLibrary<T> {
  // Without --allow-ffi, dlopen's refusal reads like a missing library; say what is missing instead.
  if (Deno.permissions.querySync({ name: "ffi", path }).state !== "granted") throw new FfiPermissionError(path);
  const defs: Record<string, Deno.ForeignFunction> = {};
  for (const [name, spec] of Object.entries(table)) {
    defs[name] = {
      parameters: spec.args.map((t) => TYPES[t] as Deno.NativeType),
      result: TYPES[spec.returns] as Deno.NativeResultType,
    };
  }
  const lib = Deno.dlopen(path, defs);
  const symbols: Record<string, NativeFunction> = {};
  for (const [name, spec] of Object.entries(table)) {
    const fn = lib.symbols[name] as unknown as NativeFunction;
    symbols[name] = numberResult(spec.returns, fn);
  }
  return { symbols: symbols as NativeLibrary<T>["symbols"], close: () => lib.close() };
}

/** The Deno backend. */
export const backend: Backend = {
  runtime: "deno",
  version: Deno.version.deno,
  plainRingOrder: Deno.build.arch === "x86_64",
  open,
  addressOf(view) {
    if (view.byteLength === 0) return 0;
    return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view as Uint8Array<ArrayBuffer>)));
  },
  viewAt(address, byteLength) {
    const p = Deno.UnsafePointer.create(BigInt(address));
    if (p === null) throw new RangeError("Cannot view native memory: the address is NULL");
    return Deno.UnsafePointerView.getArrayBuffer(p, byteLength);
  },
  gc() {
    const gc = (globalThis as unknown as { gc?: () => void }).gc;
    if (gc) gc();
  },
  waitEventfd,
  waitReadable,
  // A nonblocking FFI call runs on Deno's own blocking pool: nothing to start.
  prepareWaitReadable: () => {},
};

// Deno's node:fs refuses fds it did not open, so the wait is a read() that Deno runs on its blocking thread pool
// (`nonblocking: true`) and resolves on the JS thread.
let blockingRead: ((fd: number, buf: Uint8Array, n: number) => Promise<number | bigint>) | undefined;
// The 8 bytes the read fills live in malloc'd memory that is never freed, not in this isolate's heap: if a Worker
// ends with a loop still open, the pool thread's read may still complete after the isolate is gone.
let counter: Uint8Array | undefined;

async function waitEventfd(fd: number): Promise<void> {
  if (!blockingRead || !counter) {
    const libc = Deno.dlopen("libc.so.6", {
      read: { parameters: ["i32", "buffer", "usize"], result: "isize", nonblocking: true },
      malloc: { parameters: ["usize"], result: "pointer" },
    }).symbols;
    const block = libc.malloc(8n);
    if (block === null) throw new Error("Cannot wait on an eventfd: malloc(8) failed");
    counter = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(block, 8));
    blockingRead = libc.read as unknown as (fd: number, buf: Uint8Array, n: number) => Promise<number | bigint>;
  }
  const n = Number(await blockingRead(fd, counter, 8));
  if (n < 0) throw new Error(`Cannot wait on eventfd ${fd}: read failed`);
}

// A wait for readiness is a poll(2) that Deno runs on its blocking thread pool (`nonblocking: true`), on a pollfd in
// malloc'd memory (a pool thread may still use it after the isolate is gone), kept for the next wait once returned.
let blockingPoll: ((fds: Deno.PointerValue, n: bigint, timeout: number) => Promise<number>) | undefined;
let malloc: ((n: bigint) => Deno.PointerValue) | undefined;
const pollfds: Deno.PointerObject[] = [];
const POLLIN = 1;

async function waitReadable(fd: number): Promise<void> {
  if (!blockingPoll || !malloc) {
    const lib = Deno.dlopen("libc.so.6", {
      poll: { parameters: ["pointer", "u64", "i32"], result: "i32", nonblocking: true },
      malloc: { parameters: ["usize"], result: "pointer" },
    }).symbols;
    blockingPoll = lib.poll as unknown as typeof blockingPoll;
    malloc = lib.malloc;
  }
  let pfd = pollfds.pop();
  if (!pfd) {
    const block = malloc!(8n);
    if (block === null) throw new Error("Cannot wait on a descriptor: malloc(8) failed");
    pfd = block;
  }
  const v = new DataView(Deno.UnsafePointerView.getArrayBuffer(pfd, 8));
  v.setInt32(0, fd, true);
  v.setInt16(4, POLLIN, true);
  v.setInt16(6, 0, true);
  try {
    // poll fails only with EINTR (a signal), EFAULT, EINVAL or ENOMEM; errno is the pool thread's, so retry a few
    // times and give up with what is known.
    for (let tries = 0; ; tries++) {
      if (await blockingPoll!(pfd, 1n, -1) >= 0) return;
      if (tries === 8) throw new Error(`Cannot wait on descriptor ${fd}: poll failed`);
    }
  } finally {
    pollfds.push(pfd);
  }
}
