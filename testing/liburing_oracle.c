/*
 * Test oracle for uring/prep/prep_test.ts and uring/abi/recvmsg_out_test.ts: runs liburing's own inline helpers
 * (from the installed liburing.h, 2.3 on this project's machines) and prints what they produce.
 *
 * Reads one command per line from stdin, writes one line per command to stdout:
 *
 *   prep_<name> <args...>   calls io_uring_prep_<name>(sqe, args...) on a zeroed 128-byte SQE buffer and prints
 *                           the 128 bytes as hex (a helper may not write past byte 64: the test checks that too)
 *   sqe_set_data64 <v>      likewise for io_uring_sqe_set_data64, sqe_set_flags for io_uring_sqe_set_flags
 *   recvmsg <buf_len> <namelen> <controllen> <hex>
 *                           parses the buffer with io_uring_recvmsg_* and prints
 *                           "v=<0|1> name=<off> cmsg=<off,...> payload=<off> plen=<n>" (offsets from the buffer
 *                           start, -1 for NULL; only "v=0" when validation fails)
 *
 * Arguments are C integers in any base strtoull accepts ("0x1f", "-1"); each is converted to the parameter's C type
 * the way a C caller's argument would be. An unknown command prints "?" and the exit status becomes 2.
 *
 * Build: gcc -O1 -o liburing_oracle liburing_oracle.c (header-only use of liburing: no -luring needed);
 * testing/liburing_oracle.ts builds it with -Wall -Werror (testing/cc.ts caches the executable) and runs it.
 */
#define _GNU_SOURCE
#include <liburing.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned long long u64;

#define P(x) ((void *) (uintptr_t) (x))
#define I(x) ((int) (x))
#define U(x) ((unsigned) (x))

static union {
	struct io_uring_sqe sqe;
	unsigned char bytes[128];
} slot __attribute__((aligned(64)));

