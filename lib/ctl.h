/* SPDX-License-Identifier: ISC */
/*
 * The control protocol between proxyctl and proxyd: JSON lines over a UNIX
 * stream socket.  See README "Control protocol".
 *
 * Client: {"id":0,"cmd":"hello","v":[1,0],"client":"proxyctl 0.1"}
 * Server: {"id":0,"ok":true,"v":[1,0],"server":"proxyd 0.1"}
 * Client: {"id":N,"cmd":"neighbours"}            (any table command)
 * Server: {"id":N,"row":{...}} per row, then {"id":N,"end":true,"rows":K}
 * Errors: {"id":N,"ok":false,"error":"CODE","msg":"text"}
 */
#ifndef PROXYD_CTL_H
#define PROXYD_CTL_H

/*
 * 1.1: reload.  2.0: lists are JSON arrays and absent values null, one
 * way only; the hello answer has "version" ("MAJOR.MINOR"); neighbours has
 * last_error.
 */
#define CTL_PROTO_MAJOR	2
#define CTL_PROTO_MAJOR_STR "2"
#define CTL_PROTO_MINOR	0
#define CTL_DEFAULT_SOCK "/run/proxyd/proxyd.sock"

/*
 * Commands the daemon answers (proxyd/control.c's table; proxyctl has a
 * subcommand for each but hello).  ARG: the first string of "args".
 *
 * hello       version handshake; must come first (above)
 * status      one row: name, version, uptime, traffic and drop counters,
 *             rekeys, the own certificate's remaining time and warning
 * neighbours  a row per neighbour link: state, RTT, keepalive, rekeys,
 *             key age, the peer certificate's remaining time ("neighbors")
 * nat         a row per up link: the NAT type each end measured
 * probe ARG   restarts the NAT-type trials toward neighbour ARG
 * topology    a row per advertisement in the link-state database
 * routes      a row per route: prefix, destination, next hop, channel
 * flows       a row per IKE/ESP conversation seen on the data path
 * explain ARG why traffic to proxy or address ARG is relayed or direct
 * ping ARG    echo to proxy ARG and back, hop by hop: a row when answered
 * reload      read the configuration file again, all or nothing: rows of
 *             {"text"} saying what was done, or an error "reload_refused"
 *             with every error in "msg" (a line each) and "errors" (since
 *             minor version 1)
 */

/*
 * Every reply's fields, with type and meaning, are documented in one place:
 * proxyctl(8), section JSON (tests/e2e/e2e_json.sh checks the daemon
 * against those tables).  Lists are JSON arrays; a value that is absent or
 * not known is null (never "", -1 or 0).
 */

#endif
