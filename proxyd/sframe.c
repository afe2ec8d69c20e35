/* SPDX-License-Identifier: ISC */
/*
 * Length-prefixed frames cut out of a stream.  See sframe.h.  The buffer
 * holds at most one partial frame after the frames already handed out;
 * sframe_space() moves it to the front, so a whole frame always fits.
 */
#include <string.h>

#include "sframe.h"

void
sframe_init(struct sframe *f, uint8_t *buf, size_t cap, size_t min,
    size_t max)
{
	f->buf = buf;
	f->cap = cap;
	f->off = f->have = 0;
	f->bad = false;
	f->min = min;
	f->max = max > SFRAME_MAX ? SFRAME_MAX : max;
	if (f->max > cap - SFRAME_HDR_LEN)
		f->max = cap - SFRAME_HDR_LEN;
}

uint8_t *
sframe_space(struct sframe *f, size_t *room)
{
	if (f->off > 0) {
		memmove(f->buf, f->buf + f->off, f->have - f->off);
		f->have -= f->off;
		f->off = 0;
	}
	*room = f->bad ? 0 : f->cap - f->have;
	return f->buf + f->have;
}

void
sframe_filled(struct sframe *f, size_t n)
{
	if (n > f->cap - f->have)	/* a caller's bug: never past cap */
		n = f->cap - f->have;
	f->have += n;
}

int
sframe_next(struct sframe *f, uint8_t **frame, size_t *len)
{
	size_t avail = f->have - f->off, n;

	if (f->bad)
		return -1;
	if (avail < SFRAME_HDR_LEN)
		return 0;
	n = (size_t)f->buf[f->off] << 8 | f->buf[f->off + 1];
	if (n < f->min || n > f->max) {
		f->have = f->off = 0;	/* nothing more is read from it */
		f->bad = true;
		return -1;
	}
	if (avail - SFRAME_HDR_LEN < n)
		return 0;
	*frame = f->buf + f->off + SFRAME_HDR_LEN;
	*len = n;
	f->off += SFRAME_HDR_LEN + n;
	return 1;
}

void
sframe_hdr(uint8_t hdr[SFRAME_HDR_LEN], size_t len)
{
	hdr[0] = (uint8_t)(len >> 8);
	hdr[1] = (uint8_t)len;
}
