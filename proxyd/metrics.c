/* SPDX-License-Identifier: ISC */
/*
 * This file owns the Prometheus metrics endpoint: the evhttp server and
 * the rendering of the daemon's state in the text exposition format
 * (version 0.0.4).  It reads the links (link.h), their NAT views (probe.h),
 * channels (conn.h), the topology's paths and the counters in struct
 * proxyd, and changes nothing.  Names follow Prometheus conventions: the
 * proxyd_ prefix, base units (seconds, bytes), counters ending in _total,
 * and enumerations as state sets (one 0/1 sample per possible value).
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "conn.h"
#include "link.h"
#include "log.h"
#include "nat.h"
#include "probe.h"
#include "topo.h"
#include "metrics.h"

struct metrics {
	struct proxyd			*px;
	struct evhttp			*http;
	uint16_t			 port;
};

/* The output of one rendering; the first failed write sets failed. */
struct out {
	struct evbuffer	*b;
	bool		 failed;
	int		 n_labels;	/* of the sample being written */
};

static void	put(struct out *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->failed)
		return;
	va_start(ap, fmt);
	if (evbuffer_add_vprintf(o->b, fmt, ap) < 0)
		o->failed = true;
	va_end(ap);
}

/*
 * s with the escapes of the format: backslash and line feed always, the
 * double quote too inside a label value (not in HELP text).
 */
static void
put_escaped(struct out *o, const char *s, bool quote)
{
	size_t n;

	while (*s != '\0' && !o->failed) {
		n = strcspn(s, quote ? "\\\"\n" : "\\\n");
		if (n > 0 && evbuffer_add(o->b, s, n) == -1)
			o->failed = true;
		s += n;
		if (*s == '\0')
			break;
		put(o, "\\%c", *s == '\n' ? 'n' : *s);
		s++;
	}
}

/* "# HELP" and "# TYPE": once per family, before its samples. */
static void
family(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s ", name);
	put_escaped(o, help, false);
	put(o, "\n# TYPE %s %s\n", name, type);
}

/* A sample: sample(), then label()s, then one value_*(). */
static void
sample(struct out *o, const char *name)
{
	o->n_labels = 0;
	put(o, "%s", name);
}

static void
label(struct out *o, const char *key, const char *val)
{
	put(o, "%s%s=\"", o->n_labels++ == 0 ? "{" : ",", key);
	put_escaped(o, val, true);
	put(o, "\"");
}

static void
value_u64(struct out *o, uint64_t v)
{
	put(o, "%s %" PRIu64 "\n", o->n_labels > 0 ? "}" : "", v);
}

static void
value_dbl(struct out *o, double v)
{
	const char *close = o->n_labels > 0 ? "}" : "";

	if (isnan(v))
		put(o, "%s NaN\n", close);
	else if (isinf(v))
		put(o, "%s %sInf\n", close, v < 0 ? "-" : "+");
	else
		put(o, "%s %.9g\n", close, v);
}

/* A sample without labels. */
static void
single_u64(struct out *o, const char *name, const char *type,
    const char *help, uint64_t v)
{
	family(o, name, type, help);
	sample(o, name);
	value_u64(o, v);
}

/*
 * The links to report: named ones (an inbound handshake has no name yet),
 * one per name, sorted.  Two links to one peer (a newer one taking over,
 * or a name's new address dialled beside the old one) would make two
 * series with the same labels, which Prometheus refuses: the one furthest
 * along (up, then handshake) stands for the peer.
 */
static int
link_cmp(const void *pa, const void *pb)
{
	const struct link *a = *(const struct link *const *)pa;
	const struct link *b = *(const struct link *const *)pb;
	int c = strcmp(a->name, b->name);

	if (c != 0)
		return c;
	return (a->state < b->state) - (a->state > b->state);
}

static const struct link **
links_sorted(const struct proxyd *px, size_t *n)
{
	const struct link **v;
	size_t k = 0, all = 0, i, j;

	for (const struct link *l = px->links; l != NULL; l = l->next)
		all++;
	if ((v = calloc(all + 1, sizeof(*v))) == NULL)
		return NULL;
	for (const struct link *l = px->links; l != NULL; l = l->next)
		if (l->name[0] != '\0')
			v[k++] = l;
	qsort(v, k, sizeof(*v), link_cmp);
	for (i = j = 0; i < k; i++)
		if (j == 0 || strcmp(v[j - 1]->name, v[i]->name) != 0)
			v[j++] = v[i];
	*n = j;
	return v;
}

