/* SPDX-License-Identifier: ISC */
/*
 * pxrogue: a hostile but VALID proxy, for tests only (never installed,
 * nothing of it in the daemon).
 *
 * It reads an ordinary proxyd configuration (name, listen, neighbours,
 * tls: a certificate from the world's CA), links to one neighbour with
 * the daemon's own link.c/tls.c/psock.c over the real socket, and then
 * sends crafted messages over that authenticated link:
 *
 *   pxrogue -c rogue.conf [-n NEIGHBOUR] --conn-requests N --target A:P
 *           [--dst NAME] [--as-self | --origin NAME | --origin-prefix P]
 *           [--rate R]
 *       N connection requests toward NAME (default: the neighbour) that
 *       name A:P as the origin's mapped and LAN address (the victim).  By
 *       default each claims to be relayed by us for another origin,
 *       "P<i>" (i = 0..N-1, P default "ghost"): path [P<i>, us]; --origin
 *       NAME claims NAME (e.g. a real proxy) for all of them; --as-self
 *       sends them as their own origin (path [us]).
 *
 *   pxrogue -c rogue.conf [-n NEIGHBOUR] --raw TYPE
 *           (--body-hex HEX | --body-file FILE) [--count N] [--rate R]
 *       N messages of plaintext type TYPE (a number, lib/pkt.h enum
 *       pkt_msg_type) with the given body, sealed on the link as the
 *       daemon seals its own: bodies need not decode.
 *       --bodies-file FILE instead: records of u16 length (big-endian) +
 *       body, sent in turn (the N-th message is record N mod their
 *       number), e.g. many advertisements from tests/tools/lsagen.
 *       With --raw 0 each record's first byte is its message's type
 *       (several types over one link, e.g. a header context and the
 *       compressed packets that use it).
 *
 *   Common: --rate R  messages per second (default 1000; 0: at once)
 *           --hold S  stay linked S seconds after the last one (default 2)
 *           --wait S  give up if the link is not up within S s (default 20)
 *           --dump TYPE  print each received message of TYPE as
 *                    "rx TYPE HEX" (the body after the type byte, as
 *                    lib/pkt.c encodes it), e.g. 11 for advertisements
 *           -v       log at debug level (the daemon's log lines)
 *
 * It answers keepalives (link.c does) and nothing else: no topology, no
 * NAT trials, no TUN, no control socket.  Output on stdout, one fact a
 * line: "linked NAME ADDR:PORT MS", "sent N BYTES", "received TYPE N",
 * "link up|down at exit".  Exit 0 when linked and everything was sent, 1
 * if it could not link (or the link went down before the end), 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "conf.h"
#include "crypto.h"
#include "link.h"
#include "log.h"
#include "pkt.h"
#include "proxyd.h"
#include "psock.h"
#include "tls.h"
#include "txq.h"

enum mode { MODE_NONE, MODE_CONN, MODE_RAW };

static struct {
	enum mode	 mode;
	const char	*conf_path;
	const char	*nbr;
	unsigned long	 count;
	double		 rate;
	int		 hold_s, wait_s;
	struct ep target;
	const char	*dst;
	const char	*origin, *origin_prefix;
	bool		 as_self;
	int		 raw_type;
	uint8_t		*body;
	size_t		 body_len;
	uint8_t		*recs;		/* --bodies-file */
	size_t		 recs_len;
	size_t		*rec_off;
	size_t		 n_recs;
	int		 dump_type;
} opt = { .rate = 1000, .hold_s = 2, .wait_s = 20, .origin_prefix = "ghost",
	.raw_type = -1, .dump_type = -1 };

