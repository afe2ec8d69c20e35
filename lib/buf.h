/* SPDX-License-Identifier: ISC */
/*
 * Bounded read and write cursors over byte arrays.  Every wire read and
 * write in lib/ goes through these.  The first failure sets 'err' and every
 * later call becomes a no-op, so callers check once at the end.
 */
#ifndef PROXYD_BUF_H
#define PROXYD_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct buf_rd {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
	const char	*err;	/* NULL while all reads fit */
};

struct buf_wr {
	uint8_t		*p;
	size_t		 cap;
	size_t		 off;
	const char	*err;	/* NULL while all writes fit */
};

/*
 * Unchecked big-endian 16-bit load and store at p, for packet code that
 * has checked its bounds already (checksums, header rewrites).
 */
static inline uint16_t
be16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void
be16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The same for 32 bits (TCP sequence numbers, addresses). */
static inline uint32_t
be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static inline void
be32_put(uint8_t *p, uint32_t v)
{
	be16_put(p, (uint16_t)(v >> 16));
	be16_put(p + 2, (uint16_t)v);
}

void	 buf_rd_init(struct buf_rd *, const uint8_t *, size_t);
uint8_t	 rd_u8(struct buf_rd *);
uint16_t rd_u16be(struct buf_rd *);
uint32_t rd_u32be(struct buf_rd *);
uint64_t rd_u64be(struct buf_rd *);
/* Copies n bytes into dst; on failure dst is zeroed. */
void	 rd_bytes(struct buf_rd *, void *dst, size_t n);
/* Returns a borrowed pointer to the next n bytes and skips them, or NULL. */
const uint8_t *rd_ptr(struct buf_rd *, size_t n);
void	 rd_skip(struct buf_rd *, size_t n);
/* Child cursor over the next n bytes; the parent skips them. */
void	 rd_sub(struct buf_rd *, size_t n, struct buf_rd *child);
size_t	 rd_left(const struct buf_rd *);
/* Sets err to why unless already set. */
void	 rd_fail(struct buf_rd *, const char *why);
/* True when no error occurred and every byte was consumed; else sets err. */
bool	 rd_end(struct buf_rd *);

void	 buf_wr_init(struct buf_wr *, uint8_t *, size_t cap);
void	 wr_u8(struct buf_wr *, uint8_t);
void	 wr_u16be(struct buf_wr *, uint16_t);
void	 wr_u32be(struct buf_wr *, uint32_t);
void	 wr_u64be(struct buf_wr *, uint64_t);
void	 wr_bytes(struct buf_wr *, const void *, size_t);

#endif
