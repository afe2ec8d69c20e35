/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests for lib/conf.c: defaults, every key of a
 * full configuration, each class of error with its exact text, relative
 * tls paths, prefix parsing, and the printer's round trip.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "conf.h"
#include "log.h"

#define TLS	"tls = { ca = \"/ca\"; cert = \"/cert\"; key = \"/key\"; };\n"
#define MIN	"name = \"a\";\n" TLS

/* Every key set, none to its default. */
static const char full[] =
	"name = \"site-a\";\n"
	"listen = { address = \"192.0.2.1\"; port = 5000; alt_port = 6000;\n"
	"    alt_address = \"192.0.2.6\"; };\n"
	"public = \"198.51.100.10:4791\";\n"
	"neighbours = ( { name = \"pub\"; host = \"192.0.2.5\"; port = 4792; },\n"
	"    { name = \"site-b\"; host = \"b.example.\\\"q\\\\\"; } );\n"
	"prefixes = [ \"192.168.1.0/24\", \"10.0.0.0/8\" ];\n"
	"tun = { name = \"tun7\"; mtu = 1280; };\n"
	"forward = [ \"esp\", \"ike\" ];\n"
	"tls = { ca = \"ca.crt\"; cert = \"/c/site-a.crt\"; key = \"k/a.key\"; };\n"
	"control = \"/tmp/a.sock\";\n"
	"user = \"proxyd\";\n"
	"keepalive = { min = 10; max = 60; };\n"
	"log = \"debug\";\n";

static struct conf_errs	 errs;
static struct conf	*c;

static void
setup(void)
{
	memset(&errs, 0, sizeof(errs));
	c = NULL;
}

static void
teardown(void)
{
	conf_free(c);
	conf_errs_release(&errs);
}

/* Loads text as if it had been read from path. */
static int
load_as(const char *path, const char *text)
{
	config_t	cf;
	int		rc;

	config_init(&cf);
	if (!config_read_string(&cf, text))
		ck_abort_msg("test config line %d: %s", config_error_line(&cf),
		    config_error_text(&cf));
	rc = conf_load(&cf, path, &c, &errs);
	config_destroy(&cf);
	ck_assert_int_eq(rc == 0, c != NULL);
	return rc;
}

static void
loads(const char *text)
{
	if (load_as("/etc/proxyd/x.conf", text) == -1)
		ck_abort_msg("unexpected error: %s", errs.msgs[0]);
}

/* Loading text from "x.conf" fails with exactly these errors, in order. */
static void
fails_with(const char *text, const char *const *want)
{
	size_t n, i;

	ck_assert_int_eq(load_as("x.conf", text), -1);
	for (n = 0; want[n] != NULL; n++)
		continue;
	for (i = 0; i < n || i < errs.n; i++)
		ck_assert_msg(i < n && i < errs.n &&
		    strcmp(errs.msgs[i], want[i]) == 0,
		    "error %zu: got \"%s\", want \"%s\"", i,
		    i < errs.n ? errs.msgs[i] : "(none)",
		    i < n ? want[i] : "(none)");
}

#define FAILS(text, ...) \
	fails_with(text, (const char *const []){ __VA_ARGS__, NULL })

static char *
print(const struct conf *cc)
{
	char	*s = NULL;
	size_t	 len;
	FILE	*fp = open_memstream(&s, &len);

	ck_assert_ptr_nonnull(fp);
	conf_print(cc, fp);
	fclose(fp);
	return s;
}

static const char *
ntoa(struct in_addr a)
{
	static char buf[INET_ADDRSTRLEN];

	return inet_ntop(AF_INET, &a, buf, sizeof(buf));
}

START_TEST(loads_minimal_config_with_defaults)
{
	loads(MIN);
	ck_assert_str_eq(c->name, "a");
	ck_assert_str_eq(ntoa(c->listen_addr), "0.0.0.0");
	ck_assert_uint_eq(c->listen_port, CONF_DEFAULT_PORT);
	ck_assert_uint_eq(c->alt_port, CONF_DEFAULT_PORT + 1);
	ck_assert(!c->has_alt_addr);
	ck_assert(!c->has_public);
	ck_assert_uint_eq(c->n_neighbours, 0);
	ck_assert_uint_eq(c->n_prefixes, 0);
	ck_assert(!c->has_tun);
	ck_assert_uint_eq(c->forward,
	    CONF_FWD_IKE | CONF_FWD_ESP | CONF_FWD_ICMP);
	ck_assert_str_eq(c->tls_ca, "/ca");
	ck_assert_str_eq(c->tls_cert, "/cert");
	ck_assert_str_eq(c->tls_key, "/key");
	ck_assert_str_eq(c->control, "/run/proxyd/a.sock");
	ck_assert_ptr_null(c->user);
	ck_assert_ptr_null(c->user_at);
	ck_assert_int_eq(c->ka_min, CONF_DEFAULT_KA_MIN);
	ck_assert_int_eq(c->ka_max, CONF_DEFAULT_KA_MAX);
	ck_assert_int_eq(c->log_level, LOG_LVL_INFO);
}
END_TEST

START_TEST(loads_every_key_of_full_config)
{
	loads(full);
	ck_assert_str_eq(c->name, "site-a");
	ck_assert_str_eq(ntoa(c->listen_addr), "192.0.2.1");
	ck_assert_uint_eq(c->listen_port, 5000);
	ck_assert_uint_eq(c->alt_port, 6000);
	ck_assert(c->has_alt_addr);
	ck_assert_str_eq(ntoa(c->alt_addr), "192.0.2.6");
	ck_assert(c->has_public);
	ck_assert_str_eq(ntoa(c->public_addr), "198.51.100.10");
	ck_assert_uint_eq(c->public_port, 4791);
	ck_assert_uint_eq(c->n_neighbours, 2);
	ck_assert_str_eq(c->neighbours[0].name, "pub");
	ck_assert_str_eq(c->neighbours[0].host, "192.0.2.5");
	ck_assert_uint_eq(c->neighbours[0].port, 4792);
	ck_assert_str_eq(c->neighbours[1].name, "site-b");
	ck_assert_str_eq(c->neighbours[1].host, "b.example.\"q\\");
	ck_assert_uint_eq(c->neighbours[1].port, CONF_DEFAULT_PORT);
	ck_assert_uint_eq(c->n_prefixes, 2);
	ck_assert_str_eq(ntoa(c->prefixes[0].addr), "192.168.1.0");
	ck_assert_uint_eq(c->prefixes[0].plen, 24);
	ck_assert_str_eq(ntoa(c->prefixes[1].addr), "10.0.0.0");
	ck_assert_uint_eq(c->prefixes[1].plen, 8);
	ck_assert(c->has_tun);
	ck_assert_str_eq(c->tun_name, "tun7");
	ck_assert_int_eq(c->tun_mtu, 1280);
	ck_assert_uint_eq(c->forward, CONF_FWD_IKE | CONF_FWD_ESP);
	ck_assert_str_eq(c->tls_ca, "/etc/proxyd/ca.crt");
	ck_assert_str_eq(c->tls_cert, "/c/site-a.crt");
	ck_assert_str_eq(c->tls_key, "/etc/proxyd/k/a.key");
	ck_assert_str_eq(c->control, "/tmp/a.sock");
	ck_assert_str_eq(c->user, "proxyd");
	ck_assert_str_eq(c->user_at, "/etc/proxyd/x.conf:12");
	ck_assert_int_eq(c->ka_min, 10);
	ck_assert_int_eq(c->ka_max, 60);
	ck_assert_int_eq(c->log_level, LOG_LVL_DEBUG);
}
END_TEST

