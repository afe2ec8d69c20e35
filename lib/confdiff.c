/* SPDX-License-Identifier: ISC */
/*
 * This file owns the comparison of two configurations for a live reload
 * (bgpd's reload: the new file is parsed and checked whole, then only the
 * difference is applied).  It decides what can change while proxyd runs
 * and what cannot; proxyd/reload.c does the applying.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "confdiff.h"
#include "log.h"

static const char *const change_names[] = {
	[CONF_CH_FIXED] = "refused",
	[CONF_CH_NB_KEEP] = "neighbour_kept",
	[CONF_CH_NB_DEL] = "neighbour_removed",
	[CONF_CH_NB_ADD] = "neighbour_added",
	[CONF_CH_NB_MOVE] = "neighbour_moved",
	[CONF_CH_PREFIXES] = "prefixes",
	[CONF_CH_PUBLIC] = "public",
	[CONF_CH_FORWARD] = "forward",
	[CONF_CH_KEEPALIVE] = "keepalive",
	[CONF_CH_LOG] = "log",
	[CONF_CH_TLS] = "tls",
	[CONF_CH_TOPOLOGY] = "topology",
	[CONF_CH_REKEY] = "rekey",
};

const char *
conf_change_name(enum conf_change k)
{
	if ((size_t)k >= sizeof(change_names) / sizeof(change_names[0]))
		return "?";
	return change_names[k];
}

struct ctx {
	struct conf_diff	*d;
	size_t			 cap;
	bool			 oom;
};

static struct conf_change_item *
add(struct ctx *x, enum conf_change kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static struct conf_change_item *
add(struct ctx *x, enum conf_change kind, const char *fmt, ...)
{
	struct conf_diff *d = x->d;
	struct conf_change_item *it;
	va_list ap;

	if (x->oom)
		return NULL;
	if (d->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16;

		if ((it = realloc(d->v, cap * sizeof(*it))) == NULL) {
			x->oom = true;
			return NULL;
		}
		d->v = it;
		x->cap = cap;
	}
	it = &d->v[d->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	va_start(ap, fmt);
	vsnprintf(it->text, sizeof(it->text), fmt, ap);
	va_end(ap);
	if (kind == CONF_CH_FIXED)
		d->n_fixed++;
	else if (kind != CONF_CH_NB_KEEP)
		d->n_changed++;
	return it;
}

/* Where b sets key, else its group, else b's file. */
static const char *
at(const struct conf *b, const char *key)
{
	char group[64];
	const char *p, *dot;

	if ((p = conf_at(b, key)) != NULL)
		return p;
	if ((dot = strchr(key, '.')) != NULL &&
	    (size_t)(dot - key) < sizeof(group)) {
		snprintf(group, sizeof(group), "%.*s", (int)(dot - key), key);
		if ((p = conf_at(b, group)) != NULL)
			return p;
	}
	return b->path != NULL ? b->path : "?";
}

static void
fixed(struct ctx *x, const struct conf *b, const char *key, const char *was,
    const char *now)
{
	(void)add(x, CONF_CH_FIXED, "%s: '%s' cannot change while proxyd "
	    "runs (%s, now %s): set it back, or restart proxyd to apply it",
	    at(b, key), key, was, now);
}

