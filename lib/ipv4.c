/* SPDX-License-Identifier: ISC */
/*
 * This file owns IPv4 packet inspection for the data path: the IPv4 header,
 * enough of the UDP/ESP/TCP header after it to tell IKE from ESP from the
 * rest (RFC 7296 ports, RFC 3948 markers), and the forwarding policy check.
 * Reads go through buf_rd cursors; nothing is cast onto the packet.
 */
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "ipsec.h"
#include "ipv4.h"

#define IPV4_HDR_MIN		20
#define IPV4_MF			0x2000
#define IPV4_OFFSET_MASK	0x1fff

#define PROTO_ICMP		1
#define PROTO_TCP		6
#define PROTO_UDP		17
#define PROTO_ESP		50

#define ESP_HDR_LEN		8	/* SPI, sequence number */

static int
fail(const char **why, const char *msg)
{
	if (why != NULL)
		*why = msg;
	return -1;
}

static void
classify_udp(struct buf_rd *r, struct ipv4_info *info)
{
	struct ipsec_udp u;

	if (!ipsec_udp_classify(r, &u))
		return;
	info->sport = u.sport;
	info->dport = u.dport;
	if (u.kind == IPSEC_UDP_IKE) {
		info->ike_spi_i = u.ike_spi_i;
		info->cls = IPV4_IKE;
	} else if (u.kind == IPSEC_UDP_ESP) {
		info->spi = u.spi;
		info->cls = IPV4_ESP_UDP;
	}
}

static void
classify_first(struct buf_rd *r, struct ipv4_info *info)
{
	switch (info->proto) {
	case PROTO_UDP:
		classify_udp(r, info);
		break;
	case PROTO_ESP:
		if (rd_left(r) >= ESP_HDR_LEN) {
			info->spi = rd_u32be(r);
			info->cls = IPV4_ESP;
		}
		break;
	case PROTO_ICMP:
		info->cls = IPV4_ICMP;
		break;
	case PROTO_TCP:
		if (rd_left(r) >= 4) {
			info->sport = rd_u16be(r);
			info->dport = rd_u16be(r);
		}
		break;
	default:
		break;
	}
}

/* Later fragments have no transport header: go by protocol alone. */
static void
classify_later(struct ipv4_info *info)
{
	switch (info->proto) {
	case PROTO_UDP:
		info->cls = IPV4_IKE;
		break;
	case PROTO_ESP:
		info->cls = IPV4_ESP;
		break;
	case PROTO_ICMP:
		info->cls = IPV4_ICMP;
		break;
	default:
		break;
	}
}

int
ipv4_parse(const uint8_t *p, size_t len, struct ipv4_info *info,
    const char **why)
{
	struct buf_rd r;
	uint8_t vihl;
	size_t hlen;
	uint16_t frag;

	memset(info, 0, sizeof(*info));
	info->cls = IPV4_OTHER;
	buf_rd_init(&r, p, len);
	if (rd_left(&r) < IPV4_HDR_MIN)
		return fail(why, "truncated");
	vihl = rd_u8(&r);
	if (vihl >> 4 != 4)
		return fail(why, "not ipv4");
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (hlen < IPV4_HDR_MIN)
		return fail(why, "header length under 20");
	if (hlen > len)
		return fail(why, "header length beyond packet");
	rd_skip(&r, 1);				/* DSCP, ECN */
	info->total_len = rd_u16be(&r);
	if (info->total_len != len)
		return fail(why, "length mismatch");
	rd_skip(&r, 2);				/* identification */
	frag = rd_u16be(&r);
	info->ttl = rd_u8(&r);
	info->proto = rd_u8(&r);
	rd_skip(&r, 2);				/* checksum */
	info->src.s_addr = htonl(rd_u32be(&r));
	info->dst.s_addr = htonl(rd_u32be(&r));
	rd_skip(&r, hlen - IPV4_HDR_MIN);	/* options */
	if (r.err != NULL)
		return fail(why, r.err);

	info->fragment = (frag & (IPV4_MF | IPV4_OFFSET_MASK)) != 0;
	info->later_fragment = (frag & IPV4_OFFSET_MASK) != 0;
	if (info->later_fragment)
		classify_later(info);
	else
		classify_first(&r, info);
	return 0;
}

