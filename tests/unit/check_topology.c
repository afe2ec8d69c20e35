/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for proxyd/topology.c alone, in the fake world of fake.h: we
 * are proxy "b" (site 10.2.0.0/16) with fake links to neighbours; the
 * tests hand it advertisements as its links would, move the fake clock
 * (and fire the held-back flood's timer, fire_timers()), and read what it
 * flooded, which routes it computed and put on the fake TUN, and which
 * learned links it made or forgot.
 *
 * The usual world: b - a - z, where a (198.51.100.1, site 10.1.0.0/16) is
 * our neighbour and z (site 10.9.0.0/16) is a's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "fake.h"
#include "log.h"
#include "kroute.h"
#include "testpki.h"
#include "topology.h"

#define A_ADDR		"198.51.100.1"
#define C_ADDR		"203.0.113.3"
#define E_ADDR		"203.0.113.5"

static struct proxyd	*px;
static struct link	*la;		/* b -> a, up */
static uint64_t		 seq_z = 100, seq_a = 100;

/* ---- timers on the fake clock: fake_fire_timers() ---- */

#define timers_pending()	fake_timers_pending(px)
#define fire_timers()		fake_fire_timers(px)

/* ---- advertisements ---- */

/*
 * What a neighbour hands us: a copy of a, signed by its origin with a
 * certificate of the test CA (testpki.c) unless a breaks the encoder's
 * rules, then the routes of the burst.
 */
static void
feed(struct link *l, const struct pkt_lsa *a)
{
	static struct pkt_lsa c;
	uint8_t tbs[PKT_LSA_TBS_MAX];

	c = *a;
	if (pkt_lsa_tbs(&c, tbs, sizeof(tbs)) > 0)
		testpki_sign(&c);
	topology_lsa_input(l, &c);
	topology_settle(px);
}

/* The same, unsigned or signed by key, as given. */
static void
feed_raw(struct link *l, const struct pkt_lsa *a)
{
	topology_lsa_input(l, a);
	topology_settle(px);
}

static void
lsa_init(struct pkt_lsa *a, const char *origin, uint64_t seq)
{
	memset(a, 0, sizeof(*a));
	snprintf(a->origin, sizeof(a->origin), "%s", origin);
	a->seq = seq;
}

static void
lsa_prefix(struct pkt_lsa *a, const char *addr, uint8_t plen)
{
	a->prefixes[a->n_prefixes].addr = fake_ip(addr);
	a->prefixes[a->n_prefixes++].plen = plen;
}

static void
lsa_link(struct pkt_lsa *a, const char *peer, uint16_t cost)
{
	struct pkt_lsa_link *k = &a->links[a->n_links++];

	snprintf(k->peer, sizeof(k->peer), "%s", peer);
	k->nat = NAT_TYPE_FULL_CONE;
	k->cost = cost;
}

static void
lsa_ep(struct pkt_lsa *a, const char *addr, uint16_t port)
{
	a->n_eps = 1;
	a->eps[0] = fake_sin(addr, port);
}

/* a's advertisement: its site, links to b and z; a newer one each call. */
static void
feed_a(void)
{
	struct pkt_lsa a;

	lsa_init(&a, "a", ++seq_a);
	lsa_prefix(&a, "10.1.0.0", 16);
	lsa_link(&a, "b", 10);
	lsa_link(&a, "z", 10);
	feed(la, &a);
}

/* z's advertisement (z claims prefix/plen), heard from a. */
static void
feed_z_claim(const char *prefix, uint8_t plen)
{
	struct pkt_lsa a;

	lsa_init(&a, "z", ++seq_z);
	lsa_prefix(&a, "10.9.0.0", 16);
	if (prefix != NULL)
		lsa_prefix(&a, prefix, plen);
	lsa_link(&a, "a", 10);
	feed(la, &a);
}

static void
feed_z(void)
{
	feed_z_claim(NULL, 0);
}

/* LSAs of origin sent on the link named to. */
static size_t
lsas(const char *to, const char *origin)
{
	const struct fake_msg *m;
	size_t n = 0;

	for (size_t i = 0; (m = fake_sent_nth(PKT_MSG_LSA, i)) != NULL; i++)
		n += strcmp(m->link_name, to) == 0 &&
		    strcmp(m->msg.u.lsa.origin, origin) == 0;
	return n;
}

/* The latest LSA of origin sent on the link named to, or NULL. */
static const struct pkt_lsa *
last_lsa(const char *to, const char *origin)
{
	const struct fake_msg *m, *found = NULL;

	for (size_t i = 0; (m = fake_sent_nth(PKT_MSG_LSA, i)) != NULL; i++)
		if (strcmp(m->link_name, to) == 0 &&
		    strcmp(m->msg.u.lsa.origin, origin) == 0)
			found = m;
	return found != NULL ? &found->msg.u.lsa : NULL;
}

static const struct pkt_lsa_link *
own_link(const char *peer)
{
	const struct pkt_lsa *own = topo_get(px->topo, "b");

	for (int i = 0; own != NULL && i < own->n_links; i++)
		if (strcmp(own->links[i].peer, peer) == 0)
			return &own->links[i];
	return NULL;
}

static const struct route *
route_to(const char *addr, uint8_t plen)
{
	struct in_addr a = fake_ip(addr);

	for (size_t i = 0; i < px->routes.n; i++)
		if (px->routes.v[i].addr.s_addr == a.s_addr &&
		    px->routes.v[i].plen == plen)
			return &px->routes.v[i];
	return NULL;
}

/* rtnl_route() calls (add or delete) for addr/plen. */
static size_t
rtnl_calls(bool add, const char *addr, uint8_t plen)
{
	const struct fake_route_call *r;
	size_t n = 0;

	for (size_t i = 0; (r = fake_rtnl_nth(i)) != NULL; i++)
		n += r->add == add && r->dst.s_addr == fake_ip(addr).s_addr &&
		    r->plen == plen && r->ifindex == fake_tun_ifindex;
	return n;
}

/* ---- fixture ---- */

static void
set_prefixes(const char *const *p, size_t n)
{
	struct conf *c = px->conf;

	free(c->prefixes);
	if ((c->prefixes = calloc(n, sizeof(*c->prefixes))) == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(conf_prefix_parse(p[i], &c->prefixes[i]), 0);
	c->n_prefixes = n;
}

static void
setup(void)
{
	static const char *const own[] = { "10.2.0.0/16" };

	px = fake_proxyd_new("b");
	px->lsa_key = testpki_key("b", NULL, false);
	px->lsa_verifier = testpki_verifier(false);
	set_prefixes(own, 1);
	la = fake_link_add(px, "a", LINK_UP, A_ADDR, 4790);
	seq_a = seq_z = 100;
}

static void
teardown(void)
{
	topology_free(px);
	lsasig_verifier_free(px->lsa_verifier);
	fake_proxyd_free(px);
	px = NULL;
}

static void
init(void)
{
	ck_assert_int_eq(topology_init(px), 0);
}

/* b - a - z, with a TUN, routes computed. */
static void
world(void)
{
	fake_tun_attach(px);
	init();
	feed_a();
	feed_z();
}

/* ---- our advertisement ---- */

START_TEST(init_advertises_prefixes_and_up_links)
{
	static const char *const own[] = { "10.2.0.0/16", "10.20.0.0/24" };
	struct link *lc, *ld, *lx;
	const struct pkt_lsa *a;

	set_prefixes(own, 2);
	la->rtt_ms = 5.0;
	fake_set_own_nat(la, NAT_TYPE_FULL_CONE);
	lc = fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);
	fake_set_own_nat(lc, NAT_TYPE_SYMMETRIC);
	ld = fake_link_add(px, "d", LINK_UP, "203.0.113.4", 4790);
	fake_set_direct(ld, true);
	lx = fake_link_add(px, "x", LINK_IDLE, "203.0.113.24", 4790);
	init();
	a = topo_get(px->topo, "b");
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->n_prefixes, 2);
	ck_assert_uint_eq(a->prefixes[0].addr.s_addr,
	    fake_ip("10.2.0.0").s_addr);
	ck_assert_uint_eq(a->prefixes[0].plen, 16);
	ck_assert_uint_eq(a->prefixes[1].addr.s_addr,
	    fake_ip("10.20.0.0").s_addr);
	ck_assert_uint_eq(a->prefixes[1].plen, 24);
	/* up, not direct: a and c; their NAT as we measured it */
	ck_assert_uint_eq(a->n_links, 2);
	ck_assert_ptr_nonnull(own_link("a"));
	ck_assert_int_eq(own_link("a")->nat, NAT_TYPE_FULL_CONE);
	ck_assert_uint_eq(own_link("a")->cost, 51);
	ck_assert_int_eq(own_link("c")->nat, NAT_TYPE_SYMMETRIC);
	ck_assert_uint_eq(own_link("c")->cost, 1);	/* no RTT yet */
	ck_assert_ptr_null(own_link("d"));
	ck_assert_ptr_null(own_link("x"));
	/* behind NATs, not public: no endpoint */
	ck_assert_uint_eq(a->n_eps, 0);
	/* flooded to the up links at once */
	ck_assert_uint_eq(lsas("a", "b"), 1);
	ck_assert_uint_eq(lsas("c", "b"), 1);
	ck_assert_uint_eq(lsas("x", "b"), 0);
	ck_assert_uint_eq(last_lsa("a", "b")->seq, a->seq);
	(void)lx;
}
END_TEST

START_TEST(link_cost_follows_rtt)
{
	la->rtt_ms = 0.5;
	fake_link_add(px, "c", LINK_UP, C_ADDR, 4790)->rtt_ms = 7000;
	fake_link_add(px, "e", LINK_UP, E_ADDR, 4790)->rtt_ms = 6000;
	init();
	ck_assert_uint_eq(own_link("a")->cost, 6);
	ck_assert_uint_eq(own_link("c")->cost, 60001);
	ck_assert_uint_eq(own_link("e")->cost, 60001);
}
END_TEST

/* Our advertisement again, its flood hold passed. */
static const struct pkt_lsa_link *
cost_after(double rtt_ms)
{
	la->rtt_ms = rtt_ms;
	fake_advance_s(10);
	topology_originate(px);
	return own_link("a");
}

/*
 * An advertised cost stays while the RTT measured stays within a third of
 * it or 1 ms (jitter), and follows a real change.
 */
