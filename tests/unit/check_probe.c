/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for proxyd/probe.c alone, in the fake world of fake.h: we are
 * proxy "b", neighbour "a" is an up fake link.  The trials run on probe.c's
 * own libevent timer: the tests move the fake clock and then make every
 * pending timer of the base fire (fire_timers()), so each timer callback
 * sees the fake time.  A small model of the neighbour and of our NAT
 * (struct model, react()) answers what the trials send, so a run can be
 * driven to its classification and through the binding-lifetime ladder.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "buf.h"
#include "fake.h"
#include "log.h"
#include "probe.h"

#define A_ADDR		"198.51.100.1"	/* neighbour a, primary */
#define A_PORT		4790
#define A_ALT_PORT	4791
#define A_ALT_ADDR	"198.51.100.2"
#define C_ADDR		"203.0.113.3"	/* neighbour c (a third proxy) */
#define LOCAL_ADDR	"10.0.0.1"	/* fake.c's primary listen socket */
#define LOCAL_PORT	4790
#define PUB_ADDR	"203.0.113.50"	/* our NAT's public address */

static struct proxyd	*px;
static struct link	*la;		/* b -> a, up */

/* ---- timers on the fake clock: fake_fire_timers() ---- */

#define timers_pending()	fake_timers_pending(px)
#define fire_timers()		fake_fire_timers(px)

static void
step_ms(unsigned ms)
{
	fake_advance_ms(ms);
	fire_timers();
}

/* ---- sending things to probe.c ---- */

static struct psock *
sock(enum psock_kind k)
{
	return &px->socks[k];
}

static void
info(struct link *l, uint16_t alt_port, const char *alt_addr)
{
	struct pkt_msg m = { .type = PKT_MSG_INFO };
	struct ep from = l->peer;

	m.u.info.alt_port = alt_port;
	if (alt_addr != NULL)
		m.u.info.alt_addr = fake_sin(alt_addr, l->peer.port);
	probe_msg(l, &m, sock(PSOCK_PRIMARY), &from);
}

static void
resp(struct link *l, uint64_t id, uint8_t status, const char *addr,
    uint16_t port, struct psock *in)
{
	struct pkt_msg m = { .type = PKT_MSG_PROBE_RESP };
	struct ep from = l->peer;

	m.u.probe_resp.id = id;
	m.u.probe_resp.status = status;
	if (addr != NULL)
		m.u.probe_resp.mapped = fake_sin(addr, port);
	probe_msg(l, &m, in, &from);
}

static void
req(struct link *l, uint64_t id, uint8_t from_kind, const char *src,
    uint16_t src_port, const char *target, uint16_t target_port,
    struct psock *in)
{
	struct pkt_msg m = { .type = PKT_MSG_PROBE_REQ };
	struct ep from = fake_sin(src, src_port);

	m.u.probe_req.id = id;
	m.u.probe_req.from = from_kind;
	if (target != NULL) {
		m.u.probe_req.target = fake_sin(target, target_port);
	}
	probe_msg(l, &m, in, &from);
}

static void
third_req(struct link *l, uint64_t nonce, const char *target, uint16_t port)
{
	struct pkt_msg m = { .type = PKT_MSG_THIRD_REQ };
	struct ep from = l->peer;

	m.u.third.nonce = nonce;
	m.u.third.target = fake_sin(target, port);
	probe_msg(l, &m, sock(PSOCK_PRIMARY), &from);
}

static void
nat_result(struct link *l, enum nat_type t, uint32_t lifetime)
{
	struct pkt_msg m = { .type = PKT_MSG_NAT_RESULT };
	struct ep from = l->peer;

	m.u.nat.type = t;
	m.u.nat.mapping = NAT_BEH_EI;
	m.u.nat.filtering = NAT_BEH_APD;
	m.u.nat.lifetime_s = lifetime;
	m.u.nat.port_preserved = 2;
	probe_msg(l, &m, sock(PSOCK_PRIMARY), &from);
}

static bool
sin_is(const struct ep *s, const char *addr, uint16_t port)
{
	return s->a.v4.s_addr == fake_ip(addr).s_addr &&
	    s->port == port;
}

/*
 * A lifetime rung's binding request: from a trial socket, answered from
 * the primary.  (Filtering trials come from a trial socket too, but ask
 * for answers from elsewhere.)
 */
static bool
is_rung_bind(const struct fake_msg *m)
{
	return m->via_kind == PSOCK_PROBE &&
	    m->msg.u.probe_req.from == PKT_FROM_PRIMARY;
}

/* PROBE_REQs on l asking for answers from 'from', counted from start. */
static size_t
reqs_from(const struct link *l, uint8_t from, size_t start)
{
	size_t n = 0;
	const struct fake_msg *m;

	for (size_t i = start; (m = fake_sent_nth(PKT_MSG_PROBE_REQ, i)) !=
	    NULL; i++)
		n += m->link == l && m->msg.u.probe_req.from == from &&
		    !is_rung_bind(m) && m->msg.u.probe_req.target.port == 0;
	return n;
}

/* The i-th PROBE_REQ (from 0) sent to addr:port, or NULL. */
static const struct fake_msg *
req_to(const char *addr, uint16_t port, uint8_t from, size_t i)
{
	const struct fake_msg *m;

	for (size_t k = 0; (m = fake_sent_nth(PKT_MSG_PROBE_REQ, k)) != NULL;
	    k++)
		if (sin_is(&m->to, addr, port) &&
		    m->msg.u.probe_req.from == from && i-- == 0)
			return m;
	return NULL;
}

/*
 * Whether the trial socket of m (a request sent since the last react())
 * is the mapping trials' socket: it sends to an alternate in the same
 * batch (lifetime rungs only ever bind to the primary).
 */
static bool
is_map_sock(const struct fake_msg *m, size_t from_i)
{
	const struct fake_msg *x;

	if (m->via_kind != PSOCK_PROBE)
		return false;
	for (size_t i = from_i; (x = fake_sent_nth(PKT_MSG_PROBE_REQ, i)) !=
	    NULL; i++)
		if (x->via_sock == m->via_sock &&
		    !sin_is(&x->to, A_ADDR, A_PORT))
			return true;
	return false;
}

/* ---- a model of the neighbour and of our NAT ---- */

struct model {
	const char	*addr;		/* where the neighbour sees us */
	uint16_t	 port[3];	/* toward primary, alt port, alt addr */
	bool		 mute_primary;	/* nothing reaches the primary */
	bool		 pass_alt_port;	/* our filter lets these in */
	bool		 pass_alt_addr;
	bool		 pass_third;
	bool		 no_third;	/* the neighbour has no third proxy */
	bool		 mute_binds;	/* lifetime rungs never get through */
	bool		 lose_first_check; /* each rung's first check is lost */
	bool		 silent;	/* the test answers, not the model */
	uint32_t	 lifetime_s;	/* binding lifetime (s); 0: long */
};

#define RUNGS_MAX	32

static struct model	 nm;
static size_t		 seen;		/* PROBE_REQs handled by react() */
static struct {
	struct link	*l;
	struct psock	*ps;
	uint16_t	 mapped_port;
	uint64_t	 bound_us;	/* the mapping's last use */
	int		 checks;	/* check requests seen */
} rung[RUNGS_MAX];
static int		 n_rung;

static void
model_default(void)
{
	memset(&nm, 0, sizeof(nm));
	nm.addr = PUB_ADDR;
	nm.port[0] = nm.port[1] = nm.port[2] = LOCAL_PORT;
	seen = 0;
	n_rung = 0;
}

