/* SPDX-License-Identifier: ISC */
/*
 * AES-256-GCM through EVP, one context per direction keyed once, and the
 * sliding anti-replay window (RFC 6479 style bitmap).  See crypto.h.
 *
 * Per packet, OpenSSL 3.0's generic plumbing costs about as much as the
 * cipher on small packets (issue 16: 12-16 % of pub's samples went to
 * OSSL_PARAM look-ups by name, mostly strcmp): an IV passed to
 * EVP_*Init_ex makes it ask the provider for the IV length every time,
 * EVP_*Init_ex2 looks up a few names of its own before the provider
 * does, and every ctrl call builds a parameter array and walks the
 * provider's list.  So no packet goes through an init: each direction's
 * context is keyed once, and per packet one EVP_CIPHER_CTX_set_params
 * starts GCM on the packet's nonce.  The receiver has the salt as GCM's
 * fixed IV field (set once) and passes the 8-byte sequence number as the
 * invocation field (TLS1_SET_IV_INV, decrypt only) with the tag in the
 * same array; the sender passes the whole nonce as the fixed field with
 * data_size (size_t)-1, which GCM takes as "the whole IV, as given", and
 * reads its tag with one EVP_CIPHER_CTX_get_params.  That is 13 strcmp
 * a seal and 9 an open (16 and 13 with the inits; a look-up walks the
 * array given for each name the provider knows).  The nonce is salt ||
 * sequence number either way, and a GCM context refuses a second packet
 * until its IV is set again, so a missed set fails rather than reusing a
 * nonce (check_crypto tries it).
 * Measured and dropped (README "Fifth round (sender)"): letting GCM's
 * own invocation counter (TLS1_GET_IV_GEN, read with the tag) set up the
 * next packet's nonce, and the tag through EVP_CIPHER_CTX_ctrl.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto.h"

static int
dir_init(struct aead_dir *d, const uint8_t *key, const uint8_t *salt, int enc)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t fixed[CRYPTO_SALT_LEN];
	OSSL_PARAM p[2];

	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	/* The receiver's salt: GCM's fixed field, the first 4 nonce bytes. */
	memcpy(fixed, salt, sizeof(fixed));
	p[0] = OSSL_PARAM_construct_octet_string(
	    OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, fixed, sizeof(fixed));
	p[1] = OSSL_PARAM_construct_end();
	if (EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, NULL,
	    enc) != 1 || (!enc && EVP_CIPHER_CTX_set_params(ctx, p) != 1)) {
		EVP_CIPHER_CTX_free(ctx);
		return -1;
	}
	d->ctx = ctx;
	memcpy(d->salt, salt, CRYPTO_SALT_LEN);
	return 0;
}

int
aead_init(struct aead *a, const uint8_t *km, bool initiator)
{
	const uint8_t *k_cs = km, *k_sc = km + CRYPTO_KEY_LEN;
	const uint8_t *s_cs = km + 2 * CRYPTO_KEY_LEN;
	const uint8_t *s_sc = s_cs + CRYPTO_SALT_LEN;

	memset(a, 0, sizeof(*a));
	if (dir_init(&a->tx, initiator ? k_cs : k_sc,
	    initiator ? s_cs : s_sc, 1) == -1 ||
	    dir_init(&a->rx, initiator ? k_sc : k_cs,
	    initiator ? s_sc : s_cs, 0) == -1) {
		aead_release(a);
		return -1;
	}
	return 0;
}

void
aead_release(struct aead *a)
{
	EVP_CIPHER_CTX_free(a->tx.ctx);
	EVP_CIPHER_CTX_free(a->rx.ctx);
	OPENSSL_cleanse(a, sizeof(*a));
	a->tx.ctx = a->rx.ctx = NULL;
}