START_TEST(link_cost_keeps_its_band)
{
	la->rtt_ms = 0.5;
	init();
	ck_assert_uint_eq(own_link("a")->cost, 6);
	ck_assert_uint_eq(cost_after(0.9)->cost, 6);
	ck_assert_uint_eq(cost_after(1.5)->cost, 6);	/* 1 ms: the edge */
	ck_assert_uint_eq(cost_after(1.7)->cost, 18);
	ck_assert_uint_eq(cost_after(100)->cost, 1001);
	ck_assert_uint_eq(cost_after(120)->cost, 1001);	/* within a third */
	ck_assert_uint_eq(cost_after(80)->cost, 1001);
	ck_assert_uint_eq(cost_after(140)->cost, 1401);
	ck_assert_uint_eq(cost_after(60)->cost, 601);
	ck_assert_uint_eq(cost_after(-1)->cost, 1);	/* unmeasured */
	ck_assert_uint_eq(cost_after(7000)->cost, 60001);
}
END_TEST

/*
 * A refresh that repeats the links and prefixes of the copy we hold is
 * stored and flooded on, but computes no routes; a changed one does.
 */
START_TEST(refresh_with_the_same_links_computes_no_routes)
{
	struct link *lc = fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);
	struct pkt_lsa a;
	uint64_t ran;

	world();
	ran = px->last_recompute_us;
	ck_assert_uint_ne(ran, 0);
	fake_advance_s(2);
	feed_a();			/* newer, the same links */
	ck_assert_uint_eq(px->st.lsa_unchanged, 1);
	ck_assert_uint_eq(px->last_recompute_us, ran);
	ck_assert_uint_eq(topo_get(px->topo, "a")->seq, seq_a);
	ck_assert_uint_eq(last_lsa("c", "a")->seq, seq_a);	/* flooded */
	fake_advance_s(2);
	lsa_init(&a, "a", ++seq_a);
	lsa_prefix(&a, "10.1.0.0", 16);
	lsa_link(&a, "b", 10);
	lsa_link(&a, "z", 20);		/* another cost */
	feed(la, &a);
	ck_assert_uint_eq(px->st.lsa_unchanged, 1);
	ck_assert_uint_gt(px->last_recompute_us, ran);
	ck_assert_ptr_nonnull(route_to("10.9.0.0", 16));
	(void)lc;
}
END_TEST

START_TEST(endpoint_when_public)
{
	px->conf->has_public = true;
	px->conf->public_addr = fake_ip("192.0.2.10");
	px->conf->public_port = 4790;
	init();
	ck_assert_uint_eq(topo_get(px->topo, "b")->eps[0].a.v4.s_addr,
	    fake_ip("192.0.2.10").s_addr);
	ck_assert_uint_eq(topo_get(px->topo, "b")->eps[0].port, 4790);
}
END_TEST

START_TEST(endpoint_when_open_toward_a_link)
{
	struct link *lc = fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);

	/* a full cone toward a is no endpoint, even with a mapping */
	fake_set_own_nat(la, NAT_TYPE_FULL_CONE);
	fake_set_own_mapped(la, "192.0.2.30", 6000);
	init();
	ck_assert_uint_eq(topo_get(px->topo, "b")->n_eps, 0);
	/* open toward c: reachable where c sees us */
	fake_set_own_nat(lc, NAT_TYPE_OPEN);
	fake_set_own_mapped(lc, "192.0.2.20", 4790);
	fake_advance_s(2);
	topology_originate(px);
	ck_assert_uint_eq(topo_get(px->topo, "b")->eps[0].a.v4.s_addr,
	    fake_ip("192.0.2.20").s_addr);
	ck_assert_uint_eq(topo_get(px->topo, "b")->eps[0].port, 4790);
	ck_assert_uint_eq(last_lsa("a", "b")->eps[0].port, 4790);
}
END_TEST

/* ---- flooding ---- */

START_TEST(burst_of_originates_floods_once_then_later)
{
	uint64_t seq0;
	struct link *lc;

	init();
	seq0 = topo_get(px->topo, "b")->seq;
	ck_assert_uint_eq(lsas("a", "b"), 1);
	ck_assert_int_eq(timers_pending(), 0);
	/* a burst within TOPOLOGY_FLOOD_MIN_MS: held back */
	lc = fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);
	for (int i = 0; i < 5; i++) {
		fake_advance_ms(100);
		topology_originate(px);
	}
	ck_assert_uint_eq(lsas("a", "b"), 1);
	ck_assert_uint_eq(lsas("c", "b"), 0);
	ck_assert_int_eq(timers_pending(), 1);
	/* ... but our own copy follows at once */
	ck_assert_uint_gt(topo_get(px->topo, "b")->seq, seq0);
	ck_assert_ptr_nonnull(own_link("c"));
	/* the held flood goes out once, with the latest advertisement */
	fake_advance_ms(500);
	fire_timers();
	ck_assert_uint_eq(lsas("a", "b"), 2);
	ck_assert_uint_eq(lsas("c", "b"), 1);
	ck_assert_uint_eq(last_lsa("a", "b")->seq,
	    topo_get(px->topo, "b")->seq);
	ck_assert_uint_eq(last_lsa("a", "b")->n_links, 2);
	ck_assert_int_eq(timers_pending(), 0);
	fire_timers();
	ck_assert_uint_eq(lsas("a", "b"), 2);
	/*
	 * a flood long enough after the last goes out at once (the held
	 * one followed the first within twice the minimum: the hold is 2 s)
	 */
	fake_advance_ms(2 * TOPOLOGY_FLOOD_MIN_MS);
	topology_originate(px);
	ck_assert_uint_eq(lsas("a", "b"), 3);
	ck_assert_int_eq(timers_pending(), 0);
	(void)lc;
}
END_TEST

/*
 * Changes that keep coming back the flood off: the hold doubles from
 * TOPOLOGY_FLOOD_MIN_MS to TOPOLOGY_FLOOD_MAX_MS (N proxies changing at
 * once cost every proxy N signature checks per round), and a quiet spell
 * brings it back to the minimum, so a single change floods at once.
 */
START_TEST(changes_that_keep_coming_back_the_flood_off)
{
	uint64_t t_last = 0, gaps[8];
	unsigned n = 0, seen;

	init();
	ck_assert_uint_eq(lsas("a", "b"), 1);
	fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);
	seen = lsas("a", "b");
	/* a change every 100 ms for 80 s: floods only when the hold ends */
	for (int i = 0; i < 800 && n < 8; i++) {
		fake_advance_ms(100);
		fire_timers();
		topology_originate(px);
		if (lsas("a", "b") != seen) {
			seen = lsas("a", "b");
			if (t_last != 0)
				gaps[n++] = now_us() - t_last;
			t_last = now_us();
		}
	}
	ck_assert_uint_eq(n, 8);
	/* 2, 4, 8, 8, ... s apart (timer-driven: within one step) */
	ck_assert_uint_ge(gaps[0], 2000000 - 100000);
	ck_assert_uint_le(gaps[0], 2000000 + 100000);
	ck_assert_uint_ge(gaps[1], 4000000 - 100000);
	ck_assert_uint_le(gaps[1], 4000000 + 100000);
	for (unsigned k = 2; k < n; k++) {
		ck_assert_uint_ge(gaps[k], TOPOLOGY_FLOOD_MAX_MS * 1000ull -
		    100000);
		ck_assert_uint_le(gaps[k], TOPOLOGY_FLOOD_MAX_MS * 1000ull +
		    100000);
	}
	/* our own copy still followed every change */
	ck_assert_ptr_nonnull(own_link("c"));
	/* the change still held goes out; then quiet for twice the longest
	 * hold: the next change floods at once */
	fake_advance_ms(TOPOLOGY_FLOOD_MAX_MS);
	fire_timers();
	ck_assert_int_eq(timers_pending(), 0);
	fake_advance_ms(2 * TOPOLOGY_FLOOD_MAX_MS);
	seen = lsas("a", "b");
	topology_originate(px);
	ck_assert_uint_eq(lsas("a", "b"), seen + 1);
	/* ... and the one after it waits the minimum hold only */
	fake_advance_ms(100);
	topology_originate(px);
	ck_assert_uint_eq(lsas("a", "b"), seen + 1);
	fake_advance_ms(TOPOLOGY_FLOOD_MIN_MS);
	fire_timers();
	ck_assert_uint_eq(lsas("a", "b"), seen + 2);
}
END_TEST

/*
 * A change every 100 ms until a flood goes out with the hold at its
 * longest; returns the count of our floods to a, that one included.
 */
static unsigned
back_off_to_the_longest_hold(void)
{
	unsigned seen = lsas("a", "b");

	for (int i = 0; i < 600; i++) {
		fake_advance_ms(100);
		fire_timers();
		topology_originate(px);
		if (lsas("a", "b") != seen) {
			seen = lsas("a", "b");
			if (px->flood_hold_ms == TOPOLOGY_FLOOD_MAX_MS)
				return seen;
		}
	}
	ck_abort_msg("the hold never reached its longest");
	return seen;
}

/* Milliseconds (in 100 ms steps, at most 10 s) until flood seen + 1. */
static unsigned
flood_after(unsigned seen)
{
	unsigned ms = 0;

	while (lsas("a", "b") == seen && ms < 10000) {
		fake_advance_ms(100);
		fire_timers();
		ms += 100;
	}
	ck_assert_uint_eq(lsas("a", "b"), seen + 1);
	return ms;
}

/*
 * Bad news does not wait for the back-off: with the hold backed off to
 * its longest by a stream of changes, a link going down floods the
 * minimum hold after the flood before it, and so does a link drained.
 */
START_TEST(bad_news_floods_whatever_the_back_off)
{
	struct link *lc = fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);
	struct link *le = fake_link_add(px, "e", LINK_UP, E_ADDR, 4790);
	unsigned seen;

	init();
	seen = back_off_to_the_longest_hold();
	/* c goes down just after a flood: out 1 s later, not 8 */
	lc->state = LINK_IDLE;
	topology_link_down(px, false);
	ck_assert_uint_eq(flood_after(seen), TOPOLOGY_FLOOD_MIN_MS);
	ck_assert_int_eq(last_lsa("a", "b")->n_links, 2);	/* a, e */
	/* good news backs off again; then e is drained: out 1 s later */
	seen = back_off_to_the_longest_hold();
	le->peer_not_after = time(NULL) + TOPOLOGY_DRAIN_S;
	topology_tick(px);
	ck_assert_uint_eq(flood_after(seen), TOPOLOGY_FLOOD_MIN_MS);
	ck_assert_int_eq(last_lsa("a", "b")->n_links, 1);	/* a */
}
END_TEST

