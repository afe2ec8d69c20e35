/* SPDX-License-Identifier: ISC */
/*
 * This file owns the unit tests of proxyd/control.c: the real control
 * server on a UNIX socket in a temporary directory, driven by clients in
 * this process and a libevent loop run in bounded non-blocking turns.
 * Every engine function control.c calls is faked here (the links are
 * plain structs; ping and probe record their calls); lib/ is real.
 * Covered: framing, hello first and versions, errors, over-long lines,
 * tables larger than a reply buffer, the client cap and the places kept
 * for root, ping's deferred answer and cancellation, the idle timeout,
 * the output high-water mark and the drop of clients that do not read,
 * and what control_open() does with what sits at its path.  The limits
 * are control.h's; its timeouts run on the fake clock (now_us()), checked
 * by control.c's sweep timer, which runs in real time.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
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
#include <sys/wait.h>

#include "conn.h"
#include "control.h"
#include "ctl.h"
#include "json.h"
#include "kroute.h"
#include "revoke.h"
#include "link.h"
#include "log.h"
#include "ping.h"
#include "probe.h"
#include "reload.h"
#include "topology.h"
#include "tun.h"

#define WAIT_MS		3000	/* the longest any wait here may take */
#define SWEEP_WAIT_MS	(CTL_SWEEP_MS + 300)	/* a sweep surely ran */
#define NOBODY		65534	/* a uid and gid that is not root */

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

const char *
link_transport_name(const struct link *l)
{
	return l->tp != NULL ? l->tp->name : "udp";
}

bool
link_datagrams(const struct link *l)
{
	return l->tp == NULL || l->tp->kind == LINK_TP_UDP;
}

bool
link_udp_blocked(const struct proxyd *p)
{
	(void)p;
	return false;
}

