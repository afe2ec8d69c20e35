/* SPDX-License-Identifier: ISC */
/*
 * This file owns the dual-family address and prefix type.  Parsing leans on
 * inet_pton (strict for both families); printing IPv6 is our own, so that
 * the text is RFC 5952's canonical form whatever the C library does with
 * the deprecated IPv4-compatible addresses.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipaddr.h"

unsigned
ipaddr_bits(int af)
{
	if (af == AF_INET)
		return 32;
	if (af == AF_INET6)
		return 128;
	return 0;
}

void
ipaddr_set4(struct ipaddr *a, struct in_addr v4)
{
	memset(a, 0, sizeof(*a));
	a->af = AF_INET;
	a->u.v4 = v4;
}

void
ipaddr_set6(struct ipaddr *a, const struct in6_addr *v6)
{
	memset(a, 0, sizeof(*a));
	a->af = AF_INET6;
	a->u.v6 = *v6;
}

/* The address bytes in network order, and how many. */
static const uint8_t *
bytes(const struct ipaddr *a, size_t *n)
{
	if (a->af == AF_INET) {
		*n = 4;
		return (const uint8_t *)&a->u.v4;
	}
	if (a->af == AF_INET6) {
		*n = 16;
		return a->u.v6.s6_addr;
	}
	*n = 0;
	return NULL;
}

unsigned
ipaddr_bit(const struct ipaddr *a, unsigned i)
{
	const uint8_t *b;
	size_t n;

	b = bytes(a, &n);
	if (i >= n * 8)
		return 0;
	return (b[i / 8] >> (7 - i % 8)) & 1;
}

int
ipaddr_parse(const char *s, struct ipaddr *a)
{
	memset(a, 0, sizeof(*a));
	if (s == NULL)
		return -1;
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, &a->u.v6) != 1)
			goto fail;
		a->af = AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, s, &a->u.v4) != 1)
		goto fail;
	a->af = AF_INET;
	return 0;
fail:
	memset(a, 0, sizeof(*a));
	return -1;
}

/*
 * RFC 5952 section 4: groups in lower-case hex without leading zeros; the
 * longest run of at least two zero groups (the first of equal runs) is
 * "::"; section 5: an IPv4-mapped address ends in a dotted quad.
 */
static void
str6(const struct in6_addr *v6, char *out, size_t len)
{
	const uint8_t *b = v6->s6_addr;
	uint16_t g[8];
	int i, best = -1, best_n = 0, run = -1, run_n = 0;
	size_t off = 0;
	bool mapped;

	for (i = 0; i < 8; i++)
		g[i] = (uint16_t)(b[2 * i] << 8 | b[2 * i + 1]);
	for (i = 0; i < 8; i++) {
		if (g[i] == 0) {
			if (run < 0)
				run = i, run_n = 0;
			run_n++;
			if (run_n > best_n)
				best = run, best_n = run_n;
		} else
			run = -1;
	}
	if (best_n < 2)
		best = -1;
	mapped = best == 0 && best_n == 5 && g[5] == 0xffff;
	for (i = 0; i < 8 && off < len; i++) {
		int w;

		if (i == best) {
			w = snprintf(out + off, len - off, "::");
			i += best_n - 1;
		} else if (mapped && i == 6) {
			w = snprintf(out + off, len - off, "%u.%u.%u.%u",
			    b[12], b[13], b[14], b[15]);
			i = 8;
		} else
			w = snprintf(out + off, len - off, "%x%s", g[i],
			    i < 7 && i + 1 != best ? ":" : "");
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

const char *
ipaddr_str(const struct ipaddr *a, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (a->af == AF_INET) {
		if (inet_ntop(AF_INET, &a->u.v4, buf, (socklen_t)len) == NULL)
			buf[0] = '\0';
	} else if (a->af == AF_INET6)
		str6(&a->u.v6, buf, len);
	else
		snprintf(buf, len, "?");
	return buf;
}

bool
ipaddr_eq(const struct ipaddr *a, const struct ipaddr *b)
{
	return ipaddr_cmp(a, b) == 0;
}

int
ipaddr_cmp(const struct ipaddr *a, const struct ipaddr *b)
{
	const uint8_t *pa, *pb;
	size_t na, nb;
	int c;

	if (a->af != b->af)
		return a->af == AF_INET ? -1 : b->af == AF_INET ? 1 :
		    a->af < b->af ? -1 : 1;
	pa = bytes(a, &na);
	pb = bytes(b, &nb);
	if (na == 0)
		return 0;
	c = memcmp(pa, pb, na);
	return c < 0 ? -1 : c > 0;
}

void
ipaddr_mask(struct ipaddr *a, uint8_t plen)
{
	uint8_t *b;
	size_t n, i;

	if (a->af == AF_INET)
		b = (uint8_t *)&a->u.v4, n = 4;
	else if (a->af == AF_INET6)
		b = a->u.v6.s6_addr, n = 16;
	else
		return;
	for (i = 0; i < n; i++) {
		if (plen >= (i + 1) * 8)
			continue;
		if (plen <= i * 8)
			b[i] = 0;
		else
			b[i] &= (uint8_t)(0xff << (8 - (plen - i * 8)));
	}
}

int
ipprefix_parse(const char *s, struct ipprefix *p, const char **why)
{
	char host[IPADDR_STRLEN + 1];
	const char *slash, *l;
	struct ipaddr m;
	unsigned long v = 0;

	memset(p, 0, sizeof(*p));
	if (s == NULL || (slash = strchr(s, '/')) == NULL) {
		*why = "missing prefix length";
		return -1;
	}
	if ((size_t)(slash - s) >= sizeof(host)) {
		*why = "not an address";
		return -1;
	}
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	if (ipaddr_parse(host, &p->addr) == -1) {
		*why = "not an address";
		return -1;
	}
	l = slash + 1;
	if (*l == '\0' || strlen(l) > 3)
		goto bad_len;
	for (; *l != '\0'; l++) {
		if (*l < '0' || *l > '9')
			goto bad_len;
		v = v * 10 + (unsigned long)(*l - '0');
	}
	if (v > ipaddr_bits(p->addr.af))
		goto bad_len;
	p->plen = (uint8_t)v;
	m = p->addr;
	ipaddr_mask(&m, p->plen);
	if (!ipaddr_eq(&m, &p->addr)) {
		*why = "host bits set";
		memset(p, 0, sizeof(*p));
		return -1;
	}
	return 0;
bad_len:
	*why = "bad prefix length";
	memset(p, 0, sizeof(*p));
	return -1;
}

const char *
ipprefix_str(const struct ipprefix *p, char *buf, size_t len)
{
	char a[IPADDR_STRLEN];

	if (len == 0)
		return buf;
	snprintf(buf, len, "%s/%u", ipaddr_str(&p->addr, a, sizeof(a)),
	    p->plen);
	return buf;
}

bool
ipprefix_contains(const struct ipprefix *p, const struct ipaddr *a)
{
	struct ipaddr m;

	if (p->addr.af != a->af || p->plen > ipaddr_bits(a->af))
		return false;
	m = *a;
	ipaddr_mask(&m, p->plen);
	return ipaddr_eq(&m, &p->addr);
}

bool
ipprefix_overlaps(const struct ipprefix *a, const struct ipprefix *b)
{
	return a->plen <= b->plen ? ipprefix_contains(a, &b->addr) :
	    ipprefix_contains(b, &a->addr);
}
