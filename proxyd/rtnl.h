/* SPDX-License-Identifier: ISC */
/*
 * Routes for remote site prefixes on the TUN, set with rtnetlink.  Routes
 * carry protocol RTNL_PROTO so an operator can list them with
 * `ip route show proto 200`, and a restarted daemon can flush its own.
 */
#ifndef PROXYD_RTNL_H
#define PROXYD_RTNL_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#define RTNL_PROTO	200

/* Adds (replacing) or deletes dst/plen via interface ifindex.  0 or -1. */
int	rtnl_route(bool add, int ifindex, struct in_addr dst, uint8_t plen);

#endif
