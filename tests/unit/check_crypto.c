/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/crypto: AES-256-GCM known answers, AEAD round trip
 * between the two ends of a link, forgery and wrong-direction rejection,
 * and the replay window.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <openssl/evp.h>

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

/*
 * Known answers: the AES-256 test cases 13, 14 and 16 of McGrew and
 * Viega, "The Galois/Counter Mode of Operation (GCM)" (revised 2005), the
 * same vectors as NIST's gcmEncryptExtIV256 set.  Their 96-bit IV is our
 * nonce, the 4-byte salt || the 8-byte big-endian sequence number, so the
 * IV's first four bytes go into the key material as a salt and the other
 * eight are the sequence number.  Test case 16 has additional data (our
 * sealed header's place) and a 60-byte plaintext (not a block multiple).
 */
struct gcm_kat {
	const char	*name;
	const char	*key, *iv, *aad, *pt, *ct, *tag;
};

static const struct gcm_kat gcm_kats[] = {
	{ "McGrew-Viega test case 13",
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "000000000000000000000000", "", "", "",
	    "530f8afbc74536b9a963b4f1c4cb738b" },
	{ "McGrew-Viega test case 14",
	    "0000000000000000000000000000000000000000000000000000000000000000",
	    "000000000000000000000000", "",
	    "00000000000000000000000000000000",
	    "cea7403d4d606b6e074ec5d3baf39d18",
	    "d0d1c8a799996bf0265b98b5d48ab919" },
	{ "McGrew-Viega test case 16",
	    "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	    "cafebabefacedbaddecaf888",
	    "feedfacedeadbeeffeedfacedeadbeefabaddad2",
	    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
	    "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
	    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	    "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	    "76fc6ece0f4e1768cddf8853bb2d551b" },
};

/* Hex to bytes; returns the length.  The vectors are well-formed. */
static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	ck_assert_uint_le(n, cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

/*
 * Key material with the vector's key and salt in one direction's place
 * (c->s: initiator to responder; else s->c) and junk in the other's, so a
 * mixed-up half cannot pass.
 */
static uint64_t
kat_keymat(const struct gcm_kat *v, bool c_to_s,
    uint8_t km_out[CRYPTO_KEYMAT_LEN])
{
	uint8_t key[CRYPTO_KEY_LEN], iv[12];
	uint64_t seq = 0;

	ck_assert_uint_eq(unhex(v->key, key, sizeof(key)), CRYPTO_KEY_LEN);
	ck_assert_uint_eq(unhex(v->iv, iv, sizeof(iv)), 12);
	memset(km_out, 0x5c, CRYPTO_KEYMAT_LEN);
	memcpy(km_out + (c_to_s ? 0 : CRYPTO_KEY_LEN), key, CRYPTO_KEY_LEN);
	memcpy(km_out + 2 * CRYPTO_KEY_LEN + (c_to_s ? 0 : CRYPTO_SALT_LEN), iv,
	    CRYPTO_SALT_LEN);
	for (int i = 4; i < 12; i++)
		seq = seq << 8 | iv[i];
	return seq;
}

START_TEST(seal_and_open_match_gcm_known_answers)
{
	const struct gcm_kat *v = &gcm_kats[_i];
	uint8_t kmat[CRYPTO_KEYMAT_LEN], aad[64], pt[64], back[64];
	uint8_t want[64 + CRYPTO_TAG_LEN], out[64 + CRYPTO_TAG_LEN];
	size_t aadlen, ptlen, ctlen;
	struct aead a, b;
	uint64_t seq;

	aadlen = unhex(v->aad, aad, sizeof(aad));
	ptlen = unhex(v->pt, pt, sizeof(pt));
	ctlen = unhex(v->ct, want, sizeof(want) - CRYPTO_TAG_LEN);
	ck_assert_uint_eq(ctlen, ptlen);
	ck_assert_uint_eq(unhex(v->tag, want + ctlen, CRYPTO_TAG_LEN),
	    CRYPTO_TAG_LEN);

	for (int dir = 0; dir < 2; dir++) {
		bool c_to_s = dir == 0;

		seq = kat_keymat(v, c_to_s, kmat);
		/* the sender of that half seals, the other end opens */
		ck_assert_int_eq(aead_init(&a, kmat, c_to_s), 0);
		ck_assert_int_eq(aead_init(&b, kmat, !c_to_s), 0);
		memset(out, 0, sizeof(out));
		ck_assert_int_eq(aead_seal(&a, seq, aad, aadlen, pt, ptlen,
		    out), 0);
		ck_assert_msg(memcmp(out, want, ptlen + CRYPTO_TAG_LEN) == 0,
		    "%s, %s: ciphertext and tag differ from the vector",
		    v->name, c_to_s ? "c->s" : "s->c");
		ck_assert_int_eq(aead_open(&b, seq, aad, aadlen, want,
		    ptlen + CRYPTO_TAG_LEN, back), 0);
		ck_assert_mem_eq(back, pt, ptlen);
		/* the tag with one bit off, or the next seq: refused */
		want[ptlen] ^= 0x80;
		ck_assert_int_eq(aead_open(&b, seq, aad, aadlen, want,
		    ptlen + CRYPTO_TAG_LEN, back), -1);
		want[ptlen] ^= 0x80;
		ck_assert_int_eq(aead_open(&b, seq + 1, aad, aadlen, want,
		    ptlen + CRYPTO_TAG_LEN, back), -1);
		aead_release(&a);
		aead_release(&b);
	}
}
END_TEST

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

/*
 * What a fresh EVP context with the nonce salt || seq passed as the IV
 * makes of pt: the c->s half of km (the initiator's sending direction).
 */
static void
reference_seal(uint64_t seq, const uint8_t *aad, int aadlen,
    const uint8_t *pt, int ptlen, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t iv[12];
	int n, fin;

	ck_assert_ptr_nonnull(ctx);
	memcpy(iv, km + 2 * CRYPTO_KEY_LEN, CRYPTO_SALT_LEN);
	for (int i = 0; i < 8; i++)
		iv[CRYPTO_SALT_LEN + i] = (uint8_t)(seq >> (56 - 8 * i));
	ck_assert_int_eq(EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, km,
	    iv), 1);
	ck_assert_int_eq(EVP_EncryptUpdate(ctx, NULL, &n, aad, aadlen), 1);
	ck_assert_int_eq(EVP_EncryptUpdate(ctx, out, &n, pt, ptlen), 1);
	ck_assert_int_eq(EVP_EncryptFinal_ex(ctx, out + n, &fin), 1);
	ck_assert_int_eq(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG,
	    CRYPTO_TAG_LEN, out + ptlen), 1);
	EVP_CIPHER_CTX_free(ctx);
}

