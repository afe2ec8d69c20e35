/* SPDX-License-Identifier: ISC */
/*
 * One rtnetlink socket for the daemon's life: route changes and dumps of
 * the host's table go over it, each request read back to its
 * acknowledgement so errors are reported where they happen.  Route
 * changes are rare (a neighbour's announcement changed) and a pass is a
 * handful of requests, so the calls are synchronous; the kernel answers
 * them at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "log.h"
#include "rtnl.h"

struct rtnl {
	int		fd;
	uint32_t	seq;
};

struct rt_req {
	struct nlmsghdr	nh;
	struct rtmsg	rt;
	char		attrs[64];
};

static void
add_attr(struct rt_req *r, unsigned short type, const void *data,
    unsigned short len)
{
	struct rtattr *a = (struct rtattr *)((char *)r +
	    NLMSG_ALIGN(r->nh.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

struct rtnl *
rtnl_open(void)
{
	struct rtnl *r;
	struct timeval tv = { 2, 0 };	/* the kernel answers at once */

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_ROUTE)) == -1) {
		log_warn("cannot open rtnetlink socket");
		free(r);
		return NULL;
	}
	(void)setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return r;
}

void
rtnl_close(struct rtnl *r)
{
	if (r == NULL)
		return;
	close(r->fd);
	free(r);
}

static int
send_req(struct rtnl *r, struct rt_req *req)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	req->nh.nlmsg_seq = ++r->seq;
	if (sendto(r->fd, req, req->nh.nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1)
		return -1;
	return 0;
}

/*
 * Reads replies to request seq until its ACK/error (ack) or NLMSG_DONE
 * (dump), passing each RTM_NEWROUTE to fn.  Replies to older requests
 * (one that timed out) are skipped.
 */
static int
read_replies(struct rtnl *r, bool dump,
    void (*fn)(const struct nlmsghdr *, void *), void *arg)
{
	static char buf[32768];

	for (int rounds = 0; rounds < 100000; rounds++) {
		ssize_t n = recv(r->fd, buf, sizeof(buf), 0);
		size_t len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		len = (size_t)n;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf;
		    NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_seq != r->seq)
				continue;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
					errno = EPROTO;
					return -1;
				}
				if (e->error != 0) {
					errno = -e->error;
					return -1;
				}
				if (!dump)
					return 0;
				continue;
			}
			if (fn != NULL)
				fn(h, arg);
		}
	}
	errno = EPROTO;
	return -1;
}

/* What a dump keeps of one route of the main table. */
struct rt_fields {
	uint8_t		dst[16];	/* 4 used for IPv4 */
	uint8_t		plen, proto;
	int		ifindex;	/* 0: none (blackhole, multipath) */
	uint32_t	metric;
};

/*
 * A dump of one family: the routes of any protocol but ours (foreign),
 * ours (any run's), at most RTNL_FOREIGN_MAX in all.  Elements are
 * struct rtplan_foreign or rtplan_route (IPv4), rtplan_foreign6 for
 * both lists (IPv6), filled by put().
 */
struct dump {
	int		 af;
	void		*v, *own;
	size_t		 n, cap, n_own, cap_own;
	size_t		 size, size_own;	/* element sizes */
	bool		 truncated, nomem;
};

/* Reads one RTM_NEWROUTE of d->af in the main table into *o. */
static bool
parse_route(const struct nlmsghdr *h, int af, struct rt_fields *o)
{
	const struct rtmsg *rt = NLMSG_DATA(h);
	size_t alen_want = af == AF_INET ? 4 : 16;
	uint32_t table;
	int alen;

	if (h->nlmsg_type != RTM_NEWROUTE ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*rt)) ||
	    rt->rtm_family != af || rt->rtm_dst_len > 8 * alen_want)
		return false;
	memset(o, 0, sizeof(*o));
	o->plen = rt->rtm_dst_len;
	o->proto = rt->rtm_protocol;
	table = rt->rtm_table;
	alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof(*rt)));
	for (const struct rtattr *a = RTM_RTA(rt); RTA_OK(a, alen);
	    a = RTA_NEXT(a, alen)) {
		if (a->rta_type == RTA_DST && RTA_PAYLOAD(a) == alen_want)
			memcpy(o->dst, RTA_DATA(a), alen_want);
		else if (a->rta_type == RTA_OIF && RTA_PAYLOAD(a) == 4)
			memcpy(&o->ifindex, RTA_DATA(a), 4);
		else if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) == 4)
			memcpy(&table, RTA_DATA(a), 4);
		else if (a->rta_type == RTA_PRIORITY && RTA_PAYLOAD(a) == 4)
			memcpy(&o->metric, RTA_DATA(a), 4);
	}
	/* local, default and policy tables: not ours */
	return table == RT_TABLE_MAIN;
}

/* Room for one more element in a dump list; NULL (d->nomem) if none. */
static void *
grow(struct dump *d, void **v, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		void *nv = reallocarray(*v, c, size);

		if (nv == NULL) {
			d->nomem = true;
			return NULL;
		}
		*v = nv;
		*cap = c;
	}
	return (char *)*v + (*n)++ * size;
}

