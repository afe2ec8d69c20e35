/* SPDX-License-Identifier: ISC */
/*
 * The queue of received advertisements waiting for their signature check
 * (proxyd/topology.c drains it a slice per event-loop turn, so a
 * neighbour flooding thousands of validly signed origins never stalls the
 * loop).  It holds encoded messages, per sending neighbour in arrival
 * order, and at most one per origin from each neighbour: a newer copy of
 * an origin from the same neighbour replaces the waiting older one (which
 * could only be checked to be thrown away), a copy that is not newer is
 * not queued.  Only the same neighbour's: an unchecked copy is a claim, so
 * a forger's copy must not displace a genuine one another neighbour sent
 * (copies of one advertisement from several neighbours cost a lookup each
 * when their turn comes: the first stored makes the others duplicates).
 * Bounded in items and
 * bytes; when full, the neighbour with the most waiting loses its newest
 * (the newcomer, if that is the neighbour sending it), so one flooding
 * neighbour cannot crowd out the others.  Draining is round-robin over the
 * neighbours.  Pure: no clock but what the caller passes in.
 */
#ifndef PROXYD_LSAQ_H
#define PROXYD_LSAQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define LSAQ_SOURCES_MAX	64	/* neighbours with ads waiting at once */
#define LSAQ_BUCKETS		4096	/* (neighbour, origin) index, chained */

/* One waiting advertisement. */
struct lsaq_item {
	char		from[PKT_NAME_MAX + 1];		/* the neighbour */
	char		origin[PKT_NAME_MAX + 1];
	uint64_t	seq;
	uint64_t	queued_us;	/* when pushed (its age grows) */
	size_t		len;
	uint8_t		msg[];		/* the encoded message, len bytes */
};

enum lsaq_verdict {
	LSAQ_QUEUED,	/* waiting */
	LSAQ_REPLACED,	/* waiting, in place of the neighbour's older copy */
	LSAQ_STALE,	/* not queued: the neighbour's as new or newer waits */
	LSAQ_DROPPED,	/* not queued: full (counted) */
};

struct lsaq_stats {
	size_t		depth;		/* waiting now */
	size_t		bytes;		/* their messages' bytes */
	size_t		peak;		/* most waiting at once */
	uint64_t	queued;		/* pushes that were queued */
	uint64_t	replaced;	/* older copies replaced by newer */
	uint64_t	stale;		/* pushes not newer than the waiting */
	uint64_t	dropped;	/* lost to the bounds: refused or evicted */
};

/* Per drain call: stop after max_items or once max_us have passed. */
struct lsaq_budget {
	unsigned	max_items;
	uint64_t	max_us;
};

/*
 * A queue holding at most max_items advertisements of at most max_bytes
 * together (both > 0).  NULL if out of memory.
 */
struct lsaq	*lsaq_new(size_t max_items, size_t max_bytes);
/* Frees the queue and what waits in it.  NULL does nothing. */
void		 lsaq_free(struct lsaq *);
/* New bounds for later pushes (what waits stays). */
void		 lsaq_set_limits(struct lsaq *, size_t max_items,
		    size_t max_bytes);
/*
 * Queues a copy of msg (len bytes), origin's advertisement with sequence
 * number seq (newer: topo_seq_newer()), received from neighbour from at
 * now_us, unless from's copy of origin that waits is as new or newer.  Names longer than PKT_NAME_MAX are cut (the decoder never
 * makes them).  May evict another neighbour's newest to make room.
 */
enum lsaq_verdict lsaq_push(struct lsaq *, const char *from,
		    const char *origin, uint64_t seq, const uint8_t *msg,
		    size_t len, uint64_t now_us);
/*
 * The next advertisement, round-robin over the neighbours, oldest first
 * for each; the caller owns it (lsaq_item_free()).  NULL when empty.
 */
struct lsaq_item *lsaq_pop(struct lsaq *);
/* Frees a popped item.  NULL does nothing. */
void		 lsaq_item_free(struct lsaq_item *);
size_t		 lsaq_len(const struct lsaq *);
void		 lsaq_stats(const struct lsaq *, struct lsaq_stats *);
/*
 * Pops and hands to fn what the budget allows: at least one item if any
 * waits, then more while fewer than b->max_items were handled and
 * clock(arg) has not advanced b->max_us since the call began.  fn must
 * not free the item (it is freed after fn returns); it may push.
 * Returns how many were handled.
 */
size_t		 lsaq_drain(struct lsaq *, const struct lsaq_budget *b,
		    uint64_t (*clock)(void *), void (*fn)(void *,
		    const struct lsaq_item *), void *arg);

#endif
