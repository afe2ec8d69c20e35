#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# Test (a): the problem proxyd solves.  Both sites behind masquerading NATs,
# no proxies: an IPsec endpoint cannot reach the other, neither at its
# private address nor at its NAT's public address.  No CHILD_SA comes up and
# not one IKE packet arrives at the responder.  Needs no proxyd.
#
# E2E_NAT_MODE=none runs the same checks with the NATs replaced by plain
# routing; the tunnel then comes up and this test must FAIL (a check that
# the test can see the difference).

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require swanctl
mode=${E2E_NAT_MODE:-masquerade}
# Give up quickly: 3 retransmits, 1 s then x1.5 (about 8 s per attempt).
CHARON_RETRANSMIT="3 1 1.5"

e2e_traps

echo "# world: NAT mode '$mode' on both sites, no proxies (prefix $PXT_PREFIX)"
if ! world_up --nat-a "$mode" --nat-b "$mode" --routes nat; then
	ok 1 "world up"
	t_summary
	exit 1
fi
ok 0 "world up (NATs: $mode)"

# Pure counters (rules without a target): IKE/NAT-T leaving HOSTA, arriving
# on NATB's WAN, and arriving in HOSTB.
nsx hosta iptables -w -t raw -A OUTPUT -p udp -m multiport --dports 500,4500
nsx natb iptables -w -t raw -A PREROUTING -i wan -p udp -m multiport --dports 500,4500
nsx hostb iptables -w -t raw -A PREROUTING -p udp -m multiport --dports 500,4500
nsx hostb iptables -w -t raw -A PREROUTING -p esp

check "charon on hosta (kernel-libipsec)" charon_start hosta
check "charon on hostb (kernel-libipsec)" charon_start hostb
swanctl_x hosta --stats 2>/dev/null | grep -q 'kernel-libipsec'
ok $? "hosta's charon loaded kernel-libipsec"

check "connections loaded on hosta (to 10.2.0.10 and to 198.51.100.2)" \
    swanctl_load hosta "via-nat=$WORLD_B_WAN"
check "connection loaded on hostb" swanctl_load hostb

# Both attempts at once; each gives up after its retransmits.
t0=$(now_ms)
swanctl_initiate hosta tunnel 20 & p1=$!
swanctl_initiate hosta via-nat 20 & p2=$!
wait $p1; rc1=$?
wait $p2; rc2=$?
echo "# initiations returned $rc1 and $rc2 after $(( $(now_ms) - t0 )) ms"

[ $rc1 != 0 ]
ok $? "initiation to hostb's private address $WORLD_B_HOST fails"
[ $rc2 != 0 ]
ok $? "initiation to NATB's public address $WORLD_B_WAN fails"
! child_sa_installed hosta
ok $? "no CHILD_SA installed on hosta"
! child_sa_installed hostb
ok $? "no CHILD_SA installed on hostb"

sent=$(ipt_count hosta raw OUTPUT)
at_natb=$(ipt_count natb raw PREROUTING)
arrived=$(ipt_count hostb raw PREROUTING)
echo "# IKE/NAT-T packets: sent by hosta $sent, reaching NATB's WAN $at_natb, arriving in hostb $arrived"
[ "$sent" -gt 0 ]
ok $? "hosta did send IKE packets ($sent)"
[ "$at_natb" -gt 0 ]
ok $? "IKE packets reached NATB's WAN ($at_natb): the NAT is what stops them"
[ "$arrived" -eq 0 ]
ok $? "zero IKE/ESP packets arrived in hostb ($arrived)"

t_summary
