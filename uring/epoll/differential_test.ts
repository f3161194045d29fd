/**
 * The epoll backend against the kernel: the same prepped SQE sequences run on a real io_uring `Ring` and on an
 * `EpollRing`, on fresh descriptors each, and their CQEs (user_data, res, flags) must be the same, per user_data in
 * arrival order. The one flag left out is IORING_CQE_F_SOCK_NONEMPTY, which the epoll backend does not report.
 * Results that are descriptor numbers are compared as "a descriptor" (each run gets its own numbers).
 */
import assert from "node:assert/strict";
import process from "node:process";
import { writeFileSync } from "node:fs";
import { it, pipePair, socketPair, tempDir } from "../../testing/mod.ts";
import { libc } from "../../ffi/mod.ts";
import { NativeMemory } from "../core/memory.ts";
import { Ring } from "../ring/ring.ts";
import { type Sqe, sqeAddFlags, sqeSetBufGroup, sqeSetData } from "../ring/sqe.ts";
import { probeOpcodes, trySetup } from "../ring/probe.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { registerBufRing, unregisterBufRing } from "../ring/registered_buf_rings.ts";
import { writeTimespecNs } from "../abi/timespec.ts";
import { putIovec } from "../abi/structs.ts";
import {
  IORING_ASYNC_CANCEL_ALL,
  IORING_ASYNC_CANCEL_ANY,
  IORING_CQE_F_SOCK_NONEMPTY,
  IORING_NOP_INJECT_RESULT,
  IORING_OP_ACCEPT,
  IORING_OP_CONNECT,
  IORING_OP_MKDIRAT,
  IORING_OP_READ_MULTISHOT,
  IORING_OP_RENAMEAT,
  IORING_RECVSEND_POLL_FIRST,
  IORING_TIMEOUT_ETIME_SUCCESS,
  IORING_TIMEOUT_MULTISHOT,
  IOSQE_BUFFER_SELECT,
  IOSQE_CQE_SKIP_SUCCESS,
  IOSQE_IO_DRAIN,
  IOSQE_IO_HARDLINK,
  IOSQE_IO_LINK,
  IORING_POLL_UPDATE_EVENTS,
  IORING_POLL_UPDATE_USER_DATA,
} from "../abi/uapi.ts";
import { syscalls } from "../../ffi/syscalls.ts";
import { MSG_DONTWAIT, MSG_WAITALL } from "../abi/sockaddr.ts";
import { H_IOPRIO, prepRw, W_LEN, W_OP_FLAGS } from "../prep/base.ts";
import {
  prepCancel64,
  prepClose,
  prepEpollWait,
  prepFsync,
  prepLinkTimeout,
  prepMkdirat,
  prepNop,
  prepOpenat,
  prepPollAdd,
  prepPollMultishot,
  prepPollRemove,
  prepPollUpdate,
  prepProvideBuffers,
  prepRead,
  prepReadMultishot,
  prepReadv,
  prepRecv,
  prepRecvmsg,
  prepRecvMultishot,
  prepRemoveBuffers,
  prepRenameat,
  prepSend,
  prepSendmsg,
  prepShutdown,
  prepStatx,
  prepTimeout,
  prepTimeoutRemove,
  prepUnlinkat,
  prepWrite,
  prepWritev,
} from "../prep/mod.ts";
import { EpollRing, type RingApi } from "./mod.ts";

const noRing = (() => {
  const s = trySetup();
  return s.ok ? false : `io_uring cannot be set up here (${s.code}): nothing to compare with`;
})();
const AT_FDCWD = -100;

type Cqe = [userData: number, res: number, flags: number];

/** What a scenario gets: its ring, scratch native memory, and a way to register descriptors to close. */
interface Env {
  ring: RingApi;
  mem: NativeMemory;
  view: DataView;
  fds: number[];
  /** Writes an SQE with `prep`, `userData` and extra `flags`. */
  sqe(prep: (sqe: Sqe) => void, userData: number, flags?: number): void;
  /**
   * Submits and waits (ten seconds at most: a pool thread starting under `deno test` is type-checked first) until
   * `n` more CQEs arrived; returns them in arrival order.
   */
  wait(n: number): Cqe[];
  /** A timespec of `ms` milliseconds at `at` in `mem`; returns its address. */
  ts(at: number, ms: number): number;
}

function makeEnv(ring: RingApi): Env {
  const mem = NativeMemory.allocate(1 << 16);
  const view = new DataView(mem.buffer);
  const env: Env = {
    ring,
    mem,
    view,
    fds: [],
    sqe(prep, userData, flags = 0) {
      const s = ring.getSqe()!;
      prep(s);
      sqeSetData(s, userData);
      if (flags) sqeAddFlags(s, flags);
    },
    wait(n) {
      const out: Cqe[] = [];
      const deadline = performance.now() + 10_000;
      ring.submit();
      while (out.length < n && performance.now() < deadline) {
        ring.submitAndWait(1, { timeoutNs: 20e6 });
        ring.forEachCqe((ud, res, flags) => void out.push([ud, res, flags & ~IORING_CQE_F_SOCK_NONEMPTY]));
      }
      if (process.env.SHOW_CQES && out.length < n) console.log("short wait", ring.constructor.name, n, out);
      return out;
    },
    ts(at, ms) {
      writeTimespecNs(view, at, ms * 1e6);
      return mem.address + at;
    },
  };
  return env;
}

