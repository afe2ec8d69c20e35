/* SPDX-License-Identifier: ISC */
/*
 * Links: handshake, sealed messages, keepalive, dead-link detection and
 * reconnection with backoff, and the one teardown path, link_close().
 * See link.h for the life of a link and the events it reports.
 *
 * Demultiplexing is by the session id in every datagram, not by source
 * address: a NAT that rebinds a mapping changes the address, and an
 * authenticated packet from the new address moves the link there.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <event2/dns.h>
#include <event2/util.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "frag.h"
#include "link.h"
#include "log.h"
#include "txq.h"

/* One frame buffer for everything the control plane sends. */
static uint8_t	ctl_frame[PKT_SEALED_HDR_LEN + 65536 + PKT_TAG_LEN];

static void	hs_start(struct link *);
static bool	auto_tcp(const struct link *);
static void	udp_gave_up(struct link *);
static void	free_learned(struct link *);
static void	hs_timer_cb(evutil_socket_t, short, void *);
static void	lookup_abandon(struct link *);
static void	rekey_release(struct link *);
static void	old_release(struct link *);
static void	rekey_input(struct link *, const struct pkt_rekey *);
static void	rekey_timeout(struct link *);
static void	race_cb(evutil_socket_t, short, void *);
static void	move_announce(struct link *, const struct link *);
static void	v6_try_failed(struct link *, const char *);

static const char *
addr_str(const struct ep *e, char *buf, size_t len)
{
	return ep_fmt(e, buf, len);
}

const char *
link_who(const struct link *l, char *buf, size_t len)
{
	char a[EP_STRLEN];

	if (l->name[0] == '\0')	/* inbound, before its certificate */
		snprintf(buf, len, "inbound peer (%s)", l->resolved ?
		    addr_str(&l->peer, a, sizeof(a)) : "unresolved");
	else
		snprintf(buf, len, "peer '%s' (%s)", l->name, l->resolved ?
		    addr_str(&l->peer, a, sizeof(a)) : "unresolved");
	return buf;
}

const char *
link_state_name(const struct link *l)
{
	switch (l->state) {
	case LINK_UP:
		return "up";
	case LINK_HANDSHAKE:
		return "handshake";
	case LINK_IDLE:
	default:
		return l->reconnects > 0 || l->backoff_s > 1 ? "down" :
		    "connecting";
	}
}

int
link_dead_after(const struct link *l)
{
	int d = 3 * l->ka_interval_s;

	if (l->dead_s > 0)
		return l->dead_s;
	return d < LINK_DEAD_MIN_S ? LINK_DEAD_MIN_S : d;
}

void
link_set_keepalive(struct link *l, int interval_s, int dead_s)
{
	l->ka_interval_s = interval_s > 0 ? interval_s : 1;
	l->dead_s = dead_s > 0 ? dead_s : 0;
}

/*
 * Our features (PKT_MSG_FEATURES), saying whether we have heard the
 * peer's.  Sent at link up, then with each keepalive until the peer says
 * it has heard them (PKT_FEAT_SEND_MAX times at most: a proxy of an older
 * version never answers), and in answer to the peer's while it has not.
 */
static void
send_features(struct link *l)
{
	struct pkt_msg m = { .type = PKT_MSG_FEATURES };

	m.u.features = PKT_FEAT_HC | (l->peer_feat != 0 ? PKT_FEAT_HEARD : 0);
	l->feat_sent++;
	link_send_msg(l, &m);
}

/*
 * Fresh header-compression tables for a new session, both ways: the
 * peer's are fresh too.  Our generations start at a random byte so that
 * a context of the old session is unlikely to pass for a new one.
 */
static void
hc_reset(struct link *l)
{
	uint8_t seed = 0;

	(void)RAND_bytes(&seed, 1);
	hc_init(&l->hc_tx, seed);
	hc_init(&l->hc_rx, 0);
}

/* A keepalive now: the peer answers with an ack that gives the RTT. */
static void
send_keepalive(struct link *l, uint64_t now)
{
	struct pkt_msg ka = { .type = PKT_MSG_KEEPALIVE };

	ka.u.ka.id = ++l->ka_id;
	ka.u.ka.time_us = now;
	ka.u.ka.interval_ms = (uint32_t)l->ka_interval_s * 1000;
	l->last_ka_us = now;
	link_send_msg(l, &ka);
}

static const uint16_t pmtu_sizes[] = { LINK_PMTU_SIZES };

/*
 * A round of path MTU probes: one datagram of each size, DF set and never
 * fragmented by our kernel (the socket's IP_PMTUDISC_PROBE), so only those
 * that fit the whole path are answered.  Acks raise the link's MTU as they
 * come; a round that got acks but none as large as the current MTU lowers
 * it to the largest acked (the path changed).  A round with no ack at all
 * changes nothing: loss, not a smaller path.
 */
static void
pmtu_round(struct link *l, uint64_t now)
{
	struct pkt_msg m = { .type = PKT_MSG_MTU_PROBE };
	char who[128];

	if (l->pmtu_round > 0 && l->pmtu_best > 0 && l->pmtu_best < l->pmtu) {
		log_info("%s: path MTU down from %u to %u",
		    link_who(l, who, sizeof(who)), l->pmtu, l->pmtu_best);
		l->pmtu = l->pmtu_best;
	}
	l->pmtu_round++;
	l->pmtu_best = 0;
	l->pmtu_next_us = now + (uint64_t)(l->pmtu_round < LINK_PMTU_EARLY ?
	    LINK_PMTU_EARLY_S : LINK_PMTU_EVERY_S) * 1000000;
	m.u.mtu.id = l->pmtu_round;
	for (size_t i = 0; i < sizeof(pmtu_sizes) / sizeof(pmtu_sizes[0]);
	    i++) {
		m.u.mtu.size = pmtu_sizes[i];
		/* type, id, size, then padding up to the datagram's size */
		m.u.mtu.pad = pmtu_sizes[i] - LINK_UDP_IP_LEN -
		    PKT_SEALED_HDR_LEN - PKT_TAG_LEN - 7;
		(void)link_send_msg(l, &m);
	}
}

static void
pmtu_ack(struct link *l, const struct pkt_mtu *a)
{
	char who[128];

	if (a->id != l->pmtu_round)
		return;			/* an earlier round's: stale */
	if (a->size > l->pmtu_best)
		l->pmtu_best = a->size;
	if (a->size > l->pmtu) {
		log_debug("%s: path MTU %u", link_who(l, who, sizeof(who)),
		    a->size);
		l->pmtu = a->size;
	}
}

static int
udp_send(struct link *l, const uint8_t *p, size_t len)
{
	struct psock *ps = proxyd_sock(l->px, l->peer.family, PSOCK_PRIMARY);

	/* no socket of the peer's family: counted as a failed send */
	if (psock_send(ps != NULL ? ps : &l->px->socks[PSOCK_PRIMARY], p,
	    len, &l->peer) == -1)
		return -1;
	l->tx_packets++;
	l->tx_bytes += len;
	return 0;
}

static int	udp_dial(struct link *);

static int
udp_tp_send(struct link *l, const uint8_t *p, size_t len, bool bulk)
{
	(void)bulk;
	return udp_send(l, p, len);
}

static void
udp_release(struct link *l, bool linger)
{
	(void)linger;
	evtimer_del(l->hs_timer);
	if (l->ssl != NULL) {
		SSL_free(l->ssl);
		l->ssl = NULL;
	}
}

/* The DTLS SSL (kept to answer a retransmitted last flight) moves too. */
static void
udp_rebind(struct link *to, struct link *from)
{
	if (to->ssl != NULL)
		SSL_free(to->ssl);
	to->ssl = from->ssl;
	from->ssl = NULL;
	to->io = from->io;
	to->io.arg = to;
	if (to->ssl != NULL)
		tls_rebind(to->ssl, &to->io);
}

static const struct link_tp udp_tp = {
	.name = "udp",
	.kind = LINK_TP_UDP,
	.dial = udp_dial,
	.send = udp_tp_send,
	.release = udp_release,
	.rebind = udp_rebind,
};

/* Sends a sealed packet over the link's transport. */
static int
tp_send(struct link *l, const uint8_t *p, size_t len, bool bulk)
{
	return l->tp->send(l, p, len, bulk);
}

static struct link	*find_session(struct proxyd *, uint32_t);

/* Whether from is the address the link's peer is known at. */
static bool
from_peer(const struct link *l, const struct ep *from)
{
	return ep_eq(&l->peer, from);
}

/*
 * Frames DTLS records as one handshake datagram: PKT_HS, or PKT_HS_COOKIE
 * once the responder gave us a cookie.
 */
static int
hs_send(struct link *l, const uint8_t *p, size_t len)
{
	uint8_t dgram[PKT_HDR_LEN + PKT_COOKIE_LEN + LINK_HS_RECORD_MAX];
	struct buf_wr w;

	buf_wr_init(&w, dgram, sizeof(dgram));
	pkt_hdr_encode(&w, l->has_cookie ? PKT_HS_COOKIE : PKT_HS, l->session,
	    0);
	if (l->has_cookie)
		wr_bytes(&w, l->cookie, PKT_COOKIE_LEN);
	wr_bytes(&w, p, len);
	if (w.err != NULL)
		return -1;
	return udp_send(l, dgram, w.off);
}

/*
 * The DTLS BIO's output: each record write is one datagram.  The
 * initiator keeps its latest one, to send again at once with a cookie.
 */
static int
hs_output(void *arg, const uint8_t *p, size_t len)
{
	struct link *l = arg;

	if (len > LINK_HS_RECORD_MAX)
		return -1;
	if (l->initiator) {
		memcpy(l->hs_last, p, len);
		l->hs_last_len = len;
	}
	return hs_send(l, p, len);
}

/* The cookie for a handshake from addr:port with session, under key k. */
static int
cookie_for(const struct proxyd *px, int k, const struct ep *from,
    uint32_t session, uint8_t out[PKT_COOKIE_LEN])
{
	uint8_t data[1 + 16 + 2 + 4];

	memset(data, 0, sizeof(data));
	data[0] = from->family;
	if (from->family == AF_INET6)
		memcpy(data + 1, &from->a.v6, 16);
	else
		memcpy(data + 1, &from->a.v4, 4);
	data[17] = (uint8_t)(from->port >> 8);
	data[18] = (uint8_t)from->port;
	memcpy(data + 19, &session, 4);
	return crypto_cookie(px->hs_cookie.key[k], data, sizeof(data), out);
}

/* A new cookie key every LINK_COOKIE_ROTATE_S; the last one still counts. */
static void
cookie_rotate(struct proxyd *px, uint64_t now)
{
	if (px->hs_cookie.since_us != 0 && now - px->hs_cookie.since_us <
	    (uint64_t)LINK_COOKIE_ROTATE_S * 1000000)
		return;
	memcpy(px->hs_cookie.key[1], px->hs_cookie.key[0],
	    sizeof(px->hs_cookie.key[1]));
	if (RAND_bytes(px->hs_cookie.key[0], sizeof(px->hs_cookie.key[0])) !=
	    1)
		fatalx("no randomness for handshake cookies");
	if (px->hs_cookie.since_us == 0)	/* first: no previous key */
		memcpy(px->hs_cookie.key[1], px->hs_cookie.key[0],
		    sizeof(px->hs_cookie.key[1]));
	px->hs_cookie.since_us = now;
}

static bool
cookie_valid(const struct proxyd *px, const struct ep *from,
    uint32_t session, const uint8_t *cookie)
{
	uint8_t want[PKT_COOKIE_LEN];

	for (int k = 0; k < 2; k++)
		if (cookie_for(px, k, from, session, want) == 0 &&
		    crypto_cookie_equal(want, cookie))
			return true;
	return false;
}

/*
 * An unknown source's first handshake datagram gets a cookie and nothing
 * else: no state, and never more bytes than it sent.
 */
static void
cookie_send(struct proxyd *px, struct psock *in, const struct ep *from,
    const struct pkt_hdr *h, size_t in_len)
{
	uint8_t dgram[PKT_HDR_LEN + PKT_COOKIE_LEN], c[PKT_COOKIE_LEN];
	struct buf_wr w;

	if (in_len < sizeof(dgram) ||
	    cookie_for(px, 0, from, h->session, c) == -1) {
		px->st.drop_malformed++;
		return;
	}
	buf_wr_init(&w, dgram, sizeof(dgram));
	pkt_hdr_encode(&w, PKT_COOKIE, h->session, 0);
	wr_bytes(&w, c, sizeof(c));
	if (w.err == NULL && psock_send(in, dgram, w.off, from) == 0)
		px->st.hs_cookies++;
}

/*
 * The responder's cookie for one of our handshakes: from the address we
 * dial, for a session of ours still in its handshake.  The last flight
 * goes again at once, with the cookie.
 */
static void
cookie_input(struct proxyd *px, const struct ep *from,
    const struct pkt_hdr *h)
{
	struct link *l = find_session(px, h->session);

	if (l == NULL || !l->initiator || l->state != LINK_HANDSHAKE ||
	    !from_peer(l, from)) {
		px->st.drop_malformed++;
		return;
	}
	memcpy(l->cookie, h->cookie, PKT_COOKIE_LEN);
	l->has_cookie = true;
	if (l->hs_last_len > 0)
		(void)hs_send(l, l->hs_last, l->hs_last_len);
	if (l->v6_try) {
		/* again, in case the first announcement was lost */
		struct link *up = link_find(px, l->name);

		if (up != NULL)
			move_announce(up, l);
	}
}

