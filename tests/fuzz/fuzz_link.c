/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for the link and handshake state
 * machine: the real proxyd/link.c and tls.c between two proxies, alpha
 * (10.0.0.1) and bravo (10.0.0.2, alpha configured), in the fake world of
 * tests/unit/link_fake.[ch] (clock, sockets and send batch captured, real
 * DTLS over certificates made once at start).
 *
 * Each input starts both links afresh.  Its first byte: bit 0, bravo's
 * handshake is carried to the end first (the link is up); bit 1, bravo's
 * first handshake datagram waits in the queue instead.  Then operations,
 * each an opcode byte, mostly followed by u16 length (big-endian) and that
 * many bytes:
 *
 *	0  a datagram to alpha's listen port from bravo's address
 *	1  the same from a stranger (10.0.0.9:4790), never proven
 *	2  a datagram to alpha's alternate port from bravo's address
 *	3  a message (type byte and body) sealed by bravo on its link to
 *	   alpha, as bravo's link.c would, to alpha
 *	4  a datagram to alpha from bravo's address with its session id set
 *	   to that of alpha's first link (reaches a live session)
 *	5  (one byte n) the clock moves n x 100 ms; both nodes tick
 *	6  (one byte n) up to n queued datagrams are delivered
 *	7  a datagram to bravo (the initiator) from alpha's address
 *
 * Checked beyond the sanitizers: what alpha sends the stranger is never
 * more bytes than the stranger sent (amplification <= 1 toward an
 * unproven address); alpha never holds more than LINK_HS_MAX inbound
 * handshakes nor more links than that plus one; every link's name is a
 * proxy name or empty; an up link has keys (a session).  -max_len fits a
 * 64 KiB sealed message and a few more operations.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "flags.h"
#include "link_fake.h"
#include "log.h"

static const char *const flags[] = { "-max_len=140000", NULL };
static const char *const names[] = { "alpha", "bravo" };
static struct node *alpha, *bravo;
static size_t	stranger_in, stranger_out;
static struct ep stranger;
static uint8_t	frame[PKT_SEALED_HDR_LEN + 65536 + PKT_TAG_LEN];

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	cert_dir[] = "/tmp/fuzz_link.XXXXXX";

static void
cleanup(void)
{
	nodes_free();
	fake_q_clear();
	fake_certs_remove();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	log_init(1, LOG_LVL_ERROR + (getenv("FUZZ_LINK_LOG") != NULL ? 3 : 0),
	    "fuzz_link");
	if (mkdtemp(cert_dir) == NULL ||
	    fake_certs_make(cert_dir, names, 2) == -1) {
		fprintf(stderr, "fuzz_link: cannot make certificates\n");
		exit(1);
	}
	fake_now = 1000 * SEC;
	alpha = node_new("alpha", "alpha", 1);
	bravo = node_new("bravo", "bravo", 2);
	if (alpha == NULL || bravo == NULL)
		abort();
	node_add_neighbour(bravo, "alpha", 1);
	atexit(cleanup);
	stranger.family = AF_INET;
	stranger.a.v4.s_addr = htonl(0x0a000009);
	stranger.port = 4790;
	return 0;
}

static void
restart(struct node *n)
{
	link_shutdown(&n->px);
	memset(&n->px.st, 0, sizeof(n->px.st));
	n->px.n_handshakes = 0;
	n->px.hs_cookie.since_us = 0;
	if (node_start(n) == -1)
		abort();
}

/* Counts what alpha sent the stranger; the rest of the queue stays. */
static void
count_stranger(void)
{
	size_t i, j = 0;

	for (i = 0; i < fake_q_len; i++) {
		if (fake_q[i].to.a.v4.s_addr == stranger.a.v4.s_addr &&
		    fake_q[i].to.port == stranger.port) {
			stranger_out += fake_q[i].len;
			free(fake_q[i].buf);
			continue;
		}
		fake_q[j++] = fake_q[i];
	}
	fake_q_len = j;
}

