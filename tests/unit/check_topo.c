/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/topo.c: flooding verdicts, ageing and iteration of
 * the link-state database, shortest paths on small synthetic graphs and on
 * a 1000-node random graph checked against a plain O(V^2) Dijkstra, and the
 * forwarding table built from them.  Each TCase is one behaviour.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nat.h"
#include "route.h"
#include "srcauth.h"
#include "lsasig.h"
#include "testpki.h"
#include "topo.h"

#define SEC	1000000ULL	/* microseconds */
#define T0	(1000 * SEC)	/* an arbitrary "now" */

static struct topo	*topo;
static struct route_table tbl;

static void
setup(void)
{
	topo = topo_new("alpha");
	ck_assert_ptr_nonnull(topo);
	route_table_init(&tbl);
}

static void
teardown(void)
{
	route_table_release(&tbl);
	topo_free(topo);
	topo = NULL;
}

static struct in_addr
ip(const char *s)
{
	struct in_addr	a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct pkt_lsa
lsa(const char *origin, uint64_t seq)
{
	struct pkt_lsa	l;

	memset(&l, 0, sizeof(l));
	strcpy(l.origin, origin);
	l.seq = seq;
	return l;
}

static void
add_link(struct pkt_lsa *l, const char *peer, enum nat_type nat,
    uint16_t cost)
{
	struct pkt_lsa_link *k = &l->links[l->n_links++];

	strcpy(k->peer, peer);
	k->nat = nat;
	k->cost = cost;
}

static void
add_prefix(struct pkt_lsa *l, const char *addr, uint8_t plen)
{
	struct pkt_lsa_prefix *p = &l->prefixes[l->n_prefixes++];

	p->addr = ip(addr);
	p->plen = plen;
}

/*
 * A tiny graph language for the SPF tests: nodes by name, each with its own
 * advertisement; edge() adds both directions (a two-way link).
 */
#define G_MAX	16

static struct pkt_lsa	g[G_MAX];
static size_t		gn;

static struct pkt_lsa *
node(const char *name)
{
	size_t	i;

	for (i = 0; i < gn; i++)
		if (strcmp(g[i].origin, name) == 0)
			return &g[i];
	ck_assert_uint_lt(gn, G_MAX);
	g[gn] = lsa(name, 1);
	return &g[gn++];
}

static void
edge_nat(const char *a, const char *b, uint16_t cost, enum nat_type na,
    enum nat_type nb)
{
	add_link(node(a), b, na, cost);
	add_link(node(b), a, nb, cost);
}

static void
edge(const char *a, const char *b, uint16_t cost)
{
	edge_nat(a, b, cost, NAT_TYPE_OPEN, NAT_TYPE_OPEN);
}

/* Loads the graph: alpha via topo_set_self, the rest via topo_receive. */
static void
load(void)
{
	size_t	i;

	for (i = 0; i < gn; i++) {
		if (strcmp(g[i].origin, "alpha") == 0)
			ck_assert_int_eq(topo_set_self(topo, &g[i], T0), 0);
		else
			ck_assert_int_eq(topo_receive(topo, &g[i], T0),
			    TOPO_NEWER);
	}
}

static void
graph_setup(void)
{
	setup();
	gn = 0;
	node("alpha");
}

static struct topo_path	*paths;
static size_t		 npaths;

static void
spf(void)
{
	free(paths);
	paths = NULL;
	ck_assert_int_eq(topo_spf(topo, &paths, &npaths), 0);
}

static void
spf_teardown(void)
{
	free(paths);
	paths = NULL;
	npaths = 0;
	teardown();
}

static const struct topo_path *
path(const char *dest)
{
	size_t	i;

	for (i = 0; i < npaths; i++)
		if (strcmp(paths[i].dest, dest) == 0)
			return &paths[i];
	return NULL;
}

static void
check_path(const char *dest, const char *nh, unsigned hops, unsigned cost)
{
	const struct topo_path *p = path(dest);

	ck_assert_msg(p != NULL, "no path to %s", dest);
	ck_assert_str_eq(p->next_hop, nh);
	ck_assert_uint_eq(p->hops, hops);
	ck_assert_uint_eq(p->cost, cost);
}

/* --- flooding verdicts --- */

START_TEST(receive_unknown_origin_is_newer)
{
	struct pkt_lsa	l = lsa("bravo", 7);

	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
	ck_assert_uint_eq(topo_count(topo), 1);
	ck_assert_ptr_nonnull(topo_get(topo, "bravo"));
	ck_assert_uint_eq(topo_get(topo, "bravo")->seq, 7);
	ck_assert_ptr_null(topo_get(topo, "charlie"));
}
END_TEST

START_TEST(receive_larger_seq_replaces)
{
	struct pkt_lsa	l = lsa("bravo", 7);

	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
	l.seq = 8;
	add_prefix(&l, "10.2.0.0", 16);
	ck_assert_int_eq(topo_receive(topo, &l, T0 + SEC), TOPO_NEWER);
	ck_assert_uint_eq(topo_count(topo), 1);
	ck_assert_uint_eq(topo_get(topo, "bravo")->seq, 8);
	ck_assert_uint_eq(topo_get(topo, "bravo")->n_prefixes, 1);
}
END_TEST

/*
 * A newer copy says whether what routes come from changed: a new origin
 * does; a refresh repeating endpoints, prefixes, links and refusals does
 * not; another cost, NAT type, link, prefix or refusal does.
 */
START_TEST(receive_says_whether_the_routing_content_changed)
{
	struct pkt_lsa	l = lsa("bravo", 7);
	bool		changed = false;
	uint64_t	t = T0;

#define RECV(refused) (t += SEC, topo_receive_checked(topo, &l, (refused), \
	    TOPO_REFUSED_BLOCKS, t, &changed))
	add_link(&l, "alpha", NAT_TYPE_OPEN, 30);
	add_prefix(&l, "10.2.0.0", 16);
	ck_assert_int_eq(RECV(0), TOPO_NEWER);
	ck_assert(changed);		/* a new origin */
	l.seq++;
	l.sig_len = 3;			/* a new signature: not routing */
	ck_assert_int_eq(RECV(0), TOPO_NEWER);
	ck_assert(!changed);
	ck_assert_uint_eq(topo_get(topo, "bravo")->seq, 8);	/* stored */
	l.seq++;
	l.links[0].cost = 31;
	ck_assert_int_eq(RECV(0), TOPO_NEWER);
	ck_assert(changed);
	l.seq++;
	l.links[0].nat = NAT_TYPE_SYMMETRIC;
	ck_assert_int_eq(RECV(0), TOPO_NEWER);
	ck_assert(changed);
	l.seq++;
	add_link(&l, "charlie", NAT_TYPE_OPEN, 30);
	ck_assert_int_eq(RECV(0), TOPO_NEWER);
	ck_assert(changed);
	l.seq++;
	l.prefixes[0].plen = 17;
	ck_assert_int_eq(RECV(0), TOPO_NEWER);
	ck_assert(changed);
	l.seq++;
	ck_assert_int_eq(RECV(1), TOPO_NEWER);	/* a prefix refused now */
	ck_assert(changed);
	l.seq++;
	ck_assert_int_eq(RECV(1), TOPO_NEWER);
	ck_assert(!changed);
	/* same seq: not newer, nothing stored, nothing changed */
	changed = true;
	ck_assert_int_eq(RECV(1), TOPO_SAME);
	ck_assert(!changed);
#undef RECV
}
END_TEST

START_TEST(receive_equal_seq_is_same)
{
	struct pkt_lsa	l = lsa("bravo", 7);

	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
	l.age_s = 5;
	ck_assert_int_eq(topo_receive(topo, &l, T0 + SEC), TOPO_SAME);
	ck_assert_uint_eq(topo_count(topo), 1);
}
END_TEST

START_TEST(receive_smaller_seq_is_older_and_kept_out)
{
	struct pkt_lsa	l = lsa("bravo", 7);

	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
	l.seq = 6;
	add_prefix(&l, "10.2.0.0", 16);
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_OLDER);
	ck_assert_uint_eq(topo_get(topo, "bravo")->seq, 7);
	ck_assert_uint_eq(topo_get(topo, "bravo")->n_prefixes, 0);
}
END_TEST

START_TEST(receive_own_restart_is_own_and_next_seq_jumps)
{
	struct pkt_lsa	own = lsa("alpha", 5), old;

	ck_assert_int_eq(topo_set_self(topo, &own, T0), 0);
	ck_assert_uint_eq(topo_next_seq(topo, 0), 6);
	/* a copy from our previous run, still flooding around */
	old = lsa("alpha", 100);
	ck_assert_int_eq(topo_receive(topo, &old, T0), TOPO_OWN);
	old.seq = 90;
	ck_assert_int_eq(topo_receive(topo, &old, T0), TOPO_OWN);
	ck_assert_uint_eq(topo_next_seq(topo, 0), 101);
	ck_assert_uint_eq(topo_next_seq(topo, 1000), 1000);
	/* the stored own advertisement is not replaced by the foreign copy */
	ck_assert_uint_eq(topo_get(topo, "alpha")->seq, 5);
	/* re-originated above it: the leftover is now older */
	own.seq = topo_next_seq(topo, 0);
	ck_assert_int_eq(topo_set_self(topo, &own, T0), 0);
	old.seq = 100;
	ck_assert_int_eq(topo_receive(topo, &old, T0), TOPO_OLDER);
	ck_assert_uint_eq(topo_next_seq(topo, 0), 102);
}
END_TEST

