/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for lib/ipv6.c and lib/ipaddr.c.
 * Arbitrary bytes go through ipv6_parse; whatever parses must satisfy the
 * invariants the relay and flow table rely on, and the Packet Too Big
 * built for it must itself parse as ICMPv6 toward the packet's source and
 * be smaller than the packet.  The same bytes, as text, go through the
 * address and prefix parsers: what parses prints in a form that parses
 * back to the same value and prints the same again.  Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipaddr.h"
#include "ipv6.h"

#include "flags.h"

static const char *const flags[] = { "-max_len=65600", NULL };

int	LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	return 0;
}

static void
check_info(const struct ipv6_info *info, size_t size)
{
	unsigned fwd;

	if (size < IPV6_HDR_LEN || info->payload_len != size - IPV6_HDR_LEN)
		abort();
	if (info->l4_off < IPV6_HDR_LEN || info->l4_off > size)
		abort();
	if (info->n_ext > IPV6_EXT_MAX)
		abort();
	if (info->later_fragment && (!info->fragment || info->sport != 0 ||
	    info->dport != 0 || info->spi != 0 || info->ike_spi_i != 0))
		abort();
	if (info->spi != 0 && info->cls != IPV6_ESP &&
	    info->cls != IPV6_ESP_UDP)
		abort();
	if (info->ike_spi_i != 0 && info->cls != IPV6_IKE)
		abort();
	if (info->cls == IPV6_ESP_UDP && (info->proto != IPV6_NH_UDP ||
	    (info->sport != 4500 && info->dport != 4500) || info->spi == 0))
		abort();
	if (info->cls == IPV6_ESP && info->proto != IPV6_NH_ESP)
		abort();
	if (info->cls == IPV6_IKE && info->proto != IPV6_NH_UDP)
		abort();
	if (info->cls == IPV6_ICMP && info->proto != IPV6_NH_ICMPV6)
		abort();
	/* the walk never stops on a header it knows how to walk */
	if (!info->later_fragment && (info->proto == IPV6_NH_HOPOPTS ||
	    info->proto == IPV6_NH_ROUTING || info->proto == IPV6_NH_DSTOPTS ||
	    info->proto == IPV6_NH_FRAGMENT))
		abort();
	for (fwd = 0; fwd < 16; fwd++)
		(void)ipv6_policy_allows(info, fwd);
	if (ipv6_policy_allows(info, 0) || !ipv6_policy_allows(info, 15))
		abort();
	if (ipv6_class_name(info->cls) == NULL)
		abort();
}

static void
check_ptb(const uint8_t *data, size_t size, const struct ipv6_info *info)
{
	static uint8_t out[IPV6_MIN_MTU];
	struct ipv6_info pi;
	struct in6_addr me;
	const char *why;
	int n;

	memset(&me, 0, sizeof(me));
	me.s6_addr[0] = 0xfd;
	me.s6_addr[15] = 1;
	n = ipv6_build_ptb(out, sizeof(out), &me, data, size, info,
	    IPV6_MIN_MTU);
	if (n == -1)
		return;
	if (n < IPV6_HDR_LEN + 8 || (size_t)n >= size || n > IPV6_MIN_MTU)
		abort();
	if (ipv6_parse(out, (size_t)n, &pi, &why) == -1)
		abort();
	if (pi.cls != IPV6_ICMP || pi.icmp_type != 2 ||
	    memcmp(&pi.dst, &info->src, 16) != 0)
		abort();
	/* and no Packet Too Big answers a Packet Too Big */
	if (ipv6_build_ptb(out, sizeof(out), &me, out, (size_t)n, &pi,
	    IPV6_MIN_MTU) != -1)
		abort();
}

static void
check_text(const uint8_t *data, size_t size)
{
	char s[128], p1[IPPREFIX_STRLEN], p2[IPPREFIX_STRLEN];
	struct ipprefix p, q;
	struct ipaddr a, b;
	const char *why;

	if (size >= sizeof(s))
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ipaddr_parse(s, &a) == 0) {
		ipaddr_str(&a, p1, sizeof(p1));
		if (ipaddr_parse(p1, &b) == -1 || !ipaddr_eq(&a, &b))
			abort();
		if (strcmp(ipaddr_str(&b, p2, sizeof(p2)), p1) != 0)
			abort();
	}
	if (ipprefix_parse(s, &p, &why) == 0) {
		ipprefix_str(&p, p1, sizeof(p1));
		if (ipprefix_parse(p1, &q, &why) == -1 ||
		    !ipaddr_eq(&p.addr, &q.addr) || p.plen != q.plen)
			abort();
		if (!ipprefix_contains(&p, &p.addr) ||
		    !ipprefix_overlaps(&p, &q))
			abort();
	} else if (why == NULL)
		abort();
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipv6_info info;
	const char *why = NULL;

	check_text(data, size);
	if (ipv6_parse(data, size, &info, &why) == -1) {
		if (why == NULL)
			abort();
		return 0;
	}
	check_info(&info, size);
	check_ptb(data, size, &info);
	return 0;
}
