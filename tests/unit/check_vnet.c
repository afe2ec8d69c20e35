/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/vnet.c: UDP GSO super-packets as a TUN with offloads
 * hands them over, cut back into the datagrams they were made of (IPv4 and
 * IPv6, a shorter last one, odd lengths, checksums against a plain
 * reference implementation), partial checksums completed, and everything
 * malformed refused; TCP super-packets (TSO) cut into the segments the
 * sender's kernel would have sent, and the checks that decide which
 * segments may be joined into one GSO frame again.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "vnet.h"

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The reference: RFC 1071, one 16-bit word at a time. */
static uint32_t
ref_sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

/*
 * The IP header of a packet 10.1.0.5 -> 10.2.0.7 (or 2001:db8::5 ->
 * 2001:db8::7) carrying tlen bytes of protocol proto, with id and tos
 * (IPv4, DF set) and a valid header checksum; the rest of the first
 * hlen bytes zeroed.  Returns the pseudo-header sum of the addresses.
 */
static uint32_t
ip_header(uint8_t *p, int v6, int proto, size_t tlen, uint16_t id,
    uint8_t tos, size_t hlen)
{
	memset(p, 0, hlen);
	if (v6) {
		p[0] = 0x60;
		put16(p + 4, (uint16_t)tlen);
		p[6] = (uint8_t)proto;
		p[7] = 64;
		p[8] = 0x20; p[9] = 0x01; p[10] = 0x0d; p[11] = 0xb8; p[23] = 5;
		p[24] = 0x20; p[25] = 0x01; p[26] = 0x0d; p[27] = 0xb8;
		p[39] = 7;
		return ref_sum(p + 8, 32, 0);
	}
	p[0] = 0x45;
	p[1] = tos;
	put16(p + 2, (uint16_t)(20 + tlen));
	put16(p + 4, id);
	p[6] = 0x40;		/* DF */
	p[8] = 64;
	p[9] = (uint8_t)proto;
	p[12] = 10; p[13] = 1; p[15] = 5;
	p[16] = 10; p[17] = 2; p[19] = 7;
	put16(p + 10, (uint16_t)~ref_sum(p, 20, 0));
	return ref_sum(p + 12, 8, 0);
}

/* A UDP datagram from 10.1.0.5:4500 to 10.2.0.7:4500 (or IPv6), id. */
static size_t
datagram(uint8_t *p, int v6, uint16_t id, size_t plen, uint8_t fill)
{
	size_t l4 = v6 ? 40 : 20, ulen = 8 + plen, len = l4 + ulen;
	uint32_t s;

	s = ip_header(p, v6, 17, ulen, id, 0, l4 + 8);
	put16(p + l4, 4500);
	put16(p + l4 + 2, 4500);
	put16(p + l4 + 4, (uint16_t)ulen);
	for (size_t i = 0; i < plen; i++)
		p[l4 + 8 + i] = (uint8_t)(fill + i * 13);
	s = ref_sum(p + l4, ulen, s + 17 + (uint32_t)ulen);
	put16(p + l4 + 6, s == 0xffff ? 0xffff : (uint16_t)~s);
	return len;
}

/*
 * The super-packet of n datagrams of seg bytes (the last last bytes) as
 * the kernel builds it from them: the first one's headers, the total
 * lengths, the pseudo-header sum in the UDP checksum, the payloads.
 */
static size_t
super(uint8_t *p, int v6, int n, size_t seg, size_t last, uint16_t id)
{
	size_t l4 = v6 ? 40 : 20, payload = seg * (size_t)(n - 1) + last;
	size_t len = l4 + 8 + payload;
	uint8_t d[2048];

	for (int i = 0; i < n; i++) {
		size_t pl = i == n - 1 ? last : seg;

		datagram(d, v6, (uint16_t)(id + i), pl, (uint8_t)(i * 31));
		if (i == 0)
			memcpy(p, d, l4 + 8);
		memcpy(p + l4 + 8 + (size_t)i * seg, d + l4 + 8, pl);
	}
	if (v6)
		put16(p + 4, (uint16_t)(len - 40));
	else {
		put16(p + 2, (uint16_t)len);
		put16(p + 10, 0);
		put16(p + 10, (uint16_t)~ref_sum(p, 20, 0));
	}
	put16(p + l4 + 4, (uint16_t)(len - l4));
	put16(p + l4 + 6, 0x1234);	/* partial: whatever it is */
	return len;
}

