/* SPDX-License-Identifier: ISC */
/*
 * This file owns the flow table: how a parsed packet maps to a flow key,
 * the fixed-size hash index over the flows, least-recently-seen eviction
 * and idle expiry.  Everything is allocated in flow_table_new(); the
 * per-packet path (flow_update) never allocates.  "now" is always passed in.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#define FLOW_EMPTY	UINT32_MAX	/* free index slot */

/* An IPv6 flow's class is its enum ipv6_class, read as enum ipv4_class. */
_Static_assert(IPV6_IKE == (int)IPV4_IKE && IPV6_ESP_UDP ==
    (int)IPV4_ESP_UDP && IPV6_ESP == (int)IPV4_ESP && IPV6_ICMP ==
    (int)IPV4_ICMP && IPV6_OTHER == (int)IPV4_OTHER, "class values differ");
#define FLOW_CAP_MAX	((size_t)1 << 30)

/*
 * Layout: the flows live densely in flows[0..n), which makes flow_at() and
 * the LRU scan trivial, and an open-addressing index with linear probing
 * maps a key to its position there.  The index has at least twice as many
 * slots as the capacity (a power of two), so the load factor stays at or
 * below 1/2 and probe sequences stay short without rehashing.  Deleting
 * uses backward-shift deletion (Knuth 6.4, Algorithm R) instead of
 * tombstones, so the index never degrades however many flows come and go,
 * and the hole left in flows[] is filled by moving the last flow into it.
 *
 * XXX the hash is unkeyed: a sender choosing many colliding flows can make
 * probes long.  The capacity bounds the damage (a probe visits at most
 * 2 * capacity slots); a per-table seed would need a random source, which
 * lib/ does not read.
 */
struct flow_table {
	struct flow	*flows;	/* capacity entries, n in use */
	size_t		 n;
	size_t		 cap;
	uint32_t	*slot;	/* index into flows, or FLOW_EMPTY */
	size_t		 mask;		/* slots - 1 */
	uint64_t	 evictions;
};

/* Key fields one by one: the struct has padding we must not read. */
static uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x100000001b3ULL;		/* FNV-1a prime, per field */
	h ^= h >> 29;
	return h;
}

static size_t
key_hash(const struct flow_key *k)
{
	uint64_t	h = 0xcbf29ce484222325ULL;

	h = mix(h, k->src.s_addr);
	h = mix(h, k->dst.s_addr);
	h = mix(h, ((uint64_t)k->sport << 16) | k->dport);
	h = mix(h, k->cls);
	h = mix(h, k->spi);
	if (k->v6) {
		uint64_t w[4];

		memcpy(w, &k->src6, 16);
		memcpy(w + 2, &k->dst6, 16);
		for (int i = 0; i < 4; i++)
			h = mix(h, w[i]);
	}
	/* Final avalanche (murmur3 fmix64) so low bits depend on all. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (size_t)h;
}

static bool
key_eq(const struct flow_key *a, const struct flow_key *b)
{
	return a->src.s_addr == b->src.s_addr &&
	    a->dst.s_addr == b->dst.s_addr && a->sport == b->sport &&
	    a->dport == b->dport && a->cls == b->cls && a->spi == b->spi &&
	    a->v6 == b->v6 && (!a->v6 || (memcmp(&a->src6, &b->src6, 16) == 0 &&
	    memcmp(&a->dst6, &b->dst6, 16) == 0));
}

/*
 * Later fragments carry no transport header, so they are folded into one
 * flow per address pair and protocol; the class follows the protocol the
 * way ipv4_parse() classifies them.
 */
static uint8_t
class_of_proto(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_UDP:
		return IPV4_IKE;
	case IPPROTO_ESP:
		return IPV4_ESP;
	case IPPROTO_ICMP:
		return IPV4_ICMP;
	default:
		return IPV4_OTHER;
	}
}

static void
key_build(const struct ipv4_info *in, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->src = in->src;
	k->dst = in->dst;
	if (in->later_fragment) {
		k->cls = class_of_proto(in->proto);
		return;
	}
	switch (in->cls) {
	case IPV4_IKE:
		k->cls = IPV4_IKE;
		k->sport = in->sport;
		k->dport = in->dport;
		break;
	case IPV4_ESP_UDP:
		k->cls = IPV4_ESP_UDP;
		k->sport = in->sport;
		k->dport = in->dport;
		k->spi = in->spi;
		break;
	case IPV4_ESP:
		k->cls = IPV4_ESP;
		k->spi = in->spi;
		break;
	case IPV4_ICMP:
		k->cls = IPV4_ICMP;
		k->sport = in->sport;
		k->dport = in->dport;
		break;
	case IPV4_OTHER:
	default:			/* out of range: treat as other */
		k->cls = IPV4_OTHER;
		k->sport = in->sport;
		k->dport = in->dport;
		break;
	}
}

/* Index slot holding key k, or the empty slot where it would go. */
static size_t
slot_find(const struct flow_table *ft, const struct flow_key *k)
{
	size_t	s = key_hash(k) & ft->mask;

	while (ft->slot[s] != FLOW_EMPTY &&
	    !key_eq(&ft->flows[ft->slot[s]].key, k))
		s = (s + 1) & ft->mask;
	return s;
}

/* Frees index slot s, shifting back entries whose probe crossed it. */
static void
slot_delete(struct flow_table *ft, size_t s)
{
	size_t	j = s, home;

	for (;;) {
		j = (j + 1) & ft->mask;
		if (ft->slot[j] == FLOW_EMPTY)
			break;
		home = key_hash(&ft->flows[ft->slot[j]].key) & ft->mask;
		/* Entry at j may move to s unless home lies in (s, j]. */
		if (s <= j ? (s < home && home <= j) : (s < home || home <= j))
			continue;
		ft->slot[s] = ft->slot[j];
		s = j;
	}
	ft->slot[s] = FLOW_EMPTY;
}

