/* SPDX-License-Identifier: ISC */
/*
 * OpenSSL for links: the DTLS context built from the configured CA,
 * certificate and key, and one SSL per handshake whose records travel over
 * a BIO of ours that keeps datagram boundaries (each record write becomes
 * one PKT_HS datagram; each received datagram is one read).
 */
#ifndef PROXYD_TLS_H
#define PROXYD_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include "conf.h"
#include "pkt.h"

#define TLS_EXPIRY_WARN_DAYS	14	/* own certificate: warn this close */
#define TLS_MTU		1200	/* DTLS record size limit: fits any path */

/* The I/O a handshake's BIO reads from and writes to. */
struct tls_io {
	const uint8_t	*in;		/* the datagram being fed, or NULL */
	size_t		 in_len;
	int		(*out)(void *arg, const uint8_t *, size_t);
	void		*arg;
	/* set by tls_new() and the peer verification */
	char		 expect[PKT_NAME_MAX + 1];	/* name a client wants */
	char		 why[512];	/* first verification failure, or "" */
};

/* Builds the DTLS context; logs every problem and returns NULL on failure. */
SSL_CTX	*tls_ctx_new(const struct conf *);
/*
 * The same without logging: NULL with the reason in msg.  Every file the
 * context needs (CA, certificate, key, and any CRL a later key adds) is
 * read here, so a reload (reload.c) that builds a new context re-reads
 * them all; new handshakes use it, SSLs made before keep the old one.
 */
SSL_CTX	*tls_ctx_load(const struct conf *, char *msg, size_t len);
/*
 * A new SSL for one handshake.  A client checks that the peer's
 * certificate names expect (SAN DNS or, without SANs, CN).  io must
 * outlive the SSL.  NULL on failure (logged).
 */
SSL	*tls_new(SSL_CTX *, bool client, const char *expect, struct tls_io *io);
/*
 * TCP links (stream.c): TLS 1.3 with what the DTLS context dgram has, the
 * same certificate, key and chain, and its very trust store and
 * verification parameters (shared, not copied: a CRL or flag put there
 * applies to both), the same peer verification callback; no session
 * tickets.  NULL with the reason in msg.
 */
SSL_CTX	*tls_stream_ctx_new(SSL_CTX *dgram, char *msg, size_t len);
/*
 * A new SSL for one TLS handshake over memory BIOs: the caller writes what
 * arrives into SSL_get_rbio() and sends what SSL_get_wbio() holds.  Name
 * checks as tls_new(); io (only expect and why are used) must outlive it.
 * NULL on failure (logged).
 */
SSL	*tls_stream_new(SSL_CTX *, bool client, const char *expect,
	    struct tls_io *io);
/* A DTLS SSL of tls_new() moves to another io (a link taking over). */
void	 tls_rebind(SSL *, struct tls_io *io);
/*
 * A proxy's name in its certificate, the one rule every proxy applies:
 * the first DNS subject alternative name, else the subject's CN; it must
 * be a proxy name as the wire carries it (pkt_name_ok(): no wildcards,
 * no spaces).  0, or -1 with the reason in *why.
 */
int	 tls_cert_name(X509 *, char *buf, size_t len, const char **why);
/* The same for the peer's certificate of a handshake. */
int	 tls_peer_name(SSL *, char *buf, size_t len, const char **why);
/*
 * For `proxyd -t` and the start, what the files of 'tls' say at time now:
 * each can be read (else errno's text and the path), the certificate names
 * a proxy and that name is 'name', it and the CA are within their dates,
 * the certificate is issued by the CA, and the key is the certificate's.
 * Every problem is reported through report() as "FILE:LINE: 'tls.X'
 * 'PATH' ..." (warning: a certificate expiring within
 * TLS_EXPIRY_WARN_DAYS); 0 if no error was reported, else -1.
 */
int	 tls_check_own(const struct conf *, time_t now,
	    void (*report)(void *arg, bool warning, const char *msg),
	    void *arg);
/*
 * The network CA's certificates from the 'tls.ca' file (caller frees with
 * sk_X509_pop_free(v, X509_free)); NULL with *why.
 */
STACK_OF(X509) *tls_load_cas(const char *path, const char **why);
/*
 * Puts CRL x (already verified against cas) in force for every handshake
 * from now on, those in flight included: the context gets a new store
 * with the CA certificates and x, checking each peer's certificate
 * against it (X509_V_FLAG_CRL_CHECK).  0, or -1 (logged): the old store
 * stays.
 */
int	 tls_set_crl(SSL_CTX *, STACK_OF(X509) *cas, X509_CRL *x);
/*
 * For `proxyd -t` and the start: 'tls.crl', if set, holds a CRL issued
 * and signed by the network CA.  0, or -1 with "'tls.crl' ..." in msg.
 */
int	 tls_check_crl(const struct conf *, char *msg, size_t len);
/*
 * The certificate the last failed verification refused, for the log:
 * "'NAME' serial HEX" (or "" if none was seen); copied into buf.
 */
const char *tls_refused_cert(char *buf, size_t len);
/* "'NAME' serial HEX" of cert, for the log, in buf. */
const char *tls_describe(X509 *cert, char *buf, size_t len);
/* cert's notAfter as a time_t in *out.  0, or -1 (no cert, bad time). */
int	 tls_not_after(X509 *cert, time_t *out);
/*
 * SHA-256 over the contents of 'tls.ca', 'tls.cert', 'tls.key' and
 * 'tls.crl' (each with its length; an unset CRL as a mark): a reload
 * compares it to tell whether the files changed, in place or renamed.
 * 0, or -1 (a file unreadable: out is then all zero).
 */
#define TLS_DIGEST_LEN	32
int	 tls_files_digest(const struct conf *, uint8_t out[TLS_DIGEST_LEN]);
struct proxyd;
/* px->cert_not_after from the certificate of px->ssl_ctx (0: none). */
void	 tls_note_own(struct proxyd *);
/* Drains the OpenSSL error queue into one string: "what: reason; reason". */
const char *tls_errors(char *buf, size_t len);

#endif
