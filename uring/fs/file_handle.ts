/**
 * A file handle: an open descriptor with its loop, for code that wants `fs/promises`' `FileHandle` or Deno's
 * `FsFile` shape (`await using f = await openFile(loop, path)`) instead of passing numbers around. Every method is
 * the promise operation of the same name with this handle's descriptor; `close()` runs once however often it is
 * called, and `Symbol.asyncDispose` closes.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { domError, type OpOptions } from "../loop/operation.ts";
import { UringError } from "../core/errors.ts";
import { checkFd, checkU53 } from "../core/_validate.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { IORING_OP_FTRUNCATE } from "../abi/uapi.ts";
import { libc } from "../../ffi/mod.ts";
import { ftruncate } from "./allocate.ts";
import { close, open, type OpenOptions } from "./open_close.ts";
import { read, readv, type RwOptions, write, writev } from "./read_write.ts";
import { fstat, type Statx } from "./statx.ts";
import { fdatasync, fsync } from "./sync.ts";
import { O_RDONLY } from "./constants.ts";
import type { BufferLike, FdOptions, PathLike } from "./types.ts";

let ftruncateOpCache: boolean | undefined;

/** Whether the kernel has IORING_OP_FTRUNCATE (Linux 6.9), by its opcode probe, asked once. */
function ftruncateOp(): boolean {
  if (ftruncateOpCache === undefined) {
    try {
      ftruncateOpCache = probeOpcodes().isSupported(IORING_OP_FTRUNCATE);
    } catch {
      ftruncateOpCache = false; // no probe (before 5.6): no FTRUNCATE either
    }
  }
  return ftruncateOpCache;
}

/** ftruncate(2) through libc, for kernels without IORING_OP_FTRUNCATE: done when it returns. */
function truncateNow(fd: number, length: number, options: OpOptions | undefined): void {
  checkU53("ftruncate", length, "length");
  const signal = options?.signal;
  if (signal?.aborted) throw domError("AbortError", "The ftruncate was aborted", signal.reason);
  if (libc().ftruncate(fd, length) !== 0) throw new UringError("ftruncate", libc().errno());
}

/**
 * An open file: {@link openFile} gives one, or {@link FileHandle.from} wraps a descriptor you have. Reads and writes
 * at `position` -1 (the default) use and advance the file position, as `read(2)`/`write(2)` do.
 *
 * @example
 * ```ts
 * import { Loop, openFile } from "ringside-uring";
 * await using loop = new Loop();
 * await using file = await openFile(loop, "/etc/hostname");
 * const buf = new Uint8Array(256);
 * const n = await file.read(buf);
 * console.log(new TextDecoder().decode(buf.subarray(0, n)), (await file.stat()).size);
 * ```
 */
export class FileHandle implements AsyncDisposable {
  /** The loop every operation of this handle runs on. */
  readonly loop: Loop;
  #fd: number;
  #closing: Promise<void> | null = null;

  private constructor(loop: Loop, fd: number) {
    this.loop = loop;
    this.#fd = fd;
  }

  /**
   * Wraps an open descriptor; the handle owns it from then on (`close()` closes it).
   *
   * @param loop The loop to run the operations on.
   * @param fd An open file descriptor.
   * @returns The handle.
   *
   * @example
   * ```ts
   * import { FileHandle, Loop, open } from "ringside-uring";
   * const loop = new Loop();
   * const file = FileHandle.from(loop, await open(loop, "/etc/hostname"));
   * await file.close();
   * await loop.close();
   * ```
   */
  static from(loop: Loop, fd: number): FileHandle {
    return new FileHandle(loop, checkFd("wrap a file descriptor", fd));
  }

  /** The descriptor, or -1 once `close()` was called. */
  get fd(): number {
    return this.#closing ? -1 : this.#fd;
  }

  /** Runs `fn` on the descriptor, or rejects (never throws) once the handle is closed. */
  #with<T>(operation: string, fn: (fd: number) => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new UringError(operation, 0, "the file handle is closed"));
    return fn(this.#fd);
  }

  /**
   * Reads into `buf` at `position` (-1: the file position). Resolves to the bytes read (0 at the end of the file).
   *
   * @param buf Where the bytes go.
   * @param position The file offset, or -1 for the file position.
   * @param options `length` (default: all of `buf`), `signal`, `timeoutMs`.
   * @returns The bytes read.
   *
   * @example
   * ```ts
   * import { Loop, openFile } from "ringside-uring";
   * await using loop = new Loop();
   * await using f = await openFile(loop, "/etc/hostname");
   * console.log(await f.read(new Uint8Array(64), 0));
   * ```
   */
  read(buf: BufferLike, position = -1, options?: Omit<RwOptions, "fixed">): Promise<number> {
    return this.#with("read", (fd) => read(this.loop, fd, buf, position, options));
  }

  /**
   * Writes `buf` at `position` (-1: the file position; with O_APPEND, the end). Resolves to the bytes written.
   *
   * @param buf The bytes.
   * @param position The file offset, or -1 for the file position.
   * @param options `length` (default: all of `buf`), `signal`, `timeoutMs`.
   * @returns The bytes written.
   *
   * @example
   * ```ts
   * import { Loop, openFile } from "ringside-uring";
   * await using loop = new Loop();
   * await using f = await openFile(loop, "/tmp/ringside-handle-example", "w");
   * await f.write(new TextEncoder().encode("hello\n"));
   * ```
   */
  write(buf: BufferLike, position = -1, options?: Omit<RwOptions, "fixed">): Promise<number> {
    return this.#with("write", (fd) => write(this.loop, fd, buf, position, options));
  }