static void
cut_and_compare(int v6, int n, size_t seg, size_t last)
{
	static uint8_t sp[70000], out[2048], want[2048];
	size_t l4 = v6 ? 40 : 20;
	size_t len = super(sp, v6, n, seg, last, 0xfff0);
	struct vnet_uso u;

	ck_assert_int_eq(vnet_uso_parse(sp, len, seg, l4, &u), 0);
	ck_assert_int_eq(u.n, n);
	ck_assert_uint_eq(u.l4off, l4);
	for (int i = 0; i < n; i++) {
		size_t pl = i == n - 1 ? last : seg;
		size_t wl = datagram(want, v6, (uint16_t)(0xfff0 + i), pl,
		    (uint8_t)(i * 31));
		size_t ol = vnet_uso_segment(sp, &u, i, out);

		ck_assert_uint_eq(ol, wl);
		ck_assert_mem_eq(out, want, wl);
		/* and the receiver's check: the sum over all is 0xffff */
		if (!v6)
			ck_assert_uint_eq(ref_sum(out, 20, 0), 0xffff);
	}
}

START_TEST(ipv4_super_packets_cut_back)
{
	cut_and_compare(0, 1, 36, 36);
	cut_and_compare(0, 2, 36, 36);
	cut_and_compare(0, 45, 1344, 1344);	/* ESP in UDP, full size */
	cut_and_compare(0, 5, 1344, 17);	/* a shorter, odd last one */
	cut_and_compare(0, 64, 37, 37);		/* odd sizes, ids wrap */
}
END_TEST

START_TEST(ipv6_super_packets_cut_back)
{
	cut_and_compare(1, 1, 64, 64);
	cut_and_compare(1, 40, 1400, 1400);
	cut_and_compare(1, 3, 1001, 999);
}
END_TEST

START_TEST(malformed_super_packets_refused)
{
	static uint8_t sp[70000];
	struct vnet_uso u;
	size_t len = super(sp, 0, 4, 100, 100, 1);
	uint8_t save;

	ck_assert_int_eq(vnet_uso_parse(sp, len, 100, 20, &u), 0);
	ck_assert_int_eq(vnet_uso_parse(sp, len, 0, 20, &u), -1);
	ck_assert_int_eq(vnet_uso_parse(sp, len, 100, 28, &u), -1);
	ck_assert_int_eq(vnet_uso_parse(sp, len - 1, 100, 20, &u), -1);
	ck_assert_int_eq(vnet_uso_parse(sp, 27, 100, 20, &u), -1);
	ck_assert_int_eq(vnet_uso_parse(sp, 0, 100, 20, &u), -1);
	/* more datagrams than VNET_SEGS_MAX */
	ck_assert_int_eq(vnet_uso_parse(sp, len, 3, 20, &u), -1);
	/* a fragment, not UDP, another version, a header without payload */
	sp[6] |= 0x20;
	ck_assert_int_eq(vnet_uso_parse(sp, len, 100, 20, &u), -1);
	sp[6] &= (uint8_t)~0x20;
	save = sp[9];
	sp[9] = 6;
	ck_assert_int_eq(vnet_uso_parse(sp, len, 100, 20, &u), -1);
	sp[9] = save;
	sp[0] = 0x55;
	ck_assert_int_eq(vnet_uso_parse(sp, len, 100, 20, &u), -1);
	sp[0] = 0x45;
	put16(sp + 2, 28);
	ck_assert_int_eq(vnet_uso_parse(sp, 28, 100, 20, &u), -1);
	/* IPv6 with the wrong payload length or an extension header */
	len = super(sp, 1, 2, 100, 100, 1);
	ck_assert_int_eq(vnet_uso_parse(sp, len, 100, 40, &u), 0);
	put16(sp + 4, (uint16_t)(len - 41));
	ck_assert_int_eq(vnet_uso_parse(sp, len, 100, 40, &u), -1);
	put16(sp + 4, (uint16_t)(len - 40));
	sp[6] = 0;
	ck_assert_int_eq(vnet_uso_parse(sp, len, 100, 40, &u), -1);
}
END_TEST

