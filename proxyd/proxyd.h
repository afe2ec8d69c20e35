/* SPDX-License-Identifier: ISC */
/*
 * The daemon's one context, passed explicitly to every module: the loaded
 * configuration, the event base, the UDP sockets, links, routes, flows, the
 * TUN, the control socket and each engine's state, the counters the CLI
 * shows, and the clock.
 */
#ifndef PROXYD_PROXYD_H
#define PROXYD_PROXYD_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <netinet/in.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "conf.h"
#include "psock.h"
#include "route.h"
#include "srcauth.h"
#include "flow.h"
#include "looplag.h"
#include "netmap.h"

#define PROXYD_VERSION	"0.1"

struct link;
struct link_clone;
struct tun;
struct control;
struct conn_pool;
struct txq;
struct probe_ctx;
struct link_events;
struct evdns_base;
struct frag_table;
struct kroute;
struct lsasig_key;
struct lsasig_verifier;
struct revoke;
struct lsaq;
struct stream_ctx;
struct link_tp;

/*
 * The sessions of the last LINK_CLOSED_MAX links closed stay known for
 * LINK_REKEY_GRACE_S (link.c): what the peer sealed before it heard of
 * the close is counted apart (drop_closed), not as a datagram for no
 * session.
 */
#define LINK_CLOSED_MAX		16

struct proxyd_stats {
	uint64_t	rx_packets, rx_bytes;	/* tx: struct psock_stats */
	uint64_t	drop_malformed;	/* undecodable datagrams or messages */
	uint64_t	drop_auth;	/* AEAD open failed: forged or stale key */
	uint64_t	drop_replay;
	uint64_t	drop_nosession;	/* sealed packet for no known link */
	uint64_t	drop_closed;	/* ... for a link closed just now */
	uint64_t	drop_policy;	/* forwarding policy said no */
	uint64_t	drop_noroute;
	uint64_t	drop_ttl;
	uint64_t	drop_source;	/* inner source not the origin's */
	uint64_t	drop_loop;	/* relayed: the route led back */
	uint64_t	drop_crl;	/* CRL messages refused */
	uint64_t	crl_adopted;	/* CRLs put in force */
	uint64_t	revoked_closed;	/* links closed: peer revoked */
	uint64_t	drop_hs_limit;	/* too many handshakes in progress */
	uint64_t	drop_cookie;	/* handshake with a bad or old cookie */
	uint64_t	hs_cookies;	/* cookies sent to unproven sources */
	uint64_t	link_races;	/* the other family dialled (RFC 8305) */
	uint64_t	drop_probe_limit; /* probe answers over the budget */
	uint64_t	drop_probe_target; /* probe target nobody observed */
	uint64_t	drop_punch_limit; /* direct attempts over the limit */
	uint64_t	drop_conn_origin; /* connection request on a path */
					  /* the topology does not hold */
	uint64_t	drop_conn_limit; /* requests over a requester's */
					 /* channel slots */
	uint64_t	auth_refused;	/* handshakes refused or failed */
	uint64_t	clones_detected; /* two live proxies with one name */
	uint64_t	clone_refused;	/* links refused as the other clone */
	uint64_t	rekeys;		/* key switches of links (link.c) */
	uint64_t	rekey_failed;	/* rekeys dropped: retried later */
	uint64_t	expired_closed;	/* links closed: peer cert expired */
	uint64_t	tun_rx, tun_tx;
	uint64_t	tun_gso;	/* GSO frames written to the TUN */
	uint64_t	tun_rx_gso;	/* super-packets read from the TUN */
	uint64_t	conn_requests;	/* connection requests we started */
	uint64_t	queued;		/* first packets that waited */
	uint64_t	drop_queue;	/* first packets the queue refused */
	uint64_t	drop_send;	/* frames the socket refused */
	uint64_t	drop_esp_nat;	/* raw ESP of a translated host */
	uint64_t	xlat_out, xlat_in;	/* packets translated (netmap) */
	uint64_t	frag_tx;	/* DATA split: pieces sent */
	/* header compression on links (lib/hc.h) */
	uint64_t	hc_tx;		/* packets sent with headers left out */
	uint64_t	hc_set_tx;	/* packets sent whole as a context */
	uint64_t	hc_rx;		/* packets received short, expanded */
	uint64_t	hc_set_rx;	/* contexts received */
	uint64_t	drop_hc_miss;	/* short, of a context not held */
	uint64_t	tcp_mss_clamped;	/* TCP SYNs whose MSS we lowered */
	uint64_t	drop_toobig;	/* DATA too large even split */
	uint64_t	ptb6_sent;	/* ICMPv6 Packet Too Big into the TUN */
	/* advertisements dropped before use (topology.c), by reason */
	uint64_t	lsa_unsigned;	/* no certificate or signature */
	uint64_t	lsa_bad_cert;	/* no chain to the network CA */
	uint64_t	lsa_forged;	/* signature or name does not match */
	uint64_t	lsa_rate;	/* origin over its rate (MinLSArrival) */
	uint64_t	lsa_full;	/* new origin, table at max_origins */
	uint64_t	lsa_refused_prefixes; /* claims outside the blocks */
	uint64_t	lsa_verified;	/* signatures checked and good */
	uint64_t	lsa_unchanged;	/* newer, same links: no routes run */
	/* the queue of ads waiting for their check (topology.c, lsaq.h) */
	uint64_t	lsa_queue;	/* waiting now (a gauge) */
	uint64_t	lsa_queue_peak;	/* most waiting at once */
	uint64_t	lsa_queue_dropped; /* lost to its bounds or aged out */
	uint64_t	lsa_queue_replaced; /* older copies a newer replaced */
	/* TCP links (stream.c) and transport changes (link.c) */
	uint64_t	tcp_accepted;	/* connections accepted */
	uint64_t	tcp_hs_limit;	/* refused: handshakes at the limit */
	uint64_t	tcp_hs_timeout;	/* handshakes over LINK_HS_TIMEOUT_S */
	uint64_t	tcp_malformed;	/* bad TLS or framing: closed */
	uint64_t	tcp_truncated;	/* closed mid-handshake or mid-frame */
	uint64_t	drop_tcp_queue;	/* packets over the send queue */
	uint64_t	udp_fallbacks;	/* auto links that went to TCP */
	uint64_t	link_moves;	/* up links moved between transports */
	uint64_t	family_upgrades; /* up links moved from IPv4 to IPv6 */
	uint64_t	family_upgrade_tries; /* IPv6 handshakes beside IPv4 */
	uint64_t	family_upgrade_failed; /* ... that did not come up */
};

