#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# The data path's drops, each counted where it happens:
#  - forwarding policy: site-a's TUN gets plain UDP (policy "ike esp
#    icmp"): drop_policy at site-a, one per packet;
#  - no route: site-a's TUN gets packets for a prefix no proxy claims (the
#    host routes 10.98.0.0/24 into the TUN by hand): drop_noroute at
#    site-a, one per packet;
#  - TTL: a chain of 16 relays (r01 .. r16, one namespace, each linked
#    only to its two chain neighbours: a firewall stops the shortcuts the
#    proxies would learn from the topology).  "near" (prefix 10.97.0.0/24)
#    hangs off r15, 16 hops from site-a; "far" (10.99.0.0/24) off r16, 17
#    hops.  A packet leaves site-a with TTL PKT_TTL_DEFAULT (16) and every
#    relay lowers it: near answers pings (16 hops are allowed, both ways),
#    while every ping to far dies at r16 (drop_ttl at r16, none at r15, and
#    far never sees one).  The connection request toward far, carrying a
#    path of PKT_PATH_MAX proxies by then, is dropped at r16 as well.
#
#   site-a -- r01 -- r02 -- ... -- r15 -- r16 -- far
#   (NAT A)                         |
#                                  near

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq python3 ping

e2e_traps

RELAYS=16
CHAIN_NET=203.0.113.	# r01 = .101 ... r16 = .116
FAR_ADDR=203.0.113.117 NEAR_ADDR=203.0.113.118
FAR_NET=10.99.0.0/24 FAR_HOST=10.99.0.1
NEAR_NET=10.97.0.0/24 NEAR_HOST=10.97.0.1
UNROUTED_NET=10.98.0.0/24 UNROUTED_HOST=10.98.0.1
N=5	# packets per check

TTL=$(sed -n 's/^#define[[:space:]]*PKT_TTL_DEFAULT[[:space:]]*\([0-9]*\).*/\1/p' \
    "$top_srcdir/lib/pkt.h")

r() { printf 'r%02d\n' "$1"; }		# relay name
raddr() { echo "$CHAIN_NET$((100 + $1))"; }	# relay address
is_count() { [[ ${1:-} =~ ^[0-9]+$ ]]; }

# pjson_ok NAME COMMAND: pjson, but it fails (printing nothing) when
# proxyctl fails, so an unreadable proxy is never read as an empty table.
pjson_ok() {
	local out
	out=$(pctl "$(proxy_ns "$1")" "$(proxy_sock "$1")" -j "$2") || return 1
	jq -cs '[ .[] | if type == "array" then .[] else . end
		  | if type == "object" and has("row") then .row else . end
		  | select(type != "object" or (has("end") | not)) ]' <<<"$out"
}
# stat_of NAME FIELD: a status counter; fails unless it reads as a number.
stat_of() {
	local v
	v=$(pjson_ok "$1" status | jq -r --arg f "$2" '.[0][$f] // empty') &&
	    is_count "$v" && echo "$v"
}
# route_is PROXY PREFIX DEST NEXT_HOP HOPS
route_is() {
	pjson_ok "$1" routes | jq -e --arg p "$2" --arg d "$3" --arg n "$4" \
	    --arg h "$5" 'any(.[]; .prefix == $p and .dest == $d and
		.next_hop == $n and (.hops | tostring) == $h)' >/dev/null
}
route_row() {
	pjson "$1" routes | jq -c --arg p "$2" 'map(select(.prefix == $p)) | .[0] // empty'
}
# ping_n DST: N pings from pxa to DST (no deadline: with -w, ping would
# go on sending until N replies came); prints the replies.
ping_n() {
	nsx pxa timeout 20 ping -n -c "$N" -i 0.3 -W 3 "$1" 2>/dev/null |
	    sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p'
}
chain_links_up() {
	local k
	neighbour_up site-a r01 || return 1
	for k in $(seq 2 "$RELAYS"); do
		neighbour_up "$(r "$k")" "$(r $((k - 1)))" || return 1
	done
	neighbour_up far r16 && neighbour_up near r15
}

