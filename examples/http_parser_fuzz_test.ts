/**
 * Fuzzing the HTTP parser of examples/http/parser.ts: thousands of generated, mutated and random inputs, each fed
 * whole and at random split points (byte by byte for the short ones). For every input: the parser never throws,
 * its results do not depend on the splits, and they equal those of a reference written separately below (whole
 * input, regular expressions, the same rules); for the generated valid requests they are exactly the requests
 * generated, with no error.
 *
 * The seed is random and printed; `RINGSIDE_FUZZ_SEED=N` repeats a run, `RINGSIDE_FUZZ_CASES=N` changes its size.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import {
  CHUNK_LINE_LIMIT,
  HEAD_LIMIT,
  type HttpRequest,
  MAX_HEADERS,
  REQUEST_LINE_LIMIT,
  RequestParser,
} from "./http/parser.ts";

const SEED = Number(process.env.RINGSIDE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
const CASES = Number(process.env.RINGSIDE_FUZZ_CASES ?? 1000);

/** mulberry32: a small seeded PRNG, so that a printed seed repeats a run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rand {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chars(alphabet: string, min: number, max: number): string {
    let s = "";
    for (let n = min + this.int(max - min + 1); n > 0; n--) s += alphabet[this.int(alphabet.length)];
    return s;
  }
  randomCase(s: string): string {
    return [...s].map((c) => (this.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join("");
  }
}

const bytesOf = (s: string): Uint8Array => {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
};
const textOf = (b: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
};

// ---- The reference: the whole input at once, regular expressions -------------------------------------------

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const REQUEST_LINE = new RegExp(`^(${TOKEN}) ([\\x21-\\x7e]+) HTTP/(\\d)\\.(\\d)$`);
const FIELD_LINE = new RegExp(`^(${TOKEN}):([\\t\\x20-\\x7e\\x80-\\xff]*)$`);
const CHUNK_SIZE_LINE = /^([0-9A-Fa-f]+)(?:[ \t]*;[\t\x20-\x7e\x80-\xff]*)?$/;
const KNOWN = ["gzip", "x-gzip", "deflate", "compress", "x-compress"];

function reference(input: Uint8Array): HttpRequest[] {
  const s = textOf(input);
  const out: HttpRequest[] = [];
  let pos = 0;
  const fail = (error: number) => {
    out.push({ method: "", target: "", minor: 1, keepAlive: false, error });
    return out;
  };
  /** The next line (one CR before the LF stripped) and its length with the LF, or null, or "over" the limit. */
  const nextLine = (limit: number): { text: string; raw: number } | null | "over" => {
    const lf = s.indexOf("\n", pos);
    if ((lf < 0 ? s.length : lf) - pos > limit) return "over";
    if (lf < 0) return null;
    const raw = s.slice(pos, lf);
    pos = lf + 1;
    return { text: raw.endsWith("\r") ? raw.slice(0, -1) : raw, raw: raw.length + 1 };
  };
  for (;;) {
    let line = nextLine(REQUEST_LINE_LIMIT);
    while (line !== null && line !== "over" && line.text === "") line = nextLine(REQUEST_LINE_LIMIT);
    if (line === "over") return fail(414);
    if (line === null) return out;
    const m = REQUEST_LINE.exec(line.text);
    if (!m) return fail(400);
    if (m[3] !== "1") return fail(505);
    const [method, target, minor] = [m[1]!, m[2]!, m[4] === "0" ? 0 : 1];
    let head = line.raw;
    let fields = 0;
    let hosts = 0;
    let close = false;
    let keep = false;
    let length: bigint | null = null;
    let codings: string[] | null = null;
    for (;;) {
      const f = nextLine(HEAD_LIMIT - head - 1);
      if (f === "over") return fail(431);
      if (f === null) return out;
      head += f.raw;
      if (f.text === "") break;
      if (++fields > MAX_HEADERS) return fail(431);
      const fm = FIELD_LINE.exec(f.text);
      if (!fm) return fail(400);
      const name = fm[1]!.toLowerCase();
      const value = fm[2]!.replace(/^[ \t]+|[ \t]+$/g, "");
      if (name === "host") hosts++;
      else if (name === "connection") {
        const tokens = value.toLowerCase().split(",").map((t) => t.trim());
        close ||= tokens.includes("close");
        keep ||= tokens.includes("keep-alive");
      } else if (name === "content-length") {
        if (length !== null || !/^\d+$/.test(value)) return fail(400);
        length = BigInt(value);
        if (length > BigInt(Number.MAX_SAFE_INTEGER)) return fail(400);
      } else if (name === "transfer-encoding") {
        codings = [...(codings ?? []), ...value.toLowerCase().split(",").map((t) => t.trim()).filter((t) => t)];
      }
    }
    if (hosts > 1 || (minor === 1 && hosts === 0)) return fail(400);
    if (codings !== null) {
      if (minor === 0 || length !== null || codings.length === 0 || codings.at(-1) !== "chunked") return fail(400);
      for (const c of codings.slice(0, -1)) {
        if (c === "chunked") return fail(400);
        if (!KNOWN.includes(c)) return fail(501);
      }
    }
    const keepAlive = !close && (minor === 1 || keep);
    out.push({ method, target, minor, keepAlive, error: 0 });
    if (!keepAlive) return out;
    if (codings !== null) {
      for (;;) {
        const z = nextLine(CHUNK_LINE_LIMIT);
        if (z === "over") return fail(400);
        if (z === null) return out;
        const zm = CHUNK_SIZE_LINE.exec(z.text);
        if (!zm) return fail(400);
        const size = BigInt(`0x${zm[1]}`);
        if (size > BigInt(Number.MAX_SAFE_INTEGER)) return fail(400);
        if (size === 0n) break;
        pos += Number(size);
        if (pos > s.length) return out;
        const crlf = nextLine(1);
        if (crlf === "over") return fail(400);
        if (crlf === null) return out;
        if (crlf.text !== "") return fail(400);
      }
      let trailers = 0;
      for (;;) {
        const t = nextLine(HEAD_LIMIT - trailers - 1);
        if (t === "over") return fail(431);
        if (t === null) return out;
        trailers += t.raw;
        if (t.text === "") break;
        if (!FIELD_LINE.test(t.text)) return fail(400);
      }
    } else if (length !== null) {
      pos += Number(length);
      if (pos > s.length) return out;
    }
  }
}

