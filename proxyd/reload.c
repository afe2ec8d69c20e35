/* SPDX-License-Identifier: ISC */
/*
 * This file owns the live reload: the one place that turns a new
 * configuration into calls on the running daemon.  It checks the new file
 * completely (the loader and checks of `proxyd -t`, the keys that cannot
 * change live, the TLS files), then applies the difference that
 * lib/confdiff.c computes: neighbours dialled or closed, our advertisement
 * re-originated, keepalive and log bounds taken over, a new TLS context for
 * new handshakes.  It sits above the engines, beside control.c, and calls
 * them through their headers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "confdiff.h"
#include "link.h"
#include "log.h"
#include "peer.h"
#include "privs.h"
#include "reload.h"
#include "lsasig.h"
#include "tls.h"
#include "topology.h"

static void
line_add(struct conf_errs *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
line_add(struct conf_errs *e, const char *fmt, ...)
{
	char **v, *s, buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((s = strdup(buf)) == NULL)
		return;
	if ((v = realloc(e->msgs, (e->n + 1) * sizeof(*v))) == NULL) {
		free(s);
		return;
	}
	v[e->n++] = s;
	e->msgs = v;
}

/* tls_check_own()'s findings, errors and warnings, as lines of the answer. */
static void
tls_line(void *arg, bool warning, const char *msg)
{
	line_add(arg, "%s%s", warning ? "warning: " : "", msg);
}

/*
 * Everything that could fail, before anything changes: the file (syntax,
 * schema, values), the user, the certificate's name, the keys that need a
 * restart, and the TLS files.  0 with *out, *ctx and d filled, or -1 with
 * every error in r->lines.
 */
/* The advertisement signer and verifier of the new configuration. */
struct lsa_pair {
	struct lsasig_key	*key;
	struct lsasig_verifier	*ver;
};

static int
reload_check(struct proxyd *px, struct reload_result *r, struct conf **out,
    SSL_CTX **ctx, struct conf_diff *d, struct lsa_pair *lp)
{
	struct conf_errs errs = { 0 };
	char msg[1024];
	struct conf *c;
	bool bad = false;

	*out = NULL;
	*ctx = NULL;
	memset(d, 0, sizeof(*d));
	bad = conf_load_file(px->conf_path, &c, &errs) == -1;
	/* errors, or (after a success) warnings: both are worth showing */
	for (size_t i = 0; i < errs.n; i++)
		line_add(&r->lines, "%s", errs.msgs[i]);
	conf_errs_release(&errs);
	if (bad)
		return -1;
	if (conf_diff(px->conf, c, d) == -1) {
		line_add(&r->lines, "%s: out of memory comparing the "
		    "configurations", px->conf_path);
		goto fail;
	}
	for (size_t i = 0; i < d->n_fixed; i++)
		line_add(&r->lines, "%s", d->v[i].text);
	bad = d->n_fixed > 0;
	if (privs_check(c, msg, sizeof(msg)) == -1) {
		line_add(&r->lines, "%s", msg);
		bad = true;
	}
	if (tls_check_own(c, time(NULL), tls_line, &r->lines) == -1)
		bad = true;
	else if (tls_check_crl(c, msg, sizeof(msg)) == -1) {
		line_add(&r->lines, "%s", msg);
		bad = true;
	} else if ((*ctx = tls_ctx_load(c, msg, sizeof(msg))) == NULL) {
		line_add(&r->lines, "%s: %s", conf_at(c, "tls") != NULL ?
		    conf_at(c, "tls") : c->path, msg);
		bad = true;
	} else if ((lp->key = lsasig_key_load(c->tls_cert, c->tls_key, msg,
	    sizeof(msg))) == NULL || (lp->ver = lsasig_verifier_load(
	    c->tls_ca, c->tls_require_prefixes, msg, sizeof(msg))) == NULL) {
		line_add(&r->lines, "%s: signed advertisements: %s",
		    conf_at(c, "tls") != NULL ? conf_at(c, "tls") : c->path,
		    msg);
		bad = true;
	}
	if (!bad) {
		*out = c;
		return 0;
	}
fail:
	SSL_CTX_free(*ctx);
	*ctx = NULL;
	lsasig_key_free(lp->key);
	lsasig_verifier_free(lp->ver);
	lp->key = NULL;
	lp->ver = NULL;
	conf_diff_release(d);
	conf_free(c);
	return -1;
}

/* Keepalive intervals inside the new bounds; direct links keep theirs. */
static void
keepalive_bounds(struct proxyd *px)
{
	const struct conf *c = px->conf;

	for (struct link *l = px->links; l != NULL; l = l->next) {
		if (peer_link_is_direct(l))
			continue;
		if (l->ka_interval_s < c->ka_min)
			link_set_keepalive(l, c->ka_min, l->dead_s);
		else if (l->ka_interval_s > c->ka_max)
			link_set_keepalive(l, c->ka_max, l->dead_s);
	}
}

