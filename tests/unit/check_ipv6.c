/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests for lib/ipv6.c and lib/ipaddr.c: hand-built
 * IPv6 packets for every class (IKE on 500 and 4500, NAT keepalive, ESP in
 * UDP, ESP after extension headers, ICMPv6, TCP, fragments), each header
 * and chain rejection, truncation at every offset, the policy, the Packet
 * Too Big builder; RFC 5952 printing and prefix parsing of both families.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <check.h>

#include "buf.h"
#include "conf.h"
#include "ipaddr.h"
#include "ipv6.h"

struct pkt {
	uint8_t		b[2048];
	size_t		len;
};

static const uint8_t SRC[16] = { 0xfd, 0, 0, 0xa, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 1 };
static const uint8_t DST[16] = { 0xfd, 0, 0, 0xb, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 2 };

/*
 * An IPv6 packet fd00:a::1 -> fd00:b::2, hop limit 64, next header nh,
 * with payload (extension headers and upper layer) of n bytes.
 */
static void
ip_build(struct pkt *k, uint8_t nh, const void *payload, size_t n)
{
	struct buf_wr w;

	buf_wr_init(&w, k->b, sizeof(k->b));
	wr_u32be(&w, 0x60012345);
	wr_u16be(&w, (uint16_t)n);
	wr_u8(&w, nh);
	wr_u8(&w, 64);
	wr_bytes(&w, SRC, 16);
	wr_bytes(&w, DST, 16);
	wr_bytes(&w, payload, n);
	ck_assert_ptr_null(w.err);
	k->len = w.off;
}

/* An options-type extension header (hop-by-hop, routing, dst opts). */
static size_t
ext_opts(uint8_t *p, uint8_t nh, uint8_t len8)
{
	size_t n = ((size_t)len8 + 1) * 8;

	memset(p, 0, n);
	p[0] = nh;
	p[1] = len8;
	p[2] = 0x01;		/* PadN over the rest */
	p[3] = (uint8_t)(n - 4);
	return n;
}

static size_t
ext_frag(uint8_t *p, uint8_t nh, uint16_t off8, bool more)
{
	uint16_t v = (uint16_t)(off8 << 3 | (more ? 1 : 0));

	p[0] = nh;
	p[1] = 0;
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	p[4] = 0xde, p[5] = 0xad, p[6] = 0xbe, p[7] = 0xef;
	return 8;
}

static size_t
udp_build(uint8_t *p, uint16_t sport, uint16_t dport, const void *payload,
    size_t n)
{
	p[0] = (uint8_t)(sport >> 8), p[1] = (uint8_t)sport;
	p[2] = (uint8_t)(dport >> 8), p[3] = (uint8_t)dport;
	p[4] = (uint8_t)((8 + n) >> 8), p[5] = (uint8_t)(8 + n);
	p[6] = p[7] = 0;
	memcpy(p + 8, payload, n);
	return 8 + n;
}

/* Parses from a heap copy of exactly n bytes, so ASan sees over-reads. */
static int
parse(const uint8_t *p, size_t n, struct ipv6_info *info, const char **why)
{
	uint8_t *copy = malloc(n > 0 ? n : 1);
	int rv;

	ck_assert_ptr_nonnull(copy);
	if (n > 0)
		memcpy(copy, p, n);
	*why = NULL;
	rv = ipv6_parse(copy, n, info, why);
	free(copy);
	return rv;
}

static void
parse_ok(const struct pkt *k, struct ipv6_info *info)
{
	const char *why;

	ck_assert_msg(parse(k->b, k->len, info, &why) == 0, "parse: %s", why);
}

static void
parse_fails(const struct pkt *k, const char *want)
{
	struct ipv6_info info;
	const char *why;

	ck_assert_int_eq(parse(k->b, k->len, &info, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, want);
}

static const uint8_t IKE_HDR[] = { 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0,
    0, 0, 0, 0 };

START_TEST(classifies_ike_500)
{
	uint8_t u[64];
	struct ipv6_info info;
	struct pkt k;

	ip_build(&k, IPV6_NH_UDP, u, udp_build(u, 500, 500, IKE_HDR, 16));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_IKE);
	ck_assert_uint_eq(info.proto, IPV6_NH_UDP);
	ck_assert_uint_eq(info.ike_spi_i, 0x0102030405060708ULL);
	ck_assert_uint_eq(info.hop_limit, 64);
	ck_assert_uint_eq(info.l4_off, 40);
	ck_assert_mem_eq(info.src.s6_addr, SRC, 16);
	ck_assert_mem_eq(info.dst.s6_addr, DST, 16);
}
END_TEST

