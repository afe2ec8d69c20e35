/* SPDX-License-Identifier: ISC */
/*
 * This file owns the event loop's lag and work records (see looplag.h):
 * two rings of timestamped samples for the window, two histograms since
 * start.  The window's percentiles sort a copy of its lag samples (at
 * most LOOPLAG_RING: 20 samples a second, so a few hundred), on demand:
 * cheaper than keeping an order on every sample for a figure asked for
 * now and then.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "looplag.h"

const uint64_t looplag_bounds_us[LOOPLAG_BOUNDS] = {
	1000, 5000, 10000, 20000, 50000, 100000, 250000, 500000, 1000000,
	5000000
};

static const char *const work_names[LOOPLAG_WORK_MAX] = {
	[LOOPLAG_VERIFY] = "verify",
	[LOOPLAG_ROUTES] = "routes",
	[LOOPLAG_KROUTE] = "kroute",
	[LOOPLAG_CONTROL] = "control",
	[LOOPLAG_METRICS] = "metrics",
	[LOOPLAG_TICK] = "tick",
};

void
looplag_init(struct looplag *l)
{
	memset(l, 0, sizeof(*l));
}

const char *
looplag_work_name(enum looplag_work w)
{
	return (unsigned)w < LOOPLAG_WORK_MAX ? work_names[w] : "?";
}

static void
hist_add(struct looplag_hist *h, uint64_t us)
{
	size_t i = 0;

	while (i < LOOPLAG_BOUNDS && us > looplag_bounds_us[i])
		i++;
	h->bucket[i]++;
	h->count++;
	h->sum_us += us;
}

static uint32_t
clamp32(uint64_t v)
{
	return v > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)v;
}

void
looplag_sample(struct looplag *l, uint64_t now_us, uint64_t lag_us,
    uint64_t runq_us)
{
	l->ring[l->head].at_us = now_us;
	l->ring[l->head].lag_us = clamp32(lag_us);
	l->ring[l->head].runq_us = runq_us == UINT64_MAX ? UINT32_MAX :
	    clamp32(runq_us);
	l->head = (l->head + 1) % LOOPLAG_RING;
	if (l->n < LOOPLAG_RING)
		l->n++;
	hist_add(&l->lag, lag_us);
	if (runq_us != UINT64_MAX) {
		l->runq_total_us += runq_us;
		l->runq_known = true;
	}
}

void
looplag_work(struct looplag *l, enum looplag_work what, uint64_t start_us,
    uint64_t end_us, uint64_t cpu_us)
{
	uint64_t us = end_us > start_us ? end_us - start_us : 0;

	hist_add(&l->busy, us);
	if ((us < LOOPLAG_WORK_FLOOR_US && cpu_us < LOOPLAG_WORK_FLOOR_US) ||
	    (unsigned)what >= LOOPLAG_WORK_MAX)
		return;
	l->work[l->whead].at_us = end_us;
	l->work[l->whead].us = clamp32(us);
	l->work[l->whead].cpu_us = clamp32(cpu_us);
	l->work[l->whead].what = (uint8_t)what;
	l->whead = (l->whead + 1) % LOOPLAG_WORK_RING;
	if (l->wn < LOOPLAG_WORK_RING)
		l->wn++;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static bool
in_window(uint64_t at, uint64_t now, uint64_t window)
{
	return at <= now && now - at < window;
}

/* The nearest-rank percentile p (0-100) of n sorted values. */
static uint64_t
rank(const uint32_t *v, size_t n, unsigned p)
{
	size_t k = (n * p + 99) / 100;

	return v[k == 0 ? 0 : k - 1];
}

void
looplag_summary(const struct looplag *l, uint64_t now_us, uint64_t window_us,
    struct looplag_summary *s)
{
	uint32_t v[LOOPLAG_RING];
	size_t n = 0;

	memset(s, 0, sizeof(*s));
	s->runq_known = l->runq_known;
	for (size_t i = 0; i < l->n; i++) {
		size_t j = (l->head + LOOPLAG_RING - 1 - i) % LOOPLAG_RING;

		if (!in_window(l->ring[j].at_us, now_us, window_us))
			break;		/* older from here on */
		v[n++] = l->ring[j].lag_us;
		if (l->ring[j].runq_us != UINT32_MAX)
			s->runq += l->ring[j].runq_us;
		if (n == 1 || l->ring[j].lag_us > s->lag_max) {
			s->lag_max = l->ring[j].lag_us;
			s->lag_max_runq = l->ring[j].runq_us == UINT32_MAX ?
			    0 : l->ring[j].runq_us;
		}
	}
	s->samples = n;
	if (n > 0) {
		qsort(v, n, sizeof(v[0]), cmp_u32);
		s->lag_p50 = rank(v, n, 50);
		s->lag_p99 = rank(v, n, 99);
	}
	for (size_t i = 0; i < l->wn; i++) {
		size_t j = (l->whead + LOOPLAG_WORK_RING - 1 - i) %
		    LOOPLAG_WORK_RING;

		if (!in_window(l->work[j].at_us, now_us, window_us))
			break;
		if (l->work[j].us > s->work_max) {
			s->work_max = l->work[j].us;
			s->work_max_cpu = l->work[j].cpu_us;
			s->work_max_what = (enum looplag_work)l->work[j].what;
		}
		if (l->work[j].cpu_us > s->work_cpu_max) {
			s->work_cpu_max = l->work[j].cpu_us;
			s->work_cpu_max_what =
			    (enum looplag_work)l->work[j].what;
		}
	}
}

int
looplag_parse_schedstat(const char *s, uint64_t *wait_ns)
{
	unsigned long long wait;
	char *end;

	/* digits only: strtoull() would take blanks and a sign too */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	(void)strtoull(s, &end, 10);
	if (*end != ' ' || errno != 0)
		return -1;
	s = end + 1;
	if (*s < '0' || *s > '9')
		return -1;
	wait = strtoull(s, &end, 10);
	if ((*end != ' ' && *end != '\n' && *end != '\0') || errno != 0)
		return -1;
	*wait_ns = wait;
	return 0;
}