/*
 * Refreshed within TOPO_REFRESH_S, not before three quarters of it; the
 * interval is drawn anew at every flood, so proxies started together
 * drift apart.
 */
START_TEST(tick_refreshes_our_advertisement)
{
	uint64_t first, other = 0;
	size_t n;

	init();
	first = px->refresh_us;
	fake_advance_s(TOPO_REFRESH_S * 3 / 4 - 1);
	topology_tick(px);
	ck_assert_uint_eq(lsas("a", "b"), 1);
	fake_advance_s(TOPO_REFRESH_S / 4 + 1);
	topology_tick(px);
	ck_assert_uint_eq(lsas("a", "b"), 2);
	for (n = 2; n < 40; n++) {
		ck_assert_uint_ge(px->refresh_us,
		    (uint64_t)TOPO_REFRESH_S * 1000000 * 3 / 4);
		ck_assert_uint_le(px->refresh_us,
		    (uint64_t)TOPO_REFRESH_S * 1000000);
		if (px->refresh_us != first)
			other = px->refresh_us;
		fake_advance_s(TOPO_REFRESH_S);
		topology_tick(px);
		ck_assert_uint_eq(lsas("a", "b"), n + 1);
	}
	ck_assert_uint_ne(other, 0);	/* not the same every time */
}
END_TEST

START_TEST(newer_lsa_flooded_to_others_not_back)
{
	struct pkt_lsa z;

	fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);
	fake_link_add(px, "e", LINK_UP, E_ADDR, 4790);
	fake_link_add(px, "x", LINK_HANDSHAKE, "203.0.113.24", 4790);
	init();
	lsa_init(&z, "z", 5);
	lsa_prefix(&z, "10.9.0.0", 16);
	lsa_link(&z, "a", 10);
	feed(la, &z);
	ck_assert_uint_eq(lsas("c", "z"), 1);
	ck_assert_uint_eq(lsas("e", "z"), 1);
	ck_assert_uint_eq(lsas("a", "z"), 0);
	ck_assert_uint_eq(lsas("x", "z"), 0);
	ck_assert_uint_eq(last_lsa("c", "z")->seq, 5);
	ck_assert_uint_eq(topo_get(px->topo, "z")->seq, 5);
	ck_assert_uint_eq(fake.n_send_refused, 0);	/* x not tried */
	/* the same again: nothing to do */
	feed(fake_link_named(px, "c"), &z);
	ck_assert_uint_eq(lsas("a", "z"), 0);
	ck_assert_uint_eq(lsas("c", "z"), 1);
	ck_assert_uint_eq(px->st.drop_malformed, 0);
}
END_TEST

START_TEST(older_lsa_gets_ours_back)
{
	struct pkt_lsa z;
	struct link *lc = fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);

	init();
	lsa_init(&z, "z", 5);
	lsa_link(&z, "a", 10);
	feed(la, &z);
	ck_assert_uint_eq(lsas("c", "z"), 1);
	z.seq = 3;
	feed(lc, &z);
	ck_assert_uint_eq(lsas("c", "z"), 2);
	ck_assert_uint_eq(last_lsa("c", "z")->seq, 5);
	ck_assert_uint_eq(lsas("a", "z"), 0);
	ck_assert_uint_eq(topo_get(px->topo, "z")->seq, 5);
}
END_TEST

START_TEST(own_origin_readvertised_above_it)
{
	struct pkt_lsa old;
	uint64_t theirs;

	init();
	theirs = topo_get(px->topo, "b")->seq + 1000;
	fake_advance_s(2);
	/* an earlier run of ours, still flooding around */
	lsa_init(&old, "b", theirs);
	lsa_prefix(&old, "10.66.0.0", 16);
	feed(la, &old);
	ck_assert_uint_gt(topo_get(px->topo, "b")->seq, theirs);
	ck_assert_uint_eq(lsas("a", "b"), 2);
	ck_assert_uint_gt(last_lsa("a", "b")->seq, theirs);
	/* and our content, not the old run's */
	ck_assert_uint_eq(last_lsa("a", "b")->prefixes[0].addr.s_addr,
	    fake_ip("10.2.0.0").s_addr);
}
END_TEST

START_TEST(invalid_lsa_counts_drop)
{
	struct pkt_lsa z;
	struct link *lc = fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);

	init();
	lsa_init(&z, "z", 5);
	z.age_s = TOPO_MAX_AGE_S;
	feed(la, &z);
	ck_assert_uint_eq(px->st.drop_malformed, 1);
	ck_assert_ptr_null(topo_get(px->topo, "z"));
	lsa_init(&z, "", 5);
	feed(la, &z);
	ck_assert_uint_eq(px->st.drop_malformed, 2);
	ck_assert_uint_eq(lsas("c", "z"), 0);
	ck_assert_uint_eq(lsas("a", "b") + lsas("c", "b"), 2);
	(void)lc;
}
END_TEST

START_TEST(link_up_sends_the_database)
{
	struct link *le;
	struct pkt_lsa y;

	init();
	feed_a();
	lsa_init(&y, "y", 7);
	lsa_link(&y, "a", 10);
	feed(la, &y);
	fake_advance_s(2);
	le = fake_link_add(px, "e", LINK_UP, E_ADDR, 4790);
	topology_link_up(le, false);
	ck_assert_uint_eq(lsas("e", "a"), 1);
	ck_assert_uint_eq(lsas("e", "y"), 1);
	/* then our own, now with e */
	ck_assert_uint_eq(lsas("e", "b"), 1);
	ck_assert_ptr_nonnull(own_link("e"));
	ck_assert_uint_eq(lsas("a", "b"), 2);
	/* the others heard nothing of a or y again */
	ck_assert_uint_eq(lsas("a", "a") + lsas("a", "y"), 0);
}
END_TEST

START_TEST(link_down_readvertises)
{
	struct link *lc = fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);

	init();
	fake_advance_s(2);
	lc->state = LINK_IDLE;
	topology_link_down(px, false);
	ck_assert_ptr_null(own_link("c"));
	ck_assert_uint_eq(lsas("a", "b"), 2);
	ck_assert_uint_eq(last_lsa("a", "b")->n_links, 1);
}
END_TEST

/*
 * A link whose peer's certificate is about to end is left out of our
 * advertisement while it still works (drained), so routes leave it before
 * it closes; the tick notices a link entering that window.  Certificate
 * times are wall-clock seconds, as link.c keeps them.
 */
START_TEST(link_drained_before_the_peer_certificate_ends)
{
	struct link *lc = fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);
	struct link *le = fake_link_add(px, "e", LINK_UP, E_ADDR, 4790);

	la->peer_not_after = time(NULL) + 30 * 86400;
	lc->peer_not_after = time(NULL) + TOPOLOGY_DRAIN_S + 60;
	le->peer_not_after = time(NULL) + TOPOLOGY_DRAIN_S - 2;
	init();
	ck_assert_ptr_nonnull(own_link("a"));
	ck_assert_ptr_nonnull(own_link("c"));
	ck_assert_ptr_null(own_link("e"));
	ck_assert_uint_eq(last_lsa("a", "b")->n_links, 2);
	/* c's end comes near: the next tick advertises without it */
	fake_advance_s(2);
	topology_tick(px);
	ck_assert_ptr_nonnull(own_link("c"));
	lc->peer_not_after = time(NULL) + TOPOLOGY_DRAIN_S - 1;
	topology_tick(px);
	ck_assert_ptr_null(own_link("c"));
	ck_assert_ptr_nonnull(own_link("a"));
	ck_assert_uint_eq(lsas("a", "b"), 2);
	ck_assert_uint_eq(last_lsa("a", "b")->n_links, 1);
	/* nothing more changed: no more floods */
	fake_advance_s(2);
	topology_tick(px);
	ck_assert_uint_eq(lsas("a", "b"), 2);
}
END_TEST

/* ---- routes ---- */

START_TEST(routes_computed_and_installed)
{
	const struct route *r;

	world();
	r = route_to("10.9.0.0", 16);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->dest, "z");
	ck_assert_str_eq(r->next_hop, "a");
	ck_assert_uint_eq(r->hops, 2);
	r = route_to("10.1.0.0", 16);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->hops, 1);
	ck_assert_uint_eq(route_to("10.2.0.0", 16)->hops, 0);
	/* remote sites on the TUN, ours never */
	ck_assert_uint_eq(rtnl_calls(true, "10.9.0.0", 16), 1);
	ck_assert_uint_eq(rtnl_calls(true, "10.1.0.0", 16), 1);
	ck_assert_uint_eq(rtnl_calls(true, "10.2.0.0", 16), 0);
	ck_assert_uint_eq(kroute_installed(px), 2);
	/* the other engines' questions */
	ck_assert_ptr_nonnull(topology_path(px, "z"));
	ck_assert_str_eq(topology_path(px, "z")->next_hop, "a");
	ck_assert_ptr_eq(topology_next_link(px, "z"), la);
	ck_assert_ptr_null(topology_path(px, "nobody"));
}
END_TEST

/* rtnl_route6() calls (add or delete) for addr/plen. */
static size_t
rtnl6_calls(bool add, const char *addr, uint8_t plen)
{
	const struct fake_route_call *r;
	struct in6_addr a;
	size_t n = 0;

	ck_assert_int_eq(inet_pton(AF_INET6, addr, &a), 1);
	for (size_t i = 0; (r = fake_rtnl_nth(i)) != NULL; i++)
		n += r->v6 && r->add == add &&
		    memcmp(&r->dst6, &a, 16) == 0 && r->plen == plen &&
		    r->ifindex == fake_tun_ifindex;
	return n;
}

/* z's advertisement with an IPv6 prefix too (or not). */
static void
feed_z6(bool with6)
{
	struct pkt_lsa a;

	lsa_init(&a, "z", ++seq_z);
	lsa_prefix(&a, "10.9.0.0", 16);
	if (with6) {
		a.prefixes[a.n_prefixes].v6 = true;
		ck_assert_int_eq(inet_pton(AF_INET6, "fd00:9::",
		    &a.prefixes[a.n_prefixes].addr6), 1);
		a.prefixes[a.n_prefixes++].plen = 32;
	}
	lsa_link(&a, "a", 10);
	feed(la, &a);
}

/*
 * A remote IPv6 prefix goes on the TUN (our protocol, once), comes off
 * when withdrawn; an add the kernel refuses (an equal route exists) is
 * not counted as ours, so it is never deleted.
 */
