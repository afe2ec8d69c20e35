/* SPDX-License-Identifier: ISC */
/*
 * This file owns the libFuzzer harness for control-command dispatch: the
 * input is what a local client writes on the control socket, JSON lines,
 * run through proxyd/control.c's own line handling and dispatch (the file
 * is compiled in whole, so its static client_lines() and handle() run)
 * against the real engines (conn, probe, topology, ping) in the fake world
 * of tests/unit/fake.[ch]: pub, with site-a up, site-b in handshake, an
 * advertisement from site-a, routes and flows.  reload is answered by a
 * stand-in that refuses.
 *
 * The first byte: bit 0, the client has said hello already; bit 1, it is
 * root.  The rest is the client's bytes.  Each input gets a fresh client
 * (a bufferevent pair; the loop is never run: replies stay in its output
 * buffer).  Checked: the replies are whole lines, each a JSON object of
 * at most JSON_LINE_MAX bytes that json_parse() reads back, with an "id";
 * every line handled got at least one answer line (a ping's comes later;
 * a client held or being closed stops being read).  -max_len
 * fits two request lines of 64 KiB.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "flags.h"
#include "../../proxyd/control.c"
#include "fake.h"
#include "flow.h"

static const char *const flags[] = { "-max_len=140000", NULL };
static struct proxyd	*px;
static struct control	*ctl;
static struct json_doc	 out_doc;

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* reload: refused, as for a broken file */
int
reload_run(struct proxyd *p, struct reload_result *r)
{
	(void)p;
	memset(r, 0, sizeof(*r));
	r->lines.msgs = calloc(1, sizeof(*r->lines.msgs));
	if (r->lines.msgs != NULL &&
	    (r->lines.msgs[0] = strdup("fake.conf:1: refused by the "
	    "harness")) != NULL)
		r->lines.n = 1;
	return -1;
}

void
reload_result_release(struct reload_result *r)
{
	conf_errs_release(&r->lines);
}

/* the CRL engine is not linked: no CRL in force */
uint64_t
revoke_crl_number(const struct proxyd *p, bool *have)
{
	(void)p;
	*have = false;
	return 0;
}

static void
world(void)
{
	struct link *la, *lb;
	struct pkt_lsa lsa;
	struct ipv4_info in;

	px = fake_proxyd_new("pub");
	if (conn_init(px) == -1 || probe_init(px) == -1 ||
	    topology_init(px) == -1 ||
	    (px->flows = flow_table_new(64)) == NULL)
		abort();
	la = fake_link_add(px, "site-a", LINK_UP, "192.0.2.2", 4790);
	lb = fake_link_add(px, "site-b", LINK_HANDSHAKE, "198.51.100.2", 4790);
	(void)lb;
	la->rtt_ms = 1.5;
	fake_set_own_nat(la, NAT_TYPE_OPEN);
	fake_set_link_nat(la, NAT_TYPE_PORT_RESTRICTED);
	topology_link_up(la, false);
	memset(&lsa, 0, sizeof(lsa));
	snprintf(lsa.origin, sizeof(lsa.origin), "site-a");
	lsa.seq = 7;
	lsa.n_prefixes = 1;
	lsa.prefixes[0].plen = 24;
	lsa.prefixes[0].addr.s_addr = htonl(0x0a010000);
	lsa.n_links = 1;
	snprintf(lsa.links[0].peer, sizeof(lsa.links[0].peer), "pub");
	lsa.links[0].nat = NAT_TYPE_PORT_RESTRICTED;
	lsa.links[0].cost = 10;
	topology_lsa_input(la, &lsa);
	topology_recompute(px);
	for (uint32_t i = 0; i < 8; i++) {
		memset(&in, 0, sizeof(in));
		in.src.s_addr = htonl(0x0a010000 + i);
		in.dst.s_addr = htonl(0x0a020001);
		in.proto = 50;
		in.cls = IPV4_ESP;
		in.spi = 0x1000 + i;
		in.total_len = 100;
		(void)flow_update(px->flows, &in, 100, fake_now_us);
	}
	if ((ctl = calloc(1, sizeof(*ctl))) == NULL)
		abort();
	ctl->px = px;
	snprintf(ctl->path, sizeof(ctl->path), "/nonexistent/fuzz.sock");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_default_flags(argc, argv, flags);
	log_init(1, getenv("FUZZ_CONTROL_LOG") != NULL ? LOG_LVL_DEBUG :
	    LOG_LVL_ERROR, "fuzz_control");
	world();
	return 0;
}

