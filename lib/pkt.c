/* SPDX-License-Identifier: ISC */
/*
 * This file owns the peer-protocol codec described in pkt.h: the outer
 * datagram header and the plaintext messages inside PKT_SEALED.  Decoders
 * read field by field through buf_rd cursors, validate every field and
 * require full consumption; encoders check the same rules before writing.
 */
#include <stdbool.h>
#include <string.h>

#include "buf.h"
#include "pkt.h"

/*
 * XXX Not in pkt.h yet: announcements further than this are dropped by
 * the sender anyway (hops only grows), so anything larger is garbage.
 */
#define PKT_HOPS_MAX		64
#define PKT_FAMILY_IPV4		4
#define PKT_IP_MIN		20	/* smallest IPv4 header */

static int
fail(const char **why, const char *msg)
{
	if (why != NULL)
		*why = msg;
	return -1;
}

static bool
name_char_ok(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* Returns the name's length if it is a valid 1-63 char name, else 0. */
static size_t
name_check(const uint8_t *name, size_t len)
{
	size_t i;

	if (len == 0 || len > PKT_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!name_char_ok(name[i]))
			return 0;
	return len;
}

static bool
prefix_ok(uint8_t plen, uint32_t addr)
{
	uint32_t host;

	if (plen > 32)
		return false;
	host = plen == 0 ? UINT32_MAX : plen == 32 ? 0 : UINT32_MAX >> plen;
	return (addr & host) == 0;
}

int
pkt_hdr_decode(const uint8_t *p, size_t len, struct pkt_hdr *h,
    const char **why)
{
	struct buf_rd r;

	memset(h, 0, sizeof(*h));
	if (len > PKT_MAX)
		return fail(why, "datagram too long");
	buf_rd_init(&r, p, len);
	h->version = rd_u8(&r);
	if (r.err != NULL)
		return fail(why, r.err);
	if (h->version != PKT_VERSION)
		return fail(why, "unknown version");
	h->type = rd_u8(&r);
	if (r.err == NULL && h->type != PKT_HS && h->type != PKT_SEALED)
		return fail(why, "unknown type");
	h->session = rd_u32be(&r);
	if (h->type == PKT_SEALED)
		h->seq = rd_u64be(&r);
	if (r.err != NULL)
		return fail(why, r.err);
	h->body_len = rd_left(&r);
	h->body = rd_ptr(&r, h->body_len);
	if (h->type == PKT_HS && h->body_len == 0)
		return fail(why, "empty handshake body");
	if (h->type == PKT_SEALED && h->body_len < PKT_TAG_LEN)
		return fail(why, "sealed body shorter than tag");
	if (!rd_end(&r))
		return fail(why, r.err);
	return 0;
}

int
pkt_hdr_encode(struct buf_wr *w, uint8_t type, uint32_t session, uint64_t seq)
{
	if (type != PKT_HS && type != PKT_SEALED) {
		if (w->err == NULL)
			w->err = "unknown type";
		return -1;
	}
	wr_u8(w, PKT_VERSION);
	wr_u8(w, type);
	wr_u32be(w, session);
	if (type == PKT_SEALED)
		wr_u64be(w, seq);
	return w->err == NULL ? 0 : -1;
}

static void
ka_decode(struct buf_rd *r, struct pkt_keepalive *ka)
{
	ka->id = rd_u32be(r);
	ka->time_us = rd_u64be(r);
	ka->interval_ms = rd_u32be(r);
}

static void
route_decode(struct buf_rd *r, struct pkt_route *rt)
{
	const uint8_t *name;
	uint8_t family, name_len;

	family = rd_u8(r);
	if (r->err == NULL && family != PKT_FAMILY_IPV4) {
		rd_fail(r, "unknown address family");
		return;
	}
	rt->plen = rd_u8(r);
	if (r->err == NULL && rt->plen > 32) {
		rd_fail(r, "prefix length over 32");
		return;
	}
	rt->addr.s_addr = htonl(rd_u32be(r));
	if (r->err == NULL && !prefix_ok(rt->plen, ntohl(rt->addr.s_addr))) {
		rd_fail(r, "host bits set in prefix");
		return;
	}
	rt->hops = rd_u8(r);
	if (r->err == NULL && rt->hops > PKT_HOPS_MAX) {
		rd_fail(r, "hop count too large");
		return;
	}
	name_len = rd_u8(r);
	if (r->err == NULL && (name_len == 0 || name_len > PKT_NAME_MAX)) {
		rd_fail(r, "bad origin name length");
		return;
	}
	name = rd_ptr(r, name_len);
	if (name == NULL)
		return;
	if (name_check(name, name_len) == 0) {
		rd_fail(r, "bad character in origin name");
		return;
	}
	memcpy(rt->origin, name, name_len);
	rt->origin[name_len] = '\0';
}

static void
announce_decode(struct buf_rd *r, struct pkt_announce *ann)
{
	uint16_t i;

	ann->seq = rd_u32be(r);
	ann->count = rd_u16be(r);
	if (r->err == NULL && ann->count > PKT_ANNOUNCE_MAX) {
		rd_fail(r, "too many prefixes in announcement");
		return;
	}
	for (i = 0; i < ann->count && r->err == NULL; i++)
		route_decode(r, &ann->routes[i]);
}

static void
data_decode(struct buf_rd *r, struct pkt_data *d)
{
	d->ttl = rd_u8(r);
	if (r->err != NULL)
		return;
	d->ip_len = rd_left(r);
	if (d->ip_len < PKT_IP_MIN || d->ip_len > PKT_MAX) {
		d->ip_len = 0;
		rd_fail(r, "bad ip packet length");
		return;
	}
	d->ip = rd_ptr(r, d->ip_len);
}

int
pkt_msg_decode(const uint8_t *p, size_t len, struct pkt_msg *m,
    const char **why)
{
	struct buf_rd r;

	buf_rd_init(&r, p, len);
	m->type = rd_u8(&r);
	if (r.err != NULL)
		return fail(why, r.err);
	/* Only the active union member is cleared: ann is 18 KB. */
	switch (m->type) {
	case PKT_MSG_KEEPALIVE:
	case PKT_MSG_KEEPALIVE_ACK:
		memset(&m->u.ka, 0, sizeof(m->u.ka));
		ka_decode(&r, &m->u.ka);
		break;
	case PKT_MSG_ANNOUNCE:
		m->u.ann.seq = 0;
		m->u.ann.count = 0;
		announce_decode(&r, &m->u.ann);
		break;
	case PKT_MSG_DATA:
		memset(&m->u.data, 0, sizeof(m->u.data));
		data_decode(&r, &m->u.data);
		break;
	case PKT_MSG_CLOSE:
		m->u.close_reason = rd_u8(&r);
		if (r.err == NULL && m->u.close_reason != PKT_CLOSE_SHUTDOWN &&
		    m->u.close_reason != PKT_CLOSE_REPLACED)
			rd_fail(&r, "unknown close reason");
		break;
	default:
		rd_fail(&r, "unknown message type");
		break;
	}
	if (!rd_end(&r))
		return fail(why, r.err);
	return 0;
}

static int
route_encode(struct buf_wr *w, const struct pkt_route *rt)
{
	const char *nul;
	size_t name_len;

	nul = memchr(rt->origin, '\0', sizeof(rt->origin));
	if (nul == NULL)
		return -1;
	name_len = (size_t)(nul - rt->origin);
	if (name_check((const uint8_t *)rt->origin, name_len) == 0)
		return -1;
	if (!prefix_ok(rt->plen, ntohl(rt->addr.s_addr)) ||
	    rt->hops > PKT_HOPS_MAX)
		return -1;
	wr_u8(w, PKT_FAMILY_IPV4);
	wr_u8(w, rt->plen);
	wr_u32be(w, ntohl(rt->addr.s_addr));
	wr_u8(w, rt->hops);
	wr_u8(w, (uint8_t)name_len);
	wr_bytes(w, rt->origin, name_len);
	return 0;
}

int
pkt_msg_encode(const struct pkt_msg *m, uint8_t *out, size_t cap)
{
	struct buf_wr w;
	uint16_t i;

	buf_wr_init(&w, out, cap);
	switch (m->type) {
	case PKT_MSG_KEEPALIVE:
	case PKT_MSG_KEEPALIVE_ACK:
		wr_u8(&w, m->type);
		wr_u32be(&w, m->u.ka.id);
		wr_u64be(&w, m->u.ka.time_us);
		wr_u32be(&w, m->u.ka.interval_ms);
		break;
	case PKT_MSG_ANNOUNCE:
		if (m->u.ann.count > PKT_ANNOUNCE_MAX)
			return -1;
		wr_u8(&w, m->type);
		wr_u32be(&w, m->u.ann.seq);
		wr_u16be(&w, m->u.ann.count);
		for (i = 0; i < m->u.ann.count; i++)
			if (route_encode(&w, &m->u.ann.routes[i]) == -1)
				return -1;
		break;
	case PKT_MSG_DATA:
		if (m->u.data.ip == NULL || m->u.data.ip_len < PKT_IP_MIN ||
		    m->u.data.ip_len > PKT_MAX)
			return -1;
		wr_u8(&w, m->type);
		wr_u8(&w, m->u.data.ttl);
		wr_bytes(&w, m->u.data.ip, m->u.data.ip_len);
		break;
	case PKT_MSG_CLOSE:
		if (m->u.close_reason != PKT_CLOSE_SHUTDOWN &&
		    m->u.close_reason != PKT_CLOSE_REPLACED)
			return -1;
		wr_u8(&w, m->type);
		wr_u8(&w, m->u.close_reason);
		break;
	default:
		return -1;
	}
	/* The largest message (DATA) is 65537 bytes, so w.off fits an int. */
	return w.err == NULL ? (int)w.off : -1;
}
