/* SPDX-License-Identifier: ISC */
/*
 * Stateless 1:1 prefix translation (NETMAP-like) for a site whose LAN is
 * known to the network under an alias prefix: the host bits are kept, the
 * network bits swapped.  Packets are rewritten in place with incremental
 * checksum updates (RFC 1624); nothing is allocated or copied.
 */
#ifndef PROXYD_NETMAP_H
#define PROXYD_NETMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "conf.h"

#define NETMAP_MAX	64	/* rules: as many as an LSA carries prefixes */

struct netmap_rule {
	uint32_t	real;		/* host order, host bits zero */
	uint32_t	alias;
	uint32_t	mask;
	uint8_t		plen;
};

struct netmap {
	struct netmap_rule	v[NETMAP_MAX];
	size_t			n;
};

enum netmap_dir {
	NETMAP_OUT,	/* LAN -> network: source (and an ICMP error's
			   embedded destination) real -> alias */
	NETMAP_IN,	/* network -> LAN: destination (and an ICMP error's
			   embedded source) alias -> real */
};

enum netmap_res {
	NETMAP_PASS,	/* nothing of ours in it: left as it was */
	NETMAP_DONE,	/* rewritten, checksums adjusted */
	NETMAP_ESP,	/* raw ESP (IP 50) that would need translating: left
			   as it was; the caller drops it (no NAT passes it) */
	NETMAP_BAD,	/* not a well-formed IPv4 header: left as it was */
};

/* What was translated: the address on the LAN and the one the network sees. */
struct netmap_xlat {
	struct in_addr	real, alias;
};

void	netmap_init(struct netmap *);
/*
 * Adds a rule real/plen <-> alias/plen (host bits must be zero).  -1 if
 * the table is full, plen is over 32 or a rule's real or alias prefix
 * overlaps another rule's (translation would be ambiguous).
 */
int	netmap_add(struct netmap *, struct in_addr real, struct in_addr alias,
	    uint8_t plen);
/*
 * Empties nm and adds a rule for each of the n prefixes with an alias.
 * -1 if one is refused (conf_load() refuses what netmap_add() would):
 * nm then holds the rules before it.
 */
int	netmap_load(struct netmap *, const struct conf_prefix *, size_t n);
/* *a (network order) mapped real -> alias (or back, to_real); false: no rule. */
bool	netmap_map(const struct netmap *, struct in_addr *a, bool to_real);
/*
 * Translates the IPv4 packet ip[0..len) in place for direction dir.
 * Reads and writes only inside ip[0..len): the total length field must
 * equal len.  The IP header checksum, a TCP or UDP checksum (a UDP
 * checksum of 0 stays 0; later fragments carry none) and, in an ICMP
 * error, the embedded header's addresses and checksums and the ICMP
 * checksum follow.  x (may be NULL) gets the outer address translated
 * (for NETMAP_DONE and NETMAP_ESP).  Safe from any callback.
 */
enum netmap_res netmap_translate(const struct netmap *, enum netmap_dir,
	    uint8_t *ip, size_t len, struct netmap_xlat *x);

#endif
