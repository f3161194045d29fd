/**
 * The requests beyond reading and writing, through a real mount served in this thread and driven by
 * testing/fuse_probe.c in a child process (raw byte names, descriptors held across calls, signals), over both
 * transports: names and link targets as bytes end to end (and as strict UTF-8 in string mode), mknod, xattrs,
 * POSIX and flock locks, fallocate, copy_file_range, lseek, and FUSE_INTERRUPT (a blocked call that gets a signal
 * answers EINTR).
 *
 * The filesystem here records what the kernel handed its handlers, and the tests compare that with the system
 * calls the probe made, and the probe's results with what the handlers answered. Every mount is unmounted, and
 * /sys/module/fuse/parameters/enable_uring put back, also when a test fails.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { skipIf } from "../../testing/mod.ts";
import { cannotMount, noFuseUring, withFuseMount } from "../../testing/fuse.ts";
import { hex, Probe, probeUnavailable } from "../../testing/fuse_probe.ts";
import { S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from "../abi/structs.ts";
import { O_CREAT, O_EXCL, O_RDWR } from "../fs/constants.ts";
import {
  FUSE_COPY_FILE_RANGE,
  FUSE_COPY_FILE_RANGE_64,
  FUSE_FLOCK_LOCKS,
  FUSE_POSIX_LOCKS,
  FUSE_ROOT_ID,
  initFlagsLow,
} from "./abi.ts";
import {
  type Attr,
  F_RDLCK,
  F_UNLCK,
  F_WRLCK,
  type FileLock,
  FuseError,
  type FuseHandlers,
  LOCK_EX,
  LOCK_SH,
  LOCK_TO_EOF,
  LOCK_UN,
  type NameEncoding,
  type RequestContext,
  SEEK_DATA,
  SEEK_HOLE,
  XATTR_CREATE,
  XATTR_REPLACE,
} from "./handlers.ts";
import type { FuseServer, FuseServerOptions } from "./server.ts";

const noProbe = probeUnavailable();
const t0 = { sec: 1_700_000_000, nsec: 0 };
const encoder = new TextEncoder();

type Name = string | Uint8Array;

interface Node {
  attr: Attr;
  data: Uint8Array;
  target?: Uint8Array;
  xattrs: Map<string, { name: Name; value: Uint8Array }>;
  children?: Map<string, { name: Name; ino: number }>;
}

/** How the handlers answer: `busy` makes every lock conflict with `conflict`; `entered` is called when one blocks. */
interface State {
  busy: boolean;
  conflict: FileLock;
  entered: () => void;
}

/** What the handlers saw, for the tests to compare with the system calls made. */
interface Seen {
  names: Name[];
  setlk: { owner: bigint; lock: FileLock; wait: boolean }[];
  getlk: { owner: bigint; lock: FileLock }[];
  flock: { owner: bigint; op: number; wait: boolean }[];
  flush: bigint[];
  release: (bigint | undefined)[];
  fallocate: number[][];
  copy: { opcode: number; args: number[] }[];
  lseek: number[][];
  interrupted: string[];
}

/**
 * A small filesystem keyed by the names' bytes, so it serves either `names` mode: a tree of directories, regular
 * files, FIFOs and symbolic links with xattrs; locks and the rest are recorded in `seen` and answered as the tests
 * arrange (`busy`: every lock conflicts with the one `conflict` describes).
 */
