/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/nat.c: every branch of the mapping and filtering
 * classification, the highest-match type, the assumptions sentence, port
 * preservation, the path fold over all pairs of types, the keepalive
 * interval and the names.  Each TCase is one behaviour.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nat.h"

#define LOCAL_PORT	4790

static struct nat_obs		obs;
static struct nat_result	res;

static struct nat_endpoint
ep(const char *s, uint16_t port)
{
	struct nat_endpoint	e;

	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(ep_parse_addr(s, &e.ep), 0);
	e.ep.port = port;
	e.valid = true;
	return e;
}

/*
 * The starting point of most tests: a full-cone NAT that preserves the
 * port, seen by a neighbour with both an alternate port and address, every
 * trial run and answered.  Tests change what they are about.
 */
static void
setup(void)
{
	memset(&obs, 0, sizeof(obs));
	memset(&res, 0x5a, sizeof(res));	/* classify must fill all */
	obs.local = ep("10.0.0.2", LOCAL_PORT);
	obs.mapped_primary = ep("198.51.100.7", LOCAL_PORT);
	obs.mapped_alt_port = obs.mapped_primary;
	obs.mapped_alt_addr = obs.mapped_primary;
	obs.alt_port_available = true;
	obs.alt_addr_available = true;
	obs.filt_alt_port = NAT_RECEIVED;
	obs.filt_alt_addr = NAT_RECEIVED;
	obs.filt_third = NAT_RECEIVED;
	obs.lifetime_s = 120;
	obs.hairpin = NAT_RECEIVED;
}

static void
make_open(void)
{
	obs.mapped_primary = obs.local;
	obs.mapped_alt_port = obs.local;
	obs.mapped_alt_addr = obs.local;
}

static void
check_result(enum nat_behaviour mapping, enum nat_behaviour filtering,
    enum nat_type type, const char *assumed)
{
	ck_assert_str_eq(nat_behaviour_name(res.mapping),
	    nat_behaviour_name(mapping));
	ck_assert_str_eq(nat_behaviour_name(res.filtering),
	    nat_behaviour_name(filtering));
	ck_assert_str_eq(nat_type_name(res.type), nat_type_name(type));
	ck_assert_int_eq(res.mapping, mapping);
	ck_assert_int_eq(res.filtering, filtering);
	ck_assert_int_eq(res.type, type);
	ck_assert_str_eq(res.assumed, assumed);
}

#define A_ALT_ADDR \
	"alternate address untested: address-dependent mapping not ruled out"
#define A_ALT_PORT_APD \
	"alternate port untested: " \
	"address-and-port-dependent mapping not ruled out"
#define A_ALT_PORT_EI \
	"alternate port untested: mapping judged by alternate address alone"
#define A_ALT_BOTH \
	"alternate port and address untested: " \
	"address-and-port-dependent mapping assumed"
#define A_FILT_OTHER \
	"filtering from other addresses untested: " \
	"address-dependent filtering assumed"
#define A_FILT_ALL \
	"filtering untested: address-and-port-dependent filtering assumed"
#define A_FILT_PORT \
	"filtering from alternate port untested: " \
	"address-and-port-dependent assumed"
#define A_NO_XLAT \
	"no translation, but a firewall not ruled out: " \
	"port-restricted cone assumed"

START_TEST(open_when_mapping_equals_local)
{
	make_open();
	nat_classify(&obs, &res);
	check_result(NAT_BEH_NONE, NAT_BEH_EI, NAT_TYPE_OPEN, "");
}
END_TEST

/*
 * No translation, and no filtering trial could run (the neighbour has no
 * alternate port or address and no third proxy took part): nothing shows
 * that unsolicited packets get in, so the path is typed like a
 * port-restricted cone (a punch is needed), never "open" by default, and
 * the assumption is said.
 */
START_TEST(untested_filtering_without_translation_is_port_restricted)
{
	make_open();
	obs.alt_port_available = obs.alt_addr_available = false;
	obs.mapped_alt_port.valid = obs.mapped_alt_addr.valid = false;
	obs.filt_alt_port = obs.filt_alt_addr = obs.filt_third = NAT_UNTESTED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_NONE, NAT_BEH_APD, NAT_TYPE_PORT_RESTRICTED,
	    A_FILT_ALL "; " A_NO_XLAT);
	/* two such sites punch; against a symmetric NAT they cannot */
	ck_assert(nat_direct_feasible(res.type, res.type, NULL, 0));
	ck_assert(!nat_direct_feasible(res.type, NAT_TYPE_SYMMETRIC, NULL,
	    0));
}
END_TEST

