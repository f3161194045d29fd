/**
 * File locks for memfs, which the kernel leaves to a FUSE filesystem that says it handles them (FUSE_POSIX_LOCKS,
 * FUSE_FLOCK_LOCKS in the INIT reply; fs/fuse/file.c fuse_file_lock / fuse_file_flock then send GETLK, SETLK and
 * SETLKW instead of keeping the locks in the kernel).
 *
 * - POSIX (fcntl) record locks belong to a lock owner (the kernel's scrambled `files_struct` pointer, one per
 *   process): byte ranges, shared (F_RDLCK) or exclusive (F_WRLCK). An owner's own locks never conflict with each
 *   other: a new lock replaces what the owner held over its range, splitting older locks around it and merging with
 *   neighbours of the same type, as fs/locks.c posix_lock_inode does. They are all released when the owner closes
 *   any descriptor of the file; the kernel does not send an unlock for that (it keeps no copy of remote locks, so
 *   locks_remove_posix finds nothing), it sends FLUSH with the owner, and memfs releases there.
 * - Open file description locks (F_OFD_SETLK) are POSIX locks whose owner is the open file itself. Nothing tells the
 *   filesystem when they go either: FLUSH names the closing process, and RELEASE carries no owner for them
 *   (fs/fuse/file.c fuse_release_common sets one only after a flock). So memfs records the file handle each lock
 *   was taken through and drops those locks at that handle's RELEASE. No other lock can still be held through a
 *   handle then: every process that used it closed it, and its close's FLUSH dropped all of its locks on the file.
 * - BSD locks (flock) belong to an open file (one file handle): shared or exclusive over the whole file, released
 *   at RELEASE, the open file's last close. Converting one is not atomic: the old lock goes first, as
 *   fs/locks.c flock_lock_inode does.
 *
 * A lock that conflicts is refused with EAGAIN (F_SETLK, LOCK_NB), or waited for (F_SETLKW, flock without
 * LOCK_NB) until whatever blocked it is released; a wait ends with EINTR when the kernel interrupts the request (a
 * signal reached the waiting process), and a POSIX wait that would close a circle of owners waiting for each other
 * fails with EDEADLK.
 *
 * @module
 */
import { F_RDLCK, F_UNLCK, F_WRLCK, type FileLock, FuseError, LOCK_EX, LOCK_SH, LOCK_UN } from "ringside-uring/fuse";

/** A POSIX lock held by an owner, and the file handle it was taken through (undefined: not known). */
interface Held extends FileLock {
  owner: bigint;
  fh: number | undefined;
}

/** A request waiting for a conflict to go. `grant` applies it if nothing conflicts any more. */
interface Waiter {
  grant(): boolean;
  /** For deadlock detection: the POSIX request and who made it (undefined for flock). */
  posix?: { ino: number; owner: bigint; lock: FileLock };
}

function overlaps(a: FileLock, b: FileLock): boolean {
  return a.start <= b.end && b.start <= a.end;
}

function interrupted(): FuseError {
  return new FuseError("EINTR", "the lock wait was interrupted");
}

/**
 * The locks of one filesystem: POSIX record locks by inode and owner, flocks by inode and file handle, and the
 * requests waiting on either.
 *
 * @example
 * ```ts
 * import { F_RDLCK, F_WRLCK } from "ringside-uring/fuse";
 *
 * const locks = new LockTable();
 * locks.setlk(2, 1n, { start: 0, end: 99, type: F_WRLCK, pid: 10 }, false);
 * console.log(locks.getlk(2, 2n, { start: 50, end: 50, type: F_RDLCK, pid: 11 })); // owner 1n's lock, pid 10
 * ```
 */
export class LockTable {
  private readonly posix = new Map<number, Held[]>();
  private readonly flocks = new Map<number, Map<number, number>>();
  private readonly waiters: Waiter[] = [];
  private waking = false;
  private again = false;

