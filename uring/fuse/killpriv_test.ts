/**
 * FUSE_HANDLE_KILLPRIV_V2 (`handleKillprivV2`), through a real mount served in this thread and written to by
 * tools in child processes, as root and as an unprivileged user (setpriv(1) to uid 65534, no capabilities):
 * the INIT flag, the kill indications the handlers get (FUSE_WRITE_KILL_SUIDGID in `writeFlags`,
 * `SetattrChanges.killSuidgid`; none for fallocate), writes through the page cache that no longer cost a GETXATTR
 * of `security.capability` each, and FUSE_NOTIFY_INVAL_INODE (`notifyInvalInode`) dropping the kernel's stale mode.
 * Without the option, the same writes each cost a GETXATTR and the kernel clears set-ID bits with a SETATTR itself.
 *
 * Every mount is unmounted, and /sys/module/fuse/parameters/enable_uring put back, also when a test fails.
 *
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { skipIf } from "../../testing/mod.ts";
import { cannotMount, noFuseUring, sh, withFuseMount } from "../../testing/fuse.ts";
import { S_IFDIR, S_IFREG } from "../abi/structs.ts";
import { FUSE_HANDLE_KILLPRIV_V2, FUSE_ROOT_ID, FUSE_WRITE_KILL_SUIDGID, initFlagsLow } from "./abi.ts";
import { type Attr, FuseError, type FuseHandlers, type SetattrChanges } from "./handlers.ts";
import type { FuseServer, FuseServerOptions } from "./server.ts";

const t0 = { sec: 1_700_000_000, nsec: 0 };
const FILE = 2;
const noSetpriv = !existsSync("/usr/bin/setpriv") && "setpriv(1) is missing (apt-get install util-linux)";
/** Runs a command as uid/gid 65534 without supplementary groups: no CAP_FSETID. */
const NOBODY = "setpriv --reuid 65534 --regid 65534 --clear-groups";

/** What the handlers saw and how they answer. */
interface Seen {
  writeFlags: number[];
  setattr: SetattrChanges[];
  getxattr: number;
  /** Call notifyInvalInode after a write cleared set-ID bits. */
  notify: boolean;
  server: FuseServer | null;
}

/**
 * One regular file ("f", set-user-ID and set-group-ID, writable by all) in a directory writable by all, its
 * contents dropped: writes through the page cache (no FOPEN_DIRECT_IO). Clears set-ID bits where the kernel says so.
 */
function oneFileFs(seen: Seen): FuseHandlers {
  const root: Attr = { ino: FUSE_ROOT_ID, mode: S_IFDIR | 0o777, nlink: 2, size: 0, atime: t0, mtime: t0, ctime: t0 };
  const file: Attr = { ino: FILE, mode: S_IFREG | 0o6777, nlink: 1, size: 0, atime: t0, mtime: t0, ctime: t0 };
  const kill = () => {
    const before = file.mode;
    file.mode &= ~0o4000;
    if (file.mode & 0o010) file.mode &= ~0o2000;
    return file.mode !== before;
  };
  return {
    lookup: (_ctx, parent, name) => {
      if (parent !== FUSE_ROOT_ID || name !== "f") throw new FuseError("ENOENT");
      return { ino: FILE, attr: file };
    },
    getattr: (_ctx, ino) => ino === FILE ? file : root,
    setattr: (_ctx, ino, c) => {
      if (ino !== FILE) throw new FuseError("EPERM");
      seen.setattr.push(c);
      if (c.size !== undefined) file.size = c.size;
      if (c.killSuidgid) kill();
      if (c.mode !== undefined) file.mode = S_IFREG | (c.mode & 0o7777);
      return file;
    },
    write: (_ctx, _ino, _fh, offset, data, _flags, writeFlags) => {
      seen.writeFlags.push(writeFlags);
      if (writeFlags & FUSE_WRITE_KILL_SUIDGID && kill() && seen.notify) {
        assert.equal(seen.server!.notifyInvalInode(FILE), true);
      }
      file.size = Math.max(file.size, offset + data.byteLength);
      return data.byteLength;
    },
    fallocate: (_ctx, _ino, _fh, offset, length) => {
      seen.setattr.push({ size: -1 }); // a marker: what came before it was the kernel's
      file.size = Math.max(file.size, offset + length);
    },
    getxattr: () => {
      seen.getxattr++;
      throw new FuseError("ENODATA");
    },
  };
}