START_TEST(receive_own_echo_is_same)
{
	struct pkt_lsa	own = lsa("alpha", 5), echo;

	add_prefix(&own, "10.1.0.0", 16);
	ck_assert_int_eq(topo_set_self(topo, &own, T0), 0);
	echo = own;
	echo.age_s = 3;
	ck_assert_int_eq(topo_receive(topo, &echo, T0), TOPO_SAME);
	ck_assert_uint_eq(topo_next_seq(topo, 0), 6);
	/* same seq, different content: a previous run's */
	echo.n_prefixes = 0;
	ck_assert_int_eq(topo_receive(topo, &echo, T0), TOPO_OWN);
	ck_assert_uint_eq(topo_next_seq(topo, 0), 6);
	echo.seq = 4;
	ck_assert_int_eq(topo_receive(topo, &echo, T0), TOPO_OLDER);
}
END_TEST

START_TEST(receive_own_next_seq_beats_the_last_seen)
{
	struct pkt_lsa	old = lsa("alpha", 100);
	uint64_t	y = 100 - ((UINT64_C(1) << 63) - 1);

	/* 100 is newer than y (half the space less one apart), and 101 is
	 * newer than 100 but not than y: serial order is not transitive */
	ck_assert(topo_seq_newer(100, y));
	ck_assert(!topo_seq_newer(101, y));
	ck_assert_int_eq(topo_receive(topo, &old, T0), TOPO_OWN);
	old.seq = y;
	ck_assert_int_eq(topo_receive(topo, &old, T0), TOPO_OWN);
	/* the copy flooding now is y: the next must replace it */
	ck_assert(topo_seq_newer(topo_next_seq(topo, 0), y));
	ck_assert_uint_eq(topo_next_seq(topo, 0), y + 1);
}
END_TEST

START_TEST(receive_own_before_set_self_is_own)
{
	struct pkt_lsa	old = lsa("alpha", 42);

	ck_assert_uint_eq(topo_next_seq(topo, 0), 1);
	ck_assert_uint_eq(topo_next_seq(topo, 7), 7);
	ck_assert_int_eq(topo_receive(topo, &old, T0), TOPO_OWN);
	ck_assert_uint_eq(topo_count(topo), 0);
	ck_assert_uint_eq(topo_next_seq(topo, 7), 43);
	ck_assert_uint_eq(topo_next_seq(topo, 50), 50);
}
END_TEST

START_TEST(receive_rejects_invalid)
{
	struct pkt_lsa	l = lsa("bravo", 1);

	l.age_s = TOPO_MAX_AGE_S;
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_INVALID);
	l.age_s = UINT16_MAX;
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_INVALID);
	l = lsa("", 1);
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_INVALID);
	l = lsa("bravo", 1);
	l.n_links = PKT_LSA_LINK_MAX + 1;
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_INVALID);
	l = lsa("bravo", 1);
	l.n_prefixes = PKT_LSA_PREFIX_MAX + 1;
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_INVALID);
	l = lsa("bravo", 1);
	memset(l.origin, 'x', sizeof(l.origin));	/* unterminated */
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_INVALID);
	ck_assert_uint_eq(topo_count(topo), 0);
	/* just under the limit is fine */
	l = lsa("bravo", 1);
	l.age_s = TOPO_MAX_AGE_S - 1;
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
}
END_TEST

START_TEST(receive_refuses_new_origin_when_full)
{
	struct pkt_lsa	own = lsa("alpha", 1), l;
	char		name[16];
	unsigned	i;

	ck_assert_int_eq(topo_set_self(topo, &own, T0), 0);
	for (i = 0; i < 4095; i++) {
		snprintf(name, sizeof(name), "n%05u", i);
		l = lsa(name, 1);
		ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
	}
	ck_assert_uint_eq(topo_count(topo), 4096);
	l = lsa("zz-one-too-many", 1);
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_FULL);
	ck_assert_ptr_null(topo_get(topo, "zz-one-too-many"));
	/* known origins still update */
	l = lsa("n00017", 2);
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
	ck_assert_uint_eq(topo_count(topo), 4096);
}
END_TEST

START_TEST(receive_replaces_aged_out_copy)
{
	struct pkt_lsa	l = lsa("bravo", 50);

	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
	l.seq = 3;	/* restarted with a smaller seq */
	ck_assert_int_eq(topo_receive(topo, &l, T0 + 10 * SEC), TOPO_OLDER);
	ck_assert_int_eq(topo_receive(topo, &l,
	    T0 + TOPO_MAX_AGE_S * SEC), TOPO_NEWER);
	ck_assert_uint_eq(topo_get(topo, "bravo")->seq, 3);
}
END_TEST

START_TEST(set_self_rejects_foreign_origin)
{
	struct pkt_lsa	l = lsa("bravo", 1);

	ck_assert_int_eq(topo_set_self(topo, &l, T0), -1);
	ck_assert_uint_eq(topo_count(topo), 0);
	ck_assert_ptr_null(topo_new(""));
	ck_assert_ptr_null(topo_new(NULL));
}
END_TEST

/* --- ageing and iteration --- */

START_TEST(expire_counts_received_age)
{
	struct pkt_lsa	l = lsa("bravo", 1), m = lsa("charlie", 1);

	l.age_s = TOPO_MAX_AGE_S - 10;
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
	ck_assert_int_eq(topo_receive(topo, &m, T0), TOPO_NEWER);
	ck_assert_uint_eq(topo_expire(topo, T0 + 9 * SEC + SEC / 2), 0);
	ck_assert_uint_eq(topo_expire(topo, T0 + 10 * SEC), 1);
	ck_assert_ptr_null(topo_get(topo, "bravo"));
	ck_assert_ptr_nonnull(topo_get(topo, "charlie"));
	ck_assert_uint_eq(topo_expire(topo, T0 + (TOPO_MAX_AGE_S - 1) * SEC),
	    0);
	ck_assert_uint_eq(topo_expire(topo, T0 + TOPO_MAX_AGE_S * SEC), 1);
	ck_assert_uint_eq(topo_count(topo), 0);
}
END_TEST

START_TEST(expire_never_drops_own)
{
	struct pkt_lsa	own = lsa("alpha", 1), l = lsa("bravo", 1);

	ck_assert_int_eq(topo_set_self(topo, &own, T0), 0);
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
	ck_assert_uint_eq(topo_expire(topo, T0 + 3600 * SEC), 1);
	ck_assert_uint_eq(topo_count(topo), 1);
	ck_assert_ptr_nonnull(topo_get(topo, "alpha"));
}
END_TEST

static bool
origin_is(const struct pkt_lsa *l, void *arg)
{
	return strcmp(l->origin, arg) == 0;
}

START_TEST(remove_if_drops_matches_keeps_order_and_own)
{
	struct pkt_lsa	own = lsa("alpha", 1), b = lsa("bravo", 1),
			c = lsa("charlie", 1), d = lsa("delta", 1);
	uint16_t	age;

	ck_assert_int_eq(topo_set_self(topo, &own, T0), 0);
	ck_assert_int_eq(topo_receive(topo, &b, T0), TOPO_NEWER);
	ck_assert_int_eq(topo_receive(topo, &c, T0), TOPO_NEWER);
	ck_assert_int_eq(topo_receive(topo, &d, T0), TOPO_NEWER);
	ck_assert_uint_eq(topo_remove_if(topo, origin_is, "charlie"), 1);
	ck_assert_uint_eq(topo_remove_if(topo, origin_is, "charlie"), 0);
	ck_assert_uint_eq(topo_remove_if(topo, origin_is, "alpha"), 0);
	ck_assert_uint_eq(topo_count(topo), 3);
	ck_assert_str_eq(topo_at(topo, 0, T0, &age)->origin, "alpha");
	ck_assert_str_eq(topo_at(topo, 1, T0, &age)->origin, "bravo");
	ck_assert_str_eq(topo_at(topo, 2, T0, &age)->origin, "delta");
	ck_assert_ptr_null(topo_get(topo, "charlie"));
	/* gone means a later copy is new again */
	ck_assert_int_eq(topo_receive(topo, &c, T0), TOPO_NEWER);
}
END_TEST

