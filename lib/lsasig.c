/* SPDX-License-Identifier: ISC */
/*
 * This file owns advertisement signatures and the checks of the claims an
 * advertisement makes against its originator's certificate (see
 * lsasig.h): the name rule, RFC 3779 address blocks, EVP signing and
 * verification, and the per-origin cache of chain checks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lsasig.h"

const char *
lsasig_result_str(enum lsasig_result r)
{
	switch (r) {
	case LSASIG_OK:		return "ok";
	case LSASIG_UNSIGNED:	return "unsigned";
	case LSASIG_BAD_CERT:	return "bad_cert";
	case LSASIG_WRONG_NAME:	return "wrong_name";
	case LSASIG_BAD_SIG:	return "bad_signature";
	case LSASIG_REVOKED:	return "revoked";
	case LSASIG_NOMEM:	return "no_memory";
	}
	return "?";
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
lsasig_cert_name(X509 *cert, char *buf, size_t len, const char **why)
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

/*
 * The part of one certificate's extension for family afi (IANA_AFI_IPV4
 * or IANA_AFI_IPV6).  Returns 1 if it says inherit, 0 if b was filled
 * (possibly with nothing), -1 if malformed.
 */
static int
blocks_of(X509 *cert, struct lsasig_blocks *b, unsigned afi)
{
	IPAddrBlocks	*addr;
	int		 crit = -1, rc = 0, alen = afi == IANA_AFI_IPV4 ? 4 : 16;

	addr = X509_get_ext_d2i(cert, NID_sbgp_ipAddrBlock, &crit, NULL);
	if (addr == NULL) {
		ERR_clear_error();
		return crit == -1 ? 0 : -1;	/* -1: absent */
	}
	b->has_ext = true;
	for (int i = 0; i < sk_IPAddressFamily_num(addr); i++) {
		IPAddressFamily		*f = sk_IPAddressFamily_value(addr, i);
		IPAddressOrRanges	*aors;

		if (X509v3_addr_get_afi(f) != afi)
			continue;
		if (f->ipAddressChoice->type == IPAddressChoice_inherit) {
			rc = 1;
			break;
		}
		aors = f->ipAddressChoice->u.addressesOrRanges;
		for (int j = 0; j < sk_IPAddressOrRange_num(aors); j++) {
			uint8_t	lo[16], hi[16];

			if (X509v3_addr_get_range(sk_IPAddressOrRange_value(aors,
			    j), afi, lo, hi, alen) != alen) {
				rc = -1;
				break;
			}
			if (afi == IANA_AFI_IPV6) {
				if (b->n6 == LSASIG_BLOCKS_MAX) {
					b->truncated = true;
					break;
				}
				memcpy(b->lo6[b->n6], lo, 16);
				memcpy(b->hi6[b->n6++], hi, 16);
				continue;
			}
			if (b->n == LSASIG_BLOCKS_MAX) {
				b->truncated = true;
				break;
			}
			b->lo[b->n] = (uint32_t)lo[0] << 24 |
			    (uint32_t)lo[1] << 16 | (uint32_t)lo[2] << 8 | lo[3];
			b->hi[b->n++] = (uint32_t)hi[0] << 24 |
			    (uint32_t)hi[1] << 16 | (uint32_t)hi[2] << 8 | hi[3];
		}
		break;		/* one entry per family (canonical form) */
	}
	sk_IPAddressFamily_pop_free(addr, IPAddressFamily_free);
	return rc;
}

/* One family's blocks of cert, inherit resolved up chain. */
static int
family_blocks(X509 *cert, STACK_OF(X509) *chain, struct lsasig_blocks *b,
    unsigned afi)
{
	int	i = 0, rc;

	for (;;) {
		rc = blocks_of(cert, b, afi);
		if (rc != 1)
			break;
		/* inherit: the issuer's blocks, up the verified chain */
		if (afi == IANA_AFI_IPV6)
			b->n6 = 0;
		else
			b->n = 0;
		if (chain == NULL || ++i >= sk_X509_num(chain)) {
			rc = 0;		/* nothing to inherit from: none */
			break;
		}
		cert = sk_X509_value(chain, i);
	}
	return rc;
}

int
lsasig_cert_blocks(X509 *cert, STACK_OF(X509) *chain,
    struct lsasig_blocks *b)
{
	int	rc4, rc6;

	memset(b, 0, sizeof(*b));
	rc4 = family_blocks(cert, chain, b, IANA_AFI_IPV4);
	rc6 = family_blocks(cert, chain, b, IANA_AFI_IPV6);
	if (rc4 == -1 || rc6 == -1) {
		b->has_ext = true;	/* malformed: covers nothing */
		b->n = 0;
		b->n6 = 0;
		return -1;
	}
	return 0;
}

