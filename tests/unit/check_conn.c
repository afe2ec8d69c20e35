/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for proxyd/conn.c alone, in the fake world of fake.h:
 * connection requests at the origin, at a middle hop and at the
 * destination, the answer's way back, the first-packet queue, timeouts,
 * idle expiry, eviction, route changes, and the direct (hole-punched)
 * side of a channel: punches, the dial, link up and down, backoff and
 * giving up.  The world is three proxies a - b - c; each test is one of
 * them, talking to fake links to the others.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "fake.h"
#include "log.h"

static struct proxyd	*px;
static uint8_t		 frame[PKT_DATA_HEADROOM + 2048 + PKT_TAG_LEN];

/* Where the proxies are, as their neighbours see them. */
#define A_ADDR		"198.51.100.1"
#define B_ADDR		"198.51.100.2"
#define C_ADDR		"203.0.113.3"
#define A_MAPPED	"198.51.100.7"	/* a's NAT, as b sees it */
#define A_MAPPED_PORT	6000
#define C_MAPPED	"203.0.113.3"	/* c's, as b sees it */
#define C_MAPPED_PORT	5000

static void
make(const char *name)
{
	px = fake_proxyd_new(name);
	ck_assert_int_eq(conn_init(px), 0);
}

static void
teardown(void)
{
	fake_udp_blocked = false;
	if (px != NULL) {
		conn_free(px);
		fake_proxyd_free(px);
	}
	px = NULL;
}

static struct ipaddr
ipa(const char *s)
{
	struct ipaddr a;

	ck_assert_int_eq(ipaddr_parse(s, &a), 0);
	return a;
}

static struct peer_flow
esp_flow(void)
{
	struct peer_flow f;

	memset(&f, 0, sizeof(f));
	f.src = ipa("192.168.1.10");
	f.dst = ipa("192.168.3.20");
	f.cls = IPV4_ESP;
	return f;
}

/* A LAN packet of len bytes, all mark, for dest via nh, of flow f. */
static void
tun_pkt_flow(const char *dest, struct link *nh, uint8_t mark, size_t len,
    const struct peer_flow *f)
{
	memset(frame, 0, sizeof(frame));
	memset(frame + PKT_DATA_HEADROOM, mark, len);
	conn_from_tun(px, dest, nh, frame, len, f);
}

/* The same for the ESP flow 192.168.1.10 -> 192.168.3.20. */
static void
tun_pkt(const char *dest, struct link *nh, uint8_t mark, size_t len)
{
	struct peer_flow f = esp_flow();

	tun_pkt_flow(dest, nh, mark, len, &f);
}

static const struct pkt_conn_req *
last_req(void)
{
	const struct fake_msg *m = fake_sent_last(PKT_MSG_CONN_REQ);

	ck_assert_ptr_nonnull(m);
	return &m->msg.u.conn_req;
}

static const struct pkt_conn_resp *
last_resp(void)
{
	const struct fake_msg *m = fake_sent_last(PKT_MSG_CONN_RESP);

	ck_assert_ptr_nonnull(m);
	return &m->msg.u.conn_resp;
}

/* A request from a to c as it reaches hop n_path (path a, b, ...). */
static struct pkt_conn_req
req_from_a(uint8_t n_path)
{
	static const char *const names[] = { "a", "b", "x", "y" };
	struct pkt_conn_req q;

	memset(&q, 0, sizeof(q));
	q.id = 0x1122334455667788ULL;
	snprintf(q.src, sizeof(q.src), "a");
	snprintf(q.dst, sizeof(q.dst), "c");
	q.src_ip = ipa("192.168.1.10");
	q.dst_ip = ipa("192.168.3.20");
	q.cls = IPV4_ESP;
	q.src_nat = NAT_TYPE_FULL_CONE;
	q.path_nat = NAT_TYPE_RESTRICTED;
	q.n_path = n_path;
	for (int i = 0; i < n_path; i++)
		snprintf(q.path[i], sizeof(q.path[i]), "%s", names[i]);
	q.src_local = fake_sin("10.0.0.1", 4790);
	if (n_path >= 2) {	/* b filled these in */
		q.src_mapped = fake_sin(A_MAPPED, A_MAPPED_PORT);
		q.dst_mapped = fake_sin(C_MAPPED, C_MAPPED_PORT);
	}
	return q;
}

/* c's answer to request id, as it reaches a (path a, b, c). */
static struct pkt_conn_resp
answer_for(uint64_t id, bool direct)
{
	struct pkt_conn_resp r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.decision = PKT_CONN_RELAY;
	r.direct = direct;
	r.path_nat = NAT_TYPE_RESTRICTED;
	r.src_nat = NAT_TYPE_FULL_CONE;
	r.dst_nat = NAT_TYPE_PORT_RESTRICTED;
	snprintf(r.reason, sizeof(r.reason), "relay now; direct %s",
	    direct ? "possible" : "not possible");
	r.n_path = 3;
	snprintf(r.path[0], sizeof(r.path[0]), "a");
	snprintf(r.path[1], sizeof(r.path[1]), "b");
	snprintf(r.path[2], sizeof(r.path[2]), "c");
	r.src_mapped = fake_sin(A_MAPPED, A_MAPPED_PORT);
	r.dst_mapped = fake_sin(C_MAPPED, C_MAPPED_PORT);
	r.dst_local = fake_sin("10.3.0.1", 4790);
	return r;
}

/*
 * Proxy a with an up link to b and a path to c through b (2 hops, cost
 * 20, path NAT restricted); returns the link.
 */
static struct link *
origin(void)
{
	struct link *lb;

	make("a");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	fake_set_path("c", "b", 2, 20, NAT_TYPE_RESTRICTED);
	return lb;
}

/* Origin a with its channel to c answered (direct as given). */
static struct link *
origin_answered(bool direct)
{
	struct link *lb = origin();
	struct pkt_conn_resp r;

	tun_pkt("c", lb, 1, 100);
	r = answer_for(last_req()->id, direct);
	conn_resp_input(lb, &r);
	return lb;
}

/* ---- the request at the origin ---- */

START_TEST(request_carries_own_nat_link_nat_and_path)
{
	struct link *lb = origin();
	const struct pkt_conn_req *q;
	const struct channel *ch;

	fake_set_link_nat(lb, NAT_TYPE_RESTRICTED);
	fake_set_own_nat(lb, NAT_TYPE_FULL_CONE);
	tun_pkt("c", lb, 1, 100);

	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 1);
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_CONN_REQ)->link, lb);
	q = last_req();
	ck_assert_str_eq(q->src, "a");
	ck_assert_str_eq(q->dst, "c");
	ck_assert_int_eq(q->src_nat, NAT_TYPE_FULL_CONE);
	ck_assert_int_eq(q->path_nat, NAT_TYPE_RESTRICTED);
	ck_assert_uint_eq(q->n_path, 1);
	ck_assert_str_eq(q->path[0], "a");
	{
		struct ipaddr s = ipa("192.168.1.10"), d = ipa("192.168.3.20");

		ck_assert(ipaddr_eq(&q->src_ip, &s));
		ck_assert(ipaddr_eq(&q->dst_ip, &d));
	}
	ck_assert_uint_eq(q->cls, IPV4_ESP);
	/* our LAN endpoint; the mapped ones are the path's to fill in */
	ck_assert_uint_eq(q->src_local.a.v4.s_addr, fake_ip("10.0.0.1").s_addr);
	ck_assert_uint_eq(q->src_local.port, CONF_DEFAULT_PORT);
	ck_assert_uint_eq(q->src_mapped.port, 0);
	ck_assert_uint_eq(q->dst_mapped.port, 0);

	ch = conn_channel(px, "c");
	ck_assert_ptr_nonnull(ch);
	ck_assert_uint_eq(q->id, ch->id);
	ck_assert_int_eq(ch->state, CH_REQUESTING);
	ck_assert(ch->origin);
	ck_assert_uint_eq(px->st.conn_requests, 1);
	ck_assert_uint_eq(px->st.queued, 1);
	ck_assert_uint_eq(fake_data_count(), 0);
}
END_TEST

START_TEST(request_without_measurements_says_unknown)
{
	struct link *lb = origin();

	tun_pkt("c", lb, 1, 100);
	ck_assert_int_eq(last_req()->src_nat, NAT_TYPE_UNKNOWN);
	ck_assert_int_eq(last_req()->path_nat, NAT_TYPE_UNKNOWN);
}
END_TEST

