/* SPDX-License-Identifier: ISC */
/*
 * Routes to remote site prefixes.  The RIB keeps what each neighbour
 * announced (a full table per neighbour, replaced on every announcement) and
 * this proxy's own prefixes; rib_compute() picks, per prefix, the route
 * with the fewest hops and builds the forwarding table, which answers
 * longest-prefix-match lookups on the hot path without allocating.
 * Distance vector with split horizon is the foundation's simple
 * announcement; the topology issue replaces it with link-state flooding.
 */
#ifndef PROXYD_ROUTE_H
#define PROXYD_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "pkt.h"

#define ROUTE_HOPS_MAX	16	/* a route with more hops is unreachable */

struct route {
	struct in_addr	addr;		/* network, host bits zero */
	uint8_t		plen;
	uint8_t		hops;		/* 0: own prefix */
	char		dest[PKT_NAME_MAX + 1];		/* proxy owning the prefix */
	char		next_hop[PKT_NAME_MAX + 1];	/* neighbour, "" when local */
	uint32_t	cost;		/* path cost (topology), 0 when local */
	uint8_t		path_nat;	/* enum nat_type folded along the path; */
					/* 0 when not computed (local, rib) */
};

/* Forwarding table: routes sorted by plen, longest first. */
struct route_table {
	struct route	*v;
	size_t		 n;
	size_t		 cap;
};

struct rib;

struct rib	*rib_new(const char *self);
void		 rib_free(struct rib *);
/* Replaces this proxy's own prefixes.  0 or -1 (ENOMEM). */
int		 rib_set_local(struct rib *, const struct in_addr *addrs,
		    const uint8_t *plens, size_t n);
/*
 * Replaces everything neighbour 'nbr' announced.  Routes whose origin is
 * this proxy, or with hops >= ROUTE_HOPS_MAX, are ignored.  0 or -1.
 */
int		 rib_set_neighbour(struct rib *, const char *nbr,
		    const struct pkt_route *, size_t n);
/* Forgets a neighbour (its link went down). */
void		 rib_drop_neighbour(struct rib *, const char *nbr);
/*
 * Builds the forwarding table: for each prefix, local beats learned, fewer
 * hops beat more, then the smaller neighbour name.  Returns 0 or -1.
 */
int		 rib_compute(const struct rib *, struct route_table *);
/*
 * What to announce to neighbour 'to': own prefixes (hops 0) and the best
 * learned routes with hops+1, except those learned from 'to' (split
 * horizon).  Fills at most max entries; returns the count.
 */
size_t		 rib_export(const struct rib *, const struct route_table *,
		    const char *to, struct pkt_route *out, size_t max);
/*
 * Prefixes claimed by two different origins (overlap or equal), for the
 * log and the CLI: writes up to max pairs of routes into a/b; returns the
 * count.
 */
size_t		 rib_conflicts(const struct route_table *, struct route *a,
		    struct route *b, size_t max);

void		 route_table_init(struct route_table *);
void		 route_table_release(struct route_table *);
/* Longest-prefix match; NULL if no route.  No allocation. */
const struct route *route_lookup(const struct route_table *, struct in_addr dst);
/* True if dst falls inside one of this proxy's own (hops 0) prefixes. */
bool		 route_is_local(const struct route_table *, struct in_addr dst);
/* Formats "A.B.C.D/N" into buf (at least 19 bytes). */
const char	*route_prefix_str(const struct route *, char *buf, size_t len);

#endif
