/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests for lib/confdiff.c, the difference a live
 * reload applies: what is refused (with the line of the new file), which
 * neighbours are kept, added, removed or moved, and the other changes.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "confdiff.h"

#define TLS	"tls = { ca = \"/ca\"; cert = \"/cert\"; key = \"/key\"; };\n"

static const char base[] =
	"name = \"site-a\";\n"
	"listen = { port = 5000; };\n"
	"neighbours = ( { name = \"pub\"; host = \"192.0.2.5\"; port = 5000; },\n"
	"    { name = \"site-b\"; host = \"198.51.100.7\"; } );\n"
	"prefixes = [ \"192.168.1.0/24\" ];\n"
	"tun = { name = \"pxy0\"; };\n"
	TLS;

static struct conf	*a, *b;
static struct conf_diff	 d;

static struct conf *
load(const char *path, const char *text)
{
	struct conf_errs errs = { 0 };
	struct conf *c = NULL;
	config_t cf;

	config_init(&cf);
	if (!config_read_string(&cf, text))
		ck_abort_msg("test config line %d: %s", config_error_line(&cf),
		    config_error_text(&cf));
	if (conf_load(&cf, path, &c, &errs) == -1)
		ck_abort_msg("test config: %s", errs.n ? errs.msgs[0] : "?");
	config_destroy(&cf);
	conf_errs_release(&errs);
	return c;
}

static void
setup(void)
{
	a = b = NULL;
	memset(&d, 0, sizeof(d));
}

static void
teardown(void)
{
	conf_diff_release(&d);
	conf_free(a);
	conf_free(b);
}

/* Diffs base against text (loaded as "/n.conf"). */
static void
diff(const char *text)
{
	a = load("/o.conf", base);
	b = load("/n.conf", text);
	ck_assert_int_eq(conf_diff(a, b, &d), 0);
}

static size_t
count(enum conf_change k)
{
	size_t n = 0;

	for (size_t i = 0; i < d.n; i++)
		n += d.v[i].kind == k;
	return n;
}

static const struct conf_change_item *
find(enum conf_change k)
{
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].kind == k)
			return &d.v[i];
	return NULL;
}

START_TEST(same_file_changes_nothing)
{
	diff(base);
	ck_assert_uint_eq(d.n_fixed, 0);
	ck_assert_uint_eq(d.n_changed, 0);
	ck_assert_uint_eq(count(CONF_CH_NB_KEEP), 2);
}
END_TEST

START_TEST(listen_port_change_is_refused_at_its_line)
{
	diff("name = \"site-a\";\n"
	    "neighbours = ( { name = \"pub\"; host = \"192.0.2.5\"; port = 5000; },\n"
	    "    { name = \"site-b\"; host = \"198.51.100.7\"; } );\n"
	    "prefixes = [ \"192.168.1.0/24\" ];\n"
	    "tun = { name = \"pxy0\"; };\n" TLS
	    "listen = { port = 5002; };\n");
	ck_assert_uint_eq(d.n_fixed, 2);	/* port, and alt_port with it */
	ck_assert_int_eq(d.v[0].kind, CONF_CH_FIXED);
	ck_assert_str_eq(d.v[0].text, "/n.conf:7: 'listen.port' cannot change "
	    "while proxyd runs (5000, now 5002): set it back, or restart "
	    "proxyd to apply it");
	ck_assert_ptr_nonnull(strstr(d.v[1].text, "'listen.alt_port'"));
}
END_TEST

START_TEST(a_default_names_the_group_or_the_file)
{
	/* listen left out: its address and port defaults */
	diff("name = \"site-a\";\n" TLS);
	ck_assert_ptr_nonnull(strstr(d.v[0].text, "/n.conf: 'listen.port'"));
	ck_assert_ptr_nonnull(strstr(d.v[0].text, "(5000, now "));
	ck_assert_ptr_nonnull(find(CONF_CH_FIXED));
	/* tun removed too */
	ck_assert_uint_ge(d.n_fixed, 3);
}
END_TEST

START_TEST(every_fixed_key_is_named)
{
	static const char *const keys[] = { "'name'", "'listen.address'",
	    "'listen.alt_address'", "'tun.name'", "'tun.mtu'", "'control'",
	    "'user'", "'metrics'" };
	char all[8192] = "";

	diff("name = \"site-x\";\n"
	    "listen = { address = \"192.0.2.1\"; port = 5000;"
	    " alt_address = \"192.0.2.9\"; };\n"
	    "neighbours = ( { name = \"pub\"; host = \"192.0.2.5\"; port = 5000; },\n"
	    "    { name = \"site-b\"; host = \"198.51.100.7\"; } );\n"
	    "prefixes = [ \"192.168.1.0/24\" ];\n"
	    "tun = { name = \"pxy1\"; mtu = 1300; };\n" TLS
	    "control = \"/tmp/x.sock\";\nuser = \"nobody\";\n"
	    "metrics = \"9100\";\n");
	for (size_t i = 0; i < d.n_fixed; i++)
		strncat(all, d.v[i].text, sizeof(all) - strlen(all) - 1);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		ck_assert_msg(strstr(all, keys[i]) != NULL, "%s not named: %s",
		    keys[i], all);
	ck_assert_uint_eq(d.n_fixed, sizeof(keys) / sizeof(keys[0]));
}
END_TEST

