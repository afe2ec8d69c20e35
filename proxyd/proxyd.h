/* SPDX-License-Identifier: ISC */
/*
 * The daemon's one context, passed explicitly to every module: the loaded
 * configuration, the event base, the UDP socket, links, routes, flows, the
 * TUN and the control socket, and the counters the CLI shows.
 */
#ifndef PROXYD_PROXYD_H
#define PROXYD_PROXYD_H

#include <stdint.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "route.h"
#include "flow.h"

#define PROXYD_VERSION	"0.1"

struct link;
struct tun;
struct control;

struct proxyd_stats {
	uint64_t	rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t	drop_malformed;	/* undecodable datagrams or messages */
	uint64_t	drop_auth;	/* AEAD open failed: forged or stale key */
	uint64_t	drop_replay;
	uint64_t	drop_nosession;	/* sealed packet for no known link */
	uint64_t	drop_policy;	/* forwarding policy said no */
	uint64_t	drop_noroute;
	uint64_t	drop_ttl;
	uint64_t	drop_hs_limit;	/* too many handshakes in progress */
	uint64_t	auth_refused;	/* handshakes refused or failed */
	uint64_t	tun_rx, tun_tx;
};

struct proxyd {
	struct event_base	*base;
	const char		*conf_path;
	struct conf		*conf;
	SSL_CTX			*ssl_ctx;
	int			 udp_fd;
	struct event		*udp_ev;
	struct link		*links;		/* list, see link.h */
	unsigned		 n_handshakes;	/* inbound, in progress */
	struct rib		*rib;
	struct route_table	 routes;
	struct route_table	 installed;	/* routes put on the TUN */
	struct flow_table	*flows;
	struct tun		*tun;
	struct control		*control;
	struct event		*tick;
	struct event		*sigs[4];
	uint64_t		 start_us;
	uint32_t		 announce_seq;
	struct proxyd_stats	 st;
};

/* Monotonic microseconds. */
uint64_t	now_us(void);
/* Recomputes routes after a RIB change, installs them, announces them. */
void		proxyd_routes_changed(struct proxyd *);

#endif
