/**
 * Identify Controller over NVMe passthrough (IORING_OP_URING_CMD with NVME_URING_CMD_ADMIN, Linux 5.19): prints
 * the model, serial number and firmware revision of an NVMe drive.
 *
 *   bun examples/nvme_identify.ts [DEVICE]
 *   deno run -A examples/nvme_identify.ts [DEVICE]
 *
 * DEVICE is an NVMe generic namespace device (`/dev/ngXnY`) or a controller (`/dev/nvmeX`); without it the first
 * `/dev/ng*` (else `/dev/nvme*`) is used. Identify is an admin command, and the kernel takes admin commands only on
 * the controller's character device (a namespace device answers ENOTTY), so for `/dev/ngXnY` the program sends it
 * to that namespace's controller, found through sysfs. The ring is set up with IORING_SETUP_SQE128 (the 72-byte
 * `struct nvme_uring_cmd` lives in the SQE) and IORING_SETUP_CQE32 (which the driver requires). Needs root, or
 * read access to the device.
 *
 * Exit status: 0 when the identity was printed, and also when DEVICE was not given and this machine has no NVMe
 * device at all: the program says why it cannot run, and nothing to show is not a failure (so `npm start`-style
 * runs on machines without NVMe stay green). 1 when a device was named, or found, and could not be identified
 * (missing, not NVMe, no permission, kernel too old). 2 for bad usage.
 *
 * @module
 */
import { existsSync, readdirSync, readlinkSync } from "node:fs";
import { basename } from "node:path";
import process from "node:process";
import { Loop } from "ringside-uring/loop";
import { close, open } from "ringside-uring/fs";
import { IORING_SETUP_CQE32, IORING_SETUP_SQE128 } from "ringside-uring/abi";
import { nvmeIdentifyController, NvmeStatusError } from "ringside-uring/cmd";
import { UringError } from "ringside-uring/core";

/**
 * The first NVMe character device in /dev: a namespace's `ngXnY`, else a controller's `nvmeX`, or null.
 *
 * @example
 * ```ts
 * findNvmeDevice(); // "/dev/ng0n1", or null on a machine without NVMe
 * ```
 */
export function findNvmeDevice(dev = "/dev"): string | null {
  let names: string[];
  try {
    names = readdirSync(dev);
  } catch {
    return null;
  }
  const byNumber = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });
  const ng = names.filter((n) => /^ng\d+n\d+$/.test(n)).sort(byNumber);
  if (ng.length) return `${dev}/${ng[0]}`;
  const ctrl = names.filter((n) => /^nvme\d+$/.test(n)).sort(byNumber);
  return ctrl.length ? `${dev}/${ctrl[0]}` : null;
}

/**
 * The controller device that takes admin commands for `path`: itself for `/dev/nvmeX`; for `/dev/ngXnY` the
 * controller sysfs names as the namespace device's parent, or `/dev/nvmeX` by number when sysfs does not say
 * (a multipath namespace hangs off its subsystem, whose number usually matches its controller's).
 *
 * @example
 * ```ts
 * controllerFor("/dev/ng0n1"); // "/dev/nvme0"
 * ```
 */
export function controllerFor(path: string): string {
  const name = basename(path);
  const m = /^ng(\d+)n\d+$/.exec(name);
  if (!m) return path;
  try {
    const parent = basename(readlinkSync(`/sys/class/nvme-generic/${name}/device`));
    if (/^nvme\d+$/.test(parent)) return `/dev/${parent}`;
  } catch {
    // no sysfs entry: fall back to the number
  }
  return `/dev/nvme${m[1]}`;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  if (args.length > 1 || args[0]?.startsWith("-")) {
    console.error("usage: nvme_identify.ts [DEVICE]   (DEVICE: /dev/ngXnY or /dev/nvmeX)");
    process.exit(2);
  }
  const named = args[0];
  const device = named ?? findNvmeDevice();
  if (!device) {
    console.log("nvme_identify: this machine has no NVMe device (no /dev/ng* or /dev/nvme* character device), " +
      "so there is nothing to identify. NVMe passthrough over io_uring needs an NVMe drive and Linux 5.19 or later.");
    process.exit(0);
  }
  const ctrl = controllerFor(device);
  if (!existsSync(ctrl)) {
    console.error(`nvme_identify: ${ctrl} (the controller of ${device}) does not exist`);
    process.exit(1);
  }
  const loop = new Loop({ ring: { flags: IORING_SETUP_SQE128 | IORING_SETUP_CQE32 } });
  let status = 0;
  try {
    const fd = await open(loop, ctrl, "r");
    try {
      const id = await nvmeIdentifyController(loop, fd);
      console.log(`device:     ${ctrl}${ctrl !== device ? ` (controller of ${device})` : ""}`);
      console.log(`model:      ${id.model}`);
      console.log(`serial:     ${id.serial}`);
      console.log(`firmware:   ${id.firmware}`);
      console.log(`vendor:     0x${id.vid.toString(16).padStart(4, "0")}, NVMe ${id.version}, ` +
        `${id.nn} namespace${id.nn === 1 ? "" : "s"}`);
    } finally {
      await close(loop, fd);
    }
  } catch (e) {
    const why = e instanceof UringError || e instanceof NvmeStatusError ? e.message : String(e);
    console.error(`nvme_identify: ${why}`);
    status = 1;
  } finally {
    await loop.close();
  }
  process.exit(status);
}