START_TEST(packets_while_requesting_wait_without_second_request)
{
	struct link *lb = origin();

	tun_pkt("c", lb, 1, 100);
	tun_pkt("c", lb, 2, 100);
	tun_pkt("c", lb, 3, 100);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_CONN_REQ), 1);
	ck_assert_uint_eq(px->st.conn_requests, 1);
	ck_assert_uint_eq(px->st.queued, 3);
	ck_assert_int_eq(conn_channel(px, "c")->q_len, 3);
	ck_assert_uint_eq(fake_data_count(), 0);
}
END_TEST

/* ---- a middle hop ---- */

START_TEST(first_hop_folds_nat_appends_itself_and_fills_src_mapped)
{
	struct link *la, *lc;
	struct pkt_conn_req q = req_from_a(1);
	const struct pkt_conn_req *f;

	make("b");
	la = fake_link_add(px, "a", LINK_UP, A_MAPPED, A_MAPPED_PORT);
	lc = fake_link_add(px, "c", LINK_UP, C_MAPPED, C_MAPPED_PORT);
	fake_set_path("c", "c", 1, 10, NAT_TYPE_SYMMETRIC);
	fake_set_link_nat(lc, NAT_TYPE_SYMMETRIC);
	conn_req_input(la, &q);

	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 1);
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_CONN_REQ)->link, lc);
	f = last_req();
	ck_assert_uint_eq(f->id, q.id);
	ck_assert_int_eq(f->path_nat, NAT_TYPE_SYMMETRIC);
	ck_assert_int_eq(f->src_nat, NAT_TYPE_FULL_CONE);
	ck_assert_uint_eq(f->n_path, 2);
	ck_assert_str_eq(f->path[0], "a");
	ck_assert_str_eq(f->path[1], "b");
	/* first hop: where it sees a; last hop: where it sees c */
	ck_assert_uint_eq(f->src_mapped.a.v4.s_addr, fake_ip(A_MAPPED).s_addr);
	ck_assert_uint_eq(f->src_mapped.port, A_MAPPED_PORT);
	ck_assert_uint_eq(f->dst_mapped.a.v4.s_addr, fake_ip(C_MAPPED).s_addr);
	ck_assert_uint_eq(f->dst_mapped.port, C_MAPPED_PORT);
	ck_assert_uint_eq(px->st.drop_malformed + px->st.drop_noroute, 0);
}
END_TEST

START_TEST(fold_keeps_the_more_restrictive_type)
{
	struct link *la, *lc;
	struct pkt_conn_req q = req_from_a(1);

	make("b");
	la = fake_link_add(px, "a", LINK_UP, A_MAPPED, A_MAPPED_PORT);
	lc = fake_link_add(px, "c", LINK_UP, C_MAPPED, C_MAPPED_PORT);
	fake_set_path("c", "c", 1, 10, NAT_TYPE_OPEN);
	fake_set_link_nat(lc, NAT_TYPE_OPEN);
	q.path_nat = NAT_TYPE_PORT_RESTRICTED;
	conn_req_input(la, &q);
	ck_assert_int_eq(last_req()->path_nat, NAT_TYPE_PORT_RESTRICTED);
}
END_TEST

START_TEST(later_hop_not_last_fills_no_mapped_address)
{
	struct link *lb;
	struct pkt_conn_req q = req_from_a(2);

	/* x between b and c: not the first hop, and its next hop is not c */
	make("x");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	fake_link_add(px, "y", LINK_UP, "203.0.113.9", 4790);
	fake_set_path("c", "y", 2, 20, NAT_TYPE_OPEN);
	q.src_mapped = fake_sin("192.0.2.77", 7777);
	memset(&q.dst_mapped, 0, sizeof(q.dst_mapped));
	conn_req_input(lb, &q);

	ck_assert_str_eq(fake_sent_last(PKT_MSG_CONN_REQ)->link_name, "y");
	ck_assert_uint_eq(last_req()->src_mapped.a.v4.s_addr,
	    fake_ip("192.0.2.77").s_addr);
	ck_assert_uint_eq(last_req()->src_mapped.port, 7777);
	ck_assert_uint_eq(last_req()->dst_mapped.port, 0);
	ck_assert_uint_eq(last_req()->n_path, 3);
	ck_assert_str_eq(last_req()->path[2], "x");
}
END_TEST

START_TEST(request_that_crossed_us_is_a_loop)
{
	struct link *la;
	struct pkt_conn_req q = req_from_a(2);	/* a, b */

	make("b");
	la = fake_link_add(px, "a", LINK_UP, A_MAPPED, A_MAPPED_PORT);
	fake_link_add(px, "c", LINK_UP, C_MAPPED, C_MAPPED_PORT);
	fake_set_path("c", "c", 1, 10, NAT_TYPE_OPEN);
	conn_req_input(la, &q);
	ck_assert_uint_eq(px->st.drop_malformed, 1);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
}
END_TEST

START_TEST(request_without_route_is_dropped)
{
	struct link *la;
	struct pkt_conn_req q = req_from_a(1);

	make("b");
	la = fake_link_add(px, "a", LINK_UP, A_MAPPED, A_MAPPED_PORT);
	conn_req_input(la, &q);
	ck_assert_uint_eq(px->st.drop_noroute, 1);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
}
END_TEST

START_TEST(request_with_full_path_is_dropped)
{
	struct link *la;
	struct pkt_conn_req q = req_from_a(1);

	make("b");
	/* the last proxy on the path is the neighbour it came from */
	la = fake_link_add(px, "p15", LINK_UP, A_MAPPED, A_MAPPED_PORT);
	fake_link_add(px, "c", LINK_UP, C_MAPPED, C_MAPPED_PORT);
	fake_set_path("c", "c", 1, 10, NAT_TYPE_OPEN);
	q.n_path = PKT_PATH_MAX;
	for (int i = 1; i < PKT_PATH_MAX; i++)
		snprintf(q.path[i], sizeof(q.path[i]), "p%d", i);
	conn_req_input(la, &q);
	ck_assert_uint_eq(px->st.drop_noroute, 1);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
}
END_TEST

/* ---- the destination ---- */

START_TEST(destination_answers_direct_possible)
{
	struct link *lb;
	struct pkt_conn_req q = req_from_a(2);
	const struct pkt_conn_resp *r;
	const struct channel *ch;

	make("c");
	fake_listen(px, PSOCK_PRIMARY, "10.3.0.1", 4790);
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	fake_set_own_nat(lb, NAT_TYPE_PORT_RESTRICTED);
	conn_req_input(lb, &q);

	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 1);
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_CONN_RESP)->link, lb);
	r = last_resp();
	ck_assert_uint_eq(r->id, q.id);
	ck_assert_uint_eq(r->direct, 1);
	ck_assert_int_eq(r->src_nat, NAT_TYPE_FULL_CONE);
	ck_assert_int_eq(r->dst_nat, NAT_TYPE_PORT_RESTRICTED);
	ck_assert_int_eq(r->path_nat, NAT_TYPE_RESTRICTED);
	ck_assert_uint_eq(r->n_path, 3);
	ck_assert_str_eq(r->path[2], "c");
	ck_assert_ptr_nonnull(strstr(r->reason, "direct possible"));
	ck_assert_uint_eq(r->src_mapped.port, A_MAPPED_PORT);
	ck_assert_uint_eq(r->dst_mapped.port, C_MAPPED_PORT);
	ck_assert_uint_eq(r->dst_local.a.v4.s_addr, fake_ip("10.3.0.1").s_addr);
	ck_assert_uint_eq(r->dst_local.port, 4790);

	/* c keeps a channel back to a and starts punching toward a's NAT */
	ch = conn_channel(px, "a");
	ck_assert_ptr_nonnull(ch);
	ck_assert(!ch->origin);
	ck_assert_int_eq(ch->state, CH_RELAY);
	ck_assert_uint_eq(ch->id, q.id);
	ck_assert(ch->direct_possible);
	ck_assert_int_eq(ch->direct, DIRECT_PUNCHING);
	ck_assert_uint_eq(ch->peer_ep.a.v4.s_addr,
	    fake_ip(A_MAPPED).s_addr);
	ck_assert_uint_eq(ch->peer_ep.port, A_MAPPED_PORT);
}
END_TEST

/*
 * An IPv6 packet's request names its inner addresses (not 0.0.0.0), and
 * the origin's channel keeps them.
 */
