/* SPDX-License-Identifier: ISC */
/*
 * Revocation engine (see revoke.h).  What it holds: the CA certificates
 * (read once at start, while the files can still be read), the CRL in
 * force, and the file's identity (mtime, size) to notice a change.  The
 * signature check costs an EC verification, so a CRL message is parsed
 * and compared by number first and verified only when it would be newer,
 * and at most REVOKE_VERIFY_PER_S verifications run per second (the rest
 * are counted and dropped: the sender tries again when we flood ours, or
 * at its next link-up).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crl.h"
#include "link.h"
#include "log.h"
#include "peer.h"
#include "revoke.h"
#include "tls.h"

struct revoke {
	STACK_OF(X509)	*cas;
	struct crl	*crl;		/* in force; NULL: none */
	char		 from[80];	/* where it came from, for the log */
	struct timespec	 mtime;		/* of 'tls.crl' when last read */
	off_t		 size;
	bool		 have_stat;
	uint64_t	 second;	/* verifications in this second */
	unsigned	 verifies;
};

static void
send_crl(struct link *l)
{
	struct proxyd *px = l->px;
	struct pkt_msg m;

	if (px->revoke == NULL || px->revoke->crl == NULL ||
	    l->state != LINK_UP)
		return;
	memset(&m, 0, sizeof(m));
	m.type = PKT_MSG_CRL;
	m.u.crl.der = px->revoke->crl->der;
	m.u.crl.len = px->revoke->crl->der_len;
	(void)link_send_msg(l, &m);
}

/* Closes every link whose peer the CRL in force revokes. */
static void
close_revoked(struct proxyd *px)
{
	struct revoke *r = px->revoke;
	struct link *l;
	char who[128], why[160];

	/*
	 * Closing a link tells the engines, which may close or free others:
	 * the walk starts over after each close (a closed link holds no
	 * certificate any more, so each is closed once).
	 */
	for (bool again = true; again; ) {
		again = false;
		for (l = px->links; l != NULL; l = l->next) {
			if (l->peer_cert == NULL ||
			    !crl_revokes(r->crl, l->peer_cert))
				continue;
			snprintf(why, sizeof(why), "certificate revoked (CRL "
			    "number %llu)", (unsigned long long)r->crl->number);
			px->st.revoked_closed++;
			log_warnx("%s: %s: link closed", link_who(l, who,
			    sizeof(who)), why);
			link_close(l, why);
			again = true;
			break;
		}
	}
}

/* Puts c (verified) in force, closes revoked links, floods it. */
static void
adopt(struct proxyd *px, struct crl *c, struct link *from,
    const char *where)
{
	struct revoke *r = px->revoke;
	STACK_OF(X509_REVOKED) *rv = X509_CRL_get_REVOKED(c->x);

	if (tls_set_crl(px->ssl_ctx, r->cas, c->x) == -1) {
		crl_free(c);
		return;
	}
	crl_free(r->crl);
	r->crl = c;
	snprintf(r->from, sizeof(r->from), "%s", where);
	px->st.crl_adopted++;
	log_info("CRL number %llu in force (from %s): %d revoked "
	    "certificate(s)", (unsigned long long)c->number, where,
	    rv != NULL ? sk_X509_REVOKED_num(rv) : 0);
	close_revoked(px);
	peer_crl_changed(px, c->x);
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (l != from)
			send_crl(l);
}

static int
load_file(struct proxyd *px, bool at_start)
{
	struct revoke *r = px->revoke;
	const char *path = px->conf->tls_crl, *why;
	struct stat st;
	struct crl *c;

	if (path == NULL)
		return 0;
	if (stat(path, &st) == 0) {
		r->mtime = st.st_mtim;
		r->size = st.st_size;
		r->have_stat = true;
	}
	errno = 0;
	if ((c = crl_from_pem_file(path, &why)) == NULL) {
		log_warnx("'tls.crl' '%s' %s%s%s", path, why, errno ? ": " : "",
		    errno ? strerror(errno) : "");
		return -1;
	}
	if (crl_verify(c, r->cas, &why) == -1) {
		log_warnx("'tls.crl' '%s': %s: not the network CA's; the CRL "
		    "in force stays", path, why);
		crl_free(c);
		return -1;
	}
	if (!at_start && crl_cmp(c, r->crl) <= 0) {
		if (crl_cmp(c, r->crl) < 0)
			log_info("'tls.crl' '%s' holds CRL number %llu; number "
			    "%llu (from %s) is newer and stays", path,
			    (unsigned long long)c->number,
			    (unsigned long long)r->crl->number, r->from);
		crl_free(c);
		return 0;
	}
	adopt(px, c, NULL, "tls.crl");
	return 0;
}

