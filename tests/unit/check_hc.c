/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for IPv4/UDP header compression on a link (lib/hc.c): real
 * IPv4/UDP packets as DATA messages go through a sender table
 * (hc_tx_plan, hc_set_build, hc_shrink) and a receiver table
 * (hc_rx_expand) and must come back byte for byte, but for the one
 * exception of hc.h (the id of a DF packet is its context's); refreshes
 * by count and by time; contexts and generations of several flows and
 * of a full table; what the receiver refuses (no context, an old
 * generation, out of range, truncated, a packet that cannot be
 * compressed, too long); and each rule of hc_eligible.
 *
 * The checksums are computed here by a sum of our own, not lib/vnet.c's,
 * so that a wrong sum in the library cannot agree with itself.
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hc.h"
#include "pkt.h"

#define IP_MAX		65535
/* room for the largest message of any of the three types, and then some */
#define ROOM		(HC_SET_HDR + IP_MAX + 64)

/* The fields of a flow that a context holds, and what varies per packet. */
struct flow {
	uint32_t	origin;		/* DATA's origin */
	uint8_t		msg_ttl;	/* DATA's TTL, not the packet's */
	uint8_t		tos;
	uint16_t	id;
	bool		df;
	uint8_t		ttl;
	uint32_t	src, dst;
	uint16_t	sport, dport;
	bool		no_udp_sum;	/* a zero UDP checksum */
	uint8_t		fill;		/* payload pattern (and so sum) */
};

static struct hc_table *tx, *rx;
static uint8_t *orig, *work;

static void
setup(void)
{
	tx = malloc(sizeof(*tx));
	rx = malloc(sizeof(*rx));
	orig = malloc(ROOM);
	work = malloc(ROOM);
	ck_assert_ptr_nonnull(tx);
	ck_assert_ptr_nonnull(rx);
	ck_assert_ptr_nonnull(orig);
	ck_assert_ptr_nonnull(work);
	/* other seeds: a receiver learns generations, never makes them */
	hc_init(tx, 41);
	hc_init(rx, 200);
}

static void
teardown(void)
{
	free(tx);
	free(rx);
	free(orig);
	free(work);
}

/* RFC 1071: the one's complement sum of n bytes, folded, added to sum. */
static uint32_t
sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (; n >= 2; p += 2, n -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (n == 1)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static struct flow
flow_base(void)
{
	struct flow f = {
		.origin = 0x0a000001, .msg_ttl = 16, .tos = 0x28,
		.id = 0x1234, .df = true, .ttl = 63,
		.src = 0xc0a80102, .dst = 0xc6336407,
		.sport = 4500, .dport = 4500, .fill = 0x5a,
	};

	return f;
}

/* Puts a fresh IPv4 header checksum into ip. */
static void
ip_sum(uint8_t *ip, size_t hlen)
{
	be16_put(ip + 10, 0);
	be16_put(ip + 10, (uint16_t)~sum16(ip, hlen, 0));
}

/* The UDP checksum the real way, over the pseudo-header (RFC 768). */
static void
udp_sum(uint8_t *ip, size_t len)
{
	uint8_t *udp = ip + 20;
	uint32_t s;
	uint16_t c;

	be16_put(udp + 6, 0);
	s = sum16(ip + 12, 8, 0);		/* source, destination */
	s = sum16(udp, len - 20, s + 17 + (uint32_t)(len - 20));
	c = (uint16_t)~s;
	be16_put(udp + 6, c == 0 ? 0xffff : c);	/* 0 means "none" */
}

/*
 * Writes the DATA message of flow f carrying an IP packet of ip_len bytes
 * (HC_IP_HDR and up) to m; returns the message's length.
 */
static size_t
mkdata(uint8_t *m, const struct flow *f, size_t ip_len)
{
	uint8_t *ip = m + PKT_DATA_HDR_LEN;

	ck_assert_uint_ge(ip_len, HC_IP_HDR);
	ck_assert_uint_le(ip_len, IP_MAX);
	m[0] = PKT_MSG_DATA;
	m[1] = f->msg_ttl;
	be32_put(m + 2, f->origin);
	ip[0] = 0x45;
	ip[1] = f->tos;
	be16_put(ip + 2, (uint16_t)ip_len);
	be16_put(ip + 4, f->id);
	be16_put(ip + 6, f->df ? 0x4000 : 0);
	ip[8] = f->ttl;
	ip[9] = 17;
	be32_put(ip + 12, f->src);
	be32_put(ip + 16, f->dst);
	be16_put(ip + 20, f->sport);
	be16_put(ip + 22, f->dport);
	be16_put(ip + 24, (uint16_t)(ip_len - 20));
	for (size_t i = HC_IP_HDR; i < ip_len; i++)
		ip[i] = (uint8_t)(i * 31 + f->fill);
	ip_sum(ip, 20);
	if (f->no_udp_sum)
		be16_put(ip + 26, 0);
	else
		udp_sum(ip, ip_len);
	return PKT_DATA_HDR_LEN + ip_len;
}

/* Expands the message in work (len bytes), expecting the DATA in orig. */
static void
expand_is(size_t len, size_t want)
{
	const char *why = NULL;

	ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why), HC_RX_OK);
	ck_assert_uint_eq(len, want);
	ck_assert_mem_eq(work, orig, want);
}

