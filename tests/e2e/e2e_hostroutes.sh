#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
#
# proxyd never touches a route it did not install (issue 11, part 4).
# site-a's proxy host (pxa) has a network of its own that is no proxyd
# prefix: 192.168.77.0/24 on an extra interface (a connected route, proto
# kernel), and a static route 10.77.0.0/16 (proto static).  A rogue proxy
# with a valid certificate claims exactly that network, a prefix inside
# the static route (10.77.5.0/24), and a network of its own nobody else
# has (10.99.0.0/24, the control).  On site-a:
#  - the rogue's own prefix is installed with proxyd's protocol (200) and
#    its metric (tun.metric, 10000 by default); site-b's LAN too;
#  - the overlapping claims are not installed, the log says why, and
#    `proxyctl routes` shows them refused (kernel, kernel_reason);
#  - the connected and the static route are byte for byte the same before,
#    while and after the rogue claims them, and after it leaves (when the
#    rogue's own prefix is withdrawn again);
#  - `ip route show proto 200` lists nothing but routes on the TUN.

set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/lib/world.sh
. "$top_srcdir/tests/lib/world.sh"

world_require jq

e2e_traps

ROGUE_ADDR=203.0.113.30
HOST_NET=192.168.77.0/24 HOST_ADDR=192.168.77.1
STATIC_NET=10.77.0.0/16 INSIDE_STATIC=10.77.5.0/24
ROGUE_NET=10.99.0.0/24
METRIC=$(sed -n 's/^#define[[:space:]]*CONF_DEFAULT_TUN_METRIC[[:space:]]*\([0-9]*\).*/\1/p' \
    "$top_srcdir/lib/conf.h")
PROTO=$(sed -n 's/^#define[[:space:]]*RTNL_PROTO[[:space:]]*\([0-9]*\).*/\1/p' \
    "$top_srcdir/proxyd/rtnl.h")

# host_routes_now: pxa's routes that are not proxyd's, as the kernel says.
host_routes_now() {
	nsx pxa ip -4 route show "$HOST_NET"
	nsx pxa ip -4 route show "$STATIC_NET"
}
route_field() {	# PROXY PREFIX FIELD
	pjson "$1" routes | jq -r --arg p "$2" --arg f "$3" \
	    'map(select(.prefix == $p)) | .[0][$f] // empty'
}
kernel_is() { [ "$(route_field site-a "$1" kernel)" = "$2" ]; }
proto_has() { nsx pxa ip -4 route show proto "$PROTO" | grep -q "^$1 "; }

world_up || bail "world built"
make_certs "$WORLD_DIR/pki" rogue || bail "certificates"
# pxa's own network (a veth pair inside pxa: a connected route) and a
# static route, neither of them a proxyd prefix
nsx pxa ip link add hnet0 type veth peer name hnet1 &&
    nsx pxa ip addr add "$HOST_ADDR/24" dev hnet0 &&
    nsx pxa ip link set hnet0 up && nsx pxa ip link set hnet1 up &&
    nsx pxa ip route add "$STATIC_NET" via "$WORLD_A_GW" proto static ||
    bail "pxa's own routes"
before=$(host_routes_now)
echo "# pxa's own routes: $(echo "$before" | tr '\n' ';')"
echo "$before" | grep -q "proto kernel" && echo "$before" | grep -q "proto static"
ok $? "pxa has a connected and a static route of its own"

proxy_std_up || bail "standard proxies started"
inet_host rogue "$ROGUE_ADDR" || bail "rogue host"
conf=$(proxy_conf rogue listen="$ROGUE_ADDR:4790" \
    neighbours="pub@$WORLD_PUB_ADDR:$WORLD_PUB_PORT" \
    prefixes="$HOST_NET $INSIDE_STATIC $ROGUE_NET") &&
    proxy_start rogue rogue "$conf" || bail "rogue started"

wait_for 60 kernel_is "$ROGUE_NET" installed
ok $? "site-a installs the rogue's own prefix $ROGUE_NET ($(route_field site-a "$ROGUE_NET" kernel))"
wait_for 30 kernel_is "$WORLD_B_LAN" installed
ok $? "site-a installs site-b's $WORLD_B_LAN"
wait_for 20 kernel_is "$HOST_NET" refused
ok $? "the claim on pxa's connected network $HOST_NET is refused ($(route_field site-a "$HOST_NET" kernel): $(route_field site-a "$HOST_NET" kernel_reason))"
route_field site-a "$HOST_NET" kernel_reason | grep -q "kernel route $HOST_NET dev hnet0"
ok $? "and the reason names the host's route and its interface"
wait_for 20 kernel_is "$INSIDE_STATIC" refused
ok $? "the claim $INSIDE_STATIC inside pxa's static $STATIC_NET is refused ($(route_field site-a "$INSIDE_STATIC" kernel_reason))"
grep -q "route $HOST_NET to 'rogue' refused: it overlaps the host's kernel route $HOST_NET" \
    "$WORLD_DIR/site-a.log"
ok $? "site-a's log says which claim it refused and why"
pctl pxa "$(proxy_sock site-a)" routes | grep "^$HOST_NET" | grep -q refused
ok $? "proxyctl routes (text) shows the claim refused"

during=$(host_routes_now)
[ "$during" = "$before" ]
ok $? "pxa's connected and static routes are untouched while claimed ($(echo "$during" | tr '\n' ';'))"
mine=$(nsx pxa ip -4 route show proto "$PROTO")
echo "# proto $PROTO on pxa: $(echo "$mine" | tr '\n' ';')"
echo "$mine" | grep -q "^$ROGUE_NET dev pxy0 .*metric $METRIC" &&
    echo "$mine" | grep -q "^$WORLD_B_LAN dev pxy0 .*metric $METRIC"
ok $? "proxyd's routes carry proto $PROTO and metric $METRIC"
! echo "$mine" | grep -v " dev pxy0 " | grep -q . &&
    ! echo "$mine" | grep -q -e "^192.168.77" -e "^10.77"
ok $? "proto $PROTO holds only routes on the TUN, none of the refused claims"

proxy_stop rogue
wait_for 30 eval '! proto_has "$ROGUE_NET"'
ok $? "the rogue left: its prefix $ROGUE_NET is withdrawn from pxa's kernel"
sleep 2
after=$(host_routes_now)
[ "$after" = "$before" ]
ok $? "pxa's connected and static routes are untouched after the claimant left ($(echo "$after" | tr '\n' ';'))"
proto_has "$WORLD_B_LAN"
ok $? "site-b's route stays"

t_summary
