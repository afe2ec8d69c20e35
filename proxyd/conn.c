/* SPDX-License-Identifier: ISC */
/*
 * Connection requests, channels and the first-packet queue.  See conn.h.
 * The queue is a pool of CONN_QUEUE_SLOTS buffers of the TUN's MTU,
 * allocated once; a channel owns a FIFO of slot indices.  Nothing here
 * allocates per packet.
 */
#include <stdio.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "conn.h"
#include "link.h"
#include "log.h"
#include "peer.h"

struct conn_pool {
	size_t		 slot_size;
	uint8_t		*mem;		/* CONN_QUEUE_SLOTS x slot_size */
	size_t		 len[CONN_QUEUE_SLOTS];
	int		 next[CONN_QUEUE_SLOTS];	/* FIFO / free list */
	int		 free_head;
	struct channel	 ch[CONN_CHANNELS_MAX];
	const struct link *direct[CONN_CHANNELS_MAX];	/* direct links up */
	int		 direct_hi;	/* direct[direct_hi..] are all NULL */
	int		 hint;		/* the channel find() found last */
	int		 ch_hi;		/* ch[ch_hi..] are all unused */
	/* failed direct attempts of channels the origin asked again for */
	struct {
		char		dest[PKT_NAME_MAX + 1];
		unsigned	fails;
	}		 hist[CONN_HIST_MAX];
	int		 hist_next;
	struct event	*timer;
};

static struct pkt_msg conn_msg;	/* large: one, reused */

static uint8_t *
slot(struct conn_pool *cp, int i)
{
	return cp->mem + (size_t)i * cp->slot_size;
}

static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_tick(arg);
}

int
conn_init(struct proxyd *px)
{
	struct conn_pool *cp;
	struct timeval tv = { 0, 100000 };

	if ((cp = calloc(1, sizeof(*cp))) == NULL)
		return -1;
	cp->slot_size = PKT_DATA_HEADROOM + (size_t)(px->conf->has_tun ?
	    px->conf->tun_mtu : 1500) + PKT_TAG_LEN;
	if ((cp->mem = calloc(CONN_QUEUE_SLOTS, cp->slot_size)) == NULL) {
		free(cp);
		return -1;
	}
	for (int i = 0; i < CONN_QUEUE_SLOTS; i++)
		cp->next[i] = i + 1 < CONN_QUEUE_SLOTS ? i + 1 : -1;
	cp->free_head = 0;
	cp->timer = event_new(px->base, -1, EV_PERSIST, conn_timer_cb, px);
	if (cp->timer == NULL || event_add(cp->timer, &tv) == -1) {
		free(cp->mem);
		free(cp);
		return -1;
	}
	px->conn = cp;
	return 0;
}

void
conn_free(struct proxyd *px)
{
	if (px->conn == NULL)
		return;
	event_free(px->conn->timer);
	free(px->conn->mem);
	free(px->conn);
	px->conn = NULL;
}

/*
 * Every packet from the TUN looks its channel up: the one found last is
 * tried first (a burst goes to one destination), before the scan of all
 * the slots, which touches a cache line per slot.
 */
static struct channel *
find(const struct proxyd *px, const char *dest)
{
	struct conn_pool *cp = px->conn;

	if (cp == NULL)
		return NULL;
	if (cp->ch[cp->hint].used && strcmp(cp->ch[cp->hint].dest, dest) == 0)
		return &cp->ch[cp->hint];
	for (int i = 0; i < cp->ch_hi; i++)
		if (cp->ch[i].used && strcmp(cp->ch[i].dest, dest) == 0) {
			cp->hint = i;
			return &cp->ch[i];
		}
	return NULL;
}

const struct channel *
conn_channel(const struct proxyd *px, const char *dest)
{
	return find(px, dest);
}

/*
 * Empties a channel's queue in order: each packet goes out on link nh, or
 * is dropped when nh is NULL (counted as no route if count_drops).
 */