START_TEST(request_names_ipv6_inner_addresses)
{
	struct link *lb = origin();
	struct peer_flow f;
	struct ipaddr s = ipa("fd00:a::10"), d = ipa("fd00:b::10");
	const struct pkt_conn_req *q;

	memset(&f, 0, sizeof(f));
	f.src = s;
	f.dst = d;
	f.cls = IPV4_IKE;
	tun_pkt_flow("c", lb, 1, 100, &f);
	q = last_req();
	ck_assert_int_eq(q->src_ip.af, AF_INET6);
	ck_assert(ipaddr_eq(&q->src_ip, &s));
	ck_assert(ipaddr_eq(&q->dst_ip, &d));
	ck_assert_uint_eq(q->cls, IPV4_IKE);
	ck_assert(ipaddr_eq(&conn_channel(px, "c")->flow_src, &s));
	ck_assert(ipaddr_eq(&conn_channel(px, "c")->flow_dst, &d));
}
END_TEST

/* The destination's channel keeps the addresses the request named. */
START_TEST(destination_keeps_the_requests_inner_addresses)
{
	struct link *lb;
	struct pkt_conn_req q = req_from_a(2);
	struct ipaddr s = ipa("fd00:a::10"), d = ipa("fd00:b::10");
	const struct channel *ch;

	q.src_ip = s;
	q.dst_ip = d;
	make("c");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	fake_set_own_nat(lb, NAT_TYPE_PORT_RESTRICTED);
	conn_req_input(lb, &q);
	ch = conn_channel(px, "a");
	ck_assert_ptr_nonnull(ch);
	ck_assert(ipaddr_eq(&ch->flow_src, &s));
	ck_assert(ipaddr_eq(&ch->flow_dst, &d));
}
END_TEST

/* Own NAT of c toward b, the request's src_nat, whether direct. */
static const struct {
	enum nat_type	dst, src;
	bool		direct;
} feasible[] = {
	{ NAT_TYPE_SYMMETRIC, NAT_TYPE_SYMMETRIC, false },
	{ NAT_TYPE_SYMMETRIC, NAT_TYPE_PORT_RESTRICTED, false },
	{ NAT_TYPE_SYMMETRIC, NAT_TYPE_RESTRICTED, true },
	{ NAT_TYPE_UNKNOWN, NAT_TYPE_OPEN, false },
	{ NAT_TYPE_OPEN, NAT_TYPE_SYMMETRIC, true },
	{ NAT_TYPE_PORT_RESTRICTED, NAT_TYPE_PORT_RESTRICTED, true },
};

START_TEST(destination_decides_as_lib_nat)
{
	struct link *lb;
	struct pkt_conn_req q = req_from_a(2);
	const struct channel *ch;

	make("c");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	fake_set_own_nat(lb, feasible[_i].dst);
	q.src_nat = feasible[_i].src;
	conn_req_input(lb, &q);
	ck_assert_uint_eq(last_resp()->direct, feasible[_i].direct);
	ck_assert_int_eq(last_resp()->dst_nat, feasible[_i].dst);
	ck_assert_ptr_nonnull(strstr(last_resp()->reason, feasible[_i].direct ?
	    "direct possible" : "direct not possible"));
	ch = conn_channel(px, "a");
	ck_assert_int_eq(ch->direct, feasible[_i].direct ? DIRECT_PUNCHING :
	    DIRECT_NONE);
}
END_TEST

START_TEST(destination_refuses_direct_without_both_mapped_addresses)
{
	struct link *lb;
	struct pkt_conn_req q = req_from_a(2);

	make("c");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	fake_set_own_nat(lb, NAT_TYPE_OPEN);
	memset(&q.dst_mapped, 0, sizeof(q.dst_mapped));
	conn_req_input(lb, &q);
	ck_assert_uint_eq(last_resp()->direct, 0);
	ck_assert_ptr_nonnull(strstr(last_resp()->reason,
	    "did not learn both mapped"));
	ck_assert_int_eq(conn_channel(px, "a")->direct, DIRECT_NONE);
}
END_TEST

/* ---- the answer's way back ---- */

START_TEST(answer_at_middle_hop_goes_to_previous_proxy)
{
	struct link *la, *lc;
	struct pkt_conn_resp r = answer_for(0xabcdef, true);
	const struct fake_msg *m;

	make("b");
	la = fake_link_add(px, "a", LINK_UP, A_MAPPED, A_MAPPED_PORT);
	lc = fake_link_add(px, "c", LINK_UP, C_MAPPED, C_MAPPED_PORT);
	conn_resp_input(lc, &r);
	m = fake_sent_last(PKT_MSG_CONN_RESP);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_eq(m->link, la);
	ck_assert_uint_eq(m->msg.u.conn_resp.id, 0xabcdef);
	ck_assert_uint_eq(m->msg.u.conn_resp.n_path, 3);
	ck_assert_uint_eq(m->msg.u.conn_resp.direct, 1);
	ck_assert_ptr_null(conn_channel(px, "c"));
}
END_TEST

START_TEST(answer_at_later_hop_goes_to_the_proxy_before_it)
{
	struct link *lb, *lc;
	struct pkt_conn_resp r = answer_for(0xabcdef, false);

	/* path a, b, x, c: x sends it to b, not to the origin */
	r.n_path = 4;
	snprintf(r.path[2], sizeof(r.path[2]), "x");
	snprintf(r.path[3], sizeof(r.path[3]), "c");
	make("x");
	fake_link_add(px, "a", LINK_UP, A_MAPPED, A_MAPPED_PORT);
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	lc = fake_link_add(px, "c", LINK_UP, C_MAPPED, C_MAPPED_PORT);
	conn_resp_input(lc, &r);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 1);
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_CONN_RESP)->link, lb);
}
END_TEST

START_TEST(answer_at_middle_hop_without_link_back_is_dropped)
{
	struct link *lc;
	struct pkt_conn_resp r = answer_for(0xabcdef, true);

	make("b");
	fake_link_add(px, "a", LINK_HANDSHAKE, A_MAPPED, A_MAPPED_PORT);
	lc = fake_link_add(px, "c", LINK_UP, C_MAPPED, C_MAPPED_PORT);
	conn_resp_input(lc, &r);
	ck_assert_uint_eq(px->st.drop_noroute, 1);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
}
END_TEST

START_TEST(answer_not_naming_us_before_its_end_is_malformed)
{
	struct link *lc;
	struct pkt_conn_resp r = answer_for(0xabcdef, true);

	make("c");	/* last on the path: an answer never goes there */
	lc = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	conn_resp_input(lc, &r);
	ck_assert_uint_eq(px->st.drop_malformed, 1);
	teardown();
	make("z");	/* not on the path at all */
	lc = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	conn_resp_input(lc, &r);
	ck_assert_uint_eq(px->st.drop_malformed, 1);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
}
END_TEST

/* ---- the first-packet queue ---- */

START_TEST(answer_flushes_queue_in_order_then_packets_go_straight)
{
	struct link *lb = origin();
	struct pkt_conn_resp r;
	const struct channel *ch;

	tun_pkt("c", lb, 1, 100);
	tun_pkt("c", lb, 2, 60);
	tun_pkt("c", lb, 3, 80);
	ck_assert_uint_eq(fake_data_count(), 0);
	fake_advance_ms(40);
	r = answer_for(last_req()->id, false);
	conn_resp_input(lb, &r);

	ck_assert_uint_eq(fake_data_count(), 3);
	for (size_t i = 0; i < 3; i++) {
		const struct fake_data *d = fake_data_nth(i);

		ck_assert_ptr_eq(d->link, lb);
		ck_assert_uint_eq(d->ip[0], i + 1);
		ck_assert_uint_eq(d->ttl, PKT_TTL_DEFAULT);
	}
	ck_assert_uint_eq(fake_data_nth(1)->len, 60);
	ch = conn_channel(px, "c");
	ck_assert_int_eq(ch->state, CH_RELAY);
	ck_assert(ch->answered);
	ck_assert_uint_eq(ch->hops, 2);
	ck_assert_int_eq(ch->q_len, 0);
	ck_assert_str_eq(ch->topo_next, "b");
	ck_assert_uint_eq(ch->topo_hops, 2);

	tun_pkt("c", lb, 4, 100);
	ck_assert_uint_eq(fake_data_count(), 4);
	ck_assert_uint_eq(fake_data_last()->ip[0], 4);
	ck_assert_uint_eq(px->st.queued, 3);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_CONN_REQ), 1);
}
END_TEST

START_TEST(answer_to_unknown_request_changes_nothing)
{
	struct link *lb = origin();
	struct pkt_conn_resp r;

	tun_pkt("c", lb, 1, 100);
	r = answer_for(last_req()->id + 1, false);
	conn_resp_input(lb, &r);
	ck_assert_int_eq(conn_channel(px, "c")->state, CH_REQUESTING);
	ck_assert_uint_eq(fake_data_count(), 0);
}
END_TEST