START_TEST(ipv6_routes_installed_and_withdrawn)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:9::", &a), 1);
	fake_tun_attach(px);
	init();
	feed_a();
	feed_z6(true);
	ck_assert_uint_eq(px->routes.n6, 1);
	ck_assert_uint_eq(rtnl6_calls(true, "fd00:9::", 32), 1);
	ck_assert(kroute6_installed(px, &a, 32));
	fake_advance_s(2);		/* past the per-origin rate */
	feed_z6(true);			/* the same again: nothing to do */
	ck_assert_uint_eq(rtnl6_calls(true, "fd00:9::", 32), 1);
	fake_advance_s(2);
	feed_z6(false);
	ck_assert_uint_eq(px->routes.n6, 0);
	ck_assert_uint_eq(rtnl6_calls(false, "fd00:9::", 32), 1);
	ck_assert(!kroute6_installed(px, &a, 32));
	/* refused by the kernel: not ours, never deleted */
	fake_rtnl_result = -1;
	fake_rtnl_errno = EEXIST;
	fake_advance_s(2);
	feed_z6(true);
	ck_assert_uint_eq(rtnl6_calls(true, "fd00:9::", 32), 2);
	ck_assert(!kroute6_installed(px, &a, 32));
	ck_assert_ptr_nonnull(kroute6_refused(px, &a, 32));
	ck_assert_uint_eq(kroute6_refused(px, &a, 32)->proto, 0);
	fake_rtnl_result = 0;
	fake_advance_s(2);
	feed_z6(false);
	ck_assert_uint_eq(rtnl6_calls(false, "fd00:9::", 32), 1);
}
END_TEST

/* z's advertisement with IPv6 prefix p/plen beside its IPv4 one. */
static void
feed_z6_claim(const char *p, uint8_t plen)
{
	struct pkt_lsa a;

	lsa_init(&a, "z", ++seq_z);
	lsa_prefix(&a, "10.9.0.0", 16);
	a.prefixes[a.n_prefixes].v6 = true;
	ck_assert_int_eq(inet_pton(AF_INET6, p,
	    &a.prefixes[a.n_prefixes].addr6), 1);
	a.prefixes[a.n_prefixes++].plen = plen;
	lsa_link(&a, "a", 10);
	feed(la, &a);
}

/* An IPv6 route on the host of another protocol. */
static void
host_route6(const char *addr, uint8_t plen, uint8_t proto)
{
	struct rtplan_foreign6 f = { .plen = plen, .proto = proto,
	    .ifindex = 3 };

	ck_assert_int_eq(inet_pton(AF_INET6, addr, &f.addr), 1);
	ck_assert_uint_lt(fake_n_foreign6, FAKE_FOREIGN_MAX);
	fake_foreign6[fake_n_foreign6++] = f;
}

/*
 * An IPv6 claim that overlaps a host route of another protocol (issue 11
 * part 4's rule, for IPv6): not installed, never deleted, refused with the
 * route it overlaps, counted, and a later claim inside it likewise.
 */
START_TEST(ipv6_claim_over_a_host_route_refused_and_shown)
{
	const struct rtplan_foreign6 *by;
	struct in6_addr a;
	char why[160];

	host_route6("fd00:9:0:77::", 64, 4);		/* static */
	fake_tun_attach(px);
	init();
	feed_a();
	feed_z6_claim("fd00:9::", 48);			/* holds it */
	ck_assert_uint_eq(px->routes.n6, 1);
	ck_assert_uint_eq(rtnl6_calls(true, "fd00:9::", 48), 0);
	ck_assert_uint_eq(rtnl6_calls(false, "fd00:9::", 48), 0);
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:9::", &a), 1);
	ck_assert(!kroute6_installed(px, &a, 48));
	by = kroute6_refused(px, &a, 48);
	ck_assert_ptr_nonnull(by);
	ck_assert_uint_eq(by->proto, 4);
	ck_assert_uint_eq(by->plen, 64);
	/* "dev" names the test machine's interface 3, whatever it is */
	ck_assert_ptr_eq(strstr(kroute_why6(by, why, sizeof(why)),
	    "overlaps the host's static route fd00:9:0:77::/64 dev "), why);
	ck_assert_uint_eq(kroute_refused(px), 1);
	/* the IPv4 prefix beside it is installed */
	ck_assert_uint_eq(rtnl_calls(true, "10.9.0.0", 16), 1);
	/* a claim inside the host route: refused as well */
	fake_advance_s(2);
	feed_z6_claim("fd00:9:0:77:8000::", 65);
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:9:0:77:8000::", &a), 1);
	ck_assert_uint_eq(rtnl6_calls(true, "fd00:9:0:77:8000::", 65), 0);
	ck_assert_ptr_nonnull(kroute6_refused(px, &a, 65));
	/* and one beside it goes in */
	fake_advance_s(2);
	feed_z6_claim("fd00:8::", 32);
	ck_assert_uint_eq(rtnl6_calls(true, "fd00:8::", 32), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:8::", &a), 1);
	ck_assert(kroute6_installed(px, &a, 32));
	ck_assert_ptr_null(kroute6_refused(px, &a, 32));
}
END_TEST

/* The operator's IPv6 route added later takes ours away; gone, it is back. */
START_TEST(ipv6_host_route_added_later_takes_ours_away)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:9::", &a), 1);
	fake_tun_attach(px);
	init();
	feed_a();
	feed_z6_claim("fd00:9::", 32);
	ck_assert_uint_eq(rtnl6_calls(true, "fd00:9::", 32), 1);
	ck_assert(kroute6_installed(px, &a, 32));
	host_route6("fd00:9:4::", 48, 4);
	fake_advance_s(KROUTE_RECHECK_S);
	topology_tick(px);
	ck_assert_uint_eq(rtnl6_calls(false, "fd00:9::", 32), 1);
	ck_assert_uint_eq(rtnl6_calls(false, "fd00:9:4::", 48), 0);
	ck_assert(!kroute6_installed(px, &a, 32));
	ck_assert_ptr_nonnull(kroute6_refused(px, &a, 32));
	fake_n_foreign6 = 0;
	fake_advance_s(KROUTE_RECHECK_S);
	topology_tick(px);
	ck_assert_uint_eq(rtnl6_calls(true, "fd00:9::", 32), 2);
	ck_assert(kroute6_installed(px, &a, 32));
	ck_assert_ptr_null(kroute6_refused(px, &a, 32));
}
END_TEST

/*
 * A remote IPv6 prefix that holds an IPv6 neighbour's address stays off
 * the TUN (our link to it would loop into the TUN), and one we installed
 * is withdrawn when such a neighbour appears.
 */
START_TEST(ipv6_route_covering_a_neighbour_not_installed)
{
	struct in6_addr a;
	struct link *l6;

	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:c::", &a), 1);
	fake_tun_attach(px);
	init();
	feed_a();
	l6 = fake_link_add(px, "c6", LINK_UP, "203.0.113.3", 4790);
	ck_assert_int_eq(ep_parse_addr("2001:db8:c::3", &l6->peer), 0);
	l6->peer.port = 4790;
	feed_z6_claim("2001:db8:c::", 48);
	ck_assert_uint_eq(px->routes.n6, 1);
	ck_assert_uint_eq(rtnl6_calls(true, "2001:db8:c::", 48), 0);
	ck_assert(!kroute6_installed(px, &a, 48));
	ck_assert_ptr_null(kroute6_refused(px, &a, 48));
	/* the neighbour moves away: the route goes in */
	ck_assert_int_eq(ep_parse_addr("2001:db8:d::3", &l6->peer), 0);
	fake_advance_s(KROUTE_RECHECK_S);
	topology_tick(px);
	ck_assert_uint_eq(rtnl6_calls(true, "2001:db8:c::", 48), 1);
	/* and back: ours is withdrawn */
	ck_assert_int_eq(ep_parse_addr("2001:db8:c::3", &l6->peer), 0);
	fake_advance_s(KROUTE_RECHECK_S);
	topology_tick(px);
	ck_assert_uint_eq(rtnl6_calls(false, "2001:db8:c::", 48), 1);
	ck_assert(!kroute6_installed(px, &a, 48));
}
END_TEST

START_TEST(routes_changed_noticed_only_on_change)
{
	unsigned n;

	fake_tun_attach(px);
	init();
	n = fake.n_routes_changed;
	feed_a();
	ck_assert_uint_eq(fake.n_routes_changed, n + 1);	/* 10.1/16 */
	feed_z();
	ck_assert_uint_eq(fake.n_routes_changed, n + 2);	/* 10.9/16 */
	/* newer advertisements, same content; our own again */
	feed_z();
	feed_a();
	fake_advance_s(2);
	topology_originate(px);
	topology_recompute(px);
	ck_assert_uint_eq(fake.n_routes_changed, n + 2);
	ck_assert_uint_eq(fake_rtnl_count(), 2);
}
END_TEST

START_TEST(routes_without_tun_touch_no_host_state)
{
	init();
	feed_a();
	feed_z();
	ck_assert_ptr_nonnull(route_to("10.9.0.0", 16));
	ck_assert_uint_eq(fake_rtnl_count(), 0);
	ck_assert_uint_eq(kroute_installed(px), 0);
}
END_TEST

START_TEST(route_covering_a_neighbour_not_installed)
{
	fake_tun_attach(px);
	init();
	feed_a();
	/* z claims the network a's address is in */
	feed_z_claim("198.51.100.0", 24);
	ck_assert_ptr_nonnull(route_to("198.51.100.0", 24));
	ck_assert_uint_eq(rtnl_calls(true, "198.51.100.0", 24), 0);
	ck_assert_uint_eq(rtnl_calls(true, "10.9.0.0", 16), 1);
}
END_TEST

/* A route on the host of another protocol (proto 2: connected). */
static void
host_route(const char *addr, uint8_t plen, uint8_t proto)
{
	ck_assert_uint_lt(fake_n_foreign, FAKE_FOREIGN_MAX);
	fake_foreign[fake_n_foreign++] = (struct rtplan_foreign){
	    fake_ip(addr), plen, proto, 3 };
}

