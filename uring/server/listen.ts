/**
 * A listening TCP socket made at once with libc ({@link listenTcp}), what `serve` accepts on, and
 * {@link formatAddress} for printing where it listens.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * import { close } from "ringside-uring/fs";
 *
 * const { fd, address } = listenTcp({ port: 0, host: "::1" });
 * console.log(`listening on ${formatAddress(address)}`); // listening on [::1]:40123
 * const loop = new Loop();
 * await close(loop, fd);
 * await loop.close();
 * ```
 *
 * @module
 */
import { libc } from "../../ffi/mod.ts";
import { refuse, UringError } from "../core/errors.ts";
import { checkInt } from "../core/_validate.ts";
import {
  decodeSockaddr,
  encodeSockaddr,
  familyOf,
  type InetSocketAddress,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SOCK_CLOEXEC,
  SOCK_STREAM,
  SOCKADDR_STORAGE_SIZE,
  SOL_SOCKET,
  SOMAXCONN,
} from "../abi/sockaddr.ts";

/** Where and how {@link listenTcp} listens. */
export interface ListenOptions {
  /** The port; 0 lets the kernel pick a free one (read it from the result). */
  port: number;
  /** A numeric IPv4 or IPv6 address (default `"127.0.0.1"`; `"localhost"` means it too; `"::"` is every address). */
  host?: string | undefined;
  /** The queue of connections not accepted yet (default SOMAXCONN; the kernel caps it at net.core.somaxconn). */
  backlog?: number | undefined;
  /** SO_REUSEADDR: rebind a port whose old connections linger in TIME_WAIT (default true). */
  reuseAddr?: boolean | undefined;
  /** SO_REUSEPORT: several sockets (one per loop or process) share the port, the kernel spreads connections. */
  reusePort?: boolean | undefined;
}

/** A listening socket made by {@link listenTcp}. */
export interface Listener {
  /** The socket's file descriptor (close-on-exec); the caller closes it. */
  fd: number;
  /** The address it listens on, with the port the kernel picked for port 0. */
  address: InetSocketAddress;
}

/**
 * Makes a listening TCP socket now, with libc (socket, setsockopt, bind, listen, getsockname: no kernel version
 * requirement beyond the options used). Throws a {@link UringError} naming the address: EADDRINUSE, EACCES for a
 * privileged port, EADDRNOTAVAIL for an address the machine does not have, and code `ERINGSIDE` for a port or host
 * that is not one.
 *
 * @param options `port`, `host`, `backlog`, `reuseAddr`, `reusePort`.
 * @returns The descriptor and the address, with the actual port.
 *
 * @example
 * ```ts
 * const { fd, address } = listenTcp({ port: 0 });
 * console.log(`listening on ${formatAddress(address)}`); // listening on 127.0.0.1:40123
 * ```
 */
export function listenTcp(options: ListenOptions): Listener {
  const host = options.host === undefined || options.host === "localhost" ? "127.0.0.1" : options.host;
  const port = options.port;
  const what = `listen on ${formatAddress({ address: host, port })}`;
  checkInt(what, port, 0, 65535, "the port");
  const sa = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  let len: number;
  try {
    len = encodeSockaddr({ address: host, port }, sa);
  } catch (e) {
    refuse(what, `the host must be a numeric IPv4 or IPv6 address (${(e as Error).message})`);
  }
  const c = libc();
  const fd = c.socket(familyOf({ address: host, port }), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new UringError(what, c.errno(), "socket() failed");
  try {
    const one = new Uint8Array(4);
    new DataView(one.buffer).setInt32(0, 1, true);
    const opt = (name: number, label: string) => {
      if (c.setsockopt(fd, SOL_SOCKET, name, one, 4) < 0) throw new UringError(what, c.errno(), `cannot set ${label}`);
    };
    if (options.reuseAddr !== false) opt(SO_REUSEADDR, "SO_REUSEADDR");
    if (options.reusePort) opt(SO_REUSEPORT, "SO_REUSEPORT");
    if (c.bind(fd, sa, len) < 0) throw new UringError(what, c.errno());
    if (c.listen(fd, options.backlog ?? SOMAXCONN) < 0) throw new UringError(what, c.errno(), "listen() failed");
    const lenBox = new Uint8Array(4);
    new DataView(lenBox.buffer).setUint32(0, SOCKADDR_STORAGE_SIZE, true);
    if (c.getsockname(fd, sa, lenBox) < 0) throw new UringError(what, c.errno(), "getsockname() failed");
    const address = decodeSockaddr(sa, new DataView(lenBox.buffer).getUint32(0, true)) as InetSocketAddress;
    return { fd, address };
  } catch (e) {
    c.close(fd);
    throw e;
  }
}

/**
 * An address as people write it: `127.0.0.1:9000`, `[::1]:9000` (IPv6 in brackets).
 *
 * @param address An address and port, such as a {@link Listener}'s.
 * @returns The text.
 *
 * @example
 * ```ts
 * formatAddress({ address: "::1", port: 80 }); // "[::1]:80"
 * ```
 */
export function formatAddress(address: { address: string; port: number }): string {
  return address.address.includes(":") ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}
