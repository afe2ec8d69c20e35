/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests for lib/netmap.c: the rule table, and the
 * in-place translation checked against a full checksum recomputation on
 * random packets (TCP, UDP, ICMP, options, first and later fragments), ICMP
 * errors whose embedded header must come back as it was first sent, UDP
 * checksum 0, raw ESP and malformed headers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <check.h>

#include "netmap.h"

#define P_ICMP	1
#define P_TCP	6
#define P_UDP	17
#define P_ESP	50

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

/* The one's complement sum of p[0..n), odd byte padded, not folded away. */
static uint32_t
sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += rd16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* Full recomputation: the checksum a sender would write. */
static uint16_t
csum(const uint8_t *p, size_t n, uint32_t s)
{
	return (uint16_t)~fold(sum(p, n, s));
}

static uint32_t
pseudo(const uint8_t *ip, uint8_t proto, size_t l4len)
{
	return sum(ip + 12, 8, 0) + proto + (uint32_t)l4len;
}

/* Whether a stored checksum verifies (0 and 0xffff are the same zero). */
static bool
valid(const uint8_t *p, size_t n, uint32_t s)
{
	return fold(sum(p, n, s)) == 0xffff;
}

struct rng {
	uint64_t s;
};

static uint32_t
rnd(struct rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (uint32_t)(r->s >> 11);
}

/*
 * Builds an IPv4 header at ip: ihl words, total tot, fragment field frag,
 * protocol, addresses; header checksum right.
 */
static void
ip_hdr(uint8_t *ip, size_t ihl, size_t tot, uint16_t frag, uint8_t proto,
    uint32_t src, uint32_t dst)
{
	memset(ip, 0, ihl * 4);
	ip[0] = (uint8_t)(0x40 | ihl);
	wr16(ip + 2, (uint16_t)tot);
	wr16(ip + 4, 0x4242);
	wr16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	wr32(ip + 12, src);
	wr32(ip + 16, dst);
	for (size_t i = 20; i < ihl * 4; i++)
		ip[i] = 1;		/* NOP options */
	wr16(ip + 10, csum(ip, ihl * 4, 0));
}

/* Sets the L4 checksum of a whole datagram ip (TCP or UDP). */
static void
l4_fix(uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;
	uint8_t *l4 = ip + ihl;
	uint16_t c;

	if (ip[9] == P_UDP) {
		wr16(l4 + 6, 0);
		c = csum(l4, len - ihl, pseudo(ip, P_UDP, len - ihl));
		wr16(l4 + 6, c == 0 ? 0xffff : c);
	} else if (ip[9] == P_TCP) {
		wr16(l4 + 16, 0);
		wr16(l4 + 16, csum(l4, len - ihl, pseudo(ip, P_TCP, len - ihl)));
	} else if (ip[9] == P_ICMP) {
		wr16(l4 + 2, 0);
		wr16(l4 + 2, csum(l4, len - ihl, 0));
	}
}

static bool
l4_valid(const uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 0xf) * 4;

	switch (ip[9]) {
	case P_UDP:
		return rd16(ip + ihl + 6) == 0 ||
		    valid(ip + ihl, len - ihl, pseudo(ip, P_UDP, len - ihl));
	case P_TCP:
		return valid(ip + ihl, len - ihl, pseudo(ip, P_TCP, len - ihl));
	case P_ICMP:
		return valid(ip + ihl, len - ihl, 0);
	}
	return true;
}

