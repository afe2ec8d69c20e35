/* SPDX-License-Identifier: ISC */
/*
 * The daemon's side of the topology (lib/topo.c holds the database):
 * originating our own advertisement, flooding, ageing, computing and
 * installing routes, and linking to proxies learned from the topology.
 *
 * Bounds (documented in proxyd(8)): a proxy that stops gracefully is gone
 * from every table at once (its neighbours re-advertise without it); one
 * that dies is gone when its neighbours declare the link dead (at most
 * 3 keepalive intervals, 15 s minimum); a stale advertisement ages out of
 * every database after TOPO_MAX_AGE_S (180 s).
 */
#ifndef PROXYD_TOPOLOGY_H
#define PROXYD_TOPOLOGY_H

#include <openssl/x509.h>

#include "nat.h"
#include "proxyd.h"
#include "topo.h"

struct link;

#define TOPOLOGY_LEARNED_MAX	4	/* links to proxies learned from ads */
#define TOPOLOGY_LEARNED_HUB	16	/* ... preferably to one advertising */
					/* fewer links than this */
#define TOPOLOGY_LEARN_SETTLE_S	5	/* ... once no new origin came for */
#define TOPOLOGY_FLOOD_MIN_MS	1000	/* our advertisement at most this often */
#define TOPOLOGY_FLOOD_MAX_MS	8000	/* ... backing off to this while */
					/* changes keep coming (topology.c) */
#define TOPOLOGY_DRAIN_S	5	/* a link whose peer's certificate ends */
					/* this soon is left out of our ad */
#define TOPOLOGY_LOG_EVERY_S	5	/* drop log lines, per kind */
#define TOPOLOGY_COST_BAND_DIV	3	/* an advertised link cost stays */
#define TOPOLOGY_COST_BAND_ABS	10	/* ... while the measure is within */
					/* a third of it, or 1 ms */
#define TOPOLOGY_RECOMPUTE_MIN_MS 200	/* routes after advertisements: */
					/* at most this often */
/*
 * Signature checks of received advertisements: they wait in a queue
 * (lsaq.h; as many as topology.max_origins, of at most this many bytes
 * together) and are checked a slice per event-loop turn, at most
 * TOPOLOGY_VERIFY_BATCH or TOPOLOGY_VERIFY_SLICE_US, whichever is first.
 */
#define TOPOLOGY_QUEUE_BYTES	(8u << 20)
#define TOPOLOGY_VERIFY_BATCH	64
#define TOPOLOGY_VERIFY_SLICE_US 5000

int	topology_init(struct proxyd *);
void	topology_free(struct proxyd *);
/* Applies the configuration's 'topology' limits (start and reload). */
void	topology_limits(struct proxyd *);
/* Rebuilds and floods our advertisement (links, NAT types changed). */
void	topology_originate(struct proxyd *);
/*
 * A link came up: send it our database and re-advertise (a direct link:
 * only our routes change); a link went down.
 */
void	topology_link_up(struct link *, bool direct);
void	topology_link_down(struct proxyd *, bool direct);
/*
 * An advertisement from a neighbour: checked (signature, certificate,
 * address blocks, limits), stored, flooded on; routes follow once the
 * current burst is handled (or at topology_settle()).
 */
void	topology_lsa_input(struct link *, const struct pkt_lsa *);
/*
 * A new CRL is in force (NULL: none): advertisements signed with a
 * certificate it revokes are withdrawn from the topology at once (logged;
 * routes recomputed), and refused from now on (lsa_bad_cert).  Also after
 * a reload replaced the verifier.  Safe before topology_init().
 */
void	topology_crl_changed(struct proxyd *, X509_CRL *);
/* Recomputes the routes now if advertisements are waiting for it. */
void	topology_settle(struct proxyd *);
/* Once a second: refresh, ageing, learned links. */
void	topology_tick(struct proxyd *);
/* Recomputes routes from the database and installs them on the TUN. */
void	topology_recompute(struct proxyd *);
/* The shortest path to proxy dest, or NULL if unreachable. */
const struct topo_path *topology_path(const struct proxyd *, const char *dest);
/* Whether our database holds the two-way link a-b. */
bool	topology_linked(const struct proxyd *, const char *a, const char *b);
/* The up link to the first hop of that path, or NULL. */
struct link	*topology_next_link(struct proxyd *, const char *dest);

#endif
