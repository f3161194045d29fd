/**
 * The Bun-native variants of bench/files.ts: `Bun.file(path).bytes()` and `Bun.file(path).stat()`. Loaded by
 * files.ts under Bun only.
 *
 * @module
 */
import type { NativeFiles } from "./files.ts";

/** Bun's own whole-file read and stat. */
export const native: NativeFiles = {
  name: "bun-file",
  read: (path) => Bun.file(path).bytes(),
  stat: async (path) => (await Bun.file(path).stat()).size,
};
