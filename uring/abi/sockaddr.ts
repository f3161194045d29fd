/**
 * Socket addresses as the kernel lays them out: `struct sockaddr_in`, `sockaddr_in6` and `sockaddr_un` encoded into a
 * given byte view and decoded back, plus the socket constants (`AF_*`, `SOCK_*`, `SOL_*`, `SO_*`, `IPPROTO_*`,
 * `MSG_*`, `SCM_*`, `SHUT_*`) with their Linux values, named as in the C headers.
 *
 * Layouts (Linux, any architecture): `sa_family` is a little-endian u16 at byte 0 on the little-endian machines
 * ringside runs on (it is host order); ports, IPv4 addresses and the IPv6 flow label are big-endian (network order);
 * `sin6_scope_id` is host order.
 *
 * ```
 * sockaddr_in   16 B  family@0 port@2 (BE) addr@4 (4 B) zero@8
 * sockaddr_in6  28 B  family@0 port@2 (BE) flowinfo@4 (BE) addr@8 (16 B) scope_id@24
 * sockaddr_un  110 B  family@0 path@2 (108 B, NUL-terminated; a leading NUL is the abstract namespace)
 * ```
 *
 * @example
 * ```ts
 * import { decodeSockaddr, encodeSockaddr, SOCKADDR_STORAGE_SIZE } from "./sockaddr.ts";
 *
 * const buf = new Uint8Array(SOCKADDR_STORAGE_SIZE);
 * const len = encodeSockaddr({ address: "::1", port: 8080 }, buf);   // 28
 * console.log(decodeSockaddr(buf, len)); // { family: 10, address: "::1", port: 8080, flowinfo: 0, scopeId: 0 }
 * ```
 *
 * @module
 */

// ---- Address families (linux/socket.h) -----------------------------------------------------------------------

/** Unspecified address family. */
export const AF_UNSPEC = 0;
/** Local (Unix domain) sockets. */
export const AF_UNIX = 1;
/** POSIX name for AF_UNIX. */
export const AF_LOCAL = 1;
/** IPv4. */
export const AF_INET = 2;
/** IPv6. */
export const AF_INET6 = 10;
/** Netlink. */
export const AF_NETLINK = 16;
/** Low-level packet interface. */
export const AF_PACKET = 17;

// ---- Socket types (linux/net.h, asm-generic/socket.h on x86/arm) -----------------------------------------------

/** Stream socket (TCP for AF_INET/AF_INET6). */
export const SOCK_STREAM = 1;
/** Datagram socket (UDP for AF_INET/AF_INET6). */
export const SOCK_DGRAM = 2;
/** Raw socket. */
export const SOCK_RAW = 3;
/** Reliable datagrams. */
export const SOCK_RDM = 4;
/** Sequenced, connection-based datagrams (AF_UNIX, SCTP). */
export const SOCK_SEQPACKET = 5;
/** socket()/accept() type flag: the new descriptor is O_NONBLOCK. */
export const SOCK_NONBLOCK = 0x800;
/** socket()/accept() type flag: the new descriptor is O_CLOEXEC (not allowed for direct descriptors). */
export const SOCK_CLOEXEC = 0x80000;

// ---- Protocol levels and protocols (linux/socket.h, linux/in.h) --------------------------------------------------

/** setsockopt/getsockopt and control-message level of the socket itself. */
export const SOL_SOCKET = 1;
/** Level of IPv4 options (same value as IPPROTO_IP). */
export const SOL_IP = 0;
/** Level of TCP options (same value as IPPROTO_TCP). */
export const SOL_TCP = 6;
/** Level of UDP options (same value as IPPROTO_UDP). */
export const SOL_UDP = 17;
/** Level of IPv6 options (same value as IPPROTO_IPV6). */
export const SOL_IPV6 = 41;
/** Internet Protocol (the default protocol, and the level of IPv4 options). */
export const IPPROTO_IP = 0;
/** ICMP. */
export const IPPROTO_ICMP = 1;
/** TCP. */
export const IPPROTO_TCP = 6;
/** UDP. */
export const IPPROTO_UDP = 17;
/** IPv6 (the level of IPv6 options). */
export const IPPROTO_IPV6 = 41;
/** ICMPv6. */
export const IPPROTO_ICMPV6 = 58;
/** SCTP. */
export const IPPROTO_SCTP = 132;
/** Multipath TCP (Linux 5.6). */
export const IPPROTO_MPTCP = 262;