static void
drain(struct proxyd *px, struct channel *ch, struct link *nh,
    bool count_drops)
{
	struct conn_pool *cp = px->conn;

	while (ch->q_head != -1) {
		int i = ch->q_head;

		if (nh != NULL)
			link_send_data(nh, slot(cp, i), cp->len[i],
			    PKT_TTL_DEFAULT, px->self_id);
		else if (count_drops)
			px->st.drop_noroute++;
		ch->q_head = cp->next[i];
		cp->next[i] = cp->free_head;
		cp->free_head = i;
	}
	ch->q_tail = -1;
	ch->q_len = 0;
}

/* Sends the queued first packets in order, by relay. */
static void
flush(struct proxyd *px, struct channel *ch)
{
	drain(px, ch, peer_next_link(px, ch->dest), true);
}

/* Notes the topology's path to ch->dest, for conn_routes_changed(). */
static void
topo_seen(const struct proxyd *px, struct channel *ch)
{
	const struct topo_path *p = peer_path(px, ch->dest);

	ch->topo_hops = p != NULL ? p->hops : 0;
	ch->topo_nat = p != NULL ? p->path_nat : 0;
	snprintf(ch->topo_next, sizeof(ch->topo_next), "%s",
	    p != NULL ? p->next_hop : "");
}

static void
forget(struct proxyd *px, struct channel *ch)
{
	struct conn_pool *cp = px->conn;

	drain(px, ch, NULL, false);
	ch->used = false;
	while (cp->ch_hi > 0 && !cp->ch[cp->ch_hi - 1].used)
		cp->ch_hi--;
}

/* Keeps a channel's direct failures across the origin's new request. */
static void
hist_put(struct conn_pool *cp, const char *dest, unsigned fails)
{
	int i = cp->hist_next;

	cp->hist_next = (cp->hist_next + 1) % CONN_HIST_MAX;
	snprintf(cp->hist[i].dest, sizeof(cp->hist[i].dest), "%s", dest);
	cp->hist[i].fails = fails;
}

/* The failures kept for dest (and forgets them), or 0. */
static unsigned
hist_take(struct conn_pool *cp, const char *dest)
{
	for (int i = 0; i < CONN_HIST_MAX; i++)
		if (cp->hist[i].dest[0] != '\0' &&
		    strcmp(cp->hist[i].dest, dest) == 0) {
			cp->hist[i].dest[0] = '\0';
			return cp->hist[i].fails;
		}
	return 0;
}

/* Channels made for requester's requests ("": our own). */
static int
held_by(const struct conn_pool *cp, const char *requester)
{
	int n = 0;

	for (int i = 0; i < CONN_CHANNELS_MAX; i++)
		n += cp->ch[i].used &&
		    strcmp(cp->ch[i].requester, requester) == 0;
	return n;
}

/*
 * A free channel for dest, made for requester ("": our own).  A full
 * table gives up the least recently used channel of the requester that
 * holds the most, so that one neighbour's requests can only push out its
 * own channels, never the others'.
 */
static struct channel *
channel_new(struct proxyd *px, const char *dest, const char *requester)
{
	struct conn_pool *cp = px->conn;
	struct channel *ch = NULL, *oldest = NULL;
	int most = 0;

	for (int i = 0; i < CONN_CHANNELS_MAX; i++)
		if (!cp->ch[i].used) {
			ch = &cp->ch[i];
			break;
		}
	for (int i = 0; ch == NULL && i < CONN_CHANNELS_MAX; i++) {
		int n = held_by(cp, cp->ch[i].requester);

		if (n > most || (n == most && cp->ch[i].last_use_us <
		    oldest->last_use_us)) {
			most = n;
			oldest = &cp->ch[i];
		}
	}
	if (ch == NULL) {
		log_info("channel to '%s' given up for a new one (%d channels "
		    "for the requests of %s%s%s, the most)", oldest->dest, most,
		    oldest->requester[0] ? "'" : "", oldest->requester[0] ?
		    oldest->requester : "this proxy", oldest->requester[0] ?
		    "'" : "");
		forget(px, oldest);
		ch = oldest;
	}
	memset(ch, 0, sizeof(*ch));
	ch->used = true;
	if (ch - cp->ch >= cp->ch_hi)
		cp->ch_hi = (int)(ch - cp->ch) + 1;
	ch->q_head = ch->q_tail = -1;
	snprintf(ch->dest, sizeof(ch->dest), "%s", dest);
	snprintf(ch->requester, sizeof(ch->requester), "%s", requester);
	return ch;
}

