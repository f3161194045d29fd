/**
 * Why an -EINVAL may mean "this kernel has no such opcode": the kernel gives the same -EINVAL for an opcode past
 * its last and for bad fields (io_uring/io_uring.c, `io_init_req`), so an error asks IORING_REGISTER_PROBE, once,
 * on the first -EINVAL, and names the Linux version that added the opcode (`since` in uapi.ts OPCODES).
 *
 * @module
 */
import type { UapiConstant } from "../abi/uapi.ts";
import { parseKernelVersion } from "../ring/kernel_version.ts";
import { probeOpcodes } from "../ring/probe.ts";

/** Per opcode, what an -EINVAL for it says; `null` once the probe was found unusable. */
let notes: Map<number, string> | null | undefined;

/**
 * `"IORING_OP_FTRUNCATE needs Linux 6.9 (this kernel is 6.1)"` when the probe says this kernel lacks `opcode`,
 * otherwise undefined (the kernel has it, the probe cannot be asked, or the opcode is unknown here).
 *
 * @param opcode An `IORING_OP_*` value.
 * @returns The note for the error message, or undefined.
 */
export function missingOpcode(opcode: number): string | undefined {
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