bool
lsasig_blocks_cover(const struct lsasig_blocks *b, uint32_t addr,
    uint8_t plen)
{
	uint32_t mask, lo, hi;

	if (plen > 32)
		return false;
	mask = plen == 0 ? 0 : UINT32_MAX << (32 - plen);
	lo = addr & mask;
	hi = lo | ~mask;
	for (size_t i = 0; i < b->n; i++)
		if (b->lo[i] <= lo && hi <= b->hi[i])
			return true;
	return false;
}

bool
lsasig_blocks_cover6(const struct lsasig_blocks *b,
    const struct in6_addr *addr, uint8_t plen)
{
	uint8_t lo[16], hi[16];

	if (plen > 128)
		return false;
	for (unsigned k = 0; k < 16; k++) {
		unsigned bits = plen >= (k + 1) * 8 ? 8 : plen <= k * 8 ? 0 :
		    plen - k * 8;
		uint8_t m = (uint8_t)(bits == 0 ? 0 : 0xff << (8 - bits));

		lo[k] = addr->s6_addr[k] & m;
		hi[k] = (uint8_t)(lo[k] | (uint8_t)~m);
	}
	for (size_t i = 0; i < b->n6; i++)
		if (memcmp(b->lo6[i], lo, 16) <= 0 &&
		    memcmp(hi, b->hi6[i], 16) <= 0)
			return true;
	return false;
}

/* --- signing --- */

struct lsasig_key {
	EVP_PKEY	*key;
	X509		*cert;
	uint16_t	 der_len;
	uint8_t		 der[PKT_LSA_CERT_MAX];
};

/* Ed25519 signs the message itself (no digest); others use SHA-256. */
static const EVP_MD *
sig_md(EVP_PKEY *k)
{
	return EVP_PKEY_get_id(k) == EVP_PKEY_ED25519 ? NULL : EVP_sha256();
}

struct lsasig_key *
lsasig_key_new(EVP_PKEY *key, X509 *cert)
{
	struct lsasig_key	*k;
	unsigned char		*p;
	int			 n;

	if ((n = i2d_X509(cert, NULL)) <= 0 || n > PKT_LSA_CERT_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	p = k->der;
	if (i2d_X509(cert, &p) != n || EVP_PKEY_up_ref(key) != 1) {
		free(k);
		errno = EINVAL;
		return NULL;
	}
	if (X509_up_ref(cert) != 1) {
		EVP_PKEY_free(key);
		free(k);
		errno = EINVAL;
		return NULL;
	}
	k->der_len = (uint16_t)n;
	k->key = key;
	k->cert = cert;
	return k;
}

struct lsasig_key *
lsasig_key_load(const char *cert_file, const char *key_file, char *err,
    size_t errlen)
{
	struct lsasig_key	*k = NULL;
	EVP_PKEY		*key = NULL;
	X509			*cert = NULL;
	FILE			*f;

	if ((f = fopen(cert_file, "r")) == NULL) {
		snprintf(err, errlen, "cannot read '%s': %s", cert_file,
		    strerror(errno));
		return NULL;
	}
	cert = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (cert == NULL) {
		snprintf(err, errlen, "'%s' holds no PEM certificate",
		    cert_file);
		goto out;
	}
	if ((f = fopen(key_file, "r")) == NULL) {
		snprintf(err, errlen, "cannot read '%s': %s", key_file,
		    strerror(errno));
		goto out;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key == NULL) {
		snprintf(err, errlen, "'%s' holds no PEM private key",
		    key_file);
		goto out;
	}
	if (X509_check_private_key(cert, key) != 1) {
		snprintf(err, errlen, "key '%s' does not match certificate "
		    "'%s'", key_file, cert_file);
		goto out;
	}
	if ((k = lsasig_key_new(key, cert)) == NULL)
		snprintf(err, errlen, "certificate '%s' is larger than %d "
		    "bytes in DER, too large to travel with advertisements",
		    cert_file, PKT_LSA_CERT_MAX);
out:
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(cert);
	return k;
}

void
lsasig_key_free(struct lsasig_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->key);
	X509_free(k->cert);
	free(k);
}

X509 *
lsasig_key_cert(const struct lsasig_key *k)
{
	return k->cert;
}

