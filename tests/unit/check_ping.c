/* SPDX-License-Identifier: ISC */
/*
 * Unit tests for proxyd/ping.c alone, in the fake world of fake.h: the
 * refusals of ping_start(), where the request goes, the destination
 * turning it around, forwarding and its hop limit, our answer ending the
 * ping once with its round trip and path, the timeout, and ping_cancel().
 * The world is proxies a - b - c; a pings unless a test says otherwise.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake.h"
#include "log.h"
#include "ping.h"

/* What the done callback saw, per asker. */
struct asker {
	int		calls;
	int64_t		tag;
	bool		answered;
	double		rtt_ms;
	unsigned	there, back;
	char		dest[PKT_NAME_MAX + 1];
	char		via[PKT_NAME_MAX + 1];
	char		path[1200];
};

static struct proxyd	*px;
static struct link	*lb;
static struct asker	 k1, k2;

static void
done(void *arg, int64_t tag, const struct ping_result *r)
{
	struct asker *k = arg;

	k->calls++;
	k->tag = tag;
	k->answered = r->answered;
	k->rtt_ms = r->rtt_ms;
	k->there = r->hops_there;
	k->back = r->hops_back;
	snprintf(k->dest, sizeof(k->dest), "%s", r->dest);
	snprintf(k->via, sizeof(k->via), "%s", r->via != NULL ? r->via : "");
	snprintf(k->path, sizeof(k->path), "%s", r->path != NULL ? r->path :
	    "");
}

/* Proxy a, an up link to b, a path to c through b. */
static void
setup(void)
{
	px = fake_proxyd_new("a");
	lb = fake_link_add(px, "b", LINK_UP, "198.51.100.2", 4790);
	fake_set_path("c", "b", 2, 20, NAT_TYPE_OPEN);
	memset(&k1, 0, sizeof(k1));
	memset(&k2, 0, sizeof(k2));
}

static void
teardown(void)
{
	ping_cancel(&k1);
	ping_cancel(&k2);
	fake_proxyd_free(px);
	px = NULL;
}

/* Becomes proxy name instead of a (same links). */
static void
become(const char *name)
{
	snprintf(px->conf->name, sizeof(px->conf->name), "%s", name);
}

static const struct pkt_echo *
last_echo(void)
{
	const struct fake_msg *m = fake_sent_last(PKT_MSG_ECHO);

	ck_assert_ptr_nonnull(m);
	return &m->msg.u.echo;
}

/* An echo with the given path (names separated by spaces). */
static struct pkt_echo
echo(uint8_t kind, const char *src, const char *dst, uint8_t hops,
    const char *path)
{
	struct pkt_echo e;
	char buf[256], *save = NULL;

	memset(&e, 0, sizeof(e));
	e.id = 0x0102030405060708ULL;
	e.kind = kind;
	e.time_us = 42;
	e.hops = hops;
	snprintf(e.src, sizeof(e.src), "%s", src);
	snprintf(e.dst, sizeof(e.dst), "%s", dst);
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *t = strtok_r(buf, " ", &save); t != NULL;
	    t = strtok_r(NULL, " ", &save))
		snprintf(e.path[e.n_path++], sizeof(e.path[0]), "%s", t);
	return e;
}

static int
start(const char *dest, struct asker *k, int64_t tag, char *err, size_t len)
{
	return ping_start(px, dest, done, k, tag, err, len);
}

/* ---- ping_start() ---- */

START_TEST(start_refuses_ourselves)
{
	char err[256] = "";

	ck_assert_int_eq(start("a", &k1, 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "'a' is this proxy"));
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
}
END_TEST

START_TEST(start_refuses_proxy_without_route)
{
	char err[256] = "";

	ck_assert_int_eq(start("z", &k1, 1, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no route to proxy 'z'"));
	/* a path whose first hop has no link up is no route either */
	fake_set_path("y", "x", 2, 20, NAT_TYPE_OPEN);
	fake_link_add(px, "x", LINK_HANDSHAKE, "192.0.2.9", 4790);
	ck_assert_int_eq(start("y", &k1, 1, err, sizeof(err)), -1);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
	ck_assert_int_eq(k1.calls, 0);
}
END_TEST

START_TEST(start_refuses_when_table_full)
{
	char err[256] = "";

	for (int i = 0; i < PING_WAIT_MAX; i++)
		ck_assert_int_eq(start("c", &k1, i, err, sizeof(err)), 0);
	ck_assert_int_eq(start("c", &k2, 99, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "16 pings are already waiting"));
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_ECHO), PING_WAIT_MAX);
	/* an ending ping frees its place */
	ping_cancel(&k1);
	ck_assert_int_eq(start("c", &k2, 99, err, sizeof(err)), 0);
}
END_TEST

