/* SPDX-License-Identifier: ISC */
/*
 * A network CA in memory for unit tests, fuzzers and benchmarks: EC P-256
 * (or Ed25519) proxy certificates issued on demand by name, with or
 * without RFC 3779 address blocks, and advertisements signed with them.
 * Test code only: keys are made fresh in every process.
 */
#ifndef PROXYD_TESTPKI_H
#define PROXYD_TESTPKI_H

#include <stdbool.h>

#include <openssl/x509.h>

#include "lsasig.h"
#include "pkt.h"

/* Makes the CA (blocks 0.0.0.0/0, fd00::/8); idempotent.  Aborts on failure. */
void		 testpki_init(void);
/* The CA store (borrowed). */
X509_STORE	*testpki_store(void);
/*
 * The key of proxy name with blocks: NULL for no extension, else what
 * sbgp-ipAddrBlock takes ("IPv4:10.1.0.0/16,IPv4:10.9.0.0/24",
 * "IPv4:inherit").  ed25519: an Ed25519 key instead of P-256.  Made once
 * per (name, blocks, ed25519) and kept (borrowed).
 */
struct lsasig_key *testpki_key(const char *name, const char *blocks,
		    bool ed25519);
/* A certificate for name from another CA (not the network's). */
struct lsasig_key *testpki_foreign_key(const char *name);
/* Signs lsa with testpki_key(lsa->origin, NULL, false). */
void		 testpki_sign(struct pkt_lsa *);
/* A fresh verifier over the CA (caller frees). */
struct lsasig_verifier *testpki_verifier(bool require_prefixes);
/*
 * A CRL of the CA revoking the certificates of testpki_key(name, NULL,
 * false) for each of the n names (caller frees with X509_CRL_free).
 */
X509_CRL	*testpki_crl(const char *const *names, size_t n);

#endif
