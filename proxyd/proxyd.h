/* SPDX-License-Identifier: ISC */
/*
 * The daemon's one context, passed explicitly to every module: the loaded
 * configuration, the event base, the UDP socket, links, routes, flows, the
 * TUN and the control socket, and the counters the CLI shows.
 */
#ifndef PROXYD_PROXYD_H
#define PROXYD_PROXYD_H

#include <stdint.h>
#include <netinet/in.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "route.h"
#include "flow.h"

#define PROXYD_VERSION	"0.1"

struct link;
struct tun;
struct control;
struct conn_pool;
struct txq;

/* The UDP sockets: listen sockets, and short-lived probe sockets. */
enum psock_kind {
	PSOCK_PRIMARY	= 0,	/* listen address, port: links live here */
	PSOCK_ALT_PORT	= 1,	/* listen address, alternate port */
	PSOCK_ALT_ADDR	= 2,	/* alternate address, primary port */
	PSOCK_LISTEN	= 3,	/* number of listen socket kinds */
	PSOCK_PROBE	= 4,	/* a binding-lifetime probe's own socket */
};

struct psock {
	struct proxyd		*px;
	int			 fd;
	struct event		*ev;
	enum psock_kind		 kind;
	struct sockaddr_in	 local;		/* as bound */
	void			*owner;		/* PSOCK_PROBE: its trial */
};

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
	uint64_t	drop_probe_limit; /* probe answers over the budget */
	uint64_t	auth_refused;	/* handshakes refused or failed */
	uint64_t	tun_rx, tun_tx;
	uint64_t	tun_gso;	/* GSO frames written to the TUN */
	uint64_t	conn_requests;	/* connection requests we started */
	uint64_t	queued;		/* first packets that waited */
	uint64_t	drop_queue;	/* first packets the queue refused */
	uint64_t	drop_send;	/* frames the socket refused */
};

struct proxyd {
	struct event_base	*base;
	const char		*conf_path;
	struct conf		*conf;
	SSL_CTX			*ssl_ctx;
	struct psock		 socks[PSOCK_LISTEN];	/* fd -1 if unused */
	struct link		*links;		/* list, see link.h */
	unsigned		 n_handshakes;	/* inbound, in progress */
	struct topo		*topo;		/* topology.c */
	struct topo_path	*paths;		/* shortest paths, by SPF */
	size_t			 n_paths;
	size_t			 n_conflicts;	/* overlapping prefix claims */
	uint64_t		 last_originate_us;
	struct event		*originate_ev;	/* a held-back flood */
	bool			 originate_pending;
	struct conn_pool	*conn;		/* conn.c */
	struct txq		*txq;		/* txq.c: send batch */
	struct route_table	 routes;
	struct route_table	 installed;	/* routes put on the TUN */
	struct flow_table	*flows;
	struct tun		*tun;
	struct control		*control;
	struct event		*tick;
	struct event		*sigs[4];
	uint64_t		 start_us;
#define PROXYD_SENT_RING 16
	struct {
		struct in_addr	addr;
		uint64_t	at_us;
	}			 sent_to[PROXYD_SENT_RING];	/* probe.c */
	int			 sent_next;
	struct proxyd_stats	 st;
};

/* Monotonic microseconds. */
uint64_t	now_us(void);
/*
 * Opens a non-blocking UDP socket bound to addr:port (port 0: any) whose
 * datagrams go to link_input().  0 or -1 (logged).
 */
int		psock_open(struct proxyd *, struct psock *, struct in_addr addr,
		    uint16_t port, enum psock_kind);
void		psock_close(struct psock *);
/* Sends one datagram; 0 or -1.  Counts it. */
int		psock_send(struct psock *, const uint8_t *, size_t,
		    const struct sockaddr_in *to);

#endif