START_TEST(queue_per_channel_limit_counts_drops)
{
	struct link *lb = origin();
	struct pkt_conn_resp r;

	for (int i = 0; i < CONN_QUEUE_PER_CH + 3; i++)
		tun_pkt("c", lb, (uint8_t)i, 100);
	ck_assert_uint_eq(px->st.queued, CONN_QUEUE_PER_CH);
	ck_assert_uint_eq(px->st.drop_queue, 3);
	r = answer_for(last_req()->id, false);
	conn_resp_input(lb, &r);
	ck_assert_uint_eq(fake_data_count(), CONN_QUEUE_PER_CH);
	ck_assert_uint_eq(fake_data_last()->ip[0], CONN_QUEUE_PER_CH - 1);
}
END_TEST

START_TEST(queue_global_limit_counts_drops)
{
	struct link *lb = origin();
	int n_dest = CONN_QUEUE_SLOTS / CONN_QUEUE_PER_CH + 1;
	char dest[16];

	for (int d = 0; d < n_dest; d++) {
		snprintf(dest, sizeof(dest), "d%d", d);
		for (int i = 0; i < CONN_QUEUE_PER_CH; i++)
			tun_pkt(dest, lb, (uint8_t)i, 100);
	}
	ck_assert_uint_eq(px->st.queued, CONN_QUEUE_SLOTS);
	ck_assert_uint_eq(px->st.drop_queue,
	    (uint64_t)n_dest * CONN_QUEUE_PER_CH - CONN_QUEUE_SLOTS);
}
END_TEST

START_TEST(queue_refuses_packet_larger_than_a_slot)
{
	struct link *lb = origin();	/* no TUN: slots of 1500 bytes */

	tun_pkt("c", lb, 1, 1500);
	tun_pkt("c", lb, 2, 1501);
	ck_assert_uint_eq(px->st.queued, 1);
	ck_assert_uint_eq(px->st.drop_queue, 1);
}
END_TEST

START_TEST(forgotten_channel_frees_its_queue_slots)
{
	struct link *lb = origin();

	/* fill every slot, lose the channels, fill again */
	for (int d = 0; d < CONN_QUEUE_SLOTS / CONN_QUEUE_PER_CH; d++) {
		char dest[16];

		snprintf(dest, sizeof(dest), "d%d", d);
		for (int i = 0; i < CONN_QUEUE_PER_CH; i++)
			tun_pkt(dest, lb, 1, 100);
	}
	ck_assert_uint_eq(px->st.queued, CONN_QUEUE_SLOTS);
	conn_routes_changed(px);	/* no path to any dN: all forgotten */
	ck_assert_ptr_null(conn_channel(px, "d0"));
	for (int i = 0; i < CONN_QUEUE_PER_CH; i++)
		tun_pkt("c", lb, 1, 100);
	ck_assert_uint_eq(px->st.queued, CONN_QUEUE_SLOTS + CONN_QUEUE_PER_CH);
	ck_assert_uint_eq(px->st.drop_queue, 0);
	ck_assert_uint_eq(fake_data_count(), 0);	/* dropped, not sent */
}
END_TEST

/* ---- timers ---- */

START_TEST(no_answer_relays_after_timeout)
{
	struct link *lb = origin();
	const struct channel *ch;

	tun_pkt("c", lb, 1, 100);
	tun_pkt("c", lb, 2, 100);
	fake_advance_ms(CONN_TIMEOUT_MS);
	conn_tick(px);
	ch = conn_channel(px, "c");
	ck_assert_int_eq(ch->state, CH_REQUESTING);
	ck_assert_uint_eq(fake_data_count(), 0);

	fake_advance_ms(1);
	conn_tick(px);
	ck_assert_int_eq(ch->state, CH_RELAY);
	ck_assert(!ch->answered);
	ck_assert_ptr_nonnull(strstr(ch->reason, "no answer"));
	ck_assert_uint_eq(fake_data_count(), 2);
	ck_assert_uint_eq(fake_data_nth(0)->ip[0], 1);
	ck_assert_uint_eq(fake_data_nth(1)->ip[0], 2);
	ck_assert_ptr_eq(fake_data_nth(0)->link, lb);
}
END_TEST

START_TEST(timeout_without_route_counts_queued_as_noroute)
{
	struct link *lb = origin();

	tun_pkt("c", lb, 1, 100);
	tun_pkt("c", lb, 2, 100);
	fake_clear_path("c");
	fake_advance_ms(CONN_TIMEOUT_MS + 1);
	conn_tick(px);
	ck_assert_uint_eq(fake_data_count(), 0);
	ck_assert_uint_eq(px->st.drop_noroute, 2);
}
END_TEST

START_TEST(idle_channel_is_forgotten_after_idle_time)
{
	origin_answered(false);
	fake_advance_s(CONN_IDLE_S);
	conn_tick(px);
	ck_assert_ptr_nonnull(conn_channel(px, "c"));
	fake_advance_s(1);
	conn_tick(px);
	ck_assert_ptr_null(conn_channel(px, "c"));
}
END_TEST

START_TEST(used_channel_is_kept)
{
	struct link *lb = origin_answered(false);

	fake_advance_s(CONN_IDLE_S - 10);
	tun_pkt("c", lb, 9, 100);
	fake_advance_s(20);
	conn_tick(px);
	ck_assert_ptr_nonnull(conn_channel(px, "c"));
}
END_TEST

START_TEST(full_table_evicts_least_recently_used)
{
	struct link *lb = origin();
	char dest[16];

	for (int i = 0; i < CONN_CHANNELS_MAX; i++) {
		snprintf(dest, sizeof(dest), "d%03d", i);
		tun_pkt(dest, lb, 1, 40);
		fake_advance_us(1);
	}
	tun_pkt("d000", lb, 2, 40);	/* d001 is now the oldest */
	fake_advance_us(1);
	ck_assert_ptr_nonnull(conn_channel(px, "d001"));
	tun_pkt("new", lb, 3, 40);
	ck_assert_ptr_nonnull(conn_channel(px, "new"));
	ck_assert_ptr_null(conn_channel(px, "d001"));
	ck_assert_ptr_nonnull(conn_channel(px, "d000"));
	ck_assert_ptr_nonnull(conn_channel(px, "d002"));
	ck_assert_ptr_nonnull(conn_channel(px, "d255"));
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_CONN_REQ),
	    CONN_CHANNELS_MAX + 1);
}
END_TEST

/*
 * The lookups stop at the highest slot in use (and try the last channel
 * found first): a channel in a high slot is still found, kept alive and
 * expired after every channel below it went, and a freed low slot is
 * reused without hiding it.
 */
START_TEST(channel_above_forgotten_ones_is_still_found)
{
	struct link *lb = origin();
	char dest[16];

	for (int i = 0; i < 10; i++) {
		snprintf(dest, sizeof(dest), "d%03d", i);
		tun_pkt(dest, lb, 1, 40);
	}
	fake_advance_s(2);
	conn_tick(px);			/* no answers: relaying */
	fake_advance_s(CONN_IDLE_S - 12);
	tun_pkt("d009", lb, 2, 40);
	fake_advance_s(20);
	conn_tick(px);			/* d000..d008 go */
	ck_assert_ptr_null(conn_channel(px, "d000"));
	ck_assert_ptr_null(conn_channel(px, "d008"));
	ck_assert_ptr_nonnull(conn_channel(px, "d009"));
	tun_pkt("new", lb, 3, 40);	/* takes the lowest free slot */
	ck_assert_ptr_nonnull(conn_channel(px, "new"));
	ck_assert_ptr_nonnull(conn_channel(px, "d009"));
	tun_pkt("d009", lb, 4, 40);	/* no second request: found */
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_CONN_REQ), 11);
	fake_advance_s(2);
	conn_tick(px);
	fake_advance_s(CONN_IDLE_S + 1);
	conn_tick(px);			/* the tick reaches the high slot */
	ck_assert_ptr_null(conn_channel(px, "d009"));
	ck_assert_ptr_null(conn_channel(px, "new"));
}
END_TEST

/* ---- route changes ---- */

START_TEST(new_cost_alone_keeps_the_channel)
{
	origin_answered(false);
	fake_set_path("c", "b", 2, 500, NAT_TYPE_RESTRICTED);
	conn_routes_changed(px);
	ck_assert_ptr_nonnull(conn_channel(px, "c"));
}
END_TEST

