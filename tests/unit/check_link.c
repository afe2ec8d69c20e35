/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests of proxyd/link.c, the transport: the real
 * link.c and tls.c run between two or three proxies in one process, their
 * DTLS handshakes carried datagram by datagram by link_fake.c's pump under
 * a fake clock.  Covered: the handshake and who is refused, the cookie
 * an unproven source gets first and the caps on inbound handshakes, sealed
 * messages and every drop counter, unauthenticated nonces, keepalive RTT,
 * dead links, backoff, which of two links to a peer survives, and what
 * link_close() leaves behind, and rekeys (the switch under traffic, the
 * old keys' grace, who starts, crossed rekeys, volume and hard limits,
 * re-verification, expiry of the peer's certificate), and Happy Eyeballs
 * after the race (IPv4 first, then IPv6 takes over make-before-break; a
 * broken IPv6 keeps IPv4 with backed-off retries; both at once end on
 * IPv6 on both sides).  Not covered: DTLS retransmission
 * (hs_timer_cb), which runs on OpenSSL's own clock and libevent timers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <event2/event.h>

#include "crypto.h"
#include "frag.h"
#include "link.h"
#include "log.h"
#include "pkt.h"
#include "link_fake.h"

static const char *const cert_names[] = { "alpha", "bravo", "charlie" };

static struct node *alpha, *bravo;

static void
setup(void)
{
	fake_now = 1000 * SEC;
	fake_q_clear();
	fake_ev_len = 0;
	alpha = bravo = NULL;
}

static void
teardown(void)
{
	nodes_free();
	fake_q_clear();
}

/* alpha (10.0.0.1) has bravo (10.0.0.2) configured; bravo has nobody. */
static void
make_pair(void)
{
	alpha = node_new("alpha", "alpha", 1);
	bravo = node_new("bravo", "bravo", 2);
	ck_assert_ptr_nonnull(alpha);
	ck_assert_ptr_nonnull(bravo);
	node_add_neighbour(alpha, "bravo", 2);
	ck_assert_int_eq(node_start(alpha), 0);
	ck_assert_int_eq(node_start(bravo), 0);
}

/* make_pair(), then a handshake; returns alpha's link, up. */
static struct link *
make_up_pair(void)
{
	struct link *l;

	make_pair();
	link_tick(&alpha->px);
	fake_pump(200);
	l = link_find(&alpha->px, "bravo");
	ck_assert_ptr_nonnull(l);
	ck_assert_ptr_nonnull(link_find(&bravo->px, "alpha"));
	fake_ev_len = 0;
	return l;
}

/* Keeps path MTU rounds out of a test's datagram counts. */
static void
no_pmtu_rounds(void)
{
	for (struct link *l = alpha->px.links; l != NULL; l = l->next)
		l->pmtu_next_us = UINT64_MAX;
	for (struct link *l = bravo->px.links; l != NULL; l = l->next)
		l->pmtu_next_us = UINT64_MAX;
}

/* Sends m from l and returns the sealed datagram (caller frees buf). */
static struct fake_dgram
capture_msg(struct link *l, const struct pkt_msg *m)
{
	struct fake_dgram d;

	fake_q_clear();
	ck_assert_int_eq(link_send_msg(l, m), 0);
	ck_assert_uint_eq(fake_q_len, 1);
	ck_assert(fake_q_pop(&d));
	return d;
}

static struct fake_dgram
capture_info(struct link *l, uint16_t alt_port)
{
	struct pkt_msg m = { .type = PKT_MSG_INFO };

	m.u.info.alt_port = alt_port;
	return capture_msg(l, &m);
}

static void
put_session(uint8_t *buf, uint32_t s)
{
	buf[2] = (uint8_t)(s >> 24);
	buf[3] = (uint8_t)(s >> 16);
	buf[4] = (uint8_t)(s >> 8);
	buf[5] = (uint8_t)s;
}

static uint32_t
get_session(const uint8_t *buf)
{
	return (uint32_t)buf[2] << 24 | (uint32_t)buf[3] << 16 |
	    (uint32_t)buf[4] << 8 | buf[5];
}

/* One tick a second for secs seconds; the peer hears nothing. */
static void
silent_seconds(struct node *n, int secs)
{
	for (int i = 0; i < secs; i++) {
		fake_now += SEC;
		link_tick(&n->px);
		fake_q_clear();
	}
}

static struct ep
addr_of(const char *ip, uint16_t port)
{
	struct ep sin;

	memset(&sin, 0, sizeof(sin));
	sin.family = AF_INET;
	sin.port = port;
	inet_pton(AF_INET, ip, &sin.a.v4);
	return sin;
}

/* alpha's first handshake datagram toward bravo (a PKT_HS). */
static struct fake_dgram
client_hello(void)
{
	struct fake_dgram d;

	link_tick(&alpha->px);
	ck_assert(fake_q_pop(&d));
	ck_assert_uint_eq(d.buf[1], PKT_HS);
	fake_q_clear();
	return d;
}

/*
 * Asks n for a cookie as an unproven source does: ch again, with session
 * s, from `from`.  The answer must be a bare cookie, no larger than the
 * question, and n must keep no state.
 */
static void
ask_cookie(struct node *n, const struct fake_dgram *ch, uint32_t s,
    const struct ep *from, uint8_t cookie[PKT_COOKIE_LEN])
{
	struct fake_dgram d = *ch, r;
	size_t before = links_count(&n->px, -1);

	d.buf = malloc(ch->len);
	ck_assert_ptr_nonnull(d.buf);
	memcpy(d.buf, ch->buf, ch->len);
	put_session(d.buf, s);
	d.from = *from;
	d.to = node_addr(n, PSOCK_PRIMARY);
	fake_q_clear();
	ck_assert(fake_deliver(&d));
	free(d.buf);
	ck_assert_uint_eq(fake_q_len, 1);
	ck_assert(fake_q_pop(&r));
	ck_assert_uint_eq(r.buf[1], PKT_COOKIE);
	ck_assert_uint_eq(get_session(r.buf), s);
	ck_assert_uint_eq(r.len, PKT_HDR_LEN + PKT_COOKIE_LEN);
	ck_assert_uint_le(r.len, ch->len);
	ck_assert_uint_eq(r.to.port, from->port);
	memcpy(cookie, r.buf + PKT_HDR_LEN, PKT_COOKIE_LEN);
	free(r.buf);
	ck_assert_uint_eq(links_count(&n->px, -1), before);
}

/* ch's records as a PKT_HS_COOKIE with session s from `from` to n. */
static struct fake_dgram
with_cookie(struct node *n, const struct fake_dgram *ch, uint32_t s,
    const struct ep *from, const uint8_t cookie[PKT_COOKIE_LEN])
{
	size_t body = ch->len - PKT_HDR_LEN;
	struct fake_dgram d = *ch;
	struct buf_wr w;

	d.len = PKT_HDR_LEN + PKT_COOKIE_LEN + body;
	d.buf = malloc(d.len);
	ck_assert_ptr_nonnull(d.buf);
	buf_wr_init(&w, d.buf, PKT_HDR_LEN);
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_HS_COOKIE, s, 0), 0);
	memcpy(d.buf + PKT_HDR_LEN, cookie, PKT_COOKIE_LEN);
	memcpy(d.buf + PKT_HDR_LEN + PKT_COOKIE_LEN, ch->buf + PKT_HDR_LEN,
	    body);
	d.from = *from;
	d.to = node_addr(n, PSOCK_PRIMARY);
	return d;
}

/* An inbound handshake of session s from `from` that proves its address. */
static void
proven_handshake(struct node *n, const struct fake_dgram *ch, uint32_t s,
    const struct ep *from)
{
	uint8_t cookie[PKT_COOKIE_LEN];
	struct fake_dgram d;

	ask_cookie(n, ch, s, from, cookie);
	d = with_cookie(n, ch, s, from, cookie);
	ck_assert(fake_deliver(&d));
	free(d.buf);
	fake_q_clear();
}

/* handshake */

START_TEST(handshake_brings_both_ends_up_once)
{
	struct link *la, *lb;
	const struct fake_ev *e;

	make_pair();
	la = link_named(&alpha->px, "bravo");
	ck_assert_ptr_nonnull(la);
	ck_assert_int_eq(la->state, LINK_IDLE);
	ck_assert_str_eq(link_state_name(la), "connecting");
	link_tick(&alpha->px);
	ck_assert_int_eq(la->state, LINK_HANDSHAKE);
	ck_assert_uint_gt(fake_q_len, 0);		/* the ClientHello */
	ck_assert_uint_lt(fake_pump(200), 200);	/* it settles */

	ck_assert_int_eq(la->state, LINK_UP);
	ck_assert(la->initiator);
	lb = link_find(&bravo->px, "alpha");
	ck_assert_ptr_nonnull(lb);
	ck_assert(!lb->initiator);
	ck_assert_uint_eq(lb->session, la->session);
	ck_assert_uint_ne(la->session, 0);
	ck_assert_uint_eq(bravo->px.n_handshakes, 0);
	ck_assert_str_eq(link_state_name(la), "up");

	ck_assert_uint_eq(fake_ev_count(EV_UP, &alpha->px), 1);
	ck_assert_uint_eq(fake_ev_count(EV_UP, &bravo->px), 1);
	e = fake_ev_last(EV_UP, &bravo->px);
	ck_assert_str_eq(e->name, "alpha");
	ck_assert_int_eq(e->state, LINK_UP);
	ck_assert_str_eq(fake_ev_last(EV_UP, &alpha->px)->name, "bravo");
	/* the first keepalives crossed: nothing went up as a message */
	ck_assert_uint_eq(fake_ev_count(EV_MSG, NULL), 0);
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, NULL), 0);
	ck_assert_uint_eq(alpha->px.st.auth_refused +
	    bravo->px.st.auth_refused, 0);
	ck_assert_uint_eq(alpha->px.st.drop_nosession +
	    bravo->px.st.drop_nosession, 0);
	/* no more handshakes on later ticks */
	fake_now += SEC;
	link_tick(&alpha->px);
	fake_pump(200);
	ck_assert_uint_eq(fake_ev_count(EV_UP, NULL), 2);
}
END_TEST

START_TEST(handshake_refuses_certificate_of_other_name)
{
	struct node *charlie;
	struct link *la;

	/* alpha dials "bravo" at 10.0.0.3, where charlie answers */
	alpha = node_new("alpha", "alpha", 1);
	charlie = node_new("charlie", "charlie", 3);
	ck_assert_ptr_nonnull(charlie);
	node_add_neighbour(alpha, "bravo", 3);
	ck_assert_int_eq(node_start(alpha), 0);
	ck_assert_int_eq(node_start(charlie), 0);
	link_tick(&alpha->px);
	fake_pump(200);

	la = link_named(&alpha->px, "bravo");
	ck_assert_ptr_nonnull(la);
	ck_assert_int_eq(la->state, LINK_IDLE);
	ck_assert_uint_eq(alpha->px.st.auth_refused, 1);
	ck_assert_uint_eq(fake_ev_count(EV_UP, NULL), 0);
	ck_assert_ptr_null(link_find(&charlie->px, "alpha"));
	ck_assert_uint_eq(links_count(&charlie->px, LINK_UP), 0);
	ck_assert_int_eq(la->backoff_s, 2);	/* a failed attempt */
	/* the reason, kept for 'proxyctl neighbours': both names */
	ck_assert_msg(strstr(la->last_error, "certificate name 'charlie' but "
	    "expected 'bravo'") != NULL, "last_error: %s", la->last_error);
}
END_TEST

