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

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <glob.h>
#include <getopt.h>
#include <inttypes.h>
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

/* How a cell is shown in table mode; -j always passes the value through. */
enum fmt {
	FMT_STR,	/* text as is */
	FMT_NUM,	/* number as sent */
	FMT_MS,		/* milliseconds, 2 decimals: "12.34ms" */
	FMT_SECS,	/* duration: "3.2s", "4m05s", "2h10m", "3d04h" */
	FMT_AGE,	/* like FMT_SECS, but -1 means "never" */
	FMT_BYTES,	/* "512B", "1.5KiB", "3.0GiB" */
	FMT_LINKS,	/* topology links array: "peer:nat:cost peer:nat:cost" */
};

struct column {
	const char	*head;		/* table header, or status label */
	const char	*field;		/* key in the row object */
	enum fmt	 fmt;
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
	{ "name",		"name",			FMT_STR },
	{ "version",		"version",		FMT_STR },
	{ "uptime",		"uptime_s",		FMT_SECS },
	{ "neighbours up",	"neighbours_up",	FMT_NUM },
	{ "neighbours",		"neighbours",		FMT_NUM },
	{ "routes",		"routes",		FMT_NUM },
	{ "flows",		"flows",		FMT_NUM },
	{ "rx packets",		"rx_packets",		FMT_NUM },
	{ "tx packets",		"tx_packets",		FMT_NUM },
	{ "rx bytes",		"rx_bytes",		FMT_BYTES },
	{ "tx bytes",		"tx_bytes",		FMT_BYTES },
	{ "drop malformed",	"drop_malformed",	FMT_NUM },
	{ "drop auth",		"drop_auth",		FMT_NUM },
	{ "drop replay",	"drop_replay",		FMT_NUM },
	{ "drop policy",	"drop_policy",		FMT_NUM },
	{ "drop noroute",	"drop_noroute",		FMT_NUM },
	{ "drop ttl",		"drop_ttl",		FMT_NUM },
	{ "auth refused",	"auth_refused",		FMT_NUM },
	{ "clones detected",	"clones_detected",	FMT_NUM },
	{ "clone refused",	"clone_refused",	FMT_NUM },
	{ "tun",		"tun",			FMT_STR },
	{ "tun rx packets",	"tun_rx",		FMT_NUM },
	{ "tun tx packets",	"tun_tx",		FMT_NUM },
	{ "tun tx GSO frames",	"tun_gso",		FMT_NUM },
	{ "split pieces tx",	"frag_tx",		FMT_NUM },
	{ "split pieces rx",	"frag_rx",		FMT_NUM },
	{ "split joined",	"frag_joined",		FMT_NUM },
	{ "drop split",		"drop_frag",		FMT_NUM },
	{ "drop too big",	"drop_toobig",		FMT_NUM },
	{ "proxies known",	"proxies",		FMT_NUM },
	{ "prefix conflicts",	"conflicts",		FMT_NUM },
	{ "conn requests",	"conn_requests",	FMT_NUM },
	{ "first pkts queued",	"queued",		FMT_NUM },
	{ "drop queue full",	"drop_queue",		FMT_NUM },
	{ "drop raw ESP (NAT)",	"drop_esp_nat",		FMT_NUM },
	{ "translated out",	"xlat_out",		FMT_NUM },
	{ "translated in",	"xlat_in",		FMT_NUM },
	{ NULL,			NULL,			FMT_STR }
};

static const struct column neighbour_cols[] = {
	{ "NAME",		"name",			FMT_STR },
	{ "ADDRESS",		"addr",			FMT_STR },
	{ "STATE",		"state",		FMT_STR },
	{ "DIR",		"dir",			FMT_STR },
	{ "RTT",		"rtt_ms",		FMT_MS },
	{ "LAST-RX",		"last_rx_s",		FMT_AGE },
	{ "KEEPALIVE",		"ka_interval_s",	FMT_SECS },
	{ "DEAD-AFTER",		"dead_after_s",		FMT_SECS },
	{ "UP",			"up_s",			FMT_SECS },
	{ "RECONNECTS",		"reconnects",		FMT_NUM },
	{ "PMTU",		"pmtu",			FMT_NUM },
	{ "CLONE",		"clone",		FMT_STR },
	{ NULL,			NULL,			FMT_STR }
};

