/* SPDX-License-Identifier: ISC */
/*
 * proxyd: main, configuration check, start-up and shutdown order, the
 * listen socket's read loop, and route installation.  The modules it wires
 * together are link.c (links), relay.c and tun.c (data path), control.c
 * (control socket) and rtnl.c (routes on the TUN).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "conn.h"
#include "control.h"
#include "link.h"
#include "log.h"
#include "ping.h"
#include "privs.h"
#include "proxyd.h"
#include "rtnl.h"
#include "topology.h"
#include "tun.h"
#include "txq.h"

#define UDP_BATCH	32
#define UDP_BUFSIZE	(4 * 1024 * 1024)	/* link socket buffers */
#define FLOWS_MAX	4096
#define FLOW_IDLE_S	300

#ifndef SYSCONFDIR
#define SYSCONFDIR "/usr/local/etc"
#endif
#define DEFAULT_CONF	SYSCONFDIR "/proxyd/proxyd.conf"

uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static __attribute__((noreturn)) void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: proxyd [-fhtvV] [-c FILE]\n"
"\n"
"proxyd relays IKE and ESP between IPsec endpoints whose sites are both\n"
"behind NAT.  One proxyd runs per site (and optionally on public hosts);\n"
"proxies link to their configured neighbours over UDP with mutually\n"
"authenticated DTLS handshakes, keep the NAT mappings open, announce\n"
"their site prefixes, install routes for remote prefixes on their TUN\n"
"device and carry the endpoints' packets hop by hop.\n"
"\n"
"  -c FILE   configuration file (default " DEFAULT_CONF ")\n"
"  -f        stay in the foreground and log to stderr\n"
"            (default: detach and log to syslog)\n"
"  -t        check the configuration and exit: 0 if valid, 1 otherwise;\n"
"            every error is printed as FILE:LINE: 'key' problem\n"
"  -v        with -t: print the normalised configuration;\n"
"            otherwise: log at debug level\n"
"  -V        print the version and exit\n"
"  -h        print this help and exit\n"
"\n"
"Signals: TERM and INT stop the daemon (neighbours are told goodbye);\n"
"HUP is logged and ignored (restart to apply a new configuration).\n"
"See proxyd(8), proxyd.conf(5) and proxyctl(8).\n");
	exit(status);
}

/*
 * With UDP GRO the kernel hands over a run of same-size datagrams from one
 * peer as one buffer and says the segment size in a control message: cut
 * it back into datagrams.
 */
static void
input_segments(struct proxyd *px, struct psock *ps, struct msghdr *h,
    const struct sockaddr_in *from, uint8_t *buf, size_t len)
{
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
		link_input(px, ps, from, buf, 0);	/* empty: counted */
		return;
	}
	for (size_t off = 0; off < len; off += seg)
		link_input(px, ps, from, buf + off, len - off < seg ?
		    len - off : seg);
}

/* The end of a read burst: what it queued for the links and the LAN goes. */
static void
burst_end(struct proxyd *px)
{
	txq_flush(px);
	tun_flush(px->tun);
}

static void
udp_read_cb(evutil_socket_t fd, short what, void *arg)
{
	static uint8_t bufs[UDP_BATCH][PKT_MAX + 1];
	static struct mmsghdr msgs[UDP_BATCH];
	static struct iovec iov[UDP_BATCH];
	static struct sockaddr_in from[UDP_BATCH];
	static union {
		char		buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr	align;
	} cmsg[UDP_BATCH];
	struct psock *ps = arg;
	struct proxyd *px = ps->px;
	bool probe_sock = ps->kind == PSOCK_PROBE;
	int n;

	(void)what;
	for (int round = 0; round < 8; round++) {
		for (int i = 0; i < UDP_BATCH; i++) {
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
		n = recvmmsg(fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("recvmmsg");
			burst_end(px);
			return;
		}
		for (int i = 0; i < n; i++) {
			if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC ||
			    from[i].sin_family != AF_INET) {
				px->st.drop_malformed++;
				continue;
			}
			/* a probe socket may be closed by what it received */
			if (!probe_sock) {
				input_segments(px, ps, &msgs[i].msg_hdr,
				    &from[i], bufs[i], msgs[i].msg_len);
				continue;
			}
			link_input(px, ps, &from[i], bufs[i], msgs[i].msg_len);
			if (probe_sock) {
				burst_end(px);
				return;
			}
		}
		burst_end(px);
		if (n < UDP_BATCH)
			return;
	}
}

