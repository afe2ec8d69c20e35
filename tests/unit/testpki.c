/* SPDX-License-Identifier: ISC */
/*
 * This file owns the in-memory test CA (see testpki.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "testpki.h"

struct made {
	char		 name[PKT_NAME_MAX + 1];
	char		 blocks[256];
	bool		 ed25519;
	bool		 foreign;
	struct lsasig_key *key;
};

#define MADE_MAX	256

static EVP_PKEY		*ca_key, *other_key;
static X509		*ca_cert, *other_cert;
static X509_STORE	*store;
static struct made	 made[MADE_MAX];
static size_t		 n_made;

static void
die(const char *what)
{
	fprintf(stderr, "testpki: %s\n", what);
	abort();
}

static void
add_ext(X509 *issuer, X509 *cert, int nid, const char *value)
{
	X509V3_CTX	 v3;
	X509_EXTENSION	*ext;

	X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL ||
	    X509_add_ext(cert, ext, -1) != 1)
		die(value);
	X509_EXTENSION_free(ext);
}

/* A certificate for key named cn, issued by (issuer, ikey) or self. */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey,
    const char *blocks, bool ca)
{
	static long	 serial = 1;
	X509		*x = X509_new();
	X509_NAME	*n = X509_NAME_new();
	char		 san[128];

	if (x == NULL || n == NULL)
		die("out of memory");
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, issuer != NULL ?
	    X509_get_subject_name(issuer) : n);
	X509_NAME_free(n);
	X509_set_pubkey(x, key);
	if (ca) {
		add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		add_ext(issuer, x, NID_basic_constraints, "critical,CA:FALSE");
		snprintf(san, sizeof(san), "DNS:%s", cn);
		add_ext(issuer, x, NID_subject_alt_name, san);
	}
	if (blocks != NULL) {
		char v[300];

		snprintf(v, sizeof(v), "critical,%s", blocks);
		add_ext(issuer != NULL ? issuer : x, x, NID_sbgp_ipAddrBlock, v);
	}
	if (X509_sign(x, ikey != NULL ? ikey : key,
	    EVP_PKEY_get_id(ikey != NULL ? ikey : key) == EVP_PKEY_ED25519 ?
	    NULL : EVP_sha256()) == 0)
		die("cannot sign a certificate");
	return x;
}

static EVP_PKEY *
new_key(bool ed25519)
{
	EVP_PKEY *k = ed25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	if (k == NULL)
		die("cannot make a key");
	return k;
}

void
testpki_init(void)
{
	if (store != NULL)
		return;
	ca_key = new_key(false);
	ca_cert = make_cert(ca_key, "test CA", NULL, NULL,
	    "IPv4:0.0.0.0/0,IPv6:fd00::/8", true);
	other_key = new_key(false);
	other_cert = make_cert(other_key, "other CA", NULL, NULL,
	    "IPv4:0.0.0.0/0,IPv6:fd00::/8", true);
	if ((store = X509_STORE_new()) == NULL ||
	    X509_STORE_add_cert(store, ca_cert) != 1)
		die("cannot make the store");
}

X509_STORE *
testpki_store(void)
{
	testpki_init();
	return store;
}

static struct lsasig_key *
key_for(const char *name, const char *blocks, bool ed25519, bool foreign)
{
	struct made	*m;
	EVP_PKEY	*k;
	X509		*x;

	testpki_init();
	for (size_t i = 0; i < n_made; i++) {
		m = &made[i];
		if (strcmp(m->name, name) == 0 && m->ed25519 == ed25519 &&
		    m->foreign == foreign && strcmp(m->blocks, blocks != NULL ?
		    blocks : "") == 0)
			return m->key;
	}
	if (n_made == MADE_MAX)
		die("too many test certificates");
	m = &made[n_made++];
	snprintf(m->name, sizeof(m->name), "%s", name);
	snprintf(m->blocks, sizeof(m->blocks), "%s", blocks != NULL ?
	    blocks : "");
	m->ed25519 = ed25519;
	m->foreign = foreign;
	k = new_key(ed25519);
	x = make_cert(k, name, foreign ? other_cert : ca_cert,
	    foreign ? other_key : ca_key, blocks, false);
	if ((m->key = lsasig_key_new(k, x)) == NULL)
		die("lsasig_key_new");
	EVP_PKEY_free(k);
	X509_free(x);
	return m->key;
}

struct lsasig_key *
testpki_key(const char *name, const char *blocks, bool ed25519)
{
	return key_for(name, blocks, ed25519, false);
}

struct lsasig_key *
testpki_foreign_key(const char *name)
{
	return key_for(name, NULL, false, true);
}

void
testpki_sign(struct pkt_lsa *lsa)
{
	if (lsasig_sign(testpki_key(lsa->origin, NULL, false), lsa) == -1)
		die("lsasig_sign");
}

struct lsasig_verifier *
testpki_verifier(bool require_prefixes)
{
	struct lsasig_verifier *v = lsasig_verifier_new(testpki_store(),
	    require_prefixes);

	if (v == NULL)
		die("lsasig_verifier_new");
	return v;
}

X509_CRL *
testpki_crl(const char *const *names, size_t n)
{
	X509_CRL	*crl = X509_CRL_new();
	ASN1_TIME	*t = ASN1_TIME_new();

	testpki_init();
	if (crl == NULL || t == NULL)
		die("out of memory");
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca_cert));
	X509_gmtime_adj(t, -60);
	X509_CRL_set1_lastUpdate(crl, t);
	X509_gmtime_adj(t, 3600L * 24);
	X509_CRL_set1_nextUpdate(crl, t);
	for (size_t i = 0; i < n; i++) {
		X509		*x = lsasig_key_cert(testpki_key(names[i], NULL,
				    false));
		X509_REVOKED	*r = X509_REVOKED_new();

		if (r == NULL || X509_REVOKED_set_serialNumber(r,
		    X509_get_serialNumber(x)) != 1 ||
		    X509_REVOKED_set_revocationDate(r, t) != 1 ||
		    X509_CRL_add0_revoked(crl, r) != 1)
			die("cannot revoke");
	}
	ASN1_TIME_free(t);
	X509_CRL_sort(crl);
	if (X509_CRL_sign(crl, ca_key, EVP_sha256()) == 0)
		die("cannot sign the CRL");
	return crl;
}