START_TEST(partial_checksums_completed)
{
	uint8_t p[2048], want[2048];
	size_t sizes[] = { 1, 2, 3, 36, 1343, 1344 };

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		for (int v6 = 0; v6 <= 1; v6++) {
			size_t l4 = v6 ? 40 : 20;
			size_t len = datagram(want, v6, 7, sizes[k], 9);
			uint32_t ph;

			memcpy(p, want, len);
			/* the pseudo-header sum, as the kernel leaves it */
			ph = v6 ? ref_sum(p + 8, 32, 0) : ref_sum(p + 12, 8, 0);
			ph = ref_sum(NULL, 0, ph + 17 + (uint32_t)(len - l4));
			put16(p + l4 + 6, (uint16_t)ph);
			ck_assert_int_eq(vnet_csum_complete(p, len, l4, 6), 0);
			ck_assert_mem_eq(p, want, len);
			ck_assert_uint_eq(ref_sum(p + l4, len - l4,
			    (v6 ? ref_sum(p + 8, 32, 0) : ref_sum(p + 12, 8,
			    0)) + 17 + (uint32_t)(len - l4)), 0xffff);
		}
	}
	/* the field or the start outside the packet */
	ck_assert_int_eq(vnet_csum_complete(p, 30, 30, 0), -1);
	ck_assert_int_eq(vnet_csum_complete(p, 30, 20, 9), -1);
	ck_assert_int_eq(vnet_csum_complete(p, 30, 20, 8), 0);
	ck_assert_int_eq(vnet_csum_complete(p, 30, 20, 65535), -1);
	ck_assert_int_eq(vnet_csum_complete(p, 30, 65535, 6), -1);
}
END_TEST

/* A datagram whose checksum comes out 0 carries 0xffff (0 means none). */
START_TEST(zero_checksum_sent_as_ffff)
{
	uint8_t d[64], p[64], out[64];
	size_t len = datagram(d, 0, 1, 2, 0);
	struct vnet_uso u;
	uint32_t s;

	put16(d + 26, 0);
	put16(d + 28, 0);
	s = ref_sum(d + 20, 10, ref_sum(d + 12, 8, 0) + 17 + 10);
	put16(d + 28, (uint16_t)(0xffff - s));
	put16(d + 26, 0xffff);
	memcpy(p, d, len);
	put16(p + 26, 0x1234);
	ck_assert_int_eq(vnet_uso_parse(p, len, 2, 20, &u), 0);
	ck_assert_int_eq(u.n, 1);
	ck_assert_uint_eq(vnet_uso_segment(p, &u, 0, out), len);
	ck_assert_mem_eq(out, d, len);
	put16(p + 26, (uint16_t)ref_sum(d + 12, 8, 17 + 10));
	ck_assert_int_eq(vnet_csum_complete(p, len, 20, 6), 0);
	ck_assert_mem_eq(p, d, len);
}
END_TEST

/* vnet_sum() against the reference on every length and odd offsets. */
START_TEST(sum_matches_reference)
{
	uint8_t b[80];
	uint32_t seed = 12345;

	for (size_t i = 0; i < sizeof(b); i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(seed >> 16);
	}
	for (size_t off = 0; off < 3; off++)
		for (size_t n = 0; n + off <= sizeof(b); n++) {
			ck_assert_uint_eq(vnet_sum(b + off, n, 0),
			    ref_sum(b + off, n, 0));
			ck_assert_uint_eq(vnet_sum(b + off, n, 17 + 1400),
			    ref_sum(b + off, n, 17 + 1400));
		}
	memset(b, 0xff, sizeof(b));
	ck_assert_uint_eq(vnet_sum(b, sizeof(b), 0xffff), 0xffff);
}
END_TEST


/*
 * A TCP segment 10.1.0.5:40000 -> 10.2.0.7:5201 (or IPv6) with seq, flags,
 * plen payload bytes (byte k of the stream is (uint8_t)(k * 7)), and
 * optlen bytes of options (a timestamp-like pattern); full checksums.
 */
