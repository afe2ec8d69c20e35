/* SPDX-License-Identifier: ISC */
/*
 * The IPv6 twin of lib/ipv4.h: reads the IPv6 header, walks the extension
 * headers a forwarding policy must see through (hop-by-hop, routing,
 * fragment, destination options; at most IPV6_EXT_MAX of them), then
 * enough of the UDP/ESP/ICMPv6/TCP header to tell IKE from ESP from the
 * rest, bounds-checked.  Also builds the ICMPv6 Packet Too Big message
 * (RFC 4443 3.2) the data path sends back when a packet cannot go on.
 */
#ifndef PROXYD_IPV6_H
#define PROXYD_IPV6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define IPV6_HDR_LEN		40
#define IPV6_EXT_MAX		8	/* extension headers walked, at most */
#define IPV6_MIN_MTU		1280	/* RFC 8200 5 */

/* IP protocol numbers the classifier names */
#define IPV6_NH_HOPOPTS		0
#define IPV6_NH_TCP		6
#define IPV6_NH_UDP		17
#define IPV6_NH_ROUTING		43
#define IPV6_NH_FRAGMENT	44
#define IPV6_NH_ESP		50
#define IPV6_NH_ICMPV6		58
#define IPV6_NH_NONE		59
#define IPV6_NH_DSTOPTS		60

enum ipv6_class {
	IPV6_IKE,	/* UDP port 500, or 4500 with a non-ESP marker / keepalive */
	IPV6_ESP_UDP,	/* UDP 4500 carrying ESP (RFC 3948): spi set */
	IPV6_ESP,	/* next header 50 after the extension headers: spi set */
	IPV6_ICMP,	/* ICMPv6 */
	IPV6_OTHER,
};

struct ipv6_info {
	struct in6_addr	src, dst;
	uint8_t		proto;		/* upper-layer next header (after the */
					/* extension headers; 59: none) */
	uint8_t		hop_limit;
	uint8_t		n_ext;		/* extension headers walked */
	uint16_t	l4_off;		/* offset of the upper-layer header */
	uint16_t	payload_len;	/* from the header, == packet len - 40 */
	uint16_t	sport, dport;	/* UDP/TCP, 0 otherwise or later fragment */
	uint32_t	spi;		/* ESP / ESP in UDP, 0 otherwise */
	uint64_t	ike_spi_i;	/* IKE initiator SPI where readable, else 0 */
	uint8_t		icmp_type;	/* ICMPv6 type where readable, else 0 */
	bool		fragment;	/* a fragment header was met */
	bool		later_fragment;	/* its offset > 0: no upper-layer header */
	enum ipv6_class	cls;
};

/*
 * Parses an IPv6 packet of exactly len bytes.  Checks version 6, payload
 * length == len - 40 (a jumbogram's 0 is refused), and walks the extension
 * headers: hop-by-hop only first (RFC 8200 4.1), each one inside the
 * packet, at most IPV6_EXT_MAX of them, and nothing after a later
 * fragment's header (its upper-layer protocol is named, never read).
 * Upper-layer headers too short to classify make it IPV6_OTHER (not an
 * error), as does an extension header the walk does not know (AH,
 * mobility, ...).  Later fragments are classified by protocol alone: UDP
 * -> IKE, ESP -> ESP, ICMPv6 -> ICMP.  Returns 0, or -1 with *why set.
 */
int	ipv6_parse(const uint8_t *, size_t, struct ipv6_info *,
	    const char **why);
/* Whether the forwarding policy (enum conf_fwd bits) lets this packet pass. */
bool	ipv6_policy_allows(const struct ipv6_info *, unsigned fwd);
/* "ike", "esp-udp", "esp", "icmp", "other" (the IPv4 names). */
const char *ipv6_class_name(enum ipv6_class);

/*
 * Builds in out (cap bytes) an ICMPv6 Packet Too Big from src to the
 * source of the offending packet pkt (pkt_len bytes, already parsed as
 * info), saying mtu: the invoking packet is quoted as far as the message
 * stays within IPV6_MIN_MTU bytes (RFC 4443 2.4 (c)), checksum computed.
 * No answer is built for a packet not larger than mtu (so the answer,
 * at most IPV6_MIN_MTU bytes, is always smaller than what its source
 * sent), for an ICMPv6 error or an ICMPv6 packet whose type cannot be read
 * (RFC 4443 2.4 (e)), for a multicast or unspecified source, or when mtu
 * is under IPV6_MIN_MTU.
 * Returns the message length, or -1 (nothing to send / cap too small).
 */
int	ipv6_build_ptb(uint8_t *out, size_t cap, const struct in6_addr *src,
	    const uint8_t *pkt, size_t pkt_len, const struct ipv6_info *info,
	    uint32_t mtu);

#endif
