import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CHUNK_LINE_LIMIT,
  HEAD_LIMIT,
  type HttpRequest,
  MAX_HEADERS,
  REQUEST_LINE_LIMIT,
  RequestParser,
} from "./parser.ts";
import { Answers, answerKey, answerText } from "./responses.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function parseAll(chunks: readonly string[]): HttpRequest[] {
  const p = new RequestParser();
  const out: HttpRequest[] = [];
  for (const c of chunks) p.push(enc(c), out);
  return out;
}

const summary = (rs: HttpRequest[]) => rs.map((r) => [r.method, r.target, r.minor, r.keepAlive, r.error]);
const status = (text: string) => parseAll([text]).map((r) => r.error);

const PIPELINE = "GET / HTTP/1.1\r\nHost: a\r\n\r\n" +
  "\r\nPOST /form HTTP/1.1\r\nHost: a\r\ncontent-LENGTH: 3\r\n\r\nabc" +
  "PUT /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: a\r\n\r\n" +
  "3;name=value\r\nxyz\r\nA\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\n" +
  "HEAD /x?y=1 HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n" +
  "GET /last HTTP/1.1\nHost: b\nConnection: keep-alive, close\n\n" +
  "GET /ignored HTTP/1.1\r\nHost: a\r\n\r\n";

test("RequestParser finds the same requests however the bytes are split, and skips both kinds of body", () => {
  const whole = parseAll([PIPELINE]);
  assert.deepEqual(summary(whole), [
    ["GET", "/", 1, true, 0],
    ["POST", "/form", 1, true, 0],
    ["PUT", "/up", 1, true, 0],
    ["HEAD", "/x?y=1", 0, true, 0],
    ["GET", "/last", 1, false, 0],
  ]);
  for (let i = 1; i < PIPELINE.length; i++) {
    assert.deepEqual(parseAll([PIPELINE.slice(0, i), PIPELINE.slice(i)]), whole, `split at ${i}`);
  }
  assert.deepEqual(parseAll([...PIPELINE]), whole, "one byte at a time");
});

