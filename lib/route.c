/* SPDX-License-Identifier: ISC */
/*
 * This file owns the forwarding table's read side: longest-prefix-match
 * lookups, the "is this one of our prefixes" test, prefix formatting and
 * conflict detection.  lib/topo.c (topo_routes()) fills the table.
 * No globals, no logging, no clock, no allocation: callers log.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

/* Netmask in host order; plen 0 must not shift by 32 (undefined). */
static uint32_t
plen_mask(uint8_t plen)
{
	return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

static bool
prefix_contains(const struct route *r, struct in_addr dst)
{
	return (ntohl(dst.s_addr) & plen_mask(r->plen)) ==
	    ntohl(r->addr.s_addr);
}

/*
 * Two claims conflict when different proxies make them and the prefixes
 * overlap, i.e. agree on the bits of the shorter one (equal prefixes
 * included).  A proxy's own overlapping prefixes are not a conflict.
 */
static bool
claims_conflict(const struct route *x, const struct route *y)
{
	uint32_t	m;

	if (strcmp(x->dest, y->dest) == 0)
		return false;
	m = plen_mask(x->plen < y->plen ? x->plen : y->plen);
	return (ntohl(x->addr.s_addr) & m) == (ntohl(y->addr.s_addr) & m);
}

/*
 * Every pair is compared: O(n^2) over a table of tens of prefixes, run
 * when the table changes or on a CLI request, never per packet.
 */
size_t
route_conflicts_find(const struct route_table *t, struct route *a,
    struct route *b, size_t max)
{
	size_t	i, j, n = 0;

	for (i = 0; i < t->n && n < max; i++) {
		for (j = i + 1; j < t->n && n < max; j++) {
			if (!claims_conflict(&t->v[i], &t->v[j]))
				continue;
			a[n] = t->v[i];
			b[n] = t->v[j];
			n++;
		}
	}
	return n;
}

bool
route_conflicts(const struct route_table *t, const struct route *r)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (claims_conflict(&t->v[i], r))
			return true;
	return false;
}

void
route_table_init(struct route_table *t)
{
	t->v = NULL;
	t->n = 0;
	t->cap = 0;
}

void
route_table_release(struct route_table *t)
{
	free(t->v);
	route_table_init(t);
}

/*
 * A linear scan over a table sorted longest prefix first: the first match
 * is the longest match.  Tables hold tens of prefixes, so this beats a trie
 * on constant factors and needs no second structure to keep in sync.
 * TODO: a trie if link-state meshes outgrow tens of prefixes.
 */
const struct route *
route_lookup(const struct route_table *t, struct in_addr dst)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (prefix_contains(&t->v[i], dst))
			return &t->v[i];
	return NULL;
}

bool
route_is_local(const struct route_table *t, struct in_addr dst)
{
	size_t	i;

	for (i = 0; i < t->n; i++) {
		const struct route *r = &t->v[i];

		if (r->hops == 0 && r->next_hop[0] == '\0' &&
		    prefix_contains(r, dst))
			return true;
	}
	return false;
}

/* Truncates (still NUL-terminated) if len is below 19; NULL if len is 0. */
const char *
route_prefix_str(const struct route *r, char *buf, size_t len)
{
	char	a[INET_ADDRSTRLEN];

	if (buf == NULL || len == 0)
		return NULL;
	if (inet_ntop(AF_INET, &r->addr, a, sizeof(a)) == NULL)
		a[0] = '\0';	/* not with AF_INET and this size */
	snprintf(buf, len, "%s/%u", a, (unsigned)r->plen);
	return buf;
}
