#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test (b): what proxyd is for.  Both sites behind masquerading NATs, a
# public proxy "pub" on the internet and one proxy per site.  The endpoints
# route the other site through their proxy; an IKEv2 tunnel (userspace ESP
# in UDP 4500) comes up between the private addresses, carries pings and a
# TCP transfer, and has no MTU black hole.  The proxies' flow tables see it.
# Finally the time from starting the proxies to CHILD_SA installed is
# measured over E2E_RUNS runs (default 3; proxies and charons restarted per
# run) and the median printed.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl jq ping iperf3
RUNS=${E2E_RUNS:-3}
CHARON_RETRANSMIT="5 1 1.5"

e2e_traps

# Both endpoints' CHILD_SA "tunnel" installed.
both_installed() { child_sa_installed hosta tunnel && child_sa_installed hostb tunnel; }

# ping_size SIZE: "ping -M do -s SIZE" from 172.16.1.1 to 172.16.2.1 through
# the tunnel; up to 3 attempts.  The ESP-in-UDP packet of a full-size inner
# packet fits the proxies' 1500-byte TUN, and the links split what their
# path cannot carry (e2e_mtu tests that in depth); a TUN set smaller would
# teach the endpoints the path MTU by ICMP on the first attempts instead.
ping_size() {
	local i
	for i in 1 2 3; do
		nsx hosta ping -n -q -c 1 -W 2 -M "do" -s "$1" -I "$WORLD_A_INNER" \
		    "$WORLD_B_INNER" >/dev/null 2>&1 && return 0
		echo "# ping -M do -s $1: attempt $i failed"
		sleep 0.5
	done
	return 1
}

# One run: (re)start charons, then the proxies; wait for routes, initiate,
# wait for both CHILD_SAs.  Sets RUN_MS to the milliseconds from starting
# the proxies to CHILD_SA installed.
RUN_MS=
run_tunnel() {
	local t0 name
	RUN_MS=
	charon_stop
	for name in site-b site-a pub; do proxy_stop "$name"; done
	charon_start hosta && charon_start hostb || return 1
	swanctl_load hosta && swanctl_load hostb || return 1

	t0=$(now_ms)
	for name in pub site-a site-b; do
		proxy_start "$(proxy_ns "$name")" "$name" \
		    "$WORLD_DIR/$name.conf" || return 1
	done
	wait_for 30 has_route site-a "$WORLD_B_LAN" &&
	wait_for 30 has_route site-b "$WORLD_A_LAN" || return 1
	swanctl_initiate hosta tunnel 20 || return 1
	wait_for 10 both_installed || return 1
	RUN_MS=$(( $(now_ms) - t0 ))
}

echo "# world: masquerade NATs on both sites, proxies pub, site-a, site-b (prefix $PXT_PREFIX)"
world_up || bail "world up"
ok 0 "world up"
make_certs "$WORLD_DIR/pki" || bail "certificates made with tools/proxyd-ca"
ok 0 "certificates made with tools/proxyd-ca"
for name in pub site-a site-b; do
	proxy_conf_std "$name" >/dev/null || bail "config for $name written"
done
[ -x "$PROXYD" ] || bail "daemon built ($PROXYD)"

# ---- Run 1, with every check
if ! run_tunnel; then
	for name in pub site-a site-b; do
		echo "# $name neighbours: $(pjson "$name" neighbours 2>&1)"
		echo "# $name routes: $(pjson "$name" routes 2>&1)"
	done
	bail "tunnel up through the proxies (run 1)"
fi
ok 0 "CHILD_SA installed on hosta and hostb through the proxies"
times=("$RUN_MS")
echo "# run 1: proxies started -> CHILD_SA installed in $RUN_MS ms"

for name in site-a site-b; do
	neighbour_up "$name" pub
	ok $? "$name's link to pub is up"
	neighbour_up pub "$name"
	ok $? "pub sees $name up"
done
echo "# site-a routes: $(pjson site-a routes)"
pjson site-a routes | jq -e --arg p "$WORLD_B_LAN" \
    'any(.[]; .prefix == $p and .dest == "site-b")' >/dev/null
ok $? "site-a's route to $WORLD_B_LAN leads to site-b"
pjson site-a routes | jq -e --arg p "$WORLD_B_INNER_NET" \
    'any(.[]; .prefix == $p and .dest == "site-b")' >/dev/null
ok $? "site-a also routes the inner prefix $WORLD_B_INNER_NET to site-b"
pjson site-b routes | jq -e --arg p "$WORLD_A_LAN" \
    'any(.[]; .prefix == $p and .dest == "site-a")' >/dev/null
