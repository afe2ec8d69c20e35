/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/route.c: longest-prefix lookups over the forwarding
 * table, the own-prefix test, prefix formatting and conflict detection
 * (the pair list, and the per-route flag that the routes listing shows).
 * Tables are built by hand in the order lib/topo.c's topo_routes() keeps
 * (longest prefix first, preferred claim first among equal prefixes) and
 * indexed after every change, as topo_routes() does.  The index is also
 * checked against a brute-force reference (the scans route.c used before
 * it, kept here) on thousands of random tables and lookups.
 * Each TCase is one behaviour.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
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
	ck_assert_int_eq(route_table_index(&tbl), 0);
	ck_assert(route_table_indexed(&tbl));
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
	ck_assert_ptr_null(t.idx);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_uint_eq(t.cap, 0);
	ck_assert_int_eq(route_table_index(&t), 0);	/* empty: no index */
	ck_assert_ptr_null(t.idx);
	ck_assert_ptr_null(route_lookup(&t, ip("10.0.0.1")));
	route_table_release(&t);	/* empty: no-op */

	add_remote("10.0.0.0", 8, "bravo");
	ck_assert_ptr_nonnull(tbl.idx);
	route_table_release(&tbl);
	ck_assert_ptr_null(tbl.v);
	ck_assert_ptr_null(tbl.idx);
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
	ck_assert_str_eq(a[0].dest, "charlie");
	ck_assert_str_eq(b[0].dest, "bravo");
	ck_assert_str_eq(a[1].dest, "charlie");
	ck_assert_str_eq(b[1].dest, "gw");
	ck_assert_str_eq(a[2].dest, "bravo");
	ck_assert_str_eq(b[2].dest, "gw");
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	/* Two of the three, in table order (which two is the sweep's). */
	ck_assert_uint_eq(route_conflicts_find(&tbl, a, b, 2), 2);
	ck_assert_str_eq(a[0].dest, "charlie");
	ck_assert(strcmp(b[0].dest, "bravo") == 0 ||
	    strcmp(b[0].dest, "gw") == 0);
	ck_assert(strcmp(a[1].dest, "charlie") == 0 ||
	    strcmp(a[1].dest, "bravo") == 0);
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

/* --- the index against the reference --- */

/*
 * For the inner loops: Check's passing ck_assert() records its place
 * through the runner's pipe, which would dominate the random cases.
 */
#define expect(cond, ...)	do {					\
	if (!(cond))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

/*
 * The reference: the scans route.c answered with before it had an index,
 * over the table in its order.
 */
static const struct route *
ref_lookup(const struct route_table *t, struct in_addr dst)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct route *r = &t->v[i];
		uint32_t m = r->plen == 0 ? 0 : UINT32_MAX << (32 - r->plen);

		if ((ntohl(dst.s_addr) & m) == ntohl(r->addr.s_addr))
			return r;
	}
	return NULL;
}

static bool
ref_is_local(const struct route_table *t, struct in_addr dst)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct route *r = &t->v[i];
		uint32_t m = r->plen == 0 ? 0 : UINT32_MAX << (32 - r->plen);

		if (r->hops == 0 && r->next_hop[0] == '\0' &&
		    (ntohl(dst.s_addr) & m) == ntohl(r->addr.s_addr))
			return true;
	}
	return false;
}

static bool
ref_claims_conflict(const struct route *x, const struct route *y)
{
	uint8_t		p = x->plen < y->plen ? x->plen : y->plen;
	uint32_t	m = p == 0 ? 0 : UINT32_MAX << (32 - p);

	return strcmp(x->dest, y->dest) != 0 &&
	    (ntohl(x->addr.s_addr) & m) == (ntohl(y->addr.s_addr) & m);
}

static bool
ref_conflicts(const struct route_table *t, const struct route *r)
{
	for (size_t i = 0; i < t->n; i++)
		if (ref_claims_conflict(&t->v[i], r))
			return true;
	return false;
}

#define PAIRS_CHECKED	4096

static struct route	 pa[PAIRS_CHECKED], pb[PAIRS_CHECKED];
static uint32_t		 ref_i[PAIRS_CHECKED], ref_j[PAIRS_CHECKED];