struct proxyd {
	struct event_base	*base;
	struct evdns_base	*dns;		/* NULL: names do not resolve */
	unsigned		 dns_lookups;	/* link.c's, until their callback */
	const char		*conf_path;
	bool			 log_forced;	/* -v: a reload keeps debug */
	struct conf		*conf;
	SSL_CTX			*ssl_ctx;
	uint8_t			 tls_digest[32]; /* tls_files_digest() */
	time_t			 cert_not_after; /* ours; 0: not known */
	struct psock_env	 sock_env;	/* what every socket shares */
	struct psock_stats	 sock_st;
	struct psock		 socks[PSOCK_LISTEN];	/* IPv4; fd -1 if unused */
	struct psock		 socks6[PSOCK_LISTEN];	/* IPv6; fd -1 if unused */
	const struct link_events *link_ev;	/* how links report (peer.c) */
	struct link		*links;		/* list, see link.h */
	struct {				/* link.c: sessions of links */
		uint32_t	 session;	/* closed lately, for */
		uint64_t	 until_us;	/* LINK_REKEY_GRACE_S */
	}			 closed[LINK_CLOSED_MAX];
	unsigned		 closed_next;
	unsigned		 n_handshakes;	/* inbound, in progress */
	struct stream_ctx	*stream;	/* stream.c: TCP links */
	const struct link_tp	*tcp_tp;	/* stream.c's, given by main.c */
						/* (NULL: no TCP links) */
	struct link_clone	*clones;	/* link.c: LINK_CLONES_MAX */
	struct {
		uint8_t		 key[2][32];	/* current, previous */
		uint64_t	 since_us;
	}			 hs_cookie;		/* link.c */
	struct topo		*topo;		/* topology.c */
	struct lsasig_key	*lsa_key;	/* signs ours (NULL: unsigned) */
	struct lsasig_verifier	*lsa_verifier;	/* NULL: nothing is accepted */
	struct lsaq		*lsaq;		/* ads waiting for their check */
	struct event		*verify_ev;	/* drains it, a slice a turn */
	bool			 verify_pending;
	uint64_t		 lsaq_aged;	/* waited until they aged out */
	struct event		*recompute_ev;	/* routes after a burst */
	bool			 recompute_pending;
	uint64_t		 last_recompute_us;
	struct topo_path	*paths;		/* shortest paths, by SPF */
	size_t			 n_paths;
	size_t			 n_conflicts;	/* overlapping prefix claims */
	uint64_t		 last_originate_us;
	uint32_t		 flood_hold_ms;	/* now between our floods */
	uint64_t		 topo_grew_us;	/* a new origin last came */
	uint64_t		 refresh_us;	/* our next refresh after a flood */
	size_t			 n_draining;	/* links left out: peer ends */
	struct event		*originate_ev;	/* a held-back flood */
	bool			 originate_pending;
	struct conn_pool	*conn;		/* conn.c */
	struct probe_ctx	*probe;		/* probe.c */
	struct txq		*txq;		/* txq.c: send batch */
	struct frag_table	*frags;		/* link.c: split DATA joined */
	struct route_table	 routes;
	struct srcauth		 srcauth;	/* relay.c: inner sources */
	uint32_t		 self_id;	/* pkt_origin_id(conf->name) */
	struct revoke		*revoke;	/* revoke.c: CRL in force */
	struct kroute		*kroute;	/* kroute.c: routes on the TUN */
	struct flow_table	*flows;
	struct netmap		 netmap;	/* aliases of our prefixes */
	struct tun		*tun;
	struct control		*control;
	struct metrics		*metrics;	/* NULL: no 'metrics' key */
	struct event		*tick;
	struct event		*sigs[4];
	bool			 stopping;	/* TERM/INT: no more slices */
	uint64_t		 stop_us;	/* when it came */
	struct event		*lag_ev;	/* main.c: the loop's lag probe */
	uint64_t		 lag_due_us;	/* when it should fire */
	int			 schedstat_fd;	/* /proc/self/schedstat; -1 */
	uint64_t		 runq_ns;	/* its wait field, last read */
	struct looplag		 lag;		/* lag and timed work */
	uint64_t		 start_us;
	struct proxyd_stats	 st;
};

