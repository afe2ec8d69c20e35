/* SPDX-License-Identifier: ISC */
/*
 * This file owns IPv6 packet inspection for the data path: the fixed
 * header, a bounded walk over the extension headers (RFC 8200 4), enough of
 * the UDP/ESP/TCP/ICMPv6 header after them to tell IKE from ESP from the
 * rest (RFC 7296 ports, RFC 3948 markers), the forwarding policy check, and
 * the Packet Too Big builder.  Reads go through buf_rd cursors; nothing is
 * cast onto the packet.
 *
 * Why a bounded walk: a chain of extension headers can fill a whole
 * datagram with 8-byte headers (RFC 7112 explains the cost), and ESP can
 * only be found after it.  IPV6_EXT_MAX headers are enough for any packet
 * an IPsec endpoint sends (RFC 8200 4.1 recommends at most one of each,
 * destination options twice); a longer chain is refused, not half-read.
 */
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "ipsec.h"
#include "ipv6.h"

#define ESP_HDR_LEN		8	/* SPI, sequence number */
#define FRAG_HDR_LEN		8
#define FRAG_OFFSET_MASK	0xfff8

#define ICMPV6_PTB		2
#define ICMPV6_ERROR_MAX	127	/* types 0-127 are errors */

static int
fail(const char **why, const char *msg)
{
	if (why != NULL)
		*why = msg;
	return -1;
}

static void
classify_udp(struct buf_rd *r, struct ipv6_info *info)
{
	struct ipsec_udp u;

	if (!ipsec_udp_classify(r, &u))
		return;
	info->sport = u.sport;
	info->dport = u.dport;
	if (u.kind == IPSEC_UDP_IKE) {
		info->ike_spi_i = u.ike_spi_i;
		info->cls = IPV6_IKE;
	} else if (u.kind == IPSEC_UDP_ESP) {
		info->spi = u.spi;
		info->cls = IPV6_ESP_UDP;
	}
}

static void
classify_upper(struct buf_rd *r, struct ipv6_info *info)
{
	switch (info->proto) {
	case IPV6_NH_UDP:
		classify_udp(r, info);
		break;
	case IPV6_NH_ESP:
		if (rd_left(r) >= ESP_HDR_LEN) {
			info->spi = rd_u32be(r);
			info->cls = IPV6_ESP;
		}
		break;
	case IPV6_NH_ICMPV6:
		if (rd_left(r) >= 4) {
			info->icmp_type = rd_u8(r);
			info->cls = IPV6_ICMP;
		}
		break;
	case IPV6_NH_TCP:
		if (rd_left(r) >= 4) {
			info->sport = rd_u16be(r);
			info->dport = rd_u16be(r);
		}
		break;
	default:
		break;
	}
}

/* Later fragments have no upper-layer header: go by protocol alone. */
static void
classify_later(struct ipv6_info *info)
{
	switch (info->proto) {
	case IPV6_NH_UDP:
		info->cls = IPV6_IKE;
		break;
	case IPV6_NH_ESP:
		info->cls = IPV6_ESP;
		break;
	case IPV6_NH_ICMPV6:
		info->cls = IPV6_ICMP;
		break;
	default:
		break;
	}
}

/*
 * Walks the extension headers from r (just after the fixed header) with
 * the first next header nh.  On return info->proto is the upper-layer
 * protocol and r stands on its header.  -1 with *why on a malformed or
 * too long chain.
 */
static int
walk_ext(struct buf_rd *r, uint8_t nh, struct ipv6_info *info,
    const char **why)
{
	uint16_t off;
	size_t hlen;

	for (;;) {
		switch (nh) {
		case IPV6_NH_HOPOPTS:
			if (info->n_ext > 0)
				return fail(why, "hop-by-hop header not first");
			/* FALLTHROUGH */
		case IPV6_NH_ROUTING:
		case IPV6_NH_DSTOPTS:
			if (info->n_ext >= IPV6_EXT_MAX)
				return fail(why, "too many extension headers");
			if (rd_left(r) < 8)
				return fail(why, "truncated extension header");
			nh = rd_u8(r);
			hlen = ((size_t)rd_u8(r) + 1) * 8;
			if (hlen - 2 > rd_left(r))
				return fail(why, "extension header beyond "
				    "packet");
			rd_skip(r, hlen - 2);
			info->n_ext++;
			break;
		case IPV6_NH_FRAGMENT:
			if (info->n_ext >= IPV6_EXT_MAX)
				return fail(why, "too many extension headers");
			if (info->fragment)
				return fail(why, "two fragment headers");
			if (rd_left(r) < FRAG_HDR_LEN)
				return fail(why, "truncated fragment header");
			nh = rd_u8(r);
			rd_skip(r, 1);			/* reserved */
			off = rd_u16be(r);
			rd_skip(r, 4);			/* identification */
			info->n_ext++;
			info->fragment = true;
			if ((off & FRAG_OFFSET_MASK) != 0) {
				/* no header of this fragment is ours to read */
				info->later_fragment = true;
				info->proto = nh;
				return 0;
			}
			break;
		default:
			info->proto = nh;
			return r->err == NULL ? 0 : fail(why, r->err);
		}
	}
}

