/* SPDX-License-Identifier: ISC */
/*
 * Control socket server.  Framing: one JSON object per line, at most
 * JSON_LINE_MAX bytes; a longer line gets an error and the client is
 * dropped.  Bad input from a client never reaches fatal(): the worst it
 * gets is a closed connection.  Tables are small today, so each is written
 * whole in one turn.  XXX: stream in chunks with a high-water mark once
 * topology tables reach thousands of rows.
 *
 * What a client can make the daemon hold is bounded (control.h): a
 * number of clients with places kept for root, an idle timeout, and an
 * output high-water mark past which its requests are not read.  One timer
 * (sweep_cb) checks the timeouts while there are clients.
 */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>

#include "ctl.h"
#include "frag.h"
#include "json.h"
#include "link.h"
#include "log.h"
#include "conn.h"
#include "ping.h"
#include "probe.h"
#include "reload.h"
#include "topology.h"
#include "tun.h"
#include "control.h"
#include "ipaddr.h"
#include "kroute.h"
#include "revoke.h"

/*
 * A refused client is told why and its socket half-closed; the socket is
 * kept until the next sweep (at most this many), so that a client that
 * sends its hello before reading, as proxyctl does, can still write it
 * and read the reason rather than fail on a closed socket.
 */
#define CTL_REFUSED_KEPT	8

struct client;

struct control {
	struct proxyd		*px;
	struct evconnlistener	*lev;
	struct event		*sweep;		/* armed while there are clients */
	char			 path[108];
	int			 n_clients;
	struct client		*clients;	/* list, for control_close() */
	uint64_t		 refused_log_us; /* last "full" warning */
	int			 refused_fd[CTL_REFUSED_KEPT];
	int			 n_refused_fd;
	/* counters, in the status row */
	uint64_t		 n_refused;	/* over the client cap */
	uint64_t		 n_idle;	/* closed for being idle */
	uint64_t		 n_unread;	/* dropped with replies unread */
};

struct client {
	struct control		*ctl;
	struct client		*next;
	struct bufferevent	*bev;
	struct evbuffer_cb_entry *out_cb;	/* notes replies taken */
	bool			 hello;
	bool			 closing;	/* freed once its output is out */
	bool			 held;		/* output over CTL_OUT_HIGH */
	bool			 cred;		/* uid and pid known */
	unsigned		 pings;		/* pings in flight */
	uid_t			 uid;
	pid_t			 pid;
	uint64_t		 active_us;	/* last request, or reply taken */
	uint64_t		 wait_us;	/* held or closing since */
	int64_t			 id;
};

static char rowbuf[16384];	/* a full topology row is about 9 KB */
static struct json_doc req;	/* one request parsed at a time */

/* rows value of a command whose answer comes later (ping) */
#define ROWS_PENDING	(UINT_MAX - 1)

static void
client_free(struct client *c)
{
	struct client **pp;

	for (pp = &c->ctl->clients; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ping_cancel(c);
	c->ctl->n_clients--;
	evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cb);
	bufferevent_free(c->bev);
	free(c);
}

/* "pid P uid U" of a client, for the log. */
static const char *
client_who(const struct client *c)
{
	static char who[64];

	if (c->cred)
		snprintf(who, sizeof(who), "pid %d uid %u", (int)c->pid,
		    (unsigned)c->uid);
	else
		snprintf(who, sizeof(who), "pid unknown");
	return who;
}

/* Reads no more from c and frees it once its replies are written. */
static void
client_close_after_write(struct client *c)
{
	if (!c->closing && !c->held)
		c->wait_us = now_us();
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
}

static void	client_lines(struct client *);

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	size_t left = evbuffer_get_length(bufferevent_get_output(bev));

	/* down to the low-water mark (bufferevent_setwatermark) */
	if (c->held && !c->closing && left <= CTL_OUT_LOW) {
		c->held = false;
		bufferevent_enable(bev, EV_READ);
		client_lines(c);	/* the requests read before the stop */
		left = evbuffer_get_length(bufferevent_get_output(bev));
	}
	if (c->closing && left == 0)
		client_free(c);
}

/* Output leaving for the socket: the client is taking its replies. */
static void
client_out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct client *c = arg;

	(void)buf;
	if (info->n_deleted > 0)
		c->active_us = now_us();
}

static void
reply_error(struct client *c, const char *code, const char *msg)
{
	struct json_w w;

	json_begin(&w, rowbuf, sizeof(rowbuf));
	json_int(&w, "id", c->id);
	json_bool(&w, "ok", false);
	json_str(&w, "error", code);
	json_str(&w, "msg", msg);
	if (json_end(&w) > 0)
		evbuffer_add_printf(bufferevent_get_output(c->bev), "%s\n",
		    rowbuf);
}

static void
row_out(struct client *c, struct json_w *w, unsigned *rows)
{
	if (json_end(w) < 0)
		return;
	evbuffer_add_printf(bufferevent_get_output(c->bev),
	    "{\"id\":%lld,\"row\":%s}\n", (long long)c->id, rowbuf);
	(*rows)++;
}

static double
secs_since(uint64_t t, uint64_t now)
{
	return t == 0 || t > now ? -1 : (double)(now - t) / 1e6;
}

/*
 * Absent values are null, one way only (proxyctl(8), "JSON"): an empty
 * string, a negative duration or a zero that means "not known" never
 * reaches a client.
 */
static void
str_or_null(struct json_w *w, const char *key, const char *v)
{
	if (v == NULL || v[0] == '\0')
		json_null(w, key);
	else
		json_str(w, key, v);
}

static void
secs_or_null(struct json_w *w, const char *key, double v)
{
	if (v < 0)
		json_null(w, key);
	else
		json_dbl(w, key, v);
}

/*
 * A list as a JSON array of strings: the items of text separated by sep
 * (none for ""); NULL text gives null.  Into buf, for json_raw().
 */
static void
list_out(struct json_w *w, const char *key, const char *text,
    const char *sep, char *buf, size_t cap)
{
	struct json_w aw;
	char item[256];
	size_t seplen = strlen(sep);

	if (text == NULL) {
		json_null(w, key);
		return;
	}
	json_begin_array(&aw, buf, cap);
	while (*text != '\0') {
		const char *end = strstr(text, sep);
		size_t n = end != NULL ? (size_t)(end - text) : strlen(text);

		snprintf(item, sizeof(item), "%.*s", (int)n, text);
		if (n > 0)
			json_elem_str(&aw, item);
		text += n;
		if (end != NULL)
			text += seplen;
	}
	if (json_end_array(&aw) < 0)
		json_null(w, key);
	else
		json_raw(w, key, buf);
}

