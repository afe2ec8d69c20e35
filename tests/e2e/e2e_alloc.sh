#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: the data path allocates nothing per packet.  pub, site-a and site-b
# run under tests/lib/alloc_count.so (an LD_PRELOAD shim that counts malloc,
# calloc, realloc and the aligned allocations and writes the count to a
# file); the hosts route each other's LAN through their proxies, relayed
# through pub, with forward = all.  After a warm-up (links, channel, flows
# made), a ping flood and an iperf3 UDP blast cross the three proxies.  Every
# proxy must have moved thousands of packets and made fewer than one
# allocation per E2E_ALLOC_PER (100) packets meanwhile.  The control plane
# may allocate on its timers: a shortest-path run after each 20 s
# advertisement refresh makes a few dozen (seen: 48-101 in the window, for
# about 100000 packets); one allocation per packet, or per few dozen
# packets, fails.  The shim must
# have counted the start-up allocations, or the test would prove nothing.
#
# Skipped for sanitizer builds: those replace malloc themselves.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq ping iperf3
PER=${E2E_ALLOC_PER:-100}
SHIM=$top_builddir/tests/lib/alloc_count.so

if ldd "$PROXYD" 2>/dev/null | grep -Eq 'lib(a|ub)san'; then
	echo "1..0 # SKIP $PROXYD is a sanitizer build (it replaces malloc itself)"
	exit 77
fi

e2e_traps

[ -r "$SHIM" ] || bail "the shim $SHIM is built (make tests/lib/alloc_count.so)"

# allocs NAME: the proxy's allocation count so far (waits for a fresh one).
allocs() {
	local pid f
	pid=$(proxy_pid "$1") || return 1
	f=$WORLD_DIR/alloc/$pid
	sleep 0.2	# the shim writes every 50 ms
	[ -r "$f" ] && cat "$f"
}

# moved NAME: datagrams in and out of the proxy's links plus TUN packets.
moved() {
	pjson "$1" status |
	    jq -r '.[0] | (.rx_packets + .tx_packets + .tun_rx + .tun_tx)'
}

world_up --nat-b random || bail "world up"
ok 0 "world up (site B symmetric: the channel stays relayed through pub)"
make_certs "$WORLD_DIR/pki" || bail "certificates"
mkdir -p "$WORLD_DIR/alloc"
PROXYD_WRAPPER="env LD_PRELOAD=$SHIM ALLOC_COUNT_DIR=$WORLD_DIR/alloc"
for n in pub site-a site-b; do
	proxy_start "$(proxy_ns "$n")" "$n" \
	    "$(proxy_conf_std "$n" forward=all)" || bail "$n started"
done
PROXYD_WRAPPER=
wait_for 30 has_route site-a "$WORLD_B_LAN" &&
    wait_for 30 has_route site-b "$WORLD_A_LAN" || bail "routes between the sites"
ok 0 "proxies up under the counting shim, routes between the sites"

for n in pub site-a site-b; do
	a=$(allocs "$n")
	[ "${a:-0}" -gt 0 ]
	ok $? "the shim counts $n's allocations (${a:-none} since start)"
done

# warm-up: the channel is requested and answered, flows are made
wait_for 20 nsx hosta ping -n -q -c 1 -W 1 "$WORLD_B_HOST" >/dev/null ||
    bail "ping hosta -> hostb through the proxies"
nsx hosta ping -n -q -c 50 -i 0.01 "$WORLD_B_HOST" >/dev/null 2>&1
nsx hostb iperf3 -s -1 -B "$WORLD_B_HOST" >"$WORLD_DIR/iperf3-server.log" 2>&1 </dev/null &
_pid_record iperf3-server $! "$(ns hostb)"
sleep 0.5
# counters first: a control query allocates (its connection, the reply),
# and that must not fall inside the window
declare -A a0 m0
for n in pub site-a site-b; do
	m0[$n]=$(moved "$n") a0[$n]=$(allocs "$n")
done

nsx hosta timeout 30 ping -n -q -f -c 5000 -s 1000 "$WORLD_B_HOST" \
    >"$WORLD_DIR/flood.txt" 2>&1
ok $? "ping flood of 5000 through the proxies ($(grep -o '[0-9]*% packet loss' "$WORLD_DIR/flood.txt"))"
nsx hosta timeout 30 iperf3 -c "$WORLD_B_HOST" -u -b 200M -l 1200 -t 2 \
    >"$WORLD_DIR/iperf3.txt" 2>&1
ok $? "iperf3 UDP blast for 2 s through the proxies"

for n in pub site-a site-b; do
	a1=$(allocs "$n") m1=$(moved "$n")
	da=$(( ${a1:-0} - ${a0[$n]:-0} )) dm=$(( ${m1:-0} - ${m0[$n]:-0} ))
	echo "# $n: $dm packets moved, $da allocations ($(awk -v a="$da" -v m="$dm" \
	    'BEGIN { printf "%.5f", (m > 0) ? a / m : 0 }') per packet)"
	[ "$dm" -ge 10000 ]
	ok $? "$n moved at least 10000 packets ($dm)"
	[ "$da" -ge 0 ] && [ $((da * PER)) -lt "$dm" ]
	ok $? "$n made fewer than one allocation per $PER packets ($da for $dm)"
done

t_summary
