/* SPDX-License-Identifier: ISC */
/*
 * The dispatch between the links and the engines.  See peer.h.
 */
#include <string.h>

#include "conn.h"
#include "link.h"
#include "log.h"
#include "peer.h"
#include "ping.h"
#include "probe.h"
#include "relay.h"
#include "revoke.h"
#include "topology.h"

typedef void	(*msg_handler)(struct link *, struct pkt_msg *,
		    struct psock *in, const struct ep *from);

static void
on_lsa(struct link *l, struct pkt_msg *m, struct psock *in,
    const struct ep *from)
{
	(void)in;
	(void)from;
	topology_lsa_input(l, &m->u.lsa);
}

static void
on_conn_req(struct link *l, struct pkt_msg *m, struct psock *in,
    const struct ep *from)
{
	(void)in;
	(void)from;
	conn_req_input(l, &m->u.conn_req);
}

static void
on_conn_resp(struct link *l, struct pkt_msg *m, struct psock *in,
    const struct ep *from)
{
	(void)in;
	(void)from;
	conn_resp_input(l, &m->u.conn_resp);
}

static void
on_echo(struct link *l, struct pkt_msg *m, struct psock *in,
    const struct ep *from)
{
	(void)in;
	(void)from;
	ping_input(l, &m->u.echo);
}

static void
on_crl(struct link *l, struct pkt_msg *m, struct psock *in,
    const struct ep *from)
{
	(void)in;
	(void)from;
	revoke_input(l, &m->u.crl);
}

static void
on_data(struct link *l, struct pkt_msg *m, struct psock *in,
    const struct ep *from)
{
	(void)in;
	(void)from;
	relay_from_link(l->px, l, m->u.data.ttl, m->u.data.origin,
	    m->u.data.ip, m->u.data.ip_len);
}

static void
on_probe(struct link *l, struct pkt_msg *m, struct psock *in,
    const struct ep *from)
{
	probe_msg(l, m, in, from);
}

/* Message type to engine; the link keeps keepalives and goodbyes. */
static const msg_handler handlers[] = {
	[PKT_MSG_DATA]		= on_data,
	[PKT_MSG_INFO]		= on_probe,
	[PKT_MSG_PROBE_REQ]	= on_probe,
	[PKT_MSG_PROBE_RESP]	= on_probe,
	[PKT_MSG_THIRD_REQ]	= on_probe,
	[PKT_MSG_NAT_RESULT]	= on_probe,
	[PKT_MSG_LSA]		= on_lsa,
	[PKT_MSG_CONN_REQ]	= on_conn_req,
	[PKT_MSG_CONN_RESP]	= on_conn_resp,
	[PKT_MSG_ECHO]		= on_echo,
	[PKT_MSG_CRL]		= on_crl,
};

static void
ev_msg(struct link *l, struct pkt_msg *m, struct psock *in,
    const struct ep *from)
{
	if (m->type >= sizeof(handlers) / sizeof(handlers[0]) ||
	    handlers[m->type] == NULL) {
		l->px->st.drop_malformed++;
		return;
	}
	handlers[m->type](l, m, in, from);
}

static void
ev_up(struct link *l)
{
	/* a direct link is watched closely and not probed: its NATs are known */
	bool direct = conn_link_up(l);

	/* NAT trials are datagrams to the peer: not over a TCP link */
	probe_link_up(l, !direct && link_datagrams(l));
	topology_link_up(l, direct);
	revoke_link_up(l);		/* last: it may close l */
}

void
peer_crl_changed(struct proxyd *px, X509_CRL *crl)
{
	topology_crl_changed(px, crl);
}

int
peer_reload_crl(struct proxyd *px)
{
	return revoke_reload(px);
}

/*
 * A link changed transport, staying up (link.c's link_move()): NAT trials
 * start or stop with datagrams, and its cost in the topology changes.
 */
