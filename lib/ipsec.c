/* SPDX-License-Identifier: ISC */
/*
 * This file owns the IPsec reading of a UDP header and payload, shared by
 * the IPv4 and IPv6 classifiers (see ipsec.h).
 */
#include <string.h>

#include "ipsec.h"

#define PORT_IKE		500
#define PORT_IKE_NATT		4500
#define UDP_HDR_LEN		8
#define ESP_HDR_LEN		8	/* SPI, sequence number */
#define NATT_KEEPALIVE		0xff	/* RFC 3948 2.3 */

/* Reads an IKE initiator SPI if 8 bytes are left, else leaves it 0. */
static void
read_ike_spi(struct buf_rd *r, struct ipsec_udp *u)
{
	if (rd_left(r) >= 8)
		u->ike_spi_i = rd_u64be(r);
}

/* UDP 4500: IKE behind a zero marker, keepalives, or ESP. */
static void
classify_natt(struct buf_rd *r, struct ipsec_udp *u)
{
	size_t left = rd_left(r);
	uint32_t marker;

	if (left == 1) {
		if (rd_u8(r) == NATT_KEEPALIVE)
			u->kind = IPSEC_UDP_IKE;
		return;
	}
	if (left < 4)
		return;
	marker = rd_u32be(r);
	if (marker == 0) {
		read_ike_spi(r, u);
		u->kind = IPSEC_UDP_IKE;
	} else if (left >= ESP_HDR_LEN) {
		u->spi = marker;
		u->kind = IPSEC_UDP_ESP;
	}
}

bool
ipsec_udp_classify(struct buf_rd *r, struct ipsec_udp *u)
{
	if (rd_left(r) < UDP_HDR_LEN)
		return false;
	memset(u, 0, sizeof(*u));
	u->sport = rd_u16be(r);
	u->dport = rd_u16be(r);
	rd_skip(r, 4);			/* length, checksum */
	if (u->sport == PORT_IKE || u->dport == PORT_IKE) {
		read_ike_spi(r, u);
		u->kind = IPSEC_UDP_IKE;
	} else if (u->sport == PORT_IKE_NATT || u->dport == PORT_IKE_NATT)
		classify_natt(r, u);
	return true;
}
