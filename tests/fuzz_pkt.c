/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for lib/pkt.c.  Arbitrary bytes go
 * through the header and message decoders; whatever decodes must re-encode
 * to the same bytes (the encoding is canonical) and decode again to an
 * equal message.  Any mismatch aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pkt.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Also checks what the decoder promises: terminated, printable text. */
static bool
nat_equal(const struct pkt_nat_result *a, const struct pkt_nat_result *b)
{
	const char *nul = memchr(a->assumed, '\0', sizeof(a->assumed));
	size_t i;

	if (nul == NULL)
		return false;
	for (i = 0; a->assumed[i] != '\0'; i++)
		if (a->assumed[i] < 0x20 || a->assumed[i] > 0x7e)
			return false;
	return a->mapping == b->mapping && a->filtering == b->filtering &&
	    a->type == b->type && a->port_preserved == b->port_preserved &&
	    a->lifetime_s == b->lifetime_s &&
	    memcmp(a->trials, b->trials, sizeof(a->trials)) == 0 &&
	    a->mapped_addr.s_addr == b->mapped_addr.s_addr &&
	    a->mapped_port == b->mapped_port &&
	    strcmp(a->assumed, b->assumed) == 0;
}

static bool
msg_equal(const struct pkt_msg *a, const struct pkt_msg *b)
{
	uint16_t i;

	if (a->type != b->type)
		return false;
	switch (a->type) {
	case PKT_MSG_KEEPALIVE:
	case PKT_MSG_KEEPALIVE_ACK:
		return a->u.ka.id == b->u.ka.id &&
		    a->u.ka.time_us == b->u.ka.time_us &&
		    a->u.ka.interval_ms == b->u.ka.interval_ms;
	case PKT_MSG_ANNOUNCE:
		if (a->u.ann.seq != b->u.ann.seq ||
		    a->u.ann.count != b->u.ann.count)
			return false;
		for (i = 0; i < a->u.ann.count; i++) {
			const struct pkt_route *x = &a->u.ann.routes[i];
			const struct pkt_route *y = &b->u.ann.routes[i];

			if (x->plen != y->plen ||
			    x->addr.s_addr != y->addr.s_addr ||
			    x->hops != y->hops ||
			    strcmp(x->origin, y->origin) != 0)
				return false;
		}
		return true;
	case PKT_MSG_DATA:
		return a->u.data.ttl == b->u.data.ttl &&
		    a->u.data.ip_len == b->u.data.ip_len &&
		    memcmp(a->u.data.ip, b->u.data.ip, a->u.data.ip_len) == 0;
	case PKT_MSG_CLOSE:
		return a->u.close_reason == b->u.close_reason;
	case PKT_MSG_INFO:
		return a->u.info.alt_port == b->u.info.alt_port &&
		    a->u.info.alt_addr.s_addr == b->u.info.alt_addr.s_addr;
	case PKT_MSG_PROBE_REQ:
		return a->u.probe_req.id == b->u.probe_req.id &&
		    a->u.probe_req.from == b->u.probe_req.from &&
		    a->u.probe_req.target_addr.s_addr ==
		    b->u.probe_req.target_addr.s_addr &&
		    a->u.probe_req.target_port == b->u.probe_req.target_port;
	case PKT_MSG_PROBE_RESP:
		return a->u.probe_resp.id == b->u.probe_resp.id &&
		    a->u.probe_resp.status == b->u.probe_resp.status &&
		    a->u.probe_resp.from == b->u.probe_resp.from &&
		    a->u.probe_resp.mapped_addr.s_addr ==
		    b->u.probe_resp.mapped_addr.s_addr &&
		    a->u.probe_resp.mapped_port == b->u.probe_resp.mapped_port;
	case PKT_MSG_THIRD_REQ:
		return a->u.third.nonce == b->u.third.nonce &&
		    a->u.third.target_addr.s_addr ==
		    b->u.third.target_addr.s_addr &&
		    a->u.third.target_port == b->u.third.target_port;
	case PKT_MSG_NAT_RESULT:
		return nat_equal(&a->u.nat, &b->u.nat);
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
	if (h.body == NULL || h.body < data || h.body_len == 0 ||
	    h.body + h.body_len != data + size)
		abort();
	buf_wr_init(&w, out, sizeof(out));
	if (pkt_hdr_encode(&w, h.type, h.session, h.seq) == -1)
		abort();
	if (h.type == PKT_PROBE) {
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
	/* static: an announcement is 18 KB */
	static struct pkt_msg m, back;
	uint8_t *out;
	const char *why = NULL;
	int n;

	if (pkt_msg_decode(data, size, &m, &why) == -1) {
		if (why == NULL)
			abort();
		return;
	}
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
