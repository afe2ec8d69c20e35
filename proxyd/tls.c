/* SPDX-License-Identifier: ISC */
/*
 * DTLS context and the datagram BIO.  OpenSSL 3.0 has no datagram pair
 * BIO, and a memory BIO would glue a handshake flight's records into one
 * oversized datagram, so a tiny BIO method hands each write to the link
 * (which frames and sends it) and serves the one datagram being fed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "log.h"
#include "pkt.h"
#include "tls.h"

static BIO_METHOD *dgram_method;

static int
dgram_write(BIO *b, const char *data, int len)
{
	struct tls_io *io = BIO_get_data(b);

	if (len <= 0)
		return 0;
	if (io->out(io->arg, (const uint8_t *)data, (size_t)len) == -1)
		return -1;
	return len;
}

static int
dgram_read(BIO *b, char *data, int len)
{
	struct tls_io *io = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	if (io->in == NULL) {
		BIO_set_retry_read(b);
		return -1;
	}
	n = io->in_len < (size_t)len ? io->in_len : (size_t)len;
	memcpy(data, io->in, n);
	io->in = NULL;
	io->in_len = 0;
	return (int)n;
}

static long
dgram_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
	case BIO_CTRL_DGRAM_SET_CONNECTED:
	case BIO_CTRL_DGRAM_SET_PEER:
		return 1;
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return TLS_MTU;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return 0;
	default:
		return 0;
	}
}

static int
dgram_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static BIO_METHOD *
dgram_meth(void)
{
	if (dgram_method != NULL)
		return dgram_method;
	dgram_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	    "proxyd datagram");
	if (dgram_method == NULL ||
	    BIO_meth_set_write(dgram_method, dgram_write) != 1 ||
	    BIO_meth_set_read(dgram_method, dgram_read) != 1 ||
	    BIO_meth_set_ctrl(dgram_method, dgram_ctrl) != 1 ||
	    BIO_meth_set_create(dgram_method, dgram_create) != 1)
		return NULL;
	return dgram_method;
}

const char *
tls_errors(char *buf, size_t len)
{
	unsigned long e;
	size_t off = 0;

	buf[0] = '\0';
	while ((e = ERR_get_error()) != 0) {
		const char *r = ERR_reason_error_string(e);
		int n;

		n = snprintf(buf + off, len - off, "%s%s", off ? "; " : "",
		    r != NULL ? r : "unknown error");
		if (n < 0 || (size_t)n >= len - off)
			off = len - 1;
		else
			off += (size_t)n;
	}
	if (off == 0)
		snprintf(buf, len, "no details");
	return buf;
}

SSL_CTX *
tls_ctx_load(const struct conf *c, char *msg, size_t len)
{
	SSL_CTX *ctx;
	char err[512];

	if (dgram_meth() == NULL) {
		snprintf(msg, len, "cannot create the datagram BIO method");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(DTLS_method())) == NULL) {
		snprintf(msg, len, "cannot create DTLS context: %s",
		    tls_errors(err, sizeof(err)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (SSL_CTX_load_verify_locations(ctx, c->tls_ca, NULL) != 1) {
		snprintf(msg, len, "cannot load CA '%s': %s", c->tls_ca,
		    tls_errors(err, sizeof(err)));
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, c->tls_cert) != 1) {
		snprintf(msg, len, "cannot load certificate '%s': %s",
		    c->tls_cert, tls_errors(err, sizeof(err)));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, c->tls_key, SSL_FILETYPE_PEM)
	    != 1) {
		snprintf(msg, len, "cannot load key '%s': %s", c->tls_key,
		    tls_errors(err, sizeof(err)));
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(msg, len, "key '%s' does not match certificate '%s'",
		    c->tls_key, c->tls_cert);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

SSL_CTX *
tls_ctx_new(const struct conf *c)
{
	SSL_CTX *ctx;
	char msg[1024];

	if ((ctx = tls_ctx_load(c, msg, sizeof(msg))) == NULL)
		log_warnx("%s", msg);
	return ctx;
}

SSL *
tls_new(SSL_CTX *ctx, bool client, const char *expect, struct tls_io *io)
{
	SSL *ssl;
	BIO *bio;
	char err[512];

	if ((ssl = SSL_new(ctx)) == NULL)
		goto fail;
	if ((bio = BIO_new(dgram_method)) == NULL) {
		SSL_free(ssl);
		goto fail;
	}
	BIO_set_data(bio, io);
	SSL_set_bio(ssl, bio, bio);
	SSL_set_mtu(ssl, TLS_MTU);
	if (client) {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_WILDCARDS);
		if (SSL_set1_host(ssl, expect) != 1) {
			SSL_free(ssl);
			goto fail;
		}
		SSL_set_connect_state(ssl);
	} else
		SSL_set_accept_state(ssl);
	return ssl;
fail:
	log_warnx("cannot set up a DTLS handshake: %s",
	    tls_errors(err, sizeof(err)));
	return NULL;
}

/* Copies an ASN.1 string that holds no NUL; 0 or -1. */
static int
asn1_copy(const ASN1_STRING *s, char *buf, size_t len)
{
	int n = s != NULL ? ASN1_STRING_length(s) : -1;

	if (n <= 0 || (size_t)n >= len)
		return -1;
	memcpy(buf, ASN1_STRING_get0_data(s), (size_t)n);
	buf[n] = '\0';
	return strlen(buf) == (size_t)n ? 0 : -1;
}

