/* SPDX-License-Identifier: ISC */
/*
 * This file owns the configuration model: the schema of every key, the walk
 * over a libconfig tree that checks it (unknown keys, types, ranges, missing
 * keys, rules across keys), and the printer of the normal form.  Errors are
 * collected as "FILE:LINE: 'key' what is wrong", all of them; nothing logs.
 * The only system calls are lstat/stat of 'control' and 'tls.key'.
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <sys/stat.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "ipaddr.h"
#include "log.h"

#define STR_(x)		#x
#define STR(x)		STR_(x)
#define NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
			"0123456789._-"
#define CONTROL_DIR	"/run/proxyd/"
#define SUN_PATH_MAX	107	/* sizeof(sun_path) - 1 on Linux */
#define USER_NAME_MAX	255	/* LOGIN_NAME_MAX - 1 on Linux */

struct ld;
struct field;

/* One value handed to a setter; s is NULL when the value is the default. */
struct val {
	const struct field	*f;
	const char		*key;	/* as shown: "neighbours.[1].port" */
	const config_setting_t	*s;
	long long		 i;
	const char		*str;
};

/* F_PFX: a prefix string, or a group { prefix = "..."; as = "..."; } */
/* F_ADDRS: a string, or an array of strings given to the setter one by one */
enum ftype { F_GROUP, F_LIST, F_INT, F_STR, F_BOOL, F_PFX, F_ADDRS };

/*
 * The schema.  A path names a key from the root, "[]" standing for any
 * element of a list or array.  min/max bound an integer's value, a string's
 * length (max 0: no limit) or a list's length (min only).  Defaults are
 * text, applied through the setter when the key is absent; the few that
 * depend on other keys are filled in by conf_finish().  Keys are checked
 * in table order, so rules that look at earlier keys may rely on them.
 */
struct field {
	const char	*path;
	enum ftype	 type;
	bool		 required;
	long long	 min, max;
	const char	*def;
	void		(*set)(struct ld *, const struct val *);
	size_t		 off;		/* into struct conf, for generic setters */
};

/*
 * Repeats in a list, found before the walk: for element i, the index of
 * the first earlier element with the same key, or -1.  Indexes are the
 * file's, so an element rejected for another reason still counts.
 */
struct dups {
	int			*first;
	int			 n;		/* elements in the list */
};

/* Loader state for one conf_load() call. */
struct ld {
	const config_t		*cf;
	const char		*path;
	struct conf_errs	*errs;
	struct conf		*c;
	struct conf_neighbour	*nb;		/* being filled in, or NULL */
	size_t			 nb_cap;	/* of c->neighbours */
	size_t			 pfx_cap;	/* of c->prefixes and pfx_s */
	/* per prefix: where it was written (an alias: its 'as'), index */
	struct pfx_at {
		const config_setting_t	*s;
		int			 idx;
	}			*pfx_at;
	struct {			/* prefixes.[] { prefix; as; } being read */
		struct conf_prefix	 p;
		bool			 real_ok, as_ok;
		const config_setting_t	*as_s;
	}			 pa;
	int			 idx;		/* list element being checked */
	struct dups		 nb_names;	/* neighbours.[].name */
	struct dups		 nb_ends;	/* neighbours.[].host and port */
	struct dups		 pfx;		/* prefixes.[] */
	char			*dir;		/* of path, absolute; lazily */
	size_t			 first;		/* this load's first error */
	unsigned		*lines;		/* and the lines of all of them */
	bool			 alt_port_set;
	bool			 failed;
	/* values as shown in messages; two, for a message with two */
	char			 show[2][CONF_SHOW_MAX + 4];
	int			 show_next;
};

static const struct {
	const char	*name;
	unsigned	 bit;
} fwd_names[] = {
	{ "ike", CONF_FWD_IKE },
	{ "esp", CONF_FWD_ESP },
	{ "icmp", CONF_FWD_ICMP },
	{ "all", CONF_FWD_ALL },
};

static char	*vstrf(const char *, va_list)
		    __attribute__((format(printf, 1, 0)));
