/* SPDX-License-Identifier: ISC */
/*
 * NAT trials over an up link, and answers to a neighbour's trials.
 *
 * One run has three short phases, each a few resends within PHASE_MS:
 *  1. primary: a binding request from the link's socket to the neighbour's
 *     primary address and port; the answer is our mapped address.
 *  2. filtering: "answer me from your alternate port", "... from your
 *     alternate address", "have a third proxy send to my mapping", from
 *     the link's socket: its filter is the one that matters.
 *  3. mapping: binding requests to the neighbour's primary address, its
 *     alternate port and its alternate address, all three from a fresh
 *     socket of the run's own (a new source port), closed afterwards.
 *     A mapping trial toward the alternates opens the NAT for answers
 *     from there, and the NAT's conntrack outlives the link and even
 *     this proxy: sent from the link's socket, it would open the very
 *     filter that the next run's filtering trials test.  So the link's
 *     socket never sends to the alternates.
 * lib/nat.c classifies the observations.  Then, unless we are not behind a
 * NAT, the binding-lifetime search starts: a ladder of fresh sockets, each
 * makes a mapping with one exchange, stays idle for its rung's time, and
 * then asks (over the link) for a packet to that mapping.  Rungs grow by a
 * quarter, so the estimate (midway between the last live and first dead
 * rung) is within about 12% of the real lifetime.  The link itself is
 * never left idle for this: its keepalives go on as before.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/rand.h>

#include "link.h"
#include "log.h"
#include "peer.h"
#include "probe.h"

#define STEP_MS			200
#define RESEND_MS		400
#define PHASE_MS		2400
#define SENT_VOID_S		180	/* a third proxy we sent to proves nothing */
#define LADDER_MAX		24
#define LADDER_FIRST_S		4
#define CHECK_GRACE_MS		2000

enum phase { PH_PRIMARY, PH_FILTER, PH_MAP, PH_DONE };

enum rung_state { R_BINDING, R_WAITING, R_CHECKING, R_ALIVE, R_DEAD,
	R_FAILED, R_SKIPPED };

struct rung {
	struct psock		 ps;
	struct probe		*pr;
	enum rung_state		 st;
	uint32_t		 wait_s;
	uint64_t		 id_bind, id_check;
	struct ep		 mapped;
	uint64_t		 t_us;		/* state entered */
	uint64_t		 last_send_us;
	int			 tries;
};

struct probe {
	struct link		*l;
	struct event		*timer;
	enum phase		 phase;
	uint64_t		 phase_us, last_send_us;
	uint64_t		 ids[PROBE_TRIALS];
	bool			 answered[PROBE_TRIALS];
	bool			 third_acked;
	enum nat_outcome	 out[PROBE_TRIALS];
	struct nat_endpoint	 mapped[3];	/* primary, alt port, alt addr */
	struct psock		 ms;		/* the mapping trials' socket */
	bool			 ms_shared;	/* ... could not be opened */
	uint64_t		 id_ref;	/* its binding to the primary */
	bool			 ref_answered;
	struct nat_endpoint	 ref;		/* its mapping there */
	bool			 third_void;	/* third proxy was one we sent to */
	struct rung		 rungs[LADDER_MAX];
	int			 n_rungs;
	bool			 ladder;
};

#define PROBE_SEEN_RING		64	/* > LADDER_MAX: every rung's binding */

/* What we know of the NATs toward one up neighbour. */
struct probe_link {
	struct nat_view		 nat;		/* our NAT toward it */
	struct nat_remote	 remote;	/* its NAT toward us */
	uint16_t		 alt_port;	/* from its INFO; 0 none */
	struct ep		 alt_addr;	/* from its INFO; unset: none */
	unsigned		 budget;	/* probe answers left this second */
	/* where its probe requests came from: the only targets we answer */
	struct ep		 seen[PROBE_SEEN_RING];
	int			 seen_next;
	struct probe		*run;		/* running trials, or NULL */
};

#define PROBE_SENT_RING		16

/* The daemon's probe state beside the links'. */
struct probe_ctx {
	/* addresses we sent third-proxy probes to (see sent_recently()) */
	struct {
		struct ep	addr;
		uint64_t	at_us;
	}			 sent_to[PROBE_SENT_RING];
	int			 sent_next;
};

static const char *const trial_names[PROBE_TRIALS] = {
	"map-primary", "map-alt-port", "map-alt-addr",
	"filter-alt-port", "filter-alt-addr", "filter-third",
};