/* Answers every PROBE_REQ sent since the last call, as the model says. */
static void
react(void)
{
	const struct fake_msg *m;

	for (; (m = fake_sent_nth(PKT_MSG_PROBE_REQ, seen)) != NULL; seen++) {
		struct link *l = m->link;
		const struct pkt_probe_req *q = &m->msg.u.probe_req;
		struct ep third = fake_sin(C_ADDR, 5000);
		int k;

		if (nm.silent)
			continue;

		if (is_rung_bind(m) && is_map_sock(m, seen)) {
			/*
			 * The mapping trials' socket: our NAT maps it as the
			 * model says, its ports shifted by the socket's own
			 * (no NAT: the mapping is the socket itself).
			 */
			int off = m->via_sock->local.port -
			    LOCAL_PORT;

			k = m->to.port != l->peer.port ? 1 :
			    m->to.a.v4.s_addr != l->peer.a.v4.s_addr ?
			    2 : 0;
			if (k == 0 && nm.mute_primary)
				continue;
			resp(l, q->id, PKT_PROBE_OK, nm.addr,
			    (uint16_t)(nm.port[k] + off), m->via_sock);
			continue;
		}
		if (is_rung_bind(m)) {		/* a rung's binding */
			if (nm.mute_binds || n_rung == RUNGS_MAX)
				continue;
			rung[n_rung].l = l;
			rung[n_rung].ps = m->via_sock;
			rung[n_rung].mapped_port = (uint16_t)(50000 + n_rung);
			rung[n_rung].bound_us = fake_now_us;
			rung[n_rung].checks = 0;
			resp(l, q->id, PKT_PROBE_OK, nm.addr,
			    rung[n_rung].mapped_port, m->via_sock);
			n_rung++;
			continue;
		}
		if (q->target.port != 0 && q->from == PKT_FROM_PRIMARY) {
			/* a rung's check: does its mapping still exist? */
			for (k = 0; k < n_rung; k++)
				if (rung[k].mapped_port == q->target.port)
					break;
			if (k == n_rung || (nm.lifetime_s != 0 &&
			    fake_now_us - rung[k].bound_us >=
			    (uint64_t)nm.lifetime_s * 1000000))
				continue;
			if (nm.lose_first_check && rung[k].checks++ == 0)
				continue;
			resp(l, q->id, PKT_PROBE_OK, NULL, 0, rung[k].ps);
			continue;
		}
		switch (q->from) {
		case PKT_FROM_PRIMARY:
			if (m->to.port != l->peer.port)
				k = 1;
			else if (m->to.a.v4.s_addr !=
			    l->peer.a.v4.s_addr)
				k = 2;
			else if (nm.mute_primary)
				continue;
			else
				k = 0;
			resp(l, q->id, PKT_PROBE_OK, nm.addr, nm.port[k],
			    sock(PSOCK_PRIMARY));
			break;
		case PKT_FROM_ALT_PORT:
		case PKT_FROM_ALT_ADDR:
			/* to the socket the request came from */
			if (q->from == PKT_FROM_ALT_PORT ? nm.pass_alt_port :
			    nm.pass_alt_addr)
				resp(l, q->id, PKT_PROBE_OK, nm.addr,
				    nm.port[0], m->via_sock);
			break;
		case PKT_FROM_THIRD:
			resp(l, q->id, nm.no_third ? PKT_PROBE_UNAVAILABLE :
			    PKT_PROBE_OK, NULL, 0, m->via_sock);
			if (!nm.no_third && nm.pass_third)
				probe_nonce(px, q->id, &third);
			break;
		default:
			break;
		}
	}
}

/* Moves the clock by ms in timer steps, the model answering. */
static void
drive_ms(unsigned ms)
{
	for (unsigned t = 0; t < ms; t += 200) {
		step_ms(200);
		react();
	}
}

/* NAT_RESULTs sent on l so far. */
static size_t
results_on(const struct link *l)
{
	const struct fake_msg *m;
	size_t n = 0;

	for (size_t i = 0; (m = fake_sent_nth(PKT_MSG_NAT_RESULT, i)) != NULL;
	    i++)
		n += m->link == l;
	return n;
}

/* Drives until l sends its next NAT result (at most limit_ms). */
static void
drive_until_result(struct link *l, unsigned limit_ms)
{
	size_t n = results_on(l);

	for (unsigned t = 0; t < limit_ms && results_on(l) == n; t += 200) {
		step_ms(200);
		react();
	}
}

/* Drives until l's lifetime ladder is over (at most limit_s). */
static void
drive_ladder(struct link *l, unsigned limit_s)
{
	for (unsigned t = 0; t < limit_s * 5 && (probe_view(l)->lifetime_running
	    || !probe_view(l)->valid); t++) {
		step_ms(200);
		react();
	}
}

/* ---- fixture ---- */

static void
setup(void)
{
	px = fake_proxyd_new("b");
	ck_assert_int_eq(probe_init(px), 0);
	la = fake_link_add(px, "a", LINK_UP, A_ADDR, A_PORT);
	model_default();
}

static void
teardown(void)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		probe_link_down(l);
	probe_free(px);
	fake_proxyd_free(px);
	px = NULL;
}

/* a is up, has said where its alternates are, and trials start. */
static void
up_with_trials(void)
{
	probe_link_up(la, true);
	info(la, A_ALT_PORT, A_ALT_ADDR);
}

/* ---- link up ---- */

START_TEST(link_up_sends_info_with_our_alternates)
{
	const struct fake_msg *m;

	px->conf->alt_port = 4795;
	px->conf->has_alt_addr = true;
	px->conf->alt_addr = fake_ip("10.0.0.2");
	fake_listen(px, PSOCK_ALT_ADDR, "10.0.0.2", CONF_DEFAULT_PORT);
	probe_link_up(la, false);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_INFO), 1);
	m = fake_sent_last(PKT_MSG_INFO);
	ck_assert_ptr_eq(m->link, la);
	ck_assert_uint_eq(m->msg.u.info.alt_port, 4795);
	ck_assert_uint_eq(m->msg.u.info.alt_addr.a.v4.s_addr,
	    fake_ip("10.0.0.2").s_addr);
	ck_assert_ptr_nonnull(probe_view(la));
	ck_assert(!probe_view(la)->valid);
}
END_TEST

START_TEST(link_up_info_without_alt_addr_is_zero)
{
	probe_link_up(la, false);
	ck_assert_uint_eq(fake_sent_last(PKT_MSG_INFO)->msg.u.info.alt_port,
	    CONF_DEFAULT_PORT + 1);
	ck_assert_uint_eq(
	    fake_sent_last(PKT_MSG_INFO)->msg.u.info.alt_addr.family, 0);
}
END_TEST

START_TEST(link_up_without_trials_sends_no_probe)
{
	probe_link_up(la, false);
	ck_assert(!probe_running(la));
	ck_assert_int_eq(timers_pending(), 0);
	drive_ms(10000);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_PROBE_REQ), 0);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_NAT_RESULT), 0);
}
END_TEST

START_TEST(link_up_trials_start_after_a_second)
{
	const struct fake_msg *m;

	up_with_trials();
	ck_assert(probe_running(la));
	step_ms(800);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_PROBE_REQ), 0);
	step_ms(200);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_PROBE_REQ), 1);
	m = fake_sent_last(PKT_MSG_PROBE_REQ);
	ck_assert(m->via);
	ck_assert_int_eq(m->via_kind, PSOCK_PRIMARY);
	ck_assert(sin_is(&m->to, A_ADDR, A_PORT));
	ck_assert_uint_eq(m->msg.u.probe_req.from, PKT_FROM_PRIMARY);
	ck_assert_uint_eq(m->msg.u.probe_req.target.port, 0);
}
END_TEST

/* ---- the trial phases ---- */