/* The IPv6 literal case of the same: a firewall's address, no alternates. */
START_TEST(untested_filtering_ipv6_is_port_restricted)
{
	obs.local = ep("2001:db8:10a::2", 4790);
	make_open();
	obs.alt_port_available = obs.alt_addr_available = false;
	obs.mapped_alt_port.valid = obs.mapped_alt_addr.valid = false;
	obs.filt_alt_port = obs.filt_alt_addr = obs.filt_third = NAT_UNTESTED;
	nat_classify(&obs, &res);
	ck_assert_int_eq(res.mapping, NAT_BEH_NONE);
	ck_assert_int_eq(res.filtering, NAT_BEH_APD);
	ck_assert_int_eq(res.type, NAT_TYPE_PORT_RESTRICTED);
	ck_assert_ptr_nonnull(strstr(res.assumed, "filtering untested"));
}
END_TEST

/*
 * No alternates, but a third proxy's packet was refused: the firewall is
 * proven without an alternate port or address.
 */
START_TEST(third_refused_without_alternates_is_port_restricted)
{
	make_open();
	obs.alt_port_available = obs.alt_addr_available = false;
	obs.mapped_alt_port.valid = obs.mapped_alt_addr.valid = false;
	obs.filt_alt_port = obs.filt_alt_addr = NAT_UNTESTED;
	obs.filt_third = NAT_NOT_RECEIVED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_NONE, NAT_BEH_APD, NAT_TYPE_PORT_RESTRICTED,
	    A_FILT_PORT);
}
END_TEST

/*
 * A packet from the alternate address arrived: filtering EI, proven, and
 * the path is open even though a third proxy's packet was lost (its
 * refusal cannot make the filter stricter than what got in).
 */
START_TEST(open_when_other_address_arrived_despite_a_lost_third)
{
	make_open();
	obs.filt_third = NAT_NOT_RECEIVED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_NONE, NAT_BEH_EI, NAT_TYPE_OPEN, "");
}
END_TEST

/* ... and a third proxy's packet that arrived proves the path open. */
START_TEST(third_received_without_alternates_is_open)
{
	make_open();
	obs.alt_port_available = obs.alt_addr_available = false;
	obs.mapped_alt_port.valid = obs.mapped_alt_addr.valid = false;
	obs.filt_alt_port = obs.filt_alt_addr = NAT_UNTESTED;
	obs.filt_third = NAT_RECEIVED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_NONE, NAT_BEH_EI, NAT_TYPE_OPEN, "");
}
END_TEST

/*
 * No translation behind a stateful firewall (the IPv6 case): mapping none,
 * and the type a cone NAT with that filtering would have, so the
 * feasibility matrix asks for a punch.
 */
START_TEST(open_behind_stateful_firewall_is_port_restricted)
{
	make_open();
	obs.filt_alt_port = NAT_NOT_RECEIVED;
	obs.filt_alt_addr = obs.filt_third = NAT_NOT_RECEIVED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_NONE, NAT_BEH_APD, NAT_TYPE_PORT_RESTRICTED, "");
}
END_TEST

START_TEST(open_ipv6_behind_firewall_is_port_restricted)
{
	obs.local = ep("2001:db8:a::2", 4795);
	make_open();
	obs.filt_alt_port = obs.filt_alt_addr = obs.filt_third =
	    NAT_NOT_RECEIVED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_NONE, NAT_BEH_APD, NAT_TYPE_PORT_RESTRICTED, "");
	ck_assert(nat_direct_feasible(res.type, res.type, NULL, 0));
	/* against a symmetric NAT the firewall's filter wants the port */
	ck_assert(!nat_direct_feasible(res.type, NAT_TYPE_SYMMETRIC, NULL,
	    0));
}
END_TEST

START_TEST(open_with_address_filtering_is_restricted)
{
	make_open();
	obs.filt_alt_port = NAT_RECEIVED;
	obs.filt_alt_addr = obs.filt_third = NAT_NOT_RECEIVED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_NONE, NAT_BEH_AD, NAT_TYPE_RESTRICTED, "");
}
END_TEST