static struct in_addr
a4(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* 192.168.1.0/24 <-> 10.201.1.0/24 and 10.9.0.0/16 <-> 10.77.0.0/16 */
static void
nm_std(struct netmap *nm)
{
	netmap_init(nm);
	ck_assert_int_eq(netmap_add(nm, a4("192.168.1.0"), a4("10.201.1.0"),
	    24), 0);
	ck_assert_int_eq(netmap_add(nm, a4("10.9.0.0"), a4("10.77.0.0"), 16),
	    0);
}

#define REAL	0xc0a80102u	/* 192.168.1.2 */
#define ALIAS	0x0ac90102u	/* 10.201.1.2 */
#define REMOTE	0x0ac90202u	/* 10.201.2.2 */

START_TEST(add_refuses_overlaps)
{
	struct netmap nm;

	nm_std(&nm);
	/* real inside an existing real, alias inside an existing alias */
	ck_assert_int_eq(netmap_add(&nm, a4("192.168.1.128"),
	    a4("10.50.0.0"), 25), -1);
	ck_assert_int_eq(netmap_add(&nm, a4("10.60.0.0"),
	    a4("10.201.0.0"), 16), -1);
	/* an alias over another rule's real prefix, and the reverse */
	ck_assert_int_eq(netmap_add(&nm, a4("10.60.0.0"),
	    a4("192.168.0.0"), 16), -1);
	ck_assert_int_eq(netmap_add(&nm, a4("10.201.1.0"),
	    a4("10.61.1.0"), 24), -1);
	/* a rule onto itself, host bits, length over 32 */
	ck_assert_int_eq(netmap_add(&nm, a4("10.62.0.0"), a4("10.62.0.0"),
	    16), -1);
	ck_assert_int_eq(netmap_add(&nm, a4("10.63.0.1"), a4("10.64.0.0"),
	    16), -1);
	ck_assert_int_eq(netmap_add(&nm, a4("10.63.0.0"), a4("10.64.0.0"),
	    33), -1);
	ck_assert_uint_eq(nm.n, 2);
	ck_assert_int_eq(netmap_add(&nm, a4("10.63.0.0"), a4("10.64.0.0"),
	    16), 0);
}
END_TEST

START_TEST(add_limit)
{
	struct netmap nm;
	struct in_addr r, a;
	size_t i;

	netmap_init(&nm);
	for (i = 0; i < NETMAP_MAX; i++) {
		r.s_addr = htonl(0x0a000000u | (uint32_t)i << 8);
		a.s_addr = htonl(0x0b000000u | (uint32_t)i << 8);
		ck_assert_int_eq(netmap_add(&nm, r, a, 24), 0);
	}
	r.s_addr = htonl(0x0c000000u);
	a.s_addr = htonl(0x0d000000u);
	ck_assert_int_eq(netmap_add(&nm, r, a, 24), -1);
}
END_TEST

START_TEST(map_keeps_host_bits)
{
	struct netmap nm;
	struct in_addr a = a4("10.9.200.7");
	char s[INET_ADDRSTRLEN];

	nm_std(&nm);
	ck_assert(netmap_map(&nm, &a, false));
	ck_assert_str_eq(inet_ntop(AF_INET, &a, s, sizeof(s)), "10.77.200.7");
	ck_assert(netmap_map(&nm, &a, true));
	ck_assert_str_eq(inet_ntop(AF_INET, &a, s, sizeof(s)), "10.9.200.7");
	a = a4("10.10.0.1");
	ck_assert(!netmap_map(&nm, &a, false));
	ck_assert(!netmap_map(&nm, &a, true));
}
END_TEST

/*
 * Random packets from the LAN: random protocol, options, payload, and a
 * source inside a rule or not.  After NETMAP_OUT the source is the alias
 * exactly where a rule held it, nothing else but checksum fields changed,
 * and every checksum verifies by full recomputation.  The reply's way in
 * (NETMAP_IN on the swapped packet) gives back the real address.
 */
START_TEST(random_packets_keep_checksums)
{
	static const uint8_t protos[] = { P_UDP, P_TCP, P_ICMP, 47 };
	struct netmap nm;
	struct rng r = { 0x9e3779b97f4a7c15ull + (uint64_t)_i };
	uint8_t ip[1600], before[1600];
	size_t n, ihl, len, changed = 0;

	nm_std(&nm);
	for (n = 0; n < 2000; n++) {
		uint8_t proto = protos[rnd(&r) % 4];
		uint32_t src = rnd(&r) % 3 == 0 ? 0xc0a80100u | (rnd(&r) & 0xff) :
		    rnd(&r) % 2 ? 0x0a090000u | (rnd(&r) & 0xffff) : rnd(&r);
		uint32_t dst = rnd(&r);
		uint32_t want = src;
		enum netmap_res res;
		struct netmap_xlat x;

		ihl = 5 + rnd(&r) % 11;
		len = ihl * 4 + 20 + rnd(&r) % 1400;
		ip_hdr(ip, ihl, len, rnd(&r) % 2 ? 0x4000 : 0, proto, src,
		    dst);
		for (size_t i = ihl * 4; i < len; i++)
			ip[i] = (uint8_t)rnd(&r);
		if (proto == P_ICMP)
			ip[ihl * 4] = 8;		/* echo: no embedded */
		if (proto == P_UDP)
			wr16(ip + ihl * 4 + 4, (uint16_t)(len - ihl * 4));
		l4_fix(ip, len);
		memcpy(before, ip, len);
		if ((src & 0xffffff00u) == 0xc0a80100u)
			want = 0x0ac90100u | (src & 0xff);
		else if ((src & 0xffff0000u) == 0x0a090000u)
			want = 0x0a4d0000u | (src & 0xffff);
		res = netmap_translate(&nm, NETMAP_OUT, ip, len, &x);
		ck_assert_int_eq(res, want != src ? NETMAP_DONE : NETMAP_PASS);
		ck_assert_uint_eq(rd32(ip + 12), want);
		ck_assert_uint_eq(rd32(ip + 16), dst);
		if (res == NETMAP_DONE) {
			ck_assert_uint_eq(ntohl(x.real.s_addr), src);
			ck_assert_uint_eq(ntohl(x.alias.s_addr), want);
		}
		ck_assert(valid(ip, ihl * 4, 0));
		ck_assert(l4_valid(ip, len));
		/* only addresses and checksum fields changed */
		for (size_t i = 0; i < len; i++) {
			bool field = (i >= 10 && i < 16) ||
			    (proto == P_UDP && (i == ihl * 4 + 6 ||
			    i == ihl * 4 + 7)) ||
			    (proto == P_TCP && (i == ihl * 4 + 16 ||
			    i == ihl * 4 + 17));

			changed += !field && ip[i] != before[i];
		}
		ck_assert_uint_eq(changed, 0);
		/* the reply, swapped, finds its way back to the real address */
		ip_hdr(ip, ihl, len, 0, proto, dst, want);
		l4_fix(ip, len);
		res = netmap_translate(&nm, NETMAP_IN, ip, len, NULL);
		ck_assert_int_eq(res, want != src ? NETMAP_DONE : NETMAP_PASS);
		ck_assert_uint_eq(rd32(ip + 16), src);
		ck_assert(valid(ip, ihl * 4, 0));
		ck_assert(l4_valid(ip, len));
	}
}
END_TEST

START_TEST(udp_checksum_zero_stays_zero)
{
	struct netmap nm;
	uint8_t ip[60];

	nm_std(&nm);
	ip_hdr(ip, 5, 60, 0, P_UDP, REAL, REMOTE);
	memset(ip + 20, 0x5a, 40);
	wr16(ip + 20, 4500);
	wr16(ip + 22, 4500);
	wr16(ip + 24, 40);
	wr16(ip + 26, 0);
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, ip, 60, NULL),
	    NETMAP_DONE);
	ck_assert_uint_eq(rd32(ip + 12), ALIAS);
	ck_assert_uint_eq(rd16(ip + 26), 0);
	ck_assert(valid(ip, 20, 0));
}
END_TEST

