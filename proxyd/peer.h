/* SPDX-License-Identifier: ISC */
/*
 * The dispatch: the one file that knows every engine.  It gives the links
 * their events (up, down, message of type T, unauthenticated datagram)
 * and maps each message type to the engine that handles it; it fans link
 * and route changes out to the engines that care; and it answers the
 * questions one engine has about another's state (the route to a proxy,
 * the NAT type of a link, whether a link is a direct one), so that the
 * engines (conn, probe, topology, ping, relay) call down only, to link,
 * psock and lib/, and reach each other only through here.
 */
#ifndef PROXYD_PEER_H
#define PROXYD_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "ipaddr.h"
#include "ipv4.h"
#include "nat.h"
#include "proxyd.h"
#include "topo.h"

struct link;

/* Engines up: links (reporting here), channels, NAT trials, topology. */
int	peer_init(struct proxyd *);
/* Once a second: every engine's timers. */
void	peer_tick(struct proxyd *);
/* Stopping: trials end, neighbours are told goodbye, links freed. */
void	peer_shutdown(struct proxyd *);
/* Frees what peer_init() made (after peer_shutdown()). */
void	peer_free(struct proxyd *);

/*
 * Reads 'tls.crl' again (the reload hook for SIGHUP / proxyctl reload):
 * a newer CRL is put in force and links with a revoked peer close.  0 or
 * -1 (logged).
 */
int	peer_reload_crl(struct proxyd *);
/*
 * The revocation engine's news: crl (verified; NULL: none) is in force.
 * Advertisements signed with a certificate it revokes are withdrawn.
 */
void	peer_crl_changed(struct proxyd *, X509_CRL *crl);

/* tun_open()'s input: a packet from the LAN (see tun.h). */
void	peer_tun_input(struct proxyd *, uint8_t *frame, size_t len);

/* Questions, answered by the engine that owns the state. */
/* The shortest path to proxy dest, or NULL (topology). */
const struct topo_path *peer_path(const struct proxyd *, const char *dest);
/* Whether the topology holds the two-way link a-b (topology). */
bool	peer_topo_linked(const struct proxyd *, const char *a, const char *b);
/* The up link to the first hop toward dest, or NULL (topology). */
struct link *peer_next_link(struct proxyd *, const char *dest);
/* Our link's NAT type, folded from both ends' measurements (probe). */
enum nat_type peer_link_nat(const struct link *);
/* Our own NAT toward the link's peer as we measured it, or unknown. */
enum nat_type peer_own_nat(const struct link *);
/* Where the peer sees our link socket, if measured; false if not. */
bool	peer_own_mapped(const struct link *, struct ep *ep);
/* Whether l is a direct (hole-punched) link of a channel (conn). */
bool	peer_link_is_direct(const struct link *);

/* Notices from one engine to the others. */
/* Our NAT measurements changed: re-advertise (topology). */
void	peer_nat_changed(struct proxyd *);
/* The routes changed: channels check their paths (conn). */
void	peer_routes_changed(struct proxyd *);
/*
 * A route computation is waiting: run it now (topology), before a packet
 * is refused for want of a route or a known source.  True when one ran.
 */
bool	peer_routes_catch_up(struct proxyd *);
/*
 * The packet a channel is asked for: its inner addresses (either family,
 * named in the connection request) and its class (enum ipv4_class; the
 * IPv6 classifier's classes have the same values).
 */
struct peer_flow {
	struct ipaddr	src, dst;
	uint8_t		cls;
};
/* A LAN packet for remote proxy dest, first hop nh (conn). */
void	peer_to_channel(struct proxyd *, const char *dest, struct link *nh,
	    uint8_t *frame, size_t len, const struct peer_flow *);

#endif
