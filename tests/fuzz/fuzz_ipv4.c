/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for lib/ipv4.c: arbitrary bytes go
 * through ipv4_parse, and whatever parses must satisfy the invariants the
 * relay and flow table rely on.  Any violation aborts.  The same bytes go
 * through ip_tcp_mss_clamp (IPv4 or IPv6, parsed or not): it may change at
 * most the MSS value and the TCP checksum, and a second pass nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipv4.h"

#include "flags.h"

/* the largest legal input: a 64 KiB datagram, packet or control line */
static const char *const flags[] = { "-max_len=65600", NULL };

int	LLVMFuzzerInitialize(int *, char ***);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	return 0;
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipv4_info info;
	const char *why = NULL;
	unsigned fwd;

	if (size > 0 && size <= 65535) {
		uint8_t *c = malloc(size);
		size_t diff = 0, max = size > 2 ? (size_t)data[size - 1] *
		    (size_t)data[size - 2] : 1500;
		int rc;

		if (c == NULL)
			abort();
		memcpy(c, data, size);
		rc = ip_tcp_mss_clamp(c, size, max);
		for (size_t i = 0; i < size; i++)
			diff += c[i] != data[i];
		if ((rc == 0 && diff != 0) || (rc == 1 && diff > 4) ||
		    ip_tcp_mss_clamp(c, size, max) != 0)
			abort();
		free(c);
	}
	if (ipv4_parse(data, size, &info, &why) == -1) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (info.total_len != size || size < 20)
		abort();
	if (info.later_fragment && (!info.fragment || info.sport != 0 ||
	    info.dport != 0 || info.spi != 0 || info.ike_spi_i != 0))
		abort();
	if (info.spi != 0 && info.cls != IPV4_ESP && info.cls != IPV4_ESP_UDP)
		abort();
	if (info.ike_spi_i != 0 && info.cls != IPV4_IKE)
		abort();
	if (info.cls == IPV4_ESP_UDP && (info.proto != 17 ||
	    (info.sport != 4500 && info.dport != 4500) || info.spi == 0))
		abort();
	if (info.cls == IPV4_ESP && info.proto != 50)
		abort();
	if (info.cls == IPV4_IKE && info.proto != 17)
		abort();
	if (ipv4_class_name(info.cls) == NULL)
		abort();
	/* Nothing passes an empty policy; everything passes all bits. */
	for (fwd = 0; fwd < 16; fwd++)
		(void)ipv4_policy_allows(&info, fwd);
	if (ipv4_policy_allows(&info, 0) || !ipv4_policy_allows(&info, 15))
		abort();
	return 0;
}
