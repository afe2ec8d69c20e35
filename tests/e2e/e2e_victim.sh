#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: a valid proxy cannot turn the network against an address it names.
# "rogue" (tests/tools/pxrogue, with a certificate from the world's CA)
# links to pub and sends E2E_VICTIM_N (1000) connection requests per phase
# naming a victim (203.0.113.77, its own namespace on the internet) as the
# origin's mapped and LAN address:
#   A. as their own origin, to pub (path [rogue]);
#   B. relayed for made-up origins ghost0.. ghostN, to pub;
#   C. relayed for a real proxy (site-a), to pub;
#   D. relayed for made-up origins, to site-b through pub.
# Meanwhile a strongSwan tunnel between hosta and hostb runs through pub,
# site-a and site-b with a ping every 0.2 s.  Checks: the victim receives
# nothing at all from pub or the sites' NATs (netfilter counters in its
# namespace), pub counts the refused requests of phases B-D (proxyctl
# status: drop_conn_origin; it drops them as a transit hop too, so
# site-b never sees phase D), the ping keeps going (loss <= 5%),
# site-a's channel to site-b stays, and every proxy is still linked.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl jq ping iptables
N=${E2E_VICTIM_N:-1000}
: "${PXROGUE:=$top_builddir/tests/tools/pxrogue}"

e2e_traps

ROGUE=203.0.113.66
VICTIM=203.0.113.77
VPORT=4790

victim_count() { ipt_count victim filter VICTIM; }

both_installed() { child_sa_installed hosta && child_sa_installed hostb; }

# rogue_run PHASE ARGS...: pxrogue in the rogue namespace; its output in
# $WORLD_DIR/rogue-PHASE.out.  Fails if it did not link or send all.
rogue_run() {
	local phase=$1
	shift
	nsx rogue timeout 120 "$PXROGUE" -c "$WORLD_DIR/rogue.conf" -n pub \
	    --rate 500 --hold 3 "$@" >"$WORLD_DIR/rogue-$phase.out" \
	    2>"$WORLD_DIR/rogue-$phase.err"
	local rc=$?
	sed "s/^/# rogue $phase: /" "$WORLD_DIR/rogue-$phase.out"
	[ $rc = 0 ] && grep -q "^sent $N " "$WORLD_DIR/rogue-$phase.out"
}

[ -x "$PXROGUE" ] || bail "tests/tools/pxrogue built ($PXROGUE; make check builds it)"

echo "# world: masquerade NATs, proxies pub, site-a, site-b, a rogue and a victim on the internet (prefix $PXT_PREFIX)"
world_up || bail "world up"
make_certs "$WORLD_DIR/pki" rogue || bail "certificates (rogue's from the same CA)"
inet_host rogue "$ROGUE" && inet_host victim "$VICTIM" || bail "rogue and victim namespaces"
# the victim counts everything that arrives from a proxy of the world
nsx victim iptables -w -N VICTIM &&
nsx victim iptables -w -A INPUT -j VICTIM &&
for src in "$WORLD_PUB_ADDR" "$WORLD_A_WAN" "$WORLD_B_WAN"; do
	nsx victim iptables -w -A VICTIM -s "$src" || exit 1
done || bail "victim counters"
# something listens there, as a victim's service would
ns_bg victim-sink victim timeout 600 python3 -c "
import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', $VPORT))
while True: s.recv(65535)"

proxy_conf rogue listen="$ROGUE:4790" \
    neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT" log=info >/dev/null ||
    bail "rogue config"
for name in pub site-a site-b; do
	proxy_conf_std "$name" >/dev/null || bail "config for $name"
done
charon_start hosta && charon_start hostb || bail "charon started"
swanctl_load hosta && swanctl_load hostb || bail "swanctl loaded"
for name in pub site-a site-b; do
	proxy_start "$(proxy_ns "$name")" "$name" "$WORLD_DIR/$name.conf" ||
	    bail "$name started"
done
wait_for 30 has_route site-a "$WORLD_B_LAN" &&
    wait_for 30 has_route site-b "$WORLD_A_LAN" || bail "routes between the sites"
swanctl_initiate hosta tunnel 20 && wait_for 10 both_installed ||
    bail "tunnel up through the proxies"
ok 0 "tunnel up through pub, site-a and site-b"
channel_a=$(pjson site-a routes | jq -r --arg p "$WORLD_B_LAN" \
    'map(select(.prefix == $p)) | .[0].channel // "none"')
echo "# site-a's channel to site-b before: $channel_a"

base_victim=$(victim_count)
ok "$([ "$base_victim" = 0 ] && echo 0 || echo 1)" "the victim has received nothing before the attack ($base_victim)"

ns_bg pinger hosta ping -n -i 0.2 -w 45 -W 1 -I "$WORLD_A_INNER" \
    "$WORLD_B_INNER"

target="--target $VICTIM:$VPORT"
# shellcheck disable=SC2086
rogue_run A --conn-requests "$N" $target --as-self
ok $? "phase A: rogue linked to pub and sent $N requests as their origin"
# shellcheck disable=SC2086
rogue_run B --conn-requests "$N" $target --origin-prefix ghost
ok $? "phase B: $N requests relayed for made-up origins"
# shellcheck disable=SC2086
rogue_run C --conn-requests "$N" $target --origin site-a
ok $? "phase C: $N requests relayed for the real site-a"
# shellcheck disable=SC2086
rogue_run D --conn-requests "$N" $target --origin-prefix far --dst site-b
ok $? "phase D: $N requests for site-b through pub"
# punches go out for up to 12 s after a request: wait that long
sleep 13

got=$(victim_count)
echo "# victim: $got packet(s) from pub or the sites' NATs"
ok "$([ "$got" = 0 ] && echo 0 || echo 1)" "the victim received nothing from the proxies ($got packets)"

ns_bg_wait pinger 60
sleep 1
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$WORLD_DIR/pinger.out")
recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$WORLD_DIR/pinger.out")
echo "# ping through the tunnel during the attack: $recv of $sent answered"
[ -n "$sent" ] && [ -n "$recv" ] && [ "$sent" -ge 50 ] &&
    [ $((recv * 100)) -ge $((sent * 95)) ]
ok $? "the tunnel's ping kept going ($recv of $sent, at least 95%)"
channel_a2=$(pjson site-a routes | jq -r --arg p "$WORLD_B_LAN" \
    'map(select(.prefix == $p)) | .[0].channel // "none"')
echo "# site-a's channel to site-b after: $channel_a2"
[ "$channel_a2" = relay ] || [ "$channel_a2" = direct ]
ok $? "site-a's channel to site-b stays ($channel_a2)"
nsx hosta ping -n -q -c 3 -W 2 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null
ok $? "ping through the tunnel after the attack"

for name in pub site-b; do
	o=$(pstatus "$name" drop_conn_origin) l=$(pstatus "$name" drop_conn_limit)
	echo "# $name: drop_conn_origin=$o drop_conn_limit=$l drop_malformed=$(pstatus "$name" drop_malformed) drop_punch_limit=$(pstatus "$name" drop_punch_limit)"
done
o=$(pstatus pub drop_conn_origin)
[ -n "$o" ] && [ "$o" -ge $((3 * N)) ]
ok $? "pub counts the requests relayed for origins the topology does not link to rogue (drop_conn_origin $o >= $((3 * N)))"
for p in site-a site-b; do
	neighbour_up "$p" pub
	ok $? "$p still linked to pub"
done

t_summary
