/* SPDX-License-Identifier: ISC */
/*
 * This file owns the NAT-behaviour classification rules: how the
 * observations of one trial run become a mapping and filtering behaviour,
 * a NAT type and the sentence of assumptions; the highest-adaptation fold
 * over a path; the keepalive interval; and the names of all three enums.
 * Pure functions over caller-supplied structs.
 */
#include <stdio.h>
#include <string.h>

#include "nat.h"

static const char *const type_names[] = {
	[NAT_TYPE_OPEN]			= "open",
	[NAT_TYPE_FULL_CONE]		= "full-cone",
	[NAT_TYPE_RESTRICTED]		= "restricted-cone",
	[NAT_TYPE_PORT_RESTRICTED]	= "port-restricted-cone",
	[NAT_TYPE_SYMMETRIC]		= "symmetric",
	[NAT_TYPE_UNKNOWN]		= "unknown",
};

static const char *const behaviour_names[] = {
	[NAT_BEH_UNKNOWN]	= "unknown",
	[NAT_BEH_NONE]		= "none",
	[NAT_BEH_EI]		= "endpoint-independent",
	[NAT_BEH_AD]		= "address-dependent",
	[NAT_BEH_APD]		= "address-and-port-dependent",
};

static const char *const outcome_names[] = {
	[NAT_UNTESTED]		= "untested",
	[NAT_RECEIVED]		= "received",
	[NAT_NOT_RECEIVED]	= "not-received",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static bool
type_valid(enum nat_type t)
{
	return t >= NAT_TYPE_OPEN && t <= NAT_TYPE_UNKNOWN;
}

const char *
nat_type_name(enum nat_type t)
{
	return type_valid(t) ? type_names[t] : "unknown";
}

const char *
nat_behaviour_name(enum nat_behaviour b)
{
	if ((unsigned)b >= NELEM(behaviour_names))
		return "unknown";
	return behaviour_names[b];
}

const char *
nat_outcome_name(enum nat_outcome o)
{
	if ((unsigned)o >= NELEM(outcome_names))
		return "untested";
	return outcome_names[o];
}

int
nat_type_parse(const char *name)
{
	int	t;

	if (name == NULL)
		return -1;
	for (t = NAT_TYPE_OPEN; t <= NAT_TYPE_UNKNOWN; t++)
		if (strcmp(name, type_names[t]) == 0)
			return t;
	return -1;
}

/*
 * The enum is ordered by restrictiveness, so the fold is a maximum once
 * out-of-range values have been read as UNKNOWN.
 */
enum nat_type
nat_path_fold(enum nat_type a, enum nat_type b)
{
	if (!type_valid(a))
		a = NAT_TYPE_UNKNOWN;
	if (!type_valid(b))
		b = NAT_TYPE_UNKNOWN;
	return a > b ? a : b;
}

/*
 * Half the lifetime leaves room for one lost keepalive before the binding
 * expires.  64-bit arithmetic keeps any uint32 lifetime and int bounds
 * free of overflow.
 */
int
nat_keepalive_interval(uint32_t lifetime_s, int min_s, int max_s)
{
	int64_t	iv;

	if (lifetime_s == 0)
		return min_s;
	iv = lifetime_s / 2;
	if (iv < 1)
		iv = 1;
	if (iv > max_s)
		iv = max_s;
	if (iv < min_s)
		iv = min_s;
	return (int)iv;
}

static bool
same_ep(const struct nat_endpoint *a, const struct nat_endpoint *b)
{
	return a->valid && b->valid && ep_eq(&a->ep, &b->ep);
}

/* Anything but the two tested outcomes (including garbage) is untested. */
static enum nat_outcome
outcome(enum nat_outcome o)
{
	return o == NAT_RECEIVED || o == NAT_NOT_RECEIVED ? o : NAT_UNTESTED;
}

/* Appends one clause to res->assumed, "; "-separated; truncates safely. */
static void
assume(struct nat_result *res, const char *clause)
{
	size_t	len = strlen(res->assumed);

	if (len >= sizeof(res->assumed) - 1)
		return;
	snprintf(res->assumed + len, sizeof(res->assumed) - len, "%s%s",
	    len > 0 ? "; " : "", clause);
}

/*
 * Mapping behaviour from the three binding trials (RFC 5780 section 4.3,
 * adapted: our alternate-port trial keeps the neighbour's address and our
 * alternate-address trial keeps its primary port, so each isolates one
 * variable).  A trial is "measured" only if the neighbour has that
 * alternate and it answered.
 *
 *   alt port measured, differs            -> APD (proven)
 *   alt addr measured, differs:
 *       alt port measured (same)          -> AD  (proven)
 *       alt port unmeasured               -> APD (port dependence not
 *                                             ruled out; assumed)
 *   both measured, both same              -> EI  (proven)
 *   alt addr same, alt port unmeasured    -> EI: an AD or APD mapping
 *                                             cannot reuse the mapping for
 *                                             another address, so EI is the
 *                                             only RFC 4787 behaviour left
 *                                             (noted in 'assumed')
 *   alt port same, alt addr unmeasured    -> AD  (assumed)
 *   neither measured                      -> APD (assumed)
 *
 * Where the evidence leaves a choice we take the most restrictive
 * behaviour consistent with it: claiming too open a NAT makes step 4 try
 * hole punches that cannot work, claiming too strict only costs a relay.
 */
static enum nat_behaviour
classify_mapping(const struct nat_obs *obs, struct nat_result *res)
{
	bool	port_meas, addr_meas;

	port_meas = obs->alt_port_available && obs->mapped_alt_port.valid;
	addr_meas = obs->alt_addr_available && obs->mapped_alt_addr.valid;

	if (port_meas && !same_ep(&obs->mapped_alt_port, &obs->mapped_primary))
		return NAT_BEH_APD;
	if (addr_meas && !same_ep(&obs->mapped_alt_addr, &obs->mapped_primary)) {
		if (port_meas)
			return NAT_BEH_AD;
		assume(res, "alternate port untested: "
		    "address-and-port-dependent mapping not ruled out");
		return NAT_BEH_APD;
	}
	if (port_meas && addr_meas)
		return NAT_BEH_EI;
	if (addr_meas) {
		assume(res, "alternate port untested: "
		    "mapping judged by alternate address alone");
		return NAT_BEH_EI;
	}
	if (port_meas) {
		assume(res, "alternate address untested: "
		    "address-dependent mapping not ruled out");
		return NAT_BEH_AD;
	}
	assume(res, "alternate port and address untested: "
	    "address-and-port-dependent mapping assumed");
	return NAT_BEH_APD;
}

/*
 * Filtering behaviour (RFC 5780 section 4.4).  A packet from another
 * address (the neighbour's alternate address, or a third proxy) reaching
 * our mapping proves EI; one from the neighbour's alternate port proves at
 * least AD, and a refused one proves APD.  Untested trials never open
 * anything up: they leave the more restrictive answer, and say so.
 */
static enum nat_behaviour
classify_filtering(const struct nat_obs *obs, struct nat_result *res)
{
	enum nat_outcome	port = outcome(obs->filt_alt_port);
	enum nat_outcome	addr = outcome(obs->filt_alt_addr);
	enum nat_outcome	third = outcome(obs->filt_third);
	bool			other_untested;

	other_untested = addr == NAT_UNTESTED && third == NAT_UNTESTED;
	if (addr == NAT_RECEIVED || third == NAT_RECEIVED)
		return NAT_BEH_EI;
	if (port == NAT_RECEIVED) {
		if (other_untested)
			assume(res, "filtering from other addresses untested: "
			    "address-dependent filtering assumed");
		return NAT_BEH_AD;
	}
	if (port == NAT_NOT_RECEIVED)
		return NAT_BEH_APD;
	if (other_untested)
		assume(res, "filtering untested: "
		    "address-and-port-dependent filtering assumed");
	else
		assume(res, "filtering from alternate port untested: "
		    "address-and-port-dependent assumed");
	return NAT_BEH_APD;
}

/*
 * Classification rules, strict: the result is never more open than the
 * evidence, and every assumption is written into res->assumed.
 *
 * 1. No answer at the neighbour's primary address and port: nothing was
 *    measured; mapping, filtering and type are UNKNOWN.
 * 2. The primary mapping equals our local address and port (and no
 *    measured alternate mapping differs from it): no translation, mapping
 *    NONE.  Filtering follows classify_filtering() below, so untested
 *    trials leave it at the most restrictive answer consistent with the
 *    rest (all untested: APD, assumed and said).  No translation says
 *    nothing about a firewall: the IPv6 case is exactly that (no NAT, but
 *    a stateful firewall that drops unsolicited inbound packets), and it
 *    needs a punch like a cone NAT.  So the type is OPEN only when the
 *    filtering is proven EI (a packet from another address arrived), or
 *    an unsolicited packet (from the alternate port) was seen to arrive
 *    and none was refused; otherwise it is what a NAT with an
 *    endpoint-independent mapping and that filtering is: AD restricted
 *    cone, APD port-restricted cone.  A path whose filtering could not be tested at all (the
 *    neighbour has neither alternate, no third proxy took part) is thus a
 *    port-restricted cone by assumption, never "open" by default, and the
 *    feasibility matrix asks for a punch.
 * 3. Otherwise mapping and filtering follow classify_mapping() and
 *    classify_filtering() above, and the type is the highest (most open)
 *    one all of whose predicates hold:
 *        full cone             mapping EI, filtering EI
 *        restricted cone       mapping EI, filtering AD
 *        port-restricted cone  mapping EI, filtering APD
 *        symmetric             anything else (mapping AD or APD; an AD
 *                              mapping with EI filtering is not a cone)
 *    An AD mapping that was only assumed (the neighbour has no alternate
 *    address) therefore makes a cone NAT "symmetric": that is the strict
 *    answer, and res->assumed explains it.
 * 4. port_preserved compares the primary mapping's port with our local
 *    port, known whenever both are; lifetime_s and hairpin are copied.
 */
void
nat_classify(const struct nat_obs *obs, struct nat_result *res)
{
	const struct nat_endpoint	*pri = &obs->mapped_primary;
	bool				 open;

	memset(res, 0, sizeof(*res));
	res->mapping = NAT_BEH_UNKNOWN;
	res->filtering = NAT_BEH_UNKNOWN;
	res->type = NAT_TYPE_UNKNOWN;
	res->hairpin = NAT_UNTESTED;

	if (!pri->valid) {
		assume(res, "no answer at primary address: nothing measured");
		return;
	}

	res->lifetime_s = obs->lifetime_s;
	res->hairpin = outcome(obs->hairpin);
	if (obs->local.valid) {
		res->port_preserved_known = true;
		res->port_preserved = pri->ep.port == obs->local.ep.port;
	}

	open = same_ep(pri, &obs->local) &&
	    (!obs->alt_port_available || !obs->mapped_alt_port.valid ||
	    same_ep(&obs->mapped_alt_port, &obs->local)) &&
	    (!obs->alt_addr_available || !obs->mapped_alt_addr.valid ||
	    same_ep(&obs->mapped_alt_addr, &obs->local));
	if (open) {
		bool refused, arrived;

		res->mapping = NAT_BEH_NONE;
		res->filtering = classify_filtering(obs, res);
		refused = outcome(obs->filt_alt_port) == NAT_NOT_RECEIVED ||
		    outcome(obs->filt_alt_addr) == NAT_NOT_RECEIVED ||
		    outcome(obs->filt_third) == NAT_NOT_RECEIVED;
		arrived = outcome(obs->filt_alt_port) == NAT_RECEIVED ||
		    outcome(obs->filt_alt_addr) == NAT_RECEIVED ||
		    outcome(obs->filt_third) == NAT_RECEIVED;
		if (res->filtering == NAT_BEH_EI || (arrived && !refused))
			res->type = NAT_TYPE_OPEN;
		else if (res->filtering == NAT_BEH_AD)
			res->type = NAT_TYPE_RESTRICTED;
		else
			res->type = NAT_TYPE_PORT_RESTRICTED;
		if (!arrived && !refused)
			assume(res, "no translation, but a firewall not ruled "
			    "out: port-restricted cone assumed");
		return;
	}

	res->mapping = classify_mapping(obs, res);
	res->filtering = classify_filtering(obs, res);
	if (res->mapping != NAT_BEH_EI)
		res->type = NAT_TYPE_SYMMETRIC;
	else if (res->filtering == NAT_BEH_EI)
		res->type = NAT_TYPE_FULL_CONE;
	else if (res->filtering == NAT_BEH_AD)
		res->type = NAT_TYPE_RESTRICTED;
	else
		res->type = NAT_TYPE_PORT_RESTRICTED;
}

/*
 * Can two proxies, whose own NATs toward the internet are of types a and
 * b, make a direct hole-punched link?  The mediating proxies tell each side
 * the other's mapped address, and both send to it at once.
 *  - open or full cone on either side: the other side's packets get in at
 *    the mapped address (which a full cone keeps for every destination),
 *    and replies go back through the sender's own fresh mapping;
 *  - both cone types (restricted, port-restricted): each side's first
 *    packet opens its own NAT for the other's mapping, which both know in
 *    advance because cone mappings do not change with the destination;
 *  - symmetric with restricted cone: the symmetric side's mapping toward
 *    the peer is unknown in advance, but a restricted cone filters on the
 *    address only, and the restricted side's own punch opened that address;
 *  - symmetric with port-restricted or symmetric: the filter wants the
 *    exact port, and the symmetric side's port cannot be predicted: never;
 *  - unknown on either side: no evidence, no direct channel.
 */
bool
nat_direct_feasible(enum nat_type a, enum nat_type b, char *why, size_t len)
{
	enum nat_type lo = a < b ? a : b, hi = a < b ? b : a;
	bool ok;
	const char *text;

	if (hi < NAT_TYPE_OPEN || hi > NAT_TYPE_UNKNOWN ||
	    lo < NAT_TYPE_OPEN) {
		lo = hi = NAT_TYPE_UNKNOWN;
	}
	if (hi == NAT_TYPE_UNKNOWN) {
		ok = false;
		text = "a NAT type is unknown: no evidence that punching works";
	} else if (lo <= NAT_TYPE_FULL_CONE) {
		ok = true;
		text = "one side is open or full cone: the other reaches its "
		    "mapped address directly";
	} else if (hi <= NAT_TYPE_PORT_RESTRICTED) {
		ok = true;
		text = "both sides are cone NATs: simultaneous punching to the "
		    "known mapped addresses opens both";
	} else if (lo == NAT_TYPE_RESTRICTED) {
		ok = true;
		text = "symmetric with restricted cone: the restricted side "
		    "filters on the address only";
	} else {
		ok = false;
		text = lo == NAT_TYPE_SYMMETRIC ? "both sides symmetric: "
		    "mappings cannot be predicted" : "symmetric with "
		    "port-restricted cone: the symmetric side's port cannot be "
		    "predicted and the other filters on it";
	}
	if (why != NULL && len > 0)
		snprintf(why, len, "%s-%s: %s", nat_type_name(a),
		    nat_type_name(b), text);
	return ok;
}
