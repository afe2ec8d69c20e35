/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/route.c: the RIB's preference rules, the forwarding
 * table's order and longest-prefix lookups, what is exported to a
 * neighbour, and conflict detection.  Each TCase is one behaviour.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

static struct rib		*rib;
static struct route_table	 tbl;

static void
setup(void)
{
	rib = rib_new("alpha");
	ck_assert_ptr_nonnull(rib);
	route_table_init(&tbl);
}

static void
teardown(void)
{
	route_table_release(&tbl);
	rib_free(rib);
	rib = NULL;
}

static struct in_addr
ip(const char *s)
{
	struct in_addr	a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct pkt_route
pr(const char *addr, uint8_t plen, uint8_t hops, const char *origin)
{
	struct pkt_route r;

	memset(&r, 0, sizeof(r));
	r.addr = ip(addr);
	r.plen = plen;
	r.hops = hops;
	strcpy(r.origin, origin);
	return r;
}

static void
set_local1(const char *addr, uint8_t plen)
{
	struct in_addr	a = ip(addr);

	ck_assert_int_eq(rib_set_local(rib, &a, &plen, 1), 0);
}

static void
announce1(const char *nbr, struct pkt_route r)
{
	ck_assert_int_eq(rib_set_neighbour(rib, nbr, &r, 1), 0);
}

static void
compute(void)
{
	ck_assert_int_eq(rib_compute(rib, &tbl), 0);
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
	struct pkt_route v[3];
	char		 b[32];

	v[0] = pr("10.0.0.0", 8, 0, "bravo");
	v[1] = pr("10.1.0.0", 16, 0, "charlie");
	v[2] = pr("10.1.2.0", 24, 0, "delta");
	ck_assert_int_eq(rib_set_neighbour(rib, "bravo", v, 3), 0);
	compute();
	ck_assert_str_eq(lookup_str("10.1.2.3", b, sizeof(b)), "10.1.2.0/24");
	ck_assert_str_eq(lookup_str("10.1.3.3", b, sizeof(b)), "10.1.0.0/16");
	ck_assert_str_eq(lookup_str("10.2.0.1", b, sizeof(b)), "10.0.0.0/8");
	ck_assert_str_eq(route_lookup(&tbl, ip("10.1.2.3"))->dest, "delta");
}
END_TEST

START_TEST(lookup_default_route_matches_everything)
{
	struct pkt_route v[2];
	char		 b[32];

	v[0] = pr("0.0.0.0", 0, 1, "gw");
	v[1] = pr("192.168.0.0", 16, 0, "bravo");
	ck_assert_int_eq(rib_set_neighbour(rib, "bravo", v, 2), 0);
	compute();
	ck_assert_str_eq(lookup_str("8.8.8.8", b, sizeof(b)), "0.0.0.0/0");
	ck_assert_str_eq(lookup_str("255.255.255.255", b, sizeof(b)),
	    "0.0.0.0/0");
	ck_assert_str_eq(lookup_str("192.168.7.7", b, sizeof(b)),
	    "192.168.0.0/16");
}
END_TEST

START_TEST(lookup_host_route_matches_only_its_address)
{
	struct pkt_route v[2];
	char		 b[32];

	v[0] = pr("10.0.0.0", 24, 0, "bravo");
	v[1] = pr("10.0.0.7", 32, 0, "bravo");
	ck_assert_int_eq(rib_set_neighbour(rib, "bravo", v, 2), 0);
	compute();
	ck_assert_str_eq(lookup_str("10.0.0.7", b, sizeof(b)), "10.0.0.7/32");
	ck_assert_str_eq(lookup_str("10.0.0.6", b, sizeof(b)), "10.0.0.0/24");
	ck_assert_str_eq(lookup_str("10.0.0.8", b, sizeof(b)), "10.0.0.0/24");
}
END_TEST

START_TEST(lookup_without_match_returns_null)
{
	/* Empty table. */
	ck_assert_ptr_null(route_lookup(&tbl, ip("10.0.0.1")));
	compute();
	ck_assert_ptr_null(route_lookup(&tbl, ip("10.0.0.1")));
	announce1("bravo", pr("10.0.0.0", 24, 0, "bravo"));
	compute();
	ck_assert_ptr_null(route_lookup(&tbl, ip("10.0.1.0")));
	ck_assert_ptr_null(route_lookup(&tbl, ip("9.255.255.255")));
	ck_assert_ptr_nonnull(route_lookup(&tbl, ip("10.0.0.255")));
}
END_TEST

START_TEST(table_sorted_longest_first_then_by_address)
{
	struct pkt_route v[5];
	char		 b[32];
	const char	*want[] = { "10.0.0.9/32", "10.0.2.0/24",
	    "10.9.0.0/24", "10.0.0.0/16", "0.0.0.0/0" };
	size_t		 i;

	v[0] = pr("10.0.0.0", 16, 0, "bravo");
	v[1] = pr("0.0.0.0", 0, 0, "bravo");
	v[2] = pr("10.9.0.0", 24, 0, "bravo");
	v[3] = pr("10.0.0.9", 32, 0, "bravo");
	v[4] = pr("10.0.2.0", 24, 0, "bravo");
	ck_assert_int_eq(rib_set_neighbour(rib, "bravo", v, 5), 0);
	compute();
	ck_assert_uint_eq(tbl.n, 5);
	for (i = 0; i < 5; i++)
		ck_assert_str_eq(route_prefix_str(&tbl.v[i], b, sizeof(b)),
		    want[i]);
}
END_TEST

/* --- preference --- */

START_TEST(local_beats_learned)
{
	struct route	 a[4], b[4];

	set_local1("10.5.0.0", 24);
	announce1("bravo", pr("10.5.0.0", 24, 0, "bravo"));
	compute();
	ck_assert_uint_eq(tbl.n, 2);
	ck_assert_str_eq(route_lookup(&tbl, ip("10.5.0.1"))->dest, "alpha");
	ck_assert_str_eq(route_lookup(&tbl, ip("10.5.0.1"))->next_hop, "");
	ck_assert_uint_eq(route_lookup(&tbl, ip("10.5.0.1"))->hops, 0);
	ck_assert(route_is_local(&tbl, ip("10.5.0.1")));
	/* The competing claim stays visible as a conflict. */
	ck_assert_uint_eq(rib_conflicts(&tbl, a, b, 4), 1);
}
END_TEST

START_TEST(local_prefix_has_hops_zero_dest_self)
{
	struct in_addr	 a[2] = { ip("10.5.0.77"), ip("10.6.0.0") };
	uint8_t		 p[2] = { 24, 16 };
	char		 b[32];

	ck_assert_int_eq(rib_set_local(rib, a, p, 2), 0);
	compute();
	ck_assert_uint_eq(tbl.n, 2);
	/* Host bits are cleared. */
	ck_assert_str_eq(lookup_str("10.5.0.1", b, sizeof(b)), "10.5.0.0/24");
	ck_assert_str_eq(tbl.v[0].dest, "alpha");
	ck_assert_str_eq(tbl.v[0].next_hop, "");
	ck_assert_uint_eq(tbl.v[0].hops, 0);
	ck_assert(route_is_local(&tbl, ip("10.6.200.1")));
	ck_assert(!route_is_local(&tbl, ip("10.7.0.1")));

	p[0] = 33;
	ck_assert_int_eq(rib_set_local(rib, a, p, 2), -1);
	ck_assert_int_eq(rib_set_local(rib, NULL, NULL, 0), 0);
	compute();
	ck_assert_uint_eq(tbl.n, 0);
}
END_TEST

START_TEST(learned_route_is_not_local)
{
	announce1("bravo", pr("10.8.0.0", 16, 0, "bravo"));
	compute();
	ck_assert_ptr_nonnull(route_lookup(&tbl, ip("10.8.0.1")));
	ck_assert(!route_is_local(&tbl, ip("10.8.0.1")));
	/* Our distance is one more than the neighbour's figure. */
	ck_assert_uint_eq(route_lookup(&tbl, ip("10.8.0.1"))->hops, 1);
}
END_TEST

START_TEST(fewer_hops_wins)
{
	announce1("bravo", pr("10.9.0.0", 24, 3, "echo"));
	announce1("charlie", pr("10.9.0.0", 24, 1, "echo"));
	announce1("delta", pr("10.9.0.0", 24, 2, "echo"));
	compute();
	ck_assert_uint_eq(tbl.n, 1);
	ck_assert_str_eq(tbl.v[0].next_hop, "charlie");
	ck_assert_str_eq(tbl.v[0].dest, "echo");
	ck_assert_uint_eq(tbl.v[0].hops, 2);
}
END_TEST

START_TEST(hops_tie_broken_by_neighbour_name)
{
	announce1("charlie", pr("10.9.0.0", 24, 1, "echo"));
	announce1("bravo", pr("10.9.0.0", 24, 1, "echo"));
	announce1("delta", pr("10.9.0.0", 24, 1, "echo"));
	compute();
	ck_assert_uint_eq(tbl.n, 1);
	ck_assert_str_eq(tbl.v[0].next_hop, "bravo");
}
END_TEST

/* --- neighbour lists --- */

START_TEST(neighbour_announcement_replaces_previous)
{
	announce1("bravo", pr("10.1.0.0", 16, 0, "bravo"));
	compute();
	ck_assert_ptr_nonnull(route_lookup(&tbl, ip("10.1.0.1")));
	announce1("bravo", pr("10.2.0.0", 16, 0, "bravo"));
	compute();
	ck_assert_uint_eq(tbl.n, 1);
	ck_assert_ptr_null(route_lookup(&tbl, ip("10.1.0.1")));
	ck_assert_ptr_nonnull(route_lookup(&tbl, ip("10.2.0.1")));
	/* An empty announcement withdraws everything. */
	ck_assert_int_eq(rib_set_neighbour(rib, "bravo", NULL, 0), 0);
	compute();
	ck_assert_uint_eq(tbl.n, 0);
}
END_TEST

START_TEST(dropped_neighbour_routes_disappear)
{
	announce1("bravo", pr("10.9.0.0", 24, 1, "echo"));
	announce1("charlie", pr("10.9.0.0", 24, 2, "echo"));
	announce1("delta", pr("10.4.0.0", 16, 0, "delta"));
	compute();
	ck_assert_str_eq(route_lookup(&tbl, ip("10.9.0.1"))->next_hop, "bravo");

	rib_drop_neighbour(rib, "bravo");
	compute();
	ck_assert_str_eq(route_lookup(&tbl, ip("10.9.0.1"))->next_hop,
	    "charlie");
	ck_assert_ptr_nonnull(route_lookup(&tbl, ip("10.4.0.1")));

	rib_drop_neighbour(rib, "charlie");
	rib_drop_neighbour(rib, "nobody");	/* unknown: no effect */
	compute();
	ck_assert_ptr_null(route_lookup(&tbl, ip("10.9.0.1")));
	ck_assert_uint_eq(tbl.n, 1);
}
END_TEST

START_TEST(own_origin_and_hops_at_max_ignored)
{
	struct pkt_route v[4];

	v[0] = pr("10.1.0.0", 16, 1, "alpha");	/* our own, echoed */
	v[1] = pr("10.2.0.0", 16, ROUTE_HOPS_MAX, "echo");
	v[2] = pr("10.3.0.0", 16, 200, "echo");
	v[3] = pr("10.4.0.0", 16, ROUTE_HOPS_MAX - 1, "echo");
	ck_assert_int_eq(rib_set_neighbour(rib, "bravo", v, 4), 0);
	compute();
	ck_assert_uint_eq(tbl.n, 1);
	ck_assert_ptr_nonnull(route_lookup(&tbl, ip("10.4.0.1")));
	ck_assert_uint_eq(tbl.v[0].hops, ROUTE_HOPS_MAX);
}
END_TEST

START_TEST(malformed_announcement_rejected_or_filtered)
{
	struct pkt_route v[PKT_ANNOUNCE_MAX + 1], bad;
	char		 longname[PKT_NAME_MAX + 2];
	const struct route *r;

	memset(v, 0, sizeof(v));
	announce1("bravo", pr("10.1.0.0", 16, 0, "bravo"));
	/* Too many routes: refused, previous list kept. */
	ck_assert_int_eq(rib_set_neighbour(rib, "bravo", v,
	    PKT_ANNOUNCE_MAX + 1), -1);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(rib_set_neighbour(rib, longname, v, 1), -1);
	ck_assert_int_eq(rib_set_neighbour(rib, "", v, 1), -1);
	/* Bad entries are dropped, good ones kept; host bits cleared. */
	bad = pr("10.2.0.0", 16, 0, "echo");
	bad.plen = 33;
	v[0] = bad;
	v[1] = pr("10.3.0.0", 16, 0, "");
	v[2] = pr("10.4.9.9", 16, 0, "echo");
	ck_assert_int_eq(rib_set_neighbour(rib, "charlie", v, 3), 0);
	compute();
	ck_assert_uint_eq(tbl.n, 2);
	r = route_lookup(&tbl, ip("10.4.0.1"));
	ck_assert_ptr_nonnull(r);
	ck_assert_uint_eq(ntohl(r->addr.s_addr), 0x0a040000);
	ck_assert_ptr_nonnull(route_lookup(&tbl, ip("10.1.0.1")));
	ck_assert_ptr_null(rib_new(""));
	ck_assert_ptr_null(rib_new(longname));
}
END_TEST

START_TEST(compute_reuses_table)
{
	int	i;

	for (i = 0; i < 5; i++) {
		struct pkt_route v[PKT_ANNOUNCE_MAX];
		size_t		 j, n = (size_t)(i % 2 == 0 ? 3 : 200);

		for (j = 0; j < n; j++) {
			v[j] = pr("10.0.0.0", 24, 0, "bravo");
			v[j].addr.s_addr =
			    htonl(0x0a000000u | (uint32_t)j << 8);
		}
		ck_assert_int_eq(rib_set_neighbour(rib, "bravo", v, n), 0);
		compute();
		ck_assert_uint_eq(tbl.n, n);
	}
	rib_free(NULL);		/* no-op */
}
END_TEST

/* --- export --- */

START_TEST(export_split_horizon)
{
	struct pkt_route out[8];
	size_t		 n;

	set_local1("10.0.0.0", 24);
	announce1("bravo", pr("10.1.0.0", 24, 0, "bravo"));
	announce1("charlie", pr("10.2.0.0", 24, 0, "charlie"));
	compute();

	n = rib_export(rib, &tbl, "bravo", out, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out[0].origin, "alpha");
	ck_assert_str_eq(out[1].origin, "charlie");
	ck_assert_uint_eq(ntohl(out[1].addr.s_addr), 0x0a020000);

	n = rib_export(rib, &tbl, "charlie", out, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(out[0].origin, "alpha");
	ck_assert_str_eq(out[1].origin, "bravo");
}
END_TEST

START_TEST(export_adds_one_hop)
{
	struct pkt_route out[8], v[3];
	size_t		 n;

	set_local1("10.0.0.0", 24);
	v[0] = pr("10.1.0.0", 24, 0, "bravo");
	v[1] = pr("10.2.0.0", 24, 2, "echo");
	v[2] = pr("10.3.0.0", 24, ROUTE_HOPS_MAX - 1, "far");
	ck_assert_int_eq(rib_set_neighbour(rib, "bravo", v, 3), 0);
	compute();

	n = rib_export(rib, &tbl, "charlie", out, 8);
	ck_assert_uint_eq(n, 3);	/* "far" would reach the limit */
	ck_assert_uint_eq(ntohl(out[0].addr.s_addr), 0x0a000000);
	ck_assert_uint_eq(out[0].hops, 0);
	ck_assert_uint_eq(out[0].plen, 24);
	ck_assert_str_eq(out[0].origin, "alpha");
	ck_assert_uint_eq(out[1].hops, 1);
	ck_assert_str_eq(out[1].origin, "bravo");
	ck_assert_uint_eq(out[2].hops, 3);
	ck_assert_str_eq(out[2].origin, "echo");

	/* max bounds the output. */
	ck_assert_uint_eq(rib_export(rib, &tbl, "charlie", out, 1), 1);
	ck_assert_uint_eq(rib_export(rib, &tbl, "charlie", NULL, 0), 0);
}
END_TEST

/* --- conflicts --- */

START_TEST(conflicts_equal_prefixes_different_dests)
{
	struct route	 a[4], b[4];
	char		 s1[32], s2[32];

	announce1("bravo", pr("10.7.0.0", 24, 0, "bravo"));
	announce1("charlie", pr("10.7.0.0", 24, 0, "charlie"));
	compute();
	ck_assert_uint_eq(tbl.n, 2);
	ck_assert_uint_eq(rib_conflicts(&tbl, a, b, 4), 1);
	ck_assert_str_eq(route_prefix_str(&a[0], s1, sizeof(s1)),
	    route_prefix_str(&b[0], s2, sizeof(s2)));
	ck_assert_str_ne(a[0].dest, b[0].dest);
	/* Lookup still follows preference: equal hops, smaller name. */
	ck_assert_str_eq(route_lookup(&tbl, ip("10.7.0.1"))->dest, "bravo");
}
END_TEST

START_TEST(conflicts_nested_prefixes_different_dests)
{
	struct route	 a[4], b[4];
	struct pkt_route v[2];

	v[0] = pr("10.0.0.0", 8, 0, "bravo");
	v[1] = pr("10.3.0.0", 16, 1, "echo");
	ck_assert_int_eq(rib_set_neighbour(rib, "bravo", v, 2), 0);
	announce1("charlie", pr("192.168.0.0", 16, 0, "charlie"));
	compute();
	ck_assert_uint_eq(rib_conflicts(&tbl, a, b, 4), 1);
	ck_assert_str_eq(a[0].dest, "echo");
	ck_assert_str_eq(b[0].dest, "bravo");
	ck_assert_uint_eq(rib_conflicts(&tbl, a, b, 0), 0);
}
END_TEST

START_TEST(no_conflict_for_same_dest_or_disjoint)
{
	struct route	 a[4], b[4];
	struct pkt_route v[3];

	v[0] = pr("10.0.0.0", 8, 0, "bravo");
	v[1] = pr("10.3.0.0", 16, 0, "bravo");		/* same dest */
	v[2] = pr("11.0.0.0", 8, 0, "echo");		/* disjoint */
	ck_assert_int_eq(rib_set_neighbour(rib, "bravo", v, 3), 0);
	/* Same claim via two neighbours is one table route. */
	announce1("charlie", pr("11.0.0.0", 8, 1, "echo"));
	compute();
	ck_assert_uint_eq(tbl.n, 3);
	ck_assert_uint_eq(rib_conflicts(&tbl, a, b, 4), 0);
}
END_TEST

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
		{ "table_sorted_longest_first_then_by_address",
		    table_sorted_longest_first_then_by_address },
		{ "local_beats_learned", local_beats_learned },
		{ "local_prefix_has_hops_zero_dest_self",
		    local_prefix_has_hops_zero_dest_self },
		{ "learned_route_is_not_local", learned_route_is_not_local },
		{ "fewer_hops_wins", fewer_hops_wins },
		{ "hops_tie_broken_by_neighbour_name",
		    hops_tie_broken_by_neighbour_name },
		{ "neighbour_announcement_replaces_previous",
		    neighbour_announcement_replaces_previous },
		{ "dropped_neighbour_routes_disappear",
		    dropped_neighbour_routes_disappear },
		{ "own_origin_and_hops_at_max_ignored",
		    own_origin_and_hops_at_max_ignored },
		{ "malformed_announcement_rejected_or_filtered",
		    malformed_announcement_rejected_or_filtered },
		{ "compute_reuses_table", compute_reuses_table },
		{ "export_split_horizon", export_split_horizon },
		{ "export_adds_one_hop", export_adds_one_hop },
		{ "conflicts_equal_prefixes_different_dests",
		    conflicts_equal_prefixes_different_dests },
		{ "conflicts_nested_prefixes_different_dests",
		    conflicts_nested_prefixes_different_dests },
		{ "no_conflict_for_same_dest_or_disjoint",
		    no_conflict_for_same_dest_or_disjoint },
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