const char *
probe_trial_name(enum probe_trial t)
{
	return (unsigned)t < PROBE_TRIALS ? trial_names[t] : "?";
}

static uint64_t
new_id(void)
{
	uint64_t id;

	if (RAND_bytes((unsigned char *)&id, sizeof(id)) != 1)
		id = ((uint64_t)random() << 32) ^ (uint64_t)random();
	return id | 1;
}

/* The link's own socket: the primary listen socket of its family. */
static struct psock *
primary(struct link *l)
{
	struct psock *s = proxyd_sock(l->px, l->peer.family, PSOCK_PRIMARY);

	return s != NULL ? s : &l->px->socks[PSOCK_PRIMARY];
}

static void
send_req(struct link *l, struct psock *via, const struct ep *to,
    uint64_t id, uint8_t from, const struct ep *target)
{
	struct pkt_msg m = { .type = PKT_MSG_PROBE_REQ };

	m.u.probe_req.id = id;
	m.u.probe_req.from = from;
	if (target != NULL)
		m.u.probe_req.target = *target;
	link_send_msg_via(l, &m, via, to);
}

static void
rung_close(struct rung *r, enum rung_state st)
{
	r->st = st;
	psock_close(&r->ps);
}

static void
free_rungs(struct probe *pr)
{
	for (int i = 0; i < pr->n_rungs; i++)
		if (pr->rungs[i].ps.fd != -1)
			psock_close(&pr->rungs[i].ps);
	pr->n_rungs = 0;
	pr->ladder = false;
}

static void
ms_close(struct probe *pr)
{
	if (pr->ms.fd != -1)
		psock_close(&pr->ms);
	pr->ms.fd = -1;
}

/* Where the mapping trials go from: their own socket, if it opened. */
static struct psock *
ms_sock(struct probe *pr)
{
	return pr->ms.fd != -1 ? &pr->ms : primary(pr->l);
}

void
probe_stop(struct link *l)
{
	struct probe *pr;

	if (l->probe == NULL || (pr = l->probe->run) == NULL)
		return;
	free_rungs(pr);
	ms_close(pr);
	event_free(pr->timer);
	free(pr);
	l->probe->run = NULL;
	l->probe->nat.lifetime_running = false;
}

int
probe_init(struct proxyd *px)
{
	if ((px->probe = calloc(1, sizeof(*px->probe))) == NULL)
		return -1;
	return 0;
}

void
probe_free(struct proxyd *px)
{
	free(px->probe);
	px->probe = NULL;
}

void
probe_tick(struct proxyd *px)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (l->probe != NULL)
			l->probe->budget = PROBE_REPLY_BUDGET;
}

void
probe_link_up(struct link *l, bool trials)
{
	struct pkt_msg info = { .type = PKT_MSG_INFO };
	const struct psock *aa = proxyd_sock(l->px, l->peer.family,
	    PSOCK_ALT_ADDR);

	probe_link_down(l);
	if ((l->probe = calloc(1, sizeof(*l->probe))) == NULL) {
		log_warnx("out of memory for the NAT trials of '%s'", l->name);
		return;
	}
	l->probe->budget = PROBE_REPLY_BUDGET;
	/* where our alternate port and address are, for its trials */
	/* every listen family has the alternate port (main.c) */
	info.u.info.alt_port = l->px->conf->alt_port;
	if (aa != NULL && !ep_is_any(&aa->local) && ep_wire_ok(&aa->local))
		info.u.info.alt_addr = aa->local;
	link_send_msg(l, &info);
	if (trials)
		probe_start(l, 1000);
}

void
probe_link_down(struct link *l)
{
	probe_stop(l);
	free(l->probe);
	l->probe = NULL;
}

const struct nat_view *
probe_view(const struct link *l)
{
	return l->probe != NULL ? &l->probe->nat : NULL;
}

const struct nat_remote *
probe_remote(const struct link *l)
{
	return l->probe != NULL ? &l->probe->remote : NULL;
}

bool
probe_running(const struct link *l)
{
	return l->probe != NULL && l->probe->run != NULL;
}

enum nat_type
probe_link_nat(const struct link *l)
{
	const struct probe_link *p = l->probe;
	enum nat_type mine, theirs;

	if (p == NULL)
		return NAT_TYPE_UNKNOWN;
	mine = p->nat.valid ? p->nat.res.type : NAT_TYPE_UNKNOWN;
	theirs = p->remote.valid ? p->remote.r.type : NAT_TYPE_UNKNOWN;
	return nat_path_fold(mine, theirs);
}

