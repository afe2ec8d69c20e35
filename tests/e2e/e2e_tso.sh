#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: TCP segmentation offload on the proxies' TUN (proxyd/tun.c,
# lib/vnet.c).  hostA and hostB keep their defaults (TSO and GRO on their
# veth), so a host's TCP hands its proxy 64 KB super-packets; the proxy
# reads each with one read(), cuts it into the segments the host's kernel
# would have sent and relays them; the proxy at the other end joins the
# segments of a run back into one TCP GSO frame for its TUN.
#
# pub, site-a and site-b with forward = all; 32 MB of a known stream
# hostA -> hostB, then 32 MB hostB -> hostA, then hostA -> hostB again with
# site-b's LAN interface offloads off (the kernel cuts site-b's frames in
# software and hostB checks every checksum), each through tests/lib/tcp_stream.py,
# which counts every byte and hashes it at both ends:
#   - every byte arrives, in order, unchanged (SHA-256 at both ends);
#   - the sending proxy read TCP super-packets (tun_rx_gso) and cut them
#     into several segments each on average (tun_rx per super-packet);
#   - the receiving proxy wrote TCP GSO frames (tun_gso) of several
#     segments each on average (tun_tx per frame);
#   - neither host counted a TCP checksum error, no proxy a malformed
#     packet.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq python3 ethtool

e2e_traps

world_up || bail "world up"
make_certs "$WORLD_DIR/pki" || bail "certificates"
proxies_std_up forward=all
ok 0 "world up, proxies up, hostA reaches hostB through them"

tso_on() { nsx "$1" ethtool -k eth0 | grep -q '^tcp-segmentation-offload: on'; }
tso_on hosta && tso_on hostb
ok $? "hostA and hostB keep TCP segmentation offload on (their default)"

# csum_errors HOST: TCP segments HOST dropped for a bad checksum
csum_errors() {
	nsx "$1" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "InCsumErrors") c = i; h = 1 } else print $c }' /proc/net/snmp
}

STREAM="$top_srcdir/tests/lib/tcp_stream.py"

# transfer FROM TO FROM_IP TO_IP SENDER_PROXY RECEIVER_PROXY
transfer() {
	local from=$1 to=$2 from_ip=$3 to_ip=$4 sp=$5 rp=$6 got rc
	local g0 r0 x0 t0 e0 e1 m0
	g0=$(pstatus "$sp" tun_rx_gso) r0=$(pstatus "$sp" tun_rx)
	x0=$(pstatus "$rp" tun_gso) t0=$(pstatus "$rp" tun_tx)
	e0=$(( $(csum_errors hosta) + $(csum_errors hostb) ))
	m0=$(( $(pstatus "$sp" drop_malformed) + $(pstatus "$rp" drop_malformed) ))
	nsx "$to" python3 "$STREAM" sink "$to_ip" 5201 >"$WORLD_DIR/sink-$to.log" 2>&1 </dev/null &
	_pid_record "sink-$to" $! "$(ns "$to")"
	wait_for 5 nsx "$to" sh -c "ss -ltn | grep -q '$to_ip:5201'"
	got=$(nsx "$from" timeout 120 python3 "$STREAM" source "$to_ip" "$from_ip" 5201 32 \
	    2>"$WORLD_DIR/source-$from.log")
	rc=$?
	_pid_stop "sink-$to"
	# shellcheck disable=SC2086 # split the two answers into words
	set -- $got
	[ "$rc" = 0 ] && [ "$#" = 4 ] && [ "$1" = 33554432 ] && [ "$1" = "$3" ] &&
	    [ "$2" = "$4" ]
	ok $? "32 MB $from -> $to: every byte arrived unchanged (sink: ${1:-none} ${2:-none}; source: ${3:-none} ${4:-none})"
	local g=$(( $(pstatus "$sp" tun_rx_gso) - g0 )) r=$(( $(pstatus "$sp" tun_rx) - r0 ))
	local x=$(( $(pstatus "$rp" tun_gso) - x0 )) t=$(( $(pstatus "$rp" tun_tx) - t0 ))
	e1=$(( $(csum_errors hosta) + $(csum_errors hostb) ))
	echo "# $sp read $g super-packets for $r TUN packets; $rp wrote $x GSO frames for $t TUN packets"
	[ "$g" -ge 50 ] && [ "$r" -ge $(( 2 * g )) ]
	ok $? "$sp read TCP super-packets and cut them ($g super-packets, $r packets)"
	[ "$x" -ge 50 ] && [ "$t" -ge $(( 2 * x )) ]
	ok $? "$rp joined segments into TCP GSO frames ($x frames, $t packets)"
	[ "$e1" = "$e0" ]
	ok $? "no TCP checksum error at hostA or hostB ($((e1 - e0)))"
	[ $(( $(pstatus "$sp" drop_malformed) + $(pstatus "$rp" drop_malformed) )) = "$m0" ]
	ok $? "no malformed drop at $sp or $rp"
}

transfer hosta hostb "$WORLD_A_HOST" "$WORLD_B_HOST" site-a site-b
transfer hostb hosta "$WORLD_B_HOST" "$WORLD_A_HOST" site-b site-a

# Above, hostB's kernel takes site-b's GSO frames whole and trusts their
# partial checksum.  With site-b's LAN interface offloads off (no TSO, no
# checksum offload) the kernel cuts every frame in software and completes
# each segment's checksum from the pseudo-header sum proxyd left, and hostB
# (receive checksum offload off) checks every one.
nsx pxb ethtool -K eth0 tx off tso off gso off >/dev/null 2>&1 &&
    nsx hostb ethtool -K eth0 rx off >/dev/null 2>&1 &&
    ! nsx pxb ethtool -k eth0 | grep -q '^tcp-segmentation-offload: on'
ok $? "site-b's LAN interface without TSO and checksum offload, hostB checks every checksum"
transfer hosta hostb "$WORLD_A_HOST" "$WORLD_B_HOST" site-a site-b

t_summary
