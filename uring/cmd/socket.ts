/**
 * Socket commands through the ring (`io_uring_cmd_sock`, io_uring/cmd_net.c): the queue sizes, socket options,
 * the socket's address, and transmit timestamps, each as a typed operation on a {@link Loop}.
 *
 * What the kernel does, read from io_uring/cmd_net.c and checked on Linux 6.18:
 * - SIOCINQ / SIOCOUTQ (Linux 6.7) call the protocol's `ioctl`: bytes waiting to be read (for UDP the size of the
 *   next datagram) and bytes not yet sent/acknowledged. AF_UNIX sockets answer EOPNOTSUPP.
 * - GETSOCKOPT (Linux 6.7) accepts only `SOL_SOCKET` (other levels: EOPNOTSUPP); the result is the option's new
 *   length. SETSOCKOPT (Linux 6.7) takes any level. Both read `optval` from user memory when the command runs,
 *   which may be after `io_uring_enter` returned, so the value lives in a native arena chunk until the CQE.
 * - TX_TIMESTAMP (Linux 6.17) is multishot by itself (armed as a poll on EPOLLERR): each transmit timestamp
 *   queued on the socket's error queue becomes one CQE with `res` = the timestamp key, `flags` = F_MORE |
 *   type << IORING_TIMESTAMP_TYPE_SHIFT (| IORING_CQE_F_TSTAMP_HW), and `struct io_timespec` in the second 16
 *   bytes of a 32-byte CQE. Only skbs without payload are taken (SOF_TIMESTAMPING_OPT_TSONLY). A ring without
 *   IORING_SETUP_CQE32 or IORING_SETUP_CQE_MIXED gets EINVAL. It ends only by cancellation (-ECANCELED).
 * - GETSOCKNAME (Linux 6.19) is getsockname(2), or getpeername(2) with `optlen` = 1. On 6.18 it is EOPNOTSUPP.
 *
 * @example
 * ```ts
 * import { AF_INET, Loop, SO_RCVBUF, SOCK_DGRAM, socket, SOL_SOCKET } from "ringside-uring";
 * import { getsockoptInt, setsockopt, siocinq } from "ringside-uring/cmd";
 *
 * const loop = new Loop();
 * const fd = await socket(loop, AF_INET, SOCK_DGRAM);
 * await setsockopt(loop, fd, SOL_SOCKET, SO_RCVBUF, 65536);
 * console.log(await getsockoptInt(loop, fd, SOL_SOCKET, SO_RCVBUF)); // 131072: the kernel doubles it
 * console.log(await siocinq(loop, fd)); // bytes waiting to be read
 * ```
 *
 * @module
 */
import { libc } from "../../ffi/mod.ts";
import type { Loop } from "../loop/loop.ts";
import { Ring } from "../ring/ring.ts";
import { NativeMemory } from "../core/memory.ts";
import { refuse, UringError } from "../core/errors.ts";
import { checkFd, checkInt } from "../core/_validate.ts";
import type { Operation, OpOptions } from "../loop/operation.ts";
import { run } from "../loop/start.ts";
import type { Sqe } from "../ring/sqe.ts";
import { sqeSetData } from "../ring/sqe.ts";
import { type FinalAction, MultishotStream } from "../streams/stream.ts";
import { prepCmdGetsockname, prepCmdSock } from "../prep/cmd.ts";
import { kernelRelease } from "../ring/kernel_version.ts";
import {
  IORING_CQE_F_TSTAMP_HW,
  IORING_TIMESTAMP_TYPE_SHIFT,
  SOCKET_URING_OP_GETSOCKOPT,
  SOCKET_URING_OP_SETSOCKOPT,
  SOCKET_URING_OP_SIOCINQ,
  SOCKET_URING_OP_SIOCOUTQ,
  SOCKET_URING_OP_TX_TIMESTAMP,
} from "../abi/uapi.ts";
import {
  AF_INET,
  decodeSockaddr,
  SOCK_DGRAM,
  SOCKADDR_STORAGE_SIZE,
  type SocketAddress,
  SOL_SOCKET,
} from "../abi/sockaddr.ts";
import { getU64Words } from "../abi/_u64.ts";
import { EOPNOTSUPP } from "../abi/errno.ts";
import { CmdOp, hasBigCqes } from "./common.ts";
import { withHints } from "./_hints.ts";

