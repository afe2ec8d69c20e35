/* SPDX-License-Identifier: ISC */
/*
 * IPv4/UDP header compression on a link.  See hc.h.
 *
 * A linear scan of HC_CTX_MAX contexts, the one matched last first: a
 * link carries few flows of full-size UDP at once (IPsec tunnels), and
 * only packets that would otherwise be split come here.
 */
#include <string.h>

#include "buf.h"
#include "hc.h"
#include "pkt.h"
#include "vnet.h"

void
hc_init(struct hc_table *t, uint8_t gen_seed)
{
	memset(t, 0, sizeof(*t));
	t->gen = gen_seed;
}

bool
hc_eligible(const uint8_t *ip, size_t len)
{
	if (len < HC_IP_HDR || len > 65535)
		return false;
	if (ip[0] != 0x45 || ip[9] != 17)	/* IPv4, no options; UDP */
		return false;
	if (be16_get(ip + 2) != len)
		return false;
	if ((be16_get(ip + 6) & 0x3fff) != 0)	/* MF or an offset */
		return false;
	if (be16_get(ip + 24) != len - 20)	/* the UDP length */
		return false;
	/*
	 * A valid header checksum, in the form it is rebuilt in: where the
	 * other words sum to 0xffff both 0 and 0xffff check, and the
	 * receiver writes 0 (0xffff is never the sum's complement: 0x45..
	 * keeps the sum from being 0).
	 */
	return be16_get(ip + 10) != 0xffff && vnet_sum(ip, 20, 0) == 0xffff;
}

/*
 * Whether the packet's fixed fields are those of context c.  The id is
 * not one of them: only atomic datagrams (DF set, not a fragment) are
 * compressed, and RFC 6864 (section 4) says their id means nothing, that
 * a source may set it to any value and that every device must ignore it.
 * Senders do change it packet by packet; it is rebuilt as the context's.
 */
static bool
same(const struct hc_ctx *c, const uint8_t *ip, uint32_t origin)
{
	return c->used && c->origin == origin &&
	    memcmp(c->hdr, ip, 2) == 0 &&		/* version, IHL, TOS */
	    memcmp(c->hdr + 6, ip + 6, 4) == 0 &&	/* flags, TTL, proto */
	    memcmp(c->hdr + 12, ip + 12, 12) == 0;	/* addresses, ports */
}

enum hc_plan
hc_tx_plan(struct hc_table *t, const uint8_t *ip, size_t len,
    uint32_t origin, uint64_t now_us, uint8_t *ctx, uint8_t *gen)
{
	struct hc_ctx *c = NULL;
	size_t i;

	if (!hc_eligible(ip, len) || (ip[6] & 0x40) == 0)	/* DF */
		return HC_PLAN_NONE;
	if (same(&t->ctx[t->last % HC_CTX_MAX], ip, origin))
		i = t->last % HC_CTX_MAX;
	else
		for (i = 0; i < HC_CTX_MAX; i++)
			if (same(&t->ctx[i], ip, origin))
				break;
	if (i < HC_CTX_MAX) {
		c = &t->ctx[i];
		t->last = (uint8_t)i;
		*ctx = (uint8_t)i;
		*gen = c->gen;
		if (++c->since_set < HC_REFRESH_PKTS &&
		    now_us - c->set_us < HC_REFRESH_US)
			return HC_PLAN_SHORT;
		c->since_set = 0;
		c->set_us = now_us;
		return HC_PLAN_SET;
	}
	/* A new flow takes the context given out longest ago. */
	i = t->next % HC_CTX_MAX;
	t->next = (uint8_t)((i + 1) % HC_CTX_MAX);
	c = &t->ctx[i];
	c->used = true;
	c->gen = ++t->gen;
	c->origin = origin;
	memcpy(c->hdr, ip, HC_IP_HDR);
	c->since_set = 0;
	c->set_us = now_us;
	t->last = (uint8_t)i;
	*ctx = (uint8_t)i;
	*gen = c->gen;
	return HC_PLAN_SET;
}

