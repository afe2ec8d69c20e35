/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for proxyd/relay.c alone, in the fake world of fake.h: the
 * inner source check of packets arriving over links (issue 11, part 5).
 * We are proxy b, owning 10.2.0.0/24; a (10.1.0.0/24) is our neighbour,
 * z (10.9.0.0/16) is two hops away through c.  A packet from a link is
 * delivered (or passed on) only when its inner source lies in a prefix of
 * the origin its frame names; a direct link's peer must be that origin;
 * our own id never comes back.  Everything else is counted in
 * drop_source.  Each TCase is one behaviour.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake.h"
#include "log.h"
#include "relay.h"
#include "srcauth.h"

static struct proxyd	*px;
static struct link	*la, *lc, *lz;

static void
add_route(const char *addr, uint8_t plen, const char *dest,
    const char *next_hop, uint8_t hops)
{
	struct route_table *t = &px->routes;
	struct route *r;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 8;
		t->v = realloc(t->v, t->cap * sizeof(*t->v));
		ck_assert_ptr_nonnull(t->v);
	}
	r = &t->v[t->n++];
	memset(r, 0, sizeof(*r));
	r->addr = fake_ip(addr);
	r->plen = plen;
	r->hops = hops;
	snprintf(r->dest, sizeof(r->dest), "%s", dest);
	snprintf(r->next_hop, sizeof(r->next_hop), "%s", next_hop);
}

static void
setup(void)
{
	log_init(1, LOG_LVL_WARN, "check_relay");
	px = fake_proxyd_new("b");
	fake_tun_attach(px);
	ck_assert_ptr_nonnull(px->flows = flow_table_new(64));
	la = fake_link_add(px, "a", LINK_UP, "192.0.2.1", 4790);
	lc = fake_link_add(px, "c", LINK_UP, "192.0.2.3", 4790);
	lz = fake_link_add(px, "z", LINK_UP, "192.0.2.26", 4790);
	/* longest first, as topo_routes() keeps them */
	add_route("10.2.0.0", 24, "b", "", 0);
	add_route("10.1.0.0", 24, "a", "a", 1);
	add_route("10.9.0.0", 16, "z", "c", 2);
	relay_routes_changed(px);
}

static void
teardown(void)
{
	relay_free(px);
	flow_table_free(px->flows);
	px->flows = NULL;
	fake_proxyd_free(px);
}

/* An ICMP echo request src -> dst (header checksum not checked). */
static size_t
icmp(uint8_t *p, const char *src, const char *dst)
{
	struct in_addr s = fake_ip(src), d = fake_ip(dst);

	memset(p, 0, 28);
	p[0] = 0x45;
	p[3] = 28;
	p[8] = 64;
	p[9] = 1;
	memcpy(p + 12, &s, 4);
	memcpy(p + 16, &d, 4);
	p[20] = 8;			/* echo request */
	return 28;
}

static void
from_link(struct link *l, uint32_t origin, const char *src, const char *dst)
{
	uint8_t ip[64];
	size_t n = icmp(ip, src, dst);

	relay_from_link(px, l, 8, origin, ip, n);
}

START_TEST(source_of_its_origin_delivered)
{
	from_link(la, pkt_origin_id("a"), "10.1.0.5", "10.2.0.7");
	ck_assert_uint_eq(fake.n_tun_send, 1);
	ck_assert_uint_eq(px->st.drop_source, 0);
	/* relayed by a for z, with z's source */
	from_link(la, pkt_origin_id("z"), "10.9.3.4", "10.2.0.7");
	ck_assert_uint_eq(fake.n_tun_send, 2);
	ck_assert_uint_eq(px->st.drop_source, 0);
}
END_TEST

START_TEST(forged_source_dropped_and_counted)
{
	/* a sends with z's address as its own */
	from_link(la, pkt_origin_id("a"), "10.9.3.4", "10.2.0.7");
	/* ... with an address nobody owns */
	from_link(la, pkt_origin_id("a"), "192.168.5.5", "10.2.0.7");
	/* ... with one of ours, as us */
	from_link(la, pkt_origin_id("b"), "10.2.0.9", "10.2.0.7");
	/* ... in the name of z, with a's source */
	from_link(la, pkt_origin_id("z"), "10.1.0.5", "10.2.0.7");
	/* ... in the name of an origin we do not know */
	from_link(la, pkt_origin_id("ghost"), "10.1.0.5", "10.2.0.7");
	ck_assert_uint_eq(fake.n_tun_send, 0);
	ck_assert_uint_eq(px->st.drop_source, 5);
	ck_assert_uint_eq(flow_count(px->flows), 0);	/* not counted as a flow */
}
END_TEST

