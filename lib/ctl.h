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

#define CTL_PROTO_MAJOR	1
#define CTL_PROTO_MINOR	0
#define CTL_DEFAULT_SOCK "/run/proxyd/proxyd.sock"

/*
 * Table commands and their row fields (numbers are JSON numbers):
 *
 * status:     name, version, uptime_s, neighbours_up, neighbours, routes,
 *             flows, rx_packets, tx_packets, rx_bytes, tx_bytes,
 *             drop_malformed, drop_auth, drop_replay, drop_policy,
 *             drop_noroute, drop_ttl, auth_refused, tun (name or "")
 * neighbours: name, addr ("ip:port" as seen), state ("up", "handshake",
 *             "connecting", "down"), dir ("out", "in"), rtt_ms,
 *             last_rx_s (seconds since last packet, -1 never),
 *             ka_interval_s, dead_after_s, up_s, reconnects
 * routes:     prefix, dest, next_hop ("local" for own prefixes), hops
 * flows:      proto ("ike", "esp", "esp-udp", "icmp", "other"), src, dst
 *             ("ip" or "ip:port"), spi ("0x..." or ""), packets, bytes,
 *             last_seen_s
 */

#endif
