/* SPDX-License-Identifier: ISC */
/*
 * Send batching.  A burst read from the TUN or the UDP socket builds each
 * outgoing frame in a slot of its own, and the whole burst leaves in one
 * sendmmsg().  The slots are allocated once; a frame that is dropped before
 * it is committed simply leaves its slot for the next packet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "link.h"
#include "log.h"
#include "txq.h"

#define SLOT_SIZE	(LINK_DATA_HEADROOM + 65536 + PKT_TAG_LEN)

struct txq {
	uint8_t			*mem;		/* TXQ_MAX x SLOT_SIZE */
	struct mmsghdr		 msgs[TXQ_MAX];
	struct iovec		 iov[TXQ_MAX];
	struct sockaddr_in	 to[TXQ_MAX];
	int			 n;
};

int
txq_init(struct proxyd *px)
{
	struct txq *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return -1;
	if ((q->mem = malloc((size_t)TXQ_MAX * SLOT_SIZE)) == NULL) {
		free(q);
		return -1;
	}
	px->txq = q;
	return 0;
}

void
txq_free(struct proxyd *px)
{
	if (px->txq == NULL)
		return;
	free(px->txq->mem);
	free(px->txq);
	px->txq = NULL;
}

uint8_t *
txq_slot(struct proxyd *px)
{
	return px->txq->mem + (size_t)px->txq->n * SLOT_SIZE;
}

bool
txq_is_slot(struct proxyd *px, const uint8_t *p)
{
	return px->txq != NULL && p == txq_slot(px);
}

void
txq_commit(struct proxyd *px, size_t len, const struct sockaddr_in *to)
{
	struct txq *q = px->txq;
	int i = q->n;

	q->iov[i].iov_base = txq_slot(px);
	q->iov[i].iov_len = len;
	q->to[i] = *to;
	memset(&q->msgs[i].msg_hdr, 0, sizeof(q->msgs[i].msg_hdr));
	q->msgs[i].msg_hdr.msg_iov = &q->iov[i];
	q->msgs[i].msg_hdr.msg_iovlen = 1;
	q->msgs[i].msg_hdr.msg_name = &q->to[i];
	q->msgs[i].msg_hdr.msg_namelen = sizeof(q->to[i]);
	px->st.tx_packets++;
	px->st.tx_bytes += len;
	if (++q->n == TXQ_MAX)
		txq_flush(px);
}

void
txq_flush(struct proxyd *px)
{
	struct txq *q = px->txq;
	int off = 0, n;

	if (q == NULL)
		return;
	while (off < q->n) {
		n = sendmmsg(px->socks[PSOCK_PRIMARY].fd, q->msgs + off,
		    (unsigned)(q->n - off), 0);
		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			/* EAGAIN or an error on the first frame: drop it */
			px->st.drop_send++;
			if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
				log_debug("sendmmsg: %s", strerror(errno));
			off++;
			continue;
		}
		off += n;
	}
	q->n = 0;
}