static void
cmd_status(struct client *c, unsigned *rows)
{
	struct control *ctl = c->ctl;
	struct proxyd *px = ctl->px;
	struct proxyd_stats *s = &px->st;
	struct json_w w;
	unsigned n = 0, up = 0;
	uint64_t queued = 0;	/* replies not yet taken, this one aside */

	for (struct client *x = ctl->clients; x != NULL; x = x->next)
		queued += evbuffer_get_length(bufferevent_get_output(x->bev));
	for (struct link *l = px->links; l != NULL; l = l->next) {
		if (l->name[0] == '\0')
			continue;	/* inbound handshake, not a neighbour yet */
		n++;
		up += l->state == LINK_UP;
	}
	json_begin(&w, rowbuf, sizeof(rowbuf));
	json_str(&w, "name", px->conf->name);
	json_str(&w, "version", PROXYD_VERSION);
	json_dbl(&w, "uptime_s", secs_since(px->start_us, now_us()));
	json_uint(&w, "neighbours_up", up);
	json_uint(&w, "neighbours", n);
	json_uint(&w, "routes", px->routes.n + px->routes.n6);
	json_uint(&w, "flows", flow_count(px->flows));
	json_uint(&w, "rx_packets", s->rx_packets);
	json_uint(&w, "tx_packets", px->sock_st.tx_packets);
	json_uint(&w, "rx_bytes", s->rx_bytes);
	json_uint(&w, "tx_bytes", px->sock_st.tx_bytes);
	json_uint(&w, "tun_rx", s->tun_rx);
	json_uint(&w, "tun_tx", s->tun_tx);
	json_uint(&w, "tun_gso", s->tun_gso);
	json_uint(&w, "tun_rx_gso", s->tun_rx_gso);
	{
		const struct frag_stats *fs = px->frags != NULL ?
		    &px->frags->st : &(const struct frag_stats){ 0 };

		json_uint(&w, "frag_tx", s->frag_tx);
		json_uint(&w, "tcp_mss_clamped", s->tcp_mss_clamped);
		json_uint(&w, "hc_tx", s->hc_tx);
		json_uint(&w, "hc_set_tx", s->hc_set_tx);
		json_uint(&w, "hc_rx", s->hc_rx);
		json_uint(&w, "hc_set_rx", s->hc_set_rx);
		json_uint(&w, "drop_hc_miss", s->drop_hc_miss);
		json_uint(&w, "frag_rx", fs->pieces);
		json_uint(&w, "frag_joined", fs->joined);
		json_uint(&w, "drop_frag", fs->dup + fs->mismatch +
		    fs->timeout + fs->evicted);
		json_uint(&w, "drop_toobig", s->drop_toobig);
		json_uint(&w, "ptb6_sent", s->ptb6_sent);
	}
	json_uint(&w, "drop_malformed", s->drop_malformed +
	    px->sock_st.rx_bad);
	json_uint(&w, "drop_auth", s->drop_auth);
	json_uint(&w, "drop_replay", s->drop_replay);
	json_uint(&w, "drop_nosession", s->drop_nosession);
	json_uint(&w, "drop_closed", s->drop_closed);
	json_uint(&w, "drop_policy", s->drop_policy);
	json_uint(&w, "drop_noroute", s->drop_noroute);
	json_uint(&w, "drop_ttl", s->drop_ttl);
	json_uint(&w, "drop_source", s->drop_source);
	json_uint(&w, "drop_loop", s->drop_loop);
	json_uint(&w, "drop_crl", s->drop_crl);
	{
		bool have;
		uint64_t crln = revoke_crl_number(px, &have);

		if (have)
			json_uint(&w, "crl_number", crln);
		else
			json_null(&w, "crl_number");
	}
	json_uint(&w, "crl_adopted", s->crl_adopted);
	json_uint(&w, "revoked_closed", s->revoked_closed);
	json_uint(&w, "drop_hs_limit", s->drop_hs_limit);
	json_uint(&w, "drop_cookie", s->drop_cookie);
	json_uint(&w, "hs_cookies", s->hs_cookies);
	json_uint(&w, "drop_probe_limit", s->drop_probe_limit);
	json_uint(&w, "drop_probe_target", s->drop_probe_target);
	json_uint(&w, "drop_punch_limit", s->drop_punch_limit);
	json_uint(&w, "drop_conn_origin", s->drop_conn_origin);
	json_uint(&w, "drop_conn_limit", s->drop_conn_limit);
	json_uint(&w, "drop_queue", s->drop_queue);
	json_uint(&w, "drop_esp_nat", s->drop_esp_nat);
	json_uint(&w, "xlat_out", s->xlat_out);
	json_uint(&w, "xlat_in", s->xlat_in);
	json_uint(&w, "queued", s->queued);
	json_uint(&w, "conn_requests", s->conn_requests);
	json_uint(&w, "proxies", topo_count(px->topo));
	json_uint(&w, "conflicts", px->n_conflicts);
	json_uint(&w, "lsa_verified", s->lsa_verified);
	json_uint(&w, "lsa_unchanged", s->lsa_unchanged);
	json_uint(&w, "lsa_unsigned", s->lsa_unsigned);
	json_uint(&w, "lsa_bad_cert", s->lsa_bad_cert);
	json_uint(&w, "lsa_forged", s->lsa_forged);
	json_uint(&w, "lsa_rate", s->lsa_rate);
	json_uint(&w, "lsa_full", s->lsa_full);
	json_uint(&w, "lsa_refused_prefixes", s->lsa_refused_prefixes);
	json_uint(&w, "lsa_queue", s->lsa_queue);
	json_uint(&w, "lsa_queue_peak", s->lsa_queue_peak);
	json_uint(&w, "lsa_queue_dropped", s->lsa_queue_dropped);
	json_uint(&w, "lsa_queue_replaced", s->lsa_queue_replaced);
	json_uint(&w, "auth_refused", s->auth_refused);
	json_uint(&w, "clones_detected", s->clones_detected);
	json_uint(&w, "clone_refused", s->clone_refused);
	json_uint(&w, "rekeys", s->rekeys);
	json_uint(&w, "rekey_failed", s->rekey_failed);
	json_uint(&w, "expired_closed", s->expired_closed);
	{
		/* our certificate's end: seconds left, and a warning near it */
		time_t t = time(NULL);
		char warn[160];

		if (px->cert_not_after == 0) {
			json_null(&w, "cert_expires_s");
			json_null(&w, "cert_warning");
		} else {
			json_int(&w, "cert_expires_s",
			    (int64_t)px->cert_not_after - (int64_t)t);
			if (px->cert_not_after <= t)
				snprintf(warn, sizeof(warn), "the certificate "
				    "has expired: no neighbour accepts it; "
				    "issue a new one and reload");
			else if (px->cert_not_after - t <
			    (time_t)TLS_EXPIRY_WARN_DAYS * 86400)
				snprintf(warn, sizeof(warn), "the certificate "
				    "expires in %lld day(s): renew it and "
				    "reload", (long long)((px->cert_not_after -
				    t) / 86400));
			else
				warn[0] = '\0';
			str_or_null(&w, "cert_warning", warn);
		}
	}
	json_uint(&w, "tcp_accepted", s->tcp_accepted);
	json_uint(&w, "tcp_hs_limit", s->tcp_hs_limit);
	json_uint(&w, "tcp_hs_timeout", s->tcp_hs_timeout);
	json_uint(&w, "tcp_malformed", s->tcp_malformed);
	json_uint(&w, "tcp_truncated", s->tcp_truncated);
	json_uint(&w, "drop_tcp_queue", s->drop_tcp_queue);
	json_uint(&w, "udp_fallbacks", s->udp_fallbacks);
	json_uint(&w, "link_moves", s->link_moves);
	json_uint(&w, "family_upgrades", s->family_upgrades);
	json_uint(&w, "family_upgrade_tries", s->family_upgrade_tries);
	json_uint(&w, "family_upgrade_failed", s->family_upgrade_failed);
	json_bool(&w, "udp_blocked", link_udp_blocked(px));
	str_or_null(&w, "tun", px->tun != NULL ? tun_name(px->tun) : NULL);
	json_uint(&w, "ctl_clients", (uint64_t)ctl->n_clients);
	json_uint(&w, "ctl_queued", queued);
	json_uint(&w, "ctl_refused", ctl->n_refused);
	json_uint(&w, "ctl_idle_closed", ctl->n_idle);
	json_uint(&w, "ctl_unread_dropped", ctl->n_unread);
	{
		/* the loop's health over the last window (lib/looplag.h) */
		struct looplag_summary ls;

		looplag_summary(&px->lag, now_us(), LOOPLAG_WINDOW_US, &ls);
		json_uint(&w, "loop_window_s", LOOPLAG_WINDOW_US / 1000000);
		json_dbl(&w, "loop_lag_p50_ms", (double)ls.lag_p50 / 1000);
		json_dbl(&w, "loop_lag_p99_ms", (double)ls.lag_p99 / 1000);
		json_dbl(&w, "loop_lag_max_ms", (double)ls.lag_max / 1000);
		if (ls.runq_known) {
			json_dbl(&w, "loop_lag_max_runq_ms",
			    (double)ls.lag_max_runq / 1000);
			json_dbl(&w, "loop_runq_ms", (double)ls.runq / 1000);
		} else {
			json_null(&w, "loop_lag_max_runq_ms");
			json_null(&w, "loop_runq_ms");
		}
		json_dbl(&w, "loop_work_max_ms", (double)ls.work_max / 1000);
		json_dbl(&w, "loop_work_max_cpu_ms", (double)ls.work_max_cpu /
		    1000);
		str_or_null(&w, "loop_work_max", ls.work_max > 0 ?
		    looplag_work_name(ls.work_max_what) : NULL);
		json_dbl(&w, "loop_work_cpu_max_ms", (double)ls.work_cpu_max /
		    1000);
		str_or_null(&w, "loop_work_cpu_max", ls.work_cpu_max > 0 ?
		    looplag_work_name(ls.work_cpu_max_what) : NULL);
	}
	row_out(c, &w, rows);
}

/*
 * A second live proxy with the link's name (link.h, struct link_clone):
 * its address ("" if none was ever seen), seconds since the detection,
 * whether the other is still refused, how often it was.
 */
