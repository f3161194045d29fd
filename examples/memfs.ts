/**
 * An in-memory filesystem served over FUSE: regular files (sparse: holes cost nothing), directories, symbolic and
 * hard links, FIFOs, UNIX sockets and device files, extended attributes, POSIX and BSD locks, fallocate,
 * copy_file_range and SEEK_DATA/SEEK_HOLE, with names as bytes, through FUSE over io_uring when the kernel offers
 * it (Linux 6.14 with `/sys/module/fuse/parameters/enable_uring` = Y) and through /dev/fuse otherwise. Run as root.
 *
 *   bun examples/memfs.ts MOUNTPOINT [--size BYTES|N%] [--timeout SECONDS] [--classic] [--owning] [--direct-io]
 *                         [--max-write BYTES] [--queue-depth N] [--blocking-reads] [--readers N]
 *   deno run -A examples/memfs.ts MOUNTPOINT ...
 *
 * It prints one line once the filesystem is mounted, saying which transport serves it, then serves until SIGINT or
 * SIGTERM, unmounts, and prints two closing lines on stderr: the requests by transport, then by opcode.
 *
 * - `--size`: what it may store (file contents and extended attributes), like tmpfs's `size=`: bytes with an
 *   optional k, m, g or t suffix (powers of 1024), or a share of the machine's memory (`25%`); 50% by default.
 *   Past it, writes fail with ENOSPC; `df` shows it. Files are limited to 4 PiB (EFBIG past that).
 * - `--timeout`: seconds the kernel may cache names and attributes (default 1); 0 sends every lookup and stat to
 *   memfs (for benchmarks of metadata operations).
 * - `--classic`: serve through /dev/fuse reads and writes even when io_uring is available.
 * - `--owning`: run the loop in owning mode (the thread blocks in io_uring_enter between requests).
 * - `--direct-io`: open files with FOPEN_DIRECT_IO, so every read and write reaches the server (for benchmarks).
 * - `--blocking-reads`: with /dev/fuse, wait for requests in blocking reads (in io-wq workers) instead of polling.
 * - `--readers N`: /dev/fuse reads kept in flight (default 1).
 *
 * It mounts with FUSE_HANDLE_KILLPRIV_V2 (`handleKillprivV2`): memfs drops set-ID bits and file capabilities
 * itself on writes, truncates and chowns (see memfs/fs.ts), so a write through the page cache is one WRITE request,
 * without a GETXATTR of `security.capability` before it.
 *
 * Everything lives in this process's memory and is gone once it exits. The filesystem itself is in memfs/fs.ts;
 * file contents in memfs/pages.ts, locks in memfs/locks.ts, extended attributes in memfs/xattrs.ts.
 *
 * @module
 */
import process from "node:process";
import { totalmem } from "node:os";
import { Loop } from "ringside-uring/loop";
import { IORING_SETUP_SQE128 } from "ringside-uring/abi";
import { FuseServer, type FuseServerOptions } from "ringside-uring/fuse";
import { MemFs } from "./memfs/fs.ts";

/** The command line. */
interface Args {
  mountpoint: string;
  /** Bytes the filesystem may store. */
  size: number;
  /** Seconds the kernel may cache names and attributes. */
  timeout: number | undefined;
  classic: boolean;
  owning: boolean;
  directIo: boolean;
  maxWrite: number | undefined;
  queueDepth: number | undefined;
  blockingReads: boolean;
  readers: number | undefined;
}

