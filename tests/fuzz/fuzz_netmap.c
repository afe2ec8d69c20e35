/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for lib/netmap.c.  The first byte
 * picks the direction (bit 0: in) and which checksums the harness makes right before
 * translating (random bytes almost never carry valid ones); the next nine
 * add a rule beside two fixed ones; the rest is the packet, copied into a
 * buffer of exactly its size so that any read or write past it is caught.
 * Invariants: a packet left as it was (PASS, ESP, BAD) is byte for byte
 * unchanged; a translated one keeps every checksum the harness made valid
 * (IP header, the whole TCP/UDP datagram, ICMP, an ICMP error's embedded
 * IP header), a UDP checksum of 0 stays 0 and no other becomes 0.
 * Any break aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "flags.h"
#include "netmap.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

enum {
	FIX_TOTLEN	= 1 << 1,
	FIX_IP		= 1 << 2,
	FIX_L4		= 1 << 3,
	FIX_EMB		= 1 << 4,
	UDP_NONE	= 1 << 5,	/* a UDP checksum of 0 */
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const flags[] = { "-max_len=1600", NULL };

	fuzz_default_flags(argc, argv, flags);
	return 0;
}

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

static uint16_t
fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint32_t
sum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += rd16(p + i);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static bool
valid(const uint8_t *p, size_t n, uint32_t s)
{
	return fold(sum(p, n, s)) == 0xffff;
}

/* Writes the checksum at p[at] over p[0..n) plus s. */
static void
fix(uint8_t *p, size_t n, size_t at, uint32_t s)
{
	wr16(p + at, 0);
	wr16(p + at, (uint16_t)~fold(sum(p, n, s)));
}

/* Where a whole, unfragmented packet's L4 checksum is; 0 if none. */
static size_t
l4_at(const uint8_t *ip, size_t len, size_t ihl, uint32_t *ps)
{
	size_t l4len = len - ihl;

	if ((rd16(ip + 6) & 0x3fff) != 0)	/* MF or an offset */
		return 0;
	*ps = sum(ip + 12, 8, 0) + ip[9] + (uint32_t)l4len;
	if (ip[9] == 17 && l4len >= 8)
		return ihl + 6;
	if (ip[9] == 6 && l4len >= 20)
		return ihl + 16;
	*ps = 0;
	if (ip[9] == 1 && l4len >= 8)
		return ihl + 2;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netmap	 nm;
	struct in_addr	 r, a;
	uint8_t		*ip, *before, mode;
	size_t		 len, ihl = 0, l4 = 0, eihl = 0;
	uint32_t	 ps = 0;
	bool		 ip_ok = false, l4_ok = false, emb_ok = false;
	bool		 udp0 = false;
	enum netmap_res	 res;
	struct netmap_xlat x;

	if (size < 10)
		return 0;
	mode = data[0];
	netmap_init(&nm);
	r.s_addr = htonl(0xc0a80100u);		/* 192.168.1.0/24 */
	a.s_addr = htonl(0x0ac90100u);		/* 10.201.1.0/24 */
	(void)netmap_add(&nm, r, a, 24);
	r.s_addr = htonl(0x0a000000u);		/* 10.0.0.0/16 */
	a.s_addr = htonl(0x0a4d0000u);		/* 10.77.0.0/16 */
	(void)netmap_add(&nm, r, a, 16);
	memcpy(&r.s_addr, data + 1, 4);
	memcpy(&a.s_addr, data + 5, 4);
	(void)netmap_add(&nm, r, a, data[9] % 40);	/* often refused */
	len = size - 10;
	if ((ip = malloc(len + 1)) == NULL || (before = malloc(len + 1)) ==
	    NULL)
		abort();
	memcpy(ip, data + 10, len);

	if ((mode & FIX_TOTLEN) && len >= 20 && len <= 65535)
		wr16(ip + 2, (uint16_t)len);
	if (len >= 20 && ip[0] >> 4 == 4 && (ihl = (size_t)(ip[0] & 15) * 4) >=
	    20 && ihl <= len && rd16(ip + 2) == len) {
		if (mode & FIX_EMB && ip[9] == 1 && len >= ihl + 28) {
			uint8_t *e = ip + ihl + 8;

			eihl = (size_t)(e[0] & 15) * 4;
			if (eihl >= 20 && eihl <= len - ihl - 8) {
				fix(e, eihl, 10, 0);
				emb_ok = true;
			}
		}
		if ((mode & FIX_L4) && (l4 = l4_at(ip, len, ihl, &ps)) != 0) {
			fix(ip + ihl, len - ihl, l4 - ihl, ps);
			if (ip[9] == 17 && (mode & UDP_NONE))
				wr16(ip + l4, 0);	/* no checksum */
			l4_ok = true;
			udp0 = ip[9] == 17 && rd16(ip + l4) == 0;
		}
		if (mode & FIX_IP) {
			fix(ip, ihl, 10, 0);
			ip_ok = true;
		}
	}
	memcpy(before, ip, len);

	res = netmap_translate(&nm, (mode & 1) ? NETMAP_IN : NETMAP_OUT, ip,
	    len, &x);
	switch (res) {
	case NETMAP_PASS:
	case NETMAP_ESP:
	case NETMAP_BAD:
		if (memcmp(ip, before, len) != 0)
			abort();
		break;
	case NETMAP_DONE:
		if (ihl == 0 || rd16(ip + 2) != len)
			abort();
		if (ip_ok && !valid(ip, ihl, 0))
			abort();
		if (emb_ok && !valid(ip + ihl + 8, eihl, 0))
			abort();
		if (l4_ok) {
			if (ip[9] != 1)	/* the pseudo header moved */
				ps = sum(ip + 12, 8, 0) + ip[9] +
				    (uint32_t)(len - ihl);
			if (udp0 ? rd16(ip + l4) != 0 :
			    !valid(ip + ihl, len - ihl, ps))
				abort();
			/* a computed UDP zero goes out as 0xffff */
			if (!udp0 && ip[9] == 17 && rd16(ip + l4) == 0)
				abort();
		}
		break;
	default:
		abort();
	}
	free(ip);
	free(before);
	return 0;
}