/* Our own address toward the neighbour, for the "open" test. */
static void
local_endpoint(struct link *l, struct nat_endpoint *ep)
{
	const struct ep *own = &primary(l)->local;
	struct sockaddr_storage ss;
	socklen_t len;
	struct ep got;
	int fd;

	ep->ep = *own;
	ep->valid = true;
	if (!ep_is_any(own))
		return;
	/* bound to any address: ask the routing table which one is used */
	if ((fd = socket(l->peer.family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1)
		return;
	len = ep_to_sa(&l->peer, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len) == 0 &&
	    (len = sizeof(ss), getsockname(fd, (struct sockaddr *)&ss,
	    &len)) == 0 && ep_from_sa(&got, (struct sockaddr *)&ss, len) == 0) {
		ep->ep = got;
		ep->ep.port = own->port;
	}
	close(fd);
}

static void
send_result(struct link *l)
{
	struct pkt_msg m = { .type = PKT_MSG_NAT_RESULT };
	struct pkt_nat_result *r = &m.u.nat;
	const struct nat_result *res = &l->probe->nat.res;

	r->mapping = (uint8_t)res->mapping;
	r->filtering = (uint8_t)res->filtering;
	r->type = res->type;
	r->port_preserved = !res->port_preserved_known ? 2 :
	    res->port_preserved ? 1 : 0;
	r->lifetime_s = res->lifetime_s;
	for (int i = 0; i < PROBE_TRIALS; i++)
		r->trials[i] = (uint8_t)l->probe->nat.trials[i];
	if (l->probe->nat.mapped.valid && ep_wire_ok(&l->probe->nat.mapped.ep))
		r->mapped = l->probe->nat.mapped.ep;
	snprintf(r->assumed, sizeof(r->assumed), "%s", res->assumed);
	for (char *p = r->assumed; *p != '\0'; p++)
		if (*p < 0x20 || *p > 0x7e)
			*p = '?';
	link_send_msg(l, &m);
}

static void
adapt_keepalive(struct link *l)
{
	const struct conf *c = l->px->conf;
	int ka = nat_keepalive_interval(l->probe->nat.res.lifetime_s, c->ka_min,
	    c->ka_max);
	char who[128];

	if (ka != l->ka_interval_s)
		log_info("%s: keepalive interval %d s -> %d s (binding "
		    "lifetime %s%u s)", link_who(l, who, sizeof(who)),
		    l->ka_interval_s, ka, l->probe->nat.lifetime_lower_bound ?
		    ">" : "", l->probe->nat.res.lifetime_s);
	link_set_keepalive(l, ka, 0);
}

static void
ladder_start(struct probe *pr)
{
	struct link *l = pr->l;
	uint32_t w = LADDER_FIRST_S, top;
	uint64_t now = now_us();

	top = (uint32_t)l->px->conf->ka_max * 2;
	if (top < 30)
		top = 30;
	if (top > 600)
		top = 600;
	pr->n_rungs = 0;
	while (w <= top && pr->n_rungs < LADDER_MAX) {
		struct rung *r = &pr->rungs[pr->n_rungs];

		memset(r, 0, sizeof(*r));
		r->pr = pr;
		r->wait_s = w;
		r->id_bind = new_id();
		r->id_check = new_id();
		if (psock_open(&r->ps, &l->px->sock_env,
		    &primary(l)->local, 0, PSOCK_PROBE) == -1)
			break;
		r->st = R_BINDING;
		r->t_us = now;
		pr->n_rungs++;
		w = w * 5 / 4 > w + 1 ? w * 5 / 4 : w + 1;
	}
	pr->ladder = pr->n_rungs > 0;
	l->probe->nat.lifetime_running = pr->ladder;
}

static void
ladder_finish(struct probe *pr)
{
	struct link *l = pr->l;
	uint32_t alive = 0, dead = 0, top = 0;
	char who[128];

	for (int i = 0; i < pr->n_rungs; i++) {
		struct rung *r = &pr->rungs[i];

		if (r->st == R_DEAD && (dead == 0 || r->wait_s < dead))
			dead = r->wait_s;
		if (r->wait_s > top && r->st == R_ALIVE)
			top = r->wait_s;
	}
	for (int i = 0; i < pr->n_rungs; i++) {
		struct rung *r = &pr->rungs[i];

		if (r->st == R_ALIVE && (dead == 0 || r->wait_s < dead) &&
		    r->wait_s > alive)
			alive = r->wait_s;
	}
	free_rungs(pr);
	l->probe->nat.lifetime_running = false;
	l->probe->nat.lifetime_lower_bound = false;
	if (dead == 0 && alive == 0) {
		log_info("%s: binding lifetime trial gave no answer",
		    link_who(l, who, sizeof(who)));
		return;
	}
	if (dead == 0) {
		l->probe->nat.res.lifetime_s = alive;
		l->probe->nat.lifetime_lower_bound = true;
	} else
		l->probe->nat.res.lifetime_s = alive == 0 ? dead / 2 :
		    (alive + dead) / 2;
	log_info("%s: binding lifetime %s%u s (last live rung %u s, first "
	    "dead rung %u s)", link_who(l, who, sizeof(who)),
	    l->probe->nat.lifetime_lower_bound ? ">" : "", l->probe->nat.res.lifetime_s,
	    alive, dead);
	adapt_keepalive(l);
	send_result(l);
}

static void
ladder_step(struct probe *pr, uint64_t now)
{
	struct link *l = pr->l;
	bool pending = false;
	uint32_t first_dead = 0;

	for (int i = 0; i < pr->n_rungs; i++) {
		struct rung *r = &pr->rungs[i];

		switch (r->st) {
		case R_BINDING:
			if (now - r->last_send_us < RESEND_MS * 1000)
				break;
			if (r->tries++ >= 5) {
				rung_close(r, R_FAILED);
				break;
			}
			r->last_send_us = now;
			send_req(l, &r->ps, &l->peer, r->id_bind,
			    PKT_FROM_PRIMARY, NULL);
			break;
		case R_WAITING:
			if (now - r->t_us < (uint64_t)r->wait_s * 1000000)
				break;
			r->st = R_CHECKING;
			r->t_us = now;
			r->tries = 0;
			r->last_send_us = 0;
			/* FALLTHROUGH */
		case R_CHECKING:
			if (now - r->t_us > CHECK_GRACE_MS * 1000) {
				rung_close(r, R_DEAD);
				break;
			}
			if (now - r->last_send_us >= 700 * 1000 &&
			    r->tries++ < 3) {
				r->last_send_us = now;
				send_req(l, primary(l), &l->peer, r->id_check,
				    PKT_FROM_PRIMARY, &r->mapped);
			}
			break;
		default:
			break;
		}
		if (r->st == R_DEAD && (first_dead == 0 ||
		    r->wait_s < first_dead))
			first_dead = r->wait_s;
	}
	/* Mappings die in order of age: longer rungs cannot outlive this. */
	for (int i = 0; i < pr->n_rungs; i++) {
		struct rung *r = &pr->rungs[i];

		if (first_dead != 0 && r->wait_s > first_dead &&
		    (r->st == R_WAITING || r->st == R_BINDING))
			rung_close(r, R_SKIPPED);
		if (r->st <= R_CHECKING)
			pending = true;
	}
	if (!pending)
		ladder_finish(pr);
}

static void
classify(struct probe *pr)
{
	struct link *l = pr->l;
	struct nat_obs obs;
	uint32_t lifetime = l->probe->nat.res.lifetime_s;
	char who[128], a[EP_STRLEN];

	memset(&obs, 0, sizeof(obs));
	local_endpoint(l, &obs.local);
	obs.mapped_primary = pr->mapped[0];
	obs.mapped_alt_port = pr->mapped[1];
	obs.mapped_alt_addr = pr->mapped[2];
	if (!pr->ms_shared && pr->ref_answered) {
		/*
		 * Mapping is compared on the trials' own socket: its mapping
		 * toward the primary against those toward the alternates.
		 */
		obs.local.ep.port = pr->ms.local.port;
		obs.mapped_primary = pr->ref;
	} else if (!pr->ms_shared) {
		/* without that first mapping nothing can be compared */
		obs.mapped_alt_port.valid = obs.mapped_alt_addr.valid = false;
	}
	obs.alt_port_available = l->probe->alt_port != 0;
	obs.alt_addr_available = ep_is_set(&l->probe->alt_addr);
	obs.filt_alt_port = pr->out[TRIAL_FILT_ALT_PORT];
	obs.filt_alt_addr = pr->out[TRIAL_FILT_ALT_ADDR];
	obs.filt_third = pr->out[TRIAL_FILT_THIRD];
	obs.lifetime_s = lifetime;
	nat_classify(&obs, &l->probe->nat.res);
	if (pr->ms_shared) {
		size_t n = strlen(l->probe->nat.res.assumed);

		snprintf(l->probe->nat.res.assumed + n,
		    sizeof(l->probe->nat.res.assumed) - n, "%smapping "
		    "trials ran from the link's socket (no socket of their own "
		    "could be opened): the next run's filtering may see a "
		    "filter they opened", n > 0 ? "; " : "");
	}
	if (pr->third_void) {
		size_t n = strlen(l->probe->nat.res.assumed);

		snprintf(l->probe->nat.res.assumed + n, sizeof(l->probe->nat.res.assumed) - n,
		    "%sthird-proxy trial void: we had sent to that proxy",
		    n > 0 ? "; " : "");
	}
	memcpy(l->probe->nat.trials, pr->out, sizeof(l->probe->nat.trials));
	l->probe->nat.mapped = pr->mapped[0];
	l->probe->nat.valid = true;
	l->probe->nat.measured_at = time(NULL);
	ep_fmt(&pr->mapped[0].ep, a, sizeof(a));
	log_info("%s: NAT toward it: %s (mapping %s, filtering %s), mapped "
	    "%s%s%s", link_who(l, who, sizeof(who)),
	    nat_type_name(l->probe->nat.res.type),
	    nat_behaviour_name(l->probe->nat.res.mapping),
	    nat_behaviour_name(l->probe->nat.res.filtering),
	    pr->mapped[0].valid ? a : "?",
	    l->probe->nat.res.assumed[0] ? "; " : "", l->probe->nat.res.assumed);
	send_result(l);
	peer_nat_changed(l->px);	/* our links' NAT types changed */
	if (l->probe->nat.res.type != NAT_TYPE_OPEN && pr->mapped[0].valid)
		ladder_start(pr);
}

static void
phase_enter(struct probe *pr, enum phase ph, uint64_t now)
{
	struct link *l = pr->l;

	pr->phase = ph;
	pr->phase_us = now;
	pr->last_send_us = 0;
	if (ph == PH_FILTER) {
		if (l->probe->alt_port == 0)
			pr->answered[TRIAL_FILT_ALT_PORT] = true;
		if (!ep_is_set(&l->probe->alt_addr))
			pr->answered[TRIAL_FILT_ALT_ADDR] = true;
	} else if (ph == PH_MAP) {
		if (l->probe->alt_port == 0)
			pr->answered[TRIAL_MAP_ALT_PORT] = true;
		if (!ep_is_set(&l->probe->alt_addr))
			pr->answered[TRIAL_MAP_ALT_ADDR] = true;
	} else if (ph == PH_DONE) {
		ms_close(pr);
		classify(pr);
	}
}

static void
phase_send(struct probe *pr)
{
	struct link *l = pr->l;
	struct ep to;

	switch (pr->phase) {
	case PH_PRIMARY:
		send_req(l, primary(l), &l->peer, pr->ids[TRIAL_MAP_PRIMARY],
		    PKT_FROM_PRIMARY, NULL);
		break;
	case PH_FILTER:
		/* the neighbour answers where it sees the link's socket */
		if (!pr->answered[TRIAL_FILT_ALT_PORT])
			send_req(l, primary(l), &l->peer,
			    pr->ids[TRIAL_FILT_ALT_PORT], PKT_FROM_ALT_PORT,
			    NULL);
		if (!pr->answered[TRIAL_FILT_ALT_ADDR])
			send_req(l, primary(l), &l->peer,
			    pr->ids[TRIAL_FILT_ALT_ADDR], PKT_FROM_ALT_ADDR,
			    NULL);
		if (!pr->answered[TRIAL_FILT_THIRD])
			send_req(l, primary(l), &l->peer,
			    pr->ids[TRIAL_FILT_THIRD], PKT_FROM_THIRD, NULL);
		break;
	case PH_MAP:
		/* all three from the run's own socket, never the link's */
		if (!pr->ref_answered && !pr->ms_shared &&
		    (!pr->answered[TRIAL_MAP_ALT_PORT] ||
		    !pr->answered[TRIAL_MAP_ALT_ADDR]))
			send_req(l, ms_sock(pr), &l->peer, pr->id_ref,
			    PKT_FROM_PRIMARY, NULL);
		if (!pr->answered[TRIAL_MAP_ALT_PORT]) {
			to = l->peer;
			to.port = l->probe->alt_port;
			send_req(l, ms_sock(pr), &to,
			    pr->ids[TRIAL_MAP_ALT_PORT], PKT_FROM_PRIMARY, NULL);
		}
		if (!pr->answered[TRIAL_MAP_ALT_ADDR]) {
			to = l->probe->alt_addr;
			to.port = l->peer.port;
			send_req(l, ms_sock(pr), &to,
			    pr->ids[TRIAL_MAP_ALT_ADDR], PKT_FROM_PRIMARY, NULL);
		}
		break;
	case PH_DONE:
		break;
	}
}

static bool
phase_complete(const struct probe *pr)
{
	switch (pr->phase) {
	case PH_PRIMARY:
		return pr->answered[TRIAL_MAP_PRIMARY];
	case PH_FILTER:
		return pr->answered[TRIAL_FILT_ALT_PORT] &&
		    pr->answered[TRIAL_FILT_ALT_ADDR] &&
		    pr->answered[TRIAL_FILT_THIRD];
	case PH_MAP:
		return pr->answered[TRIAL_MAP_ALT_PORT] &&
		    pr->answered[TRIAL_MAP_ALT_ADDR] &&
		    (pr->ref_answered || pr->ms_shared ||
		    (pr->l->probe->alt_port == 0 &&
		    !ep_is_set(&pr->l->probe->alt_addr)));
	default:
		return true;
	}
}

/* Trials that got no answer by the end of their phase. */
static void
phase_timeout(struct probe *pr)
{
	static const int first[] = { TRIAL_MAP_PRIMARY, TRIAL_FILT_ALT_PORT,
	    TRIAL_MAP_ALT_PORT };
	static const int last[] = { TRIAL_MAP_PRIMARY, TRIAL_FILT_THIRD,
	    TRIAL_MAP_ALT_ADDR };

	for (int t = first[pr->phase]; t <= last[pr->phase]; t++) {
		if (pr->answered[t])
			continue;
		pr->answered[t] = true;
		/* a third-proxy request nobody acknowledged was not run */
		pr->out[t] = t == TRIAL_FILT_THIRD && !pr->third_acked ?
		    NAT_UNTESTED : NAT_NOT_RECEIVED;
	}
}

static void
probe_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct probe *pr = arg;
	uint64_t now = now_us();

	(void)fd;
	(void)what;
	if (pr->l->state != LINK_UP || now < pr->phase_us)
		return;		/* not up, or still in the start delay */
	while (pr->phase != PH_DONE) {
		if (phase_complete(pr) ||
		    now - pr->phase_us > PHASE_MS * 1000) {
			bool primary_failed = pr->phase == PH_PRIMARY &&
			    !pr->answered[TRIAL_MAP_PRIMARY];

			phase_timeout(pr);
			phase_enter(pr, primary_failed ? PH_DONE :
			    (enum phase)(pr->phase + 1), now);
			continue;
		}
		if (now - pr->last_send_us >= RESEND_MS * 1000) {
			pr->last_send_us = now;
			phase_send(pr);
		}
		break;
	}
	if (pr->ladder)
		ladder_step(pr, now);
	if (pr->phase == PH_DONE && !pr->ladder)
		evtimer_del(pr->timer);
}

