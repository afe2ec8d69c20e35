/* SPDX-License-Identifier: ISC */
/*
 * Link-state flooding over authenticated links.  Our advertisement lists
 * our prefixes, our up links (peer, our NAT type toward it, a cost from the
 * RTT) and, when outsiders can reach us, our endpoint.  It is re-originated
 * when links or NAT types change and refreshed every TOPO_REFRESH_S so the
 * costs follow the RTT without flooding on every keepalive.  Received
 * advertisements are flooded to every other neighbour when newer; an older
 * one gets ours back.  Routes come from a shortest-path run over the
 * database (lib/topo.c) and are installed on the TUN when they change.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <openssl/rand.h>

#include "ipaddr.h"
#include "kroute.h"
#include "link.h"
#include "log.h"
#include "lsaq.h"
#include "lsasig.h"
#include "peer.h"
#include "topology.h"
#include "tun.h"

static struct pkt_msg lsa_msg;	/* large: one, reused */

/*
 * An endpoint others may link to, at most one per family (the first
 * found: a configured public endpoint before a measured one).
 */
static void
add_ep(struct pkt_lsa *a, const struct ep *e)
{
	if (!ep_wire_ok(e) || !ep_is_set(e) || a->n_eps >= PKT_LSA_EP_MAX)
		return;
	for (int i = 0; i < a->n_eps; i++)
		if (a->eps[i].family == e->family)
			return;
	a->eps[a->n_eps++] = *e;
}

/*
 * The advertised endpoint of a we can send to (we listen on its family),
 * IPv6 first; NULL if none.
 */
static const struct ep *
reachable_ep(struct proxyd *px, const struct pkt_lsa *a)
{
	static const int fams[] = { AF_INET6, AF_INET };

	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++)
		for (int i = 0; i < a->n_eps && i < PKT_LSA_EP_MAX; i++)
			if (a->eps[i].family == fams[f] && proxyd_sock(px,
			    fams[f], PSOCK_PRIMARY) != NULL)
				return &a->eps[i];
	return NULL;
}

/*
 * Whether up link l is drained: its peer's certificate ends within
 * TOPOLOGY_DRAIN_S, and the link will close then (link.c closes it, and a
 * rekey would be refused).  A drained link is left out of our
 * advertisement while it still works, so that every proxy moves its
 * routes off it (the link-state form of a graceful shutdown, as OSPF's
 * stub-router advertisement, RFC 6987) before it closes: a relay that
 * vanishes under the traffic loses what is in flight toward it, and while
 * the news travels neighbours can route through each other for a moment.
 * Either end leaving it out is enough (routes use two-way links only).
 */
static bool
draining(const struct link *l, time_t now)
{
	return l->peer_not_after != 0 &&
	    now + TOPOLOGY_DRAIN_S >= l->peer_not_after;
}

/* Up links drained now (see draining()). */
static size_t
count_draining(const struct proxyd *px, time_t now)
{
	size_t n = 0;

	for (const struct link *l = px->links; l != NULL; l = l->next)
		n += l->state == LINK_UP && draining(l, now);
	return n;
}

/*
 * The cost we advertise for link l, measured now at cost: the one we
 * advertised last while the measure stays within TOPOLOGY_COST_BAND of it
 * (a third either way, or 1 ms), else the measure.  A cost follows the
 * last keepalive's RTT, which jitters, most under load; advertised as
 * measured, nearly every refresh would carry other costs, and every proxy
 * in the network would compute its routes again for each (N proxies
 * refreshing every TOPO_REFRESH_S: N^2 / TOPO_REFRESH_S route runs a
 * second in all).  Within the band a refresh repeats the links, and the
 * others store it without a route run (topo_receive_checked()).  A real
 * change of the path (a slower uplink, TCP instead of UDP) leaves the
 * band and goes out with the next advertisement.
 */
static uint16_t
advertised_cost(struct link *l, unsigned cost)
{
	unsigned last = l->adv_cost, d;

	if (cost > UINT16_MAX)
		cost = UINT16_MAX;
	d = cost > last ? cost - last : last - cost;
	if (last == 0 || (d > TOPOLOGY_COST_BAND_ABS &&
	    d * TOPOLOGY_COST_BAND_DIV > last))
		l->adv_cost = (uint16_t)cost;
	return l->adv_cost;
}