/** Runs `scenario` on a kernel ring and on an epoll ring; returns both CQE lists. */
function both(scenario: (env: Env) => Cqe[]): [Cqe[], Cqe[]] {
  const out: Cqe[][] = [];
  for (const make of [() => new Ring(64), () => new EpollRing(64)]) {
    const ring = make() as RingApi;
    const env = makeEnv(ring);
    try {
      out.push(scenario(env));
    } finally {
      ring.close();
      for (const fd of env.fds) libc().close(fd);
      env.mem.free();
    }
  }
  return [out[0]!, out[1]!];
}

/** CQEs grouped by user_data (each group in arrival order), for comparing runs whose interleaving may differ. */
function byUserData(cqes: Cqe[]): Cqe[] {
  return [...cqes].sort((a, b) => a[0] - b[0]);
}

function same(scenario: (env: Env) => Cqe[], ordered = false): void {
  const [kernel, epoll] = both(scenario);
  if (process.env.SHOW_CQES) console.log(JSON.stringify(kernel), JSON.stringify(epoll));
  assert.deepEqual(ordered ? epoll : byUserData(epoll), ordered ? kernel : byUserData(kernel),
    `kernel: ${JSON.stringify(kernel)}\nepoll:  ${JSON.stringify(epoll)}`);
}

const text = (s: string) => new TextEncoder().encode(s);
const since = (major: number, minor: number, what: string) =>
  noRing || (!kernelVersionAtLeast(major, minor) && `${what} needs Linux ${major}.${minor}`);

it("NOP, an injected result, a skipped success and an unknown opcode complete alike", since(6, 10, "NOP_INJECT"), () =>
  same((e) => {
    e.sqe(prepNop, 1);
    e.sqe((s) => {
      prepNop(s);
      s.u32[W_OP_FLAGS] = IORING_NOP_INJECT_RESULT;
      s.u32[W_LEN] = 42;
    }, 2);
    e.sqe(prepNop, 3, IOSQE_CQE_SKIP_SUCCESS);
    e.sqe((s) => {
      prepNop(s);
      s.u8[0] = 250;
    }, 4);
    e.sqe(prepNop, 5);
    return e.wait(4);
  }, true));

it("recv on a socket: data already there, data that comes later, MSG_DONTWAIT with none", noRing, () =>
  same((e) => {
    const [a, b] = socketPair();
    e.fds.push(a, b);
    libc().write(a, text("first"), 5);
    e.sqe((s) => prepRecv(s, b, e.mem.address, 100, 0), 1);
    const first = e.wait(1);
    e.sqe((s) => prepRecv(s, b, e.mem.address, 100, MSG_DONTWAIT), 2);
    const dontwait = e.wait(1);
    e.sqe((s) => prepRecv(s, b, e.mem.address + 100, 3, 0), 3);
    e.ring.submit();
    libc().write(a, text("later"), 5);
    const later = e.wait(1);
    assert.equal(new TextDecoder().decode(e.mem.bytes.subarray(0, 5)), "first");
    return [...first, ...dontwait, ...later];
  }));

it("recv with IORING_RECVSEND_POLL_FIRST waits for data that comes later",
  since(5, 19, "IORING_RECVSEND_POLL_FIRST (io_recv reading it from sqe->ioprio)"), () =>
    same((e) => {
      // Two requests waiting on one socket are served in no promised order (the kernel wakes the last armed
      // first): one socket each.
      const [a, b] = socketPair();
      const [c, d] = socketPair();
      e.fds.push(a, b, c, d);
      e.sqe((s) => prepRecv(s, b, e.mem.address + 100, 3, 0), 3);
      e.sqe((s) => {
        prepRecv(s, d, e.mem.address + 200, 100, 0);
        s.u16[H_IOPRIO] = IORING_RECVSEND_POLL_FIRST;
      }, 4);
      e.ring.submit();
      libc().write(a, text("later"), 5);
      libc().write(c, text("later"), 5);
      return e.wait(2);
    }));

it("recv with MSG_WAITALL waits for all of it across several sends", noRing, () =>
  same((e) => {
    const [a, b] = socketPair();
    e.fds.push(a, b);
    e.sqe((s) => prepRecv(s, b, e.mem.address, 10, MSG_WAITALL), 1);
    e.ring.submit();
    libc().write(a, text("12345"), 5);
    e.ring.submitAndWait(0);
    libc().write(a, text("67890"), 5);
    return e.wait(1);
  }));