static void
clone_fields(struct json_w *w, const struct link *l, uint64_t now)
{
	const struct link_clone *k = link_clone_of(l->px, l->name);
	const struct ep *o = NULL;
	char addr[EP_STRLEN] = "";

	if (k != NULL)
		o = ep_eq(&l->peer, &k->other) ? &k->kept : &k->other;
	if (o != NULL && ep_is_set(o))
		ep_fmt(o, addr, sizeof(addr));
	str_or_null(w, "clone", addr);
	secs_or_null(w, "clone_s", k != NULL ? secs_since(k->detected_us, now) :
	    -1);
	json_bool(w, "clone_held", k != NULL && now < k->hold_until_us);
	json_uint(w, "clone_refused", k != NULL ? k->refused : 0);
}

static void
cmd_neighbours(struct client *c, unsigned *rows)
{
	struct proxyd *px = c->ctl->px;
	uint64_t now = now_us();

	for (struct link *l = px->links; l != NULL; l = l->next) {
		struct json_w w;
		char addr[EP_STRLEN];

		if (l->name[0] == '\0' || l->moving)
			continue;	/* inbound handshake, name unknown; */
					/* a UDP try beside a TCP link */
		ep_fmt(&l->peer, addr, sizeof(addr));
		json_begin(&w, rowbuf, sizeof(rowbuf));
		json_str(&w, "name", l->name);
		str_or_null(&w, "addr", l->resolved ? addr : NULL);
		json_str(&w, "state", link_state_name(l));
		json_str(&w, "dir", l->initiator ? "out" : "in");
		json_str(&w, "transport", link_transport_name(l));
		json_uint(&w, "moves", l->moves);
		json_uint(&w, "upgrades", l->upgrades);
		if (l->rtt_ms >= 0)
			json_dbl(&w, "rtt_ms", l->rtt_ms);
		else
			json_null(&w, "rtt_ms");
		secs_or_null(&w, "last_rx_s", l->state == LINK_UP ?
		    secs_since(l->last_rx_us, now) : -1);
		json_int(&w, "ka_interval_s", l->ka_interval_s);
		json_int(&w, "dead_after_s", link_dead_after(l));
		secs_or_null(&w, "up_s", l->state == LINK_UP ?
		    secs_since(l->up_us, now) : -1);
		json_uint(&w, "reconnects", l->reconnects);
		json_uint(&w, "rekeys", l->rekeys);
		secs_or_null(&w, "key_age_s", l->state == LINK_UP ?
		    secs_since(l->key_us, now) : -1);
		if (l->state == LINK_UP && l->peer_not_after != 0)
			json_int(&w, "peer_cert_expires_s",
			    (int64_t)l->peer_not_after - (int64_t)time(NULL));
		else
			json_null(&w, "peer_cert_expires_s");
		json_uint(&w, "rx_packets", l->rx_packets);
		json_uint(&w, "tx_packets", l->tx_packets);
		if (l->state == LINK_UP && l->pmtu > 0 && link_datagrams(l))
			json_uint(&w, "pmtu", l->pmtu);
		else
			json_null(&w, "pmtu");
		str_or_null(&w, "last_error", l->last_error);
		clone_fields(&w, l, now);
		row_out(c, &w, rows);
	}
}

/* Our prefix addr/plen if it is an alias: its real prefix, else NULL. */
static const struct conf_prefix *
own_alias(const struct proxyd *px, struct in_addr addr, uint8_t plen)
{
	for (size_t i = 0; i < px->conf->n_prefixes; i++) {
		const struct conf_prefix *p = &px->conf->prefixes[i];

		if (p->has_alias && p->plen == plen &&
		    p->alias.s_addr == addr.s_addr)
			return p;
	}
	return NULL;
}

static const char *
prefix_text(struct in_addr a, uint8_t plen, char *buf, size_t len)
{
	char s[INET_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", inet_ntop(AF_INET, &a, s, sizeof(s)),
	    plen);
	return buf;
}

/* An advertised prefix of either family: "A.B.C.D/N" or RFC 5952. */
static const char *
lsa_prefix_text(const struct pkt_lsa_prefix *p, char *buf, size_t len)
{
	struct ipprefix q;

	if (p->v6)
		ipaddr_set6(&q.addr, &p->addr6);
	else
		ipaddr_set4(&q.addr, p->addr);
	q.plen = p->plen;
	return ipprefix_str(&q, buf, len);
}

/*
 * The IPv6 routes, after the IPv4 ones, with the same fields.  XXX no
 * kernel route is planned for them yet ("kernel": "none"); "conflict" is
 * route6_conflicts()'s flag.
 */
/*
 * The channel columns of a route row (path_nat ... direct), the same for
 * both families; hops 0 is an own prefix.  Returns the channel, if any.
 */
static const struct channel *
channel_fields(struct json_w *w, struct proxyd *px, const char *dest,
    uint8_t hops, uint8_t path_nat)
{
	const struct channel *ch = hops > 0 ? conn_channel(px, dest) : NULL;
	uint8_t pnat = ch != NULL && ch->answered ? ch->path_nat : path_nat;

	str_or_null(w, "path_nat", hops == 0 ? NULL :
	    nat_type_name((enum nat_type)pnat));
	str_or_null(w, "path_nat_from", hops == 0 ? NULL :
	    ch != NULL && ch->answered ? "request" : "topology");
	json_str(w, "channel", hops == 0 ? "local" : ch == NULL ?
	    "none" : ch->direct == DIRECT_UP ? "direct" :
	    ch->state == CH_REQUESTING ? "requesting" : "relay");
	secs_or_null(w, "channel_s", ch == NULL ? -1 :
	    ch->direct == DIRECT_UP || ch->direct == DIRECT_FAILED ?
	    secs_since(ch->direct_since_us, now_us()) :
	    secs_since(ch->since_us, now_us()));
	json_str(w, "direct", ch == NULL ? "none" :
	    direct_state_name(ch->direct));
	/* the packet the channel's connection request named */
	{
		char a[IPADDR_STRLEN];
		bool named = ch != NULL && ch->flow_src.af != 0 &&
		    ch->flow_dst.af != 0;

		str_or_null(w, "flow_src", named ? ipaddr_str(&ch->flow_src,
		    a, sizeof(a)) : NULL);
		str_or_null(w, "flow_dst", named ? ipaddr_str(&ch->flow_dst,
		    a, sizeof(a)) : NULL);
	}
	return ch;
}

/* A remote route's reason: the direct decision's, else the channel's. */
static const char *
channel_reason(const struct channel *ch)
{
	return ch == NULL ? "no traffic yet" : ch->direct_why[0] ?
	    ch->direct_why : ch->reason[0] ? ch->reason :
	    "connection request in flight";
}

static void
routes6_rows(struct client *c, unsigned *rows)
{
	struct proxyd *px = c->ctl->px;

	for (size_t i = 0; i < px->routes.n6; i++) {
		const struct route6 *r = &px->routes.v6[i];
		struct json_w w;
		char p[IPPREFIX_STRLEN], why[160];
		const struct channel *ch;
		const struct rtplan_foreign6 *by;

		json_begin(&w, rowbuf, sizeof(rowbuf));
		json_str(&w, "prefix", route6_prefix_str(r, p, sizeof(p)));
		json_str(&w, "dest", r->dest);
		json_str(&w, "next_hop", r->hops == 0 ? "local" : r->next_hop);
		json_uint(&w, "hops", r->hops);
		json_uint(&w, "cost", r->cost);
		ch = channel_fields(&w, px, r->dest, r->hops, r->path_nat);
		json_str(&w, "reason", r->hops == 0 ? "own prefix" :
		    channel_reason(ch));
		str_or_null(&w, "decision", ch != NULL ? ch->reason : NULL);
		json_bool(&w, "conflict", route6_conflicts(&px->routes, r));
		json_null(&w, "alias_of");
		by = r->hops == 0 ? NULL : kroute6_refused(px, &r->addr,
		    r->plen);
		json_str(&w, "kernel", r->hops == 0 ? "local" :
		    kroute6_installed(px, &r->addr, r->plen) ? "installed" :
		    by != NULL ? "refused" : "none");
		if (by != NULL)
			json_str(&w, "kernel_reason", kroute_why6(by, why,
			    sizeof(why)));
		else
			json_null(&w, "kernel_reason");
		row_out(c, &w, rows);
	}
}