static void
build_own(struct proxyd *px, struct pkt_lsa *a)
{
	const struct conf *c = px->conf;
	time_t now = time(NULL);

	memset(a, 0, sizeof(*a));
	snprintf(a->origin, sizeof(a->origin), "%s", c->name);
	for (size_t i = 0; i < c->n_prefixes && i < PKT_LSA_PREFIX_MAX; i++) {
		/* an aliased prefix is known by its alias only */
		if (c->prefixes[i].v6) {
			a->prefixes[a->n_prefixes].v6 = true;
			a->prefixes[a->n_prefixes].addr6 = c->prefixes[i].addr6;
		} else
			a->prefixes[a->n_prefixes].addr =
			    conf_prefix_adv(&c->prefixes[i]);
		a->prefixes[a->n_prefixes++].plen = c->prefixes[i].plen;
	}
	if (c->has_public) {
		struct ep pub = ep_v4(c->public_addr, c->public_port);

		add_ep(a, &pub);
	}
	for (struct link *l = px->links; l != NULL; l = l->next) {
		struct pkt_lsa_link *k;
		bool dup = false;

		/*
		 * Direct links serve the channel between their two ends
		 * only: advertised, they would make those sites transit for
		 * everyone else.  The ends route over them locally.
		 */
		if (l->state != LINK_UP || peer_link_is_direct(l) ||
		    draining(l, now) || a->n_links >= PKT_LSA_LINK_MAX)
			continue;
		for (int i = 0; i < a->n_links; i++)
			dup |= strcmp(a->links[i].peer, l->name) == 0;
		if (dup)
			continue;
		k = &a->links[a->n_links++];
		snprintf(k->peer, sizeof(k->peer), "%s", l->name);
		k->nat = peer_own_nat(l);
		/*
		 * cost: 1 + RTT in tenths of a millisecond, plus what the
		 * transport adds (TCP: head-of-line blocking, retransmits
		 * inside the link), so routes prefer UDP links
		 */
		k->cost = advertised_cost(l, (unsigned)(l->rtt_ms < 0 ? 1 :
		    l->rtt_ms > 6000 ? 60001 : (unsigned)(1 + l->rtt_ms *
		    10)) + link_cost_extra(l));
		/* not behind a NAT toward it: reachable where it sees us */
		if (k->nat == NAT_TYPE_OPEN) {
			struct ep m;

			if (peer_own_mapped(l, &m))
				add_ep(a, &m);
		}
	}
}

static void
send_lsa(struct link *l, const char *origin)
{
	struct proxyd *px = l->px;

	lsa_msg.type = PKT_MSG_LSA;
	if (topo_copy(px->topo, origin, now_us(), &lsa_msg.u.lsa) == 0)
		link_send_msg(l, &lsa_msg);
}

/* To every up link but except and those to the neighbour named from. */
static void
flood(struct proxyd *px, const char *origin, const struct link *except,
    const char *from)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (l != except && l->state == LINK_UP &&
		    (from == NULL || strcmp(l->name, from) != 0))
			send_lsa(l, origin);
}

/*
 * Rebuilds our advertisement and our routes; floods it when asked.  A
 * burst of changes (many links coming up at once, NAT results arriving)
 * would otherwise flood the network once per change: flooding is held to
 * one per hold time, and what changed in between goes out with the next
 * one.  Our own routes follow every change at once.
 *
 * The hold backs off (as OSPF throttles LSA generation, RFC 8405): it
 * starts at TOPOLOGY_FLOOD_MIN_MS, doubles with every flood that follows
 * the one before within twice the hold (changes keep coming), up to
 * TOPOLOGY_FLOOD_MAX_MS, and falls back to the minimum after a quiet
 * spell.  Every flood costs every proxy in the network a signature check,
 * so a network whose links all come up at once (N proxies, each changing
 * for tens of seconds while the others start, learn links and measure
 * NATs) paid N checks per change of every proxy: N^2 a second, more than
 * 200 proxies on two cores could do.  A single change after a quiet spell
 * still goes out at once, and bad news within the minimum hold whatever
 * the back-off (originate_bad_news()).
 */
static void
flood_hold_next(struct proxyd *px, uint64_t now)
{
	uint64_t hold = px->flood_hold_ms != 0 ? px->flood_hold_ms :
	    TOPOLOGY_FLOOD_MIN_MS;

	if (px->last_originate_us != 0 &&
	    now - px->last_originate_us < 2 * hold * 1000)
		hold = hold * 2 > TOPOLOGY_FLOOD_MAX_MS ?
		    TOPOLOGY_FLOOD_MAX_MS : hold * 2;
	else
		hold = TOPOLOGY_FLOOD_MIN_MS;
	px->flood_hold_ms = (uint32_t)hold;
}
/*
 * The time to our next refresh: TOPO_REFRESH_S less up to a quarter, at
 * random.  Proxies started together would otherwise refresh together for
 * ever (bench-scale N=200: 39,000 datagrams a second for a few seconds
 * every minute, 3,000 in between).
 */