/*
 * A UDP checksum that comes out of the arithmetic as 0 must be sent as
 * 0xffff (RFC 768): 0 would say "no checksum".  The payload's last word is
 * chosen so that the translated datagram sums to exactly that.
 */
START_TEST(udp_checksum_computed_zero_sent_as_ones)
{
	struct netmap nm;
	uint8_t ip[40];
	uint16_t w;

	nm_std(&nm);
	ip_hdr(ip, 5, 40, 0, P_UDP, ALIAS, REMOTE);
	memset(ip + 20, 0x33, 20);
	wr16(ip + 24, 20);
	wr16(ip + 26, 0);
	wr16(ip + 38, 0);
	/* what the last word must be for the alias' datagram to sum to ~0 */
	w = (uint16_t)~fold(sum(ip + 20, 20, pseudo(ip, P_UDP, 20)));
	wr16(ip + 38, w);
	ck_assert_uint_eq(csum(ip + 20, 20, pseudo(ip, P_UDP, 20)), 0);
	/* the same datagram as the LAN host sends it */
	ip_hdr(ip, 5, 40, 0, P_UDP, REAL, REMOTE);
	l4_fix(ip, 40);
	ck_assert_uint_ne(rd16(ip + 26), 0);
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, ip, 40, NULL),
	    NETMAP_DONE);
	ck_assert_uint_eq(rd16(ip + 26), 0xffff);
	ck_assert(l4_valid(ip, 40));
}
END_TEST

