/* SPDX-License-Identifier: ISC */
/*
 * Data path.  From the TUN: parse, apply the forwarding policy, count the
 * flow, look up the destination proxy and send on the next hop's link.
 * From a link: the same checks, then either write to the TUN (our own
 * site) or pass the packet on to the next hop with its TTL lowered.
 * Nothing here allocates; a relayed packet arrives already in the send
 * batch's slot (link.c opens it there) and is sealed again in place.
 * A site known by an alias (lib/netmap.h) has its packets translated in
 * place too: the source on the way out, the destination on the way in.
 * A packet from a link must come from an inner source its origin owns:
 * every hop checks it (the origin id travels in the frame), so a proxy
 * cannot put packets with another site's addresses on anyone's LAN.
 * Plain TCP has its SYNs' MSS clamped at both edges (where a packet enters
 * from the TUN and where it leaves into it) to what the link carries in
 * one datagram, so that its segments are not split (clamp()).
 */
#include <string.h>

#include "ipaddr.h"
#include "ipv4.h"
#include "ipv6.h"
#include "link.h"
#include "log.h"
#include "peer.h"
#include "relay.h"
#include "tun.h"
#include "txq.h"

/* Whether src lies in a prefix of origin (either family). */
static bool
src_allowed(const struct proxyd *px, uint32_t origin, const struct ipaddr *src)
{
	return src->af == AF_INET ?
	    srcauth_allows(&px->srcauth, origin, src->u.v4) :
	    srcauth_allows6(&px->srcauth, origin, &src->u.v6);
}

/*
 * Whether a packet that came over link from with origin id origin may
 * carry src.  Not our own id (a packet of ours never comes back);
 * on a direct link the peer itself is the origin; and the source lies in
 * one of the origin's prefixes (as advertised: an aliased site's packets
 * carry its alias, translated before they left it).  What a relaying
 * proxy claims as origin is taken on its word, but only with a source
 * that origin owns: a relay can misattribute a packet, never give it an
 * address no origin behind that claim holds.
 */
static bool
source_ok(struct proxyd *px, const struct link *from, uint32_t origin,
    const struct ipaddr *src)
{
	if (origin == px->self_id)
		return false;
	if (peer_link_is_direct(from) && origin != pkt_origin_id(from->name))
		return false;
	return src_allowed(px, origin, src) ||
	    (peer_routes_catch_up(px) && src_allowed(px, origin, src));
}

/* Counts and logs a packet source_ok() refused. */
static void
source_refused(struct proxyd *px, const struct link *from, uint32_t origin,
    const struct ipaddr *src)
{
	char a[IPADDR_STRLEN], who[128];

	px->st.drop_source++;
	if (!log_debugging())
		return;		/* a hostile proxy can drive this per packet */
	log_debug("%s: packet from %s dropped: not a source of its origin "
	    "(id %08x)", link_who(from, who, sizeof(who)),
	    ipaddr_str(src, a, sizeof(a)), (unsigned)origin);
}

/* from: the link a packet came over, or NULL for the TUN. */
static int
classify(struct proxyd *px, const uint8_t *ip, size_t len,
    struct ipv4_info *info, const struct link *from, uint32_t origin)
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
	if (from != NULL) {
		struct ipaddr s;

		ipaddr_set4(&s, info->src);
		if (!source_ok(px, from, origin, &s)) {
			source_refused(px, from, origin, &s);
			return -1;
		}
	}
	return 0;
}

/*
 * Counts the packet in its flow.  Flows are keyed by the addresses the
 * network sees (an alias, never a translated host's real address), so a
 * conversation is one flow whichever way it was translated; the flow
 * keeps the real address beside it.  Raw ESP that needed translating is
 * counted there as refused.  Returns -1 for such a packet (dropped).
 */