/* A prefix with an alias: both in the model, the alias advertised. */
START_TEST(loads_aliases)
{
	struct in_addr a;

	loads(MIN "prefixes = ( \"10.1.0.0/24\",\n"
	    "  { prefix = \"192.168.1.0/24\"; as = \"10.201.1.0/24\"; } );\n"
	    "tun = { };\n");
	ck_assert_uint_eq(c->n_prefixes, 2);
	ck_assert(!c->prefixes[0].has_alias);
	a = conf_prefix_adv(&c->prefixes[0]);
	ck_assert_str_eq(ntoa(a), "10.1.0.0");
	ck_assert(c->prefixes[1].has_alias);
	ck_assert_str_eq(ntoa(c->prefixes[1].addr), "192.168.1.0");
	ck_assert_str_eq(ntoa(c->prefixes[1].alias), "10.201.1.0");
	ck_assert_uint_eq(c->prefixes[1].plen, 24);
	a = conf_prefix_adv(&c->prefixes[1]);
	ck_assert_str_eq(ntoa(a), "10.201.1.0");
}
END_TEST

START_TEST(rejects_overlapping_aliases)
{
	FAILS(MIN "tun = { };\nprefixes = (\n"
	    "  \"10.1.0.0/16\",\n"
	    "  { prefix = \"192.168.1.0/24\"; as = \"10.1.7.0/24\"; },\n"
	    "  { prefix = \"192.168.2.0/24\"; as = \"10.9.0.0/24\"; },\n"
	    "  { prefix = \"192.168.3.0/24\"; as = \"10.9.0.0/24\"; },\n"
	    "  { prefix = \"192.168.4.0/24\"; as = \"10.8.0.0/23\"; } );\n",
	    "x.conf:6: 'prefixes.[1].as' '10.1.7.0/24' overlaps this site's "
	    "own 'prefixes.[0]' '10.1.0.0/16': choose an alias no site of the "
	    "network uses",
	    "x.conf:8: 'prefixes.[3].as' '10.9.0.0/24' overlaps "
	    "'prefixes.[2].as' '10.9.0.0/24': each alias must be distinct",
	    "x.conf:9: 'prefixes.[4].as' '10.8.0.0/23' is a /23 and 'prefix' "
	    "a /24: an alias has the length of its prefix");
}
END_TEST

START_TEST(loads_tun_defaults_and_all_forward)
{
	loads(MIN "prefixes = [ \"10.1.0.0/16\" ];\ntun = { };\n"
	    "forward = [ \"all\" ];\nneighbours = ( );\n");
	ck_assert(c->has_tun);
	ck_assert_str_eq(c->tun_name, "pxy0");
	ck_assert_int_eq(c->tun_mtu, CONF_DEFAULT_TUN_MTU);
	ck_assert_uint_eq(c->forward, CONF_FWD_ALL);
	ck_assert_uint_eq(c->n_neighbours, 0);
}
END_TEST

START_TEST(alt_port_defaults_to_none_on_last_port)
{
	loads(MIN "listen = { port = 65535; };\n");
	ck_assert_uint_eq(c->alt_port, 0);
}
END_TEST

START_TEST(alt_port_zero_means_none)
{
	loads(MIN "listen = { port = 1; alt_port = 0; };\n");
	ck_assert_uint_eq(c->listen_port, 1);
	ck_assert_uint_eq(c->alt_port, 0);
}
END_TEST

START_TEST(rejects_missing_keys)
{
	FAILS("log = \"info\";\n",
	    "x.conf:1: 'name' missing",
	    "x.conf:1: 'tls' missing");
	conf_errs_release(&errs);
	FAILS("name = \"a\";\ntls = { ca = \"ca\"; };\n",
	    "x.conf:2: 'tls.cert' missing",
	    "x.conf:2: 'tls.key' missing");
}
END_TEST

START_TEST(rejects_missing_neighbour_host)
{
	FAILS(MIN "neighbours = ( { name = \"b\"; host = \"h\"; },\n"
	    "  { name = \"c\"; port = 1; } );\n",
	    "x.conf:4: 'neighbours.[1].host' missing");
}
END_TEST

START_TEST(rejects_wrong_types)
{
	FAILS("name = 5;\n" TLS
	    "listen = { port = \"4790\"; alt_port = 1.5; };\n"
	    "neighbours = { name = \"b\"; };\n"
	    "prefixes = [ 10 ];\n"
	    "tun = [ \"pxy0\" ];\n"
	    "forward = \"ike\";\n"
	    "keepalive = { min = true; };\n"
	    "log = ( \"info\" );\n",
	    "x.conf:1: 'name' must be a string, not an integer",
	    "x.conf:3: 'listen.port' must be an integer, not a string",
	    "x.conf:3: 'listen.alt_port' must be an integer, not a float",
	    "x.conf:4: 'neighbours' must be a list ( ... ), not a group",
	    "x.conf:5: 'prefixes.[0]' must be a string \"A.B.C.D/N\" or a group "
	    "{ prefix = ...; as = ...; }, not an integer",
	    "x.conf:6: 'tun' must be a group { ... }, not an array",
	    "x.conf:7: 'forward' must be an array [ ... ], not a string",
	    "x.conf:8: 'keepalive.min' must be an integer, not a boolean",
	    "x.conf:9: 'log' must be a string, not a list");
}
END_TEST

START_TEST(rejects_neighbour_that_is_not_a_group)
{
	FAILS(MIN "neighbours = ( \"pub\" );\n",
	    "x.conf:3: 'neighbours.[0]' must be a group { ... }, not a string");
}
END_TEST

START_TEST(rejects_port_out_of_range)
{
	config_t cf;

	config_init(&cf);
	ck_assert(config_read_string(&cf, MIN "\n\n\n\n\n\n\n\n\n\n"
	    "listen = {\n port = 70000;\n};\n"));
	ck_assert_int_eq(conf_load(&cf, "proxyd.conf", &c, &errs), -1);
	config_destroy(&cf);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0],
	    "proxyd.conf:14: 'listen.port' 70000 out of range 1-65535");
}
END_TEST

