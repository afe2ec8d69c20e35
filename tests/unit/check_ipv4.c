/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests for lib/ipv4.c: hand-built packets for
 * every class (IKE on 500 and 4500, NAT keepalive, ESP in UDP, raw ESP,
 * ICMP, TCP, fragments), each header rejection, and the policy matrix.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <check.h>

#include "buf.h"
#include "conf.h"
#include "ipv4.h"

#define P_ICMP		1
#define P_TCP		6
#define P_UDP		17
#define P_GRE		47
#define P_ESP		50

#define F_DF		0x4000
#define F_MF		0x2000

struct pkt {
	uint8_t		b[256];
	size_t		len;
};

/*
 * IPv4 192.0.2.1 -> 198.51.100.2, ttl 64, with opt_words 32-bit words of
 * NOP options and the given payload; total length is right.
 */
static void
ip_build(struct pkt *k, uint8_t proto, uint16_t frag, size_t opt_words,
    const void *payload, size_t n)
{
	struct buf_wr w;
	size_t i;

	buf_wr_init(&w, k->b, sizeof(k->b));
	wr_u8(&w, (uint8_t)(0x40 | (5 + opt_words)));
	wr_u8(&w, 0);
	wr_u16be(&w, (uint16_t)(20 + opt_words * 4 + n));
	wr_u16be(&w, 0x1234);
	wr_u16be(&w, frag);
	wr_u8(&w, 64);
	wr_u8(&w, proto);
	wr_u16be(&w, 0);
	wr_u32be(&w, 0xc0000201);
	wr_u32be(&w, 0xc6336402);
	for (i = 0; i < opt_words * 4; i++)
		wr_u8(&w, 0x01);
	wr_bytes(&w, payload, n);
	ck_assert_ptr_null(w.err);
	k->len = w.off;
}

/* A UDP header and payload, as the payload of ip_build(). */
static size_t
udp_build(uint8_t *p, size_t cap, uint16_t sport, uint16_t dport,
    const void *payload, size_t n)
{
	struct buf_wr w;

	buf_wr_init(&w, p, cap);
	wr_u16be(&w, sport);
	wr_u16be(&w, dport);
	wr_u16be(&w, (uint16_t)(8 + n));
	wr_u16be(&w, 0);
	wr_bytes(&w, payload, n);
	ck_assert_ptr_null(w.err);
	return w.off;
}

static void
udp_pkt(struct pkt *k, uint16_t frag, uint16_t sport, uint16_t dport,
    const void *payload, size_t n)
{
	uint8_t u[200];
	size_t un;

	un = udp_build(u, sizeof(u), sport, dport, payload, n);
	ip_build(k, P_UDP, frag, 0, u, un);
}

/* Parses from a heap copy of exactly n bytes, so ASan sees over-reads. */
static int
parse(const uint8_t *p, size_t n, struct ipv4_info *info, const char **why)
{
	uint8_t *copy = malloc(n > 0 ? n : 1);
	int rv;

	ck_assert_ptr_nonnull(copy);
	if (n > 0)
		memcpy(copy, p, n);
	*why = NULL;
	rv = ipv4_parse(copy, n, info, why);
	free(copy);
	return rv;
}

static void
parse_ok(const struct pkt *k, struct ipv4_info *info)
{
	const char *why;

	ck_assert_msg(parse(k->b, k->len, info, &why) == 0, "parse: %s", why);
}

