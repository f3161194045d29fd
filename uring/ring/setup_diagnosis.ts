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
 *   console.error(`${d.cause}: ${d.reason}\n  - ${d.fix.join("\n  - ")}`);
 * }
 * ```
 *
 * @module
 */
import { errnoName, libc, liburing } from "../../ffi/mod.ts";
import { UringError } from "../core/errors.ts";
import { io_uring_params } from "../abi/uapi.ts";
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


/** What decides whether this process may set up io_uring, as read from /proc (and one refused setup call). */
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
  /**
   * The errno name `io_uring_setup` answers for zero entries: `"EINVAL"` when nothing refuses the call itself (the
   * kernel checks the sysctl and the security module before it reads the entries, a seccomp filter before the call
   * starts), else what refuses it (`"EPERM"`, `"ENOSYS"`); undefined when liburing cannot be loaded.
   */
  setupGate: string | undefined;
}

const CAP_IPC_LOCK = 14;
const CAP_SYS_ADMIN = 21;

/**
 * Reads everything {@link diagnoseSetupFailure} weighs from /proc: the io_uring sysctls, the process's groups,
 * capabilities, seccomp mode and locked-memory limit; and asks the kernel to set up a ring of zero entries, which it
 * always refuses, to learn whether the call itself is refused ({@link SetupEnvironment.setupGate}).
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
    setupGate: setupGate(),
  };
}

function setupGate(): string | undefined {
  let setup;
  try {
    setup = liburing().fn.io_uring_setup;
  } catch {
    return undefined;
  }
  const r = setup(0, new Uint8Array(io_uring_params.SIZE));
  if (r >= 0) {
    // No kernel sets up a ring of zero entries (io_uring_create, io_uring_fill_params in newer kernels): but never
    // leak one.
    libc().close(r);
    return "OK";
  }
  return errnoName(-r);
}

function readMemlock(): { soft: number; hard: number } | undefined {
  const line = (readProc("/proc/self/limits") ?? "").split("\n").find((l) => l.startsWith("Max locked memory"));
  if (!line) return undefined;
  const [soft, hard] = line.slice("Max locked memory".length).trim().split(/\s+/);
  const parse = (s: string | undefined) => (s === "unlimited" ? Infinity : Number(s));
  const out = { soft: parse(soft), hard: parse(hard) };
  return Number.isNaN(out.soft) ? undefined : out;
}

/**
 * What keeps io_uring from being set up, for programs (`doctor --json` carries it as `problem.cause`):
 *
 * - `"liburing-missing"`: liburing.so.2 could not be loaded.
 * - `"kernel-too-old"`: the kernel predates io_uring (Linux 5.1).
 * - `"kernel-without-io-uring"`: the kernel was built without CONFIG_IO_URING.
 * - `"seccomp"`: a seccomp filter refuses io_uring_setup (Docker's and Podman's default profiles do).
 * - `"sysctl-disabled"`: `kernel.io_uring_disabled` is 2.
 * - `"sysctl-group"`: `kernel.io_uring_disabled` is 1 and the process has neither CAP_SYS_ADMIN nor the group
 *   `kernel.io_uring_group`.
 * - `"security-module"`: io_uring_setup is refused before its arguments are read, by neither of the above: a
 *   security module (SELinux, AppArmor, a BPF LSM).
 * - `"privilege"`: io_uring_setup is allowed, but not with these flags (IORING_SETUP_SQPOLL without CAP_SYS_ADMIN
 *   before Linux 5.11).
 * - `"memlock"`: the rings count against RLIMIT_MEMLOCK (before Linux 5.12, and on many kernels since 6.15) and it
 *   is too low.
 * - `"memory"`: the kernel could not allocate the rings otherwise (memory cgroup, free memory).
 * - `"invalid-params"`: the kernel refused the entries, flags or memory given (EINVAL, EFAULT).
 * - `"fd-limit"`: no file descriptor is left.
 * - `"unknown"`: none of these.
 */
export type SetupFailureCause =
  | "liburing-missing"
  | "kernel-too-old"
  | "kernel-without-io-uring"
  | "seccomp"
  | "sysctl-disabled"
  | "sysctl-group"
  | "security-module"
  | "privilege"
  | "memlock"
  | "memory"
  | "invalid-params"
  | "fd-limit"
  | "unknown";

/** Why io_uring cannot be set up, and what to do about it. */
export interface SetupDiagnosis {
  /** The errno name of the failure (`"EPERM"`), `"ELIBURING"` when liburing is missing, or `"UNKNOWN"`. */
  readonly code: string;
  /** The cause as a stable name, for programs; {@link SetupFailureCause} lists them. */
  readonly cause: SetupFailureCause;
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

const LSM_FIX = "check for a security module that denies io_uring (SELinux `io_uring` class, AppArmor, a BPF LSM): " +
  "look for denials in `dmesg` or the audit log";

/**
 * Explains why io_uring could not be set up, from the error a {@link Ring} constructor (or {@link trySetup}) gave
 * and the process's environment: ENOSYS (no io_uring in the kernel, or a seccomp filter), EPERM (the
 * io_uring_disabled sysctl, the io_uring_group, or a seccomp filter), ENOMEM (RLIMIT_MEMLOCK), and the rest.
 * The Ring constructor's own message already holds this diagnosis; this gives it in parts.
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
 *   console.error(`${d.cause}: ${d.reason}\n  - ${d.fix.join("\n  - ")}`);
 * }
 * ```
 */
