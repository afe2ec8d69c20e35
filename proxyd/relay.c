/* SPDX-License-Identifier: ISC */
/*
 * Data path.  From the TUN: parse, apply the forwarding policy, count the
 * flow, look up the destination proxy and send on the next hop's link.
 * From a link: the same checks, then either write to the TUN (our own
 * site) or pass the packet on to the next hop with its TTL lowered.
 * Nothing here allocates; a relayed packet arrives already in the send
 * batch's slot (link.c opens it there) and is sealed again in place.
 */
#include <string.h>

#include "ipv4.h"
#include "link.h"
#include "log.h"
#include "peer.h"
#include "relay.h"
#include "tun.h"
#include "txq.h"


static int
classify(struct proxyd *px, const uint8_t *ip, size_t len,
    struct ipv4_info *info)
{
	const char *why;

	if (ipv4_parse(ip, len, info, &why) == -1) {
		px->st.drop_malformed++;
		return -1;
	}
	if (!ipv4_policy_allows(info, px->conf->forward)) {
		px->st.drop_policy++;
		return -1;
	}
	flow_update(px->flows, info, len, now_us());
	return 0;
}

/* The next hop's link toward info->dst; *rp gets the route.  NULL: no route. */
static struct link *
next_hop(struct proxyd *px, const struct ipv4_info *info,
    const struct route **rp)
{
	const struct route *r = route_lookup(&px->routes, info->dst);
	struct link *l;

	*rp = r;
	if (r == NULL || r->hops == 0) {
		px->st.drop_noroute++;
		return NULL;
	}
	if ((l = link_find(px, r->next_hop)) == NULL) {
		px->st.drop_noroute++;
		return NULL;
	}
	return l;
}

void
relay_from_tun(struct proxyd *px, uint8_t *frame, size_t len)
{
	struct ipv4_info info;
	const struct route *r;
	struct link *l;

	px->st.tun_rx++;
	if (classify(px, frame + PKT_DATA_HEADROOM, len, &info) == -1)
		return;
	if ((l = next_hop(px, &info, &r)) == NULL)
		return;
	peer_to_channel(px, r->dest, l, frame, len, &info);
}

void
relay_from_link(struct proxyd *px, struct link *from, uint8_t ttl,
    const uint8_t *ip, size_t len)
{
	struct ipv4_info info;
	const struct route *r;
	struct link *l;

	(void)from;
	if (classify(px, ip, len, &info) == -1)
		return;
	if (route_is_local(&px->routes, info.dst)) {
		if (px->tun == NULL) {
			px->st.drop_noroute++;
			return;
		}
		tun_send(px->tun, ip, len);
		return;
	}
	if (ttl <= 1) {
		px->st.drop_ttl++;
		return;
	}
	if ((l = next_hop(px, &info, &r)) == NULL)
		return;
	if (len > 65535) {
		px->st.drop_malformed++;
		return;
	}
	{
		uint8_t *frame = txq_slot(px);

		/* link.c opened it into this slot already; else copy it in */
		if (ip != frame + PKT_DATA_HEADROOM)
			memcpy(frame + PKT_DATA_HEADROOM, ip, len);
		link_send_data(l, frame, len, (uint8_t)(ttl - 1));
	}
}