START_TEST(phases_send_to_the_right_destinations)
{
	const struct fake_msg *p, *m;
	uint64_t id;
	size_t n;

	up_with_trials();
	step_ms(1000);
	p = fake_sent_last(PKT_MSG_PROBE_REQ);
	id = p->msg.u.probe_req.id;
	/* unanswered: resent every 400 ms with the same id, nothing else */
	step_ms(200);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_PROBE_REQ), 1);
	step_ms(200);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_PROBE_REQ), 2);
	ck_assert_uint_eq(fake_sent_last(PKT_MSG_PROBE_REQ)->msg.u.probe_req.id,
	    id);
	resp(la, id, PKT_PROBE_OK, PUB_ADDR, 6000, sock(PSOCK_PRIMARY));
	n = fake_sent_count(PKT_MSG_PROBE_REQ);

	/*
	 * filtering first: all three at the primary, from the link's own
	 * socket (its filter is the one that matters); no target named:
	 * answers go to where the neighbour sees that socket
	 */
	step_ms(200);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_PROBE_REQ), n + 3);
	ck_assert_uint_eq(reqs_from(la, PKT_FROM_ALT_PORT, n), 1);
	ck_assert_uint_eq(reqs_from(la, PKT_FROM_ALT_ADDR, n), 1);
	ck_assert_uint_eq(reqs_from(la, PKT_FROM_THIRD, n), 1);
	for (size_t i = n; i < n + 3; i++) {
		m = fake_sent_nth(PKT_MSG_PROBE_REQ, i);
		ck_assert(sin_is(&m->to, A_ADDR, A_PORT));
		ck_assert_int_eq(m->via_kind, PSOCK_PRIMARY);
		ck_assert_uint_eq(m->msg.u.probe_req.target.port, 0);
	}
	/* no mapping trial toward the alternates while filtering runs */
	ck_assert_ptr_null(req_to(A_ADDR, A_ALT_PORT, PKT_FROM_PRIMARY, 0));
	ck_assert_ptr_null(req_to(A_ALT_ADDR, A_PORT, PKT_FROM_PRIMARY, 0));

	/* unanswered filtering ends with the phase; mapping follows */
	step_ms(2400);
	ck_assert_ptr_null(req_to(A_ADDR, A_ALT_PORT, PKT_FROM_PRIMARY, 0));
	step_ms(200);
	n = fake_sent_count(PKT_MSG_PROBE_REQ);
	ck_assert_ptr_nonnull(req_to(A_ADDR, A_ALT_PORT, PKT_FROM_PRIMARY, 0));
	ck_assert_ptr_nonnull(req_to(A_ALT_ADDR, A_PORT, PKT_FROM_PRIMARY, 0));
	/*
	 * mapping: to the primary, the alternate port and the alternate
	 * address, all from one socket of the run's own, never the link's
	 * (so the link's filter is never opened toward the alternates)
	 */
	{
		const struct fake_msg *ref = fake_sent_nth(PKT_MSG_PROBE_REQ,
		    n - 3);

		ck_assert(sin_is(&ref->to, A_ADDR, A_PORT));
		ck_assert_int_eq(ref->via_kind, PSOCK_PROBE);
		for (size_t i = n - 3; i < n; i++) {
			m = fake_sent_nth(PKT_MSG_PROBE_REQ, i);
			ck_assert_ptr_eq(m->via_sock, ref->via_sock);
			ck_assert_uint_eq(m->msg.u.probe_req.from,
			    PKT_FROM_PRIMARY);
			resp(la, m->msg.u.probe_req.id, PKT_PROBE_OK, PUB_ADDR,
			    6100, m->via_sock);
		}
	}
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_NAT_RESULT), 0);
	fake_psock_open_fails = true;		/* no ladder here */
	step_ms(200);
	/* the filtering trials were not asked again */
	ck_assert_uint_eq(reqs_from(la, PKT_FROM_ALT_PORT, n), 0);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_NAT_RESULT), 1);
	ck_assert_int_eq(probe_view(la)->res.type, NAT_TYPE_PORT_RESTRICTED);
	ck_assert_int_eq(probe_view(la)->trials[TRIAL_FILT_ALT_PORT],
	    NAT_NOT_RECEIVED);
	/* nobody acknowledged the third-proxy request: not run */
	ck_assert_int_eq(probe_view(la)->trials[TRIAL_FILT_THIRD],
	    NAT_UNTESTED);
	ck_assert_uint_eq(probe_view(la)->mapped.ep.port, 6000);
	ck_assert_int_eq(timers_pending(), 0);
}
END_TEST

START_TEST(no_alternates_no_alternate_trials)
{
	size_t n;

	probe_link_up(la, true);		/* no INFO from a */
	nm.pass_third = true;
	fake_psock_open_fails = true;
	drive_until_result(la, 10000);
	ck_assert(probe_view(la)->valid);
	n = fake_sent_count(PKT_MSG_PROBE_REQ);
	ck_assert_uint_eq(reqs_from(la, PKT_FROM_ALT_PORT, 0), 0);
	ck_assert_uint_eq(reqs_from(la, PKT_FROM_ALT_ADDR, 0), 0);
	/* primary and third only */
	ck_assert_uint_eq(n, 2);
	/* mapping untested is never taken for a cone */
	ck_assert_int_eq(probe_view(la)->res.type, NAT_TYPE_SYMMETRIC);
	ck_assert_int_eq(probe_view(la)->trials[TRIAL_MAP_ALT_PORT],
	    NAT_UNTESTED);
	ck_assert_int_eq(probe_view(la)->trials[TRIAL_FILT_THIRD],
	    NAT_RECEIVED);
	ck_assert_str_ne(probe_view(la)->res.assumed, "");
}
END_TEST

/* ---- classification by the highest-match rule ---- */

static const struct classify_case {
	const char		*name;
	const char		*addr;
	uint16_t		 port[3];
	bool			 pass_port, pass_addr, pass_third;
	bool			 no_third, mute_primary;
	enum nat_type		 type;
	enum nat_behaviour	 mapping, filtering;
	enum nat_outcome	 filt[3];
} classify_cases[] = {
	{ "open", LOCAL_ADDR, { LOCAL_PORT, LOCAL_PORT, LOCAL_PORT },
	    true, true, true, false, false, NAT_TYPE_OPEN, NAT_BEH_NONE,
	    NAT_BEH_EI, { NAT_RECEIVED, NAT_RECEIVED, NAT_RECEIVED } },
	{ "full cone", PUB_ADDR, { LOCAL_PORT, LOCAL_PORT, LOCAL_PORT },
	    true, true, true, false, false, NAT_TYPE_FULL_CONE, NAT_BEH_EI,
	    NAT_BEH_EI, { NAT_RECEIVED, NAT_RECEIVED, NAT_RECEIVED } },
	{ "full cone by third proxy alone", PUB_ADDR, { 7000, 7000, 7000 },
	    false, false, true, false, false, NAT_TYPE_FULL_CONE, NAT_BEH_EI,
	    NAT_BEH_EI,
	    { NAT_NOT_RECEIVED, NAT_NOT_RECEIVED, NAT_RECEIVED } },
	{ "restricted cone", PUB_ADDR, { 7000, 7000, 7000 },
	    true, false, false, false, false, NAT_TYPE_RESTRICTED, NAT_BEH_EI,
	    NAT_BEH_AD,
	    { NAT_RECEIVED, NAT_NOT_RECEIVED, NAT_NOT_RECEIVED } },
	{ "port-restricted cone", PUB_ADDR, { 7000, 7000, 7000 },
	    false, false, false, false, false, NAT_TYPE_PORT_RESTRICTED,
	    NAT_BEH_EI, NAT_BEH_APD,
	    { NAT_NOT_RECEIVED, NAT_NOT_RECEIVED, NAT_NOT_RECEIVED } },
	{ "third proxy unavailable is untested", PUB_ADDR,
	    { 7000, 7000, 7000 }, false, false, false, true, false,
	    NAT_TYPE_PORT_RESTRICTED, NAT_BEH_EI, NAT_BEH_APD,
	    { NAT_NOT_RECEIVED, NAT_NOT_RECEIVED, NAT_UNTESTED } },
	{ "symmetric: other port per destination port", PUB_ADDR,
	    { 7000, 7001, 7002 }, true, true, true, false, false,
	    NAT_TYPE_SYMMETRIC, NAT_BEH_APD, NAT_BEH_EI,
	    { NAT_RECEIVED, NAT_RECEIVED, NAT_RECEIVED } },
	{ "symmetric: other port per destination address", PUB_ADDR,
	    { 7000, 7000, 7002 }, false, false, false, false, false,
	    NAT_TYPE_SYMMETRIC, NAT_BEH_AD, NAT_BEH_APD,
	    { NAT_NOT_RECEIVED, NAT_NOT_RECEIVED, NAT_NOT_RECEIVED } },
	{ "no answer at the primary", PUB_ADDR, { 7000, 7000, 7000 },
	    true, true, true, false, true, NAT_TYPE_UNKNOWN, NAT_BEH_UNKNOWN,
	    NAT_BEH_UNKNOWN, { NAT_UNTESTED, NAT_UNTESTED, NAT_UNTESTED } },
};

