/**
 * The epoll backend's timers: TIMEOUT and LINK_TIMEOUT requests in a min-heap by deadline, and one timerfd in the
 * epoll set set to the earliest deadline, so a loop sleeping in epoll_wait (owning mode) or in a poll of the epoll
 * descriptor on another thread (integrated mode) wakes when a timer is due. Deadlines are on CLOCK_MONOTONIC;
 * a timeout given on CLOCK_BOOTTIME or CLOCK_REALTIME (IORING_TIMEOUT_BOOTTIME/REALTIME) is converted when it is
 * armed, so time spent suspended or a change of the wall clock after that does not move it (the kernel's hrtimer
 * would follow its own clock).
 *
 * @module
 */
import { libc } from "../../ffi/mod.ts";
import { syscalls } from "../../ffi/syscalls.ts";
import { UringError } from "../core/errors.ts";
import { CLOCK_MONOTONIC } from "../abi/timespec.ts";
import type { Req } from "./_request.ts";

const TFD_NONBLOCK = 0x800;
const TFD_CLOEXEC = 0x80000;
const TFD_TIMER_ABSTIME = 1;

/** The timer heap and its timerfd. */
export class Timers {
  /** The timerfd (CLOCK_MONOTONIC), level-triggered in the epoll set. */
  readonly fd: number;
  private readonly heap: Req[] = [];
  /** The deadline the timerfd is set to (0: disarmed). */
  private programmed = 0;
  private readonly ts = new Uint8Array(16);
  private readonly tsView = new DataView(this.ts.buffer);
  private readonly spec = new Uint8Array(32);
  private readonly specView = new DataView(this.spec.buffer);
  private readonly counter = new Uint8Array(8);

  constructor() {
    const s = syscalls();
    this.fd = s.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (this.fd < 0) throw new UringError("create a timerfd", s.errno());
  }

  /** Timers armed. */
  get size(): number {
    return this.heap.length;
  }

  /** `clock`'s time now, as [seconds, nanoseconds]. */
  clock(clock: number): [number, number] {
    syscalls().clock_gettime(clock, this.ts);
    return [Number(this.tsView.getBigInt64(0, true)), Number(this.tsView.getBigInt64(8, true))];
  }

  /** CLOCK_MONOTONIC now, in nanoseconds. */
  now(): number {
    const [sec, nsec] = this.clock(CLOCK_MONOTONIC);
    return sec * 1e9 + nsec;
  }

  /** Arms `r` to fire at `deadline` (monotonic ns). */
  add(r: Req, deadline: number): void {
    r.deadline = deadline;
    r.heapIndex = this.heap.length;
    this.heap.push(r);
    this.up(r.heapIndex);
    this.program();
  }

  /** Disarms `r` (no-op when it is not armed). */
  remove(r: Req): void {
    const i = r.heapIndex;
    if (i < 0) return;
    r.heapIndex = -1;
    const last = this.heap.pop()!;
    if (last !== r) {
      this.heap[i] = last;
      last.heapIndex = i;
      this.down(i);
      this.up(i);
    }
    // Left set for a deadline that went: firing finds nothing due and sets it to the next one.
  }

  /** Fires (in deadline order) every timer due now; `fire` may arm timers again. */
  expire(fire: (r: Req) => void): void {
    if (this.heap.length === 0) return;
    const now = this.now();
    while (this.heap.length > 0 && this.heap[0]!.deadline <= now) {
      const r = this.heap[0]!;
      this.remove(r);
      fire(r);
    }
    this.programmed = 0;
    this.program();
  }

  /** The timerfd reported: clear its count (it stays readable until read). */
  acknowledge(): void {
    libc().read(this.fd, this.counter, 8);
  }

  /** Closes the timerfd. */
  close(): void {
    libc().close(this.fd);
  }

  /** Sets the timerfd to the earliest deadline when that is earlier than what it is set to (or it is not set). */
  private program(): void {
    const first = this.heap[0];
    if (first === undefined) return;
    if (this.programmed !== 0 && this.programmed <= first.deadline) return;
    this.programmed = first.deadline;
    const v = this.specView;
    v.setBigInt64(0, 0n, true);
    v.setBigInt64(8, 0n, true);
    // A deadline of 0 would disarm the timer: the earliest representable time stands for "now".
    const at = Math.max(first.deadline, 1);
    const sec = Math.floor(at / 1e9);
    v.setBigInt64(16, BigInt(sec), true);
    v.setBigInt64(24, BigInt(Math.min(999_999_999, Math.floor(at - sec * 1e9))), true);
    syscalls().timerfd_settime(this.fd, TFD_TIMER_ABSTIME, this.spec, null);
  }

  private up(i: number): void {
    const h = this.heap;
    const r = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (parent.deadline <= r.deadline) break;
      h[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    h[i] = r;
    r.heapIndex = i;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const r = h[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && h[c + 1]!.deadline < h[c]!.deadline) c++;
      const child = h[c]!;
      if (child.deadline >= r.deadline) break;
      h[i] = child;
      child.heapIndex = i;
      i = c;
    }
    h[i] = r;
    r.heapIndex = i;
  }
}
