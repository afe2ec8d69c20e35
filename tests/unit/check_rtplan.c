/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/rtplan.c: which wanted prefixes a foreign route on
 * the host refuses (equal, inside, holding; a default route never), and
 * the difference applied to what is installed (adds before deletes, a
 * changed metric made before it is broken, nothing deleted that is not
 * in the installed set).  The overlap test is also checked against a
 * brute-force comparison on random tables.  Each TCase is one behaviour.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtplan.h"

static struct rtplan plan;

static void
setup(void)
{
	memset(&plan, 0, sizeof(plan));
}

static void
teardown(void)
{
	rtplan_release(&plan);
}

static struct in_addr
ip(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct rtplan_route
rt(const char *a, uint8_t plen, uint32_t metric)
{
	return (struct rtplan_route){ ip(a), plen, 7, metric };
}

static struct rtplan_foreign
fr(const char *a, uint8_t plen, uint8_t proto)
{
	return (struct rtplan_foreign){ ip(a), plen, proto, 3 };
}

/* The steps of op for addr/plen in the plan; their positions in *pos. */
static size_t
steps(enum rtplan_op op, const char *a, uint8_t plen, size_t *pos)
{
	size_t n = 0;

	for (size_t i = 0; i < plan.n_steps; i++)
		if (plan.steps[i].op == op && plan.steps[i].r.addr.s_addr ==
		    ip(a).s_addr && plan.steps[i].r.plen == plen) {
			n++;
			if (pos != NULL)
				*pos = i;
		}
	return n;
}

START_TEST(overlap_equal_inside_and_holding)
{
	struct rtplan_foreign f[] = {
		fr("192.168.77.0", 24, 2),	/* connected */
		fr("10.8.0.0", 16, 4),		/* static */
		fr("0.0.0.0", 0, 3),		/* default route */
		fr("172.16.5.128", 25, 186),	/* another daemon's */
	}, by;

	rtplan_foreign_sort(f, 4);
	/* equal */
	ck_assert(rtplan_overlap(f, 4, ip("192.168.77.0"), 24, &by));
	ck_assert_uint_eq(by.proto, 2);
	ck_assert_uint_eq(by.plen, 24);
	/* a claim inside a foreign route (it would take part of it) */
	ck_assert(rtplan_overlap(f, 4, ip("192.168.77.128"), 25, &by));
	ck_assert_uint_eq(by.addr.s_addr, ip("192.168.77.0").s_addr);
	ck_assert(rtplan_overlap(f, 4, ip("10.8.3.0"), 24, &by));
	ck_assert_uint_eq(by.proto, 4);
	/* a claim holding a foreign route */
	ck_assert(rtplan_overlap(f, 4, ip("192.168.0.0"), 16, &by));
	ck_assert(rtplan_overlap(f, 4, ip("172.16.0.0"), 12, &by));
	ck_assert_uint_eq(by.proto, 186);
	/* beside them, and the default route refuses nothing */
	ck_assert(!rtplan_overlap(f, 4, ip("192.168.78.0"), 24, NULL));
	ck_assert(!rtplan_overlap(f, 4, ip("10.9.0.0"), 16, NULL));
	ck_assert(!rtplan_overlap(f, 4, ip("172.16.5.0"), 25, NULL));
	ck_assert(!rtplan_overlap(f, 4, ip("10.1.0.0"), 16, NULL));
	/* a claim of everything holds every route but the default */
	ck_assert(rtplan_overlap(f, 4, ip("0.0.0.0"), 0, NULL));
	ck_assert(!rtplan_overlap(f + 0, 0, ip("10.1.0.0"), 16, NULL));
}
END_TEST

START_TEST(overlap_matches_brute_force)
{
	enum { NF = 200, ROUNDS = 20000 };
	struct rtplan_foreign f[NF];
	uint32_t seed = 12345;

	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < NF; i++) {
			uint8_t plen;

			seed = seed * 1103515245u + 12345u;
			plen = (uint8_t)(seed >> 8) % 33;
			seed = seed * 1103515245u + 12345u;
			/* few first octets, so that overlaps happen */
			f[i].addr.s_addr = htonl(((seed >> 4) & 0x0f0fff00u) &
			    (plen == 0 ? 0 : UINT32_MAX << (32 - plen)));
			f[i].plen = plen;
			f[i].proto = 4;
			f[i].ifindex = 1;
		}
		rtplan_foreign_sort(f, NF);
		for (int k = 0; k < ROUNDS / 20; k++) {
			uint32_t a, m;
			uint8_t plen;
			bool want = false;

			seed = seed * 1103515245u + 12345u;
			plen = (uint8_t)(1 + (seed >> 8) % 32);
			seed = seed * 1103515245u + 12345u;
			m = UINT32_MAX << (32 - plen);
			a = ((seed >> 4) & 0x0f0fffffu) & m;
			for (size_t i = 0; i < NF; i++) {
				uint32_t b = ntohl(f[i].addr.s_addr);
				uint8_t q = f[i].plen;
				uint8_t p = q < plen ? q : plen;
				uint32_t pm = p == 0 ? 0 : UINT32_MAX << (32 - p);

				if (q > 0 && (a & pm) == (b & pm))
					want = true;
			}
			ck_assert_msg(rtplan_overlap(f, NF, (struct in_addr){
			    htonl(a) }, plen, NULL) == want, "round %d k %d", round,
			    k);
		}
	}
}
END_TEST

