/* SPDX-License-Identifier: ISC */
/*
 * CRLs (see crl.h) over OpenSSL's X509_CRL.  Parsing goes through d2i with
 * the length checked first and every byte required to be consumed; the
 * CRL number is read as an ASN.1 integer and kept when it fits 64 bits.
 * No globals, no logging, no clock (a CRL's nextUpdate is not enforced:
 * the newest list a proxy holds stays in force until a newer one comes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crl.h"

static uint64_t
number_of(X509_CRL *x)
{
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(x, NID_crl_number, NULL, NULL);
	uint64_t v = 0;

	if (n != NULL && ASN1_INTEGER_get_uint64(&v, n) != 1)
		v = 0;
	ASN1_INTEGER_free(n);
	ERR_clear_error();
	return v;
}

/* Takes ownership of x. */
static struct crl *
wrap(X509_CRL *x, const char **why)
{
	struct crl *c;
	unsigned char *der = NULL;
	int n;

	if ((n = i2d_X509_CRL(x, &der)) <= 0 || (size_t)n > CRL_DER_MAX) {
		*why = n <= 0 ? "cannot encode the CRL" : "CRL too large";
		OPENSSL_free(der);
		X509_CRL_free(x);
		return NULL;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->der = malloc((size_t)n)) == NULL) {
		*why = "out of memory";
		free(c);
		OPENSSL_free(der);
		X509_CRL_free(x);
		return NULL;
	}
	memcpy(c->der, der, (size_t)n);
	OPENSSL_free(der);
	c->der_len = (size_t)n;
	c->x = x;
	c->number = number_of(x);
	return c;
}

struct crl *
crl_from_der(const uint8_t *p, size_t len, const char **why)
{
	const unsigned char *q = p;
	X509_CRL *x;

	if (len == 0 || len > CRL_DER_MAX) {
		*why = len == 0 ? "empty CRL" : "CRL too large";
		return NULL;
	}
	x = d2i_X509_CRL(NULL, &q, (long)len);
	ERR_clear_error();
	if (x == NULL) {
		*why = "not a DER CRL";
		return NULL;
	}
	if (q != p + len) {
		X509_CRL_free(x);
		*why = "trailing bytes after the CRL";
		return NULL;
	}
	return wrap(x, why);
}

struct crl *
crl_from_pem_file(const char *path, const char **why)
{
	FILE *f;
	X509_CRL *x, *best = NULL;
	uint64_t best_n = 0;

	if ((f = fopen(path, "r")) == NULL) {
		*why = "cannot be read";
		return NULL;
	}
	while ((x = PEM_read_X509_CRL(f, NULL, NULL, NULL)) != NULL) {
		uint64_t n = number_of(x);

		if (best == NULL || n > best_n) {
			X509_CRL_free(best);
			best = x;
			best_n = n;
		} else
			X509_CRL_free(x);
	}
	ERR_clear_error();
	fclose(f);
	if (best == NULL) {
		*why = "holds no PEM CRL";
		return NULL;
	}
	return wrap(best, why);
}

void
crl_free(struct crl *c)
{
	if (c == NULL)
		return;
	X509_CRL_free(c->x);
	free(c->der);
	free(c);
}

int
crl_verify(const struct crl *c, STACK_OF(X509) *cas, const char **why)
{
	*why = "not issued by the network's CA";
	for (int i = 0; i < sk_X509_num(cas); i++) {
		X509 *ca = sk_X509_value(cas, i);
		EVP_PKEY *k;
		int ok;

		if (X509_NAME_cmp(X509_CRL_get_issuer(c->x),
		    X509_get_subject_name(ca)) != 0)
			continue;
		if ((k = X509_get0_pubkey(ca)) == NULL)
			continue;
		ok = X509_CRL_verify(c->x, k);
		ERR_clear_error();
		if (ok == 1)
			return 0;
		*why = "bad signature";
	}
	return -1;
}

int
crl_cmp(const struct crl *a, const struct crl *b)
{
	if (b == NULL)
		return 1;
	return a->number > b->number ? 1 : a->number == b->number ? 0 : -1;
}

bool
crl_revokes(const struct crl *c, X509 *cert)
{
	X509_REVOKED *r = NULL;

	if (c == NULL || cert == NULL)
		return false;
	if (X509_NAME_cmp(X509_CRL_get_issuer(c->x),
	    X509_get_issuer_name(cert)) != 0)
		return false;
	return X509_CRL_get0_by_serial(c->x, &r,
	    X509_get0_serialNumber(cert)) == 1;
}
