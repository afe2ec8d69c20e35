/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests for lib/pkt.c: golden byte vectors written
 * by hand from the wire format in pkt.h, round trips, truncation at every
 * offset, and one case per rejection rule of the decoders and encoder.
 * Inputs are copied into exactly-sized heap buffers so ASan sees over-reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <check.h>

#include "buf.h"
#include "pkt.h"

/* Decodes from a heap copy of exactly n bytes. */
static int
msg_dec(const uint8_t *p, size_t n, struct pkt_msg *m, const char **why)
{
	uint8_t *copy = malloc(n > 0 ? n : 1);
	int rv;

	ck_assert_ptr_nonnull(copy);
	if (n > 0)
		memcpy(copy, p, n);
	*why = NULL;
	rv = pkt_msg_decode(copy, n, m, why);
	/* DATA borrows the input: callers that need it use pkt_msg_decode. */
	if (rv == 0 && m->type == PKT_MSG_DATA)
		m->u.data.ip = p + (m->u.data.ip - copy);
	free(copy);
	return rv;
}

static int
hdr_dec(const uint8_t *p, size_t n, struct pkt_hdr *h, const char **why)
{
	uint8_t *copy = malloc(n > 0 ? n : 1);
	int rv;

	ck_assert_ptr_nonnull(copy);
	if (n > 0)
		memcpy(copy, p, n);
	*why = NULL;
	rv = pkt_hdr_decode(copy, n, h, why);
	if (rv == 0)
		h->body = p + (h->body - copy);
	free(copy);
	return rv;
}

