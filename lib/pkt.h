/* SPDX-License-Identifier: ISC */
/*
 * The peer protocol between proxies, as bytes <-> plain structs.
 *
 * Every UDP datagram between proxies starts with an outer header:
 *
 *	u8  version		PKT_VERSION
 *	u8  type		enum pkt_type
 *	u32 session		link session id, chosen by the initiator
 *
 * PKT_HS carries DTLS records (the link handshake) as its body.  A
 * responder answers a PKT_HS of an unknown session with PKT_COOKIE (body:
 * a PKT_COOKIE_LEN-byte cookie bound to the sender's address and the
 * session, no state kept); the initiator then sends its handshake as
 * PKT_HS_COOKIE (body: the cookie, then DTLS records), and only a valid
 * cookie makes the responder keep state (a stateless return-routability
 * check, as WireGuard's cookie reply and IKEv2's COOKIE).
 * PKT_SEALED carries u64 seq, then AEAD ciphertext and a 16-byte tag; the
 * 14 header bytes (version .. seq) are the AEAD's associated data.  The
 * plaintext is one message: u8 enum pkt_msg_type followed by its body.
 * All integers are big-endian.  Decoders never cast bytes onto structs and
 * require every byte to be consumed.
 *
 * NAT types (lib/nat.h enum nat_type, 1-6) cross the wire as one byte, the
 * enum minus one (0-5).  The structs below hold enum nat_type; only pkt.c
 * converts, and its decoders reject a byte over 5.
 */
#ifndef PROXYD_PKT_H
#define PROXYD_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "buf.h"
#include "ep.h"
#include "ipaddr.h"
#include "nat.h"

#define PKT_VERSION		1
#define PKT_HDR_LEN		6	/* version, type, session */
#define PKT_SEALED_HDR_LEN	14	/* ... plus u64 seq */
#define PKT_TAG_LEN		16
/*
 * Bytes before the IP packet in a sealed DATA datagram: the sealed header,
 * then the plaintext's u8 message type, u8 ttl and u32 origin id.  An IP
 * packet placed this far into a frame buffer can be sealed (or relayed)
 * where it lies.
 */
#define PKT_DATA_HDR_LEN	6	/* type, ttl, origin */
#define PKT_DATA_HEADROOM	(PKT_SEALED_HDR_LEN + PKT_DATA_HDR_LEN)
#define PKT_MAX			65535	/* largest datagram we accept */
#define PKT_NAME_MAX		63
#define PKT_TTL_DEFAULT		16

enum pkt_type {
	PKT_HS		= 1,
	PKT_SEALED	= 2,
	PKT_PROBE	= 3,	/* body: u64 nonce; session 0; unauthenticated */
	PKT_PUNCH	= 4,	/* hole punch: same layout as PKT_PROBE */
	PKT_COOKIE	= 5,	/* body: the responder's cookie */
	PKT_HS_COOKIE	= 6,	/* body: the cookie, then DTLS records */
};

#define PKT_COOKIE_LEN	16

#define PKT_PROBE_LEN	(PKT_HDR_LEN + 8)

struct pkt_hdr {
	uint8_t		 version;
	uint8_t		 type;
	uint32_t	 session;
	uint64_t	 seq;		/* PKT_SEALED only; PKT_PROBE: the nonce */
	const uint8_t	*body;		/* borrowed: DTLS bytes or ciphertext+tag */
	size_t		 body_len;
	const uint8_t	*cookie;	/* PKT_COOKIE, PKT_HS_COOKIE: borrowed */
};

enum pkt_msg_type {
	PKT_MSG_KEEPALIVE	= 1,
	PKT_MSG_KEEPALIVE_ACK	= 2,
	/* 3 was ANNOUNCE (foundation), retired: decoders reject it */
	PKT_MSG_DATA		= 4,
	PKT_MSG_CLOSE		= 5,
	PKT_MSG_INFO		= 6,
	PKT_MSG_PROBE_REQ	= 7,
	PKT_MSG_PROBE_RESP	= 8,
	PKT_MSG_THIRD_REQ	= 9,
	PKT_MSG_NAT_RESULT	= 10,
	PKT_MSG_LSA		= 11,
	PKT_MSG_CONN_REQ	= 12,
	PKT_MSG_CONN_RESP	= 13,
	PKT_MSG_ECHO		= 14,
	PKT_MSG_FRAG		= 15,
	PKT_MSG_MTU_PROBE	= 16,
	PKT_MSG_MTU_ACK		= 17,
	PKT_MSG_CRL		= 20,	/* CRL flooding, see struct pkt_crl */
	PKT_MSG_REKEY		= 21,	/* a rekey's handshake, pkt_rekey */
	PKT_MSG_MOVE		= 22,	/* a successor link's session, u.move */
	PKT_MSG_HC_SET		= 23,	/* DATA, headers kept (lib/hc.h) */
	PKT_MSG_HC		= 24,	/* DATA, headers from a context */
	PKT_MSG_FEATURES	= 25,	/* what the sender understands */
};

