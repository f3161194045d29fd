/**
 * What `#ffi-backend` resolves to for a type checker that knows neither runtime's condition (tsc): the shape both
 * bun.ts and deno.ts export.
 *
 * @module
 */
import type { Backend } from "./types.ts";

/** The FFI of the runtime this process runs on. */
export declare const backend: Backend;
