/* SPDX-License-Identifier: ISC */
/*
 * Links: the transport.  One authenticated UDP association per neighbour
 * over the shared listen socket.  A link is set up by a DTLS handshake
 * (certificates from the network's CA), after which every packet is
 * sealed with AES-GCM under keys exported from that handshake and checked
 * against a replay window.  Keepalives hold NAT mappings open and measure
 * RTT; a link silent for its dead time is closed, and a configured one is
 * retried with exponential backoff.
 *
 * The link knows no engine.  It reports upward only through the events
 * given at link_init(): up, down (with the reason), a message of a type
 * it does not handle itself (everything but keepalives and goodbyes), and
 * a datagram it cannot authenticate (probe and punch nonces).  Every
 * teardown goes through link_close().
 */
#ifndef PROXYD_LINK_H
#define PROXYD_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

#include <openssl/ssl.h>

#include "crypto.h"
#include "hc.h"
#include "pkt.h"
#include "proxyd.h"
#include "tls.h"

#define LINK_HS_TIMEOUT_S	10	/* a handshake must finish within */
#define LINK_HS_MAX		64	/* inbound handshakes at once */
#define LINK_HS_PER_SOURCE	8	/* ... from one address */
#define LINK_HS_RECORD_MAX	2048	/* one DTLS record write */
#define LINK_COOKIE_ROTATE_S	120	/* a new handshake cookie key */
#define LINK_DEAD_MIN_S		15	/* dead after max(3 intervals, this) */
#define LINK_BACKOFF_MAX_S	60
#define LINK_RESOLVE_S		300	/* neighbour host names looked up again */
#define LINK_RACE_MS		250	/* IPv6 head start over IPv4 (RFC 8305) */
/*
 * Path MTU between neighbours, as the IPv4 size of a datagram that gets
 * through: assumed LINK_PMTU_MIN until measured, then the largest of
 * LINK_PMTU_SIZES the peer acknowledged, measured at link up, again after
 * LINK_PMTU_EARLY_S for LINK_PMTU_EARLY rounds, then every LINK_PMTU_EVERY_S.
 * DATA that would not fit is split (PKT_MSG_FRAG), never IP-fragmented.
 */
#define LINK_PMTU_MIN		1280
#define LINK_PMTU_SIZES		1500, 1492, 1480, 1460, 1440, 1420, 1400, \
				1380, 1360, 1340, 1320, 1300
#define LINK_PMTU_EARLY		3
#define LINK_PMTU_EARLY_S	2
#define LINK_PMTU_EVERY_S	60
#define LINK_UDP_IP_LEN		28	/* IPv4 and UDP headers */
/* what a sealed datagram adds to its message: headers, seal, tag */
#define LINK_DGRAM_OVERHEAD	(LINK_UDP_IP_LEN + PKT_SEALED_HDR_LEN + \
				    PKT_TAG_LEN)
#define LINK_CLONE_WINDOW_S	600	/* a replaced address back within: clone */
#define LINK_CLONE_HOLD_S	300	/* then the other address is refused */
#define LINK_CLONES_MAX		32	/* names whose takeovers are tracked */
/*
 * Rekey: an up link makes new keys with a new DTLS handshake beside its
 * session (make-before-break), carried sealed in PKT_MSG_REKEY messages
 * over the session it replaces, so it needs no cookie, socket or address
 * of its own and works over any transport the session does.  Due after
 * 'rekey.time' since the keys were made, once LINK_REKEY_PACKETS were
 * sealed under them, or at once after link_rekey_all() (a reload that
 * changed the TLS files).  The side that dialled the link starts it; the
 * other only if it is LINK_REKEY_FALLBACK_S overdue, or for volume; when
 * both start at once the dialling side's goes on and the other gives
 * way.  The handshake verifies the peer's certificate against the CA and
 * CRL in force now, so a reload or a new CRL applies to every link at its
 * next rekey; a certificate refused there closes the link.
 *
 * The switch: the DTLS server has its keys first and opens the new
 * session at once, but seals on the old one until the first packet on the
 * new session proves the client has switched; the client switches when its
 * handshake ends (the server's Finished proves the server holds the keys)
 * and sends a keepalive on the new session at once.  The old keys, with
 * their own replay window, keep opening packets for LINK_REKEY_GRACE_S, so
 * packets in flight across the switch are neither lost nor refused.  A
 * rekey that fails for any reason but the certificate is dropped (the
 * session goes on) and retried after LINK_REKEY_RETRY_S.  Nothing is ever
 * sealed beyond LINK_SEAL_MAX packets on one key: the link closes instead.
 */
