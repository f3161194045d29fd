/**
 * cancel, cancelFd, cancelOpcode, cancelAny and the synchronous cancel registration on the real kernel.
 */
import assert from "node:assert/strict";
import { code, it, makePipe, withLoop } from "../../testing/mod.ts";
import { OpState, PromiseOp } from "../loop/operation.ts";
import { sqeAddFlags } from "../ring/sqe.ts";
import { kernelVersionAtLeast } from "../ring/kernel_version.ts";
import { registerFiles } from "../ring/registered_files.ts";
import { registerSyncCancel } from "../ring/sync_cancel.ts";
import { prepPollAdd } from "../prep/poll.ts";
import { IORING_OP_POLL_ADD, IORING_OP_TIMEOUT, IOSQE_FIXED_FILE } from "../abi/uapi.ts";
import { cancel, cancelAny, cancelFd, cancelOpcode, POLLIN, submitPoll, submitTimeout } from "./mod.ts";

const since = (major: number, minor: number, what: string) =>
  !kernelVersionAtLeast(major, minor) && `${what} needs Linux ${major}.${minor}`;

it("cancel by user_data: the target rejects with ECANCELED; a second cancel finds nothing (ENOENT)", false, () =>
  withLoop(async (loop) => {
    const [r] = makePipe();
    const poll = submitPoll(loop, r, POLLIN);
    assert.equal(await cancel(loop, poll), 1);
    await assert.rejects(poll.promise, code("ECANCELED"));
    await assert.rejects(cancel(loop, poll), code("ENOENT"));
  }));

it("cancel by user_data with IORING_ASYNC_CANCEL_ALL reports a count: 1, then 0",
  since(5, 19, "IORING_ASYNC_CANCEL_ALL"), () =>
    withLoop(async (loop) => {
      const [r] = makePipe();
      const poll = submitPoll(loop, r, POLLIN);
      assert.equal(await cancel(loop, poll, { all: true }), 1);
      await assert.rejects(poll.promise, code("ECANCELED"));
      assert.equal(await cancel(loop, poll, { all: true }), 0, "ALL reports a count, 0 here");
    }));

it("cancel by fd: one match, or all of them with IORING_ASYNC_CANCEL_ALL; by fixed fd",
  since(5, 19, "IORING_ASYNC_CANCEL_FD"), () =>
    withLoop(async (loop) => {
      const [r, w] = makePipe();
      const polls = [submitPoll(loop, r, POLLIN), submitPoll(loop, r, POLLIN), submitPoll(loop, r, POLLIN)];
      assert.equal(await cancelFd(loop, r), 1);
      assert.equal(await cancelFd(loop, r, { all: true }), 2);
      for (const p of polls) await assert.rejects(p.promise, code("ECANCELED"));
      await assert.rejects(cancelFd(loop, r), code("ENOENT"));

      registerFiles(loop.ring, [w, r]);
      const fixed = loop.submit(new PromiseOp("poll", (sqe) => {
        prepPollAdd(sqe, 1, POLLIN);
        sqeAddFlags(sqe, IOSQE_FIXED_FILE);
      }));
      // With FD_FIXED the number is a slot (1 holds the pipe's read end), not descriptor 1 (stdout).
      await assert.rejects(cancelFd(loop, 1), code("ENOENT"));
      assert.equal(await cancelFd(loop, 1, { fixed: true }), 1);
      await assert.rejects(fixed.promise, code("ECANCELED"));
    }));

it("cancel by opcode (IORING_ASYNC_CANCEL_OP) and cancel any (IORING_ASYNC_CANCEL_ANY)",
  since(6, 6, "IORING_ASYNC_CANCEL_OP"), () =>
    withLoop(async (loop) => {
      const [r] = makePipe();
      const t1 = submitTimeout(loop, 60_000);
      const t2 = submitTimeout(loop, 60_000);
      const p = submitPoll(loop, r, POLLIN);
      assert.equal(await cancelOpcode(loop, IORING_OP_TIMEOUT, { all: true }), 2);
      await assert.rejects(t1.promise, code("ECANCELED"));
      await assert.rejects(t2.promise, code("ECANCELED"));
      assert.equal(p.state, OpState.InFlight, "the poll is untouched");
      assert.equal(await cancelOpcode(loop, IORING_OP_POLL_ADD), 1);
      await assert.rejects(p.promise, code("ECANCELED"));

      const many = [submitPoll(loop, r, POLLIN), submitTimeout(loop, 60_000), submitPoll(loop, r, POLLIN)];
      assert.equal(await cancelAny(loop), 3);
      for (const m of many) await assert.rejects(m.promise, code("ECANCELED"));
      assert.equal(await cancelAny(loop), 0);
    }));

it("synchronous cancel (IORING_REGISTER_SYNC_CANCEL): the target's CQE is posted when the call returns",
  since(6, 0, "IORING_REGISTER_SYNC_CANCEL"), () =>
    withLoop(async (loop) => {
      const [r] = makePipe();
      const poll = submitPoll(loop, r, POLLIN);
      loop.flush();
      assert.equal(registerSyncCancel(loop.ring, { userData: poll.userData }), 1);
      assert.ok(loop.ring.cqReady() >= 1, "the CQE is already in the CQ");
      await assert.rejects(poll.promise, code("ECANCELED"));
      assert.throws(() => registerSyncCancel(loop.ring, { userData: poll.userData }), /ENOENT/);
    }));