function recordingFs(seen: Seen, state: State) {
  const nodes = new Map<number, Node>();
  let next = 2;
  const now = { ...t0 };
  const key = (n: Name) => hex(n);
  const make = (mode: number, rdev = 0): number => {
    const ino = next++;
    const dir = (mode & S_IFMT) === S_IFDIR;
    nodes.set(ino, {
      attr: { ino, mode, nlink: dir ? 2 : 1, size: 0, rdev, atime: now, mtime: now, ctime: now },
      data: new Uint8Array(0),
      xattrs: new Map(),
      ...(dir ? { children: new Map() } : {}),
    });
    return ino;
  };
  nodes.set(FUSE_ROOT_ID, {
    attr: { ino: 1, mode: S_IFDIR | 0o777, nlink: 2, size: 0, atime: now, mtime: now, ctime: now },
    data: new Uint8Array(0),
    xattrs: new Map(),
    children: new Map(),
  });
  const node = (ino: number): Node => {
    const n = nodes.get(ino);
    if (!n) throw new FuseError("ENOENT");
    return n;
  };
  const dirOf = (ino: number) => {
    const c = node(ino).children;
    if (!c) throw new FuseError("ENOTDIR");
    return c;
  };
  const entry = (ino: number) => ({ ino, attr: node(ino).attr, entryTimeout: 0, attrTimeout: 0 });
  const add = (parent: number, name: Name, ino: number) => {
    seen.names.push(name);
    const d = dirOf(parent);
    if (d.has(key(name))) throw new FuseError("EEXIST");
    d.set(key(name), { name, ino });
    return entry(ino);
  };
  const child = (parent: number, name: Name) => {
    seen.names.push(name);
    const c = dirOf(parent).get(key(name));
    if (!c) throw new FuseError("ENOENT");
    return c.ino;
  };
  /** Waits until the kernel interrupts the request (3 s at most, then ETIMEDOUT: the test fails, and unmounts). */
  const blocked = async (ctx: RequestContext, what: string) => {
    state.entered();
    // An interrupt rejects delay() with an AbortError: the dispatcher answers it EINTR.
    await delay(3_000, undefined, { signal: ctx.signal }).catch((e) => {
      seen.interrupted.push(what);
      throw e;
    });
    throw new FuseError("ETIMEDOUT", `${what} was not interrupted`);
  };

  const fs: FuseHandlers<Name> = {
    lookup: (_ctx, parent, name) => entry(child(parent, name)),
    getattr: (_ctx, ino) => node(ino).attr,
    setattr: (_ctx, ino, c) => {
      const n = node(ino);
      if (c.size !== undefined) {
        const data = new Uint8Array(c.size);
        data.set(n.data.subarray(0, c.size));
        n.data = data;
        n.attr.size = c.size;
      }
      if (c.mode !== undefined) n.attr.mode = (n.attr.mode & S_IFMT) | (c.mode & 0o7777);
      return n.attr;
    },
    create: (_ctx, parent, name, mode) => ({
      entry: add(parent, name, make(S_IFREG | (mode & 0o7777))),
      open: { directIo: true },
    }),
    mknod: (_ctx, parent, name, mode, rdev) => add(parent, name, make(mode, rdev)),
    mkdir: (_ctx, parent, name, mode) => add(parent, name, make(S_IFDIR | (mode & 0o7777))),
    symlink: (_ctx, parent, name, target) => {
      seen.names.push(target);
      const ino = make(S_IFLNK | 0o777);
      const t = typeof target === "string" ? encoder.encode(target) : target;
      node(ino).target = t;
      node(ino).attr.size = t.byteLength;
      return add(parent, name, ino);
    },
    // Bytes in either mode: the dispatcher sends them as they are.
    readlink: (_ctx, ino) => node(ino).target ?? Promise.reject(new FuseError("EINVAL")),
    link: (_ctx, ino, newParent, newName) => {
      const e = add(newParent, newName, ino);
      node(ino).attr.nlink++;
      return e;
    },
    unlink: (_ctx, parent, name) => {
      const ino = child(parent, name);
      dirOf(parent).delete(key(name));
      node(ino).attr.nlink--;
    },
    rmdir: (_ctx, parent, name) => {
      const ino = child(parent, name);
      if (dirOf(ino).size > 0) throw new FuseError("ENOTEMPTY");
      dirOf(parent).delete(key(name));
    },
    rename: (_ctx, parent, name, newParent, newName) => {
      const ino = child(parent, name);
      dirOf(parent).delete(key(name));
      dirOf(newParent).set(key(newName), { name: newName, ino });
      seen.names.push(newName);
    },
    open: () => ({ directIo: true }),
    read: (_ctx, ino, _fh, offset, size) => node(ino).data.subarray(offset, offset + size),
    write: (_ctx, ino, _fh, offset, data) => {
      const n = node(ino);
      if (offset + data.byteLength > n.data.byteLength) {
        const grown = new Uint8Array(offset + data.byteLength);
        grown.set(n.data);
        n.data = grown;
        n.attr.size = grown.byteLength;
      }
      n.data.set(data, offset);
      return data.byteLength;
    },
    readdir: (_ctx, ino, _fh, offset, out) => {
      const list = [{ name: ".", ino }, { name: "..", ino }, ...dirOf(ino).values()];
      for (let i = offset; i < list.length; i++) {
        const e = list[i]!;
        if (!out.add(e.name, e.ino, node(e.ino).attr.mode, i + 1)) break;
      }
    },
    flush: (_ctx, _ino, _fh, lockOwner) => void seen.flush.push(lockOwner),
    release: (_ctx, _ino, _fh, _flags, lockOwner) => void seen.release.push(lockOwner),
    setxattr: (ctx, ino, name, value, flags) => {
      const x = node(ino).xattrs;
      if (flags & XATTR_CREATE && x.has(key(name))) throw new FuseError("EEXIST");
      if (flags & XATTR_REPLACE && !x.has(key(name))) throw new FuseError("ENODATA");
      seen.names.push(name);
      x.set(key(name), { name, value });
      void ctx;
    },
    getxattr: async (ctx, ino, name) => {
      seen.names.push(name);
      if (key(name) === hex("user.block")) return await blocked(ctx, "getxattr");
      if (key(name) === hex("user.stubborn")) {
        state.entered();
        // Interrupted or not, this one answers: the caller's getxattr succeeds after its signal.
        await delay(3_000, undefined, { signal: ctx.signal }).catch(() => seen.interrupted.push("stubborn"));
        return encoder.encode("late");
      }
      const v = node(ino).xattrs.get(key(name));
      if (!v) throw new FuseError("ENODATA");
      return v.value;
    },
    listxattr: (_ctx, ino) => Array.from(node(ino).xattrs.values(), (x) => x.name),
    removexattr: (_ctx, ino, name) => {
      seen.names.push(name);
      if (!node(ino).xattrs.delete(key(name))) throw new FuseError("ENODATA");
    },
    getlk: (_ctx, _ino, _fh, owner, lock) => {
      seen.getlk.push({ owner, lock });
      return state.busy ? state.conflict : { start: 0, end: 0, type: F_UNLCK, pid: 0 };
    },
    setlk: async (ctx, _ino, _fh, owner, lock, wait) => {
      seen.setlk.push({ owner, lock, wait });
      if (!state.busy || lock.type === F_UNLCK) return;
      if (!wait) throw new FuseError("EAGAIN");
      state.entered();
      // Waits for the kernel's INTERRUPT, and gives up with the signal's reason (a FuseError EINTR).
      await delay(3_000, undefined, { signal: ctx.signal }).catch(() => seen.interrupted.push("setlk"));
      ctx.signal.throwIfAborted();
      throw new FuseError("ETIMEDOUT", "setlk was not interrupted");
    },
    flock: (ctx, _ino, _fh, owner, op, wait) => {
      seen.flock.push({ owner, op, wait });
      if (!state.busy || op === LOCK_UN) return;
      if (!wait) throw new FuseError("EWOULDBLOCK");
      return blocked(ctx, "flock");
    },
    fallocate: (_ctx, ino, fh, offset, length, mode) => {
      seen.fallocate.push([ino, fh, offset, length, mode]);
      if (mode === 0 && offset + length > node(ino).attr.size) node(ino).attr.size = offset + length;
    },
    copyFileRange: (ctx, inoIn, fhIn, offIn, inoOut, fhOut, offOut, length, flags) => {
      seen.copy.push({ opcode: ctx.opcode, args: [inoIn, fhIn, offIn, inoOut, fhOut, offOut, length, flags] });
      // Copies part of what was asked: the caller sees the count the handler answered.
      const n = Math.min(length, 3);
      fs.write!(ctx, inoOut, fhOut, offOut, node(inoIn).data.slice(offIn, offIn + n), 0, 0);
      return n;
    },
    lseek: (_ctx, ino, _fh, offset, whence) => {
      seen.lseek.push([ino, offset, whence]);
      if (offset >= 1000) throw new FuseError("ENXIO");
      return whence === SEEK_DATA ? offset + 100 : 4096;
    },
  };
  return fs;
}

