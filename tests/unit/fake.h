/* SPDX-License-Identifier: ISC */
/*
 * This file owns the fake world the engine suites (conn, ping, probe,
 * topology, relay) run in: linked instead of proxyd/link.c, psock.c,
 * txq.c, tun.c, rtnl.c, proxyd.c and peer.c, it gives an engine a
 * struct proxyd without sockets, TUN or root, a clock the test moves,
 * links the test makes in the state it wants, and the answers of the
 * other engines (peer.h) the test sets.  Everything an engine sends down
 * is recorded and can be queried here.
 *
 * Life of a test:
 *
 *	px = fake_proxyd_new("b");		resets every record and answer
 *	l = fake_link_add(px, "a", LINK_UP, "198.51.100.1", 4790);
 *	fake_set_path("c", "c", 1, 10, NAT_TYPE_OPEN);
 *	... drive the engine (conn_init(px), conn_from_tun(...), ...) ...
 *	ck_assert_uint_eq(fake_sent_count(PKT_MSG_CONN_REQ), 1);
 *	fake_proxyd_free(px);			after the engine's own _free
 *
 * The fakes behave like the real functions where an engine could notice
 * (a message to a link that is not up is refused; link_close() reports
 * down and frees what the real one frees; link_find() sees only up links)
 * and are documented one by one below.  Nothing here touches a socket.
 * Links must come from fake_link_add(), link_learn() or link_dial_once()
 * (the fake frees them with its own allocation).
 *
 * Building a suite (Makefile.am): tests_unit_check_X_SOURCES =
 * proxyd/X.c tests/unit/fake.c tests/unit/fake.h tests/unit/check_X.c,
 * with ENGINE_CFLAGS (-I$(top_srcdir)/proxyd, libevent, OpenSSL, libconfig,
 * Check) and ENGINE_LDADD.  A fake clock in a global: keep Check's fork
 * mode, or call fake_proxyd_new() in each test (it resets everything).
 */
#ifndef TESTS_FAKE_H
#define TESTS_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "ipv4.h"
#include "link.h"
#include "nat.h"
#include "peer.h"
#include "pkt.h"
#include "proxyd.h"
#include "psock.h"
#include "rtplan.h"
#include "topo.h"

/* ---- The clock ------------------------------------------------------- */

/* now_us() returns this.  fake_proxyd_new() sets it to FAKE_T0_US. */
#define FAKE_T0_US	1000000000ULL	/* 1000 s: "now - 0" is never small */
extern uint64_t	fake_now_us;
/* Each now_us() call first advances the clock by this (0): slow work. */
extern uint64_t	fake_now_step_us;

void	fake_advance_us(uint64_t us);
void	fake_advance_ms(uint64_t ms);
void	fake_advance_s(uint64_t s);

/* ---- The daemon -------------------------------------------------------- */

/*
 * A struct proxyd named name, built by hand: a conf (listen 10.0.0.1:4790,
 * alt port 4791, ka_min 5, ka_max 120, has_tun false, tun_mtu 1500,
 * forward IKE|ESP|ICMP, no neighbours or prefixes), an event_base (never
 * run by the fake; a test may run it with EVLOOP_NONBLOCK), empty route
 * tables, no TUN, no links.  The primary listen socket looks open (a fake
 * fd, never a real one, local 10.0.0.1:4790); the others have fd -1.
 * sock_env points at px->sock_st and the base.
 *
 * Also resets the fake world: clock to FAKE_T0_US, every record, counter
 * and peer answer cleared.  Never NULL (aborts on OOM).
 */
struct proxyd	*fake_proxyd_new(const char *name);
/*
 * Frees px, its links (as they are, without link_close()), conf, base and
 * every record.  Free the engines' state (conn_free(), ...) first: their
 * events live on the base.  NULL does nothing.
 */
void		 fake_proxyd_free(struct proxyd *px);
/*
 * Makes listen socket kind (PSOCK_PRIMARY, _ALT_PORT, _ALT_ADDR) look open
 * at addr:port with a fake fd (fd -1 again if addr is NULL).
 */
void		 fake_listen(struct proxyd *px, enum psock_kind kind,
		    const char *addr, uint16_t port);
/*
 * Gives px a TUN (conf->has_tun set, px->tun a fake one named "pxy-fake"
 * with ifindex fake_tun_ifindex).  tun_send() then records packets.
 */
void		 fake_tun_attach(struct proxyd *px);
extern int	 fake_tun_ifindex;	/* tun_ifindex(); default 7 */

/* ---- Links --------------------------------------------------------------- */