/* Each reply line: whole, bounded, a JSON object with an id. */
static size_t
check_output(struct evbuffer *out)
{
	size_t len = evbuffer_get_length(out), lines = 0;
	char *p = (char *)evbuffer_pullup(out, -1), *end, *nl;
	const char *why;

	if (len == 0)
		return 0;
	if (p == NULL || p[len - 1] != '\n') {
		fprintf(stderr, "fuzz_control: reply does not end a line\n");
		abort();
	}
	for (end = p + len; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if ((size_t)(nl - p) > JSON_LINE_MAX) {
			fprintf(stderr, "fuzz_control: reply line of %zu "
			    "bytes\n", (size_t)(nl - p));
			abort();
		}
		if (json_parse(p, (size_t)(nl - p), &out_doc, &why) == -1) {
			fprintf(stderr, "fuzz_control: reply line not JSON "
			    "(%s): %.*s\n", why, (int)(nl - p), p);
			abort();
		}
		if (json_get(&out_doc, "id") == NULL)
			abort();
		lines++;
	}
	return lines;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bufferevent *pair[2];
	struct client *c;
	size_t nl = 0, done;

	if (size < 1)
		return 0;
	if (bufferevent_pair_new(px->base, 0, pair) == -1 ||
	    (c = calloc(1, sizeof(*c))) == NULL)
		abort();
	/* replies stay in c's output: the other end reads nothing */
	bufferevent_disable(pair[1], EV_READ);
	c->ctl = ctl;
	c->bev = pair[0];
	c->hello = data[0] & 1;
	c->cred = true;
	c->uid = data[0] & 2 ? 0 : 65534;
	c->pid = 4242;
	c->active_us = now_us();
	if ((c->out_cb = evbuffer_add_cb(bufferevent_get_output(c->bev),
	    client_out_cb, c)) == NULL)
		abort();
	ctl->n_clients++;
	c->next = ctl->clients;
	ctl->clients = c;
	/* a bufferevent's input is closed at its end to all but itself */
	evbuffer_unfreeze(bufferevent_get_input(c->bev), 0);
	if (evbuffer_add(bufferevent_get_input(c->bev), data + 1, size - 1) ==
	    -1)
		abort();
	evbuffer_freeze(bufferevent_get_input(c->bev), 0);
	for (size_t i = 1; i < size; i++)
		nl += data[i] == '\n';
	done = nl;
	client_lines(c);
	/* lines still waiting: the client was held or is closing */
	{
		struct evbuffer *in = bufferevent_get_input(c->bev);
		size_t left = evbuffer_get_length(in), waiting = 0;
		char *p = (char *)evbuffer_pullup(in, -1);

		for (size_t i = 0; i < left; i++)
			waiting += p[i] == '\n';
		done -= waiting;
	}
	/* every line handled is answered, but pings (later) */
	if (check_output(bufferevent_get_output(c->bev)) + c->pings < done &&
	    !c->closing && !c->held) {
		fprintf(stderr, "fuzz_control: %zu request lines, fewer "
		    "answers\n", done);
		abort();
	}
	client_free(c);
	bufferevent_free(pair[1]);
	/* a freed bufferevent goes once the loop ran its deferred
	   callbacks: without this every run leaks two (and libFuzzer's leak
	   check runs after each one) */
	(void)event_base_loop(px->base, EVLOOP_NONBLOCK);
	return 0;
}
