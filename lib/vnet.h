/* SPDX-License-Identifier: ISC */
/*
 * What a TUN with offloads (IFF_VNET_HDR, TUNSETOFFLOAD TUN_F_CSUM |
 * TUN_F_USO4 | TUN_F_USO6) hands over besides whole packets: a packet whose
 * transport checksum is only partial (the virtio-net header's NEEDS_CSUM,
 * csum_start and csum_offset), and a UDP GSO super-packet (gso_type
 * UDP_L4: one IP and UDP header, then the payloads of several datagrams of
 * gso_size bytes each, the last possibly shorter), which is cut back here
 * into the datagrams the LAN host sent.  Everything is bounds-checked: the
 * header comes from the kernel, the packet from the LAN.
 */
#ifndef PROXYD_VNET_H
#define PROXYD_VNET_H

#include <stddef.h>
#include <stdint.h>

#define VNET_SEGS_MAX	128	/* datagrams in one super-packet */

/*
 * Completes a partial checksum in place: the 16-bit field at start + off
 * holds the pseudo-header sum; the one's complement of the sum of the
 * bytes from start to the end is written there.  -1 if the field or the
 * start lies outside len.
 */
int	vnet_csum_complete(uint8_t *p, size_t len, size_t start, size_t off);

/*
 * The one's complement sum (RFC 1071) of n bytes as big-endian 16-bit
 * words, plus sum, folded to 16 bits and not complemented: a header
 * checksum is its complement, a partial checksum for the kernel to
 * complete is the pseudo-header's sum itself.
 */
uint16_t vnet_sum(const uint8_t *p, size_t n, uint32_t sum);

/* A UDP GSO super-packet, checked by vnet_uso_parse(). */
struct vnet_uso {
	size_t		l4off;	/* IP header length: the UDP header's offset */
	size_t		seg;	/* UDP payload of each datagram but the last */
	size_t		payload;	/* UDP payload of all of them */
	int		n;	/* datagrams, 1 .. VNET_SEGS_MAX */
};

/*
 * Checks a UDP GSO super-packet of len bytes with the header's gso_size
 * and csum_start: IPv4 (no fragment, total length len, protocol UDP, the
 * UDP header at csum_start = the IP header length) or IPv6 (next header
 * UDP right after the fixed header, payload length len - 40), gso_size >
 * 0, at most VNET_SEGS_MAX datagrams.  0 and *u filled, or -1.
 */
int	vnet_uso_parse(const uint8_t *p, size_t len, size_t gso_size,
	    size_t csum_start, struct vnet_uso *u);

/*
 * Writes datagram i (0 .. u->n - 1) of the super-packet p to out, which
 * has room for u->l4off + 8 + u->seg bytes: the IP header with its length
 * (IPv4: the id plus i and the header checksum), the UDP header with its
 * length and full checksum, the payload.  Returns its length.
 */
size_t	vnet_uso_segment(const uint8_t *p, const struct vnet_uso *u, int i,
	    uint8_t *out);

#endif
