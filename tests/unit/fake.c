/* SPDX-License-Identifier: ISC */
/*
 * The fake world of the engine suites: the clock (proxyd.c), the
 * transport (link.c, psock.c, txq.c), the TUN and routes (tun.c, rtnl.c)
 * and the dispatch's questions (peer.c), each a small recording stand-in.
 * See fake.h.  Test code: allocation failures abort.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "fake.h"
#include "log.h"
#include "peer.h"
#include "rtnl.h"
#include "tun.h"
#include "txq.h"

#define FAKE_FD		1000	/* "open" sockets: never a real fd */
#define FAKE_PER_LINK	64	/* links with peer answers set */
#define FAKE_PATHS	64	/* destinations with a path or next link */
#define FAKE_TOPO_LINKS	64	/* pairs with a peer_topo_linked() answer */

uint64_t	fake_now_us = FAKE_T0_US;
uint64_t	fake_now_step_us;
uint64_t	fake_rtnl_delay_us;
int		fake_tun_ifindex = 7;
int		fake_rtnl_result;
int		fake_rtnl_errno = EEXIST;
struct rtplan_foreign fake_foreign[FAKE_FOREIGN_MAX];
size_t		fake_n_foreign;
struct rtplan_foreign6 fake_foreign6[FAKE_FOREIGN_MAX];
size_t		fake_n_foreign6;
bool		fake_psock_open_fails;
struct fake_calls fake;
bool		fake_topo_linked_default = true;

static struct {
	char	a[PKT_NAME_MAX + 1], b[PKT_NAME_MAX + 1];
	bool	linked;
} topo_links[FAKE_TOPO_LINKS];
static size_t	n_topo_links;

/* One allocation per link: the link first, so free(l) frees it all. */
struct fake_link {
	struct link		l;
	struct conf_neighbour	nb;
	char			host[INET_ADDRSTRLEN];
};

struct tun {
	char	name[16];
};

static struct tun	fake_tun = { "pxy-fake" };

struct per_link {
	const struct link	*l;		/* NULL: free entry */
	enum nat_type		 link_nat, own_nat;
	bool			 mapped_set;
	struct in_addr		 mapped_addr;
	uint16_t		 mapped_port;
	bool			 direct;
};

struct per_dest {
	bool		 used;
	char		 dest[PKT_NAME_MAX + 1];
	bool		 has_path;
	struct topo_path path;
	bool		 has_next;	/* fake_set_next_link() was called */
	struct link	*next;
};

static struct per_link	per_link[FAKE_PER_LINK];
static struct per_dest	per_dest[FAKE_PATHS];

/* Growing arrays of records. */
static struct fake_msg	*msgs;
static size_t		 n_msgs, cap_msgs;
static struct fake_data	*datas;
static size_t		 n_datas, cap_datas;
static struct fake_dgram *dgrams;
static size_t		 n_dgrams, cap_dgrams;
static struct fake_route_call *routes;
static size_t		 n_routes, cap_routes;

static uint8_t	wire[PKT_SEALED_HDR_LEN + 65536 + PKT_TAG_LEN];
static uint8_t	txq_frame[PKT_DATA_HEADROOM + 65535 + PKT_TAG_LEN];

static void *
xgrow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 16;
	if ((p = realloc(p, *cap * size)) == NULL)
		abort();
	return p;
}

static void *
xmemdup(const void *p, size_t len)
{
	void *q = malloc(len ? len : 1);

	if (q == NULL)
		abort();
	memcpy(q, p, len);
	return q;
}

static void
copy_name(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

/* ---- clock ---- */

uint64_t
now_us(void)
{
	fake_now_us += fake_now_step_us;	/* slow work, if asked */
	return fake_now_us;
}

/* No batches here: every packet reads the (fake) clock. */
uint64_t
now_pkt_us(void)
{
	return now_us();
}

void
fake_advance_us(uint64_t us)
{
	fake_now_us += us;
}

void
fake_advance_ms(uint64_t ms)
{
	fake_now_us += ms * 1000;
}

void
fake_advance_s(uint64_t s)
{
	fake_now_us += s * 1000000;
}

/* ---- helpers ---- */

struct in_addr
fake_ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "fake_ip: bad address '%s'\n", s);
		abort();
	}
	return a;
}