it("read and write on pipes: data there, data later, offset 0 on a pipe, EBADF, ENOTSOCK", noRing, () =>
  same((e) => {
    const [r, w] = pipePair();
    e.fds.push(r, w);
    e.mem.bytes.set(text("pipe data"), 1000);
    e.sqe((s) => prepWrite(s, w, e.mem.address + 1000, 9, -1), 1);
    const wrote = e.wait(1);
    // One read of the pipe in flight at a time: before pipes had FMODE_NOWAIT (Linux 6.1 and older), io-wq
    // workers read them with blocking reads, in no promised order.
    e.sqe((s) => prepRead(s, r, e.mem.address, 4, 0), 2);
    const read = e.wait(1);
    e.sqe((s) => prepRead(s, r, e.mem.address, 100, -1), 3);
    read.push(...e.wait(1));
    e.sqe((s) => prepRead(s, r, e.mem.address, 100, -1), 4);
    e.ring.submit();
    libc().write(w, text("x"), 1);
    const later = e.wait(1);
    e.sqe((s) => prepRead(s, 1 << 20, e.mem.address, 1, -1), 5);
    e.sqe((s) => prepRecv(s, r, e.mem.address, 1, 0), 6);
    return [...wrote, ...read, ...later, ...e.wait(2)];
  }));

it("readv and writev on a socket and a pipe", noRing, () =>
  same((e) => {
    const [a, b] = socketPair();
    const [r, w] = pipePair();
    e.fds.push(a, b, r, w);
    e.mem.bytes.set(text("abcdefgh"), 1000);
    putIovec(e.view, 0, e.mem.address + 1000, 3);
    putIovec(e.view, 16, e.mem.address + 1003, 5);
    putIovec(e.view, 32, e.mem.address + 2000, 2);
    putIovec(e.view, 48, e.mem.address + 2002, 10);
    e.sqe((s) => prepWritev(s, a, e.mem.address, 2, -1), 1);
    e.sqe((s) => prepWritev(s, w, e.mem.address, 2, -1), 2);
    const wrote = e.wait(2);
    e.sqe((s) => prepReadv(s, b, e.mem.address + 32, 2, -1), 3);
    e.sqe((s) => prepReadv(s, r, e.mem.address + 32, 2, -1), 4);
    return [...wrote, ...e.wait(2)];
  }));

it("links: a chain runs in order; a failure cancels the rest", noRing, () =>
  same((e) => {
    e.sqe(prepNop, 1, IOSQE_IO_LINK);
    e.sqe(prepNop, 2, IOSQE_IO_LINK);
    e.sqe(prepNop, 3);
    const ok = e.wait(3);
    e.sqe((s) => prepRead(s, 1 << 20, e.mem.address, 1, -1), 4, IOSQE_IO_LINK);
    e.sqe(prepNop, 5, IOSQE_IO_LINK);
    e.sqe(prepNop, 6);
    return [...ok, ...e.wait(3)];
  }, true));

it("links: IO_HARDLINK goes on past a request failing on a bad descriptor",
  since(5, 18, "looking the descriptor up at issue (before, io_init_req failed it at submission, which fails even hard links)"),
  () =>
    same((e) => {
      e.sqe((s) => prepRead(s, 1 << 20, e.mem.address, 1, -1), 7, IOSQE_IO_HARDLINK);
      e.sqe(prepNop, 8);
      return e.wait(2);
    }, true));

it("a short read of a pipe in a chain breaks it", noRing, () =>
  same((e) => {
    const [r, w] = pipePair();
    e.fds.push(r, w);
    libc().write(w, text("ab"), 2);
    e.sqe((s) => prepRead(s, r, e.mem.address, 10, -1), 1, IOSQE_IO_LINK);
    e.sqe(prepNop, 2);
    return e.wait(2);
  }, true));

it("linked timeouts: the request first (the timeout is cancelled), the timeout first (the request is)", noRing, () =>
  same((e) => {
    const [a, b] = socketPair();
    e.fds.push(a, b);
    libc().write(a, text("x"), 1);
    e.sqe((s) => prepRecv(s, b, e.mem.address, 10, 0), 1, IOSQE_IO_LINK);
    e.sqe((s) => prepLinkTimeout(s, e.ts(4000, 1000), 0), 2);
    const fast = e.wait(2);
    e.sqe((s) => prepRecv(s, b, e.mem.address, 10, 0), 3, IOSQE_IO_LINK);
    e.sqe((s) => prepLinkTimeout(s, e.ts(4016, 20), 0), 4, IOSQE_IO_LINK);
    e.sqe(prepNop, 5);
    return [...fast, ...e.wait(3)];
  }));

it("timeouts: by time, by completion count, removed, missing", noRing, () =>
  same((e) => {
    e.sqe((s) => prepTimeout(s, e.ts(4000, 10), 0, 0), 1);
    const timed = e.wait(1);
    e.sqe((s) => prepTimeout(s, e.ts(4016, 5000), 2, 0), 2);
    e.sqe(prepNop, 3);
    e.sqe(prepNop, 4);
    const counted = e.wait(3);
    e.sqe((s) => prepTimeout(s, e.ts(4032, 5000), 0, 0), 5);
    e.ring.submit();
    e.sqe((s) => prepTimeoutRemove(s, 5, 0), 6);
    e.sqe((s) => prepTimeoutRemove(s, 99, 0), 7);
    return [...timed, ...counted, ...e.wait(3)];
  }));

it("a multishot timeout fires its count of times", since(6, 4, "IORING_TIMEOUT_MULTISHOT"), () =>
  same((e) => {
    e.sqe((s) => prepTimeout(s, e.ts(4048, 5), 3, IORING_TIMEOUT_MULTISHOT), 8);
    return e.wait(3);
  }));