const transports = [
  { name: "classic", uring: undefined, transport: "classic", skip: cannotMount || noSetpriv },
  { name: "io_uring", uring: true, transport: "io_uring", skip: cannotMount || noSetpriv || noFuseUring },
] as const;

async function withOneFile(
  t: (typeof transports)[number],
  handleKillprivV2: boolean,
  body: (server: FuseServer, dir: string, seen: Seen) => Promise<void>,
): Promise<void> {
  const seen: Seen = { writeFlags: [], setattr: [], getxattr: 0, notify: true, server: null };
  const errors: unknown[] = [];
  // Long timeouts: the kernel believes its cached attributes for a minute unless told otherwise.
  const options: FuseServerOptions<"string"> = {
    transport: t.transport,
    allowOther: true,
    defaultPermissions: true,
    entryTimeout: 60,
    attrTimeout: 60,
    handleKillprivV2,
    onError: (e) => errors.push(e),
  };
  await withFuseMount(t.uring, oneFileFs(seen), options, async (server, dir) => {
    seen.server = server;
    await body(server, dir, seen);
    assert.deepEqual(errors, [], "no handler failed");
  });
}

async function ok(cmd: string): Promise<string> {
  const r = await sh(cmd);
  assert.equal(r.code, 0, `${cmd}: ${r.stderr}`);
  return r.stdout;
}

/** The FUSE requests of each opcode `run` caused. */
async function requests(server: FuseServer, run: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = { ...server.stats.byOpcode };
  await run();
  const d: Record<string, number> = {};
  for (const [op, n] of Object.entries(server.stats.byOpcode)) if (n !== before[op]) d[op] = n - (before[op] ?? 0);
  return d;
}

const WRITES = 512;

