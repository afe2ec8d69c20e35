/* SPDX-License-Identifier: ISC */
/*
 * Applies lib/rtplan's plan over proxyd/rtnl.c's one socket.  What is
 * installed is remembered here (only a route we added, and whose add the
 * kernel acknowledged, is ever deleted); an add that fails because an
 * equal route appeared meanwhile (EEXIST) counts as refused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>

#include "ipaddr.h"
#include "kroute.h"
#include "link.h"
#include "log.h"
#include "rtnl.h"
#include "tun.h"

struct kroute6 {
	struct in6_addr		 addr;
	uint8_t			 plen;
	/* in ref6: what refused it (proto 0: the kernel said EEXIST) */
	struct rtplan_foreign6	 by;
};

struct kroute {
	struct rtnl		*nl;
	struct rtplan_route	*inst;		/* ours in the kernel */
	size_t			 n_inst, cap_inst;
	struct rtplan		 plan;		/* the last pass's verdicts */
	size_t			 next_step;	/* plan.steps not yet applied */
	struct event		*ev;		/* applies them, a slice a turn */
	bool			 ev_pending;
	bool			 replan;	/* a pass to plan on that turn */
	bool			 replan_quiet;
	bool			 quiet;		/* the pass logs at debug */
	size_t			 n_logged;	/* route lines of the pass */
	size_t			 n_added, n_withdrawn;	/* not logged */
	size_t			 n_refused;
	uint64_t		 last_us;
	bool			 warned_truncated;
	bool			 adopted;	/* an earlier run's, once */
	struct kroute6		*inst6;		/* our IPv6 routes in the kernel */
	size_t			 n_inst6, cap_inst6;
	struct kroute6		*ref6;		/* IPv6 prefixes refused */
	size_t			 n_ref6, cap_ref6;
	bool			 adopted6, warned_truncated6;
};

static void	apply_cb(evutil_socket_t, short, void *);

static struct kroute *
state(struct proxyd *px)
{
	if (px->kroute == NULL && (px->kroute = calloc(1,
	    sizeof(*px->kroute))) == NULL)
		return NULL;
	if (px->kroute->nl == NULL)
		px->kroute->nl = rtnl_open();
	if (px->kroute->ev == NULL && px->base != NULL)
		px->kroute->ev = evtimer_new(px->base, apply_cb, px);
	return px->kroute->nl != NULL ? px->kroute : NULL;
}

/*
 * A remote prefix that holds one of our neighbours' addresses must not go
 * on the TUN: our own link packets to that neighbour would follow it into
 * the TUN and the link would die (a site inside another site's LAN, as
 * site C inside site M's network).  Either family.  Returns the
 * neighbour, or NULL.
 */
static const struct link *
covers_peer(const struct proxyd *px, const struct ipprefix *q)
{
	for (const struct link *l = px->links; l != NULL; l = l->next) {
		struct ipaddr a;

		if (!l->resolved)
			continue;
		if (l->peer.family == AF_INET)
			ipaddr_set4(&a, l->peer.a.v4);
		else if (l->peer.family == AF_INET6)
			ipaddr_set6(&a, &l->peer.a.v6);
		else
			continue;
		if (ipprefix_contains(q, &a))
			return l;
	}
	return NULL;
}

/* The log line of a prefix left off the TUN because it holds nb. */
static void
log_covers(const struct link *nb, const char *p, const char *dest,
    bool quiet)
{
	char a[EP_STRLEN];

	ep_addr_fmt(&nb->peer, a, sizeof(a));
	(quiet ? log_debug : log_warnx)("route %s to '%s' not installed on "
	    "the TUN: it holds neighbour '%s''s address %s, and our link to "
	    "it would loop into the TUN", p, dest, nb->name, a);
}

static const char *
pfx(struct in_addr a, uint8_t plen, char *buf, size_t len)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	snprintf(buf, len, "%s/%u", s, plen);
	return buf;
}

