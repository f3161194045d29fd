/**
 * uring_cmd families on a {@link Loop}: socket commands and transmit timestamps, block device discard, NVMe
 * passthrough, multishot uring_cmd streams, and any driver's command as a promise.
 *
 * @example
 * ```ts
 * import { AF_INET, Loop, SOCK_DGRAM, socket } from "ringside-uring";
 * import { siocinq } from "ringside-uring/cmd";
 *
 * const loop = new Loop();
 * const sock = await socket(loop, AF_INET, SOCK_DGRAM);
 * console.log(await siocinq(loop, sock)); // 0: nothing queued
 * await loop.close();
 * ```
 *
 * @module
 */
export { CmdOp, hasBigCqes, hasBigSqes, isBigCqe, URING_CMD_AREA, writeCommandArea } from "./common.ts";
export { type CmdDriver, cmdDriver } from "./driver.ts";
export { _IOC_READ, _IOC_WRITE, ioc } from "./ioctl.ts";
export { type UringCmdOptions, type UringCmdResult, uringCmd } from "./uring_cmd.ts";
export {
  enableTxTimestamps,
  getsockname,
  type GetsocknameOptions,
  getsocknameSupported,
  getsockopt,
  getsockoptInt,
  probeGetsockname,
  SCM_TSTAMP_ACK,
  SCM_TSTAMP_COMPLETION,
  SCM_TSTAMP_SCHED,
  SCM_TSTAMP_SND,
  setsockopt,
  siocinq,
  siocoutq,
  SO_TIMESTAMPING,
  SOCKOPT_MAX,
  SOF_TIMESTAMPING_OPT_ID,
  SOF_TIMESTAMPING_OPT_TSONLY,
  SOF_TIMESTAMPING_RAW_HARDWARE,
  SOF_TIMESTAMPING_SOFTWARE,
  SOF_TIMESTAMPING_TX_ACK,
  SOF_TIMESTAMPING_TX_HARDWARE,
  SOF_TIMESTAMPING_TX_SCHED,
  SOF_TIMESTAMPING_TX_SOFTWARE,
  TX_TIMESTAMPING_DEFAULT,
  type TxTimestamp,
  TxTimestampStream,
  txTimestamps,
} from "./socket.ts";
export {
  BLKGETSIZE64,
  BLKSSZGET,
  type BlockDeviceInfo,
  blockDeviceInfo,
  checkDiscard,
  discard,
} from "./block.ts";
export {
  NVME_ID_CNS_CTRL,
  NVME_ID_CNS_NS,
  NVME_ID_CNS_NS_ACTIVE_LIST,
  NVME_IDENTIFY_DATA_SIZE,
  NVME_IOCTL_ID,
  NVME_MAX_NLB,
  NVME_URING_CMD_ADMIN,
  NVME_URING_CMD_ADMIN_VEC,
  NVME_URING_CMD_IO,
  NVME_URING_CMD_IO_VEC,
  nvme_admin_identify,
  nvme_cmd_flush,
  nvme_cmd_read,
  nvme_cmd_write,
  nvme_uring_cmd,
  type NvmeCommand,
  type NvmeCompletion,
  type NvmeIdController,
  nvmeIdentifyCommand,
  nvmeIdentifyController,
  nvmeIdentifyNamespace,
  type NvmeIdNamespace,
  nvmeNamespaceId,
  type NvmeOptions,
  nvmePassthru,
  nvmeRead,
  nvmeRwCommand,
  NvmeStatusError,
  nvmeWrite,
  parseIdController,
  parseIdNamespace,
  prepNvmeIdentify,
  prepNvmeRead,
  prepNvmeUringCmd,
  prepNvmeWrite,
  writeNvmeUringCmd,
} from "./nvme.ts";
export {
  checkMultishotCommand,
  checkUringCmdFlags,
  KNOWN_URING_CMDS,
  type KnownUringCmd,
  knownUringCmd,
  type MultishotCommandOptions,
  type MultishotProbe,
  multishotUringCmdSupported,
  prepUringCmdMultishot,
  probeMultishotUringCmd,
  UringCmdStream,
  type UringCmdStreamOptions,
} from "./multishot.ts";