START_TEST(classifies_natt_marker_keepalive_and_esp)
{
	uint8_t u[64], pl[24];
	struct ipv6_info info;
	struct pkt k;

	memset(pl, 0, sizeof(pl));
	memcpy(pl + 4, IKE_HDR, 8);
	ip_build(&k, IPV6_NH_UDP, u, udp_build(u, 4500, 4500, pl, 12));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_IKE);
	ck_assert_uint_eq(info.ike_spi_i, 0x0102030405060708ULL);

	ip_build(&k, IPV6_NH_UDP, u, udp_build(u, 4500, 4500, "\xff", 1));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_IKE);

	memcpy(pl, "\x11\x22\x33\x44\0\0\0\1", 8);
	ip_build(&k, IPV6_NH_UDP, u, udp_build(u, 4500, 4500, pl, 8));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_ESP_UDP);
	ck_assert_uint_eq(info.spi, 0x11223344);

	/* too short to be ESP: other */
	ip_build(&k, IPV6_NH_UDP, u, udp_build(u, 4500, 4500, pl, 6));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_OTHER);
	ck_assert_uint_eq(info.spi, 0);
}
END_TEST

/* ESP after each kind of extension header, and after all of them. */
START_TEST(classifies_esp_after_extension_headers)
{
	static const uint8_t esp[] = { 0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 9 };
	uint8_t p[256];
	struct ipv6_info info;
	struct pkt k;
	size_t n;

	ip_build(&k, IPV6_NH_ESP, esp, sizeof(esp));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_ESP);
	ck_assert_uint_eq(info.spi, 0xcafebabe);
	ck_assert_uint_eq(info.n_ext, 0);

	n = ext_opts(p, IPV6_NH_ROUTING, 0);
	n += ext_opts(p + n, IPV6_NH_FRAGMENT, 1);
	n += ext_frag(p + n, IPV6_NH_DSTOPTS, 0, false);
	n += ext_opts(p + n, IPV6_NH_ESP, 2);
	memcpy(p + n, esp, sizeof(esp));
	ip_build(&k, IPV6_NH_HOPOPTS, p, n + sizeof(esp));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_ESP);
	ck_assert_uint_eq(info.proto, IPV6_NH_ESP);
	ck_assert_uint_eq(info.spi, 0xcafebabe);
	ck_assert_uint_eq(info.n_ext, 4);
	ck_assert_uint_eq(info.l4_off, 40 + n);
	ck_assert(info.fragment);
	ck_assert(!info.later_fragment);
	ck_assert(ipv6_policy_allows(&info, CONF_FWD_ESP));
	ck_assert(!ipv6_policy_allows(&info, CONF_FWD_IKE | CONF_FWD_ICMP));
}
END_TEST

START_TEST(later_fragment_goes_by_protocol)
{
	uint8_t p[64];
	struct ipv6_info info;
	struct pkt k;
	size_t n;

	/* the bytes after a later fragment's header are never read */
	n = ext_frag(p, IPV6_NH_UDP, 100, true);
	memset(p + n, 0, 3);
	ip_build(&k, IPV6_NH_FRAGMENT, p, n + 3);
	parse_ok(&k, &info);
	ck_assert(info.later_fragment);
	ck_assert_int_eq(info.cls, IPV6_IKE);
	ck_assert_uint_eq(info.sport, 0);

	n = ext_frag(p, IPV6_NH_ESP, 1, false);
	ip_build(&k, IPV6_NH_FRAGMENT, p, n);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_ESP);
	ck_assert_uint_eq(info.spi, 0);

	n = ext_frag(p, IPV6_NH_TCP, 1, false);
	ip_build(&k, IPV6_NH_FRAGMENT, p, n);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_OTHER);
}
END_TEST