START_TEST(rejects_numbers_out_of_range)
{
	FAILS(MIN "listen = { port = 0; alt_port = 65536; };\n"
	    "neighbours = ( { name = \"b\"; host = \"h\"; port = -1; } );\n"
	    "prefixes = [ \"10.0.0.0/8\" ];\n"
	    "tun = { mtu = 575; };\n"
	    "keepalive = { min = 0; max = 3601; };\n"
	    "tun2 = 1;\n",
	    "x.conf:3: 'listen.port' 0 out of range 1-65535",
	    "x.conf:3: 'listen.alt_port' 65536 out of range 0-65535",
	    "x.conf:4: 'neighbours.[0].port' -1 out of range 1-65535",
	    "x.conf:6: 'tun.mtu' 575 out of range 576-9000",
	    "x.conf:7: 'keepalive.min' 0 out of range 1-3600",
	    "x.conf:7: 'keepalive.max' 3601 out of range 1-3600",
	    "x.conf:8: unknown key 'tun2'");
	conf_errs_release(&errs);
	FAILS(MIN "prefixes = [ \"10.0.0.0/8\" ];\ntun = { mtu = 9001; };\n",
	    "x.conf:4: 'tun.mtu' 9001 out of range 576-9000");
}
END_TEST

START_TEST(rejects_unknown_keys)
{
	FAILS(MIN "lsiten = { port = 1; };\n"
	    "listen = { prot = 1; };\n"
	    "neighbours = ( { name = \"b\"; hots = \"h\"; } );\n"
	    "tls2 = 1;\n",
	    "x.conf:3: unknown key 'lsiten'",
	    "x.conf:4: unknown key 'listen.prot'",
	    "x.conf:5: unknown key 'neighbours.[0].hots'",
	    "x.conf:5: 'neighbours.[0].host' missing",
	    "x.conf:6: unknown key 'tls2'");
}
END_TEST

START_TEST(rejects_bad_names)
{
	FAILS("name = \"a b\";\n" TLS
	    "neighbours = ( { name = \"\"; host = \"h\"; },\n"
	    "  { name = \"0123456789012345678901234567890123456789"
	    "012345678901234567890123\"; host = \"h2\"; } );\n",
	    "x.conf:1: 'name' 'a b' may only contain A-Za-z0-9._-",
	    "x.conf:3: 'neighbours.[0].name' is empty",
	    "x.conf:4: 'neighbours.[1].name' '0123456789012345678901234567"
	    "890123456789012345678901234567890123' longer than 63 characters");
}
END_TEST

START_TEST(rejects_own_and_duplicate_neighbour_names)
{
	FAILS(MIN "neighbours = (\n"
	    "  { name = \"b\"; host = \"h1\"; },\n"
	    "  { name = \"a\"; host = \"h2\"; },\n"
	    "  { name = \"b\"; host = \"h3\"; } );\n",
	    "x.conf:5: 'neighbours.[1].name' 'a' is this proxy's own name",
	    "x.conf:6: 'neighbours.[2].name' 'b' already used by "
	    "'neighbours.[0]'");
}
END_TEST

START_TEST(loads_listen_addresses_of_both_families)
{
	char b[INET6_ADDRSTRLEN];

	loads(MIN);
	ck_assert(c->listen_v4);
	ck_assert(!c->listen_v6);
	conf_free(c);
	c = NULL;
	loads(MIN "listen = { address = \"::\"; };\n");
	ck_assert(!c->listen_v4);
	ck_assert(c->listen_v6);
	ck_assert(IN6_IS_ADDR_UNSPECIFIED(&c->listen6_addr));
	conf_free(c);
	c = NULL;
	loads(MIN "listen = { address = [ \"0.0.0.0\", \"2001:DB8::1\" ];\n"
	    "  alt_address = [ \"2001:db8::2\", \"192.0.2.7\" ]; };\n"
	    "neighbours = ( { name = \"p\"; host = \"2001:DB8:0::5\"; } );\n");
	ck_assert(c->listen_v4 && c->listen_v6);
	ck_assert_str_eq(inet_ntop(AF_INET6, &c->listen6_addr, b, sizeof(b)),
	    "2001:db8::1");
	ck_assert(c->has_alt_addr && c->has_alt_addr6);
	ck_assert_str_eq(ntoa(c->alt_addr), "192.0.2.7");
	/* an IPv6 neighbour is kept in RFC 5952 form */
	ck_assert_str_eq(c->neighbours[0].host, "2001:db8::5");
}
END_TEST

START_TEST(rejects_bad_listen_address_lists)
{
	FAILS(MIN "listen = { address = [ \"0.0.0.0\", \"192.0.2.1\" ]; };\n",
	    "x.conf:3: 'listen.address.[1]' '192.0.2.1': a second IPv4 address "
	    "(at most one of each family)");
	conf_errs_release(&errs);
	FAILS(MIN "listen = { address = [ \"::\", \"::\", \"::\" ]; };\n",
	    "x.conf:3: 'listen.address' must hold one or two addresses (at "
	    "most one of each family), not 3");
	conf_errs_release(&errs);
	FAILS(MIN "listen = { address = \"0.0.0.0\"; alt_address = \"::1\"; };\n",
	    "x.conf:3: 'listen.alt_address' '::1': no IPv6 'listen.address' to "
	    "be the alternate of");
	conf_errs_release(&errs);
	FAILS(MIN "listen = { address = \"fe80::1\"; };\n",
	    "x.conf:3: 'listen.address' 'fe80::1' is not an IPv6 address to "
	    "listen on (IPv4-mapped, multicast or link-local: write '::' or a "
	    "global or unique-local address)");
	conf_errs_release(&errs);
	FAILS(MIN "neighbours = ( { name = \"p\"; host = \"2001:db8::g\"; } );\n",
	    "x.conf:3: 'neighbours.[0].host' '2001:db8::g' is not an IPv6 "
	    "address a neighbour can have (write it without brackets or port; "
	    "not ::, multicast, link-local or IPv4-mapped)");
}
END_TEST

START_TEST(rejects_bad_addresses)
{
	FAILS(MIN "listen = { address = \"1.2.3\"; alt_address = \"x\"; };\n"
	    "public = \"198.51.100.1\";\n",
	    "x.conf:3: 'listen.address' '1.2.3' is not an IPv4 or IPv6 address",
	    "x.conf:3: 'listen.alt_address' 'x' is not an IPv4 or IPv6 address",
	    "x.conf:4: 'public' '198.51.100.1' is not A.B.C.D:PORT "
	    "(PORT 1-65535)");
	conf_errs_release(&errs);
	FAILS(MIN "listen = { address = \"192.0.2.1\";\n"
	    "  alt_address = \"192.0.2.1\"; };\n",
	    "x.conf:4: 'listen.alt_address' '192.0.2.1' equals "
	    "'listen.address'");
}
END_TEST

static const char *const bad_publics[] = {
	"198.51.100.1:0", "198.51.100.1:65536", "198.51.100.1:", "host:80",
	"198.51.100.1:80x", "198.51.100.1:+80", ":80", "1.2.3.4.5:80",
};

START_TEST(rejects_bad_public)
{
	char	text[256], want[256];

	snprintf(text, sizeof(text), MIN "public = \"%s\";\n",
	    bad_publics[_i]);
	snprintf(want, sizeof(want), "x.conf:3: 'public' '%s' is not "
	    "A.B.C.D:PORT (PORT 1-65535)", bad_publics[_i]);
	FAILS(text, want);
}
END_TEST