START_TEST(claim_over_a_host_route_refused_and_shown)
{
	const struct rtplan_verdict *v;
	const struct fake_route_call *c;

	host_route("192.168.77.0", 24, 2);
	fake_tun_attach(px);
	init();
	feed_a();
	feed_z_claim("192.168.77.0", 24);
	ck_assert_ptr_nonnull(route_to("192.168.77.0", 24));
	/* never added, never deleted: it is not ours */
	ck_assert_uint_eq(rtnl_calls(true, "192.168.77.0", 24), 0);
	ck_assert_uint_eq(rtnl_calls(false, "192.168.77.0", 24), 0);
	v = kroute_verdict(px, fake_ip("192.168.77.0"), 24);
	ck_assert_ptr_nonnull(v);
	ck_assert(v->refused);
	ck_assert_uint_eq(v->by.proto, 2);
	ck_assert_uint_eq(kroute_refused(px), 1);
	/* the rest is installed, with our metric */
	ck_assert_uint_eq(rtnl_calls(true, "10.9.0.0", 16), 1);
	ck_assert(!kroute_verdict(px, fake_ip("10.9.0.0"), 16)->refused);
	for (size_t i = 0; (c = fake_rtnl_nth(i)) != NULL; i++)
		ck_assert_uint_eq(c->metric, CONF_DEFAULT_TUN_METRIC);
	/* a more-specific claim inside it: refused as well */
	feed_z_claim("192.168.77.128", 25);
	ck_assert_uint_eq(rtnl_calls(true, "192.168.77.128", 25), 0);
	ck_assert(kroute_verdict(px, fake_ip("192.168.77.128"), 25)->refused);
}
END_TEST

START_TEST(host_route_added_later_takes_ours_away)
{
	size_t n;

	world();
	fake_tun_attach(px);
	topology_recompute(px);
	ck_assert_uint_eq(rtnl_calls(true, "10.9.0.0", 16), 1);
	n = kroute_installed(px);
	/* the operator adds a static route inside z's prefix */
	host_route("10.9.4.0", 24, 4);
	fake_advance_s(KROUTE_RECHECK_S);
	topology_tick(px);
	ck_assert_uint_eq(rtnl_calls(false, "10.9.0.0", 16), 1);
	ck_assert_uint_eq(rtnl_calls(false, "10.9.4.0", 24), 0);
	ck_assert_uint_eq(kroute_installed(px), n - 1);
	ck_assert(kroute_verdict(px, fake_ip("10.9.0.0"), 16)->refused);
	/* and when it goes, ours comes back */
	fake_n_foreign = 0;
	fake_advance_s(KROUTE_RECHECK_S);
	topology_tick(px);
	ck_assert_uint_eq(rtnl_calls(true, "10.9.0.0", 16), 2);
	ck_assert_uint_eq(kroute_installed(px), n);
}
END_TEST

START_TEST(add_refused_by_the_kernel_is_not_ours)
{
	fake_tun_attach(px);
	fake_rtnl_result = -1;		/* EEXIST: an equal route appeared */
	init();
	feed_a();
	feed_z();
	ck_assert_uint_eq(rtnl_calls(true, "10.9.0.0", 16), 1);
	ck_assert_uint_eq(kroute_installed(px), 0);
	ck_assert(kroute_verdict(px, fake_ip("10.9.0.0"), 16)->refused);
	/* z leaves: nothing of ours to delete, so nothing is */
	fake_rtnl_result = 0;
	fake_advance_s(TOPO_MAX_AGE_S + 1);
	feed_a();
	topology_tick(px);
	ck_assert_ptr_null(route_to("10.9.0.0", 16));
	ck_assert_uint_eq(rtnl_calls(false, "10.9.0.0", 16), 0);
}
END_TEST

START_TEST(ageing_removes_a_silent_origin_and_its_routes)
{
	unsigned n;

	world();
	ck_assert_uint_eq(rtnl_calls(true, "10.9.0.0", 16), 1);
	fake_advance_s(30);
	feed_a();			/* a keeps talking, z is silent */
	topology_tick(px);
	fake_advance_s(TOPO_MAX_AGE_S - 31);
	topology_tick(px);
	ck_assert_ptr_nonnull(topo_get(px->topo, "z"));
	ck_assert_ptr_nonnull(route_to("10.9.0.0", 16));
	n = fake.n_routes_changed;
	fake_advance_s(1);
	topology_tick(px);
	ck_assert_ptr_null(topo_get(px->topo, "z"));
	ck_assert_ptr_nonnull(topo_get(px->topo, "a"));
	ck_assert_ptr_null(route_to("10.9.0.0", 16));
	ck_assert_ptr_nonnull(route_to("10.1.0.0", 16));
	ck_assert_uint_eq(rtnl_calls(false, "10.9.0.0", 16), 1);
	ck_assert_uint_eq(rtnl_calls(false, "10.1.0.0", 16), 0);
	ck_assert_uint_eq(kroute_installed(px), 1);
	ck_assert_uint_eq(fake.n_routes_changed, n + 1);
	ck_assert_ptr_null(topology_path(px, "z"));
}
END_TEST

START_TEST(revoked_origin_withdrawn_and_refused_after)
{
	const char *const names[] = { "z" };
	X509_CRL *crl = testpki_crl(names, 1);
	uint64_t bad;

	world();
	ck_assert_ptr_nonnull(route_to("10.9.0.0", 16));
	topology_crl_changed(px, crl);
	topology_settle(px);
	ck_assert_ptr_null(topo_get(px->topo, "z"));
	ck_assert_ptr_nonnull(topo_get(px->topo, "a"));
	ck_assert_ptr_null(route_to("10.9.0.0", 16));
	ck_assert_ptr_nonnull(route_to("10.1.0.0", 16));
	ck_assert_uint_eq(rtnl_calls(false, "10.9.0.0", 16), 1);
	/* a newer copy (a neighbour without the CRL yet floods it) */
	bad = px->st.lsa_bad_cert;
	feed_z();
	ck_assert_ptr_null(topo_get(px->topo, "z"));
	ck_assert_ptr_null(route_to("10.9.0.0", 16));
	ck_assert_uint_eq(px->st.lsa_bad_cert, bad + 1);
	X509_CRL_free(crl);
}
END_TEST

START_TEST(neighbour_down_withdraws_its_routes)
{
	world();
	fake_advance_s(2);
	la->state = LINK_IDLE;
	topology_link_down(px, false);
	ck_assert_ptr_null(route_to("10.9.0.0", 16));
	ck_assert_ptr_null(route_to("10.1.0.0", 16));
	ck_assert_uint_eq(rtnl_calls(false, "10.9.0.0", 16), 1);
	ck_assert_uint_eq(rtnl_calls(false, "10.1.0.0", 16), 1);
	ck_assert_uint_eq(kroute_installed(px), 0);
	ck_assert_ptr_null(topology_next_link(px, "z"));
}
END_TEST

START_TEST(direct_link_makes_destination_one_hop)
{
	struct link *lz;
	size_t sent;
	unsigned n;
	uint64_t seq;

	world();
	sent = fake_sent_count(PKT_MSG_LSA);
	seq = topo_get(px->topo, "b")->seq;
	n = fake.n_routes_changed;
	lz = fake_link_add(px, "z", LINK_UP, "203.0.113.9", 4790);
	fake_set_direct(lz, true);
	topology_link_up(lz, true);
	ck_assert_str_eq(route_to("10.9.0.0", 16)->next_hop, "z");
	ck_assert_uint_eq(route_to("10.9.0.0", 16)->hops, 1);
	ck_assert_uint_eq(fake.n_routes_changed, n + 1);
	/* a direct link is nobody else's business */
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_LSA), sent);
	ck_assert_ptr_null(own_link("z"));
	/* and when it goes, the route goes back through a */
	lz->state = LINK_IDLE;
	topology_link_down(px, true);
	ck_assert_str_eq(route_to("10.9.0.0", 16)->next_hop, "a");
	ck_assert_uint_eq(route_to("10.9.0.0", 16)->hops, 2);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_LSA), sent);
	/* our advertisement did not change for it, nor will later */
	ck_assert_uint_eq(topo_get(px->topo, "b")->seq, seq);
	ck_assert_int_eq(timers_pending(), 0);
}
END_TEST

/* ---- learned neighbours ---- */

/* topology.c's candidate order: FNV-1a over "a\0b". */
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

static const char *const cand[] = { "p1", "p2", "p3", "p4", "p5", "p6",
    "p7" };
#define N_CAND	(sizeof(cand) / sizeof(cand[0]))

/* Advertisements with an endpoint from every candidate (seq given). */
static void
feed_candidates(uint64_t seq, const char *skip)
{
	struct pkt_lsa p;
	char ep[32];

	for (size_t i = 0; i < N_CAND; i++) {
		if (skip != NULL && strcmp(cand[i], skip) == 0)
			continue;
		lsa_init(&p, cand[i], seq);
		snprintf(ep, sizeof(ep), "192.0.2.%zu", 10 + i);
		lsa_ep(&p, ep, (uint16_t)(5000 + i));
		feed(la, &p);
	}
}

/* The candidates sorted by pair hash from b. */
static void
hash_order(const char **out)
{
	for (size_t i = 0; i < N_CAND; i++)
		out[i] = cand[i];
	for (size_t i = 1; i < N_CAND; i++)
		for (size_t j = i; j > 0 && pair_hash("b", out[j]) <
		    pair_hash("b", out[j - 1]); j--) {
			const char *t = out[j];

			out[j] = out[j - 1];
			out[j - 1] = t;
		}
}

START_TEST(learns_endpoints_in_pair_hash_order)
{
	const char *order[N_CAND];
	struct pkt_lsa q;
	size_t k;

	init();
	hash_order(order);
	/* no endpoint, or linked already: no candidate */
	lsa_init(&q, "q", 1);
	feed(la, &q);
	lsa_init(&q, "a", 1);
	lsa_ep(&q, "192.0.2.1", 4790);
	feed(la, &q);
	topology_tick(px);
	ck_assert_uint_eq(fake.n_learn, 0);
	feed_candidates(1, NULL);
	/* no learning while origins keep arriving */
	fake_advance_s(TOPOLOGY_LEARN_SETTLE_S - 1);
	topology_tick(px);
	ck_assert_uint_eq(fake.n_learn, 0);
	fake_advance_s(1);
	topology_tick(px);
	ck_assert_uint_eq(fake.n_learn, TOPOLOGY_LEARNED_MAX);
	/* learned links go first on the list: the last learned leads */
	k = TOPOLOGY_LEARNED_MAX;
	for (struct link *l = px->links; l != NULL; l = l->next) {
		if (l->learned_nbr == NULL)
			continue;
		ck_assert_uint_gt(k, 0);
		ck_assert_str_eq(l->name, order[--k]);
		ck_assert_int_ne(l->state, LINK_UP);
	}
	ck_assert_uint_eq(k, 0);
	ck_assert_ptr_null(fake_link_named(px, "q"));
	ck_assert_str_eq(fake.learn_name, order[TOPOLOGY_LEARNED_MAX - 1]);
	/* its endpoint is the advertised one */
	ck_assert_uint_eq(fake.learn_ep.port,
	    fake_link_named(px, order[TOPOLOGY_LEARNED_MAX - 1])->
	    peer.port);
	ck_assert_uint_eq(fake.learn_ep.a.v4.s_addr,
	    topo_get(px->topo, order[TOPOLOGY_LEARNED_MAX - 1])->
	    eps[0].a.v4.s_addr);
	/* at the limit: no more */
	topology_tick(px);
	ck_assert_uint_eq(fake.n_learn, TOPOLOGY_LEARNED_MAX);
}
END_TEST