static size_t
segment(uint8_t *p, int v6, uint16_t id, uint32_t seq, uint8_t flags,
    size_t optlen, size_t plen)
{
	size_t l4 = v6 ? 40 : 20, th = 20 + optlen, tlen = th + plen;
	size_t len = l4 + tlen;
	uint32_t s;

	s = ip_header(p, v6, 6, tlen, id, 0x02, l4 + th);	/* ECT(0) */
	put16(p + l4, 40000);
	put16(p + l4 + 2, 5201);
	p[l4 + 4] = (uint8_t)(seq >> 24); p[l4 + 5] = (uint8_t)(seq >> 16);
	p[l4 + 6] = (uint8_t)(seq >> 8); p[l4 + 7] = (uint8_t)seq;
	p[l4 + 8] = 0x12; p[l4 + 11] = 0x34;	/* ack */
	p[l4 + 12] = (uint8_t)(th / 4 << 4);
	p[l4 + 13] = flags;
	put16(p + l4 + 14, 501);		/* window */
	for (size_t i = 0; i < optlen; i++)
		p[l4 + 20 + i] = (uint8_t)(i == 0 ? 1 : 0x40 + i);
	for (size_t i = 0; i < plen; i++)
		p[l4 + th + i] = (uint8_t)((seq - 1000 + i) * 7);
	s = ref_sum(p + l4, tlen, s + 6 + (uint32_t)tlen);
	put16(p + l4 + 16, (uint16_t)~s);
	return len;
}

static void
check_tso(int v6, size_t optlen, size_t total, size_t mss, uint8_t flags)
{
	static uint8_t sp[65536], want[2048], got[2048];
	size_t l4 = v6 ? 40 : 20, len, at = 0;
	struct vnet_tso t;
	int n = (int)((total + mss - 1) / mss);

	/* the super-packet: the first segment's headers, total lengths;
	 * the kernel leaves the pseudo-header sum, which vnet ignores */
	len = segment(sp, v6, 77, 1000, flags, optlen, total);
	ck_assert_int_eq(vnet_tso_parse(sp, len, mss, l4, &t), 0);
	ck_assert_int_eq(t.n, n);
	ck_assert_uint_eq(t.hlen, l4 + 20 + optlen);
	for (int i = 0; i < n; i++) {
		size_t plen = total - at < mss ? total - at : mss;
		uint8_t f = flags;
		size_t wl, gl;

		if (i != n - 1)
			f &= (uint8_t)~0x09;		/* FIN, PSH */
		if (i != 0)
			f &= (uint8_t)~0x80;		/* CWR */
		wl = segment(want, v6, (uint16_t)(77 + i), (uint32_t)(1000 + at),
		    f, optlen, plen);
		gl = vnet_tso_segment(sp, &t, i, got);
		ck_assert_uint_eq(gl, wl);
		ck_assert_uint_le(gl, t.hlen + t.seg);
		ck_assert_mem_eq(got, want, wl);
		at += plen;
	}
}

START_TEST(tcp_super_packets_cut_back)
{
	check_tso(0, 12, 65000 - 52, 1396 - 12, 0x18);	/* ACK PSH, TS */
	check_tso(0, 0, 3 * 1460, 1460, 0x10);		/* exact multiple */
	check_tso(0, 12, 4001, 1000, 0x99);		/* CWR FIN PSH ACK */
	check_tso(0, 40, 1, 1000, 0x10);		/* one byte, 40 B opts */
	check_tso(1, 12, 20001, 1388, 0x18);
}
END_TEST

START_TEST(malformed_tcp_super_packets_refused)
{
	static uint8_t p[4096];
	struct vnet_tso t;
	size_t len = segment(p, 0, 1, 1000, 0x10, 0, 3000);

	ck_assert_int_eq(vnet_tso_parse(p, len, 1000, 20, &t), 0);
	ck_assert_int_eq(vnet_tso_parse(p, len, 0, 20, &t), -1);
	ck_assert_int_eq(vnet_tso_parse(p, len, 1000, 24, &t), -1);
	ck_assert_int_eq(vnet_tso_parse(p, len, 10, 20, &t), -1); /* > 128 */
	ck_assert_int_eq(vnet_tso_parse(p, len - 1, 1000, 20, &t), -1);
	p[33] = 0x12;					/* SYN */
	ck_assert_int_eq(vnet_tso_parse(p, len, 1000, 20, &t), -1);
	p[33] = 0x14;					/* RST */
	ck_assert_int_eq(vnet_tso_parse(p, len, 1000, 20, &t), -1);
	p[33] = 0x10;
	p[32] = 0x40;					/* 16-byte header */
	ck_assert_int_eq(vnet_tso_parse(p, len, 1000, 20, &t), -1);
	p[32] = 0xf0;					/* 60 bytes: fits */
	ck_assert_int_eq(vnet_tso_parse(p, len, 1000, 20, &t), 0);
	len = segment(p, 0, 1, 1000, 0x10, 0, 0);	/* no payload */
	ck_assert_int_eq(vnet_tso_parse(p, len, 1000, 20, &t), -1);
	len = segment(p, 0, 1, 1000, 0x10, 20, 10);
	p[32] = 0xf0;					/* header past the end */
	ck_assert_int_eq(vnet_tso_parse(p, len, 1000, 20, &t), -1);
	len = segment(p, 0, 1, 1000, 0x10, 0, 100);
	p[9] = 17;
	ck_assert_int_eq(vnet_tso_parse(p, len, 1000, 20, &t), -1);
}
END_TEST

