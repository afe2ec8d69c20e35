/* SPDX-License-Identifier: ISC */
/*
 * What a UDP header and its payload say about IPsec, for both address
 * families' classifiers (lib/ipv4.c, lib/ipv6.c): IKE on port 500, and on
 * port 4500 IKE behind the zero non-ESP marker, NAT keepalives (one 0xff
 * byte) or ESP, whose SPI is never zero (RFC 7296 2, RFC 3948 2).
 */
#ifndef PROXYD_IPSEC_H
#define PROXYD_IPSEC_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

enum ipsec_udp_kind {
	IPSEC_UDP_OTHER,	/* neither port, or too short to tell */
	IPSEC_UDP_IKE,		/* ike_spi_i set if 8 bytes followed */
	IPSEC_UDP_ESP,		/* ESP in UDP 4500: spi set */
};

struct ipsec_udp {
	uint16_t		sport, dport;
	enum ipsec_udp_kind	kind;
	uint32_t		spi;
	uint64_t		ike_spi_i;
};

/*
 * Reads the UDP header at r and as much after it as the kind needs.
 * false (and *u untouched) when fewer than 8 bytes are left.
 */
bool	ipsec_udp_classify(struct buf_rd *r, struct ipsec_udp *u);

#endif
