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

#define TOPO_MAX_AGE_S		180	/* an advertisement not refreshed */
					/* within this is dropped */
#define TOPO_REFRESH_S		60	/* origins re-advertise this often */
/*
 * A refresh reaches every proxy over every link: N origins cost each
 * proxy N / TOPO_REFRESH_S signature checks a second, and a network
 * N * links / TOPO_REFRESH_S datagrams (N=200 at 20 s: 21,000 a second
 * at rest, 1.3 cores of this VM).  What changes floods at once (links,
 * NAT types); the refresh only carries slow cost drift and keeps a live
 * origin from ageing out, and the dead are routed around as soon as their
 * neighbours say so, not when their advertisement ages out.  OSPF
 * refreshes every 30 minutes.
 */

struct topo;

/*
 * Bounds on what the network may put in our database (configurable:
 * 'topology' in proxyd.conf).  Defaults are TOPO_DEFAULT_*.
 */
#define TOPO_DEFAULT_MAX_ORIGINS	4096
#define TOPO_DEFAULT_MAX_PREFIXES	64	/* per origin: more are refused */
#define TOPO_DEFAULT_MAX_LINKS		64	/* per origin: more are ignored */
#define TOPO_DEFAULT_RATE		2	/* new advertisements accepted */
#define TOPO_DEFAULT_BURST		10	/* per origin per second, and */
						/* a burst of this many */
struct topo_limits {
	size_t		max_origins;	/* ours included; >= 1 */
	uint16_t	max_prefixes;	/* 0-64 */
	uint16_t	max_links;	/* 0-64 */
	uint32_t	rate;		/* per origin per second; >= 1 */
	uint32_t	burst;		/* >= 1 */
};

/* Why a prefix of a stored advertisement is not used for routes. */
enum topo_refusal {
	TOPO_REFUSED_NO = 0,
	TOPO_REFUSED_BLOCKS,	/* outside the certificate's address blocks */
	TOPO_REFUSED_NO_BLOCKS,	/* certificate has none (require_prefixes) */
	TOPO_REFUSED_LIMIT,	/* beyond max_prefixes */
};
const char	*topo_refusal_str(enum topo_refusal);

/*
 * Sequence numbers compare in serial-number arithmetic over 2^64 (RFC
 * 1982, with the half-way case decided by the plain order): a is newer
 * than b when a - b (mod 2^64) lies in (0, 2^63), or is 2^63 with a > b.
 * For every stored b, b + 1 is newer, so no value pins an origin: an
 * originator always has a next advertisement, and only it can sign one.
 */
bool		 topo_seq_newer(uint64_t a, uint64_t b);

enum topo_verdict {
	TOPO_NEWER,	/* stored: flood it to the other neighbours */
	TOPO_SAME,	/* already known: nothing to do */
	TOPO_OLDER,	/* we hold a newer one: send ours back */
	TOPO_OWN,	/* our own origin with a seq >= ours (we restarted): */
			/* the caller must re-originate above it */
	TOPO_INVALID,	/* age >= TOPO_MAX_AGE_S or origin empty */
	TOPO_FULL,	/* a new origin, and max_origins are stored */
	TOPO_RATE,	/* newer, but its origin is over its rate: dropped */
};

/* self: this proxy's name.  NULL on ENOMEM or a bad name. */
struct topo	*topo_new(const char *self);
void		 topo_free(struct topo *);
/* Sets the bounds (applied to what arrives from now on). */
void		 topo_set_limits(struct topo *, const struct topo_limits *);
void		 topo_get_limits(const struct topo *, struct topo_limits *);
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
/*
 * What topo_receive() would answer, without storing anything or using up
 * the origin's rate: the caller checks the signature only of what would
 * be used (TOPO_NEWER, TOPO_OWN).
 */
enum topo_verdict topo_classify(const struct topo *, const struct pkt_lsa *,
		    uint64_t now_us);
/*
 * topo_receive() of a verified advertisement: prefixes whose bit is set in
 * refused (bit i: prefix i) are kept for flooding but never routed, for
 * reason why (TOPO_REFUSED_BLOCKS or TOPO_REFUSED_NO_BLOCKS).  *changed
 * (changed may be NULL) is set when what routes are computed from changed:
 * a new origin, or other endpoints, prefixes, links (peer, NAT type, cost)
 * or refusals than the copy it replaces.  A refresh that repeats them
 * (only the sequence number, age and signature new) leaves it false, and
 * the caller need not compute its routes again.
 */
enum topo_verdict topo_receive_checked(struct topo *, const struct pkt_lsa *,
		    uint64_t refused, enum topo_refusal why, uint64_t now_us,
		    bool *changed);
/*
 * Whether prefix k of the advertisement at position i (topo_at order) is
 * refused, and why.
 */
enum topo_refusal topo_prefix_refused(const struct topo *, size_t i,
		    uint16_t k);
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
/*
 * Drops every advertisement (never our own) for which drop(lsa, arg) is
 * true, keeping the order of the rest.  Returns how many were dropped.
 */
size_t		 topo_remove_if(struct topo *,
		    bool (*drop)(const struct pkt_lsa *, void *), void *arg);
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
/*
 * topo_routes() and topo_spf() from one shortest-path run (what the daemon
 * needs after every change: the cost of one run, not two).  0 or -1; on
 * -1 *paths is NULL.
 */
int		 topo_compute(const struct topo *, struct route_table *,
		    struct topo_path **paths, size_t *n);
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