ok $? "site-b's route to $WORLD_A_LAN leads to site-a"
echo "# hosta: $(swanctl_x hosta --list-sas | grep -E 'remote|INSTALLED' | tr -s ' ' | paste -sd ';')"

nsx hosta ping -n -q -c 3 -W 2 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null
ok $? "ping $WORLD_B_INNER from $WORLD_A_INNER across the tunnel"

# Flow tables: IKE or ESP-in-UDP flows on site-a and pub, and their packet
# counters grow while traffic flows.
for name in site-a pub; do
	echo "# $name flows: $(pjson "$name" flows)"
	n=$(pjson "$name" flows | jq '[.[] | select(.proto == "esp-udp" or .proto == "ike")] | length')
	[ "${n:-0}" -gt 0 ]
	ok $? "$name's flow table shows an esp-udp or ike flow ($n)"
done
a1=$(flow_packets site-a ike esp-udp esp)
p1=$(flow_packets pub ike esp-udp esp)
nsx hosta ping -n -q -c 5 -i 0.2 -W 2 -I "$WORLD_A_INNER" "$WORLD_B_INNER" >/dev/null
a2=$(flow_packets site-a ike esp-udp esp)
p2=$(flow_packets pub ike esp-udp esp)
[ "${a2:-0}" -gt "${a1:-0}" ]
ok $? "site-a's flow packet counters grow ($a1 -> $a2)"
[ "${p2:-0}" -gt "${p1:-0}" ]
ok $? "pub's flow packet counters grow ($p1 -> $p2)"

# No MTU black hole: full-size packets with DF set get through (the first
# attempt may be lost while the path MTU is learned).
mtu=$(nsx hosta cat /sys/class/net/ipsec0/mtu 2>/dev/null || echo 1400)
max=$((mtu - 28))
echo "# tunnel interface mtu $mtu: largest ICMP payload with DF $max"
for size in $(printf '%s\n' 56 1000 1200 1300 1372 "$max" | sort -nu); do
	[ "$size" -le "$max" ] || continue
	ping_size "$size"
	ok $? "ping -M do -s $size through the tunnel"
done
echo "# path MTU cache: hosta $(nsx hosta ip -o route get "$WORLD_B_HOST" | grep -o 'mtu [0-9]*' || echo none)," \
    "hostb $(nsx hostb ip -o route get "$WORLD_A_HOST" | grep -o 'mtu [0-9]*' || echo none)"

# TCP through the tunnel.
nsx hostb iperf3 -s -1 -B "$WORLD_B_INNER" >"$WORLD_DIR/iperf3-server.log" 2>&1 </dev/null &
_pid_record iperf3-server $! "$(ns hostb)"
wait_for 5 nsx hostb sh -c "ss -ltn | grep -q '$WORLD_B_INNER:5201'"
nsx hosta timeout 30 iperf3 -c "$WORLD_B_INNER" -B "$WORLD_A_INNER" -t 5 -J \
    >"$WORLD_DIR/iperf3.json" 2>"$WORLD_DIR/iperf3-client.log"
bps=$(jq '.end.sum_received.bits_per_second // 0 | floor' "$WORLD_DIR/iperf3.json" 2>/dev/null)
echo "# iperf3 TCP hosta -> hostb through the tunnel: $(( ${bps:-0} / 1000000 )) Mbit/s"
[ "${bps:-0}" -gt 0 ]
ok $? "iperf3 TCP transfer (5 s) completes with nonzero throughput"
_pid_stop iperf3-server

for name in pub site-a site-b; do
	proxy_alive "$name"
	ok $? "proxy $name still running after run 1"
done

# ---- Runs 2..RUNS: time only
for r in $(seq 2 "$RUNS"); do
	if run_tunnel; then
		times+=("$RUN_MS")
		ok 0 "run $r: tunnel up through the proxies in $RUN_MS ms"
	else
		ok 1 "run $r: tunnel up through the proxies"
	fi
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 }
    END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }')
echo "# proxies started -> CHILD_SA installed: ${times[*]} ms; median $median ms over ${#times[@]} runs"

for name in site-b site-a pub; do
	proxy_stop "$name"
	rc=$(cat "$WORLD_DIR/$name.exit" 2>/dev/null || echo '?')
	[ "$rc" = 0 ]
	ok $? "proxy $name exits cleanly on SIGTERM (status $rc)"
done

t_summary