void
probe_start(struct link *l, unsigned delay_ms)
{
	struct probe *pr;
	struct timeval tv = { 0, STEP_MS * 1000 };
	uint64_t now = now_us();
	char who[128];

	if (l->probe == NULL)
		return;
	probe_stop(l);
	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		return;
	pr->l = l;
	pr->timer = event_new(l->px->base, -1, EV_PERSIST, probe_timer_cb, pr);
	if (pr->timer == NULL) {
		free(pr);
		return;
	}
	for (int t = 0; t < PROBE_TRIALS; t++)
		pr->ids[t] = new_id();
	pr->id_ref = new_id();
	if (psock_open(&pr->ms, &l->px->sock_env, &primary(l)->local,
	    0, PSOCK_PROBE) == -1) {
		pr->ms.fd = -1;
		pr->ms_shared = true;
		log_warnx("%s: no socket of its own for the mapping trials: "
		    "they run from the link's socket", link_who(l, who,
		    sizeof(who)));
	}
	pr->phase = PH_PRIMARY;
	pr->phase_us = now + (uint64_t)delay_ms * 1000;
	pr->last_send_us = 0;
	l->probe->run = pr;
	evtimer_add(pr->timer, &tv);
}

static bool
seen_has(const struct probe_link *p, const struct ep *a)
{
	for (int i = 0; i < PROBE_SEEN_RING; i++)
		if (p->seen[i].port != 0 && ep_eq(&p->seen[i], a))
			return true;
	return false;
}