START_TEST(transit_checked_and_origin_kept)
{
	const struct fake_data *d;

	/* a's packet for z goes on to c, still a's */
	from_link(la, pkt_origin_id("a"), "10.1.0.5", "10.9.0.9");
	ck_assert_uint_eq(fake_data_count(), 1);
	d = fake_data_last();
	ck_assert_str_eq(d->link_name, "c");
	ck_assert_uint_eq(d->origin, pkt_origin_id("a"));
	ck_assert_uint_eq(d->ttl, 7);
	/* a forged one stops here */
	from_link(la, pkt_origin_id("a"), "10.2.0.3", "10.9.0.9");
	ck_assert_uint_eq(fake_data_count(), 1);
	ck_assert_uint_eq(px->st.drop_source, 1);
}
END_TEST

START_TEST(direct_link_peer_is_the_origin)
{
	fake_set_direct(lz, true);
	from_link(lz, pkt_origin_id("z"), "10.9.3.4", "10.2.0.7");
	ck_assert_uint_eq(fake.n_tun_send, 1);
	/* z cannot relay a's packets on the channel between z and us */
	from_link(lz, pkt_origin_id("a"), "10.1.0.5", "10.2.0.7");
	ck_assert_uint_eq(fake.n_tun_send, 1);
	ck_assert_uint_eq(px->st.drop_source, 1);
}
END_TEST

START_TEST(withdrawn_prefix_no_longer_a_source)
{
	from_link(la, pkt_origin_id("z"), "10.9.3.4", "10.2.0.7");
	ck_assert_uint_eq(fake.n_tun_send, 1);
	px->routes.n = 2;		/* z's route is gone */
	relay_routes_changed(px);
	from_link(la, pkt_origin_id("z"), "10.9.3.4", "10.2.0.7");
	ck_assert_uint_eq(fake.n_tun_send, 1);
	ck_assert_uint_eq(px->st.drop_source, 1);
}
END_TEST

/* what a waiting route computation brings: z's route back */
static void
z_route_back(struct proxyd *p)
{
	p->routes.n = 3;
	relay_routes_changed(p);
}

/*
 * We flood an advertisement at once but compute routes later: a packet
 * its origin's neighbour sent on that news runs the waiting computation
 * before it is judged, once; with none waiting a forged packet runs none.
 */
START_TEST(waiting_routes_computed_before_a_drop)
{
	px->routes.n = 2;		/* z's route not computed yet */
	relay_routes_changed(px);
	fake.routes_pending = true;
	fake.on_catch_up = z_route_back;
	from_link(la, pkt_origin_id("z"), "10.9.3.4", "10.2.0.7");
	ck_assert_uint_eq(fake.n_tun_send, 1);
	ck_assert_uint_eq(px->st.drop_source, 0);
	ck_assert(!fake.routes_pending);
	/* forged: dropped; nothing waits, so nothing is computed */
	from_link(la, pkt_origin_id("a"), "10.9.3.4", "10.2.0.7");
	ck_assert_uint_eq(px->st.drop_source, 1);
	ck_assert_uint_eq(fake.n_tun_send, 1);
	/* a packet for z's prefix with its route still waiting goes on */
	px->routes.n = 2;
	relay_routes_changed(px);
	fake.routes_pending = true;
	from_link(la, pkt_origin_id("a"), "10.1.0.5", "10.9.0.9");
	ck_assert_uint_eq(fake_data_count(), 1);
	ck_assert_str_eq(fake_data_last()->link_name, "c");
	ck_assert_uint_eq(px->st.drop_noroute, 0);
}
END_TEST

START_TEST(from_tun_not_checked)
{
	uint8_t frame[PKT_DATA_HEADROOM + 64 + PKT_TAG_LEN];

	/* the TUN is our own LAN's traffic: the check is for links */
	icmp(frame + PKT_DATA_HEADROOM, "10.2.0.7", "10.1.0.5");
	relay_from_tun(px, frame, 28);
	ck_assert_uint_eq(px->st.drop_source, 0);
	ck_assert_uint_eq(fake.n_to_channel, 1);
}
END_TEST