int
ipv6_parse(const uint8_t *p, size_t len, struct ipv6_info *info,
    const char **why)
{
	struct buf_rd r;
	uint8_t nh;

	memset(info, 0, sizeof(*info));
	info->cls = IPV6_OTHER;
	buf_rd_init(&r, p, len);
	if (len < IPV6_HDR_LEN)
		return fail(why, "truncated");
	if (rd_u8(&r) >> 4 != 6)
		return fail(why, "not ipv6");
	rd_skip(&r, 3);			/* traffic class, flow label */
	info->payload_len = rd_u16be(&r);
	if (info->payload_len == 0 && len > IPV6_HDR_LEN)
		return fail(why, "jumbogram");
	if ((size_t)info->payload_len != len - IPV6_HDR_LEN)
		return fail(why, "length mismatch");
	nh = rd_u8(&r);
	info->hop_limit = rd_u8(&r);
	rd_bytes(&r, info->src.s6_addr, 16);
	rd_bytes(&r, info->dst.s6_addr, 16);
	if (r.err != NULL)
		return fail(why, r.err);
	if (walk_ext(&r, nh, info, why) == -1)
		return -1;
	info->l4_off = (uint16_t)r.off;
	if (info->later_fragment)
		classify_later(info);
	else
		classify_upper(&r, info);
	return 0;
}

bool
ipv6_policy_allows(const struct ipv6_info *info, unsigned fwd)
{
	if (fwd & CONF_FWD_ALL)
		return true;
	switch (info->cls) {
	case IPV6_IKE:
		return (fwd & CONF_FWD_IKE) != 0;
	case IPV6_ESP_UDP:
		return (fwd & (CONF_FWD_IKE | CONF_FWD_ESP)) != 0;
	case IPV6_ESP:
		return (fwd & CONF_FWD_ESP) != 0;
	case IPV6_ICMP:
		return (fwd & CONF_FWD_ICMP) != 0;
	case IPV6_OTHER:
	default:
		return false;
	}
}

const char *
ipv6_class_name(enum ipv6_class cls)
{
	switch (cls) {
	case IPV6_IKE:
		return "ike";
	case IPV6_ESP_UDP:
		return "esp-udp";
	case IPV6_ESP:
		return "esp";
	case IPV6_ICMP:
		return "icmp";
	case IPV6_OTHER:
		return "other";
	}
	return "unknown";
}

/* One's complement sum of n bytes, 16 bits at a time, into sum. */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int
ipv6_build_ptb(uint8_t *out, size_t cap, const struct in6_addr *src,
    const uint8_t *pkt, size_t pkt_len, const struct ipv6_info *info,
    uint32_t mtu)
{
	struct buf_wr w;
	size_t quote, icmp_len;
	uint8_t pseudo[40];
	uint32_t sum;
	uint16_t ck;

	/* too big by definition: the answer is then smaller than it */
	if (mtu < IPV6_MIN_MTU || pkt_len <= mtu)
		return -1;
	/* never an error about an error (or what may be one) */
	if (info->proto == IPV6_NH_ICMPV6 && (info->later_fragment ||
	    info->cls != IPV6_ICMP || info->icmp_type <= ICMPV6_ERROR_MAX))
		return -1;
	/* nor to a multicast or unspecified source */
	if (info->src.s6_addr[0] == 0xff || IN6_IS_ADDR_UNSPECIFIED(&info->src))
		return -1;
	quote = pkt_len;
	if (quote > IPV6_MIN_MTU - IPV6_HDR_LEN - 8)
		quote = IPV6_MIN_MTU - IPV6_HDR_LEN - 8;
	icmp_len = 8 + quote;
	if (cap < IPV6_HDR_LEN + icmp_len)
		return -1;
	buf_wr_init(&w, out, cap);
	wr_u32be(&w, 0x60000000);		/* version 6, class 0, label 0 */
	wr_u16be(&w, (uint16_t)icmp_len);
	wr_u8(&w, IPV6_NH_ICMPV6);
	wr_u8(&w, 64);				/* hop limit */
	wr_bytes(&w, src->s6_addr, 16);
	wr_bytes(&w, info->src.s6_addr, 16);
	wr_u8(&w, ICMPV6_PTB);
	wr_u8(&w, 0);				/* code */
	wr_u16be(&w, 0);			/* checksum, below */
	wr_u32be(&w, mtu);
	wr_bytes(&w, pkt, quote);
	if (w.err != NULL)
		return -1;
	/* RFC 8200 8.1 pseudo-header: src, dst, upper-layer length, 58 */
	memcpy(pseudo, src->s6_addr, 16);
	memcpy(pseudo + 16, info->src.s6_addr, 16);
	pseudo[32] = (uint8_t)(icmp_len >> 24);
	pseudo[33] = (uint8_t)(icmp_len >> 16);
	pseudo[34] = (uint8_t)(icmp_len >> 8);
	pseudo[35] = (uint8_t)icmp_len;
	pseudo[36] = pseudo[37] = pseudo[38] = 0;
	pseudo[39] = IPV6_NH_ICMPV6;
	sum = csum_add(0, pseudo, sizeof(pseudo));
	sum = csum_add(sum, out + IPV6_HDR_LEN, icmp_len);
	ck = csum_fold(sum);
	out[IPV6_HDR_LEN + 2] = (uint8_t)(ck >> 8);
	out[IPV6_HDR_LEN + 3] = (uint8_t)ck;
	return (int)(IPV6_HDR_LEN + icmp_len);
}