// ---- Generating valid requests ---------------------------------------------------------------------------------

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PATH = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@%/";
const VALUE = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\t" +
  "\x80\xa0\xe9\xff";
const ANY = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");

/**
 * Faults a request may get at each point of its grammar, for the faulty streams: each is wrong, or right in a way
 * the valid generator does not produce, at exactly the place where the parser has to judge it. `$` stands for the
 * right value (a size stays the size of the data that follows, so only the fault itself can make a difference).
 */
const FAULTS = {
  eol: ["\r", "\r\r\n", "\n\r", "\r \n"],
  method: ["G ET", "GET\x00", "", "G\x7fT", "GET:", "(GET)"],
  target: ["", "/a b", "/\x00", "/\x80", "/\x7f", "/\t"],
  version: ["HTTP/2.0", "HTTP/1.1 ", "HTTP/1", "HTTP/1.10", "http/1.1", "HTTP/0.9", " HTTP/1.1", "HTTP/3.0"],
  field: ["Host : a", "X-A:\x00", ": a", "X\x00:a", " folded", "\tfolded", "X-A: a\rb", "X-A", "X A: b", "X-A: \x7f"],
  length: ["-$", "1e3", "+$", "$ $", "0x$", "99999999999999999999", "", "$,$", "9007199254740992", "9007199254740991"],
  coding: ["gzip", "chunked, chunked", "foo, chunked", "chunked, gzip", "", ",", "identity, chunked", "chunked;x"],
  chunkSize: ["$ ", "0x$", "-$", "$ ;x", "$;\x00", "", "g", "20000000000000", "ffffffffffffffffff", " $", "$\t;x=y", "$;"],
  chunkEnd: ["\rX\n", "X\r\n", "", "\r\r\n", " \r\n"],
  trailer: ["bad trailer", " folded: x", "X: \x00"],
} as const;

