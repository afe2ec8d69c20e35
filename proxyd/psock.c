/* SPDX-License-Identifier: ISC */
/*
 * UDP sockets and their read loop.  See psock.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "log.h"
#include "psock.h"

#define PSOCK_BATCH	32
#define PSOCK_ROUNDS	8		/* batches per readiness event */
#define PSOCK_BUFSIZE	(4 * 1024 * 1024)	/* primary socket buffers */
#define PSOCK_DGRAM_MAX	65536

/*
 * With UDP GRO the kernel hands over a run of same-size datagrams from one
 * peer as one buffer and says the segment size in a control message: cut
 * it back into datagrams.
 */
static void
input_segments(struct psock *ps, struct msghdr *h,
    const struct ep *from, uint8_t *buf, size_t len)
{
	const struct psock_env *env = ps->env;
	size_t seg = len;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL;
	    c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			int v;

			memcpy(&v, CMSG_DATA(c), sizeof(v));
			if (v > 0)
				seg = (size_t)v;
		}
	if (len == 0) {
		env->input(env->arg, ps, from, buf, 0);	/* empty: counted */
		return;
	}
	for (size_t off = 0; off < len; off += seg)
		env->input(env->arg, ps, from, buf + off, len - off < seg ?
		    len - off : seg);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t bufs[PSOCK_BATCH][PSOCK_DGRAM_MAX + 1];
	static struct mmsghdr msgs[PSOCK_BATCH];
	static struct iovec iov[PSOCK_BATCH];
	static struct sockaddr_storage from[PSOCK_BATCH];
	static union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} cmsg[PSOCK_BATCH];
	struct psock *ps = arg;
	const struct psock_env *env = ps->env;
	struct ep src;
	int n;

	(void)what;
	for (int round = 0; round < PSOCK_ROUNDS; round++) {
		for (int i = 0; i < PSOCK_BATCH; i++) {
			iov[i].iov_base = bufs[i];
			iov[i].iov_len = sizeof(bufs[i]);
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msgs[i].msg_hdr.msg_control = cmsg[i].buf;
			msgs[i].msg_hdr.msg_controllen = sizeof(cmsg[i].buf);
		}
		n = recvmmsg(fd, msgs, PSOCK_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("recvmmsg");
			env->burst_end(env->arg);
			return;
		}
		now_burst_begin();
		for (int i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC ||
			    ep_from_sa(&src, (struct sockaddr *)&from[i],
			    msgs[i].msg_hdr.msg_namelen) == -1) {
				env->st->rx_bad++;
				continue;
			}
			if (ps->kind != PSOCK_PROBE) {
				input_segments(ps, &msgs[i].msg_hdr,
				    &src, bufs[i], msgs[i].msg_len);
				continue;
			}
			/* a probe socket may be closed by what it received */
			env->input(env->arg, ps, &src, bufs[i],
			    msgs[i].msg_len);
			now_burst_end();
			env->burst_end(env->arg);
			return;
		}
		now_burst_end();
		env->burst_end(env->arg);
		if (n < PSOCK_BATCH)
			return;
	}
}

/* SO_REUSEADDR on fd: on (1) for one bind beside a wildcard socket, or off. */
static int
set_shared(int fd, int on)
{
	return setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
}

/*
 * Binds ps->fd to ps->local.  Alone, the bind is exclusive.  Beside a
 * wildcard socket on the same port, both sockets share the port for this
 * one bind: a listener on 0.0.0.0:P and one on A:P conflict unless both
 * set SO_REUSEADDR.  The kernel checks that flag on the sockets already
 * bound at each later bind, so clearing it afterwards shuts the port
 * again.  XXX: between the two setsockopt calls on wild (microseconds, at
 * start-up) another local socket with SO_REUSEADDR could bind the port;
 * the kernel offers no atomic way to bind such a pair.
 */
static int
bind_port(struct psock *ps, struct psock *wild, const char *a)
{
	unsigned port = ps->local.port;
	struct sockaddr_storage ss;
	socklen_t sl = ep_to_sa(&ps->local, &ss);
	int rc, e, off_err = 0;

	if (wild != NULL && (set_shared(wild->fd, 1) == -1 ||
	    set_shared(ps->fd, 1) == -1)) {
		log_warn("cannot share UDP port %u with the wildcard socket",
		    port);
		(void)set_shared(wild->fd, 0);
		return -1;
	}
	rc = bind(ps->fd, (struct sockaddr *)&ss, sl);
	e = errno;
	if (wild != NULL) {
		off_err |= set_shared(wild->fd, 0);
		off_err |= set_shared(ps->fd, 0);
		if (off_err != 0) {
			log_warn("cannot close UDP port %u to others again",
			    port);
			return -1;
		}
	}
	if (rc == -1) {
		errno = e;
		log_warn("cannot bind UDP %s", a);
	}
	return rc;
}

