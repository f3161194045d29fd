/**
 * The Bun-native variant of bench/read.ts: `Bun.file(path).slice(off, off + 4096).arrayBuffer()`, the way Bun's
 * documentation reads part of a file. Loaded by read.ts under Bun only.
 *
 * @module
 */
// Types only: a value import of read.ts would wait on read.ts's own top-level await, which waits on this module.
import type { AsyncReader, ReadFixture } from "./read.ts";

/** Bytes per read (read.ts's BLOCK). */
const BLOCK = 4096;

/** `Bun.file(path).slice(...).arrayBuffer()` per read; the workers share one BunFile. */
export function nativeReader(f: ReadFixture): AsyncReader<ArrayBuffer> {
  const file = Bun.file(f.path);
  return {
    name: "bun-file",
    readOne: (_w, page) => file.slice(page * BLOCK, page * BLOCK + BLOCK).arrayBuffer(),
    firstWord: (_w, ab) => (ab.byteLength === BLOCK ? new Uint32Array(ab, 0, 1)[0]! : -1),
    close: () => {},
  };
}