// ---- Timestamping constants (include/uapi/linux/net_tstamp.h, asm-generic/socket.h, linux/errqueue.h) ---------

/** setsockopt(SOL_SOCKET, SO_TIMESTAMPING): which timestamps to generate and report (64-bit Linux). Linux 2.6.30 */
export const SO_TIMESTAMPING = 37;
/** SOF_TIMESTAMPING_TX_HARDWARE: request hardware transmit timestamps. Linux 2.6.30 */
export const SOF_TIMESTAMPING_TX_HARDWARE = 1 << 0;
/** SOF_TIMESTAMPING_TX_SOFTWARE: request software transmit timestamps (when the driver passes the packet on). */
export const SOF_TIMESTAMPING_TX_SOFTWARE = 1 << 1;
/** SOF_TIMESTAMPING_SOFTWARE: report software timestamps. Linux 2.6.30 */
export const SOF_TIMESTAMPING_SOFTWARE = 1 << 4;
/** SOF_TIMESTAMPING_RAW_HARDWARE: report hardware timestamps. Linux 2.6.30 */
export const SOF_TIMESTAMPING_RAW_HARDWARE = 1 << 6;
/** SOF_TIMESTAMPING_OPT_ID: number the sends, so each timestamp carries the key of its send. Linux 3.17 */
export const SOF_TIMESTAMPING_OPT_ID = 1 << 7;
/** SOF_TIMESTAMPING_TX_SCHED: also timestamp when the packet enters the packet scheduler. Linux 3.17 */
export const SOF_TIMESTAMPING_TX_SCHED = 1 << 8;
/** SOF_TIMESTAMPING_TX_ACK: also timestamp when TCP data is acknowledged. Linux 3.17 */
export const SOF_TIMESTAMPING_TX_ACK = 1 << 9;
/** SOF_TIMESTAMPING_OPT_TSONLY: queue timestamps without the packet's payload (required by TX_TIMESTAMP). */
export const SOF_TIMESTAMPING_OPT_TSONLY = 1 << 11;

/** Timestamp type SCM_TSTAMP_SND: the packet left the stack (driver or NIC). */
export const SCM_TSTAMP_SND = 0;
/** Timestamp type SCM_TSTAMP_SCHED: the packet entered the packet scheduler. */
export const SCM_TSTAMP_SCHED = 1;
/** Timestamp type SCM_TSTAMP_ACK: the data was acknowledged by the peer (TCP). */
export const SCM_TSTAMP_ACK = 2;
/** Timestamp type SCM_TSTAMP_COMPLETION: the NIC reported the transmission complete. Linux 6.16 */
export const SCM_TSTAMP_COMPLETION = 3;

/**
 * The SO_TIMESTAMPING flags {@link enableTxTimestamps} sets by default: software transmit timestamps, numbered
 * (OPT_ID), without payload (OPT_TSONLY, which TX_TIMESTAMP needs: it skips error-queue entries that carry data).
 */
export const TX_TIMESTAMPING_DEFAULT = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
  SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;

const AF_UNIX_HINT = "the socket's protocol has no ioctl handler (AF_UNIX sockets have none; TCP and UDP do)";

// ---- Queue sizes ----------------------------------------------------------------------------------------------

/**
 * Bytes waiting to be read on a socket: SOCKET_URING_OP_SIOCINQ, the ioctl SIOCINQ/FIONREAD through the ring
 * (Linux 6.7). For TCP the unread bytes; for UDP the size of the next datagram.
 *
 * @param loop The loop.
 * @param fd A TCP, UDP (or other protocol with an ioctl handler) socket; AF_UNIX answers EOPNOTSUPP.
 * @param options `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * import type { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * declare const sock: number; // a TCP connection
 *
 * const waiting = await siocinq(loop, sock);
 * ```
 */