/* "overlaps the host's static route P dev D", or the EEXIST text. */
static const char *
why_text(uint8_t proto, int ifindex, const char *p, char *buf, size_t len)
{
	char name[16], dev[IF_NAMESIZE] = "";

	if (proto == 0) {		/* the kernel said EEXIST */
		snprintf(buf, len, "an equal route is on the host already "
		    "(same prefix and metric)");
		return buf;
	}
	if (ifindex == 0 || if_indextoname((unsigned)ifindex, dev) == NULL)
		snprintf(dev, sizeof(dev), "%s", ifindex == 0 ? "-" : "?");
	snprintf(buf, len, "overlaps the host's %s route %s dev %s",
	    rtplan_proto_name(proto, name, sizeof(name)), p, dev);
	return buf;
}

const char *
kroute_why(const struct rtplan_verdict *v, char *buf, size_t len)
{
	char p[32];

	if (v == NULL || !v->refused) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	return why_text(v->by.proto, v->by.ifindex, pfx(v->by.addr,
	    v->by.plen, p, sizeof(p)), buf, len);
}

const char *
kroute_why6(const struct rtplan_foreign6 *by, char *buf, size_t len)
{
	char p[IPPREFIX_STRLEN];
	struct ipprefix q;

	if (by == NULL) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	ipaddr_set6(&q.addr, &by->addr);
	q.plen = by->plen;
	return why_text(by->proto, by->ifindex, ipprefix_str(&q, p,
	    sizeof(p)), buf, len);
}

static const char *
dest_of(const struct proxyd *px, const struct rtplan_route *r)
{
	for (size_t i = 0; i < px->routes.n; i++)
		if (px->routes.v[i].addr.s_addr == r->addr.s_addr &&
		    px->routes.v[i].plen == r->plen)
			return px->routes.v[i].dest;
	return "?";
}

static int
inst_add(struct kroute *k, const struct rtplan_route *r)
{
	if (k->n_inst == k->cap_inst) {
		size_t cap = k->cap_inst ? k->cap_inst * 2 : 16;
		struct rtplan_route *v = realloc(k->inst, cap * sizeof(*v));

		if (v == NULL)
			return -1;
		k->inst = v;
		k->cap_inst = cap;
	}
	k->inst[k->n_inst++] = *r;
	return 0;
}

static void
inst_del(struct kroute *k, const struct rtplan_route *r)
{
	for (size_t i = 0; i < k->n_inst; i++)
		if (memcmp(&k->inst[i], r, sizeof(*r)) == 0) {
			k->inst[i] = k->inst[--k->n_inst];
			return;
		}
}

static const struct kroute6 *
k6_find(const struct kroute6 *v, size_t n, const struct in6_addr *a,
    uint8_t plen)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].plen == plen && memcmp(&v[i].addr, a, 16) == 0)
			return &v[i];
	return NULL;
}

static bool
k6_has(const struct kroute6 *v, size_t n, const struct in6_addr *a,
    uint8_t plen)
{
	return k6_find(v, n, a, plen) != NULL;
}

static int
k6_add(struct kroute6 **v, size_t *n, size_t *cap, const struct in6_addr *a,
    uint8_t plen)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		struct kroute6 *nv = reallocarray(*v, c, sizeof(*nv));

		if (nv == NULL)
			return -1;
		*v = nv;
		*cap = c;
	}
	memset(&(*v)[*n], 0, sizeof((*v)[*n]));
	(*v)[*n].addr = *a;
	(*v)[(*n)++].plen = plen;
	return 0;
}

static void
q6(struct ipprefix *q, const struct in6_addr *a, uint8_t plen)
{
	ipaddr_set6(&q->addr, a);
	q->plen = plen;
}

/*
 * Whether the IPv6 prefix is a remote one the TUN should carry: not our
 * own, not holding a neighbour's address, not overlapping a host route of
 * another protocol (f, sorted).
 */
static bool
want6(const struct proxyd *px, const struct in6_addr *a, uint8_t plen,
    const struct rtplan_foreign6 *f, size_t nf)
{
	struct ipprefix q;

	q6(&q, a, plen);
	for (size_t i = 0; i < px->routes.n6; i++) {
		const struct route6 *r = &px->routes.v6[i];

		if (r->hops > 0 && r->plen == plen &&
		    memcmp(&r->addr, a, 16) == 0)
			return !route_is_local6(&px->routes, a) &&
			    covers_peer(px, &q) == NULL &&
			    !rtplan_overlap6(f, nf, a, plen, NULL);
	}
	return false;
}

