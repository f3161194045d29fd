import { test } from "node:test";
import assert from "node:assert/strict";
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  decodeSockaddr,
  encodeSockaddr,
  formatIPv6,
  parseIPv6,
  SOCKADDR_STORAGE_SIZE,
} from "./sockaddr.ts";

const enc = (s: string) => new TextEncoder().encode(s);

test("sockaddr encodes and decodes IPv4, IPv6 and Unix addresses byte for byte", () => {
  const buf = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  assert.equal(encodeSockaddr({ address: "127.0.0.1", port: 0x1234 }, buf), 16);
  assert.deepEqual([...buf.subarray(0, 16)], [2, 0, 0x12, 0x34, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(decodeSockaddr(buf, 16), { family: AF_INET, address: "127.0.0.1", port: 0x1234 });

  buf.fill(0xee);
  assert.equal(encodeSockaddr({ address: "fe80::1%3", port: 443, flowinfo: 0x12345 }, buf), 28);
  assert.deepEqual([...buf.subarray(0, 8)], [10, 0, 0x01, 0xbb, 0x00, 0x01, 0x23, 0x45]);
  assert.deepEqual([...buf.subarray(8, 24)], [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
  assert.deepEqual([...buf.subarray(24, 28)], [3, 0, 0, 0]);
  assert.deepEqual(decodeSockaddr(buf, 28), {
    family: AF_INET6, address: "fe80::1", port: 443, flowinfo: 0x12345, scopeId: 3,
  });

  assert.equal(encodeSockaddr({ path: "/tmp/x" }, buf), 2 + 6 + 1);
  assert.deepEqual([...buf.subarray(0, 9)], [1, 0, ...enc("/tmp/x"), 0]);
  assert.deepEqual(decodeSockaddr(buf, 9), { family: AF_UNIX, path: "/tmp/x" });
  assert.equal(encodeSockaddr({ path: "\0abstract" }, buf), 2 + 9);
  assert.deepEqual(decodeSockaddr(buf, 11), { family: AF_UNIX, path: "\0abstract" });
  assert.deepEqual(decodeSockaddr(buf, 2), { family: AF_UNIX, path: "" });
  assert.equal(decodeSockaddr(buf, 0), null);
  // Another family (AF_NETLINK 16) comes back as its bytes.
  const nl = Uint8Array.of(16, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0);
  assert.deepEqual(decodeSockaddr(nl, 12), { family: 16, bytes: nl });

  for (const [text, canon] of [
    ["::", "::"], ["::1", "::1"], ["1::", "1::"], ["2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"], ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ] as const) assert.equal(formatIPv6(parseIPv6(text)!), canon, text);
  for (const bad of ["1::2::3", ":1::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "12345::", "::1:", "g::"]) {
    assert.equal(parseIPv6(bad), null, bad);
  }
  assert.throws(() => encodeSockaddr({ address: "256.0.0.1", port: 1 }, buf), /not an IPv4 address/);
  assert.throws(() => encodeSockaddr({ address: "::1", port: 70000 }, buf), /port/);
  assert.throws(() => encodeSockaddr({ path: "x".repeat(108) }, buf), /sockaddr_un holds 107/);
});