/*
 * Sends the DATA message of f with an ip_len-byte packet through tx to rx
 * and checks it arrives exactly; the plan must be want.  Returns ctx and
 * gen through the pointers.
 */
static void
send_flow(const struct flow *f, size_t ip_len, uint64_t now,
    enum hc_plan want, uint8_t *ctx, uint8_t *gen)
{
	size_t dlen = mkdata(orig, f, ip_len), len;

	ck_assert_int_eq(hc_tx_plan(tx, orig + PKT_DATA_HDR_LEN, ip_len,
	    f->origin, now, ctx, gen), want);
	ck_assert_uint_lt(*ctx, HC_CTX_MAX);
	if (want == HC_PLAN_SET) {
		len = hc_set_build(work, orig, ip_len, *ctx, *gen);
		ck_assert_uint_eq(len, HC_SET_HDR + ip_len);
		ck_assert_uint_eq(work[0], PKT_MSG_HC_SET);
	} else {
		memcpy(work, orig, dlen);
		len = hc_shrink(work, ip_len, *ctx, *gen);
		ck_assert_uint_eq(len, dlen - HC_SAVES);
		ck_assert_uint_eq(work[0], PKT_MSG_HC);
	}
	expand_is(len, dlen);
}

/* Makes the HC message of f into work without the sender table. */
static size_t
mkshort(const struct flow *f, size_t ip_len, uint8_t ctx, uint8_t gen)
{
	mkdata(orig, f, ip_len);
	memcpy(work, orig, PKT_DATA_HDR_LEN + ip_len);
	return hc_shrink(work, ip_len, ctx, gen);
}

static const size_t sizes[] = { HC_IP_HDR, 100, 1464, IP_MAX };

START_TEST(round_trip_set_then_short)
{
	struct flow f = flow_base();
	uint8_t ctx, gen, c2, g2;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		hc_init(tx, (uint8_t)(41 + i));
		hc_init(rx, 200);
		f.fill = (uint8_t)i;
		send_flow(&f, sizes[i], 1000, HC_PLAN_SET, &ctx, &gen);
		/* every size short after it, each payload (and sum) new */
		for (size_t j = 0; j < sizeof(sizes) / sizeof(sizes[0]);
		    j++) {
			f.fill = (uint8_t)(0x80 + j);
			send_flow(&f, sizes[j], 1000 + j, HC_PLAN_SHORT, &c2,
			    &g2);
			ck_assert_uint_eq(c2, ctx);
			ck_assert_uint_eq(g2, gen);
		}
	}
}
END_TEST

START_TEST(round_trip_keeps_every_field)
{
	struct flow f = flow_base();
	uint8_t ctx, gen, c2, g2;

	/* no TOS, id 0, a zero UDP checksum, TTL 1, odd payload */
	f.tos = 0;
	f.id = 0;
	f.ttl = 1;
	f.no_udp_sum = true;
	send_flow(&f, 101, 0, HC_PLAN_SET, &ctx, &gen);
	send_flow(&f, 1001, 1, HC_PLAN_SHORT, &c2, &g2);
	/* DATA's own TTL is carried by HC, not by the context */
	f.msg_ttl = 3;
	send_flow(&f, 1463, 2, HC_PLAN_SHORT, &c2, &g2);
	ck_assert_uint_eq(c2, ctx);
	ck_assert_uint_eq(g2, gen);
	/* the other extremes: every bit of TOS, the largest id and TTL */
	f = flow_base();
	f.tos = 0xff;
	f.id = 0xffff;
	f.ttl = 255;
	f.msg_ttl = 255;
	f.origin = 0xffffffff;
	send_flow(&f, 1464, 3, HC_PLAN_SET, &ctx, &gen);
	send_flow(&f, 29, 4, HC_PLAN_SHORT, &c2, &g2);
	ck_assert_uint_eq(c2, ctx);
}
END_TEST

/* A checksum the sender got wrong is the sender's: carried as it is. */
START_TEST(round_trip_keeps_a_wrong_udp_checksum)
{
	struct flow f = flow_base();
	uint8_t ctx, gen;
	size_t len;

	send_flow(&f, 500, 0, HC_PLAN_SET, &ctx, &gen);
	mkdata(orig, &f, 500);
	orig[PKT_DATA_HDR_LEN + 26] ^= 0x5a;
	ck_assert(hc_eligible(orig + PKT_DATA_HDR_LEN, 500));
	ck_assert_int_eq(hc_tx_plan(tx, orig + PKT_DATA_HDR_LEN, 500, f.origin, 1,
	    &ctx, &gen), HC_PLAN_SHORT);
	memcpy(work, orig, PKT_DATA_HDR_LEN + 500);
	len = hc_shrink(work, 500, ctx, gen);
	expand_is(len, PKT_DATA_HDR_LEN + 500);
}
END_TEST

