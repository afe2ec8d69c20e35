/* SPDX-License-Identifier: ISC */
/*
 * proxyd: main, usage, the configuration check, start-up and shutdown
 * order, signals and the one-second tick.  It opens the listen sockets
 * (psock.c) with the links as their input, the resolver the links look
 * neighbour names up with (evdns), the TUN (tun.c) and the control socket
 * (control.c), and leaves the rest to the dispatch (peer.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include <event2/dns.h>

#include "control.h"
#include "link.h"
#include "log.h"
#include "lsasig.h"
#include "metrics.h"
#include "peer.h"
#include "privs.h"
#include "stream.h"
#include "proxyd.h"
#include "reload.h"
#include "tls.h"
#include "tun.h"
#include "txq.h"

#define FLOWS_MAX	4096
#define FLOW_IDLE_S	300

#ifndef SYSCONFDIR
#define SYSCONFDIR "/usr/local/etc"
#endif
#define DEFAULT_CONF	SYSCONFDIR "/proxyd/proxyd.conf"

static __attribute__((noreturn)) void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: proxyd [-fhtvV] [-c FILE]\n"
"\n"
"proxyd relays IKE and ESP between IPsec endpoints whose sites are both\n"
"behind NAT.  One proxyd runs per site (and optionally on public hosts);\n"
"proxies link to their configured neighbours over UDP with mutually\n"
"authenticated DTLS handshakes, keep the NAT mappings open, announce\n"
"their site prefixes, install routes for remote prefixes on their TUN\n"
"device and carry the endpoints' packets hop by hop.\n"
"\n"
"  -c FILE   configuration file (default " DEFAULT_CONF ")\n"
"  -f        stay in the foreground and log to stderr\n"
"            (default: detach and log to syslog, or to stderr with a\n"
"            warning when /dev/log is missing)\n"
"  -t        check the configuration and exit: 0 if valid, 1 otherwise;\n"
"            every error is printed as FILE:LINE: 'key' problem\n"
"  -v        with -t: print the normalised configuration;\n"
"            otherwise: log at debug level\n"
"  -V        print the version and exit\n"
"  -h        print this help and exit\n"
"\n"
"Signals: TERM and INT stop the daemon (neighbours are told goodbye);\n"
"HUP reloads the configuration like 'proxyctl reload' (all or nothing:\n"
"a file with errors is refused and logged) and looks neighbour host\n"
"names up again.\n"
"See proxyd(8), proxyd.conf(5) and proxyctl(8).\n");
	exit(status);
}

/* The end of a read burst: what it queued for the links and the LAN goes. */
static void
burst_end(void *arg)
{
	struct proxyd *px = arg;

	txq_flush(px);
	tun_flush(px->tun);
}

/*
 * The listen sockets of one family: primary, alternate port, alternate
 * address (sharing the port of a wildcard primary).  0 or -1 (logged).
 */
static int
listen_family(struct proxyd *px, struct psock *socks, const struct ep *la,
    bool has_alt, const struct ep *aa)
{
	const struct conf *c = px->conf;

	if (psock_open(&socks[PSOCK_PRIMARY], &px->sock_env, la,
	    c->listen_port, PSOCK_PRIMARY) == -1)
		return -1;
	if (c->alt_port != 0 && psock_open(&socks[PSOCK_ALT_PORT],
	    &px->sock_env, la, c->alt_port, PSOCK_ALT_PORT) == -1)
		return -1;
	if (!has_alt)
		return 0;
	if (ep_is_any(la))
		return psock_open_beside(&socks[PSOCK_ALT_ADDR],
		    &px->sock_env, aa, PSOCK_ALT_ADDR, &socks[PSOCK_PRIMARY]);
	return psock_open(&socks[PSOCK_ALT_ADDR], &px->sock_env, aa,
	    c->listen_port, PSOCK_ALT_ADDR);
}