/* Fails the test unless decoding p fails with reason 'want'. */
static void
msg_rejects(const uint8_t *p, size_t n, const char *want)
{
	struct pkt_msg m;
	const char *why;

	ck_assert_int_eq(msg_dec(p, n, &m, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, want);
}

/* ---- golden vectors ---------------------------------------------------- */

static const uint8_t g_hdr_hs[] = {
	0x01, 0x01, 0xde, 0xad, 0xbe, 0xef,	/* v1, HS, session */
	0x16, 0xfe, 0xfd, 0x00, 0x00,		/* DTLS record start */
};

static const uint8_t g_hdr_sealed[] = {
	0x01, 0x02, 0x00, 0x00, 0x00, 0x2a,	/* v1, SEALED, session 42 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x07,	/* seq 0x107 */
	0x99,					/* 1 byte ciphertext */
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,	/* tag */
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};

static const uint8_t g_keepalive[] = {
	0x01,					/* KEEPALIVE */
	0x00, 0x00, 0x00, 0x01,			/* id 1 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x42, 0x40,	/* 1000000 us */
	0x00, 0x00, 0x27, 0x10,			/* 10000 ms */
};

static const uint8_t g_keepalive_ack[] = {
	0x02,					/* KEEPALIVE_ACK */
	0x12, 0x34, 0x56, 0x78,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x00, 0x00, 0x75, 0x30,			/* 30000 ms */
};

static const uint8_t g_announce[] = {
	0x03,					/* ANNOUNCE */
	0x00, 0x00, 0x01, 0x00,			/* seq 256 */
	0x00, 0x03,				/* 3 routes */
	0x04, 0x18, 0x0a, 0x01, 0x02, 0x00,	/* 10.1.2.0/24 */
	0x00, 0x01, 'b',			/* hops 0, "b" */
	0x04, 0x20, 0xc0, 0x00, 0x02, 0x01,	/* 192.0.2.1/32 */
	0x02, 0x05, 'c', '.', 'x', '_', '-',	/* hops 2, "c.x_-" */
	0x04, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 0.0.0.0/0 */
	0x40, 0x03, 'Z', '9', 'a',		/* hops 64, "Z9a" */
};

static const uint8_t g_announce_empty[] = {
	0x03, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
};

/* ICMP 192.0.2.1 -> 198.51.100.2, header only */
static const uint8_t g_ip[] = {
	0x45, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00,
	0x40, 0x01, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x01,
	0xc6, 0x33, 0x64, 0x02,
};

static const uint8_t g_data[] = {
	0x04, 0x10,				/* DATA, ttl 16 */
	0x45, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00,
	0x40, 0x01, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x01,
	0xc6, 0x33, 0x64, 0x02,
};

static const uint8_t g_close[] = { 0x05, 0x01 };
static const uint8_t g_close_replaced[] = { 0x05, 0x02 };

static void
route_set(struct pkt_route *rt, uint8_t plen, const char *addr, uint8_t hops,
    const char *origin)
{
	memset(rt, 0, sizeof(*rt));
	rt->plen = plen;
	ck_assert_int_eq(inet_pton(AF_INET, addr, &rt->addr), 1);
	rt->hops = hops;
	ck_assert_uint_lt(strlen(origin), sizeof(rt->origin));
	strcpy(rt->origin, origin);
}

static void
build_keepalive(struct pkt_msg *m)
{
	m->type = PKT_MSG_KEEPALIVE;
	m->u.ka.id = 1;
	m->u.ka.time_us = 1000000;
	m->u.ka.interval_ms = 10000;
}

static void
build_keepalive_ack(struct pkt_msg *m)
{
	m->type = PKT_MSG_KEEPALIVE_ACK;
	m->u.ka.id = 0x12345678;
	m->u.ka.time_us = 0x0102030405060708ULL;
	m->u.ka.interval_ms = 30000;
}

static void
build_announce(struct pkt_msg *m)
{
	m->type = PKT_MSG_ANNOUNCE;
	m->u.ann.seq = 256;
	m->u.ann.count = 3;
	route_set(&m->u.ann.routes[0], 24, "10.1.2.0", 0, "b");
	route_set(&m->u.ann.routes[1], 32, "192.0.2.1", 2, "c.x_-");
	route_set(&m->u.ann.routes[2], 0, "0.0.0.0", 64, "Z9a");
}

static void
build_announce_empty(struct pkt_msg *m)
{
	m->type = PKT_MSG_ANNOUNCE;
	m->u.ann.seq = UINT32_MAX;
	m->u.ann.count = 0;
}

static void
build_data(struct pkt_msg *m)
{
	m->type = PKT_MSG_DATA;
	m->u.data.ttl = 16;
	m->u.data.ip = g_ip;
	m->u.data.ip_len = sizeof(g_ip);
}

static void
build_close(struct pkt_msg *m)
{
	m->type = PKT_MSG_CLOSE;
	m->u.close_reason = PKT_CLOSE_SHUTDOWN;
}

static void
build_close_replaced(struct pkt_msg *m)
{
	m->type = PKT_MSG_CLOSE;
	m->u.close_reason = PKT_CLOSE_REPLACED;
}

static const struct golden {
	const char	*name;
	const uint8_t	*bytes;
	size_t		 len;
	void		(*build)(struct pkt_msg *);
} goldens[] = {
#define G(arr, fn)	{ #arr, arr, sizeof(arr), fn }
	G(g_keepalive, build_keepalive),
	G(g_keepalive_ack, build_keepalive_ack),
	G(g_announce, build_announce),
	G(g_announce_empty, build_announce_empty),
	G(g_data, build_data),
	G(g_close, build_close),
	G(g_close_replaced, build_close_replaced),
#undef G
};
#define NGOLDEN	((int)(sizeof(goldens) / sizeof(goldens[0])))

static void
assert_msg_eq(const struct pkt_msg *a, const struct pkt_msg *b)
{
	uint16_t i;

	ck_assert_uint_eq(a->type, b->type);
	switch (a->type) {
	case PKT_MSG_KEEPALIVE:
	case PKT_MSG_KEEPALIVE_ACK:
		ck_assert_uint_eq(a->u.ka.id, b->u.ka.id);
		ck_assert_uint_eq(a->u.ka.time_us, b->u.ka.time_us);
		ck_assert_uint_eq(a->u.ka.interval_ms, b->u.ka.interval_ms);
		break;
	case PKT_MSG_ANNOUNCE:
		ck_assert_uint_eq(a->u.ann.seq, b->u.ann.seq);
		ck_assert_uint_eq(a->u.ann.count, b->u.ann.count);
		for (i = 0; i < a->u.ann.count; i++) {
			const struct pkt_route *x = &a->u.ann.routes[i];
			const struct pkt_route *y = &b->u.ann.routes[i];

			ck_assert_uint_eq(x->plen, y->plen);
			ck_assert_uint_eq(x->addr.s_addr, y->addr.s_addr);
			ck_assert_uint_eq(x->hops, y->hops);
			ck_assert_str_eq(x->origin, y->origin);
		}
		break;
	case PKT_MSG_DATA:
		ck_assert_uint_eq(a->u.data.ttl, b->u.data.ttl);
		ck_assert_uint_eq(a->u.data.ip_len, b->u.data.ip_len);
		ck_assert_mem_eq(a->u.data.ip, b->u.data.ip, a->u.data.ip_len);
		break;
	case PKT_MSG_CLOSE:
		ck_assert_uint_eq(a->u.close_reason, b->u.close_reason);
		break;
	default:
		ck_abort_msg("unexpected type %u", a->type);
	}
}

/* ---- outer header ------------------------------------------------------ */

START_TEST(hdr_decode_reads_golden_hs)
{
	struct pkt_hdr h;
	const char *why;

	ck_assert_int_eq(hdr_dec(g_hdr_hs, sizeof(g_hdr_hs), &h, &why), 0);
	ck_assert_uint_eq(h.version, PKT_VERSION);
	ck_assert_uint_eq(h.type, PKT_HS);
	ck_assert_uint_eq(h.session, 0xdeadbeef);
	ck_assert_uint_eq(h.seq, 0);
	ck_assert_ptr_eq(h.body, g_hdr_hs + PKT_HDR_LEN);
	ck_assert_uint_eq(h.body_len, sizeof(g_hdr_hs) - PKT_HDR_LEN);
}
END_TEST

START_TEST(hdr_decode_reads_golden_sealed)
{
	struct pkt_hdr h;
	const char *why;

	ck_assert_int_eq(hdr_dec(g_hdr_sealed, sizeof(g_hdr_sealed), &h,
	    &why), 0);
	ck_assert_uint_eq(h.type, PKT_SEALED);
	ck_assert_uint_eq(h.session, 42);
	ck_assert_uint_eq(h.seq, 0x107);
	ck_assert_ptr_eq(h.body, g_hdr_sealed + PKT_SEALED_HDR_LEN);
	ck_assert_uint_eq(h.body_len, 1 + PKT_TAG_LEN);
}
END_TEST

START_TEST(hdr_encode_matches_golden)
{
	uint8_t out[64];
	struct buf_wr w;

	buf_wr_init(&w, out, sizeof(out));
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_HS, 0xdeadbeef, 99), 0);
	ck_assert_uint_eq(w.off, PKT_HDR_LEN);
	ck_assert_mem_eq(out, g_hdr_hs, PKT_HDR_LEN);

	buf_wr_init(&w, out, sizeof(out));
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_SEALED, 42, 0x107), 0);
	ck_assert_uint_eq(w.off, PKT_SEALED_HDR_LEN);
	ck_assert_mem_eq(out, g_hdr_sealed, PKT_SEALED_HDR_LEN);
}
END_TEST

