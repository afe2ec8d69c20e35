/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests of proxyd/control.c: the real control
 * server on a UNIX socket in a temporary directory, driven by clients in
 * this process and a libevent loop run in bounded non-blocking turns.
 * Every engine function control.c calls is faked here (the links are
 * plain structs; ping and probe record their calls); lib/ is real.
 * Covered: framing, hello first and versions, errors, over-long lines,
 * tables larger than a reply buffer, the client cap, and ping's deferred
 * answer and cancellation.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "conn.h"
#include "control.h"
#include "ctl.h"
#include "json.h"
#include "link.h"
#include "log.h"
#include "ping.h"
#include "probe.h"
#include "topology.h"
#include "tun.h"

#define CLIENTS_MAX	32	/* control.c's CTL_CLIENTS_MAX */
#define WAIT_MS		3000	/* the longest any wait here may take */

/* fakes of the engines and the clock */

static uint64_t	fake_now = 5000000000ULL;

uint64_t
now_us(void)
{
	return fake_now;
}

struct link *
link_find(struct proxyd *px, const char *name)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (l->state == LINK_UP && strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

const char *
link_state_name(const struct link *l)
{
	return l->state == LINK_UP ? "up" : "connecting";
}

int
link_dead_after(const struct link *l)
{
	return 3 * l->ka_interval_s + 1;	/* recognisable in rows */
}

const struct channel *
conn_channel(const struct proxyd *px, const char *dest)
{
	(void)px;
	(void)dest;
	return NULL;
}

const char *
direct_state_name(enum direct_state s)
{
	return s == DIRECT_UP ? "up" : "none";
}

const struct nat_view *
probe_view(const struct link *l)
{
	(void)l;
	return NULL;
}

const struct nat_remote *
probe_remote(const struct link *l)
{
	(void)l;
	return NULL;
}

bool
probe_running(const struct link *l)
{
	(void)l;
	return false;
}

static struct link	*probe_started;

void
probe_start(struct link *l, unsigned delay_ms)
{
	(void)delay_ms;
	probe_started = l;
}

const char *
probe_trial_name(enum probe_trial t)
{
	(void)t;
	return "trial";
}

const struct topo_path *
topology_path(const struct proxyd *px, const char *dest)
{
	(void)px;
	(void)dest;
	return NULL;
}

const char *
tun_name(const struct tun *t)
{
	(void)t;
	return "pxy0";
}

/* ping_start() records its call; ping_cancel() counts them. */
static struct {
	int		 started;
	char		 dest[PKT_NAME_MAX + 1];
	ping_done_fn	 done;
	void		*arg;
	int64_t		 tag;
	bool		 refuse;	/* answer -1 with a message */
	int		 cancels;	/* ping_cancel(arg) of this arg */
	int		 cancels_all;	/* ping_cancel() of any client */
} ping;

int
ping_start(struct proxyd *px, const char *dest, ping_done_fn done, void *arg,
    int64_t tag, char *err, size_t errlen)
{
	(void)px;
	if (ping.refuse) {
		snprintf(err, errlen, "no route to proxy '%s'", dest);
		return -1;
	}
	ping.started++;
	snprintf(ping.dest, sizeof(ping.dest), "%s", dest);
	ping.done = done;
	ping.arg = arg;
	ping.tag = tag;
	return 0;
}

void
ping_cancel(void *arg)
{
	ping.cancels_all++;
	if (arg != NULL && arg == ping.arg) {
		ping.cancels++;
		ping.arg = NULL;	/* done() must not be called any more */
		ping.done = NULL;
	}
}

/* the daemon side */

static struct proxyd	 px;
static struct conf	 conf;
static struct control	*ctl;
static char		 dir[] = "/tmp/check_control.XXXXXX";
static char		 sock_path[108];
static struct link	*links;		/* array of n_links */
static size_t		 n_links;

/* the client side */

struct client {
	int	 fd;
	char	*buf;
	size_t	 len, cap, off;	/* off: the next unread line */
	bool	 eof;
	int	 err;		/* errno of the read that ended it, or 0 */
};

#define CL_MAX	(CLIENTS_MAX + 4)
static struct client	cl[CL_MAX];
static struct json_doc	doc, row;

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
cl_drain(struct client *c)
{
	for (;;) {
		ssize_t n;

		if (c->fd < 0 || c->eof)
			return;
		if (c->cap - c->len < 65536) {
			c->cap = c->cap * 2 + 65536;
			c->buf = realloc(c->buf, c->cap + 1);
			ck_assert_ptr_nonnull(c->buf);
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, MSG_DONTWAIT);
		if (n > 0) {
			c->len += (size_t)n;
			c->buf[c->len] = '\0';
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			c->eof = true;
			c->err = n == 0 ? 0 : errno;
		}
		return;
	}
}

/* One turn of the daemon's loop, then every client reads what it can. */
static void
turn(void)
{
	event_base_loop(px.base, EVLOOP_NONBLOCK);
	for (int i = 0; i < CL_MAX; i++)
		cl_drain(&cl[i]);
}

/* Turns the loop until done(c) or WAIT_MS pass; returns done(c). */
static bool
wait_until(struct client *c, bool (*done)(struct client *))
{
	uint64_t end = mono_ms() + WAIT_MS;

	for (;;) {
		turn();
		if (done(c))
			return true;
		if (mono_ms() > end)
			return false;
		usleep(200);
	}
}

/* Turns the loop for ms milliseconds whatever happens. */
static void
settle(unsigned ms)
{
	uint64_t end = mono_ms() + ms;

	do {
		turn();
		usleep(200);
	} while (mono_ms() < end);
}

static struct client *
cl_open(void)
{
	struct sockaddr_un sun;
	struct client *c = NULL;

	for (int i = 0; i < CL_MAX; i++)
		if (cl[i].fd < 0) {
			c = &cl[i];
			break;
		}
	ck_assert_ptr_nonnull(c);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_path);
	c->fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(c->fd, 0);
	ck_assert_int_eq(connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)),
	    0);
	c->len = c->off = 0;
	c->eof = false;
	c->err = 0;
	return c;
}

