/* SPDX-License-Identifier: ISC */
/*
 * Partial checksums and UDP and TCP GSO super-packets read from a TUN
 * with offloads, and the checks for joining TCP segments into a GSO frame
 * written to it (see vnet.h).
 */
#include <string.h>

#include "buf.h"
#include "vnet.h"

#define UDP_HDR	8
#define TCP_HDR	20

/* TCP flags (RFC 9293, and CWR/ECE of RFC 3168) */
#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_PSH	VNET_TH_PSH
#define TH_ACK	0x10
#define TH_URG	0x20
#define TH_CWR	0x80

/*
 * The one's complement sum of n bytes as big-endian 16-bit words (an odd
 * last byte is the high half of a word), folded to 16 bits and added to
 * sum.  Eight bytes at a time in the machine's byte order, which the sum
 * does not care about but for one swap at the end (RFC 1071, 2.(B)); no
 * carry is lost in 64 bits below 2^30 words.
 */
static uint64_t
sum_bytes(const uint8_t *p, size_t n, uint64_t sum)
{
	uint64_t s = 0, w;
	uint16_t h;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		s += (w & 0xffffffffu) + (w >> 32);
	}
	for (; n >= 2; p += 2, n -= 2) {
		memcpy(&h, p, 2);
		s += h;
	}
	if (n == 1) {
		uint8_t last[2] = { p[0], 0 };

		memcpy(&h, last, 2);
		s += h;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = (s >> 8 | s << 8) & 0xffff;
#endif
	return sum + s;
}

static uint16_t
fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t
vnet_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	return fold(sum_bytes(p, n, sum));
}

int
vnet_csum_complete(uint8_t *p, size_t len, size_t start, size_t off)
{
	uint16_t c;

	if (start >= len || off > len - start || len - start - off < 2)
		return -1;
	/* 0 is "no checksum" to UDP: sent as 0xffff, as the kernel does */
	c = (uint16_t)~fold(sum_bytes(p + start, len - start, 0));
	be16_put(p + start + off, c == 0 ? 0xffff : c);
	return 0;
}

/*
 * The IP header of a super-packet of len bytes carrying protocol proto:
 * its length (the transport header's offset), or 0 if it is not one.
 */
static size_t
ip_super(const uint8_t *p, size_t len, int proto)
{
	size_t l4off;

	if (len < 1)
		return 0;
	switch (p[0] >> 4) {
	case 4:
		if (len < 20)
			return 0;
		l4off = (size_t)(p[0] & 0x0f) * 4;
		if (l4off < 20 || p[9] != proto || be16_get(p + 2) != len ||
		    (be16_get(p + 6) & 0x3fff) != 0)	/* MF or an offset */
			return 0;
		return l4off;
	case 6:
		if (len < 40 || p[6] != proto || be16_get(p + 4) != len - 40)
			return 0;
		return 40;
	default:
		return 0;
	}
}

/*
 * How a payload of n bytes (n > 0) is cut at gso_size bytes (> 0): the
 * size of every segment but the last in *seg, their count in *segs; -1 if
 * more than VNET_SEGS_MAX.
 */
static int
segs(size_t payload, size_t gso_size, size_t *seg, int *segs)
{
	size_t n = (payload + gso_size - 1) / gso_size;

	if (n > VNET_SEGS_MAX)
		return -1;
	*seg = gso_size < payload ? gso_size : payload;
	*segs = (int)n;
	return 0;
}

/*
 * Segment i of super-packet p into out: its hlen bytes of headers, then
 * plen bytes of the payload from offset at; the IP header for a transport
 * length of tlen (IPv4, with l4off bytes of header: the total length, the
 * id plus i, the header checksum; IPv6: the payload length).  Returns the
 * pseudo-header sum for protocol proto.
 */
static uint64_t
seg_ip(const uint8_t *p, size_t l4off, size_t hlen, size_t at, size_t plen,
    int i, unsigned proto, uint8_t *out)
{
	size_t tlen = hlen - l4off + plen;

	memcpy(out, p, hlen);
	memcpy(out + hlen, p + hlen + at, plen);
	if (out[0] >> 4 == 4) {
		be16_put(out + 2, (uint16_t)(l4off + tlen));
		be16_put(out + 4, (uint16_t)(be16_get(p + 4) + i));
		be16_put(out + 10, 0);
		be16_put(out + 10, (uint16_t)~fold(sum_bytes(out, l4off, 0)));
		return sum_bytes(out + 12, 8, proto + tlen);	/* addresses */
	}
	be16_put(out + 4, (uint16_t)tlen);
	return sum_bytes(out + 8, 32, proto + tlen);
}