/*
 * Features: u8 flags.  Each side of a link sends its own once up (and with
 * its keepalives until the peer has heard it, a few times at most); a
 * sender uses a feature toward a peer only once the peer has said it has
 * it, so a proxy of an older version (which drops the message as unknown)
 * is never sent what it cannot read.  Unknown flags are ignored.
 */
#define PKT_FEAT_HC		0x01	/* reads HC_SET and HC (lib/hc.h) */
#define PKT_FEAT_HEARD		0x80	/* has heard the receiver's features */
#define PKT_FEAT_SEND_MAX	8	/* sent unheard at most this often */

/*
 * A move: u32 session (never 0), the session of a UDP handshake the
 * sender has just dialled beside this link to the same peer (over the
 * other address family).  Sealed on the link it is to replace, it tells
 * the answering side that the new link, once up, is this one moving
 * (make-before-break, link.h), not a restarted or cloned peer.
 */

/*
 * A rekey: the link's next DTLS handshake, carried sealed over the up
 * session, so that it is authenticated by the keys it replaces and needs
 * no cookie, address or socket of its own.  u32 session (the new
 * session's id, chosen by the side that starts the rekey, never 0), then
 * the DTLS records (1 to PKT_REKEY_REC_MAX bytes, the rest of the
 * message), borrowed.
 */
#define PKT_REKEY_REC_MAX	2048
struct pkt_rekey {
	uint32_t	 session;
	const uint8_t	*rec;
	size_t		 len;
};

/*
 * The newest CRL a proxy holds, flooded hop by hop: its DER encoding
 * (1 to PKT_CRL_MAX bytes, the rest of the message), borrowed.  The codec
 * only bounds it; the receiver parses and verifies it (lib/crl.h).
 */
#define PKT_CRL_MAX		16384
struct pkt_crl {
	const uint8_t	*der;
	size_t		 len;
};

/*
 * Endpoints (struct ep) cross the wire as lib/ep.h's ep_wr() writes them:
 * u8 family (0 none, 4, 6), then the address (4 or 16 bytes) and u16
 * port; a set endpoint has a specified address and a non-zero port.
 */

/*
 * u16 alt_port (0: none), endpoint alt_addr (unset: none; its port is the
 * primary port).  Sent on link up.
 */
struct pkt_info {
	uint16_t	alt_port;
	struct ep	alt_addr;
};

/* Which of its sockets the neighbour should answer a probe from. */
enum pkt_probe_from {
	PKT_FROM_PRIMARY	= 0,
	PKT_FROM_ALT_PORT	= 1,	/* same address, alternate port */
	PKT_FROM_ALT_ADDR	= 2,	/* alternate address, primary port */
	PKT_FROM_THIRD		= 3,	/* a third proxy sends a PKT_PROBE */
};

/*
 * u64 id, u8 from (enum pkt_probe_from), endpoint target.  An unset
 * target means "answer the source address of this request".
 */
struct pkt_probe_req {
	uint64_t	id;
	uint8_t		from;
	struct ep	target;
};

enum pkt_probe_status {
	PKT_PROBE_OK		= 0,
	PKT_PROBE_UNAVAILABLE	= 1,	/* no such socket / no third proxy */
};

/* u64 id, u8 status, u8 from, endpoint mapped (may be unset). */
struct pkt_probe_resp {
	uint64_t	id;
	uint8_t		status;		/* enum pkt_probe_status */
	uint8_t		from;		/* enum pkt_probe_from that answered */
	struct ep	mapped;		/* the request's source as seen */
};

/* u64 nonce, endpoint target (set): send a PKT_PROBE there. */
struct pkt_third_req {
	uint64_t	nonce;
	struct ep	target;
};

#define PKT_NAT_TRIALS		6	/* map primary, alt port, alt addr; */
					/* filter alt port, alt addr, third */
#define PKT_NAT_ASSUMED_MAX	159

