/* SPDX-License-Identifier: ISC */
/*
 * TCP links: the listener, the connections, TLS over memory BIOs and the
 * frames inside it.  See stream.h.
 *
 * A connection is a struct stream, owned by its link (l->tp_state) until
 * link.c releases it.  Calls into link.c may close the link, which
 * releases the stream: inside a callback of its own a stream is only
 * marked then (doomed) and freed when the callback ends.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <openssl/err.h>

#include "log.h"
#include "stream.h"
#include "tls.h"

struct stream {
	struct proxyd		*px;
	struct link		*l;		/* NULL: released (lingering) */
	struct bufferevent	*bev;		/* owns the socket */
	SSL			*ssl;
	struct tls_io		 io;		/* the verification's notes */
	bool			 up;		/* handshake done */
	unsigned		 busy;		/* in a callback of its own */
	bool			 doomed;	/* free when not busy */
	struct event		*linger;
	struct stream		*next_linger;	/* stream_ctx's list */
	uint8_t			*rx;		/* STREAM_RX_MAX, once up */
	struct sframe		 fr;
};

struct stream_ctx {
	struct evconnlistener	*lev[2];	/* IPv4, IPv6: NULL if none */
	struct event		*retry;		/* after EMFILE */
	SSL_CTX			*ctx;		/* TLS, from ... */
	SSL_CTX			*ctx_src;	/* ... this DTLS context */
	struct stream		*lingering;	/* freed at stream_close() */
};

static struct stream_ctx *
sctx(struct proxyd *px)
{
	if (px->stream == NULL && (px->stream = calloc(1,
	    sizeof(*px->stream))) == NULL)
		return NULL;
	return px->stream;
}

/*
 * The TLS context, made again whenever the DTLS one changed (a reload):
 * new handshakes then use the new certificates, as UDP links do.  A CRL
 * put in force (revoke.c) gives the DTLS context a new trust store: the
 * TLS context takes that very store too, so a revoked proxy links over
 * neither transport.
 */
static SSL_CTX *
tls_ctx(struct proxyd *px)
{
	struct stream_ctx *sc = sctx(px);
	SSL_CTX *ctx;
	char msg[600];

	if (sc == NULL)
		return NULL;
	if (sc->ctx != NULL && sc->ctx_src == px->ssl_ctx) {
		X509_STORE *st = SSL_CTX_get_cert_store(px->ssl_ctx);

		if (SSL_CTX_get_cert_store(sc->ctx) != st)
			SSL_CTX_set1_cert_store(sc->ctx, st);
		return sc->ctx;
	}
	if ((ctx = tls_stream_ctx_new(px->ssl_ctx, msg, sizeof(msg))) == NULL) {
		log_warnx("TCP links: %s", msg);
		return NULL;
	}
	SSL_CTX_free(sc->ctx);
	sc->ctx = ctx;
	sc->ctx_src = px->ssl_ctx;
	return ctx;
}

static void
stream_free(struct stream *s)
{
	struct stream **pp;

	for (pp = s->px->stream != NULL ? &s->px->stream->lingering : NULL;
	    pp != NULL && *pp != NULL; pp = &(*pp)->next_linger)
		if (*pp == s) {
			*pp = s->next_linger;
			break;
		}
	if (s->linger != NULL)
		event_free(s->linger);
	if (s->bev != NULL)
		bufferevent_free(s->bev);	/* closes the socket */
	if (s->ssl != NULL)
		SSL_free(s->ssl);
	free(s->rx);
	free(s);
}

/* The end of a callback of s: frees it if it was released meanwhile. */
static void
done(struct stream *s)
{
	if (--s->busy == 0 && s->doomed)
		stream_free(s);
}

/* What TLS wrote goes to the socket's output. */
static int
flush_tls(struct stream *s)
{
	BIO *wb = SSL_get_wbio(s->ssl);
	char buf[16384];
	int n;

	while ((n = BIO_read(wb, buf, sizeof(buf))) > 0)
		if (bufferevent_write(s->bev, buf, (size_t)n) == -1)
			return -1;
	return 0;
}

/* The link goes, with reason: closes it (which releases s). */
static void
fail(struct stream *s, const char *reason)
{
	if (s->l != NULL)
		link_close(s->l, reason);
}

