/**
 * Running the same test bodies on both backends a Loop runs on: io_uring, and the epoll backend (uring/epoll/) that
 * carries out io_uring's contract in userspace. {@link forEachBackend} declares a file's tests once per backend, each
 * name suffixed with its backend; a test of what only io_uring does is skipped on epoll with the reason
 * ({@link BackendCase.needsIoUring}), never left out.
 *
 * @module
 */
import { test } from "node:test";
import { Loop, type LoopOptions } from "../uring/loop/loop.ts";
import { it, type SkipOptions } from "./skip.ts";
import { withLoop } from "./fixtures.ts";

/** A backend the tests run on. */
export type Backend = "io_uring" | "epoll";

/** Every backend, io_uring first. */
export const BACKENDS: readonly Backend[] = ["io_uring", "epoll"];

/** What a test body declared by {@link forEachBackend} gets: its backend, and the fixtures bound to it. */
export class BackendCase {
  constructor(readonly backend: Backend) {}

  /** `name` suffixed with the backend: `name [epoll]`. */
  name(name: string): string {
    return `${name} [${this.backend}]`;
  }

  /** Declares the test `name [backend]`, skipped when `reason` is a non-empty string (see `it`). */
  it(name: string, reason: string | false | null | undefined, fn: () => void | Promise<void>): void {
    it(this.name(name), reason, fn);
  }

  /** `node:test`'s `test(name, [options,] fn)` for the test `name [backend]` (options such as `skipIf(...)`'s). */
  test(
    name: string,
    options: SkipOptions & { timeout?: number } | (() => void | Promise<void>),
    fn?: () => void | Promise<void>,
  ): void {
    if (typeof options === "function") test(this.name(name), options);
    else test(this.name(name), options, fn);
  }

  /** `withLoop` on this backend. */
  withLoop(fn: (loop: Loop) => Promise<void>, options: LoopOptions = {}): Promise<void> {
    return withLoop(fn, { ...options, backend: this.backend });
  }

  /** A new loop on this backend (the caller closes it). */
  loop(options: LoopOptions = {}): Loop {
    return new Loop({ ...options, backend: this.backend });
  }

  /** On epoll, the reason a test of `what` is skipped (`"<what> needs the io_uring backend"`); false on io_uring. */
  needsIoUring(what: string): string | false {
    return this.backend === "epoll" && `${what} needs the io_uring backend`;
  }
}

/**
 * Declares the tests `declare` declares once per backend (io_uring, then epoll).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nop } from "ringside-uring/ops";
 *
 * forEachBackend((b) => {
 *   b.it("nop resolves 0", false, () =>
 *     b.withLoop(async (loop) => {
 *       assert.equal(await nop(loop), 0);
 *     }));
 * });
 * ```
 */
export function forEachBackend(declare: (b: BackendCase) => void): void {
  for (const backend of BACKENDS) declare(new BackendCase(backend));
}
