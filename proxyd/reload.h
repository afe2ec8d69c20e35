/* SPDX-License-Identifier: ISC */
/*
 * Live reload (proxyctl reload, SIGHUP), all or nothing as bgpd does it:
 * the file is loaded and checked whole first (lib/conf.c, the user, the
 * certificate's name, the TLS files, the keys that cannot change live);
 * on any error the running configuration stays.  Otherwise only the
 * difference (lib/confdiff.c) is applied, and what it does not concern
 * (links, channels, flows, routes) is not touched.
 */
#ifndef PROXYD_RELOAD_H
#define PROXYD_RELOAD_H

#include <stdbool.h>

#include "conf.h"
#include "proxyd.h"

struct reload_result {
	bool		 ok;
	/* ok: what was done, one line each; else: every error, */
	/* "FILE:LINE: ..." where a line is known */
	struct conf_errs lines;
	size_t		 n_changed;	/* ok: changes applied */
};

/*
 * Reloads px->conf_path.  Returns 0 (applied; r->lines says what) or -1
 * (refused; r->lines has the errors, and nothing changed).  Every line is
 * also logged.  The caller releases r with reload_result_release().  May
 * be called from a callback (control.c, the SIGHUP event): it links and
 * unlinks through link.c, which reports to the engines as usual.
 */
int	reload_run(struct proxyd *, struct reload_result *r);
void	reload_result_release(struct reload_result *);

#endif
