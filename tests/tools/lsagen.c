/* SPDX-License-Identifier: ISC */
/*
 * lsagen: advertisements for the end-to-end tests, as pxrogue sends them
 * (--raw 11 --body-hex / --bodies-file).  Test code only, never installed.
 *
 *   lsagen -c CERT -k KEY -o ORIGIN [-s SEQ] [-p A.B.C.D/N]...
 *          [-l PEER]... [--unsigned | --bad-sig]
 *       One advertisement of ORIGIN (seq SEQ, default now << 20) with the
 *       given prefixes and links (cost 1, NAT open), signed with KEY and
 *       carrying CERT: printed as hex (the body after the type byte).  KEY
 *       need not belong to CERT (then the signature does not verify), and
 *       ORIGIN need not be CERT's name (then it names another proxy).
 *       --unsigned: no certificate, no signature.  --bad-sig: signed, then
 *       one bit of the signature flipped.  With -n N -O FILE: N records
 *       for --bodies-file instead, seq SEQ, SEQ+1, ... (each signed).
 *
 *   lsagen --flood N --ca CA.crt --ca-key CA.key -c CERT -k KEY -o VIA
 *          -O FILE
 *       N advertisements as records for --bodies-file: VIA's own (CERT,
 *       KEY; its -p prefixes and -l links, e.g. the neighbour it floods,
 *       and f00000), then N-1 origins "fNNNNN" with certificates made
 *       here by the CA (blocks: their one prefix in 10.128.0.0/9) in a
 *       tree of fan-out 63 under VIA, every link two-way, so every origin
 *       is reachable through VIA.
 *
 * Exit 0, or 1 with a message.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lsasig.h"
#include "pkt.h"

static void
die(const char *what)
{
	fprintf(stderr, "lsagen: %s\n", what);
	exit(1);
}

static X509 *
read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (f == NULL)
		die(path);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (x == NULL)
		die(path);
	return x;
}

static EVP_PKEY *
read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (f == NULL)
		die(path);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL)
		die(path);
	return k;
}

static void
add_prefix(struct pkt_lsa *l, const char *s)
{
	char buf[32], *slash;
	struct pkt_lsa_prefix *p;

	if (l->n_prefixes == PKT_LSA_PREFIX_MAX)
		die("too many prefixes");
	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) == NULL)
		die("prefix: A.B.C.D/N");
	*slash = '\0';
	p = &l->prefixes[l->n_prefixes++];
	if (inet_pton(AF_INET, buf, &p->addr) != 1)
		die("prefix: A.B.C.D/N");
	p->plen = (uint8_t)atoi(slash + 1);
}

static void
add_link(struct pkt_lsa *l, const char *peer)
{
	struct pkt_lsa_link *k;

	if (l->n_links == PKT_LSA_LINK_MAX)
		die("too many links");
	k = &l->links[l->n_links++];
	snprintf(k->peer, sizeof(k->peer), "%s", peer);
	k->nat = NAT_TYPE_OPEN;
	k->cost = 1;
}

/* The body after the type byte, as the wire carries it. */
static int
encode(const struct pkt_lsa *l, uint8_t *out, size_t cap)
{
	static struct pkt_msg m;

	m.type = PKT_MSG_LSA;
	m.u.lsa = *l;
	return pkt_msg_encode(&m, out, cap);
}

static void
write_record(FILE *f, const struct pkt_lsa *l)
{
	static uint8_t out[PKT_MAX];
	int n = encode(l, out, sizeof(out));

	if (n < 1)
		die("cannot encode");
	fputc((n - 1) >> 8, f);
	fputc((n - 1) & 0xff, f);
	fwrite(out + 1, 1, (size_t)n - 1, f);
}

/* A proxy certificate for name, from the CA, with blocks "IPv4:P". */
static struct lsasig_key *
make_key(X509 *ca, EVP_PKEY *cakey, const char *name, const char *prefix)
{
	static long serial = 1000000;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	X509V3_CTX v3;
	X509_EXTENSION *e;
	struct lsasig_key *key;
	char v[128];

	if (k == NULL || x == NULL || n == NULL)
		die("out of memory");
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)name, -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, X509_get_subject_name(ca));
	X509_NAME_free(n);
	X509_set_pubkey(x, k);
	X509V3_set_ctx(&v3, ca, x, NULL, NULL, 0);
	snprintf(v, sizeof(v), "critical,IPv4:%s", prefix);
	if ((e = X509V3_EXT_conf_nid(NULL, &v3, NID_sbgp_ipAddrBlock, v)) ==
	    NULL || X509_add_ext(x, e, -1) != 1)
		die("extension");
	X509_EXTENSION_free(e);
	if (X509_sign(x, cakey, EVP_sha256()) == 0)
		die("cannot sign a certificate");
	if ((key = lsasig_key_new(k, x)) == NULL)
		die("lsasig_key_new");
	EVP_PKEY_free(k);
	X509_free(x);
	return key;
}

/*
 * A tree of the n-1 others under VIA, fan-out 63: node 0 is linked to VIA,
 * node k to its parent (k-1)/63 and its children 63k+1..63k+63, so no
 * advertisement lists more than 64 links and every link is two-way.
 */