  /**
   * Reads into several buffers in order (IORING_OP_READV). Resolves to the bytes read in all.
   *
   * @param bufs The buffers, filled in order.
   * @param position The file offset, or -1 for the file position.
   * @param options `signal`, `timeoutMs`.
   * @returns The bytes read.
   *
   * @example
   * ```ts
   * import { Loop, openFile } from "ringside-uring";
   * await using loop = new Loop();
   * await using f = await openFile(loop, "/etc/hostname");
   * console.log(await f.readv([new Uint8Array(4), new Uint8Array(60)], 0));
   * ```
   */
  readv(bufs: readonly BufferLike[], position = -1, options?: OpOptions): Promise<number> {
    return this.#with("readv", (fd) => readv(this.loop, fd, bufs, position, options));
  }

  /**
   * Writes several buffers in order (IORING_OP_WRITEV). Resolves to the bytes written in all.
   *
   * @param bufs The buffers, gathered in order.
   * @param position The file offset, or -1 for the file position.
   * @param options `signal`, `timeoutMs`.
   * @returns The bytes written.
   *
   * @example
   * ```ts
   * import { Loop, openFile } from "ringside-uring";
   * await using loop = new Loop();
   * await using f = await openFile(loop, "/tmp/ringside-handle-example", "w");
   * const enc = new TextEncoder();
   * await f.writev([enc.encode("a"), enc.encode("b\n")]);
   * ```
   */
  writev(bufs: readonly BufferLike[], position = -1, options?: OpOptions): Promise<number> {
    return this.#with("writev", (fd) => writev(this.loop, fd, bufs, position, options));
  }

  /**
   * The file's metadata (statx with AT_EMPTY_PATH on the descriptor).
   *
   * @param options `signal`, `timeoutMs`.
   * @returns The metadata.
   *
   * @example
   * ```ts
   * import { Loop, openFile } from "ringside-uring";
   * await using loop = new Loop();
   * await using f = await openFile(loop, "/etc/hostname");
   * console.log((await f.stat()).size);
   * ```
   */
  stat(options?: OpOptions): Promise<Statx> {
    return this.#with("stat", (fd) => fstat(this.loop, fd, options));
  }

  /**
   * Flushes the file's data and metadata to storage (fsync), or only what reading the data back needs
   * (`{ dataOnly: true }`: fdatasync).
   *
   * @param options `dataOnly`, `signal`, `timeoutMs`.
   * @returns Once flushed.
   *
   * @example
   * ```ts
   * import { Loop, openFile } from "ringside-uring";
   * await using loop = new Loop();
   * await using f = await openFile(loop, "/tmp/ringside-handle-example", "w");
   * await f.sync();
   * ```
   */
  sync(options?: OpOptions & { dataOnly?: boolean | undefined }): Promise<void> {
    return this.#with("sync", (fd) => options?.dataOnly ? fdatasync(this.loop, fd, options) : fsync(this.loop, fd, options));
  }

  /**
   * Sets the file's length: cut, or extended with zeros (IORING_OP_FTRUNCATE, Linux 6.9; where the kernel lacks
   * it, ftruncate(2) is called directly, which blocks the thread for as long as the file system takes).
   *
   * @param length The new length in bytes.
   * @param options `signal`, `timeoutMs`.
   * @returns Once done.
   *
   * @example
   * ```ts
   * import { Loop, openFile } from "ringside-uring";
   * await using loop = new Loop();
   * await using f = await openFile(loop, "/tmp/ringside-handle-example", "w");
   * await f.truncate(0);
   * ```
   */
  truncate(length = 0, options?: FdOptions): Promise<void> {
    // async: what truncateNow throws (bad input, the errno of ftruncate(2)) becomes the rejection.
    return this.#with("truncate", async (fd) =>
      ftruncateOp() ? await ftruncate(this.loop, fd, length, { ...options, fixed: false }) : truncateNow(fd, length, options));
  }

  /**
   * Closes the descriptor. Only the first call closes; later calls return the same promise.
   *
   * @returns Once closed.
   *
   * @example
   * ```ts
   * import { Loop, openFile } from "ringside-uring";
   * const loop = new Loop();
   * const f = await openFile(loop, "/etc/hostname");
   * await f.close();
   * await loop.close();
   * ```
   */
  close(): Promise<void> {
    this.#closing ??= close(this.loop, this.#fd);
    return this.#closing;
  }

  /** Closes the descriptor: `await using f = await openFile(...)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Opens `path` and gives a {@link FileHandle} (IORING_OP_OPENAT). `flags` as for {@link open}: a number of `O_*`
 * bits or Node's strings (`"r"`, `"w"`, `"a+"` ...).
 *
 * @param loop The loop.
 * @param path The path.
 * @param flags `O_*` flags or a Node-style string (default `"r"`).
 * @param mode Permission bits for a created file (default 0o666, less the umask).
 * @param options `inherit`, `signal`, `timeoutMs`.
 * @returns The handle.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring";
 * await using loop = new Loop();
 * await using f = await openFile(loop, "/etc/hostname");
 * console.log(f.fd >= 0);
 * ```
 */
export async function openFile(
  loop: Loop,
  path: PathLike,
  flags: number | string = O_RDONLY,
  mode = 0o666,
  options?: OpenOptions,
): Promise<FileHandle> {
  return FileHandle.from(loop, await open(loop, path, flags, mode, options));
}