static int
listen_open(struct proxyd *px)
{
	const struct conf *c = px->conf;
	struct ep la = ep_v4(c->listen_addr, 0), aa = ep_v4(c->alt_addr, 0);
	struct ep la6 = ep_v6(&c->listen6_addr, 0);
	struct ep aa6 = ep_v6(&c->alt_addr6, 0);

	px->sock_env.base = px->base;
	px->sock_env.input = link_datagram;
	px->sock_env.burst_end = burst_end;
	px->sock_env.arg = px;
	px->sock_env.st = &px->sock_st;
	if (c->listen_v4 && listen_family(px, px->socks, &la, c->has_alt_addr,
	    &aa) == -1)
		return -1;
	if (c->listen_v6 && listen_family(px, px->socks6, &la6,
	    c->has_alt_addr6, &aa6) == -1)
		return -1;
	return 0;
}

/* evdns speaks through our log (it tells warnings from the rest only). */
static void
dns_log(int is_warning, const char *msg)
{
	if (is_warning)
		log_warnx("dns: %s", msg);
	else
		log_debug("dns: %s", msg);
}

/*
 * The resolver for neighbour names: nameservers, search list and options
 * from /etc/resolv.conf, names from /etc/hosts, both read now (before the
 * privilege drop), as libc would.  Without it names do not resolve, which
 * the links report; IP literals need none.
 */
static void
dns_open(struct proxyd *px)
{
	evdns_set_log_fn(dns_log);
	px->dns = evdns_base_new(px->base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	    EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (px->dns == NULL)
		log_warnx("cannot set up DNS resolution from /etc/resolv.conf: "
		    "neighbour names will not resolve");
}

/*
 * Last, with only the resolver's own events left: the lookups the links
 * left behind (cancelled) report back through the loop, then it goes.
 */
static void
dns_close(struct proxyd *px)
{
	for (int pass = 0; px->dns_lookups > 0 && pass < 8; pass++)
		(void)event_base_loop(px->base, EVLOOP_NONBLOCK);
	if (px->dns_lookups > 0)
		log_debug("%u DNS lookup(s) not reported back at exit",
		    px->dns_lookups);
	if (px->dns != NULL)
		evdns_base_free(px->dns, 0);
	px->dns = NULL;
}

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proxyd *px = arg;
	struct proxyd_t0 t0 = proxyd_work_begin();

	(void)fd;
	(void)what;
	peer_tick(px);
	flow_expire(px->flows, now_us(), (uint64_t)FLOW_IDLE_S * 1000000);
	proxyd_work(px, LOOPLAG_TICK, t0);
}

/*
 * The run-queue wait of our thread since the last call, in microseconds,
 * from /proc/self/schedstat (opened once; UINT64_MAX when it cannot be
 * read: a kernel without CONFIG_SCHED_INFO, no /proc).
 */
static uint64_t
runq_delta(struct proxyd *px)
{
	char buf[96];
	ssize_t n;
	uint64_t ns, d;

	if (px->schedstat_fd == -1)
		return UINT64_MAX;
	n = pread(px->schedstat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0) {
		close(px->schedstat_fd);
		px->schedstat_fd = -1;
		return UINT64_MAX;
	}
	buf[n] = '\0';
	if (looplag_parse_schedstat(buf, &ns) == -1)
		return UINT64_MAX;
	d = ns >= px->runq_ns ? (ns - px->runq_ns) / 1000 : 0;
	px->runq_ns = ns;
	return d;
}

static void
lag_arm(struct proxyd *px, uint64_t now)
{
	struct timeval tv = { 0, LOOPLAG_PERIOD_MS * 1000 };

	px->lag_due_us = now + (uint64_t)LOOPLAG_PERIOD_MS * 1000;
	(void)evtimer_add(px->lag_ev, &tv);
}

/*
 * The loop's lag probe: a timer every LOOPLAG_PERIOD_MS that records how
 * late it fired, and how long the kernel kept us waiting for a CPU
 * meanwhile (lib/looplag.h).  A one-shot timer re-armed from now, so a
 * long stall is one late sample, not a burst of catch-up ones.
 */