/*
 * The id is not part of the flow (RFC 6864; DF only): packets of other ids
 * stay short and come back with the id of the context's last HC_SET, the
 * header checksum made for it; nothing else changes.
 */
static void
short_with_df_id(struct flow *f, uint16_t id, size_t ip_len, uint64_t now,
    uint16_t ctx_id, uint8_t want_ctx, uint8_t want_gen)
{
	uint8_t ctx, gen, *ip = orig + PKT_DATA_HDR_LEN;
	size_t len;

	f->id = id;
	f->fill++;
	mkdata(orig, f, ip_len);
	ck_assert_int_eq(hc_tx_plan(tx, ip, ip_len, f->origin, now, &ctx,
	    &gen),
	    HC_PLAN_SHORT);
	ck_assert_uint_eq(ctx, want_ctx);
	ck_assert_uint_eq(gen, want_gen);
	memcpy(work, orig, PKT_DATA_HDR_LEN + ip_len);
	len = hc_shrink(work, ip_len, ctx, gen);
	/* what must come out: the packet with the context's id */
	be16_put(ip + 4, ctx_id);
	ip_sum(ip, 20);
	expand_is(len, PKT_DATA_HDR_LEN + ip_len);
	ck_assert(hc_eligible(work + PKT_DATA_HDR_LEN, ip_len));
}

START_TEST(df_packet_takes_context_id)
{
	struct flow f = flow_base();
	uint8_t ctx, gen, c2, g2;

	ck_assert(f.df);
	f.id = 0x1000;
	send_flow(&f, 1464, 0, HC_PLAN_SET, &ctx, &gen);
	short_with_df_id(&f, 0x1001, 1464, 1, 0x1000, ctx, gen);
	short_with_df_id(&f, 0xffff, 100, 2, 0x1000, ctx, gen);
	short_with_df_id(&f, 0x1000, HC_IP_HDR, 3, 0x1000, ctx, gen);
	/* a refresh carries its own id, which the next ones then get */
	f.id = 0x2222;
	send_flow(&f, 1464, HC_REFRESH_US, HC_PLAN_SET, &c2, &g2);
	ck_assert_uint_eq(c2, ctx);
	ck_assert_uint_eq(g2, gen);
	short_with_df_id(&f, 0x3333, 1400, HC_REFRESH_US + 1,
	    0x2222, ctx, gen);
}
END_TEST

/*
 * Without DF the id would have to be carried: such packets are sent as
 * they are, and leave the table alone.  The receiver still takes one in
 * an HC_SET (hc_eligible); it is the sender that does not make them.
 */
START_TEST(sender_compresses_only_df)
{
	struct flow f = flow_base();
	uint8_t ctx = 0xee, gen = 0xee, c2, g2;

	f.df = false;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		mkdata(orig, &f, sizes[i]);
		ck_assert(hc_eligible(orig + PKT_DATA_HDR_LEN, sizes[i]));
		ck_assert_int_eq(hc_tx_plan(tx, orig + PKT_DATA_HDR_LEN, sizes[i],
		    f.origin, i, &ctx, &gen), HC_PLAN_NONE);
	}
	/* no context was taken: the DF flow gets the first one */
	f.df = true;
	send_flow(&f, 1464, 10, HC_PLAN_SET, &ctx, &gen);
	ck_assert_uint_eq(ctx, 0);
	f.df = false;
	mkdata(orig, &f, 1464);
	ck_assert_int_eq(hc_tx_plan(tx, orig + PKT_DATA_HDR_LEN, 1464, f.origin,
	    11, &c2, &g2), HC_PLAN_NONE);
	f.df = true;
	send_flow(&f, 1464, 12, HC_PLAN_SHORT, &c2, &g2);
	ck_assert_uint_eq(c2, ctx);
	ck_assert_uint_eq(g2, gen);
}
END_TEST

START_TEST(refresh_after_count)
{
	struct flow f = flow_base();
	uint8_t ctx, gen, c2, g2;

	send_flow(&f, 1464, 0, HC_PLAN_SET, &ctx, &gen);
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < HC_REFRESH_PKTS - 1; i++) {
			f.fill = (uint8_t)i;
			send_flow(&f, 1464, 10, HC_PLAN_SHORT, &c2, &g2);
			ck_assert_uint_eq(c2, ctx);
			ck_assert_uint_eq(g2, gen);
		}
		/* due: sent whole, the same context and generation */
		send_flow(&f, 1464, 10, HC_PLAN_SET, &c2, &g2);
		ck_assert_uint_eq(c2, ctx);
		ck_assert_uint_eq(g2, gen);
	}
}
END_TEST

