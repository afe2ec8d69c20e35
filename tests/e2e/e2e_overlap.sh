#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Issue 15: sites with the same LAN range.  Site A and site B are both on
# 192.168.1.0/24, each behind its own masquerading NAT, with the endpoint
# at 192.168.1.2 in both.  Their proxies give them the aliases
# 10.201.1.0/24 (A) and 10.201.2.0/24 (B) and translate 1:1 (lib/netmap.c).
# A third site C (10.3.0.0/24, plain) and the public proxy "pub" complete
# the network.
#
#   1. only the aliases are advertised; routes and topology show them with
#      their owner, and the owner with its real prefix;
#   2. plain pings A <-> B (by alias) and C -> A, C -> B;
#   3. a strongSwan tunnel hosta -> hostb's alias comes up through the
#      proxies; IKE on hosta reports that it is itself behind a NAT (which
#      encap = yes cannot fake) and moves to UDP 4500; flows show both
#      addresses of the translated endpoint; a ping and a TCP transfer
#      cross it;
#   4. path MTU: site B's proxy host forwards to hostb with a 1300-byte
#      route MTU, so a 1378-byte ping with DF from hosta gets
#      "fragmentation needed" from 192.168.1.3 in site B, translated on the
#      way (outer and embedded headers); hosta learns mtu 1300 for the
#      alias and a 1300-byte ping succeeds after;
#   5. raw ESP (IP 50) from hosta to hostb's alias is refused and counted;
#   6. the tunnel's throughput through translating proxies next to the same
#      tunnel between the endpoints' untranslated 172.16.x.2 addresses, in
#      the same run (E2E_OVERLAP_OUT, if set, gets the numbers and the IKE
#      log line).

set -u
WORLD_A_LAN=192.168.1.0/24 WORLD_B_LAN=192.168.1.0/24
WORLD_A_GW=192.168.1.1     WORLD_B_GW=192.168.1.1
WORLD_A_HOST=192.168.1.2   WORLD_B_HOST=192.168.1.2
WORLD_A_PX=192.168.1.3     WORLD_B_PX=192.168.1.3
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl jq ping iperf3 python3
CHARON_RETRANSMIT="5 1 1.5"
ALIAS_A=10.201.1.0/24 ALIAS_B=10.201.2.0/24
A_ALIAS_HOST=10.201.1.2 B_ALIAS_HOST=10.201.2.2
B_ALIAS_PX=10.201.2.3
# site C: its NAT on the public bridge
WORLD_C_LAN=10.3.0.0/24 WORLD_C_WAN=203.0.113.30
C_GW=10.3.0.1 C_HOST=10.3.0.10 C_PX=10.3.0.2
# untranslated IKE addresses for the comparison tunnel
A_PLAIN=172.16.1.2 B_PLAIN=172.16.2.2
OUT=${E2E_OVERLAP_OUT:-}

e2e_traps

site_c_up() {
	_ns_new natc && _veth inet p-natc natc wan &&
	_w ip -n "$(ns inet)" link set p-natc master brpub &&
	_w ip -n "$(ns natc)" addr add "$WORLD_C_WAN/24" dev wan &&
	_w ip -n "$(ns natc)" route add default via "$WORLD_PUB_GW" &&
	_bridge natc br0 "$C_GW/24" &&
	nsx natc sysctl -qw net.ipv4.ip_forward=1 >/dev/null &&
	_lan_host c hostc "$C_HOST" "$C_GW" &&
	_lan_host c pxc "$C_PX" "$C_GW" &&
	nsx pxc sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
	    >/dev/null &&
	nat_mode c masquerade
}

routes_installed() {
	has_route site-a "$ALIAS_B" && has_route site-b "$ALIAS_A" &&
	has_route site-c "$ALIAS_A" && has_route site-c "$ALIAS_B" &&
	has_route site-a "$WORLD_C_LAN" && has_route site-b "$WORLD_C_LAN" &&
	has_route site-a 172.16.2.0/24 && has_route site-b 172.16.1.0/24
}

# iperf_tcp NAME: 5 s of TCP 172.16.1.1 -> 172.16.2.1; prints Mbit/s.
iperf_tcp() {
	local bps
	nsx hostb sh -c "ss -ltn | grep -q '$WORLD_B_INNER:5201'" ||
	    return 1
	nsx hosta timeout 30 iperf3 -c "$WORLD_B_INNER" -B "$WORLD_A_INNER" \
	    -t 5 -J >"$WORLD_DIR/iperf3-$1.json" 2>"$WORLD_DIR/iperf3-$1.err"
	bps=$(jq '.end.sum_received.bits_per_second // 0 | floor' \
	    "$WORLD_DIR/iperf3-$1.json" 2>/dev/null)
	echo $(( ${bps:-0} / 1000000 ))
}