int
tls_cert_name(X509 *cert, char *buf, size_t len, const char **why)
{
	GENERAL_NAMES *sans;
	X509_NAME *subj;
	int i, rc = 1;

	*why = "no certificate";
	if (cert == NULL || len == 0)
		return -1;
	buf[0] = '\0';
	sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	for (i = 0; sans != NULL && i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);

		if (g->type == GEN_DNS) {
			rc = asn1_copy(g->d.dNSName, buf, len);
			break;
		}
	}
	GENERAL_NAMES_free(sans);
	if (rc == 1) {		/* no DNS SAN: the subject's CN */
		subj = X509_get_subject_name(cert);
		i = subj != NULL ? X509_NAME_get_index_by_NID(subj,
		    NID_commonName, -1) : -1;
		if (i < 0) {
			*why = "no DNS subject alternative name and no CN";
			return -1;
		}
		rc = asn1_copy(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(
		    subj, i)), buf, len);
	}
	if (rc != 0) {
		*why = "its name is empty, too long or holds a NUL";
		return -1;
	}
	if (!pkt_name_ok(buf)) {
		*why = "its name is not a proxy name (1-63 of A-Za-z0-9._-, "
		    "no wildcards)";
		return -1;
	}
	return 0;
}

int
tls_peer_name(SSL *ssl, char *buf, size_t len, const char **why)
{
	return tls_cert_name(SSL_get0_peer_certificate(ssl), buf, len, why);
}

int
tls_check_own(const struct conf *c, char *msg, size_t len)
{
	char name[PKT_NAME_MAX + 2];
	const char *why;
	X509 *cert;
	FILE *f;

	if ((f = fopen(c->tls_cert, "r")) == NULL) {
		snprintf(msg, len, "'tls.cert' '%s' cannot be read: %s",
		    c->tls_cert, strerror(errno));
		return -1;
	}
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (cert == NULL) {
		ERR_clear_error();
		snprintf(msg, len, "'tls.cert' '%s' holds no PEM certificate",
		    c->tls_cert);
		return -1;
	}
	if (tls_cert_name(cert, name, sizeof(name), &why) == -1) {
		snprintf(msg, len, "'tls.cert' '%s' cannot name a proxy: %s",
		    c->tls_cert, why);
		X509_free(cert);
		return -1;
	}
	X509_free(cert);
	if (strcmp(name, c->name) != 0) {
		snprintf(msg, len, "%s: 'name' '%s' is not the name in "
		    "certificate '%s' ('%s'): the other proxies would know "
		    "this one as '%s'", c->name_at != NULL ? c->name_at :
		    "?", c->name, c->tls_cert, name, name);
		return -1;
	}
	return 0;
}