static const struct column route_cols[] = {
	{ "PREFIX",		"prefix",		FMT_STR },
	{ "DEST",		"dest",			FMT_STR },
	{ "NEXT-HOP",		"next_hop",		FMT_STR },
	{ "HOPS",		"hops",			FMT_NUM },
	{ "COST",		"cost",			FMT_NUM },
	{ "PATH-NAT",		"path_nat",		FMT_STR },
	{ "CHANNEL",		"channel",		FMT_STR },
	{ "SINCE",		"channel_s",		FMT_AGE },
	{ "REASON",		"reason",		FMT_STR },
	{ NULL,			NULL,			FMT_STR }
};

static const struct column topology_cols[] = {
	{ "ORIGIN",		"origin",		FMT_STR },
	{ "SEQ",		"seq",			FMT_NUM },
	{ "AGE",		"age_s",		FMT_SECS },
	{ "ENDPOINT",		"endpoint",		FMT_STR },
	{ "PREFIXES",		"prefixes",		FMT_STR },
	{ "LINKS (peer:nat:cost)", "links",		FMT_LINKS },
	{ NULL,			NULL,			FMT_STR }
};

static const struct column flow_cols[] = {
	{ "PROTO",		"proto",		FMT_STR },
	{ "SRC",		"src",			FMT_STR },
	{ "DST",		"dst",			FMT_STR },
	{ "SPI",		"spi",			FMT_STR },
	{ "PACKETS",		"packets",		FMT_NUM },
	{ "BYTES",		"bytes",		FMT_BYTES },
	{ "LAST-SEEN",		"last_seen_s",		FMT_SECS },
	{ "REAL",		"real",			FMT_STR },
	{ "NAT-REFUSED",	"nat_refused",		FMT_NUM },
	{ NULL,			NULL,			FMT_STR }
};

static const struct column ping_cols[] = {
	{ "PROXY",		"name",			FMT_STR },
	{ "RTT",		"rtt_ms",		FMT_MS },
	{ "HOPS-THERE",		"hops_there",		FMT_NUM },
	{ "HOPS-BACK",		"hops_back",		FMT_NUM },
	{ "VIA",		"via",			FMT_STR },
	{ "PATH",		"path",			FMT_STR },
	{ NULL,			NULL,			FMT_STR }
};

