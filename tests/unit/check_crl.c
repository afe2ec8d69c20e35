/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for lib/crl.c: CRLs made here with OpenSSL (two CAs, certs
 * with chosen serials), then parsed from DER and PEM, checked against the
 * right and the wrong CA, ordered by CRL number, and asked about serials.
 * Each TCase is one behaviour.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crl.h"

struct ca {
	EVP_PKEY	*key;
	X509		*cert;
};

static struct ca	ca1, ca2, ca1_twin;	/* twin: same name, other key */
static STACK_OF(X509)	*only1, *only2, *twin;

static X509 *
make_cert(const char *cn, long serial, EVP_PKEY *key, const struct ca *by)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();

	ck_assert_ptr_nonnull(x);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, by != NULL ? X509_get_subject_name(by->cert) :
	    n);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	ck_assert_int_gt(X509_sign(x, by != NULL ? by->key : key, EVP_sha256()),
	    0);
	X509_NAME_free(n);
	return x;
}

static void
make_ca(struct ca *c, const char *cn)
{
	c->key = EVP_EC_gen("P-256");
	ck_assert_ptr_nonnull(c->key);
	c->cert = make_cert(cn, 1, c->key, NULL);
}

/* A CRL by c, number n (0: none), revoking the given serials. */
static X509_CRL *
make_crl(const struct ca *c, long n, const long *serials, size_t ns)
{
	X509_CRL *x = X509_CRL_new();
	ASN1_TIME *t = ASN1_TIME_new();

	X509_CRL_set_version(x, 1);
	X509_CRL_set_issuer_name(x, X509_get_subject_name(c->cert));
	X509_gmtime_adj(t, 0);
	X509_CRL_set1_lastUpdate(x, t);
	for (size_t i = 0; i < ns; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		ASN1_INTEGER_set(s, serials[i]);
		X509_REVOKED_set_serialNumber(r, s);
		X509_REVOKED_set_revocationDate(r, t);
		X509_CRL_add0_revoked(x, r);
		ASN1_INTEGER_free(s);
	}
	if (n > 0) {
		ASN1_INTEGER *num = ASN1_INTEGER_new();

		ASN1_INTEGER_set(num, n);
		X509_CRL_add1_ext_i2d(x, NID_crl_number, num, 0, 0);
		ASN1_INTEGER_free(num);
	}
	X509_CRL_sort(x);
	ck_assert_int_gt(X509_CRL_sign(x, c->key, EVP_sha256()), 0);
	ASN1_TIME_free(t);
	return x;
}

static struct crl *
parsed(X509_CRL *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509_CRL(x, &der);
	const char *why = NULL;
	struct crl *c;

	ck_assert_int_gt(n, 0);
	c = crl_from_der(der, (size_t)n, &why);
	ck_assert_msg(c != NULL, "parse: %s", why);
	OPENSSL_free(der);
	X509_CRL_free(x);
	return c;
}

static void
setup(void)
{
	make_ca(&ca1, "proxyd CA");
	make_ca(&ca2, "other CA");
	make_ca(&ca1_twin, "proxyd CA");
	only1 = sk_X509_new_null();
	only2 = sk_X509_new_null();
	twin = sk_X509_new_null();
	sk_X509_push(only1, ca1.cert);
	sk_X509_push(only2, ca2.cert);
	sk_X509_push(twin, ca1_twin.cert);
}

static void
teardown(void)
{
	sk_X509_free(only1);
	sk_X509_free(only2);
	sk_X509_free(twin);
	for (struct ca *c = &ca1; c != NULL; c = c == &ca1 ? &ca2 :
	    c == &ca2 ? &ca1_twin : NULL) {
		X509_free(c->cert);
		EVP_PKEY_free(c->key);
	}
}

START_TEST(verify_needs_the_ca_name_and_key)
{
	long s[] = { 7 };
	struct crl *c = parsed(make_crl(&ca1, 3, s, 1));
	const char *why;

	ck_assert_int_eq(crl_verify(c, only1, &why), 0);
	/* another CA: wrong issuer */
	ck_assert_int_eq(crl_verify(c, only2, &why), -1);
	ck_assert_str_eq(why, "not issued by the network's CA");
	/* same name, other key: a forgery */
	ck_assert_int_eq(crl_verify(c, twin, &why), -1);
	ck_assert_str_eq(why, "bad signature");
	crl_free(c);
}
END_TEST

START_TEST(tampered_crl_fails_verification)
{
	long s[] = { 7 };
	X509_CRL *x = make_crl(&ca1, 3, s, 1);
	unsigned char *der = NULL;
	int n = i2d_X509_CRL(x, &der);
	const char *why;
	struct crl *c;
	int found = 0;

	/* flip the revoked serial's last byte (7 -> 6) */
	for (int i = 0; i + 2 < n; i++)
		if (der[i] == 0x02 && der[i + 1] == 0x01 && der[i + 2] == 7) {
			der[i + 2] = 6;
			found = 1;
			break;
		}
	ck_assert(found);
	c = crl_from_der(der, (size_t)n, &why);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(crl_verify(c, only1, &why), -1);
	crl_free(c);
	OPENSSL_free(der);
	X509_CRL_free(x);
}
END_TEST

