/**
 * What the test files share: declaring tests that skip with a printed reason, a loop that must end with nothing in
 * flight, fds closed when the test ends, pipes, socket pairs, a private temp directory, errno matchers, raw SQEs
 * and capability probes, and running the examples. Test files import these from here, never define their own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { nop } from "ringside-uring/ops";
 * import { it, withLoop } from "./mod.ts";
 *
 * it("nop resolves 0", false, () =>
 *   withLoop(async (loop) => {
 *     assert.equal(await nop(loop), 0);
 *   }));
 * ```
 *
 * @module
 */
export { it, skipIf, type SkipOptions } from "./skip.ts";
export {
  closeTracked,
  code,
  incrementalRefused,
  makePipe,
  pipePair,
  rawSqe,
  readText,
  resizeRefused,
  type TempDir,
  tempDir,
  track,
  withLoop,
  writeText,
} from "./fixtures.ts";
export { socketPair } from "./sockets.ts";
export { type Backend, type BackendCase, forEachBackend } from "./backends.ts";
export { exampleCommand, runExample, startExample } from "./examples.ts";
