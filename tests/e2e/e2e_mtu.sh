#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: endpoints at their default MTU, one site behind a smaller-MTU
# uplink, and no black hole.  Site A's NAT has a WAN link with MTU 1400 (a
# PPPoE or tunnelled uplink); everything else is 1500.  The strongSwan
# endpoints keep libipsec's default tunnel MTU, so their full-size ESP in
# UDP is 1464 bytes, and the proxies' TUNs are at the default 1500.
#
#   1. Path MTU measured per link: site-a <-> pub 1400 (both ways), pub <->
#      site-b 1500.
#   2. A 16 MB TCP transfer through the IPsec tunnel completes within 60 s.
#      The link-layer split did it: site-a sent pieces, pub joined them;
#      pub sent them on to site-b whole, their IP and UDP headers left out
#      (lib/hc.h), and site-b put back every one; no proxy dropped any.
#   3. No IP fragments anywhere: the endpoint did not fragment its ESP (it
#      never needed to learn a smaller path MTU), nor did the proxies or the
#      NATs (IpFragCreates, IpReasmReqds unchanged in every namespace).
#   4. Pings with DF through the tunnel at the sizes that fall between the
#      two MTUs (their link datagrams fit 1500 but not 1400) get through.
#   5. ICMP "fragmentation needed" still reaches an endpoint whose packet
#      with DF is larger than the proxy's TUN: with hostA's LAN at 1600, a
#      1588-byte ping with DF to site B's LAN is refused by site-a's host
#      with an ICMP that hostA honours (ping reports mtu 1500 and hostA's
#      route cache learns it).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl jq ping python3
CHARON_RETRANSMIT="5 1 1.5"
WAN_MTU=1400

e2e_traps

both_installed() { child_sa_installed hosta tunnel && child_sa_installed hostb tunnel; }

# link_pmtu PROXY NEIGHBOUR: the path MTU PROXY measured on that link.
link_pmtu() {
	pjson "$1" neighbours | jq -r --arg n "$2" \
	    'map(select(.name == $n)) | .[0].pmtu // 0'
}
pmtu_is() { [ "$(link_pmtu "$1" "$2")" = "$3" ]; }

# ip_stat SHORT FIELD: a counter of the Ip: line of /proc/net/snmp there.
ip_stat() {
	nsx "$1" awk -v f="$2" '/^Ip:/ { if (!h) { for (i = 1; i <= NF; i++)
	    c[$i] = i; h = 1 } else print $(c[f]) }' /proc/net/snmp
}
FRAG_NS="hosta pxa nata inet pub natb pxb hostb"
frag_counts() {
	local s
	for s in $FRAG_NS; do
		printf '%s:%s/%s ' "$s" "$(ip_stat "$s" FragCreates)" \
		    "$(ip_stat "$s" ReasmReqds)"
	done
}

world_up || bail "world up"
ok 0 "world up"
nsx nata ip link set wan mtu "$WAN_MTU" &&
    _w ip -n "$(ns inet)" link set nata mtu "$WAN_MTU"
ok $? "site A's uplink (NAT wan <-> internet) at MTU $WAN_MTU"
make_certs "$WORLD_DIR/pki" || bail "certificates"
for name in pub site-a site-b; do
	proxy_conf_std "$name" >/dev/null || bail "config for $name"
done
[ -x "$PROXYD" ] || bail "daemon built ($PROXYD)"
grep -q "mtu = 1500" "$WORLD_DIR/site-a.conf"
ok $? "proxies' TUN MTU is 1500"

unset CHARON_MTU
charon_start hosta && charon_start hostb || bail "charons started"
swanctl_load hosta && swanctl_load hostb || bail "swanctl loaded"
ep_mtu=$(nsx hosta cat /sys/class/net/ipsec0/mtu 2>/dev/null)
echo "# endpoints' ipsec0 MTU: ${ep_mtu:-?} (libipsec's default, untouched)"
for name in pub site-a site-b; do
	proxy_start "$(proxy_ns "$name")" "$name" "$WORLD_DIR/$name.conf" ||
	    bail "proxy $name started"
done
wait_for 30 has_route site-a "$WORLD_B_LAN" &&
    wait_for 30 has_route site-b "$WORLD_A_LAN" || bail "routes"
swanctl_initiate hosta tunnel 20 && wait_for 10 both_installed
ok $? "IPsec tunnel up through the proxies"

# ---- 1. path MTU per link
for spec in site-a:pub:$WAN_MTU pub:site-a:$WAN_MTU pub:site-b:1500 \
    site-b:pub:1500; do
	IFS=: read -r p n want <<<"$spec"
	wait_for 15 pmtu_is "$p" "$n" "$want"
	ok $? "$p measured the path MTU to $n: $(link_pmtu "$p" "$n") (want $want)"
done