/* Every pair, i < j: the count, the first max of them (positions). */
static size_t
ref_pairs(const struct route_table *t, size_t max, size_t *kept)
{
	size_t	n = 0;

	*kept = 0;
	for (size_t i = 0; i < t->n; i++)
		for (size_t j = i + 1; j < t->n; j++) {
			if (!ref_claims_conflict(&t->v[i], &t->v[j]))
				continue;
			if (n < max) {
				ref_i[n] = (uint32_t)i;
				ref_j[n] = (uint32_t)j;
				*kept = n + 1;
			}
			n++;
		}
	return n;
}

static uint64_t	rng_state;

/* xorshift64*: every case is reproducible from its seed. */
static uint32_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static uint32_t
mask(unsigned plen)
{
	return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

static const char *const names[] = {
	SELF, "bravo", "charlie", "delta", "echo", "foxtrot",
};
#define N_NAMES	(sizeof(names) / sizeof(names[0]))

/* topo_routes()'s order, near enough: longest, fewer hops, dest, address. */
static int
cmp_topo(const void *pa_, const void *pb_)
{
	const struct route *a = pa_, *b = pb_;
	int	c;

	if (a->plen != b->plen)
		return a->plen > b->plen ? -1 : 1;
	if (a->hops != b->hops)
		return a->hops < b->hops ? -1 : 1;
	if ((c = strcmp(a->dest, b->dest)) != 0)
		return c;
	return ntohl(a->addr.s_addr) < ntohl(b->addr.s_addr) ? -1 :
	    ntohl(a->addr.s_addr) > ntohl(b->addr.s_addr);
}

/*
 * A random table of n routes: prefixes of every length from min_plen to 32,
 * half of them near a few base addresses (so they nest and collide), one in
 * eight repeating an earlier prefix for another origin (or the same one),
 * a quarter our own (hops 0, no next hop), a few nearly own.  Sorted as
 * topo_routes() does, or left in random order when shuffled.  Each route's
 * cost is its position, to name it in copies.  Indexed.
 */
static void
rand_table(struct route_table *t, uint64_t seed, size_t n, unsigned min_plen,
    bool shuffled)
{
	uint32_t	base[6];

	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (size_t i = 0; i < 6; i++)
		base[i] = rnd();
	route_table_release(t);
	if (n > 0) {
		t->v = calloc(n, sizeof(*t->v));
		expect(t->v != NULL, "out of memory");
		t->cap = n;
	}
	for (size_t k = 0; k < n; k++) {
		struct route	*r = &t->v[k];
		uint32_t	 a, kind = rnd() % 16;
		unsigned	 plen;

		if (k > 0 && rnd() % 8 == 0) {
			const struct route *o = &t->v[rnd() % k];

			plen = o->plen;
			a = ntohl(o->addr.s_addr);
		} else {
			plen = min_plen + rnd() % (33 - min_plen);
			a = rnd() % 2 ? base[rnd() % 6] ^ (rnd() >> rnd() % 32) :
			    rnd();
		}
		r->addr.s_addr = htonl(a & mask(plen));
		r->plen = (uint8_t)plen;
		if (kind < 4) {				/* own */
			strcpy(r->dest, SELF);
		} else if (kind == 4) {			/* own name, not own */
			strcpy(r->dest, SELF);
			strcpy(r->next_hop, names[1 + rnd() % (N_NAMES - 1)]);
		} else if (kind == 5) {
			strcpy(r->dest, SELF);
			r->hops = 2;
		} else {
			strcpy(r->dest, names[1 + rnd() % (N_NAMES - 1)]);
			strcpy(r->next_hop, names[1 + rnd() % (N_NAMES - 1)]);
			r->hops = (uint8_t)(1 + rnd() % 4);
		}
	}
	t->n = n;
	if (!shuffled && n > 1)
		qsort(t->v, n, sizeof(*t->v), cmp_topo);
	for (size_t k = 0; k < n; k++)
		t->v[k].cost = (uint32_t)k;
	expect(route_table_index(t) == 0, "seed %llu: not indexed",
	    (unsigned long long)seed);
	expect(n == 0 || route_table_indexed(t), "seed %llu: not indexed",
	    (unsigned long long)seed);
	expect(route_table_mem(t) - t->cap * sizeof(*t->v) <=
	    (size_t)ROUTE_INDEX_BYTES * n + ROUTE_INDEX_FIXED +
	    (n >= ROUTE_INDEX_TOP_MIN ? ROUTE_INDEX_TOP_BYTES : 0),
	    "seed %llu: index of %zu "
	    "bytes", (unsigned long long)seed,
	    route_table_mem(t) - t->cap * sizeof(*t->v));
}

/* An address to look up: anywhere, inside a route, or at a route's edge. */
static struct in_addr
rand_dst(const struct route_table *t)
{
	struct in_addr	 d;
	uint32_t	 a = rnd(), kind = rnd() % 3;

	if (t->n > 0 && kind > 0) {
		const struct route *r = &t->v[rnd() % t->n];
		uint32_t lo = ntohl(r->addr.s_addr), hi = lo | ~mask(r->plen);

		if (kind == 1)
			a = lo | (rnd() & ~mask(r->plen));
		else
			switch (rnd() % 4) {
			case 0: a = lo; break;
			case 1: a = hi; break;
			case 2: a = lo - 1; break;
			default: a = hi + 1; break;
			}
	}
	d.s_addr = htonl(a);
	return d;
}

static void
check_lookups(const struct route_table *t, uint64_t seed, size_t count)
{
	for (size_t k = 0; k < count; k++) {
		struct in_addr d = rand_dst(t);
		const struct route *got = route_lookup(t, d), *want;
		char	s[INET_ADDRSTRLEN];

		want = ref_lookup(t, d);
		expect(got == want, "seed %llu: lookup %s: position %ld, "
		    "reference %ld", (unsigned long long)seed,
		    inet_ntop(AF_INET, &d, s, sizeof(s)),
		    got ? (long)(got - t->v) : -1L,
		    want ? (long)(want - t->v) : -1L);
		expect(route_is_local(t, d) == ref_is_local(t, d),
		    "seed %llu: is_local %s", (unsigned long long)seed,
		    inet_ntop(AF_INET, &d, s, sizeof(s)));
	}
}

/* The same route, field by field (struct copies need not copy padding). */
static bool
same_route(const struct route *x, const struct route *y)
{
	return x->addr.s_addr == y->addr.s_addr && x->plen == y->plen &&
	    x->hops == y->hops && x->cost == y->cost &&
	    x->path_nat == y->path_nat && strcmp(x->dest, y->dest) == 0 &&
	    strcmp(x->next_hop, y->next_hop) == 0;
}

static void
check_conflicts(const struct route_table *t, uint64_t seed)
{
	static const size_t maxes[] = { 1, 2, 3, 8, 64, PAIRS_CHECKED };

	size_t			 kept_all, total;

	total = ref_pairs(t, PAIRS_CHECKED, &kept_all);
	for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		size_t	max = maxes[m], got;
		size_t	kept = kept_all < max ? kept_all : max;

		got = route_conflicts_find(t, pa, pb, max);
		expect(got == kept, "seed %llu: max %zu: %zu pairs, "
		    "reference %zu of %zu", (unsigned long long)seed, max, got,
		    kept, total);
		for (size_t k = 0; k < got; k++) {
			uint32_t i = pa[k].cost, j = pb[k].cost;

			expect(i < t->n && j < t->n, "seed %llu: pair %zu "
			    "out of the table", (unsigned long long)seed, k);
			expect(same_route(&pa[k], &t->v[i]) &&
			    same_route(&pb[k], &t->v[j]), "seed %llu: pair %zu "
			    "not copied", (unsigned long long)seed, k);
			expect(i < j && ref_claims_conflict(&t->v[i],
			    &t->v[j]), "seed %llu: pair %u %u",
			    (unsigned long long)seed, i, j);
			expect(k == 0 || pa[k - 1].cost < i ||
			    (pa[k - 1].cost == i && pb[k - 1].cost < j),
			    "seed %llu: pair %zu out of order",
			    (unsigned long long)seed, k);	/* each once */
			if (total <= max)	/* all of them: the same list */
				expect(i == ref_i[k] && j == ref_j[k],
				    "seed %llu: pair %zu is %u %u, reference "
				    "%u %u", (unsigned long long)seed, k, i, j,
				    ref_i[k], ref_j[k]);
		}
	}
	for (size_t i = 0; i < t->n; i++)
		expect(route_conflicts(t, &t->v[i]) ==
		    ref_conflicts(t, &t->v[i]), "seed %llu: flag of %zu",
		    (unsigned long long)seed, i);
	for (size_t k = 0; k < 64; k++) {	/* claims outside the table */
		struct route	r;
		unsigned	plen = rnd() % 33;

		memset(&r, 0, sizeof(r));
		r.plen = (uint8_t)plen;
		r.addr = rand_dst(t);
		r.addr.s_addr = htonl(ntohl(r.addr.s_addr) & mask(plen));
		strcpy(r.dest, rnd() % 4 ? names[rnd() % N_NAMES] : "zulu");
		expect(route_conflicts(t, &r) == ref_conflicts(t, &r),
		    "seed %llu: flag of a probe", (unsigned long long)seed);
	}
}

