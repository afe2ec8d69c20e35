/* SPDX-License-Identifier: ISC */
/*
 * This file owns the fakes under check_link.c (see link_fake.h): the
 * clock, psock_send and the send batch capturing datagrams, the event
 * recorder, the nodes, the pump, and the certificates made with the
 * OpenSSL API at the start of a run (EC P-256, as tools/proxyd-ca makes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "link_fake.h"
#include "tls.h"
#include "txq.h"

uint64_t	fake_now = 1000 * SEC;

struct fake_dgram fake_q[FAKE_Q_MAX];
size_t		fake_q_len;
struct fake_ev	fake_ev[FAKE_EV_MAX];
size_t		fake_ev_len;

static struct node *nodes[FAKE_NODES_MAX];
static char	cert_dir[200];

uint64_t
now_us(void)
{
	return fake_now;
}

uint64_t
now_pkt_us(void)
{
	return fake_now;
}

/* sockets and send batch */

static struct node *
node_of_sock(const struct psock *ps, enum psock_kind *kind)
{
	for (size_t i = 0; i < FAKE_NODES_MAX; i++)
		for (int k = 0; nodes[i] != NULL && k < PSOCK_LISTEN; k++)
			if (ps == &nodes[i]->px.socks[k] ||
			    ps == &nodes[i]->px.socks6[k]) {
				*kind = (enum psock_kind)k;
				return nodes[i];
			}
	return NULL;
}

