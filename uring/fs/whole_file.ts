/**
 * Whole files in one call: `readFile`, `writeFile`, `copyFile`, and `readFiles` for many paths at once. Every step
 * is a ring operation (open, read or write, close), and the steps of many files share each `io_uring_enter`:
 * `readFiles` keeps up to `concurrency` files in flight, so one enter carries the opens, reads and closes of that
 * many files. Data is read straight into native memory (no bounce through the loop's arena) and copied once into
 * the Uint8Array the caller gets. A file that grows or shrinks while read gives what `fs.readFile` gives: the bytes
 * up to the end of file as it is found, read until a read returns 0.
 *
 * Errors name the path and the errno: `Cannot read "/etc/shadow": EACCES (Permission denied)`.
 *
 * @module
 */
import { LEAKED_OPERATION, type Loop } from "../loop/loop.ts";
import type { OpOptions } from "../loop/operation.ts";
import { NativeMemory } from "../core/memory.ts";
import { UringError } from "../core/errors.ts";
import { EIO } from "../abi/errno.ts";
import { libc } from "../../ffi/mod.ts";
import { checkInt, checkPath, checkView } from "../core/_validate.ts";
import { close, open } from "./open_close.ts";
import { read, write } from "./read_write.ts";
import { fstat } from "./statx.ts";
import { O_CLOEXEC, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY } from "./constants.ts";
import { S_IFMT, S_IFREG } from "../abi/structs.ts";
import { show } from "./_fs_op.ts";
import { CHAIN_SQES, type ChainResult, chainSlots, ReadChain } from "./_read_chain.ts";
import { type Statx, statx } from "./statx.ts";
import { start } from "../loop/start.ts";
import type { BufferLike, PathLike } from "./types.ts";

/** Bytes a read asks for when the file's size is not known yet: most files are read whole by the first one. */
const FIRST_READ = 64 * 1024;
/** The largest single read or write (MAX_RW_COUNT, include/linux/fs.h: INT_MAX rounded down to a page). */
const MAX_IO = 0x7ffff000;

/** Options of {@link readFiles}. */
export interface ReadFilesOptions extends OpOptions {
  /** Files in flight at once (default 64): each holds a descriptor and up to 64 KiB of native memory. */
  concurrency?: number | undefined;
}

/** Options of {@link writeFile}. */
export interface WriteFileOptions extends OpOptions {
  /** Permission bits of a created file (default 0o666, less the umask). */
  mode?: number | undefined;
  /** `"w"` (default: create or truncate), `"wx"` (create, fail if it exists) or `"a"` (append). */
  flag?: "w" | "wx" | "a" | undefined;
}

/** Rethrows `e` with the path in its message, keeping the errno (and the original as the cause). */
function withPath(verb: string, path: PathLike, e: unknown): never {
  if (e instanceof UringError && e.errno !== 0 && !e.message.includes(show(path))) {
    throw new UringError(`${verb} ${show(path)}`, e.errno, undefined, { cause: e });
  }
  throw e;
}

/** Frees `mem` unless a request the loop gave up on still holds it (then it stays mapped: leaked, never reused). */
function release(mem: NativeMemory): void {
  if (!mem.isPinned && !mem.isFreed) mem.free();
}

/**
 * Reads the open descriptor `fd` to its end through `scratch` (native memory), at the file position (offset -1),
 * so FIFOs and character devices read as files do. A short first read ends the file only for a regular file whose
 * size fstat confirms: procfs files (size 0), sysfs files (size 4096) and pipes hand out less than asked long
 * before their end, and keep being read until a read returns 0, as fs.readFile does.
 */
