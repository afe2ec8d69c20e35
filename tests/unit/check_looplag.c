/* SPDX-License-Identifier: ISC */
/*
 * lib/looplag.c: the event loop's lag and work records, with a fake clock.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "looplag.h"

#define MS	1000ull
#define S	1000000ull

static struct looplag lag;

static void
setup(void)
{
	looplag_init(&lag);
}

START_TEST(empty_summary_is_zero)
{
	struct looplag_summary s;

	looplag_summary(&lag, 100 * S, LOOPLAG_WINDOW_US, &s);
	ck_assert_uint_eq(s.samples, 0);
	ck_assert_uint_eq(s.lag_max, 0);
	ck_assert_uint_eq(s.work_max, 0);
	ck_assert(!s.runq_known);
}
END_TEST

/* 100 samples of 1..100 ms: median 50, p99 99, worst 100 (nearest rank). */
START_TEST(percentiles_by_nearest_rank)
{
	struct looplag_summary s;
	uint64_t t = 10 * S;

	for (uint64_t i = 100; i >= 1; i--) {	/* any order */
		t += 50 * MS;
		looplag_sample(&lag, t, i * MS, 0);
	}
	looplag_summary(&lag, t, LOOPLAG_WINDOW_US, &s);
	ck_assert_uint_eq(s.samples, 100);
	ck_assert_uint_eq(s.lag_p50, 50 * MS);
	ck_assert_uint_eq(s.lag_p99, 99 * MS);
	ck_assert_uint_eq(s.lag_max, 100 * MS);
}
END_TEST

/* What is older than the window does not count, however large. */
START_TEST(window_forgets_old_samples)
{
	struct looplag_summary s;
	uint64_t t = 5 * S;

	looplag_sample(&lag, t, 900 * MS, 800 * MS);
	looplag_work(&lag, LOOPLAG_ROUTES, t - 700 * MS, t, 600 * MS);
	looplag_summary(&lag, t + 9 * S, LOOPLAG_WINDOW_US, &s);
	ck_assert_uint_eq(s.lag_max, 900 * MS);
	ck_assert_uint_eq(s.lag_max_runq, 800 * MS);
	ck_assert_uint_eq(s.work_max, 700 * MS);
	ck_assert_int_eq(s.work_max_what, LOOPLAG_ROUTES);
	for (int i = 0; i < 250; i++) {
		t += 50 * MS;
		looplag_sample(&lag, t, 2 * MS, 1 * MS);
	}
	looplag_summary(&lag, t, LOOPLAG_WINDOW_US, &s);
	ck_assert_uint_eq(s.samples, LOOPLAG_WINDOW_US / (50 * MS));
	ck_assert_uint_eq(s.lag_max, 2 * MS);
	ck_assert_uint_eq(s.runq, s.samples * MS);
	ck_assert_uint_eq(s.work_max, 0);
}
END_TEST

/* The worst lag comes with the run-queue wait of its own interval. */
START_TEST(worst_lag_carries_its_run_queue_wait)
{
	struct looplag_summary s;

	looplag_sample(&lag, 1 * S, 3 * MS, 2 * MS);
	looplag_sample(&lag, 2 * S, 300 * MS, 290 * MS);
	looplag_sample(&lag, 3 * S, 40 * MS, 0);
	looplag_summary(&lag, 3 * S, LOOPLAG_WINDOW_US, &s);
	ck_assert_uint_eq(s.lag_max, 300 * MS);
	ck_assert_uint_eq(s.lag_max_runq, 290 * MS);
	ck_assert_uint_eq(s.runq, 292 * MS);
	ck_assert(s.runq_known);
}
END_TEST

START_TEST(unknown_run_queue_wait_not_summed)
{
	struct looplag_summary s;

	looplag_sample(&lag, 1 * S, 3 * MS, UINT64_MAX);
	looplag_summary(&lag, 1 * S, LOOPLAG_WINDOW_US, &s);
	ck_assert(!s.runq_known);
	ck_assert_uint_eq(s.runq, 0);
	ck_assert_uint_eq(lag.runq_total_us, 0);
}
END_TEST

