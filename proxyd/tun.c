/* SPDX-License-Identifier: ISC */
/*
 * TUN device set-up (TUNSETIFF, MTU, up) and the read loop.  The read
 * loop takes at most TUN_BATCH packets per readiness event so the links'
 * socket gets its turn; the fd stays readable and libevent calls again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "link.h"
#include "log.h"
#include "relay.h"
#include "tun.h"
#include "txq.h"

#define TUN_BATCH	64

struct tun {
	struct proxyd	*px;
	int		 fd;
	int		 ifindex;
	int		 mtu;
	char		 name[IFNAMSIZ];
	struct event	*ev;
};

static void
tun_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tun *t = arg;

	(void)what;
	/* read until empty (or a batch), each packet into the send batch */
	for (int i = 0; i < TUN_BATCH; i++) {
		uint8_t *frame = txq_slot(t->px);
		ssize_t n = read(fd, frame + LINK_DATA_HEADROOM, 65535);

		if (n <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("read from tun '%s'", t->name);
			break;
		}
		relay_from_tun(t->px, frame, (size_t)n);
	}
	txq_flush(t->px);
}

static int
if_set(const char *name, int mtu)
{
	struct ifreq ifr;
	int s, rc = -1;

	if ((s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_mtu = mtu;
	if (ioctl(s, SIOCSIFMTU, &ifr) == -1) {
		log_warn("cannot set mtu %d on '%s'", mtu, name);
		goto out;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == -1) {
		log_warn("cannot read flags of '%s'", name);
		goto out;
	}
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) == -1) {
		log_warn("cannot bring '%s' up", name);
		goto out;
	}
	rc = 0;
out:
	close(s);
	return rc;
}

struct tun *
tun_open(struct proxyd *px, const char *name, int mtu)
{
	struct tun *t;
	struct ifreq ifr;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->px = px;
	t->mtu = mtu;
	if ((t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC))
	    == -1) {
		log_warn("cannot open /dev/net/tun");
		goto fail_free;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) == -1) {
		log_warn("cannot create tun '%s'", name);
		goto fail_close;
	}
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	if (if_set(t->name, mtu) == -1)
		goto fail_close;
	if ((t->ifindex = (int)if_nametoindex(t->name)) == 0) {
		log_warn("cannot find index of '%s'", t->name);
		goto fail_close;
	}
	t->ev = event_new(px->base, t->fd, EV_READ | EV_PERSIST, tun_read_cb,
	    t);
	if (t->ev == NULL || event_add(t->ev, NULL) == -1) {
		log_warnx("cannot watch tun '%s'", t->name);
		goto fail_close;
	}
	log_info("tun '%s' up, mtu %d", t->name, mtu);
	return t;
fail_close:
	if (t->ev != NULL)
		event_free(t->ev);
	close(t->fd);
fail_free:
	free(t);
	return NULL;
}

void
tun_close(struct tun *t)
{
	if (t == NULL)
		return;
	event_free(t->ev);
	close(t->fd);
	free(t);
}

int
tun_write(struct tun *t, const uint8_t *p, size_t len)
{
	if (write(t->fd, p, len) == -1) {
		log_debug("write to tun '%s': %s", t->name, strerror(errno));
		return -1;
	}
	return 0;
}

int
tun_ifindex(const struct tun *t)
{
	return t->ifindex;
}

const char *
tun_name(const struct tun *t)
{
	return t->name;
}