/** One request: its bytes and what the parser must report (meaningful only when `faulty` is false). */
function validRequest(r: Rand, faulty = false): { text: string; req: HttpRequest } {
  /** `good`, or for a faulty request now and then one of the faults of `kind`. */
  const or = (kind: keyof typeof FAULTS, good: string) => (faulty && r.chance(0.04) ? r.pick(FAULTS[kind]).replaceAll("$", good) : good);
  const eol = () => or("eol", r.chance(0.9) ? "\r\n" : "\n");
  const ows = () => r.pick(["", "", " ", "  ", "\t", " \t"]);
  const method = r.pick(["GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", r.chars(TCHARS, 1, 12)]);
  let target = r.chance(0.4) ? "/" : r.chance(0.1) ? "*" :
    `/${r.chars(PATH, 0, 40)}${r.chance(0.3) ? `?${r.chars(PATH + "?", 0, 30)}` : ""}`;
  const minor = r.chance(0.8) ? 1 : 0;
  const version = `HTTP/1.${minor === 1 ? r.pick(["1", "1", "1", "2", "9"]) : "0"}`;
  const lineEnd = eol();
  if (r.chance(0.03)) {
    // A request line of exactly the limit (or, when faulty, one byte over it), CR included.
    const want = REQUEST_LINE_LIMIT - (lineEnd.endsWith("\r\n") ? 1 : 0) + (faulty ? r.int(2) : 0);
    target = `/${"p".repeat(Math.max(0, want - method.length - version.length - 3))}`;
  }
  let text = r.chance(0.1) ? r.pick(["\r\n", "\n", "\r\n\r\n"]) : "";
  const lead = text.length;
  text += `${or("method", method)} ${or("target", target)} ${or("version", version)}${lineEnd}`;
  const fields: string[] = [];
  if (minor === 1 || r.chance(0.5)) fields.push(`${r.randomCase("host")}:${ows()}${r.chars(PATH, 0, 20)}${ows()}`);
  if (faulty && r.chance(0.05)) fields.push(r.chance(0.5) ? "Host: again" : r.pick(FAULTS.field));
  let close = false;
  let keep = false;
  if (r.chance(0.4)) {
    const tokens = r.pick([["keep-alive"], ["close"], ["Keep-Alive"], ["upgrade"], ["keep-alive", "close"], ["x"]]);
    close = tokens.some((t) => t.toLowerCase() === "close");
    keep = tokens.some((t) => t.toLowerCase() === "keep-alive");
    fields.push(`${r.randomCase("connection")}:${ows()}${tokens.join(r.pick([",", ", ", " ,"]))}${ows()}`);
  }
  for (let n = r.int(r.chance(0.05) ? MAX_HEADERS - fields.length - 1 + (faulty ? r.int(3) : 0) : 6); n > 0; n--) {
    fields.push(or("field", `${r.chars(TCHARS, 1, 20)}:${ows()}${r.chars(VALUE, 0, 40).trim()}${ows()}`.replace(
      /^(content-length|transfer-encoding|host|connection):/i,
      "x-$1:",
    )));
  }
  const bodyKind = r.pick(["none", "none", "length", "chunked"] as const);
  let body = "";
  if (bodyKind === "length" || (bodyKind === "chunked" && minor === 0 && !faulty)) {
    const data = r.chars(ANY, 0, r.chance(0.1) ? 5000 : 60);
    fields.push(`${r.randomCase("content-length")}:${ows()}${or("length", `${r.chance(0.1) ? "00" : ""}${data.length}`)}${ows()}`);
    if (faulty && r.chance(0.03)) fields.push(r.chance(0.5) ? `Content-Length: ${data.length}` : "Transfer-Encoding: chunked");
    body = data;
  } else if (bodyKind === "chunked") {
    const codings = r.chance(0.2) ? `${r.pick(KNOWN)}, chunked` : r.randomCase("chunked");
    fields.push(`${r.randomCase("transfer-encoding")}:${ows()}${or("coding", codings)}${ows()}`);
    for (let n = r.int(4); n > 0; n--) {
      const data = r.chars(ANY, 1, r.chance(0.1) ? 3000 : 40);
      const size = (r.chance(0.2) ? "000" : "") + data.length.toString(16);
      const ext = r.chance(0.2) ? `${ows()};ext=${r.chars(PATH, 0, 8)}` : "";
      body += `${or("chunkSize", r.chance(0.5) ? size.toUpperCase() : size)}${ext}${eol()}`;
      body += `${data}${or("chunkEnd", eol())}`;
    }
    body += `${or("chunkSize", "0")}${eol()}`;
    for (let n = r.chance(0.3) ? r.int(3) : 0; n > 0; n--) {
      body += `${or("trailer", `${r.chars(TCHARS, 1, 10)}: ${r.chars(PATH, 0, 10)}`)}${eol()}`;
    }
    body += eol();
  }
  // Shuffle the field lines (the framing fields may come anywhere).
  for (let i = fields.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [fields[i], fields[j]] = [fields[j]!, fields[i]!];
  }
  let head = fields.map((f) => f + eol()).join("") + eol();
  if (fields.length < MAX_HEADERS && r.chance(0.03)) {
    // A head of exactly the limit, or up to 2 bytes under it (over it by up to 2 when faulty), with a padding field.
    const size = text.length - lead + head.length;
    const pad = HEAD_LIMIT - size - "X-Pad: \r\n".length + (faulty ? r.int(3) : -r.int(3));
    if (pad >= 0 && size + pad < HEAD_LIMIT + 3) head = `X-Pad: ${"z".repeat(pad)}\r\n${head}`;
  }
  text += head + body;
  return { text, req: { method, target, minor, keepAlive: !close && (minor === 1 || keep), error: 0 } };
}