START_TEST(rejects_bad_prefixes)
{
	FAILS(MIN "tun = { };\n\n\n\n"
	    "prefixes = [ \"10.0.0.1/8\", \"192.168.1.0/24\", \"1.2.3.4/33\",\n"
	    "  \"192.168.1.0/24\", \"garbage\" ];\n",
	    "x.conf:7: 'prefixes.[0]' '10.0.0.1/8' has host bits set",
	    "x.conf:7: 'prefixes.[2]' '1.2.3.4/33' is not A.B.C.D/N",
	    "x.conf:8: 'prefixes.[3]' '192.168.1.0/24' duplicates "
	    "'prefixes.[1]'",
	    "x.conf:8: 'prefixes.[4]' 'garbage' is not A.B.C.D/N");
	conf_errs_release(&errs);
	/* A rejected prefix still counts for the tun rule. */
	FAILS(MIN "tun = { };\nprefixes = [ \"10.0.0.1/8\" ];\n",
	    "x.conf:4: 'prefixes.[0]' '10.0.0.1/8' has host bits set");
}
END_TEST

START_TEST(rejects_tun_without_prefixes)
{
	FAILS(MIN "tun = { name = \"pxy1\"; };\n",
	    "x.conf:3: 'tun' needs at least one prefix");
	conf_errs_release(&errs);
	FAILS(MIN "prefixes = [ ];\ntun = { };\n",
	    "x.conf:4: 'tun' needs at least one prefix");
}
END_TEST

START_TEST(rejects_prefixes_without_tun)
{
	FAILS(MIN "prefixes = [ \"10.0.0.0/8\" ];\n",
	    "x.conf:3: 'prefixes' need a tun");
}
END_TEST

START_TEST(rejects_bad_tun_names)
{
	FAILS(MIN "prefixes = [ \"10.0.0.0/8\" ];\n"
	    "tun = { name = \"0123456789abcdef\"; };\n",
	    "x.conf:4: 'tun.name' '0123456789abcdef' longer than 15 "
	    "characters");
	conf_errs_release(&errs);
	FAILS(MIN "prefixes = [ \"10.0.0.0/8\" ];\ntun = { name = \"a/b\"; };\n",
	    "x.conf:4: 'tun.name' 'a/b' is not a valid interface name");
	conf_errs_release(&errs);
	FAILS(MIN "prefixes = [ \"10.0.0.0/8\" ];\ntun = { name = \"..\"; };\n",
	    "x.conf:4: 'tun.name' '..' is not a valid interface name");
}
END_TEST

START_TEST(rejects_bad_forward)
{
	FAILS(MIN "forward = [ ];\n",
	    "x.conf:3: 'forward' is empty");
	conf_errs_release(&errs);
	FAILS(MIN "forward = [ \"ike\", \"tcp\", \"ike\" ];\n",
	    "x.conf:3: 'forward.[1]' 'tcp' is not one of ike, esp, icmp, all",
	    "x.conf:3: 'forward.[2]' 'ike' given twice");
}
END_TEST

START_TEST(rejects_keepalive_min_above_max)
{
	FAILS(MIN "keepalive = {\n min = 200;\n};\n",
	    "x.conf:4: 'keepalive.min' 200 greater than 'keepalive.max' 120");
	conf_errs_release(&errs);
	FAILS(MIN "keepalive = {\n max = 4;\n};\n",
	    "x.conf:4: 'keepalive.min' 5 greater than 'keepalive.max' 4");
}
END_TEST

START_TEST(rejects_alt_port_equal_to_port)
{
	FAILS(MIN "listen = { port = 5000;\n alt_port = 5000; };\n",
	    "x.conf:4: 'listen.alt_port' 5000 equals 'listen.port'");
}
END_TEST

START_TEST(rejects_bad_log_level)
{
	FAILS(MIN "log = \"verbose\";\n",
	    "x.conf:3: 'log' 'verbose' is not one of error, warn, info, debug");
}
END_TEST

#define D10	"0123456789"
#define D100	D10 D10 D10 D10 D10 D10 D10 D10 D10 D10

START_TEST(rejects_empty_and_long_strings)
{
	/* 108 characters, one more than sun_path holds */
	FAILS("name = \"a\";\ntls = { ca = \"\"; cert = \"c\"; key = \"k\"; };\n"
	    "control = \"/" D100 "0123456\";\n",
	    "x.conf:2: 'tls.ca' is empty",
	    "x.conf:3: 'control' '/" D10 D10 D10 D10 D10 D10 "012...' longer "
	    "than 107 characters");
	conf_errs_release(&errs);
	loads(MIN "control = \"/" D100 "012345\";\n");
	ck_assert_uint_eq(strlen(c->control), 107);
}
END_TEST

/* Only its form is checked here: proxyd looks the user up. */
START_TEST(rejects_bad_user)
{
	FAILS(MIN "user = \"\";\n", "x.conf:3: 'user' is empty");
	conf_errs_release(&errs);
	FAILS(MIN "user = 65534;\n",
	    "x.conf:3: 'user' must be a string, not an integer");
	conf_errs_release(&errs);
	FAILS(MIN "user = \"" D100 D100 D10 D10 D10 D10 D10 "123456\";\n",
	    "x.conf:3: 'user' '" D10 D10 D10 D10 D10 D10 "0123...' "
	    "longer than 255 characters");
	conf_errs_release(&errs);
	loads(MIN "user = \"no-such-user-xyz\";\n");
	ck_assert_str_eq(c->user, "no-such-user-xyz");
	ck_assert_str_eq(c->user_at, "/etc/proxyd/x.conf:3");
}
END_TEST

/* pidfile: an absolute path, printed only when set. */
START_TEST(pidfile_must_be_absolute)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	FAILS(MIN "pidfile = \"run/x.pid\";\n",
	    "x.conf:3: 'pidfile' 'run/x.pid' must be an absolute path");
	conf_errs_release(&errs);
	loads(MIN);
	ck_assert_ptr_null(c->pidfile);
	conf_free(c);
	c = NULL;
	loads(MIN "pidfile = \"/run/proxyd/a.pid\";\n");
	ck_assert_str_eq(c->pidfile, "/run/proxyd/a.pid");
	f = open_memstream(&buf, &len);
	conf_print(c, f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "\npidfile = \"/run/proxyd/a.pid\";\n"));
	free(buf);
}
END_TEST

/* user is printed after control, and only when set (golden files). */
START_TEST(prints_user_only_when_set)
{
	char *s;

	loads(MIN "user = \"nobody\";\n");
	s = print(c);
	ck_assert_ptr_nonnull(strstr(s, "control = \"/run/proxyd/a.sock\";\n"
	    "user = \"nobody\";\nkeepalive = {\n"));
	free(s);
	conf_free(c);
	c = NULL;
	loads(MIN);
	s = print(c);
	ck_assert_ptr_null(strstr(s, "user"));
	free(s);
}
END_TEST

