/* SPDX-License-Identifier: ISC */
/*
 * This file owns the alias translation of the data path: the rule table
 * (real prefix <-> alias prefix, same length) and the in-place rewrite of
 * an IPv4 packet's address, with every checksum that covers it adjusted.
 *
 * Why incremental (RFC 1624, eqn. 3: HC' = ~(~HC + ~m + m')) and not a
 * recomputation: the rewrite touches two 16-bit words per address, so the
 * cost stays constant whatever the packet's size, and a first fragment
 * can be fixed without the rest of the datagram (its TCP/UDP checksum
 * covers bytes that are not here).  A checksum word that changes is itself
 * a word covered by an outer checksum (an ICMP error's embedded IP and
 * UDP/TCP checksums lie inside the ICMP checksum), so each adjustment goes
 * through the same word_set() as the addresses, with its covering sum.
 *
 * Every offset is checked against the packet's length before it is read
 * or written; headers are read field by field, never cast onto.
 */
#include <string.h>
#include <arpa/inet.h>

#include "buf.h"
#include "netmap.h"

#define IP_HDR_MIN	20
#define IP_OFF_TOTLEN	2
#define IP_OFF_FRAG	6
#define IP_OFF_PROTO	9
#define IP_OFF_CSUM	10
#define IP_OFF_SRC	12
#define IP_OFF_DST	16
#define IP_OFFSET_MASK	0x1fff

#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_UDP	17
#define PROTO_ESP	50

#define ICMP_HDR_LEN	8
#define UDP_HDR_LEN	8
#define UDP_OFF_CSUM	6
#define TCP_OFF_CSUM	16

/* A checksum field, and the checksum that covers it (or NULL). */
struct cs {
	uint8_t		*p;		/* NULL: none */
	bool		 udp;		/* 0 means "none"; a result of 0 is sent as 0xffff */
	const struct cs	*outer;
};

/* An IPv4 header as far as this file needs it. */
struct hdr {
	size_t		ihl;		/* bytes */
	uint8_t		proto;
	bool		first;		/* fragment offset 0: the L4 header is here */
};

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)be16_get(p) << 16 | be16_get(p + 2);
}

static void	word_set(uint8_t *, uint16_t, const struct cs *, size_t);

/* One 16-bit word covered by checksum c went from old to new. */
static void
cs_adjust(const struct cs *c, uint16_t old, uint16_t new)
{
	uint32_t	s;
	uint16_t	hc, r;

	if (c->p == NULL || old == new)
		return;
	hc = be16_get(c->p);
	if (c->udp && hc == 0)
		return;			/* no checksum: stays none (RFC 768) */
	s = (uint32_t)(uint16_t)~hc + (uint16_t)~old + new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	r = (uint16_t)~s;
	if (c->udp && r == 0)
		r = 0xffff;
	word_set(c->p, r, c->outer, c->outer != NULL ? 1 : 0);
}

/* Writes v at w; the n checksums in cs cover w and follow. */
static void
word_set(uint8_t *w, uint16_t v, const struct cs *cs, size_t n)
{
	uint16_t old = be16_get(w);

	be16_put(w, v);
	for (size_t i = 0; i < n; i++)
		cs_adjust(&cs[i], old, v);
}

/*
 * The 32-bit value at p goes from its value to v: each checksum in cs
 * takes both words' change in one update (~HC + ~m_hi + ~m_lo + m'_hi +
 * m'_lo, at most five 16-bit terms: two folds bring it under 0x10000).
 */
static void
addr_set(uint8_t *p, uint32_t v, const struct cs *cs, size_t n)
{
	uint32_t	old = rd32(p), s;
	uint16_t	hc, r;

	be16_put(p, (uint16_t)(v >> 16));
	be16_put(p + 2, (uint16_t)v);
	if (old == v)
		return;
	for (size_t i = 0; i < n; i++) {
		const struct cs *c = &cs[i];

		if (c->p == NULL)
			continue;
		hc = be16_get(c->p);
		if (c->udp && hc == 0)
			continue;	/* no checksum: stays none (RFC 768) */
		s = (uint32_t)(uint16_t)~hc + (uint16_t)~(old >> 16) +
		    (uint16_t)~old + (v >> 16) + (v & 0xffff);
		s = (s & 0xffff) + (s >> 16);
		s = (s & 0xffff) + (s >> 16);
		r = (uint16_t)~s;
		if (c->udp && r == 0)
			r = 0xffff;
		word_set(c->p, r, c->outer, c->outer != NULL ? 1 : 0);
	}
}

/*
 * Reads the IPv4 header at ip, of which avail bytes are here.  outer: the
 * total length must be avail; an embedded header may be cut short.
 */
static bool
hdr_read(const uint8_t *ip, size_t avail, bool outer, struct hdr *h)
{
	if (avail < IP_HDR_MIN || ip[0] >> 4 != 4)
		return false;
	h->ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (h->ihl < IP_HDR_MIN || h->ihl > avail)
		return false;
	if (outer && be16_get(ip + IP_OFF_TOTLEN) != avail)
		return false;
	h->proto = ip[IP_OFF_PROTO];
	h->first = (be16_get(ip + IP_OFF_FRAG) & IP_OFFSET_MASK) == 0;
	return true;
}

/* The TCP or UDP checksum field among l4[0..avail), if any. */
static uint8_t *
l4_csum(const struct hdr *h, uint8_t *l4, size_t avail, bool *udp)
{
	*udp = false;
	if (!h->first)
		return NULL;
	if (h->proto == PROTO_UDP && avail >= UDP_HDR_LEN) {
		*udp = true;
		return l4 + UDP_OFF_CSUM;
	}
	if (h->proto == PROTO_TCP && avail >= TCP_OFF_CSUM + 2)
		return l4 + TCP_OFF_CSUM;
	return NULL;
}

