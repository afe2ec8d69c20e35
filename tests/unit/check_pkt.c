/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests for lib/pkt.c: golden byte vectors written
 * by hand from the wire format in pkt.h, round trips, truncation at every
 * offset, and one case per rejection rule of the decoders and encoder.
 * Inputs are copied into exactly-sized heap buffers so ASan sees over-reads.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <check.h>

#include "buf.h"
#include "nat.h"
#include "pkt.h"

/* Decodes from a heap copy of exactly n bytes. */
static int
msg_dec(const uint8_t *p, size_t n, struct pkt_msg *m, const char **why)
{
	uint8_t *copy = malloc(n > 0 ? n : 1);
	int rv;

	ck_assert_ptr_nonnull(copy);
	if (n > 0)
		memcpy(copy, p, n);
	*why = NULL;
	rv = pkt_msg_decode(copy, n, m, why);
	/* DATA borrows the input: callers that need it use pkt_msg_decode. */
	if (rv == 0 && m->type == PKT_MSG_DATA)
		m->u.data.ip = p + (m->u.data.ip - copy);
	free(copy);
	return rv;
}

static int
hdr_dec(const uint8_t *p, size_t n, struct pkt_hdr *h, const char **why)
{
	uint8_t *copy = malloc(n > 0 ? n : 1);
	int rv;

	ck_assert_ptr_nonnull(copy);
	if (n > 0)
		memcpy(copy, p, n);
	*why = NULL;
	rv = pkt_hdr_decode(copy, n, h, why);
	if (rv == 0)
		h->body = p + (h->body - copy);
	if (rv == 0 && h->cookie != NULL)
		h->cookie = p + (h->cookie - copy);
	free(copy);
	return rv;
}

/* Fails the test unless decoding p fails with reason 'want'. */
static void
msg_rejects(const uint8_t *p, size_t n, const char *want)
{
	struct pkt_msg m;
	const char *why;

	ck_assert_int_eq(msg_dec(p, n, &m, &why), -1);
	ck_assert_ptr_nonnull(why);
	ck_assert_str_eq(why, want);
}

/* ---- golden vectors ---------------------------------------------------- */

static const uint8_t g_hdr_hs[] = {
	0x01, 0x01, 0xde, 0xad, 0xbe, 0xef,	/* v1, HS, session */
	0x16, 0xfe, 0xfd, 0x00, 0x00,		/* DTLS record start */
};

static const uint8_t g_hdr_sealed[] = {
	0x01, 0x02, 0x00, 0x00, 0x00, 0x2a,	/* v1, SEALED, session 42 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x07,	/* seq 0x107 */
	0x99,					/* 1 byte ciphertext */
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,	/* tag */
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};

static const uint8_t g_hdr_probe[] = {
	0x01, 0x03, 0x00, 0x00, 0x00, 0x00,	/* v1, PROBE, session 0 */
	0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,	/* nonce */
};

static const uint8_t g_hdr_punch[] = {
	0x01, 0x04, 0x00, 0x00, 0x00, 0x00,	/* v1, PUNCH, session 0 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,	/* nonce 42 */
};

static const uint8_t g_keepalive[] = {
	0x01,					/* KEEPALIVE */
	0x00, 0x00, 0x00, 0x01,			/* id 1 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x42, 0x40,	/* 1000000 us */
	0x00, 0x00, 0x27, 0x10,			/* 10000 ms */
};

static const uint8_t g_keepalive_ack[] = {
	0x02,					/* KEEPALIVE_ACK */
	0x12, 0x34, 0x56, 0x78,
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
	0x00, 0x00, 0x75, 0x30,			/* 30000 ms */
};

/* ICMP 192.0.2.1 -> 198.51.100.2, header only */
static const uint8_t g_ip[] = {
	0x45, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00,
	0x40, 0x01, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x01,
	0xc6, 0x33, 0x64, 0x02,
};

static const uint8_t g_data[] = {
	0x04, 0x10,				/* DATA, ttl 16 */
	0x8a, 0x2b, 0x3c, 0x4d,			/* origin id */
	0x45, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00,
	0x40, 0x01, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x01,
	0xc6, 0x33, 0x64, 0x02,
};

static const uint8_t g_close[] = { 0x05, 0x01 };
static const uint8_t g_close_replaced[] = { 0x05, 0x02 };

static const uint8_t g_info[] = {
	0x06,					/* INFO */
	0x11, 0x52,				/* alt port 4434 */
	0x04, 0xc0, 0x00, 0x02, 0x63,		/* alt addr IPv4 192.0.2.99 */
	0x12, 0xbb,				/* (primary port 4795) */
};

static const uint8_t g_info_none[] = {
	0x06, 0x00, 0x00, 0x00,			/* no alternates */
};

static const uint8_t g_probe_req[] = {
	0x07,					/* PROBE_REQ */
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,	/* id */
	0x03,					/* from THIRD */
	0x04, 0xc6, 0x33, 0x64, 0x07,		/* IPv4 198.51.100.7 */
	0x9c, 0x40,				/* port 40000 */
};

static const uint8_t g_probe_req_reply[] = {
	0x07,					/* PROBE_REQ */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* id */
	0x00,					/* from PRIMARY */
	0x00,					/* unset: reply to the */
						/* request's source */
};

static const uint8_t g_probe_resp[] = {
	0x08,					/* PROBE_RESP */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a,	/* id 42 */
	0x00,					/* OK */
	0x02,					/* from ALT_ADDR */
	0x04, 0xcb, 0x00, 0x71, 0x05,		/* IPv4 203.0.113.5 */
	0xc3, 0x50,				/* port 50000 */
};

static const uint8_t g_probe_resp_unavail[] = {
	0x08,					/* PROBE_RESP */
	0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,	/* id */
	0x01,					/* UNAVAILABLE */
	0x01,					/* from ALT_PORT */
	0x00,					/* nothing mapped */
};

static const uint8_t g_third_req[] = {
	0x09,					/* THIRD_REQ */
	0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x00, 0x01,	/* nonce */
	0x04, 0xc0, 0x00, 0x02, 0x0a,		/* IPv4 192.0.2.10 */
	0x1f, 0x90,				/* port 8080 */
};

static const uint8_t g_nat_result[] = {
	0x0a,					/* NAT_RESULT */
	0x02, 0x04, 0x04, 0x01,			/* EI, APD, type 4, yes */
	0x00, 0x00, 0x01, 0x2c,			/* lifetime 300 s */
	0x01, 0x01, 0x02, 0x02, 0x01, 0x00,	/* trials */
	0x04, 0xcb, 0x00, 0x71, 0x05,		/* IPv4 203.0.113.5 */
	0xc3, 0x50,				/* port 50000 */
	0x11,					/* 17 bytes assumed */
	'a', 'l', 't', ' ', 'a', 'd', 'd', 'r', ' ',
	'u', 'n', 't', 'e', 's', 't', 'e', 'd',
};

static const uint8_t g_nat_result_max[] = {
	0x0a,					/* NAT_RESULT */
	0x04, 0x04, 0x05, 0x02,			/* every enum at its max */
	0xff, 0xff, 0xff, 0xff,
	0x02, 0x02, 0x02, 0x02, 0x02, 0x02,
	0x04, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff,
	0x00,					/* nothing assumed */
};

static const uint8_t g_nat_result_zero[] = {
	0x0a,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00,					/* nothing mapped */
	0x00,
};

static const uint8_t g_lsa[] = {
	0x0b,					/* LSA */
	0x01, 'a',				/* origin "a" */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,	/* seq 256 */
	0x00, 0x05,				/* age 5 s */
	0x02,					/* 2 endpoints: */
	0x04, 0xcb, 0x00, 0x71, 0x05,		/* IPv4 203.0.113.5 */
	0x11, 0x51,				/* port 4433 */
	0x06, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x05,	/* IPv6 2001:db8:5::1 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x11, 0x51,				/* port 4433 */
	0x00, 0x02,				/* 2 prefixes */
	0x18, 0x0a, 0x01, 0x02, 0x00,		/* 10.1.2.0/24 */
	0x20, 0xc0, 0x00, 0x02, 0x01,		/* 192.0.2.1/32 */
	0x00, 0x02,				/* 2 links */
	0x01, 'b', 0x00, 0x00, 0x01,		/* "b", nat 0, cost 1 */
	0x03, 'c', '.', 'd', 0x05, 0xff, 0xff,	/* "c.d", nat 5, cost 65535 */
	0x00, 0x03, 'C', 'R', 'T',		/* certificate (not parsed here) */
	0x00, 0x02, 0x51, 0x67,			/* signature */
};

static const uint8_t g_lsa_bare[] = {
	0x0b,					/* LSA */
	0x01, '-',				/* origin "-" */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* seq max */
	0xff, 0xff,				/* age 65535 s */
	0x00,					/* no endpoint */
	0x00, 0x01,				/* 1 prefix */
	0x00, 0x00, 0x00, 0x00, 0x00,		/* 0.0.0.0/0 */
	0x00, 0x00,				/* no links */
	0x00, 0x00,				/* no certificate */
	0x00, 0x00,				/* no signature */
};

/* An IPv6 prefix beside an IPv4 one. */
static const uint8_t g_lsa6[] = {
	0x0b,					/* LSA */
	0x01, 'v',				/* origin "v" */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07,	/* seq 7 */
	0x00, 0x01,				/* age 1 s */
	0x00,					/* no endpoint */
	0x00, 0x02,				/* 2 prefixes */
	0xff, 0x30,				/* IPv6, /48 */
	0xfd, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00,	/* fd00:a:: */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x18, 0x0a, 0x01, 0x02, 0x00,		/* 10.1.2.0/24 */
	0x00, 0x00,				/* no links */
	0x00, 0x00,				/* no certificate */
	0x00, 0x00,				/* no signature */
};
#define OFF_LSA6_PFX0		16	/* 0xff, plen, 16-byte addr */

static const uint8_t g_conn_req[] = {
	0x0c,					/* CONN_REQ */
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,	/* id */
	0x01, 'a',				/* src "a" */
	0x01, 'd',				/* dst "d" */
	0x04,					/* inner: IPv4 */
	0x0a, 0x01, 0x02, 0x03,			/* src_ip 10.1.2.3 */
	0x0a, 0x04, 0x05, 0x06,			/* dst_ip 10.4.5.6 */
	0x01,					/* cls ESP_UDP */
	0x02,					/* src_nat 2 */
	0x04,					/* path_nat 4 */
	0x02,					/* 2 on the path: */
	0x01, 'a',				/* "a" */
	0x03, 'b', '-', 'c',			/* "b-c" */
	0x04, 0xcb, 0x00, 0x71, 0x07, 0xea, 0x60, /* src_mapped */
						/* 203.0.113.7:60000 */
	0x00,					/* dst_mapped unknown */
	0x00,					/* src_local unknown */
};

static const uint8_t g_conn_resp[] = {
	0x0d,					/* CONN_RESP */
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,	/* id */
	0x00,					/* RELAY */
	0x01,					/* direct possible */
	0x04, 0x02, 0x03,			/* path, src, dst nat */
	0x0b,					/* 11 bytes reason */
	'r', 'e', 'l', 'a', 'y', ' ', 'v', 'i', 'a', ' ', 'b',
	0x03,					/* 3 on the path: */
	0x01, 'a', 0x01, 'b', 0x01, 'd',	/* "a", "b", "d" */
	0x04, 0xcb, 0x00, 0x71, 0x07, 0xea, 0x60, /* src_mapped */
						/* 203.0.113.7:60000 */
	0x04, 0xc6, 0x33, 0x64, 0x09, 0x11, 0x51, /* dst_mapped */
						/* 198.51.100.9:4433 */
	0x04, 0xc0, 0xa8, 0x01, 0x02, 0x11, 0x51, /* dst_local */
						/* 192.168.1.2:4433 */
};

static const uint8_t g_conn_resp_min[] = {
	0x0d,					/* CONN_RESP */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* id 0 */
	0x00,					/* RELAY */
	0x00,					/* direct not possible */
	0x05, 0x00, 0x05,			/* path, src, dst nat */
	0x00,					/* no reason */
	0x01, 0x01, 'd',			/* path "d" */
	0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* src_mapped */
	0x00,					/* dst_mapped unknown */
	0x06, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,	/* dst_local */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x12, 0xbb,				/* [2001:db8::1]:4795 */
};

static const uint8_t g_echo[] = {
	0x0e,					/* ECHO */
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,	/* id */
	0x00,					/* REQUEST */
	0x00, 0x05, 0xf0, 0x0d, 0xca, 0xfe, 0xba, 0xbe,	/* time_us */
	0x02,					/* 2 hops */
	0x01, 'a',				/* src "a" */
	0x01, 'd',				/* dst "d" */
	0x03,					/* 3 on the path: */
	0x01, 'a',				/* "a" */
	0x03, 'b', '-', 'c',			/* "b-c" */
	0x03, 'x', '.', 'y',			/* "x.y" */
};

static const uint8_t g_echo_answer[] = {
	0x0e,					/* ECHO */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* id 0 */
	0x01,					/* ANSWER */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* time_us */
	0x20,					/* 32 hops */
	0x05, 's', 'r', 'c', '_', '1',		/* src "src_1" */
	0x01, 'D',				/* dst "D" */
	0x05,					/* 5 on the path: */
	0x05, 's', 'r', 'c', '_', '1',		/* "src_1" */
	0x03, 'm', 'i', 'd',			/* "mid" */
	0x01, 'D',				/* "D" */
	0x03, 'm', 'i', 'd',			/* "mid" again */
	0x05, 's', 'r', 'c', '_', '1',		/* "src_1" again */
};

/* Offsets of fields in the goldens above, for the rejection tests. */
#define OFF_REQ_FROM		9
#define OFF_REQ_FAM		10	/* endpoint: u8 family, addr, port */
#define OFF_REQ_ADDR		11
#define OFF_REQ_PORT		15
#define OFF_RESP_STATUS		9
#define OFF_RESP_FROM		10
#define OFF_THIRD_FAM		9
#define OFF_THIRD_ADDR		10
#define OFF_THIRD_PORT		14
#define OFF_NAT_MAPPING		1
#define OFF_NAT_FILTERING	2
#define OFF_NAT_TYPE		3
#define OFF_NAT_PP		4
#define OFF_NAT_TRIALS		9
#define OFF_NAT_ALEN		22
#define OFF_NAT_TEXT		23
#define OFF_LSA_ORIGIN		1	/* name_len; g_lsa and g_lsa_bare */
#define OFF_LSA_NEPS		13	/* then IPv4 and IPv6 endpoints */
#define OFF_LSA_EP_FAM		14
#define OFF_LSA_EP_ADDR		15
#define OFF_LSA_EP_PORT		19
#define OFF_LSA_EP6_FAM		21
#define OFF_LSA_NPFX		40
#define OFF_LSA_PFX0		42	/* plen, then u32 addr */
#define OFF_LSA_PFX1		47
#define OFF_LSA_NLINKS		52	/* g_lsa_bare: 21 */
#define OFF_LSAB_PFX0		16	/* g_lsa_bare: no endpoint */
#define OFF_LSA_LINK0		54	/* name_len "b" */
#define OFF_LSA_NAT0		56
#define OFF_LSA_COST0		57
#define OFF_LSA_LINK1		59	/* name_len "c.d" */
#define OFF_LSA_NAT1		63
#define OFF_LSA_COST1		64
#define OFF_CREQ_SRC		9
#define OFF_CREQ_DST		11
#define OFF_CREQ_INNER		13	/* u8 family, then the addresses */
#define OFF_CREQ_CLS		22
#define OFF_CREQ_SRC_NAT	23
#define OFF_CREQ_PATH_NAT	24
#define OFF_CREQ_NPATH		25
#define OFF_CREQ_PATH0		26
#define OFF_CREQ_PATH1		28
#define OFF_CRESP_DECISION	9
#define OFF_CRESP_DIRECT	10
#define OFF_CRESP_PATH_NAT	11
#define OFF_CRESP_SRC_NAT	12
#define OFF_CRESP_DST_NAT	13
#define OFF_CRESP_RLEN		14
#define OFF_CRESP_RTEXT		15
#define OFF_CRESP_NPATH		26	/* g_conn_resp_min: 15 */
#define OFF_CRESP_PATH0		27
#define OFF_CRESP_PATH1		29
#define OFF_CRESP_PATH2		31
#define EPS_LEN			21	/* full CONN_REQ/RESP: 3 IPv4 endpoints */
#define OFF_ECHO_ID		1
#define OFF_ECHO_KIND		9
#define OFF_ECHO_TIME		10
#define OFF_ECHO_HOPS		18
#define OFF_ECHO_SRC		19
#define OFF_ECHO_DST		21
#define OFF_ECHO_NPATH		23
#define OFF_ECHO_PATH0		24
#define OFF_ECHO_PATH1		26
#define OFF_ECHO_PATH2		30
#define OFF_ECHOA_DST		25	/* g_echo_answer: after a 5-char src */
#define OFF_ECHOA_NPATH		27

/*
 * Each enum nat_type and its wire byte, written out by hand from pkt.h (the
 * enum minus one).  NAT type fields are tested with every entry.
 */
static const struct {
	enum nat_type	type;
	uint8_t		wire;
} nat_wire[] = {
	{ NAT_TYPE_OPEN,		0 },
	{ NAT_TYPE_FULL_CONE,		1 },
	{ NAT_TYPE_RESTRICTED,		2 },
	{ NAT_TYPE_PORT_RESTRICTED,	3 },
	{ NAT_TYPE_SYMMETRIC,		4 },
	{ NAT_TYPE_UNKNOWN,		5 },
};
#define NNATWIRE	((int)(sizeof(nat_wire) / sizeof(nat_wire[0])))
_Static_assert(sizeof(nat_wire) / sizeof(nat_wire[0]) ==
    NAT_TYPE_UNKNOWN - NAT_TYPE_OPEN + 1, "nat_wire misses a nat_type");

/* The first value past enum nat_type: no encoder may send it. */
#define NAT_BAD_HIGH	((enum nat_type)(NAT_TYPE_UNKNOWN + 1))