START_TEST(ordered_by_crl_number)
{
	struct crl *a = parsed(make_crl(&ca1, 2, NULL, 0));
	struct crl *b = parsed(make_crl(&ca1, 10, NULL, 0));
	struct crl *none = parsed(make_crl(&ca1, 0, NULL, 0));

	ck_assert_uint_eq(a->number, 2);
	ck_assert_uint_eq(b->number, 10);
	ck_assert_uint_eq(none->number, 0);
	ck_assert_int_eq(crl_cmp(b, a), 1);
	ck_assert_int_eq(crl_cmp(a, b), -1);
	ck_assert_int_eq(crl_cmp(a, a), 0);
	ck_assert_int_eq(crl_cmp(none, NULL), 1);	/* anything beats none */
	ck_assert_int_eq(crl_cmp(none, a), -1);
	crl_free(a);
	crl_free(b);
	crl_free(none);
}
END_TEST

START_TEST(revokes_listed_serials_of_its_issuer)
{
	long s[] = { 7, 300 };
	struct crl *c = parsed(make_crl(&ca1, 1, s, 2));
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x7 = make_cert("rogue", 7, k, &ca1);
	X509 *x300 = make_cert("stolen", 300, k, &ca1);
	X509 *x8 = make_cert("site-a", 8, k, &ca1);
	X509 *o7 = make_cert("elsewhere", 7, k, &ca2);

	ck_assert(crl_revokes(c, x7));
	ck_assert(crl_revokes(c, x300));
	ck_assert(!crl_revokes(c, x8));
	ck_assert(!crl_revokes(c, o7));		/* another issuer's 7 */
	ck_assert(!crl_revokes(NULL, x7));
	ck_assert(!crl_revokes(c, NULL));
	X509_free(x7);
	X509_free(x300);
	X509_free(x8);
	X509_free(o7);
	EVP_PKEY_free(k);
	crl_free(c);
}
END_TEST

START_TEST(der_bounds)
{
	struct crl *c = parsed(make_crl(&ca1, 4, NULL, 0));
	uint8_t *p = malloc(c->der_len + 1);
	const char *why;

	ck_assert_ptr_nonnull(p);
	memcpy(p, c->der, c->der_len);
	p[c->der_len] = 0;
	ck_assert_ptr_null(crl_from_der(p, c->der_len + 1, &why));
	ck_assert_str_eq(why, "trailing bytes after the CRL");
	for (size_t n = 0; n < c->der_len; n++)
		ck_assert_ptr_null(crl_from_der(p, n, &why));
	ck_assert_ptr_null(crl_from_der(p, CRL_DER_MAX + 1, &why));
	ck_assert_str_eq(why, "CRL too large");
	free(p);
	crl_free(c);
}
END_TEST

START_TEST(pem_file_gives_the_newest)
{
	char path[] = "/tmp/check_crl.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	X509_CRL *a = make_crl(&ca1, 5, NULL, 0), *b = make_crl(&ca1, 9, NULL,
	    0), *c = make_crl(&ca1, 7, NULL, 0);
	struct crl *got;
	const char *why;

	ck_assert_ptr_nonnull(f);
	PEM_write_X509_CRL(f, a);
	PEM_write_X509_CRL(f, b);
	PEM_write_X509_CRL(f, c);
	fclose(f);
	got = crl_from_pem_file(path, &why);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got->number, 9);
	crl_free(got);
	f = fopen(path, "w");
	fputs("not a CRL\n", f);
	fclose(f);
	ck_assert_ptr_null(crl_from_pem_file(path, &why));
	ck_assert_str_eq(why, "holds no PEM CRL");
	unlink(path);
	ck_assert_ptr_null(crl_from_pem_file(path, &why));
	ck_assert_str_eq(why, "cannot be read");
	X509_CRL_free(a);
	X509_CRL_free(b);
	X509_CRL_free(c);
}
END_TEST

static Suite *
crl_suite(void)
{
	Suite *s = suite_create("crl");
	const struct {
		const char	*name;
		const TTest	*fn;
	} cases[] = {
		{ "verify_needs_the_ca_name_and_key",
		    verify_needs_the_ca_name_and_key },
		{ "tampered_crl_fails_verification",
		    tampered_crl_fails_verification },
		{ "ordered_by_crl_number", ordered_by_crl_number },
		{ "revokes_listed_serials_of_its_issuer",
		    revokes_listed_serials_of_its_issuer },
		{ "der_bounds", der_bounds },
		{ "pem_file_gives_the_newest", pem_file_gives_the_newest },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crl_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