static bool
icmp_is_error(uint8_t type)
{
	/* unreachable, source quench, redirect, time exceeded, parameter */
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

void
netmap_init(struct netmap *nm)
{
	memset(nm, 0, sizeof(*nm));
}

static bool
overlap(uint32_t a, uint32_t b, uint8_t plen_a, uint8_t plen_b)
{
	uint8_t		plen = plen_a < plen_b ? plen_a : plen_b;
	uint32_t	mask = plen == 0 ? 0 : UINT32_MAX << (32 - plen);

	return (a & mask) == (b & mask);
}

int
netmap_add(struct netmap *nm, struct in_addr real, struct in_addr alias,
    uint8_t plen)
{
	struct netmap_rule r;

	if (nm->n >= NETMAP_MAX || plen > 32)
		return -1;
	r.plen = plen;
	r.mask = plen == 0 ? 0 : UINT32_MAX << (32 - plen);
	r.real = ntohl(real.s_addr);
	r.alias = ntohl(alias.s_addr);
	if ((r.real & ~r.mask) != 0 || (r.alias & ~r.mask) != 0 ||
	    overlap(r.real, r.alias, plen, plen))
		return -1;
	for (size_t i = 0; i < nm->n; i++) {
		const struct netmap_rule *o = &nm->v[i];

		if (overlap(r.real, o->real, plen, o->plen) ||
		    overlap(r.real, o->alias, plen, o->plen) ||
		    overlap(r.alias, o->real, plen, o->plen) ||
		    overlap(r.alias, o->alias, plen, o->plen))
			return -1;
	}
	nm->v[nm->n++] = r;
	return 0;
}

int
netmap_load(struct netmap *nm, const struct conf_prefix *p, size_t n)
{
	netmap_init(nm);
	for (size_t i = 0; i < n; i++)
		if (p[i].has_alias && netmap_add(nm, p[i].addr, p[i].alias,
		    p[i].plen) == -1)
			return -1;
	return 0;
}

/* a (host order) mapped; false if no rule holds it. */
static bool
map_host(const struct netmap *nm, uint32_t *a, bool to_real)
{
	for (size_t i = 0; i < nm->n; i++) {
		const struct netmap_rule *r = &nm->v[i];
		uint32_t from = to_real ? r->alias : r->real;
		uint32_t to = to_real ? r->real : r->alias;

		if ((*a & r->mask) == from) {
			*a = to | (*a & ~r->mask);
			return true;
		}
	}
	return false;
}

bool
netmap_map(const struct netmap *nm, struct in_addr *a, bool to_real)
{
	uint32_t h = ntohl(a->s_addr);

	if (!map_host(nm, &h, to_real))
		return false;
	a->s_addr = htonl(h);
	return true;
}

/*
 * The embedded header of an ICMP error at emb[0..avail): the address at
 * off (the one that was ours when the original packet crossed) is mapped
 * back.  icmp is the ICMP checksum, which covers all of it.
 */
static bool
embedded(const struct netmap *nm, uint8_t *emb, size_t avail, size_t off,
    bool to_real, const struct cs *icmp)
{
	struct hdr	h;
	struct cs	cs[3];
	uint32_t	a;
	bool		udp;

	if (!hdr_read(emb, avail, false, &h))
		return false;
	a = rd32(emb + off);
	if (!map_host(nm, &a, to_real))
		return false;
	cs[0] = (struct cs){ emb + IP_OFF_CSUM, false, icmp };
	cs[1] = (struct cs){ l4_csum(&h, emb + h.ihl, avail - h.ihl, &udp),
	    false, icmp };
	cs[1].udp = udp;
	cs[2] = *icmp;
	addr_set(emb + off, a, cs, 3);
	return true;
}

enum netmap_res
netmap_translate(const struct netmap *nm, enum netmap_dir dir, uint8_t *ip,
    size_t len, struct netmap_xlat *x)
{
	bool		 to_real = dir == NETMAP_IN;
	size_t		 off = to_real ? IP_OFF_DST : IP_OFF_SRC;
	size_t		 emb_off = to_real ? IP_OFF_SRC : IP_OFF_DST;
	struct hdr	 h;
	struct cs	 cs[2], icmp;
	uint32_t	 orig, a;
	uint8_t		*l4;
	size_t		 l4len;
	bool		 hit, done = false, udp;

	if (nm->n == 0)
		return NETMAP_PASS;
	if (!hdr_read(ip, len, true, &h))
		return NETMAP_BAD;
	orig = a = rd32(ip + off);
	hit = map_host(nm, &a, to_real);
	if (hit && x != NULL) {
		x->real.s_addr = htonl(to_real ? a : orig);
		x->alias.s_addr = htonl(to_real ? orig : a);
	}
	if (hit && h.proto == PROTO_ESP)
		return NETMAP_ESP;
	l4 = ip + h.ihl;
	l4len = len - h.ihl;
	if (h.proto == PROTO_ICMP && h.first && l4len >= ICMP_HDR_LEN +
	    IP_HDR_MIN && icmp_is_error(l4[0])) {
		icmp = (struct cs){ l4 + 2, false, NULL };
		done = embedded(nm, l4 + ICMP_HDR_LEN, l4len - ICMP_HDR_LEN,
		    emb_off, to_real, &icmp);
	}
	if (hit) {
		cs[0] = (struct cs){ ip + IP_OFF_CSUM, false, NULL };
		cs[1] = (struct cs){ l4_csum(&h, l4, l4len, &udp), false,
		    NULL };
		cs[1].udp = udp;
		addr_set(ip + off, a, cs, 2);
		done = true;
	}
	return done ? NETMAP_DONE : NETMAP_PASS;
}