static void
on_route(const struct nlmsghdr *h, void *arg)
{
	struct dump *d = arg;
	struct rt_fields o;
	bool ours;
	void *e;

	if (!parse_route(h, d->af, &o))
		return;
	if (d->n + d->n_own == RTNL_FOREIGN_MAX) {
		d->truncated = true;
		return;
	}
	ours = o.proto == RTNL_PROTO;
	e = ours ? grow(d, &d->own, &d->n_own, &d->cap_own, d->size_own) :
	    grow(d, &d->v, &d->n, &d->cap, d->size);
	if (e == NULL)
		return;
	if (d->af == AF_INET6) {
		struct rtplan_foreign6 *f = e;

		memcpy(&f->addr, o.dst, 16);
		f->plen = o.plen;
		f->proto = o.proto;
		f->ifindex = o.ifindex;
	} else if (ours) {
		struct rtplan_route *r = e;

		memcpy(&r->addr, o.dst, 4);
		r->plen = o.plen;
		r->ifindex = o.ifindex;
		r->metric = o.metric;
	} else {
		struct rtplan_foreign *f = e;

		memcpy(&f->addr, o.dst, 4);
		f->plen = o.plen;
		f->proto = o.proto;
		f->ifindex = o.ifindex;
	}
}

static int
dump(struct rtnl *r, struct dump *d)
{
	struct rt_req req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.rt.rtm_family = (unsigned char)d->af;
	if (send_req(r, &req) == -1 || read_replies(r, true, on_route, d) ==
	    -1) {
		log_warn("cannot read the host's %s routes", d->af == AF_INET ?
		    "IPv4" : "IPv6");
		free(d->v);
		free(d->own);
		return -1;
	}
	if (d->nomem) {
		log_warnx("cannot read the host's routes: out of memory");
		free(d->v);
		free(d->own);
		return -1;
	}
	return 0;
}

int
rtnl_foreign(struct rtnl *r, struct rtplan_foreign **v, size_t *n,
    bool *truncated, struct rtplan_route **own, size_t *n_own)
{
	struct dump d = { .af = AF_INET, .size = sizeof(**v),
	    .size_own = sizeof(**own) };

	*v = NULL;
	*n = 0;
	*truncated = false;
	*own = NULL;
	*n_own = 0;
	if (dump(r, &d) == -1)
		return -1;
	*own = d.own;
	*n_own = d.n_own;
	*v = d.v;
	*n = d.n;
	*truncated = d.truncated;
	return 0;
}

int
rtnl_foreign6(struct rtnl *r, struct rtplan_foreign6 **v, size_t *n,
    bool *truncated, struct rtplan_foreign6 **own, size_t *n_own)
{
	struct dump d = { .af = AF_INET6, .size = sizeof(**v),
	    .size_own = sizeof(**own) };

	*v = NULL;
	*n = 0;
	*truncated = false;
	*own = NULL;
	*n_own = 0;
	if (dump(r, &d) == -1)
		return -1;
	*own = d.own;
	*n_own = d.n_own;
	*v = d.v;
	*n = d.n;
	*truncated = d.truncated;
	return 0;
}

int
rtnl_route(struct rtnl *r, bool add, const struct rtplan_route *rt)
{
	struct rt_req req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
	    (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	req.rt.rtm_family = AF_INET;
	req.rt.rtm_dst_len = rt->plen;
	req.rt.rtm_table = RT_TABLE_MAIN;
	/* on a delete the kernel matches only routes of this protocol */
	req.rt.rtm_protocol = RTNL_PROTO;
	req.rt.rtm_scope = add ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
	req.rt.rtm_type = RTN_UNICAST;
	add_attr(&req, RTA_DST, &rt->addr, sizeof(rt->addr));
	add_attr(&req, RTA_OIF, &rt->ifindex, sizeof(rt->ifindex));
	add_attr(&req, RTA_PRIORITY, &rt->metric, sizeof(rt->metric));
	if (send_req(r, &req) == -1)
		return -1;
	return read_replies(r, false, NULL, NULL);
}

int
rtnl_route6(struct rtnl *r, bool add, const struct in6_addr *addr,
    uint8_t plen, int ifindex, uint32_t metric)
{
	struct rt_req req;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
	    (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	req.rt.rtm_family = AF_INET6;
	req.rt.rtm_dst_len = plen;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = RTNL_PROTO;
	req.rt.rtm_scope = add ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
	req.rt.rtm_type = RTN_UNICAST;
	add_attr(&req, RTA_DST, addr, sizeof(*addr));
	add_attr(&req, RTA_OIF, &ifindex, sizeof(ifindex));
	add_attr(&req, RTA_PRIORITY, &metric, sizeof(metric));
	if (send_req(r, &req) == -1)
		return -1;
	return read_replies(r, false, NULL, NULL);
}
