/* SPDX-License-Identifier: ISC */
/*
 * This file owns the plan for the kernel routes proxyd puts on its TUN:
 * which wanted prefixes may go into the kernel, which are refused because
 * a route proxyd did not install overlaps them (connected, static, another
 * daemon's), and the steps (add, delete) that turn what is installed into
 * what is wanted.  Pure: proxyd/kroute.c reads the kernel's table, asks
 * for the plan and applies it over rtnetlink.
 *
 * The rules (proxyd(8), "Kernel routes"):
 *  - a wanted prefix that overlaps (equals, holds or lies inside) a foreign
 *    route other than a default route (/0) is refused, and an installed
 *    one that now overlaps one is deleted;
 *  - only routes in the installed set (ours, by our protocol number) are
 *    ever deleted; adds never replace (the daemon sends NLM_F_EXCL);
 *  - a prefix whose metric or interface changed is added anew before the
 *    old one is deleted (make before break: both can coexist).
 */
#ifndef PROXYD_RTPLAN_H
#define PROXYD_RTPLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

/* A route of ours, wanted or installed: prefix, interface and metric. */
struct rtplan_route {
	struct in_addr	addr;		/* network, host bits zero */
	uint8_t		plen;
	int		ifindex;
	uint32_t	metric;
};

/* A route on the host that proxyd did not install (another protocol). */
struct rtplan_foreign {
	struct in_addr	addr;
	uint8_t		plen;
	uint8_t		proto;		/* RTPROT_*: 2 kernel, 4 static, ... */
	int		ifindex;	/* 0: none (blackhole, multipath) */
};

enum rtplan_op {
	RTPLAN_ADD	= 1,
	RTPLAN_DEL	= 2,
};

struct rtplan_step {
	enum rtplan_op		op;
	struct rtplan_route	r;
};

/* What became of one wanted prefix. */
struct rtplan_verdict {
	struct rtplan_route	r;
	bool			refused;
	struct rtplan_foreign	by;	/* refused: the route it overlaps */
};

struct rtplan {
	struct rtplan_step	*steps;		/* adds first, then deletes */
	size_t			 n_steps;
	struct rtplan_verdict	*verdicts;	/* one per distinct wanted */
	size_t			 n_verdicts;	/* prefix, by (addr, plen) */
};

/* Sorts foreign routes by (addr, plen), as rtplan_overlap() needs. */
void	rtplan_foreign_sort(struct rtplan_foreign *, size_t n);
/*
 * Whether addr/plen overlaps one of the sorted foreign routes f[0..n)
 * other than a default route; *by (if not NULL) gets the first such one
 * found (a covering route is preferred to one inside).  O(33 log n).
 */
bool	rtplan_overlap(const struct rtplan_foreign *f, size_t n,
	    struct in_addr addr, uint8_t plen, struct rtplan_foreign *by);
/*
 * Plans the change from installed[0..ninst) to want[0..nwant) given the
 * sorted foreign routes f[0..nf).  Duplicate prefixes in want count once
 * (the first one's ifindex and metric).  Fills *out (release with
 * rtplan_release()); 0, or -1 with errno ENOMEM (nothing allocated).
 * O((nwant + ninst) log + nwant * 33 log nf).
 */
int	rtplan_make(const struct rtplan_route *want, size_t nwant,
	    const struct rtplan_foreign *f, size_t nf,
	    const struct rtplan_route *installed, size_t ninst,
	    struct rtplan *out);
void	rtplan_release(struct rtplan *);
/* The verdict for addr/plen in p (bsearch), or NULL. */
const struct rtplan_verdict *rtplan_find(const struct rtplan *p,
	    struct in_addr addr, uint8_t plen);
/*
 * IPv6: a route on the host that proxyd did not install, and the same
 * overlap test over 128-bit prefixes (a holding route is looked for at
 * each shorter length, so O(129 log n)).  The IPv6 plan itself is applied
 * by proxyd/kroute.c, which needs only this verdict per prefix.
 */
struct rtplan_foreign6 {
	struct in6_addr	addr;		/* host bits zero */
	uint8_t		plen;		/* 0-128 */
	uint8_t		proto;
	int		ifindex;
};

/* Sorts IPv6 foreign routes by (addr, plen), as rtplan_overlap6() needs. */
void	rtplan_foreign6_sort(struct rtplan_foreign6 *, size_t n);
/*
 * Whether addr/plen (host bits beyond plen ignored) overlaps one of the
 * sorted f[0..n) other than a default route (::/0); *by (if not NULL) gets
 * the first found (a holding route before one inside).  false for a plen
 * above 128.
 */
bool	rtplan_overlap6(const struct rtplan_foreign6 *f, size_t n,
	    const struct in6_addr *addr, uint8_t plen,
	    struct rtplan_foreign6 *by);
/*
 * A route protocol's name as iproute2 spells it ("kernel" for a connected
 * route, "boot", "static", "dhcp", ...), else its number, into buf.
 */
const char *rtplan_proto_name(uint8_t proto, char *buf, size_t len);

#endif