static struct proxyd	 px_store;
static struct proxyd	*px = &px_store;
static struct link	*the_link;
static uint64_t		 start_us, up_us, done_us;
static unsigned long	 sent, sent_bytes, rx_types[256];
static bool		 went_down;
static struct event	*send_ev, *tick_ev;
static uint8_t		 frame[PKT_SEALED_HDR_LEN + 65536 + PKT_TAG_LEN];
static struct pkt_msg	 msg;

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr,
"usage: pxrogue -c CONF [-n NEIGHBOUR] [-v] [--rate R] [--hold S] [--wait S]\n"
"               [--dump TYPE] MODE\n"
"  MODE: --conn-requests N --target ADDR:PORT [--dst NAME]\n"
"                 [--as-self | --origin NAME | --origin-prefix P]\n"
"        --raw TYPE (--body-hex HEX | --body-file FILE | --bodies-file FILE)\n"
"              [--count N]\n"
"A test tool: see the comment at the top of tests/tools/pxrogue.c.\n");
	exit(2);
}

static void
stop(void)
{
	event_base_loopexit(px->base, NULL);
}

/* Seals plaintext type + body as link.c does and sends it to the peer. */
static int
send_raw(struct link *l, uint8_t type, const uint8_t *body, size_t len)
{
	struct buf_wr w;
	size_t ptlen = 1 + len;

	if (l->state != LINK_UP || ptlen > 65536)
		return -1;
	frame[PKT_SEALED_HDR_LEN] = type;
	if (len > 0)
		memcpy(frame + PKT_SEALED_HDR_LEN + 1, body, len);
	buf_wr_init(&w, frame, PKT_SEALED_HDR_LEN);
	pkt_hdr_encode(&w, PKT_SEALED, l->session, ++l->tx_seq);
	if (w.err != NULL || aead_seal(&l->aead, l->tx_seq, frame,
	    PKT_SEALED_HDR_LEN, frame + PKT_SEALED_HDR_LEN, ptlen,
	    frame + PKT_SEALED_HDR_LEN) == -1)
		return -1;
	sent_bytes += PKT_SEALED_HDR_LEN + ptlen + PKT_TAG_LEN;
	return psock_send(&px->socks[PSOCK_PRIMARY], frame,
	    PKT_SEALED_HDR_LEN + ptlen + PKT_TAG_LEN, &l->peer);
}

/* The i-th forged connection request (see the top of the file). */
static int
send_conn_req(struct link *l, unsigned long i)
{
	struct pkt_conn_req *q = &msg.u.conn_req;
	uint8_t pt[PKT_MAX];
	int n;

	memset(&msg, 0, sizeof(msg));
	msg.type = PKT_MSG_CONN_REQ;
	if (RAND_bytes((unsigned char *)&q->id, sizeof(q->id)) != 1)
		q->id = now_us() + i;
	if (opt.as_self)
		snprintf(q->src, sizeof(q->src), "%s", px->conf->name);
	else if (opt.origin != NULL)
		snprintf(q->src, sizeof(q->src), "%s", opt.origin);
	else
		snprintf(q->src, sizeof(q->src), "%.40s%lu", opt.origin_prefix,
		    i);
	snprintf(q->dst, sizeof(q->dst), "%s", opt.dst != NULL ? opt.dst :
	    l->name);
	ipaddr_set4(&q->src_ip, (struct in_addr){ htonl(0x0a000001 +
	    (uint32_t)(i & 0xffff)) });
	ipaddr_set4(&q->dst_ip, (struct in_addr){ htonl(0x0a800001) });
	q->cls = 0;
	q->src_nat = NAT_TYPE_OPEN;
	q->path_nat = NAT_TYPE_OPEN;
	if (opt.as_self) {
		q->n_path = 1;
		snprintf(q->path[0], sizeof(q->path[0]), "%s", px->conf->name);
	} else {
		q->n_path = 2;
		snprintf(q->path[0], sizeof(q->path[0]), "%s", q->src);
		snprintf(q->path[1], sizeof(q->path[1]), "%s", px->conf->name);
	}
	/* the victim, claimed as both the origin's mapping and its LAN */
	q->src_mapped = opt.target;
	q->src_local = opt.target;
	/* and the destination where we see it, as a last hop would say */
	q->dst_mapped = l->peer;
	if ((n = pkt_msg_encode(&msg, pt, sizeof(pt))) < 1)
		return -1;
	return send_raw(l, pt[0], pt + 1, (size_t)n - 1);
}