static char	*strf(const char *, ...) __attribute__((format(printf, 1, 2)));
static void	 errs_add(struct conf_errs *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	 note(struct ld *, bool, const config_setting_t *,
		    const char *, va_list) __attribute__((format(printf, 4, 0)));
static void	 err(struct ld *, const config_setting_t *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	 warn(struct ld *, const config_setting_t *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static char *
vstrf(const char *fmt, va_list ap)
{
	va_list	 aq;
	char	*s;
	int	 n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

static char *
strf(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	s = vstrf(fmt, ap);
	va_end(ap);
	return s;
}

/* XXX out of memory loses the message; the caller still sees -1. */
static void
errs_add(struct conf_errs *errs, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, **v;

	va_start(ap, fmt);
	s = vstrf(fmt, ap);
	va_end(ap);
	if (s == NULL)
		return;
	if ((v = realloc(errs->msgs, (errs->n + 1) * sizeof(*v))) == NULL) {
		free(s);
		return;
	}
	v[errs->n++] = s;
	errs->msgs = v;
}

/*
 * Records an error (or a warning) at setting s, keeping this load's
 * messages in line order (the walk visits keys in schema order).  The root
 * group has no line of its own: a key missing from the top level is
 * reported at line 1.
 */
static void
note(struct ld *ld, bool warning, const config_setting_t *s, const char *fmt,
    va_list ap)
{
	struct conf_errs *e = ld->errs;
	const char	*file = NULL;
	unsigned	 line = 1, *lines;
	char		*msg;
	size_t		 i;

	if (!warning)
		ld->failed = true;
	if (s != NULL && config_setting_source_line(s) > 0) {
		file = config_setting_source_file(s);
		line = config_setting_source_line(s);
	}
	if ((msg = vstrf(fmt, ap)) == NULL)
		return;
	i = e->n - ld->first;
	if ((lines = realloc(ld->lines, (i + 1) * sizeof(*lines))) == NULL) {
		free(msg);
		return;
	}
	ld->lines = lines;
	errs_add(e, "%s:%u: %s%s", file != NULL ? file : ld->path, line,
	    warning ? "warning: " : "", msg);
	free(msg);
	if (e->n - ld->first != i + 1)
		return;
	/* Insertion sort: move it before every later line. */
	for (msg = e->msgs[e->n - 1]; i > 0 && lines[i - 1] > line; i--) {
		e->msgs[ld->first + i] = e->msgs[ld->first + i - 1];
		lines[i] = lines[i - 1];
	}
	e->msgs[ld->first + i] = msg;
	lines[i] = line;
}

static void
err(struct ld *ld, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(ld, false, s, fmt, ap);
	va_end(ap);
}

static void
warn(struct ld *ld, const config_setting_t *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	note(ld, true, s, fmt, ap);
	va_end(ap);
}

/*
 * A value as messages echo it: at most CONF_SHOW_MAX bytes, cut before a
 * UTF-8 sequence rather than inside it (at most 3 bytes earlier), then
 * "..."; control characters become '?'.  Valid until the second call
 * after this one.
 */
static const char *
shown(struct ld *ld, const char *s)
{
	char	*buf = ld->show[ld->show_next];
	size_t	 n = strlen(s), i;

	ld->show_next = (ld->show_next + 1) % 2;
	if (n > CONF_SHOW_MAX) {
		/* a sequence has at most 3 continuation bytes; more is junk */
		for (n = CONF_SHOW_MAX, i = 0; i < 3 &&
		    ((unsigned char)s[n] & 0xc0) == 0x80; i++)
			n--;
	}
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' :
		    s[i];
	strcpy(buf + n, s[n] != '\0' ? "..." : "");
	return buf;
}

static void
oom(struct ld *ld, const struct val *v)
{
	err(ld, v->s, "'%s' %s", v->key, strerror(ENOMEM));
}

static bool
name_ok(const char *s)
{
	return s[strspn(s, NAME_CHARS)] == '\0';
}

static int
addr_parse(const char *s, struct in_addr *a)
{
	return inet_pton(AF_INET, s, a) == 1 ? 0 : -1;
}

/*
 * Why a is no address that other hosts can send to, or NULL if it is one.
 * Loopback is refused too: 'public' is where proxies elsewhere reach us,
 * and 127/8 never leaves the host.  Private and shared ranges are fine
 * (test networks and a NAT's inside use them).
 */
static const char *
addr_not_unicast(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	if (h >> 24 == 0)
		return "this host, 0.0.0.0/8";
	if (h >> 24 == 127)
		return "loopback, 127.0.0.0/8";
	if (h >> 28 == 0xe)
		return "multicast, 224.0.0.0/4";
	if (h == UINT32_MAX)
		return "broadcast";
	if (h >> 28 == 0xf)
		return "reserved, 240.0.0.0/4";
	return NULL;
}

/*
 * Whether a host name ends in a number, decimal or 0x hex, ignoring one
 * trailing dot.  No top-level domain is numeric, so such a name is meant
 * as an IPv4 literal, and getaddrinfo would read it the inet_aton way
 * ("10.1.2" as 10.1.0.2, "010.0.0.1" as octal 8.0.0.1) or ask DNS for it
 * ("1.2.3.4.5", "300.1.1.1"): it must be a plain dotted quad instead.
 */
static bool
host_numeric(const char *s)
{
	size_t	 n = strlen(s), i, start;

	if (n > 0 && s[n - 1] == '.')
		n--;
	for (start = n; start > 0 && s[start - 1] != '.'; start--)
		continue;
	if (start == n)
		return false;
	i = start;
	if (n - start >= 2 && s[i] == '0' && (s[i + 1] == 'x' ||
	    s[i + 1] == 'X')) {
		for (i += 2; i < n; i++)
			if (strchr("0123456789abcdefABCDEF", s[i]) == NULL)
				return false;
		return true;
	}
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Parses "ADDR/N" of IPv6 (RFC 4291 text); *why says what is wrong. */
static int
prefix6_parse(const char *s, struct conf_prefix *p, const char **why)
{
	struct ipprefix	 q;
	const char	*w = "";

	if (ipprefix_parse(s, &q, &w) == -1 || q.addr.af != AF_INET6) {
		*why = strcmp(w, "host bits set") == 0 ? "has host bits set" :
		    "is not an IPv6 prefix ADDR/N (N 0-128)";
		return -1;
	}
	p->v6 = true;
	p->addr6 = q.addr.u.v6;
	p->plen = q.plen;
	return 0;
}

/* Parses "A.B.C.D/N" or an IPv6 "ADDR/N"; *why says what is wrong. */
static int
prefix_parse(const char *s, struct conf_prefix *p, const char **why)
{
	const char	*slash = strchr(s, '/');
	char		 a[INET_ADDRSTRLEN];
	uint32_t	 mask;
	size_t		 n;

	p->v6 = false;
	if (strchr(s, ':') != NULL)
		return prefix6_parse(s, p, why);
	*why = "is not A.B.C.D/N";
	if (slash == NULL || (size_t)(slash - s) >= sizeof(a))
		return -1;
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	n = strlen(slash + 1);
	if (addr_parse(a, &p->addr) == -1 || n < 1 || n > 2 ||
	    strspn(slash + 1, "0123456789") != n || atoi(slash + 1) > 32)
		return -1;
	p->plen = (uint8_t)atoi(slash + 1);
	mask = p->plen == 0 ? 0 : htonl(UINT32_MAX << (32 - p->plen));
	if ((p->addr.s_addr & ~mask) != 0) {
		*why = "has host bits set";
		return -1;
	}
	return 0;
}

int
conf_prefix_parse(const char *s, struct conf_prefix *p)
{
	const char *why;

	p->has_alias = false;
	return prefix_parse(s, p, &why);
}

struct in_addr
conf_prefix_adv(const struct conf_prefix *p)
{
	return p->has_alias ? p->alias : p->addr;
}

const char *
conf_prefix_str(const struct conf_prefix *p, char *buf, size_t len)
{
	struct ipprefix q;

	if (p->v6)
		ipaddr_set6(&q.addr, &p->addr6);
	else
		ipaddr_set4(&q.addr, p->addr);
	q.plen = p->plen;
	return ipprefix_str(&q, buf, len);
}

bool
conf_prefix_eq(const struct conf_prefix *a, const struct conf_prefix *b)
{
	if (a->v6 != b->v6 || a->plen != b->plen)
		return false;
	if (a->v6)
		return memcmp(&a->addr6, &b->addr6, sizeof(a->addr6)) == 0;
	return a->addr.s_addr == b->addr.s_addr &&
	    a->has_alias == b->has_alias &&
	    (!a->has_alias || a->alias.s_addr == b->alias.s_addr);
}

/* The absolute directory of the config file, without a trailing slash. */
static char *
path_dir(const char *path)
{
	const char	*slash = strrchr(path, '/');
	char		 cwd[4096];
	int		 n = slash == NULL ? 0 : (int)(slash - path);

	if (path[0] == '/')
		return strf("%.*s", n, path);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	if (strcmp(cwd, "/") == 0)
		cwd[0] = '\0';
	return slash == NULL ? strf("%s", cwd) : strf("%s/%.*s", cwd, n, path);
}

/* Drops "." components and repeated slashes ("/a/./b//c" -> "/a/b/c"). */
static void
path_clean(char *p)
{
	char	*r = p, *w = p;

	while (*r != '\0') {
		if (r[0] == '/' && (r[1] == '/' ||
		    (r[1] == '.' && (r[2] == '/' || r[2] == '\0')))) {
			r += r[1] == '/' ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	if (w == p)
		*w++ = '/';
	*w = '\0';
}

static void *
field_at(struct ld *ld, const struct val *v)
{
	return (char *)ld->c + v->f->off;
}

static void
set_int(struct ld *ld, const struct val *v)
{
	*(int *)field_at(ld, v) = (int)v->i;
}

static void
set_u16(struct ld *ld, const struct val *v)
{
	*(uint16_t *)field_at(ld, v) = (uint16_t)v->i;
}

static void
set_str(struct ld *ld, const struct val *v)
{
	char **p = field_at(ld, v);

	if ((*p = strdup(v->str)) == NULL)
		oom(ld, v);
}

/* tls paths: relative ones are taken from the config file's directory. */
static void
set_path(struct ld *ld, const struct val *v)
{
	char **p = field_at(ld, v);

	if (v->str[0] != '/' && ld->dir == NULL &&
	    (ld->dir = path_dir(ld->path)) == NULL) {
		err(ld, v->s, "'%s' cannot resolve '%s': %s", v->key,
		    shown(ld, v->str), strerror(errno));
		return;
	}
	*p = v->str[0] == '/' ? strf("%s", v->str) :
	    strf("%s/%s", ld->dir, v->str);
	if (*p == NULL)
		oom(ld, v);
	else
		path_clean(*p);
}

static void
set_bool(struct ld *ld, const struct val *v)
{
	*(bool *)field_at(ld, v) = v->i != 0;
}

static void
set_name(struct ld *ld, const struct val *v)
{
	const char *file = config_setting_source_file(v->s);

	if (!name_ok(v->str))
		err(ld, v->s, "'%s' '%s' may only contain A-Za-z0-9._-",
		    v->key, shown(ld, v->str));
	else
		strcpy(ld->c->name, v->str);
	free(ld->c->name_at);
	if ((ld->c->name_at = strf("%s:%u", file != NULL ? file : ld->path,
	    config_setting_source_line(v->s))) == NULL)
		oom(ld, v);
}

/*
 * One address of 'listen.address' or 'listen.alt_address': an IPv4 or an
 * IPv6 literal, at most one of each family.  *v4, *v6 say which were set.
 */
static bool
addr_of_family(struct ld *ld, const struct val *v, bool *v4,
    struct in_addr *a4, bool *v6, struct in6_addr *a6)
{
	struct in_addr	a;
	struct in6_addr	b;

	if (addr_parse(v->str, &a) == 0) {
		if (*v4) {
			err(ld, v->s, "'%s' '%s': a second IPv4 address (at "
			    "most one of each family)", v->key, v->str);
			return false;
		}
		*v4 = true;
		*a4 = a;
		return true;
	}
	if (inet_pton(AF_INET6, v->str, &b) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&b) || IN6_IS_ADDR_MULTICAST(&b) ||
		    IN6_IS_ADDR_LINKLOCAL(&b)) {
			err(ld, v->s, "'%s' '%s' is not an IPv6 address to "
			    "listen on (IPv4-mapped, multicast or link-local: "
			    "write '::' or a global or unique-local address)",
			    v->key, shown(ld, v->str));
			return false;
		}
		if (*v6) {
			err(ld, v->s, "'%s' '%s': a second IPv6 address (at "
			    "most one of each family)", v->key, v->str);
			return false;
		}
		*v6 = true;
		*a6 = b;
		return true;
	}
	err(ld, v->s, "'%s' '%s' is not an IPv4 or IPv6 address", v->key,
	    shown(ld, v->str));
	return false;
}

static void
set_listen_addr(struct ld *ld, const struct val *v)
{
	(void)addr_of_family(ld, v, &ld->c->listen_v4, &ld->c->listen_addr,
	    &ld->c->listen_v6, &ld->c->listen6_addr);
}

static void
set_alt_port(struct ld *ld, const struct val *v)
{
	ld->c->alt_port = (uint16_t)v->i;
	ld->alt_port_set = true;
}

static void
set_alt_addr(struct ld *ld, const struct val *v)
{
	struct conf	*c = ld->c;
	bool		 was4 = c->has_alt_addr, was6 = c->has_alt_addr6;

	if (!addr_of_family(ld, v, &c->has_alt_addr, &c->alt_addr,
	    &c->has_alt_addr6, &c->alt_addr6))
		return;
	if (c->has_alt_addr && !was4) {
		if (!c->listen_v4) {
			err(ld, v->s, "'%s' '%s': no IPv4 'listen.address' to "
			    "be the alternate of", v->key, v->str);
			c->has_alt_addr = false;
		} else if (c->alt_addr.s_addr == c->listen_addr.s_addr) {
			err(ld, v->s, "'%s' '%s' equals 'listen.address'",
			    v->key, v->str);
			c->has_alt_addr = false;
		}
	}
	if (c->has_alt_addr6 && !was6) {
		if (!c->listen_v6) {
			err(ld, v->s, "'%s' '%s': no IPv6 'listen.address' to "
			    "be the alternate of", v->key, v->str);
			c->has_alt_addr6 = false;
		} else if (memcmp(&c->alt_addr6, &c->listen6_addr,
		    sizeof(c->alt_addr6)) == 0) {
			err(ld, v->s, "'%s' '%s' equals 'listen.address'",
			    v->key, v->str);
			c->has_alt_addr6 = false;
		}
	}
}

static void
set_public(struct ld *ld, const struct val *v)
{
	const char	*colon = strrchr(v->str, ':'), *why;
	char		 a[INET_ADDRSTRLEN];
	size_t		 n;
	long		 port;

	if (colon == NULL || (size_t)(colon - v->str) >= sizeof(a))
		goto bad;
	memcpy(a, v->str, (size_t)(colon - v->str));
	a[colon - v->str] = '\0';
	n = strlen(colon + 1);
	if (addr_parse(a, &ld->c->public_addr) == -1 || n < 1 || n > 5 ||
	    strspn(colon + 1, "0123456789") != n)
		goto bad;
	port = atol(colon + 1);
	if (port < 1 || port > 65535)
		goto bad;
	if ((why = addr_not_unicast(ld->c->public_addr)) != NULL) {
		err(ld, v->s, "'%s' '%s' is not a unicast address other hosts "
		    "can reach (%s)", v->key, v->str, why);
		return;
	}
	ld->c->public_port = (uint16_t)port;
	ld->c->has_public = true;
	return;
bad:
	err(ld, v->s, "'%s' '%s' is not A.B.C.D:PORT (PORT 1-65535)", v->key,
	    shown(ld, v->str));
}

/*
 * The metrics endpoint: "A.B.C.D:PORT", or "PORT" alone for the loopback
 * address.  Any other address must be written out: it exposes the
 * metrics, which need no credentials, to whoever reaches it (0.0.0.0:
 * every address of the host).
 */
static void
set_metrics(struct ld *ld, const struct val *v)
{
	const char	*colon = strrchr(v->str, ':'), *port_s, *why = NULL;
	char		 a[INET_ADDRSTRLEN] = "127.0.0.1";
	struct in_addr	 addr;
	uint32_t	 h;
	size_t		 n;
	long		 port;

	port_s = colon != NULL ? colon + 1 : v->str;
	if (colon != NULL) {
		if ((size_t)(colon - v->str) >= sizeof(a))
			goto bad;
		memcpy(a, v->str, (size_t)(colon - v->str));
		a[colon - v->str] = '\0';
	}
	n = strlen(port_s);
	if (addr_parse(a, &addr) == -1 || n < 1 || n > 5 ||
	    strspn(port_s, "0123456789") != n)
		goto bad;
	port = atol(port_s);
	if (port < 1 || port > 65535)
		goto bad;
	h = ntohl(addr.s_addr);
	if (h >> 28 == 0xe)
		why = "multicast, 224.0.0.0/4";
	else if (h == UINT32_MAX)
		why = "broadcast";
	else if (h >> 28 == 0xf)
		why = "reserved, 240.0.0.0/4";
	else if (h >> 24 == 0 && h != 0)
		why = "this network, 0.0.0.0/8";
	if (why != NULL) {
		err(ld, v->s, "'%s' '%s' is not an address to listen on (%s)",
		    v->key, v->str, why);
		return;
	}
	ld->c->metrics_addr = addr;
	ld->c->metrics_port = (uint16_t)port;
	ld->c->has_metrics = true;
	return;
bad:
	err(ld, v->s, "'%s' '%s' is not A.B.C.D:PORT or PORT (PORT 1-65535)",
	    v->key, shown(ld, v->str));
}

static void
set_nb(struct ld *ld, const struct val *v)
{
	struct conf		*c = ld->c;
	struct conf_neighbour	*nb;

	ld->nb = NULL;
	if (c->n_neighbours == ld->nb_cap) {
		size_t cap = ld->nb_cap ? ld->nb_cap * 2 : 8;

		if ((nb = reallocarray(c->neighbours, cap, sizeof(*nb))) ==
		    NULL) {
			oom(ld, v);
			return;
		}
		c->neighbours = nb;
		ld->nb_cap = cap;
	}
	ld->nb = &c->neighbours[c->n_neighbours++];
	memset(ld->nb, 0, sizeof(*ld->nb));
}

/* The first element before the current one with the same key, or -1. */
static int
dups_first(const struct ld *ld, const struct dups *d)
{
	return ld->idx >= 0 && ld->idx < d->n ? d->first[ld->idx] : -1;
}

static void
set_nb_name(struct ld *ld, const struct val *v)
{
	int	i;

	if (ld->nb == NULL)
		return;
	if (!name_ok(v->str)) {
		err(ld, v->s, "'%s' '%s' may only contain A-Za-z0-9._-",
		    v->key, shown(ld, v->str));
		return;
	}
	if (strcmp(v->str, ld->c->name) == 0) {
		err(ld, v->s, "'%s' '%s' is this proxy's own name", v->key,
		    v->str);
		return;
	}
	if ((i = dups_first(ld, &ld->nb_names)) >= 0) {
		err(ld, v->s, "'%s' '%s' already used by 'neighbours.[%d]'",
		    v->key, v->str, i);
		return;
	}
	strcpy(ld->nb->name, v->str);
}

static void
set_nb_host(struct ld *ld, const struct val *v)
{
	struct in_addr	a;
	struct in6_addr	a6;
	char		canon[INET6_ADDRSTRLEN];
	const char	*host = v->str;
	int		i;

	if (ld->nb == NULL)
		return;
	if (strchr(v->str, ':') != NULL) {
		/* an IPv6 literal, kept in RFC 5952 form */
		if (inet_pton(AF_INET6, v->str, &a6) != 1 ||
		    IN6_IS_ADDR_UNSPECIFIED(&a6) ||
		    IN6_IS_ADDR_MULTICAST(&a6) || IN6_IS_ADDR_V4MAPPED(&a6) ||
		    IN6_IS_ADDR_LINKLOCAL(&a6)) {
			err(ld, v->s, "'%s' '%s' is not an IPv6 address a "
			    "neighbour can have (write it without brackets or "
			    "port; not ::, multicast, link-local or "
			    "IPv4-mapped)", v->key, shown(ld, v->str));
			return;
		}
		host = inet_ntop(AF_INET6, &a6, canon, sizeof(canon));
	} else if (host_numeric(v->str) && addr_parse(v->str, &a) == -1) {
		err(ld, v->s, "'%s' '%s' looks like an IPv4 address but is not "
		    "A.B.C.D (each 0-255, no leading zeros)", v->key,
		    shown(ld, v->str));
		return;
	}
	if ((i = dups_first(ld, &ld->nb_ends)) >= 0) {
		err(ld, v->s, "'%s' '%s' with the same port as "
		    "'neighbours.[%d]': the same proxy twice", v->key,
		    shown(ld, v->str), i);
		return;
	}
	if ((ld->nb->host = strdup(host)) == NULL)
		oom(ld, v);
}

static void
set_nb_port(struct ld *ld, const struct val *v)
{
	if (ld->nb != NULL)
		ld->nb->port = (uint16_t)v->i;
}

static void
set_nb_tcp_port(struct ld *ld, const struct val *v)
{
	if (ld->nb != NULL)
		ld->nb->tcp_port = (uint16_t)v->i;
}

/* After tcp_port (the schema's order): "tcp" needs a port to dial. */
static void
set_nb_transport(struct ld *ld, const struct val *v)
{
	static const char *const names[] = { "auto", "udp", "tcp" };

	if (ld->nb == NULL)
		return;
	for (int i = 0; i < 3; i++)
		if (strcmp(v->str, names[i]) == 0) {
			ld->nb->transport = (enum conf_transport)i;
			if (ld->nb->transport == CONF_TRANSPORT_TCP &&
			    ld->nb->tcp_port == 0)
				err(ld, v->s, "'%s' \"tcp\" needs a "
				    "'tcp_port' in the same neighbour (the "
				    "port its proxy listens on for TCP, "
				    "'listen.tcp_port' there)", v->key);
			return;
		}
	err(ld, v->s, "'%s' '%s' is not one of auto, udp, tcp", v->key,
	    shown(ld, v->str));
}

/* Appends p, written at setting s (shown as key); duplicates refused. */
static void
pfx_append(struct ld *ld, const config_setting_t *s, const char *key,
    const char *str, const struct conf_prefix *p)
{
	struct conf		*c = ld->c;
	struct conf_prefix	*np;
	struct pfx_at		*na;
	int			 i;

	if ((i = dups_first(ld, &ld->pfx)) >= 0) {
		err(ld, s, "'%s' '%s' duplicates 'prefixes.[%d]'", key, str, i);
		return;
	}
	if (c->n_prefixes == ld->pfx_cap) {
		size_t cap = ld->pfx_cap ? ld->pfx_cap * 2 : 8;

		if ((np = reallocarray(c->prefixes, cap, sizeof(*np))) ==
		    NULL) {
			err(ld, s, "'%s' %s", key, strerror(ENOMEM));
			return;
		}
		c->prefixes = np;
		if ((na = reallocarray(ld->pfx_at, cap, sizeof(*na))) ==
		    NULL) {
			err(ld, s, "'%s' %s", key, strerror(ENOMEM));
			return;
		}
		ld->pfx_at = na;
		ld->pfx_cap = cap;
	}
	ld->pfx_at[c->n_prefixes] = (struct pfx_at){ s, ld->idx };
	c->prefixes[c->n_prefixes] = *p;
	c->prefixes[c->n_prefixes].line =
	    (unsigned)config_setting_source_line(s);
	if (c->prefixes_file == NULL) {
		const char *file = config_setting_source_file(s);

		if ((c->prefixes_file = strdup(file != NULL ? file :
		    ld->path)) == NULL) {
			err(ld, s, "'%s' %s", key, strerror(ENOMEM));
			return;
		}
	}
	c->n_prefixes++;
}

static void
set_prefix(struct ld *ld, const struct val *v)
{
	struct conf_prefix	 p = { 0 };
	const char		*why;

	if (prefix_parse(v->str, &p, &why) == -1) {
		err(ld, v->s, "'%s' '%s' %s", v->key, shown(ld, v->str), why);
		return;
	}
	pfx_append(ld, v->s, v->key, v->str, &p);
}

/* prefixes.[].prefix and .as: parsed here, paired in alias_finish(). */
static void
set_pfx_real(struct ld *ld, const struct val *v)
{
	const char *why;

	if (prefix_parse(v->str, &ld->pa.p, &why) == -1)
		err(ld, v->s, "'%s' '%s' %s", v->key, shown(ld, v->str), why);
	else if (ld->pa.p.v6)
		err(ld, v->s, "'%s' '%s' is IPv6: aliases translate IPv4 "
		    "prefixes only; write the IPv6 prefix without 'as'",
		    v->key, shown(ld, v->str));
	else
		ld->pa.real_ok = true;
}

static void
set_pfx_as(struct ld *ld, const struct val *v)
{
	struct conf_prefix	 a;
	const char		*why;

	if (prefix_parse(v->str, &a, &why) == -1) {
		err(ld, v->s, "'%s' '%s' %s", v->key, shown(ld, v->str), why);
		return;
	}
	if (!ld->pa.real_ok)		/* read first: its error is out */
		return;
	if (a.v6) {
		err(ld, v->s, "'%s' '%s' is IPv6: an alias is an IPv4 prefix",
		    v->key, shown(ld, v->str));
		return;
	}
	if (a.plen != ld->pa.p.plen) {
		err(ld, v->s, "'%s' '%s' is a /%u and 'prefix' a /%u: an "
		    "alias has the length of its prefix", v->key,
		    shown(ld, v->str), a.plen, ld->pa.p.plen);
		return;
	}
	ld->pa.p.alias = a.addr;
	ld->pa.p.has_alias = true;
	ld->pa.as_ok = true;
	ld->pa.as_s = v->s;
}

/* A prefixes.[] group is read: the pair goes in. */
static void
alias_finish(struct ld *ld, const config_setting_t *s, const char *key)
{
	char	 buf[INET_ADDRSTRLEN], str[INET_ADDRSTRLEN + 4];
	size_t	 n = 0;

	if (!ld->pa.real_ok || !ld->pa.as_ok)
		return;
	for (size_t i = 0; i < ld->c->n_prefixes; i++)
		n += ld->c->prefixes[i].has_alias;
	if (n >= CONF_ALIAS_MAX) {
		err(ld, s, "'%s' is alias number %zu: at most %d prefixes "
		    "may have one", key, n + 1, CONF_ALIAS_MAX);
		return;
	}
	snprintf(str, sizeof(str), "%s/%u", inet_ntop(AF_INET,
	    &ld->pa.p.addr, buf, sizeof(buf)), ld->pa.p.plen);
	pfx_append(ld, ld->pa.as_s, key, str, &ld->pa.p);
}

static void
set_tun(struct ld *ld, const struct val *v)
{
	(void)v;
	ld->c->has_tun = true;
}

static void
set_tun_name(struct ld *ld, const struct val *v)
{
	if (!name_ok(v->str) || strcmp(v->str, ".") == 0 ||
	    strcmp(v->str, "..") == 0)
		err(ld, v->s, "'%s' '%s' is not a valid interface name",
		    v->key, shown(ld, v->str));
	else
		strcpy(ld->c->tun_name, v->str);
}

static void
set_forward(struct ld *ld, const struct val *v)
{
	size_t i;

	for (i = 0; i < sizeof(fwd_names) / sizeof(fwd_names[0]); i++)
		if (strcmp(v->str, fwd_names[i].name) == 0)
			break;
	if (i == sizeof(fwd_names) / sizeof(fwd_names[0]))
		err(ld, v->s, "'%s' '%s' is not one of ike, esp, icmp, all",
		    v->key, shown(ld, v->str));
	else if (ld->c->forward & fwd_names[i].bit)
		err(ld, v->s, "'%s' '%s' given twice", v->key, v->str);
	else
		ld->c->forward |= fwd_names[i].bit;
}

/*
 * Whether the user exists is for proxyd to check (getpwnam): this file
 * does no system lookups.  Where the key was written is kept so that its
 * message has the same FILE:LINE form as these.
 */
static void
set_user(struct ld *ld, const struct val *v)
{
	const char *file = config_setting_source_file(v->s);

	if ((ld->c->user = strdup(v->str)) == NULL ||
	    (ld->c->user_at = strf("%s:%u", file != NULL ? file : ld->path,
	    config_setting_source_line(v->s))) == NULL)
		oom(ld, v);
}

/* An absolute path: the daemon has left its working directory by then. */
static void
set_pidfile(struct ld *ld, const struct val *v)
{
	if (v->str[0] != '/') {
		err(ld, v->s, "'%s' '%s' must be an absolute path", v->key,
		    shown(ld, v->str));
		return;
	}
	if ((ld->c->pidfile = strdup(v->str)) == NULL)
		oom(ld, v);
}

static void
set_log(struct ld *ld, const struct val *v)
{
	int l = log_level_parse(v->str);

	if (l == -1)
		err(ld, v->s, "'%s' '%s' is not one of error, warn, info, "
		    "debug", v->key, shown(ld, v->str));
	else
		ld->c->log_level = l;
}

#define OFF(m)	offsetof(struct conf, m)
#define REQ	true
#define OPT	false

static const struct field fields[] = {
	/* path			type	req  min  max	default		setter */
	{ "name",		F_STR,	 REQ, 1, CONF_NAME_MAX, NULL,	set_name, 0 },
	{ "listen",		F_GROUP, OPT, 0, 0,	NULL,		NULL, 0 },
	{ "listen.address",	F_ADDRS, OPT, 1, 0,	"0.0.0.0",	set_listen_addr, 0 },
	{ "listen.port",	F_INT,	 OPT, 1, 65535,	STR(CONF_DEFAULT_PORT), set_u16, OFF(listen_port) },
	{ "listen.alt_port",	F_INT,	 OPT, 0, 65535,	NULL /* port + 1 */, set_alt_port, 0 },
	{ "listen.alt_address",	F_ADDRS, OPT, 1, 0,	NULL,		set_alt_addr, 0 },
	{ "listen.tcp_port",	F_INT,	 OPT, 1, 65535,	NULL /* none */, set_u16, OFF(listen_tcp_port) },
	{ "public",		F_STR,	 OPT, 1, 0,	NULL,		set_public, 0 },
	{ "neighbours",		F_LIST,	 OPT, 0, 0,	NULL,		NULL, 0 },
	{ "neighbours.[]",	F_GROUP, OPT, 0, 0,	NULL,		set_nb, 0 },
	{ "neighbours.[].name",	F_STR,	 REQ, 1, CONF_NAME_MAX, NULL,	set_nb_name, 0 },
	{ "neighbours.[].host",	F_STR,	 REQ, 1, 253,	NULL,		set_nb_host, 0 },
	{ "neighbours.[].port",	F_INT,	 OPT, 1, 65535,	STR(CONF_DEFAULT_PORT), set_nb_port, 0 },
	{ "neighbours.[].tcp_port", F_INT, OPT, 1, 65535, NULL /* none */, set_nb_tcp_port, 0 },
	{ "neighbours.[].transport", F_STR, OPT, 1, 0,	"auto",		set_nb_transport, 0 },
	{ "prefixes",		F_LIST,	 OPT, 0, 0,	NULL,		NULL, 0 },
	{ "prefixes.[]",	F_PFX,	 OPT, 1, 0,	NULL,		set_prefix, 0 },
	{ "prefixes.[].prefix",	F_STR,	 REQ, 1, 0,	NULL,		set_pfx_real, 0 },
	{ "prefixes.[].as",	F_STR,	 REQ, 1, 0,	NULL,		set_pfx_as, 0 },
	{ "tun",		F_GROUP, OPT, 0, 0,	NULL,		set_tun, 0 },
	{ "tun.name",		F_STR,	 OPT, 1, 15,	"pxy0",		set_tun_name, 0 },
	{ "tun.mtu",		F_INT,	 OPT, 576, 9000, STR(CONF_DEFAULT_TUN_MTU), set_int, OFF(tun_mtu) },
	{ "tun.metric",		F_INT,	 OPT, 1, 2147483647, STR(CONF_DEFAULT_TUN_METRIC), set_int, OFF(tun_metric) },
	{ "forward",		F_LIST,	 OPT, 1, 0,	NULL /* ike, esp, icmp */, NULL, 0 },
	{ "forward.[]",		F_STR,	 OPT, 1, 0,	NULL,		set_forward, 0 },
	{ "tls",		F_GROUP, REQ, 0, 0,	NULL,		NULL, 0 },
	{ "tls.ca",		F_STR,	 REQ, 1, 0,	NULL,		set_path, OFF(tls_ca) },
	{ "tls.cert",		F_STR,	 REQ, 1, 0,	NULL,		set_path, OFF(tls_cert) },
	{ "tls.key",		F_STR,	 REQ, 1, 0,	NULL,		set_path, OFF(tls_key) },
	{ "tls.crl",		F_STR,	 OPT, 1, 0,	NULL,		set_path, OFF(tls_crl) },
	{ "tls.strict_perms",	F_BOOL,	 OPT, 0, 1,	"0",		set_bool, OFF(tls_strict_perms) },
	{ "tls.require_prefixes", F_BOOL, OPT, 0, 1,	"0",		set_bool, OFF(tls_require_prefixes) },
	{ "topology",		F_GROUP, OPT, 0, 0,	NULL,		NULL, 0 },
	{ "topology.max_origins", F_INT, OPT, 16, 65536, STR(CONF_DEFAULT_TOPO_ORIGINS), set_int, OFF(topo_max_origins) },
	{ "topology.max_prefixes", F_INT, OPT, 0, 64,	STR(CONF_DEFAULT_TOPO_PREFIXES), set_int, OFF(topo_max_prefixes) },
	{ "topology.max_links",	F_INT,	 OPT, 1, 64,	STR(CONF_DEFAULT_TOPO_LINKS), set_int, OFF(topo_max_links) },
	{ "topology.rate",	F_INT,	 OPT, 1, 1000,	STR(CONF_DEFAULT_TOPO_RATE), set_int, OFF(topo_rate) },
	{ "topology.burst",	F_INT,	 OPT, 1, 10000,	STR(CONF_DEFAULT_TOPO_BURST), set_int, OFF(topo_burst) },
	{ "control",		F_STR,	 OPT, 1, SUN_PATH_MAX, NULL /* CONTROL_DIR NAME.sock */, set_str, OFF(control) },
	{ "user",		F_STR,	 OPT, 1, USER_NAME_MAX, NULL /* stay root */, set_user, 0 },
	{ "pidfile",		F_STR,	 OPT, 1, 4095,	NULL /* none */, set_pidfile, 0 },
	{ "keepalive",		F_GROUP, OPT, 0, 0,	NULL,		NULL, 0 },
	{ "keepalive.min",	F_INT,	 OPT, 1, 3600,	STR(CONF_DEFAULT_KA_MIN), set_int, OFF(ka_min) },
	{ "keepalive.max",	F_INT,	 OPT, 1, 3600,	STR(CONF_DEFAULT_KA_MAX), set_int, OFF(ka_max) },
	{ "rekey",		F_GROUP, OPT, 0, 0,	NULL,		NULL, 0 },
	{ "rekey.time",		F_INT,	 OPT, 5, 86400,	STR(CONF_DEFAULT_REKEY_S), set_int, OFF(rekey_s) },
	{ "log",		F_STR,	 OPT, 1, 0,	"info",		set_log, 0 },
	{ "metrics",		F_STR,	 OPT, 1, 0,	NULL /* off */,	set_metrics, 0 },
	{ NULL,			F_GROUP, OPT, 0, 0,	NULL,		NULL, 0 },
};

static const struct field *
field_find(const char *path)
{
	for (const struct field *f = fields; f->path != NULL; f++)
		if (strcmp(f->path, path) == 0)
			return f;
	return NULL;
}

/* The last component of f's path if f is a child of parent, else NULL. */
static const char *
field_leaf(const struct field *f, const char *parent)
{
	const char	*p = f->path;
	size_t		 n = strlen(parent);

	if (n > 0) {
		if (strncmp(p, parent, n) != 0 || p[n] != '.')
			return NULL;
		p += n + 1;
	}
	return strchr(p, '.') == NULL ? p : NULL;
}

static const char *
type_name(int type)
{
	static const char *const names[] = { "nothing", "a group", "an integer",
	    "an integer", "a float", "a string", "a boolean", "an array",
	    "a list" };

	return type >= 0 && type <= CONFIG_TYPE_LIST ? names[type] : "?";
}

static void	walk_group(struct ld *, const config_setting_t *, const char *,
		    const char *);

/*
 * Remembers where key (one outside any list; at most one per schema
 * field, so their number is bounded by the schema) is set, for
 * conf_at(): a reload names the line of a key it cannot apply.
 */
static void
at_add(struct ld *ld, const char *key, const config_setting_t *s)
{
	struct conf		*c = ld->c;
	struct conf_key_at	*v;
	const char		*file = config_setting_source_file(s);

	if ((v = realloc(c->key_at, (c->n_key_at + 1) * sizeof(*v))) == NULL)
		return;
	c->key_at = v;
	v = &c->key_at[c->n_key_at];
	v->key = strdup(key);
	v->at = strf("%s:%u", file != NULL ? file : ld->path,
	    config_setting_source_line(s));
	if (v->key == NULL || v->at == NULL) {
		free(v->key);
		free(v->at);
		return;
	}
	c->n_key_at++;
}

const char *
conf_at(const struct conf *c, const char *key)
{
	for (size_t i = 0; i < c->n_key_at; i++)
		if (strcmp(c->key_at[i].key, key) == 0)
			return c->key_at[i].at;
	return NULL;
}

/* Checks setting s against field f and hands its value to the setter. */
static void
check(struct ld *ld, const struct field *f, const config_setting_t *s,
    const char *key)
{
	struct val	 v = { f, key, s, 0, NULL };
	const struct field *ef = NULL;
	char		 ekey[256], epath[64];
	int		 t = config_setting_type(s);
	size_t		 len;

	if (strchr(key, '[') == NULL)
		at_add(ld, key, s);
	if (f->type == F_LIST) {
		snprintf(epath, sizeof(epath), "%s.[]", f->path);
		ef = field_find(epath);
	}
	switch (f->type) {
	case F_ADDRS:
		if (t == CONFIG_TYPE_ARRAY || t == CONFIG_TYPE_LIST) {
			int n = config_setting_length(s);

			if (n < 1 || n > 2) {
				err(ld, s, "'%s' must hold one or two addresses "
				    "(at most one of each family), not %d", key,
				    n);
				return;
			}
			for (int i = 0; i < n; i++) {
				const config_setting_t *e =
				    config_setting_get_elem(s, (unsigned)i);

				snprintf(ekey, sizeof(ekey), "%s.[%d]", key, i);
				if (config_setting_type(e) !=
				    CONFIG_TYPE_STRING) {
					err(ld, e, "'%s' must be a string, not "
					    "%s", ekey, type_name(
					    config_setting_type(e)));
					continue;
				}
				v.key = ekey;
				v.s = e;
				v.str = config_setting_get_string(e);
				f->set(ld, &v);
			}
			return;
		}
		/* FALLTHROUGH */
	case F_PFX:
		if (f->type == F_PFX && t == CONFIG_TYPE_GROUP) {
			memset(&ld->pa, 0, sizeof(ld->pa));
			walk_group(ld, s, f->path, key);
			alias_finish(ld, s, key);
			return;
		}
		/* FALLTHROUGH */
	case F_STR:
		if (t != CONFIG_TYPE_STRING)
			goto wrong;
		v.str = config_setting_get_string(s);
		len = strlen(v.str);
		if (len < (size_t)f->min) {
			err(ld, s, "'%s' is empty", key);
			return;
		}
		if (f->max > 0 && len > (size_t)f->max) {
			err(ld, s, "'%s' '%s' longer than %lld characters", key,
			    shown(ld, v.str), f->max);
			return;
		}
		break;
	case F_GROUP:
		if (t != CONFIG_TYPE_GROUP)
			goto wrong;
		if (f->set != NULL)
			f->set(ld, &v);
		walk_group(ld, s, f->path, key);
		return;
	case F_LIST:
		if (t != CONFIG_TYPE_LIST && t != CONFIG_TYPE_ARRAY)
			goto wrong;
		if (config_setting_length(s) < f->min)
			err(ld, s, "'%s' is empty", key);
		for (int i = 0; i < config_setting_length(s); i++) {
			snprintf(ekey, sizeof(ekey), "%s.[%d]", key, i);
			ld->idx = i;	/* no list holds a list: not nested */
			check(ld, ef, config_setting_get_elem(s, (unsigned)i),
			    ekey);
		}
		ld->idx = -1;
		return;
	case F_INT:
		if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
			goto wrong;
		/* XXX libconfig 1.5 wraps literals past 32 bits without L. */
		v.i = config_setting_get_int64(s);
		if (v.i < f->min || v.i > f->max) {
			err(ld, s, "'%s' %lld out of range %lld-%lld", key, v.i,
			    f->min, f->max);
			return;
		}
		break;
	case F_BOOL:
		if (t != CONFIG_TYPE_BOOL)
			goto wrong;
		v.i = config_setting_get_bool(s);
		break;
	}
	f->set(ld, &v);
	return;
wrong:
	if (f->type == F_GROUP)
		walk_group(ld, NULL, f->path, key);	/* its defaults */
	err(ld, s, "'%s' must be %s, not %s", key,
	    f->type == F_GROUP ? "a group { ... }" :
	    f->type == F_INT ? "an integer" :
	    f->type == F_STR ? "a string" :
	    f->type == F_ADDRS ? "a string or an array [ ... ] of strings" :
	    f->type == F_PFX ? "a string \"A.B.C.D/N\" or a group "
	    "{ prefix = ...; as = ...; }" :
	    f->type == F_BOOL ? "a boolean (true or false)" :
	    ef->type == F_GROUP ? "a list ( ... )" :
	    ef->type == F_PFX ? "a list ( ... ) or an array [ ... ]" :
	    "an array [ ... ]",
	    type_name(t));
}

/* Applies a field's default through its setter. */
static void
apply_default(struct ld *ld, const struct field *f, const char *key)
{
	struct val v = { f, key, NULL, 0, f->def };

	if (f->type == F_INT)
		v.i = strtoll(f->def, NULL, 10);
	f->set(ld, &v);
}

/*
 * Walks group g (NULL if absent: then only defaults apply) whose schema
 * path is spath and whose key as shown is dkey.  Unknown members first, in
 * file order; then every known member in table order.
 */
static void
walk_group(struct ld *ld, const config_setting_t *g, const char *spath,
    const char *dkey)
{
	const config_setting_t	*s;
	const struct field	*f;
	const char		*leaf, *name;
	char			 key[256];
	int			 i;

	for (i = 0; g != NULL && i < config_setting_length(g); i++) {
		s = config_setting_get_elem(g, (unsigned)i);
		name = config_setting_name(s);
		for (f = fields; f->path != NULL; f++)
			if ((leaf = field_leaf(f, spath)) != NULL &&
			    strcmp(leaf, name) == 0)
				break;
		if (f->path == NULL)
			err(ld, s, "unknown key '%s%s%s'", dkey,
			    *dkey != '\0' ? "." : "", shown(ld, name));
	}
	for (f = fields; f->path != NULL; f++) {
		if ((leaf = field_leaf(f, spath)) == NULL)
			continue;
		snprintf(key, sizeof(key), "%s%s%s", dkey,
		    *dkey != '\0' ? "." : "", leaf);
		s = g == NULL ? NULL : config_setting_get_member(g, leaf);
		if (s != NULL)
			check(ld, f, s, key);
		else if (g != NULL && f->required)
			err(ld, g, "'%s' missing", key);
		else if (f->type == F_GROUP)
			walk_group(ld, NULL, f->path, key);
		else if (f->def != NULL)
			apply_default(ld, f, key);
	}
}

/*
 * Repeated names, endpoints and prefixes.  Each list is read once before
 * the walk: one key per element, sorted (key, then index), and in each run
 * of equal keys every element after the first points at the first.  That
 * is O(n log n) for n elements, where comparing each element with every
 * earlier one in the tree cost O(n^2) comparisons (and libconfig's
 * config_setting_index(), itself O(n), made it O(n^3)).
 */
struct dkey {
	const char	*str;		/* borrowed from the tree */
	size_t		 len;		/* of str that counts */
	uint64_t	 num;
	int		 idx;
};

static int
dkey_cmp_tail(const struct dkey *a, const struct dkey *b, int c)
{
	if (c == 0 && a->len != b->len)
		c = a->len < b->len ? -1 : 1;
	if (c == 0)
		c = (a->idx > b->idx) - (a->idx < b->idx);
	return c;
}

static int
dkey_cmp(const void *pa, const void *pb)
{
	const struct dkey *a = pa, *b = pb;

	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return dkey_cmp_tail(a, b, memcmp(a->str, b->str,
	    a->len < b->len ? a->len : b->len));
}

/* Host names: DNS ignores case. */
static int
dkey_casecmp(const void *pa, const void *pb)
{
	const struct dkey *a = pa, *b = pb;

	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return dkey_cmp_tail(a, b, strncasecmp(a->str, b->str,
	    a->len < b->len ? a->len : b->len));
}

/* Whether a and b have the same key, whatever their index. */
static bool
dkey_same(const struct dkey *a, const struct dkey *b,
    int (*cmp)(const void *, const void *))
{
	struct dkey x = *a, y = *b;

	x.idx = y.idx = 0;
	return cmp(&x, &y) == 0;
}

/* Fills d from the nk keys k of a list of n elements; 0 or -1. */
static int
dups_build(struct dups *d, struct dkey *k, size_t nk, int n,
    int (*cmp)(const void *, const void *))
{
	size_t	i, run;

	if ((d->first = calloc((size_t)n + 1, sizeof(*d->first))) == NULL)
		return -1;
	d->n = n;
	for (i = 0; i < (size_t)n; i++)
		d->first[i] = -1;
	qsort(k, nk, sizeof(*k), cmp);
	for (i = 1, run = 0; i < nk; i++) {
		if (!dkey_same(&k[i], &k[run], cmp))
			run = i;
		else
			d->first[k[i].idx] = k[run].idx;
	}
	return 0;
}

static void
dups_release(struct dups *d)
{
	free(d->first);
	d->first = NULL;
	d->n = 0;
}

/* A list's elements, or NULL if path is no list or array. */
static const config_setting_t *
list_at(const config_t *cf, const char *path, int *n)
{
	const config_setting_t *l = config_lookup(cf, path);

	if (l == NULL || (config_setting_type(l) != CONFIG_TYPE_LIST &&
	    config_setting_type(l) != CONFIG_TYPE_ARRAY))
		return NULL;
	*n = config_setting_length(l);
	return l;
}

static int
dups_scan_neighbours(struct ld *ld)
{
	const config_setting_t	*l, *e, *m;
	struct dkey		*names, *ends;
	size_t			 nn = 0, ne = 0, len;
	long long		 port;
	const char		*str;
	int			 n, i, rc = -1;

	if ((l = list_at(ld->cf, "neighbours", &n)) == NULL)
		return 0;
	names = calloc((size_t)n + 1, sizeof(*names));
	ends = calloc((size_t)n + 1, sizeof(*ends));
	if (names == NULL || ends == NULL)
		goto fail_free;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(l, (unsigned)i);
		if (!config_setting_is_group(e))
			continue;
		if ((m = config_setting_get_member(e, "name")) != NULL &&
		    config_setting_type(m) == CONFIG_TYPE_STRING) {
			str = config_setting_get_string(m);
			names[nn++] = (struct dkey){ str, strlen(str), 0, i };
		}
		if ((m = config_setting_get_member(e, "host")) == NULL ||
		    config_setting_type(m) != CONFIG_TYPE_STRING)
			continue;
		str = config_setting_get_string(m);
		if ((len = strlen(str)) > 1 && str[len - 1] == '.')
			len--;		/* "a.example." is "a.example" */
		port = CONF_DEFAULT_PORT;
		if ((m = config_setting_get_member(e, "port")) != NULL) {
			if (config_setting_type(m) != CONFIG_TYPE_INT &&
			    config_setting_type(m) != CONFIG_TYPE_INT64)
				continue;
			port = config_setting_get_int64(m);
		}
		ends[ne++] = (struct dkey){ str, len, (uint64_t)port, i };
	}
	if (dups_build(&ld->nb_names, names, nn, n, dkey_cmp) == 0 &&
	    dups_build(&ld->nb_ends, ends, ne, n, dkey_casecmp) == 0)
		rc = 0;
fail_free:
	free(names);
	free(ends);
	return rc;
}

static int
dups_scan_prefixes(struct ld *ld)
{
	const config_setting_t	*l;
	struct conf_prefix	 p;
	struct dkey		*k;
	uint8_t			(*raw6)[17];
	size_t			 nk = 0;
	const char		*str, *why;
	int			 n, i, rc;

	if ((l = list_at(ld->cf, "prefixes", &n)) == NULL)
		return 0;
	if ((k = calloc((size_t)n + 1, sizeof(*k))) == NULL)
		return -1;
	/* an IPv6 prefix's key: its 17 bytes (plen, address) as str */
	if ((raw6 = calloc((size_t)n + 1, sizeof(*raw6))) == NULL) {
		free(k);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(l,
		    (unsigned)i);

		/* an alias's real prefix counts like a plain one */
		if (e != NULL && config_setting_is_group(e))
			e = config_setting_get_member(e, "prefix");
		if (e != NULL && (str = config_setting_get_string(e)) !=
		    NULL && prefix_parse(str, &p, &why) == 0) {
			if (p.v6) {
				raw6[i][0] = p.plen;
				memcpy(raw6[i] + 1, p.addr6.s6_addr, 16);
				k[nk++] = (struct dkey){ (const char *)raw6[i],
				    17, UINT64_MAX, i };
			} else
				k[nk++] = (struct dkey){ "", 0, (uint64_t)
				    ntohl(p.addr.s_addr) << 8 | p.plen, i };
		}
	}
	rc = dups_build(&ld->pfx, k, nk, n, dkey_cmp);
	free(k);
	free(raw6);
	return rc;
}

/*
 * proxyd replaces what sits at the control path, expecting the socket of
 * an earlier run: anything else there belongs to someone else.  lstat: a
 * symbolic link is not followed by unlink() either.
 */
static void
check_control(struct ld *ld)
{
	const char	*path = ld->c->control, *what;
	struct stat	 st;

	if (path == NULL || lstat(path, &st) == -1 || S_ISSOCK(st.st_mode))
		return;
	what = S_ISREG(st.st_mode) ? "a regular file" :
	    S_ISDIR(st.st_mode) ? "a directory" :
	    S_ISLNK(st.st_mode) ? "a symbolic link" :
	    S_ISFIFO(st.st_mode) ? "a FIFO" :
	    S_ISCHR(st.st_mode) ? "a character device" :
	    S_ISBLK(st.st_mode) ? "a block device" : "something else";
	err(ld, config_lookup(ld->cf, "control"), "'control' '%s' is %s, "
	    "not a socket", shown(ld, path), what);
}

/* A missing key is for proxyd to report when it reads it. */
static void
check_key(struct ld *ld)
{
	const char	*path = ld->c->tls_key;
	const config_setting_t *s = config_lookup(ld->cf, "tls.key");
	struct stat	 st;
	unsigned	 mode;

	if (path == NULL || stat(path, &st) == -1 ||
	    (st.st_mode & S_IROTH) == 0)
		return;
	mode = (unsigned)st.st_mode & 07777;
	if (ld->c->tls_strict_perms)
		err(ld, s, "'tls.key' '%s' is readable by everyone (mode %04o) "
		    "and 'tls.strict_perms' is set", shown(ld, path), mode);
	else
		warn(ld, s, "'tls.key' '%s' is readable by everyone (mode "
		    "%04o)", shown(ld, path), mode);
}

static bool
pfx_overlap(struct in_addr a, uint8_t alen, struct in_addr b, uint8_t blen)
{
	uint8_t		plen = alen < blen ? alen : blen;
	uint32_t	mask = plen == 0 ? 0 : htonl(UINT32_MAX << (32 - plen));

	return (a.s_addr & mask) == (b.s_addr & mask);
}

static const char *
pfx_str(char *buf, size_t len, struct in_addr a, uint8_t plen)
{
	char s[INET_ADDRSTRLEN];

	snprintf(buf, len, "%s/%u", inet_ntop(AF_INET, &a, s, sizeof(s)),
	    plen);
	return buf;
}

/*
 * Translation must be unambiguous: an alias may overlap none of this
 * site's real prefixes (its own included) nor another alias, and an
 * aliased prefix no other real prefix (a packet from the overlap would be
 * translated or not depending on the rule's order).  O(n^2) over at most
 * CONF_ALIAS_MAX aliases times the prefixes.
 */
static void
check_aliases(struct ld *ld)
{
	const struct conf	*c = ld->c;
	char			 pa[24], pb[24];

	for (size_t i = 0; i < c->n_prefixes; i++) {
		const struct conf_prefix *a = &c->prefixes[i];
		const config_setting_t *s = ld->pfx_at[i].s;
		int ia = ld->pfx_at[i].idx;

		if (!a->has_alias)
			continue;
		for (size_t j = 0; j < c->n_prefixes; j++) {
			const struct conf_prefix *b = &c->prefixes[j];
			int ib = ld->pfx_at[j].idx;
			const char *bkey = b->has_alias ? ".prefix" : "";

			if (b->v6)
				continue;	/* another family */

			pfx_str(pa, sizeof(pa), a->alias, a->plen);
			pfx_str(pb, sizeof(pb), b->addr, b->plen);
			if (pfx_overlap(a->alias, a->plen, b->addr, b->plen)) {
				err(ld, s, "'prefixes.[%d].as' '%s' overlaps "
				    "this site's own 'prefixes.[%d]%s' '%s': "
				    "choose an alias no site of the network "
				    "uses", ia, pa, ib, bkey, pb);
			} else if (j != i && pfx_overlap(a->addr, a->plen,
			    b->addr, b->plen)) {
				pfx_str(pa, sizeof(pa), a->addr, a->plen);
				err(ld, s, "'prefixes.[%d].prefix' '%s' "
				    "overlaps 'prefixes.[%d]%s' '%s': an "
				    "aliased range must be one prefix, alone",
				    ia, pa, ib, bkey, pb);
			} else if (j < i && b->has_alias && pfx_overlap(
			    a->alias, a->plen, b->alias, b->plen)) {
				pfx_str(pb, sizeof(pb), b->alias, b->plen);
				err(ld, s, "'prefixes.[%d].as' '%s' overlaps "
				    "'prefixes.[%d].as' '%s': each alias must "
				    "be distinct", ia, pa, ib, pb);
			}
		}
	}
}

/* Defaults that depend on other keys, and rules across keys. */
static void
conf_finish(struct ld *ld)
{
	struct conf		*c = ld->c;
	const config_t		*cf = ld->cf;
	const config_setting_t	*s, *pfx = config_lookup(cf, "prefixes");
	const config_setting_t	*tun = config_lookup(cf, "tun");
	/* as written, so that rejected values do not make more errors */
	int			 npfx = pfx == NULL ? 0 :
	    config_setting_is_aggregate(pfx) ? config_setting_length(pfx) : 1;

	if (!ld->alt_port_set)
		c->alt_port = c->listen_port == 65535 ? 0 : c->listen_port + 1;
	else if (c->alt_port == c->listen_port)
		err(ld, config_lookup(cf, "listen.alt_port"),
		    "'listen.alt_port' %u equals 'listen.port'", c->alt_port);
	if (tun != NULL && npfx == 0)
		err(ld, tun, "'tun' needs at least one prefix");
	if (tun == NULL && npfx > 0)
		err(ld, pfx, "'prefixes' need a tun");
	if (c->forward == 0)
		c->forward = CONF_FWD_IKE | CONF_FWD_ESP | CONF_FWD_ICMP;
	if (c->ka_min > c->ka_max) {
		if ((s = config_lookup(cf, "keepalive.min")) == NULL)
			s = config_lookup(cf, "keepalive.max");
		err(ld, s, "'keepalive.min' %d greater than 'keepalive.max' %d",
		    c->ka_min, c->ka_max);
	}
	if (c->control == NULL && (c->control = strf(CONTROL_DIR "%s.sock",
	    c->name)) == NULL)
		err(ld, NULL, "'control' %s", strerror(ENOMEM));
	check_aliases(ld);
	check_control(ld);
	check_key(ld);
}

int
conf_load(const config_t *cf, const char *path, struct conf **out,
    struct conf_errs *errs)
{
	struct ld ld = { .cf = cf, .path = path, .errs = errs,
	    .first = errs->n, .idx = -1 };

	*out = NULL;
	if ((ld.c = calloc(1, sizeof(*ld.c))) == NULL ||
	    (ld.c->path = strdup(path)) == NULL ||
	    dups_scan_neighbours(&ld) == -1 || dups_scan_prefixes(&ld) == -1) {
		errs_add(errs, "%s: %s", path, strerror(ENOMEM));
		conf_free(ld.c);
		dups_release(&ld.nb_names);
		dups_release(&ld.nb_ends);
		return -1;
	}
	walk_group(&ld, config_root_setting(cf), "", "");
	conf_finish(&ld);
	dups_release(&ld.nb_names);
	dups_release(&ld.nb_ends);
	dups_release(&ld.pfx);
	free(ld.pfx_at);
	free(ld.dir);
	free(ld.lines);
	if (ld.failed) {
		conf_free(ld.c);
		return -1;
	}
	*out = ld.c;
	return 0;
}

int
conf_load_file(const char *path, struct conf **out, struct conf_errs *errs)
{
	config_t	 cf;
	struct stat	 st;
	char		*dir;
	int		 rc = -1, e;

	*out = NULL;
	config_init(&cf);
	/* @include is relative to the file, not to the working directory. */
	if ((dir = path_dir(path)) != NULL)
		config_set_include_dir(&cf, dir);
	free(dir);
	errno = 0;
	if (config_read_file(&cf, path)) {
		rc = conf_load(&cf, path, out, errs);
	} else if (config_error_type(&cf) == CONFIG_ERR_FILE_IO) {
		/* libconfig opens a directory, fails to read it, keeps errno 0 */
		if ((e = errno) == 0)
			e = stat(path, &st) == 0 && S_ISDIR(st.st_mode) ?
			    EISDIR : EIO;
		errs_add(errs, "%s: %s", path, strerror(e));
	} else {
		errs_add(errs, "%s:%d: %s", config_error_file(&cf) != NULL ?
		    config_error_file(&cf) : path, config_error_line(&cf),
		    config_error_text(&cf));
	}
	config_destroy(&cf);
	return rc;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_neighbours; i++)
		free(c->neighbours[i].host);
	free(c->neighbours);
	free(c->prefixes);
	free(c->prefixes_file);
	free(c->tls_ca);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_crl);
	free(c->control);
	free(c->user);
	free(c->user_at);
	free(c->pidfile);
	free(c->name_at);
	for (size_t i = 0; i < c->n_key_at; i++) {
		free(c->key_at[i].key);
		free(c->key_at[i].at);
	}
	free(c->key_at);
	free(c->path);
	free(c);
}

void
conf_errs_release(struct conf_errs *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->msgs[i]);
	free(errs->msgs);
	errs->msgs = NULL;
	errs->n = 0;
}

/* Prints a libconfig string literal. */
static void
pstr(FILE *fp, const char *s)
{
	fputc('"', fp);
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(fp, "\\%c", *s);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fprintf(fp, "\\x%02x", (unsigned char)*s);
		else
			fputc(*s, fp);
	}
	fputc('"', fp);
}

