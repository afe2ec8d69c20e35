/* SPDX-License-Identifier: ISC */
/*
 * UDP sockets: the listen sockets and the short-lived sockets of the NAT
 * trials.  A socket is opened with an environment (event base, the input
 * callback, the end-of-burst callback, counters) and reads with recvmmsg,
 * cutting UDP GRO runs back into datagrams.  Nothing else of the daemon is
 * known here: what a datagram means is the input callback's business.
 */
#ifndef PROXYD_PSOCK_H
#define PROXYD_PSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include <event2/event.h>

#include "ep.h"

enum psock_kind {
	PSOCK_PRIMARY	= 0,	/* listen address, port: links live here */
	PSOCK_ALT_PORT	= 1,	/* listen address, alternate port */
	PSOCK_ALT_ADDR	= 2,	/* alternate address, primary port */
	PSOCK_LISTEN	= 3,	/* number of listen socket kinds */
	PSOCK_PROBE	= 4,	/* a binding-lifetime probe's own socket */
};

struct psock;

struct psock_stats {
	uint64_t	tx_packets, tx_bytes;
	uint64_t	rx_bad;		/* truncated, or not IPv4/IPv6 */
	uint64_t	tx_fail;	/* sendto refused */
};

/* What every socket of one daemon shares. */
struct psock_env {
	struct event_base	*base;
	/* One datagram (buf writable, len may be 0). */
	void		(*input)(void *arg, struct psock *,
			    const struct ep *from, uint8_t *buf,
			    size_t len);
	/* The end of a read burst: flush what the burst queued. */
	void		(*burst_end)(void *arg);
	void		*arg;
	struct psock_stats *st;
};

struct psock {
	const struct psock_env	*env;
	int			 fd;
	struct event		*ev;
	enum psock_kind		 kind;
	struct ep		 local;		/* as bound */
};

/*
 * Opens a non-blocking UDP socket of addr's family bound to addr, port
 * (port 0: any; addr's own port is ignored; IPv6 sockets are IPv6-only) and
 * starts reading it.  The primary socket gets large buffers and UDP GRO.
 * Ports are exclusive: no socket keeps SO_REUSEADDR or SO_REUSEPORT, so a
 * second proxyd, or any other local user, cannot bind an address and port
 * we hold (nor the port on any address, if we hold it on 0.0.0.0), and a
 * port someone else holds is refused, logged as "cannot bind UDP
 * ADDR:PORT: Address already in use".  0 or -1 (logged).
 */
int	psock_open(struct psock *, const struct psock_env *,
	    const struct ep *addr, uint16_t port, enum psock_kind);
/*
 * The same, for a socket on the port of wild, an open socket bound to
 * 0.0.0.0 (the alternate address beside a wildcard primary socket): the
 * kernel allows that pair only if both set SO_REUSEADDR, so both do just
 * for this bind and clear it at once, which closes the port to others
 * again.  wild's own bind was exclusive, so nobody else holds the port.
 * 0 or -1 (logged).
 */
int	psock_open_beside(struct psock *, const struct psock_env *,
	    const struct ep *addr, enum psock_kind, struct psock *wild);
/* Stops and closes; safe on a socket never opened (fd -1) or closed. */
void	psock_close(struct psock *);
/* Sends one datagram; 0 or -1 (also for a to of another family).  Counted. */
int	psock_send(struct psock *, const uint8_t *, size_t,
	    const struct ep *to);

/*
 * The burst clock (issue 16; in proxyd.c beside now_us()): the read loops
 * (psock.c, tun.c) read the clock once per batch of packets, from
 * now_burst_begin() to now_burst_end(), and the per-packet bookkeeping (a
 * link's last receive, a flow's last packet) takes that reading with
 * now_pkt_us(); outside a batch now_pkt_us() reads the clock.  Nothing
 * that measures an interval uses it.
 */
uint64_t	now_pkt_us(void);
void		now_burst_begin(void);
void		now_burst_end(void);

#endif