/*
 * A link to proxy name in state st at addr:port, put first on px->links
 * as the real link_alloc() does.  It counts as a configured neighbour
 * (nbr set, owned by the fake): link_close() leaves it idle, like the real
 * one.  Set l->ephemeral for a dialled link that link_close() frees.  No
 * SSL, no timer; session non-zero, rtt_ms -1, ka_interval_s = ka_min.
 */
struct link	*fake_link_add(struct proxyd *px, const char *name,
		    enum link_state st, const char *addr, uint16_t port);
/* The link named name on px->links in any state, or NULL. */
struct link	*fake_link_named(struct proxyd *px, const char *name);
/* Number of links on px->links. */
size_t		 fake_link_count(const struct proxyd *px);

/* ---- What was sent --------------------------------------------------------- */

#define FAKE_ANY	(-1)	/* any message type */

/*
 * A control message that link_send_msg() or link_send_msg_via() accepted:
 * the link must be up and the message must encode (pkt_msg_encode()), as
 * for the real one; a refused one is counted in fake.n_send_refused and
 * not recorded.  msg is a copy of what the engine passed; wire_len the
 * encoded length.  link may be freed by now: link_name is a copy.
 */
struct fake_msg {
	struct link		*link;
	char			 link_name[PKT_NAME_MAX + 1];
	struct pkt_msg		 msg;
	size_t			 wire_len;
	bool			 via;		/* link_send_msg_via() */
	enum psock_kind		 via_kind;	/* its socket's kind */
	struct psock		*via_sock;	/* via: the socket (may be freed) */
	struct ep	 to;		/* via: the address; else link's */
};

/* Messages of type (enum pkt_msg_type, or FAKE_ANY) sent so far. */
size_t		 fake_sent_count(int type);
/* The i-th (from 0, in order) message of type, or NULL. */
const struct fake_msg *fake_sent_nth(int type, size_t i);
/* The latest message of type, or NULL. */
const struct fake_msg *fake_sent_last(int type);

/*
 * A DATA packet that link_send_data() accepted (link up): the IP packet
 * (a copy of frame + PKT_DATA_HEADROOM, len bytes) and the ttl.  batched:
 * the frame was txq's slot, so it also went to txq_commit() as the real
 * link does.  The fake writes the DATA type and ttl into the frame too.
 */
struct fake_data {
	struct link	*link;
	char		 link_name[PKT_NAME_MAX + 1];
	uint8_t		*ip;
	size_t		 len;
	uint32_t	 origin;	/* the origin id it was sent with */
	uint8_t		 ttl;
	bool		 batched;
};

size_t		 fake_data_count(void);
const struct fake_data *fake_data_nth(size_t i);
const struct fake_data *fake_data_last(void);

/*
 * A datagram psock_send() sent: on a socket that looks open (fd != -1);
 * on fd -1 it fails, as sendto() would, counted in fake.n_psock_fail and
 * in the socket's env stats (tx_fail) if it has an env.  Successes count
 * in env stats too (tx_packets, tx_bytes).  kind is the socket's kind.
 */
struct fake_dgram {
	enum psock_kind		 kind;
	uint8_t			*buf;
	size_t			 len;
	struct ep	 to;
};

size_t		 fake_dgram_count(void);
const struct fake_dgram *fake_dgram_nth(size_t i);
const struct fake_dgram *fake_dgram_last(void);

/* One rtnl_route() call. */
struct fake_route_call {
	bool		add;
	int		ifindex;
	struct in_addr	dst;
	uint8_t		plen;
	uint32_t	metric;
	bool		v6;		/* rtnl_route6(): dst6, not dst */
	struct in6_addr	dst6;
};

size_t		 fake_rtnl_count(void);
const struct fake_route_call *fake_rtnl_nth(size_t i);
extern int	 fake_rtnl_result;	/* rtnl_route() returns it; 0 */
extern uint64_t	 fake_rtnl_delay_us;	/* rtnl_route() advances the */
					/* clock by it (0): a slow kernel */
extern int	 fake_rtnl_errno;	/* and sets errno to this; EEXIST */
/* The host's routes of other protocols that rtnl_foreign() returns. */
#define FAKE_FOREIGN_MAX	16
extern struct rtplan_foreign fake_foreign[FAKE_FOREIGN_MAX];
extern size_t	 fake_n_foreign;
/* ... and the IPv6 ones that rtnl_foreign6() returns. */
extern struct rtplan_foreign6 fake_foreign6[FAKE_FOREIGN_MAX];
extern size_t	 fake_n_foreign6;
extern bool	 fake_psock_open_fails;	/* psock_open() returns -1 */

/*
 * Counters and last arguments of the other calls, cleared by
 * fake_proxyd_new() and fake_reset().  Strings are copies.
 */
