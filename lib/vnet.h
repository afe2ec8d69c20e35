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
#define VNET_TH_PSH	0x08	/* TCP push: ends a run of joined segments */

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

/* A TCP GSO super-packet, checked by vnet_tso_parse(). */
struct vnet_tso {
	size_t		l4off;	/* IP header length: the TCP header's offset */
	size_t		hlen;	/* IP and TCP headers */
	size_t		seg;	/* TCP payload of each segment but the last */
	size_t		payload;	/* TCP payload of all of them */
	int		n;	/* segments, 1 .. VNET_SEGS_MAX */
};

/*
 * Checks a TCP GSO super-packet (gso_type TCPV4 or TCPV6) of len bytes
 * with the header's gso_size and csum_start: IPv4 (no fragment, total
 * length len, protocol TCP, the TCP header at csum_start = the IP header
 * length) or IPv6 (next header TCP right after the fixed header, payload
 * length len - 40); a TCP header of 20 to 60 bytes within len, no SYN or
 * RST, some payload, gso_size > 0, at most VNET_SEGS_MAX segments.  0 and
 * *t filled, or -1.
 */
int	vnet_tso_parse(const uint8_t *p, size_t len, size_t gso_size,
	    size_t csum_start, struct vnet_tso *t);

/*
 * Writes segment i (0 .. t->n - 1) of the super-packet p to out, which
 * has room for t->hlen + t->seg bytes, as the kernel would have sent it:
 * the IP header with its length (IPv4: the id plus i and the header
 * checksum), the TCP header with the sequence number advanced by the
 * payload before it, FIN and PSH only on the last segment, CWR only on
 * the first, and the full checksum; the payload.  Returns its length.
 */
size_t	vnet_tso_segment(const uint8_t *p, const struct vnet_tso *t, int i,
	    uint8_t *out);

/*
 * Coalescing TCP segments into one GSO frame for a TUN write (the reverse
 * of the above, as GRO does).  vnet_tcp_gro_hlen() answers whether an
 * IPv4 packet of len bytes may be coalesced at all: no IP options, not a
 * fragment, DF set, lengths consistent, ACK set and none of SYN, RST, FIN,
 * URG or CWR, some payload.  It returns the IP and TCP header length, or
 * 0.  vnet_tcp_follows() answers whether such a packet continues the run
 * that starts with first (same headers but for the IP length, id and
 * checksum, the TCP sequence number, PSH and checksum) and whose payload
 * so far is held bytes: its sequence number is first's plus held.
 */
size_t	vnet_tcp_gro_hlen(const uint8_t *ip, size_t len);
int	vnet_tcp_follows(const uint8_t *first, const uint8_t *ip,
	    size_t hlen, size_t held);

#endif
