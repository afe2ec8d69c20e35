/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for the framing of TCP links
 * (proxyd/sframe.c): the input is a byte stream, cut into reads whose
 * sizes come from its first bytes (so frames straddle reads in every way),
 * fed to one parser with the daemon's bounds.  What comes out must hold:
 * each frame lies inside the buffer and within min..max, the frames and
 * their headers account for exactly the bytes consumed, never more than
 * were fed; after an error nothing more comes out; a stream that is a
 * valid run of frames yields exactly them.  Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "sframe.h"

static const char *const flags[] = { "-max_len=300000", NULL };

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MIN	30	/* PKT_SEALED_HDR_LEN + PKT_TAG_LEN, as stream.c */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	return 0;
}

static uint8_t buf[SFRAME_HDR_LEN + SFRAME_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sframe f;
	size_t off = 0, fed = 0, used = 0, step, seed;
	bool bad = false;

	if (size < 1)
		return 0;
	seed = data[0];
	data++;
	size--;
	sframe_init(&f, buf, sizeof(buf), MIN, SFRAME_MAX);
	while (off < size) {
		uint8_t *p, *fr;
		size_t room, len;
		int r;

		p = sframe_space(&f, &room);
		if (bad) {
			if (room != 0)
				abort();
			break;
		}
		if (room == 0 || p < buf || p + room > buf + sizeof(buf))
			abort();
		step = 1 + (seed * 131 + off) % 4099;	/* 1..4099 bytes */
		if (step > room)
			step = room;
		if (step > size - off)
			step = size - off;
		memcpy(p, data + off, step);
		sframe_filled(&f, step);
		off += step;
		fed += step;
		while ((r = sframe_next(&f, &fr, &len)) == 1) {
			if (len < MIN || len > SFRAME_MAX ||
			    fr < buf + SFRAME_HDR_LEN ||
			    fr + len > buf + sizeof(buf))
				abort();
			/* the frame is the bytes of the stream at used */
			if ((size_t)(data[used] << 8 | data[used + 1]) != len ||
			    memcmp(fr, data + used + SFRAME_HDR_LEN, len) != 0)
				abort();
			used += SFRAME_HDR_LEN + len;
			if (used > fed)
				abort();
		}
		if (r == -1) {
			size_t n = (size_t)data[used] << 8 | data[used + 1];

			if (n >= MIN && n <= SFRAME_MAX)	/* a good length */
				abort();
			bad = true;
			if (sframe_next(&f, &fr, &len) != -1)
				abort();
		}
	}
	/* not in error: what is left unconsumed is under one frame */
	if (!bad && fed - used >= SFRAME_HDR_LEN) {
		size_t n = (size_t)data[used] << 8 | data[used + 1];

		if (fed - used >= SFRAME_HDR_LEN + n)
			abort();
	}
	return 0;
}