/*
 * Candidates that already advertise TOPOLOGY_LEARNED_HUB links come after
 * every other: the first two in hash order are hubs, so the four learned
 * are the next four; with only hubs left, a hub is learned.
 */
START_TEST(learns_hubs_last)
{
	const char *order[N_CAND];
	struct pkt_lsa p;
	char ep[32], peer[16];

	init();
	hash_order(order);
	for (size_t i = 0; i < N_CAND; i++) {
		lsa_init(&p, order[i], 1);
		snprintf(ep, sizeof(ep), "192.0.2.%zu", 10 + i);
		lsa_ep(&p, ep, (uint16_t)(5000 + i));
		for (int k = 0; i < 2 && k < TOPOLOGY_LEARNED_HUB; k++) {
			snprintf(peer, sizeof(peer), "h%d", k);
			lsa_link(&p, peer, 10);
		}
		feed(la, &p);
	}
	fake_advance_s(TOPOLOGY_LEARN_SETTLE_S);
	topology_tick(px);
	ck_assert_uint_eq(fake.n_learn, TOPOLOGY_LEARNED_MAX);
	for (size_t i = 0; i < N_CAND; i++)
		ck_assert_msg((fake_link_named(px, order[i]) != NULL) ==
		    (i >= 2 && i < 2 + TOPOLOGY_LEARNED_MAX),
		    "candidate %zu in hash order (%s)", i, order[i]);
	/* the non-hubs gone but the last: a hub fills the place */
	for (size_t i = 2 + 1; i < 2 + TOPOLOGY_LEARNED_MAX; i++)
		link_forget(fake_link_named(px, order[i]));
	for (size_t i = 2 + 1; i < N_CAND; i++) {
		lsa_init(&p, order[i], 2);
		feed(la, &p);		/* no endpoint any more */
	}
	topology_tick(px);
	ck_assert_ptr_nonnull(fake_link_named(px, order[0]));
	ck_assert_ptr_nonnull(fake_link_named(px, order[1]));
}
END_TEST

START_TEST(learned_origin_that_leaves_is_forgotten)
{
	const char *order[N_CAND];
	struct link *kept;

	init();
	hash_order(order);
	feed_candidates(1, NULL);
	fake_advance_s(TOPOLOGY_LEARN_SETTLE_S);
	topology_tick(px);
	ck_assert_uint_eq(fake.n_learn, TOPOLOGY_LEARNED_MAX);
	/* order[0] falls silent, the others go on */
	kept = fake_link_named(px, order[1]);
	ck_assert_ptr_nonnull(kept);
	fake_advance_s(30);
	feed_candidates(2, order[0]);
	fake_advance_s(TOPO_MAX_AGE_S - 31 - TOPOLOGY_LEARN_SETTLE_S);
	feed_candidates(3, order[0]);
	topology_tick(px);
	ck_assert_uint_eq(fake.n_forget, 0);
	fake_advance_s(1);
	topology_tick(px);
	ck_assert_ptr_null(topo_get(px->topo, order[0]));
	ck_assert_uint_eq(fake.n_forget, 1);
	ck_assert_str_eq(fake.forget_name, order[0]);
	ck_assert_ptr_null(fake_link_named(px, order[0]));
	ck_assert_ptr_eq(fake_link_named(px, order[1]), kept);
	/* its place goes to the next candidate */
	ck_assert_uint_eq(fake.n_learn, TOPOLOGY_LEARNED_MAX + 1);
	ck_assert_str_eq(fake.learn_name, order[TOPOLOGY_LEARNED_MAX]);
}
END_TEST

START_TEST(learned_link_up_is_kept_when_origin_leaves)
{
	const char *order[N_CAND];
	struct link *l;

	init();
	hash_order(order);
	feed_candidates(1, NULL);
	fake_advance_s(TOPOLOGY_LEARN_SETTLE_S);
	topology_tick(px);
	l = fake_link_named(px, order[0]);
	ck_assert_ptr_nonnull(l);
	l->state = LINK_UP;
	fake_advance_s(TOPO_MAX_AGE_S);
	topology_tick(px);
	ck_assert_uint_eq(topo_count(px->topo), 1);	/* ourselves */
	ck_assert_ptr_eq(fake_link_named(px, order[0]), l);
	ck_assert_uint_eq(fake.n_forget, TOPOLOGY_LEARNED_MAX - 1);
	ck_assert_uint_eq(fake.n_learn, TOPOLOGY_LEARNED_MAX);
}
END_TEST


/* ---- origin authentication (issue 11) ---- */

/* z's usual advertisement with seq, not yet signed. */
static void
z_lsa(struct pkt_lsa *z, uint64_t seq)
{
	lsa_init(z, "z", seq);
	lsa_prefix(z, "10.9.0.0", 16);
	lsa_link(z, "a", 10);
}

START_TEST(unsigned_lsa_dropped_counted_not_flooded)
{
	struct pkt_lsa z;

	fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);
	world();
	z_lsa(&z, seq_z + 1);
	feed_raw(la, &z);
	ck_assert_uint_eq(px->st.lsa_unsigned, 1);
	ck_assert_uint_eq(topo_get(px->topo, "z")->seq, seq_z);
	ck_assert_uint_eq(lsas("c", "z"), 1);	/* the signed one only */
}
END_TEST

START_TEST(tampered_lsa_dropped_as_forged)
{
	struct pkt_lsa z;

	world();
	z_lsa(&z, seq_z + 1);
	testpki_sign(&z);
	lsa_prefix(&z, "10.2.0.0", 25);		/* added after signing */
	feed_raw(la, &z);
	ck_assert_uint_eq(px->st.lsa_forged, 1);
	ck_assert_ptr_null(route_to("10.2.0.0", 25));
	ck_assert_uint_eq(topo_get(px->topo, "z")->seq, seq_z);
}
END_TEST

START_TEST(lsa_signed_by_another_proxy_dropped)
{
	struct pkt_lsa z;

	world();
	/* the rogue "c" holds a valid certificate, but for its own name */
	z_lsa(&z, seq_z + (UINT64_C(1) << 63) - 1);	/* newest possible */
	ck_assert_int_eq(lsasig_sign(testpki_key("c", NULL, false), &z), 0);
	feed_raw(la, &z);
	ck_assert_uint_eq(px->st.lsa_forged, 1);
	ck_assert_uint_eq(topo_get(px->topo, "z")->seq, seq_z);
}
END_TEST

START_TEST(lsa_from_another_ca_dropped)
{
	struct pkt_lsa z;

	world();
	z_lsa(&z, seq_z + 1);
	ck_assert_int_eq(lsasig_sign(testpki_foreign_key("z"), &z), 0);
	feed_raw(la, &z);
	ck_assert_uint_eq(px->st.lsa_bad_cert, 1);
	ck_assert_uint_eq(topo_get(px->topo, "z")->seq, seq_z);
}
END_TEST

/* The attack of the issue: a forged z at 2^64-1 with nothing in it. */
START_TEST(forged_max_seq_does_not_pin_the_origin)
{
	struct pkt_lsa z;

	world();
	lsa_init(&z, "z", UINT64_MAX);		/* older than 101: serial */
	feed_raw(la, &z);
	lsa_init(&z, "z", seq_z + (UINT64_C(1) << 63) - 1);	/* newest */
	feed_raw(la, &z);
	ck_assert_uint_eq(px->st.lsa_unsigned, 2);
	ck_assert_ptr_nonnull(route_to("10.9.0.0", 16));
	feed_z();			/* the real z moves on */
	ck_assert_uint_eq(topo_get(px->topo, "z")->seq, seq_z);
	/* and our own origin cannot be pushed either */
	lsa_init(&z, "b", topo_get(px->topo, "b")->seq + (UINT64_C(1) << 62));
	feed_raw(la, &z);
	ck_assert_uint_eq(px->st.lsa_unsigned, 3);
	ck_assert_uint_lt(topo_get(px->topo, "b")->seq, z.seq - 1000);
}
END_TEST

/* A validly signed 2^64-1 (say a bug of z's): z's next one still wins. */
START_TEST(signed_max_seq_is_overtaken_by_the_next)
{
	struct pkt_lsa z;

	world();
	z_lsa(&z, seq_z + (UINT64_C(1) << 62));
	feed(la, &z);
	z_lsa(&z, seq_z + (UINT64_C(1) << 63));
	feed(la, &z);
	z_lsa(&z, UINT64_MAX);
	feed(la, &z);
	ck_assert_uint_eq(topo_get(px->topo, "z")->seq, UINT64_MAX);
	fake_advance_s(1);
	z_lsa(&z, 0);			/* wrapped: newer in serial order */
	lsa_prefix(&z, "10.10.0.0", 16);
	feed(la, &z);
	ck_assert_uint_eq(topo_get(px->topo, "z")->seq, 0);
	ck_assert_ptr_nonnull(route_to("10.10.0.0", 16));
}
END_TEST

START_TEST(claim_outside_blocks_refused_not_routed)
{
	struct pkt_lsa z;

	world();
	z_lsa(&z, seq_z + 1);
	lsa_prefix(&z, "10.2.0.0", 25);		/* inside our 10.2.0.0/16 */
	ck_assert_int_eq(lsasig_sign(testpki_key("z", "IPv4:10.9.0.0/16",
	    false), &z), 0);
	feed_raw(la, &z);
	ck_assert_uint_eq(px->st.lsa_refused_prefixes, 1);
	ck_assert_ptr_nonnull(route_to("10.9.0.0", 16));
	ck_assert_ptr_null(route_to("10.2.0.0", 25));
	ck_assert_uint_eq(rtnl_calls(true, "10.2.0.0", 25), 0);
	/* kept and flooded as signed: the others judge it themselves */
	ck_assert_uint_eq(topo_get(px->topo, "z")->n_prefixes, 2);
}
END_TEST