size_t
hc_shrink(uint8_t *m, size_t ip_len, uint8_t ctx, uint8_t gen)
{
	uint8_t *ip = m + PKT_DATA_HDR_LEN;
	uint8_t sum[2];

	memcpy(sum, ip + 26, 2);
	memmove(m + HC_MSG_HDR, ip + HC_IP_HDR, ip_len - HC_IP_HDR);
	m[0] = PKT_MSG_HC;
	/* m[1], the TTL, stays */
	m[2] = ctx;
	m[3] = gen;
	memcpy(m + 4, sum, 2);
	return HC_MSG_HDR + ip_len - HC_IP_HDR;
}

size_t
hc_set_build(uint8_t *out, const uint8_t *m, size_t ip_len, uint8_t ctx,
    uint8_t gen)
{
	out[0] = PKT_MSG_HC_SET;
	memcpy(out + 1, m + 1, 5);	/* TTL, origin */
	out[6] = ctx;
	out[7] = gen;
	memcpy(out + HC_SET_HDR, m + PKT_DATA_HDR_LEN, ip_len);
	return HC_SET_HDR + ip_len;
}

static enum hc_rx
bad(const char **why, const char *what)
{
	*why = what;
	return HC_RX_BAD;
}

/* HC_SET: remember the headers, then drop ctx and gen from the message. */
static enum hc_rx
rx_set(struct hc_table *t, uint8_t *m, size_t *len, const char **why)
{
	struct hc_ctx *c;
	size_t ip_len;

	if (*len < HC_SET_HDR + HC_IP_HDR)
		return bad(why, "header context message too short");
	if (m[6] >= HC_CTX_MAX)
		return bad(why, "header context out of range");
	ip_len = *len - HC_SET_HDR;
	if (!hc_eligible(m + HC_SET_HDR, ip_len))
		return bad(why, "header context packet not IPv4/UDP as "
		    "compressed");
	c = &t->ctx[m[6]];
	c->used = true;
	c->gen = m[7];
	c->origin = be32_get(m + 2);
	memcpy(c->hdr, m + HC_SET_HDR, HC_IP_HDR);
	m[0] = PKT_MSG_DATA;
	memmove(m + PKT_DATA_HDR_LEN, m + HC_SET_HDR, ip_len);
	*len = PKT_DATA_HDR_LEN + ip_len;
	return HC_RX_OK;
}

/* HC: the headers back from the context, the lengths and sum computed. */
static enum hc_rx
rx_short(struct hc_table *t, uint8_t *m, size_t *len, size_t cap,
    const char **why)
{
	const struct hc_ctx *c;
	size_t pay, ip_len;
	uint8_t sum[2], *ip;

	if (*len < HC_MSG_HDR)
		return bad(why, "compressed message too short");
	if (m[2] >= HC_CTX_MAX)
		return bad(why, "header context out of range");
	pay = *len - HC_MSG_HDR;
	ip_len = HC_IP_HDR + pay;
	if (ip_len > 65535 || PKT_DATA_HDR_LEN + ip_len > cap)
		return bad(why, "compressed message too long");
	c = &t->ctx[m[2]];
	if (!c->used || c->gen != m[3]) {
		*why = "header context not held";
		return HC_RX_MISS;
	}
	memcpy(sum, m + 4, 2);
	memmove(m + PKT_DATA_HDR_LEN + HC_IP_HDR, m + HC_MSG_HDR, pay);
	m[0] = PKT_MSG_DATA;
	/* m[1], the TTL, stays */
	be32_put(m + 2, c->origin);
	ip = m + PKT_DATA_HDR_LEN;
	memcpy(ip, c->hdr, HC_IP_HDR);
	be16_put(ip + 2, (uint16_t)ip_len);
	be16_put(ip + 10, 0);
	be16_put(ip + 10, (uint16_t)~vnet_sum(ip, 20, 0));
	be16_put(ip + 24, (uint16_t)(ip_len - 20));
	memcpy(ip + 26, sum, 2);
	*len = PKT_DATA_HDR_LEN + ip_len;
	return HC_RX_OK;
}

enum hc_rx
hc_rx_expand(struct hc_table *t, uint8_t *m, size_t *len, size_t cap,
    const char **why)
{
	if (*len < 1)
		return bad(why, "empty message");
	if (*len > cap)
		return bad(why, "message larger than its buffer");
	if (m[0] == PKT_MSG_HC_SET)
		return rx_set(t, m, len, why);
	if (m[0] == PKT_MSG_HC)
		return rx_short(t, m, len, cap, why);
	return bad(why, "not a compressed message");
}