START_TEST(copy_reports_growing_age)
{
	struct pkt_lsa	l = lsa("bravo", 9), out;

	l.age_s = 4;
	add_prefix(&l, "10.2.0.0", 16);
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
	ck_assert_int_eq(topo_copy(topo, "bravo", T0, &out), 0);
	ck_assert_uint_eq(out.age_s, 4);
	ck_assert_uint_eq(out.seq, 9);
	ck_assert_uint_eq(out.n_prefixes, 1);
	ck_assert_int_eq(topo_copy(topo, "bravo", T0 + 2 * SEC + 999999,
	    &out), 0);
	ck_assert_uint_eq(out.age_s, 6);
	ck_assert_int_eq(topo_copy(topo, "bravo", T0 + 20 * SEC, &out), 0);
	ck_assert_uint_eq(out.age_s, 24);
	/* the stored copy keeps its arrival age */
	ck_assert_uint_eq(topo_get(topo, "bravo")->age_s, 4);
	/* a clock before arrival does not underflow */
	ck_assert_int_eq(topo_copy(topo, "bravo", T0 - SEC, &out), 0);
	ck_assert_uint_eq(out.age_s, 4);
	/* saturates */
	ck_assert_int_eq(topo_copy(topo, "bravo", T0 + 100000 * SEC, &out), 0);
	ck_assert_uint_eq(out.age_s, UINT16_MAX);
	ck_assert_int_eq(topo_copy(topo, "nobody", T0, &out), -1);
}
END_TEST

START_TEST(own_age_restarts_on_set_self)
{
	struct pkt_lsa	own = lsa("alpha", 1), out;

	own.age_s = 30;		/* ignored: our own is installed at age 0 */
	ck_assert_int_eq(topo_set_self(topo, &own, T0), 0);
	ck_assert_int_eq(topo_copy(topo, "alpha", T0 + 5 * SEC, &out), 0);
	ck_assert_uint_eq(out.age_s, 5);
	own.seq = 2;
	ck_assert_int_eq(topo_set_self(topo, &own, T0 + 20 * SEC), 0);
	ck_assert_int_eq(topo_copy(topo, "alpha", T0 + 21 * SEC, &out), 0);
	ck_assert_uint_eq(out.age_s, 1);
	ck_assert_uint_eq(topo_count(topo), 1);
}
END_TEST

START_TEST(iteration_in_name_order)
{
	const char	*names[] = { "delta", "alpha", "charlie", "bravo" };
	const char	*want[] = { "alpha", "bravo", "charlie", "delta" };
	const struct pkt_lsa *p;
	uint16_t	 age;
	size_t		 i;

	for (i = 0; i < 4; i++) {
		struct pkt_lsa	l = lsa(names[i], 1);

		l.age_s = (uint16_t)i;
		if (i == 1)
			ck_assert_int_eq(topo_set_self(topo, &l, T0), 0);
		else
			ck_assert_int_eq(topo_receive(topo, &l, T0),
			    TOPO_NEWER);
	}
	for (i = 0; (p = topo_at(topo, i, T0 + 3 * SEC, &age)) != NULL; i++) {
		ck_assert_str_eq(p->origin, want[i]);
		if (strcmp(p->origin, "delta") == 0)
			ck_assert_uint_eq(age, 3);
		if (strcmp(p->origin, "bravo") == 0)
			ck_assert_uint_eq(age, 3 + 3);
		if (strcmp(p->origin, "alpha") == 0)
			ck_assert_uint_eq(age, 3);	/* own: from 0 */
	}
	ck_assert_uint_eq(i, 4);
	ck_assert_ptr_null(topo_at(topo, 4, T0, NULL));
}
END_TEST

/* --- shortest paths --- */

START_TEST(spf_line)
{
	edge("alpha", "bravo", 1);
	edge("bravo", "charlie", 2);
	edge("charlie", "delta", 3);
	load();
	spf();
	ck_assert_uint_eq(npaths, 3);
	check_path("bravo", "bravo", 1, 1);
	check_path("charlie", "bravo", 2, 3);
	check_path("delta", "bravo", 3, 6);
	ck_assert_ptr_null(path("alpha"));	/* self excluded */
	/* output in name order */
	ck_assert_str_eq(paths[0].dest, "bravo");
	ck_assert_str_eq(paths[2].dest, "delta");
}
END_TEST

START_TEST(spf_ring_equal_costs_tie_by_next_hop_name)
{
	/* alpha - bravo - delta - charlie - alpha: delta is 2 either way */
	edge("alpha", "charlie", 1);
	edge("charlie", "delta", 1);
	edge("alpha", "bravo", 1);
	edge("bravo", "delta", 1);
	load();
	spf();
	ck_assert_uint_eq(npaths, 3);
	check_path("delta", "bravo", 2, 2);
	check_path("charlie", "charlie", 1, 1);
}
END_TEST

START_TEST(spf_ring_tie_mirrored_names)
{
	/* same ring, the other neighbour now has the smaller name */
	edge("alpha", "zulu", 1);
	edge("zulu", "mike", 1);
	edge("alpha", "yankee", 1);
	edge("yankee", "mike", 1);
	load();
	spf();
	check_path("mike", "yankee", 2, 2);
}
END_TEST

START_TEST(spf_cheaper_long_path_beats_expensive_short)
{
	edge("alpha", "echo", 10);
	edge("alpha", "bravo", 1);
	edge("bravo", "charlie", 1);
	edge("charlie", "delta", 1);
	edge("delta", "echo", 1);
	load();
	spf();
	check_path("echo", "bravo", 4, 4);
}
END_TEST

START_TEST(spf_equal_cost_prefers_fewer_hops)
{
	/* via zulu: 2 hops, cost 4; via delta (smaller name): 4 hops, cost 4 */
	edge("alpha", "zulu", 2);
	edge("zulu", "echo", 2);
	edge("alpha", "delta", 1);
	edge("delta", "foxtrot", 1);
	edge("foxtrot", "golf", 1);
	edge("golf", "echo", 1);
	load();
	spf();
	check_path("echo", "zulu", 2, 4);
}
END_TEST

START_TEST(spf_one_way_link_ignored)
{
	/* bravo claims charlie, charlie does not claim bravo */
	edge("alpha", "bravo", 1);
	add_link(node("bravo"), "charlie", NAT_TYPE_OPEN, 1);
	node("charlie");
	add_link(node("alpha"), "delta", NAT_TYPE_OPEN, 1);	/* one-way */
	node("delta");
	load();
	spf();
	ck_assert_uint_eq(npaths, 1);
	check_path("bravo", "bravo", 1, 1);
	ck_assert_ptr_null(path("charlie"));
	ck_assert_ptr_null(path("delta"));
	ck_assert_uint_eq(topo_link_nat(topo, "bravo", "charlie"),
	    NAT_TYPE_UNKNOWN);
}
END_TEST

START_TEST(spf_link_cost_is_larger_end)
{
	add_link(node("alpha"), "bravo", NAT_TYPE_OPEN, 3);
	add_link(node("bravo"), "alpha", NAT_TYPE_OPEN, 7);
	load();
	spf();
	check_path("bravo", "bravo", 1, 7);
}
END_TEST

START_TEST(spf_unreachable_absent)
{
	edge("alpha", "bravo", 1);
	edge("charlie", "delta", 1);	/* an island */
	load();
	spf();
	ck_assert_uint_eq(npaths, 1);
	ck_assert_ptr_null(path("charlie"));
	ck_assert_ptr_null(path("delta"));
}
END_TEST

START_TEST(spf_link_to_unknown_origin_ignored)
{
	edge("alpha", "bravo", 1);
	add_link(node("alpha"), "ghost", NAT_TYPE_OPEN, 1);
	load();
	spf();
	ck_assert_uint_eq(npaths, 1);
	ck_assert_ptr_null(path("ghost"));
}
END_TEST

START_TEST(spf_without_own_advertisement_reaches_nothing)
{
	struct pkt_lsa	b = lsa("bravo", 1);

	add_link(&b, "alpha", NAT_TYPE_OPEN, 1);
	ck_assert_int_eq(topo_receive(topo, &b, T0), TOPO_NEWER);
	spf();
	ck_assert_uint_eq(npaths, 0);
	ck_assert_ptr_null(paths);
	ck_assert_int_eq(topo_routes(topo, &tbl), 0);
	ck_assert_uint_eq(tbl.n, 0);
}
END_TEST

START_TEST(spf_path_nat_most_restrictive_wins)
{
	edge_nat("alpha", "bravo", 1, NAT_TYPE_OPEN, NAT_TYPE_FULL_CONE);
	edge_nat("bravo", "charlie", 1, NAT_TYPE_SYMMETRIC, NAT_TYPE_OPEN);
	edge_nat("charlie", "delta", 1, NAT_TYPE_RESTRICTED,
	    NAT_TYPE_PORT_RESTRICTED);
	edge("alpha", "echo", 1);
	edge_nat("echo", "foxtrot", 1, NAT_TYPE_OPEN, NAT_TYPE_UNKNOWN);
	load();
	spf();
	ck_assert_uint_eq(path("bravo")->path_nat, NAT_TYPE_FULL_CONE);
	ck_assert_uint_eq(path("charlie")->path_nat, NAT_TYPE_SYMMETRIC);
	ck_assert_uint_eq(path("delta")->path_nat, NAT_TYPE_SYMMETRIC);
	ck_assert_uint_eq(path("echo")->path_nat, NAT_TYPE_OPEN);
	ck_assert_uint_eq(path("foxtrot")->path_nat, NAT_TYPE_UNKNOWN);
	ck_assert_uint_eq(topo_link_nat(topo, "charlie", "delta"),
	    NAT_TYPE_PORT_RESTRICTED);
	ck_assert_uint_eq(topo_link_nat(topo, "delta", "charlie"),
	    NAT_TYPE_PORT_RESTRICTED);
	ck_assert_uint_eq(topo_link_nat(topo, "alpha", "echo"),
	    NAT_TYPE_OPEN);
	ck_assert_uint_eq(topo_link_nat(topo, "alpha", "nobody"),
	    NAT_TYPE_UNKNOWN);
}
END_TEST