static int
open_bound(struct psock *ps, const struct psock_env *env, const struct ep *addr,
    uint16_t port, enum psock_kind kind, struct psock *wild)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char a[EP_STRLEN];
	int one = 1;

	memset(ps, 0, sizeof(*ps));
	ps->env = env;
	ps->kind = kind;
	ps->fd = -1;
	ps->local = *addr;
	ps->local.port = port;
	ep_fmt(&ps->local, a, sizeof(a));
	if (!ep_is_set(addr)) {
		log_warnx("cannot open UDP socket: no address family");
		memset(&ps->local, 0, sizeof(ps->local));
		return -1;
	}
	if ((ps->fd = socket(addr->family, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		log_warn("cannot create UDP %s socket", addr->family ==
		    AF_INET6 ? "IPv6" : "IPv4");
		memset(&ps->local, 0, sizeof(ps->local));
		return -1;
	}
	/*
	 * One socket per family: an IPv6 socket never takes IPv4 (mapped)
	 * traffic, so "::" and "0.0.0.0" can both be listened on, and each
	 * peer has one spelling.
	 */
	if (addr->family == AF_INET6 && setsockopt(ps->fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1) {
		log_warn("cannot set IPV6_V6ONLY on UDP %s", a);
		goto fail_close;
	}
	if (bind_port(ps, wild, a) == -1)
		goto fail_close;
	if (getsockname(ps->fd, (struct sockaddr *)&ss, &len) == 0)
		(void)ep_from_sa(&ps->local, (struct sockaddr *)&ss, len);
	ep_fmt(&ps->local, a, sizeof(a));
	ps->ev = event_new(env->base, ps->fd, EV_READ | EV_PERSIST, read_cb,
	    ps);
	if (ps->ev == NULL || event_add(ps->ev, NULL) == -1) {
		log_warnx("cannot watch UDP socket");
		goto fail_close;
	}
	if (kind == PSOCK_PRIMARY) {
		/*
		 * Links carry bursts: the default 212 KB buffers overflow and
		 * every drop costs the endpoints a TCP retransmission.  As
		 * root we may go beyond the sysctl limits.
		 */
		int sz = PSOCK_BUFSIZE, pmtu;

		if (setsockopt(ps->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz,
		    sizeof(sz)) == -1)
			(void)setsockopt(ps->fd, SOL_SOCKET, SO_RCVBUF, &sz,
			    sizeof(sz));
		if (setsockopt(ps->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz,
		    sizeof(sz)) == -1)
			(void)setsockopt(ps->fd, SOL_SOCKET, SO_SNDBUF, &sz,
			    sizeof(sz));
		if (setsockopt(ps->fd, SOL_UDP, UDP_GRO, &one,
		    sizeof(one)) == -1)
			log_debug("UDP GRO not available: %s",
			    strerror(errno));

		/*
		 * DF on every datagram, and never fragmented here whatever
		 * ICMP says: the links measure each path's MTU themselves
		 * and split what would not fit (link.h), so no IP fragment
		 * crosses the NATs (many drop or mangle them).
		 */
		pmtu = IP_PMTUDISC_PROBE;
		if ((addr->family == AF_INET6 ? setsockopt(ps->fd,
		    IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, sizeof(pmtu)) :
		    setsockopt(ps->fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu,
		    sizeof(pmtu))) == -1)
			log_warn("cannot set IP_PMTUDISC_PROBE on the UDP "
			    "socket: datagrams over a path's MTU may be "
			    "fragmented");
	}
	if (kind != PSOCK_PROBE)
		log_info("listening on UDP %s", a);
	return 0;
fail_close:
	if (ps->ev != NULL)
		event_free(ps->ev);
	close(ps->fd);
	ps->fd = -1;
	ps->ev = NULL;
	memset(&ps->local, 0, sizeof(ps->local));	/* not open */
	return -1;
}

int
psock_open(struct psock *ps, const struct psock_env *env, const struct ep *addr,
    uint16_t port, enum psock_kind kind)
{
	return open_bound(ps, env, addr, port, kind, NULL);
}

int
psock_open_beside(struct psock *ps, const struct psock_env *env,
    const struct ep *addr, enum psock_kind kind, struct psock *wild)
{
	return open_bound(ps, env, addr, wild->local.port, kind,
	    wild);
}

void
psock_close(struct psock *ps)
{
	if (ps->ev != NULL)
		event_free(ps->ev);
	if (ps->fd != -1)
		close(ps->fd);
	ps->ev = NULL;
	ps->fd = -1;
}

int
psock_send(struct psock *ps, const uint8_t *p, size_t len,
    const struct ep *to)
{
	struct sockaddr_storage ss;
	socklen_t sl = ep_to_sa(to, &ss);

	if (to->family != ps->local.family) {
		ps->env->st->tx_fail++;	/* no route across families */
		return -1;
	}
	if (sendto(ps->fd, p, len, 0, (const struct sockaddr *)&ss,
	    sl) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_debug("sendto: %s", strerror(errno));
		ps->env->st->tx_fail++;
		return -1;
	}
	ps->env->st->tx_packets++;
	ps->env->st->tx_bytes += len;
	return 0;
}