# Firewalls: the chain's namespace takes UDP only between chain neighbours
# (and from site-a's NAT to r01, from far to r16, from near to r15); far
# and near take UDP only from their relay.  One iptables-restore each.
firewall() {
	local k a b
	{
		echo '*filter'
		for k in $(seq 1 $((RELAYS - 1))); do
			a=$(raddr "$k") b=$(raddr $((k + 1)))
			echo "-A INPUT -p udp -s $a -d $b -j ACCEPT"
			echo "-A INPUT -p udp -s $b -d $a -j ACCEPT"
		done
		echo "-A INPUT -p udp -s $WORLD_A_WAN -d $(raddr 1) -j ACCEPT"
		echo "-A INPUT -p udp -s $FAR_ADDR -d $(raddr 16) -j ACCEPT"
		echo "-A INPUT -p udp -s $NEAR_ADDR -d $(raddr 15) -j ACCEPT"
		echo "-A INPUT -p udp -j DROP"
		echo COMMIT
	} | nsx chain iptables-restore -w -n || return 1
	printf '*filter\n-A INPUT -p udp -s %s -j ACCEPT\n-A INPUT -p udp -j DROP\nCOMMIT\n' \
	    "$(raddr 16)" | nsx far iptables-restore -w -n &&
	printf '*filter\n-A INPUT -p udp -s %s -j ACCEPT\n-A INPUT -p udp -j DROP\nCOMMIT\n' \
	    "$(raddr 15)" | nsx near iptables-restore -w -n
}

echo "# world: site-a, a chain of $RELAYS relays, near and far (prefix $PXT_PREFIX); TTL $TTL"
world_up || bail "world up"
ok 0 "world up"
[ -x "$PROXYD" ] || bail "daemon built ($PROXYD)"
[ "$TTL" = "$RELAYS" ] ||
    bail "PKT_TTL_DEFAULT (${TTL:-unreadable}) is the chain's length ($RELAYS): the test's arithmetic holds"
names=$(for k in $(seq 1 "$RELAYS"); do r "$k"; done | xargs)
# shellcheck disable=SC2086
make_certs "$WORLD_DIR/pki" $names far near || bail "certificates"
inet_host chain "$(raddr 1)" && inet_host far "$FAR_ADDR" &&
    inet_host near "$NEAR_ADDR" || bail "internet hosts chain, far, near"
for k in $(seq 2 "$RELAYS"); do
	nsx chain ip addr add "$(raddr "$k")/24" dev eth0 || bail "address $(raddr "$k")"
done
nsx near ip addr add "$NEAR_HOST/32" dev lo || bail "near's host address"
firewall || bail "firewalls in chain, far and near"
ok 0 "chain, far and near on the internet side, firewalled to the chain's shape"

conf=$(proxy_conf r01 listen="$(raddr 1):4790" alt_port=none) &&
    proxy_start chain r01 "$conf" || bail "r01 started"
for k in $(seq 2 "$RELAYS"); do
	conf=$(proxy_conf "$(r "$k")" listen="$(raddr "$k"):4790" alt_port=none \
	    neighbours="$(r $((k - 1)))@$(raddr $((k - 1))):4790") &&
	    proxy_start chain "$(r "$k")" "$conf" || bail "$(r "$k") started"
done
conf=$(proxy_conf far listen="$FAR_ADDR:4790" alt_port=none \
    neighbours="r16@$(raddr 16):4790" prefixes="$FAR_NET") &&
    proxy_start far far "$conf" || bail "far started"
conf=$(proxy_conf near listen="$NEAR_ADDR:4790" alt_port=none \
    neighbours="r15@$(raddr 15):4790" prefixes="$NEAR_NET") &&
    proxy_start near near "$conf" || bail "near started"
conf=$(proxy_conf_std site-a neighbours="r01@$(raddr 1):4790") &&
    proxy_start pxa site-a "$conf" || bail "site-a started"
ok 0 "$((RELAYS + 3)) proxies started"

