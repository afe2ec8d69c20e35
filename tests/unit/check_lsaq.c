/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/lsaq.c: the queue of advertisements waiting for their
 * signature check.  Messages are short byte strings naming what they
 * stand for, so a test can tell which copy came out.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsaq.h"

static struct lsaq *q;

static void
setup(void)
{
	q = lsaq_new(8, 1 << 20);
	ck_assert_ptr_nonnull(q);
}

static void
teardown(void)
{
	lsaq_free(q);
	q = NULL;
}

/* Pushes origin's seq from neighbour from; its message is "origin:seq". */
static enum lsaq_verdict
push(const char *from, const char *origin, uint64_t seq)
{
	char m[96];
	int n = snprintf(m, sizeof(m), "%s:%llu", origin,
	    (unsigned long long)seq);

	return lsaq_push(q, from, origin, seq, (const uint8_t *)m, (size_t)n,
	    1000);
}

/* Pops one and checks it: from, origin, seq and the message it carries. */
static void
pop_expect(const char *from, const char *origin, uint64_t seq)
{
	struct lsaq_item *it = lsaq_pop(q);
	char m[96];
	int n = snprintf(m, sizeof(m), "%s:%llu", origin,
	    (unsigned long long)seq);

	ck_assert_ptr_nonnull(it);
	ck_assert_str_eq(it->from, from);
	ck_assert_str_eq(it->origin, origin);
	ck_assert_uint_eq(it->seq, seq);
	ck_assert_uint_eq(it->len, (size_t)n);
	ck_assert_mem_eq(it->msg, m, (size_t)n);
	lsaq_item_free(it);
}

START_TEST(fifo_per_neighbour_round_robin_between)
{
	ck_assert_int_eq(push("a", "o1", 1), LSAQ_QUEUED);
	ck_assert_int_eq(push("a", "o2", 1), LSAQ_QUEUED);
	ck_assert_int_eq(push("a", "o3", 1), LSAQ_QUEUED);
	ck_assert_int_eq(push("b", "p1", 1), LSAQ_QUEUED);
	ck_assert_int_eq(push("b", "p2", 1), LSAQ_QUEUED);
	ck_assert_uint_eq(lsaq_len(q), 5);
	pop_expect("a", "o1", 1);
	pop_expect("b", "p1", 1);
	pop_expect("a", "o2", 1);
	pop_expect("b", "p2", 1);
	pop_expect("a", "o3", 1);
	ck_assert_ptr_null(lsaq_pop(q));
	ck_assert_uint_eq(lsaq_len(q), 0);
}
END_TEST

START_TEST(newer_copy_replaces_the_waiting_older)
{
	struct lsaq_stats st;

	ck_assert_int_eq(push("a", "o1", 5), LSAQ_QUEUED);
	ck_assert_int_eq(push("a", "o2", 1), LSAQ_QUEUED);
	/* the same neighbour's newer: it wins, the older is gone */
	ck_assert_int_eq(push("a", "o1", 6), LSAQ_REPLACED);
	ck_assert_uint_eq(lsaq_len(q), 2);
	pop_expect("a", "o2", 1);
	pop_expect("a", "o1", 6);
	ck_assert_ptr_null(lsaq_pop(q));
	lsaq_stats(q, &st);
	ck_assert_uint_eq(st.replaced, 1);
	ck_assert_uint_eq(st.queued, 3);
	ck_assert_uint_eq(st.dropped, 0);
}
END_TEST

/*
 * An unchecked copy is only a claim: another neighbour's "newer" copy (a
 * forger's seq 2^63, say) must not throw away the waiting one.
 */
START_TEST(another_neighbours_copy_does_not_displace)
{
	ck_assert_int_eq(push("a", "o1", 5), LSAQ_QUEUED);
	ck_assert_int_eq(push("evil", "o1", UINT64_C(1) << 62), LSAQ_QUEUED);
	ck_assert_int_eq(push("b", "o1", 5), LSAQ_QUEUED);
	ck_assert_uint_eq(lsaq_len(q), 3);
	pop_expect("a", "o1", 5);
	pop_expect("evil", "o1", UINT64_C(1) << 62);
	pop_expect("b", "o1", 5);
}
END_TEST

