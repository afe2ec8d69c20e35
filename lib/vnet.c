/* SPDX-License-Identifier: ISC */
/*
 * Partial checksums and UDP GSO super-packets read from a TUN with
 * offloads (see vnet.h).
 */
#include <string.h>

#include "buf.h"
#include "vnet.h"

#define UDP_HDR	8

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

int
vnet_uso_parse(const uint8_t *p, size_t len, size_t gso_size,
    size_t csum_start, struct vnet_uso *u)
{
	size_t l4off, payload, n;

	if (len < 1 || gso_size == 0)
		return -1;
	switch (p[0] >> 4) {
	case 4:
		if (len < 20)
			return -1;
		l4off = (size_t)(p[0] & 0x0f) * 4;
		if (l4off < 20 || p[9] != 17 || be16_get(p + 2) != len ||
		    (be16_get(p + 6) & 0x3fff) != 0)	/* MF or an offset */
			return -1;
		break;
	case 6:
		l4off = 40;
		if (len < 40 || p[6] != 17 || be16_get(p + 4) != len - 40)
			return -1;
		break;
	default:
		return -1;
	}
	if (csum_start != l4off || len < l4off + UDP_HDR)
		return -1;
	payload = len - l4off - UDP_HDR;
	if (payload == 0)
		return -1;
	n = (payload + gso_size - 1) / gso_size;
	if (n > VNET_SEGS_MAX)
		return -1;
	u->l4off = l4off;
	u->seg = gso_size < payload ? gso_size : payload;
	u->payload = payload;
	u->n = (int)n;
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

	memcpy(out, p, u->l4off + UDP_HDR);
	memcpy(udp + UDP_HDR, p + u->l4off + UDP_HDR + at, plen);
	if (out[0] >> 4 == 4) {
		be16_put(out + 2, (uint16_t)len);
		be16_put(out + 4, (uint16_t)(be16_get(p + 4) + i));
		be16_put(out + 10, 0);
		be16_put(out + 10, (uint16_t)~fold(sum_bytes(out, u->l4off, 0)));
		sum = sum_bytes(out + 12, 8, 0);	/* addresses */
	} else {
		be16_put(out + 4, (uint16_t)ulen);
		sum = sum_bytes(out + 8, 32, 0);
	}
	sum += 17 + ulen;
	be16_put(udp + 4, (uint16_t)ulen);
	be16_put(udp + 6, 0);
	sum = fold(sum_bytes(udp, ulen, sum));
	be16_put(udp + 6, sum == 0xffff ? 0xffff : (uint16_t)~sum);
	return len;
}
