/**
 * Why io_uring cannot be set up here, and what to do about it: the io_uring sysctls, seccomp, capabilities and the
 * locked-memory limit as /proc reports them, weighed against the errno setup failed with. What `npm run doctor`
 * prints when setup fails.
 *
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 *
 * try {
 *   new Ring(8).close();
 * } catch (e) {
 *   const d = diagnoseSetupFailure(e);
 *   console.error(`${d.reason}\n  - ${d.fix.join("\n  - ")}`);
 * }
 * ```
 *
 * @module
 */
import { UringError } from "../core/errors.ts";
import { procStatus, readProc, readProcInt } from "./_proc.ts";
import { kernelRelease, parseKernelVersion } from "./kernel_version.ts";

/**
 * The `/proc/sys/kernel/io_uring_disabled` sysctl (Linux 6.6): 0 lets every process create rings, 1 only
 * processes with CAP_SYS_ADMIN or in the group `/proc/sys/kernel/io_uring_group`, 2 none.
 *
 * @returns 0, 1 or 2, or `undefined` when the kernel has no such sysctl (before 6.6, or no io_uring).
 * @example
 * ```ts
 * if (ioUringDisabled() === 2) console.log("io_uring is disabled on this machine");
 * ```
 */
export function ioUringDisabled(): number | undefined {
  return readProcInt("/proc/sys/kernel/io_uring_disabled");
}


/** What decides whether this process may set up io_uring, as read from /proc. */
export interface SetupEnvironment {
  /** The kernel release (`uname -r`). */
  kernelRelease: string;
  /** `/proc/sys/kernel/io_uring_disabled`, or undefined when absent (before 6.6). */
  ioUringDisabled: number | undefined;
  /** `/proc/sys/kernel/io_uring_group` (-1: none), or undefined when absent. */
  ioUringGroup: number | undefined;
  /** The process's filesystem gid and supplementary groups (what the kernel's `in_group_p` checks). */
  groups: readonly number[];
  /** Whether CAP_SYS_ADMIN is in the effective capability set, or undefined when unknown. */
  capSysAdmin: boolean | undefined;
  /** Whether CAP_IPC_LOCK is in the effective capability set (exempt from RLIMIT_MEMLOCK), or undefined. */
  capIpcLock: boolean | undefined;
  /** The `Seccomp` field of /proc/self/status: 0 none, 1 strict, 2 filter; undefined when unknown. */
  seccomp: number | undefined;
  /** RLIMIT_MEMLOCK from /proc/self/limits in bytes (`Infinity` for unlimited), or undefined when unknown. */
  memlock: { readonly soft: number; readonly hard: number } | undefined;
}

const CAP_IPC_LOCK = 14;
const CAP_SYS_ADMIN = 21;

/**
 * Reads everything {@link diagnoseSetupFailure} weighs from /proc: the io_uring sysctls, the process's groups,
 * capabilities, seccomp mode and locked-memory limit.
 *
 * @returns The environment; fields that cannot be read are undefined.
 * @example
 * ```ts
 * const env = setupEnvironment();
 * console.log(env.ioUringDisabled, env.seccomp, env.memlock?.soft);
 * ```
 */
export function setupEnvironment(): SetupEnvironment {
  const status = procStatus();
  const num = (s: string | undefined) => (s === undefined || s === "" ? undefined : Number(s));
  const gid = (status.get("Gid") ?? "").split(/\s+/).filter(Boolean).map(Number);
  const groups = (status.get("Groups") ?? "").split(/\s+/).filter(Boolean).map(Number);
  const capEff = status.get("CapEff");
  let capSysAdmin: boolean | undefined;
  let capIpcLock: boolean | undefined;
  if (capEff && /^[0-9a-f]+$/i.test(capEff)) {
    // Both capabilities sit in the low 32 bits: the last 8 hex digits.
    const low = Number.parseInt(capEff.slice(-8), 16);
    capSysAdmin = ((low >>> CAP_SYS_ADMIN) & 1) === 1;
    capIpcLock = ((low >>> CAP_IPC_LOCK) & 1) === 1;
  }
  return {
    kernelRelease: kernelRelease(),
    ioUringDisabled: ioUringDisabled(),
    ioUringGroup: readProcInt("/proc/sys/kernel/io_uring_group"),
    // Gid: real, effective, saved, filesystem.
    groups: [...new Set([...(gid.length >= 4 ? gid.slice(3, 4) : gid.slice(0, 1)), ...groups])],
    capSysAdmin,
    capIpcLock,
    seccomp: num(status.get("Seccomp")),
    memlock: readMemlock(),
  };
}