static struct in_addr
ip4(const char *s)
{
	struct in_addr a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* An endpoint from a literal of either family and a port. */
static struct ep
ep_of(const char *s, uint16_t port)
{
	struct ep e;

	ck_assert_int_eq(ep_parse_addr(s, &e), 0);
	e.port = port;
	return e;
}

static void
build_keepalive(struct pkt_msg *m)
{
	m->type = PKT_MSG_KEEPALIVE;
	m->u.ka.id = 1;
	m->u.ka.time_us = 1000000;
	m->u.ka.interval_ms = 10000;
}

static void
build_keepalive_ack(struct pkt_msg *m)
{
	m->type = PKT_MSG_KEEPALIVE_ACK;
	m->u.ka.id = 0x12345678;
	m->u.ka.time_us = 0x0102030405060708ULL;
	m->u.ka.interval_ms = 30000;
}

static void
build_data(struct pkt_msg *m)
{
	m->type = PKT_MSG_DATA;
	m->u.data.ttl = 16;
	m->u.data.origin = 0x8a2b3c4d;
	m->u.data.ip = g_ip;
	m->u.data.ip_len = sizeof(g_ip);
}

static void
build_close(struct pkt_msg *m)
{
	m->type = PKT_MSG_CLOSE;
	m->u.close_reason = PKT_CLOSE_SHUTDOWN;
}

static void
build_close_replaced(struct pkt_msg *m)
{
	m->type = PKT_MSG_CLOSE;
	m->u.close_reason = PKT_CLOSE_REPLACED;
}

static void
build_info(struct pkt_msg *m)
{
	m->type = PKT_MSG_INFO;
	m->u.info.alt_port = 4434;
	m->u.info.alt_addr = ep_of("192.0.2.99", 4795);
}

static void
build_info_none(struct pkt_msg *m)
{
	m->type = PKT_MSG_INFO;
	m->u.info.alt_port = 0;
	memset(&m->u.info.alt_addr, 0, sizeof(m->u.info.alt_addr));
}

static void
build_probe_req(struct pkt_msg *m)
{
	m->type = PKT_MSG_PROBE_REQ;
	m->u.probe_req.id = 0x0102030405060708ULL;
	m->u.probe_req.from = PKT_FROM_THIRD;
	m->u.probe_req.target = ep_of("198.51.100.7", 40000);
}

static void
build_probe_req_reply(struct pkt_msg *m)
{
	m->type = PKT_MSG_PROBE_REQ;
	m->u.probe_req.id = UINT64_MAX;
	m->u.probe_req.from = PKT_FROM_PRIMARY;
	memset(&m->u.probe_req.target, 0, sizeof(m->u.probe_req.target));
}

static void
build_probe_resp(struct pkt_msg *m)
{
	m->type = PKT_MSG_PROBE_RESP;
	m->u.probe_resp.id = 42;
	m->u.probe_resp.status = PKT_PROBE_OK;
	m->u.probe_resp.from = PKT_FROM_ALT_ADDR;
	m->u.probe_resp.mapped = ep_of("203.0.113.5", 50000);
}

static void
build_probe_resp_unavail(struct pkt_msg *m)
{
	m->type = PKT_MSG_PROBE_RESP;
	m->u.probe_resp.id = 0x8000000000000001ULL;
	m->u.probe_resp.status = PKT_PROBE_UNAVAILABLE;
	m->u.probe_resp.from = PKT_FROM_ALT_PORT;
	memset(&m->u.probe_resp.mapped, 0, sizeof(m->u.probe_resp.mapped));
}

static void
build_third_req(struct pkt_msg *m)
{
	m->type = PKT_MSG_THIRD_REQ;
	m->u.third.nonce = 0xdeadbeef00000001ULL;
	m->u.third.target = ep_of("192.0.2.10", 8080);
}

static void
build_nat_result(struct pkt_msg *m)
{
	static const uint8_t trials[PKT_NAT_TRIALS] = { 1, 1, 2, 2, 1, 0 };
	struct pkt_nat_result *nr = &m->u.nat;

	m->type = PKT_MSG_NAT_RESULT;
	nr->mapping = 2;
	nr->filtering = 4;
	nr->type = NAT_TYPE_SYMMETRIC;		/* wire 4 */
	nr->port_preserved = 1;
	nr->lifetime_s = 300;
	memcpy(nr->trials, trials, sizeof(trials));
	nr->mapped = ep_of("203.0.113.5", 50000);
	strcpy(nr->assumed, "alt addr untested");
}

static void
build_nat_result_max(struct pkt_msg *m)
{
	struct pkt_nat_result *nr = &m->u.nat;

	m->type = PKT_MSG_NAT_RESULT;
	nr->mapping = 4;
	nr->filtering = 4;
	nr->type = NAT_TYPE_UNKNOWN;		/* wire 5 */
	nr->port_preserved = 2;
	nr->lifetime_s = UINT32_MAX;
	memset(nr->trials, 2, sizeof(nr->trials));
	nr->mapped = ep_of("255.255.255.255", UINT16_MAX);
	nr->assumed[0] = '\0';
}

static void
build_nat_result_zero(struct pkt_msg *m)
{
	memset(&m->u.nat, 0, sizeof(m->u.nat));
	m->type = PKT_MSG_NAT_RESULT;
	m->u.nat.type = NAT_TYPE_OPEN;		/* wire 0: zero is no type */
}

static void
set_name(char *dst, const char *name)
{
	ck_assert_uint_le(strlen(name), PKT_NAME_MAX);
	strcpy(dst, name);
}

static void
build_lsa(struct pkt_msg *m)
{
	struct pkt_lsa *l = &m->u.lsa;

	m->type = PKT_MSG_LSA;
	set_name(l->origin, "a");
	l->seq = 256;
	l->age_s = 5;
	l->n_eps = 2;
	l->eps[0] = ep_of("203.0.113.5", 4433);
	l->eps[1] = ep_of("2001:db8:5::1", 4433);
	l->n_prefixes = 2;
	l->prefixes[0].v6 = false;
	l->prefixes[0].plen = 24;
	l->prefixes[0].addr = ip4("10.1.2.0");
	l->prefixes[1].v6 = false;
	l->prefixes[1].plen = 32;
	l->prefixes[1].addr = ip4("192.0.2.1");
	l->n_links = 2;
	set_name(l->links[0].peer, "b");
	l->links[0].nat = NAT_TYPE_OPEN;		/* wire 0 */
	l->links[0].cost = 1;
	set_name(l->links[1].peer, "c.d");
	l->links[1].nat = NAT_TYPE_UNKNOWN;	/* wire 5 */
	l->links[1].cost = UINT16_MAX;
	l->cert_len = 3;
	memcpy(l->cert, "CRT", 3);
	l->sig_len = 2;
	l->sig[0] = 0x51;
	l->sig[1] = 0x67;
}

static void
build_lsa_bare(struct pkt_msg *m)
{
	struct pkt_lsa *l = &m->u.lsa;

	m->type = PKT_MSG_LSA;
	set_name(l->origin, "-");
	l->seq = UINT64_MAX;
	l->age_s = UINT16_MAX;
	l->n_eps = 0;
	l->n_prefixes = 1;
	l->prefixes[0].v6 = false;
	l->prefixes[0].plen = 0;
	l->prefixes[0].addr.s_addr = 0;
	l->n_links = 0;
	l->cert_len = 0;
	l->sig_len = 0;
}

static void
build_lsa6(struct pkt_msg *m)
{
	struct pkt_lsa *l = &m->u.lsa;

	m->type = PKT_MSG_LSA;
	set_name(l->origin, "v");
	l->seq = 7;
	l->age_s = 1;
	l->n_prefixes = 2;
	l->prefixes[0].v6 = true;
	l->prefixes[0].plen = 48;
	ck_assert_int_eq(inet_pton(AF_INET6, "fd00:a::",
	    &l->prefixes[0].addr6), 1);
	l->prefixes[1].plen = 24;
	l->prefixes[1].addr = ip4("10.1.2.0");
}

static void
build_conn_req(struct pkt_msg *m)
{
	struct pkt_conn_req *cr = &m->u.conn_req;

	m->type = PKT_MSG_CONN_REQ;
	cr->id = 0x0102030405060708ULL;
	set_name(cr->src, "a");
	set_name(cr->dst, "d");
	ipaddr_set4(&cr->src_ip, ip4("10.1.2.3"));
	ipaddr_set4(&cr->dst_ip, ip4("10.4.5.6"));
	cr->cls = 1;
	cr->src_nat = NAT_TYPE_RESTRICTED;	/* wire 2 */
	cr->path_nat = NAT_TYPE_SYMMETRIC;	/* wire 4 */
	cr->n_path = 2;
	set_name(cr->path[0], "a");
	set_name(cr->path[1], "b-c");
	cr->src_mapped = ep_of("203.0.113.7", 60000);
	memset(&cr->dst_mapped, 0, sizeof(cr->dst_mapped));
	memset(&cr->src_local, 0, sizeof(cr->src_local));
}

static void
build_conn_resp(struct pkt_msg *m)
{
	struct pkt_conn_resp *cr = &m->u.conn_resp;

	m->type = PKT_MSG_CONN_RESP;
	cr->id = 0x0102030405060708ULL;
	cr->decision = PKT_CONN_RELAY;
	cr->direct = 1;
	cr->path_nat = NAT_TYPE_SYMMETRIC;	/* wire 4 */
	cr->src_nat = NAT_TYPE_RESTRICTED;	/* wire 2 */
	cr->dst_nat = NAT_TYPE_PORT_RESTRICTED;	/* wire 3 */
	strcpy(cr->reason, "relay via b");
	cr->n_path = 3;
	set_name(cr->path[0], "a");
	set_name(cr->path[1], "b");
	set_name(cr->path[2], "d");
	cr->src_mapped = ep_of("203.0.113.7", 60000);
	cr->dst_mapped = ep_of("198.51.100.9", 4433);
	cr->dst_local = ep_of("192.168.1.2", 4433);
}

static void
build_conn_resp_min(struct pkt_msg *m)
{
	struct pkt_conn_resp *cr = &m->u.conn_resp;

	m->type = PKT_MSG_CONN_RESP;
	cr->id = 0;
	cr->decision = PKT_CONN_RELAY;
	cr->direct = 0;
	cr->path_nat = NAT_TYPE_UNKNOWN;	/* wire 5 */
	cr->src_nat = NAT_TYPE_OPEN;		/* wire 0 */
	cr->dst_nat = NAT_TYPE_UNKNOWN;
	cr->reason[0] = '\0';
	cr->n_path = 1;
	set_name(cr->path[0], "d");
	cr->src_mapped = ep_of("255.255.255.255", UINT16_MAX);
	memset(&cr->dst_mapped, 0, sizeof(cr->dst_mapped));
	cr->dst_local = ep_of("2001:db8::1", 4795);
}

static void
build_echo(struct pkt_msg *m)
{
	struct pkt_echo *e = &m->u.echo;

	m->type = PKT_MSG_ECHO;
	e->id = 0x0102030405060708ULL;
	e->kind = PKT_ECHO_REQUEST;
	e->time_us = 0x0005f00dcafebabeULL;
	e->hops = 2;
	set_name(e->src, "a");
	set_name(e->dst, "d");
	e->n_path = 3;
	set_name(e->path[0], "a");
	set_name(e->path[1], "b-c");
	set_name(e->path[2], "x.y");
}

static void
build_echo_answer(struct pkt_msg *m)
{
	struct pkt_echo *e = &m->u.echo;

	m->type = PKT_MSG_ECHO;
	e->id = 0;
	e->kind = PKT_ECHO_ANSWER;
	e->time_us = UINT64_MAX;
	e->hops = PKT_ECHO_HOPS_MAX;
	set_name(e->src, "src_1");
	set_name(e->dst, "D");
	e->n_path = 5;
	set_name(e->path[0], "src_1");
	set_name(e->path[1], "mid");
	set_name(e->path[2], "D");
	set_name(e->path[3], "mid");
	set_name(e->path[4], "src_1");
}

static const struct golden {
	const char	*name;
	const uint8_t	*bytes;
	size_t		 len;
	void		(*build)(struct pkt_msg *);
} goldens[] = {
#define G(arr, fn)	{ #arr, arr, sizeof(arr), fn }
	G(g_keepalive, build_keepalive),
	G(g_keepalive_ack, build_keepalive_ack),
	G(g_data, build_data),
	G(g_close, build_close),
	G(g_close_replaced, build_close_replaced),
	G(g_info, build_info),
	G(g_info_none, build_info_none),
	G(g_probe_req, build_probe_req),
	G(g_probe_req_reply, build_probe_req_reply),
	G(g_probe_resp, build_probe_resp),
	G(g_probe_resp_unavail, build_probe_resp_unavail),
	G(g_third_req, build_third_req),
	G(g_nat_result, build_nat_result),
	G(g_nat_result_max, build_nat_result_max),
	G(g_nat_result_zero, build_nat_result_zero),
	G(g_lsa, build_lsa),
	G(g_lsa_bare, build_lsa_bare),
	G(g_lsa6, build_lsa6),
	G(g_conn_req, build_conn_req),
	G(g_conn_resp, build_conn_resp),
	G(g_conn_resp_min, build_conn_resp_min),
	G(g_echo, build_echo),
	G(g_echo_answer, build_echo_answer),
#undef G
};
#define NGOLDEN	((int)(sizeof(goldens) / sizeof(goldens[0])))

static void
assert_lsa_eq(const struct pkt_lsa *a, const struct pkt_lsa *b)
{
	uint16_t i;

	ck_assert_str_eq(a->origin, b->origin);
	ck_assert_uint_eq(a->seq, b->seq);
	ck_assert_uint_eq(a->age_s, b->age_s);
	ck_assert_uint_eq(a->n_eps, b->n_eps);
	for (i = 0; i < a->n_eps; i++)
		ck_assert(ep_eq(&a->eps[i], &b->eps[i]));
	ck_assert_uint_eq(a->n_prefixes, b->n_prefixes);
	for (i = 0; i < a->n_prefixes; i++) {
		ck_assert_uint_eq(a->prefixes[i].plen, b->prefixes[i].plen);
		ck_assert_uint_eq(a->prefixes[i].addr.s_addr,
		    b->prefixes[i].addr.s_addr);
		ck_assert_int_eq(a->prefixes[i].v6, b->prefixes[i].v6);
		ck_assert_mem_eq(a->prefixes[i].addr6.s6_addr,
		    b->prefixes[i].addr6.s6_addr, 16);
	}
	ck_assert_uint_eq(a->n_links, b->n_links);
	for (i = 0; i < a->n_links; i++) {
		ck_assert_str_eq(a->links[i].peer, b->links[i].peer);
		ck_assert_uint_eq(a->links[i].nat, b->links[i].nat);
		ck_assert_uint_eq(a->links[i].cost, b->links[i].cost);
	}
}

static void
assert_msg_eq(const struct pkt_msg *a, const struct pkt_msg *b)
{
	uint16_t i;

	ck_assert_uint_eq(a->type, b->type);
	switch (a->type) {
	case PKT_MSG_KEEPALIVE:
	case PKT_MSG_KEEPALIVE_ACK:
		ck_assert_uint_eq(a->u.ka.id, b->u.ka.id);
		ck_assert_uint_eq(a->u.ka.time_us, b->u.ka.time_us);
		ck_assert_uint_eq(a->u.ka.interval_ms, b->u.ka.interval_ms);
		break;
	case PKT_MSG_DATA:
		ck_assert_uint_eq(a->u.data.ttl, b->u.data.ttl);
		ck_assert_uint_eq(a->u.data.origin, b->u.data.origin);
		ck_assert_uint_eq(a->u.data.ip_len, b->u.data.ip_len);
		ck_assert_mem_eq(a->u.data.ip, b->u.data.ip, a->u.data.ip_len);
		break;
	case PKT_MSG_CLOSE:
		ck_assert_uint_eq(a->u.close_reason, b->u.close_reason);
		break;
	case PKT_MSG_INFO:
		ck_assert_uint_eq(a->u.info.alt_port, b->u.info.alt_port);
		ck_assert(ep_eq(&a->u.info.alt_addr, &b->u.info.alt_addr));
		break;
	case PKT_MSG_PROBE_REQ:
		ck_assert_uint_eq(a->u.probe_req.id, b->u.probe_req.id);
		ck_assert_uint_eq(a->u.probe_req.from, b->u.probe_req.from);
		ck_assert(ep_eq(&a->u.probe_req.target, &b->u.probe_req.target));
		break;
	case PKT_MSG_PROBE_RESP:
		ck_assert_uint_eq(a->u.probe_resp.id, b->u.probe_resp.id);
		ck_assert_uint_eq(a->u.probe_resp.status,
		    b->u.probe_resp.status);
		ck_assert_uint_eq(a->u.probe_resp.from, b->u.probe_resp.from);
		ck_assert(ep_eq(&a->u.probe_resp.mapped, &b->u.probe_resp.mapped));
		break;
	case PKT_MSG_THIRD_REQ:
		ck_assert_uint_eq(a->u.third.nonce, b->u.third.nonce);
		ck_assert(ep_eq(&a->u.third.target, &b->u.third.target));
		break;
	case PKT_MSG_NAT_RESULT:
		ck_assert_uint_eq(a->u.nat.mapping, b->u.nat.mapping);
		ck_assert_uint_eq(a->u.nat.filtering, b->u.nat.filtering);
		ck_assert_uint_eq(a->u.nat.type, b->u.nat.type);
		ck_assert_uint_eq(a->u.nat.port_preserved,
		    b->u.nat.port_preserved);
		ck_assert_uint_eq(a->u.nat.lifetime_s, b->u.nat.lifetime_s);
		ck_assert_mem_eq(a->u.nat.trials, b->u.nat.trials,
		    PKT_NAT_TRIALS);
		ck_assert(ep_eq(&a->u.nat.mapped, &b->u.nat.mapped));
		ck_assert_str_eq(a->u.nat.assumed, b->u.nat.assumed);
		break;
	case PKT_MSG_LSA:
		assert_lsa_eq(&a->u.lsa, &b->u.lsa);
		break;
	case PKT_MSG_CONN_REQ:
		ck_assert_uint_eq(a->u.conn_req.id, b->u.conn_req.id);
		ck_assert_str_eq(a->u.conn_req.src, b->u.conn_req.src);
		ck_assert_str_eq(a->u.conn_req.dst, b->u.conn_req.dst);
		ck_assert(ipaddr_eq(&a->u.conn_req.src_ip,
		    &b->u.conn_req.src_ip));
		ck_assert(ipaddr_eq(&a->u.conn_req.dst_ip,
		    &b->u.conn_req.dst_ip));
		ck_assert_uint_eq(a->u.conn_req.cls, b->u.conn_req.cls);
		ck_assert_uint_eq(a->u.conn_req.src_nat, b->u.conn_req.src_nat);
		ck_assert_uint_eq(a->u.conn_req.path_nat,
		    b->u.conn_req.path_nat);
		ck_assert_uint_eq(a->u.conn_req.n_path, b->u.conn_req.n_path);
		for (i = 0; i < a->u.conn_req.n_path; i++)
			ck_assert_str_eq(a->u.conn_req.path[i],
			    b->u.conn_req.path[i]);
		ck_assert(ep_eq(&a->u.conn_req.src_mapped, &b->u.conn_req.src_mapped));
		ck_assert(ep_eq(&a->u.conn_req.dst_mapped, &b->u.conn_req.dst_mapped));
		ck_assert(ep_eq(&a->u.conn_req.src_local, &b->u.conn_req.src_local));
		break;
	case PKT_MSG_CONN_RESP:
		ck_assert_uint_eq(a->u.conn_resp.id, b->u.conn_resp.id);
		ck_assert_uint_eq(a->u.conn_resp.decision,
		    b->u.conn_resp.decision);
		ck_assert_uint_eq(a->u.conn_resp.direct, b->u.conn_resp.direct);
		ck_assert_uint_eq(a->u.conn_resp.path_nat,
		    b->u.conn_resp.path_nat);
		ck_assert_uint_eq(a->u.conn_resp.src_nat,
		    b->u.conn_resp.src_nat);
		ck_assert_uint_eq(a->u.conn_resp.dst_nat,
		    b->u.conn_resp.dst_nat);
		ck_assert_str_eq(a->u.conn_resp.reason, b->u.conn_resp.reason);
		ck_assert_uint_eq(a->u.conn_resp.n_path, b->u.conn_resp.n_path);
		for (i = 0; i < a->u.conn_resp.n_path; i++)
			ck_assert_str_eq(a->u.conn_resp.path[i],
			    b->u.conn_resp.path[i]);
		ck_assert(ep_eq(&a->u.conn_resp.src_mapped, &b->u.conn_resp.src_mapped));
		ck_assert(ep_eq(&a->u.conn_resp.dst_mapped, &b->u.conn_resp.dst_mapped));
		ck_assert(ep_eq(&a->u.conn_resp.dst_local, &b->u.conn_resp.dst_local));
		break;
	case PKT_MSG_ECHO:
		ck_assert_uint_eq(a->u.echo.id, b->u.echo.id);
		ck_assert_uint_eq(a->u.echo.kind, b->u.echo.kind);
		ck_assert_uint_eq(a->u.echo.time_us, b->u.echo.time_us);
		ck_assert_uint_eq(a->u.echo.hops, b->u.echo.hops);
		ck_assert_str_eq(a->u.echo.src, b->u.echo.src);
		ck_assert_str_eq(a->u.echo.dst, b->u.echo.dst);
		ck_assert_uint_eq(a->u.echo.n_path, b->u.echo.n_path);
		for (i = 0; i < a->u.echo.n_path; i++)
			ck_assert_str_eq(a->u.echo.path[i], b->u.echo.path[i]);
		break;
	default:
		ck_abort_msg("unexpected type %u", a->type);
	}
}

/* ---- outer header ------------------------------------------------------ */

START_TEST(hdr_decode_reads_golden_hs)
{
	struct pkt_hdr h;
	const char *why;

	ck_assert_int_eq(hdr_dec(g_hdr_hs, sizeof(g_hdr_hs), &h, &why), 0);
	ck_assert_uint_eq(h.version, PKT_VERSION);
	ck_assert_uint_eq(h.type, PKT_HS);
	ck_assert_uint_eq(h.session, 0xdeadbeef);
	ck_assert_uint_eq(h.seq, 0);
	ck_assert_ptr_eq(h.body, g_hdr_hs + PKT_HDR_LEN);
	ck_assert_uint_eq(h.body_len, sizeof(g_hdr_hs) - PKT_HDR_LEN);
}
END_TEST

START_TEST(hdr_decode_reads_golden_sealed)
{
	struct pkt_hdr h;
	const char *why;

	ck_assert_int_eq(hdr_dec(g_hdr_sealed, sizeof(g_hdr_sealed), &h,
	    &why), 0);
	ck_assert_uint_eq(h.type, PKT_SEALED);
	ck_assert_uint_eq(h.session, 42);
	ck_assert_uint_eq(h.seq, 0x107);
	ck_assert_ptr_eq(h.body, g_hdr_sealed + PKT_SEALED_HDR_LEN);
	ck_assert_uint_eq(h.body_len, 1 + PKT_TAG_LEN);
}
END_TEST

START_TEST(hdr_decode_reads_golden_probe)
{
	struct pkt_hdr h;
	const char *why;

	ck_assert_int_eq(hdr_dec(g_hdr_probe, sizeof(g_hdr_probe), &h, &why),
	    0);
	ck_assert_uint_eq(h.version, PKT_VERSION);
	ck_assert_uint_eq(h.type, PKT_PROBE);
	ck_assert_uint_eq(h.session, 0);
	ck_assert_uint_eq(h.seq, 0xfedcba9876543210ULL);
	/* The body is the nonce's 8 bytes. */
	ck_assert_ptr_eq(h.body, g_hdr_probe + PKT_HDR_LEN);
	ck_assert_uint_eq(h.body_len, 8);
	ck_assert_uint_eq(sizeof(g_hdr_probe), PKT_PROBE_LEN);
}
END_TEST

START_TEST(hdr_decode_reads_golden_punch)
{
	struct pkt_hdr h;
	const char *why;

	ck_assert_int_eq(hdr_dec(g_hdr_punch, sizeof(g_hdr_punch), &h, &why),
	    0);
	ck_assert_uint_eq(h.version, PKT_VERSION);
	ck_assert_uint_eq(h.type, PKT_PUNCH);
	ck_assert_uint_eq(h.session, 0);
	ck_assert_uint_eq(h.seq, 42);
	ck_assert_ptr_eq(h.body, g_hdr_punch + PKT_HDR_LEN);
	ck_assert_uint_eq(h.body_len, 8);
	ck_assert_uint_eq(sizeof(g_hdr_punch), PKT_PROBE_LEN);
}
END_TEST

START_TEST(hdr_encode_matches_golden)
{
	uint8_t out[64];
	struct buf_wr w;

	buf_wr_init(&w, out, sizeof(out));
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_HS, 0xdeadbeef, 99), 0);
	ck_assert_uint_eq(w.off, PKT_HDR_LEN);
	ck_assert_mem_eq(out, g_hdr_hs, PKT_HDR_LEN);

	buf_wr_init(&w, out, sizeof(out));
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_SEALED, 42, 0x107), 0);
	ck_assert_uint_eq(w.off, PKT_SEALED_HDR_LEN);
	ck_assert_mem_eq(out, g_hdr_sealed, PKT_SEALED_HDR_LEN);

	buf_wr_init(&w, out, sizeof(out));
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_PROBE, 0,
	    0xfedcba9876543210ULL), 0);
	ck_assert_uint_eq(w.off, PKT_PROBE_LEN);
	ck_assert_mem_eq(out, g_hdr_probe, PKT_PROBE_LEN);

	buf_wr_init(&w, out, sizeof(out));
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_PUNCH, 0, 42), 0);
	ck_assert_uint_eq(w.off, PKT_PROBE_LEN);
	ck_assert_mem_eq(out, g_hdr_punch, PKT_PROBE_LEN);
}
END_TEST

START_TEST(hdr_decode_rejects_truncated)
{
	struct pkt_hdr h;
	const char *why;
	size_t n;

	for (n = 0; n < PKT_HDR_LEN; n++) {
		ck_assert_int_eq(hdr_dec(g_hdr_hs, n, &h, &why), -1);
		ck_assert_str_eq(why, "truncated");
	}
	ck_assert_int_eq(hdr_dec(g_hdr_hs, n, &h, &why), -1);
	ck_assert_str_eq(why, "empty handshake body");
	for (n = 0; n < PKT_SEALED_HDR_LEN; n++) {
		ck_assert_int_eq(hdr_dec(g_hdr_sealed, n, &h, &why), -1);
		ck_assert_str_eq(why, "truncated");
	}
	for (; n < PKT_SEALED_HDR_LEN + PKT_TAG_LEN; n++) {
		ck_assert_int_eq(hdr_dec(g_hdr_sealed, n, &h, &why), -1);
		ck_assert_str_eq(why, "sealed body shorter than tag");
	}
	for (n = 0; n < PKT_PROBE_LEN; n++) {
		ck_assert_int_eq(hdr_dec(g_hdr_probe, n, &h, &why), -1);
		ck_assert_str_eq(why, "truncated");
		ck_assert_int_eq(hdr_dec(g_hdr_punch, n, &h, &why), -1);
		ck_assert_str_eq(why, "truncated");
	}
}
END_TEST