START_TEST(spf_equal_paths_prefer_more_open_nat)
{
	/* two paths to delta, same cost, hops and next hop */
	edge("alpha", "bravo", 1);
	edge_nat("bravo", "charlie", 1, NAT_TYPE_SYMMETRIC, NAT_TYPE_OPEN);
	edge("bravo", "echo", 1);
	edge("charlie", "delta", 1);
	edge("echo", "delta", 1);
	load();
	spf();
	check_path("delta", "bravo", 3, 3);
	ck_assert_uint_eq(path("delta")->path_nat, NAT_TYPE_OPEN);
}
END_TEST

START_TEST(spf_out_of_range_nat_is_unknown)
{
	edge("alpha", "bravo", 1);
	node("bravo")->links[0].nat = 200;
	load();
	spf();
	ck_assert_uint_eq(path("bravo")->path_nat, NAT_TYPE_UNKNOWN);
}
END_TEST

/* --- one end's advertised NAT type --- */

START_TEST(advertised_nat_is_own_end_of_link)
{
	edge_nat("alpha", "bravo", 1, NAT_TYPE_OPEN, NAT_TYPE_SYMMETRIC);
	add_link(node("alpha"), "bravo", NAT_TYPE_FULL_CONE, 1); /* 2nd */
	add_link(node("bravo"), "charlie", NAT_TYPE_RESTRICTED, 1);
	node("charlie");		/* advertises no link at all */
	load();
	ck_assert_uint_eq(topo_advertised_nat(topo, "alpha", "bravo"),
	    NAT_TYPE_OPEN);		/* the first link to bravo */
	ck_assert_uint_eq(topo_advertised_nat(topo, "bravo", "alpha"),
	    NAT_TYPE_SYMMETRIC);
	/* not the fold of both ends, which topo_link_nat() gives */
	ck_assert_uint_eq(topo_link_nat(topo, "alpha", "bravo"),
	    NAT_TYPE_SYMMETRIC);
	/* a one-way link is still advertised by its origin */
	ck_assert_uint_eq(topo_advertised_nat(topo, "bravo", "charlie"),
	    NAT_TYPE_RESTRICTED);
	ck_assert_uint_eq(topo_link_nat(topo, "bravo", "charlie"),
	    NAT_TYPE_UNKNOWN);
}
END_TEST

START_TEST(advertised_nat_unknown_without_link)
{
	edge_nat("alpha", "bravo", 1, NAT_TYPE_OPEN, NAT_TYPE_FULL_CONE);
	node("charlie");
	load();
	ck_assert_uint_eq(topo_advertised_nat(topo, "charlie", "bravo"),
	    NAT_TYPE_UNKNOWN);		/* charlie lists no links */
	ck_assert_uint_eq(topo_advertised_nat(topo, "alpha", "charlie"),
	    NAT_TYPE_UNKNOWN);		/* alpha has none to charlie */
	ck_assert_uint_eq(topo_advertised_nat(topo, "nobody", "alpha"),
	    NAT_TYPE_UNKNOWN);		/* origin not in the database */
	ck_assert_uint_eq(topo_advertised_nat(topo, "alpha", "alpha"),
	    NAT_TYPE_UNKNOWN);
	ck_assert_uint_eq(topo_advertised_nat(topo, "", "bravo"),
	    NAT_TYPE_UNKNOWN);
}
END_TEST

/* Every type comes back as advertised (no off-by-one on the wire value). */
START_TEST(advertised_nat_every_type)
{
	static const char *const peer[] = {
		"bravo", "charlie", "delta", "echo", "foxtrot", "golf"
	};
	enum nat_type	t;

	for (t = NAT_TYPE_OPEN; t <= NAT_TYPE_UNKNOWN; t++)
		edge_nat("alpha", peer[t - NAT_TYPE_OPEN], 1, t,
		    NAT_TYPE_OPEN);
	load();
	for (t = NAT_TYPE_OPEN; t <= NAT_TYPE_UNKNOWN; t++) {
		ck_assert_uint_eq(topo_advertised_nat(topo, "alpha",
		    peer[t - NAT_TYPE_OPEN]), t);
		ck_assert_uint_eq(topo_advertised_nat(topo,
		    peer[t - NAT_TYPE_OPEN], "alpha"), NAT_TYPE_OPEN);
	}
}
END_TEST

START_TEST(advertised_nat_follows_newer_advertisement)
{
	struct pkt_lsa	b = lsa("bravo", 1);

	add_link(&b, "alpha", NAT_TYPE_FULL_CONE, 1);
	ck_assert_int_eq(topo_receive(topo, &b, T0), TOPO_NEWER);
	ck_assert_uint_eq(topo_advertised_nat(topo, "bravo", "alpha"),
	    NAT_TYPE_FULL_CONE);
	b = lsa("bravo", 2);
	add_link(&b, "alpha", NAT_TYPE_PORT_RESTRICTED, 1);
	ck_assert_int_eq(topo_receive(topo, &b, T0), TOPO_NEWER);
	ck_assert_uint_eq(topo_advertised_nat(topo, "bravo", "alpha"),
	    NAT_TYPE_PORT_RESTRICTED);
	b = lsa("bravo", 3);		/* the link is gone */
	ck_assert_int_eq(topo_receive(topo, &b, T0), TOPO_NEWER);
	ck_assert_uint_eq(topo_advertised_nat(topo, "bravo", "alpha"),
	    NAT_TYPE_UNKNOWN);
}
END_TEST

/* --- forwarding table --- */

START_TEST(routes_own_prefixes_local)
{
	add_prefix(node("alpha"), "10.1.0.0", 16);
	add_prefix(node("alpha"), "10.9.0.0", 24);
	load();
	ck_assert_int_eq(topo_routes(topo, &tbl), 0);
	ck_assert_uint_eq(tbl.n, 2);
	ck_assert_uint_eq(tbl.v[0].plen, 24);
	ck_assert_uint_eq(tbl.v[0].hops, 0);
	ck_assert_str_eq(tbl.v[0].dest, "alpha");
	ck_assert_str_eq(tbl.v[0].next_hop, "");
	ck_assert_uint_eq(tbl.v[0].cost, 0);
	ck_assert_uint_eq(tbl.v[0].path_nat, 0);
	ck_assert(route_is_local(&tbl, ip("10.1.2.3")));
	ck_assert(!route_is_local(&tbl, ip("10.2.0.1")));
}
END_TEST

START_TEST(routes_remote_via_next_hop)
{
	const struct route *r;

	add_prefix(node("alpha"), "10.1.0.0", 16);
	add_prefix(node("charlie"), "10.3.0.0", 16);
	edge_nat("alpha", "bravo", 2, NAT_TYPE_OPEN, NAT_TYPE_RESTRICTED);
	edge("bravo", "charlie", 5);
	add_prefix(node("delta"), "10.4.0.0", 16);	/* unreachable */
	load();
	ck_assert_int_eq(topo_routes(topo, &tbl), 0);
	ck_assert_uint_eq(tbl.n, 2);
	r = route_lookup(&tbl, ip("10.3.7.7"));
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->dest, "charlie");
	ck_assert_str_eq(r->next_hop, "bravo");
	ck_assert_uint_eq(r->hops, 2);
	ck_assert_uint_eq(r->cost, 7);
	ck_assert_uint_eq(r->path_nat, NAT_TYPE_RESTRICTED);
	ck_assert_ptr_null(route_lookup(&tbl, ip("10.4.0.1")));
}
END_TEST

static void
add_prefix6(struct pkt_lsa *l, const char *addr, uint8_t plen)
{
	struct pkt_lsa_prefix *p = &l->prefixes[l->n_prefixes++];

	p->v6 = true;
	p->plen = plen;
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &p->addr6), 1);
}

static struct in6_addr
ip6(const char *s)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

/*
 * IPv6 prefixes route like IPv4 ones, in their own array: longest match
 * first, own ones local, remote ones through the path's next hop, the
 * unreachable absent; the inner-source table takes them too.
 */