# ---- 2. a full-size TCP transfer
f0=$(frag_counts)
a_tx0=$(pstatus site-a frag_tx) p_j0=$(pstatus pub frag_joined)
b_j0=$(pstatus site-b frag_joined) p_hc0=$(pstatus pub hc_tx)
b_hc0=$(pstatus site-b hc_rx)
retrans() { nsx hosta awk '/^Tcp:/ { if (h) print $13; h = 1 }' /proc/net/snmp; }
r0=$(retrans)
tunnel_stream 16
rc=$?
echo "# $(( $(retrans) - r0 )) retransmissions at hostA"
ok $rc "16 MB TCP transfer through the tunnel completes within 60 s, every byte counted and hashed at hostB (received $STREAM_RX of 16777216 bytes, SHA-256 $STREAM_RX_SUM, sent $STREAM_TX_SUM)"
a_tx=$(pstatus site-a frag_tx) p_j=$(pstatus pub frag_joined)
b_j=$(pstatus site-b frag_joined) p_hc=$(pstatus pub hc_tx)
b_hc=$(pstatus site-b hc_rx)
echo "# pieces sent by site-a: $a_tx0 -> $a_tx; messages joined by pub: $p_j0 -> $p_j, by site-b: $b_j0 -> $b_j"
echo "# sent by pub to site-b with their headers left out: $p_hc0 -> $p_hc; put back by site-b: $b_hc0 -> $b_hc"
# 16 MB in full-size ESP packets is over 11000 of them, each split
[ $(( a_tx - a_tx0 )) -ge 20000 ]
ok $? "site-a split full-size packets for the 1400-byte path ($(( a_tx - a_tx0 )) pieces)"
[ $(( p_j - p_j0 )) -ge 10000 ]
ok $? "pub joined them ($(( p_j - p_j0 )))"
# 1464 + 64 bytes is 28 over pub <-> site-b's 1500: without their IP and
# UDP headers (lib/hc.h) they cross it unsplit
[ $(( p_hc - p_hc0 )) -ge 10000 ] && [ $(( b_hc - b_hc0 )) = $(( p_hc - p_hc0 )) ]
ok $? "pub sent them on to site-b unsplit, headers left out, and site-b put back every one ($(( p_hc - p_hc0 )) sent, $(( b_hc - b_hc0 )) put back)"
for name in site-a pub site-b; do
	d=$(pstatus "$name" drop_frag) t=$(pstatus "$name" drop_toobig)
	s=$(pstatus "$name" drop_malformed) h=$(pstatus "$name" drop_hc_miss)
	[ "$d" = 0 ] && [ "$t" = 0 ] && [ "$s" = 0 ] && [ "$h" = 0 ]
	ok $? "$name dropped no piece (drop_frag $d, drop_toobig $t, drop_malformed $s, drop_hc_miss $h)"
done

# ---- 3. no IP fragments
f1=$(frag_counts)
echo "# FragCreates/ReasmReqds before: $f0"
echo "# FragCreates/ReasmReqds after:  $f1"
[ "$f0" = "$f1" ]
ok $? "no IP fragment made or reassembled in any namespace"
cache=$(nsx hosta ip -o route get "$WORLD_B_HOST" | grep -o 'mtu [0-9]*')
echo "# hostA's route to hostB: ${cache:-no learned path MTU}"
[ -z "$cache" ]
ok $? "hostA never had to learn a smaller path MTU to hostB"

# ---- 4. DF pings between the two MTUs through the tunnel
max=$(( ${ep_mtu:-1400} - 28 ))
for size in 1200 1300 1340 "$max"; do
	[ "$size" -le "$max" ] || continue
	nsx hosta ping -n -q -c 2 -W 2 -M do -s "$size" -I "$WORLD_A_INNER" \
	    "$WORLD_B_INNER" >/dev/null 2>&1
	ok $? "ping -M do -s $size through the tunnel"
done

# ---- 5. ICMP fragmentation needed reaches an endpoint
for spec in hosta:eth0 nata:p-hosta nata:p-pxa pxa:eth0; do
	nsx "${spec%%:*}" ip link set "${spec#*:}" mtu 1600
done
out=$(nsx hosta ping -n -c 2 -W 2 -M do -s 1560 "$WORLD_B_HOST" 2>&1)
echo "# ping -M do -s 1560 hostB from a 1600-byte LAN: $(tr '\n' ' ' <<<"$out" | cut -c1-200)"
grep -Eqi 'mtu ?= ?1500' <<<"$out"
ok $? "site-a's host answers a 1588-byte DF packet with fragmentation needed, mtu 1500"
cache=$(nsx hosta ip -o route get "$WORLD_B_HOST" | grep -o 'mtu [0-9]*')
[ "$cache" = "mtu 1500" ]
ok $? "hostA honours it (route cache: ${cache:-none})"

for name in site-b site-a pub; do
	proxy_stop "$name"
	rc=$(cat "$WORLD_DIR/$name.exit" 2>/dev/null || echo '?')
	[ "$rc" = 0 ]
	ok $? "proxy $name exits cleanly (status $rc)"
done
t_summary
