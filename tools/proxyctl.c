/* SPDX-License-Identifier: ISC */
/*
 * This file owns proxyctl, the command-line client of proxyd's control
 * socket: the subcommand table, the connection and hello exchange (plain
 * blocking POSIX sockets with poll() timeouts), and the output, either
 * aligned text tables for people or a JSON array of rows for scripts.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1	/* getopt "+", SOCK_CLOEXEC, MSG_NOSIGNAL */
#endif

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "json.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION	"0.1"
#endif

#define CTL_TIMEOUT_MS	10000	/* give up when proxyd is silent this long */
#define REQ_ID		1
#define PKT_NAME_BUF	72	/* a proxy name (63) and room */
#define RUN_DIR		"/run/proxyd"	/* where proxyd puts its sockets */
#define WRAP_MIN	24	/* a wrapped last column keeps this much room */

/* How a cell is shown in table mode; -j always passes the value through. */
enum fmt {
	FMT_STR,	/* text as is */
	FMT_NUM,	/* number as sent */
	FMT_MS,		/* milliseconds, 2 decimals: "12.34ms" */
	FMT_SECS,	/* duration: "3.2s", "4m05s", "2h10m", "3d04h" */
	FMT_BYTES,	/* "512B", "1.5KiB", "3.0GiB" */
	FMT_LINKS,	/* topology links array: "peer:nat:cost peer:nat:cost" */
	FMT_LIST,	/* array of strings: "a b c" */
	FMT_PATH,	/* array of strings: "a > b > c" */
	FMT_TRIALS,	/* array of {trial, outcome}: "trial=outcome ..." */
	FMT_LIFETIME,	/* lifetime_s with the row's "lifetime": "120s", ">=60s" */
};

/* When a column is shown. */
enum show {
	SHOW_ALWAYS,	/* whatever the width */
	SHOW_WIDE,	/* dropped, right to left, while the table is too wide */
	SHOW_VERBOSE,	/* only with -v */
};

struct column {
	const char	*head;		/* table header, or status label */
	const char	*field;		/* key in the row object */
	enum fmt	 fmt;
	enum show	 show;
	bool		 below;		/* printed under the row, "HEAD: text" */
};

enum out_kind {
	OUT_TABLE,	/* one line per row under a header */
	OUT_KV,		/* "label: value" lines (status) */
	OUT_TEXT,	/* each row's "text" field on a line (explain) */
};

struct command {
	const char		*name;
	const char		*alias;
	int			 min_args;
	int			 max_args;
	const char		*args_usage;
	const char		*help;
	enum out_kind		 out;
	const struct column	*cols;	/* NULL: columns from the rows */
	int			 (*check)(int, char **);
};

/* Rows as received: the raw text of each row object. */
struct rows {
	char	**v;
	size_t	  n;
	size_t	  cap;
};

struct conn {
	int		 fd;
	const char	*path;
	size_t		 start;		/* unread: buf[start..len) */
	size_t		 len;
	char		 buf[JSON_LINE_MAX + 1];	/* a line and '\n' */
};

static int	check_topology(int, char **);

/* Fields per command, in the order of lib/ctl.h. */
static const struct column status_cols[] = {
	{ "name",		"name",			FMT_STR, SHOW_ALWAYS, false },
	{ "version",		"version",		FMT_STR, SHOW_ALWAYS, false },
	{ "uptime",		"uptime_s",		FMT_SECS, SHOW_ALWAYS, false },
	{ "neighbours up",	"neighbours_up",	FMT_NUM, SHOW_ALWAYS, false },
	{ "neighbours",		"neighbours",		FMT_NUM, SHOW_ALWAYS, false },
	{ "routes",		"routes",		FMT_NUM, SHOW_ALWAYS, false },
	{ "flows",		"flows",		FMT_NUM, SHOW_ALWAYS, false },
	{ "rx packets",		"rx_packets",		FMT_NUM, SHOW_ALWAYS, false },
	{ "tx packets",		"tx_packets",		FMT_NUM, SHOW_ALWAYS, false },
	{ "rx bytes",		"rx_bytes",		FMT_BYTES, SHOW_ALWAYS, false },
	{ "tx bytes",		"tx_bytes",		FMT_BYTES, SHOW_ALWAYS, false },
	{ "drop malformed",	"drop_malformed",	FMT_NUM, SHOW_ALWAYS, false },
	{ "drop auth",		"drop_auth",		FMT_NUM, SHOW_ALWAYS, false },
	{ "drop replay",	"drop_replay",		FMT_NUM, SHOW_ALWAYS, false },
	{ "drop policy",	"drop_policy",		FMT_NUM, SHOW_ALWAYS, false },
	{ "drop noroute",	"drop_noroute",		FMT_NUM, SHOW_ALWAYS, false },
	{ "drop ttl",		"drop_ttl",		FMT_NUM, SHOW_ALWAYS, false },
	{ "drop source",	"drop_source",		FMT_NUM, SHOW_ALWAYS, false },
	{ "drop CRL",		"drop_crl",		FMT_NUM, SHOW_ALWAYS, false },
	{ "CRL number",		"crl_number",		FMT_NUM, SHOW_ALWAYS, false },
	{ "CRLs adopted",	"crl_adopted",		FMT_NUM, SHOW_ALWAYS, false },
	{ "links closed: revoked", "revoked_closed",	FMT_NUM, SHOW_ALWAYS, false },
	{ "auth refused",	"auth_refused",		FMT_NUM, SHOW_ALWAYS, false },
	{ "clones detected",	"clones_detected",	FMT_NUM, SHOW_ALWAYS, false },
	{ "clone refused",	"clone_refused",	FMT_NUM, SHOW_ALWAYS, false },
	{ "rekeys",		"rekeys",		FMT_NUM, SHOW_ALWAYS, false },
	{ "rekeys failed",	"rekey_failed",		FMT_NUM, SHOW_ALWAYS, false },
	{ "links closed: expired", "expired_closed",	FMT_NUM, SHOW_ALWAYS, false },
	{ "certificate expires in", "cert_expires_s",	FMT_SECS, SHOW_ALWAYS, false },
	{ "certificate warning", "cert_warning",	FMT_STR, SHOW_ALWAYS, false },
	{ "UDP blocked",	"udp_blocked",		FMT_STR, SHOW_ALWAYS, false },
	{ "TCP accepted",	"tcp_accepted",		FMT_NUM, SHOW_ALWAYS, false },
	{ "TCP over hs limit",	"tcp_hs_limit",		FMT_NUM, SHOW_ALWAYS, false },
	{ "TCP hs timeouts",	"tcp_hs_timeout",	FMT_NUM, SHOW_ALWAYS, false },
	{ "TCP malformed",	"tcp_malformed",	FMT_NUM, SHOW_ALWAYS, false },
	{ "TCP truncated",	"tcp_truncated",	FMT_NUM, SHOW_ALWAYS, false },
	{ "drop TCP queue",	"drop_tcp_queue",	FMT_NUM, SHOW_ALWAYS, false },
	{ "UDP->TCP fallbacks",	"udp_fallbacks",	FMT_NUM, SHOW_ALWAYS, false },
	{ "transport moves",	"link_moves",		FMT_NUM, SHOW_ALWAYS, false },
	{ "IPv4->IPv6 upgrades", "family_upgrades",	FMT_NUM, SHOW_ALWAYS, false },
	{ "IPv6 tries",		"family_upgrade_tries",	FMT_NUM, SHOW_ALWAYS, false },
	{ "IPv6 tries failed",	"family_upgrade_failed", FMT_NUM, SHOW_ALWAYS, false },
	{ "tun",		"tun",			FMT_STR, SHOW_ALWAYS, false },
	{ "tun rx packets",	"tun_rx",		FMT_NUM, SHOW_ALWAYS, false },
	{ "tun tx packets",	"tun_tx",		FMT_NUM, SHOW_ALWAYS, false },
	{ "tun tx GSO frames",	"tun_gso",		FMT_NUM, SHOW_ALWAYS, false },
	{ "tun rx GSO frames",	"tun_rx_gso",		FMT_NUM, SHOW_ALWAYS, false },
	{ "split pieces tx",	"frag_tx",		FMT_NUM, SHOW_ALWAYS, false },
	{ "split pieces rx",	"frag_rx",		FMT_NUM, SHOW_ALWAYS, false },
	{ "split joined",	"frag_joined",		FMT_NUM, SHOW_ALWAYS, false },
	{ "drop split",		"drop_frag",		FMT_NUM, SHOW_ALWAYS, false },
	{ "headers left out tx", "hc_tx",		FMT_NUM, SHOW_ALWAYS, false },
	{ "header contexts tx",	"hc_set_tx",		FMT_NUM, SHOW_ALWAYS, false },
	{ "headers put back rx", "hc_rx",		FMT_NUM, SHOW_ALWAYS, false },
	{ "header contexts rx",	"hc_set_rx",		FMT_NUM, SHOW_ALWAYS, false },
	{ "drop no context",	"drop_hc_miss",		FMT_NUM, SHOW_ALWAYS, false },
	{ "TCP MSS clamped",	"tcp_mss_clamped",	FMT_NUM, SHOW_ALWAYS, false },
	{ "drop too big",	"drop_toobig",		FMT_NUM, SHOW_ALWAYS, false },
	{ "proxies known",	"proxies",		FMT_NUM, SHOW_ALWAYS, false },
	{ "prefix conflicts",	"conflicts",		FMT_NUM, SHOW_ALWAYS, false },
	{ "ads verified",	"lsa_verified",		FMT_NUM, SHOW_ALWAYS, false },
	{ "ads unchanged",	"lsa_unchanged",	FMT_NUM, SHOW_ALWAYS, false },
	{ "ads unsigned",	"lsa_unsigned",		FMT_NUM, SHOW_ALWAYS, false },
	{ "ads bad cert",	"lsa_bad_cert",		FMT_NUM, SHOW_ALWAYS, false },
	{ "ads forged",		"lsa_forged",		FMT_NUM, SHOW_ALWAYS, false },
	{ "ads over rate",	"lsa_rate",		FMT_NUM, SHOW_ALWAYS, false },
	{ "ads table full",	"lsa_full",		FMT_NUM, SHOW_ALWAYS, false },
	{ "prefix claims refused", "lsa_refused_prefixes", FMT_NUM, SHOW_ALWAYS, false },
	{ "ads waiting for check", "lsa_queue",		FMT_NUM, SHOW_ALWAYS, false },
	{ "ads waiting, peak",	"lsa_queue_peak",	FMT_NUM, SHOW_ALWAYS, false },
	{ "ads lost waiting",	"lsa_queue_dropped",	FMT_NUM, SHOW_ALWAYS, false },
	{ "ads replaced waiting", "lsa_queue_replaced",	FMT_NUM, SHOW_ALWAYS, false },
	{ "conn requests",	"conn_requests",	FMT_NUM, SHOW_ALWAYS, false },
	{ "first pkts queued",	"queued",		FMT_NUM, SHOW_ALWAYS, false },
	{ "drop queue full",	"drop_queue",		FMT_NUM, SHOW_ALWAYS, false },
	{ "drop raw ESP (NAT)",	"drop_esp_nat",		FMT_NUM, SHOW_ALWAYS, false },
	{ "translated out",	"xlat_out",		FMT_NUM, SHOW_ALWAYS, false },
	{ "translated in",	"xlat_in",		FMT_NUM, SHOW_ALWAYS, false },
	{ NULL,			NULL,			FMT_STR, SHOW_ALWAYS, false }
};