/* Removes flows[i]; the last flow moves into its place. */
static void
flow_remove(struct flow_table *ft, size_t i)
{
	size_t	last = ft->n - 1;

	slot_delete(ft, slot_find(ft, &ft->flows[i].key));
	if (i != last) {
		ft->flows[i] = ft->flows[last];
		ft->slot[slot_find(ft, &ft->flows[i].key)] = (uint32_t)i;
	}
	ft->n--;
}

struct flow_table *
flow_table_new(size_t capacity)
{
	struct flow_table *ft;
	size_t		 slots, i;

	if (capacity == 0 || capacity > FLOW_CAP_MAX) {
		errno = EINVAL;
		return NULL;
	}
	for (slots = 2; slots < capacity * 2; slots *= 2)
		;
	if ((ft = calloc(1, sizeof(*ft))) == NULL)
		return NULL;
	ft->flows = calloc(capacity, sizeof(*ft->flows));
	ft->slot = calloc(slots, sizeof(*ft->slot));
	if (ft->flows == NULL || ft->slot == NULL) {
		flow_table_free(ft);
		return NULL;
	}
	for (i = 0; i < slots; i++)
		ft->slot[i] = FLOW_EMPTY;
	ft->cap = capacity;
	ft->mask = slots - 1;
	return ft;
}

void
flow_table_free(struct flow_table *ft)
{
	if (ft == NULL)
		return;
	free(ft->flows);
	free(ft->slot);
	free(ft);
}

/*
 * When full, the least recently seen flow goes.  Finding it is an O(n)
 * scan of flows[], paid only on eviction: a full table is the unusual
 * case, and an LRU list would cost two pointers per flow and a relink on
 * every packet to speed up that rare path.
 */
static void
evict_lru(struct flow_table *ft)
{
	size_t	i, lru = 0;

	for (i = 1; i < ft->n; i++)
		if (ft->flows[i].last_us < ft->flows[lru].last_us)
			lru = i;
	flow_remove(ft, lru);
	ft->evictions++;
}

/* The flow of key k, made (evicting the least recent if full) if new. */
static struct flow *
flow_get(struct flow_table *ft, const struct flow_key *k, uint64_t now_us)
{
	struct flow	*f;
	size_t		 s;

	s = slot_find(ft, k);
	if (ft->slot[s] != FLOW_EMPTY)
		return &ft->flows[ft->slot[s]];
	if (ft->n == ft->cap) {
		evict_lru(ft);
		s = slot_find(ft, k);	/* the index moved */
	}
	f = &ft->flows[ft->n];
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->first_us = now_us;
	ft->slot[s] = (uint32_t)ft->n++;
	return f;
}

const struct flow *
flow_update6(struct flow_table *ft, const struct ipv6_info *in, size_t len,
    uint64_t now_us)
{
	struct flow_key	 k;
	struct flow	*f;

	memset(&k, 0, sizeof(k));
	k.v6 = true;
	k.src6 = in->src;
	k.dst6 = in->dst;
	if (in->later_fragment) {
		k.cls = in->proto == IPV6_NH_UDP ? IPV4_IKE :
		    in->proto == IPV6_NH_ESP ? IPV4_ESP :
		    in->proto == IPV6_NH_ICMPV6 ? IPV4_ICMP : IPV4_OTHER;
	} else {
		k.cls = in->cls <= IPV6_OTHER ? (uint8_t)in->cls : IPV4_OTHER;
		if (in->cls != IPV6_ESP) {
			k.sport = in->sport;
			k.dport = in->dport;
		}
		if (in->cls == IPV6_ESP || in->cls == IPV6_ESP_UDP)
			k.spi = in->spi;
	}
	f = flow_get(ft, &k, now_us);
	if (!in->later_fragment && in->cls == IPV6_IKE && in->ike_spi_i != 0)
		f->ike_spi_i = in->ike_spi_i;
	f->packets++;
	f->bytes += len;
	f->last_us = now_us;
	return f;
}

const struct flow *
flow_update(struct flow_table *ft, const struct ipv4_info *in, size_t len,
    uint64_t now_us)
{
	struct flow_key	 k;
	struct flow	*f;

	key_build(in, &k);
	f = flow_get(ft, &k, now_us);
	if (!in->later_fragment && in->cls == IPV4_IKE && in->ike_spi_i != 0)
		f->ike_spi_i = in->ike_spi_i;
	if (in->xlat != IPV4_XLAT_NONE) {
		f->xlat = (uint8_t)in->xlat;
		f->real = in->xlat_real;
	}
	if (in->nat_refused)
		f->nat_refused++;
	f->packets++;
	f->bytes += len;
	f->last_us = now_us;
	return f;
}

size_t
flow_expire(struct flow_table *ft, uint64_t now_us, uint64_t idle_us)
{
	size_t	i = 0, gone = 0;

	while (i < ft->n) {
		const struct flow *f = &ft->flows[i];

		if (f->last_us < now_us && now_us - f->last_us > idle_us) {
			flow_remove(ft, i);	/* flows[i] is now another */
			gone++;
		} else
			i++;
	}
	return gone;
}

size_t
flow_count(const struct flow_table *ft)
{
	return ft->n;
}

uint64_t
flow_evictions(const struct flow_table *ft)
{
	return ft->evictions;
}

const struct flow *
flow_at(const struct flow_table *ft, size_t i)
{
	return i < ft->n ? &ft->flows[i] : NULL;
}
