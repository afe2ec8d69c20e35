/* SPDX-License-Identifier: ISC */
/*
 * Joining split messages.  See frag.h.
 *
 * A linear scan of FRAG_SLOTS slots per piece: a message is split in two
 * pieces at most times (the path MTU is rarely below half the TUN's), both
 * usually arrive back to back, so few slots are ever in use and a scan of
 * 32 beats any hashing; the bound on slots is what keeps a flood of first
 * pieces from growing memory.
 */
#include <string.h>

#include "frag.h"

void
frag_init(struct frag_table *t)
{
	for (size_t i = 0; i < FRAG_SLOTS; i++)
		t->slot[i].used = false;
	memset(&t->st, 0, sizeof(t->st));
}

void
frag_expire(struct frag_table *t, uint64_t now)
{
	for (size_t i = 0; i < FRAG_SLOTS; i++) {
		struct frag_slot *s = &t->slot[i];

		if (s->used && now - s->first_us > FRAG_TIMEOUT_US) {
			s->used = false;
			t->st.timeout++;
		}
	}
}

size_t
frag_pending(const struct frag_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < FRAG_SLOTS; i++)
		n += t->slot[i].used;
	return n;
}

/* The slot of (key, id), or a free one, or the oldest (evicted). */
static struct frag_slot *
find(struct frag_table *t, uint64_t key, uint32_t id, bool *fresh)
{
	struct frag_slot *free_s = NULL, *old = NULL;

	for (size_t i = 0; i < FRAG_SLOTS; i++) {
		struct frag_slot *s = &t->slot[i];

		if (!s->used) {
			if (free_s == NULL)
				free_s = s;
			continue;
		}
		if (s->key == key && s->id == id) {
			*fresh = false;
			return s;
		}
		if (old == NULL || s->first_us < old->first_us)
			old = s;
	}
	*fresh = true;
	if (free_s != NULL)
		return free_s;
	t->st.evicted++;
	return old;
}

int
frag_join(struct frag_table *t, uint64_t key, const struct pkt_frag *f,
    uint64_t now, const uint8_t **msg, size_t *len)
{
	struct frag_slot *s;
	size_t off, plen;
	bool fresh;

	t->st.pieces++;
	if (pkt_frag_piece(f->total, f->count, f->index, &off, &plen) == -1 ||
	    plen != f->piece_len) {
		t->st.mismatch++;	/* the decoder never lets these by */
		return -1;
	}
	frag_expire(t, now);
	s = find(t, key, f->id, &fresh);
	if (fresh) {
		s->used = true;
		s->key = key;
		s->id = f->id;
		s->count = f->count;
		s->total = f->total;
		s->have = 0;
		s->first_us = now;
	} else if (s->count != f->count || s->total != f->total) {
		s->used = false;
		t->st.mismatch++;
		return -1;
	}
	if (s->have & (1u << f->index)) {
		t->st.dup++;
		return -1;
	}
	memcpy(s->buf + off, f->piece, plen);
	s->have |= 1u << f->index;
	if (s->have != (1u << s->count) - 1)
		return 0;
	s->used = false;
	t->st.joined++;
	*msg = s->buf;
	*len = s->total;
	return 1;
}