START_TEST(hdr_decode_rejects_truncated)
{
	struct pkt_hdr h;
	const char *why;
	size_t n;

	for (n = 0; n < PKT_HDR_LEN; n++) {
		ck_assert_int_eq(hdr_dec(g_hdr_hs, n, &h, &why), -1);
		ck_assert_str_eq(why, "truncated");
	}
	ck_assert_int_eq(hdr_dec(g_hdr_hs, n, &h, &why), -1);
	ck_assert_str_eq(why, "empty handshake body");
	for (n = 0; n < PKT_SEALED_HDR_LEN; n++) {
		ck_assert_int_eq(hdr_dec(g_hdr_sealed, n, &h, &why), -1);
		ck_assert_str_eq(why, "truncated");
	}
	for (; n < PKT_SEALED_HDR_LEN + PKT_TAG_LEN; n++) {
		ck_assert_int_eq(hdr_dec(g_hdr_sealed, n, &h, &why), -1);
		ck_assert_str_eq(why, "sealed body shorter than tag");
	}
}
END_TEST

START_TEST(hdr_decode_rejects_unknown_version)
{
	static const uint8_t versions[] = { 0, 2, 0x10, 0xff };
	uint8_t p[sizeof(g_hdr_hs)];
	struct pkt_hdr h;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(versions); i++) {
		memcpy(p, g_hdr_hs, sizeof(p));
		p[0] = versions[i];
		ck_assert_int_eq(hdr_dec(p, sizeof(p), &h, &why), -1);
		ck_assert_str_eq(why, "unknown version");
		/* The version is judged before anything else is read. */
		ck_assert_int_eq(hdr_dec(p, 1, &h, &why), -1);
		ck_assert_str_eq(why, "unknown version");
	}
}
END_TEST

START_TEST(hdr_decode_rejects_unknown_type)
{
	static const uint8_t types[] = { 0, 3, 0x80, 0xff };
	uint8_t p[sizeof(g_hdr_sealed)];
	struct pkt_hdr h;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		memcpy(p, g_hdr_sealed, sizeof(p));
		p[1] = types[i];
		ck_assert_int_eq(hdr_dec(p, sizeof(p), &h, &why), -1);
		ck_assert_str_eq(why, "unknown type");
	}
}
END_TEST

START_TEST(hdr_decode_rejects_empty_hs_body)
{
	struct pkt_hdr h;
	const char *why;

	ck_assert_int_eq(hdr_dec(g_hdr_hs, PKT_HDR_LEN, &h, &why), -1);
	ck_assert_str_eq(why, "empty handshake body");
	ck_assert_int_eq(hdr_dec(g_hdr_hs, PKT_HDR_LEN + 1, &h, &why), 0);
	ck_assert_uint_eq(h.body_len, 1);
}
END_TEST

START_TEST(hdr_decode_rejects_sealed_body_shorter_than_tag)
{
	struct pkt_hdr h;
	const char *why;
	size_t tag_only = PKT_SEALED_HDR_LEN + PKT_TAG_LEN;

	/* g_hdr_sealed minus its ciphertext byte: 15 tag bytes left */
	ck_assert_int_eq(hdr_dec(g_hdr_sealed, tag_only - 1, &h, &why), -1);
	ck_assert_str_eq(why, "sealed body shorter than tag");
	/* An empty plaintext (tag only) is well-formed at this layer. */
	ck_assert_int_eq(hdr_dec(g_hdr_sealed, tag_only, &h, &why), 0);
	ck_assert_uint_eq(h.body_len, PKT_TAG_LEN);
}
END_TEST

