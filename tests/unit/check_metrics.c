/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests of proxyd/metrics.c: the real renderer
 * and HTTP server over the fake world of tests/unit/fake.[ch] (links made
 * by hand, counters set directly), with the two engine answers it reads
 * faked here: probe_view() (each link's NAT view) and conn_channel().
 * Covered: the text format line by line (HELP and TYPE once per family,
 * before its samples, families never interleaved, one line per sample, no
 * series twice, counters named _total), label escaping, which links and
 * destinations appear, the values of every family, and the HTTP answers
 * (200 with the content type, HEAD, 404, 405 with Allow, the header
 * bound) on a loopback port.
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/buffer.h>

#include "conn.h"
#include "fake.h"
#include "link.h"
#include "metrics.h"
#include "probe.h"

#define WAIT_MS		3000	/* the longest any wait here may take */

/* ---- the engine answers metrics.c reads ---- */

#define VIEWS_MAX	8
static struct {
	const struct link	*l;
	struct nat_view		 v;
} views[VIEWS_MAX];

const struct nat_view *
probe_view(const struct link *l)
{
	for (int i = 0; i < VIEWS_MAX; i++)
		if (views[i].l == l && l != NULL)
			return &views[i].v;
	return NULL;
}

static void
set_view(const struct link *l, bool valid, enum nat_type t,
    uint32_t lifetime_s)
{
	for (int i = 0; i < VIEWS_MAX; i++)
		if (views[i].l == NULL || views[i].l == l) {
			memset(&views[i], 0, sizeof(views[i]));
			views[i].l = l;
			views[i].v.valid = valid;
			views[i].v.res.type = t;
			views[i].v.res.lifetime_s = lifetime_s;
			return;
		}
	ck_abort_msg("too many NAT views");
}

#define CHANNELS_MAX	8
static struct channel	channels[CHANNELS_MAX];

const struct channel *
conn_channel(const struct proxyd *px, const char *dest)
{
	(void)px;
	for (int i = 0; i < CHANNELS_MAX; i++)
		if (channels[i].used && strcmp(channels[i].dest, dest) == 0)
			return &channels[i];
	return NULL;
}

static void
set_channel(const char *dest, enum channel_state st, enum direct_state d)
{
	for (int i = 0; i < CHANNELS_MAX; i++)
		if (!channels[i].used) {
			channels[i].used = true;
			snprintf(channels[i].dest, sizeof(channels[i].dest),
			    "%s", dest);
			channels[i].state = st;
			channels[i].direct = d;
			return;
		}
	ck_abort_msg("too many channels");
}

/* ---- the world of one test ---- */

static struct proxyd	*px;
static char		*text;		/* the last rendering */

static void
setup(void)
{
	memset(views, 0, sizeof(views));
	memset(channels, 0, sizeof(channels));
	px = fake_proxyd_new("site-a");
	text = NULL;
}

static void
teardown(void)
{
	free(px->paths);
	px->paths = NULL;
	fake_proxyd_free(px);
	free(text);
}

static void
add_path(const char *dest, const char *next_hop, uint8_t hops)
{
	struct topo_path *p;

	p = realloc(px->paths, (px->n_paths + 1) * sizeof(*p));
	ck_assert_ptr_nonnull(p);
	px->paths = p;
	p = &px->paths[px->n_paths++];
	memset(p, 0, sizeof(*p));
	snprintf(p->dest, sizeof(p->dest), "%s", dest);
	snprintf(p->next_hop, sizeof(p->next_hop), "%s", next_hop);
	p->hops = hops;
}

/* Renders px into text (NUL-terminated). */
static const char *
render(void)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(metrics_render(px, b), 0);
	n = evbuffer_get_length(b);
	free(text);
	text = malloc(n + 1);
	ck_assert_ptr_nonnull(text);
	evbuffer_remove(b, text, n);
	text[n] = '\0';
	evbuffer_free(b);
	return text;
}

