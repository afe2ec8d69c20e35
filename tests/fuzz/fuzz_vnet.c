/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for what a TUN with offloads hands
 * over (lib/vnet.c): the input is u16 gso_size, u16 csum_start, u16
 * csum_offset (big-endian), then a packet.  The packet is checked as a UDP
 * and as a TCP GSO super-packet and, if accepted, cut into all of its
 * datagrams or segments, each into a buffer of exactly the size vnet.h
 * promises is enough; their payloads must add up to the super-packet's,
 * every IPv4 header must carry a valid checksum and every TCP segment a
 * valid TCP checksum.  Each TCP segment then goes through the checks for
 * joining segments (vnet_tcp_gro_hlen, vnet_tcp_follows against the first)
 * with exactly its own length, and the raw input through them too.  The
 * partial checksum is completed on a copy.  Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "vnet.h"

static const char *const flags[] = { "-max_len=65542", NULL };

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	return 0;
}

static uint8_t pkt[65536];

static void
ip_sum_ok(const uint8_t *out, size_t l4off)
{
	uint32_t s = 0;

	for (size_t k = 0; k < l4off; k += 2)
		s += (uint32_t)out[k] << 8 | out[k + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	if (s != 0xffff)
		abort();
}

/* The TCP checksum of a segment of len bytes, checked the slow way. */
static void
tcp_sum_ok(const uint8_t *out, size_t l4off, size_t len)
{
	uint32_t s = 6 + (uint32_t)(len - l4off);
	const uint8_t *a = out + (out[0] >> 4 == 4 ? 12 : 8);
	size_t alen = out[0] >> 4 == 4 ? 8 : 32;

	for (size_t k = 0; k < alen; k += 2)
		s += (uint32_t)a[k] << 8 | a[k + 1];
	for (size_t k = l4off; k < len; k += 2)
		s += (uint32_t)out[k] << 8 | (k + 1 < len ? out[k + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	if (s != 0xffff)
		abort();
}

static void
tso(const uint8_t *p, size_t len, size_t gso, size_t start)
{
	struct vnet_tso t;
	uint8_t *first = NULL;
	size_t total = 0, held = 0, fh = 0;

	if (vnet_tso_parse(p, len, gso, start, &t) == -1)
		return;
	if (t.n < 1 || t.n > VNET_SEGS_MAX || t.hlen >= len ||
	    t.hlen < t.l4off + 20)
		abort();
	for (int i = 0; i < t.n; i++) {
		size_t room = t.hlen + t.seg, n, h;
		uint8_t *out = malloc(room);

		if (out == NULL)
			abort();
		n = vnet_tso_segment(p, &t, i, out);
		if (n > room || n <= t.hlen)
			abort();
		total += n - t.hlen;
		if (out[0] >> 4 == 4)
			ip_sum_ok(out, t.l4off);
		tcp_sum_ok(out, t.l4off, n);
		h = vnet_tcp_gro_hlen(out, n);
		if (h != 0 && (h != t.hlen || h >= n))
			abort();
		if (first == NULL && h != 0) {
			first = out;
			fh = h;
			held = n - h;
			continue;
		}
		if (first != NULL && h == fh &&
		    vnet_tcp_follows(first, out, h, held))
			held += n - h;
		free(out);
	}
	free(first);
	if (total != t.payload)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t gso, start, off, len, total = 0;
	struct vnet_uso u;

	if (size < 6 || size - 6 > sizeof(pkt))
		return 0;
	gso = (size_t)data[0] << 8 | data[1];
	start = (size_t)data[2] << 8 | data[3];
	off = (size_t)data[4] << 8 | data[5];
	len = size - 6;
	memcpy(pkt, data + 6, len);
	(void)vnet_csum_complete(pkt, len, start, off);
	tso(data + 6, len, gso, start);
	if (len >= 20 && vnet_tcp_gro_hlen(data + 6, len) >= len)
		abort();
	if (vnet_uso_parse(data + 6, len, gso, start, &u) == -1)
		return 0;
	if (u.n < 1 || u.n > VNET_SEGS_MAX || u.l4off + 8 > len)
		abort();
	for (int i = 0; i < u.n; i++) {
		size_t room = u.l4off + 8 + u.seg;
		uint8_t *out = malloc(room);	/* ASan sees any overrun */
		size_t n;

		if (out == NULL)
			abort();
		n = vnet_uso_segment(data + 6, &u, i, out);
		if (n > room || n <= u.l4off + 8)
			abort();
		total += n - u.l4off - 8;
		if (out[0] >> 4 == 4)
			ip_sum_ok(out, u.l4off);
		free(out);
	}
	if (total != u.payload)
		abort();
	return 0;
}