struct ep
fake_sin(const char *addr, uint16_t port)
{
	struct ep sin;

	memset(&sin, 0, sizeof(sin));
	sin.family = AF_INET;
	sin.a.v4 = fake_ip(addr);
	sin.port = port;
	return sin;
}

/* ---- records ---- */

void
fake_reset(void)
{
	for (size_t i = 0; i < n_datas; i++)
		free(datas[i].ip);
	for (size_t i = 0; i < n_dgrams; i++)
		free(dgrams[i].buf);
	free(msgs);
	free(datas);
	free(dgrams);
	free(routes);
	msgs = NULL;
	datas = NULL;
	dgrams = NULL;
	routes = NULL;
	n_msgs = cap_msgs = n_datas = cap_datas = 0;
	n_dgrams = cap_dgrams = n_routes = cap_routes = 0;
	memset(&fake, 0, sizeof(fake));
	memset(per_link, 0, sizeof(per_link));
	memset(per_dest, 0, sizeof(per_dest));
	n_topo_links = 0;
	fake_topo_linked_default = true;
	fake_now_us = FAKE_T0_US;
	fake_now_step_us = 0;
	fake_rtnl_delay_us = 0;
	fake_tun_ifindex = 7;
	fake_rtnl_result = 0;
	fake_rtnl_errno = EEXIST;
	fake_n_foreign = 0;
	fake_n_foreign6 = 0;
	fake_psock_open_fails = false;
}

size_t
fake_sent_count(int type)
{
	size_t n = 0;

	for (size_t i = 0; i < n_msgs; i++)
		n += type == FAKE_ANY || msgs[i].msg.type == type;
	return n;
}

const struct fake_msg *
fake_sent_nth(int type, size_t k)
{
	for (size_t i = 0; i < n_msgs; i++)
		if (type == FAKE_ANY || msgs[i].msg.type == type) {
			if (k == 0)
				return &msgs[i];
			k--;
		}
	return NULL;
}

const struct fake_msg *
fake_sent_last(int type)
{
	for (size_t i = n_msgs; i > 0; i--)
		if (type == FAKE_ANY || msgs[i - 1].msg.type == type)
			return &msgs[i - 1];
	return NULL;
}

size_t
fake_data_count(void)
{
	return n_datas;
}

const struct fake_data *
fake_data_nth(size_t i)
{
	return i < n_datas ? &datas[i] : NULL;
}

const struct fake_data *
fake_data_last(void)
{
	return n_datas > 0 ? &datas[n_datas - 1] : NULL;
}

size_t
fake_dgram_count(void)
{
	return n_dgrams;
}

const struct fake_dgram *
fake_dgram_nth(size_t i)
{
	return i < n_dgrams ? &dgrams[i] : NULL;
}

const struct fake_dgram *
fake_dgram_last(void)
{
	return n_dgrams > 0 ? &dgrams[n_dgrams - 1] : NULL;
}

size_t
fake_rtnl_count(void)
{
	return n_routes;
}

const struct fake_route_call *
fake_rtnl_nth(size_t i)
{
	return i < n_routes ? &routes[i] : NULL;
}

/* ---- the daemon ---- */