START_TEST(refresh_after_time)
{
	struct flow f = flow_base();
	uint64_t t0 = 5000000;
	uint8_t ctx, gen, c2, g2;

	send_flow(&f, 1464, t0, HC_PLAN_SET, &ctx, &gen);
	send_flow(&f, 1464, t0 + 1, HC_PLAN_SHORT, &c2, &g2);
	send_flow(&f, 1464, t0 + HC_REFRESH_US - 1, HC_PLAN_SHORT, &c2, &g2);
	send_flow(&f, 1464, t0 + HC_REFRESH_US, HC_PLAN_SET, &c2, &g2);
	ck_assert_uint_eq(c2, ctx);
	ck_assert_uint_eq(g2, gen);
	/* the clock starts again from the refresh */
	send_flow(&f, 1464, t0 + HC_REFRESH_US + 1, HC_PLAN_SHORT, &c2, &g2);
	send_flow(&f, 1464, t0 + 2 * HC_REFRESH_US - 1, HC_PLAN_SHORT, &c2,
	    &g2);
	send_flow(&f, 1464, t0 + 2 * HC_REFRESH_US, HC_PLAN_SET, &c2, &g2);
	ck_assert_uint_eq(g2, gen);
}
END_TEST

/* Each change of a field the context holds is another flow. */
START_TEST(other_flows_other_contexts)
{
	struct flow v[11];
	uint8_t ctx[11], gen[11], c2, g2;
	const size_t n = sizeof(v) / sizeof(v[0]);

	for (size_t i = 0; i < n; i++)
		v[i] = flow_base();
	v[1].sport++;
	v[2].dport++;
	v[3].src++;
	v[4].dst++;
	v[5].tos ^= 4;
	v[6].sport = 500;
	v[6].dport = 500;
	v[7].ttl--;
	v[8].origin++;
	v[9].tos ^= 1;			/* ECN */
	v[10].src = flow_base().dst;
	v[10].dst = flow_base().src;
	for (size_t i = 0; i < n; i++) {
		send_flow(&v[i], 200 + i, i, HC_PLAN_SET, &ctx[i], &gen[i]);
		for (size_t j = 0; j < i; j++) {
			ck_assert_uint_ne(ctx[i], ctx[j]);
			ck_assert_uint_ne(gen[i], gen[j]);
		}
	}
	/* all still held, each short with its own headers */
	for (size_t i = 0; i < n; i++) {
		v[i].fill = (uint8_t)(i + 100);
		send_flow(&v[i], 1300 - i, 100 + i, HC_PLAN_SHORT, &c2, &g2);
		ck_assert_uint_eq(c2, ctx[i]);
		ck_assert_uint_eq(g2, gen[i]);
	}
}
END_TEST

START_TEST(full_table_reuses_oldest_with_new_generation)
{
	struct flow v[HC_CTX_MAX + 2];
	uint8_t ctx[HC_CTX_MAX + 2], gen[HC_CTX_MAX + 2], c2, g2;
	const char *why = NULL;
	const size_t n = sizeof(v) / sizeof(v[0]);
	size_t len, old_len;
	uint8_t *old;

	for (size_t i = 0; i < n; i++) {
		v[i] = flow_base();
		v[i].sport = (uint16_t)(1000 + i);
	}
	for (size_t i = 0; i < HC_CTX_MAX; i++)
		send_flow(&v[i], 300, i, HC_PLAN_SET, &ctx[i], &gen[i]);
	/* the first flow's HC, kept for later */
	old_len = mkshort(&v[0], 300, ctx[0], gen[0]);
	old = malloc(old_len);
	ck_assert_ptr_nonnull(old);
	memcpy(old, work, old_len);

	/* one flow more: the first one's context, a generation not seen */
	mkdata(orig, &v[HC_CTX_MAX], 300);
	ck_assert_int_eq(hc_tx_plan(tx, orig + PKT_DATA_HDR_LEN, 300,
	    v[HC_CTX_MAX].origin, 50, &ctx[HC_CTX_MAX], &gen[HC_CTX_MAX]),
	    HC_PLAN_SET);
	ck_assert_uint_eq(ctx[HC_CTX_MAX], ctx[0]);
	for (size_t j = 0; j < HC_CTX_MAX; j++)
		ck_assert_uint_ne(gen[HC_CTX_MAX], gen[j]);
	/* its SET lost: the receiver does not hold its HC */
	len = mkshort(&v[HC_CTX_MAX], 300, ctx[HC_CTX_MAX], gen[HC_CTX_MAX]);
	ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why),
	    HC_RX_MISS);
	/* now the SET arrives, and then the new flow's HC works */
	mkdata(orig, &v[HC_CTX_MAX], 300);
	len = hc_set_build(work, orig, 300, ctx[HC_CTX_MAX], gen[HC_CTX_MAX]);
	expand_is(len, PKT_DATA_HDR_LEN + 300);
	v[HC_CTX_MAX].fill = 1;
	len = mkshort(&v[HC_CTX_MAX], 700, ctx[HC_CTX_MAX], gen[HC_CTX_MAX]);
	expand_is(len, PKT_DATA_HDR_LEN + 700);
	/* and the first flow's late HC, its old generation, is refused */
	memcpy(work, old, old_len);
	len = old_len;
	ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why),
	    HC_RX_MISS);
	free(old);

	/* the flows still held stay short; the next new one takes the 2nd */
	send_flow(&v[1], 300, 60, HC_PLAN_SHORT, &c2, &g2);
	ck_assert_uint_eq(c2, ctx[1]);
	send_flow(&v[HC_CTX_MAX + 1], 300, 61, HC_PLAN_SET,
	    &ctx[HC_CTX_MAX + 1], &gen[HC_CTX_MAX + 1]);
	ck_assert_uint_eq(ctx[HC_CTX_MAX + 1], ctx[1]);
	ck_assert_uint_ne(gen[HC_CTX_MAX + 1], gen[HC_CTX_MAX]);
	/* the first flow again is new again */
	send_flow(&v[0], 300, 62, HC_PLAN_SET, &c2, &g2);
	ck_assert_uint_eq(c2, ctx[2]);
	ck_assert_uint_ne(g2, gen[0]);
}
END_TEST