/* Whether the rendering has line (without its newline) as a whole line. */
static bool
has_line(const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

/* Lines that start with prefix. */
static int
count_prefix(const char *prefix)
{
	size_t n = strlen(prefix);
	int k = 0;

	for (const char *p = text; *p != '\0'; ) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, prefix, n) == 0)
			k++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return k;
}

/* (a Check message has room for about 4 KB) */
#define ck_line(l)	ck_assert_msg(has_line(l), "no line '%s' in:\n%.2000s", \
			    (l), text)

/* A world with something in every family. */
static void
busy_world(void)
{
	struct link *pub, *b, *dup, *in;

	pub = fake_link_add(px, "pub", LINK_UP, "203.0.113.10", 4790);
	pub->rtt_ms = 12.5;
	pub->ka_interval_s = 25;
	pub->reconnects = 3;
	pub->rekeys = 4;
	pub->rx_packets = 1000;
	pub->tx_packets = 2000;
	pub->rx_bytes = 123456;
	pub->tx_bytes = 234567;
	set_view(pub, true, NAT_TYPE_SYMMETRIC, 30);
	/* a second link to pub, not up: pub's up one stands for it */
	dup = fake_link_add(px, "pub", LINK_HANDSHAKE, "203.0.113.11", 4790);
	dup->reconnects = 99;
	b = fake_link_add(px, "site-b", LINK_HANDSHAKE, "198.51.100.2", 4790);
	b->ka_interval_s = 5;
	/* an inbound handshake: no name yet, not reported */
	in = fake_link_add(px, "", LINK_HANDSHAKE, "192.0.2.99", 5000);
	(void)in;
	add_path("pub", "pub", 1);
	add_path("site-b", "pub", 2);
	add_path("site-c", "pub", 3);
	set_channel("site-b", CH_RELAY, DIRECT_UP);
	set_channel("site-c", CH_REQUESTING, DIRECT_NONE);
	px->st.drop_malformed = 7;
	px->sock_st.rx_bad = 1;
	px->st.drop_nosession = 11;
	px->st.drop_policy = 12;
	px->st.drop_noroute = 13;
	px->st.drop_ttl = 14;
	px->st.drop_source = 19;
	px->st.drop_loop = 26;
	px->st.drop_closed = 27;
	px->st.drop_probe_limit = 15;
	px->st.drop_punch_limit = 16;
	px->st.drop_conn_origin = 21;
	px->st.drop_conn_limit = 22;
	px->st.drop_queue = 17;
	px->st.drop_send = 18;
	px->sock_st.tx_fail = 2;
	px->st.auth_refused = 21;
	px->st.drop_cookie = 22;
	px->st.drop_hs_limit = 23;
	px->st.drop_auth = 24;
	px->st.drop_replay = 25;
	px->st.hs_cookies = 26;
	px->st.rx_packets = 31;
	px->st.rx_bytes = 32;
	px->sock_st.tx_packets = 33;
	px->sock_st.tx_bytes = 34;
	px->st.tun_rx = 35;
	px->st.tun_tx = 36;
	px->st.conn_requests = 37;
	px->st.queued = 38;
	px->n_conflicts = 2;
}

/*
 * Reads {NAME="VALUE",...} at p: names [a-zA-Z_][a-zA-Z0-9_]*, values
 * with no escapes but \\, \" and \n and no raw line feed.  What
 * follows the closing brace.
 */
static const char *
labels_end(const char *p, int lineno)
{
	ck_assert_int_eq(*p, '{');
	for (p++;;) {
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

		ck_assert_msg(n > 0 && !(*p >= '0' && *p <= '9') &&
		    p[n] == '=' && p[n + 1] == '"', "line %d: label at '%s'",
		    lineno, p);
		for (p += n + 2; *p != '"'; p++) {
			ck_assert_msg(*p != '\0', "line %d: unterminated "
			    "label value", lineno);
			if (*p == '\\') {
				p++;
				ck_assert_msg(*p == '\\' || *p == '"' ||
				    *p == 'n', "line %d: escape \\%c",
				    lineno, *p);
			}
		}
		p++;
		if (*p == '}')
			return p + 1;
		ck_assert_msg(*p == ',', "line %d: after a label: '%s'", lineno,
		    p);
		p++;
	}
}

