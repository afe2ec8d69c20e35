/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for IPv4/UDP header compression
 * (lib/hc.c).  The input is a seed byte for the tables' generations, then
 * a run of records, each u8 op, u16 length (big-endian), u8 aux and that
 * many bytes:
 *
 *   op bit 0 clear: a message a link delivered.  It goes into one receiver
 *   table, in a buffer of exactly its length plus the most an expansion
 *   adds, with a cap of that size or (aux bit 7) of its length plus aux's
 *   low 5 bits, never more than the buffer.  The receiver is checked
 *   against a model of its own kept here: an HC_SET is accepted
 *   exactly when its context is in range and its packet hc_eligible, and
 *   comes back as that packet in a DATA message; an HC is refused as bad
 *   exactly when it is short, out of range or too long, missed exactly
 *   when the model holds no such context and generation, and otherwise
 *   comes back as the model's headers around its payload.  Every DATA
 *   message out carries an hc_eligible packet.  (op bit 7 adds
 *   HC_SET_HDR to the length, so that an HC_SET of a 65535-byte packet
 *   can be written.)
 *
 *   op bit 0 set: a packet an endpoint sent, as u8 DATA TTL, u8 origin
 *   (one of a few), then the IP packet, made more or less well-formed by
 *   the other bits of op (see sender()); aux advances the clock.  It goes
 *   through a sender table (hc_tx_plan, then hc_set_build or hc_shrink)
 *   and the message through a second receiver table, which must give back
 *   the DATA message exactly, but for the one exception of hc.h: the id
 *   is the one of the context's last HC_SET.  A packet that is not
 *   hc_eligible or lacks DF must be planned HC_PLAN_NONE.
 *
 * Any violation aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "flags.h"
#include "hc.h"
#include "pkt.h"
#include "vnet.h"

static const char *const flags[] = { "-max_len=140000", NULL };

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	return 0;
}

#define IP_MAX	65535

/* What a receiver must hold after the messages it accepted. */
struct model {
	bool		used;
	uint8_t		gen;
	uint32_t	origin;
	uint8_t		hdr[HC_IP_HDR];
};

static struct hc_table	rx, tx, rx2;
static struct model	rx_model[HC_CTX_MAX];
/* the sender's side: the id each context's last HC_SET carried */
static uint16_t		set_id[HC_CTX_MAX];
static uint8_t		prev_hdr[HC_IP_HDR];
static bool		have_prev;