static void
cmd_routes(struct client *c, unsigned *rows)
{
	struct proxyd *px = c->ctl->px;

	for (size_t i = 0; i < px->routes.n; i++) {
		const struct route *r = &px->routes.v[i];
		struct json_w w;
		char p[32], real[32], reason[64];
		const struct conf_prefix *al = r->hops == 0 ?
		    own_alias(px, r->addr, r->plen) : NULL;

		const struct channel *ch;

		json_begin(&w, rowbuf, sizeof(rowbuf));
		json_str(&w, "prefix", route_prefix_str(r, p, sizeof(p)));
		json_str(&w, "dest", r->dest);
		json_str(&w, "next_hop", r->hops == 0 ? "local" : r->next_hop);
		json_uint(&w, "hops", r->hops);
		json_uint(&w, "cost", r->cost);
		ch = channel_fields(&w, px, r->dest, r->hops, r->path_nat);
		if (al != NULL)
			snprintf(reason, sizeof(reason), "own prefix, alias of "
			    "%s", prefix_text(al->addr, al->plen, real,
			    sizeof(real)));
		json_str(&w, "reason", al != NULL ? reason :
		    r->hops == 0 ? "own prefix" :
		    channel_reason(ch));
		str_or_null(&w, "decision", ch != NULL ? ch->reason : NULL);
		json_bool(&w, "conflict", route_conflicts(&px->routes, r));
		if (al != NULL)		/* the LAN's real prefix behind it */
			json_str(&w, "alias_of", real);
		else
			json_null(&w, "alias_of");
		{
			const struct rtplan_verdict *v = r->hops == 0 ? NULL :
			    kroute_verdict(px, r->addr, r->plen);
			char why[160];

			json_str(&w, "kernel", r->hops == 0 ? "local" :
			    v == NULL ? "none" : v->refused ? "refused" :
			    "installed");
			if (v != NULL && v->refused)
				json_str(&w, "kernel_reason", kroute_why(v,
				    why, sizeof(why)));
			else
				json_null(&w, "kernel_reason");
		}
		row_out(c, &w, rows);
	}
	routes6_rows(c, rows);
}

static void
cmd_flows(struct client *c, unsigned *rows)
{
	struct proxyd *px = c->ctl->px;
	const struct flow *f;
	uint64_t now = now_us();

	for (size_t i = 0; (f = flow_at(px->flows, i)) != NULL; i++) {
		struct json_w w;
		char s[IPADDR_STRLEN], d[IPADDR_STRLEN];
		char src[IPADDR_STRLEN + 8], dst[IPADDR_STRLEN + 8];
		char spi[16] = "";
		struct ipaddr as, ad;

		if (f->key.v6) {
			ipaddr_set6(&as, &f->key.src6);
			ipaddr_set6(&ad, &f->key.dst6);
		} else {
			ipaddr_set4(&as, f->key.src);
			ipaddr_set4(&ad, f->key.dst);
		}
		ipaddr_str(&as, s, sizeof(s));
		ipaddr_str(&ad, d, sizeof(d));
		/* RFC 5952 section 6: an IPv6 address with a port in [] */
		if ((f->key.sport || f->key.dport) && f->key.v6) {
			snprintf(src, sizeof(src), "[%s]:%u", s, f->key.sport);
			snprintf(dst, sizeof(dst), "[%s]:%u", d, f->key.dport);
		} else if (f->key.sport || f->key.dport) {
			snprintf(src, sizeof(src), "%s:%u", s, f->key.sport);
			snprintf(dst, sizeof(dst), "%s:%u", d, f->key.dport);
		} else {
			snprintf(src, sizeof(src), "%s", s);
			snprintf(dst, sizeof(dst), "%s", d);
		}
		if (f->key.spi != 0)
			snprintf(spi, sizeof(spi), "0x%08x", f->key.spi);
		json_begin(&w, rowbuf, sizeof(rowbuf));
		json_str(&w, "proto", ipv4_class_name(f->key.cls));
		json_str(&w, "src", src);
		json_str(&w, "dst", dst);
		str_or_null(&w, "spi", spi);
		json_uint(&w, "packets", f->packets);
		json_uint(&w, "bytes", f->bytes);
		secs_or_null(&w, "last_seen_s", secs_since(f->last_us, now));
		/* src or dst is the alias of a LAN host: its real address */
		if (f->xlat != IPV4_XLAT_NONE) {
			json_str(&w, "translated", f->xlat == IPV4_XLAT_SRC ?
			    "src" : "dst");
			json_str(&w, "real", inet_ntop(AF_INET, &f->real, s,
			    sizeof(s)));
		} else {
			json_null(&w, "translated");
			json_null(&w, "real");
		}
		json_uint(&w, "nat_refused", f->nat_refused);
		row_out(c, &w, rows);
	}
}

static void
cmd_nat(struct client *c, unsigned *rows)
{
	struct proxyd *px = c->ctl->px;
	time_t now = time(NULL);

	for (struct link *l = px->links; l != NULL; l = l->next) {
		const struct nat_view *nat = probe_view(l);
		const struct nat_remote *remote = probe_remote(l);
		const struct nat_result *r;
		const struct pkt_nat_result *rr;
		struct json_w w;
		static char trials[1024], assumed[1024], rassumed[1024];
		char mapped[EP_STRLEN], one[128];
		struct json_w tw;

		if (l->state != LINK_UP || nat == NULL || remote == NULL)
			continue;
		r = &nat->res;
		rr = &remote->r;
		/* [{"trial": name, "outcome": name}, ...]; [] before a run */
		json_begin_array(&tw, trials, sizeof(trials));
		for (int t = 0; t < PROBE_TRIALS && nat->valid; t++) {
			struct json_w ow;

			json_begin(&ow, one, sizeof(one));
			json_str(&ow, "trial", probe_trial_name(t));
			json_str(&ow, "outcome", nat_outcome_name(nat->trials[t]));
			json_end(&ow);
			json_elem(&tw, one);
		}
		ep_fmt(&nat->mapped.ep, mapped, sizeof(mapped));
		json_begin(&w, rowbuf, sizeof(rowbuf));
		json_str(&w, "name", l->name);
		json_str(&w, "type", nat->valid ? nat_type_name(r->type) :
		    probe_running(l) ? "probing" : "unknown");
		json_str(&w, "mapping", nat_behaviour_name(r->mapping));
		json_str(&w, "filtering", nat_behaviour_name(r->filtering));
		if (r->port_preserved_known)
			json_bool(&w, "port_preserved", r->port_preserved);
		else
			json_null(&w, "port_preserved");
		str_or_null(&w, "mapped", nat->mapped.valid ? mapped : NULL);
		if (r->lifetime_s > 0)
			json_uint(&w, "lifetime_s", r->lifetime_s);
		else
			json_null(&w, "lifetime_s");
		json_str(&w, "lifetime", nat->lifetime_running ? "measuring" :
		    r->lifetime_s == 0 ? "unknown" :
		    nat->lifetime_lower_bound ? "lower-bound" : "measured");
		json_int(&w, "ka_interval_s", l->ka_interval_s);
		secs_or_null(&w, "measured_s", nat->valid &&
		    now >= nat->measured_at ? (double)(now - nat->measured_at) :
		    -1);
		if (json_end_array(&tw) < 0)
			json_null(&w, "trials");
		else
			json_raw(&w, "trials", trials);
		list_out(&w, "assumed", r->assumed, "; ", assumed,
		    sizeof(assumed));
		str_or_null(&w, "remote_type", remote->valid ?
		    nat_type_name(rr->type) : NULL);
		str_or_null(&w, "remote_mapping", remote->valid ?
		    nat_behaviour_name(rr->mapping) : NULL);
		str_or_null(&w, "remote_filtering", remote->valid ?
		    nat_behaviour_name(rr->filtering) : NULL);
		if (remote->valid && rr->lifetime_s > 0)
			json_uint(&w, "remote_lifetime_s", rr->lifetime_s);
		else
			json_null(&w, "remote_lifetime_s");
		list_out(&w, "remote_assumed", remote->valid ? rr->assumed :
		    NULL, "; ", rassumed, sizeof(rassumed));
		row_out(c, &w, rows);
	}
}

/*
 * The first string of a JSON array of strings, if it is made of name
 * characters (a proxy name, or an IPv4 address).
 */