START_TEST(hdr_decode_rejects_oversized_datagram)
{
	uint8_t *p = calloc(1, PKT_MAX + 1);
	struct pkt_hdr h;
	const char *why;

	ck_assert_ptr_nonnull(p);
	memcpy(p, g_hdr_hs, sizeof(g_hdr_hs));
	ck_assert_int_eq(pkt_hdr_decode(p, PKT_MAX, &h, &why), 0);
	ck_assert_uint_eq(h.body_len, PKT_MAX - PKT_HDR_LEN);
	ck_assert_int_eq(pkt_hdr_decode(p, PKT_MAX + 1, &h, &why), -1);
	ck_assert_str_eq(why, "datagram too long");
	free(p);
}
END_TEST

START_TEST(hdr_encode_fails_without_space)
{
	uint8_t out[PKT_SEALED_HDR_LEN];
	struct buf_wr w;

	buf_wr_init(&w, out, PKT_HDR_LEN - 1);
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_HS, 1, 0), -1);
	ck_assert_str_eq(w.err, "no space");
	buf_wr_init(&w, out, PKT_SEALED_HDR_LEN - 1);
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_SEALED, 1, 0), -1);
	buf_wr_init(&w, out, PKT_HDR_LEN);
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_HS, 1, 0), 0);
	buf_wr_init(&w, out, PKT_SEALED_HDR_LEN);
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_SEALED, 1, 0), 0);
}
END_TEST

START_TEST(hdr_encode_rejects_unknown_type)
{
	uint8_t out[64];
	struct buf_wr w;

	buf_wr_init(&w, out, sizeof(out));
	ck_assert_int_eq(pkt_hdr_encode(&w, 0, 1, 0), -1);
	ck_assert_uint_eq(w.off, 0);
	buf_wr_init(&w, out, sizeof(out));
	ck_assert_int_eq(pkt_hdr_encode(&w, 3, 1, 0), -1);
}
END_TEST

/* ---- messages: every golden vector ------------------------------------ */

START_TEST(msg_encode_matches_golden)
{
	const struct golden *g = &goldens[_i];
	struct pkt_msg m;
	uint8_t out[256];

	memset(&m, 0, sizeof(m));
	g->build(&m);
	ck_assert_msg(pkt_msg_encode(&m, out, sizeof(out)) == (int)g->len,
	    "%s: wrong encoded length", g->name);
	ck_assert_mem_eq(out, g->bytes, g->len);
}
END_TEST

START_TEST(msg_decode_matches_golden)
{
	const struct golden *g = &goldens[_i];
	struct pkt_msg want, got;
	const char *why = NULL;

	memset(&want, 0, sizeof(want));
	g->build(&want);
	ck_assert_msg(pkt_msg_decode(g->bytes, g->len, &got, &why) == 0,
	    "%s: %s", g->name, why);
	assert_msg_eq(&got, &want);
	/* DATA borrows its packet from the input rather than copying it. */
	if (got.type == PKT_MSG_DATA)
		ck_assert_ptr_eq(got.u.data.ip, g->bytes + 2);
}
END_TEST

START_TEST(msg_round_trips)
{
	const struct golden *g = &goldens[_i];
	struct pkt_msg m, back;
	uint8_t out[256], again[256];
	const char *why;
	int n;

	memset(&m, 0, sizeof(m));
	g->build(&m);
	n = pkt_msg_encode(&m, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(pkt_msg_decode(out, (size_t)n, &back, &why), 0);
	assert_msg_eq(&back, &m);
	ck_assert_int_eq(pkt_msg_encode(&back, again, sizeof(again)), n);
	ck_assert_mem_eq(again, out, (size_t)n);
}
END_TEST

START_TEST(msg_decode_rejects_truncated)
{
	const struct golden *g = &goldens[_i];
	struct pkt_msg m;
	const char *why;
	size_t n;

	for (n = 0; n < g->len; n++) {
		ck_assert_msg(msg_dec(g->bytes, n, &m, &why) == -1,
		    "%s: truncated at %zu decoded", g->name, n);
		ck_assert_ptr_nonnull(why);
		/* DATA has no length field: a short packet is "too short". */
		if (g->bytes[0] != PKT_MSG_DATA || n < 2)
			ck_assert_str_eq(why, "truncated");
		else
			ck_assert_str_eq(why, "bad ip packet length");
	}
}
END_TEST

START_TEST(msg_decode_rejects_trailing_bytes)
{
	const struct golden *g = &goldens[_i];
	uint8_t p[300];
	struct pkt_msg m;
	const char *why;

	memcpy(p, g->bytes, g->len);
	p[g->len] = 0x00;
	if (g->bytes[0] == PKT_MSG_DATA) {
		/* The packet runs to the end, so the extra byte is its own. */
		ck_assert_int_eq(msg_dec(p, g->len + 1, &m, &why), 0);
		ck_assert_uint_eq(m.u.data.ip_len, sizeof(g_ip) + 1);
		return;
	}
	msg_rejects(p, g->len + 1, "trailing bytes");
}
END_TEST

START_TEST(msg_encode_fails_without_space)
{
	const struct golden *g = &goldens[_i];
	struct pkt_msg m;
	uint8_t *out;
	size_t cap;

	memset(&m, 0, sizeof(m));
	g->build(&m);
	for (cap = 0; cap <= g->len; cap++) {
		/* Exactly-sized buffers so ASan sees any write past cap. */
		out = malloc(cap > 0 ? cap : 1);
		ck_assert_ptr_nonnull(out);
		if (cap < g->len)
			ck_assert_msg(pkt_msg_encode(&m, out, cap) == -1,
			    "%s: encoded into %zu bytes", g->name, cap);
		else
			ck_assert_int_eq(pkt_msg_encode(&m, out, cap),
			    (int)g->len);
		free(out);
	}
	ck_assert_int_eq(pkt_msg_encode(&m, NULL, 1000), -1);
}
END_TEST

/* ---- message decode rules --------------------------------------------- */

START_TEST(decode_rejects_empty_message)
{
	struct pkt_msg m;
	const char *why;

	msg_rejects(g_close, 0, "truncated");
	ck_assert_int_eq(pkt_msg_decode(NULL, 0, &m, &why), -1);
	ck_assert_str_eq(why, "truncated");
}
END_TEST

START_TEST(decode_rejects_unknown_message_type)
{
	static const uint8_t types[] = { 0, 6, 7, 0x7f, 0x80, 0xff };
	uint8_t p[sizeof(g_keepalive)];
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		memcpy(p, g_keepalive, sizeof(p));
		p[0] = types[i];
		msg_rejects(p, sizeof(p), "unknown message type");
		msg_rejects(p, 1, "unknown message type");
	}
}
END_TEST

