/**
 * Test support, not part of the library: what uring/epoll/fallback_test.ts runs where io_uring is refused (under
 * testing/seccomp_eperm.c). Makes two loops with the backend named by its argument (default: none given, which is
 * "auto"), runs a NOP, a pipe read, a file read and a timer on each, and prints one JSON line: the backends, the
 * results, or the error a loop threw.
 *
 *   bun testing/fallback_child.ts [io_uring|epoll|auto]   |   deno run -A testing/fallback_child.ts [...]
 *
 * @module
 */
import process from "node:process";
import { Loop } from "../uring/loop/loop.ts";
import { nop, timeout } from "../uring/ops/mod.ts";
import { read, readFile } from "../uring/fs/mod.ts";
import { libc } from "../ffi/mod.ts";

const arg = process.argv[2] as "io_uring" | "epoll" | "auto" | undefined;
const report: Record<string, unknown> = {};
try {
  const loops = [new Loop({ backend: arg }), new Loop({ backend: arg, mode: "owning" })];
  report.backends = loops.map((l) => l.backend);
  const results: unknown[] = [];
  for (const loop of loops) {
    const work = async () => {
      const p = new Int32Array(2);
      libc().pipe2(p, 0x80000);
      libc().write(p[1]!, new TextEncoder().encode("piped"), 5);
      const buf = new Uint8Array(8);
      results.push(await nop(loop), await read(loop, p[0]!, buf), (await readFile(loop, "/proc/self/stat")).length > 0,
        await timeout(loop, 5));
      libc().close(p[0]!);
      libc().close(p[1]!);
    };
    if (loop.mode === "owning") await loop.run(work);
    else await work();
    await loop.close();
  }
  report.results = results;
} catch (e) {
  report.error = { name: (e as Error)?.name, code: (e as { code?: string })?.code, message: String((e as Error)?.message) };
}
console.log(JSON.stringify(report));