START_TEST(handshake_refuses_certificate_of_other_ca)
{
	struct node *mallory;
	struct link *la;

	alpha = node_new("alpha", "alpha", 1);
	mallory = node_new("bravo", "mallory", 2);
	ck_assert_ptr_nonnull(mallory);
	node_add_neighbour(alpha, "bravo", 2);
	ck_assert_int_eq(node_start(alpha), 0);
	ck_assert_int_eq(node_start(mallory), 0);
	link_tick(&alpha->px);
	fake_pump(200);

	ck_assert_uint_eq(fake_ev_count(EV_UP, NULL), 0);
	ck_assert_uint_ge(alpha->px.st.auth_refused +
	    mallory->px.st.auth_refused, 1);
	ck_assert_uint_eq(links_count(&alpha->px, LINK_UP), 0);
	ck_assert_uint_eq(links_count(&mallory->px, -1), 0);
	/* alpha says whose certificate it was and who signed it */
	la = link_named(&alpha->px, "bravo");
	ck_assert_ptr_nonnull(la);
	ck_assert_msg(strstr(la->last_error, "certificate 'mallory' not "
	    "signed by our CA (issuer 'CN = proxyd CA'") != NULL &&
	    strstr(la->last_error, "our CA 'CN = proxyd CA', key ") != NULL,
	    "last_error: %s", la->last_error);
}
END_TEST

START_TEST(handshake_refuses_inbound_certificate_of_own_name)
{
	struct node *twin;

	/* a proxy holding bravo's certificate dials bravo */
	twin = node_new("twin", "bravo", 1);
	bravo = node_new("bravo", "bravo", 2);
	ck_assert_ptr_nonnull(twin);
	node_add_neighbour(twin, "bravo", 2);
	ck_assert_int_eq(node_start(twin), 0);
	ck_assert_int_eq(node_start(bravo), 0);
	link_tick(&twin->px);
	fake_pump(200);

	ck_assert_uint_eq(bravo->px.st.auth_refused, 1);
	ck_assert_uint_eq(fake_ev_count(EV_UP, &bravo->px), 0);
	ck_assert_uint_eq(links_count(&bravo->px, -1), 0);
	ck_assert_uint_eq(bravo->px.n_handshakes, 0);
}
END_TEST

START_TEST(unproven_handshake_gets_only_a_cookie)
{
	struct ep from;
	struct fake_dgram ch;
	uint8_t cookie[PKT_COOKIE_LEN];

	make_pair();
	ch = client_hello();
	from = node_addr(alpha, PSOCK_PRIMARY);
	ask_cookie(bravo, &ch, get_session(ch.buf), &from, cookie);
	free(ch.buf);
	ck_assert_uint_eq(bravo->px.st.hs_cookies, 1);
	ck_assert_uint_eq(bravo->px.n_handshakes, 0);
}
END_TEST

START_TEST(handshake_with_its_cookie_is_answered)
{
	struct ep from;
	struct fake_dgram ch, d, r;
	uint8_t cookie[PKT_COOKIE_LEN];

	make_pair();
	ch = client_hello();
	from = node_addr(alpha, PSOCK_PRIMARY);
	ask_cookie(bravo, &ch, 77, &from, cookie);
	d = with_cookie(bravo, &ch, 77, &from, cookie);
	ck_assert(fake_deliver(&d));
	free(d.buf);
	free(ch.buf);
	ck_assert_uint_eq(links_count(&bravo->px, LINK_HANDSHAKE), 1);
	ck_assert_uint_eq(bravo->px.n_handshakes, 1);
	ck_assert(fake_q_pop(&r));		/* the server's flight */
	ck_assert_uint_eq(r.buf[1], PKT_HS);
	ck_assert_uint_eq(get_session(r.buf), 77);
	free(r.buf);
	ck_assert_uint_eq(bravo->px.st.drop_cookie, 0);
}
END_TEST

START_TEST(cookie_of_other_source_or_session_is_refused)
{
	struct ep from, other;
	struct fake_dgram ch, d;
	uint8_t cookie[PKT_COOKIE_LEN];

	make_pair();
	ch = client_hello();
	from = node_addr(alpha, PSOCK_PRIMARY);
	other = addr_of("10.0.0.9", FAKE_PORT);
	ask_cookie(bravo, &ch, 5, &from, cookie);
	d = with_cookie(bravo, &ch, 5, &other, cookie);	/* elsewhere */
	ck_assert(fake_deliver(&d));
	free(d.buf);
	other = from;
	other.port = FAKE_PORT + 7;		/* other port */
	d = with_cookie(bravo, &ch, 5, &other, cookie);
	ck_assert(fake_deliver(&d));
	free(d.buf);
	d = with_cookie(bravo, &ch, 6, &from, cookie);	/* other session */
	ck_assert(fake_deliver(&d));
	free(d.buf);
	cookie[0] ^= 1;					/* forged */
	d = with_cookie(bravo, &ch, 5, &from, cookie);
	ck_assert(fake_deliver(&d));
	free(d.buf);
	free(ch.buf);
	ck_assert_uint_eq(bravo->px.st.drop_cookie, 4);
	ck_assert_uint_eq(links_count(&bravo->px, -1), 0);
	ck_assert_uint_eq(fake_q_len, 0);		/* nothing answered */
}
END_TEST

START_TEST(cookie_outlives_one_key_rotation_only)
{
	struct ep from;
	struct fake_dgram ch, d;
	uint8_t c1[PKT_COOKIE_LEN], c2[PKT_COOKIE_LEN];

	make_pair();
	ch = client_hello();
	from = node_addr(alpha, PSOCK_PRIMARY);
	ask_cookie(bravo, &ch, 1, &from, c1);
	ask_cookie(bravo, &ch, 2, &from, c2);
	fake_now += LINK_COOKIE_ROTATE_S * SEC;
	link_tick(&bravo->px);				/* a new key */
	d = with_cookie(bravo, &ch, 1, &from, c1);	/* the previous one */
	ck_assert(fake_deliver(&d));
	free(d.buf);
	ck_assert_uint_eq(bravo->px.st.drop_cookie, 0);
	ck_assert_uint_eq(bravo->px.n_handshakes, 1);
	fake_now += LINK_COOKIE_ROTATE_S * SEC;
	link_tick(&bravo->px);				/* and another */
	d = with_cookie(bravo, &ch, 2, &from, c2);
	ck_assert(fake_deliver(&d));
	free(d.buf);
	free(ch.buf);
	ck_assert_uint_eq(bravo->px.st.drop_cookie, 1);
}
END_TEST

START_TEST(handshake_from_other_address_is_dropped)
{
	struct ep from;
	uint8_t cookie[PKT_COOKIE_LEN];
	struct fake_dgram ch, d;

	make_pair();
	ch = client_hello();
	from = node_addr(alpha, PSOCK_PRIMARY);
	ask_cookie(bravo, &ch, 9, &from, cookie);
	d = with_cookie(bravo, &ch, 9, &from, cookie);
	ck_assert(fake_deliver(&d));
	ck_assert_uint_eq(links_count(&bravo->px, LINK_HANDSHAKE), 1);
	fake_q_clear();
	d.from.port = 9999;		/* same session, elsewhere */
	ck_assert(fake_deliver(&d));
	free(d.buf);
	free(ch.buf);
	ck_assert_uint_eq(bravo->px.st.drop_malformed, 1);
	ck_assert_uint_eq(links_count(&bravo->px, -1), 1);
	ck_assert_uint_eq(fake_q_len, 0);	/* not answered */
}
END_TEST

START_TEST(handshake_on_alternate_socket_is_malformed)
{
	struct fake_dgram d;

	make_pair();
	link_tick(&alpha->px);
	ck_assert(fake_q_pop(&d));
	d.to = node_addr(bravo, PSOCK_ALT_PORT);
	ck_assert(fake_deliver(&d));
	free(d.buf);
	ck_assert_uint_eq(bravo->px.st.drop_malformed, 1);
	ck_assert_uint_eq(links_count(&bravo->px, -1), 0);
}
END_TEST

START_TEST(inbound_handshakes_from_one_source_are_capped)
{
	struct ep from = addr_of("10.0.1.1", 5000);
	struct ep other = addr_of("10.0.1.2", 5000);
	struct fake_dgram ch;

	make_pair();
	ch = client_hello();
	for (uint32_t i = 0; i <= LINK_HS_PER_SOURCE; i++) {
		from.port = (uint16_t)(5000 + i);	/* any port */
		proven_handshake(bravo, &ch, 0x100 + i, &from);
	}
	/* another address still gets in */
	proven_handshake(bravo, &ch, 0x200, &other);
	free(ch.buf);
	ck_assert_uint_eq(bravo->px.st.drop_hs_limit, 1);
	ck_assert_uint_eq(bravo->px.n_handshakes, LINK_HS_PER_SOURCE + 1);
}
END_TEST

START_TEST(inbound_handshakes_are_capped)
{
	char ip[16];
	struct ep from;
	struct fake_dgram ch;
	uint32_t s = 0x10000;

	make_pair();
	ch = client_hello();
	/* LINK_HS_MAX from as many sources as that takes, then one more */
	for (int i = 0; i <= LINK_HS_MAX; i++) {
		snprintf(ip, sizeof(ip), "10.0.2.%d", 1 + i /
		    LINK_HS_PER_SOURCE);
		from = addr_of(ip, 6000);
		proven_handshake(bravo, &ch, s++, &from);
	}
	free(ch.buf);
	ck_assert_uint_eq(bravo->px.n_handshakes, LINK_HS_MAX);
	ck_assert_uint_eq(bravo->px.st.drop_hs_limit, 1);
	ck_assert_uint_eq(links_count(&bravo->px, LINK_HANDSHAKE),
	    LINK_HS_MAX);
	ck_assert_uint_eq(bravo->px.st.drop_cookie, 0);
}
END_TEST

/* sealed messages */

START_TEST(sealed_message_reaches_peer_with_its_type)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");
	struct fake_dgram d = capture_info(la, 4791);
	uint64_t rx = lb->rx_packets;
	const struct fake_ev *e;

	ck_assert_uint_eq(d.buf[1], PKT_SEALED);
	ck_assert_uint_eq(get_session(d.buf), la->session);
	ck_assert(fake_deliver(&d));
	free(d.buf);
	ck_assert_uint_eq(fake_ev_count(EV_MSG, &bravo->px), 1);
	e = fake_ev_last(EV_MSG, &bravo->px);
	ck_assert_uint_eq(e->type, PKT_MSG_INFO);
	ck_assert_str_eq(e->name, "alpha");
	ck_assert_uint_eq(e->msg.u.info.alt_port, 4791);
	ck_assert_uint_eq(lb->rx_packets, rx + 1);
}
END_TEST

START_TEST(data_frame_in_send_batch_is_sealed_and_delivered)
{
	struct link *la = make_up_pair();
	uint8_t *frame = alpha->slot;
	uint8_t *ip = frame + PKT_DATA_HEADROOM;
	const struct fake_ev *e;

	memset(ip, 0, 40);
	ip[0] = 0x45;			/* IPv4, 20-byte header */
	ip[3] = 40;			/* total length */
	ip[8] = 64;
	ip[9] = 17;
	ip[20] = 0xab;			/* payload marker */
	fake_q_clear();
	ck_assert_int_eq(link_send_data(la, frame, 40, 7, 0xc0ffee01u), 0);
	ck_assert_uint_eq(alpha->committed, 1);	/* batched, not sent */
	ck_assert_uint_eq(fake_pump(10), 1);
	e = fake_ev_last(EV_MSG, &bravo->px);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->type, PKT_MSG_DATA);
	ck_assert_uint_eq(e->msg.u.data.ttl, 7);
	ck_assert_uint_eq(e->msg.u.data.origin, 0xc0ffee01u);
	ck_assert_uint_eq(e->msg.u.data.ip_len, 40);
	ck_assert_uint_eq(e->ip[20], 0xab);
}
END_TEST

START_TEST(data_frame_outside_send_batch_is_sent_at_once)
{
	struct link *la = make_up_pair();
	static uint8_t frame[PKT_DATA_HEADROOM + 64 + PKT_TAG_LEN];
	uint8_t *ip = frame + PKT_DATA_HEADROOM;

	ip[0] = 0x45;
	ip[3] = 20;
	fake_q_clear();
	ck_assert_int_eq(link_send_data(la, frame, 20, 3, 9), 0);
	ck_assert_uint_eq(alpha->committed, 0);
	ck_assert_uint_eq(fake_q_len, 1);
	fake_pump(10);
	ck_assert_uint_eq(fake_ev_last(EV_MSG, &bravo->px)->msg.u.data.ttl, 3);
	ck_assert_uint_eq(fake_ev_last(EV_MSG, &bravo->px)->msg.u.data.origin,
	    9);
}
END_TEST