/* The longest work in the window and its kind; short work: histogram. */
START_TEST(longest_work_and_its_kind)
{
	struct looplag_summary s;

	looplag_work(&lag, LOOPLAG_VERIFY, 1 * S, 1 * S + 6 * MS, 5 * MS);
	/* long, but mostly waiting for a CPU */
	looplag_work(&lag, LOOPLAG_CONTROL, 2 * S, 2 * S + 30 * MS, 2 * MS);
	looplag_work(&lag, LOOPLAG_TICK, 3 * S, 3 * S + 200, 150); /* 0.2 ms */
	looplag_summary(&lag, 3 * S, LOOPLAG_WINDOW_US, &s);
	ck_assert_uint_eq(s.work_max, 30 * MS);
	ck_assert_uint_eq(s.work_max_cpu, 2 * MS);
	ck_assert_int_eq(s.work_max_what, LOOPLAG_CONTROL);
	ck_assert_uint_eq(s.work_cpu_max, 5 * MS);
	ck_assert_int_eq(s.work_cpu_max_what, LOOPLAG_VERIFY);
	ck_assert_uint_eq(lag.busy.count, 3);
	ck_assert_uint_eq(lag.busy.bucket[0], 1);	/* <= 1 ms */
	ck_assert_str_eq(looplag_work_name(LOOPLAG_CONTROL), "control");
	ck_assert_str_eq(looplag_work_name(LOOPLAG_WORK_MAX), "?");
}
END_TEST

/* Buckets hold what is at most their bound; the rest goes to +Inf. */
START_TEST(histogram_buckets_by_upper_bound)
{
	looplag_sample(&lag, 1 * S, 1000, 0);		/* le 0.001 */
	looplag_sample(&lag, 2 * S, 1001, 0);		/* le 0.005 */
	looplag_sample(&lag, 3 * S, 20 * MS, 0);	/* le 0.02 */
	looplag_sample(&lag, 4 * S, 60 * S, 0);		/* +Inf */
	ck_assert_uint_eq(lag.lag.bucket[0], 1);
	ck_assert_uint_eq(lag.lag.bucket[1], 1);
	ck_assert_uint_eq(lag.lag.bucket[3], 1);
	ck_assert_uint_eq(lag.lag.bucket[LOOPLAG_BOUNDS], 1);
	ck_assert_uint_eq(lag.lag.count, 4);
	ck_assert_uint_eq(lag.lag.sum_us, 1000 + 1001 + 20 * MS + 60 * S);
}
END_TEST

/* More samples than the ring: the newest stay. */
START_TEST(ring_keeps_the_newest)
{
	struct looplag_summary s;
	uint64_t t = 0;

	for (int i = 0; i < 3 * LOOPLAG_RING; i++) {
		t += 1 * MS;
		looplag_sample(&lag, t, (uint64_t)i, 0);
	}
	looplag_summary(&lag, t, 100 * S, &s);
	ck_assert_uint_eq(s.samples, LOOPLAG_RING);
	ck_assert_uint_eq(s.lag_max, 3 * LOOPLAG_RING - 1);
}
END_TEST

START_TEST(schedstat_parsed_strictly)
{
	uint64_t w = 7;

	ck_assert_int_eq(looplag_parse_schedstat("123 456 7\n", &w), 0);
	ck_assert_uint_eq(w, 456);
	ck_assert_int_eq(looplag_parse_schedstat("1 18446744073709551615 0",
	    &w), 0);
	ck_assert_uint_eq(w, UINT64_MAX);
	ck_assert_int_eq(looplag_parse_schedstat("", &w), -1);
	ck_assert_int_eq(looplag_parse_schedstat("123", &w), -1);
	ck_assert_int_eq(looplag_parse_schedstat("123 ", &w), -1);
	ck_assert_int_eq(looplag_parse_schedstat("123 -4 1", &w), -1);
	ck_assert_int_eq(looplag_parse_schedstat(" 1 2 3", &w), -1);
	ck_assert_int_eq(looplag_parse_schedstat("1 2x 3", &w), -1);
	ck_assert_int_eq(looplag_parse_schedstat("1 99999999999999999999 3",
	    &w), -1);
	ck_assert_uint_eq(w, UINT64_MAX);	/* untouched by failures */
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("looplag");
	TCase *tc = tcase_create("looplag");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, empty_summary_is_zero);
	tcase_add_test(tc, percentiles_by_nearest_rank);
	tcase_add_test(tc, window_forgets_old_samples);
	tcase_add_test(tc, worst_lag_carries_its_run_queue_wait);
	tcase_add_test(tc, unknown_run_queue_wait_not_summed);
	tcase_add_test(tc, longest_work_and_its_kind);
	tcase_add_test(tc, histogram_buckets_by_upper_bound);
	tcase_add_test(tc, ring_keeps_the_newest);
	tcase_add_test(tc, schedstat_parsed_strictly);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
