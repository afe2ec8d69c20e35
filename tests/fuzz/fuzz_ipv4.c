/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for lib/ipv4.c: arbitrary bytes go
 * through ipv4_parse, and whatever parses must satisfy the invariants the
 * relay and flow table rely on.  Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>

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
