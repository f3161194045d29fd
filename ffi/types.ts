/**
 * The runtime-neutral vocabulary of the FFI facade. Symbol tables are written once in these terms and translated
 * by `bun.ts` or `deno.ts`; nothing above `ffi/` sees a runtime's own FFI types.
 *
 * @module
 */

/**
 * A C type as the facade knows it.
 *
 * - `i32`, `u32`: 32-bit integers, passed and returned as numbers.
 * - `i64`, `u64`, `usize`: 64-bit integers, passed as numbers (or bigints) and returned as numbers; every value
 *   this project passes (lengths, offsets, addresses) fits in 53 bits.
 * - `ptr`: an address held as a number (0 for NULL). Addresses come from {@link Backend.addressOf} or from native
 *   allocations, never from a guess.
 * - `buffer`: a TypedArray (or null) whose bytes the C function reads or writes during the call only.
 * - `void`: no value (results only).
 */
export type NativeType = "i32" | "u32" | "i64" | "u64" | "usize" | "ptr" | "buffer" | "void";

/** One C function: its parameter types in order and its result type. */
export interface SymbolSpec {
  readonly args: readonly NativeType[];
  readonly returns: NativeType;
}

/** A table of C functions by symbol name. */
export type SymbolTable = Readonly<Record<string, SymbolSpec>>;

/** A C function bound through the facade: numbers and TypedArrays in, a number out. */
// deno-lint-ignore no-explicit-any
export type NativeFunction = (...args: any[]) => number;

/** An opened shared library. */
export interface NativeLibrary<T extends SymbolTable> {
  /** The bound functions, one per symbol of the table. */
  readonly symbols: { readonly [K in keyof T]: NativeFunction };
  /** Unloads the library; the bound functions must not be called afterwards. */
  close(): void;
}

/** What each runtime's FFI must provide: the whole surface the rest of ringside uses. */
export interface Backend {
  /** Which runtime this is. */
  readonly runtime: "bun" | "deno";
  /** The runtime's version, for diagnostics and benchmark output. */
  readonly version: string;
  /**
   * Whether plain typed-array loads and stores of the ring words the kernel shares (heads, tails, flags) may stand
   * for acquire loads and release stores: the CPU keeps them in order (x86-64) and the JIT neither reorders them nor
   * hoists a load out of a loop that polls it. True for V8 on x86-64, whose optimizer neither eliminates nor moves
   * typed-array loads and keeps them on one effect chain with the stores; false for JavaScriptCore, whose
   * loop-invariant code motion may hoist a load out of a polling loop (its Atomics cost ~3 ns, V8's ~13), and on
   * other CPUs.
   */
  readonly plainRingOrder: boolean;
  /**
   * Opens `path` (a file path or a soname that the dynamic loader searches) and binds every symbol of `table`.
   * Throws when the library or any symbol is missing.
   */
  open<T extends SymbolTable>(path: string, table: T): NativeLibrary<T>;
  /**
   * The address of the first byte of `view`. UNSAFE to hand to the kernel beyond the current call unless the view
   * is over native memory that outlives the operation: a GC-owned buffer may be freed once unreferenced.
   */
  addressOf(view: ArrayBufferView): number;
  /**
   * An ArrayBuffer over `byteLength` bytes of native memory at `address`, which must stay mapped while the buffer
   * is reachable; callers detach it (with `transfer(0)`) before unmapping.
   */
  viewAt(address: number, byteLength: number): ArrayBuffer;
  /** Forces a full garbage collection where the runtime allows it (tests that prove memory stays pinned). */
  gc(): void;
  /**
   * Waits, without blocking the JavaScript thread, until the eventfd `fd` is readable, and consumes its counter.
   * The pending wait keeps the process alive; to end it early, write to the eventfd. This is how a ring that shares
   * the runtime's event loop learns of completions: the ring signals an eventfd registered with it.
   */
  waitEventfd(fd: number): Promise<void>;
  /**
   * Waits, without blocking the JavaScript thread, until `fd` is readable (`poll(2)` for POLLIN on another thread),
   * consuming nothing. The pending wait keeps the process alive; to end it early, make `fd` readable. How the epoll
   * backend's loop sleeps while sharing the runtime's event loop: its epoll descriptor becomes readable when any
   * descriptor in its set has an event.
   */
  waitReadable(fd: number): Promise<void>;
  /**
   * Starts ahead of time what {@link waitReadable} needs (on Bun a thread, which takes a runtime's start-up time to
   * come up), so that the first wait is not late; nothing to do on Deno. Cheap to call again.
   */
  prepareWaitReadable(): void;
}

/**
 * The runtime refused to load a native library because the program was not given FFI permission (Deno without
 * `--allow-ffi`): the library may well be installed, the process may not use it.
 *
 * @example
 * ```ts
 * import { FfiPermissionError } from "./types.ts";
 * const e = new FfiPermissionError("liburing.so.2");
 * console.log(e.message.includes("--allow-ffi")); // true
 * ```
 */
export class FfiPermissionError extends Error {
  /** The library that could not be opened. */
  readonly path: string;

  constructor(path: string) {
    super(
      `Cannot load ${path}: Deno was not given FFI permission. ringside calls liburing and libc through ` +
        "Deno.dlopen: run with --allow-ffi (with --allow-read and --allow-env, or -A)",
    );
    this.name = "FfiPermissionError";
    this.path = path;
  }
}
