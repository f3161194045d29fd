/**
 * Sparse pages: holes read as zeros and cost nothing, writes grow a page's storage in blocks, the space refuses
 * past its capacity, and SEEK_DATA / SEEK_HOLE find what is stored.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { BLOCK, PAGE_SIZE, Pages, Space } from "./pages.ts";

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);

/** Whether every byte is `v`. */
const all = (a: Uint8Array, v: number) => a.every((x) => x === v);

test("a hole reads as zeros and stores nothing, however far out the write lands", () => {
  const space = new Space(1 << 20);
  const p = new Pages(space);
  const far = 2 ** 49; // 512 TiB, at the start of a page
  assert.equal(p.write(far, bytes(10, 7)), 10);
  assert.equal(p.stored, BLOCK);
  assert.equal(space.used, BLOCK);
  assert.ok(all(p.read(0, 100), 0));
  assert.ok(all(p.read(far - 5, 5), 0));
  assert.deepEqual([...p.read(far - 2, 14)], [0, 0, ...new Array(10).fill(7), 0, 0]);
});

test("a page's storage grows in blocks, doubling, up to one page", () => {
  const p = new Pages(new Space(1 << 20));
  p.write(0, bytes(100, 1));
  assert.equal(p.stored, BLOCK);
  p.write(100, bytes(BLOCK, 2)); // reaches into the second block: doubled to 8 KiB
  assert.equal(p.stored, 2 * BLOCK);
  p.write(PAGE_SIZE - 1, bytes(2, 3)); // the last byte of page 0 and the first of page 1
  assert.equal(p.stored, PAGE_SIZE + BLOCK);
  assert.ok(all(p.read(0, 100), 1));
  assert.ok(all(p.read(100, BLOCK), 2));
  assert.ok(all(p.read(100 + BLOCK, PAGE_SIZE - 1 - 100 - BLOCK), 0));
  assert.deepEqual([...p.read(PAGE_SIZE - 2, 4)], [0, 3, 3, 0]);
});

test("reads across pages assemble the pages and the holes between them", () => {
  const p = new Pages(new Space(1 << 24));
  p.write(0, bytes(PAGE_SIZE, 1));
  p.write(2 * PAGE_SIZE, bytes(PAGE_SIZE, 3));
  const r = p.read(PAGE_SIZE - 10, PAGE_SIZE + 20);
  assert.ok(all(r.subarray(0, 10), 1));
  assert.ok(all(r.subarray(10, 10 + PAGE_SIZE), 0));
  assert.ok(all(r.subarray(10 + PAGE_SIZE), 3));
});

test("the space refuses with ENOSPC: a write stops short, or fails when nothing fit", () => {
  const space = new Space(2 * PAGE_SIZE);
  const p = new Pages(space);
  assert.equal(p.write(0, bytes(3 * PAGE_SIZE, 9)), 2 * PAGE_SIZE);
  assert.equal(space.free, 0);
  assert.throws(() => p.write(2 * PAGE_SIZE, bytes(1, 9)), { code: "ENOSPC" });
  // Rewriting stored bytes needs no new space.
  assert.equal(p.write(10, bytes(10, 8)), 10);
  p.truncate(PAGE_SIZE);
  assert.equal(space.used, PAGE_SIZE);
  p.clear();
  assert.equal(space.used, 0);
});

test("truncate drops pages past the size, gives back whole blocks and zeroes the rest of the last", () => {
  const space = new Space(1 << 24);
  const p = new Pages(space);
  p.write(0, bytes(3 * PAGE_SIZE, 5));
  p.truncate(PAGE_SIZE + 100);
  assert.equal(p.stored, PAGE_SIZE + BLOCK);
  assert.equal(space.used, p.stored);
  assert.ok(all(p.read(PAGE_SIZE, 100), 5));
  assert.ok(all(p.read(PAGE_SIZE + 100, 2 * PAGE_SIZE), 0)); // grown again: zeros, not the old bytes
  p.truncate(0);
  assert.equal(p.stored, 0);
});

test("allocate stores zeros over holes, all or nothing; punch makes holes again", () => {
  const space = new Space(4 * PAGE_SIZE);
  const p = new Pages(space);
  p.write(PAGE_SIZE, bytes(10, 4));
  p.allocate(0, 2 * PAGE_SIZE);
  assert.equal(p.stored, 2 * PAGE_SIZE);
  assert.deepEqual([...p.read(PAGE_SIZE - 1, 3)], [0, 4, 4]);
  assert.throws(() => p.allocate(0, 5 * PAGE_SIZE), { code: "ENOSPC" });
  assert.throws(() => p.allocate(0, 1e15), { code: "ENOSPC" });
  assert.equal(p.stored, 2 * PAGE_SIZE, "a refused allocate stores nothing");
  p.punch(100, 2 * PAGE_SIZE);
  assert.equal(p.stored, PAGE_SIZE, "page 1 was covered whole and dropped; page 0 only zeroed past 100");
  p.write(0, bytes(200, 6));
  p.punch(100, 2 * PAGE_SIZE);
  assert.deepEqual([...p.read(98, 4)], [6, 6, 0, 0]);
});

test("SEEK_DATA and SEEK_HOLE find stored ranges, with the end of the file a hole", () => {
  const p = new Pages(new Space(1 << 24));
  const size = 10 * PAGE_SIZE;
  assert.equal(p.seekData(0, size), -1);
  assert.equal(p.seekHole(0, size), 0);
  p.write(3 * PAGE_SIZE + 10, bytes(10, 1)); // one block at the start of page 3
  p.write(5 * PAGE_SIZE, bytes(2 * PAGE_SIZE, 1)); // pages 5 and 6 whole
  assert.equal(p.seekData(0, size), 3 * PAGE_SIZE);
  assert.equal(p.seekData(3 * PAGE_SIZE + 5, size), 3 * PAGE_SIZE + 5);
  assert.equal(p.seekHole(3 * PAGE_SIZE + 5, size), 3 * PAGE_SIZE + BLOCK);
  assert.equal(p.seekData(3 * PAGE_SIZE + BLOCK, size), 5 * PAGE_SIZE);
  assert.equal(p.seekHole(5 * PAGE_SIZE, size), 7 * PAGE_SIZE);
  assert.equal(p.seekData(7 * PAGE_SIZE, size), -1);
  assert.equal(p.seekHole(9 * PAGE_SIZE, size), 9 * PAGE_SIZE);
  assert.equal(p.seekHole(6 * PAGE_SIZE, 6 * PAGE_SIZE + 7), 6 * PAGE_SIZE + 7, "data up to the end: the end");
  assert.equal(p.seekData(0, 3 * PAGE_SIZE), -1, "data past the size does not count");
});