/*
 * The text format, version 0.0.4, as a scraper reads it: every line ends
 * in a newline; a line is "# HELP NAME TEXT", "# TYPE NAME TYPE" or a
 * sample "NAME[{LABELS}] VALUE"; each family's HELP then TYPE come once,
 * before its samples, and its samples follow without another family in
 * between; no series (name and labels) twice; counters end in _total
 * and nothing else does.
 */
static void
check_format(const char *t)
{
	char fam[128] = "", type[32] = "", prev[256][2][160];
	size_t nprev = 0;
	char seen[96][128];
	size_t nseen = 0;
	int lineno = 0;

	ck_assert_msg(t[0] != '\0' && t[strlen(t) - 1] == '\n',
	    "the text must end in a newline");
	for (const char *p = t; *p != '\0'; ) {
		const char *nl = strchr(p, '\n');
		size_t len = (size_t)(nl - p);
		char line[1024], name[128], rest[900];

		lineno++;
		ck_assert_msg(len > 0 && len < sizeof(line), "line %d: empty "
		    "or too long", lineno);
		memcpy(line, p, len);
		line[len] = '\0';
		p = nl + 1;
		if (strncmp(line, "# HELP ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%127s %899[^\n]",
			    name, rest), 2);
			for (size_t i = 0; i < nseen; i++)
				ck_assert_msg(strcmp(seen[i], name) != 0,
				    "line %d: family %s again", lineno, name);
			ck_assert_uint_lt(nseen, 96);
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", name);
			snprintf(fam, sizeof(fam), "%s", name);
			type[0] = '\0';
			continue;
		}
		if (strncmp(line, "# TYPE ", 7) == 0) {
			ck_assert_int_eq(sscanf(line + 7, "%127s %31s", name,
			    type), 2);
			ck_assert_msg(strcmp(name, fam) == 0, "line %d: TYPE of "
			    "%s after HELP of %s", lineno, name, fam);
			ck_assert_msg(strcmp(type, "counter") == 0 ||
			    strcmp(type, "gauge") == 0 ||
			    strcmp(type, "histogram") == 0, "line %d: type %s",
			    lineno, type);
			len = strlen(name);
			ck_assert_msg((strcmp(type, "counter") == 0) == (len > 6 &&
			    strcmp(name + len - 6, "_total") == 0),
			    "line %d: %s %s", lineno, type, name);
			continue;
		}
		ck_assert_msg(line[0] != '#', "line %d: stray comment", lineno);
		/* a sample of the current family, after its TYPE */
		{
			size_t n = strspn(line, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:");
			const char *sp;
			char series[160];

			ck_assert_msg(type[0] != '\0', "line %d: sample before "
			    "TYPE", lineno);
			ck_assert_msg(strncmp(line, fam, strlen(fam)) == 0 &&
			    (n == strlen(fam) || (strcmp(type, "histogram") ==
			    0 && (strncmp(line + strlen(fam), "_bucket{le=",
			    11) == 0 || (n == strlen(fam) + 4 && strncmp(line +
			    strlen(fam), "_sum", 4) == 0) || (n == strlen(fam) +
			    6 && strncmp(line + strlen(fam), "_count", 6) ==
			    0)))), "line %d: sample '%s' in family %s", lineno,
			    line, fam);
			ck_assert_msg(strcmp(type, "histogram") != 0 ||
			    n != strlen(fam), "line %d: histogram sample '%s' "
			    "without _bucket, _sum or _count", lineno, line);
			ck_assert_msg(line[n] == ' ' || line[n] == '{',
			    "line %d: '%s'", lineno, line);
			sp = line[n] == ' ' ? line + n : labels_end(line + n,
			    lineno);
			ck_assert_msg(*sp == ' ' && sp[1] != '\0' &&
			    strchr(sp + 1, ' ') == NULL, "line %d: '%s'",
			    lineno, line);
			{
				char *end;

				strtod(sp + 1, &end);
				ck_assert_msg(*end == '\0', "line %d: value "
				    "'%s'", lineno, sp + 1);
			}
			snprintf(series, sizeof(series), "%.*s",
			    (int)(sp - line), line);
			for (size_t i = 0; i < nprev; i++)
				ck_assert_msg(strcmp(prev[i][0], series) != 0,
				    "line %d: series %s twice", lineno, series);
			if (nprev < 256)
				snprintf(prev[nprev++][0], sizeof(prev[0][0]),
				    "%s", series);
		}
	}
}