START_TEST(classify_by_highest_match)
{
	const struct classify_case *c = &classify_cases[_i];
	const struct nat_view *v;
	const struct pkt_nat_result *r;

	nm.addr = c->addr;
	memcpy(nm.port, c->port, sizeof(nm.port));
	nm.pass_alt_port = c->pass_port;
	nm.pass_alt_addr = c->pass_addr;
	nm.pass_third = c->pass_third;
	nm.no_third = c->no_third;
	nm.mute_primary = c->mute_primary;
	nm.mute_binds = true;
	up_with_trials();
	drive_until_result(la, 10000);
	v = probe_view(la);
	ck_assert_msg(v->valid, "%s: no result", c->name);
	ck_assert_msg(v->res.type == c->type, "%s: type %s, not %s", c->name,
	    nat_type_name(v->res.type), nat_type_name(c->type));
	ck_assert_msg(v->res.mapping == c->mapping, "%s: mapping %s",
	    c->name, nat_behaviour_name(v->res.mapping));
	ck_assert_msg(v->res.filtering == c->filtering, "%s: filtering %s",
	    c->name, nat_behaviour_name(v->res.filtering));
	for (int t = 0; t < 3; t++)
		ck_assert_msg(v->trials[TRIAL_FILT_ALT_PORT + t] == c->filt[t],
		    "%s: %s %s", c->name,
		    probe_trial_name(TRIAL_FILT_ALT_PORT + t),
		    nat_outcome_name(v->trials[TRIAL_FILT_ALT_PORT + t]));
	/* the neighbour hears it, the other engines are told once */
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_NAT_RESULT), 1);
	r = &fake_sent_last(PKT_MSG_NAT_RESULT)->msg.u.nat;
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_NAT_RESULT)->link, la);
	ck_assert_int_eq(r->type, c->type);
	ck_assert_uint_eq(r->mapping, c->mapping);
	ck_assert_uint_eq(r->filtering, c->filtering);
	for (int t = 0; t < PROBE_TRIALS; t++)
		ck_assert_uint_eq(r->trials[t], v->trials[t]);
	if (!c->mute_primary) {
		ck_assert_uint_eq(r->mapped.a.v4.s_addr,
		    fake_ip(c->addr).s_addr);
		ck_assert_uint_eq(r->mapped.port, c->port[0]);
	} else	/* nothing to filter on: the run ends there */
		ck_assert_uint_eq(reqs_from(la, PKT_FROM_ALT_PORT, 0), 0);
	ck_assert_uint_eq(fake.n_nat_changed, 1);
	/* and only once, however long it runs on */
	drive_ms(4000);
	ck_assert_uint_eq(fake.n_nat_changed, 1);
}
END_TEST

/* ---- filtering trials immune to what earlier runs left in the NAT ---- */

/* Requests via the link's socket (primary) to one of a's alternates. */
static size_t
link_sock_to_alternates(void)
{
	const struct fake_msg *m;
	size_t n = 0;

	for (size_t i = 0; (m = fake_sent_nth(PKT_MSG_PROBE_REQ, i)) != NULL;
	    i++)
		n += m->via_kind == PSOCK_PRIMARY &&
		    !sin_is(&m->to, A_ADDR, A_PORT);
	return n;
}

/* The local port of the socket the first request to an alternate used. */
static uint16_t
map_port_since(size_t from_i)
{
	const struct fake_msg *m;

	for (size_t i = from_i; (m = fake_sent_nth(PKT_MSG_PROBE_REQ, i)) !=
	    NULL; i++)
		if (!sin_is(&m->to, A_ADDR, A_PORT))
			return m->via_sock->local.port;
	return 0;
}

START_TEST(the_link_socket_never_sends_to_the_alternates)
{
	uint16_t p1, p2;
	size_t n;

	/*
	 * A mapping trial toward a's alternate port or address opens our
	 * NAT for answers from there, for longer than the link (or this
	 * proxy) lives: from the link's socket it would open the very filter
	 * the next run's filtering trials test, and a restarted proxy would
	 * read full cone.  Each run maps from a socket of its own.
	 */
	nm.mute_binds = true;
	up_with_trials();
	drive_until_result(la, 10000);
	ck_assert_int_eq(probe_view(la)->res.type, NAT_TYPE_PORT_RESTRICTED);
	p1 = map_port_since(0);
	ck_assert_uint_ne(p1, 0);
	ck_assert_uint_ne(p1, LOCAL_PORT);
	ck_assert_uint_eq(link_sock_to_alternates(), 0);
	/* again, as proxyctl probe or a reconnect would */
	n = fake_sent_count(PKT_MSG_PROBE_REQ);
	probe_start(la, 0);
	drive_until_result(la, 10000);
	p2 = map_port_since(n);
	ck_assert_uint_ne(p2, 0);
	ck_assert_uint_ne(p2, p1);
	ck_assert_uint_ne(p2, LOCAL_PORT);
	ck_assert_uint_eq(link_sock_to_alternates(), 0);
	ck_assert_uint_gt(reqs_from(la, PKT_FROM_ALT_PORT, n), 0);
	ck_assert_int_eq(probe_view(la)->res.type, NAT_TYPE_PORT_RESTRICTED);
}
END_TEST

START_TEST(without_a_socket_of_their_own_mapping_says_so)
{
	fake_psock_open_fails = true;
	up_with_trials();
	drive_until_result(la, 10000);
	ck_assert(probe_view(la)->valid);
	ck_assert_uint_gt(link_sock_to_alternates(), 0);
	ck_assert_ptr_nonnull(strstr(probe_view(la)->res.assumed,
	    "ran from the link's socket"));
}
END_TEST


/* ---- the responder side ---- */

START_TEST(answers_primary_from_the_socket_it_came_in)
{
	const struct fake_msg *m;

	probe_link_up(la, false);
	req(la, 77, PKT_FROM_PRIMARY, A_ADDR, 5555, NULL, 0,
	    sock(PSOCK_PRIMARY));
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_PROBE_RESP), 1);
	m = fake_sent_last(PKT_MSG_PROBE_RESP);
	ck_assert_ptr_eq(m->link, la);
	ck_assert(m->via);
	ck_assert_ptr_eq(m->via_sock, sock(PSOCK_PRIMARY));
	ck_assert(sin_is(&m->to, A_ADDR, 5555));
	ck_assert_uint_eq(m->msg.u.probe_resp.id, 77);
	ck_assert_uint_eq(m->msg.u.probe_resp.status, PKT_PROBE_OK);
	/* the mapping: where the request came from */
	ck_assert_uint_eq(m->msg.u.probe_resp.mapped.a.v4.s_addr,
	    fake_ip(A_ADDR).s_addr);
	ck_assert_uint_eq(m->msg.u.probe_resp.mapped.port, 5555);
}
END_TEST