/*
 * A TCP SYN src -> dst with MSS mss (the option first), TCP checksum
 * left 0: the clamp adjusts it incrementally, lib's tests check that.
 */
static size_t
tcp_syn(uint8_t *p, const char *src, const char *dst, uint16_t mss)
{
	struct in_addr s = fake_ip(src), d = fake_ip(dst);

	memset(p, 0, 44);
	p[0] = 0x45;
	p[3] = 44;
	p[6] = 0x40;
	p[8] = 64;
	p[9] = 6;
	memcpy(p + 12, &s, 4);
	memcpy(p + 16, &d, 4);
	p[20 + 12] = 6 << 4;		/* 24-byte TCP header */
	p[20 + 13] = 0x02;		/* SYN */
	p[40] = 2;
	p[41] = 4;
	p[42] = (uint8_t)(mss >> 8);
	p[43] = (uint8_t)mss;
	return 44;
}

/*
 * Plain TCP: a SYN's MSS is clamped where it enters from the TUN (to the
 * next hop's link) and where it leaves into it (from the link it came
 * over), to what that link carries unsplit: path MTU less 64 (UDP/IP,
 * sealed header, tag, DATA header) less 40.  Transit is left alone.
 */
START_TEST(tcp_syn_mss_clamped_at_both_edges)
{
	uint8_t frame[PKT_DATA_HEADROOM + 64 + PKT_TAG_LEN];
	uint8_t *ip = frame + PKT_DATA_HEADROOM, p[64];

	px->conf->forward |= CONF_FWD_ALL;
	la->pmtu = 1500;
	tcp_syn(ip, "10.2.0.7", "10.1.0.5", 1460);
	relay_from_tun(px, frame, 44);
	ck_assert_uint_eq(fake.n_to_channel, 1);
	ck_assert_uint_eq(ip[42] << 8 | ip[43], 1500 - 64 - 40);
	ck_assert_uint_eq(px->st.tcp_mss_clamped, 1);
	/* into the TUN, from a, whose link has a smaller path MTU */
	la->pmtu = 1400;
	relay_from_link(px, la, 8, pkt_origin_id("a"), p,
	    tcp_syn(p, "10.1.0.5", "10.2.0.7", 1460));
	ck_assert_uint_eq(fake.n_tun_send, 1);
	ck_assert_uint_eq(fake.tun_first[42] << 8 | fake.tun_first[43],
	    1400 - 64 - 40);
	ck_assert_uint_eq(px->st.tcp_mss_clamped, 2);
	/* one that fits is left alone */
	relay_from_link(px, la, 8, pkt_origin_id("a"), p,
	    tcp_syn(p, "10.1.0.5", "10.2.0.7", 1200));
	ck_assert_uint_eq(fake.n_tun_send, 2);
	ck_assert_uint_eq(fake.tun_first[42] << 8 | fake.tun_first[43], 1200);
	/* transit (a -> z via c) is not ours to change */
	relay_from_link(px, la, 8, pkt_origin_id("a"), p,
	    tcp_syn(p, "10.1.0.5", "10.9.0.9", 1460));
	ck_assert_uint_eq(fake_data_count(), 1);
	ck_assert_uint_eq(px->st.tcp_mss_clamped, 2);
}
END_TEST

/* --- IPv6: b owns fd00:b::/48, a fd00:a::/48, z fd00:9::/32 via c --- */

static void
add_route6(const char *addr, uint8_t plen, const char *dest,
    const char *next_hop, uint8_t hops)
{
	struct route_table *t = &px->routes;
	struct route6 *r;

	t->v6 = realloc(t->v6, (t->n6 + 1) * sizeof(*t->v6));
	ck_assert_ptr_nonnull(t->v6);
	t->cap6 = t->n6 + 1;
	r = &t->v6[t->n6++];
	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &r->addr), 1);
	r->plen = plen;
	r->hops = hops;
	snprintf(r->dest, sizeof(r->dest), "%s", dest);
	snprintf(r->next_hop, sizeof(r->next_hop), "%s", next_hop);
}

static void
setup6(void)
{
	setup();
	add_route6("fd00:b::", 48, "b", "", 0);
	add_route6("fd00:a::", 48, "a", "a", 1);
	add_route6("fd00:9::", 32, "z", "c", 2);
	relay_routes_changed(px);
}

