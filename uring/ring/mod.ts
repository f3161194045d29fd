/**
 * The ring layer: one io_uring instance (`Ring`: setup, SQEs, submit, CQEs), the SQE and CQE helpers, the typed
 * `io_uring_register(2)` calls (registered files and buffers, buffer rings, eventfd, restrictions, BPF filters,
 * io-wq, NAPI, the wait clock, synchronous cancel and messages), and the probes of what the kernel supports.
 *
 * @example
 * ```ts
 * import { probeOpcodes, Ring, sqeSetData } from "ringside-uring/ring";
 * import { prepNop } from "ringside-uring/prep";
 * import { IORING_OP_NOP } from "ringside-uring/abi";
 *
 * if (probeOpcodes().isSupported(IORING_OP_NOP)) {
 *   const ring = new Ring(8);
 *   const sqe = ring.getSqe()!;
 *   prepNop(sqe);
 *   sqeSetData(sqe, 1);
 *   ring.submitAndWait(1);
 *   ring.forEachCqe((userData, res) => console.log(userData, res)); // 1 0
 *   ring.close();
 * }
 * ```
 *
 * @module
 */
export { CqeBatch, type CqeVisitor, Ring, type RingOptions, type WaitOptions, type WaitSlot } from "./ring.ts";
export {
  Sqe,
  sqeAddFlags,
  sqeSetBufGroup,
  sqeSetData,
  sqeSetFlags,
  sqeSetPersonality,
  sqeUserData,
} from "./sqe.ts";
export {
  cqeBufferId,
  cqeHasBufMore,
  cqeHasBuffer,
  cqeHasMore,
  cqeIs32,
  cqeIsNotif,
  cqeIsSkip,
  cqeNr,
  cqeSockNonEmpty,
  cqeTimestampHw,
  cqeTimestampType,
  cqeZcCopied,
} from "./cqe.ts";
export {
  IORING_MAX_BUF_RING_ENTRIES,
  IORING_MAX_CQ_ENTRIES,
  IORING_MAX_ENTRIES,
  IORING_MAX_FIXED_FILES,
  IORING_MAX_REG_BUFFER_SIZE,
  IORING_MAX_REG_BUFFERS,
} from "./limits.ts";

// io_uring_register(2)
export {
  registerFileAllocRange,
  registerFiles,
  registerFilesSparse,
  registerFilesTags,
  registerFilesUpdate,
  registerFilesUpdateTag,
  unregisterFiles,
} from "./registered_files.ts";
export {
  type BufferSpec,
  cloneBuffers,
  cloneBuffersOffset,
  registerBuffers,
  registerBuffersSparse,
  registerBuffersTags,
  registerBuffersUpdate,
  registerBuffersUpdateTag,
  unregisterBuffers,
} from "./registered_buffers.ts";
export {
  type BufRingOptions,
  bufRingHead,
  type BufRingRegistration,
  registerBufRing,
  unregisterBufRing,
} from "./registered_buf_rings.ts";
export { registrations, releaseRegistrations } from "./registrations.ts";
export { registerEventfd, registerEventfdAsync, unregisterEventfd } from "./eventfd.ts";
export { registerPersonality, unregisterPersonality } from "./personality.ts";
export { registerRestrictions, type Restriction } from "./restrictions.ts";
export { type BpfFilterOptions, type BpfFilterRegistration, registerBpfFilter } from "./bpf_filter.ts";
export { registerIowqAff, registerIowqMaxWorkers, unregisterIowqAff } from "./iowq.ts";
export { registerSyncCancel, type SyncCancelOptions } from "./sync_cancel.ts";
export { type NapiOptions, type NapiSettings, registerNapi, unregisterNapi } from "./napi.ts";
export { registerClock } from "./clock.ts";
export { registerSyncMsg, type SyncMsgOptions } from "./sync_msg.ts";

// What the kernel supports
export {
  type DecodedFlags,
  decodeFlags,
  type OpcodeProbe,
  probeFeatures,
  probeOpcodes,
  type ProbeResult,
  probeSetupFlag,
  registerProbe,
  type SetupAttempt,
  type SetupFlagResult,
  setupFlagSupported,
  trySetup,
} from "./probe.ts";
export { query, type QueryAnswer, type QueryOpcodes, queryOpcodes } from "./query.ts";
export {
  kernelAtLeastSince,
  kernelRelease,
  type KernelVersion,
  kernelVersionAtLeast,
  parseKernelVersion,
} from "./kernel_version.ts";
export {
  diagnoseSetupFailure,
  ioUringDisabled,
  type SetupDiagnosis,
  type SetupEnvironment,
  setupEnvironment,
  type SetupFailureCause,
} from "./setup_diagnosis.ts";