START_TEST(receiver_without_set_misses)
{
	struct flow f = flow_base();
	const char *why = NULL;
	size_t len;

	for (uint8_t c = 0; c < HC_CTX_MAX; c++) {
		len = mkshort(&f, 100, c, (uint8_t)(c * 13));
		ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why),
		    HC_RX_MISS);
	}
	/* a held context, another generation */
	len = hc_set_build(work, orig, 100, 3, 77);
	expand_is(len, PKT_DATA_HDR_LEN + 100);
	len = mkshort(&f, 100, 3, 78);
	ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why),
	    HC_RX_MISS);
	len = mkshort(&f, 100, 4, 77);
	ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why),
	    HC_RX_MISS);
	len = mkshort(&f, 100, 3, 77);
	expand_is(len, PKT_DATA_HDR_LEN + 100);
}
END_TEST

START_TEST(context_out_of_range_is_bad)
{
	static const uint8_t bad_ctx[] = { HC_CTX_MAX, HC_CTX_MAX + 1, 255 };
	struct flow f = flow_base();
	const char *why;
	size_t len;

	for (size_t i = 0; i < sizeof(bad_ctx); i++) {
		why = NULL;
		len = mkshort(&f, 100, bad_ctx[i], 1);
		ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why),
		    HC_RX_BAD);
		ck_assert_ptr_nonnull(why);
		why = NULL;
		len = hc_set_build(work, orig, 100, bad_ctx[i], 1);
		ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why),
		    HC_RX_BAD);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

/*
 * Expands the first n bytes of msg in a buffer of exactly cap bytes (so
 * that a read or write past it is the sanitizers' to see).
 */
static enum hc_rx
expand_prefix(const uint8_t *msg, size_t n, size_t cap, size_t *out)
{
	uint8_t *b = malloc(cap > 0 ? cap : 1);
	const char *why = NULL;
	enum hc_rx r;

	ck_assert_ptr_nonnull(b);
	memcpy(b, msg, n);
	*out = n;
	r = hc_rx_expand(rx, b, out, cap, &why);
	if (r == HC_RX_BAD)
		ck_assert_ptr_nonnull(why);
	else if (r == HC_RX_OK) {
		ck_assert_uint_eq(b[0], PKT_MSG_DATA);
		ck_assert_uint_ge(*out, PKT_DATA_HDR_LEN + HC_IP_HDR);
		ck_assert_uint_le(*out, cap);
		ck_assert(hc_eligible(b + PKT_DATA_HDR_LEN, *out - PKT_DATA_HDR_LEN));
	}
	free(b);
	return r;
}

