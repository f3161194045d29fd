import assert from "node:assert/strict";
import { test } from "node:test";
import { it, skipIf } from "./skip.ts";

/** Calls `fn` with console.log captured; returns what it printed, one entry per call. */
function captureLog(fn: () => void): string[] {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    fn();
  } finally {
    console.log = original;
  }
  return lines;
}

test("skipIf lets the test run, silently, when there is no reason", () => {
  const printed = captureLog(() => {
    assert.deepEqual(skipIf(false), {});
    assert.deepEqual(skipIf(null), {});
    assert.deepEqual(skipIf(undefined), {});
    assert.deepEqual(skipIf("", "empty reason"), {});
  });
  assert.deepEqual(printed, []);
});

test("skipIf returns the reason as the skip option", () => {
  captureLog(() => {
    const options = skipIf("liburing.h is missing", "oracle test");
    assert.deepEqual(options, { skip: "liburing.h is missing" });
    assert.equal(Object.keys(options).length, 1);
  });
});

test("skipIf prints each skip once, with the test's name when given", () => {
  const printed = captureLog(() => {
    skipIf("needs Linux 6.0", "recv multishot");
    skipIf("needs Linux 6.0", "recv multishot");
    skipIf("needs Linux 6.0", "send zerocopy");
    skipIf("gcc not found");
    skipIf("gcc not found");
  });
  assert.deepEqual(printed, [
    "skip: recv multishot: needs Linux 6.0",
    "skip: send zerocopy: needs Linux 6.0",
    "skip: gcc not found",
  ]);
});

let ranWithoutReason = false;
test("a test declared with skipIf(false) runs", skipIf(false), () => {
  ranWithoutReason = true;
});

let itRan = false;
it("a test declared with it(name, false, fn) runs", false, () => {
  itRan = true;
});

test("(the tests above did run)", () => {
  // Asserted here, not in the tests themselves: had they been skipped, this is what would fail.
  assert.ok(ranWithoutReason);
  assert.ok(itRan);
});