/*
 * One-route announcement with every field under the test's control,
 * including a name_len that may disagree with the name.
 */
static size_t
ann1(uint8_t *p, size_t cap, uint8_t family, uint8_t plen, uint32_t addr,
    uint8_t hops, uint8_t name_len, const char *name)
{
	struct buf_wr w;

	buf_wr_init(&w, p, cap);
	wr_u8(&w, PKT_MSG_ANNOUNCE);
	wr_u32be(&w, 7);
	wr_u16be(&w, 1);
	wr_u8(&w, family);
	wr_u8(&w, plen);
	wr_u32be(&w, addr);
	wr_u8(&w, hops);
	wr_u8(&w, name_len);
	wr_bytes(&w, name, strlen(name));
	ck_assert_ptr_null(w.err);
	return w.off;
}

START_TEST(decode_accepts_single_route_announce)
{
	uint8_t p[128];
	struct pkt_msg m;
	const char *why;
	size_t n;

	n = ann1(p, sizeof(p), 4, 16, 0xac100000, 3, 3, "a-b");
	ck_assert_int_eq(msg_dec(p, n, &m, &why), 0);
	ck_assert_uint_eq(m.u.ann.seq, 7);
	ck_assert_uint_eq(m.u.ann.count, 1);
	ck_assert_uint_eq(m.u.ann.routes[0].plen, 16);
	ck_assert_uint_eq(ntohl(m.u.ann.routes[0].addr.s_addr), 0xac100000);
	ck_assert_uint_eq(m.u.ann.routes[0].hops, 3);
	ck_assert_str_eq(m.u.ann.routes[0].origin, "a-b");
}
END_TEST

START_TEST(decode_rejects_announce_over_max)
{
	static const uint8_t p257[] = { 0x03, 0, 0, 0, 1, 0x01, 0x01 };
	static const uint8_t pmax[] = { 0x03, 0, 0, 0, 1, 0xff, 0xff };

	msg_rejects(p257, sizeof(p257), "too many prefixes in announcement");
	msg_rejects(pmax, sizeof(pmax), "too many prefixes in announcement");
}
END_TEST

static void
build_full_announce(struct pkt_msg *m)
{
	static const char name63[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.";
	int i;

	m->type = PKT_MSG_ANNOUNCE;
	m->u.ann.seq = 1;
	m->u.ann.count = PKT_ANNOUNCE_MAX;
	for (i = 0; i < PKT_ANNOUNCE_MAX; i++) {
		struct pkt_route *rt = &m->u.ann.routes[i];

		rt->plen = 24;
		rt->addr.s_addr = htonl(0x0a000000 | (uint32_t)i << 8);
		rt->hops = (uint8_t)(i % 65);
		memcpy(rt->origin, name63, sizeof(name63));
	}
}

START_TEST(decode_accepts_announce_at_max)
{
	static struct pkt_msg m, back;
	const size_t want = 7 + PKT_ANNOUNCE_MAX * (8 + PKT_NAME_MAX);
	uint8_t *out = malloc(want);
	const char *why;

	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"
	    "NOPQRSTUVWXYZ0123456789."), PKT_NAME_MAX);
	build_full_announce(&m);
	ck_assert_int_eq(pkt_msg_encode(&m, out, want - 1), -1);
	ck_assert_int_eq(pkt_msg_encode(&m, out, want), (int)want);
	ck_assert_int_eq(msg_dec(out, want, &back, &why), 0);
	assert_msg_eq(&back, &m);
	free(out);
}
END_TEST

