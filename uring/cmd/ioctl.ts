/**
 * ioctl numbers as the kernel builds them (`_IOC`, include/uapi/asm-generic/ioctl.h): the `cmd_op` of the NVMe
 * passthrough commands and the block device ioctls are such numbers.
 *
 * @module
 */

/** `_IOC_WRITE` (asm-generic/ioctl.h): userspace writes the argument. */
export const _IOC_WRITE = 1;
/** `_IOC_READ`: userspace reads the argument. */
export const _IOC_READ = 2;

/**
 * An ioctl number as the kernel's `_IOC(dir, type, nr, size)` builds it (asm-generic/ioctl.h): dir in bits 30-31,
 * size in 16-29, type in 8-15, nr in 0-7.
 *
 * @param dir `_IOC_READ | _IOC_WRITE` bits (0 for `_IO`).
 * @param type The type: a character (`"N"`) or its code.
 * @param nr The number within the type.
 * @param size The argument's size in bytes (below 16384).
 *
 * @example
 * ```ts
 * console.log(ioc(_IOC_READ | _IOC_WRITE, "N", 0x80, 72).toString(16)); // "c0484e80": NVME_URING_CMD_IO
 * ```
 */
export function ioc(dir: number, type: string | number, nr: number, size: number): number {
  const t = typeof type === "string" ? type.charCodeAt(0) : type;
  return ((dir << 30) | (size << 16) | (t << 8) | nr) >>> 0;
}
