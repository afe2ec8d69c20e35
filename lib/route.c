/* SPDX-License-Identifier: ISC */
/*
 * This file owns the RIB (own prefixes plus, per neighbour, the last route
 * list it announced), the computation of the forwarding table from it, what
 * we announce back, and longest-prefix-match lookups over that table.
 * No globals, no logging, no clock: callers log and decide when to compute.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

struct rib_nbr {
	char		 name[PKT_NAME_MAX + 1];
	struct pkt_route *v;	/* filtered, n <= PKT_ANNOUNCE_MAX */
	size_t		 n;
};

struct rib {
	char		 self[PKT_NAME_MAX + 1];
	struct route	*local;	/* hops 0, dest self, next_hop "" */
	size_t		 nlocal;
	struct rib_nbr	*nbr;	/* unsorted: tens at most */
	size_t		 nnbr;
	size_t		 capnbr;
};

/* A name is 1..PKT_NAME_MAX bytes and NUL-terminated inside its array. */
static bool
name_ok(const char *s, size_t cap)
{
	return s != NULL && s[0] != '\0' && memchr(s, '\0', cap) != NULL;
}

/* Netmask in host order; plen 0 must not shift by 32 (undefined). */
static uint32_t
plen_mask(uint8_t plen)
{
	return plen == 0 ? 0 : UINT32_MAX << (32 - plen);
}

static struct in_addr
net_of(struct in_addr a, uint8_t plen)
{
	struct in_addr	n;

	n.s_addr = htonl(ntohl(a.s_addr) & plen_mask(plen));
	return n;
}

static bool
prefix_contains(const struct route *r, struct in_addr dst)
{
	return (ntohl(dst.s_addr) & plen_mask(r->plen)) ==
	    ntohl(r->addr.s_addr);
}

static struct rib_nbr *
nbr_find(const struct rib *rib, const char *name)
{
	size_t	i;

	for (i = 0; i < rib->nnbr; i++)
		if (strcmp(rib->nbr[i].name, name) == 0)
			return &rib->nbr[i];
	return NULL;
}

struct rib *
rib_new(const char *self)
{
	struct rib	*rib;

	if (!name_ok(self, PKT_NAME_MAX + 1)) {
		errno = EINVAL;
		return NULL;
	}
	if ((rib = calloc(1, sizeof(*rib))) == NULL)
		return NULL;
	memcpy(rib->self, self, strlen(self) + 1);
	return rib;
}

void
rib_free(struct rib *rib)
{
	size_t	i;

	if (rib == NULL)
		return;
	for (i = 0; i < rib->nnbr; i++)
		free(rib->nbr[i].v);
	free(rib->nbr);
	free(rib->local);
	free(rib);
}

/*
 * Host bits are cleared rather than rejected: the config validator already
 * complains about them, and lookups rely on every table address being a
 * network address.  A plen above 32 is a caller bug and fails.
 */
int
rib_set_local(struct rib *rib, const struct in_addr *addrs,
    const uint8_t *plens, size_t n)
{
	struct route	*v = NULL;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (plens[i] > 32) {
			errno = EINVAL;
			return -1;
		}
	}
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		v[i].addr = net_of(addrs[i], plens[i]);
		v[i].plen = plens[i];
		v[i].hops = 0;
		memcpy(v[i].dest, rib->self, sizeof(v[i].dest));
		v[i].next_hop[0] = '\0';
	}
	free(rib->local);
	rib->local = v;
	rib->nlocal = n;
	return 0;
}

static bool
route_acceptable(const struct rib *rib, const struct pkt_route *r)
{
	if (r->plen > 32 || r->hops >= ROUTE_HOPS_MAX)
		return false;
	if (!name_ok(r->origin, sizeof(r->origin)))
		return false;
	return strcmp(r->origin, rib->self) != 0;
}

/*
 * The neighbour's whole list is replaced, as the announcement is a full
 * table.  Unusable entries (our own prefixes coming back, hops at the
 * limit, malformed) are dropped here so rib_compute() never sees them.
 * On failure the previous list stays.
 */
