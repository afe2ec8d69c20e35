/* SPDX-License-Identifier: ISC */
/*
 * Connection requests and channels.  The first packet toward a
 * destination proxy with no channel yet starts a connection request that
 * travels hop by hop along the route, each hop folding its link's NAT type
 * into it (highest adaptation: the most restrictive wins).  The
 * destination answers with its channel decision, which travels back along
 * the same path.  Meanwhile the first packets wait in a bounded queue;
 * when the answer arrives (or CONN_TIMEOUT_MS passes) they go out by relay.
 */
#ifndef PROXYD_CONN_H
#define PROXYD_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "ipv4.h"
#include "pkt.h"
#include "proxyd.h"

struct link;

#define CONN_CHANNELS_MAX	256
/*
 * Channels made for the requests of one requester at most: the requester
 * is the neighbour that handed the request over (for a request from its
 * first hop, the origin itself), the one party a proxy has authenticated.
 * A request over it is refused (drop_conn_limit); a full table gives up
 * a channel of the requester holding the most.
 */
#define CONN_PER_REQUESTER_MAX	(CONN_CHANNELS_MAX / 4)
#define CONN_QUEUE_SLOTS	256	/* first packets waiting, all channels */
#define CONN_QUEUE_PER_CH	32
#define CONN_TIMEOUT_MS		1000
#define CONN_IDLE_S		300	/* a channel unused this long is forgotten */
#define CONN_PUNCHING_MAX	16	/* channels punching at once */
#define CONN_HIST_MAX		32	/* direct failures kept across requests */

enum channel_state {
	CH_REQUESTING,
	CH_RELAY,
};

/* The direct (hole-punched) side of a channel. */
enum direct_state {
	DIRECT_NONE,		/* not possible, or not tried yet */
	DIRECT_PUNCHING,	/* sending punches; the smaller name dials */
	DIRECT_UP,		/* a direct link carries the traffic */
	DIRECT_FAILED,		/* waiting for the next attempt (backoff) */
};

#define DIRECT_PUNCH_MS		200	/* punch packet interval */
#define DIRECT_DIAL_MS		300	/* the dialling side starts after */
#define DIRECT_GIVEUP_S		12	/* punching + handshake must succeed */
#define DIRECT_BACKOFF_MIN_S	5
#define DIRECT_BACKOFF_MAX_S	300
#define DIRECT_KA_S		1	/* direct links: keepalive interval */
#define DIRECT_DEAD_S		3	/* direct links: dead after */

struct channel {
	bool		used;
	char		dest[PKT_NAME_MAX + 1];
	enum channel_state state;
	uint64_t	id;
	uint64_t	since_us, last_use_us, req_us;
	enum nat_type	path_nat, src_nat, dst_nat;
	bool		answered;
	bool		direct_possible;
	char		reason[PKT_REASON_MAX + 1];
	uint8_t		hops;
	int		q_head, q_tail, q_len;	/* slot indices, FIFO */
	bool		origin;		/* we sent the request */
	char		requester[PKT_NAME_MAX + 1];	/* "": our own */
	/* the packet the request was for (af 0: not named) */
	struct ipaddr	flow_src, flow_dst;
	/* the topology's path when the answer came: a change asks again */
	uint8_t		topo_hops;
	enum nat_type	topo_nat;
	char		topo_next[PKT_NAME_MAX + 1];
	uint8_t		n_path;		/* the request's path, dest included */
	char		path[PKT_PATH_MAX][PKT_NAME_MAX + 1];
	/* direct channel */
	enum direct_state direct;
	struct ep peer_ep;	/* where we punch: its mapped address */
	bool		peer_ep_local;	/* its LAN address: same NAT as us */
	uint64_t	punch_start_us, punch_last_us, direct_since_us;
	uint64_t	direct_next_us;
	unsigned	punch_tx, punch_rx, direct_tries, direct_fails;
	char		direct_why[PKT_REASON_MAX + 1];	/* last outcome */
};

int	conn_init(struct proxyd *);
void	conn_free(struct proxyd *);
/*
 * A packet from the TUN for a remote destination proxy: sends it on the
 * channel, or queues it and starts a connection request.  frame as in
 * relay_from_tun().
 */
struct peer_flow;
void	conn_from_tun(struct proxyd *, const char *dest, struct link *nh,
	    uint8_t *frame, size_t len, const struct peer_flow *);
void	conn_req_input(struct link *from, struct pkt_conn_req *);
void	conn_resp_input(struct link *from, const struct pkt_conn_resp *);
/* Timeouts and idle channels; once a second and from a short timer. */
void	conn_tick(struct proxyd *);
/* Routes changed: channels to proxies we can no longer reach go. */
void	conn_routes_changed(struct proxyd *);
/* The channel toward dest, or NULL. */
const struct channel *conn_channel(const struct proxyd *, const char *dest);
/* An unauthenticated punch datagram arrived (nonce = request id). */
void	conn_punch_input(struct proxyd *, uint64_t nonce,
	    const struct ep *from);
/*
 * Link events (from peer.c).  A link came up: if it is the awaited
 * direct link of a channel, the channel goes direct and the link is
 * watched closely (DIRECT_KA_S, DIRECT_DEAD_S); returns whether it is.  A
 * link went down: if it was a channel's direct link, the channel falls
 * back to relay and retries later.
 */
bool	conn_link_up(struct link *);
void	conn_link_down(struct link *, const char *why);
/* Whether l is the direct link of a channel. */
bool	conn_link_is_direct(const struct link *);
const char *direct_state_name(enum direct_state);

#endif
