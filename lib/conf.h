/* SPDX-License-Identifier: ISC */
/*
 * The configuration model: loaded from a libconfig tree, validated against
 * a schema, printed back in normal form.  struct conf owns all its memory;
 * nothing points into the config_t it was loaded from.
 */
#ifndef PROXYD_CONF_H
#define PROXYD_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#include <libconfig.h>

#define CONF_NAME_MAX		63	/* proxy names: [A-Za-z0-9._-], 1-63 */
/*
 * The default listen and neighbour port, and port + 1 the alternate one.
 * 4795/udp and 4796/udp are unassigned in IANA's registry (4793-4799 are);
 * the earlier 4790 is IANA's VXLAN-GPE, which tcpdump and middleboxes
 * decode as such.  A configuration that names its port is unaffected.
 */
#define CONF_DEFAULT_PORT	4795
#define CONF_DEFAULT_TUN_MTU	1500
#define CONF_DEFAULT_TUN_METRIC	10000	/* loses to the host's own routes */
#define CONF_DEFAULT_KA_MIN	5
#define CONF_DEFAULT_KA_MAX	120
#define CONF_DEFAULT_REKEY_S	3600	/* links re-handshake after */
#define CONF_SHOW_MAX		64
/* 'topology' limits (lib/topo.h's TOPO_DEFAULT_*) */
#define CONF_DEFAULT_TOPO_ORIGINS	4096
#define CONF_DEFAULT_TOPO_PREFIXES	64
#define CONF_DEFAULT_TOPO_LINKS		64
#define CONF_DEFAULT_TOPO_RATE		2
#define CONF_DEFAULT_TOPO_BURST		10	/* bytes of a value echoed in a message */

/* Forwarding policy classes; a bit set in conf.forward. */
enum conf_fwd {
	CONF_FWD_IKE	= 1 << 0,	/* UDP 500 and 4500 (also ESP in UDP) */
	CONF_FWD_ESP	= 1 << 1,	/* IP protocol 50 */
	CONF_FWD_ICMP	= 1 << 2,
	CONF_FWD_ALL	= 1 << 3,	/* "all": everything (benchmarks) */
};

#define CONF_ALIAS_MAX		64	/* aliased prefixes (NETMAP_MAX) */

/*
 * A site prefix.  With has_alias the site is known to the network as
 * alias/plen instead (1:1, host bits kept): the proxy advertises the alias,
 * never addr, and translates between them (lib/netmap.h).
 */
struct conf_prefix {
	struct in_addr	addr;		/* network address, host bits zero */
	uint8_t		plen;		/* 0-32, or 0-128 with v6 */
	bool		has_alias;	/* never with v6 */
	struct in_addr	alias;		/* same length, host bits zero */
	unsigned	line;		/* where the configuration says it */
	bool		v6;		/* an IPv6 prefix: addr6, not addr */
	struct in6_addr	addr6;		/* host bits zero */
};

/* How a link to a neighbour is carried (neighbours.[].transport). */
enum conf_transport {
	CONF_TRANSPORT_AUTO = 0,	/* UDP, TCP when UDP gets no answer */
	CONF_TRANSPORT_UDP,
	CONF_TRANSPORT_TCP,
};

struct conf_neighbour {
	char		name[CONF_NAME_MAX + 1];
	char		*host;		/* IPv4 or IPv6 literal (RFC 5952 */
					/* form), or a hostname */
	uint16_t	port;
	uint16_t	tcp_port;	/* 0: none (no TCP link) */
	enum conf_transport transport;	/* default auto */
};

/* Where a key was set: "FILE:LINE" (conf_at()). */
struct conf_key_at {
	char		*key;		/* e.g. "listen.port" */
	char		*at;
};