static void
parse_fails(const uint8_t *p, size_t n, const char *want)
{
	struct ipv4_info info;
	const char *why;

	ck_assert_int_eq(parse(p, n, &info, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, want);
}

static const uint8_t ike_spi[] = {
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,	/* SPIi */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* SPIr */
	0x21, 0x20, 0x22, 0x08,			/* next, ver, IKE_SA_INIT */
};

/* IKE_SA_INIT start on UDP 500, written out by hand. */
static const uint8_t g_ike500[] = {
	0x45, 0x00, 0x00, 0x24, 0x12, 0x34, 0x00, 0x00,	/* len 36 */
	0x40, 0x11, 0x00, 0x00,				/* ttl 64, UDP */
	0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x02,
	0x01, 0xf4, 0x01, 0xf4, 0x00, 0x10, 0x00, 0x00,	/* 500 -> 500 */
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,	/* SPIi */
};

START_TEST(parse_reads_header_fields)
{
	struct ipv4_info info;
	const char *why;

	ck_assert_int_eq(parse(g_ike500, sizeof(g_ike500), &info, &why), 0);
	ck_assert_uint_eq(ntohl(info.src.s_addr), 0xc0000201);
	ck_assert_uint_eq(ntohl(info.dst.s_addr), 0xc6336402);
	ck_assert_uint_eq(info.proto, P_UDP);
	ck_assert_uint_eq(info.ttl, 64);
	ck_assert_uint_eq(info.total_len, sizeof(g_ike500));
	ck_assert_uint_eq(info.sport, 500);
	ck_assert_uint_eq(info.dport, 500);
	ck_assert_uint_eq(info.ike_spi_i, 0x0102030405060708ULL);
	ck_assert_uint_eq(info.spi, 0);
	ck_assert(!info.fragment);
	ck_assert(!info.later_fragment);
	ck_assert_int_eq(info.cls, IPV4_IKE);
}
END_TEST

START_TEST(classifies_ike_port_500)
{
	struct ipv4_info info;
	struct pkt k;

	udp_pkt(&k, 0, 40000, 500, ike_spi, sizeof(ike_spi));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_IKE);
	ck_assert_uint_eq(info.sport, 40000);
	ck_assert_uint_eq(info.ike_spi_i, 0x0102030405060708ULL);

	udp_pkt(&k, 0, 500, 40000, ike_spi, sizeof(ike_spi));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_IKE);
	ck_assert_uint_eq(info.ike_spi_i, 0x0102030405060708ULL);

	/* Too short for an SPI: still IKE, SPI unknown. */
	udp_pkt(&k, 0, 500, 500, ike_spi, 7);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_IKE);
	ck_assert_uint_eq(info.ike_spi_i, 0);
	udp_pkt(&k, 0, 500, 500, NULL, 0);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_IKE);

	/* 500 wins over 4500, whatever the payload looks like. */
	udp_pkt(&k, 0, 500, 4500, "\xde\xad\xbe\xef\0\0\0\1", 8);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_IKE);
	ck_assert_uint_eq(info.spi, 0);
}
END_TEST

START_TEST(classifies_ike_4500_non_esp_marker)
{
	uint8_t pl[4 + sizeof(ike_spi)] = { 0, 0, 0, 0 };
	struct ipv4_info info;
	struct pkt k;

	memcpy(pl + 4, ike_spi, sizeof(ike_spi));
	udp_pkt(&k, 0, 4500, 4500, pl, sizeof(pl));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_IKE);
	ck_assert_uint_eq(info.sport, 4500);
	ck_assert_uint_eq(info.dport, 4500);
	ck_assert_uint_eq(info.ike_spi_i, 0x0102030405060708ULL);
	ck_assert_uint_eq(info.spi, 0);

	udp_pkt(&k, 0, 33000, 4500, pl, 4 + 7);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_IKE);
	ck_assert_uint_eq(info.ike_spi_i, 0);

	udp_pkt(&k, 0, 4500, 33000, pl, 4);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_IKE);
}
END_TEST

START_TEST(classifies_natt_keepalive)
{
	struct ipv4_info info;
	struct pkt k;

	udp_pkt(&k, 0, 4500, 4500, "\xff", 1);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_IKE);
	ck_assert_uint_eq(info.ike_spi_i, 0);
	ck_assert_uint_eq(info.spi, 0);

	udp_pkt(&k, 0, 4500, 1024, "\xff", 1);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_IKE);

	/* Anything else under 4 bytes is neither IKE nor ESP. */
	udp_pkt(&k, 0, 4500, 4500, "\x00", 1);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
	udp_pkt(&k, 0, 4500, 4500, "\xff\xff", 2);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
	udp_pkt(&k, 0, 4500, 4500, NULL, 0);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
}
END_TEST