/* "n0000" has a clone at 10.0.0.9:4790, refused 3 times, held. */
const struct link_clone *
link_clone_of(const struct proxyd *p, const char *name)
{
	static struct link_clone k;

	(void)p;
	if (strcmp(name, "n0000") != 0)
		return NULL;
	memset(&k, 0, sizeof(k));
	snprintf(k.name, sizeof(k.name), "%s", name);
	k.kept = ep_v4((struct in_addr){ htonl(0x0a000000) }, 4790);
	k.other = ep_v4((struct in_addr){ htonl(0x0a000009) }, 4790);
	k.detected_us = fake_now - 5000000;
	k.hold_until_us = fake_now + 1000000;
	k.refused = 3;
	return &k;
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

const struct rtplan_verdict *
kroute_verdict(const struct proxyd *px, struct in_addr addr, uint8_t plen)
{
	(void)px;
	(void)addr;
	(void)plen;
	return NULL;
}

bool
kroute6_installed(const struct proxyd *px, const struct in6_addr *a,
    uint8_t plen)
{
	(void)px;
	(void)a;
	(void)plen;
	return false;
}

const struct rtplan_foreign6 *
kroute6_refused(const struct proxyd *px, const struct in6_addr *a,
    uint8_t plen)
{
	(void)px;
	(void)a;
	(void)plen;
	return NULL;
}

const char *
kroute_why6(const struct rtplan_foreign6 *by, char *buf, size_t len)
{
	(void)by;
	snprintf(buf, len, "%s", "");
	return buf;
}

uint64_t
revoke_crl_number(const struct proxyd *px, bool *have)
{
	(void)px;
	*have = false;
	return 0;
}

const char *
kroute_why(const struct rtplan_verdict *v, char *buf, size_t len)
{
	(void)v;
	snprintf(buf, len, "%s", "");
	return buf;
}

const char *
tun_name(const struct tun *t)
{
	(void)t;
	return "pxy0";
}

/* reload_run(): fake_reload_lines lines, applied or refused. */
static bool		 fake_reload_ok;
static size_t		 fake_reload_lines;
static int		 fake_reloads;

int
reload_run(struct proxyd *px, struct reload_result *r)
{
	(void)px;
	memset(r, 0, sizeof(*r));
	fake_reloads++;
	r->ok = fake_reload_ok;
	r->lines.msgs = calloc(fake_reload_lines + 1, sizeof(char *));
	ck_assert_ptr_nonnull(r->lines.msgs);
	for (size_t i = 0; i < fake_reload_lines; i++) {
		char buf[128];

		snprintf(buf, sizeof(buf), "/etc/proxyd/x.conf:%zu: line \"%zu\"",
		    i + 1, i);
		r->lines.msgs[r->lines.n++] = strdup(buf);
	}
	r->n_changed = fake_reload_ok ? fake_reload_lines : 0;
	return fake_reload_ok ? 0 : -1;
}

void
reload_result_release(struct reload_result *r)
{
	for (size_t i = 0; i < r->lines.n; i++)
		free(r->lines.msgs[i]);
	free(r->lines.msgs);
	memset(r, 0, sizeof(*r));
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
static char		 other_path[108];	/* a second path beside it */
static struct link	*links;		/* array of n_links */
static size_t		 n_links;

/* the client side */

struct client {
	int	 fd;
	char	*buf;
	size_t	 len, cap, off;	/* off: the next unread line */
	bool	 eof;
	bool	 noread;	/* turn() leaves its replies in the socket */
	int	 err;		/* errno of the read that ended it, or 0 */
};

#define CL_MAX	(CTL_CLIENTS_MAX + 4)
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
		if (!cl[i].noread)
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

/* A connected socket to path, or -1. */
static int
connect_to(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A free client slot, given fd. */
static struct client *
cl_take(int fd)
{
	struct client *c = NULL;

	for (int i = 0; i < CL_MAX; i++)
		if (cl[i].fd < 0) {
			c = &cl[i];
			break;
		}
	ck_assert_ptr_nonnull(c);
	ck_assert_int_ge(fd, 0);
	c->fd = fd;
	c->len = c->off = 0;
	c->eof = false;
	c->noread = false;
	c->err = 0;
	return c;
}

static struct client *
cl_open(void)
{
	return cl_take(connect_to(sock_path));
}

/*
 * A client that connected as uid (and gid) NOBODY: a child process
 * connects (the daemon's SO_PEERCRED sees who called connect()) and hands
 * the socket over.  Needs root; the caller opened the path to everyone.
 */
static struct client *
cl_open_nobody(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))], x = 0;
	struct iovec iov = { &x, 1 };
	struct msghdr m = { 0 };
	struct cmsghdr *cm;
	int sv[2], fd = -1, status;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(cbuf, 0, sizeof(cbuf));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cbuf;
	m.msg_controllen = sizeof(cbuf);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		if (setgroups(0, NULL) == -1 || setgid(NOBODY) == -1 ||
		    setuid(NOBODY) == -1 || (fd = connect_to(sock_path)) == -1)
			_exit(1);
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		_exit(sendmsg(sv[1], &m, 0) == 1 ? 0 : 2);
	}
	ck_assert_int_gt(pid, 0);
	close(sv[1]);
	if (recvmsg(sv[0], &m, 0) == 1 && (cm = CMSG_FIRSTHDR(&m)) != NULL &&
	    cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	close(sv[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "cannot connect as uid %d (status %d)", NOBODY, status);
	return cl_take(fd);
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
	return c->buf != NULL && memchr(c->buf + c->off, '\n', c->len - c->off)
	    != NULL;
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

/* One field (an integer) of the status row, asked by c. */
static int64_t
status_field(struct client *c, const char *field)
{
	static int64_t id = 100000;
	const struct json_doc *d;
	int64_t v;

	cl_send(c, "{\"id\":%lld,\"cmd\":\"status\"}", (long long)++id);
	d = next_line(c);
	ck_assert_int_eq(get_int(d, "id"), id);
	v = get_int(row_of(d), field);
	d = next_line(c);
	ck_assert(get_true(d, "end"));
	return v;
}

/* Whether the daemon hung up on c (its replies left unread or not). */
static bool
is_hup(struct client *c)
{
	struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP));
}