/*
 * The IPv6 routes, by the IPv4 plan's rules (kroute.h) applied in place:
 * the host's IPv6 table is read, a remote prefix that overlaps another
 * protocol's route is refused (and ours withdrawn if one appeared), the
 * rest go on the TUN, ours no longer wanted are withdrawn.  The IPv6
 * prefixes are few (no sorted plan: a pass is O(n * (n + 129 log nf))).
 * A refusal is logged when it is new, and kept for `proxyctl routes`.
 */
static void
sync_routes6(struct proxyd *px, struct kroute *k, bool quiet)
{
	char p[IPPREFIX_STRLEN], why[160];
	struct rtplan_foreign6 *f = NULL, *own = NULL;
	struct kroute6 *old;
	size_t nf = 0, nown = 0, n_old;
	struct ipprefix q;
	bool truncated;

	if (rtnl_foreign6(k->nl, &f, &nf, &truncated, &own, &nown) == -1)
		return;		/* logged; tried again on the tick */
	/* an earlier run's routes on our TUN: ours, kept or withdrawn */
	for (size_t i = 0; !k->adopted6 && i < nown; i++) {
		if (own[i].ifindex != tun_ifindex(px->tun) ||
		    k6_has(k->inst6, k->n_inst6, &own[i].addr, own[i].plen) ||
		    k6_add(&k->inst6, &k->n_inst6, &k->cap_inst6,
		    &own[i].addr, own[i].plen) == -1)
			continue;
		q6(&q, &own[i].addr, own[i].plen);
		log_info("route %s of an earlier run adopted",
		    ipprefix_str(&q, p, sizeof(p)));
	}
	k->adopted6 = true;
	free(own);
	if (truncated && !k->warned_truncated6)
		log_warnx("the host has more than %u IPv6 routes: overlaps "
		    "with the others are not checked", RTNL_FOREIGN_MAX);
	k->warned_truncated6 = truncated;
	rtplan_foreign6_sort(f, nf);

	for (size_t i = 0; i < k->n_inst6; ) {
		struct kroute6 *r = &k->inst6[i];

		if (want6(px, &r->addr, r->plen, f, nf)) {
			i++;
			continue;
		}
		q6(&q, &r->addr, r->plen);
		ipprefix_str(&q, p, sizeof(p));
		if (rtnl_route6(k->nl, false, &r->addr, r->plen,
		    tun_ifindex(px->tun), px->conf->tun_metric) == -1 &&
		    errno != ESRCH && errno != ENOENT && errno != ENODEV) {
			(quiet ? log_debug : log_warn)("cannot withdraw "
			    "route %s", p);
			i++;
			continue;	/* still ours: retried */
		}
		log_info("route %s withdrawn from '%s'", p, tun_name(px->tun));
		k->inst6[i] = k->inst6[--k->n_inst6];
	}

	/* this pass's refusals; the last pass's say which ones are news */
	old = k->ref6;
	n_old = k->n_ref6;
	k->ref6 = NULL;
	k->n_ref6 = k->cap_ref6 = 0;
	for (size_t i = 0; i < px->routes.n6; i++) {
		const struct route6 *r = &px->routes.v6[i];
		const struct link *nb;
		struct rtplan_foreign6 by;
		const struct kroute6 *was;
		bool refused = false;

		if (r->hops == 0 || route_is_local6(&px->routes, &r->addr) ||
		    k6_has(k->inst6, k->n_inst6, &r->addr, r->plen) ||
		    k6_has(k->ref6, k->n_ref6, &r->addr, r->plen))
			continue;
		route6_prefix_str(r, p, sizeof(p));
		q6(&q, &r->addr, r->plen);
		if ((nb = covers_peer(px, &q)) != NULL) {
			log_covers(nb, p, r->dest, quiet);
			continue;
		}
		was = k6_find(old, n_old, &r->addr, r->plen);
		memset(&by, 0, sizeof(by));
		if (rtplan_overlap6(f, nf, &r->addr, r->plen, &by))
			refused = true;
		else if (rtnl_route6(k->nl, true, &r->addr, r->plen,
		    tun_ifindex(px->tun), px->conf->tun_metric) == -1) {
			if (errno != EEXIST || was != NULL) {
				(quiet || was != NULL ? log_debug : log_warn)(
				    "route %s to '%s' not installed", p,
				    r->dest);
			}
			if (errno != EEXIST)
				continue;	/* retried on the next pass */
			by.addr = r->addr;	/* proto 0: EEXIST */
			by.plen = r->plen;
			refused = true;
		}
		if (refused) {
			if (k6_add(&k->ref6, &k->n_ref6, &k->cap_ref6,
			    &r->addr, r->plen) == 0)
				k->ref6[k->n_ref6 - 1].by = by;
			if (was == NULL)
				log_warnx("route %s to '%s' refused: it %s; "
				    "proxyd never touches routes it did not "
				    "install", p, r->dest, kroute_why6(&by,
				    why, sizeof(why)));
			continue;
		}
		if (k6_add(&k->inst6, &k->n_inst6, &k->cap_inst6, &r->addr,
		    r->plen) == -1)
			log_warnx("out of memory installing routes");
		log_info("route %s to '%s' installed on '%s' (proto %u, metric "
		    "%u)", p, r->dest, tun_name(px->tun), RTNL_PROTO,
		    (unsigned)px->conf->tun_metric);
	}
	free(old);
	free(f);
}