static const char *
ip(struct in_addr a, char *buf)
{
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void
fixed_u(struct ctx *x, const struct conf *b, const char *key, unsigned was,
    unsigned now)
{
	char w[16], n[16];

	if (was == now)
		return;
	snprintf(w, sizeof(w), "%u", was);
	snprintf(n, sizeof(n), "%u", now);
	fixed(x, b, key, w, n);
}

static void
fixed_s(struct ctx *x, const struct conf *b, const char *key, const char *was,
    const char *now)
{
	char w[CONF_SHOW_MAX + 8], n[CONF_SHOW_MAX + 8];

	if ((was == NULL && now == NULL) ||
	    (was != NULL && now != NULL && strcmp(was, now) == 0))
		return;
	snprintf(w, sizeof(w), was != NULL ? "'%.*s'" : "none",
	    CONF_SHOW_MAX, was);
	snprintf(n, sizeof(n), now != NULL ? "'%.*s'" : "none",
	    CONF_SHOW_MAX, now);
	fixed(x, b, key, w, n);
}

static void
fixed_ip(struct ctx *x, const struct conf *b, const char *key, bool had,
    struct in_addr was, bool has, struct in_addr now)
{
	char w[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];

	if (had == has && (!had || was.s_addr == now.s_addr))
		return;
	fixed(x, b, key, had ? ip(was, w) : "none", has ? ip(now, n) : "none");
}

static void
fixed_ip6(struct ctx *x, const struct conf *b, const char *key, bool had,
    const struct in6_addr *was, bool has, const struct in6_addr *now)
{
	char w[INET6_ADDRSTRLEN], n[INET6_ADDRSTRLEN];

	if (had == has && (!had || memcmp(was, now, sizeof(*was)) == 0))
		return;
	fixed(x, b, key, had ? inet_ntop(AF_INET6, was, w, sizeof(w)) :
	    "none", has ? inet_ntop(AF_INET6, now, n, sizeof(n)) : "none");
}

/* The keys that need a restart: sockets, TUN, identity, privileges. */
static void
diff_fixed(struct ctx *x, const struct conf *a, const struct conf *b)
{
	fixed_s(x, b, "name", a->name, b->name);
	fixed_ip(x, b, "listen.address", a->listen_v4, a->listen_addr,
	    b->listen_v4, b->listen_addr);
	fixed_ip6(x, b, "listen.address", a->listen_v6, &a->listen6_addr,
	    b->listen_v6, &b->listen6_addr);
	fixed_u(x, b, "listen.port", a->listen_port, b->listen_port);
	fixed_u(x, b, "listen.alt_port", a->alt_port, b->alt_port);
	fixed_u(x, b, "listen.tcp_port", a->listen_tcp_port,
	    b->listen_tcp_port);
	fixed_ip(x, b, "listen.alt_address", a->has_alt_addr, a->alt_addr,
	    b->has_alt_addr, b->alt_addr);
	fixed_ip6(x, b, "listen.alt_address", a->has_alt_addr6, &a->alt_addr6,
	    b->has_alt_addr6, &b->alt_addr6);
	if (a->has_tun != b->has_tun)
		fixed(x, b, "tun", a->has_tun ? "a TUN" : "none",
		    b->has_tun ? "a TUN" : "none");
	else if (a->has_tun) {
		fixed_s(x, b, "tun.name", a->tun_name, b->tun_name);
		fixed_u(x, b, "tun.mtu", (unsigned)a->tun_mtu,
		    (unsigned)b->tun_mtu);
	}
	fixed_s(x, b, "control", a->control, b->control);
	fixed_s(x, b, "user", a->user, b->user);
	fixed_s(x, b, "pidfile", a->pidfile, b->pidfile);
	if (a->has_metrics != b->has_metrics ||
	    (a->has_metrics && (a->metrics_addr.s_addr !=
	    b->metrics_addr.s_addr || a->metrics_port != b->metrics_port))) {
		char w[32], n[32], ia[INET_ADDRSTRLEN], ib[INET_ADDRSTRLEN];

		snprintf(w, sizeof(w), a->has_metrics ? "%s:%u" : "off",
		    ip(a->metrics_addr, ia), a->metrics_port);
		snprintf(n, sizeof(n), b->has_metrics ? "%s:%u" : "off",
		    ip(b->metrics_addr, ib), b->metrics_port);
		fixed(x, b, "metrics", w, n);
	}
}

/* Neighbour indexes sorted by name. */
static const struct conf_neighbour *sort_nb;

static int
nb_cmp(const void *pa, const void *pb)
{
	size_t i = *(const size_t *)pa, j = *(const size_t *)pb;

	return strcmp(sort_nb[i].name, sort_nb[j].name);
}

static size_t *
nb_sorted(const struct conf *c)
{
	size_t *ix;

	if ((ix = calloc(c->n_neighbours + 1, sizeof(*ix))) == NULL)
		return NULL;
	for (size_t i = 0; i < c->n_neighbours; i++)
		ix[i] = i;
	sort_nb = c->neighbours;
	qsort(ix, c->n_neighbours, sizeof(*ix), nb_cmp);
	sort_nb = NULL;
	return ix;
}

/*
 * Names are unique within a file (conf_load checks), so a merge of the
 * two sorted lists pairs them: O(n log n).  Host names compare without
 * case, as DNS does.
 */
static void
diff_neighbours(struct ctx *x, const struct conf *a, const struct conf *b)
{
	size_t *ia = nb_sorted(a), *ib = nb_sorted(b), i = 0, j = 0;
	struct conf_change_item *it;

	if (ia == NULL || ib == NULL) {
		x->oom = true;
		goto out;
	}
	while (i < a->n_neighbours || j < b->n_neighbours) {
		const struct conf_neighbour *na = i < a->n_neighbours ?
		    &a->neighbours[ia[i]] : NULL;
		const struct conf_neighbour *nb = j < b->n_neighbours ?
		    &b->neighbours[ib[j]] : NULL;
		int c = na == NULL ? 1 : nb == NULL ? -1 :
		    strcmp(na->name, nb->name);

		if (c < 0) {
			it = add(x, CONF_CH_NB_DEL, "neighbour '%s' (%s:%u) "
			    "removed: its link is closed", na->name, na->host,
			    na->port);
			if (it != NULL)
				it->old_i = ia[i];
			i++;
		} else if (c > 0) {
			it = add(x, CONF_CH_NB_ADD, "neighbour '%s' (%s:%u) "
			    "added: dialled now", nb->name, nb->host, nb->port);
			if (it != NULL)
				it->new_i = ib[j];
			j++;
		} else {
			bool same = na->port == nb->port &&
			    na->tcp_port == nb->tcp_port &&
			    na->transport == nb->transport &&
			    strcasecmp(na->host, nb->host) == 0;

			it = same ? add(x, CONF_CH_NB_KEEP, "neighbour '%s' "
			    "unchanged", na->name) : add(x, CONF_CH_NB_MOVE,
			    "neighbour '%s' moved from %s:%u to %s:%u: its "
			    "link is closed and dialled there", na->name,
			    na->host, na->port, nb->host, nb->port);
			if (it != NULL) {
				it->old_i = ia[i];
				it->new_i = ib[j];
			}
			i++;
			j++;
		}
	}
out:
	free(ia);
	free(ib);
}

static void
prefixes_str(const struct conf *c, char *buf, size_t len)
{
	size_t off = 0;
	char a[INET_ADDRSTRLEN];

	buf[0] = '\0';
	for (size_t i = 0; i < c->n_prefixes && off < len; i++) {
		const struct conf_prefix *p = &c->prefixes[i];
		char al[INET_ADDRSTRLEN + 12] = "";
		int n;

		if (p->has_alias)
			snprintf(al, sizeof(al), " as %s/%u",
			    ip(p->alias, a), p->plen);
		char ps[CONF_PREFIX_STRLEN];

		n = snprintf(buf + off, len - off, "%s%s%s", i ? " " : "",
		    conf_prefix_str(p, ps, sizeof(ps)), al);

		if (n < 0 || (size_t)n >= len - off) {
			/* cut: say so */
			if (len > 4)
				strcpy(buf + len - 4, "...");
			return;
		}
		off += (size_t)n;
	}
	if (c->n_prefixes == 0)
		snprintf(buf, len, "none");
}

static void
diff_prefixes(struct ctx *x, const struct conf *a, const struct conf *b)
{
	bool same = a->n_prefixes == b->n_prefixes;
	char pa[160], pb[160];

	for (size_t i = 0; same && i < a->n_prefixes; i++)
		same = conf_prefix_eq(&a->prefixes[i], &b->prefixes[i]);
	if (same)
		return;
	prefixes_str(a, pa, sizeof(pa));
	prefixes_str(b, pb, sizeof(pb));
	(void)add(x, CONF_CH_PREFIXES, "prefixes %s, now %s: re-advertised",
	    pa, pb);
}

static const char *
fwd_str(unsigned f, char *buf, size_t len)
{
	static const char *const names[] = { "ike", "esp", "icmp", "all" };

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & (1u << i))
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			    buf[0] != '\0' ? " " : "", names[i]);
	return buf;
}