static bool
first_arg(const struct json_doc *d, char *buf, size_t len)
{
	const struct json_kv *kv = json_get(d, "args");
	const char *p, *q;

	if (kv == NULL || kv->type != JSON_RAW || kv->val[0] != '[' ||
	    (p = strchr(kv->val, '"')) == NULL ||
	    (q = strchr(p + 1, '"')) == NULL || (size_t)(q - p - 1) >= len ||
	    q == p + 1)
		return false;
	for (const char *x = p + 1; x < q; x++)
		if (!(isalnum((unsigned char)*x) || *x == '.' || *x == '_' ||
		    *x == '-'))
			return false;
	memcpy(buf, p + 1, (size_t)(q - p - 1));
	buf[q - p - 1] = '\0';
	return true;
}

static void
cmd_probe(struct client *c, unsigned *rows)
{
	struct proxyd *px = c->ctl->px;
	char name[PKT_NAME_MAX + 1], msg[128];
	struct link *l;
	struct json_w w;

	if (!first_arg(&req, name, sizeof(name))) {
		reply_error(c, "usage", "usage: probe NEIGHBOUR");
		*rows = UINT_MAX;
		return;
	}
	if ((l = link_find(px, name)) == NULL) {
		snprintf(msg, sizeof(msg), "no up link to neighbour '%s'",
		    name);
		reply_error(c, "no_such_neighbour", msg);
		*rows = UINT_MAX;
		return;
	}
	probe_start(l, 0);
	log_info("control: NAT trials toward '%s' restarted", name);
	json_begin(&w, rowbuf, sizeof(rowbuf));
	json_str(&w, "name", name);
	json_str(&w, "probe", "started");
	json_str(&w, "msg", "trials take a few seconds, the binding lifetime "
	    "longer: see 'proxyctl nat'");
	row_out(c, &w, rows);
}

static void	ping_done(void *, int64_t, const struct ping_result *);

static void
cmd_ping(struct client *c, unsigned *rows)
{
	char name[PKT_NAME_MAX + 1], msg[200];

	if (!first_arg(&req, name, sizeof(name))) {
		reply_error(c, "usage", "usage: ping PROXY");
		*rows = UINT_MAX;
		return;
	}
	if (ping_start(c->ctl->px, name, ping_done, c, c->id, msg,
	    sizeof(msg)) == -1) {
		reply_error(c, "no_route", msg);
		*rows = UINT_MAX;
		return;
	}
	c->pings++;
	*rows = ROWS_PENDING;
}

/* A ping's outcome: its row and end line, or an error line. */
static void
ping_done(void *client, int64_t ctl_id, const struct ping_result *r)
{
	struct client *c = client;
	struct evbuffer *out = bufferevent_get_output(c->bev);
	int64_t id = c->id;
	unsigned rows = 0;
	struct json_w w;
	char msg[200];
	static char pathbuf[2 * PKT_PATH_MAX * (PKT_NAME_MAX + 4) + 4];

	c->id = ctl_id;
	c->pings--;
	c->active_us = now_us();	/* idle from now, if nothing else */
	if (!r->answered) {
		snprintf(msg, sizeof(msg), "no answer from '%s' within %d ms "
		    "(request sent via '%s')", r->dest, PING_TIMEOUT_MS,
		    r->via);
		reply_error(c, "timeout", msg);
	} else {
		json_begin(&w, rowbuf, sizeof(rowbuf));
		json_str(&w, "name", r->dest);
		json_dbl(&w, "rtt_ms", r->rtt_ms);
		json_uint(&w, "hops_there", r->hops_there);
		json_uint(&w, "hops_back", r->hops_back);
		json_str(&w, "via", r->via);
		list_out(&w, "path", r->path, " > ", pathbuf, sizeof(pathbuf));
		row_out(c, &w, &rows);
		evbuffer_add_printf(out, "{\"id\":%lld,\"end\":true,"
		    "\"rows\":%u}\n", (long long)ctl_id, rows);
	}
	c->id = id;
}

/*
 * "aliases": on our own row, each advertised prefix that is an alias with
 * the real prefix behind it ([{"alias": ..., "real": ...}]); others
 * advertise theirs as plain prefixes (their real ones are theirs alone),
 * so their rows have null.
 */
static void
topology_aliases(const struct proxyd *px, const struct pkt_lsa *a,
    struct json_w *w)
{
	static char arr[PKT_LSA_PREFIX_MAX * 64];
	char one[64], pa[32], pr[32];
	struct json_w aw, ow;
	int n = 0;

	if (strcmp(a->origin, px->conf->name) != 0) {
		json_null(w, "aliases");
		return;
	}
	json_begin_array(&aw, arr, sizeof(arr));
	for (int k = 0; k < a->n_prefixes; k++) {
		const struct conf_prefix *p = a->prefixes[k].v6 ? NULL :
		    own_alias(px, a->prefixes[k].addr, a->prefixes[k].plen);

		if (p == NULL)
			continue;
		json_begin(&ow, one, sizeof(one));
		json_str(&ow, "alias", prefix_text(p->alias, p->plen, pa,
		    sizeof(pa)));
		json_str(&ow, "real", prefix_text(p->addr, p->plen, pr,
		    sizeof(pr)));
		json_end(&ow);
		json_elem(&aw, one);
		n++;
	}
	if (n == 0 || json_end_array(&aw) < 0)
		json_null(w, "aliases");
	else
		json_raw(w, "aliases", arr);
}

static void
cmd_topology(struct client *c, unsigned *rows)
{
	struct proxyd *px = c->ctl->px;
	const struct pkt_lsa *a;
	uint16_t age;

	for (size_t i = 0; (a = topo_at(px->topo, i, now_us(), &age)) != NULL;
	    i++) {
		/* a link object is at most ~130 bytes (names need no escapes) */
		static char pfx[PKT_LSA_PREFIX_MAX * 50], lnk[PKT_LSA_LINK_MAX *
		    256], pfxa[PKT_LSA_PREFIX_MAX * 54 + 4],
		    ref[PKT_LSA_PREFIX_MAX * 110];
		char ep[EP_STRLEN], one[256];
		char eps[PKT_LSA_EP_MAX * (EP_STRLEN + 3) + 3];
		char ps[IPPREFIX_STRLEN];
		struct json_w w, lw, ew;
		size_t off = 0, roff = 0;

		pfx[0] = '\0';
		ref[0] = '\0';
		for (int k = 0; k < a->n_prefixes; k++) {
			enum topo_refusal why = topo_prefix_refused(px->topo,
			    i, (uint16_t)k);

			lsa_prefix_text(&a->prefixes[k], ps, sizeof(ps));
			off += (size_t)snprintf(pfx + off, sizeof(pfx) - off,
			    "%s%s", k ? " " : "", ps);
			if (why != TOPO_REFUSED_NO && roff < sizeof(ref))
				roff += (size_t)snprintf(ref + roff,
				    sizeof(ref) - roff, "%s%s: %s",
				    roff ? "; " : "", ps,
				    topo_refusal_str(why));
		}
		json_begin_array(&lw, lnk, sizeof(lnk));
		for (int k = 0; k < a->n_links; k++) {
			struct json_w ow;

			json_begin(&ow, one, sizeof(one));
			json_str(&ow, "peer", a->links[k].peer);
			json_str(&ow, "nat", nat_type_name(a->links[k].nat));
			json_uint(&ow, "cost", a->links[k].cost);
			json_end(&ow);
			json_elem(&lw, one);	/* fails the array if ow did */
		}
		json_begin_array(&ew, eps, sizeof(eps));
		for (int k = 0; k < a->n_eps && k < PKT_LSA_EP_MAX; k++)
			json_elem_str(&ew, ep_fmt(&a->eps[k], ep, sizeof(ep)));
		if (a->n_eps > 0)
			ep_fmt(&a->eps[0], ep, sizeof(ep));
		json_begin(&w, rowbuf, sizeof(rowbuf));
		json_str(&w, "origin", a->origin);
		json_uint(&w, "seq", a->seq);
		json_uint(&w, "age_s", age);
		str_or_null(&w, "endpoint", a->n_eps > 0 ? ep : NULL);
		if (json_end_array(&ew) < 0)
			json_null(&w, "endpoints");
		else
			json_raw(&w, "endpoints", eps);
		list_out(&w, "prefixes", pfx, " ", pfxa, sizeof(pfxa));
		str_or_null(&w, "refused", ref[0] != '\0' ? ref : NULL);
		if (json_end_array(&lw) < 0)
			json_null(&w, "links");
		else
			json_raw(&w, "links", lnk);
		json_bool(&w, "reachable", strcmp(a->origin,
		    px->conf->name) == 0 || topology_path(px, a->origin) !=
		    NULL);
		topology_aliases(px, a, &w);
		row_out(c, &w, rows);
	}
}