/*
 * Whether the exit frees the large tables (the topology database, the
 * certificate cache): a sanitizer build does, so its leak check and
 * use-after-free detection cover the teardown; a production build leaves
 * them to the kernel, which takes them back at once, where freeing 4,096
 * origins and their keys one by one took 20-40 ms of CPU (more than the
 * rest of the stop together).
 */
#if defined(__SANITIZE_ADDRESS__)
#define PROXYD_FREE_AT_EXIT	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PROXYD_FREE_AT_EXIT	1
#endif
#endif
#ifndef PROXYD_FREE_AT_EXIT
#define PROXYD_FREE_AT_EXIT	0
#endif

/* Monotonic microseconds (unit tests bring their own clock). */
uint64_t	now_us(void);

/* The thread's CPU time in microseconds (timed work: looplag.h). */
static inline uint64_t
cpu_now_us(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == -1)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* When a timed piece of work began: proxyd_work_begin(). */
struct proxyd_t0 {
	uint64_t	wall_us, cpu_us;
};

static inline struct proxyd_t0
proxyd_work_begin(void)
{
	return (struct proxyd_t0){ now_us(), cpu_now_us() };
}

/*
 * Records a piece of work of kind w that began at t0, its length and the
 * CPU it took, for the loop's health figures (lib/looplag.h: status and
 * metrics show them).  Wall time beyond the CPU time is time the kernel
 * gave the CPU to others meanwhile (or a system call slept).
 */
static inline void
proxyd_work(struct proxyd *px, enum looplag_work w, struct proxyd_t0 t0)
{
	uint64_t cpu = cpu_now_us();

	looplag_work(&px->lag, w, t0.wall_us, now_us(), cpu > t0.cpu_us ?
	    cpu - t0.cpu_us : 0);
}

/*
 * The listen socket of kind k for family (AF_INET, AF_INET6), or NULL if
 * none of that family was opened (its local address has no family then).
 */
static inline struct psock *
proxyd_sock(struct proxyd *px, int family, enum psock_kind k)
{
	struct psock *s;

	if ((unsigned)k >= PSOCK_LISTEN)
		return NULL;
	s = family == AF_INET6 ? &px->socks6[k] : &px->socks[k];
	return family != 0 && s->local.family == family ? s : NULL;
}

#endif