START_TEST(other_next_hop_drops_the_channel)
{
	origin_answered(false);
	fake_set_path("c", "d", 2, 20, NAT_TYPE_RESTRICTED);
	conn_routes_changed(px);
	ck_assert_ptr_null(conn_channel(px, "c"));
}
END_TEST

START_TEST(other_hop_count_drops_the_channel)
{
	origin_answered(false);
	fake_set_path("c", "b", 3, 20, NAT_TYPE_RESTRICTED);
	conn_routes_changed(px);
	ck_assert_ptr_null(conn_channel(px, "c"));
}
END_TEST

START_TEST(lost_route_drops_the_channel)
{
	origin_answered(false);
	fake_clear_path("c");
	conn_routes_changed(px);
	ck_assert_ptr_null(conn_channel(px, "c"));
}
END_TEST

START_TEST(path_nat_new_to_the_answer_drops_the_channel)
{
	struct link *lb = origin();
	struct pkt_conn_resp r;

	/* the topology said open; the answer found restricted */
	fake_set_path("c", "b", 2, 20, NAT_TYPE_OPEN);
	tun_pkt("c", lb, 1, 100);
	r = answer_for(last_req()->id, false);
	conn_resp_input(lb, &r);
	ck_assert_int_eq(conn_channel(px, "c")->topo_nat, NAT_TYPE_OPEN);
	ck_assert_int_eq(conn_channel(px, "c")->path_nat, NAT_TYPE_RESTRICTED);
	/* unchanged type, other cost: kept */
	fake_set_path("c", "b", 2, 30, NAT_TYPE_OPEN);
	conn_routes_changed(px);
	ck_assert_ptr_nonnull(conn_channel(px, "c"));
	/* the topology catching up with what the answer found: kept */
	fake_set_path("c", "b", 2, 30, NAT_TYPE_RESTRICTED);
	conn_routes_changed(px);
	ck_assert_ptr_nonnull(conn_channel(px, "c"));
	/* a type neither the topology nor the answer had: asked again */
	fake_set_path("c", "b", 2, 30, NAT_TYPE_SYMMETRIC);
	conn_routes_changed(px);
	ck_assert_ptr_null(conn_channel(px, "c"));
}
END_TEST

START_TEST(punching_channel_survives_route_change)
{
	origin_answered(true);
	ck_assert_int_eq(conn_channel(px, "c")->direct, DIRECT_PUNCHING);
	fake_clear_path("c");
	conn_routes_changed(px);
	ck_assert_ptr_nonnull(conn_channel(px, "c"));
}
END_TEST

/* ---- the direct side ---- */

START_TEST(answer_with_direct_starts_punching_at_mapped_address)
{
	const struct channel *ch;

	origin_answered(true);
	ch = conn_channel(px, "c");
	ck_assert_int_eq(ch->direct, DIRECT_PUNCHING);
	ck_assert(!ch->peer_ep_local);
	ck_assert_uint_eq(ch->peer_ep.a.v4.s_addr,
	    fake_ip(C_MAPPED).s_addr);
	ck_assert_uint_eq(ch->peer_ep.port, C_MAPPED_PORT);
	ck_assert_uint_eq(ch->direct_tries, 1);
	ck_assert_uint_eq(fake_dgram_count(), 0);	/* from the tick */
}
END_TEST

/* A destination whose UDP is blocked (links over TCP) says no direct. */
START_TEST(destination_with_udp_blocked_refuses_direct)
{
	struct link *lb;
	struct pkt_conn_req q = req_from_a(2);
	const struct channel *ch;

	make("c");
	fake_listen(px, PSOCK_PRIMARY, "10.3.0.1", 4790);
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	fake_set_own_nat(lb, NAT_TYPE_PORT_RESTRICTED);
	fake_udp_blocked = true;
	conn_req_input(lb, &q);
	ck_assert_uint_eq(last_resp()->direct, 0);
	ck_assert_ptr_nonnull(strstr(last_resp()->reason,
	    "UDP is blocked at 'c'"));
	ch = conn_channel(px, "a");
	ck_assert_int_eq(ch->direct, DIRECT_NONE);
	ck_assert_uint_eq(ch->punch_tx, 0);
}
END_TEST

/* An origin whose UDP is blocked does not punch even when told it may. */
START_TEST(origin_with_udp_blocked_sends_no_punches)
{
	const struct channel *ch;

	fake_udp_blocked = true;
	origin_answered(true);
	ch = conn_channel(px, "c");
	ck_assert_int_eq(ch->direct, DIRECT_NONE);
	ck_assert_uint_eq(ch->direct_tries, 0);
	ck_assert_ptr_nonnull(strstr(ch->direct_why, "UDP is blocked here"));
	conn_tick(px);
	ck_assert_uint_eq(fake_dgram_count(), 0);
}
END_TEST

START_TEST(same_public_address_punches_to_lan_address)
{
	struct link *lb = origin();
	struct pkt_conn_resp r;
	const struct channel *ch;

	tun_pkt("c", lb, 1, 100);
	r = answer_for(last_req()->id, true);
	r.dst_mapped.a.v4 = r.src_mapped.a.v4;	/* one NAT for both */
	conn_resp_input(lb, &r);
	ch = conn_channel(px, "c");
	ck_assert(ch->peer_ep_local);
	ck_assert_uint_eq(ch->peer_ep.a.v4.s_addr,
	    fake_ip("10.3.0.1").s_addr);
	ck_assert_uint_eq(ch->peer_ep.port, 4790);
}
END_TEST

START_TEST(punches_go_every_punch_interval)
{
	const struct channel *ch;
	const struct fake_dgram *g;
	struct pkt_hdr h;
	const char *why = NULL;

	origin_answered(true);
	ch = conn_channel(px, "c");
	conn_tick(px);
	ck_assert_uint_eq(fake_dgram_count(), 1);
	g = fake_dgram_last();
	ck_assert_int_eq(g->kind, PSOCK_PRIMARY);
	ck_assert_uint_eq(g->to.a.v4.s_addr, fake_ip(C_MAPPED).s_addr);
	ck_assert_uint_eq(g->to.port, C_MAPPED_PORT);
	ck_assert_int_eq(pkt_hdr_decode(g->buf, g->len, &h, &why), 0);
	ck_assert_uint_eq(h.type, PKT_PUNCH);
	ck_assert_uint_eq(h.seq, ch->id);

	fake_advance_ms(DIRECT_PUNCH_MS - 1);
	conn_tick(px);
	ck_assert_uint_eq(fake_dgram_count(), 1);
	fake_advance_ms(1);
	conn_tick(px);
	ck_assert_uint_eq(fake_dgram_count(), 2);
	ck_assert_uint_eq(ch->punch_tx, 2);
}
END_TEST

START_TEST(punches_stop_at_the_give_up_budget)
{
	origin_answered(true);
	for (int t = 0; t <= DIRECT_GIVEUP_S * 1000; t += 50) {
		conn_tick(px);
		fake_advance_ms(50);
	}
	ck_assert_uint_le(fake_dgram_count(),
	    DIRECT_GIVEUP_S * 1000 / DIRECT_PUNCH_MS);
	ck_assert_uint_ge(fake_dgram_count(),
	    DIRECT_GIVEUP_S * 1000 / DIRECT_PUNCH_MS - 1);
}
END_TEST

START_TEST(smaller_name_dials_after_dial_delay)
{
	struct link *l;

	origin_answered(true);	/* a < c: a dials */
	conn_tick(px);
	fake_advance_ms(DIRECT_DIAL_MS - 1);
	conn_tick(px);
	ck_assert_uint_eq(fake.n_dial_once, 0);
	fake_advance_ms(1);
	conn_tick(px);
	ck_assert_uint_ge(fake.n_dial_once, 1);
	ck_assert_str_eq(fake.dial_name, "c");
	ck_assert_uint_eq(fake.dial_ep.a.v4.s_addr,
	    fake_ip(C_MAPPED).s_addr);
	ck_assert_uint_eq(fake.dial_ep.port, C_MAPPED_PORT);
	l = fake_link_named(px, "c");
	ck_assert_ptr_nonnull(l);
	ck_assert(l->ephemeral);
}
END_TEST

START_TEST(larger_name_never_dials)
{
	struct link *lb;
	struct pkt_conn_req q = req_from_a(2);

	make("c");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	fake_set_own_nat(lb, NAT_TYPE_OPEN);
	conn_req_input(lb, &q);
	ck_assert_int_eq(conn_channel(px, "a")->direct, DIRECT_PUNCHING);
	for (int t = 0; t < 2000; t += 100) {
		conn_tick(px);
		fake_advance_ms(100);
	}
	ck_assert_uint_eq(fake.n_dial_once, 0);
	ck_assert_uint_gt(fake_dgram_count(), 0);	/* it punches */
}
END_TEST