function fresh(): { seen: Seen; state: State } {
  return {
    seen: {
      names: [],
      setlk: [],
      getlk: [],
      flock: [],
      flush: [],
      release: [],
      fallocate: [],
      copy: [],
      lseek: [],
      interrupted: [],
    },
    state: { busy: false, conflict: { start: 0, end: 0, type: F_UNLCK, pid: 0 }, entered: () => {} },
  };
}

/** The two transports, each with what it needs. */
const transports = [
  { name: "classic", uring: undefined, options: { transport: "classic" }, skip: cannotMount || noProbe },
  { name: "io_uring", uring: true, options: { transport: "io_uring" }, skip: cannotMount || noProbe || noFuseUring },
] as const;

/** Mounts the recording filesystem with `names`, and a probe; both always end. */
async function withFs(
  transport: (typeof transports)[number],
  names: NameEncoding,
  body: (ctx: { dir: string; probe: Probe; seen: Seen; state: State; server: FuseServer }) => Promise<void>,
): Promise<void> {
  const { seen, state } = fresh();
  const errors: unknown[] = [];
  const options: FuseServerOptions<NameEncoding> = {
    ...transport.options,
    names,
    entryTimeout: 0,
    attrTimeout: 0,
    onError: (e) => errors.push(e),
  };
  await withFuseMount(transport.uring, recordingFs(seen, state), options, async (server, dir) => {
    const probe = new Probe();
    try {
      await body({ dir, probe, seen, state, server });
    } finally {
      await probe.close();
    }
    assert.deepEqual(errors, [], "no handler failed unexpectedly");
  });
}