START_TEST(reports_all_errors_in_line_order)
{
	FAILS("listen = { port = 0; };\n"
	    "prefixes = [ \"10.0.0.1/8\" ];\n"
	    "neighbours = ( { host = \"h\"; } );\n"
	    "forward = [ \"udp\" ];\n"
	    "tls = { ca = 1; cert = \"c\"; key = \"k\"; extra = 1; };\n"
	    "keepalive = { min = 9; max = 8; };\n"
	    "log = \"loud\";\n",
	    "x.conf:1: 'name' missing",
	    "x.conf:1: 'listen.port' 0 out of range 1-65535",
	    "x.conf:2: 'prefixes.[0]' '10.0.0.1/8' has host bits set",
	    "x.conf:2: 'prefixes' need a tun",
	    "x.conf:3: 'neighbours.[0].name' missing",
	    "x.conf:4: 'forward.[0]' 'udp' is not one of ike, esp, icmp, all",
	    "x.conf:5: unknown key 'tls.extra'",
	    "x.conf:5: 'tls.ca' must be a string, not an integer",
	    "x.conf:6: 'keepalive.min' 9 greater than 'keepalive.max' 8",
	    "x.conf:7: 'log' 'loud' is not one of error, warn, info, debug");
}
END_TEST

START_TEST(appends_to_existing_errors)
{
	FAILS(MIN "log = 1;\n", "x.conf:3: 'log' must be a string, not an integer");
	ck_assert_int_eq(load_as("y.conf", "log = \"x\";\nname = 1;\n"), -1);
	ck_assert_uint_eq(errs.n, 4);
	ck_assert_str_eq(errs.msgs[0],
	    "x.conf:3: 'log' must be a string, not an integer");
	ck_assert_str_eq(errs.msgs[1], "y.conf:1: 'tls' missing");
	ck_assert_str_eq(errs.msgs[2],
	    "y.conf:1: 'log' 'x' is not one of error, warn, info, debug");
	ck_assert_str_eq(errs.msgs[3],
	    "y.conf:2: 'name' must be a string, not an integer");
}
END_TEST

START_TEST(resolves_relative_tls_paths)
{
	char	cwd[4096], want[4200];
	const char *text = "name = \"a\";\ntls = { ca = \"ca.crt\"; "
	    "cert = \"./certs//a.crt\"; key = \"/k/a.key\"; };\n";

	ck_assert_int_eq(load_as("/etc/proxyd/a.conf", text), 0);
	ck_assert_str_eq(c->tls_ca, "/etc/proxyd/ca.crt");
	ck_assert_str_eq(c->tls_cert, "/etc/proxyd/certs/a.crt");
	ck_assert_str_eq(c->tls_key, "/k/a.key");
	conf_free(c);
	ck_assert_int_eq(load_as("/a.conf", text), 0);
	ck_assert_str_eq(c->tls_ca, "/ca.crt");
	conf_free(c);

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(load_as("a.conf", text), 0);
	snprintf(want, sizeof(want), "%s/ca.crt", strcmp(cwd, "/") ? cwd : "");
	ck_assert_str_eq(c->tls_ca, want);
	conf_free(c);
	ck_assert_int_eq(load_as("./sub/./a.conf", text), 0);
	snprintf(want, sizeof(want), "%s/sub/certs/a.crt",
	    strcmp(cwd, "/") ? cwd : "");
	ck_assert_str_eq(c->tls_cert, want);
}
END_TEST

static const struct {
	const char	*s;
	int		 rc;
	const char	*addr;
	int		 plen;
} prefixes[] = {
	{ "0.0.0.0/0", 0, "0.0.0.0", 0 },
	{ "10.0.0.0/8", 0, "10.0.0.0", 8 },
	{ "192.0.2.1/32", 0, "192.0.2.1", 32 },
	{ "255.255.255.255/32", 0, "255.255.255.255", 32 },
	{ "192.168.1.128/25", 0, "192.168.1.128", 25 },
	{ "1.0.0.0/0", -1, NULL, 0 },
	{ "10.0.0.1/8", -1, NULL, 0 },
	{ "192.168.1.1/31", -1, NULL, 0 },
	{ "1.2.3.4/33", -1, NULL, 0 },
	{ "1.2.3.4/100", -1, NULL, 0 },
	{ "1.2.3.4", -1, NULL, 0 },
	{ "1.2.3.4/", -1, NULL, 0 },
	{ "1.2.3.0/-1", -1, NULL, 0 },
	{ "1.2.3.0/+8", -1, NULL, 0 },
	{ "1.2.3.0/24 ", -1, NULL, 0 },
	{ " 1.2.3.0/24", -1, NULL, 0 },
	{ "1.2.3.0/24/24", -1, NULL, 0 },
	{ "1.2.3/24", -1, NULL, 0 },
	{ "256.0.0.0/8", -1, NULL, 0 },
	{ "/8", -1, NULL, 0 },
	{ "garbage", -1, NULL, 0 },
	{ "", -1, NULL, 0 },
};

START_TEST(prefix_parse_edge_cases)
{
	struct conf_prefix p;

	ck_assert_msg(conf_prefix_parse(prefixes[_i].s, &p) == prefixes[_i].rc,
	    "'%s' should %s", prefixes[_i].s, prefixes[_i].rc ? "fail" : "parse");
	if (prefixes[_i].rc == 0) {
		ck_assert_str_eq(ntoa(p.addr), prefixes[_i].addr);
		ck_assert_int_eq(p.plen, prefixes[_i].plen);
	}
}
END_TEST

START_TEST(prints_normal_form_with_defaults)
{
	char *s;

	loads(MIN);
	s = print(c);
	ck_assert_str_eq(s,
	    "name = \"a\";\n"
	    "listen = {\n"
	    "\taddress = \"0.0.0.0\";\n"
	    "\tport = 4795;\n"
	    "\talt_port = 4796;\n"
	    "};\n"
	    "neighbours = ( );\n"
	    "prefixes = [ ];\n"
	    "forward = [ \"ike\", \"esp\", \"icmp\" ];\n"
	    "tls = {\n"
	    "\tca = \"/ca\";\n"
	    "\tcert = \"/cert\";\n"
	    "\tkey = \"/key\";\n"
	    "};\n"
	    "control = \"/run/proxyd/a.sock\";\n"
	    "keepalive = {\n"
	    "\tmin = 5;\n"
	    "\tmax = 120;\n"
	    "};\n"
	    "log = \"info\";\n");
	free(s);
}
END_TEST

static const char *const round_trips[] = {
	MIN,
	full,
	MIN "listen = { port = 65535; };\nforward = [ \"all\", \"icmp\" ];\n"
	    "log = \"error\";\n",
};

START_TEST(print_round_trips)
{
	char		*first, *second;
	struct conf	*c1;

	loads(round_trips[_i]);
	first = print(c);
	c1 = c;
	c = NULL;
	loads(first);
	second = print(c);
	ck_assert_str_eq(first, second);
	free(first);
	free(second);
	conf_free(c1);
}
END_TEST

START_TEST(conf_free_null_does_nothing)
{
	conf_free(NULL);
	conf_errs_release(&errs);
}
END_TEST