bool
kroute6_installed(const struct proxyd *px, const struct in6_addr *a,
    uint8_t plen)
{
	return px->kroute != NULL && k6_has(px->kroute->inst6,
	    px->kroute->n_inst6, a, plen);
}

const struct rtplan_foreign6 *
kroute6_refused(const struct proxyd *px, const struct in6_addr *a,
    uint8_t plen)
{
	const struct kroute6 *r;

	if (px->kroute == NULL)
		return NULL;
	r = k6_find(px->kroute->ref6, px->kroute->n_ref6, a, plen);
	return r != NULL ? &r->by : NULL;
}

static void	apply_steps(struct proxyd *, struct kroute *);

static void
sync_routes(struct proxyd *px, bool quiet)
{
	struct kroute *k;
	struct rtplan_route *want = NULL;
	struct rtplan_foreign *f = NULL;
	struct rtplan_route *own = NULL;
	struct rtplan plan;
	size_t nw = 0, nf = 0, nown = 0;
	bool truncated;
	char p[32], why[128];

	if (px->tun == NULL || (k = state(px)) == NULL)
		return;
	k->last_us = now_us();
	sync_routes6(px, k, quiet);
	if (px->routes.n > 0 && (want = calloc(px->routes.n,
	    sizeof(*want))) == NULL) {
		log_warnx("cannot install routes: out of memory");
		return;
	}
	for (size_t i = 0; i < px->routes.n; i++) {
		const struct route *r = &px->routes.v[i];
		const struct link *nb;
		struct ipprefix q;

		if (r->hops == 0 || route_is_local(&px->routes, r->addr))
			continue;	/* own site: never via the TUN */
		ipaddr_set4(&q.addr, r->addr);
		q.plen = r->plen;
		if ((nb = covers_peer(px, &q)) != NULL) {
			log_covers(nb, route_prefix_str(r, p, sizeof(p)),
			    r->dest, quiet);
			continue;
		}
		want[nw++] = (struct rtplan_route){ r->addr, r->plen,
		    tun_ifindex(px->tun), px->conf->tun_metric };
	}
	if (rtnl_foreign(k->nl, &f, &nf, &truncated, &own, &nown) == -1) {
		free(want);
		return;		/* logged; tried again on the tick */
	}
	/*
	 * Routes of our protocol on our TUN when we first look: left by an
	 * earlier run on a TUN that outlived it.  Ours: adopted, so that
	 * the plan keeps or deletes them like any other.
	 */
	if (!k->adopted) {
		for (size_t i = 0; i < nown; i++)
			if (own[i].ifindex == tun_ifindex(px->tun) &&
			    inst_add(k, &own[i]) == 0)
				log_info("route %s of an earlier run adopted",
				    pfx(own[i].addr, own[i].plen, p,
				    sizeof(p)));
		k->adopted = true;
	}
	free(own);
	if (truncated && !k->warned_truncated)
		log_warnx("the host has more than %u IPv4 routes: overlaps "
		    "with the others are not checked", RTNL_FOREIGN_MAX);
	k->warned_truncated = truncated;
	rtplan_foreign_sort(f, nf);
	if (rtplan_make(want, nw, f, nf, k->inst, k->n_inst, &plan) == -1) {
		log_warnx("cannot install routes: out of memory");
		free(want);
		free(f);
		return;
	}
	free(want);
	free(f);
	/*
	 * The verdicts first (the overlaps are known now); the steps go a
	 * slice at a time (apply_steps()).  A pass made while an older one
	 * still has steps left replaces it: it was planned from what is
	 * installed now.
	 */
	k->n_refused = 0;
	for (size_t i = 0; i < plan.n_verdicts; i++) {
		const struct rtplan_verdict *v = &plan.verdicts[i], *old;

		if (!v->refused)
			continue;
		k->n_refused++;
		old = rtplan_find(&k->plan, v->r.addr, v->r.plen);
		if (old != NULL && old->refused)
			continue;	/* said already */
		log_warnx("route %s to '%s' refused: it %s; proxyd never "
		    "touches routes it did not install", pfx(v->r.addr,
		    v->r.plen, p, sizeof(p)), dest_of(px, &v->r),
		    kroute_why(v, why, sizeof(why)));
	}
	if (k->n_added + k->n_withdrawn > 0)
		log_info("and %zu more route(s) installed on '%s', %zu more "
		    "withdrawn (proxyctl routes lists them)", k->n_added,
		    tun_name(px->tun), k->n_withdrawn);
	rtplan_release(&k->plan);
	k->plan = plan;
	k->next_step = 0;
	k->quiet = quiet;
	k->n_logged = k->n_added = k->n_withdrawn = 0;
	apply_steps(px, k);
}