/* Inbound handshakes in progress from one address. */
static unsigned
hs_from(const struct proxyd *px, const struct ep *from)
{
	unsigned n = 0;

	for (const struct link *l = px->links; l != NULL; l = l->next)
		n += l->hs_counted && ep_addr_eq(&l->peer, from);
	return n;
}

static struct link *
link_alloc(struct proxyd *px)
{
	struct link *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	l->px = px;
	l->rtt_ms = -1;
	l->backoff_s = 1;
	l->ka_interval_s = px->conf->ka_min;
	l->io.out = hs_output;
	l->io.arg = l;
	l->tp = &udp_tp;
	l->udp_retry_s = LINK_UDP_RETRY_MIN_S;
	l->v6_retry_s = LINK_V6_RETRY_MIN_S;
	if ((l->hs_timer = evtimer_new(px->base, hs_timer_cb, l)) == NULL) {
		free(l);
		return NULL;
	}
	if ((l->race_timer = evtimer_new(px->base, race_cb, l)) == NULL) {
		event_free(l->hs_timer);
		free(l);
		return NULL;
	}
	l->next = px->links;
	px->links = l;
	return l;
}

static void
link_unlink_free(struct link *l)
{
	struct link **pp;

	for (pp = &l->px->links; *pp != NULL; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	lookup_abandon(l);
	l->tp->release(l, false);
	if (l->ssl != NULL)
		SSL_free(l->ssl);
	X509_free(l->peer_cert);
	event_free(l->hs_timer);
	event_free(l->race_timer);
	aead_release(&l->aead);
	rekey_release(l);
	old_release(l);
	free(l);
}

/*
 * Name resolution.  A lookup is evdns_getaddrinfo() on px->dns: the loop
 * never waits for DNS.  Its callback may run inside evdns_getaddrinfo()
 * (hosts file), or later, also after the link is gone: evdns defers even
 * the callback of a cancelled lookup.  So the callback gets a ticket, not
 * the link; a link that goes away leaves its ticket behind (l = NULL),
 * and the callback frees it.  px->dns_lookups counts tickets out, so that
 * shutdown can let the loop hand them back before freeing the resolver.
 */
struct link_lookup {
	struct proxyd		*px;
	struct link		*l;		/* NULL: abandoned */
	struct evdns_getaddrinfo_request *req;
	bool			 in_call;	/* evdns_getaddrinfo() runs */
	bool			 answered;	/* ... and called back already */
};

static void	lookup_start(struct link *);
static bool	in_lookup_cb;	/* lookup_done() runs: link_close() must */
				/* not start another lookup */

static void
set_peer(struct link *l, const struct ep *a)
{
	l->peer = *a;
	l->peer.port = l->nbr->port;
	l->resolved = true;
}

/*
 * Whether l has an address to dial.  An IPv4 literal is one; a name waits
 * for its lookup, started here unless one is in flight, and the link
 * stays idle meanwhile (the answer dials it).
 */
static bool
have_address(struct link *l)
{
	struct ep a;

	if (l->resolved)
		return true;
	if (ep_parse_addr(l->nbr->host, &a) == 0) {
		set_peer(l, &a);
		return true;
	}
	l->named = true;
	if (l->lookup == NULL)
		lookup_start(l);	/* may answer at once */
	return l->resolved;
}

/*
 * Beside an up link, a second link to the name's new address: it takes
 * the up link's place once it is up (link_up), or is freed if it fails.
 */
static void
follow_dial(struct link *l, const struct ep *a)
{
	struct link *t;

	for (t = l->px->links; t != NULL; t = t->next)
		if (t->following && t->nbr == l->nbr)
			return;		/* one try at a time */
	if ((t = link_alloc(l->px)) == NULL)
		return;
	t->nbr = l->nbr;
	t->initiator = true;
	t->following = true;
	snprintf(t->name, sizeof(t->name), "%s", l->name);
	set_peer(t, a);
	hs_start(t);
}

/* The address the name now has, a, differs from the one l uses. */
static void
follow(struct link *l, const struct ep *a)
{
	struct proxyd *px = l->px;
	char was[EP_STRLEN], now[EP_STRLEN];
	int backoff;

	ep_addr_fmt(a, now, sizeof(now));
	ep_addr_fmt(l->state == LINK_UP ? &l->dns_addr : &l->peer, was,
	    sizeof(was));
	l->dns_addr = *a;
	switch (l->state) {
	case LINK_IDLE:
		log_info("neighbour '%s': '%s' now resolves to %s (was %s)",
		    l->name, l->nbr->host, now, was);
		set_peer(l, a);
		break;
	case LINK_HANDSHAKE:
		log_info("neighbour '%s': '%s' now resolves to %s (was %s): "
		    "handshake restarted there", l->name, l->nbr->host, now,
		    was);
		backoff = l->backoff_s;
		link_close(l, "the neighbour's name resolves elsewhere now");
		l->backoff_s = backoff;
		l->lookup_us = now_us() + (uint64_t)LINK_RESOLVE_S * 1000000;
		set_peer(l, a);
		l->next_try_us = now_us();
		if (link_find(px, l->name) == NULL)
			hs_start(l);
		break;
	case LINK_UP:
		log_info("neighbour '%s': '%s' now resolves to %s (was %s): "
		    "dialling it beside the up link", l->name, l->nbr->host,
		    now, was);
		follow_dial(l, a);
		break;
	}
}

/* A lookup's outcome for l; may_dial: not inside evdns_getaddrinfo(). */
static void
lookup_done(struct link *l, int err, const struct evutil_addrinfo *res,
    bool may_dial)
{
	struct proxyd *px = l->px;
	const struct evutil_addrinfo *ai;
	struct ep found, s, v4, v6;
	const struct ep *sin = NULL;
	bool ours = false;
	char a[EP_STRLEN];

	memset(&v4, 0, sizeof(v4));
	memset(&v6, 0, sizeof(v6));
	memset(&found, 0, sizeof(found));
	/*
	 * The first address of each family we have a socket for; IPv6 is
	 * dialled first, IPv4 LINK_RACE_MS later beside it (race_cb).
	 * Several addresses: keep ours while it is among them.
	 */
	for (ai = res; err == 0 && ai != NULL; ai = ai->ai_next) {
		if (ep_from_sa(&s, ai->ai_addr, (socklen_t)ai->ai_addrlen) ==
		    -1 || proxyd_sock(px, s.family, PSOCK_PRIMARY) == NULL)
			continue;
		if (s.family == AF_INET6 && !ep_is_set(&v6))
			v6 = s;
		if (s.family == AF_INET && !ep_is_set(&v4))
			v4 = s;
		if (!ours && l->resolved && ep_addr_eq(&s, l->state ==
		    LINK_UP ? &l->dns_addr : &l->peer)) {
			found = s;
			ours = true;
		}
	}
	if (!ours && ep_is_set(&v6))
		found = v6;
	else if (!ours && ep_is_set(&v4))
		found = v4;
	if (ep_is_set(&found)) {
		sin = &found;
		l->alt_peer = found.family == AF_INET6 ? v4 : v6;
		l->alt_peer.port = l->nbr->port;
	}
	if (sin == NULL) {
		const char *why = err != 0 ? evutil_gai_strerror(err) :
		    "no address of a family we listen on";

		if (l->resolved) {
			ep_addr_fmt(&l->peer, a, sizeof(a));
			log_warnx("neighbour '%s': cannot resolve '%s': %s; "
			    "keeping %s", l->name, l->nbr->host, why, a);
			return;
		}
		log_warnx("neighbour '%s': cannot resolve '%s': %s", l->name,
		    l->nbr->host, why);
		link_close(l, "cannot resolve");	/* idle: backoff */
		return;
	}
	ep_addr_fmt(sin, a, sizeof(a));
	if (!l->resolved) {
		log_info("neighbour '%s': '%s' resolves to %s", l->name,
		    l->nbr->host, a);
		l->dns_addr = *sin;
		set_peer(l, sin);
		if (may_dial && l->state == LINK_IDLE &&
		    now_us() >= l->next_try_us && link_find(px, l->name) == NULL)
			hs_start(l);
		return;
	}
	if (ep_addr_eq(sin, l->state == LINK_UP ? &l->dns_addr : &l->peer)) {
		log_debug("neighbour '%s': '%s' still resolves to %s", l->name,
		    l->nbr->host, a);
		l->dns_addr = *sin;
		return;
	}
	follow(l, sin);
}

static void
lookup_cb(int err, struct evutil_addrinfo *res, void *arg)
{
	struct link_lookup *t = arg;
	struct link *l = t->l;

	t->px->dns_lookups--;
	if (l != NULL) {
		l->lookup = NULL;
		in_lookup_cb = true;
		lookup_done(l, err, res, !t->in_call);
		in_lookup_cb = false;
	}
	if (res != NULL)
		evutil_freeaddrinfo(res);
	if (t->in_call)
		t->answered = true;	/* lookup_start() frees it */
	else
		free(t);
}

static void
lookup_start(struct link *l)
{
	struct proxyd *px = l->px;
	struct evutil_addrinfo hints;
	struct evdns_getaddrinfo_request *req;
	struct link_lookup *t;

	l->lookup_us = now_us() + (uint64_t)LINK_RESOLVE_S * 1000000;
	if (px->dns == NULL || (t = calloc(1, sizeof(*t))) == NULL) {
		lookup_done(l, px->dns == NULL ? EVUTIL_EAI_FAIL :
		    EVUTIL_EAI_MEMORY, NULL, false);
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;	/* A and AAAA */
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_protocol = IPPROTO_UDP;
	t->px = px;
	t->l = l;
	t->in_call = true;
	l->lookup = t;
	px->dns_lookups++;
	log_debug("neighbour '%s': looking up '%s'", l->name, l->nbr->host);
	req = evdns_getaddrinfo(px->dns, l->nbr->host, NULL, &hints,
	    lookup_cb, t);
	t->in_call = false;
	if (t->answered)
		free(t);
	else
		t->req = req;
}

/* The link goes away: its lookup, if any, is cancelled and left behind. */
static void
lookup_abandon(struct link *l)
{
	struct link_lookup *t = l->lookup;

	if (t == NULL)
		return;
	l->lookup = NULL;
	t->l = NULL;
	if (t->req != NULL)
		evdns_getaddrinfo_cancel(t->req);
}

/* A periodic lookup of a resolved name is due (before l's attempt). */
static bool
lookup_due(const struct link *l, uint64_t now)
{
	return l->named && l->resolved && !l->following && !l->moving &&
	    l->lookup == NULL && now >= l->lookup_us;
}

void
link_resolve_all(struct proxyd *px)
{
	unsigned n = 0;

	for (struct link *l = px->links; l != NULL; l = l->next) {
		if (!l->named || l->following || l->moving || l->nbr == NULL)
			continue;
		if (!l->resolved)
			l->next_try_us = now_us();	/* looked up then */
		else
			l->lookup_us = 0;
		n++;
	}
	log_info("looking up %u neighbour name(s) again", n);
}

struct link *
link_add(struct proxyd *px, const struct conf_neighbour *nbr)
{
	struct link *l;

	if ((l = link_alloc(px)) == NULL)
		return NULL;
	l->nbr = nbr;
	l->initiator = true;
	snprintf(l->name, sizeof(l->name), "%s", l->nbr->name);
	l->next_try_us = now_us();
	(void)have_address(l);	/* a literal now; a name, looked up */
	return l;
}

int
link_init(struct proxyd *px, const struct link_events *ev)
{
	px->link_ev = ev;
	if (px->frags == NULL) {
		if ((px->frags = malloc(sizeof(*px->frags))) == NULL)
			return -1;
		frag_init(px->frags);
	}
	cookie_rotate(px, now_us());
	for (size_t i = 0; i < px->conf->n_neighbours; i++)
		if (link_add(px, &px->conf->neighbours[i]) == NULL)
			return -1;
	return 0;
}

void
link_renbr(struct proxyd *px, const struct conf_neighbour *was,
    const struct conf_neighbour *now)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (l->nbr == was)
			l->nbr = now;
}

void
link_unconfigure(struct proxyd *px, const struct conf_neighbour *nbr,
    const char *reason)
{
	struct pkt_msg bye = { .type = PKT_MSG_CLOSE };
	struct link *l, *next;

	bye.u.close_reason = PKT_CLOSE_SHUTDOWN;	/* goodbye, as at exit */
	for (l = px->links; l != NULL; l = next) {
		next = l->next;
		if (l->nbr != nbr)
			continue;
		if (l->state == LINK_UP)
			(void)link_send_msg(l, &bye);
		l->ephemeral = true;	/* freed by the close, not retried */
		link_close(l, reason);
		next = px->links;	/* the list changed: from the top */
	}
}

static void
free_learned(struct link *l)
{
	if (l->learned_nbr != NULL) {
		free(l->learned_nbr->host);
		free(l->learned_nbr);
		l->learned_nbr = NULL;
	}
	l->nbr = NULL;
}

struct link *
link_learn(struct proxyd *px, const char *name, const struct ep *ep)
{
	struct conf_neighbour *nb;
	struct link *l;
	char host[EP_STRLEN];

	if ((nb = calloc(1, sizeof(*nb))) == NULL)
		return NULL;
	ep_addr_fmt(ep, host, sizeof(host));
	snprintf(nb->name, sizeof(nb->name), "%s", name);
	nb->port = ep->port;
	if ((nb->host = strdup(host)) == NULL || (l = link_alloc(px)) == NULL) {
		free(nb->host);
		free(nb);
		return NULL;
	}
	l->nbr = l->learned_nbr = nb;
	l->initiator = true;
	snprintf(l->name, sizeof(l->name), "%s", nb->name);
	l->next_try_us = now_us();
	return l;
}

void
link_dial_once(struct proxyd *px, const char *name,
    const struct ep *ep)
{
	struct link *l;

	for (l = px->links; l != NULL; l = l->next)
		if (strcmp(l->name, name) == 0)
			return;		/* dialled already, or linked */
	if ((l = link_learn(px, name, ep)) == NULL)
		return;
	l->ephemeral = true;
	l->peer = *ep;
	l->resolved = true;
	hs_start(l);
}

void
link_abort_dial(struct proxyd *px, const char *name)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (l->ephemeral && l->state != LINK_UP &&
		    strcmp(l->name, name) == 0) {
			link_close(l, "punching gave up");
			return;
		}
}