export function siocinq(loop: Loop, fd: number, options?: OpOptions): Promise<number> {
  return queueSize(loop, fd, SOCKET_URING_OP_SIOCINQ, "get SIOCINQ", options);
}

/**
 * Bytes in a socket's send queue not yet sent (UDP) or not yet acknowledged (TCP): SOCKET_URING_OP_SIOCOUTQ, the
 * ioctl SIOCOUTQ/TIOCOUTQ through the ring (Linux 6.7).
 *
 * @param loop The loop.
 * @param fd A TCP or UDP socket; AF_UNIX answers EOPNOTSUPP.
 * @param options `signal`, `timeoutMs`.
 * @returns The byte count.
 *
 * @example
 * ```ts
 * import { setTimeout as sleep } from "node:timers/promises";
 * import type { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * declare const sock: number; // a TCP connection
 *
 * while (await siocoutq(loop, sock) > 0) await sleep(1); // wait until the peer acknowledged everything
 * ```
 */
export function siocoutq(loop: Loop, fd: number, options?: OpOptions): Promise<number> {
  return queueSize(loop, fd, SOCKET_URING_OP_SIOCOUTQ, "get SIOCOUTQ", options);
}

function queueSize(loop: Loop, fd: number, cmdOp: number, name: string, options?: OpOptions): Promise<number> {
  const op = new CmdOp(name, (sqe: Sqe) => {
    checkFd(name, fd);
    prepCmdSock(sqe, cmdOp, fd, 0, 0, 0, 0);
  });
  return withHints(run(loop, op, options), { EOPNOTSUPP: AF_UNIX_HINT });
}

// ---- Socket options -------------------------------------------------------------------------------------------

/** The largest option value {@link getsockopt} and {@link setsockopt} move (one arena chunk). */
export const SOCKOPT_MAX = 65536;

/**
 * Reads a socket option: SOCKET_URING_OP_GETSOCKOPT (Linux 6.7). The kernel writes the value into a native chunk
 * of `size` bytes; the promise resolves to a copy of the bytes it reported (the result is the option's length).
 * Only `SOL_SOCKET` options: the kernel answers EOPNOTSUPP for other levels, so ringside refuses them first.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param level `SOL_SOCKET` (1).
 * @param name The option (`SO_RCVBUF`, `SO_TYPE`, ...).
 * @param size The buffer offered to the kernel, 1 to {@link SOCKOPT_MAX} bytes.
 * @param options `signal`, `timeoutMs`.
 * @returns The option's bytes.
 *
 * @example
 * ```ts
 * import { type Loop, SO_LINGER, SOL_SOCKET } from "ringside-uring";
 * declare const loop: Loop;
 * declare const sock: number;
 *
 * const linger = await getsockopt(loop, sock, SOL_SOCKET, SO_LINGER, 8); // struct linger
 * ```
 */
export function getsockopt(
  loop: Loop, fd: number, level: number, name: number, size: number, options?: OpOptions,
): Promise<Uint8Array> {
  let out: Uint8Array;
  const op = new CmdOp<Uint8Array>("getsockopt", (sqe: Sqe, o) => {
    checkFd("getsockopt", fd);
    if (level !== SOL_SOCKET) {
      refuse("getsockopt", `io_uring's GETSOCKOPT accepts only SOL_SOCKET (${SOL_SOCKET}), got level ${level}: ` +
        `the kernel would answer EOPNOTSUPP (use getsockopt(2) for other levels)`);
    }
    checkInt("getsockopt", name, 0, 0x7fffffff, "the option name");
    checkInt("getsockopt", size, 1, SOCKOPT_MAX, "size");
    const c = o.chunk(loop, size);
    out = c.bytes.subarray(0, size);
    out.fill(0);
    prepCmdSock(sqe, SOCKET_URING_OP_GETSOCKOPT, fd, level, name, c.address, size);
  }, { map: (res) => out.slice(0, Math.min(res, out.length)) });
  return run(loop, op, options);
}