/* A route line of the pass: the first KROUTE_LOG_EACH, then counted. */
static bool
log_route(struct kroute *k, bool add)
{
	if (k->n_logged < KROUTE_LOG_EACH) {
		k->n_logged++;
		return true;
	}
	if (add)
		k->n_added++;
	else
		k->n_withdrawn++;
	return false;
}

/*
 * Applies the pass's steps from next_step on, at most KROUTE_SLICE_STEPS
 * or KROUTE_SLICE_US (whichever first, at least one), and comes back for
 * the rest on the next loop turn: thousands of routes (a neighbour
 * bringing a whole network, or taking it away) never hold the loop.
 */
static void
apply_steps(struct proxyd *px, struct kroute *k)
{
	uint64_t t0 = now_us();
	unsigned done = 0;
	char p[32];

	while (k->next_step < k->plan.n_steps) {
		const struct rtplan_step *s = &k->plan.steps[k->next_step++];
		bool add = s->op == RTPLAN_ADD;

		if (done++ >= KROUTE_SLICE_STEPS ||
		    now_us() - t0 >= KROUTE_SLICE_US) {
			k->next_step--;
			break;
		}
		pfx(s->r.addr, s->r.plen, p, sizeof(p));
		if (rtnl_route(k->nl, add, &s->r) == -1) {
			if (add) {
				const struct rtplan_verdict *f = rtplan_find(
				    &k->plan, s->r.addr, s->r.plen);
				/* the plan is ours: its verdict may change */
				struct rtplan_verdict *v = f == NULL ? NULL :
				    &k->plan.verdicts[f - k->plan.verdicts];

				(k->quiet ? log_debug : log_warn)("route %s "
				    "to '%s' not installed", p, dest_of(px,
				    &s->r));
				if (v != NULL && errno == EEXIST) {
					v->refused = true;
					memset(&v->by, 0, sizeof(v->by));
					v->by.addr = s->r.addr;
					v->by.plen = s->r.plen;
					k->n_refused++;
				}
				continue;
			}
			if (errno != ESRCH && errno != ENOENT &&
			    errno != ENODEV) {
				(k->quiet ? log_debug : log_warn)("cannot "
				    "withdraw route %s", p);
				continue;	/* still ours: retried */
			}
		}
		if (add) {
			if (inst_add(k, &s->r) == -1)
				log_warnx("out of memory installing routes");
			if (log_route(k, true))
				log_info("route %s to '%s' installed on '%s' "
				    "(proto %u, metric %u)", p, dest_of(px,
				    &s->r), tun_name(px->tun), RTNL_PROTO,
				    s->r.metric);
		} else {
			inst_del(k, &s->r);
			if (log_route(k, false))
				log_info("route %s withdrawn from '%s'", p,
				    tun_name(px->tun));
		}
	}
	if (k->next_step < k->plan.n_steps) {
		struct timeval tv = { 0, 0 };

		if (!k->ev_pending && k->ev != NULL && !px->stopping &&
		    evtimer_add(k->ev, &tv) == 0)
			k->ev_pending = true;
		return;
	}
	if (k->n_added + k->n_withdrawn > 0)
		log_info("and %zu more route(s) installed on '%s', %zu more "
		    "withdrawn (proxyctl routes lists them)", k->n_added,
		    tun_name(px->tun), k->n_withdrawn);
	k->n_added = k->n_withdrawn = 0;
}

