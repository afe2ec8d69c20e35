/* SPDX-License-Identifier: ISC */
/*
 * NAT-behaviour trials between neighbours (DESIGN.md step 2, RFC 5780
 * style, run over an up link): mapping and filtering trials from the
 * link's own socket, a binding-lifetime search on separate sockets beside
 * the link, classification by lib/nat.c, the result sent to the neighbour,
 * and the keepalive interval adapted to the measured lifetime.  Also the
 * responder side: answering a neighbour's probes.
 */
#ifndef PROXYD_PROBE_H
#define PROXYD_PROBE_H

#include <stdbool.h>
#include <time.h>

#include "nat.h"
#include "pkt.h"
#include "proxyd.h"

struct link;

#define PROBE_TRIALS		PKT_NAT_TRIALS
#define PROBE_REPLY_BUDGET	32	/* probe answers per link per second */
enum probe_trial {
	TRIAL_MAP_PRIMARY	= 0,
	TRIAL_MAP_ALT_PORT	= 1,
	TRIAL_MAP_ALT_ADDR	= 2,
	TRIAL_FILT_ALT_PORT	= 3,
	TRIAL_FILT_ALT_ADDR	= 4,
	TRIAL_FILT_THIRD	= 5,
};

/* Our measurement of our own NAT toward one neighbour. */
struct nat_view {
	bool			valid;
	struct nat_result	res;
	enum nat_outcome	trials[PROBE_TRIALS];
	struct nat_endpoint	mapped;		/* link socket as seen */
	bool			lifetime_lower_bound;	/* longer than measured */
	bool			lifetime_running;
	time_t			measured_at;	/* wall clock, for display */
};

/* The neighbour's measurement of its own NAT, as it sent it. */
struct nat_remote {
	bool			valid;
	struct pkt_nat_result	r;
	time_t			received_at;
};

struct probe;
struct probe_ctx;

int	probe_init(struct proxyd *);
void	probe_free(struct proxyd *);
/* Once a second: every link's answer budget is renewed. */
void	probe_tick(struct proxyd *);
/*
 * A link came up: its NAT state starts empty, our alternate endpoints are
 * sent to it (INFO), and the trials start in a second if trials is set.
 */
void	probe_link_up(struct link *, bool trials);
/* A link went down: its trials stop, its NAT state is freed. */
void	probe_link_down(struct link *);
/* Starts (or restarts) the trials on an up link after delay_ms. */
void	probe_start(struct link *, unsigned delay_ms);
/* Stops the trials and frees their sockets. */
void	probe_stop(struct link *);
/* Our measurement toward l's peer, or NULL (not up). */
const struct nat_view *probe_view(const struct link *);
/* The peer's measurement of its own NAT, or NULL (not up). */
const struct nat_remote *probe_remote(const struct link *);
/* Whether trials are running on l. */
bool	probe_running(const struct link *);
/* The link's NAT type, folded from both ends' measurements. */
enum nat_type probe_link_nat(const struct link *);
/*
 * A probe message received on link l through socket in from address from.
 * Handles INFO, PROBE_REQ (answering), PROBE_RESP, THIRD_REQ and
 * NAT_RESULT.
 */
void	probe_msg(struct link *l, const struct pkt_msg *, struct psock *in,
	    const struct ep *from);
/* An unauthenticated PKT_PROBE datagram (third-proxy filtering trial). */
void	probe_nonce(struct proxyd *, uint64_t nonce,
	    const struct ep *from);
const char *probe_trial_name(enum probe_trial);

#endif
