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
 * status      one row: name, version, uptime, traffic and drop counters
 * neighbours  a row per neighbour link: state, RTT, keepalive ("neighbors")
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
 * Table commands and their row fields (numbers are JSON numbers):
 *
 * status:     name, version, uptime_s, neighbours_up, neighbours, routes,
 *             flows, rx_packets, tx_packets, rx_bytes, tx_bytes, tun_rx,
 *             tun_tx, tun_gso, frag_tx, frag_rx, frag_joined (DATA split
 *             for a path's MTU: pieces sent, pieces received, messages
 *             joined), drop_frag, drop_toobig, drop_malformed, drop_auth, drop_replay,
 *             drop_nosession, drop_policy, drop_noroute, drop_ttl,
 *             drop_hs_limit, drop_cookie (handshake with a bad or stale
 *             cookie), hs_cookies (cookies sent to unproven sources),
 *             drop_probe_limit, drop_probe_target (a probe target nobody
 *             observed), drop_punch_limit, drop_conn_origin (a
 *             connection request whose path the topology does not
 *             hold), drop_conn_limit (a requester's channel slots
 *             full), drop_queue, queued,
 *             conn_requests, proxies, conflicts, auth_refused,
 *             clones_detected, clone_refused, tun (name
 *             or ""), ctl_clients, ctl_queued, ctl_refused,
 *             ctl_idle_closed, ctl_unread_dropped (control socket)
 * neighbours: name, addr ("ip:port" as seen), state ("up", "handshake",
 *             "connecting", "down"), dir ("out", "in"), rtt_ms,
 *             last_rx_s (seconds since last packet, -1 never),
 *             ka_interval_s, dead_after_s, up_s, reconnects, rx_packets,
 *             tx_packets, pmtu (the link's measured path MTU, 0 when down),
 *             clone ("ip:port" of a second live proxy with
 *             this name, "" for none), clone_s (-1 for none),
 *             clone_held, clone_refused
 * routes:     prefix, dest, next_hop ("local" for own prefixes), hops,
 *             cost, path_nat, path_nat_from, channel, channel_s, direct,
 *             reason, decision, conflict (true if another proxy claims an
 *             overlapping prefix: route_conflicts())
 * flows:      proto ("ike", "esp", "esp-udp", "icmp", "other"), src, dst
 *             ("ip" or "ip:port"), spi ("0x..." or ""), packets, bytes,
 *             last_seen_s
 * topology:   origin, seq, age_s, endpoint ("ip:port" or ""), prefixes
 *             ("a.b.c.d/n ..."), links (array of objects {"peer": name,
 *             "nat": NAT type name, "cost": number}, in advertised order),
 *             reachable (bool)
 */

#endif