int
rib_set_neighbour(struct rib *rib, const char *name,
    const struct pkt_route *routes, size_t n)
{
	struct rib_nbr	*nb;
	struct pkt_route *v = NULL;
	size_t		 i, nv = 0;

	if (!name_ok(name, PKT_NAME_MAX + 1) || n > PKT_ANNOUNCE_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (n > 0 && (v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		if (!route_acceptable(rib, &routes[i]))
			continue;
		v[nv] = routes[i];
		v[nv].addr = net_of(routes[i].addr, routes[i].plen);
		nv++;
	}
	if (nv == 0) {
		free(v);
		rib_drop_neighbour(rib, name);
		return 0;
	}

	if ((nb = nbr_find(rib, name)) == NULL) {
		if (rib->nnbr == rib->capnbr) {
			size_t		 cap = rib->capnbr == 0 ? 8 :
			    rib->capnbr * 2;
			struct rib_nbr	*p;

			p = realloc(rib->nbr, cap * sizeof(*p));
			if (p == NULL) {
				free(v);
				return -1;
			}
			rib->nbr = p;
			rib->capnbr = cap;
		}
		nb = &rib->nbr[rib->nnbr++];
		memcpy(nb->name, name, strlen(name) + 1);
		nb->v = NULL;
		nb->n = 0;
	}
	free(nb->v);
	nb->v = v;
	nb->n = nv;
	return 0;
}

void
rib_drop_neighbour(struct rib *rib, const char *name)
{
	struct rib_nbr	*nb;

	if (name == NULL || (nb = nbr_find(rib, name)) == NULL)
		return;
	free(nb->v);
	*nb = rib->nbr[--rib->nnbr];	/* order does not matter */
}

/* Same network, same length. */
static int
cmp_prefix(const struct route *a, const struct route *b)
{
	uint32_t	aa = ntohl(a->addr.s_addr), ba = ntohl(b->addr.s_addr);

	if (a->plen != b->plen)
		return a->plen > b->plen ? -1 : 1;	/* longest first */
	if (aa != ba)
		return aa < ba ? -1 : 1;
	return 0;
}

/* Local beats learned, fewer hops beat more, then the smaller neighbour. */
static int
cmp_pref(const struct route *a, const struct route *b)
{
	bool	al = a->next_hop[0] == '\0', bl = b->next_hop[0] == '\0';

	if (al != bl)
		return al ? -1 : 1;
	if (a->hops != b->hops)
		return a->hops < b->hops ? -1 : 1;
	return strcmp(a->next_hop, b->next_hop);
}

/* Used for deduplication: one route per (prefix, dest). */
static int
cmp_claim(const void *pa, const void *pb)
{
	const struct route *a = pa, *b = pb;
	int		 c;

	if ((c = cmp_prefix(a, b)) != 0)
		return c;
	if ((c = strcmp(a->dest, b->dest)) != 0)
		return c;
	return cmp_pref(a, b);
}

/* Final table order, the one route_lookup() depends on. */
static int
cmp_table(const void *pa, const void *pb)
{
	const struct route *a = pa, *b = pb;
	int		 c;

	if ((c = cmp_prefix(a, b)) != 0)
		return c;
	if ((c = cmp_pref(a, b)) != 0)
		return c;
	return strcmp(a->dest, b->dest);
}

/*
 * The table keeps one route per (prefix, dest): a prefix claimed by two
 * proxies appears twice, so rib_conflicts() can report it, and the
 * preferred claim sorts first so lookups still follow the preference rules.
 * Building it is "collect every candidate, sort by claim, keep the first of
 * each claim, sort again for lookup": two qsorts over at most a few
 * thousand routes, run on announcements and link changes only, which is
 * simpler than maintaining per-prefix state incrementally.
 *
 * A learned route's hops in the table is the neighbour's figure plus one,
 * i.e. our distance to the prefix, so hops 0 means one of our own
 * prefixes and the figure is exactly what rib_export() announces.
 *
 * The table is only touched once its array is large enough, so on failure
 * the previous table is intact.
 */
int
rib_compute(const struct rib *rib, struct route_table *t)
{
	struct route	*v;
	size_t		 total, i, j, k;

	total = rib->nlocal;
	for (i = 0; i < rib->nnbr; i++)
		total += rib->nbr[i].n;
	if (total > t->cap) {
		if ((v = realloc(t->v, total * sizeof(*v))) == NULL)
			return -1;
		t->v = v;
		t->cap = total;
	}
	v = t->v;

	k = 0;
	for (i = 0; i < rib->nlocal; i++)
		v[k++] = rib->local[i];
	for (i = 0; i < rib->nnbr; i++) {
		const struct rib_nbr *nb = &rib->nbr[i];

		for (j = 0; j < nb->n; j++) {
			const struct pkt_route *pr = &nb->v[j];
			struct route	*r = &v[k++];

			memset(r, 0, sizeof(*r));
			r->addr = pr->addr;
			r->plen = pr->plen;
			r->hops = pr->hops + 1;	/* <= ROUTE_HOPS_MAX */
			memcpy(r->dest, pr->origin, sizeof(r->dest));
			memcpy(r->next_hop, nb->name, sizeof(r->next_hop));
		}
	}

	if (k > 1)
		qsort(v, k, sizeof(*v), cmp_claim);
	for (i = 0, j = 0; i < k; i++) {
		if (j > 0 && cmp_prefix(&v[j - 1], &v[i]) == 0 &&
		    strcmp(v[j - 1].dest, v[i].dest) == 0)
			continue;
		if (j != i)
			v[j] = v[i];
		j++;
	}
	if (j > 1)
		qsort(v, j, sizeof(*v), cmp_table);
	t->n = j;
	return 0;
}

size_t
rib_export(const struct rib *rib, const struct route_table *t,
    const char *to, struct pkt_route *out, size_t max)
{
	size_t	i, n = 0;

	for (i = 0; i < t->n && n < max; i++) {
		const struct route *r = &t->v[i];
		struct pkt_route *o;

		if (r->next_hop[0] != '\0') {
			if (to != NULL && strcmp(r->next_hop, to) == 0)
				continue;	/* split horizon */
			if (r->hops >= ROUTE_HOPS_MAX)
				continue;	/* receiver would drop it */
		}
		o = &out[n++];
		memset(o, 0, sizeof(*o));
		o->plen = r->plen;
		o->addr = r->addr;
		/* Own prefixes are 0; learned ones already carry the +1. */
		o->hops = r->hops;
		memcpy(o->origin, r->next_hop[0] == '\0' ? rib->self : r->dest,
		    sizeof(o->origin));
	}
	return n;
}

/*
 * Every pair is compared: O(n^2) over a table of tens of prefixes, run
 * when the table changes or on a CLI request, never per packet.  Two
 * prefixes overlap when they agree on the bits of the shorter one.
 */
size_t
rib_conflicts(const struct route_table *t, struct route *a, struct route *b,
    size_t max)
{
	size_t	i, j, n = 0;

	for (i = 0; i < t->n && n < max; i++) {
		for (j = i + 1; j < t->n && n < max; j++) {
			const struct route *x = &t->v[i], *y = &t->v[j];
			uint32_t	 m;

			if (strcmp(x->dest, y->dest) == 0)
				continue;
			m = plen_mask(x->plen < y->plen ? x->plen : y->plen);
			if ((ntohl(x->addr.s_addr) & m) !=
			    (ntohl(y->addr.s_addr) & m))
				continue;
			a[n] = *x;
			b[n] = *y;
			n++;
		}
	}
	return n;
}

void
route_table_init(struct route_table *t)
{
	t->v = NULL;
	t->n = 0;
	t->cap = 0;
}

void
route_table_release(struct route_table *t)
{
	free(t->v);
	route_table_init(t);
}

/*
 * A linear scan over a table sorted longest prefix first: the first match
 * is the longest match.  Tables hold tens of prefixes, so this beats a trie
 * on constant factors and needs no second structure to keep in sync.
 * TODO: the topology issue (link-state, larger meshes) brings a trie.
 */
const struct route *
route_lookup(const struct route_table *t, struct in_addr dst)
{
	size_t	i;

	for (i = 0; i < t->n; i++)
		if (prefix_contains(&t->v[i], dst))
			return &t->v[i];
	return NULL;
}

bool
route_is_local(const struct route_table *t, struct in_addr dst)
{
	size_t	i;

	for (i = 0; i < t->n; i++) {
		const struct route *r = &t->v[i];

		if (r->hops == 0 && r->next_hop[0] == '\0' &&
		    prefix_contains(r, dst))
			return true;
	}
	return false;
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