#define LINK_REKEY_PACKETS	(1ULL << 31)	/* sealed on a key: rekey */
#define LINK_SEAL_MAX		((1ULL << 32) - 1)	/* ... never more */
#define LINK_REKEY_GRACE_S	10	/* old keys open packets this long */
#define LINK_REKEY_RETRY_S	10	/* after a failed rekey */
#define LINK_REKEY_FALLBACK_S	15	/* the answering side starts late */
#define LINK_REKEY_MIN_MS	500	/* peer-started rekeys at most one per */

/*
 * Transports.  A link runs over UDP (DTLS handshake, one datagram per
 * packet, on the shared listen socket) or over TCP (TLS 1.3, the same
 * packets length-prefixed on the stream, stream.c).  The state machine
 * here is the same for both: the transport only dials, sends a packet and
 * releases its state.  A neighbour's transport "auto" tries UDP, and TCP
 * when no UDP handshake completed within LINK_AUTO_TCP_S (the neighbour
 * must have a tcp_port); while on TCP the initiator tries UDP again beside
 * the up link every LINK_UDP_RETRY_MIN_S, doubling to LINK_UDP_RETRY_MAX_S,
 * and a UDP link that comes up takes the TCP link's place without a down
 * event (make-before-break: link_move()).  The reverse move, a TCP link
 * coming up beside an up UDP one from the same address, works alike.
 */
/*
 * Family upgrade: Happy Eyeballs goes on after the race.  When a configured
 * neighbour's name has addresses of both families and its link came up
 * over IPv4 (the IPv6 handshake was slower than LINK_RACE_MS, or IPv6 was
 * broken), the IPv6 handshake still running then is let finish beside the
 * up link, and the dialling side tries IPv6 again beside it
 * LINK_V6_RETRY_MIN_S after each failed try, the wait doubling to
 * LINK_V6_RETRY_MAX_S (one try at a time, each failure counted).  Two
 * links of one race that both come up (same certificate, the second
 * dialled before the first was up) end on IPv6 on both ends, whichever
 * completes first on each.  An IPv6 link that comes up takes the IPv4
 * link's place make-before-break (link_move(), as a UDP link takes a TCP
 * link's): no down or up event, the engines keep the same link, and the
 * IPv4 keys open packets in flight for LINK_REKEY_GRACE_S more, as after a
 * rekey.  The answering side tells that new link from a restarted or
 * cloned peer because the dialling side announces the new session first,
 * sealed on the link it is to replace (PKT_MSG_MOVE, valid for
 * LINK_HS_TIMEOUT_S), and the new link must present the same certificate.
 */
#define LINK_V6_RETRY_MIN_S	5	/* on IPv4: IPv6 again after, doubling */
#define LINK_V6_RETRY_MAX_S	300	/* ... up to */

enum link_transport {
	LINK_TP_UDP,
	LINK_TP_TCP,
};

#define LINK_AUTO_TCP_S		3	/* auto: TCP after this without UDP */
#define LINK_UDP_RETRY_MIN_S	5	/* on TCP: UDP again after, doubling */
#define LINK_UDP_RETRY_MAX_S	20	/* ... up to */
#define LINK_TCP_COST_EXTRA	500	/* topology cost added to a TCP link */
					/* (tenths of ms: as 50 ms more RTT) */
#define LINK_STREAM_PMTU	65535	/* a stream does not split packets */

struct link;

struct link_tp {
	const char		*name;		/* "udp", "tcp" */
	enum link_transport	 kind;
	/* Starts an outbound handshake to l->peer; 0, or -1 (not started). */
	int	(*dial)(struct link *);
	/*
	 * Sends one packet (the bytes a datagram would carry); bulk: a DATA
	 * packet, which a stream drops first when its queue is full.  0/-1.
	 */
	int	(*send)(struct link *, const uint8_t *, size_t, bool bulk);
	/*
	 * Releases l's transport state: at close, or (linger) when another
	 * transport took over, where a stream stays open a moment, unread.
	 */
	void	(*release)(struct link *, bool linger);
	/* The transport state of from now belongs to to (link_move()). */
	void	(*rebind)(struct link *to, struct link *from);
};

enum link_state {
	LINK_IDLE,		/* configured, waiting for the next attempt */
	LINK_HANDSHAKE,
	LINK_UP,
};

struct link;
struct link_lookup;