START_TEST(hdr_decode_rejects_unknown_version)
{
	static const uint8_t versions[] = { 0, 2, 0x10, 0xff };
	uint8_t p[sizeof(g_hdr_hs)];
	struct pkt_hdr h;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(versions); i++) {
		memcpy(p, g_hdr_hs, sizeof(p));
		p[0] = versions[i];
		ck_assert_int_eq(hdr_dec(p, sizeof(p), &h, &why), -1);
		ck_assert_str_eq(why, "unknown version");
		/* The version is judged before anything else is read. */
		ck_assert_int_eq(hdr_dec(p, 1, &h, &why), -1);
		ck_assert_str_eq(why, "unknown version");
	}
}
END_TEST

START_TEST(hdr_decode_rejects_unknown_type)
{
	static const uint8_t types[] = { 0, 7, 8, 0x80, 0xff };
	uint8_t p[sizeof(g_hdr_sealed)];
	struct pkt_hdr h;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		memcpy(p, g_hdr_sealed, sizeof(p));
		p[1] = types[i];
		ck_assert_int_eq(hdr_dec(p, sizeof(p), &h, &why), -1);
		ck_assert_str_eq(why, "unknown type");
	}
}
END_TEST

/* PKT_COOKIE: header + exactly the cookie; PKT_HS_COOKIE: cookie + records. */
START_TEST(hdr_cookie_types)
{
	uint8_t p[PKT_HDR_LEN + PKT_COOKIE_LEN + 4];
	struct pkt_hdr h;
	struct buf_wr w;
	const char *why;

	buf_wr_init(&w, p, sizeof(p));
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_COOKIE, 0x01020304, 0), 0);
	for (int i = 0; i < PKT_COOKIE_LEN; i++)
		wr_u8(&w, (uint8_t)(0xa0 + i));
	ck_assert_uint_eq(w.off, PKT_HDR_LEN + PKT_COOKIE_LEN);
	ck_assert_int_eq(hdr_dec(p, w.off, &h, &why), 0);
	ck_assert_uint_eq(h.type, PKT_COOKIE);
	ck_assert_uint_eq(h.session, 0x01020304);
	ck_assert_ptr_eq(h.cookie, p + PKT_HDR_LEN);
	ck_assert_uint_eq(h.body_len, 0);
	/* one byte short, one byte long */
	ck_assert_int_eq(hdr_dec(p, w.off - 1, &h, &why), -1);
	ck_assert_str_eq(why, "short cookie");
	p[w.off] = 0;
	ck_assert_int_eq(hdr_dec(p, w.off + 1, &h, &why), -1);
	ck_assert_str_eq(why, "bad cookie length");
	/* the same bytes as a handshake with a cookie: records follow */
	p[1] = PKT_HS_COOKIE;
	memcpy(p + PKT_HDR_LEN + PKT_COOKIE_LEN, "\x16\xfe\xfd\x00", 4);
	ck_assert_int_eq(hdr_dec(p, sizeof(p), &h, &why), 0);
	ck_assert_ptr_eq(h.cookie, p + PKT_HDR_LEN);
	ck_assert_ptr_eq(h.body, p + PKT_HDR_LEN + PKT_COOKIE_LEN);
	ck_assert_uint_eq(h.body_len, 4);
	ck_assert_int_eq(hdr_dec(p, PKT_HDR_LEN + PKT_COOKIE_LEN, &h, &why),
	    -1);
	ck_assert_str_eq(why, "empty handshake body");
	ck_assert_int_eq(hdr_dec(p, PKT_HDR_LEN + 3, &h, &why), -1);
	ck_assert_str_eq(why, "short cookie");
	/* a plain handshake has no cookie */
	p[1] = PKT_HS;
	ck_assert_int_eq(hdr_dec(p, sizeof(p), &h, &why), 0);
	ck_assert_ptr_null(h.cookie);
	ck_assert_uint_eq(h.body_len, PKT_COOKIE_LEN + 4);
}
END_TEST

START_TEST(hdr_decode_rejects_empty_hs_body)
{
	struct pkt_hdr h;
	const char *why;

	ck_assert_int_eq(hdr_dec(g_hdr_hs, PKT_HDR_LEN, &h, &why), -1);
	ck_assert_str_eq(why, "empty handshake body");
	ck_assert_int_eq(hdr_dec(g_hdr_hs, PKT_HDR_LEN + 1, &h, &why), 0);
	ck_assert_uint_eq(h.body_len, 1);
}
END_TEST

START_TEST(hdr_decode_rejects_sealed_body_shorter_than_tag)
{
	struct pkt_hdr h;
	const char *why;
	size_t tag_only = PKT_SEALED_HDR_LEN + PKT_TAG_LEN;

	/* g_hdr_sealed minus its ciphertext byte: 15 tag bytes left */
	ck_assert_int_eq(hdr_dec(g_hdr_sealed, tag_only - 1, &h, &why), -1);
	ck_assert_str_eq(why, "sealed body shorter than tag");
	/* An empty plaintext (tag only) is well-formed at this layer. */
	ck_assert_int_eq(hdr_dec(g_hdr_sealed, tag_only, &h, &why), 0);
	ck_assert_uint_eq(h.body_len, PKT_TAG_LEN);
}
END_TEST

START_TEST(hdr_decode_rejects_probe_session_not_zero)
{
	static const uint32_t sessions[] = {
		1, 0x100, 0x10000, 0x80000000, 0xffffffff,
	};
	uint8_t p[PKT_PROBE_LEN];
	struct pkt_hdr h;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++) {
		memcpy(p, g_hdr_probe, sizeof(p));
		p[2] = (uint8_t)(sessions[i] >> 24);
		p[3] = (uint8_t)(sessions[i] >> 16);
		p[4] = (uint8_t)(sessions[i] >> 8);
		p[5] = (uint8_t)sessions[i];
		ck_assert_int_eq(hdr_dec(p, sizeof(p), &h, &why), -1);
		ck_assert_str_eq(why, "probe session not zero");
		p[1] = PKT_PUNCH;
		ck_assert_int_eq(hdr_dec(p, sizeof(p), &h, &why), -1);
		ck_assert_str_eq(why, "punch session not zero");
	}
}
END_TEST

START_TEST(hdr_decode_rejects_probe_bad_length)
{
	static const size_t lens[] = {
		PKT_PROBE_LEN + 1, PKT_PROBE_LEN + 2, PKT_PROBE_LEN + 8,
		PKT_SEALED_HDR_LEN + PKT_TAG_LEN, 1500, PKT_MAX,
	};
	uint8_t *p = calloc(1, PKT_MAX);
	struct pkt_hdr h;
	const char *why;
	size_t i;

	ck_assert_ptr_nonnull(p);
	memcpy(p, g_hdr_probe, sizeof(g_hdr_probe));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ck_assert_int_eq(hdr_dec(p, lens[i], &h, &why), -1);
		ck_assert_str_eq(why, "bad probe length");
	}
	ck_assert_int_eq(hdr_dec(p, PKT_PROBE_LEN, &h, &why), 0);
	p[1] = PKT_PUNCH;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		ck_assert_int_eq(hdr_dec(p, lens[i], &h, &why), -1);
		ck_assert_str_eq(why, "bad punch length");
	}
	ck_assert_int_eq(hdr_dec(p, PKT_PROBE_LEN, &h, &why), 0);
	free(p);
}
END_TEST

START_TEST(hdr_decode_rejects_oversized_datagram)
{
	uint8_t *p = calloc(1, PKT_MAX + 1);
	struct pkt_hdr h;
	const char *why;

	ck_assert_ptr_nonnull(p);
	memcpy(p, g_hdr_hs, sizeof(g_hdr_hs));
	ck_assert_int_eq(pkt_hdr_decode(p, PKT_MAX, &h, &why), 0);
	ck_assert_uint_eq(h.body_len, PKT_MAX - PKT_HDR_LEN);
	ck_assert_int_eq(pkt_hdr_decode(p, PKT_MAX + 1, &h, &why), -1);
	ck_assert_str_eq(why, "datagram too long");
	free(p);
}
END_TEST

START_TEST(hdr_encode_fails_without_space)
{
	uint8_t out[PKT_SEALED_HDR_LEN];
	struct buf_wr w;

	buf_wr_init(&w, out, PKT_HDR_LEN - 1);
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_HS, 1, 0), -1);
	ck_assert_str_eq(w.err, "no space");
	buf_wr_init(&w, out, PKT_SEALED_HDR_LEN - 1);
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_SEALED, 1, 0), -1);
	buf_wr_init(&w, out, PKT_HDR_LEN);
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_HS, 1, 0), 0);
	buf_wr_init(&w, out, PKT_SEALED_HDR_LEN);
	ck_assert_int_eq(pkt_hdr_encode(&w, PKT_SEALED, 1, 0), 0);
}
END_TEST

START_TEST(hdr_encode_probe_fails_without_space)
{
	uint8_t *out;
	struct buf_wr w;
	size_t cap;

	for (cap = 0; cap <= PKT_PROBE_LEN; cap++) {
		/* Exactly-sized buffers so ASan sees any write past cap. */
		out = malloc(cap > 0 ? cap : 1);
		ck_assert_ptr_nonnull(out);
		buf_wr_init(&w, out, cap);
		if (cap < PKT_PROBE_LEN) {
			ck_assert_int_eq(pkt_hdr_encode(&w, PKT_PROBE, 0, 7),
			    -1);
			ck_assert_str_eq(w.err, "no space");
			buf_wr_init(&w, out, cap);
			ck_assert_int_eq(pkt_hdr_encode(&w, PKT_PUNCH, 0, 7),
			    -1);
			ck_assert_str_eq(w.err, "no space");
		} else {
			ck_assert_int_eq(pkt_hdr_encode(&w, PKT_PROBE, 0, 7),
			    0);
			ck_assert_uint_eq(w.off, PKT_PROBE_LEN);
			buf_wr_init(&w, out, cap);
			ck_assert_int_eq(pkt_hdr_encode(&w, PKT_PUNCH, 0, 7),
			    0);
			ck_assert_uint_eq(w.off, PKT_PROBE_LEN);
		}
		free(out);
	}
}
END_TEST

START_TEST(hdr_encode_rejects_probe_session_not_zero)
{
	static const uint32_t sessions[] = { 1, 0x80000000, 0xffffffff };
	uint8_t out[64];
	struct buf_wr w;
	size_t i;

	for (i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++) {
		buf_wr_init(&w, out, sizeof(out));
		ck_assert_int_eq(pkt_hdr_encode(&w, PKT_PROBE, sessions[i], 1),
		    -1);
		ck_assert_uint_eq(w.off, 0);
		ck_assert_str_eq(w.err, "probe session not zero");
		buf_wr_init(&w, out, sizeof(out));
		ck_assert_int_eq(pkt_hdr_encode(&w, PKT_PUNCH, sessions[i], 1),
		    -1);
		ck_assert_uint_eq(w.off, 0);
		ck_assert_str_eq(w.err, "punch session not zero");
	}
}
END_TEST

START_TEST(hdr_encode_rejects_unknown_type)
{
	uint8_t out[64];
	struct buf_wr w;

	buf_wr_init(&w, out, sizeof(out));
	ck_assert_int_eq(pkt_hdr_encode(&w, 0, 1, 0), -1);
	ck_assert_uint_eq(w.off, 0);
	buf_wr_init(&w, out, sizeof(out));
	ck_assert_int_eq(pkt_hdr_encode(&w, 7, 1, 0), -1);
	ck_assert_uint_eq(w.off, 0);
	buf_wr_init(&w, out, sizeof(out));
	ck_assert_int_eq(pkt_hdr_encode(&w, 0xff, 0, 0), -1);
}
END_TEST

/* ---- messages: every golden vector ------------------------------------ */

START_TEST(msg_encode_matches_golden)
{
	const struct golden *g = &goldens[_i];
	struct pkt_msg m;
	uint8_t out[256];

	memset(&m, 0, sizeof(m));
	g->build(&m);
	ck_assert_msg(pkt_msg_encode(&m, out, sizeof(out)) == (int)g->len,
	    "%s: wrong encoded length", g->name);
	ck_assert_mem_eq(out, g->bytes, g->len);
}
END_TEST

START_TEST(msg_decode_matches_golden)
{
	const struct golden *g = &goldens[_i];
	struct pkt_msg want, got;
	const char *why = NULL;

	memset(&want, 0, sizeof(want));
	g->build(&want);
	ck_assert_msg(pkt_msg_decode(g->bytes, g->len, &got, &why) == 0,
	    "%s: %s", g->name, why);
	assert_msg_eq(&got, &want);
	/* DATA borrows its packet from the input rather than copying it. */
	if (got.type == PKT_MSG_DATA)
		ck_assert_ptr_eq(got.u.data.ip, g->bytes + PKT_DATA_HDR_LEN);
}
END_TEST

START_TEST(msg_round_trips)
{
	const struct golden *g = &goldens[_i];
	struct pkt_msg m, back;
	uint8_t out[256], again[256];
	const char *why;
	int n;

	memset(&m, 0, sizeof(m));
	g->build(&m);
	n = pkt_msg_encode(&m, out, sizeof(out));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(pkt_msg_decode(out, (size_t)n, &back, &why), 0);
	assert_msg_eq(&back, &m);
	ck_assert_int_eq(pkt_msg_encode(&back, again, sizeof(again)), n);
	ck_assert_mem_eq(again, out, (size_t)n);
}
END_TEST

START_TEST(msg_decode_rejects_truncated)
{
	const struct golden *g = &goldens[_i];
	struct pkt_msg m;
	const char *why;
	size_t n;

	for (n = 0; n < g->len; n++) {
		ck_assert_msg(msg_dec(g->bytes, n, &m, &why) == -1,
		    "%s: truncated at %zu decoded", g->name, n);
		ck_assert_ptr_nonnull(why);
		/* DATA has no length field: a short packet is "too short". */
		if (g->bytes[0] != PKT_MSG_DATA || n < PKT_DATA_HDR_LEN)
			ck_assert_str_eq(why, "truncated");
		else
			ck_assert_str_eq(why, "bad ip packet length");
	}
}
END_TEST

START_TEST(msg_decode_rejects_trailing_bytes)
{
	const struct golden *g = &goldens[_i];
	uint8_t p[300];
	struct pkt_msg m;
	const char *why;

	memcpy(p, g->bytes, g->len);
	p[g->len] = 0x00;
	if (g->bytes[0] == PKT_MSG_DATA) {
		/* The packet runs to the end, so the extra byte is its own. */
		ck_assert_int_eq(msg_dec(p, g->len + 1, &m, &why), 0);
		ck_assert_uint_eq(m.u.data.ip_len, sizeof(g_ip) + 1);
		return;
	}
	msg_rejects(p, g->len + 1, "trailing bytes");
}
END_TEST

START_TEST(msg_encode_fails_without_space)
{
	const struct golden *g = &goldens[_i];
	struct pkt_msg m;
	uint8_t *out;
	size_t cap;

	memset(&m, 0, sizeof(m));
	g->build(&m);
	for (cap = 0; cap <= g->len; cap++) {
		/* Exactly-sized buffers so ASan sees any write past cap. */
		out = malloc(cap > 0 ? cap : 1);
		ck_assert_ptr_nonnull(out);
		if (cap < g->len)
			ck_assert_msg(pkt_msg_encode(&m, out, cap) == -1,
			    "%s: encoded into %zu bytes", g->name, cap);
		else
			ck_assert_int_eq(pkt_msg_encode(&m, out, cap),
			    (int)g->len);
		free(out);
	}
	ck_assert_int_eq(pkt_msg_encode(&m, NULL, 1000), -1);
}
END_TEST

/* ---- message decode rules --------------------------------------------- */

START_TEST(decode_rejects_empty_message)
{
	struct pkt_msg m;
	const char *why;

	msg_rejects(g_close, 0, "truncated");
	ck_assert_int_eq(pkt_msg_decode(NULL, 0, &m, &why), -1);
	ck_assert_str_eq(why, "truncated");
}
END_TEST

START_TEST(decode_rejects_unknown_message_type)
{
	/* 3 was ANNOUNCE (foundation), retired. */
	static const uint8_t types[] = { 0, 3, 18, 19, 0x7f, 0x80, 0xff };
	uint8_t p[sizeof(g_keepalive)];
	size_t i;

	for (i = 0; i < sizeof(types); i++) {
		memcpy(p, g_keepalive, sizeof(p));
		p[0] = types[i];
		msg_rejects(p, sizeof(p), "unknown message type");
		msg_rejects(p, 1, "unknown message type");
	}
}
END_TEST

START_TEST(decode_rejects_short_data)
{
	uint8_t p[sizeof(g_data)];
	struct pkt_msg m;
	const char *why;
	size_t n;

	memcpy(p, g_data, sizeof(p));
	for (n = 2; n < PKT_DATA_HDR_LEN; n++)
		msg_rejects(p, n, "truncated");		/* in the origin id */
	for (n = PKT_DATA_HDR_LEN; n < PKT_DATA_HDR_LEN + 20; n++)
		msg_rejects(p, n, "bad ip packet length");
	ck_assert_int_eq(msg_dec(p, PKT_DATA_HDR_LEN + 20, &m, &why), 0);
	ck_assert_uint_eq(m.u.data.ip_len, 20);
}
END_TEST

START_TEST(decode_accepts_largest_data)
{
	size_t n = PKT_DATA_HDR_LEN + PKT_MAX;
	uint8_t *p = calloc(1, n + 1);
	struct pkt_msg m;
	const char *why;

	ck_assert_ptr_nonnull(p);
	p[0] = PKT_MSG_DATA;
	ck_assert_int_eq(pkt_msg_decode(p, n, &m, &why), 0);
	ck_assert_uint_eq(m.u.data.ip_len, PKT_MAX);
	ck_assert_int_eq(pkt_msg_decode(p, n + 1, &m, &why), -1);
	ck_assert_str_eq(why, "bad ip packet length");
	free(p);
}
END_TEST

START_TEST(origin_id_is_fnv1a_of_the_name)
{
	/* FNV-1a 32: reference values */
	ck_assert_uint_eq(pkt_origin_id(""), 0x811c9dc5u);
	ck_assert_uint_eq(pkt_origin_id("a"), 0xe40c292cu);
	ck_assert_uint_eq(pkt_origin_id("foobar"), 0xbf9cf968u);
	ck_assert_uint_ne(pkt_origin_id("site-a"), pkt_origin_id("site-b"));
}
END_TEST

START_TEST(decode_rejects_unknown_close_reason)
{
	static const uint8_t reasons[] = { 0, 3, 4, 0x80, 0xff };
	uint8_t p[2] = { PKT_MSG_CLOSE, 0 };
	size_t i;

	for (i = 0; i < sizeof(reasons); i++) {
		p[1] = reasons[i];
		msg_rejects(p, sizeof(p), "unknown close reason");
	}
}
END_TEST

/*
 * Fails the test unless the golden g with byte 'off' set to each of the
 * n values in 'vals' is rejected with reason 'want'.
 */
static void
patched_rejects(const uint8_t *g, size_t len, size_t off,
    const uint8_t *vals, size_t n, const char *want)
{
	uint8_t p[256];
	size_t i;

	ck_assert_uint_le(len, sizeof(p));
	ck_assert_uint_lt(off, len);
	for (i = 0; i < n; i++) {
		memcpy(p, g, len);
		p[off] = vals[i];
		msg_rejects(p, len, want);
	}
}

/* Fails the test unless the patched golden decodes and re-encodes. */
static void
patched_accepts(const uint8_t *g, size_t len, size_t off, uint8_t val)
{
	uint8_t p[256], out[256];
	struct pkt_msg m;
	const char *why;

	ck_assert_uint_le(len, sizeof(p));
	memcpy(p, g, len);
	p[off] = val;
	ck_assert_msg(msg_dec(p, len, &m, &why) == 0, "byte %zu = %u: %s",
	    off, val, why);
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), (int)len);
	ck_assert_mem_eq(out, p, len);
}

START_TEST(decode_accepts_any_info)
{
	static const uint8_t p[] = {		/* IPv4 alternate address */
		0x06, 0xff, 0xff, 0x04, 0xff, 0xff, 0xff, 0xff, 0x12, 0x7b,
	};
	static const uint8_t q[] = {
		0x06, 0x00, 0x01, 0x00,			/* port only */
	};
	static const uint8_t r[] = {		/* IPv6 alternate address */
		0x06, 0x00, 0x00, 0x06, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0x02, 0x12, 0x7b,
	};
	static const uint8_t bad_fam[] = {
		0x06, 0x00, 0x00, 0x05, 0x0a, 0x00, 0x00, 0x01, 0x12, 0x7b,
	};
	static const uint8_t bad_port[] = {
		0x06, 0x00, 0x00, 0x04, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00,
	};
	static const uint8_t any6[] = {
		0x06, 0x00, 0x00, 0x06, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x7b,
	};
	struct pkt_msg m;
	const char *why;
	char a[EP_STRLEN];

	ck_assert_int_eq(msg_dec(p, sizeof(p), &m, &why), 0);
	ck_assert_uint_eq(m.u.info.alt_port, UINT16_MAX);
	ck_assert_uint_eq(m.u.info.alt_addr.a.v4.s_addr, 0xffffffff);
	ck_assert_uint_eq(m.u.info.alt_addr.port, 4731);
	ck_assert_int_eq(msg_dec(q, sizeof(q), &m, &why), 0);
	ck_assert_uint_eq(m.u.info.alt_port, 1);
	ck_assert(!ep_is_set(&m.u.info.alt_addr));
	ck_assert_int_eq(msg_dec(r, sizeof(r), &m, &why), 0);
	ck_assert_uint_eq(m.u.info.alt_port, 0);
	ck_assert_str_eq(ep_fmt(&m.u.info.alt_addr, a, sizeof(a)),
	    "[2001:db8::2]:4731");
	/* every truncation of the IPv6 one fails */
	for (size_t n = 4; n < sizeof(r); n++)
		ck_assert_int_eq(msg_dec(r, n, &m, &why), -1);
	ck_assert_int_eq(msg_dec(bad_fam, sizeof(bad_fam), &m, &why), -1);
	ck_assert_int_eq(msg_dec(bad_port, sizeof(bad_port), &m, &why), -1);
	ck_assert_int_eq(msg_dec(any6, sizeof(any6), &m, &why), -1);
}
END_TEST