  /** GETLK: the first lock of another owner that would block `lock`, or `lock` with type F_UNLCK. */
  getlk(ino: number, owner: bigint, lock: FileLock): FileLock {
    const c = this.conflict(ino, owner, lock);
    return c ? { start: c.start, end: c.end, type: c.type, pid: c.pid } : { ...lock, type: F_UNLCK };
  }

  /**
   * SETLK / SETLKW: sets, changes or (F_UNLCK) releases `owner`'s lock over the range. A conflicting lock of another
   * owner fails it with EAGAIN, or with `wait` makes it wait (the promise settles once granted, or rejects with
   * EINTR when `signal` aborts, or EDEADLK at once when waiting would deadlock). `fh`, the file handle the request
   * came through, lets {@link release} drop the lock when that open file goes (open file description locks).
   */
  setlk(ino: number, owner: bigint, lock: FileLock, wait: boolean, signal?: AbortSignal, fh?: number):
    void | Promise<void> {
    if (lock.type !== F_RDLCK && lock.type !== F_WRLCK && lock.type !== F_UNLCK) throw new FuseError("EINVAL");
    if (lock.start < 0 || lock.end < lock.start) throw new FuseError("EINVAL");
    if (!this.conflict(ino, owner, lock)) {
      this.apply(ino, owner, lock, fh);
      return;
    }
    if (!wait) throw new FuseError("EAGAIN");
    if (this.wouldDeadlock(ino, owner, lock)) throw new FuseError("EDEADLK");
    return this.enqueue(signal, {
      posix: { ino, owner, lock },
      grant: () => {
        if (this.conflict(ino, owner, lock)) return false;
        this.apply(ino, owner, lock, fh);
        return true;
      },
    });
  }

  /** FLUSH (a close by `owner`): releases every POSIX lock `owner` holds on the inode. */
  flush(ino: number, owner: bigint): void {
    const list = this.posix.get(ino);
    if (!list?.some((h) => h.owner === owner)) return;
    this.store(ino, list.filter((h) => h.owner !== owner));
    this.wake();
  }

  /**
   * flock(2) through open file `fh`: LOCK_SH, LOCK_EX or LOCK_UN. A conflicting lock of another open file fails it
   * with EAGAIN (LOCK_NB), or with `wait` makes it wait as {@link setlk} does.
   */
  flock(ino: number, fh: number, op: number, wait: boolean, signal?: AbortSignal): void | Promise<void> {
    if (op !== LOCK_SH && op !== LOCK_EX && op !== LOCK_UN) throw new FuseError("EINVAL");
    const had = this.flocks.get(ino)?.get(fh);
    if (had === op) return;
    if (had !== undefined) this.release(ino, fh);
    if (op === LOCK_UN) return;
    const grant = () => {
      let held = this.flocks.get(ino);
      for (const [other, type] of held ?? []) {
        if (other !== fh && (type === LOCK_EX || op === LOCK_EX)) return false;
      }
      if (!held) this.flocks.set(ino, held = new Map());
      held.set(fh, op);
      return true;
    };
    if (grant()) return;
    if (!wait) throw new FuseError("EAGAIN");
    return this.enqueue(signal, { grant });
  }

  /** RELEASE of open file `fh`: its flock goes, and the POSIX locks taken through it (its OFD locks). */
  release(ino: number, fh: number): void {
    const held = this.flocks.get(ino);
    let changed = held?.delete(fh) ?? false;
    if (held?.size === 0) this.flocks.delete(ino);
    const list = this.posix.get(ino);
    if (list?.some((h) => h.fh === fh)) {
      this.store(ino, list.filter((h) => h.fh !== fh));
      changed = true;
    }
    if (changed) this.wake();
  }

  /** The inode's last open file is gone: no process can hold a lock on it any more. */
  dropInode(ino: number): void {
    const hadPosix = this.posix.delete(ino);
    if (this.flocks.delete(ino) || hadPosix) this.wake();
  }

  /** How many POSIX locks the inode holds (after splitting and merging), for tests and statistics. */
  count(ino: number): number {
    return this.posix.get(ino)?.length ?? 0;
  }