/* Whether n is 1, 2, 4, 8, ...: counted drops are logged at those. */
static bool
log_due(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

/*
 * Our own listen address of a family, for a peer behind the same NAT;
 * unset if we listen on the wildcard address (or not on that family).
 */
static struct ep
local_ep(struct proxyd *px, int family)
{
	const struct psock *s = proxyd_sock(px, family, PSOCK_PRIMARY);
	struct ep none;

	memset(&none, 0, sizeof(none));
	if (s == NULL || !ep_wire_ok(&s->local) || !ep_is_set(&s->local))
		return none;
	return s->local;
}

/* "fd00:a::10 -> fd00:b::10", or "unnamed addresses". */
static const char *
flow_text(const struct ipaddr *src, const struct ipaddr *dst, char *buf,
    size_t len)
{
	char s[IPADDR_STRLEN], d[IPADDR_STRLEN];

	if (src->af == 0 || dst->af == 0)
		snprintf(buf, len, "unnamed addresses");
	else
		snprintf(buf, len, "%s -> %s", ipaddr_str(src, s, sizeof(s)),
		    ipaddr_str(dst, d, sizeof(d)));
	return buf;
}

static void
send_request(struct proxyd *px, struct channel *ch, struct link *nh,
    const struct peer_flow *flow)
{
	struct pkt_conn_req *q = &conn_msg.u.conn_req;
	enum nat_type link_nat = peer_link_nat(nh);
	char text[2 * IPADDR_STRLEN + 8];

	memset(&conn_msg, 0, sizeof(conn_msg));
	conn_msg.type = PKT_MSG_CONN_REQ;
	if (RAND_bytes((unsigned char *)&ch->id, sizeof(ch->id)) != 1)
		ch->id = now_us();
	q->id = ch->id;
	snprintf(q->src, sizeof(q->src), "%s", px->conf->name);
	snprintf(q->dst, sizeof(q->dst), "%s", ch->dest);
	q->src_ip = flow->src;
	q->dst_ip = flow->dst;
	if (q->src_ip.af != q->dst_ip.af)	/* never: one packet's */
		memset(&q->dst_ip, 0, sizeof(q->dst_ip));
	ch->flow_src = q->src_ip;
	ch->flow_dst = q->dst_ip;
	q->cls = flow->cls;
	/* our own NAT: what we measured toward the first hop */
	q->src_nat = peer_own_nat(nh);
	q->path_nat = link_nat;
	q->n_path = 1;
	snprintf(q->path[0], sizeof(q->path[0]), "%s", px->conf->name);
	/* our LAN endpoint, for a destination behind the same NAT */
	q->src_local = local_ep(px, nh->peer.family);
	ch->origin = true;
	ch->req_us = now_us();
	link_send_msg(nh, &conn_msg);
	px->st.conn_requests++;
	log_info("connection request %016llx to '%s' for %s flow %s via '%s'",
	    (unsigned long long)ch->id, ch->dest,
	    ipv4_class_name((enum ipv4_class)flow->cls), flow_text(&q->src_ip,
	    &q->dst_ip, text, sizeof(text)), nh->name);
}

void
conn_from_tun(struct proxyd *px, const char *dest, struct link *nh,
    uint8_t *frame, size_t len, const struct peer_flow *flow)
{
	struct conn_pool *cp = px->conn;
	struct channel *ch = find(px, dest);
	int i;

	if (ch == NULL) {
		ch = channel_new(px, dest, "");
		ch->state = CH_REQUESTING;
		ch->since_us = now_us();
		ch->direct_fails = hist_take(cp, dest);
		send_request(px, ch, nh, flow);
	}
	ch->last_use_us = now_us();
	if (ch->state == CH_RELAY) {
		link_send_data(nh, frame, len, PKT_TTL_DEFAULT, px->self_id);
		return;
	}
	/* requesting: the packet waits */
	if (ch->q_len >= CONN_QUEUE_PER_CH || cp->free_head == -1 ||
	    PKT_DATA_HEADROOM + len + PKT_TAG_LEN > cp->slot_size) {
		px->st.drop_queue++;
		return;
	}
	i = cp->free_head;
	cp->free_head = cp->next[i];
	memcpy(slot(cp, i) + PKT_DATA_HEADROOM, frame + PKT_DATA_HEADROOM,
	    len);
	cp->len[i] = len;
	cp->next[i] = -1;
	if (ch->q_tail == -1)
		ch->q_head = i;
	else
		cp->next[ch->q_tail] = i;
	ch->q_tail = i;
	ch->q_len++;
	px->st.queued++;
}

static bool
path_has(const char path[][PKT_NAME_MAX + 1], int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(path[i], name) == 0)
			return true;
	return false;
}