/* An IPv6 packet src -> dst: ICMPv6 echo (nh 58) or TCP (nh 6), n bytes. */
static size_t
ip6(uint8_t *p, const char *src, const char *dst, uint8_t nh, size_t n)
{
	memset(p, 0, n);
	p[0] = 0x60;
	p[4] = (uint8_t)((n - 40) >> 8);
	p[5] = (uint8_t)(n - 40);
	p[6] = nh;
	p[7] = 64;
	ck_assert_int_eq(inet_pton(AF_INET6, src, p + 8), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, dst, p + 24), 1);
	p[40] = 128;			/* echo request, or TCP port bytes */
	return n;
}

static void
from_link6(struct link *l, uint32_t origin, const char *src, const char *dst)
{
	uint8_t p[128];

	relay_from_link(px, l, 8, origin, p, ip6(p, src, dst, 58, 64));
}

START_TEST(ipv6_source_checked_delivered_and_passed_on)
{
	const struct fake_data *d;

	from_link6(la, pkt_origin_id("a"), "fd00:a::5", "fd00:b::7");
	ck_assert_uint_eq(fake.n_tun_send, 1);
	ck_assert_uint_eq(fake.tun_len, 64);
	from_link6(la, pkt_origin_id("z"), "fd00:9:1::4", "fd00:b::7");
	ck_assert_uint_eq(fake.n_tun_send, 2);
	ck_assert_uint_eq(px->st.drop_source, 0);
	/* forged: z's address as a's, ours as a's, nobody's, as us */
	from_link6(la, pkt_origin_id("a"), "fd00:9::4", "fd00:b::7");
	from_link6(la, pkt_origin_id("a"), "fd00:b::9", "fd00:b::7");
	from_link6(la, pkt_origin_id("a"), "fd00:c::1", "fd00:b::7");
	from_link6(la, pkt_origin_id("b"), "fd00:b::9", "fd00:b::7");
	ck_assert_uint_eq(fake.n_tun_send, 2);
	ck_assert_uint_eq(px->st.drop_source, 4);
	/* transit: a's packet for z goes on to c, ttl lowered, origin kept */
	from_link6(la, pkt_origin_id("a"), "fd00:a::5", "fd00:9::9");
	ck_assert_uint_eq(fake_data_count(), 1);
	d = fake_data_last();
	ck_assert_str_eq(d->link_name, "c");
	ck_assert_uint_eq(d->origin, pkt_origin_id("a"));
	ck_assert_uint_eq(d->ttl, 7);
	/* nowhere to go */
	from_link6(la, pkt_origin_id("a"), "fd00:a::5", "fd00:e::9");
	ck_assert_uint_eq(px->st.drop_noroute, 1);
	/* IPv6 flows: the delivered and passed-on ones */
	ck_assert_uint_ge(flow_count(px->flows), 3);
}
END_TEST

START_TEST(ipv6_from_tun_policy_and_malformed)
{
	uint8_t frame[PKT_DATA_HEADROOM + 2048 + PKT_TAG_LEN];
	uint8_t *ip = frame + PKT_DATA_HEADROOM;

	ip6(ip, "fd00:b::7", "fd00:a::5", 58, 64);
	relay_from_tun(px, frame, 64);
	ck_assert_uint_eq(fake.n_to_channel, 1);
	/* TCP is not in the policy */
	ip6(ip, "fd00:b::7", "fd00:a::5", 6, 64);
	relay_from_tun(px, frame, 64);
	ck_assert_uint_eq(px->st.drop_policy, 1);
	/* the payload length disagrees */
	ip6(ip, "fd00:b::7", "fd00:a::5", 58, 64);
	relay_from_tun(px, frame, 63);
	ck_assert_uint_eq(px->st.drop_malformed, 1);
	/* our own prefix, and one nobody claims: no route */
	ip6(ip, "fd00:b::7", "fd00:b::8", 58, 64);
	relay_from_tun(px, frame, 64);
	ip6(ip, "fd00:b::7", "fd00:e::8", 58, 64);
	relay_from_tun(px, frame, 64);
	ck_assert_uint_eq(px->st.drop_noroute, 2);
	ck_assert_uint_eq(fake.n_to_channel, 1);
}
END_TEST

/*
 * A packet larger than its next link carries even split (a link whose
 * path MTU is 200 carries 1058 bytes in 8 pieces) is dropped and answered
 * with a Packet Too Big into the TUN, toward its source, saying 1280.
 */
