/* SPDX-License-Identifier: ISC */
/*
 * The flow table: IKE and ESP conversations between endpoints as the proxy
 * sees them, with packet and byte counters.  Fixed capacity chosen at
 * creation; when full, the least recently seen flow is evicted (counted).
 * Updating a flow on the hot path never allocates.
 */
#ifndef PROXYD_FLOW_H
#define PROXYD_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "ipv4.h"
#include "ipv6.h"

struct flow_key {
	struct in_addr	src, dst;	/* IPv4 (v6 false) */
	uint16_t	sport, dport;	/* 0 for ESP / ICMP / fragments */
	uint8_t		cls;		/* enum ipv4_class (enum ipv6_class */
					/* has the same values) */
	uint32_t	spi;		/* ESP, ESP-in-UDP; 0 otherwise */
	bool		v6;		/* an IPv6 flow: src6, dst6 */
	struct in6_addr	src6, dst6;
};

struct flow {
	struct flow_key	key;
	uint64_t	ike_spi_i;	/* IKE: initiator SPI once seen */
	uint64_t	packets;
	uint64_t	bytes;
	uint64_t	first_us;
	uint64_t	last_us;
	/* the key's src or dst (xlat) is the alias of real (lib/netmap.h) */
	uint8_t		xlat;		/* enum ipv4_xlat */
	struct in_addr	real;
	uint64_t	nat_refused;	/* raw ESP packets dropped: a NAT */
};

struct flow_table;

/* capacity >= 1.  NULL on ENOMEM. */
struct flow_table *flow_table_new(size_t capacity);
void	flow_table_free(struct flow_table *);
/*
 * Counts one packet of len bytes at time now_us.  The key is built from
 * the parsed packet: IKE flows keyed by addresses and ports, ESP by
 * addresses and SPI, later fragments fold into the addresses' flow with
 * ports 0.  Returns the flow (borrowed, valid until the next update).
 */
const struct flow *flow_update(struct flow_table *, const struct ipv4_info *,
	    size_t len, uint64_t now_us);
/* The same for an IPv6 packet (no translation: aliases are IPv4 only). */
const struct flow *flow_update6(struct flow_table *,
	    const struct ipv6_info *, size_t len, uint64_t now_us);
/* Forgets flows not seen since now_us - idle_us; returns how many. */
size_t	flow_expire(struct flow_table *, uint64_t now_us, uint64_t idle_us);
size_t	flow_count(const struct flow_table *);
uint64_t flow_evictions(const struct flow_table *);
/* Iteration in no particular order: i from 0 while the result is not NULL. */
const struct flow *flow_at(const struct flow_table *, size_t i);

#endif