async function readAll(
  loop: Loop,
  fd: number,
  scratch: Uint8Array,
  big: BigBuffer,
  options: OpOptions | undefined,
): Promise<Uint8Array> {
  let n = await read(loop, fd, scratch, -1, options);
  const st = await fstat(loop, fd, options);
  if (n < scratch.byteLength && (st.mode & S_IFMT) === S_IFREG && st.size > 0 && n >= st.size) {
    // The whole file in one read: the common case, one copy into the caller's array.
    return scratch.slice(0, n);
  }
  if (n === 0) return new Uint8Array(0);
  // More to come: read the rest into memory of the size fstat gives (plus one page to see growth), growing it as
  // needed, until a read returns 0.
  let mem = big.at(Math.max(st.size + 4096, 2 * scratch.byteLength), 0);
  mem.bytes.set(scratch.subarray(0, n));
  for (;;) {
    if (n === mem.byteLength) mem = big.at(mem.byteLength * 2, n);
    const want = Math.min(mem.byteLength - n, MAX_IO);
    const got = await read(loop, fd, mem.bytes.subarray(n, n + want), -1, options);
    if (got === 0) break;
    n += got;
  }
  return mem.bytes.slice(0, n);
}

/**
 * The native memory a reader of large files keeps between files: allocated with MAP_POPULATE (the pages mapped in
 * one pass: a page fault per 4 KiB page costs more than the copy on a virtual machine) and reused by the next
 * file, grown when a file needs more.
 */
class BigBuffer {
  private mem: NativeMemory | null = null;

  /** Memory of at least `size` bytes whose first `keep` bytes are those of the previous one. */
  at(size: number, keep: number): NativeMemory {
    const old = this.mem;
    if (old && old.byteLength >= size) return old;
    const mem = NativeMemory.allocate(size, { populate: true });
    if (old) {
      if (keep > 0) mem.bytes.set(old.bytes.subarray(0, keep));
      release(old);
    }
    this.mem = mem;
    return mem;
  }

  /** Lets the memory go (unless a request a closing loop gave up on still holds it). */
  free(): void {
    if (this.mem) release(this.mem);
    this.mem = null;
  }
}

/**
 * Reads `path` with one linked chain (open direct, read, close direct: see _read_chain.ts) when `pool` has a free
 * slot and the file fits `scratch`; otherwise, or for a larger file, through plain descriptors.
 */
async function readOne(
  loop: Loop,
  path: PathLike,
  scratch: Uint8Array,
  big: BigBuffer,
  pool: number[] | null,
  options: OpOptions | undefined,
): Promise<Uint8Array> {
  if (pool === null || pool.length === 0 || options?.timeoutMs !== undefined || loop.ring.sqEntries < CHAIN_SQES) {
    return readPlain(loop, path, scratch, big, options);
  }
  // Only a regular file whose size is known may be read by a chain: it ends at its first short read. A FIFO or a
  // character device would block or hand out a part, and what the chain's read took could not be given back.
  let st: Statx;
  try {
    st = await statx(loop, path, options);
  } catch (e) {
    withPath("read", path, e);
  }
  // procfs files say size 0, sysfs files 4096 whatever they hold: the plain path reads those until a read gives 0.
  if ((st.mode & S_IFMT) !== S_IFREG || st.size === 0 || st.size >= scratch.byteLength) {
    return readPlain(loop, path, scratch, big, options);
  }
  // One page more than the size: a file that grew since statx shows it by filling the read.
  const want = Math.min(scratch.byteLength, st.size + 4096);
  const bytes = checkPath("read", path);
  const slot = pool.pop()!;
  let r: ChainResult;
  try {
    r = await start(loop, new ReadChain(bytes, slot, scratch.subarray(0, want)), options).promise;
  } finally {
    pool.push(slot); // every member has completed: the slot is empty again
  }
  if (r.open < 0) throw new UringError(`read ${show(path)}`, -r.open);
  if (r.read < 0) throw new UringError(`read ${show(path)}`, -r.read);
  if (r.read < want && r.read >= st.size) return scratch.slice(0, r.read);
  // It grew, shrank or was replaced since statx: read it whole the ordinary way (a regular file reads again).
  return readPlain(loop, path, scratch, big, options);
}