START_TEST(decode_rejects_probe_req_unknown_from)
{
	static const uint8_t bad[] = { 4, 5, 0x80, 0xff };
	uint8_t v;

	patched_rejects(g_probe_req, sizeof(g_probe_req), OFF_REQ_FROM, bad,
	    sizeof(bad), "unknown probe source");
	patched_rejects(g_probe_req_reply, sizeof(g_probe_req_reply),
	    OFF_REQ_FROM, bad, sizeof(bad), "unknown probe source");
	for (v = PKT_FROM_PRIMARY; v <= PKT_FROM_THIRD; v++) {
		patched_accepts(g_probe_req, sizeof(g_probe_req),
		    OFF_REQ_FROM, v);
		patched_accepts(g_probe_req_reply, sizeof(g_probe_req_reply),
		    OFF_REQ_FROM, v);
	}
}
END_TEST

START_TEST(decode_rejects_probe_req_half_target)
{
	static const uint8_t fams[] = { 1, 5, 7, 0x80, 0xff };
	uint8_t p[sizeof(g_probe_req)];

	/* Address set, port zero. */
	memcpy(p, g_probe_req, sizeof(p));
	p[OFF_REQ_PORT] = p[OFF_REQ_PORT + 1] = 0;
	msg_rejects(p, sizeof(p), "endpoint: zero address or port");
	/* Port set, address zero. */
	memcpy(p, g_probe_req, sizeof(p));
	memset(p + OFF_REQ_ADDR, 0, 4);
	msg_rejects(p, sizeof(p), "endpoint: zero address or port");
	/* A family that is neither none, 4 nor 6. */
	patched_rejects(g_probe_req, sizeof(g_probe_req), OFF_REQ_FAM, fams,
	    sizeof(fams), "endpoint: unknown address family");
	/* IPv4 claimed, IPv6's length follows: trailing bytes, or short. */
	patched_rejects(g_probe_req, sizeof(g_probe_req), OFF_REQ_FAM,
	    (const uint8_t[]){ 6 }, 1, "truncated");
	/* Unset, but followed by bytes. */
	patched_rejects(g_probe_req, sizeof(g_probe_req), OFF_REQ_FAM,
	    (const uint8_t[]){ 0 }, 1, "trailing bytes");
}
END_TEST

START_TEST(decode_rejects_probe_resp_unknown_status)
{
	static const uint8_t bad[] = { 2, 3, 0x80, 0xff };

	patched_rejects(g_probe_resp, sizeof(g_probe_resp), OFF_RESP_STATUS,
	    bad, sizeof(bad), "unknown probe status");
	patched_accepts(g_probe_resp, sizeof(g_probe_resp), OFF_RESP_STATUS,
	    PKT_PROBE_UNAVAILABLE);
	patched_accepts(g_probe_resp_unavail, sizeof(g_probe_resp_unavail),
	    OFF_RESP_STATUS, PKT_PROBE_OK);
}
END_TEST

START_TEST(decode_rejects_probe_resp_unknown_from)
{
	static const uint8_t bad[] = { 4, 5, 0x80, 0xff };
	uint8_t v;

	patched_rejects(g_probe_resp, sizeof(g_probe_resp), OFF_RESP_FROM,
	    bad, sizeof(bad), "unknown probe source");
	for (v = PKT_FROM_PRIMARY; v <= PKT_FROM_THIRD; v++)
		patched_accepts(g_probe_resp, sizeof(g_probe_resp),
		    OFF_RESP_FROM, v);
}
END_TEST

START_TEST(decode_rejects_third_req_missing_target)
{
	uint8_t p[sizeof(g_third_req)];

	memcpy(p, g_third_req, sizeof(p));
	memset(p + OFF_THIRD_ADDR, 0, 4);
	msg_rejects(p, sizeof(p), "endpoint: zero address or port");
	memcpy(p, g_third_req, sizeof(p));
	memset(p + OFF_THIRD_PORT, 0, 2);
	msg_rejects(p, sizeof(p), "endpoint: zero address or port");
	/* unset: nothing to send to */
	msg_rejects(g_third_req, OFF_THIRD_FAM, "truncated");
	memcpy(p, g_third_req, OFF_THIRD_FAM);
	p[OFF_THIRD_FAM] = 0;
	msg_rejects(p, OFF_THIRD_FAM + 1, "missing third-party target");
	/* One non-zero byte in each half is enough. */
	memcpy(p, g_third_req, sizeof(p));
	memset(p + OFF_THIRD_ADDR, 0, 6);
	p[OFF_THIRD_ADDR + 3] = 1;
	p[OFF_THIRD_PORT + 1] = 1;
	patched_accepts(p, sizeof(p), 0, PKT_MSG_THIRD_REQ);
}
END_TEST

/* Rejects 'bad' at off in both NAT goldens; accepts every value <= max. */
static void
nat_enum_rule(size_t off, uint8_t max, const char *want)
{
	const uint8_t bad[] = { (uint8_t)(max + 1), (uint8_t)(max + 2),
	    0x80, 0xff };
	unsigned v;

	patched_rejects(g_nat_result, sizeof(g_nat_result), off, bad,
	    sizeof(bad), want);
	patched_rejects(g_nat_result_zero, sizeof(g_nat_result_zero), off,
	    bad, sizeof(bad), want);
	for (v = 0; v <= max; v++)
		patched_accepts(g_nat_result, sizeof(g_nat_result), off,
		    (uint8_t)v);
}

START_TEST(decode_rejects_nat_unknown_mapping)
{
	nat_enum_rule(OFF_NAT_MAPPING, 4, "unknown nat mapping");
}
END_TEST

START_TEST(decode_rejects_nat_unknown_filtering)
{
	nat_enum_rule(OFF_NAT_FILTERING, 4, "unknown nat filtering");
}
END_TEST

START_TEST(decode_rejects_nat_unknown_type)
{
	nat_enum_rule(OFF_NAT_TYPE, 5, "unknown nat type");
}
END_TEST

START_TEST(decode_rejects_nat_unknown_port_preserved)
{
	nat_enum_rule(OFF_NAT_PP, 2, "unknown port preservation");
}
END_TEST

START_TEST(decode_rejects_nat_unknown_trial_outcome)
{
	size_t i;

	for (i = 0; i < PKT_NAT_TRIALS; i++)
		nat_enum_rule(OFF_NAT_TRIALS + i, 2, "unknown trial outcome");
}
END_TEST

/* A NAT_RESULT with the golden's fields and the given assumed bytes. */
static size_t
nat_with_text(uint8_t *p, size_t cap, uint8_t alen, const uint8_t *text,
    size_t text_len)
{
	ck_assert_uint_le(OFF_NAT_TEXT + text_len, cap);
	memcpy(p, g_nat_result, OFF_NAT_ALEN);
	p[OFF_NAT_ALEN] = alen;
	if (text_len > 0)
		memcpy(p + OFF_NAT_TEXT, text, text_len);
	return OFF_NAT_TEXT + text_len;
}

START_TEST(decode_rejects_nat_assumed_too_long)
{
	uint8_t text[255], p[OFF_NAT_TEXT + 255];
	struct pkt_msg m;
	const char *why;
	size_t n;

	memset(text, 'x', sizeof(text));
	n = nat_with_text(p, sizeof(p), 160, text, 160);
	msg_rejects(p, n, "assumed text too long");
	n = nat_with_text(p, sizeof(p), 255, text, 255);
	msg_rejects(p, n, "assumed text too long");
	/* Judged on the length byte alone, before the text is read. */
	n = nat_with_text(p, sizeof(p), 160, text, 0);
	msg_rejects(p, n, "assumed text too long");
	/* 159 is the most there is room for. */
	n = nat_with_text(p, sizeof(p), PKT_NAT_ASSUMED_MAX, text,
	    PKT_NAT_ASSUMED_MAX);
	ck_assert_int_eq(msg_dec(p, n, &m, &why), 0);
	ck_assert_uint_eq(strlen(m.u.nat.assumed), PKT_NAT_ASSUMED_MAX);
}
END_TEST

START_TEST(decode_rejects_nat_assumed_truncated)
{
	uint8_t p[sizeof(g_nat_result)];

	memcpy(p, g_nat_result, sizeof(p));
	p[OFF_NAT_ALEN]++;
	msg_rejects(p, sizeof(p), "truncated");
}
END_TEST

START_TEST(decode_rejects_nat_assumed_bad_chars)
{
	static const uint8_t bad[] = {
		0x00, 0x01, '\t', '\n', '\r', 0x1b, 0x1f, 0x7f, 0x80, 0xa0,
		0xc3, 0xff,
	};
	static const size_t pos[] = { 0, 8, 16 };
	size_t i, j;

	for (i = 0; i < sizeof(bad); i++)
		for (j = 0; j < sizeof(pos) / sizeof(pos[0]); j++)
			patched_rejects(g_nat_result, sizeof(g_nat_result),
			    OFF_NAT_TEXT + pos[j], &bad[i], 1,
			    "bad character in assumed text");
}
END_TEST

START_TEST(decode_accepts_every_printable_assumed_char)
{
	uint8_t text[95], p[OFF_NAT_TEXT + 95], out[256];
	struct pkt_msg m;
	const char *why;
	size_t i, n;

	for (i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)(0x20 + i);
	ck_assert_uint_eq(text[sizeof(text) - 1], 0x7e);
	n = nat_with_text(p, sizeof(p), sizeof(text), text, sizeof(text));
	/* Garbage where the NUL goes: the decoder must terminate. */
	memset(&m, 0xa5, sizeof(m));
	ck_assert_int_eq(msg_dec(p, n, &m, &why), 0);
	ck_assert_uint_eq(strlen(m.u.nat.assumed), sizeof(text));
	ck_assert_mem_eq(m.u.nat.assumed, text, sizeof(text));
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), (int)n);
	ck_assert_mem_eq(out, p, n);
}
END_TEST

/* ---- LSA, CONN_REQ, CONN_RESP: largest messages ----------------------- */

/* 64 distinct 63-char names, differing in their last character. */
static void
long_name(char *dst, unsigned i)
{
	static const char base[] =
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.";
	static const char last[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";

	ck_assert_uint_lt(i, sizeof(last) - 1);
	memcpy(dst, base, sizeof(base));
	dst[PKT_NAME_MAX - 1] = last[i];
}

#define FULL_LSA_EPS	(1 + 2 * (1 + 4 + 2) + 2 * (1 + 16 + 2))
#define FULL_LSA_LEN	(1 + 1 + PKT_NAME_MAX + 8 + 2 + FULL_LSA_EPS + \
	2 + PKT_LSA_PREFIX_MAX * 5 + 2 + PKT_LSA_LINK_MAX * (1 + PKT_NAME_MAX + 3) + \
	2 + PKT_LSA_CERT_MAX + 2 + PKT_LSA_SIG_MAX)
#define FULL_CREQ_NPATH	(1 + 8 + 2 * (1 + PKT_NAME_MAX) + 1 + 16 + 16 + 3)
#define FULL_CREQ_LEN	(FULL_CREQ_NPATH + 1 + \
	PKT_PATH_MAX * (1 + PKT_NAME_MAX) + EPS_LEN)
#define FULL_CRESP_NPATH (1 + 8 + 5 + 1 + PKT_REASON_MAX)
#define FULL_CRESP_LEN	(FULL_CRESP_NPATH + 1 + \
	PKT_PATH_MAX * (1 + PKT_NAME_MAX) + EPS_LEN)
#define FULL_ECHO_NPATH	(1 + 8 + 1 + 8 + 1 + 2 * (1 + PKT_NAME_MAX))
#define FULL_ECHO_LEN	(FULL_ECHO_NPATH + 1 + \
	PKT_PATH_MAX * (1 + PKT_NAME_MAX))

/* The full LSA's 63-char origin moves its counts by 62 bytes. */
#define FULL_LSA_NPFX	(OFF_LSA_NPFX + PKT_NAME_MAX - 1 + FULL_LSA_EPS - \
	(1 + 7 + 19))
#define FULL_LSA_NLINKS	(FULL_LSA_NPFX + 2 + PKT_LSA_PREFIX_MAX * 5)
#define FULL_LSA_LINK(i) \
	(FULL_LSA_NLINKS + 2 + (size_t)(i) * (1 + PKT_NAME_MAX + 3))

static void
build_full_lsa(struct pkt_msg *m)
{
	struct pkt_lsa *l = &m->u.lsa;
	unsigned i;

	m->type = PKT_MSG_LSA;
	long_name(l->origin, 63);
	l->seq = 0x0123456789abcdefULL;
	l->age_s = 59;
	l->n_eps = PKT_LSA_EP_MAX;
	l->eps[0] = ep_of("198.51.100.1", 1);
	l->eps[1] = ep_of("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	l->eps[2] = ep_of("255.255.255.255", 65535);
	l->eps[3] = ep_of("fd00::1", 2);
	l->n_prefixes = PKT_LSA_PREFIX_MAX;
	for (i = 0; i < PKT_LSA_PREFIX_MAX; i++) {
		l->prefixes[i].plen = (uint8_t)(i % 33 == 32 ? 32 : 24);
		l->prefixes[i].addr.s_addr = htonl(0x0a000000 | i << 8);
	}
	l->n_links = PKT_LSA_LINK_MAX;
	for (i = 0; i < PKT_LSA_LINK_MAX; i++) {
		long_name(l->links[i].peer, i);
		l->links[i].nat = nat_wire[i % NNATWIRE].type;
		l->links[i].cost = (uint16_t)(i == 0 ? UINT16_MAX : i);
	}
	l->cert_len = PKT_LSA_CERT_MAX;
	for (i = 0; i < PKT_LSA_CERT_MAX; i++)
		l->cert[i] = (uint8_t)i;
	l->sig_len = PKT_LSA_SIG_MAX;
	for (i = 0; i < PKT_LSA_SIG_MAX; i++)
		l->sig[i] = (uint8_t)~i;
}

static void
build_full_conn_req(struct pkt_msg *m)
{
	struct pkt_conn_req *cr = &m->u.conn_req;
	unsigned i;

	m->type = PKT_MSG_CONN_REQ;
	cr->id = UINT64_MAX;
	long_name(cr->src, 0);
	long_name(cr->dst, 1);
	/* the longest inner addresses: IPv6 */
	ck_assert_int_eq(ipaddr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	    &cr->src_ip), 0);
	ck_assert_int_eq(ipaddr_parse("::", &cr->dst_ip), 0);
	cr->cls = 4;
	cr->src_nat = NAT_TYPE_UNKNOWN;
	cr->path_nat = NAT_TYPE_UNKNOWN;
	cr->n_path = PKT_PATH_MAX;
	for (i = 0; i < PKT_PATH_MAX; i++)
		long_name(cr->path[i], i == 0 ? 0 : i + 1);
	cr->src_mapped = ep_of("255.255.255.255", UINT16_MAX);
	cr->dst_mapped = ep_of("198.51.100.2", 1);
	cr->src_local = ep_of("172.16.0.1", 2);
}

static void
build_full_conn_resp(struct pkt_msg *m)
{
	struct pkt_conn_resp *cr = &m->u.conn_resp;
	unsigned i;

	m->type = PKT_MSG_CONN_RESP;
	cr->id = 0x8000000000000000ULL;
	cr->decision = PKT_CONN_RELAY;
	cr->direct = 1;
	cr->path_nat = NAT_TYPE_UNKNOWN;
	cr->src_nat = NAT_TYPE_UNKNOWN;
	cr->dst_nat = NAT_TYPE_UNKNOWN;
	for (i = 0; i < PKT_REASON_MAX; i++)
		cr->reason[i] = (char)(0x20 + i % 95);
	cr->reason[PKT_REASON_MAX] = '\0';
	cr->n_path = PKT_PATH_MAX;
	for (i = 0; i < PKT_PATH_MAX; i++)
		long_name(cr->path[i], i);
	cr->src_mapped = ep_of("203.0.113.1", 3);
	cr->dst_mapped = ep_of("255.255.255.255", UINT16_MAX);
	cr->dst_local = ep_of("192.168.0.1", 4);
}

static void
build_full_echo(struct pkt_msg *m)
{
	struct pkt_echo *e = &m->u.echo;
	unsigned i;

	m->type = PKT_MSG_ECHO;
	e->id = UINT64_MAX;
	e->kind = PKT_ECHO_ANSWER;
	e->time_us = 0x8000000000000001ULL;
	e->hops = PKT_ECHO_HOPS_MAX;
	long_name(e->src, 0);
	long_name(e->dst, 1);
	e->n_path = PKT_PATH_MAX;
	for (i = 0; i < PKT_PATH_MAX; i++)
		long_name(e->path[i], i == 0 ? 0 : i + 1);
}

static const struct big {
	const char	*name;
	void		(*build)(struct pkt_msg *);
	size_t		 len;
} bigs[] = {
	{ "full lsa", build_full_lsa, FULL_LSA_LEN },
	{ "full conn_req", build_full_conn_req, FULL_CREQ_LEN },
	{ "full conn_resp", build_full_conn_resp, FULL_CRESP_LEN },
	{ "full echo", build_full_echo, FULL_ECHO_LEN },
};
#define NBIG	((int)(sizeof(bigs) / sizeof(bigs[0])))

/* Encodes bigs[i] into an exactly-sized heap buffer the caller frees. */
static uint8_t *
big_encode(int i, struct pkt_msg *m)
{
	uint8_t *out = malloc(bigs[i].len);

	ck_assert_ptr_nonnull(out);
	memset(m, 0, sizeof(*m));
	bigs[i].build(m);
	ck_assert_msg(pkt_msg_encode(m, out, bigs[i].len) == (int)bigs[i].len,
	    "%s: wrong encoded length", bigs[i].name);
	return out;
}

START_TEST(big_msg_sizes)
{
	/* What pkt.c's comment on the int return assumes. */
	ck_assert_uint_eq(FULL_LSA_LEN, 7304);
	ck_assert_uint_eq(FULL_CREQ_LEN, 1219);
	ck_assert_uint_eq(FULL_CRESP_LEN, 1220);
	ck_assert_uint_eq(FULL_ECHO_LEN, 1172);
}
END_TEST

START_TEST(big_msg_round_trips)
{
	static struct pkt_msg m, back;
	uint8_t *out = big_encode(_i, &m), *again;
	const char *why;

	ck_assert_int_eq(msg_dec(out, bigs[_i].len, &back, &why), 0);
	assert_msg_eq(&back, &m);
	again = malloc(bigs[_i].len);
	ck_assert_ptr_nonnull(again);
	ck_assert_int_eq(pkt_msg_encode(&back, again, bigs[_i].len),
	    (int)bigs[_i].len);
	ck_assert_mem_eq(again, out, bigs[_i].len);
	free(again);
	free(out);
}
END_TEST

START_TEST(big_msg_encode_fails_without_space)
{
	static struct pkt_msg m;
	uint8_t *out = big_encode(_i, &m), *small;
	size_t cap;

	for (cap = 0; cap < bigs[_i].len; cap++) {
		small = malloc(cap > 0 ? cap : 1);
		ck_assert_ptr_nonnull(small);
		ck_assert_msg(pkt_msg_encode(&m, small, cap) == -1,
		    "%s: encoded into %zu bytes", bigs[_i].name, cap);
		free(small);
	}
	free(out);
}
END_TEST

START_TEST(big_msg_decode_rejects_truncated)
{
	static struct pkt_msg m;
	uint8_t *out = big_encode(_i, &m);
	const char *why;
	size_t n;

	for (n = 0; n < bigs[_i].len; n++) {
		ck_assert_msg(msg_dec(out, n, &m, &why) == -1,
		    "%s: truncated at %zu decoded", bigs[_i].name, n);
		ck_assert_str_eq(why, "truncated");
	}
	free(out);
}
END_TEST

START_TEST(big_msg_decode_rejects_trailing_bytes)
{
	static struct pkt_msg m;
	uint8_t *out = big_encode(_i, &m), *p;

	p = calloc(1, bigs[_i].len + 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, out, bigs[_i].len);
	msg_rejects(p, bigs[_i].len + 1, "trailing bytes");
	free(p);
	free(out);
}
END_TEST

/* ---- LSA, CONN_REQ, CONN_RESP: decode rules --------------------------- */

#define SPLICE_MAX	512

/* No prefixes, no links, endpoint set. */
static const uint8_t g_lsa_none[] = {
	0x0b, 0x01, 'x',
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00,
	0x01, 0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x00, 0x00,
	0x00, 0x00,
	0x00, 0x00,
	0x00, 0x00,
};


/*
 * Copies golden g with the name field at off (u8 len, name) replaced by
 * the length byte len_byte and the n bytes of name.  Returns the length.
 */
static size_t
splice_name(uint8_t *p, const uint8_t *g, size_t glen, size_t off,
    uint8_t len_byte, const void *name, size_t n)
{
	size_t old_end = off + 1 + g[off];

	ck_assert_uint_le(old_end, glen);
	ck_assert_uint_le(glen - (old_end - off) + 1 + n, SPLICE_MAX);
	memcpy(p, g, off);
	p[off] = len_byte;
	memcpy(p + off + 1, name, n);
	memcpy(p + off + 1 + n, g + old_end, glen - old_end);
	return off + 1 + n + glen - old_end;
}

/* Fails the test unless p decodes and re-encodes to the same bytes. */
static void
bytes_accepted(const uint8_t *p, size_t n)
{
	static struct pkt_msg m;
	uint8_t *out = malloc(n);
	const char *why;

	ck_assert_ptr_nonnull(out);
	ck_assert_msg(msg_dec(p, n, &m, &why) == 0, "rejected: %s", why);
	ck_assert_int_eq(pkt_msg_encode(&m, out, n), (int)n);
	ck_assert_mem_eq(out, p, n);
	free(out);
}

