/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for topology input (lib/topo.c):
 * the input is a script of advertisements as they come off the wire
 * (pkt_msg_decode() of an LSA body), our own advertisement, clock steps,
 * expiry, flooding echoes and checks.  A check runs topo_spf() and
 * topo_routes() and compares them with a Bellman-Ford over the database as
 * topo_at() shows it: same reachable set, and for each proxy the same
 * cost, hops, next hop and path NAT under the documented tie-breaking; the
 * forwarding table holds exactly one route per (prefix, origin) of every
 * reachable origin, in table order.  Verdicts must match what is stored.
 *
 * Script: records of an op byte and its operands (big-endian):
 *   0-2 len:u16 body   an advertisement from a neighbour
 *   3   len:u16 body   our own (origin forced to "a", next seq)
 *   4   s:u16          the clock moves s seconds
 *   5                  topo_expire()
 *   6                  check (at most CHECKS_MAX; one more at the end)
 *   7   i:u8           the i-th stored advertisement is flooded back
 *   8   k:u8 len:u16 body  the body signed by a test proxy (testpki.c):
 *                      k picks its name and certificate blocks; it must
 *                      verify, and its refused prefixes must be exactly
 *                      those outside the blocks; then it is received
 *   9   k:u8 len:u16 body  the same, with one bit of the signature or of a
 *                      signed field flipped: it must not verify
 *
 * Ops 0-2 also run the signature check on what arrives (a fuzzer cannot
 * forge a signature: it must not verify, and must not crash), then hand
 * it to the database as if it had, so the database logic is fuzzed past
 * the check; ops 8-9 exercise the check itself with real keys.
 */
#include <arpa/inet.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flags.h"
#include "lsasig.h"
#include "nat.h"
#include "pkt.h"
#include "route.h"
#include "testpki.h"
#include "topo.h"

#define SELF		"a"
#define CHECKS_MAX	16
#define REF_NODES_MAX	512	/* the reference is O(V E) per round */
#define NONE		UINT32_MAX
/* The reference is not what the fuzzer should explore: no coverage. */
#define REFERENCE	__attribute__((no_sanitize("coverage")))

/*
 * A full advertisement is 4,694 bytes on the wire (63-byte names, 64
 * prefixes, 64 links): 64 KiB holds a script of 13 of them, or hundreds
 * of small ones.
 */
static const char *const flags[] = { "-max_len=65536", NULL };

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	return 0;
}

struct cursor {
	const uint8_t	*p;
	size_t		 len;
};

static unsigned
take_u8(struct cursor *c)
{
	unsigned v;

	if (c->len == 0)
		return 0;
	v = c->p[0];
	c->p++;
	c->len--;
	return v;
}

static unsigned
take_u16(struct cursor *c)
{
	unsigned hi = take_u8(c);

	return hi << 8 | take_u8(c);
}

/* An LSA body of up to len bytes decoded as the peer protocol would. */
static bool
take_lsa(struct cursor *c, struct pkt_msg *m)
{
	static uint8_t	 buf[1 + 65536];
	size_t		 n = take_u16(c);
	const char	*why = NULL;

	if (n > c->len)
		n = c->len;
	buf[0] = PKT_MSG_LSA;
	memcpy(buf + 1, c->p, n);
	c->p += n;
	c->len -= n;
	if (pkt_msg_decode(buf, n + 1, m, &why) != 0) {
		if (why == NULL)
			abort();
		return false;
	}
	if (m->type != PKT_MSG_LSA)
		abort();
	return true;
}

/* The reference: labels as topo.c documents them. */
struct label {
	uint64_t	cost;		/* UINT64_MAX: unreached */
	uint32_t	hops;
	uint32_t	nh;		/* node index (= name order) */
	uint8_t		nat;
};