/* path MTU and split DATA */

/* A 1500-byte IPv4 packet with a recognisable payload at ip. */
static void
big_packet(uint8_t *ip, size_t len)
{
	memset(ip, 0, len);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(len >> 8);
	ip[3] = (uint8_t)len;
	ip[8] = 64;
	ip[9] = 17;
	for (size_t i = 20; i < len; i++)
		ip[i] = (uint8_t)(i * 13);
}

START_TEST(path_mtu_measured_at_link_up)
{
	struct link *la, *lb;

	fake_path_mtu = (size_t)_i;
	la = make_up_pair();
	lb = link_find(&bravo->px, "alpha");
	ck_assert_uint_eq(la->pmtu, _i);
	ck_assert_uint_eq(lb->pmtu, _i);
}
END_TEST

START_TEST(path_mtu_follows_a_shrinking_path)
{
	struct link *la = make_up_pair();

	ck_assert_uint_eq(la->pmtu, 1500);
	fake_path_mtu = 1340;
	fake_now += LINK_PMTU_EARLY_S * SEC;
	link_tick(&alpha->px);			/* round 2: 1340 at most */
	fake_pump(100);
	ck_assert_uint_eq(la->pmtu, 1500);	/* not lowered mid-round */
	fake_now += LINK_PMTU_EARLY_S * SEC;
	link_tick(&alpha->px);			/* round 3 starts: lowered */
	ck_assert_uint_eq(la->pmtu, 1340);
	/* a round that lost everything changes nothing */
	fake_path_mtu = 100;
	fake_pump(100);
	la->pmtu_next_us = fake_now;
	link_tick(&alpha->px);			/* round 4, all lost */
	fake_pump(100);
	la->pmtu_next_us = fake_now;
	link_tick(&alpha->px);			/* round 5 starts */
	ck_assert_uint_eq(la->pmtu, 1340);
	ck_assert_uint_eq(la->pmtu_round, 5);
}
END_TEST

START_TEST(oversized_data_is_split_and_joined)
{
	struct link *la;
	static uint8_t sent[1500];
	uint8_t *frame, *ip;
	const struct fake_ev *e;

	fake_path_mtu = 1400;
	la = make_up_pair();
	no_pmtu_rounds();
	frame = _i ? alpha->slot : calloc(1, PKT_DATA_HEADROOM + 1500 +
	    PKT_TAG_LEN);
	ck_assert_ptr_nonnull(frame);
	ip = frame + PKT_DATA_HEADROOM;
	big_packet(ip, 1500);
	memcpy(sent, ip, 1500);
	fake_q_clear();
	fake_mtu_lost = 0;		/* the larger probes were */
	alpha->committed = 0;
	ck_assert_int_eq(link_send_data(la, frame, 1500, 9, 77), 0);
	ck_assert_uint_eq(alpha->px.st.frag_tx, 2);
	if (_i)
		ck_assert_uint_eq(alpha->committed, 2);	/* both batched */
	else
		free(frame);
	ck_assert_uint_eq(fake_q_len, 2);
	for (size_t i = 0; i < fake_q_len; i++)
		ck_assert_uint_le(fake_q[i].len + 28, 1400);
	ck_assert_uint_eq(fake_mtu_lost, 0);
	ck_assert_uint_eq(fake_pump(10), 2);
	ck_assert_uint_eq(fake_ev_count(EV_MSG, &bravo->px), 1);
	e = fake_ev_last(EV_MSG, &bravo->px);
	ck_assert_uint_eq(e->type, PKT_MSG_DATA);
	ck_assert_uint_eq(e->msg.u.data.ttl, 9);
	ck_assert_uint_eq(e->msg.u.data.origin, 77);	/* joined whole */
	ck_assert_uint_eq(e->msg.u.data.ip_len, 1500);
	ck_assert_uint_eq(e->ip_hash, fake_hash(sent, sizeof(sent)));
	ck_assert_uint_eq(bravo->px.frags->st.joined, 1);
}
END_TEST

START_TEST(split_data_with_a_lost_piece_is_dropped)
{
	struct link *la;
	struct fake_dgram first, second;
	uint8_t *frame;

	fake_path_mtu = 1400;
	la = make_up_pair();
	no_pmtu_rounds();
	frame = alpha->slot;
	big_packet(frame + PKT_DATA_HEADROOM, 1500);
	fake_q_clear();
	ck_assert_int_eq(link_send_data(la, frame, 1500, 9, 77), 0);
	ck_assert(fake_q_pop(&first));
	ck_assert(fake_q_pop(&second));
	/* the second piece only, twice: no message, a duplicate */
	ck_assert(fake_deliver(&second));
	ck_assert(fake_deliver(&second));
	ck_assert_uint_eq(fake_ev_count(EV_MSG, &bravo->px), 0);
	ck_assert_uint_eq(bravo->px.frags->st.dup + bravo->px.st.drop_replay,
	    1);
	/* its partner too late: it starts afresh and never completes */
	fake_now += FRAG_TIMEOUT_US + 1;
	ck_assert(fake_deliver(&first));
	ck_assert_uint_eq(fake_ev_count(EV_MSG, &bravo->px), 0);
	ck_assert_uint_eq(bravo->px.frags->st.timeout, 1);
	free(first.buf);
	free(second.buf);
}
END_TEST

START_TEST(data_too_large_even_split_is_dropped)
{
	struct link *la = make_up_pair();
	uint8_t *frame = alpha->slot;

	no_pmtu_rounds();
	/* 8 pieces of at most 1433 bytes: 9000 fits, 65000 does not */
	big_packet(frame + PKT_DATA_HEADROOM, 9000);
	fake_q_clear();
	ck_assert_int_eq(link_send_data(la, frame, 9000, 9, 77), 0);
	ck_assert_uint_eq(fake_pump(20), 7);
	ck_assert_uint_eq(fake_ev_last(EV_MSG, &bravo->px)->msg.u.data.ip_len,
	    9000);
	big_packet(frame + PKT_DATA_HEADROOM, 20000);
	ck_assert_int_eq(link_send_data(la, frame, 20000, 9, 77), -1);
	ck_assert_uint_eq(alpha->px.st.drop_toobig, 1);
}
END_TEST

START_TEST(sending_on_a_link_not_up_fails)
{
	struct pkt_msg m = { .type = PKT_MSG_INFO };
	struct link *la;

	make_pair();
	la = link_named(&alpha->px, "bravo");
	ck_assert_int_eq(link_send_msg(la, &m), -1);
	ck_assert_uint_eq(fake_q_len, 0);
}
END_TEST

/*
 * Byte offsets to corrupt: the ciphertext, the tag's last byte, and the
 * sequence number's top byte (associated data; far ahead of the window,
 * which a forgery must not move).
 */
static const int tamper_at[] = { PKT_SEALED_HDR_LEN, -1, PKT_HDR_LEN };

START_TEST(tampered_datagram_counts_drop_auth)
{
	struct link *la = make_up_pair();
	struct fake_dgram d = capture_info(la, 1);
	uint8_t *copy = malloc(d.len);
	int at = tamper_at[_i] < 0 ? (int)d.len + tamper_at[_i] : tamper_at[_i];
	struct fake_dgram t = d;

	memcpy(copy, d.buf, d.len);
	copy[at] ^= 0x01;
	t.buf = copy;
	ck_assert(fake_deliver(&t));
	ck_assert_uint_eq(bravo->px.st.drop_auth, 1);
	ck_assert_uint_eq(fake_ev_count(EV_MSG, NULL), 0);
	/* the forgery did not use up the sequence number */
	ck_assert(fake_deliver(&d));
	ck_assert_uint_eq(fake_ev_count(EV_MSG, &bravo->px), 1);
	ck_assert_uint_eq(bravo->px.st.drop_replay, 0);
	free(copy);
	free(d.buf);
}
END_TEST

START_TEST(replayed_datagram_counts_drop_replay)
{
	struct link *la = make_up_pair();
	struct fake_dgram d = capture_info(la, 1);

	ck_assert(fake_deliver(&d));
	ck_assert(fake_deliver(&d));
	ck_assert(fake_deliver(&d));
	free(d.buf);
	ck_assert_uint_eq(fake_ev_count(EV_MSG, &bravo->px), 1);
	ck_assert_uint_eq(bravo->px.st.drop_replay, 2);
	ck_assert_uint_eq(bravo->px.st.drop_auth, 0);
}
END_TEST

START_TEST(reordered_datagrams_within_window_pass)
{
	struct link *la = make_up_pair();
	struct fake_dgram d1 = capture_info(la, 1);
	struct fake_dgram d2 = capture_info(la, 2);

	ck_assert(fake_deliver(&d2));
	ck_assert(fake_deliver(&d1));
	free(d1.buf);
	free(d2.buf);
	ck_assert_uint_eq(fake_ev_count(EV_MSG, &bravo->px), 2);
	ck_assert_uint_eq(fake_ev_last(EV_MSG, &bravo->px)->msg.u.info.alt_port,
	    1);
	ck_assert_uint_eq(bravo->px.st.drop_replay, 0);
}
END_TEST

START_TEST(unknown_session_counts_drop_nosession)
{
	struct link *la = make_up_pair();
	struct fake_dgram d = capture_info(la, 1);

	put_session(d.buf, la->session ^ 0x5a5a5a5a);
	ck_assert(fake_deliver(&d));
	free(d.buf);
	ck_assert_uint_eq(bravo->px.st.drop_nosession, 1);
	ck_assert_uint_eq(bravo->px.st.drop_auth, 0);
	ck_assert_uint_eq(fake_ev_count(EV_MSG, NULL), 0);
}
END_TEST

/*
 * bravo closes its link (a certificate expired, say) while alpha still
 * seals on it: what alpha sent before it heard is counted as late for a
 * closed link, for LINK_REKEY_GRACE_S; after that, as session-less.
 */
START_TEST(datagram_for_a_link_closed_lately_counts_drop_closed)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");
	struct fake_dgram d1 = capture_info(la, 1), d2 = capture_info(la, 2);
	struct fake_dgram d3 = capture_info(la, 3);

	link_close(lb, "test");
	ck_assert(fake_deliver(&d1));
	ck_assert_uint_eq(bravo->px.st.drop_closed, 1);
	ck_assert_uint_eq(bravo->px.st.drop_nosession, 0);
	/* another session is still unknown */
	put_session(d2.buf, get_session(d2.buf) ^ 0x5a5a5a5a);
	ck_assert(fake_deliver(&d2));
	ck_assert_uint_eq(bravo->px.st.drop_nosession, 1);
	/* the grace ends */
	fake_now += (LINK_REKEY_GRACE_S + 1) * SEC;
	ck_assert(fake_deliver(&d3));
	ck_assert_uint_eq(bravo->px.st.drop_closed, 1);
	ck_assert_uint_eq(bravo->px.st.drop_nosession, 2);
	ck_assert_uint_eq(fake_ev_count(EV_MSG, &bravo->px), 0);
	free(d1.buf);
	free(d2.buf);
	free(d3.buf);
}
END_TEST

START_TEST(sealed_for_link_in_handshake_counts_drop_nosession)
{
	uint8_t buf[PKT_SEALED_HDR_LEN + 20];
	struct fake_dgram d, s;
	struct buf_wr w;

	make_pair();
	link_tick(&alpha->px);
	ck_assert(fake_q_pop(&d));		/* alpha's ClientHello */
	memset(buf, 0, sizeof(buf));
	buf_wr_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_SEALED, get_session(d.buf),
	    1), 0);
	s = d;
	s.buf = buf;
	s.len = sizeof(buf);
	s.to = node_addr(alpha, PSOCK_PRIMARY);
	s.from = node_addr(bravo, PSOCK_PRIMARY);
	ck_assert(fake_deliver(&s));
	free(d.buf);
	ck_assert_uint_eq(alpha->px.st.drop_nosession, 1);
	ck_assert_int_eq(link_named(&alpha->px, "bravo")->state,
	    LINK_HANDSHAKE);
}
END_TEST

