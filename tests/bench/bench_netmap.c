/* SPDX-License-Identifier: ISC */
/*
 * This file owns the benchmark of lib/netmap.c: the cost per packet of the
 * alias translation, against a baseline loop in the same run.  Each loop
 * restores the packet's first 64 bytes from a template (all that a
 * translation touches), so every iteration translates the same packet;
 * the baseline does only that restore.  Translation cost = loop - baseline.
 * A full copy of the packet (what the data path avoids) is shown beside.
 * Each figure is the median of RUNS runs of ITERS packets, in CPU time
 * (the thread's, so that other load on the machine counts less).
 *
 *   make bench-netmap    (or tests/bench/bench_netmap [ITERS [RUNS]])
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include "netmap.h"

#define PKT_LEN		1400	/* a full-size ESP-in-UDP packet on the TUN */
#define HDR		64

static volatile uint8_t sink;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	/* CPU time: on a loaded machine wall time counts other processes */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
csum(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* IPv4 src -> dst, protocol proto, len bytes, checksums right. */
static void
build(uint8_t *ip, size_t len, uint8_t proto, const char *src,
    const char *dst)
{
	struct in_addr s, d;
	uint32_t ps;

	memset(ip, 0, len);
	inet_pton(AF_INET, src, &s);
	inet_pton(AF_INET, dst, &d);
	ip[0] = 0x45;
	wr16(ip + 2, (uint16_t)len);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	wr16(ip + 10, csum(ip, 20, 0));
	for (size_t i = 28; i < len; i++)
		ip[i] = (uint8_t)(i * 31);
	if (proto == 17) {
		wr16(ip + 20, 4500);
		wr16(ip + 22, 4500);
		wr16(ip + 24, (uint16_t)(len - 20));
		ps = (uint32_t)(ip[12] << 8 | ip[13]) + (uint32_t)(ip[14] << 8 |
		    ip[15]) + (uint32_t)(ip[16] << 8 | ip[17]) +
		    (uint32_t)(ip[18] << 8 | ip[19]) + 17 + (uint32_t)(len - 20);
		wr16(ip + 26, csum(ip + 20, len - 20, ps));
	} else if (proto == 1) {	/* fragmentation needed, quoting UDP */
		ip[20] = 3;
		ip[21] = 4;
		wr16(ip + 26, 1300);
		build(ip + 28, 48, 17, "10.201.1.2", "10.201.2.2");
		wr16(ip + 22, csum(ip + 20, len - 20, 0));
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

enum loop { L_RESTORE, L_COPY, L_XLAT };

/* Nanoseconds per packet, median of runs. */
static double
measure(const struct netmap *nm, enum netmap_dir dir, enum loop what,
    const uint8_t *tmpl, size_t len, size_t iters, int runs)
{
	static uint8_t pkt[PKT_LEN];
	uint64_t t[64];
	int r;

	for (r = 0; r < runs; r++) {
		uint64_t t0 = now_ns();

		for (size_t i = 0; i < iters; i++) {
			if (what == L_COPY) {
				memcpy(pkt, tmpl, len);
			} else {
				memcpy(pkt, tmpl, HDR);
				if (what == L_XLAT)
					(void)netmap_translate(nm, dir, pkt,
					    len, NULL);
			}
			sink ^= pkt[11] ^ pkt[27];
			__asm__ volatile("" ::: "memory");
		}
		t[r] = now_ns() - t0;
	}
	qsort(t, (size_t)runs, sizeof(t[0]), cmp_u64);
	return (double)t[runs / 2] / (double)iters;
}

int
main(int argc, char **argv)
{
	struct netmap nm;
	struct in_addr real, alias;
	static uint8_t out[PKT_LEN], in[PKT_LEN], icmp[76], tmp[PKT_LEN];
	size_t iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	int runs = argc > 2 ? atoi(argv[2]) : 15;
	double base, b_icmp, copy, x_out, x_in, x_icmp;

	if (runs < 1 || runs > 64 || iters == 0)
		return 2;
	netmap_init(&nm);
	inet_pton(AF_INET, "192.168.1.0", &real);
	inet_pton(AF_INET, "10.201.1.0", &alias);
	if (netmap_add(&nm, real, alias, 24) == -1)
		return 1;
	build(out, PKT_LEN, 17, "192.168.1.2", "10.201.2.2");
	build(in, PKT_LEN, 17, "10.201.2.2", "10.201.1.2");
	build(icmp, sizeof(icmp), 1, "198.51.100.1", "10.201.1.2");
	/* the packets measured are ones that get translated */
	memcpy(tmp, out, PKT_LEN);
	if (netmap_translate(&nm, NETMAP_OUT, tmp, PKT_LEN, NULL) !=
	    NETMAP_DONE)
		return 1;
	memcpy(tmp, icmp, sizeof(icmp));
	if (netmap_translate(&nm, NETMAP_IN, tmp, sizeof(icmp), NULL) !=
	    NETMAP_DONE)
		return 1;

	base = measure(&nm, NETMAP_OUT, L_RESTORE, out, PKT_LEN, iters, runs);
	copy = measure(&nm, NETMAP_OUT, L_COPY, out, PKT_LEN, iters, runs);
	x_out = measure(&nm, NETMAP_OUT, L_XLAT, out, PKT_LEN, iters, runs);
	x_in = measure(&nm, NETMAP_IN, L_XLAT, in, PKT_LEN, iters, runs);
	b_icmp = measure(&nm, NETMAP_IN, L_RESTORE, icmp, sizeof(icmp), iters,
	    runs);
	x_icmp = measure(&nm, NETMAP_IN, L_XLAT, icmp, sizeof(icmp), iters,
	    runs);
	printf("netmap: %zu packets x %d runs, medians, ns/packet\n", iters,
	    runs);
	printf("  baseline (restore 64 B, no translation)  %6.2f\n", base);
	printf("  full copy of a %d-byte packet          %6.2f  (the copy "
	    "the data path does not make)\n", PKT_LEN, copy);
	printf("  UDP 4500, source real->alias (out)       %6.2f  => %.2f "
	    "ns for the translation\n", x_out, x_out - base);
	printf("  UDP 4500, destination alias->real (in)   %6.2f  => %.2f "
	    "ns for the translation\n", x_in, x_in - base);
	printf("  ICMP frag-needed with embedded UDP (in)  %6.2f  => %.2f "
	    "ns for the translation\n", x_icmp, x_icmp - b_icmp);
	return 0;
}
