/**
 * What the socket requests share: the length one send or receive asks for, a socket address written into the
 * request's arena memory, and a message's buffers taken as a checked list.
 *
 * @module
 */
import type { Chunk } from "../loop/_arena.ts";
import type { Operation, OpHost } from "../loop/operation.ts";
import { refuse } from "../core/errors.ts";
import { checkView } from "../core/_validate.ts";
import { MAX_RW_COUNT } from "../abi/structs.ts";
import { UIO_MAXIOV } from "../abi/structs.ts";
import { encodeSockaddr, type SocketAddressInput, sockaddrLength } from "../abi/sockaddr.ts";

/**
 * The length one send or recv asks for: the view's, capped at MAX_RW_COUNT, the most the kernel moves in one call
 * anyway (a longer view is a short send or receive, as from the kernel). The SQE's len is 32 bits: a view of 4 GiB
 * or more would otherwise be cut to its low 32 bits.
 */
export function ioLength(view: ArrayBufferView): number {
  return view.byteLength < MAX_RW_COUNT ? view.byteLength : MAX_RW_COUNT;
}

/** Writes `addr` into a fresh arena chunk of `op` and returns [chunk, length]. */
export function sockaddrChunk(loop: OpHost, op: Operation, name: string, addr: SocketAddressInput): [Chunk, number] {
  if (addr === null || typeof addr !== "object") refuse(name, "the address must be { address, port } or { path }");
  const c = op.chunk(loop, sockaddrLength(addr));
  return [c, encodeSockaddr(addr, c.bytes)];
}

/** A message's `data` as a list of views (one view, several, or none), at most UIO_MAXIOV of them. */
export function viewList(
  operation: string, data: ArrayBufferView | readonly ArrayBufferView[] | undefined,
): ArrayBufferView[] {
  if (data === undefined) return [];
  const list = ArrayBuffer.isView(data) ? [data] : Array.isArray(data) ? [...data] : null;
  if (!list) refuse(operation, "data must be a TypedArray, a DataView or an array of them");
  if (list.length > UIO_MAXIOV) refuse(operation, `at most ${UIO_MAXIOV} buffers per message, got ${list.length}`);
  for (const v of list) checkView(operation, v, "each buffer");
  return list;
}