/*
 * A UDP datagram cut into two fragments: the first keeps the UDP header
 * and gets its checksum adjusted for the whole datagram's pseudo header;
 * the later one has no L4 header and its payload is left alone.
 * Reassembled, the datagram's checksum verifies.
 */
START_TEST(fragments)
{
	struct netmap nm;
	uint8_t whole[20 + 1208], f1[20 + 608], f2[20 + 600], re[20 + 1208];

	nm_std(&nm);
	ip_hdr(whole, 5, sizeof(whole), 0, P_UDP, REAL, REMOTE);
	for (size_t i = 20; i < sizeof(whole); i++)
		whole[i] = (uint8_t)(i * 7);
	wr16(whole + 24, 1208);
	l4_fix(whole, sizeof(whole));
	ip_hdr(f1, 5, sizeof(f1), 0x2000, P_UDP, REAL, REMOTE);
	memcpy(f1 + 20, whole + 20, 608);
	ip_hdr(f2, 5, sizeof(f2), 608 / 8, P_UDP, REAL, REMOTE);
	memcpy(f2 + 20, whole + 20 + 608, 600);
	/* later fragment: an 8-byte "UDP header" there would be payload */
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, f2, sizeof(f2),
	    NULL), NETMAP_DONE);
	ck_assert_mem_eq(f2 + 20, whole + 20 + 608, 600);
	ck_assert(valid(f2, 20, 0));
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, f1, sizeof(f1),
	    NULL), NETMAP_DONE);
	ck_assert(valid(f1, 20, 0));
	ck_assert_uint_eq(rd32(f1 + 12), ALIAS);
	ck_assert_uint_eq(rd32(f2 + 12), ALIAS);
	memcpy(re, f1, 20 + 608);
	memcpy(re + 20 + 608, f2 + 20, 600);
	wr16(re + 2, sizeof(re));
	wr16(re + 6, 0);
	ck_assert(l4_valid(re, sizeof(re)));
	ck_assert_uint_ne(rd16(re + 26), rd16(whole + 26));
	/* a later fragment that could pass for a header is not one */
	ip_hdr(f2, 5, 28, 100, P_TCP, REAL, REMOTE);
	memset(f2 + 20, 0xee, 8);
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, f2, 28, NULL),
	    NETMAP_DONE);
	for (size_t i = 20; i < 28; i++)
		ck_assert_uint_eq(f2[i], 0xee);
}
END_TEST

/*
 * The PMTU path: our host 192.168.1.2 sent UDP to a remote host; OUT made
 * the source 10.201.1.2.  A router far away answers "fragmentation
 * needed" to 10.201.1.2, quoting what it got.  IN must give the host an
 * error whose quote is byte for byte what the host sent, with the outer
 * destination, the IP checksum and the ICMP checksum right.
 */