START_TEST(classifies_esp_in_udp)
{
	static const uint8_t esp[] = {
		0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x01,
		0x55, 0x55, 0x55, 0x55,
	};
	struct ipv4_info info;
	struct pkt k;

	udp_pkt(&k, 0, 4500, 4500, esp, sizeof(esp));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_ESP_UDP);
	ck_assert_uint_eq(info.spi, 0xdeadbeef);
	ck_assert_uint_eq(info.ike_spi_i, 0);

	udp_pkt(&k, 0, 61000, 4500, esp, 8);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_ESP_UDP);
	ck_assert_uint_eq(info.spi, 0xdeadbeef);

	/* A non-zero SPI with no room for the sequence number. */
	udp_pkt(&k, 0, 4500, 4500, esp, 7);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
	ck_assert_uint_eq(info.spi, 0);
	udp_pkt(&k, 0, 4500, 4500, esp, 4);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
}
END_TEST

START_TEST(classifies_raw_esp)
{
	static const uint8_t esp[] = {
		0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x09, 0xaa,
	};
	struct ipv4_info info;
	struct pkt k;

	ip_build(&k, P_ESP, 0, 0, esp, sizeof(esp));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_ESP);
	ck_assert_uint_eq(info.proto, P_ESP);
	ck_assert_uint_eq(info.spi, 0x01020304);
	ck_assert_uint_eq(info.sport, 0);
	ck_assert_uint_eq(info.dport, 0);

	ip_build(&k, P_ESP, 0, 0, esp, 8);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_ESP);

	ip_build(&k, P_ESP, 0, 0, esp, 7);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
	ck_assert_uint_eq(info.spi, 0);
}
END_TEST

START_TEST(classifies_icmp)
{
	static const uint8_t echo[] = {
		0x08, 0x00, 0xf7, 0xff, 0x00, 0x01, 0x00, 0x00,
	};
	struct ipv4_info info;
	struct pkt k;

	ip_build(&k, P_ICMP, 0, 0, echo, sizeof(echo));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_ICMP);
	ck_assert_uint_eq(info.sport, 0);

	ip_build(&k, P_ICMP, 0, 0, NULL, 0);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_ICMP);
}
END_TEST

START_TEST(classifies_tcp_as_other_with_ports)
{
	static const uint8_t tcp[] = {
		0xc7, 0x38, 0x01, 0xbb, 0x00, 0x00, 0x00, 0x00,
	};
	struct ipv4_info info;
	struct pkt k;

	ip_build(&k, P_TCP, 0, 0, tcp, sizeof(tcp));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
	ck_assert_uint_eq(info.sport, 51000);
	ck_assert_uint_eq(info.dport, 443);

	ip_build(&k, P_TCP, 0, 0, tcp, 4);
	parse_ok(&k, &info);
	ck_assert_uint_eq(info.dport, 443);

	ip_build(&k, P_TCP, 0, 0, tcp, 3);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
	ck_assert_uint_eq(info.sport, 0);
	ck_assert_uint_eq(info.dport, 0);

	/* TCP to 500 is not IKE. */
	ip_build(&k, P_TCP, 0, 0, "\x01\xf4\x01\xf4", 4);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
}
END_TEST

START_TEST(classifies_other_udp_and_protocols)
{
	struct ipv4_info info;
	struct pkt k;

	udp_pkt(&k, 0, 5353, 53, "abcdefgh", 8);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
	ck_assert_uint_eq(info.sport, 5353);
	ck_assert_uint_eq(info.dport, 53);

	ip_build(&k, P_GRE, 0, 0, "\0\0\x08\0", 4);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
	ck_assert_uint_eq(info.proto, P_GRE);

	ip_build(&k, 0, 0, 0, NULL, 0);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
}
END_TEST

START_TEST(short_udp_header_is_other)
{
	static const uint8_t u[] = { 0x01, 0xf4, 0x01, 0xf4, 0x00, 0x08, 0x00 };
	struct ipv4_info info;
	struct pkt k;
	size_t n;

	for (n = 0; n < sizeof(u); n++) {
		ip_build(&k, P_UDP, 0, 0, u, n);
		parse_ok(&k, &info);
		ck_assert_int_eq(info.cls, IPV4_OTHER);
		ck_assert_uint_eq(info.sport, 0);
		ck_assert_uint_eq(info.dport, 0);
	}
}
END_TEST

