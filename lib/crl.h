/* SPDX-License-Identifier: ISC */
/*
 * This file owns certificate revocation lists as the proxies pass them
 * around: parsed from DER (a CRL message's body) or PEM (tls.crl), checked
 * against the network CA (issuer name and signature: a CRL is only used or
 * flooded once verified, so any proxy can check one it did not load), and
 * ordered by their CRL number (RFC 5280 5.2.3; a CRL without one counts as
 * number 0).  Asks whether a certificate is on the list.
 */
#ifndef PROXYD_CRL_H
#define PROXYD_CRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#define CRL_DER_MAX	16384	/* largest CRL we take or send, in bytes */

struct crl {
	X509_CRL	*x;
	uint8_t		*der;		/* its DER encoding */
	size_t		 der_len;
	uint64_t	 number;	/* CRL number; 0 if none (or above 2^64) */
};

/* From DER bytes: NULL with *why (malformed, too large, trailing bytes). */
struct crl	*crl_from_der(const uint8_t *, size_t, const char **why);
/*
 * From a PEM file of one or more CRLs: the one with the highest number.
 * NULL with *why (cannot read, no CRL, bad PEM).
 */
struct crl	*crl_from_pem_file(const char *path, const char **why);
void		 crl_free(struct crl *);
/*
 * Whether c was issued and signed by one of the CA certificates cas:
 * issuer name equal to the CA's subject and the signature valid with its
 * key.  0, or -1 with *why.
 */
int		 crl_verify(const struct crl *c, STACK_OF(X509) *cas,
		    const char **why);
/*
 * Newer: 1 if a is newer than b (higher number; b NULL counts as older
 * than anything), 0 if the same number, -1 if older.
 */
int		 crl_cmp(const struct crl *a, const struct crl *b);
/* Whether cert's serial is on c (c NULL: never). */
bool		 crl_revokes(const struct crl *c, X509 *cert);

#endif
