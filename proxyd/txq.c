/* SPDX-License-Identifier: ISC */
/*
 * Send batching.  A burst read from the TUN or the UDP socket builds each
 * outgoing frame in a slot of its own, and the whole burst leaves in one
 * sendmmsg().  The slots are allocated once; a frame that is dropped before
 * it is committed simply leaves its slot for the next packet.
 *
 * Consecutive frames to the same peer with the same length (a bulk
 * transfer's full-size packets) go out as one UDP GSO message (UDP_SEGMENT):
 * the kernel walks its send path once for the whole run and cuts the
 * datagrams at the end.  Most of a relaying proxy's time is spent in the
 * kernel's per-datagram path, so this is where batching pays.  If the
 * kernel refuses GSO, batching falls back to one datagram per message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "pkt.h"
#include "log.h"
#include "txq.h"

#define SLOT_SIZE	TXQ_SLOT_SIZE

#define GSO_BYTES_MAX	60000	/* payload of one GSO message */
#define GSO_SEGS_MAX	64	/* the kernel's UDP_MAX_SEGMENTS */

struct txq {
	uint8_t			*mem;		/* TXQ_MAX x SLOT_SIZE */
	struct mmsghdr		 msgs[TXQ_MAX];
	struct iovec		 iov[TXQ_MAX];
	struct ep		 to[TXQ_MAX];
	struct sockaddr_storage	 sa[TXQ_MAX];	/* to[], as the kernel wants */
	union {
		char		 buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr	 align;
	}			 cmsg[TXQ_MAX];
	int			 n;
	bool			 no_gso;	/* the kernel refused it */
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
txq_commit(struct proxyd *px, size_t len, const struct ep *to)
{
	struct txq *q = px->txq;
	int i = q->n;

	q->iov[i].iov_base = txq_slot(px);
	q->iov[i].iov_len = len;
	q->to[i] = *to;
	px->sock_st.tx_packets++;
	px->sock_st.tx_bytes += len;
	if (++q->n == TXQ_MAX)
		txq_flush(px);
}


/*
 * Groups frames [0, n) into messages: a run of frames to one peer whose
 * lengths equal the first one's (the last may be shorter) becomes one GSO
 * message.  Returns the number of messages.
 */
static int
build(struct txq *q)
{
	int m = 0, i = 0;

	while (i < q->n) {
		struct msghdr *h = &q->msgs[m].msg_hdr;
		int start = i;
		size_t seg = q->iov[i].iov_len, total = seg;

		for (i++; !q->no_gso && i < q->n && i - start < GSO_SEGS_MAX &&
		    ep_eq(&q->to[i], &q->to[start]) &&
		    q->iov[i].iov_len <= seg &&
		    total + q->iov[i].iov_len <= GSO_BYTES_MAX; i++) {
			total += q->iov[i].iov_len;
			if (q->iov[i].iov_len < seg) {
				i++;
				break;		/* a shorter one ends the run */
			}
		}
		memset(h, 0, sizeof(*h));
		h->msg_iov = &q->iov[start];
		h->msg_iovlen = (size_t)(i - start);
		h->msg_name = &q->sa[start];
		h->msg_namelen = ep_to_sa(&q->to[start], &q->sa[start]);
		if (i - start > 1) {
			struct cmsghdr *c;
			uint16_t s16 = (uint16_t)seg;

			h->msg_control = q->cmsg[m].buf;
			h->msg_controllen = sizeof(q->cmsg[m].buf);
			c = CMSG_FIRSTHDR(h);
			c->cmsg_level = SOL_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(s16));
			memcpy(CMSG_DATA(c), &s16, sizeof(s16));
		}
		m++;
	}
	return m;
}

void
txq_flush(struct proxyd *px)
{
	struct txq *q = px->txq;
	int off = 0, n, m;

	if (q == NULL || q->n == 0)
		return;
	m = build(q);
	while (off < m) {
		/* a run of messages of one family goes to that socket */
		int fam = ((struct sockaddr *)q->msgs[off].msg_hdr.msg_name)->
		    sa_family, end = off + 1;
		struct psock *ps = proxyd_sock(px, fam, PSOCK_PRIMARY);

		while (end < m && ((struct sockaddr *)q->msgs[end].msg_hdr.
		    msg_name)->sa_family == fam)
			end++;
		if (ps == NULL) {
			/* no socket of that family: those frames are lost */
			for (; off < end; off++)
				px->st.drop_send +=
				    q->msgs[off].msg_hdr.msg_iovlen;
			continue;
		}
		n = sendmmsg(ps->fd, q->msgs + off, (unsigned)(end - off), 0);
		if (n > 0) {
			off += n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && !q->no_gso && q->msgs[off].msg_hdr.msg_iovlen >
		    1 && (errno == EINVAL || errno == EIO ||
		    errno == EOPNOTSUPP)) {
			/* this burst is lost; the next ones go one by one */
			log_info("UDP GSO refused (%s): sending datagrams one "
			    "by one from now on", strerror(errno));
			q->no_gso = true;
		}
		/* EAGAIN or an error on this message: drop it */
		px->st.drop_send += q->msgs[off].msg_hdr.msg_iovlen;
		if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			log_debug("sendmmsg: %s", strerror(errno));
		off++;
	}
	q->n = 0;
}