START_TEST(first_fragment_reads_transport_header)
{
	static const uint8_t esp[] = {
		0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x01,
	};
	struct ipv4_info info;
	struct pkt k;

	udp_pkt(&k, F_MF, 4500, 4500, esp, sizeof(esp));
	parse_ok(&k, &info);
	ck_assert(info.fragment);
	ck_assert(!info.later_fragment);
	ck_assert_int_eq(info.cls, IPV4_ESP_UDP);
	ck_assert_uint_eq(info.spi, 0x11223344);
	ck_assert_uint_eq(info.sport, 4500);

	/* DF alone is not a fragment. */
	udp_pkt(&k, F_DF, 4500, 4500, esp, sizeof(esp));
	parse_ok(&k, &info);
	ck_assert(!info.fragment);
	ck_assert_int_eq(info.cls, IPV4_ESP_UDP);
}
END_TEST

START_TEST(later_fragment_goes_by_protocol)
{
	/* Payload bytes that would read as UDP 500 -> 500 if parsed. */
	static const uint8_t looks_ike[] = {
		0x01, 0xf4, 0x01, 0xf4, 0x00, 0x10, 0x00, 0x00,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	};
	static const uint16_t frags[] = { 185, F_MF | 185, 0x1fff, F_DF | 1 };
	struct ipv4_info info;
	struct pkt k;
	size_t i;

	for (i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
		ip_build(&k, P_UDP, frags[i], 0, looks_ike, sizeof(looks_ike));
		parse_ok(&k, &info);
		ck_assert(info.fragment);
		ck_assert(info.later_fragment);
		ck_assert_int_eq(info.cls, IPV4_IKE);
		ck_assert_uint_eq(info.sport, 0);
		ck_assert_uint_eq(info.dport, 0);
		ck_assert_uint_eq(info.ike_spi_i, 0);

		ip_build(&k, P_ESP, frags[i], 0, looks_ike, sizeof(looks_ike));
		parse_ok(&k, &info);
		ck_assert_int_eq(info.cls, IPV4_ESP);
		ck_assert_uint_eq(info.spi, 0);

		ip_build(&k, P_ICMP, frags[i], 0, looks_ike, 3);
		parse_ok(&k, &info);
		ck_assert_int_eq(info.cls, IPV4_ICMP);

		ip_build(&k, P_TCP, frags[i], 0, looks_ike, sizeof(looks_ike));
		parse_ok(&k, &info);
		ck_assert_int_eq(info.cls, IPV4_OTHER);
		ck_assert_uint_eq(info.sport, 0);

		/* Nothing after the header is needed. */
		ip_build(&k, P_UDP, frags[i], 0, NULL, 0);
		parse_ok(&k, &info);
		ck_assert_int_eq(info.cls, IPV4_IKE);
	}
}
END_TEST

START_TEST(skips_ip_options)
{
	uint8_t u[64];
	struct ipv4_info info;
	struct pkt k;
	size_t un, words;

	un = udp_build(u, sizeof(u), 40000, 500, ike_spi, sizeof(ike_spi));
	for (words = 1; words <= 10; words++) {
		ip_build(&k, P_UDP, 0, words, u, un);
		parse_ok(&k, &info);
		ck_assert_int_eq(info.cls, IPV4_IKE);
		ck_assert_uint_eq(info.dport, 500);
		ck_assert_uint_eq(info.ike_spi_i, 0x0102030405060708ULL);
	}
	/* Options fill the packet: no UDP header left. */
	ip_build(&k, P_UDP, 0, 10, NULL, 0);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
}
END_TEST

START_TEST(rejects_bad_version)
{
	static const uint8_t versions[] = { 0, 4 + 2, 15 };
	uint8_t p[sizeof(g_ike500)];
	size_t i;

	for (i = 0; i < sizeof(versions); i++) {
		memcpy(p, g_ike500, sizeof(p));
		p[0] = (uint8_t)(versions[i] << 4 | 5);
		parse_fails(p, sizeof(p), "not ipv4");
	}
}
END_TEST