/*
 * The contexts are keyed once and given each packet's nonce: a run of
 * packets through one context, in order, skipping, backwards and at the
 * top of the range, each equal to what a fresh context makes, and each
 * opening (after a forgery too) only under its own sequence number.
 */
START_TEST(one_context_per_direction_seals_like_fresh_ones)
{
	static const uint64_t seqs[] = { 1, 2, 3, 4, 9, 10, 5, 6,
	    UINT64_MAX - 1, UINT64_MAX, 7 };
	uint8_t aad[14], pt[200], ct[200 + CRYPTO_TAG_LEN];
	uint8_t want[200 + CRYPTO_TAG_LEN], back[200];

	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		uint64_t seq = seqs[i];
		int len = (int)(i * 17 % 200) + 1;

		memset(aad, (int)i, sizeof(aad));
		memset(pt, (int)(i * 3 + 1), sizeof(pt));
		reference_seal(seq, aad, sizeof(aad), pt, len, want);
		ck_assert_int_eq(aead_seal(&ini, seq, aad, sizeof(aad), pt,
		    (size_t)len, ct), 0);
		ck_assert_msg(memcmp(ct, want, (size_t)len + CRYPTO_TAG_LEN)
		    == 0, "packet %zu (seq %llu) differs from a fresh context's",
		    i, (unsigned long long)seq);
		ck_assert_int_eq(aead_open(&rsp, seq ^ 1, aad, sizeof(aad), ct,
		    (size_t)len + CRYPTO_TAG_LEN, back), -1);
		ck_assert_int_eq(aead_open(&rsp, seq, aad, sizeof(aad), ct,
		    (size_t)len + CRYPTO_TAG_LEN, back), 0);
		ck_assert_mem_eq(back, pt, (size_t)len);
	}
}
END_TEST

/*
 * After a seal the sending context is finished with its nonce: more data
 * without a new one is refused, not encrypted under the same nonce.
 */
START_TEST(sending_context_refuses_a_second_packet_on_one_nonce)
{
	uint8_t aad[4] = { 0 }, pt[32] = { 0 }, ct[32 + CRYPTO_TAG_LEN];
	int n;

	ck_assert_int_eq(aead_seal(&ini, 3, aad, sizeof(aad), pt, sizeof(pt),
	    ct), 0);
	ck_assert_int_ne(EVP_EncryptUpdate(ini.tx.ctx, ct, &n, pt,
	    (int)sizeof(pt)), 1);
	/* and the next seal, given its nonce, works */
	ck_assert_int_eq(aead_seal(&ini, 4, aad, sizeof(aad), pt, sizeof(pt),
	    ct), 0);
	ck_assert_int_eq(aead_open(&rsp, 4, aad, sizeof(aad), ct, sizeof(ct),
	    pt), 0);
}
END_TEST

static Suite *
crypto_suite(void)
{
	Suite *s = suite_create("crypto");
	TCase *tc = tcase_create("known_answers");

	tcase_add_loop_test(tc, seal_and_open_match_gcm_known_answers, 0,
	    (int)(sizeof(gcm_kats) / sizeof(gcm_kats[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("aead");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, seal_then_open_round_trips_both_ways);
	tcase_add_test(tc, seal_in_place_works);
	tcase_add_test(tc, open_rejects_forgery_wrong_seq_aad_and_direction);
	tcase_add_test(tc, one_context_per_direction_seals_like_fresh_ones);
	tcase_add_test(tc, sending_context_refuses_a_second_packet_on_one_nonce);
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
