/* SPDX-License-Identifier: ISC */
/*
 * Benchmark for lib/route.c: builds deterministic synthetic forwarding
 * tables of 100, 10,000 and 100,000 routes (64 prefixes per origin, mostly
 * /24s, some shorter and longer, half in the private ranges, a tenth of
 * them claimed by a second origin too; sorted as topo_routes() does) and
 * times, each as the median of several runs: building the index
 * (route_table_index()), route_lookup() through it, the linear scan
 * route_lookup() was before (kept here, measured in the same run), the
 * conflict search (route_conflicts_find() for proxyd's 8 pairs and the
 * per-route flag of every route) and, up to 10,000 routes, the all-pairs
 * conflict search it replaced.  Lookups go half to addresses inside the
 * table's prefixes, half anywhere; the two lookups must agree on every
 * one.  Prints numbers only; it never judges them.
 * Usage: bench_route [runs]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "route.h"

#define PER_ORIGIN	64
#define LOOKUPS		(1U << 20)

static uint64_t	rng_state;

/* xorshift64*: seeded per table, so every run builds the same tables. */
static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

static uint64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint32_t
mask(unsigned plen)
{
	return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

static int
cmp_double(const void *pa, const void *pb)
{
	double	a = *(const double *)pa, b = *(const double *)pb;

	return a < b ? -1 : a > b;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* topo_routes()'s order: longest prefix, cheapest, fewer hops, name. */
static int
cmp_topo(const void *pa, const void *pb)
{
	const struct route *a = pa, *b = pb;
	int	c;

	if (a->plen != b->plen)
		return a->plen > b->plen ? -1 : 1;
	if (a->cost != b->cost)
		return a->cost < b->cost ? -1 : 1;
	if (a->hops != b->hops)
		return a->hops < b->hops ? -1 : 1;
	if ((c = strcmp(a->dest, b->dest)) != 0)
		return c;
	return ntohl(a->addr.s_addr) < ntohl(b->addr.s_addr) ? -1 :
	    ntohl(a->addr.s_addr) > ntohl(b->addr.s_addr);
}

static unsigned
rand_plen(void)
{
	uint32_t r = rng() % 100;

	if (r < 60)
		return 24;
	if (r < 75)
		return 16 + rng() % 8;
	if (r < 90)
		return 25 + rng() % 8;
	return 8 + rng() % 8;
}

static uint32_t
rand_addr(void)
{
	switch (rng() % 6) {
	case 0:
		return 0x0a000000 | (rng() & 0x00ffffff);	/* 10/8 */
	case 1:
		return 0xac100000 | (rng() & 0x000fffff);	/* 172.16/12 */
	case 2:
		return 0xc0a80000 | (rng() & 0x0000ffff);	/* 192.168/16 */
	default:
		return rng();
	}
}

/* n routes from n / 64 origins, in table order; own prefixes are p0's. */
static void
make_table(struct route_table *t, size_t n, uint64_t seed)
{
	rng_state = seed;
	route_table_init(t);
	if ((t->v = calloc(n, sizeof(*t->v))) == NULL) {
		perror("calloc");
		exit(1);
	}
	t->cap = n;
	for (size_t i = 0; i < n; i++) {
		struct route	*r = &t->v[i];
		size_t		 o = i / PER_ORIGIN;
		unsigned	 plen;

		if (i > 0 && rng() % 10 == 0) {	/* a second claim */
			*r = t->v[rng() % i];
			o = (o + 1 + rng() % 7) % (n / PER_ORIGIN + 1);
		} else {
			plen = rand_plen();
			r->addr.s_addr = htonl(rand_addr() & mask(plen));
			r->plen = (uint8_t)plen;
		}
		snprintf(r->dest, sizeof(r->dest), "p%zu", o);
		if (o == 0) {
			r->hops = 0;
			r->cost = 0;
			r->next_hop[0] = '\0';
		} else {
			r->hops = (uint8_t)(1 + o % 5);
			r->cost = (uint32_t)(10 * r->hops + o % 7);
			snprintf(r->next_hop, sizeof(r->next_hop), "p%zu",
			    1 + o % 4);
		}
	}
	t->n = n;
	qsort(t->v, n, sizeof(*t->v), cmp_topo);
}

/* route_lookup() as it was: a scan of the table sorted longest first. */
static const struct route *
scan_lookup(const struct route_table *t, struct in_addr dst)
{
	for (size_t i = 0; i < t->n; i++)
		if ((ntohl(dst.s_addr) & mask(t->v[i].plen)) ==
		    ntohl(t->v[i].addr.s_addr))
			return &t->v[i];
	return NULL;
}

/* route_conflicts_find() as it was: every pair. */
static size_t
scan_conflicts(const struct route_table *t, size_t max)
{
	size_t	n = 0;

	for (size_t i = 0; i < t->n && n < max; i++)
		for (size_t j = i + 1; j < t->n && n < max; j++) {
			const struct route *x = &t->v[i], *y = &t->v[j];
			uint32_t m = mask(x->plen < y->plen ? x->plen : y->plen);

			if (strcmp(x->dest, y->dest) != 0 &&
			    (ntohl(x->addr.s_addr) & m) ==
			    (ntohl(y->addr.s_addr) & m))
				n++;
		}
	return n;
}

/* route_conflicts() as it was, for every route of the table. */
static size_t
scan_flags(const struct route_table *t)
{
	size_t	n = 0;

	for (size_t i = 0; i < t->n; i++)
		for (size_t j = 0; j < t->n; j++) {
			const struct route *x = &t->v[i], *y = &t->v[j];
			uint32_t m = mask(x->plen < y->plen ? x->plen : y->plen);

			if (strcmp(x->dest, y->dest) != 0 &&
			    (ntohl(x->addr.s_addr) & m) ==
			    (ntohl(y->addr.s_addr) & m)) {
				n++;
				break;
			}
		}
	return n;
}

static struct conf_row {
	size_t	n;
	double	pairs8, full, full_old, flags, flags_old;
	size_t	flagged;
}		 conf_rows[3];
static size_t	 n_conf_rows;

static void
bench(size_t n, int runs)
{
	struct route_table	 t;
	struct in_addr		*dst;
	struct route		 a[8], b[8];
	double			 build[runs], trie[runs], scan[runs];
	double			 p8[runs], full[runs], flags[runs];
	size_t			 n_scan, pairs = 0, flagged = 0, bytes;
	uintptr_t		 sum = 0;
	uint64_t		 t0;
	struct conf_row		*row = &conf_rows[n_conf_rows++];

	make_table(&t, n, 0x5eed0000 + n);
	if ((dst = calloc(LOOKUPS, sizeof(*dst))) == NULL) {
		perror("calloc");
		exit(1);
	}
	for (size_t i = 0; i < LOOKUPS; i++) {
		uint32_t d = rng();

		if (i % 2 == 0) {
			const struct route *r = &t.v[rng() % n];

			d = ntohl(r->addr.s_addr) | (d & ~mask(r->plen));
		}
		dst[i].s_addr = htonl(d);
	}
	/* the scan: as many lookups as take about 0.2 s */
	n_scan = 200000000 / n;
	n_scan = n_scan < 1000 ? 1000 : n_scan > LOOKUPS ? LOOKUPS : n_scan;

	for (int k = 0; k < runs; k++) {
		t0 = now_ns();
		if (route_table_index(&t) == -1) {
			perror("route_table_index");
			exit(1);
		}
		build[k] = (double)(now_ns() - t0);

		t0 = now_ns();
		for (size_t i = 0; i < LOOKUPS; i++)
			sum += (uintptr_t)route_lookup(&t, dst[i]);
		trie[k] = (double)(now_ns() - t0) / LOOKUPS;

		t0 = now_ns();
		for (size_t i = 0; i < n_scan; i++)
			sum += (uintptr_t)scan_lookup(&t, dst[i]);
		scan[k] = (double)(now_ns() - t0) / (double)n_scan;

		t0 = now_ns();
		pairs = route_conflicts_find(&t, a, b, 8);
		p8[k] = (double)(now_ns() - t0);

		t0 = now_ns();
		flagged = 0;
		for (size_t i = 0; i < t.n; i++)
			flagged += route_conflicts(&t, &t.v[i]);
		flags[k] = (double)(now_ns() - t0);
	}
	for (size_t i = 0; i < n_scan; i++)
		if (route_lookup(&t, dst[i]) != scan_lookup(&t, dst[i])) {
			fprintf(stderr, "lookup %zu: the index and the scan "
			    "disagree\n", i);
			exit(1);
		}
	bytes = route_table_mem(&t) - t.cap * sizeof(*t.v);
	printf("| %zu | %.2f | %.0f | %.1f | %.0f | %.0f | %.0fx |\n", n,
	    median(build, runs) / 1e6, (double)bytes / 1024,
	    (double)bytes / (double)n, median(trie, runs), median(scan, runs),
	    median(scan, runs) / median(trie, runs));
	fflush(stdout);

	row->n = n;
	row->pairs8 = median(p8, runs) / 1e6;
	row->flags = median(flags, runs) / 1e6;
	row->flagged = flagged;
	row->full_old = row->flags_old = -1;
	if (n <= 10000) {
		t0 = now_ns();
		if (scan_flags(&t) != flagged || (pairs < 8 &&
		    scan_conflicts(&t, 8) != pairs)) {
			fprintf(stderr, "conflicts: the index and the scan "
			    "disagree\n");
			exit(1);
		}
		row->flags_old = (double)(now_ns() - t0) / 1e6;
	}
	/* one origin for all: no conflict, so both searches see every pair */
	for (size_t i = 0; i < t.n; i++)
		strcpy(t.v[i].dest, "p1");
	if (route_table_index(&t) == -1) {
		perror("route_table_index");
		exit(1);
	}
	for (int k = 0; k < runs; k++) {
		t0 = now_ns();
		if (route_conflicts_find(&t, a, b, 8) != 0)
			exit(1);
		full[k] = (double)(now_ns() - t0);
	}
	row->full = median(full, runs) / 1e6;
	if (n <= 10000) {
		t0 = now_ns();
		if (scan_conflicts(&t, 8) != 0)
			exit(1);
		row->full_old = (double)(now_ns() - t0) / 1e6;
	}
	if (sum == 1)
		printf("\n");	/* keeps the lookups from being optimized away */
	free(dst);
	route_table_release(&t);
}

static void
print_old(double ms)
{
	if (ms < 0)
		printf(" (skipped) |");
	else
		printf(" %.1f |", ms);
}

/*
 * IPv6: n routes, 64 per origin under a few /32s (/48s mostly, some /56,
 * /64 and /40 claims, a tenth claimed twice), sorted longest first as
 * topo_routes() does; build, route_lookup6() through the index and
 * unindexed (the scan it was before); both must agree.
 */
static int
cmp6(const void *x, const void *y)
{
	const struct route6 *a = x, *b = y;

	return a->plen == b->plen ? 0 : a->plen > b->plen ? -1 : 1;
}

static void
bench6(size_t n, int runs)
{
	static const uint8_t plens[] = { 48, 48, 48, 48, 48, 56, 56, 64, 40 };
	struct route_table	 t, u;
	struct in6_addr		*dst;
	double			 build[runs], hash[runs], scan[runs];
	size_t			 n_scan;
	uintptr_t		 sum = 0;
	uint64_t		 t0;

	route_table_init(&t);
	rng_state = 0x6eed0000 + n;
	if ((t.v6 = calloc(n, sizeof(*t.v6))) == NULL ||
	    (dst = calloc(LOOKUPS, sizeof(*dst))) == NULL) {
		perror("calloc");
		exit(1);
	}
	t.cap6 = n;
	for (size_t i = 0; i < n; i++) {
		struct route6	*r = &t.v6[i];
		uint32_t	 o = (uint32_t)(i / PER_ORIGIN);
		unsigned	 plen = plens[rng() % sizeof(plens)];

		r->addr.s6_addr[0] = 0x20;
		r->addr.s6_addr[1] = 0x01;
		r->addr.s6_addr[2] = 0x0d;
		r->addr.s6_addr[3] = (uint8_t)(0xb8 + rng() % 4);
		for (unsigned k = 4; k < 8; k++)
			r->addr.s6_addr[k] = (uint8_t)rng();
		for (unsigned k = plen / 8; k < 16; k++)
			r->addr.s6_addr[k] = 0;
		if (i % 10 == 0 && i > 0)	/* claimed twice */
			r->addr = t.v6[i - 1].addr, plen = t.v6[i - 1].plen;
		r->plen = (uint8_t)plen;
		snprintf(r->dest, sizeof(r->dest), "p%u", o);
		snprintf(r->next_hop, sizeof(r->next_hop), "p%u", o % 7);
		r->hops = 1;
	}
	t.n6 = n;
	qsort(t.v6, n, sizeof(*t.v6), cmp6);
	for (size_t i = 0; i < LOOKUPS; i++) {
		for (unsigned k = 0; k < 16; k++)
			dst[i].s6_addr[k] = (uint8_t)rng();
		if (i % 2 == 0) {
			const struct route6 *r = &t.v6[rng() % n];

			memcpy(dst[i].s6_addr, r->addr.s6_addr, r->plen / 8);
		}
	}
	n_scan = 200000000 / n;
	n_scan = n_scan < 1000 ? 1000 : n_scan > LOOKUPS ? LOOKUPS : n_scan;
	for (int k = 0; k < runs; k++) {
		t0 = now_ns();
		if (route_table_index6(&t) == -1) {
			perror("route_table_index6");
			exit(1);
		}
		build[k] = (double)(now_ns() - t0);
		t0 = now_ns();
		for (size_t i = 0; i < LOOKUPS; i++)
			sum += (uintptr_t)route_lookup6(&t, &dst[i]);
		hash[k] = (double)(now_ns() - t0) / LOOKUPS;
		u = t;		/* the same array, no index: scanned */
		u.idx6 = NULL;
		t0 = now_ns();
		for (size_t i = 0; i < n_scan; i++)
			sum += (uintptr_t)route_lookup6(&u, &dst[i]);
		scan[k] = (double)(now_ns() - t0) / (double)n_scan;
	}
	u = t;
	u.idx6 = NULL;
	for (size_t i = 0; i < n_scan; i++)
		if (route_lookup6(&t, &dst[i]) != route_lookup6(&u, &dst[i])) {
			fprintf(stderr, "IPv6 lookup %zu: the index and the "
			    "scan disagree\n", i);
			exit(1);
		}
	printf("| %zu | %.2f | %.0f | %.1f | %.0f | %.0f | %.0fx |\n", n,
	    median(build, runs) / 1e6, (double)route_table_mem6(&t) / 1024,
	    (double)route_table_mem6(&t) / (double)n, median(hash, runs),
	    median(scan, runs), median(scan, runs) / median(hash, runs));
	if (sum == 1)
		printf("\n");
	free(dst);
	route_table_release(&t);
}

int
main(int argc, char *argv[])
{
	static const size_t sizes[] = { 100, 10000, 100000 };
	int	runs = 7;

	if (argc > 1 && (runs = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: bench_route [runs]\n");
		return 2;
	}
	printf("route table: medians of %d runs; %u lookups per run through "
	    "the index, as many as take 0.2 s by scan; %zu bytes per route "
	    "in the table itself\n\n", runs, LOOKUPS, sizeof(struct route));
	printf("| routes | index build ms | index KB | index B/route | "
	    "lookup ns, trie | lookup ns, old scan | trie vs scan |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		bench(sizes[i], runs);

	printf("\nconflicts, ms (old: the all-pairs scans, once, up to "
	    "10,000 routes)\n\n");
	printf("| routes | first 8 pairs | no conflict (full pass) | "
	    "old, no conflict | flag of every route | old, flag of every "
	    "route | routes flagged |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < n_conf_rows; i++) {
		printf("| %zu | %.3f | %.3f |", conf_rows[i].n,
		    conf_rows[i].pairs8, conf_rows[i].full);
		print_old(conf_rows[i].full_old);
		printf(" %.2f |", conf_rows[i].flags);
		print_old(conf_rows[i].flags_old);
		printf(" %zu |\n", conf_rows[i].flagged);
	}
	printf("\nIPv6 routes (route6.c's index: a probe per prefix length)"
	    "\n\n| routes | index build ms | index KB | index B/route | "
	    "lookup ns, index | lookup ns, scan | index vs scan |\n");
	printf("|---|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		bench6(sizes[i], runs);
	return 0;
}
