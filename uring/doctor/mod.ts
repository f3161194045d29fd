/**
 * The doctor: what this machine's kernel and process allow of io_uring, and why setup fails when it does. What
 * `npm run doctor` prints.
 *
 * @example
 * ```ts
 * import { doctor, formatReport } from "ringside-uring/doctor";
 *
 * console.log(formatReport(doctor()));
 * ```
 *
 * @module
 */
export { doctor, formatReport, main, type QueryReport, type Report, type Since } from "./doctor.ts";
