/* SPDX-License-Identifier: ISC */
/*
 * Prometheus metrics: an HTTP server (libevent's evhttp) that answers
 * GET /metrics with the daemon's state in the Prometheus text exposition
 * format, version 0.0.4.  It sits above the engines, as the control socket
 * does: it only reads their state through their public functions.
 */
#ifndef PROXYD_METRICS_H
#define PROXYD_METRICS_H

#include <stdint.h>
#include <netinet/in.h>

#include <event2/buffer.h>

#include "proxyd.h"

#define METRICS_PATH		"/metrics"
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define METRICS_HEADERS_MAX	8192	/* request line and headers, bytes */
#define METRICS_TIMEOUT_S	10	/* reading a request, writing a reply */

struct metrics;

/*
 * Listens for HTTP on addr:port (TCP; port 0: one the kernel chooses) on
 * px->base.  GET and HEAD of METRICS_PATH are answered with
 * metrics_render(); any other path gets 404, any other method 405.  NULL
 * on failure (logged, naming the address).
 */
struct metrics	*metrics_open(struct proxyd *, struct in_addr addr,
		    uint16_t port);
/* Closes the listener and every connection.  NULL does nothing. */
void		 metrics_close(struct metrics *);
/* The port it listens on. */
uint16_t	 metrics_port(const struct metrics *);
/*
 * Appends every metric of px to out, in the text format: families one
 * after the other, each with its HELP and TYPE lines, one line per sample,
 * label values escaped.  0, or -1 if out could not grow (out then holds
 * part of it).
 */
int		 metrics_render(const struct proxyd *, struct evbuffer *out);

#endif