/* Thousands of small tables: every shape, sorted and not. */
START_TEST(index_matches_reference_small_tables)
{
	static const unsigned min_plens[] = { 0, 0, 8, 16, 24, 28 };

	for (uint64_t seed = 1; seed <= 3000; seed++) {
		size_t	 n;
		unsigned mp;
		bool	 shuffled;

		rng_state = seed;
		n = rnd() % 160;
		mp = min_plens[rnd() % 6];
		shuffled = rnd() % 4 == 0;
		rand_table(&tbl, seed, n, mp, shuffled);
		check_lookups(&tbl, seed, 300);
		check_conflicts(&tbl, seed);
	}
}
END_TEST

/*
 * A few large ones: deep tries, long groups of equal prefixes, and from
 * ROUTE_INDEX_TOP_MIN routes on the first-level table.
 */
START_TEST(index_matches_reference_large_tables)
{
	for (uint64_t seed = 1; seed <= 6; seed++) {
		size_t n = seed % 2 ? ROUTE_INDEX_TOP_MIN + 904 : 1500;

		rand_table(&tbl, 100000 + seed, n, (unsigned)(seed * 4),
		    seed == 3);
		check_lookups(&tbl, seed, 10000);
		check_conflicts(&tbl, seed);
	}
}
END_TEST