START_TEST(render_is_the_text_format)
{
	busy_world();
	check_format(render());
}
END_TEST

START_TEST(render_empty_world_is_the_text_format)
{
	check_format(render());
	ck_line("# TYPE proxyd_link_up gauge");
	ck_assert_int_eq(count_prefix("proxyd_link_up{"), 0);
}
END_TEST

START_TEST(render_build_info)
{
	render();
	ck_line("# TYPE proxyd_build_info gauge");
	ck_line("proxyd_build_info{version=\"" PROXYD_VERSION "\"} 1");
	ck_assert_int_eq(count_prefix("proxyd_start_time_seconds "), 1);
}
END_TEST

START_TEST(render_links_one_per_peer)
{
	busy_world();
	render();
	ck_line("proxyd_link_up{peer=\"pub\"} 1");
	ck_line("proxyd_link_up{peer=\"site-b\"} 0");
	ck_assert_int_eq(count_prefix("proxyd_link_up{"), 2);
	ck_assert_int_eq(count_prefix("proxyd_link_up{peer=\"\"}"), 0);
	/* the up link stands for pub, not its second link */
	ck_line("proxyd_link_reconnects_total{peer=\"pub\"} 3");
	ck_line("proxyd_link_rekeys_total{peer=\"pub\"} 4");
	ck_line("proxyd_link_receive_packets_total{peer=\"pub\"} 1000");
	ck_line("proxyd_link_transmit_packets_total{peer=\"pub\"} 2000");
	ck_line("proxyd_link_receive_bytes_total{peer=\"pub\"} 123456");
	ck_line("proxyd_link_transmit_bytes_total{peer=\"pub\"} 234567");
	ck_line("proxyd_link_keepalive_interval_seconds{peer=\"pub\"} 25");
	ck_line("proxyd_link_keepalive_interval_seconds{peer=\"site-b\"} 5");
	/* sorted by name */
	ck_assert(strstr(text, "proxyd_link_up{peer=\"pub\"}") <
	    strstr(text, "proxyd_link_up{peer=\"site-b\"}"));
}
END_TEST

START_TEST(render_link_state_is_a_state_set)
{
	busy_world();
	render();
	ck_line("proxyd_link_state{peer=\"pub\",state=\"up\"} 1");
	ck_line("proxyd_link_state{peer=\"pub\",state=\"handshake\"} 0");
	ck_line("proxyd_link_state{peer=\"pub\",state=\"connecting\"} 0");
	ck_line("proxyd_link_state{peer=\"pub\",state=\"down\"} 0");
	ck_line("proxyd_link_state{peer=\"site-b\",state=\"handshake\"} 1");
	ck_line("proxyd_link_state{peer=\"site-b\",state=\"up\"} 0");
	ck_assert_int_eq(count_prefix("proxyd_link_state{"), 8);
}
END_TEST

START_TEST(render_rtt_in_seconds_once_measured)
{
	busy_world();
	render();
	ck_line("# TYPE proxyd_link_rtt_seconds gauge");
	ck_line("proxyd_link_rtt_seconds{peer=\"pub\"} 0.0125");
	/* not up, never measured */
	ck_assert_int_eq(count_prefix("proxyd_link_rtt_seconds{"), 1);
}
END_TEST