/* Outer headers no decoder may accept. */
static const struct {
	const char	*what;
	uint8_t		 b[20];
	size_t		 len;
} bad_hdr[] = {
	{ "empty", { 0 }, 0 },
	{ "version only", { 1 }, 1 },
	{ "version 2", { 2, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9 }, 16 },
	{ "unknown type", { 1, 9, 0, 0, 0, 1, 7, 7 }, 8 },
	{ "sealed header cut", { 1, 2, 0, 0, 0, 1, 0, 0, 0 }, 9 },
	{ "sealed without body", { 1, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 },
	    14 },
	{ "handshake without body", { 1, 1, 0, 0, 0, 1 }, 6 },
	{ "probe with session", { 1, 3, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8 },
	    14 },
	{ "punch too short", { 1, 4, 0, 0, 0, 0, 1, 2, 3 }, 9 },
	{ "probe too long", { 1, 3, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 },
	    15 },
};

START_TEST(malformed_header_counts_drop_malformed)
{
	struct fake_dgram d;
	uint8_t buf[20];

	make_pair();
	memcpy(buf, bad_hdr[_i].b, sizeof(buf));
	memset(&d, 0, sizeof(d));
	d.buf = buf;
	d.len = bad_hdr[_i].len;
	d.from = node_addr(alpha, PSOCK_PRIMARY);
	d.to = node_addr(bravo, PSOCK_PRIMARY);
	ck_assert(fake_deliver(&d));
	ck_assert_msg(bravo->px.st.drop_malformed == 1, "%s: drop_malformed "
	    "%llu", bad_hdr[_i].what,
	    (unsigned long long)bravo->px.st.drop_malformed);
	ck_assert_uint_eq(fake_ev_len, 0);
	ck_assert_uint_eq(links_count(&bravo->px, -1), 0);
	ck_assert_uint_eq(bravo->px.st.rx_packets, 1);
}
END_TEST

START_TEST(undecodable_message_counts_drop_malformed)
{
	struct link *la = make_up_pair();
	uint8_t buf[PKT_SEALED_HDR_LEN + 1 + PKT_TAG_LEN];
	const uint8_t pt[1] = { 3 };	/* the retired ANNOUNCE */
	struct fake_dgram d;
	struct buf_wr w;

	buf_wr_init(&w, buf, PKT_SEALED_HDR_LEN);
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_SEALED, la->session,
	    ++la->tx_seq), 0);
	ck_assert_int_eq(aead_seal(&la->aead, la->tx_seq, buf,
	    PKT_SEALED_HDR_LEN, pt, sizeof(pt), buf + PKT_SEALED_HDR_LEN), 0);
	memset(&d, 0, sizeof(d));
	d.buf = buf;
	d.len = sizeof(buf);
	d.from = node_addr(alpha, PSOCK_PRIMARY);
	d.to = node_addr(bravo, PSOCK_PRIMARY);
	ck_assert(fake_deliver(&d));
	ck_assert_uint_eq(bravo->px.st.drop_malformed, 1);
	ck_assert_uint_eq(bravo->px.st.drop_auth, 0);
	ck_assert_uint_eq(fake_ev_count(EV_MSG, NULL), 0);
}
END_TEST

START_TEST(authenticated_datagram_from_new_address_moves_link)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");
	struct fake_dgram d = capture_info(la, 1);

	d.from.port = 40000;		/* alpha's NAT rebound */
	ck_assert(fake_deliver(&d));
	free(d.buf);
	ck_assert_uint_eq(lb->peer.port, 40000);
	/* a forged one from elsewhere moves nothing */
	d = capture_info(la, 2);
	d.buf[d.len - 1] ^= 1;
	d.from.port = 40001;
	ck_assert(fake_deliver(&d));
	free(d.buf);
	ck_assert_uint_eq(lb->peer.port, 40000);
	/* nor does one that arrived on another socket (probe traffic) */
	d = capture_info(la, 3);
	d.from.port = 40002;
	d.to = node_addr(bravo, PSOCK_ALT_PORT);
	ck_assert(fake_deliver(&d));
	free(d.buf);
	ck_assert_uint_eq(lb->peer.port, 40000);
	ck_assert_uint_eq(fake_ev_count(EV_MSG, &bravo->px), 2);
}
END_TEST

/* unauthenticated datagrams */

static const uint8_t unauth_types[] = { PKT_PROBE, PKT_PUNCH };

START_TEST(probe_and_punch_go_to_unauth_with_nonce)
{
	uint8_t buf[PKT_PROBE_LEN];
	struct fake_dgram d;
	struct buf_wr w;
	const struct fake_ev *e;

	make_pair();
	buf_wr_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(pkt_hdr_encode(&w, unauth_types[_i], 0,
	    0x0123456789abcdefULL), 0);
	ck_assert_uint_eq(w.off, PKT_PROBE_LEN);
	memset(&d, 0, sizeof(d));
	d.buf = buf;
	d.len = sizeof(buf);
	d.from = node_addr(alpha, PSOCK_ALT_PORT);
	d.to = node_addr(bravo, PSOCK_PRIMARY);
	ck_assert(fake_deliver(&d));
	ck_assert_uint_eq(fake_ev_count(EV_UNAUTH, &bravo->px), 1);
	e = fake_ev_last(EV_UNAUTH, &bravo->px);
	ck_assert_uint_eq(e->type, unauth_types[_i]);
	ck_assert_uint_eq(e->nonce, 0x0123456789abcdefULL);
	ck_assert_uint_eq(e->from.port, FAKE_PORT + 1);
	ck_assert_uint_eq(bravo->px.st.drop_malformed, 0);
	ck_assert_uint_eq(links_count(&bravo->px, -1), 0);
}
END_TEST

/* keepalive */

START_TEST(keepalive_ack_sets_rtt)
{
	struct link *la = make_up_pair();

	no_pmtu_rounds();

	fake_now += CONF_DEFAULT_KA_MIN * SEC;
	link_tick(&alpha->px);			/* a keepalive */
	ck_assert_uint_eq(fake_q_len, 1);
	fake_now += 42 * MSEC;
	fake_pump(10);				/* there and the ack back */
	ck_assert_double_eq_tol(la->rtt_ms, 42.0, 0.001);
	ck_assert_uint_eq(fake_ev_count(EV_MSG, NULL), 0);	/* link's own */
}
END_TEST

START_TEST(keepalive_ack_of_older_keepalive_is_ignored)
{
	struct link *la = make_up_pair();
	struct fake_dgram older, newer;

	no_pmtu_rounds();
	fake_now += CONF_DEFAULT_KA_MIN * SEC;
	link_tick(&alpha->px);
	fake_now += CONF_DEFAULT_KA_MIN * SEC;
	link_tick(&alpha->px);			/* the second, newer one */
	ck_assert_uint_eq(fake_q_len, 2);
	ck_assert(fake_q_pop(&older));
	ck_assert(fake_q_pop(&newer));
	fake_now += 7 * MSEC;
	/* the network reorders them: the older one's ack comes last */
	ck_assert(fake_deliver(&newer));
	ck_assert(fake_deliver(&older));
	free(older.buf);
	free(newer.buf);
	ck_assert_uint_eq(fake_pump(10), 2);
	/* only the newest keepalive's ack counts: 7 ms, not 5007 */
	ck_assert_double_eq_tol(la->rtt_ms, 7.0, 0.001);
}
END_TEST

START_TEST(keepalives_keep_a_link_up)
{
	struct link *la = make_up_pair();

	for (int i = 0; i < 60; i++) {
		fake_now += SEC;
		link_tick(&alpha->px);
		link_tick(&bravo->px);
		fake_pump(50);
	}
	ck_assert_int_eq(la->state, LINK_UP);
	ck_assert_ptr_nonnull(link_find(&bravo->px, "alpha"));
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, NULL), 0);
}
END_TEST

/* dead links */

static const struct {
	int	ka, dead, expect;
} dead_cases[] = {
	{ 1, 0, LINK_DEAD_MIN_S },
	{ 5, 0, LINK_DEAD_MIN_S },	/* 3 x 5 = 15 */
	{ 6, 0, 18 },
	{ 10, 0, 30 },
	{ 5, 3, 3 },			/* a fixed dead time wins */
	{ 1, 40, 40 },
	{ 0, 0, LINK_DEAD_MIN_S },	/* interval at least 1 */
	{ 120, -1, 360 },
};

START_TEST(dead_after_is_three_intervals_or_fixed)
{
	struct link l;

	memset(&l, 0, sizeof(l));
	link_set_keepalive(&l, dead_cases[_i].ka, dead_cases[_i].dead);
	ck_assert_int_ge(l.ka_interval_s, 1);
	ck_assert_int_eq(link_dead_after(&l), dead_cases[_i].expect);
}
END_TEST

START_TEST(silent_link_is_closed_after_dead_time)
{
	struct link *la = make_up_pair();
	const struct fake_ev *e;

	ck_assert_int_eq(link_dead_after(la), LINK_DEAD_MIN_S);
	silent_seconds(alpha, LINK_DEAD_MIN_S);
	ck_assert_int_eq(la->state, LINK_UP);	/* 15 s is not over 15 */
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, NULL), 0);
	silent_seconds(alpha, 1);
	ck_assert_int_eq(la->state, LINK_IDLE);
	ck_assert_ptr_null(link_find(&alpha->px, "bravo"));
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, &alpha->px), 1);
	e = fake_ev_last(EV_DOWN, &alpha->px);
	ck_assert_str_eq(e->reason, "dead: nothing heard for 15 s");
	ck_assert_str_eq(e->name, "bravo");
	ck_assert_int_ne(e->state, LINK_UP);	/* gone when reported */
	ck_assert_str_eq(link_state_name(la), "down");
}
END_TEST

START_TEST(fixed_dead_time_closes_sooner)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");

	link_set_keepalive(la, 1, 3);
	link_set_keepalive(lb, 1, 3);
	silent_seconds(alpha, 3);
	ck_assert_int_eq(la->state, LINK_UP);
	silent_seconds(alpha, 1);
	ck_assert_int_eq(la->state, LINK_IDLE);
	ck_assert_str_eq(fake_ev_last(EV_DOWN, &alpha->px)->reason,
	    "dead: nothing heard for 3 s");
	/* bravo's inbound link dies the same way, and is freed */
	link_tick(&bravo->px);
	ck_assert_uint_eq(links_count(&bravo->px, -1), 0);
	ck_assert_str_eq(fake_ev_last(EV_DOWN, &bravo->px)->reason,
	    "dead: nothing heard for 3 s");
}
END_TEST

/* backoff */

/* One attempt toward nobody: started at next_try, timed out after 10 s. */
static void
fail_attempt(struct link *l)
{
	if (fake_now < l->next_try_us)
		fake_now = l->next_try_us;
	link_tick(l->px);
	ck_assert_int_eq(l->state, LINK_HANDSHAKE);
	fake_q_clear();
	fake_now += LINK_HS_TIMEOUT_S * SEC;
	link_tick(l->px);
	ck_assert_int_eq(l->state, LINK_HANDSHAKE);	/* not over 10 s */
	fake_now += 1;
	link_tick(l->px);
	ck_assert_int_eq(l->state, LINK_IDLE);
}

