/* SPDX-License-Identifier: ISC */
/*
 * The difference between two loaded configurations, for a live reload:
 * which keys cannot change while proxyd runs (the reload is refused,
 * naming them), and what the daemon has to do for the rest (neighbours
 * added, removed, kept; prefixes, forwarding policy, keepalive bounds,
 * log level, TLS files).  Pure: nothing is opened and nothing logged;
 * proxyd/reload.c applies the result.
 */
#ifndef PROXYD_CONFDIFF_H
#define PROXYD_CONFDIFF_H

#include <stddef.h>

#include "conf.h"

enum conf_change {
	CONF_CH_FIXED,		/* a key that cannot change live: refused */
	CONF_CH_NB_KEEP,	/* neighbour old_i is new_i, unchanged */
	CONF_CH_NB_DEL,		/* neighbour old_i is gone */
	CONF_CH_NB_ADD,		/* neighbour new_i is new */
	CONF_CH_NB_MOVE,	/* neighbour old_i is new_i at another */
				/* host or port: closed, dialled anew */
	CONF_CH_PREFIXES,	/* re-advertised */
	CONF_CH_PUBLIC,		/* re-advertised */
	CONF_CH_FORWARD,
	CONF_CH_KEEPALIVE,
	CONF_CH_LOG,
	CONF_CH_TLS,		/* file names or strict_perms changed */
	CONF_CH_TOPOLOGY,	/* tls.require_prefixes or topology limits */
	CONF_CH_REKEY,		/* rekey.time: from each link's next check */
};

struct conf_change_item {
	enum conf_change kind;
	size_t		 old_i, new_i;	/* neighbour indexes, where used */
	char		 text[384];	/* for people; FIXED: FILE:LINE: ... */
};

struct conf_diff {
	struct conf_change_item *v;	/* FIXED first, then the rest */
	size_t		 n;
	size_t		 n_fixed;	/* > 0: the reload must be refused */
	size_t		 n_changed;	/* items other than FIXED and KEEP */
};

/*
 * Compares the running configuration a with the new one b (both loaded
 * and validated by conf_load()).  Neighbours are matched by name, in
 * O(n log n).  Each FIXED item's text says "FILE:LINE: 'key' ..." with
 * the line of b that sets the key (or b's file when b leaves it to its
 * default).  0, or -1 if out of memory (d is then empty).  The caller
 * frees d with conf_diff_release().
 */
int	conf_diff(const struct conf *a, const struct conf *b,
	    struct conf_diff *d);
void	conf_diff_release(struct conf_diff *);
const char *conf_change_name(enum conf_change);

#endif
