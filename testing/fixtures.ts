/**
 * Small fixtures the loop-level tests share: a loop that must end with nothing in flight, pipes made with libc,
 * text in and out of file descriptors, and an errno-name matcher for `assert.rejects`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { after } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { libc } from "../ffi/mod.ts";
import { Loop, type LoopOptions } from "../uring/loop/loop.ts";
import { UringError } from "../uring/core/errors.ts";
import { Ring } from "../uring/ring/ring.ts";
import { setupFlagSupported } from "../uring/ring/probe.ts";
import { BufferRing } from "../uring/buffers/buffer_ring.ts";
import { IORING_SETUP_DEFER_TASKRUN, IORING_SETUP_SINGLE_ISSUER } from "../uring/abi/uapi.ts";
import { type Sqe, sqeSetData } from "../uring/ring/sqe.ts";

const tracked: number[] = [];

/** Remembers `fd` so that {@link withLoop} closes it when the test ends. */
export function track(fd: number): number {
  tracked.push(fd);
  return fd;
}

/** Closes every fd {@link track} remembered; {@link withLoop} does this when it ends. */
export function closeTracked(): void {
  for (const fd of tracked.splice(0)) libc().close(fd);
}

/**
 * Runs `fn` with a fresh loop made with `options`, checks that nothing is left in flight, then closes the loop and
 * every tracked fd, also on failure.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { test } from "node:test";
 * import { IORING_SETUP_CQE32 } from "ringside-uring/abi";
 * import { nop } from "ringside-uring/ops";
 *
 * test("nop resolves 0 on a ring with 32-byte CQEs", () =>
 *   withLoop(async (loop) => {
 *     assert.equal(await nop(loop), 0);
 *   }, { ring: { flags: IORING_SETUP_CQE32 } }));
 * ```
 */
export async function withLoop(fn: (loop: Loop) => Promise<void>, options: LoopOptions = {}): Promise<void> {
  const loop = new Loop(options);
  try {
    await fn(loop);
    assert.equal(loop.stats.inFlight, 0, "nothing left in flight");
  } finally {
    await loop.close();
    closeTracked();
  }
}

/** A pipe made with libc (O_CLOEXEC): [read end, write end], closed by the caller. */
export function pipePair(): [number, number] {
  const p = new Int32Array(2);
  assert.equal(libc().pipe2(p, 0x80000), 0, "pipe2");
  return [p[0]!, p[1]!];
}

/** A pipe made with libc: [read end, write end], both tracked for closing. */
export function makePipe(): [number, number] {
  const [r, w] = pipePair();
  return [track(r), track(w)];
}

/** A test file's private directory, from {@link tempDir}. */
export interface TempDir {
  /** The directory's path. */
  dir: string;
  /** A fresh path in the directory (`f0`, `f1` ...), written with `content` when given. */
  file(content?: Uint8Array | string): string;
  /** The path of `name` in the directory. */
  path(name: string): string;
}

/**
 * A private directory for the calling test file (under the system's temp directory, its name starting with
 * `prefix`), removed after the file's tests.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readFileSync } from "node:fs";
 * import { test } from "node:test";
 *
 * const tmp = tempDir("ringside-example-");
 * test("a file written through the helper reads back", () => {
 *   assert.equal(readFileSync(tmp.file("hello"), "utf8"), "hello");
 * });
 * ```
 */
export function tempDir(prefix: string): TempDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = (content?: Uint8Array | string): string => {
    const path = join(dir, `f${n++}`);
    if (content !== undefined) writeFileSync(path, content);
    return path;
  };
  return { dir, file, path: (name) => join(dir, name) };
}

/** Writes `text` to `fd` with libc, all of it. */
export function writeText(fd: number, text: string): void {
  const b = new TextEncoder().encode(text);
  assert.equal(Number(libc().write(fd, b, b.length)), b.length);
}

/** Reads up to `n` bytes from `fd` with libc, as text. */
export function readText(fd: number, n = 64): string {
  const b = new Uint8Array(n);
  const r = Number(libc().read(fd, b, n));
  assert.ok(r >= 0, "read");
  return new TextDecoder().decode(b.subarray(0, r));
}

/** An `assert.rejects`/`assert.throws` matcher for a {@link UringError} with the errno name `name`. */
export const code = (name: string) => (e: unknown): boolean => {
  assert.equal((e as UringError).code, name, String(e));
  return true;
};

/**
 * Runs one SQE on a private ring, going around ringside's own checks (to see what the kernel itself answers), and
 * returns the CQE's res. Fails the test when no CQE arrives within `timeoutNs`.
 */
export function rawSqe(prep: (sqe: Sqe) => void, flags = 0, timeoutNs = 2_000_000_000): number {
  const ring = new Ring(2, { flags });
  try {
    const sqe = ring.getSqe()!;
    prep(sqe);
    sqeSetData(sqe, 1);
    ring.submitAndWait(1, { timeoutNs });
    let res = 1;
    ring.forEachCqe((_ud, r) => (res = r));
    assert.notEqual(res, 1, "the kernel answered");
    return res;
  } finally {
    ring.close();
  }
}

/**
 * `reason` when `attempt` on a fresh ring fails with EINVAL (how the kernel refuses what it lacks), false when it
 * works; other failures are thrown. For tests that decide at load time whether to skip.
 */
function einvalMeans(reason: string, ring: Ring, attempt: (ring: Ring) => void): string | false {
  try {
    attempt(ring);
    return false;
  } catch (e) {
    if (e instanceof UringError && e.code === "EINVAL") return reason;
    throw e;
  } finally {
    ring.close();
  }
}

/** Why this kernel cannot make incremental buffer rings (IOU_PBUF_RING_INC, Linux 6.12), or false when it can. */
export function incrementalRefused(): string | false {
  return einvalMeans("IOU_PBUF_RING_INC needs Linux 6.12", new Ring(2), (ring) => {
    BufferRing.create(ring, { bgid: 0, entries: 1, bufferSize: 16, incremental: true }).close();
  });
}

/** Why this kernel cannot resize rings (IORING_REGISTER_RESIZE_RINGS on a DEFER_TASKRUN ring), or false. */
export function resizeRefused(): string | false {
  // Asked of a DEFER_TASKRUN ring (6.1): a kernel without one cannot resize either.
  if (!setupFlagSupported(IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN)) {
    return "IORING_SETUP_DEFER_TASKRUN needs Linux 6.1 (and IORING_REGISTER_RESIZE_RINGS 6.13)";
  }
  const ring = new Ring(2, { flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN });
  return einvalMeans("IORING_REGISTER_RESIZE_RINGS needs Linux 6.13", ring, (r) => r.resize(4));
}