/* Received from the alternate port, the rest untested: no firewall seen. */
START_TEST(open_with_only_unrefused_filtering_stays_open)
{
	make_open();
	obs.filt_alt_port = NAT_RECEIVED;
	obs.filt_alt_addr = obs.filt_third = NAT_UNTESTED;
	nat_classify(&obs, &res);
	ck_assert_int_eq(res.mapping, NAT_BEH_NONE);
	ck_assert_int_eq(res.filtering, NAT_BEH_AD);
	ck_assert_int_eq(res.type, NAT_TYPE_OPEN);
}
END_TEST

START_TEST(ipv6_mapping_differs_from_local_is_translated)
{
	obs.local = ep("fd00:a::2", 4795);
	obs.mapped_primary = ep("2001:db8:a::1", 4795);
	obs.mapped_alt_port = obs.mapped_primary;
	obs.mapped_alt_addr = obs.mapped_primary;
	nat_classify(&obs, &res);
	ck_assert_int_eq(res.mapping, NAT_BEH_EI);
}
END_TEST

START_TEST(open_without_alternates_is_still_open)
{
	make_open();
	obs.alt_port_available = obs.alt_addr_available = false;
	obs.mapped_alt_port.valid = obs.mapped_alt_addr.valid = false;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_NONE, NAT_BEH_EI, NAT_TYPE_OPEN, "");
}
END_TEST

START_TEST(local_primary_but_alternate_translated_is_not_open)
{
	make_open();
	obs.mapped_alt_port.ep.port = LOCAL_PORT + 1;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_APD, NAT_BEH_EI, NAT_TYPE_SYMMETRIC, "");
}
END_TEST

START_TEST(full_cone_via_alternate_address)
{
	obs.filt_third = NAT_UNTESTED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_EI, NAT_BEH_EI, NAT_TYPE_FULL_CONE, "");
}
END_TEST

START_TEST(full_cone_via_third_proxy)
{
	obs.filt_alt_addr = NAT_UNTESTED;
	obs.filt_alt_port = NAT_NOT_RECEIVED;	/* the third proxy wins */
	nat_classify(&obs, &res);
	check_result(NAT_BEH_EI, NAT_BEH_EI, NAT_TYPE_FULL_CONE, "");
}
END_TEST

START_TEST(restricted_cone)
{
	obs.filt_alt_addr = NAT_NOT_RECEIVED;
	obs.filt_third = NAT_NOT_RECEIVED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_EI, NAT_BEH_AD, NAT_TYPE_RESTRICTED, "");
}
END_TEST

START_TEST(restricted_cone_proven_by_one_refusal)
{
	obs.filt_alt_addr = NAT_UNTESTED;
	obs.filt_third = NAT_NOT_RECEIVED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_EI, NAT_BEH_AD, NAT_TYPE_RESTRICTED, "");
}
END_TEST

START_TEST(restricted_assumed_when_other_address_untested)
{
	obs.filt_alt_addr = obs.filt_third = NAT_UNTESTED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_EI, NAT_BEH_AD, NAT_TYPE_RESTRICTED,
	    A_FILT_OTHER);
}
END_TEST

START_TEST(port_restricted_cone)
{
	obs.filt_alt_port = NAT_NOT_RECEIVED;
	obs.filt_alt_addr = NAT_NOT_RECEIVED;
	obs.filt_third = NAT_UNTESTED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_EI, NAT_BEH_APD, NAT_TYPE_PORT_RESTRICTED, "");
}
END_TEST

START_TEST(port_restricted_assumed_when_filtering_untested)
{
	obs.filt_alt_port = obs.filt_alt_addr = obs.filt_third = NAT_UNTESTED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_EI, NAT_BEH_APD, NAT_TYPE_PORT_RESTRICTED,
	    A_FILT_ALL);
}
END_TEST

START_TEST(port_restricted_assumed_when_alt_port_filtering_untested)
{
	obs.filt_alt_port = NAT_UNTESTED;
	obs.filt_alt_addr = obs.filt_third = NAT_NOT_RECEIVED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_EI, NAT_BEH_APD, NAT_TYPE_PORT_RESTRICTED,
	    A_FILT_PORT);
}
END_TEST

START_TEST(symmetric_via_port_change)
{
	obs.mapped_alt_port.ep.port = 50001;
	obs.mapped_alt_addr.ep.port = 50002;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_APD, NAT_BEH_EI, NAT_TYPE_SYMMETRIC, "");
}
END_TEST