struct proxyd *
fake_proxyd_new(const char *name)
{
	struct proxyd *px;
	struct conf *c;

	fake_reset();
	if ((px = calloc(1, sizeof(*px))) == NULL ||
	    (c = calloc(1, sizeof(*c))) == NULL)
		abort();
	copy_name(c->name, sizeof(c->name), name);
	c->listen_addr = fake_ip("10.0.0.1");
	c->listen_port = CONF_DEFAULT_PORT;
	c->alt_port = CONF_DEFAULT_PORT + 1;
	c->has_tun = false;
	copy_name(c->tun_name, sizeof(c->tun_name), "pxy-fake");
	c->tun_mtu = CONF_DEFAULT_TUN_MTU;
	c->tun_metric = CONF_DEFAULT_TUN_METRIC;
	c->forward = CONF_FWD_IKE | CONF_FWD_ESP | CONF_FWD_ICMP;
	c->ka_min = CONF_DEFAULT_KA_MIN;
	c->rekey_s = CONF_DEFAULT_REKEY_S;
	c->ka_max = CONF_DEFAULT_KA_MAX;
	c->log_level = LOG_LVL_INFO;
	px->conf = c;
	px->conf_path = "fake.conf";
	if ((px->base = event_base_new()) == NULL)
		abort();
	px->sock_env.base = px->base;
	px->sock_env.arg = px;
	px->sock_env.st = &px->sock_st;
	for (int i = 0; i < PSOCK_LISTEN; i++) {
		px->socks[i].env = &px->sock_env;
		px->socks[i].kind = (enum psock_kind)i;
		px->socks[i].fd = -1;
	}
	fake_listen(px, PSOCK_PRIMARY, "10.0.0.1", CONF_DEFAULT_PORT);
	route_table_init(&px->routes);
	px->start_us = fake_now_us;
	px->self_id = pkt_origin_id(name);
	return px;
}

void
fake_proxyd_free(struct proxyd *px)
{
	if (px == NULL)
		return;
	while (px->links != NULL) {
		struct link *l = px->links;

		px->links = l->next;
		free(l);
	}
	route_table_release(&px->routes);
	event_base_free(px->base);
	conf_free(px->conf);
	free(px);
	fake_reset();
}

void
fake_listen(struct proxyd *px, enum psock_kind kind, const char *addr,
    uint16_t port)
{
	struct psock *s = &px->socks[kind];

	if (addr == NULL) {
		s->fd = -1;
		memset(&s->local, 0, sizeof(s->local));
		return;
	}
	s->fd = FAKE_FD + (int)kind;
	s->local = fake_sin(addr, port);
}

void
fake_tun_attach(struct proxyd *px)
{
	px->conf->has_tun = true;
	px->tun = &fake_tun;
}

/* ---- links ---- */

static struct link *
link_new(struct proxyd *px, const char *name, const char *addr,
    uint16_t port, bool learned)
{
	struct fake_link *fl;
	struct link *l;

	if ((fl = calloc(1, sizeof(*fl))) == NULL)
		abort();
	l = &fl->l;
	l->px = px;
	copy_name(l->name, sizeof(l->name), name);
	copy_name(fl->nb.name, sizeof(fl->nb.name), name);
	copy_name(fl->host, sizeof(fl->host), addr);
	fl->nb.host = fl->host;
	fl->nb.port = port;
	l->nbr = &fl->nb;
	if (learned)
		l->learned_nbr = &fl->nb;
	l->initiator = true;
	l->peer = fake_sin(addr, port);
	l->resolved = true;
	l->session = 0x5e550000u | (uint32_t)(fake_link_count(px) + 1);
	l->rtt_ms = -1;
	l->backoff_s = 1;
	l->ka_interval_s = px->conf->ka_min;
	l->last_rx_us = l->last_ka_us = fake_now_us;
	l->next = px->links;
	px->links = l;
	return l;
}

/* Unlinks and frees l, forgetting its peer answers. */
static void
link_free(struct link *l)
{
	struct link **pp;

	for (pp = &l->px->links; *pp != NULL; pp = &(*pp)->next)
		if (*pp == l) {
			*pp = l->next;
			break;
		}
	for (int i = 0; i < FAKE_PER_LINK; i++)
		if (per_link[i].l == l)
			memset(&per_link[i], 0, sizeof(per_link[i]));
	for (int i = 0; i < FAKE_PATHS; i++)
		if (per_dest[i].next == l)
			per_dest[i].next = NULL;
	free(l);
}

struct link *
fake_link_add(struct proxyd *px, const char *name, enum link_state st,
    const char *addr, uint16_t port)
{
	struct link *l = link_new(px, name, addr, port, false);

	l->state = st;
	if (st == LINK_UP)
		l->up_us = fake_now_us;
	return l;
}

struct link *
fake_link_named(struct proxyd *px, const char *name)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

size_t
fake_link_count(const struct proxyd *px)
{
	size_t n = 0;

	for (const struct link *l = px->links; l != NULL; l = l->next)
		n++;
	return n;
}

/* ---- link.h ---- */

