/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for the forwarding table: routes
 * are added and deleted the way the network does it, as prefixes in the
 * advertisements of five proxies (us, "a", and "b" to "e") whose links and
 * costs also change, and lib/topo.c builds the table (topo_routes()).
 * Lookups (route_lookup(), route_is_local()), conflicts
 * (route_conflicts_find(), route_conflicts()) and the whole table are
 * compared with a brute-force reference kept here: every (prefix, origin)
 * of us and of the proxies we reach, the longest match, then the cheapest
 * path, then fewer hops, then the smaller name.
 *
 * Script: records of an op byte and its operands (big-endian):
 *   0 o:u8 addr:u32 plen:u8        proxy o also claims addr/plen (masked)
 *   1 o:u8 i:u8                    proxy o withdraws its i-th prefix
 *   2 x:u8 y:u8 cost:u16 nat:u8    x advertises its link to y (cost 0: none)
 *   3 addr:u32                     look addr up
 *   4 o:u8 i:u8 bits:u32           look up an address inside a claim
 *   5                              compare the table and its conflicts
 *                                  (at most CHECKS_MAX; one more at the end)
 */
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flags.h"
#include "nat.h"
#include "pkt.h"
#include "route.h"
#include "topo.h"

#define N		5		/* proxies; 0 is us */
#define NONE		UINT32_MAX
#define CHECKS_MAX	4	/* whole-table comparisons per input */
#define ROUTES_MAX	(N * PKT_LSA_PREFIX_MAX)
/* The reference is not what the fuzzer should explore: no coverage. */
#define REFERENCE	__attribute__((no_sanitize("coverage")))
#define PAIRS_MAX	256	/* conflicts asked for; 320 routes make 51,040 */

/* 5 x 64 claims take 2,240 bytes of script; room for lookups besides */
static const char *const flags[] = { "-max_len=16384", NULL };

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	return 0;
}

static const char *const names[N] = { "a", "b", "c", "d", "e" };

/* The model: what each proxy advertises. */
static struct {
	uint32_t	addr[PKT_LSA_PREFIX_MAX];	/* host order, masked */
	uint8_t		plen[PKT_LSA_PREFIX_MAX];
	unsigned	n;
	uint16_t	cost[N];	/* toward each proxy; 0: no link */
	uint8_t		nat[N];
	uint64_t	seq;
	bool		dirty;
} px[N];

/* The reference's paths from us. */
static struct {
	uint64_t	cost;		/* UINT64_MAX: unreached */
	uint32_t	hops;
	uint32_t	nh;
	uint8_t		nat;
} lab[N];

static struct route_table	rt;

struct cursor {
	const uint8_t	*p;
	size_t		 len;
};

static uint32_t
take(struct cursor *c, int bytes)
{
	uint32_t v = 0;

	while (bytes-- > 0) {
		v = v << 8 | (c->len > 0 ? c->p[0] : 0);
		if (c->len > 0) {
			c->p++;
			c->len--;
		}
	}
	return v;
}

