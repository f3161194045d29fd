/**
 * The Deno-native variants of bench/files.ts: `Deno.readFile(path)` and `Deno.stat(path)`. Loaded by files.ts
 * under Deno only.
 *
 * @module
 */
import type { NativeFiles } from "./files.ts";

/** Deno's own whole-file read and stat. */
export const native: NativeFiles = {
  name: "deno-readfile",
  read: (path) => Deno.readFile(path),
  stat: async (path) => (await Deno.stat(path)).size,
};