static int
record_msg(struct link *l, const struct pkt_msg *m, struct psock *via,
    const struct ep *to)
{
	struct fake_msg *r;
	int n;

	if (l->state != LINK_UP) {
		fake.n_send_refused++;
		return -1;
	}
	n = pkt_msg_encode(m, wire, sizeof(wire));
	if (n < 0) {
		fake.n_send_refused++;
		return -1;
	}
	msgs = xgrow(msgs, &cap_msgs, n_msgs, sizeof(*msgs));
	r = &msgs[n_msgs++];
	memset(r, 0, sizeof(*r));
	r->link = l;
	copy_name(r->link_name, sizeof(r->link_name), l->name);
	r->msg = *m;
	r->wire_len = (size_t)n;
	r->via = via != NULL;
	r->via_kind = via != NULL ? via->kind : PSOCK_PRIMARY;
	r->via_sock = via;
	r->to = to != NULL ? *to : l->peer;
	l->tx_packets++;
	return 0;
}

int
link_send_msg(struct link *l, const struct pkt_msg *m)
{
	return record_msg(l, m, NULL, NULL);
}

int
link_send_msg_via(struct link *l, const struct pkt_msg *m, struct psock *via,
    const struct ep *to)
{
	return record_msg(l, m, via, to);
}

int
link_send_data(struct link *l, uint8_t *frame, size_t len, uint8_t ttl,
    uint32_t origin)
{
	struct fake_data *d;

	frame[PKT_SEALED_HDR_LEN] = PKT_MSG_DATA;
	frame[PKT_SEALED_HDR_LEN + 1] = ttl;
	frame[PKT_SEALED_HDR_LEN + 2] = (uint8_t)(origin >> 24);
	frame[PKT_SEALED_HDR_LEN + 3] = (uint8_t)(origin >> 16);
	frame[PKT_SEALED_HDR_LEN + 4] = (uint8_t)(origin >> 8);
	frame[PKT_SEALED_HDR_LEN + 5] = (uint8_t)origin;
	if (l->state != LINK_UP) {
		fake.n_send_refused++;
		return -1;
	}
	datas = xgrow(datas, &cap_datas, n_datas, sizeof(*datas));
	d = &datas[n_datas++];
	d->link = l;
	copy_name(d->link_name, sizeof(d->link_name), l->name);
	d->ip = xmemdup(frame + PKT_DATA_HEADROOM, len);
	d->len = len;
	d->ttl = ttl;
	d->origin = origin;
	d->batched = txq_is_slot(l->px, frame);
	l->tx_packets++;
	if (d->batched)
		txq_commit(l->px, PKT_SEALED_HDR_LEN + len + 2 + PKT_TAG_LEN,
		    &l->peer);
	return 0;
}

const char *
link_who(const struct link *l, char *buf, size_t len)
{
	char a[EP_STRLEN];

	ep_fmt(&l->peer, a, sizeof(a));
	if (l->resolved)
		snprintf(buf, len, "peer '%s' (%s)", l->name[0] ? l->name :
		    "?", a);
	else
		snprintf(buf, len, "peer '%s' (unresolved)", l->name[0] ?
		    l->name : "?");
	return buf;
}

struct link *
link_find(struct proxyd *px, const char *name)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (l->state == LINK_UP && strcmp(l->name, name) == 0)
			return l;
	return NULL;
}

struct link *
link_learn(struct proxyd *px, const char *name, const struct ep *ep)
{
	char host[EP_STRLEN];
	struct link *l;

	ep_addr_fmt(ep, host, sizeof(host));
	fake.n_learn++;
	copy_name(fake.learn_name, sizeof(fake.learn_name), name);
	fake.learn_ep = *ep;
	l = link_new(px, name, host, ep->port, true);
	l->state = LINK_IDLE;
	l->next_try_us = fake_now_us;
	return l;
}

void
link_dial_once(struct proxyd *px, const char *name,
    const struct ep *ep)
{
	char host[EP_STRLEN];
	struct link *l;

	fake.n_dial_once++;
	copy_name(fake.dial_name, sizeof(fake.dial_name), name);
	fake.dial_ep = *ep;
	if (fake_link_named(px, name) != NULL)
		return;		/* dialled already, or linked */
	ep_addr_fmt(ep, host, sizeof(host));
	l = link_new(px, name, host, ep->port, true);
	l->ephemeral = true;
	l->state = LINK_HANDSHAKE;	/* as hs_start() leaves it */
	l->hs_start_us = fake_now_us;
	fake.n_dial_made++;
}