START_TEST(icmp_error_embedded_comes_back)
{
	struct netmap nm;
	uint8_t sent[48], wire[48], err[20 + 8 + 48];
	size_t qlen = _i == 0 ? 48 : 28;	/* whole, or header + 8 bytes */

	nm_std(&nm);
	ip_hdr(sent, 5, 48, 0x4000, P_UDP, REAL, REMOTE);
	for (size_t i = 20; i < 48; i++)
		sent[i] = (uint8_t)(i * 13);
	wr16(sent + 20, 500);
	wr16(sent + 22, 500);
	wr16(sent + 24, 28);
	l4_fix(sent, 48);
	memcpy(wire, sent, 48);
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, wire, 48, NULL),
	    NETMAP_DONE);
	ck_assert_uint_eq(rd32(wire + 12), ALIAS);

	ip_hdr(err, 5, 28 + qlen, 0, P_ICMP, 0xc6336401u, ALIAS);
	err[20] = 3;
	err[21] = 4;			/* fragmentation needed */
	wr16(err + 22, 0);
	wr16(err + 24, 0);
	wr16(err + 26, 1300);
	memcpy(err + 28, wire, qlen);
	l4_fix(err, 28 + qlen);
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_IN, err, 28 + qlen,
	    NULL), NETMAP_DONE);
	ck_assert_uint_eq(rd32(err + 16), REAL);
	ck_assert_uint_eq(rd32(err + 12), 0xc6336401u);
	ck_assert(valid(err, 20, 0));
	ck_assert(valid(err + 20, 8 + qlen, 0));
	ck_assert_mem_eq(err + 28, sent, qlen);
}
END_TEST

/*
 * The other way: a remote host sent to our alias, IN made it 192.168.1.2;
 * a router on our LAN (outside the rules) says "unreachable".  OUT maps
 * the quote's destination back to the alias, leaves the outer source
 * alone, and TCP's checksum in the quote follows.
 */
START_TEST(icmp_error_from_lan_router)
{
	struct netmap nm;
	uint8_t sent[60], wire[60], err[20 + 8 + 60];

	nm_std(&nm);
	ip_hdr(sent, 5, 60, 0, P_TCP, REMOTE, ALIAS);
	for (size_t i = 20; i < 60; i++)
		sent[i] = (uint8_t)(i * 3 + 1);
	sent[32] = 0x50;
	l4_fix(sent, 60);
	memcpy(wire, sent, 60);
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_IN, wire, 60, NULL),
	    NETMAP_DONE);
	ck_assert_uint_eq(rd32(wire + 16), REAL);
	ck_assert(l4_valid(wire, 60));

	ip_hdr(err, 5, sizeof(err), 0, P_ICMP, 0xac100001u /* 172.16.0.1 */,
	    REMOTE);
	err[20] = 3;
	err[21] = 1;
	memset(err + 22, 0, 6);
	memcpy(err + 28, wire, 60);
	l4_fix(err, sizeof(err));
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, err, sizeof(err),
	    NULL), NETMAP_DONE);
	ck_assert_uint_eq(rd32(err + 12), 0xac100001u);
	ck_assert(valid(err, 20, 0));
	ck_assert(valid(err + 20, sizeof(err) - 20, 0));
	ck_assert_mem_eq(err + 28, sent, 60);
}
END_TEST

/* Echo request and reply: only the outer address moves. */
START_TEST(icmp_echo)
{
	struct netmap nm;
	uint8_t ip[84], body[64];

	nm_std(&nm);
	ip_hdr(ip, 5, 84, 0x4000, P_ICMP, REAL, REMOTE);
	ip[20] = 8;
	for (size_t i = 21; i < 84; i++)
		ip[i] = (uint8_t)i;
	l4_fix(ip, 84);
	memcpy(body, ip + 20, 64);
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, ip, 84, NULL),
	    NETMAP_DONE);
	ck_assert_mem_eq(ip + 20, body, 64);
	ck_assert_uint_eq(rd32(ip + 12), ALIAS);
	ck_assert(valid(ip, 20, 0));
}
END_TEST