START_TEST(tcp_segments_joined_only_in_sequence)
{
	static uint8_t a[2048], b[2048];
	size_t la, lb, h;

	la = segment(a, 0, 1, 1000, 0x10, 12, 1384);
	ck_assert_uint_eq(vnet_tcp_gro_hlen(a, la), 52);
	lb = segment(b, 0, 2, 1000 + 1384, 0x10, 12, 1384);
	h = vnet_tcp_gro_hlen(b, lb);
	ck_assert_uint_eq(h, 52);
	ck_assert_int_eq(vnet_tcp_follows(a, b, h, 1384), 1);
	ck_assert_int_eq(vnet_tcp_follows(a, b, h, 1383), 0);	/* a gap */
	ck_assert_int_eq(vnet_tcp_follows(a, b, h, 2768), 0);
	lb = segment(b, 0, 2, 1000 + 1384, 0x18, 12, 100);	/* push */
	ck_assert_int_eq(vnet_tcp_follows(a, b, h, 1384), 1);
	b[30]++;						/* ack */
	ck_assert_int_eq(vnet_tcp_follows(a, b, h, 1384), 0);
	b[30]--;
	b[35]++;						/* window */
	ck_assert_int_eq(vnet_tcp_follows(a, b, h, 1384), 0);
	b[35]--;
	b[45]++;						/* options */
	ck_assert_int_eq(vnet_tcp_follows(a, b, h, 1384), 0);
	b[45]--;
	b[21]++;						/* port */
	ck_assert_int_eq(vnet_tcp_follows(a, b, h, 1384), 0);
	b[21]--;
	b[1] = 0x03;						/* CE */
	ck_assert_int_eq(vnet_tcp_follows(a, b, h, 1384), 0);
	b[1] = 0x02;
	b[33] = 0x50;						/* ECE */
	ck_assert_int_eq(vnet_tcp_follows(a, b, h, 1384), 0);
	/* not joinable at all */
	la = segment(a, 0, 1, 1000, 0x11, 12, 10);		/* FIN */
	ck_assert_uint_eq(vnet_tcp_gro_hlen(a, la), 0);
	la = segment(a, 0, 1, 1000, 0x90, 12, 10);		/* CWR */
	ck_assert_uint_eq(vnet_tcp_gro_hlen(a, la), 0);
	la = segment(a, 0, 1, 1000, 0x02, 0, 10);		/* SYN */
	ck_assert_uint_eq(vnet_tcp_gro_hlen(a, la), 0);
	la = segment(a, 0, 1, 1000, 0x10, 12, 0);		/* no data */
	ck_assert_uint_eq(vnet_tcp_gro_hlen(a, la), 0);
	la = segment(a, 0, 1, 1000, 0x10, 12, 10);
	a[6] = 0;						/* no DF */
	ck_assert_uint_eq(vnet_tcp_gro_hlen(a, la), 0);
	a[6] = 0x40;
	ck_assert_uint_eq(vnet_tcp_gro_hlen(a, la - 1), 0);	/* length */
	la = segment(a, 1, 1, 1000, 0x10, 12, 10);		/* IPv6 */
	ck_assert_uint_eq(vnet_tcp_gro_hlen(a, la), 0);
}
END_TEST

static Suite *
vnet_suite(void)
{
	Suite *s = suite_create("vnet");
	TCase *tc = tcase_create("vnet");

	tcase_add_test(tc, ipv4_super_packets_cut_back);
	tcase_add_test(tc, ipv6_super_packets_cut_back);
	tcase_add_test(tc, malformed_super_packets_refused);
	tcase_add_test(tc, partial_checksums_completed);
	tcase_add_test(tc, zero_checksum_sent_as_ffff);
	tcase_add_test(tc, sum_matches_reference);
	tcase_add_test(tc, tcp_super_packets_cut_back);
	tcase_add_test(tc, malformed_tcp_super_packets_refused);
	tcase_add_test(tc, tcp_segments_joined_only_in_sequence);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(vnet_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