void
link_abort_dial(struct proxyd *px, const char *name)
{
	fake.n_abort_dial++;
	copy_name(fake.abort_name, sizeof(fake.abort_name), name);
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (l->ephemeral && l->state != LINK_UP &&
		    strcmp(l->name, name) == 0) {
			fake.n_abort_closed++;
			link_close(l, "punching gave up");
			return;
		}
}

void
link_forget(struct link *l)
{
	fake.n_forget++;
	copy_name(fake.forget_name, sizeof(fake.forget_name), l->name);
	if (l->state != LINK_IDLE) {
		l->ephemeral = true;
		link_close(l, "forgotten");
		return;
	}
	link_free(l);
}

void
link_close(struct link *l, const char *reason)
{
	struct proxyd *px = l->px;
	bool was_up = l->state == LINK_UP;

	fake.n_close++;
	copy_name(fake.close_name, sizeof(fake.close_name), l->name);
	copy_name(fake.close_reason, sizeof(fake.close_reason), reason);
	l->state = LINK_IDLE;	/* before the engines hear, as link.c */
	if (was_up && px->link_ev != NULL && px->link_ev->down != NULL) {
		fake.n_down++;
		px->link_ev->down(l, reason);
	}
	if (l->nbr == NULL || l->ephemeral) {
		link_free(l);
		return;
	}
	l->session = 0;
	l->reconnects++;
	l->next_try_us = fake_now_us + (uint64_t)l->backoff_s * 1000000;
}

const struct link_clone *
link_clone_of(const struct proxyd *px, const char *name)
{
	(void)px;
	(void)name;
	return NULL;
}

const char *
link_state_name(const struct link *l)
{
	switch (l->state) {
	case LINK_UP:
		return "up";
	case LINK_HANDSHAKE:
		return "handshake";
	case LINK_IDLE:
	default:
		return l->reconnects > 0 || l->backoff_s > 1 ? "down" :
		    "connecting";
	}
}

int
link_dead_after(const struct link *l)
{
	int d = 3 * l->ka_interval_s;

	if (l->dead_s > 0)
		return l->dead_s;
	return d < LINK_DEAD_MIN_S ? LINK_DEAD_MIN_S : d;
}

void
link_set_keepalive(struct link *l, int interval_s, int dead_s)
{
	fake.n_keepalive++;
	fake.ka_link = l;
	fake.ka_interval_s = interval_s;
	fake.ka_dead_s = dead_s;
	l->ka_interval_s = interval_s > 0 ? interval_s : 1;
	l->dead_s = dead_s > 0 ? dead_s : 0;
}

/* ---- psock.h ---- */

int
psock_open(struct psock *s, const struct psock_env *env, const struct ep *addr,
    uint16_t port, enum psock_kind kind)
{
	static uint16_t next_port = 40000;

	fake.n_psock_open++;
	fake.open_kind = kind;
	fake.open_addr = *addr;
	fake.open_addr.port = port;
	memset(s, 0, sizeof(*s));
	s->env = env;
	s->kind = kind;
	s->fd = -1;
	if (fake_psock_open_fails)
		return -1;
	s->fd = FAKE_FD + 16 + (int)fake.n_psock_open;
	s->local = fake.open_addr;
	if (port == 0)
		s->local.port = next_port++;
	return 0;
}

void
psock_close(struct psock *s)
{
	fake.n_psock_close++;
	s->ev = NULL;
	s->fd = -1;
}

int
psock_send(struct psock *s, const uint8_t *p, size_t len,
    const struct ep *to)
{
	struct fake_dgram *g;

	if (s->fd == -1) {
		fake.n_psock_fail++;
		if (s->env != NULL && s->env->st != NULL)
			s->env->st->tx_fail++;
		return -1;
	}
	dgrams = xgrow(dgrams, &cap_dgrams, n_dgrams, sizeof(*dgrams));
	g = &dgrams[n_dgrams++];
	g->kind = s->kind;
	g->buf = xmemdup(p, len);
	g->len = len;
	g->to = *to;
	if (s->env != NULL && s->env->st != NULL) {
		s->env->st->tx_packets++;
		s->env->st->tx_bytes += len;
	}
	return 0;
}

