/* SPDX-License-Identifier: ISC */
/*
 * The TCP transport of links, for sites whose UDP is blocked: a listener
 * on listen.tcp_port and one connection per TCP link, TLS 1.3 over memory
 * BIOs (the same certificates, trust store and name rules as the DTLS of
 * UDP links, tls.c), and inside it the packets a UDP link would send, one
 * length-prefixed frame each (sframe.h).  link.c runs the state machine;
 * this file only dials, accepts, frames and queues (struct link_tp).
 *
 * Bounds: a connection in its handshake is a link in its handshake (the
 * same limits, LINK_HS_MAX and LINK_HS_PER_SOURCE, and timeout,
 * LINK_HS_TIMEOUT_S); at most STREAM_HS_IN_MAX handshake bytes wait
 * unread; after it one frame buffer of STREAM_RX_MAX bytes; at most
 * STREAM_SENDQ_MAX bytes of DATA queued for the socket (more is dropped
 * and counted, so that endpoints' TCP sees loss rather than delay),
 * STREAM_SENDQ_CTL for control messages, and a small socket send buffer.
 */
#ifndef PROXYD_STREAM_H
#define PROXYD_STREAM_H

#include "link.h"
#include "proxyd.h"
#include "sframe.h"

#define STREAM_SENDQ_MAX	(48 * 1024)	/* DATA dropped beyond */
#define STREAM_SENDQ_CTL	(128 * 1024)	/* control messages beyond */
#define STREAM_SNDBUF		(64 * 1024)	/* the socket's send buffer */
#define STREAM_HS_IN_MAX	(32 * 1024)	/* handshake bytes unread */
#define STREAM_READ_MAX		(64 * 1024)	/* socket bytes read ahead */
#define STREAM_RX_MAX		(SFRAME_HDR_LEN + SFRAME_MAX)
#define STREAM_LINGER_S		2	/* a replaced stream stays open */

extern const struct link_tp stream_tp;

/*
 * Listens on listen.tcp_port (if set), before the privilege drop; the
 * port is exclusive to us (SO_REUSEADDR only lets it outlive TIME_WAIT).
 * 0, or -1 (logged: "cannot listen on TCP ADDR:PORT: ...").
 */
int	 stream_listen(struct proxyd *);
/* Stops listening and frees what stream_listen() and the links left. */
void	 stream_close(struct proxyd *);

#endif