/* A channel to c whose dialled link just came up; returns the link. */
static struct link *
direct_up(void)
{
	struct link *l;

	origin_answered(true);
	fake_advance_ms(DIRECT_DIAL_MS);
	conn_tick(px);
	l = fake_link_named(px, "c");
	ck_assert_ptr_nonnull(l);
	l->state = LINK_UP;
	ck_assert(conn_link_up(l));
	return l;
}

START_TEST(direct_link_up_makes_channel_direct_and_watched)
{
	struct link *l = direct_up();
	const struct channel *ch = conn_channel(px, "c");

	ck_assert_int_eq(ch->direct, DIRECT_UP);
	ck_assert_uint_eq(fake.n_keepalive, 1);
	ck_assert_ptr_eq(fake.ka_link, l);
	ck_assert_int_eq(fake.ka_interval_s, DIRECT_KA_S);
	ck_assert_int_eq(fake.ka_dead_s, DIRECT_DEAD_S);
	ck_assert_int_eq(link_dead_after(l), DIRECT_DEAD_S);
	ck_assert(conn_link_is_direct(l));
	ck_assert(!conn_link_is_direct(fake_link_named(px, "b")));
	ck_assert_ptr_nonnull(strstr(ch->direct_why, "direct link up"));
}
END_TEST

START_TEST(direct_channel_is_never_idle_expired)
{
	direct_up();
	fake_advance_s(CONN_IDLE_S + 5);
	conn_tick(px);
	ck_assert_ptr_nonnull(conn_channel(px, "c"));
}
END_TEST

START_TEST(other_links_coming_up_are_not_direct)
{
	struct link *lb = origin_answered(false), *ld;

	/* no channel to d; c's channel is not punching, b not ephemeral */
	ld = fake_link_add(px, "d", LINK_UP, "192.0.2.4", 4790);
	ck_assert(!conn_link_up(ld));
	ck_assert(!conn_link_up(lb));
	ld = fake_link_add(px, "c", LINK_UP, C_ADDR, 4790);
	ck_assert(!conn_link_up(ld));
	ck_assert(!conn_link_is_direct(ld));
	ck_assert_uint_eq(fake.n_keepalive, 0);
}
END_TEST

static void
ev_down(struct link *l, const char *why)
{
	conn_link_down(l, why);
}

static const struct link_events down_only = { .down = ev_down };

START_TEST(direct_link_down_falls_back_to_relay_with_backoff)
{
	struct link *l = direct_up();
	const struct channel *ch = conn_channel(px, "c");

	px->link_ev = &down_only;
	link_close(l, "dead: nothing heard for 3 s");	/* frees l */
	ck_assert_uint_eq(fake.n_down, 1);
	ck_assert_int_eq(ch->direct, DIRECT_FAILED);
	ck_assert_int_eq(ch->state, CH_RELAY);
	ck_assert_uint_eq(ch->direct_fails, 1);
	ck_assert_uint_eq(ch->direct_next_us - fake_now_us,
	    (uint64_t)DIRECT_BACKOFF_MIN_S * 1000000);
	ck_assert_ptr_nonnull(strstr(ch->direct_why, "direct link lost"));
	ck_assert_ptr_nonnull(strstr(ch->direct_why, "next attempt in 5 s"));
	/* traffic goes by relay again */
	tun_pkt("c", fake_link_named(px, "b"), 7, 100);
	ck_assert_str_eq(fake_data_last()->link_name, "b");
}
END_TEST

START_TEST(origin_asks_again_after_backoff)
{
	struct link *l = direct_up();
	struct link *lb = fake_link_named(px, "b");

	px->link_ev = &down_only;
	link_close(l, "dead");
	fake_advance_s(DIRECT_BACKOFF_MIN_S - 1);
	conn_tick(px);
	ck_assert_ptr_nonnull(conn_channel(px, "c"));
	fake_advance_s(1);
	conn_tick(px);
	ck_assert_ptr_null(conn_channel(px, "c"));
	tun_pkt("c", lb, 8, 100);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_CONN_REQ), 2);
}
END_TEST

START_TEST(down_of_a_link_that_is_not_direct_changes_nothing)
{
	struct link *lb = origin_answered(true);

	conn_link_down(lb, "dead");
	ck_assert_int_eq(conn_channel(px, "c")->direct, DIRECT_PUNCHING);
}
END_TEST

START_TEST(punching_gives_up_and_aborts_the_dial)
{
	const struct channel *ch;

	origin_answered(true);
	ch = conn_channel(px, "c");
	fake_advance_ms(DIRECT_DIAL_MS);
	conn_tick(px);
	ck_assert_ptr_nonnull(fake_link_named(px, "c"));	/* dialling */
	fake_advance_us((uint64_t)DIRECT_GIVEUP_S * 1000000 -
	    DIRECT_DIAL_MS * 1000);
	conn_tick(px);
	ck_assert_int_eq(ch->direct, DIRECT_PUNCHING);
	ck_assert_uint_eq(fake.n_abort_dial, 0);
	fake_advance_us(1);
	conn_tick(px);
	ck_assert_int_eq(ch->direct, DIRECT_FAILED);
	ck_assert_uint_eq(fake.n_abort_dial, 1);
	ck_assert_str_eq(fake.abort_name, "c");
	ck_assert_uint_eq(fake.n_abort_closed, 1);
	ck_assert_ptr_null(fake_link_named(px, "c"));
	ck_assert_ptr_nonnull(strstr(ch->direct_why, "no direct link after"));
}
END_TEST

START_TEST(backoff_doubles_up_to_its_maximum)
{
	static const unsigned want[] = { 5, 10, 20, 40, 80, 160, 300, 300 };
	struct link *lb;
	const struct channel *ch;

	/* the destination keeps its channel, so its failures add up */
	make("c");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	fake_set_own_nat(lb, NAT_TYPE_OPEN);
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		struct pkt_conn_req q = req_from_a(2);

		conn_req_input(lb, &q);
		ch = conn_channel(px, "a");
		ck_assert_int_eq(ch->direct, DIRECT_PUNCHING);
		ck_assert_uint_eq(ch->direct_tries, k + 1);
		fake_advance_us((uint64_t)DIRECT_GIVEUP_S * 1000000 + 1);
		conn_tick(px);
		ck_assert_int_eq(ch->direct, DIRECT_FAILED);
		ck_assert_uint_eq(ch->direct_next_us - fake_now_us,
		    (uint64_t)want[k] * 1000000);
	}
	ck_assert_uint_eq(fake.n_abort_dial, sizeof(want) / sizeof(want[0]));
	ck_assert_str_eq(fake.abort_name, "a");
}
END_TEST

START_TEST(punch_from_known_request_is_counted)
{
	const struct channel *ch;
	struct ep from = fake_sin(C_MAPPED, C_MAPPED_PORT);

	origin_answered(true);
	ch = conn_channel(px, "c");
	conn_punch_input(px, ch->id, &from);
	conn_punch_input(px, ch->id, &from);
	ck_assert_uint_eq(ch->punch_rx, 2);
	ck_assert_uint_eq(px->st.drop_malformed, 0);
	conn_punch_input(px, ch->id ^ 1, &from);
	ck_assert_uint_eq(ch->punch_rx, 2);
	ck_assert_uint_eq(px->st.drop_malformed, 1);
}
END_TEST

/* ---- requests that claim what nobody observed ---- */

START_TEST(first_hop_drops_request_naming_another_origin)
{
	struct link *lx, *lc;
	struct pkt_conn_req q = req_from_a(1);

	/* x is linked to b but says the request comes from a */
	make("b");
	lx = fake_link_add(px, "x", LINK_UP, A_MAPPED, A_MAPPED_PORT);
	lc = fake_link_add(px, "c", LINK_UP, C_MAPPED, C_MAPPED_PORT);
	fake_set_path("c", "c", 1, 10, NAT_TYPE_OPEN);
	(void)lc;
	conn_req_input(lx, &q);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
	ck_assert_uint_eq(px->st.drop_malformed, 1);
	/* the path's first name must be the sender too */
	snprintf(q.src, sizeof(q.src), "x");
	conn_req_input(lx, &q);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
	ck_assert_uint_eq(px->st.drop_malformed, 2);
	/* both right: forwarded */
	snprintf(q.path[0], sizeof(q.path[0]), "x");
	conn_req_input(lx, &q);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_CONN_REQ), 1);
	ck_assert_uint_eq(px->st.drop_malformed, 2);
}
END_TEST

