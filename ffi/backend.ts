/**
 * Picks the runtime's FFI once, at load.
 *
 * @module
 */
import type { Backend } from "./types.ts";

const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
if (!isBun && !isDeno) throw new Error("Cannot load ringside: it runs on Bun or Deno, and this is neither");

// The specifier is computed so that neither type checker follows the other runtime's file.
const which = isBun ? "./bun.ts" : "./deno.ts";

/** The FFI of the runtime this process runs on. */
export const backend: Backend = ((await import(which)) as { backend: Backend }).backend;
