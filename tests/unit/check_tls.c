/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests of tls_check_own() (proxyd/tls.c), the
 * check of the own certificate, key and CA that `proxyd -t` and the start
 * run: certificates made here with fixed dates, and the check run at
 * chosen times, so that one certificate is not yet valid, valid, near its
 * end (a warning) and expired; a certificate of another CA; a key of
 * another certificate; files that are missing or hold no PEM; a name that
 * is not 'name'.  Each message must name the file and say what is wrong.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "conf.h"
#include "log.h"
#include "tls.h"

#define DAY	86400L
#define T0	1893456000L	/* 2030-01-01 00:00 UTC: notBefore */
#define LIFE	(30 * DAY)	/* notAfter = T0 + 30 days */

static char dir[] = "/tmp/check_tls.XXXXXX";

/* What tls_check_own() reported. */
static struct {
	char	text[8][900];
	bool	warning[8];
	int	n, errors, warnings;
} rep;

static void
report(void *arg, bool warning, const char *msg)
{
	(void)arg;
	if (rep.n < 8) {
		snprintf(rep.text[rep.n], sizeof(rep.text[0]), "%s", msg);
		rep.warning[rep.n] = warning;
		rep.n++;
	}
	if (warning)
		rep.warnings++;
	else
		rep.errors++;
}

/* The first report holding s, or NULL. */
static const char *
said(const char *s)
{
	for (int i = 0; i < rep.n; i++)
		if (strstr(rep.text[i], s) != NULL)
			return rep.text[i];
	return NULL;
}

static void
dump(void)
{
	for (int i = 0; i < rep.n; i++)
		fprintf(stderr, "  %s%s\n", rep.warning[i] ? "warning: " : "",
		    rep.text[i]);
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *val)
{
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, val);
	int r;

	if (ext == NULL)
		return -1;
	r = X509_add_ext(x, ext, -1) == 1 ? 0 : -1;
	X509_EXTENSION_free(ext);
	return r;
}

/* A certificate for cn valid [from, to), signed by issuer (NULL: a CA). */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
    long serial, time_t from, time_t to)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX ctx;
	char san[80];
	bool ca = issuer == NULL;

	if (x == NULL)
		return NULL;
	name = X509_get_subject_name(x);
	snprintf(san, sizeof(san), "DNS:%s", cn);
	if (X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), serial) != 1 ||
	    ASN1_TIME_set(X509_getm_notBefore(x), from) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), to) == NULL ||
	    X509_set_pubkey(x, key) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, ca ? name :
	    X509_get_subject_name(issuer)) != 1)
		goto fail;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, ca ? x : issuer, x, NULL, NULL, 0);
	if (add_ext(x, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" :
	    "critical,CA:FALSE") == -1 ||
	    add_ext(x, &ctx, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" :
	    "critical,digitalSignature") == -1 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") == -1 ||
	    (!ca && add_ext(x, &ctx, NID_authority_key_identifier,
	    "keyid:always") == -1) ||
	    (!ca && add_ext(x, &ctx, NID_subject_alt_name, san) == -1))
		goto fail;
	if (X509_sign(x, ca ? key : ikey, EVP_sha256()) <= 0)
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

static int
write_pem(const char *name, X509 *x, EVP_PKEY *key)
{
	char path[300];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s.crt", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (PEM_write_X509(f, x) != 1)
		r = -1;
	fclose(f);
	if (key == NULL)
		return r;
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1)
		r = -1;
	fclose(f);
	return r;
}

/*
 * ca.crt and alpha.crt/key, bravo.crt/key under it, valid T0..T0+LIFE
 * (the CA ten years); otherca.crt and its mallory.crt/key.
 */
