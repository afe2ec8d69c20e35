/* SPDX-License-Identifier: ISC */
/*
 * The data path between the TUN and the links: forwarding policy, flow
 * accounting, longest-prefix match, and relaying packets for other sites.
 */
#ifndef PROXYD_RELAY_H
#define PROXYD_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "proxyd.h"

struct link;

/*
 * A packet read from the TUN: it sits at frame + LINK_DATA_HEADROOM, len
 * bytes, with PKT_TAG_LEN bytes of room after it.
 */
void	relay_from_tun(struct proxyd *, uint8_t *frame, size_t len);
/*
 * A DATA message received on link l from origin (its id; ip borrowed for
 * the call).  Delivered to the TUN or passed on only if its inner source
 * lies in a prefix of that origin (px->srcauth), the origin is not us,
 * and, on a direct link, the origin is the link's peer; else counted in
 * drop_source.
 */
void	relay_from_link(struct proxyd *, struct link *l, uint8_t ttl,
	    uint32_t origin, const uint8_t *ip, size_t len);
/* The forwarding table changed: rebuilds the inner-source table. */
void	relay_routes_changed(struct proxyd *);
void	relay_free(struct proxyd *);

#endif