START_TEST(index_default_and_host_routes)
{
	char	b[32];

	add_remote("0.0.0.0", 0, "gw");
	add_remote("0.0.0.0", 32, "bravo");
	add_remote("255.255.255.255", 32, "charlie");
	add_remote("128.0.0.0", 1, "delta");
	ck_assert_str_eq(lookup_str("0.0.0.0", b, sizeof(b)), "0.0.0.0/32");
	ck_assert_str_eq(lookup_str("0.0.0.1", b, sizeof(b)), "0.0.0.0/0");
	ck_assert_str_eq(lookup_str("127.255.255.255", b, sizeof(b)),
	    "0.0.0.0/0");
	ck_assert_str_eq(lookup_str("128.0.0.0", b, sizeof(b)), "128.0.0.0/1");
	ck_assert_str_eq(lookup_str("255.255.255.254", b, sizeof(b)),
	    "128.0.0.0/1");
	ck_assert_str_eq(lookup_str("255.255.255.255", b, sizeof(b)),
	    "255.255.255.255/32");
	ck_assert(!route_is_local(&tbl, ip("0.0.0.0")));
	add_local("255.255.255.255", 32);
	ck_assert(route_is_local(&tbl, ip("255.255.255.255")));
	ck_assert(!route_is_local(&tbl, ip("255.255.255.254")));
	/* equal to charlie's /32, ours comes after it: charlie still first */
	ck_assert_str_eq(route_lookup(&tbl, ip("255.255.255.255"))->dest,
	    "charlie");
}
END_TEST

