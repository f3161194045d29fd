// The package as a user gets it: `npm pack` the library, install the tarball into a fresh project in a temporary
// folder, and there
//   (a) run a script that imports the bare specifier, under Bun (node_modules, resolved by package.json exports) and
//       under Deno (a workspace whose member is the unpacked package, resolved by its deno.json exports);
//   (b) type-check that script with the tsconfig `bun init` writes (noUncheckedIndexedAccess on), plus
//       exactOptionalPropertyTypes, and with `deno check`;
//   (c) `bun build --compile` a small CLI and run the binary; run `bun build` and `deno bundle` output.
// Each step is one test. `npm test` runs this after the type checks; alone: node scripts/consumer.mjs
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binPath, ensure, isMain, ROOT } from "./ensure.mjs";

const PKG = "ringside-uring";
const JSR = "@ringside/uring";

/** What the consumer's program does: one NOP and one file read through the bare specifier, and a median from the
 * bench harness's subpath. */
const MAIN = `import { Loop, nop, open, read, close } from "${PKG}";
import { Ring } from "${PKG}/ring";
import { stats } from "${PKG}/bench";

const loop = new Loop();
await nop(loop);
const fd = await open(loop, "/proc/self/stat");
const buf = new Uint8Array(64);
const n: number = await read(loop, fd, buf);
await close(loop, fd);
await loop.close();
const ring = new Ring(4);
ring.close();
const median: number = stats([3, 1, 2]).median;
console.log(n > 0 && median === 2 ? "consumer ok" : "consumer read nothing");
`;

/** The tsconfig `bun init` writes (Bun 1.4), with exactOptionalPropertyTypes added. */
const BUN_INIT_TSCONFIG = {
  compilerOptions: {
    lib: ["ESNext"],
    target: "ESNext",
    module: "Preserve",
    moduleDetection: "force",
    jsx: "react-jsx",
    allowJs: true,
    moduleResolution: "bundler",
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    noEmit: true,
    strict: true,
    skipLibCheck: true,
    noFallthroughCasesInSwitch: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    exactOptionalPropertyTypes: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    noPropertyAccessFromIndexSignature: false,
    types: ["bun-types"],
  },
};