START_TEST(ipv6_too_big_for_the_link_gets_packet_too_big)
{
	uint8_t frame[PKT_DATA_HEADROOM + 2048 + PKT_TAG_LEN];
	uint8_t *ip = frame + PKT_DATA_HEADROOM, src[16];

	la->pmtu = 200;
	ip6(ip, "fd00:b::7", "fd00:a::5", 58, 1400);
	relay_from_tun(px, frame, 1400);
	ck_assert_uint_eq(fake.n_to_channel, 0);
	ck_assert_uint_eq(px->st.drop_toobig, 1);
	ck_assert_uint_eq(px->st.ptb6_sent, 1);
	ck_assert_uint_eq(fake.n_tun_send, 1);
	ck_assert_uint_eq(fake.tun_len, 1280);
	ck_assert_uint_eq(fake.tun_first[6], 58);	/* ICMPv6 */
	ck_assert_uint_eq(fake.tun_first[40], 2);	/* Packet Too Big */
	ck_assert_uint_eq(fake.tun_first[46] << 8 | fake.tun_first[47], 1280);
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:b::7", src), 1);
	ck_assert_mem_eq(fake.tun_first + 24, src, 16);	/* to the source */
	/* what fits goes on */
	ip6(ip, "fd00:b::7", "fd00:a::5", 58, 1000);
	relay_from_tun(px, frame, 1000);
	ck_assert_uint_eq(fake.n_to_channel, 1);
	ck_assert_uint_eq(px->st.ptb6_sent, 1);
}
END_TEST


/* IPv6: the same clamp, 60 bytes of IP and TCP headers. */
START_TEST(ipv6_tcp_syn_mss_clamped_at_both_edges)
{
	uint8_t frame[PKT_DATA_HEADROOM + 128 + PKT_TAG_LEN];
	uint8_t *ip = frame + PKT_DATA_HEADROOM, p[128];

	px->conf->forward |= CONF_FWD_ALL;
	la->pmtu = 1500;
	ip6(ip, "fd00:b::7", "fd00:a::5", 6, 64);
	ip[40 + 12] = 6 << 4;		/* 24-byte TCP header */
	ip[40 + 13] = 0x02;		/* SYN */
	memcpy(ip + 60, "\x02\x04\x05\xa0", 4);	/* MSS 1440 */
	relay_from_tun(px, frame, 64);
	ck_assert_uint_eq(fake.n_to_channel, 1);
	ck_assert_uint_eq(ip[62] << 8 | ip[63], 1500 - 64 - 60);
	ck_assert_uint_eq(px->st.tcp_mss_clamped, 1);
	la->pmtu = 1400;
	ip6(p, "fd00:a::5", "fd00:b::7", 6, 64);
	p[40 + 12] = 6 << 4;
	p[40 + 13] = 0x12;		/* SYN-ACK */
	memcpy(p + 60, "\x02\x04\x05\xa0", 4);
	relay_from_link(px, la, 8, pkt_origin_id("a"), p, 64);
	ck_assert_uint_eq(fake.n_tun_send, 1);
	ck_assert_uint_eq(fake.tun_first[62] << 8 | fake.tun_first[63],
	    1400 - 64 - 60);
	ck_assert_uint_eq(px->st.tcp_mss_clamped, 2);
}
END_TEST

/*
 * A passing loop while the topology changes (e2e_rekey lost pings so):
 * our route toward z says c, but the packet came from c, which routes z
 * through us.  It never goes back to c: straight to z while we hold a
 * link to it, else dropped and counted.
 */