int
vnet_uso_parse(const uint8_t *p, size_t len, size_t gso_size,
    size_t csum_start, struct vnet_uso *u)
{
	size_t l4off, payload;

	if (gso_size == 0 || (l4off = ip_super(p, len, 17)) == 0)
		return -1;
	if (csum_start != l4off || len < l4off + UDP_HDR)
		return -1;
	payload = len - l4off - UDP_HDR;
	if (payload == 0 || segs(payload, gso_size, &u->seg, &u->n) == -1)
		return -1;
	u->l4off = l4off;
	u->payload = payload;
	return 0;
}

size_t
vnet_uso_segment(const uint8_t *p, const struct vnet_uso *u, int i,
    uint8_t *out)
{
	size_t at = (size_t)i * u->seg;
	size_t plen = u->payload - at < u->seg ? u->payload - at : u->seg;
	size_t ulen = UDP_HDR + plen, len = u->l4off + ulen;
	uint8_t *udp = out + u->l4off;
	uint64_t sum;

	sum = seg_ip(p, u->l4off, u->l4off + UDP_HDR, at, plen, i, 17, out);
	be16_put(udp + 4, (uint16_t)ulen);
	be16_put(udp + 6, 0);
	sum = fold(sum_bytes(udp, ulen, sum));
	be16_put(udp + 6, sum == 0xffff ? 0xffff : (uint16_t)~sum);
	return len;
}

int
vnet_tso_parse(const uint8_t *p, size_t len, size_t gso_size,
    size_t csum_start, struct vnet_tso *t)
{
	size_t l4off, hlen;

	if (gso_size == 0 || (l4off = ip_super(p, len, 6)) == 0 ||
	    csum_start != l4off || len < l4off + TCP_HDR)
		return -1;
	hlen = l4off + (size_t)(p[l4off + 12] >> 4) * 4;
	if (hlen < l4off + TCP_HDR || hlen >= len ||
	    (p[l4off + 13] & (TH_SYN | TH_RST)))
		return -1;
	if (segs(len - hlen, gso_size, &t->seg, &t->n) == -1)
		return -1;
	t->l4off = l4off;
	t->hlen = hlen;
	t->payload = len - hlen;
	return 0;
}

size_t
vnet_tso_segment(const uint8_t *p, const struct vnet_tso *t, int i,
    uint8_t *out)
{
	size_t at = (size_t)i * t->seg;
	size_t plen = t->payload - at < t->seg ? t->payload - at : t->seg;
	size_t tlen = t->hlen - t->l4off + plen, len = t->hlen + plen;
	uint8_t *tcp = out + t->l4off;
	uint64_t sum;

	sum = seg_ip(p, t->l4off, t->hlen, at, plen, i, 6, out);
	be32_put(tcp + 4, be32_get(p + t->l4off + 4) + (uint32_t)at);
	if (i != t->n - 1)
		tcp[13] &= (uint8_t)~(TH_FIN | TH_PSH);
	if (i != 0)
		tcp[13] &= (uint8_t)~TH_CWR;
	be16_put(tcp + 16, 0);
	be16_put(tcp + 16, (uint16_t)~fold(sum_bytes(tcp, tlen, sum)));
	return len;
}

size_t
vnet_tcp_gro_hlen(const uint8_t *ip, size_t len)
{
	size_t hlen;

	if (len < 40 || ip[0] != 0x45 || ip[9] != 6 ||
	    be16_get(ip + 2) != len || (be16_get(ip + 6) & 0xbfff) != 0 ||
	    !(ip[6] & 0x40))
		return 0;
	hlen = 20 + (size_t)(ip[32] >> 4) * 4;
	if (hlen < 40 || hlen >= len || (ip[33] & TH_ACK) == 0 ||
	    (ip[33] & (TH_SYN | TH_RST | TH_FIN | TH_URG | TH_CWR)))
		return 0;
	return hlen;
}

int
vnet_tcp_follows(const uint8_t *first, const uint8_t *ip, size_t hlen,
    size_t held)
{
	/* TOS; TTL, protocol; addresses, ports */
	if (ip[1] != first[1] || ip[8] != first[8] ||
	    memcmp(ip + 12, first + 12, 12) != 0)
		return 0;
	if (be32_get(ip + 24) != be32_get(first + 24) + (uint32_t)held)
		return 0;
	/* acknowledgment, header length, flags but PSH, window, urgent
	 * pointer, options: all equal */
	return memcmp(ip + 28, first + 28, 5) == 0 &&
	    (ip[33] & ~TH_PSH) == (first[33] & ~TH_PSH) &&
	    memcmp(ip + 34, first + 34, 2) == 0 &&
	    memcmp(ip + 38, first + 38, hlen - 38) == 0;
}