uint32_t
fake_hash(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

size_t	fake_path_mtu;
size_t	fake_mtu_lost;

static void
enqueue(struct proxyd *src, enum psock_kind kind,
    const struct ep *from, const uint8_t *p, size_t len,
    const struct ep *to)
{
	struct fake_dgram *d;

	if (fake_path_mtu > 0 && len + 28 > fake_path_mtu) {
		fake_mtu_lost++;
		return;
	}

	if (fake_q_len == FAKE_Q_MAX)
		return;		/* a test that floods this fails on counts */
	d = &fake_q[fake_q_len];
	if ((d->buf = malloc(len > 0 ? len : 1)) == NULL)
		return;
	memcpy(d->buf, p, len);
	d->len = len;
	d->src = src;
	d->kind = kind;
	d->from = *from;
	d->to = *to;
	fake_q_len++;
}

int
psock_send(struct psock *ps, const uint8_t *p, size_t len,
    const struct ep *to)
{
	enum psock_kind kind = PSOCK_PRIMARY;
	struct node *n = node_of_sock(ps, &kind);

	if (n == NULL)
		return -1;
	enqueue(&n->px, kind, &ps->local, p, len, to);
	return 0;
}

int
psock_open(struct psock *ps, const struct psock_env *env, const struct ep *addr,
    uint16_t port, enum psock_kind kind)
{
	ps->env = env;
	ps->fd = -1;
	ps->ev = NULL;
	ps->kind = kind;
	ps->local = *addr;
	ps->local.port = port;
	return 0;
}

void
psock_close(struct psock *ps)
{
	ps->fd = -1;
}

uint8_t *
txq_slot(struct proxyd *px)
{
	return ((struct node *)(void *)px)->slot;
}

bool
txq_is_slot(struct proxyd *px, const uint8_t *p)
{
	return p == ((struct node *)(void *)px)->slot;
}

void
txq_commit(struct proxyd *px, size_t len, const struct ep *to)
{
	struct node *n = (struct node *)(void *)px;

	n->committed++;
	enqueue(px, PSOCK_PRIMARY, &px->socks[PSOCK_PRIMARY].local, n->slot,
	    len, to);
}

void
txq_flush(struct proxyd *px)
{
	(void)px;
}

bool
fake_q_pop(struct fake_dgram *d)
{
	if (fake_q_len == 0)
		return false;
	*d = fake_q[0];
	memmove(&fake_q[0], &fake_q[1], (fake_q_len - 1) * sizeof(fake_q[0]));
	fake_q_len--;
	return true;
}

void
fake_q_clear(void)
{
	for (size_t i = 0; i < fake_q_len; i++)
		free(fake_q[i].buf);
	fake_q_len = 0;
}

/* events */

static struct fake_ev *
ev_add(enum fake_ev_kind kind, struct proxyd *px)
{
	struct fake_ev *e;

	if (fake_ev_len == FAKE_EV_MAX)
		return NULL;
	e = &fake_ev[fake_ev_len++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->px = px;
	return e;
}

static void
ev_link(struct fake_ev *e, const struct link *l)
{
	snprintf(e->name, sizeof(e->name), "%s", l->name);
	e->initiator = l->initiator;
	e->state = (int)l->state;
	e->session = l->session;
}

static void
rec_up(struct link *l)
{
	struct fake_ev *e = ev_add(EV_UP, l->px);

	if (e != NULL)
		ev_link(e, l);
}

static void
rec_down(struct link *l, const char *reason)
{
	struct fake_ev *e = ev_add(EV_DOWN, l->px);

	if (e == NULL)
		return;
	ev_link(e, l);
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
}

static void
rec_msg(struct link *l, struct pkt_msg *m, struct psock *in,
    const struct ep *from)
{
	struct fake_ev *e = ev_add(EV_MSG, l->px);

	(void)in;
	if (e == NULL)
		return;
	ev_link(e, l);
	e->type = m->type;
	e->from = *from;
	e->msg = *m;
	if (m->type == PKT_MSG_DATA) {
		memcpy(e->ip, m->u.data.ip, m->u.data.ip_len < sizeof(e->ip) ?
		    m->u.data.ip_len : sizeof(e->ip));
		e->ip_hash = fake_hash(m->u.data.ip, m->u.data.ip_len);
		e->msg.u.data.ip = NULL;
	}
}

static void
rec_unauth(struct proxyd *px, uint8_t type, uint64_t nonce,
    const struct ep *from)
{
	struct fake_ev *e = ev_add(EV_UNAUTH, px);

	if (e == NULL)
		return;
	e->type = type;
	e->nonce = nonce;
	e->from = *from;
}

const struct link_events fake_link_events = {
	.up = rec_up,
	.down = rec_down,
	.msg = rec_msg,
	.unauth = rec_unauth,
};

size_t
fake_ev_count(enum fake_ev_kind kind, const struct proxyd *px)
{
	size_t n = 0;

	for (size_t i = 0; i < fake_ev_len; i++)
		n += fake_ev[i].kind == kind && (px == NULL ||
		    fake_ev[i].px == px);
	return n;
}

const struct fake_ev *
fake_ev_last(enum fake_ev_kind kind, const struct proxyd *px)
{
	for (size_t i = fake_ev_len; i > 0; i--)
		if (fake_ev[i - 1].kind == kind && (px == NULL ||
		    fake_ev[i - 1].px == px))
			return &fake_ev[i - 1];
	return NULL;
}

/* certificates */

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

/* A certificate for cn signed by issuer (NULL: self-signed, a CA). */
static X509 *
make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
    long serial)
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
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), 86400) == NULL ||
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
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") == -1)
		goto fail;
	if (!ca && (add_ext(x, &ctx, NID_ext_key_usage,
	    "serverAuth,clientAuth") == -1 ||
	    add_ext(x, &ctx, NID_subject_alt_name, san) == -1))
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

	snprintf(path, sizeof(path), "%s/%s.crt", cert_dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (PEM_write_X509(f, x) != 1)
		r = -1;
	fclose(f);
	if (key == NULL)
		return r;
	snprintf(path, sizeof(path), "%s/%s.key", cert_dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	if (PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1)
		r = -1;
	fclose(f);
	return r;
}

/* A CA named ca_name and, under it, each of names[]; 0 or -1. */
static int
make_tree(const char *ca_name, const char *const *names, size_t n)
{
	EVP_PKEY *cakey = EVP_EC_gen("P-256"), *key = NULL;
	X509 *ca = NULL, *x = NULL;
	int r = -1;

	if (cakey == NULL || (ca = make_cert("proxyd CA", cakey, NULL, NULL,
	    1)) == NULL || write_pem(ca_name, ca, NULL) == -1)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((key = EVP_EC_gen("P-256")) == NULL ||
		    (x = make_cert(names[i], key, ca, cakey, (long)i + 2)) ==
		    NULL || write_pem(names[i], x, key) == -1)
			goto out;
		X509_free(x);
		EVP_PKEY_free(key);
		x = NULL;
		key = NULL;
	}
	r = 0;
out:
	X509_free(x);
	EVP_PKEY_free(key);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	return r;
}

int
fake_certs_make(const char *dir, const char *const *names, size_t n)
{
	static const char *const rogue[] = { "mallory" };

	snprintf(cert_dir, sizeof(cert_dir), "%s", dir);
	if (make_tree("ca", names, n) == -1)
		return -1;
	/* another network's CA: its certificates must be refused */
	return make_tree("otherca", rogue, 1);
}

void
fake_certs_remove(void)
{
	static const char *const files[] = { "ca.crt", "otherca.crt",
	    "alpha.crt", "alpha.key", "bravo.crt", "bravo.key", "charlie.crt",
	    "charlie.key", "mallory.crt", "mallory.key" };
	char path[300];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", cert_dir, files[i]);
		unlink(path);
	}
	rmdir(cert_dir);
}

/* nodes */

struct ep
node_addr(const struct node *n, enum psock_kind kind)
{
	return n->px.socks[kind].local;
}

