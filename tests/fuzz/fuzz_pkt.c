/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for lib/pkt.c.  Arbitrary bytes go
 * through the header and message decoders; whatever decodes must re-encode
 * to the same bytes (the encoding is canonical) and decode again to an
 * equal message that still obeys the decoder's rules.  Retired message
 * types must neither decode nor encode.  Any mismatch aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "nat.h"
#include "pkt.h"

#include "flags.h"

/* the largest legal input: a 64 KiB datagram, packet or control line */
static const char *const flags[] = { "-max_len=65600", NULL };

int	LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	return 0;
}

/* Message type 3 was ANNOUNCE (foundation), retired: never valid again. */
#define MSG_RETIRED_ANNOUNCE	3

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What the decoder promises for text: terminated, printable, <= max. */
/* Equal, and what the decoder accepted is sendable again. */
static bool
ep_equal(const struct ep *a, const struct ep *b)
{
	return ep_eq(a, b) && ep_wire_ok(a);
}

static bool
text_ok(const char *s, size_t size, size_t max)
{
	const char *nul = memchr(s, '\0', size);
	size_t i;

	if (nul == NULL || (size_t)(nul - s) > max)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return true;
}

/* ... and for names: terminated, 1-63 chars of [A-Za-z0-9._-]. */
static bool
name_ok(const char *s)
{
	const char *nul = memchr(s, '\0', PKT_NAME_MAX + 1);
	size_t i;

	if (nul == NULL || nul == s)
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* ... and for NAT types: a value of enum nat_type. */
static bool
nat_type_ok(enum nat_type t)
{
	return t >= NAT_TYPE_OPEN && t <= NAT_TYPE_UNKNOWN;
}

static bool
names_equal(const char *a, const char *b)
{
	return name_ok(a) && name_ok(b) && strcmp(a, b) == 0;
}

static bool
nat_equal(const struct pkt_nat_result *a, const struct pkt_nat_result *b)
{
	if (!text_ok(a->assumed, sizeof(a->assumed), PKT_NAT_ASSUMED_MAX))
		return false;
	return a->mapping == b->mapping && a->filtering == b->filtering &&
	    a->type == b->type && nat_type_ok(a->type) &&
	    a->port_preserved == b->port_preserved &&
	    a->lifetime_s == b->lifetime_s &&
	    memcmp(a->trials, b->trials, sizeof(a->trials)) == 0 &&
	    ep_equal(&a->mapped, &b->mapped) &&
	    strcmp(a->assumed, b->assumed) == 0;
}

/* plen 0-32 and no host bits set. */
static bool
prefix_clean(uint8_t plen, uint32_t addr)
{
	if (plen > 32)
		return false;
	if (plen == 0)
		return addr == 0;
	return plen == 32 || (addr & (UINT32_MAX >> plen)) == 0;
}

/* No bit set at or after plen (bit 0: the first byte's top bit). */
static bool
prefix6_clean(uint8_t plen, const uint8_t *a)
{
	unsigned i;

	for (i = plen; i < 128; i++)
		if (a[i / 8] >> (7 - i % 8) & 1)
			return false;
	return true;
}

/* Also re-checks the decoder's rules on what it accepted. */
static bool
lsa_equal(const struct pkt_lsa *a, const struct pkt_lsa *b)
{
	uint16_t i, j;

	if (!names_equal(a->origin, b->origin) || a->seq != b->seq ||
	    a->age_s != b->age_s || a->n_eps != b->n_eps ||
	    a->n_eps > PKT_LSA_EP_MAX ||
	    a->n_prefixes != b->n_prefixes ||
	    a->n_prefixes > PKT_LSA_PREFIX_MAX ||
	    a->n_links != b->n_links || a->n_links > PKT_LSA_LINK_MAX)
		return false;
	for (i = 0; i < a->n_eps; i++)
		if (!ep_equal(&a->eps[i], &b->eps[i]) || !ep_is_set(&a->eps[i]))
			return false;
	for (i = 0; i < a->n_prefixes; i++) {
		if (a->prefixes[i].v6 != b->prefixes[i].v6 ||
		    a->prefixes[i].plen != b->prefixes[i].plen)
			return false;
		if (a->prefixes[i].v6) {
			if (memcmp(&a->prefixes[i].addr6, &b->prefixes[i].addr6,
			    16) != 0 || a->prefixes[i].plen > 128 ||
			    !prefix6_clean(a->prefixes[i].plen,
			    a->prefixes[i].addr6.s6_addr))
				return false;
			continue;
		}
		if (a->prefixes[i].addr.s_addr != b->prefixes[i].addr.s_addr ||
		    !prefix_clean(a->prefixes[i].plen,
		    ntohl(a->prefixes[i].addr.s_addr)))
			return false;
	}
	for (i = 0; i < a->n_links; i++) {
		if (!names_equal(a->links[i].peer, b->links[i].peer) ||
		    a->links[i].nat != b->links[i].nat ||
		    a->links[i].cost != b->links[i].cost ||
		    !nat_type_ok(a->links[i].nat) || a->links[i].cost == 0)
			return false;
		for (j = 0; j < i; j++)
			if (strcmp(a->links[i].peer, a->links[j].peer) == 0)
				return false;
	}
	return true;
}

static bool
path_equal(uint8_t an, const char a[PKT_PATH_MAX][PKT_NAME_MAX + 1],
    uint8_t bn, const char b[PKT_PATH_MAX][PKT_NAME_MAX + 1])
{
	uint8_t i;

	if (an != bn || an == 0 || an > PKT_PATH_MAX)
		return false;
	for (i = 0; i < an; i++)
		if (!names_equal(a[i], b[i]))
			return false;
	return true;
}


static bool
conn_req_equal(const struct pkt_conn_req *a, const struct pkt_conn_req *b)
{
	return a->id == b->id && names_equal(a->src, b->src) &&
	    names_equal(a->dst, b->dst) && strcmp(a->src, a->dst) != 0 &&
	    ipaddr_eq(&a->src_ip, &b->src_ip) &&
	    ipaddr_eq(&a->dst_ip, &b->dst_ip) &&
	    a->src_ip.af == a->dst_ip.af && (a->src_ip.af == 0 ||
	    a->src_ip.af == AF_INET || a->src_ip.af == AF_INET6) &&
	    a->cls == b->cls && a->cls <= 4 &&
	    a->src_nat == b->src_nat && nat_type_ok(a->src_nat) &&
	    a->path_nat == b->path_nat && nat_type_ok(a->path_nat) &&
	    path_equal(a->n_path, a->path, b->n_path, b->path) &&
	    ep_equal(&a->src_mapped, &b->src_mapped) &&
	    ep_equal(&a->dst_mapped, &b->dst_mapped) &&
	    ep_equal(&a->src_local, &b->src_local);
}

static bool
conn_resp_equal(const struct pkt_conn_resp *a, const struct pkt_conn_resp *b)
{
	return a->id == b->id && a->decision == b->decision &&
	    a->decision == PKT_CONN_RELAY &&
	    a->direct == b->direct && a->direct <= 1 &&
	    a->path_nat == b->path_nat && nat_type_ok(a->path_nat) &&
	    a->src_nat == b->src_nat && nat_type_ok(a->src_nat) &&
	    a->dst_nat == b->dst_nat && nat_type_ok(a->dst_nat) &&
	    text_ok(a->reason, sizeof(a->reason), PKT_REASON_MAX) &&
	    strcmp(a->reason, b->reason) == 0 &&
	    path_equal(a->n_path, a->path, b->n_path, b->path) &&
	    ep_equal(&a->src_mapped, &b->src_mapped) &&
	    ep_equal(&a->dst_mapped, &b->dst_mapped) &&
	    ep_equal(&a->dst_local, &b->dst_local);
}

static bool
echo_equal(const struct pkt_echo *a, const struct pkt_echo *b)
{
	return a->id == b->id &&
	    a->kind == b->kind && a->kind <= PKT_ECHO_ANSWER &&
	    a->time_us == b->time_us &&
	    a->hops == b->hops && a->hops <= PKT_ECHO_HOPS_MAX &&
	    names_equal(a->src, b->src) && names_equal(a->dst, b->dst) &&
	    strcmp(a->src, a->dst) != 0 &&
	    path_equal(a->n_path, a->path, b->n_path, b->path);
}

static bool
msg_equal(const struct pkt_msg *a, const struct pkt_msg *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case PKT_MSG_KEEPALIVE:
	case PKT_MSG_KEEPALIVE_ACK:
		return a->u.ka.id == b->u.ka.id &&
		    a->u.ka.time_us == b->u.ka.time_us &&
		    a->u.ka.interval_ms == b->u.ka.interval_ms;
	case PKT_MSG_DATA:
		return a->u.data.ttl == b->u.data.ttl &&
		    a->u.data.origin == b->u.data.origin &&
		    a->u.data.ip_len == b->u.data.ip_len &&
		    memcmp(a->u.data.ip, b->u.data.ip, a->u.data.ip_len) == 0;
	case PKT_MSG_CLOSE:
		return a->u.close_reason == b->u.close_reason;
	case PKT_MSG_INFO:
		return a->u.info.alt_port == b->u.info.alt_port &&
		    ep_equal(&a->u.info.alt_addr, &b->u.info.alt_addr);
	case PKT_MSG_PROBE_REQ:
		return a->u.probe_req.id == b->u.probe_req.id &&
		    a->u.probe_req.from == b->u.probe_req.from &&
		    ep_equal(&a->u.probe_req.target, &b->u.probe_req.target);
	case PKT_MSG_PROBE_RESP:
		return a->u.probe_resp.id == b->u.probe_resp.id &&
		    a->u.probe_resp.status == b->u.probe_resp.status &&
		    a->u.probe_resp.from == b->u.probe_resp.from &&
		    ep_equal(&a->u.probe_resp.mapped, &b->u.probe_resp.mapped);
	case PKT_MSG_THIRD_REQ:
		return a->u.third.nonce == b->u.third.nonce &&
		    ep_equal(&a->u.third.target, &b->u.third.target) &&
		    ep_is_set(&a->u.third.target);
	case PKT_MSG_NAT_RESULT:
		return nat_equal(&a->u.nat, &b->u.nat);
	case PKT_MSG_LSA:
		return lsa_equal(&a->u.lsa, &b->u.lsa);
	case PKT_MSG_CONN_REQ:
		return conn_req_equal(&a->u.conn_req, &b->u.conn_req);
	case PKT_MSG_CONN_RESP:
		return conn_resp_equal(&a->u.conn_resp, &b->u.conn_resp);
	case PKT_MSG_CRL:
		return a->u.crl.len == b->u.crl.len &&
		    memcmp(a->u.crl.der, b->u.crl.der, a->u.crl.len) == 0;
	case PKT_MSG_REKEY:
		return a->u.rekey.session == b->u.rekey.session &&
		    a->u.rekey.len == b->u.rekey.len &&
		    memcmp(a->u.rekey.rec, b->u.rekey.rec, a->u.rekey.len) == 0;
	case PKT_MSG_MOVE:
		return a->u.move == b->u.move && a->u.move != 0;
	case PKT_MSG_FEATURES:
		return a->u.features == b->u.features;
	case PKT_MSG_ECHO:
		return echo_equal(&a->u.echo, &b->u.echo);
	case PKT_MSG_FRAG:
		return a->u.frag.id == b->u.frag.id &&
		    a->u.frag.index == b->u.frag.index &&
		    a->u.frag.count == b->u.frag.count &&
		    a->u.frag.total == b->u.frag.total &&
		    a->u.frag.piece_len == b->u.frag.piece_len &&
		    memcmp(a->u.frag.piece, b->u.frag.piece,
		    a->u.frag.piece_len) == 0;
	case PKT_MSG_MTU_PROBE:
	case PKT_MSG_MTU_ACK:
		return a->u.mtu.id == b->u.mtu.id &&
		    a->u.mtu.size == b->u.mtu.size &&
		    a->u.mtu.pad == b->u.mtu.pad;
	default:
		return false;
	}
}