static void
seen_note(struct probe_link *p, const struct ep *from)
{
	if (seen_has(p, from))
		return;
	p->seen[p->seen_next] = *from;
	p->seen_next = (p->seen_next + 1) % PROBE_SEEN_RING;
}

static void
answer(struct link *l, const struct pkt_probe_req *q, struct psock *in,
    const struct ep *from)
{
	struct proxyd *px = l->px;
	struct pkt_msg m = { .type = PKT_MSG_PROBE_RESP };
	struct pkt_probe_resp *r = &m.u.probe_resp;
	struct ep dst = *from;
	struct psock *via = in;
	struct link *third;

	if (l->probe->budget == 0) {
		px->st.drop_probe_limit++;
		return;
	}
	l->probe->budget--;
	seen_note(l->probe, from);
	/*
	 * An answer goes where the request came from, or to a target this
	 * neighbour's requests came from before (a lifetime rung's mapping):
	 * never to an address it merely names.
	 */
	if (ep_is_set(&q->target) && q->from != PKT_FROM_THIRD) {
		dst = q->target;
		if (!seen_has(l->probe, &dst)) {
			px->st.drop_probe_target++;
			return;
		}
	}
	r->id = q->id;
	r->from = q->from;
	r->status = PKT_PROBE_OK;
	r->mapped = *from;
	switch (q->from) {
	case PKT_FROM_ALT_PORT:
	case PKT_FROM_ALT_ADDR: {
		struct psock *alt = proxyd_sock(px, from->family,
		    q->from == PKT_FROM_ALT_PORT ? PSOCK_ALT_PORT :
		    PSOCK_ALT_ADDR);

		if (alt == NULL || alt->fd == -1)
			r->status = PKT_PROBE_UNAVAILABLE;
		else
			via = alt;
		break;
	}
	case PKT_FROM_THIRD:
		/*
		 * A third proxy linked to us over the target's family surely
		 * has a socket of that family: one without it would send
		 * nothing, and the trial would read as a refusal.
		 */
		for (third = px->links; third != NULL; third = third->next)
			if (third != l && third->state == LINK_UP &&
			    strcmp(third->name, l->name) != 0 &&
			    third->peer.family == dst.family)
				break;
		if (third == NULL)
			r->status = PKT_PROBE_UNAVAILABLE;
		else {
			struct pkt_msg t = { .type = PKT_MSG_THIRD_REQ };

			t.u.third.nonce = q->id;
			t.u.third.target = dst;
			link_send_msg(third, &t);
		}
		dst = *from;		/* the acknowledgement goes back */
		break;
	default:
		break;
	}
	if (via->kind == PSOCK_PROBE)
		via = primary(l);
	link_send_msg_via(l, &m, via, &dst);
}