START_TEST(truncated_messages)
{
	struct flow f = flow_base();
	uint8_t set[HC_SET_HDR + 200], shrt[HC_MSG_HDR + 200 - HC_IP_HDR];
	size_t set_len, short_len, out;
	enum hc_rx r;

	mkdata(orig, &f, 200);
	set_len = hc_set_build(set, orig, 200, 2, 9);
	memcpy(work, orig, PKT_DATA_HDR_LEN + 200);
	short_len = hc_shrink(work, 200, 2, 9);
	ck_assert_uint_eq(short_len, sizeof(shrt));
	memcpy(shrt, work, short_len);

	/* an HC_SET cut anywhere disagrees with its packet's lengths */
	for (size_t n = 0; n < set_len; n++) {
		ck_assert_int_eq(expand_prefix(set, n, n, &out), HC_RX_BAD);
		ck_assert_int_eq(expand_prefix(set, n, ROOM, &out),
		    HC_RX_BAD);
	}
	/* and nothing was remembered from them */
	for (size_t n = 0; n <= short_len; n++) {
		r = expand_prefix(shrt, n, ROOM, &out);
		ck_assert_int_eq(r, n < HC_MSG_HDR ? HC_RX_BAD : HC_RX_MISS);
	}
	ck_assert_int_eq(expand_prefix(set, set_len, set_len, &out),
	    HC_RX_OK);
	ck_assert_uint_eq(out, PKT_DATA_HDR_LEN + 200);
	/*
	 * An HC cut short of its header is bad; one cut in its payload is an
	 * HC of a shorter packet, which nothing tells from the real thing.
	 */
	for (size_t n = 0; n <= short_len; n++) {
		r = expand_prefix(shrt, n, ROOM, &out);
		if (n < HC_MSG_HDR) {
			ck_assert_int_eq(r, HC_RX_BAD);
			continue;
		}
		ck_assert_int_eq(r, HC_RX_OK);
		ck_assert_uint_eq(out, n + HC_SAVES);
		/* in a buffer of only its own length: no room to expand */
		ck_assert_int_eq(expand_prefix(shrt, n, n, &out), HC_RX_BAD);
	}
}
END_TEST

/* Sends the DATA packet in orig (ip_len bytes) as an HC_SET to rx. */
static enum hc_rx
set_of(size_t ip_len, uint8_t ctx, uint8_t gen)
{
	const char *why = NULL;
	size_t len = hc_set_build(work, orig, ip_len, ctx, gen);
	enum hc_rx r = hc_rx_expand(rx, work, &len, ROOM, &why);

	if (r == HC_RX_BAD)
		ck_assert_ptr_nonnull(why);
	return r;
}

START_TEST(set_of_ineligible_packet_is_bad)
{
	struct flow f = flow_base();
	uint8_t *ip = orig + PKT_DATA_HDR_LEN;
	const char *why = NULL;
	size_t len;

	/* sanity: the unchanged packet is good */
	mkdata(orig, &f, 300);
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_OK);
	hc_init(rx, 200);

	/* IPv4 options: a 24-byte header, every length and sum consistent */
	mkdata(orig, &f, 300);
	memmove(ip + 24, ip + 20, 280);
	ip[0] = 0x46;
	memset(ip + 20, 1, 4);			/* NOPs */
	be16_put(ip + 28, 300 - 24);
	ip_sum(ip, 24);
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	/* MF, an offset, the largest offset */
	mkdata(orig, &f, 300);
	be16_put(ip + 6, 0x2000);
	ip_sum(ip, 20);
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	mkdata(orig, &f, 300);
	be16_put(ip + 6, 0x4001);
	ip_sum(ip, 20);
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	mkdata(orig, &f, 300);
	be16_put(ip + 6, 0x1fff);
	ip_sum(ip, 20);
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	/* TCP, ICMP */
	mkdata(orig, &f, 300);
	ip[9] = 6;
	ip_sum(ip, 20);
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	mkdata(orig, &f, 300);
	ip[9] = 1;
	ip_sum(ip, 20);
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	/* IP length longer or shorter than the packet */
	mkdata(orig, &f, 300);
	be16_put(ip + 2, 301);
	ip_sum(ip, 20);
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	mkdata(orig, &f, 300);
	be16_put(ip + 2, 299);
	ip_sum(ip, 20);
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	/* UDP length longer or shorter than the packet */
	mkdata(orig, &f, 300);
	be16_put(ip + 24, 281);
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	mkdata(orig, &f, 300);
	be16_put(ip + 24, 279);
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	/* a bad header checksum */
	mkdata(orig, &f, 300);
	ip[11] ^= 1;
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	/* IPv6: 40 bytes of header, UDP after it */
	mkdata(orig, &f, 300);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	be16_put(ip + 4, 300 - 40);
	ip[6] = 17;
	ip[7] = 64;
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	/* IPv4 with a version nibble of 6 and an IHL of 5 */
	mkdata(orig, &f, 300);
	ip[0] = 0x65;
	ip_sum(ip, 20);
	ck_assert_int_eq(set_of(300, 1, 1), HC_RX_BAD);
	/* shorter than the headers it is meant to give */
	mkdata(orig, &f, 300);
	be16_put(ip + 2, HC_IP_HDR - 1);
	ip_sum(ip, 20);
	ck_assert_int_eq(set_of(HC_IP_HDR - 1, 1, 1), HC_RX_BAD);

	/* none of them was remembered */
	mkdata(orig, &f, 300);
	len = mkshort(&f, 300, 1, 1);
	ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why),
	    HC_RX_MISS);
}
END_TEST