void
link_forget(struct link *l)
{
	if (l->state != LINK_IDLE) {
		l->ephemeral = true;	/* link_close frees it */
		link_close(l, "forgotten");
		return;
	}
	free_learned(l);
	link_unlink_free(l);
}

static uint32_t
new_session(struct proxyd *px)
{
	uint32_t s;
	struct link *l;

again:
	if (RAND_bytes((unsigned char *)&s, sizeof(s)) != 1 || s == 0)
		s = (uint32_t)random() | 1;
	for (l = px->links; l != NULL; l = l->next)
		if (l->session == s || (l->rk.ssl != NULL &&
		    l->rk.session == s) || l->old.session == s)
			goto again;
	return s;
}

static void
hs_arm(struct link *l)
{
	struct timeval tv;
	uint64_t now = now_us(), at;

	if (l->ssl == NULL || DTLSv1_get_timeout(l->ssl, &tv) != 1) {
		tv.tv_sec = 1;
		tv.tv_usec = 0;
	}
	/* auto: wake at the TCP fallback's time, not a tick later */
	if (l->state == LINK_HANDSHAKE && l->tp->kind == LINK_TP_UDP &&
	    auto_tcp(l)) {
		at = l->hs_start_us + (uint64_t)LINK_AUTO_TCP_S * 1000000;
		at = at > now ? at - now : 1000;
		if (at < (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec) {
			tv.tv_sec = (time_t)(at / 1000000);
			tv.tv_usec = (suseconds_t)(at % 1000000);
		}
	}
	evtimer_add(l->hs_timer, &tv);
}

static int
udp_dial(struct link *l)
{
	struct proxyd *px = l->px;
	char who[128];

	l->has_cookie = false;
	l->hs_last_len = 0;
	l->ssl = tls_new(px->ssl_ctx, true, l->nbr->name, &l->io);
	if (l->ssl == NULL)
		return -1;
	log_debug("%s: starting handshake, session %08x",
	    link_who(l, who, sizeof(who)), l->session);
	(void)SSL_do_handshake(l->ssl);
	hs_arm(l);
	return 0;
}

/* Whether l may fall back to TCP (a configured auto neighbour's link). */
static bool
auto_tcp(const struct link *l)
{
	return l->nbr != NULL && l->initiator && !l->ephemeral &&
	    !l->moving && l->nbr->transport == CONF_TRANSPORT_AUTO &&
	    l->nbr->tcp_port != 0;
}

/* The transport of l's next attempt (its peer's port set to match). */
static const struct link_tp *
choose_tp(struct link *l)
{
	bool tcp = false;

	if (l->nbr != NULL && !l->ephemeral && !l->moving &&
	    l->nbr->tcp_port != 0 && l->px->tcp_tp != NULL)
		tcp = l->nbr->transport == CONF_TRANSPORT_TCP ||
		    (auto_tcp(l) && l->udp_failed);
	if (l->nbr != NULL && !l->ephemeral)
		l->peer.port = tcp ? l->nbr->tcp_port : l->nbr->port;
	return tcp ? l->px->tcp_tp : &udp_tp;
}

static void
hs_start(struct link *l)
{
	struct proxyd *px = l->px;

	if (!have_address(l))
		return;		/* idle until the name resolves */
	l->tp = choose_tp(l);
	l->session = l->tp->kind == LINK_TP_UDP ? new_session(px) : 0;
	l->state = LINK_HANDSHAKE;
	l->hs_start_us = now_us();
	if (l->tp->dial(l) == -1) {
		link_close(l, "cannot start handshake");
		return;
	}
	if (!l->following && !l->ephemeral && l->named &&
	    ep_is_set(&l->alt_peer) && l->alt_peer.family != l->peer.family) {
		struct timeval tv = { 0, LINK_RACE_MS * 1000 };

		evtimer_add(l->race_timer, &tv);
	}
}

/*
 * Happy Eyeballs (RFC 8305's idea) for a name with addresses of both
 * families: the handshake to the preferred one (IPv6) had LINK_RACE_MS
 * alone and is not through, so the other family is dialled beside it, as
 * a following link (follow_dial): whichever comes up first is kept
 * (link_up replaces the other), so a broken family costs LINK_RACE_MS,
 * not a handshake timeout.
 */
static void
race_cb(evutil_socket_t fd, short what, void *arg)
{
	struct link *l = arg;
	char who[128], a[EP_STRLEN];

	(void)fd;
	(void)what;
	if (l->state != LINK_HANDSHAKE || !ep_is_set(&l->alt_peer) ||
	    link_find(l->px, l->name) != NULL)
		return;
	log_info("%s: no link after %d ms, dialling %s beside it",
	    link_who(l, who, sizeof(who)), LINK_RACE_MS,
	    ep_fmt(&l->alt_peer, a, sizeof(a)));
	l->px->st.link_races++;
	follow_dial(l, &l->alt_peer);
}

/*
 * Two links to the same peer can exist for a moment: after the peer
 * restarted (it initiates again), or when both sides have each other
 * configured.  The newer link wins when both were initiated by the same
 * side; otherwise the link initiated by the proxy with the smaller name
 * wins, which both ends compute alike.
 */
bool
link_wins_over(const struct link *l, const struct link *m)
{
	const char *self = l->px->conf->name;
	const char *l_ini = l->initiator ? self : l->name;
	const char *m_ini = m->initiator ? self : m->name;

	if (l->initiator == m->initiator)
		return true;
	return strcmp(l_ini, m_ini) < 0;
}

/*
 * A link dialled to a name's new address is up (the old link, if it was
 * still up, was just replaced): it becomes the configured neighbour's
 * link, and the old one, idle now, goes.
 */
static void
follow_done(struct link *l)
{
	struct link *m, *next;

	l->following = false;
	l->dns_addr = l->peer;			/* just looked up */
	l->lookup_us = now_us() + (uint64_t)LINK_RESOLVE_S * 1000000;
	for (m = l->px->links; m != NULL; m = next) {
		next = m->next;
		if (m == l || m->nbr != l->nbr || m->following)
			continue;
		l->named = m->named;
		/* the address not taken stays the other family's */
		l->alt_peer = ep_addr_eq(&m->alt_peer, &l->peer) ? m->peer :
		    m->alt_peer;
		if (m->moving)
			continue;	/* the race's IPv6 handshake goes on */
		if (m->state != LINK_IDLE)
			link_close(m, "replaced");
		link_unlink_free(m);
	}
}

static bool
same_ep(const struct ep *a, const struct ep *b)
{
	return ep_eq(a, b);
}

/* Whether n is 1, 2, 4, 8, ...: repeated events are logged at those. */
static bool
log_due(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/* The clone record of name; with make, a new or the oldest one. */
static struct link_clone *
clone_rec(struct proxyd *px, const char *name, bool make)
{
	struct link_clone *c, *old = NULL;

	if (px->clones == NULL) {
		if (!make || (px->clones = calloc(LINK_CLONES_MAX,
		    sizeof(*px->clones))) == NULL)
			return NULL;
	}
	for (int i = 0; i < LINK_CLONES_MAX; i++) {
		c = &px->clones[i];
		if (strcmp(c->name, name) == 0 && c->name[0] != '\0')
			return c;
		if (old == NULL || c->seen_us < old->seen_us)
			old = c;
	}
	if (!make)
		return NULL;
	memset(old, 0, sizeof(*old));
	snprintf(old->name, sizeof(old->name), "%s", name);
	return old;
}

const struct link_clone *
link_clone_of(const struct proxyd *px, const char *name)
{
	const struct link_clone *c = clone_rec((struct proxyd *)(uintptr_t)px,
	    name, false);

	return c != NULL && c->detected_us != 0 ? c : NULL;
}

/*
 * Whether an up link's peer is alive now: it answered within our
 * keepalive interval and 2 s (it acknowledges each of our keepalives).
 * A peer that restarted elsewhere falls silent at once.
 */
static bool
heard_lately(const struct link *m)
{
	return m->state == LINK_UP && now_us() - m->last_rx_us <=
	    ((uint64_t)m->ka_interval_s + 2) * 1000000;
}

/*
 * Refuses l, just authenticated, as the other of two proxies with one
 * name: tells it (CLOSE "replaced", sealed with the new keys) and closes
 * it without reporting it up.
 */
static void
clone_refuse(struct link *l, struct link_clone *c)
{
	struct proxyd *px = l->px;
	struct pkt_msg bye = { .type = PKT_MSG_CLOSE };
	char who[128], a[EP_STRLEN];
	uint64_t now = now_us();

	px->st.clone_refused++;
	c->refused++;
	c->seen_us = now;
	if (log_due(c->refused))
		log_warnx("%s: refused: a proxy named '%s' is linked from %s "
		    "already: two proxies with this name are alive (a cloned "
		    "appliance?); %s is kept while it stays up, at most %.0f s "
		    "more (%u refusal(s))", link_who(l, who, sizeof(who)),
		    l->name, addr_str(&c->kept, a, sizeof(a)), a,
		    (double)(c->hold_until_us - now) / 1e6, c->refused);
	bye.u.close_reason = PKT_CLOSE_REPLACED;
	replay_init(&l->replay);
	l->tx_seq = 0;
	l->state = LINK_UP;		/* to seal the goodbye */
	(void)link_send_msg(l, &bye);
	l->state = LINK_HANDSHAKE;	/* never up: no down event */
	link_close(l, "refused: another proxy with this name is linked "
	    "(cloned appliance?)");
}

/*
 * Before l takes over from m (same name, another address, m up): whether
 * the two are clones.  l's address is the one m replaced a short while
 * ago: that proxy is back while m's is alive.  Else the takeover is noted.
 */
static bool
clone_takeover(struct link *l, const struct link *m)
{
	struct proxyd *px = l->px;
	struct link_clone *c = clone_rec(px, l->name, true);
	uint64_t now = now_us();
	char a[EP_STRLEN], b[EP_STRLEN];

	if (c == NULL)
		return false;
	c->seen_us = now;
	if (c->replaced_us != 0 && same_ep(&c->replaced, &l->peer) &&
	    now - c->replaced_us < (uint64_t)LINK_CLONE_WINDOW_S * 1000000 &&
	    heard_lately(m)) {
		c->kept = m->peer;
		c->other = l->peer;
		c->detected_us = now;
		c->hold_until_us = now + (uint64_t)LINK_CLONE_HOLD_S * 1000000;
		c->detections++;
		c->refused = 0;
		px->st.clones_detected++;
		log_warnx("two proxies named '%s' are alive at once: %s (linked "
		    "%.0f s ago) and %s (replaced by it %.0f s ago, and back): "
		    "a cloned appliance?  Keeping %s, refusing %s for %d s",
		    l->name, addr_str(&m->peer, a, sizeof(a)),
		    (double)(now - m->up_us) / 1e6,
		    addr_str(&l->peer, b, sizeof(b)),
		    (double)(now - c->replaced_us) / 1e6, a, b,
		    LINK_CLONE_HOLD_S);
		return true;
	}
	c->replaced = m->peer;
	c->replaced_us = now;
	return false;
}

/*
 * Whether l must give way to a kept clone (and was closed), or turned
 * out to be the other of two clones just now.
 */
static bool
clone_check(struct link *l)
{
	struct proxyd *px = l->px;
	struct link_clone *c = clone_rec(px, l->name, false);
	struct link *m;

	if (c != NULL && c->detected_us != 0 && now_us() < c->hold_until_us &&
	    !same_ep(&l->peer, &c->kept))
		for (m = px->links; m != NULL; m = m->next)
			if (m != l && heard_lately(m) &&
			    strcmp(m->name, l->name) == 0 &&
			    same_ep(&m->peer, &c->kept)) {
				clone_refuse(l, c);
				return true;
			}
	for (m = px->links; m != NULL; m = m->next)
		if (m != l && m->state == LINK_UP &&
		    strcmp(m->name, l->name) == 0 &&
		    !same_ep(&m->peer, &l->peer) && link_wins_over(l, m)) {
			if (clone_takeover(l, m)) {
				clone_refuse(l, clone_rec(px, l->name, false));
				return true;
			}
			break;
		}
	return false;
}

static void	link_move(struct link *m, struct link *t);
static struct link *move_target(const struct link *);
static bool	race_siblings(const struct link *, const struct link *);

/*
 * Whether l and up link m to the same peer are the two families of one
 * Happy Eyeballs race: both UDP, from the same certificate, and l's
 * handshake started before m came up, so l is no restart (a restarted
 * peer's handshake starts after the old link is up) and no clone.  Of
 * the two, IPv6 is kept: an IPv6 l takes m's place (move_target), an
 * IPv4 l gives way (link_up).  Both ends decide alike, whichever
 * completes first on each.
 */
static bool
race_siblings(const struct link *l, const struct link *m)
{
	return m != l && m->state == LINK_UP && strcmp(m->name, l->name) == 0 &&
	    l->tp->kind == LINK_TP_UDP && m->tp->kind == LINK_TP_UDP &&
	    l->peer.family != m->peer.family && l->hs_start_us < m->up_us &&
	    m->peer_cert != NULL && l->peer_cert != NULL &&
	    X509_cmp(m->peer_cert, l->peer_cert) == 0;
}

/*
 * The race's IPv4 link l came up while our IPv6 handshake m to the same
 * neighbour is still running: m goes on beside l, as an IPv6 try (it
 * takes l's place if it comes up: both families at once end on IPv6).
 */
static bool
race_goes_on(const struct link *l, const struct link *m)
{
	return l->following && l->initiator && m->initiator &&
	    m->nbr == l->nbr && !m->moving && m->state == LINK_HANDSHAKE &&
	    m->tp->kind == LINK_TP_UDP && l->tp->kind == LINK_TP_UDP &&
	    l->peer.family == AF_INET && m->peer.family == AF_INET6;
}

static void
link_up(struct link *l, SSL *ssl)
{
	struct proxyd *px = l->px;
	struct link *m, *next;
	uint8_t km[CRYPTO_KEYMAT_LEN];
	char who[128], a[EP_STRLEN];
	bool leftover = false;

	if (SSL_export_keying_material(ssl, km, sizeof(km),
	    CRYPTO_EXPORT_LABEL, strlen(CRYPTO_EXPORT_LABEL), NULL, 0, 0) != 1 ||
	    aead_init(&l->aead, km, l->initiator) == -1) {
		OPENSSL_cleanse(km, sizeof(km));
		link_close(l, "cannot derive link keys");
		return;
	}
	OPENSSL_cleanse(km, sizeof(km));
	{
		/* both ends name the peer by the same rule (tls.h) */
		char cn[PKT_NAME_MAX + 2], why[320];
		const char *bad = NULL;
		int got = tls_peer_name(ssl, cn, sizeof(cn), &bad);

		if (got == 0 && strcmp(cn, px->conf->name) == 0)
			bad = "it names this proxy";
		else if (got == 0 && l->initiator && strcmp(cn, l->name) != 0)
			bad = "its name is not the neighbour's";
		else if (got == 0)
			bad = NULL;
		if (bad != NULL) {
			snprintf(why, sizeof(why), "certificate refused: %.100s "
			    "(expected '%.63s', presented '%.64s')", bad,
			    l->initiator ? l->name : "another proxy's name",
			    got == 0 ? cn : "?");
			px->st.auth_refused++;
			log_warnx("%s: %s", link_who(l, who, sizeof(who)), why);
			link_close(l, why);
			return;
		}
		if (!l->initiator) {
			snprintf(l->name, sizeof(l->name), "%.*s", PKT_NAME_MAX, cn);
			px->n_handshakes--;
			l->hs_counted = false;
		}
	}
	/* before a move: the new handshake's certificate goes with it */
	X509_free(l->peer_cert);
	l->peer_cert = SSL_get1_peer_certificate(ssl);
	if (tls_not_after(l->peer_cert, &l->peer_not_after) == -1)
		l->peer_not_after = 0;
	if ((m = move_target(l)) != NULL) {
		link_move(m, l);	/* frees l */
		return;
	}
	if (l->moving) {
		link_close(l, "the link it was to take over is gone");
		return;
	}
	for (m = px->links; m != NULL; m = m->next)
		if (race_siblings(l, m) && l->peer.family == AF_INET) {
			log_info("%s: the IPv6 link of the same race is up "
			    "already (%s): keeping it", link_who(l, who,
			    sizeof(who)), addr_str(&m->peer, a, sizeof(a)));
			link_close(l, "a preferred link to this peer exists");
			return;
		}
	if (clone_check(l))
		return;
	for (m = px->links; m != NULL; m = next) {
		next = m->next;
		if (m == l || strcmp(m->name, l->name) != 0 ||
		    m->state == LINK_IDLE)
			continue;
		if (race_goes_on(l, m)) {
			/* l is the neighbour's link now (follow_done) */
			lookup_abandon(m);
			evtimer_del(m->race_timer);
			m->moving = m->v6_try = true;
			px->st.family_upgrade_tries++;
			leftover = true;
			continue;
		}
		if (link_wins_over(l, m)) {
			log_info("%s: replaced by a newer link",
			    link_who(m, who, sizeof(who)));
			link_close(m, "replaced");
		} else {
			link_close(l, "a preferred link to this peer exists");
			return;
		}
	}
	if (l->following)
		follow_done(l);
	replay_init(&l->replay);
	l->tx_seq = 0;
	l->exhausted = false;
	l->frag_sess = l->session;
	l->state = LINK_UP;
	l->up_us = l->last_rx_us = now_us();
	l->key_us = l->up_us;
	l->rekey_after_us = 0;
	l->rekey_now = false;
	l->backoff_s = 1;
	if (l->tp->kind == LINK_TP_UDP) {
		l->udp_failed = false;
		l->udp_retry_s = LINK_UDP_RETRY_MIN_S;
	} else
		l->udp_retry_us = l->up_us + (uint64_t)l->udp_retry_s * 1000000;
	l->v6_retry_s = LINK_V6_RETRY_MIN_S;
	l->v6_retry_us = l->up_us + (uint64_t)l->v6_retry_s * 1000000;
	l->v6_failed = 0;
	log_info("%s: link up (%s, %s, session %08x)", link_who(l, who,
	    sizeof(who)), l->initiator ? "outbound" : "inbound", l->tp->name,
	    l->session);
	evtimer_del(l->hs_timer);
	link_set_keepalive(l, px->conf->ka_min, 0);
	send_keepalive(l, l->up_us);
	hc_reset(l);
	l->peer_feat = 0;
	l->feat_heard = false;
	l->feat_sent = 0;
	send_features(l);
	if (leftover)
		for (m = px->links; m != NULL; m = m->next)
			if (m->v6_try && m->nbr == l->nbr) {
				log_info("%s: link up over IPv4 first; the IPv6 "
				    "handshake to %s goes on beside it, and "
				    "takes over if it completes", link_who(l,
				    who, sizeof(who)), addr_str(&m->peer, a,
				    sizeof(a)));
				move_announce(l, m);
			}
	l->pmtu_round = 0;
	if (l->tp->kind == LINK_TP_UDP) {
		l->pmtu = LINK_PMTU_MIN;
		pmtu_round(l, l->up_us);
	} else {
		l->pmtu = LINK_STREAM_PMTU;
		l->pmtu_next_us = UINT64_MAX;
	}
	px->link_ev->up(l);
}

/*
 * A handshake failed: the reason in words, naming what was expected and
 * what was presented (tls.c's verification notes), or what the peer's
 * alert says about ours.
 */
static void
hs_fail(struct link *l, SSL *ssl, int ret)
{
	struct proxyd *px = l->px;
	char who[128], err[512], why[600], cert[160];
	long vr = SSL_get_verify_result(ssl);
	unsigned long e = ERR_peek_error();

	tls_refused_cert(cert, sizeof(cert));
	if (l->io.why[0] != '\0')
		snprintf(why, sizeof(why), "certificate refused: %s",
		    l->io.why);
	else if (vr != X509_V_OK)
		snprintf(why, sizeof(why), "certificate refused: %s%s%s",
		    X509_verify_cert_error_string(vr), cert[0] != '\0' ?
		    ": certificate " : "", cert);
	else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET)
		snprintf(why, sizeof(why), "handshake failed: the peer "
		    "refused our certificate "
		    "(%s): check that it is issued by the same CA, valid "
		    "today and named as the peer expects",
		    tls_errors(err, sizeof(err)));
	else if (ret == -1)
		snprintf(why, sizeof(why), "handshake failed: no answer "
		    "after retransmits");
	else
		snprintf(why, sizeof(why), "handshake failed (%d): %s", ret,
		    tls_errors(err, sizeof(err)));
	ERR_clear_error();
	px->st.auth_refused++;
	log_warnx("%s: %s", link_who(l, who, sizeof(who)), why);
	link_close(l, why);
}

/* Advances a handshake.  After it returns, l may have been freed. */
static void
hs_step(struct link *l)
{
	int r, e;

	ERR_clear_error();
	r = SSL_do_handshake(l->ssl);
	l->io.in = NULL;
	if (r == 1) {
		link_up(l, l->ssl);
		return;
	}
	e = SSL_get_error(l->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		hs_arm(l);
		return;
	}
	hs_fail(l, l->ssl, e);
}

static void
hs_timer_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct link *l = arg;

	(void)fd;
	(void)ev;
	if (l->state == LINK_UP && l->rk.ssl != NULL) {
		rekey_timeout(l);	/* may close l */
		return;
	}
	if (l->state != LINK_HANDSHAKE || l->ssl == NULL)
		return;
	if (l->tp->kind == LINK_TP_UDP && auto_tcp(l) &&
	    now_us() - l->hs_start_us >= (uint64_t)LINK_AUTO_TCP_S * 1000000) {
		udp_gave_up(l);		/* TCP at once */
		return;
	}
	if (DTLSv1_handle_timeout(l->ssl) < 0) {
		hs_fail(l, l->ssl, -1);
		return;
	}
	hs_arm(l);
}