/** `--size`'s value: bytes with an optional k/m/g/t suffix, or a percentage of the machine's memory (tmpfs's). */
function parseSize(s: string | undefined): number | undefined {
  const m = /^(\d+)([kmgt%]?)$/i.exec(s ?? "");
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase();
  const bytes = unit === "%" ? Math.floor(totalmem() * n / 100) : n * 1024 ** " kmgt".indexOf(unit || " ");
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

const USAGE = "usage: memfs.ts MOUNTPOINT [--size BYTES|N%] [--timeout SECONDS] [--classic] [--owning] " +
  "[--direct-io] [--max-write BYTES] [--queue-depth N] [--blocking-reads] [--readers N]";

function parseArgs(argv: string[]): Args | string {
  const a: Args = { mountpoint: "", size: parseSize("50%")!, timeout: undefined, classic: false, owning: false,
    directIo: false, maxWrite: undefined, queueDepth: undefined, blockingReads: false, readers: undefined };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i]!;
    if (s === "--classic") a.classic = true;
    else if (s === "--owning") a.owning = true;
    else if (s === "--direct-io") a.directIo = true;
    else if (s === "--blocking-reads") a.blockingReads = true;
    else if (s === "--size") {
      const n = parseSize(argv[++i]);
      if (n === undefined) return `--size takes bytes (with k, m, g or t) or a percentage, got ${argv[i]}`;
      a.size = n;
    } else if (s === "--timeout") {
      const n = Number(argv[++i]);
      if (!(n >= 0)) return `--timeout takes seconds (0 or more), got ${argv[i]}`;
      a.timeout = n;
    } else if (s === "--max-write" || s === "--queue-depth" || s === "--readers") {
      const n = Number(argv[++i]);
      if (!Number.isSafeInteger(n) || n <= 0) return `${s} takes a positive integer, got ${argv[i]}`;
      if (s === "--max-write") a.maxWrite = n;
      else if (s === "--queue-depth") a.queueDepth = n;
      else a.readers = n;
    } else if (s.startsWith("-") || a.mountpoint) return `unknown argument ${s}`;
    else a.mountpoint = s;
  }
  return a.mountpoint ? a : "missing MOUNTPOINT";
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (typeof args === "string") {
    console.error(`memfs: ${args}\n${USAGE}`);
    return 2;
  }
  const loop = new Loop({ mode: args.owning ? "owning" : "integrated", ring: { flags: IORING_SETUP_SQE128 } });
  const options: FuseServerOptions<"bytes"> = {
    loop,
    names: "bytes",
    transport: args.classic ? "classic" : "auto",
    subtype: "memfs",
    fsname: "memfs",
    defaultPermissions: true,
    allowOther: true,
    entryTimeout: args.timeout,
    attrTimeout: args.timeout,
    maxWrite: args.maxWrite,
    queueDepth: args.queueDepth,
    deviceRead: args.blockingReads ? "blocking" : "poll",
    classicReaders: args.readers,
    handleKillprivV2: true,
  };
  const serve = async (): Promise<number> => {
    const fs = new MemFs({ directIo: args.directIo, capacity: args.size });
    let server: FuseServer;
    try {
      server = await FuseServer.mount(args.mountpoint, fs.handlers(), options);
    } catch (e) {
      console.error(`memfs: ${(e as Error).message}`);
      return 1;
    }
    fs.onStaleAttrs = (ino) => {
      // A WRITE, FALLOCATE, COPY_FILE_RANGE or OPEN (replies without attributes) cleared set-ID bits: drop the
      // kernel's cached mode before the reply lets the caller go on.
      try {
        server.notifyInvalInode(ino);
      } catch (e) {
        console.error(`memfs: ${(e as Error).message}`);
      }
    };
    const why = server.fallbackReason ? ` (${server.fallbackReason})` : "";
    console.log(`memfs: mounted at ${server.mountpoint} over ${server.transport}${why}`);
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      server.unmount().catch((e) => console.error(`memfs: ${(e as Error).message}`));
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    await server.closed;
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    const s = server.stats;
    console.error(`memfs: unmounted ${server.mountpoint} (${s.ringRequests} ring requests, ${s.deviceRequests} ` +
      `/dev/fuse requests, ${s.deviceRetries} EAGAIN, ${s.replyErrors} refused replies)`);
    const byOpcode = Object.entries(s.byOpcode).sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`);
    console.error(`memfs: requests by opcode: ${byOpcode.join(", ")}`);
    return 0;
  };
  const code = args.owning ? await loop.run(serve) : await serve();
  if (!loop.isClosed) await loop.close();
  return code;
}

process.exitCode = await main();