START_TEST(neighbours_are_kept_added_removed_and_moved)
{
	const struct conf_change_item *it;

	diff("name = \"site-a\";\n"
	    "listen = { port = 5000; };\n"
	    "neighbours = ( { name = \"site-c\"; host = \"203.0.113.3\"; },\n"
	    "    { name = \"site-b\"; host = \"198.51.100.8\"; },\n"
	    "    { name = \"pub2\"; host = \"192.0.2.6\"; } );\n"
	    "prefixes = [ \"192.168.1.0/24\" ];\n"
	    "tun = { name = \"pxy0\"; };\n" TLS);
	ck_assert_uint_eq(d.n_fixed, 0);
	ck_assert_uint_eq(count(CONF_CH_NB_KEEP), 0);
	ck_assert_uint_eq(count(CONF_CH_NB_DEL), 1);
	ck_assert_uint_eq(count(CONF_CH_NB_ADD), 2);
	ck_assert_uint_eq(count(CONF_CH_NB_MOVE), 1);
	it = find(CONF_CH_NB_DEL);
	ck_assert_str_eq(a->neighbours[it->old_i].name, "pub");
	it = find(CONF_CH_NB_MOVE);
	ck_assert_str_eq(a->neighbours[it->old_i].name, "site-b");
	ck_assert_str_eq(b->neighbours[it->new_i].name, "site-b");
	ck_assert_str_eq(b->neighbours[it->new_i].host, "198.51.100.8");
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].kind == CONF_CH_NB_ADD)
			ck_assert(strcmp(b->neighbours[d.v[i].new_i].name,
			    "site-c") == 0 || strcmp(b->neighbours[
			    d.v[i].new_i].name, "pub2") == 0);
	ck_assert_uint_eq(d.n_changed, 4);
}
END_TEST

START_TEST(neighbour_order_and_host_case_do_not_matter)
{
	const struct conf_change_item *it;

	diff("name = \"site-a\";\n"
	    "listen = { port = 5000; };\n"
	    "neighbours = ( { name = \"site-b\"; host = \"198.51.100.7\"; },\n"
	    "    { name = \"pub\"; host = \"192.0.2.5\"; port = 5000; } );\n"
	    "prefixes = [ \"192.168.1.0/24\" ];\n"
	    "tun = { name = \"pxy0\"; };\n" TLS);
	ck_assert_uint_eq(d.n_changed, 0);
	ck_assert_uint_eq(count(CONF_CH_NB_KEEP), 2);
	it = find(CONF_CH_NB_KEEP);
	ck_assert_str_eq(a->neighbours[it->old_i].name,
	    b->neighbours[it->new_i].name);
}
END_TEST

START_TEST(many_neighbours_pair_up)
{
	char *t1, *t2;
	size_t cap = 200000, o1 = 0, o2 = 0;

	t1 = malloc(cap);
	t2 = malloc(cap);
	ck_assert(t1 != NULL && t2 != NULL);
	o1 += (size_t)snprintf(t1 + o1, cap - o1, "name = \"a\";\n" TLS
	    "neighbours = (");
	o2 += (size_t)snprintf(t2 + o2, cap - o2, "name = \"a\";\n" TLS
	    "neighbours = (");
	for (int i = 0; i < 2000; i++) {
		/* the new file lists them backwards, without n0007 */
		o1 += (size_t)snprintf(t1 + o1, cap - o1, "%s{ name = \"n%04d\";"
		    " host = \"10.0.%d.%d\"; }", i ? "," : "", i, i / 250,
		    i % 250);
		if (1999 - i != 7)
			o2 += (size_t)snprintf(t2 + o2, cap - o2, "%s{ name = "
			    "\"n%04d\"; host = \"10.0.%d.%d\"; }",
			    o2 > 60 && t2[o2 - 1] == '}' ? "," : "", 1999 - i,
			    (1999 - i) / 250, (1999 - i) % 250);
	}
	snprintf(t1 + o1, cap - o1, ");\n");
	snprintf(t2 + o2, cap - o2, ");\n");
	a = load("/o.conf", t1);
	b = load("/n.conf", t2);
	ck_assert_int_eq(conf_diff(a, b, &d), 0);
	ck_assert_uint_eq(count(CONF_CH_NB_KEEP), 1999);
	ck_assert_uint_eq(count(CONF_CH_NB_DEL), 1);
	ck_assert_str_eq(a->neighbours[find(CONF_CH_NB_DEL)->old_i].name,
	    "n0007");
	free(t1);
	free(t2);
}
END_TEST