/*
 * The swap.  Nothing here can fail but a new link's allocation, which is
 * logged and retried by nobody: the neighbour stays out until the next
 * reload (XXX: out of memory only).
 */
static void
reload_apply(struct proxyd *px, struct conf *c, SSL_CTX *ctx,
    const struct conf_diff *d, struct reload_result *r, struct lsa_pair *lp)
{
	struct conf *old = px->conf;
	bool readvertise = true;	/* re-signed with the key re-read */

	px->conf = c;
	lsasig_key_free(px->lsa_key);
	lsasig_verifier_free(px->lsa_verifier);
	px->lsa_key = lp->key;
	px->lsa_verifier = lp->ver;
	topology_limits(px);
	/* SSLs in progress hold a reference to the old context */
	SSL_CTX_free(px->ssl_ctx);
	px->ssl_ctx = ctx;
	for (size_t i = 0; i < d->n; i++) {
		const struct conf_change_item *it = &d->v[i];

		switch (it->kind) {
		case CONF_CH_NB_KEEP:
			link_renbr(px, &old->neighbours[it->old_i],
			    &c->neighbours[it->new_i]);
			continue;	/* not a change: no line */
		case CONF_CH_NB_DEL:
			link_unconfigure(px, &old->neighbours[it->old_i],
			    "removed from the configuration");
			break;
		case CONF_CH_NB_MOVE:
			link_unconfigure(px, &old->neighbours[it->old_i],
			    "moved in the configuration");
			/* FALLTHROUGH */
		case CONF_CH_NB_ADD:
			if (link_add(px, &c->neighbours[it->new_i]) == NULL)
				log_warnx("reload: out of memory: neighbour "
				    "'%s' is not dialled",
				    c->neighbours[it->new_i].name);
			break;
		case CONF_CH_PREFIXES:
			/* aliases: validated like the rest, cannot fail */
			if (netmap_load(&px->netmap, c->prefixes,
			    c->n_prefixes) == -1)
				log_warnx("reload: prefix aliases refused: "
				    "no translation until the next reload");
			readvertise = true;
			break;
		case CONF_CH_PUBLIC:
			readvertise = true;
			break;
		case CONF_CH_KEEPALIVE:
			keepalive_bounds(px);
			break;
		case CONF_CH_LOG:
			if (!px->log_forced)
				log_set_level(c->log_level);
			break;
		case CONF_CH_REKEY:	/* link_tick() reads px->conf */
		case CONF_CH_FORWARD:	/* relay.c reads px->conf */
		case CONF_CH_TLS:	/* the new context has them */
		case CONF_CH_TOPOLOGY:	/* topology_limits(), the verifier */
		case CONF_CH_FIXED:	/* none: reload_check() refused */
			break;
		}
		line_add(&r->lines, "%s", it->text);
		r->n_changed++;
	}
	line_add(&r->lines, "certificate, key and CA files re-read: new "
	    "handshakes use them");
	/* the new context gets the CRL in force, then 'tls.crl' is read */
	(void)peer_reload_crl(px);
	tls_note_own(px);
	{
		/* changed files (renamed or in place): every link rekeys */
		uint8_t dg[TLS_DIGEST_LEN];

		if (tls_files_digest(c, dg) == -1 ||
		    memcmp(dg, px->tls_digest, sizeof(dg)) != 0) {
			unsigned n = link_rekey_all(px);

			memcpy(px->tls_digest, dg, sizeof(dg));
			line_add(&r->lines, "certificate, key, CA or CRL "
			    "changed: %u up link(s) rekey in the background, "
			    "each peer verified again", n);
		}
	}
	if (readvertise)
		topology_originate(px);
	conf_free(old);
}

int
reload_run(struct proxyd *px, struct reload_result *r)
{
	struct conf_diff d;
	struct conf *c;
	SSL_CTX *ctx;
	struct lsa_pair lp = { NULL, NULL };

	memset(r, 0, sizeof(*r));
	if (reload_check(px, r, &c, &ctx, &d, &lp) == -1) {
		log_warnx("reload of '%s' refused, the running configuration "
		    "stays: %zu problem(s)", px->conf_path, r->lines.n);
		for (size_t i = 0; i < r->lines.n; i++)
			log_warnx("%s", r->lines.msgs[i]);
		return -1;
	}
	/* a good file's warnings lead the answer */
	for (size_t i = 0; i < r->lines.n; i++)
		log_warnx("%s", r->lines.msgs[i]);
	reload_apply(px, c, ctx, &d, r, &lp);
	conf_diff_release(&d);
	r->ok = true;
	log_info("configuration '%s' reloaded: %zu change(s)", px->conf_path,
	    r->n_changed);
	for (size_t i = 0; i < r->lines.n; i++)
		if (strstr(r->lines.msgs[i], ": warning: ") == NULL)
			log_info("reload: %s", r->lines.msgs[i]);
	return 0;
}

void
reload_result_release(struct reload_result *r)
{
	conf_errs_release(&r->lines);
	memset(r, 0, sizeof(*r));
}
