/* SPDX-License-Identifier: ISC */
/*
 * An LD_PRELOAD shim for tests/e2e/e2e_tungso.sh: makes the process's TUN
 * refuse UDP GSO frames the way a kernel before 6.2 does (it does not know
 * VIRTIO_NET_HDR_GSO_UDP_L4 and writev() fails with EINVAL), so proxyd's
 * fallback to writing datagrams one by one runs on a kernel that would
 * accept the frames.  Every other write goes through untouched.
 *
 * A refused frame is counted: the total is written, in decimal, to
 * $GSO_REFUSE_FILE (when set) after each refusal.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define GSO_UDP_L4	5	/* VIRTIO_NET_HDR_GSO_UDP_L4 */

static unsigned long refused;

static void
note(void)
{
	const char *path = getenv("GSO_REFUSE_FILE");
	char tmp[4096], num[32];
	int fd, n;

	if (path == NULL || snprintf(tmp, sizeof(tmp), "%s.tmp", path) >=
	    (int)sizeof(tmp))
		return;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		return;
	n = snprintf(num, sizeof(num), "%lu\n", refused);
	if (write(fd, num, (size_t)n) == n)
		rename(tmp, path);
	close(fd);
}

ssize_t
writev(int fd, const struct iovec *iov, int cnt)
{
	static ssize_t (*real)(int, const struct iovec *, int);
	struct virtio_net_hdr vh;

	if (real == NULL)
		real = (ssize_t (*)(int, const struct iovec *, int))
		    dlsym(RTLD_NEXT, "writev");
	if (cnt > 0 && iov[0].iov_len == sizeof(vh)) {
		memcpy(&vh, iov[0].iov_base, sizeof(vh));
		if (vh.gso_type == GSO_UDP_L4) {
			refused++;
			note();
			errno = EINVAL;
			return -1;
		}
	}
	return real(fd, iov, cnt);
}