START_TEST(answers_from_alternate_sockets_or_says_unavailable)
{
	const struct fake_msg *m;

	probe_link_up(la, false);
	/* no alternate sockets open */
	req(la, 1, PKT_FROM_ALT_PORT, A_ADDR, 5555, NULL, 0,
	    sock(PSOCK_PRIMARY));
	m = fake_sent_last(PKT_MSG_PROBE_RESP);
	ck_assert_uint_eq(m->msg.u.probe_resp.status, PKT_PROBE_UNAVAILABLE);
	ck_assert_ptr_eq(m->via_sock, sock(PSOCK_PRIMARY));
	req(la, 2, PKT_FROM_ALT_ADDR, A_ADDR, 5555, NULL, 0,
	    sock(PSOCK_PRIMARY));
	ck_assert_uint_eq(
	    fake_sent_last(PKT_MSG_PROBE_RESP)->msg.u.probe_resp.status,
	    PKT_PROBE_UNAVAILABLE);
	/* open: the answer leaves from them */
	fake_listen(px, PSOCK_ALT_PORT, LOCAL_ADDR, LOCAL_PORT + 1);
	fake_listen(px, PSOCK_ALT_ADDR, "10.0.0.2", LOCAL_PORT);
	req(la, 3, PKT_FROM_ALT_PORT, A_ADDR, 5555, NULL, 0,
	    sock(PSOCK_PRIMARY));
	m = fake_sent_last(PKT_MSG_PROBE_RESP);
	ck_assert_uint_eq(m->msg.u.probe_resp.status, PKT_PROBE_OK);
	ck_assert_int_eq(m->via_kind, PSOCK_ALT_PORT);
	ck_assert_ptr_eq(m->via_sock, sock(PSOCK_ALT_PORT));
	ck_assert_uint_eq(m->msg.u.probe_resp.from, PKT_FROM_ALT_PORT);
	ck_assert(sin_is(&m->to, A_ADDR, 5555));
	req(la, 4, PKT_FROM_ALT_ADDR, A_ADDR, 5555, NULL, 0,
	    sock(PSOCK_PRIMARY));
	m = fake_sent_last(PKT_MSG_PROBE_RESP);
	ck_assert_int_eq(m->via_kind, PSOCK_ALT_ADDR);
	ck_assert_uint_eq(m->msg.u.probe_resp.id, 4);
}
END_TEST

START_TEST(answers_to_the_target_and_never_from_a_trial_socket)
{
	const struct fake_msg *m;
	struct psock rung_sock = { .fd = 4242, .kind = PSOCK_PROBE };

	probe_link_up(la, false);
	/* a target nobody's request came from: no answer, counted */
	req(la, 4, PKT_FROM_PRIMARY, A_ADDR, 5555, "203.0.113.9", 7000,
	    sock(PSOCK_PRIMARY));
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_PROBE_RESP), 0);
	ck_assert_uint_eq(px->st.drop_probe_target, 1);
	/* a rung's binding came from there: its check may target it */
	req(la, 3, PKT_FROM_PRIMARY, "203.0.113.9", 7000, NULL, 0, &rung_sock);
	req(la, 5, PKT_FROM_PRIMARY, A_ADDR, 5555, "203.0.113.9", 7000,
	    sock(PSOCK_PRIMARY));
	m = fake_sent_last(PKT_MSG_PROBE_RESP);
	ck_assert_uint_eq(m->msg.u.probe_resp.id, 5);
	ck_assert(sin_is(&m->to, "203.0.113.9", 7000));
	ck_assert_uint_eq(m->msg.u.probe_resp.mapped.port, 5555);
	ck_assert_uint_eq(px->st.drop_probe_target, 1);
	/* came in on one of our own lifetime sockets: the primary answers */
	req(la, 6, PKT_FROM_PRIMARY, A_ADDR, 5555, NULL, 0, &rung_sock);
	m = fake_sent_last(PKT_MSG_PROBE_RESP);
	ck_assert_ptr_eq(m->via_sock, sock(PSOCK_PRIMARY));
}
END_TEST

START_TEST(every_rung_of_a_full_ladder_can_be_checked)
{
	struct psock rung_sock = { .fd = 4242, .kind = PSOCK_PROBE };
	const size_t rungs = 24;	/* probe.c's LADDER_MAX */

	probe_link_up(la, false);
	/* a's ladder binds all its rungs first, then checks each in turn */
	for (size_t i = 0; i < rungs; i++)
		req(la, 100 + i, PKT_FROM_PRIMARY, A_ADDR,
		    (uint16_t)(20000 + i), NULL, 0, &rung_sock);
	probe_tick(px);		/* a new second: a new budget */
	for (size_t i = 0; i < rungs; i++) {
		const struct fake_msg *m;

		req(la, 200 + i, PKT_FROM_PRIMARY, A_ADDR, A_PORT, A_ADDR,
		    (uint16_t)(20000 + i), sock(PSOCK_PRIMARY));
		m = fake_sent_last(PKT_MSG_PROBE_RESP);
		ck_assert_uint_eq(m->msg.u.probe_resp.id, 200 + i);
		ck_assert(sin_is(&m->to, A_ADDR, (uint16_t)(20000 + i)));
	}
	ck_assert_uint_eq(px->st.drop_probe_target, 0);
}
END_TEST

START_TEST(third_request_goes_to_another_neighbour)
{
	const struct fake_msg *m;
	struct link *lc, *la2;

	probe_link_up(la, false);
	/* another link to the same proxy is no third proxy, nor one down */
	la2 = fake_link_add(px, "a", LINK_UP, A_ADDR, 4800);
	lc = fake_link_add(px, "c", LINK_HANDSHAKE, C_ADDR, A_PORT);
	req(la, 9, PKT_FROM_THIRD, A_ADDR, 5555, NULL, 0,
	    sock(PSOCK_PRIMARY));
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_THIRD_REQ), 0);
	ck_assert_uint_eq(
	    fake_sent_last(PKT_MSG_PROBE_RESP)->msg.u.probe_resp.status,
	    PKT_PROBE_UNAVAILABLE);
	lc->state = LINK_UP;
	req(la, 10, PKT_FROM_THIRD, A_ADDR, 5555, NULL, 0,
	    sock(PSOCK_PRIMARY));
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_THIRD_REQ), 1);
	m = fake_sent_last(PKT_MSG_THIRD_REQ);
	ck_assert_ptr_eq(m->link, lc);
	ck_assert_uint_eq(m->msg.u.third.nonce, 10);
	ck_assert_uint_eq(m->msg.u.third.target.a.v4.s_addr,
	    fake_ip(A_ADDR).s_addr);
	ck_assert_uint_eq(m->msg.u.third.target.port, 5555);
	/* a named target is ignored: the third proxy sends where we saw a */
	req(la, 11, PKT_FROM_THIRD, A_ADDR, 5555, "192.0.2.77", 6000,
	    sock(PSOCK_PRIMARY));
	m = fake_sent_last(PKT_MSG_THIRD_REQ);
	ck_assert_uint_eq(m->msg.u.third.nonce, 11);
	ck_assert_uint_eq(m->msg.u.third.target.a.v4.s_addr,
	    fake_ip(A_ADDR).s_addr);
	ck_assert_uint_eq(m->msg.u.third.target.port, 5555);
	/* the acknowledgement goes back to the asker */
	m = fake_sent_last(PKT_MSG_PROBE_RESP);
	ck_assert_ptr_eq(m->link, la);
	ck_assert_uint_eq(m->msg.u.probe_resp.status, PKT_PROBE_OK);
	ck_assert(sin_is(&m->to, A_ADDR, 5555));
	(void)la2;
}
END_TEST

/*
 * The third proxy sends from its socket of the target's family: one linked
 * to us over the other family may have none, and its silence would read as
 * a refusal (a firewall that is not there).
 */
START_TEST(third_request_needs_a_neighbour_of_the_targets_family)
{
	struct link *l6, *lc;

	probe_link_up(la, false);
	l6 = fake_link_add(px, "c6", LINK_UP, C_ADDR, A_PORT);
	ck_assert_int_eq(ep_parse_addr("2001:db8:c::3", &l6->peer), 0);
	l6->peer.port = A_PORT;
	req(la, 20, PKT_FROM_THIRD, A_ADDR, 5555, NULL, 0,
	    sock(PSOCK_PRIMARY));
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_THIRD_REQ), 0);
	ck_assert_uint_eq(
	    fake_sent_last(PKT_MSG_PROBE_RESP)->msg.u.probe_resp.status,
	    PKT_PROBE_UNAVAILABLE);
	lc = fake_link_add(px, "c", LINK_UP, C_ADDR, A_PORT);
	req(la, 21, PKT_FROM_THIRD, A_ADDR, 5555, NULL, 0,
	    sock(PSOCK_PRIMARY));
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_THIRD_REQ), 1);
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_THIRD_REQ)->link, lc);
	ck_assert_uint_eq(
	    fake_sent_last(PKT_MSG_PROBE_RESP)->msg.u.probe_resp.status,
	    PKT_PROBE_OK);
}
END_TEST

