/* SPDX-License-Identifier: ISC */
/*
 * Revocation: the newest CRL of the network CA this proxy holds, from
 * 'tls.crl' or from a neighbour, in force at every handshake; links with
 * a peer it revokes closed; and flooded, so that revoking a proxy needs
 * the new CRL on one proxy only.  A CRL is used or passed on only once
 * verified (issued and signed by the CA, lib/crl.h); newer means a higher
 * CRL number.  Flooding follows the advertisements' rule: a newer CRL is
 * adopted and sent to every other neighbour, an older one gets ours back,
 * and a link that comes up gets ours.
 */
#ifndef PROXYD_REVOKE_H
#define PROXYD_REVOKE_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "pkt.h"
#include "proxyd.h"

struct link;

#define REVOKE_VERIFY_PER_S	20	/* CRL signature checks per second */

/* Loads the CA and 'tls.crl' (if set) and puts it in force.  0 or -1. */
int	revoke_init(struct proxyd *);
void	revoke_free(struct proxyd *);
/*
 * The reload hook (reload.c, after the new configuration and TLS context
 * are in place): the CA file is read again, the CRL in force is put in
 * the (new) context, and 'tls.crl' is read again and adopted if newer
 * than the one in force.  Also called by revoke_tick()
 * when the file's modification time or size changed.  0, or -1 (logged:
 * the CRL in force stays).
 */
int	revoke_reload(struct proxyd *);
/* Once a second: notices a changed 'tls.crl'. */
void	revoke_tick(struct proxyd *);
/* A link came up: its peer checked against our CRL, then sent it. */
void	revoke_link_up(struct link *);
/* A CRL message from a neighbour. */
void	revoke_input(struct link *, const struct pkt_crl *);
/*
 * Whether cert is revoked by the CRL in force (for checks of certificates
 * that did not come through a handshake, e.g. an advertisement's signer).
 */
bool	revoke_is_revoked(const struct proxyd *, X509 *cert);
/* The CRL number in force (0: none or unnumbered); whether one is. */
uint64_t revoke_crl_number(const struct proxyd *, bool *have);

#endif
