/* SPDX-License-Identifier: ISC */
/*
 * Path echoes (proxyctl ping).  See ping.h.  The waiting pings live in a
 * fixed table; an echo that is neither ours nor for us is forwarded, with
 * its hop count as the loop guard (the way back may cross the same proxies
 * again, so a name on the path is no sign of a loop).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "link.h"
#include "log.h"
#include "peer.h"
#include "ping.h"

struct ping_wait {
	bool		used;
	uint64_t	id;
	ping_done_fn	done;
	void		*arg;
	int64_t		tag;
	char		dest[PKT_NAME_MAX + 1];
	char		via[PKT_NAME_MAX + 1];
	uint64_t	t0_us;
};

static struct ping_wait	waits[PING_WAIT_MAX];
static struct pkt_msg	echo_msg;	/* large: one, reused */

/* The link toward name: a link to it if up, else our next hop's. */
static struct link *
toward(struct proxyd *px, const char *name)
{
	struct link *l = link_find(px, name);

	return l != NULL ? l : peer_next_link(px, name);
}

static void
path_append(struct pkt_echo *e, const char *name)
{
	if (e->n_path < PKT_PATH_MAX)
		snprintf(e->path[e->n_path++], sizeof(e->path[0]), "%s", name);
}

static void
finish(struct ping_wait *w, const struct ping_result *r)
{
	w->used = false;
	w->done(w->arg, w->tag, r);
}

int
ping_start(struct proxyd *px, const char *dest, ping_done_fn done, void *arg,
    int64_t tag, char *err, size_t errlen)
{
	struct pkt_echo *e = &echo_msg.u.echo;
	struct ping_wait *w = NULL;
	struct link *l;

	if (strcmp(dest, px->conf->name) == 0) {
		snprintf(err, errlen, "'%s' is this proxy", dest);
		return -1;
	}
	if ((l = toward(px, dest)) == NULL) {
		snprintf(err, errlen, "no route to proxy '%s' (not in the "
		    "topology, or no link up toward it)", dest);
		return -1;
	}
	for (int i = 0; i < PING_WAIT_MAX && w == NULL; i++)
		if (!waits[i].used)
			w = &waits[i];
	if (w == NULL) {
		snprintf(err, errlen, "%d pings are already waiting",
		    PING_WAIT_MAX);
		return -1;
	}
	memset(w, 0, sizeof(*w));
	w->used = true;
	if (RAND_bytes((unsigned char *)&w->id, sizeof(w->id)) != 1)
		w->id = now_us();
	w->done = done;
	w->arg = arg;
	w->tag = tag;
	w->t0_us = now_us();
	snprintf(w->dest, sizeof(w->dest), "%s", dest);
	snprintf(w->via, sizeof(w->via), "%s", l->name);

	memset(&echo_msg, 0, sizeof(echo_msg));
	echo_msg.type = PKT_MSG_ECHO;
	e->id = w->id;
	e->kind = PKT_ECHO_REQUEST;
	e->time_us = w->t0_us;
	snprintf(e->src, sizeof(e->src), "%s", px->conf->name);
	snprintf(e->dst, sizeof(e->dst), "%s", dest);
	path_append(e, px->conf->name);
	link_send_msg(l, &echo_msg);
	log_debug("ping %016llx to '%s' via '%s'", (unsigned long long)w->id,
	    dest, l->name);
	return 0;
}

/* One of our pings came back. */
static void
answered(struct proxyd *px, const struct pkt_echo *e)
{
	char path[(PKT_PATH_MAX + 2) * (PKT_NAME_MAX + 3) + 8];
	struct ping_result r;
	size_t off = 0;
	unsigned there = 0;

	for (int i = 0; i < PING_WAIT_MAX; i++) {
		struct ping_wait *w = &waits[i];

		if (!w->used || w->id != e->id || strcmp(w->dest, e->dst) != 0)
			continue;
		path[0] = '\0';
		for (int k = 0; k < e->n_path; k++) {
			int n = snprintf(path + off, sizeof(path) - off, "%s%s",
			    k ? " > " : "", e->path[k]);

			if (n > 0 && (size_t)n < sizeof(path) - off)
				off += (size_t)n;
			if (there == 0 && strcmp(e->path[k], e->dst) == 0)
				there = (unsigned)k;
		}
		/* the names that did not fit, then ourselves */
		snprintf(path + off, sizeof(path) - off, "%s > %s",
		    e->hops > e->n_path ? " > ..." : "", px->conf->name);
		memset(&r, 0, sizeof(r));
		r.dest = w->dest;
		r.answered = true;
		r.rtt_ms = (double)(now_us() - w->t0_us) / 1000.0;
		r.hops_there = there;
		r.hops_back = e->hops >= there ? e->hops - there : 0;
		r.path = path;
		r.via = w->via;
		log_info("ping to '%s': answer after %.3f ms, %u hops there, "
		    "%u back (%s)", w->dest, r.rtt_ms, r.hops_there,
		    r.hops_back, path);
		finish(w, &r);
		return;
	}
	px->st.drop_malformed++;	/* not ours, or already timed out */
}

void
ping_input(struct link *from, struct pkt_echo *e)
{
	struct proxyd *px = from->px;
	const char *me = px->conf->name, *target;
	struct link *l;

	if (e->hops >= PKT_ECHO_HOPS_MAX) {
		px->st.drop_noroute++;	/* a loop, or a path far too long */
		return;
	}
	e->hops++;
	if (e->kind == PKT_ECHO_ANSWER && strcmp(e->src, me) == 0) {
		answered(px, e);
		return;
	}
	if (e->kind == PKT_ECHO_REQUEST && strcmp(e->dst, me) == 0)
		e->kind = PKT_ECHO_ANSWER;	/* and back it goes */
	target = e->kind == PKT_ECHO_REQUEST ? e->dst : e->src;
	if ((l = toward(px, target)) == NULL) {
		px->st.drop_noroute++;
		log_debug("echo %016llx for '%s' from '%s': no route",
		    (unsigned long long)e->id, target, from->name);
		return;
	}
	path_append(e, me);
	echo_msg.type = PKT_MSG_ECHO;
	echo_msg.u.echo = *e;
	link_send_msg(l, &echo_msg);
}

void
ping_tick(struct proxyd *px)
{
	uint64_t now = now_us();

	(void)px;
	for (int i = 0; i < PING_WAIT_MAX; i++) {
		struct ping_wait *w = &waits[i];
		struct ping_result r;

		if (!w->used ||
		    now - w->t0_us < (uint64_t)PING_TIMEOUT_MS * 1000)
			continue;
		memset(&r, 0, sizeof(r));
		r.dest = w->dest;
		r.via = w->via;
		log_info("ping to '%s' via '%s': no answer within %d ms",
		    w->dest, w->via, PING_TIMEOUT_MS);
		finish(w, &r);
	}
}

void
ping_cancel(void *arg)
{
	for (int i = 0; i < PING_WAIT_MAX; i++)
		if (waits[i].used && waits[i].arg == arg)
			waits[i].used = false;
}
