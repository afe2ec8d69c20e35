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
		{ "srcauth_table_rules", srcauth_table_rules },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
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
