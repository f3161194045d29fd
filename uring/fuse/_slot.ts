/**
 * What both FUSE transports share: a slot holding one request at a time (a /dev/fuse read, or a ring entry), the
 * operation the loop completes, and what a slot needs of the server that owns it.
 *
 * @module
 */
import { Operation } from "../loop/operation.ts";
import { ECANCELED } from "../abi/errno.ts";
import { FuseRequest } from "./dispatch.ts";

/** What a slot needs of the server that owns it. */
export interface SlotHost {
  /** The /dev/fuse descriptor of the connection. */
  readonly fd: number;
  /** Queues a slot whose command completed; slots are handled in a microtask, never while the loop reaps. */
  enqueue(slot: Slot): void;
  /** Submits the slot's command again (a new read, or COMMIT_AND_FETCH), unless the session ends. */
  rearm(slot: Slot): void;
  /** Records a reply the kernel refused. */
  replyFailed(opcode: number, errno: number): void;
}

/** A slot holding one request at a time: a /dev/fuse read or a ring entry. */
export abstract class Slot<H extends SlotHost = SlotHost> extends Operation {
  readonly server: H;
  readonly req: FuseRequest = new FuseRequest();
  /** The result of the last CQE. */
  res = 0;
  /** The slot holds a command in flight or a request being handled (counted in the server's `live`). */
  live = false;
  /** The reply's payload area: where the dispatcher encodes the reply. */
  outView!: DataView;
  /** The same area as bytes. */
  outBytes!: Uint8Array;
  /** Its size in bytes. */
  outCap = 0;

  constructor(server: H) {
    super();
    this.server = server;
  }

  complete(res: number, _flags: number, more: boolean): void {
    if (more) return;
    this.res = res;
    this.server.enqueue(this);
  }

  drop(): void {
    this.res = -ECANCELED;
    this.server.enqueue(this);
  }

  /** Sends the reply (`n` payload bytes, a negative errno, or NO_REPLY) and waits for the next request. */
  abstract reply(n: number): void;
}