START_TEST(destination_as_first_hop_ignores_claimed_mapped_addresses)
{
	struct link *la;
	struct pkt_conn_req q = req_from_a(1);
	const struct pkt_conn_resp *r;
	const struct channel *ch;

	/* a asks c directly, naming a victim as both mapped addresses */
	make("c");
	la = fake_link_add(px, "a", LINK_UP, A_MAPPED, A_MAPPED_PORT);
	fake_set_own_nat(la, NAT_TYPE_FULL_CONE);
	q.src_mapped = fake_sin("192.0.2.66", 53);
	q.dst_mapped = fake_sin("192.0.2.67", 53);
	conn_req_input(la, &q);
	r = last_resp();
	ck_assert_int_eq(r->direct, 0);
	ck_assert_uint_eq(r->src_mapped.port, 0);
	ck_assert_uint_eq(r->dst_mapped.port, 0);
	ch = conn_channel(px, "a");
	ck_assert_ptr_nonnull(ch);
	ck_assert_int_eq(ch->direct, DIRECT_NONE);
	/* nothing goes to the victim, now or later */
	for (int i = 0; i < 20; i++) {
		fake_advance_ms(DIRECT_PUNCH_MS);
		conn_tick(px);
	}
	ck_assert_uint_eq(fake_dgram_count(), 0);
	ck_assert_uint_eq(fake.n_dial_once, 0);
}
END_TEST

START_TEST(punching_channels_are_limited)
{
	struct link *lb;
	const struct channel *ch;
	char name[8];

	/* c, answering CONN_PUNCHING_MAX + 1 origins that may go direct */
	make("c");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	fake_set_own_nat(lb, NAT_TYPE_OPEN);
	for (int k = 0; k <= CONN_PUNCHING_MAX; k++) {
		struct pkt_conn_req q = req_from_a(2);

		snprintf(name, sizeof(name), "o%d", k);
		snprintf(q.src, sizeof(q.src), "%s", name);
		snprintf(q.path[0], sizeof(q.path[0]), "%s", name);
		q.id += (uint64_t)k;
		conn_req_input(lb, &q);
		ch = conn_channel(px, name);
		ck_assert_ptr_nonnull(ch);
		ck_assert_int_eq(ch->direct, k < CONN_PUNCHING_MAX ?
		    DIRECT_PUNCHING : DIRECT_NONE);
	}
	ck_assert_uint_eq(px->st.drop_punch_limit, 1);
	ck_assert_ptr_nonnull(strstr(ch->direct_why, "punching already"));
}
END_TEST

START_TEST(origin_backoff_grows_across_its_new_requests)
{
	struct link *lb = origin();
	const struct channel *ch;
	uint64_t want = DIRECT_BACKOFF_MIN_S;

	for (int k = 0; k < 4; k++) {
		struct pkt_conn_resp r;

		tun_pkt("c", lb, 1, 100);
		r = answer_for(last_req()->id, true);
		conn_resp_input(lb, &r);
		ch = conn_channel(px, "c");
		ck_assert_int_eq(ch->direct, DIRECT_PUNCHING);
		fake_advance_us((uint64_t)DIRECT_GIVEUP_S * 1000000 + 1);
		conn_tick(px);
		ck_assert_int_eq(ch->direct, DIRECT_FAILED);
		ck_assert_uint_eq(ch->direct_next_us - fake_now_us,
		    want * 1000000);
		ck_assert_uint_eq(ch->direct_fails, (unsigned)k + 1);
		/* the backoff passes: the origin forgets and asks again */
		fake_advance_us(want * 1000000);
		conn_tick(px);
		ck_assert_ptr_null(conn_channel(px, "c"));
		want *= 2;
	}
}
END_TEST

/* ---- requests a neighbour only claims: path and per-requester slots ---- */

/* A request from origin to c as neighbour via hands it over (path
   origin, via), its mapped addresses those via says it observed. */
static struct pkt_conn_req
req_via(const char *origin, const char *via)
{
	struct pkt_conn_req q = req_from_a(2);

	snprintf(q.src, sizeof(q.src), "%s", origin);
	snprintf(q.path[0], sizeof(q.path[0]), "%s", origin);
	snprintf(q.path[1], sizeof(q.path[1]), "%s", via);
	q.id = (uint64_t)fake_now_us;
	return q;
}

START_TEST(request_whose_last_hop_is_not_the_neighbour_is_dropped)
{
	struct link *lb;
	struct pkt_conn_req q = req_via("a", "x");

	make("c");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	fake_set_own_nat(lb, NAT_TYPE_OPEN);
	conn_req_input(lb, &q);
	ck_assert_uint_eq(px->st.drop_conn_origin, 1);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
	ck_assert_ptr_null(conn_channel(px, "a"));
}
END_TEST

/*
 * b names an origin it has no link with in the topology (a made-up
 * proxy, or a real one elsewhere) and the victim's address as its
 * mapping: c neither answers nor punches, and neither does a transit hop.
 */
START_TEST(request_on_a_path_the_topology_lacks_is_dropped)
{
	struct link *lb, *lc;
	struct pkt_conn_req q = req_via("a", "b");

	make("c");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	fake_set_own_nat(lb, NAT_TYPE_OPEN);
	fake_set_topo_linked("a", "b", false);
	conn_req_input(lb, &q);
	ck_assert_uint_eq(px->st.drop_conn_origin, 1);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
	ck_assert_ptr_null(conn_channel(px, "a"));
	ck_assert_uint_eq(fake_dgram_count(), 0);
	conn_free(px);
	fake_proxyd_free(px);

	/* as a transit hop toward d: not forwarded */
	make("c");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	lc = fake_link_add(px, "d", LINK_UP, C_ADDR, 4790);
	fake_set_path("d", "d", 1, 10, NAT_TYPE_OPEN);
	fake_set_topo_linked("a", "b", false);
	q = req_via("a", "b");
	snprintf(q.dst, sizeof(q.dst), "d");
	conn_req_input(lb, &q);
	ck_assert_uint_eq(px->st.drop_conn_origin, 1);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);

	/* the same request over a path the topology holds goes on */
	fake_set_topo_linked("a", "b", true);
	conn_req_input(lb, &q);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_CONN_REQ), 1);
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_CONN_REQ)->link, lc);
	ck_assert_uint_eq(px->st.drop_conn_origin, 1);
}
END_TEST

START_TEST(requester_cap_counts_drops_and_spares_the_others)
{
	struct link *lb, *le;
	struct pkt_conn_req q;
	char o[16];

	make("c");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	le = fake_link_add(px, "e", LINK_UP, C_ADDR, 4790);
	for (int i = 0; i < CONN_PER_REQUESTER_MAX; i++) {
		snprintf(o, sizeof(o), "o%d", i);
		q = req_via(o, "b");
		conn_req_input(lb, &q);
		fake_advance_us(1);
	}
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_CONN_RESP),
	    CONN_PER_REQUESTER_MAX);
	ck_assert_uint_eq(px->st.drop_conn_limit, 0);

	/* one more through b: refused, counted, no answer, no channel */
	q = req_via("one-more", "b");
	conn_req_input(lb, &q);
	ck_assert_uint_eq(px->st.drop_conn_limit, 1);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_CONN_RESP),
	    CONN_PER_REQUESTER_MAX);
	ck_assert_ptr_null(conn_channel(px, "one-more"));

	/* an origin b already has a channel for may ask again */
	q = req_via("o0", "b");
	conn_req_input(lb, &q);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_CONN_RESP),
	    CONN_PER_REQUESTER_MAX + 1);
	ck_assert_uint_eq(px->st.drop_conn_limit, 1);

	/* another neighbour's requests still get theirs */
	q = req_via("z", "e");
	conn_req_input(le, &q);
	ck_assert_ptr_nonnull(conn_channel(px, "z"));
	ck_assert_str_eq(conn_channel(px, "z")->requester, "e");
	ck_assert_uint_eq(px->st.drop_conn_limit, 1);
}
END_TEST

/*
 * A full table: e's channels are the oldest, yet b's new request gives up
 * one of the channels of the largest holder (this proxy's own), never
 * one of e's.
 */