static uint64_t
refresh_interval(void)
{
	uint64_t full = (uint64_t)TOPO_REFRESH_S * 1000000;
	uint32_t r;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)random();
	return full - (full / 4) * r / UINT32_MAX;
}

static void
originate_now(struct proxyd *px, bool flood_it)
{
	static struct pkt_lsa own;

	build_own(px, &own);
	px->n_draining = count_draining(px, time(NULL));
	own.seq = topo_next_seq(px->topo, (uint64_t)time(NULL) << 20);
	if (px->lsa_key != NULL && lsasig_sign(px->lsa_key, &own) == -1)
		log_warnx("cannot sign our advertisement: the others will "
		    "drop it");
	if (topo_set_self(px->topo, &own, now_us()) == -1) {
		log_warnx("cannot store our own advertisement");
		return;
	}
	if (flood_it) {
		flood_hold_next(px, now_us());
		px->last_originate_us = now_us();
		px->refresh_us = refresh_interval();
		flood(px, px->conf->name, NULL, NULL);
	}
	topology_recompute(px);
}

static void	verify_one(void *, const struct lsaq_item *);
static bool	flood_held(struct proxyd *, uint64_t);
static uint64_t	clock_cb(void *);
static void	verify_cb(evutil_socket_t, short, void *);
static void	queue_stats(struct proxyd *);

static void
originate_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proxyd *px = arg;

	(void)fd;
	(void)what;
	px->originate_pending = false;
	/* early (a clock step): the flood waits for its hold still */
	if (!flood_held(px, now_us()))
		originate_now(px, true);
}

/*
 * True if our flood must wait (the hold since the last has not passed):
 * then the timer that sends it is armed.
 */
static bool
flood_held(struct proxyd *px, uint64_t now)
{
	uint64_t wait, hold;
	struct timeval tv;

	hold = (uint64_t)(px->flood_hold_ms != 0 ? px->flood_hold_ms :
	    TOPOLOGY_FLOOD_MIN_MS) * 1000;
	if (px->last_originate_us == 0 || now - px->last_originate_us >=
	    hold)
		return false;
	if (px->originate_pending)
		return true;
	wait = hold - (now - px->last_originate_us);
	tv.tv_sec = (time_t)(wait / 1000000);
	tv.tv_usec = (suseconds_t)(wait % 1000000);
	if (evtimer_add(px->originate_ev, &tv) == 0)
		px->originate_pending = true;
	return true;
}

void
topology_originate(struct proxyd *px)
{
	originate_now(px, !flood_held(px, now_us()));
}

/*
 * Bad news (a link of ours gone, or drained) goes out within
 * TOPOLOGY_FLOOD_MIN_MS of our last flood whatever the back-off: until it
 * does, the others route through us to a proxy we no longer reach (with
 * the hold at its longest, for up to TOPOLOGY_FLOOD_MAX_MS).  The back-off
 * is for the storms of good news a network starting at once makes (links
 * coming up, NAT results); a loss starts it again from the minimum.
 */
static void
originate_bad_news(struct proxyd *px)
{
	if (px->flood_hold_ms > TOPOLOGY_FLOOD_MIN_MS) {
		px->flood_hold_ms = TOPOLOGY_FLOOD_MIN_MS;
		if (px->originate_pending) {
			evtimer_del(px->originate_ev);
			px->originate_pending = false;
		}
	}
	topology_originate(px);
}

static void
recompute_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proxyd *px = arg;

	(void)fd;
	(void)what;
	px->recompute_pending = false;
	topology_recompute(px);
}

/*
 * Routes after a burst of advertisements: once, when the loop has handled
 * what arrived (a zero timer runs after the current batch of reads), not
 * once per advertisement, and at most once per TOPOLOGY_RECOMPUTE_MIN_MS.
 * A database exchange of thousands of origins then costs a few
 * shortest-path runs, not thousands, and the loop stays free for the
 * control socket, keepalives and signals in between.
 */
static void
recompute_soon(struct proxyd *px)
{
	struct timeval tv = { 0, 0 };
	uint64_t since = now_us() - px->last_recompute_us,
	    hold = (uint64_t)TOPOLOGY_RECOMPUTE_MIN_MS * 1000;

	if (px->recompute_pending)
		return;
	if (px->last_recompute_us != 0 && since < hold)
		tv.tv_usec = (suseconds_t)(hold - since);
	if (px->recompute_ev != NULL && evtimer_add(px->recompute_ev, &tv)
	    == 0)
		px->recompute_pending = true;
	else
		topology_recompute(px);
}

static bool
lsa_revoked(const struct pkt_lsa *a, void *arg)
{
	X509_CRL *crl = arg;

	if (!lsasig_der_revoked(a->cert, a->cert_len, crl))
		return false;
	log_warnx("advertisement of '%s' seq %llu withdrawn: the CRL in force "
	    "revokes its certificate", a->origin, (unsigned long long)a->seq);
	return true;
}

