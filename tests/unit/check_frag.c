/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for splitting and joining messages too large for a link's
 * path MTU: the PKT_MSG_FRAG codec and piece arithmetic in lib/pkt.c and
 * the join table in lib/frag.c (limits, out-of-order and duplicate
 * pieces, contradicting pieces, timeouts, a full table).
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "frag.h"
#include "pkt.h"

static struct frag_table *ft;
static uint8_t msg[PKT_FRAG_TOTAL_MAX];

static void
setup(void)
{
	ft = malloc(sizeof(*ft));
	ck_assert_ptr_nonnull(ft);
	frag_init(ft);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 3);
	msg[0] = PKT_MSG_DATA;
}

static void
teardown(void)
{
	free(ft);
	ft = NULL;
}

/* Piece index of msg[0, total) cut in count, as a decoded FRAG would be. */
static struct pkt_frag
piece(uint32_t id, size_t total, unsigned count, unsigned index)
{
	struct pkt_frag f;
	size_t off, len;

	ck_assert_int_eq(pkt_frag_piece(total, count, index, &off, &len), 0);
	memset(&f, 0, sizeof(f));
	f.id = id;
	f.count = (uint8_t)count;
	f.index = (uint8_t)index;
	f.total = (uint16_t)total;
	f.piece = msg + off;
	f.piece_len = len;
	return f;
}

/* Offers a piece; returns frag_join's result, checking a completed one. */
static int
offer(uint64_t key, struct pkt_frag f, uint64_t now)
{
	const uint8_t *out = NULL;
	size_t len = 0;
	int rc = frag_join(ft, key, &f, now, &out, &len);

	if (rc == 1) {
		ck_assert_uint_eq(len, f.total);
		ck_assert_mem_eq(out, msg, len);
	}
	return rc;
}

START_TEST(piece_arithmetic_covers_message_evenly)
{
	size_t off, len, sum;

	for (size_t total = 2; total <= 3000; total += 37)
		for (unsigned count = 2; count <= PKT_FRAG_COUNT_MAX; count++) {
			if (total < count)
				continue;
			sum = 0;
			for (unsigned i = 0; i < count; i++) {
				if (pkt_frag_piece(total, count, i, &off,
				    &len) == -1)
					break;
				ck_assert_uint_eq(off, sum);
				ck_assert_uint_gt(len, 0);
				sum += len;
			}
			/* either all pieces exist and cover it, or fewer do */
			ck_assert_uint_le(sum, total);
		}
	ck_assert_int_eq(pkt_frag_piece(1500, 2, 0, &off, &len), 0);
	ck_assert_uint_eq(off, 0);
	ck_assert_uint_eq(len, 750);
	ck_assert_int_eq(pkt_frag_piece(1501, 2, 1, &off, &len), 0);
	ck_assert_uint_eq(off, 751);
	ck_assert_uint_eq(len, 750);
}
END_TEST

START_TEST(piece_arithmetic_rejects_out_of_range)
{
	size_t off, len;

	ck_assert_int_eq(pkt_frag_piece(1500, 1, 0, &off, &len), -1);
	ck_assert_int_eq(pkt_frag_piece(1500, PKT_FRAG_COUNT_MAX + 1, 0, &off,
	    &len), -1);
	ck_assert_int_eq(pkt_frag_piece(1500, 2, 2, &off, &len), -1);
	ck_assert_int_eq(pkt_frag_piece(PKT_FRAG_TOTAL_MAX + 1, 2, 0, &off,
	    &len), -1);
	/* 5 bytes in 4: pieces of 2, so piece 3 would be empty */
	ck_assert_int_eq(pkt_frag_piece(5, 4, 3, &off, &len), -1);
	ck_assert_int_eq(pkt_frag_piece(0, 2, 0, &off, &len), -1);
}
END_TEST

START_TEST(count_needed_for_room)
{
	ck_assert_uint_eq(pkt_frag_count(1400, 1400), 1);
	ck_assert_uint_eq(pkt_frag_count(1401, 1400), 2);
	ck_assert_uint_eq(pkt_frag_count(1502, 1391), 2);
	ck_assert_uint_eq(pkt_frag_count(9002, 1391), 7);
	ck_assert_uint_eq(pkt_frag_count(9002, 1000), 0);	/* > 8 */
	ck_assert_uint_eq(pkt_frag_count(PKT_FRAG_TOTAL_MAX + 1, 9000), 0);
	ck_assert_uint_eq(pkt_frag_count(100, 0), 0);
}
END_TEST

