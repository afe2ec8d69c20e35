/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for the framing of TCP links (proxyd/sframe.c): frames cut
 * out of a stream however it is split into reads, lengths outside the
 * bounds refused for good, a truncated frame held back, the buffer never
 * overrun, and the largest frame fitting.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sframe.h"

#define MIN	30

static uint8_t buf[SFRAME_HDR_LEN + SFRAME_MAX];
static uint8_t stream[3 * (SFRAME_HDR_LEN + SFRAME_MAX)];
static struct sframe f;

static void
setup(void)
{
	sframe_init(&f, buf, sizeof(buf), MIN, SFRAME_MAX);
}

/* Appends a frame of len bytes (each byte from seed) at *off. */
static void
put(size_t *off, size_t len, uint8_t seed)
{
	sframe_hdr(stream + *off, len);
	for (size_t i = 0; i < len; i++)
		stream[*off + SFRAME_HDR_LEN + i] = (uint8_t)(seed + i);
	*off += SFRAME_HDR_LEN + len;
}

/* Feeds stream[0, n) in reads of step bytes; counts frames, checks them. */
static int
feed(size_t n, size_t step, size_t *frames)
{
	size_t off = 0, used = 0;
	int r = 0;

	*frames = 0;
	while (off < n) {
		size_t room, k;
		uint8_t *p = sframe_space(&f, &room), *fr;
		size_t len;

		if (room == 0)
			return -1;
		k = step < room ? step : room;
		if (k > n - off)
			k = n - off;
		memcpy(p, stream + off, k);
		sframe_filled(&f, k);
		off += k;
		while ((r = sframe_next(&f, &fr, &len)) == 1) {
			ck_assert_uint_eq(len, (size_t)(stream[used] << 8 |
			    stream[used + 1]));
			ck_assert_mem_eq(fr, stream + used + SFRAME_HDR_LEN,
			    len);
			used += SFRAME_HDR_LEN + len;
			(*frames)++;
		}
		if (r == -1)
			return -1;
	}
	return 0;
}

START_TEST(frames_cut_at_any_read_size)
{
	static const size_t steps[] = { 1, 2, 3, 31, 1400, 16384, 200000 };
	size_t n = 0, frames;

	put(&n, 30, 1);
	put(&n, 1500, 2);
	put(&n, SFRAME_MAX, 3);
	put(&n, 77, 4);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		setup();
		ck_assert_int_eq(feed(n, steps[i], &frames), 0);
		ck_assert_uint_eq(frames, 4);
	}
}
END_TEST

START_TEST(short_length_refused_for_good)
{
	size_t n = 0, frames, room;
	uint8_t *fr;
	size_t len;

	put(&n, 40, 1);
	put(&n, MIN - 1, 2);
	put(&n, 40, 3);
	ck_assert_int_eq(feed(n, 7, &frames), -1);
	ck_assert_uint_eq(frames, 1);
	ck_assert_int_eq(sframe_next(&f, &fr, &len), -1);
	(void)sframe_space(&f, &room);
	ck_assert_uint_eq(room, 0);
}
END_TEST

START_TEST(zero_length_refused)
{
	size_t n = 0, frames;

	put(&n, 0, 0);
	ck_assert_int_eq(feed(n, 100, &frames), -1);
	ck_assert_uint_eq(frames, 0);
}
END_TEST

START_TEST(lower_max_refuses_longer)
{
	size_t n = 0, frames;

	sframe_init(&f, buf, sizeof(buf), MIN, 2000);
	put(&n, 2000, 1);
	put(&n, 2001, 2);
	ck_assert_int_eq(feed(n, 500, &frames), -1);
	ck_assert_uint_eq(frames, 1);
}
END_TEST

START_TEST(truncated_frame_held_back)
{
	size_t n = 0, frames;

	put(&n, 1000, 1);
	ck_assert_int_eq(feed(n - 1, 64, &frames), 0);
	ck_assert_uint_eq(frames, 0);
	ck_assert_uint_eq(f.have - f.off, n - 1);
}
END_TEST

START_TEST(small_buffer_lowers_max)
{
	static uint8_t small[100];
	uint8_t *fr;
	size_t len, room;
	uint8_t *p;

	sframe_init(&f, small, sizeof(small), MIN, SFRAME_MAX);
	ck_assert_uint_eq(f.max, sizeof(small) - SFRAME_HDR_LEN);
	p = sframe_space(&f, &room);
	ck_assert_uint_eq(room, sizeof(small));
	sframe_hdr(p, 99);
	sframe_filled(&f, 2);
	ck_assert_int_eq(sframe_next(&f, &fr, &len), -1);
}
END_TEST

static Suite *
sframe_suite(void)
{
	Suite *s = suite_create("sframe");
	const struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
		{ "frames_cut_at_any_read_size", frames_cut_at_any_read_size },
		{ "short_length_refused_for_good",
		    short_length_refused_for_good },
		{ "zero_length_refused", zero_length_refused },
		{ "lower_max_refuses_longer", lower_max_refuses_longer },
		{ "truncated_frame_held_back", truncated_frame_held_back },
		{ "small_buffer_lowers_max", small_buffer_lowers_max },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_checked_fixture(tc, setup, NULL);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sframe_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