test("RequestParser answers what it cannot parse with an error status and stops", () => {
  const cases: [string, number][] = [
    ["NONSENSE\r\n\r\n", 400],
    ["GET / HTTP/2.0\r\n\r\n", 505],
    ["GET / HTTP/0.9\r\n\r\n", 505],
    ["GET / http/1.1\r\nHost: a\r\n\r\n", 400],
    ["GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400], // two spaces
    ["GET /a\x00b HTTP/1.1\r\nHost: a\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\n\r\n", 400], // no Host
    ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 9007199254740992\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo, chunked\r\n\r\n", 501],
    ["GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400], // a bare CR
    ["GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX\r\n0\r\n\r\n", 400],
    ["GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n20000000000000\r\n", 400],
  ];
  for (const [text, want] of cases) {
    const got = parseAll([text]);
    const last = got.at(-1);
    assert.equal(last?.error, want, JSON.stringify(text));
    assert.equal(last?.keepAlive, false);
  }
  assert.deepEqual(status("GET / HTTP/1.0\r\n\r\n"), [0], "HTTP/1.0 needs no Host");
  assert.deepEqual(status("GET / HTTP/1.1\r\nHost: a\r\n\r\nBAD\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), [0, 400]);
});

test("RequestParser's limits hold at the byte, and over-long input is refused before its end arrives", () => {
  // A request line of exactly REQUEST_LINE_LIMIT bytes before its LF (CR included) is served; one more is 414.
  const line = (n: number) => `GET /${"a".repeat(n - "GET / HTTP/1.1\r".length)} HTTP/1.1\r\n`;
  assert.deepEqual(status(`${line(REQUEST_LINE_LIMIT)}Host: a\r\n\r\n`), [0]);
  assert.deepEqual(status(`${line(REQUEST_LINE_LIMIT + 1)}Host: a\r\n\r\n`), [414]);
  assert.deepEqual(status(`GET /${"a".repeat(REQUEST_LINE_LIMIT)}`), [414], "414 without waiting for the LF");
  // A head of exactly HEAD_LIMIT bytes is served; one more is 431, also while it is still arriving.
  const head = (n: number) => {
    const start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
    return `${start}${"b".repeat(n - start.length - 4)}\r\n\r\n`;
  };
  assert.equal(head(HEAD_LIMIT).length, HEAD_LIMIT);
  assert.deepEqual(status(head(HEAD_LIMIT)), [0]);
  assert.deepEqual(status(head(HEAD_LIMIT + 1)), [431]);
  assert.deepEqual(status(head(HEAD_LIMIT + 1).slice(0, HEAD_LIMIT - 1)), [], "not yet over");
  assert.deepEqual(status(head(HEAD_LIMIT + 1).slice(0, HEAD_LIMIT + 1)), [431], "over before the end of the head");
  const fields = (n: number) => `GET / HTTP/1.1\r\n${"X: 1\r\n".repeat(n - 1)}Host: a\r\n\r\n`;
  assert.deepEqual(status(fields(MAX_HEADERS)), [0]);
  assert.deepEqual(status(fields(MAX_HEADERS + 1)), [431]);
  const chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  assert.deepEqual(status(`${chunked}1;${"e".repeat(CHUNK_LINE_LIMIT - 3)}\r\nx\r\n0\r\n\r\n`), [0]);
  assert.deepEqual(status(`${chunked}1;${"e".repeat(CHUNK_LINE_LIMIT - 2)}\r\nx\r\n0\r\n\r\n`), [0, 400]);
});

test("RequestParser never throws and always stops on bytes that are not HTTP", () => {
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < 200; i++) {
    const junk = new Uint8Array(1 + (next() % 3000)).map(() => next() >>> 24);
    const out: HttpRequest[] = [];
    const p = new RequestParser();
    p.push(junk, out);
    assert.ok(out.length <= 1 && (out.length === 0 || out[0]!.error > 0), `case ${i}`);
  }
});

test("Answers: one buffer for every request of a read, in order, and the bytes of each response", () => {
  const answers = new Answers();
  try {
    const reqs = parseAll([
      "GET / HTTP/1.1\r\nHost: a\r\n\r\n".repeat(3) + "HEAD / HTTP/1.1\r\nHost: a\r\n\r\n" +
      "GET /nope HTTP/1.1\r\nHost: a\r\n\r\nDELETE / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nBAD\r\n\r\n",
    ]);
    const text = new TextDecoder().decode(answers.batch(reqs));
    const OK = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 14\r\n\r\n";
    assert.equal(
      text,
      `${OK}Hello, World!\n`.repeat(3) + OK +
        "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 10\r\n\r\nNot Found\n" +
        "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 19\r\n" +
        "Allow: GET, HEAD\r\nConnection: keep-alive\r\n\r\nMethod Not Allowed\n" +
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\n" +
        "Connection: close\r\n\r\nBad Request\n",
    );
    // Identical responses are one slice of the prepared copies, not a new buffer.
    const same = answers.batch(parseAll(["GET / HTTP/1.1\r\nHost: a\r\n\r\n".repeat(16)]));
    assert.equal(same.buffer, answers.get(answerKey(reqs[0]!)).all.buffer);
    assert.equal(new TextDecoder().decode(same), `${OK}Hello, World!\n`.repeat(16));
    assert.equal(answerText("431||close").split("\r\n")[0], "HTTP/1.1 431 Request Header Fields Too Large");
  } finally {
    answers.free();
  }
});

test("RequestParser.recycle empties the batch and the next requests reuse its objects, with their own fields", () => {
  const p = new RequestParser();
  const out: HttpRequest[] = [];
  p.push(enc("GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), out);
  const first = [...out];
  p.recycle(out);
  assert.equal(out.length, 0);
  // Targets longer than the intern table's limit are built, not looked up: both paths fill a recycled object.
  const long = `/${"l".repeat(40)}`;
  p.push(enc(`POST ${long} HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nzDELETE /d HTTP/1.1\r\nHost: a\r\n\r\n`), out);
  assert.deepEqual(summary(out), [["POST", long, 1, true, 0], ["DELETE", "/d", 1, true, 0]]);
  assert.ok(out.every((r) => first.includes(r)), "the recycled objects were filled again");
  assert.notEqual(out[0], out[1]);
  // The third request of a batch of two recycled gets a new object.
  p.recycle(out);
  p.push(enc("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n".repeat(3)), out);
  assert.deepEqual(summary(out).map((r) => r[1]), ["/1", "/1", "/1"]);
  assert.equal(new Set(out).size, 3);
  // A recycled object (keep-alive before) reports a request that ends the connection.
  const before = [...out];
  p.recycle(out);
  p.push(enc("GET /2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"), out);
  assert.deepEqual(summary(out), [["GET", "/2", 1, false, 0]]);
  assert.ok(before.includes(out[0]!));
});