installed() { child_sa_installed hosta "$1" && child_sa_installed hostb "$1"; }

echo "# world: sites A and B both on $WORLD_A_LAN behind masquerading NATs, site C on $WORLD_C_LAN (prefix $PXT_PREFIX)"
world_up || bail "world up"
site_c_up || bail "site C up"
ok 0 "world up: two sites on $WORLD_A_LAN, a third on $WORLD_C_LAN"
for h in hosta hostb; do
	s=${h#host}
	nsx "$h" ip addr add "172.16.$([ "$s" = a ] && echo 1 || echo 2).2/32" \
	    dev lo || bail "plain address on $h"
done
_w ip -n "$(ns hosta)" route add "$ALIAS_B" via "$WORLD_A_PX" &&
_w ip -n "$(ns hosta)" route add "$WORLD_C_LAN" via "$WORLD_A_PX" &&
_w ip -n "$(ns hostb)" route add "$ALIAS_A" via "$WORLD_B_PX" &&
_w ip -n "$(ns hostb)" route add "$WORLD_C_LAN" via "$WORLD_B_PX" &&
_w ip -n "$(ns hostc)" route add 10.201.0.0/16 via "$C_PX" &&
_w ip -n "$(ns pxa)" route add 172.16.1.0/24 via "$WORLD_A_HOST" &&
_w ip -n "$(ns pxb)" route add 172.16.2.0/24 via "$WORLD_B_HOST" ||
    bail "endpoint routes"

# certificates bind what is advertised: the aliases, not the real LANs
make_certs "$WORLD_DIR/pki" site-c "site-a=$ALIAS_A,172.16.1.0/24" \
    "site-b=$ALIAS_B,172.16.2.0/24" || bail "certificates"
proxy_conf_std pub >/dev/null &&
proxy_conf site-a neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT" \
    prefixes="$WORLD_A_LAN=$ALIAS_A 172.16.1.0/24" >/dev/null &&
proxy_conf site-b neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT" \
    prefixes="$WORLD_B_LAN=$ALIAS_B 172.16.2.0/24" >/dev/null &&
proxy_conf site-c neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT" \
    prefixes="$WORLD_C_LAN" >/dev/null || bail "configurations"
for name in site-a site-b; do
	"$PROXYD" -t -c "$WORLD_DIR/$name.conf" >"$WORLD_DIR/$name.t" 2>&1
	ok $? "proxyd -t accepts $name's alias configuration"
done
for name in pub site-a site-b site-c; do
	short=$(proxy_ns "$name" 2>/dev/null) || short=pxc
	proxy_start "$short" "$name" "$WORLD_DIR/$name.conf" ||
	    bail "$name started"
done
if ! wait_for 40 routes_installed; then
	for name in site-a site-b site-c; do
		echo "# $name routes: $(pjson "$name" routes 2>&1)"
	done
	bail "every site routes the others' advertised prefixes"
fi
ok 0 "every site routes the others' advertised prefixes"

# ---- 1. what is advertised and shown
for name in site-a site-b site-c pub; do
	n=$(pjson "$name" topology | jq '[.[] | select((.prefixes // []) | any(test("192\\.168\\.")))] | length')
	[ "${n:-1}" = 0 ]
	ok $? "$name's topology holds no 192.168.x prefix (real ranges stay private)"
done
pjson site-c routes | jq -e --arg a "$ALIAS_A" --arg b "$ALIAS_B" \
    'any(.[]; .prefix == $a and .dest == "site-a") and any(.[]; .prefix == $b and .dest == "site-b")' >/dev/null
ok $? "site-c routes each alias to its owner"
pjson site-a routes | jq -e --arg a "$ALIAS_A" --arg r "$WORLD_A_LAN" \
    'any(.[]; .prefix == $a and .alias_of == $r and .hops == 0)' >/dev/null
ok $? "site-a's routes show its alias as 'alias of $WORLD_A_LAN'"
pjson site-a topology | jq -e --arg a "$ALIAS_A" --arg r "$WORLD_A_LAN" \
    'any(.[]; .origin == "site-a" and (.aliases | type) == "array" and any(.aliases[]; .alias == $a and .real == $r))' >/dev/null
ok $? "site-a's topology row lists its alias with the real prefix"
echo "# site-a routes (table):"
pctl pxa "$(proxy_sock site-a)" routes | sed 's/^/#   /'
grep -q "prefix $WORLD_A_LAN is known to the network as $ALIAS_A" "$WORLD_DIR/site-a.log"
ok $? "site-a logs its alias at start"

# ---- 2. plain reachability by alias, and from the third site
nsx hosta ping -n -q -c 3 -W 2 "$B_ALIAS_HOST" >/dev/null
ok $? "hosta ($WORLD_A_HOST) pings hostb by its alias $B_ALIAS_HOST"
nsx hostb ping -n -q -c 3 -W 2 "$A_ALIAS_HOST" >/dev/null
ok $? "hostb ($WORLD_B_HOST) pings hosta by its alias $A_ALIAS_HOST"
nsx hostc ping -n -q -c 3 -W 2 "$A_ALIAS_HOST" >/dev/null
ok $? "site C's host pings site A's endpoint ($A_ALIAS_HOST)"
nsx hostc ping -n -q -c 3 -W 2 "$B_ALIAS_HOST" >/dev/null
ok $? "site C's host pings site B's endpoint ($B_ALIAS_HOST)"
pjson site-a flows | jq -e --arg c "$C_HOST" --arg a "$A_ALIAS_HOST" --arg r "$WORLD_A_HOST" \
    'any(.[]; .proto == "icmp" and .src == $c and .dst == $a and .translated == "dst" and .real == $r)' >/dev/null
ok $? "site-a's flows show C's ping to $A_ALIAS_HOST with the real $WORLD_A_HOST"
pctl pxa "$(proxy_sock site-a)" explain "$A_ALIAS_HOST" >"$WORLD_DIR/explain-a.txt" 2>&1
grep -q "$A_ALIAS_HOST is the alias of $WORLD_A_HOST" "$WORLD_DIR/explain-a.txt"
ok $? "site-a explains $A_ALIAS_HOST as the alias of $WORLD_A_HOST"

# ---- 3. the IPsec tunnel to the alias
charon_start hosta && charon_start hostb || bail "charon started"
swanctl_load hosta "alias=$B_ALIAS_HOST" "plain=$B_PLAIN,$A_PLAIN" &&
swanctl_load hostb "alias=$A_ALIAS_HOST" "plain=$A_PLAIN,$B_PLAIN" ||
    bail "swanctl configurations loaded"
swanctl_initiate hosta alias 20
ok $? "IKE from hosta to hostb's alias $B_ALIAS_HOST completes"
wait_for 10 installed alias
ok $? "CHILD_SA 'alias' installed on both endpoints"
logA=$(_charon_dir hosta)/run/charon.log
logB=$(_charon_dir hostb)/run/charon.log
natline=$(grep -m1 'local host is behind NAT' "$logA")
[ -n "$natline" ]
ok $? "hosta's IKE detects that it is behind a NAT: ${natline:-none}"
grep -q 'remote host is behind NAT' "$logB"
ok $? "hostb's IKE sees hosta behind a NAT"
grep -Eq "sending packet: from $WORLD_A_HOST\[4500\] to $B_ALIAS_HOST\[4500\]" "$logA"
ok $? "hosta's IKE moved to UDP 4500"
pjson site-a flows | jq -e --arg a "$A_ALIAS_HOST:4500" --arg b "$B_ALIAS_HOST:4500" --arg r "$WORLD_A_HOST" \
    'any(.[]; .proto == "ike" and .src == $a and .dst == $b and .translated == "src" and .real == $r)' >/dev/null
ok $? "site-a's flows show IKE on 4500 from alias $A_ALIAS_HOST, real $WORLD_A_HOST"
echo "# site-a flows (table):"
pctl pxa "$(proxy_sock site-a)" flows | sed 's/^/#   /'
nsx hosta ping -n -q -c 3 -W 2 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null
ok $? "ping $WORLD_B_INNER from $WORLD_A_INNER across the tunnel"
pjson site-b flows | jq -e --arg r "$WORLD_B_HOST" \
    'any(.[]; .proto == "esp-udp" and .translated == "dst" and .real == $r and .packets > 0)' >/dev/null
ok $? "site-b's flows show ESP in UDP to its endpoint's alias, real $WORLD_B_HOST"
pctl pxa "$(proxy_sock site-a)" explain "$B_ALIAS_HOST" >"$WORLD_DIR/explain-b.txt" 2>&1
grep -q "from $WORLD_A_HOST on this site's LAN, translated to its alias $A_ALIAS_HOST" "$WORLD_DIR/explain-b.txt"
ok $? "site-a explains its flows toward $B_ALIAS_HOST with both of hosta's addresses"

ns_bg iperf3-server hostb iperf3 -s -B "$WORLD_B_INNER"
wait_for 5 nsx hostb sh -c "ss -ltn | grep -q '$WORLD_B_INNER:5201'"
mb_alias=$(iperf_tcp alias)
echo "# TCP through the tunnel, translating proxies: ${mb_alias:-0} Mbit/s"
[ "${mb_alias:-0}" -gt 0 ]
ok $? "TCP transfer (5 s, full-size segments) through the tunnel via translating proxies"

# ---- 4. path MTU discovery across the translation
_w ip -n "$(ns pxb)" route replace "$WORLD_B_HOST/32" dev eth0 mtu 1300 ||
    bail "route mtu on site B's proxy host"
nsx hosta ip route flush cache >/dev/null 2>&1
nsx hosta ping -n -q -c 1 -W 2 -M do -s 1350 "$B_ALIAS_HOST" \
    >"$WORLD_DIR/ping-big.txt" 2>&1
big_rc=$?
echo "# ping -M do -s 1350: $(tr '\n' ' ' <"$WORLD_DIR/ping-big.txt" | cut -c1-200)"
[ "$big_rc" != 0 ]
ok $? "a 1378-byte ping with DF does not fit site B's 1300-byte hop"
pmtu=$(nsx hosta ip -o route get "$B_ALIAS_HOST" | grep -o 'mtu [0-9]*')
ok "$([ "$pmtu" = "mtu 1300" ]; echo $?)" "hosta learned the path MTU from the translated error (${pmtu:-none})"
pjson site-a flows | jq -e --arg s "$B_ALIAS_PX" --arg a "$A_ALIAS_HOST" --arg r "$WORLD_A_HOST" \
    'any(.[]; .proto == "icmp" and .src == $s and .dst == $a and .translated == "dst" and .real == $r)' >/dev/null
ok $? "the error came from site B's 192.168.1.3 as $B_ALIAS_PX, to hosta's alias"
nsx hosta ping -n -q -c 2 -W 2 -M do -s 1272 "$B_ALIAS_HOST" >/dev/null
ok $? "after it, a 1300-byte ping with DF gets through"
_w ip -n "$(ns pxb)" route del "$WORLD_B_HOST/32" dev eth0 mtu 1300

# ---- 5. raw ESP cannot cross the translation
esp0=$(pstatus site-a drop_esp_nat)
nsx hosta timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
for i in range(3):
    s.sendto(b"\x00\x00\x10\x01" + bytes([0, 0, 0, i + 1]) + b"\x00" * 24,
             (sys.argv[1], 0))
' "$B_ALIAS_HOST"
sleep 0.5
pjson site-a flows | jq -e --arg a "$A_ALIAS_HOST" --arg r "$WORLD_A_HOST" \
    'any(.[]; .proto == "esp" and .src == $a and .real == $r and .nat_refused >= 3)' >/dev/null
ok $? "site-a's flows count hosta's raw ESP as refused (NAT), with both addresses"
esp1=$(pstatus site-a drop_esp_nat)
echo "# site-a drop_esp_nat: ${esp0:-?} -> ${esp1:-?}"
[ -n "$esp1" ] && [ "$esp1" -ge $(( ${esp0:-0} + 3 )) ]
ok $? "site-a's status counts the refused ESP packets"

# ---- 6. the same tunnel without translation, for comparison
swanctl_x hosta --terminate --ike alias >/dev/null 2>&1
wait_for 10 sh -c "! swanctl --list-sas --uri '$(_vici hosta)' 2>/dev/null | grep -q 'alias:'" 
swanctl_initiate hosta plain 20
ok $? "IKE between the untranslated $A_PLAIN and $B_PLAIN completes"
wait_for 10 installed plain
ok $? "CHILD_SA 'plain' installed on both endpoints"
sed -n '/initiating IKE_SA plain/,$p' "$logA" >"$WORLD_DIR/plain-ike.log"
grep -q 'IKE_SA plain.*established' "$WORLD_DIR/plain-ike.log" &&
    ! grep -q 'local host is behind NAT' "$WORLD_DIR/plain-ike.log"
ok $? "without translation hosta's IKE finds no NAT on its side"
mb_plain=$(iperf_tcp plain)
echo "# TCP through the tunnel, no translation: ${mb_plain:-0} Mbit/s"
[ "${mb_plain:-0}" -gt 0 ]
ok $? "TCP transfer through the untranslated tunnel"
ns_bg_stop iperf3-server >/dev/null 2>&1
echo "# throughput: translating proxies ${mb_alias:-0} Mbit/s, no translation ${mb_plain:-0} Mbit/s"
if [ -n "$OUT" ]; then
	{
		echo "tcp_mbit_translated=${mb_alias:-0}"
		echo "tcp_mbit_plain=${mb_plain:-0}"
		echo "ike_nat_line=$natline"
		echo "xlat_out=$(pstatus site-a xlat_out) xlat_in=$(pstatus site-a xlat_in)"
	} >>"$OUT"
fi

t_summary
