/* SPDX-License-Identifier: ISC */
/*
 * The control socket: a UNIX stream socket speaking JSON lines (lib/ctl.h).
 * Clients say hello first; then each request line is answered with rows
 * and an end line, or an error line.  It only reads state, except for
 * probe (restarts a link's NAT trials) and ping (sends a path echo, and
 * answers when it comes back).
 */
#ifndef PROXYD_CONTROL_H
#define PROXYD_CONTROL_H

#include "proxyd.h"

/*
 * The bounds on what local clients can make the daemon hold (its unit
 * tests read them; proxyctl(8) documents them).
 *
 * CTL_CLIENTS_MAX clients at once; the last CTL_CLIENTS_ROOT of those
 * places only a client of uid 0 gets, so that other users, however many
 * connections they keep busy, never lock root's proxyctl out.  A client
 * over its limit is closed at once.
 *
 * A client is idle when for CTL_IDLE_MS it has sent no complete request
 * and taken none of its replies, with no ping in flight: it gets an
 * "idle" error line and is closed.
 *
 * Replies wait in a client's output buffer.  Past CTL_OUT_HIGH bytes its
 * next requests are not read (they wait in the socket) until the buffer is
 * down to CTL_OUT_LOW; a client that stays over CTL_OUT_HIGH for
 * CTL_OUT_HOLD_MS, or is being closed and has not taken its last words
 * in that time, is dropped with what it did not read.  So a client holds
 * at most CTL_OUT_HIGH plus one reply, and 64 KiB of requests.
 *
 * The timeouts are checked every CTL_SWEEP_MS against now_us(), while
 * there are clients.
 */
#define CTL_CLIENTS_MAX		32
#define CTL_CLIENTS_ROOT	4
#define CTL_IDLE_MS		30000
#define CTL_OUT_HIGH		(256 * 1024)
#define CTL_OUT_LOW		(64 * 1024)
#define CTL_OUT_HOLD_MS		10000
#define CTL_SWEEP_MS		1000

/*
 * Binds and listens on path (mode 0660, parent created).  What sits there
 * first: nothing, or a socket nobody answers on (an earlier run's, then
 * removed); anything else, or a socket another process answers on, fails
 * with a message saying which.  NULL on failure.
 */
struct control	*control_open(struct proxyd *, const char *path);
/* Closes every client and the listener and removes the socket file. */
void		 control_close(struct control *);

#endif