static void
explain_line(struct client *c, unsigned *rows, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
explain_line(struct client *c, unsigned *rows, const char *fmt, ...)
{
	char text[1024];
	struct json_w w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	json_begin(&w, rowbuf, sizeof(rowbuf));
	json_uint(&w, "step", *rows + 1);
	json_str(&w, "text", text);
	row_out(c, &w, rows);
}

static const char *
own_nat_text(const struct proxyd *px, const char *peer, char *buf, size_t len)
{
	for (struct link *l = px->links; l != NULL; l = l->next) {
		const struct nat_view *v = probe_view(l);

		if (l->state == LINK_UP && strcmp(l->name, peer) == 0 &&
		    v != NULL && v->valid) {
			snprintf(buf, len, "%s (mapping %s, filtering %s%s%s)",
			    nat_type_name(v->res.type),
			    nat_behaviour_name(v->res.mapping),
			    nat_behaviour_name(v->res.filtering),
			    v->res.assumed[0] ? "; " : "", v->res.assumed);
			return buf;
		}
	}
	return NULL;
}

/*
 * An address of ours behind an alias, in either form; and the translated
 * flows toward an address of another site (at most a few lines).
 */
static void
explain_alias(struct client *c, unsigned *rows, struct in_addr ip)
{
	struct proxyd *px = c->ctl->px;
	char s[INET_ADDRSTRLEN], t[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	struct in_addr other = ip;
	const struct flow *f;
	unsigned n = 0;

	inet_ntop(AF_INET, &ip, s, sizeof(s));
	if (netmap_map(&px->netmap, &other, true)) {
		explain_line(c, rows, "%s is the alias of %s on this site's "
		    "LAN: the proxy translates between them (1:1, stateless)",
		    s, inet_ntop(AF_INET, &other, t, sizeof(t)));
		return;
	}
	for (size_t i = 0; (f = flow_at(px->flows, i)) != NULL && n < 8;
	    i++) {
		if (f->xlat != IPV4_XLAT_SRC || f->key.dst.s_addr != ip.s_addr)
			continue;
		explain_line(c, rows, "%s flow %s -> %s: from %s on this "
		    "site's LAN, translated to its alias %s%s",
		    ipv4_class_name(f->key.cls),
		    inet_ntop(AF_INET, &f->key.src, t, sizeof(t)), s,
		    inet_ntop(AF_INET, &f->real, d, sizeof(d)), t,
		    f->nat_refused > 0 ? "; raw ESP refused (it cannot "
		    "cross a NAT: use UDP encapsulation)" : "");
		n++;
	}
}

/*
 * explain SITE: the whole channel decision for one destination, in words.
 * SITE is a proxy name or an address inside a site's prefix.
 */
static void
cmd_explain(struct client *c, unsigned *rows)
{
	struct proxyd *px = c->ctl->px;
	char dest[PKT_NAME_MAX + 1], arg[64], buf[256], p[32];
	const struct topo_path *tp;
	const struct channel *ch;
	const struct pkt_lsa *a;
	struct in_addr ip;

	if (!first_arg(&req, arg, sizeof(arg))) {
		reply_error(c, "usage", "usage: explain PROXY|ADDRESS");
		*rows = UINT_MAX;
		return;
	}
	if (inet_pton(AF_INET, arg, &ip) == 1) {
		const struct route *r = route_lookup(&px->routes, ip);

		if (r == NULL) {
			reply_error(c, "no_route", "no site claims that address");
			*rows = UINT_MAX;
			return;
		}
		snprintf(dest, sizeof(dest), "%s", r->dest);
		explain_line(c, rows, "%s is in %s, a prefix of proxy '%s'",
		    arg, route_prefix_str(r, p, sizeof(p)), dest);
		explain_alias(c, rows, ip);
	} else
		snprintf(dest, sizeof(dest), "%s", arg);
	if (strcmp(dest, px->conf->name) == 0) {
		explain_line(c, rows, "'%s' is this proxy: its site's traffic "
		    "is delivered locally, no channel is needed", dest);
		return;
	}
	if ((a = topo_get(px->topo, dest)) == NULL) {
		snprintf(buf, sizeof(buf), "no proxy '%s' in the topology",
		    dest);
		reply_error(c, "no_such_proxy", buf);
		*rows = UINT_MAX;
		return;
	}
	tp = topology_path(px, dest);
	if (tp == NULL) {
		explain_line(c, rows, "'%s' is known (advertisement age %u s) "
		    "but unreachable: no two-way path in the topology", dest,
		    a->age_s);
		return;
	}
	ch = conn_channel(px, dest);
	explain_line(c, rows, "relay path: %u hop(s), cost %u, first hop '%s' "
	    "(shortest path over the links both ends advertise)", tp->hops,
	    tp->cost, tp->next_hop);
	{
		struct link *nh = link_find(px, tp->next_hop);

		if (nh != NULL)
			explain_line(c, rows, "the link to '%s' runs over %s%s",
			    tp->next_hop, link_transport_name(nh),
			    link_datagrams(nh) ? "" : " (TCP: it costs more, "
			    "so routes prefer UDP links where they exist)");
	}
	if (link_udp_blocked(px))
		explain_line(c, rows, "UDP is blocked at this proxy: its links "
		    "run over TCP after UDP handshakes failed, so no direct "
		    "channel is tried (punches would be lost)");
	if (ch != NULL && ch->n_path > 1) {
		char path[PKT_PATH_MAX * 66] = "";
		size_t off = 0;

		for (int i = 0; i < ch->n_path; i++)
			off += (size_t)snprintf(path + off, sizeof(path) - off,
			    "%s%s", i ? " -> " : "", ch->path[i]);
		explain_line(c, rows, "the connection request travelled %s",
		    path);
		for (int i = 0; i + 1 < ch->n_path; i++) {
			const char *x = ch->path[i], *y = ch->path[i + 1];
			/* "unknown" also when no such link is advertised */
			const char *xy = nat_type_name(
			    topo_advertised_nat(px->topo, x, y));
			const char *yx = nat_type_name(
			    topo_advertised_nat(px->topo, y, x));
			char mine[200];

			explain_line(c, rows, "link %s -- %s: %s's NAT toward %s "
			    "is %s; %s's NAT toward %s is %s", x, y, x, y,
			    strcmp(x, px->conf->name) == 0 &&
			    own_nat_text(px, y, mine, sizeof(mine)) != NULL ?
			    mine : xy, y, x,
			    strcmp(y, px->conf->name) == 0 &&
			    own_nat_text(px, x, mine, sizeof(mine)) != NULL ?
			    mine : yx);
		}
	} else
		explain_line(c, rows, "no connection request yet (no traffic "
		    "toward '%s'): the topology says the path NAT type is %s",
		    dest, nat_type_name((enum nat_type)tp->path_nat));
	if (ch == NULL)
		return;
	if (ch->answered) {
		explain_line(c, rows, "combined path NAT type: %s (highest "
		    "adaptation: each hop folded in its link, the most "
		    "restrictive wins)", nat_type_name((enum nat_type)
		    ch->path_nat));
		explain_line(c, rows, "own NATs toward the internet: %s is "
		    "%s, %s is %s", ch->origin ? px->conf->name : dest,
		    nat_type_name((enum nat_type)ch->src_nat),
		    ch->origin ? dest : px->conf->name,
		    nat_type_name((enum nat_type)ch->dst_nat));
		explain_line(c, rows, "decision of '%s': %s",
		    ch->origin ? dest : px->conf->name, ch->reason);
	} else
		explain_line(c, rows, "connection request in flight: first "
		    "packets wait (%d queued)", ch->q_len);
	if (ch->direct_tries == 0 && ch->direct == DIRECT_NONE) {
		explain_line(c, rows, "no punching attempted: the channel "
		    "stays relayed through '%s'", tp->next_hop);
		return;
	}
	explain_line(c, rows, "punching: %u attempt(s), %u failure(s); "
	    "punches sent %u, received %u", ch->direct_tries,
	    ch->direct_fails, ch->punch_tx, ch->punch_rx);
	explain_line(c, rows, "direct channel: %s: %s",
	    direct_state_name(ch->direct), ch->direct_why);
	explain_line(c, rows, "traffic now goes %s",
	    ch->direct == DIRECT_UP ? "directly, over the hole-punched link "
	    "(the relay stays as fallback)" : "by relay, hop by hop");
}

/* Errors a refused reload's answer carries; the rest are in the log. */
#define RELOAD_ERRS_MAX	16

/*
 * reload: the configuration file read again and applied, all or nothing
 * (reload.c).  Applied: one row per line of what was done (warnings
 * first), text in "text".  Refused: an error "reload_refused" whose msg
 * has every error on a line of its own and whose "errors" array has them
 * one by one (at most RELOAD_ERRS_MAX, then a line saying how many more).
 */
static void
cmd_reload(struct client *c, unsigned *rows)
{
	struct proxyd *px = c->ctl->px;
	struct reload_result r;
	static char arr[8192], msg[8192], one[1100];
	struct json_w w, a;
	size_t off, n;

	log_info("control: reload asked by %s", client_who(c));
	if (reload_run(px, &r) == 0) {
		json_begin(&w, rowbuf, sizeof(rowbuf));
		snprintf(msg, sizeof(msg), "configuration '%s' reloaded: %zu "
		    "change(s)", px->conf_path, r.n_changed);
		json_str(&w, "text", msg);
		row_out(c, &w, rows);
		for (size_t i = 0; i < r.lines.n; i++) {
			json_begin(&w, rowbuf, sizeof(rowbuf));
			json_str(&w, "text", r.lines.msgs[i]);
			row_out(c, &w, rows);
		}
		reload_result_release(&r);
		return;
	}
	n = r.lines.n < RELOAD_ERRS_MAX ? r.lines.n : RELOAD_ERRS_MAX;
	off = (size_t)snprintf(msg, sizeof(msg), "reload of '%s' refused, the "
	    "running configuration stays:", px->conf_path);
	json_begin_array(&a, arr, sizeof(arr));
	for (size_t i = 0; i <= n && i < r.lines.n + 1; i++) {
		const char *t = i < n ? r.lines.msgs[i] : NULL;
		char more[64];
		struct json_w e;

		if (t == NULL) {
			if (r.lines.n <= n)
				break;
			snprintf(more, sizeof(more), "... and %zu more",
			    r.lines.n - n);
			t = more;
		}
		if (off < sizeof(msg))
			off += (size_t)snprintf(msg + off, sizeof(msg) - off,
			    "\n%s", t);
		/* an element is a JSON string: write it as one */
		json_begin(&e, one, sizeof(one));
		json_str(&e, "t", t);
		if (json_end(&e) > 0) {
			char *v = strchr(one, ':');	/* {"t":"..."} */

			one[strlen(one) - 1] = '\0';
			json_elem(&a, v + 1);
		}
	}
	json_begin(&w, rowbuf, sizeof(rowbuf));
	json_int(&w, "id", c->id);
	json_bool(&w, "ok", false);
	json_str(&w, "error", "reload_refused");
	json_str(&w, "msg", msg);
	if (json_end_array(&a) > 0)
		json_raw(&w, "errors", arr);
	if (json_end(&w) > 0)
		evbuffer_add_printf(bufferevent_get_output(c->bev), "%s\n",
		    rowbuf);
	else
		reply_error(c, "reload_refused", "reload refused: see the log");
	reload_result_release(&r);
	*rows = UINT_MAX;
}

static const struct {
	const char	*name;
	void		(*fn)(struct client *, unsigned *);
} cmds[] = {
	{ "explain",	cmd_explain },
	{ "topology",	cmd_topology },
	{ "nat",	cmd_nat },
	{ "probe",	cmd_probe },
	{ "status",	cmd_status },
	{ "neighbours",	cmd_neighbours },
	{ "neighbors",	cmd_neighbours },
	{ "routes",	cmd_routes },
	{ "flows",	cmd_flows },
	{ "ping",	cmd_ping },
	{ "reload",	cmd_reload },
};

static void
handle(struct client *c, const char *line, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const char *why, *cmd;
	int64_t id = 0;
	char msg[128];
	unsigned rows = 0;

	c->id = 0;
	if (json_parse(line, len, &req, &why) == -1) {
		snprintf(msg, sizeof(msg), "bad request: %s", why);
		reply_error(c, "bad_request", msg);
		return;
	}
	if (json_get(&req, "id") != NULL && json_get_int(&req, "id", &id) == 0)
		c->id = id;
	if ((cmd = json_get_str(&req, "cmd")) == NULL) {
		reply_error(c, "bad_request", "no 'cmd' string");
		return;
	}
	if (strcmp(cmd, "hello") == 0) {
		const struct json_kv *v = json_get(&req, "v");

		if (v == NULL || v->type != JSON_RAW || v->val[0] != '[' ||
		    atoi(v->val + 1) != CTL_PROTO_MAJOR) {
			reply_error(c, "version", "control protocol major "
			    "version " CTL_PROTO_MAJOR_STR " required");
			client_close_after_write(c);
			return;
		}
		c->hello = true;
		evbuffer_add_printf(out, "{\"id\":%lld,\"ok\":true,\"v\":[%d,%d],"
		    "\"version\":\"%d.%d\",\"server\":\"proxyd "
		    PROXYD_VERSION "\"}\n", (long long)c->id, CTL_PROTO_MAJOR,
		    CTL_PROTO_MINOR, CTL_PROTO_MAJOR, CTL_PROTO_MINOR);
		return;
	}
	if (!c->hello) {
		reply_error(c, "hello_first", "say hello first");
		return;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(cmd, cmds[i].name) == 0) {
			struct proxyd_t0 t0 = proxyd_work_begin();

			cmds[i].fn(c, &rows);
			proxyd_work(c->ctl->px, LOOPLAG_CONTROL, t0);
			if (rows == UINT_MAX || rows == ROWS_PENDING)
				return;		/* replied an error, or later */
			evbuffer_add_printf(out,
			    "{\"id\":%lld,\"end\":true,\"rows\":%u}\n",
			    (long long)c->id, rows);
			return;
		}
	snprintf(msg, sizeof(msg), "unknown command '%.60s'", cmd);
	reply_error(c, "unknown_command", msg);
}

/*
 * Handles the complete request lines in c's input, in order, until its
 * output is over the high-water mark: then the rest wait, read from
 * neither the buffer nor the socket, until client_write_cb() sees the
 * output down to the low-water mark (bgpd's XON/XOFF).
 */
static void
client_lines(struct client *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_ptr eol;
	size_t len;
	char *line;

	while (!c->closing && !c->held) {
		eol = evbuffer_search_eol(in, NULL, &len, EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			if (evbuffer_get_length(in) > JSON_LINE_MAX) {
				reply_error(c, "too_long", "request line "
				    "longer than 65536 bytes");
				client_close_after_write(c);
			}
			return;
		}
		if ((size_t)eol.pos > JSON_LINE_MAX) {
			reply_error(c, "too_long", "request line longer than "
			    "65536 bytes");
			client_close_after_write(c);
			return;
		}
		if ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) == NULL)
			return;
		c->active_us = now_us();
		handle(c, line, len);
		free(line);
		if (!c->closing && evbuffer_get_length(out) > CTL_OUT_HIGH) {
			c->held = true;
			c->wait_us = now_us();
			bufferevent_disable(c->bev, EV_READ);
			log_debug("control client %s: %zu bytes of replies "
			    "unread, its requests wait", client_who(c),
			    evbuffer_get_length(out));
		}
	}
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	client_lines(arg);
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(arg);
}

