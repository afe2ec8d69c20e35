/* SPDX-License-Identifier: ISC */
/*
 * The TUN device: created with the configured name and MTU, brought up,
 * read until empty on every readiness event into a frame with headroom
 * for the link header, so a packet is sealed where it was read.
 */
#ifndef PROXYD_TUN_H
#define PROXYD_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proxyd.h"

struct tun;

/*
 * What becomes of a packet read from the TUN: it sits at
 * frame + PKT_DATA_HEADROOM, len bytes, in the send batch's current slot.
 */
typedef void	(*tun_input_fn)(struct proxyd *, uint8_t *frame, size_t len);

/*
 * Opens, configures and starts reading the TUN; every packet read goes to
 * input.  NULL on failure (logged).
 */
struct tun	*tun_open(struct proxyd *, const char *name, int mtu,
		    tun_input_fn input);
void		 tun_close(struct tun *);
/*
 * Sends one IP packet to the LAN: written at once, or held to go out with
 * the next ones of its flow as one GSO frame at the latest on tun_flush(),
 * which every read loop calls at the end of its burst.  Counted in tun_tx.
 */
void		 tun_send(struct tun *, const uint8_t *, size_t);
void		 tun_flush(struct tun *);
int		 tun_ifindex(const struct tun *);
const char	*tun_name(const struct tun *);

#endif
