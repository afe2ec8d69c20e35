/* SPDX-License-Identifier: ISC */
/*
 * DTLS context and the datagram BIO.  OpenSSL 3.0 has no datagram pair
 * BIO, and a memory BIO would glue a handshake flight's records into one
 * oversized datagram, so a tiny BIO method hands each write to the link
 * (which frames and sends it) and serves the one datagram being fed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crl.h"
#include "log.h"
#include "lsasig.h"
#include "pkt.h"
#include "proxyd.h"
#include "tls.h"

/* What verify_cb saw refused last (one handshake step at a time). */
static char refused_cert[160];

static BIO_METHOD *dgram_method;
static int io_index = -1;	/* SSL ex_data: the handshake's struct tls_io */

static int	verify_cb(int, X509_STORE_CTX *);

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

static void
describe(X509 *cert, char *buf, size_t len)
{
	char name[PKT_NAME_MAX + 2] = "?", *hex = NULL;
	const char *why;
	BIGNUM *bn;

	if (cert == NULL) {
		snprintf(buf, len, "%s", "");
		return;
	}
	if (tls_cert_name(cert, name, sizeof(name), &why) == -1)
		snprintf(name, sizeof(name), "%s", "?");
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL)) !=
	    NULL)
		hex = BN_bn2hex(bn);
	snprintf(buf, len, "'%s' serial %s", name, hex != NULL ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
	ERR_clear_error();
}

const char *
tls_describe(X509 *cert, char *buf, size_t len)
{
	describe(cert, buf, len);
	return buf;
}

