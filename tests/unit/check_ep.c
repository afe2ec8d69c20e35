/* SPDX-License-Identifier: ISC */
/*
 * Endpoints of either family (lib/ep.h): socket address conversions,
 * comparison, RFC 5952 text, parsing and the wire codec.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ep.h"

static struct ep
lit(const char *s, uint16_t port)
{
	struct ep e;

	ck_assert_int_eq(ep_parse_addr(s, &e), 0);
	e.port = port;
	return e;
}

START_TEST(text_is_rfc5952)
{
	static const struct {
		const char	*in;
		const char	*out;
	} t[] = {
		{ "2001:DB8:0:0:0:0:0:1", "[2001:db8::1]:4795" },
		{ "2001:db8:0:1:1:1:1:1", "[2001:db8:0:1:1:1:1:1]:4795" },
		{ "2001:db8:0:0:1:0:0:1", "[2001:db8::1:0:0:1]:4795" },
		{ "fd00:0:0:0:0:0:0:0", "[fd00::]:4795" },
		{ "192.0.2.1", "192.0.2.1:4795" },
	};
	char buf[EP_STRLEN];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct ep e = lit(t[i].in, 4795);

		ck_assert_str_eq(ep_fmt(&e, buf, sizeof(buf)), t[i].out);
	}
	{
		struct ep none;

		memset(&none, 0, sizeof(none));
		ck_assert_str_eq(ep_fmt(&none, buf, sizeof(buf)), "-");
	}
}
END_TEST

START_TEST(parse_takes_both_forms_and_refuses_the_rest)
{
	static const char *const bad[] = {
		"", ":1", "192.0.2.1", "192.0.2.1:", "192.0.2.1:0",
		"192.0.2.1:65536", "192.0.2.1:+5", "192.0.2.1:5x", "2001:db8::1",
		"2001:db8::1:4795", "[2001:db8::1]", "[2001:db8::1]:",
		"[2001:db8::1]4795", "[192.0.2.1]:4795", "[]:1", "[::1:1",
		"a.b.c.d:1", "[2001:db8::1%eth0]:1",
	};
	struct ep e;
	char buf[EP_STRLEN];

	ck_assert_int_eq(ep_parse("[2001:db8::7]:65535", &e), 0);
	ck_assert_int_eq(e.family, AF_INET6);
	ck_assert_uint_eq(e.port, 65535);
	ck_assert_str_eq(ep_fmt(&e, buf, sizeof(buf)), "[2001:db8::7]:65535");
	ck_assert_int_eq(ep_parse("198.51.100.2:1", &e), 0);
	ck_assert_int_eq(e.family, AF_INET);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&e, 0xa5, sizeof(e));
		ck_assert_msg(ep_parse(bad[i], &e) == -1, "accepted '%s'",
		    bad[i]);
		ck_assert(!ep_is_set(&e));
	}
}
END_TEST

START_TEST(mapped_ipv6_is_ipv4)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct sockaddr_storage ss;
	struct ep e, back;

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(4795);
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:192.0.2.9",
	    &s6.sin6_addr), 1);
	ck_assert_int_eq(ep_from_sa(&e, (struct sockaddr *)&s6, sizeof(s6)),
	    0);
	back = lit("192.0.2.9", 4795);
	ck_assert(ep_eq(&e, &back));
	/* and back to a socket address of its own family */
	ck_assert_uint_eq(ep_to_sa(&e, &ss), sizeof(struct sockaddr_in));
	memcpy(&s4, &ss, sizeof(s4));
	ck_assert_int_eq(s4.sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(s4.sin_port), 4795);
	/* short lengths and other families are refused */
	ck_assert_int_eq(ep_from_sa(&e, (struct sockaddr *)&s6,
	    sizeof(s6) - 1), -1);
	s6.sin6_family = AF_UNIX;
	ck_assert_int_eq(ep_from_sa(&e, (struct sockaddr *)&s6, sizeof(s6)),
	    -1);
	ck_assert(!ep_is_set(&e));
}
END_TEST

START_TEST(compare_by_family_address_and_port)
{
	struct ep a = lit("2001:db8::1", 1), b = lit("2001:db8::1", 2);
	struct ep c = lit("192.0.2.1", 1), d = lit("2001:db8::2", 1);

	ck_assert(ep_addr_eq(&a, &b));
	ck_assert(!ep_eq(&a, &b));
	ck_assert(!ep_addr_eq(&a, &c));
	ck_assert(!ep_addr_eq(&a, &d));
	b.port = 1;
	ck_assert(ep_eq(&a, &b));
	ck_assert(ep_is_any(&(struct ep){ .family = AF_INET6 }));
	ck_assert(ep_is_any(&(struct ep){ .family = AF_INET }));
	ck_assert(!ep_is_any(&a));
}
END_TEST

START_TEST(wire_round_trips_and_refuses_bad_input)
{
	const struct ep in[] = {
		lit("2001:db8:ffff::1", 65535), lit("203.0.113.1", 1),
		{ .family = 0 },
	};
	uint8_t b[64];
	struct buf_wr w;
	struct buf_rd r;
	struct ep out;

	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		buf_wr_init(&w, b, sizeof(b));
		ep_wr(&w, &in[i]);
		ck_assert_ptr_null(w.err);
		ck_assert_uint_eq(w.off, ep_wire_len(&in[i]));
		/* every truncation fails and leaves nothing set */
		for (size_t n = 0; n < w.off; n++) {
			buf_rd_init(&r, b, n);
			ep_rd(&r, &out);
			ck_assert_ptr_nonnull(r.err);
			ck_assert(!ep_is_set(&out));
		}
		buf_rd_init(&r, b, w.off);
		ep_rd(&r, &out);
		ck_assert(rd_end(&r));
		ck_assert(ep_eq(&out, &in[i]));
	}
	/* unknown family, zero port, :: */
	{
		static const uint8_t fam[] = { 5, 1, 2, 3, 4, 0, 1 };
		static const uint8_t port0[] = { 4, 1, 2, 3, 4, 0, 0 };
		static const uint8_t any6[19] = { 6, [17] = 0, [18] = 1 };

		buf_rd_init(&r, fam, sizeof(fam));
		ep_rd(&r, &out);
		ck_assert_str_eq(r.err, "endpoint: unknown address family");
		buf_rd_init(&r, port0, sizeof(port0));
		ep_rd(&r, &out);
		ck_assert_str_eq(r.err, "endpoint: zero address or port");
		buf_rd_init(&r, any6, sizeof(any6));
		ep_rd(&r, &out);
		ck_assert_str_eq(r.err, "endpoint: zero address or port");
		ck_assert(!ep_is_set(&out));
	}
	/* the encoder's own rule agrees */
	ck_assert(ep_wire_ok(&in[0]));
	ck_assert(ep_wire_ok(&in[2]));
	ck_assert(!ep_wire_ok(&(struct ep){ .family = AF_INET6, .port = 1 }));
	ck_assert(!ep_wire_ok(&(struct ep){ .family = 9, .port = 1 }));
}
END_TEST

static Suite *
ep_suite(void)
{
	Suite *s = suite_create("ep");
	TCase *tc = tcase_create("ep");

	tcase_add_test(tc, text_is_rfc5952);
	tcase_add_test(tc, parse_takes_both_forms_and_refuses_the_rest);
	tcase_add_test(tc, mapped_ipv6_is_ipv4);
	tcase_add_test(tc, compare_by_family_address_and_port);
	tcase_add_test(tc, wire_round_trips_and_refuses_bad_input);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ep_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