/* The names link_state_name() gives, every one of them. */
static const char *const link_states[] = {
	"connecting", "down", "handshake", "up",
};

static const enum nat_type nat_types[] = {
	NAT_TYPE_OPEN, NAT_TYPE_FULL_CONE, NAT_TYPE_RESTRICTED,
	NAT_TYPE_PORT_RESTRICTED, NAT_TYPE_SYMMETRIC, NAT_TYPE_UNKNOWN,
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static void
render_links(struct out *o, const struct link **v, size_t n)
{
	size_t i, k;

	family(o, "proxyd_link_up", "gauge",
	    "1 if the link to the neighbour is up, else 0.");
	for (i = 0; i < n; i++) {
		sample(o, "proxyd_link_up");
		label(o, "peer", v[i]->name);
		value_u64(o, v[i]->state == LINK_UP);
	}
	family(o, "proxyd_link_state", "gauge",
	    "State of the link to the neighbour: 1 for its state, 0 for the "
	    "others.");
	for (i = 0; i < n; i++) {
		const char *st = link_state_name(v[i]);

		for (k = 0; k < NELEM(link_states); k++) {
			sample(o, "proxyd_link_state");
			label(o, "peer", v[i]->name);
			label(o, "state", link_states[k]);
			value_u64(o, strcmp(st, link_states[k]) == 0);
		}
	}
	family(o, "proxyd_link_rtt_seconds", "gauge",
	    "Round-trip time of the link's last keepalive (once measured).");
	for (i = 0; i < n; i++) {
		if (v[i]->state != LINK_UP || v[i]->rtt_ms < 0)
			continue;
		sample(o, "proxyd_link_rtt_seconds");
		label(o, "peer", v[i]->name);
		value_dbl(o, v[i]->rtt_ms / 1000.0);
	}
	family(o, "proxyd_link_keepalive_interval_seconds", "gauge",
	    "Keepalive interval of the link, adapted to the NAT binding "
	    "lifetime.");
	for (i = 0; i < n; i++) {
		sample(o, "proxyd_link_keepalive_interval_seconds");
		label(o, "peer", v[i]->name);
		value_u64(o, v[i]->ka_interval_s > 0 ?
		    (uint64_t)v[i]->ka_interval_s : 0);
	}
	family(o, "proxyd_link_nat_type", "gauge",
	    "This proxy's NAT type toward the neighbour as its trials "
	    "measured it (up links): 1 for the type, 0 for the others.");
	for (i = 0; i < n; i++) {
		const struct nat_view *nv = probe_view(v[i]);
		enum nat_type t;

		if (v[i]->state != LINK_UP || nv == NULL)
			continue;
		t = nv->valid ? nv->res.type : NAT_TYPE_UNKNOWN;
		for (k = 0; k < NELEM(nat_types); k++) {
			sample(o, "proxyd_link_nat_type");
			label(o, "peer", v[i]->name);
			label(o, "type", nat_type_name(nat_types[k]));
			value_u64(o, strcmp(nat_type_name(t),
			    nat_type_name(nat_types[k])) == 0);
		}
	}
	family(o, "proxyd_link_nat_binding_lifetime_seconds", "gauge",
	    "NAT binding lifetime measured toward the neighbour (a lower "
	    "bound if the search stopped early); absent until measured.");
	for (i = 0; i < n; i++) {
		const struct nat_view *nv = probe_view(v[i]);

		if (v[i]->state != LINK_UP || nv == NULL || !nv->valid ||
		    nv->res.lifetime_s == 0)
			continue;
		sample(o, "proxyd_link_nat_binding_lifetime_seconds");
		label(o, "peer", v[i]->name);
		value_u64(o, nv->res.lifetime_s);
	}
	family(o, "proxyd_link_reconnects_total", "counter",
	    "Times the link to the neighbour went down or failed and was "
	    "retried.");
	for (i = 0; i < n; i++) {
		sample(o, "proxyd_link_reconnects_total");
		label(o, "peer", v[i]->name);
		value_u64(o, v[i]->reconnects);
	}
	family(o, "proxyd_link_rekeys_total", "counter",
	    "Times the link switched to new keys while up (rekey).");
	for (i = 0; i < n; i++) {
		sample(o, "proxyd_link_rekeys_total");
		label(o, "peer", v[i]->name);
		value_u64(o, v[i]->rekeys);
	}
	family(o, "proxyd_link_receive_packets_total", "counter",
	    "Authenticated datagrams received on the link.");
	for (i = 0; i < n; i++) {
		sample(o, "proxyd_link_receive_packets_total");
		label(o, "peer", v[i]->name);
		value_u64(o, v[i]->rx_packets);
	}
	family(o, "proxyd_link_transmit_packets_total", "counter",
	    "Datagrams sent on the link.");
	for (i = 0; i < n; i++) {
		sample(o, "proxyd_link_transmit_packets_total");
		label(o, "peer", v[i]->name);
		value_u64(o, v[i]->tx_packets);
	}
	family(o, "proxyd_link_receive_bytes_total", "counter",
	    "Bytes of the authenticated datagrams received on the link.");
	for (i = 0; i < n; i++) {
		sample(o, "proxyd_link_receive_bytes_total");
		label(o, "peer", v[i]->name);
		value_u64(o, v[i]->rx_bytes);
	}
	family(o, "proxyd_link_transmit_bytes_total", "counter",
	    "Bytes of the datagrams sent on the link.");
	for (i = 0; i < n; i++) {
		sample(o, "proxyd_link_transmit_bytes_total");
		label(o, "peer", v[i]->name);
		value_u64(o, v[i]->tx_bytes);
	}
}

/* Every reachable proxy: its path's hops and its channel, if any. */
static void
render_destinations(struct out *o, const struct proxyd *px)
{
	static const char *const kinds[] = { "relay", "direct" };

	family(o, "proxyd_destination_hops", "gauge",
	    "Hops of the relayed path to the destination proxy (a direct "
	    "channel is one hop).");
	for (size_t i = 0; i < px->n_paths; i++) {
		sample(o, "proxyd_destination_hops");
		label(o, "dest", px->paths[i].dest);
		value_u64(o, px->paths[i].hops);
	}
	family(o, "proxyd_channel_kind", "gauge",
	    "How traffic to the destination goes, for destinations with a "
	    "channel: 1 for relay or direct, 0 for the other (both 0 while "
	    "the connection request is in flight).");
	for (size_t i = 0; i < px->n_paths; i++) {
		const struct channel *ch = conn_channel(px, px->paths[i].dest);
		const char *kind;

		if (ch == NULL)
			continue;
		kind = ch->direct == DIRECT_UP ? "direct" :
		    ch->state == CH_RELAY ? "relay" : "";
		for (size_t k = 0; k < NELEM(kinds); k++) {
			sample(o, "proxyd_channel_kind");
			label(o, "dest", px->paths[i].dest);
			label(o, "kind", kinds[k]);
			value_u64(o, strcmp(kind, kinds[k]) == 0);
		}
	}
}

static void
reason_u64(struct out *o, const char *name, const char *reason, uint64_t v)
{
	sample(o, name);
	label(o, "reason", reason);
	value_u64(o, v);
}

static void
render_counters(struct out *o, const struct proxyd *px)
{
	const struct proxyd_stats *s = &px->st;
	const struct psock_stats *ss = &px->sock_st;
	const char *d = "proxyd_drops_total", *hs = "proxyd_handshake_failures_total",
	    *au = "proxyd_authentication_failures_total";

	family(o, d, "counter", "Packets and messages dropped, by reason "
	    "(handshake and authentication failures are counted apart).");
	reason_u64(o, d, "malformed", s->drop_malformed + ss->rx_bad);
	reason_u64(o, d, "no_session", s->drop_nosession);
	reason_u64(o, d, "closed", s->drop_closed);
	reason_u64(o, d, "policy", s->drop_policy);
	reason_u64(o, d, "no_route", s->drop_noroute);
	reason_u64(o, d, "ttl", s->drop_ttl);
	reason_u64(o, d, "source", s->drop_source);
	reason_u64(o, d, "loop", s->drop_loop);
	reason_u64(o, d, "probe_limit", s->drop_probe_limit);
	reason_u64(o, d, "punch_limit", s->drop_punch_limit);
	reason_u64(o, d, "conn_origin", s->drop_conn_origin);
	reason_u64(o, d, "conn_limit", s->drop_conn_limit);
	reason_u64(o, d, "queue_full", s->drop_queue);
	reason_u64(o, d, "send_failed", s->drop_send + ss->tx_fail);
	family(o, hs, "counter", "Handshakes refused or failed, by reason: "
	    "refused (certificate or DTLS failure), cookie (bad or old "
	    "cookie), limit (too many handshakes in progress).");
	reason_u64(o, hs, "refused", s->auth_refused);
	reason_u64(o, hs, "cookie", s->drop_cookie);
	reason_u64(o, hs, "limit", s->drop_hs_limit);
	family(o, au, "counter", "Sealed datagrams that failed "
	    "authentication, by reason: aead (forged, or a stale key), "
	    "replay (seen before, or too old).");
	reason_u64(o, au, "aead", s->drop_auth);
	reason_u64(o, au, "replay", s->drop_replay);
	family(o, "proxyd_lsa_dropped_total", "counter", "Advertisements "
	    "dropped before use, never flooded on, by reason: unsigned, "
	    "bad_cert (no chain to the network CA), forged (signature or "
	    "name does not match), rate (origin over 'topology.rate'), full "
	    "(new origin over 'topology.max_origins').");
	reason_u64(o, "proxyd_lsa_dropped_total", "unsigned", s->lsa_unsigned);
	reason_u64(o, "proxyd_lsa_dropped_total", "bad_cert", s->lsa_bad_cert);
	reason_u64(o, "proxyd_lsa_dropped_total", "forged", s->lsa_forged);
	reason_u64(o, "proxyd_lsa_dropped_total", "rate", s->lsa_rate);
	reason_u64(o, "proxyd_lsa_dropped_total", "full", s->lsa_full);
	single_u64(o, "proxyd_lsa_verified_total", "counter",
	    "Advertisement signatures checked and found good.",
	    s->lsa_verified);
	single_u64(o, "proxyd_lsa_unchanged_total", "counter",
	    "Newer advertisements repeating the stored copy's endpoints, "
	    "prefixes and links: no route computation.", s->lsa_unchanged);
	single_u64(o, "proxyd_lsa_queue", "gauge", "Received advertisements "
	    "waiting for their signature check.", s->lsa_queue);
	single_u64(o, "proxyd_lsa_queue_dropped_total", "counter",
	    "Advertisements lost while waiting for their check (queue full "
	    "or aged out).", s->lsa_queue_dropped);
	single_u64(o, "proxyd_lsa_refused_prefixes_total", "counter",
	    "Prefix claims refused: outside the originator's certificate "
	    "blocks, or no blocks with 'tls.require_prefixes'.",
	    s->lsa_refused_prefixes);
	single_u64(o, "proxyd_handshake_cookies_sent_total", "counter",
	    "Handshake cookies sent to unproven sources.", s->hs_cookies);
	single_u64(o, "proxyd_clones_detected_total", "counter",
	    "Two live proxies seen with one name (a cloned appliance).",
	    s->clones_detected);
	single_u64(o, "proxyd_clone_refused_total", "counter",
	    "Links refused as the other of two live proxies with one name.",
	    s->clone_refused);
	single_u64(o, "proxyd_family_upgrades_total", "counter",
	    "Up links that moved from IPv4 to IPv6 without going down.",
	    s->family_upgrades);
	single_u64(o, "proxyd_family_upgrade_failed_total", "counter",
	    "IPv6 handshakes beside an up IPv4 link that did not come up.",
	    s->family_upgrade_failed);
	single_u64(o, "proxyd_receive_packets_total", "counter",
	    "UDP datagrams received on the listen sockets.", s->rx_packets);
	single_u64(o, "proxyd_receive_bytes_total", "counter",
	    "Bytes of the UDP datagrams received on the listen sockets.",
	    s->rx_bytes);
	single_u64(o, "proxyd_transmit_packets_total", "counter",
	    "UDP datagrams sent.", ss->tx_packets);
	single_u64(o, "proxyd_transmit_bytes_total", "counter",
	    "Bytes of the UDP datagrams sent.", ss->tx_bytes);
	single_u64(o, "proxyd_tun_receive_packets_total", "counter",
	    "Packets read from the TUN device.", s->tun_rx);
	single_u64(o, "proxyd_tun_transmit_packets_total", "counter",
	    "Packets written to the TUN device.", s->tun_tx);
	single_u64(o, "proxyd_connection_requests_total", "counter",
	    "Connection requests this proxy started.", s->conn_requests);
	single_u64(o, "proxyd_queued_packets_total", "counter",
	    "First packets that waited for a channel.", s->queued);
	single_u64(o, "proxyd_icmp6_packet_too_big_sent_total", "counter",
	    "ICMPv6 Packet Too Big messages written into the TUN for IPv6 "
	    "packets larger than their next link carries.", s->ptb6_sent);
}

/* A histogram of microseconds (lib/looplag.h), in seconds. */
static void
histogram(struct out *o, const char *name, const char *help,
    const struct looplag_hist *h)
{
	char le[32], bname[96];
	uint64_t cum = 0;

	family(o, name, "histogram", help);
	snprintf(bname, sizeof(bname), "%s_bucket", name);
	for (size_t i = 0; i <= LOOPLAG_BOUNDS; i++) {
		cum += h->bucket[i];
		if (i < LOOPLAG_BOUNDS)
			snprintf(le, sizeof(le), "%g",
			    (double)looplag_bounds_us[i] / 1e6);
		else
			snprintf(le, sizeof(le), "+Inf");
		sample(o, bname);
		label(o, "le", le);
		value_u64(o, cum);
	}
	snprintf(bname, sizeof(bname), "%s_sum", name);
	sample(o, bname);
	value_dbl(o, (double)h->sum_us / 1e6);
	snprintf(bname, sizeof(bname), "%s_count", name);
	sample(o, bname);
	value_u64(o, h->count);
}

/* The event loop's health since start (lib/looplag.h). */
static void
render_loop(struct out *o, const struct proxyd *px)
{
	histogram(o, "proxyd_event_loop_lag_seconds", "How late the event "
	    "loop's probe timer fired (every 50 ms): time nothing could be "
	    "served, whether the daemon was busy or waited for a CPU.",
	    &px->lag.lag);
	histogram(o, "proxyd_event_loop_work_seconds", "Length of the pieces "
	    "of work the daemon times itself (signature check slices, route "
	    "computations, control requests, metrics scrapes, the tick).",
	    &px->lag.busy);
	if (!px->lag.runq_known)
		return;
	family(o, "proxyd_run_queue_wait_seconds_total", "counter", "Time "
	    "the daemon was runnable but waited for a CPU (the machine's "
	    "share of the loop's lag; /proc/self/schedstat).");
	sample(o, "proxyd_run_queue_wait_seconds_total");
	value_dbl(o, (double)px->lag.runq_total_us / 1e6);
}

int
metrics_render(const struct proxyd *px, struct evbuffer *b)
{
	struct out o = { b, false, 0 };
	const struct link **v;
	size_t n = 0;
	uint64_t up_s = (now_us() - px->start_us) / 1000000;

	family(&o, "proxyd_build_info", "gauge",
	    "Always 1; the labels tell the build.");
	sample(&o, "proxyd_build_info");
	label(&o, "version", PROXYD_VERSION);
	value_u64(&o, 1);
	family(&o, "proxyd_start_time_seconds", "gauge",
	    "When the daemon started, in seconds since the Unix epoch.");
	sample(&o, "proxyd_start_time_seconds");
	value_u64(&o, (uint64_t)time(NULL) - up_s);
	if ((v = links_sorted(px, &n)) == NULL)
		return -1;
	render_links(&o, v, n);
	free(v);
	render_destinations(&o, px);
	render_counters(&o, px);
	render_loop(&o, px);
	single_u64(&o, "proxyd_topology_origins", "gauge",
	    "Proxies in the topology database, this one included.",
	    px->topo != NULL ? topo_count(px->topo) : 0);
	single_u64(&o, "proxyd_topology_reachable_proxies", "gauge",
	    "Proxies reachable over two-way paths, this one excluded.",
	    px->n_paths);
	single_u64(&o, "proxyd_topology_prefix_conflicts", "gauge",
	    "Pairs of overlapping prefix claims by different proxies.",
	    px->n_conflicts);
	single_u64(&o, "proxyd_routes", "gauge", "Routes in the forwarding "
	    "table, own prefixes included.", px->routes.n);
	single_u64(&o, "proxyd_flows", "gauge", "Flows tracked.",
	    px->flows != NULL ? flow_count(px->flows) : 0);
	return o.failed ? -1 : 0;
}

/*
 * An error answer in plain text.  evhttp_send_error() would drop the
 * headers set before it (Allow) and answer in HTML.
 */
static void
reply_error(struct evhttp_request *req, int code, const char *reason,
    const char *text)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	struct evbuffer *body = evbuffer_new();

	evhttp_add_header(hdr, "Content-Type", "text/plain; charset=utf-8");
	evhttp_add_header(hdr, "Connection", "close");
	if (body == NULL) {
		evhttp_send_reply(req, code, reason, NULL);
		return;
	}
	evbuffer_add_printf(body, "%s\n", text);
	evhttp_send_reply(req, code, reason, body);
	evbuffer_free(body);
}