/* ---- txq.h ---- */

uint8_t *
txq_slot(struct proxyd *px)
{
	(void)px;
	return txq_frame;
}

bool
txq_is_slot(struct proxyd *px, const uint8_t *p)
{
	(void)px;
	return p == txq_frame;
}

void
txq_commit(struct proxyd *px, size_t len, const struct ep *to)
{
	(void)px;
	fake.n_txq_commit++;
	fake.txq_len = len;
	fake.txq_to = *to;
}

void
txq_flush(struct proxyd *px)
{
	(void)px;
	fake.n_txq_flush++;
}

/* ---- tun.h, rtnl.h ---- */

void
tun_send(struct tun *t, const uint8_t *p, size_t len)
{
	(void)t;
	fake.n_tun_send++;
	fake.tun_len = len;
	memset(fake.tun_first, 0, sizeof(fake.tun_first));
	memcpy(fake.tun_first, p, len < sizeof(fake.tun_first) ? len :
	    sizeof(fake.tun_first));
}

void
tun_flush(struct tun *t)
{
	(void)t;
	fake.n_tun_flush++;
}

int
tun_ifindex(const struct tun *t)
{
	(void)t;
	return fake_tun_ifindex;
}

const char *
tun_name(const struct tun *t)
{
	return t != NULL ? t->name : "?";
}

struct rtnl {
	int	unused;
};

struct rtnl *
rtnl_open(void)
{
	static struct rtnl one;

	return &one;
}

void
rtnl_close(struct rtnl *r)
{
	(void)r;
}

int
rtnl_foreign(struct rtnl *r, struct rtplan_foreign **v, size_t *n,
    bool *truncated, struct rtplan_route **own, size_t *n_own)
{
	(void)r;
	*own = NULL;
	*n_own = 0;
	*truncated = false;
	*n = fake_n_foreign;
	*v = NULL;
	if (fake_n_foreign > 0) {
		if ((*v = malloc(fake_n_foreign * sizeof(**v))) == NULL)
			abort();
		memcpy(*v, fake_foreign, fake_n_foreign * sizeof(**v));
	}
	return 0;
}

int
rtnl_foreign6(struct rtnl *r, struct rtplan_foreign6 **v, size_t *n,
    bool *truncated, struct rtplan_foreign6 **own, size_t *n_own)
{
	(void)r;
	*own = NULL;
	*n_own = 0;
	*truncated = false;
	*n = fake_n_foreign6;
	*v = NULL;
	if (fake_n_foreign6 > 0) {
		if ((*v = malloc(fake_n_foreign6 * sizeof(**v))) == NULL)
			abort();
		memcpy(*v, fake_foreign6, fake_n_foreign6 * sizeof(**v));
	}
	return 0;
}

int
rtnl_route(struct rtnl *nl, bool add, const struct rtplan_route *r)
{
	(void)nl;
	routes = xgrow(routes, &cap_routes, n_routes, sizeof(*routes));
	routes[n_routes].add = add;
	routes[n_routes].ifindex = r->ifindex;
	routes[n_routes].dst = r->addr;
	routes[n_routes].plen = r->plen;
	routes[n_routes].metric = r->metric;
	routes[n_routes].v6 = false;
	memset(&routes[n_routes].dst6, 0, sizeof(routes[n_routes].dst6));
	n_routes++;
	fake_now_us += fake_rtnl_delay_us;
	if (fake_rtnl_result != 0)
		errno = fake_rtnl_errno;
	return fake_rtnl_result;
}

