/**
 * Every prep helper, one small pure function per liburing `io_uring_prep_*`, writing into an SQE slot.
 *
 * @module
 */
export { prepRw, setU64 } from "./base.ts";
export { prepNop } from "./nop.ts";