/*
 * c (hello said) sends status requests and reads nothing, until the
 * socket is full and some of its replies wait in the daemon (ctl_queued,
 * as o sees it), well under the high-water mark.
 */
static void
fill_socket(struct client *c, struct client *o)
{
	int id = 1;

	c->noread = true;
	for (int round = 0; round < 1000; round++) {
		for (int k = 0; k < 10; k++)
			cl_send(c, "{\"id\":%d,\"cmd\":\"status\"}", id++);
		settle(2);
		if (status_field(o, "ctl_queued") > 0) {
			ck_assert_int_lt(status_field(o, "ctl_queued"),
			    CTL_OUT_HIGH);
			return;
		}
	}
	ck_abort_msg("%d status replies unread, and the socket takes more",
	    id - 1);
}

/* status requests with ids 1..n, padded to ~250 bytes each */
#define FLOOD_N	4000

static char *
status_requests(int n, size_t *len)
{
	char *p = malloc((size_t)n * 256), *q = p;

	ck_assert_ptr_nonnull(p);
	for (int i = 1; i <= n; i++)
		q += sprintf(q, "{\"id\":%d,\"cmd\":\"status\",\"pad\":\"%0200d\"}"
		    "\n", i, 0);
	*len = (size_t)(q - p);
	return p;
}

/*
 * Writes as much of p as the daemon takes, turning its loop, until
 * nothing more goes for 300 ms; returns the bytes written.
 */
static size_t
flood(struct client *c, const char *p, size_t len)
{
	size_t off = 0;
	uint64_t still = mono_ms();

	while (off < len && mono_ms() < still + 300) {
		ssize_t n = send(c->fd, p + off, len - off, MSG_DONTWAIT |
		    MSG_NOSIGNAL);

		if (n > 0) {
			off += (size_t)n;
			still = mono_ms();
		} else
			ck_assert_int_eq(errno, EAGAIN);
		turn();
		usleep(200);
	}
	return off;
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
		l->peer.family = AF_INET;
		l->peer.a.v4.s_addr = htonl(0x0a000000 + (uint32_t)i);
		l->peer.port = 4790;
		l->rtt_ms = i % 3 == 0 ? -1 : 1.5;
		l->ka_interval_s = 5;
		l->up_us = l->last_rx_us = fake_now - 1000000;
		l->next = i + 1 < n ? &links[i + 1] : NULL;
	}
	px.links = n > 0 ? &links[0] : NULL;
}


/* the log, for the tests that read what control.c says */

static int	saved_stderr = -1;
static int	log_level = LOG_LVL_ERROR;
static char	log_path[sizeof(dir) + 16];

/* From now on this test's log (all levels) goes to a file. */
static void
log_capture(void)
{
	int fd;

	snprintf(log_path, sizeof(log_path), "%s/log", dir);
	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved_stderr = dup(2);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
	log_init(1, LOG_LVL_DEBUG, "check_control");
}

static void
log_restore(void)
{
	if (saved_stderr < 0)
		return;
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
	unlink(log_path);
	log_init(1, log_level, "check_control");
}

static int	logged(const char *, ...) __attribute__((format(printf, 1, 2)));

