/**
 * The FFI facade: the one place that picks the runtime. Everything above `ffi/` imports from here.
 *
 * @example
 * ```ts
 * console.log(backend.runtime, liburing().path);
 * ```
 *
 * @module
 */
export type { Backend, NativeFunction, NativeLibrary, NativeType, SymbolSpec, SymbolTable } from "./types.ts";
export { FfiPermissionError } from "./types.ts";
export { errnoMessage, errnoName, errnoNumber } from "./errno.ts";
export { libc, type Libc } from "./libc.ts";
export { liburing, LIBURING_OPTIONAL, LIBURING_REQUIRED, type Liburing, LiburingNotFoundError } from "./liburing.ts";
export { cString, encodeCString } from "./cstring.ts";

export { backend } from "./backend.ts";