for (const t of transports) {
  const onName = `${t.name}: handleKillprivV2 agrees FUSE_HANDLE_KILLPRIV_V2: no GETXATTR per write, the handlers ` +
    "are told when to clear set-ID bits, notifyInvalInode drops the kernel's stale mode";
  test(onName, skipIf(t.skip, onName), async () => {
    await withOneFile(t, true, async (server, dir, seen) => {
      assert.ok(initFlagsLow(server.initFlags) & FUSE_HANDLE_KILLPRIV_V2, "FUSE_HANDLE_KILLPRIV_V2 agreed");
      const f = `${dir}/f`;
      // Writes through the page cache: one WRITE each, no GETXATTR of security.capability (the first write finds
      // none and marks the inode S_NOSEC; a set-ID file never is, fs/inode.c inode_has_no_xattr).
      await ok(`chmod 777 ${f}`);
      const dd = `dd if=/dev/zero of=${f} bs=4k count=${WRITES} conv=notrunc status=none`;
      const d = await requests(server, () => ok(dd));
      assert.ok(d.WRITE! >= WRITES && d.WRITE! < WRITES + 8, JSON.stringify(d));
      assert.ok((d.GETXATTR ?? 0) <= 2, `${d.GETXATTR} GETXATTRs for ${WRITES} writes: ${JSON.stringify(d)}`);
      // Root's writes (CAP_FSETID) carry no kill indication (fs/fuse/file.c fuse_send_write_pages) and keep the bits.
      await ok(`chmod 6777 ${f} && printf x >> ${f}`);
      assert.ok(seen.writeFlags.every((w) => (w & FUSE_WRITE_KILL_SUIDGID) === 0));
      assert.equal((await ok(`stat -c %a ${f}`)).trim(), "6777", "root's writes keep the set-ID bits");

      // An unprivileged append: the write says FUSE_WRITE_KILL_SUIDGID; the handler clears the bits and tells the
      // kernel, whose cached mode (good for a minute) is dropped before the write returns.
      await ok(`cd ${dir} && ${NOBODY} sh -c 'printf x >> f'`);
      assert.ok(seen.writeFlags.at(-1)! & FUSE_WRITE_KILL_SUIDGID, "FUSE_WRITE_KILL_SUIDGID");
      assert.equal((await ok(`stat -c %a ${f}`)).trim(), "777");

      // Without the notification the kernel goes on with the mode it cached (SETATTR's reply, before the WRITE).
      seen.notify = false;
      await ok(`chmod 6777 ${f} && cd ${dir} && ${NOBODY} sh -c 'printf x >> f'`);
      assert.equal((await ok(`stat -c %a ${f}`)).trim(), "6777", "the kernel's stale mode");
      assert.equal(server.notifyInvalInode(FILE), true);
      assert.equal((await ok(`stat -c %a ${f}`)).trim(), "777", "after FUSE_NOTIFY_INVAL_INODE");
      assert.equal(server.notifyInvalInode(1234), false, "an inode the kernel does not know: ENOENT");
      assert.throws(() => server.notifyInvalInode(0), { code: "ERINGSIDE" });
      assert.throws(() => server.notifyInvalInode(FILE, -2), { code: "ERINGSIDE" });

      // A truncate: FATTR_KILL_SUIDGID for the unprivileged caller only.
      seen.setattr.length = 0;
      await ok(`chmod 6777 ${f} && truncate -s 3 ${f} && cd ${dir} && ${NOBODY} truncate -s 1 f`);
      const truncates = seen.setattr.filter((c) => c.size !== undefined);
      assert.deepEqual(truncates.map((c) => [c.size, c.killSuidgid]), [[3, undefined], [1, true]]);
      assert.equal((await ok(`stat -c %a ${f}`)).trim(), "777");

      // fallocate says nothing: the kernel's file_modified sends a SETATTR that changes nothing first (fs/inode.c
      // __remove_privs, its kill bits dropped by fs/fuse/dir.c fuse_setattr), and the FALLOCATE has no flags.
      seen.setattr.length = 0;
      await ok(`chmod 6777 ${f} && cd ${dir} && ${NOBODY} fallocate -l 8192 f`);
      assert.deepEqual(seen.setattr.slice(1), [{}, { size: -1 }]);
      assert.equal((await ok(`stat -c %a ${f}`)).trim(), "6777", "this filesystem did not clear them");
    });
  });

  const offName = `${t.name}: without handleKillprivV2 each write through the page cache costs a GETXATTR, and the ` +
    "kernel clears set-ID bits with a SETATTR of the mode";
  test(offName, skipIf(t.skip, offName), async () => {
    await withOneFile(t, false, async (server, dir, seen) => {
      assert.equal(initFlagsLow(server.initFlags) & FUSE_HANDLE_KILLPRIV_V2, 0);
      const f = `${dir}/f`;
      await ok(`chmod 777 ${f}`);
      const dd = `dd if=/dev/zero of=${f} bs=4k count=${WRITES} conv=notrunc status=none`;
      const d = await requests(server, () => ok(dd));
      // security/commoncap.c cap_inode_need_killpriv asks each time.
      assert.ok(d.GETXATTR! >= WRITES, JSON.stringify(d));
      await ok(`chmod 6777 ${f}`);
      await ok(`cd ${dir} && ${NOBODY} sh -c 'printf x >> f'`);
      assert.equal(seen.writeFlags.at(-1)! & FUSE_WRITE_KILL_SUIDGID, 0);
      // fs/fuse/dir.c fuse_setattr sends the mode without the bits.
      assert.equal(seen.setattr.at(-1)!.mode! & 0o7777, 0o777);
      assert.equal((await ok(`stat -c %a ${f}`)).trim(), "777");
    });
  });
}
