/* SPDX-License-Identifier: ISC */
/*
 * This file owns the forwarding table's read side: its longest-prefix-match
 * index, lookups, the "is this one of our prefixes" test, prefix formatting
 * and conflict detection.  lib/topo.c (topo_routes()) fills the table and
 * calls route_table_index().  No globals, no logging, no clock; only
 * route_table_index() allocates.
 *
 * The index is a path-compressed binary trie (one node per distinct prefix,
 * plus at most one branching node per prefix) in arrays, children by
 * position, so the table can be moved as a struct.  Why a trie and not one
 * hash table per prefix length: a lookup must return the *first* matching
 * route of the table, which is the longest match only while the table is
 * sorted; the trie's one walk down the address visits every matching prefix
 * anyway (at most 33, about log2(n) + a few in practice), so it returns the
 * first one at no cost, needs no hashing, and the same walk answers the own
 * prefix test and the conflict test.  Per-length hash tables would need up
 * to 33 probes per lookup for the same answer (or markers and a binary
 * search over lengths, which cannot see every match).  From
 * ROUTE_INDEX_TOP_MIN routes on, the first 16 levels of the walk are one
 * read of an array of the 65,536 /16 blocks (a direct first stride, as in
 * DIR-24-8 or Linux's fib_trie root): 512 KiB whatever the size.
 *
 * Building: one radix sort of (address, plen) keys, each run of an equal
 * prefix then sorted by dest, and the prefixes put in the trie in that
 * order, each under the previous one's path: O(n) but for the runs.
 * Conflicts come from the same order: sweeping it with a stack of the
 * prefixes covering the current one (at most 33, since they nest) meets
 * every overlapping pair exactly once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

#define NIL		UINT32_MAX	/* no route position */
#define STACK_MAX	33		/* nested prefixes: lengths 0-32 */
#define TRIE_DEPTH	(STACK_MAX + 1)	/* and the root */

enum rt_node_flags {
	RT_LOCAL	= 1 << 0,	/* an own route has exactly this prefix */
	RT_GMULTI	= 1 << 1,	/* its routes name two dests or more */
	RT_SMULTI	= 1 << 2,	/* so do the routes of its subtree */
};

/* What a lookup reads: 20 bytes. */
struct rt_node {
	uint32_t	key;		/* prefix, host order, host bits zero */
	uint32_t	child[2];	/* by the bit after plen; 0: none */
	uint32_t	first;		/* first route with exactly this prefix; */
					/* NIL: a branching node, no route */
	uint8_t		plen;
	uint8_t		flags;		/* enum rt_node_flags */
};

/* What the conflict test reads. */
struct rt_aux {
	uint32_t	grep;		/* a route with exactly this prefix; NIL */
	uint32_t	srep;		/* a route in this subtree; NIL */
};

/*
 * The first level of a large table's walk, one entry per /16 block: the
 * lowest position among the prefixes of length 16 or less holding the
 * block, and the node to walk on from (see top_fill()).
 */
#define TOP_SHIFT	16
#define TOP_SIZE	(1U << (32 - TOP_SHIFT))
#define TOP_LOCAL	(1U << 31)	/* in node: one of those is ours */

struct rt_top {
	uint32_t	node;		/* with TOP_LOCAL */
	uint32_t	best;		/* NIL: none */
};

struct route_index {
	const struct route *v;		/* the array and count it was built for */
	size_t		 n;
	struct rt_node	*node;		/* node[0]: the root, 0.0.0.0/0 */
	struct rt_aux	*aux;
	uint32_t	 n_nodes;
	uint32_t	*order;		/* positions by address, plen, dest, position */
	struct rt_top	*top;		/* TOP_SIZE entries; NULL: small table */
	size_t		 bytes;
};