START_TEST(symmetric_via_port_change_without_alt_address)
{
	obs.mapped_alt_port.ep.port = 50001;
	obs.alt_addr_available = false;
	obs.mapped_alt_addr.valid = false;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_APD, NAT_BEH_EI, NAT_TYPE_SYMMETRIC, "");
}
END_TEST

START_TEST(symmetric_via_address_change)
{
	obs.mapped_alt_addr.ep.port = 50002;
	nat_classify(&obs, &res);
	/* AD mapping with EI filtering is still not a cone */
	check_result(NAT_BEH_AD, NAT_BEH_EI, NAT_TYPE_SYMMETRIC, "");
}
END_TEST

START_TEST(symmetric_via_mapped_address_change)
{
	/* a NAT with an address pool: same port, another public address */
	obs.mapped_alt_addr = ep("198.51.100.8", LOCAL_PORT);
	nat_classify(&obs, &res);
	check_result(NAT_BEH_AD, NAT_BEH_EI, NAT_TYPE_SYMMETRIC, "");
}
END_TEST

START_TEST(address_change_without_alt_port_assumes_apd)
{
	obs.mapped_alt_addr.ep.port = 50002;
	obs.mapped_alt_port.valid = false;	/* no answer */
	nat_classify(&obs, &res);
	check_result(NAT_BEH_APD, NAT_BEH_EI, NAT_TYPE_SYMMETRIC,
	    A_ALT_PORT_APD);
}
END_TEST

START_TEST(missing_alt_address_assumes_address_dependent)
{
	obs.alt_addr_available = false;
	obs.mapped_alt_addr.valid = false;
	nat_classify(&obs, &res);
	ck_assert_str_ne(res.assumed, "");
	check_result(NAT_BEH_AD, NAT_BEH_EI, NAT_TYPE_SYMMETRIC, A_ALT_ADDR);
}
END_TEST

START_TEST(unanswered_alt_address_assumes_address_dependent)
{
	obs.mapped_alt_addr.valid = false;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_AD, NAT_BEH_EI, NAT_TYPE_SYMMETRIC, A_ALT_ADDR);
}
END_TEST

START_TEST(unavailable_alt_address_ignores_stale_mapping)
{
	/* a valid-looking mapping for a trial that was not available */
	obs.alt_addr_available = false;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_AD, NAT_BEH_EI, NAT_TYPE_SYMMETRIC, A_ALT_ADDR);
}
END_TEST

START_TEST(missing_alt_port_judged_by_alt_address)
{
	obs.alt_port_available = false;
	obs.mapped_alt_port.valid = false;
	nat_classify(&obs, &res);
	ck_assert_str_ne(res.assumed, "");
	check_result(NAT_BEH_EI, NAT_BEH_EI, NAT_TYPE_FULL_CONE,
	    A_ALT_PORT_EI);
}
END_TEST

START_TEST(missing_both_alternates_assumes_apd)
{
	obs.alt_port_available = obs.alt_addr_available = false;
	obs.mapped_alt_port.valid = obs.mapped_alt_addr.valid = false;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_APD, NAT_BEH_EI, NAT_TYPE_SYMMETRIC, A_ALT_BOTH);
}
END_TEST

START_TEST(longest_assumption_fits)
{
	obs.alt_port_available = obs.alt_addr_available = false;
	obs.mapped_alt_port.valid = obs.mapped_alt_addr.valid = false;
	obs.filt_alt_port = NAT_UNTESTED;
	obs.filt_alt_addr = NAT_NOT_RECEIVED;
	obs.filt_third = NAT_UNTESTED;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_APD, NAT_BEH_APD, NAT_TYPE_SYMMETRIC,
	    A_ALT_BOTH "; " A_FILT_PORT);
	ck_assert_uint_lt(strlen(res.assumed), sizeof(res.assumed) - 1);
}
END_TEST

START_TEST(no_answer_at_all_is_unknown)
{
	obs.mapped_primary.valid = false;
	obs.mapped_alt_port.valid = obs.mapped_alt_addr.valid = false;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_UNKNOWN, NAT_BEH_UNKNOWN, NAT_TYPE_UNKNOWN,
	    "no answer at primary address: nothing measured");
	ck_assert(!res.port_preserved_known);
	ck_assert(!res.port_preserved);
	ck_assert_uint_eq(res.lifetime_s, 0);
	ck_assert_int_eq(res.hairpin, NAT_UNTESTED);
}
END_TEST