/*
 * Tables fit the terminal (term_width()): SHOW_WIDE columns go first, right
 * to left, when the table is too wide; the last column wraps; long text
 * goes under its row.  The typical widths below are for names of 6-8
 * characters.
 */
static const struct column neighbour_cols[] = {
	{ "NAME",		"name",		FMT_STR,	SHOW_ALWAYS, false },
	{ "ADDRESS",		"addr",		FMT_STR,	SHOW_ALWAYS, false },
	{ "STATE",		"state",	FMT_STR,	SHOW_ALWAYS, false },
	{ "DIR",		"dir",		FMT_STR,	SHOW_ALWAYS, false },
	{ "VIA",		"transport",	FMT_STR,	SHOW_ALWAYS, false },
	{ "RTT",		"rtt_ms",	FMT_MS,		SHOW_ALWAYS, false },
	{ "LAST-RX",		"last_rx_s",	FMT_SECS,	SHOW_ALWAYS, false },
	{ "UP",			"up_s",		FMT_SECS,	SHOW_ALWAYS, false },
	{ "KEEPALIVE",		"ka_interval_s", FMT_SECS,	SHOW_WIDE, false },
	{ "DEAD-AFTER",		"dead_after_s",	FMT_SECS,	SHOW_WIDE, false },
	{ "RECONNECTS",		"reconnects",	FMT_NUM,	SHOW_WIDE, false },
	{ "REKEYS",		"rekeys",	FMT_NUM,	SHOW_WIDE, false },
	{ "RX-PKTS",		"rx_packets",	FMT_NUM,	SHOW_VERBOSE, false },
	{ "TX-PKTS",		"tx_packets",	FMT_NUM,	SHOW_VERBOSE, false },
	{ "PMTU",		"pmtu",		FMT_BYTES,	SHOW_VERBOSE, false },
	{ "CLONE",		"clone",	FMT_STR,	SHOW_ALWAYS, true },
	{ "LAST-ERROR",		"last_error",	FMT_STR,	SHOW_ALWAYS, true },
	{ NULL,			NULL,		FMT_STR,	SHOW_ALWAYS, false }
};

static const struct column route_cols[] = {
	{ "PREFIX",		"prefix",	FMT_STR,	SHOW_ALWAYS, false },
	{ "DEST",		"dest",		FMT_STR,	SHOW_ALWAYS, false },
	{ "NEXT-HOP",		"next_hop",	FMT_STR,	SHOW_ALWAYS, false },
	{ "HOPS",		"hops",		FMT_NUM,	SHOW_WIDE, false },
	{ "COST",		"cost",		FMT_NUM,	SHOW_WIDE, false },
	{ "PATH-NAT",		"path_nat",	FMT_STR,	SHOW_ALWAYS, false },
	{ "CHANNEL",		"channel",	FMT_STR,	SHOW_ALWAYS, false },
	{ "SINCE",		"channel_s",	FMT_SECS,	SHOW_WIDE, false },
	{ "NAT-FROM",		"path_nat_from", FMT_STR,	SHOW_VERBOSE, false },
	{ "DIRECT",		"direct",	FMT_STR,	SHOW_VERBOSE, false },
	{ "KERNEL",		"kernel",	FMT_STR,	SHOW_ALWAYS, false },
	{ "REASON",		"reason",	FMT_STR,	SHOW_ALWAYS, true },
	{ "DECISION",		"decision",	FMT_STR,	SHOW_VERBOSE, true },
	{ "FLOW-SRC",		"flow_src",	FMT_STR,	SHOW_VERBOSE, false },
	{ "FLOW-DST",		"flow_dst",	FMT_STR,	SHOW_VERBOSE, false },
	{ "KERNEL-REASON",	"kernel_reason", FMT_STR,	SHOW_VERBOSE, true },
	{ NULL,			NULL,		FMT_STR,	SHOW_ALWAYS, false }
};

static const struct column topology_cols[] = {
	{ "ORIGIN",		"origin",	FMT_STR,	SHOW_ALWAYS, false },
	{ "SEQ",		"seq",		FMT_NUM,	SHOW_WIDE, false },
	{ "AGE",		"age_s",	FMT_SECS,	SHOW_WIDE, false },
	{ "ENDPOINT",		"endpoint",	FMT_STR,	SHOW_WIDE, false },
	{ "PREFIXES",		"prefixes",	FMT_LIST,	SHOW_ALWAYS, false },
	{ "LINKS (peer:nat:cost)", "links",	FMT_LINKS,	SHOW_ALWAYS, false },
	{ "REFUSED",		"refused",	FMT_STR,	SHOW_ALWAYS, false },
	{ NULL,			NULL,		FMT_STR,	SHOW_ALWAYS, false }
};

static const struct column flow_cols[] = {
	{ "PROTO",		"proto",	FMT_STR,	SHOW_ALWAYS, false },
	{ "SRC",		"src",		FMT_STR,	SHOW_ALWAYS, false },
	{ "DST",		"dst",		FMT_STR,	SHOW_ALWAYS, false },
	{ "SPI",		"spi",		FMT_STR,	SHOW_WIDE, false },
	{ "PACKETS",		"packets",	FMT_NUM,	SHOW_ALWAYS, false },
	{ "BYTES",		"bytes",	FMT_BYTES,	SHOW_ALWAYS, false },
	{ "LAST-SEEN",		"last_seen_s",	FMT_SECS,	SHOW_WIDE, false },
	{ "REAL",		"real",		FMT_STR,	SHOW_WIDE, false },
	{ "NAT-REFUSED",	"nat_refused",	FMT_NUM,	SHOW_WIDE, false },
	{ NULL,			NULL,		FMT_STR,	SHOW_ALWAYS, false }
};

static const struct column ping_cols[] = {
	{ "PROXY",		"name",		FMT_STR,	SHOW_ALWAYS, false },
	{ "RTT",		"rtt_ms",	FMT_MS,		SHOW_ALWAYS, false },
	{ "HOPS-THERE",		"hops_there",	FMT_NUM,	SHOW_WIDE, false },
	{ "HOPS-BACK",		"hops_back",	FMT_NUM,	SHOW_WIDE, false },
	{ "VIA",		"via",		FMT_STR,	SHOW_ALWAYS, false },
	{ "PATH",		"path",		FMT_PATH,	SHOW_ALWAYS, false },
	{ NULL,			NULL,		FMT_STR,	SHOW_ALWAYS, false }
};