void
topology_crl_changed(struct proxyd *px, X509_CRL *crl)
{
	if (px->lsa_verifier != NULL)
		lsasig_verifier_set_crl(px->lsa_verifier, crl);
	if (px->topo == NULL || crl == NULL)
		return;
	if (topo_remove_if(px->topo, lsa_revoked, crl) > 0)
		recompute_soon(px);
}

void
topology_settle(struct proxyd *px)
{
	static const struct lsaq_budget all = { UINT32_MAX, UINT64_MAX };

	if (px->lsaq != NULL) {
		(void)lsaq_drain(px->lsaq, &all, clock_cb, verify_one, px);
		queue_stats(px);
		if (px->verify_pending) {
			evtimer_del(px->verify_ev);
			px->verify_pending = false;
		}
	}
	if (px->recompute_pending)
		topology_recompute(px);
}

int
topology_init(struct proxyd *px)
{
	const struct conf *c = px->conf;

	if ((px->topo = topo_new(c->name)) == NULL ||
	    (px->lsaq = lsaq_new(TOPO_DEFAULT_MAX_ORIGINS,
	    TOPOLOGY_QUEUE_BYTES)) ==
	    NULL ||
	    (px->verify_ev = evtimer_new(px->base, verify_cb, px)) == NULL ||
	    (px->originate_ev = evtimer_new(px->base, originate_cb, px)) ==
	    NULL ||
	    (px->recompute_ev = evtimer_new(px->base, recompute_cb, px)) ==
	    NULL)
		return -1;
	topology_limits(px);
	topology_originate(px);
	return 0;
}

void
topology_limits(struct proxyd *px)
{
	const struct conf *c = px->conf;
	struct topo_limits lim;

	if (c->topo_max_origins <= 0)	/* a conf without the keys */
		return;
	topo_get_limits(px->topo, &lim);
	lim.max_origins = (size_t)c->topo_max_origins;
	lim.max_prefixes = (uint16_t)c->topo_max_prefixes;
	lim.max_links = (uint16_t)c->topo_max_links;
	lim.rate = (uint32_t)c->topo_rate;
	lim.burst = (uint32_t)c->topo_burst;
	topo_set_limits(px->topo, &lim);
	/* a whole database may wait, one per origin (lsaq.h) */
	if (px->lsaq != NULL)
		lsaq_set_limits(px->lsaq, lim.max_origins,
		    TOPOLOGY_QUEUE_BYTES);
}

void
topology_free(struct proxyd *px)
{
	if (px->originate_ev != NULL)
		event_free(px->originate_ev);
	if (px->recompute_ev != NULL)
		event_free(px->recompute_ev);
	if (px->verify_ev != NULL)
		event_free(px->verify_ev);
	px->verify_ev = NULL;
	px->verify_pending = false;
	/* at exit, a production build leaves the big tables to the kernel */
	if (!px->stopping || PROXYD_FREE_AT_EXIT) {
		lsaq_free(px->lsaq);
		topo_free(px->topo);
		free(px->paths);
	}
	px->lsaq = NULL;
	px->topo = NULL;
	px->paths = NULL;
	kroute_free(px);
}

void
topology_link_up(struct link *l, bool direct)
{
	struct proxyd *px = l->px;
	uint16_t age;
	const struct pkt_lsa *a;

	if (direct) {
		topology_recompute(px);		/* our routes to it change */
		return;
	}
	/* database exchange: the new neighbour gets everything we know */
	for (size_t i = 0; (a = topo_at(px->topo, i, now_us(), &age)) != NULL;
	    i++)
		if (strcmp(a->origin, px->conf->name) != 0)
			send_lsa(l, a->origin);
	topology_originate(px);
}

void
topology_link_down(struct proxyd *px, bool direct)
{
	if (direct)
		topology_recompute(px);
	else
		originate_bad_news(px);
}

/*
 * Log lines about dropped or refused advertisements: at most one per
 * TOPOLOGY_LOG_EVERY_S per kind, saying how many were not logged, so a
 * flooding neighbour cannot flood the log too.  The counters count all.
 */
enum drop_kind { DK_SIG, DK_RATE, DK_FULL, DK_REFUSED, DK_MAX };

static bool
log_allowed(enum drop_kind k, uint64_t *suppressed)
{
	static uint64_t last[DK_MAX], skipped[DK_MAX];
	uint64_t now = now_us();

	if (last[k] != 0 && now - last[k] < (uint64_t)TOPOLOGY_LOG_EVERY_S *
	    1000000) {
		skipped[k]++;
		return false;
	}
	last[k] = now;
	*suppressed = skipped[k];
	skipped[k] = 0;
	return true;
}

