/* SPDX-License-Identifier: ISC */
/*
 * A transport endpoint: an IPv4 or IPv6 address and a UDP port.  The one
 * type the underlay (sockets, links, NAT trials, punches, the endpoints
 * messages carry) uses for "where", so no code above the socket calls
 * knows the family.  Conversions to and from socket addresses, comparison,
 * text in RFC 5952 form ("192.0.2.1:4795", "[2001:db8::1]:4795"), parsing,
 * and the wire codec.  Pure code: no sockets, no logging.
 */
#ifndef PROXYD_EP_H
#define PROXYD_EP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "buf.h"

struct ep {
	uint8_t		family;		/* AF_INET, AF_INET6; 0: none */
	uint16_t	port;		/* host byte order */
	union {
		struct in_addr	v4;
		struct in6_addr	v6;
	} a;
};

/* Longest ep_fmt() text, NUL included: "[" v6 "]:" port. */
#define EP_STRLEN	(46 + 8)

/* An IPv4 endpoint (addr in network byte order, port in host order). */
struct ep	 ep_v4(struct in_addr addr, uint16_t port);
/* An IPv6 endpoint. */
struct ep	 ep_v6(const struct in6_addr *addr, uint16_t port);
/* The unspecified address of a family (0.0.0.0 or ::) and a port. */
struct ep	 ep_any(int family, uint16_t port);

/*
 * From a socket address (AF_INET or AF_INET6 of at least its size); an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes the IPv4 endpoint, so
 * one peer never has two spellings.  0, or -1 for any other family or a
 * short length (*e is then zeroed).
 */
int		 ep_from_sa(struct ep *, const struct sockaddr *, socklen_t);
/* To a socket address; returns its length, 0 if e has no family. */
socklen_t	 ep_to_sa(const struct ep *, struct sockaddr_storage *);

/* Whether e holds an address (family set). */
bool		 ep_is_set(const struct ep *);
/* Whether e's address is the unspecified one (0.0.0.0 or ::). */
bool		 ep_is_any(const struct ep *);
/* Same family, address and port; two unset endpoints are equal. */
bool		 ep_eq(const struct ep *, const struct ep *);
/* Same family and address, port not compared. */
bool		 ep_addr_eq(const struct ep *, const struct ep *);

/*
 * "A.B.C.D:PORT" or "[V6]:PORT" (RFC 5952: lower case, longest zero run
 * compressed), "-" when unset; writes at most len bytes (EP_STRLEN is
 * enough) and returns buf.
 */
const char	*ep_fmt(const struct ep *, char *buf, size_t len);
/* The address alone, no brackets ("-" when unset); returns buf. */
const char	*ep_addr_fmt(const struct ep *, char *buf, size_t len);

/*
 * Parses an address literal, IPv4 dotted quad or IPv6 (no brackets, no
 * zone), into *e with port 0.  0 or -1.
 */
int		 ep_parse_addr(const char *, struct ep *);
/*
 * Parses "A.B.C.D:PORT" or "[V6]:PORT" (port 1-65535).  0 or -1.
 */
int		 ep_parse(const char *, struct ep *);

/*
 * Wire form: u8 family (0 none, 4 IPv4, 6 IPv6), then for 4: u32 address,
 * for 6: 16 address bytes, then (4, 6) u16 port.  A set endpoint has a
 * non-zero port and a specified address; ep_rd fails on anything else
 * (unknown family code, truncation, zero port or address) and leaves *e
 * zeroed on failure.
 */
void		 ep_wr(struct buf_wr *, const struct ep *);
void		 ep_rd(struct buf_rd *, struct ep *);
/* Whether ep_rd would take what ep_wr writes for e (unset, or fully set). */
bool		 ep_wire_ok(const struct ep *);
/* Bytes ep_wr writes for e: 1, 7 or 19. */
size_t		 ep_wire_len(const struct ep *);

#endif