START_TEST(rejects_bad_ihl)
{
	uint8_t p[sizeof(g_ike500)];
	struct ipv4_info info;
	const char *why;
	uint8_t ihl;

	for (ihl = 0; ihl < 5; ihl++) {
		memcpy(p, g_ike500, sizeof(p));
		p[0] = (uint8_t)(0x40 | ihl);
		parse_fails(p, sizeof(p), "header length under 20");
	}
	/* 36 bytes: IHL 9 (36) fits, 10 (40) does not. */
	memcpy(p, g_ike500, sizeof(p));
	p[0] = 0x49;
	ck_assert_int_eq(parse(p, sizeof(p), &info, &why), 0);
	ck_assert_int_eq(info.cls, IPV4_OTHER);
	for (ihl = 10; ihl <= 15; ihl++) {
		p[0] = (uint8_t)(0x40 | ihl);
		parse_fails(p, sizeof(p), "header length beyond packet");
	}
}
END_TEST

START_TEST(rejects_length_mismatch)
{
	static const uint16_t lens[] = { 0, 20, 35, 37, 0xffff };
	uint8_t p[sizeof(g_ike500) + 1];
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memcpy(p, g_ike500, sizeof(g_ike500));
		p[2] = (uint8_t)(lens[i] >> 8);
		p[3] = (uint8_t)lens[i];
		parse_fails(p, sizeof(g_ike500), "length mismatch");
	}
	/* A trailing byte the header does not count. */
	memcpy(p, g_ike500, sizeof(g_ike500));
	p[sizeof(g_ike500)] = 0;
	parse_fails(p, sizeof(p), "length mismatch");
}
END_TEST

START_TEST(rejects_oversized_packet)
{
	size_t n = 65536;
	uint8_t *p = calloc(1, n);

	ck_assert_ptr_nonnull(p);
	memcpy(p, g_ike500, sizeof(g_ike500));
	p[2] = 0xff;
	p[3] = 0xff;
	parse_fails(p, n, "length mismatch");
	free(p);
}
END_TEST

START_TEST(rejects_truncated_at_every_offset)
{
	size_t n;

	for (n = 0; n < 20; n++)
		parse_fails(g_ike500, n, "truncated");
	for (; n < sizeof(g_ike500); n++)
		parse_fails(g_ike500, n, "length mismatch");
}
END_TEST

START_TEST(rejects_null_input)
{
	struct ipv4_info info;
	const char *why;

	ck_assert_int_eq(ipv4_parse(NULL, 0, &info, &why), -1);
	ck_assert_str_eq(why, "truncated");
}
END_TEST

/*
 * Expected verdicts, one row per class, one column per fwd value below;
 * written out by hand from the policy, not computed.
 */
static const unsigned fwd_cols[] = {
	0,
	CONF_FWD_IKE,
	CONF_FWD_ESP,
	CONF_FWD_ICMP,
	CONF_FWD_ALL,
	CONF_FWD_IKE | CONF_FWD_ESP,
	CONF_FWD_ESP | CONF_FWD_ICMP,
	CONF_FWD_IKE | CONF_FWD_ICMP,
	CONF_FWD_IKE | CONF_FWD_ESP | CONF_FWD_ICMP,
	CONF_FWD_IKE | CONF_FWD_ESP | CONF_FWD_ICMP | CONF_FWD_ALL,
};

static const struct {
	enum ipv4_class	 cls;
	const char	*allow;		/* 'Y' or 'N' per fwd_cols entry */
} policy[] = {
	{ IPV4_IKE,	"NYNNYYNYYY" },
	{ IPV4_ESP_UDP,	"NYYNYYYYYY" },
	{ IPV4_ESP,	"NNYNYYYNYY" },
	{ IPV4_ICMP,	"NNNYYNYYYY" },
	{ IPV4_OTHER,	"NNNNYNNNNY" },
};
#define NPOLICY	((int)(sizeof(policy) / sizeof(policy[0])))

START_TEST(policy_matrix)
{
	struct ipv4_info info;
	size_t c;

	ck_assert_uint_eq(strlen(policy[_i].allow),
	    sizeof(fwd_cols) / sizeof(fwd_cols[0]));
	memset(&info, 0, sizeof(info));
	info.cls = policy[_i].cls;
	for (c = 0; c < sizeof(fwd_cols) / sizeof(fwd_cols[0]); c++)
		ck_assert_msg(ipv4_policy_allows(&info, fwd_cols[c]) ==
		    (policy[_i].allow[c] == 'Y'), "%s with fwd %#x",
		    ipv4_class_name(info.cls), fwd_cols[c]);
}
END_TEST

