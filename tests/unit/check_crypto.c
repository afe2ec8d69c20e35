/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/crypto: AEAD round trip between the two ends of a
 * link, forgery and wrong-direction rejection, and the replay window.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "crypto.h"

static uint8_t km[CRYPTO_KEYMAT_LEN];
static struct aead ini, rsp;

static void
setup(void)
{
	for (size_t i = 0; i < sizeof(km); i++)
		km[i] = (uint8_t)(i * 7 + 1);
	ck_assert_int_eq(aead_init(&ini, km, true), 0);
	ck_assert_int_eq(aead_init(&rsp, km, false), 0);
}

static void
teardown(void)
{
	aead_release(&ini);
	aead_release(&rsp);
}

START_TEST(seal_then_open_round_trips_both_ways)
{
	uint8_t aad[14] = { 1, 2, 3 }, pt[100], ct[116], out[100];

	memset(pt, 0xab, sizeof(pt));
	ck_assert_int_eq(aead_seal(&ini, 5, aad, sizeof(aad), pt, sizeof(pt),
	    ct), 0);
	ck_assert_mem_ne(ct, pt, sizeof(pt));
	ck_assert_int_eq(aead_open(&rsp, 5, aad, sizeof(aad), ct, sizeof(ct),
	    out), 0);
	ck_assert_mem_eq(out, pt, sizeof(pt));
	ck_assert_int_eq(aead_seal(&rsp, 9, aad, sizeof(aad), pt, sizeof(pt),
	    ct), 0);
	ck_assert_int_eq(aead_open(&ini, 9, aad, sizeof(aad), ct, sizeof(ct),
	    out), 0);
	ck_assert_mem_eq(out, pt, sizeof(pt));
}
END_TEST

START_TEST(seal_in_place_works)
{
	uint8_t aad[4] = { 0 }, buf[64 + CRYPTO_TAG_LEN], pt[64];

	memset(pt, 0x11, sizeof(pt));
	memcpy(buf, pt, sizeof(pt));
	ck_assert_int_eq(aead_seal(&ini, 1, aad, 4, buf, 64, buf), 0);
	ck_assert_int_eq(aead_open(&rsp, 1, aad, 4, buf, sizeof(buf), buf), 0);
	ck_assert_mem_eq(buf, pt, sizeof(pt));
}
END_TEST

START_TEST(open_rejects_forgery_wrong_seq_aad_and_direction)
{
	uint8_t aad[14] = { 0 }, pt[32] = { 0 }, ct[48], out[32];

	ck_assert_int_eq(aead_seal(&ini, 7, aad, sizeof(aad), pt, 32, ct), 0);
	ck_assert_int_eq(aead_open(&rsp, 8, aad, sizeof(aad), ct, 48, out), -1);
	aad[0] = 1;
	ck_assert_int_eq(aead_open(&rsp, 7, aad, sizeof(aad), ct, 48, out), -1);
	aad[0] = 0;
	ck_assert_int_eq(aead_open(&ini, 7, aad, sizeof(aad), ct, 48, out), -1);
	ct[3] ^= 1;
	ck_assert_int_eq(aead_open(&rsp, 7, aad, sizeof(aad), ct, 48, out), -1);
	ct[3] ^= 1;
	ct[47] ^= 0x80;
	ck_assert_int_eq(aead_open(&rsp, 7, aad, sizeof(aad), ct, 48, out), -1);
	ck_assert_int_eq(aead_open(&rsp, 7, aad, sizeof(aad), ct, 10, out), -1);
}
END_TEST

START_TEST(replay_rejects_zero_and_duplicates)
{
	struct replay r;

	replay_init(&r);
	ck_assert(!replay_check(&r, 0));
	ck_assert(replay_check(&r, 1));
	replay_commit(&r, 1);
	ck_assert(!replay_check(&r, 1));
	ck_assert(replay_check(&r, 2));
}
END_TEST

START_TEST(replay_accepts_reordering_inside_window)
{
	struct replay r;

	replay_init(&r);
	replay_commit(&r, 100);
	ck_assert(replay_check(&r, 99));
	replay_commit(&r, 99);
	ck_assert(!replay_check(&r, 99));
	ck_assert(replay_check(&r, 50));
	ck_assert(!replay_check(&r, 100));
}
END_TEST

START_TEST(replay_rejects_too_old)
{
	struct replay r;

	replay_init(&r);
	replay_commit(&r, 5000);
	ck_assert(!replay_check(&r, 5000 - REPLAY_WINDOW));
	ck_assert(!replay_check(&r, 1));
	ck_assert(replay_check(&r, 5000 - 100));
}
END_TEST

START_TEST(replay_window_slides_and_clears_stale_bits)
{
	struct replay r;

	replay_init(&r);
	for (uint64_t s = 1; s <= 3 * REPLAY_WINDOW; s++) {
		ck_assert(replay_check(&r, s));
		replay_commit(&r, s);
	}
	/* a jump: everything between must be acceptable once */
	replay_commit(&r, 3 * REPLAY_WINDOW + 700);
	ck_assert(replay_check(&r, 3 * REPLAY_WINDOW + 650));
	ck_assert(replay_check(&r, 3 * REPLAY_WINDOW + 1));
	ck_assert(!replay_check(&r, 3 * REPLAY_WINDOW));
	/* a huge jump clears the whole window */
	replay_commit(&r, UINT64_C(1) << 40);
	ck_assert(replay_check(&r, (UINT64_C(1) << 40) - 5));
	ck_assert(!replay_check(&r, UINT64_C(1) << 40));
}
END_TEST

static Suite *
crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("aead");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, seal_then_open_round_trips_both_ways);
	tcase_add_test(tc, seal_in_place_works);
	tcase_add_test(tc, open_rejects_forgery_wrong_seq_aad_and_direction);
	suite_add_tcase(s, tc);
	tc = tcase_create("replay");
	tcase_add_test(tc, replay_rejects_zero_and_duplicates);
	tcase_add_test(tc, replay_accepts_reordering_inside_window);
	tcase_add_test(tc, replay_rejects_too_old);
	tcase_add_test(tc, replay_window_slides_and_clears_stale_bits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crypto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