/** `dir` joined with raw name bytes, as the probe's hex. */
function at(dir: string, ...parts: (string | number[])[]): string {
  const bytes = [...encoder.encode(dir)];
  for (const p of parts) bytes.push(0x2f, ...(typeof p === "string" ? encoder.encode(p) : p));
  return hex(Uint8Array.from(bytes));
}

/** Resolves when a handler says it is blocked (the next one after this call). */
function nextEntered(state: State): Promise<void> {
  return new Promise((resolve) => (state.entered = resolve));
}

/** Waits (5 s at most) until `cond` holds: for requests the kernel sends after the call returns (RELEASE). */
async function eventually(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await delay(10);
  assert.ok(cond(), what);
}

const E9 = [0xe9];
const E8 = [0xe8];

for (const transport of transports) {
  const t = transport.name;

  const bytesName = `${t}: names and link targets are bytes end to end (names: "bytes")`;
  test(bytesName, skipIf(transport.skip, bytesName), async () => {
    await withFs(transport, "bytes", async ({ dir, probe, seen }) => {
      // Latin-1 names that are not UTF-8 are distinct names, not two U+FFFD.
      await probe.ok(`open ${at(dir, E9)} ${O_CREAT | O_EXCL | O_RDWR} ${0o644}`);
      await probe.ok(`open ${at(dir, E8)} ${O_CREAT | O_EXCL | O_RDWR} ${0o644}`);
      assert.equal(await probe.fails(`open ${at(dir, E9)} ${O_CREAT | O_EXCL | O_RDWR} ${0o644}`), "EEXIST");
      await probe.ok(`mkdir ${at(dir, [0xff, 0xfe])} ${0o755}`);
      await probe.ok(`mknod ${at(dir, [0xfa])} ${S_IFIFO | 0o640} 0`);
      const [fifoMode] = await probe.ok(`stat ${at(dir, [0xfa])}`);
      assert.equal(Number(fifoMode) & S_IFMT, S_IFIFO);
      await probe.ok(`symlink ${hex(Uint8Array.of(0xff, 0x2f, 0x80))} ${at(dir, [0xfb])}`);
      assert.deepEqual(await probe.ok(`readlink ${at(dir, [0xfb])}`), ["ff2f80"]);
      await probe.ok(`rename ${at(dir, E9)} ${at(dir, [0xff, 0xfe], [0xe9, 0xe9])}`);
      await probe.ok(`link ${at(dir, E8)} ${at(dir, [0xf0])}`);
      assert.equal((await probe.ok(`stat ${at(dir, E8)}`))[2], "2", "two links");
      const list = (await probe.ok(`readdir ${at(dir)}`)).sort();
      assert.deepEqual(list, ["2e", "2e2e", "e8", "f0", "fa", "fb", "fffe"]);
      assert.deepEqual((await probe.ok(`readdir ${at(dir, [0xff, 0xfe])}`)).sort(), ["2e", "2e2e", "e9e9"]);
      assert.equal(await probe.fails(`rmdir ${at(dir, [0xff, 0xfe])}`), "ENOTEMPTY");
      await probe.ok(`unlink ${at(dir, [0xff, 0xfe], [0xe9, 0xe9])}`);
      await probe.ok(`rmdir ${at(dir, [0xff, 0xfe])}`);
      await probe.ok(`unlink ${at(dir, [0xf0])}`);
      assert.equal(await probe.fails(`stat ${at(dir, [0xf0])}`), "ENOENT");
      // Every name reached the handlers as the kernel's bytes, never as a string.
      assert.ok(seen.names.length > 10);
      for (const n of seen.names) assert.ok(n instanceof Uint8Array, `a ${typeof n} name reached a handler`);
      assert.ok(seen.names.some((n) => hex(n) === "e9e9"));
    });
  });

  const stringName = `${t}: names: "string" decodes strict UTF-8 and refuses other names without calling a handler`;
  test(stringName, skipIf(transport.skip, stringName), async () => {
    await withFs(transport, "string", async ({ dir, probe, seen }) => {
      const create = `${O_CREAT | O_EXCL | O_RDWR} ${0o644}`;
      // LOOKUP of a name that is not UTF-8 is ENOENT (none can exist); creating one is EILSEQ.
      assert.equal(await probe.fails(`stat ${at(dir, E9)}`), "ENOENT");
      assert.equal(await probe.fails(`open ${at(dir, E9)} ${create}`), "EILSEQ");
      assert.equal(await probe.fails(`mkdir ${at(dir, [0xff])} ${0o755}`), "EILSEQ");
      assert.equal(await probe.fails(`mknod ${at(dir, [0xc3])} ${S_IFIFO | 0o644} 0`), "EILSEQ");
      assert.equal(await probe.fails(`symlink ff ${at(dir, "link")}`), "EILSEQ");
      // UTF-8 names work, a leading U+FEFF included (a decoder that drops a BOM would lose it).
      await probe.ok(`open ${at(dir, "é")} ${create}`);
      await probe.ok(`open ${at(dir, "\ufeffx")} ${create}`);
      await probe.ok(`symlink ${hex("é")} ${at(dir, "link")}`);
      assert.deepEqual(await probe.ok(`readlink ${at(dir, "link")}`), [hex("é")]);
      assert.equal(await probe.fails(`setxattr ${at(dir, "é")} ${hex("user.")}ff 01 0`), "EILSEQ");
      await probe.ok(`setxattr ${at(dir, "é")} ${hex("user.é")} 01 0`);
      assert.equal(await probe.fails(`rename ${at(dir, "é")} ${at(dir, E8)}`), "EILSEQ");
      assert.deepEqual((await probe.ok(`readdir ${at(dir)}`)).sort(), ["2e", "2e2e", "6c696e6b", "c3a9", "efbbbf78"]);
      for (const n of seen.names) {
        assert.equal(typeof n, "string");
        assert.ok(!(n as string).includes("\ufffd"), `a lossy name reached a handler: ${JSON.stringify(n)}`);
      }
    });
  });

  const xattrName = `${t}: SETXATTR, GETXATTR, LISTXATTR and REMOVEXATTR, with sizes, ERANGE and flags`;
  test(xattrName, skipIf(transport.skip, xattrName), async () => {
    await withFs(transport, "bytes", async ({ dir, probe }) => {
      const f = at(dir, E8);
      await probe.ok(`open ${f} ${O_CREAT | O_RDWR} ${0o644}`);
      const name = hex(Uint8Array.of(...encoder.encode("user."), 0xff));
      await probe.ok(`setxattr ${f} ${name} 00ff01 0`);
      await probe.ok(`setxattr ${f} ${hex("user.empty")} - 0`);
      assert.deepEqual(await probe.ok(`getxattr ${f} ${name} 0`), ["3"], "size only");
      assert.deepEqual(await probe.ok(`getxattr ${f} ${name} 100`), ["3", "00ff01"]);
      assert.deepEqual(await probe.ok(`getxattr ${f} ${hex("user.empty")} 100`), ["0", "-"]);
      assert.equal(await probe.fails(`getxattr ${f} ${name} 2`), "ERANGE");
      assert.equal(await probe.fails(`getxattr ${f} ${hex("user.none")} 100`), "ENODATA");
      assert.equal(await probe.fails(`setxattr ${f} ${name} 02 ${XATTR_CREATE}`), "EEXIST");
      assert.equal(await probe.fails(`setxattr ${f} ${hex("user.none")} 02 ${XATTR_REPLACE}`), "ENODATA");
      await probe.ok(`setxattr ${f} ${name} 0202 ${XATTR_REPLACE}`);
      const list = name + "00" + hex("user.empty") + "00";
      assert.deepEqual(await probe.ok(`listxattr ${f} 0`), [String(list.length / 2)], "size only");
      assert.deepEqual(await probe.ok(`listxattr ${f} 1000`), [String(list.length / 2), list]);
      assert.equal(await probe.fails(`listxattr ${f} 5`), "ERANGE");
      await probe.ok(`removexattr ${f} ${name}`);
      assert.equal(await probe.fails(`removexattr ${f} ${name}`), "ENODATA");
      assert.equal(await probe.fails(`getxattr ${f} ${name} 100`), "ENODATA");
    });
  });

  const lockName = `${t}: POSIX locks (GETLK, SETLK, SETLKW) and flock (FUSE_LK_FLOCK) reach the handlers`;
  test(lockName, skipIf(transport.skip, lockName), async () => {
    await withFs(transport, "bytes", async ({ dir, probe, seen, state, server }) => {
      assert.ok(initFlagsLow(server.initFlags) & FUSE_POSIX_LOCKS, "FUSE_POSIX_LOCKS agreed");
      assert.ok(initFlagsLow(server.initFlags) & FUSE_FLOCK_LOCKS, "FUSE_FLOCK_LOCKS agreed");
      const [fd] = await probe.ok(`open ${at(dir, E8)} ${O_CREAT | O_RDWR} ${0o644}`);
      // fcntl's l_len 0 is "to the end of the file": the handler sees LOCK_TO_EOF.
      await probe.ok(`lock ${fd} set ${F_WRLCK} 0 0`);
      await probe.ok(`lock ${fd} setw ${F_RDLCK} 10 5`);
      await probe.ok(`lock ${fd} set ${F_UNLCK} 10 5`);
      const pid = probe.pid;
      assert.deepEqual(seen.setlk.map((s) => [s.lock, s.wait]), [
        [{ start: 0, end: LOCK_TO_EOF, type: F_WRLCK, pid }, false],
        [{ start: 10, end: 14, type: F_RDLCK, pid }, true],
        [{ start: 10, end: 14, type: F_UNLCK, pid: 0 }, false],
      ]);
      const owner = seen.setlk[0]!.owner;
      assert.ok(seen.setlk.every((s) => s.owner === owner), "one owner for one process's locks");
      // GETLK: the handler's conflicting lock comes back in struct flock, OFFSET_MAX as l_len 0.
      assert.deepEqual(await probe.ok(`lock ${fd} get ${F_WRLCK} 0 100`), [String(F_UNLCK), "0", "100", "0"]);
      state.busy = true;
      state.conflict = { start: 20, end: 29, type: F_RDLCK, pid: process.pid };
      assert.deepEqual(await probe.ok(`lock ${fd} get ${F_WRLCK} 0 100`),
        [String(F_RDLCK), "20", "10", String(process.pid)]);
      state.conflict = { start: 50, end: LOCK_TO_EOF, type: F_WRLCK, pid: process.pid };
      assert.deepEqual(await probe.ok(`lock ${fd} get ${F_RDLCK} 60 0`),
        [String(F_WRLCK), "50", "0", String(process.pid)]);
      // GETLK carries no pid (fs/fuse/file.c fuse_getlk).
      assert.deepEqual(seen.getlk.at(-1), { owner, lock: { start: 60, end: LOCK_TO_EOF, type: F_RDLCK, pid: 0 } });
      assert.equal(await probe.fails(`lock ${fd} set ${F_WRLCK} 0 1`), "EAGAIN");
      state.busy = false;
      // close() flushes with the same owner: the filesystem drops that owner's POSIX locks there.
      await probe.ok(`close ${fd}`);
      assert.equal(seen.flush.at(-1), owner);

      // flock: LOCK_SH / LOCK_EX / LOCK_UN, LOCK_NB as wait = false; the last close releases with its owner.
      const [fd2] = await probe.ok(`open ${at(dir, E8)} ${O_RDWR} 0`);
      await probe.ok(`flock ${fd2} ${LOCK_SH}`);
      await probe.ok(`flock ${fd2} ${LOCK_EX | 4}`);
      state.busy = true;
      assert.equal(await probe.fails(`flock ${fd2} ${LOCK_EX | 4}`), "EAGAIN");
      state.busy = false;
      await probe.ok(`flock ${fd2} ${LOCK_UN}`);
      assert.deepEqual(seen.flock.map((f) => [f.op, f.wait]), [
        [LOCK_SH, true],
        [LOCK_EX, false],
        [LOCK_EX, false],
        [LOCK_UN, true], // without LOCK_NB even an unlock is a SETLKW
      ]);
      const flockOwner = seen.flock[0]!.owner;
      assert.ok(seen.flock.every((f) => f.owner === flockOwner));
      await probe.ok(`close ${fd2}`);
      // RELEASE is sent after close() returns (fs/fuse/file.c fuse_file_put, in the background).
      await eventually(() => seen.release.length === 2, "two RELEASEs after the last closes");
      assert.ok(seen.release.includes(flockOwner), "RELEASE names the flock owner (FUSE_RELEASE_FLOCK_UNLOCK)");
      assert.ok(seen.release.includes(undefined), "a file without flock locks is released without an owner");
    });
  });

  const miscName = `${t}: FALLOCATE, COPY_FILE_RANGE and LSEEK (SEEK_DATA, SEEK_HOLE) reach the handlers`;
  test(miscName, skipIf(transport.skip, miscName), async () => {
    await withFs(transport, "bytes", async ({ dir, probe, seen }) => {
      const [a] = await probe.ok(`open ${at(dir, "a")} ${O_CREAT | O_RDWR} ${0o644}`);
      const [b] = await probe.ok(`open ${at(dir, "b")} ${O_CREAT | O_RDWR} ${0o644}`);
      await probe.ok(`pwrite ${a} 0 ${hex("abcdefgh")}`);
      await probe.ok(`fallocate ${a} 0 4096 8192`);
      await probe.ok(`fallocate ${a} 1 0 100`); // FALLOC_FL_KEEP_SIZE
      assert.deepEqual(seen.fallocate.map((f) => f.slice(2)), [[4096, 8192, 0], [0, 100, 1]]);
      assert.equal((await probe.ok(`stat ${at(dir, "a")}`))[1], "12288", "fallocate grew the file");

      assert.deepEqual(await probe.ok(`copy ${a} 2 ${b} 5 4`), ["3"], "the count the handler answered");
      const copy = seen.copy[0]!;
      assert.ok(copy.opcode === FUSE_COPY_FILE_RANGE_64 || copy.opcode === FUSE_COPY_FILE_RANGE, `${copy.opcode}`);
      const inoA = seen.fallocate[0]![0]!;
      assert.deepEqual([copy.args[0], copy.args[2], copy.args[5], copy.args[6], copy.args[7]], [inoA, 2, 5, 4, 0]);
      assert.deepEqual(await probe.ok(`pread ${b} 0 100`), ["0000000000636465"]);

      assert.deepEqual(await probe.ok(`lseek ${a} 7 ${SEEK_DATA}`), ["107"]);
      assert.deepEqual(await probe.ok(`lseek ${a} 0 ${SEEK_HOLE}`), ["4096"]);
      assert.equal(await probe.fails(`lseek ${a} 5000 ${SEEK_DATA}`), "ENXIO");
      assert.deepEqual(seen.lseek.map((l) => l.slice(1)), [[7, SEEK_DATA], [0, SEEK_HOLE], [5000, SEEK_DATA]]);
    });
  });

  const endName = `${t}: unmounting interrupts a handler that still waits, and its caller gets EINTR`;
  test(endName, skipIf(transport.skip, endName), async () => {
    await withFs(transport, "bytes", async ({ dir, probe, seen, state, server }) => {
      const f = at(dir, E8);
      await probe.ok(`open ${f} ${O_CREAT | O_RDWR} ${0o644}`);
      const entered = nextEntered(state);
      const answer = probe.send(`getxattr ${f} ${hex("user.block")} 100`);
      await entered;
      // No signal reaches the caller: only the unmount can end the handler's wait before its own 3 s run out.
      await server.unmount({ graceMs: 1000 });
      assert.deepEqual(seen.interrupted, ["getxattr"]);
      assert.equal(await answer, "err 4", "getxattr failed with EINTR");
    });
  });

  const intrName = `${t}: FUSE_INTERRUPT aborts the handler's signal and a blocked call answers EINTR`;
  test(intrName, skipIf(transport.skip, intrName), async () => {
    await withFs(transport, "bytes", async ({ dir, probe, seen, state, server }) => {
      const f = at(dir, E8);
      const [fd] = await probe.ok(`open ${f} ${O_CREAT | O_RDWR} ${0o644}`);
      await probe.ok("sigusr1");
      // The caller's signal makes the kernel send FUSE_INTERRUPT; the handler gives up with an AbortError.
      let entered = nextEntered(state);
      let answer = probe.send(`getxattr ${f} ${hex("user.block")} 100`);
      await entered;
      process.kill(probe.pid, "SIGUSR1");
      assert.equal(await answer, "err 4", "getxattr failed with EINTR");
      // A handler may ignore the interrupt: its answer is the call's.
      entered = nextEntered(state);
      answer = probe.send(`getxattr ${f} ${hex("user.stubborn")} 100`);
      await entered;
      process.kill(probe.pid, "SIGUSR1");
      assert.equal(await answer, `ok 4 ${hex("late")}`);
      // A waiting fcntl(F_SETLKW) is interrupted the same way (no SA_RESTART: EINTR).
      state.busy = true;
      entered = nextEntered(state);
      answer = probe.send(`lock ${fd} setw ${F_WRLCK} 0 0`);
      await entered;
      process.kill(probe.pid, "SIGUSR1");
      assert.equal(await answer, "err 4", "fcntl(F_SETLKW) failed with EINTR");
      state.busy = false;
      assert.deepEqual(seen.interrupted, ["getxattr", "stubborn", "setlk"]);
      // The session goes on.
      assert.deepEqual(await probe.ok(`lock ${fd} set ${F_WRLCK} 0 0`), []);
      // An INTERRUPT kept for a request that never came is answered EAGAIN (a race no test can force): the kernel
      // takes the header and answers ENOENT for the unknown request, which is no reply error.
      (server as unknown as { resendInterrupt(lo: number, hi: number): void }).resendInterrupt(0x1001, 0);
      assert.equal(server.stats.replyErrors, 0, server.stats.lastReplyError);
    });
  });
}