static void
name_swap_accepts(const uint8_t *g, size_t glen, size_t off, const char *name)
{
	uint8_t p[SPLICE_MAX];
	size_t n;

	n = splice_name(p, g, glen, off, (uint8_t)strlen(name), name,
	    strlen(name));
	bytes_accepted(p, n);
}

static void
name_swap_rejects(const uint8_t *g, size_t glen, size_t off, const char *name,
    const char *want)
{
	uint8_t p[SPLICE_MAX];
	size_t n;

	n = splice_name(p, g, glen, off, (uint8_t)strlen(name), name,
	    strlen(name));
	msg_rejects(p, n, want);
}

/*
 * The name rules for the name field at off in golden g: lengths 0 and 64
 * and up rejected with bad_len (judged on the length byte alone), each
 * non-name byte at each position rejected with bad_char, 63 chars and
 * every name character accepted.
 */
static void
name_rule(const uint8_t *g, size_t glen, size_t off, const char *bad_len,
    const char *bad_char)
{
	static const uint8_t bad[] = {
		0x00, ' ', '\t', '\n', '/', '\\', '@', ':', '*', '+', ',',
		'~', 0x7f, 0x80, 0xc3, 0xff,
	};
	static const uint8_t lens[] = { 64, 65, 0x80, 0xff };
	static const char *good[] = {
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz",
		"0123456789._-", ".", "-", "_",
	};
	char n64[PKT_NAME_MAX + 2];
	uint8_t p[SPLICE_MAX], abc[3];
	size_t i, pos, n;

	memset(n64, 'x', PKT_NAME_MAX + 1);
	n64[PKT_NAME_MAX + 1] = '\0';
	n = splice_name(p, g, glen, off, 0, "", 0);
	msg_rejects(p, n, bad_len);
	n = splice_name(p, g, glen, off, PKT_NAME_MAX + 1, n64,
	    PKT_NAME_MAX + 1);
	msg_rejects(p, n, bad_len);
	for (i = 0; i < sizeof(lens); i++) {
		n = splice_name(p, g, glen, off, lens[i], "", 0);
		msg_rejects(p, n, bad_len);
	}
	for (i = 0; i < sizeof(bad); i++) {
		for (pos = 0; pos < 3; pos++) {
			memcpy(abc, "xyz", 3);
			abc[pos] = bad[i];
			n = splice_name(p, g, glen, off, 3, abc, 3);
			msg_rejects(p, n, bad_char);
		}
	}
	name_swap_accepts(g, glen, off, n64 + 2);	/* 63 chars */
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		name_swap_accepts(g, glen, off, good[i]);
}

/* Rejects max+1, max+2, 0x80, 0xff at off; accepts every value <= max. */
static void
enum_rule(const uint8_t *g, size_t glen, size_t off, uint8_t max,
    const char *want)
{
	const uint8_t bad[] = { (uint8_t)(max + 1), (uint8_t)(max + 2),
	    0x80, 0xff };
	unsigned v;

	patched_rejects(g, glen, off, bad, sizeof(bad), want);
	for (v = 0; v <= max; v++)
		patched_accepts(g, glen, off, (uint8_t)v);
}

/* Golden g with the big-endian u16 at off set to v. */
static void
patch16(uint8_t *p, const uint8_t *g, size_t glen, size_t off, uint16_t v)
{
	memcpy(p, g, glen);
	p[off] = (uint8_t)(v >> 8);
	p[off + 1] = (uint8_t)v;
}

START_TEST(decode_rejects_lsa_bad_origin)
{
	name_rule(g_lsa, sizeof(g_lsa), OFF_LSA_ORIGIN,
	    "bad origin name length", "bad character in origin name");
	name_rule(g_lsa_bare, sizeof(g_lsa_bare), OFF_LSA_ORIGIN,
	    "bad origin name length", "bad character in origin name");
}
END_TEST

START_TEST(decode_rejects_lsa_half_endpoint)
{
	uint8_t p[sizeof(g_lsa)];

	/* Address set, port zero; port set, address zero. */
	memcpy(p, g_lsa, sizeof(p));
	memset(p + OFF_LSA_EP_PORT, 0, 2);
	msg_rejects(p, sizeof(p), "endpoint: zero address or port");
	memcpy(p, g_lsa, sizeof(p));
	memset(p + OFF_LSA_EP_ADDR, 0, 4);
	msg_rejects(p, sizeof(p), "endpoint: zero address or port");
	/* The IPv6 one as ::. */
	memcpy(p, g_lsa, sizeof(p));
	memset(p + OFF_LSA_EP6_FAM + 1, 0, 16);
	msg_rejects(p, sizeof(p), "endpoint: zero address or port");
	/* An unset endpoint in the list. */
	patched_rejects(g_lsa, sizeof(g_lsa), OFF_LSA_EP_FAM,
	    (const uint8_t[]){ 0 }, 1, "unset endpoint in lsa");
	/* More than four. */
	patched_rejects(g_lsa, sizeof(g_lsa), OFF_LSA_NEPS,
	    (const uint8_t[]){ PKT_LSA_EP_MAX + 1, 0xff }, 2,
	    "too many endpoints in lsa");
	/* One non-zero byte in each half is enough. */
	memcpy(p, g_lsa, sizeof(p));
	memset(p + OFF_LSA_EP_ADDR, 0, 6);
	p[OFF_LSA_EP_ADDR] = 1;
	p[OFF_LSA_EP_PORT + 1] = 1;
	bytes_accepted(p, sizeof(p));
	bytes_accepted(g_lsa_bare, sizeof(g_lsa_bare));
}
END_TEST

START_TEST(decode_rejects_lsa_too_many_prefixes)
{
	static const uint16_t bad[] = { PKT_LSA_PREFIX_MAX + 1, 0x100, 0xffff };
	static struct pkt_msg m;
	uint8_t p[sizeof(g_lsa)], *full;
	size_t i;

	/* Judged on the count alone. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		patch16(p, g_lsa, sizeof(g_lsa), OFF_LSA_NPFX, bad[i]);
		msg_rejects(p, sizeof(p), "too many prefixes in lsa");
	}
	/* 64 is allowed (bigs[0]); 65 in the same message is not. */
	full = big_encode(0, &m);
	ck_assert_uint_eq(m.u.lsa.n_prefixes, PKT_LSA_PREFIX_MAX);
	bytes_accepted(full, FULL_LSA_LEN);
	ck_assert_uint_eq(full[FULL_LSA_NPFX + 1], PKT_LSA_PREFIX_MAX);
	full[FULL_LSA_NPFX + 1] = PKT_LSA_PREFIX_MAX + 1;
	msg_rejects(full, FULL_LSA_LEN, "too many prefixes in lsa");
	free(full);
	/* Zero is allowed. */
	bytes_accepted(g_lsa_none, sizeof(g_lsa_none));
}
END_TEST

/* The certificate and signature lengths: at most 2048 and 512. */
START_TEST(decode_rejects_lsa_cert_and_sig_too_long)
{
	static struct pkt_msg m;
	uint8_t *full;
	size_t cert_at = FULL_LSA_LEN - 2 - PKT_LSA_SIG_MAX - 2 -
	    PKT_LSA_CERT_MAX, sig_at = FULL_LSA_LEN - 2 - PKT_LSA_SIG_MAX;
	uint8_t p[sizeof(g_lsa)];

	full = big_encode(0, &m);
	ck_assert_uint_eq(full[cert_at] << 8 | full[cert_at + 1],
	    PKT_LSA_CERT_MAX);
	ck_assert_uint_eq(full[sig_at] << 8 | full[sig_at + 1],
	    PKT_LSA_SIG_MAX);
	full[cert_at + 1]++;
	msg_rejects(full, FULL_LSA_LEN, "certificate too long in lsa");
	full[cert_at + 1]--;
	full[sig_at + 1]++;
	msg_rejects(full, FULL_LSA_LEN, "signature too long in lsa");
	free(full);
	/* a length past the end: truncated */
	memcpy(p, g_lsa, sizeof(p));
	p[sizeof(p) - 3] = 3;	/* sig_len 3, 2 bytes follow */
	msg_rejects(p, sizeof(p), "truncated");
}
END_TEST

START_TEST(decode_rejects_lsa_plen_over_32)
{
	static const uint8_t bad[] = { 33, 64, 0x80, 0xfe };

	patched_rejects(g_lsa, sizeof(g_lsa), OFF_LSA_PFX0, bad, sizeof(bad),
	    "prefix length over 32");
	patched_rejects(g_lsa, sizeof(g_lsa), OFF_LSA_PFX1, bad, sizeof(bad),
	    "prefix length over 32");
	patched_rejects(g_lsa_bare, sizeof(g_lsa_bare), OFF_LSAB_PFX0, bad,
	    sizeof(bad), "prefix length over 32");
	/* Any length up to 32 where no host bits are set. */
	patched_accepts(g_lsa_bare, sizeof(g_lsa_bare), OFF_LSAB_PFX0, 32);
	patched_accepts(g_lsa_bare, sizeof(g_lsa_bare), OFF_LSAB_PFX0, 17);
	patched_accepts(g_lsa, sizeof(g_lsa), OFF_LSA_PFX0, 23);
	patched_accepts(g_lsa, sizeof(g_lsa), OFF_LSA_PFX0, 32);
}
END_TEST

START_TEST(decode_rejects_lsa6_prefix)
{
	static const uint8_t bad[] = { 129, 0xff };
	uint8_t p[sizeof(g_lsa6)];

	patched_rejects(g_lsa6, sizeof(g_lsa6), OFF_LSA6_PFX0 + 1, bad,
	    sizeof(bad), "prefix length over 128");
	/* fd00:a::/47 has bit 47 clear, /15 not: host bits */
	patched_accepts(g_lsa6, sizeof(g_lsa6), OFF_LSA6_PFX0 + 1, 47);
	patched_accepts(g_lsa6, sizeof(g_lsa6), OFF_LSA6_PFX0 + 1, 128);
	patched_rejects(g_lsa6, sizeof(g_lsa6), OFF_LSA6_PFX0 + 1,
	    (const uint8_t[]){ 15 }, 1, "host bits set in prefix");
	/* the last bit of a /127 */
	memcpy(p, g_lsa6, sizeof(p));
	p[OFF_LSA6_PFX0 + 1] = 127;
	p[OFF_LSA6_PFX0 + 17] = 1;
	msg_rejects(p, sizeof(p), "host bits set in prefix");
	p[OFF_LSA6_PFX0 + 1] = 128;
	bytes_accepted(p, sizeof(p));
	/* cut inside the IPv6 address */
	msg_rejects(g_lsa6, OFF_LSA6_PFX0 + 10, "truncated");
}
END_TEST

/* The largest signed part, every prefix IPv6, fits PKT_LSA_TBS_MAX. */
START_TEST(tbs_of_full_ipv6_lsa_fits)
{
	static struct pkt_msg m;
	static uint8_t out[PKT_LSA_TBS_MAX + 64];
	unsigned i;
	int n;

	memset(&m, 0, sizeof(m));
	build_full_lsa(&m);
	for (i = 0; i < PKT_LSA_PREFIX_MAX; i++) {
		m.u.lsa.prefixes[i].v6 = true;
		m.u.lsa.prefixes[i].plen = 128;
		memset(&m.u.lsa.prefixes[i].addr6, 0xee, 16);
	}
	n = pkt_lsa_tbs(&m.u.lsa, out, sizeof(out));
	ck_assert_int_gt(n, 5000);
	ck_assert_int_le(n, PKT_LSA_TBS_MAX);
	ck_assert_int_eq(pkt_lsa_tbs(&m.u.lsa, out, PKT_LSA_TBS_MAX), n);
}
END_TEST

START_TEST(decode_rejects_lsa_host_bits)
{
	static const uint8_t one[] = { 1 }, high[] = { 0x80 };
	size_t i;

	/* 10.1.2.1/24, 10.1.2.0/22 */
	patched_rejects(g_lsa, sizeof(g_lsa), OFF_LSA_PFX0 + 4, one, 1,
	    "host bits set in prefix");
	patched_rejects(g_lsa, sizeof(g_lsa), OFF_LSA_PFX0, (const uint8_t[])
	    { 22 }, 1, "host bits set in prefix");
	/* 192.0.2.1/31 */
	patched_rejects(g_lsa, sizeof(g_lsa), OFF_LSA_PFX1, (const uint8_t[])
	    { 31 }, 1, "host bits set in prefix");
	/* Any bit of a /0. */
	for (i = 1; i <= 4; i++) {
		patched_rejects(g_lsa_bare, sizeof(g_lsa_bare), OFF_LSAB_PFX0 + i,
		    one, 1, "host bits set in prefix");
		patched_rejects(g_lsa_bare, sizeof(g_lsa_bare), OFF_LSAB_PFX0 + i,
		    high, 1, "host bits set in prefix");
	}
	/* A /32 has none; 10.1.2.128/25 is clean. */
	patched_accepts(g_lsa, sizeof(g_lsa), OFF_LSA_PFX1 + 4, 0xff);
	{
		uint8_t p[sizeof(g_lsa)];

		memcpy(p, g_lsa, sizeof(p));
		p[OFF_LSA_PFX0] = 25;
		p[OFF_LSA_PFX0 + 4] = 0x80;
		bytes_accepted(p, sizeof(p));
	}
}
END_TEST

START_TEST(decode_rejects_lsa_too_many_links)
{
	static const uint16_t bad[] = { PKT_LSA_LINK_MAX + 1, 0x100, 0xffff };
	static struct pkt_msg m;
	uint8_t p[sizeof(g_lsa)], *full;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		patch16(p, g_lsa, sizeof(g_lsa), OFF_LSA_NLINKS, bad[i]);
		msg_rejects(p, sizeof(p), "too many links in lsa");
	}
	full = big_encode(0, &m);
	ck_assert_uint_eq(full[FULL_LSA_NLINKS + 1], PKT_LSA_LINK_MAX);
	full[FULL_LSA_NLINKS + 1] = PKT_LSA_LINK_MAX + 1;
	msg_rejects(full, FULL_LSA_LEN, "too many links in lsa");
	free(full);
	bytes_accepted(g_lsa_none, sizeof(g_lsa_none));
}
END_TEST

START_TEST(decode_rejects_lsa_bad_peer_name)
{
	name_rule(g_lsa, sizeof(g_lsa), OFF_LSA_LINK0, "bad peer name length",
	    "bad character in peer name");
	name_rule(g_lsa, sizeof(g_lsa), OFF_LSA_LINK1, "bad peer name length",
	    "bad character in peer name");
}
END_TEST

START_TEST(decode_rejects_lsa_unknown_link_nat)
{
	enum_rule(g_lsa, sizeof(g_lsa), OFF_LSA_NAT0, 5,
	    "unknown link nat type");
	enum_rule(g_lsa, sizeof(g_lsa), OFF_LSA_NAT1, 5,
	    "unknown link nat type");
}
END_TEST

START_TEST(decode_rejects_lsa_zero_cost)
{
	uint8_t p[sizeof(g_lsa)];

	patch16(p, g_lsa, sizeof(g_lsa), OFF_LSA_COST0, 0);
	msg_rejects(p, sizeof(p), "zero link cost");
	patch16(p, g_lsa, sizeof(g_lsa), OFF_LSA_COST1, 0);
	msg_rejects(p, sizeof(p), "zero link cost");
	/* 1 and 65535 are in the golden; 256 has a zero low byte. */
	patch16(p, g_lsa, sizeof(g_lsa), OFF_LSA_COST0, 0x100);
	bytes_accepted(p, sizeof(p));
	patch16(p, g_lsa, sizeof(g_lsa), OFF_LSA_COST1, 1);
	bytes_accepted(p, sizeof(p));
}
END_TEST

START_TEST(decode_rejects_lsa_duplicate_peer)
{
	static struct pkt_msg m;
	uint8_t *full;

	name_swap_rejects(g_lsa, sizeof(g_lsa), OFF_LSA_LINK1, "b",
	    "duplicate peer in lsa");
	name_swap_rejects(g_lsa, sizeof(g_lsa), OFF_LSA_LINK0, "c.d",
	    "duplicate peer in lsa");
	/* Names are case-sensitive and compared whole. */
	name_swap_accepts(g_lsa, sizeof(g_lsa), OFF_LSA_LINK1, "B");
	name_swap_accepts(g_lsa, sizeof(g_lsa), OFF_LSA_LINK1, "bb");
	name_swap_accepts(g_lsa, sizeof(g_lsa), OFF_LSA_LINK1, "c.");
	/* A link to a name equal to the origin's is not this rule's. */
	name_swap_accepts(g_lsa, sizeof(g_lsa), OFF_LSA_LINK1, "a");
	/* The last of 64 repeating the first. */
	full = big_encode(0, &m);
	memcpy(full + FULL_LSA_LINK(PKT_LSA_LINK_MAX - 1),
	    full + FULL_LSA_LINK(0), 1 + PKT_NAME_MAX);
	msg_rejects(full, FULL_LSA_LEN, "duplicate peer in lsa");
	free(full);
}
END_TEST

START_TEST(decode_rejects_conn_req_bad_names)
{
	name_rule(g_conn_req, sizeof(g_conn_req), OFF_CREQ_SRC,
	    "bad source name length", "bad character in source name");
	name_rule(g_conn_req, sizeof(g_conn_req), OFF_CREQ_DST,
	    "bad destination name length",
	    "bad character in destination name");
}
END_TEST

START_TEST(decode_rejects_conn_req_src_is_dst)
{
	name_swap_rejects(g_conn_req, sizeof(g_conn_req), OFF_CREQ_DST, "a",
	    "source is destination");
	name_swap_rejects(g_conn_req, sizeof(g_conn_req), OFF_CREQ_SRC, "d",
	    "source is destination");
	name_swap_accepts(g_conn_req, sizeof(g_conn_req), OFF_CREQ_DST, "A");
	name_swap_accepts(g_conn_req, sizeof(g_conn_req), OFF_CREQ_DST, "aa");
	name_swap_accepts(g_conn_req, sizeof(g_conn_req), OFF_CREQ_SRC, "d.");
}
END_TEST

START_TEST(decode_rejects_conn_req_unknown_class)
{
	enum_rule(g_conn_req, sizeof(g_conn_req), OFF_CREQ_CLS, 4,
	    "unknown traffic class");
}
END_TEST

START_TEST(decode_rejects_conn_req_unknown_nat)
{
	enum_rule(g_conn_req, sizeof(g_conn_req), OFF_CREQ_SRC_NAT, 5,
	    "unknown source nat type");
	enum_rule(g_conn_req, sizeof(g_conn_req), OFF_CREQ_PATH_NAT, 5,
	    "unknown path nat type");
}
END_TEST

/* n_path rules for a golden whose count is at off; endpoints follow. */
/* The three endpoints' bytes at the end of a CONN_REQ/RESP golden. */
static size_t
g_eps_len(const uint8_t *g)
{
	if (g == g_conn_req)
		return 7 + 1 + 1;
	if (g == g_conn_resp_min)
		return 7 + 1 + 19;
	return EPS_LEN;		/* g_conn_resp: three IPv4 ones */
}

static void
path_len_rule(const uint8_t *g, size_t glen, size_t off)
{
	static const uint8_t bad[] = { 0, PKT_PATH_MAX + 1, 0x80, 0xff };
	uint8_t p[SPLICE_MAX];
	size_t first = off + 2 + g[off + 1], eps = g_eps_len(g);

	/* Judged on the count alone. */
	patched_rejects(g, glen, off, bad, sizeof(bad), "bad path length");
	/* A single entry: the first one. */
	memcpy(p, g, first);
	memcpy(p + first, g + glen - eps, eps);
	p[off] = 1;
	bytes_accepted(p, first + eps);
}

START_TEST(decode_rejects_conn_req_bad_path_len)
{
	static struct pkt_msg m;
	uint8_t *full;

	path_len_rule(g_conn_req, sizeof(g_conn_req), OFF_CREQ_NPATH);
	/* 16 is allowed (bigs[1]); 17 there is not. */
	full = big_encode(1, &m);
	ck_assert_uint_eq(full[FULL_CREQ_NPATH], PKT_PATH_MAX);
	full[FULL_CREQ_NPATH] = PKT_PATH_MAX + 1;
	msg_rejects(full, FULL_CREQ_LEN, "bad path length");
	free(full);
}
END_TEST

START_TEST(decode_rejects_conn_req_bad_path_name)
{
	name_rule(g_conn_req, sizeof(g_conn_req), OFF_CREQ_PATH0,
	    "bad path name length", "bad character in path name");
	name_rule(g_conn_req, sizeof(g_conn_req), OFF_CREQ_PATH1,
	    "bad path name length", "bad character in path name");
}
END_TEST

/*
 * The three endpoints at the end of golden g: any mix of unset, IPv4 and
 * IPv6 decodes and encodes back the same; a half-set one (a socket bound
 * to the wildcard address has only a port) is refused.
 */
static void
endpoints_free(const uint8_t *g, size_t glen)
{
	static const uint8_t none[] = { 0 };
	static const uint8_t v4[] = { 4, 192, 0, 2, 1, 0x12, 0xbb };
	static const uint8_t v6[] = {
		6, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x01, 0x12, 0xbb,
	};
	static const uint8_t half[] = { 4, 0, 0, 0, 0, 0x12, 0xbb };
	const uint8_t *eps[] = { none, v4, v6 };
	const size_t lens[] = { sizeof(none), sizeof(v4), sizeof(v6) };
	size_t head = glen - g_eps_len(g), n;
	uint8_t p[SPLICE_MAX];

	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			for (int c = 0; c < 3; c++) {
				memcpy(p, g, head);
				n = head;
				memcpy(p + n, eps[a], lens[a]);
				n += lens[a];
				memcpy(p + n, eps[b], lens[b]);
				n += lens[b];
				memcpy(p + n, eps[c], lens[c]);
				n += lens[c];
				bytes_accepted(p, n);
			}
	memcpy(p, g, head);
	memcpy(p + head, half, sizeof(half));
	p[head + sizeof(half)] = 0;
	p[head + sizeof(half) + 1] = 0;
	msg_rejects(p, head + sizeof(half) + 2,
	    "endpoint: zero address or port");
}

START_TEST(decode_accepts_any_conn_endpoints)
{
	endpoints_free(g_conn_req, sizeof(g_conn_req));
	endpoints_free(g_conn_resp, sizeof(g_conn_resp));
	endpoints_free(g_conn_resp_min, sizeof(g_conn_resp_min));
}
END_TEST

