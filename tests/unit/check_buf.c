/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests for lib/buf.c: big-endian reads and writes,
 * sticky errors, child cursors and the full-consumption check that every
 * codec relies on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "buf.h"

static const uint8_t seq[] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
};

START_TEST(rd_reads_big_endian)
{
	struct buf_rd r;

	buf_rd_init(&r, seq, 15);
	ck_assert_uint_eq(rd_u8(&r), 0x01);
	ck_assert_uint_eq(rd_u16be(&r), 0x0203);
	ck_assert_uint_eq(rd_u32be(&r), 0x04050607);
	ck_assert_uint_eq(rd_u64be(&r), 0x08090a0b0c0d0e0fULL);
	ck_assert_uint_eq(rd_left(&r), 0);
	ck_assert(rd_end(&r));
	ck_assert_ptr_null(r.err);
}
END_TEST

START_TEST(rd_truncation_is_sticky)
{
	struct buf_rd r;

	buf_rd_init(&r, seq, 3);
	ck_assert_uint_eq(rd_u32be(&r), 0);
	ck_assert_str_eq(r.err, "truncated");
	ck_assert_uint_eq(r.off, 0);
	ck_assert_uint_eq(rd_left(&r), 0);
	/* Bytes remain, but a failed cursor reads nothing more. */
	ck_assert_uint_eq(rd_u8(&r), 0);
	ck_assert_ptr_null(rd_ptr(&r, 0));
	ck_assert(!rd_end(&r));
	ck_assert_str_eq(r.err, "truncated");
}
END_TEST

START_TEST(rd_u64_truncated_in_second_half)
{
	struct buf_rd r;

	buf_rd_init(&r, seq, 6);
	ck_assert_uint_eq(rd_u64be(&r) & 0xffffffffULL, 0);
	ck_assert_str_eq(r.err, "truncated");
}
END_TEST

START_TEST(rd_bytes_zeroes_dst_on_failure)
{
	struct buf_rd r;
	uint8_t dst[4];

	buf_rd_init(&r, seq, 4);
	rd_bytes(&r, dst, 4);
	ck_assert_mem_eq(dst, seq, 4);
	memset(dst, 0xaa, sizeof(dst));
	rd_bytes(&r, dst, 4);
	ck_assert_mem_eq(dst, "\0\0\0\0", 4);
	ck_assert_str_eq(r.err, "truncated");
}
END_TEST

START_TEST(rd_ptr_borrows_input)
{
	struct buf_rd r;

	buf_rd_init(&r, seq, sizeof(seq));
	rd_skip(&r, 2);
	ck_assert_ptr_eq(rd_ptr(&r, 3), seq + 2);
	ck_assert_uint_eq(r.off, 5);
	ck_assert_ptr_eq(rd_ptr(&r, sizeof(seq) - 5), seq + 5);
	ck_assert(rd_end(&r));
}
END_TEST

START_TEST(rd_ptr_rejects_huge_length)
{
	struct buf_rd r;

	buf_rd_init(&r, seq, sizeof(seq));
	rd_skip(&r, 1);
	ck_assert_ptr_null(rd_ptr(&r, SIZE_MAX));
	ck_assert_str_eq(r.err, "truncated");
}
END_TEST

START_TEST(rd_sub_limits_child_and_advances_parent)
{
	struct buf_rd r, c;

	buf_rd_init(&r, seq, sizeof(seq));
	rd_skip(&r, 1);
	rd_sub(&r, 4, &c);
	ck_assert_uint_eq(r.off, 5);
	ck_assert_uint_eq(rd_left(&c), 4);
	ck_assert_uint_eq(rd_u16be(&c), 0x0203);
	ck_assert(!rd_end(&c));
	ck_assert_str_eq(c.err, "trailing bytes");
	/* The child's failure does not leak into the parent. */
	ck_assert_ptr_null(r.err);
	ck_assert_uint_eq(rd_u8(&r), 0x06);
}
END_TEST

START_TEST(rd_sub_truncated_fails_both)
{
	struct buf_rd r, c;

	buf_rd_init(&r, seq, 4);
	rd_sub(&r, 5, &c);
	ck_assert_str_eq(r.err, "truncated");
	ck_assert_str_eq(c.err, "truncated");
	ck_assert_uint_eq(rd_left(&c), 0);
	ck_assert_uint_eq(rd_u8(&c), 0);
}
END_TEST