START_TEST(no_answer_at_primary_ignores_alternates)
{
	obs.mapped_primary.valid = false;
	nat_classify(&obs, &res);
	ck_assert_int_eq(res.type, NAT_TYPE_UNKNOWN);
	ck_assert_int_eq(res.mapping, NAT_BEH_UNKNOWN);
	ck_assert_int_eq(res.filtering, NAT_BEH_UNKNOWN);
}
END_TEST

START_TEST(port_preservation)
{
	nat_classify(&obs, &res);
	ck_assert(res.port_preserved_known);
	ck_assert(res.port_preserved);

	obs.mapped_primary.ep.port = 61000;
	obs.mapped_alt_port.ep.port = 61000;
	obs.mapped_alt_addr.ep.port = 61000;
	nat_classify(&obs, &res);
	ck_assert(res.port_preserved_known);
	ck_assert(!res.port_preserved);
	ck_assert_int_eq(res.type, NAT_TYPE_FULL_CONE);

	obs.local.valid = false;
	nat_classify(&obs, &res);
	ck_assert(!res.port_preserved_known);
	ck_assert(!res.port_preserved);
}
END_TEST

START_TEST(open_host_preserves_port)
{
	make_open();
	nat_classify(&obs, &res);
	ck_assert(res.port_preserved_known);
	ck_assert(res.port_preserved);
}
END_TEST

START_TEST(lifetime_and_hairpin_copied)
{
	obs.lifetime_s = 37;
	obs.hairpin = NAT_NOT_RECEIVED;
	nat_classify(&obs, &res);
	ck_assert_uint_eq(res.lifetime_s, 37);
	ck_assert_int_eq(res.hairpin, NAT_NOT_RECEIVED);

	obs.lifetime_s = 0;
	obs.hairpin = NAT_UNTESTED;
	nat_classify(&obs, &res);
	ck_assert_uint_eq(res.lifetime_s, 0);
	ck_assert_int_eq(res.hairpin, NAT_UNTESTED);
}
END_TEST

START_TEST(out_of_range_outcomes_count_as_untested)
{
	obs.filt_alt_port = (enum nat_outcome)7;
	obs.filt_alt_addr = (enum nat_outcome)8;
	obs.filt_third = (enum nat_outcome)9;
	obs.hairpin = (enum nat_outcome)10;
	nat_classify(&obs, &res);
	check_result(NAT_BEH_EI, NAT_BEH_APD, NAT_TYPE_PORT_RESTRICTED,
	    A_FILT_ALL);
	ck_assert_int_eq(res.hairpin, NAT_UNTESTED);
}
END_TEST

/*
 * The fold over every ordered pair, written out rather than computed so
 * the test does not restate the implementation.  Rows are a, columns b.
 */
static const enum nat_type fold_types[] = {
	NAT_TYPE_OPEN, NAT_TYPE_FULL_CONE, NAT_TYPE_RESTRICTED,
	NAT_TYPE_PORT_RESTRICTED, NAT_TYPE_SYMMETRIC, NAT_TYPE_UNKNOWN,
};
#define NFOLD	(sizeof(fold_types) / sizeof(fold_types[0]))

#define O	NAT_TYPE_OPEN
#define F	NAT_TYPE_FULL_CONE
#define R	NAT_TYPE_RESTRICTED
#define P	NAT_TYPE_PORT_RESTRICTED
#define S	NAT_TYPE_SYMMETRIC
#define U	NAT_TYPE_UNKNOWN
static const enum nat_type fold_expect[NFOLD][NFOLD] = {
	/*	  O  F  R  P  S  U */
	/* O */	{ O, F, R, P, S, U },
	/* F */	{ F, F, R, P, S, U },
	/* R */	{ R, R, R, P, S, U },
	/* P */	{ P, P, P, P, S, U },
	/* S */	{ S, S, S, S, S, U },
	/* U */	{ U, U, U, U, U, U },
};
#undef O
#undef F
#undef R
#undef P
#undef S
#undef U