/* A rekey in progress (ssl != NULL): the next session's handshake. */
struct link_rekey {
	SSL			*ssl;
	struct tls_io		 io;
	uint32_t		 session;	/* the next session */
	bool			 ours;		/* we started it (DTLS client) */
	bool			 ready;		/* server: keys made, waiting */
						/* for the client's switch */
	struct aead		 aead;		/* once ready */
	struct replay		 replay;
	uint64_t		 start_us;
};

/* The keys a rekey replaced (session != 0): they open, never seal. */
struct link_oldkey {
	uint32_t		 session;
	struct aead		 aead;
	struct replay		 replay;
	uint64_t		 until_us;
};
struct probe_link;

/*
 * Two live proxies with one name (a cloned appliance: same certificate and
 * key, two incarnations).  A link that comes up for a name we hold an up
 * link to from another address takes over at once, as a restarted proxy's
 * must: the address replaced is noted.  If a link from that replaced
 * address comes up again within LINK_CLONE_WINDOW_S while the newer one is
 * still up, both incarnations are alive: detected (logged with both
 * addresses, counted), the established link is kept and the other address
 * refused for LINK_CLONE_HOLD_S, as long as the kept link stays up (each
 * refusal counted and logged at the 1st, 2nd, 4th ...; the refused proxy is
 * told with a CLOSE "replaced" and backs off), so the two never knock each
 * other's links over in a loop.
 */
struct link_clone {
	char			name[PKT_NAME_MAX + 1];	/* "": unused */
	struct ep		replaced;	/* the address last taken over */
	uint64_t		replaced_us;
	uint64_t		seen_us;	/* last change: the oldest is reused */
	struct ep		kept, other;	/* at the last detection */
	uint64_t		detected_us;	/* 0: never */
	uint64_t		hold_until_us;
	unsigned		detections, refused;
};

/* How a link reports to the engines above it (peer.c gives these). */
struct link_events {
	/* The handshake completed and the keys are set. */
	void	(*up)(struct link *);
	/* An up link is going down (still named, no longer up). */
	void	(*down)(struct link *, const char *reason);
	/* A decoded message of a type the link does not handle itself. */
	void	(*msg)(struct link *, struct pkt_msg *, struct psock *in,
		    const struct ep *from);
	/* An unauthenticated PKT_PROBE or PKT_PUNCH datagram. */
	void	(*unauth)(struct proxyd *, uint8_t type, uint64_t nonce,
		    const struct ep *from);
	/*
	 * An up link moved to another transport or address family
	 * (optional; no down/up).
	 */
	void	(*moved)(struct link *);
};