static void
on_resp(struct link *l, const struct pkt_probe_resp *r, struct psock *in)
{
	struct probe *pr = l->probe->run;
	struct nat_endpoint ep = { .valid = true };

	if (pr == NULL)
		return;
	ep.ep = r->mapped;
	ep.valid = ep_is_set(&r->mapped);
	if (in == &pr->ms && r->id == pr->id_ref && !pr->ref_answered) {
		pr->ref_answered = r->status == PKT_PROBE_OK;
		pr->ref = ep;
		return;
	}
	if (in->kind == PSOCK_PROBE && in != &pr->ms) {
		struct rung *rg = NULL;

		for (int i = 0; i < pr->n_rungs && rg == NULL; i++)
			if (&pr->rungs[i].ps == in)
				rg = &pr->rungs[i];
		if (rg == NULL)
			return;
		if (rg->st == R_BINDING && r->id == rg->id_bind) {
			rg->mapped = r->mapped;
			rg->st = R_WAITING;
			rg->t_us = now_us();
		} else if (rg->st == R_CHECKING && r->id == rg->id_check)
			rung_close(rg, R_ALIVE);
		return;
	}
	for (int t = 0; t < PROBE_TRIALS; t++) {
		if (r->id != pr->ids[t] || pr->answered[t])
			continue;
		if (t == TRIAL_FILT_THIRD) {
			/* the neighbour's acknowledgement, not the trial */
			pr->third_acked = r->status == PKT_PROBE_OK;
			if (!pr->third_acked) {
				pr->answered[t] = true;
				pr->out[t] = NAT_UNTESTED;
			}
			return;
		}
		pr->answered[t] = true;
		if (r->status != PKT_PROBE_OK) {
			pr->out[t] = NAT_UNTESTED;
			return;
		}
		pr->out[t] = NAT_RECEIVED;
		if (t <= TRIAL_MAP_ALT_ADDR)
			pr->mapped[t] = ep;
		return;
	}
}

