/**
 * The lock table: POSIX ranges split and merge per owner and conflict between owners, waits end when the blocker
 * goes, on an abort (EINTR) or at once on a deadlock; flocks are shared or exclusive per open file.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  F_RDLCK,
  F_UNLCK,
  F_WRLCK,
  type FileLock,
  LOCK_EX,
  LOCK_SH,
  LOCK_TO_EOF as EOF,
  LOCK_UN,
} from "ringside-uring/fuse";
import { LockTable } from "./locks.ts";

const rd = (start: number, end: number, pid = 1): FileLock => ({ start, end, type: F_RDLCK, pid });
const wr = (start: number, end: number, pid = 1): FileLock => ({ start, end, type: F_WRLCK, pid });
const un = (start: number, end: number): FileLock => ({ start, end, type: F_UNLCK, pid: 0 });

/** Whether a promise has settled, after the microtasks queued so far ran. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await new Promise((r) => setTimeout(r, 0));
  return done;
}

test("an owner's locks split around a new range and merge with neighbours of the same type", () => {
  const t = new LockTable();
  t.setlk(1, 1n, wr(0, 99), false);
  t.setlk(1, 1n, rd(40, 59), false); // splits the write lock in three
  assert.equal(t.count(1), 3);
  assert.deepEqual(t.getlk(1, 2n, rd(0, 0)), wr(0, 39));
  assert.equal(t.getlk(1, 2n, rd(40, 59)).type, F_UNLCK, "a read lock does not block a reader");
  assert.deepEqual(t.getlk(1, 2n, wr(50, 50)), rd(40, 59));
  t.setlk(1, 1n, wr(40, 59), false); // the same type as both sides again: one lock
  assert.equal(t.count(1), 1);
  assert.deepEqual(t.getlk(1, 2n, wr(99, 99)), wr(0, 99));
  t.setlk(1, 1n, wr(100, EOF), false); // adjacent: merged to the end of the file
  assert.equal(t.count(1), 1);
  t.setlk(1, 1n, un(10, 19), false);
  assert.equal(t.count(1), 2);
  assert.equal(t.getlk(1, 2n, wr(10, 19)).type, F_UNLCK);
  assert.deepEqual(t.getlk(1, 2n, wr(5, 25)), wr(0, 9));
  t.flush(1, 1n);
  assert.equal(t.count(1), 0);
});

test("owners conflict over overlapping ranges unless both read; F_SETLK answers EAGAIN", () => {
  const t = new LockTable();
  t.setlk(1, 1n, rd(0, 9), false);
  t.setlk(1, 2n, rd(5, 14), false);
  assert.throws(() => t.setlk(1, 2n, wr(0, 0), false), { code: "EAGAIN" });
  t.setlk(1, 2n, wr(10, 20), false); // beyond owner 1's range
  assert.throws(() => t.setlk(1, 1n, rd(20, 30), false), { code: "EAGAIN" });
  t.setlk(2, 1n, wr(0, EOF), false); // another inode: no conflict
  assert.equal(t.getlk(1, 3n, wr(0, EOF)).type, F_RDLCK);
});

test("F_SETLKW waits until the blocking owner unlocks or closes, then holds the lock", async () => {
  const t = new LockTable();
  t.setlk(1, 1n, wr(0, 99), false);
  const waiting = t.setlk(1, 2n, wr(50, 60, 2), true) as Promise<void>;
  assert.ok(waiting instanceof Promise);
  assert.equal(await settled(waiting), false);
  t.setlk(1, 1n, un(0, 40), false); // not the part it waits for
  assert.equal(await settled(waiting), false);
  t.flush(1, 1n); // the owner closed the file
  await waiting;
  assert.deepEqual(t.getlk(1, 1n, rd(55, 55)), wr(50, 60, 2));
});

test("an aborted wait rejects with EINTR and leaves no lock behind", async () => {
  const t = new LockTable();
  t.setlk(1, 1n, wr(0, 0), false);
  const ac = new AbortController();
  const waiting = t.setlk(1, 2n, wr(0, 0), true, ac.signal) as Promise<void>;
  ac.abort();
  await assert.rejects(waiting, { code: "EINTR" });
  t.flush(1, 1n);
  assert.equal(t.count(1), 0);
  const aborted = AbortSignal.abort();
  t.setlk(1, 1n, wr(0, 0), false);
  await assert.rejects(t.setlk(1, 2n, wr(0, 0), true, aborted) as Promise<void>, { code: "EINTR" });
});

test("a wait that would close a circle of owners fails with EDEADLK", async () => {
  const t = new LockTable();
  t.setlk(1, 1n, wr(0, 0), false);
  t.setlk(2, 2n, wr(0, 0), false);
  const first = t.setlk(2, 1n, wr(0, 0), true) as Promise<void>; // 1 waits for 2
  assert.throws(() => t.setlk(1, 2n, wr(0, 0), true), { code: "EDEADLK" }); // 2 would wait for 1
  t.flush(2, 2n);
  await first;
});

test("waiters are granted in order, and a shared grant lets the other readers through", async () => {
  const t = new LockTable();
  t.setlk(1, 1n, wr(0, 9), false);
  const order: string[] = [];
  const a = (t.setlk(1, 2n, rd(0, 9), true) as Promise<void>).then(() => order.push("a"));
  const b = (t.setlk(1, 3n, rd(5, 5), true) as Promise<void>).then(() => order.push("b"));
  const c = (t.setlk(1, 4n, wr(0, 0), true) as Promise<void>).then(() => order.push("c"));
  t.setlk(1, 1n, un(0, 9), false);
  await Promise.all([a, b]);
  assert.deepEqual(order, ["a", "b"]);
  assert.equal(await settled(c), false);
  t.flush(1, 2n);
  t.flush(1, 3n);
  await c;
  assert.deepEqual(order, ["a", "b", "c"]);
});

test("flock: shared with shared, exclusive alone, per open file, released at release", async () => {
  const t = new LockTable();
  t.flock(1, 10, LOCK_SH, false);
  t.flock(1, 11, LOCK_SH, false);
  assert.throws(() => t.flock(1, 12, LOCK_EX, false), { code: "EAGAIN" });
  // Converting drops the old lock first (fs/locks.c flock_lock_inode): a refused upgrade holds nothing after.
  assert.throws(() => t.flock(1, 10, LOCK_EX, false), { code: "EAGAIN" });
  const ex = t.flock(1, 12, LOCK_EX, true) as Promise<void>;
  assert.equal(await settled(ex), false);
  t.release(1, 11);
  await ex;
  assert.throws(() => t.flock(1, 10, LOCK_SH, false), { code: "EAGAIN" });
  const ac = new AbortController();
  const sh = t.flock(1, 10, LOCK_SH, true, ac.signal) as Promise<void>;
  ac.abort();
  await assert.rejects(sh, { code: "EINTR" });
  t.flock(1, 12, LOCK_UN, false);
  t.flock(1, 10, LOCK_SH, false);
  t.flock(1, 10, LOCK_SH, false); // again: nothing changes
  // flock and POSIX locks do not see each other.
  t.setlk(1, 1n, wr(0, EOF), false);
  t.dropInode(1);
  t.flock(1, 12, LOCK_EX, false);
});

test("an open file description's POSIX locks (OFD locks) go at its release, other owners' locks stay", () => {
  // F_OFD_SETLK's owner is the open file itself, and a FUSE filesystem never gets an unlock for it: FLUSH names the
  // closing process, and the kernel's locks_remove_file finds none of the locks it left to the filesystem.
  const t = new LockTable();
  const ofd = 0xaaaan; // the scrambled struct file pointer of fh 10
  t.setlk(1, ofd, wr(0, 9), false, undefined, 10);
  t.setlk(1, 2n, wr(20, 29), false, undefined, 11); // a process's lock, through another open file
  t.flush(1, 3n); // the close() of fh 10, by a process that owns nothing here
  assert.throws(() => t.setlk(1, 4n, wr(0, 0), false, undefined, 12), { code: "EAGAIN" });
  t.release(1, 10);
  t.setlk(1, 4n, wr(0, 0), false, undefined, 12);
  assert.deepEqual(t.getlk(1, 5n, wr(20, 20)), wr(20, 29), "a lock taken through another open file stays");
  // The lock's record keeps the open file it came through when split or merged.
  t.setlk(1, ofd, wr(40, 49), false, undefined, 13);
  t.setlk(1, ofd, rd(42, 43), false, undefined, 13);
  t.setlk(1, ofd, rd(44, 60), false, undefined, 13);
  assert.equal(t.count(1), 4, "owner 2's, owner 4's, and fh 13's write lock 40-41 and read lock 42-60");
  t.release(1, 13);
  assert.equal(t.count(1), 2);
});
