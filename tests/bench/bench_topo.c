/* SPDX-License-Identifier: ISC */
/*
 * Benchmark for lib/topo.c: builds deterministic synthetic topologies
 * (each proxy with 2 prefixes and about 4 random two-way links), times
 * flooding every advertisement into a fresh database, SPF and the route
 * table, and reports resident memory per stored proxy; then the cost of
 * signing and verifying one advertisement (lib/lsasig.c, ECDSA P-256 and
 * Ed25519): sign, verify with the origin's chain check cached (the usual
 * case: a repeat or refresh of a known origin) and verify on first sight
 * (chain check included).  Prints numbers only; it never judges them.
 * Usage: bench_topo [repetitions]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lsasig.h"
#include "nat.h"
#include "route.h"
#include "testpki.h"
#include "topo.h"

#define NOW_US	(1000ULL * 1000000)

static uint64_t	rng_state;

/* xorshift64*: seeded per topology, so every run builds the same graphs. */
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

/* Resident set size in bytes, from /proc/self/statm; 0 if unreadable. */
static long
rss_bytes(void)
{
	FILE	*f = fopen("/proc/self/statm", "r");
	long	 size, rss;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * sysconf(_SC_PAGESIZE);
}

static bool
linked(const struct pkt_lsa *a, const char *b)
{
	uint16_t	i;

	for (i = 0; i < a->n_links; i++)
		if (strcmp(a->links[i].peer, b) == 0)
			return true;
	return false;
}

static void
link2(struct pkt_lsa *a, struct pkt_lsa *b)
{
	struct pkt_lsa_link *la = &a->links[a->n_links++];
	struct pkt_lsa_link *lb = &b->links[b->n_links++];

	strcpy(la->peer, b->origin);
	strcpy(lb->peer, a->origin);
	la->nat = (enum nat_type)(NAT_TYPE_OPEN + rng() % NAT_TYPE_UNKNOWN);
	lb->nat = (enum nat_type)(NAT_TYPE_OPEN + rng() % NAT_TYPE_UNKNOWN);
	la->cost = (uint16_t)(1 + rng() % 100);
	lb->cost = (uint16_t)(1 + rng() % 100);
}

/*
 * n proxies: proxy 0 is us.  Each proxy i > 0 links to a random earlier one
 * (so the graph is connected), then random pairs are linked until there
 * are 2n links, i.e. an average of about 4 per proxy.
 */
static struct pkt_lsa *
build(size_t n, size_t *nlinks)
{
	struct pkt_lsa	*v = calloc(n, sizeof(*v));
	size_t		 i, links = 0, tries = 0;

	if (v == NULL)
		return NULL;
	rng_state = 0x2545f4914f6cdd1dULL ^ n;
	for (i = 0; i < n; i++) {
		struct pkt_lsa	*l = &v[i];

		snprintf(l->origin, sizeof(l->origin), "proxy-%05zu", i);
		l->seq = 1;
		l->n_prefixes = 2;
		l->prefixes[0].plen = 24;
		l->prefixes[0].addr.s_addr = htonl(0x0a000000U |
		    (uint32_t)i << 8);
		l->prefixes[1].plen = 28;
		l->prefixes[1].addr.s_addr = htonl(0x0b000000U |
		    (uint32_t)i << 8);
	}
	for (i = 1; i < n; i++) {
		link2(&v[i], &v[rng() % i]);
		links++;
	}
	while (links < 2 * n && tries++ < 100 * n) {
		size_t	a = rng() % n, b = rng() % n;

		if (a == b || linked(&v[a], v[b].origin) ||
		    v[a].n_links >= PKT_LSA_LINK_MAX ||
		    v[b].n_links >= PKT_LSA_LINK_MAX)
			continue;
		link2(&v[a], &v[b]);
		links++;
	}
	*nlinks = links;
	return v;
}

/* A fresh database holding all of v (what fits).  NULL on ENOMEM. */
static struct topo *
load(const struct pkt_lsa *v, size_t n, size_t *stored)
{
	struct topo	*t = topo_new(v[0].origin);
	size_t		 i;

	if (t == NULL || topo_set_self(t, &v[0], NOW_US) == -1) {
		topo_free(t);
		return NULL;
	}
	for (i = 1; i < n; i++)
		(void)topo_receive(t, &v[i], NOW_US);
	*stored = topo_count(t);
	return t;
}

static int
cmp_u64(const void *pa, const void *pb)
{
	uint64_t	a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return a < b ? -1 : a > b;
}

struct stat2 {
	double	median_us;
	double	min_us;
};

static struct stat2
summarise(uint64_t *ns, int reps)
{
	struct stat2	s;

	qsort(ns, (size_t)reps, sizeof(*ns), cmp_u64);
	s.min_us = ns[0] / 1e3;
	s.median_us = reps % 2 ? ns[reps / 2] / 1e3 :
	    (ns[reps / 2 - 1] + ns[reps / 2]) / 2e3;
	return s;
}