/** Opens, reads whole and closes `path`, reading through `scratch`. */
async function readPlain(
  loop: Loop,
  path: PathLike,
  scratch: Uint8Array,
  big: BigBuffer,
  options: OpOptions | undefined,
): Promise<Uint8Array> {
  let fd: number;
  try {
    fd = await open(loop, path, O_RDONLY | O_CLOEXEC, 0, options);
  } catch (e) {
    withPath("read", path, e);
  }
  try {
    return await readAll(loop, fd, scratch, big, options);
  } catch (e) {
    withPath("read", path, e);
  } finally {
    await closeQuietly(loop, fd);
  }
}

/**
 * Reads a whole file (open, read until the end, close).
 *
 * @param loop The loop.
 * @param path The file.
 * @param options `signal`, `timeoutMs` (each step).
 * @returns The file's bytes.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * await using loop = new Loop();
 * console.log(new TextDecoder().decode(await readFile(loop, "/etc/hostname")));
 * ```
 */
export async function readFile(loop: Loop, path: PathLike, options?: OpOptions): Promise<Uint8Array> {
  const scratch = NativeMemory.allocate(FIRST_READ);
  const big = new BigBuffer();
  try {
    return await readOne(loop, path, scratch.bytes, big, chainSlots(loop), options);
  } finally {
    big.free();
    release(scratch);
  }
}

/**
 * Reads many whole files, up to `concurrency` at a time, so that each `io_uring_enter` carries the steps of many
 * files. Resolves to the files' bytes in the order of `paths`; rejects with the first failure (its message names
 * the path), after the files already in flight have settled.
 *
 * @param loop The loop.
 * @param paths The files.
 * @param options `concurrency` (default 64), `signal`, `timeoutMs` (each step).
 * @returns The files' bytes, in the order of `paths`.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * await using loop = new Loop();
 * const [a, b] = await readFiles(loop, ["/etc/hostname", "/etc/os-release"]);
 * console.log(a?.byteLength, b?.byteLength);
 * ```
 */