static struct in6_addr
ip6(const char *s)
{
	struct in6_addr a;

	ck_assert_int_eq(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static struct rtplan_foreign6
fr6(const char *a, uint8_t plen, uint8_t proto)
{
	return (struct rtplan_foreign6){ ip6(a), plen, proto, 3 };
}

START_TEST(overlap6_equal_inside_and_holding)
{
	struct rtplan_foreign6 f[] = {
		fr6("2001:db8:10a::", 64, 2),		/* connected */
		fr6("fd00:77::", 32, 4),		/* static */
		fr6("::", 0, 3),			/* default route */
		fr6("fd00:a:0:5:8000::", 65, 186),	/* another daemon's */
		fr6("fe80::", 64, 2),			/* link-local */
	}, by;
	struct in6_addr a;

	rtplan_foreign6_sort(f, 5);
	/* equal */
	a = ip6("2001:db8:10a::");
	ck_assert(rtplan_overlap6(f, 5, &a, 64, &by));
	ck_assert_uint_eq(by.proto, 2);
	ck_assert_uint_eq(by.plen, 64);
	/* a claim inside a foreign route */
	a = ip6("fd00:77:1::");
	ck_assert(rtplan_overlap6(f, 5, &a, 48, &by));
	ck_assert_uint_eq(by.proto, 4);
	ck_assert_int_eq(memcmp(&by.addr, &f[0].addr, 16) == 0 ||
	    by.plen == 32, 1);
	a = ip6("2001:db8:10a::8000:0:0");
	ck_assert(rtplan_overlap6(f, 5, &a, 97, &by));
	ck_assert_uint_eq(by.plen, 64);
	/* a claim holding a foreign route, across a byte boundary */
	a = ip6("fd00:a::");
	ck_assert(rtplan_overlap6(f, 5, &a, 48, &by));
	ck_assert_uint_eq(by.proto, 186);
	a = ip6("2001:db8::");
	ck_assert(rtplan_overlap6(f, 5, &a, 32, &by));
	/* beside them; the default route refuses nothing */
	a = ip6("2001:db8:10b::");
	ck_assert(!rtplan_overlap6(f, 5, &a, 64, NULL));
	a = ip6("fd00:78::");
	ck_assert(!rtplan_overlap6(f, 5, &a, 32, NULL));
	a = ip6("fd00:a:0:5::");
	ck_assert(!rtplan_overlap6(f, 5, &a, 65, NULL));
	a = ip6("fd00:a:0:5::");
	ck_assert(rtplan_overlap6(f, 5, &a, 64, NULL));
	/* host bits beyond plen are ignored */
	a = ip6("2001:db8:10b::1");
	ck_assert(!rtplan_overlap6(f, 5, &a, 64, NULL));
	a = ip6("2001:db8:10a::1");
	ck_assert(rtplan_overlap6(f, 5, &a, 64, NULL));
	/* everything holds every route but the default; nothing, none */
	ck_assert(rtplan_overlap6(f, 5, &a, 0, NULL));
	ck_assert(!rtplan_overlap6(f, 0, &a, 64, NULL));
	ck_assert(!rtplan_overlap6(f, 5, &a, 129, NULL));
	/* a /128 inside a connected /64 */
	a = ip6("2001:db8:10a::2");
	ck_assert(rtplan_overlap6(f, 5, &a, 128, &by));
	ck_assert_uint_eq(by.plen, 64);
}
END_TEST

/* Whether a and b agree on their first n bits (written bit by bit). */
static bool
same_bits(const struct in6_addr *a, const struct in6_addr *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		unsigned x = (a->s6_addr[i / 8] >> (7 - i % 8)) & 1;
		unsigned y = (b->s6_addr[i / 8] >> (7 - i % 8)) & 1;

		if (x != y)
			return false;
	}
	return true;
}

/* Random bits in a few places (so that overlaps happen), masked to plen. */
static struct in6_addr
rand6(uint32_t *seed, uint8_t plen)
{
	struct in6_addr a;

	memset(&a, 0, sizeof(a));
	a.s6_addr[0] = 0xfd;
	for (int i = 1; i < 16; i++) {
		*seed = *seed * 1103515245u + 12345u;
		/*
		 * bytes 1-4 from a small set, the rest mostly zero with a
		 * few low values: prefixes are shared, not all the time
		 */
		a.s6_addr[i] = i <= 4 ? (uint8_t)((*seed >> 8) % 8) :
		    (*seed >> 16) % 4 != 0 ? 0 :
		    (uint8_t)((*seed >> 8) & 0x83);
	}
	for (unsigned b = plen; b < 128; b++)
		a.s6_addr[b / 8] &= (uint8_t)~(0x80 >> (b % 8));
	return a;
}

START_TEST(overlap6_matches_brute_force)
{
	enum { NF = 200, ROUNDS = 20000 };
	struct rtplan_foreign6 f[NF];
	uint32_t seed = 4242;
	size_t hits = 0;

	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < NF; i++) {
			seed = seed * 1103515245u + 12345u;
			/* a few default routes, the rest /36 or longer */
			f[i].plen = (seed >> 20) % 50 == 0 ? 0 :
			    (uint8_t)(36 + (seed >> 8) % 93);
			f[i].addr = rand6(&seed, f[i].plen);
			f[i].proto = 4;
			f[i].ifindex = 1;
		}
		rtplan_foreign6_sort(f, NF);
		for (int k = 0; k < ROUNDS / 20; k++) {
			struct in6_addr a;
			uint8_t plen;
			bool want = false;

			seed = seed * 1103515245u + 12345u;
			plen = (uint8_t)(1 + (seed >> 8) % 128);
			a = rand6(&seed, plen);
			for (size_t i = 0; i < NF; i++) {
				uint8_t q = f[i].plen;

				if (q > 0 && same_bits(&a, &f[i].addr,
				    q < plen ? q : plen))
					want = true;
			}
			hits += want;
			ck_assert_msg(rtplan_overlap6(f, NF, &a, plen, NULL) ==
			    want, "round %d k %d", round, k);
		}
	}
	/* both answers were exercised */
	ck_assert_uint_gt(hits, ROUNDS / 5);
	ck_assert_uint_lt(hits, ROUNDS - ROUNDS / 5);
}
END_TEST