static void	punch_begin(struct proxyd *, struct channel *,
		    const struct ep *mapped, const struct ep *local,
		    const struct ep *own_mapped);

/* What an answer tells a channel, at either end. */
static void
channel_fill(struct channel *ch, const struct pkt_conn_resp *r)
{
	ch->answered = true;
	ch->state = CH_RELAY;
	ch->path_nat = r->path_nat;
	ch->src_nat = r->src_nat;
	ch->dst_nat = r->dst_nat;
	ch->direct_possible = r->direct;
	ch->hops = (uint8_t)(r->n_path - 1);
	ch->n_path = r->n_path;
	memcpy(ch->path, r->path, sizeof(ch->path));
	snprintf(ch->reason, sizeof(ch->reason), "%s", r->reason);
}

/* The destination keeps a channel toward the origin too. */
static void
answer_channel(struct proxyd *px, const struct link *from,
    const struct pkt_conn_req *q, const struct pkt_conn_resp *r)
{
	struct channel *ch = find(px, q->src);

	if (ch == NULL)
		ch = channel_new(px, q->src, from->name);
	channel_fill(ch, r);
	ch->since_us = ch->last_use_us = now_us();
	ch->id = q->id;
	ch->origin = false;
	ch->flow_src = q->src_ip;
	ch->flow_dst = q->dst_ip;
	if (r->direct && ch->direct != DIRECT_UP)
		punch_begin(px, ch, &q->src_mapped, &q->src_local,
		    &q->dst_mapped);
}

static void
answer(struct proxyd *px, struct link *from, const struct pkt_conn_req *q)
{
	struct pkt_conn_resp *r = &conn_msg.u.conn_resp;
	enum nat_type src = q->src_nat;
	enum nat_type dst = peer_own_nat(from);
	char why[PKT_REASON_MAX + 1], text[2 * IPADDR_STRLEN + 8];
	bool direct;

	direct = nat_direct_feasible(src, dst, why, sizeof(why));
	if (link_udp_blocked(px)) {
		/* learned from failed UDP handshakes: punches would be lost */
		direct = false;
		snprintf(why, sizeof(why), "UDP is blocked at '%s': its links "
		    "run over TCP", px->conf->name);
	}
	memset(&conn_msg, 0, sizeof(conn_msg));
	conn_msg.type = PKT_MSG_CONN_RESP;
	r->id = q->id;
	r->decision = PKT_CONN_RELAY;
	r->direct = direct;
	r->path_nat = q->path_nat;
	r->src_nat = q->src_nat;
	r->dst_nat = dst;
	if (snprintf(r->reason, sizeof(r->reason), "relay now; direct %s (%s)",
	    direct ? "possible" : "not possible", why) < 0)
		r->reason[0] = '\0';
	r->n_path = q->n_path;
	memcpy(r->path, q->path, sizeof(r->path));
	if (r->n_path < PKT_PATH_MAX)
		snprintf(r->path[r->n_path++], sizeof(r->path[0]), "%s",
		    px->conf->name);
	r->src_mapped = q->src_mapped;
	r->dst_mapped = q->dst_mapped;
	r->dst_local = local_ep(px, q->dst_mapped.family);
	if (direct && (!ep_is_set(&q->src_mapped) ||
	    !ep_is_set(&q->dst_mapped))) {
		direct = false;
		r->direct = 0;
		snprintf(r->reason, sizeof(r->reason), "relay now; direct "
		    "not possible (the path did not learn both mapped "
		    "addresses)");
	} else if (ep_is_set(&q->src_mapped) && ep_is_set(&q->dst_mapped) &&
	    q->src_mapped.family != q->dst_mapped.family) {
		/*
		 * One end links over IPv4, the other over IPv6: whatever
		 * their NATs, no punch can join them; said first.
		 */
		direct = false;
		r->direct = 0;
		snprintf(r->reason, sizeof(r->reason), "relay now; direct "
		    "not possible (the ends are reachable over different "
		    "address families: %s and %s)", q->src_mapped.family ==
		    AF_INET6 ? "IPv6" : "IPv4", q->dst_mapped.family ==
		    AF_INET6 ? "IPv6" : "IPv4");
	}
	answer_channel(px, from, q, r);
	log_info("connection request %016llx from '%s' for %s flow %s (%u "
	    "hops, path NAT %s): %s", (unsigned long long)q->id, q->src,
	    ipv4_class_name((enum ipv4_class)q->cls), flow_text(&q->src_ip,
	    &q->dst_ip, text, sizeof(text)), q->n_path,
	    nat_type_name(q->path_nat), r->reason);
	link_send_msg(from, &conn_msg);
}