/* Closes the refused clients' sockets kept until now. */
static void
refused_close(struct control *ctl)
{
	while (ctl->n_refused_fd > 0)
		close(ctl->refused_fd[--ctl->n_refused_fd]);
}

static void
sweep_arm(struct control *ctl)
{
	struct timeval tv = { CTL_SWEEP_MS / 1000, CTL_SWEEP_MS % 1000 * 1000 };

	if (!evtimer_pending(ctl->sweep, NULL))
		evtimer_add(ctl->sweep, &tv);
}

/*
 * The timeouts of control.h: a client over the high-water mark, or
 * closing, that has not taken its output in CTL_OUT_HOLD_MS is dropped
 * with it; an idle one is told so and closed.  Memory is the point, not
 * precision: a second's lateness does not matter.
 */
static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
	struct control *ctl = arg;
	struct client *c, *next;
	uint64_t now = now_us();
	char msg[64];

	(void)fd;
	(void)what;
	for (c = ctl->clients; c != NULL; c = next) {
		next = c->next;
		if (c->held || c->closing) {
			if (now < c->wait_us + (uint64_t)CTL_OUT_HOLD_MS * 1000)
				continue;
			ctl->n_unread++;
			log_warnx("control client %s dropped: %zu bytes of "
			    "replies not taken for %d s (%llu dropped so far)",
			    client_who(c), evbuffer_get_length(
			    bufferevent_get_output(c->bev)),
			    CTL_OUT_HOLD_MS / 1000,
			    (unsigned long long)ctl->n_unread);
			client_free(c);
		} else if (c->pings == 0 && now >= c->active_us +
		    (uint64_t)CTL_IDLE_MS * 1000) {
			ctl->n_idle++;
			log_debug("control client %s closed: idle for %d s",
			    client_who(c), CTL_IDLE_MS / 1000);
			snprintf(msg, sizeof(msg), "no request for %d s: "
			    "closing", CTL_IDLE_MS / 1000);
			c->id = 0;
			reply_error(c, "idle", msg);
			client_close_after_write(c);
		}
	}
	refused_close(ctl);
	if (ctl->clients != NULL)
		sweep_arm(ctl);
}