START_TEST(request_goes_to_the_next_hop)
{
	char err[256] = "";
	const struct pkt_echo *e;

	ck_assert_int_eq(start("c", &k1, 7, err, sizeof(err)), 0);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 1);
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_ECHO)->link, lb);
	e = last_echo();
	ck_assert_uint_eq(e->kind, PKT_ECHO_REQUEST);
	ck_assert_str_eq(e->src, "a");
	ck_assert_str_eq(e->dst, "c");
	ck_assert_uint_eq(e->hops, 0);
	ck_assert_uint_eq(e->n_path, 1);
	ck_assert_str_eq(e->path[0], "a");
	ck_assert_uint_eq(e->time_us, fake_now_us);
	ck_assert_int_eq(k1.calls, 0);
}
END_TEST

START_TEST(request_prefers_a_link_to_the_destination)
{
	char err[256] = "";
	struct link *lc;

	lc = fake_link_add(px, "c", LINK_UP, "203.0.113.3", 5000);
	ck_assert_int_eq(start("c", &k1, 7, err, sizeof(err)), 0);
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_ECHO)->link, lc);
	/* and b, a neighbour, is pinged over its link with no path at all */
	ck_assert_int_eq(start("b", &k1, 8, err, sizeof(err)), 0);
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_ECHO)->link, lb);
}
END_TEST

/* ---- ping_input() elsewhere ---- */

START_TEST(destination_turns_the_request_around)
{
	struct pkt_echo e = echo(PKT_ECHO_REQUEST, "a", "c", 1, "a b");
	const struct pkt_echo *f;

	become("c");		/* c's way back to a is through b */
	fake_set_path("a", "b", 2, 20, NAT_TYPE_OPEN);
	ping_input(lb, &e);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 1);
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_ECHO)->link, lb);
	f = last_echo();
	ck_assert_uint_eq(f->kind, PKT_ECHO_ANSWER);
	ck_assert_uint_eq(f->id, e.id);
	ck_assert_uint_eq(f->time_us, 42);
	ck_assert_uint_eq(f->hops, 2);
	ck_assert_uint_eq(f->n_path, 3);
	ck_assert_str_eq(f->path[2], "c");
	ck_assert_str_eq(f->src, "a");
	ck_assert_str_eq(f->dst, "c");
}
END_TEST

START_TEST(middle_hop_forwards_and_appends_its_name)
{
	struct link *la, *lc;
	struct pkt_echo e = echo(PKT_ECHO_REQUEST, "a", "c", 0, "a");
	struct pkt_echo back = echo(PKT_ECHO_ANSWER, "a", "c", 2, "a b c");

	become("b");
	la = fake_link_add(px, "a", LINK_UP, "198.51.100.1", 4790);
	lc = fake_link_add(px, "c", LINK_UP, "203.0.113.3", 4790);
	ping_input(la, &e);
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_ECHO)->link, lc);
	ck_assert_uint_eq(last_echo()->kind, PKT_ECHO_REQUEST);
	ck_assert_uint_eq(last_echo()->hops, 1);
	ck_assert_uint_eq(last_echo()->n_path, 2);
	ck_assert_str_eq(last_echo()->path[1], "b");

	/* the answer goes toward its source, a */
	ping_input(lc, &back);
	ck_assert_ptr_eq(fake_sent_last(PKT_MSG_ECHO)->link, la);
	ck_assert_uint_eq(last_echo()->kind, PKT_ECHO_ANSWER);
	ck_assert_uint_eq(last_echo()->hops, 3);
	ck_assert_uint_eq(last_echo()->n_path, 4);
	ck_assert_str_eq(last_echo()->path[3], "b");
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 2);
}
END_TEST