/* "peer 'x' (addr)" for a link, or the neighbour's name if it went away. */
static const char *
who_of(struct link *l, const char *from, char *buf, size_t len)
{
	if (l != NULL)
		return link_who(l, buf, len);
	snprintf(buf, len, "neighbour '%s' (link since closed)", from);
	return buf;
}

/* Counts and logs an advertisement whose signature check failed. */
static void
sig_dropped(struct proxyd *px, struct link *l, const char *from,
    const struct pkt_lsa *a, enum lsasig_result r)
{
	uint64_t more;
	char who[128];

	switch (r) {
	case LSASIG_UNSIGNED:
		px->st.lsa_unsigned++;
		break;
	case LSASIG_BAD_CERT:
	case LSASIG_REVOKED:
		px->st.lsa_bad_cert++;
		break;
	default:
		px->st.lsa_forged++;
		break;
	}
	if (log_allowed(DK_SIG, &more))
		log_warnx("%s: advertisement of '%s' seq %llu dropped, not "
		    "used and not flooded: %s%s (%llu more not logged)",
		    who_of(l, from, who, sizeof(who)), a->origin,
		    (unsigned long long)a->seq,
		    r == LSASIG_UNSIGNED ? "it is not signed" :
		    r == LSASIG_BAD_CERT ? "its certificate does not chain "
		    "to the network CA" : r == LSASIG_REVOKED ? "the CRL in "
		    "force revokes its certificate" : r == LSASIG_WRONG_NAME ? "its "
		    "certificate names another proxy" : r == LSASIG_BAD_SIG ?
		    "its signature does not verify" : "out of memory",
		    r == LSASIG_BAD_SIG || r == LSASIG_WRONG_NAME ?
		    " (forged?)" : "", (unsigned long long)more);
}

/*
 * An advertisement from neighbour from (its up link l, or NULL if that
 * went away while the advertisement waited).  What would be used (newer
 * than what we hold, or a copy of our own origin that would make us jump
 * our sequence number) and what would be answered with our copy (older)
 * has its signature checked first, so forged junk is neither stored nor
 * flooded nor answered with several KB; duplicates of what we hold (every
 * neighbour floods each advertisement to us) cost a lookup.  What fails
 * is dropped and counted.
 */
static void
lsa_use(struct proxyd *px, struct link *l, const char *from,
    const struct pkt_lsa *a)
{
	enum topo_verdict v = topo_classify(px->topo, a, now_us());
	enum lsasig_result r = LSASIG_UNSIGNED;
	uint64_t refused = 0, more;
	bool no_blocks = false, changed = false;
	size_t origins = topo_count(px->topo);
	char who[128];

	if (v == TOPO_NEWER || v == TOPO_OWN || v == TOPO_OLDER) {
		if (px->lsa_verifier != NULL)
			r = lsasig_verify(px->lsa_verifier, a, time(NULL),
			    &refused, &no_blocks);
		if (r != LSASIG_OK) {
			sig_dropped(px, l, from, a, r);
			return;
		}
		px->st.lsa_verified++;
	}
	switch (topo_receive_checked(px->topo, a, refused, no_blocks ?
	    TOPO_REFUSED_NO_BLOCKS : TOPO_REFUSED_BLOCKS, now_us(),
	    &changed)) {
	case TOPO_NEWER:
		log_debug("%s: advertisement of '%s' seq %llu", who_of(l, from,
		    who, sizeof(who)), a->origin, (unsigned long long)a->seq);
		if (refused != 0) {
			px->st.lsa_refused_prefixes += (uint64_t)
			    __builtin_popcountll(refused);
			if (log_allowed(DK_REFUSED, &more))
				log_warnx("'%s' claims %d prefix(es) it may "
				    "not: %s; refused, not routed (proxyctl "
				    "topology shows them; %llu more not "
				    "logged)", a->origin,
				    __builtin_popcountll(refused),
				    topo_refusal_str(no_blocks ?
				    TOPO_REFUSED_NO_BLOCKS :
				    TOPO_REFUSED_BLOCKS),
				    (unsigned long long)more);
		}
		if (topo_count(px->topo) > origins)
			px->topo_grew_us = now_us();	/* learn_links() */
		flood(px, a->origin, l, from);
		/* a refresh repeating what routes come from changes none */
		if (changed)
			recompute_soon(px);
		else
			px->st.lsa_unchanged++;
		break;
	case TOPO_OLDER:
		if (l != NULL)
			send_lsa(l, a->origin);
		break;
	case TOPO_OWN:
		log_info("an older run of ours advertised seq %llu: "
		    "re-advertising above it", (unsigned long long)a->seq);
		topology_originate(px);
		break;
	case TOPO_INVALID:
		px->st.drop_malformed++;
		break;
	case TOPO_FULL:
		px->st.lsa_full++;
		if (log_allowed(DK_FULL, &more))
			log_warnx("%s: advertisement of new origin '%s' "
			    "dropped: the topology holds its limit of "
			    "proxies ('topology.max_origins'; %llu more not "
			    "logged)", who_of(l, from, who, sizeof(who)),
			    a->origin, (unsigned long long)more);
		break;
	case TOPO_RATE:
		px->st.lsa_rate++;
		if (log_allowed(DK_RATE, &more))
			log_warnx("%s: advertisement of '%s' seq %llu dropped: "
			    "'%s' advertises faster than 'topology.rate' "
			    "allows (%llu more not logged)", who_of(l, from,
			    who, sizeof(who)), a->origin,
			    (unsigned long long)a->seq, a->origin,
			    (unsigned long long)more);
		break;
	case TOPO_SAME:
		break;
	}
}