START_TEST(path_fold_takes_more_restrictive)
{
	enum nat_type	a = fold_types[_i / NFOLD];
	enum nat_type	b = fold_types[_i % NFOLD];
	enum nat_type	want = fold_expect[_i / NFOLD][_i % NFOLD];

	ck_assert_msg(nat_path_fold(a, b) == want, "fold(%s, %s) = %s, want %s",
	    nat_type_name(a), nat_type_name(b),
	    nat_type_name(nat_path_fold(a, b)), nat_type_name(want));
}
END_TEST

START_TEST(path_fold_treats_invalid_as_unknown)
{
	ck_assert_int_eq(nat_path_fold((enum nat_type)0, NAT_TYPE_OPEN),
	    NAT_TYPE_UNKNOWN);
	ck_assert_int_eq(nat_path_fold(NAT_TYPE_SYMMETRIC, (enum nat_type)99),
	    NAT_TYPE_UNKNOWN);
	ck_assert_int_eq(nat_path_fold((enum nat_type)0, (enum nat_type)0),
	    NAT_TYPE_UNKNOWN);
}
END_TEST

START_TEST(path_fold_over_a_path)
{
	enum nat_type	path[] = { NAT_TYPE_OPEN, NAT_TYPE_RESTRICTED,
	    NAT_TYPE_FULL_CONE, NAT_TYPE_OPEN };
	enum nat_type	t = NAT_TYPE_OPEN;
	size_t		i;

	for (i = 0; i < sizeof(path) / sizeof(path[0]); i++)
		t = nat_path_fold(t, path[i]);
	ck_assert_int_eq(t, NAT_TYPE_RESTRICTED);
}
END_TEST

START_TEST(keepalive_unknown_lifetime_uses_min)
{
	ck_assert_int_eq(nat_keepalive_interval(0, 5, 120), 5);
}
END_TEST

START_TEST(keepalive_clamped_low)
{
	ck_assert_int_eq(nat_keepalive_interval(4, 5, 120), 5);
	ck_assert_int_eq(nat_keepalive_interval(1, 5, 120), 5);
	/* half of 1 rounds to 0; the floor is 1 second */
	ck_assert_int_eq(nat_keepalive_interval(1, 0, 120), 1);
}
END_TEST

START_TEST(keepalive_clamped_high)
{
	ck_assert_int_eq(nat_keepalive_interval(3600, 5, 120), 120);
	ck_assert_int_eq(nat_keepalive_interval(UINT32_MAX, 5, 120), 120);
	ck_assert_int_eq(nat_keepalive_interval(242, 5, 120), 120);
}
END_TEST

START_TEST(keepalive_half_lifetime)
{
	ck_assert_int_eq(nat_keepalive_interval(60, 5, 120), 30);
	ck_assert_int_eq(nat_keepalive_interval(61, 5, 120), 30);
	ck_assert_int_eq(nat_keepalive_interval(10, 5, 120), 5);
	ck_assert_int_eq(nat_keepalive_interval(240, 5, 120), 120);
}
END_TEST

START_TEST(keepalive_min_wins_over_inverted_bounds)
{
	ck_assert_int_eq(nat_keepalive_interval(60, 50, 20), 50);
	ck_assert_int_eq(nat_keepalive_interval(0, 50, 20), 50);
}
END_TEST

START_TEST(names_round_trip)
{
	int	t;

	for (t = NAT_TYPE_OPEN; t <= NAT_TYPE_UNKNOWN; t++)
		ck_assert_int_eq(nat_type_parse(nat_type_name(t)), t);
	ck_assert_str_eq(nat_type_name(NAT_TYPE_OPEN), "open");
	ck_assert_str_eq(nat_type_name(NAT_TYPE_FULL_CONE), "full-cone");
	ck_assert_str_eq(nat_type_name(NAT_TYPE_RESTRICTED),
	    "restricted-cone");
	ck_assert_str_eq(nat_type_name(NAT_TYPE_PORT_RESTRICTED),
	    "port-restricted-cone");
	ck_assert_str_eq(nat_type_name(NAT_TYPE_SYMMETRIC), "symmetric");
	ck_assert_str_eq(nat_type_name(NAT_TYPE_UNKNOWN), "unknown");
	ck_assert_str_eq(nat_type_name((enum nat_type)0), "unknown");
	ck_assert_str_eq(nat_type_name((enum nat_type)42), "unknown");

	ck_assert_str_eq(nat_behaviour_name(NAT_BEH_NONE), "none");
	ck_assert_str_eq(nat_behaviour_name(NAT_BEH_EI),
	    "endpoint-independent");
	ck_assert_str_eq(nat_behaviour_name(NAT_BEH_AD), "address-dependent");
	ck_assert_str_eq(nat_behaviour_name(NAT_BEH_APD),
	    "address-and-port-dependent");
	ck_assert_str_eq(nat_behaviour_name(NAT_BEH_UNKNOWN), "unknown");
	ck_assert_str_eq(nat_behaviour_name((enum nat_behaviour)42),
	    "unknown");

	ck_assert_str_eq(nat_outcome_name(NAT_RECEIVED), "received");
	ck_assert_str_eq(nat_outcome_name(NAT_NOT_RECEIVED), "not-received");
	ck_assert_str_eq(nat_outcome_name(NAT_UNTESTED), "untested");
	ck_assert_str_eq(nat_outcome_name((enum nat_outcome)42), "untested");
}
END_TEST