START_TEST(render_nat_type_and_lifetime)
{
	struct link *c;

	busy_world();
	/* an up link whose trials have not finished */
	c = fake_link_add(px, "relay2", LINK_UP, "203.0.113.20", 4790);
	set_view(c, false, NAT_TYPE_OPEN, 0);
	render();
	ck_line("proxyd_link_nat_type{peer=\"pub\",type=\"symmetric\"} 1");
	ck_line("proxyd_link_nat_type{peer=\"pub\",type=\"open\"} 0");
	ck_line("proxyd_link_nat_type{peer=\"pub\",type=\"full-cone\"} 0");
	ck_line("proxyd_link_nat_type{peer=\"pub\","
	    "type=\"restricted-cone\"} 0");
	ck_line("proxyd_link_nat_type{peer=\"pub\","
	    "type=\"port-restricted-cone\"} 0");
	ck_line("proxyd_link_nat_type{peer=\"pub\",type=\"unknown\"} 0");
	ck_line("proxyd_link_nat_type{peer=\"relay2\",type=\"unknown\"} 1");
	ck_line("proxyd_link_nat_type{peer=\"relay2\",type=\"open\"} 0");
	/* no view: not up */
	ck_assert_int_eq(count_prefix("proxyd_link_nat_type{peer=\"site-b\""),
	    0);
	ck_line("proxyd_link_nat_binding_lifetime_seconds{peer=\"pub\"} 30");
	ck_assert_int_eq(count_prefix(
	    "proxyd_link_nat_binding_lifetime_seconds{"), 1);
}
END_TEST

START_TEST(render_destinations_and_channels)
{
	busy_world();
	render();
	ck_line("proxyd_destination_hops{dest=\"pub\"} 1");
	ck_line("proxyd_destination_hops{dest=\"site-b\"} 2");
	ck_line("proxyd_destination_hops{dest=\"site-c\"} 3");
	ck_line("proxyd_channel_kind{dest=\"site-b\",kind=\"direct\"} 1");
	ck_line("proxyd_channel_kind{dest=\"site-b\",kind=\"relay\"} 0");
	/* a request in flight: neither yet */
	ck_line("proxyd_channel_kind{dest=\"site-c\",kind=\"direct\"} 0");
	ck_line("proxyd_channel_kind{dest=\"site-c\",kind=\"relay\"} 0");
	/* no channel, no sample */
	ck_assert_int_eq(count_prefix("proxyd_channel_kind{dest=\"pub\""), 0);
}
END_TEST

START_TEST(render_relay_channel)
{
	add_path("site-b", "pub", 2);
	set_channel("site-b", CH_RELAY, DIRECT_PUNCHING);
	render();
	ck_line("proxyd_channel_kind{dest=\"site-b\",kind=\"relay\"} 1");
	ck_line("proxyd_channel_kind{dest=\"site-b\",kind=\"direct\"} 0");
}
END_TEST

START_TEST(render_counters_by_reason)
{
	busy_world();
	render();
	ck_line("# TYPE proxyd_drops_total counter");
	ck_line("proxyd_drops_total{reason=\"malformed\"} 8");
	ck_line("proxyd_drops_total{reason=\"no_session\"} 11");
	ck_line("proxyd_drops_total{reason=\"policy\"} 12");
	ck_line("proxyd_drops_total{reason=\"no_route\"} 13");
	ck_line("proxyd_drops_total{reason=\"ttl\"} 14");
	ck_line("proxyd_drops_total{reason=\"source\"} 19");
	ck_line("proxyd_drops_total{reason=\"loop\"} 26");
	ck_line("proxyd_drops_total{reason=\"closed\"} 27");
	ck_line("proxyd_drops_total{reason=\"probe_limit\"} 15");
	ck_line("proxyd_drops_total{reason=\"punch_limit\"} 16");
	ck_line("proxyd_drops_total{reason=\"conn_origin\"} 21");
	ck_line("proxyd_drops_total{reason=\"conn_limit\"} 22");
	ck_line("proxyd_drops_total{reason=\"queue_full\"} 17");
	ck_line("proxyd_drops_total{reason=\"send_failed\"} 20");
	ck_assert_int_eq(count_prefix("proxyd_drops_total{"), 14);
	ck_line("proxyd_handshake_failures_total{reason=\"refused\"} 21");
	ck_line("proxyd_handshake_failures_total{reason=\"cookie\"} 22");
	ck_line("proxyd_handshake_failures_total{reason=\"limit\"} 23");
	ck_line("proxyd_authentication_failures_total{reason=\"aead\"} 24");
	ck_line("proxyd_authentication_failures_total{reason=\"replay\"} 25");
	ck_line("proxyd_handshake_cookies_sent_total 26");
	ck_line("proxyd_receive_packets_total 31");
	ck_line("proxyd_receive_bytes_total 32");
	ck_line("proxyd_transmit_packets_total 33");
	ck_line("proxyd_transmit_bytes_total 34");
	ck_line("proxyd_tun_receive_packets_total 35");
	ck_line("proxyd_tun_transmit_packets_total 36");
	ck_line("proxyd_connection_requests_total 37");
	ck_line("proxyd_queued_packets_total 38");
}
END_TEST