/*
 * Whether a newcomer gets a place: CTL_CLIENTS_ROOT of them are kept for
 * uid 0.  Places kept for root, rather than root evicting someone when
 * full: a user who keeps all the others busy (a request every few
 * seconds) leaves nobody idle to evict, and evicting busy clients would
 * let any user evict root's in turn.
 */
static bool
accept_ok(struct control *ctl, bool cred, uid_t uid, pid_t pid)
{
	bool root = cred && uid == 0;
	uint64_t now = now_us();

	if (ctl->n_clients < (root ? CTL_CLIENTS_MAX : CTL_CLIENTS_MAX -
	    CTL_CLIENTS_ROOT))
		return true;
	ctl->n_refused++;
	/* a full socket refuses in bursts: a warning per 10 s at most */
	if (ctl->refused_log_us == 0 || now >= ctl->refused_log_us +
	    10000000) {
		ctl->refused_log_us = now;
		if (cred)
			log_warnx("control socket full (%d clients, %d of them "
			    "only for root): refused pid %d uid %u (%llu "
			    "refused so far)", ctl->n_clients, CTL_CLIENTS_ROOT,
			    (int)pid, (unsigned)uid,
			    (unsigned long long)ctl->n_refused);
		else
			log_warnx("control socket full (%d clients): refused "
			    "a client (%llu refused so far)", ctl->n_clients,
			    (unsigned long long)ctl->n_refused);
	}
	return false;
}

/*
 * Tells a refused newcomer why (as the answer to its hello, id 0, if its
 * socket takes the line at once: it never waits) and half-closes its
 * socket, kept until the next sweep (CTL_REFUSED_KEPT).
 */
static void
refuse(struct control *ctl, int fd, bool root)
{
	char line[200];
	int n;

	n = snprintf(line, sizeof(line), "{\"id\":0,\"ok\":false,\"error\":"
	    "\"busy\",\"msg\":\"control socket full: %d clients%s\"}\n",
	    root ? CTL_CLIENTS_MAX : CTL_CLIENTS_MAX - CTL_CLIENTS_ROOT,
	    root ? "" : " (more places only for root)");
	if (n > 0 && (size_t)n < sizeof(line) &&
	    send(fd, line, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) == -1)
		log_debug("control: cannot tell a refused client why: %s",
		    strerror(errno));
	shutdown(fd, SHUT_WR);
	if (ctl->n_refused_fd == CTL_REFUSED_KEPT) {
		close(ctl->refused_fd[0]);
		memmove(ctl->refused_fd, ctl->refused_fd + 1,
		    sizeof(int) * (CTL_REFUSED_KEPT - 1));
		ctl->n_refused_fd--;
	}
	ctl->refused_fd[ctl->n_refused_fd++] = fd;
	sweep_arm(ctl);
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct control *ctl = arg;
	struct client *c;
	struct ucred cred = { .pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1 };
	socklen_t clen = sizeof(cred);
	bool has_cred;

	(void)lev;
	(void)sa;
	(void)salen;
	has_cred = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0;
	if (!accept_ok(ctl, has_cred, cred.uid, cred.pid)) {
		refuse(ctl, fd, has_cred && cred.uid == 0);
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->ctl = ctl;
	if ((c->cred = has_cred)) {
		c->uid = cred.uid;
		c->pid = cred.pid;
	}
	log_debug("control client %s", client_who(c));
	c->bev = bufferevent_socket_new(ctl->px->base, fd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL ||
	    (c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->bev),
	    client_out_cb, c)) == NULL) {
		if (c->bev != NULL)
			bufferevent_free(c->bev);
		else
			close(fd);
		free(c);
		return;
	}
	c->active_us = now_us();
	ctl->n_clients++;
	c->next = ctl->clients;
	ctl->clients = c;
	/* a request line and its newline at most; replies: control.h */
	bufferevent_setwatermark(c->bev, EV_READ, 0, JSON_LINE_MAX + 1);
	bufferevent_setwatermark(c->bev, EV_WRITE, CTL_OUT_LOW, 0);
	bufferevent_setcb(c->bev, client_read_cb, client_write_cb,
	    client_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	sweep_arm(ctl);
}

/* How lstat() calls what is not a socket. */
static const char *
file_kind(mode_t m)
{
	return S_ISREG(m) ? "a regular file" : S_ISDIR(m) ? "a directory" :
	    S_ISLNK(m) ? "a symbolic link" : S_ISFIFO(m) ? "a FIFO" :
	    S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
	    "something else";
}

/*
 * Makes room at the socket's path.  Nothing there, or a socket nobody
 * answers on (an earlier run's: removed), is fine.  Anything else belongs
 * to someone else (proxyd -t says so too, but the file may have come
 * since), and a socket something answers on is another process's, most
 * likely another proxyd's: both fail the start, and nothing is removed.
 * lstat: a symbolic link is not a socket, even to one.  0 or -1.
 */
static int
control_path_clear(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc, err;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("cannot check control socket path '%s'", path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("cannot use control socket path '%s': %s is there, "
		    "not a socket (not removed)", path, file_kind(st.st_mode));
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("cannot check control socket '%s'", path);
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	err = errno;
	close(fd);
	if (rc == 0 || err == EAGAIN || err == EINPROGRESS) {
		log_warnx("control socket '%s' is in use by another process "
		    "(another proxyd?)", path);
		return -1;
	}
	if (err == ENOENT)
		return 0;		/* gone meanwhile */
	if (err != ECONNREFUSED) {
		errno = err;
		log_warn("cannot check control socket '%s' (not removed)",
		    path);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("cannot remove stale control socket '%s'", path);
		return -1;
	}
	log_debug("stale control socket '%s' removed", path);
	return 0;
}

struct control *
control_open(struct proxyd *px, const char *path)
{
	struct control *ctl;
	struct sockaddr_un sun;
	char dir[sizeof(sun.sun_path)], *slash;
	mode_t old;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("control socket path '%s' is too long", path);
		return NULL;
	}
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL)
		return NULL;
	ctl->px = px;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			log_warn("cannot create '%s'", dir);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (control_path_clear(path, &sun) == -1)
		goto fail_free;
	if ((ctl->sweep = evtimer_new(px->base, sweep_cb, ctl)) == NULL) {
		log_warnx("cannot create the control socket's timer");
		goto fail_free;
	}
	old = umask(0117);
	ctl->lev = evconnlistener_new_bind(px->base, accept_cb, ctl,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16,
	    (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ctl->lev == NULL) {
		log_warn("cannot bind control socket '%s'", path);
		goto fail_timer;
	}
	return ctl;

fail_timer:
	event_free(ctl->sweep);
fail_free:
	free(ctl);
	return NULL;
}

void
control_close(struct control *ctl)
{
	if (ctl == NULL)
		return;
	while (ctl->clients != NULL)
		client_free(ctl->clients);
	evconnlistener_free(ctl->lev);
	refused_close(ctl);
	event_free(ctl->sweep);
	/*
	 * After the privilege drop (privs.c) a root-owned directory may not
	 * let us: the stale socket is then replaced at the next start.
	 */
	if (unlink(ctl->path) == -1 && errno != ENOENT)
		log_debug("cannot remove control socket '%s': %s", ctl->path,
		    strerror(errno));
	free(ctl);
}
