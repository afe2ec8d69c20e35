/* SPDX-License-Identifier: ISC */
/*
 * The inner-source table (see srcauth.h): one entry per (origin, prefix),
 * sorted by origin id, so a packet's check is a binary search for its
 * origin and a scan of that origin's prefixes (an advertisement holds at
 * most PKT_LSA_PREFIX_MAX).  No globals, no logging, no clock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "ipaddr.h"
#include "pkt.h"
#include "srcauth.h"

void
srcauth_init(struct srcauth *a)
{
	memset(a, 0, sizeof(*a));
}

void
srcauth_release(struct srcauth *a)
{
	free(a->v);
	free(a->v6);
	srcauth_init(a);
}

static int
cmp_entry(const void *x, const void *y)
{
	const struct srcauth_entry *a = x, *b = y;

	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	if (a->net != b->net)
		return a->net < b->net ? -1 : 1;
	return a->mask < b->mask ? -1 : a->mask > b->mask;
}

static int
cmp_entry6(const void *x, const void *y)
{
	const struct srcauth_entry6 *a = x, *b = y;

	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	return a->plen < b->plen ? -1 : a->plen > b->plen;
}

int
srcauth_build(struct srcauth *a, const struct route_table *t)
{
	struct srcauth_entry *v = NULL;
	struct srcauth_entry6 *v6 = NULL;
	size_t n = 0, n6 = 0;

	if (t->n > 0 && (v = calloc(t->n, sizeof(*v))) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (t->n6 > 0 && (v6 = calloc(t->n6, sizeof(*v6))) == NULL) {
		free(v);
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < t->n6; i++) {
		const struct route6 *r = &t->v6[i];

		if (r->hops == 0 || r->plen > 128)
			continue;
		v6[n6].id = pkt_origin_id(r->dest);
		v6[n6].plen = r->plen;
		v6[n6].net = r->addr;
		n6++;
	}
	if (n6 > 1)
		qsort(v6, n6, sizeof(*v6), cmp_entry6);
	free(a->v6);
	a->v6 = v6;
	a->n6 = n6;
	for (size_t i = 0; i < t->n; i++) {
		const struct route *r = &t->v[i];

		if (r->hops == 0 || r->plen > 32)
			continue;
		v[n].id = pkt_origin_id(r->dest);
		v[n].mask = r->plen == 0 ? 0 : UINT32_MAX << (32 - r->plen);
		v[n].net = ntohl(r->addr.s_addr) & v[n].mask;
		n++;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_entry);
	free(a->v);
	a->v = v;
	a->n = n;
	return 0;
}

bool
srcauth_allows(const struct srcauth *a, uint32_t id, struct in_addr src)
{
	size_t lo = 0, hi = a->n;
	uint32_t s = ntohl(src.s_addr);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < a->n && a->v[lo].id == id; lo++)
		if ((s & a->v[lo].mask) == a->v[lo].net)
			return true;
	return false;
}

bool
srcauth_allows6(const struct srcauth *a, uint32_t id,
    const struct in6_addr *src)
{
	size_t lo = 0, hi = a->n6;
	struct ipprefix p;
	struct ipaddr s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->v6[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	ipaddr_set6(&s, src);
	for (; lo < a->n6 && a->v6[lo].id == id; lo++) {
		ipaddr_set6(&p.addr, &a->v6[lo].net);
		p.plen = a->v6[lo].plen;
		if (ipprefix_contains(&p, &s))
			return true;
	}
	return false;
}