START_TEST(decode_rejects_truncated_announce)
{
	uint8_t p[sizeof(g_announce)];

	/* Claims 3 routes, carries 2. */
	memcpy(p, g_announce, sizeof(p));
	msg_rejects(p, 29, "truncated");
	/* name_len runs past the end. */
	memcpy(p, g_announce, sizeof(p));
	p[36] = 4;
	msg_rejects(p, sizeof(p), "truncated");
}
END_TEST

START_TEST(decode_rejects_announce_family_not_4)
{
	static const uint8_t fams[] = { 0, 2, 6, 10, 0xff };
	uint8_t p[128];
	size_t i, n;

	for (i = 0; i < sizeof(fams); i++) {
		n = ann1(p, sizeof(p), fams[i], 24, 0x0a000000, 0, 1, "x");
		msg_rejects(p, n, "unknown address family");
	}
}
END_TEST

START_TEST(decode_rejects_announce_plen_over_32)
{
	static const uint8_t plens[] = { 33, 64, 128, 0xff };
	uint8_t p[128];
	size_t i, n;

	for (i = 0; i < sizeof(plens); i++) {
		n = ann1(p, sizeof(p), 4, plens[i], 0, 0, 1, "x");
		msg_rejects(p, n, "prefix length over 32");
	}
}
END_TEST

START_TEST(decode_rejects_announce_host_bits)
{
	static const struct {
		uint8_t		plen;
		uint32_t	addr;
	} bad[] = {
		{ 0, 0x00000001 }, { 0, 0x80000000 }, { 8, 0x0a000001 },
		{ 24, 0x0a010201 }, { 31, 0x0a010203 }, { 1, 0x40000000 },
	};
	uint8_t p[128];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = ann1(p, sizeof(p), 4, bad[i].plen, bad[i].addr, 0, 1, "x");
		msg_rejects(p, n, "host bits set in prefix");
	}
	/* /32 has no host bits; /31 with the low bit clear is fine. */
	n = ann1(p, sizeof(p), 4, 32, 0xffffffff, 0, 1, "x");
	ck_assert_int_eq(pkt_msg_decode(p, n, &(struct pkt_msg){ 0 }, NULL),
	    0);
	n = ann1(p, sizeof(p), 4, 31, 0x0a010202, 0, 1, "x");
	ck_assert_int_eq(pkt_msg_decode(p, n, &(struct pkt_msg){ 0 }, NULL),
	    0);
}
END_TEST

START_TEST(decode_rejects_announce_hops_over_64)
{
	uint8_t p[128];
	size_t n;

	n = ann1(p, sizeof(p), 4, 8, 0x0a000000, 65, 1, "x");
	msg_rejects(p, n, "hop count too large");
	n = ann1(p, sizeof(p), 4, 8, 0x0a000000, 0xff, 1, "x");
	msg_rejects(p, n, "hop count too large");
	n = ann1(p, sizeof(p), 4, 8, 0x0a000000, 64, 1, "x");
	ck_assert_int_eq(pkt_msg_decode(p, n, &(struct pkt_msg){ 0 }, NULL),
	    0);
}
END_TEST

START_TEST(decode_rejects_announce_bad_name_len)
{
	static const char n64[] =
	    "0123456789012345678901234567890123456789012345678901234567890123";
	uint8_t p[128];
	struct pkt_msg m;
	const char *why;
	size_t n;

	n = ann1(p, sizeof(p), 4, 8, 0x0a000000, 0, 0, "");
	msg_rejects(p, n, "bad origin name length");
	ck_assert_uint_eq(strlen(n64), 64);
	n = ann1(p, sizeof(p), 4, 8, 0x0a000000, 0, 64, n64);
	msg_rejects(p, n, "bad origin name length");
	n = ann1(p, sizeof(p), 4, 8, 0x0a000000, 0, 63, n64 + 1);
	ck_assert_int_eq(msg_dec(p, n, &m, &why), 0);
	ck_assert_str_eq(m.u.ann.routes[0].origin, n64 + 1);
}
END_TEST

START_TEST(decode_rejects_announce_bad_name_chars)
{
	static const uint8_t bad[] = {
		0x00, ' ', '\t', '\n', '/', '\\', '@', ':', '*', '+', ',',
		'~', 0x7f, 0x80, 0xc3, 0xff,
	};
	char name[4];
	uint8_t p[128];
	size_t i, pos, n;

	for (i = 0; i < sizeof(bad); i++) {
		for (pos = 0; pos < 3; pos++) {
			memcpy(name, "abc", 4);
			n = ann1(p, sizeof(p), 4, 8, 0x0a000000, 0, 3, name);
			p[n - 3 + pos] = bad[i];
			msg_rejects(p, n, "bad character in origin name");
		}
	}
}
END_TEST