static int
bench(size_t n, int reps, long *mem_per_proxy)
{
	struct pkt_lsa	*v;
	uint64_t	*trx, *tspf, *trt;
	struct stat2	 srx, sspf, srt;
	struct route_table rt;
	size_t		 links, stored = 0, npaths = 0;
	long		 before, after;
	int		 r;

	if ((v = build(n, &links)) == NULL)
		return -1;
	trx = calloc((size_t)reps, sizeof(*trx));
	tspf = calloc((size_t)reps, sizeof(*tspf));
	trt = calloc((size_t)reps, sizeof(*trt));
	if (trx == NULL || tspf == NULL || trt == NULL)
		goto fail;
	route_table_init(&rt);

	for (r = 0; r < reps; r++) {
		struct topo	 *t;
		struct topo_path *paths;
		uint64_t	  t0;

		before = rss_bytes();
		t0 = now_ns();
		if ((t = load(v, n, &stored)) == NULL)
			goto fail;
		trx[r] = now_ns() - t0;
		if (r == 0) {
			after = rss_bytes();
			*mem_per_proxy = (after - before) / (long)stored;
		}

		t0 = now_ns();
		if (topo_spf(t, &paths, &npaths) == -1) {
			topo_free(t);
			goto fail;
		}
		tspf[r] = now_ns() - t0;
		free(paths);

		t0 = now_ns();
		if (topo_routes(t, &rt) == -1) {
			topo_free(t);
			goto fail;
		}
		trt[r] = now_ns() - t0;
		topo_free(t);
	}
	srx = summarise(trx, reps);
	sspf = summarise(tspf, reps);
	srt = summarise(trt, reps);
	printf("| %5zu | %5zu | %5zu | %6zu | %10.0f | %10.0f | %8.0f | "
	    "%8.0f | %8.0f | %8.0f | %6ld |\n", n, stored, npaths + 1,
	    links, srx.median_us, srx.min_us, sspf.median_us, sspf.min_us,
	    srt.median_us, srt.min_us, *mem_per_proxy);
	route_table_release(&rt);
	free(trx);
	free(tspf);
	free(trt);
	free(v);
	return 0;

fail:
	free(trx);
	free(tspf);
	free(trt);
	free(v);
	return -1;
}

#define SIG_N	1000		/* operations per measurement */

/* Median of SIG_N samples in microseconds. */
static double
median_us(uint64_t *ns)
{
	qsort(ns, SIG_N, sizeof(*ns), cmp_u64);
	return (double)ns[SIG_N / 2] / 1000.0;
}

/*
 * One typical advertisement (2 prefixes, 4 links, the usual 10-char
 * name), SIG_N times each: sign with a fresh seq; verify it with the
 * chain cached; verify as a new origin each time (cache flushed).
 */
static int
bench_sig(bool ed25519)
{
	static uint64_t		 ns[SIG_N];
	static struct pkt_lsa	 l;
	struct lsasig_key	*k = testpki_key("proxy-00001", "IPv4:10.0.0.0/8",
	    ed25519);
	struct lsasig_verifier	*v = testpki_verifier(true);
	double			 sign, warm, cold;
	uint64_t		 refused, t;
	bool			 nb;
	size_t			 i;

	memset(&l, 0, sizeof(l));
	strcpy(l.origin, "proxy-00001");
	l.n_prefixes = 2;
	l.prefixes[0].plen = 24;
	l.prefixes[0].addr.s_addr = htonl(0x0a010000);
	l.prefixes[1].plen = 24;
	l.prefixes[1].addr.s_addr = htonl(0x0a020000);
	for (i = 0; i < 4; i++) {
		snprintf(l.links[i].peer, sizeof(l.links[i].peer),
		    "proxy-%05zu", i + 2);
		l.links[i].nat = NAT_TYPE_FULL_CONE;
		l.links[i].cost = 10;
	}
	l.n_links = 4;
	for (i = 0; i < SIG_N; i++) {
		l.seq = i + 1;
		t = now_ns();
		if (lsasig_sign(k, &l) != 0)
			return -1;
		ns[i] = now_ns() - t;
	}
	sign = median_us(ns);
	for (i = 0; i < SIG_N; i++) {
		t = now_ns();
		if (lsasig_verify(v, &l, time(NULL), &refused, &nb) !=
		    LSASIG_OK)
			return -1;
		ns[i] = now_ns() - t;
	}
	warm = median_us(ns);
	for (i = 0; i < SIG_N; i++) {
		lsasig_verifier_flush(v);
		t = now_ns();
		if (lsasig_verify(v, &l, time(NULL), &refused, &nb) !=
		    LSASIG_OK)
			return -1;
		ns[i] = now_ns() - t;
	}
	cold = median_us(ns);
	printf("| %s | %u | %u | %.1f | %.1f | %.1f |\n", ed25519 ?
	    "Ed25519" : "ECDSA P-256", l.cert_len, l.sig_len, sign, warm,
	    cold);
	lsasig_verifier_free(v);
	return 0;
}

int
main(int argc, char *argv[])
{
	const size_t	 sizes[] = { 100, 1000, 5000 };
	long		 mem = 0;
	int		 reps = 7;
	size_t		 i;

	if (argc > 1 && (reps = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: bench_topo [repetitions]\n");
		return 1;
	}
	printf("topo benchmark, %d repetitions, times in microseconds\n\n",
	    reps);
	printf("| nodes | stored | reached | links | receive-all median | "
	    "receive-all min | spf median | spf min | routes median | "
	    "routes min | RSS B/proxy |\n");
	printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (bench(sizes[i], reps, &mem) == -1) {
			fprintf(stderr, "bench_topo: out of memory at %zu\n",
			    sizes[i]);
			return 1;
		}
	}
	printf("\nmemory per proxy: %ld bytes\n", mem);
	printf("sizeof(struct pkt_lsa): %zu bytes\n", sizeof(struct pkt_lsa));

	printf("\nsignatures per advertisement, medians of %d, microseconds\n\n",
	    SIG_N);
	printf("| key | cert bytes | sig bytes | sign | verify (chain cached) "
	    "| verify (first sight: chain + signature) |\n");
	printf("|---|---:|---:|---:|---:|---:|\n");
	if (bench_sig(false) == -1 || bench_sig(true) == -1) {
		fprintf(stderr, "bench_topo: signing failed\n");
		return 1;
	}
	return 0;
}