static void
check_hdr(const uint8_t *data, size_t size)
{
	uint8_t out[PKT_SEALED_HDR_LEN];
	struct pkt_hdr h;
	struct buf_wr w;
	const char *why = NULL;

	if (pkt_hdr_decode(data, size, &h, &why) == -1) {
		if (why == NULL)
			abort();
		return;
	}
	if (h.type == PKT_COOKIE || h.type == PKT_HS_COOKIE) {
		/* The cookie follows the header; a handshake's records it. */
		if (h.cookie != data + PKT_HDR_LEN ||
		    (h.type == PKT_COOKIE && (size != PKT_HDR_LEN +
		    PKT_COOKIE_LEN || h.body_len != 0)) ||
		    (h.type == PKT_HS_COOKIE && (h.body != h.cookie +
		    PKT_COOKIE_LEN || h.body_len == 0 ||
		    h.body + h.body_len != data + size)))
			abort();
		buf_wr_init(&w, out, sizeof(out));
		if (pkt_hdr_encode(&w, h.type, h.session, 0) == -1 ||
		    w.off != PKT_HDR_LEN || memcmp(out, data, w.off) != 0)
			abort();
		return;
	}
	if (h.cookie != NULL || h.body == NULL || h.body < data ||
	    h.body_len == 0 || h.body + h.body_len != data + size)
		abort();
	buf_wr_init(&w, out, sizeof(out));
	if (pkt_hdr_encode(&w, h.type, h.session, h.seq) == -1)
		abort();
	if (h.type == PKT_PROBE || h.type == PKT_PUNCH) {
		/* The whole datagram is the header; the body is the nonce. */
		if (size != PKT_PROBE_LEN || h.session != 0 ||
		    h.body != data + PKT_HDR_LEN || h.body_len != 8 ||
		    w.off != size || memcmp(out, data, size) != 0)
			abort();
		return;
	}
	if (w.off != (size_t)(h.body - data) || memcmp(out, data, w.off) != 0)
		abort();
}

