/*
 * Test helper for uring/ring/refused_test.ts and uring/doctor/refused_test.ts: runs a program the way a container
 * under Docker's default seccomp profile runs it (io_uring_setup, io_uring_enter and io_uring_register answer
 * EPERM, every other system call is allowed), or with a small locked-memory limit and without CAP_IPC_LOCK.
 *
 *   seccomp_eperm [--memlock BYTES] [--no-filter] [--] PROGRAM [ARGS...]
 *   seccomp_eperm [--memlock BYTES] [--no-filter] --probe-setup ENTRIES
 *
 *   --memlock BYTES  sets RLIMIT_MEMLOCK (soft and hard) to BYTES and drops CAP_IPC_LOCK from the capability
 *                    bounding set, so that even root runs PROGRAM without it: the kernel skips the locked-memory
 *                    accounting of rings for a process with CAP_IPC_LOCK (io_uring/io_uring.c io_uring_create).
 *                    Without CAP_SETPCAP (not root) the drop fails, which is harmless: such a process has no
 *                    CAP_IPC_LOCK to drop (the test checks /proc/self/status either way).
 *   --no-filter      installs no seccomp filter.
 *   --probe-setup ENTRIES
 *                    instead of running a program, runs this helper again (so that root's capabilities are
 *                    recomputed from the bounding set) to call io_uring_setup(ENTRIES) itself, and prints "ok" or
 *                    the errno number: whether the kernel refuses a ring here, asked without ringside.
 *
 * The filter checks the architecture first (a system call number means something else under another ABI), and
 * io_uring's numbers are 425, 426 and 427 on every architecture, from the common table of Linux 5.1. A filter needs
 * PR_SET_NO_NEW_PRIVS unless the caller has CAP_SYS_ADMIN (kernel/seccomp.c seccomp_prepare_filter); the filter and
 * the no-new-privs bit survive execve, so PROGRAM and its children run under them.
 *
 * Build: gcc -O1 -Wall -Werror -o seccomp_eperm seccomp_eperm.c (testing/cc.ts builds and caches it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AUDIT_ARCH_AARCH64
#define AUDIT_ARCH_AARCH64 (EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE)
#endif

#define NR_IO_URING_SETUP 425
#define NR_IO_URING_ENTER 426
#define NR_IO_URING_REGISTER 427
#define CAP_IPC_LOCK 14
/* sizeof(struct io_uring_params) since Linux 5.1: all zero asks for a plain ring. */
#define IO_URING_PARAMS_SIZE 120

static int install_filter(void)
{
	struct sock_filter code[] = {
		/* [0] Unknown architectures are let through: the numbers below are only known for these two. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_AARCH64, 0, 4),
		/* [3] */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IO_URING_SETUP, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IO_URING_ENTER, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IO_URING_REGISTER, 1, 0),
		/* [7] */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* [8] */
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
	};
	struct sock_fprog prog = { .len = sizeof(code) / sizeof(code[0]), .filter = code };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		perror("seccomp_eperm: PR_SET_NO_NEW_PRIVS");
		return -1;
	}
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0)) {
		perror("seccomp_eperm: PR_SET_SECCOMP");
		return -1;
	}
	return 0;
}

static int limit_memlock(const char *arg)
{
	char *end;
	unsigned long long bytes = strtoull(arg, &end, 0);
	struct rlimit r;

	if (*arg == '\0' || *end != '\0') {
		fprintf(stderr, "seccomp_eperm: --memlock wants a number of bytes, got %s\n", arg);
		return -1;
	}
	r.rlim_cur = r.rlim_max = (rlim_t) bytes;
	if (setrlimit(RLIMIT_MEMLOCK, &r)) {
		perror("seccomp_eperm: setrlimit(RLIMIT_MEMLOCK)");
		return -1;
	}
	/* Root's capabilities after execve are those of the bounding set (security/commoncap.c cap_bprm_creds_from_file). */
	if (prctl(PR_CAPBSET_DROP, CAP_IPC_LOCK, 0, 0, 0) && errno != EPERM) {
		perror("seccomp_eperm: PR_CAPBSET_DROP(CAP_IPC_LOCK)");
		return -1;
	}
	return 0;
}

/* io_uring_setup(entries) with zeroed parameters; prints "ok" (and closes the ring) or the errno number. */
static int setup_now(const char *arg)
{
	unsigned char params[IO_URING_PARAMS_SIZE] = { 0 };
	long fd = syscall(NR_IO_URING_SETUP, (unsigned) strtoul(arg, NULL, 0), params);

	if (fd < 0) {
		printf("%d\n", errno);
	} else {
		close((int) fd);
		printf("ok\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *probe = NULL;
	int filter = 1;
	int i = 1;

	if (argc == 3 && !strcmp(argv[1], "--setup-now"))
		return setup_now(argv[2]);

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--no-filter")) {
			filter = 0;
		} else if (!strcmp(argv[i], "--probe-setup") && i + 1 < argc) {
			probe = argv[++i];
		} else if (!strcmp(argv[i], "--memlock") && i + 1 < argc) {
			if (limit_memlock(argv[++i]))
				return 125;
		} else {
			fprintf(stderr, "seccomp_eperm: unknown option %s\n", argv[i]);
			return 125;
		}
	}
	if (i >= argc && !probe) {
		fprintf(stderr, "usage: seccomp_eperm [--memlock BYTES] [--no-filter] [--] PROGRAM [ARGS...]\n"
			"       seccomp_eperm [--memlock BYTES] [--no-filter] --probe-setup ENTRIES\n");
		return 125;
	}
	if (filter && install_filter())
		return 125;
	if (probe) {
		char *again[] = { argv[0], "--setup-now", (char *) probe, NULL };

		execv("/proc/self/exe", again);
		fprintf(stderr, "seccomp_eperm: cannot run /proc/self/exe: %s\n", strerror(errno));
		return 127;
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "seccomp_eperm: cannot run %s: %s\n", argv[i], strerror(errno));
	return 127;
}