START_TEST(full_path_is_forwarded_without_more_names)
{
	struct link *la;
	struct pkt_echo e = echo(PKT_ECHO_REQUEST, "a", "c", 14,
	    "a p1 p2 p3 p4 p5 p6 p7 p8 p9 p10 p11 p12 p13 p14");

	become("b");
	la = fake_link_add(px, "a", LINK_UP, "198.51.100.1", 4790);
	fake_link_add(px, "c", LINK_UP, "203.0.113.3", 4790);
	/* room for one more name: ours */
	ck_assert_uint_eq(e.n_path, PKT_PATH_MAX - 1);
	ping_input(la, &e);
	ck_assert_uint_eq(last_echo()->n_path, PKT_PATH_MAX);
	ck_assert_str_eq(last_echo()->path[PKT_PATH_MAX - 1], "b");
	/* no room */
	e = echo(PKT_ECHO_REQUEST, "a", "c", 15,
	    "a p1 p2 p3 p4 p5 p6 p7 p8 p9 p10 p11 p12 p13 p14 p15");
	ck_assert_uint_eq(e.n_path, PKT_PATH_MAX);
	ping_input(la, &e);
	ck_assert_uint_eq(last_echo()->n_path, PKT_PATH_MAX);
	ck_assert_str_eq(last_echo()->path[PKT_PATH_MAX - 1], "p15");
	ck_assert_uint_eq(last_echo()->hops, 16);
}
END_TEST

START_TEST(echo_at_the_hop_limit_is_dropped)
{
	struct link *la;
	struct pkt_echo e = echo(PKT_ECHO_REQUEST, "a", "c", 0, "a");

	become("b");
	la = fake_link_add(px, "a", LINK_UP, "198.51.100.1", 4790);
	fake_link_add(px, "c", LINK_UP, "203.0.113.3", 4790);
	e.hops = PKT_ECHO_HOPS_MAX - 1;
	ping_input(la, &e);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_ECHO), 1);
	ck_assert_uint_eq(last_echo()->hops, PKT_ECHO_HOPS_MAX);
	e.hops = PKT_ECHO_HOPS_MAX;
	ping_input(la, &e);
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_ECHO), 1);
	ck_assert_uint_eq(px->st.drop_noroute, 1);
}
END_TEST

START_TEST(echo_without_route_is_dropped)
{
	struct link *la;
	struct pkt_echo e = echo(PKT_ECHO_REQUEST, "a", "z", 0, "a");
	struct pkt_echo back = echo(PKT_ECHO_ANSWER, "z", "c", 3, "z y c");

	become("b");
	la = fake_link_add(px, "a", LINK_UP, "198.51.100.1", 4790);
	ping_input(la, &e);
	ping_input(la, &back);
	ck_assert_uint_eq(px->st.drop_noroute, 2);
	ck_assert_uint_eq(fake_sent_count(FAKE_ANY), 0);
}
END_TEST

/* ---- our own pings ---- */

/* c's answer to our last request as it reaches us from b. */
static struct pkt_echo
answer_to_last(void)
{
	struct pkt_echo e = *last_echo();

	e.kind = PKT_ECHO_ANSWER;
	e.hops = 3;		/* b, c, b; we make it 4 */
	e.n_path = 0;
	snprintf(e.path[e.n_path++], sizeof(e.path[0]), "a");
	snprintf(e.path[e.n_path++], sizeof(e.path[0]), "b");
	snprintf(e.path[e.n_path++], sizeof(e.path[0]), "c");
	snprintf(e.path[e.n_path++], sizeof(e.path[0]), "b");
	return e;
}

START_TEST(answer_ends_the_ping_once_with_rtt_hops_and_path)
{
	char err[256] = "";
	struct pkt_echo e;

	ck_assert_int_eq(start("c", &k1, 77, err, sizeof(err)), 0);
	e = answer_to_last();
	fake_advance_us(2500);
	ping_input(lb, &e);
	ck_assert_int_eq(k1.calls, 1);
	ck_assert_int_eq(k1.tag, 77);
	ck_assert(k1.answered);
	ck_assert_double_eq_tol(k1.rtt_ms, 2.5, 1e-9);
	ck_assert_uint_eq(k1.there, 2);
	ck_assert_uint_eq(k1.back, 2);
	ck_assert_str_eq(k1.dest, "c");
	ck_assert_str_eq(k1.via, "b");
	ck_assert_str_eq(k1.path, "a > b > c > b > a");
	ck_assert_uint_eq(fake_sent_count(PKT_MSG_ECHO), 1);	/* no echo */

	/* a second copy, and the timeout, say nothing more */
	e = answer_to_last();
	ping_input(lb, &e);
	ck_assert_int_eq(k1.calls, 1);
	ck_assert_uint_eq(px->st.drop_malformed, 1);
	fake_advance_ms(PING_TIMEOUT_MS);
	ping_tick(px);
	ck_assert_int_eq(k1.calls, 1);
}
END_TEST