struct conf {
	char		*path;			/* the file it was loaded from */
	char		 name[CONF_NAME_MAX + 1];
	/*
	 * 'listen.address': one address or a list of at most one per
	 * family ("0.0.0.0", "::", or specific ones); default "0.0.0.0".
	 * 'listen.alt_address' likewise, each of a family listened on.
	 */
	bool		 listen_v4;		/* listen_addr is used */
	struct in_addr	 listen_addr;		/* default 0.0.0.0 */
	bool		 listen_v6;		/* listen6_addr is used */
	struct in6_addr	 listen6_addr;
	uint16_t	 listen_port;		/* default 4795 */
	uint16_t	 alt_port;		/* 0: none; default port+1 */
	uint16_t	 listen_tcp_port;	/* 0 (default): no TCP links in */
	bool		 has_alt_addr;
	struct in_addr	 alt_addr;
	bool		 has_alt_addr6;
	struct in6_addr	 alt_addr6;
	bool		 has_public;
	struct in_addr	 public_addr;		/* "public" = "A.B.C.D:PORT" */
	uint16_t	 public_port;
	struct conf_neighbour *neighbours;
	size_t		 n_neighbours;
	struct conf_prefix *prefixes;
	size_t		 n_prefixes;
	bool		 has_tun;
	char		 tun_name[16];		/* IFNAMSIZ; default "pxy0" */
	int		 tun_mtu;		/* 576-9000; default 1500 */
	int		 tun_metric;		/* of our kernel routes; 1-2^31-1 */
	unsigned	 forward;		/* enum conf_fwd bits; default IKE|ESP|ICMP */
	char		*tls_ca;		/* paths, made absolute relative */
	char		*tls_cert;		/* to the config file's directory */
	char		*tls_key;
	char		*tls_crl;		/* NULL: no CRL file */
	bool		 tls_strict_perms;	/* refuse a key others can read */
	bool		 tls_require_prefixes;	/* a certificate without RFC 3779 */
						/* blocks claims no prefix */
	char		*prefixes_file;		/* file of 'prefixes' (FILE:LINE) */
	int		 topo_max_origins;	/* 'topology' limits */
	int		 topo_max_prefixes;
	int		 topo_max_links;
	int		 topo_rate;		/* per origin per second */
	int		 topo_burst;
	char		*control;		/* default /run/proxyd/NAME.sock */
	char		*user;			/* drop root to it; NULL: stay */
	char		*user_at;		/* "FILE:LINE" of 'user' */
	char		*pidfile;		/* absolute; NULL: none */
	char		*name_at;		/* "FILE:LINE" of 'name' */
	bool		 has_metrics;		/* "metrics": off by default */
	struct in_addr	 metrics_addr;		/* "A.B.C.D:PORT", or "PORT" */
	uint16_t	 metrics_port;		/* for 127.0.0.1:PORT */
	int		 ka_min;		/* seconds, 1 <= min <= max <= 3600 */
	int		 ka_max;
	int		 rekey_s;		/* 'rekey.time', 5-86400 */
	int		 log_level;		/* enum log_level; default info */
	struct conf_key_at *key_at;		/* keys outside lists, as set */
	size_t		 n_key_at;
};

/* One error: "FILE:LINE: 'key' what is wrong". */
struct conf_errs {
	char		**msgs;
	size_t		  n;
};

/*
 * Validates the libconfig tree cf (read from file 'path', used in messages
 * and to resolve relative tls paths) and builds a conf.  Unknown keys, wrong
 * types, out-of-range values and missing required keys are all reported.
 * Returns 0 and sets *out (caller frees with conf_free), or -1 with every
 * error appended to errs (caller frees with conf_errs_release).  Warnings,
 * "FILE:LINE: warning: ...", are appended in both cases, in line order
 * with the errors: after a success errs holds only warnings, which the
 * caller should show too.  A value echoed in a message is cut to
 * CONF_SHOW_MAX bytes and "...", control characters shown as '?'.
 *
 * Besides the tree, two paths are looked at (lstat/stat, nothing is
 * opened): 'control' must not name anything but a socket, since proxyd
 * replaces what is there, and a 'tls.key' that everyone may read is
 * warned about, or refused with 'tls.strict_perms'.
 */
int	 conf_load(const config_t *cf, const char *path, struct conf **out,
	    struct conf_errs *errs);
/*
 * Reads and validates a file.  Syntax errors are reported as
 * "FILE:LINE: TEXT", unreadable files as "FILE: strerror".
 */
int	 conf_load_file(const char *path, struct conf **out,
	    struct conf_errs *errs);
void	 conf_free(struct conf *);
/*
 * "FILE:LINE" where key (a dotted path outside any list, e.g.
 * "listen.port") is set in the file c was loaded from, or NULL if the
 * file does not set it (a default applies).  Borrowed from c.
 */
const char *conf_at(const struct conf *c, const char *key);
void	 conf_errs_release(struct conf_errs *);
/* Prints the normalised configuration, every default made explicit. */
void	 conf_print(const struct conf *, FILE *);
/* Parses "A.B.C.D/N" (host bits must be zero); 0 or -1. */
int	 conf_prefix_parse(const char *, struct conf_prefix *);
/* The prefix as the network knows it: the alias if it has one. */
struct in_addr conf_prefix_adv(const struct conf_prefix *);
/*
 * "ADDR/N" of p's own (real) prefix, IPv4 dotted or IPv6 in RFC 5952 form,
 * into buf (CONF_PREFIX_STRLEN bytes suffice).  Returns buf.
 */
#define CONF_PREFIX_STRLEN	50
const char *conf_prefix_str(const struct conf_prefix *, char *buf, size_t len);
/* Whether a and b are the same prefix (family, address, length, alias). */
bool	conf_prefix_eq(const struct conf_prefix *, const struct conf_prefix *);

#endif