/* Session s of a link closed now: known as such for a grace period. */
static void
closed_add(struct proxyd *px, uint32_t s)
{
	if (s == 0)
		return;
	px->closed[px->closed_next].session = s;
	px->closed[px->closed_next].until_us = now_us() +
	    (uint64_t)LINK_REKEY_GRACE_S * 1000000;
	px->closed_next = (px->closed_next + 1) % LINK_CLOSED_MAX;
}

/* Whether s is the session of a link closed within the grace period. */
static bool
closed_lately(const struct proxyd *px, uint32_t s)
{
	uint64_t now = now_us();

	for (size_t i = 0; i < LINK_CLOSED_MAX; i++)
		if (px->closed[i].session == s && s != 0 &&
		    now < px->closed[i].until_us)
			return true;
	return false;
}

void
link_close(struct link *l, const char *reason)
{
	struct proxyd *px = l->px;
	bool was_up = l->state == LINK_UP;
	bool failed = was_up || l->state == LINK_HANDSHAKE;
	char who[128];

	if (was_up) {
		/* what the peer seals before it hears of this is late */
		closed_add(px, l->session);
		closed_add(px, l->old.session);
		if (l->rk.ssl != NULL)
			closed_add(px, l->rk.session);
	}

	if (l->hs_counted) {
		px->n_handshakes--;
		l->hs_counted = false;
	}
	if (was_up || l->state == LINK_HANDSHAKE)
		log_info("%s: link %s: %s", link_who(l, who, sizeof(who)),
		    was_up ? "down" : "not established", reason);
	if (failed && strcmp(reason, "replaced") != 0)
		snprintf(l->last_error, sizeof(l->last_error), "%s", reason);
	evtimer_del(l->hs_timer);
	l->tp->release(l, false);
	if (l->ssl != NULL) {
		SSL_free(l->ssl);
		l->ssl = NULL;
	}
	aead_release(&l->aead);
	rekey_release(l);
	old_release(l);
	X509_free(l->peer_cert);
	l->peer_cert = NULL;
	l->peer_not_after = 0;
	/* a TCP attempt that failed: UDP first again next time */
	if (!was_up && failed && l->tp->kind == LINK_TP_TCP)
		l->udp_failed = false;
	if (l->v6_try && !was_up)
		v6_try_failed(l, reason);
	l->state = LINK_IDLE;	/* before the engines hear: it is gone */
	if (was_up)
		px->link_ev->down(l, reason);
	if (l->nbr == NULL || l->ephemeral || l->following || l->moving) {
		free_learned(l);
		link_unlink_free(l);
		return;
	}
	l->state = LINK_IDLE;
	l->session = 0;
	l->reconnects++;
	if (failed) {
		/* look the name up again, now: answered before the retry */
		l->lookup_us = 0;
		if (!in_lookup_cb && lookup_due(l, now_us()))
			lookup_start(l);
	}
	l->next_try_us = now_us() + (uint64_t)l->backoff_s * 1000000;
	if (was_up)
		l->next_try_us = now_us() + 1000000;
	else if (l->backoff_s < LINK_BACKOFF_MAX_S)
		l->backoff_s = l->backoff_s * 2 > LINK_BACKOFF_MAX_S ?
		    LINK_BACKOFF_MAX_S : l->backoff_s * 2;
}

