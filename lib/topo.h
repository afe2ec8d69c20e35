/* SPDX-License-Identifier: ISC */
/*
 * The topology: a link-state database of every proxy's advertisement
 * (struct pkt_lsa: its prefixes, its links with their NAT types and costs,
 * and an endpoint where outsiders can reach it), the flooding decisions,
 * ageing, and the shortest-path computation that turns it into routes.
 * Pure code: time is passed in as microseconds, nothing here sends.
 */
#ifndef PROXYD_TOPO_H
#define PROXYD_TOPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nat.h"
#include "pkt.h"
#include "route.h"

#define TOPO_MAX_AGE_S		60	/* an advertisement not refreshed */
					/* within this is dropped */
#define TOPO_REFRESH_S		20	/* origins re-advertise this often */

struct topo;

enum topo_verdict {
	TOPO_NEWER,	/* stored: flood it to the other neighbours */
	TOPO_SAME,	/* already known: nothing to do */
	TOPO_OLDER,	/* we hold a newer one: send ours back */
	TOPO_OWN,	/* our own origin with a seq >= ours (we restarted): */
			/* the caller must re-originate above it */
	TOPO_INVALID,	/* age >= TOPO_MAX_AGE_S or origin empty */
};

/* self: this proxy's name.  NULL on ENOMEM or a bad name. */
struct topo	*topo_new(const char *self);
void		 topo_free(struct topo *);
/*
 * Installs this proxy's own advertisement (age 0).  Its seq must grow with
 * every change; topo_next_seq() gives the next one.  0 or -1 (ENOMEM).
 */
int		 topo_set_self(struct topo *, const struct pkt_lsa *,
		    uint64_t now_us);
/*
 * The next sequence number for our own advertisement: larger than any
 * seen for our origin, including ones from a previous run of ours that
 * are still flooding around (TOPO_OWN).  The first is the caller's
 * 'base' (e.g. wall-clock seconds << 20) if that is larger.
 */
uint64_t	 topo_next_seq(struct topo *, uint64_t base);
/*
 * Considers an advertisement received from a neighbour.  Newer means a
 * larger seq (same seq: not newer).  The stored copy remembers now_us so
 * its age grows; its age on arrival is lsa->age_s.  See enum topo_verdict.
 */
enum topo_verdict topo_receive(struct topo *, const struct pkt_lsa *,
		    uint64_t now_us);
/* The stored advertisement of origin (borrowed), or NULL. */
const struct pkt_lsa *topo_get(const struct topo *, const char *origin);
/*
 * Copies the stored advertisement of origin with its current age into
 * out (for flooding onward).  0, or -1 if unknown.
 */
int		 topo_copy(const struct topo *, const char *origin,
		    uint64_t now_us, struct pkt_lsa *out);
/*
 * Drops advertisements whose age reached TOPO_MAX_AGE_S (never our own).
 * Returns how many were dropped.
 */
size_t		 topo_expire(struct topo *, uint64_t now_us);
size_t		 topo_count(const struct topo *);
/*
 * Iteration in origin-name order: i from 0 while the result is not NULL;
 * *age_s gets the current age.
 */
const struct pkt_lsa *topo_at(const struct topo *, size_t i, uint64_t now_us,
		    uint16_t *age_s);

struct topo_path {
	char		dest[PKT_NAME_MAX + 1];
	char		next_hop[PKT_NAME_MAX + 1];
	uint8_t		hops;
	uint32_t	cost;
	uint8_t		path_nat;	/* enum nat_type (1-6) folded along it */
};

/*
 * Shortest paths from self (Dijkstra over the links that both ends
 * advertise; a link's cost is the larger of the two advertised costs, its
 * NAT type the fold of both ends' types).  Ties: lower cost, then fewer
 * hops, then the smaller next-hop name.  Fills a heap array the caller
 * frees with free(); *n reachable proxies, self excluded.  0 or -1.
 */
int		 topo_spf(const struct topo *, struct topo_path **out,
		    size_t *n);
/*
 * Builds the forwarding table: our own prefixes (hops 0, dest self), then
 * every reachable proxy's prefixes with its path's next hop, hops, cost and
 * path NAT type; one route per (prefix, origin) so overlapping claims stay
 * visible to route_conflicts_find().  Sorted longest prefix first, then by cost.
 * 0 or -1.
 */
int		 topo_routes(const struct topo *, struct route_table *);
/* The path NAT type of one link as both ends advertise it (fold), or
 * NAT_TYPE_UNKNOWN if the link is not two-way. */
uint8_t		 topo_link_nat(const struct topo *, const char *a,
		    const char *b);
/* Whether a and b both advertise a link to each other (two-way). */
bool		 topo_linked(const struct topo *, const char *a, const char *b);
/*
 * The NAT type origin advertises toward peer: origin's own end of the link
 * (its first link to peer), one-way links included.  NAT_TYPE_UNKNOWN if
 * origin is not in the database or advertises no link to peer.
 */
enum nat_type	 topo_advertised_nat(const struct topo *, const char *origin,
		    const char *peer);

#endif