START_TEST(render_topology)
{
	busy_world();
	px->topo = topo_new("site-a");
	ck_assert_ptr_nonnull(px->topo);
	render();
	ck_line("proxyd_topology_origins 0");
	ck_line("proxyd_topology_reachable_proxies 3");
	ck_line("proxyd_topology_prefix_conflicts 2");
	ck_line("proxyd_routes 0");
	ck_line("proxyd_flows 0");
	topo_free(px->topo);
	px->topo = NULL;
}
END_TEST

/*
 * The event loop's lag and timed work as histograms in seconds: buckets
 * cumulative, ending in +Inf, with _sum and _count; the run-queue wait as
 * a counter once a schedstat reading was given.
 */
START_TEST(render_loop_lag_histograms)
{
	render();
	ck_line("proxyd_event_loop_lag_seconds_count 0");
	ck_assert_ptr_null(strstr(text, "proxyd_run_queue_wait"));
	looplag_sample(&px->lag, 1000000, 3000, 1500);		/* 3 ms */
	looplag_sample(&px->lag, 2000000, 300000, 250000);	/* 300 ms */
	looplag_sample(&px->lag, 3000000, 0, 0);
	looplag_work(&px->lag, LOOPLAG_ROUTES, 0, 40000, 30000);	/* 40 ms */
	render();
	ck_line("# TYPE proxyd_event_loop_lag_seconds histogram");
	ck_line("proxyd_event_loop_lag_seconds_bucket{le=\"0.001\"} 1");
	ck_line("proxyd_event_loop_lag_seconds_bucket{le=\"0.005\"} 2");
	ck_line("proxyd_event_loop_lag_seconds_bucket{le=\"0.25\"} 2");
	ck_line("proxyd_event_loop_lag_seconds_bucket{le=\"0.5\"} 3");
	ck_line("proxyd_event_loop_lag_seconds_bucket{le=\"+Inf\"} 3");
	ck_line("proxyd_event_loop_lag_seconds_sum 0.303");
	ck_line("proxyd_event_loop_lag_seconds_count 3");
	ck_line("proxyd_event_loop_work_seconds_bucket{le=\"0.02\"} 0");
	ck_line("proxyd_event_loop_work_seconds_bucket{le=\"0.05\"} 1");
	ck_line("proxyd_event_loop_work_seconds_count 1");
	ck_line("# TYPE proxyd_run_queue_wait_seconds_total counter");
	ck_line("proxyd_run_queue_wait_seconds_total 0.2515");
	check_format(text);
}
END_TEST

/*
 * Label values escape backslash, double quote and line feed (\\, \", \n);
 * nothing else.  No proxy name has them today, but the renderer must not
 * trust that.
 */
START_TEST(render_escapes_label_values)
{
	struct link *l;

	l = fake_link_add(px, "a\"b\\c\nd", LINK_UP, "192.0.2.1", 4790);
	(void)l;
	add_path("x\\\"\n", "x", 1);
	check_format(render());
	ck_line("proxyd_link_up{peer=\"a\\\"b\\\\c\\nd\"} 1");
	ck_line("proxyd_destination_hops{dest=\"x\\\\\\\"\\n\"} 1");
}
END_TEST

