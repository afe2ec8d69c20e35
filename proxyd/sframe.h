/* SPDX-License-Identifier: ISC */
/*
 * Frames on a byte stream: the framing of TCP links.  Inside the TLS
 * stream every message is a u16 big-endian length and that many bytes, the
 * bytes a UDP link would carry in one datagram (a sealed packet).  This
 * file only cuts a stream into frames, in one bounded buffer per
 * connection: no sockets, no TLS, no allocation, so it is fuzzed alone
 * (tests/fuzz/fuzz_stream.c).
 */
#ifndef PROXYD_SFRAME_H
#define PROXYD_SFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SFRAME_HDR_LEN	2
#define SFRAME_MAX	65535		/* the largest UDP payload fits */

struct sframe {
	uint8_t		*buf;		/* SFRAME_HDR_LEN + max bytes */
	size_t		 cap;
	size_t		 off;		/* first byte not consumed */
	size_t		 have;		/* bytes in buf */
	size_t		 min, max;	/* a frame's length, inclusive */
	bool		 bad;		/* a malformed length was seen */
};

/*
 * Cuts frames of min..max bytes (max <= SFRAME_MAX) out of the bytes put
 * into buf (cap > SFRAME_HDR_LEN; max is lowered to fit it), which the
 * caller owns.
 */
void	 sframe_init(struct sframe *, uint8_t *buf, size_t cap, size_t min,
	    size_t max);
/*
 * Where the next bytes of the stream go (*room of them; never 0 while the
 * parser is not in error and every whole frame was taken: a whole frame
 * always fits).
 */
uint8_t	*sframe_space(struct sframe *, size_t *room);
/* n bytes (<= the room given) were written there. */
void	 sframe_filled(struct sframe *, size_t n);
/*
 * The next whole frame: 1 with *frame (writable, inside buf, valid until
 * the next sframe_space()) and *len; 0 if more bytes are needed; -1 if
 * the stream is malformed (a length outside min..max): the connection
 * must go, and the parser stays in error.
 */
int	 sframe_next(struct sframe *, uint8_t **frame, size_t *len);
/* Writes the header of a frame of len bytes (<= SFRAME_MAX). */
void	 sframe_hdr(uint8_t hdr[SFRAME_HDR_LEN], size_t len);

#endif