/* nat -v: the evidence (mapping, filtering, trials, assumptions) */
static const struct column nat_cols[] = {
	{ "NAME",		"name",		FMT_STR,	SHOW_ALWAYS, false },
	{ "TYPE",		"type",		FMT_STR,	SHOW_ALWAYS, false },
	{ "REMOTE-TYPE",	"remote_type",	FMT_STR,	SHOW_ALWAYS, false },
	{ "LIFETIME",		"lifetime_s",	FMT_LIFETIME,	SHOW_ALWAYS, false },
	{ "MAPPED",		"mapped",	FMT_STR,	SHOW_WIDE, false },
	{ "KEEPALIVE",		"ka_interval_s", FMT_SECS,	SHOW_WIDE, false },
	{ "MEASURED",		"measured_s",	FMT_SECS,	SHOW_WIDE, false },
	{ "MAPPING",		"mapping",	FMT_STR,	SHOW_VERBOSE, true },
	{ "FILTERING",		"filtering",	FMT_STR,	SHOW_VERBOSE, true },
	{ "TRIALS",		"trials",	FMT_TRIALS,	SHOW_VERBOSE, true },
	{ "ASSUMED",		"assumed",	FMT_LIST,	SHOW_VERBOSE, true },
	{ "REMOTE-ASSUMED",	"remote_assumed", FMT_LIST,	SHOW_VERBOSE, true },
	{ NULL,			NULL,		FMT_STR,	SHOW_ALWAYS, false }
};

/*
 * The subcommand table (bgpctl parser.c, wg.c).  Commands the daemon does
 * not know yet are still sent: it answers "not_implemented", which is
 * printed like any other error.
 */
static const struct command commands[] = {
	{ "status", NULL, 0, 0, "",
	    "summary: uptime, traffic and drop counters", OUT_KV,
	    status_cols, NULL },
	{ "neighbours", "neighbors", 0, 0, "",
	    "links: state, RTT, keepalive", OUT_TABLE,
	    neighbour_cols, NULL },
	{ "nat", NULL, 0, 0, "",
	    "NAT type measured on each link (-v: the trials)", OUT_TABLE,
	    nat_cols, NULL },
	{ "topology", NULL, 0, 1, "[--dot]",
	    "links known network-wide (--dot: Graphviz)", OUT_TABLE,
	    topology_cols, check_topology },
	{ "routes", NULL, 0, 0, "",
	    "site prefixes, destination proxy, next hop", OUT_TABLE,
	    route_cols, NULL },
	{ "flows", NULL, 0, 0, "",
	    "IKE and ESP conversations on the data path", OUT_TABLE,
	    flow_cols, NULL },
	{ "probe", NULL, 1, 1, "NEIGHBOUR",
	    "run the NAT-type trials against a neighbour", OUT_TABLE, NULL,
	    NULL },
	{ "explain", NULL, 1, 1, "PROXY|ADDRESS",
	    "why traffic to a site is relayed or direct, in words", OUT_TEXT,
	    NULL, NULL },
	{ "ping", NULL, 1, 1, "PROXY",
	    "echo to a proxy and back, hop by hop: round trip and path",
	    OUT_TABLE, ping_cols, NULL },
	{ "reload", NULL, 0, 0, "",
	    "apply the configuration file again (all or nothing)", OUT_TEXT,
	    NULL, NULL },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

/* Replies are parsed into these; too large for the stack. */
static struct json_doc	reply_doc;
static struct json_doc	row_doc;

static void
warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
warnmsg(const char *fmt, ...)
{
	va_list	ap;

	fputs("proxyctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n, size)) == NULL) {
		warnmsg("out of memory");
		exit(1);
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	char *p;

	if ((p = strdup(s)) == NULL) {
		warnmsg("out of memory");
		exit(1);
	}
	return p;
}

static void
usage_short(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: proxyctl [-hjvV] [-s SOCKET] COMMAND [ARGS]\n"
	    "commands:");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(fp, " %s", commands[i].name);
	fputc('\n', fp);
}

static void
usage_long(void)
{
	char	what[64];
	size_t	i;

	printf("usage: proxyctl [-hjvV] [-s SOCKET] COMMAND [ARGS]\n"
	    "\n"
	    "Show the state of a running proxyd through its control socket.\n"
	    "Options may come anywhere on the line.\n"
	    "\n"
	    "options:\n"
	    "  -s, --socket SOCKET  control socket (default: $PROXYCTL_SOCKET,\n"
	    "                       else the only proxyd running in %s)\n"
	    "  -j, --json           print the rows as a JSON array, one object\n"
	    "                       per line (not with --dot)\n"
	    "  -v, --verbose        every column: nat -v shows the trials and\n"
	    "                       what they assumed\n"
	    "  -V, --version        print the version and exit\n"
	    "  -h, --help           print this help and exit\n"
	    "\n"
	    "commands:\n", RUN_DIR);
	for (i = 0; i < NCOMMANDS; i++) {
		snprintf(what, sizeof(what), "%s%s%s", commands[i].name,
		    commands[i].args_usage[0] ? " " : "",
		    commands[i].args_usage);
		printf("  %-18s  %s", what, commands[i].help);
		if (commands[i].alias != NULL)
			printf(" (alias: %s)", commands[i].alias);
		putchar('\n');
	}
	printf("\n"
	    "environment:\n"
	    "  PROXYCTL_SOCKET  control socket when -s is not given\n"
	    "  COLUMNS          width to fit tables in (default: the terminal's;\n"
	    "                   none when not a terminal)\n"
	    "\n"
	    "Tables are for people: durations in s/m/h/d, sizes in B/KiB/MiB,\n"
	    "round trips in ms, COST in path cost units (see proxyctl(8)), and\n"
	    "\"-\" for a value not known.  With -j the rows are passed through\n"
	    "exactly as proxyd sent them (fields in proxyctl(8)), e.g.\n"
	    "  proxyctl -j neighbours | jq -r '.[] | select(.state != \"up\")"
	    " | .name'\n"
	    "  proxyctl topology --dot | dot -Tsvg > topology.svg\n"
	    "\n"
	    "Exit status is 0 on success and 1 on any error, with a message"
	    " on stderr.\n"
	    "See proxyctl(8).\n");
}

static int
check_topology(int argc, char **argv)
{
	if (argc == 1 && strcmp(argv[0], "--dot") != 0) {
		warnmsg("topology: unknown argument '%s' (expected --dot)",
		    argv[0]);
		return -1;
	}
	return 0;
}

static const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0 ||
		    (commands[i].alias != NULL &&
		    strcmp(commands[i].alias, name) == 0))
			return &commands[i];
	return NULL;
}

/*
 * Connection.  Every wait goes through poll() with CTL_TIMEOUT_MS, so a
 * daemon that stops answering cannot hang a script.
 */

static int
conn_wait(struct conn *c, short events)
{
	struct pollfd	pfd = { .fd = c->fd, .events = events };
	int		r;

	for (;;) {
		r = poll(&pfd, 1, CTL_TIMEOUT_MS);
		if (r > 0)
			return 0;
		if (r == 0) {
			warnmsg("timed out after %d s waiting for proxyd on "
			    "'%s'", CTL_TIMEOUT_MS / 1000, c->path);
			return -1;
		}
		if (errno != EINTR) {
			warnmsg("poll: %s", strerror(errno));
			return -1;
		}
	}
}

