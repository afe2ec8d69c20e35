/* SPDX-License-Identifier: ISC */
/*
 * One rtnetlink request per route change: small, synchronous, and read
 * back for its acknowledgement so errors are reported where they happen.
 * Route changes are rare (a neighbour's announcement changed), so a
 * socket per call keeps this stateless.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "log.h"
#include "rtnl.h"

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

int
rtnl_route(bool add, int ifindex, struct in_addr dst, uint8_t plen)
{
	struct rt_req req;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char reply[1024], a[INET_ADDRSTRLEN];
	int s, rc = -1;
	ssize_t n;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct rtmsg));
	req.nh.nlmsg_type = add ? RTM_NEWROUTE : RTM_DELROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK |
	    (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = AF_INET;
	req.rt.rtm_dst_len = plen;
	req.rt.rtm_table = RT_TABLE_MAIN;
	req.rt.rtm_protocol = RTNL_PROTO;
	req.rt.rtm_scope = RT_SCOPE_LINK;
	req.rt.rtm_type = RTN_UNICAST;
	add_attr(&req, RTA_DST, &dst, sizeof(dst));
	add_attr(&req, RTA_OIF, &ifindex, sizeof(ifindex));

	inet_ntop(AF_INET, &dst, a, sizeof(a));
	if ((s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE))
	    == -1) {
		log_warn("cannot open rtnetlink socket");
		return -1;
	}
	if (sendto(s, &req, req.nh.nlmsg_len, 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == -1) {
		log_warn("cannot %s route %s/%u", add ? "add" : "delete", a,
		    plen);
		goto out;
	}
	if ((n = recv(s, reply, sizeof(reply), 0)) < (ssize_t)NLMSG_LENGTH(
	    sizeof(struct nlmsgerr))) {
		log_warnx("cannot %s route %s/%u: short netlink reply",
		    add ? "add" : "delete", a, plen);
		goto out;
	}
	{
		struct nlmsghdr *h = (struct nlmsghdr *)reply;
		struct nlmsgerr *e = NLMSG_DATA(h);

		if (h->nlmsg_type == NLMSG_ERROR && e->error != 0) {
			errno = -e->error;
			log_warn("cannot %s route %s/%u", add ? "add" :
			    "delete", a, plen);
			goto out;
		}
	}
	rc = 0;
out:
	close(s);
	return rc;
}
