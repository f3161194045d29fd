/**
 * The kernel's limits on ring sizes and registered resources, checked before a call so that it fails with a reason
 * instead of a bare EINVAL.
 *
 * @example
 * ```ts
 * import { IORING_MAX_ENTRIES } from "ringside-uring/ring";
 * const entries = Math.min(100_000, IORING_MAX_ENTRIES); // 32768
 * ```
 *
 * @module
 */
import { MAX_FIXED_FILES } from "../core/_validate.ts";

/** Most SQ entries (IORING_MAX_ENTRIES, io_uring/io_uring.h): larger requests need IORING_SETUP_CLAMP. */
export const IORING_MAX_ENTRIES = 32768;
/** The kernel's largest CQ ring (IORING_MAX_CQ_ENTRIES, io_uring/io_uring.h). */
export const IORING_MAX_CQ_ENTRIES = 2 * IORING_MAX_ENTRIES;
/** Most registered files (IORING_MAX_FIXED_FILES, io_uring/rsrc.c). */
export const IORING_MAX_FIXED_FILES = MAX_FIXED_FILES;
/** Most registered buffers (IORING_MAX_REG_BUFFERS, io_uring/rsrc.c). */
export const IORING_MAX_REG_BUFFERS = 1 << 14;
/** Largest registered buffer: 1 GiB (io_validate_user_buf_range, io_uring/rsrc.c). */
export const IORING_MAX_REG_BUFFER_SIZE = 1 << 30;
/** Most entries of a provided-buffer ring (liburing and the kernel's u16 head/tail; 32768 keeps full != empty). */
export const IORING_MAX_BUF_RING_ENTRIES = 32768;
