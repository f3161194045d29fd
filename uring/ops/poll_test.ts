/**
 * pollAdd, submitPoll, pollRemove and pollUpdate on the real kernel, on pipes.
 */
import assert from "node:assert/strict";
import { code, it, makePipe, withLoop, writeText as write } from "../../testing/mod.ts";
import { OpState } from "../loop/operation.ts";
import { pollAdd, POLLIN, POLLOUT, pollRemove, pollUpdate, submitPoll } from "./mod.ts";

it("pollAdd resolves to POLLIN once a pipe becomes readable", false, () =>
  withLoop(async (loop) => {
    const [r, w] = makePipe();
    const p = pollAdd(loop, r, POLLIN);
    let done = false;
    p.then(() => (done = true));
    await new Promise((res) => setTimeout(res, 10));
    assert.equal(done, false, "not readable yet");
    write(w, "x");
    assert.equal((await p) & POLLIN, POLLIN);
    // Already readable: a new poll completes at once.
    assert.equal((await pollAdd(loop, r, POLLIN)) & POLLIN, POLLIN);
  }));

it("pollRemove cancels a poll (ECANCELED) and rejects with ENOENT for one that already completed", false, () =>
  withLoop(async (loop) => {
    const [r, w] = makePipe();
    const poll = submitPoll(loop, r, POLLIN);
    await pollRemove(loop, poll);
    await assert.rejects(poll.promise, code("ECANCELED"));
    const done = submitPoll(loop, w, POLLOUT);
    await done.promise;
    await assert.rejects(pollRemove(loop, done), code("ENOENT"));
  }));

it("pollUpdate changes a pending poll's events: POLLIN on a pipe's write end becomes POLLOUT", false, () =>
  withLoop(async (loop) => {
    const [, w] = makePipe();
    const poll = submitPoll(loop, w, POLLIN);
    await new Promise((res) => setTimeout(res, 5));
    assert.equal(poll.state, OpState.InFlight, "still pending: a write end never has POLLIN");
    await pollUpdate(loop, poll, POLLOUT);
    assert.equal((await poll.promise) & POLLOUT, POLLOUT);
  }));
