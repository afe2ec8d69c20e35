#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Issue 13, the overlay: IPv6 sites over the IPv4 underlay.  The standard
# world (masquerading NATs, pub, site-a, site-b) with IPv6 unique local
# prefixes on the sites' LANs: site-a fd00:a::/48 (LAN fd00:a::/64, inner
# fd00:a:1::1), site-b fd00:b::/48.  The proxies advertise them (bound to
# their certificates as RFC 3779 IPv6 blocks), install IPv6 routes on their
# TUNs, and carry the endpoints' IPv6 packets.  strongSwan endpoints run IKE
# over IPv6 between the sites' ULA addresses (ESP in UDP 4500, userspace)
# with IPv6 traffic selectors; a ping and a full-size TCP transfer cross
# the tunnel.  Then site-b's proxy host gets a 1300-byte MTU toward its
# LAN: large pings get an ICMPv6 Packet Too Big (from site-b's proxy host,
# carried back through the proxies) and succeed after.  The IPv6 tunnel's
# TCP throughput is measured next to the IPv4 tunnel's in the same run
# (medians of E2E_RUNS, default 3, transfers of 5 s each).  The flows
# tables on the way show the IPv6 IKE flow, and the connection request
# that opened the channel named its IPv6 inner addresses.  Last, a
# static IPv6 route inside site-b's prefix on site-a's proxy host: site-a
# withdraws its own route for the prefix, leaves the static one alone and
# says why in proxyctl routes; without the static route, its route is back.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl jq ping iperf3
RUNS=${E2E_RUNS:-3}
CHARON_RETRANSMIT="5 1 1.5"

A6_PFX=fd00:a::/48  A6_LAN=fd00:a::  A6_HOST=fd00:a::10  A6_PX=fd00:a::2
B6_PFX=fd00:b::/48  B6_LAN=fd00:b::  B6_HOST=fd00:b::10  B6_PX=fd00:b::2
A6_INNER=fd00:a:1::1  B6_INNER=fd00:b:1::1

e2e_traps

# v6_site a|b: ULA addresses on the site's endpoint and proxy host, the
# endpoint's route to the other site via its proxy, forwarding on the proxy.
v6_site() {
	local s=$1 S=${1^^} host px lan inner opfx
	eval "host=\$${S}6_HOST px=\$${S}6_PX inner=\$${S}6_INNER"
	[ "$s" = a ] && opfx=$B6_PFX || opfx=$A6_PFX
	local h
	for h in "host$s" "px$s"; do
		nsx "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 \
		    net.ipv6.conf.default.disable_ipv6=0 \
		    net.ipv6.conf.lo.disable_ipv6=0 \
		    net.ipv6.conf.eth0.disable_ipv6=0 >/dev/null || return 1
	done
	nsx "px$s" sysctl -qw net.ipv6.conf.all.forwarding=1 >/dev/null &&
	_w ip -n "$(ns "host$s")" -6 addr add "$host/64" dev eth0 nodad &&
	_w ip -n "$(ns "host$s")" -6 addr add "$inner/128" dev lo nodad &&
	_w ip -n "$(ns "px$s")" -6 addr add "$px/64" dev eth0 nodad &&
	_w ip -n "$(ns "host$s")" -6 route add "$opfx" via "$px"
}