int
revoke_init(struct proxyd *px)
{
	const char *why;

	if ((px->revoke = calloc(1, sizeof(*px->revoke))) == NULL)
		return -1;
	if ((px->revoke->cas = tls_load_cas(px->conf->tls_ca, &why)) == NULL) {
		log_warnx("'tls.ca' '%s' %s", px->conf->tls_ca, why);
		return -1;
	}
	return load_file(px, true);
}

void
revoke_free(struct proxyd *px)
{
	if (px->revoke == NULL)
		return;
	crl_free(px->revoke->crl);
	sk_X509_pop_free(px->revoke->cas, X509_free);
	free(px->revoke);
	px->revoke = NULL;
}

int
revoke_reload(struct proxyd *px)
{
	struct revoke *r = px->revoke;
	STACK_OF(X509) *cas;
	const char *why;
	int rc;

	if (r == NULL)
		return -1;
	/* the CA file may have been replaced too (a reload re-reads it) */
	if ((cas = tls_load_cas(px->conf->tls_ca, &why)) != NULL) {
		sk_X509_pop_free(r->cas, X509_free);
		r->cas = cas;
	}
	/* a reload may have brought a new TLS context: the CRL goes along */
	if (r->crl != NULL)
		(void)tls_set_crl(px->ssl_ctx, r->cas, r->crl->x);
	r->have_stat = false;
	rc = load_file(px, false);
	/* a reload may have brought a new advertisement verifier too */
	peer_crl_changed(px, r->crl != NULL ? r->crl->x : NULL);
	return rc;
}

void
revoke_tick(struct proxyd *px)
{
	struct revoke *r = px->revoke;
	struct stat st;

	if (r == NULL || px->conf->tls_crl == NULL ||
	    stat(px->conf->tls_crl, &st) == -1)
		return;
	if (r->have_stat && st.st_mtim.tv_sec == r->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == r->mtime.tv_nsec && st.st_size == r->size)
		return;
	log_info("'tls.crl' '%s' changed: reading it again",
	    px->conf->tls_crl);
	(void)load_file(px, false);
}

void
revoke_link_up(struct link *l)
{
	struct proxyd *px = l->px;
	char who[128];

	if (px->revoke == NULL)
		return;
	/* the handshake checked it already; a CRL adopted meanwhile may not */
	if (l->peer_cert != NULL && crl_revokes(px->revoke->crl,
	    l->peer_cert)) {
		px->st.revoked_closed++;
		log_warnx("%s: certificate revoked: link closed",
		    link_who(l, who, sizeof(who)));
		link_close(l, "certificate revoked");
		return;
	}
	send_crl(l);
}

void
revoke_input(struct link *l, const struct pkt_crl *m)
{
	struct proxyd *px = l->px;
	struct revoke *r = px->revoke;
	struct crl *c;
	const char *why;
	char who[128], where[80];
	uint64_t sec = now_us() / 1000000;
	int cmp;

	if (r == NULL)
		return;
	if (r->crl != NULL && m->len == r->crl->der_len &&
	    memcmp(m->der, r->crl->der, m->len) == 0)
		return;				/* ours already */
	if ((c = crl_from_der(m->der, m->len, &why)) == NULL) {
		px->st.drop_crl++;
		log_info("%s: CRL refused: %s", link_who(l, who, sizeof(who)),
		    why);
		return;
	}
	if ((cmp = crl_cmp(c, r->crl)) <= 0) {
		crl_free(c);
		if (cmp < 0)
			send_crl(l);		/* ours is newer: it gets it */
		return;
	}
	if (sec != r->second) {
		r->second = sec;
		r->verifies = 0;
	}
	if (r->verifies >= REVOKE_VERIFY_PER_S) {
		px->st.drop_crl++;
		crl_free(c);
		return;
	}
	r->verifies++;
	if (crl_verify(c, r->cas, &why) == -1) {
		px->st.drop_crl++;
		log_warnx("%s: CRL number %llu refused: %s",
		    link_who(l, who, sizeof(who)), (unsigned long long)c->number,
		    why);
		crl_free(c);
		return;
	}
	snprintf(where, sizeof(where), "neighbour '%s'", l->name);
	adopt(px, c, l, where);
}

bool
revoke_is_revoked(const struct proxyd *px, X509 *cert)
{
	return px->revoke != NULL && crl_revokes(px->revoke->crl, cert);
}

uint64_t
revoke_crl_number(const struct proxyd *px, bool *have)
{
	*have = px->revoke != NULL && px->revoke->crl != NULL;
	return *have ? px->revoke->crl->number : 0;
}