START_TEST(answers_held_to_a_budget_per_second)
{
	probe_link_up(la, false);
	for (uint64_t i = 1; i <= PROBE_REPLY_BUDGET + 5; i++)
		req(la, i, PKT_FROM_PRIMARY, A_ADDR, 5555, NULL, 0,
		    sock(PSOCK_PRIMARY));
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_PROBE_RESP),
	    PROBE_REPLY_BUDGET);
	ck_assert_uint_eq(px->st.drop_probe_limit, 5);
	/* third-proxy sends spend the same budget */
	third_req(la, 99, "203.0.113.9", 7000);
	ck_assert_uint_eq(fake_dgram_count(), 0);
	ck_assert_uint_eq(px->st.drop_probe_limit, 6);
	probe_tick(px);
	req(la, 100, PKT_FROM_PRIMARY, A_ADDR, 5555, NULL, 0,
	    sock(PSOCK_PRIMARY));
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_PROBE_RESP),
	    PROBE_REPLY_BUDGET + 1);
	ck_assert_uint_eq(px->st.drop_probe_limit, 6);
}
END_TEST

START_TEST(budget_is_per_link)
{
	struct link *lc = fake_link_add(px, "c", LINK_UP, C_ADDR, A_PORT);

	probe_link_up(la, false);
	probe_link_up(lc, false);
	for (uint64_t i = 1; i <= PROBE_REPLY_BUDGET + 1; i++)
		req(la, i, PKT_FROM_PRIMARY, A_ADDR, 5555, NULL, 0,
		    sock(PSOCK_PRIMARY));
	req(lc, 1, PKT_FROM_PRIMARY, C_ADDR, 5555, NULL, 0,
	    sock(PSOCK_PRIMARY));
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_PROBE_RESP)->link, lc);
	ck_assert_uint_eq(px->st.drop_probe_limit, 1);
}
END_TEST

START_TEST(third_req_sends_a_probe_datagram)
{
	const struct fake_dgram *g;
	struct pkt_hdr h;
	const char *why = NULL;

	probe_link_up(la, false);
	third_req(la, 0x1122334455667788ULL, "203.0.113.9", 7000);
	ck_assert_uint_eq(fake_dgram_count(), 1);
	g = fake_dgram_last();
	ck_assert_int_eq(g->kind, PSOCK_PRIMARY);
	ck_assert(sin_is(&g->to, "203.0.113.9", 7000));
	ck_assert_uint_eq(g->len, PKT_PROBE_LEN);
	ck_assert_int_eq(pkt_hdr_decode(g->buf, g->len, &h, &why), 0);
	ck_assert_uint_eq(h.type, PKT_PROBE);
	ck_assert_uint_eq(h.session, 0);
	ck_assert_uint_eq(h.seq, 0x1122334455667788ULL);
}
END_TEST

START_TEST(unknown_nonce_is_dropped)
{
	struct ep from = fake_sin(C_ADDR, 5000);

	probe_link_up(la, false);
	probe_nonce(px, 12345, &from);
	ck_assert_uint_eq(px->st.drop_malformed, 1);
}
END_TEST

/* Runs trials on la up to the filtering phase; the third trial's id. */
static uint64_t
to_filter_phase(void)
{
	const struct fake_msg *m;

	up_with_trials();
	drive_ms(1000);			/* primary answered by the model */
	nm.silent = true;		/* the rest is the test's */
	step_ms(200);
	for (size_t i = 0; (m = fake_sent_nth(PKT_MSG_PROBE_REQ, i)) != NULL;
	    i++)
		if (m->msg.u.probe_req.from == PKT_FROM_THIRD)
			return m->msg.u.probe_req.id;
	ck_abort_msg("no third-proxy request");
	return 0;
}

START_TEST(nonce_answers_the_third_trial)
{
	struct ep from = fake_sin(C_ADDR, 5000);
	uint64_t id = to_filter_phase();

	resp(la, id, PKT_PROBE_OK, NULL, 0, sock(PSOCK_PRIMARY));
	probe_nonce(px, id, &from);
	ck_assert_uint_eq(px->st.drop_malformed, 0);
	/* the same nonce again answers nothing */
	probe_nonce(px, id, &from);
	ck_assert_uint_eq(px->st.drop_malformed, 1);
	fake_psock_open_fails = true;
	drive_ms(6000);
	ck_assert(probe_view(la)->valid);
	ck_assert_int_eq(probe_view(la)->trials[TRIAL_FILT_THIRD],
	    NAT_RECEIVED);
	ck_assert_int_eq(probe_view(la)->res.filtering, NAT_BEH_EI);
}
END_TEST

START_TEST(nonce_from_an_address_we_sent_to_is_void)
{
	struct link *lc = fake_link_add(px, "c", LINK_UP, C_ADDR, A_PORT);
	struct ep from = fake_sin(C_ADDR, 5000);
	uint64_t id;

	probe_link_up(lc, false);
	/* we were c's third proxy: we sent to c's mapping */
	third_req(lc, 1, C_ADDR, 6000);
	id = to_filter_phase();
	resp(la, id, PKT_PROBE_OK, NULL, 0, sock(PSOCK_PRIMARY));
	probe_nonce(px, id, &from);
	ck_assert_uint_eq(px->st.drop_malformed, 0);
	fake_psock_open_fails = true;
	drive_ms(6000);
	ck_assert(probe_view(la)->valid);
	ck_assert_int_eq(probe_view(la)->trials[TRIAL_FILT_THIRD],
	    NAT_UNTESTED);
	ck_assert_int_ne(probe_view(la)->res.filtering, NAT_BEH_EI);
	ck_assert_ptr_nonnull(strstr(probe_view(la)->res.assumed,
	    "third-proxy trial void"));
}
END_TEST

/*
 * A third proxy we hold a link to (a learned neighbour we dialled, a direct
 * channel) has had our packets: its probe getting in proves nothing.
 */
START_TEST(nonce_from_a_linked_proxy_is_void)
{
	struct ep from = fake_sin(C_ADDR, 5000);
	uint64_t id;

	fake_link_add(px, "c", LINK_HANDSHAKE, C_ADDR, A_PORT);
	id = to_filter_phase();
	resp(la, id, PKT_PROBE_OK, NULL, 0, sock(PSOCK_PRIMARY));
	probe_nonce(px, id, &from);
	fake_psock_open_fails = true;
	drive_ms(6000);
	ck_assert(probe_view(la)->valid);
	ck_assert_int_eq(probe_view(la)->trials[TRIAL_FILT_THIRD],
	    NAT_UNTESTED);
	ck_assert_int_ne(probe_view(la)->res.filtering, NAT_BEH_EI);
	ck_assert_ptr_nonnull(strstr(probe_view(la)->res.assumed,
	    "third-proxy trial void"));
}
END_TEST

START_TEST(info_and_result_are_stored)
{
	const struct nat_remote *r;

	probe_link_up(la, false);
	ck_assert(!probe_remote(la)->valid);
	nat_result(la, NAT_TYPE_SYMMETRIC, 42);
	r = probe_remote(la);
	ck_assert(r->valid);
	ck_assert_int_eq(r->r.type, NAT_TYPE_SYMMETRIC);
	ck_assert_uint_eq(r->r.lifetime_s, 42);
	/* INFO: the mapping trials go where it said */
	info(la, 5001, "198.51.100.77");
	nm.mute_binds = true;
	probe_start(la, 0);
	drive_ms(6000);
	ck_assert_ptr_nonnull(req_to(A_ADDR, 5001, PKT_FROM_PRIMARY, 0));
	ck_assert_ptr_nonnull(req_to("198.51.100.77", A_PORT,
	    PKT_FROM_PRIMARY, 0));
}
END_TEST