struct node *
node_new(const char *name, const char *cert, uint8_t octet)
{
	struct node *n;
	struct ep a;
	char ip[48];
	size_t i;

	for (i = 0; i < FAKE_NODES_MAX && nodes[i] != NULL; i++)
		;
	if (i == FAKE_NODES_MAX || (n = calloc(1, sizeof(*n))) == NULL)
		return NULL;
	snprintf(n->conf.name, sizeof(n->conf.name), "%s", name);
	snprintf(n->ca, sizeof(n->ca), "%s/%s.crt", cert_dir,
	    strcmp(cert, "mallory") == 0 ? "otherca" : "ca");
	snprintf(n->crt, sizeof(n->crt), "%s/%s.crt", cert_dir, cert);
	snprintf(n->key, sizeof(n->key), "%s/%s.key", cert_dir, cert);
	n->conf.tls_ca = n->ca;
	n->conf.tls_cert = n->crt;
	n->conf.tls_key = n->key;
	n->conf.ka_min = CONF_DEFAULT_KA_MIN;
	n->conf.rekey_s = CONF_DEFAULT_REKEY_S;
	n->conf.ka_max = CONF_DEFAULT_KA_MAX;
	n->conf.neighbours = n->nbr;
	n->px.conf = &n->conf;
	snprintf(ip, sizeof(ip), "10.0.0.%u", octet);
	ep_parse_addr(ip, &a);
	psock_open(&n->px.socks[PSOCK_PRIMARY], &n->px.sock_env, &a, FAKE_PORT,
	    PSOCK_PRIMARY);
	psock_open(&n->px.socks[PSOCK_ALT_PORT], &n->px.sock_env, &a,
	    FAKE_PORT + 1, PSOCK_ALT_PORT);
	psock_open(&n->px.socks[PSOCK_ALT_ADDR], &n->px.sock_env, &a, 0,
	    PSOCK_ALT_ADDR);
	snprintf(ip, sizeof(ip), "2001:db8::%u", octet);
	ep_parse_addr(ip, &a);
	psock_open(&n->px.socks6[PSOCK_PRIMARY], &n->px.sock_env, &a,
	    FAKE_PORT, PSOCK_PRIMARY);
	if ((n->px.base = event_base_new()) == NULL ||
	    (n->px.ssl_ctx = tls_ctx_new(&n->conf)) == NULL) {
		if (n->px.base != NULL)
			event_base_free(n->px.base);
		free(n);
		return NULL;
	}
	nodes[i] = n;
	return n;
}

void
node_add_neighbour(struct node *n, const char *name, uint8_t octet)
{
	size_t i = n->conf.n_neighbours++;

	snprintf(n->nbr[i].name, sizeof(n->nbr[i].name), "%s", name);
	snprintf(n->host[i], sizeof(n->host[i]), "10.0.0.%u", octet);
	n->nbr[i].host = n->host[i];
	n->nbr[i].port = FAKE_PORT;
}

int
node_start(struct node *n)
{
	return link_init(&n->px, &fake_link_events);
}

void
node_free(struct node *n)
{
	if (n == NULL)
		return;
	link_shutdown(&n->px);
	for (size_t i = 0; i < FAKE_NODES_MAX; i++)
		if (nodes[i] == n)
			nodes[i] = NULL;
	SSL_CTX_free(n->px.ssl_ctx);
	event_base_free(n->px.base);
	free(n);
}

void
nodes_free(void)
{
	for (size_t i = 0; i < FAKE_NODES_MAX; i++)
		node_free(nodes[i]);
}

/* delivery */

static bool
same_addr(const struct ep *a, const struct ep *b)
{
	return a->family == b->family && ep_addr_eq(a, b) &&
	    a->port == b->port;
}

bool
fake_deliver(const struct fake_dgram *d)
{
	for (size_t i = 0; i < FAKE_NODES_MAX; i++)
		for (int k = 0; nodes[i] != NULL && k < 2 * PSOCK_LISTEN;
		    k++) {
			struct psock *ps = k < PSOCK_LISTEN ?
			    &nodes[i]->px.socks[k] :
			    &nodes[i]->px.socks6[k - PSOCK_LISTEN];
			uint8_t *copy;

			if (!same_addr(&ps->local, &d->to))
				continue;
			if ((copy = malloc(d->len > 0 ? d->len : 1)) == NULL)
				return false;
			memcpy(copy, d->buf, d->len);
			link_datagram(&nodes[i]->px, ps, &d->from, copy,
			    d->len);
			free(copy);
			return true;
		}
	return false;
}

size_t
fake_pump(size_t max)
{
	struct fake_dgram d;
	size_t n = 0;

	while (n < max && fake_q_pop(&d)) {
		fake_deliver(&d);
		free(d.buf);
		n++;
	}
	return n;
}

size_t
links_count(const struct proxyd *px, int st)
{
	size_t n = 0;

	for (const struct link *l = px->links; l != NULL; l = l->next)
		n += st < 0 || (int)l->state == st;
	return n;
}

struct link *
link_named(const struct proxyd *px, const char *name)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (strcmp(l->name, name) == 0)
			return l;
	return NULL;
}