/* ---- the HTTP server ---- */

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Sends req to the server at 127.0.0.1:port and reads the answer until
 * the server closes, turning px's loop meanwhile; the answer (malloc'd,
 * NUL-terminated).
 */
static char *
http(uint16_t port, const char *req, size_t reqlen)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	size_t len = 0, cap = 65536, off = 0;
	uint64_t end = mono_ms() + WAIT_MS;
	char *buf = malloc(cap + 1);
	int fd;

	ck_assert_ptr_nonnull(buf);
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	for (;;) {
		ssize_t n;

		event_base_loop(px->base, EVLOOP_NONBLOCK);
		if (off < reqlen) {
			n = send(fd, req + off, reqlen - off,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				off = reqlen;	/* the server hung up */
		}
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap + 1);
			ck_assert_ptr_nonnull(buf);
		}
		n = recv(fd, buf + len, cap - len, MSG_DONTWAIT);
		if (n > 0)
			len += (size_t)n;
		else if (n == 0 || (errno != EAGAIN && errno != EINTR))
			break;
		ck_assert_msg(mono_ms() < end, "no complete answer in %d ms "
		    "(%zu bytes so far)", WAIT_MS, len);
		if (n < 0)
			usleep(200);
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static char *
http_str(uint16_t port, const char *req)
{
	return http(port, req, strlen(req));
}

static struct metrics *
open_loopback(void)
{
	struct metrics *m;
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };

	m = metrics_open(px, lo, 0);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_ne(metrics_port(m), 0);
	return m;
}