struct fake_calls {
	/* link.h */
	unsigned		n_send_refused;	/* link not up / no encoding */
	unsigned		n_dial_once;	/* link_dial_once() calls */
	unsigned		n_dial_made;	/* ... that made a link */
	char			dial_name[PKT_NAME_MAX + 1];
	struct ep	dial_ep;
	unsigned		n_abort_dial;	/* link_abort_dial() calls */
	unsigned		n_abort_closed;	/* ... that closed a link */
	char			abort_name[PKT_NAME_MAX + 1];
	unsigned		n_learn;	/* link_learn() */
	char			learn_name[PKT_NAME_MAX + 1];
	struct ep	learn_ep;
	unsigned		n_forget;	/* link_forget() */
	char			forget_name[PKT_NAME_MAX + 1];
	unsigned		n_close;	/* link_close(), any caller */
	unsigned		n_down;		/* link_ev->down reported */
	char			close_name[PKT_NAME_MAX + 1];
	char			close_reason[PKT_REASON_MAX + 1];
	unsigned		n_keepalive;	/* link_set_keepalive() */
	const struct link	*ka_link;
	int			ka_interval_s, ka_dead_s;	/* as passed */
	/* psock.h */
	unsigned		n_psock_open, n_psock_close, n_psock_fail;
	enum psock_kind		open_kind;
	struct ep	open_addr;	/* as asked (port 0: any) */
	/* txq.h */
	unsigned		n_txq_commit, n_txq_flush;
	size_t			txq_len;
	struct ep	txq_to;
	/* tun.h */
	unsigned		n_tun_send, n_tun_flush;
	size_t			tun_len;
	uint8_t			tun_first[64];	/* the packet's first bytes */
	/* peer.h notices */
	unsigned		n_nat_changed;		/* peer_nat_changed() */
	unsigned		n_routes_changed;	/* peer_routes_changed() */
	/* peer_routes_catch_up(): calls; a computation waiting (cleared */
	/* when one runs); what it does then (NULL: nothing) */
	unsigned		n_catch_up;
	bool			routes_pending;
	void			(*on_catch_up)(struct proxyd *);
	unsigned		n_to_channel;		/* peer_to_channel() */
	char			to_channel_dest[PKT_NAME_MAX + 1];
	struct link		*to_channel_nh;
	size_t			to_channel_len;
	struct peer_flow	to_channel_flow;
};
extern struct fake_calls fake;

/* Clears every record and counter, the clock and the peer answers. */
void		 fake_reset(void);

/* ---- The other engines' answers (peer.h) ---------------------------------- */

/*
 * peer_path(px, dest): the path set here, or NULL.  dest's path goes
 * through next_hop with hops, cost and path_nat (the fake's own copy).
 */
void		 fake_set_path(const char *dest, const char *next_hop,
		    uint8_t hops, uint32_t cost, enum nat_type path_nat);
void		 fake_clear_path(const char *dest);
/*
 * peer_next_link(px, dest): the link set here for dest (NULL included)
 * if one was set; else, as topology_next_link(), link_find() of dest's
 * path's next hop, or NULL without a path.
 */
void		 fake_set_next_link(const char *dest, struct link *l);
/*
 * peer_topo_linked(px, a, b): what was set here for the pair (either
 * order), else fake_topo_linked_default (true after fake_reset(): every
 * link a suite does not mention is in the topology).
 */
void		 fake_set_topo_linked(const char *a, const char *b, bool);
extern bool	 fake_topo_linked_default;
/*
 * Per link (by pointer; forgotten when the fake frees the link):
 * peer_link_nat() and peer_own_nat() answer NAT_TYPE_UNKNOWN until set;
 * peer_own_mapped() false until set (addr "A.B.C.D"); peer_link_is_direct()
 * false until set.
 */
void		 fake_set_link_nat(const struct link *, enum nat_type);
void		 fake_set_own_nat(const struct link *, enum nat_type);
void		 fake_set_own_mapped(const struct link *, const char *addr,
		    uint16_t port);
void		 fake_set_direct(const struct link *, bool);

/* ---- Helpers ------------------------------------------------------------- */

/* "A.B.C.D" as an in_addr; aborts on a bad literal. */
struct in_addr	 fake_ip(const char *);
/* An AF_INET sockaddr for "A.B.C.D":port. */
struct ep fake_sin(const char *addr, uint16_t port);

/*
 * Timers on the fake clock.  Engines arm libevent timers that run on real
 * time; their callbacks read now_us(), so firing one early is only an
 * extra look.  fake_fire_timers() makes every pending timer of px's base
 * (fd -1 events) fire once, now, and runs the loop without blocking;
 * fake_timers_pending() counts them.
 */
void		 fake_fire_timers(struct proxyd *);
int		 fake_timers_pending(struct proxyd *);

/* What link_udp_blocked() answers (false unless a test sets it). */
extern bool fake_udp_blocked;

#endif
