/* SPDX-License-Identifier: ISC */
/*
 * The data path's send batch: sealed frames toward links are collected in
 * preallocated slots and sent with one sendmmsg() at the end of each read
 * burst (TUN or UDP), instead of one sendto() per packet.
 */
#ifndef PROXYD_TXQ_H
#define PROXYD_TXQ_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "pkt.h"
#include "proxyd.h"

#define TXQ_MAX		64	/* frames per sendmmsg() */
/* bytes of one slot: the link header, 65535 bytes and the tag */
#define TXQ_SLOT_SIZE	(PKT_DATA_HEADROOM + 65536 + PKT_TAG_LEN)

int	 txq_init(struct proxyd *);
void	 txq_free(struct proxyd *);
/*
 * The frame buffer the next packet should be built in (room for the link
 * header, 65535 bytes and the tag).  It stays the same until committed.
 */
uint8_t	*txq_slot(struct proxyd *);
/* True if p is the current slot (so the frame can be batched). */
bool	 txq_is_slot(struct proxyd *, const uint8_t *p);
/* Queues the current slot's first len bytes for to; flushes when full. */
void	 txq_commit(struct proxyd *, size_t len, const struct ep *to);
/* Sends everything queued on the primary socket. */
void	 txq_flush(struct proxyd *);

#endif