static int prep(const char *n, const u64 *a)
{
	struct io_uring_sqe *s = &slot.sqe;

#define IS(name) (!strcmp(n, name))
	if (IS("prep_rw")) io_uring_prep_rw(I(a[0]), s, I(a[1]), P(a[2]), U(a[3]), a[4]);
	else if (IS("prep_nop")) io_uring_prep_nop(s);
	else if (IS("prep_read")) io_uring_prep_read(s, I(a[0]), P(a[1]), U(a[2]), a[3]);
	else if (IS("prep_write")) io_uring_prep_write(s, I(a[0]), P(a[1]), U(a[2]), a[3]);
	else if (IS("prep_readv")) io_uring_prep_readv(s, I(a[0]), P(a[1]), U(a[2]), a[3]);
	else if (IS("prep_readv2")) io_uring_prep_readv2(s, I(a[0]), P(a[1]), U(a[2]), a[3], I(a[4]));
	else if (IS("prep_writev")) io_uring_prep_writev(s, I(a[0]), P(a[1]), U(a[2]), a[3]);
	else if (IS("prep_writev2")) io_uring_prep_writev2(s, I(a[0]), P(a[1]), U(a[2]), a[3], I(a[4]));
	else if (IS("prep_read_fixed")) io_uring_prep_read_fixed(s, I(a[0]), P(a[1]), U(a[2]), a[3], I(a[4]));
	else if (IS("prep_write_fixed")) io_uring_prep_write_fixed(s, I(a[0]), P(a[1]), U(a[2]), a[3], I(a[4]));
	else if (IS("prep_openat")) io_uring_prep_openat(s, I(a[0]), P(a[1]), I(a[2]), (mode_t) a[3]);
	else if (IS("prep_openat_direct"))
		io_uring_prep_openat_direct(s, I(a[0]), P(a[1]), I(a[2]), (mode_t) a[3], U(a[4]));
	else if (IS("prep_openat2")) io_uring_prep_openat2(s, I(a[0]), P(a[1]), P(a[2]));
	else if (IS("prep_openat2_direct")) io_uring_prep_openat2_direct(s, I(a[0]), P(a[1]), P(a[2]), U(a[3]));
	else if (IS("prep_close")) io_uring_prep_close(s, I(a[0]));
	else if (IS("prep_close_direct")) io_uring_prep_close_direct(s, U(a[0]));
	else if (IS("prep_statx")) io_uring_prep_statx(s, I(a[0]), P(a[1]), I(a[2]), U(a[3]), P(a[4]));
	else if (IS("prep_unlinkat")) io_uring_prep_unlinkat(s, I(a[0]), P(a[1]), I(a[2]));
	else if (IS("prep_unlink")) io_uring_prep_unlink(s, P(a[0]), I(a[1]));
	else if (IS("prep_renameat")) io_uring_prep_renameat(s, I(a[0]), P(a[1]), I(a[2]), P(a[3]), U(a[4]));
	else if (IS("prep_rename")) io_uring_prep_rename(s, P(a[0]), P(a[1]));
	else if (IS("prep_mkdirat")) io_uring_prep_mkdirat(s, I(a[0]), P(a[1]), (mode_t) a[2]);
	else if (IS("prep_mkdir")) io_uring_prep_mkdir(s, P(a[0]), (mode_t) a[1]);
	else if (IS("prep_symlinkat")) io_uring_prep_symlinkat(s, P(a[0]), I(a[1]), P(a[2]));
	else if (IS("prep_symlink")) io_uring_prep_symlink(s, P(a[0]), P(a[1]));
	else if (IS("prep_linkat")) io_uring_prep_linkat(s, I(a[0]), P(a[1]), I(a[2]), P(a[3]), I(a[4]));
	else if (IS("prep_link")) io_uring_prep_link(s, P(a[0]), P(a[1]), I(a[2]));
	else if (IS("prep_getxattr")) io_uring_prep_getxattr(s, P(a[0]), P(a[1]), P(a[2]), U(a[3]));
	else if (IS("prep_setxattr")) io_uring_prep_setxattr(s, P(a[0]), P(a[1]), P(a[2]), I(a[3]), U(a[4]));
	else if (IS("prep_fgetxattr")) io_uring_prep_fgetxattr(s, I(a[0]), P(a[1]), P(a[2]), U(a[3]));
	else if (IS("prep_fsetxattr")) io_uring_prep_fsetxattr(s, I(a[0]), P(a[1]), P(a[2]), I(a[3]), U(a[4]));
	else if (IS("prep_fadvise")) io_uring_prep_fadvise(s, I(a[0]), a[1], (off_t) a[2], I(a[3]));
	else if (IS("prep_madvise")) io_uring_prep_madvise(s, P(a[0]), (off_t) a[1], I(a[2]));
	else if (IS("prep_fallocate")) io_uring_prep_fallocate(s, I(a[0]), I(a[1]), (off_t) a[2], (off_t) a[3]);
	else if (IS("prep_fsync")) io_uring_prep_fsync(s, I(a[0]), U(a[1]));
	else if (IS("prep_sync_file_range")) io_uring_prep_sync_file_range(s, I(a[0]), U(a[1]), a[2], I(a[3]));
	else if (IS("prep_socket")) io_uring_prep_socket(s, I(a[0]), I(a[1]), I(a[2]), U(a[3]));
	else if (IS("prep_socket_direct"))
		io_uring_prep_socket_direct(s, I(a[0]), I(a[1]), I(a[2]), U(a[3]), U(a[4]));
	else if (IS("prep_socket_direct_alloc")) io_uring_prep_socket_direct_alloc(s, I(a[0]), I(a[1]), I(a[2]), U(a[3]));
	else if (IS("prep_accept")) io_uring_prep_accept(s, I(a[0]), P(a[1]), P(a[2]), I(a[3]));
	else if (IS("prep_accept_direct")) io_uring_prep_accept_direct(s, I(a[0]), P(a[1]), P(a[2]), I(a[3]), U(a[4]));
	else if (IS("prep_multishot_accept")) io_uring_prep_multishot_accept(s, I(a[0]), P(a[1]), P(a[2]), I(a[3]));
	else if (IS("prep_multishot_accept_direct"))
		io_uring_prep_multishot_accept_direct(s, I(a[0]), P(a[1]), P(a[2]), I(a[3]));
	else if (IS("prep_connect")) io_uring_prep_connect(s, I(a[0]), P(a[1]), (socklen_t) a[2]);
	else if (IS("prep_send")) io_uring_prep_send(s, I(a[0]), P(a[1]), (size_t) a[2], I(a[3]));
	else if (IS("prep_send_set_addr")) io_uring_prep_send_set_addr(s, P(a[0]), (__u16) a[1]);
	else if (IS("prep_send_zc")) io_uring_prep_send_zc(s, I(a[0]), P(a[1]), (size_t) a[2], I(a[3]), U(a[4]));
	else if (IS("prep_send_zc_fixed"))
		io_uring_prep_send_zc_fixed(s, I(a[0]), P(a[1]), (size_t) a[2], I(a[3]), U(a[4]), U(a[5]));
	else if (IS("prep_sendmsg")) io_uring_prep_sendmsg(s, I(a[0]), P(a[1]), U(a[2]));
	else if (IS("prep_sendmsg_zc")) io_uring_prep_sendmsg_zc(s, I(a[0]), P(a[1]), U(a[2]));
	else if (IS("prep_recv")) io_uring_prep_recv(s, I(a[0]), P(a[1]), (size_t) a[2], I(a[3]));
	else if (IS("prep_recv_multishot")) io_uring_prep_recv_multishot(s, I(a[0]), P(a[1]), (size_t) a[2], I(a[3]));
	else if (IS("prep_recvmsg")) io_uring_prep_recvmsg(s, I(a[0]), P(a[1]), U(a[2]));
	else if (IS("prep_recvmsg_multishot")) io_uring_prep_recvmsg_multishot(s, I(a[0]), P(a[1]), U(a[2]));
	else if (IS("prep_shutdown")) io_uring_prep_shutdown(s, I(a[0]), I(a[1]));
	else if (IS("prep_poll_add")) io_uring_prep_poll_add(s, I(a[0]), U(a[1]));
	else if (IS("prep_poll_multishot")) io_uring_prep_poll_multishot(s, I(a[0]), U(a[1]));
	else if (IS("prep_poll_remove")) io_uring_prep_poll_remove(s, a[0]);
	else if (IS("prep_poll_update")) io_uring_prep_poll_update(s, a[0], a[1], U(a[2]), U(a[3]));
	else if (IS("prep_timeout")) io_uring_prep_timeout(s, P(a[0]), U(a[1]), U(a[2]));
	else if (IS("prep_timeout_remove")) io_uring_prep_timeout_remove(s, a[0], U(a[1]));
	else if (IS("prep_timeout_update")) io_uring_prep_timeout_update(s, P(a[0]), a[1], U(a[2]));
	else if (IS("prep_link_timeout")) io_uring_prep_link_timeout(s, P(a[0]), U(a[1]));
	else if (IS("prep_cancel64")) io_uring_prep_cancel64(s, a[0], I(a[1]));
	else if (IS("prep_cancel")) io_uring_prep_cancel(s, P(a[0]), I(a[1]));
	else if (IS("prep_cancel_fd")) io_uring_prep_cancel_fd(s, I(a[0]), U(a[1]));
	else if (IS("prep_msg_ring")) io_uring_prep_msg_ring(s, I(a[0]), U(a[1]), a[2], U(a[3]));
	else if (IS("prep_provide_buffers"))
		io_uring_prep_provide_buffers(s, P(a[0]), I(a[1]), I(a[2]), I(a[3]), I(a[4]));
	else if (IS("prep_remove_buffers")) io_uring_prep_remove_buffers(s, I(a[0]), I(a[1]));
	else if (IS("prep_splice"))
		io_uring_prep_splice(s, I(a[0]), (int64_t) a[1], I(a[2]), (int64_t) a[3], U(a[4]), U(a[5]));
	else if (IS("prep_tee")) io_uring_prep_tee(s, I(a[0]), I(a[1]), U(a[2]), U(a[3]));
	else if (IS("prep_epoll_ctl")) io_uring_prep_epoll_ctl(s, I(a[0]), I(a[1]), I(a[2]), P(a[3]));
	else if (IS("prep_files_update")) io_uring_prep_files_update(s, P(a[0]), U(a[1]), I(a[2]));
	else if (IS("sqe_set_data64")) io_uring_sqe_set_data64(s, a[0]);
	else if (IS("sqe_set_flags")) io_uring_sqe_set_flags(s, U(a[0]));
	else return -1;
#undef IS
	return 0;
}

