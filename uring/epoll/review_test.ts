/**
 * The epoll backend against a close made through the ring while a call for the same descriptor waits for a pool
 * thread: as io_uring's request holds its file from issue (io_uring/io_uring.c io_assign_file), the call still
 * works on the file it was submitted for, not on EBADF or on whatever file the number names next.
 */
import assert from "node:assert/strict";
import { it, tempDir } from "../../testing/mod.ts";
import { collect, put } from "../../testing/epoll_ring.ts";
import { NativeMemory } from "../core/memory.ts";
import { prepClose, prepFsync, prepFtruncate, prepOpen } from "../prep/mod.ts";
import { EpollRing } from "./mod.ts";

const O_RDWR = 2;
const O_CREAT = 0o100;
const O_CLOEXEC = 0o2000000;

it("a pooled call keeps its file when the ring closes the descriptor before a thread took the call", false, () => {
  const dir = tempDir("ringside-review-");
  const ring = new EpollRing(32);
  const mem = NativeMemory.allocate(4096);
  try {
    mem.bytes.set(new TextEncoder().encode(`${dir.file("data")}\0`));
    const fds: number[] = [];
    for (let i = 0; i < 4; i++) put(ring, (s) => prepOpen(s, mem.address, O_RDWR | O_CREAT | O_CLOEXEC, 0o600), i);
    for (const [, res] of collect(ring, 4)) {
      assert.ok(res >= 0, `open: ${res}`);
      fds.push(res);
    }
    // Each FSYNC and FTRUNCATE goes to the pool; the CLOSE after them in the same submission runs at once, on this
    // thread, long before a pool thread wakes up for them.
    for (const fd of fds) {
      put(ring, (s) => prepFsync(s, fd, 0), 100 + fd);
      put(ring, (s) => prepFtruncate(s, fd, 4096), 200 + fd);
      put(ring, (s) => prepClose(s, fd), 300 + fd);
    }
    const cqes = collect(ring, fds.length * 3);
    assert.equal(cqes.length, fds.length * 3);
    for (const [ud, res] of cqes) assert.equal(res, 0, `user_data ${ud}: ${res}`);
  } finally {
    mem.free();
    ring.close();
  }
});