/*
 * The sender's measurement of its own NAT toward the receiver:
 * u8 mapping (0-4), u8 filtering (0-4), u8 type (0-5), u8 port_preserved
 * (0 no, 1 yes, 2 unknown), u32 lifetime_s, 6 x u8 trial outcome (0-2),
 * endpoint mapped (may be unset), u8 assumed_len (<= 159), assumed text
 * (printable ASCII).  Numbers are lib/nat.h's enums; type on the wire is
 * enum nat_type minus one.
 */
struct pkt_nat_result {
	uint8_t		mapping;
	uint8_t		filtering;
	enum nat_type	type;
	uint8_t		port_preserved;
	uint32_t	lifetime_s;
	uint8_t		trials[PKT_NAT_TRIALS];
	struct ep	mapped;
	char		assumed[PKT_NAT_ASSUMED_MAX + 1];
};

struct pkt_keepalive {			/* also used for KEEPALIVE_ACK */
	uint32_t	id;
	uint64_t	time_us;	/* sender's clock; the ack echoes it */
	uint32_t	interval_ms;	/* sender's keepalive interval */
};

/*
 * u8 ttl, u32 origin, then an IPv4 packet (20-65535 bytes), borrowed.
 * origin is pkt_origin_id() of the proxy that took the packet from its
 * TUN; relays pass it on unchanged, so that every hop and the destination
 * can check the inner source against that proxy's prefixes.
 */
struct pkt_data {
	uint8_t		 ttl;
	uint32_t	 origin;
	const uint8_t	*ip;
	size_t		 ip_len;
};

enum pkt_close_reason {
	PKT_CLOSE_SHUTDOWN	= 1,
	PKT_CLOSE_REPLACED	= 2,
};

#define PKT_LSA_PREFIX_MAX	64
#define PKT_LSA_EP_MAX		4	/* endpoints, both families */
#define PKT_LSA_LINK_MAX	64
#define PKT_LSA_CERT_MAX	2048	/* the originator's DER certificate */
#define PKT_LSA_SIG_MAX		512	/* its signature (ECDSA P-256: <= 72) */
#define PKT_PATH_MAX		16	/* proxies on a connection request's path */
#define PKT_REASON_MAX		159

/*
 * A prefix of either family.  IPv4 is what a zeroed struct holds (v6
 * false), so code that knows only IPv4 builds advertisements unchanged.
 */
struct pkt_lsa_prefix {
	uint8_t		plen;		/* 0-32, or 0-128 with v6; host bits */
					/* of the address zero */
	struct in_addr	addr;		/* IPv4 (v6 false) */
	bool		v6;
	struct in6_addr	addr6;		/* IPv6 (v6 true) */
};

/* In a prefix's plen byte: an IPv6 prefix follows (u8 plen, 16 bytes). */
#define PKT_LSA_PREFIX_V6	0xff

struct pkt_lsa_link {
	char		peer[PKT_NAME_MAX + 1];	/* 1-63 name chars */
	enum nat_type	nat;		/* origin's NAT toward peer */
	uint16_t	cost;		/* >= 1 */
};

/*
 * A link-state advertisement (flooded):
 * u8 name_len, origin name, u64 seq, u16 age_s, u8 n_eps (<= 4) + that
 * many set endpoints: where the origin can be reached from outside, any
 * mix of IPv4 and IPv6 (none: nowhere), u16 n_prefixes
 * (<= 64), n x { u8 plen, u32 addr } (IPv4) or { u8 PKT_LSA_PREFIX_V6,
 * u8 plen (<= 128), 16-byte addr } (IPv6), u16 n_links (<= 64), n x { u8
 * name_len, peer name, u8 nat (0-5), u16 cost (>= 1) }, u16 cert_len
 * (<= 2048) + the originator's DER certificate, u16 sig_len (<= 512) + its
 * signature over pkt_lsa_tbs() (everything above except age_s and the
 * certificate).  An
 * unsigned advertisement (cert_len and sig_len 0) decodes; the topology
 * refuses it (lib/lsasig.h).
 */
struct pkt_lsa {
	char			origin[PKT_NAME_MAX + 1];
	uint64_t		seq;
	uint16_t		age_s;
	uint8_t			n_eps;
	struct ep		eps[PKT_LSA_EP_MAX];
	uint16_t		n_prefixes;
	struct pkt_lsa_prefix	prefixes[PKT_LSA_PREFIX_MAX];
	uint16_t		n_links;
	struct pkt_lsa_link	links[PKT_LSA_LINK_MAX];
	uint16_t		cert_len;
	uint8_t			cert[PKT_LSA_CERT_MAX];
	uint16_t		sig_len;
	uint8_t			sig[PKT_LSA_SIG_MAX];
};

