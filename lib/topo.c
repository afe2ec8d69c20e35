/* SPDX-License-Identifier: ISC */
/*
 * This file owns the link-state database (one advertisement per origin,
 * with the time it arrived so its age grows), the flooding verdicts, ageing,
 * and the shortest-path computation that turns the database into paths and
 * a forwarding table.  No globals, no logging, no clock: "now" is passed in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipaddr.h"
#include "nat.h"
#include "topo.h"

/*
 * Memory bound: a new origin beyond max_origins entries (ours included) is
 * refused.  An entry is a full struct pkt_lsa (about 7.5 KB with the
 * certificate and signature), so the default 4096 keeps the database
 * around 30 MB whatever the network floods at us.
 */
struct topo_entry {
	struct pkt_lsa	lsa;
	uint64_t	rx_us;		/* when stored; lsa.age_s was its age then */
	uint64_t	refused;	/* prefixes refused by their certificate */
	uint8_t		refused_why;	/* enum topo_refusal for those */
	uint64_t	tat_us;		/* rate: next conforming arrival (GCRA) */
};

/*
 * The database is an array of pointers to entries kept sorted by origin
 * name: lookups are a binary search, iteration in name order (topo_at) is
 * an index, and an entry's position doubles as its node number in the SPF.
 * Inserting moves pointers, not whole entries, so even a full database
 * costs at most a 32 KB memmove per new origin.
 */
struct topo {
	char			  self[PKT_NAME_MAX + 1];
	struct topo_entry	**v;
	size_t			  n;
	size_t			  cap;
	bool			  seen_own;	/* own_max is meaningful */
	uint64_t		  own_max;	/* newest own seq seen flooding */
	uint64_t		  own_last;	/* the last own seq seen */
	struct topo_limits	  lim;
};

const char *
topo_refusal_str(enum topo_refusal r)
{
	switch (r) {
	case TOPO_REFUSED_NO:		return "";
	case TOPO_REFUSED_BLOCKS:	return "outside its certificate's "
					    "address blocks";
	case TOPO_REFUSED_NO_BLOCKS:	return "its certificate has no "
					    "address blocks (require_prefixes)";
	case TOPO_REFUSED_LIMIT:	return "over the prefixes-per-origin "
					    "limit";
	}
	return "?";
}

bool
topo_seq_newer(uint64_t a, uint64_t b)
{
	uint64_t d = a - b;

	if (d == 0)
		return false;
	if (d == UINT64_C(1) << 63)
		return a > b;
	return d < UINT64_C(1) << 63;
}

/* The links of lsa the SPF uses: the first max_links. */
static uint16_t
used_links(const struct topo *t, const struct pkt_lsa *lsa)
{
	return lsa->n_links < t->lim.max_links ? lsa->n_links :
	    t->lim.max_links;
}

/* A name is 1..PKT_NAME_MAX bytes and NUL-terminated inside its array. */
static bool
name_ok(const char *s)
{
	return s[0] != '\0' && memchr(s, '\0', PKT_NAME_MAX + 1) != NULL;
}

/* Bounds every field the rest of this file indexes with or strcmp()s. */
static bool
lsa_ok(const struct pkt_lsa *lsa)
{
	uint16_t	i;

	if (!name_ok(lsa->origin))
		return false;
	if (lsa->n_prefixes > PKT_LSA_PREFIX_MAX ||
	    lsa->n_links > PKT_LSA_LINK_MAX)
		return false;
	for (i = 0; i < lsa->n_links; i++)
		if (memchr(lsa->links[i].peer, '\0', PKT_NAME_MAX + 1) == NULL)
			return false;
	return true;
}

/* Age on arrival plus whole seconds since, saturating at UINT16_MAX. */
static uint16_t
entry_age(const struct topo_entry *e, uint64_t now_us)
{
	uint64_t	age = e->lsa.age_s;

	if (now_us > e->rx_us)
		age += (now_us - e->rx_us) / 1000000;
	return age > UINT16_MAX ? UINT16_MAX : (uint16_t)age;
}

/*
 * Binary search by origin.  Returns true if found; *at is the position of
 * the match or where the origin would be inserted.
 */