static void
be64(uint8_t out[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void
nonce(uint8_t iv[12], const uint8_t salt[CRYPTO_SALT_LEN], uint64_t seq)
{
	memcpy(iv, salt, CRYPTO_SALT_LEN);
	be64(iv + CRYPTO_SALT_LEN, seq);
}

int
aead_seal(struct aead *a, uint64_t seq, const uint8_t *aad, size_t aadlen,
    const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = a->tx.ctx;
	uint8_t iv[12];
	/* data_size (size_t)-1: GCM takes the whole 12-byte IV as given */
	OSSL_PARAM set[] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
		    iv, (size_t)-1),
		OSSL_PARAM_END
	};
	OSSL_PARAM get[] = {
		OSSL_PARAM_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
		    out + ptlen, CRYPTO_TAG_LEN),
		OSSL_PARAM_END
	};
	int n, fin;

	if (ctx == NULL || ptlen > INT32_MAX || aadlen > INT32_MAX)
		return -1;
	nonce(iv, a->tx.salt, seq);
	if (EVP_CIPHER_CTX_set_params(ctx, set) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1 ||
	    EVP_EncryptUpdate(ctx, out, &n, pt, (int)ptlen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + n, &fin) != 1)
		return -1;
	return EVP_CIPHER_CTX_get_params(ctx, get) == 1 ? 0 : -1;
}

int
aead_open(struct aead *a, uint64_t seq, const uint8_t *aad, size_t aadlen,
    const uint8_t *ct, size_t ctlen, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx = a->rx.ctx;
	OSSL_PARAM p[3];
	uint8_t inv[8], tag[CRYPTO_TAG_LEN];
	size_t len;
	int n, fin;

	if (ctx == NULL || ctlen < CRYPTO_TAG_LEN || ctlen > INT32_MAX ||
	    aadlen > INT32_MAX)
		return -1;
	len = ctlen - CRYPTO_TAG_LEN;
	memcpy(tag, ct + len, CRYPTO_TAG_LEN);
	/* nonce = the fixed field (the salt, aead_init) || seq */
	be64(inv, seq);
	p[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
	    tag, CRYPTO_TAG_LEN);
	p[1] = OSSL_PARAM_construct_octet_string(
	    OSSL_CIPHER_PARAM_AEAD_TLS1_SET_IV_INV, inv, sizeof(inv));
	p[2] = OSSL_PARAM_construct_end();
	if (EVP_CIPHER_CTX_set_params(ctx, p) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1 ||
	    EVP_DecryptUpdate(ctx, out, &n, ct, (int)len) != 1 ||
	    EVP_DecryptFinal_ex(ctx, out + n, &fin) != 1)
		return -1;
	return 0;
}

void
replay_init(struct replay *r)
{
	memset(r, 0, sizeof(*r));
	r->bits[0] = 1;		/* sequence number 0 counts as used */
}

#define WORDS	(REPLAY_WINDOW / 64)

bool
replay_check(const struct replay *r, uint64_t seq)
{
	uint64_t bit = seq % REPLAY_WINDOW;

	if (seq > r->top)
		return true;
	if (r->top - seq >= REPLAY_WINDOW - 64)
		return false;
	return (r->bits[bit / 64] & (UINT64_C(1) << (bit % 64))) == 0;
}

/*
 * The bitmap is a ring indexed by seq modulo the window.  Moving the top
 * forward clears the words between the old and the new top, a word at a
 * time; the last word's worth of the window is kept out of use (checked
 * above), so a partly reused word never reports a stale bit.
 */
void
replay_commit(struct replay *r, uint64_t seq)
{
	uint64_t bit = seq % REPLAY_WINDOW;

	if (seq > r->top) {
		uint64_t from = r->top / 64, to = seq / 64;
		uint64_t steps = to - from;

		if (steps > WORDS)
			steps = WORDS;
		for (uint64_t i = 1; i <= steps; i++)
			r->bits[(from + i) % WORDS] = 0;
		r->top = seq;
	}
	r->bits[bit / 64] |= UINT64_C(1) << (bit % 64);
}

int
crypto_cookie(const uint8_t key[CRYPTO_COOKIE_KEY_LEN], const uint8_t *data,
    size_t len, uint8_t out[CRYPTO_COOKIE_LEN])
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	size_t maclen = 0;

	if (EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key,
	    CRYPTO_COOKIE_KEY_LEN, data, len, mac, sizeof(mac), &maclen) ==
	    NULL || maclen < CRYPTO_COOKIE_LEN)
		return -1;
	memcpy(out, mac, CRYPTO_COOKIE_LEN);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

bool
crypto_cookie_equal(const uint8_t *a, const uint8_t *b)
{
	return CRYPTO_memcmp(a, b, CRYPTO_COOKIE_LEN) == 0;
}
