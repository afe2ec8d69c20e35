/* SPDX-License-Identifier: ISC */
/*
 * This file owns the IPv6 side of the forwarding table's read side:
 * lookups, the own-prefix test and formatting over route_table.v6, which
 * lib/topo.c fills in the table's order (longest prefix first, then the
 * cheapest claim), and the index that makes the lookups cheap.
 *
 * The index: one open-addressing hash table keyed by (prefix length,
 * network), one slot per distinct prefix, holding the lowest position of
 * the routes with that prefix and whether one of them is our own; plus the
 * distinct prefix lengths present, longest first.  A lookup masks dst to
 * each length in turn and probes once per length: the first hit is the
 * longest match.  Why not the IPv4 path-compressed trie with 128-bit keys:
 * an IPv6 table has few distinct lengths (sites claim /48, /56, /64), so
 * a handful of probes beats a walk of up to 129 nodes, and the code is a
 * fraction of the trie's.  Worst case (129 lengths present) it is 129
 * probes, still O(1) in the number of routes.  The hash is not keyed:
 * prefixes come from authenticated advertisements, and a crafted set of
 * colliding prefixes degrades a probe to a scan of the colliding run, no
 * worse than the scan this replaced.  Memory: 32 bytes a slot, a power
 * of two at least twice the routes (so at most 128 bytes a route),
 * and a byte per route for its conflict flag.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipaddr.h"
#include "route.h"

#define R6_USED		0x01
#define R6_LOCAL	0x02
#define R6_MULTI	0x04	/* routes of more than one dest */

/* under: what longer prefixes under a slot claim (conflict flags) */
#define UNDER_NONE	0
#define UNDER_ONE	1	/* all the dest of v6[under_pos] */
#define UNDER_MANY	2

struct r6_slot {
	uint64_t	hi, lo;		/* network, host order halves */
	uint32_t	pos;		/* lowest position with this prefix */
	uint32_t	under_pos;
	uint8_t		plen;
	uint8_t		flags;
	uint8_t		under;
};

struct route6_index {
	const struct route6 *v;		/* the array and count it was built for */
	size_t		 n;
	struct r6_slot	*slot;
	size_t		 mask;		/* slots - 1 */
	uint8_t		 lens[129];	/* distinct plens present, longest first */
	uint8_t		 n_lens;
	uint8_t		 local_lens[129]; /* those with an own prefix */
	uint8_t		 n_local_lens;
	uint8_t		*conflict;	/* per position: claims overlap another's */
	size_t		 bytes;
};