static void
send_cb(evutil_socket_t fd, short what, void *arg)
{
	double due;
	unsigned long n;

	(void)fd;
	(void)what;
	(void)arg;
	if (the_link == NULL || the_link->state != LINK_UP)
		return;
	due = opt.rate <= 0 ? (double)opt.count :
	    (double)(now_us() - up_us) / 1e6 * opt.rate + 1;
	for (n = 0; sent < opt.count && sent < due && n < 10000; n++) {
		int r;

		if (opt.mode == MODE_CONN)
			r = send_conn_req(the_link, sent);
		else if (opt.n_recs > 0) {
			size_t o = opt.rec_off[sent % opt.n_recs];
			size_t len = (size_t)opt.recs[o] << 8 | opt.recs[o + 1];

			if (opt.raw_type != 0)
				r = send_raw(the_link, (uint8_t)opt.raw_type,
				    opt.recs + o + 2, len);
			else if (len >= 1)	/* typed records */
				r = send_raw(the_link, opt.recs[o + 2],
				    opt.recs + o + 3, len - 1);
			else
				r = -1;
		} else
			r = send_raw(the_link, (uint8_t)opt.raw_type, opt.body,
			    opt.body_len);

		if (r == -1) {
			fprintf(stderr, "pxrogue: send %lu failed\n", sent);
			went_down = true;
			stop();
			return;
		}
		sent++;
	}
	if (sent >= opt.count && done_us == 0) {
		done_us = now_us();
		printf("sent %lu %lu\n", sent, sent_bytes);
		fflush(stdout);
	}
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	uint64_t now = now_us();

	(void)fd;
	(void)what;
	(void)arg;
	link_tick(px);
	if (up_us == 0 && now - start_us > (uint64_t)opt.wait_s * 1000000) {
		fprintf(stderr, "pxrogue: no link to '%s' within %d s\n",
		    opt.nbr, opt.wait_s);
		stop();
	}
	if (done_us != 0 && now - done_us >= (uint64_t)opt.hold_s * 1000000)
		stop();
}

static void
ev_up(struct link *l)
{
	char a[INET_ADDRSTRLEN];
	struct timeval tv = { 0, 1000 };

	if (strcmp(l->name, opt.nbr) != 0 || up_us != 0)
		return;
	the_link = l;
	up_us = now_us();
	inet_ntop(AF_INET, &l->peer.a.v4, a, sizeof(a));
	printf("linked %s %s:%u %.0f\n", l->name, a, l->peer.port,
	    (double)(up_us - start_us) / 1000.0);
	fflush(stdout);
	event_add(send_ev, &tv);
}

static void
ev_down(struct link *l, const char *reason)
{
	if (l != the_link)
		return;
	fprintf(stderr, "pxrogue: link to '%s' down: %s\n", l->name, reason);
	the_link = NULL;
	if (done_us == 0)
		went_down = true;
}

static void
ev_msg(struct link *l, struct pkt_msg *m, struct psock *in,
    const struct ep *from)
{
	static uint8_t pt[PKT_MAX];
	int n;

	(void)l;
	(void)in;
	(void)from;
	rx_types[m->type]++;
	if (m->type != opt.dump_type ||
	    (n = pkt_msg_encode(m, pt, sizeof(pt))) < 1)
		return;
	printf("rx %u ", m->type);
	for (int i = 1; i < n; i++)
		printf("%02x", pt[i]);
	printf("\n");
	fflush(stdout);
}

static void
ev_unauth(struct proxyd *p, uint8_t type, uint64_t nonce,
    const struct ep *from)
{
	(void)p;
	(void)nonce;
	(void)from;
	rx_types[type]++;
}

static void
burst_end(void *arg)
{
	txq_flush(arg);
}