START_TEST(policy_applies_to_parsed_packets)
{
	static const uint8_t esp[] = { 1, 2, 3, 4, 0, 0, 0, 1 };
	unsigned def = CONF_FWD_IKE | CONF_FWD_ESP | CONF_FWD_ICMP;
	struct ipv4_info info;
	struct pkt k;

	ck_assert(ipv4_policy_allows(&(struct ipv4_info){ .cls = IPV4_IKE },
	    CONF_FWD_IKE));
	udp_pkt(&k, 0, 4500, 4500, esp, sizeof(esp));
	parse_ok(&k, &info);
	ck_assert(ipv4_policy_allows(&info, CONF_FWD_ESP));
	ck_assert(ipv4_policy_allows(&info, CONF_FWD_IKE));
	ck_assert(!ipv4_policy_allows(&info, CONF_FWD_ICMP));
	udp_pkt(&k, 0, 5353, 53, esp, sizeof(esp));
	parse_ok(&k, &info);
	ck_assert(!ipv4_policy_allows(&info, def));
	ck_assert(ipv4_policy_allows(&info, CONF_FWD_ALL));
}
END_TEST

START_TEST(class_names)
{
	ck_assert_str_eq(ipv4_class_name(IPV4_IKE), "ike");
	ck_assert_str_eq(ipv4_class_name(IPV4_ESP_UDP), "esp-udp");
	ck_assert_str_eq(ipv4_class_name(IPV4_ESP), "esp");
	ck_assert_str_eq(ipv4_class_name(IPV4_ICMP), "icmp");
	ck_assert_str_eq(ipv4_class_name(IPV4_OTHER), "other");
}
END_TEST


/* --- TCP MSS clamping --- */

/* The one's complement sum of n bytes plus sum, folded, not complemented. */
static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* Whether the TCP checksum of the IPv4 (hl 20) or IPv6 packet verifies. */
static bool
tcp_sum_ok(const uint8_t *ip, size_t len)
{
	size_t hl = ip[0] >> 4 == 4 ? 20 : 40;
	uint32_t s = ip[0] >> 4 == 4 ? sum16(ip + 12, 8, 0) :
	    sum16(ip + 8, 32, 0);

	s = sum16(ip + hl, len - hl, s + 6 + (uint32_t)(len - hl));
	return s == 0xffff;
}

/* Sets the TCP checksum of the packet right. */
static void
tcp_sum_set(uint8_t *ip, size_t len)
{
	size_t hl = ip[0] >> 4 == 4 ? 20 : 40;
	uint32_t s = ip[0] >> 4 == 4 ? sum16(ip + 12, 8, 0) :
	    sum16(ip + 8, 32, 0);

	ip[hl + 16] = ip[hl + 17] = 0;
	s = (uint16_t)~sum16(ip + hl, len - hl, s + 6 + (uint32_t)(len - hl));
	ip[hl + 16] = (uint8_t)(s >> 8);
	ip[hl + 17] = (uint8_t)s;
}

/*
 * A TCP segment (flags, the options opt of optn bytes, a multiple of 4,
 * 10 bytes of payload) in IPv4 (v6 false) or IPv6, checksum right.
 */
static size_t
tcp_pkt(uint8_t *p, bool v6, uint8_t flags, const uint8_t *opt, size_t optn)
{
	size_t hl = v6 ? 40 : 20, tl = 20 + optn + 10, len = hl + tl;

	memset(p, 0, len);
	if (v6) {
		p[0] = 0x60;
		p[4] = (uint8_t)(tl >> 8);
		p[5] = (uint8_t)tl;
		p[6] = 6;
		p[7] = 64;
		p[8] = 0xfd;
		p[23] = 1;
		p[24] = 0xfd;
		p[39] = 2;
	} else {
		p[0] = 0x45;
		p[2] = (uint8_t)(len >> 8);
		p[3] = (uint8_t)len;
		p[6] = 0x40;			/* DF */
		p[8] = 64;
		p[9] = 6;
		memcpy(p + 12, "\x0a\x01\x00\x0a\x0a\x02\x00\x0a", 8);
	}
	p[hl] = 0x9c;				/* source port 40000 */
	p[hl + 1] = 0x40;
	p[hl + 3] = 80;
	p[hl + 4] = 0x12;			/* a sequence number */
	p[hl + 12] = (uint8_t)(((20 + optn) / 4) << 4);
	p[hl + 13] = flags;
	p[hl + 14] = 0xfa;			/* window */
	memcpy(p + hl + 20, opt, optn);
	for (size_t i = 0; i < 10; i++)
		p[hl + 20 + optn + i] = (uint8_t)(0xa0 + i * 7);
	tcp_sum_set(p, len);
	return len;
}