struct link {
	struct link		*next;
	struct proxyd		*px;
	char			 name[PKT_NAME_MAX + 1];	/* "" until known */
	const struct conf_neighbour *nbr;	/* configured; NULL if inbound */
	struct conf_neighbour	*learned_nbr;	/* owned, if learned */
	bool			 initiator;
	bool			 hs_counted;	/* in px->n_handshakes */
	bool			 ephemeral;	/* freed on close, never retried */
	enum link_state		 state;
	struct ep		 peer;		/* address as seen */
	bool			 resolved;
	bool			 named;		/* nbr->host is a DNS name */
	bool			 following;	/* dialled beside an up link to */
						/* the name's new address */
	struct ep		 dns_addr;	/* the name's latest answer */
	struct ep		 alt_peer;	/* its other family's answer */
	struct event		*race_timer;	/* dials alt_peer beside us */
	struct link_lookup	*lookup;	/* in flight, or NULL */
	uint64_t		 lookup_us;	/* next periodic lookup */
	uint32_t		 session;
	SSL			*ssl;		/* during and just after handshake */
	X509			*peer_cert;	/* while up: the peer's (revoke.c) */
	struct tls_io		 io;
	uint8_t			 cookie[PKT_COOKIE_LEN];	/* responder's */
	bool			 has_cookie;
	uint8_t			 hs_last[LINK_HS_RECORD_MAX];	/* initiator */
	size_t			 hs_last_len;
	struct event		*hs_timer;
	uint64_t		 hs_start_us;
	struct aead		 aead;
	struct replay		 replay;
	uint64_t		 tx_seq;
	uint64_t		 last_rx_us, last_ka_us;
	uint64_t		 up_us, next_try_us;
	int			 backoff_s;
	unsigned		 reconnects;
	unsigned		 refusals;	/* refused as a clone in a row */
	double			 rtt_ms;	/* < 0 until measured */
	uint16_t		 adv_cost;	/* last advertised; 0: none */
	int			 ka_interval_s;	/* link_set_keepalive() */
	int			 dead_s;	/* 0: from the interval */
	uint32_t		 ka_id;
	uint64_t		 rx_packets, tx_packets;
	uint64_t		 rx_bytes, tx_bytes;	/* sealed datagrams */
	uint16_t		 pmtu;		/* datagram size that gets through */
	uint16_t		 pmtu_best;	/* largest acked this round */
	uint32_t		 pmtu_round;	/* id of the probes out */
	uint64_t		 pmtu_next_us;	/* next round */
	uint32_t		 frag_id;	/* last split message's id */
	/* header compression (lib/hc.h), both ways; reset with the session */
	struct hc_table		 hc_tx, hc_rx;
	uint8_t			 peer_feat;	/* PKT_FEAT_* the peer sent */
	bool			 feat_heard;	/* the peer has heard ours */
	uint8_t			 feat_sent;	/* ours sent since link up */
	uint32_t		 frag_sess;	/* pieces joined under: the */
						/* session at link up */
	struct link_rekey	 rk;
	struct link_oldkey	 old;
	uint64_t		 key_us;	/* the keys in use were made */
	uint64_t		 rekey_after_us; /* no rekey of ours before */
	uint64_t		 peer_rekey_us;	/* the peer last started one */
	bool			 rekey_now;	/* TLS files changed: rekey */
	bool			 exhausted;	/* LINK_SEAL_MAX: close */
	unsigned		 rekeys;	/* key switches on this link */
	time_t			 peer_not_after; /* the peer certificate's */
	char			 last_error[400];	/* why it last failed */
	struct probe_link	*probe;		/* probe.c's; opaque here */
	/* transport */
	const struct link_tp	*tp;		/* how it is (being) carried */
	void			*tp_state;	/* the transport's (stream.c) */
	bool			 udp_failed;	/* auto: no UDP handshake; TCP */
	bool			 moving;	/* a UDP try beside an up TCP */
						/* link: freed if it fails */
	int			 udp_retry_s;	/* on TCP: next UDP try after */
	uint64_t		 udp_retry_us;
	unsigned		 moves;		/* transport changes while up */
	/* family upgrade (see LINK_V6_RETRY_MIN_S) */
	bool			 v6_try;	/* an IPv6 try beside an up */
						/* IPv4 link (also moving) */
	int			 v6_retry_s;	/* on IPv4: next IPv6 try after */
	uint64_t		 v6_retry_us;
	unsigned		 v6_failed;	/* tries failed since link up */
	unsigned		 upgrades;	/* IPv4 -> IPv6 moves while up */
	uint32_t		 move_session;	/* the peer announced: the link */
	uint64_t		 move_until_us;	/* with it replaces this one */
};

/*
 * Creates an idle link per configured neighbour; links report through ev
 * (kept, not copied).  0 or -1.
 *
 * A neighbour's host is an IPv4 literal, used as it is, or a DNS name,
 * looked up with evdns on px->dns (never blocking the loop): before the
 * first attempt (the link stays idle, and retries with its backoff, until
 * an answer comes), every LINK_RESOLVE_S, after the link fails, and on
 * link_resolve_all().  A changed address is logged and followed: an idle
 * link dials it next, a handshake restarts there, and beside an up link a
 * second link is dialled there, which takes over once it is up (the up
 * link stays if it fails).  A failed lookup keeps the last address.
 */
int	 link_init(struct proxyd *, const struct link_events *ev);
/*
 * For a reload (reload.c).  link_add() makes the idle link of configured
 * neighbour nbr (kept, not copied: it must outlive the link), to be dialled
 * at once; NULL if out of memory.  link_renbr() points the links of
 * neighbour was at now (the same neighbour in a new configuration).
 * link_unconfigure() closes and frees every link configured as nbr (an up
 * one reports down with reason).
 */
struct link *link_add(struct proxyd *, const struct conf_neighbour *nbr);
void	 link_renbr(struct proxyd *, const struct conf_neighbour *was,
	    const struct conf_neighbour *now);
void	 link_unconfigure(struct proxyd *, const struct conf_neighbour *nbr,
	    const char *reason);
/*
 * Every up link rekeys at once, in the background (see above): after a
 * reload that changed the certificate, key, CA or CRL files.  A rekey of
 * ours in progress starts again with the new files.  The number of links.
 */
unsigned link_rekey_all(struct proxyd *);
/* Starts a rekey of up link l now, unless one runs (tests, reload). */
void	 link_rekey(struct link *);
/* Looks every neighbour's DNS name up again within a second (SIGHUP). */
void	 link_resolve_all(struct proxyd *);
/* The input callback of every UDP socket (psock_env.input). */
void	 link_datagram(void *px, struct psock *in,
	    const struct ep *from, uint8_t *buf, size_t len);
