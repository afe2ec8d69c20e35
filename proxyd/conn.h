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
#define CONN_QUEUE_SLOTS	256	/* first packets waiting, all channels */
#define CONN_QUEUE_PER_CH	32
#define CONN_TIMEOUT_MS		1000
#define CONN_IDLE_S		300	/* a channel unused this long is forgotten */

enum channel_state {
	CH_REQUESTING,
	CH_RELAY,
};

struct channel {
	bool		used;
	char		dest[PKT_NAME_MAX + 1];
	enum channel_state state;
	uint64_t	id;
	uint64_t	since_us, last_use_us, req_us;
	uint8_t		path_nat, src_nat, dst_nat;	/* enum nat_type */
	bool		answered;
	bool		direct_possible;
	char		reason[PKT_REASON_MAX + 1];
	uint8_t		hops;
	int		q_head, q_tail, q_len;	/* slot indices, FIFO */
};

int	conn_init(struct proxyd *);
void	conn_free(struct proxyd *);
/*
 * A packet from the TUN for a remote destination proxy: sends it on the
 * channel, or queues it and starts a connection request.  frame as in
 * relay_from_tun().
 */
void	conn_from_tun(struct proxyd *, const char *dest, struct link *nh,
	    uint8_t *frame, size_t len, const struct ipv4_info *);
void	conn_req_input(struct link *from, struct pkt_conn_req *);
void	conn_resp_input(struct link *from, const struct pkt_conn_resp *);
/* Timeouts and idle channels; once a second and from a short timer. */
void	conn_tick(struct proxyd *);
/* Routes changed: channels to proxies we can no longer reach go. */
void	conn_routes_changed(struct proxyd *);
/* The channel toward dest, or NULL. */
const struct channel *conn_channel(const struct proxyd *, const char *dest);

#endif
