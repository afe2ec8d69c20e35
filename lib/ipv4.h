/* SPDX-License-Identifier: ISC */
/*
 * Reads the IPv4 header (and the UDP/ESP/ICMP header after it) of a packet
 * from the TUN or from a link, bounds-checked, and classifies it for the
 * forwarding policy and the flow table.
 */
#ifndef PROXYD_IPV4_H
#define PROXYD_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

enum ipv4_class {
	IPV4_IKE,	/* UDP port 500, or 4500 with a non-ESP marker / keepalive */
	IPV4_ESP_UDP,	/* UDP 4500 carrying ESP (RFC 3948): spi set */
	IPV4_ESP,	/* IP protocol 50: spi set */
	IPV4_ICMP,
	IPV4_OTHER,
};

enum ipv4_xlat {
	IPV4_XLAT_NONE,
	IPV4_XLAT_SRC,		/* src is a translated LAN host's alias */
	IPV4_XLAT_DST,		/* dst is */
};

struct ipv4_info {
	struct in_addr	src, dst;
	uint8_t		proto;
	uint8_t		ttl;
	uint16_t	total_len;	/* from the header, == packet length */
	uint16_t	sport, dport;	/* UDP/TCP, 0 otherwise or non-first fragment */
	uint32_t	spi;		/* ESP / ESP in UDP, 0 otherwise */
	uint64_t	ike_spi_i;	/* IKE initiator SPI where readable, else 0 */
	bool		fragment;	/* MF set or offset > 0 */
	bool		later_fragment;	/* offset > 0: no transport header */
	enum ipv4_class	cls;
	/* set by the data path, not the parser (lib/netmap.h) */
	enum ipv4_xlat	xlat;		/* which address an alias stands for */
	struct in_addr	xlat_real;	/* that address on its LAN */
	struct in_addr	xlat_alias;	/* and as the network knows it */
	bool		nat_refused;	/* raw ESP that needed translating */
};

/*
 * Parses an IPv4 packet of exactly len bytes.  Checks version 4, IHL >= 5,
 * total length == len, and that the transport header it reads is inside the
 * packet.  Transport headers too short to classify make it IPV4_OTHER (not
 * an error).  Later fragments are classified by protocol alone: UDP -> IKE,
 * ESP -> ESP.  Returns 0, or -1 with *why set.
 */
int	ipv4_parse(const uint8_t *, size_t, struct ipv4_info *, const char **why);
/* Whether the forwarding policy (enum conf_fwd bits) lets this packet pass. */
bool	ipv4_policy_allows(const struct ipv4_info *, unsigned fwd);
const char *ipv4_class_name(enum ipv4_class);	/* "ike", "esp-udp", "esp", "icmp", "other" */

/*
 * TCP MSS clamping (the data path's, for plain TCP it forwards): if the
 * IPv4 or IPv6 packet of len bytes at ip is a TCP segment with SYN set
 * (IPv4: not a fragment; IPv6: TCP right after the fixed header) whose
 * MSS option would let the other end send IP packets larger than ip_max
 * bytes, the option is lowered to fit (ip_max less the IP and TCP fixed
 * headers) and the TCP checksum adjusted (RFC 1624; a valid checksum stays
 * valid).  Everything is bounds-checked: a malformed packet is left as it
 * is.  1 if the packet was changed, else 0.
 */
int	ip_tcp_mss_clamp(uint8_t *ip, size_t len, size_t ip_max);

#endif