START_TEST(backoff_doubles_to_the_maximum_on_failed_attempts)
{
	static const int expect[] = { 2, 4, 8, 16, 32, LINK_BACKOFF_MAX_S,
	    LINK_BACKOFF_MAX_S };
	struct link *la;
	int before;

	alpha = node_new("alpha", "alpha", 1);
	node_add_neighbour(alpha, "bravo", 2);	/* nobody at 10.0.0.2 */
	ck_assert_int_eq(node_start(alpha), 0);
	la = link_named(&alpha->px, "bravo");
	ck_assert_int_eq(la->backoff_s, 1);
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		before = la->backoff_s;
		fail_attempt(la);
		ck_assert_int_eq(la->backoff_s, expect[i]);
		ck_assert_uint_eq(la->next_try_us - fake_now,
		    (uint64_t)before * SEC);
		ck_assert_uint_eq(la->reconnects, i + 1);
	}
	/* no attempt before the backoff is over */
	fake_now = la->next_try_us - 1;
	link_tick(&alpha->px);
	ck_assert_int_eq(la->state, LINK_IDLE);
	ck_assert_uint_eq(fake_q_len, 0);
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, NULL), 0);	/* never up */
}
END_TEST

START_TEST(backoff_resets_after_an_up_link_dies)
{
	struct link *la;
	uint64_t died;

	alpha = node_new("alpha", "alpha", 1);
	node_add_neighbour(alpha, "bravo", 2);
	ck_assert_int_eq(node_start(alpha), 0);
	la = link_named(&alpha->px, "bravo");
	fail_attempt(la);
	fail_attempt(la);
	fail_attempt(la);
	ck_assert_int_eq(la->backoff_s, 8);

	/* bravo appears: the next attempt succeeds */
	bravo = node_new("bravo", "bravo", 2);
	ck_assert_int_eq(node_start(bravo), 0);
	fake_now = la->next_try_us;
	link_tick(&alpha->px);
	fake_pump(200);
	ck_assert_int_eq(la->state, LINK_UP);
	ck_assert_int_eq(la->backoff_s, 1);

	silent_seconds(alpha, LINK_DEAD_MIN_S + 1);
	ck_assert_int_eq(la->state, LINK_IDLE);
	died = fake_now;
	ck_assert_int_eq(la->backoff_s, 1);
	ck_assert_uint_eq(la->next_try_us, died + 1 * SEC);
	/* and the next failure doubles from 1 again */
	fail_attempt(la);
	ck_assert_int_eq(la->backoff_s, 2);
}
END_TEST

/* close */

START_TEST(configured_link_returns_to_idle_on_close)
{
	struct link *la = make_up_pair();
	const struct fake_ev *e;

	link_close(la, "test says so");
	ck_assert_ptr_eq(link_named(&alpha->px, "bravo"), la);
	ck_assert_int_eq(la->state, LINK_IDLE);
	ck_assert_uint_eq(la->session, 0);
	ck_assert_ptr_null(la->ssl);
	ck_assert_uint_eq(la->next_try_us, fake_now + SEC);
	e = fake_ev_last(EV_DOWN, &alpha->px);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->reason, "test says so");
	/* and it dials again after a second */
	fake_now += SEC;
	link_tick(&alpha->px);
	ck_assert_int_eq(la->state, LINK_HANDSHAKE);
}
END_TEST

START_TEST(inbound_link_is_freed_on_close)
{
	struct link *lb;

	make_up_pair();
	lb = link_find(&bravo->px, "alpha");
	link_close(lb, "test says so");
	ck_assert_ptr_null(bravo->px.links);
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, &bravo->px), 1);
	ck_assert_str_eq(fake_ev_last(EV_DOWN, &bravo->px)->name, "alpha");
}
END_TEST

START_TEST(dialled_once_link_is_freed_on_close)
{
	struct ep ep;
	struct link *l;

	make_pair();
	ep = node_addr(alpha, PSOCK_PRIMARY);
	link_dial_once(&bravo->px, "alpha", &ep);
	ck_assert_uint_eq(links_count(&bravo->px, LINK_HANDSHAKE), 1);
	link_dial_once(&bravo->px, "alpha", &ep);	/* dialled already */
	ck_assert_uint_eq(links_count(&bravo->px, -1), 1);
	fake_pump(200);
	l = link_find(&bravo->px, "alpha");
	ck_assert_ptr_nonnull(l);
	ck_assert(l->ephemeral);
	link_close(l, "done");
	ck_assert_ptr_null(bravo->px.links);
	ck_assert_str_eq(fake_ev_last(EV_DOWN, &bravo->px)->reason, "done");
	/* not retried */
	fake_now += 120 * SEC;
	link_tick(&bravo->px);
	ck_assert_uint_eq(fake_q_len, 0);
}
END_TEST

START_TEST(aborted_dial_is_freed_without_down)
{
	struct ep ep;

	make_pair();
	ep = node_addr(alpha, PSOCK_PRIMARY);
	link_dial_once(&bravo->px, "alpha", &ep);
	ck_assert_ptr_nonnull(bravo->px.links);
	link_abort_dial(&bravo->px, "alpha");
	ck_assert_ptr_null(bravo->px.links);
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, NULL), 0);
}
END_TEST

START_TEST(peer_close_message_takes_link_down)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");
	struct pkt_msg bye = { .type = PKT_MSG_CLOSE };
	const struct fake_ev *e;

	bye.u.close_reason = PKT_CLOSE_SHUTDOWN;
	fake_q_clear();
	ck_assert_int_eq(link_send_msg(lb, &bye), 0);
	fake_pump(10);
	ck_assert_int_eq(la->state, LINK_IDLE);	/* configured: stays */
	e = fake_ev_last(EV_DOWN, &alpha->px);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->reason, "closed by peer");
	ck_assert_uint_eq(fake_ev_count(EV_MSG, NULL), 0);
	ck_assert_uint_eq(la->next_try_us, fake_now + SEC);
}
END_TEST

START_TEST(shutdown_tells_the_peer)
{
	make_up_pair();
	fake_q_clear();
	link_shutdown(&alpha->px);
	ck_assert_ptr_null(alpha->px.links);
	ck_assert_uint_eq(fake_q_len, 1);	/* the goodbye */
	fake_pump(10);
	ck_assert_ptr_null(bravo->px.links);
	ck_assert_str_eq(fake_ev_last(EV_DOWN, &bravo->px)->reason,
	    "closed by peer");
}
END_TEST

/* two links to one peer */

static const struct {
	const char	*self, *peer;
	bool		 l_ini, m_ini;	/* who initiated: true = self */
	bool		 wins;
} win_cases[] = {
	{ "alpha", "bravo", true, true, true },		/* same side: newer */
	{ "alpha", "bravo", false, false, true },
	{ "bravo", "alpha", true, true, true },
	{ "bravo", "alpha", false, false, true },
	{ "alpha", "bravo", true, false, true },	/* alpha's wins */
	{ "alpha", "bravo", false, true, false },
	{ "bravo", "alpha", true, false, false },	/* alpha's wins */
	{ "bravo", "alpha", false, true, true },
	{ "a", "ab", true, false, true },		/* prefix is smaller */
	{ "ab", "a", true, false, false },
};

START_TEST(link_wins_over_follows_the_rule)
{
	struct conf c;
	struct proxyd px;
	struct link l, m;

	memset(&c, 0, sizeof(c));
	memset(&px, 0, sizeof(px));
	memset(&l, 0, sizeof(l));
	memset(&m, 0, sizeof(m));
	snprintf(c.name, sizeof(c.name), "%s", win_cases[_i].self);
	px.conf = &c;
	l.px = m.px = &px;
	snprintf(l.name, sizeof(l.name), "%s", win_cases[_i].peer);
	snprintf(m.name, sizeof(m.name), "%s", win_cases[_i].peer);
	l.initiator = win_cases[_i].l_ini;
	m.initiator = win_cases[_i].m_ini;
	ck_assert_msg(link_wins_over(&l, &m) == win_cases[_i].wins,
	    "case %d: self %s", _i, win_cases[_i].self);
	/* across the two different sides, exactly one wins */
	if (l.initiator != m.initiator)
		ck_assert(link_wins_over(&m, &l) != win_cases[_i].wins);
}
END_TEST

START_TEST(crossed_handshakes_resolve_to_one_link)
{
	struct link *la, *lb;
	size_t ups, downs;

	alpha = node_new("alpha", "alpha", 1);
	bravo = node_new("bravo", "bravo", 2);
	node_add_neighbour(alpha, "bravo", 2);
	node_add_neighbour(bravo, "alpha", 1);
	ck_assert_int_eq(node_start(alpha), 0);
	ck_assert_int_eq(node_start(bravo), 0);
	link_tick(&alpha->px);
	link_tick(&bravo->px);
	fake_pump(400);
	for (int i = 0; i < 10; i++) {
		fake_now += SEC;
		link_tick(&alpha->px);
		link_tick(&bravo->px);
		fake_pump(100);
	}
	ck_assert_uint_eq(links_count(&alpha->px, LINK_UP), 1);
	ck_assert_uint_eq(links_count(&bravo->px, LINK_UP), 1);
	la = link_find(&alpha->px, "bravo");
	lb = link_find(&bravo->px, "alpha");
	/* the link alpha (the smaller name) initiated survives */
	ck_assert(la->initiator);
	ck_assert(!lb->initiator);
	ck_assert_uint_eq(la->session, lb->session);
	/* every up a side reported but one was followed by a down */
	ups = fake_ev_count(EV_UP, &bravo->px);
	downs = fake_ev_count(EV_DOWN, &bravo->px);
	ck_assert_uint_eq(ups - downs, 1);
	ck_assert_uint_eq(fake_ev_count(EV_UP, &alpha->px) -
	    fake_ev_count(EV_DOWN, &alpha->px), 1);
	/* bravo's own configured link waits, idle, and does not redial */
	ck_assert_uint_eq(links_count(&bravo->px, LINK_IDLE), 1);
}
END_TEST

START_TEST(restarted_peer_replaces_the_old_link)
{
	struct link *old, *now;
	uint32_t s1;
	const struct fake_ev *e;

	alpha = node_new("alpha", "alpha", 1);
	bravo = node_new("bravo", "bravo", 2);
	node_add_neighbour(bravo, "alpha", 1);
	ck_assert_int_eq(node_start(alpha), 0);
	ck_assert_int_eq(node_start(bravo), 0);
	link_tick(&bravo->px);
	fake_pump(200);
	old = link_find(&alpha->px, "bravo");
	ck_assert_ptr_nonnull(old);
	s1 = old->session;

	/* bravo restarts without a goodbye reaching alpha */
	node_free(bravo);
	fake_q_clear();
	bravo = node_new("bravo", "bravo", 2);
	node_add_neighbour(bravo, "alpha", 1);
	ck_assert_int_eq(node_start(bravo), 0);
	fake_ev_len = 0;
	link_tick(&bravo->px);
	fake_pump(200);

	ck_assert_uint_eq(links_count(&alpha->px, -1), 1);
	now = link_find(&alpha->px, "bravo");
	ck_assert_ptr_nonnull(now);
	ck_assert_uint_ne(now->session, s1);
	e = fake_ev_last(EV_DOWN, &alpha->px);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->reason, "replaced");
	ck_assert_uint_eq(e->session, s1);
	ck_assert_uint_eq(fake_ev_count(EV_UP, &alpha->px), 1);
}
END_TEST

/* The up link of n to name, whose peer is 10.0.0.octet. */
static bool
up_from(struct node *n, const char *name, uint8_t octet)
{
	struct link *l = link_find(&n->px, name);

	return l != NULL && ntohl(l->peer.a.v4.s_addr) == (0x0a000000u |
	    octet);
}

/* n's configured link to name, silent: closed as dead, redialled now. */
static void
redial(struct node *n, const char *name)
{
	struct link *l = link_named(&n->px, name);

	ck_assert_ptr_nonnull(l);
	if (l->state != LINK_IDLE)
		link_close(l, "dead: nothing heard");
	if (l->next_try_us >= fake_now)
		fake_now = l->next_try_us + 1;
	link_tick(&n->px);
	fake_pump(200);
}

/*
 * Two proxies named bravo (one certificate, 10.0.0.2 and 10.0.0.3) both
 * link to alpha.  The second takes over at once (as a restart would); the
 * first coming back is the clone: alpha keeps the second, refuses the
 * first (told, so it backs off) while the kept link is up, counts and
 * shows it, and lets it in once the kept link is gone.
 */
