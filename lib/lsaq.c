/* SPDX-License-Identifier: ISC */
/*
 * This file owns the queue of advertisements waiting for their signature
 * check (see lsaq.h): per-neighbour FIFOs (doubly linked, so a replaced
 * or evicted entry leaves from anywhere), a (neighbour, origin) index
 * (chained hash),
 * the bounds and the budgeted drain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lsaq.h"
#include "topo.h"

struct entry {
	struct entry	*hnext;		/* origin index chain */
	struct entry	*prev, *next;	/* its source's FIFO */
	int		 src;
	struct lsaq_item item;		/* last: flexible msg[] */
};

struct source {
	char		 name[PKT_NAME_MAX + 1];
	struct entry	*head, *tail;
	size_t		 n;
};

struct lsaq {
	size_t		 max_items, max_bytes;
	struct entry	*bucket[LSAQ_BUCKETS];
	struct source	 src[LSAQ_SOURCES_MAX];
	int		 rr;		/* next source to pop from */
	struct lsaq_stats st;
};

static struct entry *
entry_of(struct lsaq_item *it)
{
	return (struct entry *)(void *)((char *)it -
	    offsetof(struct entry, item));
}

/* FNV-1a of "from\0origin". */
static size_t
bucket_of(const char *from, const char *origin)
{
	uint32_t h = 2166136261u;

	for (const char *s = from; ; s++) {
		h = (h ^ (uint8_t)*s) * 16777619u;
		if (*s == '\0')
			break;
	}
	for (const char *s = origin; *s != '\0'; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h % LSAQ_BUCKETS;
}

struct lsaq *
lsaq_new(size_t max_items, size_t max_bytes)
{
	struct lsaq *q;

	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	lsaq_set_limits(q, max_items, max_bytes);
	return q;
}

void
lsaq_set_limits(struct lsaq *q, size_t max_items, size_t max_bytes)
{
	q->max_items = max_items > 0 ? max_items : 1;
	q->max_bytes = max_bytes > 0 ? max_bytes : 1;
}

void
lsaq_free(struct lsaq *q)
{
	struct lsaq_item *it;

	if (q == NULL)
		return;
	while ((it = lsaq_pop(q)) != NULL)
		lsaq_item_free(it);
	free(q);
}

static struct entry **
index_slot(struct lsaq *q, const char *from, const char *origin)
{
	struct entry **pp = &q->bucket[bucket_of(from, origin)];

	while (*pp != NULL && (strcmp((*pp)->item.origin, origin) != 0 ||
	    strcmp((*pp)->item.from, from) != 0))
		pp = &(*pp)->hnext;
	return pp;
}

/* Takes e out of its FIFO and the index (not freed). */
static void
unlink_entry(struct lsaq *q, struct entry *e)
{
	struct source *s = &q->src[e->src];
	struct entry **pp = index_slot(q, e->item.from, e->item.origin);

	if (*pp == e)
		*pp = e->hnext;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	s->n--;
	q->st.depth--;
	q->st.bytes -= e->item.len;
}

/* The source slot for name: its own, a free one, or -1 (all busy). */
static int
source_of(struct lsaq *q, const char *name, bool make)
{
	int free_slot = -1;

	for (int i = 0; i < LSAQ_SOURCES_MAX; i++) {
		if (q->src[i].n == 0) {
			if (free_slot == -1)
				free_slot = i;
			continue;
		}
		if (strcmp(q->src[i].name, name) == 0)
			return i;
	}
	if (free_slot != -1 && make)
		snprintf(q->src[free_slot].name, sizeof(q->src[free_slot].name),
		    "%s", name);
	return free_slot;
}

/*
 * Makes room for len more bytes and one more item for source me (its
 * count now: mine): evicts the newest of the source with the most
 * waiting while that is another source with more waiting than me.
 * Returns false if the newcomer itself is to be dropped.
 */
static bool
make_room(struct lsaq *q, size_t mine, int me, size_t len)
{
	if (len > q->max_bytes)
		return false;
	while (q->st.depth + 1 > q->max_items ||
	    q->st.bytes + len > q->max_bytes) {
		int h = -1;

		for (int i = 0; i < LSAQ_SOURCES_MAX; i++)
			if (q->src[i].n > 0 && (h == -1 ||
			    q->src[i].n > q->src[h].n))
				h = i;
		if (h == -1 || h == me || q->src[h].n <= mine)
			return false;
		{
			struct entry *victim = q->src[h].tail;

			unlink_entry(q, victim);
			free(victim);
			q->st.dropped++;
		}
	}
	return true;
}

enum lsaq_verdict
lsaq_push(struct lsaq *q, const char *from, const char *origin,
    uint64_t seq, const uint8_t *msg, size_t len, uint64_t now_us)
{
	struct entry *e, **pp;
	char o[PKT_NAME_MAX + 1], f[PKT_NAME_MAX + 1];
	bool replaced = false;
	int me;

	snprintf(o, sizeof(o), "%s", origin);
	snprintf(f, sizeof(f), "%s", from);
	pp = index_slot(q, f, o);
	if ((e = *pp) != NULL) {
		if (!topo_seq_newer(seq, e->item.seq)) {
			q->st.stale++;
			return LSAQ_STALE;
		}
		/* the older copy is worth nothing now */
		unlink_entry(q, e);
		free(e);
		replaced = true;
	}
	/* a free slot (n == 0) when f has nothing waiting, -1 if none */
	me = source_of(q, f, false);
	if (me == -1 || !make_room(q, q->src[me].n, me, len) ||
	    (e = malloc(sizeof(*e) + len)) == NULL) {
		q->st.dropped++;
		if (replaced)	/* its older copy is gone as well */
			q->st.replaced++;
		return LSAQ_DROPPED;
	}
	/* the slot may have been freed by the evictions: look again */
	if ((me = source_of(q, f, true)) == -1) {
		free(e);
		q->st.dropped++;
		return LSAQ_DROPPED;
	}
	memset(e, 0, sizeof(*e));
	memcpy(e->item.from, f, sizeof(f));
	memcpy(e->item.origin, o, sizeof(o));
	e->item.seq = seq;
	e->item.queued_us = now_us;
	e->item.len = len;
	memcpy(e->item.msg, msg, len);
	e->src = me;
	e->prev = q->src[me].tail;
	if (e->prev != NULL)
		e->prev->next = e;
	else
		q->src[me].head = e;
	q->src[me].tail = e;
	q->src[me].n++;
	pp = index_slot(q, f, o);
	e->hnext = *pp;
	*pp = e;
	q->st.depth++;
	q->st.bytes += len;
	if (q->st.depth > q->st.peak)
		q->st.peak = q->st.depth;
	q->st.queued++;
	if (replaced) {
		q->st.replaced++;
		return LSAQ_REPLACED;
	}
	return LSAQ_QUEUED;
}

struct lsaq_item *
lsaq_pop(struct lsaq *q)
{
	for (int k = 0; k < LSAQ_SOURCES_MAX; k++) {
		int i = (q->rr + k) % LSAQ_SOURCES_MAX;
		struct entry *e = q->src[i].head;

		if (e == NULL)
			continue;
		unlink_entry(q, e);
		q->rr = (i + 1) % LSAQ_SOURCES_MAX;
		return &e->item;
	}
	return NULL;
}

void
lsaq_item_free(struct lsaq_item *it)
{
	if (it != NULL)
		free(entry_of(it));
}

size_t
lsaq_len(const struct lsaq *q)
{
	return q->st.depth;
}

void
lsaq_stats(const struct lsaq *q, struct lsaq_stats *st)
{
	*st = q->st;
}

size_t
lsaq_drain(struct lsaq *q, const struct lsaq_budget *b,
    uint64_t (*clock)(void *), void (*fn)(void *, const struct lsaq_item *),
    void *arg)
{
	uint64_t start = clock(arg);
	struct lsaq_item *it;
	size_t n = 0;

	while ((it = lsaq_pop(q)) != NULL) {
		fn(arg, it);
		lsaq_item_free(it);
		n++;
		if (n >= b->max_items || clock(arg) - start >= b->max_us)
			break;
	}
	return n;
}