wait_for 60 chain_links_up
ok $? "every link of the chain is up"
wait_for 60 route_is site-a "$FAR_NET" far r01 $((RELAYS + 1))
ok $? "site-a routes $FAR_NET to far via r01 in $((RELAYS + 1)) hops ($(route_row site-a "$FAR_NET"))"
wait_for 30 route_is site-a "$NEAR_NET" near r01 "$RELAYS"
ok $? "site-a routes $NEAR_NET to near via r01 in $RELAYS hops ($(route_row site-a "$NEAR_NET"))"
wait_for 30 route_is near "$WORLD_A_LAN" site-a r15 "$RELAYS"
ok $? "near routes $WORLD_A_LAN back to site-a via r15 in $RELAYS hops"

# ---- forwarding policy: plain UDP into site-a's TUN
p0=$(stat_of site-a drop_policy) t0=$(stat_of site-a tun_rx)
nsx pxa python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[2])):
    s.sendto(b"not ike, esp or icmp", (sys.argv[1], 9))' "$FAR_HOST" "$N" ||
    bail "UDP sent from pxa"
sleep 0.5
p1=$(stat_of site-a drop_policy) t1=$(stat_of site-a tun_rx)
is_count "$p0" && is_count "$p1" && [ $((p1 - p0)) = "$N" ]
ok $? "policy: $N plain UDP packets into site-a's TUN are each counted in drop_policy (${p0:-?} -> ${p1:-?}; tun_rx ${t0:-?} -> ${t1:-?})"

# ---- no route: a prefix no proxy claims, routed into the TUN by hand
nsx pxa ip route add "$UNROUTED_NET" dev pxy0 || bail "route $UNROUTED_NET into pxy0 on pxa"
n0=$(stat_of site-a drop_noroute)
got=$(ping_n "$UNROUTED_HOST")
n1=$(stat_of site-a drop_noroute)
is_count "$n0" && is_count "$n1" && [ $((n1 - n0)) = "$N" ] && [ "${got:-0}" = 0 ]
ok $? "no route: $N pings to $UNROUTED_HOST into site-a's TUN are each counted in drop_noroute (${n0:-?} -> ${n1:-?}; ${got:-0} replies)"

# ---- TTL: 17 hops are one too many, 16 are not
ttl16_0=$(stat_of r16 drop_ttl) ttl15_0=$(stat_of r15 drop_ttl)
nr16_0=$(stat_of r16 drop_noroute)
farflows0=$(pjson_ok far flows | jq 'length')
got=$(ping_n "$FAR_HOST")
sleep 0.5
ttl16_1=$(stat_of r16 drop_ttl) ttl15_1=$(stat_of r15 drop_ttl)
nr16_1=$(stat_of r16 drop_noroute)
farflows1=$(pjson_ok far flows | jq 'length')
echo "# ping $FAR_HOST: ${got:-0}/$N replies; r16 drop_ttl ${ttl16_0:-?} -> ${ttl16_1:-?}, r15 drop_ttl ${ttl15_0:-?} -> ${ttl15_1:-?}, far's flows ${farflows0:-?} -> ${farflows1:-?}"
is_count "$ttl16_0" && is_count "$ttl16_1" && [ $((ttl16_1 - ttl16_0)) = "$N" ] &&
    [ "${got:-0}" = 0 ]
ok $? "TTL: each of $N pings to far ($((RELAYS + 1)) hops) is counted in drop_ttl at r16, the ${RELAYS}th relay (+$(( ${ttl16_1:-0} - ${ttl16_0:-0} )))"
is_count "$ttl15_0" && [ "$ttl15_1" = "$ttl15_0" ] && is_count "$farflows0" &&
    [ "$farflows1" = "$farflows0" ]
ok $? "TTL: none died earlier (r15 drop_ttl +$(( ${ttl15_1:-0} - ${ttl15_0:-0} ))) and none reached far (flows ${farflows0:-?} -> ${farflows1:-?})"
is_count "$nr16_0" && is_count "$nr16_1" && [ "$nr16_1" -gt "$nr16_0" ]
ok $? "the connection request toward far, $RELAYS proxies on its path, is dropped at r16 (drop_noroute ${nr16_0:-?} -> ${nr16_1:-?})"
got=$(ping_n "$NEAR_HOST")
[ "${got:-0}" = "$N" ]
ok $? "TTL: pings to near ($RELAYS hops each way) are all answered (${got:-0}/$N)"

t_summary