/*
 * A connection request, forwarded hop by hop toward dst:
 * u64 id, u8 len + src proxy name, u8 len + dst proxy name, the inner
 * addresses of the packet that opened it: u8 family (0 none, 4 or 6), then
 * src_ip and dst_ip of that family (4 or 16 bytes each; nothing for 0),
 * u8 cls (enum ipv4_class, 0-4), u8 src_nat (0-5), u8 path_nat
 * (0-5), u8 n_path (1-16), n x { u8 len, name }: the proxies it crossed so
 * far, starting with src; then three endpoints (unset when unknown):
 * src_mapped (filled in by the first hop: where it sees src), dst_mapped
 * (filled in by the last hop: where it sees dst), src_local (src's own
 * listen address of src_mapped's family).  A direct channel needs the
 * two mapped endpoints to be of one family.
 */
struct pkt_conn_req {
	uint64_t	id;
	char		src[PKT_NAME_MAX + 1];
	char		dst[PKT_NAME_MAX + 1];
	struct ipaddr	src_ip, dst_ip;	/* one family; af 0: not given */
	uint8_t		cls;
	enum nat_type	src_nat;
	enum nat_type	path_nat;
	uint8_t		n_path;
	char		path[PKT_PATH_MAX][PKT_NAME_MAX + 1];
	struct ep	src_mapped;
	struct ep	dst_mapped;
	struct ep	src_local;
};

enum pkt_conn_decision {
	PKT_CONN_RELAY		= 0,
};

/*
 * The destination's answer, sent back along the request's path:
 * u64 id, u8 decision (0), u8 direct (0 not possible, 1 possible), u8
 * path_nat (0-5), u8 src_nat (0-5), u8 dst_nat (0-5), u8 reason_len
 * (<= 159) + reason (printable ASCII), u8 n_path (1-16) + names: the
 * request's path with the destination appended; then three endpoints:
 * src_mapped, dst_mapped (copied from the request) and dst_local (the
 * destination's own listen address of dst_mapped's family).
 */
struct pkt_conn_resp {
	uint64_t	id;
	uint8_t		decision;
	uint8_t		direct;
	enum nat_type	path_nat;
	enum nat_type	src_nat;
	enum nat_type	dst_nat;
	char		reason[PKT_REASON_MAX + 1];
	uint8_t		n_path;
	char		path[PKT_PATH_MAX][PKT_NAME_MAX + 1];
	struct ep	src_mapped;
	struct ep	dst_mapped;
	struct ep	dst_local;
};

enum pkt_echo_kind {
	PKT_ECHO_REQUEST	= 0,
	PKT_ECHO_ANSWER		= 1,
};

#define PKT_ECHO_HOPS_MAX	32	/* hops a path echo may take, both ways */

/*
 * A path echo (proxyctl ping), forwarded hop by hop: a request toward dst,
 * an answer back toward src, each by the forwarding proxy's own routes.
 * u64 id, u8 kind (enum pkt_echo_kind), u64 time_us (src's clock, echoed
 * back unchanged), u8 hops (proxies crossed so far, 0-32: a proxy drops an
 * echo that would exceed 32), u8 len + src proxy name, u8 len + dst proxy
 * name (src != dst), u8 n_path (1-16) + names: the proxies it crossed,
 * starting with src; a proxy appends itself while there is room (so the
 * answer carries the way there, dst, and the way back as far as 16 names
 * go).
 */
struct pkt_echo {
	uint64_t	id;
	uint8_t		kind;
	uint64_t	time_us;
	uint8_t		hops;
	char		src[PKT_NAME_MAX + 1];
	char		dst[PKT_NAME_MAX + 1];
	uint8_t		n_path;
	char		path[PKT_PATH_MAX][PKT_NAME_MAX + 1];
};

/*
 * One piece of a message too large for the link's path MTU (only DATA is
 * split): u32 id, u8 index, u8 count (2-8), u16 total (the whole message's
 * length, count-9216), then the piece.  Pieces are cut evenly: piece i is
 * at i * ceil(total / count), and all but the last are that long
 * (pkt_frag_piece); a piece of any other length is refused.  The next hop
 * joins them (lib/frag.h) and handles the message as if it came whole.
 */