/* MSS 1460 first (even offset), and after one NOP (odd offset). */
static const uint8_t opt_even[] = {
	0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
};
static const uint8_t opt_odd[] = {
	0x01, 0x02, 0x04, 0x05, 0xb4, 0x01, 0x03, 0x03, 0x07, 0x00, 0x00, 0x00,
};

START_TEST(mss_clamp_lowers_syn_mss_keeping_checksum)
{
	static const struct {
		const uint8_t	*opt;
		size_t		 n, at;		/* the MSS value's offset */
	} o[] = {
		{ opt_even, sizeof(opt_even), 22 },
		{ opt_odd, sizeof(opt_odd), 23 },
	};
	uint8_t p[200], before[200];

	for (int v6 = 0; v6 <= 1; v6++)
		for (size_t i = 0; i < 2; i++)
			for (int f = 0; f < 2; f++) {	/* SYN, SYN-ACK */
				size_t hl = v6 ? 40 : 20;
				size_t len = tcp_pkt(p, v6, f ? 0x12 : 0x02,
				    o[i].opt, o[i].n);
				size_t want = 1436 - hl - 20;

				ck_assert(tcp_sum_ok(p, len));
				memcpy(before, p, len);
				ck_assert_int_eq(ip_tcp_mss_clamp(p, len, 1436),
				    1);
				ck_assert_uint_eq((size_t)(p[hl + o[i].at] << 8 |
				    p[hl + o[i].at + 1]), want);
				ck_assert_msg(tcp_sum_ok(p, len),
				    "checksum v6 %d layout %zu", v6, i);
				/* nothing else changed */
				for (size_t k = 0; k < len; k++)
					if (k != hl + o[i].at &&
					    k != hl + o[i].at + 1 &&
					    k != hl + 16 && k != hl + 17)
						ck_assert_uint_eq(p[k],
						    before[k]);
				/* a second pass has nothing to do */
				ck_assert_int_eq(ip_tcp_mss_clamp(p, len, 1436),
				    0);
			}
}
END_TEST