START_TEST(answer_longer_than_its_path_marks_the_gap)
{
	char err[256] = "";
	struct pkt_echo e;

	ck_assert_int_eq(start("c", &k1, 1, err, sizeof(err)), 0);
	e = answer_to_last();
	e.hops = 9;		/* names the path had no room for */
	ping_input(lb, &e);
	ck_assert_int_eq(k1.calls, 1);
	ck_assert_str_eq(k1.path, "a > b > c > b > ... > a");
	ck_assert_uint_eq(k1.back, 8);
}
END_TEST

START_TEST(answer_for_another_ping_is_not_ours)
{
	char err[256] = "";
	struct pkt_echo e;

	ck_assert_int_eq(start("c", &k1, 1, err, sizeof(err)), 0);
	e = answer_to_last();
	e.id ^= 1;
	ping_input(lb, &e);
	e = answer_to_last();
	snprintf(e.dst, sizeof(e.dst), "d");	/* same id, other proxy */
	ping_input(lb, &e);
	ck_assert_int_eq(k1.calls, 0);
	ck_assert_uint_eq(px->st.drop_malformed, 2);
}
END_TEST

START_TEST(unanswered_ping_times_out_once)
{
	char err[256] = "";

	ck_assert_int_eq(start("c", &k1, 5, err, sizeof(err)), 0);
	fake_advance_ms(PING_TIMEOUT_MS - 1);
	ping_tick(px);
	ck_assert_int_eq(k1.calls, 0);
	fake_advance_ms(1);
	ping_tick(px);
	ck_assert_int_eq(k1.calls, 1);
	ck_assert(!k1.answered);
	ck_assert_int_eq(k1.tag, 5);
	ck_assert_str_eq(k1.dest, "c");
	ck_assert_str_eq(k1.via, "b");
	ping_tick(px);
	ck_assert_int_eq(k1.calls, 1);
}
END_TEST

START_TEST(cancel_silences_only_that_asker)
{
	char err[256] = "";
	struct pkt_echo e;

	ck_assert_int_eq(start("c", &k1, 1, err, sizeof(err)), 0);
	e = answer_to_last();
	ck_assert_int_eq(start("c", &k2, 2, err, sizeof(err)), 0);
	ping_cancel(&k1);
	ping_input(lb, &e);	/* k1's answer: nobody waits for it */
	ck_assert_int_eq(k1.calls, 0);
	ck_assert_uint_eq(px->st.drop_malformed, 1);
	fake_advance_ms(PING_TIMEOUT_MS);
	ping_tick(px);
	ck_assert_int_eq(k1.calls, 0);
	ck_assert_int_eq(k2.calls, 1);
	ck_assert(!k2.answered);
}
END_TEST

static Suite *
ping_suite(void)
{
	Suite *s = suite_create("ping");
	const struct {
		const char	*name;
		const TTest	*fn;
	} cases[] = {
		{ "start_refuses_ourselves", start_refuses_ourselves },
		{ "start_refuses_proxy_without_route",
		    start_refuses_proxy_without_route },
		{ "start_refuses_when_table_full",
		    start_refuses_when_table_full },
		{ "request_goes_to_the_next_hop", request_goes_to_the_next_hop },
		{ "request_prefers_a_link_to_the_destination",
		    request_prefers_a_link_to_the_destination },
		{ "destination_turns_the_request_around",
		    destination_turns_the_request_around },
		{ "middle_hop_forwards_and_appends_its_name",
		    middle_hop_forwards_and_appends_its_name },
		{ "full_path_is_forwarded_without_more_names",
		    full_path_is_forwarded_without_more_names },
		{ "echo_at_the_hop_limit_is_dropped",
		    echo_at_the_hop_limit_is_dropped },
		{ "echo_without_route_is_dropped",
		    echo_without_route_is_dropped },
		{ "answer_ends_the_ping_once_with_rtt_hops_and_path",
		    answer_ends_the_ping_once_with_rtt_hops_and_path },
		{ "answer_longer_than_its_path_marks_the_gap",
		    answer_longer_than_its_path_marks_the_gap },
		{ "answer_for_another_ping_is_not_ours",
		    answer_for_another_ping_is_not_ours },
		{ "unanswered_ping_times_out_once",
		    unanswered_ping_times_out_once },
		{ "cancel_silences_only_that_asker",
		    cancel_silences_only_that_asker },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		TCase *tc = tcase_create(cases[i].name);

		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, cases[i].fn);
		suite_add_tcase(s, tc);
	}
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ping_suite());
	int failed;

	log_init(1, LOG_LVL_WARN, "check_ping");
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
