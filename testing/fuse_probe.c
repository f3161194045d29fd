/*
 * A system-call interpreter for tests of mounted FUSE filesystems (built and driven by fuse_probe.ts): reads one
 * command per line on stdin, makes the call, and answers one line on stdout: "ok [values...]" or "err <errno>".
 * Paths, names, link targets and xattr values are hex ("-" for none), so any bytes reach the kernel as they are.
 *
 *   open PATH FLAGS MODE        -> ok FD             close FD
 *   mkdir PATH MODE             mknod PATH MODE DEV  symlink TARGET PATH   readlink PATH -> ok HEX
 *   rename OLD NEW              link OLD NEW         unlink PATH           rmdir PATH
 *   readdir PATH                -> ok HEX...         stat PATH -> ok MODE SIZE NLINK RDEV
 *   setxattr PATH NAME VALUE FLAGS                   getxattr PATH NAME SIZE -> ok LEN [HEX]
 *   listxattr PATH SIZE         -> ok LEN [HEX]      removexattr PATH NAME
 *   lock FD get|set|setw TYPE START LEN -> (get) ok TYPE START LEN PID
 *   flock FD OP                 fallocate FD MODE OFFSET LEN               lseek FD OFFSET WHENCE -> ok OFFSET
 *   copy FDIN OFFIN FDOUT OFFOUT LEN -> ok N         pwrite FD OFFSET HEX -> ok N   pread FD OFFSET LEN -> ok HEX
 *   sigusr1                     (a SIGUSR1 handler without SA_RESTART: a blocked call then fails with EINTR)
 *
 * Numbers take C's prefixes (0x..., 0...).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

static char *args[8];
static int nargs;

static unsigned char *unhex(const char *s, size_t *len) {
	size_t n = strcmp(s, "-") == 0 ? 0 : strlen(s) / 2;
	unsigned char *b = malloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(s + 2 * i, "%2x", &v);
		b[i] = (unsigned char)v;
	}
	b[n] = 0;
	if (len) *len = n;
	return b;
}

static void puthex(const unsigned char *b, size_t n) {
	putchar(' ');
	if (n == 0) putchar('-');
	for (size_t i = 0; i < n; i++) printf("%02x", b[i]);
}

static long long num(int i) {
	return i < nargs ? strtoll(args[i], NULL, 0) : 0;
}

static char *path(int i) {
	return (char *)unhex(i < nargs ? args[i] : "-", NULL);
}

static void on_signal(int sig) {
	(void)sig;
}

static int result(long long r) {
	if (r < 0) {
		printf("err %d\n", errno);
		return -1;
	}
	return 0;
}

static void done(long long r) {
	if (result(r) == 0) printf("ok\n");
}

int main(void) {
	static char line[1 << 17];
	static unsigned char buf[1 << 16];
	setvbuf(stdout, NULL, _IONBF, 0);
	while (fgets(line, sizeof line, stdin)) {
		line[strcspn(line, "\n")] = 0;
		nargs = 0;
		for (char *t = strtok(line, " "); t && nargs < 8; t = strtok(NULL, " ")) args[nargs++] = t;
		if (nargs == 0) continue;
		const char *c = args[0];
		errno = 0;
		if (!strcmp(c, "open")) {
			int fd = open(path(1), (int)num(2), (mode_t)num(3));
			if (result(fd) == 0) printf("ok %d\n", fd);
		} else if (!strcmp(c, "close")) {
			done(close((int)num(1)));
		} else if (!strcmp(c, "mkdir")) {
			done(mkdir(path(1), (mode_t)num(2)));
		} else if (!strcmp(c, "mknod")) {
			done(mknod(path(1), (mode_t)num(2), (dev_t)num(3)));
		} else if (!strcmp(c, "symlink")) {
			done(symlink(path(1), path(2)));
		} else if (!strcmp(c, "readlink")) {
			ssize_t n = readlink(path(1), (char *)buf, sizeof buf);
			if (result(n) == 0) {
				printf("ok");
				puthex(buf, (size_t)n);
				putchar('\n');
			}
		} else if (!strcmp(c, "rename")) {
			done(rename(path(1), path(2)));
		} else if (!strcmp(c, "link")) {
			done(link(path(1), path(2)));
		} else if (!strcmp(c, "unlink")) {
			done(unlink(path(1)));
		} else if (!strcmp(c, "rmdir")) {
			done(rmdir(path(1)));
		} else if (!strcmp(c, "readdir")) {
			DIR *d = opendir(path(1));
			if (!d) {
				result(-1);
				continue;
			}
			printf("ok");
			struct dirent *e;
			while ((e = readdir(d))) puthex((unsigned char *)e->d_name, strlen(e->d_name));
			putchar('\n');
			closedir(d);
		} else if (!strcmp(c, "stat")) {
			struct stat st;
			if (result(lstat(path(1), &st)) == 0) {
				printf("ok %u %lld %lu %u:%u\n", st.st_mode, (long long)st.st_size, (unsigned long)st.st_nlink,
				       major(st.st_rdev), minor(st.st_rdev));
			}
		} else if (!strcmp(c, "setxattr")) {
			size_t n;
			unsigned char *v = unhex(nargs > 3 ? args[3] : "-", &n);
			done(setxattr(path(1), path(2), v, n, (int)num(4)));
		} else if (!strcmp(c, "getxattr") || !strcmp(c, "listxattr")) {
			int get = c[0] == 'g';
			size_t size = (size_t)num(get ? 3 : 2);
			if (size > sizeof buf) size = sizeof buf;
			ssize_t n = get ? getxattr(path(1), path(2), size ? buf : NULL, size)
			                : listxattr(path(1), size ? (char *)buf : NULL, size);
			if (result(n) == 0) {
				printf("ok %zd", n);
				if (size) puthex(buf, (size_t)n);
				putchar('\n');
			}
		} else if (!strcmp(c, "removexattr")) {
			done(removexattr(path(1), path(2)));
		} else if (!strcmp(c, "lock")) {
			struct flock fl = {0};
			fl.l_type = (short)num(3);
			fl.l_whence = SEEK_SET;
			fl.l_start = (off_t)num(4);
			fl.l_len = (off_t)num(5);
			const char *how = nargs > 2 ? args[2] : "";
			int cmd = !strcmp(how, "get") ? F_GETLK : !strcmp(how, "setw") ? F_SETLKW : F_SETLK;
			if (result(fcntl((int)num(1), cmd, &fl)) == 0) {
				if (cmd == F_GETLK)
					printf("ok %d %lld %lld %d\n", fl.l_type, (long long)fl.l_start, (long long)fl.l_len, fl.l_pid);
				else
					printf("ok\n");
			}
		} else if (!strcmp(c, "flock")) {
			done(flock((int)num(1), (int)num(2)));
		} else if (!strcmp(c, "fallocate")) {
			done(fallocate((int)num(1), (int)num(2), (off_t)num(3), (off_t)num(4)));
		} else if (!strcmp(c, "lseek")) {
			off_t r = lseek((int)num(1), (off_t)num(2), (int)num(3));
			if (result(r) == 0) printf("ok %lld\n", (long long)r);
		} else if (!strcmp(c, "copy")) {
			loff_t in = (loff_t)num(2), out = (loff_t)num(4);
			ssize_t r = copy_file_range((int)num(1), &in, (int)num(3), &out, (size_t)num(5), 0);
			if (result(r) == 0) printf("ok %zd\n", r);
		} else if (!strcmp(c, "pwrite")) {
			size_t n;
			unsigned char *v = unhex(nargs > 3 ? args[3] : "-", &n);
			ssize_t r = pwrite((int)num(1), v, n, (off_t)num(2));
			if (result(r) == 0) printf("ok %zd\n", r);
		} else if (!strcmp(c, "pread")) {
			size_t size = (size_t)num(3);
			if (size > sizeof buf) size = sizeof buf;
			ssize_t r = pread((int)num(1), buf, size, (off_t)num(2));
			if (result(r) == 0) {
				printf("ok");
				puthex(buf, (size_t)r);
				putchar('\n');
			}
		} else if (!strcmp(c, "sigusr1")) {
			struct sigaction sa = {0};
			sa.sa_handler = on_signal;
			sigemptyset(&sa.sa_mask);
			done(sigaction(SIGUSR1, &sa, NULL));
		} else {
			printf("? %s\n", c);
		}
	}
	return 0;
}
