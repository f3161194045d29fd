/**
 * The ring's eventfd: `io_uring_register(2)` with IORING_REGISTER_EVENTFD, EVENTFD_ASYNC and UNREGISTER_EVENTFD.
 * The kernel adds 1 to the eventfd when it posts CQEs, so a thread (or another event loop) can sleep in `poll`,
 * `epoll` or `read` on it instead of in `io_uring_enter`. `Ring.setEventfdEnabled` turns the notifications off and on
 * without unregistering.
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const efd: number; // from eventfd(2)
 *
 * const ring = new Ring(8);
 * registerEventfd(ring, efd);
 * unregisterEventfd(ring);
 * ring.close();
 * ```
 *
 * @module
 */
import { checkFd } from "../core/_validate.ts";
import { IORING_REGISTER_EVENTFD, IORING_REGISTER_EVENTFD_ASYNC, IORING_UNREGISTER_EVENTFD } from "../abi/uapi.ts";
import { live } from "./_register.ts";
import { checkRegister } from "./_since.ts";
import type { Ring } from "./ring.ts";

/**
 * Makes the kernel signal the eventfd `fd` (add 1) whenever CQEs are posted, so an event loop can wait on it.
 * Throws EBUSY when one is registered already. Matches liburing's `io_uring_register_eventfd` (Linux 5.2).
 *
 * @example
 * ```ts
 * import type { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * declare const efd: number; // from eventfd(2)
 * registerEventfd(ring, efd);
 * ```
 */
export function registerEventfd(ring: Ring, fd: number): void {
  eventfd(ring, fd, IORING_REGISTER_EVENTFD, "register an eventfd (IORING_REGISTER_EVENTFD)");
}

/**
 * Like {@link registerEventfd}, but signals only for completions that happened asynchronously (not inline in
 * `io_uring_enter`). Matches liburing's `io_uring_register_eventfd_async` (Linux 5.6).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const efd: number;
 * declare const ring: Ring;
 * registerEventfdAsync(ring, efd);
 * ```
 */
export function registerEventfdAsync(ring: Ring, fd: number): void {
  eventfd(ring, fd, IORING_REGISTER_EVENTFD_ASYNC, "register an async eventfd (IORING_REGISTER_EVENTFD_ASYNC)");
}

function eventfd(ring: Ring, fd: number, opcode: number, op: string): void {
  live(ring, op);
  checkFd(op, fd);
  checkRegister(ring.register(opcode, Int32Array.of(fd), 1), opcode, op, {
    EBUSY: "an eventfd is registered already: unregister it first",
    EBADF: "the fd is not an eventfd",
  });
}

/**
 * Stops signalling the registered eventfd. Throws ENXIO when none is registered. Matches liburing's
 * `io_uring_unregister_eventfd` (Linux 5.2).
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * declare const ring: Ring;
 * unregisterEventfd(ring);
 * ```
 */
export function unregisterEventfd(ring: Ring): void {
  const op = "unregister the eventfd (IORING_UNREGISTER_EVENTFD)";
  live(ring, op);
  checkRegister(ring.register(IORING_UNREGISTER_EVENTFD, null, 0), IORING_UNREGISTER_EVENTFD, op, {
    ENXIO: "no eventfd is registered",
  });
}