/* g_conn_req with IPv6 inner addresses fd00:a::10 -> fd00:b::10. */
static const uint8_t g_conn_req6[] = {
	0x0c,					/* CONN_REQ */
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,	/* id */
	0x01, 'a',				/* src "a" */
	0x01, 'd',				/* dst "d" */
	0x06,					/* inner: IPv6 */
	0xfd, 0x00, 0x00, 0x0a, 0, 0, 0, 0,	/* fd00:a::10 */
	0, 0, 0, 0, 0, 0, 0, 0x10,
	0xfd, 0x00, 0x00, 0x0b, 0, 0, 0, 0,	/* fd00:b::10 */
	0, 0, 0, 0, 0, 0, 0, 0x10,
	0x01,					/* cls ESP_UDP */
	0x02,					/* src_nat 2 */
	0x04,					/* path_nat 4 */
	0x02,					/* 2 on the path: */
	0x01, 'a',				/* "a" */
	0x03, 'b', '-', 'c',			/* "b-c" */
	0x04, 0xcb, 0x00, 0x71, 0x07, 0xea, 0x60, /* src_mapped */
	0x00,					/* dst_mapped unknown */
	0x00,					/* src_local unknown */
};

/*
 * A connection request for an IPv6 packet names its inner addresses (not
 * 0.0.0.0): the golden decodes to them, and a built one encodes to it.
 */
START_TEST(conn_req_ipv6_inner_addresses_round_trip)
{
	struct pkt_msg m, built;
	struct ipaddr s6, d6;
	uint8_t out[256];
	const char *why;
	char b[IPADDR_STRLEN];

	ck_assert_int_eq(msg_dec(g_conn_req6, sizeof(g_conn_req6), &m, &why),
	    0);
	ck_assert_int_eq(m.u.conn_req.src_ip.af, AF_INET6);
	ck_assert_str_eq(ipaddr_str(&m.u.conn_req.src_ip, b, sizeof(b)),
	    "fd00:a::10");
	ck_assert_str_eq(ipaddr_str(&m.u.conn_req.dst_ip, b, sizeof(b)),
	    "fd00:b::10");
	memset(&built, 0, sizeof(built));
	build_conn_req(&built);
	ck_assert_int_eq(ipaddr_parse("fd00:a::10", &s6), 0);
	ck_assert_int_eq(ipaddr_parse("fd00:b::10", &d6), 0);
	built.u.conn_req.src_ip = s6;
	built.u.conn_req.dst_ip = d6;
	ck_assert_int_eq(pkt_msg_encode(&built, out, sizeof(out)),
	    (int)sizeof(g_conn_req6));
	ck_assert_mem_eq(out, g_conn_req6, sizeof(g_conn_req6));
	/* truncated anywhere inside the addresses: refused */
	for (size_t n = OFF_CREQ_INNER + 1; n < OFF_CREQ_INNER + 33; n++)
		ck_assert_int_eq(msg_dec(g_conn_req6, n, &m, &why), -1);
	/* no addresses named (family 0): nothing follows the family */
	memset(&built.u.conn_req.src_ip, 0, sizeof(struct ipaddr));
	memset(&built.u.conn_req.dst_ip, 0, sizeof(struct ipaddr));
	ck_assert_int_eq(pkt_msg_encode(&built, out, sizeof(out)),
	    (int)sizeof(g_conn_req) - 8);
	ck_assert_uint_eq(out[OFF_CREQ_INNER], 0);
	ck_assert_int_eq(msg_dec(out, sizeof(g_conn_req) - 8, &m, &why), 0);
	ck_assert_int_eq(m.u.conn_req.src_ip.af, 0);
	ck_assert_int_eq(m.u.conn_req.dst_ip.af, 0);
}
END_TEST

START_TEST(decode_rejects_conn_req_unknown_inner_family)
{
	static const uint8_t bad[] = { 1, 2, 5, 10, 0x80, 0xff };

	patched_rejects(g_conn_req, sizeof(g_conn_req), OFF_CREQ_INNER, bad,
	    sizeof(bad), "inner addresses: unknown address family");
	patched_rejects(g_conn_req6, sizeof(g_conn_req6), OFF_CREQ_INNER, bad,
	    sizeof(bad), "inner addresses: unknown address family");
}
END_TEST

/* Inner addresses of two families, or an unknown one, are not sent. */
START_TEST(encode_rejects_mixed_inner_families)
{
	struct pkt_msg m;
	uint8_t out[256];

	memset(&m, 0, sizeof(m));
	build_conn_req(&m);
	ck_assert_int_eq(ipaddr_parse("fd00:b::10", &m.u.conn_req.dst_ip), 0);
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	memset(&m.u.conn_req.dst_ip, 0, sizeof(struct ipaddr));
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	memset(&m, 0, sizeof(m));
	build_conn_req(&m);
	m.u.conn_req.src_ip.af = m.u.conn_req.dst_ip.af = 99;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
}
END_TEST

START_TEST(decode_rejects_conn_resp_unknown_decision)
{
	static const uint8_t bad[] = { 1, 2, 0x80, 0xff };

	patched_rejects(g_conn_resp, sizeof(g_conn_resp), OFF_CRESP_DECISION,
	    bad, sizeof(bad), "unknown connection decision");
	patched_rejects(g_conn_resp_min, sizeof(g_conn_resp_min),
	    OFF_CRESP_DECISION, bad, sizeof(bad),
	    "unknown connection decision");
	patched_accepts(g_conn_resp, sizeof(g_conn_resp), OFF_CRESP_DECISION,
	    PKT_CONN_RELAY);
}
END_TEST

START_TEST(decode_rejects_conn_resp_bad_direct)
{
	enum_rule(g_conn_resp, sizeof(g_conn_resp), OFF_CRESP_DIRECT, 1,
	    "bad direct flag");
	enum_rule(g_conn_resp_min, sizeof(g_conn_resp_min), OFF_CRESP_DIRECT,
	    1, "bad direct flag");
}
END_TEST

START_TEST(decode_rejects_conn_resp_unknown_nat)
{
	enum_rule(g_conn_resp, sizeof(g_conn_resp), OFF_CRESP_PATH_NAT, 5,
	    "unknown path nat type");
	enum_rule(g_conn_resp, sizeof(g_conn_resp), OFF_CRESP_SRC_NAT, 5,
	    "unknown source nat type");
	enum_rule(g_conn_resp, sizeof(g_conn_resp), OFF_CRESP_DST_NAT, 5,
	    "unknown destination nat type");
}
END_TEST

/* g_conn_resp with the reason length byte rlen and the given text. */
static size_t
resp_with_reason(uint8_t *p, size_t cap, uint8_t rlen, const uint8_t *text,
    size_t text_len)
{
	size_t tail = sizeof(g_conn_resp) - OFF_CRESP_NPATH;

	ck_assert_uint_le(OFF_CRESP_RTEXT + text_len + tail, cap);
	memcpy(p, g_conn_resp, OFF_CRESP_RLEN);
	p[OFF_CRESP_RLEN] = rlen;
	if (text_len > 0)
		memcpy(p + OFF_CRESP_RTEXT, text, text_len);
	memcpy(p + OFF_CRESP_RTEXT + text_len, g_conn_resp + OFF_CRESP_NPATH,
	    tail);
	return OFF_CRESP_RTEXT + text_len + tail;
}

START_TEST(decode_rejects_conn_resp_reason_too_long)
{
	uint8_t text[255], p[SPLICE_MAX];
	struct pkt_msg m;
	const char *why;
	size_t n;

	memset(text, 'x', sizeof(text));
	n = resp_with_reason(p, sizeof(p), 160, text, 160);
	msg_rejects(p, n, "reason text too long");
	n = resp_with_reason(p, sizeof(p), 255, text, 255);
	msg_rejects(p, n, "reason text too long");
	/* Judged on the length byte alone. */
	n = resp_with_reason(p, sizeof(p), 160, text, 0);
	msg_rejects(p, n, "reason text too long");
	n = resp_with_reason(p, sizeof(p), PKT_REASON_MAX, text,
	    PKT_REASON_MAX);
	ck_assert_int_eq(msg_dec(p, n, &m, &why), 0);
	ck_assert_uint_eq(strlen(m.u.conn_resp.reason), PKT_REASON_MAX);
	bytes_accepted(p, n);
	/* Empty is fine too. */
	n = resp_with_reason(p, sizeof(p), 0, text, 0);
	bytes_accepted(p, n);
}
END_TEST

START_TEST(decode_rejects_conn_resp_reason_bad_chars)
{
	static const uint8_t bad[] = {
		0x00, 0x01, '\t', '\n', '\r', 0x1b, 0x1f, 0x7f, 0x80, 0xa0,
		0xc3, 0xff,
	};
	static const size_t pos[] = { 0, 5, 10 };
	size_t i, j;

	for (i = 0; i < sizeof(bad); i++)
		for (j = 0; j < sizeof(pos) / sizeof(pos[0]); j++)
			patched_rejects(g_conn_resp, sizeof(g_conn_resp),
			    OFF_CRESP_RTEXT + pos[j], &bad[i], 1,
			    "bad character in reason text");
}
END_TEST

START_TEST(decode_accepts_every_printable_reason_char)
{
	uint8_t text[95], p[SPLICE_MAX];
	struct pkt_msg m;
	const char *why;
	size_t i, n;

	for (i = 0; i < sizeof(text); i++)
		text[i] = (uint8_t)(0x20 + i);
	n = resp_with_reason(p, sizeof(p), sizeof(text), text, sizeof(text));
	/* Garbage where the NUL goes: the decoder must terminate. */
	memset(&m, 0xa5, sizeof(m));
	ck_assert_int_eq(msg_dec(p, n, &m, &why), 0);
	ck_assert_uint_eq(strlen(m.u.conn_resp.reason), sizeof(text));
	ck_assert_mem_eq(m.u.conn_resp.reason, text, sizeof(text));
	bytes_accepted(p, n);
}
END_TEST

START_TEST(decode_rejects_conn_resp_bad_path_len)
{
	static struct pkt_msg m;
	uint8_t *full;

	path_len_rule(g_conn_resp, sizeof(g_conn_resp), OFF_CRESP_NPATH);
	path_len_rule(g_conn_resp_min, sizeof(g_conn_resp_min),
	    OFF_CRESP_RTEXT);
	full = big_encode(2, &m);
	ck_assert_uint_eq(full[FULL_CRESP_NPATH], PKT_PATH_MAX);
	full[FULL_CRESP_NPATH] = PKT_PATH_MAX + 1;
	msg_rejects(full, FULL_CRESP_LEN, "bad path length");
	free(full);
}
END_TEST

START_TEST(decode_rejects_conn_resp_bad_path_name)
{
	static const size_t offs[] = {
		OFF_CRESP_PATH0, OFF_CRESP_PATH1, OFF_CRESP_PATH2,
	};
	size_t i;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		name_rule(g_conn_resp, sizeof(g_conn_resp), offs[i],
		    "bad path name length", "bad character in path name");
	name_rule(g_conn_resp_min, sizeof(g_conn_resp_min),
	    OFF_CRESP_RTEXT + 1, "bad path name length",
	    "bad character in path name");
}
END_TEST

/* ---- ECHO: decode rules ------------------------------------------------ */

START_TEST(decode_reads_echo_fields)
{
	struct pkt_msg m;
	const char *why;

	/* Concrete values, not only agreement with the builders. */
	ck_assert_int_eq(msg_dec(g_echo, sizeof(g_echo), &m, &why), 0);
	ck_assert_uint_eq(m.type, PKT_MSG_ECHO);
	ck_assert_uint_eq(m.u.echo.id, 0x0102030405060708ULL);
	ck_assert_uint_eq(m.u.echo.kind, PKT_ECHO_REQUEST);
	ck_assert_uint_eq(m.u.echo.time_us, 0x0005f00dcafebabeULL);
	ck_assert_uint_eq(m.u.echo.hops, 2);
	ck_assert_str_eq(m.u.echo.src, "a");
	ck_assert_str_eq(m.u.echo.dst, "d");
	ck_assert_uint_eq(m.u.echo.n_path, 3);
	ck_assert_str_eq(m.u.echo.path[0], "a");
	ck_assert_str_eq(m.u.echo.path[1], "b-c");
	ck_assert_str_eq(m.u.echo.path[2], "x.y");

	ck_assert_int_eq(msg_dec(g_echo_answer, sizeof(g_echo_answer), &m,
	    &why), 0);
	ck_assert_uint_eq(m.type, PKT_MSG_ECHO);
	ck_assert_uint_eq(m.u.echo.id, 0);
	ck_assert_uint_eq(m.u.echo.kind, PKT_ECHO_ANSWER);
	ck_assert_uint_eq(m.u.echo.time_us, UINT64_MAX);
	ck_assert_uint_eq(m.u.echo.hops, 32);
	ck_assert_str_eq(m.u.echo.src, "src_1");
	ck_assert_str_eq(m.u.echo.dst, "D");
	ck_assert_uint_eq(m.u.echo.n_path, 5);
	ck_assert_str_eq(m.u.echo.path[0], "src_1");
	ck_assert_str_eq(m.u.echo.path[1], "mid");
	ck_assert_str_eq(m.u.echo.path[2], "D");
	ck_assert_str_eq(m.u.echo.path[3], "mid");
	ck_assert_str_eq(m.u.echo.path[4], "src_1");
}
END_TEST

START_TEST(decode_rejects_echo_unknown_kind)
{
	uint8_t bad[256 - 2];
	unsigned v;

	/* Only REQUEST (0) and ANSWER (1): every other byte value fails. */
	for (v = 2; v < 256; v++)
		bad[v - 2] = (uint8_t)v;
	patched_rejects(g_echo, sizeof(g_echo), OFF_ECHO_KIND, bad,
	    sizeof(bad), "unknown echo kind");
	patched_rejects(g_echo_answer, sizeof(g_echo_answer), OFF_ECHO_KIND,
	    bad, sizeof(bad), "unknown echo kind");
	enum_rule(g_echo, sizeof(g_echo), OFF_ECHO_KIND, PKT_ECHO_ANSWER,
	    "unknown echo kind");
}
END_TEST

START_TEST(decode_rejects_echo_too_many_hops)
{
	static const uint8_t bad[] = { PKT_ECHO_HOPS_MAX + 1, 64, 0x80, 0xff };

	/* 0-32 are accepted (enum_rule tries each). */
	enum_rule(g_echo, sizeof(g_echo), OFF_ECHO_HOPS, PKT_ECHO_HOPS_MAX,
	    "too many echo hops");
	patched_rejects(g_echo_answer, sizeof(g_echo_answer), OFF_ECHO_HOPS,
	    bad, sizeof(bad), "too many echo hops");
}
END_TEST

START_TEST(decode_rejects_echo_bad_names)
{
	name_rule(g_echo, sizeof(g_echo), OFF_ECHO_SRC,
	    "bad source name length", "bad character in source name");
	name_rule(g_echo, sizeof(g_echo), OFF_ECHO_DST,
	    "bad destination name length",
	    "bad character in destination name");
}
END_TEST

START_TEST(decode_rejects_echo_src_is_dst)
{
	name_swap_rejects(g_echo, sizeof(g_echo), OFF_ECHO_DST, "a",
	    "source is destination");
	name_swap_rejects(g_echo, sizeof(g_echo), OFF_ECHO_SRC, "d",
	    "source is destination");
	name_swap_rejects(g_echo_answer, sizeof(g_echo_answer), OFF_ECHOA_DST,
	    "src_1", "source is destination");
	/* Names are case-sensitive and compared whole. */
	name_swap_accepts(g_echo, sizeof(g_echo), OFF_ECHO_DST, "A");
	name_swap_accepts(g_echo, sizeof(g_echo), OFF_ECHO_DST, "aa");
	name_swap_accepts(g_echo, sizeof(g_echo), OFF_ECHO_SRC, "d.");
	name_swap_accepts(g_echo_answer, sizeof(g_echo_answer), OFF_ECHOA_DST,
	    "src_");
}
END_TEST

START_TEST(decode_rejects_echo_bad_path_len)
{
	static const uint8_t bad[] = { 0, PKT_PATH_MAX + 1, 0x80, 0xff };
	static struct pkt_msg m;
	uint8_t p[sizeof(g_echo)], *full;
	const size_t first = OFF_ECHO_PATH0 + 1 + g_echo[OFF_ECHO_PATH0];

	/* Judged on the count alone. */
	patched_rejects(g_echo, sizeof(g_echo), OFF_ECHO_NPATH, bad,
	    sizeof(bad), "bad path length");
	patched_rejects(g_echo_answer, sizeof(g_echo_answer), OFF_ECHOA_NPATH,
	    bad, sizeof(bad), "bad path length");
	/* A single entry: the first one. */
	memcpy(p, g_echo, first);
	p[OFF_ECHO_NPATH] = 1;
	bytes_accepted(p, first);
	/* A count below the names sent leaves bytes; above, runs short. */
	memcpy(p, g_echo, sizeof(p));
	p[OFF_ECHO_NPATH] = 2;
	msg_rejects(p, sizeof(p), "trailing bytes");
	p[OFF_ECHO_NPATH] = 4;
	msg_rejects(p, sizeof(p), "truncated");
	/* 16 is allowed (bigs[3]); 17 there is not. */
	full = big_encode(3, &m);
	ck_assert_uint_eq(full[FULL_ECHO_NPATH], PKT_PATH_MAX);
	bytes_accepted(full, FULL_ECHO_LEN);
	full[FULL_ECHO_NPATH] = PKT_PATH_MAX + 1;
	msg_rejects(full, FULL_ECHO_LEN, "bad path length");
	free(full);
}
END_TEST

START_TEST(decode_rejects_echo_bad_path_name)
{
	static const size_t offs[] = {
		OFF_ECHO_PATH0, OFF_ECHO_PATH1, OFF_ECHO_PATH2,
	};
	size_t i;

	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		name_rule(g_echo, sizeof(g_echo), offs[i],
		    "bad path name length", "bad character in path name");
}
END_TEST

START_TEST(decode_accepts_any_echo_id_and_time)
{
	static const uint8_t vals[] = { 0x00, 0x01, 0x80, 0xff };
	size_t i, j;

	for (i = 0; i < 8; i++) {
		for (j = 0; j < sizeof(vals); j++) {
			patched_accepts(g_echo, sizeof(g_echo),
			    OFF_ECHO_ID + i, vals[j]);
			patched_accepts(g_echo, sizeof(g_echo),
			    OFF_ECHO_TIME + i, vals[j]);
		}
	}
}
END_TEST

/* ---- message encode rules --------------------------------------------- */

START_TEST(encode_rejects_unknown_type)
{
	static const uint8_t types[] = { 0, 3, 15, 16, 0xff };
	struct pkt_msg m;
	uint8_t out[64];
	size_t i;

	memset(&m, 0, sizeof(m));
	for (i = 0; i < sizeof(types); i++) {
		m.type = types[i];
		ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	}
}
END_TEST

START_TEST(encode_rejects_bad_data)
{
	struct pkt_msg m;
	uint8_t out[256];

	memset(&m, 0, sizeof(m));
	build_data(&m);
	m.u.data.ip_len = 19;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	m.u.data.ip_len = 0;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	m.u.data.ip_len = 20;
	m.u.data.ip = NULL;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	m.u.data.ip = g_ip;
	m.u.data.ip_len = (size_t)PKT_MAX + 1;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
}
END_TEST

START_TEST(encode_rejects_unknown_close_reason)
{
	struct pkt_msg m;
	uint8_t out[16];

	memset(&m, 0, sizeof(m));
	m.type = PKT_MSG_CLOSE;
	m.u.close_reason = 0;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	m.u.close_reason = 3;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
}
END_TEST

static void
brk_req_from(struct pkt_msg *m)
{
	build_probe_req(m);
	m->u.probe_req.from = PKT_FROM_THIRD + 1;
}

static void
brk_req_from_ff(struct pkt_msg *m)
{
	build_probe_req_reply(m);
	m->u.probe_req.from = 0xff;
}

static void
brk_req_addr_only(struct pkt_msg *m)
{
	build_probe_req(m);
	m->u.probe_req.target.port = 0;
}

static void
brk_req_port_only(struct pkt_msg *m)
{
	build_probe_req(m);
	m->u.probe_req.target.a.v4.s_addr = 0;
}

static void
brk_resp_status(struct pkt_msg *m)
{
	build_probe_resp(m);
	m->u.probe_resp.status = 2;
}

static void
brk_resp_from(struct pkt_msg *m)
{
	build_probe_resp(m);
	m->u.probe_resp.from = 4;
}

static void
brk_third_no_addr(struct pkt_msg *m)
{
	build_third_req(m);
	m->u.third.target.a.v4.s_addr = 0;
}

static void
brk_third_no_port(struct pkt_msg *m)
{
	build_third_req(m);
	m->u.third.target.port = 0;
}

static void
brk_third_unset(struct pkt_msg *m)
{
	build_third_req(m);
	memset(&m->u.third.target, 0, sizeof(m->u.third.target));
}

static void
brk_nat_mapping(struct pkt_msg *m)
{
	build_nat_result(m);
	m->u.nat.mapping = 5;
}

static void
brk_nat_filtering(struct pkt_msg *m)
{
	build_nat_result(m);
	m->u.nat.filtering = 5;
}

static void
brk_nat_type(struct pkt_msg *m)
{
	build_nat_result(m);
	m->u.nat.type = NAT_BAD_HIGH;
}

static void
brk_nat_pp(struct pkt_msg *m)
{
	build_nat_result(m);
	m->u.nat.port_preserved = 3;
}

static void
brk_nat_first_trial(struct pkt_msg *m)
{
	build_nat_result(m);
	m->u.nat.trials[0] = 3;
}

static void
brk_nat_last_trial(struct pkt_msg *m)
{
	build_nat_result(m);
	m->u.nat.trials[PKT_NAT_TRIALS - 1] = 0xff;
}

static void
brk_nat_unterminated(struct pkt_msg *m)
{
	build_nat_result(m);
	memset(m->u.nat.assumed, 'a', sizeof(m->u.nat.assumed));
}

static void
brk_nat_control_char(struct pkt_msg *m)
{
	build_nat_result(m);
	strcpy(m->u.nat.assumed, "line\none");
}

static void
brk_nat_del(struct pkt_msg *m)
{
	build_nat_result(m);
	strcpy(m->u.nat.assumed, "x\x7f");
}

