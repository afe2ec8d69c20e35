/* SPDX-License-Identifier: ISC */
/*
 * Log sink: stderr with a timestamp in the foreground, syslog otherwise.
 * Shaped like bgpd's log.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"

static int	 log_fg = 1;
static int	 log_lvl = LOG_LVL_INFO;
static const char *const names[] = { "error", "warn", "info", "debug" };

/*
 * Detached, we log to syslog, but only where a syslog daemon listens
 * (/dev/log is a socket): without one (a container, an initramfs, a host
 * whose journald is off) every line would be lost, so the log stays on
 * stderr and says so.  LOG_PATH_DEV is for the tests.
 */
#ifndef LOG_PATH_DEV
#define LOG_PATH_DEV	"/dev/log"
#endif

void
log_init(int foreground, int level, const char *ident)
{
	struct stat st;

	log_fg = foreground;
	log_lvl = level;
	tzset();
	if (foreground)
		return;
	if (stat(LOG_PATH_DEV, &st) == 0 && S_ISSOCK(st.st_mode)) {
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		return;
	}
	log_fg = 1;
	log_warnx("no syslog socket at %s: logging to stderr instead",
	    LOG_PATH_DEV);
}

int
log_to_stderr(void)
{
	return log_fg;
}

void
log_set_level(int level)
{
	log_lvl = level;
}

int
log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

int
log_debugging(void)
{
	return log_lvl >= LOG_LVL_DEBUG;
}

const char *
log_level_name(int l)
{
	if (l < 0 || l > LOG_LVL_DEBUG)
		return "?";
	return names[l];
}

static void log_str(int, const char *, ...)
    __attribute__((format(printf, 2, 3)));

void
log_vmsg(int level, const char *fmt, va_list ap)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	int saved = errno;
	char ts[32];
	struct timespec now;
	struct tm tm;

	if (level > log_lvl)
		return;
	if (log_fg) {
		clock_gettime(CLOCK_REALTIME, &now);
		localtime_r(&now.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		fprintf(stderr, "%s.%03ld %s: ", ts, now.tv_nsec / 1000000,
		    names[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	} else
		vsyslog(prio[level], fmt, ap);
	errno = saved;
}

static void
log_str(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

static void
log_errno(int level, const char *fmt, va_list ap)
{
	char msg[1024];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	errno = saved;
	log_str(level, "%s: %s", msg, strerror(saved));
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_errno(LOG_LVL_WARN, fmt, ap);
	va_end(ap);
}

#define LOG_FN(fn, lvl)						\
void								\
fn(const char *fmt, ...)					\
{								\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	log_vmsg(lvl, fmt, ap);					\
	va_end(ap);						\
}
LOG_FN(log_warnx, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_errno(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