START_TEST(expansion_past_cap_or_ip_max_is_bad)
{
	struct flow f = flow_base();
	const char *why = NULL;
	size_t len, slen;

	mkdata(orig, &f, 1464);
	ck_assert_int_eq(set_of(1464, 5, 42), HC_RX_OK);
	/* exactly the room it needs, then one byte less */
	slen = mkshort(&f, 1464, 5, 42);
	len = slen;
	ck_assert_int_eq(hc_rx_expand(rx, work, &len, PKT_DATA_HDR_LEN + 1464,
	    &why), HC_RX_OK);
	ck_assert_mem_eq(work, orig, PKT_DATA_HDR_LEN + 1464);
	slen = mkshort(&f, 1464, 5, 42);
	len = slen;
	ck_assert_int_eq(hc_rx_expand(rx, work, &len, PKT_DATA_HDR_LEN + 1463,
	    &why), HC_RX_BAD);
	/* a message longer than its room */
	len = slen;
	ck_assert_int_eq(hc_rx_expand(rx, work, &len, slen - 1, &why),
	    HC_RX_BAD);
	/* the largest packet, then one byte more than an IPv4 packet holds */
	len = mkshort(&f, IP_MAX, 5, 42);
	ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why), HC_RX_OK);
	ck_assert_uint_eq(len, PKT_DATA_HDR_LEN + IP_MAX);
	ck_assert_mem_eq(work, orig, len);
	len = mkshort(&f, IP_MAX, 5, 42);
	work[len] = 0;
	len++;
	ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why),
	    HC_RX_BAD);
}
END_TEST

START_TEST(not_compressed_message_is_bad)
{
	struct flow f = flow_base();
	const char *why = NULL;
	size_t len = mkdata(work, &f, 100);

	ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why),
	    HC_RX_BAD);
}
END_TEST

/* Changes ip (len bytes) by one rule, the header checksum made good. */
static bool
eligible_after(size_t len, size_t off, uint16_t v)
{
	uint8_t *ip = orig + PKT_DATA_HDR_LEN;
	struct flow f = flow_base();

	mkdata(orig, &f, len);
	be16_put(ip + off, v);
	if (off != 10)
		ip_sum(ip, 20);
	return hc_eligible(ip, len);
}

START_TEST(eligible_rules)
{
	struct flow f = flow_base();
	uint8_t *ip = orig + PKT_DATA_HDR_LEN;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		mkdata(orig, &f, sizes[i]);
		ck_assert(hc_eligible(ip, sizes[i]));
	}
	/* shorter than IPv4 + UDP, even if it says so */
	mkdata(orig, &f, HC_IP_HDR);
	be16_put(ip + 2, HC_IP_HDR - 1);
	be16_put(ip + 24, HC_IP_HDR - 21);
	ip_sum(ip, 20);
	ck_assert(!hc_eligible(ip, HC_IP_HDR - 1));
	ck_assert(!hc_eligible(ip, 0));
	/* longer than any IPv4 packet */
	mkdata(orig, &f, IP_MAX);
	ck_assert(!hc_eligible(ip, IP_MAX + 1));
	/* version and header length: only 4 and 5 words */
	ck_assert(!eligible_after(100, 0, 0x4600 | f.tos));
	ck_assert(!eligible_after(100, 0, 0x4400 | f.tos));
	ck_assert(!eligible_after(100, 0, 0x6500 | f.tos));
	ck_assert(!eligible_after(100, 0, 0x5500 | f.tos));
	ck_assert(eligible_after(100, 0, 0x45ff));
	/* the protocol: UDP only (TTL in the same word) */
	ck_assert(!eligible_after(100, 8, (uint16_t)(f.ttl << 8 | 6)));
	ck_assert(!eligible_after(100, 8, (uint16_t)(f.ttl << 8 | 1)));
	ck_assert(!eligible_after(100, 8, (uint16_t)(f.ttl << 8 | 50)));
	ck_assert(eligible_after(100, 8, 0x0011));
	/* the IP length is the packet's */
	ck_assert(!eligible_after(100, 2, 101));
	ck_assert(!eligible_after(100, 2, 99));
	ck_assert(!eligible_after(100, 2, 0));
	/* not a fragment: no MF, no offset; DF is fine */
	ck_assert(!eligible_after(100, 6, 0x2000));
	ck_assert(!eligible_after(100, 6, 0x6000));
	ck_assert(!eligible_after(100, 6, 0x0001));
	ck_assert(!eligible_after(100, 6, 0x4001));
	ck_assert(!eligible_after(100, 6, 0x1fff));
	ck_assert(eligible_after(100, 6, 0x4000));
	ck_assert(eligible_after(100, 6, 0x0000));
	/* the UDP length is the rest of the packet */
	ck_assert(!eligible_after(100, 24, 81));
	ck_assert(!eligible_after(100, 24, 79));
	ck_assert(!eligible_after(100, 24, 0));
	ck_assert(eligible_after(100, 24, 80));
	/* a valid header checksum */
	mkdata(orig, &f, 100);
	for (int bit = 0; bit < 16; bit++) {
		uint16_t good = be16_get(ip + 10);

		ck_assert(!eligible_after(100, 10,
		    good ^ (uint16_t)(1 << bit)));
	}
	mkdata(orig, &f, 100);
	ip[15] ^= 0x80;		/* a source bit, sum kept */
	ck_assert(!hc_eligible(ip, 100));
	/* the UDP checksum is not the header's business: zero or any */
	ck_assert(eligible_after(100, 26, 0));
	ck_assert(eligible_after(100, 26, 0x1234));
}
END_TEST

