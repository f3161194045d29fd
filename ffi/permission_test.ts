/**
 * A Deno program run without --allow-ffi is told that the permission is missing, not that liburing is.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const DENO = join(ROOT, "node_modules", ".bin", "deno");

test("Deno without --allow-ffi names the missing permission", { skip: !existsSync(DENO) && "node_modules/.bin/deno is missing" }, () => {
  const dir = mkdtempSync(join(tmpdir(), "ringside-perm-"));
  try {
    const main = join(dir, "main.ts");
    writeFileSync(main, `import { Loop } from ${JSON.stringify(join(ROOT, "mod.ts"))};\nnew Loop();\n`);
    const r = spawnSync(DENO, ["run", "--no-check", "--allow-read", "--allow-env", `--config=${join(ROOT, "deno.json")}`, main], {
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1", DENO_NO_PROMPT: "1", DENO_NO_UPDATE_CHECK: "1" },
    });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /FfiPermissionError/);
    assert.match(r.stderr, /--allow-ffi/);
    assert.doesNotMatch(r.stderr, /apt-get install liburing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