/**
 * Reads an `int` socket option (SO_RCVBUF, SO_TYPE, SO_ERROR, SO_KEEPALIVE ...) with {@link getsockopt}.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param level `SOL_SOCKET` (1).
 * @param name The option.
 * @param options `signal`, `timeoutMs`.
 * @returns The value.
 *
 * @example
 * ```ts
 * import { type Loop, SO_TYPE, SOL_SOCKET } from "ringside-uring";
 * declare const loop: Loop;
 * declare const sock: number;
 *
 * const type = await getsockoptInt(loop, sock, SOL_SOCKET, SO_TYPE); // SOCK_STREAM
 * ```
 */
export async function getsockoptInt(
  loop: Loop, fd: number, level: number, name: number, options?: OpOptions,
): Promise<number> {
  const bytes = await getsockopt(loop, fd, level, name, 4, options);
  if (bytes.length < 4) {
    throw new UringError("getsockopt", 0, `option ${name} is ${bytes.length} bytes long, not an int`);
  }
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getInt32(0, true);
}

/** The SOL_SOCKET options whose value holds a pointer (struct sock_fprog): setsockopt refuses them. */
const SO_ATTACH_FILTER = 26;
const SO_ATTACH_REUSEPORT_CBPF = 51;

/**
 * Sets a socket option: SOCKET_URING_OP_SETSOCKOPT (Linux 6.7), any level. A number or boolean is passed as a C
 * `int`; a TypedArray or DataView as its bytes (copied into a native chunk the kernel reads when the command runs).
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param level `SOL_SOCKET`, `IPPROTO_TCP`, `IPPROTO_IPV6` ...
 * @param name The option.
 * @param value An int (number or boolean) or the option's bytes (up to {@link SOCKOPT_MAX}).
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import { IPPROTO_TCP, type Loop, SOL_SOCKET, TCP_NODELAY } from "ringside-uring";
 * declare const loop: Loop;
 * declare const sock: number; // a TCP socket
 *
 * await setsockopt(loop, sock, IPPROTO_TCP, TCP_NODELAY, true);
 * await setsockopt(loop, sock, SOL_SOCKET, SO_TIMESTAMPING, TX_TIMESTAMPING_DEFAULT);
 * ```
 */
export function setsockopt(
  loop: Loop, fd: number, level: number, name: number, value: ArrayBufferView | number | boolean,
  options?: OpOptions,
): Promise<void> {
  const op = new CmdOp<void>("setsockopt", (sqe: Sqe, o) => {
    checkFd("setsockopt", fd);
    checkInt("setsockopt", level, 0, 0x7fffffff, "the level");
    checkInt("setsockopt", name, 0, 0x7fffffff, "the option name");
    if (level === SOL_SOCKET && (name === SO_ATTACH_FILTER || name === SO_ATTACH_REUSEPORT_CBPF)) {
      // Their value is a struct sock_fprog holding a pointer the kernel follows: not something to pass as bytes.
      refuse("setsockopt", "SO_ATTACH_FILTER and SO_ATTACH_REUSEPORT_CBPF take a pointer to a filter program: " +
        "use SO_ATTACH_BPF with a BPF program fd instead");
    }
    let len: number;
    let address: number;
    if (typeof value === "number" || typeof value === "boolean") {
      const n = typeof value === "boolean" ? (value ? 1 : 0) : value;
      // An int, or a u32 with bit 31 set.
      checkInt("setsockopt", n, -0x80000000, 0xffffffff, "a number value");
      const c = o.chunk(loop, 4);
      c.view.setUint32(0, n >>> 0, true);
      len = 4;
      address = c.address;
    } else {
      len = value.byteLength;
      if (len > SOCKOPT_MAX) refuse("setsockopt", `the value is ${len} bytes; at most ${SOCKOPT_MAX}`);
      const c = o.chunk(loop, Math.max(1, len));
      c.bytes.set(new Uint8Array(value.buffer, value.byteOffset, len));
      address = c.address;
    }
    prepCmdSock(sqe, SOCKET_URING_OP_SETSOCKOPT, fd, level, name, address, len);
  }, { map: () => undefined });
  return run(loop, op, options);
}