/*
 * A request that crossed other proxies names its path, and the mapped
 * address its first hop says it observed: the path must be one our
 * topology holds (each step a two-way link, the last the neighbour that
 * handed it over), or the request is only the word of that neighbour,
 * who could name any origin and any address (the victim of the punches
 * and dials the answer would cause).  Returns whether it holds; if not,
 * counts and logs (at 1, 2, 4, ... drops).
 */
static bool
path_known(struct proxyd *px, const struct link *from,
    const struct pkt_conn_req *q)
{
	const char *why = NULL;
	int i;

	if (strcmp(q->path[q->n_path - 1], from->name) != 0)
		why = "the neighbour is not the last proxy on its path";
	for (i = 0; why == NULL && i + 1 < q->n_path; i++)
		if (!peer_topo_linked(px, q->path[i], q->path[i + 1]))
			why = "a step of its path is not a link of the topology";
	if (why == NULL)
		return true;
	if (log_due(++px->st.drop_conn_origin))
		log_info("connection request %016llx from '%s' for origin "
		    "'%s' dropped: %s (%llu such drops)",
		    (unsigned long long)q->id, from->name, q->src, why,
		    (unsigned long long)px->st.drop_conn_origin);
	return false;
}

void
conn_req_input(struct link *from, struct pkt_conn_req *q)
{
	struct proxyd *px = from->px;
	struct link *nh;
	enum nat_type link_nat;

	if (path_has(q->path, q->n_path, px->conf->name)) {
		px->st.drop_malformed++;	/* a loop */
		return;
	}
	/* the first hop knows who sent it: the origin is its neighbour */
	if (q->n_path == 1 && (strcmp(q->src, from->name) != 0 ||
	    strcmp(q->path[0], from->name) != 0)) {
		px->st.drop_malformed++;
		log_info("connection request %016llx from '%s' names '%s' as "
		    "its origin: dropped", (unsigned long long)q->id,
		    from->name, q->src);
		return;
	}
	if (q->n_path > 1 && !path_known(px, from, q))
		return;
	if (strcmp(q->dst, px->conf->name) == 0) {
		if (find(px, q->src) == NULL && held_by(px->conn, from->name) >=
		    CONN_PER_REQUESTER_MAX) {
			if (log_due(++px->st.drop_conn_limit))
				log_info("connection request %016llx from '%s' "
				    "for origin '%s' dropped: %d channels for "
				    "its requests already (%llu such drops)",
				    (unsigned long long)q->id, from->name,
				    q->src, CONN_PER_REQUESTER_MAX,
				    (unsigned long long)px->st.drop_conn_limit);
			return;
		}
		if (q->n_path == 1) {
			/* no proxy between us saw where the origin is mapped */
			memset(&q->src_mapped, 0, sizeof(q->src_mapped));
			memset(&q->dst_mapped, 0, sizeof(q->dst_mapped));
		}
		answer(px, from, q);
		return;
	}
	if (q->n_path >= PKT_PATH_MAX ||
	    (nh = peer_next_link(px, q->dst)) == NULL) {
		px->st.drop_noroute++;
		return;
	}
	/* the mediating proxies tell each end where the other is mapped */
	if (q->n_path == 1) {
		q->src_mapped = from->peer;
	}
	if (strcmp(nh->name, q->dst) == 0) {
		q->dst_mapped = nh->peer;
	}
	link_nat = peer_link_nat(nh);
	q->path_nat = nat_path_fold(q->path_nat, link_nat);
	snprintf(q->path[q->n_path++], sizeof(q->path[0]), "%s",
	    px->conf->name);
	conn_msg.type = PKT_MSG_CONN_REQ;
	conn_msg.u.conn_req = *q;
	link_send_msg(nh, &conn_msg);
}

