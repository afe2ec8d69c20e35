/* SPDX-License-Identifier: ISC */
/*
 * This file owns the IPv6 side of the forwarding table's read side:
 * lookups, the own-prefix test and formatting over route_table.v6, which
 * lib/topo.c fills in the table's order (longest prefix first, then the
 * cheapest claim).  A scan: the table is small (a few prefixes per site),
 * and the first route holding the address is then the longest match.
 */
#include <string.h>

#include "ipaddr.h"
#include "route.h"

bool
route6_contains(const struct route6 *r, const struct in6_addr *dst)
{
	struct ipprefix p;
	struct ipaddr a;

	ipaddr_set6(&p.addr, &r->addr);
	p.plen = r->plen;
	ipaddr_set6(&a, dst);
	return ipprefix_contains(&p, &a);
}

const struct route6 *
route_lookup6(const struct route_table *t, const struct in6_addr *dst)
{
	for (size_t i = 0; i < t->n6; i++)
		if (route6_contains(&t->v6[i], dst))
			return &t->v6[i];
	return NULL;
}

bool
route_is_local6(const struct route_table *t, const struct in6_addr *dst)
{
	for (size_t i = 0; i < t->n6; i++)
		if (t->v6[i].hops == 0 && t->v6[i].next_hop[0] == '\0' &&
		    route6_contains(&t->v6[i], dst))
			return true;
	return false;
}

const char *
route6_prefix_str(const struct route6 *r, char *buf, size_t len)
{
	struct ipprefix p;

	if (buf == NULL || len == 0)
		return NULL;
	ipaddr_set6(&p.addr, &r->addr);
	p.plen = r->plen;
	return ipprefix_str(&p, buf, len);
}