START_TEST(index_equal_prefixes_from_several_origins)
{
	struct route	a[16], b[16];

	add_remote("10.0.0.0", 24, "echo");
	add_remote("10.0.0.0", 24, "bravo");
	add_local("10.0.0.0", 24);		/* ours, third in the order */
	add_remote("10.0.0.0", 24, "delta");
	add_remote("10.0.0.0", 24, "bravo");	/* bravo twice */
	add_remote("10.0.0.0", 16, "golf");
	ck_assert_str_eq(route_lookup(&tbl, ip("10.0.0.9"))->dest, "echo");
	ck_assert_ptr_eq(route_lookup(&tbl, ip("10.0.0.9")), &tbl.v[0]);
	ck_assert_str_eq(route_lookup(&tbl, ip("10.0.1.9"))->dest, "golf");
	ck_assert(route_is_local(&tbl, ip("10.0.0.200")));
	ck_assert(!route_is_local(&tbl, ip("10.0.1.0")));
	/*
	 * Five /24 claims, four dests: 10 pairs but bravo-bravo, plus the
	 * /16 against each /24: 9 + 5.
	 */
	ck_assert_uint_eq(route_conflicts_find(&tbl, a, b, 16), 14);
	for (size_t i = 0; i < tbl.n; i++)
		ck_assert(route_conflicts(&tbl, &tbl.v[i]));
}
END_TEST