int
lsasig_sign(const struct lsasig_key *k, struct pkt_lsa *lsa)
{
	uint8_t		 tbs[PKT_LSA_TBS_MAX];
	EVP_MD_CTX	*ctx;
	size_t		 siglen = sizeof(lsa->sig);
	int		 n, rc = -1;

	lsa->cert_len = 0;
	lsa->sig_len = 0;
	if ((n = pkt_lsa_tbs(lsa, tbs, sizeof(tbs))) < 0)
		return -1;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestSignInit(ctx, NULL, sig_md(k->key), NULL, k->key) == 1 &&
	    EVP_DigestSign(ctx, lsa->sig, &siglen, tbs, (size_t)n) == 1 &&
	    siglen <= PKT_LSA_SIG_MAX) {
		lsa->sig_len = (uint16_t)siglen;
		memcpy(lsa->cert, k->der, k->der_len);
		lsa->cert_len = k->der_len;
		rc = 0;
	}
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* --- verifying --- */

struct cache_entry {
	char			origin[PKT_NAME_MAX + 1];
	uint8_t			hash[32];	/* SHA-256 of the DER */
	enum lsasig_result	result;		/* of chain and name */
	time_t			checked;
	EVP_PKEY		*key;		/* LSASIG_OK only */
	struct lsasig_blocks	blocks;
};

struct lsasig_verifier {
	X509_STORE		*store;
	X509_CRL		*crl;		/* in force, or NULL */
	bool			 require_prefixes;
	struct cache_entry	*slot[LSASIG_CACHE_SLOTS];
	struct lsasig_stats	 st;
};

struct lsasig_verifier *
lsasig_verifier_new(X509_STORE *store, bool require_prefixes)
{
	struct lsasig_verifier *v;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	if (X509_STORE_up_ref(store) != 1) {
		free(v);
		return NULL;
	}
	v->store = store;
	v->require_prefixes = require_prefixes;
	return v;
}

struct lsasig_verifier *
lsasig_verifier_load(const char *ca_file, bool require_prefixes, char *err,
    size_t errlen)
{
	struct lsasig_verifier	*v;
	X509_STORE		*store;

	if ((store = X509_STORE_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (X509_STORE_load_file(store, ca_file) != 1) {
		snprintf(err, errlen, "cannot load CA '%s'", ca_file);
		X509_STORE_free(store);
		ERR_clear_error();
		return NULL;
	}
	v = lsasig_verifier_new(store, require_prefixes);
	X509_STORE_free(store);
	if (v == NULL)
		snprintf(err, errlen, "out of memory");
	return v;
}

static void
entry_free(struct cache_entry *e)
{
	if (e == NULL)
		return;
	EVP_PKEY_free(e->key);
	free(e);
}

void
lsasig_verifier_flush(struct lsasig_verifier *v)
{
	for (size_t i = 0; i < LSASIG_CACHE_SLOTS; i++) {
		entry_free(v->slot[i]);
		v->slot[i] = NULL;
	}
}

void
lsasig_verifier_free(struct lsasig_verifier *v)
{
	if (v == NULL)
		return;
	lsasig_verifier_flush(v);
	X509_CRL_free(v->crl);
	X509_STORE_free(v->store);
	free(v);
}

void
lsasig_verifier_set_crl(struct lsasig_verifier *v, X509_CRL *crl)
{
	if (crl == v->crl)
		return;
	if (crl != NULL && X509_CRL_up_ref(crl) != 1)
		return;
	X509_CRL_free(v->crl);
	v->crl = crl;
	lsasig_verifier_flush(v);
}

bool
lsasig_der_revoked(const uint8_t *der, size_t len, X509_CRL *crl)
{
	const unsigned char *p = der;
	X509_REVOKED *rev;
	X509 *cert;
	bool revoked;

	if (crl == NULL || len == 0 ||
	    (cert = d2i_X509(NULL, &p, (long)len)) == NULL) {
		ERR_clear_error();
		return false;
	}
	revoked = X509_CRL_get0_by_cert(crl, &rev, cert) == 1;
	X509_free(cert);
	ERR_clear_error();
	return revoked;
}

void
lsasig_verifier_stats(const struct lsasig_verifier *v,
    struct lsasig_stats *st)
{
	*st = v->st;
}

/* FNV-1a of the origin name: its cache slot. */
static size_t
slot_of(const char *origin)
{
	uint32_t h = 2166136261u;

	for (const char *s = origin; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h % LSASIG_CACHE_SLOTS;
}

/* Checks the certificate of lsa into a fresh entry (chain, name, blocks). */
static void
entry_check(struct lsasig_verifier *v, const struct pkt_lsa *lsa,
    time_t now, struct cache_entry *e)
{
	const unsigned char	*p = lsa->cert;
	X509			*cert;
	X509_STORE_CTX		*ctx = NULL;
	char			 name[PKT_NAME_MAX + 1];
	const char		*why;

	e->result = LSASIG_BAD_CERT;
	if ((cert = d2i_X509(NULL, &p, lsa->cert_len)) == NULL ||
	    p != lsa->cert + lsa->cert_len)
		goto out;
	if ((ctx = X509_STORE_CTX_new()) == NULL) {
		e->result = LSASIG_NOMEM;
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, v->store, cert, NULL) != 1)
		goto out;
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), now);
	v->st.chain_checks++;
	if (X509_verify_cert(ctx) != 1)
		goto out;
	if (v->crl != NULL) {
		X509_REVOKED *rev;

		if (X509_CRL_get0_by_cert(v->crl, &rev, cert) == 1) {
			e->result = LSASIG_REVOKED;
			goto out;
		}
	}
	if (lsasig_cert_name(cert, name, sizeof(name), &why) == -1 ||
	    strcmp(name, lsa->origin) != 0) {
		e->result = LSASIG_WRONG_NAME;
		goto out;
	}
	(void)lsasig_cert_blocks(cert, X509_STORE_CTX_get0_chain(ctx),
	    &e->blocks);
	if ((e->key = X509_get_pubkey(cert)) == NULL)
		goto out;
	e->result = LSASIG_OK;
out:
	X509_STORE_CTX_free(ctx);
	X509_free(cert);
	ERR_clear_error();
}