START_TEST(link_nat_folds_both_ends)
{
	probe_link_up(la, false);
	ck_assert_int_eq(probe_link_nat(la), NAT_TYPE_UNKNOWN);
	nat_result(la, NAT_TYPE_OPEN, 0);
	/* only their end known: nothing may be assumed of ours */
	ck_assert_int_eq(probe_link_nat(la), NAT_TYPE_UNKNOWN);
	nm.pass_alt_port = nm.pass_alt_addr = nm.pass_third = true;
	nm.mute_binds = true;
	info(la, A_ALT_PORT, A_ALT_ADDR);
	probe_start(la, 0);
	drive_until_result(la, 10000);
	ck_assert_int_eq(probe_view(la)->res.type, NAT_TYPE_FULL_CONE);
	ck_assert_int_eq(probe_link_nat(la), NAT_TYPE_FULL_CONE);
	nat_result(la, NAT_TYPE_SYMMETRIC, 0);
	ck_assert_int_eq(probe_link_nat(la), NAT_TYPE_SYMMETRIC);
}
END_TEST

START_TEST(message_on_a_link_not_up_is_dropped)
{
	struct link *lc = fake_link_add(px, "c", LINK_HANDSHAKE, C_ADDR,
	    A_PORT);

	req(lc, 1, PKT_FROM_PRIMARY, C_ADDR, 5555, NULL, 0,
	    sock(PSOCK_PRIMARY));
	ck_assert_uint_eq(px->st.drop_malformed, 1);
	nat_result(lc, NAT_TYPE_OPEN, 0);
	ck_assert_uint_eq(px->st.drop_malformed, 2);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
	ck_assert_ptr_null(probe_view(lc));
	ck_assert_ptr_null(probe_remote(lc));
	ck_assert(!probe_running(lc));
	ck_assert_int_eq(probe_link_nat(lc), NAT_TYPE_UNKNOWN);
}
END_TEST

START_TEST(link_down_frees_everything)
{
	up_with_trials();
	drive_until_result(la, 10000);
	drive_ms(3000);			/* the ladder's rungs are waiting */
	ck_assert(probe_view(la)->lifetime_running);
	ck_assert_uint_gt(fake.n_psock_open, 0);
	probe_link_down(la);
	ck_assert_ptr_null(probe_view(la));
	ck_assert(!probe_running(la));
	ck_assert_uint_eq(fake.n_psock_close, fake.n_psock_open);
	ck_assert_int_eq(timers_pending(), 0);
	/* and up again: a clean slate */
	probe_link_up(la, false);
	ck_assert(!probe_view(la)->valid);
	ck_assert(!probe_remote(la)->valid);
}
END_TEST

START_TEST(link_down_during_trials)
{
	up_with_trials();
	drive_ms(1400);
	ck_assert(probe_running(la));
	probe_link_down(la);
	ck_assert_int_eq(timers_pending(), 0);
	ck_assert_ptr_null(probe_view(la));
	probe_link_down(la);		/* twice is harmless */
}
END_TEST

/* ---- the binding-lifetime ladder ---- */

START_TEST(ladder_opens_rungs_after_classification)
{
	struct psock *socks[64];
	size_t binds = 0, k;
	uint16_t map_port;
	const struct fake_msg *m;

	nm.port[0] = nm.port[1] = nm.port[2] = 7000;
	up_with_trials();
	nm.mute_binds = true;
	drive_until_result(la, 10000);
	/* 4 s up to 2 x ka_max (240 s), a quarter longer each (the first
	   socket opened was the filtering trials') */
	ck_assert_uint_eq(fake.n_psock_open, 1 + 21);
	ck_assert_int_eq(fake.open_kind, PSOCK_PROBE);
	ck_assert(sin_is(&fake.open_addr, LOCAL_ADDR, 0));
	ck_assert(probe_view(la)->lifetime_running);
	step_ms(400);
	map_port = map_port_since(0);	/* the mapping trials' socket */
	/* each rung binds from its own socket, to a's primary */
	for (size_t i = 0; (m = fake_sent_nth(PKT_MSG_PROBE_REQ, i)) != NULL;
	    i++) {
		if (!is_rung_bind(m) || m->via_sock->local.port ==
		    map_port)
			continue;
		ck_assert(sin_is(&m->to, A_ADDR, A_PORT));
		for (k = 0; k < binds && socks[k] != m->via_sock; k++)
			;
		if (k == binds && binds < 64)
			socks[binds++] = m->via_sock;
	}
	ck_assert_uint_eq(binds, 21);
}
END_TEST

/*
 * No translation, but a stateful firewall (the IPv6 case): mapping none,
 * filtering address-and-port-dependent, port-restricted like a cone NAT,
 * and the binding lifetime is the firewall's: the ladder runs.
 */
START_TEST(no_translation_behind_firewall_is_port_restricted)
{
	nm.addr = LOCAL_ADDR;
	nm.pass_alt_port = nm.pass_alt_addr = nm.pass_third = false;
	up_with_trials();
	drive_until_result(la, 10000);
	ck_assert_int_eq(probe_view(la)->res.mapping, NAT_BEH_NONE);
	ck_assert_int_eq(probe_view(la)->res.filtering, NAT_BEH_APD);
	ck_assert_int_eq(probe_view(la)->res.type, NAT_TYPE_PORT_RESTRICTED);
	ck_assert(fake.n_psock_open > 1);	/* the ladder's sockets */
}
END_TEST

/*
 * No translation toward a neighbour with no alternate port or address and
 * no third proxy: no filtering trial could run, so nothing proves that
 * unsolicited packets get in.  Typed a port-restricted cone by assumption
 * (said in the result sent to the neighbour), never open by default.
 */
START_TEST(no_translation_untested_filtering_is_port_restricted)
{
	const struct pkt_nat_result *r;

	/* the neighbour sees the link's own socket: no translation */
	nm.addr = LOCAL_ADDR;
	nm.port[0] = sock(PSOCK_PRIMARY)->local.port;
	nm.no_third = true;
	probe_link_up(la, true);		/* no INFO: no alternates */
	drive_until_result(la, 10000);
	ck_assert_uint_eq(reqs_from(la, PKT_FROM_ALT_PORT, 0), 0);
	ck_assert_uint_eq(reqs_from(la, PKT_FROM_ALT_ADDR, 0), 0);
	ck_assert_int_eq(probe_view(la)->trials[TRIAL_FILT_THIRD],
	    NAT_UNTESTED);
	ck_assert_int_eq(probe_view(la)->res.mapping, NAT_BEH_NONE);
	ck_assert_int_eq(probe_view(la)->res.filtering, NAT_BEH_APD);
	ck_assert_int_eq(probe_view(la)->res.type, NAT_TYPE_PORT_RESTRICTED);
	r = &fake_sent_last(PKT_MSG_NAT_RESULT)->msg.u.nat;
	ck_assert_int_eq(r->type, NAT_TYPE_PORT_RESTRICTED);
	ck_assert_ptr_nonnull(strstr(r->assumed, "filtering untested"));
	ck_assert_ptr_nonnull(strstr(r->assumed, "firewall not ruled out"));
}
END_TEST

START_TEST(ladder_not_run_when_open)
{
	nm.addr = LOCAL_ADDR;
	/* no NAT and no firewall: everything gets in */
	nm.pass_alt_port = nm.pass_alt_addr = nm.pass_third = true;
	up_with_trials();
	drive_until_result(la, 10000);
	ck_assert_int_eq(probe_view(la)->res.type, NAT_TYPE_OPEN);
	ck_assert_uint_eq(fake.n_psock_open, 1);	/* filtering's only */
	ck_assert(!probe_view(la)->lifetime_running);
	ck_assert_int_eq(timers_pending(), 0);
}
END_TEST