/** A few requests back to back, and what the parser must report if none is faulty (nothing after one that closes). */
function requestStream(r: Rand, faulty = false): { text: string; expected: HttpRequest[] } {
  let text = "";
  const expected: HttpRequest[] = [];
  let open = true;
  for (let n = 1 + r.int(5); n > 0; n--) {
    const { text: t, req } = validRequest(r, faulty);
    text += t;
    if (open) expected.push(req);
    open &&= req.keepAlive;
  }
  return { text, expected };
}

// ---- Breaking them ---------------------------------------------------------------------------------------------

const HOSTILE = [
  "Transfer-Encoding: chunked\r\n", "Transfer-Encoding: gzip\r\n", "Transfer-Encoding: foo, chunked\r\n",
  "Transfer-Encoding: chunked, chunked\r\n", "Transfer-Encoding:\r\n", "Content-Length: 5\r\n",
  "Content-Length: -1\r\n", "Content-Length: 99999999999999999999\r\n", "Content-Length: 1e3\r\n",
  "Content-Length: 0x10\r\n", "Content-Length: 5, 5\r\n", "Content-Length: \r\n", " folded\r\n", "\tfolded\r\n",
  "Host: x\r\n", "Host : x\r\n", "X: a\x00b\r\n", "X: a\rb\r\n", "\r\n", "\n", "\r", "\x00", " ", ":", ";",
  "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/2.0\r\n", "HTTP/1.0", "HTTP/0.9",
  "0\r\n\r\n", "5\r\nhello\r\n", "fffffffffffffffffff\r\n", "0;ext\r\n", "Connection: close\r\n",
];

function mutate(r: Rand, text: string): string {
  let s = text;
  for (let n = 1 + r.int(3); n > 0; n--) {
    const at = r.int(s.length + 1);
    switch (r.int(9)) {
      case 0:
        s = s.slice(0, at) + ANY[r.int(256)] + s.slice(at + 1);
        break;
      case 1:
        s = s.slice(0, at) + r.pick(["\x00", "\t", "\n", "\r", " ", ":", "\x7f", "\xff", ANY[r.int(256)]!]) + s.slice(at);
        break;
      case 2:
        s = s.slice(0, at) + s.slice(at + 1 + r.int(8));
        break;
      case 3: {
        const from = r.int(s.length + 1);
        s = s.slice(0, at) + s.slice(from, from + r.int(40)) + s.slice(at);
        break;
      }
      case 4:
        s = s.slice(0, at) + r.pick(HOSTILE) + s.slice(at);
        break;
      case 5: // near and over the limits
        s = s.slice(0, at) +
          "a".repeat(r.pick([REQUEST_LINE_LIMIT - 20, REQUEST_LINE_LIMIT + 1, HEAD_LIMIT - 30, HEAD_LIMIT + 5, 300])) +
          s.slice(at);
        break;
      case 6: { // a framing field or an odd version in the first request
        const lf = s.indexOf("\n") + 1;
        s = s.slice(0, lf) + r.pick(HOSTILE.filter((h) => h.includes(":"))) + s.slice(lf);
        break;
      }
      case 7:
        s = s.replace(/HTTP\/1\.\d/, r.pick(["HTTP/2.0", "HTTP/3.0", "HTTP/0.9", "HTTP/1.x", "HTTP/11.1", "http/1.1"]));
        break;
      default:
        s = s.slice(0, at) + "X-Many: 1\r\n".repeat(r.pick([MAX_HEADERS - 2, MAX_HEADERS, MAX_HEADERS + 3])) + s.slice(at);
    }
  }
  return s;
}