/* Writes text to a fresh temporary file; returns its malloc'ed path. */
static char *
tmpconf(const char *text)
{
	char	*path = strdup("/tmp/check_conf.XXXXXX");
	int	 fd;

	ck_assert_ptr_nonnull(path);
	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(load_file_reports_syntax_errors)
{
	char	*path = tmpconf("name = \"a\";\nlisten = ;\n"), want[64];

	ck_assert_int_eq(conf_load_file(path, &c, &errs), -1);
	ck_assert_ptr_null(c);
	snprintf(want, sizeof(want), "%s:2: syntax error", path);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], want);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(load_file_reports_unreadable_files)
{
	ck_assert_int_eq(conf_load_file("/nonexistent/x.conf", &c, &errs), -1);
	ck_assert_int_eq(conf_load_file("/", &c, &errs), -1);
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_str_eq(errs.msgs[0],
	    "/nonexistent/x.conf: No such file or directory");
	ck_assert_str_eq(errs.msgs[1], "/: Is a directory");
}
END_TEST

/* Paths and @include are taken from the file's directory, not the cwd. */
START_TEST(load_file_resolves_against_its_directory)
{
	char	 dir[] = "/tmp/check_conf.XXXXXX", path[64], inc[64], want[64];
	FILE	*fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.conf", dir);
	snprintf(inc, sizeof(inc), "%s/tls.inc", dir);
	ck_assert_ptr_nonnull(fp = fopen(inc, "w"));
	fputs("tls = { ca = \"ca.crt\"; cert = \"c\"; key = \"k\"; };\n", fp);
	fclose(fp);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs("name = \"a\";\n@include \"tls.inc\"\n", fp);
	fclose(fp);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(conf_load_file(path, &c, &errs), 0);
	snprintf(want, sizeof(want), "%s/ca.crt", dir);
	ck_assert_str_eq(c->tls_ca, want);
	unlink(path);
	unlink(inc);
	rmdir(dir);
}
END_TEST

START_TEST(load_file_names_file_in_errors)
{
	char	*path = tmpconf("name = \"a\";\n" TLS "log = 3;\n"), want[80];

	ck_assert_int_eq(conf_load_file(path, &c, &errs), -1);
	snprintf(want, sizeof(want), "%s:3: 'log' must be a string, "
	    "not an integer", path);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], want);
	unlink(path);
	free(path);
}
END_TEST

static const struct {
	const char	*pub;
	const char	*why;
} unusable_publics[] = {
	{ "0.0.0.0:4790", "this host, 0.0.0.0/8" },
	{ "0.255.1.2:1", "this host, 0.0.0.0/8" },
	{ "127.0.0.1:4790", "loopback, 127.0.0.0/8" },
	{ "127.255.255.254:4790", "loopback, 127.0.0.0/8" },
	{ "224.0.0.1:4790", "multicast, 224.0.0.0/4" },
	{ "239.255.255.255:4790", "multicast, 224.0.0.0/4" },
	{ "240.0.0.1:4790", "reserved, 240.0.0.0/4" },
	{ "255.255.255.254:4790", "reserved, 240.0.0.0/4" },
	{ "255.255.255.255:4790", "broadcast" },
};

START_TEST(rejects_public_that_others_cannot_reach)
{
	char	text[256], want[256];

	snprintf(text, sizeof(text), MIN "public = \"%s\";\n",
	    unusable_publics[_i].pub);
	snprintf(want, sizeof(want), "x.conf:3: 'public' '%s' is not a "
	    "unicast address other hosts can reach (%s)",
	    unusable_publics[_i].pub, unusable_publics[_i].why);
	FAILS(text, want);
}
END_TEST

static const char *const usable_publics[] = {
	"1.0.0.0:1", "10.0.0.1:4790", "100.64.0.1:4790", "126.255.255.255:1",
	"128.0.0.0:1", "169.254.1.1:4790", "192.168.1.1:65535",
	"223.255.255.255:4790",
};

START_TEST(accepts_public_unicast_addresses)
{
	char	text[256];

	snprintf(text, sizeof(text), MIN "public = \"%s\";\n",
	    usable_publics[_i]);
	loads(text);
	ck_assert(c->has_public);
}
END_TEST

