/* SPDX-License-Identifier: ISC */
/*
 * The event loop's health, measured, so that a slow answer can be blamed
 * on the right party.  Three things are recorded:
 *   - lag: how late a periodic timer fired (LOOPLAG_PERIOD_MS).  It is the
 *     time nothing at all could be served, for whatever reason: our own
 *     long callback, or the process waiting for a CPU;
 *   - run-queue wait: how long the kernel kept the process runnable but
 *     not running in the same interval (/proc/self/schedstat), the
 *     machine's share of the lag;
 *   - work: the length of the pieces of work the daemon times itself
 *     (a slice of signature checks, a route computation, a control
 *     request...), its own share.
 * Kept for a sliding window (LOOPLAG_WINDOW_US: median, p99, worst) and
 * since start (histograms with LOOPLAG_BOUNDS for Prometheus).  Pure:
 * every time is passed in; the daemon's timer lives in proxyd/main.c.
 */
#ifndef PROXYD_LOOPLAG_H
#define PROXYD_LOOPLAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOOPLAG_PERIOD_MS	50	/* the probe timer's period */
#define LOOPLAG_WINDOW_US	(10 * 1000000ull)	/* status: last 10 s */
#define LOOPLAG_RING		512	/* lag samples kept (> window) */
#define LOOPLAG_WORK_RING	256	/* work samples >= the floor kept */
#define LOOPLAG_WORK_FLOOR_US	1000	/* shorter work: histogram only */
#define LOOPLAG_BOUNDS		10	/* histogram buckets, +Inf aside */

/* What a timed piece of work was (looplag_work_name() names them). */
enum looplag_work {
	LOOPLAG_VERIFY,		/* a slice of advertisement checks */
	LOOPLAG_ROUTES,		/* shortest paths, routes, kernel routes */
	LOOPLAG_KROUTE,		/* a slice of kernel route changes */
	LOOPLAG_CONTROL,	/* a control request */
	LOOPLAG_METRICS,	/* a metrics scrape */
	LOOPLAG_TICK,		/* the one-second tick */
	LOOPLAG_WORK_MAX
};

/* Upper bounds of the histogram buckets, in microseconds. */
extern const uint64_t looplag_bounds_us[LOOPLAG_BOUNDS];

struct looplag_hist {
	uint64_t	bucket[LOOPLAG_BOUNDS + 1];	/* not cumulative; */
							/* last: +Inf */
	uint64_t	count;
	uint64_t	sum_us;
};

struct looplag {
	struct {
		uint64_t	at_us;
		uint32_t	lag_us;
		uint32_t	runq_us;	/* UINT32_MAX: not known */
	}		 ring[LOOPLAG_RING];
	size_t		 head, n;	/* next slot; samples held */
	struct {
		uint64_t	at_us;
		uint32_t	us, cpu_us;
		uint8_t		what;
	}		 work[LOOPLAG_WORK_RING];
	size_t		 whead, wn;
	struct looplag_hist lag, busy;
	uint64_t	 runq_total_us;	/* since start */
	bool		 runq_known;	/* a schedstat reading was given */
};

/* A window's summary; times in microseconds. */
struct looplag_summary {
	size_t		 samples;	/* lag samples in the window */
	uint64_t	 lag_p50, lag_p99, lag_max;
	uint64_t	 lag_max_runq;	/* run-queue wait in the interval */
					/* of the worst lag (if known) */
	uint64_t	 runq;		/* run-queue wait in the window */
	bool		 runq_known;
	uint64_t	 work_max;	/* longest timed work (>= floor), */
	uint64_t	 work_max_cpu;	/* the CPU it took */
	enum looplag_work work_max_what;
	uint64_t	 work_cpu_max;	/* most CPU a piece of work took */
	enum looplag_work work_cpu_max_what;
};

/* Starts empty (a zeroed struct is empty too). */
void	looplag_init(struct looplag *);
/*
 * A probe timer fired at now_us, lag_us after it was due; runq_us is the
 * run-queue wait since the previous sample, or UINT64_MAX if not known.
 */
void	looplag_sample(struct looplag *, uint64_t now_us, uint64_t lag_us,
	    uint64_t runq_us);
/*
 * A piece of work of kind what ran from start_us to end_us and took
 * cpu_us of CPU time (less than its length when the kernel ran others
 * meanwhile: the machine's share, not ours).
 */
void	looplag_work(struct looplag *, enum looplag_work what,
	    uint64_t start_us, uint64_t end_us, uint64_t cpu_us);
/* The samples of the last window_us before now_us. */
void	looplag_summary(const struct looplag *, uint64_t now_us,
	    uint64_t window_us, struct looplag_summary *);
/* "verify", "routes", ...; "?" out of range. */
const char *looplag_work_name(enum looplag_work);
/*
 * The run-queue wait in nanoseconds, the second field of a
 * /proc/PID/schedstat line ("on-cpu wait slices"); -1 if s is not one.
 */
int	looplag_parse_schedstat(const char *s, uint64_t *wait_ns);

#endif
