/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/route.c: longest-prefix lookups over the forwarding
 * table, the own-prefix test, prefix formatting and conflict detection
 * (the pair list, and the per-route flag that the routes listing shows).
 * Tables are built by hand in the order lib/topo.c's topo_routes() keeps
 * (longest prefix first, preferred claim first among equal prefixes).
 * Each TCase is one behaviour.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

#define SELF	"alpha"

static struct route_table	 tbl;

static void
setup(void)
{
	route_table_init(&tbl);
}

static void
teardown(void)
{
	route_table_release(&tbl);
}

static struct in_addr
ip(const char *s)
{
	struct in_addr	a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/*
 * Inserts a route after every route with an equal or longer prefix, so
 * the table stays sorted longest first and equal prefixes keep the order
 * they were added in (the first one added is the preferred claim).
 */
static void
add(const char *addr, uint8_t plen, const char *dest, const char *next_hop,
    uint8_t hops)
{
	struct route	*r;
	size_t		 i;

	if (tbl.n == tbl.cap) {
		size_t	cap = tbl.cap == 0 ? 4 : tbl.cap * 2;

		r = realloc(tbl.v, cap * sizeof(*r));
		ck_assert_ptr_nonnull(r);
		tbl.v = r;
		tbl.cap = cap;
	}
	for (i = 0; i < tbl.n && tbl.v[i].plen >= plen; i++)
		;
	memmove(&tbl.v[i + 1], &tbl.v[i], (tbl.n - i) * sizeof(*r));
	tbl.n++;
	r = &tbl.v[i];
	memset(r, 0, sizeof(*r));
	r->addr = ip(addr);
	r->plen = plen;
	r->hops = hops;
	r->cost = hops;
	strcpy(r->dest, dest);
	strcpy(r->next_hop, next_hop);
}

/* One of this proxy's own prefixes: hops 0, no next hop. */
static void
add_local(const char *addr, uint8_t plen)
{
	add(addr, plen, SELF, "", 0);
}

/* A remote proxy's prefix, one hop away through that proxy. */
static void
add_remote(const char *addr, uint8_t plen, const char *dest)
{
	add(addr, plen, dest, dest, 1);
}

/* "A.B.C.D/N" of the route lookup() picks for dst, or "none". */
static const char *
lookup_str(const char *dst, char *buf, size_t len)
{
	const struct route *r = route_lookup(&tbl, ip(dst));

	if (r == NULL)
		return "none";
	return route_prefix_str(r, buf, len);
}

/* --- lookups --- */

START_TEST(lookup_picks_longest_prefix)
{
	char	b[32];

	add_remote("10.0.0.0", 8, "bravo");
	add_remote("10.1.0.0", 16, "charlie");
	add_remote("10.1.2.0", 24, "delta");
	ck_assert_str_eq(lookup_str("10.1.2.3", b, sizeof(b)), "10.1.2.0/24");
	ck_assert_str_eq(lookup_str("10.1.3.3", b, sizeof(b)), "10.1.0.0/16");
	ck_assert_str_eq(lookup_str("10.2.0.1", b, sizeof(b)), "10.0.0.0/8");
	ck_assert_str_eq(route_lookup(&tbl, ip("10.1.2.3"))->dest, "delta");
	ck_assert_str_eq(route_lookup(&tbl, ip("10.1.2.3"))->next_hop,
	    "delta");
}
END_TEST

START_TEST(lookup_default_route_matches_everything)
{
	char	b[32];

	add_remote("0.0.0.0", 0, "gw");
	add_remote("192.168.0.0", 16, "bravo");
	ck_assert_str_eq(lookup_str("8.8.8.8", b, sizeof(b)), "0.0.0.0/0");
	ck_assert_str_eq(lookup_str("0.0.0.0", b, sizeof(b)), "0.0.0.0/0");
	ck_assert_str_eq(lookup_str("255.255.255.255", b, sizeof(b)),
	    "0.0.0.0/0");
	ck_assert_str_eq(lookup_str("192.168.7.7", b, sizeof(b)),
	    "192.168.0.0/16");
	ck_assert_str_eq(route_lookup(&tbl, ip("8.8.8.8"))->dest, "gw");
}
END_TEST

START_TEST(lookup_host_route_matches_only_its_address)
{
	char	b[32];

	add_remote("10.0.0.0", 24, "bravo");
	add_remote("10.0.0.7", 32, "charlie");
	add_remote("255.255.255.255", 32, "delta");
	ck_assert_str_eq(lookup_str("10.0.0.7", b, sizeof(b)), "10.0.0.7/32");
	ck_assert_str_eq(route_lookup(&tbl, ip("10.0.0.7"))->dest, "charlie");
	ck_assert_str_eq(lookup_str("10.0.0.6", b, sizeof(b)), "10.0.0.0/24");
	ck_assert_str_eq(lookup_str("10.0.0.8", b, sizeof(b)), "10.0.0.0/24");
	ck_assert_str_eq(lookup_str("255.255.255.255", b, sizeof(b)),
	    "255.255.255.255/32");
	ck_assert_str_eq(lookup_str("255.255.255.254", b, sizeof(b)), "none");
}
END_TEST

START_TEST(lookup_without_match_returns_null)
{
	/* Empty table, then one that does not cover the address. */
	ck_assert_ptr_null(route_lookup(&tbl, ip("10.0.0.1")));
	ck_assert_ptr_null(route_lookup(&tbl, ip("0.0.0.0")));
	add_remote("10.0.0.0", 24, "bravo");
	ck_assert_ptr_null(route_lookup(&tbl, ip("10.0.1.0")));
	ck_assert_ptr_null(route_lookup(&tbl, ip("9.255.255.255")));
	ck_assert_ptr_nonnull(route_lookup(&tbl, ip("10.0.0.0")));
	ck_assert_ptr_nonnull(route_lookup(&tbl, ip("10.0.0.255")));
}
END_TEST

START_TEST(lookup_takes_first_of_equal_prefixes)
{
	/* The table order says which claim is preferred, not the name. */
	add_remote("10.7.0.0", 24, "charlie");
	add_remote("10.7.0.0", 24, "bravo");
	ck_assert_uint_eq(tbl.n, 2);
	ck_assert_str_eq(route_lookup(&tbl, ip("10.7.0.1"))->dest, "charlie");
}
END_TEST

START_TEST(lookup_returns_pointer_into_table)
{
	const struct route *r;

	add_local("10.5.0.0", 24);
	add_remote("10.6.0.0", 16, "bravo");
	r = route_lookup(&tbl, ip("10.6.1.1"));
	ck_assert_ptr_eq(r, &tbl.v[1]);
	ck_assert_uint_eq(r->hops, 1);
	ck_assert_str_eq(r->next_hop, "bravo");
	r = route_lookup(&tbl, ip("10.5.0.9"));
	ck_assert_ptr_eq(r, &tbl.v[0]);
	ck_assert_uint_eq(r->hops, 0);
	ck_assert_str_eq(r->next_hop, "");
}
END_TEST

/* --- own prefixes --- */

START_TEST(is_local_only_for_own_prefixes)
{
	add_local("10.5.0.0", 24);
	add_local("10.6.0.0", 16);
	add_remote("10.8.0.0", 16, "bravo");
	ck_assert(route_is_local(&tbl, ip("10.5.0.1")));
	ck_assert(route_is_local(&tbl, ip("10.5.0.255")));
	ck_assert(route_is_local(&tbl, ip("10.6.200.1")));
	ck_assert(!route_is_local(&tbl, ip("10.5.1.0")));
	ck_assert(!route_is_local(&tbl, ip("10.7.0.1")));
	/* A learned route is routable but not local. */
	ck_assert_ptr_nonnull(route_lookup(&tbl, ip("10.8.0.1")));
	ck_assert(!route_is_local(&tbl, ip("10.8.0.1")));
}
END_TEST

START_TEST(is_local_empty_table_and_edges)
{
	ck_assert(!route_is_local(&tbl, ip("10.0.0.1")));
	add_local("192.0.2.1", 32);
	ck_assert(route_is_local(&tbl, ip("192.0.2.1")));
	ck_assert(!route_is_local(&tbl, ip("192.0.2.0")));
	ck_assert(!route_is_local(&tbl, ip("192.0.2.2")));
	add_local("0.0.0.0", 0);
	ck_assert(route_is_local(&tbl, ip("8.8.8.8")));
	ck_assert(route_is_local(&tbl, ip("255.255.255.255")));
}
END_TEST

START_TEST(is_local_despite_longer_remote_claim)
{
	/*
	 * Our /16 with another proxy claiming a /24 inside it: lookups
	 * follow the longer remote route, but the address is still ours.
	 */
	add_local("10.6.0.0", 16);
	add_remote("10.6.1.0", 24, "bravo");
	ck_assert_str_eq(route_lookup(&tbl, ip("10.6.1.1"))->dest, "bravo");
	ck_assert(route_is_local(&tbl, ip("10.6.1.1")));
}
END_TEST

START_TEST(is_local_needs_hops_zero_and_no_next_hop)
{
	/* Our own name as dest is not enough: reached through a neighbour. */
	add("10.1.0.0", 16, SELF, "bravo", 0);
	add("10.2.0.0", 16, SELF, "", 1);
	ck_assert(!route_is_local(&tbl, ip("10.1.0.1")));
	ck_assert(!route_is_local(&tbl, ip("10.2.0.1")));
	add_local("10.3.0.0", 16);
	ck_assert(route_is_local(&tbl, ip("10.3.0.1")));
}
END_TEST

/* --- table lifetime --- */

START_TEST(table_init_release)
{
	struct route_table t;

	route_table_init(&t);
	ck_assert_ptr_null(t.v);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_uint_eq(t.cap, 0);
	ck_assert_ptr_null(route_lookup(&t, ip("10.0.0.1")));
	route_table_release(&t);	/* empty: no-op */

	add_remote("10.0.0.0", 8, "bravo");
	route_table_release(&tbl);
	ck_assert_ptr_null(tbl.v);
	ck_assert_uint_eq(tbl.n, 0);
	ck_assert_uint_eq(tbl.cap, 0);
	ck_assert_ptr_null(route_lookup(&tbl, ip("10.0.0.1")));
	route_table_release(&tbl);	/* twice: still fine */
}
END_TEST

/* --- conflicts --- */

START_TEST(conflicts_equal_prefixes_different_dests)
{
	struct route	 a[4], b[4];
	char		 s1[32], s2[32];

	add_remote("10.7.0.0", 24, "bravo");
	add_remote("10.7.0.0", 24, "charlie");
	ck_assert_uint_eq(route_conflicts_find(&tbl, a, b, 4), 1);
	ck_assert_str_eq(route_prefix_str(&a[0], s1, sizeof(s1)),
	    route_prefix_str(&b[0], s2, sizeof(s2)));
	ck_assert_str_eq(a[0].dest, "bravo");
	ck_assert_str_eq(b[0].dest, "charlie");
	/* Lookup still follows the table's preference. */
	ck_assert_str_eq(route_lookup(&tbl, ip("10.7.0.1"))->dest, "bravo");
}
END_TEST

START_TEST(conflicts_own_prefix_claimed_remotely)
{
	struct route	 a[4], b[4];

	add_local("10.5.0.0", 24);
	add_remote("10.5.0.0", 24, "bravo");
	ck_assert_str_eq(route_lookup(&tbl, ip("10.5.0.1"))->dest, SELF);
	ck_assert(route_is_local(&tbl, ip("10.5.0.1")));
	/* The competing claim stays visible as a conflict. */
	ck_assert_uint_eq(route_conflicts_find(&tbl, a, b, 4), 1);
	ck_assert_str_eq(a[0].dest, SELF);
	ck_assert_str_eq(b[0].dest, "bravo");
}
END_TEST

START_TEST(conflicts_nested_prefixes_different_dests)
{
	struct route	 a[4], b[4];

	add_remote("10.0.0.0", 8, "bravo");
	add_remote("10.3.0.0", 16, "echo");
	add_remote("192.168.0.0", 16, "charlie");
	ck_assert_uint_eq(route_conflicts_find(&tbl, a, b, 4), 1);
	/* The longer prefix comes first in the table, so in a. */
	ck_assert_str_eq(a[0].dest, "echo");
	ck_assert_uint_eq(a[0].plen, 16);
	ck_assert_str_eq(b[0].dest, "bravo");
	ck_assert_uint_eq(b[0].plen, 8);
}
END_TEST

START_TEST(conflicts_default_route_overlaps_everything)
{
	struct route	 a[4], b[4];

	add_remote("0.0.0.0", 0, "gw");
	add_remote("10.0.0.0", 8, "bravo");
	add_remote("192.0.2.1", 32, "charlie");
	ck_assert_uint_eq(route_conflicts_find(&tbl, a, b, 4), 2);
	ck_assert_str_eq(a[0].dest, "charlie");
	ck_assert_str_eq(b[0].dest, "gw");
	ck_assert_str_eq(a[1].dest, "bravo");
	ck_assert_str_eq(b[1].dest, "gw");
}
END_TEST

START_TEST(conflicts_host_route)
{
	struct route	 a[4], b[4];

	add_remote("10.0.0.0", 24, "bravo");
	add_remote("10.0.1.0", 24, "delta");
	add_remote("10.0.0.7", 32, "charlie");
	add_remote("10.0.0.8", 32, "bravo");	/* bravo's own: no conflict */
	ck_assert_uint_eq(route_conflicts_find(&tbl, a, b, 4), 1);
	ck_assert_str_eq(a[0].dest, "charlie");
	ck_assert_uint_eq(ntohl(a[0].addr.s_addr), 0x0a000007);
	ck_assert_str_eq(b[0].dest, "bravo");
	ck_assert_uint_eq(b[0].plen, 24);
}
END_TEST

START_TEST(conflicts_bounded_by_max)
{
	struct route	 a[4], b[4];

	add_remote("10.1.0.0", 16, "charlie");
	add_remote("10.0.0.0", 8, "bravo");
	add_remote("0.0.0.0", 0, "gw");
	ck_assert_uint_eq(route_conflicts_find(&tbl, a, b, 4), 3);
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	ck_assert_uint_eq(route_conflicts_find(&tbl, a, b, 2), 2);
	ck_assert_str_eq(a[0].dest, "charlie");
	ck_assert_str_eq(b[0].dest, "bravo");
	ck_assert_str_eq(a[1].dest, "charlie");
	ck_assert_str_eq(b[1].dest, "gw");
	ck_assert_str_eq(a[2].dest, "");	/* untouched */
	ck_assert_uint_eq(route_conflicts_find(&tbl, a, b, 1), 1);
	ck_assert_uint_eq(route_conflicts_find(&tbl, NULL, NULL, 0), 0);
}
END_TEST

START_TEST(no_conflict_for_same_dest_or_disjoint)
{
	struct route	 a[4], b[4];

	ck_assert_uint_eq(route_conflicts_find(&tbl, a, b, 4), 0);
	add_remote("10.0.0.0", 8, "bravo");
	add_remote("10.3.0.0", 16, "bravo");		/* same dest */
	add_remote("11.0.0.0", 8, "echo");		/* disjoint */
	add_remote("10.0.0.0", 8, "bravo");		/* same claim twice */
	add_local("12.0.0.0", 24);
	add_local("12.0.0.0", 16);			/* ours, nested */
	ck_assert_uint_eq(route_conflicts_find(&tbl, a, b, 4), 0);
}
END_TEST

/* The route of dest for addr/plen in the table; fails the test if none. */
static const struct route *
find(const char *addr, uint8_t plen, const char *dest)
{
	struct in_addr	a = ip(addr);
	size_t		i;

	for (i = 0; i < tbl.n; i++)
		if (tbl.v[i].addr.s_addr == a.s_addr && tbl.v[i].plen == plen &&
		    strcmp(tbl.v[i].dest, dest) == 0)
			return &tbl.v[i];
	ck_abort_msg("no route %s/%u of %s", addr, (unsigned)plen, dest);
	return NULL;
}

/* A route outside the table, as a caller may hold one. */
static struct route
probe(const char *addr, uint8_t plen, const char *dest)
{
	struct route	r;

	memset(&r, 0, sizeof(r));
	r.addr = ip(addr);
	r.plen = plen;
	strcpy(r.dest, dest);
	return r;
}

START_TEST(conflict_flag_marks_both_claims_only)
{
	add_remote("10.0.0.0", 8, "bravo");
	add_remote("10.3.0.0", 16, "echo");
	add_remote("192.168.0.0", 16, "charlie");
	add_local("12.0.0.0", 24);
	add_local("12.0.0.0", 16);			/* ours, nested */
	ck_assert(route_conflicts(&tbl, find("10.0.0.0", 8, "bravo")));
	ck_assert(route_conflicts(&tbl, find("10.3.0.0", 16, "echo")));
	ck_assert(!route_conflicts(&tbl, find("192.168.0.0", 16, "charlie")));
	ck_assert(!route_conflicts(&tbl, find("12.0.0.0", 24, SELF)));
	ck_assert(!route_conflicts(&tbl, find("12.0.0.0", 16, SELF)));
}
END_TEST

START_TEST(conflict_flag_for_route_outside_table)
{
	struct route	r = probe("10.3.5.0", 24, "zulu");

	ck_assert(!route_conflicts(&tbl, &r));		/* empty table */
	add_remote("10.0.0.0", 8, "bravo");
	add_remote("192.168.0.0", 16, "charlie");
	add_local("12.0.0.0", 24);
	ck_assert(route_conflicts(&tbl, &r));		/* inside bravo's */
	r = probe("192.168.1.0", 24, "charlie");
	ck_assert(!route_conflicts(&tbl, &r));		/* charlie's own */
	r = probe("192.168.1.0", 24, "zulu");
	ck_assert(route_conflicts(&tbl, &r));
	r = probe("172.16.0.0", 12, "zulu");
	ck_assert(!route_conflicts(&tbl, &r));		/* disjoint */
	r = probe("0.0.0.0", 0, "zulu");
	ck_assert(route_conflicts(&tbl, &r));		/* covers all */
	r = probe("12.0.0.0", 8, SELF);
	ck_assert(!route_conflicts(&tbl, &r));		/* ours again */
	r = probe("12.0.0.128", 25, "zulu");
	ck_assert(route_conflicts(&tbl, &r));		/* inside ours */
}
END_TEST

START_TEST(conflict_flag_host_routes_differ_in_last_bit)
{
	struct route	r;

	add_remote("10.0.0.8", 32, "bravo");
	r = probe("10.0.0.9", 32, "foxtrot");
	ck_assert(!route_conflicts(&tbl, &r));
	r = probe("10.0.0.8", 31, "foxtrot");
	ck_assert(route_conflicts(&tbl, &r));
	r = probe("10.0.0.8", 32, "foxtrot");
	ck_assert(route_conflicts(&tbl, &r));
}
END_TEST

/* Same claim: prefix and origin (struct copies need not copy padding). */
static bool
same_claim(const struct route *x, const struct route *y)
{
	return x->addr.s_addr == y->addr.s_addr && x->plen == y->plen &&
	    strcmp(x->dest, y->dest) == 0;
}

/* The per-route flag says exactly which routes the pair list names. */
START_TEST(conflict_flag_agrees_with_pairs)
{
	struct route	a[16], b[16];
	size_t		i, j, n;

	add_remote("10.0.0.0", 24, "bravo");
	add_remote("10.0.1.0", 24, "delta");
	add_remote("10.0.0.7", 32, "charlie");
	add_remote("10.0.0.8", 32, "bravo");
	add_remote("11.0.0.0", 8, "echo");
	add_remote("11.1.0.0", 16, "echo");
	add_remote("11.1.2.0", 24, "golf");
	add_local("12.0.0.0", 24);
	n = route_conflicts_find(&tbl, a, b, 16);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < tbl.n; i++) {
		const struct route *r = &tbl.v[i];
		bool	 named = false;

		for (j = 0; j < n; j++)
			named |= same_claim(&a[j], r) || same_claim(&b[j], r);
		ck_assert_msg(route_conflicts(&tbl, r) == named,
		    "route %zu (%s): flag %d, in a pair %d", i, r->dest,
		    route_conflicts(&tbl, r), named);
	}
}
END_TEST

