/**
 * Declaring a test skipped, with its reason, when the test is defined: {@link it} for a test, {@link skipIf} for the
 * options of a `test()` call.
 *
 * Skips must be decided at definition time: Deno counts a `t.skip()` called inside a running `node:test` test as a
 * pass, while Bun counts it as a skip, so the totals of the two runtimes would disagree. Both runtimes honour the
 * `skip` option of `test()`, but neither prints its reason, so {@link skipIf} prints it once.
 *
 * @module
 */

import { test } from "node:test";

/** The part of `node:test`'s options that {@link skipIf} fills in; pass it as `test()`'s second argument. */
export interface SkipOptions {
  /** Why the test is skipped; absent when it runs. */
  skip?: string;
}

const printed = new Set<string>();

/**
 * Options that skip a test when `reason` is a non-empty string, and let it run when `reason` is `false`, `null`,
 * `undefined` or `""`. The first time a given skip is declared, it is printed as `skip: <name>: <reason>` (or
 * `skip: <reason>` without a name), since the runners show a skipped test's name but not why.
 *
 * @param reason why the test cannot run on this machine, or a falsy value when it can
 * @param name the test's name, for the printed line
 * @returns `{ skip: reason }` or `{}`
 *
 * @example
 * ```ts
 * import { existsSync } from "node:fs";
 * import { test } from "node:test";
 *
 * const noHeaders = !existsSync("/usr/include/liburing.h") && "liburing.h is missing (apt-get install liburing-dev)";
 * const name = "prepNop writes the SQE liburing's io_uring_prep_nop writes";
 * test(name, skipIf(noHeaders, name), () => {
 *   // compile the C oracle and compare
 * });
 * ```
 */
export function skipIf(reason: string | false | null | undefined, name?: string): SkipOptions {
  if (!reason) return {};
  const line = name ? `skip: ${name}: ${reason}` : `skip: ${reason}`;
  if (!printed.has(line)) {
    printed.add(line);
    console.log(line);
  }
  return { skip: reason };
}

/**
 * Declares the test `name`, skipped (with `reason` printed, see {@link skipIf}) when `reason` is a non-empty string.
 *
 * @param name the test's name
 * @param reason why the test cannot run on this machine, or a falsy value when it can
 * @param fn the test
 *
 * @example
 * ```ts
 * import { existsSync } from "node:fs";
 *
 * const noLoopDevices = !existsSync("/dev/loop-control") && "no loop devices (/dev/loop-control is missing)";
 * it("discard on a loop device zeroes the range", noLoopDevices, async () => {
 *   // attach a loop device, discard, read back
 * });
 * ```
 */
export function it(
  name: string,
  reason: string | false | null | undefined,
  fn: () => void | Promise<void>,
): void {
  test(name, skipIf(reason, name), fn);
}