START_TEST(raw_esp_refused)
{
	struct netmap nm;
	uint8_t ip[60], before[60];
	struct netmap_xlat x;

	nm_std(&nm);
	ip_hdr(ip, 5, 60, 0, P_ESP, REAL, REMOTE);
	memset(ip + 20, 0x11, 40);
	memcpy(before, ip, 60);
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, ip, 60, &x),
	    NETMAP_ESP);
	ck_assert_mem_eq(ip, before, 60);
	ck_assert_uint_eq(ntohl(x.real.s_addr), REAL);
	ck_assert_uint_eq(ntohl(x.alias.s_addr), ALIAS);
	/* toward us, for the alias */
	ip_hdr(ip, 5, 60, 0, P_ESP, REMOTE, ALIAS);
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_IN, ip, 60, NULL),
	    NETMAP_ESP);
	/* not ours: passes as it is */
	ip_hdr(ip, 5, 60, 0, P_ESP, 0x0a0b0c0du, REMOTE);
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, ip, 60, NULL),
	    NETMAP_PASS);
}
END_TEST

START_TEST(malformed_left_alone)
{
	struct netmap nm, none;
	uint8_t ip[40], before[40];

	nm_std(&nm);
	netmap_init(&none);
	ip_hdr(ip, 5, 40, 0, P_UDP, REAL, REMOTE);
	memcpy(before, ip, 40);
	/* total length disagrees, version 6, IHL under 5 or past the end */
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, ip, 39, NULL),
	    NETMAP_BAD);
	ip[0] = 0x65;
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, ip, 40, NULL),
	    NETMAP_BAD);
	ip[0] = 0x44;
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, ip, 40, NULL),
	    NETMAP_BAD);
	ip[0] = 0x4f;
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, ip, 40, NULL),
	    NETMAP_BAD);
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, ip, 10, NULL),
	    NETMAP_BAD);
	ip[0] = 0x45;
	ck_assert_mem_eq(ip, before, 40);
	/* no rules: nothing is even read */
	ck_assert_int_eq(netmap_translate(&none, NETMAP_OUT, ip, 3, NULL),
	    NETMAP_PASS);
	/* an ICMP error quoting a cut header: outer still translated */
	ip_hdr(ip, 5, 40, 0, P_ICMP, REAL, REMOTE);
	ip[20] = 3;
	memset(ip + 21, 0, 7);
	ip[28] = 0x45;
	memset(ip + 29, 0, 11);
	l4_fix(ip, 40);
	ck_assert_int_eq(netmap_translate(&nm, NETMAP_OUT, ip, 40, NULL),
	    NETMAP_DONE);
	ck_assert(valid(ip, 20, 0));
	ck_assert(valid(ip + 20, 20, 0));
}
END_TEST

static Suite *
netmap_suite(void)
{
	Suite *s = suite_create("netmap");
	TCase *tc;

	tc = tcase_create("rules");
	tcase_add_test(tc, add_refuses_overlaps);
	tcase_add_test(tc, add_limit);
	tcase_add_test(tc, map_keeps_host_bits);
	suite_add_tcase(s, tc);
	tc = tcase_create("translate");
	tcase_add_loop_test(tc, random_packets_keep_checksums, 0, 4);
	tcase_add_test(tc, udp_checksum_zero_stays_zero);
	tcase_add_test(tc, udp_checksum_computed_zero_sent_as_ones);
	tcase_add_test(tc, fragments);
	tcase_add_loop_test(tc, icmp_error_embedded_comes_back, 0, 2);
	tcase_add_test(tc, icmp_error_from_lan_router);
	tcase_add_test(tc, icmp_echo);
	tcase_add_test(tc, raw_esp_refused);
	tcase_add_test(tc, malformed_left_alone);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(netmap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
