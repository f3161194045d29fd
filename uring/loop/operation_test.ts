/**
 * What a failed CQE becomes: an -EINVAL for an opcode this kernel lacks names the Linux version that added it; any
 * other -EINVAL stays the errno alone.
 */
import assert from "node:assert/strict";
import { closeSync, openSync } from "node:fs";
import { it, tempDir, withLoop } from "../../testing/mod.ts";
import { UringError } from "../core/errors.ts";
import { parseKernelVersion } from "../ring/kernel_version.ts";
import { probeOpcodes } from "../ring/probe.ts";
import { prepRw } from "../prep/base.ts";
import { fadvise } from "../fs/advise.ts";
import { PromiseOp } from "./operation.ts";

const { file: tmpPath } = tempDir("ringside-operation-");
const probe = probeOpcodes();
/** An opcode past the kernel's last: refused with -EINVAL before any of its fields are looked at. */
const absent = probe.missing.find((o) => o.value > probe.lastOp);

it("an -EINVAL for an opcode the kernel lacks names the Linux version that added it; others do not",
  !absent && "this kernel has every opcode uapi.ts knows", () =>
    withLoop(async (loop) => {
      const op = absent!;
      const v = parseKernelVersion();
      const tried = loop.submit(new PromiseOp("try it", (sqe) => prepRw(op.value, sqe, -1, 0, 0, 0)));
      await assert.rejects(tried.promise, (e: unknown) => {
        assert.ok(e instanceof UringError);
        assert.equal(e.code, "EINVAL");
        assert.equal(e.message, `Cannot try it: EINVAL (Invalid argument): ${op.name} needs Linux ${op.since} ` +
          `(this kernel is ${v.major}.${v.minor})`);
        return true;
      });
      // The kernel has IORING_OP_FADVISE: its -EINVAL (advice 99) is about the request, and says so alone.
      const fd = openSync(tmpPath("advised"), "r");
      try {
        await assert.rejects(fadvise(loop, fd, 0, 0, 99), (e: unknown) => {
          assert.ok(e instanceof UringError);
          assert.equal(e.message, "Cannot fadvise: EINVAL (Invalid argument)");
          return true;
        });
      } finally {
        closeSync(fd);
      }
    }));