void
conn_resp_input(struct link *from, const struct pkt_conn_resp *r)
{
	struct proxyd *px = from->px;
	struct conn_pool *cp = px->conn;
	int me = -1;

	for (int i = 0; i < r->n_path; i++)
		if (strcmp(r->path[i], px->conf->name) == 0)
			me = i;
	if (me < 0 || me >= r->n_path - 1) {
		px->st.drop_malformed++;
		return;
	}
	if (me > 0) {
		/* not ours: back toward the previous proxy on the path */
		struct link *prev = link_find(px, r->path[me - 1]);

		if (prev == NULL) {
			px->st.drop_noroute++;
			return;
		}
		conn_msg.type = PKT_MSG_CONN_RESP;
		conn_msg.u.conn_resp = *r;
		link_send_msg(prev, &conn_msg);
		return;
	}
	for (int i = 0; i < CONN_CHANNELS_MAX; i++) {
		struct channel *ch = &cp->ch[i];

		if (!ch->used || ch->id != r->id)
			continue;
		channel_fill(ch, r);
		ch->since_us = now_us();
		topo_seen(px, ch);
		log_info("channel to '%s': %s (path NAT %s, %u hops, answer "
		    "after %.1f ms)", ch->dest, r->reason,
		    nat_type_name((enum nat_type)ch->path_nat), ch->hops,
		    (double)(now_us() - ch->req_us) / 1000.0);
		flush(px, ch);
		if (r->direct && ch->direct != DIRECT_UP)
			punch_begin(px, ch, &r->dst_mapped, &r->dst_local,
			    &r->src_mapped);
		return;
	}
}

const char *
direct_state_name(enum direct_state d)
{
	static const char *const names[] = { "none", "punching", "up",
	    "failed" };

	return (unsigned)d < 4 ? names[d] : "?";
}

/*
 * Starts hole punching toward the other end of a channel: its mapped
 * address, or its LAN address when both ends sit behind the same NAT
 * (same public address).  Both ends punch; the one with the smaller name
 * dials the DTLS handshake once its own punches have opened its NAT.
 */
static void
punch_begin(struct proxyd *px, struct channel *ch, const struct ep *mapped,
    const struct ep *local, const struct ep *own_mapped)
{
	char a[EP_STRLEN];
	int punching = 0;

	if (!ep_is_set(mapped))
		return;
	if (link_udp_blocked(px)) {
		snprintf(ch->direct_why, sizeof(ch->direct_why), "not tried: "
		    "UDP is blocked here (our links run over TCP after UDP "
		    "handshakes failed), punches would be lost");
		return;
	}
	for (int i = 0; i < CONN_CHANNELS_MAX; i++)
		punching += px->conn->ch[i].used &&
		    px->conn->ch[i].direct == DIRECT_PUNCHING;
	if (punching >= CONN_PUNCHING_MAX) {
		px->st.drop_punch_limit++;
		snprintf(ch->direct_why, sizeof(ch->direct_why), "not tried: "
		    "%d channels are punching already", punching);
		return;
	}
	/* same public address (a NAT both sit behind): the LAN address */
	ch->peer_ep_local = ep_addr_eq(mapped, own_mapped) &&
	    ep_is_set(local) && local->family == mapped->family &&
	    !ep_is_any(local);
	ch->peer_ep = ch->peer_ep_local ? *local : *mapped;
	ch->direct = DIRECT_PUNCHING;
	ch->punch_start_us = now_us();
	ch->punch_last_us = 0;
	ch->punch_tx = ch->punch_rx = 0;
	ch->direct_tries++;
	snprintf(ch->direct_why, sizeof(ch->direct_why), "punching to %s "
	    "(%s address)", ep_fmt(&ch->peer_ep, a, sizeof(a)),
	    ch->peer_ep_local ? "LAN" : "mapped");
	log_info("channel to '%s': direct possible, %s, attempt %u",
	    ch->dest, ch->direct_why, ch->direct_tries);
}