/* Once a second: attempts, handshake deadlines, keepalives, dead links. */
void	 link_tick(struct proxyd *);
/* Sends a control message on an up link; 0 or -1. */
int	 link_send_msg(struct link *, const struct pkt_msg *);
/* The same, from socket via to address to (probes); 0 or -1. */
int	 link_send_msg_via(struct link *, const struct pkt_msg *,
	    struct psock *via, const struct ep *to);
/* "peer 'name' (addr:port)" for log lines. */
const char *link_who(const struct link *, char *buf, size_t len);
/*
 * Sends the IP packet at frame + PKT_DATA_HEADROOM (len bytes) as a DATA
 * message from origin (pkt_origin_id() of the proxy that took it from its
 * TUN: ours, or the one a relayed packet came with); frame must have room
 * for PKT_TAG_LEN bytes after the packet.  The frame is sealed in place.
 * 0 or -1.
 */
int	 link_send_data(struct link *, uint8_t *frame, size_t len, uint8_t ttl,
	    uint32_t origin);
/* The clone record of name if two proxies by that name were ever seen
   alive at once (detected_us != 0), else NULL. */
const struct link_clone *link_clone_of(const struct proxyd *,
	    const char *name);
/* The up link to neighbour name, or NULL. */
struct link *link_find(struct proxyd *, const char *name);
/*
 * Adds an idle link to the proxy name at addr:port, learned rather than
 * configured (from the topology, or for a direct channel), to be dialled
 * on the next tick.  The link, or NULL (out of memory).
 */
struct link *link_learn(struct proxyd *, const char *name,
	    const struct ep *ep);
/* Closes and frees a learned link. */
void	 link_forget(struct link *);
/*
 * Dials a hole-punched link to proxy name at ep now, unless a link to it
 * exists already.  It is freed, not retried, when it fails or closes.
 */
void	 link_dial_once(struct proxyd *, const char *name,
	    const struct ep *ep);
/* Drops a link made by link_dial_once() to name that is not up yet. */
void	 link_abort_dial(struct proxyd *, const char *name);
/*
 * Closes a link: a configured one goes back to idle and is retried after
 * its backoff; any other is freed.  An up link reports down first.
 */
void	 link_close(struct link *, const char *reason);
/* Closes every link, telling up neighbours goodbye, and frees them. */
void	 link_shutdown(struct proxyd *);
const char *link_state_name(const struct link *);
/* Seconds a link may be silent before it is declared dead. */
int	 link_dead_after(const struct link *);
/*
 * The keepalive interval (seconds) and, if dead_s > 0, a fixed dead time
 * instead of max(3 intervals, LINK_DEAD_MIN_S).
 */
void	 link_set_keepalive(struct link *, int interval_s, int dead_s);
/* "udp" or "tcp": the transport carrying (or dialling) the link. */
const char *link_transport_name(const struct link *);
/* Whether datagrams reach the link's peer at l->peer (UDP links). */
bool	 link_datagrams(const struct link *);
/* What the topology adds to the link's cost for its transport. */
unsigned link_cost_extra(const struct link *);
/*
 * Whether this proxy's UDP looks blocked: some configured neighbour with
 * transport auto is linked over TCP after its UDP handshakes failed, and
 * no link of ours is up over UDP.  Direct channels are not tried then.
 */
bool	 link_udp_blocked(const struct proxyd *);

/*
 * For the TCP transport (stream.c).  link_stream_accept(): a connection
 * from from was accepted: a new inbound link in its handshake, or NULL
 * (over the handshake limits, counted, or out of memory).  link_stream_up():
 * the TLS handshake of l completed (ssl: its SSL, still the stream's).
 * link_stream_fail(): it failed (OpenSSL's error code, SSL_get_error()).
 * link_frame_input(): one frame of l's stream (writable).  Each may close
 * l, which releases the stream.
 */
struct link *link_stream_accept(struct proxyd *,
	    const struct ep *from);
void	 link_stream_up(struct link *, SSL *);
void	 link_stream_fail(struct link *, SSL *, int err);
void	 link_frame_input(struct link *, uint8_t *buf, size_t len);

/*
 * Of two links to the same peer, whether l is the one to keep: the newer
 * when both were initiated by the same side, else the one the proxy with
 * the smaller name initiated (both ends decide alike).
 */
bool	 link_wins_over(const struct link *l, const struct link *m);

#endif
