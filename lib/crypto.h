/* SPDX-License-Identifier: ISC */
/*
 * The per-packet crypto of a link: AES-256-GCM with keys exported from the
 * link's DTLS handshake, one EVP context per direction set up once, and an
 * anti-replay window.  Nonce = 4-byte salt || 8-byte sequence number; a
 * sequence number is never reused under one key (links re-handshake long
 * before 2^64 packets).
 */
#ifndef PROXYD_CRYPTO_H
#define PROXYD_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_KEY_LEN		32
#define CRYPTO_SALT_LEN		4
#define CRYPTO_TAG_LEN		16
/* Exported keying material: key c->s, key s->c, salt c->s, salt s->c. */
#define CRYPTO_KEYMAT_LEN	(2 * CRYPTO_KEY_LEN + 2 * CRYPTO_SALT_LEN)
#define CRYPTO_EXPORT_LABEL	"EXPORTER-proxyd-link-v1"
#define REPLAY_WINDOW		1024	/* bits */

struct aead_dir {
	void		*ctx;		/* EVP_CIPHER_CTX */
	uint8_t		 salt[CRYPTO_SALT_LEN];
};

struct aead {
	struct aead_dir	tx;
	struct aead_dir	rx;
};

struct replay {
	uint64_t	top;		/* highest accepted sequence number */
	uint64_t	bits[REPLAY_WINDOW / 64];
};

/*
 * Sets up both directions from CRYPTO_KEYMAT_LEN bytes; the initiator
 * (DTLS client) sends with the c->s half.  0, or -1 (OpenSSL error).
 */
int	aead_init(struct aead *, const uint8_t *keymat, bool initiator);
/* Frees the contexts and wipes the salts; safe on a zeroed struct. */
void	aead_release(struct aead *);
/*
 * Encrypts pt (ptlen bytes) into out and appends the tag: out must have
 * ptlen + CRYPTO_TAG_LEN bytes and may equal pt.  0 or -1.
 */
int	aead_seal(struct aead *, uint64_t seq, const uint8_t *aad, size_t aadlen,
	    const uint8_t *pt, size_t ptlen, uint8_t *out);
/*
 * Authenticates and decrypts ct (ctlen bytes, tag included) into out
 * (ctlen - CRYPTO_TAG_LEN bytes, may equal ct).  0, or -1 if forged.
 */
int	aead_open(struct aead *, uint64_t seq, const uint8_t *aad, size_t aadlen,
	    const uint8_t *ct, size_t ctlen, uint8_t *out);

#define CRYPTO_COOKIE_KEY_LEN	32
#define CRYPTO_COOKIE_LEN	16

/*
 * A handshake cookie: HMAC-SHA256 under key over data (the sender's
 * address, port and session), cut to CRYPTO_COOKIE_LEN bytes.  0 or -1.
 */
int	crypto_cookie(const uint8_t key[CRYPTO_COOKIE_KEY_LEN],
	    const uint8_t *data, size_t len, uint8_t out[CRYPTO_COOKIE_LEN]);
/* Constant-time comparison of two cookies. */
bool	crypto_cookie_equal(const uint8_t *a, const uint8_t *b);

/* Sequence numbers start at 1; 0 is never valid. */
void	replay_init(struct replay *);
/* True if seq is new and inside the window; check before, commit after open. */
bool	replay_check(const struct replay *, uint64_t seq);
void	replay_commit(struct replay *, uint64_t seq);

#endif