static void
queue_stats(struct proxyd *px)
{
	struct lsaq_stats qs;

	lsaq_stats(px->lsaq, &qs);
	px->st.lsa_queue = qs.depth;
	px->st.lsa_queue_peak = qs.peak;
	px->st.lsa_queue_dropped = qs.dropped + px->lsaq_aged;
	px->st.lsa_queue_replaced = qs.replaced;
}

/* One waiting advertisement: decoded again, aged by its wait, used. */
static void
verify_one(void *arg, const struct lsaq_item *it)
{
	static struct pkt_msg m;
	struct proxyd *px = arg;
	const char *why;
	uint64_t age;

	if (pkt_msg_decode(it->msg, it->len, &m, &why) == -1 ||
	    m.type != PKT_MSG_LSA) {
		px->st.drop_malformed++;	/* cannot happen: we encoded it */
		return;
	}
	age = m.u.lsa.age_s + (now_us() - it->queued_us) / 1000000;
	if (age >= TOPO_MAX_AGE_S) {
		px->lsaq_aged++;	/* waited until it aged out */
		return;
	}
	m.u.lsa.age_s = (uint16_t)age;
	lsa_use(px, link_find(px, it->from), it->from, &m.u.lsa);
}

static uint64_t
clock_cb(void *arg)
{
	(void)arg;
	return now_us();
}

static void verify_arm(struct proxyd *);

/*
 * The signature checks of waiting advertisements, a slice per loop turn
 * (TOPOLOGY_VERIFY_SLICE_US or TOPOLOGY_VERIFY_BATCH, whichever comes
 * first), then back to the loop: the control socket, keepalives, the data
 * path and signals are served between slices however many wait.
 */
static void
verify_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct lsaq_budget b = { TOPOLOGY_VERIFY_BATCH,
	    TOPOLOGY_VERIFY_SLICE_US };
	struct proxyd *px = arg;
	struct proxyd_t0 t0 = proxyd_work_begin();

	(void)fd;
	(void)what;
	px->verify_pending = false;
	if (px->stopping)
		return;		/* shutting down: what waits goes unchecked */
	(void)lsaq_drain(px->lsaq, &b, clock_cb, verify_one, px);
	queue_stats(px);
	verify_arm(px);
	proxyd_work(px, LOOPLAG_VERIFY, t0);
}

static void
verify_arm(struct proxyd *px)
{
	struct timeval tv = { 0, 0 };

	if (px->verify_pending || px->stopping || lsaq_len(px->lsaq) == 0)
		return;
	if (evtimer_add(px->verify_ev, &tv) == 0)
		px->verify_pending = true;
}

/*
 * An advertisement from a neighbour.  Duplicates of what we hold and what
 * the limits refuse anyway are decided at once (a lookup), as is an
 * unsigned one; what needs its signature checked waits in the queue
 * (lib/lsaq.c: per neighbour, its newest copy of each origin; bounded,
 * drops counted) and is checked a slice per loop turn.
 */
void
topology_lsa_input(struct link *l, const struct pkt_lsa *a)
{
	static struct pkt_msg m;
	static uint8_t buf[PKT_MAX];
	struct proxyd *px = l->px;
	enum topo_verdict v = topo_classify(px->topo, a, now_us());
	int n;

	/* unsigned: refused at once, no crypto to spread */
	if ((v != TOPO_NEWER && v != TOPO_OWN && v != TOPO_OLDER) ||
	    a->cert_len == 0 || a->sig_len == 0 ||
	    px->lsa_verifier == NULL || px->lsaq == NULL) {
		lsa_use(px, l, l->name, a);
		return;
	}
	m.type = PKT_MSG_LSA;
	m.u.lsa = *a;
	if ((n = pkt_msg_encode(&m, buf, sizeof(buf))) <= 0) {
		px->st.drop_malformed++;
		return;
	}
	(void)lsaq_push(px->lsaq, l->name, a->origin, a->seq, buf, (size_t)n,
	    now_us());
	queue_stats(px);
	verify_arm(px);
}