START_TEST(rd_end_rejects_trailing_bytes)
{
	struct buf_rd r;

	buf_rd_init(&r, seq, 3);
	(void)rd_u16be(&r);
	ck_assert(!rd_end(&r));
	ck_assert_str_eq(r.err, "trailing bytes");
}
END_TEST

START_TEST(rd_fail_keeps_first_reason)
{
	struct buf_rd r;

	buf_rd_init(&r, seq, sizeof(seq));
	rd_fail(&r, "first");
	rd_fail(&r, "second");
	ck_assert(!rd_end(&r));
	ck_assert_str_eq(r.err, "first");
}
END_TEST

START_TEST(rd_null_input_is_empty)
{
	struct buf_rd r;

	buf_rd_init(&r, NULL, 10);
	ck_assert_uint_eq(rd_left(&r), 0);
	ck_assert(rd_end(&r));
	ck_assert_uint_eq(rd_u8(&r), 0);
	ck_assert_str_eq(r.err, "truncated");
}
END_TEST

START_TEST(wr_writes_big_endian)
{
	uint8_t out[15];
	struct buf_wr w;

	buf_wr_init(&w, out, sizeof(out));
	wr_u8(&w, 0x01);
	wr_u16be(&w, 0x0203);
	wr_u32be(&w, 0x04050607);
	wr_u64be(&w, 0x08090a0b0c0d0e0fULL);
	ck_assert_ptr_null(w.err);
	ck_assert_uint_eq(w.off, sizeof(out));
	ck_assert_mem_eq(out, seq, sizeof(out));
}
END_TEST

START_TEST(wr_no_space_is_sticky)
{
	uint8_t out[4] = { 0xee, 0xee, 0xee, 0xee };
	struct buf_wr w;

	buf_wr_init(&w, out, 3);
	wr_u32be(&w, 0x01020304);
	ck_assert_str_eq(w.err, "no space");
	ck_assert_uint_eq(w.off, 0);
	wr_u8(&w, 0x55);
	ck_assert_uint_eq(w.off, 0);
	ck_assert_mem_eq(out, "\xee\xee\xee\xee", 4);
}
END_TEST

START_TEST(wr_fills_exactly_to_capacity)
{
	uint8_t out[3];
	struct buf_wr w;

	buf_wr_init(&w, out, sizeof(out));
	wr_bytes(&w, seq, 3);
	wr_bytes(&w, NULL, 0);
	ck_assert_ptr_null(w.err);
	wr_u8(&w, 0);
	ck_assert_str_eq(w.err, "no space");
	ck_assert_uint_eq(w.off, 3);
}
END_TEST

START_TEST(wr_null_output_has_no_space)
{
	struct buf_wr w;

	buf_wr_init(&w, NULL, 100);
	wr_u8(&w, 1);
	ck_assert_str_eq(w.err, "no space");
}
END_TEST

static void
add(Suite *s, const char *name, const TTest *t)
{
	TCase *tc = tcase_create(name);

	tcase_add_test(tc, t);
	suite_add_tcase(s, tc);
}

static Suite *
buf_suite(void)
{
	Suite *s = suite_create("buf");

	add(s, "rd_reads_big_endian", rd_reads_big_endian);
	add(s, "rd_truncation_is_sticky", rd_truncation_is_sticky);
	add(s, "rd_u64_truncated_in_second_half",
	    rd_u64_truncated_in_second_half);
	add(s, "rd_bytes_zeroes_dst_on_failure",
	    rd_bytes_zeroes_dst_on_failure);
	add(s, "rd_ptr_borrows_input", rd_ptr_borrows_input);
	add(s, "rd_ptr_rejects_huge_length", rd_ptr_rejects_huge_length);
	add(s, "rd_sub_limits_child_and_advances_parent",
	    rd_sub_limits_child_and_advances_parent);
	add(s, "rd_sub_truncated_fails_both", rd_sub_truncated_fails_both);
	add(s, "rd_end_rejects_trailing_bytes",
	    rd_end_rejects_trailing_bytes);
	add(s, "rd_fail_keeps_first_reason", rd_fail_keeps_first_reason);
	add(s, "rd_null_input_is_empty", rd_null_input_is_empty);
	add(s, "wr_writes_big_endian", wr_writes_big_endian);
	add(s, "wr_no_space_is_sticky", wr_no_space_is_sticky);
	add(s, "wr_fills_exactly_to_capacity", wr_fills_exactly_to_capacity);
	add(s, "wr_null_output_has_no_space", wr_null_output_has_no_space);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(buf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