static void
paddr(FILE *fp, struct in_addr a)
{
	char buf[INET_ADDRSTRLEN];

	pstr(fp, inet_ntop(AF_INET, &a, buf, sizeof(buf)));
}

/* One address as a string, or both families as an array. */
static void
paddrs(FILE *fp, bool v4, struct in_addr a4, bool v6,
    const struct in6_addr *a6)
{
	char buf[INET6_ADDRSTRLEN];

	if (v4 && v6)
		fputs("[ ", fp);
	if (v4)
		paddr(fp, a4);
	if (v4 && v6)
		fputs(", ", fp);
	if (v6)
		pstr(fp, inet_ntop(AF_INET6, a6, buf, sizeof(buf)));
	if (v4 && v6)
		fputs(" ]", fp);
}

void
conf_print(const struct conf *c, FILE *fp)
{
	char	 buf[INET_ADDRSTRLEN];
	size_t	 i, n;

	fputs("name = ", fp);
	pstr(fp, c->name);
	fputs(";\nlisten = {\n\taddress = ", fp);
	paddrs(fp, c->listen_v4, c->listen_addr, c->listen_v6,
	    &c->listen6_addr);
	fprintf(fp, ";\n\tport = %u;\n\talt_port = %u;\n", c->listen_port,
	    c->alt_port);
	if (c->has_alt_addr || c->has_alt_addr6) {
		fputs("\talt_address = ", fp);
		paddrs(fp, c->has_alt_addr, c->alt_addr, c->has_alt_addr6,
		    &c->alt_addr6);
		fputs(";\n", fp);
	}
	if (c->listen_tcp_port != 0)
		fprintf(fp, "\ttcp_port = %u;\n", c->listen_tcp_port);
	fputs("};\n", fp);
	if (c->has_public)
		fprintf(fp, "public = \"%s:%u\";\n", inet_ntop(AF_INET,
		    &c->public_addr, buf, sizeof(buf)), c->public_port);
	fputs("neighbours = (", fp);
	for (i = 0; i < c->n_neighbours; i++) {
		fputs(i > 0 ? ",\n\t{ name = " : "\n\t{ name = ", fp);
		pstr(fp, c->neighbours[i].name);
		fputs("; host = ", fp);
		pstr(fp, c->neighbours[i].host);
		fprintf(fp, "; port = %u;", c->neighbours[i].port);
		if (c->neighbours[i].tcp_port != 0)
			fprintf(fp, " tcp_port = %u;",
			    c->neighbours[i].tcp_port);
		if (c->neighbours[i].transport != CONF_TRANSPORT_AUTO)
			fprintf(fp, " transport = \"%s\";",
			    c->neighbours[i].transport == CONF_TRANSPORT_UDP ?
			    "udp" : "tcp");
		fputs(" }", fp);
	}
	for (i = n = 0; i < c->n_prefixes; i++)
		n += c->prefixes[i].has_alias;
	/* an array while no alias needs a group: older output stays */
	fputs(c->n_neighbours > 0 ? "\n);\nprefixes = " : " );\nprefixes = ",
	    fp);
	fputs(n > 0 ? "(" : "[", fp);
	for (i = 0; i < c->n_prefixes; i++) {
		const struct conf_prefix *p = &c->prefixes[i];

		fputs(i > 0 ? ", " : " ", fp);
		if (p->v6) {
			struct ipprefix q;
			char s6[IPPREFIX_STRLEN];

			ipaddr_set6(&q.addr, &p->addr6);
			q.plen = p->plen;
			fprintf(fp, "\"%s\"", ipprefix_str(&q, s6, sizeof(s6)));
			continue;
		}
		if (p->has_alias)
			fputs("{ prefix = ", fp);
		fprintf(fp, "\"%s/%u\"", inet_ntop(AF_INET, &p->addr, buf,
		    sizeof(buf)), p->plen);
		if (p->has_alias)
			fprintf(fp, "; as = \"%s/%u\"; }", inet_ntop(AF_INET,
			    &p->alias, buf, sizeof(buf)), p->plen);
	}
	fputs(n > 0 ? " );\n" : " ];\n", fp);
	if (c->has_tun) {
		fputs("tun = {\n\tname = ", fp);
		pstr(fp, c->tun_name);
		fprintf(fp, ";\n\tmtu = %d;\n", c->tun_mtu);
		if (c->tun_metric != CONF_DEFAULT_TUN_METRIC)
			fprintf(fp, "\tmetric = %d;\n", c->tun_metric);
		fputs("};\n", fp);
	}
	fputs("forward = [", fp);
	for (i = n = 0; i < sizeof(fwd_names) / sizeof(fwd_names[0]); i++)
		if (c->forward & fwd_names[i].bit)
			fprintf(fp, "%s \"%s\"", n++ > 0 ? "," : "",
			    fwd_names[i].name);
	fputs(" ];\ntls = {\n\tca = ", fp);
	pstr(fp, c->tls_ca);
	fputs(";\n\tcert = ", fp);
	pstr(fp, c->tls_cert);
	fputs(";\n\tkey = ", fp);
	pstr(fp, c->tls_key);
	if (c->tls_crl != NULL) {	/* only if set: older output stays */
		fputs(";\n\tcrl = ", fp);
		pstr(fp, c->tls_crl);
	}
	if (c->tls_strict_perms)	/* only if set: older output stays */
		fputs(";\n\tstrict_perms = true", fp);
	if (c->tls_require_prefixes)	/* only if set: older output stays */
		fputs(";\n\trequire_prefixes = true", fp);
	fputs(";\n};\ncontrol = ", fp);
	pstr(fp, c->control);
	if (c->user != NULL) {		/* only if set: older output stays */
		fputs(";\nuser = ", fp);
		pstr(fp, c->user);
	}
	if (c->pidfile != NULL) {	/* only if set: older output stays */
		fputs(";\npidfile = ", fp);
		pstr(fp, c->pidfile);
	}
	fprintf(fp, ";\nkeepalive = {\n\tmin = %d;\n\tmax = %d;\n};\n"
	    "log = \"%s\";\n", c->ka_min, c->ka_max,
	    log_level_name(c->log_level));
	if (c->topo_max_origins != CONF_DEFAULT_TOPO_ORIGINS ||
	    c->topo_max_prefixes != CONF_DEFAULT_TOPO_PREFIXES ||
	    c->topo_max_links != CONF_DEFAULT_TOPO_LINKS ||
	    c->topo_rate != CONF_DEFAULT_TOPO_RATE ||
	    c->topo_burst != CONF_DEFAULT_TOPO_BURST)	/* older output stays */
		fprintf(fp, "topology = {\n\tmax_origins = %d;\n\t"
		    "max_prefixes = %d;\n\tmax_links = %d;\n\trate = %d;\n"
		    "\tburst = %d;\n};\n", c->topo_max_origins,
		    c->topo_max_prefixes, c->topo_max_links, c->topo_rate,
		    c->topo_burst);
	if (c->rekey_s != CONF_DEFAULT_REKEY_S)	/* older output stays */
		fprintf(fp, "rekey = {\n\ttime = %d;\n};\n", c->rekey_s);
	if (c->has_metrics)		/* only if set: older output stays */
		fprintf(fp, "metrics = \"%s:%u\";\n", inet_ntop(AF_INET,
		    &c->metrics_addr, buf, sizeof(buf)), c->metrics_port);
}