static bool
same_route(const struct route *a, const struct route *b)
{
	return a->addr.s_addr == b->addr.s_addr && a->plen == b->plen;
}

static bool
tables_equal(const struct route_table *a, const struct route_table *b)
{
	if (a->n != b->n || a->n6 != b->n6)
		return false;
	for (size_t i = 0; i < a->n6; i++) {
		const struct route6 *x = &a->v6[i], *y = &b->v6[i];

		if (memcmp(&x->addr, &y->addr, sizeof(x->addr)) != 0 ||
		    x->plen != y->plen || x->hops != y->hops ||
		    x->path_nat != y->path_nat ||
		    strcmp(x->dest, y->dest) != 0 ||
		    strcmp(x->next_hop, y->next_hop) != 0)
			return false;
	}
	for (size_t i = 0; i < a->n; i++) {
		const struct route *x = &a->v[i], *y = &b->v[i];

		if (!same_route(x, y) || x->hops != y->hops ||
		    x->path_nat != y->path_nat ||
		    strcmp(x->dest, y->dest) != 0 ||
		    strcmp(x->next_hop, y->next_hop) != 0)
			return false;
	}
	return true;
}

static void	recompute(struct proxyd *);

void
topology_recompute(struct proxyd *px)
{
	struct proxyd_t0 t0 = proxyd_work_begin();

	recompute(px);
	proxyd_work(px, LOOPLAG_ROUTES, t0);
}

static void
recompute(struct proxyd *px)
{
	struct route_table next;
	struct route ca[8], cb[8];
	struct topo_path *paths = NULL;
	size_t n, npaths = 0;
	char pa[32], pb[32];

	if (px->recompute_pending) {
		evtimer_del(px->recompute_ev);
		px->recompute_pending = false;
	}

	px->last_recompute_us = now_us();
	route_table_init(&next);
	if (topo_compute(px->topo, &next, &paths, &npaths) == -1) {
		log_warnx("cannot compute routes: out of memory");
		route_table_release(&next);
		return;
	}
	free(px->paths);
	px->paths = paths;
	px->n_paths = npaths;
	/* a site we hold a direct link to is one hop away */
	for (size_t i = 0; i < next.n; i++) {
		struct route *r = &next.v[i];
		struct link *d;

		if (r->hops > 0 && (d = link_find(px, r->dest)) != NULL &&
		    peer_link_is_direct(d)) {
			snprintf(r->next_hop, sizeof(r->next_hop), "%s",
			    r->dest);
			r->hops = 1;
		}
	}
	for (size_t i = 0; i < next.n6; i++) {
		struct route6 *r = &next.v6[i];
		struct link *d;

		if (r->hops > 0 && (d = link_find(px, r->dest)) != NULL &&
		    peer_link_is_direct(d)) {
			snprintf(r->next_hop, sizeof(r->next_hop), "%s",
			    r->dest);
			r->hops = 1;
		}
	}
	if (tables_equal(&next, &px->routes)) {
		route_table_release(&next);
		return;
	}
	route_table_release(&px->routes);
	px->routes = next;
	n = route_conflicts_find(&px->routes, ca, cb, 8);
	if (n != px->n_conflicts)
		for (size_t i = 0; i < n; i++)
			log_warnx("prefix conflict: %s claimed by '%s' overlaps "
			    "%s claimed by '%s'; traffic follows the longest "
			    "match, then the nearest claim",
			    route_prefix_str(&ca[i], pa, sizeof(pa)), ca[i].dest,
			    route_prefix_str(&cb[i], pb, sizeof(pb)), cb[i].dest);
	{	/* IPv6 claims: the same check, counted with the IPv4 ones */
		struct route6 c6a[8], c6b[8];
		char q6a[IPPREFIX_STRLEN], q6b[IPPREFIX_STRLEN];
		size_t n6 = route6_conflicts_find(&px->routes, c6a, c6b, 8);

		if (n + n6 != px->n_conflicts)
			for (size_t i = 0; i < n6; i++)
				log_warnx("prefix conflict: %s claimed by '%s' "
				    "overlaps %s claimed by '%s'; traffic "
				    "follows the longest match, then the "
				    "nearest claim",
				    route6_prefix_str(&c6a[i], q6a, sizeof(q6a)),
				    c6a[i].dest, route6_prefix_str(&c6b[i], q6b,
				    sizeof(q6b)), c6b[i].dest);
		n += n6;
	}
	px->n_conflicts = n;
	kroute_sync(px);
	peer_routes_changed(px);
}