static void
lag_cb(evutil_socket_t fd, short what, void *arg)
{
	struct proxyd *px = arg;
	uint64_t now = now_us();

	(void)fd;
	(void)what;
	looplag_sample(&px->lag, now, now > px->lag_due_us ? now -
	    px->lag_due_us : 0, runq_delta(px));
	lag_arm(px, now);
}

static void
lag_start(struct proxyd *px)
{
	px->schedstat_fd = open("/proc/self/schedstat", O_RDONLY | O_CLOEXEC);
	if (px->schedstat_fd == -1)
		log_debug("cannot open /proc/self/schedstat (%s): the loop's "
		    "run-queue wait is not known", strerror(errno));
	(void)runq_delta(px);		/* the baseline */
	if ((px->lag_ev = evtimer_new(px->base, lag_cb, px)) == NULL)
		fatalx("out of memory");
	lag_arm(px, now_us());
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct proxyd *px = arg;

	(void)what;
	if (sig == SIGHUP) {
		struct reload_result r;

		/* reload_run() logs the changes, or why it refused */
		log_info("SIGHUP: reloading '%s'", px->conf_path);
		(void)reload_run(px, &r);
		reload_result_release(&r);
		link_resolve_all(px);
		(void)peer_reload_crl(px);
		return;
	}
	/*
	 * At once: no further callback of this turn runs (a slice of checks,
	 * a route computation), and px->stopping keeps the engines from
	 * starting new work on the way out (topology.c).
	 */
	log_info("signal %d: shutting down", (int)sig);
	px->stopping = true;
	px->stop_us = now_us();
	event_base_loopbreak(px->base);
}

/*
 * The pid file: opened (created, emptied) before the privilege drop, as
 * root may be needed for its directory, and written once the pid is the
 * final one (after daemon()).  Removed at exit if the user may; a stale
 * one is simply overwritten by the next start.
 */
static int	pid_fd = -1;

static int
pidfile_open(const struct conf *c)
{
	if (c->pidfile == NULL)
		return 0;
	pid_fd = open(c->pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644);
	if (pid_fd == -1) {
		log_warn("cannot open pid file '%s' ('pidfile')", c->pidfile);
		return -1;
	}
	return 0;
}

static void
pidfile_write(const struct conf *c)
{
	if (pid_fd == -1)
		return;
	if (dprintf(pid_fd, "%ld\n", (long)getpid()) < 0)
		log_warn("cannot write pid file '%s'", c->pidfile);
	close(pid_fd);
	pid_fd = -1;
}

static void
pidfile_remove(const struct conf *c)
{
	if (c == NULL || c->pidfile == NULL)
		return;
	if (unlink(c->pidfile) == -1 && errno != ENOENT)
		log_debug("cannot remove pid file '%s': %s", c->pidfile,
		    strerror(errno));
}

/*
 * Detaches.  When the log has to stay on stderr (no syslog socket), stderr
 * is kept and only stdin and stdout go to /dev/null.
 */
static void
detach(void)
{
	int fd;

	if (!log_to_stderr()) {
		if (daemon(0, 0) == -1)
			fatal("cannot detach");
		return;
	}
	if (daemon(0, 1) == -1)
		fatal("cannot detach");
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		(void)dup2(fd, STDIN_FILENO);
		(void)dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
}

/* tls_check_own()'s findings, before the log is set up: on stderr. */
static void
tls_report(void *arg, bool warning, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s%s\n", warning ? "warning: " : "", msg);
}