START_TEST(decode_accepts_every_name_char)
{
	static const char *names[] = {
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
		"abcdefghijklmnopqrstuvwxyz",
		"0123456789._-", ".", "-", "_",
	};
	uint8_t p[128];
	struct pkt_msg m;
	const char *why;
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = ann1(p, sizeof(p), 4, 8, 0x0a000000, 0,
		    (uint8_t)strlen(names[i]), names[i]);
		ck_assert_int_eq(msg_dec(p, n, &m, &why), 0);
		ck_assert_str_eq(m.u.ann.routes[0].origin, names[i]);
	}
}
END_TEST

START_TEST(decode_rejects_short_data)
{
	uint8_t p[sizeof(g_data)];
	struct pkt_msg m;
	const char *why;
	size_t n;

	memcpy(p, g_data, sizeof(p));
	for (n = 2; n < 2 + 20; n++)
		msg_rejects(p, n, "bad ip packet length");
	ck_assert_int_eq(msg_dec(p, 2 + 20, &m, &why), 0);
	ck_assert_uint_eq(m.u.data.ip_len, 20);
}
END_TEST

START_TEST(decode_accepts_largest_data)
{
	size_t n = 2 + PKT_MAX;
	uint8_t *p = calloc(1, n + 1);
	struct pkt_msg m;
	const char *why;

	ck_assert_ptr_nonnull(p);
	p[0] = PKT_MSG_DATA;
	ck_assert_int_eq(pkt_msg_decode(p, n, &m, &why), 0);
	ck_assert_uint_eq(m.u.data.ip_len, PKT_MAX);
	ck_assert_int_eq(pkt_msg_decode(p, n + 1, &m, &why), -1);
	ck_assert_str_eq(why, "bad ip packet length");
	free(p);
}
END_TEST

START_TEST(decode_rejects_unknown_close_reason)
{
	static const uint8_t reasons[] = { 0, 3, 4, 0x80, 0xff };
	uint8_t p[2] = { PKT_MSG_CLOSE, 0 };
	size_t i;

	for (i = 0; i < sizeof(reasons); i++) {
		p[1] = reasons[i];
		msg_rejects(p, sizeof(p), "unknown close reason");
	}
}
END_TEST

/* ---- message encode rules --------------------------------------------- */

START_TEST(encode_rejects_unknown_type)
{
	static const uint8_t types[] = { 0, 6, 0xff };
	struct pkt_msg m;
	uint8_t out[64];
	size_t i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < sizeof(types); i++) {
		m.type = types[i];
		ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	}
}
END_TEST

START_TEST(encode_rejects_announce_over_max)
{
	static struct pkt_msg m;
	static uint8_t out[32768];

	build_full_announce(&m);
	m.u.ann.count = PKT_ANNOUNCE_MAX + 1;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
}
END_TEST

static void
bad_plen(struct pkt_route *rt)
{
	rt->plen = 33;
}

static void
bad_host_bits(struct pkt_route *rt)
{
	rt->addr.s_addr = htonl(0x0a010201);
}

static void
bad_hops(struct pkt_route *rt)
{
	rt->hops = 65;
}

static void
bad_empty_name(struct pkt_route *rt)
{
	rt->origin[0] = '\0';
}

static void
bad_unterminated_name(struct pkt_route *rt)
{
	memset(rt->origin, 'a', sizeof(rt->origin));
}

static void
bad_name_char(struct pkt_route *rt)
{
	strcpy(rt->origin, "a b");
}

static void
bad_name_high_bit(struct pkt_route *rt)
{
	strcpy(rt->origin, "caf\xc3\xa9");
}

static void (*const route_breakers[])(struct pkt_route *) = {
	bad_plen, bad_host_bits, bad_hops, bad_empty_name,
	bad_unterminated_name, bad_name_char, bad_name_high_bit,
};
#define NBREAKERS \
	((int)(sizeof(route_breakers) / sizeof(route_breakers[0])))

START_TEST(encode_rejects_invalid_route)
{
	struct pkt_msg m;
	uint8_t out[256];
	int i;

	/* Break each of the golden announcement's routes in turn. */
	for (i = 0; i < 3; i++) {
		memset(&m, 0, sizeof(m));
		build_announce(&m);
		if (route_breakers[_i] == bad_host_bits &&
		    m.u.ann.routes[i].plen == 32)
			continue;	/* a /32 has no host bits */
		route_breakers[_i](&m.u.ann.routes[i]);
		ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	}
}
END_TEST

START_TEST(encode_rejects_bad_data)
{
	struct pkt_msg m;
	uint8_t out[256];

	memset(&m, 0, sizeof(m));
	build_data(&m);
	m.u.data.ip_len = 19;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	m.u.data.ip_len = 0;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	m.u.data.ip_len = 20;
	m.u.data.ip = NULL;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	m.u.data.ip = g_ip;
	m.u.data.ip_len = (size_t)PKT_MAX + 1;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
}
END_TEST

