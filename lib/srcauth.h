/* SPDX-License-Identifier: ISC */
/*
 * This file owns the inner-source check of the data path: which source
 * addresses a packet arriving over a link may carry, given the proxy it
 * came from (its origin id, pkt_origin_id()).  A proxy may send only from
 * the prefixes it is authorized to claim: the remote routes of the
 * forwarding table whose dest it is (claims refused elsewhere never get
 * there).  Built from the table whenever it changes; read per packet.
 */
#ifndef PROXYD_SRCAUTH_H
#define PROXYD_SRCAUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "route.h"

struct srcauth_entry {
	uint32_t	id;		/* pkt_origin_id(dest) */
	uint32_t	net;		/* host order, host bits zero */
	uint32_t	mask;
};

struct srcauth_entry6 {
	uint32_t	id;
	uint8_t		plen;
	struct in6_addr	net;		/* host bits zero */
};

struct srcauth {
	struct srcauth_entry	*v;	/* sorted by id */
	size_t			 n;
	struct srcauth_entry6	*v6;	/* IPv6 prefixes, sorted by id */
	size_t			 n6;
};

void	srcauth_init(struct srcauth *);
void	srcauth_release(struct srcauth *);
/*
 * Rebuilds a from t's remote routes (hops > 0), IPv4 and IPv6.  0, or -1 with errno
 * ENOMEM: a is then left as it was.  O(n log n).
 */
int	srcauth_build(struct srcauth *a, const struct route_table *t);
/*
 * Whether origin id may send from src: src lies in one of the prefixes of
 * the origin(s) with that id.  O(log n + prefixes of that id); no
 * allocation.
 */
bool	srcauth_allows(const struct srcauth *a, uint32_t id,
	    struct in_addr src);
/* The same for an IPv6 source, over the table's IPv6 routes. */
bool	srcauth_allows6(const struct srcauth *a, uint32_t id,
	    const struct in6_addr *src);

#endif