/* Offset of p from base, or -1 for NULL. */
static long long off(const void *base, const void *p)
{
	return p ? (long long) ((const unsigned char *) p - (const unsigned char *) base) : -1;
}

static void recvmsg_cmd(char *rest)
{
	static unsigned char buf[65536 + 512] __attribute__((aligned(16)));
	struct msghdr msgh;
	char *hex, *end;
	int buf_len, n = 0;

	buf_len = (int) strtoll(rest, &end, 0);
	memset(&msgh, 0, sizeof(msgh));
	msgh.msg_namelen = (socklen_t) strtoull(end, &end, 0);
	msgh.msg_controllen = (size_t) strtoull(end, &end, 0);
	hex = end + strspn(end, " ");
	memset(buf, 0, sizeof(buf));
	while (hex[0] && hex[1] && hex[0] != '\n' && n < 65536) {
		char byte[3] = { hex[0], hex[1], 0 };
		buf[n++] = (unsigned char) strtoul(byte, NULL, 16);
		hex += 2;
	}

	struct io_uring_recvmsg_out *o = io_uring_recvmsg_validate(buf, buf_len, &msgh);
	if (!o) {
		printf("v=0\n");
		return;
	}
	printf("v=1 name=%lld cmsg=", off(buf, io_uring_recvmsg_name(o)));
	struct cmsghdr *c = io_uring_recvmsg_cmsg_firsthdr(o, &msgh);
	printf("%lld", off(buf, c));
	for (int i = 0; c && i < 16; i++) {
		c = io_uring_recvmsg_cmsg_nexthdr(o, &msgh, c);
		if (c)
			printf(",%lld", off(buf, c));
	}
	printf(" payload=%lld plen=%u\n", off(buf, io_uring_recvmsg_payload(o, &msgh)),
	       io_uring_recvmsg_payload_length(o, buf_len, &msgh));
}

int main(void)
{
	static char line[1 << 18];
	int status = 0;

	while (fgets(line, sizeof(line), stdin)) {
		char name[64];
		int used = 0;

		if (sscanf(line, "%63s%n", name, &used) != 1)
			continue;
		if (!strcmp(name, "recvmsg")) {
			recvmsg_cmd(line + used);
			continue;
		}
		u64 a[8] = { 0 };
		char *p = line + used;
		for (int i = 0; i < 8; i++) {
			char *e;
			u64 v = strtoull(p, &e, 0);
			if (e == p)
				break;
			a[i] = v;
			p = e;
		}
		memset(slot.bytes, 0, sizeof(slot.bytes));
		if (prep(name, a)) {
			printf("?\n");
			status = 2;
			continue;
		}
		for (int i = 0; i < 128; i++)
			printf("%02x", slot.bytes[i]);
		putchar('\n');
	}
	return status;
}
