/**
 * uring/abi/bpf.ts against the C compiler's view of linux/filter.h and linux/bpf_common.h (every BPF_* constant it
 * exports, struct sock_filter's layout), and BPF_STMT/BPF_JUMP against the initializers those macros give.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as bpf from "./bpf.ts";
import { skipIf } from "../../testing/mod.ts";

const constants: [string, number][] = [];
for (const [name, value] of Object.entries(bpf)) if (typeof value === "number") constants.push([name, value]);

function compiled(): { values: Map<string, number> } | { skip: string } {
  try {
    execFileSync("gcc", ["--version"], { stdio: "ignore" });
  } catch {
    return { skip: "gcc is not installed (apt-get install gcc)" };
  }
  const dir = mkdtempSync(join(tmpdir(), "ringside-bpf-"));
  try {
    const lines = [
      "#include <stdio.h>",
      "#include <stddef.h>",
      "#include <linux/filter.h>",
      "int main(void) {",
      ...constants.map(([name]) => `  printf("${name} %ld\\n", (long)(${name}));`),
      ...Object.keys(bpf.sock_filter).map((m) =>
        m === "SIZE"
          ? `  printf("sock_filter.SIZE %zu\\n", sizeof(struct sock_filter));`
          : `  printf("sock_filter.${m} %zu\\n", offsetof(struct sock_filter, ${m}));`
      ),
      "  struct sock_filter s = BPF_STMT(BPF_RET | BPF_K, 0x12345678);",
      "  struct sock_filter j = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 7, 3, 9);",
      '  printf("stmt %u %u %u %u\\njump %u %u %u %u\\n", s.code, s.jt, s.jf, s.k, j.code, j.jt, j.jf, j.k);',
      "  return 0;",
      "}",
    ];
    writeFileSync(join(dir, "bpf.c"), lines.join("\n"));
    try {
      execFileSync("gcc", ["-o", join(dir, "bpf"), join(dir, "bpf.c")], { stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      return { skip: `linux/filter.h does not compile here (apt-get install linux-libc-dev): ${e}` };
    }
    const values = new Map<string, number>();
    for (const line of execFileSync(join(dir, "bpf"), { encoding: "utf8" }).trim().split("\n")) {
      const [key, ...rest] = line.split(" ");
      values.set(key!, rest.length === 1 ? Number(rest[0]) : NaN);
      if (rest.length > 1) values.set(`${key}:${rest.join(",")}`, 1);
    }
    return { values };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const c = compiled();
const noCompiler = "skip" in c && c.skip;

test("every BPF_* constant and struct sock_filter match linux/filter.h", skipIf(noCompiler), () => {
  assert.ok("values" in c);
  const problems: string[] = [];
  for (const [name, value] of constants) {
    if (c.values.get(name) !== value) problems.push(`${name}: bpf.ts has ${value}, the header ${c.values.get(name)}`);
  }
  for (const [m, off] of Object.entries(bpf.sock_filter)) {
    if (c.values.get(`sock_filter.${m}`) !== off) problems.push(`sock_filter.${m}: ${off}`);
  }
  assert.deepEqual(problems, []);
  assert.ok(constants.length >= 39, "the constants were found");
});

test("bpfStmt and bpfJump give the instructions BPF_STMT and BPF_JUMP give", skipIf(noCompiler), () => {
  assert.ok("values" in c);
  const s = bpf.bpfStmt(bpf.BPF_RET | bpf.BPF_K, 0x12345678);
  const j = bpf.bpfJump(bpf.BPF_JMP | bpf.BPF_JEQ | bpf.BPF_K, 7, 3, 9);
  assert.ok(c.values.has(`stmt:${[s.code, s.jt, s.jf, s.k].join(",")}`), "BPF_STMT");
  assert.ok(c.values.has(`jump:${[j.code, j.jt, j.jf, j.k].join(",")}`), "BPF_JUMP");
  assert.ok(Object.isFrozen(s) && Object.isFrozen(j));
});