static void
deliver(struct node *to, enum psock_kind kind, const struct ep *from,
    const uint8_t *p, size_t len)
{
	struct fake_dgram d;

	memset(&d, 0, sizeof(d));
	d.from = *from;
	d.to = node_addr(to, kind);
	d.len = len;
	d.buf = (uint8_t *)(uintptr_t)p;	/* fake_deliver copies it */
	(void)fake_deliver(&d);
}

/* bravo's link to alpha seals type + body as link.c does; false if none. */
static bool
seal_from_bravo(const uint8_t *pt, size_t ptlen, size_t *out)
{
	struct link *l = link_find(&bravo->px, "alpha");
	struct buf_wr w;

	if (l == NULL || ptlen == 0 || ptlen > 65536)
		return false;
	memcpy(frame + PKT_SEALED_HDR_LEN, pt, ptlen);
	buf_wr_init(&w, frame, PKT_SEALED_HDR_LEN);
	pkt_hdr_encode(&w, PKT_SEALED, l->session, ++l->tx_seq);
	if (w.err != NULL || aead_seal(&l->aead, l->tx_seq, frame,
	    PKT_SEALED_HDR_LEN, frame + PKT_SEALED_HDR_LEN, ptlen,
	    frame + PKT_SEALED_HDR_LEN) == -1)
		return false;
	*out = PKT_SEALED_HDR_LEN + ptlen + PKT_TAG_LEN;
	return true;
}

static void
check(void)
{
	size_t n = 0;

	if (stranger_out > stranger_in) {
		fprintf(stderr, "fuzz_link: %zu bytes sent to an unproven "
		    "address that sent %zu\n", stranger_out, stranger_in);
		abort();
	}
	if (alpha->px.n_handshakes > LINK_HS_MAX)
		abort();
	for (const struct link *l = alpha->px.links; l != NULL; l = l->next) {
		n++;
		if (l->name[0] != '\0' && !pkt_name_ok(l->name))
			abort();
		if (l->state == LINK_UP && l->session == 0)
			abort();
	}
	if (n > LINK_HS_MAX + 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ep from_b = node_addr(bravo, PSOCK_PRIMARY);
	struct ep from_a = node_addr(alpha, PSOCK_PRIMARY);
	size_t off = 1, len, n;
	uint8_t *buf;

	if (size < 1)
		return 0;
	fake_q_clear();
	fake_ev_len = 0;
	fake_now = 1000 * SEC;
	stranger_in = stranger_out = 0;
	restart(alpha);
	restart(bravo);
	link_tick(&bravo->px);		/* bravo dials alpha */
	if (data[0] & 1)
		fake_pump(64);
	else if (!(data[0] & 2))
		fake_q_clear();
	while (off < size) {
		uint8_t op = data[off++] % 8;

		if (op == 5 || op == 6) {
			n = off < size ? data[off++] : 0;
			if (op == 5) {
				fake_now += n * 100 * MSEC;
				link_tick(&alpha->px);
				link_tick(&bravo->px);
			} else
				fake_pump(n);
			count_stranger();
			check();
			continue;
		}
		if (size - off < 2)
			break;
		len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		switch (op) {
		case 0:
			deliver(alpha, PSOCK_PRIMARY, &from_b, data + off, len);
			break;
		case 1:
			stranger_in += len;
			deliver(alpha, PSOCK_PRIMARY, &stranger, data + off, len);
			break;
		case 2:
			deliver(alpha, PSOCK_ALT_PORT, &from_b, data + off, len);
			break;
		case 3:
			if (seal_from_bravo(data + off, len, &n))
				deliver(alpha, PSOCK_PRIMARY, &from_b, frame, n);
			break;
		case 4:
			if ((buf = malloc(len > 0 ? len : 1)) == NULL)
				abort();
			memcpy(buf, data + off, len);
			if (len >= PKT_HDR_LEN && alpha->px.links != NULL) {
				uint32_t s = htonl(alpha->px.links->session);

				memcpy(buf + 2, &s, 4);
			}
			deliver(alpha, PSOCK_PRIMARY, &from_b, buf, len);
			free(buf);
			break;
		case 7:
			deliver(bravo, PSOCK_PRIMARY, &from_a, data + off, len);
			break;
		}
		off += len;
		count_stranger();
		check();
	}
	fake_q_clear();
	return 0;
}