/* How many lines of the captured log hold the text. */
static int
logged(const char *fmt, ...)
{
	char needle[512], line[2048];
	va_list ap;
	FILE *f;
	int n = 0;

	va_start(ap, fmt);
	vsnprintf(needle, sizeof(needle), fmt, ap);
	va_end(ap);
	fflush(stderr);
	if ((f = fopen(log_path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
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
	snprintf(other_path, sizeof(other_path), "%s/run/other.sock", dir);
	/* what a failed test may have left there */
	if (unlink(other_path) == -1)
		rmdir(other_path);
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
	log_restore();
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

	cl_send(c, "{\"id\":0,\"cmd\":\"hello\",\"v\":[2,0],"
	    "\"client\":\"proxyctl 0.1\"}");
	d = next_line(c);
	ck_assert_int_eq(get_int(d, "id"), 0);
	ck_assert(get_true(d, "ok"));
	v = json_get(d, "v");
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v->val, "[2,0]");
	ck_assert_str_eq(json_get_str(d, "version"), "2.0");
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
	/* no TUN: null, not "" (absent values are null, one way only) */
	ck_assert_ptr_nonnull(json_get(r, "tun"));
	ck_assert_int_eq(json_get(r, "tun")->type, JSON_NULL);
	d = next_line(c);
	ck_assert(get_true(d, "end"));
	ck_assert_int_eq(get_int(d, "rows"), 1);
}
END_TEST

START_TEST(pipelined_requests_are_answered_in_order)
{
	const char *req = "{\"id\":0,\"cmd\":\"hello\",\"v\":[2,0]}\n"
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
	"[1,0]", "[3,0]", "[0,9]", "[]", "\"2.0\"", NULL,
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
	/* the other proxy with its name (link_clone_of() above) */
	ck_assert_str_eq(json_get_str(r, "clone"), "10.0.0.9:4790");
	ck_assert_double_eq_tol(strtod(json_get(r, "clone_s")->val, NULL),
	    5.0, 0.01);
	ck_assert_int_eq(get_int(r, "clone_refused"), 3);
	ck_assert_str_eq(json_get(r, "clone_held")->val, "true");
	d = next_line(c);
	ck_assert_str_eq(json_get_str(row_of(d), "state"), "connecting");
	/* no clone: null, one way only */
	ck_assert_int_eq(json_get(row_of(d), "clone")->type, JSON_NULL);
	ck_assert_int_eq(json_get(row_of(d), "clone_s")->type, JSON_NULL);
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

static const char hello_line[] = "{\"id\":0,\"cmd\":\"hello\",\"v\":[2,0]}\n";

/* The clients this test's own uid may have at once. */
static int
own_cap(void)
{
	return geteuid() == 0 ? CTL_CLIENTS_MAX :
	    CTL_CLIENTS_MAX - CTL_CLIENTS_ROOT;
}

START_TEST(clients_over_the_cap_are_closed)
{
	struct client *c[CTL_CLIENTS_MAX], *extra;
	int cap = own_cap();

	for (int i = 0; i < cap; i++) {
		c[i] = cl_open();
		hello(c[i]);
	}
	extra = cl_open();
	turn();			/* refused now */
	/* a client that says hello first can, and then reads why */
	ck_assert_int_eq(send(extra->fd, hello_line, strlen(hello_line),
	    MSG_NOSIGNAL), (ssize_t)strlen(hello_line));
	ck_assert_str_eq(expect_error(extra, 0), "busy");
	ck_assert_msg(wait_until(extra, is_eof), "client %d was served",
	    cap + 1);
	ck_assert_uint_eq(lines_unread(extra), 0);
	cl_close(extra);
	/* every admitted client is still served */
	ck_assert_uint_eq(table(c[cap - 1], 1, "status", NULL, NULL), 1);
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

/* reload: rows of what was done, or one error line with every error */

START_TEST(reload_applied_answers_rows_then_end)
{
	struct client *c = cl_open();
	const struct json_doc *d;

	hello(c);
	fake_reload_ok = true;
	fake_reload_lines = 2;
	cl_send(c, "{\"id\":31,\"cmd\":\"reload\"}");
	d = next_line(c);
	ck_assert_ptr_nonnull(strstr(json_get_str(row_of(d), "text"),
	    "reloaded: 2 change(s)"));
	d = next_line(c);
	ck_assert_str_eq(json_get_str(row_of(d), "text"),
	    "/etc/proxyd/x.conf:1: line \"0\"");
	(void)next_line(c);
	d = next_line(c);
	ck_assert(get_true(d, "end"));
	ck_assert_int_eq(get_int(d, "rows"), 3);
	ck_assert_int_eq(fake_reloads, 1);
}
END_TEST

START_TEST(reload_refused_answers_every_error)
{
	struct client *c = cl_open();
	const struct json_doc *d;
	const struct json_kv *kv;
	const char *msg, *elem;
	size_t off = 0, elen, n = 0;

	hello(c);
	fake_reload_ok = false;
	fake_reload_lines = 20;		/* over RELOAD_ERRS_MAX */
	cl_send(c, "{\"id\":32,\"cmd\":\"reload\"}");
	d = next_line(c);
	ck_assert_int_eq(get_int(d, "id"), 32);
	ck_assert(!get_true(d, "ok"));
	ck_assert_str_eq(json_get_str(d, "error"), "reload_refused");
	msg = json_get_str(d, "msg");
	ck_assert_ptr_nonnull(strstr(msg, "running configuration stays"));
	ck_assert_ptr_nonnull(strstr(msg, "\n/etc/proxyd/x.conf:1: line \"0\""));
	ck_assert_ptr_nonnull(strstr(msg, "\n... and 4 more"));
	kv = json_get(d, "errors");
	ck_assert_ptr_nonnull(kv);
	ck_assert_int_eq(kv->type, JSON_RAW);
	while (json_array_next(kv->val, &off, &elem, &elen))
		n++;
	ck_assert_uint_eq(n, 17);	/* 16 and the "more" line */
	/* the connection stays usable */
	fake_reload_ok = true;
	fake_reload_lines = 0;
	cl_send(c, "{\"id\":33,\"cmd\":\"reload\"}");
	d = next_line(c);
	ck_assert_int_eq(get_int(d, "id"), 33);
	ck_assert_ptr_nonnull(json_get(d, "row"));
}
END_TEST

/* the places kept for root */

START_TEST(places_kept_for_root_are_root_only)
{
	struct client *c, *r[CTL_CLIENTS_ROOT], *o;
	char run[sizeof(dir) + 8];

	if (geteuid() != 0) {
		/* clients_over_the_cap_are_closed saw the cap for non-root */
		fprintf(stderr, "places_kept_for_root_are_root_only: not root, "
		    "only the non-root cap is checked\n");
		return;
	}
	log_capture();
	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(chmod(dir, 0755), 0);
	ck_assert_int_eq(chmod(run, 0755), 0);
	ck_assert_int_eq(chmod(sock_path, 0666), 0);
	for (int i = 0; i < CTL_CLIENTS_MAX - CTL_CLIENTS_ROOT; i++)
		hello(cl_open_nobody());
	/* the shared places are full: another user is refused */
	c = cl_open_nobody();
	ck_assert_msg(wait_until(c, is_eof), "uid %d got a place kept for "
	    "root", NOBODY);
	ck_assert_str_eq(expect_error(c, 0), "busy");
	ck_assert_ptr_nonnull(strstr(c->buf, "only for root"));
	cl_close(c);
	/* root still gets in, up to the cap */
	for (int i = 0; i < CTL_CLIENTS_ROOT; i++) {
		r[i] = cl_open();
		hello(r[i]);
		ck_assert_uint_eq(table(r[i], 1, "status", NULL, NULL), 1);
	}
	c = cl_open();
	ck_assert_msg(wait_until(c, is_eof), "root over the cap was served");
	ck_assert_str_eq(expect_error(c, 0), "busy");
	cl_close(c);
	/* refusals are counted; a burst is logged once, with who it was */
	ck_assert_int_eq(logged("control socket full"), 1);
	ck_assert_int_eq(logged("refused pid"), 1);
	ck_assert_int_eq(logged("uid %d (1 refused so far)", NOBODY), 1);
	cl_close(r[0]);
	settle(30);
	o = cl_open();
	hello(o);
	ck_assert_int_eq(status_field(o, "ctl_refused"), 2);
	ck_assert_int_eq(status_field(o, "ctl_clients"), CTL_CLIENTS_MAX);
}
END_TEST

/* idle clients */

START_TEST(idle_clients_are_told_and_closed)
{
	struct client *a = cl_open(), *b = cl_open(), *o;

	hello(a);		/* b never says a word */
	settle(30);
	fake_now += (uint64_t)(CTL_IDLE_MS - 1) * 1000;
	settle(SWEEP_WAIT_MS);
	ck_assert(!a->eof && !b->eof);
	ck_assert_uint_eq(lines_unread(a) + lines_unread(b), 0);
	fake_now += 1000;
	ck_assert_str_eq(expect_error(a, 0), "idle");
	ck_assert_str_eq(expect_error(b, 0), "idle");
	ck_assert_msg(wait_until(a, is_eof), "idle client a still connected");
	ck_assert_msg(wait_until(b, is_eof), "idle client b still connected");
	o = cl_open();
	hello(o);
	ck_assert_int_eq(status_field(o, "ctl_idle_closed"), 2);
	ck_assert_int_eq(status_field(o, "ctl_clients"), 1);
}
END_TEST

START_TEST(requests_and_replies_taken_restart_the_idle_time)
{
	struct client *a = cl_open(), *b = cl_open(), *o = cl_open();

	hello(a);
	hello(b);
	hello(o);
	/* b's replies wait in the daemon: its socket is full */
	fill_socket(b, o);
	fake_now += 20 * 1000000ULL;
	ck_assert_uint_eq(table(a, 1, "status", NULL, NULL), 1);
	b->noread = false;		/* b takes its replies, sends nothing */
	settle(100);
	ck_assert_int_eq(status_field(o, "ctl_queued"), 0);
	/* past the idle time of the first requests, not of the last acts */
	fake_now += (uint64_t)(CTL_IDLE_MS - 1) * 1000;
	settle(SWEEP_WAIT_MS);
	ck_assert(!a->eof && !b->eof && !o->eof);
	fake_now += 1000;
	ck_assert_msg(wait_until(a, is_eof), "a still connected");
	ck_assert_msg(wait_until(b, is_eof), "b still connected");
	ck_assert_msg(strstr(b->buf + b->off, "\"error\":\"idle\"") != NULL,
	    "no idle error line for b");
}
END_TEST

START_TEST(ping_in_flight_is_not_idle)
{
	struct client *c = cl_open();
	struct ping_result r = { .dest = "bravo", .answered = true,
	    .rtt_ms = 1, .via = "x", .path = "alpha > x > bravo" };

	hello(c);
	cl_send(c, "{\"id\":9,\"cmd\":\"ping\",\"args\":[\"bravo\"]}");
	settle(30);
	ck_assert_ptr_nonnull(ping.done);
	fake_now += (uint64_t)CTL_IDLE_MS * 3 * 1000;
	settle(SWEEP_WAIT_MS);
	ck_assert(!c->eof);
	ck_assert_uint_eq(lines_unread(c), 0);
	ping.done(ping.arg, ping.tag, &r);
	ck_assert_int_eq(get_int(next_line(c), "id"), 9);	/* the row */
	ck_assert(get_true(next_line(c), "end"));
	/* idle from the answer on */
	fake_now += (uint64_t)(CTL_IDLE_MS - 1) * 1000;
	settle(SWEEP_WAIT_MS);
	ck_assert(!c->eof);
	fake_now += 1000;
	ck_assert_str_eq(expect_error(c, 0), "idle");
	ck_assert(wait_until(c, is_eof));
}
END_TEST

/* clients that do not read */

START_TEST(unread_replies_stop_the_reading_of_requests)
{
	struct client *o = cl_open(), *c = cl_open();
	size_t len, sent;
	char *req = status_requests(FLOOD_N, &len);
	int64_t q;

	hello(o);
	hello(c);
	c->noread = true;
	sent = flood(c, req, len);
	ck_assert_msg(sent < len, "the daemon read all %zu bytes of requests "
	    "with %d replies unread", len, FLOOD_N);
	q = status_field(o, "ctl_queued");
	ck_assert_int_gt(q, CTL_OUT_HIGH);
	ck_assert_int_le(q, CTL_OUT_HIGH + 16384);	/* one reply more */
	settle(100);
	ck_assert_int_eq(status_field(o, "ctl_queued"), q);	/* it stays */
	/* it reads before the hold time is over: every request answered */
	fake_now += (uint64_t)(CTL_OUT_HOLD_MS - 1) * 1000;
	c->noread = false;
	cl_write(c, req + sent, len - sent);
	for (int i = 1; i <= FLOOD_N; i++) {
		ck_assert_int_eq(get_int(next_line(c), "id"), i);
		ck_assert_int_eq(get_int(next_line(c), "rows"), 1);
	}
	fake_now += 2000000;
	settle(SWEEP_WAIT_MS);
	ck_assert(!c->eof);
	ck_assert_uint_eq(table(c, FLOOD_N + 1, "status", NULL, NULL), 1);
	ck_assert_int_eq(status_field(o, "ctl_unread_dropped"), 0);
	free(req);
}
END_TEST

START_TEST(client_over_the_mark_too_long_is_dropped)
{
	struct client *o = cl_open(), *c = cl_open();
	size_t len;
	char *req = status_requests(FLOOD_N, &len);

	log_capture();
	hello(o);
	hello(c);
	c->noread = true;
	ck_assert_uint_lt(flood(c, req, len), len);
	ck_assert_int_gt(status_field(o, "ctl_queued"), CTL_OUT_HIGH);
	fake_now += (uint64_t)(CTL_OUT_HOLD_MS - 1) * 1000;
	settle(SWEEP_WAIT_MS);
	ck_assert(!is_hup(c));
	ck_assert_int_eq(status_field(o, "ctl_clients"), 2);
	fake_now += 1000;
	ck_assert_msg(wait_until(c, is_hup), "not dropped after %d ms over "
	    "the mark", CTL_OUT_HOLD_MS);
	ck_assert_int_eq(status_field(o, "ctl_unread_dropped"), 1);
	ck_assert_int_eq(status_field(o, "ctl_clients"), 1);
	ck_assert_int_eq(status_field(o, "ctl_queued"), 0);
	ck_assert_int_eq(logged("control client pid %d uid %u dropped: ",
	    (int)getpid(), (unsigned)geteuid()), 1);
	free(req);
}
END_TEST

START_TEST(closing_client_that_does_not_take_its_last_words_is_dropped)
{
	struct client *o = cl_open(), *c = cl_open();

	hello(o);
	hello(c);
	fill_socket(c, o);
	cl_send(c, "{\"id\":1,\"cmd\":\"hello\",\"v\":[1,0]}");	/* closes */
	settle(50);
	ck_assert(!is_hup(c));
	ck_assert_int_gt(status_field(o, "ctl_queued"), 0);
	fake_now += (uint64_t)(CTL_OUT_HOLD_MS - 1) * 1000;
	settle(SWEEP_WAIT_MS);
	ck_assert(!is_hup(c));
	fake_now += 1000;
	ck_assert_msg(wait_until(c, is_hup), "a closing client that does not "
	    "read is kept");
	ck_assert_int_eq(status_field(o, "ctl_unread_dropped"), 1);
}
END_TEST

/* what sits at the socket's path when it opens */

static const char *const kinds[] = { "a regular file", "a directory",
    "a symbolic link", "a FIFO" };

START_TEST(start_refuses_what_is_not_a_socket)
{
	struct stat before, after;
	int fd;

	log_capture();
	switch (_i) {
	case 0:
		fd = open(other_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(write(fd, "keep\n", 5), 5);
		close(fd);
		break;
	case 1:
		ck_assert_int_eq(mkdir(other_path, 0700), 0);
		break;
	case 2:		/* even to a socket */
		ck_assert_int_eq(symlink(sock_path, other_path), 0);
		break;
	case 3:
		ck_assert_int_eq(mkfifo(other_path, 0600), 0);
		break;
	}
	ck_assert_int_eq(lstat(other_path, &before), 0);
	ck_assert_ptr_null(control_open(&px, other_path));
	ck_assert_int_eq(lstat(other_path, &after), 0);
	ck_assert_uint_eq(after.st_ino, before.st_ino);		/* untouched */
	ck_assert_uint_eq(after.st_mode, before.st_mode);
	ck_assert_int_eq(logged("cannot use control socket path '%s': %s is "
	    "there, not a socket", other_path, kinds[_i]), 1);
	if (_i == 1)
		rmdir(other_path);
	else
		unlink(other_path);
}
END_TEST

START_TEST(stale_socket_is_replaced)
{
	struct sockaddr_un sun;
	struct control *c2;
	struct client *c;
	struct stat st;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", other_path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(fd, 1), 0);
	close(fd);		/* the file stays; nobody answers there */
	ck_assert_int_eq(lstat(other_path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	c2 = control_open(&px, other_path);
	ck_assert_ptr_nonnull(c2);
	c = cl_take(connect_to(other_path));
	hello(c);
	ck_assert_uint_eq(table(c, 1, "status", NULL, NULL), 1);
	control_close(c2);
	ck_assert(wait_until(c, is_eof));
	ck_assert_int_eq(lstat(other_path, &st), -1);
}
END_TEST

START_TEST(socket_in_use_makes_the_start_fail)
{
	struct client *c;
	struct stat st;

	log_capture();
	ck_assert_ptr_null(control_open(&px, sock_path));
	ck_assert_int_eq(logged("control socket '%s' is in use by another "
	    "process", sock_path), 1);
	/* the first one's socket is still there, and it still serves */
	ck_assert_int_eq(lstat(sock_path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	c = cl_open();
	hello(c);
	ck_assert_uint_eq(table(c, 1, "status", NULL, NULL), 1);
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
	tcase_add_test(tc, reload_applied_answers_rows_then_end);
	tcase_add_test(tc, reload_refused_answers_every_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("clients");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, clients_over_the_cap_are_closed);
	tcase_add_test(tc, control_close_closes_every_client_and_the_socket);
	tcase_add_test(tc, places_kept_for_root_are_root_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("idle");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, idle_clients_are_told_and_closed);
	tcase_add_test(tc, requests_and_replies_taken_restart_the_idle_time);
	tcase_add_test(tc, ping_in_flight_is_not_idle);
	suite_add_tcase(s, tc);

	tc = tcase_create("unread");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, unread_replies_stop_the_reading_of_requests);
	tcase_add_test(tc, client_over_the_mark_too_long_is_dropped);
	tcase_add_test(tc,
	    closing_client_that_does_not_take_its_last_words_is_dropped);
	suite_add_tcase(s, tc);

	tc = tcase_create("path");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, start_refuses_what_is_not_a_socket, 0,
	    (int)(sizeof(kinds) / sizeof(kinds[0])));
	tcase_add_test(tc, stale_socket_is_replaced);
	tcase_add_test(tc, socket_in_use_makes_the_start_fail);
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
	if (getenv("CHECK_CONTROL_LOG") != NULL)
		log_level = LOG_LVL_DEBUG;
	log_init(1, log_level, "check_control");
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
	snprintf(sub, sizeof(sub), "%s/run/other.sock", dir);
	unlink(sub);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/log", dir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/run", dir);
	rmdir(sub);
	rmdir(dir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