/*
 * Acting as the third proxy for someone else's trial, we send to their
 * mapping, which opens our own NAT for packets from them.  A probe that
 * then arrives from an address we sent to recently proves nothing about
 * our filtering, so those addresses are remembered here.
 */
static bool
sent_recently(struct proxyd *px, const struct ep *a)
{
	uint64_t now = now_us();

	for (int i = 0; i < PROBE_SENT_RING; i++)
		if (ep_addr_eq(&px->probe->sent_to[i].addr, a) &&
		    px->probe->sent_to[i].at_us != 0 &&
		    now - px->probe->sent_to[i].at_us <
		    (uint64_t)SENT_VOID_S * 1000000)
			return true;
	return false;
}

/*
 * Likewise any proxy we hold a link to, in whatever state (a learned
 * neighbour we dial, a direct channel): our own packets to it opened our
 * filter for it.
 */
static bool
linked_to(struct proxyd *px, const struct ep *a)
{
	for (struct link *l = px->links; l != NULL; l = l->next)
		if (ep_addr_eq(&l->peer, a))
			return true;
	return false;
}

void
probe_nonce(struct proxyd *px, uint64_t nonce, const struct ep *from)
{
	for (struct link *l = px->links; l != NULL; l = l->next) {
		struct probe *pr = l->probe != NULL ? l->probe->run : NULL;

		if (pr != NULL && pr->ids[TRIAL_FILT_THIRD] == nonce &&
		    !pr->answered[TRIAL_FILT_THIRD]) {
			pr->answered[TRIAL_FILT_THIRD] = true;
			if (sent_recently(px, from) || linked_to(px, from)) {
				pr->out[TRIAL_FILT_THIRD] = NAT_UNTESTED;
				pr->third_void = true;
			} else
				pr->out[TRIAL_FILT_THIRD] = NAT_RECEIVED;
			return;
		}
	}
	px->st.drop_malformed++;	/* a probe nobody asked for */
}

