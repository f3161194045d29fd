/**
 * setxattr, getxattr, fsetxattr and fgetxattr on the real kernel (skipped where the filesystem refuses user
 * attributes).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";
import { Loop } from "../loop/loop.ts";
import type { UringError } from "../core/errors.ts";
import { skipIf, tempDir, withLoop } from "../../testing/mod.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { IORING_OP_SETXATTR } from "../abi/uapi.ts";
import { close, fgetxattr, fsetxattr, getxattr, O_RDWR, open, setxattr, XATTR_CREATE, XATTR_REPLACE } from "./mod.ts";

const { dir, file: tmpPath } = tempDir("ringside-xattr-");

const dec = new TextDecoder();

/** A refusal by ringside before the kernel. */
const refused = { name: "UringError", code: "ERINGSIDE" };

/** Why the xattr opcodes cannot run: the kernel lacks them (Linux 5.19), or the filesystem refuses user.* ones. */
const noXattr: string | false = !probeOpcodes().isSupported(IORING_OP_SETXATTR) ?
  "IORING_OP_SETXATTR, GETXATTR, FSETXATTR and FGETXATTR need Linux 5.19" :
  await xattrRefused();

/** Whether the test directory's filesystem takes user.* extended attributes (tmpfs and ext4 do; some do not). */
async function xattrRefused(): Promise<string | false> {
  const loop = new Loop();
  const p = tmpPath("probe");
  try {
    await setxattr(loop, p, "user.ringside.probe", "1");
    return false;
  } catch (e) {
    const code = (e as UringError).code;
    if (code === "ENOTSUP" || code === "EOPNOTSUPP") return `the filesystem of ${dir} refuses user xattrs (${code})`;
    return false; // any other failure is ringside's: let the test run and fail on it
  } finally {
    await loop.close();
    rmSync(p, { force: true });
  }
}

test("setxattr/getxattr and fsetxattr/fgetxattr store and return the bytes", skipIf(noXattr, "xattr"), () =>
  withLoop(async (loop) => {
    const p = tmpPath("x");
    await setxattr(loop, p, "user.greeting", "hello");
    assert.equal(dec.decode(await getxattr(loop, p, "user.greeting")), "hello");
    const value = randomBytes(3000);
    await setxattr(loop, p, "user.blob", value, XATTR_CREATE);
    assert.deepEqual(Buffer.from(await getxattr(loop, p, "user.blob")), value);
    await assert.rejects(setxattr(loop, p, "user.blob", "again", XATTR_CREATE), { code: "EEXIST" });
    await assert.rejects(setxattr(loop, p, "user.none", "x", XATTR_REPLACE), { code: "ENODATA" });
    await assert.rejects(getxattr(loop, p, "user.missing"), { code: "ENODATA" });
    await assert.rejects(getxattr(loop, p, "user.blob", { size: 10 }), { code: "ERANGE" });

    const fd = await open(loop, p, O_RDWR);
    try {
      await fsetxattr(loop, fd, "user.viafd", new Uint16Array([1, 2, 3]));
      assert.deepEqual([...await fgetxattr(loop, fd, "user.viafd")], [1, 0, 2, 0, 3, 0]);
      assert.equal(dec.decode(await fgetxattr(loop, fd, "user.greeting")), "hello");
      await assert.rejects(fgetxattr(loop, fd, "user.missing"), { code: "ENODATA" });
    } finally {
      await close(loop, fd);
    }
    await assert.rejects(getxattr(loop, join(dir, "missing"), "user.x"), { code: "ENOENT" });
    await assert.rejects(setxattr(loop, p, "user.big", new Uint8Array(65537)), refused);
  }));