/* IPv6 routes: recorded with v6 set. */
int
rtnl_route6(struct rtnl *nl, bool add, const struct in6_addr *a,
    uint8_t plen, int ifindex, uint32_t metric)
{
	(void)nl;
	routes = xgrow(routes, &cap_routes, n_routes, sizeof(*routes));
	routes[n_routes].add = add;
	routes[n_routes].ifindex = ifindex;
	memset(&routes[n_routes].dst, 0, sizeof(routes[n_routes].dst));
	routes[n_routes].dst6 = *a;
	routes[n_routes].plen = plen;
	routes[n_routes].metric = metric;
	routes[n_routes].v6 = true;
	n_routes++;
	if (fake_rtnl_result != 0)
		errno = fake_rtnl_errno;
	return fake_rtnl_result;
}

/* ---- peer.h ---- */

static struct per_link *
pl_find(const struct link *l, bool make)
{
	struct per_link *free_e = NULL;

	for (int i = 0; i < FAKE_PER_LINK; i++) {
		if (per_link[i].l == l)
			return &per_link[i];
		if (per_link[i].l == NULL && free_e == NULL)
			free_e = &per_link[i];
	}
	if (!make)
		return NULL;
	if (free_e == NULL) {
		fprintf(stderr, "fake: more than %d links with answers\n",
		    FAKE_PER_LINK);
		abort();
	}
	memset(free_e, 0, sizeof(*free_e));
	free_e->l = l;
	free_e->link_nat = free_e->own_nat = NAT_TYPE_UNKNOWN;
	return free_e;
}

static struct per_dest *
pd_find(const char *dest, bool make)
{
	struct per_dest *free_e = NULL;

	for (int i = 0; i < FAKE_PATHS; i++) {
		if (per_dest[i].used && strcmp(per_dest[i].dest, dest) == 0)
			return &per_dest[i];
		if (!per_dest[i].used && free_e == NULL)
			free_e = &per_dest[i];
	}
	if (!make)
		return NULL;
	if (free_e == NULL) {
		fprintf(stderr, "fake: more than %d destinations\n",
		    FAKE_PATHS);
		abort();
	}
	memset(free_e, 0, sizeof(*free_e));
	free_e->used = true;
	copy_name(free_e->dest, sizeof(free_e->dest), dest);
	return free_e;
}

void
fake_set_path(const char *dest, const char *next_hop, uint8_t hops,
    uint32_t cost, enum nat_type path_nat)
{
	struct per_dest *d = pd_find(dest, true);

	d->has_path = true;
	memset(&d->path, 0, sizeof(d->path));
	copy_name(d->path.dest, sizeof(d->path.dest), dest);
	copy_name(d->path.next_hop, sizeof(d->path.next_hop), next_hop);
	d->path.hops = hops;
	d->path.cost = cost;
	d->path.path_nat = (uint8_t)path_nat;
}

void
fake_clear_path(const char *dest)
{
	struct per_dest *d = pd_find(dest, false);

	if (d != NULL)
		d->has_path = false;
}

void
fake_set_next_link(const char *dest, struct link *l)
{
	struct per_dest *d = pd_find(dest, true);

	d->has_next = true;
	d->next = l;
}

void
fake_set_link_nat(const struct link *l, enum nat_type t)
{
	pl_find(l, true)->link_nat = t;
}

void
fake_set_own_nat(const struct link *l, enum nat_type t)
{
	pl_find(l, true)->own_nat = t;
}

void
fake_set_own_mapped(const struct link *l, const char *addr, uint16_t port)
{
	struct per_link *p = pl_find(l, true);

	p->mapped_set = true;
	p->mapped_addr = fake_ip(addr);
	p->mapped_port = port;
}

void
fake_set_direct(const struct link *l, bool direct)
{
	pl_find(l, true)->direct = direct;
}

const struct topo_path *
peer_path(const struct proxyd *px, const char *dest)
{
	struct per_dest *d = pd_find(dest, false);

	(void)px;
	return d != NULL && d->has_path ? &d->path : NULL;
}

void
fake_set_topo_linked(const char *a, const char *b, bool linked)
{
	if (n_topo_links == FAKE_TOPO_LINKS) {
		fprintf(stderr, "fake: more than %d topology links\n",
		    FAKE_TOPO_LINKS);
		abort();
	}
	copy_name(topo_links[n_topo_links].a, sizeof(topo_links[0].a), a);
	copy_name(topo_links[n_topo_links].b, sizeof(topo_links[0].b), b);
	topo_links[n_topo_links++].linked = linked;
}