int
tls_not_after(X509 *cert, time_t *out)
{
	struct tm tm;

	if (cert == NULL || ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* Adds the length and contents of file path (or a mark if unset) to md. */
static int
digest_file(EVP_MD_CTX *md, const char *path)
{
	uint8_t buf[4096], n8[8];
	uint64_t total = 0;
	size_t n;
	FILE *f;

	if (path == NULL)
		return EVP_DigestUpdate(md, "-", 1) == 1 ? 0 : -1;
	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (EVP_DigestUpdate(md, buf, n) != 1)
			break;
		total += n;
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (ferror(f) || !feof(f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	for (int i = 0; i < 8; i++)
		n8[i] = (uint8_t)(total >> (56 - 8 * i));
	return EVP_DigestUpdate(md, n8, sizeof(n8)) == 1 ? 0 : -1;
}

int
tls_files_digest(const struct conf *c, uint8_t out[TLS_DIGEST_LEN])
{
	const char *paths[] = { c->tls_ca, c->tls_cert, c->tls_key,
	    c->tls_crl };
	EVP_MD_CTX *md;
	int rc = 0;

	memset(out, 0, TLS_DIGEST_LEN);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < sizeof(paths) / sizeof(paths[0]);
	    i++)
		rc = digest_file(md, paths[i]);
	if (rc == 0 && EVP_DigestFinal_ex(md, out, NULL) != 1)
		rc = -1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return rc;
}

void
tls_note_own(struct proxyd *px)
{
	X509 *own = px->ssl_ctx != NULL ?
	    SSL_CTX_get0_certificate(px->ssl_ctx) : NULL;

	if (tls_not_after(own, &px->cert_not_after) == -1)
		px->cert_not_after = 0;
}

const char *
tls_refused_cert(char *buf, size_t len)
{
	snprintf(buf, len, "%s", refused_cert);
	refused_cert[0] = '\0';
	return buf;
}

STACK_OF(X509) *
tls_load_cas(const char *path, const char **why)
{
	STACK_OF(X509) *v;
	X509 *x;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		*why = "cannot be read";
		return NULL;
	}
	if ((v = sk_X509_new_null()) == NULL) {
		fclose(f);
		*why = "out of memory";
		return NULL;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(v, x) <= 0) {
			X509_free(x);
			break;
		}
	ERR_clear_error();
	fclose(f);
	if (sk_X509_num(v) == 0) {
		sk_X509_free(v);
		*why = "holds no PEM certificate";
		return NULL;
	}
	return v;
}

int
tls_set_crl(SSL_CTX *ctx, STACK_OF(X509) *cas, X509_CRL *crl)
{
	X509_STORE *st;
	char err[512];

	if ((st = X509_STORE_new()) == NULL)
		goto fail;
	for (int i = 0; i < sk_X509_num(cas); i++)
		if (X509_STORE_add_cert(st, sk_X509_value(cas, i)) != 1)
			goto fail;
	if (X509_STORE_add_crl(st, crl) != 1 ||
	    X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK) != 1)
		goto fail;
	SSL_CTX_set_cert_store(ctx, st);	/* frees the old one */
	return 0;
fail:
	log_warnx("cannot put the CRL in force: %s", tls_errors(err,
	    sizeof(err)));
	X509_STORE_free(st);
	return -1;
}

int
tls_check_crl(const struct conf *c, char *msg, size_t len)
{
	STACK_OF(X509) *cas;
	struct crl *crl;
	const char *why;
	int rc = -1;

	if (c->tls_crl == NULL)
		return 0;
	errno = 0;
	if ((crl = crl_from_pem_file(c->tls_crl, &why)) == NULL) {
		if (errno != 0)
			snprintf(msg, len, "'tls.crl' '%s' %s: %s", c->tls_crl,
			    why, strerror(errno));
		else
			snprintf(msg, len, "'tls.crl' '%s' %s", c->tls_crl,
			    why);
		return -1;
	}
	if ((cas = tls_load_cas(c->tls_ca, &why)) == NULL) {
		snprintf(msg, len, "'tls.ca' '%s' %s", c->tls_ca, why);
		crl_free(crl);
		return -1;
	}
	if (crl_verify(crl, cas, &why) == -1)
		snprintf(msg, len, "'tls.crl' '%s': %s (issuer or signature "
		    "do not match 'tls.ca' '%s'): use the CRL of this "
		    "network's CA (proxyd-ca revoke writes it)", c->tls_crl,
		    why, c->tls_ca);
	else
		rc = 0;
	crl_free(crl);
	sk_X509_pop_free(cas, X509_free);
	return rc;
}

SSL_CTX *
tls_ctx_load(const struct conf *c, char *msg, size_t len)
{
	SSL_CTX *ctx;
	char err[512];

	if (io_index < 0)
		io_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
	if (dgram_meth() == NULL || io_index < 0) {
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
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
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
	io->why[0] = '\0';
	snprintf(io->expect, sizeof(io->expect), "%s", client && expect !=
	    NULL ? expect : "");
	if (SSL_set_ex_data(ssl, io_index, io) != 1) {
		SSL_free(ssl);
		goto fail;
	}
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

SSL_CTX *
tls_stream_ctx_new(SSL_CTX *dgram, char *msg, size_t len)
{
	SSL_CTX *ctx;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = SSL_CTX_get0_certificate(dgram);
	EVP_PKEY *key = SSL_CTX_get0_privatekey(dgram);
	char err[512];

	if (cert == NULL || key == NULL) {
		snprintf(msg, len, "the DTLS context has no certificate");
		return NULL;
	}
	if ((ctx = SSL_CTX_new(TLS_method())) == NULL) {
		snprintf(msg, len, "cannot create TLS context: %s",
		    tls_errors(err, sizeof(err)));
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, SSL_CTX_get_verify_mode(dgram), verify_cb);
	SSL_CTX_set1_cert_store(ctx, SSL_CTX_get_cert_store(dgram));
	(void)SSL_CTX_get0_chain_certs(dgram, &chain);
	if (SSL_CTX_set1_param(ctx, SSL_CTX_get0_param(dgram)) != 1 ||
	    SSL_CTX_use_certificate(ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1 ||
	    (chain != NULL && SSL_CTX_set1_chain(ctx, chain) != 1)) {
		snprintf(msg, len, "cannot set up the TLS context: %s",
		    tls_errors(err, sizeof(err)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* What tls_new() and tls_stream_new() share once the BIOs are set. */
static SSL *
ssl_setup(SSL *ssl, bool client, const char *expect, struct tls_io *io)
{
	io->why[0] = '\0';
	snprintf(io->expect, sizeof(io->expect), "%s", client && expect !=
	    NULL ? expect : "");
	if (SSL_set_ex_data(ssl, io_index, io) != 1)
		goto fail;
	if (client) {
		SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_WILDCARDS);
		if (SSL_set1_host(ssl, expect) != 1)
			goto fail;
		SSL_set_connect_state(ssl);
	} else
		SSL_set_accept_state(ssl);
	return ssl;
fail:
	SSL_free(ssl);
	return NULL;
}

SSL *
tls_stream_new(SSL_CTX *ctx, bool client, const char *expect,
    struct tls_io *io)
{
	SSL *ssl;
	BIO *rb = NULL, *wb = NULL;
	char err[512];

	if ((ssl = SSL_new(ctx)) == NULL ||
	    (rb = BIO_new(BIO_s_mem())) == NULL ||
	    (wb = BIO_new(BIO_s_mem())) == NULL) {
		BIO_free(rb);
		SSL_free(ssl);
		goto fail;
	}
	BIO_set_mem_eof_return(rb, -1);		/* empty: try again */
	BIO_set_mem_eof_return(wb, -1);
	SSL_set_bio(ssl, rb, wb);
	if ((ssl = ssl_setup(ssl, client, expect, io)) != NULL)
		return ssl;
fail:
	log_warnx("cannot set up a TLS handshake: %s",
	    tls_errors(err, sizeof(err)));
	return NULL;
}

void
tls_rebind(SSL *ssl, struct tls_io *io)
{
	BIO *b = SSL_get_rbio(ssl);

	if (b != NULL)
		BIO_set_data(b, io);
	(void)SSL_set_ex_data(ssl, io_index, io);
}

/*
 * The one name rule (first DNS SAN, else the CN; a proxy name, no
 * wildcards) lives in lib/lsasig.c, where advertisements' certificates
 * are checked too: a link's peer and an advertisement's originator are
 * named the same way.
 */
int
tls_cert_name(X509 *cert, char *buf, size_t len, const char **why)
{
	return lsasig_cert_name(cert, buf, len, why);
}

int
tls_peer_name(SSL *ssl, char *buf, size_t len, const char **why)
{
	return tls_cert_name(SSL_get0_peer_certificate(ssl), buf, len, why);
}


/* "2026-12-05 08:53 UTC" */
static const char *
asn1_time_str(const ASN1_TIME *t, char *buf, size_t len)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		snprintf(buf, len, "(unreadable date)");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M UTC", &tm);
	return buf;
}

/* A certificate's subject or issuer as one line, "CN=proxyd CA". */
static const char *
dn_str(const X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int r;

	buf[0] = '\0';
	if (b == NULL)
		return buf;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB)
	    >= 0 && (r = BIO_read(b, buf, (int)len - 1)) > 0)
		buf[r] = '\0';
	BIO_free(b);
	for (char *p = buf; *p != '\0'; p++)	/* for logs and tables */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return buf;
}

/* The first 4 bytes of a key identifier, "key 1a:2b:3c:4d", or "". */
static const char *
keyid_str(const ASN1_OCTET_STRING *id, char *buf, size_t len)
{
	const unsigned char *p = id != NULL ? ASN1_STRING_get0_data(id) : NULL;
	int n = id != NULL ? ASN1_STRING_length(id) : 0;

	buf[0] = '\0';
	if (p == NULL || n < 4)
		return buf;
	snprintf(buf, len, ", key %02x:%02x:%02x:%02x", p[0], p[1], p[2],
	    p[3]);
	return buf;
}

/* "'CN = x', key 1a:2b:3c:4d" for cert's issuer or subject. */
static const char *
who_str(X509 *x, bool issuer, char *buf, size_t len)
{
	char dn[160], kid[40];

	if (x == NULL) {
		snprintf(buf, len, "'?'");
		return buf;
	}
	snprintf(buf, len, "'%s'%s", dn_str(issuer ? X509_get_issuer_name(x) :
	    X509_get_subject_name(x), dn, sizeof(dn)), keyid_str(issuer ?
	    X509_get0_authority_key_id(x) : X509_get0_subject_key_id(x), kid,
	    sizeof(kid)));
	return buf;
}

/* The subject of the first certificate of the trust store (our CA). */
static const char *
store_ca_str(X509_STORE *st, char *buf, size_t len)
{
	STACK_OF(X509_OBJECT) *objs = st != NULL ?
	    X509_STORE_get0_objects(st) : NULL;

	snprintf(buf, len, "?");
	for (int i = 0; objs != NULL && i < sk_X509_OBJECT_num(objs); i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

		if (x != NULL)
			return who_str(x, false, buf, len);
	}
	return buf;
}

/* Whether a certificate of the trust store issued (and signed) cert. */
static bool
issued_by_store(X509_STORE *st, X509 *cert)
{
	STACK_OF(X509_OBJECT) *objs = st != NULL ?
	    X509_STORE_get0_objects(st) : NULL;

	for (int i = 0; objs != NULL && i < sk_X509_OBJECT_num(objs); i++) {
		X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));

		EVP_PKEY *k = x != NULL ? X509_get0_pubkey(x) : NULL;

		if (x != NULL && X509_check_issued(x, cert) == X509_V_OK &&
		    k != NULL && X509_verify(cert, k) == 1)
			return true;
	}
	return false;
}

/*
 * What is wrong with cert, as the verification error err says, in words
 * an operator can act on: the dates for an expiry, the issuer against our
 * CA for a foreign certificate, the names for a name mismatch.
 */
static void
verify_why(int err, X509 *leaf, X509 *cur, X509_STORE *st,
    const char *expect, char *buf, size_t len)
{
	char name[PKT_NAME_MAX + 2], a[40], b[40], dn[200], ca[200], what[300];
	const char *why;

	if (leaf == NULL)
		leaf = cur;
	if (cur == NULL)
		cur = leaf;
	if (leaf == NULL || tls_cert_name(leaf, name, sizeof(name), &why) == -1)
		snprintf(name, sizeof(name), "?");
	/* the certificate at fault: the peer's own, or one of its chain */
	if (cur == leaf)
		snprintf(what, sizeof(what), "certificate '%s'", name);
	else
		snprintf(what, sizeof(what), "certificate '%s': its issuer %s",
		    name, who_str(cur, false, dn, sizeof(dn)));
	/* the name is checked first: a foreign CA is the deeper fault */
	if (err == X509_V_ERR_HOSTNAME_MISMATCH && leaf != NULL &&
	    !issued_by_store(st, leaf))
		err = X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;
	switch (err) {
	case X509_V_ERR_CERT_HAS_EXPIRED:
		snprintf(buf, len, "%s expired on %s (valid from %s)", what,
		    asn1_time_str(X509_get0_notAfter(cur), a, sizeof(a)),
		    asn1_time_str(X509_get0_notBefore(cur), b, sizeof(b)));
		break;
	case X509_V_ERR_CERT_NOT_YET_VALID:
		snprintf(buf, len, "%s is not valid before %s (until %s)", what,
		    asn1_time_str(X509_get0_notBefore(cur), a, sizeof(a)),
		    asn1_time_str(X509_get0_notAfter(cur), b, sizeof(b)));
		break;
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
		/* the top of the chain it sent: a CA of its own, or a name */
		snprintf(buf, len, "certificate '%s' not signed by our CA "
		    "(issuer %s; our CA %s)", name, cur != leaf ?
		    who_str(cur, false, dn, sizeof(dn)) : who_str(leaf, true,
		    dn, sizeof(dn)), store_ca_str(st, ca, sizeof(ca)));
		break;
	case X509_V_ERR_HOSTNAME_MISMATCH:
		snprintf(buf, len, "certificate name '%s' but expected '%s'",
		    name, expect != NULL ? expect : "?");
		break;
	case X509_V_ERR_CERT_REVOKED:
		/* the serial is what the CRL lists: name both */
		describe(cur, dn, sizeof(dn));
		snprintf(buf, len, "certificate %s is revoked by the CRL in "
		    "force", dn);
		break;
	default:
		snprintf(buf, len, "%s refused: %s", what,
		    X509_verify_cert_error_string(err));
		break;
	}
}

/* Keeps the first verification failure's details for the link's log. */
static int
verify_cb(int ok, X509_STORE_CTX *xs)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs,
	    SSL_get_ex_data_X509_STORE_CTX_idx());
	struct tls_io *io = ssl != NULL && io_index >= 0 ?
	    SSL_get_ex_data(ssl, io_index) : NULL;

	if (!ok)
		describe(X509_STORE_CTX_get_current_cert(xs), refused_cert,
		    sizeof(refused_cert));
	if (!ok && io != NULL && io->why[0] == '\0')
		verify_why(X509_STORE_CTX_get_error(xs),
		    X509_STORE_CTX_get0_cert(xs),
		    X509_STORE_CTX_get_current_cert(xs),
		    X509_STORE_CTX_get0_store(xs), io->expect[0] ? io->expect :
		    NULL, io->why, sizeof(io->why));
	return ok;
}