START_TEST(copy_not_newer_than_the_waiting_is_stale)
{
	struct lsaq_stats st;

	ck_assert_int_eq(push("a", "o1", 5), LSAQ_QUEUED);
	ck_assert_int_eq(push("a", "o1", 5), LSAQ_STALE);
	ck_assert_int_eq(push("a", "o1", 4), LSAQ_STALE);
	/* serial arithmetic: 2^64-1 is older than 5 */
	ck_assert_int_eq(push("a", "o1", UINT64_MAX), LSAQ_STALE);
	ck_assert_uint_eq(lsaq_len(q), 1);
	pop_expect("a", "o1", 5);
	lsaq_stats(q, &st);
	ck_assert_uint_eq(st.stale, 3);
	/* once popped, the origin may wait again */
	ck_assert_int_eq(push("a", "o1", 5), LSAQ_QUEUED);
}
END_TEST

START_TEST(full_queue_takes_from_the_longest_neighbour)
{
	struct lsaq_stats st;
	char o[16];

	/* a floods: 8 of 8 places */
	for (int i = 0; i < 8; i++) {
		snprintf(o, sizeof(o), "f%d", i);
		ck_assert_int_eq(push("a", o, 1), LSAQ_QUEUED);
	}
	/* a's ninth: a is the longest, so the newcomer is dropped */
	ck_assert_int_eq(push("a", "f8", 1), LSAQ_DROPPED);
	/* b's: a's newest (f7) makes room */
	ck_assert_int_eq(push("b", "legit", 1), LSAQ_QUEUED);
	ck_assert_uint_eq(lsaq_len(q), 8);
	lsaq_stats(q, &st);
	ck_assert_uint_eq(st.dropped, 2);
	ck_assert_uint_eq(st.peak, 8);
	pop_expect("a", "f0", 1);
	pop_expect("b", "legit", 1);
	for (int i = 1; i < 7; i++) {
		snprintf(o, sizeof(o), "f%d", i);
		pop_expect("a", o, 1);
	}
	ck_assert_ptr_null(lsaq_pop(q));	/* f7 was evicted */
}
END_TEST

START_TEST(equal_neighbours_keep_theirs_newcomer_dropped)
{
	char o[16];

	for (int i = 0; i < 4; i++) {
		snprintf(o, sizeof(o), "a%d", i);
		ck_assert_int_eq(push("a", o, 1), LSAQ_QUEUED);
		snprintf(o, sizeof(o), "b%d", i);
		ck_assert_int_eq(push("b", o, 1), LSAQ_QUEUED);
	}
	/* a has 4, b has 4, a's fifth would make a the longest */
	ck_assert_int_eq(push("a", "a4", 1), LSAQ_DROPPED);
	/* c has none: it takes one from a longest */
	ck_assert_int_eq(push("c", "c0", 1), LSAQ_QUEUED);
	ck_assert_uint_eq(lsaq_len(q), 8);
}
END_TEST

START_TEST(byte_bound_holds)
{
	static uint8_t big[600];
	struct lsaq_stats st;

	lsaq_set_limits(q, 100, 2000);
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(lsaq_push(q, "a", "o1", 1, big, sizeof(big), 0),
	    LSAQ_QUEUED);
	ck_assert_int_eq(lsaq_push(q, "a", "o2", 1, big, sizeof(big), 0),
	    LSAQ_QUEUED);
	ck_assert_int_eq(lsaq_push(q, "a", "o3", 1, big, sizeof(big), 0),
	    LSAQ_QUEUED);
	ck_assert_int_eq(lsaq_push(q, "a", "o4", 1, big, sizeof(big), 0),
	    LSAQ_DROPPED);
	lsaq_stats(q, &st);
	ck_assert_uint_eq(st.bytes, 1800);
	ck_assert_uint_le(st.bytes, 2000);
	/* one larger than the whole bound never fits */
	ck_assert_int_eq(lsaq_push(q, "b", "o5", 1, big, 2001, 0),
	    LSAQ_DROPPED);
	/* b's small one evicts a's newest */
	ck_assert_int_eq(lsaq_push(q, "b", "o6", 1, big, 300, 0),
	    LSAQ_QUEUED);
	lsaq_stats(q, &st);
	ck_assert_uint_eq(st.bytes, 1500);
	ck_assert_uint_eq(st.depth, 3);
}
END_TEST