# swanctl_load6 HOST: connections "tunnel6" (IKE between the ULA LAN
# addresses, IPv6 selectors between the inner addresses) and "tunnel"
# (the IPv4 one of swanctl_load, for the throughput comparison).
swanctl_load6() {
	local h=$1 s S R d la ra li ri
	s=${h#host}; S=${s^^}
	[ "$s" = a ] && R=B || R=A
	eval "la=\$${S}6_HOST ra=\$${R}6_HOST li=\$${S}6_INNER ri=\$${R}6_INNER"
	swanctl_load "$h" || return 1
	d=$(_charon_dir "$h")
	cat >"$d/tunnel6.conf" <<EOF
	tunnel6 {
		version = 2
		local_addrs = $la
		remote_addrs = $ra
		encap = yes
		mobike = no
		proposals = aes128gcm16-prfsha256-x25519, aes128-sha256-ecp256
		local {
			auth = psk
			id = host$s.test
		}
		remote {
			auth = psk
			id = host${R,,}.test
		}
		children {
			tunnel6 {
				mode = tunnel
				local_ts = $li/128
				remote_ts = $ri/128
				esp_proposals = aes128gcm16, aes128-sha256
				start_action = none
			}
		}
	}
EOF
	# the IPv6 connection goes in first, inside "connections {"
	sed -i "/^connections {/r $d/tunnel6.conf" "$d/swanctl/swanctl.conf" &&
	swanctl_x "$h" --load-all --noprompt >"$d/swanctl-load6.out" 2>&1 || {
		wlog "swanctl_load6 $h failed:"
		sed 's/^/#   /' "$d/swanctl-load6.out" >&2
		return 1
	}
}

both_installed() {
	child_sa_installed hosta "$1" && child_sa_installed hostb "$1"
}

# route6_via PROXY PREFIX: the proxy's routes list the IPv6 prefix, remote.
route6_via() {
	pjson "$1" routes 2>/dev/null | jq -e --arg p "$2" \
	    'any(.[]; .prefix == $p and .hops > 0)' >/dev/null
}

# ping6_ok SIZE: an IPv6 ping of SIZE bytes from hosta's inner address to
# hostb's through tunnel6; up to 4 attempts (the first may teach the path
# MTU).
ping6_ok() {
	local i
	for i in 1 2 3 4; do
		nsx hosta ping -6 -n -q -c 1 -W 2 -s "$1" -I "$A6_INNER" \
		    "$B6_INNER" >/dev/null 2>&1 && return 0
		echo "# ping -6 -s $1: attempt $i failed"
		sleep 0.5
	done
	return 1
}

# iperf_mbit SERVER_ADDR CLIENT_ADDR: TCP hosta -> hostb for 5 s; prints the
# received Mbit/s (0 on failure).
iperf_mbit() {
	local bps
	nsx hostb iperf3 -s -1 -B "$1" >"$WORLD_DIR/iperf3-server.log" 2>&1 </dev/null &
	_pid_record iperf3-server $! "$(ns hostb)"
	wait_for 5 nsx hostb sh -c "ss -ltn | grep -q '5201'"
	nsx hosta timeout 30 iperf3 -c "$1" -B "$2" -t 5 -J \
	    >"$WORLD_DIR/iperf3.json" 2>"$WORLD_DIR/iperf3-client.log"
	_pid_stop iperf3-server
	bps=$(jq '.end.sum_received.bits_per_second // 0 | floor' \
	    "$WORLD_DIR/iperf3.json" 2>/dev/null)
	echo $(( ${bps:-0} / 1000000 ))
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 }
	    END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# snmp6 HOST COUNTER: a counter of HOST's /proc/net/snmp6.
snmp6() {
	nsx "$1" awk -v c="$2" '$1 == c { print $2 }' /proc/net/snmp6
}

echo "# world: masquerade NATs, proxies pub, site-a ($A6_PFX), site-b ($B6_PFX) over the IPv4 underlay (prefix $PXT_PREFIX)"
world_up || bail "world up"
v6_site a && v6_site b || bail "IPv6 on the sites"
ok 0 "world up, IPv6 ULA addresses on both sites"
make_certs "$WORLD_DIR/pki" \
    "site-a=$WORLD_A_LAN,$WORLD_A_INNER_NET,$A6_PFX" \
    "site-b=$WORLD_B_LAN,$WORLD_B_INNER_NET,$B6_PFX" ||
    bail "certificates with IPv6 blocks"
openssl x509 -in "$WORLD_DIR/pki/site-a.crt" -noout -text | grep -q 'fd00:a::/48'
ok $? "proxyd-ca issue --prefix $A6_PFX puts the IPv6 block in the certificate"
proxy_conf_std pub >/dev/null &&
proxy_conf_std site-a prefixes="$WORLD_A_LAN $WORLD_A_INNER_NET $A6_PFX" >/dev/null &&
proxy_conf_std site-b prefixes="$WORLD_B_LAN $WORLD_B_INNER_NET $B6_PFX" >/dev/null ||
    bail "configurations"
"$PROXYD" -t -c "$WORLD_DIR/site-a.conf" >/dev/null 2>&1
ok $? "proxyd -t accepts site-a with an IPv6 prefix its certificate covers"

charon_start hosta && charon_start hostb || bail "charons started"
swanctl_load6 hosta && swanctl_load6 hostb || bail "swanctl configurations"
for name in pub site-a site-b; do
	proxy_start "$(proxy_ns "$name")" "$name" "$WORLD_DIR/$name.conf" ||
	    bail "proxy $name started"
done
wait_for 30 route6_via site-a "$B6_PFX" && wait_for 30 route6_via site-b "$A6_PFX"
ok $? "each site's proxy routes the other's IPv6 prefix"
echo "# site-a routes: $(pjson site-a routes | jq -c '[.[] | {prefix, dest, kernel}]')"
pjson site-a topology | jq -e --arg p "$B6_PFX" \
    'any(.[]; .origin == "site-b" and (.prefixes | index($p)) != null and .refused == null)' >/dev/null
ok $? "site-b's signed advertisement carries $B6_PFX, not refused at site-a"
wait_for 15 sh -c "ip -n '$(ns pxa)' -6 route show proto 200 | grep -q '^fd00:b::/48 dev pxy0'"
ok $? "site-a installed $B6_PFX on its TUN (proto 200)"
echo "# pxa IPv6 routes: $(ip -n "$(ns pxa)" -6 route show proto 200 | tr '\n' ';')"

# ---- IKE over IPv6 between the ULA addresses
swanctl_initiate hosta tunnel6 20
rc=$?
wait_for 10 both_installed tunnel6
ok $? "IPv6 tunnel (IKE between $A6_HOST and $B6_HOST) up through the proxies (initiate status $rc)"
n=$(pjson site-a flows | jq --arg h "[$A6_HOST]:4500" \
    '[.[] | select((.proto == "ike" or .proto == "esp-udp") and (.src == $h or .dst == $h))] | length')
echo "# site-a IPv6 flows: $(pjson site-a flows | jq -c '[.[] | select(.src | startswith("[") or contains(":")) | {proto, src, dst, packets}]')"
[ "${n:-0}" -ge 1 ]
ok $? "site-a's flow table shows the IPv6 IKE/ESP flow in RFC 5952 form ($n)"
# every proxy on the way shows the flow with its real addresses, and the
# connection request named them (not 0.0.0.0): both ends' channel says so
for name in pub site-b; do
	n=$(pjson "$name" flows | jq --arg h "[$A6_HOST]:500" --arg d "[$B6_HOST]:500" \
	    '[.[] | select(.proto == "ike" and .src == $h and .dst == $d)] | length')
	[ "${n:-0}" -ge 1 ]
	ok $? "$name's proxyctl flows shows the IKE flow [$A6_HOST]:500 -> [$B6_HOST]:500"
done
ping6_ok 56
ok $? "IPv6 ping through the IPv6 tunnel"
flow_of() {	# PROXY PREFIX: "src -> dst" its channel's request named
	pjson "$1" routes | jq -r --arg p "$2" \
	    'map(select(.prefix == $p)) | .[0] | "\(.flow_src) -> \(.flow_dst)"'
}
# a new path (pub's advertisements settling) forgets a channel until the
# next packet: traffic (the tunnel's ESP) between the looks
flows_named() {
	nsx hosta ping -6 -n -q -c 1 -W 1 -I "$A6_INNER" "$B6_INNER" >/dev/null 2>&1
	fa=$(flow_of site-a "$B6_PFX") fb=$(flow_of site-b "$A6_PFX")
	[ "$fa" = "$A6_HOST -> $B6_HOST" ] && [ "$fb" = "$A6_HOST -> $B6_HOST" ]
}
wait_for 15 flows_named
ok $? "the connection request named the IPv6 inner addresses: both ends' routes show $A6_HOST -> $B6_HOST"
echo "# channel flows: site-a $fa, site-b $fb"
grep -q "connection request [0-9a-f]* from 'site-a' for [a-z-]* flow $A6_HOST -> $B6_HOST" \
    "$WORLD_DIR/site-b.log"
ok $? "site-b's log names the request's IPv6 flow"

# ---- full-size TCP, and the IPv4 tunnel beside it, E2E_RUNS times
swanctl_initiate hosta tunnel 20 && wait_for 10 both_installed tunnel
ok $? "IPv4 tunnel up in the same world (for the comparison)"
m6=() m4=()
for r in $(seq 1 "$RUNS"); do
	m6+=("$(iperf_mbit "$B6_INNER" "$A6_INNER")")
	m4+=("$(iperf_mbit "$WORLD_B_INNER" "$WORLD_A_INNER")")
done
echo "# iperf3 TCP through the tunnels, 5 s each: IPv6 ${m6[*]} Mbit/s, IPv4 ${m4[*]} Mbit/s"
med6=$(median "${m6[@]}") med4=$(median "${m4[@]}")
echo "# median over $RUNS runs: IPv6 tunnel $med6 Mbit/s, IPv4 tunnel $med4 Mbit/s"
[ "${med6:-0}" -gt 0 ]
ok $? "full-size TCP transfers cross the IPv6 tunnel (median $med6 Mbit/s)"
[ "${med4:-0}" -gt 0 ]
ok $? "and the IPv4 tunnel (median $med4 Mbit/s)"

# ---- a too-small MTU on the path: site-b's proxy host toward its LAN, for
# IPv6 only (its links to pub run over IPv4 on the same interface)
nsx pxb sysctl -qw net.ipv6.conf.eth0.mtu=1300 >/dev/null ||
    bail "IPv6 mtu 1300 on pxb's LAN"
ptb0=$(snmp6 hosta Icmp6InPktTooBigs)
ping6_ok 1400
ok $? "a 1400-byte IPv6 ping through the tunnel succeeds (after learning the path MTU)"
ptb1=$(snmp6 hosta Icmp6InPktTooBigs)
echo "# hosta Icmp6InPktTooBigs $ptb0 -> $ptb1; path MTU to $B6_HOST: $(nsx hosta ip -6 -o route get "$B6_HOST" | grep -o 'mtu [0-9]*' || echo none)"
[ "${ptb1:-0}" -gt "${ptb0:-0}" ]
ok $? "hosta received an ICMPv6 Packet Too Big, carried back through the proxies"
nsx hosta ip -6 -o route get "$B6_HOST" | grep -q 'mtu 1300'
ok $? "hosta's path MTU toward $B6_HOST is 1300"
# the Packet Too Big comes from pxb's LAN address: an ICMPv6 flow there
for name in site-b site-a; do
	pjson "$name" flows | jq -e --arg s "$B6_PX" --arg d "$A6_HOST" \
	    'any(.[]; .proto == "icmp" and .src == $s and .dst == $d)' >/dev/null
	ok $? "$name carried the Packet Too Big ($B6_PX -> $A6_HOST: an ICMPv6 flow)"
done
for s in 1400 2000; do
	ping6_ok "$s"
	ok $? "IPv6 ping -s $s through the tunnel after the Packet Too Big"
done
nsx pxb sysctl -qw net.ipv6.conf.eth0.mtu=1500 >/dev/null

# ---- the host's own IPv6 routes win (issue 11 part 4's rule for IPv6): a
# static route inside site-b's claimed prefix on site-a's proxy host makes
# site-a withdraw its route for the prefix, never touch the static one, and
# show why; once the static route is gone, site-a's is back.
B6_STATIC=fd00:b:0:77::/64
kernel6() {	# PROXY PREFIX FIELD
	pjson "$1" routes | jq -r --arg p "$2" --arg f "$3" \
	    'map(select(.prefix == $p)) | .[0][$f] // empty'
}
ours6() { ip -n "$(ns pxa)" -6 route show proto 200 | grep -q "^fd00:b::/48 dev pxy0"; }
_w ip -n "$(ns pxa)" -6 route add "$B6_STATIC" dev eth0 proto static ||
    bail "static route $B6_STATIC on pxa"
refused6() { [ "$(kernel6 site-a "$B6_PFX" kernel)" = refused ]; }
wait_for 25 refused6
ok $? "site-a refuses $B6_PFX once a static route inside it is on the host (kernel: $(kernel6 site-a "$B6_PFX" kernel))"
why=$(kernel6 site-a "$B6_PFX" kernel_reason)
echo "# site-a routes $B6_PFX: kernel_reason \"$why\""
[ "$why" = "overlaps the host's static route $B6_STATIC dev eth0" ]
ok $? "proxyctl routes says why: the host's static route it overlaps"
! ours6 && ip -n "$(ns pxa)" -6 route show proto static | grep -q "^$B6_STATIC dev eth0"
ok $? "site-a's route for $B6_PFX is withdrawn, the static one untouched"
grep -q "route $B6_PFX to 'site-b' refused: it overlaps the host's static route $B6_STATIC" \
    "$WORLD_DIR/site-a.log"
ok $? "and the refusal is logged, naming the prefix, the site and the route"
txt=$(pctl pxa "$(proxy_sock site-a)" routes)
grep -F "$B6_PFX" <<<"$txt" | grep -q refused
ok $? "proxyctl routes (text) shows $B6_PFX refused"
_w ip -n "$(ns pxa)" -6 route del "$B6_STATIC" proto static
wait_for 25 ours6
ok $? "the static route gone, site-a installs $B6_PFX again ($(kernel6 site-a "$B6_PFX" kernel))"
ping6_ok 56
ok $? "and IPv6 pings cross the tunnel again"

for name in pub site-a site-b; do
	proxy_alive "$name"
	ok $? "proxy $name still running"
done
for name in site-b site-a pub; do
	proxy_stop "$name"
	rc=$(cat "$WORLD_DIR/$name.exit" 2>/dev/null || echo '?')
	[ "$rc" = 0 ]
	ok $? "proxy $name exits cleanly on SIGTERM (status $rc)"
done
t_summary