// ---- SOL_SOCKET options (asm-generic/socket.h) --------------------------------------------------------------------

/** Debugging. */
export const SO_DEBUG = 1;
/** Allow reuse of local addresses. */
export const SO_REUSEADDR = 2;
/** The socket type (read-only). */
export const SO_TYPE = 3;
/** Pending socket error, cleared when read (read-only). */
export const SO_ERROR = 4;
/** Bypass routing. */
export const SO_DONTROUTE = 5;
/** Allow broadcast datagrams. */
export const SO_BROADCAST = 6;
/** Send buffer size. */
export const SO_SNDBUF = 7;
/** Receive buffer size. */
export const SO_RCVBUF = 8;
/** Keep-alive probes on connection-oriented sockets. */
export const SO_KEEPALIVE = 9;
/** Out-of-band data inline. */
export const SO_OOBINLINE = 10;
/** Linger on close (`struct linger`). */
export const SO_LINGER = 13;
/** Allow several sockets to bind the same address and port (Linux 3.9). */
export const SO_REUSEPORT = 15;
/** Receive SCM_CREDENTIALS control messages (AF_UNIX). */
export const SO_PASSCRED = 16;
/** The peer's credentials (`struct ucred`, AF_UNIX). */
export const SO_PEERCRED = 17;
/** Minimum bytes before a receive returns. */
export const SO_RCVLOWAT = 18;
/** Minimum bytes before a send proceeds. */
export const SO_SNDLOWAT = 19;
/** Receive timeout (old `struct timeval`). */
export const SO_RCVTIMEO_OLD = 20;
/** Send timeout (old `struct timeval`). */
export const SO_SNDTIMEO_OLD = 21;
/** Bind to a network device. */
export const SO_BINDTODEVICE = 25;
/** Receive timestamps as SCM_TIMESTAMP (old `struct timeval`). */
export const SO_TIMESTAMP_OLD = 29;
/** Whether the socket listens (read-only). */
export const SO_ACCEPTCONN = 30;
/** Receive SCM_TIMESTAMPNS (old `struct timespec`). */
export const SO_TIMESTAMPNS_OLD = 35;
/** Mark packets (for routing). */
export const SO_MARK = 36;
/** The socket's protocol (read-only). */
export const SO_PROTOCOL = 38;
/** The socket's domain (read-only). */
export const SO_DOMAIN = 39;
/** Busy-poll microseconds. */
export const SO_BUSY_POLL = 46;
/** Allow MSG_ZEROCOPY sends (Linux 4.14). */
export const SO_ZEROCOPY = 60;

// ---- Control-message types (linux/socket.h) ---------------------------------------------------------------------

/** SOL_SOCKET control message carrying file descriptors (an `int` array). */
export const SCM_RIGHTS = 1;
/** SOL_SOCKET control message carrying `struct ucred` (pid, uid, gid). */
export const SCM_CREDENTIALS = 2;

// ---- Message flags (linux/socket.h) -------------------------------------------------------------------------------

/** Out-of-band data. */
export const MSG_OOB = 0x1;
/** Peek at incoming data without consuming it. */
export const MSG_PEEK = 0x2;
/** Bypass routing. */
export const MSG_DONTROUTE = 0x4;
/** recvmsg result flag: control data was truncated. */
export const MSG_CTRUNC = 0x8;
/** recv: return the real length of a datagram even when truncated; result flag: the datagram was truncated. */
export const MSG_TRUNC = 0x20;
/** Do not block: fail with EAGAIN instead (io_uring then completes with -EAGAIN rather than polling). */
export const MSG_DONTWAIT = 0x40;
/** End of record (SOCK_SEQPACKET). */
export const MSG_EOR = 0x80;
/** Wait for the full request. */
export const MSG_WAITALL = 0x100;
/** Confirm the path is alive. */
export const MSG_CONFIRM = 0x800;
/** Receive from the error queue. */
export const MSG_ERRQUEUE = 0x2000;
/** Do not raise SIGPIPE on a broken stream (ringside's sends always add it). */
export const MSG_NOSIGNAL = 0x4000;
/** More data follows (cork). */
export const MSG_MORE = 0x8000;
/** recvmmsg: block for the first message only. */
export const MSG_WAITFORONE = 0x10000;
/** Zero-copy send through the socket error queue (the plain syscall's mechanism; io_uring has SEND_ZC). */
export const MSG_ZEROCOPY = 0x4000000;
/** Set O_CLOEXEC on file descriptors received through SCM_RIGHTS. */
export const MSG_CMSG_CLOEXEC = 0x40000000;

