/* SPDX-License-Identifier: ISC */
/*
 * The TUN device: created with the configured name and MTU, brought up,
 * read until empty on every readiness event into a frame with headroom
 * for the link header, so a packet is sealed where it was read.
 */
#ifndef PROXYD_TUN_H
#define PROXYD_TUN_H

#include <stddef.h>
#include <stdint.h>

#include "proxyd.h"

struct tun;

/* Opens, configures and starts reading the TUN.  NULL on failure (logged). */
struct tun	*tun_open(struct proxyd *, const char *name, int mtu);
void		 tun_close(struct tun *);
/* Writes one IP packet; 0 or -1. */
int		 tun_write(struct tun *, const uint8_t *, size_t);
int		 tun_ifindex(const struct tun *);
const char	*tun_name(const struct tun *);

#endif