START_TEST(claim_without_blocks_refused_when_required)
{
	struct pkt_lsa z;

	lsasig_verifier_free(px->lsa_verifier);
	px->lsa_verifier = testpki_verifier(true);
	world();		/* a's and z's certificates have no blocks */
	ck_assert_ptr_null(route_to("10.9.0.0", 16));
	ck_assert_ptr_null(route_to("10.1.0.0", 16));
	ck_assert_uint_eq(px->st.lsa_refused_prefixes, 2);
	/* the same claim from a certificate with "inherit" is good */
	z_lsa(&z, seq_z + 1);
	ck_assert_int_eq(lsasig_sign(testpki_key("z", "IPv4:inherit",
	    false), &z), 0);
	feed_raw(la, &z);
	ck_assert_ptr_nonnull(route_to("10.9.0.0", 16));
}
END_TEST

START_TEST(ed25519_certificates_sign_too)
{
	struct pkt_lsa z;

	world();
	z_lsa(&z, seq_z + 1);
	lsa_prefix(&z, "10.11.0.0", 16);
	ck_assert_int_eq(lsasig_sign(testpki_key("z", NULL, true), &z), 0);
	feed_raw(la, &z);
	ck_assert_ptr_nonnull(route_to("10.11.0.0", 16));
}
END_TEST

START_TEST(origin_over_its_rate_is_dropped_others_kept)
{
	unsigned i;

	world();
	for (i = 0; i < TOPO_DEFAULT_BURST + 5; i++)
		feed_z();
	ck_assert_uint_eq(px->st.lsa_rate, 5 + 1);	/* world() fed one */
	feed_a();			/* a legitimate origin: unaffected */
	ck_assert_uint_eq(topo_get(px->topo, "a")->seq, seq_a);
	fake_advance_s(1);		/* the bucket refills */
	feed_z();
	ck_assert_uint_eq(topo_get(px->topo, "z")->seq, seq_z);
}
END_TEST

START_TEST(origins_over_the_limit_are_counted)
{
	struct pkt_lsa q;
	char name[16];

	px->conf->topo_max_origins = 16;
	px->conf->topo_max_prefixes = 64;
	px->conf->topo_max_links = 64;
	px->conf->topo_rate = 2;
	px->conf->topo_burst = 10;
	init();
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "q%02d", i);
		lsa_init(&q, name, 1);
		feed(la, &q);
	}
	ck_assert_uint_eq(topo_count(px->topo), 16);
	ck_assert_uint_eq(px->st.lsa_full, 5);
}
END_TEST

/*
 * One turn of the event loop: what is due runs once (fire_timers() runs
 * until nothing is due, so a timer that re-arms itself runs it to the end).
 */
static void
loop_turn(void)
{
	event_base_loop(px->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
}

/* What a neighbour hands us, signed, without settling afterwards. */
static void
input_signed(struct link *l, const struct pkt_lsa *a)
{
	static struct pkt_lsa c;

	c = *a;
	testpki_sign(&c);
	topology_lsa_input(l, &c);
}

/*
 * A burst of advertisements is not checked where it arrives (in the read
 * callback): it waits, and the checks run a slice per loop turn, so the
 * control socket, keepalives and signals are served in between.
 */
START_TEST(burst_is_checked_in_slices_not_at_once)
{
	struct pkt_lsa q;
	char name[16];
	int turns;

	init();
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "q%03d", i);
		lsa_init(&q, name, 1);
		lsa_link(&q, "a", 1);
		input_signed(la, &q);
	}
	ck_assert_uint_eq(px->st.lsa_verified, 0);
	ck_assert_uint_eq(px->st.lsa_queue, 100);
	ck_assert_uint_eq(topo_count(px->topo), 1);	/* ourselves */
	ck_assert_uint_eq(lsas("a", "q000"), 0);
	loop_turn();			/* one slice */
	ck_assert_uint_gt(px->st.lsa_verified, 0);
	ck_assert_uint_le(px->st.lsa_verified, TOPOLOGY_VERIFY_BATCH);
	ck_assert_uint_eq(px->st.lsa_queue, 100 - px->st.lsa_verified);
	ck_assert_uint_eq(topo_count(px->topo), 1 + px->st.lsa_verified);
	for (turns = 1; turns < 100 && px->st.lsa_queue > 0; turns++)
		loop_turn();
	ck_assert_int_ge(turns, 100 / TOPOLOGY_VERIFY_BATCH);
	ck_assert_uint_eq(px->st.lsa_queue, 0);
	ck_assert_uint_eq(px->st.lsa_verified, 100);
	ck_assert_uint_eq(topo_count(px->topo), 101);
	ck_assert_uint_eq(px->st.lsa_queue_peak, 100);
	ck_assert_uint_eq(px->st.lsa_queue_dropped, 0);
	/* checked, stored, and not flooded back to where they came from */
	ck_assert_uint_eq(lsas("a", "q099"), 0);
}
END_TEST

/*
 * A slow check (every clock reading finds the clock 1 ms further: the
 * work between readings took that long) ends the slice at its time
 * budget, well before its count: the loop is held TOPOLOGY_VERIFY_SLICE_US
 * and a check, not a whole batch.
 */
START_TEST(slow_checks_end_the_slice_at_its_time_budget)
{
	struct pkt_lsa q;
	char name[16];
	uint64_t t0;

	init();
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "q%03d", i);
		lsa_init(&q, name, 1);
		lsa_link(&q, "a", 1);
		input_signed(la, &q);
	}
	fake_now_step_us = 1000;
	t0 = fake_now_us;
	loop_turn();			/* one slice */
	ck_assert_uint_ge(px->st.lsa_verified, 1);
	ck_assert_uint_lt(px->st.lsa_verified, TOPOLOGY_VERIFY_BATCH / 4);
	/* the clock moved by the slice's readings: about its budget */
	ck_assert_uint_le(fake_now_us - t0, TOPOLOGY_VERIFY_SLICE_US +
	    20 * fake_now_step_us);
	fake_now_step_us = 0;
	for (int turns = 0; turns < 200 && px->st.lsa_queue > 0; turns++)
		loop_turn();
	ck_assert_uint_eq(px->st.lsa_verified, 40);
}
END_TEST

/*
 * Many route changes at once (ten origins of 64 prefixes each, checked
 * in one burst) go to the kernel KROUTE_SLICE_STEPS a loop turn, not all
 * in the callback that computed them; and when they all go away, so do
 * the withdrawals, with the log summing up beyond KROUTE_LOG_EACH.
 */
#define MANY_ORIGINS	10
static void
feed_many(bool linked)
{
	struct pkt_lsa a, z;
	char name[16], pfx[32];

	lsa_init(&a, "a", ++seq_a);
	lsa_prefix(&a, "10.1.0.0", 16);
	lsa_link(&a, "b", 10);
	for (int i = 0; linked && i < MANY_ORIGINS; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		lsa_link(&a, name, 10);
	}
	input_signed(la, &a);
	for (int i = 0; linked && i < MANY_ORIGINS; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		lsa_init(&z, name, 1);
		for (int j = 0; j < PKT_LSA_PREFIX_MAX; j++) {
			snprintf(pfx, sizeof(pfx), "10.%d.%d.0", 100 + i, j);
			lsa_prefix(&z, pfx, 24);
		}
		lsa_link(&z, "a", 10);
		input_signed(la, &z);
	}
	topology_settle(px);
}

START_TEST(many_route_changes_go_a_slice_a_turn)
{
	size_t all = 1 + MANY_ORIGINS * PKT_LSA_PREFIX_MAX, turns;

	fake_tun_attach(px);
	init();
	feed_many(true);
	ck_assert_uint_eq(px->routes.n, all + px->conf->n_prefixes);
	/* a table that large is planned on a turn of its own */
	ck_assert_uint_eq(kroute_installed(px), 0);
	ck_assert_uint_eq(fake_rtnl_count(), 0);
	for (turns = 0; turns < 20 && kroute_installed(px) < all; turns++) {
		size_t before = kroute_installed(px);

		loop_turn();
		ck_assert_uint_le(kroute_installed(px) - before,
		    KROUTE_SLICE_STEPS);
	}
	ck_assert_uint_eq(kroute_installed(px), all);
	ck_assert_uint_eq(turns, (all + KROUTE_SLICE_STEPS - 1) /
	    KROUTE_SLICE_STEPS);
	ck_assert_uint_eq(rtnl_calls(true, "10.109.63.0", 24), 1);
	/* all of them gone: withdrawn the same way (planned at once: the */
	/* table is small now) */
	fake_advance_s(2);		/* past the per-origin rate */
	feed_many(false);
	ck_assert_uint_eq(px->routes.n, 1 + px->conf->n_prefixes);
	ck_assert_uint_eq(kroute_installed(px), all - KROUTE_SLICE_STEPS);
	for (turns = 0; turns < 20 && kroute_installed(px) > 1; turns++)
		loop_turn();
	ck_assert_uint_eq(kroute_installed(px), 1);	/* a's 10.1/16 */
	ck_assert_uint_eq(rtnl_calls(false, "10.109.63.0", 24), 1);
	ck_assert_uint_eq(rtnl_calls(false, "10.1.0.0", 16), 0);
}
END_TEST

/* A slow kernel: the slice ends at KROUTE_SLICE_US, the rest follows. */
START_TEST(slow_route_changes_end_the_slice_at_its_time_budget)
{
	size_t all = 1 + MANY_ORIGINS * PKT_LSA_PREFIX_MAX, turns;

	fake_tun_attach(px);
	init();
	fake_rtnl_delay_us = 1000;	/* 1 ms a route */
	feed_many(true);
	loop_turn();
	ck_assert_uint_ge(kroute_installed(px), 1);
	ck_assert_uint_le(kroute_installed(px), KROUTE_SLICE_US / 1000 + 1);
	for (turns = 0; turns < 1000 && kroute_installed(px) < all; turns++)
		loop_turn();
	ck_assert_uint_eq(kroute_installed(px), all);
	ck_assert_uint_ge(turns, all / (KROUTE_SLICE_US / 1000 + 1));
}
END_TEST

/*
 * Once TERM came (px->stopping) the slices stop: what waits is left
 * (the checks undone, the routes go with the TUN).
 */