static int
conn_open(struct conn *c, const char *path)
{
	struct sockaddr_un	sun;
	struct timeval		tv = { .tv_sec = CTL_TIMEOUT_MS / 1000 };
	int			saved;

	c->path = path;
	c->start = c->len = 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		warnmsg("cannot connect to '%s': socket path too long", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		warnmsg("cannot create socket: %s", strerror(errno));
		return -1;
	}
	/* Bounds a connect() to a daemon whose backlog is full. */
	(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		saved = errno;
		if (saved == EAGAIN || saved == EWOULDBLOCK)
			warnmsg("cannot connect to '%s': timed out", path);
		else
			warnmsg("cannot connect to '%s': %s%s", path,
			    strerror(saved), saved == ENOENT ||
			    saved == ECONNREFUSED ? " (is proxyd running?)" :
			    "");
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* Sends line and a '\n'. */
static int
conn_send(struct conn *c, const char *line, size_t len)
{
	const char	nl = '\n';
	const char	*p = line;
	size_t		left = len;
	ssize_t		n;
	bool		eol = false;

	while (left > 0 || !eol) {
		if (left == 0) {
			p = &nl;
			left = 1;
			eol = true;
		}
		if (conn_wait(c, POLLOUT) == -1)
			return -1;
		n = send(c->fd, p, left, MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			warnmsg("cannot send to '%s': %s", c->path,
			    strerror(errno));
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

/*
 * Returns the next line, without its '\n', in *line (valid until the next
 * call).  A line longer than JSON_LINE_MAX is an error, as is EOF.
 */
static int
conn_readline(struct conn *c, char **line, size_t *len)
{
	char	*nl;
	ssize_t	 n;

	for (;;) {
		nl = memchr(c->buf + c->start, '\n', c->len - c->start);
		if (nl != NULL) {
			*line = c->buf + c->start;
			*len = (size_t)(nl - *line);
			*nl = '\0';
			c->start = (size_t)(nl - c->buf) + 1;
			return 0;
		}
		if (c->start > 0) {
			memmove(c->buf, c->buf + c->start, c->len - c->start);
			c->len -= c->start;
			c->start = 0;
		}
		if (c->len == sizeof(c->buf)) {
			warnmsg("reply from proxyd longer than %d bytes",
			    JSON_LINE_MAX);
			return -1;
		}
		if (conn_wait(c, POLLIN) == -1)
			return -1;
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			warnmsg("cannot read from '%s': %s", c->path,
			    strerror(errno));
			return -1;
		}
		if (n == 0) {
			warnmsg("proxyd closed the connection%s",
			    c->len > 0 ? " in the middle of a reply" : "");
			return -1;
		}
		c->len += (size_t)n;
	}
}

/* Reads and parses the next reply line into reply_doc. */
static int
conn_reply(struct conn *c)
{
	const char	*why = NULL;
	char		*line;
	size_t		 len;

	if (conn_readline(c, &line, &len) == -1)
		return -1;
	if (json_parse(line, len, &reply_doc, &why) == -1) {
		warnmsg("bad reply from proxyd: %s", why);
		return -1;
	}
	return 0;
}

/* An {"ok":false} reply: prints its message. */
static bool
reply_is_error(const struct json_doc *d)
{
	const struct json_kv	*ok = json_get(d, "ok");
	const char		*msg, *code;

	if (ok == NULL || ok->type != JSON_BOOL || strcmp(ok->val, "false"))
		return false;
	msg = json_get_str(d, "msg");
	code = json_get_str(d, "error");
	if (msg != NULL && *msg != '\0')
		warnmsg("%s", msg);
	else
		warnmsg("proxyd refused the request: %s",
		    code != NULL ? code : "unknown error");
	return true;
}

static bool
reply_is_true(const struct json_doc *d, const char *key)
{
	const struct json_kv *kv = json_get(d, key);

	return kv != NULL && kv->type == JSON_BOOL &&
	    strcmp(kv->val, "true") == 0;
}

/*
 * The reply's id: returns 0 with *id set, -1 when there is none (only a
 * connection-level error lacks one), or -2 after a message when it is not
 * an integer.
 */
static int
reply_id(const struct json_doc *d, int64_t *id)
{
	if (json_get(d, "id") == NULL)
		return -1;
	if (json_get_int(d, "id", id) == -1) {
		warnmsg("bad reply from proxyd: 'id' is not an integer");
		return -2;
	}
	return 0;
}

/*
 * Builds a JSON array of strings.  json.h has no array writer, so each
 * string is escaped by writing it as the value of {"":...} and cutting it
 * out of that object.
 */
static int
json_str_array(char *out, size_t cap, int argc, char **argv)
{
	static char	tmp[JSON_LINE_MAX];
	struct json_w	w;
	size_t		off = 0, vlen;
	int		i, n;

	if (cap < 3)
		return -1;
	out[off++] = '[';
	for (i = 0; i < argc; i++) {
		json_begin(&w, tmp, sizeof(tmp));
		json_str(&w, "", argv[i]);
		if ((n = json_end(&w)) < 7)
			return -1;
		vlen = (size_t)n - 5;		/* drop {"": and } */
		if (vlen + 3 > cap - off)	/* ',' ']' NUL */
			return -1;
		if (i > 0)
			out[off++] = ',';
		memcpy(out + off, tmp + 4, vlen);
		off += vlen;
	}
	out[off++] = ']';
	out[off] = '\0';
	return 0;
}

static int
hello(struct conn *c)
{
	char		line[256], v[32];
	struct json_w	w;
	const struct json_kv *kv;
	int64_t		id;
	int		n, major, r;

	snprintf(v, sizeof(v), "[%d,%d]", CTL_PROTO_MAJOR, CTL_PROTO_MINOR);
	json_begin(&w, line, sizeof(line));
	json_int(&w, "id", 0);
	json_str(&w, "cmd", "hello");
	json_raw(&w, "v", v);
	json_str(&w, "client", "proxyctl " PACKAGE_VERSION);
	if ((n = json_end(&w)) < 0) {
		warnmsg("hello does not fit");
		return -1;
	}
	if (conn_send(c, line, (size_t)n) == -1)
		return -1;
	for (;;) {
		if (conn_reply(c) == -1)
			return -1;
		if ((r = reply_id(&reply_doc, &id)) == -2)
			return -1;
		if (r == -1 || id == 0) {
			if (reply_is_error(&reply_doc))
				return -1;
		}
		if (r == 0 && id == 0)
			break;
	}
	if (!reply_is_true(&reply_doc, "ok")) {
		warnmsg("proxyd did not accept the hello");
		return -1;
	}
	/* The server checks the major version; check its answer too. */
	kv = json_get(&reply_doc, "v");
	if (kv != NULL && kv->type == JSON_RAW &&
	    sscanf(kv->val, " [ %d", &major) == 1 &&
	    major != CTL_PROTO_MAJOR) {
		warnmsg("proxyd speaks control protocol %d, proxyctl speaks "
		    "%d", major, CTL_PROTO_MAJOR);
		return -1;
	}
	return 0;
}

static void
rows_add(struct rows *rs, const char *raw)
{
	char **nv;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 16;
		if ((nv = realloc(rs->v, rs->cap * sizeof(*nv))) == NULL) {
			warnmsg("out of memory");
			exit(1);
		}
		rs->v = nv;
	}
	rs->v[rs->n++] = xstrdup(raw);
}

static void
rows_free(struct rows *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		free(rs->v[i]);
	free(rs->v);
	rs->v = NULL;
	rs->n = rs->cap = 0;
}

/*
 * An {"ok":true} reply that is not a table end (an action's answer): its
 * fields other than id and ok become one row.
 */
static int
add_result_row(struct rows *rs, const struct json_doc *d)
{
	static char	buf[JSON_LINE_MAX + 1];
	struct json_w	w;
	size_t		i;
	int		fields = 0;

	json_begin(&w, buf, sizeof(buf));
	for (i = 0; i < d->n; i++) {
		const struct json_kv *kv = &d->kv[i];

		if (strcmp(kv->key, "id") == 0 || strcmp(kv->key, "ok") == 0)
			continue;
		if (kv->type == JSON_STR)
			json_str(&w, kv->key, kv->val);
		else
			json_raw(&w, kv->key, kv->val);
		fields++;
	}
	if (json_end(&w) < 0) {
		warnmsg("reply from proxyd too large");
		return -1;
	}
	if (fields > 0)
		rows_add(rs, buf);
	return 0;
}

/* Sends one command and collects its rows until the end marker. */
static int
request(struct conn *c, const char *cmd, int argc, char **argv,
    struct rows *rs)
{
	static char		 line[JSON_LINE_MAX + 1], args[JSON_LINE_MAX];
	const struct json_kv	*kv;
	struct json_w		 w;
	int64_t			 id, announced;
	int			 n, r;

	json_begin(&w, line, sizeof(line));
	json_int(&w, "id", REQ_ID);
	json_str(&w, "cmd", cmd);
	if (argc > 0) {
		if (json_str_array(args, sizeof(args), argc, argv) == -1) {
			warnmsg("%s: arguments too long", cmd);
			return -1;
		}
		json_raw(&w, "args", args);
	}
	if ((n = json_end(&w)) < 0) {
		warnmsg("%s: request too long", cmd);
		return -1;
	}
	if (conn_send(c, line, (size_t)n) == -1)
		return -1;

	for (;;) {
		if (conn_reply(c) == -1)
			return -1;
		if ((r = reply_id(&reply_doc, &id)) == -2)
			return -1;
		if (r == -1 || id != REQ_ID) {
			/* not ours; only an id-less error concerns us */
			if (r == -1 && reply_is_error(&reply_doc))
				return -1;
			continue;
		}
		if (reply_is_error(&reply_doc))
			return -1;
		if ((kv = json_get(&reply_doc, "row")) != NULL) {
			if (kv->type != JSON_RAW || kv->val[0] != '{') {
				warnmsg("bad reply from proxyd: 'row' is not "
				    "an object");
				return -1;
			}
			rows_add(rs, kv->val);
			continue;
		}
		if (reply_is_true(&reply_doc, "end")) {
			if (json_get_int(&reply_doc, "rows", &announced) == 0 &&
			    announced != (int64_t)rs->n) {
				warnmsg("proxyd announced %" PRId64 " rows but "
				    "sent %zu", announced, rs->n);
				return -1;
			}
			return 0;
		}
		if (reply_is_true(&reply_doc, "ok"))
			return add_result_row(rs, &reply_doc);
		/* Minor versions may add reply kinds: skip what we lack. */
	}
}

/*
 * Text output.
 */

/* Display width in terminal columns: UTF-8 code points. */
static size_t
text_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* Control characters from the daemon must not reach the terminal. */
static char *
sanitize(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

static void
fmt_secs(char *out, size_t cap, double s)
{
	long long t;

	if (s < 59.95) {	/* so that %.1f never shows "60.0s" */
		if (s == (double)(long long)s)
			snprintf(out, cap, "%llds", (long long)s);
		else
			snprintf(out, cap, "%.1fs", s);
		return;
	}
	t = (long long)s;
	if (t < 3600)
		snprintf(out, cap, "%lldm%02llds", t / 60, t % 60);
	else if (t < 86400)
		snprintf(out, cap, "%lldh%02lldm", t / 3600, t / 60 % 60);
	else
		snprintf(out, cap, "%lldd%02lldh", t / 86400, t / 3600 % 24);
}

static void
fmt_bytes(char *out, size_t cap, double b)
{
	static const char *const units[] = {
		"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	size_t u = 0;

	if (b < 1024) {
		snprintf(out, cap, "%.0fB", b);
		return;
	}
	b /= 1024;
	while (b >= 1024 && u < sizeof(units) / sizeof(units[0]) - 1) {
		b /= 1024;
		u++;
	}
	snprintf(out, cap, "%.1f%s", b, units[u]);
}

/*
 * A topology row's links: a JSON array of objects {"peer", "nat", "cost"}.
 * Each call parses the next element into d and returns true with its peer
 * and NAT type ("-" if absent); elements that are not objects with a peer
 * are skipped (a newer daemon may add fields, never remove these).  *off
 * starts at 0, as for json_array_next().
 */
static bool
link_next(const char *links, size_t *off, struct json_doc *d,
    const char **peer, const char **nat)
{
	const char	*e, *why;
	size_t		 n;

	while (json_array_next(links, off, &e, &n)) {
		if (n == 0 || e[0] != '{' || json_parse(e, n, d, &why) == -1 ||
		    (*peer = json_get_str(d, "peer")) == NULL)
			continue;
		if ((*nat = json_get_str(d, "nat")) == NULL)
			*nat = "-";
		return true;
	}
	return false;
}

/* Links as people read them, "peer:nat:cost" separated by spaces. */
static char *
links_text(const char *links)
{
	static struct json_doc	 d;
	const char		*peer, *nat;
	const struct json_kv	*cost;
	size_t			 off = 0, len = 0, cap = 256;
	char			*out = xcalloc(cap, 1);
	int			 n;

	while (link_next(links, &off, &d, &peer, &nat)) {
		cost = json_get(&d, "cost");
		for (;;) {
			n = snprintf(out + len, cap - len, "%s%s:%s:%s",
			    len ? " " : "", peer, nat, cost != NULL &&
			    cost->type == JSON_NUM ? cost->val : "-");
			if (n >= 0 && (size_t)n < cap - len)
				break;
			if ((out = realloc(out, cap * 2)) == NULL) {
				warnmsg("out of memory");
				exit(1);
			}
			cap *= 2;
		}
		len += (size_t)n;
	}
	if (len == 0) {
		free(out);
		return xstrdup("-");
	}
	return sanitize(out);
}

/*
 * The string an array element holds (its JSON text e, n bytes), unescaped
 * and sanitized into buf; false if it is not a string.
 */
static bool
elem_str(const char *e, size_t n, char *buf, size_t cap)
{
	static struct json_doc	d;
	static char		wrap[JSON_LINE_MAX + 8];
	const char		*why, *v;

	if (n == 0 || e[0] != '"' || n + 8 > sizeof(wrap))
		return false;
	memcpy(wrap, "{\"s\":", 5);
	memcpy(wrap + 5, e, n);
	wrap[5 + n] = '}';
	if (json_parse(wrap, n + 6, &d, &why) == -1 ||
	    (v = json_get_str(&d, "s")) == NULL)
		return false;
	snprintf(buf, cap, "%s", v);
	sanitize(buf);
	return true;
}

/* Appends s to the growing string *out (len, cap). */
static void
grow_cat(char **out, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	while (*len + n + 1 > *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((*out = realloc(*out, *cap)) == NULL) {
			warnmsg("out of memory");
			exit(1);
		}
	}
	memcpy(*out + *len, s, n + 1);
	*len += n;
}

/*
 * An array as text: strings joined by sep (FMT_LIST, FMT_PATH), or the
 * trials' {trial, outcome} objects as "trial=outcome" (FMT_TRIALS).
 * Elements of another kind are skipped; an empty array is "-".
 */
static char *
array_text(const char *raw, enum fmt fmt)
{
	static struct json_doc	 d;
	static char		 item[JSON_LINE_MAX];
	const char		*e, *why, *t, *o;
	char			*out = NULL;
	size_t			 off = 0, n, len = 0, cap = 0;

	while (json_array_next(raw, &off, &e, &n)) {
		if (fmt == FMT_TRIALS) {
			if (n == 0 || e[0] != '{' || json_parse(e, n, &d, &why)
			    == -1 || (t = json_get_str(&d, "trial")) == NULL)
				continue;
			o = json_get_str(&d, "outcome");
			snprintf(item, sizeof(item), "%s=%s", t, o != NULL ? o :
			    "-");
			sanitize(item);
		} else if (!elem_str(e, n, item, sizeof(item)))
			continue;
		if (len > 0)
			grow_cat(&out, &len, &cap, fmt == FMT_PATH ? " > " :
			    fmt == FMT_LIST ? " " : " ");
		grow_cat(&out, &len, &cap, item);
	}
	if (len == 0) {
		free(out);
		return xstrdup("-");
	}
	return out;
}

/* The text of one cell; the caller frees it.  Missing or null: "-". */
static char *
cell(const struct json_doc *row, const char *field, enum fmt fmt)
{
	const struct json_kv	*kv = json_get(row, field);
	char			 buf[64], *end;
	const char		*how;
	double			 v;

	if (kv == NULL || kv->type == JSON_NULL)
		return xstrdup(fmt == FMT_LIFETIME && (how = json_get_str(row,
		    "lifetime")) != NULL && strcmp(how, "measuring") == 0 ?
		    "measuring" : "-");
	if (fmt == FMT_LINKS && kv->type == JSON_RAW)
		return links_text(kv->val);
	if ((fmt == FMT_LIST || fmt == FMT_PATH || fmt == FMT_TRIALS) &&
	    kv->type == JSON_RAW && kv->val[0] == '[')
		return array_text(kv->val, fmt);
	if (kv->type == JSON_STR)
		return sanitize(xstrdup(kv->val[0] != '\0' ? kv->val : "-"));
	if (kv->type != JSON_NUM || fmt == FMT_STR || fmt == FMT_NUM)
		return sanitize(xstrdup(kv->val));
	v = strtod(kv->val, &end);
	if (*end != '\0')
		return sanitize(xstrdup(kv->val));
	switch (fmt) {
	case FMT_MS:
		if (v < 0)
			return xstrdup("-");
		snprintf(buf, sizeof(buf), "%.2fms", v);
		break;
	case FMT_SECS:
		if (v < 0)
			return xstrdup("-");
		fmt_secs(buf, sizeof(buf), v);
		break;
	case FMT_LIFETIME:
		if (v <= 0)
			return xstrdup("-");
		fmt_secs(buf + 2, sizeof(buf) - 2, v);
		how = json_get_str(row, "lifetime");
		if (how != NULL && strcmp(how, "lower-bound") == 0) {
			buf[0] = '>';
			buf[1] = '=';
		} else if (how != NULL && strcmp(how, "measuring") == 0) {
			buf[0] = '>';
			buf[1] = '=';
		} else
			return xstrdup(buf + 2);
		break;
	case FMT_BYTES:
		if (v < 0)
			return xstrdup(kv->val);
		fmt_bytes(buf, sizeof(buf), v);
		break;
	default:
		return xstrdup(kv->val);
	}
	return xstrdup(buf);
}

/*
 * The width tables must fit: $COLUMNS if set, else the terminal's, else
 * 0 (no limit: a pipe gets whole lines).
 */
static size_t
term_width(void)
{
	const char	*e = getenv("COLUMNS");
	struct winsize	 ws;
	char		*end;
	long		 n;

	if (e != NULL && *e != '\0') {
		n = strtol(e, &end, 10);
		if (*end == '\0' && n >= 20 && n <= 10000)
			return (size_t)n;
	}
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0
	    && ws.ws_col >= 20)
		return ws.ws_col;
	return 0;
}

/*
 * Prints s in lines of at most room columns, broken at spaces where it
 * can; each line after the first starts with indent spaces.
 */
static void
print_wrapped(const char *s, size_t room, size_t indent)
{
	size_t len, cut, i, w;
	bool first = true;

	if (room < 8)
		room = 8;
	while (*s != '\0') {
		len = strlen(s);
		/* how many bytes make room columns (UTF-8 aware) */
		for (i = 0, w = 0; i < len && w < room; i++)
			if (((unsigned char)s[i] & 0xc0) != 0x80)
				w++;
		while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		cut = i;
		if (cut < len) {
			for (i = cut; i > 0 && s[i] != ' '; i--)
				;
			if (i > 0)
				cut = i;
		}
		if (!first)
			printf("%*s", (int)indent, "");
		printf("%.*s\n", (int)cut, s);
		first = false;
		s += cut;
		while (*s == ' ')
			s++;
	}
	if (first)
		putchar('\n');
}

static int
parse_row(const char *raw)
{
	const char *why = NULL;

	if (json_parse(raw, strlen(raw), &row_doc, &why) == -1) {
		warnmsg("bad row from proxyd: %s", why);
		return -1;
	}
	return 0;
}

static bool
is_numeric_fmt(enum fmt f)
{
	return f == FMT_NUM || f == FMT_MS || f == FMT_SECS ||
	    f == FMT_BYTES || f == FMT_LIFETIME;
}

static bool	verbose;	/* -v: every column */

/* Columns made from the rows themselves; owns their strings. */
struct gen_columns {
	struct column	*cols;
	char		**names;	/* field, head, field, head, ... */
	size_t		 n;
};

/*
 * Columns for commands without a fixed list: every key in order of first
 * appearance; right-aligned when every value present is a number.
 */
static int
columns_from_rows(const struct rows *rs, struct gen_columns *g)
{
	const size_t	max = JSON_KV_MAX * 4;
	size_t		i, j, k;
	char		*h, *p;

	g->cols = xcalloc(max + 1, sizeof(*g->cols));
	g->names = xcalloc(2 * max, sizeof(*g->names));
	g->n = 0;
	for (i = 0; i < rs->n; i++) {
		if (parse_row(rs->v[i]) == -1)
			return -1;
		for (j = 0; j < row_doc.n; j++) {
			const struct json_kv *kv = &row_doc.kv[j];

			for (k = 0; k < g->n; k++)
				if (strcmp(g->cols[k].field, kv->key) == 0)
					break;
			if (k == g->n) {
				if (g->n == max)
					continue;
				g->names[2 * k] = xstrdup(kv->key);
				h = sanitize(xstrdup(kv->key));
				for (p = h; *p != '\0'; p++) {
					if (*p >= 'a' && *p <= 'z')
						*p = (char)(*p - 'a' + 'A');
					else if (*p == '_' || *p == ' ')
						*p = '-';
				}
				g->names[2 * k + 1] = h;
				g->cols[k].field = g->names[2 * k];
				g->cols[k].head = h;
				g->cols[k].fmt = FMT_NUM;
				g->n++;
			}
			if (kv->type != JSON_NUM && kv->type != JSON_NULL)
				g->cols[k].fmt = FMT_STR;
		}
	}
	return 0;
}

static void
columns_free(struct gen_columns *g)
{
	size_t i;

	for (i = 0; i < 2 * g->n; i++)
		free(g->names[i]);
	free(g->names);
	free(g->cols);
}

static void
print_padded(const char *s, size_t width, bool right, bool last)
{
	size_t pad = width - text_width(s);

	if (right)
		printf("%*s%s", (int)pad, "", s);
	else if (last)
		fputs(s, stdout);
	else
		printf("%s%*s", s, (int)pad, "");
}

/*
 * An aligned table; with no rows, only the header.  It fits width (0: no
 * limit): SHOW_WIDE columns are dropped right to left while the table is
 * too wide (with -v they go under the row instead), and the last column
 * wraps under itself.  "below" columns are
 * printed under their row, when they hold something.
 */
static int
print_table(const struct column *cols, size_t ncols, const struct rows *rs,
    size_t width)
{
	char	**cells;
	size_t	 *cw, i, j, total, start, last = SIZE_MAX, nshown;
	bool	 *on, *under;
	int	  rc = -1;

	if (ncols == 0)
		return 0;
	cells = xcalloc(rs->n * ncols + 1, sizeof(*cells));
	cw = xcalloc(ncols, sizeof(*cw));
	on = xcalloc(ncols, sizeof(*on));
	under = xcalloc(ncols, sizeof(*under));
	for (j = 0; j < ncols; j++) {
		on[j] = verbose || cols[j].show != SHOW_VERBOSE;
		under[j] = cols[j].below;
		cw[j] = text_width(cols[j].head);
	}
	for (i = 0; i < rs->n; i++) {
		if (parse_row(rs->v[i]) == -1)
			goto out;
		for (j = 0; j < ncols; j++) {
			char *s;

			if (!on[j])
				continue;
			s = cell(&row_doc, cols[j].field, cols[j].fmt);
			cells[i * ncols + j] = s;
			if (text_width(s) > cw[j])
				cw[j] = text_width(s);
		}
	}
	/* the text that would go under its row stays in it if all fits */
	total = 0;
	for (j = 0, nshown = 0; j < ncols; j++)
		if (on[j])
			total += (nshown++ > 0 ? 2 : 0) + cw[j];
	if (width == 0 || total <= width)
		for (j = 0; j < ncols; j++)
			under[j] = false;
	/* narrow it: the last column counts at most WRAP_MIN (it wraps) */
	for (;;) {
		last = SIZE_MAX;
		for (j = 0; j < ncols; j++)
			if (on[j] && !under[j])
				last = j;
		total = 0;
		nshown = 0;
		for (j = 0; j < ncols; j++) {
			if (!on[j] || under[j])
				continue;
			total += (nshown++ > 0 ? 2 : 0) + (j == last &&
			    !is_numeric_fmt(cols[j].fmt) && cw[j] > WRAP_MIN ?
			    WRAP_MIN : cw[j]);
		}
		if (width == 0 || total <= width)
			break;
		for (j = ncols; j > 0; j--)
			if (on[j - 1] && !under[j - 1] &&
			    cols[j - 1].show == SHOW_WIDE)
				break;
		if (j == 0)
			break;		/* nothing left to drop */
		if (verbose)
			under[j - 1] = true;	/* -v shows it all */
		else
			on[j - 1] = false;
	}
	start = 0;
	for (j = 0, nshown = 0; j < ncols; j++) {
		if (!on[j] || under[j])
			continue;
		if (nshown++ > 0)
			fputs("  ", stdout);
		if (j == last)
			break;
		print_padded(cols[j].head, cw[j], is_numeric_fmt(cols[j].fmt),
		    false);
		start += cw[j] + 2;
	}
	if (last != SIZE_MAX)
		print_padded(cols[last].head, cw[last],
		    is_numeric_fmt(cols[last].fmt), true);
	putchar('\n');
	for (i = 0; i < rs->n; i++) {
		for (j = 0, nshown = 0; j < ncols; j++) {
			if (!on[j] || under[j])
				continue;
			if (nshown++ > 0)
				fputs("  ", stdout);
			if (j == last)
				break;
			print_padded(cells[i * ncols + j], cw[j],
			    is_numeric_fmt(cols[j].fmt), false);
		}
		if (last == SIZE_MAX)
			putchar('\n');
		else if (is_numeric_fmt(cols[last].fmt) || width == 0 ||
		    start + text_width(cells[i * ncols + last]) <= width) {
			print_padded(cells[i * ncols + last], cw[last],
			    is_numeric_fmt(cols[last].fmt), true);
			putchar('\n');
		} else
			print_wrapped(cells[i * ncols + last], width - start >
			    8 ? width - start : 8, start);
		for (j = 0; j < ncols; j++) {
			const char *s = cells[i * ncols + j];
			size_t hw;

			if (!on[j] || !under[j] || s == NULL ||
			    strcmp(s, "-") == 0)
				continue;
			hw = 4 + text_width(cols[j].head) + 2;
			printf("    %s: ", cols[j].head);
			if (width == 0)
				printf("%s\n", s);
			else
				print_wrapped(s, width > hw + 8 ? width - hw : 8,
				    hw);
		}
	}
	rc = 0;
out:
	for (i = 0; i < rs->n * ncols; i++)
		free(cells[i]);
	free(cells);
	free(cw);
	free(on);
	free(under);
	return rc;
}

/*
 * "label: value" lines in the daemon's order, so that fields a newer
 * daemon adds appear next to their kin; known fields get a label and a
 * format, others show under their key.  Known fields missing show "-".
 */
static int
print_kv(const struct column *cols, const struct rows *rs)
{
	const struct column	*col;
	size_t			 i, j, k, w = 0;
	char			*s, *label, *p;

	for (k = 0; cols[k].head != NULL; k++)
		if (strlen(cols[k].head) > w)
			w = strlen(cols[k].head);
	for (i = 0; i < rs->n; i++) {
		if (parse_row(rs->v[i]) == -1)
			return -1;
		for (j = 0; j < row_doc.n; j++)
			if (text_width(row_doc.kv[j].key) > w)
				w = text_width(row_doc.kv[j].key);
	}
	for (i = 0; i < rs->n; i++) {
		(void)parse_row(rs->v[i]);
		if (i > 0)
			putchar('\n');
		for (j = 0; j < row_doc.n; j++) {
			const char *key = row_doc.kv[j].key;

			for (col = cols; col->head != NULL; col++)
				if (strcmp(col->field, key) == 0)
					break;
			if (col->head != NULL)
				label = xstrdup(col->head);
			else {
				label = sanitize(xstrdup(key));
				for (p = label; *p != '\0'; p++)
					if (*p == '_')
						*p = ' ';
			}
			s = cell(&row_doc, key, col->head != NULL ? col->fmt :
			    FMT_STR);
			printf("%s:%*s %s\n", label,
			    (int)(w - text_width(label)), "", s);
			free(label);
			free(s);
		}
		for (col = cols; col->head != NULL; col++)
			if (json_get(&row_doc, col->field) == NULL)
				printf("%s:%*s -\n", col->head,
				    (int)(w - strlen(col->head)), "");
	}
	return 0;
}

/* -j: a JSON array, each row object passed through on its own line. */
static void
print_json(const struct rows *rs)
{
	size_t i;

	fputs("[\n", stdout);
	for (i = 0; i < rs->n; i++)
		printf("%s%s\n", rs->v[i], i + 1 < rs->n ? "," : "");
	fputs("]\n", stdout);
}

/* A name for a DOT string: no quote, backslash or control character. */
static void
dot_name(char *out, size_t cap, const char *s)
{
	snprintf(out, cap, "%s", s != NULL ? s : "?");
	for (char *p = out; *p != '\0'; p++)
		if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20 ||
		    *p == 0x7f)
			*p = '?';
}

/* One link of the picture, both ends' views in it (copied, not pointed). */
struct dot_edge {
	char	a[PKT_NAME_BUF], b[PKT_NAME_BUF];	/* a < b */
	char	nat_a[40], nat_b[40];	/* each end's NAT type toward the other */
	bool	from_a, from_b;		/* which ends advertise it */
	char	cost[24];
};

#define DOT_EDGES_MAX	4096

/*
 * topology --dot: one node per proxy (its name, prefixes and public
 * endpoint), one edge per link with the NAT type each end measured at
 * that end (taillabel, headlabel) and its cost; a link only one end
 * advertises is dotted.  direct (the "routes" rows, may be NULL) adds this
 * proxy's (self's) direct channels, dashed.  Every string is copied out
 * of the rows' JSON before the next row is parsed.
 */
static int
print_dot(const struct rows *rs, const char *self, const struct rows *direct)
{
	static struct json_doc	 link;
	static struct dot_edge	 edges[DOT_EDGES_MAX];
	static char		 pfx[JSON_LINE_MAX];
	size_t			 n_edges = 0, dropped = 0;
	const char		*why;
	char			 o[PKT_NAME_BUF], me[PKT_NAME_BUF];

	printf("graph proxyd {\n"
	    "  graph [fontname=\"Helvetica\", fontsize=10];\n"
	    "  node [shape=box, fontname=\"Helvetica\", fontsize=11];\n"
	    "  edge [fontname=\"Helvetica\", fontsize=9];\n");
	for (size_t i = 0; i < rs->n; i++) {
		const struct json_kv *kv;
		const char *ep;
		char *p;

		if (json_parse(rs->v[i], strlen(rs->v[i]), &row_doc, &why) == -1 ||
		    json_get_str(&row_doc, "origin") == NULL)
			continue;
		dot_name(o, sizeof(o), json_get_str(&row_doc, "origin"));
		kv = json_get(&row_doc, "prefixes");
		p = kv != NULL && kv->type == JSON_RAW ? array_text(kv->val,
		    FMT_LIST) : xstrdup("-");
		dot_name(pfx, sizeof(pfx), strcmp(p, "-") != 0 ? p : "");
		free(p);
		for (char *q = pfx; *q != '\0'; q++)
			if (*q == ' ')
				*q = ',';
		ep = json_get_str(&row_doc, "endpoint");
		printf("  \"%s\" [label=\"%s%s%s", o, o, pfx[0] ? "\\n" : "",
		    pfx);
		if (ep != NULL && *ep != '\0') {
			dot_name(pfx, sizeof(pfx), ep);
			printf("\\npublic %s", pfx);
		}
		printf("\"%s];\n", self != NULL && strcmp(o, self) == 0 ?
		    ", style=bold" : "");
	}
	for (size_t i = 0; i < rs->n; i++) {
		const struct json_kv *l;
		const char *peer, *nat;
		size_t off = 0;

		if (json_parse(rs->v[i], strlen(rs->v[i]), &row_doc, &why) == -1 ||
		    json_get_str(&row_doc, "origin") == NULL ||
		    (l = json_get(&row_doc, "links")) == NULL ||
		    l->type != JSON_RAW)
			continue;
		dot_name(o, sizeof(o), json_get_str(&row_doc, "origin"));
		while (link_next(l->val, &off, &link, &peer, &nat)) {
			const struct json_kv *cost = json_get(&link, "cost");
			char p[PKT_NAME_BUF], n[40];
			bool o_is_a;
			size_t k;

			dot_name(p, sizeof(p), peer);
			dot_name(n, sizeof(n), nat);
			o_is_a = strcmp(o, p) < 0;
			for (k = 0; k < n_edges; k++)
				if (strcmp(edges[k].a, o_is_a ? o : p) == 0 &&
				    strcmp(edges[k].b, o_is_a ? p : o) == 0)
					break;
			if (k == n_edges) {
				if (n_edges == DOT_EDGES_MAX) {
					dropped++;
					continue;
				}
				memset(&edges[k], 0, sizeof(edges[k]));
				snprintf(edges[k].a, sizeof(edges[k].a), "%s",
				    o_is_a ? o : p);
				snprintf(edges[k].b, sizeof(edges[k].b), "%s",
				    o_is_a ? p : o);
				n_edges++;
			}
			if (o_is_a) {
				snprintf(edges[k].nat_a, sizeof(edges[k].nat_a),
				    "%s", n);
				edges[k].from_a = true;
			} else {
				snprintf(edges[k].nat_b, sizeof(edges[k].nat_b),
				    "%s", n);
				edges[k].from_b = true;
			}
			/* a link costs the larger of the two ends' costs */
			if (cost != NULL && cost->type == JSON_NUM &&
			    (edges[k].cost[0] == '\0' || strtod(cost->val,
			    NULL) > strtod(edges[k].cost, NULL)))
				dot_name(edges[k].cost, sizeof(edges[k].cost),
				    cost->val);
		}
	}
	for (size_t k = 0; k < n_edges; k++) {
		const struct dot_edge *e = &edges[k];

		printf("  \"%s\" -- \"%s\" [taillabel=\"%s\", headlabel=\"%s\"",
		    e->a, e->b, e->from_a ? e->nat_a : "?",
		    e->from_b ? e->nat_b : "?");
		if (e->cost[0] != '\0')
			printf(", label=\"cost %s\"", e->cost);
		if (!e->from_a || !e->from_b)
			printf(", style=dotted");
		printf("];\n");
	}
	/* this proxy's direct channels: not advertised, known here only */
	dot_name(me, sizeof(me), self);
	for (size_t i = 0, n_done = 0; self != NULL && direct != NULL &&
	    i < direct->n; i++) {
		static char done[DOT_EDGES_MAX][PKT_NAME_BUF];
		const char *ch, *dest;
		char d[PKT_NAME_BUF];
		size_t k;

		if (json_parse(direct->v[i], strlen(direct->v[i]), &row_doc,
		    &why) == -1 || (ch = json_get_str(&row_doc, "channel")) ==
		    NULL || strcmp(ch, "direct") != 0 ||
		    (dest = json_get_str(&row_doc, "dest")) == NULL)
			continue;
		dot_name(d, sizeof(d), dest);
		/* one edge per destination, however many prefixes it has */
		for (k = 0; k < n_done && strcmp(done[k], d) != 0; k++)
			;
		if (k < n_done || n_done == DOT_EDGES_MAX)
			continue;
		snprintf(done[n_done++], sizeof(done[0]), "%s", d);
		printf("  \"%s\" -- \"%s\" [style=dashed, label=\"direct\", "
		    "constraint=false];\n", me, d);
	}
	if (dropped > 0)
		printf("  // %zu link(s) over %d not drawn\n", dropped,
		    DOT_EDGES_MAX);
	printf("}\n");
	return 0;
}

static int
print_rows(const struct command *cmd, const struct rows *rs, size_t width)
{
	struct gen_columns	g;
	size_t			n;
	int			rc = -1;

	if (cmd->cols != NULL && cmd->out == OUT_KV)
		return print_kv(cmd->cols, rs);
	if (cmd->out == OUT_TEXT) {
		const char *why, *t;
		char *copy;

		for (size_t i = 0; i < rs->n; i++)
			if (json_parse(rs->v[i], strlen(rs->v[i]), &row_doc,
			    &why) == 0 && (t = json_get_str(&row_doc, "text"))
			    != NULL) {
				copy = sanitize(xstrdup(t));
				printf("%2zu. ", i + 1);
				if (width > 12)
					print_wrapped(copy, width - 4, 4);
				else
					printf("%s\n", copy);
				free(copy);
			}
		return 0;
	}
	if (cmd->cols != NULL) {
		for (n = 0; cmd->cols[n].head != NULL; n++)
			;
		return print_table(cmd->cols, n, rs, width);
	}
	if (columns_from_rows(rs, &g) == 0)
		rc = print_table(g.cols, g.n, rs, width);
	columns_free(&g);
	return rc;
}

/* Whether a proxyd listens on the UNIX socket path (connect, no hello). */
static bool
sock_alive(const char *path)
{
	struct sockaddr_un	sun;
	int			fd;
	bool			ok;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return false;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

/*
 * No -s and no PROXYCTL_SOCKET: RUN_DIR/proxyd.sock if it exists, else
 * the socket of the only proxyd running in RUN_DIR (a socket file nobody
 * listens on is left over from a stopped one).  With several, the choice
 * is listed and NULL returned.
 */
static const char *
sock_find(void)
{
	static char	 only[PATH_MAX];
	glob_t		 g;
	size_t		 i, alive = 0;

	if (access(CTL_DEFAULT_SOCK, F_OK) == 0)
		return CTL_DEFAULT_SOCK;
	if (glob(RUN_DIR "/*.sock", 0, NULL, &g) != 0)
		return CTL_DEFAULT_SOCK;
	for (i = 0; i < g.gl_pathc; i++)
		if (sock_alive(g.gl_pathv[i]) && alive++ == 0)
			snprintf(only, sizeof(only), "%s", g.gl_pathv[i]);
	if (alive > 1) {
		warnmsg("%zu proxies are running here; choose one with -s "
		    "SOCKET (or PROXYCTL_SOCKET):", alive);
		for (i = 0; i < g.gl_pathc; i++)
			if (sock_alive(g.gl_pathv[i]))
				fprintf(stderr, "  proxyctl -s %s ...\n",
				    g.gl_pathv[i]);
	}
	globfree(&g);
	if (alive > 1)
		return NULL;
	return alive == 1 ? only : CTL_DEFAULT_SOCK;
}

/* tests/fuzz/fuzz_ctlreply.c includes this file, with a main of its own. */
#ifndef PROXYCTL_NO_MAIN
/*
 * Options anywhere on the line (before, between or after the command and
 * its arguments), short ones bundled (-jv) or long; "--" ends them.
 * --dot is topology's argument and goes with the arguments.  Returns the
 * number of words left in pos[], or -1 after a message (-2: exit 0).
 */
static int
parse_args(int argc, char **argv, char **pos, const char **sock,
    bool *sock_given, bool *json)
{
	int npos = 0;
	bool opts = true;

	for (int i = 1; i < argc; i++) {
		char *a = argv[i];

		if (!opts || a[0] != '-' || a[1] == '\0' ||
		    strcmp(a, "--dot") == 0) {
			pos[npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			opts = false;
			continue;
		}
		if (a[1] == '-') {
			const char *eq = strchr(a, '=');
			size_t klen = eq != NULL ? (size_t)(eq - a) : strlen(a);

			if (strcmp(a, "--help") == 0) {
				usage_long();
				return -2;
			} else if (strcmp(a, "--version") == 0) {
				printf("proxyctl %s (control protocol %d.%d)\n",
				    PACKAGE_VERSION, CTL_PROTO_MAJOR,
				    CTL_PROTO_MINOR);
				return -2;
			} else if (strcmp(a, "--json") == 0)
				*json = true;
			else if (strcmp(a, "--verbose") == 0)
				verbose = true;
			else if (klen == 8 && strncmp(a, "--socket", 8) == 0) {
				if (eq != NULL)
					*sock = eq + 1;
				else if (i + 1 < argc)
					*sock = argv[++i];
				else {
					warnmsg("option --socket needs an "
					    "argument");
					return -1;
				}
				*sock_given = true;
			} else {
				warnmsg("unknown option %s", a);
				return -1;
			}
			continue;
		}
		for (char *c = a + 1; *c != '\0'; c++) {
			switch (*c) {
			case 'h':
				usage_long();
				return -2;
			case 'V':
				printf("proxyctl %s (control protocol %d.%d)\n",
				    PACKAGE_VERSION, CTL_PROTO_MAJOR,
				    CTL_PROTO_MINOR);
				return -2;
			case 'j':
				*json = true;
				break;
			case 'v':
				verbose = true;
				break;
			case 's':
				if (c[1] != '\0')
					*sock = c + 1;
				else if (i + 1 < argc)
					*sock = argv[++i];
				else {
					warnmsg("option -s needs an argument");
					return -1;
				}
				*sock_given = true;
				c += strlen(c) - 1;	/* the rest was its value */
				break;
			default:
				if (isprint((unsigned char)*c))
					warnmsg("unknown option -%c", *c);
				else
					warnmsg("unknown option");
				return -1;
			}
		}
	}
	return npos;
}

int
main(int argc, char *argv[])
{
	static struct conn	 c = { .fd = -1 };
	const struct command	*cmd;
	struct rows		 rs = { NULL, 0, 0 }, st = { NULL, 0, 0 },
				 rt = { NULL, 0, 0 };
	const char		*sock = CTL_DEFAULT_SOCK, *env;
	bool			 json = false, sock_given = false, dot;
	char			**pos;
	int			 nargs, npos, rc = 1;

	if ((env = getenv("PROXYCTL_SOCKET")) != NULL && *env != '\0') {
		sock = env;
		sock_given = true;
	}
	pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	if ((npos = parse_args(argc, argv, pos, &sock, &sock_given, &json)) < 0) {
		if (npos == -1)
			usage_short(stderr);
		free(pos);
		return npos == -2 ? 0 : 1;
	}
	if (npos < 1) {
		warnmsg("missing command");
		usage_short(stderr);
		goto out;
	}
	if ((cmd = command_find(pos[0])) == NULL) {
		warnmsg("unknown command '%s'", pos[0]);
		usage_short(stderr);
		goto out;
	}
	nargs = npos - 1;
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		warnmsg("%s: %s", cmd->name, nargs < cmd->min_args ?
		    "missing argument" : "too many arguments");
		fprintf(stderr, "usage: proxyctl [-hjvV] [-s SOCKET] %s%s%s\n",
		    cmd->name, cmd->args_usage[0] ? " " : "",
		    cmd->args_usage);
		goto out;
	}
	if (cmd->check != NULL && cmd->check(nargs, pos + 1) == -1)
		goto out;
	dot = strcmp(cmd->name, "topology") == 0 && nargs == 1;
	if (dot && json) {
		warnmsg("-j and --dot cannot be combined: --dot prints a "
		    "Graphviz graph, -j the rows as JSON; choose one");
		goto out;
	}
	if (!sock_given && (sock = sock_find()) == NULL)
		goto out;
	if (conn_open(&c, sock) == -1)
		goto out;
	if (hello(&c) == -1)
		goto out;
	if (request(&c, cmd->name, nargs, pos + 1, &rs) == -1)
		goto out;
	if (dot) {
		char *self = NULL;

		/* who we are and our direct channels, for the picture */
		if (request(&c, "status", 0, NULL, &st) == -1 ||
		    request(&c, "routes", 0, NULL, &rt) == -1)
			goto out;
		if (st.n > 0 && parse_row(st.v[0]) == 0 &&
		    json_get_str(&row_doc, "name") != NULL)
			self = xstrdup(json_get_str(&row_doc, "name"));
		print_dot(&rs, self, &rt);
		free(self);
	} else if (json)
		print_json(&rs);
	else if (print_rows(cmd, &rs, term_width()) == -1)
		goto out;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warnmsg("cannot write output: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	rows_free(&rs);
	rows_free(&st);
	rows_free(&rt);
	conn_close(&c);
	free(pos);
	return rc;
}
#endif	/* PROXYCTL_NO_MAIN */
