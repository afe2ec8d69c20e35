/* SPDX-License-Identifier: ISC */
/*
 * The forwarding table: routes to site prefixes, ours and remote ones.
 * lib/topo.c builds it from the link-state database (topo_routes(): one
 * route per (prefix, origin), sorted longest prefix first, then cheapest
 * claim); this module answers longest-prefix-match lookups on it on the hot
 * path without allocating, and reports prefixes claimed by two proxies.
 */
#ifndef PROXYD_ROUTE_H
#define PROXYD_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "pkt.h"

struct route {
	struct in_addr	addr;		/* network, host bits zero */
	uint8_t		plen;
	uint8_t		hops;		/* 0: own prefix */
	char		dest[PKT_NAME_MAX + 1];		/* proxy owning the prefix */
	char		next_hop[PKT_NAME_MAX + 1];	/* neighbour, "" when local */
	uint32_t	cost;		/* path cost (topology), 0 when local */
	uint8_t		path_nat;	/* enum nat_type folded along the path; */
					/* 0 when not computed (local) */
};

/*
 * Forwarding table: routes sorted by plen, longest first (route_lookup()
 * relies on it); among equal prefixes the preferred claim comes first.
 */
struct route_table {
	struct route	*v;
	size_t		 n;
	size_t		 cap;
};

/*
 * Prefixes claimed by two different origins (overlap or equal), for the
 * log and the CLI: writes up to max pairs of routes into a/b; returns the
 * count.
 */
size_t		 route_conflicts_find(const struct route_table *,
		    struct route *a, struct route *b, size_t max);
/*
 * Whether a proxy other than r's dest claims a prefix in t that overlaps
 * (or equals) r's: the per-route view of route_conflicts_find(), e.g. for
 * a "conflict" flag on each row of a route listing.  r need not be in t.
 * O(t->n), no allocation; callable from any callback.
 */
bool		 route_conflicts(const struct route_table *t,
		    const struct route *r);

void		 route_table_init(struct route_table *);
void		 route_table_release(struct route_table *);
/* Longest-prefix match; NULL if no route.  No allocation. */
const struct route *route_lookup(const struct route_table *, struct in_addr dst);
/* True if dst falls inside one of this proxy's own (hops 0) prefixes. */
bool		 route_is_local(const struct route_table *, struct in_addr dst);
/* Formats "A.B.C.D/N" into buf (at least 19 bytes). */
const char	*route_prefix_str(const struct route *, char *buf, size_t len);

#endif