/* Netmask in host order; plen 0 must not shift by 32 (undefined). */
static uint32_t
plen_mask(uint8_t plen)
{
	return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

/* The same without a branch, for the walk; plen at most 32. */
static inline uint32_t
walk_mask(uint8_t plen)
{
	return (uint32_t)(UINT64_MAX << (32 - plen));
}

/* Bit plen of a (0: the top bit); 0 for plen 32, whose node has no child. */
static inline unsigned
bit_after(uint32_t a, uint8_t plen)
{
	return (unsigned)(((uint64_t)a << plen) >> 31) & 1;
}

static bool
prefix_contains(const struct route *r, struct in_addr dst)
{
	return (ntohl(dst.s_addr) & plen_mask(r->plen)) ==
	    ntohl(r->addr.s_addr);
}

static bool
route_is_own(const struct route *r)
{
	return r->hops == 0 && r->next_hop[0] == '\0';
}

/*
 * Two claims conflict when different proxies make them and the prefixes
 * overlap, i.e. agree on the bits of the shorter one (equal prefixes
 * included).  A proxy's own overlapping prefixes are not a conflict.
 */
static bool
claims_conflict(const struct route *x, const struct route *y)
{
	uint32_t	m;

	if (strcmp(x->dest, y->dest) == 0)
		return false;
	m = plen_mask(x->plen < y->plen ? x->plen : y->plen);
	return (ntohl(x->addr.s_addr) & m) == (ntohl(y->addr.s_addr) & m);
}

static const struct route_index *
index_of(const struct route_table *t)
{
	const struct route_index *x = t->idx;

	return x != NULL && x->v == t->v && x->n == t->n ? x : NULL;
}

/* --- building the index --- */

static void
index_free(struct route_index *x)
{
	if (x == NULL)
		return;
	free(x->node);
	free(x->aux);
	free(x->order);
	free(x->top);
	free(x);
}

static uint32_t
node_new(struct route_index *x, uint32_t key, uint8_t plen)
{
	struct rt_node	*nd = &x->node[x->n_nodes];

	nd->key = key;
	nd->plen = plen;
	nd->child[0] = nd->child[1] = 0;
	nd->first = NIL;
	nd->flags = 0;
	x->aux[x->n_nodes].grep = NIL;
	x->aux[x->n_nodes].srep = NIL;
	return x->n_nodes++;
}

/* Whether node i's prefix holds key/plen (or is it). */
static bool
node_holds(const struct route_index *x, uint32_t i, uint32_t key, uint8_t plen)
{
	const struct rt_node *nd = &x->node[i];

	return nd->plen <= plen && ((nd->key ^ key) & plen_mask(nd->plen)) == 0;
}

/*
 * The node of key/plen, made if missing, looked for from node from (which
 * holds it): at most two new nodes, the prefix and, where it leaves an
 * existing path, a branching node (*glue, else 0).  The array is large
 * enough for every prefix (route_table_index()).
 */
static uint32_t
trie_insert(struct route_index *x, uint32_t from, uint32_t key, uint8_t plen,
    uint32_t *glue)
{
	uint32_t	cur = from, nx, nn, g;
	unsigned	b;

	*glue = 0;
	if (x->node[cur].plen == plen)
		return cur;
	for (;;) {
		uint8_t		 lim, common;
		uint32_t	 diff;
		struct rt_node	*n;

		/* node cur holds key/plen and is shorter */
		b = bit_after(key, x->node[cur].plen);
		if ((nx = x->node[cur].child[b]) == 0) {
			nn = node_new(x, key, plen);
			x->node[cur].child[b] = nn;
			return nn;
		}
		n = &x->node[nx];
		lim = n->plen < plen ? n->plen : plen;
		diff = (n->key ^ key) & plen_mask(lim);
		common = diff != 0 ? (uint8_t)__builtin_clz(diff) : lim;
		if (common == n->plen) {
			if (n->plen == plen)
				return nx;
			cur = nx;		/* n holds key/plen: down */
			continue;
		}
		/*
		 * key/plen holds n: not reached while prefixes come in
		 * address order, covering ones first (route_table_index()),
		 * but right in any order.
		 */
		if (common == plen) {
			nn = node_new(x, key, plen);
			x->node[nn].child[bit_after(x->node[nx].key, plen)] =
			    nx;
			x->node[cur].child[b] = nn;
			return nn;
		}
		/* they part after common bits: branch there */
		g = node_new(x, key & plen_mask(common), common);
		*glue = g;
		nn = node_new(x, key, plen);
		x->node[g].child[bit_after(key, common)] = nn;
		x->node[g].child[bit_after(x->node[nx].key, common)] = nx;
		x->node[cur].child[b] = g;
		return nn;
	}
}

/* Folds the dests of a subtree (rep, multi) into (*rep, *multi). */
static void
dests_merge(const struct route *v, uint32_t *rep, bool *multi, uint32_t crep,
    bool cmulti)
{
	if (crep == NIL)
		return;
	if (cmulti)
		*multi = true;
	if (*rep == NIL)
		*rep = crep;
	else if (!*multi && strcmp(v[*rep].dest, v[crep].dest) != 0)
		*multi = true;
}

/* Subtree summaries, children first; the depth is at most 33. */
static void
summarize(struct route_index *x, const struct route *v, uint32_t i)
{
	uint32_t	rep = x->aux[i].grep;
	bool		multi = (x->node[i].flags & RT_GMULTI) != 0;

	for (int b = 0; b < 2; b++) {
		uint32_t c = x->node[i].child[b];

		if (c == 0)
			continue;
		summarize(x, v, c);
		dests_merge(v, &rep, &multi, x->aux[c].srep,
		    (x->node[c].flags & RT_SMULTI) != 0);
	}
	x->aux[i].srep = rep;
	if (multi)
		x->node[i].flags |= RT_SMULTI;
}

/* Routes of one prefix: by dest, then position. */
static int
cmp_dest(const void *pa, const void *pb)
{
	const struct route *a = *(const struct route *const *)pa;
	const struct route *b = *(const struct route *const *)pb;
	int		 c = strcmp(a->dest, b->dest);

	if (c != 0)
		return c;
	return a < b ? -1 : a > b;
}

/* Address, plen and position in one integer (positions below 2^24). */
static uint64_t
sort_key(const struct route *v, size_t i)
{
	return (uint64_t)ntohl(v[i].addr.s_addr) << 32 |
	    (uint64_t)v[i].plen << 24 | i;
}

/*
 * Sorts keys by their top 40 bits (address, plen), a byte at a time from
 * the lowest; the sort is stable and keys come in by position, so equal
 * prefixes stay by position.  tmp holds n keys.
 */
static void
radix_sort(uint64_t *keys, uint64_t *tmp, size_t n)
{
	uint64_t	*src = keys, *dst = tmp, *sw;

	for (unsigned shift = 24; shift < 64; shift += 8) {
		size_t	count[256] = { 0 }, sum = 0;

		for (size_t i = 0; i < n; i++)
			count[src[i] >> shift & 0xff]++;
		if (count[src[0] >> shift & 0xff] == n)
			continue;		/* one value: nothing moves */
		for (size_t b = 0; b < 256; b++) {
			size_t c = count[b];

			count[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			dst[count[src[i] >> shift & 0xff]++] = src[i];
		sw = src;
		src = dst;
		dst = sw;
	}
	if (src != keys)
		memcpy(keys, src, n * sizeof(*keys));
}

/*
 * x->order: positions by address, plen, dest, position.  One sort of
 * integers, then each run of one prefix claimed more than once by dest.
 * Returns the number of distinct prefixes, or 0 without memory.
 */
static size_t
sort_order(struct route_index *x, const struct route *v, size_t n)
{
	const struct route	**by = NULL;
	uint64_t		 *keys;
	size_t			  i, j, k, m = 0, run = 1;

	if ((keys = calloc(2 * n, sizeof(*keys))) == NULL)
		return 0;
	for (i = 0; i < n; i++)
		keys[i] = sort_key(v, i);
	radix_sort(keys, keys + n, n);
	for (i = 0; i < n; i = j, m++) {
		for (j = i + 1; j < n && keys[j] >> 24 == keys[i] >> 24; j++)
			;
		if (j - i > run)
			run = j - i;
	}
	if (run > 1 && (by = calloc(run, sizeof(*by))) == NULL) {
		free(keys);
		return 0;
	}
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && keys[j] >> 24 == keys[i] >> 24; j++)
			;
		if (j - i == 1) {
			x->order[i] = (uint32_t)(keys[i] & 0xffffff);
			continue;
		}
		for (k = i; k < j; k++)
			by[k - i] = &v[keys[k] & 0xffffff];
		qsort(by, j - i, sizeof(*by), cmp_dest);
		for (k = i; k < j; k++)
			x->order[k] = (uint32_t)(by[k - i] - v);
	}
	free(by);
	free(keys);
	return m;
}

/*
 * The first-level table: for each /16 block, what the walk would have
 * found down to length 16 (the lowest position, whether any prefix is
 * ours) and the last node it would have passed at length 16 or less, to
 * go on from (its children may both lie in the block when it is a /16).
 * Parents before children, so a longer prefix overwrites its part of a
 * shorter one's range: at most 17 writes per block.
 */
static void
top_fill(struct route_index *x, uint32_t i, uint32_t best, bool local)
{
	const struct rt_node	*nd = &x->node[i];
	uint32_t		 lo = nd->key >> TOP_SHIFT;
	uint32_t		 hi = (nd->key | ~plen_mask(nd->plen)) >> TOP_SHIFT;

	if (nd->first < best)
		best = nd->first;
	local = local || (nd->flags & RT_LOCAL) != 0;
	for (uint32_t b = lo; b <= hi; b++) {
		x->top[b].node = i | (local ? TOP_LOCAL : 0);
		x->top[b].best = best;
	}
	for (int c = 0; c < 2; c++)
		if (nd->child[c] != 0 &&
		    x->node[nd->child[c]].plen <= 32 - TOP_SHIFT)
			top_fill(x, nd->child[c], best, local);
}

static int
route_table_index4(struct route_table *t)
{
	struct route_index	*x;
	uint32_t		 path[TRIE_DEPTH];
	size_t			 i, j, m, sp, n = t->n;

	index_free(t->idx);
	t->idx = NULL;
	if (n == 0)
		return 0;
	if (n > ROUTE_INDEX_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct route *r = &t->v[i];

		if (r->plen > 32 ||
		    (ntohl(r->addr.s_addr) & ~plen_mask(r->plen)) != 0) {
			errno = EINVAL;
			return -1;
		}
	}
	if ((x = calloc(1, sizeof(*x))) == NULL)
		goto fail;
	if ((x->order = calloc(n, sizeof(*x->order))) == NULL ||
	    (m = sort_order(x, t->v, n)) == 0)
		goto fail_index;

	/* the root, then at most two nodes per distinct prefix */
	if ((x->node = calloc(1 + 2 * m, sizeof(*x->node))) == NULL ||
	    (x->aux = calloc(1 + 2 * m, sizeof(*x->aux))) == NULL)
		goto fail_index;
	/*
	 * Prefixes come in address order, covering ones first, so each one
	 * goes under the deepest node of the previous one's path that holds
	 * it: path[] is that path (nested, so at most 33 nodes and the root).
	 */
	node_new(x, 0, 0);
	path[0] = 0;
	sp = 1;
	for (i = 0; i < n; i = j) {
		const struct route *r = &t->v[x->order[i]];
		uint32_t	 k, g, key = ntohl(r->addr.s_addr), first = NIL;
		uint8_t		 flags = 0;

		for (j = i; j < n; j++) {
			const struct route *s = &t->v[x->order[j]];

			if (s->plen != r->plen ||
			    s->addr.s_addr != r->addr.s_addr)
				break;
			if (x->order[j] < first)
				first = x->order[j];
			if (route_is_own(s))
				flags |= RT_LOCAL;
		}
		/* sorted by dest: the first and last differ when any do */
		if (strcmp(r->dest, t->v[x->order[j - 1]].dest) != 0)
			flags |= RT_GMULTI;
		while (sp > 1 && !node_holds(x, path[sp - 1], key, r->plen))
			sp--;
		k = trie_insert(x, path[sp - 1], key, r->plen, &g);
		if (g != 0 && sp < TRIE_DEPTH)
			path[sp++] = g;
		if (k != path[sp - 1] && sp < TRIE_DEPTH)
			path[sp++] = k;
		x->node[k].first = first;
		x->node[k].flags = flags;
		x->aux[k].grep = x->order[i];
	}
	summarize(x, t->v, 0);
	if (x->n_nodes < 1 + 2 * m) {	/* give back the unused nodes */
		struct rt_node	*nv;
		struct rt_aux	*av;

		if ((nv = realloc(x->node, x->n_nodes * sizeof(*nv))) != NULL)
			x->node = nv;
		if ((av = realloc(x->aux, x->n_nodes * sizeof(*av))) != NULL)
			x->aux = av;
	}
	if (n >= ROUTE_INDEX_TOP_MIN) {
		if ((x->top = calloc(TOP_SIZE, sizeof(*x->top))) == NULL)
			goto fail_index;
		top_fill(x, 0, NIL, false);
	}
	x->v = t->v;
	x->n = n;
	x->bytes = sizeof(*x) + n * sizeof(*x->order) +
	    (size_t)x->n_nodes * (sizeof(*x->node) + sizeof(*x->aux)) +
	    (x->top != NULL ? TOP_SIZE * sizeof(*x->top) : 0);
	t->idx = x;
	return 0;

fail_index:
	index_free(x);
fail:
	errno = ENOMEM;
	return -1;
}

int
route_table_index(struct route_table *t)
{
	int	r4, r6, e4 = 0;

	if ((r4 = route_table_index4(t)) == -1)
		e4 = errno;
	r6 = route_table_index6(t);
	if (r4 == -1)
		errno = e4;
	return r4 == -1 || r6 == -1 ? -1 : 0;
}

bool
route_table_indexed(const struct route_table *t)
{
	return index_of(t) != NULL;
}

size_t
route_table_mem(const struct route_table *t)
{
	return t->cap * sizeof(*t->v) + (t->idx != NULL ? t->idx->bytes : 0) +
	    t->cap6 * sizeof(*t->v6) + route_table_mem6(t);
}

void
route_table_init(struct route_table *t)
{
	t->v = NULL;
	t->n = 0;
	t->cap = 0;
	t->idx = NULL;
	t->v6 = NULL;
	t->n6 = 0;
	t->cap6 = 0;
	t->idx6 = NULL;
}

void
route_table_release(struct route_table *t)
{
	free(t->v);
	free(t->v6);
	index_free(t->idx);
	route_table_index6_free(t);
	route_table_init(t);
}

/* --- lookups --- */

/*
 * One walk down the trie along dst: every node on it whose prefix holds
 * dst is a matching prefix, and the first matching route of the table is
 * the lowest position among them.  A node that does not hold dst ends the
 * walk (nothing under it does).
 */
const struct route *
route_lookup(const struct route_table *t, struct in_addr dst)
{
	const struct route_index *x = index_of(t);
	const struct rt_node	 *node;
	uint32_t		  d = ntohl(dst.s_addr), best = NIL, i = 0;

	if (x == NULL) {
		for (size_t k = 0; k < t->n; k++)
			if (prefix_contains(&t->v[k], dst))
				return &t->v[k];
		return NULL;
	}
	if (x->top != NULL) {
		const struct rt_top *tp = &x->top[d >> TOP_SHIFT];

		best = tp->best;
		i = tp->node & ~TOP_LOCAL;
	}
	node = x->node;
	do {
		const struct rt_node *nd = &node[i];

		if (((d ^ nd->key) & walk_mask(nd->plen)) != 0)
			break;
		if (nd->first < best)
			best = nd->first;
		i = nd->child[bit_after(d, nd->plen)];
	} while (i != 0);
	return best == NIL ? NULL : &t->v[best];
}

bool
route_is_local(const struct route_table *t, struct in_addr dst)
{
	const struct route_index *x = index_of(t);
	const struct rt_node	 *node;
	uint32_t		  d = ntohl(dst.s_addr), i = 0;

	if (x == NULL) {
		for (size_t k = 0; k < t->n; k++)
			if (route_is_own(&t->v[k]) &&
			    prefix_contains(&t->v[k], dst))
				return true;
		return false;
	}
	if (x->top != NULL) {
		const struct rt_top *tp = &x->top[d >> TOP_SHIFT];

		if (tp->node & TOP_LOCAL)
			return true;
		i = tp->node & ~TOP_LOCAL;
	}
	node = x->node;
	do {
		const struct rt_node *nd = &node[i];

		if (((d ^ nd->key) & walk_mask(nd->plen)) != 0)
			break;
		if (nd->flags & RT_LOCAL)
			return true;
		i = nd->child[bit_after(d, nd->plen)];
	} while (i != 0);
	return false;
}

/* --- conflicts --- */

/* Whether routes summarized as (rep, multi) name a dest other than d. */
static bool
other_dest(const struct route *v, uint32_t rep, bool multi, const char *d)
{
	return rep != NIL && (multi || strcmp(v[rep].dest, d) != 0);
}

/*
 * The claims overlapping r's prefix are those of the prefixes holding it
 * (the nodes on the walk down to it) and those inside it (one subtree).
 */
bool
route_conflicts(const struct route_table *t, const struct route *r)
{
	const struct route_index *x = index_of(t);
	uint32_t		  key, i = 0;
	uint8_t			  plen = r->plen > 32 ? 32 : r->plen;

	if (x == NULL) {
		for (size_t k = 0; k < t->n; k++)
			if (claims_conflict(&t->v[k], r))
				return true;
		return false;
	}
	key = ntohl(r->addr.s_addr) & plen_mask(plen);
	do {
		const struct rt_node *nd = &x->node[i];
		const struct rt_aux *a = &x->aux[i];

		if (nd->plen >= plen) {
			/* at or under r's length: inside r, or apart */
			if (((nd->key ^ key) & plen_mask(plen)) != 0)
				return false;
			return other_dest(t->v, a->srep,
			    (nd->flags & RT_SMULTI) != 0, r->dest);
		}
		if (((nd->key ^ key) & plen_mask(nd->plen)) != 0)
			return false;
		if (other_dest(t->v, a->grep, (nd->flags & RT_GMULTI) != 0,
		    r->dest))
			return true;	/* a prefix holding r's */
		i = nd->child[bit_after(key, nd->plen)];
	} while (i != 0);
	return false;
}

/* The pair list being written; pairs hold positions until the end. */
struct sweep {
	const struct route	*v;
	const uint32_t		*order;
	struct route		*a;
	size_t			 n;
	size_t			 max;
};

/* Records positions p and q (a pair), lower first; true when full. */
static bool
sweep_emit(struct sweep *s, uint32_t p, uint32_t q)
{
	struct route	*r = &s->a[s->n];

	r->cost = p < q ? p : q;
	r->addr.s_addr = p < q ? q : p;
	return ++s->n == s->max;
}

/* Pairs of position p with order[lo..hi); true when full. */
static bool
sweep_range(struct sweep *s, uint32_t p, size_t lo, size_t hi)
{
	for (size_t k = lo; k < hi; k++)
		if (sweep_emit(s, p, s->order[k]))
			return true;
	return false;
}

/* First k in order[lo..hi) (sorted by dest) whose dest is >= d (> d). */
static size_t
dest_bound(const struct sweep *s, size_t lo, size_t hi, const char *d,
    bool upper)
{
	while (lo < hi) {
		size_t	mid = lo + (hi - lo) / 2;
		int	c = strcmp(s->v[s->order[mid]].dest, d);

		if (c < 0 || (upper && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
cmp_pair(const void *pa, const void *pb)
{
	const struct route *a = pa, *b = pb;

	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	if (a->addr.s_addr != b->addr.s_addr)
		return a->addr.s_addr < b->addr.s_addr ? -1 : 1;
	return 0;
}

/*
 * Runs of one prefix in the order are groups; the stack holds the groups
 * whose prefix holds the current one.  Each route pairs with the other
 * dests of the stacked groups and with the earlier other dests of its own
 * group, so every overlapping pair is met once.
 */
static size_t
conflicts_sweep(const struct route_table *t, const struct route_index *x,
    struct route *a, struct route *b, size_t max)
{
	struct {
		size_t		lo, hi;
		uint32_t	end;		/* last address of the prefix */
		bool		multi;
	}		 stack[STACK_MAX];
	struct sweep	 s = { t->v, x->order, a, 0, max };
	size_t		 sp = 0, i, j, p, k, rs;

	for (i = 0; i < t->n; i = j) {
		const struct route *g = &t->v[x->order[i]];
		uint32_t	 key = ntohl(g->addr.s_addr);

		for (j = i + 1; j < t->n; j++) {
			const struct route *r = &t->v[x->order[j]];

			if (r->plen != g->plen ||
			    r->addr.s_addr != g->addr.s_addr)
				break;
		}
		while (sp > 0 && stack[sp - 1].end < key)
			sp--;
		for (p = i, rs = i; p < j; p++) {
			uint32_t	 pos = x->order[p];
			const char	*d = t->v[pos].dest;

			if (strcmp(t->v[x->order[rs]].dest, d) != 0)
				rs = p;		/* a new dest in the group */
			if (sweep_range(&s, pos, i, rs))
				goto full;
			for (k = sp; k-- > 0; ) {
				size_t lo = stack[k].lo, hi = stack[k].hi, lb, ub;

				if (!stack[k].multi) {
					if (strcmp(t->v[x->order[lo]].dest,
					    d) != 0 && sweep_range(&s, pos, lo,
					    hi))
						goto full;
					continue;
				}
				lb = dest_bound(&s, lo, hi, d, false);
				ub = dest_bound(&s, lb, hi, d, true);
				if (sweep_range(&s, pos, lo, lb) ||
				    sweep_range(&s, pos, ub, hi))
					goto full;
			}
		}
		if (sp == STACK_MAX)
			break;		/* impossible: 33 nested lengths */
		stack[sp].lo = i;
		stack[sp].hi = j;
		stack[sp].end = key | ~plen_mask(g->plen);
		stack[sp].multi = strcmp(g->dest,
		    t->v[x->order[j - 1]].dest) != 0;
		sp++;
	}
full:
	qsort(a, s.n, sizeof(*a), cmp_pair);
	for (k = 0; k < s.n; k++) {
		uint32_t lo = a[k].cost, hi = a[k].addr.s_addr;

		a[k] = t->v[lo];
		b[k] = t->v[hi];
	}
	return s.n;
}

size_t
route_conflicts_find(const struct route_table *t, struct route *a,
    struct route *b, size_t max)
{
	const struct route_index *x = index_of(t);
	size_t	i, j, n = 0;

	if (max == 0)
		return 0;
	if (x != NULL)
		return conflicts_sweep(t, x, a, b, max);
	/* unindexed: every pair */
	for (i = 0; i < t->n && n < max; i++) {
		for (j = i + 1; j < t->n && n < max; j++) {
			if (!claims_conflict(&t->v[i], &t->v[j]))
				continue;
			a[n] = t->v[i];
			b[n] = t->v[j];
			n++;
		}
	}
	return n;
}

/* Truncates (still NUL-terminated) if len is below 19; NULL if len is 0. */
const char *
route_prefix_str(const struct route *r, char *buf, size_t len)
{
	char	a[INET_ADDRSTRLEN];

	if (buf == NULL || len == 0)
		return NULL;
	if (inet_ntop(AF_INET, &r->addr, a, sizeof(a)) == NULL)
		a[0] = '\0';	/* not with AF_INET and this size */
	snprintf(buf, len, "%s/%u", a, (unsigned)r->plen);
	return buf;
}