static void
ev_moved(struct link *l)
{
	bool direct = conn_link_is_direct(l);

	probe_link_down(l);
	probe_link_up(l, !direct && link_datagrams(l));
	topology_originate(l->px);
}

static void
ev_down(struct link *l, const char *reason)
{
	bool direct = conn_link_is_direct(l);

	probe_link_down(l);
	conn_link_down(l, reason);
	topology_link_down(l->px, direct);
}

static void
ev_unauth(struct proxyd *px, uint8_t type, uint64_t nonce,
    const struct ep *from)
{
	if (type == PKT_PROBE)
		probe_nonce(px, nonce, from);
	else if (type == PKT_PUNCH)
		conn_punch_input(px, nonce, from);
	else
		px->st.drop_malformed++;
}

static const struct link_events link_events = {
	.up	= ev_up,
	.down	= ev_down,
	.msg	= ev_msg,
	.unauth	= ev_unauth,
	.moved	= ev_moved,
};

int
peer_init(struct proxyd *px)
{
	px->self_id = pkt_origin_id(px->conf->name);
	if (revoke_init(px) == -1 || link_init(px, &link_events) == -1 || conn_init(px) == -1 ||
	    probe_init(px) == -1 || topology_init(px) == -1)
		return -1;
	return 0;
}

void
peer_tick(struct proxyd *px)
{
	link_tick(px);
	probe_tick(px);
	topology_tick(px);
	ping_tick(px);
	revoke_tick(px);
}

void
peer_shutdown(struct proxyd *px)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		probe_link_down(l);
	link_shutdown(px);
}

void
peer_free(struct proxyd *px)
{
	if (px->topo != NULL)
		topology_free(px);
	probe_free(px);
	conn_free(px);
	relay_free(px);
	revoke_free(px);
}

void
peer_tun_input(struct proxyd *px, uint8_t *frame, size_t len)
{
	relay_from_tun(px, frame, len);
}

const struct topo_path *
peer_path(const struct proxyd *px, const char *dest)
{
	return topology_path(px, dest);
}

bool
peer_topo_linked(const struct proxyd *px, const char *a, const char *b)
{
	return topology_linked(px, a, b);
}

struct link *
peer_next_link(struct proxyd *px, const char *dest)
{
	return topology_next_link(px, dest);
}

enum nat_type
peer_link_nat(const struct link *l)
{
	return probe_link_nat(l);
}

enum nat_type
peer_own_nat(const struct link *l)
{
	const struct nat_view *v = probe_view(l);

	return v != NULL && v->valid ? v->res.type : NAT_TYPE_UNKNOWN;
}

bool
peer_own_mapped(const struct link *l, struct ep *ep)
{
	const struct nat_view *v = probe_view(l);

	if (v == NULL || !v->valid || !v->mapped.valid)
		return false;
	*ep = v->mapped.ep;
	return true;
}

bool
peer_link_is_direct(const struct link *l)
{
	return conn_link_is_direct(l);
}

void
peer_nat_changed(struct proxyd *px)
{
	topology_originate(px);
}

/*
 * Runs a route computation that is waiting, before a packet is refused on
 * the routes' account; true when one ran.  We flood an advertisement the
 * moment it is verified but compute routes at most once per
 * TOPOLOGY_RECOMPUTE_MIN_MS, so a neighbour that learned a site through
 * us can send that site's traffic before our own routes (and the
 * inner-source table built from them) hold it.  Only a pending computation
 * runs, so packets, forged or not, never make routes computed more often
 * than advertisements do.
 */
bool
peer_routes_catch_up(struct proxyd *px)
{
	if (!px->recompute_pending)
		return false;
	topology_recompute(px);
	return true;
}

void
peer_routes_changed(struct proxyd *px)
{
	relay_routes_changed(px);
	conn_routes_changed(px);
}

void
peer_to_channel(struct proxyd *px, const char *dest, struct link *nh,
    uint8_t *frame, size_t len, const struct peer_flow *flow)
{
	conn_from_tun(px, dest, nh, frame, len, flow);
}