it("a timeout with ETIME_SUCCESS does not break its chain", since(5, 16, "IORING_TIMEOUT_ETIME_SUCCESS"), () =>
  same((e) => {
    e.sqe((s) => prepTimeout(s, e.ts(4064, 5), 0, IORING_TIMEOUT_ETIME_SUCCESS), 9, IOSQE_IO_LINK);
    e.sqe(prepNop, 10);
    return e.wait(2);
  }));

it("ASYNC_CANCEL: by user_data and a missing one", noRing, () =>
  same((e) => {
    const [a, b] = socketPair();
    e.fds.push(a, b);
    e.sqe((s) => prepRecv(s, b, e.mem.address, 10, 0), 1);
    e.ring.submit();
    e.sqe((s) => prepCancel64(s, 1, 0), 2);
    e.sqe((s) => prepCancel64(s, 77, 0), 3);
    return e.wait(3);
  }));

it("ASYNC_CANCEL with ANY|ALL ends every request and counts them", since(5, 19, "IORING_ASYNC_CANCEL_ANY"), () =>
  same((e) => {
    const [a, b] = socketPair();
    e.fds.push(a, b);
    e.sqe((s) => prepRecv(s, b, e.mem.address, 10, 0), 4);
    e.sqe((s) => prepPollAdd(s, b, 1), 5);
    e.sqe((s) => prepTimeout(s, e.ts(4000, 5000), 0, 0), 6);
    e.ring.submit();
    e.sqe((s) => prepCancel64(s, 0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL), 7);
    return e.wait(4);
  }));

it("POLL_ADD: ready later, ready now, a regular file; POLL_REMOVE; multishot poll per wake-up", noRing, () => {
  const dir = tempDir("ringside-epoll-diff-");
  const path = dir.file("data");
  same((e) => {
    const [a, b] = socketPair();
    e.fds.push(a, b);
    const POLLIN = 1;
    const POLLOUT = 4;
    e.sqe((s) => prepPollAdd(s, b, POLLIN), 1);
    e.ring.submit();
    libc().write(a, text("x"), 1);
    const later = e.wait(1);
    e.sqe((s) => prepPollAdd(s, b, POLLIN | POLLOUT), 2);
    const now = e.wait(1);
    writeFileSync(path, "x");
    const f = libc().socket(1, 1, 0); // a socket that is not connected: POLLOUT? (let the kernel say)
    e.fds.push(f);
    e.sqe((s) => prepPollAdd(s, f, POLLIN | POLLOUT), 3);
    const unconnected = e.wait(1);
    const [r, w] = pipePair();
    e.fds.push(r, w);
    e.sqe((s) => prepPollAdd(s, r, POLLIN), 4);
    e.ring.submit();
    e.sqe((s) => prepPollRemove(s, 4), 5);
    const removed = e.wait(2);
    e.sqe((s) => prepPollMultishot(s, r, POLLIN), 6);
    e.ring.submit();
    e.ring.submitAndWait(0);
    libc().write(w, text("1"), 1);
    e.wait(0);
    const one = e.wait(1);
    libc().write(w, text("2"), 1);
    const two = e.wait(1);
    e.sqe((s) => prepPollRemove(s, 6), 7);
    return [...later, ...now, ...unconnected, ...removed, ...one, ...two, ...e.wait(2)];
  });
});

it("a buffer ring: multishot recv takes buffers in order, then ends with ENOBUFS", since(6, 0, "multishot recv"), () =>
  same((e) => {
    const [a, b] = socketPair();
    e.fds.push(a, b);
    const ringMem = NativeMemory.allocate(4096);
    const bufs = NativeMemory.allocate(2 * 64);
    try {
      registerBufRing(e.ring as Ring, { memory: ringMem, entries: 2, bgid: 3 });
      const v = new DataView(ringMem.buffer);
      for (let bid = 0; bid < 2; bid++) {
        v.setBigUint64(bid * 16, BigInt(bufs.address + bid * 64), true);
        v.setUint32(bid * 16 + 8, 64, true);
        v.setUint16(bid * 16 + 12, bid, true);
      }
      v.setUint16(14, 2, true);
      e.sqe((s) => {
        prepRecvMultishot(s, b, 0, 0, 0);
        sqeSetBufGroup(s, 3);
      }, 1, IOSQE_BUFFER_SELECT);
      e.ring.submit();
      const out: Cqe[] = [];
      for (const msg of ["one", "two", "three"]) {
        libc().write(a, text(msg), msg.length);
        out.push(...e.wait(1));
      }
      assert.equal(new TextDecoder().decode(bufs.bytes.subarray(64, 67)), "two");
      // The multishot recv ended (ENOBUFS); with both buffers back a new one gets the rest, then end of file.
      v.setUint16(14, 4, true);
      libc().close(a);
      e.fds.splice(e.fds.indexOf(a), 1);
      e.sqe((s) => {
        prepRecvMultishot(s, b, 0, 0, 0);
        sqeSetBufGroup(s, 3);
      }, 2, IOSQE_BUFFER_SELECT);
      out.push(...e.wait(2));
      unregisterBufRing(e.ring as Ring, 3);
      return out;
    } finally {
      bufs.free();
      ringMem.free();
    }
  }));