/*
 * An IPv6 try beside an up IPv4 link did not come up: counted, logged at
 * the 1st, 2nd, 4th ... failure of the up link, and the next try is due
 * v6_retry_s from now, which doubles (to LINK_V6_RETRY_MAX_S).
 */
static void
v6_try_failed(struct link *t, const char *reason)
{
	struct proxyd *px = t->px;
	struct link *up = link_find(px, t->name);
	char who[128], a[EP_STRLEN];
	uint64_t now = now_us();

	px->st.family_upgrade_failed++;
	if (up == NULL)
		return;
	up->v6_failed++;
	up->v6_retry_us = now + (uint64_t)up->v6_retry_s * 1000000;
	up->v6_retry_s = up->v6_retry_s * 2 > LINK_V6_RETRY_MAX_S ?
	    LINK_V6_RETRY_MAX_S : up->v6_retry_s * 2;
	if (log_due(up->v6_failed))
		log_info("%s: IPv6 try to %s failed (%s): the link stays on "
		    "IPv4, next try in %.0f s (%u failed since link up)",
		    link_who(up, who, sizeof(who)), addr_str(&t->peer, a,
		    sizeof(a)), reason, up->v6_retry_us > now ?
		    (double)(up->v6_retry_us - now) / 1e6 : 0.0,
		    up->v6_failed);
}

static struct link *
find_session(struct proxyd *px, uint32_t session)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (l->session == session && l->state != LINK_IDLE &&
		    l->tp->kind == LINK_TP_UDP)
			return l;
	return NULL;
}

struct link *
link_find(struct proxyd *px, const char *name)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (l->state == LINK_UP && strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

/*
 * Rekey (link.h tells the protocol).  The handshake's records travel in
 * PKT_MSG_REKEY messages sealed on the up session; rk.io writes them so.
 */
enum link_key { KEY_CUR, KEY_OLD, KEY_NEXT };

/* Whether up link l opens session, and with which of its keys. */
static bool
key_of(const struct link *l, uint32_t session, enum link_key *k)
{
	if (l->state != LINK_UP)
		return false;
	if (l->session == session) {
		*k = KEY_CUR;
		return true;
	}
	if (l->old.session != 0 && l->old.session == session) {
		*k = KEY_OLD;
		return true;
	}
	if (l->rk.ssl != NULL && l->rk.ready &&
	    l->rk.session == session) {
		*k = KEY_NEXT;
		return true;
	}
	return false;
}

/* The UDP link a datagram's session names, and which of its keys. */
static struct link *
find_key(struct proxyd *px, uint32_t session, enum link_key *k)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (l->tp->kind == LINK_TP_UDP && key_of(l, session, k))
			return l;
	*k = KEY_CUR;
	return find_session(px, session);	/* in handshake: dropped */
}

static void
rekey_release(struct link *l)
{
	if (l->rk.ssl != NULL)
		SSL_free(l->rk.ssl);
	aead_release(&l->rk.aead);
	memset(&l->rk, 0, sizeof(l->rk));
}

static void
old_release(struct link *l)
{
	aead_release(&l->old.aead);
	memset(&l->old, 0, sizeof(l->old));
}

/* The DTLS BIO's output during a rekey: one sealed REKEY message each. */
static int
rekey_output(void *arg, const uint8_t *p, size_t len)
{
	struct link *l = arg;
	struct pkt_msg m = { .type = PKT_MSG_REKEY };

	if (len == 0 || len > PKT_REKEY_REC_MAX)
		return -1;
	m.u.rekey.session = l->rk.session;
	m.u.rekey.rec = p;
	m.u.rekey.len = len;
	return link_send_msg(l, &m);
}

static void
rekey_arm(struct link *l)
{
	struct timeval tv;

	if (DTLSv1_get_timeout(l->rk.ssl, &tv) != 1) {
		tv.tv_sec = 1;
		tv.tv_usec = 0;
	}
	evtimer_add(l->hs_timer, &tv);
}

/* The rekey is dropped; the session goes on, ours is tried again later. */
static void
rekey_abandon(struct link *l, const char *why)
{
	char who[128];

	l->px->st.rekey_failed++;
	log_info("%s: rekey (session %08x) dropped: %s; the link goes on "
	    "with session %08x", link_who(l, who, sizeof(who)),
	    l->rk.session, why, l->session);
	evtimer_del(l->hs_timer);
	rekey_release(l);
	l->rekey_after_us = now_us() + (uint64_t)LINK_REKEY_RETRY_S * 1000000;
}

/*
 * The keys in use become the old ones, which open packets (never seal)
 * for LINK_REKEY_GRACE_S more, with their own replay window: packets in
 * flight when a rekey switches keys, or when link_move() takes another
 * handshake's, are neither lost nor refused.  Older ones go.
 */
static void
keys_retire(struct link *l, uint64_t now)
{
	old_release(l);
	l->old.session = l->session;
	l->old.aead = l->aead;
	memset(&l->aead, 0, sizeof(l->aead));
	l->old.replay = l->replay;
	l->old.until_us = now + (uint64_t)LINK_REKEY_GRACE_S * 1000000;
}

/*
 * The next keys take over: the current ones become the old ones
 * (keys_retire()); the peer's certificate is the one this handshake
 * verified.
 */
static void
rekey_switch(struct link *l)
{
	struct proxyd *px = l->px;
	uint64_t now = now_us();
	uint32_t was = l->session;
	X509 *cert;
	char who[128], desc[200];

	cert = SSL_get1_peer_certificate(l->rk.ssl);
	keys_retire(l, now);
	l->session = l->rk.session;
	l->aead = l->rk.aead;
	memset(&l->rk.aead, 0, sizeof(l->rk.aead));
	if (l->rk.ours)
		replay_init(&l->replay);
	else
		l->replay = l->rk.replay;	/* it opened one already */
	l->tx_seq = 0;
	l->exhausted = false;
	evtimer_del(l->hs_timer);
	rekey_release(l);
	if (l->ssl != NULL) {		/* the first handshake's, if still */
		SSL_free(l->ssl);
		l->ssl = NULL;
	}
	if (cert != NULL) {
		X509_free(l->peer_cert);
		l->peer_cert = cert;
		if (tls_not_after(cert, &l->peer_not_after) == -1)
			l->peer_not_after = 0;
	}
	l->key_us = now;
	l->rekey_after_us = 0;
	l->rekeys++;
	px->st.rekeys++;
	log_info("%s: rekeyed: session %08x, was %08x; peer certificate %s",
	    link_who(l, who, sizeof(who)), l->session, was,
	    tls_describe(l->peer_cert, desc, sizeof(desc)));
}

/*
 * The rekey handshake failed: a refused certificate closes the link (the
 * peer is told), anything else drops the rekey.  After it, l may be gone.
 */
static void
rekey_fail(struct link *l, int ret)
{
	struct proxyd *px = l->px;
	struct pkt_msg bye = { .type = PKT_MSG_CLOSE };
	char who[128], err[512], why[700], cert[160];
	long vr = SSL_get_verify_result(l->rk.ssl);
	unsigned long e = ERR_peek_error();

	tls_refused_cert(cert, sizeof(cert));
	if (l->rk.io.why[0] != '\0')
		snprintf(why, sizeof(why), "rekey: certificate refused: %s",
		    l->rk.io.why);
	else if (vr != X509_V_OK)
		snprintf(why, sizeof(why), "rekey: certificate refused: %s%s%s",
		    X509_verify_cert_error_string(vr), cert[0] != '\0' ?
		    ": certificate " : "", cert);
	else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET)
		snprintf(why, sizeof(why), "rekey: the peer refused our "
		    "certificate (%s)", tls_errors(err, sizeof(err)));
	else {
		snprintf(why, sizeof(why), "handshake failed (%d): %s", ret,
		    tls_errors(err, sizeof(err)));
		ERR_clear_error();
		rekey_abandon(l, why);
		return;
	}
	ERR_clear_error();
	px->st.auth_refused++;
	if (vr == X509_V_ERR_CERT_HAS_EXPIRED)
		px->st.expired_closed++;	/* the tick would have, soon */
	log_warnx("%s: %s", link_who(l, who, sizeof(who)), why);
	bye.u.close_reason = PKT_CLOSE_SHUTDOWN;
	(void)link_send_msg(l, &bye);
	link_close(l, why);
}

/* The rekey handshake is done on our side.  l may be gone after it. */
static void
rekey_done(struct link *l)
{
	struct proxyd *px = l->px;
	struct pkt_msg bye = { .type = PKT_MSG_CLOSE };
	uint8_t km[CRYPTO_KEYMAT_LEN];
	char cn[PKT_NAME_MAX + 2], why[320], who[128];
	const char *bad = NULL;

	if (tls_peer_name(l->rk.ssl, cn, sizeof(cn), &bad) == 0)
		bad = strcmp(cn, l->name) != 0 ?
		    "its name is not the neighbour's" : NULL;
	if (bad != NULL) {
		snprintf(why, sizeof(why), "rekey: certificate refused: %.100s "
		    "(expected '%.63s')", bad, l->name);
		px->st.auth_refused++;
		log_warnx("%s: %s", link_who(l, who, sizeof(who)), why);
		bye.u.close_reason = PKT_CLOSE_SHUTDOWN;
		(void)link_send_msg(l, &bye);
		link_close(l, why);
		return;
	}
	if (SSL_export_keying_material(l->rk.ssl, km, sizeof(km),
	    CRYPTO_EXPORT_LABEL, strlen(CRYPTO_EXPORT_LABEL), NULL, 0, 0) != 1 ||
	    aead_init(&l->rk.aead, km, l->rk.ours) == -1) {
		OPENSSL_cleanse(km, sizeof(km));
		ERR_clear_error();
		rekey_abandon(l, "cannot derive keys");
		return;
	}
	OPENSSL_cleanse(km, sizeof(km));
	if (!l->rk.ours) {
		/* open the next session; seal on this one till the peer moves */
		replay_init(&l->rk.replay);
		l->rk.ready = true;
		evtimer_del(l->hs_timer);
		return;
	}
	rekey_switch(l);
	send_keepalive(l, now_us());	/* the switch, told at once */
}

/* Advances the rekey handshake.  After it returns, l may be gone. */
static void
rekey_step(struct link *l)
{
	int r, e;

	ERR_clear_error();
	r = SSL_do_handshake(l->rk.ssl);
	l->rk.io.in = NULL;
	if (r == 1) {
		rekey_done(l);
		return;
	}
	e = SSL_get_error(l->rk.ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		if (l->rk.ssl != NULL)
			rekey_arm(l);
		return;
	}
	rekey_fail(l, e);
}

/* A retransmit timer of the rekey handshake fired. */
static void
rekey_timeout(struct link *l)
{
	if (l->rk.ready)
		return;			/* done: waits for the peer's switch */
	if (DTLSv1_handle_timeout(l->rk.ssl) < 0) {
		ERR_clear_error();
		rekey_abandon(l, "no answer after retransmits");
		return;
	}
	if (l->rk.ssl != NULL)
		rekey_arm(l);
}

void
link_rekey(struct link *l)
{
	struct proxyd *px = l->px;
	char who[128];

	if (l->state != LINK_UP || l->rk.ssl != NULL)
		return;
	memset(&l->rk, 0, sizeof(l->rk));
	l->rk.session = new_session(px);
	l->rk.ours = true;
	l->rk.io.out = rekey_output;
	l->rk.io.arg = l;
	l->rk.start_us = now_us();
	l->rekey_now = false;
	if ((l->rk.ssl = tls_new(px->ssl_ctx, true, l->name, &l->rk.io)) ==
	    NULL) {
		rekey_abandon(l, "cannot start a handshake");
		return;
	}
	log_debug("%s: rekey, session %08x beside %08x",
	    link_who(l, who, sizeof(who)), l->rk.session, l->session);
	rekey_step(l);
}

/* Whether a session id is used by any link, its current, old or next. */
static bool
session_used(struct proxyd *px, uint32_t s)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (l->session == s || l->old.session == s ||
		    (l->rk.ssl != NULL && l->rk.session == s))
			return true;
	return false;
}