START_TEST(cloned_peer_is_detected_and_refused)
{
	struct node *b2;
	const struct link_clone *c;
	size_t ups;

	alpha = node_new("alpha", "alpha", 1);
	bravo = node_new("bravo", "bravo", 2);
	b2 = node_new("bravo", "bravo", 3);
	ck_assert_ptr_nonnull(b2);
	node_add_neighbour(bravo, "alpha", 1);
	node_add_neighbour(b2, "alpha", 1);
	ck_assert_int_eq(node_start(alpha), 0);
	ck_assert_int_eq(node_start(bravo), 0);
	ck_assert_int_eq(node_start(b2), 0);
	link_tick(&bravo->px);
	fake_pump(200);
	ck_assert(up_from(alpha, "bravo", 2));
	fake_now += 5 * SEC;
	link_tick(&b2->px);
	fake_pump(200);
	ck_assert(up_from(alpha, "bravo", 3));		/* took over */
	ck_assert_uint_eq(alpha->px.st.clones_detected, 0);
	ck_assert_ptr_null(link_clone_of(&alpha->px, "bravo"));
	ups = fake_ev_count(EV_UP, &alpha->px);

	/* the first is still alive: its link died, it dials again (the
	   second answers alpha's keepalives meanwhile) */
	fake_now += 4 * SEC;
	link_tick(&alpha->px);
	fake_pump(200);
	redial(bravo, "alpha");
	ck_assert_uint_eq(alpha->px.st.clones_detected, 1);
	ck_assert_uint_eq(alpha->px.st.clone_refused, 1);
	ck_assert(up_from(alpha, "bravo", 3));		/* kept */
	ck_assert_uint_eq(fake_ev_count(EV_UP, &alpha->px), ups);
	ck_assert_ptr_null(link_find(&bravo->px, "alpha"));	/* told */
	ck_assert_uint_eq(link_named(&bravo->px, "alpha")->refusals, 1);
	c = link_clone_of(&alpha->px, "bravo");
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(ntohl(c->kept.a.v4.s_addr), 0x0a000003);
	ck_assert_uint_eq(ntohl(c->other.a.v4.s_addr), 0x0a000002);

	/* and again: refused again, nothing knocked over */
	link_tick(&alpha->px);
	fake_pump(200);
	redial(bravo, "alpha");
	ck_assert_uint_eq(alpha->px.st.clone_refused, 2);
	ck_assert_uint_eq(alpha->px.st.clones_detected, 1);
	ck_assert(up_from(alpha, "bravo", 3));
	ck_assert_uint_eq(fake_ev_count(EV_UP, &alpha->px), ups);
	ck_assert_uint_eq(link_named(&bravo->px, "alpha")->refusals, 2);

	/* the kept one falls silent: the other links at once, before the
	   kept link's dead time */
	fake_now += 8 * SEC;
	ck_assert_ptr_nonnull(link_find(&alpha->px, "bravo"));
	redial(bravo, "alpha");
	ck_assert(up_from(alpha, "bravo", 2));
	ck_assert_uint_eq(alpha->px.st.clone_refused, 2);
	ck_assert_uint_eq(fake_ev_count(EV_UP, &alpha->px), ups + 1);
}
END_TEST

/* A restart at another address (the old one gone silent) takes over at
   once and is no clone, however often it happens. */
START_TEST(restart_at_new_address_is_no_clone)
{
	struct node *b2;

	alpha = node_new("alpha", "alpha", 1);
	bravo = node_new("bravo", "bravo", 2);
	node_add_neighbour(bravo, "alpha", 1);
	ck_assert_int_eq(node_start(alpha), 0);
	ck_assert_int_eq(node_start(bravo), 0);
	link_tick(&bravo->px);
	fake_pump(200);
	ck_assert(up_from(alpha, "bravo", 2));
	for (int i = 0; i < 3; i++) {
		/* bravo comes back at .3, then at .2 again, never both alive */
		node_free(bravo);
		fake_q_clear();
		fake_now += 10 * SEC;
		b2 = node_new("bravo", "bravo", i % 2 == 0 ? 3 : 2);
		node_add_neighbour(b2, "alpha", 1);
		ck_assert_int_eq(node_start(b2), 0);
		link_tick(&b2->px);
		fake_pump(200);
		ck_assert(up_from(alpha, "bravo", i % 2 == 0 ? 3 : 2));
		bravo = b2;
	}
	ck_assert_uint_eq(alpha->px.st.clones_detected, 0);
	ck_assert_uint_eq(alpha->px.st.clone_refused, 0);
}
END_TEST

/* rekey */

/* Both nodes tick once a second for secs seconds, everything delivered. */
static void
live_seconds(int secs)
{
	for (int i = 0; i < secs; i++) {
		fake_now += SEC;
		link_tick(&alpha->px);
		link_tick(&bravo->px);
		fake_pump(500);
	}
}

/* INFO messages (alt_port = tag) each way, counted on arrival. */
static size_t
info_count(const struct proxyd *px)
{
	size_t n = 0;

	for (size_t i = 0; i < fake_ev_len; i++)
		n += fake_ev[i].kind == EV_MSG && fake_ev[i].px == px &&
		    fake_ev[i].type == PKT_MSG_INFO;
	return n;
}

static void
send_info(struct link *l, uint16_t tag)
{
	struct pkt_msg m = { .type = PKT_MSG_INFO };

	m.u.info.alt_port = tag;
	ck_assert_int_eq(link_send_msg(l, &m), 0);
}

static uint64_t
drops(const struct proxyd *px)
{
	return px->st.drop_auth + px->st.drop_replay + px->st.drop_nosession +
	    px->st.drop_malformed;
}

/*
 * A rekey while both sides keep sending, one datagram delivered per step:
 * every message arrives, none is refused, both sides end on one new
 * session with a rekey counted, and the switch happened in the order
 * link.h gives (the server waits for the client's first new packet).
 */
START_TEST(rekey_under_traffic_loses_nothing)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");
	uint32_t s0 = la->session, s1;
	size_t sent_a = 0, sent_b = 0, steps = 0;
	struct fake_dgram d;
	bool saw_ready = false;

	no_pmtu_rounds();
	fake_q_clear();
	fake_ev_len = 0;
	link_rekey(la);
	ck_assert_ptr_nonnull(la->rk.ssl);
	ck_assert(la->rk.ours);
	s1 = la->rk.session;
	ck_assert_uint_ne(s1, s0);
	while (fake_q_len > 0 && steps++ < 100) {
		/* one message a step, from each side in turn */
		if (steps % 2 == 0) {
			send_info(la, 1);
			sent_a++;
		} else {
			send_info(lb, 2);
			sent_b++;
		}
		for (int i = 0; i < 2 && fake_q_pop(&d); i++) {
			fake_deliver(&d);
			free(d.buf);
		}
		if (lb->rk.ready && !saw_ready) {
			/* bravo has the keys but seals on the old session */
			saw_ready = true;
			send_info(lb, 9);
			sent_b++;
			ck_assert_uint_gt(fake_q_len, 0);
			ck_assert_uint_eq(get_session(fake_q[fake_q_len - 1].buf),
			    s0);
			ck_assert_uint_eq(lb->session, s0);
		}
		if (la->session == s1 && lb->session == s1)
			break;
	}
	ck_assert_uint_lt(steps, 100);
	ck_assert_uint_lt(sent_a + sent_b, FAKE_EV_MAX);
	fake_pump(500);
	ck_assert(saw_ready);
	ck_assert_uint_eq(la->session, s1);
	ck_assert_uint_eq(lb->session, s1);
	ck_assert_uint_eq(la->rekeys, 1);
	ck_assert_uint_eq(lb->rekeys, 1);
	ck_assert_uint_eq(alpha->px.st.rekeys + bravo->px.st.rekeys, 2);
	ck_assert_uint_eq(la->old.session, s0);
	ck_assert_uint_eq(lb->old.session, s0);
	ck_assert_ptr_null(la->rk.ssl);
	ck_assert_ptr_null(lb->rk.ssl);
	ck_assert_uint_eq(info_count(&bravo->px), sent_a);
	ck_assert_uint_eq(info_count(&alpha->px), sent_b);
	ck_assert_uint_eq(drops(&alpha->px) + drops(&bravo->px), 0);
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, NULL), 0);
	ck_assert_uint_eq(fake_ev_count(EV_UP, NULL), 0);
	/* and the new session carries both ways */
	d = capture_info(la, 3);
	ck_assert_uint_eq(get_session(d.buf), s1);
	free(d.buf);
	d = capture_info(lb, 4);
	ck_assert_uint_eq(get_session(d.buf), s1);
	free(d.buf);
}
END_TEST

/*
 * Packets sealed on the old key before the switch open after it, in
 * their own replay window, until the grace period ends.
 */
START_TEST(old_key_opens_for_the_grace_period_only)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");
	struct fake_dgram d1 = capture_info(la, 1), d2 = capture_info(la, 2);
	struct fake_dgram d3 = capture_info(la, 3);

	no_pmtu_rounds();
	link_rekey(la);
	fake_pump(500);
	ck_assert_uint_eq(lb->rekeys, 1);
	ck_assert_uint_ne(get_session(d1.buf), lb->session);
	fake_ev_len = 0;
	ck_assert(fake_deliver(&d1));
	ck_assert(fake_deliver(&d1));	/* replayed: the old window */
	ck_assert_uint_eq(info_count(&bravo->px), 1);
	ck_assert_uint_eq(bravo->px.st.drop_replay, 1);
	ck_assert(fake_deliver(&d2));
	ck_assert_uint_eq(info_count(&bravo->px), 2);
	/* the grace ends: the old session is unknown */
	live_seconds(LINK_REKEY_GRACE_S + 1);
	ck_assert_uint_eq(lb->old.session, 0);
	ck_assert(fake_deliver(&d3));
	ck_assert_uint_eq(info_count(&bravo->px), 2);
	ck_assert_uint_eq(bravo->px.st.drop_nosession, 1);
	ck_assert_int_eq(lb->state, LINK_UP);
	free(d1.buf);
	free(d2.buf);
	free(d3.buf);
}
END_TEST

/* The dialling side rekeys at rekey.time; the other one only later. */
START_TEST(rekey_time_starts_the_dialling_side)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");

	no_pmtu_rounds();
	alpha->conf.rekey_s = bravo->conf.rekey_s = 30;
	live_seconds(29);
	ck_assert_uint_eq(la->rekeys + lb->rekeys, 0);
	fake_now += SEC;
	link_tick(&bravo->px);
	ck_assert_ptr_null(lb->rk.ssl);		/* not bravo's turn */
	link_tick(&alpha->px);
	ck_assert_ptr_nonnull(la->rk.ssl);
	ck_assert(la->rk.ours);
	fake_pump(500);
	ck_assert_uint_eq(la->rekeys, 1);
	ck_assert_uint_eq(lb->rekeys, 1);
	ck_assert_uint_eq(la->session, lb->session);
	/* and again 30 s later, not before */
	live_seconds(29);
	ck_assert_uint_eq(la->rekeys, 1);
	live_seconds(2);
	ck_assert_uint_eq(la->rekeys, 2);
	ck_assert_uint_eq(lb->rekeys, 2);
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, NULL), 0);
}
END_TEST

/* When the dialling side does not, the other starts, FALLBACK_S late. */
START_TEST(answering_side_rekeys_when_the_other_does_not)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");

	no_pmtu_rounds();
	alpha->conf.rekey_s = 3600;
	bravo->conf.rekey_s = 30;
	live_seconds(30 + LINK_REKEY_FALLBACK_S - 1);
	ck_assert_uint_eq(lb->rekeys, 0);
	live_seconds(2);
	ck_assert_uint_eq(lb->rekeys, 1);
	ck_assert_uint_eq(la->rekeys, 1);
	ck_assert_uint_eq(la->session, lb->session);
}
END_TEST