START_TEST(routes_ipv6_longest_match_local_remote)
{
	const struct route6 *r;
	struct in6_addr a;
	struct srcauth sa;
	char buf[64];

	add_prefix6(node("alpha"), "fd00:a::", 48);
	add_prefix(node("alpha"), "10.1.0.0", 16);
	add_prefix6(node("charlie"), "fd00:c::", 48);
	add_prefix6(node("bravo"), "fd00:c:0:1::", 64);
	add_prefix6(node("delta"), "fd00:d::", 48);	/* unreachable */
	edge("alpha", "bravo", 2);
	edge("bravo", "charlie", 5);
	load();
	ck_assert_int_eq(topo_routes(topo, &tbl), 0);
	ck_assert_uint_eq(tbl.n, 1);
	ck_assert_uint_eq(tbl.n6, 3);
	ck_assert_uint_eq(tbl.v6[0].plen, 64);
	ck_assert_str_eq(route6_prefix_str(&tbl.v6[0], buf, sizeof(buf)),
	    "fd00:c:0:1::/64");

	a = ip6("fd00:c:0:1::5");
	r = route_lookup6(&tbl, &a);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->dest, "bravo");
	a = ip6("fd00:c:0:2::5");
	r = route_lookup6(&tbl, &a);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->dest, "charlie");
	ck_assert_str_eq(r->next_hop, "bravo");
	ck_assert_uint_eq(r->hops, 2);
	ck_assert_uint_eq(r->cost, 7);
	a = ip6("fd00:d::1");
	ck_assert_ptr_null(route_lookup6(&tbl, &a));
	a = ip6("fd00:a:0:ff::1");
	ck_assert(route_is_local6(&tbl, &a));
	r = route_lookup6(&tbl, &a);
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(r->hops, 0);
	a = ip6("fd00:c::1");
	ck_assert(!route_is_local6(&tbl, &a));

	srcauth_init(&sa);
	ck_assert_int_eq(srcauth_build(&sa, &tbl), 0);
	ck_assert(srcauth_allows6(&sa, pkt_origin_id("charlie"), &a));
	ck_assert(!srcauth_allows6(&sa, pkt_origin_id("bravo"), &a));
	a = ip6("fd00:c:0:1::9");
	ck_assert(srcauth_allows6(&sa, pkt_origin_id("bravo"), &a));
	a = ip6("fd00:a::1");	/* our own: nobody else's source */
	ck_assert(!srcauth_allows6(&sa, pkt_origin_id("alpha"), &a));
	ck_assert(!srcauth_allows6(&sa, pkt_origin_id("charlie"), &a));
	srcauth_release(&sa);
}
END_TEST

START_TEST(routes_overlapping_claims_both_present)
{
	struct route	a[4], b[4];
	size_t		n;

	edge("alpha", "bravo", 1);
	edge("alpha", "charlie", 3);
	add_prefix(node("bravo"), "10.5.0.0", 16);
	add_prefix(node("charlie"), "10.5.0.0", 16);
	add_prefix(node("charlie"), "10.5.0.0", 16);	/* listed twice */
	load();
	ck_assert_int_eq(topo_routes(topo, &tbl), 0);
	ck_assert_uint_eq(tbl.n, 2);
	/* the cheaper claim sorts first, so lookups follow it */
	ck_assert_str_eq(tbl.v[0].dest, "bravo");
	ck_assert_str_eq(tbl.v[1].dest, "charlie");
	ck_assert_str_eq(route_lookup(&tbl, ip("10.5.1.1"))->dest, "bravo");
	n = route_conflicts_find(&tbl, a, b, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(a[0].dest, "bravo");
	ck_assert_str_eq(b[0].dest, "charlie");
}
END_TEST

START_TEST(routes_longest_prefix_first)
{
	edge("alpha", "bravo", 1);
	edge("bravo", "charlie", 1);
	add_prefix(node("alpha"), "10.0.0.0", 8);
	add_prefix(node("bravo"), "10.1.2.0", 24);
	add_prefix(node("charlie"), "10.1.0.0", 16);
	add_prefix(node("charlie"), "0.0.0.0", 0);
	add_prefix(node("bravo"), "10.7.0.0", 16);
	load();
	ck_assert_int_eq(topo_routes(topo, &tbl), 0);
	ck_assert_uint_eq(tbl.n, 5);
	ck_assert_uint_eq(tbl.v[0].plen, 24);
	ck_assert_uint_eq(tbl.v[1].plen, 16);
	ck_assert_str_eq(tbl.v[1].dest, "bravo");	/* cost 1 */
	ck_assert_uint_eq(tbl.v[2].plen, 16);
	ck_assert_str_eq(tbl.v[2].dest, "charlie");	/* cost 2 */
	ck_assert_uint_eq(tbl.v[3].plen, 8);
	ck_assert_uint_eq(tbl.v[4].plen, 0);
	ck_assert_str_eq(route_lookup(&tbl, ip("10.1.2.9"))->dest, "bravo");
	ck_assert_str_eq(route_lookup(&tbl, ip("10.1.3.9"))->dest,
	    "charlie");
	ck_assert_str_eq(route_lookup(&tbl, ip("10.8.0.1"))->dest, "alpha");
	ck_assert_str_eq(route_lookup(&tbl, ip("8.8.8.8"))->dest, "charlie");
}
END_TEST

START_TEST(routes_rebuild_reuses_table)
{
	edge("alpha", "bravo", 1);
	add_prefix(node("bravo"), "10.2.0.0", 16);
	add_prefix(node("bravo"), "10.3.0.0", 16);
	load();
	ck_assert_int_eq(topo_routes(topo, &tbl), 0);
	ck_assert_uint_eq(tbl.n, 2);
	node("bravo")->seq = 2;
	node("bravo")->n_prefixes = 1;
	ck_assert_int_eq(topo_receive(topo, node("bravo"), T0), TOPO_NEWER);
	ck_assert_int_eq(topo_routes(topo, &tbl), 0);
	ck_assert_uint_eq(tbl.n, 1);
	ck_assert_uint_ge(tbl.cap, 2);
}
END_TEST

/* --- a large random graph against a reference --- */

#define RN	1000

static uint64_t	rng_state;

static uint32_t
rng(void)
{
	/* xorshift64*: deterministic, good enough for graph shapes */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

/* Plain O(V^2) Dijkstra over an adjacency matrix of costs (0: none). */
static void
ref_dijkstra(const uint16_t *w, size_t n, size_t src, uint64_t *dist)
{
	bool	*done = calloc(n, sizeof(*done));
	size_t	 i, j;

	ck_assert_ptr_nonnull(done);
	for (i = 0; i < n; i++)
		dist[i] = UINT64_MAX;
	dist[src] = 0;
	for (;;) {
		size_t	u = n;

		for (i = 0; i < n; i++)
			if (!done[i] && dist[i] != UINT64_MAX &&
			    (u == n || dist[i] < dist[u]))
				u = i;
		if (u == n)
			break;
		done[u] = true;
		for (j = 0; j < n; j++)
			if (w[u * n + j] != 0 &&
			    dist[u] + w[u * n + j] < dist[j])
				dist[j] = dist[u] + w[u * n + j];
	}
	free(done);
}

START_TEST(spf_random_1000_matches_reference)
{
	struct pkt_lsa	*v = calloc(RN, sizeof(*v));
	uint16_t	*w = calloc((size_t)RN * RN, sizeof(*w));
	uint64_t	*dist = calloc(RN, sizeof(*dist));
	size_t		 i, links = 0, reached = 0;
	char		 name[PKT_NAME_MAX + 1];

	ck_assert(v != NULL && w != NULL && dist != NULL);
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (i = 0; i < RN; i++) {
		/* node 0 is "alpha"; "n" sorts after it, so ordering varies */
		if (i == 0)
			snprintf(name, sizeof(name), "alpha");
		else
			snprintf(name, sizeof(name), "n%u", rng() % 100000 *
			    RN + (unsigned)i);
		v[i] = lsa(name, 1);
	}
	/* a random tree (connected), then extra random links */
	for (i = 1; i < RN + 2 * RN; i++) {
		size_t		 a, b;
		uint16_t	 ca = (uint16_t)(1 + rng() % 20);
		uint16_t	 cb = (uint16_t)(1 + rng() % 20);

		if (i < RN) {
			a = i;
			b = rng() % i;
		} else {
			a = rng() % RN;
			b = rng() % RN;
		}
		if (a == b || w[a * RN + b] != 0 ||
		    v[a].n_links >= PKT_LSA_LINK_MAX ||
		    v[b].n_links >= PKT_LSA_LINK_MAX)
			continue;
		add_link(&v[a], v[b].origin, NAT_TYPE_OPEN, ca);
		add_link(&v[b], v[a].origin, NAT_TYPE_OPEN, cb);
		w[a * RN + b] = w[b * RN + a] = ca > cb ? ca : cb;
		links++;
	}
	/* some one-way claims, which both sides must ignore */
	for (i = 0; i < 50; i++) {
		size_t	a = rng() % RN, b = rng() % RN;

		if (a == b || w[a * RN + b] != 0 ||
		    v[a].n_links >= PKT_LSA_LINK_MAX)
			continue;
		add_link(&v[a], v[b].origin, NAT_TYPE_OPEN, 1);
	}
	ck_assert_uint_gt(links, RN);

	ck_assert_int_eq(topo_set_self(topo, &v[0], T0), 0);
	for (i = 1; i < RN; i++)
		ck_assert_int_eq(topo_receive(topo, &v[i], T0), TOPO_NEWER);
	spf();
	ref_dijkstra(w, RN, 0, dist);
	for (i = 1; i < RN; i++) {
		const struct topo_path *p = path(v[i].origin);

		if (dist[i] == UINT64_MAX) {
			ck_assert_ptr_null(p);
			continue;
		}
		reached++;
		ck_assert_msg(p != NULL, "no path to %s", v[i].origin);
		ck_assert_uint_eq(p->cost, dist[i]);
	}
	ck_assert_uint_eq(reached, RN - 1);
	ck_assert_uint_eq(npaths, reached);
	free(v);
	free(w);
	free(dist);
}
END_TEST


/* ---- issue 11: sequence rules, limits, refusals, signatures ---- */

#define HALF	(UINT64_C(1) << 63)

START_TEST(seq_serial_order)
{
	static const uint64_t v[] = { 0, 1, 2, 12345, HALF - 1, HALF,
	    HALF + 1, UINT64_MAX - 1, UINT64_MAX };

	ck_assert(topo_seq_newer(1, 0));
	ck_assert(!topo_seq_newer(0, 1));
	ck_assert(topo_seq_newer(0, UINT64_MAX));	/* wraps */
	ck_assert(!topo_seq_newer(UINT64_MAX, 0));
	ck_assert(topo_seq_newer(HALF, 0));		/* half way: order */
	ck_assert(!topo_seq_newer(0, HALF));
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint64_t b = v[i];

		ck_assert(!topo_seq_newer(b, b));
		ck_assert(topo_seq_newer(b + 1, b));
		ck_assert(topo_seq_newer(b + HALF - 1, b));
		ck_assert(!topo_seq_newer(b + HALF + 1, b));
		/* exactly one of two different numbers is newer */
		for (size_t j = 0; j < sizeof(v) / sizeof(v[0]); j++)
			if (v[j] != b)
				ck_assert(topo_seq_newer(v[j], b) !=
				    topo_seq_newer(b, v[j]));
	}
}
END_TEST

/* Whatever an origin's stored seq is, its next one is taken. */
START_TEST(no_seq_pins_an_origin)
{
	static const uint64_t v[] = { 0, 7, HALF - 1, HALF, UINT64_MAX - 1,
	    UINT64_MAX };
	struct pkt_lsa	l;
	char		name[16];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(name, sizeof(name), "o%zu", i);
		l = lsa(name, v[i]);
		ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
		l = lsa(name, v[i] + 1);
		ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
		ck_assert_uint_eq(topo_get(topo, name)->seq, v[i] + 1);
		l = lsa(name, v[i]);
		ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_OLDER);
	}
}
END_TEST