START_TEST(type_parse_rejects_unknown_names)
{
	ck_assert_int_eq(nat_type_parse(NULL), -1);
	ck_assert_int_eq(nat_type_parse(""), -1);
	ck_assert_int_eq(nat_type_parse("Open"), -1);
	ck_assert_int_eq(nat_type_parse("full cone"), -1);
	ck_assert_int_eq(nat_type_parse("symmetric "), -1);
	ck_assert_int_eq(nat_type_parse("restricted"), -1);
}
END_TEST

/*
 * The direct-channel feasibility matrix, every cell written out by hand
 * (rows and columns: open, full cone, restricted, port-restricted,
 * symmetric, unknown).  1: a direct channel may be punched.
 */
static const int feasible[6][6] = {
	/*            open full rest port sym unk */
	/* open */  { 1,   1,   1,   1,   1,  0 },
	/* full */  { 1,   1,   1,   1,   1,  0 },
	/* rest */  { 1,   1,   1,   1,   1,  0 },
	/* port */  { 1,   1,   1,   1,   0,  0 },
	/* sym  */  { 1,   1,   1,   0,   0,  0 },
	/* unk  */  { 0,   0,   0,   0,   0,  0 },
};

START_TEST(direct_feasibility_matrix_cell)
{
	enum nat_type a = (enum nat_type)(NAT_TYPE_OPEN + _i / 6);
	enum nat_type b = (enum nat_type)(NAT_TYPE_OPEN + _i % 6);
	char why[160];
	bool got;

	got = nat_direct_feasible(a, b, why, sizeof(why));
	ck_assert_msg(got == (feasible[_i / 6][_i % 6] == 1),
	    "%s with %s: got %d (%s)", nat_type_name(a), nat_type_name(b),
	    got, why);
	/* symmetric in its arguments, and it always says why */
	ck_assert(nat_direct_feasible(b, a, NULL, 0) == got);
	ck_assert(strstr(why, nat_type_name(a)) != NULL);
	ck_assert(strlen(why) > strlen(nat_type_name(a)) +
	    strlen(nat_type_name(b)) + 3);
}
END_TEST

START_TEST(direct_feasibility_rejects_values_outside_enum)
{
	ck_assert(!nat_direct_feasible((enum nat_type)0, NAT_TYPE_OPEN,
	    NULL, 0));
	ck_assert(!nat_direct_feasible(NAT_TYPE_OPEN, (enum nat_type)42,
	    NULL, 0));
}
END_TEST