export function diagnoseSetupFailure(err: unknown, env: Partial<SetupEnvironment> = {}): SetupDiagnosis {
  if (!(err instanceof UringError)) {
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof Error && err.name === "LiburingNotFoundError") {
      return {
        code: "ELIBURING",
        cause: "liburing-missing",
        reason: `liburing (liburing.so.2, version 2.3 or later) could not be loaded: ${message.split(". ")[0]}`,
        fix: [
          "install it: `apt-get install liburing2` (Debian, Ubuntu), `dnf install liburing` (Fedora), " +
          "`apk add liburing` (Alpine)",
          "or set LIBURING_PATH to the library's file",
        ],
      };
    }
    return { code: "UNKNOWN", cause: "unknown", reason: `setup failed in an unexpected way: ${message}`, fix: [] };
  }
  return diagnoseSetupErrno(err.code, env) ?? { code: err.code, cause: "unknown", reason: err.message, fix: [] };
}

/**
 * Explains the errno `io_uring_setup` failed with, as {@link diagnoseSetupFailure} does for an error: what the
 * Ring constructor puts in its message.
 *
 * @param code The errno name (`"EPERM"`).
 * @param env Facts to use instead of reading them from /proc.
 * @returns The cause and the remedies, or undefined for an errno setup is not known to give.
 * @example
 * ```ts
 * const d = diagnoseSetupErrno("EPERM");
 * if (d) console.log(d.cause, d.reason);
 * ```
 */