/* Our own origin seen at the largest value: the next is still newer. */
START_TEST(own_restart_beats_any_old_seq)
{
	static const uint64_t v[] = { 100, HALF, UINT64_MAX };
	struct pkt_lsa	own = lsa("alpha", 5), old;

	ck_assert_int_eq(topo_set_self(topo, &own, T0), 0);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		old = lsa("alpha", v[i]);
		add_prefix(&old, "10.66.0.0", 16);
		ck_assert_int_eq(topo_receive(topo, &old, T0), TOPO_OWN);
		own.seq = topo_next_seq(topo, 0);
		ck_assert(topo_seq_newer(own.seq, v[i]));
		ck_assert_int_eq(topo_set_self(topo, &own, T0), 0);
		ck_assert_int_eq(topo_receive(topo, &old, T0), TOPO_OLDER);
	}
}
END_TEST

START_TEST(rate_limits_each_origin)
{
	struct topo_limits lim;
	struct pkt_lsa	l;
	uint64_t	seq = 1;
	unsigned	i;

	topo_get_limits(topo, &lim);
	lim.rate = 2;
	lim.burst = 4;
	topo_set_limits(topo, &lim);
	for (i = 0; i < 4; i++) {
		l = lsa("bravo", seq++);
		ck_assert_int_eq(topo_classify(topo, &l, T0), TOPO_NEWER);
		ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
	}
	l = lsa("bravo", seq++);
	ck_assert_int_eq(topo_classify(topo, &l, T0), TOPO_RATE);
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_RATE);
	ck_assert_uint_eq(topo_get(topo, "bravo")->seq, 4);
	/* another origin is not affected */
	l = lsa("charlie", 1);
	ck_assert_int_eq(topo_receive(topo, &l, T0), TOPO_NEWER);
	/* half a second later one more (rate 2/s) */
	l = lsa("bravo", seq++);
	ck_assert_int_eq(topo_receive(topo, &l, T0 + SEC / 2), TOPO_NEWER);
	ck_assert_int_eq(topo_receive(topo, &l, T0 + SEC / 2), TOPO_SAME);
	l = lsa("bravo", seq++);
	ck_assert_int_eq(topo_receive(topo, &l, T0 + SEC / 2), TOPO_RATE);
}
END_TEST

START_TEST(prefixes_over_the_limit_and_refused_are_not_routed)
{
	struct topo_limits lim;
	struct pkt_lsa	own = lsa("alpha", 1), b = lsa("bravo", 1);

	topo_get_limits(topo, &lim);
	lim.max_prefixes = 2;
	topo_set_limits(topo, &lim);
	add_link(&own, "bravo", NAT_TYPE_OPEN, 1);
	add_prefix(&own, "10.0.0.0", 24);
	add_prefix(&own, "10.0.1.0", 24);
	add_prefix(&own, "10.0.2.0", 24);	/* ours: never limited */
	ck_assert_int_eq(topo_set_self(topo, &own, T0), 0);
	add_link(&b, "alpha", NAT_TYPE_OPEN, 1);
	add_prefix(&b, "10.1.0.0", 24);
	add_prefix(&b, "10.2.0.0", 25);		/* refused by its cert */
	add_prefix(&b, "10.1.1.0", 24);		/* over the limit */
	ck_assert_int_eq(topo_receive_checked(topo, &b, UINT64_C(1) << 1,
	    TOPO_REFUSED_BLOCKS, T0, NULL), TOPO_NEWER);
	ck_assert_int_eq(topo_routes(topo, &tbl), 0);
	ck_assert_uint_eq(tbl.n, 4);
	ck_assert_ptr_nonnull(route_lookup(&tbl, ip("10.1.0.1")));
	ck_assert_ptr_null(route_lookup(&tbl, ip("10.2.0.1")));
	ck_assert_ptr_null(route_lookup(&tbl, ip("10.1.1.1")));
	ck_assert_ptr_nonnull(route_lookup(&tbl, ip("10.0.2.1")));
	ck_assert_int_eq(topo_prefix_refused(topo, 1, 0), TOPO_REFUSED_NO);
	ck_assert_int_eq(topo_prefix_refused(topo, 1, 1), TOPO_REFUSED_BLOCKS);
	ck_assert_int_eq(topo_prefix_refused(topo, 1, 2), TOPO_REFUSED_LIMIT);
	ck_assert_int_eq(topo_prefix_refused(topo, 0, 2), TOPO_REFUSED_NO);
	/* the stored copy keeps all three, for flooding as signed */
	ck_assert_uint_eq(topo_get(topo, "bravo")->n_prefixes, 3);
}
END_TEST

