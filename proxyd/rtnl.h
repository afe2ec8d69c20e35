/* SPDX-License-Identifier: ISC */
/*
 * Routes for remote site prefixes on the TUN, set with rtnetlink over one
 * socket opened at start (while root; CAP_NET_ADMIN is kept after).  Our
 * routes carry protocol RTNL_PROTO, so `ip route show proto 200` lists
 * them and nothing else is ever deleted: adds use NLM_F_EXCL (never
 * NLM_F_REPLACE), deletes name our protocol, interface and metric.
 *
 * RTNL_PROTO: 200 is unassigned in Linux's rtnetlink.h and iproute2's
 * rt_protos (which go up to 192 'eigrp'); etc/rt_protos.d/proxyd.conf
 * names it "proxyd" for `ip route`.
 */
#ifndef PROXYD_RTNL_H
#define PROXYD_RTNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "rtplan.h"

#define RTNL_PROTO		200
#define RTNL_FOREIGN_MAX	65536	/* host routes read per pass */

struct rtnl;

/* Opens the socket; NULL (logged) on failure.  rtnl_close(NULL) is fine. */
struct rtnl	*rtnl_open(void);
void		 rtnl_close(struct rtnl *);
/*
 * Reads the main table's IPv4 routes: those of any protocol but ours into
 * *v, ours (RTNL_PROTO, any run's) into *own; both malloc'd, the caller
 * frees; at most RTNL_FOREIGN_MAX in all (*truncated then true).  0, or
 * -1 (logged).
 */
int		 rtnl_foreign(struct rtnl *, struct rtplan_foreign **v,
		    size_t *n, bool *truncated, struct rtplan_route **own,
		    size_t *n_own);
/*
 * The same for the main table's IPv6 routes; ours come with their
 * interface (their proto is RTNL_PROTO).
 */
int		 rtnl_foreign6(struct rtnl *, struct rtplan_foreign6 **v,
		    size_t *n, bool *truncated, struct rtplan_foreign6 **own,
		    size_t *n_own);
/*
 * Adds (NLM_F_CREATE|NLM_F_EXCL: fails with EEXIST rather than replace)
 * or deletes (ours only) one route.  0, or -1 with errno set (not logged:
 * the caller knows why it asked).
 */
int		 rtnl_route(struct rtnl *, bool add, const struct rtplan_route *);
/* The same for an IPv6 prefix on interface ifindex with metric. */
int		 rtnl_route6(struct rtnl *, bool add, const struct in6_addr *,
		    uint8_t plen, int ifindex, uint32_t metric);

#endif
