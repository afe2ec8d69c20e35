/* SPDX-License-Identifier: ISC */
/*
 * An address or prefix of either family (IPv4 or IPv6): parsing, RFC 5952
 * printing (IPv6) and the containment tests the overlay needs for site
 * prefixes.  Pure code: no sockets, no logging.
 */
#ifndef PROXYD_IPADDR_H
#define PROXYD_IPADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* Longest text ipaddr_str() writes, with its NUL ("ffff:...:255.255.255.255"). */
#define IPADDR_STRLEN		46
/* The same for ipprefix_str() ("/128" added). */
#define IPPREFIX_STRLEN		(IPADDR_STRLEN + 4)

struct ipaddr {
	uint8_t		af;		/* AF_INET or AF_INET6; 0: none */
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} u;
};

struct ipprefix {
	struct ipaddr	addr;		/* host bits zero */
	uint8_t		plen;		/* 0-32 (AF_INET) or 0-128 (AF_INET6) */
};

/* Address bits of af: 32, 128, or 0 for anything else. */
unsigned	 ipaddr_bits(int af);
void		 ipaddr_set4(struct ipaddr *, struct in_addr);
void		 ipaddr_set6(struct ipaddr *, const struct in6_addr *);
/* Bit i (0: the most significant) of a; 0 beyond the family's width. */
unsigned	 ipaddr_bit(const struct ipaddr *, unsigned i);
/*
 * Parses an IPv4 dotted quad or an IPv6 literal (any RFC 4291 form,
 * including an embedded dotted quad; no zone, no brackets).  Returns 0, or
 * -1 leaving *a zeroed.
 */
int		 ipaddr_parse(const char *, struct ipaddr *);
/*
 * Formats a into buf: IPv4 dotted; IPv6 in RFC 5952 form (lower case, no
 * leading zeros, the first longest run of two or more zero groups as "::",
 * IPv4-mapped as ::ffff:a.b.c.d).  "?" for no family.  Returns buf; buf
 * of at least IPADDR_STRLEN bytes never truncates.
 */
const char	*ipaddr_str(const struct ipaddr *, char *buf, size_t len);
/* Same family and bits. */
bool		 ipaddr_eq(const struct ipaddr *, const struct ipaddr *);
/* Total order: family first (IPv4 before IPv6), then bits. */
int		 ipaddr_cmp(const struct ipaddr *, const struct ipaddr *);

/*
 * Parses "ADDR/LEN" (LEN required, decimal, no sign, within the family's
 * width) and requires the host bits to be zero.  Returns 0, or -1 with
 * *why set ("not an address", "bad prefix length", "host bits set").
 */
int		 ipprefix_parse(const char *, struct ipprefix *,
		    const char **why);
/* "ADDR/LEN" as ipaddr_str() writes ADDR; buf >= IPPREFIX_STRLEN. */
const char	*ipprefix_str(const struct ipprefix *, char *buf, size_t len);
/* Clears a's bits beyond plen (in place). */
void		 ipaddr_mask(struct ipaddr *, uint8_t plen);
/* Whether p holds a (false across families). */
bool		 ipprefix_contains(const struct ipprefix *,
		    const struct ipaddr *);
/* Whether a and b share an address (one holds the other). */
bool		 ipprefix_overlaps(const struct ipprefix *,
		    const struct ipprefix *);

#endif