static const struct link_events events = {
	.up = ev_up, .down = ev_down, .msg = ev_msg, .unauth = ev_unauth,
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* HEX (whitespace ignored) into a new buffer; -1 if malformed or long. */
static int
parse_hex(const char *s, uint8_t **out, size_t *len)
{
	size_t n = 0;
	int hi = -1;
	uint8_t *b = malloc(strlen(s) / 2 + 1);

	if (b == NULL)
		return -1;
	for (; *s != '\0'; s++) {
		int v;

		if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
			continue;
		if ((v = hexval((unsigned char)*s)) < 0)
			goto bad;
		if (hi < 0)
			hi = v;
		else {
			b[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0 || n > 65535)
		goto bad;
	*out = b;
	*len = n;
	return 0;
bad:
	free(b);
	return -1;
}

static int
read_file(const char *path, uint8_t **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = malloc(65536);
	size_t n;

	if (f == NULL || b == NULL) {
		if (f != NULL)
			fclose(f);
		free(b);
		return -1;
	}
	n = fread(b, 1, 65536, f);
	fclose(f);
	if (n > 65535) {
		free(b);
		errno = EFBIG;
		return -1;
	}
	*out = b;
	*len = n;
	return 0;
}

static int
parse_addr(const char *s, struct ep *sin)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(s, ':');
	char *end;
	long port;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
		return -1;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	port = strtol(colon + 1, &end, 10);
	memset(sin, 0, sizeof(*sin));
	sin->family = AF_INET;
	if (*end != '\0' || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &sin->a.v4) != 1)
		return -1;
	sin->port = (uint16_t)port;
	return 0;
}

/* --bodies-file: the whole file, and where each record starts; -1 if a
 * record runs past the end. */
static int
read_records(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, o, n;
	uint8_t buf[65536];

	if (f == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		uint8_t *b;

		if (opt.recs_len + n > cap) {
			cap = (opt.recs_len + n) * 2;
			if ((b = realloc(opt.recs, cap)) == NULL) {
				fclose(f);
				return -1;
			}
			opt.recs = b;
		}
		memcpy(opt.recs + opt.recs_len, buf, n);
		opt.recs_len += n;
	}
	fclose(f);
	for (o = 0; o + 2 <= opt.recs_len; ) {
		size_t len = (size_t)opt.recs[o] << 8 | opt.recs[o + 1];
		size_t *v;

		if (o + 2 + len > opt.recs_len)
			break;
		if ((v = realloc(opt.rec_off, (opt.n_recs + 1) *
		    sizeof(*v))) == NULL)
			return -1;
		opt.rec_off = v;
		opt.rec_off[opt.n_recs++] = o;
		o += 2 + len;
	}
	if (o != opt.recs_len || opt.n_recs == 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

static unsigned long
parse_num(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || *s == '\0' || v > max)
		usage();
	return v;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "conn-requests", required_argument, NULL, 'C' },
		{ "target", required_argument, NULL, 'T' },
		{ "dst", required_argument, NULL, 'D' },
		{ "as-self", no_argument, NULL, 'S' },
		{ "origin", required_argument, NULL, 'O' },
		{ "origin-prefix", required_argument, NULL, 'P' },
		{ "raw", required_argument, NULL, 'R' },
		{ "body-hex", required_argument, NULL, 'H' },
		{ "body-file", required_argument, NULL, 'F' },
		{ "bodies-file", required_argument, NULL, 'B' },
		{ "count", required_argument, NULL, 'N' },
		{ "rate", required_argument, NULL, 'r' },
		{ "hold", required_argument, NULL, 'h' },
		{ "wait", required_argument, NULL, 'w' },
		{ "dump", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	struct conf_errs errs = { 0 };
	struct timeval one = { 1, 0 };
	struct ep la;
	bool have_target = false, verbose = false;
	int ch, rc;

	opt.count = 1;
	while ((ch = getopt_long(argc, argv, "c:n:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': opt.conf_path = optarg; break;
		case 'n': opt.nbr = optarg; break;
		case 'v': verbose = true; break;
		case 'C':
			opt.mode = MODE_CONN;
			opt.count = parse_num(optarg, 10000000);
			break;
		case 'T':
			if (parse_addr(optarg, &opt.target) == -1)
				usage();
			have_target = true;
			break;
		case 'D': opt.dst = optarg; break;
		case 'S': opt.as_self = true; break;
		case 'O': opt.origin = optarg; break;
		case 'P': opt.origin_prefix = optarg; break;
		case 'R':
			opt.mode = MODE_RAW;
			opt.raw_type = (int)parse_num(optarg, 255);
			break;
		case 'H':
			if (parse_hex(optarg, &opt.body, &opt.body_len) == -1) {
				fprintf(stderr, "pxrogue: --body-hex: not an "
				    "even run of hex digits under 64 KiB\n");
				return 2;
			}
			break;
		case 'F':
			if (read_file(optarg, &opt.body, &opt.body_len) == -1) {
				fprintf(stderr, "pxrogue: --body-file '%s': "
				    "%s\n", optarg, strerror(errno));
				return 2;
			}
			break;
		case 'B':
			if (read_records(optarg) == -1) {
				fprintf(stderr, "pxrogue: --bodies-file '%s': "
				    "%s\n", optarg, strerror(errno));
				return 2;
			}
			break;
		case 'N': opt.count = parse_num(optarg, 10000000); break;
		case 'r': opt.rate = (double)parse_num(optarg, 10000000); break;
		case 'h': opt.hold_s = (int)parse_num(optarg, 86400); break;
		case 'w': opt.wait_s = (int)parse_num(optarg, 86400); break;
		case 'd': opt.dump_type = (int)parse_num(optarg, 255); break;
		default: usage();
		}
	}
	if (optind != argc || opt.conf_path == NULL || opt.mode == MODE_NONE ||
	    (opt.mode == MODE_CONN && !have_target))
		usage();
	if (conf_load_file(opt.conf_path, &px->conf, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		return 2;
	}
	conf_errs_release(&errs);
	if (px->conf->n_neighbours == 0) {
		fprintf(stderr, "pxrogue: '%s' names no neighbour\n",
		    opt.conf_path);
		return 2;
	}
	if (opt.nbr == NULL)
		opt.nbr = px->conf->neighbours[0].name;
	log_init(1, verbose ? LOG_LVL_DEBUG : LOG_LVL_WARN, "pxrogue");
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < PSOCK_LISTEN; i++)
		px->socks[i].fd = -1;
	start_us = px->start_us = now_us();
	if ((px->base = event_base_new()) == NULL ||
	    (px->ssl_ctx = tls_ctx_new(px->conf)) == NULL)
		return 1;
	px->sock_env.base = px->base;
	px->sock_env.input = link_datagram;
	px->sock_env.burst_end = burst_end;
	px->sock_env.arg = px;
	px->sock_env.st = &px->sock_st;
	la = ep_v4(px->conf->listen_addr, 0);
	if (psock_open(&px->socks[PSOCK_PRIMARY], &px->sock_env,
	    &la, px->conf->listen_port, PSOCK_PRIMARY) == -1)
		return 1;
	if (txq_init(px) == -1 || link_init(px, &events) == -1)
		return 1;
	send_ev = event_new(px->base, -1, EV_PERSIST, send_cb, NULL);
	tick_ev = event_new(px->base, -1, EV_PERSIST, tick_cb, NULL);
	if (send_ev == NULL || tick_ev == NULL || event_add(tick_ev, &one) == -1)
		return 1;
	link_tick(px);
	event_base_dispatch(px->base);
	for (int t = 0; t < 256; t++)
		if (rx_types[t] != 0)
			printf("received %d %lu\n", t, rx_types[t]);
	printf("link %s at exit\n", the_link != NULL &&
	    the_link->state == LINK_UP ? "up" : "down");
	if (done_us == 0 && up_us != 0)
		printf("sent %lu %lu\n", sent, sent_bytes);
	rc = up_us != 0 && done_us != 0 && !went_down ? 0 : 1;
	link_shutdown(px);
	txq_flush(px);
	event_free(send_ev);
	event_free(tick_ev);
	psock_close(&px->socks[PSOCK_PRIMARY]);
	txq_free(px);
	SSL_CTX_free(px->ssl_ctx);
	conf_free(px->conf);
	event_base_free(px->base);
	free(opt.body);
	return rc;
}
