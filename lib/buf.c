/* SPDX-License-Identifier: ISC */
/*
 * Bounded cursors: see buf.h.  Lengths are compared before anything is
 * subtracted, so no read ever runs past the end of its array.
 */
#include <string.h>

#include "buf.h"

void
buf_rd_init(struct buf_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = p == NULL ? 0 : len;
	r->off = 0;
	r->err = NULL;
}

void
rd_fail(struct buf_rd *r, const char *why)
{
	if (r->err == NULL)
		r->err = why;
}

size_t
rd_left(const struct buf_rd *r)
{
	return r->err != NULL ? 0 : r->len - r->off;
}

const uint8_t *
rd_ptr(struct buf_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->err != NULL)
		return NULL;
	if (n > r->len - r->off) {
		rd_fail(r, "truncated");
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

uint8_t
rd_u8(struct buf_rd *r)
{
	const uint8_t *p = rd_ptr(r, 1);

	return p == NULL ? 0 : p[0];
}

uint16_t
rd_u16be(struct buf_rd *r)
{
	const uint8_t *p = rd_ptr(r, 2);

	return p == NULL ? 0 : (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t
rd_u32be(struct buf_rd *r)
{
	const uint8_t *p = rd_ptr(r, 4);

	if (p == NULL)
		return 0;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

uint64_t
rd_u64be(struct buf_rd *r)
{
	uint64_t hi = rd_u32be(r);

	return hi << 32 | rd_u32be(r);
}

void
rd_bytes(struct buf_rd *r, void *dst, size_t n)
{
	const uint8_t *p = rd_ptr(r, n);

	if (p == NULL)
		memset(dst, 0, n);
	else
		memcpy(dst, p, n);
}

void
rd_skip(struct buf_rd *r, size_t n)
{
	(void)rd_ptr(r, n);
}

void
rd_sub(struct buf_rd *r, size_t n, struct buf_rd *child)
{
	const uint8_t *p = rd_ptr(r, n);

	buf_rd_init(child, p, p == NULL ? 0 : n);
	if (p == NULL)
		child->err = r->err;
}

bool
rd_end(struct buf_rd *r)
{
	if (r->err == NULL && r->off != r->len)
		r->err = "trailing bytes";
	return r->err == NULL;
}

void
buf_wr_init(struct buf_wr *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = p == NULL ? 0 : cap;
	w->off = 0;
	w->err = NULL;
}

void
wr_bytes(struct buf_wr *w, const void *src, size_t n)
{
	if (w->err != NULL)
		return;
	if (n > w->cap - w->off) {
		w->err = "no space";
		return;
	}
	if (n > 0)
		memcpy(w->p + w->off, src, n);
	w->off += n;
}

void
wr_u8(struct buf_wr *w, uint8_t v)
{
	wr_bytes(w, &v, 1);
}

void
wr_u16be(struct buf_wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wr_bytes(w, b, sizeof(b));
}

void
wr_u32be(struct buf_wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	wr_bytes(w, b, sizeof(b));
}

void
wr_u64be(struct buf_wr *w, uint64_t v)
{
	wr_u32be(w, (uint32_t)(v >> 32));
	wr_u32be(w, (uint32_t)v);
}