START_TEST(plan_adds_what_is_new_and_refuses_overlaps)
{
	struct rtplan_route want[] = {
		rt("10.1.0.0", 16, 10000), rt("192.168.77.0", 24, 10000),
		rt("10.2.0.0", 24, 10000), rt("10.1.0.0", 16, 10000),
	};
	struct rtplan_foreign f[] = { fr("192.168.77.0", 24, 2) };
	const struct rtplan_verdict *v;

	ck_assert_int_eq(rtplan_make(want, 4, f, 1, NULL, 0, &plan), 0);
	ck_assert_uint_eq(plan.n_verdicts, 3);		/* duplicates once */
	ck_assert_uint_eq(plan.n_steps, 2);
	ck_assert_uint_eq(steps(RTPLAN_ADD, "10.1.0.0", 16, NULL), 1);
	ck_assert_uint_eq(steps(RTPLAN_ADD, "10.2.0.0", 24, NULL), 1);
	ck_assert_uint_eq(steps(RTPLAN_ADD, "192.168.77.0", 24, NULL), 0);
	v = rtplan_find(&plan, ip("192.168.77.0"), 24);
	ck_assert_ptr_nonnull(v);
	ck_assert(v->refused);
	ck_assert_uint_eq(v->by.proto, 2);
	v = rtplan_find(&plan, ip("10.1.0.0"), 16);
	ck_assert_ptr_nonnull(v);
	ck_assert(!v->refused);
	ck_assert_ptr_null(rtplan_find(&plan, ip("10.1.0.0"), 17));
	ck_assert_uint_eq(plan.steps[0].r.metric, 10000);
}
END_TEST