START_TEST(codec_round_trip_and_strict_lengths)
{
	uint8_t wire[2000];
	struct pkt_msg m = { .type = PKT_MSG_FRAG }, d;
	const char *why;
	int n;

	m.u.frag = piece(77, 1502, 2, 1);
	n = pkt_msg_encode(&m, wire, sizeof(wire));
	ck_assert_int_eq(n, PKT_FRAG_HDR_LEN + 751);
	ck_assert_int_eq(pkt_msg_decode(wire, (size_t)n, &d, &why), 0);
	ck_assert_uint_eq(d.type, PKT_MSG_FRAG);
	ck_assert_uint_eq(d.u.frag.id, 77);
	ck_assert_uint_eq(d.u.frag.index, 1);
	ck_assert_uint_eq(d.u.frag.count, 2);
	ck_assert_uint_eq(d.u.frag.total, 1502);
	ck_assert_uint_eq(d.u.frag.piece_len, 751);
	ck_assert_mem_eq(d.u.frag.piece, msg + 751, 751);
	/* truncated at every offset, and one byte too many */
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(pkt_msg_decode(wire, (size_t)i, &d, &why), -1);
	ck_assert_int_eq(pkt_msg_decode(wire, (size_t)n + 1, &d, &why), -1);
	/* count 1, count 9, index == count */
	wire[6] = 1;
	ck_assert_int_eq(pkt_msg_decode(wire, (size_t)n, &d, &why), -1);
	wire[6] = 9;
	ck_assert_int_eq(pkt_msg_decode(wire, (size_t)n, &d, &why), -1);
	wire[6] = 2;
	wire[5] = 2;
	ck_assert_int_eq(pkt_msg_decode(wire, (size_t)n, &d, &why), -1);
	/* a piece whose length is not its share is refused by the encoder */
	m.u.frag.piece_len--;
	ck_assert_int_eq(pkt_msg_encode(&m, wire, sizeof(wire)), -1);
}
END_TEST

START_TEST(mtu_probe_and_ack_codec)
{
	uint8_t wire[PKT_MTU_MAX];
	struct pkt_msg m = { .type = PKT_MSG_MTU_PROBE }, d;
	const char *why;
	int n;

	m.u.mtu.id = 3;
	m.u.mtu.size = 1500;
	m.u.mtu.pad = 1442;
	n = pkt_msg_encode(&m, wire, sizeof(wire));
	ck_assert_int_eq(n, 7 + 1442);
	ck_assert_int_eq(pkt_msg_decode(wire, (size_t)n, &d, &why), 0);
	ck_assert_uint_eq(d.u.mtu.id, 3);
	ck_assert_uint_eq(d.u.mtu.size, 1500);
	ck_assert_uint_eq(d.u.mtu.pad, 1442);
	m.type = PKT_MSG_MTU_ACK;
	n = pkt_msg_encode(&m, wire, sizeof(wire));
	ck_assert_int_eq(n, 7);		/* no padding: smaller than the probe */
	ck_assert_int_eq(pkt_msg_decode(wire, (size_t)n, &d, &why), 0);
	ck_assert_int_eq(pkt_msg_decode(wire, (size_t)n + 1, &d, &why), -1);
	m.u.mtu.size = PKT_MTU_MIN - 1;
	ck_assert_int_eq(pkt_msg_encode(&m, wire, sizeof(wire)), -1);
	wire[5] = 0;
	wire[6] = 100;			/* size 100 on the wire */
	ck_assert_int_eq(pkt_msg_decode(wire, 7, &d, &why), -1);
}
END_TEST

START_TEST(join_in_order_and_out_of_order)
{
	ck_assert_int_eq(offer(1, piece(1, 1502, 2, 0), 100), 0);
	ck_assert_int_eq(offer(1, piece(1, 1502, 2, 1), 110), 1);
	ck_assert_int_eq(offer(1, piece(2, 1502, 2, 1), 120), 0);
	ck_assert_int_eq(offer(1, piece(2, 1502, 2, 0), 130), 1);
	/* eight pieces, last first, the rest shuffled */
	{
		static const unsigned order[] = { 7, 2, 5, 0, 6, 1, 3 };

		for (size_t i = 0; i < 7; i++)
			ck_assert_int_eq(offer(1, piece(3, 9002, 8, order[i]),
			    140), 0);
		ck_assert_int_eq(offer(1, piece(3, 9002, 8, 4), 150), 1);
	}
	ck_assert_uint_eq(ft->st.joined, 3);
	ck_assert_uint_eq(frag_pending(ft), 0);
}
END_TEST

START_TEST(interleaved_messages_and_senders_stay_apart)
{
	/* same id from two senders, two ids from one sender */
	ck_assert_int_eq(offer(1, piece(9, 1502, 2, 0), 0), 0);
	ck_assert_int_eq(offer(2, piece(9, 1400, 2, 1), 0), 0);
	ck_assert_int_eq(offer(1, piece(10, 1300, 2, 1), 0), 0);
	ck_assert_uint_eq(frag_pending(ft), 3);
	ck_assert_int_eq(offer(2, piece(9, 1400, 2, 0), 0), 1);
	ck_assert_int_eq(offer(1, piece(10, 1300, 2, 0), 0), 1);
	ck_assert_int_eq(offer(1, piece(9, 1502, 2, 1), 0), 1);
	ck_assert_uint_eq(ft->st.mismatch, 0);
}
END_TEST