static void
request_cb(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	struct evbuffer *body;
	struct proxyd_t0 t0;

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(hdr, "Allow", "GET, HEAD");
		reply_error(req, 405, "Method Not Allowed",
		    "only GET and HEAD are allowed");
		return;
	}
	if (path == NULL || strcmp(path, METRICS_PATH) != 0) {
		reply_error(req, HTTP_NOTFOUND, "Not Found",
		    "not found: metrics are at " METRICS_PATH);
		return;
	}
	t0 = proxyd_work_begin();
	if ((body = evbuffer_new()) == NULL ||
	    metrics_render(m->px, body) == -1) {
		log_warnx("metrics: out of memory rendering a reply");
		if (body != NULL)
			evbuffer_free(body);
		reply_error(req, HTTP_INTERNAL, "Internal Server Error",
		    "out of memory");
		return;
	}
	proxyd_work(m->px, LOOPLAG_METRICS, t0);
	evhttp_add_header(hdr, "Content-Type", METRICS_CONTENT_TYPE);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	if (cmd == EVHTTP_REQ_HEAD) {
		/*
		 * libevent 2.1 would send a HEAD reply's body, and without its
		 * length: the length of a GET's, and no body.
		 */
		char n[24];

		snprintf(n, sizeof(n), "%zu", evbuffer_get_length(body));
		evhttp_add_header(hdr, "Content-Length", n);
		evhttp_send_reply(req, HTTP_OK, "OK", NULL);
	} else
		evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