static void
cl_close(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->eof = true;
}

/* Writes all of p, turning the loop while the socket is full. */
static void
cl_write(struct client *c, const char *p, size_t len)
{
	uint64_t end = mono_ms() + WAIT_MS;

	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN)
			return;		/* the server hung up: tests see eof */
		ck_assert_msg(mono_ms() < end, "cannot write to the server");
		turn();
	}
}

static void cl_send(struct client *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Sends one request line (the newline is added). */
static void
cl_send(struct client *c, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	ck_assert(n > 0 && (size_t)n < sizeof(line) - 1);
	line[n++] = '\n';
	cl_write(c, line, (size_t)n);
}

static size_t
lines_unread(const struct client *c)
{
	size_t n = 0;

	for (size_t i = c->off; i < c->len; i++)
		n += c->buf[i] == '\n';
	return n;
}

static bool
has_line(struct client *c)
{
	return lines_unread(c) > 0;
}

static bool
is_eof(struct client *c)
{
	return c->eof;
}

/*
 * Whether the unread lines hold an end line or an error line: a reply is
 * complete.
 */
static bool
has_reply(struct client *c)
{
	const char *p = c->buf != NULL ? c->buf + c->off : "";

	return strstr(p, "\"end\":true") != NULL ||
	    strstr(p, "\"ok\":false") != NULL ||
	    strstr(p, "\"ok\":true") != NULL;
}

/* The next line, parsed into doc; fails the test if there is none. */
static const struct json_doc *
next_line(struct client *c)
{
	char *nl;
	const char *why = NULL;
	size_t len;

	ck_assert_msg(wait_until(c, has_line), "no line from the server");
	nl = memchr(c->buf + c->off, '\n', c->len - c->off);
	len = (size_t)(nl - (c->buf + c->off));
	ck_assert_msg(json_parse(c->buf + c->off, len, &doc, &why) == 0,
	    "bad reply line: %s", why);
	c->off += len + 1;
	return &doc;
}

static int64_t
get_int(const struct json_doc *d, const char *key)
{
	int64_t v = -12345;

	ck_assert_msg(json_get_int(d, key, &v) == 0, "no integer '%s'", key);
	return v;
}

static bool
get_true(const struct json_doc *d, const char *key)
{
	const struct json_kv *kv = json_get(d, key);

	return kv != NULL && kv->type == JSON_BOOL && strcmp(kv->val,
	    "true") == 0;
}

/* The row object of a row line, parsed into row. */
static const struct json_doc *
row_of(const struct json_doc *d)
{
	const struct json_kv *kv = json_get(d, "row");
	const char *why = NULL;

	ck_assert_ptr_nonnull(kv);
	ck_assert_int_eq(kv->type, JSON_RAW);
	ck_assert_msg(json_parse(kv->val, strlen(kv->val), &row, &why) == 0,
	    "bad row: %s", why);
	return &row;
}

/* Reads an error line for id; returns its code. */
static const char *
expect_error(struct client *c, int64_t id)
{
	static char code[64];
	const struct json_doc *d = next_line(c);
	const char *e = json_get_str(d, "error");

	ck_assert_int_eq(get_int(d, "id"), id);
	ck_assert_ptr_nonnull(json_get(d, "ok"));
	ck_assert(!get_true(d, "ok"));
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_nonnull(json_get_str(d, "msg"));
	snprintf(code, sizeof(code), "%s", e);
	return code;
}

static void
hello(struct client *c)
{
	const struct json_doc *d;

	cl_send(c, "{\"id\":0,\"cmd\":\"hello\",\"v\":[%d,%d],"
	    "\"client\":\"check_control\"}", CTL_PROTO_MAJOR, CTL_PROTO_MINOR);
	d = next_line(c);
	ck_assert(get_true(d, "ok"));
}

/*
 * Sends cmd (args: a JSON array or NULL) as request id and reads the rows
 * up to the end line, which must count them.  Returns the number of rows;
 * each row's "name" (if any) is checked against names[i] when given.
 */
static unsigned
table(struct client *c, int64_t id, const char *cmd, const char *args,
    const char *const *names)
{
	unsigned n = 0;

	if (args != NULL)
		cl_send(c, "{\"id\":%lld,\"cmd\":\"%s\",\"args\":%s}",
		    (long long)id, cmd, args);
	else
		cl_send(c, "{\"id\":%lld,\"cmd\":\"%s\"}", (long long)id, cmd);
	for (;;) {
		const struct json_doc *d = next_line(c);

		ck_assert_int_eq(get_int(d, "id"), id);
		if (json_get(d, "end") != NULL) {
			ck_assert(get_true(d, "end"));
			ck_assert_int_eq(get_int(d, "rows"), n);
			return n;
		}
		ck_assert_msg(json_get(d, "error") == NULL, "error: %s",
		    json_get_str(d, "msg"));
		if (names != NULL)
			ck_assert_str_eq(json_get_str(row_of(d), "name"),
			    names[n]);
		n++;
	}
}

/* n neighbour links named n0000..; every other one up. */
static void
make_links(size_t n)
{
	links = calloc(n, sizeof(*links));
	ck_assert_ptr_nonnull(links);
	n_links = n;
	for (size_t i = 0; i < n; i++) {
		struct link *l = &links[i];

		snprintf(l->name, sizeof(l->name), "n%04zu", i);
		l->px = &px;
		l->state = i % 2 == 0 ? LINK_UP : LINK_IDLE;
		l->initiator = true;
		l->resolved = true;
		l->peer.sin_family = AF_INET;
		l->peer.sin_addr.s_addr = htonl(0x0a000000 + (uint32_t)i);
		l->peer.sin_port = htons(4790);
		l->rtt_ms = i % 3 == 0 ? -1 : 1.5;
		l->ka_interval_s = 5;
		l->up_us = l->last_rx_us = fake_now - 1000000;
		l->next = i + 1 < n ? &links[i + 1] : NULL;
	}
	px.links = n > 0 ? &links[0] : NULL;
}

static void
setup(void)
{
	memset(&px, 0, sizeof(px));
	memset(&conf, 0, sizeof(conf));
	memset(&ping, 0, sizeof(ping));
	probe_started = NULL;
	for (int i = 0; i < CL_MAX; i++) {
		memset(&cl[i], 0, sizeof(cl[i]));
		cl[i].fd = -1;
	}
	snprintf(conf.name, sizeof(conf.name), "alpha");
	px.conf = &conf;
	px.start_us = fake_now - 60000000;
	px.base = event_base_new();
	ck_assert_ptr_nonnull(px.base);
	px.topo = topo_new("alpha");
	px.flows = flow_table_new(4096);
	ck_assert_ptr_nonnull(px.topo);
	ck_assert_ptr_nonnull(px.flows);
	route_table_init(&px.routes);
	snprintf(sock_path, sizeof(sock_path), "%s/run/ctl.sock", dir);
	ctl = control_open(&px, sock_path);
	ck_assert_ptr_nonnull(ctl);
}

static void
teardown(void)
{
	/* clients hang up first, so the server frees them */
	for (int i = 0; i < CL_MAX; i++) {
		cl_close(&cl[i]);
		free(cl[i].buf);
		cl[i].buf = NULL;
	}
	settle(20);
	control_close(ctl);
	event_base_free(px.base);
	topo_free(px.topo);
	flow_table_free(px.flows);
	route_table_release(&px.routes);
	free(links);
	links = NULL;
	n_links = 0;
}

/* framing and hello */

START_TEST(socket_is_made_with_mode_0660)
{
	struct stat st;

	ck_assert_int_eq(stat(sock_path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0660);
}
END_TEST

START_TEST(hello_is_answered_with_versions)
{
	struct client *c = cl_open();
	const struct json_doc *d;
	const struct json_kv *v;

	cl_send(c, "{\"id\":0,\"cmd\":\"hello\",\"v\":[1,0],"
	    "\"client\":\"proxyctl 0.1\"}");
	d = next_line(c);
	ck_assert_int_eq(get_int(d, "id"), 0);
	ck_assert(get_true(d, "ok"));
	v = json_get(d, "v");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->val, "[1,0]");
	ck_assert_str_eq(json_get_str(d, "server"), "proxyd " PROXYD_VERSION);
	settle(10);
	ck_assert_uint_eq(lines_unread(c), 0);	/* one line, no more */
}
END_TEST

START_TEST(table_reply_is_rows_then_end_line)
{
	static const char *const names[] = { "alpha" };
	struct client *c = cl_open();
	const struct json_doc *d, *r;

	px.st.drop_auth = 5;
	hello(c);
	ck_assert_uint_eq(table(c, 7, "status", NULL, names), 1);
	/* again, looking at the row itself */
	cl_send(c, "{\"id\":8,\"cmd\":\"status\"}");
	d = next_line(c);
	ck_assert_int_eq(get_int(d, "id"), 8);
	r = row_of(d);
	ck_assert_int_eq(get_int(r, "drop_auth"), 5);
	ck_assert_str_eq(json_get_str(r, "version"), PROXYD_VERSION);
	ck_assert_str_eq(json_get_str(r, "tun"), "");
	d = next_line(c);
	ck_assert(get_true(d, "end"));
	ck_assert_int_eq(get_int(d, "rows"), 1);
}
END_TEST

START_TEST(pipelined_requests_are_answered_in_order)
{
	const char *req = "{\"id\":0,\"cmd\":\"hello\",\"v\":[1,0]}\n"
	    "{\"id\":1,\"cmd\":\"status\"}\n"
	    "{\"id\":2,\"cmd\":\"neighbours\"}\n"
	    "{\"id\":3,\"cmd\":\"flows\"}\n";
	struct client *c = cl_open();
	const struct json_doc *d;

	cl_write(c, req, strlen(req));
	d = next_line(c);
	ck_assert(get_true(d, "ok"));
	ck_assert_int_eq(get_int(next_line(c), "id"), 1);	/* row */
	d = next_line(c);
	ck_assert_int_eq(get_int(d, "id"), 1);
	ck_assert(get_true(d, "end"));
	d = next_line(c);				/* no neighbours */
	ck_assert_int_eq(get_int(d, "id"), 2);
	ck_assert_int_eq(get_int(d, "rows"), 0);
	d = next_line(c);
	ck_assert_int_eq(get_int(d, "id"), 3);
	ck_assert_int_eq(get_int(d, "rows"), 0);
}
END_TEST

START_TEST(request_split_across_writes_is_answered_once_whole)
{
	struct client *c = cl_open();

	hello(c);
	cl_write(c, "{\"id\":4,\"cmd\":", 14);
	settle(30);
	ck_assert_uint_eq(c->len - c->off, 0);		/* nothing yet */
	cl_write(c, "\"neighbours\"}\n", 14);
	ck_assert_int_eq(get_int(next_line(c), "rows"), 0);
}
END_TEST

START_TEST(request_before_hello_is_refused)
{
	struct client *c = cl_open();

	cl_send(c, "{\"id\":3,\"cmd\":\"status\"}");
	ck_assert_str_eq(expect_error(c, 3), "hello_first");
	/* not a disconnect: hello, and it works */
	hello(c);
	ck_assert_uint_eq(table(c, 4, "status", NULL, NULL), 1);
	ck_assert(!c->eof);
}
END_TEST

/* hello with these "v" values is refused */
static const char *const bad_versions[] = {
	"[2,0]", "[0,9]", "[]", "\"1.0\"", NULL,
};

START_TEST(hello_with_wrong_major_closes_connection)
{
	struct client *c = cl_open();

	if (bad_versions[_i] != NULL)
		cl_send(c, "{\"id\":1,\"cmd\":\"hello\",\"v\":%s}",
		    bad_versions[_i]);
	else
		cl_send(c, "{\"id\":1,\"cmd\":\"hello\"}");
	ck_assert_str_eq(expect_error(c, 1), "version");
	ck_assert_msg(wait_until(c, is_eof), "still connected after a "
	    "version mismatch");
	ck_assert_uint_eq(lines_unread(c), 0);
}
END_TEST

START_TEST(unknown_command_gives_error_and_keeps_connection)
{
	struct client *c = cl_open();
	const struct json_doc *d;

	hello(c);
	cl_send(c, "{\"id\":5,\"cmd\":\"frobnicate\"}");
	d = next_line(c);
	ck_assert_int_eq(get_int(d, "id"), 5);
	ck_assert_str_eq(json_get_str(d, "error"), "unknown_command");
	ck_assert_ptr_nonnull(strstr(json_get_str(d, "msg"), "frobnicate"));
	ck_assert_uint_eq(table(c, 6, "status", NULL, NULL), 1);
}
END_TEST

START_TEST(bad_requests_give_errors_and_keep_connection)
{
	struct client *c = cl_open();

	hello(c);
	cl_send(c, "{\"id\":5,\"cmd\":");			/* bad JSON */
	ck_assert_str_eq(expect_error(c, 0), "bad_request");
	cl_send(c, "{\"id\":6,\"command\":\"status\"}");	/* no cmd */
	ck_assert_str_eq(expect_error(c, 6), "bad_request");
	cl_send(c, "{\"id\":7,\"cmd\":17}");		/* cmd not a string */
	ck_assert_str_eq(expect_error(c, 7), "bad_request");
	ck_assert_uint_eq(table(c, 8, "status", NULL, NULL), 1);
}
END_TEST

/* Sends len bytes of one request line (a newline at the end if nl). */
static void
send_long(struct client *c, size_t len, bool nl)
{
	char *p = malloc(len);

	ck_assert_ptr_nonnull(p);
	memset(p, ' ', len);
	memcpy(p, "{\"id\":9,\"cmd\":\"status\",\"pad\":\"", 30);
	p[len - 3] = '"';
	p[len - 2] = '}';
	p[len - 1] = nl ? '\n' : ' ';
	cl_write(c, p, len);
	free(p);
}

START_TEST(line_at_the_limit_is_served)
{
	struct client *c = cl_open();

	hello(c);
	send_long(c, JSON_LINE_MAX, true);	/* 65535 bytes and the newline */
	ck_assert(wait_until(c, has_reply));
	ck_assert(!c->eof);
	ck_assert_int_eq(get_int(next_line(c), "id"), 9);
}
END_TEST

START_TEST(over_long_line_gets_error_then_close)
{
	struct client *c = cl_open();

	hello(c);
	send_long(c, JSON_LINE_MAX + 2 + (size_t)_i * 10000, _i == 1);
	ck_assert_msg(wait_until(c, is_eof), "still connected after an "
	    "over-long line");
	ck_assert_msg(strstr(c->buf != NULL ? c->buf + c->off : "",
	    "\"error\":\"too_long\"") != NULL, "no too_long error before the "
	    "close (read error %d)", c->err);
	/* the server forgot the client: others are still served */
	c = cl_open();
	hello(c);
}
END_TEST

/* tables */

START_TEST(neighbour_table_larger_than_reply_buffer_is_complete)
{
	struct client *c = cl_open();
	const char **names;
	unsigned n;
	const struct json_doc *d, *r;

	make_links(1500);		/* ~300 bytes a row: ~450 KB */
	names = calloc(n_links, sizeof(*names));
	for (size_t i = 0; i < n_links; i++)
		names[i] = links[i].name;
	hello(c);
	n = table(c, 11, "neighbours", NULL, names);
	ck_assert_uint_eq(n, n_links);
	ck_assert_uint_gt(c->len, 16384 * 4);
	free(names);
	/* one row's fields, from the link and the link functions */
	cl_send(c, "{\"id\":12,\"cmd\":\"neighbors\"}");
	d = next_line(c);
	r = row_of(d);
	ck_assert_str_eq(json_get_str(r, "name"), "n0000");
	ck_assert_str_eq(json_get_str(r, "state"), "up");
	ck_assert_str_eq(json_get_str(r, "addr"), "10.0.0.0:4790");
	ck_assert_str_eq(json_get_str(r, "dir"), "out");
	ck_assert_int_eq(get_int(r, "dead_after_s"), 16);
	ck_assert_int_eq(json_get(r, "rtt_ms")->type, JSON_NULL);
	d = next_line(c);
	ck_assert_str_eq(json_get_str(row_of(d), "state"), "connecting");
}
END_TEST

START_TEST(flow_table_larger_than_reply_buffer_is_complete)
{
	struct client *c = cl_open();
	struct ipv4_info in;

	for (uint32_t i = 0; i < 3000; i++) {
		memset(&in, 0, sizeof(in));
		in.src.s_addr = htonl(0xc0a80000 + i);
		in.dst.s_addr = htonl(0xc0a90001);
		in.proto = 50;
		in.cls = IPV4_ESP;
		in.spi = 0x1000 + i;
		in.total_len = 100;
		ck_assert_ptr_nonnull(flow_update(px.flows, &in, 100, fake_now));
	}
	ck_assert_uint_eq(flow_count(px.flows), 3000);
	hello(c);
	ck_assert_uint_eq(table(c, 13, "flows", NULL, NULL), 3000);
	ck_assert_uint_eq(table(c, 14, "status", NULL, NULL), 1);
}
END_TEST

START_TEST(empty_tables_end_with_zero_rows)
{
	static const char *const cmds[] = { "neighbours", "routes", "flows",
	    "nat", "topology" };
	struct client *c = cl_open();

	hello(c);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		ck_assert_uint_eq(table(c, (int64_t)i + 20, cmds[i], NULL,
		    NULL), 0);
}
END_TEST

/* the client cap */

START_TEST(clients_over_the_cap_are_closed)
{
	struct client *c[CLIENTS_MAX], *extra;

	for (int i = 0; i < CLIENTS_MAX; i++) {
		c[i] = cl_open();
		hello(c[i]);
	}
	extra = cl_open();
	cl_send(extra, "{\"id\":0,\"cmd\":\"hello\",\"v\":[1,0]}");
	ck_assert_msg(wait_until(extra, is_eof), "client %d was served",
	    CLIENTS_MAX + 1);
	ck_assert_uint_eq(extra->len, 0);
	cl_close(extra);
	/* every admitted client is still served */
	ck_assert_uint_eq(table(c[CLIENTS_MAX - 1], 1, "status", NULL, NULL),
	    1);
	/* one leaves: a newcomer gets its place */
	cl_close(c[0]);
	settle(30);
	extra = cl_open();
	hello(extra);
	ck_assert(!extra->eof);
}
END_TEST

START_TEST(control_close_closes_every_client_and_the_socket)
{
	struct client *a = cl_open(), *b = cl_open();
	struct stat st;

	hello(a);
	hello(b);
	cl_send(b, "{\"id\":3,\"cmd\":\"ping\",\"args\":[\"bravo\"]}");
	settle(30);
	ck_assert_ptr_nonnull(ping.arg);
	control_close(ctl);
	ctl = NULL;
	ck_assert(wait_until(a, is_eof));
	ck_assert(wait_until(b, is_eof));
	ck_assert_int_eq(ping.cancels, 1);	/* b's ping ends unanswered */
	ck_assert_int_eq(stat(sock_path, &st), -1);
}
END_TEST

/* ping: the deferred answer */

START_TEST(ping_answers_later_with_row_and_end)
{
	struct client *c = cl_open();
	struct ping_result r = {
		.dest = "bravo", .answered = true, .rtt_ms = 12.5,
		.hops_there = 2, .hops_back = 3,
		.path = "alpha > x > bravo > y > z > alpha", .via = "x",
	};
	const struct json_doc *d, *row_d;

	hello(c);
	cl_send(c, "{\"id\":9,\"cmd\":\"ping\",\"args\":[\"bravo\"]}");
	settle(30);
	ck_assert_int_eq(ping.started, 1);
	ck_assert_str_eq(ping.dest, "bravo");
	ck_assert_int_eq(ping.tag, 9);
	ck_assert_ptr_nonnull(ping.done);
	ck_assert_uint_eq(lines_unread(c), 0);		/* no answer yet */
	/* other requests go on meanwhile */
	ck_assert_uint_eq(table(c, 10, "status", NULL, NULL), 1);

	ping.done(ping.arg, ping.tag, &r);
	d = next_line(c);
	ck_assert_int_eq(get_int(d, "id"), 9);
	row_d = row_of(d);
	ck_assert_str_eq(json_get_str(row_d, "name"), "bravo");
	ck_assert_str_eq(json_get_str(row_d, "via"), "x");
	ck_assert_int_eq(get_int(row_d, "hops_back"), 3);
	ck_assert_str_eq(json_get(row_d, "rtt_ms")->val, "12.500");
	d = next_line(c);
	ck_assert_int_eq(get_int(d, "id"), 9);
	ck_assert(get_true(d, "end"));
	ck_assert_int_eq(get_int(d, "rows"), 1);
	/* the next request carries its own id again */
	ck_assert_uint_eq(table(c, 11, "status", NULL, NULL), 1);
}
END_TEST

START_TEST(ping_without_answer_gives_timeout_error)
{
	struct client *c = cl_open();
	struct ping_result r = { .dest = "bravo", .answered = false,
	    .via = "x" };

	hello(c);
	cl_send(c, "{\"id\":15,\"cmd\":\"ping\",\"args\":[\"bravo\"]}");
	settle(30);
	ck_assert_ptr_nonnull(ping.done);
	ping.done(ping.arg, ping.tag, &r);
	ck_assert_str_eq(expect_error(c, 15), "timeout");
}
END_TEST

START_TEST(ping_refused_or_without_argument_gives_error)
{
	struct client *c = cl_open();

	hello(c);
	cl_send(c, "{\"id\":16,\"cmd\":\"ping\"}");
	ck_assert_str_eq(expect_error(c, 16), "usage");
	cl_send(c, "{\"id\":17,\"cmd\":\"ping\",\"args\":[\"a b\"]}");
	ck_assert_str_eq(expect_error(c, 17), "usage");
	ping.refuse = true;
	cl_send(c, "{\"id\":18,\"cmd\":\"ping\",\"args\":[\"zulu\"]}");
	ck_assert_str_eq(expect_error(c, 18), "no_route");
	ck_assert_int_eq(ping.started, 0);
}
END_TEST

static bool
ping_cancelled(struct client *c)
{
	(void)c;
	return ping.cancels > 0;
}

START_TEST(client_gone_cancels_its_ping)
{
	struct client *c = cl_open(), *other = cl_open();

	hello(c);
	hello(other);
	cl_send(c, "{\"id\":19,\"cmd\":\"ping\",\"args\":[\"bravo\"]}");
	settle(30);
	ck_assert_ptr_nonnull(ping.arg);
	cl_close(c);
	ck_assert_msg(wait_until(c, ping_cancelled), "ping not cancelled");
	ck_assert_int_eq(ping.cancels, 1);
	ck_assert_int_eq(ping.cancels_all, 1);	/* only the one that left */
	ck_assert_uint_eq(table(other, 20, "status", NULL, NULL), 1);
}
END_TEST

/* probe: restarts trials on an up link */

START_TEST(probe_starts_trials_on_an_up_neighbour)
{
	struct client *c = cl_open();
	const struct json_doc *d;

	make_links(3);
	hello(c);
	cl_send(c, "{\"id\":21,\"cmd\":\"probe\",\"args\":[\"n0002\"]}");
	d = next_line(c);
	ck_assert_str_eq(json_get_str(row_of(d), "probe"), "started");
	ck_assert_ptr_eq(probe_started, &links[2]);
	ck_assert_int_eq(get_int(next_line(c), "rows"), 1);
	cl_send(c, "{\"id\":22,\"cmd\":\"probe\",\"args\":[\"n0001\"]}");
	ck_assert_str_eq(expect_error(c, 22), "no_such_neighbour");
}
END_TEST

static Suite *
control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tc;

	tc = tcase_create("framing");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, socket_is_made_with_mode_0660);
	tcase_add_test(tc, hello_is_answered_with_versions);
	tcase_add_test(tc, table_reply_is_rows_then_end_line);
	tcase_add_test(tc, pipelined_requests_are_answered_in_order);
	tcase_add_test(tc, request_split_across_writes_is_answered_once_whole);
	tcase_add_test(tc, line_at_the_limit_is_served);
	tcase_add_loop_test(tc, over_long_line_gets_error_then_close, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("hello");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, request_before_hello_is_refused);
	tcase_add_loop_test(tc, hello_with_wrong_major_closes_connection, 0,
	    (int)(sizeof(bad_versions) / sizeof(bad_versions[0])));
	tcase_add_test(tc, unknown_command_gives_error_and_keeps_connection);
	tcase_add_test(tc, bad_requests_give_errors_and_keep_connection);
	suite_add_tcase(s, tc);

	tc = tcase_create("tables");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, neighbour_table_larger_than_reply_buffer_is_complete);
	tcase_add_test(tc, flow_table_larger_than_reply_buffer_is_complete);
	tcase_add_test(tc, empty_tables_end_with_zero_rows);
	tcase_add_test(tc, probe_starts_trials_on_an_up_neighbour);
	suite_add_tcase(s, tc);

	tc = tcase_create("clients");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, clients_over_the_cap_are_closed);
	tcase_add_test(tc, control_close_closes_every_client_and_the_socket);
	suite_add_tcase(s, tc);

	tc = tcase_create("ping");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, ping_answers_later_with_row_and_end);
	tcase_add_test(tc, ping_without_answer_gives_timeout_error);
	tcase_add_test(tc, ping_refused_or_without_argument_gives_error);
	tcase_add_test(tc, client_gone_cancels_its_ping);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;
	char sub[sizeof(dir) + 16];

	signal(SIGPIPE, SIG_IGN);	/* as the daemon does (main.c) */
	log_init(1, getenv("CHECK_CONTROL_LOG") != NULL ? LOG_LVL_DEBUG :
	    LOG_LVL_ERROR, "check_control");
	if (mkdtemp(dir) == NULL) {
		perror("check_control: mkdtemp");
		return 99;
	}
	sr = srunner_create(control_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	/* a test that failed before control_close() left its socket */
	snprintf(sub, sizeof(sub), "%s/run/ctl.sock", dir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/run", dir);
	rmdir(sub);
	rmdir(dir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
