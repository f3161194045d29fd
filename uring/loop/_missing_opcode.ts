/**
 * Why an -EINVAL may mean "this kernel has no such opcode": the kernel gives the same -EINVAL for an opcode past
 * its last and for bad fields (io_uring/io_uring.c, `io_init_req`), so an error asks IORING_REGISTER_PROBE, once,
 * on the first -EINVAL, and names the Linux version that added the opcode (`since` in uapi.ts OPCODES).
 * Likewise, an -EOPNOTSUPP on the epoll backend may mean "only io_uring can do this": that backend says what (its
 * note, which the loop keeps on the operation), and the error carries the note.
 *
 * @module
 */
import type { UapiConstant } from "../abi/uapi.ts";
import { EINVAL, EOPNOTSUPP } from "../abi/errno.ts";
import { parseKernelVersion } from "../ring/kernel_version.ts";
import { probeOpcodes } from "../ring/probe.ts";

/** Per opcode, what an -EINVAL for it says; `null` once the probe was found unusable. */
let notes: Map<number, string> | null | undefined;

/**
 * What a failed CQE's error should add about the opcode: for -EINVAL, `"IORING_OP_FTRUNCATE needs Linux 6.9 (this
 * kernel is 6.1)"` when the probe says this kernel lacks `opcode`; for -EOPNOTSUPP, the epoll backend's `refusal`
 * note when there is one; otherwise undefined (the kernel has it, the probe cannot be asked, the opcode is unknown).
 *
 * @param opcode An `IORING_OP_*` value, or -1 when unknown.
 * @param res The CQE's result (default -EINVAL).
 * @param refusal The epoll backend's note of an -EOPNOTSUPP.
 * @returns The note for the error message, or undefined.
 */
export function missingOpcode(opcode: number, res = -EINVAL, refusal?: string): string | undefined {
  if (res === -EOPNOTSUPP) return refusal;
  if (res !== -EINVAL || opcode < 0) return undefined;
  if (notes === undefined) {
    try {
      const probe = probeOpcodes();
      const v = parseKernelVersion();
      const kernel = `${v.major}.${v.minor}`;
      const note = (o: UapiConstant) => `${o.name} needs Linux ${o.since} (this kernel is ${kernel})`;
      notes = new Map(probe.missing.map((o) => [o.value, note(o)]));
    } catch {
      notes = null; // no probe (before 5.6, or io_uring refused): the errno alone is all there is to say
    }
  }
  return notes?.get(opcode);
}