export function diagnoseSetupErrno(
  code: string, env: Partial<SetupEnvironment> = {},
): SetupDiagnosis | undefined {
  let read: SetupEnvironment | undefined;
  // Only EPERM, ENOSYS and ENOMEM need the environment; the flag probes fail with EINVAL by the dozen.
  const e = (): SetupEnvironment => (read ??= { ...setupEnvironment(), ...env });
  const release = env.kernelRelease ?? kernelRelease();
  const v = parseKernelVersion(release);
  const atLeast = (major: number, minor: number) => v.major > major || (v.major === major && v.minor >= minor);

  switch (code) {
    case "ENOSYS": {
      if (!atLeast(5, 1)) {
        return {
          code,
          cause: "kernel-too-old",
          reason: `Linux ${release} has no io_uring: it arrived in Linux 5.1`,
          fix: ["run on Linux 5.1 or later; ringside is tested on 6.x and many features need 5.19 or 6.1+"],
        };
      }
      const filtered = e().seccomp === 2;
      const fix = ["use a kernel built with CONFIG_IO_URING=y (most distribution kernels are)"];
      if (filtered) fix.unshift(SECCOMP_FIX);
      return {
        code,
        cause: filtered ? "seccomp" : "kernel-without-io-uring",
        reason: filtered
          ? "io_uring_setup does not exist for this process: a seccomp filter is active (Seccomp: 2 in " +
            "/proc/self/status) and probably answers ENOSYS, or the kernel was built without CONFIG_IO_URING"
          : `io_uring_setup does not exist: this Linux ${release} was built without CONFIG_IO_URING`,
        fix,
      };
    }
    case "EPERM":
      return diagnoseEperm(e(), atLeast);
    case "ENOMEM": {
      const { memlock, capIpcLock } = e();
      const limit = memlock ? `RLIMIT_MEMLOCK is ${bytes(memlock.soft)} (hard limit ${bytes(memlock.hard)})` :
        "RLIMIT_MEMLOCK is unknown";
      const exempt = capIpcLock === true ? "this process has CAP_IPC_LOCK" :
        memlock?.soft === Infinity ? "RLIMIT_MEMLOCK is unlimited" : undefined;
      const cgroupFix = "check the memory cgroup's limit (memory.max) of this process and the machine's free memory";
      if (exempt) {
        return {
          code,
          cause: "memory",
          reason: `the kernel could not allocate the rings; ${exempt}, so the locked-memory limit is not the cause`,
          fix: ["use fewer ring entries", cgroupFix],
        };
      }
      // Ring memory counts against RLIMIT_MEMLOCK for processes without CAP_IPC_LOCK before 5.12 (io_uring_create
      // accounted ring_pages() to the user; 5.12 charged the rings to the memory cgroup instead), and again where
      // the rings are io_uring memory regions (6.15; io_uring/memmap.c io_create_region accounts to ctx->user);
      // registered buffers always. Not on every such kernel, and the release cannot tell: 6.18.44 counts them (a
      // one-entry ring needs 8 KiB of the limit), Debian's 7.2.13 does not, nor Debian's 5.10.262 (5.10 stable
      // carries 5.15's io_uring). So the limit is named as the likely cause, the memory cgroup as the next.
      if (atLeast(5, 12) && !atLeast(6, 15)) {
        return {
          code,
          cause: "memory",
          reason: `the kernel could not allocate the rings (on Linux ${release} the memory cgroup pays for them, ` +
            `not the locked-memory limit: ${limit})`,
          fix: ["use fewer ring entries", cgroupFix],
        };
      }
      return {
        code,
        cause: "memlock",
        reason: `on Linux ${release} the rings most likely count against the locked-memory limit of processes ` +
          `without CAP_IPC_LOCK (as before 5.12, and on many kernels since 6.15), and it is low: ${limit}`,
        fix: [
          "raise the locked-memory limit: `ulimit -l unlimited` (or a number of KiB) in the shell, `LimitMEMLOCK=` " +
          "for a systemd service, `docker run --ulimit memlock=-1`, or `memlock` in /etc/security/limits.conf",
          "use fewer ring entries or smaller registered buffers",
          `if a higher limit does not help, ${cgroupFix}`,
        ],
      };
    }
    case "EINVAL":
      return {
        code,
        cause: "invalid-params",
        reason: `the kernel refused the entries or flags (Linux ${release}): a flag newer than the kernel, a ` +
          "combination it refuses, or an entry count out of range",
        fix: ["drop flags the kernel lacks: `npm run doctor` lists those it accepts"],
      };
    case "EFAULT":
      return {
        code,
        cause: "invalid-params",
        reason: "the kernel could not use the memory given for the parameters or the IORING_SETUP_NO_MMAP rings",
        fix: [],
      };
    case "EMFILE":
    case "ENFILE":
      return {
        code,
        cause: "fd-limit",
        reason: "no file descriptor is left for the ring",
        fix: ["close unused descriptors or raise the limit (`ulimit -n`)"],
      };
    default:
      return undefined;
  }
}

function diagnoseEperm(e: SetupEnvironment, atLeast: (major: number, minor: number) => boolean): SetupDiagnosis {
  const code = "EPERM";
  // io_uring/io_uring.c io_uring_allowed(), before anything else: the sysctl, then the group, then the LSM hook.
  if (e.ioUringDisabled === 2) {
    return {
      code,
      cause: "sysctl-disabled",
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
        code,
        cause: "sysctl-group",
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
  const disabled = e.ioUringDisabled === undefined ? "does not exist" : `is ${e.ioUringDisabled}`;
  if (e.setupGate === "EINVAL") {
    // The call itself is allowed (zero entries reach io_uring_create's check), so these flags were refused.
    return {
      code,
      cause: "privilege",
      reason: "io_uring_setup is allowed here (for zero entries it answers EINVAL, not EPERM), but not with these " +
        "flags",
      fix: [
        ...(!atLeast(5, 11) ? ["IORING_SETUP_SQPOLL needs CAP_SYS_ADMIN before Linux 5.11"] : []),
        "IORING_SETUP_SQPOLL may be denied by a security module (the uring_sqpoll hook): " + LSM_FIX,
      ],
    };
  }
  if (e.seccomp === 2) {
    return {
      code,
      cause: "seccomp",
      reason: e.setupGate === "EPERM"
        ? "a seccomp filter refuses io_uring_setup (Seccomp: 2 in /proc/self/status; the call is refused before " +
          "the kernel reads its arguments, and io_uring_disabled " + disabled + "), as container runtimes' default " +
          "profiles do"
        : "a seccomp filter is active (Seccomp: 2 in /proc/self/status) and most likely blocks io_uring, as " +
          "container runtimes do by default",
      fix: [SECCOMP_FIX],
    };
  }
  const fix = [LSM_FIX];
  if (!atLeast(5, 11)) fix.unshift("IORING_SETUP_SQPOLL needs CAP_SYS_ADMIN before Linux 5.11");
  return {
    code,
    cause: "security-module",
    reason: `io_uring setup was refused although io_uring_disabled ${disabled} and no seccomp filter is active`,
    fix,
  };
}
