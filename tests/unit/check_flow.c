/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/flow.c: how packets map to flows, counters, eviction
 * of the least recently seen flow, expiry and iteration.  Packets are
 * struct ipv4_info values built by hand, so these tests do not depend on
 * ipv4_parse().  A randomized run checks the hash index against a plain
 * array model, which exercises backward-shift deletion.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

static struct flow_table *ft;

static void
teardown(void)
{
	flow_table_free(ft);
	ft = NULL;
}

static struct in_addr
ip(const char *s)
{
	struct in_addr	a;

	ck_assert_int_eq(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct ipv4_info
ike(const char *src, const char *dst, uint16_t sport, uint16_t dport,
    uint64_t spi_i)
{
	struct ipv4_info i;

	memset(&i, 0, sizeof(i));
	i.src = ip(src);
	i.dst = ip(dst);
	i.proto = 17;
	i.ttl = 64;
	i.sport = sport;
	i.dport = dport;
	i.ike_spi_i = spi_i;
	i.cls = IPV4_IKE;
	return i;
}

static struct ipv4_info
esp(const char *src, const char *dst, uint32_t spi)
{
	struct ipv4_info i;

	memset(&i, 0, sizeof(i));
	i.src = ip(src);
	i.dst = ip(dst);
	i.proto = 50;
	i.ttl = 64;
	i.spi = spi;
	i.cls = IPV4_ESP;
	return i;
}

START_TEST(ike_conversation_counted_once)
{
	struct ipv4_info a = ike("192.0.2.1", "198.51.100.2", 500, 500,
	    0x1122334455667788ULL);
	const struct flow *f;

	ft = flow_table_new(16);
	ck_assert_ptr_nonnull(ft);
	f = flow_update(ft, &a, 300, 1000);
	ck_assert_uint_eq(f->packets, 1);
	a.ike_spi_i = 0;	/* e.g. a keepalive: SPI not readable */
	f = flow_update(ft, &a, 200, 2500);
	ck_assert_uint_eq(flow_count(ft), 1);
	ck_assert_uint_eq(f->packets, 2);
	ck_assert_uint_eq(f->bytes, 500);
	ck_assert_uint_eq(f->first_us, 1000);
	ck_assert_uint_eq(f->last_us, 2500);
	ck_assert_uint_eq(f->ike_spi_i, 0x1122334455667788ULL);
	ck_assert_uint_eq(f->key.cls, IPV4_IKE);
	ck_assert_uint_eq(f->key.sport, 500);
	ck_assert_uint_eq(f->key.dport, 500);
	ck_assert_uint_eq(f->key.spi, 0);
	ck_assert_ptr_eq(flow_at(ft, 0), f);
}
END_TEST

START_TEST(ike_flows_keyed_by_ports_and_direction)
{
	struct ipv4_info a = ike("192.0.2.1", "198.51.100.2", 500, 500, 0);
	struct ipv4_info b = ike("192.0.2.1", "198.51.100.2", 4500, 4500, 0);
	struct ipv4_info r = ike("198.51.100.2", "192.0.2.1", 500, 500, 0);

	ft = flow_table_new(16);
	flow_update(ft, &a, 100, 1);
	flow_update(ft, &b, 100, 2);
	flow_update(ft, &r, 100, 3);
	ck_assert_uint_eq(flow_count(ft), 3);
}
END_TEST

START_TEST(esp_keyed_by_spi)
{
	struct ipv4_info a = esp("192.0.2.1", "198.51.100.2", 0xc0ffee01);
	struct ipv4_info b = esp("192.0.2.1", "198.51.100.2", 0xc0ffee02);
	const struct flow *f;

	ft = flow_table_new(16);
	flow_update(ft, &a, 1400, 10);
	flow_update(ft, &b, 1400, 11);
	a.sport = 1234;		/* ignored for raw ESP */
	f = flow_update(ft, &a, 100, 12);
	ck_assert_uint_eq(flow_count(ft), 2);
	ck_assert_uint_eq(f->packets, 2);
	ck_assert_uint_eq(f->bytes, 1500);
	ck_assert_uint_eq(f->key.spi, 0xc0ffee01);
	ck_assert_uint_eq(f->key.sport, 0);
	ck_assert_uint_eq(f->key.cls, IPV4_ESP);
}
END_TEST

START_TEST(esp_in_udp_keyed_by_spi_and_ports)
{
	struct ipv4_info a = esp("192.0.2.1", "198.51.100.2", 7);
	struct ipv4_info b;
	const struct flow *f;

	a.proto = 17;
	a.cls = IPV4_ESP_UDP;
	a.sport = 4500;
	a.dport = 4500;
	b = a;
	b.sport = 61000;	/* NAT-mapped port: another flow */
	ft = flow_table_new(16);
	flow_update(ft, &a, 100, 1);
	f = flow_update(ft, &a, 100, 2);
	ck_assert_uint_eq(f->packets, 2);
	ck_assert_uint_eq(f->key.spi, 7);
	ck_assert_uint_eq(f->key.sport, 4500);
	flow_update(ft, &b, 100, 3);
	ck_assert_uint_eq(flow_count(ft), 2);
	/* Same ports, other SPI: another flow. */
	a.spi = 8;
	flow_update(ft, &a, 100, 4);
	ck_assert_uint_eq(flow_count(ft), 3);
}
END_TEST

START_TEST(later_fragments_fold_into_address_flow)
{
	struct ipv4_info a = ike("192.0.2.1", "198.51.100.2", 0, 0, 0);
	struct ipv4_info e = esp("192.0.2.1", "198.51.100.2", 0);
	const struct flow *f;

	a.fragment = a.later_fragment = true;
	a.cls = IPV4_OTHER;	/* class comes from the protocol */
	ft = flow_table_new(16);
	flow_update(ft, &a, 1480, 1);
	a.sport = 999;		/* garbage: no transport header */
	a.dport = 998;
	f = flow_update(ft, &a, 520, 2);
	ck_assert_uint_eq(flow_count(ft), 1);
	ck_assert_uint_eq(f->packets, 2);
	ck_assert_uint_eq(f->bytes, 2000);
	ck_assert_uint_eq(f->key.cls, IPV4_IKE);
	ck_assert_uint_eq(f->key.sport, 0);
	ck_assert_uint_eq(f->key.dport, 0);

	e.fragment = e.later_fragment = true;
	f = flow_update(ft, &e, 100, 3);
	ck_assert_uint_eq(flow_count(ft), 2);
	ck_assert_uint_eq(f->key.cls, IPV4_ESP);
	ck_assert_uint_eq(f->key.spi, 0);
}
END_TEST

START_TEST(icmp_and_other_keyed_by_addresses_and_ports)
{
	struct ipv4_info a = ike("192.0.2.1", "198.51.100.2", 0, 0, 0);
	struct ipv4_info b;
	const struct flow *f;

	a.proto = 1;
	a.cls = IPV4_ICMP;
	b = a;
	b.proto = 6;
	b.cls = IPV4_OTHER;
	b.sport = 40000;
	b.dport = 443;
	ft = flow_table_new(16);
	flow_update(ft, &a, 84, 1);
	flow_update(ft, &a, 84, 2);
	f = flow_update(ft, &b, 60, 3);
	ck_assert_uint_eq(f->key.dport, 443);
	ck_assert_uint_eq(flow_count(ft), 2);
	b.sport = 40001;
	flow_update(ft, &b, 60, 4);
	ck_assert_uint_eq(flow_count(ft), 3);
}
END_TEST

START_TEST(full_table_evicts_least_recently_seen)
{
	struct ipv4_info p[4];
	const struct flow *f;
	size_t		 i;
	bool		 seen[4] = { false };

	for (i = 0; i < 4; i++)
		p[i] = esp("10.0.0.1", "10.0.0.2", (uint32_t)(100 + i));
	ft = flow_table_new(3);
	flow_update(ft, &p[0], 10, 1);
	flow_update(ft, &p[1], 10, 2);
	flow_update(ft, &p[2], 10, 3);
	flow_update(ft, &p[0], 10, 4);	/* p[1] is now the oldest */
	ck_assert_uint_eq(flow_evictions(ft), 0);
	f = flow_update(ft, &p[3], 10, 5);
	ck_assert_uint_eq(f->packets, 1);
	ck_assert_uint_eq(flow_count(ft), 3);
	ck_assert_uint_eq(flow_evictions(ft), 1);
	for (i = 0; (f = flow_at(ft, i)) != NULL; i++)
		seen[f->key.spi - 100] = true;
	ck_assert(seen[0] && !seen[1] && seen[2] && seen[3]);
	/* p[0] kept its counters through the eviction. */
	f = flow_update(ft, &p[0], 10, 6);
	ck_assert_uint_eq(f->packets, 3);
	ck_assert_uint_eq(flow_evictions(ft), 1);
	/* p[1] comes back as a new flow and pushes out p[2]. */
	f = flow_update(ft, &p[1], 10, 7);
	ck_assert_uint_eq(f->packets, 1);
	ck_assert_uint_eq(flow_evictions(ft), 2);
}
END_TEST

START_TEST(capacity_one_table)
{
	struct ipv4_info a = esp("10.0.0.1", "10.0.0.2", 1);
	struct ipv4_info b = esp("10.0.0.1", "10.0.0.2", 2);

	ck_assert_ptr_null(flow_table_new(0));
	ft = flow_table_new(1);
	ck_assert_ptr_nonnull(ft);
	flow_update(ft, &a, 1, 1);
	flow_update(ft, &b, 1, 2);
	flow_update(ft, &a, 1, 3);
	ck_assert_uint_eq(flow_count(ft), 1);
	ck_assert_uint_eq(flow_evictions(ft), 2);
	ck_assert_uint_eq(flow_at(ft, 0)->key.spi, 1);
	flow_table_free(NULL);	/* no-op */
}
END_TEST

START_TEST(expire_removes_idle_flows)
{
	struct ipv4_info p[6];
	const struct flow *f;
	size_t		 i;

	ft = flow_table_new(8);
	for (i = 0; i < 6; i++) {
		p[i] = esp("10.0.0.1", "10.0.0.2", (uint32_t)(i + 1));
		flow_update(ft, &p[i], 10, 100 * (i + 1));	/* 100..600 */
	}
	ck_assert_uint_eq(flow_expire(ft, 600, 1000), 0);
	/* Idle more than 250us at 600: seen at 100, 200, 300. */
	ck_assert_uint_eq(flow_expire(ft, 600, 250), 3);
	ck_assert_uint_eq(flow_count(ft), 3);
	for (i = 0; (f = flow_at(ft, i)) != NULL; i++)
		ck_assert_uint_ge(f->last_us, 400);
	/* Survivors are still found (index intact), the expired are new. */
	ck_assert_uint_eq(flow_update(ft, &p[4], 10, 700)->packets, 2);
	ck_assert_uint_eq(flow_update(ft, &p[0], 10, 700)->packets, 1);
	ck_assert_uint_eq(flow_expire(ft, 10000, 0), 4);
	ck_assert_uint_eq(flow_count(ft), 0);
	ck_assert_ptr_null(flow_at(ft, 0));
	ck_assert_uint_eq(flow_evictions(ft), 0);
}
END_TEST

START_TEST(iteration_visits_each_flow_once)
{
	struct ipv4_info p;
	const struct flow *f;
	unsigned	 seen[50] = { 0 };
	size_t		 i, n;

	ft = flow_table_new(64);
	ck_assert_ptr_null(flow_at(ft, 0));
	for (i = 0; i < 50; i++) {
		p = ike("10.0.0.1", "10.0.0.2", (uint16_t)(1000 + i), 500, 0);
		flow_update(ft, &p, 1, i);
	}
	for (n = 0; (f = flow_at(ft, n)) != NULL; n++)
		seen[f->key.sport - 1000]++;
	ck_assert_uint_eq(n, 50);
	ck_assert_uint_eq(flow_count(ft), 50);
	for (i = 0; i < 50; i++)
		ck_assert_uint_eq(seen[i], 1);
}
END_TEST

/*
 * Random updates and expiries on a small table against an array model
 * with the same rules.  Time strictly increases, so the LRU victim is
 * unique and both sides must agree on it.
 */
struct model {
	uint32_t	spi;
	uint64_t	packets, last;
};

static uint32_t
rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

START_TEST(random_operations_match_model)
{
	struct model	 m[16];
	size_t		 nm = 0, i, j, lru;
	uint64_t	 now = 1, evictions = 0;
	uint32_t	 seed = 0x9e3779b9u;
	int		 step;

	ft = flow_table_new(16);
	for (step = 0; step < 20000; step++, now++) {
		uint32_t	 r = rnd(&seed);

		if (r % 50 == 0) {
			uint64_t idle = rnd(&seed) % 64;
			size_t	 gone = 0;

			for (i = 0; i < nm;) {
				if (now - m[i].last > idle) {
					m[i] = m[--nm];
					gone++;
				} else
					i++;
			}
			ck_assert_uint_eq(flow_expire(ft, now, idle), gone);
		} else {
			struct ipv4_info p = esp("10.0.0.1", "10.0.0.2",
			    rnd(&seed) % 40);
			const struct flow *f = flow_update(ft, &p, 1, now);

			for (i = 0; i < nm && m[i].spi != p.spi; i++)
				;
			if (i == nm) {
				if (nm == 16) {
					for (lru = 0, j = 1; j < nm; j++)
						if (m[j].last < m[lru].last)
							lru = j;
					m[lru] = m[--nm];
					evictions++;
				}
				i = nm++;
				m[i].spi = p.spi;
				m[i].packets = 0;
			}
			m[i].packets++;
			m[i].last = now;
			ck_assert_uint_eq(f->packets, m[i].packets);
		}
		ck_assert_uint_eq(flow_count(ft), nm);
		ck_assert_uint_eq(flow_evictions(ft), evictions);
	}
	/* Every model flow is in the table with the same counters. */
	for (i = 0; i < nm; i++) {
		const struct flow *f;

		for (j = 0; (f = flow_at(ft, j)) != NULL; j++)
			if (f->key.spi == m[i].spi)
				break;
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(f->packets, m[i].packets);
		ck_assert_uint_eq(f->last_us, m[i].last);
	}
}
END_TEST

static Suite *
flow_suite(void)
{
	Suite	*s = suite_create("flow");
	struct {
		const char	*name;
		const TTest	*fn;
	} cases[] = {
		{ "ike_conversation_counted_once",
		    ike_conversation_counted_once },
		{ "ike_flows_keyed_by_ports_and_direction",
		    ike_flows_keyed_by_ports_and_direction },
		{ "esp_keyed_by_spi", esp_keyed_by_spi },
		{ "esp_in_udp_keyed_by_spi_and_ports",
		    esp_in_udp_keyed_by_spi_and_ports },
		{ "later_fragments_fold_into_address_flow",
		    later_fragments_fold_into_address_flow },
		{ "icmp_and_other_keyed_by_addresses_and_ports",
		    icmp_and_other_keyed_by_addresses_and_ports },
		{ "full_table_evicts_least_recently_seen",
		    full_table_evicts_least_recently_seen },
		{ "capacity_one_table", capacity_one_table },
		{ "expire_removes_idle_flows", expire_removes_idle_flows },
		{ "iteration_visits_each_flow_once",
		    iteration_visits_each_flow_once },
		{ "random_operations_match_model",
		    random_operations_match_model },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase	*tc = tcase_create(cases[i].name);

		tcase_add_checked_fixture(tc, NULL, teardown);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(flow_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