/**
 * Turns on transmit timestamps for a socket: setsockopt(SOL_SOCKET, SO_TIMESTAMPING, flags) through the ring.
 * With the default flags (software timestamps, OPT_ID numbering, OPT_TSONLY) every send produces one timestamp
 * that {@link txTimestamps} delivers; keys count sends from 0 on datagram sockets and bytes on TCP.
 *
 * @param loop The loop.
 * @param fd A UDP or TCP socket.
 * @param flags `SOF_TIMESTAMPING_*` bits (default {@link TX_TIMESTAMPING_DEFAULT}).
 * @param options `signal`, `timeoutMs`.
 *
 * @example
 * ```ts
 * import type { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * declare const sock: number; // a UDP socket
 *
 * await enableTxTimestamps(loop, sock);
 * ```
 */
export function enableTxTimestamps(
  loop: Loop, fd: number, flags: number = TX_TIMESTAMPING_DEFAULT, options?: OpOptions,
): Promise<void> {
  return setsockopt(loop, fd, SOL_SOCKET, SO_TIMESTAMPING, flags, options);
}

// ---- getsockname / getpeername --------------------------------------------------------------------------------

/** What {@link getsockname} takes beside the usual options. */
export interface GetsocknameOptions extends OpOptions {
  /** The peer's address (getpeername(2)) instead of the local one. */
  peer?: boolean | undefined;
}

let getsocknameProbe: { supported: boolean; res: number } | undefined;

/**
 * Whether this kernel runs SOCKET_URING_OP_GETSOCKNAME (Linux 6.19). Probed once, on a private ring with an
 * unbound UDP socket (6.18 and older answer EOPNOTSUPP there, which on a TCP/UDP socket means "no such
 * command"), and cached.
 *
 * @example
 * ```ts
 * import type { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * declare const sock: number;
 *
 * const addr = getsocknameSupported() ? await getsockname(loop, sock) : null;
 * ```
 */
export function getsocknameSupported(): boolean {
  return probeGetsockname().supported;
}

/**
 * The cached GETSOCKNAME probe (Linux 6.19): whether it is supported and the probe's raw result (0 or -errno).
 *
 * @example
 * ```ts
 * console.log(probeGetsockname()); // { supported: false, res: -95 } on Linux 6.18
 * ```
 */
export function probeGetsockname(): { supported: boolean; res: number } {
  if (getsocknameProbe) return getsocknameProbe;
  let res = -EOPNOTSUPP;
  const fd = libc().socket(AF_INET, SOCK_DGRAM, 0);
  let ring: Ring | undefined;
  const mem = NativeMemory.allocate(256);
  try {
    if (fd < 0) throw new UringError("probe GETSOCKNAME", libc().errno(), "socket(AF_INET, SOCK_DGRAM) failed");
    ring = new Ring(2);
    new DataView(mem.buffer).setUint32(SOCKADDR_STORAGE_SIZE, SOCKADDR_STORAGE_SIZE, true);
    const sqe = ring.getSqe()!;
    prepCmdGetsockname(sqe, fd, mem.address, mem.address + SOCKADDR_STORAGE_SIZE, 0);
    sqeSetData(sqe, 1);
    ring.submitAndWait(1);
    ring.forEachCqe((_ud, r) => (res = r));
  } finally {
    ring?.close();
    mem.free();
    if (fd >= 0) libc().close(fd);
  }
  getsocknameProbe = { supported: res >= 0, res };
  return getsocknameProbe;
}