/*
 * One's complement has two zeros: where the other header words sum to
 * 0xffff both 0x0000 and 0xffff check, and the receiver rebuilds 0x0000.
 * So 0xffff is refused (fuzz_hc found a packet sent with it coming back
 * with 0x0000), and 0x0000 makes the round trip whole.
 */
START_TEST(negative_zero_header_checksum)
{
	static const uint8_t hdr[20] = {
		0x45, 0x00, 0x00, 0x64, 0xb7, 0x33, 0x40, 0x00,
		0x40, 0x11, 0xff, 0xff, 0xc0, 0xa8, 0x01, 0x02,
		0xc0, 0xa8, 0x01, 0x03,
	};
	uint8_t *ip = orig + PKT_DATA_HDR_LEN, ctx, gen;
	size_t len, n;
	const char *why = NULL;

	memset(orig, 0, PKT_DATA_HDR_LEN + 100);
	orig[0] = PKT_MSG_DATA;
	orig[1] = 9;
	be32_put(orig + 2, 0x01020304);
	memcpy(ip, hdr, sizeof(hdr));
	be16_put(ip + 20, 4500);
	be16_put(ip + 22, 4500);
	be16_put(ip + 24, 80);
	ck_assert_uint_eq(sum16(ip, 20, 0), 0xffff);	/* it does check */
	ck_assert(!hc_eligible(ip, 100));
		ck_assert_int_eq(hc_tx_plan(tx, ip, 100, 0x01020304, 0, &ctx, &gen),
	    HC_PLAN_NONE);
	be16_put(ip + 10, 0);				/* the other zero */
	ck_assert(hc_eligible(ip, 100));
	ck_assert_int_eq(hc_tx_plan(tx, ip, 100, 0x01020304, 0, &ctx, &gen),
	    HC_PLAN_SET);
		len = hc_set_build(work, orig, 100, ctx, gen);
	ck_assert_int_eq(hc_rx_expand(rx, work, &len, ROOM, &why),
	    HC_RX_OK);
	ck_assert_int_eq(hc_tx_plan(tx, ip, 100, 0x01020304, 1, &ctx, &gen),
	    HC_PLAN_SHORT);
	memcpy(work, orig, PKT_DATA_HDR_LEN + 100);
	n = hc_shrink(work, 100, ctx, gen);
	ck_assert_int_eq(hc_rx_expand(rx, work, &n, ROOM, &why),
	    HC_RX_OK);
	ck_assert_uint_eq(n, PKT_DATA_HDR_LEN + 100);
	ck_assert_mem_eq(work, orig, n);
}
END_TEST

static Suite *
hc_suite(void)
{
	Suite *s = suite_create("hc");
	const struct {
		const char *name;
		const TTest *fn;
	} cases[] = {
		{ "round_trip_set_then_short", round_trip_set_then_short },
		{ "round_trip_keeps_every_field",
		    round_trip_keeps_every_field },
		{ "round_trip_keeps_a_wrong_udp_checksum",
		    round_trip_keeps_a_wrong_udp_checksum },
		{ "df_packet_takes_context_id", df_packet_takes_context_id },
		{ "sender_compresses_only_df", sender_compresses_only_df },
		{ "refresh_after_count", refresh_after_count },
		{ "refresh_after_time", refresh_after_time },
		{ "other_flows_other_contexts", other_flows_other_contexts },
		{ "full_table_reuses_oldest_with_new_generation",
		    full_table_reuses_oldest_with_new_generation },
		{ "receiver_without_set_misses",
		    receiver_without_set_misses },
		{ "context_out_of_range_is_bad",
		    context_out_of_range_is_bad },
		{ "truncated_messages", truncated_messages },
		{ "set_of_ineligible_packet_is_bad",
		    set_of_ineligible_packet_is_bad },
		{ "expansion_past_cap_or_ip_max_is_bad",
		    expansion_past_cap_or_ip_max_is_bad },
		{ "not_compressed_message_is_bad",
		    not_compressed_message_is_bad },
		{ "eligible_rules", eligible_rules },
		{ "negative_zero_header_checksum",
		    negative_zero_header_checksum },
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
	SRunner *sr = srunner_create(hc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