static bool
find(const struct topo *t, const char *origin, size_t *at)
{
	size_t	lo = 0, hi = t->n;

	while (lo < hi) {
		size_t	mid = lo + (hi - lo) / 2;
		int	c = strcmp(t->v[mid]->lsa.origin, origin);

		if (c == 0) {
			*at = mid;
			return true;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return false;
}

static const struct topo_entry *
lookup(const struct topo *t, const char *origin)
{
	size_t	at;

	return find(t, origin, &at) ? t->v[at] : NULL;
}

/* Stores a copy of lsa at position at.  0 or -1 (ENOMEM). */
static int
insert_at(struct topo *t, size_t at, const struct pkt_lsa *lsa,
    uint64_t now_us)
{
	struct topo_entry	*e;

	if (t->n == t->cap) {
		size_t			  cap = t->cap ? t->cap * 2 : 16;
		struct topo_entry	**v;

		if ((v = reallocarray(t->v, cap, sizeof(*v))) == NULL)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	if ((e = malloc(sizeof(*e))) == NULL)
		return -1;
	e->lsa = *lsa;
	e->rx_us = now_us;
	e->refused = 0;
	e->refused_why = TOPO_REFUSED_NO;
	e->tat_us = 0;
	memmove(&t->v[at + 1], &t->v[at], (t->n - at) * sizeof(t->v[0]));
	t->v[at] = e;
	t->n++;
	return 0;
}

struct topo *
topo_new(const char *self)
{
	struct topo	*t;

	if (self == NULL || self[0] == '\0' ||
	    strlen(self) > PKT_NAME_MAX) {
		errno = EINVAL;
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	strcpy(t->self, self);
	t->lim.max_origins = TOPO_DEFAULT_MAX_ORIGINS;
	t->lim.max_prefixes = TOPO_DEFAULT_MAX_PREFIXES;
	t->lim.max_links = TOPO_DEFAULT_MAX_LINKS;
	t->lim.rate = TOPO_DEFAULT_RATE;
	t->lim.burst = TOPO_DEFAULT_BURST;
	return t;
}

void
topo_set_limits(struct topo *t, const struct topo_limits *l)
{
	t->lim = *l;
	if (t->lim.max_origins < 1)
		t->lim.max_origins = 1;
	if (t->lim.max_prefixes > PKT_LSA_PREFIX_MAX)
		t->lim.max_prefixes = PKT_LSA_PREFIX_MAX;
	if (t->lim.max_links > PKT_LSA_LINK_MAX)
		t->lim.max_links = PKT_LSA_LINK_MAX;
	if (t->lim.rate < 1)
		t->lim.rate = 1;
	if (t->lim.burst < 1)
		t->lim.burst = 1;
}

void
topo_get_limits(const struct topo *t, struct topo_limits *l)
{
	*l = t->lim;
}

void
topo_free(struct topo *t)
{
	size_t	i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t);
}

int
topo_set_self(struct topo *t, const struct pkt_lsa *lsa, uint64_t now_us)
{
	size_t	at;

	if (!lsa_ok(lsa) || strcmp(lsa->origin, t->self) != 0) {
		errno = EINVAL;
		return -1;
	}
	if (find(t, t->self, &at)) {
		t->v[at]->lsa = *lsa;
		t->v[at]->lsa.age_s = 0;
		t->v[at]->rx_us = now_us;
		return 0;
	}
	/* Our own entry is exempt from max_origins. */
	if (insert_at(t, at, lsa, now_us) == -1)
		return -1;
	t->v[at]->lsa.age_s = 0;
	return 0;
}

uint64_t
topo_next_seq(struct topo *t, uint64_t base)
{
	const struct topo_entry *own = lookup(t, t->self);
	uint64_t	 seq = base;

	/* No own advertisement yet counts as seq 0: the first is at least 1. */
	if (own == NULL && seq < 1)
		seq = 1;
	/* Serial order: the next is newer than ours and any own seen. */
	if (own != NULL && !topo_seq_newer(seq, own->lsa.seq))
		seq = own->lsa.seq + 1;
	if (t->seen_own && !topo_seq_newer(seq, t->own_max))
		seq = t->own_max + 1;
	/*
	 * Serial order is not transitive across half the number space: a seq
	 * newer than own_max can still be older than an own copy seen since
	 * (own_max newer than it).  The last one seen wins: our next
	 * advertisement must replace what is flooding now.
	 */
	if (t->seen_own && !topo_seq_newer(seq, t->own_last))
		seq = t->own_last + 1;
	return seq;
}

/*
 * Same endpoints, prefixes and links (peer, NAT type, cost): what routes
 * are computed from, whatever the sequence number, age and signature.
 */
static bool
same_body(const struct pkt_lsa *a, const struct pkt_lsa *b)
{
	uint16_t	i;

	if (a->n_eps != b->n_eps ||
	    a->n_prefixes != b->n_prefixes || a->n_links != b->n_links)
		return false;
	for (i = 0; i < a->n_eps && i < PKT_LSA_EP_MAX; i++)
		if (!ep_eq(&a->eps[i], &b->eps[i]))
			return false;
	for (i = 0; i < a->n_prefixes; i++)
		if (a->prefixes[i].plen != b->prefixes[i].plen ||
		    a->prefixes[i].v6 != b->prefixes[i].v6 ||
		    (a->prefixes[i].v6 ? memcmp(&a->prefixes[i].addr6,
		    &b->prefixes[i].addr6, 16) != 0 :
		    a->prefixes[i].addr.s_addr != b->prefixes[i].addr.s_addr))
			return false;
	for (i = 0; i < a->n_links; i++)
		if (strcmp(a->links[i].peer, b->links[i].peer) != 0 ||
		    a->links[i].nat != b->links[i].nat ||
		    a->links[i].cost != b->links[i].cost)
			return false;
	return true;
}

/* Same advertisement apart from its age (our own, echoed back to us). */
static bool
same_content(const struct pkt_lsa *a, const struct pkt_lsa *b)
{
	return a->seq == b->seq && same_body(a, b);
}

/*
 * Flooding decisions.  Our own origin is special: a copy that is not
 * older than ours is a leftover of a previous run of ours (TOPO_OWN, and
 * topo_next_seq() will jump above it) - except the exact advertisement we
 * hold now, which is merely our current one echoed back around a cycle of
 * the network; calling that TOPO_OWN would make the caller re-originate,
 * flood, get the echo and re-originate forever, so it is TOPO_SAME.
 *
 * For other origins a stored copy that has already aged out (topo_expire()
 * not yet run) is treated as absent, so a restarted origin is not held
 * back by it.  "Newer" is topo_seq_newer(): for any two different
 * numbers exactly one is newer, so two neighbours holding different
 * copies never send each other theirs back and forth.
 *
 * Rate (OSPF's MinLSArrival, as a token bucket in GCRA form): an origin's
 * newer copies are accepted at 'rate' per second with a burst of
 * 'burst'; the rest are dropped (TOPO_RATE), not stored and not flooded:
 * the origin's next refresh brings its state again.
 */
static enum topo_verdict
classify(const struct topo *t, const struct pkt_lsa *lsa, uint64_t now_us,
    size_t *at)
{
	const struct topo_entry *e;
	uint64_t	 iv, tat;

	if (!lsa_ok(lsa) || lsa->age_s >= TOPO_MAX_AGE_S)
		return TOPO_INVALID;

	if (strcmp(lsa->origin, t->self) == 0) {
		const struct topo_entry *own = lookup(t, t->self);

		if (own != NULL && topo_seq_newer(own->lsa.seq, lsa->seq))
			return TOPO_OLDER;
		if (own != NULL && same_content(lsa, &own->lsa))
			return TOPO_SAME;
		return TOPO_OWN;
	}

	if (!find(t, lsa->origin, at))
		return t->n >= t->lim.max_origins ? TOPO_FULL : TOPO_NEWER;
	e = t->v[*at];
	if (!topo_seq_newer(lsa->seq, e->lsa.seq) &&
	    entry_age(e, now_us) < TOPO_MAX_AGE_S)
		return lsa->seq == e->lsa.seq ? TOPO_SAME : TOPO_OLDER;
	iv = 1000000 / t->lim.rate;
	tat = e->tat_us > now_us ? e->tat_us : now_us;
	if (tat - now_us > (uint64_t)(t->lim.burst - 1) * iv)
		return TOPO_RATE;
	return TOPO_NEWER;
}

enum topo_verdict
topo_classify(const struct topo *t, const struct pkt_lsa *lsa,
    uint64_t now_us)
{
	size_t	at;

	return classify(t, lsa, now_us, &at);
}

enum topo_verdict
topo_receive(struct topo *t, const struct pkt_lsa *lsa, uint64_t now_us)
{
	return topo_receive_checked(t, lsa, 0, TOPO_REFUSED_NO, now_us, NULL);
}

enum topo_verdict
topo_receive_checked(struct topo *t, const struct pkt_lsa *lsa,
    uint64_t refused, enum topo_refusal why, uint64_t now_us, bool *changed)
{
	struct topo_entry *e;
	enum topo_verdict v;
	size_t		 at = 0;
	uint64_t	 iv = 1000000 / t->lim.rate;
	bool		 dummy;

	if (changed == NULL)
		changed = &dummy;
	*changed = false;
	v = classify(t, lsa, now_us, &at);
	if (v == TOPO_OWN) {
		if (!t->seen_own || topo_seq_newer(lsa->seq, t->own_max))
			t->own_max = lsa->seq;
		t->own_last = lsa->seq;
		t->seen_own = true;
		return v;
	}
	if (v != TOPO_NEWER)
		return v;
	if (at < t->n && strcmp(t->v[at]->lsa.origin, lsa->origin) == 0) {
		e = t->v[at];
		*changed = !same_body(&e->lsa, lsa) || e->refused != refused ||
		    (refused != 0 && e->refused_why != (uint8_t)why);
		e->lsa = *lsa;
		e->rx_us = now_us;
	} else {
		if (insert_at(t, at, lsa, now_us) == -1)
			return TOPO_INVALID;	/* ENOMEM: drop, like a refusal */
		e = t->v[at];
		*changed = true;
	}
	e->refused = refused;
	e->refused_why = refused != 0 ? (uint8_t)why : TOPO_REFUSED_NO;
	e->tat_us = (e->tat_us > now_us ? e->tat_us : now_us) + iv;
	return TOPO_NEWER;
}

enum topo_refusal
topo_prefix_refused(const struct topo *t, size_t i, uint16_t k)
{
	const struct topo_entry *e;

	if (i >= t->n || k >= t->v[i]->lsa.n_prefixes)
		return TOPO_REFUSED_NO;
	e = t->v[i];
	if (strcmp(e->lsa.origin, t->self) == 0)
		return TOPO_REFUSED_NO;
	if (k < 64 && (e->refused >> k & 1))
		return (enum topo_refusal)e->refused_why;
	if (k >= t->lim.max_prefixes)
		return TOPO_REFUSED_LIMIT;
	return TOPO_REFUSED_NO;
}

const struct pkt_lsa *
topo_get(const struct topo *t, const char *origin)
{
	const struct topo_entry *e = lookup(t, origin);

	return e != NULL ? &e->lsa : NULL;
}

int
topo_copy(const struct topo *t, const char *origin, uint64_t now_us,
    struct pkt_lsa *out)
{
	const struct topo_entry *e = lookup(t, origin);

	if (e == NULL)
		return -1;
	*out = e->lsa;
	out->age_s = entry_age(e, now_us);
	return 0;
}

size_t
topo_expire(struct topo *t, uint64_t now_us)
{
	size_t	i, j, dropped = 0;

	for (i = 0, j = 0; i < t->n; i++) {
		struct topo_entry *e = t->v[i];

		if (entry_age(e, now_us) >= TOPO_MAX_AGE_S &&
		    strcmp(e->lsa.origin, t->self) != 0) {
			free(e);
			dropped++;
			continue;
		}
		t->v[j++] = e;
	}
	t->n = j;
	return dropped;
}

size_t
topo_remove_if(struct topo *t, bool (*drop)(const struct pkt_lsa *, void *),
    void *arg)
{
	size_t	i, j, dropped = 0;

	for (i = 0, j = 0; i < t->n; i++) {
		struct topo_entry *e = t->v[i];

		if (strcmp(e->lsa.origin, t->self) != 0 &&
		    drop(&e->lsa, arg)) {
			free(e);
			dropped++;
			continue;
		}
		t->v[j++] = e;
	}
	t->n = j;
	return dropped;
}

size_t
topo_count(const struct topo *t)
{
	return t->n;
}

const struct pkt_lsa *
topo_at(const struct topo *t, size_t i, uint64_t now_us, uint16_t *age_s)
{
	if (i >= t->n)
		return NULL;
	if (age_s != NULL)
		*age_s = entry_age(t->v[i], now_us);
	return &t->v[i]->lsa;
}

/* The first link of lsa toward peer, or NULL. */
static const struct pkt_lsa_link *
link_to(const struct pkt_lsa *lsa, const char *peer)
{
	uint16_t	i;

	for (i = 0; i < lsa->n_links; i++)
		if (strcmp(lsa->links[i].peer, peer) == 0)
			return &lsa->links[i];
	return NULL;
}

bool
topo_linked(const struct topo *t, const char *a, const char *b)
{
	const struct topo_entry *ea = lookup(t, a), *eb = lookup(t, b);

	return ea != NULL && eb != NULL && strcmp(a, b) != 0 &&
	    link_to(&ea->lsa, b) != NULL && link_to(&eb->lsa, a) != NULL;
}

enum nat_type
topo_advertised_nat(const struct topo *t, const char *origin,
    const char *peer)
{
	const struct topo_entry		*e = lookup(t, origin);
	const struct pkt_lsa_link	*l;

	if (e == NULL || (l = link_to(&e->lsa, peer)) == NULL)
		return NAT_TYPE_UNKNOWN;
	return l->nat;
}

uint8_t
topo_link_nat(const struct topo *t, const char *a, const char *b)
{
	const struct topo_entry *ea = lookup(t, a), *eb = lookup(t, b);
	const struct pkt_lsa_link *ab, *ba;

	if (ea == NULL || eb == NULL || strcmp(a, b) == 0 ||
	    (ab = link_to(&ea->lsa, b)) == NULL ||
	    (ba = link_to(&eb->lsa, a)) == NULL)
		return NAT_TYPE_UNKNOWN;
	return nat_path_fold(ab->nat, ba->nat);
}

/*
 * Shortest paths: Dijkstra with a binary heap.
 *
 * Why Dijkstra: link costs are positive and every proxy computes from its
 * own position, so single-source Dijkstra is exact and needs no global
 * agreement beyond the database itself (Bellman-Ford would be O(VE) for
 * nothing, and the distance-vector protocol it mirrors is what the
 * topology replaces).  Why a binary heap: the graph is sparse (a proxy has
 * a handful of links, at most PKT_LSA_LINK_MAX), so O((V+E) log V) beats
 * the O(V^2) array scan as soon as V reaches the hundreds; the heap is
 * indexed (each node's position is kept) so a shorter path decreases the
 * key in place and the heap never holds more than V nodes.
 *
 * Why the two-way check: an advertisement is only its origin's claim.  A
 * link X-Y is used only when X lists Y and Y lists X, so a stale or lying
 * advertisement cannot pull traffic toward a link that is down or never
 * existed, and a link that has just come up is used only once both ends
 * have said so.  Both ends' figures count: the cost is the larger of the
 * two, the NAT type the fold of both (each end knows only its own NAT).
 *
 * Nodes are database positions, i.e. origins in name order, so comparing
 * next-hop node numbers compares next-hop names and the tie-breaking is
 * deterministic: lower cost, then fewer hops, then the smaller next-hop
 * name, then (for otherwise equal paths) the more open path NAT type.
 * This label order is preserved by extending two paths by the same link
 * and never improves along a path, which is what Dijkstra needs to settle
 * each node on its best label.
 */

#define SPF_NONE	UINT32_MAX

struct spf_label {
	uint64_t	cost;		/* UINT64_MAX: unreached */
	uint32_t	hops;
	uint32_t	nh;		/* first node after self */
	uint8_t		nat;		/* enum nat_type folded along the path */
};

struct spf {
	size_t		  n;		/* nodes (database entries) */
	uint32_t	  self;		/* SPF_NONE: no own advertisement */
	struct spf_label *lab;
	/* adjacency in CSR form over every advertised link */
	uint32_t	 *off;		/* n + 1 */
	uint32_t	 *peer;		/* resolved link peer, SPF_NONE: unknown */
	uint32_t	 *ecost;	/* 0: not two-way */
	uint8_t		 *enat;
	/* indexed binary heap */
	uint32_t	 *heap;
	uint32_t	 *pos;		/* SPF_NONE: not in heap */
	size_t		  hn;
	/* origin name -> node: open addressing, SPF_NONE empty */
	uint32_t	 *ix;
	size_t		  ix_mask;	/* slots - 1 (a power of 2) */
};

static void
spf_release(struct spf *s)
{
	free(s->lab);
	free(s->off);
	free(s->peer);
	free(s->ecost);
	free(s->enat);
	free(s->heap);
	free(s->pos);
	free(s->ix);
}

/* The label order described above: true if a sorts before b. */
static bool
label_less(const struct spf_label *a, const struct spf_label *b)
{
	if (a->cost != b->cost)
		return a->cost < b->cost;
	if (a->hops != b->hops)
		return a->hops < b->hops;
	if (a->nh != b->nh)
		return a->nh < b->nh;
	return a->nat < b->nat;
}

static bool
node_less(const struct spf *s, uint32_t a, uint32_t b)
{
	return label_less(&s->lab[a], &s->lab[b]);
}

static void
heap_set(struct spf *s, size_t i, uint32_t node)
{
	s->heap[i] = node;
	s->pos[node] = (uint32_t)i;
}

static void
heap_up(struct spf *s, size_t i)
{
	uint32_t	node = s->heap[i];

	while (i > 0) {
		size_t	parent = (i - 1) / 2;

		if (!node_less(s, node, s->heap[parent]))
			break;
		heap_set(s, i, s->heap[parent]);
		i = parent;
	}
	heap_set(s, i, node);
}

static void
heap_down(struct spf *s, size_t i)
{
	uint32_t	node = s->heap[i];

	for (;;) {
		size_t	c = 2 * i + 1;

		if (c >= s->hn)
			break;
		if (c + 1 < s->hn && node_less(s, s->heap[c + 1], s->heap[c]))
			c++;
		if (!node_less(s, s->heap[c], node))
			break;
		heap_set(s, i, s->heap[c]);
		i = c;
	}
	heap_set(s, i, node);
}

static uint32_t
heap_pop(struct spf *s)
{
	uint32_t	top = s->heap[0];

	s->pos[top] = SPF_NONE;
	if (--s->hn > 0) {
		heap_set(s, 0, s->heap[s->hn]);
		heap_down(s, 0);
	}
	return top;
}

/*
 * An index of the nodes by origin name, built once per run: resolving
 * every advertised link by binary search cost log2(N) string compares on
 * entries far apart in memory, the largest share of a run at a few hundred
 * proxies (perf, bench-scale N=200); a hash probe costs one compare.
 * Slots are at least twice the nodes, so probes stay short.
 */
static int
spf_index(const struct topo *t, struct spf *s)
{
	size_t slots = 16;

	while (slots < 2 * s->n)
		slots *= 2;
	if ((s->ix = malloc(slots * sizeof(*s->ix))) == NULL)
		return -1;
	memset(s->ix, 0xff, slots * sizeof(*s->ix));	/* SPF_NONE */
	s->ix_mask = slots - 1;
	for (size_t x = 0; x < s->n; x++) {
		size_t h = pkt_origin_id(t->v[x]->lsa.origin) & s->ix_mask;

		while (s->ix[h] != SPF_NONE)
			h = (h + 1) & s->ix_mask;
		s->ix[h] = (uint32_t)x;
	}
	return 0;
}

/* The node of origin name, or SPF_NONE. */
static uint32_t
spf_node(const struct topo *t, const struct spf *s, const char *name)
{
	size_t h = pkt_origin_id(name) & s->ix_mask;

	for (; s->ix[h] != SPF_NONE; h = (h + 1) & s->ix_mask)
		if (strcmp(t->v[s->ix[h]]->lsa.origin, name) == 0)
			return s->ix[h];
	return SPF_NONE;
}

/* Resolves link peers to node numbers and keeps the two-way links. */
static void
spf_edges(const struct topo *t, struct spf *s)
{
	size_t		 x;
	uint32_t	 k;

	for (x = 0; x < s->n; x++) {
		const struct pkt_lsa *lsa = &t->v[x]->lsa;

		for (k = 0; k < used_links(t, lsa); k++) {
			uint32_t y = spf_node(t, s, lsa->links[k].peer);

			s->peer[s->off[x] + k] = y == x ? SPF_NONE : y;
		}
	}
	for (x = 0; x < s->n; x++) {
		const struct pkt_lsa *lx = &t->v[x]->lsa;

		for (k = s->off[x]; k < s->off[x + 1]; k++) {
			const struct pkt_lsa_link *xy = &lx->links[k - s->off[x]];
			const struct pkt_lsa_link *yx = NULL;
			uint32_t	 y = s->peer[k], j, cx, cy;

			s->ecost[k] = 0;
			if (y == SPF_NONE)
				continue;
			/* integer scan of y's resolved peers: <= 64 entries */
			for (j = s->off[y]; j < s->off[y + 1]; j++) {
				if (s->peer[j] == x) {
					yx = &t->v[y]->lsa.links[j - s->off[y]];
					break;
				}
			}
			if (yx == NULL)
				continue;	/* one-way: ignored */
			cx = xy->cost ? xy->cost : 1;	/* 0 is malformed */
			cy = yx->cost ? yx->cost : 1;
			s->ecost[k] = cx > cy ? cx : cy;
			s->enat[k] = nat_path_fold(xy->nat, yx->nat);
		}
	}
}

/* Runs Dijkstra from self over t into s.  0 or -1 (ENOMEM). */
static int
spf_run(const struct topo *t, struct spf *s)
{
	size_t		 i, links = 0, at;
	uint32_t	 k;

	memset(s, 0, sizeof(*s));
	s->n = t->n;
	s->self = SPF_NONE;
	for (i = 0; i < t->n; i++)
		links += used_links(t, &t->v[i]->lsa);
	if ((s->lab = calloc(s->n + 1, sizeof(*s->lab))) == NULL ||
	    (s->off = calloc(s->n + 1, sizeof(*s->off))) == NULL ||
	    (s->peer = calloc(links + 1, sizeof(*s->peer))) == NULL ||
	    (s->ecost = calloc(links + 1, sizeof(*s->ecost))) == NULL ||
	    (s->enat = calloc(links + 1, sizeof(*s->enat))) == NULL ||
	    (s->heap = calloc(s->n + 1, sizeof(*s->heap))) == NULL ||
	    (s->pos = calloc(s->n + 1, sizeof(*s->pos))) == NULL)
		goto fail_release;

	for (i = 0; i < s->n; i++) {
		s->off[i + 1] = s->off[i] + used_links(t, &t->v[i]->lsa);
		s->lab[i].cost = UINT64_MAX;
		s->lab[i].nh = SPF_NONE;
		s->lab[i].nat = NAT_TYPE_UNKNOWN;
		s->pos[i] = SPF_NONE;
	}
	if (!find(t, t->self, &at))
		return 0;	/* no own advertisement: nothing reachable */
	s->self = (uint32_t)at;
	if (spf_index(t, s) == -1)
		goto fail_release;
	spf_edges(t, s);

	s->lab[at].cost = 0;
	s->lab[at].nat = NAT_TYPE_OPEN;
	heap_set(s, 0, (uint32_t)at);
	s->hn = 1;
	while (s->hn > 0) {
		uint32_t		 x = heap_pop(s);
		const struct spf_label	*lx = &s->lab[x];

		for (k = s->off[x]; k < s->off[x + 1]; k++) {
			uint32_t	 y = s->peer[k];
			struct spf_label c;
			bool		 fresh;

			if (s->ecost[k] == 0)
				continue;
			fresh = s->lab[y].cost == UINT64_MAX;
			if (!fresh && s->pos[y] == SPF_NONE)
				continue;	/* settled: cannot improve */
			c.cost = lx->cost + s->ecost[k];
			c.hops = lx->hops + 1;
			c.nh = x == s->self ? y : lx->nh;
			c.nat = nat_path_fold(lx->nat, s->enat[k]);
			if (!fresh && !label_less(&c, &s->lab[y]))
				continue;
			s->lab[y] = c;
			if (fresh) {
				s->heap[s->hn] = y;
				heap_up(s, s->hn++);
			} else
				heap_up(s, s->pos[y]);
		}
	}
	return 0;

fail_release:
	spf_release(s);
	memset(s, 0, sizeof(*s));
	return -1;
}

static bool
spf_reached(const struct spf *s, size_t i)
{
	return i != s->self && s->lab[i].cost != UINT64_MAX;
}

static void
fill_path(const struct topo *t, const struct spf *s, size_t i,
    struct topo_path *p)
{
	const struct spf_label *l = &s->lab[i];

	memset(p, 0, sizeof(*p));
	memcpy(p->dest, t->v[i]->lsa.origin, sizeof(p->dest));
	memcpy(p->next_hop, t->v[l->nh]->lsa.origin, sizeof(p->next_hop));
	/* saturate: a uint8_t cannot say more (and PKT_PATH_MAX is 16) */
	p->hops = l->hops > UINT8_MAX ? UINT8_MAX : (uint8_t)l->hops;
	p->cost = l->cost > UINT32_MAX ? UINT32_MAX : (uint32_t)l->cost;
	p->path_nat = l->nat;
}

/* The paths of a finished run into a heap array (NULL if none). */
static int
paths_from_spf(const struct topo *t, const struct spf *s,
    struct topo_path **out, size_t *n)
{
	struct topo_path *v;
	size_t		 i, k = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < s->n; i++)
		if (spf_reached(s, i))
			k++;
	if (k == 0)
		return 0;
	if ((v = calloc(k, sizeof(*v))) == NULL)
		return -1;
	for (i = 0, k = 0; i < s->n; i++)
		if (spf_reached(s, i))
			fill_path(t, s, i, &v[k++]);
	*out = v;
	*n = k;
	return 0;
}

int
topo_spf(const struct topo *t, struct topo_path **out, size_t *n)
{
	struct spf	 s;
	int		 rc;

	*out = NULL;
	*n = 0;
	if (spf_run(t, &s) == -1)
		return -1;
	rc = paths_from_spf(t, &s, out, n);
	spf_release(&s);
	return rc;
}

/*
 * Table order: longest prefix first (route_lookup() takes the first match
 * of a table sorted so), then lower cost (so among equal prefixes the
 * cheapest claim, ours at cost 0 first, is the one found), then fewer hops,
 * then destination name, then address, which makes the order total.
 */
static int
cmp_route(const void *pa, const void *pb)
{
	const struct route *a = pa, *b = pb;
	uint32_t	 aa = ntohl(a->addr.s_addr), ba = ntohl(b->addr.s_addr);
	int		 c;

	if (a->plen != b->plen)
		return a->plen > b->plen ? -1 : 1;
	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	if (a->hops != b->hops)
		return a->hops < b->hops ? -1 : 1;
	if ((c = strcmp(a->dest, b->dest)) != 0)
		return c;
	if (aa != ba)
		return aa < ba ? -1 : 1;
	return 0;
}

/* cmp_route()'s order for IPv6 routes. */
static int
cmp_route6(const void *pa, const void *pb)
{
	const struct route6 *a = pa, *b = pb;
	int		 c;

	if (a->plen != b->plen)
		return a->plen > b->plen ? -1 : 1;
	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	if (a->hops != b->hops)
		return a->hops < b->hops ? -1 : 1;
	if ((c = strcmp(a->dest, b->dest)) != 0)
		return c;
	return memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

/*
 * The IPv6 prefixes of what routes_from_spf() routes, into rt->v6, in the
 * same order and with the same repeats dropped.  -1 (ENOMEM): rt->v6 as
 * it was.
 */
static int
routes6_from_spf(const struct topo *t, const struct spf *sp,
    struct route_table *rt)
{
	const struct spf s = *sp;
	struct route6	*v;
	size_t		 i, j, k, total = 0;

	for (i = 0; i < s.n; i++)
		if (i == s.self || spf_reached(&s, i))
			for (j = 0; j < t->v[i]->lsa.n_prefixes; j++)
				total += t->v[i]->lsa.prefixes[j].v6;
	if (total > rt->cap6) {
		if ((v = reallocarray(rt->v6, total, sizeof(*v))) == NULL)
			return -1;
		rt->v6 = v;
		rt->cap6 = total;
	}
	v = rt->v6;
	k = 0;
	for (i = 0; i < s.n; i++) {
		const struct pkt_lsa *lsa = &t->v[i]->lsa;
		struct topo_path p;
		bool		 own = i == s.self;

		if (!own && !spf_reached(&s, i))
			continue;
		if (!own)
			fill_path(t, &s, i, &p);
		for (j = 0; j < lsa->n_prefixes; j++) {
			const struct pkt_lsa_prefix *pp = &lsa->prefixes[j];
			struct route6	*r;
			struct ipaddr	 a;

			if (!pp->v6 || pp->plen > 128)
				continue;
			if (!own && topo_prefix_refused(t, i, (uint16_t)j) !=
			    TOPO_REFUSED_NO)
				continue;	/* refused: never routed */
			r = &v[k++];
			memset(r, 0, sizeof(*r));
			ipaddr_set6(&a, &pp->addr6);
			ipaddr_mask(&a, pp->plen);
			r->addr = a.u.v6;
			r->plen = pp->plen;
			memcpy(r->dest, lsa->origin, sizeof(r->dest));
			if (own)
				continue;
			memcpy(r->next_hop, p.next_hop, sizeof(r->next_hop));
			r->hops = p.hops;
			r->cost = p.cost;
			r->path_nat = p.path_nat;
		}
	}
	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_route6);
	for (i = 0, j = 0; i < k; i++) {
		if (j > 0 && v[j - 1].plen == v[i].plen &&
		    memcmp(&v[j - 1].addr, &v[i].addr, 16) == 0 &&
		    strcmp(v[j - 1].dest, v[i].dest) == 0)
			continue;
		if (j != i)
			v[j] = v[i];
		j++;
	}
	rt->n6 = j;
	return 0;
}

/*
 * One pass over the reachable origins' prefixes, one qsort, and a pass
 * dropping repeats: an origin that lists a prefix twice yields identical
 * neighbours in this order (same origin, same cost and hops).  The table
 * is touched only once its array is large enough, so on failure the
 * previous table is intact, except when its index cannot be built: then
 * the new table is complete but unindexed (lookups scan it).
 */
static int
routes_from_spf(const struct topo *t, const struct spf *sp,
    struct route_table *rt)
{
	const struct spf s = *sp;
	struct route	*v;
	size_t		 i, j, k, total = 0;

	for (i = 0; i < s.n; i++)
		if (i == s.self || spf_reached(&s, i))
			total += t->v[i]->lsa.n_prefixes;
	if (total > rt->cap) {
		if ((v = reallocarray(rt->v, total, sizeof(*v))) == NULL)
			return -1;
		rt->v = v;
		rt->cap = total;
	}
	v = rt->v;

	k = 0;
	for (i = 0; i < s.n; i++) {
		const struct pkt_lsa *lsa = &t->v[i]->lsa;
		struct topo_path p;
		bool		 own = i == s.self;

		if (!own && !spf_reached(&s, i))
			continue;
		if (!own)
			fill_path(t, &s, i, &p);
		for (j = 0; j < lsa->n_prefixes; j++) {
			const struct pkt_lsa_prefix *pp = &lsa->prefixes[j];
			struct route	*r;
			uint32_t	 m;

			if (pp->v6 || pp->plen > 32)
				continue;	/* IPv6 (below), or malformed */
			if (!own && topo_prefix_refused(t, i, (uint16_t)j) !=
			    TOPO_REFUSED_NO)
				continue;	/* refused: never routed */
			m = pp->plen ? UINT32_MAX << (32 - pp->plen) : 0;
			r = &v[k++];
			memset(r, 0, sizeof(*r));
			r->addr.s_addr = htonl(ntohl(pp->addr.s_addr) & m);
			r->plen = pp->plen;
			memcpy(r->dest, lsa->origin, sizeof(r->dest));
			if (own)
				continue;	/* hops 0, next_hop "", cost 0 */
			memcpy(r->next_hop, p.next_hop, sizeof(r->next_hop));
			r->hops = p.hops;
			r->cost = p.cost;
			r->path_nat = p.path_nat;
		}
	}

	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_route);
	for (i = 0, j = 0; i < k; i++) {
		if (j > 0 && v[j - 1].plen == v[i].plen &&
		    v[j - 1].addr.s_addr == v[i].addr.s_addr &&
		    strcmp(v[j - 1].dest, v[i].dest) == 0)
			continue;
		if (j != i)
			v[j] = v[i];
		j++;
	}
	rt->n = j;
	if (routes6_from_spf(t, sp, rt) == -1)
		return -1;
	return route_table_index(rt);
}

int
topo_routes(const struct topo *t, struct route_table *rt)
{
	struct spf	 s;
	int		 rc;

	if (spf_run(t, &s) == -1)
		return -1;
	rc = routes_from_spf(t, &s, rt);
	spf_release(&s);
	return rc;
}

int
topo_compute(const struct topo *t, struct route_table *rt,
    struct topo_path **paths, size_t *n)
{
	struct spf	 s;
	int		 rc;

	*paths = NULL;
	*n = 0;
	if (spf_run(t, &s) == -1)
		return -1;
	rc = routes_from_spf(t, &s, rt);
	if (rc == 0 && (rc = paths_from_spf(t, &s, paths, n)) == -1)
		rc = -1;
	spf_release(&s);
	return rc;
}