/** Requests made of the pieces requests are made of, in any order. */
function soup(r: Rand): string {
  const pieces = [
    "GET", "POST", " ", "/", "/x", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "\r\n", "\n", "\r", "Host", "host: a",
    ":", "Content-Length: ", "Transfer-Encoding: ", "chunked", "gzip", "0", "3", "a", "abc", "Connection: ",
    "close", "keep-alive", ",", "\t", "\x00", ";", "\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\n",
  ];
  let s = "";
  for (let n = r.int(60); n > 0; n--) s += r.pick(pieces);
  return s;
}

// ---- Running ---------------------------------------------------------------------------------------------------

/**
 * The parser's results when `input` arrives in pieces ending at `cuts`: as views of their own, or (`ranged`) as
 * ranges of the whole input, as the server passes a provided buffer: the bytes after a range (its next LF) must not
 * be seen.
 */
function parseSplit(input: Uint8Array, cuts: readonly number[], ranged = false): HttpRequest[] {
  const p = new RequestParser();
  const out: HttpRequest[] = [];
  let from = 0;
  for (const to of [...cuts, input.length]) {
    if (ranged) p.push(input, out, from, to);
    else p.push(input.subarray(from, to), out);
    from = to;
  }
  return out;
}

function randomCuts(r: Rand, n: number): number[] {
  const cuts = Array.from({ length: r.int(Math.min(n, 12)) }, () => r.int(n + 1));
  return cuts.sort((a, b) => a - b);
}

/** Checks one input; returns the results. */
function check(r: Rand, text: string, where: string): HttpRequest[] {
  const input = bytesOf(text);
  const show = () => `${where}: ${JSON.stringify(text.length > 400 ? `${text.slice(0, 400)}...` : text)}`;
  let whole: HttpRequest[];
  try {
    whole = parseSplit(input, []);
  } catch (e) {
    assert.fail(`the parser threw ${e} on ${show()}`);
  }
  assert.deepEqual(whole, reference(input), `the reference disagrees on ${show()}`);
  const splits = [randomCuts(r, input.length), randomCuts(r, input.length)];
  if (input.length <= 600) splits.push(Array.from({ length: Math.max(0, input.length - 1) }, (_, i) => i + 1));
  for (const [i, cuts] of splits.entries()) {
    let got: HttpRequest[];
    try {
      got = parseSplit(input, cuts, i % 2 === 1);
    } catch (e) {
      assert.fail(`the parser threw ${e} when split at ${cuts.join(",")}: ${show()}`);
    }
    assert.deepEqual(got, whole, `split at ${cuts.length > 20 ? "every byte" : cuts.join(",")}: ${show()}`);
  }
  return whole;
}

test(`RequestParser: generated, mutated and random requests, whole and split (seed ${SEED})`, { timeout: 60_000 }, () => {
  console.log(`http parser fuzz: seed ${SEED}, ${CASES} cases of each kind (RINGSIDE_FUZZ_SEED=${SEED} repeats it)`);
  const t0 = Date.now();
  let errors = 0;
  const statuses = new Set<number>();
  for (let i = 0; i < CASES; i++) {
    const caseSeed = (SEED + i * 0x9e3779b1) >>> 0;
    const r = new Rand(caseSeed);
    const where = `case ${i} (seed ${SEED})`;
    const { text, expected } = requestStream(r);
    assert.deepEqual(check(r, text, `${where}, valid`), expected, `${where}: valid requests parsed differently`);
    for (const res of check(r, requestStream(r, true).text, `${where}, faulty`)) statuses.add(res.error);
    for (const res of check(r, mutate(r, text), `${where}, mutated`)) {
      if (res.error) errors++;
      statuses.add(res.error);
    }
    for (const res of check(r, soup(r), `${where}, soup`)) statuses.add(res.error);
    if (i % 8 === 0) check(r, r.chars(ANY, 0, 300), `${where}, random bytes`);
  }
  console.log(`http parser fuzz: ${Date.now() - t0} ms, statuses seen: ${[...statuses].sort((a, b) => a - b).join(", ")}`);
  // The mutations must reach every error path, or the comparison above proves little.
  for (const s of [0, 400, 414, 431, 501, 505]) assert.ok(statuses.has(s), `no case ended with status ${s}`);
  assert.ok(errors > CASES / 10, `only ${errors} mutated cases were errors`);
});
