/**
 * Accepted connections as an async iterator: one multishot accept (IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT,
 * Linux 5.19) yields a descriptor per connection.
 *
 * @module
 */
import type { Loop } from "../loop/loop.ts";
import { MultishotStream } from "./stream.ts";
import type { Sqe } from "../ring/sqe.ts";
import { prepMultishotAccept, prepMultishotAcceptDirect } from "../prep/net.ts";
import { SOCK_CLOEXEC } from "../abi/sockaddr.ts";
import { checkFd } from "../core/_validate.ts";

/**
 * Accepted connections from a listening socket, one file descriptor (or fixed-file index with `direct`) per
 * value: IORING_OP_ACCEPT with IORING_ACCEPT_MULTISHOT (Linux 5.19). Descriptors are close-on-exec. Re-armed when
 * the kernel stops it (the CQ was full); errors such as EMFILE end the stream.
 *
 * @example
 * ```ts
 * import { Loop } from "ringside-uring/loop";
 * declare const listenFd: number; // a listening socket
 * declare function serve(fd: number): void;
 *
 * const loop = new Loop();
 * for await (const fd of new AcceptStream(loop, listenFd)) serve(fd);
 * ```
 */
export class AcceptStream extends MultishotStream<number> {
  private readonly fd: number;
  private readonly direct: boolean;

  constructor(loop: Loop, fd: number, options: { direct?: boolean; signal?: AbortSignal } = {}) {
    super(loop, "accept");
    checkFd("accept", fd);
    this.fd = fd;
    this.direct = options.direct ?? false;
    if (options.signal) this.bindSignal(options.signal);
    this.start();
  }

  protected prepArm(sqe: Sqe): void {
    if (this.direct) prepMultishotAcceptDirect(sqe, this.fd, 0, 0, 0);
    else prepMultishotAccept(sqe, this.fd, 0, 0, SOCK_CLOEXEC);
  }

  protected decode(res: number): number | undefined {
    return res >= 0 ? res : undefined;
  }
}