START_TEST(links_over_the_limit_are_ignored)
{
	struct topo_limits lim;
	struct pkt_lsa	own = lsa("alpha", 1), b = lsa("bravo", 1),
			c = lsa("charlie", 1);
	struct topo_path *p;
	size_t		n;

	topo_get_limits(topo, &lim);
	lim.max_links = 1;
	topo_set_limits(topo, &lim);
	add_link(&own, "bravo", NAT_TYPE_OPEN, 1);
	ck_assert_int_eq(topo_set_self(topo, &own, T0), 0);
	add_link(&b, "alpha", NAT_TYPE_OPEN, 1);
	add_link(&b, "charlie", NAT_TYPE_OPEN, 1);	/* the second */
	add_link(&c, "bravo", NAT_TYPE_OPEN, 1);
	ck_assert_int_eq(topo_receive(topo, &b, T0), TOPO_NEWER);
	ck_assert_int_eq(topo_receive(topo, &c, T0), TOPO_NEWER);
	ck_assert_int_eq(topo_spf(topo, &p, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(p[0].dest, "bravo");
	free(p);
	lim.max_links = 2;
	topo_set_limits(topo, &lim);
	ck_assert_int_eq(topo_spf(topo, &p, &n), 0);
	ck_assert_uint_eq(n, 2);
	free(p);
}
END_TEST

/* lib/lsasig.c against the in-memory CA of testpki.c */

static struct pkt_lsa
signed_lsa(const char *origin, const char *blocks, bool ed, uint64_t seq)
{
	struct pkt_lsa l = lsa(origin, seq);

	add_prefix(&l, "10.1.0.0", 24);
	add_prefix(&l, "10.2.0.0", 25);
	add_link(&l, "alpha", NAT_TYPE_OPEN, 3);
	ck_assert_int_eq(lsasig_sign(testpki_key(origin, blocks, ed), &l), 0);
	return l;
}

START_TEST(sig_good_bad_missing)
{
	struct lsasig_verifier *v = testpki_verifier(false);
	struct lsasig_stats st;
	struct pkt_lsa	l, t;
	uint64_t	ref;
	bool		nb;

	for (int ed = 0; ed < 2; ed++) {
		l = signed_lsa("bravo", NULL, ed, 9);
		ck_assert_int_eq(lsasig_verify(v, &l, time(NULL), &ref, &nb),
		    LSASIG_OK);
		ck_assert_uint_eq(ref, 0);
		l.age_s = 42;		/* age is not signed: it grows */
		ck_assert_int_eq(lsasig_verify(v, &l, time(NULL), &ref, &nb),
		    LSASIG_OK);
		/* every signed field matters */
		t = l; t.seq++;
		ck_assert_int_eq(lsasig_verify(v, &t, time(NULL), &ref, &nb),
		    LSASIG_BAD_SIG);
		t = l; t.prefixes[1].plen = 24;
		ck_assert_int_eq(lsasig_verify(v, &t, time(NULL), &ref, &nb),
		    LSASIG_BAD_SIG);
		t = l; t.links[0].cost = 4;
		ck_assert_int_eq(lsasig_verify(v, &t, time(NULL), &ref, &nb),
		    LSASIG_BAD_SIG);
		t = l; t.sig[t.sig_len / 2] ^= 1;
		ck_assert_int_eq(lsasig_verify(v, &t, time(NULL), &ref, &nb),
		    LSASIG_BAD_SIG);
		t = l; t.sig_len = 0;
		ck_assert_int_eq(lsasig_verify(v, &t, time(NULL), &ref, &nb),
		    LSASIG_UNSIGNED);
		t = l; t.cert_len = 0;
		ck_assert_int_eq(lsasig_verify(v, &t, time(NULL), &ref, &nb),
		    LSASIG_UNSIGNED);
		t = l; t.cert[t.cert_len / 2] ^= 1;	/* breaks the chain */
		ck_assert_int_eq(lsasig_verify(v, &t, time(NULL), &ref, &nb),
		    LSASIG_BAD_CERT);
		t = l; t.cert_len--;			/* not DER */
		ck_assert_int_eq(lsasig_verify(v, &t, time(NULL), &ref, &nb),
		    LSASIG_BAD_CERT);
	}
	/* signed by charlie's key as "bravo": wrong name */
	l = lsa("bravo", 10);
	ck_assert_int_eq(lsasig_sign(testpki_key("charlie", NULL, false), &l),
	    0);
	ck_assert_int_eq(lsasig_verify(v, &l, time(NULL), &ref, &nb),
	    LSASIG_WRONG_NAME);
	/* a valid-looking certificate from another CA */
	l = lsa("bravo", 11);
	ck_assert_int_eq(lsasig_sign(testpki_foreign_key("bravo"), &l), 0);
	ck_assert_int_eq(lsasig_verify(v, &l, time(NULL), &ref, &nb),
	    LSASIG_BAD_CERT);
	/* repeated good ones hit the cache: one chain check per cert */
	l = signed_lsa("delta", NULL, false, 1);
	lsasig_verifier_stats(v, &st);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(lsasig_verify(v, &l, time(NULL), &ref, &nb),
		    LSASIG_OK);
	{
		struct lsasig_stats st2;

		lsasig_verifier_stats(v, &st2);
		ck_assert_uint_eq(st2.chain_checks, st.chain_checks + 1);
		ck_assert_uint_eq(st2.cache_hits, st.cache_hits + 4);
	}
	/* a certificate that has expired by 'now' is refused */
	ck_assert_int_eq(lsasig_verify(v, &l, time(NULL) + 3L * 365 * 86400 +
	    LSASIG_RECHECK_S, &ref, &nb), LSASIG_BAD_CERT);
	lsasig_verifier_free(v);
}
END_TEST

START_TEST(sig_revoked_by_the_crl_in_force)
{
	struct lsasig_verifier *v = testpki_verifier(false);
	const char *const names[] = { "rogue" };
	X509_CRL	*crl = testpki_crl(names, 1), *none = testpki_crl(NULL, 0);
	struct pkt_lsa	r = signed_lsa("rogue", NULL, false, 1),
			o = signed_lsa("golf", NULL, false, 1);
	uint64_t	ref;
	bool		nb;

	/* before the CRL: both good, and cached */
	ck_assert_int_eq(lsasig_verify(v, &r, time(NULL), &ref, &nb),
	    LSASIG_OK);
	ck_assert_int_eq(lsasig_verify(v, &o, time(NULL), &ref, &nb),
	    LSASIG_OK);
	ck_assert(lsasig_der_revoked(r.cert, r.cert_len, crl));
	ck_assert(!lsasig_der_revoked(o.cert, o.cert_len, crl));
	ck_assert(!lsasig_der_revoked(r.cert, r.cert_len, none));
	ck_assert(!lsasig_der_revoked(r.cert, r.cert_len, NULL));
	ck_assert(!lsasig_der_revoked(r.cert, r.cert_len / 2, crl));
	/* the CRL flushes the cache: rogue refused at once, golf still good */
	lsasig_verifier_set_crl(v, crl);
	ck_assert_int_eq(lsasig_verify(v, &r, time(NULL), &ref, &nb),
	    LSASIG_REVOKED);
	ck_assert_int_eq(lsasig_verify(v, &o, time(NULL), &ref, &nb),
	    LSASIG_OK);
	ck_assert_str_eq(lsasig_result_str(LSASIG_REVOKED), "revoked");
	/* a CRL that lists nobody takes it back */
	lsasig_verifier_set_crl(v, none);
	ck_assert_int_eq(lsasig_verify(v, &r, time(NULL), &ref, &nb),
	    LSASIG_OK);
	lsasig_verifier_set_crl(v, NULL);
	ck_assert_int_eq(lsasig_verify(v, &r, time(NULL), &ref, &nb),
	    LSASIG_OK);
	X509_CRL_free(crl);
	X509_CRL_free(none);
	lsasig_verifier_free(v);
}
END_TEST

START_TEST(sig_blocks_inside_outside_inherit_absent)
{
	struct lsasig_verifier *v = testpki_verifier(false),
	    *req = testpki_verifier(true);
	struct pkt_lsa	l;
	uint64_t	ref;
	bool		nb;

	/* 10.1.0.0/24 inside, 10.2.0.0/25 outside */
	l = signed_lsa("bravo", "IPv4:10.1.0.0/16", false, 1);
	ck_assert_int_eq(lsasig_verify(v, &l, time(NULL), &ref, &nb),
	    LSASIG_OK);
	ck_assert_uint_eq(ref, 2);
	ck_assert(!nb);
	ck_assert_int_eq(lsasig_verify(req, &l, time(NULL), &ref, &nb),
	    LSASIG_OK);
	ck_assert_uint_eq(ref, 2);
	/* exactly the blocks: both inside; a range covers too */
	l = signed_lsa("bravo", "IPv4:10.1.0.0/24,IPv4:10.2.0.0-10.2.0.127",
	    false, 2);
	ck_assert_int_eq(lsasig_verify(v, &l, time(NULL), &ref, &nb),
	    LSASIG_OK);
	ck_assert_uint_eq(ref, 0);
	/* one block: a more-specific of another's is outside */
	l = signed_lsa("bravo", "IPv4:10.1.0.0/24,IPv4:10.2.0.128/25",
	    false, 3);
	ck_assert_int_eq(lsasig_verify(v, &l, time(NULL), &ref, &nb),
	    LSASIG_OK);
	ck_assert_uint_eq(ref, 2);
	/* inherit: the CA's 0.0.0.0/0 */
	l = signed_lsa("bravo", "IPv4:inherit", false, 4);
	ck_assert_int_eq(lsasig_verify(req, &l, time(NULL), &ref, &nb),
	    LSASIG_OK);
	ck_assert_uint_eq(ref, 0);
	/* absent: fine by default, nothing with require_prefixes */
	l = signed_lsa("bravo", NULL, false, 5);
	ck_assert_int_eq(lsasig_verify(v, &l, time(NULL), &ref, &nb),
	    LSASIG_OK);
	ck_assert_uint_eq(ref, 0);
	ck_assert_int_eq(lsasig_verify(req, &l, time(NULL), &ref, &nb),
	    LSASIG_OK);
	ck_assert_uint_eq(ref, 3);
	ck_assert(nb);
	/* blocks the CA does not cover (it has IPv4 only): no chain */
	l = signed_lsa("bravo", "IPv6:2001:db8::/32", false, 6);
	ck_assert_int_eq(lsasig_verify(v, &l, time(NULL), &ref, &nb),
	    LSASIG_BAD_CERT);
	lsasig_verifier_free(v);
	lsasig_verifier_free(req);
}
END_TEST

/*
 * IPv6 prefixes are checked against the IPv6 blocks, IPv4 against IPv4,
 * each family's inherit resolved on its own; a certificate with only
 * IPv4 blocks covers no IPv6 prefix.  Routes follow: a refused IPv6
 * prefix is never in the table.
 */
START_TEST(sig_blocks_ipv6)
{
	struct lsasig_verifier *v = testpki_verifier(true);
	struct pkt_lsa	l;
	uint64_t	ref;
	bool		nb;
	struct pkt_lsa_prefix *p;

	for (int k = 0; k < 6; k++) {
		static const char *const blocks[] = {
			"IPv4:10.1.0.0/16,IPv6:fd00:a::/48",
			"IPv4:10.1.0.0/16,IPv6:fd00:b::/48",
			"IPv4:10.1.0.0/16",
			"IPv4:10.1.0.0/16,IPv6:inherit",
			"IPv4:inherit,IPv6:fd00:a::/47",
			"IPv6:fd00:a:0:8000::/49",
		};
		static const uint64_t want[] = { 2, 6, 6, 2, 0, 7 };

		l = lsa("bravo", (uint64_t)k + 1);
		add_prefix(&l, "10.1.0.0", 24);
		add_prefix(&l, "10.2.0.0", 25);
		p = &l.prefixes[l.n_prefixes++];
		p->v6 = true;
		p->plen = 48;
		ck_assert_int_eq(inet_pton(AF_INET6, "fd00:a::", &p->addr6), 1);
		ck_assert_int_eq(lsasig_sign(testpki_key("bravo", blocks[k],
		    false), &l), 0);
		ck_assert_int_eq(lsasig_verify(v, &l, time(NULL), &ref, &nb),
		    LSASIG_OK);
		ck_assert_msg(ref == want[k], "%s: refused %llx, want %llx",
		    blocks[k], (unsigned long long)ref,
		    (unsigned long long)want[k]);
	}
	lsasig_verifier_free(v);
}
END_TEST

START_TEST(blocks_cover6_edges)
{
	static struct lsasig_blocks b;
	struct in6_addr a;

	memset(&b, 0, sizeof(b));
	b.has_ext = true;
	b.n6 = 1;
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:a::", b.lo6[0]), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:a::ffff:ffff:ffff:ffff",
	    b.hi6[0]), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:a::", &a), 1);
	ck_assert(lsasig_blocks_cover6(&b, &a, 64));
	ck_assert(!lsasig_blocks_cover6(&b, &a, 63));
	ck_assert(!lsasig_blocks_cover6(&b, &a, 129));
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:a::ff:1", &a), 1);
	ck_assert(lsasig_blocks_cover6(&b, &a, 128));
	ck_assert(lsasig_blocks_cover6(&b, &a, 80));
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:a:0:1::", &a), 1);
	ck_assert(!lsasig_blocks_cover6(&b, &a, 64));
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:a:1::", &a), 1);
	ck_assert(!lsasig_blocks_cover6(&b, &a, 64));
	/* the IPv4 test never sees IPv6 blocks */
	ck_assert(!lsasig_blocks_cover(&b, 0, 0));
}
END_TEST

START_TEST(blocks_cover_edges)
{
	struct lsasig_blocks b = { .has_ext = true, .n = 2,
	    .lo = { 0x0a010000, 0xc0000200 }, .hi = { 0x0a01ffff, 0xc0000203 } };

	ck_assert(lsasig_blocks_cover(&b, 0x0a010000, 16));
	ck_assert(lsasig_blocks_cover(&b, 0x0a01ff00, 24));
	ck_assert(lsasig_blocks_cover(&b, 0x0a01ffff, 32));
	ck_assert(!lsasig_blocks_cover(&b, 0x0a000000, 15));
	ck_assert(!lsasig_blocks_cover(&b, 0x0a020000, 24));
	ck_assert(lsasig_blocks_cover(&b, 0xc0000200, 30));
	ck_assert(!lsasig_blocks_cover(&b, 0xc0000200, 29));
	ck_assert(!lsasig_blocks_cover(&b, 0, 0));
	ck_assert(!lsasig_blocks_cover(&b, 0x0a010000, 33));
}
END_TEST

static Suite *
topo_suite(void)
{
	Suite	*s = suite_create("topo");
	const struct {
		const char	*name;
		const TTest	*fn;
		bool		 graph;
	} cases[] = {
		{ "receive_unknown_origin_is_newer",
		    receive_unknown_origin_is_newer, false },
		{ "receive_larger_seq_replaces",
		    receive_larger_seq_replaces, false },
		{ "receive_equal_seq_is_same", receive_equal_seq_is_same,
		    false },
		{ "receive_says_whether_the_routing_content_changed",
		    receive_says_whether_the_routing_content_changed, false },
		{ "receive_smaller_seq_is_older_and_kept_out",
		    receive_smaller_seq_is_older_and_kept_out, false },
		{ "receive_own_restart_is_own_and_next_seq_jumps",
		    receive_own_restart_is_own_and_next_seq_jumps, false },
		{ "receive_own_echo_is_same", receive_own_echo_is_same,
		    false },
		{ "receive_own_before_set_self_is_own",
		    receive_own_before_set_self_is_own, false },
		{ "receive_own_next_seq_beats_the_last_seen",
		    receive_own_next_seq_beats_the_last_seen, false },
		{ "receive_rejects_invalid", receive_rejects_invalid, false },
		{ "receive_refuses_new_origin_when_full",
		    receive_refuses_new_origin_when_full, false },
		{ "receive_replaces_aged_out_copy",
		    receive_replaces_aged_out_copy, false },
		{ "set_self_rejects_foreign_origin",
		    set_self_rejects_foreign_origin, false },
		{ "expire_counts_received_age", expire_counts_received_age,
		    false },
		{ "expire_never_drops_own", expire_never_drops_own, false },
		{ "remove_if_drops_matches_keeps_order_and_own",
		    remove_if_drops_matches_keeps_order_and_own, false },
		{ "copy_reports_growing_age", copy_reports_growing_age,
		    false },
		{ "own_age_restarts_on_set_self",
		    own_age_restarts_on_set_self, false },
		{ "iteration_in_name_order", iteration_in_name_order, false },
		{ "spf_line", spf_line, true },
		{ "spf_ring_equal_costs_tie_by_next_hop_name",
		    spf_ring_equal_costs_tie_by_next_hop_name, true },
		{ "spf_ring_tie_mirrored_names", spf_ring_tie_mirrored_names,
		    true },
		{ "spf_cheaper_long_path_beats_expensive_short",
		    spf_cheaper_long_path_beats_expensive_short, true },
		{ "spf_equal_cost_prefers_fewer_hops",
		    spf_equal_cost_prefers_fewer_hops, true },
		{ "spf_one_way_link_ignored", spf_one_way_link_ignored, true },
		{ "spf_link_cost_is_larger_end", spf_link_cost_is_larger_end,
		    true },
		{ "spf_unreachable_absent", spf_unreachable_absent, true },
		{ "spf_link_to_unknown_origin_ignored",
		    spf_link_to_unknown_origin_ignored, true },
		{ "spf_without_own_advertisement_reaches_nothing",
		    spf_without_own_advertisement_reaches_nothing, true },
		{ "spf_path_nat_most_restrictive_wins",
		    spf_path_nat_most_restrictive_wins, true },
		{ "spf_equal_paths_prefer_more_open_nat",
		    spf_equal_paths_prefer_more_open_nat, true },
		{ "spf_out_of_range_nat_is_unknown",
		    spf_out_of_range_nat_is_unknown, true },
		{ "advertised_nat_is_own_end_of_link",
		    advertised_nat_is_own_end_of_link, true },
		{ "advertised_nat_unknown_without_link",
		    advertised_nat_unknown_without_link, true },
		{ "advertised_nat_every_type", advertised_nat_every_type,
		    true },
		{ "advertised_nat_follows_newer_advertisement",
		    advertised_nat_follows_newer_advertisement, false },
		{ "routes_own_prefixes_local", routes_own_prefixes_local,
		    true },
		{ "routes_ipv6_longest_match_local_remote",
		    routes_ipv6_longest_match_local_remote, false },
		{ "sig_blocks_ipv6", sig_blocks_ipv6, false },
		{ "blocks_cover6_edges", blocks_cover6_edges, false },
		{ "routes_remote_via_next_hop", routes_remote_via_next_hop,
		    true },
		{ "routes_overlapping_claims_both_present",
		    routes_overlapping_claims_both_present, true },
		{ "routes_longest_prefix_first", routes_longest_prefix_first,
		    true },
		{ "routes_rebuild_reuses_table", routes_rebuild_reuses_table,
		    true },
		{ "seq_serial_order", seq_serial_order, false },
		{ "no_seq_pins_an_origin", no_seq_pins_an_origin, false },
		{ "own_restart_beats_any_old_seq",
		    own_restart_beats_any_old_seq, false },
		{ "rate_limits_each_origin", rate_limits_each_origin, false },
		{ "prefixes_over_the_limit_and_refused_are_not_routed",
		    prefixes_over_the_limit_and_refused_are_not_routed, false },
		{ "links_over_the_limit_are_ignored",
		    links_over_the_limit_are_ignored, false },
		{ "sig_good_bad_missing", sig_good_bad_missing, false },
		{ "sig_revoked_by_the_crl_in_force",
		    sig_revoked_by_the_crl_in_force, false },
		{ "sig_blocks_inside_outside_inherit_absent",
		    sig_blocks_inside_outside_inherit_absent, false },
		{ "blocks_cover_edges", blocks_cover_edges, false },
		{ "spf_random_1000_matches_reference",
		    spf_random_1000_matches_reference, true },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase	*tc = tcase_create(cases[i].name);

		if (cases[i].graph)
			tcase_add_checked_fixture(tc, graph_setup,
			    spf_teardown);
		else
			tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, 60);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(topo_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