/* Both start at once: the dialling side's handshake wins, one switch. */
START_TEST(crossed_rekeys_resolve_to_the_dialling_sides)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");
	uint32_t want;

	no_pmtu_rounds();
	fake_q_clear();
	link_rekey(la);
	link_rekey(lb);
	want = la->rk.session;
	ck_assert(lb->rk.ours);
	ck_assert_uint_ne(lb->rk.session, want);
	fake_pump(500);
	ck_assert_uint_eq(la->session, want);
	ck_assert_uint_eq(lb->session, want);
	ck_assert_uint_eq(la->rekeys, 1);
	ck_assert_uint_eq(lb->rekeys, 1);
	ck_assert_ptr_null(lb->rk.ssl);
	ck_assert_uint_eq(drops(&alpha->px) + drops(&bravo->px), 0);
}
END_TEST

/* 2^31 packets on a key start a rekey on either side. */
START_TEST(volume_starts_a_rekey_on_either_side)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");

	no_pmtu_rounds();
	lb->tx_seq = LINK_REKEY_PACKETS - 1;
	fake_now += SEC;
	link_tick(&bravo->px);
	ck_assert_ptr_null(lb->rk.ssl);
	send_info(lb, 1);
	fake_pump(10);
	link_tick(&bravo->px);
	ck_assert_ptr_nonnull(lb->rk.ssl);
	fake_pump(500);
	ck_assert_uint_eq(lb->rekeys, 1);
	ck_assert_uint_eq(la->rekeys, 1);
	ck_assert_uint_lt(lb->tx_seq, 100);
}
END_TEST

/* Nothing is sealed beyond the hard limit: the link closes instead. */
START_TEST(key_at_the_hard_limit_seals_nothing_and_closes)
{
	struct link *la = make_up_pair();
	const struct fake_ev *e;

	no_pmtu_rounds();
	la->tx_seq = LINK_SEAL_MAX - 1;
	la->rekey_after_us = UINT64_MAX;	/* the rekey keeps failing */
	fake_q_clear();
	send_info(la, 1);			/* the last one allowed */
	ck_assert_uint_eq(fake_q_len, 1);
	ck_assert_uint_eq(la->tx_seq, LINK_SEAL_MAX);
	ck_assert_int_eq(link_send_msg(la, &(struct pkt_msg){
	    .type = PKT_MSG_INFO }), -1);
	ck_assert_uint_eq(fake_q_len, 1);	/* nothing more sealed */
	fake_q_clear();
	fake_now += SEC;
	link_tick(&alpha->px);
	ck_assert_int_eq(la->state, LINK_IDLE);
	e = fake_ev_last(EV_DOWN, &alpha->px);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(strstr(e->reason, "key used up"));
}
END_TEST

/*
 * A rekey verifies the peer against the CA in force now: after alpha's
 * CA changed (a reload), the rekey refuses bravo and the link closes on
 * both sides, with the reason.
 */
START_TEST(rekey_reverifies_the_peer_against_the_current_ca)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");
	char otherca[300];
	SSL_CTX *old = alpha->px.ssl_ctx;
	const struct fake_ev *e;

	no_pmtu_rounds();
	snprintf(otherca, sizeof(otherca), "%s", alpha->ca);
	*strrchr(otherca, '/') = '\0';
	strncat(otherca, "/otherca.crt", sizeof(otherca) - strlen(otherca) - 1);
	alpha->conf.tls_ca = otherca;
	alpha->px.ssl_ctx = tls_ctx_new(&alpha->conf);
	alpha->conf.tls_ca = alpha->ca;
	ck_assert_ptr_nonnull(alpha->px.ssl_ctx);
	SSL_CTX_free(old);
	ck_assert_uint_eq(link_rekey_all(&alpha->px), 1);
	fake_now += SEC;
	link_tick(&alpha->px);
	fake_pump(500);
	ck_assert_int_eq(la->state, LINK_IDLE);
	e = fake_ev_last(EV_DOWN, &alpha->px);
	ck_assert_ptr_nonnull(e);
	ck_assert_msg(strstr(e->reason, "rekey: certificate refused") != NULL,
	    "reason: %s", e->reason);
	ck_assert_uint_eq(alpha->px.st.auth_refused, 1);
	ck_assert_ptr_null(link_find(&bravo->px, "alpha"));
	(void)lb;
}
END_TEST

/* After a reload with the same CA, every link rekeys and stays up. */
START_TEST(rekey_all_rekeys_every_up_link_in_the_background)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");

	no_pmtu_rounds();
	ck_assert_uint_eq(link_rekey_all(&bravo->px), 1);	/* answering side */
	ck_assert(lb->rekey_now);
	fake_now += SEC;
	link_tick(&bravo->px);
	ck_assert_ptr_nonnull(lb->rk.ssl);
	fake_pump(500);
	ck_assert_uint_eq(lb->rekeys, 1);
	ck_assert_uint_eq(la->rekeys, 1);
	ck_assert(!lb->rekey_now);
	live_seconds(3);
	ck_assert_uint_eq(lb->rekeys, 1);	/* once */
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, NULL), 0);
}
END_TEST

/* A rekey whose handshake is lost is dropped; the link goes on. */
START_TEST(lost_rekey_is_dropped_and_retried)
{
	struct link *la = make_up_pair(), *lb = link_find(&bravo->px, "alpha");
	uint32_t s0 = la->session;

	no_pmtu_rounds();
	alpha->conf.rekey_s = bravo->conf.rekey_s = 3600;
	link_rekey(la);
	fake_q_clear();			/* the ClientHello is lost */
	live_seconds(LINK_HS_TIMEOUT_S + 1);
	ck_assert_ptr_null(la->rk.ssl);
	ck_assert_uint_eq(alpha->px.st.rekey_failed, 1);
	ck_assert_int_eq(la->state, LINK_UP);
	ck_assert_uint_eq(la->session, s0);
	ck_assert_uint_eq(la->rekeys, 0);
	la->rekey_now = true;		/* due again: after the retry delay */
	live_seconds(LINK_REKEY_RETRY_S - 2);
	ck_assert_uint_eq(la->rekeys, 0);
	live_seconds(2);
	ck_assert_uint_eq(la->rekeys, 1);
	ck_assert_uint_eq(lb->rekeys, 1);
}
END_TEST

/* A peer certificate past its notAfter closes the link, named. */
START_TEST(expired_peer_certificate_closes_the_link)
{
	struct link *la = make_up_pair();
	const struct fake_ev *e;

	ck_assert_int_gt(la->peer_not_after, time(NULL));
	la->peer_not_after = time(NULL) - 1;
	fake_now += SEC;
	link_tick(&alpha->px);
	ck_assert_int_eq(la->state, LINK_IDLE);
	e = fake_ev_last(EV_DOWN, &alpha->px);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->name, "bravo");
	ck_assert_ptr_nonnull(strstr(e->reason, "certificate expired"));
	ck_assert_uint_eq(alpha->px.st.expired_closed, 1);
	fake_pump(10);			/* bravo is told */
	ck_assert_ptr_null(link_find(&bravo->px, "alpha"));
}
END_TEST


/* Happy Eyeballs after the race */

/*
 * alpha's link to bravo as a lookup of a name with an AAAA and an A record
 * leaves it: IPv6 first, IPv4 the other family (lookup_done()).
 */
static struct link *
make_dual_pair(void)
{
	struct link *l;

	make_pair();
	l = link_named(&alpha->px, "bravo");
	ck_assert_ptr_nonnull(l);
	l->named = true;
	l->resolved = true;
	l->peer = bravo->px.socks6[PSOCK_PRIMARY].local;
	l->dns_addr = l->peer;
	l->alt_peer = node_addr(bravo, PSOCK_PRIMARY);
	l->lookup_us = UINT64_MAX;	/* no DNS here */
	return l;
}

/* LINK_RACE_MS have passed: the race timer of l fires. */
static void
fire_race(struct link *l)
{
	event_active(l->race_timer, EV_TIMEOUT, 1);
	event_base_loop(l->px->base, EVLOOP_NONBLOCK);
}

/* Moves queued IPv6 datagrams to held[] (NULL: dropped). */
static void
hold_v6(struct fake_dgram *held, size_t *n, size_t max)
{
	struct fake_dgram keep[FAKE_Q_MAX], d;
	size_t k = 0;

	while (fake_q_pop(&d)) {
		if (d.to.family != AF_INET6)
			keep[k++] = d;
		else if (held != NULL && *n < max)
			held[(*n)++] = d;
		else
			free(d.buf);
	}
	for (size_t i = 0; i < k; i++)
		fake_q[fake_q_len++] = keep[i];
}

/* fake_pump(), IPv6 held back (or dropped) the whole time. */
static void
pump_v4(struct fake_dgram *held, size_t *n, size_t max)
{
	for (int i = 0; i < 400; i++) {
		hold_v6(held, n, max);
		if (fake_pump(1) == 0)
			break;
	}
	hold_v6(held, n, max);
}

/* The only link of n, up over family, or a failed check. */
static struct link *
only_link(struct node *n, int family)
{
	struct link *l = n->px.links;

	ck_assert_uint_eq(links_count(&n->px, -1), 1);
	ck_assert_int_eq(l->state, LINK_UP);
	ck_assert_int_eq(l->peer.family, family);
	return l;
}

/*
 * IPv4 wins the race (the IPv6 handshake is slow), then the IPv6
 * handshake completes: the link moves to IPv6 on both ends without a down
 * or a second up, the answering side by the announced session (not as a
 * restart or a clone), and a packet sealed under the IPv4 keys before the
 * move still arrives after it, without moving the link back.
 */
START_TEST(ipv4_first_then_ipv6_takes_over)
{
	struct fake_dgram held[32], old;
	struct pkt_msg info = { .type = PKT_MSG_INFO };
	struct link *l6 = make_dual_pair(), *la, *lb;
	size_t nheld = 0;

	link_tick(&alpha->px);		/* IPv6 dialled first */
	hold_v6(held, &nheld, 32);
	ck_assert_uint_eq(nheld, 1);
	fire_race(l6);			/* no link after LINK_RACE_MS */
	ck_assert_uint_eq(alpha->px.st.link_races, 1);
	pump_v4(held, &nheld, 32);
	la = link_find(&alpha->px, "bravo");
	lb = link_find(&bravo->px, "alpha");
	ck_assert_ptr_nonnull(la);
	ck_assert_ptr_nonnull(lb);
	ck_assert_int_eq(la->peer.family, AF_INET);
	ck_assert_int_eq(lb->peer.family, AF_INET);
	/* the IPv6 handshake goes on beside, announced to bravo */
	ck_assert_int_eq(l6->state, LINK_HANDSHAKE);
	ck_assert(l6->moving && l6->v6_try);
	ck_assert_uint_eq(alpha->px.st.family_upgrade_tries, 1);
	ck_assert_uint_eq(lb->move_session, l6->session);
	ck_assert_uint_eq(fake_ev_count(EV_UP, NULL), 2);
	/* a packet bravo seals under the IPv4 keys, in flight */
	old = capture_msg(lb, &info);
	ck_assert_int_eq(old.to.family, AF_INET);
	for (size_t i = 0; i < nheld; i++) {
		fake_deliver(&held[i]);
		free(held[i].buf);
	}
	fake_pump(400);
	ck_assert_ptr_eq(only_link(alpha, AF_INET6), la);
	ck_assert_ptr_eq(only_link(bravo, AF_INET6), lb);
	ck_assert_uint_eq(la->upgrades, 1);
	ck_assert_uint_eq(lb->upgrades, 1);
	ck_assert_uint_eq(alpha->px.st.family_upgrades, 1);
	ck_assert_uint_eq(bravo->px.st.family_upgrades, 1);
	ck_assert_uint_eq(la->session, lb->session);
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, NULL), 0);
	ck_assert_uint_eq(fake_ev_count(EV_UP, NULL), 2);
	ck_assert_uint_eq(bravo->px.st.clones_detected, 0);
	/* the name's other address is the IPv4 one now */
	ck_assert_int_eq(la->alt_peer.family, AF_INET);
	/* the packet in flight arrives, and alpha stays on IPv6 */
	fake_ev_len = 0;
	ck_assert(fake_deliver(&old));
	free(old.buf);
	ck_assert_uint_eq(fake_ev_count(EV_MSG, &alpha->px), 1);
	ck_assert_int_eq(fake_ev_last(EV_MSG, &alpha->px)->type,
	    PKT_MSG_INFO);
	ck_assert_int_eq(la->peer.family, AF_INET6);
	/* and the new session carries both ways */
	old = capture_msg(la, &info);
	ck_assert_int_eq(old.to.family, AF_INET6);
	ck_assert(fake_deliver(&old));
	free(old.buf);
	ck_assert_uint_eq(fake_ev_count(EV_MSG, &bravo->px), 1);
}
END_TEST

