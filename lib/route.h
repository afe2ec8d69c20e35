/* SPDX-License-Identifier: ISC */
/*
 * The forwarding table: routes to site prefixes, ours and remote ones.
 * lib/topo.c builds it from the link-state database (topo_routes(): one
 * route per (prefix, origin), sorted longest prefix first, then cheapest
 * claim) and indexes it (route_table_index()); this module answers
 * longest-prefix-match lookups on it on the hot path without allocating,
 * and reports prefixes claimed by two proxies.
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
 * An IPv6 route: the same fields for an IPv6 prefix.  Kept in their own
 * array of the table (v6), in the same order as v (longest prefix first,
 * then cheapest claim), so that the first match is the longest one.
 */
struct route6 {
	struct in6_addr	addr;		/* network, host bits zero */
	uint8_t		plen;		/* 0-128 */
	uint8_t		hops;		/* 0: own prefix */
	char		dest[PKT_NAME_MAX + 1];
	char		next_hop[PKT_NAME_MAX + 1];
	uint32_t	cost;
	uint8_t		path_nat;
};

struct route_index;
struct route6_index;

/*
 * Forwarding table: routes sorted by plen, longest first; among equal
 * prefixes the preferred claim comes first.  Lookups answer "the first
 * route in this order that matches", which is then the longest match
 * (the index gives that answer for a table in any order).
 *
 * idx is the longest-prefix-match index over v[0..n) (a path-compressed
 * binary trie, see route.c), built by route_table_index() once the table
 * is complete.  It is a snapshot of each route's prefix, position, dest
 * and "own" state (hops 0, next_hop ""): whoever changes one of these, or
 * adds or removes routes, calls route_table_index() again.  Changing other
 * fields (a remote route's hops, next_hop, cost, path_nat) needs nothing.
 * Without an index, or with one built for another v or n, every function
 * falls back to scanning v (same answers, O(n) per call).
 *
 * Memory: v holds cap * sizeof(struct route) (144 bytes); the index adds
 * at most ROUTE_INDEX_BYTES bytes per route, plus ROUTE_INDEX_TOP_BYTES
 * from ROUTE_INDEX_TOP_MIN routes on (see route_table_mem()); building it
 * needs 16 more bytes per route for a moment.
 */
struct route_table {
	struct route	*v;
	size_t		 n;
	size_t		 cap;
	struct route_index *idx;	/* NULL: none; owned */
	struct route6	*v6;		/* IPv6 routes, sorted as v; owned */
	size_t		 n6;
	size_t		 cap6;
	struct route6_index *idx6;	/* IPv6 index (route6.c); NULL: none */
};

/* Largest table route_table_index() indexes (EOVERFLOW above). */
#define ROUTE_INDEX_MAX		(1U << 24)
/* Upper bound of the index's memory per route, in bytes, and fixed part. */
#define ROUTE_INDEX_BYTES	60
#define ROUTE_INDEX_FIXED	128
/* From this many routes on, a first-level table of /16 blocks (512 KiB). */
#define ROUTE_INDEX_TOP_MIN	4096
#define ROUTE_INDEX_TOP_BYTES	(65536 * 8)

/*
 * Prefixes claimed by two different origins (overlap or equal), for the
 * log and the CLI: writes up to max pairs of routes into a/b; returns the
 * count.  In each pair a comes before b in the table; pairs are in table
 * order (by a, then b).  When the table holds at most max such pairs they
 * are exactly those of a comparison of every pair; when it holds more,
 * max of them are returned (the first found by the address sweep).
 * Indexed table: O(33 n + max log max) (the index's sort makes building it
 * O(n log n)); no allocation.
 */
size_t		 route_conflicts_find(const struct route_table *,
		    struct route *a, struct route *b, size_t max);
/*
 * Whether a proxy other than r's dest claims a prefix in t that overlaps
 * (or equals) r's: the per-route view of route_conflicts_find(), e.g. for
 * a "conflict" flag on each row of a route listing.  r need not be in t.
 * Indexed table: O(32) steps; no allocation; callable from any callback.
 */
bool		 route_conflicts(const struct route_table *t,
		    const struct route *r);

void		 route_table_init(struct route_table *);
/* Frees v and the index. */
void		 route_table_release(struct route_table *);
/*
 * (Re)builds the index over v[0..n) and the IPv6 one over v6[0..n6)
 * (route6.c): O(n log n), allocates.  The IPv6 index's failure leaves
 * v6 scanned and is reported the same way.  -1 with errno
 * ENOMEM, EOVERFLOW (n above ROUTE_INDEX_MAX) or EINVAL (a plen above 32 or
 * an address with host bits set): the table is then left unindexed (still
 * correct, scanned).  An empty table needs no index (0, none kept).
 */
int		 route_table_index(struct route_table *);
/* Whether t has an index that matches its v and n (lookups use it). */
bool		 route_table_indexed(const struct route_table *);
/* The same for the IPv6 index and v6, n6. */
bool		 route_table_indexed6(const struct route_table *);
/* Builds only the IPv6 index (route_table_index() calls it); as above. */
int		 route_table_index6(struct route_table *);
/* Frees the IPv6 index (route_table_release() calls it). */
void		 route_table_index6_free(struct route_table *);
/* Bytes of the IPv6 index. */
size_t		 route_table_mem6(const struct route_table *);
/* Bytes held by t: its array (cap routes) and its index. */
size_t		 route_table_mem(const struct route_table *);
/*
 * Longest-prefix match: the first route of the table that holds dst; NULL
 * if none.  Indexed: at most 33 trie steps.  No allocation.
 */
const struct route *route_lookup(const struct route_table *, struct in_addr dst);
/*
 * True if dst falls inside one of this proxy's own prefixes (hops 0, no
 * next hop), whatever longer prefix claims it.  Same cost as route_lookup().
 */
bool		 route_is_local(const struct route_table *, struct in_addr dst);
/*
 * IPv6 longest-prefix match over t->v6: the longest route holding dst,
 * among equal prefixes the first in the table (so, v6 being sorted
 * longest first, the first route holding dst); NULL if none.  Indexed:
 * one hash probe per distinct prefix length in the table (at most 129),
 * see route6.c.  Unindexed: a scan.  No allocation.
 */
const struct route6 *route_lookup6(const struct route_table *,
		    const struct in6_addr *dst);
/* Whether dst lies in one of our own IPv6 prefixes (hops 0). */
bool		 route_is_local6(const struct route_table *,
		    const struct in6_addr *dst);
/* Formats "ADDR/N" (RFC 5952) into buf (at least 50 bytes). */
const char	*route6_prefix_str(const struct route6 *, char *buf,
		    size_t len);
/*
 * IPv6 twins of route_conflicts() and route_conflicts_find(): claims of
 * different dests whose prefixes overlap (or are equal).  The pairs come
 * in table order (by a, then b), each once, the first max of them.  The
 * flag of a route of the indexed table is read from the index (computed
 * with it, O(n * lengths)); the pairs scan only flagged routes (worst
 * O(flagged^2), in practice a few steps per pair).  Unindexed, or r not
 * in t: scans.  No allocation.
 */
bool		 route6_conflicts(const struct route_table *t,
		    const struct route6 *r);
size_t		 route6_conflicts_find(const struct route_table *,
		    struct route6 *a, struct route6 *b, size_t max);
/* Whether r6's prefix holds dst. */
bool		 route6_contains(const struct route6 *,
		    const struct in6_addr *dst);

/* Formats "A.B.C.D/N" into buf (at least 19 bytes). */
const char	*route_prefix_str(const struct route *, char *buf, size_t len);

#endif