bool
peer_topo_linked(const struct proxyd *px, const char *a, const char *b)
{
	(void)px;
	for (size_t i = n_topo_links; i-- > 0;)
		if ((strcmp(topo_links[i].a, a) == 0 &&
		    strcmp(topo_links[i].b, b) == 0) ||
		    (strcmp(topo_links[i].a, b) == 0 &&
		    strcmp(topo_links[i].b, a) == 0))
			return topo_links[i].linked;
	return fake_topo_linked_default;
}

struct link *
peer_next_link(struct proxyd *px, const char *dest)
{
	struct per_dest *d = pd_find(dest, false);

	if (d == NULL)
		return NULL;
	if (d->has_next)
		return d->next;
	return d->has_path ? link_find(px, d->path.next_hop) : NULL;
}

enum nat_type
peer_link_nat(const struct link *l)
{
	struct per_link *p = pl_find(l, false);

	return p != NULL ? p->link_nat : NAT_TYPE_UNKNOWN;
}

enum nat_type
peer_own_nat(const struct link *l)
{
	struct per_link *p = pl_find(l, false);

	return p != NULL ? p->own_nat : NAT_TYPE_UNKNOWN;
}

bool
peer_own_mapped(const struct link *l, struct ep *ep)
{
	struct per_link *p = pl_find(l, false);

	if (p == NULL || !p->mapped_set)
		return false;
	*ep = ep_v4(p->mapped_addr, p->mapped_port);
	return true;
}

bool
peer_link_is_direct(const struct link *l)
{
	struct per_link *p = pl_find(l, false);

	return p != NULL && p->direct;
}

void
peer_nat_changed(struct proxyd *px)
{
	(void)px;
	fake.n_nat_changed++;
}

void
peer_routes_changed(struct proxyd *px)
{
	(void)px;
	fake.n_routes_changed++;
}

bool
peer_routes_catch_up(struct proxyd *px)
{
	fake.n_catch_up++;
	if (!fake.routes_pending)
		return false;
	fake.routes_pending = false;
	if (fake.on_catch_up != NULL)
		fake.on_catch_up(px);
	return true;
}

void
peer_to_channel(struct proxyd *px, const char *dest, struct link *nh,
    uint8_t *frame, size_t len, const struct peer_flow *flow)
{
	(void)px;
	(void)frame;
	fake.n_to_channel++;
	copy_name(fake.to_channel_dest, sizeof(fake.to_channel_dest), dest);
	fake.to_channel_nh = nh;
	fake.to_channel_len = len;
	if (flow != NULL)
		fake.to_channel_flow = *flow;
}

/* ---- timers ---- */

#define FAKE_FIRE_MAX	64

struct fake_fire {
	struct event	*ev[FAKE_FIRE_MAX];
	int		 n;
};

static int
collect_timer(const struct event_base *b, const struct event *ev, void *arg)
{
	struct fake_fire *f = arg;

	(void)b;
	if (event_get_fd(ev) == -1 && event_pending(ev, EV_TIMEOUT, NULL) &&
	    f->n < FAKE_FIRE_MAX)
		f->ev[f->n++] = (struct event *)(uintptr_t)ev;
	return 0;
}

int
fake_timers_pending(struct proxyd *px)
{
	struct fake_fire f = { .n = 0 };

	event_base_foreach_event(px->base, collect_timer, &f);
	return f.n;
}

void
fake_fire_timers(struct proxyd *px)
{
	struct fake_fire f = { .n = 0 };

	event_base_foreach_event(px->base, collect_timer, &f);
	for (int i = 0; i < f.n; i++)
		event_active(f.ev[i], EV_TIMEOUT, 1);
	event_base_loop(px->base, EVLOOP_NONBLOCK);
}

/* Transports: a fake link is UDP unless a test gives it a tp. */
bool fake_udp_blocked;

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

unsigned
link_cost_extra(const struct link *l)
{
	return link_datagrams(l) ? 0 : LINK_TCP_COST_EXTRA;
}

bool
link_udp_blocked(const struct proxyd *p)
{
	(void)p;
	return fake_udp_blocked;
}