static int
make_certs(void)
{
	static const char *const ours[] = { "alpha", "bravo" };
	EVP_PKEY *cakey = NULL, *okey = NULL, *key = NULL;
	X509 *ca = NULL, *oca = NULL, *x = NULL;
	int r = -1;

	if ((cakey = EVP_EC_gen("P-256")) == NULL ||
	    (okey = EVP_EC_gen("P-256")) == NULL ||
	    (ca = make_cert("proxyd CA", cakey, NULL, NULL, 1, T0 - DAY,
	    T0 + 3650 * DAY)) == NULL ||
	    (oca = make_cert("proxyd CA", okey, NULL, NULL, 1, T0 - DAY,
	    T0 + 3650 * DAY)) == NULL ||
	    write_pem("ca", ca, NULL) == -1 || write_pem("otherca", oca, NULL))
		goto out;
	for (size_t i = 0; i < 3; i++) {
		bool rogue = i == 2;

		if ((key = EVP_EC_gen("P-256")) == NULL ||
		    (x = make_cert(rogue ? "mallory" : ours[i], key, rogue ?
		    oca : ca, rogue ? okey : cakey, (long)i + 2, T0, T0 + LIFE))
		    == NULL ||
		    write_pem(rogue ? "mallory" : ours[i], x, key) == -1)
			goto out;
		X509_free(x);
		EVP_PKEY_free(key);
		x = NULL;
		key = NULL;
	}
	r = 0;
out:
	X509_free(x);
	X509_free(ca);
	X509_free(oca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(okey);
	return r;
}

static char ca_p[300], crt_p[300], key_p[300];
static struct conf c;
static struct conf_key_at key_at[] = {
	{ (char *)"tls.ca", (char *)"test.conf:5" },
	{ (char *)"tls.cert", (char *)"test.conf:6" },
	{ (char *)"tls.key", (char *)"test.conf:7" },
};

/* A configuration named name with the files of dir given. */
static void
conf_set(const char *name, const char *ca, const char *crt, const char *key)
{
	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(ca_p, sizeof(ca_p), "%s/%s", dir, ca);
	snprintf(crt_p, sizeof(crt_p), "%s/%s", dir, crt);
	snprintf(key_p, sizeof(key_p), "%s/%s", dir, key);
	c.tls_ca = ca_p;
	c.tls_cert = crt_p;
	c.tls_key = key_p;
	c.name_at = (char *)"test.conf:1";
	c.key_at = key_at;
	c.n_key_at = sizeof(key_at) / sizeof(key_at[0]);
	memset(&rep, 0, sizeof(rep));
}

static int
check_at(time_t now)
{
	int r;

	memset(&rep, 0, sizeof(rep));
	r = tls_check_own(&c, now, report, NULL);
	if (getenv("CHECK_TLS_VERBOSE") != NULL)
		dump();
	return r;
}

START_TEST(valid_files_pass_silently)
{
	conf_set("alpha", "ca.crt", "alpha.crt", "alpha.key");
	ck_assert_int_eq(check_at(T0 + 2 * DAY), 0);
	ck_assert_int_eq(rep.n, 0);
}
END_TEST

START_TEST(expired_certificate_is_refused_with_its_dates)
{
	const char *m;

	conf_set("alpha", "ca.crt", "alpha.crt", "alpha.key");
	ck_assert_int_eq(check_at(T0 + LIFE + DAY), -1);
	ck_assert_int_eq(rep.errors, 1);
	m = said("expired on 2030-01-31 00:00 UTC (valid from 2030-01-01 "
	    "00:00 UTC)");
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(strstr(m, "test.conf:6: 'tls.cert' '"));
	ck_assert_ptr_nonnull(strstr(m, "/alpha.crt'"));
}
END_TEST

START_TEST(certificate_not_yet_valid_is_refused_with_its_dates)
{
	conf_set("alpha", "ca.crt", "alpha.crt", "alpha.key");
	ck_assert_int_eq(check_at(T0 - 3600), -1);
	ck_assert_int_eq(rep.errors, 1);
	ck_assert_ptr_nonnull(said("is not valid before 2030-01-01 00:00 UTC "
	    "(valid until 2030-01-31 00:00 UTC"));
}
END_TEST

START_TEST(certificate_near_its_end_is_a_warning)
{
	const char *m;

	conf_set("alpha", "ca.crt", "alpha.crt", "alpha.key");
	/* 10 days and some hours left: a warning, and the check passes */
	ck_assert_int_eq(check_at(T0 + LIFE - 10 * DAY - 3600), 0);
	ck_assert_int_eq(rep.errors, 0);
	ck_assert_int_eq(rep.warnings, 1);
	m = said("expires on 2030-01-31 00:00 UTC, in 10 day(s)");
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(strstr(m, "test.conf:6: 'tls.cert'"));
	/* 15 days left: nothing to say */
	ck_assert_int_eq(check_at(T0 + LIFE - 15 * DAY), 0);
	ck_assert_int_eq(rep.n, 0);
}
END_TEST

START_TEST(certificate_of_another_ca_is_refused)
{
	const char *m;

	conf_set("mallory", "ca.crt", "mallory.crt", "mallory.key");
	ck_assert_int_eq(check_at(T0 + DAY), -1);
	ck_assert_int_eq(rep.errors, 1);
	m = said("is not issued by the CA in '");
	ck_assert_ptr_nonnull(m);
	/* same CA name, told apart by the key identifiers */
	ck_assert_ptr_nonnull(strstr(m, "(issuer 'CN = proxyd CA', key "));
	ck_assert_ptr_nonnull(strstr(m, "; CA 'CN = proxyd CA', key "));
	ck_assert_ptr_nonnull(strstr(m, "test.conf:6: 'tls.cert'"));
	/* the same files against their own CA pass */
	conf_set("mallory", "otherca.crt", "mallory.crt", "mallory.key");
	ck_assert_int_eq(check_at(T0 + DAY), 0);
}
END_TEST

START_TEST(key_of_another_certificate_is_refused)
{
	const char *m;

	conf_set("alpha", "ca.crt", "alpha.crt", "bravo.key");
	ck_assert_int_eq(check_at(T0 + DAY), -1);
	ck_assert_int_eq(rep.errors, 1);
	m = said("does not match the certificate '");
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(strstr(m, "test.conf:7: 'tls.key' '"));
	ck_assert_ptr_nonnull(strstr(m, "/bravo.key'"));
}
END_TEST

START_TEST(missing_files_say_errno_and_path)
{
	char want[400];

	conf_set("alpha", "nope-ca.crt", "nope.crt", "nope.key");
	ck_assert_int_eq(check_at(T0 + DAY), -1);
	ck_assert_int_eq(rep.errors, 3);
	snprintf(want, sizeof(want), "test.conf:5: 'tls.ca' '%s/nope-ca.crt' "
	    "cannot be read: %s", dir, strerror(ENOENT));
	ck_assert_ptr_nonnull(said(want));
	snprintf(want, sizeof(want), "test.conf:6: 'tls.cert' '%s/nope.crt' "
	    "cannot be read: %s", dir, strerror(ENOENT));
	ck_assert_ptr_nonnull(said(want));
	snprintf(want, sizeof(want), "test.conf:7: 'tls.key' '%s/nope.key' "
	    "cannot be read: %s", dir, strerror(ENOENT));
	ck_assert_ptr_nonnull(said(want));
}
END_TEST

START_TEST(files_without_pem_are_refused)
{
	/* a key where the certificate should be, a certificate as the key */
	conf_set("alpha", "alpha.key", "alpha.key", "alpha.crt");
	ck_assert_int_eq(check_at(T0 + DAY), -1);
	ck_assert_ptr_nonnull(said("test.conf:5: 'tls.ca'"));
	ck_assert_ptr_nonnull(said("holds no PEM certificate"));
	ck_assert_ptr_nonnull(said("test.conf:7: 'tls.key'"));
	ck_assert_ptr_nonnull(said("holds no PEM private key"));
}
END_TEST

START_TEST(name_not_in_certificate_is_refused)
{
	conf_set("bravo", "ca.crt", "alpha.crt", "alpha.key");
	ck_assert_int_eq(check_at(T0 + DAY), -1);
	ck_assert_int_eq(rep.errors, 1);
	ck_assert_ptr_nonnull(said("test.conf:1: 'name' 'bravo' is not the "
	    "name in certificate '"));
}
END_TEST

static Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("check_own");

	tcase_add_test(tc, valid_files_pass_silently);
	tcase_add_test(tc, expired_certificate_is_refused_with_its_dates);
	tcase_add_test(tc, certificate_not_yet_valid_is_refused_with_its_dates);
	tcase_add_test(tc, certificate_near_its_end_is_a_warning);
	tcase_add_test(tc, certificate_of_another_ca_is_refused);
	tcase_add_test(tc, key_of_another_certificate_is_refused);
	tcase_add_test(tc, missing_files_say_errno_and_path);
	tcase_add_test(tc, files_without_pem_are_refused);
	tcase_add_test(tc, name_not_in_certificate_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	static const char *const files[] = { "ca.crt", "otherca.crt",
	    "alpha.crt", "alpha.key", "bravo.crt", "bravo.key", "mallory.crt",
	    "mallory.key" };
	char path[300];
	SRunner *sr;
	int failed;

	log_init(1, LOG_LVL_ERROR, "check_tls");
	if (mkdtemp(dir) == NULL || make_certs() == -1) {
		fprintf(stderr, "check_tls: cannot make certificates in %s\n",
		    dir);
		return 99;
	}
	sr = srunner_create(tls_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
