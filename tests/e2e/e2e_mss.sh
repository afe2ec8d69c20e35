#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test: plain TCP through the proxies has its SYNs' MSS clamped at both
# edges (proxyd/relay.c clamp()), so full-size segments cross every link
# in one datagram instead of being split in two.
#
# pub, site-a and site-b with forward = all (TUN MTU 1500, the default);
# tcpdump on hostB and hostA (checksum offload off on both, so the
# checksums they see are the ones proxyd left) catches the SYN and the
# SYN-ACK of an iperf3 TCP transfer hostA -> hostB:
#   - hostB sees hostA's SYN, hostA sees hostB's SYN-ACK, each with an MSS
#     of at most 1396 (a 1500-byte path MTU less 64 bytes of link overhead
#     less 40 of IP and TCP) and a correct TCP checksum;
#   - site-a and site-b count clamped SYNs (tcp_mss_clamped);
#   - site-a split (almost) none of the transfer's packets: frag_tx grew
#     by under 1 % of tun_rx (without the clamp: more than 100 %).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq iperf3 tcpdump ethtool

e2e_traps

world_up || bail "world up"
make_certs "$WORLD_DIR/pki" || bail "certificates"
proxies_std_up forward=all
ok 0 "world up, proxies up, hostA reaches hostB through them"
# link_pmtu PROXY NEIGHBOUR: the path MTU PROXY measured on that link.
link_pmtu() {
	pjson "$1" neighbours | jq -r --arg n "$2" \
	    'map(select(.name == $n)) | .[0].pmtu // 0'
}
pmtu_is() { [ "$(link_pmtu "$1" "$2")" = "$3" ]; }
# measured (1280 until then), as the clamp reads it
wait_for 15 pmtu_is site-a pub 1500 && wait_for 15 pmtu_is site-b pub 1500
ok $? "site-a and site-b measured the path MTU to pub: $(link_pmtu site-a pub), $(link_pmtu site-b pub)"

nsx hosta ethtool -K eth0 rx off >/dev/null 2>&1 &&
    nsx hostb ethtool -K eth0 rx off >/dev/null 2>&1
ok $? "receive checksum offload off on hostA and hostB"

for h in hosta hostb; do
	nsx $h tcpdump -i eth0 -n -vv -c 4 "tcp[tcpflags] & tcp-syn != 0" \
	    >"$WORLD_DIR/syn-$h.txt" 2>"$WORLD_DIR/syn-$h.err" </dev/null &
	_pid_record "tcpdump-$h" $! "$(ns $h)"
	wait_for 3 grep -q listening "$WORLD_DIR/syn-$h.err"
done
a0=$(pstatus site-a tcp_mss_clamped); b0=$(pstatus site-b tcp_mss_clamped)
f0=$(pstatus site-a frag_tx); r0=$(pstatus site-a tun_rx)
nsx hostb iperf3 -s -1 -B "$WORLD_B_HOST" >"$WORLD_DIR/iperf3-server.log" 2>&1 </dev/null &
_pid_record iperf3-server $! "$(ns hostb)"
sleep 0.5
nsx hosta timeout 30 iperf3 -c "$WORLD_B_HOST" -t 3 >"$WORLD_DIR/iperf3.txt" 2>&1
ok $? "iperf3 TCP hostA -> hostB through the proxies"
a1=$(pstatus site-a tcp_mss_clamped); b1=$(pstatus site-b tcp_mss_clamped)
f1=$(pstatus site-a frag_tx); r1=$(pstatus site-a tun_rx)
sleep 1
_pid_stop tcpdump-hosta
_pid_stop tcpdump-hostb

# "mss N" of the SYN from hostA as hostB saw it, and of hostB's SYN-ACK at hostA
syn_b=$(grep -A1 "$WORLD_A_HOST\.[0-9]* > $WORLD_B_HOST" "$WORLD_DIR/syn-hostb.txt" |
    grep -m1 -o 'mss [0-9]*' | awk '{print $2}')
synack_a=$(grep -A1 "$WORLD_B_HOST\.[0-9]* > $WORLD_A_HOST" "$WORLD_DIR/syn-hosta.txt" |
    grep -m1 -o 'mss [0-9]*' | awk '{print $2}')
echo "# MSS: hostA's SYN at hostB ${syn_b:-none}, hostB's SYN-ACK at hostA" \
    "${synack_a:-none}; clamped site-a $((a1 - a0)), site-b $((b1 - b0));" \
    "site-a split $((f1 - f0)) pieces for $((r1 - r0)) TUN packets"
[ -n "$syn_b" ] && [ "$syn_b" -le 1396 ] && [ "$syn_b" -ge 1000 ]
ok $? "hostA's SYN reached hostB with its MSS clamped (${syn_b:-none})"
[ -n "$synack_a" ] && [ "$synack_a" -le 1396 ] && [ "$synack_a" -ge 1000 ]
ok $? "hostB's SYN-ACK reached hostA with its MSS clamped (${synack_a:-none})"
# what each host received (its own SYNs leave with the checksum offloaded)
incoming() {
	grep -h "$WORLD_A_HOST\.[0-9]* > $WORLD_B_HOST" "$WORLD_DIR/syn-hostb.txt"
	grep -h "$WORLD_B_HOST\.[0-9]* > $WORLD_A_HOST" "$WORLD_DIR/syn-hosta.txt"
}
bad=$(incoming | grep -c 'incorrect')
good=$(incoming | grep -c 'cksum 0x[0-9a-f]* (correct)')
[ "$bad" = 0 ] && [ "$good" -ge 2 ]
ok $? "the clamped SYNs carry correct TCP checksums ($good correct, $bad incorrect)"
[ "$((a1 - a0))" -ge 1 ] && [ "$((b1 - b0))" -ge 1 ]
ok $? "site-a and site-b counted clamped SYNs ($((a1 - a0)), $((b1 - b0)))"
[ "$((r1 - r0))" -ge 1000 ] && [ "$(((f1 - f0) * 100))" -lt "$((r1 - r0))" ]
ok $? "site-a split under 1 % of the transfer's packets ($((f1 - f0)) pieces, $((r1 - r0)) packets)"

t_summary