int
psock_open(struct proxyd *px, struct psock *ps, struct in_addr addr,
    uint16_t port, enum psock_kind kind)
{
	socklen_t len = sizeof(ps->local);
	char a[INET_ADDRSTRLEN];
	int one = 1;

	memset(ps, 0, sizeof(*ps));
	ps->px = px;
	ps->kind = kind;
	ps->local.sin_family = AF_INET;
	ps->local.sin_addr = addr;
	ps->local.sin_port = htons(port);
	inet_ntop(AF_INET, &addr, a, sizeof(a));
	if ((ps->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		log_warn("cannot create UDP socket");
		return -1;
	}
	if (kind != PSOCK_PROBE)
		(void)setsockopt(ps->fd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
	if (bind(ps->fd, (struct sockaddr *)&ps->local, sizeof(ps->local))
	    == -1) {
		log_warn("cannot bind UDP %s:%u", a, port);
		goto fail;
	}
	(void)getsockname(ps->fd, (struct sockaddr *)&ps->local, &len);
	ps->ev = event_new(px->base, ps->fd, EV_READ | EV_PERSIST,
	    udp_read_cb, ps);
	if (ps->ev == NULL || event_add(ps->ev, NULL) == -1) {
		log_warnx("cannot watch UDP socket");
		goto fail;
	}
	if (kind == PSOCK_PRIMARY) {
		/*
		 * Links carry bursts: the default 212 KB buffers overflow and
		 * every drop costs the endpoints a TCP retransmission.  As
		 * root we may go beyond the sysctl limits.
		 */
		int sz = UDP_BUFSIZE;

		if (setsockopt(ps->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz,
		    sizeof(sz)) == -1)
			(void)setsockopt(ps->fd, SOL_SOCKET, SO_RCVBUF, &sz,
			    sizeof(sz));
		if (setsockopt(ps->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz,
		    sizeof(sz)) == -1)
			(void)setsockopt(ps->fd, SOL_SOCKET, SO_SNDBUF, &sz,
			    sizeof(sz));
	}
	if (kind == PSOCK_PRIMARY &&
	    setsockopt(ps->fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) == -1)
		log_debug("UDP GRO not available: %s", strerror(errno));
	if (kind != PSOCK_PROBE)
		log_info("listening on UDP %s:%u", a, port);
	return 0;
fail:
	if (ps->ev != NULL)
		event_free(ps->ev);
	close(ps->fd);
	ps->fd = -1;
	ps->ev = NULL;
	return -1;
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
    const struct sockaddr_in *to)
{
	if (sendto(ps->fd, p, len, 0, (const struct sockaddr *)to,
	    sizeof(*to)) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_debug("sendto: %s", strerror(errno));
		return -1;
	}
	ps->px->st.tx_packets++;
	ps->px->st.tx_bytes += len;
	return 0;
}

static int
listen_open(struct proxyd *px)
{
	const struct conf *c = px->conf;

	for (int i = 0; i < PSOCK_LISTEN; i++)
		px->socks[i].fd = -1;
	if (psock_open(px, &px->socks[PSOCK_PRIMARY], c->listen_addr,
	    c->listen_port, PSOCK_PRIMARY) == -1)
		return -1;
	if (c->alt_port != 0 && psock_open(px, &px->socks[PSOCK_ALT_PORT],
	    c->listen_addr, c->alt_port, PSOCK_ALT_PORT) == -1)
		return -1;
	if (c->has_alt_addr && psock_open(px, &px->socks[PSOCK_ALT_ADDR],
	    c->alt_addr, c->listen_port, PSOCK_ALT_ADDR) == -1)
		return -1;
	return 0;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proxyd *px = arg;

	(void)fd;
	(void)what;
	link_tick(px);
	topology_tick(px);
	ping_tick(px);
	flow_expire(px->flows, now_us(), (uint64_t)FLOW_IDLE_S * 1000000);
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct proxyd *px = arg;

	(void)what;
	if (sig == SIGHUP) {
		log_warnx("SIGHUP: reloading is not supported yet; restart "
		    "proxyd to apply a new configuration");
		return;
	}
	log_info("signal %d: shutting down", (int)sig);
	event_base_loopexit(px->base, NULL);
}

static int
check_config(const char *path, bool verbose, struct conf **out)
{
	struct conf_errs errs = { 0 };
	char msg[512];

	if (conf_load_file(path, out, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		conf_errs_release(&errs);
		return -1;
	}
	conf_errs_release(&errs);
	/* what lib/conf.c cannot know: whether 'user' exists here */
	if (privs_check(*out, msg, sizeof(msg)) == -1) {
		fprintf(stderr, "%s\n", msg);
		conf_free(*out);
		*out = NULL;
		return -1;
	}
	if (verbose)
		conf_print(*out, stdout);
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct proxyd px_store;
	struct proxyd *px = &px_store;
	const char *conf_path = DEFAULT_CONF;
	bool foreground = false, test = false;
	int verbose = 0, ch, rc = 1;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	while ((ch = getopt(argc, argv, "c:fhtvV")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 't':
			test = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("proxyd %s\n", PROXYD_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(1);
		}
	}
	if (optind != argc)
		usage(1);
	if (check_config(conf_path, test && verbose, &px->conf) == -1)
		return 1;
	if (test)
		return 0;

	log_init(foreground, verbose ? LOG_LVL_DEBUG : px->conf->log_level,
	    "proxyd");
	signal(SIGPIPE, SIG_IGN);
	px->conf_path = conf_path;
	for (int i = 0; i < PSOCK_LISTEN; i++)
		px->socks[i].fd = -1;
	px->start_us = now_us();
	if ((px->base = event_base_new()) == NULL)
		fatalx("cannot create event base");
	if ((px->ssl_ctx = tls_ctx_new(px->conf)) == NULL)
		goto out;
	if ((px->flows = flow_table_new(FLOWS_MAX)) == NULL)
		fatalx("out of memory");
	route_table_init(&px->routes);
	route_table_init(&px->installed);
	if (listen_open(px) == -1)
		goto out;
	if (px->conf->has_tun && (px->tun = tun_open(px, px->conf->tun_name,
	    px->conf->tun_mtu)) == NULL)
		goto out;
	if ((px->control = control_open(px, px->conf->control)) == NULL)
		goto out;
	if (link_init(px) == -1 || conn_init(px) == -1 || txq_init(px) == -1 ||
	    topology_init(px) == -1)
		fatalx("out of memory");
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		px->sigs[i] = evsignal_new(px->base, sigs[i], signal_cb, px);
		if (px->sigs[i] == NULL || event_add(px->sigs[i], NULL) == -1)
			fatalx("cannot install signal handlers");
	}
	{
		struct timeval one = { 1, 0 };

		px->tick = event_new(px->base, -1, EV_PERSIST, tick_cb, px);
		if (px->tick == NULL || event_add(px->tick, &one) == -1)
			fatalx("cannot start the timer");
	}
	/*
	 * Every step that needs root is behind us: keys read, TUN opened,
	 * sockets bound (with forced buffers), control socket made.  Drop
	 * before detaching so that a failed drop still fails the start.
	 */
	privs_drop(px);
	if (!foreground && daemon(0, 0) == -1)
		fatal("cannot detach");
	log_info("proxyd %s '%s' started with %zu neighbour(s), %zu prefix(es)",
	    PROXYD_VERSION, px->conf->name, px->conf->n_neighbours,
	    px->conf->n_prefixes);
	link_tick(px);		/* first attempts now, not in a second */
	event_base_dispatch(px->base);
	rc = 0;
	link_shutdown(px);
out:
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (px->sigs[i] != NULL)
			event_free(px->sigs[i]);
	if (px->tick != NULL)
		event_free(px->tick);
	control_close(px->control);
	tun_close(px->tun);
	for (int i = 0; i < PSOCK_LISTEN; i++)
		psock_close(&px->socks[i]);
	route_table_release(&px->routes);
	free(px->installed.v);
	flow_table_free(px->flows);
	if (px->topo != NULL)
		topology_free(px);
	conn_free(px);
	txq_free(px);
	SSL_CTX_free(px->ssl_ctx);
	conf_free(px->conf);
	event_base_free(px->base);
	if (rc != 0)
		log_warnx("proxyd '%s' could not start", px->conf_path);
	return rc;
}