START_TEST(classifies_icmpv6_tcp_and_other)
{
	uint8_t p[64];
	struct ipv6_info info;
	struct pkt k;

	ip_build(&k, IPV6_NH_ICMPV6, "\x80\0\0\0\0\1\0\1", 8);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_ICMP);
	ck_assert_uint_eq(info.icmp_type, 128);
	ck_assert(ipv6_policy_allows(&info, CONF_FWD_ICMP));
	ck_assert(!ipv6_policy_allows(&info, CONF_FWD_ESP | CONF_FWD_IKE));

	ip_build(&k, IPV6_NH_ICMPV6, "\x80\0\0", 3);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_OTHER);

	ip_build(&k, IPV6_NH_TCP, "\xc7\x38\x01\xbb", 4);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_OTHER);
	ck_assert_uint_eq(info.dport, 443);

	/* UDP to other ports, AH (not walked), no next header */
	ip_build(&k, IPV6_NH_UDP, p, udp_build(p, 5353, 53, "abcd", 4));
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_OTHER);
	ip_build(&k, 51, "\x32\x04\0\0\0\0\0\1", 8);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_OTHER);
	ck_assert_uint_eq(info.proto, 51);
	ip_build(&k, IPV6_NH_NONE, NULL, 0);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_OTHER);
	ck_assert(!ipv6_policy_allows(&info, CONF_FWD_IKE | CONF_FWD_ESP |
	    CONF_FWD_ICMP));
	ck_assert(ipv6_policy_allows(&info, CONF_FWD_ALL));
}
END_TEST

START_TEST(rejects_bad_headers)
{
	uint8_t p[256];
	struct pkt k;
	size_t n, i;

	ip_build(&k, IPV6_NH_ESP, "\1\2\3\4\0\0\0\1", 8);
	k.b[0] = 0x45;
	parse_fails(&k, "not ipv6");

	ip_build(&k, IPV6_NH_ESP, "\1\2\3\4\0\0\0\1", 8);
	k.b[5] = 9;
	parse_fails(&k, "length mismatch");
	k.b[5] = 0;
	parse_fails(&k, "jumbogram");

	/* hop-by-hop after another header */
	n = ext_opts(p, IPV6_NH_HOPOPTS, 0);
	n += ext_opts(p + n, IPV6_NH_ESP, 0);
	ip_build(&k, IPV6_NH_DSTOPTS, p, n);
	parse_fails(&k, "hop-by-hop header not first");

	/* a header whose length runs past the packet */
	n = ext_opts(p, IPV6_NH_ESP, 3);
	ip_build(&k, IPV6_NH_ROUTING, p, 16);
	parse_fails(&k, "extension header beyond packet");

	/* two fragment headers */
	n = ext_frag(p, IPV6_NH_FRAGMENT, 0, true);
	n += ext_frag(p + n, IPV6_NH_ESP, 0, true);
	ip_build(&k, IPV6_NH_FRAGMENT, p, n);
	parse_fails(&k, "two fragment headers");

	/* the chain is bounded: IPV6_EXT_MAX headers pass, one more fails */
	for (n = 0, i = 0; i < IPV6_EXT_MAX; i++)
		n += ext_opts(p + n, i + 1 < IPV6_EXT_MAX ? IPV6_NH_DSTOPTS :
		    IPV6_NH_ESP, 0);
	memcpy(p + n, "\1\2\3\4\0\0\0\1", 8);
	ip_build(&k, IPV6_NH_DSTOPTS, p, n + 8);
	{
		struct ipv6_info info;

		parse_ok(&k, &info);
		ck_assert_int_eq(info.cls, IPV6_ESP);
		ck_assert_uint_eq(info.n_ext, IPV6_EXT_MAX);
	}
	p[n - 8] = IPV6_NH_DSTOPTS;
	n += ext_opts(p + n, IPV6_NH_ESP, 0);
	memcpy(p + n, "\1\2\3\4\0\0\0\1", 8);
	ip_build(&k, IPV6_NH_DSTOPTS, p, n + 8);
	parse_fails(&k, "too many extension headers");
}
END_TEST

/*
 * Every prefix of a valid packet with a full chain fails cleanly, with its
 * own payload length or with one that matches the cut.
 */
