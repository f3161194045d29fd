/**
 * The library's import graph keeps its layers: no module imports one of a higher layer, and no import cycle
 * (type-only imports count: they tie the files together for a reader and a type checker all the same).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Layers from the bottom up; layers with the same rank may import each other (but not in a cycle). */
const RANK: Record<string, number> = {
  ffi: 0,
  abi: 1,
  core: 2,
  ring: 3,
  prep: 4,
  epoll: 4,
  loop: 5,
  buffers: 5,
  streams: 6,
  fs: 7,
  net: 7,
  ops: 7,
  server: 8,
  cmd: 9,
  fuse: 9,
  doctor: 10,
};

function libraryFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const rel = join(dir, e.name);
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts") && !e.name.startsWith("_testing")) out.push(rel);
    }
  };
  walk("ffi");
  walk("uring");
  return out;
}

/** The relative imports and re-exports of `file`, as repo-relative paths (JSDoc examples left out). */
function importsOf(file: string): string[] {
  const code = readFileSync(join(ROOT, file), "utf8").replace(/\/\*\*[\s\S]*?\*\//g, "");
  const deps: string[] = [];
  for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)[^;]*?from\s*["'](\.[^"']+)["']/g)) {
    deps.push(relative(ROOT, normalize(join(ROOT, dirname(file), m[1] ?? ""))));
  }
  return deps;
}

function layerOf(file: string): string {
  return file.startsWith("ffi/") ? "ffi" : (file.split("/")[1] ?? "");
}

const graph = new Map(libraryFiles().map((f) => [f, importsOf(f)] as const));

test("every library folder is a known layer", () => {
  const unknown = [...graph.keys()].filter((f) => RANK[layerOf(f)] === undefined);
  assert.deepEqual(unknown, []);
  assert.ok(graph.size > 100, `only ${graph.size} library files found`);
});

test("no module imports a module of a higher layer", () => {
  const upward: string[] = [];
  for (const [file, deps] of graph) {
    for (const dep of deps) {
      if ((RANK[layerOf(dep)] ?? 0) > (RANK[layerOf(file)] ?? 0)) upward.push(`${file} -> ${dep}`);
    }
  }
  assert.deepEqual(upward, []);
});

test("the library's modules import one another without a cycle", () => {
  const cycles: string[] = [];
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 1);
    stack.push(n);
    for (const d of graph.get(n) ?? []) {
      if (state.get(d) === 1) cycles.push([...stack.slice(stack.indexOf(d)), d].join(" -> "));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test("the root entry point exports every value of the layers it gathers", async () => {
  const root = await import("../mod.ts");
  const missing: string[] = [];
  for (const layer of ["abi", "core", "ring", "prep", "epoll", "loop", "buffers", "streams", "fs", "net", "ops", "server"]) {
    const mod = await import(`../uring/${layer}/mod.ts`);
    for (const name of Object.keys(mod)) if (!(name in root)) missing.push(`${layer}: ${name}`);
  }
  assert.deepEqual(missing, []);
});