it("classic provided buffers: provided, picked front first, removed",
  since(5, 19, "classic provided buffers taken front first, and a length of 0 meaning the buffer's (io_buffer_select)"),
  () =>
  same((e) => {
    const [a, b] = socketPair();
    e.fds.push(a, b);
    e.sqe((s) => prepProvideBuffers(s, e.mem.address + 8192, 32, 4, 9, 10), 1);
    libc().write(a, text("hi"), 2);
    e.sqe((s) => {
      prepRecv(s, b, 0, 0, 0);
      sqeSetBufGroup(s, 9);
    }, 2, IOSQE_BUFFER_SELECT);
    const got = e.wait(2);
    // A pipe read that selects a buffer, with data and at end of file.
    const [r, w] = pipePair();
    e.fds.push(r, w);
    libc().write(w, text("pipe"), 4);
    libc().close(w);
    e.fds.splice(e.fds.indexOf(w), 1);
    for (const ud of [6, 7]) {
      e.sqe((s) => {
        prepRead(s, r, 0, 16, -1);
        sqeSetBufGroup(s, 9);
      }, ud, IOSQE_BUFFER_SELECT);
      got.push(...e.wait(1));
    }
    // End of file on a recv that selects a buffer.
    libc().close(a);
    e.fds.splice(e.fds.indexOf(a), 1);
    e.sqe((s) => {
      prepRecv(s, b, 0, 0, 0);
      sqeSetBufGroup(s, 9);
    }, 5, IOSQE_BUFFER_SELECT);
    got.push(...e.wait(1));
    e.sqe((s) => prepRemoveBuffers(s, 10, 9), 3);
    e.sqe((s) => prepRemoveBuffers(s, 1, 9), 4);
    return [...got, ...e.wait(2)];
  }, true));

it("read multishot on a pipe and its errors on a regular file", since(6, 7, "IORING_OP_READ_MULTISHOT"), () => {
  if (!probeOpcodes().isSupported(IORING_OP_READ_MULTISHOT)) return;
  const dir = tempDir("ringside-epoll-diff-");
  const path = dir.file("data");
  writeFileSync(path, "file");
  same((e) => {
    const [r, w] = pipePair();
    e.fds.push(r, w);
    const ringMem = NativeMemory.allocate(4096);
    const bufs = NativeMemory.allocate(4 * 16);
    const f = libc().socket(1, 1, 0);
    try {
      registerBufRing(e.ring as Ring, { memory: ringMem, entries: 4, bgid: 1 });
      const v = new DataView(ringMem.buffer);
      for (let bid = 0; bid < 4; bid++) {
        v.setBigUint64(bid * 16, BigInt(bufs.address + bid * 16), true);
        v.setUint32(bid * 16 + 8, 16, true);
        v.setUint16(bid * 16 + 12, bid, true);
      }
      v.setUint16(14, 4, true);
      e.sqe((s) => prepReadMultishot(s, r, 0, 0, 1), 1);
      e.ring.submit();
      libc().write(w, text("abc"), 3);
      const out = e.wait(1);
      libc().close(w);
      e.fds.splice(e.fds.indexOf(w), 1);
      out.push(...e.wait(1));
      unregisterBufRing(e.ring as Ring, 1);
      return out;
    } finally {
      libc().close(f);
      bufs.free();
      ringMem.free();
    }
  });
});

const noPathOps = noRing || (!probeOpcodes().isSupported(IORING_OP_MKDIRAT) && "IORING_OP_MKDIRAT needs Linux 5.15") ||
  (!probeOpcodes().isSupported(IORING_OP_RENAMEAT) && "IORING_OP_RENAMEAT needs Linux 5.11");

it("files: openat, write, fsync, read, statx, close", noRing, () => {
  const dir = tempDir("ringside-epoll-diff-");
  let n = 0;
  same((e) => {
    const base = `${dir.dir}/run${n++}`;
    e.mem.bytes.set(text(`${base}-file\0`), 0);
    const file = e.mem.address;
    e.sqe((s) => prepOpenat(s, AT_FDCWD, file, 0o102 /* O_RDWR | O_CREAT */, 0o644), 1);
    const [opened] = e.wait(1);
    const fd = opened![1];
    e.fds.push(fd);
    e.mem.bytes.set(text("hello file"), 2048);
    e.sqe((s) => prepWrite(s, fd, e.mem.address + 2048, 10, 0), 2, IOSQE_IO_LINK);
    e.sqe((s) => prepFsync(s, fd, 0), 3, IOSQE_IO_LINK);
    e.sqe((s) => prepRead(s, fd, e.mem.address + 3000, 100, 6), 4);
    const io = e.wait(3);
    e.sqe((s) => prepStatx(s, AT_FDCWD, file, 0, 0x7ff, e.mem.address + 4096), 5);
    const meta = e.wait(1);
    const size = Number(e.view.getBigUint64(4096 + 40, true));
    e.sqe((s) => prepClose(s, fd), 9);
    e.fds.splice(e.fds.indexOf(fd), 1);
    return [[1, fd >= 0 ? 0 : fd, opened![2]], ...io, ...meta, [0, size, 0], ...e.wait(1)];
  });
});

