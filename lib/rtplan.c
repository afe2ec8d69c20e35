/* SPDX-License-Identifier: ISC */
/*
 * This file owns the kernel route plan (see rtplan.h for the rules).  Why
 * sorted arrays and binary search: the host's table is read afresh on each
 * pass (routes change rarely), so an index built per pass would cost its
 * build every time; a sort is O(m log m) and each wanted prefix then costs
 * one search for routes inside it plus one per shorter length for a route
 * holding it (at most 32).  No globals, no logging, no clock.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "rtplan.h"

static uint32_t
mask(uint8_t plen)
{
	return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

static int
cmp_key(uint32_t a, uint8_t pa, uint32_t b, uint8_t pb)
{
	if (a != b)
		return a < b ? -1 : 1;
	return pa < pb ? -1 : pa > pb;
}

static int
cmp_foreign(const void *x, const void *y)
{
	const struct rtplan_foreign *a = x, *b = y;

	return cmp_key(ntohl(a->addr.s_addr), a->plen, ntohl(b->addr.s_addr),
	    b->plen);
}

static int
cmp_route(const void *x, const void *y)
{
	const struct rtplan_route *a = x, *b = y;

	return cmp_key(ntohl(a->addr.s_addr), a->plen, ntohl(b->addr.s_addr),
	    b->plen);
}

void
rtplan_foreign_sort(struct rtplan_foreign *f, size_t n)
{
	if (n > 1)
		qsort(f, n, sizeof(*f), cmp_foreign);
}

/* First index of f whose (addr, plen) is >= (a, p). */
static size_t
lower_bound(const struct rtplan_foreign *f, size_t n, uint32_t a, uint8_t p)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_key(ntohl(f[mid].addr.s_addr), f[mid].plen, a, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool
rtplan_overlap(const struct rtplan_foreign *f, size_t n, struct in_addr addr,
    uint8_t plen, struct rtplan_foreign *by)
{
	uint32_t lo, hi;
	size_t i;

	if (plen > 32)
		return false;
	lo = ntohl(addr.s_addr) & mask(plen);
	hi = lo | ~mask(plen);
	/* a foreign route holding ours: one exact search per shorter length */
	for (uint8_t p = 1; p <= plen; p++) {
		i = lower_bound(f, n, lo & mask(p), p);
		if (i < n && ntohl(f[i].addr.s_addr) == (lo & mask(p)) &&
		    f[i].plen == p) {
			if (by != NULL)
				*by = f[i];
			return true;
		}
	}
	/* one inside ours: its network address lies in our range */
	for (i = lower_bound(f, n, lo, 0); i < n &&
	    ntohl(f[i].addr.s_addr) <= hi; i++) {
		if (f[i].plen == 0)
			continue;	/* a default route holds everything */
		if (by != NULL)
			*by = f[i];
		return true;
	}
	return false;
}

/* a with the bits beyond plen cleared. */
static struct in6_addr
mask6(const struct in6_addr *a, unsigned plen)
{
	struct in6_addr m = *a;

	for (unsigned i = 0; i < 16; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		m.s6_addr[i] &= plen <= 8 * i ? 0 :
		    (uint8_t)(0xff << (8 - (plen - 8 * i)));
	}
	return m;
}

/* memcmp orders addresses in network byte order numerically. */
static int
cmp_key6(const struct in6_addr *a, uint8_t pa, const struct in6_addr *b,
    uint8_t pb)
{
	int c = memcmp(a, b, sizeof(*a));

	if (c != 0)
		return c < 0 ? -1 : 1;
	return pa < pb ? -1 : pa > pb;
}

static int
cmp_foreign6(const void *x, const void *y)
{
	const struct rtplan_foreign6 *a = x, *b = y;

	return cmp_key6(&a->addr, a->plen, &b->addr, b->plen);
}

void
rtplan_foreign6_sort(struct rtplan_foreign6 *f, size_t n)
{
	if (n > 1)
		qsort(f, n, sizeof(*f), cmp_foreign6);
}

static size_t
lower_bound6(const struct rtplan_foreign6 *f, size_t n,
    const struct in6_addr *a, uint8_t p)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_key6(&f[mid].addr, f[mid].plen, a, p) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The IPv4 search, over 128 bits: a holding route is one exact search per
 * shorter length; a route inside ours has its network address in our
 * range, so it sorts at or after our first address and at or before the
 * last one.
 */
bool
rtplan_overlap6(const struct rtplan_foreign6 *f, size_t n,
    const struct in6_addr *addr, uint8_t plen, struct rtplan_foreign6 *by)
{
	struct in6_addr lo, hi, m;
	size_t i;

	if (plen > 128)
		return false;
	lo = mask6(addr, plen);
	hi = lo;
	for (unsigned b = plen; b < 128; b++)
		hi.s6_addr[b / 8] |= (uint8_t)(0x80 >> (b % 8));
	for (uint8_t p = 1; p <= plen; p++) {
		m = mask6(&lo, p);
		i = lower_bound6(f, n, &m, p);
		if (i < n && f[i].plen == p &&
		    memcmp(&f[i].addr, &m, sizeof(m)) == 0) {
			if (by != NULL)
				*by = f[i];
			return true;
		}
	}
	for (i = lower_bound6(f, n, &lo, 0); i < n &&
	    memcmp(&f[i].addr, &hi, sizeof(hi)) <= 0; i++) {
		if (f[i].plen == 0)
			continue;	/* a default route holds everything */
		if (by != NULL)
			*by = f[i];
		return true;
	}
	return false;
}

static bool
same_place(const struct rtplan_route *a, const struct rtplan_route *b)
{
	return a->ifindex == b->ifindex && a->metric == b->metric;
}

struct tagged {
	struct rtplan_route	r;
	size_t			pos;
};

static int
cmp_tagged(const void *x, const void *y)
{
	const struct tagged *a = x, *b = y;
	int c = cmp_route(&a->r, &b->r);

	return c != 0 ? c : a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Sorted copy of v without duplicate prefixes (the first in v stays). */
static struct rtplan_route *
sorted_unique(const struct rtplan_route *v, size_t n, size_t *out_n)
{
	struct rtplan_route *s;
	struct tagged *t;
	size_t k = 0;

	*out_n = 0;
	if ((t = calloc(n, sizeof(*t))) == NULL)
		return NULL;
	if ((s = calloc(n, sizeof(*s))) == NULL) {
		free(t);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		t[i] = (struct tagged){ v[i], i };
	qsort(t, n, sizeof(*t), cmp_tagged);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || cmp_route(&s[k - 1], &t[i].r) != 0)
			s[k++] = t[i].r;
	free(t);
	*out_n = k;
	return s;
}

int
rtplan_make(const struct rtplan_route *want, size_t nwant,
    const struct rtplan_foreign *f, size_t nf,
    const struct rtplan_route *installed, size_t ninst, struct rtplan *out)
{
	struct rtplan_route *w = NULL, *in = NULL;
	size_t nw = 0, ni = 0, i, j, ndel = 0, nadd = 0;
	struct rtplan_step *dels = NULL;

	memset(out, 0, sizeof(*out));
	if ((nwant > 0 && (w = sorted_unique(want, nwant, &nw)) == NULL) ||
	    (ninst > 0 && (in = sorted_unique(installed, ninst, &ni)) ==
	    NULL))
		goto nomem;
	if ((nw > 0 && (out->verdicts = calloc(nw, sizeof(*out->verdicts))) ==
	    NULL) || (nw + ni > 0 && ((out->steps = calloc(nw + ni,
	    sizeof(*out->steps))) == NULL || (dels = calloc(nw + ni,
	    sizeof(*dels))) == NULL)))
		goto nomem;
	for (i = 0; i < nw; i++) {
		struct rtplan_verdict *v = &out->verdicts[i];

		v->r = w[i];
		v->refused = rtplan_overlap(f, nf, w[i].addr, w[i].plen,
		    &v->by);
	}
	out->n_verdicts = nw;
	/* merge the two sorted lists */
	for (i = j = 0; i < nw || j < ni; ) {
		int c = i == nw ? 1 : j == ni ? -1 : cmp_route(&w[i], &in[j]);

		if (c < 0) {			/* wanted, not installed */
			if (!out->verdicts[i].refused)
				out->steps[nadd++] = (struct rtplan_step){
				    RTPLAN_ADD, w[i] };
			i++;
		} else if (c > 0) {		/* installed, no longer wanted */
			dels[ndel++] = (struct rtplan_step){ RTPLAN_DEL, in[j] };
			j++;
		} else {
			if (out->verdicts[i].refused)
				dels[ndel++] = (struct rtplan_step){
				    RTPLAN_DEL, in[j] };
			else if (!same_place(&w[i], &in[j])) {
				out->steps[nadd++] = (struct rtplan_step){
				    RTPLAN_ADD, w[i] };
				dels[ndel++] = (struct rtplan_step){
				    RTPLAN_DEL, in[j] };
			}
			i++;
			j++;
		}
	}
	if (ndel > 0)
		memcpy(out->steps + nadd, dels, ndel * sizeof(*dels));
	out->n_steps = nadd + ndel;
	free(dels);
	free(w);
	free(in);
	return 0;
nomem:
	free(dels);
	free(w);
	free(in);
	rtplan_release(out);
	errno = ENOMEM;
	return -1;
}

void
rtplan_release(struct rtplan *p)
{
	free(p->steps);
	free(p->verdicts);
	memset(p, 0, sizeof(*p));
}

const struct rtplan_verdict *
rtplan_find(const struct rtplan *p, struct in_addr addr, uint8_t plen)
{
	size_t lo = 0, hi = p->n_verdicts;
	uint32_t a = ntohl(addr.s_addr);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct rtplan_route *r = &p->verdicts[mid].r;
		int c = cmp_key(ntohl(r->addr.s_addr), r->plen, a, plen);

		if (c == 0)
			return &p->verdicts[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *
rtplan_proto_name(uint8_t proto, char *buf, size_t len)
{
	static const struct {
		uint8_t		 n;
		const char	*name;
	} names[] = {
		{ 1, "redirect" }, { 2, "kernel" }, { 3, "boot" },
		{ 4, "static" }, { 8, "gated" }, { 9, "ra" }, { 10, "mrt" },
		{ 11, "zebra" }, { 12, "bird" }, { 13, "dnrouted" },
		{ 14, "xorp" }, { 15, "ntk" }, { 16, "dhcp" },
		{ 42, "babel" }, { 186, "bgp" }, { 187, "isis" },
		{ 188, "ospf" }, { 189, "rip" }, { 192, "eigrp" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].n == proto) {
			snprintf(buf, len, "%s", names[i].name);
			return buf;
		}
	snprintf(buf, len, "%u", proto);
	return buf;
}
