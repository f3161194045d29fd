// One thread of a BlockingPool (ffi/blocking_pool.ts): takes slot numbers off the shared queue, makes the call each
// slot names (blocking this thread, never the JavaScript thread that queued it), stores the result and errno, marks
// the slot done (waking an Atomics.waitAsync on it) and writes 1 to the slot's eventfd, if it names one: how a loop
// sleeping in epoll_wait learns of the completion. The layout of the shared memory is ffi/_pool_layout.ts's.
//
// Plain JavaScript with no imports of the library: a thread comes up in a few milliseconds instead of loading and
// (under `deno test`) type-checking the FFI modules, and it binds the calls itself from the table it is given. It
// is the one file that knows both runtimes' FFI, since a thread runs it before any facade could be loaded.

import { workerData } from "node:worker_threads";

const { control, slots, calls, layout: L } = workerData;
const hdr = new Int32Array(control);
const i32 = new Int32Array(slots);
const f64 = new Float64Array(slots);
const one = new Uint8Array(8);
one[0] = 1;

// calls: [name, argument count, whether the result is 64 bits wide] in the pool's order.
let fns;
let errno;
let write;
const Deno = globalThis.Deno;
if (Deno) {
  const defs = {
    __errno_location: { parameters: [], result: "pointer" },
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  };
  for (const [name, argc, wide] of calls) {
    defs[name] = { parameters: new Array(argc).fill("i64"), result: wide ? "i64" : "i32" };
  }
  const lib = Deno.dlopen("libc.so.6", defs).symbols;
  const view = new Deno.UnsafePointerView(lib.__errno_location());
  errno = () => view.getInt32(0);
  write = (fd) => lib.write(fd, one, 8n);
  fns = calls.map(([name]) => lib[name]);
} else {
  const { dlopen, FFIType, toArrayBuffer } = await import("bun:ffi");
  const defs = {
    __errno_location: { args: [], returns: FFIType.ptr },
    write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64 },
  };
  for (const [name, argc, wide] of calls) {
    defs[name] = { args: new Array(argc).fill(FFIType.i64), returns: wide ? FFIType.i64 : FFIType.i32 };
  }
  const lib = dlopen("libc.so.6", defs).symbols;
  const view = new Int32Array(toArrayBuffer(lib.__errno_location(), 0, 4));
  errno = () => view[0];
  write = (fd) => lib.write(fd, one, 8);
  fns = calls.map(([name]) => lib[name]);
}
const argc = calls.map(([, n]) => n);
// Up: the pool may start another thread if work still waits.
Atomics.add(hdr, L.H_READY, 1);

for (;;) {
  if (Atomics.load(hdr, L.H_STOP) !== 0) break;
  const head = Atomics.load(hdr, L.H_HEAD);
  const tail = Atomics.load(hdr, L.H_TAIL);
  if (head === tail) {
    Atomics.wait(hdr, L.H_TAIL, tail);
    continue;
  }
  if (Atomics.compareExchange(hdr, L.H_HEAD, head, (head + 1) | 0) !== head) continue;
  const slot = Atomics.load(hdr, L.H_QUEUE + (head & L.QUEUE_MASK));
  const s = slot * L.SLOT_I32;
  // Withdrawn meanwhile (cancelled before any thread took it): nothing to do.
  if (Atomics.compareExchange(i32, s + L.S_STATE, L.PENDING, L.RUNNING) !== L.PENDING) continue;
  const a = slot * L.SLOT_F64 + L.S_ARGS;
  const call = i32[s + L.S_CALL];
  const n = argc[call];
  const args = [];
  for (let i = 0; i < n; i++) args.push(f64[a + i]);
  const res = Number(fns[call](...args));
  i32[s + L.S_ERRNO] = res < 0 ? errno() : 0;
  f64[slot * L.SLOT_F64 + L.S_RESULT] = res;
  const signal = i32[s + L.S_SIGNAL];
  // Counted from before the result is published until the eventfd was written: the JavaScript thread, once it has
  // seen its calls done, waits for this count to drop before it closes the eventfd (H_SIGNALLING).
  Atomics.add(hdr, L.H_SIGNALLING, 1);
  Atomics.store(i32, s + L.S_STATE, L.DONE);
  Atomics.notify(i32, s + L.S_STATE);
  if (signal >= 0) write(signal);
  Atomics.sub(hdr, L.H_SIGNALLING, 1);
}