START_TEST(relayed_never_sent_back_where_it_came_from)
{
	const struct fake_data *d;
	uint8_t p[128];

	from_link(lc, pkt_origin_id("a"), "10.1.0.5", "10.9.0.9");
	ck_assert_uint_eq(fake_data_count(), 1);
	d = fake_data_last();
	ck_assert_str_eq(d->link_name, "z");
	ck_assert_uint_eq(d->origin, pkt_origin_id("a"));
	ck_assert_uint_eq(d->ttl, 7);
	ck_assert_uint_eq(px->st.drop_loop, 0);
	/* the same for IPv6 */
	add_route6("fd00:9::", 32, "z", "c", 2);
	relay_routes_changed(px);
	(void)ip6(p, "fd00:9::4", "fd00:9::9", 58, 64);
	relay_from_link(px, lc, 8, pkt_origin_id("z"), p, 64);
	ck_assert_uint_eq(fake_data_count(), 2);
	ck_assert_str_eq(fake_data_last()->link_name, "z");
	/* a direct link to z is the channel between z and us only */
	fake_set_direct(lz, true);
	from_link(lc, pkt_origin_id("a"), "10.1.0.5", "10.9.0.9");
	ck_assert_uint_eq(fake_data_count(), 2);
	ck_assert_uint_eq(px->st.drop_loop, 1);
	/* no link to z at all */
	fake_set_direct(lz, false);
	lz->state = LINK_IDLE;
	from_link(lc, pkt_origin_id("a"), "10.1.0.5", "10.9.0.9");
	ck_assert_uint_eq(fake_data_count(), 2);
	ck_assert_uint_eq(px->st.drop_loop, 2);
	/* from elsewhere it follows the route as ever */
	from_link(la, pkt_origin_id("a"), "10.1.0.5", "10.9.0.9");
	ck_assert_uint_eq(fake_data_count(), 3);
	ck_assert_str_eq(fake_data_last()->link_name, "c");
}
END_TEST

START_TEST(srcauth_table_rules)
{
	struct srcauth a;
	struct in_addr x = fake_ip("10.9.200.1");

	srcauth_init(&a);
	ck_assert(!srcauth_allows(&a, pkt_origin_id("z"), x));
	ck_assert_int_eq(srcauth_build(&a, &px->routes), 0);
	ck_assert_uint_eq(a.n, 2);		/* own prefixes left out */
	ck_assert(srcauth_allows(&a, pkt_origin_id("z"), x));
	ck_assert(!srcauth_allows(&a, pkt_origin_id("a"), x));
	ck_assert(!srcauth_allows(&a, pkt_origin_id("b"),
	    fake_ip("10.2.0.1")));
	/* the edges of a prefix */
	ck_assert(srcauth_allows(&a, pkt_origin_id("a"), fake_ip("10.1.0.0")));
	ck_assert(srcauth_allows(&a, pkt_origin_id("a"),
	    fake_ip("10.1.0.255")));
	ck_assert(!srcauth_allows(&a, pkt_origin_id("a"), fake_ip("10.1.1.0")));
	srcauth_release(&a);
}
END_TEST

static Suite *
relay_suite(void)
{
	Suite *s = suite_create("relay");
	const struct {
		const char	*name;
		const TTest	*fn;
	} cases[] = {
		{ "source_of_its_origin_delivered",
		    source_of_its_origin_delivered },
		{ "forged_source_dropped_and_counted",
		    forged_source_dropped_and_counted },
		{ "transit_checked_and_origin_kept",
		    transit_checked_and_origin_kept },
		{ "direct_link_peer_is_the_origin",
		    direct_link_peer_is_the_origin },
		{ "withdrawn_prefix_no_longer_a_source",
		    withdrawn_prefix_no_longer_a_source },
		{ "from_tun_not_checked", from_tun_not_checked },
		{ "tcp_syn_mss_clamped_at_both_edges",
		    tcp_syn_mss_clamped_at_both_edges },
		{ "relayed_never_sent_back_where_it_came_from",
		    relayed_never_sent_back_where_it_came_from },
		{ "srcauth_table_rules", srcauth_table_rules },
		{ "waiting_routes_computed_before_a_drop",
		    waiting_routes_computed_before_a_drop },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	{
		const struct {
			const char	*name;
			const TTest	*fn;
		} v6[] = {
			{ "ipv6_source_checked_delivered_and_passed_on",
			    ipv6_source_checked_delivered_and_passed_on },
			{ "ipv6_from_tun_policy_and_malformed",
			    ipv6_from_tun_policy_and_malformed },
			{ "ipv6_too_big_for_the_link_gets_packet_too_big",
			    ipv6_too_big_for_the_link_gets_packet_too_big },
			{ "ipv6_tcp_syn_mss_clamped_at_both_edges",
			    ipv6_tcp_syn_mss_clamped_at_both_edges },
		};

		for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
			TCase *tc = tcase_create(v6[i].name);

			tcase_add_checked_fixture(tc, setup6, teardown);
			tcase_add_test(tc, v6[i].fn);
			suite_add_tcase(s, tc);
		}
	}
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(relay_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