/* A REKEY message on up link l.  After it returns, l may be gone. */
static void
rekey_input(struct link *l, const struct pkt_rekey *rk)
{
	struct proxyd *px = l->px;
	uint64_t now = now_us();
	char who[128];

	if (l->rk.ssl != NULL && l->rk.session != rk->session) {
		if (l->rk.ours && l->initiator)
			return;		/* both started: ours goes on */
		/* the dialling side's goes on; or the peer started anew */
		evtimer_del(l->hs_timer);
		rekey_release(l);
	}
	if (l->rk.ssl == NULL) {
		if (session_used(px, rk->session) || now - l->peer_rekey_us <
		    (uint64_t)LINK_REKEY_MIN_MS * 1000) {
			px->st.drop_malformed++;
			log_debug("%s: rekey refused: session %08x in use or "
			    "too soon", link_who(l, who, sizeof(who)),
			    rk->session);
			return;
		}
		memset(&l->rk, 0, sizeof(l->rk));
		l->rk.session = rk->session;
		l->rk.io.out = rekey_output;
		l->rk.io.arg = l;
		l->rk.start_us = now;
		l->peer_rekey_us = now;
		if ((l->rk.ssl = tls_new(px->ssl_ctx, false, NULL,
		    &l->rk.io)) == NULL) {
			rekey_abandon(l, "cannot start a handshake");
			return;
		}
	}
	l->rk.io.in = rk->rec;
	l->rk.io.in_len = rk->len;
	if (!l->rk.ready) {
		rekey_step(l);		/* may close l */
		return;
	}
	{
		/* done: a retransmitted last flight, let DTLS answer it */
		uint8_t sink[64];

		(void)SSL_read(l->rk.ssl, sink, sizeof(sink));
		ERR_clear_error();
		l->rk.io.in = NULL;
	}
}

/* Whether up link l should start a rekey of its own now. */
static bool
rekey_due(const struct link *l, uint64_t now)
{
	int t = l->px->conf->rekey_s > 0 ? l->px->conf->rekey_s :
	    CONF_DEFAULT_REKEY_S;
	uint64_t after = (uint64_t)t * 1000000;

	if (l->rk.ssl != NULL || now < l->rekey_after_us)
		return false;
	if (l->rekey_now || l->tx_seq >= LINK_REKEY_PACKETS)
		return true;
	if (!l->initiator)	/* the dialling side starts; we fall back */
		after += (uint64_t)LINK_REKEY_FALLBACK_S * 1000000;
	return now - l->key_us >= after;
}

unsigned
link_rekey_all(struct proxyd *px)
{
	unsigned n = 0;

	for (struct link *l = px->links; l != NULL; l = l->next) {
		if (l->state != LINK_UP)
			continue;
		if (l->rk.ssl != NULL && l->rk.ours) {
			/* started with the old files: again with the new */
			evtimer_del(l->hs_timer);
			rekey_release(l);
		}
		l->rekey_now = true;	/* after the peer's, if one runs */
		l->rekey_after_us = 0;
		n++;
	}
	return n;
}

static void
hs_input(struct proxyd *px, struct psock *in, const struct ep *from,
    const struct pkt_hdr *h, size_t in_len)
{
	struct link *l = find_session(px, h->session);
	char a[EP_STRLEN];

	if (l == NULL) {
		/* no state before the source proved its address */
		if (h->type == PKT_HS) {
			cookie_send(px, in, from, h, in_len);
			return;
		}
		if (!cookie_valid(px, from, h->session, h->cookie)) {
			px->st.drop_cookie++;
			return;
		}
		if (px->n_handshakes >= LINK_HS_MAX ||
		    hs_from(px, from) >= LINK_HS_PER_SOURCE) {
			px->st.drop_hs_limit++;
			return;
		}
		if ((l = link_alloc(px)) == NULL)
			return;
		l->peer = *from;
		l->resolved = true;
		l->session = h->session;
		l->state = LINK_HANDSHAKE;
		l->hs_start_us = now_us();
		px->n_handshakes++;
		l->hs_counted = true;
		if ((l->ssl = tls_new(px->ssl_ctx, false, NULL, &l->io)) ==
		    NULL) {
			link_close(l, "cannot start handshake");
			return;
		}
		log_debug("handshake from %s, session %08x",
		    addr_str(from, a, sizeof(a)), h->session);
	} else if (!from_peer(l, from)) {
		/* Handshake packets are not authenticated: never move a link. */
		px->st.drop_malformed++;
		return;
	}
	if (l->ssl == NULL)
		return;
	l->io.in = h->body;
	l->io.in_len = h->body_len;
	if (l->state == LINK_HANDSHAKE)
		hs_step(l);	/* may free l */
	else {
		/* A retransmitted final flight: let DTLS answer it. */
		uint8_t sink[64];

		(void)SSL_read(l->ssl, sink, sizeof(sink));
		ERR_clear_error();
		l->io.in = NULL;
	}
}

/* Keepalives and goodbyes are the link's own; the rest goes up. */
static void
msg_input(struct link *l, struct pkt_msg *m, struct psock *in,
    const struct ep *from)
{
	switch (m->type) {
	case PKT_MSG_KEEPALIVE: {
		struct pkt_msg ack = { .type = PKT_MSG_KEEPALIVE_ACK };

		ack.u.ka = m->u.ka;
		ack.u.ka.interval_ms = (uint32_t)l->ka_interval_s * 1000;
		link_send_msg(l, &ack);
		break;
	}
	case PKT_MSG_KEEPALIVE_ACK: {
		uint64_t now = now_us();

		if (m->u.ka.time_us <= now && m->u.ka.id == l->ka_id)
			l->rtt_ms = (double)(now - m->u.ka.time_us) / 1000.0;
		break;
	}
	case PKT_MSG_CLOSE:
		if (m->u.close_reason == PKT_CLOSE_REPLACED) {
			/* refused as a clone: back off, do not hammer */
			bool stays = l->nbr != NULL && !l->ephemeral &&
			    !l->following;
			char who[128];

			log_warnx("%s: refused by the peer: it keeps a link to "
			    "another proxy named '%s' (this one's name): is "
			    "this appliance cloned?", link_who(l, who,
			    sizeof(who)), l->px->conf->name);
			link_close(l, "refused by peer: another proxy with our "
			    "name is linked");
			if (stays) {
				unsigned s = 2u << (l->refusals < 5 ?
				    l->refusals : 5);

				l->refusals++;
				l->next_try_us = now_us() + (uint64_t)(s >
				    LINK_BACKOFF_MAX_S ? LINK_BACKOFF_MAX_S :
				    s) * 1000000;
			}
			break;
		}
		link_close(l, "closed by peer");
		break;
	case PKT_MSG_MTU_PROBE: {
		struct pkt_msg ack = { .type = PKT_MSG_MTU_ACK };

		ack.u.mtu.id = m->u.mtu.id;
		ack.u.mtu.size = m->u.mtu.size;
		link_send_msg(l, &ack);
		break;
	}
	case PKT_MSG_MTU_ACK:
		pmtu_ack(l, &m->u.mtu);
		break;
	case PKT_MSG_REKEY:
		rekey_input(l, &m->u.rekey);	/* may close l */
		break;
	case PKT_MSG_FEATURES:
		/* a flag that is never set still counts as heard */
		l->peer_feat = m->u.features | PKT_FEAT_HEARD;
		if (m->u.features & PKT_FEAT_HEARD)
			l->feat_heard = true;
		else if (l->feat_sent < 2 * PKT_FEAT_SEND_MAX)
			send_features(l);	/* it has not heard ours */
		break;
	case PKT_MSG_MOVE:
		/* the peer dials a link to replace this one (link_up) */
		l->move_session = m->u.move;
		l->move_until_us = now_us() + (uint64_t)LINK_HS_TIMEOUT_S *
		    1000000;
		break;
	default:
		l->px->link_ev->msg(l, m, in, from);
		break;
	}
}

/*
 * A piece of a split message, opened at slot (*len bytes): kept until its
 * message is whole, which is then put at slot, where a DATA message is
 * relayed from without a copy.  0 with *len the message's length, or -1
 * (not whole yet, or dropped and counted).  Only DATA is ever split.
 */
static int
frag_input(struct link *l, uint8_t *slot, size_t *len)
{
	struct pkt_msg m;
	const uint8_t *msg;
	size_t mlen;
	const char *why;
	char who[128];
	int rc;

	if (pkt_msg_decode(slot, *len, &m, &why) == -1) {
		l->px->st.drop_malformed++;
		log_debug("%s: bad piece: %s", link_who(l, who, sizeof(who)),
		    why);
		return -1;
	}
	rc = frag_join(l->px->frags, l->frag_sess, &m.u.frag, now_us(), &msg,
	    &mlen);
	if (rc != 1)
		return -1;
	if (mlen == 0 || (msg[0] != PKT_MSG_DATA &&
	    msg[0] != PKT_MSG_HC_SET && msg[0] != PKT_MSG_HC)) {
		l->px->st.drop_malformed++;
		return -1;
	}
	memmove(slot, msg, mlen);
	*len = mlen;
	return 0;
}

/*
 * An HC or HC_SET message at slot (*len bytes) made the DATA message it
 * stands for, in place (lib/hc.h).  0, or -1 (dropped and counted).
 */
static int
hc_input(struct link *l, uint8_t *slot, size_t *len)
{
	struct proxyd *px = l->px;
	bool set = slot[0] == PKT_MSG_HC_SET;
	const char *why = "";
	char who[128];

	switch (hc_rx_expand(&l->hc_rx, slot, len, TXQ_SLOT_SIZE -
	    PKT_SEALED_HDR_LEN, &why)) {
	case HC_RX_OK:
		if (set)
			px->st.hc_set_rx++;
		else
			px->st.hc_rx++;
		return 0;
	case HC_RX_MISS:
		px->st.drop_hc_miss++;
		if (log_debugging())
			log_debug("%s: compressed packet dropped: %s",
			    link_who(l, who, sizeof(who)), why);
		return -1;
	case HC_RX_BAD:
	default:
		px->st.drop_malformed++;
		log_debug("%s: bad message: %s", link_who(l, who,
		    sizeof(who)), why);
		return -1;
	}
}

static void
sealed_open(struct proxyd *px, struct link *l, enum link_key k,
    struct psock *in, const struct ep *from, uint8_t *buf,
    const struct pkt_hdr *h)
{
	struct aead *ae;
	struct replay *rp;
	uint8_t *body, *slot;
	size_t ptlen;
	struct pkt_msg m;
	const char *why;
	char who[128], a[EP_STRLEN];

	ae = k == KEY_OLD ? &l->old.aead : k == KEY_NEXT ? &l->rk.aead :
	    &l->aead;
	rp = k == KEY_OLD ? &l->old.replay : k == KEY_NEXT ? &l->rk.replay :
	    &l->replay;
	if (!replay_check(rp, h->seq)) {
		px->st.drop_replay++;
		if (log_debugging())
			log_debug("%s: datagram %llu of session %08x dropped: "
			    "replayed or too old", link_who(l, who,
			    sizeof(who)), (unsigned long long)h->seq,
			    h->session);
		return;
	}
	/*
	 * Open the body straight into the send batch's next slot, where a
	 * DATA message's IP packet lands at PKT_DATA_HEADROOM: a relayed
	 * packet is then sealed again where it lies, with no copy.  Anything
	 * else is copied back into buf (rare, and its handlers may build
	 * frames in that very slot).
	 */
	body = buf + (h->body - buf);
	slot = txq_slot(px) + PKT_SEALED_HDR_LEN;
	if (aead_open(ae, h->seq, buf, PKT_SEALED_HDR_LEN, body,
	    h->body_len, slot) == -1) {
		px->st.drop_auth++;
		if (log_debugging())
			log_debug("%s: datagram of session %08x dropped: it "
			    "does not authenticate", link_who(l, who,
			    sizeof(who)), h->session);
		return;
	}
	if (k == KEY_NEXT) {
		rekey_switch(l);	/* the peer switched: so do we */
		rp = &l->replay;
	}
	ptlen = h->body_len - PKT_TAG_LEN;
	if (ptlen > 0 && (slot[0] == PKT_MSG_DATA || slot[0] == PKT_MSG_FRAG ||
	    slot[0] == PKT_MSG_HC || slot[0] == PKT_MSG_HC_SET))
		body = slot;
	else
		memcpy(body, slot, ptlen);
	replay_commit(rp, h->seq);
	l->last_rx_us = now_pkt_us();
	l->rx_packets++;
	l->rx_bytes += PKT_SEALED_HDR_LEN + h->body_len;
	if (l->ssl != NULL && k != KEY_OLD) {
		/* The peer finished its handshake: the DTLS state can go. */
		SSL_free(l->ssl);
		l->ssl = NULL;
	}
	if (ptlen > 0 && body[0] == PKT_MSG_FRAG &&
	    frag_input(l, slot, &ptlen) == -1)
		return;			/* pieces missing, or dropped */
	if (ptlen > 0 && (body[0] == PKT_MSG_HC || body[0] == PKT_MSG_HC_SET) &&
	    hc_input(l, slot, &ptlen) == -1)
		return;
	if (pkt_msg_decode(body, ptlen, &m, &why) == -1) {
		px->st.drop_malformed++;
		log_debug("%s: bad message: %s", link_who(l, who, sizeof(who)),
		    why);
		return;
	}
	/*
	 * The peer's NAT gave it a new mapping: follow it.  Probe traffic
	 * comes from other sockets on purpose and never moves a link, nor do
	 * packets under the old keys (in flight across a move, link_move()).
	 */
	if (in->kind == PSOCK_PRIMARY && m.type != PKT_MSG_PROBE_REQ &&
	    m.type != PKT_MSG_PROBE_RESP && l->tp->kind == LINK_TP_UDP &&
	    k != KEY_OLD && !from_peer(l, from)) {
		log_info("%s: moved to %s", link_who(l, who, sizeof(who)),
		    addr_str(from, a, sizeof(a)));
		l->peer = *from;
	}
	msg_input(l, &m, in, from);
}

