/* SPDX-License-Identifier: ISC */
/*
 * bench-aead: the CPU time of one aead_seal alone, and of one aead_seal
 * plus one aead_open (lib/crypto.c), at a given packet size, the least of
 * 9 rounds of N each (issue 16; the per-packet cost of OpenSSL's calls,
 * apart from the rest of the data path).  Also checks that a forged
 * datagram is refused.
 *
 *   cc -O2 -Ilib -o /tmp/bench-aead tools/bench-aead.c lib/crypto.c -lcrypto
 *   /tmp/bench-aead [SIZE [N]]		(default 1372 20000)
 *
 * Not part of any test suite; build it against two trees to compare.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	static uint8_t buf[65536 + CRYPTO_TAG_LEN];
	uint8_t km[CRYPTO_KEYMAT_LEN], aad[16] = { 0 };
	size_t len = argc > 1 ? strtoul(argv[1], NULL, 10) : 1372;
	long n = argc > 2 ? strtol(argv[2], NULL, 10) : 20000;
	struct aead tx, rx;
	uint64_t seq = 0;
	double best = 1e9, seal_best = 1e9;

	if (len > 65536 || n <= 0) {
		fprintf(stderr, "usage: bench-aead [SIZE (<= 65536) [N]]\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(km); i++)
		km[i] = (uint8_t)i;
	if (aead_init(&tx, km, true) == -1 || aead_init(&rx, km, false) == -1)
		return 1;
	memset(buf, 7, sizeof(buf));
	for (int r = 0; r < 9; r++) {
		double t0 = cpu_s(), t;

		for (long i = 0; i < n; i++)
			if (aead_seal(&tx, ++seq, aad, sizeof(aad), buf, len,
			    buf) == -1) {
				fprintf(stderr, "seal failed at %llu\n",
				    (unsigned long long)seq);
				return 1;
			}
		if ((t = cpu_s() - t0) < seal_best)
			seal_best = t;
	}
	for (int r = 0; r < 9; r++) {
		double t0 = cpu_s(), t;

		for (long i = 0; i < n; i++) {
			seq++;
			if (aead_seal(&tx, seq, aad, sizeof(aad), buf, len,
			    buf) == -1 || aead_open(&rx, seq, aad, sizeof(aad),
			    buf, len + CRYPTO_TAG_LEN, buf) == -1) {
				fprintf(stderr, "seal/open failed at %llu\n",
				    (unsigned long long)seq);
				return 1;
			}
		}
		if ((t = cpu_s() - t0) < best)
			best = t;
	}
	if (aead_seal(&tx, ++seq, aad, sizeof(aad), buf, len, buf) == -1)
		return 1;
	buf[0] ^= 1;
	if (aead_open(&rx, seq, aad, sizeof(aad), buf, len + CRYPTO_TAG_LEN,
	    buf) != -1) {
		fprintf(stderr, "a forged datagram opened\n");
		return 1;
	}
	printf("%zu bytes: %.0f ns per seal, %.0f ns per seal + open "
	    "(least of 9 x %ld)\n", len, seal_best / (double)n * 1e9,
	    best / (double)n * 1e9, n);
	aead_release(&tx);
	aead_release(&rx);
	return 0;
}