START_TEST(http_get_metrics)
{
	struct metrics *m;
	char *a, *body;

	busy_world();
	m = open_loopback();
	a = http_str(metrics_port(m), "GET /metrics HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n");
	ck_assert_msg(strncmp(a, "HTTP/1.1 200 OK\r\n", 17) == 0, "%.300s", a);
	ck_assert_ptr_nonnull(strstr(a, "\r\nContent-Type: "
	    METRICS_CONTENT_TYPE "\r\n"));
	body = strstr(a, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	body += 4;
	/* the scrape timed itself after its rendering (a work sample) */
	ck_assert_uint_eq(px->lag.busy.count, 1);
	looplag_init(&px->lag);
	render();
	ck_assert_str_eq(body, text);
	free(a);
	/* a query string is still the same path */
	a = http_str(metrics_port(m), "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
	ck_assert_msg(strncmp(a, "HTTP/1.0 200 OK\r\n", 17) == 0 ||
	    strncmp(a, "HTTP/1.1 200 OK\r\n", 17) == 0, "%.300s", a);
	free(a);
	metrics_close(m);
}
END_TEST

START_TEST(http_head_has_no_body)
{
	struct metrics *m = open_loopback();
	char *a, *body;

	a = http_str(metrics_port(m), "HEAD /metrics HTTP/1.1\r\n"
	    "Host: x\r\nConnection: close\r\n\r\n");
	ck_assert_msg(strncmp(a, "HTTP/1.1 200 OK\r\n", 17) == 0, "%.300s", a);
	ck_assert_msg(strstr(a, "\r\nContent-Length: ") != NULL, "%.300s", a);
	body = strstr(a, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	ck_assert_msg(body[4] == '\0', "a body: %.100s", body + 4);
	free(a);
	/* on one connection, a GET's answer follows the HEAD's headers */
	a = http_str(metrics_port(m), "HEAD /metrics HTTP/1.1\r\nHost: x\r\n"
	    "\r\nGET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
	    "\r\n");
	body = strstr(a, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	ck_assert_msg(strncmp(body + 4, "HTTP/1.1 200 OK\r\n", 17) == 0,
	    "after the HEAD's headers: %.100s", body + 4);
	free(a);
	metrics_close(m);
}
END_TEST

START_TEST(http_other_paths_404)
{
	static const char *const paths[] = { "/", "/metric", "/metrics/",
	    "/metricsx", "/favicon.ico", "/../metrics" };
	struct metrics *m = open_loopback();

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char req[128], *a;

		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n"
		    "Connection: close\r\n\r\n", paths[i]);
		a = http_str(metrics_port(m), req);
		ck_assert_msg(strncmp(a, "HTTP/1.1 404 ", 13) == 0, "%s: %.300s",
		    paths[i], a);
		ck_assert_ptr_null(strstr(a, "proxyd_"));
		free(a);
	}
	metrics_close(m);
}
END_TEST

START_TEST(http_other_methods_405)
{
	static const char *const methods[] = { "POST", "PUT", "DELETE",
	    "OPTIONS", "PATCH" };
	struct metrics *m = open_loopback();

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		char req[128], *a;

		snprintf(req, sizeof(req), "%s /metrics HTTP/1.1\r\nHost: x\r\n"
		    "Connection: close\r\n\r\n", methods[i]);
		a = http_str(metrics_port(m), req);
		ck_assert_msg(strncmp(a, "HTTP/1.1 405 ", 13) == 0, "%s: %.300s",
		    methods[i], a);
		ck_assert_ptr_nonnull(strstr(a, "\r\nAllow: GET, HEAD\r\n"));
		free(a);
	}
	metrics_close(m);
}
END_TEST

/* Headers past METRICS_HEADERS_MAX, and any body: refused, closed. */
START_TEST(http_request_size_bounded)
{
	struct metrics *m = open_loopback();
	size_t n = METRICS_HEADERS_MAX + 1024;
	char *req = malloc(n + 64), *a;
	int k;

	ck_assert_ptr_nonnull(req);
	k = snprintf(req, n, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(req + k, 'a', n - (size_t)k);
	memcpy(req + n, "\r\n\r\n", 4);
	a = http(metrics_port(m), req, n + 4);
	ck_assert_msg(strncmp(a, "HTTP/1.1 4", 10) == 0 || a[0] == '\0',
	    "%.200s", a);
	ck_assert_ptr_null(strstr(a, "proxyd_"));
	free(a);
	free(req);
	a = http_str(metrics_port(m), "GET /metrics HTTP/1.1\r\nHost: x\r\n"
	    "Content-Length: 5\r\nConnection: close\r\n\r\nhello");
	ck_assert_msg(strncmp(a, "HTTP/1.1 413 ", 13) == 0, "%.200s", a);
	free(a);
	metrics_close(m);
}
END_TEST

START_TEST(http_bind_failure_is_null)
{
	struct metrics *m = open_loopback(), *m2;
	struct in_addr lo = { htonl(INADDR_LOOPBACK) };

	m2 = metrics_open(px, lo, metrics_port(m));
	ck_assert_ptr_null(m2);
	metrics_close(m);
	metrics_close(NULL);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc;

	tc = tcase_create("render");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, render_is_the_text_format);
	tcase_add_test(tc, render_empty_world_is_the_text_format);
	tcase_add_test(tc, render_build_info);
	tcase_add_test(tc, render_links_one_per_peer);
	tcase_add_test(tc, render_link_state_is_a_state_set);
	tcase_add_test(tc, render_rtt_in_seconds_once_measured);
	tcase_add_test(tc, render_nat_type_and_lifetime);
	tcase_add_test(tc, render_destinations_and_channels);
	tcase_add_test(tc, render_relay_channel);
	tcase_add_test(tc, render_counters_by_reason);
	tcase_add_test(tc, render_topology);
	tcase_add_test(tc, render_loop_lag_histograms);
	tcase_add_test(tc, render_escapes_label_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("http");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, http_get_metrics);
	tcase_add_test(tc, http_head_has_no_body);
	tcase_add_test(tc, http_other_paths_404);
	tcase_add_test(tc, http_other_methods_405);
	tcase_add_test(tc, http_request_size_bounded);
	tcase_add_test(tc, http_bind_failure_is_null);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
