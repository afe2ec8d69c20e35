/* SPDX-License-Identifier: ISC */
/*
 * Joining the pieces of a split message (PKT_MSG_FRAG, lib/pkt.h).  A link
 * splits a DATA message that would not fit its path MTU into a few sealed
 * datagrams instead of letting IP fragment it through the NATs; the next
 * hop gathers the pieces here and carries on with the whole message.
 *
 * The table is fixed: FRAG_SLOTS messages in progress at once, each with a
 * buffer for the largest message.  A message whose pieces are not all in
 * within FRAG_TIMEOUT_US is dropped; when every slot is busy the oldest
 * gives way.  Every outcome is counted.  "Now" is passed in.
 */
#ifndef PROXYD_FRAG_H
#define PROXYD_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define FRAG_SLOTS		32
#define FRAG_TIMEOUT_US		500000	/* pieces of one message within */

struct frag_stats {
	uint64_t	pieces;		/* pieces offered */
	uint64_t	joined;		/* messages completed */
	uint64_t	dup;		/* a piece already held: dropped */
	uint64_t	mismatch;	/* a piece that contradicts its message */
	uint64_t	timeout;	/* messages given up, pieces missing */
	uint64_t	evicted;	/* messages given up for a free slot */
};

struct frag_slot {
	bool		 used;
	uint64_t	 key;		/* who sent it (a link's session) */
	uint32_t	 id;
	uint8_t		 count;
	uint16_t	 total;
	uint32_t	 have;		/* bit i: piece i is in */
	uint64_t	 first_us;
	uint8_t		 buf[PKT_FRAG_TOTAL_MAX];
};

struct frag_table {
	struct frag_slot	slot[FRAG_SLOTS];
	struct frag_stats	st;
};

/* Empties the table (the stats too). */
void	frag_init(struct frag_table *);
/*
 * Adds piece f (decoded, so its numbers are consistent) from sender key.
 * Returns 1 when it completes its message: *msg (borrowed, valid until the
 * next call) and *len are the whole message; 0 while pieces are missing;
 * -1 if the piece was dropped (a duplicate, or it contradicts the pieces
 * held for the same id: then that message is dropped as well).
 */
int	frag_join(struct frag_table *, uint64_t key, const struct pkt_frag *f,
	    uint64_t now_us, const uint8_t **msg, size_t *len);
/* Drops messages older than FRAG_TIMEOUT_US (also done by frag_join). */
void	frag_expire(struct frag_table *, uint64_t now_us);
/* Messages in progress. */
size_t	frag_pending(const struct frag_table *);

#endif