enum lsasig_result
lsasig_verify(struct lsasig_verifier *v, const struct pkt_lsa *lsa,
    time_t now, uint64_t *refused, bool *no_blocks)
{
	uint8_t			 tbs[PKT_LSA_TBS_MAX], hash[32];
	unsigned int		 hlen = 0;
	struct cache_entry	*e;
	size_t			 s;
	EVP_MD_CTX		*ctx;
	int			 n, ok;

	*refused = 0;
	*no_blocks = false;
	if (lsa->cert_len == 0 || lsa->sig_len == 0 ||
	    lsa->cert_len > PKT_LSA_CERT_MAX || lsa->sig_len > PKT_LSA_SIG_MAX)
		return LSASIG_UNSIGNED;
	if (memchr(lsa->origin, '\0', sizeof(lsa->origin)) == NULL)
		return LSASIG_WRONG_NAME;
	if (EVP_Digest(lsa->cert, lsa->cert_len, hash, &hlen, EVP_sha256(),
	    NULL) != 1 || hlen != sizeof(hash))
		return LSASIG_NOMEM;

	s = slot_of(lsa->origin);
	e = v->slot[s];
	if (e != NULL && strcmp(e->origin, lsa->origin) == 0 &&
	    CRYPTO_memcmp(e->hash, hash, sizeof(hash)) == 0 &&
	    now >= e->checked && now - e->checked < LSASIG_RECHECK_S) {
		v->st.cache_hits++;
	} else {
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return LSASIG_NOMEM;
		memcpy(e->origin, lsa->origin, sizeof(e->origin));
		memcpy(e->hash, hash, sizeof(hash));
		e->checked = now;
		entry_check(v, lsa, now, e);
		entry_free(v->slot[s]);
		v->slot[s] = e;
	}
	if (e->result != LSASIG_OK)
		return e->result;

	if ((n = pkt_lsa_tbs(lsa, tbs, sizeof(tbs))) < 0)
		return LSASIG_BAD_SIG;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return LSASIG_NOMEM;
	ok = EVP_DigestVerifyInit(ctx, NULL, sig_md(e->key), NULL,
	    e->key) == 1 && EVP_DigestVerify(ctx, lsa->sig, lsa->sig_len,
	    tbs, (size_t)n) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	if (!ok)
		return LSASIG_BAD_SIG;

	for (uint16_t i = 0; i < lsa->n_prefixes && i < 64; i++) {
		const struct pkt_lsa_prefix *p = &lsa->prefixes[i];
		bool cover;

		if (!e->blocks.has_ext) {
			cover = !v->require_prefixes;
			*no_blocks = !cover;
		}
		else if (p->v6)
			cover = lsasig_blocks_cover6(&e->blocks, &p->addr6,
			    p->plen);
		else
			cover = lsasig_blocks_cover(&e->blocks,
			    ntohl(p->addr.s_addr), p->plen);
		if (!cover)
			*refused |= UINT64_C(1) << i;
	}
	return LSASIG_OK;
}
