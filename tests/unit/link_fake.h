/* SPDX-License-Identifier: ISC */
/*
 * This file owns the world check_link.c drives the real proxyd/link.c in:
 * a settable clock, sockets and a send batch that capture datagrams in a
 * queue instead of sending them, a recorder of the link events, proxies
 * ("nodes") with real DTLS contexts over certificates made at test time,
 * and a pump that carries queued datagrams to the node they are addressed
 * to.  No sockets, no event loop, no root.
 */
#ifndef TESTS_LINK_FAKE_H
#define TESTS_LINK_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "link.h"
#include "proxyd.h"

#define FAKE_Q_MAX	512	/* datagrams in flight */
#define FAKE_EV_MAX	128	/* events recorded */
#define FAKE_NODES_MAX	4
#define FAKE_PORT	4790

/* The clock now_us() reads; tests set and advance it. */
extern uint64_t	fake_now;
#define SEC	1000000ULL
#define MSEC	1000ULL

/* One captured datagram. */
struct fake_dgram {
	struct proxyd		*src;	/* the node that sent it */
	enum psock_kind		 kind;	/* of the socket it left from */
	struct ep	 from;	/* that socket's address */
	struct ep	 to;
	size_t			 len;
	uint8_t			*buf;	/* owned */
};

extern struct fake_dgram fake_q[FAKE_Q_MAX];
extern size_t	fake_q_len;
/*
 * The path's MTU: a datagram whose IPv4 size (len + 28) is larger is lost
 * on the way, as DF datagrams are, and counted in fake_mtu_lost.  0: none.
 */
extern size_t	fake_path_mtu;
extern size_t	fake_mtu_lost;

/* Removes and returns the oldest datagram (caller frees d->buf), or false. */
bool	fake_q_pop(struct fake_dgram *d);
/* Drops every queued datagram. */
void	fake_q_clear(void);

enum fake_ev_kind { EV_UP, EV_DOWN, EV_MSG, EV_UNAUTH };

struct fake_ev {
	enum fake_ev_kind	 kind;
	struct proxyd		*px;
	char			 name[PKT_NAME_MAX + 1];
	char			 reason[128];
	bool			 initiator;
	int			 state;	/* the link's, when it was reported */
	uint32_t		 session;
	uint8_t			 type;	/* message or datagram type */
	uint64_t		 nonce;
	struct ep	 from;
	struct pkt_msg		 msg;	/* EV_MSG: a copy (borrowed pointers */
					/* are stale after the event) */
	uint8_t			 ip[64];	/* DATA: the packet's first bytes */
	uint32_t		 ip_hash;	/* DATA: fake_hash() of all of it */
};

/* FNV-1a of n bytes: tests compare whole packets by it. */
uint32_t	fake_hash(const uint8_t *, size_t);

extern struct fake_ev	fake_ev[FAKE_EV_MAX];
extern size_t	fake_ev_len;
extern const struct link_events fake_link_events;

/* Events of kind on px (NULL: any node). */
size_t	fake_ev_count(enum fake_ev_kind, const struct proxyd *px);
/* The last event of kind on px, or NULL. */
const struct fake_ev *fake_ev_last(enum fake_ev_kind, const struct proxyd *px);

/*
 * A proxy: struct proxyd first, so the fakes that get a px find the rest.
 * It listens on 10.0.0.OCTET:4790 (and an alternate port socket), and on
 * [2001:db8::OCTET]:4790 (a primary IPv6 socket: dual-stack).
 */
struct node {
	struct proxyd		px;
	struct conf		conf;
	struct conf_neighbour	nbr[2];
	char			host[2][16];
	char			ca[256], crt[256], key[256];
	uint8_t			slot[PKT_SEALED_HDR_LEN + 65536 + PKT_TAG_LEN];
	size_t			committed;	/* txq_commit() calls */
};

/*
 * Makes the certificates once per run: a CA and proxies named in names[]
 * under dir, plus "mallory" from another CA.  0 or -1.
 */
int	fake_certs_make(const char *dir, const char *const *names, size_t n);
/* Removes what fake_certs_make() wrote. */
void	fake_certs_remove(void);

/*
 * A node named name whose certificate is that of cert (usually name) and
 * address 10.0.0.octet; NULL on failure.  Links are not made yet.
 */
struct node *node_new(const char *name, const char *cert, uint8_t octet);
/* Configures a neighbour name at 10.0.0.octet:4790. */
void	node_add_neighbour(struct node *, const char *name, uint8_t octet);
/* link_init() with the recording events; 0 or -1. */
int	node_start(struct node *);
/* link_shutdown() and frees everything. */
void	node_free(struct node *);
/* Frees every node still alive. */
void	nodes_free(void);
/* The address a node's socket kind is bound to. */
struct ep node_addr(const struct node *, enum psock_kind);

/* Delivers one datagram to the node it is addressed to; false if none. */
bool	fake_deliver(const struct fake_dgram *);
/*
 * Delivers queued datagrams, and those they cause, in order, until the
 * queue is empty or max were delivered.  Returns how many.
 */
size_t	fake_pump(size_t max);

/* The links of px in state st (any state: -1), counted. */
size_t	links_count(const struct proxyd *, int st);
/* The first link of px named name (any state), or NULL. */
struct link *link_named(const struct proxyd *, const char *name);

#endif
