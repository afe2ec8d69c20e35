/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for CRLs as they arrive in a CRL
 * message (lib/crl.c): the input is the message body, DER bytes from a
 * neighbour.  Parsed (bounds, trailing bytes), ordered against a CRL of
 * its own, checked against a CA made at start (issuer, signature: a
 * forgery must fail, never crash), and asked about a certificate of that
 * CA.  Every path must end in a clean refusal or a CRL that frees.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "crl.h"
#include "flags.h"
#include "pkt.h"

static const char *const flags[] = { "-max_len=16385", NULL };
static STACK_OF(X509) *cas;
static X509 *leaf;

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static X509 *
cert(const char *cn, long serial, EVP_PKEY *key, EVP_PKEY *signer,
    X509 *issuer)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	if (x == NULL || n == NULL)
		abort();
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) :
	    n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	if (X509_sign(x, signer, EVP_sha256()) <= 0)
		abort();
	X509_NAME_free(n);
	return x;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *ca;

	fuzz_default_flags(argc, argv, flags);
	if (k == NULL || (cas = sk_X509_new_null()) == NULL)
		abort();
	ca = cert("proxyd CA", 1, k, k, NULL);
	sk_X509_push(cas, ca);
	leaf = cert("rogue", 2, k, k, ca);
	EVP_PKEY_free(k);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_msg m;
	uint8_t *msg;
	const char *why = NULL;
	struct crl *c, *d;

	/* as it comes: a CRL message, decoded, then its body parsed */
	if ((msg = malloc(size + 1)) == NULL)
		abort();
	msg[0] = PKT_MSG_CRL;
	if (size > 0)
		memcpy(msg + 1, data, size);
	if (pkt_msg_decode(msg, size + 1, &m, &why) == -1) {
		if (why == NULL || size <= PKT_CRL_MAX && size > 0)
			abort();	/* only empty or oversized bodies fail */
		free(msg);
		return 0;
	}
	if ((c = crl_from_der(m.u.crl.der, m.u.crl.len, &why)) == NULL) {
		if (why == NULL)
			abort();
		free(msg);
		return 0;
	}
	if (c->der_len == 0 || c->der_len > CRL_DER_MAX)
		abort();
	/* our own encoding parses again, to the same number */
	if ((d = crl_from_der(c->der, c->der_len, &why)) == NULL ||
	    d->number != c->number || crl_cmp(c, d) != 0)
		abort();
	/* a CRL made by nobody's key never verifies against our CA */
	if (crl_verify(c, cas, &why) == 0)
		abort();
	(void)crl_revokes(c, leaf);
	(void)crl_cmp(c, NULL);
	crl_free(d);
	crl_free(c);
	free(msg);
	return 0;
}