struct metrics *
metrics_open(struct proxyd *px, struct in_addr addr, uint16_t port)
{
	struct evhttp_bound_socket *bs;
	struct timeval tv = { METRICS_TIMEOUT_S, 0 };
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct metrics *m;
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr, a, sizeof(a));
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->http = evhttp_new(px->base)) == NULL) {
		log_warnx("cannot start metrics on %s:%u: out of memory", a,
		    port);
		free(m);
		return NULL;
	}
	m->px = px;
	/*
	 * Every method reaches request_cb, which answers 405 to all but GET
	 * and HEAD.  Bounded: the request line and headers, no body at all
	 * (libevent answers 413), and the time to read a request or write a
	 * reply.  XXX: libevent 2.1 cannot cap the number of connections;
	 * the timeouts end idle ones.
	 */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
	    EVHTTP_REQ_PATCH);
	evhttp_set_max_headers_size(m->http, METRICS_HEADERS_MAX);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout_tv(m->http, &tv);
	evhttp_set_default_content_type(m->http, "text/plain; charset=utf-8");
	evhttp_set_gencb(m->http, request_cb, m);
	if ((bs = evhttp_bind_socket_with_handle(m->http, a, port)) == NULL) {
		log_warn("cannot listen for metrics on TCP %s:%u", a, port);
		metrics_close(m);
		return NULL;
	}
	m->port = port;
	if (getsockname(evhttp_bound_socket_get_fd(bs),
	    (struct sockaddr *)&sin, &len) == 0)
		m->port = ntohs(sin.sin_port);
	log_info("metrics on http://%s:%u%s", a, m->port, METRICS_PATH);
	return m;
}

void
metrics_close(struct metrics *m)
{
	if (m == NULL)
		return;
	if (m->http != NULL)
		evhttp_free(m->http);
	free(m);
}

uint16_t
metrics_port(const struct metrics *m)
{
	return m->port;
}