/*
 * IPv6 broken: the link stays up on IPv4, with no down event, and IPv6 is
 * tried again beside it, one try at a time, each failure counted and the
 * wait after it doubling from LINK_V6_RETRY_MIN_S.
 */
START_TEST(ipv6_broken_keeps_ipv4_and_backs_off)
{
	struct link *l6 = make_dual_pair(), *la;
	uint64_t start[16], fail[16], tries, failed;
	size_t ns = 0, nf = 0;

	link_tick(&alpha->px);
	hold_v6(NULL, NULL, 0);
	fire_race(l6);
	pump_v4(NULL, NULL, 0);
	la = link_find(&alpha->px, "bravo");
	ck_assert_ptr_nonnull(la);
	ck_assert_int_eq(la->peer.family, AF_INET);
	fake_ev_len = 0;
	tries = alpha->px.st.family_upgrade_tries;
	failed = alpha->px.st.family_upgrade_failed;
	start[ns++] = fake_now;
	for (int sec = 0; sec < 400; sec++) {
		fake_now += SEC;
		link_tick(&alpha->px);
		link_tick(&bravo->px);
		pump_v4(NULL, NULL, 0);
		if (alpha->px.st.family_upgrade_failed != failed && nf < 16)
			fail[nf++] = fake_now;
		if (alpha->px.st.family_upgrade_tries != tries && ns < 16)
			start[ns++] = fake_now;
		tries = alpha->px.st.family_upgrade_tries;
		failed = alpha->px.st.family_upgrade_failed;
		/* one try at a time */
		ck_assert_uint_le(links_count(&alpha->px, LINK_HANDSHAKE), 1);
	}
	ck_assert_ptr_eq(only_link(alpha, AF_INET), la);
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, NULL), 0);
	ck_assert_uint_eq(alpha->px.st.family_upgrades, 0);
	/* bounded: 5, 10, 20, 40, 80, 160 s after each failure */
	ck_assert_uint_ge(ns, 6);
	ck_assert_uint_le(ns, 8);
	ck_assert_uint_ge(nf, ns - 1);
	for (size_t i = 1; i < ns && i <= nf; i++) {
		uint64_t wait = (start[i] - fail[i - 1]) / SEC;

		ck_assert_uint_eq(wait, (uint64_t)LINK_V6_RETRY_MIN_S <<
		    (i - 1));
	}
	ck_assert_uint_eq(la->v6_failed, nf);
}
END_TEST

/*
 * Both families' handshakes run at once, in three interleavings (IPv6's
 * datagrams first, IPv4's first, strictly alternating): every one ends
 * with one link on each side, over IPv6, the same session, and neither
 * side saw a down event or a second up.
 */
START_TEST(both_families_at_once_end_on_ipv6)
{
	struct link *l6 = make_dual_pair();
	int prefer = _i;	/* 0: IPv6 first, 1: IPv4 first, 2: turns */

	link_tick(&alpha->px);
	fire_race(l6);
	for (int step = 0; step < 1000 && fake_q_len > 0; step++) {
		int want = prefer == 0 ? AF_INET6 : prefer == 1 ? AF_INET :
		    step % 2 == 0 ? AF_INET6 : AF_INET;
		size_t pick = 0;
		struct fake_dgram d;

		for (size_t i = 0; i < fake_q_len; i++)
			if (fake_q[i].to.family == want) {
				pick = i;
				break;
			}
		d = fake_q[pick];
		memmove(&fake_q[pick], &fake_q[pick + 1],
		    (fake_q_len - pick - 1) * sizeof(fake_q[0]));
		fake_q_len--;
		fake_now += MSEC;	/* a datagram a millisecond */
		fake_deliver(&d);
		free(d.buf);
	}
	ck_assert_uint_eq(fake_q_len, 0);
	ck_assert_uint_eq(only_link(alpha, AF_INET6)->session,
	    only_link(bravo, AF_INET6)->session);
	ck_assert_uint_eq(fake_ev_count(EV_DOWN, NULL), 0);
	ck_assert_uint_eq(fake_ev_count(EV_UP, &alpha->px), 1);
	ck_assert_uint_eq(fake_ev_count(EV_UP, &bravo->px), 1);
}
END_TEST

static Suite *
link_suite(void)
{
	Suite *s = suite_create("link");
	TCase *tc;

	tc = tcase_create("handshake");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, handshake_brings_both_ends_up_once);
	tcase_add_test(tc, handshake_refuses_certificate_of_other_name);
	tcase_add_test(tc, handshake_refuses_certificate_of_other_ca);
	tcase_add_test(tc, handshake_refuses_inbound_certificate_of_own_name);
	tcase_add_test(tc, handshake_from_other_address_is_dropped);
	tcase_add_test(tc, handshake_on_alternate_socket_is_malformed);
	suite_add_tcase(s, tc);

	tc = tcase_create("cookies");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unproven_handshake_gets_only_a_cookie);
	tcase_add_test(tc, handshake_with_its_cookie_is_answered);
	tcase_add_test(tc, cookie_of_other_source_or_session_is_refused);
	tcase_add_test(tc, cookie_outlives_one_key_rotation_only);
	tcase_add_test(tc, inbound_handshakes_from_one_source_are_capped);
	tcase_add_test(tc, inbound_handshakes_are_capped);
	suite_add_tcase(s, tc);

	tc = tcase_create("sealed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sealed_message_reaches_peer_with_its_type);
	tcase_add_test(tc, data_frame_in_send_batch_is_sealed_and_delivered);
	tcase_add_test(tc, data_frame_outside_send_batch_is_sent_at_once);
	tcase_add_test(tc, sending_on_a_link_not_up_fails);
	tcase_add_loop_test(tc, tampered_datagram_counts_drop_auth, 0,
	    (int)(sizeof(tamper_at) / sizeof(tamper_at[0])));
	tcase_add_test(tc, replayed_datagram_counts_drop_replay);
	tcase_add_test(tc, reordered_datagrams_within_window_pass);
	tcase_add_test(tc, unknown_session_counts_drop_nosession);
	tcase_add_test(tc,
	    datagram_for_a_link_closed_lately_counts_drop_closed);
	tcase_add_test(tc, sealed_for_link_in_handshake_counts_drop_nosession);
	tcase_add_loop_test(tc, malformed_header_counts_drop_malformed, 0,
	    (int)(sizeof(bad_hdr) / sizeof(bad_hdr[0])));
	tcase_add_test(tc, undecodable_message_counts_drop_malformed);
	tcase_add_test(tc, authenticated_datagram_from_new_address_moves_link);
	suite_add_tcase(s, tc);

	tc = tcase_create("unauth");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, probe_and_punch_go_to_unauth_with_nonce, 0,
	    (int)sizeof(unauth_types));
	suite_add_tcase(s, tc);

	tc = tcase_create("keepalive");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, keepalive_ack_sets_rtt);
	tcase_add_test(tc, keepalive_ack_of_older_keepalive_is_ignored);
	tcase_add_test(tc, keepalives_keep_a_link_up);
	suite_add_tcase(s, tc);

	tc = tcase_create("pmtu");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, path_mtu_measured_at_link_up, 1300, 1301);
	tcase_add_loop_test(tc, path_mtu_measured_at_link_up, 1400, 1401);
	tcase_add_loop_test(tc, path_mtu_measured_at_link_up, 1492, 1493);
	tcase_add_loop_test(tc, path_mtu_measured_at_link_up, 1500, 1501);
	tcase_add_test(tc, path_mtu_follows_a_shrinking_path);
	tcase_add_loop_test(tc, oversized_data_is_split_and_joined, 0, 2);
	tcase_add_test(tc, split_data_with_a_lost_piece_is_dropped);
	tcase_add_test(tc, data_too_large_even_split_is_dropped);
	suite_add_tcase(s, tc);

	tc = tcase_create("dead");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, dead_after_is_three_intervals_or_fixed, 0,
	    (int)(sizeof(dead_cases) / sizeof(dead_cases[0])));
	tcase_add_test(tc, silent_link_is_closed_after_dead_time);
	tcase_add_test(tc, fixed_dead_time_closes_sooner);
	suite_add_tcase(s, tc);

	tc = tcase_create("backoff");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, backoff_doubles_to_the_maximum_on_failed_attempts);
	tcase_add_test(tc, backoff_resets_after_an_up_link_dies);
	suite_add_tcase(s, tc);

	tc = tcase_create("close");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, configured_link_returns_to_idle_on_close);
	tcase_add_test(tc, inbound_link_is_freed_on_close);
	tcase_add_test(tc, dialled_once_link_is_freed_on_close);
	tcase_add_test(tc, aborted_dial_is_freed_without_down);
	tcase_add_test(tc, peer_close_message_takes_link_down);
	tcase_add_test(tc, shutdown_tells_the_peer);
	suite_add_tcase(s, tc);

	tc = tcase_create("duplicates");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, link_wins_over_follows_the_rule, 0,
	    (int)(sizeof(win_cases) / sizeof(win_cases[0])));
	tcase_add_test(tc, crossed_handshakes_resolve_to_one_link);
	tcase_add_test(tc, restarted_peer_replaces_the_old_link);
	tcase_add_test(tc, cloned_peer_is_detected_and_refused);
	tcase_add_test(tc, restart_at_new_address_is_no_clone);
	suite_add_tcase(s, tc);

	tc = tcase_create("rekey");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, rekey_under_traffic_loses_nothing);
	tcase_add_test(tc, old_key_opens_for_the_grace_period_only);
	tcase_add_test(tc, rekey_time_starts_the_dialling_side);
	tcase_add_test(tc, answering_side_rekeys_when_the_other_does_not);
	tcase_add_test(tc, crossed_rekeys_resolve_to_the_dialling_sides);
	tcase_add_test(tc, volume_starts_a_rekey_on_either_side);
	tcase_add_test(tc, key_at_the_hard_limit_seals_nothing_and_closes);
	tcase_add_test(tc, rekey_reverifies_the_peer_against_the_current_ca);
	tcase_add_test(tc, rekey_all_rekeys_every_up_link_in_the_background);
	tcase_add_test(tc, lost_rekey_is_dropped_and_retried);
	tcase_add_test(tc, expired_peer_certificate_closes_the_link);
	suite_add_tcase(s, tc);

	tc = tcase_create("happy_eyeballs");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ipv4_first_then_ipv6_takes_over);
	tcase_add_test(tc, ipv6_broken_keeps_ipv4_and_backs_off);
	tcase_add_loop_test(tc, both_families_at_once_end_on_ipv6, 0, 3);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	char dir[] = "/tmp/check_link.XXXXXX";
	SRunner *sr;
	int failed;

	log_init(1, getenv("CHECK_LINK_LOG") != NULL ? LOG_LVL_DEBUG :
	    LOG_LVL_ERROR, "check_link");
	if (mkdtemp(dir) == NULL || fake_certs_make(dir, cert_names,
	    sizeof(cert_names) / sizeof(cert_names[0])) == -1) {
		fprintf(stderr, "check_link: cannot make certificates in %s\n",
		    dir);
		return 99;
	}
	sr = srunner_create(link_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	fake_certs_remove();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