/* --- formatting --- */

START_TEST(prefix_str_formats)
{
	struct route	 r;
	char		 b[19], small[6];

	memset(&r, 0, sizeof(r));
	r.addr = ip("255.255.255.255");
	r.plen = 32;
	ck_assert_str_eq(route_prefix_str(&r, b, sizeof(b)),
	    "255.255.255.255/32");
	r.addr = ip("0.0.0.0");
	r.plen = 0;
	ck_assert_str_eq(route_prefix_str(&r, b, sizeof(b)), "0.0.0.0/0");
	r.addr = ip("10.1.2.0");
	r.plen = 24;
	ck_assert_str_eq(route_prefix_str(&r, small, sizeof(small)), "10.1.");
	ck_assert_ptr_null(route_prefix_str(&r, b, 0));
	ck_assert_ptr_null(route_prefix_str(&r, NULL, 19));
}
END_TEST

static Suite *
route_suite(void)
{
	Suite	*s = suite_create("route");
	struct {
		const char	*name;
		const TTest	*fn;
	} cases[] = {
		{ "lookup_picks_longest_prefix", lookup_picks_longest_prefix },
		{ "lookup_default_route_matches_everything",
		    lookup_default_route_matches_everything },
		{ "lookup_host_route_matches_only_its_address",
		    lookup_host_route_matches_only_its_address },
		{ "lookup_without_match_returns_null",
		    lookup_without_match_returns_null },
		{ "lookup_takes_first_of_equal_prefixes",
		    lookup_takes_first_of_equal_prefixes },
		{ "lookup_returns_pointer_into_table",
		    lookup_returns_pointer_into_table },
		{ "is_local_only_for_own_prefixes",
		    is_local_only_for_own_prefixes },
		{ "is_local_empty_table_and_edges",
		    is_local_empty_table_and_edges },
		{ "is_local_despite_longer_remote_claim",
		    is_local_despite_longer_remote_claim },
		{ "is_local_needs_hops_zero_and_no_next_hop",
		    is_local_needs_hops_zero_and_no_next_hop },
		{ "table_init_release", table_init_release },
		{ "conflicts_equal_prefixes_different_dests",
		    conflicts_equal_prefixes_different_dests },
		{ "conflicts_own_prefix_claimed_remotely",
		    conflicts_own_prefix_claimed_remotely },
		{ "conflicts_nested_prefixes_different_dests",
		    conflicts_nested_prefixes_different_dests },
		{ "conflicts_default_route_overlaps_everything",
		    conflicts_default_route_overlaps_everything },
		{ "conflicts_host_route", conflicts_host_route },
		{ "conflicts_bounded_by_max", conflicts_bounded_by_max },
		{ "no_conflict_for_same_dest_or_disjoint",
		    no_conflict_for_same_dest_or_disjoint },
		{ "conflict_flag_marks_both_claims_only",
		    conflict_flag_marks_both_claims_only },
		{ "conflict_flag_for_route_outside_table",
		    conflict_flag_for_route_outside_table },
		{ "conflict_flag_host_routes_differ_in_last_bit",
		    conflict_flag_host_routes_differ_in_last_bit },
		{ "conflict_flag_agrees_with_pairs",
		    conflict_flag_agrees_with_pairs },
		{ "prefix_str_formats", prefix_str_formats },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase	*tc = tcase_create(cases[i].name);

		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(route_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
