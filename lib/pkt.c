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
#include "ipaddr.h"
#include "pkt.h"

#define PKT_IP_MIN		20	/* smallest IPv4 header */
#define PKT_NONCE_LEN		8	/* PKT_PROBE/PKT_PUNCH body: u64 nonce */
#define PKT_FROM_MAX		PKT_FROM_THIRD
#define PKT_NAT_BEH_MAX		4	/* nat.h enum nat_behaviour */
#define PKT_NAT_WIRE_MAX	(NAT_TYPE_UNKNOWN - NAT_TYPE_OPEN)	/* 5 */
#define PKT_NAT_PP_MAX		2	/* no, yes, unknown */
#define PKT_NAT_OUTCOME_MAX	2	/* nat.h enum nat_outcome */
#define PKT_CLS_MAX		4	/* ipv4.h enum ipv4_class */
#define PKT_DIRECT_MAX		1	/* CONN_RESP direct: no, yes */
#define PKT_ECHO_KIND_MAX	PKT_ECHO_ANSWER

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

bool
pkt_name_ok(const char *s)
{
	size_t len = strnlen(s, PKT_NAME_MAX + 1);

	return name_check((const uint8_t *)s, len) == len && len > 0;
}

static bool
assumed_char_ok(uint8_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/*
 * Returns the length of a NUL-terminated text of at most max printable
 * ASCII chars held in a size-byte array, or -1 (unterminated, too long,
 * other bytes).  The encoders' rule for NAT_RESULT and CONN_RESP text.
 */
static int
text_len(const char *s, size_t size, size_t max)
{
	const char *nul;
	size_t i, len;

	nul = memchr(s, '\0', size);
	if (nul == NULL)
		return -1;
	len = (size_t)(nul - s);
	if (len > max)
		return -1;
	for (i = 0; i < len; i++)
		if (!assumed_char_ok((uint8_t)s[i]))
			return -1;
	return (int)len;
}

/* The length of a terminated, valid name in a PKT_NAME_MAX + 1 array, or 0. */
static size_t
name_len_ok(const char *name)
{
	const char *nul;

	nul = memchr(name, '\0', PKT_NAME_MAX + 1);
	if (nul == NULL)
		return 0;
	return name_check((const uint8_t *)name, (size_t)(nul - name));
}


/* Whether t is an enum nat_type value: the ones the wire can carry. */
static bool
nat_type_ok(enum nat_type t)
{
	return t >= NAT_TYPE_OPEN && t <= NAT_TYPE_UNKNOWN;
}

/*
 * Writes a NAT type as the wire has it, enum nat_type minus one (0-5).  The
 * caller has checked it with nat_type_ok().
 */
static void
wr_nat_type(struct buf_wr *w, enum nat_type t)
{
	wr_u8(w, (uint8_t)(t - NAT_TYPE_OPEN));
}

/* Checks a NAT result's enums and assumed text; the encoder's rules. */
static bool
nat_ok(const struct pkt_nat_result *nr, size_t *assumed_len)
{
	size_t i;
	int len;

	if (nr->mapping > PKT_NAT_BEH_MAX || nr->filtering > PKT_NAT_BEH_MAX ||
	    !nat_type_ok(nr->type) || nr->port_preserved > PKT_NAT_PP_MAX ||
	    !ep_wire_ok(&nr->mapped))
		return false;
	for (i = 0; i < PKT_NAT_TRIALS; i++)
		if (nr->trials[i] > PKT_NAT_OUTCOME_MAX)
			return false;
	len = text_len(nr->assumed, sizeof(nr->assumed), PKT_NAT_ASSUMED_MAX);
	if (len < 0)
		return false;
	*assumed_len = (size_t)len;
	return true;
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

static bool
prefix6_ok(uint8_t plen, const struct in6_addr *a)
{
	struct ipaddr x, m;

	if (plen > 128)
		return false;
	ipaddr_set6(&x, a);
	m = x;
	ipaddr_mask(&m, plen);
	return ipaddr_eq(&x, &m);
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
	if (r.err == NULL && (h->type < PKT_HS || h->type > PKT_HS_COOKIE))
		return fail(why, "unknown type");
	h->session = rd_u32be(&r);
	if (h->type == PKT_SEALED)
		h->seq = rd_u64be(&r);
	if (h->type == PKT_PROBE || h->type == PKT_PUNCH) {
		/* The body is the nonce itself; it is also returned as seq. */
		h->body = rd_ptr(&r, PKT_NONCE_LEN);
		if (h->body != NULL) {
			struct buf_rd nr;

			buf_rd_init(&nr, h->body, PKT_NONCE_LEN);
			h->seq = rd_u64be(&nr);
			h->body_len = PKT_NONCE_LEN;
		}
		if (r.err != NULL)
			return fail(why, r.err);
		if (h->session != 0)
			return fail(why, h->type == PKT_PROBE ?
			    "probe session not zero" : "punch session not zero");
		if (rd_left(&r) != 0)
			return fail(why, h->type == PKT_PROBE ?
			    "bad probe length" : "bad punch length");
		return 0;
	}
	if (r.err != NULL)
		return fail(why, r.err);
	if (h->type == PKT_COOKIE || h->type == PKT_HS_COOKIE) {
		h->cookie = rd_ptr(&r, PKT_COOKIE_LEN);
		if (r.err != NULL)
			return fail(why, "short cookie");
	}
	h->body_len = rd_left(&r);
	h->body = rd_ptr(&r, h->body_len);
	if (h->type == PKT_COOKIE && h->body_len != 0)
		return fail(why, "bad cookie length");
	if ((h->type == PKT_HS || h->type == PKT_HS_COOKIE) &&
	    h->body_len == 0)
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
	if (type < PKT_HS || type > PKT_HS_COOKIE) {
		if (w->err == NULL)
			w->err = "unknown type";
		return -1;
	}
	if ((type == PKT_PROBE || type == PKT_PUNCH) && session != 0) {
		if (w->err == NULL)
			w->err = type == PKT_PROBE ? "probe session not zero" :
			    "punch session not zero";
		return -1;
	}
	wr_u8(w, PKT_VERSION);
	wr_u8(w, type);
	wr_u32be(w, session);
	if (type == PKT_SEALED || type == PKT_PROBE || type == PKT_PUNCH)
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

/* Reads u8 len + name into dst (PKT_NAME_MAX + 1 bytes), terminated. */
static void
name_decode(struct buf_rd *r, char *dst, const char *bad_len,
    const char *bad_char)
{
	const uint8_t *name;
	uint8_t len;

	len = rd_u8(r);
	if (r->err == NULL && (len == 0 || len > PKT_NAME_MAX)) {
		rd_fail(r, bad_len);
		return;
	}
	name = rd_ptr(r, len);
	if (name == NULL)
		return;
	if (name_check(name, len) == 0) {
		rd_fail(r, bad_char);
		return;
	}
	memcpy(dst, name, len);
	dst[len] = '\0';
}

static void
data_decode(struct buf_rd *r, struct pkt_data *d)
{
	d->ttl = rd_u8(r);
	d->origin = rd_u32be(r);
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

static void
info_decode(struct buf_rd *r, struct pkt_info *in)
{
	in->alt_port = rd_u16be(r);
	ep_rd(r, &in->alt_addr);
}

static void
probe_req_decode(struct buf_rd *r, struct pkt_probe_req *pr)
{
	pr->id = rd_u64be(r);
	pr->from = rd_u8(r);
	if (r->err == NULL && pr->from > PKT_FROM_MAX) {
		rd_fail(r, "unknown probe source");
		return;
	}
	ep_rd(r, &pr->target);
}

static void
probe_resp_decode(struct buf_rd *r, struct pkt_probe_resp *pr)
{
	pr->id = rd_u64be(r);
	pr->status = rd_u8(r);
	if (r->err == NULL && pr->status != PKT_PROBE_OK &&
	    pr->status != PKT_PROBE_UNAVAILABLE) {
		rd_fail(r, "unknown probe status");
		return;
	}
	pr->from = rd_u8(r);
	if (r->err == NULL && pr->from > PKT_FROM_MAX) {
		rd_fail(r, "unknown probe source");
		return;
	}
	ep_rd(r, &pr->mapped);
}

static void
third_req_decode(struct buf_rd *r, struct pkt_third_req *t)
{
	t->nonce = rd_u64be(r);
	ep_rd(r, &t->target);
	if (r->err == NULL && !ep_is_set(&t->target))
		rd_fail(r, "missing third-party target");
}

/* Reads a u8 and fails with 'why' if it is over max. */
static uint8_t
rd_enum(struct buf_rd *r, uint8_t max, const char *why)
{
	uint8_t v = rd_u8(r);

	if (r->err == NULL && v > max)
		rd_fail(r, why);
	return v;
}

/*
 * Reads a NAT type, u8 enum nat_type minus one (0-5), and fails with 'why'
 * over 5.  Returns the enum value; NAT_TYPE_UNKNOWN once the cursor failed.
 */
static enum nat_type
rd_nat_type(struct buf_rd *r, const char *why)
{
	uint8_t v = rd_enum(r, PKT_NAT_WIRE_MAX, why);

	if (r->err != NULL)
		return NAT_TYPE_UNKNOWN;
	return (enum nat_type)(NAT_TYPE_OPEN + v);
}

/*
 * Reads u8 len + printable ASCII text (at most max chars) into dst (max + 1
 * bytes), terminated.  The rule of NAT_RESULT's assumed and CONN_RESP's
 * reason text.
 */
static void
text_decode(struct buf_rd *r, char *dst, size_t max, const char *too_long,
    const char *bad_char)
{
	const uint8_t *text;
	uint8_t len;
	size_t i;

	len = rd_u8(r);
	if (r->err == NULL && len > max) {
		rd_fail(r, too_long);
		return;
	}
	text = rd_ptr(r, len);
	if (text == NULL)
		return;
	for (i = 0; i < len; i++) {
		if (!assumed_char_ok(text[i])) {
			rd_fail(r, bad_char);
			return;
		}
	}
	memcpy(dst, text, len);
	dst[len] = '\0';
}

static void
nat_decode(struct buf_rd *r, struct pkt_nat_result *nr)
{
	size_t i;

	nr->mapping = rd_enum(r, PKT_NAT_BEH_MAX, "unknown nat mapping");
	nr->filtering = rd_enum(r, PKT_NAT_BEH_MAX, "unknown nat filtering");
	nr->type = rd_nat_type(r, "unknown nat type");
	nr->port_preserved = rd_enum(r, PKT_NAT_PP_MAX,
	    "unknown port preservation");
	nr->lifetime_s = rd_u32be(r);
	for (i = 0; i < PKT_NAT_TRIALS; i++)
		nr->trials[i] = rd_enum(r, PKT_NAT_OUTCOME_MAX,
		    "unknown trial outcome");
	ep_rd(r, &nr->mapped);
	text_decode(r, nr->assumed, PKT_NAT_ASSUMED_MAX,
	    "assumed text too long", "bad character in assumed text");
}

static void
lsa_decode(struct buf_rd *r, struct pkt_lsa *l)
{
	struct pkt_lsa_prefix *pf;
	struct pkt_lsa_link *lk;
	uint16_t i, j;

	name_decode(r, l->origin, "bad origin name length",
	    "bad character in origin name");
	l->seq = rd_u64be(r);
	l->age_s = rd_u16be(r);
	l->n_eps = rd_u8(r);
	if (r->err == NULL && l->n_eps > PKT_LSA_EP_MAX) {
		rd_fail(r, "too many endpoints in lsa");
		return;
	}
	for (i = 0; i < l->n_eps && r->err == NULL; i++) {
		ep_rd(r, &l->eps[i]);
		if (r->err == NULL && !ep_is_set(&l->eps[i]))
			rd_fail(r, "unset endpoint in lsa");
	}
	l->n_prefixes = rd_u16be(r);
	if (r->err == NULL && l->n_prefixes > PKT_LSA_PREFIX_MAX) {
		rd_fail(r, "too many prefixes in lsa");
		return;
	}
	for (i = 0; i < l->n_prefixes && r->err == NULL; i++) {
		pf = &l->prefixes[i];
		pf->plen = rd_u8(r);
		if (r->err == NULL && pf->plen == PKT_LSA_PREFIX_V6) {
			pf->v6 = true;
			pf->plen = rd_u8(r);
			if (r->err == NULL && pf->plen > 128) {
				rd_fail(r, "prefix length over 128");
				return;
			}
			rd_bytes(r, pf->addr6.s6_addr, 16);
			if (r->err == NULL && !prefix6_ok(pf->plen, &pf->addr6))
				rd_fail(r, "host bits set in prefix");
			continue;
		}
		if (r->err == NULL && pf->plen > 32) {
			rd_fail(r, "prefix length over 32");
			return;
		}
		pf->addr.s_addr = htonl(rd_u32be(r));
		if (r->err == NULL &&
		    !prefix_ok(pf->plen, ntohl(pf->addr.s_addr)))
			rd_fail(r, "host bits set in prefix");
	}
	l->n_links = rd_u16be(r);
	if (r->err == NULL && l->n_links > PKT_LSA_LINK_MAX) {
		rd_fail(r, "too many links in lsa");
		return;
	}
	for (i = 0; i < l->n_links && r->err == NULL; i++) {
		lk = &l->links[i];
		name_decode(r, lk->peer, "bad peer name length",
		    "bad character in peer name");
		for (j = 0; j < i && r->err == NULL; j++)
			if (strcmp(l->links[j].peer, lk->peer) == 0)
				rd_fail(r, "duplicate peer in lsa");
		lk->nat = rd_nat_type(r, "unknown link nat type");
		lk->cost = rd_u16be(r);
		if (r->err == NULL && lk->cost == 0)
			rd_fail(r, "zero link cost");
	}
	l->cert_len = rd_u16be(r);
	if (r->err == NULL && l->cert_len > PKT_LSA_CERT_MAX) {
		rd_fail(r, "certificate too long in lsa");
		return;
	}
	rd_bytes(r, l->cert, l->cert_len);
	l->sig_len = rd_u16be(r);
	if (r->err == NULL && l->sig_len > PKT_LSA_SIG_MAX) {
		rd_fail(r, "signature too long in lsa");
		return;
	}
	rd_bytes(r, l->sig, l->sig_len);
}


/* u8 n_path (1-16), then that many names. */
static void
path_decode(struct buf_rd *r, uint8_t *n_path,
    char path[PKT_PATH_MAX][PKT_NAME_MAX + 1])
{
	uint8_t i;

	*n_path = rd_u8(r);
	if (r->err == NULL && (*n_path == 0 || *n_path > PKT_PATH_MAX)) {
		rd_fail(r, "bad path length");
		return;
	}
	for (i = 0; i < *n_path && r->err == NULL; i++)
		name_decode(r, path[i], "bad path name length",
		    "bad character in path name");
}

/* Source and destination proxy names, which must differ; -1 on error. */
static int
ends_decode(struct buf_rd *r, char *src, char *dst)
{
	name_decode(r, src, "bad source name length",
	    "bad character in source name");
	name_decode(r, dst, "bad destination name length",
	    "bad character in destination name");
	if (r->err == NULL && strcmp(src, dst) == 0)
		rd_fail(r, "source is destination");
	return r->err == NULL ? 0 : -1;
}

/* A connection request's inner addresses: u8 family, src, dst. */
static void
inner_rd(struct buf_rd *r, struct ipaddr *src, struct ipaddr *dst)
{
	uint8_t fam = rd_u8(r);

	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	if (r->err != NULL || fam == 0)
		return;
	if (fam == 4) {
		src->af = dst->af = AF_INET;
		rd_bytes(r, &src->u.v4, 4);
		rd_bytes(r, &dst->u.v4, 4);
	} else if (fam == 6) {
		src->af = dst->af = AF_INET6;
		rd_bytes(r, &src->u.v6, 16);
		rd_bytes(r, &dst->u.v6, 16);
	} else
		rd_fail(r, "inner addresses: unknown address family");
	if (r->err != NULL) {
		memset(src, 0, sizeof(*src));
		memset(dst, 0, sizeof(*dst));
	}
}

/* Both of one family, or both none. */
static bool
inner_ok(const struct ipaddr *src, const struct ipaddr *dst)
{
	return src->af == dst->af && (src->af == 0 || src->af == AF_INET ||
	    src->af == AF_INET6);
}

static void
inner_wr(struct buf_wr *w, const struct ipaddr *src, const struct ipaddr *dst)
{
	if (src->af == AF_INET) {
		wr_u8(w, 4);
		wr_bytes(w, &src->u.v4, 4);
		wr_bytes(w, &dst->u.v4, 4);
	} else if (src->af == AF_INET6) {
		wr_u8(w, 6);
		wr_bytes(w, &src->u.v6, 16);
		wr_bytes(w, &dst->u.v6, 16);
	} else
		wr_u8(w, 0);
}

static void
conn_req_decode(struct buf_rd *r, struct pkt_conn_req *cr)
{
	cr->id = rd_u64be(r);
	if (ends_decode(r, cr->src, cr->dst) == -1)
		return;
	inner_rd(r, &cr->src_ip, &cr->dst_ip);
	cr->cls = rd_enum(r, PKT_CLS_MAX, "unknown traffic class");
	cr->src_nat = rd_nat_type(r, "unknown source nat type");
	cr->path_nat = rd_nat_type(r, "unknown path nat type");
	path_decode(r, &cr->n_path, cr->path);
	ep_rd(r, &cr->src_mapped);
	ep_rd(r, &cr->dst_mapped);
	ep_rd(r, &cr->src_local);
}

static void
conn_resp_decode(struct buf_rd *r, struct pkt_conn_resp *cr)
{
	cr->id = rd_u64be(r);
	cr->decision = rd_u8(r);
	if (r->err == NULL && cr->decision != PKT_CONN_RELAY) {
		rd_fail(r, "unknown connection decision");
		return;
	}
	cr->direct = rd_enum(r, PKT_DIRECT_MAX, "bad direct flag");
	cr->path_nat = rd_nat_type(r, "unknown path nat type");
	cr->src_nat = rd_nat_type(r, "unknown source nat type");
	cr->dst_nat = rd_nat_type(r, "unknown destination nat type");
	text_decode(r, cr->reason, PKT_REASON_MAX, "reason text too long",
	    "bad character in reason text");
	path_decode(r, &cr->n_path, cr->path);
	ep_rd(r, &cr->src_mapped);
	ep_rd(r, &cr->dst_mapped);
	ep_rd(r, &cr->dst_local);
}

static void
echo_decode(struct buf_rd *r, struct pkt_echo *e)
{
	e->id = rd_u64be(r);
	e->kind = rd_enum(r, PKT_ECHO_KIND_MAX, "unknown echo kind");
	e->time_us = rd_u64be(r);
	e->hops = rd_enum(r, PKT_ECHO_HOPS_MAX, "too many echo hops");
	if (ends_decode(r, e->src, e->dst) == -1)
		return;
	path_decode(r, &e->n_path, e->path);
}

int
pkt_frag_piece(size_t total, unsigned count, unsigned index, size_t *off,
    size_t *len)
{
	size_t each;

	if (count < 2 || count > PKT_FRAG_COUNT_MAX || index >= count ||
	    total > PKT_FRAG_TOTAL_MAX)
		return -1;
	each = (total + count - 1) / count;
	if ((size_t)index * each >= total)
		return -1;		/* an empty piece: too many for total */
	*off = (size_t)index * each;
	*len = total - *off < each ? total - *off : each;
	return 0;
}

unsigned
pkt_frag_count(size_t total, size_t room)
{
	size_t n;

	if (total <= room)
		return 1;
	if (room == 0 || total > PKT_FRAG_TOTAL_MAX)
		return 0;
	n = (total + room - 1) / room;
	return n > PKT_FRAG_COUNT_MAX ? 0 : (unsigned)n;
}

static void
frag_decode(struct buf_rd *r, struct pkt_frag *f)
{
	size_t off, len;

	f->id = rd_u32be(r);
	f->index = rd_u8(r);
	f->count = rd_u8(r);
	f->total = rd_u16be(r);
	if (r->err != NULL)
		return;
	if (pkt_frag_piece(f->total, f->count, f->index, &off, &len) == -1) {
		rd_fail(r, "bad fragment numbers");
		return;
	}
	if (rd_left(r) != len) {
		rd_fail(r, "fragment piece of the wrong length");
		return;
	}
	f->piece_len = len;
	f->piece = rd_ptr(r, len);
}

static void
mtu_decode(struct buf_rd *r, struct pkt_mtu *u, bool probe)
{
	u->id = rd_u32be(r);
	u->size = rd_u16be(r);
	if (r->err == NULL && (u->size < PKT_MTU_MIN || u->size > PKT_MTU_MAX))
		rd_fail(r, "path MTU size out of range");
	if (r->err == NULL && probe) {
		/* zeros, as pkt_msg_encode() writes them: one encoding */
		u->pad = rd_left(r);
		for (size_t i = 0; i < u->pad && r->err == NULL; i++)
			if (rd_u8(r) != 0)
				rd_fail(r, "path MTU probe padding not zero");
	}
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
	/* Only the active union member is cleared: lsa alone is 5 KB. */
	switch (m->type) {
	case PKT_MSG_KEEPALIVE:
	case PKT_MSG_KEEPALIVE_ACK:
		memset(&m->u.ka, 0, sizeof(m->u.ka));
		ka_decode(&r, &m->u.ka);
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
	case PKT_MSG_INFO:
		memset(&m->u.info, 0, sizeof(m->u.info));
		info_decode(&r, &m->u.info);
		break;
	case PKT_MSG_PROBE_REQ:
		memset(&m->u.probe_req, 0, sizeof(m->u.probe_req));
		probe_req_decode(&r, &m->u.probe_req);
		break;
	case PKT_MSG_PROBE_RESP:
		memset(&m->u.probe_resp, 0, sizeof(m->u.probe_resp));
		probe_resp_decode(&r, &m->u.probe_resp);
		break;
	case PKT_MSG_THIRD_REQ:
		memset(&m->u.third, 0, sizeof(m->u.third));
		third_req_decode(&r, &m->u.third);
		break;
	case PKT_MSG_NAT_RESULT:
		memset(&m->u.nat, 0, sizeof(m->u.nat));
		nat_decode(&r, &m->u.nat);
		break;
	case PKT_MSG_LSA:
		memset(&m->u.lsa, 0, sizeof(m->u.lsa));
		lsa_decode(&r, &m->u.lsa);
		break;
	case PKT_MSG_CONN_REQ:
		memset(&m->u.conn_req, 0, sizeof(m->u.conn_req));
		conn_req_decode(&r, &m->u.conn_req);
		break;
	case PKT_MSG_CONN_RESP:
		memset(&m->u.conn_resp, 0, sizeof(m->u.conn_resp));
		conn_resp_decode(&r, &m->u.conn_resp);
		break;
	case PKT_MSG_ECHO:
		memset(&m->u.echo, 0, sizeof(m->u.echo));
		echo_decode(&r, &m->u.echo);
		break;
	case PKT_MSG_FRAG:
		memset(&m->u.frag, 0, sizeof(m->u.frag));
		frag_decode(&r, &m->u.frag);
		break;
	case PKT_MSG_MTU_PROBE:
	case PKT_MSG_MTU_ACK:
		memset(&m->u.mtu, 0, sizeof(m->u.mtu));
		mtu_decode(&r, &m->u.mtu, m->type == PKT_MSG_MTU_PROBE);
		break;
	case PKT_MSG_CRL:
		m->u.crl.len = rd_left(&r);
		if (m->u.crl.len == 0 || m->u.crl.len > PKT_CRL_MAX) {
			m->u.crl.len = 0;
			m->u.crl.der = NULL;
			rd_fail(&r, "bad CRL length");
			break;
		}
		m->u.crl.der = rd_ptr(&r, m->u.crl.len);
		break;
	case PKT_MSG_REKEY:
		memset(&m->u.rekey, 0, sizeof(m->u.rekey));
		m->u.rekey.session = rd_u32be(&r);
		if (r.err == NULL && m->u.rekey.session == 0) {
			rd_fail(&r, "rekey session 0");
			break;
		}
		m->u.rekey.len = rd_left(&r);
		if (r.err != NULL || m->u.rekey.len == 0 ||
		    m->u.rekey.len > PKT_REKEY_REC_MAX) {
			m->u.rekey.len = 0;
			rd_fail(&r, "bad rekey record length");
			break;
		}
		m->u.rekey.rec = rd_ptr(&r, m->u.rekey.len);
		break;
	case PKT_MSG_MOVE:
		m->u.move = rd_u32be(&r);
		if (r.err == NULL && m->u.move == 0)
			rd_fail(&r, "move session 0");
		break;
	case PKT_MSG_FEATURES:
		m->u.features = rd_u8(&r);
		break;
	default:
		rd_fail(&r, "unknown message type");
		break;
	}
	if (!rd_end(&r))
		return fail(why, r.err);
	return 0;
}

/* Writes u8 len + name; -1 if the name is unterminated or invalid. */
static int
name_encode(struct buf_wr *w, const char *name)
{
	size_t len = name_len_ok(name);

	if (len == 0)
		return -1;
	wr_u8(w, (uint8_t)len);
	wr_bytes(w, name, len);
	return 0;
}

/* Checks every rule of an LSA before anything is written. */
static bool
lsa_ok(const struct pkt_lsa *l)
{
	const struct pkt_lsa_link *lk;
	uint32_t h[PKT_LSA_LINK_MAX];
	uint16_t i, j;

	if (name_len_ok(l->origin) == 0 || l->n_eps > PKT_LSA_EP_MAX ||
	    l->n_prefixes > PKT_LSA_PREFIX_MAX ||
	    l->n_links > PKT_LSA_LINK_MAX ||
	    l->cert_len > PKT_LSA_CERT_MAX || l->sig_len > PKT_LSA_SIG_MAX)
		return false;
	for (i = 0; i < l->n_eps; i++)
		if (!ep_is_set(&l->eps[i]) || !ep_wire_ok(&l->eps[i]))
			return false;
	for (i = 0; i < l->n_prefixes; i++) {
		const struct pkt_lsa_prefix *pf = &l->prefixes[i];

		if (pf->v6 ? !prefix6_ok(pf->plen, &pf->addr6) :
		    !prefix_ok(pf->plen, ntohl(pf->addr.s_addr)))
			return false;
	}
	for (i = 0; i < l->n_links; i++) {
		lk = &l->links[i];
		if (name_len_ok(lk->peer) == 0 || !nat_type_ok(lk->nat) ||
		    lk->cost == 0)
			return false;
		/*
		 * No peer twice.  Both terminated: checked above for every
		 * j < i.  A hash of each name first: every advertisement is
		 * checked on every encode and decode, and the string compares
		 * of a proxy with 50 links were a tenth of its CPU at scale.
		 */
		h[i] = pkt_origin_id(lk->peer);
		for (j = 0; j < i; j++)
			if (h[j] == h[i] &&
			    strcmp(l->links[j].peer, lk->peer) == 0)
				return false;
	}
	return true;
}

/* The fields after the origin's name up to the links, age_s optional. */
static void
lsa_body_encode(struct buf_wr *w, const struct pkt_lsa *l, bool with_age)
{
	uint16_t i;

	(void)name_encode(w, l->origin);
	wr_u64be(w, l->seq);
	if (with_age)
		wr_u16be(w, l->age_s);
	wr_u8(w, l->n_eps);
	for (i = 0; i < l->n_eps; i++)
		ep_wr(w, &l->eps[i]);
	wr_u16be(w, l->n_prefixes);
	for (i = 0; i < l->n_prefixes; i++) {
		if (l->prefixes[i].v6) {
			wr_u8(w, PKT_LSA_PREFIX_V6);
			wr_u8(w, l->prefixes[i].plen);
			wr_bytes(w, l->prefixes[i].addr6.s6_addr, 16);
			continue;
		}
		wr_u8(w, l->prefixes[i].plen);
		wr_u32be(w, ntohl(l->prefixes[i].addr.s_addr));
	}
	wr_u16be(w, l->n_links);
	for (i = 0; i < l->n_links; i++) {
		(void)name_encode(w, l->links[i].peer);
		wr_nat_type(w, l->links[i].nat);
		wr_u16be(w, l->links[i].cost);
	}
}

static int
lsa_encode(struct buf_wr *w, const struct pkt_lsa *l)
{
	if (!lsa_ok(l))
		return -1;
	wr_u8(w, PKT_MSG_LSA);
	lsa_body_encode(w, l, true);
	wr_u16be(w, l->cert_len);
	wr_bytes(w, l->cert, l->cert_len);
	wr_u16be(w, l->sig_len);
	wr_bytes(w, l->sig, l->sig_len);
	return 0;
}

#define LSA_TBS_CONTEXT		"proxyd-lsa-v1"

int
pkt_lsa_tbs(const struct pkt_lsa *l, uint8_t *out, size_t cap)
{
	struct buf_wr w;

	if (!lsa_ok(l))
		return -1;
	buf_wr_init(&w, out, cap);
	wr_bytes(&w, LSA_TBS_CONTEXT, sizeof(LSA_TBS_CONTEXT));
	lsa_body_encode(&w, l, false);
	return w.err == NULL ? (int)w.off : -1;
}

static bool
path_ok(uint8_t n_path, const char path[PKT_PATH_MAX][PKT_NAME_MAX + 1])
{
	uint8_t i;

	if (n_path == 0 || n_path > PKT_PATH_MAX)
		return false;
	for (i = 0; i < n_path; i++)
		if (name_len_ok(path[i]) == 0)
			return false;
	return true;
}

static void
path_encode(struct buf_wr *w, uint8_t n_path,
    const char path[PKT_PATH_MAX][PKT_NAME_MAX + 1])
{
	uint8_t i;

	wr_u8(w, n_path);
	for (i = 0; i < n_path; i++)
		(void)name_encode(w, path[i]);
}


static int
conn_req_encode(struct buf_wr *w, const struct pkt_conn_req *cr)
{
	if (name_len_ok(cr->src) == 0 || name_len_ok(cr->dst) == 0 ||
	    strcmp(cr->src, cr->dst) == 0 || cr->cls > PKT_CLS_MAX ||
	    !inner_ok(&cr->src_ip, &cr->dst_ip) ||
	    !nat_type_ok(cr->src_nat) || !nat_type_ok(cr->path_nat) ||
	    !path_ok(cr->n_path, cr->path) || !ep_wire_ok(&cr->src_mapped) ||
	    !ep_wire_ok(&cr->dst_mapped) || !ep_wire_ok(&cr->src_local))
		return -1;
	wr_u8(w, PKT_MSG_CONN_REQ);
	wr_u64be(w, cr->id);
	(void)name_encode(w, cr->src);
	(void)name_encode(w, cr->dst);
	inner_wr(w, &cr->src_ip, &cr->dst_ip);
	wr_u8(w, cr->cls);
	wr_nat_type(w, cr->src_nat);
	wr_nat_type(w, cr->path_nat);
	path_encode(w, cr->n_path, cr->path);
	ep_wr(w, &cr->src_mapped);
	ep_wr(w, &cr->dst_mapped);
	ep_wr(w, &cr->src_local);
	return 0;
}

static int
conn_resp_encode(struct buf_wr *w, const struct pkt_conn_resp *cr)
{
	int rlen;

	rlen = text_len(cr->reason, sizeof(cr->reason), PKT_REASON_MAX);
	if (rlen < 0 || cr->decision != PKT_CONN_RELAY ||
	    cr->direct > PKT_DIRECT_MAX || !nat_type_ok(cr->path_nat) ||
	    !nat_type_ok(cr->src_nat) || !nat_type_ok(cr->dst_nat) ||
	    !path_ok(cr->n_path, cr->path) || !ep_wire_ok(&cr->src_mapped) ||
	    !ep_wire_ok(&cr->dst_mapped) || !ep_wire_ok(&cr->dst_local))
		return -1;
	wr_u8(w, PKT_MSG_CONN_RESP);
	wr_u64be(w, cr->id);
	wr_u8(w, cr->decision);
	wr_u8(w, cr->direct);
	wr_nat_type(w, cr->path_nat);
	wr_nat_type(w, cr->src_nat);
	wr_nat_type(w, cr->dst_nat);
	wr_u8(w, (uint8_t)rlen);
	wr_bytes(w, cr->reason, (size_t)rlen);
	path_encode(w, cr->n_path, cr->path);
	ep_wr(w, &cr->src_mapped);
	ep_wr(w, &cr->dst_mapped);
	ep_wr(w, &cr->dst_local);
	return 0;
}

static int
echo_encode(struct buf_wr *w, const struct pkt_echo *e)
{
	if (e->kind > PKT_ECHO_KIND_MAX || e->hops > PKT_ECHO_HOPS_MAX ||
	    name_len_ok(e->src) == 0 || name_len_ok(e->dst) == 0 ||
	    strcmp(e->src, e->dst) == 0 || !path_ok(e->n_path, e->path))
		return -1;
	wr_u8(w, PKT_MSG_ECHO);
	wr_u64be(w, e->id);
	wr_u8(w, e->kind);
	wr_u64be(w, e->time_us);
	wr_u8(w, e->hops);
	(void)name_encode(w, e->src);
	(void)name_encode(w, e->dst);
	path_encode(w, e->n_path, e->path);
	return 0;
}

int
pkt_msg_encode(const struct pkt_msg *m, uint8_t *out, size_t cap)
{
	const struct pkt_nat_result *nr;
	struct buf_wr w;
	size_t alen;

	buf_wr_init(&w, out, cap);
	switch (m->type) {
	case PKT_MSG_KEEPALIVE:
	case PKT_MSG_KEEPALIVE_ACK:
		wr_u8(&w, m->type);
		wr_u32be(&w, m->u.ka.id);
		wr_u64be(&w, m->u.ka.time_us);
		wr_u32be(&w, m->u.ka.interval_ms);
		break;
	case PKT_MSG_DATA:
		if (m->u.data.ip == NULL || m->u.data.ip_len < PKT_IP_MIN ||
		    m->u.data.ip_len > PKT_MAX)
			return -1;
		wr_u8(&w, m->type);
		wr_u8(&w, m->u.data.ttl);
		wr_u32be(&w, m->u.data.origin);
		wr_bytes(&w, m->u.data.ip, m->u.data.ip_len);
		break;
	case PKT_MSG_CLOSE:
		if (m->u.close_reason != PKT_CLOSE_SHUTDOWN &&
		    m->u.close_reason != PKT_CLOSE_REPLACED)
			return -1;
		wr_u8(&w, m->type);
		wr_u8(&w, m->u.close_reason);
		break;
	case PKT_MSG_INFO:
		if (!ep_wire_ok(&m->u.info.alt_addr))
			return -1;
		wr_u8(&w, m->type);
		wr_u16be(&w, m->u.info.alt_port);
		ep_wr(&w, &m->u.info.alt_addr);
		break;
	case PKT_MSG_PROBE_REQ:
		if (m->u.probe_req.from > PKT_FROM_MAX ||
		    !ep_wire_ok(&m->u.probe_req.target))
			return -1;
		wr_u8(&w, m->type);
		wr_u64be(&w, m->u.probe_req.id);
		wr_u8(&w, m->u.probe_req.from);
		ep_wr(&w, &m->u.probe_req.target);
		break;
	case PKT_MSG_PROBE_RESP:
		if ((m->u.probe_resp.status != PKT_PROBE_OK &&
		    m->u.probe_resp.status != PKT_PROBE_UNAVAILABLE) ||
		    m->u.probe_resp.from > PKT_FROM_MAX ||
		    !ep_wire_ok(&m->u.probe_resp.mapped))
			return -1;
		wr_u8(&w, m->type);
		wr_u64be(&w, m->u.probe_resp.id);
		wr_u8(&w, m->u.probe_resp.status);
		wr_u8(&w, m->u.probe_resp.from);
		ep_wr(&w, &m->u.probe_resp.mapped);
		break;
	case PKT_MSG_THIRD_REQ:
		if (!ep_is_set(&m->u.third.target) ||
		    !ep_wire_ok(&m->u.third.target))
			return -1;
		wr_u8(&w, m->type);
		wr_u64be(&w, m->u.third.nonce);
		ep_wr(&w, &m->u.third.target);
		break;
	case PKT_MSG_NAT_RESULT:
		nr = &m->u.nat;
		if (!nat_ok(nr, &alen))
			return -1;
		wr_u8(&w, m->type);
		wr_u8(&w, nr->mapping);
		wr_u8(&w, nr->filtering);
		wr_nat_type(&w, nr->type);
		wr_u8(&w, nr->port_preserved);
		wr_u32be(&w, nr->lifetime_s);
		wr_bytes(&w, nr->trials, PKT_NAT_TRIALS);
		ep_wr(&w, &nr->mapped);
		wr_u8(&w, (uint8_t)alen);
		wr_bytes(&w, nr->assumed, alen);
		break;
	case PKT_MSG_LSA:
		if (lsa_encode(&w, &m->u.lsa) == -1)
			return -1;
		break;
	case PKT_MSG_CONN_REQ:
		if (conn_req_encode(&w, &m->u.conn_req) == -1)
			return -1;
		break;
	case PKT_MSG_CONN_RESP:
		if (conn_resp_encode(&w, &m->u.conn_resp) == -1)
			return -1;
		break;
	case PKT_MSG_ECHO:
		if (echo_encode(&w, &m->u.echo) == -1)
			return -1;
		break;
	case PKT_MSG_FRAG: {
		const struct pkt_frag *f = &m->u.frag;
		size_t off, len;

		if (pkt_frag_piece(f->total, f->count, f->index, &off, &len)
		    == -1 || f->piece == NULL || f->piece_len != len)
			return -1;
		wr_u8(&w, m->type);
		wr_u32be(&w, f->id);
		wr_u8(&w, f->index);
		wr_u8(&w, f->count);
		wr_u16be(&w, f->total);
		wr_bytes(&w, f->piece, f->piece_len);
		break;
	}
	case PKT_MSG_MTU_PROBE:
	case PKT_MSG_MTU_ACK:
		if (m->u.mtu.size < PKT_MTU_MIN || m->u.mtu.size > PKT_MTU_MAX ||
		    (m->type == PKT_MSG_MTU_PROBE && m->u.mtu.pad > PKT_MTU_MAX))
			return -1;
		wr_u8(&w, m->type);
		wr_u32be(&w, m->u.mtu.id);
		wr_u16be(&w, m->u.mtu.size);
		if (m->type == PKT_MSG_MTU_PROBE)
			for (size_t i = 0; i < m->u.mtu.pad; i++)
				wr_u8(&w, 0);
		break;
	case PKT_MSG_CRL:
		if (m->u.crl.der == NULL || m->u.crl.len == 0 ||
		    m->u.crl.len > PKT_CRL_MAX)
			return -1;
		wr_u8(&w, m->type);
		wr_bytes(&w, m->u.crl.der, m->u.crl.len);
		break;
	case PKT_MSG_REKEY:
		if (m->u.rekey.session == 0 || m->u.rekey.rec == NULL ||
		    m->u.rekey.len == 0 || m->u.rekey.len > PKT_REKEY_REC_MAX)
			return -1;
		wr_u8(&w, m->type);
		wr_u32be(&w, m->u.rekey.session);
		wr_bytes(&w, m->u.rekey.rec, m->u.rekey.len);
		break;
	case PKT_MSG_MOVE:
		if (m->u.move == 0)
			return -1;
		wr_u8(&w, m->type);
		wr_u32be(&w, m->u.move);
		break;
	case PKT_MSG_FEATURES:
		wr_u8(&w, m->type);
		wr_u8(&w, m->u.features);
		break;
	default:
		return -1;
	}
	/*
	 * The largest message (DATA) is 65537 bytes, so w.off fits an int;
	 * the largest LSA is 7257, CONN_REQ 1191, CONN_RESP 1217 and ECHO
	 * 1172.
	 */
	return w.err == NULL ? (int)w.off : -1;
}

uint32_t
pkt_origin_id(const char *name)
{
	uint32_t h = 2166136261u;

	for (const char *c = name; *c != '\0'; c++)
		h = (h ^ (uint8_t)*c) * 16777619u;
	return h;
}