  /** The first lock of another owner that conflicts with `lock` (an unlock conflicts with nothing). */
  private conflict(ino: number, owner: bigint, lock: FileLock): Held | undefined {
    if (lock.type === F_UNLCK) return undefined;
    for (const h of this.posix.get(ino) ?? []) {
      if (h.owner !== owner && overlaps(h, lock) && (h.type === F_WRLCK || lock.type === F_WRLCK)) return h;
    }
    return undefined;
  }

  /** Replaces what `owner` holds over the range with `lock`: splits, merges with same-type neighbours, wakes. */
  private apply(ino: number, owner: bigint, lock: FileLock, fh: number | undefined): void {
    const out: Held[] = [];
    let { start, end } = lock;
    let changed = lock.type !== F_UNLCK;
    for (const h of this.posix.get(ino) ?? []) {
      if (h.owner !== owner) {
        out.push(h);
      } else if (h.type === lock.type && h.start <= end + 1 && start <= h.end + 1) {
        // Touching or overlapping a lock of the same type: one lock covers both. (An owner's same-type locks
        // never touch each other, so a lock that touches the grown range touched the requested one.)
        start = Math.min(start, h.start);
        end = Math.max(end, h.end);
      } else if (!overlaps(h, lock)) {
        out.push(h);
      } else {
        // The part of an older lock outside the new range stays, on either side.
        if (h.start < lock.start) out.push({ ...h, end: lock.start - 1 });
        if (h.end > lock.end) out.push({ ...h, start: lock.end + 1 });
        changed = true;
      }
    }
    if (lock.type !== F_UNLCK) out.push({ owner, fh, start, end, type: lock.type, pid: lock.pid });
    this.store(ino, out);
    // A lock that went away or became shared may let a waiter through.
    if (changed) this.wake();
  }

  private store(ino: number, list: Held[]): void {
    if (list.length === 0) this.posix.delete(ino);
    else this.posix.set(ino, list);
  }

  /**
   * Whether `owner` waiting for `lock` closes a circle: an owner it would wait for waits (directly or through
   * others) for a lock `owner` holds. fs/locks.c posix_locks_deadlock does this for the kernel's own locks.
   */
  private wouldDeadlock(ino: number, owner: bigint, lock: FileLock): boolean {
    const blockers = (i: number, o: bigint, l: FileLock) =>
      (this.posix.get(i) ?? []).filter((h) => h.owner !== o && overlaps(h, l) &&
        (h.type === F_WRLCK || l.type === F_WRLCK)).map((h) => h.owner);
    const seen = new Set<bigint>();
    const todo = blockers(ino, owner, lock);
    while (todo.length > 0) {
      const b = todo.pop()!;
      if (b === owner) return true;
      if (seen.has(b)) continue;
      seen.add(b);
      for (const w of this.waiters) {
        if (w.posix?.owner === b) todo.push(...blockers(w.posix.ino, b, w.posix.lock));
      }
    }
    return false;
  }

  /** Queues a waiter; its promise settles when `wake` grants it or `signal` aborts. */
  private enqueue(signal: AbortSignal | undefined, w: Waiter): Promise<void> {
    if (signal?.aborted) return Promise.reject(interrupted());
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(interrupted());
      };
      const grant = () => {
        if (!w.grant()) return false;
        signal?.removeEventListener("abort", onAbort);
        resolve();
        return true;
      };
      const waiter: Waiter = w.posix ? { grant, posix: w.posix } : { grant };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * Grants, in arrival order, every waiter nothing blocks any more. A grant changes the locks and may call here
   * again (a split lock): that call only asks for another pass.
   */
  private wake(): void {
    if (this.waking) {
      this.again = true;
      return;
    }
    this.waking = true;
    try {
      do {
        this.again = false;
        for (let i = 0; i < this.waiters.length;) {
          const w = this.waiters[i]!;
          this.waiters.splice(i, 1);
          if (w.grant()) continue;
          this.waiters.splice(i++, 0, w);
        }
      } while (this.again);
    } finally {
      this.waking = false;
    }
  }
}