static void
sealed_input(struct proxyd *px, struct psock *in,
    const struct ep *from, uint8_t *buf, const struct pkt_hdr *h)
{
	enum link_key k;
	struct link *l = find_key(px, h->session, &k);
	char a[EP_STRLEN];

	if (l == NULL && closed_lately(px, h->session)) {
		px->st.drop_closed++;
		if (log_debugging())
			log_debug("datagram from %s dropped: session %08x is "
			    "of a link closed just now", addr_str(from, a,
			    sizeof(a)), h->session);
		return;
	}
	if (l == NULL || l->state != LINK_UP) {
		px->st.drop_nosession++;
		if (log_debugging())
			log_debug("datagram from %s dropped: no up link has "
			    "session %08x", addr_str(from, a, sizeof(a)),
			    h->session);
		return;
	}
	sealed_open(px, l, k, in, from, buf, h);
}

void
link_frame_input(struct link *l, uint8_t *buf, size_t len)
{
	struct proxyd *px = l->px;
	struct pkt_hdr h;
	const char *why;
	char who[128];
	enum link_key k = KEY_CUR;

	px->st.rx_packets++;
	px->st.rx_bytes += len;
	/* the stream's own link only, under any of its keys (rekeys) */
	if (pkt_hdr_decode(buf, len, &h, &why) == -1 ||
	    h.type != PKT_SEALED || !key_of(l, h.session, &k)) {
		px->st.drop_malformed++;
		log_debug("%s: dropped frame: %s", link_who(l, who,
		    sizeof(who)), l->state != LINK_UP ? "link not up" :
		    h.type != PKT_SEALED ? "not a sealed packet" :
		    "another session");
		return;
	}
	/* the stream carries it from the link's peer, to the primary port */
	sealed_open(px, l, k, &px->socks[PSOCK_PRIMARY], &l->peer, buf, &h);
}

void
link_datagram(void *arg, struct psock *in, const struct ep *from,
    uint8_t *buf, size_t len)
{
	struct proxyd *px = arg;
	struct pkt_hdr h;
	const char *why;
	char a[EP_STRLEN];

	px->st.rx_packets++;
	px->st.rx_bytes += len;
	if (pkt_hdr_decode(buf, len, &h, &why) == -1) {
		px->st.drop_malformed++;
		log_debug("dropped datagram from %s: %s",
		    addr_str(from, a, sizeof(a)), why);
		return;
	}
	switch (h.type) {
	case PKT_HS:
	case PKT_HS_COOKIE:
		if (in->kind == PSOCK_PRIMARY)
			hs_input(px, in, from, &h, len);
		else
			px->st.drop_malformed++;
		break;
	case PKT_COOKIE:
		cookie_input(px, from, &h);
		break;
	case PKT_PROBE:
	case PKT_PUNCH:
		px->link_ev->unauth(px, h.type, h.seq, from);
		break;
	default:
		sealed_input(px, in, from, buf, &h);
		break;
	}
}

static int
seal(struct link *l, uint8_t *frame, size_t ptlen)
{
	struct buf_wr w;

	if (l->state != LINK_UP)
		return -1;
	if (l->tx_seq >= LINK_SEAL_MAX) {	/* never: link_tick closes */
		l->exhausted = true;
		return -1;
	}
	buf_wr_init(&w, frame, PKT_SEALED_HDR_LEN);
	pkt_hdr_encode(&w, PKT_SEALED, l->session, ++l->tx_seq);
	if (w.err != NULL || aead_seal(&l->aead, l->tx_seq, frame,
	    PKT_SEALED_HDR_LEN, frame + PKT_SEALED_HDR_LEN, ptlen,
	    frame + PKT_SEALED_HDR_LEN) == -1)
		return -1;
	return 0;
}

static int
seal_send(struct link *l, uint8_t *frame, size_t ptlen, bool bulk)
{
	if (seal(l, frame, ptlen) == -1)
		return -1;
	return tp_send(l, frame, PKT_SEALED_HDR_LEN + ptlen + PKT_TAG_LEN,
	    bulk);
}

int
link_send_msg(struct link *l, const struct pkt_msg *m)
{
	int n;

	n = pkt_msg_encode(m, ctl_frame + PKT_SEALED_HDR_LEN,
	    sizeof(ctl_frame) - PKT_SEALED_HDR_LEN - PKT_TAG_LEN);
	if (n < 0)
		return -1;
	return seal_send(l, ctl_frame, (size_t)n, false);
}

int
link_send_msg_via(struct link *l, const struct pkt_msg *m, struct psock *via,
    const struct ep *to)
{
	int n;

	n = pkt_msg_encode(m, ctl_frame + PKT_SEALED_HDR_LEN,
	    sizeof(ctl_frame) - PKT_SEALED_HDR_LEN - PKT_TAG_LEN);
	if (l->tp->kind != LINK_TP_UDP ||
	    n < 0 || seal(l, ctl_frame, (size_t)n) == -1)
		return -1;
	return psock_send(via, ctl_frame, PKT_SEALED_HDR_LEN + (size_t)n +
	    PKT_TAG_LEN, to);
}

static int	send_pieces(struct link *, uint8_t *, const uint8_t *, size_t,
		    unsigned);

/* A message being split (DATA, or HC_SET from compress()), whole. */
static uint8_t	split_msg[PKT_FRAG_TOTAL_MAX];

/*
 * The DATA message at frame + PKT_SEALED_HDR_LEN (mlen bytes) in count
 * pieces, each sealed on its own and sent (batched if frame is the send
 * batch's slot), for the next hop to join.
 */
static int
send_split(struct link *l, uint8_t *frame, size_t mlen, unsigned count)
{
	memcpy(split_msg, frame + PKT_SEALED_HDR_LEN, mlen);
	return send_pieces(l, frame, split_msg, mlen, count);
}

/* The same for a message already in whole (mlen bytes, not the frame). */
static int
send_pieces(struct link *l, uint8_t *frame, const uint8_t *whole,
    size_t mlen, unsigned count)
{
	struct proxyd *px = l->px;
	bool batch = txq_is_slot(px, frame) && l->tp->kind == LINK_TP_UDP;
	struct pkt_msg m = { .type = PKT_MSG_FRAG };

	m.u.frag.id = ++l->frag_id;
	m.u.frag.count = (uint8_t)count;
	m.u.frag.total = (uint16_t)mlen;
	for (unsigned i = 0; i < count; i++) {
		uint8_t *f = batch ? txq_slot(px) : ctl_frame;
		size_t off, plen;
		int n;

		(void)pkt_frag_piece(mlen, count, i, &off, &plen);
		m.u.frag.index = (uint8_t)i;
		m.u.frag.piece = whole + off;
		m.u.frag.piece_len = plen;
		n = pkt_msg_encode(&m, f + PKT_SEALED_HDR_LEN,
		    PKT_FRAG_HDR_LEN + plen);
		if (n < 0 || seal(l, f, (size_t)n) == -1)
			return -1;
		px->st.frag_tx++;
		if (!batch) {
			if (tp_send(l, f, PKT_SEALED_HDR_LEN + (size_t)n +
			    PKT_TAG_LEN, true) == -1)
				return -1;
			continue;
		}
		l->tx_packets++;
		l->tx_bytes += PKT_SEALED_HDR_LEN + (size_t)n + PKT_TAG_LEN;
		txq_commit(px, PKT_SEALED_HDR_LEN + (size_t)n + PKT_TAG_LEN,
		    &l->peer);
	}
	return 0;
}

/*
 * A DATA message that would be split, sent instead with its IP and UDP
 * headers left out (lib/hc.h), when the packet allows it: whole as a
 * context (HC_SET, split) when the next hop does not hold its headers
 * yet or is due a refresh (*mlen 0 if that failed), else as HC in place
 * at frame, its length in *mlen for the caller to send unsplit.
 */
static enum hc_plan
compress(struct link *l, uint8_t *frame, size_t len, uint32_t origin,
    size_t *mlen)
{
	uint8_t *m = frame + PKT_SEALED_HDR_LEN, ctx, gen;
	size_t n, over = LINK_DGRAM_OVERHEAD;
	enum hc_plan p;

	p = hc_tx_plan(&l->hc_tx, m + PKT_DATA_HDR_LEN, len, origin,
	    now_pkt_us(), &ctx, &gen);
	switch (p) {
	case HC_PLAN_SHORT:
		*mlen = hc_shrink(m, len, ctx, gen);
		l->px->st.hc_tx++;
		return p;
	case HC_PLAN_SET:
		/* it fits: the caller's DATA fit a path MTU <= PKT_MTU_MAX */
		n = hc_set_build(split_msg, m, len, ctx, gen);
		l->px->st.hc_set_tx++;
		*mlen = send_pieces(l, frame, split_msg, n, pkt_frag_count(n,
		    l->pmtu - over - PKT_FRAG_HDR_LEN)) == -1 ? 0 : n;
		return p;
	case HC_PLAN_NONE:
	default:
		return p;
	}
}

int
link_send_data(struct link *l, uint8_t *frame, size_t len, uint8_t ttl,
    uint32_t origin)
{
	size_t over = LINK_DGRAM_OVERHEAD;
	size_t mlen = len + PKT_DATA_HDR_LEN;	/* the DATA message */
	uint8_t *h = frame + PKT_SEALED_HDR_LEN;
	unsigned count;

	h[0] = PKT_MSG_DATA;
	h[1] = ttl;
	h[2] = (uint8_t)(origin >> 24);
	h[3] = (uint8_t)(origin >> 16);
	h[4] = (uint8_t)(origin >> 8);
	h[5] = (uint8_t)origin;
	if (l->state == LINK_UP && over + mlen > l->pmtu) {
		enum hc_plan p = HC_PLAN_NONE;

		/* 28 bytes of headers fewer may spare the split */
		if (over + mlen - HC_SAVES <= l->pmtu &&
		    (l->peer_feat & PKT_FEAT_HC) && l->tp->kind == LINK_TP_UDP)
			p = compress(l, frame, len, origin, &mlen);
		if (p == HC_PLAN_SET)		/* sent whole, split */
			return mlen == 0 ? -1 : 0;
		if (p == HC_PLAN_NONE) {
			count = pkt_frag_count(mlen, l->pmtu - over -
			    PKT_FRAG_HDR_LEN);
			if (count < 2) {
				l->px->st.drop_toobig++;
				return -1;
			}
			return send_split(l, frame, mlen, count);
		}
	}
	if (!txq_is_slot(l->px, frame) || l->tp->kind != LINK_TP_UDP)
		return seal_send(l, frame, mlen, true);
	/* built in the send batch's slot: seal and queue it */
	if (seal(l, frame, mlen) == -1)
		return -1;
	l->tx_packets++;
	l->tx_bytes += PKT_SEALED_HDR_LEN + mlen + PKT_TAG_LEN;
	txq_commit(l->px, PKT_SEALED_HDR_LEN + mlen + PKT_TAG_LEN, &l->peer);
	return 0;
}

/*
 * Once a second per up link: the peer's certificate past its notAfter
 * closes the link (the peer is told); a key sealed to its limit closes
 * it; a rekey that took too long is dropped; the old keys' grace ends;
 * a rekey of ours starts when due.
 */