export async function readFiles(loop: Loop, paths: readonly PathLike[], options?: ReadFilesOptions): Promise<Uint8Array[]> {
  if (!Array.isArray(paths)) throw new UringError("read files", 0, "paths must be an array");
  const concurrency = checkInt("read files", options?.concurrency ?? 64, 1, 4096, "concurrency");
  const workers = Math.min(concurrency, paths.length);
  const out = new Array<Uint8Array>(paths.length);
  if (workers === 0) return out;
  // One native block, a 64 KiB scratch per worker: reads land in it without a bounce.
  const scratch = NativeMemory.allocate(workers * FIRST_READ);
  const pool = chainSlots(loop);
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async (w: number): Promise<void> => {
    const mine = scratch.bytes.subarray(w * FIRST_READ, (w + 1) * FIRST_READ);
    const big = new BigBuffer();
    try {
      while (failure === null && next < paths.length) {
        const i = next++;
        try {
          out[i] = await readOne(loop, paths[i]!, mine, big, pool, options);
        } catch (e) {
          failure ??= { error: e };
        }
      }
    } finally {
      big.free();
    }
  };
  try {
    await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  } finally {
    release(scratch);
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
  return out;
}

/**
 * Writes `data` to `path` whole: created (mode 0o666 less the umask) or truncated, written until every byte is
 * down, closed.
 *
 * @param loop The loop.
 * @param path The file.
 * @param data The bytes (a string is written as UTF-8).
 * @param options `flag` (`"w"`, `"wx"`, `"a"`), `mode`, `signal`, `timeoutMs`.
 * @returns Once written and closed.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * await using loop = new Loop();
 * await writeFile(loop, "/tmp/ringside-write-example", "hello\n");
 * ```
 */
export async function writeFile(
  loop: Loop,
  path: PathLike,
  data: BufferLike | string,
  options?: WriteFileOptions,
): Promise<void> {
  const view = typeof data === "string" ? new TextEncoder().encode(data) : checkView("write a file", data, "the data");
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const flag = options?.flag ?? "w";
  let fd: number;
  try {
    fd = await open(loop, path, flag, options?.mode ?? 0o666, options);
  } catch (e) {
    withPath("write", path, e);
  }
  try {
    // Append mode writes at the end whatever the offset says; otherwise offsets keep a partial write's place.
    const append = flag === "a";
    for (let done = 0; done < bytes.byteLength;) {
      const len = Math.min(bytes.byteLength - done, MAX_IO);
      done += progress(await write(loop, fd, bytes.subarray(done, done + len), append ? -1 : done, options));
    }
  } catch (e) {
    withPath("write", path, e);
  } finally {
    await closeQuietly(loop, fd);
  }
}

/** A write's count, refusing 0 for a non-empty buffer: a loop of writes that make no progress would never end. */
function progress(n: number): number {
  if (n === 0) throw new UringError("write", EIO, "the write made no progress");
  return n;
}

/**
 * Closes `fd` through the ring. If the loop refused the close without submitting it (it closed meanwhile), the
 * descriptor is still open: close it with libc, so none is left behind; the error already on its way is the one
 * the caller sees. A close the kernel may have run (given up on by a closing loop) is left alone: closing the
 * number again could close a descriptor opened since.
 */
async function closeQuietly(loop: Loop, fd: number): Promise<void> {
  try {
    await close(loop, fd);
  } catch (e) {
    if (e instanceof UringError && e.errno === 0 && e.operation !== LEAKED_OPERATION) libc().close(fd);
  }
}

/**
 * Copies the file `from` to `to` (created with `from`'s permission bits, or truncated), 1 MiB at a time through
 * native memory.
 *
 * @param loop The loop.
 * @param from The source file.
 * @param to The destination.
 * @param options `signal`, `timeoutMs` (each step).
 * @returns The bytes copied.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * await using loop = new Loop();
 * console.log(await copyFile(loop, "/etc/hostname", "/tmp/ringside-copy-example"));
 * ```
 */
export async function copyFile(loop: Loop, from: PathLike, to: PathLike, options?: OpOptions): Promise<number> {
  let src: number;
  try {
    src = await open(loop, from, O_RDONLY | O_CLOEXEC, 0, options);
  } catch (e) {
    withPath("copy", from, e);
  }
  let buf: NativeMemory | null = null;
  try {
    const st = await fstat(loop, src, options).catch((e) => withPath("copy", from, e));
    // Opened without O_TRUNC first: when `to` is `from` (the same path, a hard link, a symlink to it), truncating
    // would destroy the source before it is read. Same device and inode: nothing to do, as libuv's copyfile does.
    let dst: number;
    try {
      dst = await open(loop, to, O_WRONLY | O_CREAT | O_CLOEXEC, st.mode & 0o7777, options);
    } catch (e) {
      withPath("copy to", to, e);
    }
    try {
      const dt = await fstat(loop, dst, options).catch((e) => withPath("copy to", to, e));
      if (dt.devMajor === st.devMajor && dt.devMinor === st.devMinor && dt.ino === st.ino) return st.size;
    } catch (e) {
      await closeQuietly(loop, dst);
      throw e;
    }
    await closeQuietly(loop, dst);
    try {
      dst = await open(loop, to, O_WRONLY | O_TRUNC | O_CLOEXEC, 0, options);
    } catch (e) {
      withPath("copy to", to, e);
    }
    buf = NativeMemory.allocate(1 << 20);
    try {
      let at = 0;
      for (;;) {
        let n: number;
        try {
          n = await read(loop, src, buf.bytes, at, options);
        } catch (e) {
          withPath("copy", from, e);
        }
        if (n === 0) return at;
        for (let done = 0; done < n;) {
          try {
            done += progress(await write(loop, dst, buf.bytes.subarray(done, n), at + done, options));
          } catch (e) {
            withPath("copy to", to, e);
          }
        }
        at += n;
      }
    } finally {
      await closeQuietly(loop, dst);
    }
  } finally {
    if (buf) release(buf);
    await closeQuietly(loop, src);
  }
}