/**
 * The local address of a socket, or its peer's with `{ peer: true }`: SOCKET_URING_OP_GETSOCKNAME (Linux 6.19).
 * The kernel writes a `sockaddr_storage` into a native chunk, decoded on completion. On older kernels the
 * promise rejects with a {@link UringError} (code `EOPNOTSUPP`, "unsupported: needs Linux 6.19") without
 * submitting anything; {@link getsocknameSupported} says so in advance.
 *
 * @param loop The loop.
 * @param fd The socket.
 * @param options `peer`, `signal`, `timeoutMs`.
 * @returns The address (null when the kernel reported none).
 *
 * @example
 * ```ts
 * import type { Loop } from "ringside-uring";
 * declare const loop: Loop;
 * declare const listener: number; // a bound TCP socket
 * declare const conn: number; // an accepted connection
 *
 * console.log(await getsockname(loop, listener)); // { family: 2, address: "0.0.0.0", port: 8080 }
 * const peer = await getsockname(loop, conn, { peer: true });
 * ```
 */
export function getsockname(loop: Loop, fd: number, options: GetsocknameOptions = {}): Promise<SocketAddress | null> {
  if (!getsocknameSupported()) {
    return Promise.reject(new UringError("getsockname", EOPNOTSUPP,
      `unsupported: needs Linux 6.19 (SOCKET_URING_OP_GETSOCKNAME); this kernel is ${kernelRelease()}`));
  }
  let out: Uint8Array;
  let view: DataView;
  const op = new CmdOp<SocketAddress | null>("getsockname", (sqe: Sqe, o) => {
    checkFd("getsockname", fd);
    const c = o.chunk(loop, SOCKADDR_STORAGE_SIZE + 4);
    out = c.bytes;
    view = c.view;
    out.fill(0, 0, SOCKADDR_STORAGE_SIZE);
    view.setUint32(SOCKADDR_STORAGE_SIZE, SOCKADDR_STORAGE_SIZE, true);
    prepCmdGetsockname(sqe, fd, c.address, c.address + SOCKADDR_STORAGE_SIZE, options.peer ? 1 : 0);
  }, {
    map: () => decodeSockaddr(out, Math.min(view.getUint32(SOCKADDR_STORAGE_SIZE, true), SOCKADDR_STORAGE_SIZE)),
  });
  return run(loop, op, options);
}

// ---- Transmit timestamps --------------------------------------------------------------------------------------

/** One transmit timestamp, as {@link txTimestamps} yields it. */
export interface TxTimestamp {
  /** The timestamp key (`ee_data`): with SOF_TIMESTAMPING_OPT_ID, the send's number (datagrams) or byte (TCP). */
  key: number;
  /** The type: {@link SCM_TSTAMP_SND}, {@link SCM_TSTAMP_SCHED}, {@link SCM_TSTAMP_ACK}, ... */
  type: number;
  /** Whether the NIC took it (IORING_CQE_F_TSTAMP_HW) rather than the kernel. */
  hw: boolean;
  /** Seconds (CLOCK_REALTIME for software timestamps). */
  sec: number;
  /** Nanoseconds, 0 to 999999999. */
  nsec: number;
}

/**
 * The transmit timestamps of a socket as they are generated: SOCKET_URING_OP_TX_TIMESTAMP (Linux 6.17), one
 * request that stays armed and posts a 32-byte CQE per timestamp. Turn timestamping on first
 * ({@link enableTxTimestamps}). Breaking out of `for await` (or `cancel()`) cancels the request and ends the stream.
 *
 * Needs a loop whose ring has 32-byte CQEs: `new Loop({ ring: { flags: IORING_SETUP_CQE32 } })` (or
 * IORING_SETUP_CQE_MIXED, Linux 6.18); other loops are refused before the kernel (which would answer EINVAL).
 *
 * @example
 * ```ts
 * import { IORING_SETUP_CQE32, Loop } from "ringside-uring";
 * declare const sock: number; // a UDP socket with SO_TIMESTAMPING set
 *
 * const loop = new Loop({ ring: { flags: IORING_SETUP_CQE32 } });
 * const stamps = new TxTimestampStream(loop, sock);
 * for await (const { key, sec, nsec } of stamps) console.log(key, sec, nsec);
 * ```
 */