static void
brk_nat_high_bit(struct pkt_msg *m)
{
	build_nat_result(m);
	strcpy(m->u.nat.assumed, "caf\xc3\xa9");
}

static void
brk_lsa_origin_empty(struct pkt_msg *m)
{
	build_lsa(m);
	m->u.lsa.origin[0] = '\0';
}

static void
brk_lsa_origin_unterminated(struct pkt_msg *m)
{
	build_lsa(m);
	memset(m->u.lsa.origin, 'a', sizeof(m->u.lsa.origin));
}

static void
brk_lsa_origin_char(struct pkt_msg *m)
{
	build_lsa(m);
	strcpy(m->u.lsa.origin, "a/b");
}

static void
brk_lsa_ep_addr_only(struct pkt_msg *m)
{
	build_lsa(m);
	m->u.lsa.eps[0].port = 0;
}

static void
brk_lsa_ep_port_only(struct pkt_msg *m)
{
	build_lsa(m);
	m->u.lsa.eps[0].a.v4.s_addr = 0;
}

static void
brk_lsa_too_many_eps(struct pkt_msg *m)
{
	build_lsa(m);
	m->u.lsa.n_eps = PKT_LSA_EP_MAX + 1;
}

static void
brk_lsa_unset_ep(struct pkt_msg *m)
{
	build_lsa(m);
	memset(&m->u.lsa.eps[1], 0, sizeof(m->u.lsa.eps[1]));
}

static void
brk_lsa_v6_any(struct pkt_msg *m)
{
	build_lsa(m);
	memset(&m->u.lsa.eps[1].a.v6, 0, sizeof(m->u.lsa.eps[1].a.v6));
}

static void
brk_lsa_too_many_prefixes(struct pkt_msg *m)
{
	build_lsa(m);
	m->u.lsa.n_prefixes = PKT_LSA_PREFIX_MAX + 1;
}

static void
brk_lsa_plen(struct pkt_msg *m)
{
	build_lsa(m);
	m->u.lsa.prefixes[1].plen = 33;
}

static void
brk_lsa_host_bits(struct pkt_msg *m)
{
	build_lsa(m);
	m->u.lsa.prefixes[0].addr = ip4("10.1.2.1");
}

static void
brk_lsa_too_many_links(struct pkt_msg *m)
{
	build_lsa(m);
	m->u.lsa.n_links = PKT_LSA_LINK_MAX + 1;
}

static void
brk_lsa_peer_empty(struct pkt_msg *m)
{
	build_lsa(m);
	m->u.lsa.links[1].peer[0] = '\0';
}

static void
brk_lsa_peer_unterminated(struct pkt_msg *m)
{
	build_lsa(m);
	memset(m->u.lsa.links[0].peer, 'b', sizeof(m->u.lsa.links[0].peer));
}

static void
brk_lsa_peer_char(struct pkt_msg *m)
{
	build_lsa(m);
	strcpy(m->u.lsa.links[1].peer, "caf\xc3\xa9");
}

static void
brk_lsa_nat(struct pkt_msg *m)
{
	build_lsa(m);
	m->u.lsa.links[0].nat = NAT_BAD_HIGH;
}

static void
brk_lsa_cost(struct pkt_msg *m)
{
	build_lsa(m);
	m->u.lsa.links[1].cost = 0;
}

static void
brk_lsa_duplicate(struct pkt_msg *m)
{
	build_lsa(m);
	strcpy(m->u.lsa.links[1].peer, "b");
}

static void
brk_creq_src_empty(struct pkt_msg *m)
{
	build_conn_req(m);
	m->u.conn_req.src[0] = '\0';
}

static void
brk_creq_dst_unterminated(struct pkt_msg *m)
{
	build_conn_req(m);
	memset(m->u.conn_req.dst, 'd', sizeof(m->u.conn_req.dst));
}

static void
brk_creq_dst_char(struct pkt_msg *m)
{
	build_conn_req(m);
	strcpy(m->u.conn_req.dst, "d d");
}

static void
brk_creq_src_is_dst(struct pkt_msg *m)
{
	build_conn_req(m);
	strcpy(m->u.conn_req.dst, "a");
}

static void
brk_creq_cls(struct pkt_msg *m)
{
	build_conn_req(m);
	m->u.conn_req.cls = 5;
}

static void
brk_creq_src_nat(struct pkt_msg *m)
{
	build_conn_req(m);
	m->u.conn_req.src_nat = NAT_BAD_HIGH;
}

static void
brk_creq_path_nat(struct pkt_msg *m)
{
	build_conn_req(m);
	m->u.conn_req.path_nat = 0xff;
}

static void
brk_creq_no_path(struct pkt_msg *m)
{
	build_conn_req(m);
	m->u.conn_req.n_path = 0;
}

static void
brk_creq_long_path(struct pkt_msg *m)
{
	build_conn_req(m);
	m->u.conn_req.n_path = PKT_PATH_MAX + 1;
}

static void
brk_creq_path_name(struct pkt_msg *m)
{
	build_conn_req(m);
	strcpy(m->u.conn_req.path[1], "b:c");
}

static void
brk_creq_path_unset(struct pkt_msg *m)
{
	/* n_path counts an entry that was never filled in. */
	build_conn_req(m);
	m->u.conn_req.n_path = 3;
}

static void
brk_cresp_decision(struct pkt_msg *m)
{
	build_conn_resp(m);
	m->u.conn_resp.decision = 1;
}

static void
brk_cresp_direct(struct pkt_msg *m)
{
	build_conn_resp(m);
	m->u.conn_resp.direct = 2;
}

static void
brk_cresp_path_nat(struct pkt_msg *m)
{
	build_conn_resp(m);
	m->u.conn_resp.path_nat = NAT_BAD_HIGH;
}

static void
brk_cresp_src_nat(struct pkt_msg *m)
{
	build_conn_resp(m);
	m->u.conn_resp.src_nat = NAT_BAD_HIGH;
}

static void
brk_cresp_dst_nat(struct pkt_msg *m)
{
	build_conn_resp(m);
	m->u.conn_resp.dst_nat = NAT_BAD_HIGH;
}

static void
brk_cresp_reason_unterminated(struct pkt_msg *m)
{
	build_conn_resp(m);
	memset(m->u.conn_resp.reason, 'r', sizeof(m->u.conn_resp.reason));
}

static void
brk_cresp_reason_control(struct pkt_msg *m)
{
	build_conn_resp(m);
	strcpy(m->u.conn_resp.reason, "tab\there");
}

static void
brk_cresp_reason_del(struct pkt_msg *m)
{
	build_conn_resp(m);
	strcpy(m->u.conn_resp.reason, "x\x7f");
}

static void
brk_cresp_reason_high_bit(struct pkt_msg *m)
{
	build_conn_resp(m);
	strcpy(m->u.conn_resp.reason, "caf\xc3\xa9");
}

static void
brk_cresp_no_path(struct pkt_msg *m)
{
	build_conn_resp(m);
	m->u.conn_resp.n_path = 0;
}

static void
brk_cresp_long_path(struct pkt_msg *m)
{
	build_conn_resp(m);
	m->u.conn_resp.n_path = 0xff;
}

static void
brk_cresp_path_name(struct pkt_msg *m)
{
	build_conn_resp(m);
	m->u.conn_resp.path[2][0] = '\0';
}

static void
brk_echo_kind(struct pkt_msg *m)
{
	build_echo(m);
	m->u.echo.kind = 2;
}

static void
brk_echo_kind_ff(struct pkt_msg *m)
{
	build_echo_answer(m);
	m->u.echo.kind = 0xff;
}

static void
brk_echo_hops(struct pkt_msg *m)
{
	build_echo_answer(m);
	m->u.echo.hops = PKT_ECHO_HOPS_MAX + 1;
}

static void
brk_echo_hops_ff(struct pkt_msg *m)
{
	build_echo(m);
	m->u.echo.hops = 0xff;
}

static void
brk_echo_src_is_dst(struct pkt_msg *m)
{
	build_echo(m);
	strcpy(m->u.echo.dst, "a");
}

static void
brk_echo_no_path(struct pkt_msg *m)
{
	build_echo(m);
	m->u.echo.n_path = 0;
}

static void
brk_echo_long_path(struct pkt_msg *m)
{
	build_echo(m);
	m->u.echo.n_path = PKT_PATH_MAX + 1;
}

static void
brk_echo_src_empty(struct pkt_msg *m)
{
	build_echo(m);
	m->u.echo.src[0] = '\0';
}

static void
brk_echo_dst_empty(struct pkt_msg *m)
{
	build_echo(m);
	m->u.echo.dst[0] = '\0';
}

static void
brk_echo_dst_unterminated(struct pkt_msg *m)
{
	build_echo(m);
	memset(m->u.echo.dst, 'd', sizeof(m->u.echo.dst));
}

static void
brk_echo_src_char(struct pkt_msg *m)
{
	build_echo(m);
	strcpy(m->u.echo.src, "a b");
}

static void
brk_echo_path_empty(struct pkt_msg *m)
{
	build_echo(m);
	m->u.echo.path[2][0] = '\0';
}

static void
brk_echo_path_name(struct pkt_msg *m)
{
	build_echo(m);
	strcpy(m->u.echo.path[1], "b:c");
}

static void
brk_echo_path_unset(struct pkt_msg *m)
{
	/* n_path counts an entry that was never filled in. */
	build_echo(m);
	m->u.echo.n_path = 4;
}

static void (*const msg_breakers[])(struct pkt_msg *) = {
	brk_req_from, brk_req_from_ff, brk_req_addr_only, brk_req_port_only,
	brk_resp_status, brk_resp_from,
	brk_third_no_addr, brk_third_no_port, brk_third_unset,
	brk_nat_mapping, brk_nat_filtering, brk_nat_type, brk_nat_pp,
	brk_nat_first_trial, brk_nat_last_trial, brk_nat_unterminated,
	brk_nat_control_char, brk_nat_del, brk_nat_high_bit,
	brk_lsa_origin_empty, brk_lsa_origin_unterminated, brk_lsa_origin_char,
	brk_lsa_ep_addr_only, brk_lsa_ep_port_only, brk_lsa_too_many_eps,
	brk_lsa_unset_ep, brk_lsa_v6_any, brk_lsa_too_many_prefixes,
	brk_lsa_plen, brk_lsa_host_bits, brk_lsa_too_many_links,
	brk_lsa_peer_empty, brk_lsa_peer_unterminated, brk_lsa_peer_char,
	brk_lsa_nat, brk_lsa_cost, brk_lsa_duplicate,
	brk_creq_src_empty, brk_creq_dst_unterminated, brk_creq_dst_char,
	brk_creq_src_is_dst, brk_creq_cls, brk_creq_src_nat,
	brk_creq_path_nat, brk_creq_no_path, brk_creq_long_path,
	brk_creq_path_name, brk_creq_path_unset,
	brk_cresp_decision, brk_cresp_direct, brk_cresp_path_nat,
	brk_cresp_src_nat, brk_cresp_dst_nat, brk_cresp_reason_unterminated,
	brk_cresp_reason_control, brk_cresp_reason_del,
	brk_cresp_reason_high_bit, brk_cresp_no_path, brk_cresp_long_path,
	brk_cresp_path_name,
	brk_echo_kind, brk_echo_kind_ff, brk_echo_hops, brk_echo_hops_ff,
	brk_echo_src_is_dst, brk_echo_no_path, brk_echo_long_path,
	brk_echo_src_empty, brk_echo_dst_empty, brk_echo_dst_unterminated,
	brk_echo_src_char, brk_echo_path_empty, brk_echo_path_name,
	brk_echo_path_unset,
};
#define NMSGBREAKERS \
	((int)(sizeof(msg_breakers) / sizeof(msg_breakers[0])))

START_TEST(encode_rejects_invalid_field)
{
	struct pkt_msg m;
	uint8_t out[256];

	memset(&m, 0, sizeof(m));
	msg_breakers[_i](&m);
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
}
END_TEST

START_TEST(encode_nat_assumed_at_max)
{
	struct pkt_msg m, back;
	uint8_t *out;
	const char *why;
	const size_t want = OFF_NAT_TEXT + PKT_NAT_ASSUMED_MAX;

	memset(&m, 0, sizeof(m));
	build_nat_result(&m);
	memset(m.u.nat.assumed, '~', PKT_NAT_ASSUMED_MAX);
	m.u.nat.assumed[PKT_NAT_ASSUMED_MAX] = '\0';
	out = malloc(want);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(pkt_msg_encode(&m, out, want - 1), -1);
	ck_assert_int_eq(pkt_msg_encode(&m, out, want), (int)want);
	ck_assert_uint_eq(out[OFF_NAT_ALEN], PKT_NAT_ASSUMED_MAX);
	ck_assert_int_eq(msg_dec(out, want, &back, &why), 0);
	assert_msg_eq(&back, &m);
	free(out);
}
END_TEST

START_TEST(encode_nat_assumed_stops_at_nul)
{
	struct pkt_msg m;
	uint8_t out[256];

	/* Bytes after the terminator, printable or not, are not sent. */
	memset(&m, 0, sizeof(m));
	build_nat_result(&m);
	memcpy(m.u.nat.assumed + sizeof("alt addr untested"), "\xff\n", 2);
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)),
	    (int)sizeof(g_nat_result));
	ck_assert_mem_eq(out, g_nat_result, sizeof(g_nat_result));
}
END_TEST

/*
 * A message followed by spare bytes, so that an entry can be planted just
 * past an array even when that array ends the union's largest member (the
 * LSA's links).
 */
static struct {
	struct pkt_msg	m;
	uint8_t		spare[sizeof(struct pkt_lsa_link)];
} roomy;

/* Writes n bytes at offset off from the start of roomy.m's union. */
static void
plant(size_t off, const void *src, size_t n)
{
	size_t base = offsetof(struct pkt_msg, u);

	ck_assert_uint_le(base + off + n, sizeof(roomy));
	memcpy((uint8_t *)&roomy + base + off, src, n);
}

START_TEST(encode_rejects_counts_over_max)
{
	struct pkt_msg *m = &roomy.m;
	static uint8_t out[8192];
	struct pkt_lsa_link lk;
	struct pkt_lsa_prefix pf;
	char name[PKT_NAME_MAX + 1];

	/*
	 * Each count one over its maximum, with a valid-looking entry in
	 * the bytes just past the array so only the count check can reject
	 * it.  Each is first shown to encode at the maximum.
	 */
	memset(&roomy, 0, sizeof(roomy));
	build_full_lsa(m);
	ck_assert_int_eq(pkt_msg_encode(m, out, sizeof(out)), FULL_LSA_LEN);
	memset(&lk, 0, sizeof(lk));
	strcpy(lk.peer, "extra");
	lk.nat = NAT_TYPE_OPEN;
	lk.cost = 1;
	plant(offsetof(struct pkt_lsa, links) +
	    PKT_LSA_LINK_MAX * sizeof(lk), &lk, sizeof(lk));
	m->u.lsa.n_links = PKT_LSA_LINK_MAX + 1;
	ck_assert_int_eq(pkt_msg_encode(m, out, sizeof(out)), -1);

	memset(&roomy, 0, sizeof(roomy));
	build_full_lsa(m);
	memset(&pf, 0, sizeof(pf));	/* 0.0.0.0/0; also zeroes n_links */
	plant(offsetof(struct pkt_lsa, prefixes) +
	    PKT_LSA_PREFIX_MAX * sizeof(pf), &pf, sizeof(pf));
	m->u.lsa.n_links = 0;
	ck_assert_int_gt(pkt_msg_encode(m, out, sizeof(out)), 0);
	m->u.lsa.n_prefixes = PKT_LSA_PREFIX_MAX + 1;
	ck_assert_int_eq(pkt_msg_encode(m, out, sizeof(out)), -1);

	memset(name, 0, sizeof(name));
	strcpy(name, "extra");
	memset(&roomy, 0, sizeof(roomy));
	build_full_conn_req(m);
	ck_assert_int_eq(pkt_msg_encode(m, out, sizeof(out)), FULL_CREQ_LEN);
	plant(offsetof(struct pkt_conn_req, path) +
	    PKT_PATH_MAX * sizeof(name), name, sizeof(name));
	m->u.conn_req.n_path = PKT_PATH_MAX + 1;
	ck_assert_int_eq(pkt_msg_encode(m, out, sizeof(out)), -1);

	memset(&roomy, 0, sizeof(roomy));
	build_full_conn_resp(m);
	ck_assert_int_eq(pkt_msg_encode(m, out, sizeof(out)), FULL_CRESP_LEN);
	plant(offsetof(struct pkt_conn_resp, path) +
	    PKT_PATH_MAX * sizeof(name), name, sizeof(name));
	m->u.conn_resp.n_path = PKT_PATH_MAX + 1;
	ck_assert_int_eq(pkt_msg_encode(m, out, sizeof(out)), -1);

	memset(&roomy, 0, sizeof(roomy));
	build_full_echo(m);
	ck_assert_int_eq(pkt_msg_encode(m, out, sizeof(out)), FULL_ECHO_LEN);
	plant(offsetof(struct pkt_echo, path) +
	    PKT_PATH_MAX * sizeof(name), name, sizeof(name));
	m->u.echo.n_path = PKT_PATH_MAX + 1;
	ck_assert_int_eq(pkt_msg_encode(m, out, sizeof(out)), -1);
}
END_TEST

START_TEST(encode_echo_limits)
{
	struct pkt_msg m;
	uint8_t out[256];

	/* Each refusal next to its accepted neighbour, so both are seen. */
	memset(&m, 0, sizeof(m));
	build_echo(&m);
	m.u.echo.kind = PKT_ECHO_ANSWER;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)),
	    (int)sizeof(g_echo));
	ck_assert_uint_eq(out[OFF_ECHO_KIND], 1);
	m.u.echo.kind = 2;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);

	build_echo(&m);
	m.u.echo.hops = PKT_ECHO_HOPS_MAX;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)),
	    (int)sizeof(g_echo));
	ck_assert_uint_eq(out[OFF_ECHO_HOPS], 32);
	m.u.echo.hops = 33;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);

	build_echo(&m);
	strcpy(m.u.echo.dst, "A");
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)),
	    (int)sizeof(g_echo));
	strcpy(m.u.echo.dst, "a");
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);

	build_echo(&m);
	m.u.echo.n_path = 1;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)),
	    OFF_ECHO_PATH0 + 2);
	ck_assert_uint_eq(out[OFF_ECHO_NPATH], 1);
	m.u.echo.n_path = 0;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	m.u.echo.n_path = PKT_PATH_MAX + 1;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);

	build_echo(&m);
	m.u.echo.src[0] = '\0';
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	build_echo(&m);
	m.u.echo.path[0][0] = '\0';
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
}
END_TEST

START_TEST(encode_conn_resp_reason_stops_at_nul)
{
	struct pkt_msg m;
	uint8_t out[256];

	/* Bytes after the terminator, printable or not, are not sent. */
	memset(&m, 0, sizeof(m));
	build_conn_resp(&m);
	memcpy(m.u.conn_resp.reason + sizeof("relay via b"), "\xff\n", 2);
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)),
	    (int)sizeof(g_conn_resp));
	ck_assert_mem_eq(out, g_conn_resp, sizeof(g_conn_resp));
}
END_TEST

START_TEST(encode_ignores_unused_entries)
{
	struct pkt_msg m;
	uint8_t out[256];

	/* Garbage past n_prefixes, n_links and n_path is never looked at. */
	memset(&m, 0xa5, sizeof(m));
	build_lsa(&m);
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)),
	    (int)sizeof(g_lsa));
	ck_assert_mem_eq(out, g_lsa, sizeof(g_lsa));
	memset(&m, 0xa5, sizeof(m));
	build_conn_req(&m);
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)),
	    (int)sizeof(g_conn_req));
	ck_assert_mem_eq(out, g_conn_req, sizeof(g_conn_req));
	memset(&m, 0xa5, sizeof(m));
	build_conn_resp_min(&m);
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)),
	    (int)sizeof(g_conn_resp_min));
	ck_assert_mem_eq(out, g_conn_resp_min, sizeof(g_conn_resp_min));
	memset(&m, 0xa5, sizeof(m));
	build_echo(&m);
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)),
	    (int)sizeof(g_echo));
	ck_assert_mem_eq(out, g_echo, sizeof(g_echo));
}
END_TEST

START_TEST(encode_accepts_any_info)
{
	struct pkt_msg m;
	uint8_t out[32];
	static const uint8_t want[] = {
		0x06, 0x00, 0x01, 0x04, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01,
	};

	memset(&m, 0, sizeof(m));
	m.type = PKT_MSG_INFO;
	m.u.info.alt_port = 1;
	m.u.info.alt_addr = ep_of("255.255.255.255", 1);
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)),
	    (int)sizeof(want));
	ck_assert_mem_eq(out, want, sizeof(want));
	/* a half-set endpoint is refused, not sent */
	m.u.info.alt_addr.port = 0;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
}
END_TEST

/* ---- NAT types: enum nat_type in the structs, minus one on the wire ---- */

/*
 * Every NAT type field of every message: the golden it is tested in, its
 * byte there, where struct pkt_msg holds it, and the decoder's reason for
 * a byte outside 0-5.
 */
static const struct nat_field {
	const char	*name;
	void		(*build)(struct pkt_msg *);
	const uint8_t	*golden;
	size_t		 len;
	size_t		 off;
	size_t		 field;		/* offsetof(struct pkt_msg, ...) */
	const char	*why;
} nat_fields[] = {
#define NF(name, build, g, off, member, why) \
	{ name, build, g, sizeof(g), off, offsetof(struct pkt_msg, member), why }
	NF("nat_result type", build_nat_result, g_nat_result, OFF_NAT_TYPE,
	    u.nat.type, "unknown nat type"),
	NF("nat_result_zero type", build_nat_result_zero, g_nat_result_zero,
	    OFF_NAT_TYPE, u.nat.type, "unknown nat type"),
	NF("lsa link 0 nat", build_lsa, g_lsa, OFF_LSA_NAT0,
	    u.lsa.links[0].nat, "unknown link nat type"),
	NF("lsa link 1 nat", build_lsa, g_lsa, OFF_LSA_NAT1,
	    u.lsa.links[1].nat, "unknown link nat type"),
	NF("conn_req src_nat", build_conn_req, g_conn_req, OFF_CREQ_SRC_NAT,
	    u.conn_req.src_nat, "unknown source nat type"),
	NF("conn_req path_nat", build_conn_req, g_conn_req, OFF_CREQ_PATH_NAT,
	    u.conn_req.path_nat, "unknown path nat type"),
	NF("conn_resp path_nat", build_conn_resp, g_conn_resp,
	    OFF_CRESP_PATH_NAT, u.conn_resp.path_nat, "unknown path nat type"),
	NF("conn_resp src_nat", build_conn_resp, g_conn_resp,
	    OFF_CRESP_SRC_NAT, u.conn_resp.src_nat,
	    "unknown source nat type"),
	NF("conn_resp dst_nat", build_conn_resp, g_conn_resp,
	    OFF_CRESP_DST_NAT, u.conn_resp.dst_nat,
	    "unknown destination nat type"),
#undef NF
};
#define NNATFIELDS	((int)(sizeof(nat_fields) / sizeof(nat_fields[0])))