// ---- shutdown(2) (linux/net.h) ----------------------------------------------------------------------------------

/** shutdown: no more receptions. */
export const SHUT_RD = 0;
/** shutdown: no more transmissions (the peer reads EOF). */
export const SHUT_WR = 1;
/** shutdown: neither. */
export const SHUT_RDWR = 2;

// ---- A few protocol options -------------------------------------------------------------------------------------

/** IPPROTO_TCP option: disable Nagle's algorithm. */
export const TCP_NODELAY = 1;
/** IPPROTO_IPV6 option: an AF_INET6 socket accepts IPv6 only. */
export const IPV6_V6ONLY = 26;
/** The kernel's default cap on listen() backlogs (net.core.somaxconn, 4096 since Linux 5.4). */
export const SOMAXCONN = 4096;

// ---- Sizes ----------------------------------------------------------------------------------------------------

/** sizeof(struct sockaddr_in). */
export const SOCKADDR_IN_SIZE = 16;
/** sizeof(struct sockaddr_in6). */
export const SOCKADDR_IN6_SIZE = 28;
/** sizeof(struct sockaddr_un). */
export const SOCKADDR_UN_SIZE = 110;
/** sizeof(struct sockaddr_storage): room for any address. */
export const SOCKADDR_STORAGE_SIZE = 128;
/** offsetof(struct sockaddr_un, sun_path). */
const SUN_PATH_OFFSET = 2;
/** sizeof(sun_path). */
const SUN_PATH_MAX = 108;

// ---- Types ----------------------------------------------------------------------------------------------------

/** An IPv4 or IPv6 address and port, as decoded from a `sockaddr_in`/`sockaddr_in6`. */
export interface InetSocketAddress {
  /** AF_INET or AF_INET6. */
  readonly family: typeof AF_INET | typeof AF_INET6;
  /** The address in its usual text form: `"127.0.0.1"`, `"::1"`, `"::ffff:10.0.0.1"`. */
  readonly address: string;
  /** The port, 0 to 65535. */
  readonly port: number;
  /** IPv6 only: the flow label (`sin6_flowinfo`, in host order). */
  readonly flowinfo?: number | undefined;
  /** IPv6 only: the scope (interface index, `sin6_scope_id`) of a link-local address. */
  readonly scopeId?: number | undefined;
}

/** A Unix-domain address, as decoded from a `sockaddr_un`. */
export interface UnixSocketAddress {
  /** AF_UNIX. */
  readonly family: typeof AF_UNIX;
  /**
   * The filesystem path; `""` for an unnamed socket (the peer of an unbound connect, a socketpair end); a path
   * starting with `"\0"` is in the abstract namespace (the rest is its name, NULs included).
   */
  readonly path: string;
}

/** An address of another family (AF_NETLINK, AF_PACKET ...), kept as its bytes. */
export interface RawSocketAddress {
  /** The `sa_family` value. */
  readonly family: number;
  /** The whole `struct sockaddr` as the kernel reported it (a copy). */
  readonly bytes: Uint8Array;
}

/** What {@link decodeSockaddr} returns: narrow on `family` (or `"port" in a`, `"path" in a`). */
export type SocketAddress = InetSocketAddress | UnixSocketAddress | RawSocketAddress;

/**
 * An address to encode: `{ address, port }` (the family follows from the address, or give `family`), or `{ path }`
 * for AF_UNIX. Decoded addresses are accepted as they are.
 */