it("files: renameat, mkdirat, unlinkat in a chain", noPathOps, () => {
  const dir = tempDir("ringside-epoll-diff-");
  let n = 0;
  same((e) => {
    const base = `${dir.dir}/run${n++}`;
    const path = (name: string, at: number) => {
      e.mem.bytes.set(text(`${base}-${name}\0`), at);
      return e.mem.address + at;
    };
    const file = path("file", 0);
    const renamed = path("renamed", 512);
    const sub = path("dir", 1024);
    writeFileSync(`${base}-file`, "x");
    e.sqe((s) => prepRenameat(s, AT_FDCWD, file, AT_FDCWD, renamed, 0), 6, IOSQE_IO_LINK);
    e.sqe((s) => prepMkdirat(s, AT_FDCWD, sub, 0o755), 7, IOSQE_IO_LINK);
    e.sqe((s) => prepUnlinkat(s, AT_FDCWD, file, 0), 8);
    return e.wait(3);
  });
});

it("shutdown, and a recv after it sees end of file", noRing, () =>
  same((e) => {
    const [a, b] = socketPair();
    e.fds.push(a, b);
    e.sqe((s) => prepRecv(s, b, e.mem.address, 10, 0), 1);
    e.ring.submit();
    e.sqe((s) => prepShutdown(s, a, 1), 2);
    const out = e.wait(2);
    e.sqe((s) => prepSend(s, a, e.mem.address, 1, 0), 3);
    return [...out, ...e.wait(1)];
  }));

/** A buffer ring of `entries` buffers of `size` bytes for group `bgid`, all published. */
function bufferRing(e: Env, bgid: number, entries: number, size: number, flags = 0) {
  const ringMem = NativeMemory.allocate(4096);
  const bufs = NativeMemory.allocate(entries * size);
  registerBufRing(e.ring as Ring, { memory: ringMem, entries, bgid, flags });
  const v = new DataView(ringMem.buffer);
  for (let bid = 0; bid < entries; bid++) {
    v.setBigUint64(bid * 16, BigInt(bufs.address + bid * size), true);
    v.setUint32(bid * 16 + 8, size, true);
    v.setUint16(bid * 16 + 12, bid, true);
  }
  v.setUint16(14, entries, true);
  return {
    bufs,
    view: v,
    close() {
      unregisterBufRing(e.ring as Ring, bgid);
      bufs.free();
      ringMem.free();
    },
  };
}

it("an incremental buffer ring: transfers use a buffer piecewise (BUF_MORE) until it is full", since(6, 12, "IOU_PBUF_RING_INC"),
  () =>
    same((e) => {
      const [a, b] = socketPair();
      e.fds.push(a, b);
      const br = bufferRing(e, 4, 2, 8, 2 /* IOU_PBUF_RING_INC */);
      try {
        e.sqe((s) => {
          prepRecvMultishot(s, b, 0, 0, 0);
          sqeSetBufGroup(s, 4);
        }, 1, IOSQE_BUFFER_SELECT);
        e.ring.submit();
        const out: Cqe[] = [];
        for (const msg of ["abc", "defgh", "ijklmnopq"]) {
          libc().write(a, text(msg), msg.length);
          out.push(...e.wait(1));
        }
        // It ended with ENOBUFS already: nothing to cancel.
        e.sqe((s) => prepCancel64(s, 1, 0), 2);
        out.push(...e.wait(1));
        // The ring entries as the consumer left them: address offsets and lengths left.
        for (let slot = 0; slot < 2; slot++) {
          out.push([100 + slot, Number(br.view.getBigUint64(slot * 16, true) - BigInt(br.bufs.address)),
            br.view.getUint32(slot * 16 + 8, true)]);
        }
        return out;
      } finally {
        br.close();
      }
    }));

it("multishot recvmsg on a datagram socket writes io_uring_recvmsg_out, the name and the payload alike",
  since(6, 0, "multishot recvmsg"), () => {
    // The same name in both runs (it is part of what is compared); the first run's sockets are closed by then.
    const name = `ringside-diff-${libc().getpid()}-dgram`;
    same((e) => {
      const s1 = libc().socket(1, 2 | 0x80000, 0); // AF_UNIX SOCK_DGRAM
      const s2 = libc().socket(1, 2 | 0x80000, 0);
      e.fds.push(s1, s2);
      const addr = new Uint8Array(110);
      addr[0] = 1;
      addr.set(text(name), 3);
      assert.equal(libc().bind(s1, addr, 3 + name.length), 0);
      const from = new Uint8Array(110);
      from[0] = 1;
      from.set(text(`${name}-from`), 3);
      assert.equal(libc().bind(s2, from, 3 + name.length + 5), 0);
      assert.equal(libc().connect(s2, addr, 3 + name.length), 0);
      const br = bufferRing(e, 5, 4, 128);
      try {
        // The msghdr: 32 bytes of room for the name, none for control data, no iovec.
        e.view.setUint32(8, 32, true);
        e.sqe((s) => {
          prepRecvmsgMultishotAt(s, s1, e.mem.address);
          sqeSetBufGroup(s, 5);
        }, 1, IOSQE_BUFFER_SELECT);
        e.ring.submit();
        const out: Cqe[] = [];
        for (const msg of ["first datagram", "second", ""]) {
          libc().write(s2, text(msg), msg.length);
          out.push(...e.wait(1));
        }
        // What the first two CQEs' buffers hold: header (namelen, controllen, payloadlen, flags), name, payload.
        for (const [, res, flags] of out.slice(0, 2)) {
          const bid = flags >>> 16;
          const v = new DataView(br.bufs.buffer, bid * 128, res);
          out.push([bid, v.getUint32(0, true), v.getUint32(8, true)]);
          out.push([bid, v.getUint32(4, true), v.getUint32(12, true)]);
          const rest = new Uint8Array(br.bufs.buffer, bid * 128 + 16, res - 16);
          out.push([bid, rest.reduce((h, x) => (h * 31 + x) >>> 0, 7), rest.length]);
        }
        return out;
      } finally {
        br.close();
      }
    });
  });