static bool
we_dial(const struct proxyd *px, const struct channel *ch)
{
	return strcmp(px->conf->name, ch->dest) < 0;
}

static void
direct_fail(struct channel *ch, const char *why)
{
	unsigned backoff = DIRECT_BACKOFF_MIN_S << (ch->direct_fails < 6 ?
	    ch->direct_fails : 6);

	if (backoff > DIRECT_BACKOFF_MAX_S)
		backoff = DIRECT_BACKOFF_MAX_S;
	ch->direct_fails++;
	ch->direct = DIRECT_FAILED;
	ch->direct_since_us = now_us();
	ch->direct_next_us = now_us() + (uint64_t)backoff * 1000000;
	snprintf(ch->direct_why, sizeof(ch->direct_why), "%s; next attempt in "
	    "%u s", why, backoff);
	log_info("channel to '%s': direct failed: %s", ch->dest,
	    ch->direct_why);
}

static void
direct_step(struct proxyd *px, struct channel *ch, uint64_t now)
{
	char why[PKT_REASON_MAX + 1];

	switch (ch->direct) {
	case DIRECT_PUNCHING:
		if (now - ch->punch_start_us >
		    (uint64_t)DIRECT_GIVEUP_S * 1000000) {
			snprintf(why, sizeof(why), "no direct link after %d s "
			    "(%u punches sent, %u received)", DIRECT_GIVEUP_S,
			    ch->punch_tx, ch->punch_rx);
			link_abort_dial(px, ch->dest);
			direct_fail(ch, why);
			break;
		}
		if (now - ch->punch_last_us >= DIRECT_PUNCH_MS * 1000 &&
		    ch->punch_tx < (unsigned)(DIRECT_GIVEUP_S * 1000 /
		    DIRECT_PUNCH_MS)) {
			uint8_t dgram[PKT_PROBE_LEN];
			struct buf_wr w;

			buf_wr_init(&w, dgram, sizeof(dgram));
			pkt_hdr_encode(&w, PKT_PUNCH, 0, ch->id);
			if (w.err == NULL && proxyd_sock(px,
			    ch->peer_ep.family, PSOCK_PRIMARY) != NULL)
				psock_send(proxyd_sock(px, ch->peer_ep.family,
				    PSOCK_PRIMARY), dgram, w.off, &ch->peer_ep);
			ch->punch_tx++;
			ch->punch_last_us = now;
		}
		if (we_dial(px, ch) && now - ch->punch_start_us >=
		    DIRECT_DIAL_MS * 1000)
			link_dial_once(px, ch->dest, &ch->peer_ep);
		break;
	case DIRECT_FAILED:
		/* only the origin asks again: a new request, fresh addresses */
		if (ch->origin && now >= ch->direct_next_us &&
		    ch->state == CH_RELAY) {
			ch->direct = DIRECT_NONE;
			hist_put(px->conn, ch->dest, ch->direct_fails);
			forget(px, ch);
		}
		break;
	default:
		break;
	}
}

void
conn_punch_input(struct proxyd *px, uint64_t nonce,
    const struct ep *from)
{
	struct channel *ch;

	(void)from;
	for (int i = 0; px->conn != NULL && i < CONN_CHANNELS_MAX; i++) {
		ch = &px->conn->ch[i];
		if (ch->used && ch->id == nonce) {
			ch->punch_rx++;
			return;
		}
	}
	px->st.drop_malformed++;
}

static int
direct_index(const struct conn_pool *cp, const struct link *l)
{
	/* a link is looked for per packet: only up to the highest in use */
	int end = l == NULL ? CONN_CHANNELS_MAX : cp->direct_hi;

	for (int i = 0; i < end; i++)
		if (cp->direct[i] == l)
			return i;
	return -1;
}

bool
conn_link_is_direct(const struct link *l)
{
	return l->px->conn != NULL && direct_index(l->px->conn, l) != -1;
}