/* RFC 1071, our own: the library's sum is what is under test. */
static uint16_t
sum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (; n >= 2; p += 2, n -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (n == 1)
		s += (uint32_t)p[0] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static void
check_data(const uint8_t *m, size_t len, size_t cap)
{
	if (len > cap || len < PKT_DATA_HDR_LEN + HC_IP_HDR || m[0] != PKT_MSG_DATA)
		abort();
	if (!hc_eligible(m + PKT_DATA_HDR_LEN, len - PKT_DATA_HDR_LEN))
		abort();
}

static void
receiver(const uint8_t *msg, size_t len, uint8_t aux)
{
	size_t room = len + HC_SAVES, cap, out = len;
	uint8_t *b = malloc(room > 0 ? room : 1);
	const char *why = NULL;
	enum hc_rx r;

	if (b == NULL)
		return;
	memcpy(b, msg, len);
	/* the room it needs, or (aux bit 7) any of the 32 bytes from len */
	cap = room;
	if (aux & 0x80)
		cap = len + (aux & 0x1f) < room ? len + (aux & 0x1f) : room;
	r = hc_rx_expand(&rx, b, &out, cap, &why);
	if (r == HC_RX_BAD && why == NULL)
		abort();
	if (len < 1 || len > cap) {
		if (r != HC_RX_BAD)
			abort();
	} else if (msg[0] == PKT_MSG_HC_SET) {
		bool good = len >= HC_SET_HDR + HC_IP_HDR &&
		    msg[6] < HC_CTX_MAX &&
		    hc_eligible(msg + HC_SET_HDR, len - HC_SET_HDR);
		struct model *c;

		if (r != (good ? HC_RX_OK : HC_RX_BAD))
			abort();
		if (good) {
			check_data(b, out, cap);
			if (out != len - 2 || b[1] != msg[1] ||
			    memcmp(b + 2, msg + 2, 4) != 0 ||
			    memcmp(b + PKT_DATA_HDR_LEN, msg + HC_SET_HDR,
			    len - HC_SET_HDR) != 0)
				abort();
			c = &rx_model[msg[6]];
			c->used = true;
			c->gen = msg[7];
			c->origin = be32_get(msg + 2);
			memcpy(c->hdr, msg + HC_SET_HDR, HC_IP_HDR);
		}
	} else if (msg[0] == PKT_MSG_HC) {
		size_t ip_len = len - HC_MSG_HDR + HC_IP_HDR;
		const struct model *c;
		uint8_t hdr[HC_IP_HDR];

		if (len < HC_MSG_HDR || msg[2] >= HC_CTX_MAX ||
		    ip_len > IP_MAX || PKT_DATA_HDR_LEN + ip_len > cap) {
			if (r != HC_RX_BAD)
				abort();
			goto done;
		}
		c = &rx_model[msg[2]];
		if (!c->used || c->gen != msg[3]) {
			if (r != HC_RX_MISS)
				abort();
			goto done;
		}
		if (r != HC_RX_OK)
			abort();
		check_data(b, out, cap);
		/* the context's headers, lengths and sums made anew */
		memcpy(hdr, c->hdr, HC_IP_HDR);
		be16_put(hdr + 2, (uint16_t)ip_len);
		be16_put(hdr + 10, 0);
		be16_put(hdr + 10, (uint16_t)~sum16(hdr, 20));
		be16_put(hdr + 24, (uint16_t)(ip_len - 20));
		memcpy(hdr + 26, msg + 4, 2);
		if (out != PKT_DATA_HDR_LEN + ip_len || b[1] != msg[1] ||
		    be32_get(b + 2) != c->origin ||
		    memcmp(b + PKT_DATA_HDR_LEN, hdr, HC_IP_HDR) != 0 ||
		    memcmp(b + PKT_DATA_HDR_LEN + HC_IP_HDR, msg + HC_MSG_HDR,
		    len - HC_MSG_HDR) != 0)
			abort();
	} else if (r != HC_RX_BAD)
		abort();
done:
	free(b);
}

/*
 * The packet of a sender record, in a DATA message at m.  op bit 1 takes
 * the previous packet's headers (the same flow again); bit 2 makes the
 * packet IPv4/UDP without options and not a fragment; bit 3 sets both
 * lengths; bit 4 the header checksum; bit 5 writes a checksum that comes
 * out 0 as 0xffff, the other zero of one's complement, which is just as
 * valid.  Returns the IP length.
 */
static size_t
mkpacket(uint8_t *m, uint8_t op, const uint8_t *d, size_t len)
{
	uint8_t *ip = m + PKT_DATA_HDR_LEN;
	uint16_t c;

	m[0] = PKT_MSG_DATA;
	m[1] = d[0];
	be32_put(m + 2, 0x0a000000u + d[1] % 4);
	len -= 2;
	memcpy(ip, d + 2, len);
	if (len < HC_IP_HDR)
		return len;
	if ((op & 0x02) && have_prev)
		memcpy(ip, prev_hdr, HC_IP_HDR);
	if (op & 0x04) {
		ip[0] = 0x45;
		ip[9] = 17;
		ip[6] &= 0x40;			/* DF or nothing */
		ip[7] = 0;
	}
	if (op & 0x08) {
		be16_put(ip + 2, (uint16_t)len);
		be16_put(ip + 24, (uint16_t)(len - 20));
	}
	if (op & 0x10) {
		be16_put(ip + 10, 0);
		c = (uint16_t)~sum16(ip, 20);
		be16_put(ip + 10, c == 0 && (op & 0x20) ? 0xffff : c);
	}
	memcpy(prev_hdr, ip, HC_IP_HDR);
	have_prev = true;
	return len;
}

static void
sender(uint8_t op, const uint8_t *d, size_t len, uint64_t now)
{
	uint8_t *m, *w, ctx = 0xee, gen = 0;
	size_t ip_len, mlen, wlen, out;
	const char *why = NULL;
	enum hc_plan p;
	uint8_t *ip;

	if (len < 2 || len - 2 > IP_MAX)
		return;
	m = malloc(PKT_DATA_HDR_LEN + len);
	w = malloc(HC_SET_HDR + len);
	if (m == NULL || w == NULL)
		goto done;
	ip_len = mkpacket(m, op, d, len);
	mlen = PKT_DATA_HDR_LEN + ip_len;
	ip = m + PKT_DATA_HDR_LEN;
	p = hc_tx_plan(&tx, ip, ip_len, be32_get(m + 2), now, &ctx, &gen);
	if (!hc_eligible(ip, ip_len) || (ip[6] & 0x40) == 0) {	/* DF */
		if (p != HC_PLAN_NONE)
			abort();
		goto done;
	}
	if (ctx >= HC_CTX_MAX)
		abort();
	if (p == HC_PLAN_SET) {
		wlen = hc_set_build(w, m, ip_len, ctx, gen);
		if (wlen != HC_SET_HDR + ip_len || w[0] != PKT_MSG_HC_SET)
			abort();
		set_id[ctx] = be16_get(ip + 4);
		out = wlen;
		if (hc_rx_expand(&rx2, w, &out, wlen, &why) != HC_RX_OK ||
		    out != mlen || memcmp(w, m, mlen) != 0)
			abort();
	} else if (p == HC_PLAN_SHORT) {
		memcpy(w, m, mlen);
		wlen = hc_shrink(w, ip_len, ctx, gen);
		if (wlen != mlen - HC_SAVES || w[0] != PKT_MSG_HC)
			abort();
		out = wlen;
		if (hc_rx_expand(&rx2, w, &out, mlen, &why) != HC_RX_OK ||
		    out != mlen)
			abort();
		/* the context's id, and the checksum made for it */
		if (be16_get(ip + 4) != set_id[ctx]) {
			be16_put(ip + 4, set_id[ctx]);
			be16_put(ip + 10, 0);
			be16_put(ip + 10, (uint16_t)~sum16(ip, 20));
		}
		if (memcmp(w, m, mlen) != 0)
			abort();
	} else
		abort();
done:
	free(m);
	free(w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t now = 0;
	size_t off = 1;

	if (size < 1)
		return 0;
	hc_init(&rx, data[0]);
	hc_init(&tx, data[0]);
	hc_init(&rx2, (uint8_t)~data[0]);
	memset(rx_model, 0, sizeof(rx_model));
	memset(set_id, 0, sizeof(set_id));
	have_prev = false;
	while (size - off >= 4) {
		uint8_t op = data[off], aux = data[off + 3];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		off += 4;
		if (!(op & 1) && (op & 0x80))
			len += HC_SET_HDR;
		if (len > size - off)
			len = size - off;
		if (op & 1) {
			now += (uint64_t)aux << 12;
			sender(op, data + off, len, now);
		} else
			receiver(data + off, len, aux);
		off += len;
	}
	return 0;
}