START_TEST(plan_applies_only_the_difference)
{
	struct rtplan_route inst[] = {
		rt("10.1.0.0", 16, 10000), rt("10.3.0.0", 16, 10000),
	};
	struct rtplan_route want[] = {
		rt("10.1.0.0", 16, 10000), rt("10.2.0.0", 16, 10000),
	};
	size_t a, d;

	/* same set: nothing to do */
	ck_assert_int_eq(rtplan_make(inst, 2, NULL, 0, inst, 2, &plan), 0);
	ck_assert_uint_eq(plan.n_steps, 0);
	rtplan_release(&plan);
	/* one gone, one new, one kept */
	ck_assert_int_eq(rtplan_make(want, 2, NULL, 0, inst, 2, &plan), 0);
	ck_assert_uint_eq(plan.n_steps, 2);
	ck_assert_uint_eq(steps(RTPLAN_ADD, "10.2.0.0", 16, &a), 1);
	ck_assert_uint_eq(steps(RTPLAN_DEL, "10.3.0.0", 16, &d), 1);
	ck_assert_uint_lt(a, d);		/* adds first */
	ck_assert_uint_eq(steps(RTPLAN_ADD, "10.1.0.0", 16, NULL), 0);
	ck_assert_uint_eq(steps(RTPLAN_DEL, "10.1.0.0", 16, NULL), 0);
	rtplan_release(&plan);
	/* nothing wanted: every installed one goes, nothing else */
	ck_assert_int_eq(rtplan_make(NULL, 0, NULL, 0, inst, 2, &plan), 0);
	ck_assert_uint_eq(plan.n_steps, 2);
	ck_assert_uint_eq(plan.steps[0].op, RTPLAN_DEL);
	ck_assert_uint_eq(plan.steps[1].op, RTPLAN_DEL);
}
END_TEST

START_TEST(plan_changed_metric_made_before_broken)
{
	struct rtplan_route inst[] = { rt("10.1.0.0", 16, 10000) };
	struct rtplan_route want[] = { rt("10.1.0.0", 16, 500) };
	size_t a, d;

	ck_assert_int_eq(rtplan_make(want, 1, NULL, 0, inst, 1, &plan), 0);
	ck_assert_uint_eq(plan.n_steps, 2);
	ck_assert_uint_eq(steps(RTPLAN_ADD, "10.1.0.0", 16, &a), 1);
	ck_assert_uint_eq(steps(RTPLAN_DEL, "10.1.0.0", 16, &d), 1);
	ck_assert_uint_lt(a, d);
	ck_assert_uint_eq(plan.steps[a].r.metric, 500);
	ck_assert_uint_eq(plan.steps[d].r.metric, 10000);
}
END_TEST

START_TEST(plan_withdraws_ours_when_a_foreign_route_appears)
{
	struct rtplan_route inst[] = { rt("10.1.0.0", 16, 10000) };
	struct rtplan_foreign f[] = { fr("10.1.2.0", 24, 4) };

	ck_assert_int_eq(rtplan_make(inst, 1, f, 1, inst, 1, &plan), 0);
	ck_assert_uint_eq(plan.n_steps, 1);
	ck_assert_uint_eq(steps(RTPLAN_DEL, "10.1.0.0", 16, NULL), 1);
	ck_assert(rtplan_find(&plan, ip("10.1.0.0"), 16)->refused);
	/* the foreign route itself is never a step */
	ck_assert_uint_eq(steps(RTPLAN_DEL, "10.1.2.0", 24, NULL), 0);
}
END_TEST

START_TEST(proto_names)
{
	char b[16];

	ck_assert_str_eq(rtplan_proto_name(2, b, sizeof(b)), "kernel");
	ck_assert_str_eq(rtplan_proto_name(4, b, sizeof(b)), "static");
	ck_assert_str_eq(rtplan_proto_name(186, b, sizeof(b)), "bgp");
	ck_assert_str_eq(rtplan_proto_name(201, b, sizeof(b)), "201");
}
END_TEST

static Suite *
rtplan_suite(void)
{
	Suite *s = suite_create("rtplan");
	const struct {
		const char	*name;
		const TTest	*fn;
	} cases[] = {
		{ "overlap_equal_inside_and_holding",
		    overlap_equal_inside_and_holding },
		{ "overlap_matches_brute_force", overlap_matches_brute_force },
		{ "overlap6_equal_inside_and_holding",
		    overlap6_equal_inside_and_holding },
		{ "overlap6_matches_brute_force", overlap6_matches_brute_force },
		{ "plan_adds_what_is_new_and_refuses_overlaps",
		    plan_adds_what_is_new_and_refuses_overlaps },
		{ "plan_applies_only_the_difference",
		    plan_applies_only_the_difference },
		{ "plan_changed_metric_made_before_broken",
		    plan_changed_metric_made_before_broken },
		{ "plan_withdraws_ours_when_a_foreign_route_appears",
		    plan_withdraws_ours_when_a_foreign_route_appears },
		{ "proto_names", proto_names },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

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
	SRunner *sr = srunner_create(rtplan_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