static uint64_t
load64(const uint8_t *p)
{
	uint64_t	v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* The network of dst's first plen bits, as two halves. */
static inline void
mask128(uint64_t hi, uint64_t lo, uint8_t plen, uint64_t *mh, uint64_t *ml)
{
	if (plen == 0) {
		*mh = 0;
		*ml = 0;
	} else if (plen <= 64) {
		*mh = hi & (UINT64_MAX << (64 - plen));
		*ml = 0;
	} else {
		*mh = hi;
		*ml = lo & (UINT64_MAX << (128 - plen));
	}
}

static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline size_t
slot_hash(uint64_t hi, uint64_t lo, uint8_t plen)
{
	return (size_t)mix64(hi ^ mix64(lo + plen));
}

static bool
route6_is_own(const struct route6 *r)
{
	return r->hops == 0 && r->next_hop[0] == '\0';
}

static const struct route6_index *
index6_of(const struct route_table *t)
{
	const struct route6_index *x = t->idx6;

	return x != NULL && x->v == t->v6 && x->n == t->n6 ? x : NULL;
}

/* The slot number of (hi, lo, plen), or SIZE_MAX. */
static inline size_t
slot_idx(const struct route6_index *x, uint64_t hi, uint64_t lo,
    uint8_t plen)
{
	size_t	i = slot_hash(hi, lo, plen) & x->mask;

	for (;; i = (i + 1) & x->mask) {
		const struct r6_slot *s = &x->slot[i];

		if (!(s->flags & R6_USED))
			return SIZE_MAX;
		if (s->plen == plen && s->hi == hi && s->lo == lo)
			return i;
	}
}

/* The slot of (hi, lo, plen), or NULL. */
static inline const struct r6_slot *
slot_find(const struct route6_index *x, uint64_t hi, uint64_t lo,
    uint8_t plen)
{
	size_t	i = slot_idx(x, hi, lo, plen);

	return i == SIZE_MAX ? NULL : &x->slot[i];
}

/*
 * The conflict flag of every route, O(n * lengths): first each slot
 * learns what the longer prefixes under it claim (none, one dest, several),
 * by probing the slot's own shorter lengths; then a route conflicts when
 * its own prefix has another dest, when a longer prefix under it has one,
 * or when a shorter one over it (probed again) has one.
 */
static void
conflicts_mark(struct route6_index *x, const struct route6 *v)
{
	uint64_t	 mh, ml;

	for (size_t k = 0; k <= x->mask; k++) {
		const struct r6_slot *s = &x->slot[k];

		if (!(s->flags & R6_USED))
			continue;
		for (unsigned i = 0; i < x->n_lens; i++) {
			struct r6_slot	*u;
			size_t		 ui;

			if (x->lens[i] >= s->plen)
				continue;
			mask128(s->hi, s->lo, x->lens[i], &mh, &ml);
			if ((ui = slot_idx(x, mh, ml, x->lens[i])) == SIZE_MAX)
				continue;
			u = &x->slot[ui];
			if (u->under == UNDER_MANY)
				continue;
			if (s->flags & R6_MULTI)
				u->under = UNDER_MANY;
			else if (u->under == UNDER_NONE) {
				u->under = UNDER_ONE;
				u->under_pos = s->pos;
			} else if (strcmp(v[u->under_pos].dest,
			    v[s->pos].dest) != 0)
				u->under = UNDER_MANY;
		}
	}
	for (size_t p = 0; p < x->n; p++) {
		const struct route6 *r = &v[p];
		uint64_t	 hi = load64(r->addr.s6_addr);
		uint64_t	 lo = load64(r->addr.s6_addr + 8);
		const struct r6_slot *s = slot_find(x, hi, lo, r->plen);
		bool		 c;

		c = (s->flags & R6_MULTI) || s->under == UNDER_MANY ||
		    (s->under == UNDER_ONE &&
		    strcmp(v[s->under_pos].dest, r->dest) != 0);
		for (unsigned i = 0; i < x->n_lens && !c; i++) {
			const struct r6_slot *u;

			if (x->lens[i] >= r->plen)
				continue;
			mask128(hi, lo, x->lens[i], &mh, &ml);
			if ((u = slot_find(x, mh, ml, x->lens[i])) != NULL &&
			    ((u->flags & R6_MULTI) ||
			    strcmp(v[u->pos].dest, r->dest) != 0))
				c = true;
		}
		x->conflict[p] = c;
	}
}

void
route_table_index6_free(struct route_table *t)
{
	if (t->idx6 != NULL) {
		free(t->idx6->slot);
		free(t->idx6->conflict);
		free(t->idx6);
		t->idx6 = NULL;
	}
}

int
route_table_index6(struct route_table *t)
{
	struct route6_index *x;
	bool		 seen[129] = { false }, seen_local[129] = { false };
	size_t		 size, n = t->n6;

	route_table_index6_free(t);
	if (n == 0)
		return 0;
	if (n > ROUTE_INDEX_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct route6 *r = &t->v6[i];
		uint64_t	 hi = load64(r->addr.s6_addr);
		uint64_t	 lo = load64(r->addr.s6_addr + 8), mh, ml;

		if (r->plen > 128) {
			errno = EINVAL;
			return -1;
		}
		mask128(hi, lo, r->plen, &mh, &ml);
		if (mh != hi || ml != lo) {
			errno = EINVAL;
			return -1;
		}
	}
	for (size = 16; size < 2 * n; size *= 2)
		;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		goto fail;
	if ((x->slot = calloc(size, sizeof(*x->slot))) == NULL ||
	    (x->conflict = calloc(n, 1)) == NULL) {
		free(x->slot);
		free(x);
		goto fail;
	}
	x->mask = size - 1;
	for (size_t i = 0; i < n; i++) {
		const struct route6 *r = &t->v6[i];
		uint64_t	 hi = load64(r->addr.s6_addr);
		uint64_t	 lo = load64(r->addr.s6_addr + 8);
		size_t		 j = slot_hash(hi, lo, r->plen) & x->mask;
		struct r6_slot	*s;

		for (;; j = (j + 1) & x->mask) {
			s = &x->slot[j];
			if (!(s->flags & R6_USED) || (s->plen == r->plen &&
			    s->hi == hi && s->lo == lo))
				break;
		}
		if (!(s->flags & R6_USED)) {
			s->hi = hi;
			s->lo = lo;
			s->plen = r->plen;
			s->pos = (uint32_t)i;	/* i rises: the lowest */
			s->flags = R6_USED;
		} else if (strcmp(t->v6[s->pos].dest, r->dest) != 0)
			s->flags |= R6_MULTI;
		if (route6_is_own(r)) {
			s->flags |= R6_LOCAL;
			seen_local[r->plen] = true;
		}
		seen[r->plen] = true;
	}
	for (int l = 128; l >= 0; l--) {
		if (seen[l])
			x->lens[x->n_lens++] = (uint8_t)l;
		if (seen_local[l])
			x->local_lens[x->n_local_lens++] = (uint8_t)l;
	}
	x->v = t->v6;
	x->n = n;
	conflicts_mark(x, t->v6);
	x->bytes = sizeof(*x) + size * sizeof(*x->slot) + n;
	t->idx6 = x;
	return 0;

fail:
	errno = ENOMEM;
	return -1;
}

bool
route_table_indexed6(const struct route_table *t)
{
	return index6_of(t) != NULL;
}

size_t
route_table_mem6(const struct route_table *t)
{
	return t->idx6 != NULL ? t->idx6->bytes : 0;
}

bool
route6_contains(const struct route6 *r, const struct in6_addr *dst)
{
	struct ipprefix p;
	struct ipaddr a;

	ipaddr_set6(&p.addr, &r->addr);
	p.plen = r->plen;
	ipaddr_set6(&a, dst);
	return ipprefix_contains(&p, &a);
}

/* Unindexed: the longest route holding dst, the first of equal ones. */
static const struct route6 *
scan_lookup6(const struct route_table *t, const struct in6_addr *dst)
{
	const struct route6 *best = NULL;

	for (size_t i = 0; i < t->n6; i++)
		if (route6_contains(&t->v6[i], dst) &&
		    (best == NULL || t->v6[i].plen > best->plen))
			best = &t->v6[i];
	return best;
}

const struct route6 *
route_lookup6(const struct route_table *t, const struct in6_addr *dst)
{
	const struct route6_index *x = index6_of(t);
	uint64_t	 hi, lo, mh, ml;

	if (x == NULL)
		return scan_lookup6(t, dst);
	hi = load64(dst->s6_addr);
	lo = load64(dst->s6_addr + 8);
	for (unsigned i = 0; i < x->n_lens; i++) {
		const struct r6_slot *s;

		mask128(hi, lo, x->lens[i], &mh, &ml);
		if ((s = slot_find(x, mh, ml, x->lens[i])) != NULL)
			return &t->v6[s->pos];
	}
	return NULL;
}

bool
route_is_local6(const struct route_table *t, const struct in6_addr *dst)
{
	const struct route6_index *x = index6_of(t);
	uint64_t	 hi, lo, mh, ml;

	if (x == NULL) {
		for (size_t i = 0; i < t->n6; i++)
			if (route6_is_own(&t->v6[i]) &&
			    route6_contains(&t->v6[i], dst))
				return true;
		return false;
	}
	hi = load64(dst->s6_addr);
	lo = load64(dst->s6_addr + 8);
	for (unsigned i = 0; i < x->n_local_lens; i++) {
		const struct r6_slot *s;

		mask128(hi, lo, x->local_lens[i], &mh, &ml);
		if ((s = slot_find(x, mh, ml, x->local_lens[i])) != NULL &&
		    (s->flags & R6_LOCAL))
			return true;
	}
	return false;
}

/* Different dests, overlapping prefixes (equal included). */
static bool
claims6_conflict(const struct route6 *a, const struct route6 *b)
{
	struct route6	 s = *a;

	if (strcmp(a->dest, b->dest) == 0)
		return false;
	if (b->plen < a->plen)
		return route6_contains(b, &a->addr);
	s.plen = a->plen;
	return route6_contains(&s, &b->addr);
}

bool
route6_conflicts(const struct route_table *t, const struct route6 *r)
{
	const struct route6_index *x = index6_of(t);

	if (x != NULL && r >= t->v6 && r < t->v6 + t->n6)
		return x->conflict[r - t->v6] != 0;
	for (size_t i = 0; i < t->n6; i++)
		if (claims6_conflict(r, &t->v6[i]))
			return true;
	return false;
}

size_t
route6_conflicts_find(const struct route_table *t, struct route6 *a,
    struct route6 *b, size_t max)
{
	const struct route6_index *x = index6_of(t);
	size_t		 k = 0;

	for (size_t i = 0; i < t->n6 && k < max; i++) {
		if (x != NULL && !x->conflict[i])
			continue;
		for (size_t j = i + 1; j < t->n6 && k < max; j++) {
			if (x != NULL && !x->conflict[j])
				continue;
			if (claims6_conflict(&t->v6[i], &t->v6[j])) {
				a[k] = t->v6[i];
				b[k++] = t->v6[j];
			}
		}
	}
	return k;
}

const char *
route6_prefix_str(const struct route6 *r, char *buf, size_t len)
{
	struct ipprefix p;

	if (buf == NULL || len == 0)
		return NULL;
	ipaddr_set6(&p.addr, &r->addr);
	p.plen = r->plen;
	return ipprefix_str(&p, buf, len);
}