export type SocketAddressInput =
  | { readonly address: string; readonly port: number; readonly family?: number | undefined;
    readonly flowinfo?: number | undefined; readonly scopeId?: number | undefined }
  | { readonly path: string; readonly family?: number | undefined };

/** A byte view of a buffer to encode into or decode from. */
export type SockaddrBuffer = Uint8Array | DataView;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8");

function bytesOf(buf: SockaddrBuffer): Uint8Array {
  return buf instanceof Uint8Array ? buf : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function fail(detail: string): never {
  throw new TypeError(`Cannot encode the socket address: ${detail}`);
}

// ---- Text forms -----------------------------------------------------------------------------------------------

/**
 * Parses a dotted-quad IPv4 address (`"127.0.0.1"`: four decimal numbers 0-255, no leading zeros) into 4 bytes, or
 * returns null when `text` is not one.
 *
 * @param text The address.
 * @returns The 4 bytes in network order, or null.
 *
 * @example
 * ```ts
 * parseIPv4("10.0.0.1"); // Uint8Array [10, 0, 0, 1]
 * parseIPv4("10.0.0"); // null
 * ```
 */
export function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (const [i, p] of parts.entries()) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/**
 * Formats 4 bytes (network order) as a dotted quad.
 *
 * @param bytes The address bytes.
 * @param offset Where they start in `bytes`.
 *
 * @example
 * ```ts
 * formatIPv4(Uint8Array.of(127, 0, 0, 1)); // "127.0.0.1"
 * ```
 */
export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/**
 * Parses an IPv6 address (RFC 4291 text: eight groups of hex, `::` for a run of zero groups, an optional trailing
 * dotted quad as in `::ffff:10.0.0.1`) into 16 bytes, or returns null. A `%scope` suffix is not part of the address:
 * strip it first (see {@link encodeSockaddr}).
 *
 * @param text The address.
 * @returns The 16 bytes in network order, or null.
 *
 * @example
 * ```ts
 * parseIPv6("::1"); // 15 zero bytes, then 1
 * parseIPv6("1::2::3"); // null
 * ```
 */
export function parseIPv6(text: string): Uint8Array | null {
  if (text.length === 0 || text.length > 45) return null;
  const out = new Uint8Array(16);
  const groups: number[] = [];
  let gapAt = -1;
  let rest = text;
  if (rest.startsWith("::")) {
    gapAt = 0;
    rest = rest.slice(2);
  } else if (rest.startsWith(":")) return null;
  let tail4: Uint8Array | null = null;
  while (rest.length > 0) {
    const colon = rest.indexOf(":");
    const part = colon < 0 ? rest : rest.slice(0, colon);
    if (colon < 0 && part.includes(".")) {
      tail4 = parseIPv4(part);
      if (!tail4) return null;
      rest = "";
      break;
    }
    if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return null;
    groups.push(parseInt(part, 16));
    if (colon < 0) {
      rest = "";
      break;
    }
    rest = rest.slice(colon + 1);
    if (rest.startsWith(":")) {
      if (gapAt >= 0) return null;
      gapAt = groups.length;
      rest = rest.slice(1);
    } else if (rest.length === 0) return null; // a trailing single ':'
  }
  const total = groups.length + (tail4 ? 2 : 0);
  if (gapAt < 0 ? total !== 8 : total > 7) return null;
  const words: number[] = [];
  const fill = 8 - total;
  for (const [i, group] of groups.entries()) {
    if (i === gapAt) for (let k = 0; k < fill; k++) words.push(0);
    words.push(group);
  }
  if (gapAt === groups.length) for (let k = 0; k < fill; k++) words.push(0);
  for (const [i, word] of words.entries()) {
    out[i * 2] = word >> 8;
    out[i * 2 + 1] = word & 0xff;
  }
  if (tail4) out.set(tail4, 12);
  return out;
}

/**
 * Formats 16 bytes (network order) as an IPv6 address in the RFC 5952 canonical form: lowercase, no leading zeros,
 * the longest run of two or more zero groups as `::`, and IPv4-mapped addresses as `::ffff:a.b.c.d`. Throws a
 * RangeError when `bytes` holds fewer than 16 bytes from `offset`.
 *
 * @param bytes The address bytes.
 * @param offset Where they start in `bytes`.
 *
 * @example
 * ```ts
 * formatIPv6(parseIPv6("0:0:0:0:0:0:0:1")!); // "::1"
 * ```
 */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  if (!(offset >= 0 && offset + 16 <= bytes.length)) {
    throw new RangeError(`Cannot format an IPv6 address: 16 bytes at ${offset} do not fit in ${bytes.length}`);
  }
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(bytes[offset + i * 2]! << 8 | bytes[offset + i * 2 + 1]!);
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `::ffff:${formatIPv4(bytes, offset + 12)}`;
  }
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number) => w.slice(a, b).map((x) => x.toString(16)).join(":");
  if (bestAt < 0) return hex(0, 8);
  return `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

// ---- Encoding -------------------------------------------------------------------------------------------------

/**
 * Writes a `struct sockaddr_in` (16 bytes) at `offset`.
 *
 * @param buf Where to write.
 * @param address A dotted-quad IPv4 address.
 * @param port The port, 0 to 65535.
 * @param offset Where the struct starts in `buf`.
 * @returns 16, the length to pass as `addrlen`.
 *
 * @example
 * ```ts
 * const sin = new Uint8Array(16);
 * encodeSockaddrIn(sin, "127.0.0.1", 8080);
 * ```
 */
export function encodeSockaddrIn(buf: SockaddrBuffer, address: string, port: number, offset = 0): number {
  const ip = parseIPv4(address) ?? fail(`${JSON.stringify(address)} is not an IPv4 address`);
  checkPort(port);
  const b = bytesOf(buf);
  if (offset < 0 || offset + SOCKADDR_IN_SIZE > b.byteLength) fail("the buffer is too small for a sockaddr_in");
  b.fill(0, offset, offset + SOCKADDR_IN_SIZE);
  b[offset] = AF_INET & 0xff;
  b[offset + 1] = AF_INET >> 8;
  b[offset + 2] = port >> 8;
  b[offset + 3] = port & 0xff;
  b.set(ip, offset + 4);
  return SOCKADDR_IN_SIZE;
}

/**
 * Writes a `struct sockaddr_in6` (28 bytes) at `offset`.
 *
 * @param buf Where to write.
 * @param address An IPv6 address; a `%N` suffix (numeric) sets the scope id when `scopeId` is not given.
 * @param port The port, 0 to 65535.
 * @param options `flowinfo` (host order, written big-endian as the kernel expects) and `scopeId`.
 * @param offset Where the struct starts in `buf`.
 * @returns 28, the length to pass as `addrlen`.
 *
 * @example
 * ```ts
 * const sin6 = new Uint8Array(28);
 * encodeSockaddrIn6(sin6, "::1", 8080);
 * ```
 */
export function encodeSockaddrIn6(
  buf: SockaddrBuffer, address: string, port: number,
  options: { flowinfo?: number | undefined; scopeId?: number | undefined } = {}, offset = 0,
): number {
  let text = address;
  let scope = options.scopeId;
  const pct = text.indexOf("%");
  if (pct >= 0) {
    const s = text.slice(pct + 1);
    if (!/^[0-9]+$/.test(s)) fail(`the scope in ${JSON.stringify(address)} must be a numeric interface index`);
    scope ??= Number(s);
    text = text.slice(0, pct);
  }
  const ip = parseIPv6(text) ?? fail(`${JSON.stringify(address)} is not an IPv6 address`);
  checkPort(port);
  const flow = options.flowinfo ?? 0;
  if (!Number.isInteger(flow) || flow < 0 || flow > 0xffffffff) fail(`flowinfo must be a u32, got ${flow}`);
  const sc = scope ?? 0;
  if (!Number.isInteger(sc) || sc < 0 || sc > 0xffffffff) fail(`scopeId must be a u32, got ${sc}`);
  const b = bytesOf(buf);
  if (offset < 0 || offset + SOCKADDR_IN6_SIZE > b.byteLength) fail("the buffer is too small for a sockaddr_in6");
  const v = new DataView(b.buffer, b.byteOffset + offset, SOCKADDR_IN6_SIZE);
  b.fill(0, offset, offset + SOCKADDR_IN6_SIZE);
  v.setUint16(0, AF_INET6, true);
  v.setUint16(2, port, false);
  v.setUint32(4, flow, false);
  b.set(ip, offset + 8);
  v.setUint32(24, sc, true);
  return SOCKADDR_IN6_SIZE;
}

/**
 * Writes a `struct sockaddr_un` at `offset` and returns the length to pass as `addrlen`: for a filesystem path,
 * `2 + bytes + 1` (the terminating NUL counted, as `SUN_LEN` plus one does); for an abstract name (`path` starting
 * with `"\0"`), `2 + bytes` exactly, since every byte of it is significant; for `""`, 2 (autobind on bind).
 *
 * @param buf Where to write (at least 110 bytes from `offset`, or the returned length).
 * @param path The path, UTF-8; at most 107 bytes (108 for abstract names).
 * @param offset Where the struct starts in `buf`.
 *
 * @example
 * ```ts
 * const sun = new Uint8Array(110);
 * const len = encodeSockaddrUn(sun, "/tmp/app.sock"); // 16
 * ```
 */
export function encodeSockaddrUn(buf: SockaddrBuffer, path: string, offset = 0): number {
  const name = textEncoder.encode(path);
  const abstract = name.length > 0 && name[0] === 0;
  if (!abstract && name.includes(0)) fail("a filesystem path cannot contain NUL bytes");
  if (name.length > (abstract ? SUN_PATH_MAX : SUN_PATH_MAX - 1)) {
    fail(`the path is ${name.length} bytes; sockaddr_un holds ${SUN_PATH_MAX - 1} (108 for abstract names)`);
  }
  const len = SUN_PATH_OFFSET + name.length + (abstract || name.length === 0 ? 0 : 1);
  const b = bytesOf(buf);
  if (offset < 0 || offset + len > b.byteLength) fail("the buffer is too small for this sockaddr_un");
  b.fill(0, offset, offset + Math.min(SOCKADDR_UN_SIZE, b.byteLength - offset));
  b[offset] = AF_UNIX;
  b[offset + 1] = 0;
  b.set(name, offset + SUN_PATH_OFFSET);
  return len;
}

/**
 * The encoded length of `addr`: 16 (IPv4), 28 (IPv6), or the `addrlen` of a `sockaddr_un` (see
 * {@link encodeSockaddrUn}).
 *
 * @param addr The address.
 *
 * @example
 * ```ts
 * sockaddrLength({ address: "::1", port: 1 }); // 28
 * ```
 */
export function sockaddrLength(addr: SocketAddressInput): number {
  const family = familyOf(addr);
  if (family === AF_INET) return SOCKADDR_IN_SIZE;
  if (family === AF_INET6) return SOCKADDR_IN6_SIZE;
  const name = textEncoder.encode((addr as { path: string }).path);
  const abstract = name.length > 0 && name[0] === 0;
  return SUN_PATH_OFFSET + name.length + (abstract || name.length === 0 ? 0 : 1);
}

/**
 * The address family `addr` encodes to: its `family` when given, AF_UNIX for `{ path }`, AF_INET6 for an address
 * containing `:`, else AF_INET.
 *
 * @param addr The address.
 *
 * @example
 * ```ts
 * familyOf({ address: "127.0.0.1", port: 80 }); // AF_INET (2)
 * ```
 */
export function familyOf(addr: SocketAddressInput): number {
  if (addr.family !== undefined) {
    if (addr.family !== AF_INET && addr.family !== AF_INET6 && addr.family !== AF_UNIX) {
      fail(`family ${addr.family} is not AF_INET (2), AF_INET6 (10) or AF_UNIX (1)`);
    }
    if ((addr.family === AF_UNIX) !== ("path" in addr)) fail("AF_UNIX addresses have a path, others an address");
    return addr.family;
  }
  if ("path" in addr) return AF_UNIX;
  if (typeof addr.address !== "string") fail("give { address, port } or { path }");
  return addr.address.includes(":") ? AF_INET6 : AF_INET;
}

/**
 * Writes the `struct sockaddr` for `addr` at `offset` (zeroing the struct first) and returns its length, the
 * `addrlen` for bind/connect/sendto. Throws a TypeError naming the problem for an address that does not parse, a
 * port outside 0-65535, or a path too long.
 *
 * @param addr `{ address, port }` (IPv4 or IPv6, by the address's form or `family`) or `{ path }` (AF_UNIX).
 * @param buf Where to write: {@link SOCKADDR_STORAGE_SIZE} bytes always suffice.
 * @param offset Where the struct starts in `buf`.
 *
 * @example
 * ```ts
 * const buf = new Uint8Array(SOCKADDR_STORAGE_SIZE);
 * const len = encodeSockaddr({ address: "127.0.0.1", port: 80 }, buf); // 16
 * ```
 */
export function encodeSockaddr(addr: SocketAddressInput, buf: SockaddrBuffer, offset = 0): number {
  const family = familyOf(addr);
  if (family === AF_UNIX) return encodeSockaddrUn(buf, (addr as { path: string }).path, offset);
  const a = addr as { address: string; port: number; flowinfo?: number | undefined; scopeId?: number | undefined };
  if (family === AF_INET) return encodeSockaddrIn(buf, a.address, a.port, offset);
  return encodeSockaddrIn6(buf, a.address, a.port, { flowinfo: a.flowinfo, scopeId: a.scopeId }, offset);
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`the port must be an integer 0-65535, got ${port}`);
}

// ---- Decoding -------------------------------------------------------------------------------------------------

/**
 * Reads the `struct sockaddr` of `length` bytes at `offset` (what accept, recvfrom and recvmsg report): an
 * {@link InetSocketAddress} for AF_INET/AF_INET6, a {@link UnixSocketAddress} for AF_UNIX, a
 * {@link RawSocketAddress} (the bytes) for any other family, or null for an empty or AF_UNSPEC address (an
 * unconnected datagram peer, an accept without a name). Throws a TypeError for a length too short for its family.
 *
 * @param buf The bytes.
 * @param length The address length the kernel reported (`addrlen`, `msg_namelen`); at most the buffer's room.
 * @param offset Where the struct starts in `buf`.
 *
 * @example
 * ```ts
 * declare const addr: Uint8Array, addrlen: number; // what accept(2) or recvfrom(2) filled in
 * const peer = decodeSockaddr(addr, addrlen);
 * ```
 */
export function decodeSockaddr(buf: SockaddrBuffer, length: number, offset = 0): SocketAddress | null {
  const b = bytesOf(buf);
  const len = Math.min(length, b.byteLength - offset);
  if (len < 2) return null;
  const family = b[offset]! | b[offset + 1]! << 8; // len >= 2: both bytes are in the buffer
  if (family === AF_UNSPEC) return null;
  const bad = (what: string): never => {
    throw new TypeError(`Cannot decode the socket address: ${what}`);
  };
  if (family === AF_INET) {
    if (len < 8) bad(`${len} bytes is too short for a sockaddr_in`);
    return { family: AF_INET, address: formatIPv4(b, offset + 4), port: b[offset + 2]! << 8 | b[offset + 3]! };
  }
  if (family === AF_INET6) {
    if (len < 24) bad(`${len} bytes is too short for a sockaddr_in6`);
    const v = new DataView(b.buffer, b.byteOffset + offset, len);
    return {
      family: AF_INET6,
      address: formatIPv6(b, offset + 8),
      port: v.getUint16(2, false),
      flowinfo: v.getUint32(4, false),
      scopeId: len >= 28 ? v.getUint32(24, true) : 0,
    };
  }
  if (family === AF_UNIX) {
    const name = b.subarray(offset + SUN_PATH_OFFSET, offset + len);
    if (name.length === 0) return { family: AF_UNIX, path: "" };
    if (name[0] === 0) return { family: AF_UNIX, path: textDecoder.decode(name) }; // abstract: every byte counts
    const nul = name.indexOf(0);
    return { family: AF_UNIX, path: textDecoder.decode(nul < 0 ? name : name.subarray(0, nul)) };
  }
  return { family, bytes: b.slice(offset, offset + len) };
}
