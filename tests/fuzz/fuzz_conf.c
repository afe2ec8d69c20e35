/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for the configuration loader
 * (lib/conf.c): any text goes through libconfig's parser and, when it
 * parses, through conf_load().  A load fails with at least one error and no
 * model, or succeeds with warnings only; every message is "FILE:LINE: "
 * and bounded however long the values are.  A loaded model prints, and
 * the print loads again (no error, same warnings) to an equal model with
 * the same print.  Any break of these aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "conf.h"
#include "flags.h"

/*
 * The longest message: a key as the loader names it (256 bytes at most),
 * two values cut to CONF_SHOW_MAX, and the fixed text.  File names here
 * are ours, line numbers at most 10 digits.
 */
#define MSG_MAX		(64 + 10 + 256 + 2 * (CONF_SHOW_MAX + 5) + 200)

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
const char *__lsan_default_suppressions(void);

/*
 * libconfig 1.5's scanner leaks the string it was reading when the parser
 * stops at a syntax error (strbuf_append; Debian 12's libconfig9 1.5-0.4):
 * not ours to fix, and a few bytes once per failed start of proxyd.
 */
const char *
__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

/*
 * Configuration files are small: 64 KiB holds one with ~800 neighbours.
 * No leak check after each input: libconfig leaks on most syntax errors
 * (below), and each such input would cost a full LeakSanitizer pass,
 * 20 times fewer executions; leaks are still reported at exit.
 */
static const char *const flags[] = { "-max_len=65536", "-detect_leaks=0",
    NULL };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	return 0;
}

/* Every message is "fuzz.conf:LINE: ...", bounded; returns the warnings. */
static size_t
check_msgs(const struct conf_errs *errs, size_t from)
{
	size_t	i, warnings = 0;
	char	*end;

	for (i = from; i < errs->n; i++) {
		const char *m = errs->msgs[i];

		if (strncmp(m, "fuzz.conf:", 10) != 0 ||
		    strtoul(m + 10, &end, 10) == 0 || end == m + 10 ||
		    strncmp(end, ": ", 2) != 0 || strlen(m) > MSG_MAX)
			abort();
		if (strncmp(end, ": warning: ", 11) == 0)
			warnings++;
	}
	return warnings;
}

static bool
str_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Every field the print should carry ('user_at': lines differ). */
static bool
conf_same(const struct conf *a, const struct conf *b)
{
	size_t i;

	if (strcmp(a->name, b->name) != 0 ||
	    a->listen_v4 != b->listen_v4 || a->listen_v6 != b->listen_v6 ||
	    (a->listen_v4 && a->listen_addr.s_addr != b->listen_addr.s_addr) ||
	    (a->listen_v6 && memcmp(&a->listen6_addr, &b->listen6_addr,
	    sizeof(a->listen6_addr)) != 0) ||
	    a->has_alt_addr6 != b->has_alt_addr6 || (a->has_alt_addr6 &&
	    memcmp(&a->alt_addr6, &b->alt_addr6, sizeof(a->alt_addr6)) != 0) ||
	    a->listen_port != b->listen_port || a->alt_port != b->alt_port ||
	    a->has_alt_addr != b->has_alt_addr ||
	    (a->has_alt_addr && a->alt_addr.s_addr != b->alt_addr.s_addr) ||
	    a->has_public != b->has_public || (a->has_public &&
	    (a->public_addr.s_addr != b->public_addr.s_addr ||
	    a->public_port != b->public_port)) ||
	    a->n_neighbours != b->n_neighbours ||
	    a->n_prefixes != b->n_prefixes || a->has_tun != b->has_tun ||
	    (a->has_tun && (strcmp(a->tun_name, b->tun_name) != 0 ||
	    a->tun_mtu != b->tun_mtu)) || a->forward != b->forward ||
	    !str_same(a->tls_ca, b->tls_ca) ||
	    !str_same(a->tls_cert, b->tls_cert) ||
	    !str_same(a->tls_key, b->tls_key) ||
	    a->tls_strict_perms != b->tls_strict_perms ||
	    !str_same(a->control, b->control) || !str_same(a->user, b->user) ||
	    a->ka_min != b->ka_min || a->ka_max != b->ka_max ||
	    a->log_level != b->log_level)
		return false;
	for (i = 0; i < a->n_neighbours; i++)
		if (strcmp(a->neighbours[i].name, b->neighbours[i].name) != 0 ||
		    !str_same(a->neighbours[i].host, b->neighbours[i].host) ||
		    a->neighbours[i].port != b->neighbours[i].port)
			return false;
	for (i = 0; i < a->n_prefixes; i++)
		if (a->prefixes[i].addr.s_addr != b->prefixes[i].addr.s_addr ||
		    a->prefixes[i].plen != b->prefixes[i].plen ||
		    a->prefixes[i].has_alias != b->prefixes[i].has_alias ||
		    (a->prefixes[i].has_alias && a->prefixes[i].alias.s_addr !=
		    b->prefixes[i].alias.s_addr))
			return false;
	return true;
}

static char *
print(const struct conf *c)
{
	char	*s = NULL;
	size_t	 len;
	FILE	*fp = open_memstream(&s, &len);

	if (fp == NULL)
		abort();
	conf_print(c, fp);
	if (fclose(fp) != 0)
		abort();
	return s;
}

/* Loads text; -1 if libconfig does not parse it. */
static int
load(const char *text, struct conf **c, struct conf_errs *errs)
{
	config_t	cf;
	int		rc;

	config_init(&cf);
	if (!config_read_string(&cf, text)) {
		if (config_error_text(&cf) == NULL)
			abort();
		config_destroy(&cf);
		return -2;
	}
	rc = conf_load(&cf, "fuzz.conf", c, errs);
	config_destroy(&cf);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct conf_errs	 errs = { 0 }, errs2 = { 0 };
	struct conf		*c = NULL, *c2 = NULL;
	char			*text, *first = NULL, *second = NULL;
	size_t			 warnings;
	int			 rc;

	/* @include would read files: not what is fuzzed here */
	if (memmem(data, len, "@include", 8) != NULL)
		return -1;
	if ((text = malloc(len + 1)) == NULL)
		return 0;
	memcpy(text, data, len);
	text[len] = '\0';
	rc = load(text, &c, &errs);
	free(text);
	if (rc == -2)
		return 0;
	warnings = check_msgs(&errs, 0);
	if (rc == -1) {
		if (c != NULL || errs.n == warnings)
			abort();
		goto out;
	}
	if (c == NULL || errs.n != warnings)
		abort();

	first = print(c);
	if (load(first, &c2, &errs2) != 0 || errs2.n != errs.n ||
	    check_msgs(&errs2, 0) != warnings)
		abort();
	second = print(c2);
	if (!conf_same(c, c2) || strcmp(first, second) != 0)
		abort();
out:
	free(first);
	free(second);
	conf_free(c);
	conf_free(c2);
	conf_errs_release(&errs);
	conf_errs_release(&errs2);
	return 0;
}