void
probe_msg(struct link *l, const struct pkt_msg *m, struct psock *in,
    const struct ep *from)
{
	struct proxyd *px = l->px;

	if (l->probe == NULL) {
		px->st.drop_malformed++;	/* not up: nothing to answer */
		return;
	}
	switch (m->type) {
	case PKT_MSG_INFO:
		l->probe->alt_port = m->u.info.alt_port;
		l->probe->alt_addr = m->u.info.alt_addr;
		break;
	case PKT_MSG_PROBE_REQ:
		answer(l, &m->u.probe_req, in, from);
		break;
	case PKT_MSG_PROBE_RESP:
		on_resp(l, &m->u.probe_resp, in);
		break;
	case PKT_MSG_THIRD_REQ: {
		uint8_t dgram[PKT_PROBE_LEN];
		struct buf_wr w;
		struct ep to;

		if (l->probe->budget == 0) {
			px->st.drop_probe_limit++;
			break;
		}
		l->probe->budget--;
		to = m->u.third.target;
		buf_wr_init(&w, dgram, sizeof(dgram));
		pkt_hdr_encode(&w, PKT_PROBE, 0, m->u.third.nonce);
		/* the target's family, whichever our link to l has */
		if (w.err == NULL && proxyd_sock(px, to.family,
		    PSOCK_PRIMARY) != NULL && psock_send(proxyd_sock(px,
		    to.family, PSOCK_PRIMARY), dgram, w.off, &to) == 0) {
			struct probe_ctx *c = px->probe;

			c->sent_to[c->sent_next].addr = to;
			c->sent_to[c->sent_next].at_us = now_us();
			c->sent_next = (c->sent_next + 1) % PROBE_SENT_RING;
		}
		break;
	}
	case PKT_MSG_NAT_RESULT:
		l->probe->remote.valid = true;
		l->probe->remote.r = m->u.nat;
		l->probe->remote.received_at = time(NULL);
		break;
	default:
		break;
	}
}