START_TEST(mss_clamp_leaves_the_rest_alone)
{
	static const uint8_t bad_len[] = { 0x08, 0x00, 0x02, 0x04, 0x05, 0xb4,
	    0x00, 0x00 };			/* option length 0, then MSS */
	static const uint8_t too_long[] = { 0x01, 0x01, 0x01, 0x08, 0x09,
	    0x00, 0x00, 0x00 };			/* runs past the header */
	static const uint8_t after_end[] = { 0x00, 0x02, 0x04, 0x05, 0xb4,
	    0x00, 0x00, 0x00 };			/* MSS after end of options */
	uint8_t p[200], before[200];
	size_t len;

	/* the MSS fits already */
	len = tcp_pkt(p, false, 0x02, opt_even, sizeof(opt_even));
	memcpy(before, p, len);
	ck_assert_int_eq(ip_tcp_mss_clamp(p, len, 1500), 0);
	ck_assert_mem_eq(p, before, len);
	/* not a SYN */
	len = tcp_pkt(p, false, 0x10, opt_even, sizeof(opt_even));
	memcpy(before, p, len);
	ck_assert_int_eq(ip_tcp_mss_clamp(p, len, 1000), 0);
	ck_assert_mem_eq(p, before, len);
	/* an IPv4 fragment */
	len = tcp_pkt(p, false, 0x02, opt_even, sizeof(opt_even));
	p[6] = 0x20;
	memcpy(before, p, len);
	ck_assert_int_eq(ip_tcp_mss_clamp(p, len, 1000), 0);
	ck_assert_mem_eq(p, before, len);
	/* not TCP */
	len = tcp_pkt(p, false, 0x02, opt_even, sizeof(opt_even));
	p[9] = 17;
	memcpy(before, p, len);
	ck_assert_int_eq(ip_tcp_mss_clamp(p, len, 1000), 0);
	ck_assert_mem_eq(p, before, len);
	/* malformed options, and an MSS after the end of the list */
	len = tcp_pkt(p, false, 0x02, bad_len, sizeof(bad_len));
	memcpy(before, p, len);
	ck_assert_int_eq(ip_tcp_mss_clamp(p, len, 1000), 0);
	ck_assert_mem_eq(p, before, len);
	len = tcp_pkt(p, false, 0x02, too_long, sizeof(too_long));
	ck_assert_int_eq(ip_tcp_mss_clamp(p, len, 1000), 0);
	len = tcp_pkt(p, true, 0x02, after_end, sizeof(after_end));
	ck_assert_int_eq(ip_tcp_mss_clamp(p, len, 1000), 0);
	/* a data offset beyond the packet */
	len = tcp_pkt(p, false, 0x02, opt_even, sizeof(opt_even));
	p[20 + 12] = 0xf0;
	ck_assert_int_eq(ip_tcp_mss_clamp(p, 20 + 40, 1000), 0);
	/* truncated anywhere: no read past the end (ASan), nothing done */
	len = tcp_pkt(p, false, 0x02, opt_even, sizeof(opt_even));
	for (size_t n = 0; n < 20 + 20 + 4; n++) {
		uint8_t *c = malloc(n > 0 ? n : 1);

		ck_assert_ptr_nonnull(c);
		memcpy(c, p, n);
		ck_assert_int_eq(ip_tcp_mss_clamp(c, n, 1000), 0);
		free(c);
	}
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
ipv4_suite(void)
{
	Suite *s = suite_create("ipv4");
	TCase *tc;

	add(s, "parse_reads_header_fields", parse_reads_header_fields);
	add(s, "classifies_ike_port_500", classifies_ike_port_500);
	add(s, "classifies_ike_4500_non_esp_marker",
	    classifies_ike_4500_non_esp_marker);
	add(s, "classifies_natt_keepalive", classifies_natt_keepalive);
	add(s, "classifies_esp_in_udp", classifies_esp_in_udp);
	add(s, "classifies_raw_esp", classifies_raw_esp);
	add(s, "classifies_icmp", classifies_icmp);
	add(s, "classifies_tcp_as_other_with_ports",
	    classifies_tcp_as_other_with_ports);
	add(s, "classifies_other_udp_and_protocols",
	    classifies_other_udp_and_protocols);
	add(s, "short_udp_header_is_other", short_udp_header_is_other);
	add(s, "first_fragment_reads_transport_header",
	    first_fragment_reads_transport_header);
	add(s, "later_fragment_goes_by_protocol",
	    later_fragment_goes_by_protocol);
	add(s, "skips_ip_options", skips_ip_options);
	add(s, "rejects_bad_version", rejects_bad_version);
	add(s, "rejects_bad_ihl", rejects_bad_ihl);
	add(s, "rejects_length_mismatch", rejects_length_mismatch);
	add(s, "rejects_oversized_packet", rejects_oversized_packet);
	add(s, "rejects_truncated_at_every_offset",
	    rejects_truncated_at_every_offset);
	add(s, "rejects_null_input", rejects_null_input);

	tc = tcase_create("policy_matrix");
	tcase_add_loop_test(tc, policy_matrix, 0, NPOLICY);
	suite_add_tcase(s, tc);
	add(s, "policy_applies_to_parsed_packets",
	    policy_applies_to_parsed_packets);
	add(s, "class_names", class_names);
	add(s, "mss_clamp_lowers_syn_mss_keeping_checksum",
	    mss_clamp_lowers_syn_mss_keeping_checksum);
	add(s, "mss_clamp_leaves_the_rest_alone",
	    mss_clamp_leaves_the_rest_alone);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ipv4_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
