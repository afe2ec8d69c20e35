/* SPDX-License-Identifier: ISC */
/*
 * NAT-behaviour classification (DESIGN.md step 2): the observations of one
 * trial run between two neighbours go in, the mapping and filtering
 * behaviour (RFC 4787 terms), the NAT type by the highest-match rule, and a
 * sentence naming every assumption come out.  Also the path fold used by
 * connection requests and the keepalive interval derived from a measured
 * binding lifetime.  Pure code: no sockets, no clock, no logging, no state.
 */
#ifndef PROXYD_NAT_H
#define PROXYD_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "ep.h"

/* Size of nat_result.assumed, NUL included. */
#define NAT_ASSUMED_MAX	160

/*
 * Outcome of one filtering or hairpin trial.  A trial that could not be run
 * is UNTESTED; the caller keeps the reason.
 */
enum nat_outcome {
	NAT_UNTESTED = 0,
	NAT_RECEIVED,
	NAT_NOT_RECEIVED,
};

/* Mapping or filtering behaviour (RFC 4787 section 4.1 and 5). */
enum nat_behaviour {
	NAT_BEH_UNKNOWN = 0,
	NAT_BEH_NONE,		/* no translation at all: open */
	NAT_BEH_EI,		/* endpoint-independent */
	NAT_BEH_AD,		/* address-dependent */
	NAT_BEH_APD,		/* address-and-port-dependent */
};

/*
 * NAT types, numerically ordered from most open to most restrictive, so
 * that the more restrictive of two is the larger value.  UNKNOWN (nothing
 * measured) comes last: for the path fold it is the most restrictive.
 * Zero is deliberately not a type: a zeroed struct must never read as
 * "open"; every function here treats a value outside the enum as UNKNOWN.
 */
enum nat_type {
	NAT_TYPE_OPEN = 1,
	NAT_TYPE_FULL_CONE,
	NAT_TYPE_RESTRICTED,
	NAT_TYPE_PORT_RESTRICTED,
	NAT_TYPE_SYMMETRIC,
	NAT_TYPE_UNKNOWN,
};

/* An address and port of either family (IPv4 or IPv6, lib/ep.h). */
struct nat_endpoint {
	struct ep	ep;
	bool		valid;		/* false: unanswered or not run */
};

/*
 * What one proxy observed in one trial run toward one neighbour.  A mapped
 * endpoint is the address and port the neighbour saw our probe come from:
 * at its primary address and port, at its alternate port (same address),
 * and at its alternate address (primary port).  The filtering outcomes say
 * whether an answer reached our mapping when sent from the neighbour's
 * alternate port, from its alternate address, or by a third proxy.
 */
struct nat_obs {
	struct nat_endpoint	local;	/* our probing socket */
	struct nat_endpoint	mapped_primary;
	struct nat_endpoint	mapped_alt_port;
	struct nat_endpoint	mapped_alt_addr;
	/* whether the neighbour has an alternate port / address at all */
	bool			alt_port_available;
	bool			alt_addr_available;
	enum nat_outcome	filt_alt_port;
	enum nat_outcome	filt_alt_addr;
	enum nat_outcome	filt_third;
	uint32_t		lifetime_s;	/* binding, 0: unknown */
	enum nat_outcome	hairpin;
};

struct nat_result {
	enum nat_behaviour	mapping;
	enum nat_behaviour	filtering;
	enum nat_type		type;
	bool			port_preserved;
	bool			port_preserved_known;
	uint32_t		lifetime_s;	/* copied, 0: unknown */
	enum nat_outcome	hairpin;	/* copied */
	/*
	 * What was untested and what the result assumed because of it, as
	 * "; "-separated clauses, e.g. "alternate address untested:
	 * address-dependent mapping not ruled out".  Empty when mapping and
	 * filtering were fully tested.  Lifetime and hairpin are not
	 * repeated here: 0 and NAT_UNTESTED already say "untested".
	 */
	char			assumed[NAT_ASSUMED_MAX];
};

/*
 * Classifies one trial run.  Fills every field of *res from *obs alone; the
 * rules are documented above nat_classify() in nat.c.  Never fails; may be
 * called from any context (no allocation, no global state).
 */
void		 nat_classify(const struct nat_obs *, struct nat_result *);

/*
 * The highest-adaptation rule for a path: returns the more restrictive of
 * a and b.  UNKNOWN is more restrictive than SYMMETRIC (nothing is known,
 * so nothing may be assumed); a value outside the enum counts as UNKNOWN.
 */
enum nat_type	 nat_path_fold(enum nat_type a, enum nat_type b);

/*
 * Keepalive interval in seconds for a binding of lifetime_s seconds: half
 * the lifetime (rounded down, at least 1) as a safety margin, clamped to
 * [min_s, max_s].  An unknown lifetime (0) gives min_s, the shortest
 * interval allowed.  If min_s > max_s (configuration validation should
 * prevent it) the result is min_s.
 */
int		 nat_keepalive_interval(uint32_t lifetime_s, int min_s,
		    int max_s);

/*
 * Whether two proxies whose own NATs are of types a and b can make a
 * direct hole-punched link (the feasibility matrix; the argument for each
 * cell is above the function in nat.c).  Symmetric in a and b.  Writes
 * "TYPE-TYPE: reason" into why (if not NULL).
 */
bool		 nat_direct_feasible(enum nat_type a, enum nat_type b,
		    char *why, size_t len);

/*
 * Names for control output and configuration.  Each returns a static
 * string, "unknown" for a value outside the enum (nat_outcome_name
 * returns "untested" then, since that is what an unknown outcome means).
 */
const char	*nat_type_name(enum nat_type);
const char	*nat_behaviour_name(enum nat_behaviour);
const char	*nat_outcome_name(enum nat_outcome);

/*
 * Parses a name as printed by nat_type_name() (exact, case-sensitive).
 * Returns the type, or -1 if name is NULL or not a type name.
 */
int		 nat_type_parse(const char *name);

#endif