START_TEST(ladder_without_sockets_is_skipped)
{
	fake_psock_open_fails = true;
	up_with_trials();
	drive_until_result(la, 10000);
	ck_assert(!probe_view(la)->lifetime_running);
	ck_assert_int_eq(timers_pending(), 0);
}
END_TEST

START_TEST(ladder_measures_lifetime_and_adapts_keepalive)
{
	const struct nat_view *v;
	uint64_t t0;

	nm.lifetime_s = 20;
	up_with_trials();
	drive_until_result(la, 10000);
	t0 = fake_now_us;
	drive_ladder(la, 400);
	/* rungs longer than the first dead one are not waited for */
	ck_assert_uint_lt(fake_now_us - t0, 40 * 1000000ULL);
	v = probe_view(la);
	ck_assert(!v->lifetime_running);
	ck_assert(!v->lifetime_lower_bound);
	/* midway between the last live rung (18 s) and the first dead (22 s) */
	ck_assert_uint_eq(v->res.lifetime_s, 20);
	ck_assert_uint_eq(fake.n_keepalive, 1);
	ck_assert_ptr_eq(fake.ka_link, la);
	ck_assert_int_eq(fake.ka_interval_s, 10);
	ck_assert_int_eq(la->ka_interval_s, 10);
	/* the neighbour hears the lifetime too */
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_NAT_RESULT), 2);
	ck_assert_uint_eq(
	    fake_sent_last(PKT_MSG_NAT_RESULT)->msg.u.nat.lifetime_s, 20);
	ck_assert_uint_eq(fake.n_psock_close, fake.n_psock_open);
	ck_assert_int_eq(timers_pending(), 0);
	/* a lifetime is no reason to re-advertise */
	ck_assert_uint_eq(fake.n_nat_changed, 1);
}
END_TEST

START_TEST(ladder_check_resent_within_its_grace)
{
	nm.lifetime_s = 20;
	nm.lose_first_check = true;
	up_with_trials();
	drive_ladder(la, 400);
	ck_assert(!probe_view(la)->lifetime_lower_bound);
	ck_assert_uint_eq(probe_view(la)->res.lifetime_s, 20);
}
END_TEST

START_TEST(ladder_short_lifetime_keepalive_at_ka_min)
{
	nm.lifetime_s = 6;
	up_with_trials();
	drive_ladder(la, 400);
	ck_assert_uint_eq(probe_view(la)->res.lifetime_s, 5);
	ck_assert_int_eq(fake.ka_interval_s, px->conf->ka_min);
}
END_TEST

START_TEST(ladder_outlived_is_a_lower_bound_keepalive_at_ka_max)
{
	px->conf->ka_max = 10;		/* the ladder tops at 30 s */
	nm.lifetime_s = 0;
	up_with_trials();
	drive_ladder(la, 400);
	ck_assert_uint_eq(fake.n_psock_open, 1 + 11);
	ck_assert(probe_view(la)->lifetime_lower_bound);
	ck_assert_uint_eq(probe_view(la)->res.lifetime_s, 27);
	ck_assert_int_eq(fake.ka_interval_s, 10);
	ck_assert_int_ge(fake.ka_interval_s, px->conf->ka_min);
	ck_assert_int_le(fake.ka_interval_s, px->conf->ka_max);
}
END_TEST

START_TEST(ladder_without_answers_changes_nothing)
{
	nm.mute_binds = true;
	up_with_trials();
	drive_ladder(la, 400);
	ck_assert(!probe_view(la)->lifetime_running);
	ck_assert_uint_eq(probe_view(la)->res.lifetime_s, 0);
	ck_assert_uint_eq(fake.n_keepalive, 0);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_NAT_RESULT), 1);
	ck_assert_uint_eq(fake.n_psock_close, fake.n_psock_open);
}
END_TEST

static Suite *
probe_suite(void)
{
	const struct {
		const char	*name;
		const TTest	*fn;
	} cases[] = {
		{ "link_up_sends_info_with_our_alternates",
		    link_up_sends_info_with_our_alternates },
		{ "link_up_info_without_alt_addr_is_zero",
		    link_up_info_without_alt_addr_is_zero },
		{ "link_up_without_trials_sends_no_probe",
		    link_up_without_trials_sends_no_probe },
		{ "link_up_trials_start_after_a_second",
		    link_up_trials_start_after_a_second },
		{ "phases_send_to_the_right_destinations",
		    phases_send_to_the_right_destinations },
		{ "no_alternates_no_alternate_trials",
		    no_alternates_no_alternate_trials },
		{ "the_link_socket_never_sends_to_the_alternates",
		    the_link_socket_never_sends_to_the_alternates },
		{ "without_a_socket_of_their_own_mapping_says_so",
		    without_a_socket_of_their_own_mapping_says_so },
		{ "answers_primary_from_the_socket_it_came_in",
		    answers_primary_from_the_socket_it_came_in },
		{ "answers_from_alternate_sockets_or_says_unavailable",
		    answers_from_alternate_sockets_or_says_unavailable },
		{ "answers_to_the_target_and_never_from_a_trial_socket",
		    answers_to_the_target_and_never_from_a_trial_socket },
		{ "every_rung_of_a_full_ladder_can_be_checked",
		    every_rung_of_a_full_ladder_can_be_checked },
		{ "third_request_goes_to_another_neighbour",
		    third_request_goes_to_another_neighbour },
		{ "third_request_needs_a_neighbour_of_the_targets_family",
		    third_request_needs_a_neighbour_of_the_targets_family },
		{ "answers_held_to_a_budget_per_second",
		    answers_held_to_a_budget_per_second },
		{ "budget_is_per_link", budget_is_per_link },
		{ "third_req_sends_a_probe_datagram",
		    third_req_sends_a_probe_datagram },
		{ "unknown_nonce_is_dropped", unknown_nonce_is_dropped },
		{ "nonce_answers_the_third_trial",
		    nonce_answers_the_third_trial },
		{ "nonce_from_an_address_we_sent_to_is_void",
		    nonce_from_an_address_we_sent_to_is_void },
		{ "nonce_from_a_linked_proxy_is_void",
		    nonce_from_a_linked_proxy_is_void },
		{ "info_and_result_are_stored", info_and_result_are_stored },
		{ "link_nat_folds_both_ends", link_nat_folds_both_ends },
		{ "message_on_a_link_not_up_is_dropped",
		    message_on_a_link_not_up_is_dropped },
		{ "link_down_frees_everything", link_down_frees_everything },
		{ "link_down_during_trials", link_down_during_trials },
		{ "ladder_opens_rungs_after_classification",
		    ladder_opens_rungs_after_classification },
		{ "no_translation_untested_filtering_is_port_restricted",
		    no_translation_untested_filtering_is_port_restricted },
		{ "ladder_not_run_when_open", ladder_not_run_when_open },
		{ "no_translation_behind_firewall_is_port_restricted",
		    no_translation_behind_firewall_is_port_restricted },
		{ "ladder_without_sockets_is_skipped",
		    ladder_without_sockets_is_skipped },
		{ "ladder_measures_lifetime_and_adapts_keepalive",
		    ladder_measures_lifetime_and_adapts_keepalive },
		{ "ladder_check_resent_within_its_grace",
		    ladder_check_resent_within_its_grace },
		{ "ladder_short_lifetime_keepalive_at_ka_min",
		    ladder_short_lifetime_keepalive_at_ka_min },
		{ "ladder_outlived_is_a_lower_bound_keepalive_at_ka_max",
		    ladder_outlived_is_a_lower_bound_keepalive_at_ka_max },
		{ "ladder_without_answers_changes_nothing",
		    ladder_without_answers_changes_nothing },
	};
	Suite *s = suite_create("probe");
	TCase *tc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tc = tcase_create(cases[i].name);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	tc = tcase_create("classify_by_highest_match");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, classify_by_highest_match, 0,
	    (int)(sizeof(classify_cases) / sizeof(classify_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(probe_suite());
	int failed;

	log_init(1, LOG_LVL_WARN, "check_probe");
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