static int
check_config(const char *path, bool verbose, struct conf **out)
{
	struct conf_errs errs = { 0 };
	char msg[512];

	if (conf_load_file(path, out, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msgs[i]);
		conf_errs_release(&errs);
		return -1;
	}
	for (size_t i = 0; i < errs.n; i++)	/* warnings only */
		fprintf(stderr, "%s\n", errs.msgs[i]);
	conf_errs_release(&errs);
	/* what lib/conf.c cannot know: whether 'user' exists here, and
	   what the certificate file says */
	if (privs_check(*out, msg, sizeof(msg)) == -1) {
		fprintf(stderr, "%s\n", msg);
		conf_free(*out);
		*out = NULL;
		return -1;
	}
	if (tls_check_own(*out, time(NULL), tls_report, NULL) == -1) {
		conf_free(*out);
		*out = NULL;
		return -1;
	}
	if (tls_check_crl(*out, msg, sizeof(msg)) == -1) {
		fprintf(stderr, "%s\n", msg);
		conf_free(*out);
		*out = NULL;
		return -1;
	}
	if (verbose)
		conf_print(*out, stdout);
	return 0;
}

int
main(int argc, char *argv[])
{
	static struct proxyd px_store;
	struct proxyd *px = &px_store;
	const char *conf_path = DEFAULT_CONF;
	bool foreground = false, test = false;
	int verbose = 0, ch, rc = 1;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	uint64_t t_links = 0, t_tun = 0, t_state = 0, cpu_stop = 0;

	while ((ch = getopt(argc, argv, "c:fhtvV")) != -1) {
		switch (ch) {
		case 'c':
			conf_path = optarg;
			break;
		case 'f':
			foreground = true;
			break;
		case 't':
			test = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("proxyd %s\n", PROXYD_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(1);
		}
	}
	if (optind != argc)
		usage(1);
	if (check_config(conf_path, test && verbose, &px->conf) == -1)
		return 1;
	if (test)
		return 0;

	log_init(foreground, verbose ? LOG_LVL_DEBUG : px->conf->log_level,
	    "proxyd");
	signal(SIGPIPE, SIG_IGN);
	/* daemon(3) moves to /: a reload must still find the file */
	{
		static char abs_path[PATH_MAX];

		if (realpath(conf_path, abs_path) != NULL)
			conf_path = abs_path;
	}
	px->conf_path = conf_path;
	px->log_forced = verbose > 0;
	for (int i = 0; i < PSOCK_LISTEN; i++)
		px->socks[i].fd = px->socks6[i].fd = -1;
	px->schedstat_fd = -1;
	px->start_us = now_us();
	if ((px->base = event_base_new()) == NULL)
		fatalx("cannot create event base");
	dns_open(px);
	if ((px->ssl_ctx = tls_ctx_new(px->conf)) == NULL)
		goto out;
	tls_note_own(px);
	(void)tls_files_digest(px->conf, px->tls_digest);
	{
		char err[512];

		if ((px->lsa_key = lsasig_key_load(px->conf->tls_cert,
		    px->conf->tls_key, err, sizeof(err))) == NULL ||
		    (px->lsa_verifier = lsasig_verifier_load(px->conf->tls_ca,
		    px->conf->tls_require_prefixes, err, sizeof(err))) ==
		    NULL) {
			log_warnx("cannot set up signed advertisements: %s",
			    err);
			goto out;
		}
	}
	if ((px->flows = flow_table_new(FLOWS_MAX)) == NULL)
		fatalx("out of memory");
	route_table_init(&px->routes);
	/* conf_load() refused overlaps and more aliases than fit */
	if (netmap_load(&px->netmap, px->conf->prefixes,
	    px->conf->n_prefixes) == -1)
		fatalx("cannot load the prefix aliases");
	for (size_t i = 0; i < px->conf->n_prefixes; i++) {
		const struct conf_prefix *p = &px->conf->prefixes[i];
		char r[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN];

		if (!p->has_alias)
			continue;
		log_info("prefix %s/%u is known to the network as %s/%u",
		    inet_ntop(AF_INET, &p->addr, r, sizeof(r)), p->plen,
		    inet_ntop(AF_INET, &p->alias, a, sizeof(a)), p->plen);
	}
	px->tcp_tp = &stream_tp;
	if (listen_open(px) == -1 || stream_listen(px) == -1)
		goto out;
	if (px->conf->has_tun && (px->tun = tun_open(px, px->conf->tun_name,
	    px->conf->tun_mtu, peer_tun_input)) == NULL)
		goto out;
	if ((px->control = control_open(px, px->conf->control)) == NULL)
		goto out;
	if (px->conf->has_metrics && (px->metrics = metrics_open(px,
	    px->conf->metrics_addr, px->conf->metrics_port)) == NULL)
		goto out;
	if (txq_init(px) == -1 || peer_init(px) == -1)
		fatalx("out of memory");
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		px->sigs[i] = evsignal_new(px->base, sigs[i], signal_cb, px);
		if (px->sigs[i] == NULL || event_add(px->sigs[i], NULL) == -1)
			fatalx("cannot install signal handlers");
	}
	{
		struct timeval one = { 1, 0 };

		px->tick = event_new(px->base, -1, EV_PERSIST, tick_cb, px);
		if (px->tick == NULL || event_add(px->tick, &one) == -1)
			fatalx("cannot start the timer");
	}
	/*
	 * Every step that needs root is behind us: keys read, TUN opened,
	 * sockets bound (with forced buffers), control socket made.  Drop
	 * before detaching so that a failed drop still fails the start.
	 */
	if (pidfile_open(px->conf) == -1)
		goto out;
	privs_drop(px);
	if (!foreground)
		detach();
	pidfile_write(px->conf);
	log_info("proxyd %s '%s' started with %zu neighbour(s), %zu prefix(es)",
	    PROXYD_VERSION, px->conf->name, px->conf->n_neighbours,
	    px->conf->n_prefixes);
	lag_start(px);
	link_tick(px);		/* first attempts now, not in a second */
	event_base_dispatch(px->base);
	rc = 0;
	if (px->stop_us == 0)
		px->stop_us = now_us();
	cpu_stop = cpu_now_us();
	peer_shutdown(px);
	t_links = now_us();
out:
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (px->sigs[i] != NULL)
			event_free(px->sigs[i]);
	if (px->tick != NULL)
		event_free(px->tick);
	if (px->lag_ev != NULL)
		event_free(px->lag_ev);
	if (px->schedstat_fd != -1)
		close(px->schedstat_fd);
	metrics_close(px->metrics);
	control_close(px->control);
	t_tun = now_us();
	tun_close(px->tun);
	t_tun = now_us() - t_tun;
	for (int i = 0; i < PSOCK_LISTEN; i++) {
		psock_close(&px->socks[i]);
		psock_close(&px->socks6[i]);
	}
	route_table_release(&px->routes);
	flow_table_free(px->flows);
	t_state = now_us();
	peer_free(px);
	stream_close(px);
	txq_free(px);
	SSL_CTX_free(px->ssl_ctx);
	lsasig_key_free(px->lsa_key);
	if (!px->stopping || PROXYD_FREE_AT_EXIT)	/* see proxyd.h */
		lsasig_verifier_free(px->lsa_verifier);
	t_state = now_us() - t_state;
	dns_close(px);
	if (rc == 0) {
		uint64_t t = now_us();

		/* where a slow stop went (bench_flood.sh reads it) */
		log_info("stopped in %.1f ms (links told %.1f ms, TUN and its "
		    "routes %.1f ms, tables and caches freed %.1f ms, the "
		    "rest %.1f ms; CPU %.1f ms)", (double)(t - px->stop_us) /
		    1000, (double)(t_links - px->stop_us) / 1000,
		    (double)t_tun / 1000, (double)t_state / 1000, (double)(t -
		    t_links - t_tun - t_state) / 1000, (double)(cpu_now_us() -
		    cpu_stop) / 1000);
		pidfile_remove(px->conf);
	}
	else if (pid_fd != -1)
		close(pid_fd);
	conf_free(px->conf);
	event_base_free(px->base);
	if (rc != 0)
		log_warnx("proxyd '%s' could not start", px->conf_path);
	return rc;
}