REFERENCE static bool
label_less(const struct label *a, const struct label *b)
{
	if (a->cost != b->cost)
		return a->cost < b->cost;
	if (a->hops != b->hops)
		return a->hops < b->hops;
	if (a->nh != b->nh)
		return a->nh < b->nh;
	return a->nat < b->nat;
}

REFERENCE static uint8_t
nat_worse(unsigned a, unsigned b)
{
	if (a < NAT_TYPE_OPEN || a > NAT_TYPE_UNKNOWN)
		a = NAT_TYPE_UNKNOWN;
	if (b < NAT_TYPE_OPEN || b > NAT_TYPE_UNKNOWN)
		b = NAT_TYPE_UNKNOWN;
	return (uint8_t)(a > b ? a : b);
}

static const struct pkt_lsa	*node[4097];
static struct label		 lab[4097];
static size_t			 nnodes;

REFERENCE static uint32_t
node_find(const char *name)
{
	size_t lo = 0, hi = nnodes;

	while (lo < hi) {
		size_t	mid = lo + (hi - lo) / 2;
		int	c = strcmp(node[mid]->origin, name);

		if (c == 0)
			return (uint32_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

/* The link x-y as both ends advertise it: cost (0: not two-way), NAT. */
REFERENCE static uint32_t
edge(uint32_t x, const struct pkt_lsa_link *xy, uint32_t *y, uint8_t *nat)
{
	const struct pkt_lsa	*ly;
	uint16_t		 k;

	if ((*y = node_find(xy->peer)) == NONE || *y == x)
		return 0;
	ly = node[*y];
	for (k = 0; k < ly->n_links; k++)
		if (strcmp(ly->links[k].peer, node[x]->origin) == 0)
			break;
	if (k == ly->n_links)
		return 0;
	*nat = nat_worse(xy->nat, ly->links[k].nat);
	return xy->cost > ly->links[k].cost ? xy->cost : ly->links[k].cost;
}

REFERENCE static bool
adjacent(uint32_t x, uint32_t y)
{
	uint32_t	z;
	uint8_t		nat;

	for (uint16_t k = 0; k < node[x]->n_links; k++)
		if (edge(x, &node[x]->links[k], &z, &nat) != 0 && z == y)
			return true;
	return false;
}

/* Bellman-Ford from self; returns self's node or NONE. */
REFERENCE static uint32_t
reference(const struct topo *t, uint64_t now)
{
	uint32_t	self, x, y;
	bool		changed = true;
	size_t		i, round;

	for (nnodes = 0; (node[nnodes] = topo_at(t, nnodes, now, NULL)) !=
	    NULL; nnodes++)
		if (nnodes > 0 && strcmp(node[nnodes - 1]->origin,
		    node[nnodes]->origin) >= 0)
			abort();	/* topo_at() is in name order */
	for (i = 0; i < nnodes; i++)
		lab[i] = (struct label){ UINT64_MAX, 0, NONE, NAT_TYPE_UNKNOWN };
	if ((self = node_find(SELF)) == NONE)
		return NONE;
	lab[self] = (struct label){ 0, 0, NONE, NAT_TYPE_OPEN };
	for (round = 0; changed && round <= nnodes; round++) {
		changed = false;
		for (x = 0; x < nnodes; x++) {
			if (lab[x].cost == UINT64_MAX)
				continue;
			for (uint16_t k = 0; k < node[x]->n_links; k++) {
				struct label	c;
				uint32_t	cost;
				uint8_t		nat;

				if ((cost = edge(x, &node[x]->links[k], &y,
				    &nat)) == 0 || y == self)
					continue;
				c.cost = lab[x].cost + cost;
				c.hops = lab[x].hops + 1;
				c.nh = x == self ? y : lab[x].nh;
				c.nat = nat_worse(lab[x].nat, nat);
				if (lab[y].cost == UINT64_MAX ||
				    label_less(&c, &lab[y])) {
					lab[y] = c;
					changed = true;
				}
			}
		}
	}
	if (changed)
		abort();	/* positive costs: settles within V rounds */
	return self;
}

/* The table order topo.h documents. */
REFERENCE static int
route_order(const void *pa, const void *pb)
{
	const struct route *a = pa, *b = pb;
	uint32_t aa = ntohl(a->addr.s_addr), ba = ntohl(b->addr.s_addr);
	int c;

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

static struct route	ref_routes[REF_NODES_MAX * PKT_LSA_PREFIX_MAX];

static void
check(const struct topo *t, uint64_t now)
{
	struct route_table	 rt;
	struct topo_path	*paths;
	size_t			 n, i, k, reached = 0;
	uint32_t		 self, d;

	if (topo_spf(t, &paths, &n) != 0)
		abort();
	route_table_init(&rt);
	if (topo_routes(t, &rt) != 0)
		abort();
	if (topo_count(t) > REF_NODES_MAX)
		goto out;
	self = reference(t, now);
	for (i = 0; i < nnodes; i++)
		if (i != self && lab[i].cost != UINT64_MAX)
			reached++;
	if (n != reached)
		abort();
	for (i = 0; i < n; i++) {
		const struct topo_path *p = &paths[i];
		const struct label *l;

		if ((d = node_find(p->dest)) == NONE || d == self)
			abort();
		l = &lab[d];
		if (l->cost == UINT64_MAX ||
		    p->cost != (l->cost > UINT32_MAX ? UINT32_MAX : l->cost) ||
		    p->hops != (l->hops > UINT8_MAX ? UINT8_MAX : l->hops) ||
		    p->path_nat != l->nat ||
		    strcmp(p->next_hop, node[l->nh]->origin) != 0)
			abort();
		/* the first hop is a neighbour over a two-way link */
		if (!adjacent(self, l->nh) || (p->hops == 1 &&
		    strcmp(p->next_hop, p->dest) != 0))
			abort();
	}

	/* one route per (prefix, origin) of self and every reached origin */
	k = 0;
	for (i = 0; i < nnodes; i++) {
		const struct pkt_lsa *o = node[i];
		size_t start = k;

		if (lab[i].cost == UINT64_MAX)
			continue;
		for (uint16_t j = 0; j < o->n_prefixes; j++) {
			struct route	*r = &ref_routes[k];
			uint8_t		 plen = o->prefixes[j].plen;
			uint32_t	 m = plen ? UINT32_MAX << (32 - plen) : 0;
			size_t		 q;

			if (i != self && topo_prefix_refused(t, i, j) !=
			    TOPO_REFUSED_NO)
				continue;	/* refused: never routed */
			memset(r, 0, sizeof(*r));
			r->addr.s_addr = htonl(ntohl(o->prefixes[j].addr.s_addr)
			    & m);
			r->plen = plen;
			memcpy(r->dest, o->origin, sizeof(r->dest));
			if (i != self) {
				memcpy(r->next_hop, node[lab[i].nh]->origin,
				    sizeof(r->next_hop));
				r->hops = lab[i].hops > UINT8_MAX ? UINT8_MAX :
				    (uint8_t)lab[i].hops;
				r->cost = lab[i].cost > UINT32_MAX ?
				    UINT32_MAX : (uint32_t)lab[i].cost;
				r->path_nat = lab[i].nat;
			}
			for (q = start; q < k; q++)
				if (ref_routes[q].plen == r->plen &&
				    ref_routes[q].addr.s_addr == r->addr.s_addr)
					break;
			if (q == k)
				k++;	/* an origin's repeat counts once */
		}
	}
	qsort(ref_routes, k, sizeof(ref_routes[0]), route_order);
	if (rt.n != k)
		abort();
	for (i = 0; i < k; i++) {
		const struct route *a = &rt.v[i], *b = &ref_routes[i];

		if (a->addr.s_addr != b->addr.s_addr || a->plen != b->plen ||
		    a->hops != b->hops || a->cost != b->cost ||
		    a->path_nat != b->path_nat ||
		    strcmp(a->dest, b->dest) != 0 ||
		    strcmp(a->next_hop, b->next_hop) != 0)
			abort();
		/* the longest match for its address is at least as long */
		if (route_lookup(&rt, a->addr)->plen < a->plen)
			abort();
	}
out:
	free(paths);
	route_table_release(&rt);
}

/* Test proxies and what their certificates let them claim. */
static const struct {
	const char	*name;
	const char	*blocks;	/* NULL: no extension */
} pki[] = {
	{ "b", NULL },
	{ "c", "IPv4:10.0.0.0/8" },
	{ "d", "IPv4:10.1.0.0/24,IPv4:192.168.0.0/16" },
	{ "e", "IPv4:inherit" },
};
#define NPKI		(sizeof(pki) / sizeof(pki[0]))
#define PKI_NOW		pki_now()

/* The clock of the signature checks: fixed at the first use. */
static time_t
pki_now(void)
{
	static time_t now;

	if (now == 0)
		now = time(NULL);
	return now;
}

static struct lsasig_verifier *
verifier(void)
{
	static struct lsasig_verifier *v;

	if (v == NULL)
		v = testpki_verifier(false);
	return v;
}

/* Whether the blocks of pki[k] cover a prefix (the rule, restated). */
static bool
covered(size_t k, const struct pkt_lsa_prefix *p)
{
	uint32_t a = ntohl(p->addr.s_addr);
	uint32_t m = p->plen ? UINT32_MAX << (32 - p->plen) : 0;
	uint32_t lo = a & m, hi = lo | ~m;

	switch (k) {
	case 0: case 3:
		return true;
	case 1:
		return lo >> 24 == 10 && hi >> 24 == 10;
	case 2:
		return (lo >> 8 == 0x0a0100 && hi >> 8 == 0x0a0100) ||
		    (lo >> 16 == 0xc0a8 && hi >> 16 == 0xc0a8);
	}
	return false;
}

/* Ops 8 and 9: see the script above. */
static void
signed_op(struct topo *t, struct cursor *c, bool tamper, uint64_t now)
{
	static struct pkt_msg	m;
	static struct pkt_lsa	l;
	size_t			k = take_u8(c) % NPKI, i;
	unsigned		bit = take_u8(c);
	uint64_t		refused;
	bool			no_blocks, changed;
	enum topo_verdict	v;

	if (!take_lsa(c, &m))
		return;
	l = m.u.lsa;
	memset(l.origin, 0, sizeof(l.origin));
	strcpy(l.origin, pki[k].name);
	if (lsasig_sign(testpki_key(pki[k].name, pki[k].blocks, false), &l)
	    != 0)
		abort();
	if (tamper) {
		if (bit & 1)
			l.sig[(bit >> 1) % l.sig_len] ^= (uint8_t)(1 << (bit % 7));
		else
			l.seq ^= UINT64_C(1) << (bit % 64);
		if (lsasig_verify(verifier(), &l, PKI_NOW, &refused,
		    &no_blocks) == LSASIG_OK)
			abort();
		return;
	}
	if (lsasig_verify(verifier(), &l, PKI_NOW, &refused, &no_blocks) !=
	    LSASIG_OK)
		abort();
	for (i = 0; i < l.n_prefixes; i++)
		if (((refused >> i & 1) != 0) == covered(k, &l.prefixes[i]))
			abort();
	v = topo_receive_checked(t, &l, refused, TOPO_REFUSED_BLOCKS, now,
	    &changed);
	if (changed && v != TOPO_NEWER)
		abort();	/* only a stored copy changes routes */
	if (v == TOPO_NEWER) {
		const struct pkt_lsa *a;

		for (i = 0; (a = topo_at(t, i, now, NULL)) != NULL; i++)
			if (strcmp(a->origin, l.origin) == 0)
				break;
		if (a == NULL)
			abort();
		for (uint16_t j = 0; j < l.n_prefixes; j++)
			if ((topo_prefix_refused(t, i, j) != TOPO_REFUSED_NO) !=
			    ((refused >> j & 1) != 0))
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct pkt_msg	 m;
	static struct pkt_lsa	 copy;
	struct cursor		 c = { data, len };
	struct topo		*t;
	const struct pkt_lsa	*stored, *own;
	uint64_t		 now = 1000000000000ULL, seq;
	enum topo_verdict	 v;
	uint16_t		 age;
	int			 checks = 0;
	uint64_t		 refused;
	bool			 no_blocks;

	if ((t = topo_new(SELF)) == NULL)
		abort();
	while (c.len > 0) {
		unsigned op = take_u8(&c) % 10;

		switch (op) {
		case 0: case 1: case 2:
			if (!take_lsa(&c, &m))
				break;
			if (lsasig_verify(verifier(), &m.u.lsa, PKI_NOW, &refused,
			    &no_blocks) == LSASIG_OK)
				abort();	/* a forgery that verifies */
			own = topo_get(t, SELF);
			seq = own != NULL ? own->seq : 0;
			v = topo_receive(t, &m.u.lsa, now);
			stored = topo_get(t, m.u.lsa.origin);
			if (m.u.lsa.age_s >= TOPO_MAX_AGE_S && v != TOPO_INVALID)
				abort();
			if (strcmp(m.u.lsa.origin, SELF) == 0) {
				/* never stored from outside */
				if (v == TOPO_NEWER || (own != NULL &&
				    stored->seq != seq))
					abort();
				if (v == TOPO_OWN && !topo_seq_newer(
				    topo_next_seq(t, 0), m.u.lsa.seq))
					abort();
				break;
			}
			if ((v == TOPO_NEWER || v == TOPO_SAME) &&
			    (stored == NULL || stored->seq != m.u.lsa.seq))
				abort();
			if (v == TOPO_OLDER && (stored == NULL ||
			    !topo_seq_newer(stored->seq, m.u.lsa.seq)))
				abort();
			if ((v == TOPO_RATE || v == TOPO_FULL) && stored != NULL &&
			    stored->seq == m.u.lsa.seq &&
			    memcmp(stored, &m.u.lsa, sizeof(*stored)) == 0)
				abort();
			break;
		case 3:
			if (!take_lsa(&c, &m))
				break;
			memset(m.u.lsa.origin, 0, sizeof(m.u.lsa.origin));
			strcpy(m.u.lsa.origin, SELF);
			m.u.lsa.seq = topo_next_seq(t, 0);
			if (topo_set_self(t, &m.u.lsa, now) != 0 ||
			    topo_get(t, SELF)->seq != m.u.lsa.seq)
				abort();
			break;
		case 4:
			now += (uint64_t)take_u16(&c) * 1000000;
			break;
		case 5:
			(void)topo_expire(t, now);
			for (size_t i = 0; (stored = topo_at(t, i, now, &age)) !=
			    NULL; i++)
				if (age >= TOPO_MAX_AGE_S &&
				    strcmp(stored->origin, SELF) != 0)
					abort();
			break;
		case 6:
			if (checks++ < CHECKS_MAX)
				check(t, now);
			break;
		case 7:
			stored = topo_at(t, take_u8(&c), now, NULL);
			if (stored == NULL)
				break;
			if (topo_copy(t, stored->origin, now, &copy) != 0)
				abort();
			v = topo_receive(t, &copy, now);
			/* an echo of what we hold is no news */
			if (copy.age_s < TOPO_MAX_AGE_S && v != TOPO_SAME)
				abort();
			break;
		case 8:
		case 9:
			signed_op(t, &c, op == 9, now);
			break;
		}
	}
	check(t, now);
	topo_free(t);
	return 0;
}