START_TEST(index_refuses_bad_tables_and_scans)
{
	struct route	*r;

	add_remote("10.0.0.0", 8, "bravo");
	add_local("10.1.0.0", 16);
	r = &tbl.v[0];
	r->addr = ip("10.1.0.1");		/* host bits set */
	errno = 0;
	ck_assert_int_eq(route_table_index(&tbl), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(!route_table_indexed(&tbl));
	ck_assert_ptr_null(tbl.idx);
	/* unindexed: the scan's answers (the /16 holds no address at all) */
	ck_assert_str_eq(route_lookup(&tbl, ip("10.1.0.1"))->dest, "bravo");
	ck_assert(!route_is_local(&tbl, ip("10.1.0.1")));
	r->addr = ip("10.1.0.0");
	r->plen = 33;
	ck_assert_int_eq(route_table_index(&tbl), -1);
	ck_assert_int_eq(errno, EINVAL);
	r->plen = 16;
	ck_assert_int_eq(route_table_index(&tbl), 0);
	ck_assert(route_table_indexed(&tbl));
	ck_assert(route_is_local(&tbl, ip("10.1.0.1")));
}
END_TEST

START_TEST(index_stale_falls_back_to_scan)
{
	struct route_table	copy;

	add_remote("10.0.0.0", 8, "bravo");
	add_remote("10.1.0.0", 16, "charlie");
	/* a shorter table than the index was built for: not used */
	tbl.n = 1;
	ck_assert(!route_table_indexed(&tbl));
	ck_assert_str_eq(route_lookup(&tbl, ip("10.1.0.1"))->dest, "charlie");
	tbl.n = 2;
	ck_assert(route_table_indexed(&tbl));
	/* the routes copied elsewhere: another array, not this index */
	copy = tbl;
	copy.v = malloc(tbl.cap * sizeof(*copy.v));
	ck_assert_ptr_nonnull(copy.v);
	memcpy(copy.v, tbl.v, tbl.n * sizeof(*copy.v));
	ck_assert(!route_table_indexed(&copy));
	ck_assert_ptr_eq(route_lookup(&copy, ip("10.1.0.1")), &copy.v[0]);
	ck_assert(route_conflicts(&copy, &copy.v[0]));
	free(copy.v);
	/* moved as a struct (px->routes = next): still indexed */
	copy = tbl;
	ck_assert(route_table_indexed(&copy));
	route_table_init(&tbl);
	route_table_release(&copy);
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

/* --- the IPv6 index against the reference --- */

/* The reference: longest route holding d, the first of equal ones. */
static bool
ref6_holds(const struct route6 *r, const struct in6_addr *d)
{
	unsigned	full = r->plen / 8, rest = r->plen % 8;

	if (memcmp(r->addr.s6_addr, d->s6_addr, full) != 0)
		return false;
	return rest == 0 || ((r->addr.s6_addr[full] ^ d->s6_addr[full]) &
	    (0xff00 >> rest)) == 0;
}

static const struct route6 *
ref_lookup6(const struct route_table *t, const struct in6_addr *d)
{
	const struct route6 *best = NULL;

	for (size_t i = 0; i < t->n6; i++)
		if (ref6_holds(&t->v6[i], d) &&
		    (best == NULL || t->v6[i].plen > best->plen))
			best = &t->v6[i];
	return best;
}

static bool
ref_is_local6(const struct route_table *t, const struct in6_addr *d)
{
	for (size_t i = 0; i < t->n6; i++)
		if (t->v6[i].hops == 0 && t->v6[i].next_hop[0] == '\0' &&
		    ref6_holds(&t->v6[i], d))
			return true;
	return false;
}

static void
mask6(struct in6_addr *a, unsigned plen)
{
	for (unsigned i = 0; i < 16; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		a->s6_addr[i] &= plen > 8 * i ?
		    (uint8_t)(0xff00 >> (plen - 8 * i)) : 0;
	}
}

static int
cmp_plen_desc(const void *x, const void *y)
{
	const struct route6 *a = x, *b = y;

	if (a->plen != b->plen)
		return a->plen > b->plen ? -1 : 1;
	return a->cost < b->cost ? -1 : a->cost > b->cost;
}

/*
 * A random IPv6 table: prefixes near a few bases (so they nest and
 * repeat), lengths from the usual site sizes or anything, own and remote;
 * sorted as lib/topo.c does (longest first) unless shuffled.
 */
static void
rand_table6(struct route_table *t, size_t n, bool any_plen, bool shuffled)
{
	static const uint8_t plens[] = { 0, 16, 32, 44, 48, 48, 56, 56, 64,
	    64, 80, 127, 128 };
	struct in6_addr base[4];

	route_table_release(t);
	t->v6 = calloc(n + 1, sizeof(*t->v6));
	ck_assert_ptr_nonnull(t->v6);
	t->cap6 = n + 1;
	for (unsigned b = 0; b < 4; b++)
		for (unsigned i = 0; i < 16; i++)
			base[b].s6_addr[i] = (uint8_t)rnd();
	for (size_t i = 0; i < n; i++) {
		struct route6	*r = &t->v6[i];
		unsigned	 plen = any_plen ? rnd() % 129 :
		    plens[rnd() % sizeof(plens)];

		r->addr = base[rnd() % 4];
		for (unsigned k = rnd() % 3; k > 0; k--)	/* near a base */
			r->addr.s6_addr[rnd() % 16] ^= (uint8_t)(1U << rnd() % 8);
		mask6(&r->addr, plen);
		r->plen = (uint8_t)plen;
		r->cost = rnd();	/* the tie order among equal plens */
		if (rnd() % 3 == 0) {
			strcpy(r->dest, SELF);
		} else {
			strcpy(r->dest, rnd() % 2 ? "bravo" : "charlie");
			strcpy(r->next_hop, "bravo");
			r->hops = (uint8_t)(1 + rnd() % 3);
		}
	}
	t->n6 = n;
	if (!shuffled && n > 1)
		qsort(t->v6, n, sizeof(*t->v6), cmp_plen_desc);
	expect(route_table_index(t) == 0, "not indexed");
	expect(n == 0 || route_table_indexed6(t), "no IPv6 index");
	expect(route_table_mem6(t) <= 136 * n + 2048, "IPv6 index of %zu bytes",
	    route_table_mem6(t));
}

static void
rand_dst6(const struct route_table *t, struct in6_addr *d)
{
	for (unsigned i = 0; i < 16; i++)
		d->s6_addr[i] = (uint8_t)rnd();
	if (t->n6 > 0 && rnd() % 4 != 0) {	/* inside or just by a route */
		const struct route6 *r = &t->v6[rnd() % t->n6];
		struct in6_addr	 net = *d;

		mask6(&net, r->plen);	/* d's bits under the mask */
		for (unsigned i = 0; i < 16; i++)	/* host bits of d kept */
			d->s6_addr[i] = (uint8_t)(r->addr.s6_addr[i] |
			    (d->s6_addr[i] ^ net.s6_addr[i]));
		if (rnd() % 4 == 0 && r->plen > 0)	/* flip a net bit */
			d->s6_addr[(r->plen - 1) / 8] ^=
			    (uint8_t)(0x80 >> ((r->plen - 1) % 8));
	}
}

static void
check_lookups6(const struct route_table *t, uint64_t seed, size_t count,
    bool sorted)
{
	for (size_t k = 0; k < count; k++) {
		struct in6_addr	 d;
		const struct route6 *got, *want;
		char		 s[INET6_ADDRSTRLEN];

		rand_dst6(t, &d);
		got = route_lookup6(t, &d);
		want = ref_lookup6(t, &d);
		expect(got == want, "seed %llu: lookup6 %s: position %ld, "
		    "reference %ld", (unsigned long long)seed,
		    inet_ntop(AF_INET6, &d, s, sizeof(s)),
		    got ? (long)(got - t->v6) : -1L,
		    want ? (long)(want - t->v6) : -1L);
		if (sorted) {	/* and the first match of the table's order */
			const struct route6 *first = NULL;

			for (size_t i = 0; i < t->n6 && first == NULL; i++)
				if (ref6_holds(&t->v6[i], &d))
					first = &t->v6[i];
			expect(got == first, "seed %llu: not the first match",
			    (unsigned long long)seed);
		}
		expect(route_is_local6(t, &d) == ref_is_local6(t, &d),
		    "seed %llu: is_local6 %s", (unsigned long long)seed,
		    inet_ntop(AF_INET6, &d, s, sizeof(s)));
	}
}

/* Overlap of different dests, by bits (not through route.c). */
static bool
ref6_conflict(const struct route6 *a, const struct route6 *b)
{
	if (strcmp(a->dest, b->dest) == 0)
		return false;
	return a->plen <= b->plen ? ref6_holds(a, &b->addr) :
	    ref6_holds(b, &a->addr);
}

static void
check_conflicts6(const struct route_table *t, uint64_t seed)
{
	static struct route6 ca[16], cb[16];
	size_t		 got, want = 0;
	uint32_t	 wi[16], wj[16];

	for (size_t i = 0; i < t->n6; i++) {
		bool	c = false;

		for (size_t j = 0; j < t->n6; j++)
			if (j != i && ref6_conflict(&t->v6[i], &t->v6[j])) {
				c = true;
				if (j > i && want < 16) {
					wi[want] = (uint32_t)i;
					wj[want++] = (uint32_t)j;
				}
			}
		expect(route6_conflicts(t, &t->v6[i]) == c, "seed %llu: "
		    "conflict flag of %zu: %d", (unsigned long long)seed, i, c);
	}
	/* pairs in table order: sort the reference by (i, j) */
	for (size_t x = 1; x < want; x++)
		for (size_t y = x; y > 0 && (wi[y - 1] > wi[y] ||
		    (wi[y - 1] == wi[y] && wj[y - 1] > wj[y])); y--) {
			uint32_t ti = wi[y], tj = wj[y];

			wi[y] = wi[y - 1], wj[y] = wj[y - 1];
			wi[y - 1] = ti, wj[y - 1] = tj;
		}
	got = route6_conflicts_find(t, ca, cb, 16);
	expect(got == want, "seed %llu: %zu IPv6 conflict pairs, reference "
	    "%zu", (unsigned long long)seed, got, want);
	for (size_t k = 0; k < got && want < 16; k++)
		expect(memcmp(&ca[k], &t->v6[wi[k]], sizeof(ca[k])) == 0 &&
		    memcmp(&cb[k], &t->v6[wj[k]], sizeof(cb[k])) == 0,
		    "seed %llu: pair %zu", (unsigned long long)seed, k);
}

START_TEST(index6_matches_reference)
{
	for (uint64_t seed = 1; seed <= 2000; seed++) {
		size_t	 n;
		bool	 shuffled, any;

		rng_state = seed;
		n = seed == 1 ? 0 : rnd() % (seed % 50 == 0 ? 3000 : 120);
		shuffled = rnd() % 4 == 0;
		any = rnd() % 2 == 0;
		rand_table6(&tbl, n, any, shuffled);
		check_lookups6(&tbl, seed, seed % 50 == 0 ? 5000 : 200,
		    !shuffled);
		if (n <= 300)
			check_conflicts6(&tbl, seed);
	}
}
END_TEST

START_TEST(index6_edges_and_stale_table)
{
	struct in6_addr	 d;
	char		 b[64];

	route_table_release(&tbl);
	tbl.v6 = calloc(4, sizeof(*tbl.v6));
	ck_assert_ptr_nonnull(tbl.v6);
	tbl.cap6 = 4;
	/* ::/0 remote, 2001:db8::1/128 own, 2001:db8::/32 remote */
	strcpy(tbl.v6[0].dest, SELF);
	inet_pton(AF_INET6, "2001:db8::1", &tbl.v6[0].addr);
	tbl.v6[0].plen = 128;
	strcpy(tbl.v6[1].dest, "bravo");
	strcpy(tbl.v6[1].next_hop, "bravo");
	tbl.v6[1].hops = 1;
	inet_pton(AF_INET6, "2001:db8::", &tbl.v6[1].addr);
	tbl.v6[1].plen = 32;
	strcpy(tbl.v6[2].dest, "charlie");
	strcpy(tbl.v6[2].next_hop, "bravo");
	tbl.v6[2].hops = 2;
	tbl.v6[2].plen = 0;
	tbl.n6 = 3;
	ck_assert_int_eq(route_table_index(&tbl), 0);
	ck_assert(route_table_indexed6(&tbl));
	inet_pton(AF_INET6, "2001:db8::1", &d);
	ck_assert_ptr_eq(route_lookup6(&tbl, &d), &tbl.v6[0]);
	ck_assert(route_is_local6(&tbl, &d));
	inet_pton(AF_INET6, "2001:db8::2", &d);
	ck_assert_ptr_eq(route_lookup6(&tbl, &d), &tbl.v6[1]);
	ck_assert(!route_is_local6(&tbl, &d));
	inet_pton(AF_INET6, "2001:db9::1", &d);
	ck_assert_ptr_eq(route_lookup6(&tbl, &d), &tbl.v6[2]);
	ck_assert_str_eq(route6_prefix_str(&tbl.v6[2], b, sizeof(b)), "::/0");
	/* a route added without reindexing: the stale index is not used */
	inet_pton(AF_INET6, "2001:db9::", &tbl.v6[3].addr);
	tbl.v6[3].plen = 64;
	strcpy(tbl.v6[3].dest, SELF);
	tbl.n6 = 4;
	ck_assert(!route_table_indexed6(&tbl));
	inet_pton(AF_INET6, "2001:db9::1", &d);
	ck_assert_ptr_eq(route_lookup6(&tbl, &d), &tbl.v6[3]);
	ck_assert(route_is_local6(&tbl, &d));
	/* host bits set: refused, scanned */
	tbl.v6[3].addr.s6_addr[15] = 1;
	errno = 0;
	ck_assert_int_eq(route_table_index(&tbl), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(!route_table_indexed6(&tbl));
	inet_pton(AF_INET6, "2001:db8::2", &d);
	ck_assert_ptr_eq(route_lookup6(&tbl, &d), &tbl.v6[1]);
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
		{ "index_default_and_host_routes",
		    index_default_and_host_routes },
		{ "index_equal_prefixes_from_several_origins",
		    index_equal_prefixes_from_several_origins },
		{ "index_refuses_bad_tables_and_scans",
		    index_refuses_bad_tables_and_scans },
		{ "index_stale_falls_back_to_scan",
		    index_stale_falls_back_to_scan },
		{ "index_matches_reference_small_tables",
		    index_matches_reference_small_tables },
		{ "index_matches_reference_large_tables",
		    index_matches_reference_large_tables },
		{ "index6_matches_reference", index6_matches_reference },
		{ "index6_edges_and_stale_table",
		    index6_edges_and_stale_table },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase	*tc = tcase_create(cases[i].name);

		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_set_timeout(tc, 120);	/* the random cases, sanitized */
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