static int
count(struct proxyd *px, struct ipv4_info *info, size_t len,
    enum netmap_res res, const struct netmap_xlat *x, enum netmap_dir dir)
{
	if (res == NETMAP_DONE || res == NETMAP_ESP) {
		info->xlat = dir == NETMAP_OUT ? IPV4_XLAT_SRC : IPV4_XLAT_DST;
		info->xlat_real = x->real;
		info->xlat_alias = x->alias;
		if (dir == NETMAP_OUT)
			info->src = x->alias;	/* ESP was left untranslated */
	}
	info->nat_refused = res == NETMAP_ESP;
	flow_update(px->flows, info, len, now_pkt_us());
	if (res == NETMAP_ESP) {
		px->st.drop_esp_nat++;
		return -1;
	}
	if (res == NETMAP_DONE) {
		if (dir == NETMAP_OUT)
			px->st.xlat_out++;
		else
			px->st.xlat_in++;
	}
	return 0;
}
/* The next hop's link toward info->dst; *rp gets the route.  NULL: no route. */
static struct link *
next_hop(struct proxyd *px, const struct ipv4_info *info,
    const struct route **rp)
{
	const struct route *r = route_lookup(&px->routes, info->dst);
	struct link *l;

	if ((r == NULL || r->hops == 0) && peer_routes_catch_up(px))
		r = route_lookup(&px->routes, info->dst);
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

/*
 * The link a packet relayed for dest leaves on, when the route says l and
 * it came in over from.  Every proxy computes its routes from its own copy
 * of the topology; while a change travels (a link came up or closed, a
 * cost moved) two neighbours can each route a destination through the
 * other for a moment, and a packet would bounce between them until its
 * TTL ran out (or its origin dropped it on return).  So a packet never
 * goes back over the link it came from: it goes straight to its
 * destination proxy when we hold a link to it (the destination delivers
 * it, whatever its routes say), else it is dropped and counted
 * (drop_loop).  A direct link (a channel between its two ends only) never
 * carries another origin's packets.  NULL: dropped.
 */
static struct link *
onward(struct proxyd *px, struct link *from, struct link *l, const char *dest)
{
	char who[128];

	if (l != from)
		return l;
	for (struct link *d = px->links; d != NULL; d = d->next)
		if (d != from && d->state == LINK_UP &&
		    strcmp(d->name, dest) == 0 && !peer_link_is_direct(d)) {
			log_debug("%s: packet for '%s' sent straight to it: "
			    "our route goes back where it came from (the "
			    "topology is changing)", link_who(from, who,
			    sizeof(who)), dest);
			return d;
		}
	px->st.drop_loop++;
	log_debug("%s: packet for '%s' dropped: our route goes back where it "
	    "came from (the topology is changing)", link_who(from, who,
	    sizeof(who)), dest);
	return NULL;
}

/*
 * The largest IP packet link l carries in one datagram, unsplit; 0 if not
 * up.  Until its path MTU is measured that is LINK_PMTU_MIN's share.
 */
static size_t
link_ip_unsplit(const struct link *l)
{
	size_t over = LINK_DGRAM_OVERHEAD + PKT_DATA_HDR_LEN;

	if (l == NULL || l->state != LINK_UP || l->pmtu <= over)
		return 0;
	return l->pmtu - over;
}

/*
 * ip where in-place rewrites and tun_send() want it, the txq slot after
 * its headroom: copied there if it arrived elsewhere (unit tests).
 */
static uint8_t *
in_slot(struct proxyd *px, const uint8_t *ip, size_t len)
{
	uint8_t *w = txq_slot(px) + PKT_DATA_HEADROOM;

	if (ip != w)
		memmove(w, ip, len);
	return w;
}

/*
 * A TCP SYN entering or leaving through the TUN, to or from link l: its
 * MSS is lowered so that neither end sends segments larger than l carries
 * unsplit (tinc's ClampMSS, OpenVPN's mssfix).  A split full-size segment
 * costs two datagrams, two seals and opens per hop and a join at every
 * hop; TCP adapts its segment size for free.  Only the SYN's option
 * changes (and the checksum, incrementally); ESP and everything else
 * pass untouched, so IPsec endpoints still get full-size packets carried
 * split.  The caller checked the protocol is TCP.
 */
static void
clamp(struct proxyd *px, const struct link *l, uint8_t *ip, size_t len)
{
	size_t max = link_ip_unsplit(l);

	if (max > 0 && ip_tcp_mss_clamp(ip, len, max) == 1)
		px->st.tcp_mss_clamped++;
}

/* --- IPv6 (the version nibble says 6) --- */

static int
classify6(struct proxyd *px, const uint8_t *ip, size_t len,
    struct ipv6_info *info, const struct link *from, uint32_t origin)
{
	const char *why;

	if (ipv6_parse(ip, len, info, &why) == -1) {
		px->st.drop_malformed++;
		return -1;
	}
	if (!ipv6_policy_allows(info, px->conf->forward)) {
		px->st.drop_policy++;
		return -1;
	}
	if (from != NULL) {
		struct ipaddr s;

		ipaddr_set6(&s, &info->src);
		if (!source_ok(px, from, origin, &s)) {
			source_refused(px, from, origin, &s);
			return -1;
		}
	}
	return 0;
}

/*
 * The largest IP packet link l carries as one DATA message, split into at
 * most PKT_FRAG_COUNT_MAX pieces; 0 while its path MTU is not known.
 */
static size_t
link_ip_max(const struct link *l)
{
	size_t over = LINK_DGRAM_OVERHEAD;
	size_t room, max;

	if (l->state != LINK_UP || l->pmtu <= over + PKT_FRAG_HDR_LEN)
		return 0;
	room = l->pmtu - over - PKT_FRAG_HDR_LEN;
	max = room * PKT_FRAG_COUNT_MAX;
	if (max > PKT_FRAG_TOTAL_MAX)
		max = PKT_FRAG_TOTAL_MAX;
	if (l->pmtu - over > max)
		max = l->pmtu - over;	/* unsplit */
	return max - PKT_DATA_HDR_LEN;
}

/*
 * An IPv6 packet from the TUN larger than its path carries: IPv6 routers
 * never fragment, so the endpoint is told (ICMPv6 Packet Too Big, RFC
 * 8201) and sends smaller.  The message comes from the packet's own
 * destination (the proxy may hold no IPv6 address on the LAN), is at most
 * 1280 bytes and so smaller than the packet, and goes into the TUN only.
 */
static bool
too_big6(struct proxyd *px, const struct link *l, const uint8_t *ip,
    size_t len, const struct ipv6_info *info)
{
	static uint8_t ptb[IPV6_MIN_MTU];
	size_t max = link_ip_max(l);
	int n;

	if (max == 0 || len <= max)
		return false;
	px->st.drop_toobig++;
	if (max < IPV6_MIN_MTU)
		max = IPV6_MIN_MTU;	/* the link splits what it must */
	n = ipv6_build_ptb(ptb, sizeof(ptb), &info->dst, ip, len, info,
	    (uint32_t)max);
	if (n > 0 && px->tun != NULL) {
		tun_send(px->tun, ptb, (size_t)n);
		px->st.ptb6_sent++;
	}
	return true;
}

static void
relay6_from_tun(struct proxyd *px, uint8_t *frame, size_t len)
{
	uint8_t *ip = frame + PKT_DATA_HEADROOM;
	struct ipv6_info info;
	struct peer_flow flow;
	const struct route6 *r;
	struct link *l;

	if (classify6(px, ip, len, &info, NULL, 0) == -1)
		return;
	flow_update6(px->flows, &info, len, now_pkt_us());
	r = route_lookup6(&px->routes, &info.dst);
	if (r == NULL || r->hops == 0 ||
	    (l = link_find(px, r->next_hop)) == NULL) {
		px->st.drop_noroute++;
		return;
	}
	if (too_big6(px, l, ip, len, &info))
		return;
	if (info.proto == IPPROTO_TCP)
		clamp(px, l, ip, len);
	ipaddr_set6(&flow.src, &info.src);
	ipaddr_set6(&flow.dst, &info.dst);
	flow.cls = (uint8_t)info.cls;
	peer_to_channel(px, r->dest, l, frame, len, &flow);
}

static void
relay6_from_link(struct proxyd *px, struct link *from, uint8_t ttl,
    uint32_t origin, const uint8_t *ip, size_t len)
{
	struct ipv6_info info;
	const struct route6 *r;
	struct link *l;

	if (classify6(px, ip, len, &info, from, origin) == -1)
		return;
	flow_update6(px->flows, &info, len, now_pkt_us());
	if (route_is_local6(&px->routes, &info.dst)) {
		if (px->tun == NULL) {
			px->st.drop_noroute++;
			return;
		}
		if (info.proto == IPPROTO_TCP) {
			uint8_t *w = in_slot(px, ip, len);

			clamp(px, from, w, len);
			ip = w;
		}
		tun_send(px->tun, ip, len);
		return;
	}
	if (ttl <= 1) {
		px->st.drop_ttl++;
		return;
	}
	r = route_lookup6(&px->routes, &info.dst);
	if ((r == NULL || r->hops == 0) && peer_routes_catch_up(px))
		r = route_lookup6(&px->routes, &info.dst);
	if (r == NULL || r->hops == 0 ||
	    (l = link_find(px, r->next_hop)) == NULL) {
		px->st.drop_noroute++;
		return;
	}
	if ((l = onward(px, from, l, r->dest)) == NULL)
		return;
	{
		uint8_t *frame = txq_slot(px);

		if (ip != frame + PKT_DATA_HEADROOM)
			memcpy(frame + PKT_DATA_HEADROOM, ip, len);
		link_send_data(l, frame, len, (uint8_t)(ttl - 1), origin);
	}
}

/* --- IPv4 --- */

void
relay_from_tun(struct proxyd *px, uint8_t *frame, size_t len)
{
	uint8_t *ip = frame + PKT_DATA_HEADROOM;
	struct ipv4_info info;
	struct netmap_xlat x;
	enum netmap_res res;
	const struct route *r;
	struct link *l;
	struct peer_flow flow;

	px->st.tun_rx++;
	if (len > 0 && ip[0] >> 4 == 6) {
		relay6_from_tun(px, frame, len);
		return;
	}
	/* translated first: the route, policy and flow see the alias */
	res = netmap_translate(&px->netmap, NETMAP_OUT, ip, len, &x);
	if (classify(px, ip, len, &info, NULL, 0) == -1 ||
	    count(px, &info, len, res, &x, NETMAP_OUT) == -1)
		return;
	if ((l = next_hop(px, &info, &r)) == NULL)
		return;
	if (info.proto == IPPROTO_TCP)
		clamp(px, l, ip, len);
	ipaddr_set4(&flow.src, info.src);
	ipaddr_set4(&flow.dst, info.dst);
	flow.cls = (uint8_t)info.cls;
	peer_to_channel(px, r->dest, l, frame, len, &flow);
}

/*
 * For our own LAN: an alias is translated back to the real address.  The
 * packet is rewritten where link.c opened it (the send batch's current
 * slot); one that arrived elsewhere (unit tests) is copied there first.
 */
static void
deliver(struct proxyd *px, const struct link *from, const uint8_t *ip,
    size_t len, struct ipv4_info *info)
{
	uint8_t *w;
	struct netmap_xlat x;
	enum netmap_res res = NETMAP_PASS;

	if (px->tun == NULL) {
		(void)count(px, info, len, NETMAP_PASS, NULL, NETMAP_IN);
		px->st.drop_noroute++;
		return;
	}
	if (px->netmap.n > 0) {
		ip = w = in_slot(px, ip, len);
		res = netmap_translate(&px->netmap, NETMAP_IN, w, len, &x);
	}
	if (count(px, info, len, res, &x, NETMAP_IN) == -1)
		return;
	if (info->proto == IPPROTO_TCP) {
		ip = w = in_slot(px, ip, len);
		clamp(px, from, w, len);
	}
	tun_send(px->tun, ip, len);
}

void
relay_from_link(struct proxyd *px, struct link *from, uint8_t ttl,
    uint32_t origin, const uint8_t *ip, size_t len)
{
	struct ipv4_info info;
	const struct route *r;
	struct link *l;

	if (len > 65535) {
		px->st.drop_malformed++;
		return;
	}
	if (len > 0 && ip[0] >> 4 == 6) {
		relay6_from_link(px, from, ttl, origin, ip, len);
		return;
	}
	if (classify(px, ip, len, &info, from, origin) == -1)
		return;
	if (route_is_local(&px->routes, info.dst)) {
		deliver(px, from, ip, len, &info);
		return;
	}
	(void)count(px, &info, len, NETMAP_PASS, NULL, NETMAP_IN);
	if (ttl <= 1) {
		px->st.drop_ttl++;
		return;
	}
	if ((l = next_hop(px, &info, &r)) == NULL ||
	    (l = onward(px, from, l, r->dest)) == NULL)
		return;
	{
		uint8_t *frame = txq_slot(px);

		/* link.c opened it into this slot already; else copy it in */
		if (ip != frame + PKT_DATA_HEADROOM)
			memcpy(frame + PKT_DATA_HEADROOM, ip, len);
		link_send_data(l, frame, len, (uint8_t)(ttl - 1), origin);
	}
}

void
relay_routes_changed(struct proxyd *px)
{
	if (srcauth_build(&px->srcauth, &px->routes) == -1)
		log_warnx("cannot rebuild the inner-source table: out of "
		    "memory (the previous one stays)");
}

void
relay_free(struct proxyd *px)
{
	srcauth_release(&px->srcauth);
}