static void
apply_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proxyd *px = arg;
	struct kroute *k = px->kroute;
	struct proxyd_t0 t0 = proxyd_work_begin();

	(void)fd;
	(void)what;
	if (k == NULL)
		return;
	k->ev_pending = false;
	if (px->stopping || px->tun == NULL)
		return;		/* the routes go with the TUN */
	if (k->replan) {
		k->replan = false;
		sync_routes(px, k->replan_quiet);
	} else
		apply_steps(px, k);
	proxyd_work(px, LOOPLAG_KROUTE, t0);
}

/*
 * A large table's pass is planned on a loop turn of its own (reading the
 * host's table and planning over thousands of routes takes milliseconds,
 * on top of the shortest paths that asked for it); a small one at once.
 */
static bool
deferred(struct proxyd *px, bool quiet)
{
	struct kroute *k;
	struct timeval tv = { 0, 0 };

	if (px->routes.n + px->routes.n6 <= KROUTE_INLINE_MAX ||
	    px->tun == NULL || (k = state(px)) == NULL || k->ev == NULL)
		return false;
	k->replan_quiet = k->replan ? k->replan_quiet && quiet : quiet;
	k->replan = true;
	k->last_us = now_us();
	if (!k->ev_pending && evtimer_add(k->ev, &tv) == 0)
		k->ev_pending = true;
	return k->ev_pending;
}

void
kroute_sync(struct proxyd *px)
{
	struct proxyd_t0 t0 = proxyd_work_begin();

	if (deferred(px, false))
		return;
	sync_routes(px, false);
	proxyd_work(px, LOOPLAG_KROUTE, t0);
}

void
kroute_tick(struct proxyd *px)
{
	if (px->kroute != NULL && now_us() - px->kroute->last_us >=
	    (uint64_t)KROUTE_RECHECK_S * 1000000 && !deferred(px, true))
		sync_routes(px, true);
}

void
kroute_free(struct proxyd *px)
{
	if (px->kroute == NULL)
		return;
	if (px->kroute->ev != NULL)
		event_free(px->kroute->ev);
	rtnl_close(px->kroute->nl);
	free(px->kroute->inst);
	free(px->kroute->inst6);
	free(px->kroute->ref6);
	rtplan_release(&px->kroute->plan);
	free(px->kroute);
	px->kroute = NULL;
}

const struct rtplan_verdict *
kroute_verdict(const struct proxyd *px, struct in_addr addr, uint8_t plen)
{
	return px->kroute != NULL ? rtplan_find(&px->kroute->plan, addr, plen) :
	    NULL;
}

size_t
kroute_installed(const struct proxyd *px)
{
	return px->kroute != NULL ? px->kroute->n_inst +
	    px->kroute->n_inst6 : 0;
}

size_t
kroute_refused(const struct proxyd *px)
{
	return px->kroute != NULL ? px->kroute->n_refused +
	    px->kroute->n_ref6 : 0;
}