/* A fresh temporary directory; its path is static. */
static const char *
tmpdir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/check_conf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static void
rm_rf(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(rejects_control_that_is_not_a_socket)
{
	const char		*dir = tmpdir();
	char			 p[5][96], text[5][256], want[5][256];
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	static const char *const what[] = { "a regular file", "a directory",
	    "a symbolic link", "a FIFO" };
	int			 fd, i;

	for (i = 0; i < 5; i++) {
		snprintf(p[i], sizeof(p[i]), "%s/%d", dir, i);
		snprintf(text[i], sizeof(text[i]), MIN "control = \"%s\";\n",
		    p[i]);
		if (i < 4)
			snprintf(want[i], sizeof(want[i]), "x.conf:3: "
			    "'control' '%s' is %s, not a socket", p[i],
			    what[i]);
	}
	/* nothing there: fine, proxyd makes the socket */
	loads(text[0]);
	conf_free(c);
	c = NULL;
	ck_assert_int_ne(fd = open(p[0], O_CREAT | O_WRONLY, 0600), -1);
	close(fd);
	ck_assert_int_eq(mkdir(p[1], 0700), 0);
	ck_assert_int_eq(symlink(p[4], p[2]), 0);	/* to the socket */
	ck_assert_int_eq(mkfifo(p[3], 0600), 0);
	for (i = 0; i < 4; i++) {
		fails_with(text[i], (const char *const []){ want[i], NULL });
		conf_errs_release(&errs);
	}
	/* a socket, stale or live, is what proxyd replaces */
	ck_assert_int_ne(fd = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", p[4]);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	loads(text[4]);
	rm_rf(dir);
}
END_TEST

START_TEST(rejects_duplicate_neighbour_endpoints)
{
	FAILS(MIN "neighbours = (\n"
	    "  { name = \"b\"; host = \"relay.example\"; },\n"
	    "  { name = \"c\"; host = \"Relay.Example.\"; port = 4795; },\n"
	    "  { name = \"d\"; host = \"relay.example\"; port = 4796; },\n"
	    "  { name = \"e\"; host = \"192.0.2.1\"; port = 4791; },\n"
	    "  { name = \"f\"; host = \"192.0.2.1\"; port = 4791; } );\n",
	    "x.conf:5: 'neighbours.[1].host' 'Relay.Example.' with the same "
	    "port as 'neighbours.[0]': the same proxy twice",
	    "x.conf:8: 'neighbours.[4].host' '192.0.2.1' with the same port "
	    "as 'neighbours.[3]': the same proxy twice");
}
END_TEST

/*
 * 5000 neighbours and 5000 prefixes with repeats far apart: each list is
 * sorted once (comparing each element with every earlier one took 30 s).
 * libconfig gives an array element the line of the token after it, here
 * the next line's comma.
 */
START_TEST(finds_repeats_in_long_lists)
{
	size_t	 cap = 1 << 20, off = 0;
	char	*text = malloc(cap);
	int	 i;

	ck_assert_ptr_nonnull(text);
	off += (size_t)snprintf(text + off, cap - off, MIN "tun = { };\n"
	    "neighbours = (\n");
	for (i = 0; i < 5000; i++)
		off += (size_t)snprintf(text + off, cap - off, "%s{ name = "
		    "\"n%d\"; host = \"10.0.%d.%d\"; }\n", i ? "," : "",
		    i == 4999 ? 17 : i, i == 4998 ? 0 : i / 256, i % 256);
	off += (size_t)snprintf(text + off, cap - off, ");\nprefixes = [\n");
	for (i = 0; i < 5000; i++)
		off += (size_t)snprintf(text + off, cap - off, "%s\"10.%d.%d.0"
		    "/24\"\n", i ? "," : "", (i == 4999 ? 3 : i) / 256,
		    (i == 4999 ? 3 : i) % 256);
	snprintf(text + off, cap - off, "];\n");
	FAILS(text,
	    "x.conf:5003: 'neighbours.[4998].host' '10.0.0.134' with the same "
	    "port as 'neighbours.[134]': the same proxy twice",
	    "x.conf:5004: 'neighbours.[4999].name' 'n17' already used by "
	    "'neighbours.[17]'",
	    "x.conf:10007: 'prefixes.[4999]' '10.0.3.0/24' duplicates "
	    "'prefixes.[3]'");
	free(text);
}
END_TEST

START_TEST(truncates_long_values_in_messages)
{
	size_t	 n = 100 * 1024;
	char	*text = malloc(n + 256), want[256];

	ck_assert_ptr_nonnull(text);
	strcpy(text, "name = \"");
	memset(text + 8, 'x', n);
	strcpy(text + 8 + n, " \";\n" TLS);
	snprintf(want, sizeof(want), "x.conf:1: 'name' '%.64s...' longer than "
	    "63 characters", text + 8);
	FAILS(text, want);
	conf_errs_release(&errs);
	/* cut before a UTF-8 sequence, never inside; control bytes as '?' */
	FAILS(MIN "log = \"" D10 D10 D10 D10 D10 "0123456789012\xc3\xa9"
	    "xyz\";\n",
	    "x.conf:3: 'log' '" D10 D10 D10 D10 D10 D10 "012...' is not one "
	    "of error, warn, info, debug");
	conf_errs_release(&errs);
	/* invalid UTF-8 (only continuation bytes): cut 3 bytes early at most */
	memset(want, 0x80, 70);
	want[70] = '\0';
	snprintf(text, n + 256, MIN "log = \"%s\";\n", want);
	snprintf(want, sizeof(want), "x.conf:3: 'log' '%.61s...' is not one "
	    "of error, warn, info, debug", text + strlen(MIN) + 7);
	FAILS(text, want);
	conf_errs_release(&errs);
	FAILS(MIN "log = \"a\\nb\\x1b[2J\";\n",
	    "x.conf:3: 'log' 'a?b?[2J' is not one of error, warn, info, debug");
	conf_errs_release(&errs);
	/* unknown keys too: names are unbounded */
	memset(text, 'k', n);
	strcpy(text + n, " = 1;\n" MIN);
	snprintf(want, sizeof(want), "x.conf:1: unknown key '%.64s...'", text);
	FAILS(text, want);
	free(text);
}
END_TEST

/* Loads MIN with tls.key set to a file of that mode, strict or not. */
static int
load_with_key(const char *dir, mode_t mode, bool strict)
{
	char	path[96], text[256];
	int	fd;

	snprintf(path, sizeof(path), "%s/k%o%s", dir, (unsigned)mode,
	    strict ? "s" : "");
	ck_assert_int_ne(fd = open(path, O_CREAT | O_WRONLY, 0600), -1);
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
	snprintf(text, sizeof(text), "name = \"a\";\ntls = { ca = \"/ca\"; "
	    "cert = \"/cert\";\n  key = \"%s\";%s };\n", path,
	    strict ? "\n  strict_perms = true;" : "");
	conf_free(c);
	c = NULL;
	conf_errs_release(&errs);
	return load_as("x.conf", text);
}

START_TEST(warns_about_key_that_everyone_can_read)
{
	const char	*dir = tmpdir();
	char		 want[256];

	ck_assert_int_eq(load_with_key(dir, 0600, false), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_int_eq(load_with_key(dir, 0640, true), 0);
	ck_assert_uint_eq(errs.n, 0);
	ck_assert(c->tls_strict_perms);
	/* a warning only: the load succeeds and errs holds it */
	ck_assert_int_eq(load_with_key(dir, 0644, false), 0);
	snprintf(want, sizeof(want), "x.conf:3: warning: 'tls.key' '%s/k644' "
	    "is readable by everyone (mode 0644)", dir);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], want);
	ck_assert(!c->tls_strict_perms);
	/* refused with tls.strict_perms */
	ck_assert_int_eq(load_with_key(dir, 0604, true), -1);
	snprintf(want, sizeof(want), "x.conf:3: 'tls.key' '%s/k604s' is "
	    "readable by everyone (mode 0604) and 'tls.strict_perms' is set",
	    dir);
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.msgs[0], want);
	conf_errs_release(&errs);
	/* a missing key is for proxyd to report when it opens it */
	loads(MIN);
	ck_assert_uint_eq(errs.n, 0);
	conf_free(c);
	c = NULL;
	FAILS("name = \"a\";\ntls = { ca = \"c\"; cert = \"c\"; key = \"k\"; "
	    "strict_perms = 1; };\n",
	    "x.conf:2: 'tls.strict_perms' must be a boolean (true or false), "
	    "not an integer");
	rm_rf(dir);
}
END_TEST

/* Warnings and errors come out together, in line order. */
START_TEST(warnings_sort_with_errors)
{
	FAILS("name = \"a\";\ntls = { ca = \"/ca\"; cert = \"/cert\";\n"
	    "  key = \"/etc/passwd\"; };\nlog = \"x\";\n"
	    "listen = { port = 0; };\n",
	    "x.conf:3: warning: 'tls.key' '/etc/passwd' is readable by "
	    "everyone (mode 0644)",
	    "x.conf:4: 'log' 'x' is not one of error, warn, info, debug",
	    "x.conf:5: 'listen.port' 0 out of range 1-65535");
}
END_TEST

START_TEST(prints_strict_perms_only_when_set)
{
	char *s, *again;
	struct conf *first;

	loads(MIN);
	s = print(c);
	ck_assert_ptr_null(strstr(s, "strict_perms"));
	free(s);
	conf_free(c);
	c = NULL;
	loads("name = \"a\";\ntls = { ca = \"/ca\"; cert = \"/cert\"; "
	    "key = \"/key\"; strict_perms = true; };\n");
	s = print(c);
	ck_assert_ptr_nonnull(strstr(s, "\tkey = \"/key\";\n"
	    "\tstrict_perms = true;\n};\n"));
	first = c;
	c = NULL;
	loads(s);
	again = print(c);
	ck_assert_str_eq(s, again);
	free(s);
	free(again);
	conf_free(first);
}
END_TEST

static const char *const broken_hosts[] = {
	"10.1.2", "300.1.1.1", "1.2.3.4.5", "010.1.1.1", "0x7f.1", "127.1",
	"1.2.3.4.", "4294967295", "0x0a000001", "a.b.0X1f", "1.2.3.256",
	"host.42", "1.2.3.-4",
};

