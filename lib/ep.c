/* SPDX-License-Identifier: ISC */
/*
 * Transport endpoints of either family (lib/ep.h): conversions, text and
 * the wire codec.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ep.h"
#include "ipaddr.h"

struct ep
ep_v4(struct in_addr addr, uint16_t port)
{
	struct ep e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	e.a.v4 = addr;
	e.port = port;
	return e;
}

struct ep
ep_v6(const struct in6_addr *addr, uint16_t port)
{
	struct ep e;

	memset(&e, 0, sizeof(e));
	e.family = AF_INET6;
	e.a.v6 = *addr;
	e.port = port;
	return e;
}

struct ep
ep_any(int family, uint16_t port)
{
	struct ep e;

	memset(&e, 0, sizeof(e));
	if (family == AF_INET || family == AF_INET6)
		e.family = (uint8_t)family;
	e.port = port;
	return e;
}

int
ep_from_sa(struct ep *e, const struct sockaddr *sa, socklen_t len)
{
	memset(e, 0, sizeof(*e));
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *sin = (const void *)sa;

		*e = ep_v4(sin->sin_addr, ntohs(sin->sin_port));
		return 0;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			struct in_addr a;

			memcpy(&a, &s6->sin6_addr.s6_addr[12], 4);
			*e = ep_v4(a, ntohs(s6->sin6_port));
		} else
			*e = ep_v6(&s6->sin6_addr, ntohs(s6->sin6_port));
		return 0;
	}
	return -1;
}

socklen_t
ep_to_sa(const struct ep *e, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (e->family == AF_INET) {
		struct sockaddr_in *sin = (void *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = e->a.v4;
		sin->sin_port = htons(e->port);
		return sizeof(*sin);
	}
	if (e->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = e->a.v6;
		s6->sin6_port = htons(e->port);
		return sizeof(*s6);
	}
	return 0;
}

bool
ep_is_set(const struct ep *e)
{
	return e->family == AF_INET || e->family == AF_INET6;
}

bool
ep_is_any(const struct ep *e)
{
	if (e->family == AF_INET)
		return e->a.v4.s_addr == htonl(INADDR_ANY);
	if (e->family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&e->a.v6);
	return false;
}

bool
ep_addr_eq(const struct ep *x, const struct ep *y)
{
	if (x->family != y->family)
		return false;
	if (x->family == AF_INET)
		return x->a.v4.s_addr == y->a.v4.s_addr;
	if (x->family == AF_INET6)
		return memcmp(&x->a.v6, &y->a.v6, sizeof(x->a.v6)) == 0;
	return true;
}

bool
ep_eq(const struct ep *x, const struct ep *y)
{
	return ep_addr_eq(x, y) && (!ep_is_set(x) || x->port == y->port);
}

/* One RFC 5952 printer for every address proxyd shows: ipaddr_str(). */
const char *
ep_addr_fmt(const struct ep *e, char *buf, size_t len)
{
	struct ipaddr a = { 0 };

	if (len == 0)
		return buf;
	if (e->family == AF_INET)
		ipaddr_set4(&a, e->a.v4);
	else if (e->family == AF_INET6)
		ipaddr_set6(&a, &e->a.v6);
	if (a.af == 0 || !ep_is_set(e) ||
	    ipaddr_str(&a, buf, len)[0] == '\0')
		snprintf(buf, len, "-");
	return buf;
}

const char *
ep_fmt(const struct ep *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (len == 0)
		return buf;
	ep_addr_fmt(e, a, sizeof(a));
	if (e->family == AF_INET)
		snprintf(buf, len, "%s:%u", a, (unsigned)e->port);
	else if (e->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, (unsigned)e->port);
	else
		snprintf(buf, len, "-");
	return buf;
}

int
ep_parse_addr(const char *s, struct ep *e)
{
	struct ipaddr a;

	memset(e, 0, sizeof(*e));
	if (ipaddr_parse(s, &a) == -1)
		return -1;
	*e = a.af == AF_INET ? ep_v4(a.u.v4, 0) : ep_v6(&a.u.v6, 0);
	return 0;
}

int
ep_parse(const char *s, struct ep *e)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *colon, *port, *end;
	size_t hl;
	char *pend;
	unsigned long p;

	memset(e, 0, sizeof(*e));
	if (s == NULL)
		return -1;
	if (s[0] == '[') {
		if ((end = strchr(s, ']')) == NULL || end[1] != ':')
			return -1;
		hl = (size_t)(end - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		port = end + 2;
		if (ep_parse_addr(host, e) == -1 || e->family != AF_INET6)
			goto fail;
	} else {
		if ((colon = strrchr(s, ':')) == NULL ||
		    strchr(s, ':') != colon)
			return -1;
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		port = colon + 1;
		if (ep_parse_addr(host, e) == -1 || e->family != AF_INET)
			goto fail;
	}
	if (*port < '0' || *port > '9')
		goto fail;
	p = strtoul(port, &pend, 10);
	if (*pend != '\0' || p == 0 || p > 65535)
		goto fail;
	e->port = (uint16_t)p;
	return 0;
fail:
	memset(e, 0, sizeof(*e));
	return -1;
}

bool
ep_wire_ok(const struct ep *e)
{
	if (e->family == 0)
		return true;
	return ep_is_set(e) && e->port != 0 && !ep_is_any(e);
}

size_t
ep_wire_len(const struct ep *e)
{
	if (e->family == AF_INET)
		return 1 + 4 + 2;
	if (e->family == AF_INET6)
		return 1 + 16 + 2;
	return 1;
}

void
ep_wr(struct buf_wr *w, const struct ep *e)
{
	if (e->family == AF_INET) {
		wr_u8(w, 4);
		wr_bytes(w, &e->a.v4, 4);
		wr_u16be(w, e->port);
	} else if (e->family == AF_INET6) {
		wr_u8(w, 6);
		wr_bytes(w, &e->a.v6, 16);
		wr_u16be(w, e->port);
	} else
		wr_u8(w, 0);
}

void
ep_rd(struct buf_rd *r, struct ep *e)
{
	uint8_t fam;

	memset(e, 0, sizeof(*e));
	fam = rd_u8(r);
	if (r->err != NULL || fam == 0)
		return;
	if (fam == 4) {
		e->family = AF_INET;
		rd_bytes(r, &e->a.v4, 4);
	} else if (fam == 6) {
		e->family = AF_INET6;
		rd_bytes(r, &e->a.v6, 16);
	} else {
		rd_fail(r, "endpoint: unknown address family");
		return;
	}
	e->port = rd_u16be(r);
	if (r->err == NULL && (e->port == 0 || ep_is_any(e)))
		rd_fail(r, "endpoint: zero address or port");
	if (r->err != NULL)
		memset(e, 0, sizeof(*e));
}
