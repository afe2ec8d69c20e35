/* SPDX-License-Identifier: ISC */
/*
 * The clock.  struct proxyd itself is declared in proxyd.h; main.c makes
 * the one instance.
 */
#include <time.h>

#include "proxyd.h"

uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t burst_us;	/* 0: no batch under way */

uint64_t
now_pkt_us(void)
{
	return burst_us != 0 ? burst_us : now_us();
}

void
now_burst_begin(void)
{
	burst_us = now_us();
}

void
now_burst_end(void)
{
	burst_us = 0;
}