bool
conn_link_up(struct link *l)
{
	struct proxyd *px = l->px;
	struct channel *ch = find(px, l->name);
	int slot_i;

	/* the awaited link of a punching channel, or one we dialled for it */
	if (ch == NULL || (ch->direct != DIRECT_PUNCHING && !l->ephemeral))
		return false;
	if ((slot_i = direct_index(px->conn, NULL)) == -1)
		return false;
	px->conn->direct[slot_i] = l;
	if (slot_i >= px->conn->direct_hi)
		px->conn->direct_hi = slot_i + 1;
	link_set_keepalive(l, DIRECT_KA_S, DIRECT_DEAD_S);
	ch->direct = DIRECT_UP;
	ch->direct_since_us = now_us();
	ch->direct_fails = 0;
	snprintf(ch->direct_why, sizeof(ch->direct_why), "direct link up "
	    "after %.0f ms (%u punches sent, %u received, %s address)",
	    (double)(now_us() - ch->punch_start_us) / 1000.0, ch->punch_tx,
	    ch->punch_rx, ch->peer_ep_local ? "LAN" : "mapped");
	log_info("channel to '%s': %s", ch->dest, ch->direct_why);
	return true;
}

void
conn_link_down(struct link *l, const char *why)
{
	struct proxyd *px = l->px;
	struct channel *ch;
	char text[PKT_REASON_MAX + 1];
	int i;

	if (px->conn == NULL || (i = direct_index(px->conn, l)) == -1)
		return;
	px->conn->direct[i] = NULL;
	while (px->conn->direct_hi > 0 &&
	    px->conn->direct[px->conn->direct_hi - 1] == NULL)
		px->conn->direct_hi--;
	if ((ch = find(px, l->name)) == NULL || ch->direct != DIRECT_UP)
		return;
	snprintf(text, sizeof(text), "direct link lost (%.100s): back to "
	    "relay", why);
	direct_fail(ch, text);
}

void
conn_tick(struct proxyd *px)
{
	struct conn_pool *cp = px->conn;
	uint64_t now = now_us();

	/* forget() may lower ch_hi: only ever below i */
	for (int i = 0; i < cp->ch_hi; i++) {
		struct channel *ch = &cp->ch[i];

		if (!ch->used)
			continue;
		direct_step(px, ch, now);
		if (ch->state == CH_REQUESTING &&
		    now - ch->req_us > (uint64_t)CONN_TIMEOUT_MS * 1000) {
			ch->state = CH_RELAY;
			ch->since_us = now;
			snprintf(ch->reason, sizeof(ch->reason), "no answer to "
			    "the connection request within %d ms: relaying",
			    CONN_TIMEOUT_MS);
			log_info("channel to '%s': %s", ch->dest, ch->reason);
			flush(px, ch);
		} else if (now - ch->last_use_us >
		    (uint64_t)CONN_IDLE_S * 1000000 && ch->direct != DIRECT_UP)
			forget(px, ch);
	}
}

void
conn_routes_changed(struct proxyd *px)
{
	struct conn_pool *cp = px->conn;

	if (cp == NULL)
		return;
	for (int i = 0; i < CONN_CHANNELS_MAX; i++) {
		struct channel *ch = &cp->ch[i];
		const struct topo_path *p;

		if (!ch->used)
			continue;
		p = peer_path(px, ch->dest);
		if (ch->direct == DIRECT_UP || ch->direct == DIRECT_PUNCHING)
			continue;	/* the direct link changes the route */
		/*
		 * The path changed since the answer (other hops, or the
		 * topology now folds a NAT type the answer did not find on
		 * it): ask again on the next packet.  A new cost alone, or the
		 * topology catching up with the answer, is no reason to.
		 */
		if (p == NULL || (ch->origin && ch->state == CH_RELAY &&
		    ch->direct == DIRECT_NONE && (p->hops != ch->topo_hops ||
		    strcmp(p->next_hop, ch->topo_next) != 0 ||
		    (p->path_nat != ch->topo_nat &&
		    p->path_nat != ch->path_nat)))) {
			log_info("channel to '%s': %s; a new request goes with "
			    "the next packet", ch->dest, p == NULL ?
			    "no route any more" : "the path changed");
			forget(px, ch);
		}
	}
}