#define PKT_FRAG_HDR_LEN	9	/* with the message type byte */
#define PKT_FRAG_COUNT_MAX	8
#define PKT_FRAG_TOTAL_MAX	9216	/* DATA of a 9000-byte TUN fits */

struct pkt_frag {
	uint32_t	 id;
	uint8_t		 index;
	uint8_t		 count;
	uint16_t	 total;
	const uint8_t	*piece;		/* borrowed */
	size_t		 piece_len;
};

/*
 * Path MTU measurement on a link: a probe is u32 id, u16 size (the IPv4
 * datagram's size as sent, 576-9216), then padding to that size (any
 * bytes, ignored); the answer, MTU_ACK, is u32 id, u16 size, and nothing
 * more, so it is never larger than the probe.
 */
#define PKT_MTU_MIN		576
#define PKT_MTU_MAX		9216

struct pkt_mtu {
	uint32_t	id;
	uint16_t	size;
	size_t		pad;		/* probe: padding bytes */
};

struct pkt_msg {
	uint8_t		type;		/* enum pkt_msg_type */
	union {
		struct pkt_keepalive	ka;
		struct pkt_data		data;
		uint8_t			close_reason;
		struct pkt_info		info;
		struct pkt_probe_req	probe_req;
		struct pkt_probe_resp	probe_resp;
		struct pkt_third_req	third;
		struct pkt_nat_result	nat;
		struct pkt_lsa		lsa;
		struct pkt_conn_req	conn_req;
		struct pkt_conn_resp	conn_resp;
		struct pkt_echo		echo;
		struct pkt_frag		frag;
		struct pkt_mtu		mtu;	/* MTU_PROBE, MTU_ACK */
		struct pkt_crl		crl;
		struct pkt_rekey	rekey;
		uint8_t			features;	/* PKT_FEAT_* */
		uint32_t		move;	/* MOVE: the new session */
	} u;
};

/*
 * Where piece index of a total-byte message cut in count pieces lies:
 * *off, *len.  -1 if the piece would be empty or the numbers are out of
 * range (count 2-PKT_FRAG_COUNT_MAX, index < count, total <=
 * PKT_FRAG_TOTAL_MAX).
 */
int	pkt_frag_piece(size_t total, unsigned count, unsigned index,
	    size_t *off, size_t *len);
/*
 * How many pieces a message of total bytes needs when a piece may carry
 * at most room bytes: 1 if it fits whole, 0 if not even
 * PKT_FRAG_COUNT_MAX pieces hold it (or total is over PKT_FRAG_TOTAL_MAX).
 */
unsigned pkt_frag_count(size_t total, size_t room);

/*
 * A proxy name's 32-bit id in DATA frames: FNV-1a over the name.  Names
 * come from CA-issued certificates, so nobody picks a colliding one at
 * will; two origins that collide by chance are each allowed the other's
 * prefixes as inner sources (a narrower check, never a wrong drop).
 */
uint32_t	 pkt_origin_id(const char *name);

/*
 * Decodes the outer header of a datagram.  Returns 0, or -1 with *why set
 * (unknown version, unknown type, truncated, empty body).
 */
int	pkt_hdr_decode(const uint8_t *, size_t, struct pkt_hdr *, const char **why);
/* Writes the outer header (14 bytes for PKT_SEALED, 6 otherwise). */
/* Whether s is a proxy name as the wire carries it: 1-63 of A-Za-z0-9._- */
bool	pkt_name_ok(const char *s);
int	pkt_hdr_encode(struct buf_wr *, uint8_t type, uint32_t session,
	    uint64_t seq);

/* Decodes one plaintext message.  Returns 0, or -1 with *why set. */
int	pkt_msg_decode(const uint8_t *, size_t, struct pkt_msg *, const char **why);
/* Encodes one message; returns bytes written, or -1 (no space, bad field). */
int	pkt_msg_encode(const struct pkt_msg *, uint8_t *, size_t);

#define PKT_LSA_TBS_MAX		5800	/* > the largest signed part (64 IPv6 */
					/* prefixes, 64 links: 5536 bytes) */
/*
 * The bytes an advertisement's signature covers: a context string
 * ("proxyd-lsa-v1" and a NUL), then the advertisement as encoded without
 * age_s, certificate and signature.  Writes at most cap bytes to out;
 * returns the length, or -1 (a field breaks the encoder's rules).
 */
int	pkt_lsa_tbs(const struct pkt_lsa *, uint8_t *out, size_t cap);

#endif
