/* SPDX-License-Identifier: ISC */
/*
 * The control socket: a UNIX stream socket speaking JSON lines (lib/ctl.h).
 * Clients say hello first; then each request line is answered with rows
 * and an end line, or an error line.  It only reads state, except for
 * probe (restarts a link's NAT trials) and ping (sends a path echo, and
 * answers when it comes back).
 */
#ifndef PROXYD_CONTROL_H
#define PROXYD_CONTROL_H

#include "proxyd.h"

/* Binds and listens on path (mode 0660, parent created).  NULL on failure. */
struct control	*control_open(struct proxyd *, const char *path);
/* Closes every client and the listener and removes the socket file. */
void		 control_close(struct control *);

#endif