static void
hs_step(struct stream *s)
{
	int r, e;

	ERR_clear_error();
	r = SSL_do_handshake(s->ssl);
	if (flush_tls(s) == -1) {
		fail(s, "cannot queue handshake bytes");
		return;
	}
	if (r == 1) {
		if ((s->rx = malloc(STREAM_RX_MAX)) == NULL) {
			fail(s, "out of memory");
			return;
		}
		sframe_init(&s->fr, s->rx, STREAM_RX_MAX, PKT_SEALED_HDR_LEN +
		    PKT_TAG_LEN, SFRAME_MAX);
		s->up = true;
		link_stream_up(s->l, s->ssl);
		return;
	}
	e = SSL_get_error(s->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return;
	s->px->st.tcp_malformed++;
	snprintf(s->l->io.why, sizeof(s->l->io.why), "%s", s->io.why);
	link_stream_fail(s->l, s->ssl, e);
}

/* Frames out of the TLS stream, each to the link, while there are any. */
static void
read_frames(struct stream *s)
{
	struct proxyd *px = s->px;
	uint8_t *p, *f;
	size_t room, len;
	char why[300], err[256];
	int r, e;

	for (;;) {
		p = sframe_space(&s->fr, &room);
		ERR_clear_error();
		r = SSL_read(s->ssl, p, (int)(room > 16384 ? 16384 : room));
		if (r <= 0) {
			e = SSL_get_error(s->ssl, r);
			(void)flush_tls(s);
			if (e == SSL_ERROR_WANT_READ)
				return;
			if (e == SSL_ERROR_ZERO_RETURN) {
				fail(s, "TCP link closed by the peer");
				return;
			}
			px->st.tcp_malformed++;
			snprintf(why, sizeof(why), "TLS error on the stream: %s",
			    tls_errors(err, sizeof(err)));
			fail(s, why);
			return;
		}
		sframe_filled(&s->fr, (size_t)r);
		while ((r = sframe_next(&s->fr, &f, &len)) == 1) {
			link_frame_input(s->l, f, len);
			if (s->l == NULL || s->doomed)
				return;
		}
		if (r == -1) {
			px->st.tcp_malformed++;
			fail(s, "malformed stream: a frame length out of range");
			return;
		}
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct stream *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	BIO *rb;

	s->busy++;
	while (s->l != NULL && !s->doomed && evbuffer_get_length(in) > 0) {
		size_t n = evbuffer_get_length(in);
		unsigned char *p;

		rb = SSL_get_rbio(s->ssl);
		if (BIO_ctrl_pending(rb) >= STREAM_HS_IN_MAX) {
			/* TLS takes nothing more: a record too large */
			s->px->st.tcp_malformed++;
			fail(s, "malformed stream: unreadable TLS input");
			break;
		}
		if (n > 16384)
			n = 16384;
		if ((p = evbuffer_pullup(in, (ev_ssize_t)n)) == NULL ||
		    BIO_write(rb, p, (int)n) != (int)n) {
			fail(s, "out of memory");
			break;
		}
		evbuffer_drain(in, n);
		if (!s->up)
			hs_step(s);
		if (s->up && s->l != NULL && !s->doomed)
			read_frames(s);
	}
	if (s->l == NULL)	/* released: nothing is read any more */
		evbuffer_drain(in, evbuffer_get_length(in));
	/* as after a burst of datagrams: what it queued goes out now */
	if (s->px->sock_env.burst_end != NULL)
		s->px->sock_env.burst_end(s->px->sock_env.arg);
	done(s);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct stream *s = arg;
	char why[200];

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		return;
	s->busy++;
	if (s->l == NULL)
		s->doomed = true;	/* lingering: it may go now */
	else if (what & BEV_EVENT_EOF) {
		if (!s->up || s->fr.have > s->fr.off)
			s->px->st.tcp_truncated++;
		fail(s, s->up ? "TCP connection closed by the peer" :
		    "TCP connection closed during the handshake");
	} else if (what & (BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
		int e = EVUTIL_SOCKET_ERROR();

		snprintf(why, sizeof(why), "TCP connection failed: %s",
		    e != 0 ? evutil_socket_error_to_string(e) : "error");
		fail(s, why);
	}
	done(s);
}

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;

	(void)fd;
	(void)what;
	if (s->busy > 0)
		s->doomed = true;
	else
		stream_free(s);
}

static void
sock_opts(int fd)
{
	int one = 1, sndbuf = STREAM_SNDBUF;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
}

/* A stream for link l over socket fd (client: connecting to l->peer). */
static struct stream *
stream_new(struct proxyd *px, struct link *l, int fd, bool client)
{
	struct stream *s;
	SSL_CTX *ctx = tls_ctx(px);

	if (ctx == NULL || (s = calloc(1, sizeof(*s))) == NULL) {
		close(fd);
		return NULL;
	}
	s->px = px;
	s->l = l;
	sock_opts(fd);
	if ((s->bev = bufferevent_socket_new(px->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL) {
		close(fd);
		free(s);
		return NULL;
	}
	if ((s->ssl = tls_stream_new(ctx, client, client ? l->nbr->name :
	    NULL, &s->io)) == NULL ||
	    (s->linger = evtimer_new(px->base, linger_cb, s)) == NULL) {
		stream_free(s);
		return NULL;
	}
	bufferevent_setcb(s->bev, read_cb, NULL, event_cb, s);
	bufferevent_setwatermark(s->bev, EV_READ, 0, STREAM_READ_MAX);
	if (client) {
		struct sockaddr_storage ss;
		socklen_t sl = ep_to_sa(&l->peer, &ss);

		if (sl == 0 || bufferevent_socket_connect(s->bev,
		    (struct sockaddr *)&ss, (int)sl) == -1) {
			stream_free(s);
			return NULL;
		}
	}
	(void)bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	l->tp_state = s;
	return s;
}

static int
stream_dial(struct link *l)
{
	struct stream *s;
	int fd;
	char who[128];

	fd = socket(l->peer.family == AF_INET6 ? AF_INET6 : AF_INET,
	    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("cannot open a TCP socket");
		return -1;
	}
	if ((s = stream_new(l->px, l, fd, true)) == NULL)
		return -1;
	log_debug("%s: dialling over TCP", link_who(l, who, sizeof(who)));
	s->busy++;
	hs_step(s);		/* the ClientHello waits for the connection */
	done(s);
	return 0;
}

static int
stream_send(struct link *l, const uint8_t *p, size_t len, bool bulk)
{
	static uint8_t frame[SFRAME_HDR_LEN + SFRAME_MAX];
	struct stream *s = l->tp_state;
	size_t q;

	if (s == NULL || !s->up || len > SFRAME_MAX)
		return -1;
	q = evbuffer_get_length(bufferevent_get_output(s->bev));
	if (q >= (bulk ? STREAM_SENDQ_MAX : STREAM_SENDQ_CTL)) {
		s->px->st.drop_tcp_queue++;
		return -1;
	}
	sframe_hdr(frame, len);
	memcpy(frame + SFRAME_HDR_LEN, p, len);
	ERR_clear_error();
	if (SSL_write(s->ssl, frame, (int)(SFRAME_HDR_LEN + len)) !=
	    (int)(SFRAME_HDR_LEN + len) || flush_tls(s) == -1) {
		ERR_clear_error();
		return -1;
	}
	l->tx_packets++;
	l->tx_bytes += len;
	s->px->sock_st.tx_packets++;
	s->px->sock_st.tx_bytes += len;
	return 0;
}

static void
stream_release(struct link *l, bool linger)
{
	struct stream *s = l->tp_state;
	struct timeval tv = { STREAM_LINGER_S, 0 };

	if (s == NULL)
		return;
	l->tp_state = NULL;
	s->l = NULL;
	if (linger && s->up && s->px->stream != NULL) {
		evtimer_add(s->linger, &tv);	/* unread meanwhile */
		s->next_linger = s->px->stream->lingering;
		s->px->stream->lingering = s;
		return;
	}
	if (s->busy > 0)
		s->doomed = true;
	else
		stream_free(s);
}

static void
stream_rebind(struct link *to, struct link *from)
{
	struct stream *s = to->tp_state;

	(void)from;
	if (s != NULL)
		s->l = to;
}

const struct link_tp stream_tp = {
	.name = "tcp",
	.kind = LINK_TP_TCP,
	.dial = stream_dial,
	.send = stream_send,
	.release = stream_release,
	.rebind = stream_rebind,
};

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct proxyd *px = arg;
	struct link *l;
	struct ep from;
	char a[EP_STRLEN];

	(void)lev;
	if (salen < 0 || ep_from_sa(&from, sa, (socklen_t)salen) == -1) {
		close(fd);
		return;
	}
	px->st.tcp_accepted++;
	if ((l = link_stream_accept(px, &from)) == NULL) {
		if ((px->st.tcp_hs_limit & (px->st.tcp_hs_limit - 1)) == 0)
			log_info("TCP connection from %s refused: too many "
			    "handshakes in progress (%llu refused)",
			    ep_addr_fmt(&from, a, sizeof(a)),
			    (unsigned long long)px->st.tcp_hs_limit);
		close(fd);
		return;
	}
	log_debug("TCP connection from %s", ep_fmt(&from, a, sizeof(a)));
	if (stream_new(px, l, fd, false) == NULL)
		link_close(l, "cannot set up the TCP connection");
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proxyd *px = arg;

	(void)fd;
	(void)what;
	for (int i = 0; px->stream != NULL && i < 2; i++)
		if (px->stream->lev[i] != NULL)
			evconnlistener_enable(px->stream->lev[i]);
}

/* accept() failed (out of descriptors): pause a second, not spin. */
static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
	struct proxyd *px = arg;
	struct timeval one = { 1, 0 };
	int e = EVUTIL_SOCKET_ERROR();

	log_warnx("TCP links: cannot accept: %s; pausing 1 s",
	    evutil_socket_error_to_string(e));
	for (int i = 0; i < 2; i++)
		if (px->stream->lev[i] != NULL)
			evconnlistener_disable(px->stream->lev[i]);
	(void)lev;
	if (px->stream->retry != NULL)
		evtimer_add(px->stream->retry, &one);
}

/* A TCP listener on a (IPv6 ones IPv6 only, as the UDP sockets). */
static struct evconnlistener *
listen_one(struct proxyd *px, const struct ep *a)
{
	struct evconnlistener *lev;
	struct sockaddr_storage ss;
	socklen_t sl = ep_to_sa(a, &ss);
	char s[EP_STRLEN];
	unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
	    LEV_OPT_REUSEABLE;

	if (a->family == AF_INET6)
		flags |= LEV_OPT_BIND_IPV6ONLY;
	lev = evconnlistener_new_bind(px->base, accept_cb, px, flags, 64,
	    (struct sockaddr *)&ss, (int)sl);
	if (lev == NULL) {
		log_warn("cannot listen on TCP %s", ep_fmt(a, s, sizeof(s)));
		return NULL;
	}
	evconnlistener_set_error_cb(lev, accept_error_cb);
	log_info("listening for TCP links on %s", ep_fmt(a, s, sizeof(s)));
	return lev;
}

int
stream_listen(struct proxyd *px)
{
	const struct conf *c = px->conf;
	struct stream_ctx *sc;
	struct ep a;

	if (c->listen_tcp_port == 0)
		return 0;
	if ((sc = sctx(px)) == NULL || tls_ctx(px) == NULL)
		return -1;
	/* on each family the UDP sockets listen on */
	if (c->listen_v4) {
		a = ep_v4(c->listen_addr, c->listen_tcp_port);
		if ((sc->lev[0] = listen_one(px, &a)) == NULL)
			return -1;
	}
	if (c->listen_v6) {
		a = ep_v6(&c->listen6_addr, c->listen_tcp_port);
		if ((sc->lev[1] = listen_one(px, &a)) == NULL)
			return -1;
	}
	sc->retry = evtimer_new(px->base, retry_cb, px);
	return 0;
}

void
stream_close(struct proxyd *px)
{
	struct stream_ctx *sc = px->stream;

	if (sc == NULL)
		return;
	while (sc->lingering != NULL)
		stream_free(sc->lingering);
	for (int i = 0; i < 2; i++)
		if (sc->lev[i] != NULL)
			evconnlistener_free(sc->lev[i]);
	if (sc->retry != NULL)
		event_free(sc->retry);
	SSL_CTX_free(sc->ctx);
	free(sc);
	px->stream = NULL;
}
