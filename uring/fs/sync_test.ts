/**
 * fsync, fdatasync and syncFileRange on the real kernel.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { libc } from "../../ffi/mod.ts";
import { pipePair as makePipe, tempDir, withLoop } from "../../testing/mod.ts";
import {
  close,
  fdatasync,
  fsync,
  open,
  SYNC_FILE_RANGE_WAIT_AFTER,
  SYNC_FILE_RANGE_WRITE,
  syncFileRange,
  write,
} from "./mod.ts";

const { file: tmpPath } = tempDir("ringside-sync-");

/** A refusal by ringside before the kernel. */
const refused = { name: "UringError", code: "ERINGSIDE" };

test("fsync, fdatasync and sync_file_range complete on a file and report EBADF/ESPIPE where the kernel refuses", () =>
  withLoop(async (loop) => {
    const p = tmpPath();
    const fd = await open(loop, p, "w+");
    const [r, w] = makePipe();
    try {
      await write(loop, fd, randomBytes(65536), 0);
      await fsync(loop, fd);
      await fdatasync(loop, fd);
      await syncFileRange(loop, fd, 0, 65536, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
      await syncFileRange(loop, fd, 0, 0);
      assert.equal(statSync(p).size, 65536);
      await assert.rejects(fsync(loop, 999_999), { code: "EBADF" });
      await assert.rejects(syncFileRange(loop, r, 0, 0), { code: "ESPIPE" }, "not on a pipe");
      await assert.rejects(syncFileRange(loop, fd, 0, 2 ** 32), refused, "len is 32-bit");
    } finally {
      await close(loop, fd);
      libc().close(r);
      libc().close(w);
    }
  }));