static void
check_msg(const uint8_t *data, size_t size)
{
	/* static: an LSA is 5 KB */
	static struct pkt_msg m, back;
	uint8_t *out;
	const char *why = NULL;
	int n;

	if (pkt_msg_decode(data, size, &m, &why) == -1) {
		if (why == NULL)
			abort();
		if (size > 0 && data[0] == MSG_RETIRED_ANNOUNCE &&
		    strcmp(why, "unknown message type") != 0)
			abort();
		return;
	}
	if (m.type == MSG_RETIRED_ANNOUNCE)
		abort();
	if (m.type == PKT_MSG_DATA && (m.u.data.ip < data ||
	    m.u.data.ip + m.u.data.ip_len != data + size))
		abort();
	/* Exactly sized, so a write past the encoding trips ASan. */
	out = malloc(size);
	if (out == NULL)
		abort();
	n = pkt_msg_encode(&m, out, size);
	if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0)
		abort();
	if (size > 0 && pkt_msg_encode(&m, out, size - 1) != -1)
		abort();
	if (pkt_msg_decode(out, (size_t)n, &back, &why) == -1)
		abort();
	if (back.type != m.type || !msg_equal(&back, &m))
		abort();
	/* Whatever the union holds, the retired type is not encoded. */
	back.type = MSG_RETIRED_ANNOUNCE;
	if (pkt_msg_encode(&back, out, size) != -1)
		abort();
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_hdr(data, size);
	check_msg(data, size);
	/* A datagram's sealed body, as if it had been decrypted in place. */
	if (size > PKT_SEALED_HDR_LEN)
		check_msg(data + PKT_SEALED_HDR_LEN, size - PKT_SEALED_HDR_LEN);
	return 0;
}