static const char *
str_or(const char *s, const char *none)
{
	return s != NULL ? s : none;
}

int
conf_diff(const struct conf *a, const struct conf *b, struct conf_diff *d)
{
	struct ctx x = { .d = d };
	char w[64], n[64];

	memset(d, 0, sizeof(*d));
	diff_fixed(&x, a, b);
	diff_neighbours(&x, a, b);
	diff_prefixes(&x, a, b);
	if (a->has_public != b->has_public || (a->has_public &&
	    (a->public_addr.s_addr != b->public_addr.s_addr ||
	    a->public_port != b->public_port))) {
		char ia[INET_ADDRSTRLEN], ib[INET_ADDRSTRLEN];

		snprintf(w, sizeof(w), a->has_public ? "%s:%u" : "none",
		    ip(a->public_addr, ia), a->public_port);
		snprintf(n, sizeof(n), b->has_public ? "%s:%u" : "none",
		    ip(b->public_addr, ib), b->public_port);
		(void)add(&x, CONF_CH_PUBLIC, "public endpoint %s, now %s: "
		    "re-advertised", w, n);
	}
	if (a->forward != b->forward)
		(void)add(&x, CONF_CH_FORWARD, "forward [%s], now [%s]: "
		    "applies from the next packet", fwd_str(a->forward, w,
		    sizeof(w)), fwd_str(b->forward, n, sizeof(n)));
	if (a->ka_min != b->ka_min || a->ka_max != b->ka_max)
		(void)add(&x, CONF_CH_KEEPALIVE, "keepalive bounds %d-%d s, "
		    "now %d-%d s: every link's interval kept inside them",
		    a->ka_min, a->ka_max, b->ka_min, b->ka_max);
	if (a->rekey_s != b->rekey_s)
		(void)add(&x, CONF_CH_REKEY, "rekey time %d s, now %d s: each "
		    "link rekeys that long after its last handshake",
		    a->rekey_s, b->rekey_s);
	if (a->log_level != b->log_level)
		(void)add(&x, CONF_CH_LOG, "log level %s, now %s",
		    log_level_name(a->log_level), log_level_name(b->log_level));
	if (strcmp(str_or(a->tls_ca, ""), str_or(b->tls_ca, "")) != 0 ||
	    strcmp(str_or(a->tls_cert, ""), str_or(b->tls_cert, "")) != 0 ||
	    strcmp(str_or(a->tls_key, ""), str_or(b->tls_key, "")) != 0 ||
	    strcmp(str_or(a->tls_crl, ""), str_or(b->tls_crl, "")) != 0 ||
	    a->tls_strict_perms != b->tls_strict_perms)
		(void)add(&x, CONF_CH_TLS, "tls files or options changed: "
		    "new handshakes use them");
	if (a->tls_require_prefixes != b->tls_require_prefixes)
		(void)add(&x, CONF_CH_TOPOLOGY, "tls.require_prefixes %s, now "
		    "%s: advertisements are judged by it as they arrive",
		    a->tls_require_prefixes ? "true" : "false",
		    b->tls_require_prefixes ? "true" : "false");
	if (a->topo_max_origins != b->topo_max_origins ||
	    a->topo_max_prefixes != b->topo_max_prefixes ||
	    a->topo_max_links != b->topo_max_links ||
	    a->topo_rate != b->topo_rate || a->topo_burst != b->topo_burst)
		(void)add(&x, CONF_CH_TOPOLOGY, "topology limits changed "
		    "(max_origins %d, max_prefixes %d, max_links %d, rate %d, "
		    "burst %d): they apply from now on", b->topo_max_origins,
		    b->topo_max_prefixes, b->topo_max_links, b->topo_rate,
		    b->topo_burst);
	if (x.oom) {
		conf_diff_release(d);
		return -1;
	}
	/* diff_fixed() ran first: the FIXED items lead */
	return 0;
}

void
conf_diff_release(struct conf_diff *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}