START_TEST(duplicate_piece_dropped_and_counted)
{
	ck_assert_int_eq(offer(1, piece(1, 1502, 2, 0), 0), 0);
	ck_assert_int_eq(offer(1, piece(1, 1502, 2, 0), 0), -1);
	ck_assert_uint_eq(ft->st.dup, 1);
	ck_assert_int_eq(offer(1, piece(1, 1502, 2, 1), 0), 1);
	/* a duplicate after completion starts afresh and times out */
	ck_assert_int_eq(offer(1, piece(1, 1502, 2, 1), 10), 0);
	frag_expire(ft, 10 + FRAG_TIMEOUT_US + 1);
	ck_assert_uint_eq(ft->st.timeout, 1);
	ck_assert_uint_eq(ft->st.joined, 1);
}
END_TEST

START_TEST(contradicting_piece_drops_message)
{
	ck_assert_int_eq(offer(1, piece(4, 1502, 2, 0), 0), 0);
	/* same id, other total: both gone */
	ck_assert_int_eq(offer(1, piece(4, 1400, 2, 1), 0), -1);
	ck_assert_uint_eq(ft->st.mismatch, 1);
	ck_assert_uint_eq(frag_pending(ft), 0);
	/* same id, other count */
	ck_assert_int_eq(offer(1, piece(5, 1502, 2, 0), 0), 0);
	ck_assert_int_eq(offer(1, piece(5, 1502, 3, 2), 0), -1);
	ck_assert_uint_eq(ft->st.mismatch, 2);
	ck_assert_uint_eq(ft->st.joined, 0);
}
END_TEST

START_TEST(missing_piece_times_out)
{
	ck_assert_int_eq(offer(1, piece(1, 1502, 2, 0), 1000), 0);
	/* within the timeout the second piece still completes it */
	ck_assert_int_eq(offer(1, piece(2, 1502, 2, 0), 1000), 0);
	ck_assert_int_eq(offer(1, piece(2, 1502, 2, 1), 1000 +
	    FRAG_TIMEOUT_US), 1);
	/* past it, the lone piece is gone: its partner starts afresh */
	ck_assert_int_eq(offer(1, piece(1, 1502, 2, 1), 1000 +
	    FRAG_TIMEOUT_US + 1), 0);
	ck_assert_uint_eq(ft->st.timeout, 1);
	ck_assert_uint_eq(frag_pending(ft), 1);
}
END_TEST

START_TEST(full_table_evicts_oldest)
{
	for (uint32_t id = 0; id < FRAG_SLOTS; id++)
		ck_assert_int_eq(offer(1, piece(id, 1502, 2, 0), id), 0);
	ck_assert_uint_eq(frag_pending(ft), FRAG_SLOTS);
	ck_assert_int_eq(offer(1, piece(1000, 1502, 2, 0), FRAG_SLOTS), 0);
	ck_assert_uint_eq(ft->st.evicted, 1);
	ck_assert_uint_eq(frag_pending(ft), FRAG_SLOTS);
	/* id 0 was the oldest: its partner no longer completes anything */
	ck_assert_int_eq(offer(1, piece(0, 1502, 2, 1), FRAG_SLOTS), 0);
	ck_assert_uint_eq(ft->st.evicted, 2);
	/* id 2 survived */
	ck_assert_int_eq(offer(1, piece(2, 1502, 2, 1), FRAG_SLOTS), 1);
}
END_TEST

static Suite *
frag_suite(void)
{
	Suite *s = suite_create("frag");
	const struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
		{ "piece_arithmetic_covers_message_evenly",
		    piece_arithmetic_covers_message_evenly },
		{ "piece_arithmetic_rejects_out_of_range",
		    piece_arithmetic_rejects_out_of_range },
		{ "count_needed_for_room", count_needed_for_room },
		{ "codec_round_trip_and_strict_lengths",
		    codec_round_trip_and_strict_lengths },
		{ "mtu_probe_and_ack_codec", mtu_probe_and_ack_codec },
		{ "join_in_order_and_out_of_order",
		    join_in_order_and_out_of_order },
		{ "interleaved_messages_and_senders_stay_apart",
		    interleaved_messages_and_senders_stay_apart },
		{ "duplicate_piece_dropped_and_counted",
		    duplicate_piece_dropped_and_counted },
		{ "contradicting_piece_drops_message",
		    contradicting_piece_drops_message },
		{ "missing_piece_times_out", missing_piece_times_out },
		{ "full_table_evicts_oldest", full_table_evicts_oldest },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(frag_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