static void
link_tick_keys(struct link *l, uint64_t now)
{
	struct proxyd *px = l->px;
	struct pkt_msg bye = { .type = PKT_MSG_CLOSE };
	char why[200], at[32], who[128];
	struct tm tm;

	bye.u.close_reason = PKT_CLOSE_SHUTDOWN;
	if (l->peer_not_after != 0 && time(NULL) >= l->peer_not_after) {
		if (gmtime_r(&l->peer_not_after, &tm) == NULL ||
		    strftime(at, sizeof(at), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
			snprintf(at, sizeof(at), "?");
		snprintf(why, sizeof(why), "the peer's certificate expired "
		    "(not after %s)", at);
		px->st.expired_closed++;
		log_warnx("%s: %s: closing the link", link_who(l, who,
		    sizeof(who)), why);
		(void)link_send_msg(l, &bye);
		link_close(l, why);
		return;
	}
	if (l->exhausted || l->tx_seq >= LINK_SEAL_MAX) {
		log_warnx("%s: %llu packets sealed on one key and no rekey: "
		    "closing the link rather than sealing more",
		    link_who(l, who, sizeof(who)),
		    (unsigned long long)l->tx_seq);
		link_close(l, "key used up: no rekey before 2^32 packets");
		return;
	}
	if (l->rk.ssl != NULL && now - l->rk.start_us >
	    (uint64_t)LINK_HS_TIMEOUT_S * 1000000)
		rekey_abandon(l, "timed out");
	if (l->old.session != 0 && now >= l->old.until_us)
		old_release(l);
	if (rekey_due(l, now))
		link_rekey(l);		/* may close l */
}

/*
 * auto: no UDP handshake within LINK_AUTO_TCP_S; the same attempt goes on
 * over TCP at once.
 */
static void
udp_gave_up(struct link *l)
{
	char who[128];

	log_info("%s: no UDP handshake within %d s: trying TCP port %u",
	    link_who(l, who, sizeof(who)), LINK_AUTO_TCP_S, l->nbr->tcp_port);
	snprintf(l->last_error, sizeof(l->last_error), "no UDP handshake "
	    "within %d s (UDP blocked?)", LINK_AUTO_TCP_S);
	l->udp_failed = true;
	l->px->st.udp_fallbacks++;
	l->tp->release(l, false);
	l->state = LINK_IDLE;
	hs_start(l);
}

/* The try beside up link l (moving), or NULL. */
static struct link *
beside_try(const struct link *l)
{
	for (struct link *t = l->px->links; t != NULL; t = t->next)
		if (t->moving && t->nbr == l->nbr && t != l)
			return t;
	return NULL;
}

/*
 * A UDP handshake to neighbour l at to, beside the up link l, to take its
 * place: if it completes, link_up() moves l to it (link_move()); if not,
 * it is freed.  The caller has backed the next try off already.  The try
 * in its handshake, or NULL (none started).
 */
static struct link *
beside_dial(struct link *l, const struct ep *to, bool v6)
{
	struct link *t;

	if ((t = link_alloc(l->px)) == NULL)
		return NULL;
	t->nbr = l->nbr;
	t->initiator = true;
	t->moving = true;
	t->v6_try = v6;
	snprintf(t->name, sizeof(t->name), "%s", l->name);
	set_peer(t, to);
	hs_start(t);		/* may free t */
	return beside_try(l);
}

/* On TCP: UDP to the same address, backed off (LINK_UDP_RETRY_MIN_S). */
static void
udp_retry(struct link *l, uint64_t now)
{
	if (beside_try(l) != NULL)
		return;		/* one try at a time */
	l->udp_retry_us = now + (uint64_t)l->udp_retry_s * 1000000;
	l->udp_retry_s = l->udp_retry_s * 2 > LINK_UDP_RETRY_MAX_S ?
	    LINK_UDP_RETRY_MAX_S : l->udp_retry_s * 2;
	log_debug("neighbour '%s': trying UDP again beside the TCP link",
	    l->name);
	(void)beside_dial(l, &l->peer, false);
}

/* Whether up link l should try IPv6 beside it (LINK_V6_RETRY_MIN_S). */
static bool
v6_wanted(const struct link *l)
{
	return l->initiator && l->nbr != NULL && !l->ephemeral &&
	    !l->following && !l->moving && l->tp->kind == LINK_TP_UDP &&
	    l->peer.family == AF_INET && ep_is_set(&l->alt_peer) &&
	    l->alt_peer.family == AF_INET6 &&
	    proxyd_sock(l->px, AF_INET6, PSOCK_PRIMARY) != NULL;
}

/* The session of try t is announced on up link l (PKT_MSG_MOVE). */
static void
move_announce(struct link *l, const struct link *t)
{
	struct pkt_msg m = { .type = PKT_MSG_MOVE };

	if (t->session == 0)
		return;
	m.u.move = t->session;
	(void)link_send_msg(l, &m);
}

/* On IPv4: IPv6 beside the up link, backed off, its session announced. */
static void
v6_retry(struct link *l, uint64_t now)
{
	struct link *t;
	char a[EP_STRLEN];

	if (beside_try(l) != NULL)
		return;		/* one try at a time */
	/* v6_try_failed() sets the next try; this if the try just vanishes */
	l->v6_retry_us = now + (uint64_t)(LINK_HS_TIMEOUT_S + 1 +
	    l->v6_retry_s) * 1000000;
	l->px->st.family_upgrade_tries++;
	log_debug("neighbour '%s': trying IPv6 (%s) again beside the IPv4 "
	    "link", l->name, addr_str(&l->alt_peer, a, sizeof(a)));
	if ((t = beside_dial(l, &l->alt_peer, true)) != NULL)
		move_announce(l, t);
}

void
link_tick(struct proxyd *px)
{
	struct link *l, *next;
	uint64_t now = now_us();
	char who[128], why[64];

	cookie_rotate(px, now);
	for (l = px->links; l != NULL; l = next) {
		next = l->next;
		if (lookup_due(l, now))
			lookup_start(l);
		switch (l->state) {
		case LINK_IDLE:
			if (now >= l->next_try_us && link_find(px, l->name) ==
			    NULL)
				hs_start(l);
			break;
		case LINK_HANDSHAKE:
			if (l->tp->kind == LINK_TP_UDP && auto_tcp(l) &&
			    now - l->hs_start_us >=
			    (uint64_t)LINK_AUTO_TCP_S * 1000000) {
				udp_gave_up(l);
				break;
			}
			if (now - l->hs_start_us >
			    (uint64_t)LINK_HS_TIMEOUT_S * 1000000) {
				if (l->tp->kind == LINK_TP_TCP)
					px->st.tcp_hs_timeout++;
				log_debug("%s: handshake timed out",
				    link_who(l, who, sizeof(who)));
				link_close(l, "handshake timed out");
			}
			break;
		case LINK_UP:
			if (l->refusals != 0 && now - l->up_us >
			    (uint64_t)LINK_CLONE_HOLD_S * 1000000)
				l->refusals = 0;
			if (now - l->last_rx_us >
			    (uint64_t)link_dead_after(l) * 1000000) {
				snprintf(why, sizeof(why),
				    "dead: nothing heard for %d s",
				    link_dead_after(l));
				link_close(l, why);
				break;
			}
			if (now - l->last_ka_us >=
			    (uint64_t)l->ka_interval_s * 1000000) {
				send_keepalive(l, now);
				if (!l->feat_heard &&
				    l->feat_sent < PKT_FEAT_SEND_MAX)
					send_features(l);
			}
			if (now >= l->pmtu_next_us)
				pmtu_round(l, now);
			if (l->tp->kind == LINK_TP_TCP && auto_tcp(l) &&
			    !l->following && now >= l->udp_retry_us)
				udp_retry(l, now);
			if (v6_wanted(l) && now >= l->v6_retry_us)
				v6_retry(l, now);
			link_tick_keys(l, now);	/* may close l */
			break;
		}
	}
}

void
link_shutdown(struct proxyd *px)
{
	struct pkt_msg bye = { .type = PKT_MSG_CLOSE };

	bye.u.close_reason = PKT_CLOSE_SHUTDOWN;
	while (px->links != NULL) {
		struct link *l = px->links;

		if (l->state == LINK_UP)
			link_send_msg(l, &bye);
		l->tp->release(l, false);
		free_learned(l);	/* free, do not retry */
		l->state = LINK_IDLE;
		link_unlink_free(l);
	}
	free(px->frags);
	px->frags = NULL;
	free(px->clones);
	px->clones = NULL;
}

/*
 * The up link m whose place t, just authenticated, takes: t is the same
 * peer over another transport from the same address (UDP back after TCP,
 * or TCP when UDP stopped); or our own try beside m (UDP after TCP, IPv6
 * after IPv4); or the try the peer announced on m (PKT_MSG_MOVE) with
 * the certificate m's peer has.  Not a restart, not a clone.
 */
static struct link *
move_target(const struct link *t)
{
	uint64_t now = now_us();

	for (struct link *m = t->px->links; m != NULL; m = m->next) {
		if (m == t || m->state != LINK_UP ||
		    strcmp(m->name, t->name) != 0)
			continue;
		if (m->tp != t->tp && ep_addr_eq(&m->peer, &t->peer))
			return m;
		if (t->moving && t->nbr == m->nbr)
			return m;
		if (race_siblings(t, m) && t->peer.family == AF_INET6)
			return m;
		if (!t->initiator && t->tp->kind == LINK_TP_UDP &&
		    m->move_session != 0 && m->move_session == t->session &&
		    now < m->move_until_us && m->peer_cert != NULL &&
		    t->peer_cert != NULL &&
		    X509_cmp(m->peer_cert, t->peer_cert) == 0)
			return m;
	}
	return NULL;
}

/*
 * Make-before-break: the up link m takes t's transport, session and keys
 * (t is up and authenticated as m's peer), and t goes without a word to
 * the engines, who keep seeing m, up throughout.  m's old transport is
 * released; a stream lingers a moment, so that a peer that has not moved
 * yet does not see it closed.  Both ends move on their own handshake's
 * completion, a round trip apart at most: packets sealed under the old
 * keys in between are dropped (counted), as a short loss.
 */
static void
link_move(struct link *m, struct link *t)
{
	struct proxyd *px = m->px;
	const struct link_tp *was = m->tp;
	struct ep was_peer = m->peer;
	bool up6 = m->peer.family == AF_INET && t->peer.family == AF_INET6;
	char who[128], a[EP_STRLEN], b[EP_STRLEN];
	uint64_t now = now_us();

	m->tp->release(m, true);
	m->tp = t->tp;
	m->tp_state = t->tp_state;
	t->tp_state = NULL;
	m->tp->rebind(m, t);
	t->tp = &udp_tp;		/* nothing left to release */
	/* fresh keys: any rekey of the old session is moot */
	rekey_release(m);
	keys_retire(m, now);		/* packets in flight still open */
	m->session = t->session;
	m->aead = t->aead;
	memset(&t->aead, 0, sizeof(t->aead));
	replay_init(&m->replay);
	m->tx_seq = 0;
	m->peer = t->peer;
	m->move_session = 0;
	X509_free(m->peer_cert);		/* the new handshake's */
	m->peer_cert = t->peer_cert;
	t->peer_cert = NULL;
	m->peer_not_after = t->peer_not_after;
	m->exhausted = false;
	m->frag_sess = m->session;
	hc_reset(m);
	m->key_us = now;
	m->rekey_after_us = 0;
	m->rekey_now = false;
	m->last_rx_us = now;
	m->moves++;
	if (m->tp->kind == LINK_TP_UDP) {
		m->udp_failed = false;
		m->udp_retry_s = LINK_UDP_RETRY_MIN_S;
		m->pmtu = LINK_PMTU_MIN;
		m->pmtu_round = 0;
		pmtu_round(m, now);
	} else {
		m->udp_retry_us = now + (uint64_t)m->udp_retry_s * 1000000;
		m->pmtu = LINK_STREAM_PMTU;
		m->pmtu_next_us = UINT64_MAX;
	}
	px->st.link_moves++;
	if (up6) {
		/* the name's other address is now the IPv4 one */
		if (m->nbr != NULL && m->initiator && m->named) {
			m->alt_peer = ep_is_set(&m->dns_addr) ? m->dns_addr :
			    was_peer;
			m->alt_peer.port = m->nbr->port;
			m->dns_addr = m->peer;
		}
		m->upgrades++;
		px->st.family_upgrades++;
		log_info("%s: link moved from IPv4 %s to IPv6 %s (%s, session "
		    "%08x), make-before-break", link_who(m, who, sizeof(who)),
		    addr_str(&was_peer, a, sizeof(a)), addr_str(&m->peer, b,
		    sizeof(b)), m->tp->name, m->session);
	} else
		log_info("%s: link moved from %s %s to %s %s (session %08x), "
		    "make-before-break", link_who(m, who, sizeof(who)),
		    was->name, addr_str(&was_peer, a, sizeof(a)), m->tp->name,
		    addr_str(&m->peer, b, sizeof(b)), m->session);
	evtimer_del(t->hs_timer);
	t->state = LINK_IDLE;
	link_unlink_free(t);
	send_keepalive(m, now);
	if (px->link_ev->moved != NULL)
		px->link_ev->moved(m);
}

struct link *
link_stream_accept(struct proxyd *px, const struct ep *from)
{
	struct link *l;

	if (px->n_handshakes >= LINK_HS_MAX ||
	    hs_from(px, from) >= LINK_HS_PER_SOURCE) {
		px->st.drop_hs_limit++;
		px->st.tcp_hs_limit++;
		return NULL;
	}
	if (px->tcp_tp == NULL || (l = link_alloc(px)) == NULL)
		return NULL;
	l->tp = px->tcp_tp;
	l->peer = *from;
	l->resolved = true;
	l->state = LINK_HANDSHAKE;
	l->hs_start_us = now_us();
	px->n_handshakes++;
	l->hs_counted = true;
	return l;
}

void
link_stream_up(struct link *l, SSL *ssl)
{
	uint8_t s[4];
	static const char label[] = "EXPORTER-proxyd-stream-session";

	/* both ends derive the session id of the stream from its secret */
	if (SSL_export_keying_material(ssl, s, sizeof(s), label,
	    strlen(label), NULL, 0, 0) != 1) {
		link_close(l, "cannot derive the stream's session");
		return;
	}
	l->session = (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 |
	    (uint32_t)s[2] << 8 | s[3];
	link_up(l, ssl);
}

void
link_stream_fail(struct link *l, SSL *ssl, int err)
{
	hs_fail(l, ssl, err);
}

const char *
link_transport_name(const struct link *l)
{
	return l->tp->name;
}

bool
link_datagrams(const struct link *l)
{
	return l->tp->kind == LINK_TP_UDP;
}

unsigned
link_cost_extra(const struct link *l)
{
	return l->tp->kind == LINK_TP_TCP ? LINK_TCP_COST_EXTRA : 0;
}

bool
link_udp_blocked(const struct proxyd *px)
{
	bool fell_back = false;

	for (const struct link *l = px->links; l != NULL; l = l->next) {
		if (l->state != LINK_UP || l->moving)
			continue;
		if (l->tp->kind == LINK_TP_UDP)
			return false;
		fell_back |= l->udp_failed;
	}
	return fell_back;
}
