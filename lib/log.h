/* SPDX-License-Identifier: ISC */
/*
 * Logging for the daemon and tools: stderr in the foreground, syslog
 * otherwise.  Codecs in lib/ never log; they report through their cursor.
 * Every function preserves errno.
 */
#ifndef PROXYD_LOG_H
#define PROXYD_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/*
 * Foreground: stderr.  Otherwise syslog (LOG_DAEMON) if /dev/log is a
 * socket, else stderr after a warning saying so.
 */
void	log_init(int foreground, int level, const char *ident);
/* Whether lines go to stderr (then a detaching daemon must keep it). */
int	log_to_stderr(void);
/* The level from now on (a reload's 'log'). */
void	log_set_level(int level);
/*
 * Whether debug lines are written: callers on paths a stranger can drive
 * per packet test it before formatting addresses for a line that would
 * be dropped.
 */
int	log_debugging(void);
/* Parses "error", "warn", "info", "debug"; returns -1 if unknown. */
int	log_level_parse(const char *);
const char *log_level_name(int);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_vmsg(int level, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2),
	    noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2),
	    noreturn));

#endif