function sh(cmd, args, cwd, extraEnv = {}) {
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1", ...extraEnv },
    timeout: 5 * 60 * 1000,
  });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}${r.error ? String(r.error) : ""}`;
  return { ok: r.status === 0, out };
}

export function consumerTest() {
  const ready = ensure({ liburing: true });
  const results = [];
  const step = (name, fn) => {
    let res;
    try {
      res = fn();
    } catch (e) {
      res = { ok: false, out: String(e?.stack ?? e) };
    }
    console.log(`${res.ok ? "ok  " : "FAIL"} package: ${name}`);
    if (!res.ok) console.log(res.out.trim().split("\n").slice(-40).map((l) => `    ${l}`).join("\n"));
    results.push({ name, ok: res.ok });
    return res.ok;
  };
  const tmp = mkdtempSync(join(tmpdir(), "ringside-consumer-"));
  try {
    const app = join(tmp, "app");
    mkdirSync(app);
    let tarball = "";
    const packed = step("npm pack holds the library and its docs only", () => {
      const r = sh("npm", ["pack", "--json", "--pack-destination", tmp], ROOT);
      if (!r.ok) return r;
      const info = JSON.parse(r.out.slice(r.out.indexOf("[")))[0];
      tarball = join(tmp, info.filename);
      // bench/harness.ts is the one bench file shipped: the `ringside-uring/bench` subpath.
      const stray = info.files.map((f) => f.path)
        .filter((p) => p !== "bench/harness.ts" && /_test\.ts$|^(bench|scripts|testing|examples)\//.test(p));
      return { ok: stray.length === 0, out: `unexpected files in the tarball: ${stray.join(", ")}` };
    });
    if (!packed) return results;
    // JSR's checks, offline: no slow types (every exported function typed explicitly), a license, the files.
    step("deno publish --dry-run (JSR: no slow types)", () => {
      const r = sh(ready.deno, ["publish", "--dry-run", "--allow-dirty"], ROOT);
      return { ok: r.ok && r.out.includes("Dry run complete"), out: r.out };
    });

    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }, null, 2));
    writeFileSync(join(app, "main.ts"), MAIN);
    const installed = step("npm install of the tarball", () =>
      sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball, join(ROOT, "node_modules", "bun-types")], app));
    if (!installed) return results;

    step("bun runs a script importing the bare specifier", () => {
      const r = sh(ready.bun, ["main.ts"], app);
      return { ok: r.ok && r.out.includes("consumer ok"), out: r.out };
    });

    // Deno: a workspace whose member is the package as unpacked from the tarball (Deno does not run .ts from
    // node_modules); the app maps the npm name to the member's JSR name, as it would map it to jsr: once published.
    const deno = join(tmp, "deno");
    mkdirSync(deno);
    sh("tar", ["-xzf", tarball, "-C", deno], tmp);
    writeFileSync(join(deno, "deno.json"), JSON.stringify({ workspace: ["./package", "./app"] }, null, 2));
    mkdirSync(join(deno, "app"));
    writeFileSync(join(deno, "app", "deno.json"), JSON.stringify({ imports: { [PKG]: `jsr:${JSR}`, [`${PKG}/`]: `jsr:${JSR}/` } }, null, 2));
    writeFileSync(join(deno, "app", "main.ts"), MAIN);
    step("deno runs a script importing the bare specifier (workspace member)", () => {
      const r = sh(ready.deno, ["run", "--allow-ffi", "--allow-read", "--allow-env", "--no-check", "main.ts"], join(deno, "app"));
      return { ok: r.ok && r.out.includes("consumer ok"), out: r.out };
    });
    step("deno check of the consumer", () => sh(ready.deno, ["check", "main.ts"], join(deno, "app")));
    // `deno compile` would need its runtime binary (denort) from the network, which this machine cannot reach;
    // `deno bundle` resolves the same graph (#ffi-backend included) into one file.
    step("deno bundle output runs", () => {
      const out = join(deno, "app", "bundle.js");
      const b = sh(ready.deno, ["bundle", "main.ts", "-o", out], join(deno, "app"));
      if (!b.ok) return b;
      const r = sh(ready.deno, ["run", "--allow-ffi", "--allow-read", "--allow-env", out], join(deno, "app"));
      return { ok: r.ok && r.out.includes("consumer ok"), out: r.out };
    });

    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(BUN_INIT_TSCONFIG, null, 2));
    step("tsc with the bun init tsconfig (noUncheckedIndexedAccess, exactOptionalPropertyTypes)", () =>
      sh(binPath("tsc"), ["--noEmit", "-p", "."], app));

    writeFileSync(join(app, "cli.ts"), MAIN.replace("consumer ok", "compiled ok"));
    step("bun build --compile gives a binary that runs", () => {
      const b = sh(ready.bun, ["build", "--compile", "--outfile", join(app, "cli"), "cli.ts"], app);
      if (!b.ok) return b;
      const r = sh(join(app, "cli"), [], app);
      return { ok: r.ok && r.out.includes("compiled ok"), out: r.out };
    });
    step("bun build --target=bun output runs", () => {
      const b = sh(ready.bun, ["build", "--target=bun", "--outdir", join(app, "dist"), "main.ts"], app);
      if (!b.ok) return b;
      const r = sh(ready.bun, [join(app, "dist", readdirSync(join(app, "dist")).find((f) => f.endsWith(".js")) ?? "main.js")], app);
      return { ok: r.ok && r.out.includes("consumer ok"), out: r.out };
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}

if (isMain(import.meta.url)) {
  const results = consumerTest();
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}
