/**
 * Linux errno numbers by name (`EINVAL`, `ECANCELED` ...), for comparing a CQE's `res` (`res === -ECANCELED`)
 * instead of bare numbers, and the functions that name and describe them.
 *
 * @example
 * ```ts
 * import { ECANCELED, errnoName } from "./errno.ts";
 * const res = -125;
 * if (res === -ECANCELED) console.log(errnoName(-res)); // "ECANCELED"
 * ```
 *
 * @module
 */
export * from "../../ffi/errno.ts";