export class TxTimestampStream extends MultishotStream<TxTimestamp> {
  private readonly fd: number;

  /**
   * @param loop A loop with 32-byte CQEs.
   * @param fd The socket.
   * @param options `signal` ends the stream with an AbortError.
   */
  constructor(loop: Loop, fd: number, options: { signal?: AbortSignal } = {}) {
    super(loop, "TX timestamp");
    checkFd("read TX timestamps", fd);
    if (!hasBigCqes(loop.ring)) {
      refuse("read TX timestamps", "SOCKET_URING_OP_TX_TIMESTAMP puts the timestamp in the second half of a " +
        "32-byte CQE, and this loop's ring has 16-byte CQEs: make the loop with " +
        "new Loop({ ring: { flags: IORING_SETUP_CQE32 } }) (or IORING_SETUP_CQE_MIXED, Linux 6.18)");
    }
    this.fd = fd;
    if (options.signal) this.bindSignal(options.signal);
    this.start();
  }

  protected prepArm(sqe: Sqe, _op: Operation): void {
    prepCmdSock(sqe, SOCKET_URING_OP_TX_TIMESTAMP, this.fd, 0, 0, 0, 0);
  }

  protected decode(res: number, flags: number, more: boolean, cqeWord: number): TxTimestamp | undefined {
    // Timestamps come with F_MORE; the final CQE (cancellation, an error) carries none.
    if (!more || res < 0) return undefined;
    const c = this.loop.ring.cqes32;
    return {
      key: res >>> 0,
      type: flags >>> IORING_TIMESTAMP_TYPE_SHIFT,
      hw: (flags & IORING_CQE_F_TSTAMP_HW) !== 0,
      // struct io_timespec { __u64 tv_sec; __u64 tv_nsec; } in the CQE's second 16 bytes.
      sec: getU64Words(c, cqeWord + 4),
      nsec: c[cqeWord + 6]!,
    };
  }

  protected override onFinal(res: number, flags: number): FinalAction | Error {
    const action = super.onFinal(res, flags);
    if (action instanceof UringError && res === -EOPNOTSUPP) {
      return new UringError("read TX timestamps", EOPNOTSUPP,
        `SOCKET_URING_OP_TX_TIMESTAMP needs Linux 6.17 and a TCP/UDP socket (this kernel is ${kernelRelease()})`,
        { cause: action });
    }
    return action;
  }
}

/**
 * The transmit timestamps of a socket as an async iterator: a {@link TxTimestampStream}. The loop's ring must
 * have 32-byte CQEs (IORING_SETUP_CQE32 or IORING_SETUP_CQE_MIXED). Linux 6.17.
 *
 * @param loop A loop with 32-byte CQEs.
 * @param fd A socket with SO_TIMESTAMPING set (see {@link enableTxTimestamps}).
 * @param options `signal` ends the stream.
 *
 * @example
 * ```ts
 * import { IORING_SETUP_CQE32, Loop, send } from "ringside-uring";
 * declare const sock: number; // a connected UDP socket
 *
 * const loop = new Loop({ ring: { flags: IORING_SETUP_CQE32 } });
 * await enableTxTimestamps(loop, sock);
 * const stamps = txTimestamps(loop, sock);
 * await send(loop, sock, new TextEncoder().encode("ping"));
 * for await (const t of stamps) {
 *   console.log(t.key, t.sec, t.nsec);
 *   break; // cancels the request
 * }
 * ```
 */
export function txTimestamps(loop: Loop, fd: number, options: { signal?: AbortSignal } = {}): TxTimestampStream {
  return new TxTimestampStream(loop, fd, options);
}