static uint32_t
mask(unsigned plen)
{
	return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

/* Sends every changed advertisement to the database; rebuilds the table. */
static void
flood(struct topo *t, uint64_t now)
{
	static struct pkt_lsa	lsa;
	bool			any = false;

	for (int i = 0; i < N; i++) {
		if (!px[i].dirty)
			continue;
		memset(&lsa, 0, sizeof(lsa));
		strcpy(lsa.origin, names[i]);
		lsa.seq = ++px[i].seq;
		lsa.n_prefixes = (uint16_t)px[i].n;
		for (unsigned k = 0; k < px[i].n; k++) {
			lsa.prefixes[k].addr.s_addr = htonl(px[i].addr[k]);
			lsa.prefixes[k].plen = px[i].plen[k];
		}
		for (int j = 0; j < N; j++) {
			struct pkt_lsa_link *l = &lsa.links[lsa.n_links];

			if (px[i].cost[j] == 0)
				continue;
			strcpy(l->peer, names[j]);
			l->cost = px[i].cost[j];
			l->nat = px[i].nat[j];
			lsa.n_links++;
		}
		if (i == 0 ? topo_set_self(t, &lsa, now) != 0 :
		    topo_receive(t, &lsa, now) != TOPO_NEWER)
			abort();
		px[i].dirty = false;
		any = true;
	}
	if (any && topo_routes(t, &rt) != 0)
		abort();
}

/* Bellman-Ford over the model: two-way links at the larger cost. */
REFERENCE static void
reference(void)
{
	bool changed = true;

	for (int i = 0; i < N; i++)
		lab[i].cost = UINT64_MAX;
	lab[0].cost = 0;
	lab[0].hops = 0;
	lab[0].nh = NONE;
	lab[0].nat = NAT_TYPE_OPEN;
	while (changed) {
		changed = false;
		for (int x = 0; x < N; x++) {
			if (lab[x].cost == UINT64_MAX)
				continue;
			for (int y = 1; y < N; y++) {
				uint16_t cx = px[x].cost[y], cy = px[y].cost[x];
				uint64_t c;
				uint32_t h, nh;
				uint8_t nat;

				if (y == x || cx == 0 || cy == 0)
					continue;
				c = lab[x].cost + (cx > cy ? cx : cy);
				h = lab[x].hops + 1;
				nh = x == 0 ? (uint32_t)y : lab[x].nh;
				nat = px[x].nat[y] > px[y].nat[x] ?
				    px[x].nat[y] : px[y].nat[x];
				if (lab[x].nat > nat)
					nat = lab[x].nat;
				if (lab[y].cost != UINT64_MAX && (c > lab[y].cost ||
				    (c == lab[y].cost && (h > lab[y].hops ||
				    (h == lab[y].hops && (nh > lab[y].nh ||
				    (nh == lab[y].nh && nat >= lab[y].nat)))))))
					continue;
				lab[y].cost = c;
				lab[y].hops = h;
				lab[y].nh = nh;
				lab[y].nat = nat;
				changed = true;
			}
		}
	}
}

/* Whether the reference route (proxy i, claim k) is better than best. */
REFERENCE static bool
better(int i, unsigned k, int bi, unsigned bk)
{
	if (bi < 0)
		return true;
	if (px[i].plen[k] != px[bi].plen[bk])
		return px[i].plen[k] > px[bi].plen[bk];
	if (lab[i].cost != lab[bi].cost)
		return lab[i].cost < lab[bi].cost;
	if (lab[i].hops != lab[bi].hops)
		return lab[i].hops < lab[bi].hops;
	return i < bi;		/* names are in index order */
}

/* r's path fields are those of the reference's path to proxy i. */
REFERENCE static void
same_path(const struct route *r, int i)
{
	if (r->cost != (i == 0 ? 0 : lab[i].cost) ||
	    r->hops != (i == 0 ? 0 : lab[i].hops) ||
	    strcmp(r->next_hop, i == 0 ? "" : names[lab[i].nh]) != 0 ||
	    r->path_nat != (i == 0 ? 0 : lab[i].nat))
		abort();
}

/* r is the reference's route for claim k of proxy i. */
REFERENCE static void
same_route(const struct route *r, int i, unsigned k)
{
	if (ntohl(r->addr.s_addr) != px[i].addr[k] ||
	    r->plen != px[i].plen[k] || strcmp(r->dest, names[i]) != 0)
		abort();
	same_path(r, i);
}

REFERENCE static void
lookup(uint32_t dst)
{
	const struct route	*r;
	struct in_addr		 a = { htonl(dst) };
	int			 bi = -1;
	unsigned		 bk = 0;
	bool			 local = false;

	for (int i = 0; i < N; i++) {
		if (lab[i].cost == UINT64_MAX)
			continue;
		for (unsigned k = 0; k < px[i].n; k++) {
			if ((dst & mask(px[i].plen[k])) != px[i].addr[k])
				continue;
			local |= i == 0;
			if (better(i, k, bi, bk)) {
				bi = i;
				bk = k;
			}
		}
	}
	r = route_lookup(&rt, a);
	if ((r == NULL) != (bi < 0))
		abort();
	if (r != NULL)
		same_route(r, bi, bk);
	if (route_is_local(&rt, a) != local)
		abort();
}

REFERENCE static bool
overlap(const struct route *x, const struct route *y)
{
	uint32_t m = mask(x->plen < y->plen ? x->plen : y->plen);

	/* names are one letter */
	return x->dest[0] != y->dest[0] &&
	    (ntohl(x->addr.s_addr) & m) == (ntohl(y->addr.s_addr) & m);
}

/* By dest, prefix: the order of the model's claims. */
REFERENCE static int
by_claim(const void *pa, const void *pb)
{
	const struct route *a = pa, *b = pb;
	int c = strcmp(a->dest, b->dest);

	if (c != 0)
		return c;
	if (a->plen != b->plen)
		return a->plen < b->plen ? -1 : 1;
	if (a->addr.s_addr != b->addr.s_addr)
		return ntohl(a->addr.s_addr) < ntohl(b->addr.s_addr) ? -1 : 1;
	return 0;
}

/* The whole table against the model, then its conflicts. */
REFERENCE static void
compare_table(void)
{
	static struct route	a[PAIRS_MAX], b[PAIRS_MAX], sorted[ROUTES_MAX];
	static bool		any[ROUTES_MAX];
	size_t			want = 0, pairs = 0, got, i, j;
	char			buf[32], want_s[32];
	uint32_t		h;

	if (rt.n > ROUTES_MAX)
		abort();
	/* the table, by claim, is the model's claims, repeats merged */
	if (rt.n > 0)
		memcpy(sorted, rt.v, rt.n * sizeof(rt.v[0]));
	qsort(sorted, rt.n, sizeof(sorted[0]), by_claim);
	for (int o = 0; o < N; o++) {
		struct route	claim[PKT_LSA_PREFIX_MAX];
		unsigned	nc = 0;

		if (lab[o].cost == UINT64_MAX)
			continue;
		for (unsigned k = 0; k < px[o].n; k++) {
			memset(&claim[nc], 0, sizeof(claim[nc]));
			strcpy(claim[nc].dest, names[o]);
			claim[nc].plen = px[o].plen[k];
			claim[nc].addr.s_addr = htonl(px[o].addr[k]);
			nc++;
		}
		qsort(claim, nc, sizeof(claim[0]), by_claim);
		for (unsigned k = 0; k < nc; k++) {
			if (k > 0 && by_claim(&claim[k - 1], &claim[k]) == 0)
				continue;
			if (want >= rt.n || by_claim(&sorted[want], &claim[k]))
				abort();
			same_path(&sorted[want], o);
			want++;
		}
	}
	if (rt.n != want)
		abort();
	/* order, formatting, and every overlapping pair once */
	memset(any, 0, rt.n * sizeof(any[0]));
	for (i = 0; i < rt.n; i++) {
		if (i > 0 && (rt.v[i - 1].plen < rt.v[i].plen ||
		    (rt.v[i - 1].plen == rt.v[i].plen &&
		    rt.v[i - 1].cost > rt.v[i].cost)))
			abort();	/* longest first, then cheapest */
		for (j = i + 1; j < rt.n; j++)
			if (overlap(&rt.v[i], &rt.v[j])) {
				any[i] = any[j] = true;
				pairs++;
			}
		h = ntohl(rt.v[i].addr.s_addr);
		snprintf(want_s, sizeof(want_s), "%u.%u.%u.%u/%u", h >> 24,
		    h >> 16 & 0xff, h >> 8 & 0xff, h & 0xff, rt.v[i].plen);
		if (strcmp(route_prefix_str(&rt.v[i], buf, sizeof(buf)),
		    want_s) != 0)
			abort();
	}
	for (i = 0; i < rt.n; i++)
		if (route_conflicts(&rt, &rt.v[i]) != any[i])
			abort();
	got = route_conflicts_find(&rt, a, b, PAIRS_MAX);
	if (got != (pairs < PAIRS_MAX ? pairs : PAIRS_MAX))
		abort();
	for (i = 0; i < got; i++)
		if (!overlap(&a[i], &b[i]))
			abort();
	/* a short buffer stops early, never overruns */
	if (pairs > 0 && route_conflicts_find(&rt, a, b, 1) != 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct cursor	 c = { data, len };
	struct topo	*t;
	uint64_t	 now = 1000000000000ULL;
	unsigned	 o, k, plen;
	uint32_t	 addr;
	int		 checks = 0;

	memset(px, 0, sizeof(px));
	route_table_init(&rt);
	if ((t = topo_new(names[0])) == NULL)
		abort();
	/*
	 * Every update of the model reaches the table at the same 'now': the
	 * per-origin rate limit (checked by check_topo and fuzz_topo) would
	 * refuse the eleventh.  Here only the routes are under test, so the
	 * rate is taken out of the way; the other limits are the defaults
	 * and the model stays within them (N origins, PKT_LSA_*_MAX each).
	 */
	{
		struct topo_limits lim;

		topo_get_limits(t, &lim);
		lim.rate = 1000000;		/* one per microsecond */
		lim.burst = UINT32_MAX;
		topo_set_limits(t, &lim);
	}
	for (int i = 0; i < N; i++)
		px[i].dirty = true;
	flood(t, now);
	while (c.len > 0) {
		switch (take(&c, 1) % 6) {
		case 0:
			o = take(&c, 1) % N;
			addr = take(&c, 4);
			plen = take(&c, 1) % 33;
			if (px[o].n == PKT_LSA_PREFIX_MAX)
				break;
			px[o].addr[px[o].n] = addr & mask(plen);
			px[o].plen[px[o].n++] = (uint8_t)plen;
			px[o].dirty = true;
			break;
		case 1:
			o = take(&c, 1) % N;
			k = take(&c, 1);
			if (px[o].n == 0)
				break;
			k %= px[o].n;
			px[o].n--;
			memmove(&px[o].addr[k], &px[o].addr[k + 1],
			    (px[o].n - k) * sizeof(px[o].addr[0]));
			memmove(&px[o].plen[k], &px[o].plen[k + 1],
			    (px[o].n - k) * sizeof(px[o].plen[0]));
			px[o].dirty = true;
			break;
		case 2:
			o = take(&c, 1) % N;
			k = take(&c, 1) % N;
			px[o].cost[k] = (uint16_t)take(&c, 2);
			px[o].nat[k] = (uint8_t)(NAT_TYPE_OPEN +
			    take(&c, 1) % NAT_TYPE_UNKNOWN);
			if (o == k)
				px[o].cost[k] = 0;
			px[o].dirty = true;
			break;
		case 3:
			addr = take(&c, 4);
			flood(t, now);
			reference();
			lookup(addr);
			break;
		case 4:
			o = take(&c, 1) % N;
			k = take(&c, 1);
			addr = take(&c, 4);
			if (px[o].n == 0)
				break;
			k %= px[o].n;
			flood(t, now);
			reference();
			lookup(px[o].addr[k] | (addr & ~mask(px[o].plen[k])));
			break;
		case 5:
			if (checks++ >= CHECKS_MAX)
				break;
			flood(t, now);
			reference();
			compare_table();
			break;
		}
	}
	flood(t, now);
	reference();
	compare_table();
	route_table_release(&rt);
	topo_free(t);
	return 0;
}