static const struct column nat_cols[] = {
	{ "NAME",		"name",			FMT_STR },
	{ "TYPE",		"type",			FMT_STR },
	{ "MAPPING",		"mapping",		FMT_STR },
	{ "FILTERING",		"filtering",		FMT_STR },
	{ "MAPPED",		"mapped",		FMT_STR },
	{ "LIFETIME",		"lifetime_s",		FMT_SECS },
	{ "(HOW)",		"lifetime",		FMT_STR },
	{ "KEEPALIVE",		"ka_interval_s",	FMT_SECS },
	{ "MEASURED",		"measured_s",		FMT_AGE },
	{ "REMOTE-TYPE",	"remote_type",		FMT_STR },
	{ "TRIALS",		"trials",		FMT_STR },
	{ "ASSUMED",		"assumed",		FMT_STR },
	{ NULL,			NULL,			FMT_STR }
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
	    "NAT type measured on each link", OUT_TABLE, nat_cols, NULL },
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

	fprintf(fp, "usage: proxyctl [-hj] [-s SOCKET] COMMAND [ARGS]\n"
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

	printf("usage: proxyctl [-hj] [-s SOCKET] COMMAND [ARGS]\n"
	    "\n"
	    "Show the state of a running proxyd through its control socket.\n"
	    "\n"
	    "options:\n"
	    "  -s SOCKET   control socket (default: $PROXYCTL_SOCKET, else\n"
	    "              %s)\n"
	    "  -j          print the rows as a JSON array, one object per"
	    " line\n"
	    "  -h          print this help and exit\n"
	    "\n"
	    "commands:\n", CTL_DEFAULT_SOCK);
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
	    "\n"
	    "Tables are for people: durations, sizes and round-trip times\n"
	    "are rounded, and a missing field shows as \"-\".  With -j the\n"
	    "rows are passed through exactly as proxyd sent them, e.g.\n"
	    "  proxyctl -j neighbours | jq -r '.[] | select(.state != \"up\")"
	    " | .name'\n"
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

/* The text of one cell; the caller frees it.  Missing fields show "-". */
static char *
cell(const struct json_doc *row, const char *field, enum fmt fmt)
{
	const struct json_kv	*kv = json_get(row, field);
	char			 buf[64], *end;
	double			 v;

	if (kv == NULL || kv->type == JSON_NULL)
		return xstrdup("-");
	if (fmt == FMT_LINKS && kv->type == JSON_RAW)
		return links_text(kv->val);
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
	case FMT_AGE:
		if (v < 0)
			return xstrdup("never");
		fmt_secs(buf, sizeof(buf), v);
		break;
	case FMT_SECS:
		if (v < 0)
			return xstrdup("-");
		fmt_secs(buf, sizeof(buf), v);
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
	return f != FMT_STR && f != FMT_LINKS;
}

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

/* An aligned table; with no rows, only the header. */
static int
print_table(const struct column *cols, size_t ncols, const struct rows *rs)
{
	char	**cells;
	size_t	 *width, i, j;
	int	  rc = -1;

	if (ncols == 0)
		return 0;
	cells = xcalloc(rs->n * ncols + 1, sizeof(*cells));
	width = xcalloc(ncols, sizeof(*width));
	for (j = 0; j < ncols; j++)
		width[j] = text_width(cols[j].head);
	for (i = 0; i < rs->n; i++) {
		if (parse_row(rs->v[i]) == -1)
			goto out;
		for (j = 0; j < ncols; j++) {
			char *s = cell(&row_doc, cols[j].field, cols[j].fmt);

			cells[i * ncols + j] = s;
			if (text_width(s) > width[j])
				width[j] = text_width(s);
		}
	}
	for (j = 0; j < ncols; j++) {
		if (j > 0)
			fputs("  ", stdout);
		print_padded(cols[j].head, width[j],
		    is_numeric_fmt(cols[j].fmt), j == ncols - 1);
	}
	putchar('\n');
	for (i = 0; i < rs->n; i++) {
		for (j = 0; j < ncols; j++) {
			if (j > 0)
				fputs("  ", stdout);
			print_padded(cells[i * ncols + j], width[j],
			    is_numeric_fmt(cols[j].fmt), j == ncols - 1);
		}
		putchar('\n');
	}
	rc = 0;
out:
	for (i = 0; i < rs->n * ncols; i++)
		free(cells[i]);
	free(cells);
	free(width);
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

/*
 * topology --dot: one node per proxy (labelled with its prefixes), one
 * edge per link; a link only one side advertises is dashed.  Edge labels
 * are the NAT types each end measured toward the other.
 */
static int
print_dot(const struct rows *rs)
{
	static struct json_doc other;
	const char *why;

	printf("graph proxyd {\n\tnode [shape=box, fontname=\"Helvetica\"];\n"
	    "\tedge [fontname=\"Helvetica\", fontsize=10];\n");
	for (size_t i = 0; i < rs->n; i++) {
		const char *o, *p, *ep;

		if (json_parse(rs->v[i], strlen(rs->v[i]), &row_doc, &why) == -1 ||
		    (o = json_get_str(&row_doc, "origin")) == NULL)
			continue;
		p = json_get_str(&row_doc, "prefixes");
		ep = json_get_str(&row_doc, "endpoint");
		printf("\t\"%s\" [label=\"%s%s%s%s%s\"];\n", o, o,
		    p != NULL && *p ? "\\n" : "", p != NULL ? p : "",
		    ep != NULL && *ep ? "\\npublic " : "", ep != NULL ? ep : "");
	}
	for (size_t i = 0; i < rs->n; i++) {
		static struct json_doc here, there;
		const struct json_kv *l;
		const char *o, *peer, *nat;
		size_t off = 0;

		if (json_parse(rs->v[i], strlen(rs->v[i]), &row_doc, &why) == -1 ||
		    (o = json_get_str(&row_doc, "origin")) == NULL ||
		    (l = json_get(&row_doc, "links")) == NULL ||
		    l->type != JSON_RAW)
			continue;
		while (link_next(l->val, &off, &here, &peer, &nat)) {
			char back[64];	/* a NAT type name */
			bool two_way = false;

			/* the other end's view of the same link */
			for (size_t k = 0; k < rs->n && !two_way; k++) {
				const struct json_kv *kl;
				const char *ko, *kp, *kn;
				size_t koff = 0;

				if (json_parse(rs->v[k], strlen(rs->v[k]), &other,
				    &why) == -1 ||
				    (ko = json_get_str(&other, "origin")) == NULL ||
				    strcmp(ko, peer) != 0 ||
				    (kl = json_get(&other, "links")) == NULL ||
				    kl->type != JSON_RAW)
					continue;
				while (link_next(kl->val, &koff, &there, &kp, &kn))
					if (strcmp(kp, o) == 0) {
						snprintf(back, sizeof(back), "%s",
						    kn);
						two_way = true;
						break;
					}
			}
			if (two_way && strcmp(o, peer) > 0)
				continue;	/* printed from the other end */
			printf("\t\"%s\" -- \"%s\" [label=\"%s", o, peer, nat);
			if (two_way)
				printf(" / %s", back);
			printf("\"%s];\n", two_way ? "" : ", style=dashed");
		}
	}
	printf("}\n");
	return 0;
}

static int
print_rows(const struct command *cmd, const struct rows *rs)
{
	struct gen_columns	g;
	size_t			n;
	int			rc = -1;

	if (cmd->cols != NULL && cmd->out == OUT_KV)
		return print_kv(cmd->cols, rs);
	if (cmd->out == OUT_TEXT) {
		const char *why, *t;

		for (size_t i = 0; i < rs->n; i++)
			if (json_parse(rs->v[i], strlen(rs->v[i]), &row_doc,
			    &why) == 0 && (t = json_get_str(&row_doc, "text"))
			    != NULL)
				printf("%2zu. %s\n", i + 1, t);
		return 0;
	}
	if (cmd->cols != NULL) {
		for (n = 0; cmd->cols[n].head != NULL; n++)
			;
		return print_table(cmd->cols, n, rs);
	}
	if (columns_from_rows(rs, &g) == 0)
		rc = print_table(g.cols, g.n, rs);
	columns_free(&g);
	return rc;
}

/* tests/fuzz/fuzz_ctlreply.c includes this file, with a main of its own. */
#ifndef PROXYCTL_NO_MAIN
int
main(int argc, char *argv[])
{
	static struct conn	 c = { .fd = -1 };
	const struct command	*cmd;
	struct rows		 rs = { NULL, 0, 0 };
	const char		*sock = CTL_DEFAULT_SOCK, *env;
	bool			 json = false, sock_given = false;
	int			 ch, nargs, rc = 1;

	if ((env = getenv("PROXYCTL_SOCKET")) != NULL && *env != '\0') {
		sock = env;
		sock_given = true;
	}
	/* '+': stop at the command, so its own options stay its own. */
	opterr = 0;
	while ((ch = getopt(argc, argv, "+hjs:")) != -1) {
		switch (ch) {
		case 'h':
			usage_long();
			return 0;
		case 'j':
			json = true;
			break;
		case 's':
			sock = optarg;
			sock_given = true;
			break;
		default:
			if (optopt == 's')
				warnmsg("option -s needs an argument");
			else
				warnmsg("unknown option -%c", optopt);
			usage_short(stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		warnmsg("missing command");
		usage_short(stderr);
		return 1;
	}
	if ((cmd = command_find(argv[0])) == NULL) {
		warnmsg("unknown command '%s'", argv[0]);
		usage_short(stderr);
		return 1;
	}
	nargs = argc - 1;
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		warnmsg("%s: %s", cmd->name, nargs < cmd->min_args ?
		    "missing argument" : "too many arguments");
		fprintf(stderr, "usage: proxyctl [-hj] [-s SOCKET] %s%s%s\n",
		    cmd->name, cmd->args_usage[0] ? " " : "",
		    cmd->args_usage);
		return 1;
	}
	if (cmd->check != NULL && cmd->check(nargs, argv + 1) == -1)
		return 1;

	/*
	 * proxyd's default socket is /run/proxyd/NAME.sock: with neither -s
	 * nor PROXYCTL_SOCKET, use the only one there if there is just one.
	 */
	if (!sock_given && access(sock, F_OK) == -1) {
		glob_t g;

		if (glob("/run/proxyd/*.sock", 0, NULL, &g) == 0 &&
		    g.gl_pathc == 1)
			sock = strdup(g.gl_pathv[0]);
		globfree(&g);
		if (sock == NULL)
			sock = CTL_DEFAULT_SOCK;
	}
	if (conn_open(&c, sock) == -1)
		return 1;
	if (hello(&c) == -1)
		goto out;
	if (request(&c, cmd->name, nargs, argv + 1, &rs) == -1)
		goto out;
	if (json)
		print_json(&rs);
	else if (strcmp(cmd->name, "topology") == 0 && nargs == 1)
		print_dot(&rs);
	else if (print_rows(cmd, &rs) == -1)
		goto out;
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warnmsg("cannot write output: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	rows_free(&rs);
	conn_close(&c);
	return rc;
}
#endif	/* PROXYCTL_NO_MAIN */
