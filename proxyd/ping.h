/* SPDX-License-Identifier: ISC */
/*
 * Path echoes: `proxyctl ping PROXY`.  An echo request goes hop by hop
 * toward the named proxy (over a link to it if there is one, else to the
 * next hop of our shortest path), which answers; the answer comes back the
 * same way toward us.  Every proxy on the way appends its name, so the
 * answer tells the path there and back.  The control client waits for the
 * answer, or PING_TIMEOUT_MS.
 */
#ifndef PROXYD_PING_H
#define PROXYD_PING_H

#include "pkt.h"
#include "proxyd.h"

#define PING_WAIT_MAX		16	/* pings waiting for an answer */
#define PING_TIMEOUT_MS		3000

struct link;

struct ping_result {
	const char	*dest;
	bool		 answered;
	double		 rtt_ms;
	unsigned	 hops_there, hops_back;
	const char	*path;		/* "a > b > c > b > a" */
	const char	*via;		/* the link the request left on */
};

/* The outcome of a ping, once: answered, or not within the timeout. */
typedef void	(*ping_done_fn)(void *arg, int64_t tag,
		    const struct ping_result *);

/*
 * Sends an echo request to the proxy named dest; done(arg, tag, result)
 * is called once with the outcome, unless ping_cancel(arg) came first.  0, or
 * -1 with a message in err (unknown proxy, ourselves, no link, too many
 * pings waiting).
 */
int	ping_start(struct proxyd *, const char *dest, ping_done_fn done,
	    void *arg, int64_t tag, char *err, size_t errlen);
/* An echo from a link: answered, forwarded, or the end of one of ours. */
void	ping_input(struct link *from, struct pkt_echo *);
/* Once a second: pings older than PING_TIMEOUT_MS end unanswered. */
void	ping_tick(struct proxyd *);
/* Every ping started with arg ends without a word (its asker left). */
void	ping_cancel(void *arg);

#endif