/* An alias given, or moved: the prefixes change (and the translation). */
#define ALIASED(x)	"name = \"a\";\n" TLS "tun = { };\n" \
	"prefixes = ( { prefix = \"192.168.1.0/24\"; as = \"" x "\"; } );\n"

START_TEST(alias_change_is_a_prefix_change)
{
	a = _i == 0 ? load("/o.conf", "name = \"a\";\n" TLS "tun = { };\n"
	    "prefixes = [ \"192.168.1.0/24\" ];\n") :
	    load("/o.conf", ALIASED("10.201.1.0/24"));
	b = load("/n.conf", _i == 0 ? ALIASED("10.201.1.0/24") :
	    ALIASED("10.201.9.0/24"));
	ck_assert_int_eq(conf_diff(a, b, &d), 0);
	ck_assert_uint_eq(d.n_fixed, 0);
	ck_assert_str_eq(find(CONF_CH_PREFIXES)->text, _i == 0 ?
	    "prefixes 192.168.1.0/24, now 192.168.1.0/24 as 10.201.1.0/24: "
	    "re-advertised" :
	    "prefixes 192.168.1.0/24 as 10.201.1.0/24, now 192.168.1.0/24 as "
	    "10.201.9.0/24: re-advertised");
}
END_TEST

START_TEST(live_keys_are_listed)
{
	diff("name = \"site-a\";\n"
	    "listen = { port = 5000; };\n"
	    "neighbours = ( { name = \"pub\"; host = \"192.0.2.5\"; port = 5000; },\n"
	    "    { name = \"site-b\"; host = \"198.51.100.7\"; } );\n"
	    "prefixes = [ \"192.168.1.0/24\", \"10.9.0.0/16\" ];\n"
	    "public = \"198.51.100.10:5000\";\n"
	    "tun = { name = \"pxy0\"; };\n"
	    "tls = { ca = \"/ca\"; cert = \"/cert\"; key = \"/key2\"; };\n"
	    "forward = [ \"esp\" ];\n"
	    "keepalive = { min = 2; max = 30; };\n"
	    "rekey = { time = 600; };\n"
	    "log = \"warn\";\n");
	ck_assert_uint_eq(d.n_fixed, 0);
	ck_assert_str_eq(find(CONF_CH_PREFIXES)->text, "prefixes "
	    "192.168.1.0/24, now 192.168.1.0/24 10.9.0.0/16: re-advertised");
	ck_assert_ptr_nonnull(find(CONF_CH_PUBLIC));
	ck_assert_ptr_nonnull(find(CONF_CH_TLS));
	ck_assert_str_eq(find(CONF_CH_FORWARD)->text, "forward [ike esp icmp], "
	    "now [esp]: applies from the next packet");
	ck_assert_ptr_nonnull(strstr(find(CONF_CH_KEEPALIVE)->text,
	    "now 2-30 s"));
	ck_assert_str_eq(find(CONF_CH_LOG)->text, "log level info, now warn");
	ck_assert_str_eq(find(CONF_CH_REKEY)->text, "rekey time 3600 s, now "
	    "600 s: each link rekeys that long after its last handshake");
	ck_assert_uint_eq(d.n_changed, 7);
}
END_TEST

START_TEST(names_of_changes)
{
	ck_assert_str_eq(conf_change_name(CONF_CH_NB_ADD), "neighbour_added");
	ck_assert_str_eq(conf_change_name(CONF_CH_REKEY), "rekey");
	ck_assert_str_eq(conf_change_name((enum conf_change)99), "?");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("confdiff");
	TCase *tc = tcase_create("diff");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, same_file_changes_nothing);
	tcase_add_test(tc, listen_port_change_is_refused_at_its_line);
	tcase_add_test(tc, a_default_names_the_group_or_the_file);
	tcase_add_test(tc, every_fixed_key_is_named);
	tcase_add_test(tc, neighbours_are_kept_added_removed_and_moved);
	tcase_add_test(tc, neighbour_order_and_host_case_do_not_matter);
	tcase_add_test(tc, many_neighbours_pair_up);
	tcase_add_test(tc, live_keys_are_listed);
	tcase_add_loop_test(tc, alias_change_is_a_prefix_change, 0, 2);
	tcase_add_test(tc, names_of_changes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