START_TEST(encode_rejects_unknown_close_reason)
{
	struct pkt_msg m;
	uint8_t out[16];

	memset(&m, 0, sizeof(m));
	m.type = PKT_MSG_CLOSE;
	m.u.close_reason = 0;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	m.u.close_reason = 3;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
}
END_TEST

/* ---- suite ------------------------------------------------------------- */

static void
add(Suite *s, const char *name, const TTest *t)
{
	TCase *tc = tcase_create(name);

	tcase_add_test(tc, t);
	suite_add_tcase(s, tc);
}

static void
add_loop(Suite *s, const char *name, const TTest *t, int n)
{
	TCase *tc = tcase_create(name);

	tcase_add_loop_test(tc, t, 0, n);
	suite_add_tcase(s, tc);
}

static Suite *
pkt_suite(void)
{
	Suite *s = suite_create("pkt");

	add(s, "hdr_decode_reads_golden_hs", hdr_decode_reads_golden_hs);
	add(s, "hdr_decode_reads_golden_sealed",
	    hdr_decode_reads_golden_sealed);
	add(s, "hdr_encode_matches_golden", hdr_encode_matches_golden);
	add(s, "hdr_decode_rejects_truncated", hdr_decode_rejects_truncated);
	add(s, "hdr_decode_rejects_unknown_version",
	    hdr_decode_rejects_unknown_version);
	add(s, "hdr_decode_rejects_unknown_type",
	    hdr_decode_rejects_unknown_type);
	add(s, "hdr_decode_rejects_empty_hs_body",
	    hdr_decode_rejects_empty_hs_body);
	add(s, "hdr_decode_rejects_sealed_body_shorter_than_tag",
	    hdr_decode_rejects_sealed_body_shorter_than_tag);
	add(s, "hdr_decode_rejects_oversized_datagram",
	    hdr_decode_rejects_oversized_datagram);
	add(s, "hdr_encode_fails_without_space",
	    hdr_encode_fails_without_space);
	add(s, "hdr_encode_rejects_unknown_type",
	    hdr_encode_rejects_unknown_type);

	add_loop(s, "msg_encode_matches_golden", msg_encode_matches_golden,
	    NGOLDEN);
	add_loop(s, "msg_decode_matches_golden", msg_decode_matches_golden,
	    NGOLDEN);
	add_loop(s, "msg_round_trips", msg_round_trips, NGOLDEN);
	add_loop(s, "msg_decode_rejects_truncated",
	    msg_decode_rejects_truncated, NGOLDEN);
	add_loop(s, "msg_decode_rejects_trailing_bytes",
	    msg_decode_rejects_trailing_bytes, NGOLDEN);
	add_loop(s, "msg_encode_fails_without_space",
	    msg_encode_fails_without_space, NGOLDEN);

	add(s, "decode_rejects_empty_message", decode_rejects_empty_message);
	add(s, "decode_rejects_unknown_message_type",
	    decode_rejects_unknown_message_type);
	add(s, "decode_accepts_single_route_announce",
	    decode_accepts_single_route_announce);
	add(s, "decode_rejects_announce_over_max",
	    decode_rejects_announce_over_max);
	add(s, "decode_accepts_announce_at_max",
	    decode_accepts_announce_at_max);
	add(s, "decode_rejects_truncated_announce",
	    decode_rejects_truncated_announce);
	add(s, "decode_rejects_announce_family_not_4",
	    decode_rejects_announce_family_not_4);
	add(s, "decode_rejects_announce_plen_over_32",
	    decode_rejects_announce_plen_over_32);
	add(s, "decode_rejects_announce_host_bits",
	    decode_rejects_announce_host_bits);
	add(s, "decode_rejects_announce_hops_over_64",
	    decode_rejects_announce_hops_over_64);
	add(s, "decode_rejects_announce_bad_name_len",
	    decode_rejects_announce_bad_name_len);
	add(s, "decode_rejects_announce_bad_name_chars",
	    decode_rejects_announce_bad_name_chars);
	add(s, "decode_accepts_every_name_char",
	    decode_accepts_every_name_char);
	add(s, "decode_rejects_short_data", decode_rejects_short_data);
	add(s, "decode_accepts_largest_data", decode_accepts_largest_data);
	add(s, "decode_rejects_unknown_close_reason",
	    decode_rejects_unknown_close_reason);

	add(s, "encode_rejects_unknown_type", encode_rejects_unknown_type);
	add(s, "encode_rejects_announce_over_max",
	    encode_rejects_announce_over_max);
	add_loop(s, "encode_rejects_invalid_route",
	    encode_rejects_invalid_route, NBREAKERS);
	add(s, "encode_rejects_bad_data", encode_rejects_bad_data);
	add(s, "encode_rejects_unknown_close_reason",
	    encode_rejects_unknown_close_reason);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pkt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