START_TEST(stopping_ends_the_slices)
{
	struct pkt_lsa q;
	size_t n;

	fake_tun_attach(px);
	init();
	feed_many(true);
	loop_turn();
	n = kroute_installed(px);
	ck_assert_uint_gt(n, 0);
	lsa_init(&q, "q0", 1);
	lsa_link(&q, "a", 1);
	input_signed(la, &q);
	ck_assert_uint_eq(px->st.lsa_queue, 1);
	px->stopping = true;
	for (int i = 0; i < 5; i++)
		loop_turn();
	ck_assert_uint_eq(kroute_installed(px), n);
	ck_assert_uint_eq(px->st.lsa_queue, 1);
	ck_assert_uint_eq(px->st.lsa_verified, MANY_ORIGINS + 1);
}
END_TEST

/*
 * A neighbour's newer copy of a waiting origin replaces its older one: one
 * signature check, the newer stored, flooded to all but that neighbour.
 */
START_TEST(newer_copy_replaces_the_waiting_one)
{
	struct pkt_lsa z;

	fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);
	init();
	lsa_init(&z, "z", 5);
	lsa_link(&z, "a", 10);
	input_signed(la, &z);
	z.seq = 6;
	input_signed(la, &z);
	z.seq = 4;			/* older than the waiting: not queued */
	input_signed(la, &z);
	ck_assert_uint_eq(px->st.lsa_queue, 1);
	ck_assert_uint_eq(px->st.lsa_queue_replaced, 1);
	topology_settle(px);
	ck_assert_uint_eq(px->st.lsa_verified, 1);
	ck_assert_uint_eq(topo_get(px->topo, "z")->seq, 6);
	ck_assert_uint_eq(lsas("c", "z"), 1);
	ck_assert_uint_eq(last_lsa("c", "z")->seq, 6);
	ck_assert_uint_eq(lsas("a", "z"), 0);
}
END_TEST

/*
 * A forger's "newer" copy from another neighbour, unchecked, does not
 * throw the genuine waiting one away: both wait, the genuine is used, the
 * forged is dropped and counted.
 */
START_TEST(forged_newer_does_not_displace_the_waiting_genuine)
{
	struct link *lc = fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);
	struct pkt_lsa z;
	static struct pkt_lsa f;

	init();
	lsa_init(&z, "z", 5);
	lsa_link(&z, "a", 10);
	input_signed(la, &z);
	f = z;
	f.seq = UINT64_MAX;
	testpki_sign(&f);
	f.sig[f.sig_len / 2] ^= 1;
	topology_lsa_input(lc, &f);
	ck_assert_uint_eq(px->st.lsa_queue, 2);
	topology_settle(px);
	ck_assert_uint_eq(px->st.lsa_forged, 1);
	ck_assert_uint_eq(px->st.lsa_verified, 1);
	ck_assert_uint_eq(topo_get(px->topo, "z")->seq, 5);
	ck_assert_uint_eq(lsas("c", "z"), 1);	/* the genuine, flooded */
	ck_assert_uint_eq(last_lsa("c", "z")->seq, 5);
}
END_TEST

/* A forged one waits like the others and is dropped when its turn comes. */
START_TEST(forged_waits_then_dropped_counted)
{
	struct pkt_lsa z;
	static struct pkt_lsa c;

	init();
	lsa_init(&z, "z", 5);
	lsa_link(&z, "a", 10);
	c = z;
	testpki_sign(&c);
	c.sig[c.sig_len / 2] ^= 1;
	topology_lsa_input(la, &c);
	ck_assert_uint_eq(px->st.lsa_queue, 1);
	ck_assert_uint_eq(px->st.lsa_forged, 0);
	topology_settle(px);
	ck_assert_uint_eq(px->st.lsa_forged, 1);
	ck_assert_ptr_null(topo_get(px->topo, "z"));
	ck_assert_uint_eq(lsas("c", "z"), 0);
}
END_TEST

/* Waiting longer than an advertisement lives: dropped when its turn comes. */
START_TEST(aged_out_while_waiting_is_dropped)
{
	struct pkt_lsa z;

	init();
	lsa_init(&z, "z", 5);
	lsa_link(&z, "a", 10);
	z.age_s = TOPO_MAX_AGE_S - 2;
	input_signed(la, &z);
	fake_advance_s(3);
	topology_settle(px);
	ck_assert_uint_eq(px->st.lsa_queue_dropped, 1);
	ck_assert_uint_eq(px->st.lsa_verified, 0);
	ck_assert_ptr_null(topo_get(px->topo, "z"));
}
END_TEST

static Suite *
topology_suite(void)
{
	const struct {
		const char	*name;
		const TTest	*fn;
	} cases[] = {
		{ "init_advertises_prefixes_and_up_links",
		    init_advertises_prefixes_and_up_links },
		{ "link_cost_follows_rtt", link_cost_follows_rtt },
		{ "link_cost_keeps_its_band", link_cost_keeps_its_band },
		{ "refresh_with_the_same_links_computes_no_routes",
		    refresh_with_the_same_links_computes_no_routes },
		{ "burst_is_checked_in_slices_not_at_once",
		    burst_is_checked_in_slices_not_at_once },
		{ "newer_copy_replaces_the_waiting_one",
		    newer_copy_replaces_the_waiting_one },
		{ "forged_newer_does_not_displace_the_waiting_genuine",
		    forged_newer_does_not_displace_the_waiting_genuine },
		{ "forged_waits_then_dropped_counted",
		    forged_waits_then_dropped_counted },
		{ "aged_out_while_waiting_is_dropped",
		    aged_out_while_waiting_is_dropped },
		{ "endpoint_when_public", endpoint_when_public },
		{ "endpoint_when_open_toward_a_link",
		    endpoint_when_open_toward_a_link },
		{ "burst_of_originates_floods_once_then_later",
		    burst_of_originates_floods_once_then_later },
		{ "changes_that_keep_coming_back_the_flood_off",
		    changes_that_keep_coming_back_the_flood_off },
		{ "bad_news_floods_whatever_the_back_off",
		    bad_news_floods_whatever_the_back_off },
		{ "tick_refreshes_our_advertisement",
		    tick_refreshes_our_advertisement },
		{ "newer_lsa_flooded_to_others_not_back",
		    newer_lsa_flooded_to_others_not_back },
		{ "older_lsa_gets_ours_back", older_lsa_gets_ours_back },
		{ "own_origin_readvertised_above_it",
		    own_origin_readvertised_above_it },
		{ "invalid_lsa_counts_drop", invalid_lsa_counts_drop },
		{ "link_up_sends_the_database", link_up_sends_the_database },
		{ "link_down_readvertises", link_down_readvertises },
		{ "link_drained_before_the_peer_certificate_ends",
		    link_drained_before_the_peer_certificate_ends },
		{ "routes_computed_and_installed",
		    routes_computed_and_installed },
		{ "routes_changed_noticed_only_on_change",
		    routes_changed_noticed_only_on_change },
		{ "routes_without_tun_touch_no_host_state",
		    routes_without_tun_touch_no_host_state },
		{ "route_covering_a_neighbour_not_installed",
		    route_covering_a_neighbour_not_installed },
		{ "ipv6_routes_installed_and_withdrawn",
		    ipv6_routes_installed_and_withdrawn },
		{ "ipv6_claim_over_a_host_route_refused_and_shown",
		    ipv6_claim_over_a_host_route_refused_and_shown },
		{ "ipv6_host_route_added_later_takes_ours_away",
		    ipv6_host_route_added_later_takes_ours_away },
		{ "ipv6_route_covering_a_neighbour_not_installed",
		    ipv6_route_covering_a_neighbour_not_installed },
		{ "claim_over_a_host_route_refused_and_shown",
		    claim_over_a_host_route_refused_and_shown },
		{ "host_route_added_later_takes_ours_away",
		    host_route_added_later_takes_ours_away },
		{ "add_refused_by_the_kernel_is_not_ours",
		    add_refused_by_the_kernel_is_not_ours },
		{ "ageing_removes_a_silent_origin_and_its_routes",
		    ageing_removes_a_silent_origin_and_its_routes },
		{ "revoked_origin_withdrawn_and_refused_after",
		    revoked_origin_withdrawn_and_refused_after },
		{ "neighbour_down_withdraws_its_routes",
		    neighbour_down_withdraws_its_routes },
		{ "direct_link_makes_destination_one_hop",
		    direct_link_makes_destination_one_hop },
		{ "learns_endpoints_in_pair_hash_order",
		    learns_endpoints_in_pair_hash_order },
		{ "learns_hubs_last", learns_hubs_last },
		{ "learned_origin_that_leaves_is_forgotten",
		    learned_origin_that_leaves_is_forgotten },
		{ "learned_link_up_is_kept_when_origin_leaves",
		    learned_link_up_is_kept_when_origin_leaves },
		{ "unsigned_lsa_dropped_counted_not_flooded",
		    unsigned_lsa_dropped_counted_not_flooded },
		{ "tampered_lsa_dropped_as_forged",
		    tampered_lsa_dropped_as_forged },
		{ "lsa_signed_by_another_proxy_dropped",
		    lsa_signed_by_another_proxy_dropped },
		{ "lsa_from_another_ca_dropped", lsa_from_another_ca_dropped },
		{ "forged_max_seq_does_not_pin_the_origin",
		    forged_max_seq_does_not_pin_the_origin },
		{ "signed_max_seq_is_overtaken_by_the_next",
		    signed_max_seq_is_overtaken_by_the_next },
		{ "claim_outside_blocks_refused_not_routed",
		    claim_outside_blocks_refused_not_routed },
		{ "claim_without_blocks_refused_when_required",
		    claim_without_blocks_refused_when_required },
		{ "ed25519_certificates_sign_too",
		    ed25519_certificates_sign_too },
		{ "origin_over_its_rate_is_dropped_others_kept",
		    origin_over_its_rate_is_dropped_others_kept },
		{ "origins_over_the_limit_are_counted",
		    origins_over_the_limit_are_counted },
		{ "slow_checks_end_the_slice_at_its_time_budget",
		    slow_checks_end_the_slice_at_its_time_budget },
		{ "many_route_changes_go_a_slice_a_turn",
		    many_route_changes_go_a_slice_a_turn },
		{ "slow_route_changes_end_the_slice_at_its_time_budget",
		    slow_route_changes_end_the_slice_at_its_time_budget },
		{ "stopping_ends_the_slices", stopping_ends_the_slices },
	};
	Suite *s = suite_create("topology");

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, cases[i].fn);
		/* signing makes a key per origin: slow under sanitizers on a
		   loaded machine (4 s, the default, was seen exceeded) */
		tcase_set_timeout(tc, 30);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(topology_suite());
	int failed;

	log_init(1, LOG_LVL_WARN, "check_topology");
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