START_TEST(more_neighbours_than_places_dropped)
{
	char n[16];

	lsaq_set_limits(q, 1000, 1 << 20);
	for (int i = 0; i < LSAQ_SOURCES_MAX; i++) {
		snprintf(n, sizeof(n), "n%d", i);
		ck_assert_int_eq(push(n, n, 1), LSAQ_QUEUED);
	}
	ck_assert_int_eq(push("late", "x", 1), LSAQ_DROPPED);
	/* a neighbour that waits already still queues more */
	ck_assert_int_eq(push("n3", "y", 1), LSAQ_QUEUED);
	/* once one neighbour's queue is empty, its place is free */
	while (lsaq_len(q) > 0)
		lsaq_item_free(lsaq_pop(q));
	ck_assert_int_eq(push("late", "x", 1), LSAQ_QUEUED);
}
END_TEST

/* ---- draining on a budget, with a fake clock ---- */

struct drain_ctx {
	uint64_t	now;		/* the fake clock */
	uint64_t	cost;		/* each item advances it by this */
	int		handled;
	char		last[PKT_NAME_MAX + 1];
};

static uint64_t
fake_clock(void *arg)
{
	return ((struct drain_ctx *)arg)->now;
}

static void
handle(void *arg, const struct lsaq_item *it)
{
	struct drain_ctx *c = arg;

	c->now += c->cost;
	c->handled++;
	snprintf(c->last, sizeof(c->last), "%s", it->origin);
}

static void
fill(int n)
{
	char o[16];

	lsaq_set_limits(q, 1000, 1 << 20);
	for (int i = 0; i < n; i++) {
		snprintf(o, sizeof(o), "o%03d", i);
		ck_assert_int_eq(push("a", o, 1), LSAQ_QUEUED);
	}
}

START_TEST(drain_stops_at_the_time_budget)
{
	struct lsaq_budget b = { 1000, 5000 };
	struct drain_ctx c = { .now = 1, .cost = 1000 };

	fill(20);
	/* 1 ms each: the fifth reaches 5 ms */
	ck_assert_uint_eq(lsaq_drain(q, &b, fake_clock, handle, &c), 5);
	ck_assert_int_eq(c.handled, 5);
	ck_assert_str_eq(c.last, "o004");
	ck_assert_uint_eq(lsaq_len(q), 15);
	/* the next turn goes on where it stopped */
	ck_assert_uint_eq(lsaq_drain(q, &b, fake_clock, handle, &c), 5);
	ck_assert_str_eq(c.last, "o009");
}
END_TEST

START_TEST(drain_stops_at_the_item_budget)
{
	struct lsaq_budget b = { 3, 1000000 };
	struct drain_ctx c = { .now = 1, .cost = 1 };

	fill(10);
	ck_assert_uint_eq(lsaq_drain(q, &b, fake_clock, handle, &c), 3);
	ck_assert_uint_eq(lsaq_len(q), 7);
}
END_TEST

START_TEST(drain_makes_progress_when_one_item_is_over_budget)
{
	struct lsaq_budget b = { 100, 5000 };
	struct drain_ctx c = { .now = 1, .cost = 60000 };

	fill(3);
	ck_assert_uint_eq(lsaq_drain(q, &b, fake_clock, handle, &c), 1);
	ck_assert_uint_eq(lsaq_drain(q, &b, fake_clock, handle, &c), 1);
	ck_assert_uint_eq(lsaq_drain(q, &b, fake_clock, handle, &c), 1);
	ck_assert_uint_eq(lsaq_drain(q, &b, fake_clock, handle, &c), 0);
	ck_assert_int_eq(c.handled, 3);
}
END_TEST