START_TEST(rejects_hosts_that_are_broken_ipv4)
{
	char	text[256], want[256];

	snprintf(text, sizeof(text), MIN "neighbours = ( { name = \"b\"; "
	    "host = \"%s\"; } );\n", broken_hosts[_i]);
	snprintf(want, sizeof(want), "x.conf:3: 'neighbours.[0].host' '%s' "
	    "looks like an IPv4 address but is not A.B.C.D (each 0-255, no "
	    "leading zeros)", broken_hosts[_i]);
	if (strcmp(broken_hosts[_i], "1.2.3.-4") == 0) {
		loads(text);	/* "-4" is no number: a (bad) host name */
		return;
	}
	FAILS(text, want);
}
END_TEST

static const char *const good_hosts[] = {
	"10.1.2.3", "0.0.0.0", "255.255.255.255", "h", "relay.example",
	"relay.example.", "1a.example", "example.0a", "42.example", "0x",
	"a.0xg", ".", "1..",
};

START_TEST(accepts_hosts_and_ipv4_literals)
{
	char	text[256];

	snprintf(text, sizeof(text), MIN "neighbours = ( { name = \"b\"; "
	    "host = \"%s\"; } );\n", good_hosts[_i]);
	if (strcmp(good_hosts[_i], "0x") == 0) {
		/* hex with no digits is a number to inet_aton: refused */
		FAILS(text, "x.conf:3: 'neighbours.[0].host' '0x' looks like an "
		    "IPv4 address but is not A.B.C.D (each 0-255, no leading "
		    "zeros)");
		return;
	}
	loads(text);
	ck_assert_str_eq(c->neighbours[0].host, good_hosts[_i]);
}
END_TEST

static void
add(Suite *s, const char *name, const TTest *t)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, t);
	suite_add_tcase(s, tc);
}

static void
add_loop(Suite *s, const char *name, const TTest *t, int n)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, t, 0, n);
	suite_add_tcase(s, tc);
}

#define NELEM(a)	((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");

	add(s, "loads_minimal_config_with_defaults",
	    loads_minimal_config_with_defaults);
	add(s, "loads_every_key_of_full_config",
	    loads_every_key_of_full_config);
	add(s, "loads_tun_defaults_and_all_forward",
	    loads_tun_defaults_and_all_forward);
	add(s, "loads_aliases", loads_aliases);
	add(s, "rejects_overlapping_aliases", rejects_overlapping_aliases);
	add(s, "alt_port_defaults_to_none_on_last_port",
	    alt_port_defaults_to_none_on_last_port);
	add(s, "alt_port_zero_means_none", alt_port_zero_means_none);
	add(s, "rejects_missing_keys", rejects_missing_keys);
	add(s, "rejects_missing_neighbour_host",
	    rejects_missing_neighbour_host);
	add(s, "rejects_wrong_types", rejects_wrong_types);
	add(s, "rejects_neighbour_that_is_not_a_group",
	    rejects_neighbour_that_is_not_a_group);
	add(s, "rejects_port_out_of_range", rejects_port_out_of_range);
	add(s, "rejects_numbers_out_of_range", rejects_numbers_out_of_range);
	add(s, "rejects_unknown_keys", rejects_unknown_keys);
	add(s, "rejects_bad_names", rejects_bad_names);
	add(s, "rejects_own_and_duplicate_neighbour_names",
	    rejects_own_and_duplicate_neighbour_names);
	add(s, "rejects_bad_addresses", rejects_bad_addresses);
	add(s, "loads_listen_addresses_of_both_families",
	    loads_listen_addresses_of_both_families);
	add(s, "rejects_bad_listen_address_lists",
	    rejects_bad_listen_address_lists);
	add_loop(s, "rejects_bad_public", rejects_bad_public,
	    NELEM(bad_publics));
	add(s, "rejects_bad_prefixes", rejects_bad_prefixes);
	add(s, "rejects_tun_without_prefixes", rejects_tun_without_prefixes);
	add(s, "rejects_prefixes_without_tun", rejects_prefixes_without_tun);
	add(s, "rejects_bad_tun_names", rejects_bad_tun_names);
	add(s, "rejects_bad_forward", rejects_bad_forward);
	add(s, "rejects_keepalive_min_above_max",
	    rejects_keepalive_min_above_max);
	add(s, "rejects_alt_port_equal_to_port",
	    rejects_alt_port_equal_to_port);
	add(s, "rejects_bad_log_level", rejects_bad_log_level);
	add(s, "rejects_empty_and_long_strings",
	    rejects_empty_and_long_strings);
	add(s, "rejects_bad_user", rejects_bad_user);
	add(s, "pidfile_must_be_absolute", pidfile_must_be_absolute);
	add(s, "prints_user_only_when_set", prints_user_only_when_set);
	add(s, "reports_all_errors_in_line_order",
	    reports_all_errors_in_line_order);
	add(s, "appends_to_existing_errors", appends_to_existing_errors);
	add(s, "resolves_relative_tls_paths", resolves_relative_tls_paths);
	add_loop(s, "prefix_parse_edge_cases", prefix_parse_edge_cases,
	    NELEM(prefixes));
	add(s, "prints_normal_form_with_defaults",
	    prints_normal_form_with_defaults);
	add_loop(s, "print_round_trips", print_round_trips,
	    NELEM(round_trips));
	add(s, "conf_free_null_does_nothing", conf_free_null_does_nothing);
	add(s, "load_file_reports_syntax_errors",
	    load_file_reports_syntax_errors);
	add(s, "load_file_reports_unreadable_files",
	    load_file_reports_unreadable_files);
	add(s, "load_file_resolves_against_its_directory",
	    load_file_resolves_against_its_directory);
	add(s, "load_file_names_file_in_errors",
	    load_file_names_file_in_errors);
	add_loop(s, "rejects_public_that_others_cannot_reach",
	    rejects_public_that_others_cannot_reach, NELEM(unusable_publics));
	add_loop(s, "accepts_public_unicast_addresses",
	    accepts_public_unicast_addresses, NELEM(usable_publics));
	add(s, "rejects_control_that_is_not_a_socket",
	    rejects_control_that_is_not_a_socket);
	add(s, "rejects_duplicate_neighbour_endpoints",
	    rejects_duplicate_neighbour_endpoints);
	add(s, "finds_repeats_in_long_lists", finds_repeats_in_long_lists);
	add(s, "truncates_long_values_in_messages",
	    truncates_long_values_in_messages);
	add(s, "warns_about_key_that_everyone_can_read",
	    warns_about_key_that_everyone_can_read);
	add(s, "warnings_sort_with_errors", warnings_sort_with_errors);
	add(s, "prints_strict_perms_only_when_set",
	    prints_strict_perms_only_when_set);
	add_loop(s, "rejects_hosts_that_are_broken_ipv4",
	    rejects_hosts_that_are_broken_ipv4, NELEM(broken_hosts));
	add_loop(s, "accepts_hosts_and_ipv4_literals",
	    accepts_hosts_and_ipv4_literals, NELEM(good_hosts));
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