const struct topo_path *
topology_path(const struct proxyd *px, const char *dest)
{
	for (size_t i = 0; i < px->n_paths; i++)
		if (strcmp(px->paths[i].dest, dest) == 0)
			return &px->paths[i];
	return NULL;
}

bool
topology_linked(const struct proxyd *px, const char *a, const char *b)
{
	return px->topo != NULL && topo_linked(px->topo, a, b);
}

struct link *
topology_next_link(struct proxyd *px, const char *dest)
{
	const struct topo_path *p = topology_path(px, dest);

	return p != NULL ? link_find(px, p->next_hop) : NULL;
}

/*
 * Links to proxies we learn about: an advertisement with an endpoint
 * says where outsiders reach its origin.  We link to it like to a
 * configured neighbour (the certificate must carry that name), up to
 * TOPOLOGY_LEARNED_MAX, and drop the learned link again when the origin
 * leaves the topology while the link is not up.
 */
/* FNV-1a over "a\0b". */
static uint32_t
pair_hash(const char *a, const char *b)
{
	uint32_t h = 2166136261u;

	for (const char *s = a; ; s++) {
		h = (h ^ (uint8_t)*s) * 16777619u;
		if (*s == '\0')
			break;
	}
	for (const char *s = b; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void
learn_links(struct proxyd *px)
{
	const struct pkt_lsa *a;
	uint16_t age;
	unsigned learned = 0;
	struct link *l, *next;

	for (l = px->links; l != NULL; l = next) {
		next = l->next;
		if (l->learned_nbr == NULL || l->ephemeral)
			continue;
		if (topo_get(px->topo, l->name) == NULL &&
		    l->state != LINK_UP) {
			log_info("learned neighbour '%s' left the topology",
			    l->name);
			link_forget(l);
			continue;
		}
		learned++;
	}
	/*
	 * Candidates in an order of their own for every proxy (a hash of both
	 * names): in database order every proxy would pick the same ones and
	 * make them hubs.  A candidate that already advertises
	 * TOPOLOGY_LEARNED_HUB links comes last: a network that starts at
	 * once knows only the first proxies started when it picks, and
	 * without this every proxy linked to those (bench-scale N=200: 40 to
	 * 130 links on the first few, whose handshakes then failed in
	 * storms and whose every link change was flooded to all).
	 */
	/*
	 * Not while origins keep arriving: a network that starts at once
	 * would pick among the few proxies known yet, the first started, and
	 * make them hubs whatever the order below (bench-scale N=200).
	 */
	if (px->topo_grew_us != 0 && now_us() - px->topo_grew_us <
	    (uint64_t)TOPOLOGY_LEARN_SETTLE_S * 1000000)
		return;
	while (learned < TOPOLOGY_LEARNED_MAX) {
		char host[EP_STRLEN];
		const struct pkt_lsa *best = NULL;
		uint32_t best_h = 0;
		bool best_hub = false;

		for (size_t i = 0; (a = topo_at(px->topo, i, now_us(), &age)) !=
		    NULL; i++) {
			bool known = false, hub;
			uint32_t h;

			if (reachable_ep(px, a) == NULL ||
			    strcmp(a->origin, px->conf->name) == 0)
				continue;
			for (l = px->links; l != NULL; l = l->next)
				known |= strcmp(l->name, a->origin) == 0;
			if (known)
				continue;
			h = pair_hash(px->conf->name, a->origin);
			hub = a->n_links >= TOPOLOGY_LEARNED_HUB;
			if (best == NULL || (best_hub && !hub) ||
			    (hub == best_hub && h < best_h)) {
				best = a;
				best_h = h;
				best_hub = hub;
			}
		}
		if ((a = best) == NULL)
			break;
		if (link_learn(px, a->origin, reachable_ep(px, a)) == NULL)
			return;
		ep_fmt(reachable_ep(px, a), host, sizeof(host));
		learned++;
		log_info("learned neighbour '%s' at %s from the topology",
		    a->origin, host);
	}
}

void
topology_tick(struct proxyd *px)
{
	uint64_t now = now_us();

	if (topo_expire(px->topo, now) > 0)
		topology_recompute(px);
	if (count_draining(px, time(NULL)) != px->n_draining)
		originate_bad_news(px);
	else if (now - px->last_originate_us >= (px->refresh_us != 0 ?
	    px->refresh_us : (uint64_t)TOPO_REFRESH_S * 1000000))
		topology_originate(px);
	learn_links(px);
	kroute_tick(px);
}