static Suite *
nat_suite(void)
{
	Suite	*s = suite_create("nat");
	TCase	*tc;
	const struct {
		const char	*name;
		const TTest	*fn;
	} cases[] = {
		{ "open_when_mapping_equals_local",
		    open_when_mapping_equals_local },
		{ "untested_filtering_without_translation_is_port_restricted",
		    untested_filtering_without_translation_is_port_restricted },
		{ "untested_filtering_ipv6_is_port_restricted",
		    untested_filtering_ipv6_is_port_restricted },
		{ "third_refused_without_alternates_is_port_restricted",
		    third_refused_without_alternates_is_port_restricted },
		{ "open_when_other_address_arrived_despite_a_lost_third",
		    open_when_other_address_arrived_despite_a_lost_third },
		{ "third_received_without_alternates_is_open",
		    third_received_without_alternates_is_open },
		{ "open_behind_stateful_firewall_is_port_restricted",
		    open_behind_stateful_firewall_is_port_restricted },
		{ "open_ipv6_behind_firewall_is_port_restricted",
		    open_ipv6_behind_firewall_is_port_restricted },
		{ "open_with_address_filtering_is_restricted",
		    open_with_address_filtering_is_restricted },
		{ "open_with_only_unrefused_filtering_stays_open",
		    open_with_only_unrefused_filtering_stays_open },
		{ "ipv6_mapping_differs_from_local_is_translated",
		    ipv6_mapping_differs_from_local_is_translated },
		{ "open_without_alternates_is_still_open",
		    open_without_alternates_is_still_open },
		{ "local_primary_but_alternate_translated_is_not_open",
		    local_primary_but_alternate_translated_is_not_open },
		{ "full_cone_via_alternate_address",
		    full_cone_via_alternate_address },
		{ "full_cone_via_third_proxy", full_cone_via_third_proxy },
		{ "restricted_cone", restricted_cone },
		{ "restricted_cone_proven_by_one_refusal",
		    restricted_cone_proven_by_one_refusal },
		{ "restricted_assumed_when_other_address_untested",
		    restricted_assumed_when_other_address_untested },
		{ "port_restricted_cone", port_restricted_cone },
		{ "port_restricted_assumed_when_filtering_untested",
		    port_restricted_assumed_when_filtering_untested },
		{ "port_restricted_assumed_when_alt_port_filtering_untested",
		    port_restricted_assumed_when_alt_port_filtering_untested },
		{ "symmetric_via_port_change", symmetric_via_port_change },
		{ "symmetric_via_port_change_without_alt_address",
		    symmetric_via_port_change_without_alt_address },
		{ "symmetric_via_address_change",
		    symmetric_via_address_change },
		{ "symmetric_via_mapped_address_change",
		    symmetric_via_mapped_address_change },
		{ "address_change_without_alt_port_assumes_apd",
		    address_change_without_alt_port_assumes_apd },
		{ "missing_alt_address_assumes_address_dependent",
		    missing_alt_address_assumes_address_dependent },
		{ "unanswered_alt_address_assumes_address_dependent",
		    unanswered_alt_address_assumes_address_dependent },
		{ "unavailable_alt_address_ignores_stale_mapping",
		    unavailable_alt_address_ignores_stale_mapping },
		{ "missing_alt_port_judged_by_alt_address",
		    missing_alt_port_judged_by_alt_address },
		{ "missing_both_alternates_assumes_apd",
		    missing_both_alternates_assumes_apd },
		{ "longest_assumption_fits", longest_assumption_fits },
		{ "no_answer_at_all_is_unknown", no_answer_at_all_is_unknown },
		{ "no_answer_at_primary_ignores_alternates",
		    no_answer_at_primary_ignores_alternates },
		{ "port_preservation", port_preservation },
		{ "open_host_preserves_port", open_host_preserves_port },
		{ "lifetime_and_hairpin_copied", lifetime_and_hairpin_copied },
		{ "out_of_range_outcomes_count_as_untested",
		    out_of_range_outcomes_count_as_untested },
		{ "path_fold_treats_invalid_as_unknown",
		    path_fold_treats_invalid_as_unknown },
		{ "path_fold_over_a_path", path_fold_over_a_path },
		{ "keepalive_unknown_lifetime_uses_min",
		    keepalive_unknown_lifetime_uses_min },
		{ "keepalive_clamped_low", keepalive_clamped_low },
		{ "keepalive_clamped_high", keepalive_clamped_high },
		{ "keepalive_half_lifetime", keepalive_half_lifetime },
		{ "keepalive_min_wins_over_inverted_bounds",
		    keepalive_min_wins_over_inverted_bounds },
		{ "names_round_trip", names_round_trip },
		{ "type_parse_rejects_unknown_names",
		    type_parse_rejects_unknown_names },
	};
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tc = tcase_create(cases[i].name);
		tcase_add_checked_fixture(tc, setup, NULL);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}

	tc = tcase_create("path_fold_takes_more_restrictive");
	tcase_add_loop_test(tc, path_fold_takes_more_restrictive, 0,
	    (int)(NFOLD * NFOLD));
	suite_add_tcase(s, tc);
	tc = tcase_create("direct_feasibility_matrix");
	tcase_add_loop_test(tc, direct_feasibility_matrix_cell, 0, 36);
	tcase_add_test(tc, direct_feasibility_rejects_values_outside_enum);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(nat_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
