import assert from "node:assert/strict";
import { test } from "node:test";
import {
  cqeBufferId,
  cqeHasBuffer,
  cqeHasBufMore,
  cqeHasMore,
  cqeIs32,
  cqeIsNotif,
  cqeIsSkip,
  cqeNr,
  cqeSockNonEmpty,
  cqeTimestampHw,
  cqeTimestampType,
  cqeZcCopied,
} from "./cqe.ts";
import {
  IORING_CQE_F_32,
  IORING_CQE_F_BUF_MORE,
  IORING_CQE_F_BUFFER,
  IORING_CQE_F_MORE,
  IORING_CQE_F_NOTIF,
  IORING_CQE_F_SKIP,
  IORING_CQE_F_SOCK_NONEMPTY,
  IORING_CQE_F_TSTAMP_HW,
} from "../abi/uapi.ts";

const ALL_BITS = [
  [cqeHasBuffer, IORING_CQE_F_BUFFER],
  [cqeHasMore, IORING_CQE_F_MORE],
  [cqeSockNonEmpty, IORING_CQE_F_SOCK_NONEMPTY],
  [cqeIsNotif, IORING_CQE_F_NOTIF],
  [cqeHasBufMore, IORING_CQE_F_BUF_MORE],
  [cqeIsSkip, IORING_CQE_F_SKIP],
  [cqeIs32, IORING_CQE_F_32],
  [cqeTimestampHw, IORING_CQE_F_TSTAMP_HW],
] as const;

test("each CQE flag helper sees its own bit and no other", () => {
  for (const [fn, bit] of ALL_BITS) {
    assert.equal(fn(bit), true, `${fn.name} on its bit`);
    assert.equal(fn(0), false, `${fn.name} on 0`);
    assert.equal(fn(~bit >>> 0), false, `${fn.name} on every other bit`);
    assert.equal(fn(~bit), false, `${fn.name} on every other bit, as a signed int`);
  }
});

test("cqeBufferId is the upper 16 bits of the flags, whatever the low bits hold", () => {
  assert.equal(cqeBufferId((7 << 16) | IORING_CQE_F_BUFFER | IORING_CQE_F_MORE), 7);
  assert.equal(cqeBufferId(0xffff_0000 | IORING_CQE_F_BUFFER), 0xffff);
  assert.equal(cqeBufferId((0xffff << 16) | 0xffff), 0xffff); // a negative int32 read from an Int32Array
  assert.equal(cqeBufferId(IORING_CQE_F_BUFFER), 0);
});

test("cqeNr counts a 32-byte CQE on a mixed ring as two slots", () => {
  assert.equal(cqeNr(0), 1);
  assert.equal(cqeNr(IORING_CQE_F_MORE | IORING_CQE_F_BUFFER | (3 << 16)), 1);
  assert.equal(cqeNr(IORING_CQE_F_32), 2);
  assert.equal(cqeNr(IORING_CQE_F_32 | 0xffff_0000), 2);
});

test("cqeTimestampType reads the SCM_TSTAMP_* type above the hardware bit of a TX_TIMESTAMP CQE", () => {
  const ack = (2 << 17) | IORING_CQE_F_MORE;
  assert.equal(cqeTimestampType(ack), 2);
  assert.equal(cqeTimestampHw(ack), false);
  const hwSched = (1 << 17) | IORING_CQE_F_TSTAMP_HW | IORING_CQE_F_MORE;
  assert.equal(cqeTimestampType(hwSched), 1);
  assert.equal(cqeTimestampHw(hwSched), true);
});

test("cqeZcCopied reads the copied bit of a zero-copy notification's res, signed or not", () => {
  assert.equal(cqeZcCopied(0), false);
  assert.equal(cqeZcCopied(0x8000_0000), true);
  assert.equal(cqeZcCopied(-0x8000_0000), true);
  assert.equal(cqeZcCopied(0x7fff_ffff), false);
});
