/* SPDX-License-Identifier: ISC */
/*
 * Links: one authenticated UDP association per neighbour over the shared
 * listen socket.  A link is set up by a DTLS handshake (certificates from
 * the network's CA), after which every packet is sealed with AES-GCM under
 * keys exported from that handshake and checked against a replay window.
 * Keepalives hold NAT mappings open and measure RTT; a link silent for
 * dead_after seconds is closed and a configured one is retried with
 * exponential backoff.
 */
#ifndef PROXYD_LINK_H
#define PROXYD_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include <openssl/ssl.h>

#include "crypto.h"
#include "pkt.h"
#include "probe.h"
#include "proxyd.h"
#include "tls.h"

#define LINK_HS_TIMEOUT_S	10	/* a handshake must finish within */
#define LINK_HS_MAX		64	/* inbound handshakes at once */
#define LINK_DEAD_MIN_S		15	/* dead after max(3 intervals, this) */
#define LINK_DIRECT_KA_S	1	/* direct links: keepalive interval */
#define LINK_DIRECT_DEAD_S	3	/* direct links: dead after */
#define LINK_BACKOFF_MAX_S	60
/* Room before an IP packet in a frame buffer: sealed header, type, ttl. */
#define LINK_DATA_HEADROOM	(PKT_SEALED_HDR_LEN + 2)

enum link_state {
	LINK_IDLE,		/* configured, waiting for the next attempt */
	LINK_HANDSHAKE,
	LINK_UP,
};

struct link {
	struct link		*next;
	struct proxyd		*px;
	char			 name[PKT_NAME_MAX + 1];	/* "" until known */
	const struct conf_neighbour *nbr;	/* configured; NULL if inbound */
	struct conf_neighbour	*learned_nbr;	/* owned, if learned */
	bool			 initiator;
	bool			 hs_counted;	/* in px->n_handshakes */
	bool			 direct;	/* hole-punched, made on demand */
	enum link_state		 state;
	struct sockaddr_in	 peer;		/* address as seen */
	bool			 resolved;
	uint32_t		 session;
	SSL			*ssl;		/* during and just after handshake */
	struct tls_io		 io;
	struct event		*hs_timer;
	uint64_t		 hs_start_us;
	struct aead		 aead;
	struct replay		 replay;
	uint64_t		 tx_seq;
	uint64_t		 last_rx_us, last_ka_us;
	uint64_t		 up_us, next_try_us;
	int			 backoff_s;
	unsigned		 reconnects;
	double			 rtt_ms;	/* < 0 until measured */
	int			 ka_interval_s;
	uint32_t		 ka_id;
	uint64_t		 rx_packets, tx_packets;
	/* NAT trials (probe.c) */
	uint16_t		 peer_alt_port;	/* from its INFO; 0 none */
	struct in_addr		 peer_alt_addr;	/* from its INFO; 0 none */
	struct probe		*probe;		/* running trials or NULL */
	struct nat_view		 nat;		/* our NAT toward it */
	struct nat_remote	 nat_remote;	/* its NAT toward us */
	uint64_t		 last_map_trial_us;
	unsigned		 probe_budget;	/* answers left this second */
};

/* Creates an idle link per configured neighbour.  0 or -1. */
int	 link_init(struct proxyd *);
/* Dispatches one datagram received on socket in (buf is writable). */
void	 link_input(struct proxyd *, struct psock *in,
	    const struct sockaddr_in *from, uint8_t *buf, size_t len);
/* Once a second: attempts, handshake deadlines, keepalives, dead links. */
void	 link_tick(struct proxyd *);
/* Sends a control message on an up link; 0 or -1. */
int	 link_send_msg(struct link *, const struct pkt_msg *);
/* The same, from socket via to address to (probes); 0 or -1. */
int	 link_send_msg_via(struct link *, const struct pkt_msg *,
	    struct psock *via, const struct sockaddr_in *to);
/* "peer 'name' (addr:port)" for log lines. */
const char *link_who(const struct link *, char *buf, size_t len);
/*
 * Sends the IP packet at frame + LINK_DATA_HEADROOM (len bytes) as a DATA
 * message; frame must have room for PKT_TAG_LEN bytes after the packet.
 * The frame is sealed in place.  0 or -1.
 */
int	 link_send_data(struct link *, uint8_t *frame, size_t len, uint8_t ttl);
/* The up link to neighbour name, or NULL. */
struct link *link_find(struct proxyd *, const char *name);
/*
 * Adds a link to a proxy learned from the topology (takes ownership of
 * nb, freed with the link).  0 or -1.
 */
int	 link_learn(struct proxyd *, struct conf_neighbour *nb);
/* Closes and frees a learned link. */
void	 link_forget(struct link *);
/*
 * Dials a direct (hole-punched) link to proxy name at ep, unless a link
 * to it exists already.  The link is freed, not retried, when it fails.
 */
void	 link_direct_dial(struct proxyd *, const char *name,
	    const struct sockaddr_in *ep);
/* Drops a direct link to name that is not up (punching gave up). */
void	 link_direct_abort(struct proxyd *, const char *name);
/* Closes every link, telling up neighbours goodbye, and frees them. */
void	 link_shutdown(struct proxyd *);
const char *link_state_name(const struct link *);
/* Seconds a link may be silent before it is declared dead. */
int	 link_dead_after(const struct link *);

#endif
