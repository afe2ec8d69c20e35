/* SPDX-License-Identifier: ISC */
/*
 * Origin authentication of advertisements: the originator signs what it
 * claims with its certificate's key, and every proxy checks the signature,
 * the certificate's chain to the network CA, that the certificate names
 * the origin, and which advertised prefixes the certificate's RFC 3779
 * address blocks (sbgp-ipAddrBlock) cover.  libcrypto only (EVP, X509):
 * no TLS, no sockets, no clock of its own.
 *
 * The certificate travels with every advertisement (struct pkt_lsa.cert)
 * and each verifier caches, per origin, the result of the chain check
 * under the certificate's SHA-256: a repeated advertisement costs one
 * signature verification and a hash, a new certificate one chain check.
 * Why not fetch it once: a proxy that receives an advertisement must be
 * able to check it then, from what it holds, whichever neighbour it came
 * from, without a request/answer protocol, timeouts and a state per
 * missing certificate that a flood of unknown origins could grow.
 */
#ifndef PROXYD_LSASIG_H
#define PROXYD_LSASIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "pkt.h"

/* Why an advertisement was refused as a whole. */
enum lsasig_result {
	LSASIG_OK = 0,
	LSASIG_UNSIGNED,	/* no certificate or no signature */
	LSASIG_BAD_CERT,	/* not DER, or no chain to the network CA */
	LSASIG_WRONG_NAME,	/* the certificate names another proxy */
	LSASIG_BAD_SIG,		/* the signature does not verify */
	LSASIG_REVOKED,		/* the CRL in force revokes the certificate */
	LSASIG_NOMEM,
};

/* A one-word reason for logs, proxyctl and metrics labels. */
const char	*lsasig_result_str(enum lsasig_result);

/*
 * The IPv4 and IPv6 address blocks a certificate may claim (inherit
 * resolved up the verified chain, for each family on its own).  has_ext
 * false: the certificate carries no blocks.
 */
#define LSASIG_BLOCKS_MAX	64
struct lsasig_blocks {
	bool		has_ext;
	bool		truncated;	/* more ranges than fit: the rest */
					/* are not counted as covered */
	size_t		n;
	uint32_t	lo[LSASIG_BLOCKS_MAX];	/* host order, inclusive */
	uint32_t	hi[LSASIG_BLOCKS_MAX];
	size_t		n6;		/* IPv6 ranges, network order */
	uint8_t		lo6[LSASIG_BLOCKS_MAX][16];
	uint8_t		hi6[LSASIG_BLOCKS_MAX][16];
};

/*
 * A proxy's name in a certificate, the one rule every proxy applies: the
 * first DNS subject alternative name, else the subject's CN; it must be a
 * proxy name as the wire carries it (pkt_name_ok()).  0, or -1 with the
 * reason in *why.
 */
int	lsasig_cert_name(X509 *, char *buf, size_t len, const char **why);
/*
 * The blocks of cert; chain (may be NULL) is the verified chain, leaf
 * first, used to resolve "inherit".  0, or -1 (a malformed extension:
 * treated as covering nothing).
 */
int	lsasig_cert_blocks(X509 *cert, STACK_OF(X509) *chain,
	    struct lsasig_blocks *);
/* Whether addr/plen (host order address) lies inside one block. */
bool	lsasig_blocks_cover(const struct lsasig_blocks *, uint32_t addr,
	    uint8_t plen);
/* Whether the IPv6 addr/plen lies inside one IPv6 block. */
bool	lsasig_blocks_cover6(const struct lsasig_blocks *,
	    const struct in6_addr *addr, uint8_t plen);

/* --- signing (the originator) --- */

struct lsasig_key;

/*
 * Takes a reference to key and cert (the caller keeps its own).  NULL on
 * ENOMEM or a certificate that does not encode into PKT_LSA_CERT_MAX.
 */
struct lsasig_key *lsasig_key_new(EVP_PKEY *key, X509 *cert);
/* Reads a PEM certificate and key.  NULL with the reason in err. */
struct lsasig_key *lsasig_key_load(const char *cert_file,
	    const char *key_file, char *err, size_t errlen);
void	lsasig_key_free(struct lsasig_key *);
/* The certificate (borrowed), e.g. to check our own blocks. */
X509	*lsasig_key_cert(const struct lsasig_key *);
/*
 * Fills lsa->cert and lsa->sig: the certificate and a signature over
 * pkt_lsa_tbs() (ECDSA with SHA-256, or Ed25519: what the key is).
 * 0 or -1.
 */
int	lsasig_sign(const struct lsasig_key *, struct pkt_lsa *);

/* --- verifying (everyone) --- */

struct lsasig_verifier;

#define LSASIG_CACHE_SLOTS	8192	/* chain results kept, per origin */
#define LSASIG_RECHECK_S	300	/* a cached chain is checked again */
					/* after this (CRLs, expiry) */

/*
 * store: the network CA (and any CRLs); the verifier takes a reference.
 * require_prefixes: a certificate without blocks claims no prefix.
 */
struct lsasig_verifier *lsasig_verifier_new(X509_STORE *store,
	    bool require_prefixes);
/* Reads the CA file(s) of 'tls.ca'.  NULL with the reason in err. */
struct lsasig_verifier *lsasig_verifier_load(const char *ca_file,
	    bool require_prefixes, char *err, size_t errlen);
void	lsasig_verifier_free(struct lsasig_verifier *);
/* Forgets every cached chain result (a new CA or CRL was loaded). */
void	lsasig_verifier_flush(struct lsasig_verifier *);
/*
 * The CRL in force (already verified as the network CA's; NULL: none):
 * a certificate it lists makes every advertisement signed with it
 * LSASIG_REVOKED.  Takes a reference; a different CRL flushes the cache.
 */
void	lsasig_verifier_set_crl(struct lsasig_verifier *, X509_CRL *);
/*
 * Whether crl lists the DER certificate cert (an advertisement's): false
 * for no CRL or a certificate that does not parse.
 */
bool	lsasig_der_revoked(const uint8_t *cert, size_t len, X509_CRL *crl);

/*
 * Checks lsa: certificate chain (cached), name, signature.  On LSASIG_OK
 * *refused has bit i set for each prefix i that the certificate's blocks
 * do not cover (all of them when the certificate has none and
 * require_prefixes is set; then *no_blocks is true).  now: wall-clock
 * seconds, for the chain's validity and the cache.
 */
enum lsasig_result lsasig_verify(struct lsasig_verifier *,
	    const struct pkt_lsa *, time_t now, uint64_t *refused,
	    bool *no_blocks);

/* Counters of the cache, for tests and the benchmark. */
struct lsasig_stats {
	uint64_t	chain_checks;	/* X509_verify_cert() runs */
	uint64_t	cache_hits;
};
void	lsasig_verifier_stats(const struct lsasig_verifier *,
	    struct lsasig_stats *);

#endif