static void
flood(unsigned n, const char *ca_path, const char *cakey_path,
    struct lsasig_key *via_key, const struct pkt_lsa *via_lsa, uint64_t seq,
    const char *out_path)
{
	static struct pkt_lsa l;
	X509 *ca = read_cert(ca_path);
	EVP_PKEY *cakey = read_key(cakey_path);
	FILE *f = fopen(out_path, "wb");
	unsigned i, j;
	char name[16], peer[16], pfx[32];

	if (f == NULL)
		die(out_path);
	if (n < 2 || n > 60000)
		die("--flood: 2 to 60000");
	n--;				/* the others besides VIA */
	l = *via_lsa;			/* its -p and -l */
	l.seq = seq;
	add_link(&l, "f00000");
	if (lsasig_sign(via_key, &l) == -1)
		die("cannot sign");
	write_record(f, &l);
	for (i = 0; i < n; i++) {
		struct lsasig_key *k;

		snprintf(name, sizeof(name), "f%05u", i);
		snprintf(pfx, sizeof(pfx), "10.%u.%u.0/24", 128 + i / 256,
		    i % 256);
		memset(&l, 0, sizeof(l));
		snprintf(l.origin, sizeof(l.origin), "%s", name);
		l.seq = seq;
		add_prefix(&l, pfx);
		if (i == 0)
			add_link(&l, via_lsa->origin);
		else {
			snprintf(peer, sizeof(peer), "f%05u", (i - 1) / 63);
			add_link(&l, peer);
		}
		for (j = 63 * i + 1; j <= 63 * i + 63 && j < n; j++) {
			snprintf(peer, sizeof(peer), "f%05u", j);
			add_link(&l, peer);
		}
		k = make_key(ca, cakey, name, pfx);
		if (lsasig_sign(k, &l) == -1)
			die("cannot sign");
		lsasig_key_free(k);
		write_record(f, &l);
	}
	if (fclose(f) != 0)
		die(out_path);
	X509_free(ca);
	EVP_PKEY_free(cakey);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "unsigned", no_argument, NULL, 'U' },
		{ "bad-sig", no_argument, NULL, 'B' },
		{ "flood", required_argument, NULL, 'F' },
		{ "ca", required_argument, NULL, 'A' },
		{ "ca-key", required_argument, NULL, 'K' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	static struct pkt_lsa l;
	static uint8_t out[PKT_MAX];
	const char *cert = NULL, *key = NULL, *ca = NULL, *cakey = NULL,
	    *outp = NULL;
	bool unsig = false, bad = false;
	unsigned nflood = 0, count = 0;
	uint64_t seq = (uint64_t)time(NULL) << 20;
	struct lsasig_key *k = NULL;
	int ch, n;

	while ((ch = getopt_long(argc, argv, "c:k:o:s:p:l:O:n:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': cert = optarg; break;
		case 'k': key = optarg; break;
		case 'o': snprintf(l.origin, sizeof(l.origin), "%s", optarg);
			break;
		case 's': seq = strtoull(optarg, NULL, 0); break;
		case 'p': add_prefix(&l, optarg); break;
		case 'l': add_link(&l, optarg); break;
		case 'O': outp = optarg; break;
		case 'n': count = (unsigned)atoi(optarg); break;
		case 'U': unsig = true; break;
		case 'B': bad = true; break;
		case 'F': nflood = (unsigned)atoi(optarg); break;
		case 'A': ca = optarg; break;
		case 'K': cakey = optarg; break;
		default:
			die("usage: see the top of tests/tools/lsagen.c");
		}
	}
	if (!unsig) {
		X509 *x;
		EVP_PKEY *pk;

		if (cert == NULL || key == NULL)
			die("-c CERT and -k KEY are needed");
		x = read_cert(cert);
		pk = read_key(key);
		if ((k = lsasig_key_new(pk, x)) == NULL)
			die("lsasig_key_new");
		EVP_PKEY_free(pk);
		X509_free(x);
	}
	if (l.origin[0] == '\0')
		die("-o ORIGIN is needed");
	if (nflood > 0) {
		if (ca == NULL || cakey == NULL || outp == NULL || k == NULL)
			die("--flood needs --ca, --ca-key, -c, -k and -O");
		flood(nflood, ca, cakey, k, &l, seq, outp);
		lsasig_key_free(k);
		return 0;
	}
	if (count > 0) {
		FILE *f;

		if (outp == NULL || (f = fopen(outp, "wb")) == NULL)
			die("-n needs -O FILE");
		for (unsigned i = 0; i < count; i++) {
			l.seq = seq + i;
			if (k != NULL && lsasig_sign(k, &l) == -1)
				die("cannot sign");
			if (bad)
				l.sig[l.sig_len / 2] ^= 0x10;
			write_record(f, &l);
		}
		if (fclose(f) != 0)
			die(outp);
		lsasig_key_free(k);
		return 0;
	}
	l.seq = seq;
	if (k != NULL && lsasig_sign(k, &l) == -1)
		die("cannot sign");
	if (bad)
		l.sig[l.sig_len / 2] ^= 0x10;
	if ((n = encode(&l, out, sizeof(out))) < 1)
		die("cannot encode");
	for (int i = 1; i < n; i++)
		printf("%02x", out[i]);
	printf("\n");
	lsasig_key_free(k);
	return 0;
}
