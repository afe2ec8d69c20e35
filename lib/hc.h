/* SPDX-License-Identifier: ISC */
/*
 * IPv4/UDP header compression on a link (issue 16).  An unmodified IPsec
 * endpoint on a 1500-byte LAN sends ESP in UDP packets of up to ~1464
 * bytes; with the link's 64 bytes around them they would not fit a
 * 1500-byte path, and every such packet would be split in two datagrams
 * at every hop.  The 28 bytes of the packet's IPv4 and UDP headers are the
 * same packet after packet (addresses, ports, TOS, id, TTL) except for the
 * lengths and the checksums, so the sender sends them once and then only
 * what changes:
 *
 *   HC_SET  u8 type, u8 ttl, u32 origin, u8 ctx, u8 gen, IP packet
 *           the whole DATA message, and "remember its headers as context
 *           ctx, generation gen"
 *   HC      u8 type, u8 ttl, u8 ctx, u8 gen, u16 UDP checksum, UDP payload
 *           a DATA message whose IP and UDP headers are context ctx's,
 *           with the lengths and the IP header checksum computed again
 *
 * 6 bytes instead of DATA's 6 + 28: a 1464-byte packet then fits a
 * 1500-byte path in one datagram.  Each side of a link keeps a fixed
 * table per direction (HC_CTX_MAX contexts); nothing grows.  The sender
 * sends a context whole again every HC_REFRESH_PKTS packets or
 * HC_REFRESH_US, so a lost HC_SET costs a few packets, not the flow; an
 * HC whose context or generation the receiver does not hold is dropped
 * and counted.  Only packets whose headers are rebuilt bit for bit are
 * compressed (IPv4 without options, UDP, not a fragment, lengths that
 * agree, a valid header checksum), so what leaves the next hop is the
 * endpoint's own packet, with one exception: the sender compresses only
 * packets with DF set, whose IP id RFC 6864 says no device may use
 * (section 4), and the id is rebuilt as the context's, whatever the packet
 * had (endpoints change it per packet; carrying it would cost the 2 bytes
 * that make a 1464-byte packet fit).
 * The expanded packet then goes through every check a DATA message goes
 * through.  "Now" is passed in.
 */
#ifndef PROXYD_HC_H
#define PROXYD_HC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define HC_CTX_MAX	16
#define HC_IP_HDR	28	/* IPv4 without options + UDP */
#define HC_MSG_HDR	6	/* HC: type, ttl, ctx, gen, UDP checksum */
#define HC_SET_HDR	8	/* HC_SET: type, ttl, origin, ctx, gen */
#define HC_SAVES	(PKT_DATA_HDR_LEN + HC_IP_HDR - HC_MSG_HDR)
#define HC_REFRESH_PKTS	64	/* a context is sent whole again after */
#define HC_REFRESH_US	250000	/* ... or after this long */

struct hc_ctx {
	bool		used;
	uint8_t		gen;
	uint32_t	origin;
	uint8_t		hdr[HC_IP_HDR];	/* lengths and checksums not used */
	uint32_t	since_set;	/* sender: compressed since sent whole */
	uint64_t	set_us;		/* sender: when last sent whole */
};

/* One direction of one link. */
struct hc_table {
	struct hc_ctx	ctx[HC_CTX_MAX];
	uint8_t		next;		/* sender: the context reused next */
	uint8_t		gen;		/* sender: the last generation given */
	uint8_t		last;		/* sender: the context matched last */
};

enum hc_plan {
	HC_PLAN_NONE,		/* not compressible: send DATA */
	HC_PLAN_SET,		/* send HC_SET (whole) */
	HC_PLAN_SHORT,		/* send HC */
};

enum hc_rx {
	HC_RX_OK,
	HC_RX_MISS,		/* a context or generation we do not hold */
	HC_RX_BAD,		/* malformed */
};

/*
 * Empties the table.  gen_seed: where generations start (a random byte,
 * so a table made after a session change is unlikely to match an old one).
 */
void	hc_init(struct hc_table *, uint8_t gen_seed);
/* Whether the IP packet ip (len bytes) can be compressed (see above). */
bool	hc_eligible(const uint8_t *ip, size_t len);
/*
 * Sender: how to send the packet ip (len bytes) of origin: NONE unless it
 * is eligible and has DF set.
 * Finds its context or takes one (the oldest given, with a new
 * generation), and says whether to send it whole (new, or due a refresh)
 * or short.  *ctx and *gen are set for both.
 */
enum hc_plan hc_tx_plan(struct hc_table *, const uint8_t *ip, size_t len,
	    uint32_t origin, uint64_t now_us, uint8_t *ctx, uint8_t *gen);
/*
 * Turns the DATA message at m (PKT_DATA_HDR_LEN + ip_len bytes, the packet
 * eligible) into an HC message in place; returns its length.
 */
size_t	hc_shrink(uint8_t *m, size_t ip_len, uint8_t ctx, uint8_t gen);
/*
 * Writes the HC_SET message for the DATA message m (PKT_DATA_HDR_LEN + ip_len
 * bytes) to out (room for HC_SET_HDR + ip_len); returns its length.
 */
size_t	hc_set_build(uint8_t *out, const uint8_t *m, size_t ip_len,
	    uint8_t ctx, uint8_t gen);
/*
 * Receiver: the HC or HC_SET message at m (*len bytes, cap bytes of room
 * at m) becomes the DATA message it stands for, in place; *len gets its
 * length.  An HC_SET's headers are remembered.  On HC_RX_BAD *why says
 * what is wrong.
 */
enum hc_rx hc_rx_expand(struct hc_table *, uint8_t *m, size_t *len,
	    size_t cap, const char **why);

#endif
