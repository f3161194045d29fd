/**
 * The Deno-native variant of bench/read.ts: `Deno.FsFile` has no positional read, so each of the `qd` workers owns
 * one handle and does `seek` then `read` on it. Loaded by read.ts under Deno only.
 *
 * @module
 */
// Types only: a value import of read.ts would wait on read.ts's own top-level await, which waits on this module.
import type { AsyncReader, ReadFixture } from "./read.ts";

/** Bytes per read (read.ts's BLOCK). */
const BLOCK = 4096;

/** One `Deno.FsFile` per worker; a read is `await file.seek(off)` then `await file.read(buf)` until 4096 bytes. */
export async function nativeReader(f: ReadFixture): Promise<AsyncReader<number>> {
  const files: Deno.FsFile[] = [];
  for (let w = 0; w < f.qd; w++) files.push(await Deno.open(f.path, { read: true }));
  const bufs = files.map(() => new Uint8Array(BLOCK));
  const words = bufs.map((b) => new Uint32Array(b.buffer));
  return {
    name: "deno-fsfile",
    readOne: async (w, page) => {
      const file = files[w]!;
      const buf = bufs[w]!;
      await file.seek(page * BLOCK, Deno.SeekMode.Start);
      let got = 0;
      while (got < BLOCK) {
        const n = await file.read(got === 0 ? buf : buf.subarray(got));
        if (n === null) break;
        got += n;
      }
      return got;
    },
    firstWord: (w, got) => (got === BLOCK ? words[w]![0]! : -1),
    close: () => {
      for (const file of files) file.close();
    },
  };
}