bool
ipv4_policy_allows(const struct ipv4_info *info, unsigned fwd)
{
	if (fwd & CONF_FWD_ALL)
		return true;
	switch (info->cls) {
	case IPV4_IKE:
		return (fwd & CONF_FWD_IKE) != 0;
	case IPV4_ESP_UDP:
		return (fwd & (CONF_FWD_IKE | CONF_FWD_ESP)) != 0;
	case IPV4_ESP:
		return (fwd & CONF_FWD_ESP) != 0;
	case IPV4_ICMP:
		return (fwd & CONF_FWD_ICMP) != 0;
	case IPV4_OTHER:
	default:
		return false;
	}
}

const char *
ipv4_class_name(enum ipv4_class cls)
{
	switch (cls) {
	case IPV4_IKE:
		return "ike";
	case IPV4_ESP_UDP:
		return "esp-udp";
	case IPV4_ESP:
		return "esp";
	case IPV4_ICMP:
		return "icmp";
	case IPV4_OTHER:
		return "other";
	}
	return "unknown";
}

/* RFC 1624 eqn. 3: the checksum at c after a 16-bit word went from m to n. */
static void
csum_replace16(uint8_t *c, uint16_t m, uint16_t n)
{
	uint32_t sum = (uint16_t)~(((uint32_t)c[0] << 8) | c[1]);

	sum += (uint16_t)~m;
	sum += n;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = (uint16_t)~sum;
	c[0] = (uint8_t)(sum >> 8);
	c[1] = (uint8_t)sum;
}

static uint16_t
swap16(uint16_t v)
{
	return (uint16_t)((v << 8) | (v >> 8));
}

int
ip_tcp_mss_clamp(uint8_t *ip, size_t len, size_t ip_max)
{
	size_t hl, doff, o;
	uint8_t *th;
	uint16_t mss, max;

	if (len < 1)
		return 0;
	if (ip[0] >> 4 == 4) {
		hl = (size_t)(ip[0] & 0x0f) * 4;
		if (hl < IPV4_HDR_MIN || len < hl || ip[9] != PROTO_TCP ||
		    ((((unsigned)ip[6] << 8) | ip[7]) &
		    (IPV4_MF | IPV4_OFFSET_MASK)) != 0)
			return 0;
	} else if (ip[0] >> 4 == 6) {
		hl = 40;
		if (len < hl || ip[6] != PROTO_TCP)
			return 0;
	} else
		return 0;
	if (len - hl < 20 || ip_max < hl + 20 + 1)
		return 0;
	th = ip + hl;
	doff = (size_t)(th[12] >> 4) * 4;
	if (!(th[13] & 0x02) || doff < 20 || doff > len - hl)
		return 0;	/* not a SYN, or a bad data offset */
	max = ip_max - hl - 20 > 0xffff ? 0xffff : (uint16_t)(ip_max - hl - 20);
	for (o = 20; o < doff;) {
		uint8_t kind = th[o];

		if (kind == 0)
			break;			/* end of options */
		if (kind == 1) {
			o++;			/* NOP */
			continue;
		}
		if (o + 1 >= doff || th[o + 1] < 2 || th[o + 1] > doff - o)
			return 0;		/* malformed options */
		if (kind == 2 && th[o + 1] == 4) {
			mss = (uint16_t)((th[o + 2] << 8) | th[o + 3]);
			if (mss <= max)
				return 0;
			th[o + 2] = (uint8_t)(max >> 8);
			th[o + 3] = (uint8_t)max;
			if ((o + 2) & 1)	/* odd offset: the sum sees it swapped */
				csum_replace16(th + 16, swap16(mss),
				    swap16(max));
			else
				csum_replace16(th + 16, mss, max);
			return 1;
		}
		o += th[o + 1];
	}
	return 0;
}