function prepRecvmsgMultishotAt(sqe: Sqe, fd: number, msg: number): void {
  prepRecvmsg(sqe, fd, msg, 0);
  sqe.u16[H_IOPRIO] = 2; // IORING_RECV_MULTISHOT
}

it("accept and connect on an AF_UNIX listener", noRing, () =>
  same((e) => {
    const name = `ringside-diff-${Math.random().toString(36).slice(2)}`;
    e.mem.bytes.fill(0, 1000, 1110);
    e.mem.bytes[1000] = 1;
    e.mem.bytes.set(text(name), 1003);
    const len = 3 + name.length;
    const lfd = libc().socket(1, 1 | 0x80000, 0);
    e.fds.push(lfd);
    assert.equal(libc().bind(lfd, e.mem.bytes.subarray(1000, 1110), len), 0);
    assert.equal(libc().listen(lfd, 8), 0);
    const client = () => {
      const c = libc().socket(1, 1 | 0x80000, 0);
      e.fds.push(c);
      return c;
    };
    const out: Cqe[] = [];
    const fdRes = (cqes: Cqe[]) => cqes.map(([ud, res, flags]): Cqe => [ud, res >= 0 ? 0 : res, flags]);
    // A connect through the ring, then an accept that finds it queued.
    const c1 = client();
    e.sqe((s) => prepConnectAt(s, c1, e.mem.address + 1000, len), 1);
    out.push(...e.wait(1));
    e.sqe((s) => prepAcceptAt(s, lfd, 0, 0), 2);
    const [acc] = e.wait(1);
    if (acc![1] >= 0) e.fds.push(acc![1]);
    out.push(...fdRes([acc!]));
    // Connecting to nobody.
    const c2 = client();
    e.mem.bytes.fill(0, 1200, 1310);
    e.mem.bytes[1200] = 1;
    e.mem.bytes.set(text(`${name}-nobody`), 1203);
    e.sqe((s) => prepConnectAt(s, c2, e.mem.address + 1200, len + 7), 5);
    out.push(...e.wait(1));
    return out;
  }));

it("multishot accept on an AF_UNIX listener: one CQE per connection until cancelled",
  since(5, 19, "IORING_ACCEPT_MULTISHOT"), () =>
  same((e) => {
    const name = `ringside-diff-${Math.random().toString(36).slice(2)}`;
    const addr = new Uint8Array(110);
    addr[0] = 1;
    addr.set(text(name), 3);
    const len = 3 + name.length;
    const lfd = libc().socket(1, 1 | 0x80000, 0);
    e.fds.push(lfd);
    assert.equal(libc().bind(lfd, addr, len), 0);
    assert.equal(libc().listen(lfd, 8), 0);
    const out: Cqe[] = [];
    const fdRes = (cqes: Cqe[]) => cqes.map(([ud, res, flags]): Cqe => [ud, res >= 0 ? 0 : res, flags]);
    e.sqe((s) => {
      prepAcceptAt(s, lfd, 0, 0);
      s.u16[H_IOPRIO] = 1; // IORING_ACCEPT_MULTISHOT
    }, 3);
    e.ring.submit();
    for (let i = 0; i < 3; i++) {
      const c = libc().socket(1, 1 | 0x80000, 0);
      e.fds.push(c);
      assert.equal(libc().connect(c, addr, len), 0);
    }
    const accepted = e.wait(3);
    for (const [, res] of accepted) if (res >= 0) e.fds.push(res);
    out.push(...fdRes(accepted));
    e.sqe((s) => prepCancel64(s, 3, 0), 4);
    out.push(...e.wait(2));
    return out;
  }));

function prepConnectAt(sqe: Sqe, fd: number, addr: number, len: number): void {
  prepRw(IORING_OP_CONNECT, sqe, fd, addr, 0, len);
}

function prepAcceptAt(sqe: Sqe, fd: number, addr: number, addrlen: number): void {
  prepRw(IORING_OP_ACCEPT, sqe, fd, addr, 0, addrlen);
  sqe.u32[W_OP_FLAGS] = 0x80000; // SOCK_CLOEXEC
}