function readMemlock(): { soft: number; hard: number } | undefined {
  const line = (readProc("/proc/self/limits") ?? "").split("\n").find((l) => l.startsWith("Max locked memory"));
  if (!line) return undefined;
  const [soft, hard] = line.slice("Max locked memory".length).trim().split(/\s+/);
  const parse = (s: string | undefined) => (s === "unlimited" ? Infinity : Number(s));
  const out = { soft: parse(soft), hard: parse(hard) };
  return Number.isNaN(out.soft) ? undefined : out;
}

/** Why io_uring cannot be set up, and what to do about it. */
export interface SetupDiagnosis {
  /** The errno name of the failure (`"EPERM"`), `"ELIBURING"` when liburing is missing, or `"UNKNOWN"`. */
  readonly code: string;
  /** What is wrong, in one sentence. */
  readonly reason: string;
  /** What to do, most likely remedy first. */
  readonly fix: readonly string[];
}

function bytes(n: number): string {
  if (n === Infinity) return "unlimited";
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n / (1 << 20)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

const SECCOMP_FIX = "if this runs in a container, allow the io_uring_setup, io_uring_enter and io_uring_register " +
  "system calls in its seccomp profile (Docker and Podman block them by default: `docker run --security-opt " +
  "seccomp=<profile allowing io_uring>`, or `seccomp=unconfined` to test); under systemd, check SystemCallFilter=";

/**
 * Explains why io_uring could not be set up, from the error a {@link Ring} constructor (or {@link trySetup}) gave
 * and the process's environment: ENOSYS (no io_uring in the kernel, or a seccomp filter), EPERM (the
 * io_uring_disabled sysctl, the io_uring_group, or a seccomp filter), ENOMEM (RLIMIT_MEMLOCK), and the rest.
 *
 * @param err The error thrown by setup (a {@link UringError}, or liburing's load error).
 * @param env Facts to use instead of reading them from /proc (for tests, or to explain another machine's error).
 * @returns The cause and the remedies.
 * @example
 * ```ts
 * import { Ring } from "ringside-uring/ring";
 * try {
 *   new Ring(8);
 * } catch (e) {
 *   const d = diagnoseSetupFailure(e);
 *   console.error(`${d.reason}\n  - ${d.fix.join("\n  - ")}`);
 * }
 * ```
 */
export function diagnoseSetupFailure(err: unknown, env: Partial<SetupEnvironment> = {}): SetupDiagnosis {
  if (!(err instanceof UringError)) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof Error && err.name === "LiburingNotFoundError") {
      return {
        code: "ELIBURING",
        reason: `liburing (liburing.so.2, version 2.3 or later) could not be loaded: ${message.split(". ")[0]}`,
        fix: [
          "install it: `apt-get install liburing2` (Debian, Ubuntu), `dnf install liburing` (Fedora), " +
          "`apk add liburing` (Alpine)",
          "or set LIBURING_PATH to the library's file",
        ],
      };
    }
    return { code: "UNKNOWN", reason: `setup failed in an unexpected way: ${message}`, fix: [] };
  }
  const e = { ...setupEnvironment(), ...env };
  const v = parseKernelVersion(e.kernelRelease);
  const atLeast = (major: number, minor: number) => v.major > major || (v.major === major && v.minor >= minor);
  const filtered = e.seccomp === 2;

  switch (err.code) {
    case "ENOSYS": {
      if (!atLeast(5, 1)) {
        return {
          code: "ENOSYS",
          reason: `Linux ${e.kernelRelease} has no io_uring: it arrived in Linux 5.1`,
          fix: ["run on Linux 5.1 or later; ringside is tested on 6.x and many features need 5.19 or 6.1+"],
        };
      }
      const fix = ["use a kernel built with CONFIG_IO_URING=y (most distribution kernels are)"];
      if (filtered) fix.unshift(SECCOMP_FIX);
      return {
        code: "ENOSYS",
        reason: filtered
          ? "io_uring_setup does not exist for this process: a seccomp filter is active (Seccomp: 2 in " +
            "/proc/self/status) and probably answers ENOSYS, or the kernel was built without CONFIG_IO_URING"
          : `io_uring_setup does not exist: this Linux ${e.kernelRelease} was built without CONFIG_IO_URING`,
        fix,
      };
    }
    case "EPERM": {
      if (e.ioUringDisabled === 2) {
        return {
          code: "EPERM",
          reason: "io_uring is disabled for every process by /proc/sys/kernel/io_uring_disabled (2)",
          fix: [
            "as root: `sysctl -w kernel.io_uring_disabled=0` (everyone) or `=1` (CAP_SYS_ADMIN and the group in " +
            "kernel.io_uring_group); persist it in /etc/sysctl.d/",
          ],
        };
      }
      if (e.ioUringDisabled === 1) {
        const group = e.ioUringGroup ?? -1;
        const inGroup = group >= 0 && e.groups?.includes(group);
        if (!inGroup && e.capSysAdmin !== true) {
          return {
            code: "EPERM",
            reason: "io_uring is restricted by /proc/sys/kernel/io_uring_disabled (1) to processes with " +
              "CAP_SYS_ADMIN or in the group kernel.io_uring_group " +
              (group >= 0 ? `(gid ${group}), and this process has neither` : "(unset, -1), and this process " +
                "lacks CAP_SYS_ADMIN"),
            fix: [
              group >= 0
                ? `add the user to gid ${group} (\`usermod -aG <group> $USER\`, then log in again)`
                : "as root: `sysctl -w kernel.io_uring_group=<gid>` and add the user to that group",
              "or as root: `sysctl -w kernel.io_uring_disabled=0`",
            ],
          };
        }
      }
      if (filtered) {
        return {
          code: "EPERM",
          reason: "a seccomp filter is active (Seccomp: 2 in /proc/self/status) and most likely blocks io_uring, " +
            "as container runtimes do by default",
          fix: [SECCOMP_FIX],
        };
      }
      const fix = ["check for a security module that denies io_uring (SELinux `io_uring` class, AppArmor, " +
        "a BPF LSM): look for denials in `dmesg` or the audit log"];
      if (!atLeast(5, 11)) fix.unshift("IORING_SETUP_SQPOLL needs CAP_SYS_ADMIN before Linux 5.11");
      return {
        code: "EPERM",
        reason: "io_uring setup was refused although io_uring_disabled " +
          (e.ioUringDisabled === undefined ? "does not exist" : `is ${e.ioUringDisabled}`) +
          " and no seccomp filter is active",
        fix,
      };
    }
    case "ENOMEM": {
      const limit = e.memlock ? `RLIMIT_MEMLOCK is ${bytes(e.memlock.soft)} (hard limit ${bytes(e.memlock.hard)})` :
        "RLIMIT_MEMLOCK is unknown";
      if (e.capIpcLock === true) {
        return {
          code: "ENOMEM",
          reason: "the kernel could not allocate the rings; this process has CAP_IPC_LOCK, so the locked-memory " +
            "limit is not the cause",
          fix: [
            "use fewer ring entries",
            "check the memory cgroup's limit (memory.max) of this process and the machine's free memory",
          ],
        };
      }
      // Ring memory is charged to RLIMIT_MEMLOCK for processes without CAP_IPC_LOCK before 5.12, and again since
      // the rings became io_uring memory regions (io_uring/memmap.c io_create_region); registered buffers always.
      // Checked on 6.18: a one-entry ring needs more than 4 KiB of the limit.
      const ringsLocked = !atLeast(5, 12) || atLeast(6, 15);
      return {
        code: "ENOMEM",
        reason: ringsLocked
          ? `on Linux ${e.kernelRelease} the rings count against the locked-memory limit of processes without ` +
            `CAP_IPC_LOCK, and it is too low: ${limit}`
          : `the kernel could not allocate the rings or the memory to register (${limit})`,
        fix: [
          "raise the locked-memory limit: `ulimit -l unlimited` (or a number of KiB) in the shell, `LimitMEMLOCK=` " +
          "for a systemd service, `docker run --ulimit memlock=-1`, or `memlock` in /etc/security/limits.conf",
          "use fewer ring entries or smaller registered buffers",
          ...(ringsLocked ? [] : ["check the memory cgroup's limit (memory.max) of this process"]),
        ],
      };
    }
    case "EINVAL":
      return {
        code: "EINVAL",
        reason: `the kernel refused the entries or flags (Linux ${e.kernelRelease}): a flag newer than the ` +
          "kernel, a combination it refuses, or an entry count out of range",
        fix: ["drop flags the kernel lacks: `npm run doctor` lists those it accepts"],
      };
    case "EMFILE":
    case "ENFILE":
      return {
        code: err.code,
        reason: "no file descriptor is left for the ring",
        fix: ["close unused descriptors or raise the limit (`ulimit -n`)"],
      };
    default:
      return { code: err.code, reason: err.message, fix: [] };
  }
}