/*
 * Random pushes and pops from a few neighbours over a few origins, against
 * the invariants: never more than the bounds, never two of one origin from
 * one neighbour, what comes out is the newest that neighbour pushed since
 * its copy of that origin last came out,
 * and every push is accounted for (out + waiting + dropped + stale +
 * replaced = pushed).
 */
START_TEST(random_against_invariants)
{
	enum { NBRS = 5, ORIGINS = 40, ROUNDS = 5000 };
	uint64_t newest[NBRS][ORIGINS] = { { 0 } };	/* since popped */
	uint64_t seqs[ORIGINS] = { 0 };
	bool waiting[NBRS][ORIGINS] = { { false } };
	uint64_t pushed = 0, out = 0;
	struct lsaq_stats st;
	unsigned r = 12345;

	lsaq_set_limits(q, 16, 4000);
	for (int k = 0; k < ROUNDS; k++) {
		r = r * 1103515245u + 12345u;
		if ((r >> 16) % 3 != 0) {
			char from[8], o[8], m[200];
			unsigned oi = (r >> 4) % ORIGINS, fi = (r >> 12) % NBRS;
			uint64_t seq = (r >> 20) % 4 == 0 && seqs[oi] > 0 ?
			    seqs[oi] - 1 : ++seqs[oi];	/* sometimes old */
			size_t len = 1 + (r >> 8) % sizeof(m);
			enum lsaq_verdict v;

			snprintf(from, sizeof(from), "n%u", fi);
			snprintf(o, sizeof(o), "o%u", oi);
			memset(m, (int)oi, sizeof(m));
			v = lsaq_push(q, from, o, seq, (uint8_t *)m, len, 0);
			pushed++;
			if (v == LSAQ_QUEUED || v == LSAQ_REPLACED) {
				waiting[fi][oi] = true;
				newest[fi][oi] = seq;
			}
		} else {
			struct lsaq_item *it = lsaq_pop(q);
			unsigned oi, fi;

			if (it == NULL)
				continue;
			out++;
			ck_assert_int_eq(sscanf(it->origin, "o%u", &oi), 1);
			ck_assert_int_eq(sscanf(it->from, "n%u", &fi), 1);
			ck_assert(waiting[fi][oi]);
			ck_assert_uint_eq(it->seq, newest[fi][oi]);
			ck_assert_uint_eq(it->msg[0], oi);
			waiting[fi][oi] = false;
			lsaq_item_free(it);
		}
		lsaq_stats(q, &st);
		ck_assert_uint_le(st.depth, 16);
		ck_assert_uint_le(st.bytes, 4000);
	}
	lsaq_stats(q, &st);
	/* an evicted origin no longer waits: count what really waits */
	ck_assert_uint_eq(out + st.depth + st.dropped + st.stale + st.replaced,
	    pushed);
	ck_assert_uint_gt(st.dropped, 0);	/* the bounds were exercised */
	ck_assert_uint_gt(st.replaced, 0);
	ck_assert_uint_gt(st.stale, 0);
}
END_TEST

static Suite *
lsaq_suite(void)
{
	Suite *s = suite_create("lsaq");
	TCase *tc = tcase_create("queue");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);	/* sanitizers on a loaded machine */
	tcase_add_test(tc, fifo_per_neighbour_round_robin_between);
	tcase_add_test(tc, newer_copy_replaces_the_waiting_older);
	tcase_add_test(tc, another_neighbours_copy_does_not_displace);
	tcase_add_test(tc, copy_not_newer_than_the_waiting_is_stale);
	tcase_add_test(tc, full_queue_takes_from_the_longest_neighbour);
	tcase_add_test(tc, equal_neighbours_keep_theirs_newcomer_dropped);
	tcase_add_test(tc, byte_bound_holds);
	tcase_add_test(tc, more_neighbours_than_places_dropped);
	tcase_add_test(tc, random_against_invariants);
	suite_add_tcase(s, tc);
	tc = tcase_create("drain");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, drain_stops_at_the_time_budget);
	tcase_add_test(tc, drain_stops_at_the_item_budget);
	tcase_add_test(tc, drain_makes_progress_when_one_item_is_over_budget);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(lsaq_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
