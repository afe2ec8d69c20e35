/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for what a TUN with offloads hands
 * over (lib/vnet.c): the input is u16 gso_size, u16 csum_start, u16
 * csum_offset (big-endian), then a packet.  The packet is checked as a UDP
 * GSO super-packet and, if accepted, cut into all of its datagrams, each
 * into a buffer of exactly the size vnet.h promises is enough; their
 * payloads must add up to the super-packet's and every IPv4 header must
 * carry a valid checksum.  The partial checksum is completed on a copy.
 * Any violation aborts.
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
		if (out[0] >> 4 == 4) {
			uint32_t s = 0;

			for (size_t k = 0; k < u.l4off; k += 2)
				s += (uint32_t)out[k] << 8 | out[k + 1];
			while (s >> 16)
				s = (s & 0xffff) + (s >> 16);
			if (s != 0xffff)
				abort();
		}
		free(out);
	}
	if (total != u.payload)
		abort();
	return 0;
}