START_TEST(full_table_gives_up_a_channel_of_the_largest_holder)
{
	struct link *lb, *le;
	struct pkt_conn_req q;
	char o[16];
	int own = CONN_CHANNELS_MAX - 2 * CONN_PER_REQUESTER_MAX + 1;

	make("c");
	lb = fake_link_add(px, "b", LINK_UP, B_ADDR, 4790);
	le = fake_link_add(px, "e", LINK_UP, C_ADDR, 4790);
	for (int i = 0; i < CONN_PER_REQUESTER_MAX; i++) {
		snprintf(o, sizeof(o), "e%d", i);
		q = req_via(o, "e");
		conn_req_input(le, &q);
		fake_advance_us(1);
	}
	for (int i = 0; i < own; i++) {
		snprintf(o, sizeof(o), "own%d", i);
		tun_pkt(o, lb, 1, 40);
		fake_advance_us(1);
	}
	for (int i = 0; i < CONN_PER_REQUESTER_MAX - 1; i++) {
		snprintf(o, sizeof(o), "b%d", i);
		q = req_via(o, "b");
		conn_req_input(lb, &q);
		fake_advance_us(1);
	}
	/* full now; b's 64th */
	q = req_via("b-last", "b");
	conn_req_input(lb, &q);
	ck_assert_ptr_nonnull(conn_channel(px, "b-last"));
	ck_assert_ptr_null(conn_channel(px, "own0"));
	ck_assert_ptr_nonnull(conn_channel(px, "own1"));
	for (int i = 0; i < CONN_PER_REQUESTER_MAX; i++) {
		snprintf(o, sizeof(o), "e%d", i);
		ck_assert_ptr_nonnull(conn_channel(px, o));
	}
	ck_assert_uint_eq(px->st.drop_conn_limit, 0);
}
END_TEST

static Suite *
conn_suite(void)
{
	Suite *s = suite_create("conn");
	const struct {
		const char	*name;
		const TTest	*fn;
	} cases[] = {
		{ "request_carries_own_nat_link_nat_and_path",
		    request_carries_own_nat_link_nat_and_path },
		{ "request_without_measurements_says_unknown",
		    request_without_measurements_says_unknown },
		{ "packets_while_requesting_wait_without_second_request",
		    packets_while_requesting_wait_without_second_request },
		{ "first_hop_folds_nat_appends_itself_and_fills_src_mapped",
		    first_hop_folds_nat_appends_itself_and_fills_src_mapped },
		{ "fold_keeps_the_more_restrictive_type",
		    fold_keeps_the_more_restrictive_type },
		{ "later_hop_not_last_fills_no_mapped_address",
		    later_hop_not_last_fills_no_mapped_address },
		{ "request_that_crossed_us_is_a_loop",
		    request_that_crossed_us_is_a_loop },
		{ "request_without_route_is_dropped",
		    request_without_route_is_dropped },
		{ "request_with_full_path_is_dropped",
		    request_with_full_path_is_dropped },
		{ "destination_answers_direct_possible",
		    destination_answers_direct_possible },
		{ "request_names_ipv6_inner_addresses",
		    request_names_ipv6_inner_addresses },
		{ "destination_keeps_the_requests_inner_addresses",
		    destination_keeps_the_requests_inner_addresses },
		{ "destination_refuses_direct_without_both_mapped_addresses",
		    destination_refuses_direct_without_both_mapped_addresses },
		{ "answer_at_middle_hop_goes_to_previous_proxy",
		    answer_at_middle_hop_goes_to_previous_proxy },
		{ "answer_at_later_hop_goes_to_the_proxy_before_it",
		    answer_at_later_hop_goes_to_the_proxy_before_it },
		{ "answer_at_middle_hop_without_link_back_is_dropped",
		    answer_at_middle_hop_without_link_back_is_dropped },
		{ "answer_not_naming_us_before_its_end_is_malformed",
		    answer_not_naming_us_before_its_end_is_malformed },
		{ "answer_flushes_queue_in_order_then_packets_go_straight",
		    answer_flushes_queue_in_order_then_packets_go_straight },
		{ "answer_to_unknown_request_changes_nothing",
		    answer_to_unknown_request_changes_nothing },
		{ "queue_per_channel_limit_counts_drops",
		    queue_per_channel_limit_counts_drops },
		{ "queue_global_limit_counts_drops",
		    queue_global_limit_counts_drops },
		{ "queue_refuses_packet_larger_than_a_slot",
		    queue_refuses_packet_larger_than_a_slot },
		{ "forgotten_channel_frees_its_queue_slots",
		    forgotten_channel_frees_its_queue_slots },
		{ "no_answer_relays_after_timeout",
		    no_answer_relays_after_timeout },
		{ "timeout_without_route_counts_queued_as_noroute",
		    timeout_without_route_counts_queued_as_noroute },
		{ "idle_channel_is_forgotten_after_idle_time",
		    idle_channel_is_forgotten_after_idle_time },
		{ "used_channel_is_kept", used_channel_is_kept },
		{ "full_table_evicts_least_recently_used",
		    full_table_evicts_least_recently_used },
		{ "channel_above_forgotten_ones_is_still_found",
		    channel_above_forgotten_ones_is_still_found },
		{ "request_whose_last_hop_is_not_the_neighbour_is_dropped",
		    request_whose_last_hop_is_not_the_neighbour_is_dropped },
		{ "request_on_a_path_the_topology_lacks_is_dropped",
		    request_on_a_path_the_topology_lacks_is_dropped },
		{ "requester_cap_counts_drops_and_spares_the_others",
		    requester_cap_counts_drops_and_spares_the_others },
		{ "full_table_gives_up_a_channel_of_the_largest_holder",
		    full_table_gives_up_a_channel_of_the_largest_holder },
		{ "new_cost_alone_keeps_the_channel",
		    new_cost_alone_keeps_the_channel },
		{ "other_next_hop_drops_the_channel",
		    other_next_hop_drops_the_channel },
		{ "other_hop_count_drops_the_channel",
		    other_hop_count_drops_the_channel },
		{ "lost_route_drops_the_channel", lost_route_drops_the_channel },
		{ "path_nat_new_to_the_answer_drops_the_channel",
		    path_nat_new_to_the_answer_drops_the_channel },
		{ "punching_channel_survives_route_change",
		    punching_channel_survives_route_change },
		{ "answer_with_direct_starts_punching_at_mapped_address",
		    answer_with_direct_starts_punching_at_mapped_address },
		{ "same_public_address_punches_to_lan_address",
		    same_public_address_punches_to_lan_address },
		{ "destination_with_udp_blocked_refuses_direct",
		    destination_with_udp_blocked_refuses_direct },
		{ "origin_with_udp_blocked_sends_no_punches",
		    origin_with_udp_blocked_sends_no_punches },
		{ "punches_go_every_punch_interval",
		    punches_go_every_punch_interval },
		{ "punches_stop_at_the_give_up_budget",
		    punches_stop_at_the_give_up_budget },
		{ "smaller_name_dials_after_dial_delay",
		    smaller_name_dials_after_dial_delay },
		{ "larger_name_never_dials", larger_name_never_dials },
		{ "direct_link_up_makes_channel_direct_and_watched",
		    direct_link_up_makes_channel_direct_and_watched },
		{ "direct_channel_is_never_idle_expired",
		    direct_channel_is_never_idle_expired },
		{ "other_links_coming_up_are_not_direct",
		    other_links_coming_up_are_not_direct },
		{ "direct_link_down_falls_back_to_relay_with_backoff",
		    direct_link_down_falls_back_to_relay_with_backoff },
		{ "origin_asks_again_after_backoff",
		    origin_asks_again_after_backoff },
		{ "down_of_a_link_that_is_not_direct_changes_nothing",
		    down_of_a_link_that_is_not_direct_changes_nothing },
		{ "punching_gives_up_and_aborts_the_dial",
		    punching_gives_up_and_aborts_the_dial },
		{ "backoff_doubles_up_to_its_maximum",
		    backoff_doubles_up_to_its_maximum },
		{ "punch_from_known_request_is_counted",
		    punch_from_known_request_is_counted },
		{ "first_hop_drops_request_naming_another_origin",
		    first_hop_drops_request_naming_another_origin },
		{ "destination_as_first_hop_ignores_claimed_mapped_addresses",
		    destination_as_first_hop_ignores_claimed_mapped_addresses },
		{ "punching_channels_are_limited",
		    punching_channels_are_limited },
		{ "origin_backoff_grows_across_its_new_requests",
		    origin_backoff_grows_across_its_new_requests },
	};
	TCase *tc;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tc = tcase_create(cases[i].name);
		tcase_add_checked_fixture(tc, NULL, teardown);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	tc = tcase_create("destination_decides_as_lib_nat");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_loop_test(tc, destination_decides_as_lib_nat, 0,
	    (int)(sizeof(feasible) / sizeof(feasible[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conn_suite());
	int failed;

	log_init(1, LOG_LVL_WARN, "check_conn");
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