it("sendmsg and recvmsg pass a descriptor with SCM_RIGHTS", noRing, () =>
  same((e) => {
    const [a, b] = socketPair();
    const [r, w] = pipePair();
    e.fds.push(a, b, r, w);
    // sendmsg: one iovec of "fd!" and a cmsghdr carrying `w`.
    e.mem.bytes.set(text("fd!"), 2000);
    putIovec(e.view, 2100, e.mem.address + 2000, 3);
    const cmsg = 2200;
    e.view.setBigUint64(cmsg, 20n, true); // cmsg_len = CMSG_LEN(4)
    e.view.setInt32(cmsg + 8, 1, true); // SOL_SOCKET
    e.view.setInt32(cmsg + 12, 1, true); // SCM_RIGHTS
    e.view.setInt32(cmsg + 16, w, true);
    const msg = (at: number, iov: number, control: number, controllen: number) => {
      e.mem.bytes.fill(0, at, at + 56);
      e.view.setBigUint64(at + 16, BigInt(e.mem.address + iov), true);
      e.view.setBigUint64(at + 24, 1n, true);
      e.view.setBigUint64(at + 32, BigInt(e.mem.address + control), true);
      e.view.setBigUint64(at + 40, BigInt(controllen), true);
      return e.mem.address + at;
    };
    const out = msg(2300, 2100, cmsg, 24);
    e.sqe((s) => prepSendmsg(s, a, out, 0), 1);
    const sent = e.wait(1);
    putIovec(e.view, 2400, e.mem.address + 2500, 16);
    const inc = msg(2600, 2400, 2700, 24);
    e.sqe((s) => prepRecvmsg(s, b, inc, 0x40000000 /* MSG_CMSG_CLOEXEC */), 2);
    const got = e.wait(1);
    const passed = e.view.getInt32(2700 + 16, true);
    e.fds.push(passed);
    // The received descriptor is the pipe's write end: what goes in comes out of `r`.
    libc().write(passed, text("through"), 7);
    const back = new Uint8Array(16);
    const n = Number(libc().read(r, back, 16));
    return [...sent, ...got, [3, Number(e.view.getBigUint64(2600 + 40, true)), e.view.getInt32(2600 + 48, true)],
      [4, n, e.view.getInt32(2700 + 12, true)]];
  }));

/** A timeout, a drained NOP, a NOP after it. */
function drained(e: Env): Cqe[] {
  e.sqe((s) => prepTimeout(s, e.ts(4000, 20), 0, 0), 1);
  e.sqe(prepNop, 2, IOSQE_IO_DRAIN);
  e.sqe(prepNop, 3);
  return e.wait(3);
}

it("IOSQE_IO_DRAIN: the drained request and those after it wait for those before it", noRing, () =>
  same((e) => {
    const out = drained(e);
    assert.equal(out[0]?.[0], 1, `the timeout completes first: ${JSON.stringify(out)}`);
    return out;
  }));

it("IOSQE_IO_DRAIN: those after the drained request complete after it",
  since(6, 12, "the CQE order of requests released together from the drain list (Linux 6.1 posted the later one first)"),
  () => same(drained, true));

it("POLL_REMOVE updates a poll's events and user_data in place", noRing, () =>
  same((e) => {
    const [a, b] = socketPair();
    e.fds.push(a, b);
    e.sqe((s) => prepPollAdd(s, b, 1 /* POLLIN */), 1);
    e.ring.submit();
    // Now wait for POLLOUT (ready at once) under user_data 5.
    e.sqe((s) => prepPollUpdate(s, 1, 5, 4 /* POLLOUT */, IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA), 2);
    return e.wait(2);
  }));

it("a request waiting on a descriptor the ring closes waits on; a cancel ends it", noRing, () =>
  same((e) => {
    const [r, w] = pipePair();
    e.fds.push(w);
    e.sqe((s) => prepPollAdd(s, r, 1 /* POLLIN */), 1);
    e.ring.submit();
    e.sqe((s) => prepClose(s, r), 2);
    const closed = e.wait(1);
    // Another descriptor may now get the number; the poll must not wake for it.
    const [r2, w2] = pipePair();
    e.fds.push(r2, w2);
    libc().write(w2, text("x"), 1);
    e.ring.submitAndWait(0);
    e.sqe((s) => prepCancel64(s, 1, 0), 3);
    return [...closed, ...e.wait(2)];
  }));

it("EPOLL_WAIT waits for an epoll instance's events and collects them", since(6, 15, "IORING_OP_EPOLL_WAIT"), () =>
  same((e) => {
    const ep = syscalls().epoll_create1(0x80000);
    const efd = libc().eventfd(0, 0x80000);
    e.fds.push(ep, efd);
    const ev = new Uint8Array(16);
    new DataView(ev.buffer).setUint32(0, 1, true);
    assert.equal(syscalls().epoll_ctl(ep, 1, efd, ev), 0);
    e.sqe((s) => prepEpollWait(s, ep, e.mem.address + 8192, 4, 0), 1);
    e.ring.submit();
    const one = new Uint8Array(8);
    one[0] = 1;
    libc().write(efd, one, 8);
    return e.wait(1);
  }));