/* "FILE:LINE: 'tls.X' 'PATH'" as the start of a message about one file. */
static const char *
file_ref(const char *at, const char *key, const char *path, char *buf,
    size_t len)
{
	if (at != NULL)
		snprintf(buf, len, "%s: '%s' '%s'", at, key, path);
	else
		snprintf(buf, len, "'%s' '%s'", key, path);
	return buf;
}

static void
say(void (*report)(void *, bool, const char *), void *arg, bool warning,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
say(void (*report)(void *, bool, const char *), void *arg, bool warning,
    const char *fmt, ...)
{
	char msg[800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(arg, warning, msg);
}

/* Opens path for reading, or says why not (with errno's text). */
static FILE *
open_or_say(const char *ref, const char *path,
    void (*report)(void *, bool, const char *), void *arg)
{
	FILE *f = fopen(path, "r");

	if (f == NULL)
		say(report, arg, false, "%s cannot be read: %s%s", ref,
		    strerror(errno), errno == ENOENT ? " (check the path; "
		    "relative paths are taken from the configuration file's "
		    "directory)" : errno == EACCES ? " (proxyd reads it as "
		    "root before dropping privileges: check its permissions)"
		    : "");
	return f;
}

/* Dates of cert against now: errors outside them, a warning near the end. */
static int
check_dates(X509 *cert, time_t now, const char *ref, const char *what,
    void (*report)(void *, bool, const char *), void *arg)
{
	char a[40], b[40];
	int days, secs;

	if (X509_cmp_time(X509_get0_notBefore(cert), &now) > 0) {
		say(report, arg, false, "%s: %s is not valid before %s (valid "
		    "until %s; is this host's clock right?)", ref, what,
		    asn1_time_str(X509_get0_notBefore(cert), a, sizeof(a)),
		    asn1_time_str(X509_get0_notAfter(cert), b, sizeof(b)));
		return -1;
	}
	if (X509_cmp_time(X509_get0_notAfter(cert), &now) < 0) {
		say(report, arg, false, "%s: %s expired on %s (valid from "
		    "%s): issue a new one (proxyd-ca issue)", ref, what,
		    asn1_time_str(X509_get0_notAfter(cert), a, sizeof(a)),
		    asn1_time_str(X509_get0_notBefore(cert), b, sizeof(b)));
		return -1;
	}
	{
		ASN1_TIME *t = ASN1_TIME_set(NULL, now);

		if (t != NULL && ASN1_TIME_diff(&days, &secs, t,
		    X509_get0_notAfter(cert)) == 1 &&
		    days < TLS_EXPIRY_WARN_DAYS)
			say(report, arg, true, "%s: %s expires on %s, in %d "
			    "day(s): renew it before then", ref, what,
			    asn1_time_str(X509_get0_notAfter(cert), a,
			    sizeof(a)), days);
		ASN1_TIME_free(t);
	}
	return 0;
}

/*
 * Our own prefixes against our certificate's RFC 3779 blocks ("inherit"
 * resolved up the verified chain, if any): what the other proxies would
 * refuse is an error here.  Without blocks, only 'tls.require_prefixes'
 * makes prefixes an error.  An aliased prefix is checked by its alias
 * (what the others see).
 */
static int
own_prefixes_covered(const struct conf *c, X509 *cert, STACK_OF(X509) *vchain,
    void (*report)(void *, bool, const char *), void *arg)
{
	struct lsasig_blocks b;
	char a[INET_ADDRSTRLEN];

	if (c->n_prefixes == 0)
		return 0;
	(void)lsasig_cert_blocks(cert, vchain, &b);
	for (size_t i = 0; i < c->n_prefixes; i++) {
		const struct conf_prefix *p = &c->prefixes[i];
		struct in_addr adv = conf_prefix_adv(p);
		char ps[CONF_PREFIX_STRLEN];

		if (b.has_ext ? (p->v6 ? lsasig_blocks_cover6(&b, &p->addr6,
		    p->plen) : lsasig_blocks_cover(&b, ntohl(adv.s_addr),
		    p->plen)) : !c->tls_require_prefixes)
			continue;
		if (p->v6)
			conf_prefix_str(p, ps, sizeof(ps));
		else
			snprintf(ps, sizeof(ps), "%s/%u", inet_ntop(AF_INET,
			    &adv, a, sizeof(a)), p->plen);
		say(report, arg, false, "%s:%u: 'prefixes.[%zu]' '%s' is "
		    "not covered by certificate '%s': %s; every proxy would "
		    "refuse the claim (issue a certificate with it: proxyd-ca "
		    "issue DIR %s --prefix %s)", c->prefixes_file != NULL ?
		    c->prefixes_file : "?", p->line, i, ps,
		    c->tls_cert, b.has_ext ? "it lies outside the "
		    "certificate's address blocks (sbgp-ipAddrBlock)" : "the "
		    "certificate has no address blocks and "
		    "'tls.require_prefixes' is set", c->name, ps);
		return -1;
	}
	return 0;
}

int
tls_check_own(const struct conf *c, time_t now,
    void (*report)(void *arg, bool warning, const char *msg), void *arg)
{
	char name[PKT_NAME_MAX + 2], ca_ref[700], crt_ref[700], key_ref[700];
	char dn[200], ca_dn[200];
	STACK_OF(X509) *chain = NULL;
	X509_STORE *store = NULL;
	X509_STORE_CTX *xs = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL, *x;
	const char *why;
	int n_ca = 0, rc = 0;
	FILE *f;

	file_ref(conf_at(c, "tls.ca"), "tls.ca", c->tls_ca, ca_ref,
	    sizeof(ca_ref));
	file_ref(conf_at(c, "tls.cert"), "tls.cert", c->tls_cert, crt_ref,
	    sizeof(crt_ref));
	file_ref(conf_at(c, "tls.key"), "tls.key", c->tls_key, key_ref,
	    sizeof(key_ref));
	ca_dn[0] = '\0';

	/* the CA: every certificate in the file is trusted */
	if ((store = X509_STORE_new()) == NULL)
		goto oom;
	if ((f = open_or_say(ca_ref, c->tls_ca, report, arg)) != NULL) {
		while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
			if (n_ca++ == 0)
				who_str(x, false, ca_dn, sizeof(ca_dn));
			if (check_dates(x, now, ca_ref, "the CA certificate",
			    report, arg) == -1)
				rc = -1;
			X509_STORE_add_cert(store, x);
			X509_free(x);
		}
		ERR_clear_error();
		fclose(f);
		if (n_ca == 0) {
			say(report, arg, false, "%s holds no PEM certificate",
			    ca_ref);
			rc = -1;
		}
	} else
		rc = -1;

	/* the own certificate, and any chain after it */
	if ((f = open_or_say(crt_ref, c->tls_cert, report, arg)) != NULL) {
		cert = PEM_read_X509(f, NULL, NULL, NULL);
		if (cert != NULL && (chain = sk_X509_new_null()) != NULL)
			while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL)
				if (sk_X509_push(chain, x) == 0)
					X509_free(x);
		ERR_clear_error();
		fclose(f);
		if (cert == NULL) {
			say(report, arg, false, "%s holds no PEM certificate",
			    crt_ref);
			rc = -1;
		}
	} else
		rc = -1;
	if (cert != NULL) {
		if (tls_cert_name(cert, name, sizeof(name), &why) == -1) {
			say(report, arg, false, "%s cannot name a proxy: %s",
			    crt_ref, why);
			rc = -1;
		} else if (strcmp(name, c->name) != 0) {
			say(report, arg, false, "%s: 'name' '%s' is not the "
			    "name in certificate '%s' ('%s'): the other proxies "
			    "would know this one as '%s'", c->name_at != NULL ?
			    c->name_at : "?", c->name, c->tls_cert, name, name);
			rc = -1;
		}
		if (check_dates(cert, now, crt_ref, "the certificate", report,
		    arg) == -1)
			rc = -1;
	}
	if (cert != NULL && n_ca > 0) {
		if ((xs = X509_STORE_CTX_new()) == NULL ||
		    X509_STORE_CTX_init(xs, store, cert, chain) != 1)
			goto oom;
		/* the dates are checked above, each with its own message */
		X509_STORE_CTX_set_flags(xs, X509_V_FLAG_NO_CHECK_TIME);
		if (X509_verify_cert(xs) != 1) {
			int e = X509_STORE_CTX_get_error(xs);

			if (e == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
			    e == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
			    e == X509_V_ERR_CERT_SIGNATURE_FAILURE ||
			    e == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE ||
			    e == X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN)
				say(report, arg, false, "%s is not issued by "
				    "the CA in '%s' (issuer %s; CA %s): the "
				    "other proxies would refuse it", crt_ref,
				    c->tls_ca, who_str(cert, true, dn,
				    sizeof(dn)), ca_dn);
			else
				say(report, arg, false, "%s does not verify "
				    "against the CA in '%s': %s", crt_ref,
				    c->tls_ca, X509_verify_cert_error_string(e));
			rc = -1;
		} else if (own_prefixes_covered(c, cert,
		    X509_STORE_CTX_get0_chain(xs), report, arg) == -1)
			rc = -1;
		ERR_clear_error();
	} else if (cert != NULL && own_prefixes_covered(c, cert, NULL, report,
	    arg) == -1)
		rc = -1;

	/* the key, and that it is the certificate's */
	if ((f = open_or_say(key_ref, c->tls_key, report, arg)) != NULL) {
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		ERR_clear_error();
		fclose(f);
		if (key == NULL) {
			say(report, arg, false, "%s holds no PEM private key "
			    "(an encrypted key is not supported)", key_ref);
			rc = -1;
		} else if (cert != NULL && X509_check_private_key(cert, key)
		    != 1) {
			say(report, arg, false, "%s does not match the "
			    "certificate '%s' (it is the key of another "
			    "certificate): use the key the certificate was "
			    "issued for", key_ref, c->tls_cert);
			rc = -1;
		}
		ERR_clear_error();
	} else
		rc = -1;
	goto out;
oom:
	say(report, arg, false, "out of memory checking the certificates");
	rc = -1;
out:
	X509_STORE_CTX_free(xs);
	X509_STORE_free(store);
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	EVP_PKEY_free(key);
	ERR_clear_error();
	return rc;
}
