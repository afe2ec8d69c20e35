/* SPDX-License-Identifier: ISC */
/*
 * The kernel's routes for remote site prefixes on the TUN: made equal to
 * the forwarding table's remote prefixes by applying the difference, with
 * our own protocol number (RTNL_PROTO) and the configured metric
 * (tun.metric), never over a route proxyd did not install.  A claimed
 * prefix that overlaps another protocol's route on the host (connected,
 * static, another daemon's) is refused: not installed, logged once, and
 * shown by `proxyctl routes`.  The host's table is read again on every
 * pass and every KROUTE_RECHECK_S, so a route the operator adds later
 * makes ours go.  Owned by the topology engine (it calls kroute_sync()).
 */
#ifndef PROXYD_KROUTE_H
#define PROXYD_KROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "proxyd.h"
#include "rtplan.h"

#define KROUTE_RECHECK_S	10
/*
 * A pass's route changes go to the kernel a slice per loop turn, at most
 * KROUTE_SLICE_STEPS or KROUTE_SLICE_US, whichever first; the first
 * KROUTE_LOG_EACH changes of a pass are logged each, the rest in one line.
 */
#define KROUTE_INLINE_MAX	256	/* larger tables: planned on a turn */
					/* of their own */
#define KROUTE_SLICE_STEPS	256
#define KROUTE_SLICE_US		5000
#define KROUTE_LOG_EACH		16

/*
 * Brings the kernel in line with px->routes (nothing without a TUN): the
 * changes are planned now (on the next loop turn for a table of more than
 * KROUTE_INLINE_MAX routes), and applied a slice then and the rest on the
 * following loop turns.
 */
void	kroute_sync(struct proxyd *);
/* Once a second: every KROUTE_RECHECK_S, kroute_sync() again. */
void	kroute_tick(struct proxyd *);
/* Frees the state (the routes stay: they go with the TUN). */
void	kroute_free(struct proxyd *);
/*
 * What the last pass decided for prefix addr/plen: NULL if it was not
 * wanted in the kernel (own prefix, no TUN, holds a neighbour's address);
 * else installed (refused false) or refused with the foreign route.
 */
const struct rtplan_verdict *kroute_verdict(const struct proxyd *,
	    struct in_addr addr, uint8_t plen);
/*
 * Whether our IPv6 route for addr/plen is in the kernel; and, if the last
 * pass refused it, the host route it overlaps (proto 0: the kernel found
 * an equal route), else NULL.  IPv6 prefixes follow the IPv4 rules above.
 */
bool	kroute6_installed(const struct proxyd *, const struct in6_addr *,
	    uint8_t plen);
const struct rtplan_foreign6 *kroute6_refused(const struct proxyd *,
	    const struct in6_addr *, uint8_t plen);
/*
 * Routes of ours in the kernel now; prefixes refused by the last pass
 * (both families).
 */
size_t	kroute_installed(const struct proxyd *);
size_t	kroute_refused(const struct proxyd *);
/* "overlaps the host's kernel route 192.168.77.0/24 dev eth1" */
const char *kroute_why(const struct rtplan_verdict *, char *buf, size_t len);
/* The same for an IPv6 refusal ("" for NULL). */
const char *kroute_why6(const struct rtplan_foreign6 *, char *buf,
	    size_t len);

#endif