START_TEST(rejects_truncated_at_every_offset)
{
	uint8_t p[256];
	struct ipv6_info info;
	const char *why;
	struct pkt k;
	size_t n, cut;

	n = ext_opts(p, IPV6_NH_ROUTING, 1);
	n += ext_opts(p + n, IPV6_NH_FRAGMENT, 0);
	n += ext_frag(p + n, IPV6_NH_UDP, 0, true);
	n += udp_build(p + n, 4500, 4500, "\x11\x22\x33\x44\0\0\0\1", 8);
	ip_build(&k, IPV6_NH_HOPOPTS, p, n);
	parse_ok(&k, &info);
	ck_assert_int_eq(info.cls, IPV6_ESP_UDP);
	for (cut = 0; cut < k.len; cut++) {
		ck_assert_int_eq(parse(k.b, cut, &info, &why), -1);
		ck_assert_ptr_nonnull(why);
	}
	/* with the payload length fixed, each cut inside the chain fails */
	for (cut = 40; cut < 40 + n - 16; cut++) {
		struct pkt t = k;

		t.len = cut;
		t.b[4] = (uint8_t)((cut - 40) >> 8);
		t.b[5] = (uint8_t)(cut - 40);
		ck_assert_msg(parse(t.b, t.len, &info, &why) == -1,
		    "cut at %zu parsed", cut);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

START_TEST(class_names)
{
	ck_assert_str_eq(ipv6_class_name(IPV6_IKE), "ike");
	ck_assert_str_eq(ipv6_class_name(IPV6_ESP_UDP), "esp-udp");
	ck_assert_str_eq(ipv6_class_name(IPV6_ESP), "esp");
	ck_assert_str_eq(ipv6_class_name(IPV6_ICMP), "icmp");
	ck_assert_str_eq(ipv6_class_name(IPV6_OTHER), "other");
}
END_TEST

/* Checks an ICMPv6 message's checksum over the pseudo-header. */
static bool
icmp6_csum_ok(const uint8_t *m, size_t len)
{
	uint32_t sum = 0;
	size_t i, plen = len - 40;

	for (i = 8; i < 40; i += 2)
		sum += (uint32_t)(m[i] << 8 | m[i + 1]);
	sum += (uint32_t)plen;
	sum += 58;
	for (i = 40; i + 1 < len; i += 2)
		sum += (uint32_t)(m[i] << 8 | m[i + 1]);
	if (len & 1)
		sum += (uint32_t)m[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

START_TEST(builds_packet_too_big)
{
	static uint8_t big[1500];
	uint8_t out[1400], esp[1460];
	struct in6_addr me;
	struct ipv6_info info, pi;
	struct pkt k;
	int n;

	memset(esp, 0x5a, sizeof(esp));
	memcpy(esp, "\1\2\3\4\0\0\0\1", 8);
	ip_build(&k, IPV6_NH_ESP, esp, sizeof(esp));
	parse_ok(&k, &info);
	memset(&me, 0, sizeof(me));
	me.s6_addr[0] = 0xfd, me.s6_addr[15] = 0x99;

	n = ipv6_build_ptb(out, sizeof(out), &me, k.b, k.len, &info, 1300);
	ck_assert_int_eq(n, 1280);
	{
		const char *why;

		ck_assert_int_eq(parse(out, (size_t)n, &pi, &why), 0);
	}
	ck_assert_int_eq(pi.cls, IPV6_ICMP);
	ck_assert_uint_eq(pi.icmp_type, 2);
	ck_assert_mem_eq(pi.dst.s6_addr, SRC, 16);
	ck_assert_mem_eq(pi.src.s6_addr, me.s6_addr, 16);
	ck_assert_uint_eq((uint32_t)out[44] << 24 | out[45] << 16 |
	    out[46] << 8 | out[47], 1300);
	ck_assert_mem_eq(out + 48, k.b, 1280 - 48);
	ck_assert(icmp6_csum_ok(out, (size_t)n));
	out[60] ^= 1;
	ck_assert(!icmp6_csum_ok(out, (size_t)n));

	/* nothing for a packet that fits, a small mtu, a small buffer */
	ck_assert_int_eq(ipv6_build_ptb(out, sizeof(out), &me, k.b, k.len,
	    &info, (uint32_t)k.len), -1);
	ck_assert_int_eq(ipv6_build_ptb(out, sizeof(out), &me, k.b, k.len,
	    &info, 1000), -1);
	ck_assert_int_eq(ipv6_build_ptb(out, 1279, &me, k.b, k.len,
	    &info, 1300), -1);

	/* never about an ICMPv6 error; an echo request gets one */
	memset(big, 0, sizeof(big));
	big[0] = 1;				/* destination unreachable */
	ip_build(&k, IPV6_NH_ICMPV6, big, 1400);
	parse_ok(&k, &info);
	ck_assert_int_eq(ipv6_build_ptb(out, sizeof(out), &me, k.b, k.len,
	    &info, 1280), -1);
	big[0] = 128;
	ip_build(&k, IPV6_NH_ICMPV6, big, 1400);
	parse_ok(&k, &info);
	ck_assert_int_eq(ipv6_build_ptb(out, sizeof(out), &me, k.b, k.len,
	    &info, 1280), 1280);

	/* nor to a multicast source */
	k.b[8] = 0xff;
	parse_ok(&k, &info);
	ck_assert_int_eq(ipv6_build_ptb(out, sizeof(out), &me, k.b, k.len,
	    &info, 1280), -1);
}
END_TEST

/* RFC 5952 section 4 and 5 examples, and the IPv4 form. */
START_TEST(prints_rfc5952)
{
	static const char *const cases[][2] = {
		{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
		{ "2001:db8:0:0:0:0:2:1", "2001:db8::2:1" },
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
		{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
		{ "2001:DB8::AAAA", "2001:db8::aaaa" },
		{ "0:0:0:0:0:0:0:0", "::" },
		{ "0:0:0:0:0:0:0:1", "::1" },
		{ "1:0:0:0:0:0:0:0", "1::" },
		{ "fd00:a:0:0:0:0:0:0", "fd00:a::" },
		{ "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
		{ "::ffff:c000:201", "::ffff:192.0.2.1" },
		{ "::102:304", "::102:304" },	/* no IPv4-compatible form */
		{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		{ "192.0.2.1", "192.0.2.1" },
	};
	char buf[IPADDR_STRLEN];
	struct ipaddr a;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_msg(ipaddr_parse(cases[i][0], &a) == 0, "%s",
		    cases[i][0]);
		ck_assert_str_eq(ipaddr_str(&a, buf, sizeof(buf)),
		    cases[i][1]);
	}
	/* the longest text fits */
	ck_assert_int_eq(ipaddr_parse("ffff:ffff:ffff:ffff:ffff:ffff:"
	    "255.255.255.255", &a), 0);
	ck_assert_uint_lt(strlen(ipaddr_str(&a, buf, sizeof(buf))),
	    IPADDR_STRLEN);
}
END_TEST

START_TEST(rejects_bad_addresses)
{
	static const char *const bad[] = {
		"", "1.2.3", "1.2.3.256", "01.2.3.4x", "fd00::1::2", "fd00:::1",
		"12345::", "fd00::1%eth0", "[fd00::1]", "fd00::g", " ::1",
	};
	struct ipaddr a;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(ipaddr_parse(bad[i], &a) == -1, "%s", bad[i]);
		ck_assert_uint_eq(a.af, 0);
	}
	ck_assert_int_eq(ipaddr_parse(NULL, &a), -1);
}
END_TEST

START_TEST(parses_prefixes)
{
	struct ipprefix p, q;
	struct ipaddr a;
	char buf[IPPREFIX_STRLEN];
	const char *why;

	ck_assert_int_eq(ipprefix_parse("fd00:a::/48", &p, &why), 0);
	ck_assert_uint_eq(p.addr.af, AF_INET6);
	ck_assert_uint_eq(p.plen, 48);
	ck_assert_str_eq(ipprefix_str(&p, buf, sizeof(buf)), "fd00:a::/48");
	ck_assert_int_eq(ipprefix_parse("FD00:000A:0::/48", &q, &why), 0);
	ck_assert(ipaddr_eq(&p.addr, &q.addr));
	ck_assert_int_eq(ipprefix_parse("::/0", &q, &why), 0);
	ck_assert_int_eq(ipprefix_parse("fd00::1/128", &q, &why), 0);
	ck_assert_int_eq(ipprefix_parse("10.1.0.0/16", &q, &why), 0);
	ck_assert_uint_eq(q.addr.af, AF_INET);
	ck_assert_str_eq(ipprefix_str(&q, buf, sizeof(buf)), "10.1.0.0/16");

	ck_assert_int_eq(ipprefix_parse("fd00:a::1/48", &q, &why), -1);
	ck_assert_str_eq(why, "host bits set");
	ck_assert_int_eq(ipprefix_parse("fd00:a::/129", &q, &why), -1);
	ck_assert_str_eq(why, "bad prefix length");
	ck_assert_int_eq(ipprefix_parse("10.0.0.0/33", &q, &why), -1);
	ck_assert_str_eq(why, "bad prefix length");
	ck_assert_int_eq(ipprefix_parse("fd00::/", &q, &why), -1);
	ck_assert_int_eq(ipprefix_parse("fd00::/-1", &q, &why), -1);
	ck_assert_int_eq(ipprefix_parse("fd00::/0048", &q, &why), -1);
	ck_assert_int_eq(ipprefix_parse("fd00::", &q, &why), -1);
	ck_assert_str_eq(why, "missing prefix length");
	ck_assert_int_eq(ipprefix_parse("fd00::zz/8", &q, &why), -1);
	ck_assert_str_eq(why, "not an address");

	/* containment and overlap, across bit boundaries and families */
	ck_assert_int_eq(ipaddr_parse("fd00:a:0:ffff::1", &a), 0);
	ck_assert(ipprefix_contains(&p, &a));
	ck_assert_int_eq(ipaddr_parse("fd00:b::1", &a), 0);
	ck_assert(!ipprefix_contains(&p, &a));
	ck_assert_int_eq(ipaddr_parse("10.1.2.3", &a), 0);
	ck_assert(!ipprefix_contains(&p, &a));
	ck_assert_int_eq(ipprefix_parse("fd00:a:0:8000::/49", &q, &why), 0);
	ck_assert(ipprefix_overlaps(&p, &q));
	ck_assert(ipprefix_overlaps(&q, &p));
	ck_assert_int_eq(ipprefix_parse("fd00:b::/47", &q, &why), 0);
	ck_assert(!ipprefix_overlaps(&p, &q));
	ck_assert_int_eq(ipprefix_parse("fd00:a:1::/47", &q, &why), -1);
	ck_assert_str_eq(why, "host bits set");
	ck_assert_int_eq(ipprefix_parse("0.0.0.0/0", &q, &why), 0);
	ck_assert(!ipprefix_overlaps(&p, &q));
	ck_assert_int_eq(ipaddr_cmp(&q.addr, &p.addr), -1);
	ck_assert_uint_eq(ipaddr_bit(&p.addr, 0), 1);
	ck_assert_uint_eq(ipaddr_bit(&p.addr, 8), 0);
	ck_assert_uint_eq(ipaddr_bit(&p.addr, 28), 1);
	ck_assert_uint_eq(ipaddr_bit(&p.addr, 200), 0);
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
ipv6_suite(void)
{
	Suite *s = suite_create("ipv6");

	add(s, "classifies_ike_500", classifies_ike_500);
	add(s, "classifies_natt_marker_keepalive_and_esp",
	    classifies_natt_marker_keepalive_and_esp);
	add(s, "classifies_esp_after_extension_headers",
	    classifies_esp_after_extension_headers);
	add(s, "later_fragment_goes_by_protocol",
	    later_fragment_goes_by_protocol);
	add(s, "classifies_icmpv6_tcp_and_other",
	    classifies_icmpv6_tcp_and_other);
	add(s, "rejects_bad_headers", rejects_bad_headers);
	add(s, "rejects_truncated_at_every_offset",
	    rejects_truncated_at_every_offset);
	add(s, "class_names", class_names);
	add(s, "builds_packet_too_big", builds_packet_too_big);
	add(s, "prints_rfc5952", prints_rfc5952);
	add(s, "rejects_bad_addresses", rejects_bad_addresses);
	add(s, "parses_prefixes", parses_prefixes);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ipv6_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
