/* SPDX-License-Identifier: ISC */
/*
 * The privilege drop: once everything that needs root is set up, proxyd
 * becomes the configured 'user' and keeps only CAP_NET_ADMIN, which it
 * needs for as long as it runs (routes on its TUN, forced socket buffers).
 */
#ifndef PROXYD_PRIVS_H
#define PROXYD_PRIVS_H

#include <stddef.h>

#include "proxyd.h"

/*
 * Checks that c's 'user', if set, names an account on this system other
 * than root (uid and gid both non-zero).  Returns 0, or -1 with the reason
 * in msg as "FILE:LINE: 'user' 'NAME' problem".  For proxyd -t and start-up.
 */
int	privs_check(const struct conf *c, char *msg, size_t len);

/*
 * Without 'user', logs once that proxyd stays root.  Otherwise gives the
 * control socket to the user and its group, then switches to the user
 * for good: supplementary groups, real, effective and saved ids; keeps
 * CAP_NET_ADMIN effective and permitted only (nothing inheritable or
 * ambient); sets no_new_privs; and checks the result.  Any failure is
 * fatal: proxyd never goes on as root by accident.  Call once, as root,
 * after the last set-up step that needs root and before the event loop.
 */
void	privs_drop(struct proxyd *px);

#endif