static enum nat_type *
nat_at(struct pkt_msg *m, const struct nat_field *f)
{
	return (enum nat_type *)(void *)((char *)m + f->field);
}

/* The index in nat_wire[] of the type sent as byte w, or -1. */
static int
nat_wire_find(unsigned w)
{
	int i;

	for (i = 0; i < NNATWIRE; i++)
		if (nat_wire[i].wire == w)
			return i;
	return -1;
}

START_TEST(nat_field_round_trips_every_type)
{
	const struct nat_field *f = &nat_fields[_i];
	struct pkt_msg m, back;
	uint8_t want[256], out[256];
	const char *why;
	int i;

	ck_assert_uint_le(f->len, sizeof(want));
	for (i = 0; i < NNATWIRE; i++) {
		memset(&m, 0, sizeof(m));
		f->build(&m);
		*nat_at(&m, f) = nat_wire[i].type;
		/* The golden with this field's byte alone changed. */
		memcpy(want, f->golden, f->len);
		want[f->off] = nat_wire[i].wire;
		ck_assert_msg(pkt_msg_encode(&m, out, sizeof(out)) ==
		    (int)f->len, "%s %s: not encoded", f->name,
		    nat_type_name(nat_wire[i].type));
		ck_assert_mem_eq(out, want, f->len);
		ck_assert_msg(msg_dec(out, f->len, &back, &why) == 0,
		    "%s %s: %s", f->name, nat_type_name(nat_wire[i].type),
		    why);
		ck_assert_uint_eq(*nat_at(&back, f), nat_wire[i].type);
		assert_msg_eq(&back, &m);
	}
}
END_TEST

START_TEST(decode_rejects_nat_byte_out_of_range)
{
	const struct nat_field *f = &nat_fields[_i];
	uint8_t p[256];
	struct pkt_msg m;
	const char *why;
	unsigned v;
	int k;

	ck_assert_uint_le(f->len, sizeof(p));
	for (v = 0; v <= UINT8_MAX; v++) {
		memcpy(p, f->golden, f->len);
		p[f->off] = (uint8_t)v;
		if ((k = nat_wire_find(v)) == -1) {
			msg_rejects(p, f->len, f->why);
			continue;
		}
		ck_assert_msg(msg_dec(p, f->len, &m, &why) == 0,
		    "%s byte %u: %s", f->name, v, why);
		ck_assert_uint_eq(*nat_at(&m, f), nat_wire[k].type);
	}
}
END_TEST

START_TEST(encode_rejects_nat_type_outside_enum)
{
	const struct nat_field *f = &nat_fields[_i];
	/* 0 is no type; 0x101 would pass as 0x00 if cut to a byte. */
	const enum nat_type bad[] = { (enum nat_type)0, NAT_BAD_HIGH,
	    (enum nat_type)0xff, (enum nat_type)(0x100 + NAT_TYPE_OPEN),
	    (enum nat_type)-1 };
	struct pkt_msg m;
	uint8_t out[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&m, 0, sizeof(m));
		f->build(&m);
		*nat_at(&m, f) = bad[i];
		ck_assert_msg(pkt_msg_encode(&m, out, sizeof(out)) == -1,
		    "%s = %u encoded", f->name, (unsigned)bad[i]);
	}
}
END_TEST

/* fuzz_pkt found it: padding that is not zero decoded, then re-encoded as
   zeros (two encodings of one message). */
START_TEST(mtu_probe_padding_must_be_zero)
{
	uint8_t b[1 + 4 + 2 + 40];
	struct pkt_msg m;
	const char *why = NULL;

	memset(b, 0, sizeof(b));
	b[0] = PKT_MSG_MTU_PROBE;
	b[5] = 1400 >> 8;
	b[6] = 1400 & 0xff;
	ck_assert_int_eq(pkt_msg_decode(b, sizeof(b), &m, &why), 0);
	ck_assert_uint_eq(m.u.mtu.size, 1400);
	ck_assert_uint_eq(m.u.mtu.pad, 40);
	b[sizeof(b) - 1] = 0x07;
	ck_assert_int_eq(pkt_msg_decode(b, sizeof(b), &m, &why), -1);
	ck_assert_str_eq(why, "path MTU probe padding not zero");
}
END_TEST

/* A rekey's handshake message: session, then 1..PKT_REKEY_REC_MAX bytes. */
START_TEST(rekey_round_trips_and_rejects_bad_fields)
{
	static uint8_t rec[PKT_REKEY_REC_MAX + 1], out[PKT_REKEY_REC_MAX + 16];
	struct pkt_msg m = { .type = PKT_MSG_REKEY }, d;
	const char *why = NULL;
	int n;

	for (size_t i = 0; i < sizeof(rec); i++)
		rec[i] = (uint8_t)i;
	m.u.rekey.session = 0xa1b2c3d4;
	m.u.rekey.rec = rec;
	m.u.rekey.len = PKT_REKEY_REC_MAX;
	n = pkt_msg_encode(&m, out, sizeof(out));
	ck_assert_int_eq(n, 1 + 4 + PKT_REKEY_REC_MAX);
	ck_assert_uint_eq(out[0], PKT_MSG_REKEY);
	ck_assert_uint_eq(out[1], 0xa1);
	ck_assert_uint_eq(out[4], 0xd4);
	ck_assert_int_eq(pkt_msg_decode(out, (size_t)n, &d, &why), 0);
	ck_assert_uint_eq(d.u.rekey.session, 0xa1b2c3d4);
	ck_assert_uint_eq(d.u.rekey.len, PKT_REKEY_REC_MAX);
	ck_assert_mem_eq(d.u.rekey.rec, rec, PKT_REKEY_REC_MAX);
	/* truncated at every offset up to the first record byte */
	for (int i = 0; i <= 5; i++)
		ck_assert_int_eq(pkt_msg_decode(out, (size_t)i, &d, &why), -1);
	/* session 0 */
	memset(out + 1, 0, 4);
	ck_assert_int_eq(pkt_msg_decode(out, 6, &d, &why), -1);
	ck_assert_str_eq(why, "rekey session 0");
	/* too long */
	out[1] = 1;
	ck_assert_int_eq(pkt_msg_decode(out, (size_t)n, &d, &why), 0);
	memset(out, 0, sizeof(out));
	out[0] = PKT_MSG_REKEY;
	out[1] = 1;
	ck_assert_int_eq(pkt_msg_decode(out, 5 + PKT_REKEY_REC_MAX + 1, &d,
	    &why), -1);
	/* the encoder refuses what the decoder would */
	m.u.rekey.len = PKT_REKEY_REC_MAX + 1;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	m.u.rekey.len = 0;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
	m.u.rekey.len = 1;
	m.u.rekey.session = 0;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
}
END_TEST

/* A move: the successor session, never 0, and nothing after it. */
START_TEST(move_round_trips_and_rejects_bad_fields)
{
	struct pkt_msg m = { .type = PKT_MSG_MOVE }, d;
	uint8_t out[16];
	const char *why = NULL;
	int n;

	m.u.move = 0xa1b2c3d4;
	n = pkt_msg_encode(&m, out, sizeof(out));
	ck_assert_int_eq(n, 5);
	ck_assert_uint_eq(out[0], PKT_MSG_MOVE);
	ck_assert_uint_eq(out[1], 0xa1);
	ck_assert_uint_eq(out[4], 0xd4);
	ck_assert_int_eq(pkt_msg_decode(out, 5, &d, &why), 0);
	ck_assert_uint_eq(d.type, PKT_MSG_MOVE);
	ck_assert_uint_eq(d.u.move, 0xa1b2c3d4);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(pkt_msg_decode(out, (size_t)i, &d, &why), -1);
	out[5] = 0;
	ck_assert_int_eq(pkt_msg_decode(out, 6, &d, &why), -1);
	memset(out + 1, 0, 4);
	ck_assert_int_eq(pkt_msg_decode(out, 5, &d, &why), -1);
	ck_assert_str_eq(why, "move session 0");
	m.u.move = 0;
	ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), -1);
}
END_TEST

/*
 * Features: one byte of flags, every value kept (an older sender knows
 * fewer, a newer more), nothing after it.
 */
START_TEST(features_round_trip_and_reject_bad_lengths)
{
	struct pkt_msg m = { .type = PKT_MSG_FEATURES }, d;
	uint8_t out[8];
	const char *why = NULL;

	for (unsigned v = 0; v < 256; v++) {
		m.u.features = (uint8_t)v;
		ck_assert_int_eq(pkt_msg_encode(&m, out, sizeof(out)), 2);
		ck_assert_uint_eq(out[0], PKT_MSG_FEATURES);
		ck_assert_uint_eq(out[1], v);
		ck_assert_int_eq(pkt_msg_decode(out, 2, &d, &why), 0);
		ck_assert_uint_eq(d.type, PKT_MSG_FEATURES);
		ck_assert_uint_eq(d.u.features, v);
	}
	ck_assert_int_eq(pkt_msg_decode(out, 1, &d, &why), -1);
	out[2] = 0;
	ck_assert_int_eq(pkt_msg_decode(out, 3, &d, &why), -1);
	ck_assert_int_eq(pkt_msg_encode(&m, out, 1), -1);
	/* HC and HC_SET are lib/hc.c's to read: never a pkt_msg */
	out[0] = PKT_MSG_HC;
	ck_assert_int_eq(pkt_msg_decode(out, 2, &d, &why), -1);
	out[0] = PKT_MSG_HC_SET;
	ck_assert_int_eq(pkt_msg_decode(out, 2, &d, &why), -1);
}
END_TEST

/* ---- suite ------------------------------------------------------------- */

static void
add(Suite *s, const char *name, const TTest *t)
{
	TCase *tc = tcase_create(name);

	tcase_add_test(tc, t);
	suite_add_tcase(s, tc);
}

static void
add_loop(Suite *s, const char *name, const TTest *t, int n)
{
	TCase *tc = tcase_create(name);

	tcase_add_loop_test(tc, t, 0, n);
	suite_add_tcase(s, tc);
}

static Suite *
pkt_suite(void)
{
	Suite *s = suite_create("pkt");

	add(s, "hdr_decode_reads_golden_hs", hdr_decode_reads_golden_hs);
	add(s, "hdr_decode_reads_golden_sealed",
	    hdr_decode_reads_golden_sealed);
	add(s, "hdr_decode_reads_golden_probe",
	    hdr_decode_reads_golden_probe);
	add(s, "hdr_decode_reads_golden_punch",
	    hdr_decode_reads_golden_punch);
	add(s, "hdr_encode_matches_golden", hdr_encode_matches_golden);
	add(s, "hdr_decode_rejects_truncated", hdr_decode_rejects_truncated);
	add(s, "hdr_decode_rejects_unknown_version",
	    hdr_decode_rejects_unknown_version);
	add(s, "hdr_decode_rejects_unknown_type",
	    hdr_decode_rejects_unknown_type);
	add(s, "hdr_cookie_types", hdr_cookie_types);
	add(s, "hdr_decode_rejects_empty_hs_body",
	    hdr_decode_rejects_empty_hs_body);
	add(s, "hdr_decode_rejects_sealed_body_shorter_than_tag",
	    hdr_decode_rejects_sealed_body_shorter_than_tag);
	add(s, "hdr_decode_rejects_probe_session_not_zero",
	    hdr_decode_rejects_probe_session_not_zero);
	add(s, "hdr_decode_rejects_probe_bad_length",
	    hdr_decode_rejects_probe_bad_length);
	add(s, "hdr_decode_rejects_oversized_datagram",
	    hdr_decode_rejects_oversized_datagram);
	add(s, "hdr_encode_fails_without_space",
	    hdr_encode_fails_without_space);
	add(s, "hdr_encode_probe_fails_without_space",
	    hdr_encode_probe_fails_without_space);
	add(s, "hdr_encode_rejects_unknown_type",
	    hdr_encode_rejects_unknown_type);
	add(s, "hdr_encode_rejects_probe_session_not_zero",
	    hdr_encode_rejects_probe_session_not_zero);

	add_loop(s, "msg_encode_matches_golden", msg_encode_matches_golden,
	    NGOLDEN);
	add_loop(s, "msg_decode_matches_golden", msg_decode_matches_golden,
	    NGOLDEN);
	add_loop(s, "msg_round_trips", msg_round_trips, NGOLDEN);
	add_loop(s, "msg_decode_rejects_truncated",
	    msg_decode_rejects_truncated, NGOLDEN);
	add_loop(s, "msg_decode_rejects_trailing_bytes",
	    msg_decode_rejects_trailing_bytes, NGOLDEN);
	add_loop(s, "msg_encode_fails_without_space",
	    msg_encode_fails_without_space, NGOLDEN);

	add(s, "decode_rejects_empty_message", decode_rejects_empty_message);
	add(s, "decode_rejects_unknown_message_type",
	    decode_rejects_unknown_message_type);
	add(s, "decode_rejects_short_data", decode_rejects_short_data);
	add(s, "decode_accepts_largest_data", decode_accepts_largest_data);
	add(s, "origin_id_is_fnv1a_of_the_name", origin_id_is_fnv1a_of_the_name);
	add(s, "decode_rejects_unknown_close_reason",
	    decode_rejects_unknown_close_reason);
	add(s, "decode_accepts_any_info", decode_accepts_any_info);
	add(s, "decode_rejects_probe_req_unknown_from",
	    decode_rejects_probe_req_unknown_from);
	add(s, "decode_rejects_probe_req_half_target",
	    decode_rejects_probe_req_half_target);
	add(s, "decode_rejects_probe_resp_unknown_status",
	    decode_rejects_probe_resp_unknown_status);
	add(s, "decode_rejects_probe_resp_unknown_from",
	    decode_rejects_probe_resp_unknown_from);
	add(s, "decode_rejects_third_req_missing_target",
	    decode_rejects_third_req_missing_target);
	add(s, "decode_rejects_nat_unknown_mapping",
	    decode_rejects_nat_unknown_mapping);
	add(s, "decode_rejects_nat_unknown_filtering",
	    decode_rejects_nat_unknown_filtering);
	add(s, "decode_rejects_nat_unknown_type",
	    decode_rejects_nat_unknown_type);
	add(s, "decode_rejects_nat_unknown_port_preserved",
	    decode_rejects_nat_unknown_port_preserved);
	add(s, "decode_rejects_nat_unknown_trial_outcome",
	    decode_rejects_nat_unknown_trial_outcome);
	add(s, "decode_rejects_nat_assumed_too_long",
	    decode_rejects_nat_assumed_too_long);
	add(s, "decode_rejects_nat_assumed_truncated",
	    decode_rejects_nat_assumed_truncated);
	add(s, "decode_rejects_nat_assumed_bad_chars",
	    decode_rejects_nat_assumed_bad_chars);
	add(s, "decode_accepts_every_printable_assumed_char",
	    decode_accepts_every_printable_assumed_char);

	add(s, "big_msg_sizes", big_msg_sizes);
	add_loop(s, "big_msg_round_trips", big_msg_round_trips, NBIG);
	add_loop(s, "big_msg_encode_fails_without_space",
	    big_msg_encode_fails_without_space, NBIG);
	add_loop(s, "big_msg_decode_rejects_truncated",
	    big_msg_decode_rejects_truncated, NBIG);
	add_loop(s, "big_msg_decode_rejects_trailing_bytes",
	    big_msg_decode_rejects_trailing_bytes, NBIG);
	add(s, "decode_rejects_lsa_bad_origin", decode_rejects_lsa_bad_origin);
	add(s, "decode_rejects_lsa_half_endpoint",
	    decode_rejects_lsa_half_endpoint);
	add(s, "decode_rejects_lsa_too_many_prefixes",
	    decode_rejects_lsa_too_many_prefixes);
	add(s, "decode_rejects_lsa_cert_and_sig_too_long",
	    decode_rejects_lsa_cert_and_sig_too_long);
	add(s, "decode_rejects_lsa_plen_over_32",
	    decode_rejects_lsa_plen_over_32);
	add(s, "decode_rejects_lsa_host_bits", decode_rejects_lsa_host_bits);
	add(s, "decode_rejects_lsa6_prefix", decode_rejects_lsa6_prefix);
	add(s, "tbs_of_full_ipv6_lsa_fits", tbs_of_full_ipv6_lsa_fits);
	add(s, "decode_rejects_lsa_too_many_links",
	    decode_rejects_lsa_too_many_links);
	add(s, "decode_rejects_lsa_bad_peer_name",
	    decode_rejects_lsa_bad_peer_name);
	add(s, "decode_rejects_lsa_unknown_link_nat",
	    decode_rejects_lsa_unknown_link_nat);
	add(s, "decode_rejects_lsa_zero_cost", decode_rejects_lsa_zero_cost);
	add(s, "decode_rejects_lsa_duplicate_peer",
	    decode_rejects_lsa_duplicate_peer);
	add(s, "decode_rejects_conn_req_bad_names",
	    decode_rejects_conn_req_bad_names);
	add(s, "decode_rejects_conn_req_src_is_dst",
	    decode_rejects_conn_req_src_is_dst);
	add(s, "decode_rejects_conn_req_unknown_class",
	    decode_rejects_conn_req_unknown_class);
	add(s, "decode_rejects_conn_req_unknown_nat",
	    decode_rejects_conn_req_unknown_nat);
	add(s, "decode_rejects_conn_req_bad_path_len",
	    decode_rejects_conn_req_bad_path_len);
	add(s, "decode_rejects_conn_req_bad_path_name",
	    decode_rejects_conn_req_bad_path_name);
	add(s, "decode_accepts_any_conn_endpoints",
	    decode_accepts_any_conn_endpoints);
	add(s, "conn_req_ipv6_inner_addresses_round_trip",
	    conn_req_ipv6_inner_addresses_round_trip);
	add(s, "decode_rejects_conn_req_unknown_inner_family",
	    decode_rejects_conn_req_unknown_inner_family);
	add(s, "encode_rejects_mixed_inner_families",
	    encode_rejects_mixed_inner_families);
	add(s, "decode_rejects_conn_resp_unknown_decision",
	    decode_rejects_conn_resp_unknown_decision);
	add(s, "decode_rejects_conn_resp_bad_direct",
	    decode_rejects_conn_resp_bad_direct);
	add(s, "decode_rejects_conn_resp_unknown_nat",
	    decode_rejects_conn_resp_unknown_nat);
	add(s, "decode_rejects_conn_resp_reason_too_long",
	    decode_rejects_conn_resp_reason_too_long);
	add(s, "decode_rejects_conn_resp_reason_bad_chars",
	    decode_rejects_conn_resp_reason_bad_chars);
	add(s, "decode_accepts_every_printable_reason_char",
	    decode_accepts_every_printable_reason_char);
	add(s, "decode_rejects_conn_resp_bad_path_len",
	    decode_rejects_conn_resp_bad_path_len);
	add(s, "decode_rejects_conn_resp_bad_path_name",
	    decode_rejects_conn_resp_bad_path_name);
	add(s, "decode_reads_echo_fields", decode_reads_echo_fields);
	add(s, "decode_rejects_echo_unknown_kind",
	    decode_rejects_echo_unknown_kind);
	add(s, "decode_rejects_echo_too_many_hops",
	    decode_rejects_echo_too_many_hops);
	add(s, "decode_rejects_echo_bad_names", decode_rejects_echo_bad_names);
	add(s, "decode_rejects_echo_src_is_dst",
	    decode_rejects_echo_src_is_dst);
	add(s, "decode_rejects_echo_bad_path_len",
	    decode_rejects_echo_bad_path_len);
	add(s, "decode_rejects_echo_bad_path_name",
	    decode_rejects_echo_bad_path_name);
	add(s, "decode_accepts_any_echo_id_and_time",
	    decode_accepts_any_echo_id_and_time);

	add(s, "encode_rejects_unknown_type", encode_rejects_unknown_type);
	add(s, "encode_rejects_bad_data", encode_rejects_bad_data);
	add(s, "encode_rejects_unknown_close_reason",
	    encode_rejects_unknown_close_reason);
	add_loop(s, "encode_rejects_invalid_field",
	    encode_rejects_invalid_field, NMSGBREAKERS);
	add(s, "encode_nat_assumed_at_max", encode_nat_assumed_at_max);
	add(s, "encode_nat_assumed_stops_at_nul",
	    encode_nat_assumed_stops_at_nul);
	add(s, "encode_rejects_counts_over_max",
	    encode_rejects_counts_over_max);
	add(s, "encode_echo_limits", encode_echo_limits);
	add(s, "encode_conn_resp_reason_stops_at_nul",
	    encode_conn_resp_reason_stops_at_nul);
	add(s, "encode_ignores_unused_entries", encode_ignores_unused_entries);
	add(s, "encode_accepts_any_info", encode_accepts_any_info);
	add(s, "mtu_probe_padding_must_be_zero", mtu_probe_padding_must_be_zero);
	add(s, "rekey_round_trips_and_rejects_bad_fields",
	    rekey_round_trips_and_rejects_bad_fields);
	add(s, "move_round_trips_and_rejects_bad_fields",
	    move_round_trips_and_rejects_bad_fields);
	add(s, "features_round_trip_and_reject_bad_lengths",
	    features_round_trip_and_reject_bad_lengths);

	add_loop(s, "nat_field_round_trips_every_type",
	    nat_field_round_trips_every_type, NNATFIELDS);
	add_loop(s, "decode_rejects_nat_byte_out_of_range",
	    decode_rejects_nat_byte_out_of_range, NNATFIELDS);
	add_loop(s, "encode_rejects_nat_type_outside_enum",
	    encode_rejects_nat_type_outside_enum, NNATFIELDS);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pkt_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
